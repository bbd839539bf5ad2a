"""The old garment the parser missed: found by its colour, next to what the parser did label.

The body parser works in the 256x192 frame and was trained on studio photos. On a shopper's
photo it can miss parts of the old top: a dark collar ring under the chin or a strap it calls
neck (background), a cuff beside the hand it calls hand, a sleeve against the photo's edge, a
black T-shirt's shoulders under brown hair it calls hair. What it misses is never repainted,
and shows as a ghost of the old garment around the new one.

:func:`missed_old_garment` finds those pixels by colour (:func:`old_colours`): CIELAB
histograms of the old garment as the parser labels it and of each class the parser is sure of
(skin, hair, lower-body clothes, the backdrop away from the person). A person pixel the parser
calls neck (background), arm, hand or hair below the chin whose colour is more the old
garment's than any other class's (:data:`OLD_SHARE`) and is not the face's own
(:func:`tryon.region.skin_pixels`), in a run of such pixels that touches the labelled old
garment, is the old garment too. A skin-coloured old top stays as it is (its colours are also
the skin's, so it does not win), and so does a pair of trousers in the top's colour (the parser
labels them, so they are never candidates), and a black top under black hair (the hair's
colours are the top's). The same model tells, at the photo's own resolution, which pixels of
the region's feathered seam are the old garment's (:func:`tryon.fullres.compose`).
:func:`old_hem` is where the old garment ends, the new one's lowest reach.

All arrays are in the model frame (:mod:`tryon.alignment`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np

from tryon import constants as C
from tryon.alignment import body_unit
from tryon.masks import disk, labelled
from tryon.region import FACE_MIN_VISIBILITY, PARSED_BEHIND, skin_pixels
from tryon.sleeve_cover import COVERED_ALPHA

__all__ = ["OldColours", "old_colours", "old_hem", "missed_old_garment", "old_garment_ghosts", "trouser_room",
           "OLD_SHARE", "MIN_OLD_PIXELS"]

OLD_GARMENT = C.LIP_UPPER_GARMENT
# What the parser may have called the old garment by mistake (on a person pixel): the neck and
# what it missed (background), arms and hands, and hair below the chin (a dark top's shoulders
# under brown hair; the hair's own shadows beside the face are not the garment).
CANDIDATE = (C.LIP_BACKGROUND, C.LIP_LEFT_ARM, C.LIP_RIGHT_ARM)
HAIR_BELOW = 0.5          # hair is a candidate below this share of the way from the mouth down to the shoulders
# What the colour model sets the old garment against: what the parser is sure of, each class
# normalised on its own (a large backdrop must not dilute the skin's density).
OTHER_CLASSES = ((C.LIP_FACE, C.LIP_LEFT_ARM, C.LIP_RIGHT_ARM), (C.LIP_HAIR,),
                 (C.LIP_PANTS, C.LIP_SKIRT, C.LIP_LEFT_LEG, C.LIP_RIGHT_LEG, C.LIP_LEFT_SHOE, C.LIP_RIGHT_SHOE))
BINS = (8, 24, 24)        # histogram bins over CIELAB's L, a, b (8-bit OpenCV ranges)
RGB_SHIFT = 3             # the model is read into a table of 32 levels a channel (RGB >> 3)
RGB_LEVELS = 256 >> RGB_SHIFT
SMOOTH = 1.0              # the histograms are blurred this many bins (nearby colours count)
OLD_SHARE = 0.65          # a candidate is old garment when this share of the density at its colour,
                          # the old garment's and the likeliest other class's, is the old garment's
MIN_DENSITY = 2e-4        # ...and the old garment's density there is at least this
MIN_OLD_PIXELS = 50       # fewer labelled old-garment pixels than this: no colour model
BACKGROUND_AWAY = 0.1     # background this far (units of U) from the person joins the "other" class
REACH = 0.5               # candidates farther than this (units of U) from the labelled old garment are left
GHOST_NEW_SHARE = 0.35    # a render pixel in the old garment's colours (OLD_SHARE) is a ghost of it where the new
                          # garment's own colour there has less than this share (so not on a paired photo,
                          # whose old garment is the new one)
GHOST_SIGMA = 3.0         # frame px: the ghost pixels are spread this much (their runs are speckled)...
GHOST_GAIN = 3.0          # ...and raised this much (a run's middle shows the garment wholly)


@dataclass(frozen=True)
class OldColours:
    """The colour model, as a lookup table: for each RGB colour (:data:`RGB_LEVELS` levels a
    channel), the old garment's share of its density and the likeliest other class's
    (:func:`old_colours`)."""

    table: np.ndarray  # (RGB_LEVELS ** 3,) float32 in [0, 1]

    def share(self, rgb: np.ndarray) -> np.ndarray:
        """The old garment's share of its density and the likeliest other class's at each
        colour: ``rgb``'s shape but the last axis, float32 in ``[0, 1]`` (0 where the old
        garment's own density is below :data:`MIN_DENSITY`).

        Args:
            rgb: ``(..., 3)`` uint8 RGB pixels (any resolution: the frame's or the photo's).
        """
        return self.table[_rgb_index(rgb)]

    def likes(self, rgb: np.ndarray) -> np.ndarray:
        """Bool, :meth:`share` at least :data:`OLD_SHARE`: the colour is the old garment's."""
        return self.share(rgb) >= OLD_SHARE


def old_colours(labels: np.ndarray, image: np.ndarray, person_mask: np.ndarray,
                landmarks: np.ndarray) -> OldColours | None:
    """The colour model of the old upper garment, or None when fewer than
    :data:`MIN_OLD_PIXELS` pixels are labelled old garment: normalised, blurred CIELAB
    histograms of the old garment and of each other class the parser is sure of (skin, hair,
    lower-body clothes, the backdrop), read into an RGB lookup table.

    Args:
        labels: ``(H, W)`` uint8 LIP ids of the frame (person pixels only, else background).
        image: ``(H, W, 3)`` uint8 RGB frame.
        person_mask: ``(H, W)`` float32 in ``[0, 1]``, MediaPipe's person mask.
        landmarks: ``(33, 3)`` frame pixels and visibility, torso upright.
    """
    old = labelled(labels, OLD_GARMENT)
    if old.sum() < MIN_OLD_PIXELS:
        return None
    person = person_mask > 0.5
    u = body_unit(landmarks)
    near_person = cv2.dilate(person.astype(np.uint8), disk(max(1.0, BACKGROUND_AWAY * u))).astype(bool)
    idx = _bin_index(cv2.cvtColor(np.ascontiguousarray(image[..., :3], np.uint8), cv2.COLOR_RGB2LAB))
    others = [labelled(labels, ids) & person for ids in OTHER_CLASSES] + [~near_person]
    grid = _grid_bins()
    d_old = _histogram(idx[old]).ravel()[grid]
    d_other = np.max([_histogram(idx[m]).ravel()[grid] for m in others], axis=0)
    share = np.where(d_old >= MIN_DENSITY, d_old / np.maximum(d_old + d_other, 1e-12), 0.0)
    return OldColours(share.astype(np.float32))


def missed_old_garment(labels: np.ndarray, image: np.ndarray, person_mask: np.ndarray,
                       landmarks: np.ndarray, colours: OldColours | None,
                       likes: np.ndarray | None = None) -> np.ndarray:
    """Pixels of the old upper garment the parser did not label as such.

    Args:
        labels, image, person_mask, landmarks: as :func:`old_colours`.
        colours: :func:`old_colours` of the same frame (None: nothing is found).
        likes: ``colours.likes(image)`` when the caller has it (``(H, W)`` bool), else computed.

    Returns:
        ``(H, W)`` bool: person pixels labelled background, arm, hand or hair below the chin
        (:data:`HAIR_BELOW`) whose colour is the old garment's (:meth:`OldColours.likes`) and
        not the face's, connected through such pixels to the labelled old garment and within
        :data:`REACH` of it.
    """
    empty = np.zeros(labels.shape, bool)
    if colours is None:
        return empty
    old = labelled(labels, OLD_GARMENT)
    candidate = (labelled(labels, CANDIDATE) | _hair_below_chin(labels, landmarks)) & (person_mask > 0.5)
    candidate &= colours.likes(image[..., :3]) if likes is None else likes
    skin = skin_pixels(image[..., :3], landmarks)
    if skin is not None:  # the face's own colours are never the old garment's
        candidate &= ~skin
    far = cv2.distanceTransform((~old).astype(np.uint8), cv2.DIST_L2, 3)
    candidate &= far <= max(1.0, REACH * body_unit(landmarks))
    if not candidate.any():
        return empty
    # Runs of candidates that touch the labelled old garment (8-connected, through candidates).
    seeds = candidate & cv2.dilate(old.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    _, comp = cv2.connectedComponents(candidate.astype(np.uint8), connectivity=8)
    touching = np.unique(comp[seeds])
    touching = touching[touching > 0]
    return np.isin(comp, touching) if touching.size else empty


def _hair_below_chin(labels: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """``(H, W)`` bool: hair labels below :data:`HAIR_BELOW` of the way from the mouth to the
    shoulders (none when the mouth is not seen)."""
    p, vis = landmarks[:, :2], landmarks[:, 2]
    hair = labelled(labels, C.LIP_HAIR)
    if min(vis[i] for i in (C.MOUTH_LEFT, C.MOUTH_RIGHT)) < FACE_MIN_VISIBILITY:
        return np.zeros_like(hair)
    mouth = float(p[[C.MOUTH_LEFT, C.MOUTH_RIGHT], 1].mean())
    shoulders = float(p[[C.LEFT_SHOULDER, C.RIGHT_SHOULDER], 1].mean())
    hair[:max(0, int(np.ceil(mouth + HAIR_BELOW * (shoulders - mouth))))] = False
    return hair


def old_garment_ghosts(image: np.ndarray, garment: np.ndarray, alpha: np.ndarray, covered: np.ndarray,
                       colours: OldColours | None) -> np.ndarray:
    """Where the network's render draws the old garment over the new one: ``(H, W)`` float32 in
    ``[0, 1]``, how wholly the new garment should show there instead.

    Where the network does not show the new garment (its mask low: a halfway hedge, or a guess that
    hair or an arm lies in front), the result is its own render, and on a shopper's photo that
    render drew the old top's colour: a black polo's dark smudge over a white T-shirt's shoulder. A
    render pixel whose colour is the old garment's (:meth:`OldColours.likes`),
    over the old garment (``covered``) the new one covers, where the new garment's own colour has
    less than :data:`GHOST_NEW_SHARE` of the old one's, is such a ghost; the ghosts are spread by
    :data:`GHOST_SIGMA` and raised by :data:`GHOST_GAIN`. On a photo whose old top looks like the
    new garment (every paired training photo) almost none is found.

    Args:
        image: ``(H, W, 3)`` uint8 RGB, the network's person in the frame.
        garment: ``(H, W, 3)`` uint8 RGB, the new garment as warped in the frame.
        alpha: ``(H, W)`` float in ``[0, 1]``, its coverage.
        covered: ``(H, W)`` float in ``{0, 1}``, the old clothes the new garment replaces
            (:func:`tryon.sleeve_cover.covered_clothes`).
        colours: :func:`old_colours` of the frame (None: no ghost is found).
    """
    if colours is None:
        return np.zeros(alpha.shape, np.float32)
    ghost = (colours.likes(image) & (colours.share(garment) < GHOST_NEW_SHARE)
             & (covered > 0) & (alpha > COVERED_ALPHA))
    if not ghost.any():
        return np.zeros(alpha.shape, np.float32)
    spread = cv2.GaussianBlur(ghost.astype(np.float32), (0, 0), GHOST_SIGMA)
    return np.minimum(spread * GHOST_GAIN, 1.0) * (covered > 0)


def _histogram(idx: np.ndarray) -> np.ndarray:
    """Normalised, blurred 3-D colour histogram of flat bin indices ``idx``; ``(L, a, b)`` bins."""
    hist = np.bincount(idx, minlength=int(np.prod(BINS))).astype(np.float32).reshape(BINS)
    for axis in range(3):  # a separable blur: nearby colours count as the same
        hist = _blur_axis(hist, axis)
    total = hist.sum()
    return hist / total if total > 0 else hist


def _blur_axis(hist: np.ndarray, axis: int) -> np.ndarray:
    """``hist`` blurred along one axis by :data:`SMOOTH` bins (edges replicated)."""
    moved = np.ascontiguousarray(np.moveaxis(hist, axis, 0))
    flat = moved.reshape(moved.shape[0], -1)
    blurred = cv2.GaussianBlur(flat, (1, 0), sigmaX=0.0, sigmaY=SMOOTH, borderType=cv2.BORDER_REPLICATE)
    return np.moveaxis(blurred.reshape(moved.shape), 0, axis)


def _bin_index(lab: np.ndarray) -> np.ndarray:
    """Flat histogram bin of each ``(..., 3)`` uint8 CIELAB pixel, int64 of shape ``lab.shape[:-1]``."""
    q = [np.minimum((lab[..., i].astype(np.int64) * n) // 256, n - 1) for i, n in enumerate(BINS)]
    return (q[0] * BINS[1] + q[1]) * BINS[2] + q[2]


def _rgb_index(rgb: np.ndarray) -> np.ndarray:
    """Flat :data:`RGB_LEVELS`-level RGB cell of each ``(..., 3)`` uint8 pixel."""
    q = np.asarray(rgb[..., :3], np.uint8) >> RGB_SHIFT
    return (q[..., 0].astype(np.int32) * RGB_LEVELS + q[..., 1]) * RGB_LEVELS + q[..., 2]


@cache
def _grid_bins() -> np.ndarray:
    """The CIELAB histogram bin of the centre of each RGB cell, ``(RGB_LEVELS ** 3,)`` int64
    (made on the first colour model, not at import)."""
    step = 256 // RGB_LEVELS
    levels = np.arange(RGB_LEVELS, dtype=np.uint8) * step + step // 2
    r, g, b = np.meshgrid(levels, levels, levels, indexing="ij")
    grid = np.stack([r, g, b], -1).reshape(-1, 1, 3)
    return _bin_index(cv2.cvtColor(grid, cv2.COLOR_RGB2LAB)[:, 0])


def old_hem(labels: np.ndarray, landmarks: np.ndarray) -> float | None:
    """Frame row of the old garment's hem at the middle of the body: the median, over the columns
    between the hip joints, of the lowest row the parser labels old garment; None with fewer than
    :data:`MIN_OLD_PIXELS` of them there. The try-on's new hem hangs at least that low
    (:func:`tryon.warp.named_targets`), so no band of the old top shows below it.

    Args:
        labels: ``(H, W)`` uint8 LIP ids of the frame; landmarks: ``(33, 3)`` frame pixels.
    """
    xs = np.sort(landmarks[[C.LEFT_HIP, C.RIGHT_HIP], 0])
    x0, x1 = (int(np.clip(round(float(x)), 0, labels.shape[1] - 1)) for x in xs)
    old = labelled(labels[:, x0:x1 + 1], OLD_GARMENT)
    if old.sum() < MIN_OLD_PIXELS:
        return None
    lowest = labels.shape[0] - 1 - np.argmax(old[::-1], 0)
    return float(np.median(lowest[old.any(0)]))


def trouser_room(labels: np.ndarray, region: np.ndarray, image: np.ndarray,
                 colours: OldColours | None) -> tuple[np.ndarray, np.ndarray]:
    """The lower-body clothes the repaint region takes as the new garment's room, split in two:
    ``(room, old_top)``, each ``(H, W)`` bool. ``room`` stays the photo's own wherever the new
    garment does not show (the network re-rendered it, blurred); ``old_top`` is what of it has the
    old top's colours (:meth:`OldColours.likes`): its hem, which the parser calls trousers, is
    the old top to repaint.

    Args:
        labels: ``(H, W)`` uint8 LIP ids; region: ``(H, W)`` bool, the repaint region;
        image: ``(H, W, 3)`` uint8 RGB frame; colours: :func:`old_colours` of it, or None.
    """
    room = region & labelled(labels, PARSED_BEHIND)
    old_top = np.zeros_like(room)
    if colours is not None and room.any():
        old_top[room] = colours.likes(image[..., :3][room])
    return room & ~old_top, old_top
