"""Arms a shorter new sleeve bares: skin where the old, longer sleeve was.

The try-on network was trained on photos of people wearing the garment they are shown with, so
a clothed arm was always clothed in the garment's sleeve. Shown a T-shirt on a person in a
long-sleeved top, it painted the T-shirt's colour down to the wrists. Here, on each arm whose
old sleeve reaches clearly farther down than the new one (:func:`tryon.sleeve_cover.sleeve_reaches`),
for a garment with short sleeves or none, the part of the old sleeve beside
the torso that the new sleeve leaves uncovered becomes an arm: a capsule around the
shoulder-elbow-wrist chain, as wide as VITON's bare arms measure (:data:`ARM_RADII`), tapering
from the upper arm to the wrist, shaded as a cylinder. Its tone runs from the upper arm's, lit
about as the face is (:func:`upper_tone`), to that arm's own skin below the old cuff (else the
person's, read off their hands or face). What the parser calls arm in the old top's colours or
far from the face's colour is the old sleeve (a red sleeve's edges, a cuff). The arm reaches over
the cuff's dark rim, which the parser calls arm, and fades into the forearm the photo shows.
Composed at the photo's resolution, the arm is drawn on the photo's own pixels
(:func:`arms_in_photo_pixels`; the frame's, enlarged, was a blurred plank). What the old
sleeve held beyond that capsule is refilled, and :data:`OUTER_FRINGE` px of background beyond it:
on the arm's far side from the torso with what lies behind the person (the photo's background,
filled in across the person), between the arm and the torso from the render around it; where the new
garment's sleeve or body lies over the old sleeve down to the elbow, the garment shows. Along
the arm down to the cuff, a pixel the parser calls background but MediaPipe calls the person
is the old sleeve too (dark cuffs are often missed); the pipeline adds what is painted here to
the repaint region. A forearm crossed in front of the torso in its old sleeve is painted there,
over the new garment, when MediaPipe sees its elbow and wrist surely and the wrist lies in the
torso (:func:`_in_front`); the rest of an arm in front is left to the network (its old sleeve
there cannot be told from the old top's body), and so is an arm whose
other arm is bare from near the shoulder (:data:`WORN_SHORT`): the worn top has short sleeves or
none, so what covers this arm is its body, or the arm hides behind it (on the validation pairs
such arms were painted over the bodies of T-shirts and sleeveless tops on their own wearers).
A garment read sleeveless that shows no sleeve is worn alone, as a tank top is: it bares any
old sleeve from :data:`KEEP_FROM` down (short ones too; unless the other arm is bare from higher
up), and the shoulders' tops beside its straps (:func:`_shoulder_top`). A garment whose sleeves
the reader cannot tell bares no arm and is worn over the old sleeves instead, as a vest is:
:func:`kept_sleeves` leaves them as the photo has them.

All arrays are in the model frame (see :mod:`tryon.alignment`); positions along an arm are in
upper-arm lengths from the shoulder joint (0 shoulder, 1 elbow, 2 wrist); radii in units of U
(:func:`tryon.alignment.body_unit`, the shoulder width).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from tryon import constants as C
from tryon.alignment import Alignment, body_unit
from tryon.masks import labelled, torso_quad
from tryon.sleeve_cover import (ARM_CHAINS, COVERED_ALPHA, OLD_GARMENT, arm_chain, arm_positions, chain_position,
                                sleeve_reaches)
from tryon.sleeve_fit import segment

__all__ = ["ArmPaint", "BareArms", "arms_in_photo_pixels", "bared_arms", "kept_sleeves", "paint_bare_arms", "skin_tone",
           "upper_tone"]

BARING_KINDS = ("sleeveless", "short")  # tryon.sleeves.sleeve_kind's kinds that may bare an arm
BARE_MARGIN = 0.5          # upper-arm lengths: the old sleeve must reach this much farther down
ARM_RADII = (0.11, 0.105, 0.077)  # units of U: a bare arm's half width at shoulder, elbow and wrist (the
                           # median of VITON's bare arms, area over length in their parse maps, 400 training
                           # photos: 0.110 / 0.105 / 0.077; (0.15, 0.13, 0.085) painted planks a third too wide)
SLEEVE_RADII = (0.15, 0.13, 0.085)  # units of U: the scale of an old sleeve around the arm, which FILL_WIDEN and
                           # KEEP_WIDEN widen (and the shoulder's top beside a strap: SLEEVE_RADII[0])
HAND_END = 2.15            # the bare arm ends this far down (a little past the wrist, under the cuff)
TOP_RAMP = 0.05           # upper-arm lengths: the painted arm fades in over this much below the new sleeve's
                          # end: a crisp hem (over 0.2 the sleeve melted into the skin over ~40 photo px
                          # at 768x1024; by eye, 5 shoppers' photos), no hard step...
END_RAMP = 0.15           # ...and out over this much before HAND_END (into the hand or the old cuff)
BODY_BEHIND = 0.35         # the arm lies in front of the new garment's body from this far down
WORN_SHORT = 0.75          # upper-arm lengths: a bare arm seen from higher up says the worn top has short
                           # sleeves or none, so what covers the other arm is its body or hides a bent arm
MIN_SLEEVE_FILL = 0.4      # the old garment fills at least this share of the arm below the new sleeve (down to
                           # HAND_END: 3/4 sleeves fill about half; 0.6 left them to the network)
FILL_WIDEN = 2.2           # the old sleeve within this many SLEEVE_RADII of the chain is refilled
KEEP_WIDEN = 1.3           # a garment without sleeves leaves the old sleeve within this many SLEEVE_RADII (the
                           # old top's body beside the arm is the new garment's)...
KEEP_FROM = 0.3            # ...on an arm bare from this far down or lower (upper-arm lengths): a sleeve
NECK_SIDE = 0.3            # a garment without sleeves bares the shoulder's top from the shoulder joint in to
                           # this share of the way to the shoulders' midpoint (the neck's side)
SHADE = 0.3                # a cylinder's edge is this much darker than its middle
EDGE_PX = 1.0              # frame px: the soft edge of the painted arm
TONE_LUMA = (50, 95)       # skin tone: mean of the skin pixels between these luma percentiles (the lit
                           # side: at 256x192 a hand's darker pixels mix with its outline)
MIN_TONE_PIXELS = 24       # fewer visible skin pixels than this: no tone, nothing painted
CUFF = 0.1                 # upper-arm lengths past where the old sleeve ends: its cuff's rim, painted over
                           # (fading into the arm the photo shows); an unlabelled pixel beyond is no sleeve
CUFF_FADE = 0.5            # the painted arm fades out over this last share of the rim
OWN_TONE_CHROMA = 0.08     # an arm's own tone is taken only within this (r, g) chromaticity distance of the
                           # person's skin tone (else it is an old sleeve's cuff the parser called arm)
ARM_TONE_REACH = 0.5       # upper-arm lengths below the old cuff whose bare skin gives that arm its tone
FRONT_FROM = 0.8           # upper-arm lengths: a forearm crossed in front of the torso is painted from here...
FRONT_VISIBILITY = 0.9     # ...when MediaPipe sees its elbow and wrist this surely and the wrist lies in the
                           # torso (a long old sleeve across the body: left to the network, it drew a blurred
                           # band, or the new garment over a forearm raised to the chin, VITON 000030)
FRONT_OVERLAP = 3          # frame px by which the forearm's paint in front overlaps the arm's beside the torso
NOT_SKIN_CHROMA = 0.15     # an "arm" pixel this far in (r, g) chromaticity from the face's lit tone is no skin:
                           # the old sleeve (a red one's edges the parser calls arm: VITON 000068; skin in shade
                           # or beside the background stays within about 0.1)
UPPER_LUMA = 0.95          # an upper arm is lit about as the face is: its tone is at least this share of the
                           # face's lit luma (hands and forearms lower down are often in shade: painted in
                           # their tone, the upper arms came out grey-mauve or salmon on pale wearers)
TONE_MARGIN_PX = 3         # frame px beyond the arm's radius that take its tone (>= EDGE_PX + 2 SOFTEN)
PERSON = 0.5               # MediaPipe's person probability from which an unlabelled pixel on the arm is its sleeve
DRESS_TO = 1.0             # upper-arm lengths: the old sleeve under the new garment shows the garment down to the
                           # elbow; lower (a forearm across the body) the old cuff's edge showed it as a bracelet
FILL_RADIUS = 3            # frame px: cv2.inpaint's neighbourhood
PERSON_WIDEN = 2           # frame px: the person's silhouette widened by this (the old sleeve's blended edge)
                           # is what the refill does not read
OUTER_FRINGE = 2           # frame px of background beyond the old sleeve's outer side refilled with it (the
                           # region's seam on the sleeve's edge left a faint dashed outline of it)
MIN_BEHIND = 0.1           # the refill reads the photo behind the person where at least this share of the
                           # arms' box lies outside them (else, an arm in front of a crowded frame, the render)
BOX_MARGIN = 8             # frame px around the arms that painting reads and writes (>= FILL_RADIUS + 4 SOFTEN)
SOFTEN = 0.8               # frame px: Gaussian sigma that softens the painted arm's and the fill's edges
                           # (4 photo px at 1024: no stair steps from the frame's grid)
PHOTO_EDGE_PX = 1.5        # photo px: the painted arm's own edge, drawn at the photo's resolution
                           # (arms_in_photo_pixels; in the frame, 1 px is 4 photo px at 1024: a blurred plank)
MASK_BLUR = 1.2            # frame px: where the arm may be painted (a frame mask) is blurred this much, then
MASK_SEAM_PX = 2.0         # enlarged onto the photo and steepened to a seam this many photo px wide
SHADE_POOL = 4             # the painted arm's half width (its shading) is found on a grid this many times coarser


@dataclass(frozen=True)
class ArmPaint:
    """One painted arm (or a shoulder's top beside a strap), enough to draw it again at the
    photo's resolution (:func:`arms_in_photo_pixels`): a capsule around ``points`` whose half
    width runs through ``radii`` at positions 0, 1 and 2 along it (upper-arm lengths), faded by
    :func:`_ramp` (when ``ramped``) and painted only over ``mask``.

    Attributes:
        arm: 0 left, 1 right (:data:`tryon.sleeve_cover.ARM_CHAINS`).
        points: ``(2, 2)`` or ``(3, 2)`` float frame px, the chain (:func:`tryon.sleeve_cover.chain_position`).
        radii: ``(3,)`` float frame px.
        mask: ``(H, W)`` bool, the frame pixels the arm may be painted over.
        ramped: whether :func:`_ramp` fades it (an arm: yes; a shoulder's top: no).
        top: where the new sleeve ends on it (upper-arm lengths; 0: no sleeve), ``end``: where the
            old sleeve's rim ends (:func:`_ramp`).
        colour: ``(3,)`` float32 RGB in ``[0, 255]``: its tone at ``end`` (the forearm's own below
            the old cuff, else the person's).
        upper: ``(3,)`` float32 RGB in ``[0, 255]``: its tone at ``top`` (:func:`upper_tone`); in
            between the two blend smoothly (:func:`_tone_weight`).
    """

    arm: int
    points: np.ndarray
    radii: np.ndarray
    mask: np.ndarray
    ramped: bool
    top: float
    end: float
    colour: np.ndarray
    upper: np.ndarray


@dataclass(frozen=True)
class BareArms:
    """What :func:`bared_arms` finds in one frame.

    Attributes:
        skin: ``(H, W)`` float32 in ``[0, 1]``, the painted arm's coverage.
        shade: ``(H, W)`` float32 in ``(0, 1]``, its cylinder shading (1 on its axis).
        fill: ``(H, W)`` bool, the rest of the bared old sleeve, refilled from around it.
        outer: ``(H, W)`` bool, the part of ``fill`` on the arm's far side from the torso: what
            lies behind the person shows there (:func:`_behind`). Between the arm and the torso
            it is left to the render, filled in: an arm held against the body shows no
            background beside it.
        dress: ``(H, W)`` bool, the old sleeve under the new garment's sleeve or body beside the
            painted arm, down to the elbow (:data:`DRESS_TO`): the garment shows there, whatever
            the network drew (it drew the old sleeve's shadow, a dark patch at the armpit).
        person: ``(H, W)`` bool, the person's silhouette (MediaPipe's mask, widened by
            :data:`PERSON_WIDEN`): what the refill does not read.
        tone: ``(3,)`` float32 RGB in ``[0, 255]``, the person's skin tone.
        colour: ``(H, W, 3)`` float32 RGB in ``[0, 255]``, the tone each painted pixel takes:
            its arm's own, read off the bare skin below the old cuff where enough is seen
            (light falls differently on each arm, and on hands and face), else ``tone``.
        paints: the painted arms' shapes (:class:`ArmPaint`), to draw them at the photo's resolution.
    """

    skin: np.ndarray
    shade: np.ndarray
    fill: np.ndarray
    tone: np.ndarray
    colour: np.ndarray
    outer: np.ndarray
    dress: np.ndarray
    person: np.ndarray
    paints: tuple[ArmPaint, ...] = ()


def skin_tone(image: np.ndarray, labels: np.ndarray, old_coloured: np.ndarray | None = None) -> np.ndarray | None:
    """``(3,)`` float32 RGB: the person's skin tone, from the bare arm and hand pixels the parser
    sees (else the face): the mean of their lit side (:data:`TONE_LUMA`; no shadow, no eyes,
    no outline mixed with the background). None with fewer than :data:`MIN_TONE_PIXELS`.

    Args:
        image: ``(H, W, 3)`` uint8 RGB frame; labels: ``(H, W)`` uint8 LIP ids of it.
        old_coloured: ``(H, W)`` bool, pixels in the old garment's colours
            (:meth:`tryon.old_garment.OldColours.likes`), never skin, or None.
    """
    for ids in (C.LIP_ARMS, (C.LIP_FACE,)):
        pixels = labelled(labels, ids) if old_coloured is None else labelled(labels, ids) & ~old_coloured
        tone = _lit_mean(image[pixels])
        if tone is not None:
            return tone
    return None


LUMA = np.array(C.LUMA_RGB)


def _chroma_distances(pixels: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """The distance of each RGB colour in ``pixels`` (``(..., 3)``) from ``colour``'s (``(3,)``)
    in (r, g) chromaticity (their shares of r + g + b: brightness aside): ``(...)`` float64."""
    rgb = np.asarray(pixels, np.float64)
    chroma = rgb[..., :2] / np.maximum(rgb.sum(-1, keepdims=True), 1.0)
    ref = np.asarray(colour, np.float64)[:2] / max(float(np.sum(colour)), 1.0)
    return np.linalg.norm(chroma - ref, axis=-1)


def _lit_mean(pixels: np.ndarray) -> np.ndarray | None:
    """``(3,)`` float32: the mean of ``pixels`` (``(N, 3)`` RGB) between the :data:`TONE_LUMA`
    percentiles of their luma; None with fewer than :data:`MIN_TONE_PIXELS`."""
    if len(pixels) < MIN_TONE_PIXELS:
        return None
    pixels = pixels.astype(np.float32)
    luma = pixels @ LUMA.astype(np.float32)
    lo, hi = np.percentile(luma, TONE_LUMA)
    mid = pixels[(luma >= lo) & (luma <= hi)]
    return (mid if len(mid) else pixels).mean(axis=0)


def upper_tone(tone: np.ndarray, face: np.ndarray | None) -> np.ndarray:
    """``(3,)`` float32 RGB: the tone of an upper arm, from ``tone`` (the person's or the arm's own,
    read off hands and forearms) and ``face`` (the face's lit mean, or None): their mean, made
    at least :data:`UPPER_LUMA` of the face's luma as bright (same chromaticity)."""
    if face is None:
        return np.asarray(tone, np.float32)
    mixed = (np.asarray(tone, np.float64) + np.asarray(face, np.float64)) / 2
    floor = UPPER_LUMA * float(np.asarray(face, np.float64) @ LUMA)
    luma = max(float(mixed @ LUMA), 1.0)
    return np.clip(mixed * max(1.0, floor / luma), 0, 255).astype(np.float32)


def _tone_weight(position: np.ndarray, top: float, end: float) -> np.ndarray:
    """The lower tone's share along a painted arm (``position`` in upper-arm lengths): 0 at the new
    sleeve's end ``top``, 1 at the old cuff's ``end``, smooth in between."""
    t = np.clip((position - top) / max(end - top, 1e-3), 0.0, 1.0)
    return (t * t * (3.0 - 2.0 * t)).astype(np.float32)


def bared_arms(image: np.ndarray, labels: np.ndarray, landmarks: np.ndarray, person_mask: np.ndarray,
               garment_alpha: np.ndarray, sleeve_alpha: np.ndarray, sleeves: str | None,
               old_coloured: np.ndarray | None = None) -> BareArms | None:
    """The arms a shorter new sleeve bares, or None where it bares none (or no skin is seen).

    Only a garment with short sleeves or none bares arms (:func:`tryon.sleeves.sleeve_kind`): a
    long-sleeved one warped a little short (on a paired photo, its own wearer) must not, and one
    whose sleeves cannot be told may have them hanging beside its body (taken for sleeveless, it
    bared long-sleeved arms on 5 paired validation photos).

    Args:
        image: ``(H, W, 3)`` uint8 RGB frame.
        labels: ``(H, W)`` uint8 LIP ids of the frame.
        landmarks: ``(33, 3)`` frame pixels and visibility, torso upright.
        person_mask: ``(H, W)`` float in ``[0, 1]``, MediaPipe's person mask in the frame.
        garment_alpha: ``(H, W)`` float in ``[0, 1]``, the whole warped garment's coverage.
        sleeve_alpha: ``(H, W)`` float in ``[0, 1]``, its sleeves'
            (:func:`tryon.sleeve_cover.warped_sleeves`; zeros for a garment without sleeves).
        sleeves: the garment's :func:`tryon.sleeves.sleeve_kind` (None: untold; "sleeveless"
            with no ``sleeve_alpha``: worn alone, it bares short old sleeves and the shoulders' tops too).
        old_coloured: ``(H, W)`` bool, pixels in the old garment's colours
            (:meth:`tryon.old_garment.OldColours.likes`), or None: none gives the painted arms their
            tone (a long red sleeve's cuff the parser called arm painted the bared forearms red).
    """
    if sleeves not in BARING_KINDS:
        return None
    size = labels.shape
    face = _lit_mean(image[labelled(labels, (C.LIP_FACE,)) & (True if old_coloured is None else ~old_coloured)])
    # "Arm" in the old top's colours, or far from the face's in colour, is the old sleeve (a red
    # sleeve's lower part or edges the parser calls arm: VITON 000119, 000068)
    arm = labelled(labels, C.LIP_ARMS)
    sleeve_like = arm & old_coloured if old_coloured is not None else np.zeros(size, bool)
    if face is not None:
        sleeve_like[arm] |= _chroma_distances(image[arm], face) > NOT_SKIN_CHROMA
    labels = np.where(sleeve_like, np.uint8(C.LIP_UPPER_CLOTHES), labels)
    u = body_unit(landmarks)
    arms = arm_positions(landmarks, size)
    old_garment = labelled(labels, OLD_GARMENT) & (person_mask >= 0.5)
    body = garment_alpha >= COVERED_ALPHA   # the new garment's body lies behind a forearm, not an upper arm
    sleeve = sleeve_alpha >= COVERED_ALPHA
    skin = np.zeros(size, np.float32)
    shade = np.full(size, 1.0 - SHADE, np.float32)   # the edge's, where the softened arm reaches out
    colour = np.zeros((*size, 3), np.float32)
    own_toned = np.zeros(size, bool)                 # pixels that take their arm's own tone
    fill = np.zeros(size, bool)
    outer = np.zeros(size, bool)
    dress = np.zeros(size, bool)
    bare_arm = labelled(labels, C.LIP_ARMS)
    paints: list[tuple] = []                         # ArmPaint's fields
    reaches = sleeve_reaches(labels, landmarks, sleeve_alpha, arms)
    tone = skin_tone(image, labels, old_coloured)
    if tone is None:
        return None
    strapped = sleeves == "sleeveless" and not sleeve.any()  # worn alone, as a tank top is: bares any old sleeve
    other_bare_from = KEEP_FROM if strapped else WORN_SHORT
    for i, reach in enumerate(reaches):
        if reach is None or reach[0] < (KEEP_FROM if strapped else reach[1] + BARE_MARGIN):
            continue
        if reaches[1 - i] is not None and reaches[1 - i][0] < other_bare_from:
            continue  # the other arm is bare from near the shoulder: what covers this one is no sleeve
        position, distance = arms[i]
        radius = u * np.interp(position, (0.0, 1.0, 2.0), ARM_RADII)
        reach_out = FILL_WIDEN * u * np.interp(position, (0.0, 1.0, 2.0), SLEEVE_RADII)  # the old sleeve's
        capsule = np.clip((radius - distance) / EDGE_PX + 0.5, 0.0, 1.0)
        down_to = reach[0] if strapped else HAND_END  # a strapped garment: the old sleeve's own length
        below = (capsule > 0.5) & reach[2] & (position > reach[1]) & (position <= down_to)
        if not below.any() or old_garment[below].mean() < MIN_SLEEVE_FILL:
            continue  # no old sleeve along the arm there: a bare arm in front, a garment's body beside it
        # The old sleeve as the parser labels it, and where it called a sleeve on the person
        # background (dark cuffs and elbows: they stayed, ghosts beside the painted arm), down to
        # its cuff (below it, that background is the bare forearm's outline).
        end = min(reach[0] + CUFF, HAND_END)
        missed = ((distance <= reach_out) & (position > reach[1]) & (position <= end)
                  & (labels == C.LIP_BACKGROUND) & (person_mask >= PERSON))
        rim = bare_arm & (position <= end)  # the cuff's dark rim on the arm (and bare skin above it)
        old_sleeve = reach[2] & (position <= HAND_END) & (old_garment | missed | rim)  # beside the torso only
        span = old_sleeve & ~sleeve
        mask = span & ~(body & (position < BODY_BEHIND))
        inside = capsule * _ramp(position, reach[1], end) * mask
        front = _in_front(landmarks, i, position, distance <= radius + EDGE_PX, old_garment & ~sleeve)
        if front is not None:  # the forearm's old sleeve across the torso, in front of the new garment
            inside = np.maximum(inside, capsule * front)
        skin = np.maximum(skin, inside)
        shade = np.where(inside > 0, 1.0 - SHADE * np.clip(distance / radius, 0, 1) ** 2, shade)
        own = _lit_mean(image[bare_arm & (distance <= radius) & (position > reach[0])
                              & (position <= reach[0] + ARM_TONE_REACH)
                              & (True if old_coloured is None else ~old_coloured)])
        if own is not None and float(_chroma_distances(own, tone)) > OWN_TONE_CHROMA:
            own = None  # not skin: the person's tone
        lower = tone if own is None else own
        upper = upper_tone(lower, face)
        toned = (distance <= radius + TONE_MARGIN_PX) & (position <= HAND_END)  # (the softened edge's reach)
        weight = _tone_weight(position[toned], float(reach[1]), float(end))[:, None]
        colour[toned], own_toned = upper + (lower - upper) * weight, own_toned | toned
        radii = u * np.asarray(ARM_RADII, np.float64)
        paints.append((i, arm_chain(landmarks, i), radii, mask, True, float(reach[1]), float(end), lower, upper))
        if front is not None:  # (not faded at the old cuff: its mask ends it, at the hand; it overlaps the arm
            # beside the torso a little, so that no seam shows where the two blurred masks meet)
            overlap = cv2.dilate(front.astype(np.uint8), np.ones((3, 3), np.uint8), iterations=FRONT_OVERLAP) > 0
            paints.append((i, arm_chain(landmarks, i), radii, overlap & (front | mask), False, float(reach[1]),
                           float(end), lower, upper))
        near = old_sleeve & ~rim & (distance <= reach_out)
        fill |= near & ~sleeve & ~body
        outer |= near & _outward(landmarks, i, position, size)
        dress |= near & (sleeve | body) & (position <= DRESS_TO)
        if strapped:  # the shoulder's top is bare too, beside the new garment's straps
            top, top_shade, top_fill = _shoulder_top(landmarks, i, u, old_garment & ~body)
            paints.append((i, _shoulder_segment(landmarks, i), np.full(3, u * SLEEVE_RADII[0]), old_garment & ~body,
                           False, 0.0, HAND_END, upper, upper))  # (the shoulder's top: the upper arm's tone)
            skin = np.maximum(skin, top)
            shade = np.where(top > 0, np.where(inside > 0, np.maximum(shade, top_shade), top_shade), shade)
            shoulder = (top > 0) & ~own_toned
            colour[shoulder], own_toned = upper, own_toned | shoulder
            fill |= top_fill
    if not skin.any():
        return None
    colour[~own_toned] = tone
    # The old sleeve's outer edge at the photo's resolution lies on the region's seam: refilled a
    # little beyond it (the background there), the seam falls on the background, not on the edge.
    outside = outer & fill & (skin < 1.0)
    fringe = (cv2.dilate(outside.astype(np.uint8), np.ones((3, 3), np.uint8), iterations=OUTER_FRINGE) > 0) & ~outside
    fringe &= (labels == C.LIP_BACKGROUND) & (skin == 0)
    fill, outer = fill | fringe, outer | fringe
    person = cv2.dilate((person_mask >= PERSON).astype(np.uint8), np.ones((3, 3), np.uint8),
                        iterations=PERSON_WIDEN) > 0
    shapes = tuple(ArmPaint(p[0], np.asarray(p[1], np.float64), *p[2:7], np.asarray(p[7], np.float32),
                            np.asarray(p[8], np.float32)) for p in paints)
    return BareArms(skin.astype(np.float32), shade.astype(np.float32), fill & (skin < 1.0), tone.astype(np.float32),
                    colour, outer & fill & (skin < 1.0), dress & (skin < 1.0), person, shapes)


def _ramp(position: np.ndarray, top: float, end: float) -> np.ndarray:
    """A painted arm's opacity along it (``position`` in upper-arm lengths, any shape): out over
    :data:`END_RAMP` before :data:`HAND_END`; where the old sleeve ends on the forearm (``end``
    before HAND_END), opaque over its rim, then out into the photo's arm; below a new sleeve
    ending at ``top`` (> 0), in over :data:`TOP_RAMP`."""
    ramp = np.clip((HAND_END - position) / END_RAMP, 0.0, 1.0)
    if end < HAND_END:
        ramp = ramp * np.clip((end - position) / (CUFF_FADE * CUFF), 0.0, 1.0)
    if top > 0:
        ramp = ramp * np.clip((position - top) / TOP_RAMP, 0.0, 1.0)
    return ramp


def _in_front(landmarks: np.ndarray, arm: int, position: np.ndarray, near: np.ndarray,
              sleeve: np.ndarray) -> np.ndarray | None:
    """``(H, W)`` bool: arm ``arm``'s forearm in its old sleeve where it crosses in front of the
    torso (``near``: ``(H, W)`` bool, within the arm's radius of its chain; ``sleeve``: the old
    top's pixels), from :data:`FRONT_FROM` to :data:`HAND_END`; None unless MediaPipe sees the
    elbow and the wrist at least :data:`FRONT_VISIBILITY` and the wrist lies in the torso (a
    hand behind the back is not seen so surely; a hanging arm's wrist lies beside the torso)."""
    _, elbow, wrist = ARM_CHAINS[arm]
    if min(landmarks[elbow, 2], landmarks[wrist, 2]) < FRONT_VISIBILITY:
        return None
    torso = torso_quad(landmarks, sleeve.shape)
    x, y = np.round(landmarks[wrist, :2]).astype(int)
    if not (0 <= y < torso.shape[0] and 0 <= x < torso.shape[1] and torso[y, x]):
        return None
    front = torso & near & sleeve & (position >= FRONT_FROM) & (position <= HAND_END)
    return front if front.any() else None


def _outward(landmarks: np.ndarray, arm: int, position: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``(H, W)`` bool: the pixels farther from the body's midline (across) than the point of the
    arm's shoulder-elbow-wrist chain at their ``position`` (upper-arm lengths along it)."""
    p = landmarks[:, :2].astype(np.float64)
    shoulder, elbow, wrist = (p[j] for j in ARM_CHAINS[arm])
    upper = max(float(np.linalg.norm(elbow - shoulder)), 1.0)
    fore = max(float(np.linalg.norm(wrist - elbow)), 1.0) / upper  # the forearm, in upper-arm lengths
    along = np.interp(position, (0.0, 1.0, 1.0 + fore), (shoulder[0], elbow[0], wrist[0]))
    middle = p[[C.LEFT_SHOULDER, C.RIGHT_SHOULDER, C.LEFT_HIP, C.RIGHT_HIP], 0].mean()
    xs = np.arange(size[1], dtype=np.float64)[None, :]
    return np.abs(xs - middle) >= np.abs(along - middle)


def _shoulder_top(landmarks: np.ndarray, arm: int, u: float, bare: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An arm's shoulder top that a garment without sleeves leaves bare: ``(skin, shade, fill)``
    (``(H, W)`` float32 coverage, float32 shading, bool rest of the old top to refill) over the
    ``bare`` pixels (the old top's, not the new garment's) within the upper arm's radius of the
    segment from the neck's side (:data:`NECK_SIDE`) to the shoulder joint, shaded as a cylinder
    along it. Left to the network, those pixels came out as background (a long-sleeved wearer
    shows it no skin there)."""
    size = bare.shape
    neck, joint = _shoulder_segment(landmarks, arm)
    xs, ys = np.arange(size[1], dtype=np.float64)[None, :], np.arange(size[0], dtype=np.float64)[:, None]
    _, distance = segment(xs, ys, neck, joint)
    radius = u * SLEEVE_RADII[0]
    skin = np.clip((radius - distance) / EDGE_PX + 0.5, 0.0, 1.0) * bare
    shade = 1.0 - SHADE * np.clip(distance / radius, 0, 1) ** 2
    fill = bare & (distance <= FILL_WIDEN * radius) & (skin < 1.0)
    return skin.astype(np.float32), shade.astype(np.float32), fill


def _shoulder_segment(landmarks: np.ndarray, arm: int) -> np.ndarray:
    """``(2, 2)`` float64 frame px: from the neck's side (:data:`NECK_SIDE`) to arm ``arm``'s
    shoulder joint, the axis of that shoulder's top."""
    p = landmarks[:, :2].astype(np.float64)
    joint = p[ARM_CHAINS[arm][0]]
    middle = (p[ARM_CHAINS[0][0]] + p[ARM_CHAINS[1][0]]) / 2
    return np.stack([middle + NECK_SIDE * (joint - middle), joint])


def _soften(mask: np.ndarray) -> np.ndarray:
    """``mask`` (float32) blurred by :data:`SOFTEN`, never lower than it was (edges soften outward)."""
    return np.maximum(mask, cv2.GaussianBlur(mask, (0, 0), SOFTEN))


def kept_sleeves(labels: np.ndarray, landmarks: np.ndarray, person_mask: np.ndarray) -> np.ndarray:
    """``(H, W)`` bool: the old top's sleeves beside the torso, which a garment without sleeves
    leaves as the photo has them where :func:`bared_arms` bares no arm (a garment whose sleeves
    cannot be told, or an arm it does not bare): it is worn over them, as a vest over a shirt. Left to
    the network they came out as sleeves in the new garment's colour (a camisole with cap
    sleeves, a quilted vest with 3/4 sleeves). Along each arm in view whose old sleeve
    reaches :data:`KEEP_FROM` or farther, down to where it ends (at most :data:`HAND_END`), within
    :data:`KEEP_WIDEN` arm radii of its chain, the old top's pixels beside the torso.

    Args:
        labels: ``(H, W)`` uint8 LIP ids of the frame; landmarks: ``(33, 3)`` frame pixels and
            visibility, torso upright; person_mask: ``(H, W)`` float in ``[0, 1]``.
    """
    size = labels.shape
    u = body_unit(landmarks)
    old = labelled(labels, OLD_GARMENT) & (person_mask >= PERSON) & ~torso_quad(landmarks, size)
    kept = np.zeros(size, bool)
    arms = arm_positions(landmarks, size)
    for arm, reach in zip(arms, sleeve_reaches(labels, landmarks, np.zeros(size, np.float32), arms)):
        if arm is None or reach is None or reach[0] < KEEP_FROM:
            continue  # no sleeve on that arm: the old top's armhole would stay beside the new one
        position, distance = arm
        radius = u * np.interp(position, (0.0, 1.0, 2.0), SLEEVE_RADII)
        kept |= old & (distance <= KEEP_WIDEN * radius) & (position <= min(HAND_END, reach[0]))
    return kept


def paint_bare_arms(rendered: np.ndarray, bare: BareArms, shows: np.ndarray, keeps: np.ndarray,
                    photo: np.ndarray, paint: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The frame render with the bared old sleeve refilled with what lies behind it and the arms
    painted in the person's skin tone, shaded; and the composition's masks: the garment shown
    over the old sleeve under its sleeve or body (``bare.dress``), neither shown nor the photo
    kept under the painted arms. With ``paint`` False the arms are left out of the render (the
    refill goes on under them): a composition at the photo's resolution draws them there
    (:func:`arms_in_photo_pixels`), where the frame's, enlarged, were blurred planks with the
    frame's pixel steps along their sides.

    Args:
        rendered: ``(H, W, 3)`` uint8 RGB render of the frame.
        bare: :func:`bared_arms` of this frame.
        shows, keeps: ``(H, W)`` float in ``[0, 1]``: where the result shows the garment's own
            pixels and where it keeps the photo's (:func:`tryon.fullres.compose`).
        photo: ``(H, W, 3)`` uint8 RGB, the photo in the frame (what the refill reads beside
            the person).

    Returns:
        ``(rendered, shows, keeps)``: ``(H, W, 3)`` uint8 and the two masks.
    """
    ys, xs = np.nonzero(bare.fill | (bare.skin > 0) | bare.dress)
    if ys.size == 0:
        return rendered, shows, keeps
    m = BOX_MARGIN
    y0, y1, x0, x1 = max(0, ys.min() - m), ys.max() + m + 1, max(0, xs.min() - m), xs.max() + m + 1
    box = np.s_[y0:y1, x0:x1]   # the arms and their softened edges: the rest stays as it was
    out = rendered[box].astype(np.float32)
    if bare.fill[box].any():
        f = _soften(bare.fill[box].astype(np.float32))[..., None]
        arm = bare.fill[box] | (bare.skin[box] > 0)
        out += (_behind(rendered[box], photo[box], arm, bare.person[box], bare.outer[box]).astype(np.float32) - out) * f
    a = _soften(bare.skin[box])[..., None]
    painted, shows, keeps = rendered.copy(), shows.copy(), keeps.copy()
    blended = out * (1.0 - a) + bare.colour[box] * bare.shade[box][..., None] * a if paint else out
    painted[box] = (blended + 0.5).clip(0, 255).astype(np.uint8)
    shows[box] = np.maximum(shows[box], bare.dress[box])
    a = np.clip(1.0 - a[..., 0], 0.0, 1.0)
    shows[box] *= a
    keeps[box] *= a
    return painted, shows, keeps


def _behind(rendered: np.ndarray, photo: np.ndarray, arm: np.ndarray, person: np.ndarray,
            outer: np.ndarray) -> np.ndarray:
    """``(h, w, 3)`` uint8: the bared old sleeve's refill over a box of the frame (``rendered``,
    ``photo``: its ``(h, w, 3)`` uint8 pixels; ``arm``: ``(h, w)`` bool, the painted arm and the
    rest of the old sleeve). On the arm's far side from the torso (``outer``), what lies behind
    the person: the photo's own pixels beside them filled in across their silhouette
    (``person``), the photo's background and its light (the render filled in there drew a lighter
    fringe beside the arm and the network's blurred sleeve over the old one's shoulder).
    Elsewhere, and where the box holds too little outside the person (:data:`MIN_BEHIND`), the
    render filled in from around the arm."""
    filled = cv2.inpaint(np.ascontiguousarray(rendered), arm.astype(np.uint8), FILL_RADIUS, cv2.INPAINT_TELEA)
    hole = person | arm
    if outer.any() and (~hole).mean() >= MIN_BEHIND:
        behind = cv2.inpaint(np.ascontiguousarray(photo), hole.astype(np.uint8), FILL_RADIUS, cv2.INPAINT_TELEA)
        filled[outer] = behind[outer]
    return filled


def arms_in_photo_pixels(bare: BareArms, alignment: Alignment, box: tuple[int, int, int, int]
                         ) -> list[tuple[tuple[int, int, int, int], np.ndarray, np.ndarray]]:
    """The painted arms (``bare.paints``) drawn on the photo's own pixels within ``box`` (``(x0,
    y0, x1, y1)``), each pixel's place on the arm computed at its own position (the frame's arms,
    enlarged, are blurred planks with stair steps): per arm, ``(drawn, coverage, colour)``: the
    photo box ``drawn`` it lies in (within ``box``), its coverage there (``(h, w)`` float32 in
    ``[0, 1]``) and its colour (``(h, w, 3)`` float32 RGB in ``[0, 255]``, shaded as a cylinder,
    :func:`_silhouette_shade`); an empty list when none is painted there.

    The capsule's edge is :data:`PHOTO_EDGE_PX` photo px wide; where the arm may be painted (its
    frame mask: the old sleeve beside the torso, not under the new sleeve) is blurred by
    :data:`MASK_BLUR` frame px, enlarged and steepened to :data:`MASK_SEAM_PX` photo px.

    Args:
        bare: :func:`bared_arms` of the frame.
        alignment: the photo -> frame transform.
    """
    drawn = []
    for arm in sorted({paint.arm for paint in bare.paints}):
        paints = [paint for paint in bare.paints if paint.arm == arm]  # the arm, and its shoulder's top
        boxes = [alignment.photo_box(paint.mask, box, margin=2) for paint in paints]
        found = [b for b in boxes if b is not None]
        if not found:
            continue
        x0, y0 = min(b[0] for b in found), min(b[1] for b in found)
        x1, y1 = max(b[2] for b in found), max(b[3] for b in found)
        coverage = np.zeros((y1 - y0, x1 - x0), np.float32)
        colour = np.zeros((y1 - y0, x1 - x0, 3), np.float32)
        for paint, b in zip(paints, boxes):
            if b is not None:
                region = np.s_[b[1] - y0:b[3] - y0, b[0] - x0:b[2] - x0]
                cover, weight = _capsule_in_photo(paint, alignment, b)
                first = cover > coverage[region]   # each pixel takes the tone of the paint that covers it most
                colour[region][first] = paint.upper + (paint.colour - paint.upper) * weight[first][:, None]
                np.maximum(coverage[region], cover, out=coverage[region])
        if coverage.any():
            widest = max(float(np.max(paint.radii)) for paint in paints) / alignment.scale
            shade = _silhouette_shade(coverage, widest)
            drawn.append(((x0, y0, x1, y1), coverage, shade[..., None] * colour))
    return drawn


def _capsule_in_photo(paint: ArmPaint, alignment: Alignment, box: tuple[int, int, int, int]
                      ) -> tuple[np.ndarray, np.ndarray]:
    """``paint``'s coverage on the photo pixels of ``box`` (``(y1 - y0, x1 - x0)`` float32 in
    ``[0, 1]``: its capsule, ramps and mask, see :func:`arms_in_photo_pixels`) and the lower tone's
    share there (the same shape, float32 in ``[0, 1]``, :func:`_tone_weight`)."""
    frame_px = alignment.scale                    # frame px per photo px
    w, h = box[2] - box[0], box[3] - box[1]
    m = alignment.box_matrix(box[0], box[1])   # the box's pixels -> frame pixels
    allowed = cv2.GaussianBlur(paint.mask.astype(np.float32), (0, 0), MASK_BLUR)
    allowed = cv2.warpAffine(allowed, m, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
    steep = max(1.0, 1.0 / (frame_px * MASK_SEAM_PX))
    allowed = np.clip((allowed - 0.5) * steep + 0.5, 0.0, 1.0).reshape(-1)
    at = np.flatnonzero(allowed > 0)              # only there: the chain's arithmetic on each pixel
    py, px = np.divmod(at, w)
    px, py = px.astype(np.float32), py.astype(np.float32)
    fx = (m[0, 0] * px + m[0, 1] * py + m[0, 2]).astype(np.float32)
    fy = (m[1, 0] * px + m[1, 1] * py + m[1, 2]).astype(np.float32)
    position, distance = chain_position(paint.points, fx, fy)
    radius = np.interp(position, (0.0, 1.0, 2.0), paint.radii).astype(np.float32)
    inside = np.clip((radius - distance) / np.float32(PHOTO_EDGE_PX * frame_px) + 0.5, 0.0, 1.0)
    if paint.ramped:
        inside = inside * _ramp(position, paint.top, paint.end)
    flat, weight = np.zeros(h * w, np.float32), np.zeros(h * w, np.float32)
    flat[at] = inside * allowed[at]
    weight[at] = _tone_weight(position, paint.top, paint.end)
    return flat.reshape(h, w), weight.reshape(h, w)


def _silhouette_shade(coverage: np.ndarray, radius: float) -> np.ndarray:
    """``(h, w)`` float32 in ``[1 - SHADE, 1]``: the painted arms (``coverage``, photo px) shaded
    as cylinders across their own silhouette, whatever cut it (the capsule, the old sleeve beside
    the torso, the new sleeve's hem): a pixel's distance to the silhouette's edge over the
    largest such distance within ``radius`` photo px (the arm's half width there) gives its place
    across the arm, lit as a cylinder facing the camera. (Shaded from the chain's axis, an arm
    the old sleeve cut narrower than its capsule stayed flat: a plank.)"""
    solid = (coverage > 0.5).astype(np.uint8)
    depth = cv2.distanceTransform(solid, cv2.DIST_L2, 5)
    h, w = depth.shape
    small = cv2.resize(depth, (max(1, w // SHADE_POOL), max(1, h // SHADE_POOL)), interpolation=cv2.INTER_NEAREST)
    side = 2 * int(np.ceil(radius / SHADE_POOL)) + 1   # (the half width varies slowly: found on a smaller grid)
    half = cv2.resize(cv2.dilate(small, np.ones((side, side), np.uint8)), (w, h), interpolation=cv2.INTER_LINEAR)
    half = np.maximum(half, depth)
    across = 1.0 - depth / np.maximum(half, 1.0)
    return (1.0 - SHADE * (1.0 - np.sqrt(np.clip(1.0 - across * across, 0.0, 1.0)))).astype(np.float32)
