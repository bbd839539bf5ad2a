"""The body-shape data set: aligned silhouettes and pose heatmaps, for the body-shape VAE.

Items are what :func:`tryon.body.body_shape_input` makes of a person photo at inference, rebuilt
from the landmark cache (``tryon prepare``) instead of running MediaPipe again.

Speed: ``body_shape_input`` spends ~3 ms of its ~4 ms in ``tryon.pose.heatmaps`` (a dense 2-D
Gaussian per channel), too slow to recompute per step and too large to store (15 x 128 x 96 maps
a person: ~5 GB in float16 for VITON). :func:`shape_input` computes the same thing in ~0.3 ms: the
same :func:`tryon.body.align` and :func:`tryon.body.warp_to_frame`, and the Gaussians as outer
products of 1-D ones (mathematically identical). :class:`BodyDataset` checks on construction
that it matches ``body_shape_input`` on its first person, so a change there cannot slip by.

Augmentation happens where it is meaningful for an aligned input:

* horizontal flip BEFORE alignment: the photo's mask is mirrored, landmark ``x -> 1 - x`` and
  left/right landmarks swapped (:data:`~tryon.constants.LANDMARK_FLIP`), then aligned as usual;
* scale jitter AFTER alignment (``align`` normalises the body's scale away): the frame is scaled
  about the shoulder anchor, i.e. an alignment a few per cent off, with heatmaps at their usual width.
"""

from __future__ import annotations

import math
from typing import Sequence

import cv2
import numpy as np
import torch

from tryon import constants as C
from tryon.body import Alignment, align, body_shape_input, warp_to_frame
from tryon.data.cache import CacheEntry, LandmarkCache
from tryon.pose import PoseResult

__all__ = ["BodyDataset", "rebuild_pose", "flip_pose", "shape_input"]

FLIP_PROBABILITY = 0.5
SCALE_JITTER = 0.05          # aligned scale times [1 / (1 + j), 1 + j]
SILHOUETTE_CUT = 0.5         # warped person-mask values above this are body (as body_shape_input)
ASPECT_TOLERANCE = 0.01      # cached masks whose aspect differs more from the photo's are un-stretched
SELF_CHECK_ATOL = 1e-4       # shape_input vs body_shape_input, max abs difference allowed


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


def _scaled(alignment: Alignment, scale: float) -> Alignment:
    """``alignment`` followed by a scaling of the frame about the shoulder anchor."""
    fh, fw = alignment.frame_size
    ax, ay = C.ALIGN_SHOULDER_X * fw, C.ALIGN_SHOULDER_Y * fh
    jitter = np.array([[scale, 0.0, ax * (1 - scale)], [0.0, scale, ay * (1 - scale)], [0.0, 0.0, 1.0]])
    return Alignment(jitter[:2] @ np.vstack([alignment.matrix, [0.0, 0.0, 1.0]]),
                     alignment.frame_size, alignment.image_size)


def _heatmaps(landmarks: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """:func:`tryon.pose.heatmaps` for one person, as separable Gaussians.

    Args:
        landmarks: ``(33, 3)`` with ``(x, y)`` as fractions of the frame, and visibility.
        size: ``(H, W)``.

    Returns:
        ``(len(POSE_MAP_LANDMARKS), H, W)`` float32 in ``[0, 1]``.
    """
    h, w = size
    lm = landmarks[list(C.POSE_MAP_LANDMARKS)].astype(np.float32)
    two_var = np.float32(2 * (C.HEATMAP_SIGMA * h) ** 2)
    gx = np.exp(-(np.arange(w, dtype=np.float32) - lm[:, :1] * w) ** 2 / two_var)  # (K, W)
    gy = np.exp(-(np.arange(h, dtype=np.float32) - lm[:, 1:2] * h) ** 2 / two_var)  # (K, H)
    gy *= np.clip(lm[:, 2:3], 0, 1)
    return gy[:, :, None] * gx[:, None, :]


def shape_input(pose: PoseResult, size: tuple[int, int] = C.BODY_VAE_SIZE,
                scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """:func:`tryon.body.body_shape_input`, fast, with an optional post-alignment ``scale``.

    Returns:
        ``(x, silhouette)``: ``x`` is ``(1 + K, H, W)`` float32 in ``[-1, 1]`` (silhouette,
        then K = len(POSE_MAP_LANDMARKS) heatmaps); ``silhouette`` is ``(H, W)`` bool.
        With ``scale == 1`` equal to ``body_shape_input(pose, size)`` up to float rounding.
    """
    alignment = align(pose, size)
    if scale != 1.0:
        alignment = _scaled(alignment, scale)
    silhouette = warp_to_frame(pose.mask.astype(np.float32), alignment) > SILHOUETTE_CUT
    lm = pose.pixels()
    lm[:, :2] = alignment.to_frame(lm[:, :2])
    lm[:, 0] /= size[1]
    lm[:, 1] /= size[0]
    x = np.concatenate([silhouette[None].astype(np.float32), _heatmaps(lm, size)], 0) * 2.0 - 1.0
    return x, silhouette


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
        if self.names:
            self._self_check()

    def _self_check(self) -> None:
        """Fail loudly if :func:`shape_input` no longer matches ``body_shape_input``."""
        pose = rebuild_pose(self.cache[self.names[0]])
        expected, _ = body_shape_input(pose, self.size)
        got, _ = shape_input(pose, self.size)
        if got.shape != expected.shape or np.abs(got - expected).max() > SELF_CHECK_ATOL:
            raise RuntimeError("tryon.data.bodies.shape_input no longer matches tryon.body.body_shape_input; "
                               "update it to the new body-shape input.")

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
        x, silhouette = shape_input(pose, self.size, scale)
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
