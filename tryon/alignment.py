"""The model frame: the similarity transform that puts a person photo into it.

Coordinates: pixel ``(x, y)``, origin at the top-left pixel centre. The model frame is
``(H, W)`` (256x192 by default); :func:`align` rotates the torso upright and scales it to the
VITON proportions measured in :mod:`tryon.constants`, so frame rows run along the torso.
Body-relative lengths are in units of ``U`` (:func:`body_unit`), the body's shoulder width
estimate (``max(shoulder width, torso length x 0.649)``), so they hold at any frame size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from tryon import constants as C
from tryon.pose import PoseResult

__all__ = [
    "MAX_ALIGN_ROTATION_DEG",
    "Alignment",
    "midpoint",
    "torso_rows",
    "body_unit",
    "align",
    "warp_to_frame",
    "rescale",
]

MAX_ALIGN_ROTATION_DEG = 25.0  # a tilted torso is rotated upright by at most this much
LIMB_MARGIN = 0.15        # units of U: an elbow or wrist in the photo is kept this far inside the frame's sides
                          # (about an arm's half width), by moving the person sideways...
MAX_LIMB_SHIFT = 0.08     # ...by at most this share of the frame's width (the network was trained centred:
                          # 10 frame px off the centre cost 0.002-0.004 region SSIM on 200 validation pairs)
LIMB_VISIBILITY = 0.5     # the elbows and wrists that count are at least this visible
LIMB_JOINTS = (C.LEFT_ELBOW, C.RIGHT_ELBOW, C.LEFT_WRIST, C.RIGHT_WRIST)


@dataclass(frozen=True)
class Alignment:
    """A similarity transform from a photo into the model frame.

    Attributes:
        matrix: ``(2, 3)`` float64 affine mapping photo pixels to frame pixels.
        frame_size: ``(H, W)`` of the frame.
        image_size: ``(width, height)`` of the photo.
    """

    matrix: np.ndarray
    frame_size: tuple[int, int]
    image_size: tuple[int, int]

    @property
    def inverse(self) -> np.ndarray:
        """``(2, 3)`` affine mapping frame pixels back to photo pixels."""
        return cv2.invertAffineTransform(self.matrix)

    @property
    def scale(self) -> float:
        """Frame pixels per photo pixel."""
        return float(math.sqrt(abs(np.linalg.det(self.matrix[:, :2]))))

    def to_frame(self, xy: np.ndarray) -> np.ndarray:
        """``(N, 2)`` photo pixels -> ``(N, 2)`` frame pixels."""
        return xy @ self.matrix[:, :2].T + self.matrix[:, 2]

    def to_image(self, xy: np.ndarray) -> np.ndarray:
        """``(N, 2)`` frame pixels -> ``(N, 2)`` photo pixels."""
        inv = self.inverse
        return xy @ inv[:, :2].T + inv[:, 2]

    def photo_box(self, mask: np.ndarray, within: tuple[int, int, int, int],
                  margin: int = 1) -> tuple[int, int, int, int] | None:
        """The photo box ``(x0, y0, x1, y1)``, within ``within``, that the frame pixels of
        ``mask`` (``(H, W)`` bool) land in, ``margin`` frame px around them and a photo pixel
        more (resampling reads one beyond); None when ``mask`` is empty or lands outside."""
        ys, xs = np.nonzero(mask)
        if len(xs) == 0:
            return None
        corners = np.array([[xs.min() - margin, ys.min() - margin], [xs.max() + margin, ys.min() - margin],
                            [xs.min() - margin, ys.max() + margin], [xs.max() + margin, ys.max() + margin]],
                           np.float64)
        c = self.to_image(corners)
        x0, y0 = np.floor(c.min(0)).astype(int) - 1
        x1, y1 = np.ceil(c.max(0)).astype(int) + 2
        x0, y0, x1, y1 = max(x0, within[0]), max(y0, within[1]), min(x1, within[2]), min(y1, within[3])
        return None if x1 <= x0 or y1 <= y0 else (int(x0), int(y0), int(x1), int(y1))

    def box_matrix(self, x0: int, y0: int) -> np.ndarray:
        """``(2, 3)`` float64 affine mapping the pixels of a photo box whose corner is ``(x0,
        y0)`` to frame pixels (for ``cv2.warpAffine(..., WARP_INVERSE_MAP)`` onto the box)."""
        m = self.matrix.astype(np.float64).copy()
        m[:, 2] += m[:, :2] @ np.array([x0, y0], np.float64)
        return m


def midpoint(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The point halfway between ``a`` and ``b`` (any matching shapes)."""
    return (a + b) / 2


def torso_rows(landmarks: np.ndarray) -> tuple[float, float]:
    """``(shoulders, hips)``: the mean ``y`` of the shoulder joints and of the hip joints, in the
    units of ``landmarks`` (``(33, 2+)``, ``(x, y)`` first; pixels or fractions)."""
    y = landmarks[:, 1]
    return (float(midpoint(y[C.LEFT_SHOULDER], y[C.RIGHT_SHOULDER])),
            float(midpoint(y[C.LEFT_HIP], y[C.RIGHT_HIP])))


def body_unit(landmarks_px: np.ndarray) -> float:
    """U: the body's shoulder width estimate in the landmarks' pixels (robust to turning)."""
    sw = np.linalg.norm(landmarks_px[C.LEFT_SHOULDER, :2] - landmarks_px[C.RIGHT_SHOULDER, :2])
    torso = np.linalg.norm(
        midpoint(landmarks_px[C.LEFT_SHOULDER, :2], landmarks_px[C.RIGHT_SHOULDER, :2])
        - midpoint(landmarks_px[C.LEFT_HIP, :2], landmarks_px[C.RIGHT_HIP, :2])
    )
    return float(max(sw, torso * C.SHOULDER_TO_TORSO, 1.0))


def align(pose: PoseResult, frame_size: tuple[int, int] = C.FRAME_SIZE) -> Alignment:
    """The similarity transform that puts this person upright at VITON scale in the frame.

    The shoulder centre goes to ``(ALIGN_SHOULDER_X W, ALIGN_SHOULDER_Y H)``, the torso axis
    (shoulder centre -> hip centre) is turned vertical (at most ``MAX_ALIGN_ROTATION_DEG``), and
    the body unit U becomes ``ALIGN_TORSO_LENGTH H x SHOULDER_TO_TORSO`` frame pixels. Where an
    elbow or wrist the photo shows would lie within :data:`LIMB_MARGIN` of the frame's side (a
    hand on the hip, elbow out), the person moves sideways to keep it in, by at most
    :data:`MAX_LIMB_SHIFT` of the width and only while the other side's limbs stay in: what lies
    off the frame is never repainted, and the old sleeve's elbow stayed beside the new one.
    """
    fh, fw = frame_size
    pts = pose.pixels()
    shoulder = midpoint(pts[C.LEFT_SHOULDER, :2], pts[C.RIGHT_SHOULDER, :2])
    hip = midpoint(pts[C.LEFT_HIP, :2], pts[C.RIGHT_HIP, :2])
    dx, dy = hip - shoulder
    limit = math.radians(MAX_ALIGN_ROTATION_DEG)
    angle = float(np.clip(math.atan2(dx, dy), -limit, limit))  # torso tilt from vertical
    scale = C.ALIGN_TORSO_LENGTH * fh * C.SHOULDER_TO_TORSO / body_unit(pts)
    cos, sin = math.cos(angle) * scale, math.sin(angle) * scale
    # Rotate by +angle so the torso direction (sin a, cos a) maps onto (0, 1), then scale.
    rot = np.array([[cos, -sin], [sin, cos]])
    target = np.array([C.ALIGN_SHOULDER_X * fw, C.ALIGN_SHOULDER_Y * fh])
    matrix = np.hstack([rot, (target - rot @ shoulder)[:, None]])
    matrix[0, 2] += _limb_shift(pts, matrix, (fh, fw), pose.image_size)
    return Alignment(matrix, (fh, fw), pose.image_size)


def _limb_shift(pts: np.ndarray, matrix: np.ndarray, frame_size: tuple[int, int],
                image_size: tuple[int, int]) -> float:
    """Frame px to move the person sideways so the elbows and wrists the photo shows keep
    :data:`LIMB_MARGIN` inside the frame's sides (see :func:`align`); 0 when none is that near,
    or when both sides are."""
    fh, fw = frame_size
    w, h = image_size
    joints = pts[list(LIMB_JOINTS)]
    seen = ((joints[:, 2] >= LIMB_VISIBILITY) & (joints[:, 0] >= 0) & (joints[:, 0] < w)
            & (joints[:, 1] >= 0) & (joints[:, 1] < h))
    if not seen.any():
        return 0.0
    xy = joints[seen, :2] @ matrix[:, :2].T + matrix[:, 2]
    xy = xy[(xy[:, 1] >= 0) & (xy[:, 1] < fh)]          # joints in the frame's rows
    if not len(xy):
        return 0.0
    margin = LIMB_MARGIN * C.ALIGN_TORSO_LENGTH * fh * C.SHOULDER_TO_TORSO
    left, right = margin - xy[:, 0].min(), xy[:, 0].max() - (fw - 1 - margin)
    if left > 0 and right > 0:
        return 0.0
    limit = MAX_LIMB_SHIFT * fw
    if left > 0:
        return float(min(left, limit, max(0.0, -right)))
    if right > 0:
        return -float(min(right, limit, max(0.0, -left)))
    return 0.0


def warp_to_frame(
    array: np.ndarray, alignment: Alignment, *, nearest: bool = False, replicate: bool = False
) -> np.ndarray:
    """Resample a photo-sized array ``(h, w[, C])`` into the frame ``(H, W[, C])``.

    Off-photo pixels are replicated from the edge when ``replicate``, else 0.
    """
    fh, fw = alignment.frame_size
    flags = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
    border = cv2.BORDER_REPLICATE if replicate else cv2.BORDER_CONSTANT
    return cv2.warpAffine(array, alignment.matrix, (fw, fh), flags=flags, borderMode=border)


def rescale(alignment: Alignment, scale: float) -> Alignment:
    """``alignment`` followed by scaling the frame by ``scale`` about the shoulder anchor
    (a few per cent off the canonical scale: augmentation that survives alignment)."""
    fh, fw = alignment.frame_size
    ax, ay = C.ALIGN_SHOULDER_X * fw, C.ALIGN_SHOULDER_Y * fh
    jitter = np.array([[scale, 0.0, ax * (1 - scale)], [0.0, scale, ay * (1 - scale)], [0.0, 0.0, 1.0]])
    return Alignment(jitter[:2] @ np.vstack([alignment.matrix, [0.0, 0.0, 1.0]]),
                     alignment.frame_size, alignment.image_size)
