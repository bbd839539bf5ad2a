"""What the paired and the unpaired parts share: the measuring frame, the ground truth on disk, and
one :class:`Runner` that calls the try-on on the raw photos and remembers its refusals and times."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PIL import Image

from tryon import constants as C
from tryon.data.layout import DatasetLayout
from tryon.errors import TryOnError
from tryon.io import load_image

__all__ = ["EVAL_SIZE", "UNCHANGED_TOLERANCE", "GRID_ROWS", "Pair", "Runner", "at_eval_size", "to_uint8",
           "unchanged"]

Pair = tuple[str, str]

EVAL_SIZE = C.FRAME_SIZE          # (height, width) every figure is measured at: VITON's 256x192
UNCHANGED_TOLERANCE = 1.0 / 255   # a result within one 8-bit level of the photo everywhere is unchanged
GRID_ROWS = 4                     # rows of each kind (paired, unpaired) in the grid image


def at_eval_size(img: Image.Image) -> np.ndarray:
    """RGB image -> ``(H, W, 3)`` float32 in ``[0, 1]`` at :data:`EVAL_SIZE`.

    Shrinking averages pixels (box filter, i.e. area); enlarging is bicubic. A photo whose
    aspect ratio is not 3:4 is stretched, the result and its ground truth alike.
    """
    h, w = EVAL_SIZE
    img = img.convert("RGB")
    if img.size != (w, h):
        shrink = img.width >= w and img.height >= h
        img = img.resize((w, h), Image.Resampling.BOX if shrink else Image.Resampling.BICUBIC)
    return np.asarray(img, np.float32) / 255.0


def to_uint8(image: np.ndarray) -> np.ndarray:
    """``(H, W, 3)`` float in ``[0, 1]`` -> uint8 (clipped, rounded)."""
    return (np.clip(image, 0, 1) * 255).round().astype(np.uint8)


def unchanged(result: np.ndarray, photo: np.ndarray) -> bool:
    """Is the result the person photo itself (the try-on silently did nothing)?"""
    return bool(np.abs(result - photo).max() <= UNCHANGED_TOLERANCE)


def _labels(layout: DatasetLayout, person: str) -> np.ndarray | None:
    """The ground-truth LIP label map ``(H, W)`` uint8 at :data:`EVAL_SIZE`, or None when absent."""
    if layout.parse is None:
        return None
    path = layout.parse / f"{Path(person).stem}.png"
    if not path.is_file():
        return None
    with Image.open(path) as img:
        if img.mode not in ("P", "L"):
            return None  # a colour-coded parse image: its labels cannot be read back reliably
        labels = img.resize(EVAL_SIZE[::-1], Image.Resampling.NEAREST) if img.size != EVAL_SIZE[::-1] else img
        return np.asarray(labels, np.uint8).copy()


class Runner:
    """Runs ``pipe`` on a data set's raw photos for both parts of the evaluation.

    ``seconds`` holds the wall time of every try-on that gave a result; ``refused`` one dict
    (``person``, ``garment``, ``kind``, ``error``) per try-on the pipeline refused, in call order.
    """

    def __init__(self, pipe, layout: DatasetLayout, mode: str):
        self.pipe, self.layout, self.mode = pipe, layout, mode
        self.seconds: list[float] = []
        self.refused: list[dict] = []
        self._labels: dict[str, np.ndarray | None] = {}

    def __call__(self, person: str, garment: str, kind: str) -> np.ndarray | None:
        """The try-on of ``person`` in ``garment`` at :data:`EVAL_SIZE` (see :func:`at_eval_size`),
        or None when the pipeline refused it (recorded under ``kind``)."""
        t0 = time.perf_counter()
        try:
            out = self.pipe(self.layout.image / person, self.layout.cloth / garment, mode=self.mode)
        except TryOnError as err:
            self.refused.append({"person": person, "garment": garment, "kind": kind, "error": str(err)})
            return None
        self.seconds.append(time.perf_counter() - t0)
        return at_eval_size(out.image if isinstance(out.image, Image.Image) else Image.fromarray(out.image))

    def photo(self, person: str) -> np.ndarray:
        """The person photo (the paired ground truth) at :data:`EVAL_SIZE`."""
        return at_eval_size(load_image(self.layout.image / person, what="person photo"))

    def labels(self, person: str) -> np.ndarray | None:
        """The person's ground-truth label map at :data:`EVAL_SIZE` (read once), or None."""
        if person not in self._labels:
            self._labels[person] = _labels(self.layout, person)
        return self._labels[person]

    def garment_cell(self, garment: str) -> np.ndarray:
        """The garment photo as a uint8 grid cell at :data:`EVAL_SIZE`."""
        with Image.open(self.layout.cloth / garment) as img:
            return to_uint8(at_eval_size(img))
