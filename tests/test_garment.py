"""tryon.garment: segmentation method choice, mask quality, layout, keypoints, errors.

Synthetic garments are drawn with cv2.fillPoly, so the true mask and keypoints are known.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from tryon.constants import FRAME_HEIGHT, FRAME_WIDTH
from tryon.errors import GarmentError
from tryon.garment import (
    GARMENT_KEYPOINTS,
    LAYOUT_MARGIN,
    WARN_GRABCUT,
    PreparedGarment,
    garment_keypoints,
    prepare_garment,
    resize_prepared,
    segment_garment,
)
from tryon.garment_keypoints import hangs_from_straps, strap_shoulders

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "assets" / "examples" / "garments").glob("*.jpg"))
CANVAS = (360, 300)  # (H, W) of the synthetic photos
KEYPOINT_TOL = 6.0  # px at the output size

# A front-view T-shirt, symmetric about x = 150 (image coordinates, clockwise).
TSHIRT = np.array([
    (122, 50), (150, 70), (178, 50),              # neckline
    (216, 62), (262, 118), (236, 140), (220, 125),  # right shoulder, sleeve, armpit
    (220, 330), (80, 330),                         # hem
    (80, 125), (64, 140), (38, 118), (84, 62),     # left armpit, sleeve, shoulder
], np.int32)
# Where the keypoints should be: shoulders where the shoulder line meets the sleeve at the
# torso's side (centre +- 0.45 x torso width), neck = centre of the shoulder line, sleeve =
# middle of the cuff edge, hems = torso corners.
TSHIRT_KEYPOINTS = {
    "neck": (150, 61), "shoulder_l": (86.5, 61), "shoulder_r": (213.5, 61),
    "sleeve_l": (51, 129), "sleeve_r": (249, 129), "hem_l": (80, 330), "hem_r": (220, 330),
}
TANK_TOP = np.array([
    (110, 40), (150, 90), (190, 40), (205, 40), (215, 110),
    (215, 330), (85, 330), (85, 110), (95, 40),
], np.int32)
# A tank top with deep armholes, its left one deeper (drawn askew): the torso's side columns meet
# the armholes far below the straps (their tops at row 40).
SCOOPED_TANK = np.array([
    (115, 40), (150, 95), (185, 40), (200, 40), (206, 75), (215, 115),
    (215, 330), (85, 330), (85, 140), (92, 95), (100, 40),
], np.int32)


def _drawn_mask(*polygons: np.ndarray) -> np.ndarray:
    """The true garment mask of the synthetic photo, (H, W) bool."""
    mask = np.zeros(CANVAS, np.uint8)
    cv2.fillPoly(mask, list(polygons), 1)
    return mask.astype(bool)


def _photo(polygon, garment_rgb, background: np.ndarray | tuple) -> Image.Image:
    """An RGB photo: ``background`` (colour or (H, W, 3) array) with the garment drawn on it."""
    img = np.empty((*CANVAS, 3), np.uint8)
    img[:] = background
    cv2.fillPoly(img, [polygon], garment_rgb)
    return Image.fromarray(img)


def _textured_background(seed: int = 0) -> np.ndarray:
    """A busy bed-sheet-like texture: random dull blocks, blurred, plus noise."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(40, 160, (CANVAS[0] // 12, CANVAS[1] // 12, 3)).astype(np.uint8)
    blocks[..., 0] //= 2  # dull, greenish-blue: far from the red garment
    tex = cv2.resize(blocks, CANVAS[::-1], interpolation=cv2.INTER_NEAREST).astype(float)
    tex += rng.normal(0, 10, tex.shape)
    return np.clip(tex, 0, 255).astype(np.uint8)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))


def _to_output(point, full_mask: np.ndarray, size=(FRAME_HEIGHT, FRAME_WIDTH)):
    """Map a full-image (x, y) to the prepared frame, as prepare_garment lays it out."""
    ys, xs = np.nonzero(full_mask)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    out_h, out_w = size
    scale = min(out_h * (1 - 2 * LAYOUT_MARGIN) / (y1 - y0), out_w * (1 - 2 * LAYOUT_MARGIN) / (x1 - x0))
    new_w, new_h = round((x1 - x0) * scale), round((y1 - y0) * scale)
    ox, oy = (out_w - new_w) // 2, (out_h - new_h) // 2
    return ((point[0] - x0 + 0.5) * scale - 0.5 + ox, (point[1] - y0 + 0.5) * scale - 0.5 + oy)


def _assert_sentence(err: GarmentError) -> None:
    text = str(err)
    assert "\n" not in text and len(text) > 30 and text.endswith(".") and text[0].isupper()


# ------------------------------------------------------------------------ method choice
def test_white_background_uses_threshold():
    drawn = _drawn_mask(TSHIRT)
    mask, method, warnings = segment_garment(_photo(TSHIRT, (200, 40, 40), (255, 255, 255)))
    assert method == "threshold" and warnings == []
    assert mask.shape == CANVAS and mask.dtype == bool
    assert _iou(mask, drawn) >= 0.9


def test_white_garment_on_white_is_filled():
    drawn = _drawn_mask(TSHIRT)
    img = np.asarray(_photo(TSHIRT, (246, 246, 246), (255, 255, 255))).copy()
    cv2.polylines(img, [TSHIRT], True, (200, 200, 200), 2)  # a faint outline, as in shop photos
    mask, method, _ = segment_garment(Image.fromarray(img))
    assert method == "threshold" and _iou(mask, drawn) >= 0.9


def test_uniform_coloured_background_uses_threshold():
    rng = np.random.default_rng(1)
    bg = np.clip(np.full((*CANVAS, 3), (40, 110, 190), float) + rng.normal(0, 3, (*CANVAS, 3)), 0, 255)
    mask, method, _ = segment_garment(_photo(TSHIRT, (235, 200, 60), bg.astype(np.uint8)))
    assert method == "threshold"
    assert _iou(mask, _drawn_mask(TSHIRT)) >= 0.9


@pytest.mark.parametrize("cutter", ["auto", None], ids=["learned", "grabcut"])
def test_busy_background_is_cut_out_and_warns(cutter):
    mask, method, warnings = segment_garment(_photo(TSHIRT, (210, 30, 40), _textured_background()), cutter=cutter)
    assert method == ("grabcut" if cutter is None else "learned")
    assert WARN_GRABCUT in warnings
    assert _iou(mask, _drawn_mask(TSHIRT)) >= 0.8


def test_grabcut_is_deterministic():
    photo = _photo(TSHIRT, (210, 30, 40), _textured_background(seed=3))
    first = segment_garment(photo, cutter=None)[0]
    cv2.randu(np.empty((8, 8), np.uint8), 0, 255)  # move OpenCV's global RNG on
    assert (segment_garment(photo, cutter=None)[0] == first).all()


def test_rgba_with_transparency_uses_alpha():
    rng = np.random.default_rng(2)
    rgba = rng.integers(0, 256, (*CANVAS, 4)).astype(np.uint8)  # colour is irrelevant
    drawn = _drawn_mask(TSHIRT)
    rgba[..., 3] = np.where(drawn, 255, 0)
    mask, method, _ = segment_garment(Image.fromarray(rgba, "RGBA"))
    assert method == "alpha"
    assert _iou(mask, drawn) >= 0.9


def test_opaque_rgba_is_treated_as_rgb():
    rgba = _photo(TSHIRT, (200, 40, 40), (255, 255, 255)).convert("RGBA")
    assert segment_garment(rgba)[1] == "threshold"


# ---------------------------------------------------------------------------------- layout
def test_prepare_layout_is_vitonlike():
    pg = prepare_garment(_photo(TSHIRT, (200, 40, 40), (255, 255, 255)))
    assert isinstance(pg, PreparedGarment) and pg.method == "threshold"
    assert pg.rgb.shape == (FRAME_HEIGHT, FRAME_WIDTH, 3) and pg.rgb.dtype == np.uint8
    assert pg.mask.shape == (FRAME_HEIGHT, FRAME_WIDTH) and pg.mask.dtype == bool
    assert (pg.rgb[~pg.mask] == 255).all()  # pure white outside the garment
    ys, xs = np.nonzero(pg.mask)
    # fits inside the 5 % margins, touches them on its limiting side, and is centred
    assert ys.min() >= 0.04 * FRAME_HEIGHT and ys.max() <= 0.96 * FRAME_HEIGHT
    assert xs.min() >= 0.04 * FRAME_WIDTH and xs.max() <= 0.96 * FRAME_WIDTH
    assert min(xs.min(), FRAME_WIDTH - 1 - xs.max()) <= 0.06 * FRAME_WIDTH
    assert abs((xs.min() + xs.max()) / 2 - (FRAME_WIDTH - 1) / 2) <= 1.5
    assert set(pg.keypoints) == set(GARMENT_KEYPOINTS)


def test_prepare_custom_size():
    pg = prepare_garment(_photo(TSHIRT, (200, 40, 40), (255, 255, 255)), size=(128, 96))
    assert pg.rgb.shape == (128, 96, 3) and pg.mask.shape == (128, 96)


def test_the_keypoint_analysis_is_kept_for_its_own_mask_only():
    """The warp's sleeve cut reuses PreparedGarment.analysis: it is of the garment's mask, and a
    resized garment (another mask) has none."""
    pg = prepare_garment(_photo(TSHIRT, (200, 40, 40), (255, 255, 255)))
    assert pg.analysis.size == pg.mask.shape and pg.analysis.keypoints == garment_keypoints(pg.mask)
    assert pg.keypoints == pg.analysis.keypoints and pg.keypoints is not pg.analysis.keypoints
    assert resize_prepared(pg, (128, 96)).analysis is None


def test_large_photo_gives_the_same_result():
    small = prepare_garment(_photo(TSHIRT, (200, 40, 40), (255, 255, 255)))
    big = np.full((CANVAS[0] * 4, CANVAS[1] * 4, 3), 255, np.uint8)
    cv2.fillPoly(big, [TSHIRT * 4], (200, 40, 40))
    large = prepare_garment(Image.fromarray(big))
    assert _iou(large.mask, small.mask) >= 0.95
    for name, point in small.keypoints.items():
        other = large.keypoints[name]
        assert np.hypot(point[0] - other[0], point[1] - other[1]) <= KEYPOINT_TOL / 2, name


# ------------------------------------------------------------------------------- keypoints
def test_tshirt_keypoints_match_the_drawing():
    drawn = _drawn_mask(TSHIRT)
    pg = prepare_garment(_photo(TSHIRT, (200, 40, 40), (255, 255, 255)))
    for name, expected in TSHIRT_KEYPOINTS.items():
        got = pg.keypoints[name]
        assert got is not None, name
        ex, ey = _to_output(expected, drawn)
        assert np.hypot(got[0] - ex, got[1] - ey) <= KEYPOINT_TOL, (name, got, (ex, ey))


def test_tank_top_has_no_sleeves():
    kp = prepare_garment(_photo(TANK_TOP, (30, 30, 160), (255, 255, 255))).keypoints
    assert kp["sleeve_l"] is None and kp["sleeve_r"] is None
    for name in ("neck", "shoulder_l", "shoulder_r", "hem_l", "hem_r"):
        assert kp[name] is not None, name
    assert kp["shoulder_l"][0] < kp["shoulder_r"][0]
    assert kp["shoulder_l"][1] < kp["hem_l"][1]


def test_a_tank_tops_shoulders_are_its_straps_tops_on_both_sides():
    """Drawn askew (its left armhole deeper than its right), the side columns meet the left
    armhole far below the straps: fitted there, the armhole covered the wearer's upper arm and
    the top was twisted. Both shoulders move up to the straps' tops, level; the hems stay."""
    mask = _drawn_mask(SCOOPED_TANK)
    kp = garment_keypoints(mask)
    assert kp["shoulder_l"][1] > 60                       # on the armhole (the straps' tops: row 40)
    moved = strap_shoulders(mask, kp)
    for name in ("shoulder_l", "shoulder_r"):
        assert moved[name][0] == kp[name][0] and abs(moved[name][1] - 40) <= 2, (name, moved[name])
    assert moved["neck"] == (kp["neck"][0], (moved["shoulder_l"][1] + moved["shoulder_r"][1]) / 2)
    assert {k: moved[k] for k in ("hem_l", "hem_r")} == {k: kp[k] for k in ("hem_l", "hem_r")}


def test_shoulders_on_the_shoulder_line_stay_where_they_are():
    """A T-shirt's shoulders (its sleeves on the mask, or merged into its sides) slope a little
    from the neck: no strap there, nothing moves."""
    kp = garment_keypoints(_drawn_mask(TSHIRT))
    assert strap_shoulders(_drawn_mask(TSHIRT), kp) == kp
    boxy = np.array([(122, 50), (150, 70), (178, 50), (225, 66), (240, 150), (220, 150), (220, 330),
                     (80, 330), (80, 150), (60, 150), (75, 66)], np.int32)   # stubby sleeves, no blob
    mask = _drawn_mask(boxy)
    kp = garment_keypoints(mask)
    assert kp["sleeve_l"] is None and kp["sleeve_r"] is None
    assert strap_shoulders(mask, kp) == kp


def test_a_camisole_hangs_from_straps_and_a_tank_top_a_boxy_top_or_a_hanger_hook_do_not():
    """Two thin straps above the body (a camisole) tell a garment without sleeves, whatever the
    sleeve reader leans to; a tank top's broad straps, a boxy top's shoulders and the single hook
    of a hanger are no such straps."""
    camisole = _drawn_mask(np.array([(85, 110), (215, 110), (225, 330), (75, 330)], np.int32)).astype(np.uint8)
    cv2.line(camisole, (100, 112), (112, 40), 1, 4)
    cv2.line(camisole, (200, 112), (188, 40), 1, 4)
    boxy = _drawn_mask(np.array([(122, 50), (150, 70), (178, 50), (225, 66), (240, 150), (220, 150),
                                 (220, 330), (80, 330), (80, 150), (60, 150), (75, 66)], np.int32)).astype(np.uint8)
    hook = boxy.copy()
    cv2.line(hook, (150, 55), (150, 10), 1, 4)
    one_strap = camisole.copy()
    one_strap[:105, 150:] = 0
    masks = {"camisole": camisole, "tank top": _drawn_mask(TANK_TOP), "T-shirt": _drawn_mask(TSHIRT),
             "boxy": boxy, "hook": hook, "one strap": one_strap}
    found = {name: hangs_from_straps(m.astype(bool), garment_keypoints(m.astype(bool))) for name, m in masks.items()}
    assert found == {"camisole": True, "tank top": False, "T-shirt": False, "boxy": False, "hook": False,
                     "one strap": False}


def test_the_pipeline_moves_the_shoulders_of_garments_read_without_sleeves_only():
    """tryon.sleeves.strap_fit: a tank top read sleeveless gets its straps' shoulders; read short
    (a T-shirt's sleeves sloping down look as deep), long (left to hang_sleeves) or untold, not."""
    from tryon.sleeves import strap_fit

    for kind, moves in (("sleeveless", True), ("short", False), ("long", False), (None, False)):
        prepared = prepare_garment(_photo(SCOOPED_TANK, (30, 30, 160), (255, 255, 255)))
        before = dict(prepared.keypoints)
        prepared.sleeves = kind
        assert strap_fit(prepared) == moves, kind
        assert (prepared.keypoints["shoulder_l"][1] < before["shoulder_l"][1] - 5) == moves, kind


@pytest.mark.parametrize("cuff_y", [300, 350], ids=["above_hem", "below_hem"])
def test_long_sleeves_hanging_beside_the_torso(cuff_y):
    torso = np.array([(70, 40), (229, 40), (219, 330), (80, 330)], np.int32)
    sleeve_l = np.array([(70, 40), (58, 45), (30, cuff_y), (55, cuff_y), (75, 90)], np.int32)
    sleeve_r = sleeve_l.copy()
    sleeve_r[:, 0] = 299 - sleeve_l[:, 0]  # mirrored about x = 149.5
    img = np.full((*CANVAS, 3), 255, np.uint8)
    cv2.fillPoly(img, [torso, sleeve_l, sleeve_r], (20, 90, 40))
    kp = prepare_garment(Image.fromarray(img)).keypoints
    assert kp["sleeve_l"] is not None and kp["sleeve_r"] is not None
    # the sleeve ends are the cuffs, low down beside the torso; the hem stays the torso's
    assert kp["sleeve_l"][1] > 0.7 * FRAME_HEIGHT and kp["sleeve_r"][1] > 0.7 * FRAME_HEIGHT
    assert kp["sleeve_l"][0] < kp["hem_l"][0] < kp["hem_r"][0] < kp["sleeve_r"][0]
    hem_l = _to_output((80, 330), _drawn_mask(torso, sleeve_l, sleeve_r))
    assert np.hypot(kp["hem_l"][0] - hem_l[0], kp["hem_l"][1] - hem_l[1]) <= KEYPOINT_TOL


def test_a_cropped_tops_long_sleeves_hanging_far_below_its_hem():
    """A cropped top's long sleeves hang far below its hem (VITON 019265, 005595): their rows, most
    of the garment's lower half, made the typical lower-body width a sleeve's, so the hem was read
    at the cuffs and the torso on one sleeve. The hem is the torso's, the sleeves end at the cuffs."""
    # (VITON 019265's right sleeve hangs lower than its left: the bottom rows hold one cuff only)
    torso = np.array([(70, 40), (229, 40), (219, 170), (80, 170)], np.int32)
    sleeve_l = np.array([(70, 40), (58, 45), (30, 340), (55, 340), (75, 90)], np.int32)
    sleeve_r = sleeve_l.copy()
    sleeve_r[:, 0] = 299 - sleeve_l[:, 0]
    sleeve_l[2:4, 1] = 315                                  # one sleeve longer: its cuff alone below
    kp = garment_keypoints(_drawn_mask(torso, sleeve_l, sleeve_r))
    assert kp["hem_l"] == pytest.approx((80, 170), abs=4) and kp["hem_r"] == pytest.approx((219, 170), abs=4)
    assert kp["neck"][0] == pytest.approx(149.5, abs=2)
    assert kp["sleeve_l"][1] > 280 and kp["sleeve_r"][1] > 300 and kp["sleeve_l"][0] < 60 < 240 < kp["sleeve_r"][0]


def test_keypoints_of_empty_mask_are_none():
    assert garment_keypoints(np.zeros((20, 20), bool)) == dict.fromkeys(GARMENT_KEYPOINTS)


def test_keypoints_are_deterministic():
    mask = _drawn_mask(TSHIRT)
    assert garment_keypoints(mask) == garment_keypoints(mask.copy())


# ------------------------------------------------------------------------------ given mask
@pytest.mark.parametrize("kind", ["pil", "bool", "uint8"])
def test_given_mask_is_respected(kind):
    # the photo shows a T-shirt, but the caller says only the torso rectangle is the garment
    photo = _photo(TSHIRT, (200, 40, 40), (255, 255, 255))
    given = np.zeros(CANVAS, bool)
    given[150:330, 80:221] = True
    mask = {"pil": Image.fromarray(given.astype(np.uint8) * 255, "L"), "bool": given,
            "uint8": given.astype(np.uint8) * 255}[kind]
    pg = prepare_garment(photo, mask)
    assert pg.method == "given" and pg.warnings == []
    ys, xs = np.nonzero(pg.mask)
    box = (ys.max() - ys.min() + 1) * (xs.max() - xs.min() + 1)
    assert pg.mask.sum() >= 0.97 * box  # still a filled rectangle: no sleeves added
    assert pg.keypoints["sleeve_l"] is None and pg.keypoints["sleeve_r"] is None


def test_given_mask_of_wrong_size_or_empty_raises():
    photo = _photo(TSHIRT, (200, 40, 40), (255, 255, 255))
    with pytest.raises(GarmentError) as err:
        prepare_garment(photo, np.ones((10, 10), bool))
    _assert_sentence(err.value)
    with pytest.raises(GarmentError) as err:
        prepare_garment(photo, np.zeros(CANVAS, np.uint8))
    _assert_sentence(err.value)


# ---------------------------------------------------------------------------------- errors
@pytest.mark.parametrize("colour", [(255, 255, 255), (30, 90, 160)])
def test_flat_image_raises_a_sentence(colour):
    with pytest.raises(GarmentError) as err:
        prepare_garment(Image.new("RGB", CANVAS[::-1], colour))
    _assert_sentence(err.value)


def test_tiny_blob_raises_a_sentence():
    img = np.full((*CANVAS, 3), 255, np.uint8)
    cv2.circle(img, (150, 180), 8, (200, 30, 30), -1)  # ~0.2 % of the photo
    cv2.circle(img, (60, 60), 4, (30, 30, 200), -1)
    with pytest.raises(GarmentError) as err:
        prepare_garment(Image.fromarray(img))
    _assert_sentence(err.value)


def test_transparent_png_with_nothing_raises():
    rgba = np.zeros((*CANVAS, 4), np.uint8)
    with pytest.raises(GarmentError) as err:
        prepare_garment(Image.fromarray(rgba, "RGBA"))
    _assert_sentence(err.value)


# ------------------------------------------------------------------------ bundled examples
def test_examples_are_bundled():
    assert len(EXAMPLES) >= 8
    sources = (ROOT / "assets" / "examples" / "SOURCES.md").read_text()
    for path in EXAMPLES + [ROOT / "assets" / "examples" / "person" / "astronaut.png"]:
        assert path.name in sources, f"{path.name} is missing from SOURCES.md"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_garment_prepares(path):
    with Image.open(path) as im:
        pg = prepare_garment(im.convert("RGB"))
    assert 0.15 <= pg.mask.mean() <= 0.90
    kp = pg.keypoints
    for name in ("neck", "shoulder_l", "shoulder_r", "hem_l", "hem_r"):
        assert kp[name] is not None, name
    assert kp["shoulder_l"][0] < kp["neck"][0] < kp["shoulder_r"][0]
    assert kp["hem_l"][0] < kp["hem_r"][0]
    assert max(kp["shoulder_l"][1], kp["shoulder_r"][1]) < min(kp["hem_l"][1], kp["hem_r"][1])
    if kp["sleeve_l"] is not None and kp["sleeve_r"] is not None:
        assert kp["sleeve_l"][0] < kp["sleeve_r"][0]


# ------------------------------------------------------------------ real data (VITON cloth)
@pytest.mark.shared
def test_threshold_matches_viton_cloth_masks(viton_dir):
    cloth = viton_dir / "train" / "cloth"
    files = sorted(cloth.glob("*.jpg"))
    files = files[:: max(1, len(files) // 50)][:50]
    ious = []
    for path in files:
        with Image.open(cloth.parent / "cloth-mask" / path.name) as gt:
            truth = np.asarray(gt.convert("L")) >= 128
        try:
            with Image.open(path) as im:
                mask, _, _ = segment_garment(im.convert("RGB"))
        except GarmentError:  # counts as a miss
            mask = np.zeros_like(truth)
        ious.append(_iou(mask, truth))
    assert np.median(ious) >= 0.9, f"median IoU {np.median(ious):.3f}"


def test_sleeve_kinds_of_a_tshirt_a_tank_top_and_a_long_sleeve():
    from tryon.eval_tryon.sleeves import sleeve_kind

    torso = np.array([(70, 40), (229, 40), (219, 330), (80, 330)], np.int32)
    sleeve_l = np.array([(70, 40), (58, 45), (30, 300), (55, 300), (75, 90)], np.int32)
    sleeve_r = sleeve_l.copy()
    sleeve_r[:, 0] = 299 - sleeve_l[:, 0]
    assert sleeve_kind(_drawn_mask(TSHIRT)) == "short"
    assert sleeve_kind(_drawn_mask(TANK_TOP)) == "sleeveless"
    assert sleeve_kind(_drawn_mask(torso, sleeve_l, sleeve_r)) == "long"
    assert sleeve_kind(np.zeros((20, 20), bool)) is None
