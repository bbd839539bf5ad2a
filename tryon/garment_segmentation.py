"""Garment segmentation: find the garment in a photo, as a full-resolution mask.

The mask comes, in order of preference, from the alpha channel of an RGBA image with real
transparency, a colour-distance threshold to the border colour when the photo's border is
plain (white or uniform), and otherwise the learned garment cutter (:mod:`tryon.learned_cut`:
garments on beds, floors and hangers), or GrabCut seeded at the centre where the cutter's
weights are not there (a mask the caller gives is taken by :func:`tryon.garment.prepare_garment`
before any of these).

Conventions: arrays are ``(H, W)`` / ``(H, W, 3)``, row-major.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from tryon.errors import GarmentError
from tryon.grabcut import GRABCUT_ITERS, GRABCUT_RNG_SEED, run_grabcut  # noqa: F401 (named here before)

__all__ = [
    "ALPHA_CUT",
    "MIN_COVERAGE",
    "MAX_COVERAGE",
    "MSG_NOT_SEPARATED",
    "MSG_TOO_SMALL",
    "MSG_TOO_LARGE",
    "WARN_GRABCUT",
    "WARN_CUT_OFF",
    "segment_garment",
    "fill_holes",
    "grabcut_mask",
    "learned_mask",
    "AUTO",
    "has_transparency",
]

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
BORDER_TOUCH_WARN = 0.25       # warn when the mask covers this share of any image side

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
WARN_GRABCUT = (
    "The garment was cut out from a busy background automatically, so its edges may be "
    "rough; a photo on a plain background or a PNG with transparency works best."
)
WARN_CUT_OFF = (
    "The garment seems cut off at the edge of the photo; for the best result, upload a "
    "photo that shows the whole garment."
)


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


def fill_holes(mask: np.ndarray, max_share: float = np.inf) -> np.ndarray:
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
    return fill_holes(np.isin(labels, keep), max_hole)


def has_transparency(image: Image.Image) -> bool:
    """Whether the image is RGBA with real transparency (its alpha is then the garment's mask)."""
    return _alpha_mask(image) is not None


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


def grabcut_mask(rgb: np.ndarray) -> np.ndarray:
    """GrabCut on a small copy: outside a slightly inset rect is background, a central
    box is sure garment; the cleaned mask is scaled back to the image size."""
    small = np.ascontiguousarray(_resize_to_max(rgb, GRABCUT_MAX_SIDE)[..., ::-1])  # BGR
    h, w = small.shape[:2]
    gc = np.full((h, w), cv2.GC_BGD, np.uint8)
    iy, ix = max(1, round(GRABCUT_INSET * h)), max(1, round(GRABCUT_INSET * w))
    gc[iy:h - iy, ix:w - ix] = cv2.GC_PR_FGD
    sy, sx = max(1, round(GRABCUT_SEED * h)), max(1, round(GRABCUT_SEED * w))
    gc[h // 2 - sy:h // 2 + sy, w // 2 - sx:w // 2 + sx] = cv2.GC_FGD
    return _upscale_mask(_cleanup(run_grabcut(small, gc)), rgb.shape[:2])


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


def learned_mask(rgb: np.ndarray, cutter, refine: bool = True) -> np.ndarray:
    """The cutter's mask (``refine=False``: its network's probability above one half, without
    GrabCut's refinement), cleaned lightly: the largest garment-sized components, every hole
    filled (a garment has none; a doubted patch of print is one), no opening (which would take
    thin straps off)."""
    mask = cutter(rgb) if refine else cutter.probability(rgb) > 0.5
    return _cleanup(mask, np.inf, ALPHA_MORPH_KERNEL)


AUTO = "auto"


def segment_garment(image: Image.Image, cutter=AUTO) -> tuple[np.ndarray, str, list[str]]:
    """Find the garment in a photo.

    Args:
        image: RGB or RGBA PIL image (other modes are converted).
        cutter: the :class:`tryon.learned_cut.Cutter` for photos on a busy background (default
            ``"auto"``: the bundled one, loaded once); None: GrabCut instead.

    Returns:
        ``(mask, method, warnings)``: a full-resolution ``(H, W)`` bool mask, True on the
        garment; ``"alpha" | "threshold" | "learned" | "grabcut"``; shopper-readable warning sentences.

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
            if cutter == AUTO:
                from tryon.learned_cut import default_cutter

                cutter = default_cutter()
            if cutter is not None:
                mask, method = learned_mask(rgb, cutter), "learned"
            else:
                mask, method = grabcut_mask(rgb), "grabcut"
                # GrabCut never reaches past its rect: judge cut-off just inside it.
                inset = tuple(round(GRABCUT_INSET * n) + 1 for n in mask.shape)
            warnings.append(WARN_GRABCUT)
    _check_coverage(mask)
    if _border_touch(mask, inset) >= BORDER_TOUCH_WARN:
        warnings.append(WARN_CUT_OFF)
    return mask, method, warnings
