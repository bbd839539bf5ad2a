"""The try-on GAN's data and training on a tiny generated VITON folder: prepare, the pairs
cache, the dataset, a training smoke run, resume after ``kill -9``, export, and ``eval --mode learned``."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from tryon import constants as C
from tryon.cli import main
from tryon.data import TryOnPairs, build_pairs_cache, find_layout, train_pairs
from tryon.data.tryon_pairs import ARM_LABELS, LABEL_MASK, REGION_BIT, REVEALED_BIT, VALID_BIT
from tryon.hub import load_extra
from tryon.models.tryon_net import TryOnNet
from tryon.pose import POSE_CHANNELS
from tryon.region import COVERED_SKIN_KEY, parse_regions
from tryon.training.checkpoint import latest_checkpoint
from tryon.training.tryon_task import net_inputs

REPO = Path(__file__).resolve().parent.parent
WEIGHTS = REPO / "assets" / "weights"
KILL_TIMEOUT = 240  # s: the child must write its first checkpoint within this


@pytest.fixture(scope="module")
def pairs_folder(tiny_prepared):
    root, cache = tiny_prepared
    layout = find_layout(root)
    return build_pairs_cache(layout, cache, train_pairs(layout, 1), cache, workers=1, progress=False,
                             garment_vae_dir=WEIGHTS / "garment-vae", body_vae_dir=WEIGHTS / "body-vae")


def test_pairs_cache_items_have_documented_shapes_and_ranges(pairs_folder):
    ds = TryOnPairs(pairs_folder)
    assert len(ds) >= 3
    item = ds[0]
    h, w = C.FRAME_SIZE
    assert item["person"].shape == item["agnostic"].shape == (3, h, w)
    assert item["garment"].shape == (4, h, w) and item["region"].shape == (1, h, w)
    assert item["landmarks"].shape == (33, 3) and item["codes"].shape == (160,)
    for key in ("person", "agnostic"):
        assert -1 <= float(item[key].min()) and float(item[key].max()) <= 1
    alpha = item["garment"][3]
    assert 0 <= float(alpha.min()) and float(alpha.max()) <= 1 and float(alpha.mean()) > 0.05
    for key in ("region", "revealed", "gt_garment", "gt_tryon"):
        assert set(torch.unique(item[key]).tolist()) <= {0.0, 1.0}
    # The agnostic person is grey in the repaint region, except the revealed pixels (a subset
    # of the region), and the person elsewhere.
    region, revealed = item["region"][0] > 0, item["revealed"][0] > 0
    assert region.float().mean() > 0.05 and not (revealed & ~region).any()
    grey = region & ~revealed
    assert grey.sum() > 0.5 * region.sum()
    assert torch.allclose(item["agnostic"][:, grey], torch.full_like(item["agnostic"][:, grey], 128 / 127.5 - 1), atol=1e-5)
    assert torch.equal(item["agnostic"][:, revealed], item["person"][:, revealed])
    # The tiny layout's garment label: the parse supervision reached the frame.
    assert float(item["gt_garment"].mean()) > 0.02


def test_cache_is_reused_and_flip_augmentation_is_consistent(pairs_folder, tiny_prepared, monkeypatch):
    monkeypatch.setattr("tryon.data.tryon_pairs.CROP_PROBABILITY", 0.0)  # its own test below
    root, cache = tiny_prepared
    layout = find_layout(root)
    again = build_pairs_cache(layout, cache, train_pairs(layout, 1), cache, workers=1, progress=False,
                              garment_vae_dir=WEIGHTS / "garment-vae", body_vae_dir=WEIGHTS / "body-vae")
    assert again == pairs_folder
    ds = TryOnPairs(pairs_folder, augment=True, seed=0)
    plain = TryOnPairs(pairs_folder)[0]
    torch.manual_seed(0)
    seen_flip = hidden = False
    for _ in range(24):
        item = ds[0]
        # The repaint region is never recoloured; flipped or not, it matches the stored one.
        same = torch.equal(item["region"], plain["region"])
        flipped = torch.equal(item["region"], plain["region"].flip(-1))
        assert same or flipped
        # The agnostic input keeps the photo's own colours while the target's garment is recoloured;
        # only bare arms may be greyed out (as under an old long sleeve).
        expected = plain["agnostic"] if same else plain["agnostic"].flip(-1)
        differs = (item["agnostic"] != expected).any(0)
        grey = torch.full_like(expected[:, differs], 128 / 127.5 - 1)
        assert torch.allclose(item["agnostic"][:, differs], grey, atol=1e-5)
        arms = ds.raw(0)["labels"] & LABEL_MASK
        arms = torch.from_numpy(np.isin(arms if same else arms[:, ::-1], ARM_LABELS).copy())
        assert not (differs & ~arms).any()
        hidden |= bool(differs.any())
        if flipped and not same:
            seen_flip = True
            lm = item["landmarks"]
            assert np.allclose(lm[C.LEFT_SHOULDER, 0].item(), 1 - plain["landmarks"][C.RIGHT_SHOULDER, 0].item())
    assert seen_flip
    assert hidden or not np.isin(ds.raw(0)["labels"] & LABEL_MASK, ARM_LABELS).any(), "arms are sometimes hidden"


def test_items_cut_below_the_chest_are_shown_as_the_pipeline_shows_such_a_photo(pairs_folder, monkeypatch):
    """A cut item (a head-and-shoulders photo): below the cut the frame is off the photo, white
    in the agnostic input and in the target, with no garment to find there, but for the region
    going on past the cut (grey, its target the photo's garment) as
    :func:`tryon.region.shown_past_the_edge` shows it at inference."""
    from tryon.data.tryon_pairs import CROP_FROM

    monkeypatch.setattr("tryon.data.tryon_pairs.CROP_PROBABILITY", 1.0)
    monkeypatch.setattr("tryon.data.tryon_pairs.FLIP_PROBABILITY", 0.0)
    ds, plain = TryOnPairs(pairs_folder, augment=True, seed=0), TryOnPairs(pairs_folder)[0]
    white, grey = 1.0, 128 / 127.5 - 1
    lm = plain["landmarks"].numpy()
    shoulders, hips = (lm[[a, b], 1].mean() * 256 for a, b in
                       ((C.LEFT_SHOULDER, C.RIGHT_SHOULDER), (C.LEFT_HIP, C.RIGHT_HIP)))
    grown_seen = False
    for _ in range(8):
        item = ds[0]
        agnostic = item["agnostic"]
        off = (agnostic == white).all(0) & ~(plain["agnostic"] == white).all(0)
        rows = torch.nonzero(off.any(1)).flatten()
        assert len(rows), "the frame is cut"
        cut = int(rows.min())
        assert shoulders + CROP_FROM * (hips - shoulders) - 2 <= cut <= hips + 2
        assert (item["person"][:, off] == white).all()                    # the target is white there
        assert item["gt_garment"][0, off].sum() == 0
        below = item["region"][0, cut:] > 0                               # the region going on past the cut
        assert torch.allclose(agnostic[:, cut:][:, below], torch.tensor(grey), atol=1e-5)
        grown_seen |= bool(below.any())
        assert not (off & (item["region"][0] > 0)).any()
    assert grown_seen


def test_parse_region_items_come_from_our_parser_as_in_the_pipeline(tiny_prepared):
    root, cache = tiny_prepared
    layout = find_layout(root)
    folder = build_pairs_cache(layout, cache, train_pairs(layout, 1), cache, workers=1, progress=False,
                               parser_dir=WEIGHTS / "parser")
    pose_ds, parse_ds = TryOnPairs(folder), TryOnPairs(folder, region="parse")
    raw = parse_ds.raw(0)
    parsed = raw["parsed"]
    assert parsed.shape == C.FRAME_SIZE and set(np.unique(parsed)) - {0} != set(), "the parser labelled the person"
    item, pose_item = parse_ds[0], pose_ds[0]
    # The same function as the pipeline's, on the stored arrays.
    h, w = C.FRAME_SIZE
    px = raw["landmarks"] * np.array([w, h, 1], np.float32)
    valid = (raw["labels"] & VALID_BIT) > 0
    region, revealed = parse_regions(parsed, raw["person"], raw["mask"] / 255.0, px, (raw["labels"] & REGION_BIT) > 0,
                                     raw["garment"][..., 3] / 255.0, valid)
    assert np.array_equal(item["region"][0].numpy() > 0, region)
    assert np.array_equal(item["revealed"][0].numpy() > 0, revealed & region)
    assert not np.isin(parsed, (C.LIP_HAIR, C.LIP_FACE))[region].any(), "hair and face are never repainted"
    assert not torch.equal(item["region"], pose_item["region"])
    with pytest.raises(ValueError):
        TryOnPairs(folder, region="nowhere")


def test_a_wider_longer_old_top_adds_a_halo_and_a_band_but_never_face_hair_or_hands():
    """The augmentation's extra ring: beside the top (background) and below its hem (trousers),
    growing with its arguments; the face, hair and hands stay out, and so does the top itself."""
    from tryon.data.tryon_pairs import wider_old_garment

    h, w = C.FRAME_SIZE
    parsed = np.zeros((h, w), np.uint8)
    parsed[20:50, 70:120] = C.LIP_FACE
    parsed[60:160, 60:130] = C.LIP_UPPER_CLOTHES
    parsed[60:100, 60:72] = C.LIP_HAIR                  # hair over the left shoulder
    parsed[160:256, 65:125] = C.LIP_PANTS
    lm = np.zeros((33, 3), np.float32)
    lm[:, 2] = 1.0
    lm[[C.LEFT_SHOULDER, C.RIGHT_SHOULDER], :2] = [(125, 65), (65, 65)]
    lm[[C.LEFT_HIP, C.RIGHT_HIP], :2] = [(115, 150), (75, 150)]
    lm[[C.LEFT_EYE, C.RIGHT_EYE], :2] = [(105, 30), (85, 30)]
    lm[[C.MOUTH_LEFT, C.MOUTH_RIGHT], :2] = [(100, 42), (90, 42)]
    lm[[C.LEFT_EAR, C.RIGHT_EAR], :2] = [(118, 32), (72, 32)]
    for hand in (C.LEFT_HAND_LANDMARKS, C.RIGHT_HAND_LANDMARKS):
        lm[list(hand), :2] = (150, 150)                # one hand beside the hip, at (150, 150)
    valid = np.ones((h, w), bool)
    none = wider_old_garment(parsed, lm, valid, 0.0, 0.0)
    small = wider_old_garment(parsed, lm, valid, 0.05, 0.2)
    big = wider_old_garment(parsed, lm, valid, 0.15, 0.6)
    assert none.sum() <= small.sum() < big.sum() and not (small & ~big).any()
    assert big[100:140, 131:135].all(), "a halo beside the top"
    assert big[161:190, 80:110].all() and not big[230:, :].any(), "a band below the hem, over the trousers"
    assert not big[np.isin(parsed, (C.LIP_FACE, C.LIP_HAIR, C.LIP_UPPER_CLOTHES))].any()
    assert not big[145:156, 145:156].any(), "the hand stays"
    assert not wider_old_garment(parsed, lm, np.zeros_like(valid), 0.15, 0.6).any(), "only on the photo"


def test_augmented_parse_items_sometimes_repaint_a_wider_ring_with_the_photo_as_target(tiny_prepared):
    root, cache = tiny_prepared
    layout = find_layout(root)
    folder = build_pairs_cache(layout, cache, train_pairs(layout, 1), cache, workers=1, progress=False,
                               parser_dir=WEIGHTS / "parser")
    plain_ds, ds = TryOnPairs(folder, region="parse"), TryOnPairs(folder, augment=True, region="parse")
    plain = plain_ds[0]["region"][0] > 0
    torch.manual_seed(0)
    sizes = []
    for _ in range(30):
        item = ds[0]
        sizes.append(int((item["region"][0] > 0).sum()))
        # The agnostic input greys what the region adds, except skin it shows; the target stays the photo.
        added = (item["region"][0] > 0) & (item["revealed"][0] == 0)
        assert torch.allclose(item["agnostic"][:, added], torch.zeros(()), atol=0.01)
    assert max(sizes) > plain.sum() * 1.05, "some items repaint a wider, longer old top"
    assert min(sizes) <= plain.sum() * 1.02, "and some do not (a mirrored item's region may differ a little)"


def test_fine_tuning_starts_from_exported_weights(pairs_folder, monkeypatch):
    from tryon.training.tryon_task import TryOnTask

    ds = TryOnPairs(pairs_folder)
    loads = []
    real = TryOnNet.from_pretrained.__func__
    counted = classmethod(lambda cls, *a, **k: loads.append(a) or real(cls, *a, **k))
    monkeypatch.setattr(TryOnNet, "from_pretrained", counted)
    task = TryOnTask(ds, ds, init_from=WEIGHTS / "tryon")
    net = task.build_models()["net"]
    assert len(loads) == 1  # the weights are read once: for the config and the network
    monkeypatch.undo()
    shipped = TryOnNet.from_pretrained(WEIGHTS / "tryon")
    assert net.training and net.config == shipped.config
    for (name, a), (_, b) in zip(net.state_dict().items(), shipped.state_dict().items()):
        assert torch.equal(a, b), name
    fresh = TryOnTask(ds, ds).build_models()["net"]
    assert not torch.equal(next(iter(fresh.state_dict().values())), next(iter(net.state_dict().values())))


def test_bare_arms_are_sometimes_greyed_out_as_under_an_old_sleeve(pairs_folder, tmp_path):
    """The tiny layout's parse has no arms: label some revealed pixels as an arm in a copy."""
    import shutil

    folder = tmp_path / "pairs"
    shutil.copytree(pairs_folder, folder)
    labels = np.load(folder / "labels.npy", mmap_mode="r+")
    revealed = (labels[0] & REVEALED_BIT) > 0
    assert revealed.sum() > 20
    arm = np.zeros_like(revealed)
    arm[np.nonzero(revealed)[0][:20], np.nonzero(revealed)[1][:20]] = True
    labels[0][arm] = (labels[0][arm] & ~np.uint8(LABEL_MASK)) | C.LIP_LEFT_ARM
    labels.flush()
    del labels
    ds, plain = TryOnPairs(folder, augment=True), TryOnPairs(folder)[0]
    torch.manual_seed(0)
    greyed = []
    for _ in range(40):
        item = ds[0]
        shown = item["revealed"][0] > 0
        greyed.append(not shown.any() or int(shown.sum()) < int(plain["revealed"][0].sum()))
    assert 0 < sum(greyed) < len(greyed), "some items, not all, hide the arms"


def test_neck_skin_the_garment_covers_is_greyed_in_most_parse_items(tiny_prepared, monkeypatch):
    """As at inference with a network trained so (``TryOnPipeline.hide_covered_skin``): the skin
    under the new garment (``tryon.region.covered_skin``, here all of it) is not shown as skin
    in most augmented parse items; in the rest it is, as in items without augmentation."""
    import tryon.data.tryon_pairs as tp

    root, cache = tiny_prepared
    folder = build_pairs_cache(find_layout(root), cache, train_pairs(find_layout(root), 1), cache, workers=1,
                               progress=False, parser_dir=WEIGHTS / "parser")
    monkeypatch.setattr(tp, "WIDER_OLD_PROBABILITY", 0.0)
    monkeypatch.setattr(tp, "HIDE_ARMS_PROBABILITY", 0.0)
    monkeypatch.setattr(tp, "CROP_PROBABILITY", 0.0)
    monkeypatch.setattr(tp, "covered_skin", lambda labels, person, alpha: np.ones(labels.shape, bool))
    plain = TryOnPairs(folder, region="parse")[0]["revealed"].sum()
    assert plain > 0
    ds = TryOnPairs(folder, augment=True, region="parse")
    torch.manual_seed(0)
    hidden = [int(ds[0]["revealed"].sum()) == 0 for _ in range(40)]
    assert 0.5 * len(hidden) < sum(hidden) < len(hidden), f"{sum(hidden)} of {len(hidden)} items hid it"


def test_net_inputs_make_pose_maps_for_the_batch(pairs_folder):
    batch = torch.utils.data.default_collate([TryOnPairs(pairs_folder)[i] for i in range(2)])
    x = net_inputs(batch)
    assert x["pose"].shape == (2, POSE_CHANNELS, *C.FRAME_SIZE)
    assert 0 <= float(x["pose"].min()) and float(x["pose"].max()) <= 1 and float(x["pose"].max()) > 0.5


def _train_args(root, cache, run, steps):
    return ["train", "tryon", "--data", str(root), "--cache", str(cache), "--run-dir", str(run),
            "--steps", str(steps), "--batch-size", "2", "--val-pairs", "1", "--log-every", "1",
            "--sample-every", "2", "--checkpoint-every", "2", "--prepare-workers", "1"]


def test_train_resumes_after_kill_9_and_exports(tiny_prepared, pairs_folder, tmp_path):
    root, cache = tiny_prepared
    run = tmp_path / "tryon"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    err = (tmp_path / "child.err").open("w")
    child = subprocess.Popen([sys.executable, "-m", "tryon.cli", *_train_args(root, cache, run, 400)],
                             env=env, stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.time() + KILL_TIMEOUT
        while latest_checkpoint(run) is None and time.time() < deadline and child.poll() is None:
            time.sleep(0.5)
        assert latest_checkpoint(run) is not None, \
            f"no checkpoint before the kill: {(tmp_path / 'child.err').read_text()[-800:]}"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        err.close()
    killed_at = int(latest_checkpoint(run).name.split("_")[1])
    target = killed_at + 2
    assert main([*_train_args(root, cache, run, target), "--export-to", str(tmp_path / "weights")]) == 0
    assert latest_checkpoint(run).name == f"step_{target:08d}"
    steps = [json.loads(line)["step"] for line in (run / "stats.jsonl").read_text().splitlines()]
    assert steps[-2:] == [target - 1, target], "the resumed run continues after the checkpoint"
    assert (run / "samples" / f"step_{target:08d}.png").is_file()
    net = TryOnNet.from_pretrained(tmp_path / "weights" / "tryon")
    assert net.config.code_dim == 160
    # Trained on the parse's items, which grey the neck skin the garment covers: the pipeline will too.
    assert load_extra(tmp_path / "weights" / "tryon")[COVERED_SKIN_KEY] is True
    # The exported EMA network runs on a real batch and keeps the photo outside the region.
    batch = torch.utils.data.default_collate([TryOnPairs(pairs_folder)[0]])
    with torch.no_grad():
        out = net(**net_inputs(batch))
    outside = batch["region"] == 0
    assert torch.allclose(out.image.masked_select(outside), batch["agnostic"].masked_select(outside), atol=1e-3)

    # `tryon eval --mode learned` with these weights, on the tiny layout.
    report = tmp_path / "eval.json"
    code = main(["eval", "--data", str(root), "--val-pairs", "2", "--mode", "learned", "--weights",
                 str(tmp_path / "weights"), "-o", str(report)])
    assert code == 0
    data = json.loads(report.read_text())
    assert data["mode"] == "learned" and 0 < data["paired"]["ssim"] <= 1


def test_arms_and_hair_in_front_of_the_worn_garment_are_found_beside_ones_are_not():
    """The warp's mask loss skips what lies in front of the worn garment (an arm across the
    belly, hair over a shoulder), so the flow is not taught to cut holes there; an arm hanging
    beside the garment is not in front of it."""
    from tryon import constants as C
    from tryon.data.tryon_pairs import GARMENT_LABELS, in_front_of_garment

    parse = np.zeros((40, 30), np.uint8)
    parse[5:35, 8:22] = C.LIP_UPPER_CLOTHES
    parse[20:24, 10:20] = C.LIP_LEFT_ARM          # across the belly
    parse[5:30, 24:27] = C.LIP_RIGHT_ARM          # hanging beside
    parse[5:9, 9:12] = C.LIP_HAIR                 # over a shoulder
    front = in_front_of_garment(parse, np.isin(parse, GARMENT_LABELS))
    assert front[20:24, 10:20].all() and front[5:9, 9:12].all()
    assert not front[:, 24:].any() and not front[parse == C.LIP_UPPER_CLOTHES].any()
