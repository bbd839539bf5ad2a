"""The cloth-agnostic person: align a photo into the model frame, decide what to repaint,
and paste a rendered frame back into the original photo.

Coordinates: pixel ``(x, y)``, origin at the top-left pixel centre. The model frame is
``(H, W)`` (256x192 by default); :func:`align` rotates the torso upright and scales it to the
VITON proportions measured in :mod:`tryon.constants`, so frame rows run along the torso.
Body-relative lengths below are in units of ``U``, the body's shoulder width estimate
(``max(shoulder width, torso length x 0.649)``), so they hold at any frame size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from tryon import constants as C
from tryon.pose import PoseResult

__all__ = [
    "Alignment",
    "BodyFrame",
    "align",
    "warp_to_frame",
    "prepare_person",
    "repaint_region",
    "revealed_pixels",
    "agnostic_image",
    "erode",
    "feather",
    "paste_back",
    "body_shape_input",
    "rescale",
]

MAX_ALIGN_ROTATION_DEG = 25.0  # a tilted torso is rotated upright by at most this much
AGNOSTIC_FILL = 128            # grey that replaces the repaint region in the agnostic person
OFF_PHOTO_FILL = 255           # white where the frame extends past the photo's edges

# Repaint-region geometry, in units of U (see module docstring).
SHOULDER_OUT = 0.14    # shoulder points pushed outward along the shoulder line...
SHOULDER_UP = 0.07     # ...and up, to cover the shoulder's top contour
NECK_UP = 0.14         # the neckline triangle reaches this far above the shoulder centre
HIP_HALF_MIN = 0.42    # the hem is at least this half-wide...
HIP_WIDEN = 1.5        # ...or this many times the hip joints' half distance
HEM_DOWN = 0.14        # the hem line lies this far below the hip joints
UPPER_ARM_RADIUS = 0.15
FOREARM_RADIUS = 0.12
CLOTHING_BAND_HALF = 0.9   # person-mask pixels this close to the torso axis count as clothing
DILATE = 0.04
HAND_RADIUS = 0.13
LOWER_BODY_BELOW = 0.24    # everything this far below the hip joints is kept
CHIN_FROM_MOUTH = 0.9      # chin = mouth + 0.9 x (mouth - eyes)
FACE_HALF_WIDTH = 0.62     # face ellipse half width, in ear-to-ear distances
MIN_VISIBILITY = 0.3       # limbs and hands below this visibility are left alone

# What the agnostic person still shows inside the repaint region (see revealed_pixels).
BACKGROUND_MARGIN = 0.03   # background = farther than this (units of U) from the person mask
SKIN_SAMPLE_FROM = 0.35    # skin is sampled from the eyes-to-mouth box, from this far down it...
SKIN_PERCENTILES = (10, 90)  # ...its Cr/Cb range between these percentiles...
SKIN_CHROMA_MARGIN = 8.0   # ...widened by this many levels (of 255) counts as skin,
SKIN_MIN_LUMA = 0.35       # if at least this bright relative to the face's median luma
SKIN_MIN_SAMPLES = 10      # fewer face pixels than this: no skin model
FACE_MIN_VISIBILITY = 0.5  # eyes and mouth must be this visible to sample the face


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


@dataclass
class BodyFrame:
    """A person photo aligned into the model frame, with everything the renderers need.

    Attributes:
        alignment: the photo -> frame transform.
        image: ``(H, W, 3)`` uint8 RGB person in the frame (edges replicated off-photo).
        person_mask: ``(H, W)`` float32 in ``[0, 1]``, MediaPipe segmentation in the frame.
        valid: ``(H, W)`` bool, True where the frame shows the photo (not off its edges).
        landmarks: ``(33, 3)`` float32 frame pixels ``(x, y)`` and visibility.
        region: ``(H, W)`` bool, what to repaint (torso, arms, clothing); see :func:`repaint_region`.
        revealed: ``(H, W)`` bool, the part of ``region`` that is surely not clothing
            (background and skin) and stays visible to the learned renderer; see
            :func:`revealed_pixels`.
    """

    alignment: Alignment
    image: np.ndarray
    person_mask: np.ndarray
    valid: np.ndarray
    landmarks: np.ndarray
    region: np.ndarray
    revealed: np.ndarray

    @property
    def size(self) -> tuple[int, int]:
        return self.image.shape[:2]

    def normalized_landmarks(self) -> np.ndarray:
        """``(33, 3)`` landmarks with ``(x, y)`` as fractions of the frame (for pose maps)."""
        h, w = self.size
        out = self.landmarks.copy()
        out[:, 0] /= w
        out[:, 1] /= h
        return out


def _mid(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a + b) / 2


def body_unit(landmarks_px: np.ndarray) -> float:
    """U: the body's shoulder width estimate in the landmarks' pixels (robust to turning)."""
    sw = np.linalg.norm(landmarks_px[C.LEFT_SHOULDER, :2] - landmarks_px[C.RIGHT_SHOULDER, :2])
    torso = np.linalg.norm(
        _mid(landmarks_px[C.LEFT_SHOULDER, :2], landmarks_px[C.RIGHT_SHOULDER, :2])
        - _mid(landmarks_px[C.LEFT_HIP, :2], landmarks_px[C.RIGHT_HIP, :2])
    )
    return float(max(sw, torso * C.SHOULDER_TO_TORSO, 1.0))


def align(pose: PoseResult, frame_size: tuple[int, int] = C.FRAME_SIZE) -> Alignment:
    """The similarity transform that puts this person upright at VITON scale in the frame.

    The shoulder centre goes to ``(ALIGN_SHOULDER_X W, ALIGN_SHOULDER_Y H)``, the torso axis
    (shoulder centre -> hip centre) is turned vertical (at most ``MAX_ALIGN_ROTATION_DEG``), and
    the body unit U becomes ``ALIGN_TORSO_LENGTH H x SHOULDER_TO_TORSO`` frame pixels.
    """
    fh, fw = frame_size
    pts = pose.pixels()
    shoulder = _mid(pts[C.LEFT_SHOULDER, :2], pts[C.RIGHT_SHOULDER, :2])
    hip = _mid(pts[C.LEFT_HIP, :2], pts[C.RIGHT_HIP, :2])
    dx, dy = hip - shoulder
    limit = math.radians(MAX_ALIGN_ROTATION_DEG)
    angle = float(np.clip(math.atan2(dx, dy), -limit, limit))  # torso tilt from vertical
    scale = C.ALIGN_TORSO_LENGTH * fh * C.SHOULDER_TO_TORSO / body_unit(pts)
    cos, sin = math.cos(angle) * scale, math.sin(angle) * scale
    # Rotate by +angle so the torso direction (sin a, cos a) maps onto (0, 1), then scale.
    rot = np.array([[cos, -sin], [sin, cos]])
    target = np.array([C.ALIGN_SHOULDER_X * fw, C.ALIGN_SHOULDER_Y * fh])
    matrix = np.hstack([rot, (target - rot @ shoulder)[:, None]])
    return Alignment(matrix, (fh, fw), pose.image_size)


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


def _disc(mask: np.ndarray, center: np.ndarray, radius: float) -> None:
    cv2.circle(mask, tuple(int(round(v)) for v in center), max(1, int(round(radius))), 1, -1)


def _thick_line(mask: np.ndarray, a: np.ndarray, b: np.ndarray, radius: float) -> None:
    pa = tuple(int(round(v)) for v in a)
    pb = tuple(int(round(v)) for v in b)
    cv2.line(mask, pa, pb, 1, thickness=max(1, int(round(2 * radius))))
    _disc(mask, a, radius)
    _disc(mask, b, radius)


def repaint_region(landmarks: np.ndarray, person_mask: np.ndarray) -> np.ndarray:
    """The region a try-on repaints, in the frame.

    It is the torso quadrilateral (shoulders to just below the hips, widened to the hem), a
    neckline triangle, both arms from shoulder to wrist, and the person-mask pixels in the
    torso band (loose clothing), dilated; minus what is always kept: the face and everything
    above the chin (hair), the hands, and the lower body.

    Args:
        landmarks: ``(33, 3)`` frame pixels ``(x, y)`` and visibility, torso upright
            (as :func:`align` makes it).
        person_mask: ``(H, W)`` float32 in ``[0, 1]``.

    Returns:
        ``(H, W)`` bool.
    """
    h, w = person_mask.shape
    p = landmarks[:, :2].astype(np.float64)
    vis = landmarks[:, 2]
    u = body_unit(landmarks)
    ls, rs, lh, rh = p[C.LEFT_SHOULDER], p[C.RIGHT_SHOULDER], p[C.LEFT_HIP], p[C.RIGHT_HIP]
    shoulder, hip = _mid(ls, rs), _mid(lh, rh)
    down = (hip - shoulder) / max(np.linalg.norm(hip - shoulder), 1e-6)
    across = (ls - rs) / max(np.linalg.norm(ls - rs), 1e-6)  # towards the person's left

    region = np.zeros((h, w), np.uint8)
    # 1. Torso quadrilateral and neckline triangle.
    ls_o = ls + across * SHOULDER_OUT * u - down * SHOULDER_UP * u
    rs_o = rs - across * SHOULDER_OUT * u - down * SHOULDER_UP * u
    hip_half = max(HIP_WIDEN * np.linalg.norm(lh - rh) / 2, HIP_HALF_MIN * u)
    hem = hip + down * HEM_DOWN * u
    quad = np.array([ls_o, rs_o, hem - across * hip_half, hem + across * hip_half])
    cv2.fillPoly(region, [np.round(quad).astype(np.int32)], 1)
    neck = np.array([ls_o, rs_o, shoulder - down * NECK_UP * u])
    cv2.fillPoly(region, [np.round(neck).astype(np.int32)], 1)

    # 2. Arms: shoulder -> elbow -> wrist, where visible.
    for sh, el, wr in (
        (C.LEFT_SHOULDER, C.LEFT_ELBOW, C.LEFT_WRIST),
        (C.RIGHT_SHOULDER, C.RIGHT_ELBOW, C.RIGHT_WRIST),
    ):
        if vis[el] >= MIN_VISIBILITY:
            _thick_line(region, p[sh], p[el], UPPER_ARM_RADIUS * u)
            if vis[wr] >= MIN_VISIBILITY:
                _thick_line(region, p[el], p[wr], FOREARM_RADIUS * u)

    # 3. Clothing: the person-mask pixels in the torso band (rows run along the torso).
    ys, xs = np.mgrid[0:h, 0:w]
    band = (
        (ys >= shoulder[1] - SHOULDER_UP * u)
        & (ys <= hem[1])
        & (np.abs(xs - shoulder[0]) <= CLOTHING_BAND_HALF * u)
    )
    region |= (band & (person_mask > 0.5)).astype(np.uint8)

    # 4. Dilate, then take out what is always kept.
    region = cv2.dilate(region, _disk(max(1.0, DILATE * u)))
    region = region.astype(bool) & ~keep_region(landmarks, (h, w))
    return region


def keep_region(landmarks: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """What a try-on never repaints, in the frame: face and above the chin, hands, lower body.

    Args:
        landmarks: ``(33, 3)`` frame pixels and visibility, torso upright.
        size: ``(H, W)``.

    Returns:
        ``(H, W)`` bool.
    """
    h, w = size
    p = landmarks[:, :2].astype(np.float64)
    vis = landmarks[:, 2]
    u = body_unit(landmarks)
    keep = np.zeros((h, w), np.uint8)
    eyes = _mid(p[C.LEFT_EYE], p[C.RIGHT_EYE])
    mouth = _mid(p[C.MOUTH_LEFT], p[C.MOUTH_RIGHT])
    chin = mouth + CHIN_FROM_MOUTH * (mouth - eyes)
    ear_span = max(np.linalg.norm(p[C.LEFT_EAR] - p[C.RIGHT_EAR]), 1.0)
    centre = _mid(eyes, chin)
    axes = (int(round(FACE_HALF_WIDTH * ear_span)), int(round(np.linalg.norm(chin - eyes) * 1.1)))
    cv2.ellipse(keep, tuple(int(round(v)) for v in centre), axes, 0, 0, 360, 1, -1)
    keep[: max(0, int(math.floor(chin[1]))), :] = 1
    for hand in (C.LEFT_HAND_LANDMARKS, C.RIGHT_HAND_LANDMARKS):
        if vis[hand[0]] >= MIN_VISIBILITY:
            pts = p[list(hand)]
            spread = float(np.linalg.norm(pts - pts.mean(0), axis=1).max())
            _disc(keep, pts.mean(0), max(HAND_RADIUS * u, 1.3 * spread))
    hip = _mid(p[C.LEFT_HIP], p[C.RIGHT_HIP])
    keep[min(h, int(math.ceil(hip[1] + LOWER_BODY_BELOW * u))):, :] = 1
    return keep.astype(bool)


def prepare_person(
    image: np.ndarray, pose: PoseResult, frame_size: tuple[int, int] = C.FRAME_SIZE
) -> BodyFrame:
    """Align a person photo into the frame and compute the repaint region.

    Args:
        image: ``(h, w, 3)`` uint8 RGB photo (the one ``pose`` was detected on).
        pose: its :class:`~tryon.pose.PoseResult`.
        frame_size: ``(H, W)`` of the frame.
    """
    al = align(pose, frame_size)
    frame = warp_to_frame(image, al, replicate=True)
    mask = warp_to_frame(pose.mask, al)
    valid = warp_to_frame(np.ones(image.shape[:2], np.uint8), al, nearest=True).astype(bool)
    lm = pose.pixels()
    lm[:, :2] = al.to_frame(lm[:, :2])
    region = repaint_region(lm, mask) & valid
    revealed = revealed_pixels(frame, mask, lm, region)
    return BodyFrame(al, frame, mask, valid, lm, region, revealed)


def skin_pixels(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray | None:
    """Pixels whose colour matches the person's own face: ``(H, W)`` bool, or ``None``.

    The face between the eyes and the mouth (cheeks and nose, below the eyebrows and above
    any beard) gives the skin's chroma range in YCrCb, between :data:`SKIN_PERCENTILES`,
    widened by :data:`SKIN_CHROMA_MARGIN`; shadows darker than :data:`SKIN_MIN_LUMA` times
    the face's median luma are left out. ``None`` when the face is not visible enough
    (a back view) to sample. On the 500 validation pairs this finds 78% of the arm pixels
    in the repaint region and 0.2% of the garment's (median per photo; beige or pink clothes
    can match, which is why the renderer still decides per pixel what to keep).

    Args:
        image: ``(H, W, 3)`` uint8 RGB, the person in the frame.
        landmarks: ``(33, 3)`` frame pixels and visibility.
    """
    p, vis = landmarks[:, :2].astype(np.float64), landmarks[:, 2]
    if min(vis[i] for i in (C.LEFT_EYE, C.RIGHT_EYE, C.MOUTH_LEFT, C.MOUTH_RIGHT)) < FACE_MIN_VISIBILITY:
        return None
    h, w = image.shape[:2]
    eyes = _mid(p[C.LEFT_EYE], p[C.RIGHT_EYE])
    mouth = _mid(p[C.MOUTH_LEFT], p[C.MOUTH_RIGHT])
    x0, x1 = sorted((p[C.LEFT_EYE, 0], p[C.RIGHT_EYE, 0]))
    y0 = eyes[1] + SKIN_SAMPLE_FROM * (mouth[1] - eyes[1])
    xs = slice(max(0, int(x0)), min(w, int(math.ceil(x1)) + 1))
    ys = slice(max(0, int(y0)), min(h, int(math.ceil(mouth[1])) + 1))
    ycc = cv2.cvtColor(image, cv2.COLOR_RGB2YCrCb)
    sample = ycc[ys, xs].reshape(-1, 3).astype(np.float32)
    if len(sample) < SKIN_MIN_SAMPLES:
        return None
    lo = np.percentile(sample, SKIN_PERCENTILES[0], axis=0) - SKIN_CHROMA_MARGIN
    hi = np.percentile(sample, SKIN_PERCENTILES[1], axis=0) + SKIN_CHROMA_MARGIN
    lo[0], hi[0] = SKIN_MIN_LUMA * float(np.median(sample[:, 0])), 255.0
    skin = cv2.inRange(ycc, np.floor(lo).clip(0, 255), np.ceil(hi).clip(0, 255))
    return cv2.morphologyEx(skin, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)).astype(bool)


def revealed_pixels(image: np.ndarray, person_mask: np.ndarray, landmarks: np.ndarray,
                    region: np.ndarray) -> np.ndarray:
    """The part of the repaint region that is surely not clothing: background and skin.

    The learned renderer sees these pixels (everything else in the region is grey) and learns
    per pixel whether to keep them: an arm stays sharp, but a sleeve may cover it, and a
    garment the colour of skin is not copied (training shows it such decoys). The baseline
    does not use them.

    Args:
        image: ``(H, W, 3)`` uint8 RGB, the person in the frame.
        person_mask: ``(H, W)`` float32 in ``[0, 1]``.
        landmarks: ``(33, 3)`` frame pixels and visibility.
        region: ``(H, W)`` bool repaint region.

    Returns:
        ``(H, W)`` bool, a subset of ``region``.
    """
    near_person = cv2.dilate((person_mask > 0.5).astype(np.uint8),
                             _disk(max(1.0, BACKGROUND_MARGIN * body_unit(landmarks))))
    revealed = near_person == 0
    skin = skin_pixels(image, landmarks)
    if skin is not None:
        revealed |= skin
    return revealed & region


def agnostic_image(image: np.ndarray, region: np.ndarray, valid: np.ndarray | None = None,
                   revealed: np.ndarray | None = None) -> np.ndarray:
    """``(H, W, 3)`` uint8 copy of ``image`` with ``region`` filled with neutral grey.

    When ``valid`` (``(H, W)`` bool) is given, pixels off the photo become white. When
    ``revealed`` (``(H, W)`` bool) is given, those region pixels keep the photo's colours.
    """
    out = image.copy()
    if valid is not None:
        out[~valid] = OFF_PHOTO_FILL
    out[region if revealed is None else region & ~revealed] = AGNOSTIC_FILL
    return out


def _disk(radius: float) -> np.ndarray:
    k = 2 * int(round(radius)) + 1
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))


def erode(mask: np.ndarray, radius: float) -> np.ndarray:
    """``(H, W)`` bool ``mask`` shrunk by ``radius`` pixels (a disk); unchanged below 0.5 px."""
    if round(radius) < 1:
        return mask.astype(bool)
    return cv2.erode(mask.astype(np.uint8), _disk(radius)).astype(bool)


def feather(mask: np.ndarray, radius: float) -> np.ndarray:
    """Soft ``(H, W)`` float32 alpha in ``[0, 1]`` that fades to 0 at the mask's edge.

    The fade lies INSIDE the mask: the result is exactly 0 wherever ``mask`` is 0.
    """
    m = (mask > 0).astype(np.float32) if mask.dtype == bool else mask.astype(np.float32)
    r = int(round(radius))
    if r < 1:
        return m
    inner = cv2.erode(m, _disk(r))
    soft = cv2.GaussianBlur(inner, (0, 0), sigmaX=max(radius / 2, 0.5))
    return np.minimum(soft, m) * (m > 0)


def paste_back(
    photo: np.ndarray, rendered: np.ndarray, alpha: np.ndarray, alignment: Alignment
) -> tuple[np.ndarray, np.ndarray]:
    """Blend a rendered frame into the original photo at the photo's own resolution.

    Only the bounding box of the pasted region is resampled. Every photo pixel where the
    warped ``alpha`` is 0 is returned byte-for-byte unchanged.

    Args:
        photo: ``(h, w, 3)`` uint8 original photo.
        rendered: ``(H, W, 3)`` uint8 frame to paste.
        alpha: ``(H, W)`` float32 in ``[0, 1]``, how much of ``rendered`` to use (feather it
            first, see :func:`feather`).
        alignment: the photo -> frame transform used to make ``rendered``.

    Returns:
        ``(out, alpha_photo)``: ``(h, w, 3)`` uint8 result and ``(h, w)`` float32 alpha used.
    """
    h, w = photo.shape[:2]
    out = photo.copy()
    alpha_photo = np.zeros((h, w), np.float32)
    ys, xs = np.nonzero(alpha > 0)
    if len(xs) == 0:
        return out, alpha_photo
    corners = np.array(
        [[xs.min() - 1, ys.min() - 1], [xs.max() + 1, ys.min() - 1],
         [xs.min() - 1, ys.max() + 1], [xs.max() + 1, ys.max() + 1]], np.float64
    )
    img_c = alignment.to_image(corners)
    x0, y0 = np.floor(img_c.min(0)).astype(int) - 1
    x1, y1 = np.ceil(img_c.max(0)).astype(int) + 2
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 <= x0 or y1 <= y0:
        return out, alpha_photo
    # Frame <- ROI pixel mapping: M @ (x + x0, y + y0, 1).
    m = alignment.matrix.copy()
    m[:, 2] += m[:, :2] @ np.array([x0, y0], np.float64)
    size = (x1 - x0, y1 - y0)
    interp = cv2.INTER_CUBIC if alignment.scale < 1 else cv2.INTER_LINEAR
    flags = interp | cv2.WARP_INVERSE_MAP
    rgb = cv2.warpAffine(rendered, m, size, flags=flags, borderMode=cv2.BORDER_REPLICATE)
    a = cv2.warpAffine(alpha.astype(np.float32), m, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
    a = np.clip(a, 0.0, 1.0)
    roi = out[y0:y1, x0:x1]
    blend = roi.astype(np.float32) * (1 - a[..., None]) + rgb.astype(np.float32) * a[..., None]
    sel = a > 0
    roi[sel] = np.clip(np.round(blend[sel]), 0, 255).astype(np.uint8)
    alpha_photo[y0:y1, x0:x1] = a
    return out, alpha_photo


def rescale(alignment: Alignment, scale: float) -> Alignment:
    """``alignment`` followed by scaling the frame by ``scale`` about the shoulder anchor
    (a few per cent off the canonical scale: augmentation that survives alignment)."""
    fh, fw = alignment.frame_size
    ax, ay = C.ALIGN_SHOULDER_X * fw, C.ALIGN_SHOULDER_Y * fh
    jitter = np.array([[scale, 0.0, ax * (1 - scale)], [0.0, scale, ay * (1 - scale)], [0.0, 0.0, 1.0]])
    return Alignment(jitter[:2] @ np.vstack([alignment.matrix, [0.0, 0.0, 1.0]]),
                     alignment.frame_size, alignment.image_size)


def body_shape_input(
    pose: PoseResult, size: tuple[int, int] = C.BODY_VAE_SIZE, *, scale: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """What the body-shape VAE sees: the aligned silhouette and landmark heatmaps.

    The same :func:`align` as the try-on, at ``size`` (the frame scaled down), so a shopper's
    photo and a training photo are framed alike.

    Args:
        pose: a :class:`~tryon.pose.PoseResult` (from MediaPipe, or rebuilt from the cache).
        size: ``(H, W)`` of the VAE input.
        scale: scale the aligned frame about the shoulder anchor (training augmentation).

    Returns:
        ``(x, silhouette)``: ``x`` is ``(1 + K, H, W)`` float32 in ``[-1, 1]`` (the silhouette,
        then K = len(POSE_MAP_LANDMARKS) heatmaps); ``silhouette`` is ``(H, W)`` bool.
    """
    import torch

    from tryon.pose import heatmaps

    al = align(pose, size)
    if scale != 1.0:
        al = rescale(al, scale)
    silhouette = warp_to_frame(pose.mask.astype(np.float32), al) > 0.5
    lm = pose.pixels()
    lm[:, :2] = al.to_frame(lm[:, :2])
    lm[:, 0] /= size[1]
    lm[:, 1] /= size[0]
    maps = heatmaps(torch.from_numpy(lm)[None], size)[0].numpy()
    x = np.concatenate([silhouette[None].astype(np.float32), maps], 0) * 2.0 - 1.0
    return x.astype(np.float32), silhouette
