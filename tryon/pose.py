"""Body pose from MediaPipe: 33 landmarks, a person mask, and landmark maps as tensors.

MediaPipe runs offline on the model that ships in the ``mediapipe==0.10.21`` wheel (legacy
``mp.solutions.pose``, ``model_complexity=1``). One ``Pose`` graph per process is created
lazily and guarded by its own lock, because a graph used from two threads at once breaks for good;
two graphs (a person's pose, a garment photo's faces) may run side by side.

Conventions:
    landmarks: ``(33, 3)`` float32 ``(x, y, visibility)``; ``x, y`` are fractions of the image
        width and height (``[0, 1]`` inside the image; MediaPipe predicts joints outside the
        photo too, e.g. hips below a waist-up portrait, so values may fall outside);
        visibility in ``[0, 1]``. LEFT/RIGHT are the person's own sides.
    mask: ``(H, W)`` float32 in ``[0, 1]``, the person segmentation at the image's size.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import cv2
import numpy as np
import torch
from PIL import Image, ImageDraw

from tryon import constants as C
from tryon.errors import NoPersonError, PoseError
from tryon.quiet import hold_stderr, quiet_environment

__all__ = [
    "PoseResult",
    "build_graphs",
    "detect_pose",
    "face_boxes",
    "has_face",
    "check_upper_body",
    "heatmaps",
    "limb_maps",
    "pose_maps",
    "POSE_CHANNELS",
    "draw_pose",
]

POSE_INPUT_MAX_SIDE = 640      # px: MediaPipe's pose ROI is 256 px; larger inputs only cost time
MIN_DETECTION_CONFIDENCE = 0.5
FACE_MIN_CONFIDENCE = 0.6      # face detections below this do not count as another person
FACE_RELATIVE_MIN_AREA = 0.15  # ...nor do faces smaller than this fraction of the largest one
PERSON_CROP_FACE_WIDTHS = 3.5  # half-width of the crop around the chosen person, in face widths
MIN_TORSO_SHOULDER_RATIO = 0.6 # hip-centre below shoulder-centre by at least this x shoulder width
MIN_VISIBLE_TORSO = 0.25       # at least this fraction of the torso must lie inside the photo
MIN_FRONTAL_RATIO = 0.25       # the person's left shoulder lies image-right of their right one by
                               # at least this x torso length (VITON: 1st percentile 0.43, a back
                               # view -0.06): less is a side or back view
MASK_TINT_OPACITY = 70         # 0..255: how strongly draw_pose tints the person mask
EDGE_MARGIN = 0.02             # landmarks this far outside the photo still count as inside
HIP_EDGE_BAND = 0.15           # hips within this many torso lengths of the bottom edge may be
                               # hidden by the edge itself (waist-up portraits): not required

_UPPER_BODY_CHAIN = (
    (C.LEFT_SHOULDER, C.RIGHT_SHOULDER), (C.LEFT_SHOULDER, C.LEFT_ELBOW),
    (C.LEFT_ELBOW, C.LEFT_WRIST), (C.RIGHT_SHOULDER, C.RIGHT_ELBOW),
    (C.RIGHT_ELBOW, C.RIGHT_WRIST), (C.LEFT_SHOULDER, C.LEFT_HIP),
    (C.RIGHT_SHOULDER, C.RIGHT_HIP), (C.LEFT_HIP, C.RIGHT_HIP),
    (C.LEFT_HIP, C.LEFT_KNEE), (C.RIGHT_HIP, C.RIGHT_KNEE),
    (C.LEFT_EAR, C.LEFT_EYE), (C.LEFT_EYE, C.NOSE), (C.NOSE, C.RIGHT_EYE),
    (C.RIGHT_EYE, C.RIGHT_EAR),
)


@dataclass
class PoseResult:
    """One person's pose in one photo.

    Attributes:
        landmarks: ``(33, 3)`` float32, ``(x, y)`` as fractions of width/height, visibility.
        mask: ``(H, W)`` float32 person segmentation in ``[0, 1]`` at the photo's size.
        image_size: ``(width, height)`` of the photo in pixels.
        people: how many people the photo seems to hold (faces found; at least 1).
        faces: how many faces MediaPipe's face detector found (0: none, e.g. a back view).
        warnings: sentences for the user, e.g. when several people were found.
    """

    landmarks: np.ndarray
    mask: np.ndarray
    image_size: tuple[int, int]
    people: int = 1
    warnings: list[str] = field(default_factory=list)
    faces: int = 0

    def pixels(self) -> np.ndarray:
        """Landmarks in pixels: ``(33, 3)`` float32 ``(x_px, y_px, visibility)``."""
        w, h = self.image_size
        out = self.landmarks.copy()
        out[:, 0] *= w
        out[:, 1] *= h
        return out


EXP_FLOOR = -87.0  # exp(-87) = 1.6e-38, about float32's smallest normal number
_NORMAL_ROOT = float(np.sqrt(np.finfo(np.float32).tiny))  # 1.1e-19: two factors above it multiply to a normal
WARM_UP_SIDE = 64  # px: the blank image each MediaPipe graph runs on once when it is built


class _MediaPipe:
    """Process-wide lazily created MediaPipe graphs, each serialised by its own lock (the pose
    of one photo and the faces of another run side by side on two cores).

    Graphs are built and run with descriptor 2 held (:func:`tryon.quiet.hold_stderr`): their
    C++ threads log to it on first use and on a first detection, unless ``--verbose``.
    """

    def __init__(self) -> None:
        self._build_lock = threading.Lock()
        self._pose_lock = threading.Lock()
        self._faces_lock = threading.Lock()
        self._pose = None
        self._faces = None

    @property
    def built(self) -> bool:
        """Whether both graphs are built (the faces graph is set last)."""
        return self._faces is not None

    def _ensure(self) -> None:
        if self.built:  # no lock on every call
            return
        with self._build_lock:
            if self._faces is None:
                self._build()

    def _build(self) -> None:
        quiet_environment()
        import mediapipe as mp  # heavy: imported on first use only

        pose = mp.solutions.pose.Pose(
            static_image_mode=True,
            model_complexity=1,
            enable_segmentation=True,
            min_detection_confidence=MIN_DETECTION_CONFIDENCE,
        )
        faces = mp.solutions.face_detection.FaceDetection(
            model_selection=1, min_detection_confidence=FACE_MIN_CONFIDENCE
        )
        # Run each graph once now, while descriptor 2 is held: a graph that has not run yet
        # logs from its own threads when the other one runs, after the hold is released.
        blank = np.zeros((WARM_UP_SIDE, WARM_UP_SIDE, 3), np.uint8)
        pose.process(blank)
        faces.process(blank)
        self._pose = pose
        self._faces = faces  # last: _ensure's check without the lock reads it

    def pose(self, rgb: np.ndarray):
        with hold_stderr():
            self._ensure()
            with self._pose_lock:
                return self._pose.process(rgb)

    def faces(self, rgb: np.ndarray) -> list[tuple[float, float, float, float]]:
        """Face boxes ``(x, y, w, h)`` as fractions of the image, largest first."""
        with hold_stderr():
            self._ensure()
            with self._faces_lock:
                res = self._faces.process(rgb)
        boxes = []
        for det in res.detections or []:
            b = det.location_data.relative_bounding_box
            boxes.append((b.xmin, b.ymin, b.width, b.height))
        return sorted(boxes, key=lambda b: -b[2] * b[3])


_MP = _MediaPipe()
_FACE_WORKER: list[ThreadPoolExecutor] = []  # made on first use: importing tryon starts no thread
_FACE_WORKER_LOCK = threading.Lock()


def _face_worker() -> ThreadPoolExecutor:
    """The one thread :func:`detect_pose` runs the face detector on."""
    with _FACE_WORKER_LOCK:
        if not _FACE_WORKER:
            _FACE_WORKER.append(ThreadPoolExecutor(max_workers=1, thread_name_prefix="tryon-faces"))
        return _FACE_WORKER[0]


def build_graphs() -> None:
    """Build MediaPipe's graphs now, on this thread (a no-op once built).

    Building them sets the libraries' log-level environment (:func:`tryon.quiet.quiet_environment`)
    and imports MediaPipe. Changing the environment while another thread reads it from C is
    undefined: OpenCV's first call on the main thread read it while the face detector's thread
    built the graphs, and the process died of a segmentation fault (1 in about 80 CLI try-ons).
    Whatever starts threads that run OpenCV or MediaPipe (:class:`pipelines.TryOnPipeline`'s
    garment workers, :func:`detect_pose`'s face detector) calls this first."""
    if _MP.built:  # (every try-on asks: no hold of descriptor 2, no capture file, once built)
        return
    with hold_stderr():  # (their log lines on the way)
        _MP._ensure()


def _downscaled(rgb: np.ndarray, max_side: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    s = max_side / max(h, w)
    if s >= 1:
        return rgb
    return cv2.resize(rgb, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)


def _run_pose(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """MediaPipe on an RGB uint8 array -> (landmarks (33, 3), mask (h, w)) or None."""
    small = np.ascontiguousarray(_downscaled(rgb, POSE_INPUT_MAX_SIDE))
    res = _MP.pose(small)
    if res.pose_landmarks is None:
        return None
    lm = np.array(
        [(p.x, p.y, p.visibility) for p in res.pose_landmarks.landmark], dtype=np.float32
    )
    mask = res.segmentation_mask
    if mask is None:
        mask = np.zeros(small.shape[:2], np.float32)
    h, w = rgb.shape[:2]
    if mask.shape != (h, w):
        mask = cv2.resize(mask, (w, h), interpolation=cv2.INTER_LINEAR)
    return lm, np.clip(mask, 0.0, 1.0).astype(np.float32)


def face_boxes(image: np.ndarray) -> list[tuple[float, float, float, float]]:
    """MediaPipe's face detector on ``image`` (``(H, W, 3)`` uint8 RGB): the faces large enough
    to be a person worth mentioning, largest first, each ``(x, y, w, h)`` as fractions of the
    image. What :func:`detect_pose` runs first; a caller that has it passes it on (``faces=``)."""
    faces = _MP.faces(np.ascontiguousarray(_downscaled(np.asarray(image), POSE_INPUT_MAX_SIDE)))
    if not faces:
        return []
    biggest = faces[0][2] * faces[0][3]
    return [f for f in faces if f[2] * f[3] >= FACE_RELATIVE_MIN_AREA * biggest]


def has_face(image: np.ndarray) -> bool:
    """Whether MediaPipe's face detector finds a face in ``image`` (``(H, W, 3)`` uint8 RGB).
    A few milliseconds: cheaper than :func:`detect_pose`, so it screens photos first."""
    return bool(face_boxes(image))


def _crop_around_face(rgb: np.ndarray, face) -> tuple[int, int, int, int]:
    """A box ``(x0, y0, x1, y1)`` in px around the person under ``face``, down to the bottom."""
    h, w = rgb.shape[:2]
    fx, fy, fw, fh = face
    cx = (fx + fw / 2) * w
    half = PERSON_CROP_FACE_WIDTHS * fw * w
    x0, x1 = int(max(0, cx - half)), int(min(w, cx + half))
    y0 = int(max(0, (fy - fh) * h))
    return x0, y0, x1, h


def detect_pose(image: Image.Image | np.ndarray,
                faces: list[tuple[float, float, float, float]] | None = None) -> PoseResult:
    """Find the most prominent person's pose and segmentation.

    Args:
        image: RGB ``PIL.Image`` or ``(H, W, 3)`` uint8 array.
        faces: :func:`face_boxes` of this same ``image`` when the caller has run the face
            detector already (it is not run again); None: it runs here.

    Returns:
        a :class:`PoseResult` for the most prominent person (the largest face when faces
        show several people); ``warnings`` says so when there were several.

    Raises:
        NoPersonError: MediaPipe finds nobody.
    """
    rgb = np.asarray(image.convert("RGB") if isinstance(image, Image.Image) else image)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise TypeError("detect_pose expects an RGB image or an (H, W, 3) uint8 array")
    h, w = rgb.shape[:2]
    warnings: list[str] = []
    build_graphs()  # here, not on the face detector's thread
    # The face detector runs beside the pose (their graphs have locks of their own): ~4 ms less.
    faces_job = _face_worker().submit(face_boxes, rgb) if faces is None else None
    found = _run_pose(rgb)
    faces = faces_job.result() if faces_job is not None else faces

    if len(faces) > 1:
        warnings.append(
            f"We found {len(faces)} people in the photo and dressed the most prominent one; "
            "for the best result, upload a photo of one person."
        )
        # MediaPipe Pose tracks one person of its own choosing: make sure it is the one with
        # the largest face by running it again on a crop around that person.
        fx, fy, fw, fh = faces[0]
        nose_in_face = found is not None and (
            fx - fw / 2 <= found[0][C.NOSE, 0] <= fx + 1.5 * fw
            and fy - fh / 2 <= found[0][C.NOSE, 1] <= fy + 1.5 * fh
        )
        if not nose_in_face:
            x0, y0, x1, y1 = _crop_around_face(rgb, faces[0])
            cropped = _run_pose(rgb[y0:y1, x0:x1])
            if cropped is not None:
                lm, m = cropped
                lm[:, 0] = (lm[:, 0] * (x1 - x0) + x0) / w
                lm[:, 1] = (lm[:, 1] * (y1 - y0) + y0) / h
                full = np.zeros((h, w), np.float32)
                full[y0:y1, x0:x1] = m
                found = (lm, full)

    if found is None:
        raise NoPersonError(
            "We couldn't find a person in the photo; please upload a well-lit photo that "
            "shows you from the head to at least the waist."
        )
    landmarks, mask = found
    return PoseResult(landmarks, mask, (w, h), people=max(1, len(faces)), warnings=warnings, faces=len(faces))


def _inside(pt: np.ndarray) -> bool:
    return bool(-EDGE_MARGIN <= pt[0] <= 1 + EDGE_MARGIN and -EDGE_MARGIN <= pt[1] <= 1 + EDGE_MARGIN)


def check_upper_body(pose: PoseResult) -> None:
    """Raise :class:`PoseError` unless an upper-body try-on can work on this pose.

    Both shoulders must be visible inside the photo; hips inside the photo must be visible
    (hips predicted below the bottom edge, as in a waist-up portrait, are fine); the torso
    must stand upright enough and a fair part of it must be inside the photo.
    """
    lm = pose.landmarks
    w, h = pose.image_size
    ls, rs = lm[C.LEFT_SHOULDER], lm[C.RIGHT_SHOULDER]
    lh, rh = lm[C.LEFT_HIP], lm[C.RIGHT_HIP]
    for s in (ls, rs):
        if s[2] < C.MIN_SHOULDER_VISIBILITY or not _inside(s):
            raise PoseError(
                "We can't see both of your shoulders; please use a photo that shows you "
                "facing the camera from the head to at least the waist."
            )
    px = lambda p: np.array([p[0] * w, p[1] * h])  # noqa: E731 - tiny local helper
    shoulder_mid = (px(ls) + px(rs)) / 2
    hip_mid = (px(lh) + px(rh)) / 2
    shoulder_width = float(np.linalg.norm(px(ls) - px(rs)))
    drop = hip_mid[1] - shoulder_mid[1]
    clear_of_edge = h - HIP_EDGE_BAND * max(drop, 1.0)
    hips_in = [hp for hp in (lh, rh) if hp[1] * h <= clear_of_edge]
    if hips_in and all(hp[2] < C.MIN_HIP_VISIBILITY for hp in hips_in):
        raise PoseError(
            "Your upper body is hidden or turned away; please use a photo where your chest "
            "and waist are visible and you face the camera."
        )
    if drop < MIN_TORSO_SHOULDER_RATIO * shoulder_width:
        raise PoseError(
            "The body in the photo is not upright; please use a photo of you standing or "
            "sitting upright, facing the camera."
        )
    if (px(ls)[0] - px(rs)[0]) < MIN_FRONTAL_RATIO * drop:
        raise PoseError(
            "You seem to be turned sideways or away from the camera; please use a photo "
            "taken from the front."
        )
    visible = (min(hip_mid[1], h) - shoulder_mid[1]) / drop
    if visible < MIN_VISIBLE_TORSO:
        raise PoseError(
            "Too little of your upper body is in the photo; please use a photo that shows "
            "you from the head to at least the waist."
        )


def _pixel_grid(height: int, width: int, device=None) -> tuple[torch.Tensor, torch.Tensor]:
    ys = torch.arange(height, dtype=torch.float32, device=device).view(1, 1, height, 1)
    xs = torch.arange(width, dtype=torch.float32, device=device).view(1, 1, 1, width)
    return xs, ys


def heatmaps(
    landmarks: torch.Tensor,
    size: tuple[int, int],
    *,
    indices: tuple[int, ...] = C.POSE_MAP_LANDMARKS,
    sigma: float = C.HEATMAP_SIGMA,
    out: torch.Tensor | None = None,
) -> torch.Tensor:
    """Gaussian landmark heatmaps.

    Args:
        landmarks: ``(B, 33, 3)`` ``(x, y)`` as fractions of the frame, and visibility.
        size: ``(H, W)`` of the maps.
        indices: which landmarks become channels (default: :data:`POSE_MAP_LANDMARKS`).
        sigma: Gaussian std as a fraction of ``H``.
        out: where to write the maps (``(B, len(indices), H, W)`` float32, a view may do), or None.

    Returns:
        ``(B, len(indices), H, W)`` float32 in ``[0, 1]``, each peak scaled by visibility.
    """
    height, width = size
    lm = landmarks[:, list(indices)]
    xs, ys = _pixel_grid(height, width, lm.device)
    cx = (lm[..., 0] * width)[..., None, None]
    cy = (lm[..., 1] * height)[..., None, None]
    two_var = 2 * (sigma * height) ** 2
    # A 2-D Gaussian is the outer product of two 1-D ones: H + W exponentials instead of H x W.
    gx = torch.exp(-((xs - cx) ** 2) / two_var)                                   # (B, K, 1, W)
    gy = torch.exp(-((ys - cy) ** 2) / two_var) * lm[..., 2].clamp(0, 1)[..., None, None]  # (B, K, H, 1)
    # Factors below the root of float32's smallest normal number are 0: their products would be
    # subnormal, which slows the network's convolutions (see limb_maps).
    gx.masked_fill_(gx < _NORMAL_ROOT, 0.0)
    gy.masked_fill_(gy < _NORMAL_ROOT, 0.0)
    return torch.mul(gy, gx, out=out)


def limb_maps(
    landmarks: torch.Tensor,
    size: tuple[int, int],
    *,
    limbs: tuple[tuple[int, int], ...] = C.POSE_LIMBS,
    width: float = C.LIMB_WIDTH,
    out: torch.Tensor | None = None,
) -> torch.Tensor:
    """Soft limb segments.

    Args:
        landmarks: ``(B, 33, 3)`` as in :func:`heatmaps`.
        size: ``(H, W)`` of the maps.
        limbs: ``(a, b)`` landmark pairs, one channel each (default :data:`POSE_LIMBS`).
        width: Gaussian falloff from the segment, as a fraction of ``H``.
        out: where to write the maps (``(B, len(limbs), H, W)`` float32, a view may do), or None.

    Returns:
        ``(B, len(limbs), H, W)`` float32 in ``[0, 1]``, scaled by the lower visibility of
        the two ends.
    """
    height, w = size
    idx_a = [a for a, _ in limbs]
    idx_b = [b for _, b in limbs]
    ax = (landmarks[:, idx_a, 0] * w)[..., None, None]       # (B, L, 1, 1) pixels
    ay = (landmarks[:, idx_a, 1] * height)[..., None, None]
    abx = (landmarks[:, idx_b, 0] * w)[..., None, None] - ax
    aby = (landmarks[:, idx_b, 1] * height)[..., None, None] - ay
    xs, ys = _pixel_grid(height, w, landmarks.device)
    px, py = xs - ax, ys - ay                                  # (B, L, 1, W), (B, L, H, 1)
    # Projection of each pixel onto the segment, as a fraction of its length, kept on it.
    # (In place on two full-size tensors, the result's own and one more: this runs on every
    # try-on, and each fresh full-size tensor costs as much as the arithmetic.)
    t = torch.add(px * abx, py * aby, out=out)
    t.mul_(1.0 / (abx * abx + aby * aby).clamp_min(1e-6)).clamp_(0, 1)
    d2x = torch.addcmul(px, t, abx, value=-1).square_()
    d2 = torch.addcmul(py, t, aby, value=-1, out=t).square_().add_(d2x)  # squared distance to the segment
    s = width * height
    vis = torch.minimum(landmarks[:, idx_a, 2], landmarks[:, idx_b, 2]).clamp(0, 1)
    # 0 where exp's result would fall below float32's normal range (EXP_FLOOR): exp computes
    # such results ~6x slower, and the network's convolutions slow down on them too.
    exponent = d2.mul_(-1.0 / (2 * s * s))
    below = exponent < EXP_FLOOR
    return exponent.clamp_(min=EXP_FLOOR).exp_().masked_fill_(below, 0.0).mul_(vis[..., None, None])


POSE_CHANNELS = len(C.POSE_MAP_LANDMARKS) + len(C.POSE_LIMBS)


def pose_maps(landmarks: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """What the try-on network sees of the pose: landmark heatmaps then limb maps.

    Args:
        landmarks: ``(B, 33, 3)`` ``(x, y)`` as fractions of the frame, and visibility.
        size: ``(H, W)``.

    Returns:
        ``(B, POSE_CHANNELS, H, W)`` float32 in ``[0, 1]`` (15 heatmaps, then 10 limbs).
    """
    k = len(C.POSE_MAP_LANDMARKS)
    out = torch.empty(landmarks.shape[0], POSE_CHANNELS, *size, dtype=torch.float32, device=landmarks.device)
    heatmaps(landmarks, size, out=out[:, :k])  # each written in place: no concatenated copy
    limb_maps(landmarks, size, out=out[:, k:])
    return out


def draw_pose(image: Image.Image, pose: PoseResult, *, min_visibility: float = 0.3) -> Image.Image:
    """An RGB copy of ``image`` with the upper-body skeleton and the person mask drawn on it."""
    base = image.convert("RGB")
    w, h = base.size
    tint = Image.new("RGB", base.size, (40, 160, 255))
    mask = Image.fromarray((cv2.resize(pose.mask, (w, h)) * MASK_TINT_OPACITY).astype(np.uint8))
    out = Image.composite(tint, base, mask)
    draw = ImageDraw.Draw(out)
    pts = pose.pixels()
    lw = max(2, round(max(w, h) / 200))
    for a, b in _UPPER_BODY_CHAIN:
        if min(pts[a, 2], pts[b, 2]) >= min_visibility:
            draw.line([tuple(pts[a, :2]), tuple(pts[b, :2])], fill=(255, 220, 0), width=lw)
    for i in {i for pair in _UPPER_BODY_CHAIN for i in pair}:
        if pts[i, 2] >= min_visibility:
            x, y = pts[i, :2]
            draw.ellipse([x - 2 * lw, y - 2 * lw, x + 2 * lw, y + 2 * lw], fill=(255, 60, 60))
    return out
