"""Mask morphology in the model frame: disk kernels, erosion and feathered alphas, the
pixels of a label map that carry given labels, and the torso's quadrilateral.

Shared by the repaint region (:mod:`tryon.region`) and the paste-back (:mod:`tryon.paste`).
Masks are ``(H, W)``; radii are in frame pixels.
"""

from __future__ import annotations

import cv2
import numpy as np

from tryon import constants as C

__all__ = ["disk", "erode", "feather", "extend_past", "nearest_pixels", "labelled", "torso_quad"]

BEYOND_REACH = 3        # feather(beyond=): the mask grows this many fade radii into pixels off the photo
MIN_NEAR_WEIGHT = 1e-3  # extend_past: off-photo pixels with less of the photo near them than this stay


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


def feather(mask: np.ndarray, radius: float, beyond: np.ndarray | None = None) -> np.ndarray:
    """Soft ``(H, W)`` float32 alpha in ``[0, 1]`` that fades to 0 at the mask's edge.

    The fade lies INSIDE the mask: the result is exactly 0 wherever ``mask`` is 0.

    Args:
        mask: ``(H, W)`` bool or float in ``[0, 1]``.
        radius: the fade's width, in pixels.
        beyond: optional ``(H, W)`` bool, pixels off the photo (the frame past its edges): the
            mask is taken to go on through them, so it does not fade toward the photo's edge
            (the old garment showed through a band along the edge of a photo cropped across
            the torso); the result is then nonzero on those of them next to the mask as well.
    """
    m = (mask > 0).astype(np.float32) if mask.dtype == bool else mask.astype(np.float32)
    r = int(round(radius))
    if r < 1:
        return m
    if beyond is not None and beyond.any():  # grown into the pixels off the photo, past the fade's reach
        m = np.where(beyond, cv2.dilate(m, disk(BEYOND_REACH * r)), m)
    inner = cv2.erode(m, disk(r))
    soft = cv2.GaussianBlur(inner, (0, 0), sigmaX=max(radius / 2, 0.5))
    return np.minimum(soft, m) * (m > 0)


def extend_past(values: np.ndarray, valid: np.ndarray, reach: float) -> np.ndarray:
    """``values`` (``(H, W)`` or ``(H, W, C)``) with the pixels off the photo (``~valid``,
    ``(H, W)`` bool) within about ``reach`` pixels of it taken from the photo's pixels near them
    (a normalised Gaussian of sigma ``reach / 2``), the rest as they were, in ``values``' dtype.
    Bilinear resampling onto the photo reads up to one frame pixel past its edge: there it
    reads these, not what the network drew off the photo."""
    if valid.all():
        return values
    v = valid.astype(np.float32)
    sigma = max(reach / 2.0, 0.5)
    weight = cv2.GaussianBlur(v, (0, 0), sigma)
    spread = cv2.GaussianBlur(values.astype(np.float32) * (v if values.ndim == 2 else v[..., None]), (0, 0), sigma)
    near = ~valid & (weight > MIN_NEAR_WEIGHT)
    out = values.copy()
    filled = spread[near] / (weight[near] if values.ndim == 2 else weight[near][:, None])
    out[near] = np.round(filled) if np.issubdtype(values.dtype, np.integer) else filled
    return out


def nearest_pixels(mask: np.ndarray, mask_size: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """For each pixel, how far the nearest pixel of ``mask`` is and which one it is.

    Args:
        mask: ``(H, W)`` bool with at least one True pixel.
        mask_size: OpenCV's distance mask (3 or 5; 5 is closer to Euclidean).

    Returns:
        ``(distance, index)``: ``(H, W)`` float32 pixels, and ``(H, W)`` int64 flat indices into
        ``mask`` of each pixel's nearest True pixel.
    """
    distance, label = cv2.distanceTransformWithLabels((~mask).astype(np.uint8), cv2.DIST_L2, mask_size,
                                                      labelType=cv2.DIST_LABEL_PIXEL)
    index = np.zeros(int(label.max()) + 1, np.int64)  # each True pixel has its own label
    index[label[mask]] = np.flatnonzero(mask)
    return distance, index[label]


def torso_quad(landmarks: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``(H, W)`` bool: the quadrilateral of the shoulder and hip joints (``landmarks`` ``(33, 2+)``,
    frame pixels first)."""
    p = landmarks[:, :2]
    quad = np.array([p[C.LEFT_SHOULDER], p[C.RIGHT_SHOULDER], p[C.RIGHT_HIP], p[C.LEFT_HIP]])
    torso = np.zeros(size, np.uint8)
    cv2.fillConvexPoly(torso, np.round(quad).astype(np.int32), 1)
    return torso.astype(bool)
