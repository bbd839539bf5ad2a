"""The garment data set: in-shop garment photos and their masks, for the garment VAE.

Every garment goes through the same :func:`tryon.garment.prepare_garment` as at inference (with
the data set's cloth-mask as the given mask), then becomes a ``(4, H, W)`` tensor by the same
:func:`tryon.conditioning.garment_tensor` conversion that inference uses. Preparing and checking a
garment costs ~13 ms on this CPU (VITON's 13.7k training garments: ~3 min), so all of them are prepared once and kept as
one uint8 array, then served from memory::

    <cache_dir>/garments_<H>x<W>_<sha1 of the names>[:10].npy   (N, 4, H, W) uint8: RGB on white,
                                                                then the mask as 0 / 255
    <cache_dir>/garments_<H>x<W>_<sha1>[:10].json               {"skipped": {name: reason},
                                                                 "mask_stats": [{...} or null]}

Row ``i`` belongs to ``names[i]``; a garment that failed preparation has an all-zero row. The
``.npy`` is written last and atomically, so its presence means the cache is complete. It is
keyed by the name list and size only: delete it after changing :mod:`tryon.garment`.

VITON's cloth-masks are wrong for about 7 % of the garments (measured on 600 at random): holes
where a light garment or a stripe meets the white background, a mask of the neckline only, or a
mask of the whole photo (mostly close-ups of a worn garment, not in-shop photos). With
``mask_check`` such garments are left out and listed in ``skipped``: a cloth-mask that covers
more of the photo than :data:`tryon.garment.MAX_COVERAGE`, or that misses more than
:data:`MAX_MASK_MISS` of the garment found by the automatic segmentation (what inference does
with a shopper's upload; when the two disagree the other way, the automatic mask is the one with
holes, and the cloth-mask is kept). The statistics are stored, so toggling the check is free.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np
import torch
from tqdm import tqdm

from tryon.conditioning import garment_rgba
from tryon.constants import GARMENT_VAE_SIZE
from tryon.data.cache import default_cache_dir
from tryon.data.layout import DatasetLayout
from tryon.errors import TryOnError
from tryon.garment import MAX_COVERAGE, PreparedGarment, prepare_garment, segment_garment
from tryon.io import atomic_write, load_image
from tryon.tensors import HALF_UINT8, UINT8_MAX, to_tensor

__all__ = ["GarmentDataset", "augment_garment", "cache_path", "cached_arrays", "colour_matrix", "load_garment",
           "mask_stats", "mask_problem",
           "MAX_MASK_MISS"]

MASK_THRESHOLD = 128        # cloth-mask pixels >= this are garment
WHITE = 255
NAME_HASH_CHARS = 10        # characters of the name list's sha1 in the cache file name
CACHE_PREFIX = "garments"
# A cloth-mask missing more than this share of the automatically segmented garment is not
# trusted. On 600 VITON garments 6.7 % miss more; by eye, from ~0.1 up they have visible holes.
MAX_MASK_MISS = 0.1

# Augmentation (training only). The layout leaves a 5 % margin around the garment, so scale and
# shift together stay inside it: 2.5 % growth per side + 2 % shift.
FLIP_PROBABILITY = 0.5
SCALE_JITTER = 0.05         # scale factor in [1 / (1 + j), 1 + j], about the frame centre
SHIFT_JITTER = 0.02         # translation up to this share of the width / height
HUE_JITTER = 0.04           # hue rotation up to this many turns (in YIQ, so white stays white)
SATURATION_JITTER = 0.15    # saturation times [1 - j, 1 + j]

# RGB -> YIQ (NTSC). Its I and Q rows sum to zero, so greys, white included, have I = Q = 0.
_RGB_TO_YIQ = np.array([[0.299, 0.587, 0.114],
                        [0.596, -0.274, -0.322],
                        [0.211, -0.523, 0.312]])
_YIQ_TO_RGB = np.linalg.inv(_RGB_TO_YIQ)


# ------------------------------------------------------------------------------ reading
def _read(layout: DatasetLayout, name: str):
    """``(image, mask)``: the garment photo (RGB or RGBA PIL) and its cloth-mask thresholded at
    :data:`MASK_THRESHOLD` as ``(H, W)`` bool, or None without a cloth-mask file."""
    image = load_image(layout.cloth / name, keep_alpha=True, what="garment image")
    mask_path = layout.cloth_mask / name
    if not mask_path.is_file():
        return image, None
    return image, np.asarray(load_image(mask_path, what="garment mask").convert("L")) >= MASK_THRESHOLD


def load_garment(layout: DatasetLayout, name: str, size: tuple[int, int] = GARMENT_VAE_SIZE) -> PreparedGarment:
    """Prepare garment ``name`` of a layout as inference would, with its cloth-mask.

    The mask is the data set's cloth-mask thresholded at :data:`MASK_THRESHOLD`; without a
    cloth-mask file the garment is segmented automatically (as for a shopper's upload).

    Raises:
        TryOnError: unreadable image or mask, or a garment that cannot be prepared.
    """
    image, mask = _read(layout, name)
    return prepare_garment(image, mask=mask, size=size)


def mask_stats(image, mask: np.ndarray) -> dict:
    """How a given garment mask compares with the automatic segmentation of ``image``.

    Returns:
        ``{"coverage": share of the photo in the mask, "miss": share of the automatically
        found garment outside the mask (None when the automatic segmentation finds nothing)}``.
    """
    stats = {"coverage": float(mask.mean()), "miss": None}
    try:
        auto, _, _ = segment_garment(image)
    except TryOnError:
        return stats
    if auto.shape == mask.shape and auto.any():
        stats["miss"] = float(np.count_nonzero(auto & ~mask) / np.count_nonzero(auto))
    return stats


def mask_problem(stats: dict | None) -> str | None:
    """Why a cloth-mask with these :func:`mask_stats` is not trusted, or None."""
    if stats is None:
        return None
    if stats["coverage"] > MAX_COVERAGE:
        return (f"Its cloth-mask covers {stats['coverage']:.0%} of the photo, so it does not outline "
                "a garment.")
    if stats["miss"] is not None and stats["miss"] > MAX_MASK_MISS:
        return f"Its cloth-mask misses {stats['miss']:.0%} of the garment in the photo."
    return None


# ----------------------------------------------------------------------------- augmentation
def _uniform(low: float, high: float, generator: torch.Generator | None) -> float:
    return low + (high - low) * float(torch.rand((), generator=generator))


def _geometry(size: tuple[int, int], flip: bool, scale: float, shift: tuple[float, float]) -> np.ndarray:
    """``(2, 3)`` affine: mirror (optional), scale about the frame centre, then shift (px)."""
    h, w = size
    cx, cy = (w - 1) / 2, (h - 1) / 2
    sx = -scale if flip else scale
    return np.array([[sx, 0.0, cx - sx * cx + shift[0]],
                     [0.0, scale, cy - scale * cy + shift[1]]])


def colour_matrix(hue_turns: float, saturation: float) -> np.ndarray:
    """``(3, 3)`` matrix on RGB: rotate hue and scale saturation in YIQ (greys unchanged)."""
    a = 2 * math.pi * hue_turns
    chroma = saturation * np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    yiq = np.eye(3)
    yiq[1:, 1:] = chroma
    return _YIQ_TO_RGB @ yiq @ _RGB_TO_YIQ


def augment_garment(array: np.ndarray, generator: torch.Generator | None = None) -> torch.Tensor:
    """Random flip, scale/shift jitter and hue/saturation jitter of one stored garment.

    Args:
        array: ``(4, H, W)`` uint8 as stored (RGB, mask 0 / 255).
        generator: torch RNG (default: the global one, which DataLoader seeds per worker).

    Returns:
        ``(4, H, W)`` float32 in ``[-1, 1]`` like :func:`~tryon.conditioning.garment_tensor`: the
        mask stays exactly -1 / 1, the RGB is white off the mask, colours change only on the garment.
    """
    _, h, w = array.shape
    flip = float(torch.rand((), generator=generator)) < FLIP_PROBABILITY
    scale = math.exp(_uniform(-math.log1p(SCALE_JITTER), math.log1p(SCALE_JITTER), generator))
    shift = (_uniform(-SHIFT_JITTER, SHIFT_JITTER, generator) * w,
             _uniform(-SHIFT_JITTER, SHIFT_JITTER, generator) * h)
    hwc = np.ascontiguousarray(array.transpose(1, 2, 0))
    warped = cv2.warpAffine(hwc, _geometry((h, w), flip, scale, shift), (w, h), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=(WHITE, WHITE, WHITE, 0))
    mask = warped[..., 3] >= MASK_THRESHOLD
    matrix = colour_matrix(_uniform(-HUE_JITTER, HUE_JITTER, generator),
                     _uniform(1 - SATURATION_JITTER, 1 + SATURATION_JITTER, generator))
    rgb = np.clip(warped[..., :3].astype(np.float32) @ matrix.T.astype(np.float32), 0, UINT8_MAX)
    rgb[~mask] = WHITE
    out = np.concatenate([rgb, np.where(mask, UINT8_MAX, 0)[..., None].astype(np.float32)], 2)
    return to_tensor(out)


# ------------------------------------------------------------------------------------ cache
def cache_path(cache_dir: Path, names: Sequence[str], size: tuple[int, int], prefix: str = CACHE_PREFIX) -> Path:
    """``<cache_dir>/<prefix>_<H>x<W>_<sha1 of the newline-joined names>[:10].npy``."""
    digest = hashlib.sha1("\n".join(names).encode()).hexdigest()[:NAME_HASH_CHARS]
    return Path(cache_dir) / f"{prefix}_{size[0]}x{size[1]}_{digest}.npy"


def cached_arrays(cache_file: Path, build) -> tuple[np.ndarray, object]:
    """``(array, info)`` kept as ``cache_file`` (``.npy``) beside ``cache_file.with_suffix(".json")``:
    read back when both are there, else ``build()`` and written, the ``.npy`` last and atomically
    (its presence marks a complete cache)."""
    info_file = cache_file.with_suffix(".json")
    if cache_file.is_file() and info_file.is_file():
        return np.load(cache_file), json.loads(info_file.read_text())
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    data, info = build()
    atomic_write(info_file, lambda f: f.write(json.dumps(info, indent=1).encode()))
    atomic_write(cache_file, lambda f: np.save(f, data))
    return data, info


def _precompute(layout: DatasetLayout, names: Sequence[str], size: tuple[int, int],
                progress: bool) -> tuple[np.ndarray, dict]:
    """Prepare every garment: ``(N, 4, H, W)`` uint8 (zeros where preparation failed) and
    ``{"skipped": {name: reason}, "mask_stats": [mask_stats or None per name]}``."""
    data = np.zeros((len(names), 4, *size), np.uint8)
    skipped: dict[str, str] = {}
    stats: list[dict | None] = [None] * len(names)
    for i, name in enumerate(tqdm(names, desc="garments", unit="garment", disable=not progress)):
        try:
            image, mask = _read(layout, name)
            data[i] = garment_rgba(prepare_garment(image, mask=mask, size=size)).transpose(2, 0, 1)
        except TryOnError as err:
            skipped[name] = str(err)
            continue
        if not data[i, 3].any():
            skipped[name] = "The garment vanished when scaled to the model's size."
        elif mask is not None:
            stats[i] = mask_stats(image, mask)
    return data, {"skipped": skipped, "mask_stats": stats}


def _load_or_build(cache_file: Path, layout: DatasetLayout, names: Sequence[str], size: tuple[int, int],
                   progress: bool) -> tuple[np.ndarray, dict]:
    """The cached ``(array, info)`` of these garments, prepared and saved first if absent."""
    data, info = cached_arrays(cache_file, lambda: _precompute(layout, names, size, progress))
    if data.shape != (len(names), 4, *size) or len(info["mask_stats"]) != len(names):
        raise TryOnError(f"The garment cache '{cache_file}' does not match its names; delete it.")
    return data, info


class GarmentDataset(torch.utils.data.Dataset):
    """Prepared garments of a VITON-style layout, served from memory.

    Items: ``{"garment": (4, H, W) float32 in [-1, 1], "name": str}``; the channels are RGB on
    white, then the mask as -1 / 1 (see :func:`tryon.conditioning.garment_tensor`).

    Args:
        layout: the data set (``cloth/`` and ``cloth-mask/`` are read).
        names: garment file names, e.g. :func:`tryon.data.split.train_garments`.
        size: ``(H, W)`` of the items.
        augment: random flip, scale/shift and hue/saturation jitter (:func:`augment_garment`).
        cache_dir: where the prepared garments are kept (default ``<split>/tryon-cache``).
        mask_check: leave out garments whose cloth-mask is not trusted (see module docstring).
        progress: show a progress bar while preparing.

    Attributes:
        names: the garments served, in the order given, without the skipped ones.
        skipped: ``{name: reason}``: garments that could not be prepared or whose cloth-mask
            is not trusted.
        cache_file: the ``.npy`` holding the prepared garments.
    """

    def __init__(self, layout: DatasetLayout, names: Sequence[str], *, size: tuple[int, int] = GARMENT_VAE_SIZE,
                 augment: bool = False, cache_dir: str | Path | None = None,
                 mask_check: bool = True, progress: bool = True) -> None:
        names = list(names)
        self.size = tuple(size)
        self.augment = augment
        cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir(layout.split)
        self.cache_file = cache_path(cache_dir, names, self.size)
        data, info = _load_or_build(self.cache_file, layout, names, self.size, progress)
        self.skipped: dict[str, str] = dict(info["skipped"])
        for name, stats in zip(names, info["mask_stats"]):
            problem = mask_problem(stats) if mask_check else None
            if problem and name not in self.skipped:
                self.skipped[name] = problem
        self._data = data
        self._rows = np.array([i for i, n in enumerate(names) if n not in self.skipped], np.int64)
        self.names = [names[i] for i in self._rows]

    def __len__(self) -> int:
        return len(self._rows)

    def stored(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Served garments ``start:stop`` as stored, never augmented: ``(N, 4, H, W)`` uint8 (RGB on
        white, then the mask as 0 / 255); fast where a DataLoader pass over every item is slow."""
        return self._data[self._rows[start:stop]]

    def stored_tensors(self, start: int = 0, stop: int | None = None) -> torch.Tensor:
        """:meth:`stored` as the un-augmented items hold them: ``(N, 4, H, W)`` float32 in ``[-1, 1]``."""
        return torch.from_numpy(self.stored(start, stop).astype(np.float32) / HALF_UINT8 - 1.0)

    def __getitem__(self, index: int) -> dict:
        array = self._data[self._rows[index]]
        garment = augment_garment(array) if self.augment else to_tensor(array.transpose(1, 2, 0))
        return {"garment": garment, "name": self.names[index]}
