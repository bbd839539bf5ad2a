"""Garment preparation: a garment photo -> garment + mask + keypoints at the model frame.

The mask comes, in order of preference, from a mask the caller gives, the alpha channel of an
RGBA image with real transparency, a colour-distance threshold to the border colour when the
photo's border is plain (white or uniform), and otherwise GrabCut seeded at the centre. The
background's colour is taken out of the mask's rim (:func:`tryon.defringe.defringe`: no red line
along the edges of a garment photographed on a red sheet). The garment is then cropped, scaled
to fit the frame with a margin, centred on pure white, like VITON's in-shop cloth images, and
its keypoints are read off the mask's row profile.

Conventions: arrays are ``(H, W)`` / ``(H, W, 3)``, row-major; keypoints are ``(x, y)`` pixel
coordinates (x to the right, y down, pixel centres at integers). ``_l`` / ``_r`` are IMAGE
left / right (smaller / larger x), not the wearer's.

The steps live in their own modules and are re-exported here:
:mod:`tryon.garment_segmentation` (:func:`segment_garment`) and
:mod:`tryon.garment_keypoints` (:func:`garment_keypoints`); this module lays the garment out
in the frame (:func:`prepare_garment`, :func:`resize_prepared`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image

from tryon.constants import FRAME_HEIGHT, FRAME_WIDTH
from tryon.defringe import defringe
from tryon.errors import GarmentError
from tryon.garment_keypoints import GARMENT_KEYPOINTS, MaskAnalysis, analyse_mask, garment_keypoints
from tryon.garment_segmentation import (
    ALPHA_CUT,
    AUTO,
    MAX_COVERAGE,
    MIN_COVERAGE,
    WARN_CUT_OFF,
    WARN_GRABCUT,
    segment_garment,
)

__all__ = [
    "GARMENT_KEYPOINTS",
    "PreparedGarment",
    "resize_prepared",
    "segment_garment",
    "garment_keypoints",
    "prepare_garment",
    "layout",
    # re-exported for callers that reach them through tryon.garment
    "MIN_COVERAGE",
    "MAX_COVERAGE",
    "WARN_GRABCUT",
    "WARN_CUT_OFF",
]

# --- given masks and layout ----------------------------------------------------------------
MIN_GIVEN_PIXELS = 64          # a given mask needs at least this many garment pixels
WORK_SCALE = 4                 # photos are first downscaled to this many times the output side
LAYOUT_MARGIN = 0.05           # free margin on each side of the frame, fraction of that side
WHITE = 255

MSG_BAD_MASK = "The garment mask must have the same size as the garment photo; please upload a matching mask."
MSG_EMPTY_MASK = "The garment mask is empty; please upload a mask that is white on the garment."


@dataclass
class PreparedGarment:
    """A garment ready for warping, at the model frame.

    Attributes:
        rgb: ``(H, W, 3)`` uint8 garment on pure white (255) outside the mask.
        mask: ``(H, W)`` bool, True on the garment.
        keypoints: name -> ``(x, y)`` float pixel coordinates in ``rgb`` / ``mask``, or None
            when absent (e.g. no sleeves); names are :data:`GARMENT_KEYPOINTS`.
        method: how the mask was found: ``"given" | "alpha" | "threshold" | "learned" | "grabcut"``, or
            ``"worn"`` (cut out of a photo of someone wearing it, :mod:`tryon.worn`).
        warnings: readable sentences for the shopper, one each.
        source: ``(h, w, 3)`` uint8, the garment at its own resolution (at most
            :data:`WORK_SCALE` times the frame's longer side), for full-resolution composition
            (:mod:`tryon.fullres`); None when not kept.
        source_mask: ``(h, w)`` bool, the garment in ``source``.
        to_layout: ``(2, 3)`` affine from ``source`` pixels ``(x, y)`` to ``rgb`` pixels.
        analysis: the keypoint analysis of ``mask`` (:func:`tryon.garment_keypoints.analyse_mask`)
            when it was run on this very mask, for the warp's sleeve cut, or the long sleeves cut
            along a wearer's arms (:mod:`tryon.worn`); None otherwise (resized, other worn ones).
        source_faces: the face detector's boxes (:func:`tryon.pose.face_boxes`) in the photo
            ``source`` comes from, when it already ran on it (``garment_type="auto"`` looks for a
            wearer first); None when it has not (the garment check then runs it).
        sleeves: ``"sleeveless"``, ``"short"`` or ``"long"`` (:func:`tryon.sleeves.sleeve_kind`), once
            the pipeline has read them, or as read off a wearer's arms (:mod:`tryon.worn`); None
            before, or when they cannot be told.
        checked: for a garment the learned cutter cut out (``method == "learned"``), the same photo
            cut out by GrabCut and laid out alike, which the garment check judges (it was
            calibrated on GrabCut's cut-outs of busy photos); None otherwise, or where GrabCut
            finds nothing usable.
    """

    rgb: np.ndarray
    mask: np.ndarray
    keypoints: dict[str, tuple[float, float] | None]
    method: str
    warnings: list[str] = field(default_factory=list)
    source: np.ndarray | None = None
    source_mask: np.ndarray | None = None
    to_layout: np.ndarray | None = None
    analysis: MaskAnalysis | None = None
    source_faces: list[tuple[float, float, float, float]] | None = None
    sleeves: str | None = None
    checked: "PreparedGarment | None" = None


def _as_mask(mask, size: tuple[int, int]) -> np.ndarray:
    """A given mask (PIL L/1 or numpy bool/uint8, ``size`` = (W, H)) as an (H, W) bool array."""
    if isinstance(mask, Image.Image):
        if mask.size != size:
            raise GarmentError(MSG_BAD_MASK)
        arr = np.asarray(mask.convert("L"))
    else:
        arr = np.asarray(mask)
        if arr.ndim == 3:
            arr = arr[..., 0]
        if arr.shape != (size[1], size[0]):
            raise GarmentError(MSG_BAD_MASK)
    out = arr if arr.dtype == bool else arr > ALPHA_CUT
    if out.sum() < MIN_GIVEN_PIXELS:
        raise GarmentError(MSG_EMPTY_MASK)
    return out


def _limit_size(image: Image.Image, mask: np.ndarray | None, max_side: int) -> tuple[Image.Image, np.ndarray | None]:
    """Downscale a large photo (and its mask) to ``max_side``: the output is small anyway."""
    if max(image.size) <= max_side:
        return image, mask
    scale = max_side / max(image.size)
    new = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    if mask is not None:
        mask = cv2.resize(mask.astype(np.float32), new, interpolation=cv2.INTER_AREA) > 0.5
    return image.resize(new, Image.Resampling.BOX), mask


def layout(rgb: np.ndarray, mask: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Crop to the mask's box, fit into ``size`` (H, W) with a margin, centre on white.

    Returns:
        ``(rgb, mask, matrix)``: ``(H, W, 3)`` uint8, ``(H, W)`` bool, and the ``(2, 3)``
        affine map from input pixels ``(x, y)`` to output pixels.
    """
    ys, xs = np.nonzero(mask)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    crop = np.where(mask[y0:y1, x0:x1, None], rgb[y0:y1, x0:x1], WHITE).astype(np.uint8)
    crop_mask = mask[y0:y1, x0:x1].astype(np.float32)
    out_h, out_w = size
    scale = min(out_h * (1 - 2 * LAYOUT_MARGIN) / (y1 - y0), out_w * (1 - 2 * LAYOUT_MARGIN) / (x1 - x0))
    new_w, new_h = max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    crop = cv2.resize(crop, (new_w, new_h), interpolation=interp)
    crop_mask = cv2.resize(crop_mask, (new_w, new_h), interpolation=cv2.INTER_LINEAR) > 0.5
    out_rgb = np.full((out_h, out_w, 3), WHITE, np.uint8)
    out_mask = np.zeros((out_h, out_w), bool)
    oy, ox = (out_h - new_h) // 2, (out_w - new_w) // 2
    out_mask[oy:oy + new_h, ox:ox + new_w] = crop_mask
    out_rgb[oy:oy + new_h, ox:ox + new_w] = np.where(crop_mask[..., None], crop, WHITE)
    sx, sy = new_w / (x1 - x0), new_h / (y1 - y0)
    matrix = np.array([[sx, 0.0, ox - sx * x0], [0.0, sy, oy - sy * y0]])
    return out_rgb, out_mask, matrix


def prepare_garment(image: Image.Image, mask=None, *, size: tuple[int, int] = (FRAME_HEIGHT, FRAME_WIDTH),
                    cutter=AUTO) -> PreparedGarment:
    """Garment photo -> :class:`PreparedGarment` at ``size`` = (H, W).

    Args:
        image: RGB or RGBA PIL image of one garment, front view.
        mask: optional garment mask of the same size: PIL ``L``/``1`` or a numpy bool/uint8
            ``(H, W)`` array; values > 127 (or True) are garment. Used as is (method "given").
        size: output ``(height, width)`` in pixels; defaults to the model frame.
        cutter: the :class:`tryon.learned_cut.Cutter` for a photo on a busy background (default
            ``"auto"``: the bundled one; None: GrabCut), as :func:`segment_garment` takes it.

    Raises:
        GarmentError: the garment cannot be separated, or the mask is empty or mis-sized.
    """
    given = None if mask is None else _as_mask(mask, image.size)
    image, given = _limit_size(image, given, WORK_SCALE * max(size))
    if given is not None:
        full_mask, method, warnings = given, "given", []
    else:
        full_mask, method, warnings = segment_garment(image, cutter)
    source = defringe(np.asarray(image.convert("RGB")), full_mask)
    rgb, out_mask, matrix = layout(source, full_mask, tuple(size))
    analysis = analyse_mask(out_mask)
    checked = None
    if method == "learned":
        try:
            checked = prepare_garment(image, size=size, cutter=None)
        except GarmentError:
            pass
    return PreparedGarment(rgb, out_mask, dict(analysis.keypoints), method, warnings,
                           source=source, source_mask=full_mask, to_layout=matrix, analysis=analysis,
                           checked=checked)


def resize_prepared(prepared: PreparedGarment, size: tuple[int, int]) -> PreparedGarment:
    """A prepared garment at another frame size ``(H, W)`` (same layout: the frames share one
    aspect ratio). Keypoints are scaled with it."""
    h, w = size
    oh, ow = prepared.mask.shape
    rgb = cv2.resize(prepared.rgb, (w, h), interpolation=cv2.INTER_AREA)
    mask = cv2.resize(prepared.mask.astype(np.float32), (w, h), interpolation=cv2.INTER_AREA) > 0.5
    rgb[~mask] = 255
    sx, sy = w / ow, h / oh
    keypoints = {k: (None if v is None else (v[0] * sx, v[1] * sy)) for k, v in prepared.keypoints.items()}
    to_layout = None if prepared.to_layout is None else np.diag([sx, sy]) @ prepared.to_layout
    checked = None if prepared.checked is None else resize_prepared(prepared.checked, size)
    return PreparedGarment(rgb, mask, keypoints, prepared.method, list(prepared.warnings),
                           prepared.source, prepared.source_mask, to_layout, source_faces=prepared.source_faces,
                           checked=checked)
