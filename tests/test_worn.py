"""Garments taken from photos of people wearing them (tryon.worn), the parse-based repaint region
(tryon.region.parsed_region), and both through the pipeline, the CLI and the evaluation."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tryon import constants as C
from tryon.assets import weights_dir

needs_parser = pytest.mark.skipif(not (weights_dir() / "parser" / "model.safetensors").is_file(),
                                  reason="needs the bundled parser weights (assets/weights/parser)")


@pytest.fixture(scope="module")
def parser():
    from tryon.parse import Parser

    return Parser.from_pretrained()


@pytest.fixture(scope="module")
def astronaut(person_example):
    return np.asarray(Image.open(person_example).convert("RGB"))


class _AllArms:
    """A parser that sees arms everywhere (no garment): to test the refusals' rules alone."""

    frame_size = C.FRAME_SIZE

    def frame_labels(self, frame: np.ndarray) -> np.ndarray:
        return np.full(frame.shape[:2], C.LIP_LEFT_ARM, np.uint8)

    def labels_in(self, frame: np.ndarray, person: np.ndarray) -> np.ndarray:
        return np.where(person, self.frame_labels(frame), C.LIP_BACKGROUND).astype(np.uint8)


# ----------------------------------------------------------------------------------------
# The parse-based region
# ----------------------------------------------------------------------------------------
def _toy_body():
    """A 256x192 frame: torso labels, hair over the left shoulder, trousers below the hips, a
    long top reaching below the pose's region, and the pose region of a torso box."""
    h, w = C.FRAME_SIZE
    labels = np.zeros((h, w), np.uint8)
    labels[20:50, 70:120] = C.LIP_FACE
    labels[60:200, 50:140] = C.LIP_UPPER_CLOTHES       # a long top, down to row 200
    labels[60:110, 50:70] = C.LIP_HAIR                 # long hair over the shoulder
    labels[200:256, 55:135] = C.LIP_PANTS
    person = (labels > 0).astype(np.float32)
    landmarks = np.zeros((33, 3), np.float32)
    landmarks[:, 2] = 1.0
    landmarks[[C.LEFT_SHOULDER, C.RIGHT_SHOULDER], :2] = [(130, 65), (60, 65)]
    landmarks[[C.LEFT_HIP, C.RIGHT_HIP], :2] = [(120, 160), (70, 160)]
    landmarks[[C.LEFT_EYE, C.RIGHT_EYE], :2] = [(105, 30), (85, 30)]
    landmarks[[C.MOUTH_LEFT, C.MOUTH_RIGHT], :2] = [(100, 42), (90, 42)]
    landmarks[[C.LEFT_EAR, C.RIGHT_EAR], :2] = [(118, 32), (72, 32)]
    for hand in (C.LEFT_HAND_LANDMARKS, C.RIGHT_HAND_LANDMARKS):
        landmarks[list(hand), 2] = 0.0
    region = np.zeros((h, w), bool)
    region[60:180, 40:150] = True                      # the pose's region stops at row 180
    return labels, person, landmarks, region


def test_parsed_region_repaints_the_whole_old_garment_and_keeps_hair_and_trousers():
    from tryon.region import keep_region, parsed_region

    labels, person, landmarks, region = _toy_body()
    no_room = np.zeros(labels.shape, np.float32)
    out = parsed_region(labels, person, landmarks, region, no_room)
    top = (labels == C.LIP_UPPER_CLOTHES) & ~keep_region(landmarks, labels.shape, lower_body=False)
    assert top[190:200].any() and out[top].all()        # down to its hem at row 200, past the pose's region
    assert not out[labels == C.LIP_HAIR].any()          # hair lies in front of any garment
    assert not out[labels == C.LIP_FACE].any()
    assert not out[205:256][labels[205:256] == C.LIP_PANTS].any()
    assert not out[100:170, 145:150].any()              # background beside the person, no garment there


def test_covered_skin_is_the_neck_skin_inside_the_new_garment_and_nothing_else():
    """A scoop-necked old top shows the chest as skin (person, parser background); a crew-neck
    garment warped over it covers that skin, a little inside its outline; arms, hair and the old
    top itself are never "covered skin", and neither is skin the garment leaves bare."""
    from tryon.region import COVERED_SKIN_INSET, covered_skin

    labels, person, _, _ = _toy_body()
    labels[60:90, 75:115] = C.LIP_BACKGROUND            # the scoop neck's skin, on the person
    labels[100:180, 40:50] = C.LIP_LEFT_ARM
    person[100:180, 40:50] = 1.0
    alpha = np.zeros(labels.shape, np.float32)
    alpha[70:200, 45:145] = 1.0                         # the new garment, from row 70 down
    out = covered_skin(labels, person, alpha)
    inset = round(COVERED_SKIN_INSET * labels.shape[0])
    assert out[70 + inset + 1:90, 75:115].all()         # the chest below the new neckline
    assert not out[60:70 + inset - 1].any()             # the neck above it, and the rim, stay skin
    assert not out[labels != C.LIP_BACKGROUND].any()    # arms, hair, the old top
    assert not covered_skin(labels, np.zeros_like(person), alpha).any()   # background is not skin


def test_over_the_covered_skin_the_garment_shows_or_the_skin_does_not_a_ghost_of_both():
    """The network's mask came out halfway over the old scoop's skin under a crew-neck hoodie (a
    ghost of the scoop): steepened there about one half, elsewhere as it was."""
    from tryon.region import crisp_mask

    shows = np.full((8, 8), 0.4, np.float32)
    shows[:, 4:] = 0.6
    hidden = np.zeros((8, 8), bool)
    hidden[:4] = True
    out = crisp_mask(shows, hidden)
    assert out[0, 0] < 0.25 and out[0, 7] > 0.75                       # on the skin: one or the other
    assert out[0, 0] + out[0, 7] == pytest.approx(1.0)                 # about one half
    np.testing.assert_array_equal(out[4:], shows[4:])                  # off it: the network's
    assert crisp_mask(np.ones((8, 8), np.float32), hidden).max() == 1.0


def test_the_old_tops_strap_above_the_chin_is_repainted_but_a_collar_by_the_face_is_kept():
    """A head tilted to the shoulder puts a strap of the old top above the chin's row: kept, it
    stayed as a ghost beside the new neckline. Only the old top near the face or hair is kept."""
    from tryon.region import parsed_region

    labels, person, landmarks, region = _toy_body()
    labels[38:60, 150:160] = C.LIP_UPPER_CLOTHES        # a strap, above the chin (row 52), far from the face
    labels[50:56, 85:105] = C.LIP_UPPER_CLOTHES         # a collar under the chin
    person = (labels > 0).astype(np.float32)
    out = parsed_region(labels, person, landmarks, region, np.zeros(labels.shape, np.float32))
    assert out[40:52, 152:158].all()                    # the strap: repainted
    assert not out[50:52, 90:100].any()                 # the collar by the face: kept
    assert not out[labels == C.LIP_FACE].any() and not out[labels == C.LIP_HAIR].any()
    assert not out[:52][labels[:52] == C.LIP_BACKGROUND].any()   # above the chin, nothing else


def test_a_high_collar_reaching_the_face_stays_whole_and_a_lower_neckline_is_repainted():
    """A neckline 10 px below the face is repainted (kept, a collar ring stayed around every new
    neckline); a turtleneck up to the chin stays whole (repainted, the network drew the new
    garment up to the chin: it had no neck to go by)."""
    from tryon.region import parsed_region

    labels, person, landmarks, region = _toy_body()
    no_room = np.zeros(labels.shape, np.float32)
    assert parsed_region(labels, person, landmarks, region, no_room)[61:64, 85:105].all()
    labels[50:60, 80:110] = C.LIP_UPPER_CLOTHES          # a turtleneck, from the chin down
    person = (labels > 0).astype(np.float32)
    out = parsed_region(labels, person, landmarks, region, no_room)
    assert not out[50:64, 85:105].any()
    assert out[80:150, 75:130].all()                     # the rest of the old top: repainted


def test_parsed_region_gives_a_longer_garment_room_over_the_trousers_but_never_the_hair():
    """Within the pose's region (down to a little below the hips)."""
    from tryon.region import parsed_region

    labels, person, landmarks, region = _toy_body()
    labels[150:256, 50:140] = C.LIP_PANTS               # a short top, trousers from row 150
    room = np.zeros(labels.shape, np.float32)
    room[55:170, 45:145] = 1.0                          # the new garment reaches row 170
    out = parsed_region(labels, person, landmarks, region, room)
    assert out[150:168, 60:130].all()                   # trousers under the new garment's hem
    assert not out[185:256].any()                       # below it they stay
    assert not out[labels == C.LIP_HAIR].any()


# ----------------------------------------------------------------------------------------
# Worn or flat
# ----------------------------------------------------------------------------------------
@needs_parser
def test_a_person_is_a_wearer_but_a_flat_hoodie_that_fools_mediapipe_is_not(parser, astronaut, examples_dir):
    from tryon.pose import detect_pose
    from tryon.worn import find_wearer

    assert find_wearer(astronaut, parser) is not None
    hoodie = np.asarray(Image.open(examples_dir / "garments" / "hoodie_blue.jpg").convert("RGB"))
    detect_pose(hoodie)                                 # MediaPipe alone sees a person in it...
    assert find_wearer(hoodie, parser) is None          # ...the parser sees no face and no arms
    tshirt = np.asarray(Image.open(examples_dir / "garments" / "tshirt_blue.jpg").convert("RGB"))
    assert find_wearer(tshirt, parser) is None


@needs_parser
def test_the_face_detector_runs_once_per_worn_photo(parser, astronaut, monkeypatch):
    """find_wearer screens with the face detector and hands its faces to detect_pose."""
    from tryon import pose as pose_module
    from tryon.worn import find_wearer

    calls = []
    real = pose_module._MP.faces
    monkeypatch.setattr(pose_module._MP, "faces", lambda rgb: calls.append(rgb.shape) or real(rgb))
    wearer = find_wearer(astronaut, parser)
    assert wearer is not None and wearer.faces == 1 and len(calls) == 1


@needs_parser
def test_a_flat_garment_in_auto_is_screened_for_faces_once_and_checked_the_same(parser, examples_dir, monkeypatch):
    """auto looks for a wearer with the face detector; the garment check reuses its boxes."""
    from pipelines.design_pipeline import GARMENT_VAE_DIR
    from tryon import pose as pose_module
    from tryon.conditioning import GarmentChecker
    from tryon.worn import prepare_any_garment

    checker = GarmentChecker.from_pretrained(GARMENT_VAE_DIR)
    tshirt = Image.open(examples_dir / "garments" / "tshirt_blue.jpg")
    calls = []
    real = pose_module._MP.faces
    monkeypatch.setattr(pose_module._MP, "faces", lambda rgb: calls.append(rgb.shape) or real(rgb))
    prepared = prepare_any_garment(tshirt, None, C.FRAME_SIZE, "auto", parser)
    _, features = checker.check_with_features(prepared)
    assert prepared.source_faces == [] and len(calls) == 1
    prepared.source_faces = None                           # not known: the check looks itself
    _, again = checker.check_with_features(prepared)
    assert len(calls) == 2 and again == features


@needs_parser
def test_the_astronauts_suit_is_cut_out_and_laid_out_like_a_shop_photo(parser, astronaut):
    from tryon.pose import detect_pose
    from tryon.worn import garment_from_worn

    g = garment_from_worn(astronaut, detect_pose(astronaut), parser)
    assert g.method == "worn" and g.rgb.shape == (*C.FRAME_SIZE, 3) and g.mask.shape == C.FRAME_SIZE
    assert (g.rgb[~g.mask] == 255).all()                # on white, like VITON's in-shop photos
    colours = g.rgb[g.mask].astype(int)
    orange = (colours[:, 0] - colours[:, 2] > 80).mean()
    assert orange > 0.5, f"only {orange:.0%} of the cut-out garment is the suit's orange"
    ys, xs = np.nonzero(g.mask)
    assert ys.min() <= 0.1 * C.FRAME_HEIGHT + 1 and ys.max() >= 0.9 * C.FRAME_HEIGHT - 2  # fills the frame
    k = g.keypoints
    assert k["shoulder_l"][0] < k["neck"][0] < k["shoulder_r"][0]
    assert k["hem_l"][1] > k["shoulder_l"][1] + 0.4 * C.FRAME_HEIGHT


@needs_parser
def test_a_back_view_and_a_wearer_without_a_top_are_refused_with_one_sentence(parser, astronaut):
    from tryon.errors import GarmentError
    from tryon.pose import detect_pose
    from tryon.worn import MSG_BACK_VIEW, MSG_NO_UPPER_GARMENT, garment_from_worn

    pose = detect_pose(astronaut)
    back = detect_pose(astronaut)
    lm = back.landmarks
    lm[[C.LEFT_SHOULDER, C.RIGHT_SHOULDER]] = lm[[C.RIGHT_SHOULDER, C.LEFT_SHOULDER]]  # seen from behind
    with pytest.raises(GarmentError, match="^" + MSG_BACK_VIEW.split(";")[0]):
        garment_from_worn(astronaut, back, parser)
    with pytest.raises(GarmentError) as err:
        garment_from_worn(astronaut, pose, _AllArms())
    assert str(err.value) == MSG_NO_UPPER_GARMENT


@needs_parser
def test_pipeline_dresses_the_astronaut_from_a_worn_photo_and_keeps_hair_and_face(astronaut, examples_dir):
    from pipelines import TryOnPipeline
    from tryon.masks import erode
    from tryon.parse import parse

    pipe = TryOnPipeline.from_pretrained()
    # The astronaut as the garment photo: her own suit, cut out, tried on herself.
    out = pipe(astronaut, Image.fromarray(astronaut), output_type="np")
    assert out.steps["garment"] is not None and not any("not look like" in w for w in out.warnings)
    flat = pipe(astronaut, examples_dir / "garments" / "tshirt_blue.jpg", output_type="np")
    labels = parse(astronaut)
    for lip in (C.LIP_HAIR, C.LIP_FACE):                # the parse region never repaints them
        inner = erode(labels == lip, 6)
        assert inner.sum() > 500
        assert np.array_equal(flat.image[inner], astronaut[inner]), f"label {lip} changed"
    torso = erode(labels == C.LIP_UPPER_CLOTHES, 6)
    shirt = flat.image[torso].astype(int)
    assert (shirt[:, 2] - shirt[:, 0] > 30).mean() > 0.5    # the orange suit became blue
    suit = out.image[torso].astype(int)
    assert (suit[:, 0] - suit[:, 2] > 60).mean() > 0.5      # in its own suit it stays orange


@needs_parser
def test_worn_type_on_a_flat_photo_is_one_sentence_from_the_cli(tmp_path, person_example, examples_dir, capsys):
    from tryon.cli import main
    from tryon.worn import MSG_NO_WEARER

    code = main(["try-on", str(person_example), str(examples_dir / "garments" / "tshirt_blue.jpg"),
                 "--garment-type", "worn", "-o", str(tmp_path / "out.png")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and err == [f"error: {MSG_NO_WEARER}"]
    assert not (tmp_path / "out.png").exists()


def test_an_unknown_garment_type_is_refused():
    from pipelines import TryOnPipeline

    with pytest.raises(ValueError, match="garment_type must be one of"):
        TryOnPipeline(garment_type="hanger")


# ----------------------------------------------------------------------------------------
# On VITON: worn photos against flat photos of the same garments
# ----------------------------------------------------------------------------------------
@needs_parser
@pytest.mark.shared
def test_worn_photos_give_the_try_on_of_the_flat_photos(viton_dir, tmp_path):
    from pipelines import TryOnPipeline
    from tryon.eval_worn import evaluate_worn

    report = evaluate_worn(TryOnPipeline.from_pretrained(), viton_dir, n_val=40, limit=12,
                           out=tmp_path / "worn.json", progress=False)
    assert report["evaluated"] >= 8, report
    assert report["region_ssim"] >= 0.7, report
    assert report["transfer_worn"] >= 0.75, report
    assert (tmp_path / "worn-grid.png").is_file()


def test_parsed_region_repaints_the_old_garment_inside_the_hand_discs_but_not_the_hand():
    """A hand resting on the belly: the pose keeps a generous disc around it, which used to
    leave a ring of the old top as a ghost; the parse tells the hand from the top."""
    from tryon.region import hand_discs, parsed_region

    labels, person, landmarks, region = _toy_body()
    hand = list(C.LEFT_HAND_LANDMARKS)
    landmarks[hand, :2] = (95, 140)
    landmarks[hand, 2] = 1.0
    labels[135:145, 90:100] = C.LIP_LEFT_ARM                 # the hand itself, inside its disc
    disc = hand_discs(landmarks, labels.shape).astype(bool)
    ring = disc & (labels == C.LIP_UPPER_CLOTHES)
    assert ring.sum() > 50
    out = parsed_region(labels, person, landmarks, region & ~disc, np.zeros(labels.shape, np.float32))
    assert out[ring].all()
    assert not out[labels == C.LIP_LEFT_ARM].any()


def test_an_arm_across_a_worn_garment_is_filled_with_the_garment_not_the_arm():
    """A forearm across the waist (a crossed arm on a model photo) is a hole the mirror cannot
    fill: it is inpainted from the garment alone, without the garment's rim along the arm, whose
    pixels are the arm's colour blended in. Filled from that rim, VITON 019445's navy T-shirt got
    a brown band at the waist."""
    from tryon.worn import _fill_hidden

    navy, skin = np.array([32, 33, 44]), np.array([194, 141, 116])
    frame = np.zeros((256, 192, 3), np.uint8)
    frame[:] = (230, 230, 230)
    garment = np.zeros((256, 192), bool)
    garment[60:220, 40:152] = True
    frame[garment] = navy
    arm = np.zeros_like(garment)
    arm[130:146, 20:172] = True                       # across the whole torso: no mirror for it
    frame[arm] = skin
    for dy, share in ((1, 0.6), (2, 0.3)):          # the garment's rows beside the arm, blended
        for row in (130 - dy, 145 + dy):
            frame[row, 40:152] = (share * skin + (1 - share) * navy).astype(np.uint8)
    hidden = arm & (np.arange(192) >= 40)[None, :] & (np.arange(192) < 152)[None, :]
    out = _fill_hidden(frame, garment & ~arm, hidden, axis_x=96.0).astype(float)
    band = out[hidden | (garment & ~arm & np.isin(np.arange(256), (128, 129, 146, 147))[:, None])]
    assert np.abs(band.mean(0) - navy).max() < 12, band.mean(0)
    assert (np.linalg.norm(band - navy, axis=1) < np.linalg.norm(band - skin, axis=1)).all()


# ----------------------------------------------------------------------------------------
# Sleeves read off the wearer's arms
# ----------------------------------------------------------------------------------------
def _wearer(sleeve_to: int, garment_to: int = 175, wrist=(0, 190)):
    """A toy wearer in a 256x192 work frame, arms hanging beside the torso: landmarks, the
    garment's mask (torso down to row ``garment_to``, sleeves along the arms, merged with it,
    down to row ``sleeve_to``) and the bare arm below the sleeves. ``wrist``: the wrists' shift
    (x) and row."""
    import cv2

    h, w = C.FRAME_SIZE
    lm = np.zeros((33, 3), np.float64)
    lm[:, 2] = 1.0
    joints = {C.RIGHT_SHOULDER: (60, 60), C.LEFT_SHOULDER: (132, 60), C.RIGHT_ELBOW: (52, 125),
              C.LEFT_ELBOW: (140, 125), C.RIGHT_WRIST: (50 + wrist[0], wrist[1]),
              C.LEFT_WRIST: (142 - wrist[0], wrist[1]), C.RIGHT_HIP: (76, 170), C.LEFT_HIP: (116, 170)}
    for i, p in joints.items():
        lm[i, :2] = p
    garment = np.zeros((h, w), np.uint8)
    cv2.fillConvexPoly(garment, np.array([(58, 52), (134, 52), (134, garment_to), (58, garment_to)]), 1)
    arms = np.zeros((h, w), np.uint8)
    for sh, el, wr in ((C.RIGHT_SHOULDER, C.RIGHT_ELBOW, C.RIGHT_WRIST), (C.LEFT_SHOULDER, C.LEFT_ELBOW, C.LEFT_WRIST)):
        pts = np.round(lm[[sh, el, wr], :2]).astype(np.int32)
        cv2.polylines(arms, [pts], False, 1, thickness=20)
    rows = np.arange(h)[:, None]
    sleeves = arms.astype(bool) & (rows <= sleeve_to)
    return lm, garment.astype(bool) | sleeves, arms.astype(bool) & ~sleeves & ~garment.astype(bool)


def test_long_sleeves_hanging_along_the_arms_are_cut_from_the_torso_along_them():
    """On a photo of a long-sleeved top worn with the arms hanging, the sleeves merge with the
    torso in the silhouette: read from it, the hem lay at the cuffs and the sleeves went with the
    torso onto the new body (a short-sleeved try-on). Cut along the wearer's arms, each sleeve is
    the garment around its arm, and the hem is the torso's."""
    from tryon.alignment import body_unit
    from tryon.garment import garment_keypoints
    from tryon.sleeve_fit import near_chain
    from tryon.worn import _keypoints, _long_sleeves, _sleeve_kind

    lm, garment, bare = _wearer(sleeve_to=190, garment_to=188)
    keypoints = _keypoints(garment, lm, (bare, np.zeros_like(bare)))
    assert _sleeve_kind(keypoints, lm) == "long"
    assert keypoints["sleeve_l"][1] > 180 and keypoints["sleeve_r"][1] > 180   # at the cuffs
    cut = _long_sleeves(garment, lm, keypoints, body_unit(lm))
    assert cut is not None
    sleeves = cut[0]
    for name, ids in (("sleeve_l", (C.RIGHT_SHOULDER, C.RIGHT_ELBOW, C.RIGHT_WRIST)),
                      ("sleeve_r", (C.LEFT_SHOULDER, C.LEFT_ELBOW, C.LEFT_WRIST))):
        arm = near_chain(lm[list(ids), :2], 12, C.FRAME_SIZE)
        cut = sleeves[name]
        assert cut.sum() > 1000 and (cut & ~arm).sum() < 0.02 * cut.sum(), name   # along its own arm
        assert (arm & garment & ~cut)[lm[ids[1], 1].astype(int):].sum() < 50       # all of it below the elbow
    merged = garment_keypoints(garment)
    torso = garment_keypoints(garment & ~(sleeves["sleeve_l"] | sleeves["sleeve_r"]))
    assert merged["hem_l"][0] < 50 and merged["hem_r"][0] > 142                   # the cuffs, read as the hem
    assert 56 <= torso["hem_l"][0] <= 72 and 120 <= torso["hem_r"][0] <= 136      # the torso's own


def test_a_long_sleeve_whose_seam_lies_under_hair_is_still_cut():
    """Long hair over a shoulder (or a top whose edge lies just inside the seam placed from the
    shoulder joint) ended that sleeve's walk at its seam: no cuff, so neither long sleeve was cut
    (9 of 14 such long-sleeved VITON wearers). For a garment read long from its other sleeve, the
    missing cuff's walk goes on through hair; over a bare shoulder under hair it finds none."""
    import cv2

    from tryon.alignment import body_unit
    from tryon.worn import _keypoints, _long_sleeves, _other_cuffs, _sleeve_kind

    def under_hair(garment, bare, seam):
        hair = np.zeros(garment.shape, np.uint8)
        cv2.circle(hair, tuple(int(round(c)) for c in seam), 10, 1, -1)
        hair = hair.astype(bool)
        return garment & ~hair, (bare & ~hair, np.zeros_like(bare)), hair

    lm, garment, bare = _wearer(sleeve_to=190, garment_to=188)
    garment, arms, hair = under_hair(garment, bare, _keypoints(garment, lm)["shoulder_l"])
    strict = _keypoints(garment, lm, arms)
    assert strict["sleeve_l"] is None and _sleeve_kind(strict, lm) == "long"
    assert _long_sleeves(garment, lm, strict, body_unit(lm)) is None
    keypoints = _other_cuffs(strict, garment, lm, arms, hair)
    assert keypoints["sleeve_l"][1] > 180 and keypoints["sleeve_r"] == strict["sleeve_r"]
    assert _long_sleeves(garment, lm, keypoints, body_unit(lm)) is not None

    lm, garment, bare = _wearer(sleeve_to=0)                                      # sleeveless
    garment, arms, hair = under_hair(garment, bare, _keypoints(garment, lm)["shoulder_l"])
    assert _other_cuffs(_keypoints(garment, lm, arms), garment, lm, arms, hair)["sleeve_l"] is None


def test_a_cropped_tee_worn_has_short_sleeves():
    """A cropped T-shirt's sleeves are long beside its short body, which made a flat photo's
    proportions call them long: on a wearer they end where the bare arm begins, above the elbow."""
    from tryon.sleeves import sleeve_length
    from tryon.worn import _keypoints, _sleeve_kind

    lm, garment, bare = _wearer(sleeve_to=105, garment_to=130)
    keypoints = _keypoints(garment, lm, (bare, np.zeros_like(bare)))
    assert _sleeve_kind(keypoints, lm) == "short"
    assert 95 <= keypoints["sleeve_l"][1] <= 110                                  # where the bare arm begins
    assert sleeve_length(keypoints) > 0.6          # long by its proportions (tryon.sleeves.sleeve_kind)


def test_a_long_sleeve_bent_at_the_elbow_is_straightened():
    """Forearms turned in (hands on the belly): the warp lays each sleeve along one straight axis,
    so a copy of the forearm's part is turned about the elbow into the upper arm's line, as a shop
    photo shows a hanging sleeve; the torso keeps what the forearm covered of it, and what lay
    beside the torso is background now."""
    from tryon.alignment import body_unit
    from tryon.sleeve_fit import near_chain
    from tryon.worn import _keypoints, _long_sleeves, _sleeve_kind, _straightened

    lm, garment, bare = _wearer(sleeve_to=256, garment_to=188, wrist=(60, 150))  # ~70 degrees at the elbow
    frame = np.full((*C.FRAME_SIZE, 3), 230, np.uint8)
    frame[garment] = (30, 40, 120)                                                # a navy top
    keypoints = _keypoints(garment, lm, (bare, np.zeros_like(bare)))
    assert _sleeve_kind(keypoints, lm) == "long"
    blobs, chains = _long_sleeves(garment, lm, keypoints, body_unit(lm))
    cuff = np.array(keypoints["sleeve_l"])
    frame[blobs["sleeve_l"]] = (200, 40, 40)                                      # its left sleeve red
    out, mask, straight = _straightened(frame, garment, blobs, chains, keypoints)
    elbow, upper = chains["sleeve_l"][1], chains["sleeve_l"][1] - chains["sleeve_l"][0]
    line = np.array([elbow, elbow + 80 * upper / np.linalg.norm(upper)])          # the upper arm, on down
    along = near_chain(line, 12, C.FRAME_SIZE)
    below = np.arange(C.FRAME_HEIGHT)[:, None] > elbow[1] + 10
    assert (straight["sleeve_l"] & below & along).sum() > 300                      # the forearm, turned down
    assert ((out[..., 0] > 150) & below & along & mask).sum() > 300              # ...with its red
    moved = np.array(keypoints["sleeve_l"])
    assert np.linalg.norm(moved - elbow) == pytest.approx(np.linalg.norm(cuff - elbow), abs=2)
    assert abs(np.cross(moved - elbow, upper)) / np.linalg.norm(upper) < 3        # the cuff on that line
    old_fore = near_chain(chains["sleeve_l"][1:], 5, C.FRAME_SIZE) & garment
    assert mask[old_fore & (np.arange(C.FRAME_WIDTH)[None, :] > 70)].all()       # over the torso: kept
    assert not (straight["sleeve_l"] & old_fore & ~along).any()                  # ...as torso, not sleeve


@needs_parser
@pytest.mark.shared
def test_long_sleeves_from_a_worn_photo_dress_the_forearms(viton_dir):
    """VITON 000049 wears a black long-sleeved top, arms hanging; tried on 000011 (a short-sleeved
    tee, bare forearms), the sleeves reach her wrists. Before they were cut along the wearer's
    arms, 8% of her forearms turned black: the sleeves went with the torso."""
    from pipelines import TryOnPipeline
    from tryon.parse import parse
    from tryon.pose import detect_pose

    photo = np.asarray(Image.open(viton_dir / "train" / "image" / "000011_0.jpg").convert("RGB"))
    out = TryOnPipeline.from_pretrained()(photo, viton_dir / "train" / "image" / "000049_0.jpg",
                                          garment_type="worn", output_type="np")
    lm = detect_pose(photo).pixels()
    rows = np.arange(photo.shape[0])[:, None]
    below_elbows = rows > max(lm[C.LEFT_ELBOW, 1], lm[C.RIGHT_ELBOW, 1])
    above_wrists = rows < max(lm[C.LEFT_WRIST, 1], lm[C.RIGHT_WRIST, 1])
    forearms = np.isin(parse(photo), C.LIP_ARMS) & below_elbows & above_wrists
    assert forearms.sum() > 500
    black = (out.image[forearms].astype(int).mean(axis=1) < 90).mean()
    assert black > 0.6, f"only {black:.0%} of the forearms are in the black sleeves"
