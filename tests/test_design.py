"""GarmentDesignPipeline: mechanics on a small random VAE (always on), and the shipped weights."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from images import astronaut, tshirt
from pipelines import TryOnPipeline
from pipelines.design_pipeline import GARMENT_VAE_DIR, GarmentDesignPipeline, slerp
from tryon.errors import GarmentError
from tryon.models.vae import VAE, VAEConfig

SHIPPED = (GARMENT_VAE_DIR / "model.safetensors").is_file()
needs_weights = pytest.mark.skipif(not SHIPPED, reason=f"no shipped garment VAE weights in {GARMENT_VAE_DIR}")


@pytest.fixture(scope="module")
def random_design(tmp_path_factory):
    torch.manual_seed(0)
    vae = VAE(VAEConfig(channels=(8, 16, 16, 16), latent_dim=8))
    path = tmp_path_factory.mktemp("vae") / "garment-vae"
    vae.save_pretrained(path, extra={"anomaly_threshold": 1e9})
    return GarmentDesignPipeline.from_pretrained(path)


def _arr(img):
    return np.asarray(img)


def test_samples_are_rgba_and_seeded(random_design):
    a = random_design.sample(3, seed=7)
    b = random_design.sample(3, seed=7)
    c = random_design.sample(3, seed=8)
    assert len(a) == 3 and all(i.mode == "RGBA" and i.size == (192, 256) for i in a)
    assert all(np.array_equal(_arr(x), _arr(y)) for x, y in zip(a, b))
    assert not np.array_equal(_arr(a[0]), _arr(c[0]))


def test_interpolate_ends_at_both_garments(random_design):
    za, zb = np.ones(8, np.float32), -np.linspace(0, 1, 8).astype(np.float32)
    seq = random_design.interpolate(za, zb, steps=4)
    assert len(seq) == 4
    for got, code in ((seq[0], za), (seq[-1], zb)):  # equal up to float rounding of the slerp
        diff = np.abs(_arr(got).astype(int) - _arr(random_design.decode(code)[0]).astype(int))
        assert diff.max() <= 2


def test_slerp_keeps_the_norm_between_equal_norm_codes():
    a, b = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    mid = slerp(a, b, 0.5)
    assert torch.allclose(mid, torch.tensor([0.7071, 0.7071]), atol=1e-4)


def test_vary_with_zero_strength_reproduces_the_encoding(random_design):
    garment = tshirt()
    same = random_design.vary(garment, strength=0.0, n=2)
    ref = random_design.decode(random_design.encode(garment))[0]
    for s_ in same:  # equal up to float rounding (a batch of 2 vs a batch of 1)
        assert np.abs(_arr(s_).astype(int) - _arr(ref).astype(int)).max() <= 2
    assert len(random_design.vary(garment, strength=1.0, n=3, seed=1)) == 3


def test_bad_values_are_refused(random_design):
    with pytest.raises(ValueError):
        random_design.sample(0)
    with pytest.raises(ValueError):
        random_design.interpolate(np.zeros(8), np.ones(8), steps=1)


# ------------------------------------------------------------------ the shipped weights
@needs_weights
def test_shipped_samples_look_like_garments_and_try_on():
    design = GarmentDesignPipeline.from_pretrained()
    samples = design.sample(4, seed=0)
    alphas = [(_arr(s)[..., 3] > 127).mean() for s in samples]
    assert all(0.15 < a < 0.9 for a in alphas), alphas  # a garment-sized mask, not empty or full
    a0, a1 = _arr(samples[0]).astype(int), _arr(samples[1]).astype(int)
    assert np.abs(a0 - a1).mean() > 5, "different samples must look different"
    out = TryOnPipeline.from_pretrained()(person=astronaut(), garment=samples[0])
    assert out.image.size == (512, 512)


@needs_weights
def test_shipped_anomaly_flags_the_astronaut_and_passes_a_garment():
    design = GarmentDesignPipeline.from_pretrained()
    assert not design.anomaly(astronaut()).is_garment
    example = sorted((Path(__file__).resolve().parent.parent / "assets/examples/garments").glob("tshirt*.jpg"))[0]
    assert design.anomaly(example).is_garment


@needs_weights
def test_the_checks_codes_are_the_try_on_networks_codes():
    """The pipeline reuses the anomaly checks' mean codes as the network's conditioning; they must
    be exactly what training's vae_codes() computes, or a shopper's photo reaches the network
    differently from a training photo."""
    from tryon.anomaly import body_check, body_score
    from tryon.conditioning import body_code, garment_code, vae_codes
    from tryon.garment import prepare_garment
    from tryon.io import load_image
    from tryon.pose import detect_pose

    design = GarmentDesignPipeline.from_pretrained()
    pipe = TryOnPipeline.from_pretrained(mode="baseline")
    prepared = prepare_garment(load_image(tshirt(), keep_alpha=True), size=(256, 192))
    pose = detect_pose(np.asarray(astronaut()))
    verdict = design.anomaly(prepared)  # the check is the garment VAE's, whose codes condition the network
    assert torch.equal(verdict.code, torch.from_numpy(garment_code(design.checker.vae, prepared)))
    score, code = body_check(pipe.body_vae, pose)
    assert torch.equal(code, torch.from_numpy(body_code(pipe.body_vae, pose)))
    assert score == body_score(pipe.body_vae, pose)
    _, codes = pipe._garment_check(prepared)
    _, body = pipe._body_check(pose)
    both = torch.cat([codes["garment"], body]).numpy()
    assert np.array_equal(both, vae_codes(design.checker.vae, pipe.body_vae, prepared, pose))


@needs_weights
def test_cli_generate_twice_same_seed_same_files_and_check_garment(tmp_path):
    def gen(out):
        r = subprocess.run([sys.executable, "-m", "tryon.cli", "generate", "--n", "3", "--seed", "5", "-o", str(out)],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        return sorted(out.iterdir())

    first, second = gen(tmp_path / "a"), gen(tmp_path / "b")
    assert [p.name for p in first] == [p.name for p in second] and len(first) == 3
    # Same seed, same garments: to one level of 255 (one full run of the suite, on a busy host, once
    # gave different bytes; alone and under load they were identical in 8 runs).
    for p, q in zip(first, second):
        a, b = np.asarray(Image.open(p)).astype(int), np.asarray(Image.open(q)).astype(int)
        assert a.shape == b.shape and np.abs(a - b).max() <= 1, p.name
    assert Image.open(first[0]).mode == "RGBA"
    person = tmp_path / "astronaut.png"
    astronaut().save(person)
    r = subprocess.run([sys.executable, "-m", "tryon.cli", "try-on", str(person), str(first[0]), "-o",
                        str(tmp_path / "worn.png")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([sys.executable, "-m", "tryon.cli", "check-garment", str(person)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "not a garment" in r.stdout


@needs_weights
def test_try_on_warns_when_the_garment_is_not_a_garment():
    from skimage import data

    from pipelines.tryon_pipeline import NOT_A_GARMENT_WARNING

    pipe = TryOnPipeline.from_pretrained()
    assert pipe.garment_checker is not None
    for not_garment in (astronaut(), Image.fromarray(data.coffee())):
        try:  # "flat": said to be a garment photo (auto would cut the astronaut's suit out)
            out = pipe(person=astronaut(), garment=not_garment, garment_type="flat")
        except GarmentError as err:  # a cut-out may fail outright, which is also a clear answer
            assert "garment" in str(err)
            continue
        assert NOT_A_GARMENT_WARNING in out.warnings
    example = sorted((Path(__file__).resolve().parent.parent / "assets/examples/garments").glob("tshirt*.jpg"))[0]
    assert NOT_A_GARMENT_WARNING not in pipe(person=astronaut(), garment=example).warnings
