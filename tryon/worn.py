"""A garment taken from a photo of a person wearing it, laid out like an in-shop photo.

Most shops show a garment on a model. :func:`garment_from_worn` finds the wearer with MediaPipe,
aligns them upright into a work frame, cuts the upper garment out with the body parser, fills
what arms or hair hid (mirrored from the garment's other half where that half shows, else
inpainted), and lays the garment out on white like :func:`tryon.garment.prepare_garment` does.
Its keypoints come from the wearer's pose, so a sleeve hanging along an arm is still a sleeve:
it ends where the bare arm begins, and it is long when it ends past the elbow. Long sleeves are
cut from the torso along the arms (:class:`MaskAnalysis` ``worn``; one bent at the elbow is
straightened first), and the warp lays them along the new body's arms as wide as worn.

:func:`find_wearer` tells a worn photo from a flat one (``garment_type="auto"``): it needs a
face found by MediaPipe's face detector, a pose, and the parser's face and arms on at least
:data:`WORN_BODY_SHARE` of the person mask. MediaPipe's pose alone finds a "person" in a few per
cent of flat garment photos (a hoodie, a polo shirt laid flat), and the parser alone calls the
sleeves of a rust-coloured T-shirt arms and a busy print a face; on 40 VITON photos of people
face and arms cover at least 8% of the person mask. A photo without a face (a model cropped at
the neck, a back view) therefore counts as flat unless ``garment_type="worn"`` says otherwise.

Conventions as in :mod:`tryon.garment`: ``(x, y)`` pixels, ``_l`` / ``_r`` image-left / right.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from tryon import constants as C
from tryon.alignment import align, body_unit, midpoint, warp_to_frame
from tryon.defringe import defringe
from tryon.errors import GarmentError, NoPersonError, TryOnError
from tryon.garment import PreparedGarment, garment_keypoints, layout, prepare_garment
from tryon.garment_keypoints import MaskAnalysis
from tryon.garment_segmentation import AUTO, fill_holes, has_transparency
from tryon.masks import disk, labelled, torso_quad
from tryon.pose import PoseResult, detect_pose, face_boxes
from tryon.sleeve_fit import arc_position, segment
from tryon.warp import GARMENT_SHOULDER_OUT, GARMENT_SHOULDER_UP, MIN_KEYPOINT_VISIBILITY, image_sides

__all__ = ["WORN_BODY_SHARE", "check_garment_type", "prepare_any_garment", "find_wearer",
           "garment_from_worn", "MSG_NO_WEARER", "MSG_BACK_VIEW", "MSG_NO_UPPER_GARMENT", "WARN_FILLED"]

MAX_WORK_SCALE = 4             # the wearer is cut out in a frame up to this many times the model
                               # frame (the photo's own scale, rounded): the full-resolution source
WORN_BODY_SHARE = 0.04         # face and arms must cover this share of the person mask for "worn"
MIN_GARMENT_SHARE = 0.15       # the upper garment must cover this share of the torso quadrilateral
FILL_CLOSE = 0.35              # holes in the garment up to about this wide (units of U) are hidden parts
WARN_FILLED_SHARE = 0.03       # warn when more than this share of the garment was filled in
SLEEVE_STEP = 0.02             # walk along the arm in steps of this (units of U) to find the cuff
SLEEVE_MIN_LENGTH = 0.12       # a sleeve reaches at least this far past the shoulder seam (units of U)
SLEEVE_REACH = 0.02            # an arm point counts as sleeved when garment lies this close (units of U)
SEAM_SLACK = 0.1               # the walk may start this far (units of U) off the garment: the seam, placed
                               # from the shoulder joint, lies just past a narrow-shouldered top's edge
BARE_COLOUR = 25.0             # an arm pixel this far (Lab, 8-bit) from the garment's median colour is bare
                               # skin; nearer, it is a sleeve the parser took for the arm
LONG_PAST_ELBOW = 0.25         # a worn sleeve is long when its cuff lies this share of the forearm past the elbow
STRAIGHT_BEND = 45.0           # degrees at the elbow: a long sleeve bent more is straightened before it is laid
MAX_BEND = 150.0               # ...and one bent more than this (a forearm folded back up) is not cut at all
SLEEVE_WIDTH_FROM = 0.1        # a sleeve's width is measured from this far below the shoulder joint (units of U)
SLEEVE_MAX_HALF_WIDTH = 0.3    # ...and at most this far out from the arm's line (units of U)
SLEEVE_EDGE = 1.0              # px of slack beyond the measured half-width, for the sleeve's rim
INPAINT_RADIUS = 5             # px, cv2.inpaint's neighbourhood for holes the mirror cannot fill
FILL_RIM = 0.008               # of the frame height: the garment's rim left out of what fills a hole (2 px at
                               # 256: an arm across the waist filled from it came out brown, not navy)
FILL_BOX_MARGIN = 4            # INPAINT_RADIUS-es around a hole that the fill reads
OLD_GARMENT = C.LIP_UPPER_GARMENT
OCCLUDERS = (C.LIP_HAIR, C.LIP_LEFT_ARM, C.LIP_RIGHT_ARM, C.LIP_GLOVE)  # what lies over a garment

MSG_NO_WEARER = ("We couldn't find a person wearing the garment in the garment photo; please upload "
                 "a photo of the garment worn from the front, or choose the flat garment type.")
MSG_BACK_VIEW = ("The garment photo shows the wearer from behind or from the side; please upload a "
                 "photo of the garment worn from the front.")
MSG_NO_UPPER_GARMENT = ("We couldn't find an upper-body garment on the person in the garment photo; "
                        "please upload a photo that shows the top being worn, from the front.")
WARN_FILLED = ("Parts of the garment were hidden by arms or hair in its photo and have been filled in; "
               "the result may differ from the garment there.")


def find_wearer(photo: np.ndarray, parser, faces: list | None = None) -> PoseResult | None:
    """The person wearing the garment in ``photo``, or ``None`` for a flat garment photo.

    Args:
        photo: ``(h, w, 3)`` uint8 RGB garment photo.
        parser: a :class:`tryon.parse.Parser`.
        faces: :func:`tryon.pose.face_boxes` of ``photo`` when the caller has run it.
    """
    faces = face_boxes(photo) if faces is None else faces
    if not faces:  # most flat garment photos stop here, before the pose
        return None
    try:
        pose = detect_pose(photo, faces)  # the face detector is not run twice
    except NoPersonError:
        return None
    lm = pose.landmarks
    if pose.faces == 0 or min(lm[C.LEFT_SHOULDER, 2], lm[C.RIGHT_SHOULDER, 2]) < C.MIN_SHOULDER_VISIBILITY:
        return None
    al = align(pose, parser.frame_size)
    frame = warp_to_frame(photo, al, replicate=True)
    person = warp_to_frame(pose.mask, al) > 0.5
    labels = parser.labels_in(frame, person)
    body = labelled(labels, (C.LIP_FACE, C.LIP_LEFT_ARM, C.LIP_RIGHT_ARM)).sum()
    return pose if body >= WORN_BODY_SHARE * max(int(person.sum()), 1) else None


def _fill_hidden(frame: np.ndarray, garment: np.ndarray, hidden: np.ndarray, axis_x: float) -> np.ndarray:
    """``frame`` with ``hidden`` filled: mirrored about the torso's axis where the garment shows
    there, the rest inpainted from the garment around it. Both read the garment without its rim
    (:data:`FILL_RIM`), where the arm's and hair's colours blend into it, and that rim along the
    hole is filled with it."""
    out = frame.copy()
    rim = max(1, round(FILL_RIM * frame.shape[0]))
    inner = cv2.erode(garment.astype(np.uint8), disk(rim)).astype(bool)
    # The garment's rim along the hole is the occluder's colour blended in: filled with the hole.
    hidden = hidden | (garment & ~inner & cv2.dilate(hidden.astype(np.uint8), disk(rim + 1)).astype(bool))
    ys, xs = np.nonzero(hidden)
    mx = np.round(2 * axis_x - xs).astype(int)
    ok = (mx >= 0) & (mx < frame.shape[1])
    ok[ok] = inner[ys[ok], mx[ok]]
    out[ys[ok], xs[ok]] = frame[ys[ok], mx[ok]]
    rest = hidden.copy()
    rest[ys[ok], xs[ok]] = False
    if rest.any():  # inpaint from the garment alone: nothing else in the hole's box is known
        known = inner | (hidden & ~rest)
        ry, rx = np.nonzero(rest)
        m = FILL_BOX_MARGIN * INPAINT_RADIUS
        y0, y1 = max(0, ry.min() - m), min(frame.shape[0], ry.max() + m + 1)
        x0, x1 = max(0, rx.min() - m), min(frame.shape[1], rx.max() + m + 1)
        box = np.s_[y0:y1, x0:x1]
        painted = cv2.inpaint(np.ascontiguousarray(out[box]), (~known[box]).astype(np.uint8), INPAINT_RADIUS,
                              cv2.INPAINT_TELEA)
        out[box][rest[box]] = painted[rest[box]]
    return out


def _arm_cover(frame: np.ndarray, labels: np.ndarray, garment: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(bare, sleeve)``, ``(H, W)`` bool each: the parser's arm pixels that are bare skin, and
    those in the garment's colour (within :data:`BARE_COLOUR`): a dark sleeve taken for the arm."""
    arms = labelled(labels, C.LIP_ARMS) & ~garment
    if not arms.any() or not garment.any():
        return arms, np.zeros_like(arms)
    lab = cv2.cvtColor(np.ascontiguousarray(frame[arms | garment]).reshape(-1, 1, 3), cv2.COLOR_RGB2LAB)
    lab = lab.reshape(-1, 3).astype(np.float32)
    on_garment = garment[arms | garment]
    far = np.linalg.norm(lab[~on_garment] - np.median(lab[on_garment], axis=0), axis=1) >= BARE_COLOUR
    bare, sleeve = np.zeros_like(arms), np.zeros_like(arms)
    bare[arms], sleeve[arms] = far, ~far
    return bare, sleeve


def _sleeve_end(garment: np.ndarray, chain: list[np.ndarray], u: float,
                arms: tuple[np.ndarray, np.ndarray] | None = None,
                hair: np.ndarray | None = None) -> np.ndarray | None:
    """The cuff: the last point along the arm ``chain`` (shoulder seam -> elbow -> wrist) with
    garment close by, walking from the shoulder; ``None`` when the sleeve is too short to count.
    With ``arms`` (:func:`_arm_cover`), not on bare skin, and on over sleeve the parser took for
    the arm. (Garment close by alone ran on down an arm hanging beside the torso: short sleeves
    read long.) With ``hair`` ``(H, W)`` bool, the walk goes on through hair, which may hide the
    garment (long hair over a shoulder), and for :data:`SEAM_SLACK` over anything but bare skin
    before it first meets the garment, but no cuff lies there: for the other cuff of a garment
    already read long (:func:`_other_cuffs`)."""
    near = cv2.dilate(garment.astype(np.uint8), disk(max(1.0, SLEEVE_REACH * u))).astype(bool)
    if arms is not None:
        near = (near | arms[1]) & ~arms[0]
    bare = arms[0] if arms is not None else np.zeros_like(garment)
    passable = near if hair is None else near | (hair & ~bare)
    slack = 0.0 if hair is None else SEAM_SLACK * u
    h, w = garment.shape
    step = max(SLEEVE_STEP * u, 1.0)
    end, reach, arc = None, 0.0, 0.0
    for a, b in zip(chain[:-1], chain[1:]):
        seg = float(np.linalg.norm(b - a))
        for t in np.arange(0.0, seg, step):
            pt = a + (b - a) * (t / max(seg, 1e-6))
            x, y = int(round(pt[0])), int(round(pt[1]))
            inside = 0 <= x < w and 0 <= y < h
            lead_in = inside and end is None and arc < slack and not bare[y, x]
            if not inside or not (passable[y, x] or lead_in):
                return end if end is not None and reach >= SLEEVE_MIN_LENGTH * u else None
            arc += step
            if near[y, x]:
                end, reach = pt, arc
    return end if end is not None and reach >= SLEEVE_MIN_LENGTH * u else None


def _keypoints(garment: np.ndarray, landmarks: np.ndarray,
               arms: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, tuple[float, float] | None]:
    """Garment keypoints in the work frame: shoulders and sleeves from the wearer's pose (the
    inverse of :func:`tryon.warp.body_targets`' shoulder seam; a sleeve ends where its arm is
    bare, :func:`_sleeve_end` with ``arms``), neck between the shoulders, hem from the garment's
    silhouette."""
    u = body_unit(landmarks)
    keypoints = garment_keypoints(garment)
    seams = []
    for side, seam, chain in _arm_walks(landmarks):
        seams.append(seam)
        keypoints[f"shoulder_{side}"] = (float(seam[0]), float(seam[1]))
        end = _sleeve_end(garment, chain, u, arms) if len(chain) > 1 else None
        keypoints[f"sleeve_{side}"] = None if end is None else (float(end[0]), float(end[1]))
    neck = midpoint(*seams)
    keypoints["neck"] = (float(neck[0]), float(neck[1]))
    return keypoints


def _arm_walks(landmarks: np.ndarray) -> list[tuple[str, np.ndarray, list[np.ndarray]]]:
    """Per image side (``"l"``, ``"r"``): the garment's shoulder seam (the wearer's shoulder joint
    moved out and up, :data:`GARMENT_SHOULDER_OUT`, :data:`GARMENT_SHOULDER_UP`) and the chain a
    sleeve's walk follows from it (seam, then the elbow and wrist in view)."""
    p, vis = landmarks[:, :2].astype(np.float64), landmarks[:, 2]
    u = body_unit(landmarks)
    sides = [side[:3] for side in image_sides(landmarks)]
    down = midpoint(p[C.LEFT_HIP], p[C.RIGHT_HIP]) - midpoint(p[C.LEFT_SHOULDER], p[C.RIGHT_SHOULDER])
    down /= max(float(np.linalg.norm(down)), 1e-6)
    across = np.array([-down[1], down[0]])
    if np.dot(across, p[sides[1][0]] - p[sides[0][0]]) < 0:
        across = -across
    walks = []
    for (sh, el, wr), sign, side in zip(sides, (-1.0, 1.0), ("l", "r")):
        seam = p[sh] + across * sign * GARMENT_SHOULDER_OUT * u - down * GARMENT_SHOULDER_UP * u
        walks.append((side, seam, [seam] + [p[i] for i in (el, wr) if vis[i] >= MIN_KEYPOINT_VISIBILITY]))
    return walks


def _sleeve_kind(keypoints: dict, landmarks: np.ndarray) -> str | None:
    """``"long"``, ``"short"`` or ``"sleeveless"``, read off where the sleeves end on the wearer's
    arms (:data:`LONG_PAST_ELBOW`); None when no elbow is in view. Sleeveless only when both arms
    are in view and neither has a sleeve. (The garment's own proportions, as
    :func:`tryon.sleeves.sleeve_kind` reads a flat photo, called a cropped T-shirt's sleeves long.)"""
    p, vis = landmarks[:, :2].astype(np.float64), landmarks[:, 2]
    kinds = []
    for name, (sh, el, wr) in zip(("sleeve_l", "sleeve_r"), (side[:3] for side in image_sides(landmarks))):
        if vis[el] < MIN_KEYPOINT_VISIBILITY:
            continue
        end = keypoints.get(name)
        if end is None:
            kinds.append("sleeveless")
            continue
        upper = float(np.linalg.norm(p[el] - p[sh]))
        if vis[wr] < MIN_KEYPOINT_VISIBILITY:  # walked down to the elbow at most
            if float(np.linalg.norm(np.asarray(end) - p[el])) > LONG_PAST_ELBOW * upper:
                kinds.append("short")          # (at the elbow, it may go on out of sight)
            continue
        fore = float(np.linalg.norm(p[wr] - p[el]))
        reach = arc_position(np.array([p[sh], p[el], p[wr]]), np.asarray(end))
        kinds.append("long" if reach >= upper + LONG_PAST_ELBOW * fore else "short")
    if "long" in kinds or "short" in kinds:
        return "long" if "long" in kinds else "short"
    return "sleeveless" if len(kinds) == 2 else None


def _other_cuffs(keypoints: dict, garment: np.ndarray, landmarks: np.ndarray,
                 arms: tuple[np.ndarray, np.ndarray], hair: np.ndarray) -> dict:
    """``keypoints`` with each cuff it lacks walked for again through the wearer's ``hair``
    (:func:`_sleeve_end`): for a garment read long from one sleeve, the other sleeve's walk may
    start under hair or just past its seam. (Without it, 9 of the 14 long-sleeved wearers among the
    first 150 validation photos whose sleeves were not cut had a sleeve ended at its seam; read so
    for the sleeve kind itself, 4 short-sleeved tops with an arm behind the torso read long.)"""
    u = body_unit(landmarks)
    out = dict(keypoints)
    for side, _, chain in _arm_walks(landmarks):
        if out[f"sleeve_{side}"] is None and len(chain) > 1:
            end = _sleeve_end(garment, chain, u, arms, hair)
            out[f"sleeve_{side}"] = None if end is None else (float(end[0]), float(end[1]))
    return out


def _chain_to(chain: np.ndarray, arc: float) -> np.ndarray:
    """The polyline ``chain`` ``(M, 2)`` cut ``arc`` px along it (the whole chain when shorter)."""
    out = [chain[0]]
    for a, b in zip(chain[:-1], chain[1:]):
        seg = float(np.linalg.norm(b - a))
        if arc <= seg:
            out.append(a + (b - a) * (arc / max(seg, 1e-6)))
            break
        out.append(b)
        arc -= seg
    return np.array(out)


def _half_width(mask: np.ndarray, chain: np.ndarray, centre: np.ndarray, u: float) -> float | None:
    """The median distance (px) from the arm's line ``chain`` out to the garment's outer edge,
    measured at every pixel along the chain from :data:`SLEEVE_WIDTH_FROM` below the shoulder
    joint, across the arm, away from the torso's ``centre``; None where it is measured nowhere."""
    h, w = mask.shape
    steps = np.arange(0.0, SLEEVE_MAX_HALF_WIDTH * u + 1.0)
    widths: list[np.ndarray] = []
    start = SLEEVE_WIDTH_FROM * u
    for a, b in zip(chain[:-1], chain[1:]):
        seg = float(np.linalg.norm(b - a))
        along = (b - a) / max(seg, 1e-6)
        out = np.array([-along[1], along[0]])
        if out[0] * (a[0] - centre[0]) + out[1] * (a[1] - centre[1]) < 0:  # (no BLAS: see sleeve_fit._dot)
            out = -out
        t = np.arange(start, seg, 1.0)
        start = 0.0
        if t.size == 0:
            continue
        pts = a + t[:, None, None] * along + steps[None, :, None] * out   # (T, K, 2)
        x, y = np.round(pts[..., 0]).astype(int), np.round(pts[..., 1]).astype(int)
        inside = (x >= 0) & (x < w) & (y >= 0) & (y < h)
        on = np.zeros(inside.shape, bool)
        on[inside] = mask[y[inside], x[inside]]
        # (the first step off the garment, walking out from the arm's line)
        widths.append(np.where(on.all(axis=1), steps.size, np.argmin(on, axis=1)).astype(np.float64))
    return float(np.median(np.concatenate(widths))) if widths else None


def _bend(chain: np.ndarray) -> float:
    """Degrees the polyline ``chain`` ``(3, 2)`` turns at its middle point (0: straight)."""
    a, b = chain[1] - chain[0], chain[2] - chain[1]
    cos = float(a[0] * b[0] + a[1] * b[1]) / max(float(np.hypot(*a) * np.hypot(*b)), 1e-6)
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


def _long_sleeves(mask: np.ndarray, landmarks: np.ndarray, keypoints: dict,
                  u: float) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]] | None:
    """Each long sleeve's pixels (:func:`_sleeve_kind` read them long), cut from the torso along the
    wearer's arm, and the arm's line to the cuff: ``({"sleeve_l": (H, W) bool, "sleeve_r": ...},
    {"sleeve_l": (M, 2) shoulder joint -> (elbow ->) cuff, ...})``, or None unless both arms and
    cuffs are in view and neither arm is folded back more than :data:`MAX_BEND`.

    A sleeve is the garment within its measured half-width (:func:`_half_width` on the upper arm,
    which hangs beside the torso: the garment's outer edge taken as far from the arm's line as its
    inner one) of the arm's line from the shoulder joint to the cuff, past the shoulder joint.
    Merged with the torso in the silhouette, such sleeves gave the garment's hem at the cuffs and
    went with the torso onto the new body.
    """
    p, vis = landmarks[:, :2].astype(np.float64), landmarks[:, 2]
    h, w = mask.shape
    centre = midpoint(p[C.LEFT_SHOULDER], p[C.RIGHT_SHOULDER])
    blobs: dict[str, np.ndarray] = {}
    chains: dict[str, np.ndarray] = {}
    for name, (sh, el, wr) in zip(("sleeve_l", "sleeve_r"), (side[:3] for side in image_sides(landmarks))):
        end = keypoints.get(name)
        if end is None or min(vis[el], vis[wr]) < MIN_KEYPOINT_VISIBILITY:
            return None
        arm = np.array([p[sh], p[el], p[wr]])
        if _bend(arm) > MAX_BEND:
            return None
        chain = _chain_to(arm, arc_position(arm, np.asarray(end)))
        half = _half_width(mask, chain[:2], centre, u)
        if half is None:
            return None
        reach = half + SLEEVE_EDGE  # only the chain's box and this around it can be sleeve
        x0, y0 = np.maximum(np.floor(chain.min(0) - reach), 0).astype(int)
        x1, y1 = np.minimum(np.ceil(chain.max(0) + reach) + 1, (w, h)).astype(int)
        xs, ys = np.arange(x0, x1, dtype=np.float64)[None, :], np.arange(y0, y1, dtype=np.float64)[:, None]
        dist = np.minimum.reduce([segment(xs, ys, a, b)[1] for a, b in zip(chain[:-1], chain[1:])])
        past_joint = segment(xs, ys, chain[0], chain[1])[0] > 0
        blobs[name] = np.zeros_like(mask)
        blobs[name][y0:y1, x0:x1] = mask[y0:y1, x0:x1] & (dist <= reach) & past_joint
        chains[name] = chain
    return blobs, chains


def _turn(chain: np.ndarray) -> np.ndarray:
    """``(2, 3)`` affine: the rotation about ``chain[1]`` (the elbow) that lines the forearm
    ``chain[1] -> chain[2]`` up with the upper arm ``chain[0] -> chain[1]``."""
    fore, upper = chain[2] - chain[1], chain[1] - chain[0]
    phi = np.arctan2(fore[0] * upper[1] - fore[1] * upper[0], fore[0] * upper[0] + fore[1] * upper[1])
    rot = np.array([[np.cos(phi), -np.sin(phi)], [np.sin(phi), np.cos(phi)]])
    return np.hstack([rot, (chain[1] - rot @ chain[1])[:, None]])


def _straightened(frame: np.ndarray, mask: np.ndarray, blobs: dict[str, np.ndarray], chains: dict[str, np.ndarray],
                  keypoints: dict) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """The garment with each sleeve bent more than :data:`STRAIGHT_BEND` at the elbow straightened:
    a copy of its forearm part turned about the elbow into the upper arm's line, as a shop photo
    shows a sleeve hanging. The warp lays a sleeve along one straight axis: a bent one, laid so,
    was torn at the elbow. Where the forearm lay over the torso (inside the torso's convex hull)
    the torso keeps those pixels, the same fabric at a slant (filled in, a striped top's chest
    became a grey blur); beside it they are background now. ``keypoints``' cuffs are moved with
    their forearms (in place).

    Returns:
        ``(frame, mask, blobs)``: the work frame ``(H, W, 3)`` uint8, the garment's ``(H, W)``
        bool mask and each sleeve's pixels, after straightening.
    """
    bent = [n for n, c in chains.items() if len(c) == 3 and _bend(c) > STRAIGHT_BEND]
    if not bent:
        return frame, mask, blobs
    h, w = mask.shape
    torso = mask & ~np.logical_or.reduce(list(blobs.values()))
    hull = np.zeros((h, w), np.uint8)
    points = cv2.findNonZero(torso.astype(np.uint8))
    if points is not None:
        cv2.fillConvexPoly(hull, cv2.convexHull(points), 1)
    hull = hull.astype(bool)
    out, mask, blobs = frame.copy(), mask.copy(), dict(blobs)
    for name in bent:
        chain = chains[name]
        if not blobs[name].any():
            continue
        ys, xs = np.nonzero(blobs[name])  # the forearm's part: nearer its line than the upper arm's
        y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        xs, ys = np.arange(x0, x1, dtype=np.float64)[None, :], np.arange(y0, y1, dtype=np.float64)[:, None]
        fore = np.zeros_like(mask)
        fore[y0:y1, x0:x1] = blobs[name][y0:y1, x0:x1] & (
            segment(xs, ys, chain[1], chain[2])[1] < segment(xs, ys, chain[0], chain[1])[1])
        matrix = _turn(chain)
        moved = cv2.warpAffine(fore.astype(np.float32), matrix, (w, h)) > 0.5
        turned = cv2.warpAffine(frame, matrix, (w, h), flags=cv2.INTER_LINEAR)
        mask &= ~(fore & ~hull)
        out[moved] = turned[moved]
        mask |= moved
        blobs[name] = (blobs[name] & ~fore) | moved
        keypoints[name] = tuple(float(c) for c in matrix @ np.array([*chain[2], 1.0]))
    return out, mask, blobs


def garment_from_worn(photo: np.ndarray, pose: PoseResult, parser, *,
                      size: tuple[int, int] = C.FRAME_SIZE) -> PreparedGarment:
    """Cut the upper garment out of a photo of someone wearing it, laid out at ``size`` (H, W).

    Args:
        photo: ``(h, w, 3)`` uint8 RGB.
        pose: the wearer (:func:`find_wearer` or :func:`tryon.pose.detect_pose`).
        parser: a :class:`tryon.parse.Parser`.
        size: output ``(H, W)``.

    Returns:
        a :class:`~tryon.garment.PreparedGarment` with method ``"worn"``; its warnings say when
        hidden parts were filled in.

    Raises:
        GarmentError: the wearer is seen from behind or the side, or wears no upper garment in view.
    """
    lm = pose.landmarks
    if lm[C.LEFT_SHOULDER, 0] <= lm[C.RIGHT_SHOULDER, 0] or min(
            lm[C.LEFT_SHOULDER, 2], lm[C.RIGHT_SHOULDER, 2]) < C.MIN_SHOULDER_VISIBILITY:
        raise GarmentError(MSG_BACK_VIEW)
    scale = int(min(MAX_WORK_SCALE, max(1, round(1.0 / max(align(pose, size).scale, 1e-6)))))
    work = (size[0] * scale, size[1] * scale)  # as sharp as the photo allows: the full-res source
    al = align(pose, work)
    frame = warp_to_frame(photo, al, replicate=True)
    valid = warp_to_frame(np.ones(photo.shape[:2], np.uint8), al, nearest=True).astype(bool)
    person = (warp_to_frame(pose.mask, al) > 0.5) & valid
    labels = parser.labels_in(frame, person)
    landmarks = pose.pixels()
    landmarks[:, :2] = al.to_frame(landmarks[:, :2])
    u = body_unit(landmarks)

    garment = labelled(labels, OLD_GARMENT)
    torso = torso_quad(landmarks, work)
    if (garment & torso).sum() < MIN_GARMENT_SHARE * max(int(torso.sum()), 1):
        raise GarmentError(MSG_NO_UPPER_GARMENT)
    _, comp = cv2.connectedComponents(garment.astype(np.uint8))
    on_torso = np.unique(comp[garment & torso])
    garment = np.isin(comp, on_torso[on_torso > 0])  # drop stray bits away from the torso

    closed = cv2.morphologyEx(garment.astype(np.uint8), cv2.MORPH_CLOSE,
                              disk(max(1.0, FILL_CLOSE * u / 2))).astype(bool)
    holes = fill_holes(garment) & ~garment  # wholly enclosed by the garment
    hidden = ((closed & labelled(labels, OCCLUDERS) & torso) | holes) & ~garment
    axis_x = float(midpoint(landmarks[C.LEFT_SHOULDER, :2], landmarks[C.RIGHT_SHOULDER, :2])[0])
    frame = _fill_hidden(frame, garment, hidden, axis_x)
    mask = garment | hidden
    frame = defringe(frame, mask)  # no rim of the wearer's skin or the background
    warnings = [WARN_FILLED] if hidden.sum() > WARN_FILLED_SHARE * mask.sum() else []

    cover = _arm_cover(frame, labels, mask)
    keypoints = _keypoints(mask, landmarks, cover)
    kind = _sleeve_kind(keypoints, landmarks)
    if kind == "long":
        keypoints = _other_cuffs(keypoints, mask, landmarks, cover, labelled(labels, C.LIP_HAIR))
    cut = _long_sleeves(mask, landmarks, keypoints, u) if kind == "long" else None
    sleeves = None
    if cut is not None:
        frame, mask, sleeves = _straightened(frame, mask, *cut, keypoints)
        # the hem from the torso alone, not at the cuffs beside it
        torso_only = garment_keypoints(mask & ~(sleeves["sleeve_l"] | sleeves["sleeve_r"]))
        keypoints.update(hem_l=torso_only["hem_l"], hem_r=torso_only["hem_r"])
    rgb, out_mask, matrix = layout(frame, mask, tuple(size))
    moved = {k: None if v is None else tuple(float(c) for c in matrix @ np.array([v[0], v[1], 1.0]))
             for k, v in keypoints.items()}
    analysis = None
    if sleeves is not None:  # laid along the new body's arms by the warp, as wide as worn
        analysis = MaskAnalysis(tuple(out_mask.shape), moved, {
            n: out_mask & (cv2.warpAffine(b.astype(np.float32), matrix, out_mask.shape[::-1]) > 0.5)
            for n, b in sleeves.items()}, hanging=True, worn=True)
    return PreparedGarment(rgb, out_mask, moved, "worn", warnings, source=frame, source_mask=mask,
                           to_layout=matrix, analysis=analysis, sleeves=kind)


def check_garment_type(garment_type: str, parser) -> str:
    """The garment type to use (:data:`tryon.constants.GARMENT_TYPES`); ``"auto"`` without a
    parser is ``"flat"``.

    Raises:
        ValueError: an unknown type.
        TryOnError: ``"worn"`` without the body parser.
    """
    if garment_type not in C.GARMENT_TYPES:
        raise ValueError(f"garment_type must be one of {C.GARMENT_TYPES}, not {garment_type!r}")
    if parser is None:
        if garment_type == "worn":
            raise TryOnError("Garments worn in their photo need the body parser; load its weights "
                             "or use a photo of the garment alone.")
        return "flat"
    return garment_type


def prepare_any_garment(image: Image.Image, mask: Image.Image | None, size: tuple[int, int],
                        garment_type: str, parser, cutter=AUTO) -> PreparedGarment:
    """A garment photo laid out at ``size`` (H, W), whether it shows the garment alone or worn.

    A given mask or real transparency means a flat photo. Otherwise ``"auto"`` looks for a
    wearer (:func:`find_wearer`) and falls back to flat; ``"worn"`` insists on one. A flat photo
    on a busy background is cut out by ``cutter`` (:func:`tryon.garment_segmentation.segment_garment`).

    Raises:
        GarmentError: one sentence, when the garment cannot be cut out (or, ``"worn"``, no
            wearer is found, or the wearer is seen from behind or wears no top in view).
    """
    if garment_type == "flat" or mask is not None or has_transparency(image):
        return prepare_garment(image, mask, size=size, cutter=cutter)
    photo = np.asarray(image.convert("RGB"))
    if garment_type == "auto":
        faces = face_boxes(photo)
        wearer = find_wearer(photo, parser, faces)
        if wearer is None:
            prepared = prepare_garment(image, mask, size=size, cutter=cutter)
            prepared.source_faces = faces          # the garment check need not look again
            return prepared
    else:
        try:
            wearer = detect_pose(photo)
        except NoPersonError:
            raise GarmentError(MSG_NO_WEARER) from None
    return garment_from_worn(photo, wearer, parser, size=size)
