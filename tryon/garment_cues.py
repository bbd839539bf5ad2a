"""Cues that tell a non-garment from a garment photo: what the cut-out covers, its outline, its texture.

The garment check's logistic model (:mod:`tryon.garment_check`) weighs the VAE's ELBO, a face and
the mask's symmetry and fill; that tells garments from people, but a texture that fills the frame,
a cup on a table or a micrograph passes it. These cues catch them, each with a one-line meaning:

============  ============================================================================
cue           meaning
============  ============================================================================
``cover``     share of the uploaded photo that the segmentation kept, ``[0, 1]``. A garment
              photo shows one object filling a good part of the frame; on a texture or a
              scene with no distinct object the cut-out shrinks to the centre seed
              (:data:`tryon.garment_segmentation.GRABCUT_SEED`: about 6 % of the photo).
``round``     IoU of the mask with its fitted ellipse, ``[0, 1]``: a plate, a cup, a retina
              or a logo is an ellipse; a garment has shoulders, sleeves or straps and a hem.
``texture``   median absolute Laplacian (8-bit grey levels) inside the eroded mask: a photo
              of cloth has fabric grain and shading; a drawing or synthetic image (a
              phantom, a checkerboard) has none (0).
============  ============================================================================

All are read off the garment as segmented for the VAE (its frame's ``rgb`` and ``mask``), and
``cover`` off the segmentation's mask of the photo (:attr:`tryon.garment.PreparedGarment.source_mask`).
Each costs well under a millisecond at the VAE's 128x96 frame.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["CUES", "cover_share", "roundness", "texture", "photo_cues"]

CUES = ("cover", "round", "texture")
MIN_CONTOUR_POINTS = 5        # cv2.fitEllipse needs at least this many outline points
INNER_ERODE = 5               # px square erosion: texture is read away from the outline's edge
UNKNOWN_COVER = 1.0           # no segmentation mask of the photo (a caller's own crop): not "small"


def cover_share(photo_mask: np.ndarray | None) -> float:
    """Share of the photo that the segmentation kept: ``photo_mask`` ``(h, w)`` bool -> ``[0, 1]``
    (:data:`UNKNOWN_COVER` when None)."""
    if photo_mask is None or photo_mask.size == 0:
        return UNKNOWN_COVER
    return float(photo_mask.mean())


def roundness(mask: np.ndarray) -> float:
    """IoU of ``mask`` ``(H, W)`` bool with the ellipse fitted to its largest outline, ``[0, 1]``
    (0 for a mask too small to fit one)."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return 0.0
    outline = max(contours, key=cv2.contourArea)
    if len(outline) < MIN_CONTOUR_POINTS:
        return 0.0
    ellipse = np.zeros(mask.shape, np.uint8)
    cv2.ellipse(ellipse, cv2.fitEllipse(outline), 1, -1)
    ellipse = ellipse.astype(bool)
    return float((ellipse & mask).sum() / max(int((ellipse | mask).sum()), 1))


def texture(rgb: np.ndarray, mask: np.ndarray) -> float:
    """Median absolute Laplacian of the grey image inside ``mask`` eroded by :data:`INNER_ERODE` px.

    Args:
        rgb: ``(H, W, 3)`` uint8 RGB; mask: ``(H, W)`` bool.

    Returns:
        grey levels (8-bit), ``>= 0``; 0 when nothing is left after erosion.
    """
    inner = cv2.erode(mask.astype(np.uint8), np.ones((INNER_ERODE, INNER_ERODE), np.uint8)).astype(bool)
    if not inner.any():
        return 0.0
    grey = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY).astype(np.float32)
    return float(np.median(np.abs(cv2.Laplacian(grey, cv2.CV_32F))[inner]))


def photo_cues(rgb: np.ndarray, mask: np.ndarray, photo_mask: np.ndarray | None) -> dict[str, float]:
    """The :data:`CUES` of one garment: ``rgb`` ``(H, W, 3)`` uint8 and ``mask`` ``(H, W)`` bool at
    the VAE's frame, ``photo_mask`` the segmentation's ``(h, w)`` bool mask of the photo (or None)."""
    return {"cover": cover_share(photo_mask), "round": roundness(mask), "texture": texture(rgb, mask)}
