"""Compositing a warped garment over a person, keeping the person's shading.

The baseline renderer: the garment's colours, modulated by the person's own light and folds
(their luminance relative to its local mean under the garment), alpha-blended over the person.
"""

from __future__ import annotations

import cv2
import numpy as np

from tryon import constants as C
from tryon.smooth import wide_gaussian

__all__ = ["shading_map", "composite"]

SHADING_DETAIL_SIGMA = 0.012  # fraction of frame height: blur that drops print/texture detail
SHADING_BASE_SIGMA = 0.08     # fraction of frame height: the local mean that folds vary around
SHADING_MIN, SHADING_MAX = 0.7, 1.2  # clamp: shading darkens or brightens at most this much
SHADING_STRENGTH = 0.6        # 0 = flat garment, 1 = the person's full relative shading
SHADING_WORK_HEIGHT = 256     # px: shading is estimated at this height, then upsampled
SHADING_DARK = 50.0           # luma (0-255) added to both sides of the ratio where the old top is black, less
DARK_LUMA = 100.0             # as its local mean nears this, none from here: a black top's faint highlights
                              # (luma 20 -> 40) doubled the ratio and lit glows on a pink garment
DETAIL_MIN_WEIGHT = 0.05      # the detail blur reads the garment's own pixels where they weigh this much
_LUMA = np.array(C.LUMA_RGB, np.float32)


def shading_map(person: np.ndarray, alpha: np.ndarray, *, strength: float = SHADING_STRENGTH,
                detail: float = SHADING_DETAIL_SIGMA, neutral: np.ndarray | None = None) -> np.ndarray:
    """Relative shading of the person under the garment.

    Args:
        person: ``(H, W, 3)`` uint8 RGB person in the frame.
        alpha: ``(H, W)`` float32 in ``[0, 1]``, where the garment goes: the person's tone is read
            (and blurred) over the pixels where it is above 0.5 alone.
        strength: exponent applied to the ratio (0 gives all ones).
        detail: Gaussian sigma, as a fraction of the height, that blurs away print and texture
            before the ratio is taken (larger: only broad folds and light remain).
        neutral: ``(H, W)`` bool, where the person's tone says nothing of the garment's light
            (bare skin a new sleeve dresses: lighter than the old top, it lit the sleeve white);
            the shading there is 1 and it does not count in the local mean. None: nowhere.

    Returns:
        ``(H, W)`` float32 multiplier around 1, in ``[SHADING_MIN, SHADING_MAX] ** strength``.
    """
    full_h, full_w = person.shape[:2]
    if full_h > SHADING_WORK_HEIGHT:  # folds and light are smooth: estimate them smaller
        size = (max(1, round(full_w * SHADING_WORK_HEIGHT / full_h)), SHADING_WORK_HEIGHT)
        person = cv2.resize(person, size, interpolation=cv2.INTER_AREA)
        alpha = cv2.resize(alpha, size, interpolation=cv2.INTER_AREA)
        if neutral is not None:
            neutral = cv2.resize(neutral.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0.5
    h = person.shape[0]
    rgb = person.astype(np.float32)  # (weighted by hand: a BLAS product here woke its threads, see sleeve_fit._dot)
    luma = rgb[..., 0] * _LUMA[0] + rgb[..., 1] * _LUMA[1] + rgb[..., 2] * _LUMA[2] + 1.0
    detail_sigma = max(detail * h, 0.5)
    weight = (alpha > 0.5).astype(np.float32)
    if neutral is not None:
        weight *= ~neutral
    # Blurred over the pixels that count alone: blurred with the skin and background beside them,
    # an old V-neck's skin lit a glow on the new garment around it, and a forearm in front a halo.
    spread = cv2.GaussianBlur(weight, (0, 0), sigmaX=detail_sigma)
    own = cv2.GaussianBlur(luma * weight, (0, 0), sigmaX=detail_sigma) / np.maximum(spread, DETAIL_MIN_WEIGHT)
    detail = np.where(spread > DETAIL_MIN_WEIGHT, own, cv2.GaussianBlur(luma, (0, 0), sigmaX=detail_sigma))
    sigma = SHADING_BASE_SIGMA * h
    num = wide_gaussian(detail * weight, sigma)
    den = wide_gaussian(weight, sigma)
    base = np.where(den > 1e-3, num / np.maximum(den, 1e-3), detail)
    offset = SHADING_DARK * np.clip(1.0 - base / DARK_LUMA, 0.0, 1.0)   # (only where the old top is dark)
    ratio = np.clip((detail + offset) / (np.maximum(base, 1.0) + offset), SHADING_MIN, SHADING_MAX) ** strength
    if neutral is not None and neutral.any():
        share = cv2.GaussianBlur(neutral.astype(np.float32), (0, 0), sigmaX=detail_sigma)
        ratio = ratio * (1.0 - share) + share
    if ratio.shape != (full_h, full_w):
        ratio = cv2.resize(ratio, (full_w, full_h), interpolation=cv2.INTER_LINEAR)
    return ratio


def composite(person: np.ndarray, garment: np.ndarray, alpha: np.ndarray, shading: np.ndarray | None = None) -> np.ndarray:
    """Blend ``garment`` (times ``shading``) over ``person`` with ``alpha``.

    Args:
        person: ``(H, W, 3)`` uint8.
        garment: ``(H, W, 3)`` uint8.
        alpha: ``(H, W)`` float32 in ``[0, 1]``.
        shading: optional ``(H, W)`` float32 multiplier for the garment.

    Returns:
        ``(H, W, 3)`` uint8.
    """
    g = garment.astype(np.float32)
    if shading is not None:
        g = g * shading[..., None]
    a = alpha[..., None]
    out = person.astype(np.float32) * (1 - a) + g * a
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)
