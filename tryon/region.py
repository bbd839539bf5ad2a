"""What a try-on repaints: the repaint and keep regions, the pixels it still shows, and the
cloth-agnostic person image.

All arrays are in the model frame (see :mod:`tryon.alignment`): pixel ``(x, y)``, torso
upright, rows running along the torso. Body-relative lengths below are in units of ``U``
(:func:`tryon.alignment.body_unit`), so they hold at any frame size.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from tryon import constants as C
from tryon.alignment import body_unit, midpoint, torso_rows
from tryon.masks import disk, erode, labelled, nearest_pixels

__all__ = [
    "parsed_region",
    "parsed_revealed",
    "covered_skin",
    "crisp_mask",
    "parse_regions",
    "AGNOSTIC_FILL",
    "OFF_PHOTO_FILL",
    "BACKGROUND_MARGIN",
    "repaint_region",
    "keep_region",
    "hand_discs",
    "skin_pixels",
    "revealed_pixels",
    "agnostic_image",
    "past_the_edge",
    "shown_past_the_edge",
    "CONTINUES_DOWN_TO",
]

CONTINUES_DOWN_TO = 0.75       # shown_past_the_edge: the region goes on past a photo's edge down to this share
                               # of the way from the shoulders to the hips (0.75 kept the waistbands a studio
                               # photo's bottom edge cuts)
AGNOSTIC_FILL = 128            # grey that replaces the repaint region in the agnostic person
OFF_PHOTO_FILL = 255           # white where the frame extends past the photo's edges
# LIP ids that parsed_revealed may show the renderer as skin (with the neck; hair is shown too).
PARSED_SKIN = (C.LIP_FACE, C.LIP_LEFT_ARM, C.LIP_RIGHT_ARM)
# LIP ids of the worn upper garment, repainted wholly by parsed_region.
PARSED_OLD_GARMENT = C.LIP_UPPER_GARMENT
# LIP ids parsed_region never repaints (they lie in front of a garment).
PARSED_FRONT = (C.LIP_HAIR, C.LIP_FACE)
# LIP ids parsed_region leaves untouched unless the new garment needs the room (it lies over them).
PARSED_BEHIND = (C.LIP_PANTS, C.LIP_SKIRT, C.LIP_LEFT_LEG, C.LIP_RIGHT_LEG,
               C.LIP_LEFT_SHOE, C.LIP_RIGHT_SHOE)
ROOM_MARGIN = 0.06     # the new garment's room: its warped mask dilated this far (units of U),
                       # for the network's own refinement of the warp

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
FACE_NEAR = 0.05           # the old top in the face ellipse is kept this near (units of U) the face or hair
HIGH_COLLAR_NEAR = 0.12    # ...and the old top's parts there that come this near the face itself stay whole
MIN_VISIBILITY = 0.3       # limbs and hands below this visibility are left alone

# What the agnostic person still shows inside the repaint region (see revealed_pixels).
BACKGROUND_MARGIN = 0.03   # background = farther than this (units of U) from the person mask
SKIN_SAMPLE_FROM = 0.35    # skin is sampled from the eyes-to-mouth box, from this far down it...
SKIN_PERCENTILES = (10, 90)  # ...its Cr/Cb range between these percentiles...
SKIN_CHROMA_MARGIN = 8.0   # ...widened by this many levels (of 255) counts as skin,
SKIN_MIN_LUMA = 0.35       # if at least this bright relative to the face's median luma
SKIN_MIN_SAMPLES = 10      # fewer face pixels than this: no skin model
# parsed_revealed's colour veto is looser: it only has to stop sleeves the parser calls arms.
# On 100 validation persons it keeps 92% of the arm pixels (the default model: 76%).
VETO_CHROMA_MARGIN = 14.0
VETO_MIN_LUMA = 0.2
COVERED_SKIN_INSET = 0.008     # covered_skin: the neck and chest skin at least this far (of the frame height)
                               # inside the new garment's warped outline
CRISP_GAIN = 3.0               # crisp_mask: the network's mask over the covered skin and over trousers under the
                               # garment's room, steepened this many times
COVERED_SKIN_KEY = "hides_covered_skin"  # in a try-on network's config.json "extra": trained with it greyed
FACE_MIN_VISIBILITY = 0.5  # eyes and mouth must be this visible to sample the face


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
            (as :func:`tryon.alignment.align` makes it).
        person_mask: ``(H, W)`` float32 in ``[0, 1]``.

    Returns:
        ``(H, W)`` bool.
    """
    h, w = person_mask.shape
    p = landmarks[:, :2].astype(np.float64)
    vis = landmarks[:, 2]
    u = body_unit(landmarks)
    ls, rs, lh, rh = p[C.LEFT_SHOULDER], p[C.RIGHT_SHOULDER], p[C.LEFT_HIP], p[C.RIGHT_HIP]
    shoulder, hip = midpoint(ls, rs), midpoint(lh, rh)
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
    region = cv2.dilate(region, disk(max(1.0, DILATE * u)))
    region = region.astype(bool) & ~keep_region(landmarks, (h, w))
    return region


def keep_region(landmarks: np.ndarray, size: tuple[int, int], *, lower_body: bool = True,
                hands: bool = True, above_chin: bool = True) -> np.ndarray:
    """What a try-on never repaints, in the frame: face and above the chin, hands, lower body.

    Args:
        landmarks: ``(33, 3)`` frame pixels and visibility, torso upright.
        size: ``(H, W)``.
        lower_body: also keep everything :data:`LOWER_BODY_BELOW` below the hip joints.
        hands: also keep a disc around each visible hand (:func:`hand_discs`).
        above_chin: also keep every row above the chin (else the face ellipse alone).

    Returns:
        ``(H, W)`` bool.
    """
    h = size[0]
    p = landmarks[:, :2].astype(np.float64)
    u = body_unit(landmarks)
    keep, chin_row = _face_ellipse(landmarks, size)
    if above_chin:
        keep[:chin_row, :] = 1
    if hands:
        keep |= hand_discs(landmarks, size)
    if not lower_body:
        return keep.astype(bool)
    hip = midpoint(p[C.LEFT_HIP], p[C.RIGHT_HIP])
    keep[min(h, int(math.ceil(hip[1] + LOWER_BODY_BELOW * u))):, :] = 1
    return keep.astype(bool)


def _face_ellipse(landmarks: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, int]:
    """The face ellipse, ``(H, W)`` uint8 (1 inside), and the chin's row: the rows above it
    (``[:chin_row]``) are above the chin."""
    p = landmarks[:, :2].astype(np.float64)
    keep = np.zeros(size, np.uint8)
    eyes = midpoint(p[C.LEFT_EYE], p[C.RIGHT_EYE])
    mouth = midpoint(p[C.MOUTH_LEFT], p[C.MOUTH_RIGHT])
    chin = mouth + CHIN_FROM_MOUTH * (mouth - eyes)
    ear_span = max(np.linalg.norm(p[C.LEFT_EAR] - p[C.RIGHT_EAR]), 1.0)
    centre = midpoint(eyes, chin)
    axes = (int(round(FACE_HALF_WIDTH * ear_span)), int(round(np.linalg.norm(chin - eyes) * 1.1)))
    cv2.ellipse(keep, tuple(int(round(v)) for v in centre), axes, 0, 0, 360, 1, -1)
    return keep, max(0, int(math.floor(chin[1])))


def hand_discs(landmarks: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``(H, W)`` uint8, 1 in a disc around each visible hand (its landmarks' spread, at least
    :data:`HAND_RADIUS` units of U)."""
    p, vis = landmarks[:, :2].astype(np.float64), landmarks[:, 2]
    u = body_unit(landmarks)
    out = np.zeros(size, np.uint8)
    for hand in (C.LEFT_HAND_LANDMARKS, C.RIGHT_HAND_LANDMARKS):
        if vis[hand[0]] >= MIN_VISIBILITY:
            pts = p[list(hand)]
            spread = float(np.linalg.norm(pts - pts.mean(0), axis=1).max())
            _disc(out, pts.mean(0), max(HAND_RADIUS * u, 1.3 * spread))
    return out


def skin_pixels(image: np.ndarray, landmarks: np.ndarray, *, margin: float = SKIN_CHROMA_MARGIN,
                min_luma: float = SKIN_MIN_LUMA) -> np.ndarray | None:
    """Pixels whose colour matches the person's own face: ``(H, W)`` bool, or ``None``.

    The face between the eyes and the mouth (cheeks and nose, below the eyebrows and above
    any beard) gives the skin's chroma range in YCrCb, between :data:`SKIN_PERCENTILES`,
    widened by ``margin`` levels; shadows darker than ``min_luma`` times the face's median
    luma are left out. ``None`` when the face is not visible enough
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
    eyes = midpoint(p[C.LEFT_EYE], p[C.RIGHT_EYE])
    mouth = midpoint(p[C.MOUTH_LEFT], p[C.MOUTH_RIGHT])
    x0, x1 = sorted((p[C.LEFT_EYE, 0], p[C.RIGHT_EYE, 0]))
    y0 = eyes[1] + SKIN_SAMPLE_FROM * (mouth[1] - eyes[1])
    xs = slice(max(0, int(x0)), min(w, int(math.ceil(x1)) + 1))
    ys = slice(max(0, int(y0)), min(h, int(math.ceil(mouth[1])) + 1))
    ycc = cv2.cvtColor(image, cv2.COLOR_RGB2YCrCb)
    sample = ycc[ys, xs].reshape(-1, 3).astype(np.float32)
    if len(sample) < SKIN_MIN_SAMPLES:
        return None
    lo = np.percentile(sample, SKIN_PERCENTILES[0], axis=0) - margin
    hi = np.percentile(sample, SKIN_PERCENTILES[1], axis=0) + margin
    lo[0], hi[0] = min_luma * float(np.median(sample[:, 0])), 255.0
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
                             disk(max(1.0, BACKGROUND_MARGIN * body_unit(landmarks))))
    revealed = near_person == 0
    skin = skin_pixels(image, landmarks)
    if skin is not None:
        revealed |= skin
    return revealed & region


def parsed_region(labels: np.ndarray, person_mask: np.ndarray, landmarks: np.ndarray,
                  region: np.ndarray, garment_alpha: np.ndarray) -> np.ndarray:
    """:func:`repaint_region` made exact with the body parse and the new garment's room.

    The region is the pose's region (torso, neckline, arms; it ends a little below the hips)
    and the whole old upper garment as the parser sees it (a long or loose top is repainted
    down to its hem, also inside the generous hand discs of :func:`keep_region`, where a ring
    of it would otherwise stay as a ghost), minus the face, hair and hands, which lie in front
    of any garment;
    lower-body clothes, legs and the background are taken out too, except where the new
    garment, as warped onto the body (its mask dilated by :data:`ROOM_MARGIN`), needs the room.
    So a shopper's hair over the shoulders stays byte-identical, and so do their trousers and
    the background unless the new garment covers them. (Letting the new garment's room also
    reach below the pose's region, past the hips, measured worse: SSIM 0.862 against 0.893 on
    the validation pairs; the network paints blotches over trousers it was never trained to
    paint.)

    Args:
        labels: ``(H, W)`` uint8 LIP ids of the frame (person pixels only, else background).
        person_mask: ``(H, W)`` float32 in ``[0, 1]``.
        landmarks: ``(33, 3)`` frame pixels and visibility, torso upright.
        region: ``(H, W)`` bool, :func:`repaint_region` (already cut to the photo).
        garment_alpha: ``(H, W)`` float in ``[0, 1]``, the new garment warped onto the body.

    Returns:
        ``(H, W)`` bool.
    """
    u = body_unit(landmarks)
    grow = disk(max(1.0, DILATE * u))
    labelled_old = labelled(labels, PARSED_OLD_GARMENT)
    old = cv2.dilate(labelled_old.astype(np.uint8), grow).astype(bool)
    # The hand discs are generous: inside them the parse's old garment is repainted. (Done also in
    # the face ellipse, for collars, the two together measured region SSIM 0.702 against 0.710
    # with neither; the face ellipse stays kept.)
    hands = hand_discs(landmarks, labels.shape).astype(bool) & ~labelled_old
    # Of the old top, only what lies in the face ellipse within FACE_NEAR of the face or hair is
    # kept (the parse's edge), not the rest of the ellipse or the rows above the chin: with a
    # head tilted to the shoulder they reached a tank top's strap, and at 0.25 U a collar ring,
    # a hood or the V of a T-shirt stayed around every new neckline (shoppers' photos 018979,
    # 000314, 000571). On the validation pairs, whose old top is the new one, both cost a little:
    # region SSIM 0.6922 -> 0.6916 (the rows), 0.6905 -> 0.6892 on the first 200 pairs (0.05 U).
    # A collar that reaches the face itself (a turtleneck) stays whole (_high_collar).
    ellipse, chin_row = _face_ellipse(landmarks, labels.shape)
    face = ellipse.astype(bool)
    above = face.copy()
    above[:chin_row, :] = True
    above &= ~labelled_old
    head = labelled(labels, PARSED_FRONT)
    if head.any():
        near_head = cv2.dilate(head.astype(np.uint8), disk(max(1.0, FACE_NEAR * u))).astype(bool)
        face &= near_head | _high_collar(labels, labelled_old & face, u) | ~labelled_old
    face_hands = face | above | hands
    room = cv2.dilate((garment_alpha > 0.5).astype(np.uint8), disk(max(1.0, ROOM_MARGIN * u))).astype(bool)
    out = (region | old) & ~face_hands & ~labelled(labels, PARSED_FRONT)
    near_person = cv2.dilate((person_mask > 0.5).astype(np.uint8),
                             disk(max(1.0, BACKGROUND_MARGIN * u))).astype(bool)
    behind = labelled(labels, PARSED_BEHIND) | ~(near_person | old)
    return out & ~(behind & ~room)


def parsed_revealed(labels: np.ndarray, image: np.ndarray, person_mask: np.ndarray,
                    landmarks: np.ndarray, region: np.ndarray) -> np.ndarray:
    """:func:`revealed_pixels` with the body parse: skin must be skin by both the parse and colour.

    Skin is what the parser names a body part (arms, face, and the neck: person by MediaPipe,
    background by the parser) AND what roughly matches the colour of the person's face
    (:func:`skin_pixels`, widened to :data:`VETO_CHROMA_MARGIN`); hair is what the parser names
    hair. Both tests are needed: the colour alone keeps a skin-coloured old top (the parse says
    clothing), the parse alone keeps sleeves it mistakes for arms (an orange space suit's, by
    eye on the astronaut). Without a face to sample, the parse alone decides.

    Args:
        labels: ``(H, W)`` uint8 LIP ids of the frame (:meth:`tryon.parse.Parser.frame_labels`).
        image, person_mask, landmarks, region: as :func:`revealed_pixels`.

    Returns:
        ``(H, W)`` bool, a subset of ``region``; never a pixel the parse calls clothing.
    """
    near_person = cv2.dilate((person_mask > 0.5).astype(np.uint8),
                             disk(max(1.0, BACKGROUND_MARGIN * body_unit(landmarks))))
    body = labelled(labels, PARSED_SKIN) | _parsed_neck(labels, person_mask)
    colour = skin_pixels(image, landmarks, margin=VETO_CHROMA_MARGIN, min_luma=VETO_MIN_LUMA)
    skin = body if colour is None else body & colour
    return ((near_person == 0) | skin | (labels == C.LIP_HAIR)) & region


def covered_skin(labels: np.ndarray, person_mask: np.ndarray, garment_alpha: np.ndarray) -> np.ndarray:
    """``(H, W)`` bool: the neck and chest skin (person by MediaPipe, background by the parser) that
    the new garment's landmark warp covers, :data:`COVERED_SKIN_INSET` inside its outline.

    Shown to the network as skin (:func:`parsed_revealed`), the old top's neckline stayed: every
    garment took the old one's, a crew-neck T-shirt tried on someone in a scoop-neck tank top came
    out scoop-necked, its print's top cut away. Greyed, the network paints the new garment's own
    neckline there, and the skin inside it. A flat photo shows the back of the neck inside the
    front neckline (the garment's mask covers a V-neck's V), so the network must learn to tell
    the two apart from the garment's pixels: it needs training with these pixels greyed
    (``tryon.data.tryon_pairs``; an older network, shown them greyed, closed every V and scoop),
    and the bundled one, 2,422 steps so, does not yet (a V-neck comes out round-necked).

    Args:
        labels: ``(H, W)`` uint8 LIP ids of the frame.
        person_mask: ``(H, W)`` float in ``[0, 1]``, MediaPipe's person mask in the frame.
        garment_alpha: ``(H, W)`` float in ``[0, 1]``, the new garment warped onto the body.
    """
    inside = erode(garment_alpha > 0.5, max(1.0, COVERED_SKIN_INSET * labels.shape[0]))
    return inside & _parsed_neck(labels, person_mask)


def crisp_mask(shows: np.ndarray, where: np.ndarray) -> np.ndarray:
    """``(H, W)`` float32: the network's mask ``shows`` (in ``[0, 1]``) steepened by
    :data:`CRISP_GAIN` about one half over ``where`` (``(H, W)`` bool); elsewhere as it was.

    Over the covered neck skin (:func:`covered_skin`) the network's mask came out halfway (0.3-0.7)
    over a band below the new garment's neckline: the photo's skin and the garment blended there,
    a ghost of the old scoop showing through a crew-neck hoodie. Over trousers the garment's room
    takes (:func:`tryon.old_garment.trouser_room`) it faded the garment into the trousers over a
    fifth of the garment's length: a hoodie over high-waisted trousers ended in a dark blur.
    Steepened, the garment shows or what lies under it does, with the network's own edge (its
    half) where one meets the other. (Over the covered skin, raised to the garment's whole
    coverage instead, the flat photo's back of the neck covered the chest: validation region SSIM
    0.6990 -> 0.6973.)
    """
    steep = np.clip((shows - 0.5) * CRISP_GAIN + 0.5, 0.0, 1.0)
    return np.where(where, steep, shows).astype(np.float32)


def _parsed_neck(labels: np.ndarray, person_mask: np.ndarray) -> np.ndarray:
    """``(H, W)`` bool: the neck and chest skin by the parse, person by MediaPipe but background
    by the parser (LIP has no neck label)."""
    return (labels == C.LIP_BACKGROUND) & (person_mask > 0.5)


def _high_collar(labels: np.ndarray, old_in_face: np.ndarray, u: float) -> np.ndarray:
    """``(H, W)`` bool: the old top's parts in the face ellipse (``old_in_face``) that reach the
    face itself (within :data:`HIGH_COLLAR_NEAR`; hair does not count): a turtleneck or a high
    collar. They stay whole: with no neck in sight the network painted the new garment up to the
    chin (by eye, the astronaut's black turtleneck under a V-neck), where a collar ring lower
    down (018979) is repainted as neck."""
    face_label = (labels == C.LIP_FACE).astype(np.uint8)
    if not face_label.any() or not old_in_face.any():
        return np.zeros(labels.shape, bool)
    touching = old_in_face & cv2.dilate(face_label, disk(max(1.0, HIGH_COLLAR_NEAR * u))).astype(bool)
    _, parts = cv2.connectedComponents(old_in_face.astype(np.uint8), connectivity=8)
    reaching = np.unique(parts[touching])
    return np.isin(parts, reaching[reaching > 0])


def parse_regions(labels: np.ndarray, image: np.ndarray, person_mask: np.ndarray, landmarks: np.ndarray,
                  region: np.ndarray, garment_alpha: np.ndarray, valid: np.ndarray,
                  dressed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The parser's repaint region and what the network sees of it, the one way the pipeline and
    the training data make them: :func:`parsed_region` cut to the photo, then
    :func:`parsed_revealed`.

    Args:
        labels, image, person_mask, landmarks, region, garment_alpha: as :func:`parsed_region`
            and :func:`parsed_revealed`.
        valid: ``(H, W)`` bool, the frame pixels that lie on the photo.
        dressed: ``(H, W)`` bool, bare arms a long new sleeve dresses (where
            :func:`tryon.sleeve_cover.dressed_arms` is above 0): not revealed;
            without it (training pairs, whose garment is the worn one), revealed skin stays
            revealed.

    Returns:
        ``(region, revealed)``: ``(H, W)`` bool each, ``revealed`` a subset of ``region``.
    """
    out = parsed_region(labels, person_mask, landmarks, region, garment_alpha) & valid
    revealed = parsed_revealed(labels, image, person_mask, landmarks, out)
    if dressed is not None:
        revealed &= ~dressed
    return out, revealed


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


def past_the_edge(region: np.ndarray, valid: np.ndarray,
                  continues: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The repaint region continued past the photo's edges, as the network is shown it.

    A photo cut across the torso (a portrait to the chest) ends inside the region. Shown the
    frame past that edge as white (:data:`OFF_PHOTO_FILL`, background to a network trained on
    studio photos), the network ended the garment there: it faded to white along the edge.
    Here each pixel off the photo whose nearest photo pixel is in ``continues`` (the old
    garment, not the trousers a studio photo's edge cuts: taken as more garment, they were
    painted over) joins the region and counts as the photo (the frame there repeats the photo's
    edge, grey in the agnostic image); the rest stay off it.

    Args:
        region: ``(H, W)`` bool repaint region (on the photo only); valid: ``(H, W)`` bool, the
            frame pixels on the photo; continues: ``(H, W)`` bool, the part of ``region`` that
            goes on past the edge (default: all of it).

    Returns:
        ``(region, valid)``, both ``(H, W)`` bool; the inputs themselves when nothing goes on
        past an edge.
    """
    continues = region if continues is None else continues & region
    off = ~valid
    if not off.any() or not valid.any() or not continues.any():
        return region, valid
    grown = continues.ravel()[nearest_pixels(valid)[1]] & off  # as its nearest photo pixel
    if not grown.any():
        return region, valid
    return region | grown, valid | grown


def shown_past_the_edge(region: np.ndarray, revealed: np.ndarray, valid: np.ndarray, landmarks: np.ndarray,
                        room: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(region, valid)``, ``(H, W)`` bool each, as the network is shown them (at inference and
    in training alike): on a photo cropped across the torso, the region goes on past the
    photo's edge down to :data:`CONTINUES_DOWN_TO` of the way from the shoulders to the hips
    (but its ``revealed`` skin and background), and those pixels count as the photo
    (:func:`past_the_edge`). Not the trousers or skirt a studio photo's bottom edge cuts
    (``room``, or lower down: a waistband lies above the hip joints): shown going on, they were
    painted as more garment. (Not only the old garment as parsed: at a portrait's edge the
    parser took much of a dark suit for background.)

    Args:
        region, revealed, valid: ``(H, W)`` bool; landmarks: ``(33, 2+)`` frame pixels;
        room: ``(H, W)`` bool or None, trousers the region takes as the new garment's room.
    """
    continues = region & ~revealed
    if room is not None:
        continues &= ~room
    shoulders, hips = torso_rows(landmarks)
    continues[max(0, int(np.ceil(shoulders + CONTINUES_DOWN_TO * (hips - shoulders)))):] = False
    return past_the_edge(region, valid, continues)
