"""Where the result shows the new garment, whatever the network's mask says: the old garment it
replaces, and the bare arms its sleeves dress.

The try-on network decides per pixel where the warped garment shows. Off its training photos
it can say no where it must say yes: on a portrait cut at the chest, over a dark jacket, it
showed a light garment at a mean of 0.2 over the old garment's pixels and painted its own dark
render there instead. :func:`shown_garment` then shows the new garment over all of the old one
(:func:`covered_clothes`: where the parser sees the old upper garment; arms, hands and hair in
front keep their labels). On the paired validation photos the network shows the garment over
most of the old one (median 0.85) and is left alone: there its render is the closer one. Below
where the network ends the new garment, over the old one, down to the warped hem, it is shown
too (:func:`below_hem`): there the network painted a blurred band of its own.

The try-on network keeps what the agnostic person shows (it was trained on photos of people
wearing the garment they are shown with, whose visible arms never lie under its sleeves). So
a long-sleeved top on a person in a sleeveless one came out sleeveless: the bare arms stayed
revealed, and hidden from it, they still came out bare (its composition mask keeps to the
torso). :func:`sleeved_arms` finds the bare arm pixels to hide from the network, arm by arm,
only where the new sleeve reaches clearly farther down the arm than the old one. On a paired
photo (a person shown with the garment they wear, as in training and validation) the two
reaches agree (median difference 0.0 upper-arm lengths with the spline's measured lengths,
:data:`tryon.warp.MEASURED_LENGTHS`) and nothing is hidden in 96% of the validation photos.
:func:`dressed_arms` is where the result then shows the new garment over those arms, whatever
the network's mask says. A short sleeve dresses an arm only where it was laid along the arm
(:func:`lays_sleeves` asks for that: a T-shirt on a person in a sleeveless top came out
sleeveless); the spline keeps it at its photo's angle, sticking out sideways from a hanging arm.

All arrays are in the model frame (see :mod:`tryon.alignment`). Positions along an arm are in
upper-arm lengths from the shoulder joint: 0 at the shoulder, 1 at the elbow, 2 at the wrist.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from tryon import constants as C
from tryon.alignment import body_unit
from tryon.garment_keypoints import MaskAnalysis, sleeve_masks
from tryon.masks import labelled, torso_quad
from tryon.sleeve_fit import segment

__all__ = ["ARM_CHAINS", "arm_chain", "arm_positions", "arms_in_front", "arms_in_photo", "arms_in_view",
           "bare_arms_in_photo", "below_hem", "chain_point", "chain_position", "covered_clothes", "dressed_arms",
           "lays_long_sleeves", "lays_sleeves", "old_cuffs", "shown_garment", "sleeve_reaches", "sleeved_arms",
           "warped_sleeves", "worn_reaches"]

ARM_CHAINS = ((C.LEFT_SHOULDER, C.LEFT_ELBOW, C.LEFT_WRIST),
              (C.RIGHT_SHOULDER, C.RIGHT_ELBOW, C.RIGHT_WRIST))
OLD_GARMENT = C.LIP_UPPER_GARMENT  # the parse's garment the new one replaces
IN_FRONT = (C.LIP_LEFT_ARM, C.LIP_RIGHT_ARM, C.LIP_GLOVE, C.LIP_FACE, C.LIP_HAIR)  # may lie on a garment
MIN_SHOWN = 0.6           # the network's mean mask over the old garment the new one covers: 99% of
                          # the paired validation try-ons show more (median 0.85); off its training
                          # photos it showed 0.2-0.5 (a light top on a dark one, a chest-up portrait)
HEM_SHOWN = 0.5           # the network's hem in a column: the last row its mask is above this (below_hem)
HEM_FADE = 4              # frame px: the garment is shown from this far above that row (the mask fades out
                          # over them: a line of the network's render across the garment otherwise)...
HEM_SOFT = 1.0            # ...faded in over this many frame px (a hard edge read as a staircase at 4x)
SPECK_PIXELS = 48         # frame px: fewer enclosed in the old garment is a parser speck (a hand is ~200)
COVERED_ALPHA = 0.5       # the new garment covers a pixel where its warped alpha is above this
OLD_ARM_SHARE = 0.2       # a parsed arm whose pixels' median share of the old garment's colours (OldColours)
                          # reaches this is the old top's sleeve taken for an arm (a space suit's: 0.52;
                          # bare arms on 018928, 018966: 0.00-0.03)
ARM_ZONE_RADIUS = 0.3     # units of U: pixels this close to an arm's chain belong to that arm
ARM_MIN_VISIBILITY = 0.3  # an arm whose elbow is less visible than this is left alone
BARE_SEEN_FROM = 0.3      # an elbow off the photo: its upper arm is sampled from this share of the way down...
BARE_SEEN_SAMPLES = 15    # ...at this many points, of which at least...
BARE_SEEN_MIN = 4         # ...this many on the photo...
BARE_SEEN_SHARE = 0.6     # ...and this share of those within BARE_SEEN_PX of the bare arm the parser sees
BARE_SEEN_PX = 3          # frame px
REACH_PERCENTILE = 95     # a sleeve's reach: this percentile of its pixels' arm positions...
BARE_PERCENTILE = 5       # ...the worn sleeve's: this percentile of the bare arm's positions...
REACH_MIN_PIXELS = 12     # ...over at least this many pixels beside the torso (else no sleeve, no bare arm)
THREAD_PX = 1             # frame px: a new sleeve's strands at most 2 * this + 1 wide are not counted (a
                          # spline pulls the underarm edge into a 1 px thread down the torso's side)
NO_BARE_ARM = 3.0         # the worn sleeve's reach when no bare arm is seen: past the wrist
REACH_MARGIN = 0.75       # upper-arm lengths: the new sleeve must reach this much farther down (on
                          # the 500 validation pairs, own garments, 4% of arms do: sheer sleeves the
                          # parser calls arms, broken garment photos; the median is 0.0)
LONG_REACH = 1.1          # upper-arm lengths: only a sleeve reaching past the elbow dresses bare arms (a
                          # short sleeve keeps its photo's angle in the spline; on hidden arms the
                          # network drew it sticking out sideways)...
LAID_MARGIN = 0.1         # ...but one laid along the arm (tryon.sleeve_fit) dresses it where it reaches this
                          # much farther down than the worn top (the other checks stay; at 0.25 the short
                          # wide sleeves of a T-shirt laid over a sleeveless wearer's arms, 0.22-0.27 past
                          # the worn top, were left off)
HEM_PAST = 2              # frame px: a laid sleeve is shown this far past its warped end (see dressed_arms)
LONG_BARE = 1.0           # upper-arm lengths: arms bare from higher up than this get long sleeves laid to the wrists
SHOULDER_BARE = 0.15      # upper-arm lengths: arms bare from higher up than this on average wear no sleeves
                          # (on 200 validation photos, by the arm bare from lower down: 21 of 27 sleeveless
                          # tops' wearers, none of 115 in T-shirts, whose bare arms begin at 0.19 and lower
                          # down; going by one arm alone, 5 of them. On the first 400 training pairs, by the
                          # mean of both arms: 37 of 52 sleeveless garments' wearers, 14 of 210 short-sleeved
                          # garments' (the lower arm: 30 and 11). A wide-shouldered top bared one arm from
                          # 0.21, the other from 0.0: VITON 000096's T-shirts came out sleeveless)


def _enclosed(mask: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``(H, W)`` bool: the pixels off ``mask`` that it encloses (not 8-connected to the border),
    but for what :data:`IN_FRONT` labels in an enclosed part with at least :data:`SPECK_PIXELS` of it."""
    n, parts = cv2.connectedComponents((~mask).astype(np.uint8), connectivity=8)
    border = np.unique(np.concatenate([parts[0], parts[-1], parts[:, 0], parts[:, -1]]))
    holes = (parts > 0) & ~np.isin(parts, border)
    front = holes & labelled(labels, IN_FRONT)
    big = np.flatnonzero(np.bincount(parts[front], minlength=n) >= SPECK_PIXELS)
    return holes & ~(front & np.isin(parts, big))


def covered_clothes(labels: np.ndarray) -> np.ndarray:
    """``(H, W)`` float32 in ``{0, 1}``: the old upper garment as the parser labels it (upper
    clothes, dress, coat), with what it encloses but for a hand, a face or hair in front of it
    (:func:`_enclosed`).

    Args:
        labels: ``(H, W)`` uint8 LIP ids of the frame.
    """
    old = labelled(labels, OLD_GARMENT)
    old |= _enclosed(old, labels)  # badges, prints, the parser's specks in the old garment
    return old.astype(np.float32)


def shown_garment(shows: np.ndarray, alpha: np.ndarray, covered: np.ndarray,
                  dressed: np.ndarray | None = None, armless: bool = False) -> np.ndarray:
    """``(H, W)`` float32 in ``[0, 1]``: where the result shows the new garment (before its
    coverage): the network's ``shows``, raised to 1 over the whole old garment when it shows
    the new one over less than :data:`MIN_SHOWN` of the old one it covers on average, or when no
    arm is in view (``armless``), over the old one below where it ends the new one
    (:func:`below_hem`), and to ``dressed`` over the bare arms the new sleeves dress.

    Where the network does not show the new garment over the old one, it draws what lies in
    front: an arm across the body in a sleeve the parser calls the old garment. On a portrait
    cut above the elbows (:func:`arms_in_photo` leaves no arm) none is there, and it drew one
    anyway, trained on photos that always show arms: a skin-coloured blob on a chest-up portrait's
    shoulder. (Raised everywhere, on the validation photos, it painted the garment's body over
    arms held in front of it: region SSIM 0.699 -> 0.686.)

    Args:
        shows: ``(H, W)`` float in ``[0, 1]``, the network's composition mask over the garment's
            coverage.
        alpha: ``(H, W)`` float in ``[0, 1]``, the warped garment's coverage.
        covered: ``(H, W)`` float in ``{0, 1}``, :func:`covered_clothes`.
        dressed: ``(H, W)`` float in ``[0, 1]``, :func:`dressed_arms`, or None.
        armless: no arm is in view (:func:`arms_in_view`).
    """
    over = (covered > 0) & (alpha > COVERED_ALPHA)
    if over.any() and (armless or float(shows[over].mean()) < MIN_SHOWN):
        shows = np.maximum(shows, covered)
    shows = np.maximum(shows, below_hem(shows, over))
    return shows if dressed is None else np.maximum(shows, dressed)


def below_hem(shows: np.ndarray, over: np.ndarray) -> np.ndarray:
    """``(H, W)`` float32 in ``[0, 1]``: the old garment the new one covers (``over``) below where
    the network stops showing it, column by column (below the last row it shows it over
    :data:`HEM_SHOWN`, from :data:`HEM_FADE` frame px above it), softened over :data:`HEM_SOFT`
    frame px.

    The network ends the new garment above its warped hem (it learned that the spline's hem
    overshoots); over a longer old top the rows between were its own blurred render of trousers
    or of the old top: a band below every shorter hem on a shopper's photo. Shown down to the
    warped hem, the 500 validation pairs measured better too: SSIM 0.8911 -> 0.8926, region SSIM
    0.6893 -> 0.6926 (only below the last row shown over 0.5, without the fade and the softening:
    a line of the render across the garment, staircase edges; over 0.9: columns the network
    shows at 0.8 throughout kept the band).
    """
    shown = shows > HEM_SHOWN
    h = shows.shape[0]
    last = np.where(shown.any(0), h - 1 - np.argmax(shown[::-1], 0), h)
    band = (over & (np.arange(h)[:, None] > last[None, :] - HEM_FADE)).astype(np.float32)
    return cv2.GaussianBlur(band, (0, 0), HEM_SOFT) if band.any() else band


def _dresses(arm: tuple[float, float, np.ndarray] | None, margin: float, laid: bool = False) -> bool:
    """Whether a :func:`sleeve_reaches` arm gets the new sleeve: a long one, clearly longer; or,
    ``laid`` along the arm, any sleeve a little longer (:data:`LAID_MARGIN`)."""
    if arm is None:
        return False
    if laid:
        return arm[1] > arm[0] + LAID_MARGIN
    return arm[1] >= LONG_REACH and arm[1] > arm[0] + margin


def lays_sleeves(keypoints: dict, sleeves: str | None, labels: np.ndarray, landmarks: np.ndarray) -> bool:
    """Whether a garment's sleeves should be laid along the arms and dress them
    (:func:`tryon.warp.warp_garment`'s ``lay_sleeves``, :func:`dressed_arms`'s ``laid``): short
    sleeves (``sleeves``, :func:`tryon.sleeves.sleeve_kind`), both found on its mask (one alone
    is more often a sleeveless top's armhole seen at an angle), on a person whose arms in view are
    bare from near the shoulder (:data:`SHOULDER_BARE`: the worn top has no sleeves).

    Args:
        keypoints: the garment's :func:`tryon.garment_keypoints.garment_keypoints`.
        sleeves: its sleeve kind; labels: ``(H, W)`` uint8 LIP ids of the frame; landmarks:
            ``(33, 3)`` frame pixels and visibility, torso upright.
    """
    if sleeves != "short" or keypoints.get("sleeve_l") is None or keypoints.get("sleeve_r") is None:
        return False
    return _bare_from(labels, landmarks, mean=True) < SHOULDER_BARE


def _bare_from(labels: np.ndarray, landmarks: np.ndarray, mean: bool = False) -> float:
    """Where the person's bare arm begins (upper-arm lengths from the shoulder), on the arm in view
    where that is farthest down (``mean``: on both arms in view on average); inf without an arm
    in view."""
    seen = [arm[0] for arm in worn_reaches(labels, landmarks) if arm is not None]
    if not seen:
        return float("inf")
    return float(np.mean(seen)) if mean else max(seen)


def old_cuffs(labels: np.ndarray, landmarks: np.ndarray) -> dict[int, np.ndarray]:
    """Where the worn sleeves end: per arm in view whose bare arm the parser sees below its worn
    sleeve, the arm's elbow landmark index -> the frame point ``(2,)`` on the arm's chain where
    its bare arm begins (:func:`sleeve_reaches`). :func:`tryon.warp.named_targets` lengthens a
    new sleeve that ends a little above it down to it.

    Args:
        labels: ``(H, W)`` uint8 LIP ids of the frame; landmarks: ``(33, 3)`` frame pixels and
            visibility, torso upright.
    """
    cuffs = {}
    for i, arm in enumerate(worn_reaches(labels, landmarks)):
        points = arm_chain(landmarks, i)
        if arm is None or points is None or arm[0] >= NO_BARE_ARM:
            continue
        cuffs[ARM_CHAINS[i][1]] = chain_point(points, arm[0])
    return cuffs


def chain_point(points: np.ndarray, position: float) -> np.ndarray:
    """The point ``(2,)`` at ``position`` (upper-arm lengths, :func:`chain_position`) along the chain
    ``points`` (``(2, 2)`` or ``(3, 2)`` frame px; past its last point, on its last segment's line)."""
    points = np.asarray(points, np.float64)
    s, e = points[0], points[1]
    upper = max(float(np.linalg.norm(e - s)), 1.0)
    if position <= 1.0 or len(points) < 3:
        return s + (e - s) * position
    forearm = points[2] - e
    return e + forearm / max(float(np.linalg.norm(forearm)), 1e-6) * (position - 1.0) * upper


def lays_long_sleeves(sleeves: str | None, labels: np.ndarray, landmarks: np.ndarray) -> bool:
    """Whether a garment's long sleeves (``sleeves``, :func:`tryon.sleeves.sleeve_kind`) should be
    laid down the arms to the wrists (:func:`tryon.warp.warp_garment`'s ``to_wrists``): on a person
    whose arms in view are bare from above the elbow (:data:`LONG_BARE`). The spline alone left
    them short, or bent off the arm, with skin patches where the arm showed.

    Args:
        sleeves: the garment's sleeve kind; labels: ``(H, W)`` uint8 LIP ids of the frame;
            landmarks: ``(33, 3)`` frame pixels and visibility, torso upright.
    """
    return sleeves == "long" and _bare_from(labels, landmarks) < LONG_BARE


_last_arms: tuple | None = None  # (key, arms) of arm_positions' last answer


def arm_positions(landmarks: np.ndarray, size: tuple[int, int]) -> list[tuple[np.ndarray, np.ndarray] | None]:
    """Per arm (left, right): ``(position, distance)``, each ``(H, W)`` float: the pixel's
    position along the shoulder-elbow-wrist chain (upper-arm lengths) and its distance to the
    chain (frame pixels); ``None`` for an arm whose elbow is not visible. Without a visible
    wrist the forearm is left out. The arrays are read-only: one try-on asks for the same arms
    up to three times (laying sleeves, dressing arms, baring them), and the last answer is kept."""
    global _last_arms
    key = (np.ascontiguousarray(landmarks, np.float64).tobytes(), tuple(size))
    last = _last_arms
    if last is not None and last[0] == key:
        return list(last[1])
    h, w = size
    xs, ys = np.arange(w, dtype=np.float64)[None, :], np.arange(h, dtype=np.float64)[:, None]
    out: list[tuple[np.ndarray, np.ndarray] | None] = []
    for arm in range(len(ARM_CHAINS)):
        points = arm_chain(landmarks, arm)
        if points is None:
            out.append(None)
            continue
        position, d = chain_position(points, xs, ys)
        for a in (position, d):
            a.setflags(write=False)
        out.append((position, d))
    _last_arms = (key, tuple(out))
    return out


def arm_chain(landmarks: np.ndarray, arm: int) -> np.ndarray | None:
    """``(3, 2)`` shoulder, elbow and wrist of arm ``arm`` (0 left, 1 right; the landmarks'
    pixels), ``(2, 2)`` without the wrist when it is not visible, None when the elbow is not."""
    sh, el, wr = ARM_CHAINS[arm]
    if landmarks[el, 2] < ARM_MIN_VISIBILITY:
        return None
    return landmarks[[sh, el, wr] if landmarks[wr, 2] >= ARM_MIN_VISIBILITY else [sh, el], :2]


def chain_position(points: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each point's position along the chain ``points`` (``(2, 2)`` shoulder and elbow, or
    ``(3, 2)`` with the wrist; frame px) in upper-arm lengths, and its distance to the chain,
    for the coordinates ``xs``, ``ys`` (float arrays that broadcast together, computed in their
    precision; frame px, at any resolution: :func:`arm_positions` on the frame's pixels, the
    painted arms on a photo's)."""
    dtype = np.result_type(xs, ys)
    s, e = (np.asarray(points[i], dtype) for i in (0, 1))
    upper = max(float(np.linalg.norm(e - s)), 1.0)
    position, d = segment(xs, ys, s, e)
    if len(points) > 2:
        wrist = np.asarray(points[2], dtype)
        f2, d2 = segment(xs, ys, e, wrist)
        position = np.where(d2 < d, 1.0 + f2 * np.linalg.norm(wrist - e) / upper, position)
        d = np.minimum(d, d2)
    return position, d


def warped_sleeves(mask: np.ndarray, analysis: MaskAnalysis | None, grid: np.ndarray | None,
                   alpha: np.ndarray) -> np.ndarray:
    """``(H, W)`` float32 in ``[0, 1]``: the new garment's sleeves as warped onto the body (its
    coverage where the warp reads a sleeve of the garment photo); zeros without a grid or sleeves.

    Args:
        mask: ``(h, w)`` bool, the prepared garment's mask.
        analysis: its :func:`tryon.garment_keypoints.analyse_mask`, when the caller has it.
        grid: ``(H, W, 2)`` float32, :attr:`tryon.warp.WarpedGarment.grid` (where each frame pixel
            reads the prepared garment, ``[-1, 1]``, ``align_corners=True``).
        alpha: ``(H, W)`` float32 in ``[0, 1]``, the warped garment's coverage.
    """
    if grid is None:
        return np.zeros_like(alpha, dtype=np.float32)
    cuts = [m for m in sleeve_masks(mask, analysis).values() if m is not None]
    if not cuts:
        return np.zeros_like(alpha, dtype=np.float32)
    sleeves = torch.from_numpy(np.logical_or.reduce(cuts).astype(np.float32))[None, None]
    read = F.grid_sample(sleeves, torch.from_numpy(np.ascontiguousarray(grid))[None], mode="bilinear",
                         padding_mode="zeros", align_corners=True)[0, 0].numpy()
    return (read * alpha).astype(np.float32)


def arms_in_photo(landmarks: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """``(33, 3)`` landmarks whose elbows off the photo (``valid`` False there, or outside the
    frame) are not visible (visibility 0), so :func:`arm_positions` leaves those arms alone.

    MediaPipe guesses the joints of arms a photo cuts off: on a portrait cropped at the chest, the
    elbows below its bottom edge kept visibility 0.35. The arms laid, dressed, bared or kept
    along such a guess were painted on the torso: a skin-coloured slab with straight edges where a
    camisole bared the guessed arm.

    Args:
        landmarks: ``(33, 3)`` frame pixels and visibility; valid: ``(H, W)`` bool, the photo in the frame.
    """
    out = landmarks.copy()
    h, w = valid.shape
    for _, elbow, _ in ARM_CHAINS:
        x, y = np.round(landmarks[elbow, :2]).astype(int)
        if not (0 <= x < w and 0 <= y < h and valid[y, x]):
            out[elbow, 2] = 0.0
    return out


def bare_arms_in_photo(landmarks: np.ndarray, valid: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``(33, 3)`` landmarks as :func:`arms_in_photo` leaves them, but for an arm whose elbow lies
    off the photo and whose upper arm the parser sees bare down to the photo's edge: that arm
    stays, its elbow at least :data:`ARM_MIN_VISIBILITY` visible (MediaPipe's guess), and so its
    wrist where that lies off the photo too (nothing of the forearm shows; a long sleeve needs it
    to reach past the elbow); a wrist on the photo it did not see is left out. A chest-up
    portrait in a sleeveless top shows the upper arms: the new garment's sleeves dress them. (Left
    out, every garment came out sleeveless: the network hid the sleeves over the skin it was
    shown.) An arm the portrait shows clothed stays out: baring or keeping a sleeve along a
    guessed arm painted a slab on the torso.

    Args:
        landmarks: ``(33, 3)`` frame pixels and visibility; valid: ``(H, W)`` bool, the photo in
            the frame; labels: ``(H, W)`` uint8 LIP ids of the frame.
    """
    out = arms_in_photo(landmarks, valid)
    h, w = valid.shape
    bare = None
    for shoulder, elbow, wrist in ARM_CHAINS:
        if out[elbow, 2] >= ARM_MIN_VISIBILITY or landmarks[elbow, 2] <= 0.0:
            continue
        if bare is None:  # (only for a portrait cut above an elbow)
            bare = cv2.dilate(labelled(labels, C.LIP_ARMS).astype(np.uint8), np.ones((3, 3), np.uint8),
                              iterations=BARE_SEEN_PX) > 0
        a, b = landmarks[shoulder, :2], landmarks[elbow, :2]
        points = a + np.linspace(BARE_SEEN_FROM, 1.0, BARE_SEEN_SAMPLES)[:, None] * (b - a)
        x, y = np.round(points).astype(int).T
        inside = (x >= 0) & (x < w) & (y >= 0) & (y < h)
        x, y = x[inside], y[inside]
        seen = valid[y, x]
        if seen.sum() >= BARE_SEEN_MIN and bare[y[seen], x[seen]].mean() >= BARE_SEEN_SHARE:
            out[elbow, 2] = max(float(landmarks[elbow, 2]), ARM_MIN_VISIBILITY)
            wx, wy = np.round(landmarks[wrist, :2]).astype(int)
            on_photo = 0 <= wx < w and 0 <= wy < h and valid[wy, wx]
            out[wrist, 2] = 0.0 if on_photo else max(float(landmarks[wrist, 2]), ARM_MIN_VISIBILITY)
    return out


def arms_in_view(landmarks: np.ndarray, valid: np.ndarray) -> bool:
    """Whether an arm of the person is in the photo: an elbow on it (:func:`arms_in_photo`) at
    least :data:`ARM_MIN_VISIBILITY` visible. ``landmarks``: ``(33, 3)`` frame pixels and
    visibility; ``valid``: ``(H, W)`` bool, the photo in the frame."""
    seen = arms_in_photo(landmarks, valid)
    return any(seen[elbow, 2] >= ARM_MIN_VISIBILITY for _, elbow, _ in ARM_CHAINS)


def _without_threads(mask: np.ndarray) -> np.ndarray:
    """``(H, W)`` bool ``mask`` without strands at most ``2 * THREAD_PX + 1`` px wide (a morphological opening)."""
    size = 2 * THREAD_PX + 1
    kernel = np.ones((size, size), np.uint8)
    return cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, kernel).astype(bool)


def _reach(position: np.ndarray, pixels: np.ndarray, percentile: float, empty: float) -> float:
    if pixels.sum() < REACH_MIN_PIXELS:
        return empty
    return float(np.percentile(position[pixels], percentile))


def sleeve_reaches(labels: np.ndarray, landmarks: np.ndarray, sleeve_alpha: np.ndarray,
                   arms: list | None = None, beside_only: bool = True) -> list[tuple[float, float, np.ndarray] | None]:
    """Per arm (left, right): ``(old, new, zone)``: how far down the arm the worn garment and
    the new garment's sleeve reach (upper-arm lengths), and the arm's ``(H, W)`` bool zone
    beside the torso; ``None`` for an arm out of view. The worn sleeve reaches where the bare
    arm begins (:data:`NO_BARE_ARM` when none is seen); the new one as far as its sleeve pixels
    go. Neither counts a garment's body, which an arm hanging beside the torso may overlap.

    Args:
        labels: ``(H, W)`` uint8 LIP ids of the frame.
        landmarks: ``(33, 3)`` frame pixels and visibility, torso upright.
        sleeve_alpha: ``(H, W)`` float in ``[0, 1]``, the new garment's sleeves warped onto the
            body (:func:`warped_sleeves`).
        arms: :func:`arm_positions` of these landmarks, when the caller has them.
        beside_only: False: the arm's zone takes in what lies in front of the torso too.
    """
    size = labels.shape
    beside = ~torso_quad(landmarks, size) if beside_only else np.ones(size, bool)
    radius = ARM_ZONE_RADIUS * body_unit(landmarks)
    bare = labelled(labels, C.LIP_ARMS)
    new = _without_threads(sleeve_alpha > COVERED_ALPHA)
    arms = arm_positions(landmarks, size) if arms is None else arms
    out: list[tuple[float, float, np.ndarray] | None] = []
    for i, arm in enumerate(arms):
        if arm is None:
            out.append(None)
            continue
        position, distance = arm
        other = arms[1 - i]
        zone = beside & (distance <= radius)
        if other is not None:
            zone &= distance <= other[1]
        out.append((_reach(position, bare & zone, BARE_PERCENTILE, NO_BARE_ARM),
                    _reach(position, new & zone, REACH_PERCENTILE, 0.0), zone))
    return out


_last_worn: tuple | None = None  # (key, reaches) of worn_reaches' last answer


def worn_reaches(labels: np.ndarray, landmarks: np.ndarray) -> list[tuple[float, float, np.ndarray] | None]:
    """:func:`sleeve_reaches` of the worn garment alone (no new sleeve): per arm, where its bare
    arm begins. One try-on asks three times (:func:`lays_sleeves`, :func:`lays_long_sleeves`,
    :func:`old_cuffs`): the last answer is kept, its zones read-only."""
    global _last_worn
    key = (np.ascontiguousarray(labels).tobytes(), np.ascontiguousarray(landmarks, np.float64).tobytes())
    last = _last_worn
    if last is not None and last[0] == key:
        return list(last[1])
    reaches = sleeve_reaches(labels, landmarks, np.zeros(labels.shape, np.float32))
    for arm in reaches:
        if arm is not None:
            arm[2].flags.writeable = False
    _last_worn = (key, reaches)
    return list(reaches)


def sleeved_arms(labels: np.ndarray, landmarks: np.ndarray, sleeve_alpha: np.ndarray,
                 margin: float = REACH_MARGIN) -> np.ndarray:
    """``(H, W)`` bool: the arm pixels (as the parser labels them) beside the torso that the new
    garment's sleeve covers, on each arm whose new sleeve reaches past the elbow
    (:data:`LONG_REACH`) and :data:`REACH_MARGIN` farther down than the worn one: the bare arm a
    long sleeve will dress. Arms in front of the torso stay (they lie in front of any garment),
    and so does an arm whose sleeve keeps its length.

    Args:
        labels, landmarks, sleeve_alpha: as :func:`sleeve_reaches`.
        margin: upper-arm lengths the new sleeve must reach farther (:data:`REACH_MARGIN`, for a
            spline at :data:`tryon.warp.MEASURED_LENGTHS`).
    """
    hidden = np.zeros(labels.shape, bool)
    skin = labelled(labels, C.LIP_ARMS)
    covered = sleeve_alpha > COVERED_ALPHA
    if not (skin & covered).any():   # no sleeve over bare arm: nothing to measure
        return hidden
    for arm in sleeve_reaches(labels, landmarks, sleeve_alpha):
        if _dresses(arm, margin):
            hidden |= arm[2] & skin & covered
    return hidden


def arms_in_front(labels: np.ndarray, region: np.ndarray, sleeve_alpha: np.ndarray | None,
                  dressed: np.ndarray | None, painted: np.ndarray | None,
                  old_share: np.ndarray | None) -> np.ndarray:
    """``(H, W)`` bool: the bare arms and hands the parser sees in the repaint region that the new
    garment leaves as they are: no new sleeve covers them (``sleeve_alpha`` at least
    :data:`COVERED_ALPHA`), none dresses them (``dressed`` > 0, :func:`dressed_arms`) and none
    is painted there (``painted``, :mod:`tryon.bare_arms`): they lie in front of the new
    garment's body, or beside it, and the photo's own pixels show there. Left to the network,
    a forearm raised across the torso came out in speckles (its keep mask half on, half off:
    the new garment's colour through the arm, the old top's at its edges), and bare arms beside
    the body blurred. A connected part whose pixels' median ``old_share`` (the old garment's
    colours, :meth:`tryon.old_garment.OldColours.share`) reaches :data:`OLD_ARM_SHARE` is the
    old top's sleeve the parser took for an arm, and is left to the network.

    Args:
        labels: ``(H, W)`` uint8 LIP ids of the frame; region: ``(H, W)`` bool, the repaint region.
        sleeve_alpha: ``(H, W)`` float in ``[0, 1]``, the new sleeves (:func:`warped_sleeves`), or None.
        dressed: ``(H, W)`` float in ``[0, 1]`` or None; painted: ``(H, W)`` bool or None.
        old_share: ``(H, W)`` float in ``[0, 1]`` of the frame's pixels, or None (no part is dropped).
    """
    front = labelled(labels, C.LIP_ARMS) & region
    for cover in (None if sleeve_alpha is None else sleeve_alpha >= COVERED_ALPHA,
                  None if dressed is None else dressed > 0, painted):
        if cover is not None:
            front &= ~cover
    if old_share is not None and front.any():
        n, parts = cv2.connectedComponents(front.astype(np.uint8))
        for part in range(1, n):
            inside = parts == part
            if np.median(old_share[inside]) >= OLD_ARM_SHARE:
                front &= ~inside
    return front


def dressed_arms(labels: np.ndarray, landmarks: np.ndarray, sleeve_alpha: np.ndarray,
                 garment_alpha: np.ndarray, margin: float = REACH_MARGIN, laid: bool = False,
                 whole: bool = False) -> np.ndarray:
    """``(H, W)`` float32 in ``[0, 1]``: the new garment's coverage over the bare arm pixels it
    dresses, 0 elsewhere: where the result shows the garment whatever the network's mask says.
    On each arm a long new sleeve dresses (as :func:`sleeved_arms`), the bare arm the garment
    covers: beside the torso, and on the upper arm (positions below 1) also in front of it (the
    inner side of the shoulder; a forearm in front of the torso lies in front of the garment).

    Args:
        labels, landmarks, sleeve_alpha: as :func:`sleeve_reaches`.
        garment_alpha: ``(H, W)`` float in ``[0, 1]``, the whole warped garment's coverage (its
            sleeve's cut starts at the armhole; its body covers the shoulder).
        margin: as :func:`sleeved_arms`.
        laid: the sleeves were laid along the arms (:func:`lays_sleeves`): short ones dress too.
        whole: long sleeves laid along the whole arm (cut from beside the torso on their photo,
            :func:`tryon.garment_keypoints.hanging_sleeves`): the forearm in front of the torso is in
            its sleeve too (left bare, it showed as skin patches inside the laid sleeve).
    """
    dressed = np.zeros(labels.shape, np.float32)
    skin = labelled(labels, C.LIP_ARMS) & (garment_alpha > COVERED_ALPHA)
    if not (skin & (sleeve_alpha > COVERED_ALPHA)).any():
        return dressed
    radius = ARM_ZONE_RADIUS * body_unit(landmarks)
    arms = arm_positions(landmarks, labels.shape)
    for i, reach in enumerate(sleeve_reaches(labels, landmarks, sleeve_alpha, arms, beside_only=not whole)):
        if not _dresses(reach, margin, laid):
            continue
        position, distance = arms[i]
        upper = (distance <= radius) & (position < 1.0)
        if arms[1 - i] is not None:
            upper &= distance <= arms[1 - i][1]
        where = (reach[2] | upper) & skin
        if laid:  # a short sleeve: down to its end (the garment's body beside the forearm is behind it),
            # shown a little past it, so that the garment photo's own hem at full resolution ends it
            # (cut at the frame's pixels, the hem showed their steps as saw teeth at 768x1024)
            past = cv2.dilate((sleeve_alpha > COVERED_ALPHA).astype(np.uint8), np.ones((3, 3), np.uint8),
                              iterations=HEM_PAST).astype(bool)
            where &= (position <= reach[1]) | past
            dressed[where] = np.where(past, 1.0, garment_alpha)[where]
            continue
        dressed[where] = garment_alpha[where]
    return dressed
