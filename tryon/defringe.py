"""Garment edges without the background's colour.

A garment photographed on a red sheet keeps a red rim in its cut-out: the mask's outermost
pixels mix the garment with the sheet (the camera's blur, JPEG, a mask a pixel too wide). On a
1024 px photo one pixel of a 224 px garment photo becomes four, and the try-on draws a red
line along every edge. Here each pixel of the rim is taken as a mix ``C = a F + (1 - a) B`` of
the garment's colour nearby (``F``: the mask's interior, blurred) and the background's nearby
(``B``: the band just outside the mask, blurred); its share ``a`` is where ``C`` projects on
the line from ``B`` to ``F``, and the background's part is swapped for the garment's:
``C + (1 - a) (F - B)``. A rim pixel that is wholly garment (``a = 1``) keeps its colour, so
a dark hem or a stripe that reaches the edge stays; one that is wholly background becomes the
garment's colour beside it. Where garment and background have nearly the same colour nothing
can be told apart and nothing changes (nor would a rim show).

Only colours change; the mask, and so the garment's shape and keypoints, stay as they were.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["defringe", "RIM_FRACTION", "MIN_RIM_PX"]

RIM_FRACTION = 0.02    # the rim's width: this share of the mask's longer side (4.5 px at 224 px)...
MIN_RIM_PX = 2         # ...and at least this many pixels
BLUR_PER_RIM = 1.5     # the colour estimates F and B: Gaussian sigma, in rim widths
MIN_CONTRAST = 24.0    # F and B closer than this (RGB distance, of 255) cannot be told apart;
FULL_CONTRAST = 48.0   # from here up the rim is mended fully (a linear ramp between)
MIN_WEIGHT = 1e-3      # a normalised blur needs this much support
WORK_SIDE = 256        # px: the colour estimates of larger photos are made at this size


def _local_sums(rgb: np.ndarray, where: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian (``sigma`` px) sums of ``where``'s colours and of ``where`` itself around each
    pixel: ``(H, W, 4)`` float32, colour premultiplied, then the support (their mean colour is
    ``[..., :3] / [..., 3]``). Both are smooth, so a large photo's are computed at most
    :data:`WORK_SIDE` px on a side and resized back."""
    h, w = where.shape
    f = max(1.0, max(h, w) / WORK_SIDE)
    premultiplied, weight = np.where(where[..., None], rgb, 0), where.astype(np.float32)
    if f > 1.0:
        size = (max(1, round(w / f)), max(1, round(h / f)))
        premultiplied = cv2.resize(premultiplied, size, interpolation=cv2.INTER_AREA)
        weight = cv2.resize(weight, size, interpolation=cv2.INTER_AREA)
    stack = cv2.GaussianBlur(np.dstack([premultiplied.astype(np.float32), weight]), (0, 0), sigma / f)
    return cv2.resize(stack, (w, h), interpolation=cv2.INTER_LINEAR) if f > 1.0 else stack


def defringe(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The garment photo with its rim's background colour swapped for the garment's.

    Args:
        rgb: ``(H, W, 3)`` uint8 garment photo.
        mask: ``(H, W)`` bool, True on the garment.

    Returns:
        ``(H, W, 3)`` uint8; equal to ``rgb`` outside the rim (the mask's outer
        ``max(MIN_RIM_PX, RIM_FRACTION x longer side)`` pixels).
    """
    m = mask.astype(np.uint8)
    ys, xs = np.nonzero(m)
    if len(xs) == 0 or m.all():
        return rgb.copy()
    rim = max(float(MIN_RIM_PX), RIM_FRACTION * max(np.ptp(ys) + 1, np.ptp(xs) + 1))
    inside = cv2.distanceTransform(m, cv2.DIST_L2, 3)
    outside = cv2.distanceTransform(1 - m, cv2.DIST_L2, 3)
    ring = (inside > 0) & (inside <= rim)
    if not ring.any():
        return rgb.copy()
    # Crop to the rim's neighbourhood: the blurs need only what lies within a few sigmas of it.
    sigma = BLUR_PER_RIM * rim
    pad = int(np.ceil(rim + 3 * sigma))
    ry, rx = np.nonzero(ring)
    y0, y1 = max(ry.min() - pad, 0), min(ry.max() + pad + 1, m.shape[0])
    x0, x1 = max(rx.min() - pad, 0), min(rx.max() + pad + 1, m.shape[1])
    crop, sel = rgb[y0:y1, x0:x1], ring[y0:y1, x0:x1]
    away = outside[y0:y1, x0:x1]
    g = _local_sums(crop, inside[y0:y1, x0:x1] > rim, sigma)[sel]   # from here on, the rim's pixels
    b = _local_sums(crop, (away > 1) & (away <= 1 + 2 * rim), sigma)[sel]
    g_support, b_support = g[:, 3], b[:, 3]
    garment = g[:, :3] / np.maximum(g_support, MIN_WEIGHT)[:, None]
    ground = b[:, :3] / np.maximum(b_support, MIN_WEIGHT)[:, None]
    c = crop[sel].astype(np.float32)
    fb = garment - ground
    contrast = np.linalg.norm(fb, axis=-1)
    share = np.clip(((c - ground) * fb).sum(-1) / np.maximum(contrast, 1.0) ** 2, 0.0, 1.0)
    trust = np.clip((contrast - MIN_CONTRAST) / (FULL_CONTRAST - MIN_CONTRAST), 0.0, 1.0)
    trust *= (g_support > MIN_WEIGHT) & (b_support > MIN_WEIGHT)
    mended = c + ((1.0 - share) * trust)[..., None] * fb
    out = rgb.copy()
    out[y0:y1, x0:x1][sel] = np.clip(mended + 0.5, 0, 255).astype(np.uint8)
    return out
