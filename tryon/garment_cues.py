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
``parts``     share of the mask outside its largest piece, ``[0, 1)`` (specks under
              :data:`PART_MIN_SHARE` left out): a garment is one piece; coins, cells or toys
              on a table are several.
``holes``     share of the mask's outline-filled area in holes of at least :data:`HOLE_MIN_SHARE`
              of it, ``[0, 1)``: a garment cut-out is solid (a gap at a collar is smaller); a
              ring, a net or a blob pattern is not.
``straight``  share of the outline on straight runs at least :data:`STRAIGHT_MIN_RUN` of the
              frame's longer side, ``[0, 1]``: a garment's outline curves at shoulders,
              sleeves and hem; a box, a scene cut at the photo's edges or a chequer runs straight.
``overlap``   histogram intersection of the cut-out's colours with those of a ring around it in
              the photo, ``[0, 1]``: a garment on a bed or a floor is a figure of its own
              colours; GrabCut's cut-out of a texture, a scene or a pile of things shares its
              colours with what surrounds it. 0 when the surroundings are plain (one colour
              bin holds :data:`PLAIN_SHARE` of them: the segmentation separated the garment
              from a plain background by colour; a white shirt on white stays a garment).
============  ============================================================================

All are read off the garment as segmented for the VAE (its frame's ``rgb`` and ``mask``), but
``cover`` off the segmentation's mask of the photo (:attr:`tryon.garment.PreparedGarment.source_mask`)
and ``overlap`` off the photo and that mask. Each costs about a millisecond or less.

:func:`wearer_face` reads the garment check's ``face`` cue off the face detector's boxes and that
mask: a face counts only where a wearer's would be, at the top of the cut-out (a head sits on the
shoulders); a face printed on a T-shirt's chest, a cartoon's on a child's top, sits many of its own
heights lower and is no sign of a person.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["CUES", "cover_share", "roundness", "texture", "parts_share", "hole_share", "straightness",
           "background_overlap", "photo_cues", "wearer_face", "FACE_TOP_HEIGHTS"]

CUES = ("cover", "round", "texture", "parts", "holes", "straight", "overlap")
MIN_CONTOUR_POINTS = 5        # cv2.fitEllipse needs at least this many outline points
INNER_ERODE = 5               # px square erosion: texture is read away from the outline's edge
UNKNOWN_COVER = 1.0           # no segmentation mask of the photo (a caller's own crop): not "small"
PART_MIN_SHARE = 0.02         # a piece under this share of the mask is a speck, not a part
HOLE_MIN_SHARE = 0.02         # a hole under this share of the filled outline is a gap (a collar), not a hole
STRAIGHT_TOLERANCE = 1.0      # px: the outline is simplified to a polygon within this (cv2.approxPolyDP)
STRAIGHT_MIN_RUN = 0.15       # a polygon side this long (share of the frame's longer side) is a straight run
OVERLAP_SIDE = 160            # px: the photo's longer side when its colours are compared
OVERLAP_BINS = 8              # colour bins per RGB channel
OVERLAP_RING = 0.25           # the surroundings: a ring this share of the cut-out's larger side wide
PLAIN_SHARE = 0.75            # surroundings with this share in one colour bin are a plain background
# A wearer's face box starts within this many of its own heights below the cut-out's top: above
# it only hair or a hat, about one face height (calibration VITON persons: at most 1.24); a face
# printed on a garment's chest starts 4 to 6 of its heights down.
FACE_TOP_HEIGHTS = 2.0


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


def parts_share(mask: np.ndarray) -> float:
    """Share of ``mask`` ``(H, W)`` bool outside its largest 8-connected piece, pieces under
    :data:`PART_MIN_SHARE` of the mask left out; ``[0, 1)``, 0 for one piece or an empty mask."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA].astype(np.float64)
    areas = areas[areas >= PART_MIN_SHARE * max(areas.sum(), 1.0)] if n > 1 else areas
    return float(1.0 - areas.max() / areas.sum()) if areas.size > 1 else 0.0


def _outlines(mask: np.ndarray) -> list[np.ndarray]:
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    return list(contours)


def hole_share(mask: np.ndarray) -> float:
    """Share of the area inside ``mask``'s outer outlines (``(H, W)`` bool) taken by holes of at
    least :data:`HOLE_MIN_SHARE` of that area; ``[0, 1)``, 0 for an empty mask."""
    contours = _outlines(mask)
    if not contours:
        return 0.0
    filled = np.zeros(mask.shape, np.uint8)
    cv2.drawContours(filled, contours, -1, 1, -1)
    inside = filled.astype(bool) | mask
    _, _, stats, _ = cv2.connectedComponentsWithStats((inside & ~mask).astype(np.uint8), connectivity=4)
    holes = stats[1:, cv2.CC_STAT_AREA]
    return float(holes[holes >= HOLE_MIN_SHARE * inside.sum()].sum() / max(int(inside.sum()), 1))


def straightness(mask: np.ndarray) -> float:
    """Share of the largest outline of ``mask`` ``(H, W)`` bool that lies on straight runs: sides
    of its polygon (within :data:`STRAIGHT_TOLERANCE` px) at least :data:`STRAIGHT_MIN_RUN` of the
    frame's longer side; ``[0, 1]``, 0 for an empty mask."""
    contours = _outlines(mask)
    if not contours:
        return 0.0
    outline = max(contours, key=cv2.contourArea)
    length = cv2.arcLength(outline, True)
    corners = cv2.approxPolyDP(outline, STRAIGHT_TOLERANCE, True)[:, 0].astype(np.float64)
    sides = np.hypot(*(np.roll(corners, -1, axis=0) - corners).T)
    return float(min(1.0, sides[sides >= STRAIGHT_MIN_RUN * max(mask.shape)].sum() / max(length, 1.0)))


def _colour_bins(rgb: np.ndarray) -> np.ndarray:
    """``(h, w)`` int: the :data:`OVERLAP_BINS` ** 3 colour bin of each pixel of ``rgb`` uint8."""
    q = rgb.astype(np.int32) * OVERLAP_BINS // 256
    return (q[..., 0] * OVERLAP_BINS + q[..., 1]) * OVERLAP_BINS + q[..., 2]


def background_overlap(photo: np.ndarray | None, photo_mask: np.ndarray | None) -> float:
    """Histogram intersection of the colours inside ``photo_mask`` and in a ring around it.

    Args:
        photo: ``(h, w, 3)`` uint8 RGB, the uploaded photo (as segmented), or None.
        photo_mask: ``(h, w)`` bool, the segmentation's mask of it, or None.

    Returns:
        ``[0, 1]`` (1: the same colour mix inside and around). 0 when either is None, when the
        ring is empty (the cut-out fills the photo), or when the ring is plain (one bin holds at
        least :data:`PLAIN_SHARE` of it). Read at :data:`OVERLAP_SIDE` px, the ring
        :data:`OVERLAP_RING` of the cut-out's larger side wide.
    """
    if photo is None or photo_mask is None or not photo_mask.any():
        return 0.0
    h, w = photo_mask.shape
    scale = min(1.0, OVERLAP_SIDE / max(h, w))
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = cv2.resize(np.ascontiguousarray(photo), size, interpolation=cv2.INTER_AREA)
    inside = cv2.resize(photo_mask.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0.5
    if not inside.any():
        return 0.0
    ys, xs = np.nonzero(inside)
    k = max(3, int(OVERLAP_RING * (max(np.ptp(ys), np.ptp(xs)) + 1)) | 1)
    ring = cv2.dilate(inside.astype(np.uint8), np.ones((k, k), np.uint8)).astype(bool) & ~inside
    if not ring.any():
        return 0.0
    bins = _colour_bins(small)
    n = OVERLAP_BINS ** 3
    around = np.bincount(bins[ring], minlength=n) / ring.sum()
    if around.max() >= PLAIN_SHARE:
        return 0.0
    within = np.bincount(bins[inside], minlength=n) / inside.sum()
    return float(np.minimum(within, around).sum())


def wearer_face(faces: list[tuple[float, float, float, float]], photo_mask: np.ndarray | None) -> float:
    """1 when one of ``faces`` sits where a wearer's face would, else 0.

    Args:
        faces: :func:`tryon.pose.face_boxes` of the photo: ``(x, y, w, h)`` as fractions of it.
        photo_mask: ``(h, w)`` bool, the segmentation's mask of that photo, or None (then any
            face counts: there is no cut-out to place it against).

    Returns:
        1.0 when a face box's top lies at most :data:`FACE_TOP_HEIGHTS` of its own heights
        below the cut-out's topmost row (or above it: a head the segmentation left out); 0.0
        when there is no face, or every face lies lower (printed on the garment).
    """
    if not faces:
        return 0.0
    if photo_mask is None or not photo_mask.any():
        return 1.0
    top = float(np.argmax(photo_mask.any(axis=1))) / photo_mask.shape[0]  # the cut-out's top, a fraction
    return float(any(y - top <= FACE_TOP_HEIGHTS * h for _, y, _, h in faces))


def photo_cues(rgb: np.ndarray, mask: np.ndarray, photo_mask: np.ndarray | None,
               photo: np.ndarray | None = None) -> dict[str, float]:
    """The :data:`CUES` of one garment: ``rgb`` ``(H, W, 3)`` uint8 and ``mask`` ``(H, W)`` bool at
    the VAE's frame, ``photo_mask`` the segmentation's ``(h, w)`` bool mask of the photo and
    ``photo`` the ``(h, w, 3)`` uint8 photo itself (either may be None: ``cover`` is then
    :data:`UNKNOWN_COVER`, ``overlap`` 0)."""
    return {"cover": cover_share(photo_mask), "round": roundness(mask), "texture": texture(rgb, mask),
            "parts": parts_share(mask), "holes": hole_share(mask), "straight": straightness(mask),
            "overlap": background_overlap(photo, photo_mask)}
