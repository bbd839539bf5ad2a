"""The body-shape data set: aligned silhouettes and pose heatmaps, for the body-shape VAE.

Items are what :func:`tryon.body.body_shape_input` makes of a person photo at inference, rebuilt
from the landmark cache (``tryon prepare``) instead of running MediaPipe again.

Augmentation happens where it is meaningful for an aligned input:

* horizontal flip BEFORE alignment: the photo's mask is mirrored, landmark ``x -> 1 - x`` and
  left/right landmarks swapped (:data:`~tryon.constants.LANDMARK_FLIP`), then aligned as usual;
* scale jitter AFTER alignment (``align`` normalises the body's scale away): the frame is scaled
  about the shoulder anchor (``body_shape_input(..., scale=)``), an alignment a few per cent off.
"""

from __future__ import annotations

import math
from typing import Sequence

import cv2
import numpy as np
import torch

from tryon import constants as C
from tryon.body import body_shape_input
from tryon.data.cache import CacheEntry, LandmarkCache
from tryon.pose import PoseResult

__all__ = ["BodyDataset", "rebuild_pose", "flip_pose"]

FLIP_PROBABILITY = 0.5
SCALE_JITTER = 0.05          # aligned scale times [1 / (1 + j), 1 + j]
ASPECT_TOLERANCE = 0.01      # cached masks whose aspect differs more from the photo's are un-stretched


def rebuild_pose(entry: CacheEntry) -> PoseResult:
    """The :class:`~tryon.pose.PoseResult` MediaPipe gave for a cached photo.

    Landmarks are fractions of the photo, so the photo size is taken as the cached mask's
    ``(W, H)``. The cache stores masks at the frame size; for a photo of another aspect ratio
    (not VITON / VITON-HD, which are 3:4 like the frame) the mask is first stretched back to
    the photo's aspect, so that the body keeps its proportions.
    """
    mask = entry.mask
    h, w = mask.shape
    photo_w, photo_h = entry.size
    if abs(photo_w / photo_h - w / h) > ASPECT_TOLERANCE * w / h:
        w = max(1, round(h * photo_w / photo_h))
        mask = cv2.resize(mask, (w, h), interpolation=cv2.INTER_LINEAR)
    return PoseResult(entry.landmarks.astype(np.float32), mask.astype(np.float32), (w, h))


def flip_pose(pose: PoseResult) -> PoseResult:
    """The pose of the mirrored photo: mask mirrored, ``x -> 1 - x``, left and right swapped."""
    landmarks = pose.landmarks[list(C.LANDMARK_FLIP)].copy()
    landmarks[:, 0] = 1.0 - landmarks[:, 0]
    return PoseResult(landmarks, np.ascontiguousarray(pose.mask[:, ::-1]), pose.image_size,
                      people=pose.people, warnings=list(pose.warnings))


class BodyDataset(torch.utils.data.Dataset):
    """Aligned body shapes of the cached person photos that pass the upper-body check.

    Items: ``{"body": (1 + 15, H, W) float32 in [-1, 1], "silhouette": (1, H, W) float32 in
    {0, 1}, "name": str}``. ``body`` is the silhouette then the pose heatmaps, as
    :func:`tryon.body.body_shape_input` makes them. With ``augment``: a horizontal flip
    (probability 0.5) and a scale jitter of +-5 %, see the module docstring.

    Attributes:
        names: the photos served (cache order when ``names`` is None, else the order given).
        skipped: ``{name: reason}`` of requested photos absent from the cache or not ``ok``.
    """

    def __init__(self, cache: LandmarkCache, names: Sequence[str] | None = None, *,
                 size: tuple[int, int] = C.BODY_VAE_SIZE, augment: bool = False) -> None:
        self.cache = cache
        self.size = tuple(size)
        self.augment = augment
        wanted = list(cache) if names is None else list(names)
        self.skipped: dict[str, str] = {}
        for name in wanted:
            if name not in cache:
                self.skipped[name] = "not in the landmark cache (unreadable, no person, or not prepared)"
            elif not cache.ok[cache.index[name]]:
                self.skipped[name] = str(cache.reason[cache.index[name]]) or "fails the upper-body check"
        self.names = [n for n in wanted if n not in self.skipped]

    def __len__(self) -> int:
        return len(self.names)

    def pose(self, index: int) -> PoseResult:
        """The rebuilt :class:`~tryon.pose.PoseResult` of item ``index`` (not flipped)."""
        return rebuild_pose(self.cache[self.names[index]])

    def item(self, index: int, *, flip: bool = False, scale: float = 1.0) -> dict:
        """Item ``index`` with the given augmentation (``flip`` the photo, ``scale`` the frame)."""
        pose = self.pose(index)
        if flip:
            pose = flip_pose(pose)
        x, silhouette = body_shape_input(pose, self.size, scale=scale)
        return {"body": torch.from_numpy(x),
                "silhouette": torch.from_numpy(silhouette[None].astype(np.float32)),
                "name": self.names[index]}

    def __getitem__(self, index: int) -> dict:
        if not self.augment:
            return self.item(index)
        flip = float(torch.rand(())) < FLIP_PROBABILITY
        log_j = math.log1p(SCALE_JITTER)
        scale = math.exp(float(torch.empty(()).uniform_(-log_j, log_j)))
        return self.item(index, flip=flip, scale=scale)
