"""The landmark thin-plate spline."""

import json

import cv2
import numpy as np
import pytest
import torch

import torch.nn.functional as F

from tryon import garment_keypoints as keypoints_module
from tryon.alignment import body_unit
from tryon.garment_keypoints import analyse_mask, garment_keypoints, sleeve_masks
from tryon.sleeve_fit import near_chain, sleeve_axis
from tryon.warp import (FOLD_TOLERANCE, MEASURED_LENGTHS, OLD_CUFF_MAX_PAST, OLD_CUFF_OVERLAP, OLD_HEM_MAX_BELOW_HIP, PHOTO_LENGTHS, LengthScales,
                        body_targets, fold_fraction, named_targets, tps_grid, tps_warp, trained_lengths, warp_garment,
                        worn_lengths)

H, W = 256, 192
SRC = np.array([[96, 40], [50, 44], [142, 44], [24, 100], [168, 100], [48, 220], [144, 220]], np.float32)
DST = np.array([[98, 48], [40, 50], [156, 46], [30, 126], [170, 118], [36, 236], [160, 230]], np.float32)


def _dots(points: np.ndarray) -> torch.Tensor:
    ys, xs = torch.meshgrid(torch.arange(H, dtype=torch.float32), torch.arange(W, dtype=torch.float32), indexing="ij")
    img = torch.zeros(len(points), H, W)
    for i, (x, y) in enumerate(points):
        img[i] = torch.exp(-((xs - x) ** 2 + (ys - y) ** 2) / (2 * 2.0 ** 2))
    return img[None]


def _peak(channel: torch.Tensor) -> np.ndarray:
    """Sub-pixel peak: the intensity-weighted centre of the 7x7 window around the max."""
    y, x = divmod(int(channel.argmax()), W)
    win = channel[max(0, y - 3): y + 4, max(0, x - 3): x + 4]
    yy, xx = torch.meshgrid(torch.arange(win.shape[0]), torch.arange(win.shape[1]), indexing="ij")
    return np.array([(xx * win).sum() / win.sum() + max(0, x - 3), (yy * win).sum() / win.sum() + max(0, y - 3)])


def test_tps_maps_each_keypoint_to_its_target_within_2px():
    out = tps_warp(_dots(SRC), torch.from_numpy(SRC)[None], torch.from_numpy(DST)[None])
    for i, target in enumerate(DST):
        err = np.linalg.norm(_peak(out[0, i]) - target)
        assert err <= 2.0, f"keypoint {i}: {err:.2f} px off"


def test_tps_with_equal_points_is_the_identity():
    img = torch.rand(1, 3, H, W)
    out = tps_warp(img, torch.from_numpy(SRC)[None], torch.from_numpy(SRC)[None])
    assert torch.allclose(out, img, atol=1e-3)


def _upright_landmarks() -> np.ndarray:
    lm = np.zeros((33, 3), np.float32)
    lm[:, 2] = 1.0
    lm[11] = (126, 85, 1)  # left shoulder (image right)
    lm[12] = (66, 85, 1)   # right shoulder (image left)
    lm[13], lm[14] = (140, 140, 1), (52, 140, 1)  # elbows
    lm[15], lm[16] = (146, 190, 1), (46, 190, 1)  # wrists
    lm[23], lm[24] = (116, 200, 1), (76, 200, 1)  # hips
    return lm


def test_body_targets_put_shoulders_on_the_shoulders_and_sleeves_on_the_arms():
    kp = {"neck": (96, 40), "shoulder_l": (50, 44), "shoulder_r": (142, 44), "sleeve_l": (24, 100),
          "sleeve_r": (168, 100), "hem_l": (48, 220), "hem_r": (144, 220)}
    src, dst = body_targets(kp, _upright_landmarks())
    assert src.shape == dst.shape == (7, 2)
    neck, sl, sr, hl, hr, vl, vr = dst
    assert sl[0] < 66 < 126 < sr[0] and sl[1] < 85 and sr[1] < 85   # outside and above the joints
    assert neck[0] == pytest.approx(96, abs=1)
    assert hl[1] > 150 and hr[1] > 150 and hl[0] < 76 and hr[0] > 116  # hem below, at least hip-wide
    assert vl[0] < 66 and vl[1] > 85 and vr[0] > 126 and vr[1] > 85     # sleeves go down the arms


def test_missing_sleeves_and_hidden_arms_are_left_out():
    kp = {"neck": (96, 40), "shoulder_l": (50, 44), "shoulder_r": (142, 44), "sleeve_l": None,
          "sleeve_r": (168, 100), "hem_l": (48, 220), "hem_r": (144, 220)}
    lm = _upright_landmarks()
    lm[11, 2] = lm[13, 2] = 0.0  # the image-right arm is not visible
    src, _ = body_targets(kp, lm)
    assert len(src) == 5


def test_warp_garment_keeps_the_garment_inside_the_frame():
    rgb = np.full((H, W, 3), 255, np.uint8)
    mask = np.zeros((H, W), bool)
    mask[44:220, 50:142] = True
    rgb[mask] = (10, 200, 30)
    kp = {"neck": (96, 44), "shoulder_l": (50, 44), "shoulder_r": (142, 44), "sleeve_l": None,
          "sleeve_r": None, "hem_l": (50, 219), "hem_r": (141, 219)}
    out = warp_garment(rgb, mask, kp, _upright_landmarks())
    assert out.rgb.shape == (H, W, 3) and out.alpha.shape == (H, W)
    assert 0.0 <= out.alpha.min() and out.alpha.max() <= 1.0
    assert out.alpha.sum() > 0.5 * mask.sum()
    covered = out.alpha > 0.9
    assert np.abs(out.rgb[covered].astype(int) - (10, 200, 30)).max() <= 2


def _fold(src: np.ndarray, dst: np.ndarray, mask: np.ndarray) -> float:
    grid = tps_grid(torch.from_numpy(src)[None].float(), torch.from_numpy(dst)[None].float(), (H, W))
    alpha = F.grid_sample(torch.from_numpy(mask[None, None].astype(np.float32)), grid, align_corners=True)
    return fold_fraction(grid[0], alpha[0, 0])


def test_a_fit_that_folds_the_garment_lets_the_sleeves_go():
    """Long sleeves spread flat, hands in front of the belly: the cuffs' targets cross the hem's,
    and the full spline shows half the garment mirrored; the warp must not."""
    rgb = np.full((H, W, 3), 255, np.uint8)
    mask = np.zeros((H, W), bool)
    mask[44:220, 50:142] = mask[44:200, 8:50] = mask[44:200, 142:184] = True
    rgb[mask] = (10, 200, 30)
    kp = {"neck": (96, 44), "shoulder_l": (50, 44), "shoulder_r": (142, 44), "sleeve_l": (10, 198),
          "sleeve_r": (182, 198), "hem_l": (50, 219), "hem_r": (141, 219)}
    lm = _upright_landmarks()
    lm[15], lm[16] = (118, 175, 1), (74, 175, 1)
    src, dst = body_targets(kp, lm)
    assert _fold(src, dst, mask) > 0.3  # the full fit folds
    out = warp_garment(rgb, mask, kp, lm)
    assert len(out.src) < len(src)
    assert _fold(out.src, out.dst, mask) <= FOLD_TOLERANCE
    assert out.alpha.sum() > 0.5 * mask.sum()


def test_an_unfolded_fit_keeps_every_keypoint():
    rgb = np.full((H, W, 3), 255, np.uint8)
    mask = np.zeros((H, W), bool)
    mask[44:220, 50:142] = mask[44:110, 20:50] = mask[44:110, 142:172] = True
    kp = {"neck": (96, 44), "shoulder_l": (50, 44), "shoulder_r": (142, 44), "sleeve_l": (24, 100),
          "sleeve_r": (168, 100), "hem_l": (50, 219), "hem_r": (141, 219)}
    out = warp_garment(rgb, mask, kp, _upright_landmarks())
    assert len(out.src) == 7 and _fold(out.src, out.dst, mask) <= FOLD_TOLERANCE
    laid = warp_garment(rgb, mask, kp, _upright_landmarks(), lay_sleeves=True)   # asked: laid all the same
    assert not np.array_equal(laid.grid, out.grid)


def _sleeved_garment(left: list[list[int]], right: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """A top laid flat with the sleeve polygons ``left`` and ``right``: green torso, red sleeves."""
    m = np.zeros((H, W), np.uint8)
    m[44:220, 60:132] = 1
    for polygon in (left, right):
        cv2.fillPoly(m, [np.array(polygon, np.int32)], 1)
    mask = m.astype(bool)
    rgb = np.full((H, W, 3), 255, np.uint8)
    rgb[mask] = (10, 200, 30)
    for sleeve in sleeve_masks(mask).values():
        assert sleeve is not None, "both sleeves are found"
        rgb[sleeve] = (220, 20, 20)
    return rgb, mask


def _long_sleeve_garment() -> tuple[np.ndarray, np.ndarray]:
    """A long-sleeved top laid flat, sleeves spread 20 degrees out."""
    return _sleeved_garment([[60, 44], [60, 80], [20, 190], [4, 180]], [[131, 44], [131, 80], [171, 190], [187, 180]])


def _hanging_arms() -> np.ndarray:
    """Upright landmarks with both arms hanging by the body, elbows and wrists seen."""
    lm = _upright_landmarks()
    lm[13], lm[14] = (130, 145, 1), (62, 145, 1)
    lm[15], lm[16] = (132, 200, 1), (60, 200, 1)
    return lm


def test_long_sleeves_follow_hanging_arms_down_to_the_wrists():
    """Arms hanging by the body: the one-piece spline folds the spread sleeves, so each sleeve is
    laid along its arm on its own; the forearms wear the sleeves' colour, the belly the torso's.
    (The drawn garment has the body's own proportions, not a photo's: PHOTO_LENGTHS.)"""
    rgb, mask = _long_sleeve_garment()
    kp = garment_keypoints(mask)
    lm = _hanging_arms()
    src, dst = body_targets(kp, lm, PHOTO_LENGTHS)
    assert _fold(src, dst, mask) > FOLD_TOLERANCE  # the one-piece fit folds
    out = warp_garment(rgb, mask, kp, lm, lengths=PHOTO_LENGTHS)
    for elbow, wrist in ((13, 15), (14, 16)):
        for share in (0.5, 0.85):  # mid-forearm and near the cuff
            x, y = np.round(lm[elbow, :2] + share * (lm[wrist, :2] - lm[elbow, :2])).astype(int)
            assert out.alpha[y, x] > 0.9 and tuple(out.rgb[y, x]) == (220, 20, 20), (elbow, share)
    assert tuple(out.rgb[150, 96]) == (10, 200, 30) and out.alpha[150, 96] > 0.9
    # Far from the arms and outside the torso nothing is drawn (no sleeve left spread out).
    assert out.alpha[120, :30].max() < 0.05 and out.alpha[120, -30:].max() < 0.05


def test_the_sleeve_fit_reuses_the_callers_mask_analysis(monkeypatch):
    """warp_garment given the mask's analysis (PreparedGarment.analysis) cuts the sleeves from it:
    the same fit, without analysing the mask again; an analysis of another size is refused."""
    rgb, mask = _long_sleeve_garment()
    lm = _hanging_arms()
    analysis = analyse_mask(mask)
    assert analysis.keypoints == garment_keypoints(mask)
    before = warp_garment(rgb, mask, analysis.keypoints, lm)
    calls = []
    real = keypoints_module._analyse
    monkeypatch.setattr(keypoints_module, "_analyse", lambda m: calls.append(1) or real(m))
    after = warp_garment(rgb, mask, analysis.keypoints, lm, analysis)
    assert not calls and np.array_equal(before.rgb, after.rgb) and np.array_equal(before.grid, after.grid)
    with pytest.raises(ValueError, match="analysis"):
        sleeve_masks(mask[:-1], analysis)


def test_a_sleeve_axis_that_points_up_or_a_thread_is_refused():
    sleeve = np.zeros((H, W), bool)
    sleeve[100:180, 20:40] = True
    assert sleeve_axis(sleeve, (30, 178), (30, 60)) is not None
    assert sleeve_axis(sleeve, (30, 101), (30, 200)) is None   # its end above its armhole
    thread = np.zeros((H, W), bool)
    thread[60:180, 30] = True
    assert sleeve_axis(thread, (30, 179), (30, 40)) is None


def test_the_sleeve_fit_grid_reads_nothing_where_it_draws_nothing():
    """tryon.fullres reads the garment photo through the grid: away from the fitted garment the
    grid points off the garment, so the sleeves' old places in the photo are never read."""
    rgb, mask = _long_sleeve_garment()
    lm = _hanging_arms()
    out = warp_garment(rgb, mask, garment_keypoints(mask), lm)
    read = F.grid_sample(torch.from_numpy(mask[None, None].astype(np.float32)),
                         torch.from_numpy(out.grid)[None], align_corners=True)[0, 0].numpy()
    far = F.max_pool2d(torch.from_numpy(out.alpha)[None, None], 9, 1, 4)[0, 0].numpy() < 1e-3
    assert far.any() and read[far].max() < 1e-3
    near = out.alpha > 0.9
    assert read[near].mean() > 0.95


def test_measured_lengths_shorten_hems_and_sleeves_but_hems_stay_below_the_hips():
    """A garment photo's hem and sleeves are longer than they hang on a body; the measured
    lengths pull the hem up (never above the hips) and the sleeve ends up their arms."""
    rgb, mask = _long_sleeve_garment()
    kp = garment_keypoints(mask)
    lm = _hanging_arms()
    _, photo = body_targets(kp, lm, PHOTO_LENGTHS)
    _, worn = body_targets(kp, lm, MEASURED_LENGTHS)
    _, short = body_targets(kp, lm, LengthScales(hem=0.1, sleeve=0.1))
    hem, shoulder, sleeve = 3, 1, 5   # body_targets' order: neck, shoulders, hems, sleeves
    assert worn[hem, 1] < photo[hem, 1]
    assert short[hem, 1] >= max(lm[23, 1], lm[24, 1])             # never above the hip joints
    assert np.linalg.norm(worn[sleeve] - worn[shoulder]) < np.linalg.norm(photo[sleeve] - photo[shoulder])


def test_the_hem_reaches_down_to_a_longer_old_tops_hem_but_not_down_a_dress():
    """A short new garment on a person whose old top hangs lower: its hem comes down to the old
    one's (no band of the old top below it); not past :data:`OLD_HEM_MAX_BELOW_HIP` (a dress), and
    a shorter old top changes nothing."""
    rgb, mask = _long_sleeve_garment()
    kp = garment_keypoints(mask)
    lm = _hanging_arms()
    names, _, own = named_targets(kp, lm, MEASURED_LENGTHS)
    hem = names.index("hem_l")
    u = body_unit(lm)
    hip = (lm[23, 1] + lm[24, 1]) / 2
    lower = own[hem, 1] + 0.15 * u
    _, _, longer = named_targets(kp, lm, MEASURED_LENGTHS, hem_row=lower)
    assert longer[hem, 1] == pytest.approx(lower, abs=0.5)
    _, _, dress = named_targets(kp, lm, MEASURED_LENGTHS, hem_row=hip + 2.0 * u)
    assert dress[hem, 1] == pytest.approx(hip + OLD_HEM_MAX_BELOW_HIP * u, abs=0.5)
    _, _, shorter = named_targets(kp, lm, MEASURED_LENGTHS, hem_row=own[hem, 1] - 0.2 * u)
    np.testing.assert_allclose(shorter, own)


def test_networks_get_the_lengths_they_were_trained_with():
    assert trained_lengths({}) == PHOTO_LENGTHS                       # saved before lengths were recorded
    assert trained_lengths({"warp_lengths": MEASURED_LENGTHS._asdict()}) == MEASURED_LENGTHS
    # A garment cut out of a worn photo already hangs as worn: no further shortening.
    assert worn_lengths(MEASURED_LENGTHS) == pytest.approx((1.0, 1.0))
    assert worn_lengths(PHOTO_LENGTHS).hem > 1.0


def test_eval_lengths_measures_hems_and_sleeves_on_training_pairs_only(tiny_prepared, tmp_path):
    """`tryon eval lengths` on the tiny generated set: the report's shape, hems measured on the
    training pairs (the held-out ones never drawn), and a sentence without a landmark cache."""
    from tryon.errors import TryOnError
    from tryon.eval_lengths import measure_lengths

    root, cache = tiny_prepared
    out = tmp_path / "lengths.json"
    report = measure_lengths(root, cache=cache, pairs=10, n_val=1, n_test=1, out=out, progress=False)
    assert report["pairs"] == 3 and report["hem"]["n"] >= 1          # 5 pairs, 1 validation, 1 test
    assert 0.2 < report["hem"]["median"] < 2.0
    assert set(report["suggested"]) == {"hem", "sleeve"}
    assert json.loads(out.read_text()) == report
    with pytest.raises(TryOnError, match="landmark cache"):
        measure_lengths(root, cache=tmp_path / "none", n_val=1, n_test=1, progress=False)


def test_a_sleeve_a_little_shorter_than_the_worn_one_reaches_its_cuff_and_a_much_shorter_one_does_not():
    """A T-shirt on a person whose worn short sleeves end a little lower than its own: each sleeve
    reaches the worn cuff and a little past it (no band of the worn sleeve's hem below it); a worn
    sleeve much longer (bared instead, tryon.bare_arms) or shorter changes nothing; the cuff is
    the one on its own arm."""
    from tryon.sleeve_cover import chain_point
    from tryon.sleeve_fit import arc_position

    rgb, mask = _short_sleeve_garment()
    kp = garment_keypoints(mask)
    lm = _upright_landmarks()
    names, _, own = named_targets(kp, lm, MEASURED_LENGTHS)
    i = names.index("sleeve_l")  # the image-left sleeve: the person's right arm (shoulder 12, elbow 14)
    upper = float(np.linalg.norm(lm[14, :2] - lm[12, :2]))
    arm = lm[[12, 14, 16], :2]
    at = arc_position(arm, own[i]) / upper   # the new sleeve's end, upper-arm lengths down the arm
    for past, moves in ((0.3, True), (OLD_CUFF_MAX_PAST + 0.05, False), (-0.2, False)):
        cuff = chain_point(arm, at + past)
        names2, _, dst = named_targets(kp, lm, MEASURED_LENGTHS, cuffs={14: cuff})
        assert names2 == names
        reach = arc_position(arm, dst[i]) / upper
        if moves:
            assert reach == pytest.approx(at + past + OLD_CUFF_OVERLAP, abs=0.03)
        else:
            np.testing.assert_allclose(dst, own)
        np.testing.assert_allclose(np.delete(dst, i, 0), np.delete(own, i, 0))  # the other sleeve stays


def test_a_sleeve_lengthened_to_the_worn_cuff_that_folds_the_garment_keeps_its_own_length(monkeypatch):
    """Lengthened to a worn cuff, a spline that folds the garment is not taken (its fallbacks let
    the sleeves go): the garment is warped as without the cuffs."""
    import tryon.warp as warp_module
    from tryon.sleeve_cover import chain_point
    from tryon.sleeve_fit import arc_position

    rgb, mask = _short_sleeve_garment()
    kp = garment_keypoints(mask)
    lm = _upright_landmarks()
    names, _, own = named_targets(kp, lm, MEASURED_LENGTHS)
    arm, upper = lm[[12, 14, 16], :2], float(np.linalg.norm(lm[14, :2] - lm[12, :2]))
    cuffs = {14: chain_point(arm, arc_position(arm, own[names.index("sleeve_l")]) / upper + 0.05)}
    plain = warp_garment(rgb, mask, kp, lm)
    reached = warp_garment(rgb, mask, kp, lm, cuffs=cuffs)
    assert not np.array_equal(reached.grid, plain.grid)  # unfolded: lengthened
    fold = warp_module.fold_fraction
    monkeypatch.setattr(warp_module, "fold_fraction",  # every fit with the lengthened sleeve folds
                        lambda grid, alpha: 1.0 if np.array_equal(grid.numpy(), reached.grid) else fold(grid, alpha))
    folded = warp_garment(rgb, mask, kp, lm, cuffs=cuffs)
    np.testing.assert_array_equal(folded.grid, plain.grid)
    np.testing.assert_array_equal(folded.rgb, plain.rgb)


def _short_sleeve_garment() -> tuple[np.ndarray, np.ndarray]:
    """A T-shirt laid flat, its short sleeves spread out 30 degrees below the horizontal."""
    return _sleeved_garment([[60, 44], [60, 95], [28, 110], [14, 84]], [[131, 44], [131, 95], [163, 110], [177, 84]])


def test_short_sleeves_asked_to_be_laid_hang_along_the_arms_without_crossing_the_chest():
    """A T-shirt for a person in a sleeveless top, arms hanging (the spline keeps a real photo's
    sleeves at their angle, sticking out sideways): laid along the arms, each sleeve shows beside
    its upper arm, nothing sticks out past the arms, and the armhole's far side does not cross
    the chest as a flap."""
    rgb, mask = _short_sleeve_garment()
    kp = garment_keypoints(mask)
    lm = _hanging_arms()
    laid = warp_garment(rgb, mask, kp, lm, lay_sleeves=True)
    red = (220, 20, 20)
    is_red = (laid.rgb == red).all(axis=-1) & (laid.alpha > 0.9)
    for shoulder, elbow in ((11, 13), (12, 14)):   # beside each upper arm, outside the torso: the sleeve
        y0, y1 = int(lm[shoulder, 1]), int(lm[elbow, 1])
        x = int(lm[shoulder, 0])
        outer = is_red[y0:y1, x + 6:x + 30] if x > W // 2 else is_red[y0:y1, x - 30:x - 6]
        assert outer.sum() > 50, shoulder
    arms = near_chain(lm[[12, 14, 16], :2], 28, (H, W)) | near_chain(lm[[11, 13, 15], :2], 28, (H, W))
    assert not (is_red & ~arms).any()                                    # nothing sticks out past an arm
    chest = laid.rgb[90:130, 80:112][laid.alpha[90:130, 80:112] > 0.5]
    assert len(chest) and not (chest == red).all(axis=1).any()           # the chest wears the torso


def test_laid_short_sleeves_lie_over_bare_arms_and_leave_them_bare_below_their_hem():
    """A person in a sleeveless top, arms hanging close: the torso's sides (fitted to the
    shoulders) covered the upper arms and the laid sleeves lay under them, so T-shirts came out
    sleeveless. Given the bare arms (the parser's), the sleeve lies over them down to its hem;
    below it the torso leaves the arm bare; the seam's two grids come apart (SleeveLayers)."""
    rgb, mask = _short_sleeve_garment()
    kp = garment_keypoints(mask)
    lm = _hanging_arms()
    arms = near_chain(lm[[12, 14, 16], :2], 12, (H, W)) | near_chain(lm[[11, 13, 15], :2], 12, (H, W))
    red, green = (220, 20, 20), (10, 200, 30)
    before = warp_garment(rgb, mask, kp, lm, lay_sleeves=True)
    laid = warp_garment(rgb, mask, kp, lm, lay_sleeves=True, arms=arms)
    for shoulder, elbow in ((11, 13), (12, 14)):
        for share, was, now in ((0.2, green, red), (0.5, green, red), (0.9, green, None)):
            x, y = np.round(lm[shoulder, :2] + share * (lm[elbow, :2] - lm[shoulder, :2])).astype(int)
            assert tuple(before.rgb[y, x]) == was and before.alpha[y, x] > 0.9, (shoulder, share)
            if now is None:                                       # below the sleeve's hem: bare
                assert laid.alpha[y, x] < 0.05, (shoulder, share)
            else:
                assert tuple(laid.rgb[y, x]) == now and laid.alpha[y, x] > 0.9, (shoulder, share)
    assert tuple(laid.rgb[150, 96]) == green                        # the belly still wears the torso
    layers = laid.layers
    covered = laid.alpha > 0.5
    sleeve = covered & np.any(laid.grid != layers.torso, axis=-1)  # where the one grid reads a sleeve
    assert sleeve.sum() > 500 and layers.shows[sleeve].all()
    assert np.array_equal(laid.grid[sleeve], layers.sleeves[sleeve])
    assert np.array_equal(laid.grid[~layers.shows & covered], layers.torso[~layers.shows & covered])


def test_a_laid_sleeve_is_stretched_over_the_bare_arm_it_misses_beside_it():
    """A bent arm leaves the line from the shoulder joint to the elbow: the sleeve laid along it
    missed a strip of the upper arm by the armpit, and the old skin showed between sleeve and torso.
    The strip (within reach of the sleeve) takes the sleeve's nearest wholly covered pixel."""
    from tryon.warp import _stretched

    layer = torch.zeros(4, 40, 40)
    layer[:, 5:35, 10:20] = torch.tensor([0.8, 0.1, 0.1, 1.0])[:, None, None]  # the sleeve, premultiplied
    layer[:, 5:35, 20] = torch.tensor([0.4, 0.05, 0.05, 0.5])[:, None]       # its soft rim
    grid = torch.full((40, 40, 2), 2.0)
    grid[5:35, 10:20] = torch.stack(torch.meshgrid(torch.linspace(-0.5, 0.5, 30), torch.linspace(-0.2, 0.2, 10),
                                                   indexing="ij"), -1).flip(-1)
    arm = np.zeros((40, 40), bool)
    arm[5:35, 12:30] = True                     # wider than the sleeve on its inner side
    arm[20:25, 12:30] &= False                  # (a gap in the arm: nothing to cover there)
    out, out_grid = _stretched(layer, grid, arm, reach=6.0)
    filled = arm.copy()
    filled[:, 26:] = False                      # beyond reach: more than 6 px from the last whole column, 19
    filled[:, :20] = False                      # (the sleeve itself)
    assert torch.equal(out[:, :, :20], layer[:, :, :20]) and torch.equal(out_grid[:, :20], grid[:, :20])
    assert (out[3].numpy()[filled] == 1.0).all() and (out[0].numpy()[filled] == pytest.approx(0.8))
    for y, x in zip(*np.nonzero(filled)):       # each reads where the sleeve's nearest whole pixel reads
        assert torch.equal(out_grid[y, x], grid[y, 19])
    untouched = ~filled
    untouched[:, :20] = False
    assert torch.equal(out[:, untouched], layer[:, untouched]) and torch.equal(out_grid[untouched], grid[untouched])
