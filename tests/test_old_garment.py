"""The old garment the parser missed (``tryon.old_garment``) and the seam that never shows it
(``tryon.fullres.compose(repaint=)``): synthetic frames whose parse misses a collar ring."""

from __future__ import annotations

import cv2
import numpy as np

from tryon import constants as C
from tryon.alignment import Alignment
from tryon.fullres import compose
from tryon.masks import feather
from tryon.old_garment import missed_old_garment, old_colours, old_garment_ghosts, old_hem

H, W = 256, 192
SKIN = (214, 160, 130)
NAVY = (30, 40, 90)
BACKDROP = (235, 235, 235)
JEANS = (60, 90, 150)


def _frame(top=NAVY, trousers=JEANS):
    """A toy person: face, neck, a collar ring the parser calls neck (background), the old top,
    bare arms, trousers; ``(image, labels, person_mask, landmarks, ring)``."""
    rng = np.random.default_rng(0)
    image = np.empty((H, W, 3), np.float32)
    image[:] = BACKDROP
    labels = np.zeros((H, W), np.uint8)
    person = np.zeros((H, W), np.float32)
    yy, xx = np.mgrid[:H, :W]
    face = (xx - 96) ** 2 / 18 ** 2 + (yy - 40) ** 2 / 22 ** 2 <= 1
    neck = (abs(xx - 96) <= 12) & (yy >= 55) & (yy < 72)
    ring = (abs(xx - 96) <= 22) & (yy >= 68) & (yy < 74) & ~((abs(xx - 96) <= 8) & (yy < 72))
    torso = (abs(xx - 96) <= 45) & (yy >= 74) & (yy < 170)
    arms = ((abs(xx - 96) > 45) & (abs(xx - 96) <= 60) & (yy >= 80) & (yy < 165))
    legs = (abs(xx - 96) <= 40) & (yy >= 170)
    for part, colour, label in ((face, SKIN, C.LIP_FACE), (neck, SKIN, C.LIP_BACKGROUND),
                                (arms, SKIN, C.LIP_LEFT_ARM), (torso, top, C.LIP_UPPER_CLOTHES),
                                (ring, top, C.LIP_BACKGROUND), (legs, trousers, C.LIP_PANTS)):
        image[part] = colour
        labels[part] = label
        person[part] = 1.0
    image += rng.normal(0, 4, image.shape)  # sensor noise: colours are never exact
    landmarks = np.zeros((33, 3), np.float32)
    landmarks[:, 2] = 1.0
    landmarks[[C.LEFT_SHOULDER, C.RIGHT_SHOULDER], :2] = [(136, 78), (56, 78)]
    landmarks[[C.LEFT_HIP, C.RIGHT_HIP], :2] = [(120, 168), (72, 168)]
    return image.clip(0, 255).astype(np.uint8), labels, person, landmarks, ring


def test_a_collar_ring_the_parser_calls_neck_is_found_and_the_neck_is_not():
    image, labels, person, landmarks, ring = _frame()
    colours = old_colours(labels, image, person, landmarks)
    missed = missed_old_garment(labels, image, person, landmarks, colours)
    assert (missed & ring).sum() >= 0.9 * ring.sum()
    assert not (missed & ~ring).any()  # neither the neck, the face, the arms nor the trousers


def test_a_dark_top_the_parser_calls_hair_is_found_below_the_chin_and_the_hair_is_not():
    """Brown hair over a navy top's shoulder: the parser calls a patch of the top beside the hair
    hair too (VITON 000123's black T-shirt). That patch is old garment; the hair is not, nor
    navy "hair" beside the face (a shadow there is never the garment)."""
    image, labels, person, landmarks, _ = _frame()
    landmarks[[C.MOUTH_LEFT, C.MOUTH_RIGHT], :2] = [(104, 50), (88, 50)]  # the row limit: 64
    hair = np.zeros((H, W), bool)
    hair[20:110, 100:125] = True          # falling over the shoulder onto the top
    patch = np.zeros((H, W), bool)
    patch[80:100, 125:136] = True         # the top beside the hair, called hair
    shadow = np.zeros((H, W), bool)
    shadow[40:74, 60:64] = True           # navy "hair" beside the face down to the top
    for part, colour in ((hair, (120, 70, 40)), (patch, NAVY), (shadow, NAVY)):
        image[part] = colour
        labels[part] = C.LIP_HAIR
        person[part] = 1.0
    colours = old_colours(labels, image, person, landmarks)
    missed = missed_old_garment(labels, image, person, landmarks, colours)
    assert (missed & patch).sum() >= 0.9 * patch.sum()
    assert not (missed & hair).any()
    assert not (missed & shadow)[:64].any() and (missed & shadow)[64:].any()


def test_a_skin_coloured_old_top_is_not_mistaken_for_skin_nor_skin_for_it():
    image, labels, person, landmarks, ring = _frame(top=(218, 166, 134))
    colours = old_colours(labels, image, person, landmarks)
    missed = missed_old_garment(labels, image, person, landmarks, colours)
    assert not missed.any()  # its colours are also the arms': neither class wins


def test_trousers_in_the_top_colour_stay_and_no_labelled_top_means_no_model():
    image, labels, person, landmarks, _ = _frame(trousers=NAVY)
    colours = old_colours(labels, image, person, landmarks)
    assert not (missed_old_garment(labels, image, person, landmarks, colours)
                & (labels == C.LIP_PANTS)).any()
    bare = np.where(labels == C.LIP_UPPER_CLOTHES, C.LIP_BACKGROUND, labels).astype(np.uint8)
    assert old_colours(bare, image, person, landmarks) is None
    assert not missed_old_garment(bare, image, person, landmarks, None).any()


def test_the_seam_repaints_the_old_garment_wholly_and_leaves_the_rest_as_before():
    """A region whose feathered seam crosses a navy band: with ``repaint`` the band is the
    render's, without it the photo's navy shows through; outside the region nothing changes."""
    image, labels, person, landmarks, ring = _frame()
    colours = old_colours(labels, image, person, landmarks)
    photo = image.copy()
    rendered = np.full_like(image, 200)
    alpha = np.zeros((H, W), np.float32)
    alpha[70:200, 40:150] = 1.0
    alpha[70:76] = np.linspace(0.2, 0.9, 6, dtype=np.float32)[:, None] * (alpha[76] > 0)  # the seam over the ring
    alpha[90:150, 40:46] = np.linspace(0.2, 0.9, 6, dtype=np.float32)[None, :]  # and over an arm
    identity = Alignment(matrix=np.array([[1, 0, 0], [0, 1, 0]], np.float64), frame_size=(H, W),
                         image_size=(W, H))
    kw = dict(frame_map=np.full((H, W, 2), -1e4, np.float32), shows=np.zeros((H, W), np.float32),
              keeps=np.zeros((H, W), np.float32), source=np.zeros((8, 8, 3), np.uint8),
              source_mask=np.zeros((8, 8), np.uint8))
    plain, _ = compose(photo, rendered, alpha, identity, **kw)
    fixed, _ = compose(photo, rendered, alpha, identity, repaint=colours.share, **kw)
    inner = cv2.erode(ring.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)  # the measure is blurred
    band = ring & (alpha > 0) & (alpha < 1)
    band[:, :45] = band[:, 145:] = False  # away from the region's sides
    assert band.sum() > 50
    dark = lambda out: float(out[band].astype(np.float32).mean())  # noqa: E731
    assert dark(plain) < 150 < dark(fixed)  # the navy shows through the plain seam only
    wholly = np.abs(fixed[band & inner].astype(int) - 200).max(axis=1) <= 1
    assert wholly.mean() >= 0.95  # the ring's inside is the render's (its ends blur into the neck)
    outside = alpha == 0
    assert np.array_equal(fixed[outside], photo[outside]) and np.array_equal(plain[outside], photo[outside])
    near_ring = cv2.dilate(ring.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
    skin_seam = (alpha > 0) & (alpha < 1) & ~near_ring & (labels == C.LIP_LEFT_ARM)
    assert skin_seam.sum() > 200
    assert np.array_equal(fixed[skin_seam], plain[skin_seam])  # the arm's seam fades as before


def test_the_old_tops_hem_is_its_lowest_labelled_row_between_the_hips():
    h, w = 256, 192
    lm = np.zeros((33, 3), np.float32)
    lm[:, 2] = 1.0
    lm[C.LEFT_HIP, :2] = (115, 170)
    lm[C.RIGHT_HIP, :2] = (80, 170)
    labels = np.zeros((h, w), np.uint8)
    labels[75:200, 62:131] = C.LIP_UPPER_CLOTHES
    labels[200:256, 62:131] = C.LIP_PANTS
    labels[75:230, 20:40] = C.LIP_UPPER_CLOTHES              # a long sleeve beside the body: not the hem
    assert old_hem(labels, lm) == 199.0
    labels[190:200, 95:100] = C.LIP_RIGHT_ARM               # a hand over the hem moves it little
    assert old_hem(labels, lm) == 199.0
    assert old_hem(np.where(labels == C.LIP_PANTS, 0, C.LIP_PANTS).astype(np.uint8), lm) is None


def test_a_render_drawing_the_old_top_under_a_new_garment_of_another_colour_is_a_ghost():
    """The network's render draws a navy smudge (the old top's colour) on the torso under a
    white garment: there the garment is to show wholly. Under a navy garment (a paired photo:
    the old top is the new one) and under the render's own white, none is a ghost."""
    image, labels, person, landmarks, _ = _frame()
    colours = old_colours(labels, image, person, landmarks)
    torso = labels == C.LIP_UPPER_CLOTHES
    covered, alpha = torso.astype(np.float32), torso.astype(np.float32)
    render = np.full((H, W, 3), 240, np.uint8)
    smudge = np.zeros((H, W), bool)
    smudge[90:120, 60:90] = True
    render[smudge] = NAVY
    white = np.full((H, W, 3), 245, np.uint8)
    ghosts = old_garment_ghosts(render, white, alpha, covered, colours)
    assert ghosts.dtype == np.float32 and ghosts.shape == (H, W)
    assert ghosts[95:115, 65:85].min() == 1.0  # the smudge shows the new garment wholly
    assert ghosts[150:165, 100:130].max() == 0.0  # away from it, the network's own mask
    assert ghosts[~torso].max() == 0.0  # never off the old garment
    navy = np.broadcast_to(np.array(NAVY, np.uint8), (H, W, 3))
    assert old_garment_ghosts(render, navy, alpha, covered, colours).max() == 0.0
    assert old_garment_ghosts(white, white, alpha, covered, colours).max() == 0.0
    assert old_garment_ghosts(render, white, alpha, covered, None).max() == 0.0


def test_the_seams_repaint_ends_in_a_smooth_edge_on_an_enlarged_frame():
    """A frame enlarged 4x onto the photo, its region's edge a diagonal staircase of frame pixels
    across an old garment that goes on past it (a turtleneck's collar kept whole): the repainted
    part ends along a smooth line, not in the frame pixels' steps (4 photo px at a time)."""
    f = 4
    yy, xx = np.mgrid[:H, :W]
    alpha = feather((xx >= yy) & (yy >= 40) & (yy < 120) & (xx < 150), 1.5)
    photo = np.full((H * f, W * f, 3), NAVY, np.uint8)
    rendered = np.full((H, W, 3), 200, np.uint8)
    enlarged = Alignment(matrix=np.array([[1 / f, 0, 0], [0, 1 / f, 0]], np.float64), frame_size=(H, W),
                         image_size=(W * f, H * f))
    kw = dict(frame_map=np.full((H, W, 2), -1e4, np.float32), shows=np.zeros((H, W), np.float32),
              keeps=np.zeros((H, W), np.float32), source=np.zeros((8, 8, 3), np.uint8),
              source_mask=np.zeros((8, 8), np.uint8))
    out, _ = compose(photo, rendered, alpha, enlarged, repaint=lambda rgb: np.ones(rgb.shape[:-1], np.float32), **kw)
    rows = np.arange(60 * f, 100 * f)
    edge = np.array([np.argmax(out[y, :, 0] > 150) for y in rows])  # the first repainted column of each row
    assert np.all(np.diff(edge) >= 0) and np.abs(np.diff(edge)).max() <= 2  # ~1 px a row, no 4 px steps
    assert np.abs(edge - rows).max() <= 2 * f  # ...and about where the region's edge runs
