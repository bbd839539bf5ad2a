"""Where the new garment shows whatever the network says (tryon.sleeve_cover): the old garment,
bare arms a longer sleeve dresses, and how the try-on's region uses them
(tryon.region.parse_regions). Generated frames; with the data set, VITON photos."""

from __future__ import annotations

import numpy as np
import pytest
from images import hanging_arms_landmarks

from tryon import constants as C
from tryon.sleeve_cover import (HEM_FADE, MIN_SHOWN, OLD_ARM_SHARE, SPECK_PIXELS, arms_in_front, arms_in_photo,
                                arms_in_view, bare_arms_in_photo, covered_clothes, dressed_arms,
                                lays_sleeves, old_cuffs, shown_garment, sleeve_reaches, sleeved_arms,
                                warped_sleeves)

H, W = C.FRAME_SIZE


def _person():
    """A frontal person, arms hanging straight beside the torso; a sleeveless top.

    Returns ``(labels, landmarks)``: LIP ids ``(H, W)`` and ``(33, 3)`` frame pixels."""
    lm = hanging_arms_landmarks()
    labels = np.zeros((H, W), np.uint8)
    labels[75:200, 62:131] = C.LIP_UPPER_CLOTHES
    labels[80:195, 135:150] = C.LIP_LEFT_ARM      # image right: the person's left arm
    labels[80:195, 42:58] = C.LIP_RIGHT_ARM
    return labels, lm


def _sleeves(to_row: int) -> np.ndarray:
    """Sleeve coverage down both arms to ``to_row``."""
    alpha = np.zeros((H, W), np.float32)
    alpha[78:to_row, 132:152] = 1.0
    alpha[78:to_row, 40:60] = 1.0
    return alpha


def test_a_long_sleeve_on_a_bare_arm_hides_the_arm_it_covers():
    labels, lm = _person()
    hidden = sleeved_arms(labels, lm, _sleeves(to_row=190))
    assert hidden[150, 142] and hidden[150, 50]                    # forearms: the sleeve dresses them
    assert not hidden[labels != C.LIP_LEFT_ARM][labels[labels != C.LIP_LEFT_ARM] != C.LIP_RIGHT_ARM].any()
    assert not hidden[192:].any()                                  # below the sleeve's end: still bare


def test_a_sleeve_that_keeps_its_length_hides_nothing():
    """A short sleeve on a person whose short sleeve ends at the same place (a paired photo):
    the network's inputs stay as it was trained on."""
    labels, lm = _person()
    labels[75:110, 135:150] = C.LIP_UPPER_CLOTHES                  # the worn short sleeves
    labels[75:110, 42:58] = C.LIP_UPPER_CLOTHES
    assert not sleeved_arms(labels, lm, _sleeves(to_row=118)).any()
    reaches = sleeve_reaches(labels, lm, _sleeves(to_row=118))
    assert all(abs(new - old) < 0.5 for old, new, _ in reaches)


def test_the_worn_cuffs_are_where_the_bare_arms_begin_on_each_arm_in_view():
    """Worn short sleeves down to row 110 on both arms: each arm's cuff lies on its own arm at
    that row; an arm bare from the shoulder has its cuff there; no bare arm, no cuff."""
    labels, lm = _person()
    labels[75:110, 135:150] = C.LIP_UPPER_CLOTHES
    labels[75:110, 42:58] = C.LIP_UPPER_CLOTHES
    cuffs = old_cuffs(labels, lm)
    assert set(cuffs) == {C.LEFT_ELBOW, C.RIGHT_ELBOW}
    for elbow, arm_x in ((C.LEFT_ELBOW, 142), (C.RIGHT_ELBOW, 50)):
        x, y = cuffs[elbow]
        assert 110 <= y <= 116 and abs(x - arm_x) <= 8, (elbow, cuffs[elbow])  # (5th percentile of the bare arm)
    labels[75:110, 42:58] = C.LIP_RIGHT_ARM                         # the image-left arm bare from its shoulder
    assert cuffs[C.LEFT_ELBOW] == pytest.approx(old_cuffs(labels, lm)[C.LEFT_ELBOW])
    assert old_cuffs(labels, lm)[C.RIGHT_ELBOW][1] < 90
    labels[labels == C.LIP_RIGHT_ARM] = C.LIP_UPPER_CLOTHES        # a long worn sleeve: no cuff seen
    assert set(old_cuffs(labels, lm)) == {C.LEFT_ELBOW}


def test_dressed_arms_carry_the_new_garments_coverage_on_the_arms_it_dresses():
    labels, lm = _person()
    sleeves = _sleeves(to_row=190)
    garment = sleeves * 0.9
    garment[70:85, 30:162] = 0.9                                   # the garment's body over the shoulders
    dressed = dressed_arms(labels, lm, sleeves, garment)
    arms = np.isin(labels, (C.LIP_LEFT_ARM, C.LIP_RIGHT_ARM))
    assert dressed.dtype == np.float32
    assert (sleeved_arms(labels, lm, sleeves) <= (dressed > 0)).all()  # every arm pixel the sleeve hides
    np.testing.assert_allclose(dressed[dressed > 0], 0.9)          # the garment's own coverage there
    assert not dressed[~arms].any()                                # only bare arm pixels
    assert not dressed_arms(labels, lm, _sleeves(to_row=100), garment).any()  # a short sleeve: nothing


def test_a_short_sleeve_laid_along_a_bare_arm_dresses_it_down_to_its_end():
    """A T-shirt on a person in a sleeveless top: its sleeves were laid along the arms
    (tryon.warp's lay_sleeves), so they dress the upper arms; the garment's body beside the
    forearms does not (the arm hangs in front of it)."""
    labels, lm = _person()
    both = {"sleeve_l": (20.0, 100.0), "sleeve_r": (170.0, 100.0)}
    assert lays_sleeves(both, "short", labels, lm)
    assert not lays_sleeves(both, "long", labels, lm)                       # long ones dress without being laid
    assert not lays_sleeves({**both, "sleeve_l": None}, "short", labels, lm)  # one alone: an armhole, maybe
    sleeves = _sleeves(to_row=110)
    garment = np.maximum(sleeves, 0.0)
    garment[70:200, 40:152] = 1.0                                  # its body, wider than the torso
    dressed = dressed_arms(labels, lm, sleeves, garment, laid=True)
    assert dressed[95, 142] > 0 and dressed[95, 50] > 0            # the upper arms wear the sleeves
    assert not dressed[125:].any()                                 # the forearms stay bare
    assert dressed[111, 142] == 1.0 and not dressed[113:].any()    # shown 2 px past the sleeve's end,
                                                                   # for the photo's own hem to end it
    assert not dressed_arms(labels, lm, sleeves, garment).any()     # not laid: a short sleeve dresses nothing


def test_short_sleeves_are_not_laid_on_arms_in_sleeves():
    labels, lm = _person()
    labels[75:110, 135:150] = C.LIP_UPPER_CLOTHES                  # short sleeves
    labels[75:110, 42:58] = C.LIP_UPPER_CLOTHES
    assert not lays_sleeves({"sleeve_l": (20.0, 100.0), "sleeve_r": (170.0, 100.0)}, "short", labels, lm)


def test_short_sleeves_are_laid_on_a_wide_shouldered_sleeveless_top_bare_from_a_shoulder_on_one_side():
    """VITON 000096's sleeveless top covers one shoulder's cap (her bare arm begins 0.21 upper arms
    down) and not the other (0.0): by the arm bare from lower down she wore sleeves, and the
    T-shirts tried on her came out sleeveless. On average her arms are bare from the shoulder;
    with the cap on both sides they are not."""
    labels, lm = _person()
    labels[66:80, 135:150], labels[66:80, 42:58] = C.LIP_LEFT_ARM, C.LIP_RIGHT_ARM  # bare over the shoulders
    labels[66:86, 135:150] = C.LIP_UPPER_CLOTHES                   # but for the cap over one of them
    sleeves = {"sleeve_l": (20.0, 100.0), "sleeve_r": (170.0, 100.0)}
    reaches = [arm[0] for arm in sleeve_reaches(labels, lm, np.zeros((H, W), np.float32))]
    assert max(reaches) > 0.2 and min(reaches) < 0.05, reaches
    assert lays_sleeves(sleeves, "short", labels, lm)
    labels[66:86, 42:58] = C.LIP_UPPER_CLOTHES                     # ...and over the other
    assert not lays_sleeves(sleeves, "short", labels, lm)


def test_the_worn_tops_reach_is_measured_once_per_frame(monkeypatch):
    """lays_sleeves, lays_long_sleeves and old_cuffs ask for the same reaches on one try-on: measured
    once, again for another frame; the kept zones are read-only."""
    import tryon.sleeve_cover as sleeve_cover

    calls = []
    measure = sleeve_cover.sleeve_reaches
    monkeypatch.setattr(sleeve_cover, "sleeve_reaches", lambda *a, **k: calls.append(1) or measure(*a, **k))
    monkeypatch.setattr(sleeve_cover, "_last_worn", None)
    labels, lm = _person()
    sleeves = {"sleeve_l": (20.0, 100.0), "sleeve_r": (170.0, 100.0)}
    first = lays_sleeves(sleeves, "short", labels, lm), old_cuffs(labels, lm)
    assert lays_sleeves(sleeves, "short", labels, lm) == first[0] and len(calls) == 1
    assert not sleeve_cover.worn_reaches(labels, lm)[0][2].flags.writeable
    labels[75:110, 135:150] = labels[75:110, 42:58] = C.LIP_UPPER_CLOTHES  # another frame: short sleeves
    assert not lays_sleeves(sleeves, "short", labels, lm) and len(calls) == 2


def test_the_old_garment_is_what_it_labels_and_encloses_but_a_hand_in_front():
    labels, _ = _person()
    labels[100:106, 80:86] = C.LIP_BACKGROUND                        # a badge the parser missed
    labels[120:123, 100:103] = C.LIP_LEFT_ARM                        # a speck it called skin
    labels[150:170, 70:85] = C.LIP_RIGHT_ARM                         # a hand resting on the belly
    assert 9 < SPECK_PIXELS <= 300
    covered = covered_clothes(labels)
    assert covered.dtype == np.float32 and covered.shape == (H, W)
    assert covered[90, 100] == 1.0 and covered[103, 83] == 1.0 and covered[121, 101] == 1.0
    assert not covered[155:165, 72:83].any()                          # the hand stays in front
    assert not covered[np.isin(labels, (C.LIP_LEFT_ARM, C.LIP_RIGHT_ARM)) & (np.arange(W) > 131)].any()
    assert not covered[:70].any()                                     # nothing off the old garment


def test_the_garment_shows_over_the_old_one_only_when_the_network_hides_most_of_it():
    labels, _ = _person()
    covered = covered_clothes(labels)
    alpha = np.zeros((H, W), np.float32)
    alpha[70:180, 55:140] = 1.0                                       # the new garment covers most of it
    trusted = np.where(covered > 0, 0.8, 0.0).astype(np.float32)     # a paired photo's mask (median 0.85)
    np.testing.assert_array_equal(shown_garment(trusted, alpha, covered), trusted)
    hiding = np.where(covered > 0, MIN_SHOWN - 0.3, 0.0).astype(np.float32)  # a light top on a dark one
    shown = shown_garment(hiding, alpha, covered)
    assert (shown[covered > 0] == 1.0).all() and not shown[covered == 0].any()
    arms = np.zeros((H, W), np.float32)
    arms[150, 142] = 0.7                                              # dressed arms: always
    assert shown_garment(trusted, alpha, covered, arms)[150, 142] == np.float32(0.7)
    assert shown_garment(hiding, np.zeros_like(alpha), covered).max() == hiding.max()  # covers nothing


def test_on_a_portrait_cut_above_the_elbows_the_garment_shows_over_the_whole_old_one():
    """With no arm in view nothing lies in front of the old garment: a patch the network does not
    show the garment over (it drew a skin-coloured arm on Grace Hopper's shoulder) shows it. With
    arms in view the patch may be an arm across the body: left as the network said."""
    labels, _ = _person()
    covered = covered_clothes(labels)
    alpha = np.zeros((H, W), np.float32)
    alpha[70:180, 55:140] = 1.0
    shows = np.where(covered > 0, 0.9, 0.0).astype(np.float32)
    shows[90:120, 65:95] = 0.1                                       # the drawn arm
    assert shown_garment(shows, alpha, covered)[100, 80] == np.float32(0.1)
    shown = shown_garment(shows, alpha, covered, armless=True)
    assert (shown[covered > 0] == 1.0).all() and not shown[covered == 0].any()
    lm = hanging_arms_landmarks()
    valid = np.ones((H, W), bool)
    assert arms_in_view(lm, valid)
    valid[int(lm[C.LEFT_ELBOW, 1]) - 10:] = False                     # the photo ends above both elbows
    assert not arms_in_view(lm, valid)


def test_a_chest_up_portrait_keeps_the_bare_upper_arms_it_shows_for_the_new_sleeves():
    """A portrait cut at row 120, above the elbows (row 135), of a person in a sleeveless top:
    the upper arms it shows are bare, so the arms stay for the sleeves that dress them (left out,
    every garment came out sleeveless); the same portrait of a person in long sleeves keeps none
    (a guessed arm, bared or kept, painted a slab on the torso)."""
    labels, lm = _person()
    lm[:, 2] = 1.0
    lm[[C.LEFT_ELBOW, C.RIGHT_ELBOW, C.LEFT_WRIST, C.RIGHT_WRIST], 2] = (0.35, 0.1, 0.05, 0.05)  # guesses
    valid = np.zeros((H, W), bool)
    valid[:120] = True
    labels[120:] = C.LIP_BACKGROUND                                   # nothing parsed off the photo
    strict = arms_in_photo(lm, valid)
    assert strict[C.LEFT_ELBOW, 2] == 0.0 and strict[C.RIGHT_ELBOW, 2] == 0.0
    kept = bare_arms_in_photo(lm, valid, labels)
    np.testing.assert_allclose(kept[[C.LEFT_ELBOW, C.RIGHT_ELBOW], 2], (0.35, 0.3))   # at least seen
    np.testing.assert_allclose(kept[[C.LEFT_WRIST, C.RIGHT_WRIST], 2], (0.3, 0.3))    # off the photo too
    sleeves = _sleeves(to_row=190)
    alpha = np.maximum(sleeves, (labels == C.LIP_UPPER_CLOTHES).astype(np.float32))
    assert dressed_arms(labels, kept, sleeves, alpha)[100, 142] > 0.5          # the long sleeve dresses it
    assert not dressed_arms(labels, strict, sleeves, alpha).any()
    clothed = labels.copy()
    clothed[np.isin(labels, (C.LIP_LEFT_ARM, C.LIP_RIGHT_ARM))] = C.LIP_UPPER_CLOTHES
    np.testing.assert_array_equal(bare_arms_in_photo(lm, valid, clothed), strict)


def test_the_old_garment_below_where_the_network_ends_the_new_one_shows_the_new_one():
    """A shorter new top on a long old one: the network ends the garment at row 160, its warp
    reaches row 180, the old top row 200. The rows between 160 and 180 show the new garment (they
    were the network's blurred render: a band below the hem); the rest stays as it was."""
    labels, _ = _person()                                             # old top: rows 75-199, cols 62-130
    covered = covered_clothes(labels)
    alpha = np.zeros((H, W), np.float32)
    alpha[70:180, 55:140] = 1.0
    shows = np.where(covered > 0, 0.9, 0.0).astype(np.float32)  # shown over most of the old top
    shows[160:] = 0.0
    shows[:, 135:150] = 0.3                                           # the arms: not the old garment
    shown = shown_garment(shows, alpha, covered)
    assert (shown[163:176, 66:127] >= 0.99).all()                     # down to the warped hem
    np.testing.assert_array_equal(shown[:160 - HEM_FADE - 4], shows[:160 - HEM_FADE - 4])
    assert not shown[186:, :131].any()                                # past the warp: the old top's rows stay
    np.testing.assert_array_equal(shown[:, 135:], shows[:, 135:])     # off the old garment: as the network said


def test_no_sleeves_and_out_of_view_arms_hide_nothing():
    labels, lm = _person()
    assert not sleeved_arms(labels, lm, np.zeros((H, W), np.float32)).any()
    lm[[C.LEFT_ELBOW, C.RIGHT_ELBOW], 2] = 0.0                      # elbows not seen
    assert sleeve_reaches(labels, lm, _sleeves(to_row=190)) == [None, None]
    assert not sleeved_arms(labels, lm, _sleeves(to_row=190)).any()


def test_warped_sleeves_reads_the_sleeves_through_the_warp_grid():
    """Identity grid: the warped sleeves are the garment's own sleeve pixels, times coverage."""
    import cv2
    from kornia.geometry import create_meshgrid

    from tryon.garment_keypoints import sleeve_masks

    mask = np.zeros((H, W), np.uint8)
    mask[44:220, 60:132] = 1
    cv2.fillPoly(mask, [np.array([[60, 44], [60, 80], [20, 190], [4, 180]], np.int32)], 1)
    cv2.fillPoly(mask, [np.array([[131, 44], [131, 80], [171, 190], [187, 180]], np.int32)], 1)
    mask = mask.astype(bool)
    grid = create_meshgrid(H, W, normalized_coordinates=True)[0].numpy()
    alpha = mask.astype(np.float32)
    sleeves = warped_sleeves(mask, None, grid, alpha)
    cut = np.logical_or.reduce([m for m in sleeve_masks(mask).values() if m is not None])
    assert (sleeves > 0.5).sum() == pytest.approx(cut.sum(), rel=0.05)
    assert sleeves[150, 96] == 0.0                                 # the torso is not a sleeve
    assert not warped_sleeves(mask, None, None, alpha).any()       # no grid: no sleeves


def test_the_region_reveals_bare_arms_unless_a_longer_sleeve_covers_them():
    """parse_regions: without the sleeves (training pairs) the bare arms stay revealed; with a
    long sleeve over them, they are hidden and the network paints the sleeve."""
    from tryon.region import parse_regions

    labels, lm = _person()
    person = ((labels > 0) | (np.arange(H)[:, None] < 75) & (np.abs(np.arange(W)[None] - 96) < 25)).astype(np.float32)
    image = np.full((H, W, 3), 180, np.uint8)
    valid = np.ones((H, W), bool)
    region = np.zeros((H, W), bool)
    region[70:200, 30:162] = True     # the pose's region: torso and arms
    garment = np.zeros((H, W), np.float32)
    garment[75:200, 40:152] = 1.0
    _, revealed = parse_regions(labels, image, person, lm, region, garment, valid)
    _, dressed = parse_regions(labels, image, person, lm, region, garment, valid,
                               sleeved_arms(labels, lm, _sleeves(to_row=190)))
    assert revealed[150, 142] and not dressed[150, 142]
    assert (dressed <= revealed).all()


def test_bare_arms_no_new_sleeve_covers_are_left_in_front_of_the_garment():
    """A forearm raised across the torso and the arms beside it, in the repaint region: where no
    new sleeve covers them, none dresses them and none is painted, they are the photo's; an
    "arm" in the old top's own colours (a space suit's sleeve the parser took for an arm) is not."""
    labels, _ = _person()
    labels[120:135, 70:125] = C.LIP_LEFT_ARM              # a forearm across the torso
    region = labels > 0
    front = arms_in_front(labels, region, _sleeves(to_row=110), None, None, None)
    assert front[128, 100] and front[150, 142] and front[150, 50]   # across the torso, and below the sleeves
    assert not front[100, 142] and not front[100, 50]     # under the new short sleeves
    assert not front[labels == C.LIP_UPPER_CLOTHES].any()  # the old top is repainted
    dressed = np.zeros((H, W), np.float32)
    dressed[110:195, 40:60] = 1.0                         # a long sleeve laid down the right arm
    painted = np.zeros((H, W), bool)
    painted[110:195, 132:152] = True                      # the left arm painted bare (tryon.bare_arms)
    front = arms_in_front(labels, region, _sleeves(to_row=110), dressed, painted, None)
    assert front[128, 100] and not front[150, 50] and not front[150, 142]
    old_share = np.zeros((H, W), np.float32)
    old_share[120:135, 70:125] = OLD_ARM_SHARE + 0.1      # the "forearm" in the old top's colours
    front = arms_in_front(labels, region, _sleeves(to_row=110), None, None, old_share)
    assert not front[128, 100] and front[150, 142]
    assert not arms_in_front(labels, np.zeros((H, W), bool), None, None, None, None).any()  # outside the region


@pytest.mark.shared
def test_a_forearm_raised_across_the_torso_stays_the_photos_own_end_to_end(viton_dir, examples_dir):
    """VITON 018966 (a hand at her hair, the forearm across her black top) at 768x1024 in the
    bundled blue T-shirt: 96% of her arm pixels (VITON's parse, 2 px in from its edges) are the
    photo's own (within 12 levels); 68% when the network decided, which drew the forearm in
    speckles of the T-shirt's blue and the old top's black."""
    import cv2
    from PIL import Image

    from pipelines import TryOnPipeline

    train = viton_dir / "train"
    photo = Image.open(train / "image" / "018966_0.jpg").convert("RGB")
    photo = photo.resize((photo.width * 4, photo.height * 4), Image.LANCZOS)
    parse = np.asarray(Image.open(train / "image-parse" / "018966_0.png"))
    arms = cv2.erode(np.isin(parse, (C.LIP_LEFT_ARM, C.LIP_RIGHT_ARM)).astype(np.uint8), np.ones((5, 5), np.uint8))
    arms = cv2.resize(arms, photo.size, interpolation=cv2.INTER_NEAREST) > 0
    after = np.asarray(TryOnPipeline.from_pretrained()(photo, Image.open(examples_dir / "garments" / "tshirt_blue.jpg")).image)
    same = np.abs(after.astype(np.int32) - np.asarray(photo, np.int32)).max(-1) <= 12
    assert arms.sum() > 50000 and same[arms].mean() >= 0.9, same[arms].mean()


# ----------------------------------------------------------------------------------------
# On VITON: a long-sleeved garment on a person in a sleeveless top
# ----------------------------------------------------------------------------------------
@pytest.mark.shared
@pytest.mark.parametrize("person", ["000063", "000064"])
def test_long_sleeves_dress_bare_arms_end_to_end(viton_dir, person):
    """The bundled try-on puts a long-sleeved grey top's sleeves on bare arms: most of the
    person's arm pixels (VITON's own parse) come out nearer the garment's colour than the skin
    they were. Without the dressing 2% do (the network keeps the arms bare)."""
    from PIL import Image

    from pipelines import TryOnPipeline

    train = viton_dir / "train"
    photo = Image.open(train / "image" / f"{person}_0.jpg").convert("RGB")
    garment = Image.open(train / "cloth" / "000030_1.jpg").convert("RGB")
    arms = np.isin(np.asarray(Image.open(train / "image-parse" / f"{person}_0.png")),
                   (C.LIP_LEFT_ARM, C.LIP_RIGHT_ARM))
    in_cloth = np.asarray(Image.open(train / "cloth-mask" / "000030_1.jpg").convert("L")) >= 128
    colour = np.asarray(garment, np.float64)[in_cloth].mean(0)
    before = np.asarray(photo, np.float64)
    after = np.asarray(TryOnPipeline.from_pretrained()(photo, garment).image, np.float64)
    dressed = np.linalg.norm(after - colour, axis=-1) < np.linalg.norm(after - before, axis=-1)
    assert arms.sum() > 2000 and dressed[arms].mean() >= 0.4, dressed[arms].mean()


@pytest.mark.shared
@pytest.mark.parametrize("person", ["000025", "000029"])
def test_trousers_the_new_garment_does_not_cover_stay_the_photos_own(viton_dir, person):
    """The region takes the trousers under the new garment's warp as its room; where the garment
    does not show there, the photo's own trousers stay (within 10 levels) instead of the
    network's blurred render of them: on these two photos (their own garment) 49% and 74% of the
    trouser pixels (VITON's own parse) changed before, 13% and 16% now."""
    from PIL import Image

    from pipelines import TryOnPipeline

    train = viton_dir / "train"
    photo = Image.open(train / "image" / f"{person}_0.jpg").convert("RGB")
    garment = Image.open(train / "cloth" / f"{person}_1.jpg").convert("RGB")
    trousers = np.isin(np.asarray(Image.open(train / "image-parse" / f"{person}_0.png")), (C.LIP_PANTS, C.LIP_SKIRT))
    after = np.asarray(TryOnPipeline.from_pretrained()(photo, garment).image, np.int32)
    changed = np.abs(after - np.asarray(photo, np.int32)).max(-1) > 10
    assert trousers.sum() > 2000 and changed[trousers].mean() <= 0.25, changed[trousers].mean()


@pytest.mark.shared
@pytest.mark.parametrize("person, garment", [("000061", "tshirt_jersey_striped"), ("000063", "tshirt_white_flamingos"),
                                             ("000096", "tshirt_blue")])  # (a cap over one shoulder)
def test_a_t_shirt_on_a_sleeveless_wearer_sleeves_both_arms_end_to_end(viton_dir, person, garment, examples_dir):
    """A bundled T-shirt on a person in a sleeveless top, arms close to the body: the top fifth
    of each arm (VITON's own parse) is the sleeve's now. Before the laid sleeves lay over the
    bare arms, one arm of each stayed bare (none of its pixels changed by more than 40 levels)."""
    from PIL import Image

    from pipelines import TryOnPipeline

    train = viton_dir / "train"
    photo = Image.open(train / "image" / f"{person}_0.jpg").convert("RGB")
    parse = np.asarray(Image.open(train / "image-parse" / f"{person}_0.png"))
    after = np.asarray(TryOnPipeline.from_pretrained()(photo, Image.open(examples_dir / "garments" / f"{garment}.jpg")).image,
                       np.int32)
    changed = np.abs(after - np.asarray(photo, np.int32)).max(-1) > 40
    for label in (C.LIP_LEFT_ARM, C.LIP_RIGHT_ARM):
        arm = parse == label
        ys = np.nonzero(arm)[0]
        top = arm & (np.arange(arm.shape[0])[:, None] < ys.min() + 0.2 * (ys.max() - ys.min()))
        assert top.sum() > 50 and changed[top].mean() >= 0.5, (label, changed[top].mean())


@pytest.mark.shared
def test_a_chest_up_crop_of_a_sleeveless_wearer_gets_both_sleeves_end_to_end(viton_dir, examples_dir):
    """VITON 000063 (a sleeveless top) cut at row 129, just above her elbows, and enlarged 4x: a
    selfie to the chest. Her upper arms are the T-shirt's sleeves. Before the bare upper arms the
    portrait shows were kept for the sleeves, her elbows off the photo left both arms out and one
    stayed bare: none of the top third of her right arm changed, 67% of the left one."""
    from PIL import Image

    from pipelines import TryOnPipeline

    train = viton_dir / "train"
    cut = 129
    photo = Image.open(train / "image" / "000063_0.jpg").convert("RGB").crop((0, 0, 192, cut))
    parse = np.asarray(Image.open(train / "image-parse" / "000063_0.png"))[:cut]
    selfie = photo.resize((192 * 4, cut * 4), Image.Resampling.BICUBIC)
    result = TryOnPipeline.from_pretrained()(selfie, Image.open(examples_dir / "garments" / "tshirt_white_flamingos.jpg"))
    after = np.asarray(result.image.resize(photo.size, Image.Resampling.BOX), np.int32)
    changed = np.abs(after - np.asarray(photo, np.int32)).max(-1) > 40
    for label in (C.LIP_LEFT_ARM, C.LIP_RIGHT_ARM):
        arm = parse == label
        ys = np.nonzero(arm)[0]
        top = arm & (np.arange(cut)[:, None] < ys.min() + 0.3 * (ys.max() - ys.min()))
        assert top.sum() > 100 and changed[top].mean() >= 0.5, (label, changed[top].mean())
