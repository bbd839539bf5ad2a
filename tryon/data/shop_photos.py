"""In-shop garment photos as they are, beside the same garments prepared for the garment VAE.

The garment refiner (:mod:`tryon.training.garment_refiner`) learns to draw a designer's coarse
decoding as the shop's own photo: its input is the prepared garment (``prepare_garment``'s
framing, at the designer's 128x96), its target the ``cloth/`` photo at the output size with its
cloth-mask, framed as the photo frames it. Each item carries both garments' bounding boxes, so
the coarse decoding can be moved onto the photo's framing exactly (:func:`tryon.garment_framing.reframe`).
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from tryon.data.garments import MASK_THRESHOLD, GarmentDataset
from tryon.data.layout import DatasetLayout
from tryon.io import load_image
from tryon.tensors import HALF_UINT8, UINT8_MAX

__all__ = ["ShopPhotos", "array_box"]

FLIP_PROBABILITY = 0.5
WHITE = 255


def array_box(mask: np.ndarray) -> np.ndarray:
    """``(H, W)`` bool mask -> ``(4,)`` float32 ``(y0, y1, x0, x1)`` in [0, 1] (the whole frame if empty)."""
    ys, xs = np.nonzero(mask)
    if not len(ys):
        return np.array([0.0, 1.0, 0.0, 1.0], np.float32)
    h, w = mask.shape
    return np.array([ys.min() / h, (ys.max() + 1) / h, xs.min() / w, (xs.max() + 1) / w], np.float32)


class ShopPhotos(Dataset):
    """Pairs of (prepared garment, its shop photo).

    Args:
        layout: the data set (``cloth/`` and ``cloth-mask/``).
        prepared: the same garments prepared (a :class:`GarmentDataset` at the designer's size,
            not augmented); its served names are this set's.
        size: ``(H, W)`` of the photos served (resized by area when they differ).
        augment: a random horizontal flip of both, boxes included.

    Items: ``garment`` ``(4, h, w)`` in [-1, 1] (RGB on white + mask), ``source`` its box ``(4,)``;
    ``photo`` ``(3, H, W)`` in [-1, 1], ``photo_mask`` ``(1, H, W)`` in {-1, 1}, ``target`` the
    photo mask's box ``(4,)``; ``name``.
    """

    def __init__(self, layout: DatasetLayout, prepared: GarmentDataset, size: tuple[int, int],
                 augment: bool = False) -> None:
        if prepared.augment:
            raise ValueError("ShopPhotos needs the prepared garments as stored (augment=False)")
        self.layout, self.prepared, self.size, self.augment = layout, prepared, tuple(size), augment
        self.names = prepared.names

    def __len__(self) -> int:
        return len(self.prepared)

    def _photo(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """``(rgb (H, W, 3) uint8 on white, mask (H, W) bool)`` at :attr:`size`."""
        image = load_image(self.layout.cloth / name, keep_alpha=True, what="garment image")
        rgba = np.asarray(image.convert("RGBA")).astype(np.float32)
        rgb = rgba[..., :3] * (rgba[..., 3:] / UINT8_MAX) + WHITE * (1 - rgba[..., 3:] / UINT8_MAX)
        mask_path = self.layout.cloth_mask / name
        if mask_path.is_file():
            mask = np.asarray(load_image(mask_path, what="garment mask").convert("L")) >= MASK_THRESHOLD
        else:  # no cloth-mask: what is not white
            mask = rgb.min(2) < WHITE - 8
        h, w = self.size
        if rgb.shape[:2] != (h, w):
            rgb = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA)
            mask = cv2.resize(mask.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0
        return np.clip(rgb + 0.5, 0, UINT8_MAX).astype(np.uint8), mask

    def __getitem__(self, index: int) -> dict:
        stored = self.prepared.stored(index, index + 1)[0]                 # (4, h, w) uint8
        rgb, mask = self._photo(self.names[index])
        if self.augment and float(torch.rand(())) < FLIP_PROBABILITY:
            stored, rgb, mask = stored[:, :, ::-1], rgb[:, ::-1], mask[:, ::-1]
        garment = torch.from_numpy(np.ascontiguousarray(stored).astype(np.float32) / HALF_UINT8 - 1.0)
        photo = torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1)).astype(np.float32) / HALF_UINT8 - 1.0)
        return {"garment": garment, "source": torch.from_numpy(array_box(stored[3] >= MASK_THRESHOLD)),
                "photo": photo, "photo_mask": torch.from_numpy(np.where(mask, 1.0, -1.0)[None].astype(np.float32)),
                "target": torch.from_numpy(array_box(mask)), "name": self.names[index]}
