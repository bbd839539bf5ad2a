"""Data: `tryon prepare` (landmark cache, resume), the train/val split, garment and body data sets.

Always-on tests run on a tiny generated VITON-layout folder (``tiny_viton.py``); the ``shared``
ones on the real VITON train split (fixture ``viton_dir``).
"""

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from tiny_viton import BROKEN, COLOURS, make_tiny_viton
from tryon import constants as C
from tryon.body import body_shape_input
from tryon.cli import main
from tryon.conditioning import garment_tensor
from tryon.data import LandmarkCache, build_cache, find_layout, read_pairs_file
from tryon.data import cache as cache_module
from tryon.data import garments as garments_module
from tryon.data.bodies import BodyDataset, flip_pose, rebuild_pose
from tryon.data.cache import CacheEntry
from tryon.data.garments import MAX_MASK_MISS, GarmentDataset, augment_garment, load_garment
from tryon.data.split import split_pairs, train_garments, train_persons, val_garments, val_persons
from tryon.errors import TryOnError

N_PERSONS = 5
SHARD = 2                       # 6 photos (5 + the broken one) -> shards [1, 2] [3, 4] [5, broken]
ENV = {**os.environ, "GLOG_minloglevel": "2", "TF_CPP_MIN_LOG_LEVEL": "2"}
GOOD = [f"{i:06d}_0.jpg" for i in range(1, N_PERSONS + 1)]
# Body channels: the silhouette, then one heatmap per POSE_MAP_LANDMARKS entry.
L_SHOULDER = 1 + C.POSE_MAP_LANDMARKS.index(C.LEFT_SHOULDER)
R_SHOULDER = 1 + C.POSE_MAP_LANDMARKS.index(C.RIGHT_SHOULDER)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return make_tiny_viton(tmp_path_factory.mktemp("viton"), N_PERSONS)


@pytest.fixture(scope="module")
def layout(tiny):
    return find_layout(tiny)


@pytest.fixture(scope="module")
def tiny_cache_dir(layout, tmp_path_factory):
    """A landmark cache of the tiny set in shards of two photos."""
    cache_dir = tmp_path_factory.mktemp("cache")
    build_cache(layout.image, cache_dir, shard_size=SHARD, progress=False)
    return cache_dir


@pytest.fixture(scope="module")
def bodies(tiny_cache_dir):
    return BodyDataset(LandmarkCache(tiny_cache_dir))


def _count_analyse(monkeypatch, fail_at: int | None = None) -> list[str]:
    """Record the photos MediaPipe runs on; raise KeyboardInterrupt at call ``fail_at``."""
    calls: list[str] = []
    real = cache_module._analyse

    def counting(path, frame):
        calls.append(path.name)
        if fail_at is not None and len(calls) == fail_at:
            raise KeyboardInterrupt
        return real(path, frame)

    monkeypatch.setattr(cache_module, "_analyse", counting)
    return calls


def _mtimes(cache_dir):
    return {p.name: p.stat().st_mtime_ns for p in cache_dir.glob("shard_*.npz")}


# ------------------------------------------------------------------------------ prepare
def test_prepare_caches_every_good_photo_and_lists_the_broken_one(tiny, tmp_path, capsys):
    assert main(["prepare", "--data", str(tiny), "--cache", str(tmp_path / "c")]) == 0
    out, err = capsys.readouterr()
    assert "cached 5 photos" in out
    assert f"skipped: {BROKEN}:" in err
    cache = LandmarkCache(tmp_path / "c")
    assert sorted(cache) == GOOD and cache.ok.all()
    assert cache.masks.shape == (N_PERSONS, *C.FRAME_SIZE)


def test_prepare_command_in_a_subprocess_then_resumes_without_work(tiny, tmp_path, monkeypatch, capsys):
    cache_dir = tmp_path / "c"
    r = subprocess.run([sys.executable, "-m", "tryon.cli", "prepare", "--data", tiny, "--cache", cache_dir],
                       capture_output=True, text=True, timeout=300, env=ENV)
    assert r.returncode == 0, r.stderr
    assert "cached 5 photos" in r.stdout
    assert f"skipped: {BROKEN}:" in r.stderr
    assert sorted(LandmarkCache(cache_dir)) == GOOD
    calls = _count_analyse(monkeypatch)
    assert main(["prepare", "--data", str(tiny), "--cache", str(cache_dir)]) == 0
    assert calls == []                                    # everything was there already
    assert f"skipped: {BROKEN}:" in capsys.readouterr().err


def test_prepare_recomputes_only_a_missing_last_shard(tiny_cache_dir, layout, tmp_path, monkeypatch):
    cache_dir = tmp_path / "c"
    shutil.copytree(tiny_cache_dir, cache_dir)
    (cache_dir / "shard_00002.npz").unlink()
    (cache_dir / "manifest.json").unlink()
    before = _mtimes(cache_dir)
    calls = _count_analyse(monkeypatch)
    manifest = build_cache(layout.image, cache_dir, shard_size=SHARD, progress=False)
    assert calls == ["000005_0.jpg", BROKEN]
    assert {k: v for k, v in _mtimes(cache_dir).items() if k in before} == before
    assert manifest["images"] == N_PERSONS and list(manifest["failed"]) == [BROKEN]
    np.testing.assert_allclose(LandmarkCache(cache_dir).landmarks, LandmarkCache(tiny_cache_dir).landmarks, atol=1e-3)


def test_prepare_killed_mid_shard_resumes_from_the_unfinished_shard(tiny_cache_dir, layout, tmp_path, monkeypatch):
    cache_dir = tmp_path / "c"
    shutil.copytree(tiny_cache_dir, cache_dir)
    for name in ("shard_00001.npz", "shard_00002.npz", "manifest.json"):
        (cache_dir / name).unlink()
    before = _mtimes(cache_dir)
    _count_analyse(monkeypatch, fail_at=2)                # killed inside shard 1
    with pytest.raises(KeyboardInterrupt):
        build_cache(layout.image, cache_dir, shard_size=SHARD, progress=False)
    assert _mtimes(cache_dir) == before                   # no partial shard, shard 0 untouched
    assert not list(cache_dir.glob("*.tmp")) and not list(cache_dir.glob(".*"))
    calls = _count_analyse(monkeypatch)
    build_cache(layout.image, cache_dir, shard_size=SHARD, progress=False)
    assert calls == ["000003_0.jpg", "000004_0.jpg", "000005_0.jpg", BROKEN]
    assert _mtimes(cache_dir)["shard_00000.npz"] == before["shard_00000.npz"]
    assert list(LandmarkCache(cache_dir)) == GOOD


# -------------------------------------------------------------------------------- split
def test_split_holds_out_the_last_lines():
    pairs = [(f"p{i}", f"g{i}") for i in range(10)]
    train, val = split_pairs(pairs, 3)
    assert val == pairs[-3:] and train == pairs[:-3]
    assert split_pairs(pairs, 0) == (pairs, [])
    with pytest.raises(TryOnError):
        split_pairs(pairs, 10)
    with pytest.raises(ValueError):
        split_pairs(pairs, -1)


def test_split_helpers_never_train_on_a_validation_garment_or_person(layout, tmp_path):
    pairs = tmp_path / "pairs.txt"
    # g1 is worn in a train pair AND a val pair; p2 appears twice in train; p3 in train and val.
    pairs.write_text("p1 g1\np2 g2\np2 g3\np3 g4\n# comment\n\np5 g1\np3 g6\n")
    lay = dataclasses.replace(layout, pairs=pairs)
    assert val_garments(lay, 2) == ["g1", "g6"]
    assert train_garments(lay, 2) == ["g2", "g3", "g4"]
    assert val_persons(lay, 2) == ["p5", "p3"]
    assert train_persons(lay, 2) == ["p1", "p2"]
    with pytest.raises(TryOnError):
        train_garments(dataclasses.replace(layout, pairs=None), 2)


def test_split_of_the_tiny_set(layout):
    lines = read_pairs_file(layout.pairs)
    assert val_persons(layout, 2) == [p for p, _ in lines[-2:]]
    assert train_garments(layout, 2) == [g for _, g in lines[:-2]]
    assert not set(train_garments(layout, 2)) & set(val_garments(layout, 2))


# ------------------------------------------------------------------------------ garments
def test_garment_dataset_items_and_cache_reuse(layout, monkeypatch):
    names = [g for _, g in read_pairs_file(layout.pairs)] + ["missing_1.jpg"]
    calls = []
    real = garments_module.prepare_garment
    monkeypatch.setattr(garments_module, "prepare_garment", lambda *a, **k: calls.append(1) or real(*a, **k))
    ds = GarmentDataset(layout, names, progress=False)     # default cache: <split>/tryon-cache
    assert ds.cache_file.parent == layout.split / "tryon-cache"
    assert re.fullmatch(r"garments_128x96_[0-9a-f]{10}\.npy", ds.cache_file.name)
    assert len(calls) == N_PERSONS and len(ds) == N_PERSONS
    assert list(ds.skipped) == ["missing_1.jpg"] and ds.names == names[:-1]
    for i, colour in enumerate(COLOURS[:N_PERSONS]):
        item = ds[i]
        x = item["garment"]
        assert item["name"] == names[i]
        assert x.shape == (4, *C.GARMENT_VAE_SIZE) and x.dtype == torch.float32
        assert x.min() >= -1 and x.max() <= 1
        assert set(x[3].unique().tolist()) == {-1.0, 1.0}
        on = x[3] > 0
        assert 0.3 < on.float().mean() < 0.8
        assert torch.all(x[:3, ~on] == 1)                 # white background
        rgb = (x[:3, on].median(dim=1).values + 1) * 127.5
        assert np.abs(rgb.numpy() - colour).max() < 12   # the T-shirt's colour
    again = GarmentDataset(layout, names, progress=False)
    assert len(calls) == N_PERSONS                        # served from the .npy, nothing prepared
    assert again.skipped == ds.skipped and again.names == ds.names
    assert torch.equal(again[2]["garment"], ds[2]["garment"])


def test_garments_with_a_wrong_cloth_mask_are_left_out(layout, tmp_path):
    root = tmp_path / "viton"
    shutil.copytree(layout.root, root, ignore=shutil.ignore_patterns("tryon-cache"))
    bad = np.asarray(Image.open(root / "train" / "cloth-mask" / "000002_1.jpg")).copy()
    bad[90:] = 0                                          # a VITON-style mask that misses the body
    Image.fromarray(bad).save(root / "train" / "cloth-mask" / "000002_1.jpg")
    lay = find_layout(root)
    names = [g for _, g in read_pairs_file(lay.pairs)]
    ds = GarmentDataset(lay, names, cache_dir=tmp_path / "c", progress=False)
    assert list(ds.skipped) == ["000002_1.jpg"] and "cloth-mask misses" in ds.skipped["000002_1.jpg"]
    assert len(ds) == N_PERSONS - 1
    stats = json.loads(ds.cache_file.with_suffix(".json").read_text())["mask_stats"]
    assert stats[1]["miss"] > 0.3 and max(s["miss"] for i, s in enumerate(stats) if i != 1) < MAX_MASK_MISS
    everything = GarmentDataset(lay, names, cache_dir=tmp_path / "c", mask_check=False, progress=False)
    assert everything.names == names and not everything.skipped


def test_garment_tensor_is_the_dataset_conversion(layout, tmp_path):
    ds = GarmentDataset(layout, ["000003_1.jpg"], cache_dir=tmp_path, progress=False)
    assert torch.equal(garment_tensor(load_garment(layout, "000003_1.jpg")), ds[0]["garment"])


def _two_tone_garment() -> np.ndarray:
    """A stored-format (4, H, W) uint8 garment: a rectangle, red on the image left, blue right."""
    h, w = C.GARMENT_VAE_SIZE
    array = np.full((4, h, w), 255, np.uint8)
    array[3] = 0
    array[3, 20:108, 15:81] = 255
    array[:3, 20:108, 15:48] = np.array(COLOURS[0], np.uint8)[:, None, None]
    array[:3, 20:108, 48:81] = np.array(COLOURS[1], np.uint8)[:, None, None]
    return array


def test_garment_augmentation_keeps_a_clean_mask_and_white_background():
    array = _two_tone_garment()
    plain = torch.from_numpy(array).float() / 127.5 - 1
    flips = 0
    gen = torch.Generator().manual_seed(0)
    for _ in range(16):
        x = augment_garment(array, gen)
        assert x.shape == plain.shape and x.dtype == torch.float32 and x.min() >= -1 and x.max() <= 1
        assert set(x[3].unique().tolist()) == {-1.0, 1.0}
        assert torch.all(x[:3, x[3] < 0] == 1)            # white off the garment
        on = x[3] > 0
        iou = (on & (plain[3] > 0)).sum() / (on | (plain[3] > 0)).sum()
        assert iou > 0.8                                   # small geometric jitter only
        assert 0.9 < on.sum() / (plain[3] > 0).sum() < 1.12
        left = x[:, :, :48][:, on[:, :48]].mean(dim=1)     # mean colour of the left part
        assert abs(float(left[0] - left[2])) > 0.5         # still clearly red or clearly blue
        flips += bool(left[2] > left[0])                   # blue on the left: mirrored
    assert 3 < flips < 13


# -------------------------------------------------------------------------------- bodies
def test_body_dataset_items_match_body_shape_input(bodies):
    assert bodies.names == GOOD and len(bodies) == N_PERSONS
    for i in range(len(bodies)):
        item = bodies[i]
        body, sil = item["body"], item["silhouette"]
        assert body.shape == (1 + len(C.POSE_MAP_LANDMARKS), *C.BODY_VAE_SIZE) and body.dtype == torch.float32
        assert sil.shape == (1, *C.BODY_VAE_SIZE) and set(sil.unique().tolist()) == {0.0, 1.0}
        assert body.min() >= -1 and body.max() <= 1 and torch.equal((body[0] + 1) / 2, sil[0])
        assert 0.2 < sil.mean() < 0.8
        pose = bodies.pose(i)
        for flip in (False, True):
            expected, _ = body_shape_input(flip_pose(pose) if flip else pose, C.BODY_VAE_SIZE)
            np.testing.assert_allclose(bodies.item(i, flip=flip)["body"].numpy(), expected, atol=1e-4)


def _peak(channel: torch.Tensor) -> np.ndarray:
    y, x = divmod(int(channel.argmax()), channel.shape[1])
    return np.array([x, y])


def test_a_flipped_body_is_the_mirrored_body(bodies):
    for i in range(len(bodies)):
        plain, flipped = bodies.item(i), bodies.item(i, flip=True)
        mirrored = plain["silhouette"].flip(-1)
        inter = (mirrored * flipped["silhouette"]).sum()
        union = ((mirrored + flipped["silhouette"]) > 0).sum()
        assert inter / union > 0.9
        # The person's left shoulder of the flipped photo is where her right one is, mirrored
        # (up to the 1.6 px by which the canonical shoulder point misses the frame centre).
        left_of_flipped = flipped["body"][L_SHOULDER]
        right_mirrored = plain["body"][R_SHOULDER].flip(-1)
        assert np.abs(_peak(left_of_flipped) - _peak(right_mirrored)).max() <= 2
        assert np.corrcoef(left_of_flipped.flatten(), right_mirrored.flatten())[0, 1] > 0.8
        # Mirroring without swapping left and right would put it on the other shoulder.
        assert np.abs(_peak(left_of_flipped) - _peak(plain["body"][L_SHOULDER].flip(-1))).max() > 10


def test_body_augmentation_jitters_scale_about_the_shoulders(tiny_cache_dir):
    ds = BodyDataset(LandmarkCache(tiny_cache_dir), augment=True)
    torch.manual_seed(0)
    areas = [float(ds[0]["silhouette"].mean()) for _ in range(10)]
    assert max(areas) / min(areas) > 1.03
    small, big = ds.item(0, scale=0.95), ds.item(0, scale=1.05)
    assert small["silhouette"].sum() < ds.item(0)["silhouette"].sum() < big["silhouette"].sum()
    for item in (small, big):   # the shoulder centre stays at the canonical point
        centre = (_peak(item["body"][L_SHOULDER]) + _peak(item["body"][R_SHOULDER])) / 2
        anchor = np.array([C.ALIGN_SHOULDER_X * C.BODY_VAE_SIZE[1], C.ALIGN_SHOULDER_Y * C.BODY_VAE_SIZE[0]])
        assert np.abs(centre - anchor).max() <= 2


def test_body_dataset_serves_only_ok_entries(tiny_cache_dir):
    cache = LandmarkCache(tiny_cache_dir)
    cache.ok[1] = False
    cache.reason = cache.reason.astype(object)
    cache.reason[1] = "turned away"
    ds = BodyDataset(cache, [*GOOD, BROKEN])
    assert ds.names == [GOOD[0], *GOOD[2:]]
    assert ds.skipped[GOOD[1]] == "turned away" and BROKEN in ds.skipped


def test_rebuilt_pose_keeps_the_photo_aspect():
    mask = np.zeros(C.FRAME_SIZE, np.float32)
    lm = np.random.default_rng(0).random((33, 3)).astype(np.float32)
    viton = rebuild_pose(CacheEntry("a", lm, mask, (192, 256), True, ""))
    assert viton.image_size == (192, 256) and viton.mask.shape == C.FRAME_SIZE
    np.testing.assert_array_equal(viton.landmarks, lm)
    wide = rebuild_pose(CacheEntry("b", lm, mask, (800, 400), True, ""))
    assert wide.image_size == (512, 256) and wide.mask.shape == (256, 512)


# ------------------------------------------------------------------- real VITON (shared)
@pytest.mark.shared
def test_real_viton_garments(viton_dir, tmp_path):
    layout = find_layout(viton_dir)
    names = list(dict.fromkeys(g for _, g in read_pairs_file(layout.pairs)))[:64]
    ds = GarmentDataset(layout, names, cache_dir=tmp_path, progress=False)
    assert len(ds) >= 56                                  # ~5 % of VITON's cloth-masks are wrong
    assert all(why.startswith("Its cloth-mask") for why in ds.skipped.values())
    x = torch.stack([ds[i]["garment"] for i in range(len(ds))])
    coverage = (x[:, 3] > 0).float().mean(dim=(1, 2))
    assert coverage.min() > 0.15 and coverage.max() < 0.9 and 0.3 < coverage.mean() < 0.7
    assert 0.5 < x[:, :3].abs().mean() < 0.95
    assert bool(torch.all(x[:, :3].permute(1, 0, 2, 3)[:, x[:, 3] < 0] == 1))


@pytest.mark.shared
def test_real_viton_prepare_and_bodies(viton_dir, tmp_path):
    assert main(["prepare", "--data", str(viton_dir), "--cache", str(tmp_path), "--limit", "16"]) == 0
    cache = LandmarkCache(tmp_path)
    assert len(cache) == 16 and cache.ok.sum() >= 15
    ds = BodyDataset(cache, augment=True)
    assert len(ds) >= 15
    sil = torch.stack([ds[i]["silhouette"] for i in range(len(ds))])
    assert 0.2 < sil.mean() < 0.6


@pytest.mark.shared
def test_real_viton_split(viton_dir):
    layout = find_layout(viton_dir)
    pairs = read_pairs_file(layout.pairs)
    n_val = min(C.VALIDATION_PAIRS, len(pairs) // 4)
    assert val_persons(layout, n_val) == list(dict.fromkeys(p for p, _ in pairs[-n_val:]))
    assert not set(train_garments(layout, n_val)) & set(val_garments(layout, n_val))
    assert not set(train_persons(layout, n_val)) & set(val_persons(layout, n_val))


def test_a_limited_run_then_a_full_run_caches_everything(tmp_path):
    """A shard written by `--limit` must not count as done for the full name list."""
    import tiny_viton
    from tryon.data import LandmarkCache, build_cache, find_layout

    root = tiny_viton.make_tiny_viton(tmp_path / "viton", 5)
    layout = find_layout(root)
    names = sorted(p.name for p in layout.image.iterdir())
    build_cache(layout.image, tmp_path / "cache", names=names[:3], shard_size=4, progress=False)
    manifest = build_cache(layout.image, tmp_path / "cache", names=names, shard_size=4, progress=False)
    cached = set(LandmarkCache(tmp_path / "cache"))
    assert cached | set(manifest["failed"]) == set(names)
