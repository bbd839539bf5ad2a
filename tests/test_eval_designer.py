"""tryon eval garment-vae with a generator (tryon.eval_designer): the report's keys on a tiny VITON,
the samples equal to what `tryon generate` writes, and (shared) the real command on a few items."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from pipelines.design_pipeline import GarmentDesignPipeline
from tiny_viton import make_tiny_viton
from tryon.cli import main
from tryon.data.garments import MASK_THRESHOLD
from tryon.data.layout import find_layout
from tryon.eval_designer import (_cut_out, designer_samples, garment_vae_and_designer_report, mean_pairwise_distance,
                                 on_white)
from tryon.models.vae import VAE, VAEConfig

DESIGNER_KEYS = {"generator", "portion", "seed", "samples", "real_garments", "image_size", "two_sample_accuracy",
                 "diversity", "novelty", "reconstruction_ssim", "false_warnings", "targets", "notes"}


@pytest.fixture(scope="module")
def tiny_vae_dir(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("vae") / "garment-vae"
    VAE(VAEConfig(channels=(8, 16, 16, 16), latent_dim=8)).save_pretrained(path, extra={"anomaly_threshold": 1e9})
    return path


def test_samples_are_what_tryon_generate_writes(tiny_vae_dir, tmp_path):
    assert main(["generate", "--n", "3", "--seed", "11", "--weights", str(tiny_vae_dir), "-o", str(tmp_path)]) == 0
    written = sorted(tmp_path.glob("*.png"))
    ours = designer_samples(GarmentDesignPipeline.from_pretrained(tiny_vae_dir), 3, 11)
    assert len(written) == 3
    for path, image in zip(written, ours):
        with Image.open(path) as png:
            assert np.array_equal(on_white(png), on_white(image))


def test_on_white_and_pairwise_distance():
    rgba = Image.new("RGBA", (4, 2), (0, 0, 0, 0))
    assert (on_white(rgba) == 255).all() and on_white(rgba).shape == (2, 4, 3)
    x = np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 0.0]])
    assert mean_pairwise_distance(x) == pytest.approx((5 + 0 + 5) / 3)


def test_on_white_is_pils_alpha_composite_on_every_value_and_alpha():
    """The PIL adapter of tryon.tensors.on_white gives PIL's own pixels, for every (value, alpha)."""
    v, a = np.meshgrid(np.arange(256), np.arange(256), indexing="ij")
    rgba = Image.fromarray(np.stack([v, 255 - v, v // 3, a], -1).astype(np.uint8), "RGBA")
    pil = Image.alpha_composite(Image.new("RGBA", rgba.size, (255,) * 4), rgba).convert("RGB")
    assert np.array_equal(on_white(rgba), np.asarray(pil))


def test_report_keys_on_a_tiny_viton(tiny_vae_dir, tmp_path):
    root = make_tiny_viton(tmp_path / "viton", 5)
    design = GarmentDesignPipeline.from_pretrained(tiny_vae_dir)
    report = garment_vae_and_designer_report(design, root, cache=tmp_path / "cache", n_val=3, per_source=1,
                                             generator=design, generator_folder=tiny_vae_dir, samples=10, seed=11)
    d = report["designer"]
    assert DESIGNER_KEYS <= set(d) and d["samples"] == 10 and d["real_garments"] == 3
    assert set(d["two_sample_accuracy"]) == {"samples_vs_real", "reconstructions_vs_real", "real_half_vs_half",
                                             "samples_vs_real_cut_outs", "real_vs_own_cut_outs"}
    assert 0 <= d["two_sample_accuracy"]["samples_vs_real"] <= 1 and d["two_sample_accuracy"]["real_half_vs_half"] is None
    assert d["diversity"]["samples"] > 0 and d["novelty"]["samples_median"] > 0 and d["image_size"] == [256, 192]
    ssims = d["reconstruction_ssim"]
    assert set(ssims) == {"generator_vae", "garment_vae", "output", "output_refined"}
    assert ssims["output"]["garments"] == ssims["generator_vae"]["garments"] and not ssims["output_refined"]
    assert -1 <= ssims["output"]["mean"] <= 1
    assert d["false_warnings"]["designer_samples"]["photos"] == 1
    assert "viton_garments_768" in d["false_warnings"]["sources"]
    assert "reconstruction_ssim" in report and "nearest_training_garment_distance" in report
    json.dumps(report)


def test_a_real_garment_cut_out_is_its_photo_in_its_mask_and_white_around(tmp_path):
    """The reference for what the cut-out alone gives away: the photo's own pixels where its
    cloth-mask says garment, pure white elsewhere, as a generated garment is composited."""
    layout = find_layout(make_tiny_viton(tmp_path / "viton", 2))
    name = sorted(p.name for p in layout.cloth.iterdir())[0]
    photo = np.asarray(Image.open(layout.cloth / name).convert("RGB"))
    mask = np.asarray(Image.open(layout.cloth_mask / name).convert("L")) >= MASK_THRESHOLD
    cut = _cut_out(layout, name, (photo.shape[1], photo.shape[0]))
    assert mask.any() and (~mask).any() and (photo[~mask] < 255).any()
    assert np.array_equal(cut[mask], photo[mask]) and (cut[~mask] == 255).all()
    assert _cut_out(layout, name, (96, 128)).shape == (128, 96, 3)


@pytest.mark.shared
def test_the_real_command_on_a_few_items(viton_dir, tmp_path):
    out = tmp_path / "r.json"
    assert main(["eval", "garment-vae", "--data", str(viton_dir), "--val-pairs", "40", "--samples", "20",
                 "--per-source", "2", "--designer", "assets/weights/garment-vae", "-o", str(out)]) == 0
    d = json.loads(out.read_text())["designer"]
    assert d["samples"] == 20 and 0.0 <= d["two_sample_accuracy"]["samples_vs_real"] <= 1.0
