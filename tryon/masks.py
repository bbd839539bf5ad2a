"""Mask morphology in the model frame: disk kernels, erosion and feathered alphas, the
pixels of a label map that carry given labels, and the torso's quadrilateral.

Shared by the repaint region (:mod:`tryon.region`) and the paste-back (:mod:`tryon.paste`).
Masks are ``(H, W)``; radii are in frame pixels.
"""

from __future__ import annotations

import cv2
import numpy as np

from tryon import constants as C

__all__ = ["disk", "erode", "feather", "labelled", "torso_quad"]


def labelled(labels: np.ndarray, ids) -> np.ndarray:
    """``labels == id`` for any of a few ``ids``: the same as ``np.isin(labels, ids)``, about ten
    times faster for the handful of parse labels a try-on asks for (``np.isin`` sorts).

    Args:
        labels: integer label map, any shape (e.g. ``(H, W)`` LIP ids).
        ids: an int or an iterable of ints.

    Returns:
        bool array of ``labels``' shape.
    """
    ids = (ids,) if np.isscalar(ids) else tuple(ids)
    out = np.zeros(labels.shape, bool)
    for i in ids:
        out |= labels == i
    return out


def disk(radius: float) -> np.ndarray:
    """An elliptic structuring element ``2 round(radius) + 1`` pixels wide."""
    k = 2 * int(round(radius)) + 1
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))


def erode(mask: np.ndarray, radius: float) -> np.ndarray:
    """``(H, W)`` bool ``mask`` shrunk by ``radius`` pixels (a disk); unchanged below 0.5 px."""
    if round(radius) < 1:
        return mask.astype(bool)
    return cv2.erode(mask.astype(np.uint8), disk(radius)).astype(bool)


def feather(mask: np.ndarray, radius: float) -> np.ndarray:
    """Soft ``(H, W)`` float32 alpha in ``[0, 1]`` that fades to 0 at the mask's edge.

    The fade lies INSIDE the mask: the result is exactly 0 wherever ``mask`` is 0.
    """
    m = (mask > 0).astype(np.float32) if mask.dtype == bool else mask.astype(np.float32)
    r = int(round(radius))
    if r < 1:
        return m
    inner = cv2.erode(m, disk(r))
    soft = cv2.GaussianBlur(inner, (0, 0), sigmaX=max(radius / 2, 0.5))
    return np.minimum(soft, m) * (m > 0)


def torso_quad(landmarks: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``(H, W)`` bool: the quadrilateral of the shoulder and hip joints (``landmarks`` ``(33, 2+)``,
    frame pixels first)."""
    p = landmarks[:, :2]
    quad = np.array([p[C.LEFT_SHOULDER], p[C.RIGHT_SHOULDER], p[C.RIGHT_HIP], p[C.LEFT_HIP]])
    torso = np.zeros(size, np.uint8)
    cv2.fillConvexPoly(torso, np.round(quad).astype(np.int32), 1)
    return torso.astype(bool)
