"""Arms a shorter new sleeve bares (tryon.bare_arms): where, in what tone, and what is left
alone. Generated frames; with the data set, VITON photos of people in long-sleeved tops."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from images import hanging_arms_landmarks

from tryon import constants as C
from tryon.alignment import Alignment, body_unit
from tryon.bare_arms import (OUTER_FRINGE, SHADE, UPPER_LUMA, arms_in_photo_pixels, bared_arms, kept_sleeves,
                             paint_bare_arms, skin_tone, upper_tone)

H, W = C.FRAME_SIZE
HAND = (201, 160, 140)
FACE = (180, 140, 120)
TOP = (20, 20, 60)
SHORT = "short"   # tryon.sleeves.sleeve_kind of a T-shirt
HEM_ROWS = 3      # frame px below the new sleeve's end within which the painted arm is whole


def _person():
    """A frontal person in a long-sleeved top, arms hanging straight beside the torso, hands
    bare below the wrists. Returns ``(image, labels, landmarks, person_mask)``."""
    lm = hanging_arms_landmarks()
    labels = np.zeros((H, W), np.uint8)
    labels[75:200, 62:131] = C.LIP_UPPER_CLOTHES
    labels[78:195, 132:152] = C.LIP_UPPER_CLOTHES   # the sleeves, down to the wrists
    labels[78:195, 40:60] = C.LIP_UPPER_CLOTHES
    labels[195:215, 134:152] = C.LIP_LEFT_ARM       # the hands
    labels[195:215, 40:58] = C.LIP_RIGHT_ARM
    labels[30:70, 80:112] = C.LIP_FACE
    image = np.full((H, W, 3), 235, np.uint8)
    image[labels == C.LIP_UPPER_CLOTHES] = TOP
    image[np.isin(labels, (C.LIP_LEFT_ARM, C.LIP_RIGHT_ARM))] = HAND
    image[labels == C.LIP_FACE] = FACE
    return image, labels, lm, (labels > 0).astype(np.float32)


def _garment(sleeve_to: int | None) -> tuple[np.ndarray, np.ndarray]:
    """The new garment's coverage on the torso, and its sleeves down to row ``sleeve_to``
    (None: sleeveless). Returns ``(garment_alpha, sleeve_alpha)``."""
    body = np.zeros((H, W), np.float32)
    body[75:200, 62:131] = 1.0
    sleeves = np.zeros((H, W), np.float32)
    if sleeve_to is not None:
        sleeves[78:sleeve_to, 132:153] = 1.0
        sleeves[78:sleeve_to, 39:60] = 1.0
    return np.maximum(body, sleeves), sleeves


def test_a_t_shirt_on_long_sleeves_bares_the_forearms_in_the_persons_own_tone():
    image, labels, lm, person = _person()
    alpha, sleeves = _garment(sleeve_to=110)
    bare = bared_arms(image, labels, lm, person, alpha, sleeves, SHORT)
    assert bare is not None
    assert bare.skin[160, 142] == 1.0 and bare.skin[160, 50] == 1.0   # forearms: skin
    assert not bare.skin[:110][sleeves[:110] > 0].any()              # under the new sleeves: none
    assert not bare.skin[:, 70:122].any()                            # the torso keeps the garment
    np.testing.assert_allclose(bare.tone, HAND, atol=1)              # read off the hands, not the face
    ones = np.ones((H, W), np.float32)
    painted, shows, keeps = paint_bare_arms(np.full((H, W, 3), 90, np.uint8), bare, ones, ones, image)
    assert abs(shows[160, 142]) < 1e-6 and abs(keeps[160, 142]) < 1e-6 and shows[100, 96] == 1.0
    # On the arm's axis: the hand's tone down by the wrist, the upper arm's just below the new sleeve
    upper = upper_tone(np.array(HAND, np.float32), np.array(FACE, np.float32))
    assert np.abs(painted[185, 144].astype(float) - HAND).max() <= 2
    assert np.abs(painted[118, 137].astype(float) - upper).max() <= 2
    assert np.abs(upper - HAND).max() >= 8                            # (they differ: a gradient, not one tone)
    assert 0.75 * painted[160, 142, 0] <= painted[160, 137, 0] < painted[160, 142, 0]  # darker towards its edge
    near = cv2.dilate(((bare.skin > 0) | bare.fill).astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    untouched = ~near                                                # beyond the arms' softened edges
    assert (painted[untouched] == 90).all()                          # nothing else changes


def test_an_upper_arm_is_lit_about_as_the_face_is():
    """Hands and forearms are often in shade: painted in their tone, a pale wearer's upper arms
    came out grey-mauve. The upper arm's tone mixes the hand's with the face's, at least nearly
    as bright as the face; a darker face leaves the mix as it is."""
    luma = np.array([0.299, 0.587, 0.114])
    shaded_hand, pale_face = np.array([168, 135, 138], np.float32), np.array([222, 193, 191], np.float32)
    upper = upper_tone(shaded_hand, pale_face)
    assert upper @ luma >= UPPER_LUMA * (pale_face @ luma) - 0.5
    mixed = (shaded_hand + pale_face) / 2
    np.testing.assert_allclose(upper / upper.sum(), mixed / mixed.sum(), atol=1e-3)  # the mix's chromaticity
    dark_face = np.array([150, 110, 90], np.float32)
    np.testing.assert_allclose(upper_tone(shaded_hand, dark_face), (shaded_hand + dark_face) / 2, atol=0.5)
    np.testing.assert_allclose(upper_tone(shaded_hand, None), shaded_hand)


def test_a_painted_arm_is_as_wide_as_a_bare_arm_not_a_plank():
    """VITON's bare arms are about 0.09 U in half width at mid-forearm (the median of 400
    training photos' parse maps, :data:`tryon.bare_arms.ARM_RADII`); painted 0.12 U wide there,
    arms in a T-shirt on a long-sleeved wearer were planks."""
    image, labels, lm, person = _person()
    alpha, sleeves = _garment(sleeve_to=110)
    bare = bared_arms(image, labels, lm, person, alpha, sleeves, SHORT)
    half = (bare.skin[160, 120:170] >= 0.5).sum() / 2 / body_unit(lm)   # across the left forearm
    assert 0.07 <= half <= 0.1


def test_a_forearm_across_the_torso_in_a_long_sleeve_is_bared_in_front_of_the_new_garment():
    """The person's left forearm crosses in front of the torso in the long sleeve (its wrist in
    the torso, the hand bare there): under a T-shirt it is painted in front of the new garment
    (left to the network, it was a blurred band, or the garment over a forearm raised to the chin:
    VITON 000030). A wrist MediaPipe is unsure of (behind the back?) gets no such arm."""
    image, labels, lm, person = _person()
    lm[C.LEFT_WRIST, :2] = (100, 150)                     # elbow (140, 135) -> wrist in the torso
    labels[150:160, 92:104] = C.LIP_LEFT_ARM              # the hand there, bare
    image[150:160, 92:104] = HAND
    labels[195:215, 134:152] = C.LIP_UPPER_CLOTHES        # (no hand hanging below the elbow)
    image[195:215, 134:152] = TOP
    alpha, sleeves = _garment(sleeve_to=110)
    bare = bared_arms(image, labels, lm, person, alpha, sleeves, SHORT)
    assert bare is not None and bare.skin[142, 120] == 1.0        # the forearm in front: skin
    assert bare.skin[155, 98] == 0.0                              # the bare hand stays the photo's
    assert bare.skin[120, 90] == 0.0 and bare.skin[180, 96] == 0.0  # the rest of the torso: the garment
    lm[C.LEFT_WRIST, 2] = 0.5
    unsure = bared_arms(image, labels, lm, person, alpha, sleeves, SHORT)
    assert unsure is None or unsure.skin[142, 120] == 0.0


def test_a_sleeve_as_long_as_the_old_one_bares_nothing():
    """A paired photo: the person shown with the garment they wear."""
    image, labels, lm, person = _person()
    alpha, sleeves = _garment(sleeve_to=195)
    assert bared_arms(image, labels, lm, person, alpha, sleeves, SHORT) is None


def test_a_long_sleeved_garment_warped_short_bares_nothing():
    """Its own photo shows long sleeves: a warp a little short (a paired photo) is no reason."""
    image, labels, lm, person = _person()
    alpha, sleeves = _garment(sleeve_to=110)
    assert bared_arms(image, labels, lm, person, alpha, sleeves, "long") is None
    assert bared_arms(image, labels, lm, person, alpha, sleeves, None) is None


def test_a_sleeveless_top_bares_the_whole_arm_beside_the_torso():
    image, labels, lm, person = _person()
    alpha, sleeves = _garment(sleeve_to=None)
    bare = bared_arms(image, labels, lm, person, alpha, sleeves, "sleeveless")
    assert bare is not None
    assert bare.skin[100, 137] == 1.0 and bare.skin[100, 55] == 1.0   # the upper arms too (on their axes)
    assert bare.skin[160, 142] == 1.0 and not bare.skin[:, 70:122].any()


def test_a_sleeveless_top_bares_short_old_sleeves_too():
    """A tank top on a person in a T-shirt is worn alone: the T-shirt's short sleeves become arms
    (they were kept, the tank top worn over them as over a shirt). A T-shirt on the same person
    still bares nothing."""
    image, labels, lm, person = _person()
    for side, cols in ((C.LIP_LEFT_ARM, np.s_[132:152]), (C.LIP_RIGHT_ARM, np.s_[40:60])):
        labels[110:195, cols] = side                     # bare arms below the T-shirt's sleeves
    image[np.isin(labels, (C.LIP_LEFT_ARM, C.LIP_RIGHT_ARM))] = HAND
    alpha, sleeves = _garment(sleeve_to=None)
    bare = bared_arms(image, labels, lm, person, alpha, sleeves, "sleeveless")
    assert bare is not None
    assert bare.skin[95, 136] == 1.0 and bare.skin[95, 56] == 1.0   # the old short sleeves: arms (on their axes)
    assert not bare.skin[:, 70:122].any()                            # the torso keeps the garment
    alpha, sleeves = _garment(sleeve_to=108)
    assert bared_arms(image, labels, lm, person, alpha, sleeves, SHORT) is None


def test_a_sleeveless_top_bares_the_shoulders_tops_beside_its_straps():
    """A tank top whose straps lie below the old top's shoulder line, on a person in a
    long-sleeved top: the old top between the neck's side and each shoulder joint is skin (left
    to the network, it came out as background). A T-shirt fitted as low bares no shoulder."""
    image, labels, lm, person = _person()
    body = np.zeros((H, W), np.float32)
    body[92:200, 62:131] = 1.0                           # the tank top, from below the shoulder line
    none = np.zeros((H, W), np.float32)
    bare = bared_arms(image, labels, lm, person, body, none, "sleeveless")
    assert bare is not None
    assert bare.skin[80, 118] == 1.0 and bare.skin[80, 74] == 1.0   # the shoulders' tops
    assert bare.shade[80, 118] > bare.shade[88, 118]                 # shaded as a cylinder along them
    assert not bare.skin[92:, 70:122].any()                          # the tank top stays
    sleeves = np.zeros((H, W), np.float32)
    sleeves[78:110, 132:153] = sleeves[78:110, 39:60] = 1.0
    bare = bared_arms(image, labels, lm, person, np.maximum(body, sleeves), sleeves, SHORT)
    assert bare is not None and not bare.skin[75:92, 70:122].any()


def test_a_garment_whose_sleeves_cannot_be_told_bares_nothing():
    """No sleeve found and the reader unsure: they may hang beside its body in the photo."""
    image, labels, lm, person = _person()
    alpha, sleeves = _garment(sleeve_to=None)
    assert bared_arms(image, labels, lm, person, alpha, sleeves, None) is None


def test_an_arm_without_an_old_sleeve_along_it_is_left_alone():
    """Below the new sleeve the old garment must fill the arm: a bare forearm the parser sees
    (or a garment's body beside the arm) is no old sleeve."""
    image, labels, lm, person = _person()
    labels[120:195, 132:152] = C.LIP_LEFT_ARM           # the person's left arm bare from the elbow
    image[120:195, 132:152] = HAND
    alpha, sleeves = _garment(sleeve_to=110)
    bare = bared_arms(image, labels, lm, person, alpha, sleeves, SHORT)
    assert bare is not None and bare.skin[160, 50] == 1.0 and not bare.skin[:, 125:].any()


def test_three_quarter_sleeves_are_bared_too():
    """Old sleeves that end halfway down the forearms fill about half the arm below a T-shirt's
    sleeve (down to the hand): still an old sleeve (at the old 60% they were left to the network,
    which drew the T-shirt's colour as bands at the elbows)."""
    image, labels, lm, person = _person()
    for side, cols in ((C.LIP_LEFT_ARM, np.s_[132:152]), (C.LIP_RIGHT_ARM, np.s_[40:60])):
        labels[155:195, cols] = side                     # bare forearms below the 3/4 sleeves
    image[np.isin(labels, (C.LIP_LEFT_ARM, C.LIP_RIGHT_ARM))] = HAND
    alpha, sleeves = _garment(sleeve_to=110)
    bare = bared_arms(image, labels, lm, person, alpha, sleeves, SHORT)
    assert bare is not None
    assert bare.skin[135, 142] == 1.0 and bare.skin[135, 50] == 1.0   # the old sleeves' lower half
    assert not bare.skin[:110][sleeves[:110] > 0].any()


def _three_quarter_sleeves(left=HAND, right=HAND):
    """:func:`_person` in 3/4 sleeves: bare forearms from row 155 to the hands, the person's
    left one in ``left``, the right one in ``right``."""
    image, labels, lm, person = _person()
    for side, cols, tone in ((C.LIP_LEFT_ARM, np.s_[132:152], left), (C.LIP_RIGHT_ARM, np.s_[40:60], right)):
        labels[155:195, cols] = side
        image[155:195, cols] = tone
    return image, labels, lm, person


def test_each_arm_is_painted_in_the_tone_of_its_own_skin_below_the_old_cuff():
    """Light falls differently on each arm: a painted arm in the hands' tone met its own
    forearm at the old cuff with a step in colour (by eye: a pink upper arm on a peach forearm)."""
    lit, shaded = (230, 185, 160), (160, 115, 95)
    image, labels, lm, person = _three_quarter_sleeves(left=lit, right=shaded)
    alpha, sleeves = _garment(sleeve_to=110)
    bare = bared_arms(image, labels, lm, person, alpha, sleeves, SHORT)
    assert bare is not None
    ones = np.ones((H, W), np.float32)
    painted, _, _ = paint_bare_arms(np.full((H, W, 3), 90, np.uint8), bare, ones, ones, image)
    for (y, x), tone in (((153, 141), lit), ((153, 51), shaded)):     # just above the old cuffs: left, right arm
        assert np.abs(painted[y, x] - np.array(tone) * bare.shade[y, x]).max() <= 2
    np.testing.assert_allclose(bare.tone, skin_tone(image, labels), atol=1e-3)  # the person's, for the rest
    for paint in bare.paints:   # higher up, each arm's tone mixed with the face's (upper_tone)
        np.testing.assert_allclose(paint.upper, upper_tone(paint.colour, np.array(FACE, np.float32)), atol=1e-3)


def test_an_old_sleeve_the_parser_calls_arm_never_gives_the_painted_arm_its_colour():
    """A long red sleeve whose lower part the parser calls arm (VITON 000068 at 768x1024): that
    arm's "own tone" was the sleeve's red, and a T-shirt bared her forearms in red. A tone far
    from the person's skin in colour is not the arm's own; pixels in the old garment's colours
    are never skin."""
    red = (170, 28, 26)
    image, labels, lm, person = _three_quarter_sleeves(left=red)
    alpha, sleeves = _garment(sleeve_to=110)
    bare = bared_arms(image, labels, lm, person, alpha, sleeves, SHORT)
    assert bare is not None
    np.testing.assert_allclose(bare.tone, HAND, atol=1)   # the hands' (the red is old-coloured)
    ones = np.ones((H, W), np.float32)
    painted, _, _ = paint_bare_arms(np.full((H, W, 3), 90, np.uint8), bare, ones, ones, image)
    upper = upper_tone(np.array(HAND, np.float32), np.array(FACE, np.float32))
    lo, hi = np.minimum(upper, HAND) - 2, np.maximum(upper, HAND) + 2
    for y, x in ((153, 141), (153, 51)):   # both arms: between the upper arm's and the hands' tones, no red
        tone = painted[y, x] / bare.shade[y, x]
        assert ((tone >= lo) & (tone <= hi)).all(), painted[y, x]
    paints = {paint.arm: paint.colour for paint in bare.paints}
    assert all(np.abs(colour - np.array(HAND)).max() <= 1 for colour in paints.values()), paints
    assert all(np.abs(paint.upper - upper).max() <= 1 for paint in bare.paints)
    old = np.all(image == red, axis=-1)                   # told, the red pixels give no tone at all
    told = bared_arms(image, labels, lm, person, alpha, sleeves, SHORT, old_coloured=old)
    np.testing.assert_allclose(told.tone, HAND, atol=1)
    # ...and they are the sleeve, told or not (far from the face's colour): that arm is bared down to the
    # hand (VITON 000119's red sleeve, whose lower part the parser called arm, ended the painted arm in
    # a block at the elbow; 000068's red sleeves, their edges called arm, were left to the network)
    assert bare.skin[175, 143] == 1.0 and told.skin[175, 143] == 1.0


def test_an_arm_in_the_old_tops_colours_is_its_sleeve_even_in_a_skin_tone():
    """A peach sleeve's lower part the parser calls arm is near the skin in colour: only the
    old top's colours tell it (``old_coloured``). Untold, it is a bare forearm below a 3/4 sleeve."""
    peach = (214, 160, 128)
    image, labels, lm, person = _three_quarter_sleeves(left=peach)
    alpha, sleeves = _garment(sleeve_to=110)
    untold = bared_arms(image, labels, lm, person, alpha, sleeves, SHORT)
    told = bared_arms(image, labels, lm, person, alpha, sleeves, SHORT, old_coloured=np.all(image == peach, axis=-1))
    assert untold.skin[175, 143] == 0.0 and told.skin[175, 143] == 1.0


def test_the_old_cuffs_rim_is_painted_over_and_the_forearms_outline_below_it_is_left():
    """The cuff's dark rim, which the parser calls arm, drew a dark ring where the painted arm met
    the forearm; below the cuff, the forearm's outline the parser calls background is no old
    sleeve (refilled from around it, it drew a dashed dark line along the forearm)."""
    image, labels, lm, person = _three_quarter_sleeves()
    image[155:157, 132:152] = image[155:157, 40:60] = (30, 25, 40)    # the rim, labelled arm
    labels[165:195, 152] = C.LIP_BACKGROUND                            # the forearm's outline
    person[165:195, 152] = 1.0
    alpha, sleeves = _garment(sleeve_to=110)
    bare = bared_arms(image, labels, lm, person, alpha, sleeves, SHORT)
    assert bare is not None
    assert bare.skin[155, 142] == 1.0 and bare.skin[155, 50] == 1.0   # the rim: painted
    assert not bare.skin[175:195, 142].any()                          # the forearm: the photo's
    assert not bare.fill[175:195, 152].any() and not bare.skin[175:195, 152].any()


def test_an_arm_covered_beside_a_bare_one_is_no_sleeve():
    """The other arm bare from the shoulder: the person's top is sleeveless, so what covers this
    arm is its body, or the arm hides behind it (two paired validation photos bared such arms)."""
    image, labels, lm, person = _person()
    labels[78:195, 40:60] = C.LIP_RIGHT_ARM             # the person's right arm bare from the shoulder
    image[78:195, 40:60] = HAND
    alpha, sleeves = _garment(sleeve_to=None)
    assert bared_arms(image, labels, lm, person, alpha, sleeves, "sleeveless") is None


def test_without_visible_skin_nothing_is_painted():
    image, labels, lm, person = _person()
    labels[np.isin(labels, (C.LIP_LEFT_ARM, C.LIP_RIGHT_ARM, C.LIP_FACE))] = C.LIP_BACKGROUND
    assert skin_tone(image, labels) is None
    alpha, sleeves = _garment(sleeve_to=110)
    assert bared_arms(image, labels, lm, person, alpha, sleeves, SHORT) is None


def test_the_face_gives_the_tone_when_no_arm_is_bare():
    image, labels, _, _ = _person()
    labels[np.isin(labels, (C.LIP_LEFT_ARM, C.LIP_RIGHT_ARM))] = C.LIP_BACKGROUND
    np.testing.assert_allclose(skin_tone(image, labels), FACE, atol=1)


# ----------------------------------------------------------------------------------------
# On VITON: a short-sleeved garment on people in long-sleeved tops
# ----------------------------------------------------------------------------------------
FOREARM_ROWS = 50   # 256x192 photo rows above a hand that its forearm spans


def _old_sleeves_above_hands(parse: np.ndarray) -> np.ndarray:
    """``(H, W)`` bool: the old top's pixels in the :data:`FOREARM_ROWS` above each hand blob."""
    hands = np.isin(parse, (C.LIP_LEFT_ARM, C.LIP_RIGHT_ARM))
    forearms = np.zeros(hands.shape, bool)
    n, _, stats, _ = cv2.connectedComponentsWithStats(hands.astype(np.uint8))
    for x, y, w, _, area in stats[1:]:
        if area >= 30:
            forearms[max(0, y - FOREARM_ROWS):y, x:x + w] = True
    return forearms & (parse == C.LIP_UPPER_CLOTHES)


def _skin_share(viton_dir, person: str, garment, colour) -> float:
    """Share of the old sleeves above the hands of VITON ``person`` that the bundled try-on with
    ``garment`` makes nearer the hands' tone than the garment's ``colour``."""
    from PIL import Image

    from pipelines import TryOnPipeline

    train = viton_dir / "train"
    photo = Image.open(train / "image" / f"{person}_0.jpg").convert("RGB")
    parse = np.asarray(Image.open(train / "image-parse" / f"{person}_0.png"))
    tone = np.median(np.asarray(photo, np.float64)[np.isin(parse, (C.LIP_LEFT_ARM, C.LIP_RIGHT_ARM))], 0)
    forearms = _old_sleeves_above_hands(parse)
    assert forearms.sum() > 500
    after = np.asarray(TryOnPipeline.from_pretrained()(photo, garment).image, np.float64)
    skin = np.linalg.norm(after - tone, axis=-1) < np.linalg.norm(after - colour, axis=-1)
    return float(skin[forearms].mean())


@pytest.mark.shared
def test_short_sleeves_bare_long_sleeved_arms_end_to_end(viton_dir):
    """The bundled try-on, a blue short-sleeved VITON T-shirt on a person in a grey
    long-sleeved top: over the old sleeves above her hands (VITON's own parse), 94% of the
    pixels come out nearer her hands' tone than the T-shirt's blue; 63% without (the network
    paints the T-shirt's colour down towards the wrists)."""
    garment, colour = _viton_garment(viton_dir, "000259_1.jpg")
    share = _skin_share(viton_dir, "000338", garment, colour)
    assert share >= 0.8, share


def _viton_garment(viton_dir, name: str):
    """A VITON garment photo and its mean colour on its cloth-mask."""
    from PIL import Image

    cloth = viton_dir / "train" / "cloth"
    garment = Image.open(cloth / name).convert("RGB")
    in_cloth = np.asarray(Image.open(cloth.parent / "cloth-mask" / name).convert("L")) >= 128
    return garment, np.asarray(garment, np.float64)[in_cloth].mean(0)


@pytest.mark.shared
def test_a_sleeveless_top_bares_long_sleeved_arms_end_to_end(viton_dir):
    """An orange sleeveless VITON top (of a validation pair: the sleeve reader never saw it; its
    mask shows no sleeve, the reader reads it sleeveless) on a person in a black long-sleeved top:
    80% of the old sleeves above her hands come out nearer her hands' tone than the top's orange;
    41% without the reader (the network paints the orange down the old sleeves)."""
    garment, colour = _viton_garment(viton_dir, "018972_1.jpg")
    share = _skin_share(viton_dir, "000281", garment, colour)
    assert share >= 0.7, share


@pytest.mark.shared
def test_long_sleeves_hidden_in_the_photo_bare_nothing_end_to_end(viton_dir):
    """A black VITON top whose sleeves hang beside its body in the photo (no sleeve on its mask;
    the reader reads it long-sleeved) on a person in a grey long-sleeved top keeps her arms
    clothed: 10% of the old sleeves above her hands come out nearer her hands' tone than the
    top's black (read sleeveless, they would be bared)."""
    garment, colour = _viton_garment(viton_dir, "018924_1.jpg")
    share = _skin_share(viton_dir, "000338", garment, colour)
    assert share <= 0.3, share


EDGE_REACH = 24  # photo px beside the old sleeves (VITON's parse) where the painted arms' sides lie


def _arm_edge_width(viton_dir, person: str, garment, full_resolution: bool) -> float:
    """Photo px over which the luma falls from the background's to the painted arm's (20% to 80%
    of the way to its darkest) across the outer side of the arm on the photo's left, the median
    over the rows of the old sleeve above that hand, on VITON ``person`` enlarged :data:`ENLARGE`
    times (768x1024) tried on in ``garment``."""
    from PIL import Image

    from pipelines import TryOnPipeline

    train = viton_dir / "train"
    photo = Image.open(train / "image" / f"{person}_0.jpg").convert("RGB")
    parse = np.asarray(Image.open(train / "image-parse" / f"{person}_0.png"))
    photo = photo.resize((photo.width * ENLARGE, photo.height * ENLARGE), Image.LANCZOS)
    band = cv2.resize(_old_sleeves_above_hands(parse).astype(np.uint8), photo.size, interpolation=cv2.INTER_NEAREST) > 0
    band[:, photo.width // 2:] = False                   # the arm on the photo's left
    result = np.asarray(TryOnPipeline.from_pretrained(full_resolution=full_resolution)(photo, garment).image)
    luma = cv2.cvtColor(result, cv2.COLOR_RGB2GRAY).astype(np.float32)
    widths = []
    for row in np.nonzero(band.any(1))[0]:
        cols = np.nonzero(band[row])[0]
        profile = luma[row, max(0, cols[0] - EDGE_REACH):(cols[0] + cols[-1]) // 2]
        background, darkest = profile[:4].mean(), profile.min()
        fall = background - darkest
        widths.append(np.argmax(profile < background - 0.8 * fall) - np.argmax(profile < background - 0.2 * fall))
    return float(np.median(widths))


@pytest.mark.shared
def test_bared_arms_are_drawn_at_the_photos_resolution_end_to_end(viton_dir):
    """A blue T-shirt on a person in a grey long-sleeved top, at 768x1024: the bared forearm's
    outer side is drawn on the photo's own pixels, the background falling to the arm over 1 photo
    px (median over its rows); 4 px when the same try-on is pasted from the frame, and 4 px, too,
    when the arms were painted in the frame and enlarged with the rest (a blurred plank)."""
    garment, _ = _viton_garment(viton_dir, "000259_1.jpg")
    sharp = _arm_edge_width(viton_dir, "000338", garment, full_resolution=True)
    soft = _arm_edge_width(viton_dir, "000338", garment, full_resolution=False)
    assert sharp <= 0.5 * soft, (sharp, soft)


def test_the_background_just_beyond_a_bared_sleeves_outer_side_is_refilled_too():
    """The old sleeve's outer edge, at the photo's resolution, lay on the region's seam (a faint
    dashed outline of it beside the bared arm): the background :data:`OUTER_FRINGE` frame px beyond
    it is refilled with what lies behind, so the seam falls on the background."""
    image, labels, lm, person = _person()
    alpha, sleeves = _garment(sleeve_to=110)
    bare = bared_arms(image, labels, lm, person, alpha, sleeves, SHORT)
    row = 160
    edge = 152                                            # the left sleeve's outer side ends at column 151
    assert labels[row, edge] == C.LIP_BACKGROUND
    assert bare.fill[row, edge:edge + OUTER_FRINGE].all() and bare.outer[row, edge:edge + OUTER_FRINGE].all()
    assert not bare.fill[row, edge + OUTER_FRINGE + 1:].any()   # the background farther out stays the photo's
    assert not bare.fill[row, 62:131].any()                      # the torso's side is no background


def test_a_thread_of_the_new_sleeve_down_the_side_is_no_sleeve():
    """The spline can pull a short sleeve's underarm edge into a 1 px thread down the torso's
    side (a blue T-shirt on VITON's 018955): the sleeve still ends where its cloth ends."""
    image, labels, lm, person = _person()
    alpha, sleeves = _garment(sleeve_to=110)
    sleeves[110:190, 146] = 1.0                          # a thread down the left arm
    alpha = np.maximum(alpha, sleeves)
    bare = bared_arms(image, labels, lm, person, alpha, sleeves, SHORT)
    assert bare is not None and bare.skin[160, 142] == 1.0 and bare.skin[160, 50] == 1.0


def test_the_painted_arm_starts_at_a_crisp_hem_below_the_new_sleeve():
    """The new sleeve ends in a hem: the painted arm is whole a few pixels below it. Faded in
    over a fifth of the upper arm, it let the sleeve melt into the skin over 40 photo px (the
    pink T-shirt on VITON's 018979 at 768x1024); one soft pixel keeps a step from showing."""
    image, labels, lm, person = _person()
    alpha, sleeves = _garment(sleeve_to=110)
    bare = bared_arms(image, labels, lm, person, alpha, sleeves, SHORT)
    column = bare.skin[110:160, 142]
    first = int(np.argmax(column > 0))
    assert 0.0 < column[first] < 1.0                        # one soft row...
    assert np.all(column[first + HEM_ROWS:] == 1.0)         # ...and the arm is whole right below it
    assert np.all(np.diff(column) >= -1e-6)


def test_a_dark_cuff_the_parser_calls_background_is_bared_too():
    """The parser often misses a dark cuff: background on the person's own mask. Left alone, it
    stayed as a ghost of the old sleeve at the wrist; it is painted as the arm, and the same
    pixels off the person's mask (the photo's background) are not."""
    image, labels, lm, person = _person()
    labels[165:195, 132:152] = C.LIP_BACKGROUND    # the left forearm's lower sleeve, missed
    person[165:195, 132:152] = 0.0                 # and off the person's mask: the photo's background
    alpha, sleeves = _garment(sleeve_to=110)
    bare = bared_arms(image, labels, lm, person, alpha, sleeves, SHORT)
    assert bare.skin[180, 142] == 0.0                                   # left alone
    person[165:195, 132:152] = 1.0                                     # MediaPipe sees the arm there
    bare = bared_arms(image, labels, lm, person, alpha, sleeves, SHORT)
    assert bare.skin[180, 142] == 1.0 and bare.skin[160, 142] == 1.0
    assert bare.skin[180, 50] == 1.0                                   # the other arm as before


def test_a_garment_without_sleeves_leaves_the_old_sleeves_as_they_are():
    """A vest or a camisole on a person in a long-sleeved top is worn over it: the old sleeves
    beside the torso are kept (the pipeline takes them out of the repaint region); the old top's
    body is not. On a person whose arms are bare from the shoulder (a sleeveless old top) nothing
    is kept: its armholes would stay beside the new garment."""
    image, labels, lm, person = _person()
    kept = kept_sleeves(labels, lm, person)
    assert kept[120, 142] and kept[160, 50]                        # the sleeves, upper arm and forearm
    assert not kept[:, 80:112].any()                               # the torso is the new garment's
    assert not kept[labels != C.LIP_UPPER_CLOTHES].any()           # only the old top's pixels
    bare = labels.copy()
    bare[(labels == C.LIP_UPPER_CLOTHES) & ((np.arange(W) < 62) | (np.arange(W) > 131))[None, :]] = C.LIP_LEFT_ARM
    assert not kept_sleeves(bare, lm, person).any()


@pytest.mark.shared
def test_a_vest_whose_sleeves_cannot_be_told_is_worn_over_the_old_sleeves_end_to_end(viton_dir, examples_dir):
    """The bundled quilted vest (no sleeve on its mask; the reader is unsure, so no arm is
    bared) on a person in a white long-sleeved top: her sleeves stay as the photo has them (the
    old top's outer fifths on each side, within 10 levels: 92%); before, the network painted
    them as the vest's navy 3/4 sleeves (3%)."""
    from PIL import Image

    from pipelines import TryOnPipeline

    train = viton_dir / "train"
    photo = Image.open(train / "image" / "000030_0.jpg").convert("RGB")
    parse = np.asarray(Image.open(train / "image-parse" / "000030_0.png"))
    after = np.asarray(TryOnPipeline.from_pretrained()(photo, Image.open(examples_dir / "garments" /
                                                                         "vest_navy_quilted.jpg")).image, np.int32)
    old = parse == C.LIP_UPPER_CLOTHES
    cols = np.nonzero(old.any(0))[0]
    x0, x1 = cols.min(), cols.max()
    sides = np.zeros(old.shape, bool)
    sides[:, :x0 + (x1 - x0) // 5] = sides[:, x1 - (x1 - x0) // 5:] = True
    unchanged = np.abs(after - np.asarray(photo, np.int32)).max(-1) <= 10
    assert (old & sides).sum() > 1000 and unchanged[old & sides].mean() >= 0.8, unchanged[old & sides].mean()


def test_an_arm_whose_elbow_is_off_the_photo_is_neither_bared_nor_kept():
    """A portrait cut off at the chest: MediaPipe guesses elbows below the photo's edge, and the
    arm painted along such a guess was a skin-coloured slab on the torso."""
    from tryon.sleeve_cover import arms_in_photo

    image, labels, lm, person = _person()
    alpha, sleeves = _garment(sleeve_to=None)
    valid = np.ones((H, W), bool)
    assert np.array_equal(arms_in_photo(lm, valid), lm)                 # elbows in the photo: as they were
    elbow_row = int(round(lm[C.LEFT_ELBOW, 1]))
    valid[elbow_row - 5:] = False                                       # the photo ends above the elbows
    cut = arms_in_photo(lm, valid)
    assert cut[C.LEFT_ELBOW, 2] == 0 and cut[C.RIGHT_ELBOW, 2] == 0
    assert np.array_equal(np.delete(cut, [C.LEFT_ELBOW, C.RIGHT_ELBOW], 0),
                          np.delete(lm, [C.LEFT_ELBOW, C.RIGHT_ELBOW], 0))
    assert bared_arms(image, labels, lm, person, alpha, sleeves, "sleeveless") is not None
    assert bared_arms(image, labels, cut, person, alpha, sleeves, "sleeveless") is None
    assert not kept_sleeves(labels, cut, person).any()


def test_the_bared_old_sleeve_shows_what_lies_behind_the_person_beside_the_arm():
    """Beyond the painted arm, on its far side from the torso, the old sleeve becomes the photo's
    background, not the render filled in (a lighter fringe and the network's blurred sleeve
    beside the arm); between the arm and the torso the render, filled in, stays (an arm held
    against the body shows no background beside it)."""
    image, labels, lm, person = _person()
    alpha, sleeves = _garment(sleeve_to=110)
    bare = bared_arms(image, labels, lm, person, alpha, sleeves, SHORT)
    assert bare is not None and bare.outer[160, 151] and bare.fill[160, 133] and not bare.outer[160, 133]
    ones = np.ones((H, W), np.float32)
    painted, _, _ = paint_bare_arms(np.full((H, W, 3), 90, np.uint8), bare, ones, ones, image)
    assert np.abs(painted[160, 151].astype(int) - 235).max() <= 8   # the photo's background (235)
    assert (painted[160, 133] <= 100).all()                          # the render's (90), filled in


def test_the_old_sleeve_under_the_new_garment_shows_the_garment_down_to_the_elbow():
    """The network drew the old sleeve's shadow under a T-shirt's sleeve beside the painted arm (a
    dark patch at the armpit): there the garment shows. Below the elbow (a forearm across the
    body) the old cuff's edge showed the garment as a bracelet: left as it was."""
    image, labels, lm, person = _person()
    alpha, sleeves = _garment(sleeve_to=110)
    bare = bared_arms(image, labels, lm, person, alpha, sleeves, SHORT)
    assert bare is not None and bare.dress[100, 141] and not bare.dress[140:].any()   # the elbows: row 135
    low = np.full((H, W), 0.2, np.float32)
    _, shows, _ = paint_bare_arms(np.full((H, W, 3), 90, np.uint8), bare, low, low, image)
    assert shows[100, 141] == 1.0 and shows[60, 96] == pytest.approx(0.2)


ENLARGE = 4  # photo px per frame px: a 768x1024 photo of the frame's 192x256


def _edge_width(profile: np.ndarray) -> int:
    """Photo px over which a coverage ``profile`` (along a row, out of the arm) falls from 0.95 to 0.05."""
    inside = np.nonzero(profile >= 0.95)[0].max()
    outside = inside + np.nonzero(profile[inside:] <= 0.05)[0].min()
    return int(outside - inside)


def test_arms_drawn_at_the_photos_resolution_have_a_crisp_rounded_edge():
    """On a photo 4x the frame, the painted arm is drawn on the photo's own pixels: its outer edge
    falls off within a few photo px, where the frame's arm, enlarged, took a whole frame px and
    more (a blurred plank with the frame's steps); and it is shaded across its own silhouette."""
    image, labels, lm, person = _person()
    alpha, sleeves = _garment(sleeve_to=110)
    bare = bared_arms(image, labels, lm, person, alpha, sleeves, SHORT)
    alignment = Alignment(np.array([[1.0 / ENLARGE, 0, 0], [0, 1.0 / ENLARGE, 0]]), (H, W), (W * ENLARGE, H * ENLARGE))
    drawn = arms_in_photo_pixels(bare, alignment, (0, 0, W * ENLARGE, H * ENLARGE))
    assert len(drawn) == 2                                # one piece per arm
    coverage, colour = np.zeros((H * ENLARGE, W * ENLARGE), np.float32), np.zeros((H * ENLARGE, W * ENLARGE, 3))
    for (x0, y0, x1, y1), cover, shaded in drawn:
        coverage[y0:y1, x0:x1], colour[y0:y1, x0:x1] = cover, shaded
    row = 160 * ENLARGE                                   # across the forearms
    enlarged = cv2.resize(np.maximum(bare.skin, cv2.GaussianBlur(bare.skin, (0, 0), 0.8)), (W * ENLARGE, H * ENLARGE),
                          interpolation=cv2.INTER_LINEAR)
    left = 142 * ENLARGE                                  # the left arm's axis, out to its outer edge
    assert _edge_width(coverage[row, left:]) <= 3
    assert _edge_width(enlarged[row, left:]) >= 2 * ENLARGE
    lit = colour[row, left - 30:left + 31, 0]
    cover = coverage[row, left - 30:left + 31]
    middle = lit[cover > 0.99]
    upper = upper_tone(np.array(HAND, np.float32), np.array(FACE, np.float32))[0]
    tone = middle.max()                                   # lit as its tone in the middle (between the upper
    assert min(upper, HAND[0]) - 2 <= tone <= max(upper, HAND[0]) + 2   # arm's and the hand's)...
    assert middle.min() < tone - 10                       # ...darker towards its sides...
    assert middle.min() >= (1.0 - SHADE) * tone - 1       # ...by at most SHADE
    assert coverage[100 * ENLARGE, left] == 0.0           # under the new sleeve: none
    assert not coverage[:, 70 * ENLARGE:122 * ENLARGE].any()  # the torso keeps the garment


def test_arms_left_to_the_photos_resolution_are_not_painted_in_the_frame():
    """``paint=False``: the frame render keeps the refill under the arm (the composition draws
    the arm at the photo's resolution), and the masks are cut as when it is painted."""
    image, labels, lm, person = _person()
    alpha, sleeves = _garment(sleeve_to=110)
    bare = bared_arms(image, labels, lm, person, alpha, sleeves, SHORT)
    ones = np.ones((H, W), np.float32)
    render = np.full((H, W, 3), 90, np.uint8)
    painted, shows, keeps = paint_bare_arms(render, bare, ones, ones, image)
    refilled, shows2, keeps2 = paint_bare_arms(render, bare, ones, ones, image, paint=False)
    np.testing.assert_array_equal(shows, shows2)
    np.testing.assert_array_equal(keeps, keeps2)
    assert np.abs(painted[160, 142] - bare.colour[160, 142] * bare.shade[160, 142]).max() <= 2
    assert np.abs(refilled[160, 142].astype(float) - HAND).max() > 40   # no arm: what lies under it
