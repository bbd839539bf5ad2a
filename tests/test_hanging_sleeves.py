"""Long sleeves that hang beside the body on the garment photo (tryon.garment_keypoints.hanging_sleeves,
tryon.sleeves.hang_sleeves): cut out of the torso, laid down the arms to the wrists, and the arms
they dress lit as the garment is. Drawn garments and frames; the bundled long-sleeved T-shirt."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from images import ROOT, hanging_arms_landmarks
from PIL import Image

from tryon import constants as C
from tryon.composite import shading_map
from tryon.garment import prepare_garment
from tryon.garment_keypoints import analyse_mask, hanging_sleeves, sleeve_masks
from tryon.sleeve_cover import dressed_arms
from tryon.sleeves import hang_sleeves, load_reader, sleeve_kind
from tryon import warp as warp_module
from tryon.warp import MEASURED_LENGTHS, warp_garment

H, W = C.FRAME_SIZE
BODY = (45, 147)       # the drawn torso's columns, in the 256x192 frame
SLEEVE_W = 22          # each drawn sleeve's width, px


def _shirt(cuff_y: int, seam: bool = True) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """A long-sleeved shirt laid flat, its sleeves hanging straight down against its sides (one
    outline with the torso), a darker seam line between each sleeve and the body.

    Returns ``(rgb (H, W, 3) uint8 on white, mask (H, W) bool, {"sleeve_l": drawn sleeve, ...})``."""
    rgb = np.full((H, W, 3), 255, np.uint8)
    x0, x1 = BODY
    torso = np.array([(x0, 45), (80, 32), (112, 32), (x1, 45), (x1, 225), (x0, 225)], np.int32)
    cv2.fillPoly(rgb, [torso], (70, 110, 170))
    drawn = {}
    for name, (a, b) in (("sleeve_l", (x0 - SLEEVE_W, x0)), ("sleeve_r", (x1, x1 + SLEEVE_W))):
        sleeve = np.zeros((H, W), np.uint8)
        top = [(a + 6, 48), (b, 45)] if name == "sleeve_l" else [(a, 45), (b - 6, 48)]   # shoulders slope out
        cv2.fillPoly(sleeve, [np.array([*top, (b, cuff_y), (a, cuff_y)], np.int32)], 1)
        rgb[sleeve > 0] = (70, 110, 170)
        drawn[name] = sleeve > 0
        if seam:
            rgb[60:cuff_y, (b if name == "sleeve_l" else a) - 1:(b if name == "sleeve_l" else a) + 1] = (35, 55, 85)
    mask = (rgb != 255).any(axis=2)
    return rgb, mask, drawn


@pytest.mark.parametrize("cuff_y", [205, 225], ids=["cuffs_above_the_hem", "cuffs_at_the_hem"])
def test_sleeves_hanging_against_the_body_are_cut_out_of_it(cuff_y):
    rgb, mask, drawn = _shirt(cuff_y)
    assert analyse_mask(mask).keypoints["sleeve_l"] is None       # the outline alone shows no sleeve
    assert analyse_mask(mask).keypoints["sleeve_r"] is None
    analysis = hanging_sleeves(rgb, mask)
    assert analysis is not None and analysis.hanging
    cut = sleeve_masks(mask, analysis)
    for name in ("sleeve_l", "sleeve_r"):
        got, want = cut[name], drawn[name]
        assert got is not None, name
        iou = (got & want).sum() / (got | want).sum()
        assert iou >= 0.75, (name, iou)                           # the drawn sleeve, not a slice of the body
        assert analysis.keypoints[name][1] >= cuff_y - 20         # its end is the cuff
    kp = analysis.keypoints
    assert BODY[0] - 4 <= kp["shoulder_l"][0] < kp["shoulder_r"][0] <= BODY[1] + 4   # the torso's shoulders
    assert kp["sleeve_l"][0] < kp["hem_l"][0] < kp["hem_r"][0] < kp["sleeve_r"][0]


def test_a_plain_body_is_cut_only_when_its_sleeves_are_known():
    """A box with no seam and no sleeve beyond its hem: nothing shows a sleeve, so nothing is cut,
    unless the caller knows the garment has long sleeves (then at the usual width)."""
    rgb, mask, _ = _shirt(225, seam=False)
    assert hanging_sleeves(rgb, mask) is None
    assumed = hanging_sleeves(rgb, mask, assume=True)
    assert assumed is not None
    assert all(assumed.keypoints[n] is not None for n in ("sleeve_l", "sleeve_r"))


def test_garments_whose_mask_shows_their_sleeves_are_left_alone():
    rgb = np.full((H, W, 3), 255, np.uint8)
    from images import TSHIRT

    cv2.fillPoly(rgb, [TSHIRT], (200, 40, 40))
    mask = (rgb != 255).any(axis=2)
    assert hanging_sleeves(rgb, mask, assume=True) is None


def test_hanging_sleeves_are_laid_down_the_arms_to_the_wrists(monkeypatch):
    rgb, mask, _ = _shirt(205)
    analysis = hanging_sleeves(rgb, mask)
    lm = hanging_arms_landmarks()
    warped = warp_garment(rgb, mask, analysis.keypoints, lm, analysis, MEASURED_LENGTHS)
    for elbow, wrist in ((C.LEFT_ELBOW, C.LEFT_WRIST), (C.RIGHT_ELBOW, C.RIGHT_WRIST)):
        e, w = lm[elbow, :2], lm[wrist, :2]
        near_wrist = (0.1 * e + 0.9 * w).round().astype(int)
        assert warped.alpha[near_wrist[1], near_wrist[0]] > 0.5, near_wrist   # the sleeve reaches the wrist
    # ...worn narrower than it lies flat (a flat sleeve is half its round)
    monkeypatch.setattr(warp_module, "HANGING_WIDTH", 1.0)
    flat = warp_garment(rgb, mask, analysis.keypoints, lm, analysis, MEASURED_LENGTHS)
    y = int((lm[C.LEFT_ELBOW, 1] + lm[C.LEFT_WRIST, 1]) / 2)       # the forearm, away from the torso
    worn, as_flat = (np.count_nonzero(a[y, 132:] > 0.5) for a in (warped.alpha, flat.alpha))
    assert 0.6 * as_flat <= worn <= 0.9 * as_flat, (worn, as_flat)


def test_the_bundled_long_sleeved_t_shirt_gets_its_hanging_sleeves():
    """longsleeve_grey_print.jpg: its sleeves hang beside its body on the photo; the sleeve reader
    says long, and the sleeves are cut out so that they are laid along the arms."""
    reader = load_reader(ROOT / "assets" / "weights" / "sleeve-reader")
    prepared = prepare_garment(Image.open(ROOT / "assets" / "examples" / "garments" / "longsleeve_grey_print.jpg"))
    assert prepared.keypoints["sleeve_l"] is None and prepared.keypoints["sleeve_r"] is None
    prepared.sleeves = sleeve_kind(prepared, reader)
    assert prepared.sleeves == "long"
    assert hang_sleeves(prepared)
    assert prepared.analysis.hanging
    assert prepared.keypoints["sleeve_l"] is not None and prepared.keypoints["sleeve_r"] is not None
    # a short-sleeved garment is never cut
    tee = prepare_garment(Image.open(ROOT / "assets" / "examples" / "garments" / "tshirt_blue.jpg"))
    tee.sleeves = sleeve_kind(tee, reader)
    assert tee.sleeves == "short" and not hang_sleeves(tee)


def test_a_whole_long_sleeve_dresses_the_forearm_in_front_of_the_body():
    """A forearm folded up in front of the torso: a sleeve laid down the whole arm dresses it
    (left bare, it showed as skin patches inside the sleeve); by default only what lies beside."""
    lm = hanging_arms_landmarks()
    lm[C.LEFT_WRIST, :2] = (100, 100)                              # the forearm comes up over the chest
    labels = np.zeros((H, W), np.uint8)
    labels[75:200, 62:131] = C.LIP_UPPER_CLOTHES
    cv2.line(labels, tuple(int(v) for v in lm[C.LEFT_SHOULDER, :2]), tuple(int(v) for v in lm[C.LEFT_ELBOW, :2]),
             int(C.LIP_LEFT_ARM), 12)
    cv2.line(labels, tuple(int(v) for v in lm[C.LEFT_ELBOW, :2]), (100, 100), int(C.LIP_LEFT_ARM), 12)
    sleeve = (labels == C.LIP_LEFT_ARM).astype(np.float32)
    sleeve = cv2.dilate(sleeve, np.ones((5, 5), np.uint8))
    front = (110, 112)                                             # (y, x) on the forearm, over the torso
    assert labels[front] == C.LIP_LEFT_ARM
    assert dressed_arms(labels, lm, sleeve, sleeve, whole=True)[front] > 0.5
    assert dressed_arms(labels, lm, sleeve, sleeve)[front] == 0.0


def test_bare_skin_a_sleeve_dresses_does_not_light_it():
    """A light arm beside a dark top: the shading that lights the new garment is 1 on the arm
    (it lit a new sleeve white), and the top's own folds still shade it."""
    person = np.full((H, W, 3), 40, np.uint8)
    person[:, 130:160] = 220                                       # the bare arm
    person[100:110, 60:120] = 20                                   # a fold in the top
    alpha = np.ones((H, W), np.float32)
    arm = np.zeros((H, W), bool)
    arm[:, 130:160] = True
    plain = shading_map(person, alpha)
    lit = shading_map(person, alpha, neutral=arm)
    assert plain[128, 145] > 1.05                                  # without: the arm lights the sleeve
    assert abs(lit[128, 145] - 1.0) < 0.02
    assert lit[105, 90] < 0.97                                     # the fold still shades
    assert np.array_equal(shading_map(person, alpha, neutral=np.zeros((H, W), bool)), plain)


def test_without_an_edge_a_sleeve_beside_a_narrow_hem_is_cut_no_wider_than_a_sleeve():
    """A shop photo seen at an angle: its far side is narrow at the hem, so the outline lies far
    beyond the hem's end; with no edge to go by, the cut stops at HANG_WIDTH of the width."""
    from tryon.garment_keypoints import HANG_WIDTH

    rgb = np.full((H, W, 3), 255, np.uint8)
    body = np.array([(20, 40), (150, 40), (150, 225), (75, 225), (20, 200)], np.int32)   # the far side slants in at the hem
    cv2.fillPoly(rgb, [body], (70, 110, 170))
    mask = (rgb != 255).any(axis=2)
    assert analyse_mask(mask).keypoints["sleeve_l"] is None
    analysis = hanging_sleeves(rgb, mask, assume=True)
    assert analysis is not None and analysis.hanging
    cut = sleeve_masks(mask, analysis)["sleeve_l"]
    assert cut is not None
    width = np.median(mask.sum(axis=1)[mask.any(axis=1)])
    assert cut.sum(axis=1).max() <= HANG_WIDTH * width + 2


def _spread_long_sleeves() -> tuple[np.ndarray, np.ndarray]:
    """A long-sleeved top laid flat with its sleeves spread down and out: ``(rgb, mask)``."""
    rgb = np.full((H, W, 3), 255, np.uint8)
    poly = np.array([(78, 40), (60, 44), (30, 60), (6, 200), (26, 204), (46, 100), (46, 220), (146, 220),
                     (146, 100), (166, 204), (186, 200), (162, 60), (132, 44), (114, 40), (96, 52)], np.int32)
    cv2.fillPoly(rgb, [poly], (120, 60, 90))
    return rgb, (rgb != 255).any(axis=2)


def test_long_sleeves_the_mask_shows_are_laid_to_the_wrists_on_bare_arms_only():
    from tryon.garment_keypoints import sleeve_length
    from tryon.sleeve_cover import lays_long_sleeves

    rgb, mask = _spread_long_sleeves()
    analysis = analyse_mask(mask)
    assert sleeve_length(analysis.keypoints) >= 0.6                # the mask shows long sleeves
    lm = hanging_arms_landmarks()
    bare = np.zeros((H, W), np.uint8)
    bare[75:200, 62:131] = C.LIP_UPPER_CLOTHES                     # a sleeveless top...
    bare[80:195, 135:150] = C.LIP_LEFT_ARM                         # ...bare arms from the shoulder
    bare[80:195, 42:58] = C.LIP_RIGHT_ARM
    sleeved = bare.copy()
    sleeved[80:186, 135:150] = C.LIP_UPPER_CLOTHES                 # long sleeves down to the wrists
    sleeved[80:186, 42:58] = C.LIP_UPPER_CLOTHES
    assert lays_long_sleeves("long", bare, lm)
    assert not lays_long_sleeves("long", sleeved, lm)              # a person in long sleeves: as trained
    assert not lays_long_sleeves("short", bare, lm)
    warped = warp_garment(rgb, mask, analysis.keypoints, lm, analysis, MEASURED_LENGTHS, to_wrists=True)
    for elbow, wrist in ((C.LEFT_ELBOW, C.LEFT_WRIST), (C.RIGHT_ELBOW, C.RIGHT_WRIST)):
        near_wrist = (0.1 * lm[elbow, :2] + 0.9 * lm[wrist, :2]).round().astype(int)
        assert warped.alpha[near_wrist[1], near_wrist[0]] > 0.5, near_wrist
