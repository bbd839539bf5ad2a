"""Alignment into the model frame, the repaint region, and paste-back."""

import numpy as np
import pytest

from images import astronaut
from tryon import body as B
from tryon import constants as C
from tryon.pose import detect_pose


@pytest.fixture(scope="module")
def astro():
    img = np.asarray(astronaut())
    pose = detect_pose(img)
    return img, pose, B.prepare_person(img, pose)


def test_align_puts_the_shoulders_at_the_canonical_point(astro):
    _, pose, frame = astro
    px = pose.pixels()
    mid = (px[C.LEFT_SHOULDER, :2] + px[C.RIGHT_SHOULDER, :2]) / 2
    got = frame.alignment.to_frame(mid[None])[0]
    np.testing.assert_allclose(got, [C.ALIGN_SHOULDER_X * 192, C.ALIGN_SHOULDER_Y * 256], atol=1e-6)
    back = frame.alignment.to_image(got[None])[0]
    np.testing.assert_allclose(back, mid, atol=1e-6)
    assert frame.image.shape == (256, 192, 3) and frame.region.shape == (256, 192)


def test_region_covers_the_torso_and_leaves_the_face(astro):
    _, _, frame = astro
    lm = frame.landmarks
    chest = ((lm[C.LEFT_SHOULDER, :2] + lm[C.RIGHT_SHOULDER, :2]) / 2 * 0.6
             + (lm[C.LEFT_HIP, :2] + lm[C.RIGHT_HIP, :2]) / 2 * 0.4)
    x, y = np.round(chest).astype(int)
    assert frame.region[y - 5:y + 5, x - 5:x + 5].all()
    for shoulder in (C.LEFT_SHOULDER, C.RIGHT_SHOULDER):
        sx, sy = np.round(lm[shoulder, :2]).astype(int)
        assert frame.region[sy, sx]
    face = lm[list(C.FACE_LANDMARKS), :2]
    for fx, fy in np.round(face).astype(int):
        assert not frame.region[fy, fx]
    # Everything above the mouth stays: hair, eyes, forehead.
    mouth_y = int(lm[C.MOUTH_LEFT, 1])
    assert not frame.region[:mouth_y].any()
    # The torso is a big part of the frame, but the region is not everything.
    assert 0.15 < frame.region.mean() < 0.7


def test_region_in_the_photo_covers_her_suit_not_her_face(astro):
    img, pose, frame = astro
    _, alpha = B.paste_back(img, frame.image, frame.region.astype(np.float32), frame.alignment)
    assert alpha[330, 200] > 0.99          # chest of the orange suit
    assert alpha[60:200, 170:280].max() == 0  # her face
    assert alpha[:40, :40].max() == 0      # the flag corner


def test_paste_back_leaves_every_pixel_outside_the_region_identical(astro):
    img, _, frame = astro
    rng = np.random.default_rng(0)
    rendered = rng.integers(0, 256, frame.image.shape, dtype=np.uint8)
    alpha = B.feather(frame.region, 3)
    out, alpha_photo = B.paste_back(img, rendered, alpha, frame.alignment)
    assert out.shape == img.shape and out.dtype == np.uint8
    outside = alpha_photo == 0
    assert outside.sum() > 0.3 * outside.size
    assert np.array_equal(out[outside], img[outside])
    inside = alpha_photo > 0.99
    assert inside.sum() > 1000
    assert np.mean(out[inside] != img[inside]) > 0.9


def test_paste_back_on_a_large_photo_only_touches_the_region(astro):
    _, pose, _ = astro
    big = np.asarray(astronaut().resize((1536, 1536)))
    pose.image_size = (1536, 1536)  # landmarks are fractions: the same pose fits the big photo
    frame = B.prepare_person(big, pose, (512, 384))
    pose.image_size = (512, 512)
    out, alpha = B.paste_back(big, np.zeros_like(frame.image), B.feather(frame.region, 4), frame.alignment)
    assert np.array_equal(out[alpha == 0], big[alpha == 0])
    assert alpha[1000, 600] > 0.99 and out[1000, 600].max() == 0


def test_feather_is_zero_outside_and_one_deep_inside():
    mask = np.zeros((60, 60), bool)
    mask[10:50, 10:50] = True
    a = B.feather(mask, 4)
    assert a.dtype == np.float32
    assert a[~mask].max() == 0.0
    assert a[30, 30] == pytest.approx(1.0, abs=1e-3)
    assert 0 < a[10, 30] < 0.5


def test_agnostic_greys_the_region_and_whitens_off_photo(astro):
    _, _, frame = astro
    out = B.agnostic_image(frame.image, frame.region, frame.valid)
    assert (out[frame.region] == B.AGNOSTIC_FILL).all()
    assert (out[~frame.valid & ~frame.region] == B.OFF_PHOTO_FILL).all()
    keep = frame.valid & ~frame.region
    assert np.array_equal(out[keep], frame.image[keep])


def _synthetic_person(skin=(200, 150, 120), top=(40, 60, 160)):
    """A 256x192 frame: a face of colour ``skin``, an arm of the same colour, a torso in ``top``."""
    image = np.full((256, 192, 3), 235, np.uint8)
    lm = np.zeros((33, 3), np.float32)
    lm[:, 2] = 1.0
    lm[C.LEFT_EYE, :2], lm[C.RIGHT_EYE, :2] = (106, 40), (86, 40)
    lm[C.MOUTH_LEFT, :2], lm[C.MOUTH_RIGHT, :2] = (102, 60), (90, 60)
    image[30:70, 80:112] = skin               # face
    image[90:170, 60:130] = top               # torso
    image[90:160, 136:150] = skin             # bare arm
    mask = np.zeros((256, 192), np.float32)
    mask[30:70, 80:112] = mask[90:170, 60:130] = mask[90:160, 136:150] = 1.0
    lm[C.LEFT_SHOULDER, :2], lm[C.RIGHT_SHOULDER, :2] = (125, 90), (65, 90)
    lm[C.LEFT_HIP, :2], lm[C.RIGHT_HIP, :2] = (115, 165), (75, 165)
    return image, mask, lm


def test_skin_is_found_by_the_face_colour_and_clothing_is_not():
    image, _, lm = _synthetic_person()
    skin = B.skin_pixels(image, lm)
    assert skin[100:150, 138:148].all()          # the arm
    assert not skin[100:160, 62:128].any()       # the blue top
    assert not skin[200:, :].any()               # the light background
    # a top the colour of skin is (rightly) found too: the renderer, not this test, decides
    beige, _, _ = _synthetic_person(top=(205, 152, 118))
    assert B.skin_pixels(beige, lm)[100:160, 62:128].mean() > 0.9
    hidden = lm.copy()
    hidden[[C.LEFT_EYE, C.RIGHT_EYE], 2] = 0.1   # a back view: no face to sample
    assert B.skin_pixels(image, hidden) is None


def test_revealed_pixels_are_background_and_skin_inside_the_region():
    image, mask, lm = _synthetic_person()
    region = np.zeros((256, 192), bool)
    region[85:175, 40:160] = True
    revealed = B.revealed_pixels(image, mask, lm, region)
    assert not revealed[~region].any()
    assert revealed[100:150, 138:148].all()      # the arm
    assert not revealed[95:165, 65:125].any()    # the top
    assert revealed[85:175, 40:50].all()         # background far from the person
    assert round(B.BACKGROUND_MARGIN * B.body_unit(lm)) == 2
    assert not revealed[100:150, [130, 131, 134, 135]].any()  # within 2 px of the person: not trusted
    assert revealed[100:150, 132:134].all()


def test_agnostic_shows_the_revealed_pixels(astro):
    _, _, frame = astro
    assert not (frame.revealed & ~frame.region).any() and frame.revealed.any()
    out = B.agnostic_image(frame.image, frame.region, frame.valid, frame.revealed)
    shown = frame.region & frame.revealed & frame.valid
    assert np.array_equal(out[shown], frame.image[shown])
    assert (out[frame.region & ~frame.revealed] == B.AGNOSTIC_FILL).all()


def test_the_network_is_shown_the_region_going_on_past_a_chest_crop_not_a_waistband(astro):
    """The astronaut cut at the chest: her suit goes on past the photo's bottom edge (as the
    network is shown it), her revealed skin does not; cut lower than
    ``CONTINUES_DOWN_TO`` of the way from the shoulders to the hips, nothing goes on."""
    photo = np.asarray(astronaut())
    for rows, goes_on in ((340, True), (512, False)):
        pose = detect_pose(photo[:rows])
        body = B.prepare_person(photo[:rows], pose)
        region, valid = body.shown_region()
        grown = valid & ~body.valid
        assert grown.any() == goes_on, rows
        assert np.array_equal(region & body.valid, body.region)
        assert not (grown & body.revealed).any()
