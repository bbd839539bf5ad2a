"""Garment warping: a landmark-driven thin-plate spline (the baseline fit and the learned
warper's initialisation), and dense sampling grids.

Conventions: pixel ``(x, y)`` in the frame; kornia's TPS works in normalised coordinates
``[-1, 1]`` with ``align_corners=True`` (``-1`` and ``1`` are the centres of the corner pixels).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from kornia.geometry import create_meshgrid
from kornia.geometry.transform import get_tps_transform, warp_points_tps

from tryon import constants as C
from tryon.body import body_unit
from tryon.garment_keypoints import MaskAnalysis, sleeve_masks
from tryon.masks import nearest_pixels
from tryon.sleeve_fit import OFF_GARMENT, arc_position, near_chain, sleeve_axis, sleeve_grid

__all__ = [
    "WarpedGarment",
    "LengthScales",
    "MEASURED_LENGTHS",
    "PHOTO_LENGTHS",
    "trained_lengths",
    "worn_lengths",
    "WARP_LENGTHS_KEY",
    "to_normalized",
    "tps_grid",
    "tps_warp",
    "body_targets",
    "named_targets",
    "image_sides",
    "fold_fraction",
    "warp_garment",
]

# Where a garment's keypoints land on the body, in body units U (see tryon.body).
GARMENT_SHOULDER_OUT = 0.10  # garment shoulder seam lies this far outside the shoulder joint
GARMENT_SHOULDER_UP = 0.08   # ...and this far above it (the shoulder's top contour)
HEM_MIN_HALF = 0.40          # a hem is at least this half-wide on the body (covers the hips)...
HEM_MIN_BELOW_HIP = 0.05     # ...and reaches at least this far below the hip joints, so a short
                             # garment still hides the top the person wears...
OLD_HEM_MAX_BELOW_HIP = 0.4  # ...and down to the old top's hem when that is longer, up to this far below
                             # the hip joints (not down a dress)
OLD_CUFF_MAX_PAST = 0.5      # upper-arm lengths: a new sleeve ending at most this far above the worn sleeve's
                             # cuff is lengthened down to it (tryon.sleeve_cover.old_cuffs; a worn sleeve
                             # reaching farther down is bared: tryon.bare_arms.BARE_MARGIN, the same 0.5)
OLD_CUFF_OVERLAP = 0.1       # ...and past it by this much (its hem's rim is slanted; the network fades the
                             # sleeve out short of its end)
MIN_KEYPOINT_VISIBILITY = 0.3  # an arm below this visibility does not steer its sleeve
MIN_POINT_SPREAD = 2.0       # px: control points closer than this are merged (TPS singular)
MIN_ALPHA = 1e-3             # un-premultiplying divides by at least this coverage
TPS_GRID_STEP = 4            # px: the spline is evaluated on a grid this coarse, then
                             # interpolated (it is smooth; this cuts the cost ~16x)
FOLD_TOLERANCE = 0.02        # a fit that shows the garment mirrored (folded over itself) on more
                             # than this fraction of its pixels is refused; sleeves are then laid
                             # along the arms on their own (tryon.sleeve_fit), or failing that, let go
                             # (on VITON, 27% of full fits fold, mostly long sleeves on hanging arms)


class LengthScales(NamedTuple):
    """How much of a garment photo's own length the spline gives it on the body (times the
    shoulder-width scale): ``hem``, the neck-to-hem drop; ``sleeve``, the shoulder-to-cuff
    length (a laid-out sleeve's width keeps the shoulder-width scale)."""

    hem: float
    sleeve: float


# Measured by `tryon eval lengths` (tryon.eval_lengths) on 400 VITON training pairs, never the
# validation ones nor the test portion: fitted with the photo's own proportions, worn hems hang
# 0.618 of the photo's neck-to-hem drop below the shoulders (median of 392 garments); long
# sleeves worn long reach the wrist at 0.611 of their fitted length (95 arms), short ones end
# where the bare arm begins at 0.542 (401 arms); one sleeve factor between the two, nearer the
# long one so that long sleeves still reach the wrists. With the photo's proportions hems hung
# below the hips and short sleeves reached the elbows, and the network learned a flow of median
# 30 px (in the 256x192 frame) pulling every garment up, which squashed prints on shoppers' photos.
MEASURED_LENGTHS = LengthScales(hem=0.62, sleeve=0.6)
PHOTO_LENGTHS = LengthScales(hem=1.0, sleeve=1.0)   # try-on networks trained before the calibration
WARP_LENGTHS_KEY = "warp_lengths"  # in a try-on network's config.json "extra": the lengths it was trained with


def worn_lengths(lengths: LengthScales) -> LengthScales:
    """``lengths`` for a garment cut out of a photo of someone wearing it (:mod:`tryon.worn`): its
    keypoints already hang as worn, :data:`MEASURED_LENGTHS` times a garment photo's, so the
    shares are divided by those (1.0 for a network trained with the measured lengths)."""
    return LengthScales(*(a / b for a, b in zip(lengths, MEASURED_LENGTHS)))


def trained_lengths(extra: dict) -> LengthScales:
    """The :class:`LengthScales` a try-on network was trained with, from its config's ``extra``
    (:data:`PHOTO_LENGTHS` for networks saved before they were recorded)."""
    found = extra.get(WARP_LENGTHS_KEY)
    return LengthScales(**found) if found else PHOTO_LENGTHS


TORSO_POINTS = ("neck", "shoulder_l", "shoulder_r", "hem_l", "hem_r")
OFF_MARGIN = 2               # px: a sleeve fit's grid stays real this far outside its garment
_SQUARE_3 = np.ones((3, 3), np.uint8)  # a laid sleeve's rim: the one frame pixel in from its edge
ROOT_SHIFT = 0.5             # a sleeve laid along its arm when asked starts this share of the way from the
                             # shoulder joint to the garment's shoulder seam on the body (else skin showed
                             # between the seam and a short sleeve's top)...
SLEEVE_SHARE_RANGE = (0.3, 1.5)  # ...and ends where the full fit puts its end along the arm: its axis's
                             # scaled length times a share clamped to this range (else it ended halfway);
                             # a folded fit's fallback does neither (long sleeves got skin patches)
HANGING_WIDTH = 0.75         # a sleeve lying flat beside the body on its photo is half its round: laid along
                             # the arm, it is worn this share as wide (at its full width it hid a bent arm)
LONG_WIDTH = 1.3             # a long sleeve spread on its photo, laid down a bare arm, is worn this share as
                             # wide (a tight one, at its own width, left the arm's edges bare)
FRONT_WIDTH = 1.0            # a laid sleeve lies over the torso within this many of its half-widths of the
                             # forearm, under it elsewhere (else the armhole's far side crossed the chest)...
ARM_REACH = 2.0              # ...and over a bare arm's own pixels within this many of those widths of its bones
GAP_REACH = 0.5              # the arm a laid sleeve misses beside it is covered within this many of those widths...
WHOLE_COVER = 0.99           # ...by the sleeve's nearest pixel of at least this coverage


@dataclass
class WarpedGarment:
    """A garment fitted onto the body in the frame.

    Attributes:
        rgb: ``(H, W, 3)`` uint8 garment colours (undefined where ``alpha`` is 0).
        alpha: ``(H, W)`` float32 in ``[0, 1]``, garment coverage.
        src: ``(N, 2)`` garment keypoints used, frame pixels.
        dst: ``(N, 2)`` body targets they were mapped to, frame pixels.
        grid: ``(H, W, 2)`` float32, where each frame pixel reads the prepared garment: its
            ``(x, y)`` in ``[-1, 1]`` (``align_corners=True``), the spline's sampling grid.
        flow: ``(2, H, W)`` float32, the network's residual flow on top of the spline
            (normalised units, ``align_corners=False``); None before the network.
        shows: ``(H, W)`` float32 in ``[0, 1]``, where the network's render shows the garment,
            before its coverage ``alpha``; None before the network.
        keeps: ``(H, W)`` float32 in ``[0, 1]``, where the network's render keeps the photo's own
            pixels (revealed skin and background); None before the network.
        layers: the fit's two grids apart when sleeves were laid along the arms
            (:class:`SleeveLayers`: ``grid`` tears where a sleeve meets the torso), else None.
    """

    rgb: np.ndarray
    alpha: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    grid: np.ndarray | None = None
    flow: np.ndarray | None = None
    shows: np.ndarray | None = None
    keeps: np.ndarray | None = None
    layers: SleeveLayers | None = None


@dataclass
class SleeveLayers:
    """A fit with sleeves laid along the arms, as two continuous grids and where each shows:
    :attr:`WarpedGarment.grid` is ``sleeves`` where ``shows``, else ``torso``, so it jumps
    between two places of the garment at their seam; read through each grid on its own and
    blended over the seam (:func:`tryon.fullres.compose`), the seam is smooth at any size.

    Attributes:
        torso: ``(H, W, 2)`` float32, the torso's spline grid (as :attr:`WarpedGarment.grid`).
        sleeves: ``(H, W, 2)`` float32, the laid sleeves' grids (:func:`tryon.sleeve_fit.sleeve_grid`;
            :data:`~tryon.sleeve_fit.OFF_GARMENT` beyond their reach).
        shows: ``(H, W)`` bool, where the fit shows a sleeve, and the bare arm below a laid
            short sleeve (read through the sleeve's grid, it shows nothing past its hem).
    """

    torso: np.ndarray
    sleeves: np.ndarray
    shows: np.ndarray


def to_normalized(xy: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Pixel ``(..., 2)`` -> normalised ``[-1, 1]`` (``align_corners=True``) for an ``(H, W)`` image."""
    h, w = size
    scale = torch.tensor([2.0 / max(w - 1, 1), 2.0 / max(h - 1, 1)], dtype=xy.dtype, device=xy.device)
    return xy * scale - 1.0


def tps_grid(
    src: torch.Tensor, dst: torch.Tensor, size: tuple[int, int], *, step: int = TPS_GRID_STEP
) -> torch.Tensor:
    """The ``grid_sample`` grid of the thin-plate spline that carries ``src`` onto ``dst``.

    Args:
        src: ``(B, N, 2)`` pixel ``(x, y)`` in the input image; N >= 3, not all collinear.
        dst: ``(B, N, 2)`` pixel positions where those points must end up.
        size: ``(H, W)`` of both images.
        step: evaluate the spline every ``step`` pixels and interpolate (1 = exact).

    Returns:
        ``(B, H, W, 2)`` normalised sampling positions (``align_corners=True``).
    """
    h, w = size
    s = to_normalized(src.float(), size)
    d = to_normalized(dst.float(), size)
    # kornia fits the spline on (dst -> src): each output position is sent to where it samples.
    kernel, affine = get_tps_transform(d, s)
    gh, gw = max(2, (h - 1) // step + 1), max(2, (w - 1) // step + 1)
    coarse = create_meshgrid(gh, gw, normalized_coordinates=True, device=src.device)
    coarse = coarse.expand(src.shape[0], -1, -1, -1).reshape(src.shape[0], -1, 2)
    coarse = warp_points_tps(coarse, s, kernel, affine).view(-1, gh, gw, 2)
    grid = F.interpolate(coarse.permute(0, 3, 1, 2), size=(h, w), mode="bilinear", align_corners=True)
    return grid.permute(0, 2, 3, 1)


def tps_warp(image: torch.Tensor, src: torch.Tensor, dst: torch.Tensor, *, step: int = TPS_GRID_STEP) -> torch.Tensor:
    """Warp ``image`` with the thin-plate spline that carries ``src`` points onto ``dst``.

    Args:
        image: ``(B, C, H, W)`` float.
        src: ``(B, N, 2)`` pixel ``(x, y)`` of points in ``image``.
        dst: ``(B, N, 2)`` pixel positions where those points must end up.
        step: see :func:`tps_grid`.

    Returns:
        ``(B, C, H, W)``: output pixel ``dst[i]`` shows input pixel ``src[i]``; zeros where the
        spline samples outside ``image``.
    """
    return _sample(image, tps_grid(src, dst, image.shape[-2:], step=step))


def _sample(image: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    """``image`` ``(B, C, H, W)`` read at ``grid`` ``(B, H, W, 2)`` (normalised), zeros outside."""
    return F.grid_sample(image, grid.to(image.dtype), mode="bilinear", padding_mode="zeros",
                         align_corners=True)


def _walk(chain: list[np.ndarray], distance: float) -> np.ndarray:
    """The point ``distance`` px along the polyline ``chain`` (extended past its last point)."""
    for a, b in zip(chain[:-1], chain[1:]):
        seg = float(np.linalg.norm(b - a))
        if distance <= seg or b is chain[-1]:
            return a + (b - a) / max(seg, 1e-6) * distance
        distance -= seg
    return chain[-1]


def body_targets(
    keypoints: dict[str, tuple[float, float] | None], landmarks: np.ndarray,
    lengths: LengthScales = MEASURED_LENGTHS,
) -> tuple[np.ndarray, np.ndarray]:
    """Pair a garment's keypoints with where they belong on the body.

    The garment is scaled by the ratio of body to garment shoulder width: the neck and
    shoulders go onto the shoulder line, the hem hangs from it by the garment's scaled length
    times ``lengths.hem`` (at least as wide as the hips, and below them), and each sleeve end is
    placed along its arm (shoulder -> elbow -> wrist) at the sleeve's scaled length times
    ``lengths.sleeve``.

    Args:
        keypoints: garment keypoints (frame pixels, ``_l`` = image-left), as made by
            :func:`tryon.garment.garment_keypoints`; needs neck, shoulders and hems.
        landmarks: ``(33, 3)`` body landmarks, frame pixels and visibility, torso upright.
        lengths: the share of the photo's lengths worn (:data:`MEASURED_LENGTHS`; a try-on
            network is fed the lengths it was trained with, see :data:`PHOTO_LENGTHS`).

    Returns:
        ``(src, dst)``, each ``(N, 2)`` float64 frame pixels.
    """
    _, src, dst = named_targets(keypoints, landmarks, lengths)
    return src, dst


def image_sides(landmarks: np.ndarray) -> list[tuple[int, int, int, int]]:
    """(shoulder, elbow, wrist, hip) landmark ids of the image-left body side, then the image-right
    one (for a person facing the camera, their RIGHT is image-left)."""
    sides = [(C.RIGHT_SHOULDER, C.RIGHT_ELBOW, C.RIGHT_WRIST, C.RIGHT_HIP),
             (C.LEFT_SHOULDER, C.LEFT_ELBOW, C.LEFT_WRIST, C.LEFT_HIP)]
    return sorted(sides, key=lambda side: landmarks[side[0], 0])


def _arm_chains(landmarks: np.ndarray) -> dict[str, np.ndarray | None]:
    """``{"sleeve_l": (M, 2) shoulder joint -> elbow (-> wrist) frame pixels, "sleeve_r": ...}``
    by image side; None where the elbow is not visible enough to steer a sleeve."""
    p, vis = landmarks[:, :2].astype(np.float64), landmarks[:, 2]
    chains: dict[str, np.ndarray | None] = {}
    for name, (sh, el, wr, _) in zip(("sleeve_l", "sleeve_r"), image_sides(landmarks)):
        if vis[el] < MIN_KEYPOINT_VISIBILITY:
            chains[name] = None
            continue
        chains[name] = np.array([p[sh], p[el]] + ([p[wr]] if vis[wr] >= MIN_KEYPOINT_VISIBILITY else []))
    return chains


def named_targets(keypoints, landmarks, lengths: LengthScales = MEASURED_LENGTHS,
                  hem_row: float | None = None,
                  cuffs: dict[int, np.ndarray] | None = None) -> tuple[list[str], np.ndarray, np.ndarray]:
    """:func:`body_targets`, with the name of each pair (``neck``, ``shoulder_l``, ``sleeve_r``...);
    with ``hem_row`` (frame row of the old top's hem, :func:`tryon.old_garment.old_hem`), the hem
    hangs at least that low (at most :data:`OLD_HEM_MAX_BELOW_HIP` below the hip joints); with
    ``cuffs`` (elbow landmark index -> frame point where the worn sleeve ends,
    :func:`tryon.sleeve_cover.old_cuffs`), a sleeve ending at most :data:`OLD_CUFF_MAX_PAST`
    above it reaches it (else the worn sleeve's dark hem showed as a band below the new one)."""
    p = landmarks[:, :2].astype(np.float64)
    vis = landmarks[:, 2]
    u = body_unit(landmarks)
    (sl, el_l, wr_l, hp_l), (sr, el_r, wr_r, hp_r) = image_sides(landmarks)
    shoulder_mid = (p[sl] + p[sr]) / 2
    hip_mid = (p[hp_l] + p[hp_r]) / 2
    down = (hip_mid - shoulder_mid) / max(np.linalg.norm(hip_mid - shoulder_mid), 1e-6)
    across = np.array([down[1], -down[0]])  # image-left -> image-right when upright
    if np.dot(across, p[sr] - p[sl]) < 0:
        across = -across

    t_sl = p[sl] - across * GARMENT_SHOULDER_OUT * u - down * GARMENT_SHOULDER_UP * u
    t_sr = p[sr] + across * GARMENT_SHOULDER_OUT * u - down * GARMENT_SHOULDER_UP * u
    t_neck = (t_sl + t_sr) / 2

    g = {k: np.asarray(v, np.float64) for k, v in keypoints.items() if v is not None}
    g_neck = g["neck"]
    g_width = max(float(np.linalg.norm(g["shoulder_r"] - g["shoulder_l"])), 1.0)
    k = float(np.linalg.norm(t_sr - t_sl)) / g_width
    g_down = np.array([0.0, 1.0])
    g_across = np.array([1.0, 0.0])

    names = ["neck", "shoulder_l", "shoulder_r"]
    src = [g_neck, g["shoulder_l"], g["shoulder_r"]]
    dst = [t_neck, t_sl, t_sr]
    for name, sign in (("hem_l", -1.0), ("hem_r", 1.0)):
        v = g[name] - g_neck
        hip_drop = float(np.dot(hip_mid - t_neck, down)) + HEM_MIN_BELOW_HIP * u
        along = max(float(np.dot(v, g_down)) * k * lengths.hem, hip_drop)
        if hem_row is not None:
            old_drop = float(np.dot(np.array([hip_mid[0], hem_row]) - t_neck, down))
            along = max(along, min(old_drop, hip_drop + (OLD_HEM_MAX_BELOW_HIP - HEM_MIN_BELOW_HIP) * u))
        side = max(abs(float(np.dot(v, g_across))) * k, HEM_MIN_HALF * u)
        names.append(name)
        src.append(g[name])
        dst.append(t_neck + down * along + across * sign * side)
    for name, g_sh, t_sh, sh, el, wr in (
        ("sleeve_l", "shoulder_l", t_sl, sl, el_l, wr_l),
        ("sleeve_r", "shoulder_r", t_sr, sr, el_r, wr_r),
    ):
        if name not in g or vis[el] < MIN_KEYPOINT_VISIBILITY:
            continue
        length = float(np.linalg.norm(g[name] - g[g_sh])) * k * lengths.sleeve
        chain = [t_sh, p[el]] + ([p[wr]] if vis[wr] >= MIN_KEYPOINT_VISIBILITY else [])
        if cuffs is not None and el in cuffs:
            old = arc_position(np.array(chain), cuffs[el])
            upper = float(np.linalg.norm(p[el] - p[sh]))
            if length < old + OLD_CUFF_OVERLAP * upper <= length + OLD_CUFF_MAX_PAST * upper:
                length = old + OLD_CUFF_OVERLAP * upper
        names.append(name)
        src.append(g[name])
        dst.append(_walk(chain, length))
    keep = _dedupe(np.array(src), np.array(dst))
    return [names[i] for i in keep], np.array(src)[keep], np.array(dst)[keep]


def _dedupe(src: np.ndarray, dst: np.ndarray) -> list[int]:
    """The control points to keep: those that coincide with an earlier one make the TPS singular."""
    keep = []
    for i in range(len(src)):
        if all(
            np.linalg.norm(src[i] - src[j]) >= MIN_POINT_SPREAD
            and np.linalg.norm(dst[i] - dst[j]) >= MIN_POINT_SPREAD
            for j in keep
        ):
            keep.append(i)
    return keep


def fold_fraction(grid: torch.Tensor, alpha: torch.Tensor) -> float:
    """How much of a warped garment is folded over itself (shown mirrored).

    Args:
        grid: ``(H, W, 2)`` normalised sampling grid of the warp (output pixel -> garment pixel).
        alpha: ``(H, W)`` warped garment coverage in ``[0, 1]``.

    Returns:
        the fraction in ``[0, 1]`` of covered output pixels (alpha > 0.5) where the map's
        Jacobian determinant is not positive (1.0 when nothing is covered).
    """
    d_dx = grid[:-1, 1:] - grid[:-1, :-1]  # change of the sampled position one pixel right
    d_dy = grid[1:, :-1] - grid[:-1, :-1]  # ...and one pixel down
    det = d_dx[..., 0] * d_dy[..., 1] - d_dx[..., 1] * d_dy[..., 0]
    covered = alpha[:-1, :-1] > 0.5
    if not bool(covered.any()):
        return 1.0
    return float((det[covered] <= 0).float().mean())


def warp_garment(
    rgb: np.ndarray,
    mask: np.ndarray,
    keypoints: dict[str, tuple[float, float] | None],
    landmarks: np.ndarray,
    analysis: MaskAnalysis | None = None,
    lengths: LengthScales = MEASURED_LENGTHS,
    lay_sleeves: bool = False,
    to_wrists: bool = False,
    hem_row: float | None = None,
    arms: np.ndarray | None = None,
    cuffs: dict[int, np.ndarray] | None = None,
) -> WarpedGarment:
    """Fit a prepared garment onto the body with the landmark TPS.

    Args:
        rgb: ``(H, W, 3)`` uint8 garment in the frame (as ``tryon.garment.prepare_garment`` makes it).
        mask: ``(H, W)`` bool garment mask.
        keypoints: its keypoints, frame pixels.
        landmarks: ``(33, 3)`` body landmarks in the same frame (pixels, visibility).
        analysis: :func:`tryon.garment_keypoints.analyse_mask` of ``mask`` when the caller has it
            (``PreparedGarment.analysis``): the sleeves are cut from it instead of analysing again.
            Sleeves it cut from beside the torso (:func:`tryon.garment_keypoints.hanging_sleeves`)
            are always laid along the arms, down to the wrists; :data:`HANGING_WIDTH` as wide, or,
            cut along a wearer's arms (``analysis.worn``, :mod:`tryon.worn`), as wide as worn.
        lengths: the share of the photo's hem and sleeve lengths worn (:func:`body_targets`).
        lay_sleeves: lay the sleeves along the arms (:mod:`tryon.sleeve_fit`) even where the
            full fit does not fold: short sleeves that will dress bare arms (the spline keeps a
            short sleeve at its photo's angle, sticking out sideways from a hanging arm).
        to_wrists: lay long sleeves along the arms down to the wrists, :data:`LONG_WIDTH` as wide
            (long sleeves on bare arms, :func:`tryon.sleeve_cover.lays_long_sleeves`).
        hem_row: frame row of the old top's hem (:func:`tryon.old_garment.old_hem`): the new hem
            hangs at least that low (:func:`named_targets`), or None.
        arms: ``(H, W)`` bool, the bare arms in the frame (the parser's arm pixels), or None.
            Sleeves laid along the arms lie in front of the torso over them, and, laid short
            sleeves (``lay_sleeves``), the torso leaves them bare below the sleeve's end
            (:func:`_piecewise`): the torso's sides, fitted to the shoulders, covered an arm hanging
            close to the body, and the sleeve laid under them never showed.
        cuffs: where the worn sleeves end (:func:`tryon.sleeve_cover.old_cuffs`): a new sleeve a
            little shorter reaches them (:func:`named_targets`), or None.

    Returns:
        a :class:`WarpedGarment` of the same ``(H, W)``.
    """
    args = (rgb, mask, keypoints, landmarks, analysis, lengths, lay_sleeves, to_wrists, hem_row, arms)
    warped, whole = _fit(*args, cuffs)
    if cuffs and not whole:  # lengthened to the worn cuffs, the spline folded the garment: as long as on its photo
        warped = _fit(*args, None)[0]
    return warped


def _fit(rgb, mask, keypoints, landmarks, analysis, lengths, lay_sleeves, to_wrists, hem_row, arms,
         cuffs) -> tuple[WarpedGarment, bool]:
    """:func:`warp_garment`'s fit, and whether it is whole: the garment laid as asked, or the
    spline through every point without folding it (not a fallback)."""
    names, src_all, dst_all = named_targets(keypoints, landmarks, lengths, hem_row, cuffs)
    x = _premultiplied(rgb, mask)
    hanging = analysis is not None and analysis.hanging  # sleeves cut from beside the torso: laid, always
    if (lay_sleeves or hanging or to_wrists) and any(n not in TORSO_POINTS for n in names):
        worn = hanging and analysis.worn  # cut along a wearer's arms: as wide as worn
        width = 1.0 if worn else HANGING_WIDTH if hanging else LONG_WIDTH if to_wrists else 1.0
        laid = _piecewise(x, mask, keypoints, landmarks, names, src_all, dst_all, analysis, lengths.sleeve,
                          laid=lay_sleeves, to_wrist=hanging or to_wrists, width_share=width, arms=arms)
        if laid is not None:
            return _as_warped(*laid[:4], layers=laid[4]), True
    # The full fit; if it folds the garment over itself, the sleeves laid along the arms on their
    # own; failing that, each sleeve let go; then the torso alone.
    sleeves = [n for n in names if n not in TORSO_POINTS]
    attempts: list[tuple[str, ...]] = [()]
    if len(sleeves) > 1:
        attempts += [(n,) for n in sleeves]
    if sleeves:
        attempts.append(tuple(sleeves))
    chosen = None
    for drop in attempts:
        keep = [i for i, n in enumerate(names) if n not in drop]
        src, dst = src_all[keep], dst_all[keep]
        with torch.no_grad():
            grid = tps_grid(torch.from_numpy(src)[None].float(), torch.from_numpy(dst)[None].float(),
                            x.shape[-2:])
            fit = _sample(x, grid)[0]
        if not torch.isfinite(fit).all():
            continue
        if fold_fraction(grid[0], fit[3]) <= FOLD_TOLERANCE:
            return _as_warped(fit, src, dst, grid[0]), not drop
        if not drop and sleeves:
            chosen = _piecewise(x, mask, keypoints, landmarks, names, src_all, dst_all, analysis,
                                lengths.sleeve)
            if chosen is not None:
                return _as_warped(*chosen[:4], layers=chosen[4]), False
        chosen = (fit, src, dst, grid[0])  # the last finite fit, when every fit folds
    if chosen is None:  # degenerate layout: fall back to no deformation
        h, w = mask.shape
        chosen = (x[0], src_all, dst_all, create_meshgrid(h, w, normalized_coordinates=True)[0])
    return _as_warped(*chosen), False


def _stretched(layer: torch.Tensor, grid: torch.Tensor, arm: np.ndarray,
               reach: float) -> tuple[torch.Tensor, torch.Tensor]:
    """A laid sleeve (``layer`` ``(4, H, W)`` premultiplied, its ``grid`` ``(H, W, 2)``) stretched over
    the pixels of ``arm`` (``(H, W)`` bool, its bare arm that nothing else covers) within ``reach`` px
    of it that it does not wholly cover: each takes the colour, coverage and grid of the sleeve's
    nearest wholly covered pixel.

    Where a bent arm leaves the line from the shoulder joint to the elbow, the sleeve laid along
    that line missed a strip of the upper arm beside the armpit (neither the sleeve nor the torso
    reaches there), and the old arm's skin showed through between them."""
    whole = (layer[3] >= WHOLE_COVER).numpy()
    # (its soft rim over the arm too: read at full resolution, a rim pixel reads the garment
    # photo's edge, often its background)
    gaps = arm & ~whole
    if not whole.any() or not gaps.any():
        return layer, grid
    # Within the gaps' box and ``reach`` around it, where the nearest whole pixel of any gap
    # within reach lies.
    ys, xs = np.nonzero(gaps)
    margin = int(np.ceil(reach)) + 1
    y0, x0 = max(ys.min() - margin, 0), max(xs.min() - margin, 0)
    y1, x1 = ys.max() + margin + 1, xs.max() + margin + 1
    box_whole = whole[y0:y1, x0:x1]
    if not box_whole.any():
        return layer, grid
    dist, nearest = nearest_pixels(box_whole, cv2.DIST_MASK_5)
    near = gaps[y0:y1, x0:x1] & (dist <= reach)
    if not near.any():
        return layer, grid
    wy, wx = np.divmod(nearest[near], box_whole.shape[1])
    gy, gx = np.nonzero(near)
    gy, gx, wy, wx = gy + y0, gx + x0, wy + y0, wx + x0
    layer, grid = layer.clone(), grid.clone()
    layer[:, gy, gx] = layer[:, wy, wx]
    grid[gy, gx] = grid[wy, wx]
    return layer, grid


def _past(chain: np.ndarray, arc: float, size: tuple[int, int]) -> np.ndarray:
    """``(H, W)`` bool: the pixels beyond the point ``arc`` px along the polyline ``chain``
    ``(M, 2)`` (the side of the line across the chain there that the chain goes on to)."""
    h, w = size
    for i in range(len(chain) - 1):  # the segment the point lies on (the last one, past the chain's end)
        a, b = chain[i], chain[i + 1]
        length = max(float(np.linalg.norm(b - a)), 1e-6)
        if arc <= length or i == len(chain) - 2:
            break
        arc -= length
    d = (b - a) / length
    at = a + arc * d
    return (np.arange(w)[None, :] - at[0]) * d[0] + (np.arange(h)[:, None] - at[1]) * d[1] > 0


def _as_warped(out: torch.Tensor, src: np.ndarray, dst: np.ndarray, grid: torch.Tensor,
               layers: SleeveLayers | None = None) -> WarpedGarment:
    """A fit ``(4, H, W)`` premultiplied colour and coverage, its points and its ``(H, W, 2)``
    grid (and its :class:`SleeveLayers`), as a :class:`WarpedGarment` (colour un-premultiplied, uint8)."""
    out = out.permute(1, 2, 0).numpy()
    alpha = np.clip(out[..., 3], 0.0, 1.0).astype(np.float32)
    colour = out[..., :3] / np.maximum(alpha, MIN_ALPHA)[..., None]
    rgb_w = np.clip(colour * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return WarpedGarment(rgb_w, alpha, src, dst, grid.numpy().astype(np.float32), layers=layers)


def _premultiplied(rgb: np.ndarray, mask: np.ndarray) -> torch.Tensor:
    """``(1, 4, H, W)``: colour premultiplied by the mask (so the background never bleeds into
    the garment's edge when warped), then the mask."""
    m = mask[..., None].astype(np.float32)
    stack = np.concatenate([rgb.astype(np.float32) / 255.0 * m, m], -1)
    return torch.from_numpy(stack).permute(2, 0, 1)[None]


def _piecewise(x, mask, keypoints, landmarks, names, src, dst, analysis=None, length_share=1.0, laid=False,
               to_wrist=False, width_share=1.0, arms=None):
    """The torso by the spline through its own points, each sleeve laid along its arm, under the
    torso but over it along the forearm (:mod:`tryon.sleeve_fit`; the sleeves cut from ``analysis``
    when given; their lengths times ``length_share``, or, ``laid`` (asked for, not a folded fit's
    fallback), starting nearer the shoulder seam and ending where the full fit puts their ends;
    ``to_wrist``, long sleeves, as laid but ending at the wrist when it is in view; across the arm
    ``width_share`` of their width). ``x``: the garment, ``(1, 4, H, W)`` :func:`_premultiplied`;
    ``mask``: its ``(H, W)`` bool mask. ``arms``: ``(H, W)`` bool bare arm pixels, or None: over
    each arm's own the sleeve lies in front of the torso all along it, and, ``laid``, the torso
    is cut away from them below the sleeve's end (a bare arm there is beside or in front of the
    torso, never under it; beside the sleeve the torso's side stays, where the arm is wider than
    the sleeve laid along it); above the sleeve's end, arm pixels beside it that neither it nor the
    torso covers take its nearest pixel (:func:`_stretched`).

    Returns:
        ``(fit (4, H, W), src, dst, grid (H, W, 2), layers)`` (the :class:`SleeveLayers`), or
        None when no sleeve can be laid (no sleeve pixels, or no visible elbow).
    """
    size = mask.shape
    at = {n: i for i, n in enumerate(names)}
    if "shoulder_l" not in at or "shoulder_r" not in at:
        return None
    scale = (np.linalg.norm(dst[at["shoulder_r"]] - dst[at["shoulder_l"]])
             / max(float(np.linalg.norm(src[at["shoulder_r"]] - src[at["shoulder_l"]])), 1.0))
    masks, chains = sleeve_masks(mask, analysis), _arm_chains(landmarks)
    torso, layers, bare = np.asarray(mask, bool).copy(), [], np.zeros(size, bool)
    for name in ("sleeve_l", "sleeve_r"):
        cut, chain, end = masks[name], chains[name], keypoints.get(name)
        axis = sleeve_axis(cut, end, keypoints["shoulder" + name[-2:]]) if cut is not None and end else None
        if axis is None or chain is None:
            continue
        share = length_share
        if laid or to_wrist:  # start nearer the shoulder seam, end where the full fit puts the sleeve's end
            chain = chain.copy()
            chain[0] += ROOT_SHIFT * (dst[at["shoulder" + name[-2:]]] - chain[0])
            # (a long sleeve hanging beside the body on its photo: at the wrist, when in view)
            end_at = chain[-1] if to_wrist and len(chain) == 3 else dst[at[name]] if name in at else None
            if end_at is not None:
                reach = arc_position(chain, end_at)
                share = float(np.clip(reach / max(axis.length * scale, 1.0), *SLEEVE_SHARE_RANGE))
        grid = sleeve_grid(axis, chain, scale, size, length_share=share, width_share=width_share)
        width = FRONT_WIDTH * axis.half_width * scale * width_share
        front, sleeved = near_chain(chain[1:], width, size), None
        if arms is not None:  # the arm's own pixels: in front of the torso all along it
            own = arms & near_chain(chain, ARM_REACH * width, size)
            front |= own
            below = _past(chain, axis.length * scale * share, size)
            if laid:  # the torso leaves the arm bare below the sleeve's end
                bare |= own & below
            sleeved = own & ~below  # the arm the sleeve is to cover
        front = torch.from_numpy(front)
        layers.append((_sample(x * torch.from_numpy(cut), grid[None])[0], grid, front, sleeved, GAP_REACH * width))
        torso &= ~cut
    if not layers:
        return None
    keep = [i for i, n in enumerate(names) if n in TORSO_POINTS]
    with torch.no_grad():
        grid = tps_grid(torch.from_numpy(src[keep])[None].float(), torch.from_numpy(dst[keep])[None].float(),
                        size)[0]
        out = _sample(x * torch.from_numpy(torso), grid[None])[0]
    if bare.any():
        out = out * torch.from_numpy(~bare)
    torso_grid, sleeves_grid, shown = grid, torch.full_like(grid, OFF_GARMENT), torch.zeros(size, dtype=torch.bool)
    for layer, layer_grid, front, sleeved, reach in layers:
        if sleeved is not None:  # the arm beside the sleeve that nothing covers: the sleeve stretched over it
            layer, layer_grid = _stretched(layer, layer_grid, sleeved & (out[3] <= 0.5).numpy(), reach)
        # Along the forearm the sleeve lies over the torso (a forearm is in front of its sides); from
        # the shoulder it lies under it (laid over, its armhole side crossed the chest as a flap).
        # Over the torso the sleeve's rim (its photo's outline, tinged by the background) is read
        # from the torso instead: one frame pixel in from its edge.
        inside = torch.from_numpy(cv2.erode((layer[3] > 0.5).numpy().astype(np.uint8), _SQUARE_3).astype(bool))
        shows = torch.where(front, inside, (layer[3] > 0.5) & (out[3] <= 0.5))
        out = torch.where(front, layer + (1 - layer[3:4]) * out, out + (1 - out[3:4]) * layer)
        grid = torch.where(shows[..., None], layer_grid, grid)
        # (the sleeves' grid: the one grid where a sleeve shows, either sleeve's own where it reaches)
        reaches = (layer_grid[..., :1] < OFF_GARMENT) & ~shown[..., None]
        sleeves_grid = torch.where(shows[..., None] | reaches, layer_grid, sleeves_grid)
        shown |= shows
    if not torch.isfinite(out).all():
        return None
    # Away from the fitted garment the torso's spline still maps onto the sleeves' old places in
    # the garment photo: point those pixels off the garment, so that what is read through the
    # grid at full resolution (tryon.fullres) shows no sleeve where the fit put none.
    near = torch.from_numpy(cv2.dilate((out[3] > MIN_ALPHA).numpy().astype(np.uint8),
                                       np.ones((2 * OFF_MARGIN + 1,) * 2, np.uint8)).astype(bool))
    off = torch.full_like(grid, OFF_GARMENT)
    grid, torso_grid, sleeves_grid = (torch.where(near[..., None], g, off) for g in (grid, torso_grid, sleeves_grid))
    # On the bare arm below a sleeve nothing of the torso is read (past the sleeve's hem: nothing)
    return out, src, dst, grid, SleeveLayers(torso_grid.numpy(), sleeves_grid.numpy(), shown.numpy() | bare)
