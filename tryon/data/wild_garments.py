"""Garment photos from the wild, labelled by class: the CC0 ``clothing_upper`` set, for the sleeve reader.

Its ``images.csv`` names each photo (``images/<image>.jpg``), who sent it (``sender_id``) and its
class. Garments laid on beds and floors or hung up look unlike VITON's in-shop photos, and a
reader trained on VITON alone took a fifth of the long-sleeved ones whose mask shows no sleeve for
sleeveless. The classes that say what sleeves a garment has (:data:`WILD_KINDS`) teach it what
shoppers upload. Every photo is cut out as a shopper's upload is (:func:`tryon.garment.prepare_garment`,
automatic segmentation), once, and kept as one uint8 array beside the VITON garment cache.

The photos are split by sender (one person's photos share a bed, a light and often a wardrobe):
the senders whose id hashes into bucket 0 of :data:`HELD_OUT_BUCKETS` are held out for
``tryon eval sleeves`` and never trained on, and so are those who sent the bundled example
garments (so that tests on those are tests on photos the reader never saw).
"""

from __future__ import annotations

import csv
import zlib
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from tryon.conditioning import garment_rgba
from tryon.data.garments import augment_garment, cache_path, cached_arrays
from tryon.errors import TryOnError
from tryon.garment import prepare_garment
from tryon.io import load_image
from tryon.models.sleeve_reader import SLEEVE_KINDS
from tryon.tensors import to_tensor

__all__ = ["HELD_OUT_BUCKETS", "WILD_KINDS", "WildGarments", "held_out_sender", "photo_rows", "wild_photos"]

# clothing_upper classes whose sleeves are known from the class (shirts, blouses, tops, dresses vary)
# (outerwear holds sleeveless vests too)
WILD_KINDS = {"T-Shirt": "short", "Polo": "short", "Undershirt": "sleeveless", "Longsleeve": "long",
              "Hoodie": "long", "Blazer": "long"}
HELD_OUT_BUCKETS = 5      # senders hashing into bucket 0 of this many are held out (about a fifth)
EXAMPLE_SENDERS = {"8", "48", "150", "204", "211", "278"}   # who sent the bundled example garments
                                                            # (assets/examples/SOURCES.md): held out too
CACHE_PREFIX = "wild"     # the cut-outs' cache: wild_<H>x<W>_<sha1 of the names>.npy


def wild_photos(folder: str | Path, held_out: bool) -> list[tuple[str, str]]:
    """``(image name, class)`` of the photos of :data:`WILD_KINDS` classes, in ``images.csv`` order:
    the held-out senders' photos (see the module docstring), or (``held_out=False``) everyone else's.

    Raises:
        TryOnError: no ``images.csv`` in ``folder``.
    """
    rows = [r for r in photo_rows(folder) if r["label"] in WILD_KINDS]
    return [(r["image"], r["label"]) for r in rows if held_out_sender(r["sender_id"]) == held_out]


def photo_rows(folder: str | Path) -> list[dict[str, str]]:
    """The rows of the ``clothing_upper`` folder's ``images.csv`` (``image``, ``sender_id``,
    ``label``, ...), in order.

    Raises:
        TryOnError: no ``images.csv`` in ``folder``.
    """
    index = Path(folder) / "images.csv"
    if not index.is_file():
        raise TryOnError(f"'{folder}' has no images.csv; pass the clothing_upper folder.")
    with open(index, newline="") as f:
        return list(csv.DictReader(f))


def held_out_sender(sender: str) -> bool:
    """Whether the ``clothing_upper`` photos of this ``sender_id`` are held out (see the module docstring)."""
    return zlib.crc32(sender.encode()) % HELD_OUT_BUCKETS == 0 or sender in EXAMPLE_SENDERS


class WildGarments(torch.utils.data.Dataset):
    """Wild garment photos cut out at ``size``, with the sleeve kind of their class.

    Items: ``{"garment": (4, H, W) float32 in [-1, 1], "kind": int64}`` (as
    :class:`tryon.training.sleeve_task.SleeveDataset`'s). Photos the cut-out refuses are left out.

    Args:
        folder: the ``clothing_upper`` folder.
        photos: ``(image name, class)`` pairs, e.g. :func:`wild_photos`.
        size: ``(H, W)`` of the items.
        cache_dir: where the cut-outs are kept (``wild_<H>x<W>_<sha1 of the names>.npy``).
        augment: random flip, scale/shift and colour jitter (:func:`tryon.data.garments.augment_garment`).
    """

    def __init__(self, folder: str | Path, photos: list[tuple[str, str]], size: tuple[int, int],
                 cache_dir: str | Path, augment: bool = False, progress: bool = True) -> None:
        names = [n for n, _ in photos]
        cache = cache_path(Path(cache_dir), names, size, prefix=CACHE_PREFIX)
        data, ok = cached_arrays(cache, lambda: self._cut_out(Path(folder), names, size, progress))
        self.rows = [i for i, good in enumerate(ok) if good]
        self.names = [names[i] for i in self.rows]
        self.kinds = [SLEEVE_KINDS.index(WILD_KINDS[photos[i][1]]) for i in self.rows]
        self._data, self.augment = data, augment

    @staticmethod
    def _cut_out(folder: Path, names: list[str], size: tuple[int, int], progress: bool):
        data = np.zeros((len(names), 4, *size), np.uint8)
        ok = [False] * len(names)
        for i, name in enumerate(tqdm(names, desc="wild garments", unit="photo", disable=not progress)):
            try:
                prepared = prepare_garment(load_image(folder / "images" / f"{name}.jpg", what="garment"), size=size)
            except TryOnError:
                continue
            data[i] = garment_rgba(prepared).transpose(2, 0, 1)
            ok[i] = bool(data[i, 3].any())
        return data, ok

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> dict:
        array = self._data[self.rows[index]]
        garment = augment_garment(array) if self.augment else to_tensor(array.transpose(1, 2, 0))
        return {"garment": garment, "kind": torch.tensor(self.kinds[index])}
