"""The garment cutter: its made-up training photos, its network, and the cut-out it gives a
garment photographed on a busy background (against GrabCut's)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

from images import TSHIRT
from tryon.data.garment_cuts import PLATE_SIZE, _plate, compose_cut, largest_component, solidity
from tryon.garment_segmentation import WARN_GRABCUT, segment_garment
from tryon.learned_cut import Cutter, default_cutter, guided_filter
from tryon.models.garment_cutter import CUT_SIZE, CutterConfig, GarmentCutter

TINY = CutterConfig(channels=(8, 8, 8, 8, 8), blocks=(0, 0, 0, 0, 0), decoder_channels=(8, 8, 8, 8))


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))


def _garment(h: int = 256, w: int = 192) -> tuple[np.ndarray, np.ndarray]:
    """A red T-shirt on white, and its mask."""
    rgb = np.full((h, w, 3), 255, np.uint8)
    mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(mask, [TSHIRT], 1)
    rgb[mask > 0] = (200, 30, 40)
    return rgb, mask.astype(bool)


def _boards(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A wooden floor: brown boards of varying tone with dark gaps and grain."""
    rng = np.random.default_rng(seed)
    floor = np.zeros((h, w, 3), np.float32)
    board = 23
    for x0 in range(0, w, board):
        tone = rng.uniform(0.8, 1.15)
        floor[:, x0:x0 + board] = np.array((170, 120, 75), np.float32) * tone
        floor[:, x0:x0 + 2] *= 0.55                                   # the gap between boards
    grain = cv2.resize(rng.normal(0, 1, (h // 6, w)).astype(np.float32), (w, h)) * 10
    return np.clip(floor + grain[..., None], 0, 255).astype(np.uint8)


def _camisole_on_floor(h: int = 320, w: int = 240) -> tuple[Image.Image, np.ndarray, np.ndarray]:
    """A grey camisole with two thin straps (4 px) on a drawn wooden floor: ``(photo, mask, straps)``."""
    mask = np.zeros((h, w), np.uint8)
    body = np.array([[62, 120], [178, 120], [190, 290], [50, 290]], np.int32)
    cv2.fillPoly(mask, [body], 1)
    straps = np.zeros((h, w), np.uint8)
    cv2.line(straps, (75, 122), (88, 40), 1, 4)
    cv2.line(straps, (165, 122), (152, 40), 1, 4)
    straps &= ~mask
    mask |= straps
    photo = _boards(h, w)
    photo[mask > 0] = (118, 124, 122)
    return Image.fromarray(photo), mask.astype(bool), straps.astype(bool)


# ------------------------------------------------------------------------------ made-up photos
def test_a_made_up_photo_shows_the_garment_exactly_where_its_label_says():
    rgb, mask = _garment()
    plates = np.stack([_boards(PLATE_SIZE, PLATE_SIZE, s) for s in range(3)])
    for seed in range(6):
        image, label = compose_cut(rgb, mask, plates, np.random.default_rng(seed))
        assert image.shape == (CUT_SIZE, CUT_SIZE, 3) and label.shape == (CUT_SIZE, CUT_SIZE)
        assert set(np.unique(label)) == {0, 1}
        share = label.mean()
        assert 0.05 < share < 0.8                       # scaled, turned and placed in view
        inside = cv2.erode(label, np.ones((7, 7), np.uint8)) > 0
        outside = cv2.dilate(label, np.ones((7, 7), np.uint8)) == 0
        red = image[..., 0].astype(int) - image[..., 1:].mean(-1)
        assert np.median(red[inside]) > np.median(red[outside]) + 40, seed   # the red is the garment


def test_a_background_is_the_band_beside_the_garment_mirrored_out():
    photo = _boards(PLATE_SIZE, PLATE_SIZE)
    photo[60:, 30:160] = (200, 30, 40)                  # the garment fills the lower middle
    plate = _plate(photo)
    assert plate is not None and plate.shape == (PLATE_SIZE, PLATE_SIZE, 3)
    red = plate[..., 0].astype(int) - plate[..., 1:].mean(-1)
    assert (red > 120).mean() < 0.01                    # none of the garment
    full = _boards(PLATE_SIZE, PLATE_SIZE).astype(int)
    assert abs(plate.astype(int).mean() - full.mean()) < 25   # ... and the floor's own colours


def test_fragments_of_a_cloth_mask_are_told_from_a_whole_one():
    _, mask = _garment()
    assert solidity(mask) > 0.8
    fragments = mask.copy()
    fragments[80:, 60:132] = False                      # a white garment's mask: its white middle missing
    assert solidity(largest_component(fragments)) < 0.7


# --------------------------------------------------------------------------------- the network
def test_the_cutter_keeps_the_input_size_and_gives_probabilities():
    model = GarmentCutter(TINY).eval()
    x = torch.rand(2, 3, 64, 96) * 2 - 1
    with torch.no_grad():
        logits = model(x)
        prob = model.probability(x)
    assert logits.shape == (2, 2, 64, 96) and prob.shape == (2, 64, 96)
    assert 0 <= float(prob.min()) and float(prob.max()) <= 1


def test_a_cutter_runs_on_any_photo_size_and_answers_at_that_size(tmp_path):
    GarmentCutter(CutterConfig(resolution=(64, 64), **{k: getattr(TINY, k) for k in
                                                       ("channels", "blocks", "decoder_channels")})) \
        .save_pretrained(tmp_path / "cutter", dtype=torch.float32)
    cutter = Cutter.from_pretrained(tmp_path / "cutter")
    for h, w in ((300, 200), (120, 500), (64, 64)):
        prob = cutter.probability(np.zeros((h, w, 3), np.uint8))
        assert prob.shape == (h, w) and prob.dtype == np.float32
        assert cutter(np.zeros((h, w, 3), np.uint8)).dtype == bool


def test_the_guided_filter_sharpens_a_blurred_outline_along_the_photos_edge():
    guide = np.zeros((64, 64), np.float32)
    guide[:, 30:] = 1.0                                                 # the photo's edge at x = 30
    soft = cv2.GaussianBlur(np.tile((np.arange(64) >= 34).astype(np.float32), (64, 1)), (0, 0), 4)
    out = guided_filter(guide, soft, 4, 1e-3)
    assert out[32, 28] < soft[32, 28] and out[32, 31] > soft[32, 31]      # steeper, at the photo's edge
    assert abs(out[32, 2]) < 0.05 and abs(out[32, 60] - 1) < 0.05


# ----------------------------------------------------------------------- the shipped cut-out
@pytest.fixture(scope="module")
def cutter():
    found = default_cutter()
    if found is None:
        pytest.fail("the bundled garment cutter (assets/weights/garment-cutter) is missing")
    return found


def test_a_busy_background_goes_to_the_learned_cutter_and_warns(cutter):
    photo, mask, _ = _camisole_on_floor()
    found, method, warnings = segment_garment(photo)
    assert method == "learned" and WARN_GRABCUT in warnings
    assert _iou(found, mask) >= 0.85


def test_the_learned_cutter_beats_grabcut_on_a_garment_on_a_wooden_floor(cutter):
    photo, mask, _ = _camisole_on_floor()
    learned = segment_garment(photo, cutter=cutter)[0]
    grabcut = segment_garment(photo, cutter=None)[0]
    assert _iou(learned, mask) >= _iou(grabcut, mask) + 0.1


def _strap_pixels(photo: np.ndarray) -> np.ndarray:
    """The bundled camisole's two thin straps: the dark pixels above its body (rows 43-72)."""
    grey = photo.astype(int).mean(-1)
    straps = np.zeros(grey.shape, bool)
    straps[43:73, 55:125] = grey[43:73, 55:125] < 140
    return straps


@pytest.mark.parametrize("scale", [1, 4])
def test_the_learned_cutter_keeps_the_bundled_camisoles_straps_that_grabcut_lost(cutter, examples_dir, scale):
    """The camisole on a wooden floor (168x224, and enlarged to 672x896 as a phone photo would be):
    GrabCut kept a fifth of its straps, so it was read and tried on as a short-sleeved top."""
    photo = Image.open(examples_dir / "garments" / "top_cami_grey.jpg").convert("RGB")
    straps = _strap_pixels(np.asarray(photo))
    assert 300 < straps.sum() < 450
    if scale > 1:
        photo = photo.resize((photo.width * scale, photo.height * scale), Image.LANCZOS)
        straps = np.asarray(Image.fromarray(straps).resize(photo.size, Image.NEAREST))
    learned, method, _ = segment_garment(photo)
    grabcut = segment_garment(photo, cutter=None)[0]
    assert method == "learned"
    kept = (learned & straps).sum() / straps.sum()
    assert kept >= 0.6, kept
    assert kept > (grabcut & straps).sum() / straps.sum() + 0.3


def test_the_learned_cut_out_is_the_same_every_time(cutter):
    photo, _, _ = _camisole_on_floor()
    assert (segment_garment(photo)[0] == segment_garment(photo)[0]).all()


# ------------------------------------------------------------------------------------ training
def _tiny_clothing(folder, n: int = 6):
    """A clothing_upper-like folder: ``n`` photos of a T-shirt on a wooden floor, two senders."""
    (folder / "images").mkdir(parents=True)
    rows = ["image,sender_id,label,kids"]
    rgb, mask = _garment(180, 135)
    for i in range(n):
        photo = _boards(240, 180, seed=i)
        photo[30:210, 22:157][mask] = rgb[mask]
        Image.fromarray(photo).save(folder / "images" / f"p{i}.jpg")
        rows.append(f"p{i},{i % 2},T-Shirt,False")
    (folder / "images.csv").write_text("\n".join(rows) + "\n")
    return folder


def test_two_training_steps_with_real_garments_and_export(tmp_path):
    from tiny_viton import make_tiny_viton
    from tryon.training import TrainOptions, train
    from tryon.training.tasks import build_task

    viton = make_tiny_viton(tmp_path / "viton", 4)
    task = build_task("garment-cutter", viton, cache=tmp_path / "cache", n_val=1, steps=2,
                      wild=_tiny_clothing(tmp_path / "clothing"), wild_repeat=2)
    assert len(task.train_set) > 3                      # VITON's garments and the real ones, twice
    summary = train(task, TrainOptions(run_dir=tmp_path / "run", max_steps=2, batch_size=2, progress=False,
                                       sample_every=2, checkpoint_every=1))
    assert summary["step"] == 2 and (tmp_path / "run" / "samples" / "step_00000002.png").is_file()
    cutter = Cutter.from_pretrained(tmp_path / "run" / "export" / "garment-cutter")
    assert cutter(np.zeros((90, 60, 3), np.uint8)).shape == (90, 60)


def test_the_cutter_needs_its_background_photos(tmp_path):
    from tiny_viton import make_tiny_viton
    from tryon.errors import TryOnError
    from tryon.training.tasks import build_task

    with pytest.raises(TryOnError, match="--wild"):
        build_task("garment-cutter", make_tiny_viton(tmp_path / "viton", 2), cache=tmp_path / "cache")
