"""`tryon train garment-designer` on a tiny generated VITON folder: it starts from the garment VAE,
moves it, resumes, and exports the VAE with its fitted prior, which the design pipeline samples."""

import json

import torch

from pipelines.design_pipeline import GarmentDesignPipeline
from tryon.cli import main
from tryon.models.latent_prior import MixturePrior
from tryon.models.vae import VAE, VAEConfig
from tryon.training.checkpoint import latest_checkpoint


def _train(root, cache, run, steps, *extra):
    return main(["train", "garment-designer", "--data", str(root), "--cache", str(cache), "--run-dir", str(run),
                 "--steps", str(steps), "--batch-size", "2", "--val-pairs", "1", "--log-every", "1",
                 "--sample-every", "2", "--checkpoint-every", "2", *extra])


def test_designer_fine_tunes_resumes_and_exports_a_prior(tiny_prepared, tmp_path):
    root, cache = tiny_prepared
    torch.manual_seed(0)
    start = tmp_path / "start"
    VAE(VAEConfig(channels=(8, 16, 16, 16), latent_dim=8)).save_pretrained(start)
    run = tmp_path / "run"
    assert _train(root, cache, run, 2, "--init-from", str(start)) == 0
    assert _train(root, cache, run, 4, "--init-from", str(start), "--export-to", str(tmp_path / "w")) == 0
    steps = [json.loads(l) for l in (run / "stats.jsonl").read_text().splitlines()]
    assert [s["step"] for s in steps] == [1, 2, 3, 4] and all(s["balance"] >= 0 for s in steps)
    assert latest_checkpoint(run).name == "step_00000004"
    exported = tmp_path / "w" / "garment-designer"
    moved, first = VAE.from_pretrained(exported), VAE.from_pretrained(start)
    assert moved.config == first.config
    assert any(not torch.equal(a, b) for a, b in zip(moved.state_dict().values(), first.state_dict().values()))
    prior = MixturePrior.from_pretrained(exported / "prior")
    assert prior.config.latent_dim == 8 and torch.isfinite(prior.log_prob(prior.sample(4))).all()
    design = GarmentDesignPipeline.from_pretrained(exported)
    assert design.prior is not None and len(design.sample(2, seed=1)) == 2


def test_a_fresh_designer_takes_the_code_length_it_is_given(tiny_prepared, tmp_path, capsys):
    root, cache = tiny_prepared
    torch.manual_seed(0)
    run = tmp_path / "fresh"
    assert _train(root, cache, run, 2, "--latent-dim", "24", "--export-to", str(tmp_path / "w")) == 0
    config = VAE.from_pretrained(tmp_path / "w" / "garment-designer").config
    assert config.latent_dim == 24 and config.bottleneck_channels > 0 and config.res_levels == 2
    steps = [json.loads(l) for l in (run / "stats.jsonl").read_text().splitlines()]
    assert [s["balance"] for s in steps] == [0.0, 0.0]  # the adversarial term waits for its start
    design = GarmentDesignPipeline.from_pretrained(tmp_path / "w" / "garment-designer")
    assert len(design.sample(2, seed=1)) == 2
    capsys.readouterr()
    assert _train(root, cache, tmp_path / "both", 2, "--latent-dim", "24", "--init-from", str(tmp_path / "w")) != 0
    assert "either --init-from" in capsys.readouterr().err
    assert _train(root, cache, tmp_path / "zero", 2, "--latent-dim", "0") != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: --latent-dim must be a positive whole number (e.g. 256), not 0."], err


def test_a_bottleneck_keeps_a_long_code_small():
    plain, narrow = VAEConfig(latent_dim=512), VAEConfig(latent_dim=512, bottleneck_channels=64)
    sizes = [sum(p.numel() for p in VAE(c).parameters()) for c in (plain, narrow)]
    assert sizes[1] < sizes[0] / 2
    out = VAE(narrow)(torch.zeros(2, 4, 128, 96), sample=False)
    assert out.image.shape == (2, 3, 128, 96) and out.mu.shape == (2, 512)
