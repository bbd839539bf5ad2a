"""`tryon train garment-vae|body-vae` on a tiny generated VITON folder: smoke, resume, export."""

import json

import pytest
import torch

from tryon.cli import main
from tryon.hub import load_extra
from tryon.models.vae import VAE
from tryon.training.body_vae import BODY_ANOMALY_QUANTILE
from tryon.training.checkpoint import latest_checkpoint
from tryon.training.garment_vae import ANOMALY_QUANTILE


def _train(model, root, cache, run, steps, *extra):
    return main(["train", model, "--data", str(root), "--cache", str(cache), "--run-dir", str(run),
                 "--steps", str(steps), "--batch-size", "2", "--val-pairs", "1", "--log-every", "1",
                 "--sample-every", "2", "--checkpoint-every", "2", *extra])


@pytest.mark.parametrize("model", ["garment-vae", "body-vae"])
def test_two_steps_then_resume_to_four_and_export(model, tiny_prepared, tmp_path):
    root, cache = tiny_prepared
    run = tmp_path / model
    assert _train(model, root, cache, run, 2) == 0
    assert latest_checkpoint(run).name == "step_00000002"
    assert _train(model, root, cache, run, 4, "--export-to", str(tmp_path / "weights")) == 0
    assert latest_checkpoint(run).name == "step_00000004"
    steps = [json.loads(l)["step"] for l in (run / "stats.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3, 4], "the resumed run must continue at step 3, not start over"
    assert (run / "samples" / "step_00000004.png").is_file()
    exported = tmp_path / "weights" / model
    vae = VAE.from_pretrained(exported)
    extra = load_extra(exported)
    quantile = ANOMALY_QUANTILE if model == "garment-vae" else BODY_ANOMALY_QUANTILE
    assert extra["anomaly_quantile"] == quantile and extra["anomaly_threshold"] > 0
    x = torch.zeros(1, vae.config.in_channels, *vae.config.resolution)
    out = vae(x, sample=False)
    assert out.mask_logits.shape[-2:] == tuple(vae.config.resolution)
    if model == "body-vae":
        assert vae.config.latent_dim <= 32 and out.image is None
    else:
        assert out.image.shape[1] == 3
