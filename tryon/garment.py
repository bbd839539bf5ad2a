"""Garment preparation: a garment photo -> garment + mask + keypoints at the model frame.

The mask comes, in order of preference, from a mask the caller gives, the alpha channel of an
RGBA image with real transparency, a colour-distance threshold to the border colour when the
photo's border is plain (white or uniform), and otherwise GrabCut seeded at the centre. The
garment is then cropped, scaled to fit the frame with a margin, centred on pure white, like
VITON's in-shop cloth images, and its keypoints are read off the mask's row profile.

Conventions: arrays are ``(H, W)`` / ``(H, W, 3)``, row-major; keypoints are ``(x, y)`` pixel
coordinates (x to the right, y down, pixel centres at integers). ``_l`` / ``_r`` are IMAGE
left / right (smaller / larger x), not the wearer's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image

from tryon.constants import FRAME_HEIGHT, FRAME_WIDTH
from tryon.errors import GarmentError

__all__ = [
    "GARMENT_KEYPOINTS",
    "PreparedGarment",
    "resize_prepared",
    "segment_garment",
    "garment_keypoints",
    "prepare_garment",
]

GARMENT_KEYPOINTS = ("neck", "shoulder_l", "shoulder_r", "sleeve_l", "sleeve_r", "hem_l", "hem_r")

# --- segmentation --------------------------------------------------------------------------
ALPHA_CUT = 127                # alpha / given-mask values above this are garment
MIN_TRANSPARENT_FRACTION = 0.01  # RGBA counts as "real transparency" above this share
BORDER_BAND = 0.02             # border band width, fraction of the shorter side (>= 2 px)
BORDER_MIN_PX = 2
BORDER_TOL = 10.0              # Lab distance (OpenCV 8-bit units) of a "background-like" pixel
UNIFORM_BORDER_SHARE = 0.75    # the border is plain when this share is background-like
THRESH_MIN = 5.0               # smallest Lab distance from the border colour that is garment
THRESH_NOISE_GAIN = 3.0        # ... or this many times the border's own spread, if larger
THRESH_MAX_STRAY = 0.15        # refuse a threshold mask leaving this share of its pixels
THRESH_MAX_STRAY_IMAGE = 0.01  # ... and of the image out (clutter, a busy background)
THRESH_MAX_SIDE = 320          # threshold works on a copy at most this large (frame: 256)
GRABCUT_MAX_SIDE = 160         # GrabCut works on a copy at most this large (speed)
GRABCUT_ITERS = 3
GRABCUT_RNG_SEED = 0           # fixed, so that the same photo always gives the same mask
GRABCUT_INSET = 0.03           # rect = image minus this fraction on each side
GRABCUT_SEED = 0.12            # central box of sure garment, half-size as fraction of the side
WHITE_MIN_L = 200              # a border colour this light (OpenCV Lab L, 0-255) ...
WHITE_MAX_CHROMA = 12          # ... and this close to neutral (|a-128|, |b-128|) is "white"
LAB_NEUTRAL = 128              # OpenCV's 8-bit Lab puts a = b = 0 at 128
COLOURED_MIN_CHROMA = 25.0     # a border colour this saturated (Lab chroma) is "coloured" ...
SHADOW_L_SCALE = 0.5           # ... and there lightness differences count this much
SMALL_HOLE = 0.005             # off white, alpha: fill only holes up to this share of the mask
KEEP_COMPONENT_SHARE = 0.25    # keep components at least this share of the largest
MORPH_KERNEL = 0.012           # open/close kernel, fraction of the longer side (>= 3 px)
ALPHA_MORPH_KERNEL = 0.0       # alpha masks are drawn with care: 3 px only (keeps thin straps)
MIN_COVERAGE = 0.03            # automatic masks outside [MIN, MAX] of the image are refused
MAX_COVERAGE = 0.97
MIN_GIVEN_PIXELS = 64          # a given mask needs at least this many garment pixels
BORDER_TOUCH_WARN = 0.25       # warn when the mask covers this share of any image side

# --- layout --------------------------------------------------------------------------------
WORK_SCALE = 4                 # photos are first downscaled to this many times the output side
LAYOUT_MARGIN = 0.05           # free margin on each side of the frame, fraction of that side
WHITE = 255

# --- keypoints -----------------------------------------------------------------------------
HEM_BAND = 0.08                # bottom share of the garment's rows that defines the hem
HEM_MIN_WIDTH = 0.5            # hem rows: torso run >= this share of the lower-body median
WAIST_BAND = (0.3, 0.7)        # rows (share of height) whose narrowest torso caps the shoulders
SHOULDER_SPREAD = 0.45         # shoulders at centre +- this times the torso width
SHOULDER_BAND = 0.04           # search +- this share of the torso width (>= 1 px) of columns
SLEEVE_REF_ROW = 0.85          # torso reach above this row (share of height) is capped by
                               # the narrowest reach below it, down to this row ...
SLEEVE_START = 0.12            # ... and, above this far below the shoulders (share of height,
                               # neckline and straps), is the reach there
PROFILE_SMOOTH = 0.05          # running-median window of row profiles, share of the rows
SLEEVE_MARGIN = 0.08           # sleeve pixels lie beyond that reach + this share of the torso
SLEEVE_MIN_SHARE = 0.015       # ... form a blob of at least this share of the mask
SLEEVE_MIN_REACH = 0.10        # ... reaching at least this share of the torso further out
SLEEVE_FAR = 0.15              # sleeve end = pixels in the farthest 15 % from the shoulder

MSG_NOT_SEPARATED = (
    "We couldn't separate the garment from its background; please upload a photo of the "
    "garment laid flat on a plain background, or a PNG with transparency."
)
MSG_TOO_SMALL = (
    "The garment fills too little of the photo; please crop closer to the garment or "
    "photograph it laid flat so that it fills most of the picture."
)
MSG_TOO_LARGE = (
    "The garment seems to fill the whole photo, so we couldn't find its outline; please "
    "photograph it with some plain background showing all around it."
)
MSG_BAD_MASK = "The garment mask must have the same size as the garment photo; please upload a matching mask."
MSG_EMPTY_MASK = "The garment mask is empty; please upload a mask that is white on the garment."
WARN_GRABCUT = (
    "The garment was cut out from a busy background automatically, so its edges may be "
    "rough; a photo on a plain background or a PNG with transparency works best."
)
WARN_CUT_OFF = (
    "The garment seems cut off at the edge of the photo; for the best result, upload a "
    "photo that shows the whole garment."
)


@dataclass
class PreparedGarment:
    """A garment ready for warping, at the model frame.

    Attributes:
        rgb: ``(H, W, 3)`` uint8 garment on pure white (255) outside the mask.
        mask: ``(H, W)`` bool, True on the garment.
        keypoints: name -> ``(x, y)`` float pixel coordinates in ``rgb`` / ``mask``, or None
            when absent (e.g. no sleeves); names are :data:`GARMENT_KEYPOINTS`.
        method: how the mask was found: ``"given" | "alpha" | "threshold" | "grabcut"``.
        warnings: readable sentences for the shopper, one each.
    """

    rgb: np.ndarray
    mask: np.ndarray
    keypoints: dict[str, tuple[float, float] | None]
    method: str
    warnings: list[str] = field(default_factory=list)


# ============================================================================ segmentation
def _resize_to_max(arr: np.ndarray, max_side: int) -> np.ndarray:
    """Downscale ``arr`` (INTER_AREA) so that its longer side is at most ``max_side``."""
    h, w = arr.shape[:2]
    scale = max_side / max(h, w)
    if scale >= 1.0:
        return arr
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(arr, size, interpolation=cv2.INTER_AREA)


def _upscale_mask(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Resize a bool mask to ``shape`` (H, W) by thresholding a linear resize at 0.5."""
    if mask.shape == tuple(shape):
        return mask
    up = cv2.resize(mask.astype(np.float32), (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)
    return up > 0.5


def _border_pixels(arr: np.ndarray, band: int) -> np.ndarray:
    """The pixels of a band ``band`` px wide along the four image sides, ``(N, C)``."""
    c = arr.shape[2]
    parts = (arr[:band], arr[-band:], arr[band:-band, :band], arr[band:-band, -band:])
    return np.concatenate([p.reshape(-1, c) for p in parts])


def _kernel(shape: tuple[int, int], share: float) -> np.ndarray:
    """Elliptic kernel ``share`` of the longer side wide (odd, >= 3 px)."""
    k = max(3, round(share * max(shape)) | 1)
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))


def _fill_holes(mask: np.ndarray, max_share: float = np.inf) -> np.ndarray:
    """Fill background regions that do not touch the image border and whose area is at
    most ``max_share`` of the mask's (inf: all of them)."""
    inv = np.pad(~mask, 1, constant_values=True).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(inv, connectivity=4)
    areas = stats[:, cv2.CC_STAT_AREA].astype(float)
    fill = areas <= max_share * mask.sum()
    fill[0] = fill[labels[0, 0]] = False  # label 0: the mask itself; the padded outside
    return mask | fill[labels[1:-1, 1:-1]]


def _cleanup(mask: np.ndarray, max_hole: float = np.inf, kernel: float = MORPH_KERNEL) -> np.ndarray:
    """Open/close (``kernel``: share of the longer side), keep the largest component (and
    ones large relative to it), fill holes up to ``max_hole`` of the mask's area."""
    k = _kernel(mask.shape, kernel)
    m = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, k)
    m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, k)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
    if n <= 1:
        return np.zeros(mask.shape, bool)
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.flatnonzero(areas >= KEEP_COMPONENT_SHARE * areas.max()) + 1
    return _fill_holes(np.isin(labels, keep), max_hole)


def _alpha_mask(image: Image.Image) -> np.ndarray | None:
    """The alpha channel as a mask when the image has real transparency, else None."""
    if image.mode != "RGBA":
        return None
    alpha = np.asarray(image.getchannel("A"))
    if np.mean(alpha <= ALPHA_CUT) < MIN_TRANSPARENT_FRACTION:
        return None
    return alpha > ALPHA_CUT


def _threshold_mask(rgb: np.ndarray) -> np.ndarray | None:
    """Mask by Lab distance to the border colour, or None when the background is not plain
    (border not uniform, or much off-garment clutter left after cleanup)."""
    small = _resize_to_max(rgb, THRESH_MAX_SIDE)
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2LAB).astype(np.float32)
    band = max(BORDER_MIN_PX, round(BORDER_BAND * min(lab.shape[:2])))
    border = _border_pixels(lab, band)
    colour = np.median(border, axis=0)
    if np.hypot(*(colour[1:] - LAB_NEUTRAL)) >= COLOURED_MIN_CHROMA:
        # Strongly coloured background: a shadow on it changes lightness, the garment the
        # hue, so weigh lightness less (keeps shaded gaps beside sleeves out of the mask).
        lab[..., 0] *= SHADOW_L_SCALE
        border[:, 0] *= SHADOW_L_SCALE
        colour[0] *= SHADOW_L_SCALE
    dist_border = np.linalg.norm(border - colour, axis=1)
    background_like = dist_border < BORDER_TOL
    if background_like.mean() < UNIFORM_BORDER_SHARE:
        return None
    spread = np.percentile(dist_border[background_like], 90)
    thresh = max(THRESH_MIN, THRESH_NOISE_GAIN * spread)
    raw = np.linalg.norm(lab - colour, axis=2) > thresh
    # On white, a white print or a white garment's inside looks like background: fill every
    # hole. On a coloured background a large hole is background (between sleeve and body).
    white = colour[0] >= WHITE_MIN_L and np.abs(colour[1:] - LAB_NEUTRAL).max() <= WHITE_MAX_CHROMA
    mask = _cleanup(raw, np.inf if white else SMALL_HOLE)
    stray = (raw & ~mask).sum()
    if stray > THRESH_MAX_STRAY * raw.sum() and stray > THRESH_MAX_STRAY_IMAGE * raw.size:
        return None  # much garment-like colour off the garment: the background is not plain
    return _upscale_mask(mask, rgb.shape[:2])


def _grabcut_mask(rgb: np.ndarray) -> np.ndarray:
    """GrabCut on a small copy: outside a slightly inset rect is background, a central
    box is sure garment; the cleaned mask is scaled back to the image size."""
    small = np.ascontiguousarray(_resize_to_max(rgb, GRABCUT_MAX_SIDE)[..., ::-1])  # BGR
    h, w = small.shape[:2]
    gc = np.full((h, w), cv2.GC_BGD, np.uint8)
    iy, ix = max(1, round(GRABCUT_INSET * h)), max(1, round(GRABCUT_INSET * w))
    gc[iy:h - iy, ix:w - ix] = cv2.GC_PR_FGD
    sy, sx = max(1, round(GRABCUT_SEED * h)), max(1, round(GRABCUT_SEED * w))
    gc[h // 2 - sy:h // 2 + sy, w // 2 - sx:w // 2 + sx] = cv2.GC_FGD
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(GRABCUT_RNG_SEED)  # GrabCut's k-means init draws from OpenCV's global RNG
    cv2.grabCut(small, gc, None, bgd, fgd, GRABCUT_ITERS, cv2.GC_INIT_WITH_MASK)
    fg = (gc == cv2.GC_FGD) | (gc == cv2.GC_PR_FGD)
    return _upscale_mask(_cleanup(fg), rgb.shape[:2])


def _border_touch(mask: np.ndarray, inset: tuple[int, int]) -> float:
    """Largest share of any image side (read ``inset`` = (rows, cols) inside it) covered by
    the mask."""
    h, w = mask.shape
    iy, ix = min(inset[0], h // 2), min(inset[1], w // 2)
    sides = (mask[iy], mask[h - 1 - iy], mask[:, ix], mask[:, w - 1 - ix])
    return max(float(s.mean()) for s in sides)


def _check_coverage(mask: np.ndarray) -> None:
    coverage = float(mask.mean())
    if not mask.any():
        raise GarmentError(MSG_NOT_SEPARATED)
    if coverage < MIN_COVERAGE:
        raise GarmentError(MSG_TOO_SMALL)
    if coverage > MAX_COVERAGE:
        raise GarmentError(MSG_TOO_LARGE)


def segment_garment(image: Image.Image) -> tuple[np.ndarray, str, list[str]]:
    """Find the garment in a photo.

    Args:
        image: RGB or RGBA PIL image (other modes are converted).

    Returns:
        ``(mask, method, warnings)``: a full-resolution ``(H, W)`` bool mask, True on the
        garment; ``"alpha" | "threshold" | "grabcut"``; shopper-readable warning sentences.

    Raises:
        GarmentError: when nothing usable remains or the mask covers < 3 % or > 97 %.
    """
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "transparency" in image.info or "A" in image.mode else "RGB")
    warnings: list[str] = []
    inset = (0, 0)
    mask = _alpha_mask(image)
    if mask is not None:
        mask, method = _cleanup(mask, SMALL_HOLE, ALPHA_MORPH_KERNEL), "alpha"
    else:
        rgb = np.asarray(image.convert("RGB"))
        # A plain background that yields (almost) nothing means there is nothing to find;
        # only a busy or cluttered background, or an implausibly large mask, goes to GrabCut.
        mask, method = _threshold_mask(rgb), "threshold"
        if mask is None or mask.mean() > MAX_COVERAGE:
            mask, method = _grabcut_mask(rgb), "grabcut"
            # GrabCut never reaches past its rect: judge cut-off just inside it.
            inset = tuple(round(GRABCUT_INSET * n) + 1 for n in mask.shape)
            warnings.append(WARN_GRABCUT)
    _check_coverage(mask)
    if _border_touch(mask, inset) >= BORDER_TOUCH_WARN:
        warnings.append(WARN_CUT_OFF)
    return mask, method, warnings


# =============================================================================== keypoints
def _torso_runs(mask: np.ndarray, cx: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the ends ``(left, right)`` of the run of mask pixels containing column
    ``cx``, -1 where the row is empty. When ``cx`` is off the mask: in the upper half of the
    garment (a neckline dip) from the nearest run on its left to the nearest run on its
    right; lower down (sleeves hanging below the hem) the nearest run."""
    h, w = mask.shape
    cols = np.arange(w, dtype=np.int32)
    last_on = np.maximum.accumulate(np.where(mask, cols, -1), axis=1)  # last True at <= x
    first_on = np.minimum.accumulate(np.where(mask, cols, w)[:, ::-1], axis=1)[:, ::-1]
    last_off = np.maximum.accumulate(np.where(mask, -1, cols), axis=1)  # last False at <= x
    first_off = np.minimum.accumulate(np.where(mask, w, cols)[:, ::-1], axis=1)[:, ::-1]
    c_l, c_r = last_on[:, cx], first_on[:, cx]
    c_l, c_r = np.where(c_l < 0, c_r, c_l), np.where(c_r >= w, c_l, c_r)
    rows = np.arange(h)
    empty = ~mask.any(axis=1)
    filled = np.flatnonzero(~empty)
    lower = rows > (filled[0] + filled[-1]) / 2 if filled.size else rows >= 0
    nearer_left = (cx - c_l) <= (c_r - cx)
    c_l = np.where(lower & ~nearer_left, c_r, c_l)  # lower half: the nearest run only
    c_r = np.where(lower & nearer_left, c_l, c_r)
    left = np.where(empty, -1, last_off[rows, np.clip(c_l, 0, w - 1)] + 1)
    right = np.where(empty, -1, first_off[rows, np.clip(c_r, 0, w - 1)] - 1)
    return left, right


def _hem_rows(rows: np.ndarray, width: np.ndarray) -> np.ndarray:
    """The bottom rows of the torso: rows whose torso run is at least half the typical
    lower-body width (so a hanging sleeve end or a stray tail is not taken for the hem)."""
    lower = rows[rows >= (rows[0] + rows[-1]) / 2]
    full = rows[width[rows] >= HEM_MIN_WIDTH * np.median(width[lower])]
    bottom = full[-1]
    return full[full > bottom - max(1.0, HEM_BAND * (bottom - rows[0] + 1))]


def _smooth(profile: np.ndarray) -> np.ndarray:
    """Running median of a per-row profile (window a few % of its length, >= 3)."""
    k = max(3, round(PROFILE_SMOOTH * profile.size) | 1)
    padded = np.pad(profile.astype(float), k // 2, mode="edge")
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, k), axis=1)


def _side_envelope(extent: np.ndarray, rows: np.ndarray, span: tuple[int, int], hem: np.ndarray) -> np.ndarray:
    """Per row, how far the torso reaches on one side of the centre (px, inf: no limit).

    Between ``span = (start, ref)`` rows it is the smallest (median-smoothed) extent from
    that row down to ``ref``; above ``start`` (neckline, straps, hood) the value at ``start``;
    below ``ref`` the row's own; below the hem rows the hem's (what hangs lower is not torso).
    """
    start, ref = span
    env = np.full(extent.shape, np.inf)
    env[rows] = np.where(extent[rows] > 0, extent[rows], np.inf)  # <= 0: no torso this side
    env[hem[-1] + 1:] = np.median(extent[hem])
    smooth = _smooth(env[rows])
    inside = rows <= ref
    env[rows[inside]] = np.minimum.accumulate(smooth[inside][::-1])[::-1]
    if start < ref:
        env[:start] = env[start]
    return env


def _top_in_columns(mask: np.ndarray, x0: int, x1: int) -> float | None:
    """Median of the topmost mask row over columns ``x0..x1`` (clipped), None if none."""
    cols = mask[:, max(0, x0):min(mask.shape[1], x1 + 1)]
    has = cols.any(axis=0)
    if not has.any():
        return None
    return float(np.median(np.argmax(cols[:, has], axis=0)))


def _sleeve_end(beyond: np.ndarray, min_pixels: float, min_reach: float,
                shoulder: tuple[float, float]) -> tuple[float, float] | None:
    """The sleeve = the largest blob of garment pixels beyond the torso on one side
    (``beyond`` > 0: how far, in px, NaN off the mask); its end = centroid of its pixels
    farthest from the shoulder. None if that blob is small or hardly reaches out."""
    side = np.nan_to_num(beyond, nan=0.0) > 0
    n, labels, stats, _ = cv2.connectedComponentsWithStats(side.astype(np.uint8), connectivity=8)
    if n <= 1:
        return None
    biggest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    blob = labels == biggest
    if stats[biggest, cv2.CC_STAT_AREA] < min_pixels or beyond[blob].max() < min_reach:
        return None
    ys, xs = np.nonzero(blob)
    d = np.hypot(xs - shoulder[0], ys - shoulder[1])
    far = d >= (1.0 - SLEEVE_FAR) * d.max()
    return float(xs[far].mean()), float(ys[far].mean())


def garment_keypoints(mask: np.ndarray) -> dict[str, tuple[float, float] | None]:
    """Garment keypoints of a front-view garment mask.

    Args:
        mask: ``(H, W)`` bool (or 0/1) mask, True on the garment.

    Returns:
        :data:`GARMENT_KEYPOINTS` -> ``(x, y)`` float pixel coordinates, in image terms
        (``_l`` = smaller x). ``neck`` is the centre of the shoulder line (not the neckline
        dip); ``sleeve_*`` are the sleeve ends, None without sleeves. All None for an empty mask.
    """
    mask = np.asarray(mask, bool)
    out: dict[str, tuple[float, float] | None] = dict.fromkeys(GARMENT_KEYPOINTS)
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return out
    top = rows[0]
    # 1. centre column: the mask centroid, then the middle of the torso at the hem.
    cx = int(round(np.nonzero(mask)[1].mean()))
    for _ in range(2):
        left, right = _torso_runs(mask, cx)
        hem = _hem_rows(rows, right - left + 1)
        cx = int(round(np.median((left[hem] + right[hem]) / 2)))
    left, right = _torso_runs(mask, cx)
    width = right - left + 1
    hem = _hem_rows(rows, width)
    # 2. hem: ends of the torso run over the bottom rows.
    hem_y, hem_w = float(hem[-1]), float(np.median(width[hem]))
    out["hem_l"] = (float(np.median(left[hem])), hem_y)
    out["hem_r"] = (float(np.median(right[hem])), hem_y)
    # 3. shoulders: topmost pixel at the torso's sides (torso capped at the waist for dresses).
    height = hem_y - top + 1
    waist = rows[(rows >= top + WAIST_BAND[0] * height) & (rows <= top + WAIST_BAND[1] * height)]
    torso_w = min(hem_w, float(_smooth(width[waist]).min())) if waist.size else hem_w
    band = max(1, round(SHOULDER_BAND * torso_w))
    for name, sign in (("shoulder_l", -1), ("shoulder_r", 1)):
        x = int(round(cx + sign * SHOULDER_SPREAD * torso_w))
        y = _top_in_columns(mask, x - band, x + band)
        out[name] = None if y is None else (float(x), y)
    sl, sr = out["shoulder_l"], out["shoulder_r"]
    if sl is not None and sr is not None:
        out["neck"] = (float(cx), (sl[1] + sr[1]) / 2)
    # 4. sleeves: pixels clearly beyond the torso's reach on their side.
    shoulder_y = min((p[1] for p in (sl, sr) if p is not None), default=top)
    span = (int(shoulder_y + SLEEVE_START * height), int(top + SLEEVE_REF_ROW * height))
    margin = SLEEVE_MARGIN * torso_w
    xs = np.arange(mask.shape[1])[None, :]
    env_l = _side_envelope(cx - left, rows, span, hem)[:, None]
    env_r = _side_envelope(right - cx, rows, span, hem)[:, None]
    off = np.where(mask, 0.0, np.nan)
    min_pixels, min_reach = SLEEVE_MIN_SHARE * mask.sum(), SLEEVE_MIN_REACH * torso_w
    for name, shoulder, beyond in (("sleeve_l", sl, off + (cx - env_l - margin) - xs),
                                   ("sleeve_r", sr, off + xs - (cx + env_r + margin))):
        if shoulder is not None:
            out[name] = _sleeve_end(beyond, min_pixels, min_reach, shoulder)
    return out


# ================================================================================== layout
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


def _layout(rgb: np.ndarray, mask: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Crop to the mask's box, fit into ``size`` (H, W) with a margin, centre on white."""
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
    return out_rgb, out_mask


def prepare_garment(image: Image.Image, mask=None, *, size: tuple[int, int] = (FRAME_HEIGHT, FRAME_WIDTH)) -> PreparedGarment:
    """Garment photo -> :class:`PreparedGarment` at ``size`` = (H, W).

    Args:
        image: RGB or RGBA PIL image of one garment, front view.
        mask: optional garment mask of the same size: PIL ``L``/``1`` or a numpy bool/uint8
            ``(H, W)`` array; values > 127 (or True) are garment. Used as is (method "given").
        size: output ``(height, width)`` in pixels; defaults to the model frame.

    Raises:
        GarmentError: the garment cannot be separated, or the mask is empty or mis-sized.
    """
    given = None if mask is None else _as_mask(mask, image.size)
    image, given = _limit_size(image, given, WORK_SCALE * max(size))
    if given is not None:
        full_mask, method, warnings = given, "given", []
    else:
        full_mask, method, warnings = segment_garment(image)
    rgb, out_mask = _layout(np.asarray(image.convert("RGB")), full_mask, tuple(size))
    return PreparedGarment(rgb, out_mask, garment_keypoints(out_mask), method, warnings)


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
    return PreparedGarment(rgb, mask, keypoints, prepared.method, list(prepared.warnings))
