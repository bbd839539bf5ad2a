"""Attributes a designer edits, measured on a front-view garment image and its mask.

The design studio's sliders (:class:`tryon.models.latent_directions.LatentDirections`) are
fitted on these measures of the training garments, and the slider report
(:mod:`tryon.eval_sliders`) measures decoded garments with them. Every measure is a ratio or a
colour, so it does not depend on the image's size.

========================  =================================================================
attribute                 value
========================  =================================================================
``hue``                   degrees in ``[0, 360)``, the angle of the garment's mean CIELAB
                          ``(a*, b*)`` (0 red, ~90 yellow, ~180 green, ~270 blue); NaN for a
                          near-grey garment (chroma below :data:`GREY_CHROMA`)
``chroma``                CIELAB chroma of the mean ``(a*, b*)``, ``[0, ~130]``
``a``, ``b``              the mean CIELAB ``a*`` (green- / red+) and ``b*`` (blue- / yellow+),
                          each in ``[-128, 127]``: the colour-opponent plane hue turns in
``lightness``             mean CIELAB ``L*`` of the garment's pixels, ``[0, 100]``
``sleeve_length``         shoulder to sleeve end over the garment's width (the wider of the
                          shoulders and the hem), averaged over both sides; 0 without sleeves,
                          ~0.3-0.6 short sleeves, ~1.5-2.5 long sleeves
``garment_length``        shoulder line to hem over the garment's width (the wider of the
                          shoulders and the hem): ~1.2 cropped, ~1.8-2.5 a T-shirt, ~3+ a tunic
``neckline``              depth of the dip in the garment's top outline at the centre (the
                          neck opening), as a share of the garment's length: ~0-0.05 crew or
                          high neck, ~0.1-0.25 scoop or V
========================  =================================================================

Shape measures come from the mask keypoints of :func:`tryon.garment_keypoints.garment_keypoints`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PIL import Image

from tryon.garment_keypoints import garment_keypoints

__all__ = ["ATTRIBUTES", "MEASURES", "GREY_CHROMA", "measure_garment", "measure_rgba", "measure_tensor"]

ATTRIBUTES = ("hue", "lightness", "sleeve_length", "garment_length", "neckline")  # the sliders
MEASURES = ("hue", "chroma", "a", "b", "lightness", "sleeve_length", "garment_length", "neckline")
GREY_CHROMA = 10.0        # CIELAB chroma below which a garment has no meaningful hue
ALPHA_GARMENT = 127       # RGBA images: alpha above this is garment
NECK_BAND = 0.15          # neckline: top outline over centre +- this share of the shoulder width
MIN_PIXELS = 16           # fewer garment pixels than this: nothing to measure (all NaN)
# sRGB -> CIELAB (D65), the standard constants
SRGB_KNEE = 0.04045
SRGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                        [0.2126729, 0.7151522, 0.0721750],
                        [0.0193339, 0.1191920, 0.9503041]])
D65_WHITE = np.array([0.95047, 1.0, 1.08883])
LAB_EPSILON = (6.0 / 29.0) ** 3
LAB_SLOPE = 1.0 / (3.0 * (6.0 / 29.0) ** 2)


def _lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB ``(N, 3)`` uint8 -> CIELAB ``(N, 3)`` (D65): ``L*`` in ``[0, 100]``, ``a*``, ``b*``."""
    c = rgb.astype(np.float64) / 255.0
    linear = np.where(c <= SRGB_KNEE, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = linear @ SRGB_TO_XYZ.T / D65_WHITE
    f = np.where(xyz > LAB_EPSILON, np.cbrt(xyz), xyz * LAB_SLOPE + 4.0 / 29.0)
    return np.stack([116.0 * f[:, 1] - 16.0, 500.0 * (f[:, 0] - f[:, 1]), 200.0 * (f[:, 1] - f[:, 2])], 1)


def _colour(rgb: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    """Mean CIELAB of the garment's pixels: ``lightness``, ``a``, ``b``, ``chroma``, ``hue``."""
    lightness, a, b = (float(v) for v in _lab(rgb[mask]).mean(0))
    chroma = math.hypot(a, b)
    hue = math.degrees(math.atan2(b, a)) % 360.0 if chroma >= GREY_CHROMA else math.nan
    return {"hue": hue, "chroma": chroma, "a": a, "b": b, "lightness": lightness}


def _shape(mask: np.ndarray) -> dict[str, float]:
    """``sleeve_length``, ``garment_length`` and ``neckline`` from the mask keypoints (NaN when
    the shoulders or the hem cannot be found)."""
    nan = {"sleeve_length": math.nan, "garment_length": math.nan, "neckline": math.nan}
    kp = garment_keypoints(mask)
    sl, sr, neck, hem = kp["shoulder_l"], kp["shoulder_r"], kp["neck"], kp["hem_l"]
    if sl is None or sr is None or neck is None or hem is None:
        return nan
    length = hem[1] - neck[1]
    width = max(sr[0] - sl[0], kp["hem_r"][0] - hem[0])  # the wider of shoulders and hem: robust to straps
    if length <= 1 or width <= 1:
        return nan
    sleeves = []
    for side, shoulder in (("sleeve_l", sl), ("sleeve_r", sr)):
        end = kp[side]
        sleeves.append(0.0 if end is None else math.hypot(end[0] - shoulder[0], end[1] - shoulder[1]) / width)
    band = max(1, round(NECK_BAND * width))
    cx = int(round(neck[0]))
    cols = mask[:, max(0, cx - band):cx + band + 1]
    has = cols.any(axis=0)
    top = float(np.median(np.argmax(cols[:, has], axis=0))) if has.any() else neck[1]
    return {"sleeve_length": float(np.mean(sleeves)), "garment_length": length / width,
            "neckline": max(0.0, top - neck[1]) / length}


def measure_garment(rgb: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    """Every measure of :data:`MEASURES` of one garment.

    Args:
        rgb: ``(H, W, 3)`` uint8 RGB (what lies outside the mask is ignored).
        mask: ``(H, W)`` bool (or 0/1), True on the garment.

    Returns:
        name -> float, in the units of the module's table; NaN where a measure cannot be taken
        (``hue`` of a grey garment, shapes without shoulders or hem, an almost empty mask).
    """
    mask = np.asarray(mask, bool)
    if rgb.shape[:2] != mask.shape or rgb.ndim != 3:
        raise ValueError(f"rgb must be (H, W, 3) and mask (H, W); got {rgb.shape} and {mask.shape}")
    if mask.sum() < MIN_PIXELS:
        return dict.fromkeys(MEASURES, math.nan)
    return {**_colour(rgb, mask), **_shape(mask)}


def measure_rgba(image: Any) -> dict[str, float]:
    """:func:`measure_garment` of an RGBA image (a designed garment: alpha is the mask), a PIL
    image or an ``(H, W, 4)`` uint8 array."""
    array = np.asarray(image.convert("RGBA") if isinstance(image, Image.Image) else image)
    if array.ndim != 3 or array.shape[2] != 4:
        raise ValueError(f"expected an (H, W, 4) RGBA image, got shape {array.shape}")
    return measure_garment(array[..., :3], array[..., 3] > ALPHA_GARMENT)


def measure_tensor(garment: Any) -> dict[str, float]:
    """:func:`measure_garment` of a data set item: ``(4, H, W)`` in ``[-1, 1]``, RGB then the
    mask as -1 / 1 (:class:`tryon.data.GarmentDataset`'s ``"garment"``)."""
    g = np.asarray(garment, dtype=np.float32)
    rgb = np.clip((g[:3] + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    return measure_garment(rgb, g[3] > 0)
