"""Garment keypoints: neck, shoulders, sleeve ends and hem corners read off a garment mask.

The torso is the run of mask pixels through the garment's centre column, row by row; the hem
is its bottom rows, the shoulders the topmost pixels at its sides, and the sleeves the blobs
clearly beyond its reach on either side. Long sleeves hanging beside the body merge with it in
the mask: :func:`hanging_sleeves` cuts them out with the photo's own edges.

Conventions: arrays are ``(H, W)``, row-major; keypoints are ``(x, y)`` pixel coordinates
(x to the right, y down, pixel centres at integers). ``_l`` / ``_r`` are IMAGE left / right
(smaller / larger x), not the wearer's.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["GARMENT_KEYPOINTS", "LONG_SLEEVE", "MaskAnalysis", "analyse_mask", "garment_keypoints", "hanging_sleeves",
           "sleeve_length", "sleeve_masks", "strap_shoulders", "hangs_from_straps"]

GARMENT_KEYPOINTS = ("neck", "shoulder_l", "shoulder_r", "sleeve_l", "sleeve_r", "hem_l", "hem_r")

HEM_BAND = 0.08                # bottom share of the garment's rows that defines the hem
HEM_MIN_WIDTH = 0.5            # hem rows: torso run >= this share of the lower-body median
HEM_GAP = 0.3                  # the bottom rows off the centre column, with a gap around it this share of
                               # the row's extent, hold only sleeves hanging below a cropped top's hem
WAIST_BAND = (0.3, 0.7)        # rows (share of height) whose narrowest torso caps the shoulders
SHOULDER_SPREAD = 0.45         # shoulders at centre +- this times the torso width
SHOULDER_BAND = 0.04           # search +- this share of the torso width (>= 1 px) of columns
STRAP_BAND = (0.15, 0.45)      # a garment without sleeves: its straps' tops lie within these shares of the
STRAP_TOP = 10                 # torso's width from its centre (this percentile of those columns' tops)...
ARMHOLE_DROP = 0.15            # ...and where a shoulder lies this share of the torso's width lower, it is on
                               # the armhole (a tank top's, on one side or both), not on the shoulder line
STRAP_MAX_WIDTH = 0.12         # a strap is at most this share of the torso's width across ...
STRAP_MIN_LENGTH = 0.1         # ... and at least this long (rows where both straps are seen) ...
STRAP_SEARCH = 0.5             # ... within this share of the torso's width below the garment's top
SLEEVE_REF_ROW = 0.85          # torso reach above this row (share of height) is capped by
                               # the narrowest reach below it, down to this row ...
SLEEVE_START = 0.12            # ... and, above this far below the shoulders (share of height,
                               # neckline and straps), is the reach there
PROFILE_SMOOTH = 0.05          # running-median window of row profiles, share of the rows
SLEEVE_MARGIN = 0.08           # sleeve pixels lie beyond that reach + this share of the torso
SLEEVE_MIN_SHARE = 0.015       # ... form a blob of at least this share of the mask
SLEEVE_MIN_REACH = 0.10        # ... reaching at least this share of the torso further out
SLEEVE_FAR = 0.15              # sleeve end = pixels in the farthest 15 % from the shoulder
LONG_SLEEVE = 0.6              # sleeve_length from which a sleeve counts as long (on 300 VITON
                               # garments: short sleeves 0.2-0.5, long ones 0.7-1.5)
HANG_MARGIN = 0.02             # hanging sleeves lie this share of the hem's width beyond its ends ...
HANG_MIN_WIDTH = 0.1           # ... its rows are at least this share of that width wide (median) ...
HANG_MIN_LENGTH = 0.4          # ... over at least this share of the garment's height; its inner
HANG_WIDTHS = (0.12, 0.28)     # edge lies this share of the garment's width in from its outer one, where
HANG_MIN_EDGE = 12.0           # the median horizontal Sobel (3x3, grey 0-255) along it is the strongest
                               # and at least this (else at the hem's end, or this share of the width:
HANG_WIDTH = 0.2               # the edges found beside the bundled examples' sleeves lie at 0.16-0.23),
HANG_LINE_SHARE = 0.6          # over this lower share of the sleeve's rows (above, the inner edge goes on
                               # along its line there)
HANG_SEAM = 2                  # px either side of that inner edge belong to neither the sleeve nor the torso
                               # (the seam's shadow, or the photo's background showing between them)


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


def _below_hem(mask: np.ndarray, cx: int, rows: np.ndarray) -> np.ndarray:
    """``rows`` (sorted, non-empty) less those that hold only sleeves hanging below the hem: the
    bottom rows (all of them up from the last) off column ``cx``, with mask pixels on both sides
    of a gap at least :data:`HEM_GAP` of the row's extent, or on one side only (one sleeve
    longer), at least one of them the former. (A cropped top's long sleeves hang far
    below its hem; their rows, most of its lower half, made the typical lower-body width a
    sleeve's and put the hem at the cuffs, and the torso on a sleeve.)"""
    sub = mask[rows]
    w = mask.shape[1]
    cols = np.arange(w)
    on_left = np.where(sub[:, :cx], cols[:cx], -1).max(axis=1, initial=-1)
    on_right = np.where(sub[:, cx + 1:], cols[cx + 1:], w).min(axis=1, initial=w)
    first = np.argmax(sub, axis=1)
    last = w - 1 - np.argmax(sub[:, ::-1], axis=1)
    off = ~sub[:, cx]
    apart = off & (on_left >= 0) & (on_right < w) & (on_right - on_left >= HEM_GAP * (last - first + 1))
    one_side = off & ((on_left >= 0) != (on_right < w))      # (one sleeve longer than the other)
    below = np.logical_and.accumulate((apart | one_side)[::-1])[::-1]  # from the bottom row up
    if not (below & apart).any():                             # (a slanted hem's corner alone)
        return rows
    return rows[~below] if (~below).any() else rows


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


def _top_in_columns(mask: np.ndarray, x0: int, x1: int, q: float = 50) -> float | None:
    """The ``q``-th percentile (default the median) of the topmost mask row over columns
    ``x0..x1`` (clipped), None if none."""
    cols = mask[:, max(0, x0):min(mask.shape[1], x1 + 1)]
    has = cols.any(axis=0)
    if not has.any():
        return None
    return float(np.percentile(np.argmax(cols[:, has], axis=0), q))


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


@dataclass(frozen=True)
class MaskAnalysis:
    """What :func:`analyse_mask` reads off one garment mask; read-only.

    Attributes:
        size: ``(H, W)`` of the mask it was read from.
        keypoints: :func:`garment_keypoints` of that mask.
        outside: per sleeve side (``"sleeve_l"``, ``"sleeve_r"``), ``(H, W)`` bool: the garment
            pixels at or beyond the torso's reach on that side, where :func:`sleeve_masks` looks
            for the sleeve; None where there is no shoulder on that side.
        hanging: the sleeves were cut from beside the torso (:func:`hanging_sleeves`): they lie
            along it on the photo, and only laid along the arms do they fit a body.
        worn: the sleeves were cut along the arms of someone wearing the garment
            (:mod:`tryon.worn`): they are as wide as worn, not a flat half-round.
    """

    size: tuple[int, int]
    keypoints: dict[str, tuple[float, float] | None]
    outside: dict[str, np.ndarray | None]
    hanging: bool = False
    worn: bool = False


def analyse_mask(mask: np.ndarray) -> MaskAnalysis:
    """The keypoint analysis of a front-view garment mask ``(H, W)`` bool (or 0/1): its keypoints
    and what :func:`sleeve_masks` cuts the sleeves from, so that both come from one pass."""
    keypoints, beyond = _analyse(mask)
    outside = {k: None if v is None else np.nan_to_num(v, nan=-1.0) >= 0 for k, v in beyond.items()}
    return MaskAnalysis(tuple(np.shape(mask)), keypoints, outside)


def garment_keypoints(mask: np.ndarray) -> dict[str, tuple[float, float] | None]:
    """Garment keypoints of a front-view garment mask.

    Args:
        mask: ``(H, W)`` bool (or 0/1) mask, True on the garment.

    Returns:
        :data:`GARMENT_KEYPOINTS` -> ``(x, y)`` float pixel coordinates, in image terms
        (``_l`` = smaller x). ``neck`` is the centre of the shoulder line (not the neckline
        dip); ``sleeve_*`` are the sleeve ends, None without sleeves. All None for an empty mask.
    """
    out, _ = _analyse(mask)
    return out


def _sleeveless_frame(kp: dict[str, tuple[float, float] | None]) -> tuple[float, float] | None:
    """``(centre x, torso width)`` of a garment whose keypoints have no sleeve but a neck, both
    shoulders and both hems; None otherwise. The shoulders lie 2 :data:`SHOULDER_SPREAD` of the
    torso's width apart."""
    if kp.get("sleeve_l") is not None or kp.get("sleeve_r") is not None or any(
            kp.get(n) is None for n in ("neck", "shoulder_l", "shoulder_r", "hem_l", "hem_r")):
        return None
    return kp["neck"][0], (kp["shoulder_r"][0] - kp["shoulder_l"][0]) / (2 * SHOULDER_SPREAD)


def strap_shoulders(mask: np.ndarray, keypoints: dict[str, tuple[float, float] | None]
                    ) -> dict[str, tuple[float, float] | None]:
    """The keypoints of a garment without sleeves with each shoulder on its strap's top.

    The shoulders :func:`garment_keypoints` reads at the torso's sides lie on a tank top's or a
    camisole's armholes (one side, or both, as the photo lies): fitted to the wearer's shoulders,
    the armholes then covered the upper arms (a T-shirt's look), askew when only one side did. A
    shoulder lying :data:`ARMHOLE_DROP` below the top of the garment's columns nearer the centre
    (:data:`STRAP_BAND`) is moved up, and so is the other shoulder (a shallower armhole): both to
    the mean of the two sides' tops (never down), so that the shoulder line stays level; the neck follows (the
    centre of the shoulder line). Keypoints without both shoulders and hems, or with a sleeve,
    come back unchanged.

    Args:
        mask: ``(H, W)`` bool (or 0/1), the garment's mask.
        keypoints: its :func:`garment_keypoints`.
    """
    mask = np.asarray(mask, bool)
    kp = dict(keypoints)
    frame = _sleeveless_frame(kp)
    if frame is None:
        return kp
    cx, torso_w = frame
    straps = {}
    for name, sign in (("shoulder_l", -1), ("shoulder_r", 1)):
        ends = sorted(int(round(cx + sign * s * torso_w)) for s in STRAP_BAND)
        straps[name] = _top_in_columns(mask, ends[0], ends[1], STRAP_TOP)
    if not any(top is not None and kp[name][1] - top > ARMHOLE_DROP * torso_w for name, top in straps.items()):
        return kp
    # Both sides, level: the straps' tops of a crumpled or badly cut-out garment differ more than
    # its shoulder line can (a one-sided fit twisted it on the body).
    level = float(np.mean([top if top is not None else kp[name][1] for name, top in straps.items()]))
    for name in straps:
        kp[name] = (kp[name][0], min(level, kp[name][1]))
    kp["neck"] = (cx, (kp["shoulder_l"][1] + kp["shoulder_r"][1]) / 2)
    return kp


def _runs(row: np.ndarray) -> list[tuple[int, int]]:
    """The ``(start, end)`` (end exclusive) of each run of True in a 1-D bool array."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], row.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def hangs_from_straps(mask: np.ndarray, keypoints: dict[str, tuple[float, float] | None]) -> bool:
    """Whether a garment whose mask shows no sleeve hangs from two thin straps (a camisole, a
    strappy top): over at least :data:`STRAP_MIN_LENGTH` of the torso's width of rows in the
    garment's top :data:`STRAP_SEARCH`, the mask is two runs, one on either side of the neck, each
    at most :data:`STRAP_MAX_WIDTH` across. A T-shirt's shoulders, laid flat, start as thin peaks
    beside the collar too but widen within a few rows; a hanger's hook is one run.

    Args:
        mask: ``(H, W)`` bool (or 0/1), the garment's mask.
        keypoints: its :func:`garment_keypoints`.
    """
    mask = np.asarray(mask, bool)
    frame = _sleeveless_frame(keypoints)
    if frame is None:
        return False
    cx, torso_w = frame
    rows = np.flatnonzero(mask.any(1))
    if not len(rows) or torso_w <= 0:
        return False
    strap_rows = 0
    for y in range(rows[0], min(mask.shape[0], rows[0] + int(STRAP_SEARCH * torso_w))):
        runs = _runs(mask[y])
        if len(runs) == 2 and runs[0][1] <= cx <= runs[1][0] and \
                all(b - a <= STRAP_MAX_WIDTH * torso_w for a, b in runs):
            strap_rows += 1
    return strap_rows >= STRAP_MIN_LENGTH * torso_w


def _lower_rows(span: np.ndarray) -> np.ndarray:
    """``span.shape`` bool: the sleeve's lower rows (:data:`HANG_LINE_SHARE` of its height), where it
    hangs straight."""
    return span >= span[0] + (1 - HANG_LINE_SHARE) * (span[-1] - span[0])


def _inner_edge(edges: np.ndarray, span: np.ndarray, outline: np.ndarray, sign: int, width: float) -> int | None:
    """How far in from the ``outline`` (x per row of ``span``; ``sign`` +1: inwards is to the right)
    the photo's strongest edge runs beside it (px), over the sleeve's lower rows; None without one."""
    lower = _lower_rows(span)
    best, strength = None, HANG_MIN_EDGE
    for d in range(int(HANG_WIDTHS[0] * width), int(HANG_WIDTHS[1] * width) + 1):
        x = np.clip(outline[lower] + sign * d, 0, edges.shape[1] - 1)
        score = float(np.median(edges[span[lower], x]))
        if score > strength:
            best, strength = d, score
    return best


def _band(mask: np.ndarray, span: np.ndarray, outline: np.ndarray, inner: np.ndarray, sign: int) -> np.ndarray | None:
    """The largest blob of ``mask`` between the ``outline`` and the ``inner`` edge (x per row of
    ``span``), the inner edge kept on its line through the sleeve's lower rows: up at the shoulder
    the outline turns in along the shoulder seam, a sleeve's inner edge does not."""
    lower = _lower_rows(span)
    line = np.polyval(np.polyfit(span[lower], inner[lower], 1), span)
    inner = np.minimum(inner, line) if sign > 0 else np.maximum(inner, line)
    side = np.zeros_like(mask)
    for y, a, b in zip(span, outline, np.round(inner).astype(int)):
        lo, hi = (a, b) if sign > 0 else (b, a)
        side[y, max(lo, 0):hi + 1] = True
    n, labels, stats, _ = cv2.connectedComponentsWithStats((mask & side).astype(np.uint8), connectivity=8)
    return labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA])) if n > 1 else None


def hanging_sleeves(rgb: np.ndarray, mask: np.ndarray, analysis: MaskAnalysis | None = None, *,
                    assume: bool = False) -> MaskAnalysis | None:
    """The analysis of a long-sleeved garment whose sleeves hang beside its body on the photo, merged
    with it in the mask, so that :func:`analyse_mask` finds no sleeve on that side.

    At its hem the garment is its torso alone: the run through the centre over the hem rows gives
    the torso's ends (a cuff may reach down there too: the median end is the torso's). Where the
    outline lies beyond that end, wide and long enough (:data:`HANG_MIN_WIDTH`,
    :data:`HANG_MIN_LENGTH`), a sleeve hangs there; where it does not (the cuffs reach the hem), a
    sleeve may hang from the shoulder down to the hem. Its inner edge runs beside its outer one
    (the outline) where the photo shows the strongest edge (the seam, or the shadow between sleeve
    and body), within :data:`HANG_WIDTHS` of the garment's width (:data:`HANG_MIN_EDGE`); without
    one, at the torso's end (at most :data:`HANG_WIDTH` of the width in: a shop photo seen at an
    angle shows its far side narrower at the hem), or, down to the hem, only when ``assume``, at
    :data:`HANG_WIDTH`. A
    seam's width there (:data:`HANG_SEAM`) goes to neither. The torso (the rest) gives the neck,
    shoulders and hem. A camisole or a dress flaring above its hem would be cut too: ask of
    garments that have long sleeves (:func:`tryon.sleeves.sleeve_kind`).

    Args:
        rgb: ``(H, W, 3)`` uint8 garment photo in the frame of ``mask``.
        mask: ``(H, W)`` bool (or 0/1) garment mask.
        analysis: :func:`analyse_mask` of this ``mask``, when the caller has it.
        assume: the garment is known to have long sleeves: where neither its outline nor an edge
            shows a sleeve, it hangs at the outline all the same.

    Returns:
        the analysis with the cut sleeves (:attr:`MaskAnalysis.hanging` set), or None where there is
        no sleeve to cut (both found already, or none shown and none assumed).
    """
    mask = np.asarray(mask, bool)
    if analysis is None:
        analysis = analyse_mask(mask)
    missing = [n for n in ("sleeve_l", "sleeve_r") if analysis.keypoints[n] is None]
    rows = np.flatnonzero(mask.any(axis=1))
    if not missing or rows.size == 0 or analysis.keypoints["neck"] is None:
        return None
    height = rows[-1] - rows[0] + 1
    left, right = _torso_runs(mask, int(round(analysis.keypoints["neck"][0])))
    hem = _hem_rows(rows, right - left + 1)
    ends = {"sleeve_l": float(np.median(left[hem])), "sleeve_r": float(np.median(right[hem]))}
    hem_w = ends["sleeve_r"] - ends["sleeve_l"] + 1
    outer = {"sleeve_l": np.where(mask.any(axis=1), np.argmax(mask, axis=1), -1),
             "sleeve_r": np.where(mask.any(axis=1), mask.shape[1] - 1 - np.argmax(mask[:, ::-1], axis=1), -1)}
    width = float(np.median(outer["sleeve_r"][rows] - outer["sleeve_l"][rows] + 1))
    grey = cv2.GaussianBlur(cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY).astype(np.float32), (3, 3), 0)
    edges = np.abs(cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3))
    cuts: dict[str, np.ndarray] = {}
    seams: list[np.ndarray] = []               # the sleeves with the seam beside them: off the torso
    for name in missing:
        sign = 1 if name == "sleeve_l" else -1   # inwards from the outline
        beyond = sign * (ends[name] - outer[name][rows])
        out = beyond > HANG_MARGIN * hem_w
        if out.sum() >= HANG_MIN_LENGTH * height and np.median(beyond[out]) >= HANG_MIN_WIDTH * hem_w:
            span = rows[out]                     # beside the hem's end, down to the cuff
            fallback = np.minimum(np.abs(ends[name] - outer[name][span]), HANG_WIDTH * width)
        else:                                    # from the shoulder down to the hem
            far = outer[name][rows].min() if sign > 0 else outer[name][rows].max()
            span = rows[sign * (outer[name][rows] - far) <= HANG_WIDTHS[1] * width]
            if span.size < HANG_MIN_LENGTH * height:
                continue
            fallback = np.full(span.shape, HANG_WIDTH * width) if assume else None
        outline = outer[name][span]
        d = _inner_edge(edges, span, outline, sign, width)
        if d is None and fallback is None:
            continue
        inner = outline + sign * (fallback if d is None else d)
        blob = _band(mask, span, outline, inner - sign * HANG_SEAM, sign)
        if blob is not None:
            cuts[name] = blob
            wide = _band(mask, span, outline, inner + sign * HANG_SEAM, sign)
            seams.append(blob if wide is None else wide | blob)
    if not cuts:
        return None
    torso = mask & ~np.logical_or.reduce(seams)
    keypoints, beyond_ = _analyse(torso)
    outside = {k: None if v is None else np.nan_to_num(v, nan=-1.0) >= 0 for k, v in beyond_.items()}
    for name, blob in cuts.items():
        shoulder = keypoints["shoulder" + name[-2:]]
        if shoulder is None:
            return None
        ys, xs = np.nonzero(blob)
        reach = np.hypot(xs - shoulder[0], ys - shoulder[1])
        far = reach >= (1.0 - SLEEVE_FAR) * reach.max()      # its end: the cuff, as _sleeve_end reads it
        keypoints[name] = (float(xs[far].mean()), float(ys[far].mean()))
        outside[name] = blob
    return MaskAnalysis(tuple(mask.shape), keypoints, outside, hanging=True)


def sleeve_length(keypoints: dict[str, tuple[float, float] | None]) -> float | None:
    """The longer sleeve's reach (shoulder to sleeve end) over the garment's neck-to-hem length,
    from :func:`garment_keypoints`: 0.0 without sleeves, :data:`LONG_SLEEVE` and more for a long
    sleeve; None when the neck or the hem cannot be read."""
    if keypoints.get("neck") is None or keypoints.get("hem_l") is None or keypoints.get("hem_r") is None:
        return None
    reach = [float(np.hypot(*np.subtract(keypoints[f"sleeve_{s}"], keypoints[f"shoulder_{s}"]))) for s in "lr"
             if keypoints.get(f"sleeve_{s}") is not None and keypoints.get(f"shoulder_{s}") is not None]
    if not reach:
        return 0.0
    length = (keypoints["hem_l"][1] + keypoints["hem_r"][1]) / 2 - keypoints["neck"][1]
    return max(reach) / max(length, 1.0)


def sleeve_masks(mask: np.ndarray, analysis: MaskAnalysis | None = None) -> dict[str, np.ndarray | None]:
    """The pixels of each sleeve: ``{"sleeve_l": (H, W) bool or None, "sleeve_r": ...}``.

    A sleeve is the blob of garment pixels beyond the torso's reach on its side (as for its
    keypoint, but without the margin, so that it starts at the armhole); None where
    :func:`garment_keypoints` finds no sleeve.

    Args:
        mask: ``(H, W)`` bool (or 0/1) garment mask.
        analysis: :func:`analyse_mask` of this same ``mask``, when the caller has it (else it is
            run here).

    Raises:
        ValueError: ``analysis`` was read off a mask of another size.
    """
    if analysis is None:
        analysis = analyse_mask(mask)
    elif analysis.size != tuple(np.shape(mask)):
        raise ValueError(f"the analysis is of a {analysis.size} mask, not of this {np.shape(mask)} one")
    out: dict[str, np.ndarray | None] = {}
    for name in ("sleeve_l", "sleeve_r"):
        end, side = analysis.keypoints[name], analysis.outside[name]
        out[name] = None
        if end is None or side is None:
            continue
        _, labels = cv2.connectedComponents(side.astype(np.uint8), connectivity=8)
        ys, xs = np.nonzero(labels)
        if ys.size == 0:
            continue
        # The blob holding the sleeve end (or the one nearest it).
        nearest = int(np.argmin(np.hypot(xs - end[0], ys - end[1])))
        out[name] = labels == labels[ys[nearest], xs[nearest]]
    return out


def _analyse(mask: np.ndarray) -> tuple[dict[str, tuple[float, float] | None], dict[str, np.ndarray | None]]:
    """:func:`garment_keypoints`, and per sleeve side how far each pixel lies beyond the
    torso's reach (px; NaN off the mask; None where there is no shoulder on that side)."""
    mask = np.asarray(mask, bool)
    out: dict[str, tuple[float, float] | None] = dict.fromkeys(GARMENT_KEYPOINTS)
    beyond: dict[str, np.ndarray | None] = {"sleeve_l": None, "sleeve_r": None}
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return out, beyond
    top = rows[0]
    # 1. centre column: the mask centroid, then the middle of the torso at the hem.
    cx = int(round(np.nonzero(mask)[1].mean()))
    for _ in range(2):
        left, right = _torso_runs(mask, cx)
        hem = _hem_rows(_below_hem(mask, cx, rows), right - left + 1)
        cx = int(round(np.median((left[hem] + right[hem]) / 2)))
    left, right = _torso_runs(mask, cx)
    width = right - left + 1
    hem = _hem_rows(_below_hem(mask, cx, rows), width)
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
    for name, shoulder, reach in (("sleeve_l", sl, off + (cx - env_l) - xs),
                                  ("sleeve_r", sr, off + xs - (cx + env_r))):
        if shoulder is not None:
            beyond[name] = reach
            out[name] = _sleeve_end(reach - margin, min_pixels, min_reach, shoulder)
    return out, beyond
