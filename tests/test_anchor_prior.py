"""The anchor prior: duplicates dropped, true nearest neighbours, samples between similar codes,
saved and loaded with a designer folder, and what the design pipeline samples from."""

import numpy as np
import pytest
import torch
from PIL import Image

from pipelines.design_pipeline import GarmentDesignPipeline
from tryon.models.latent_prior import ANCHORS_DIR, AnchorPrior
from tryon.metrics import checker_energy
from tryon.models.vae import VAE, VAEConfig
from tryon.training.prior_fit import fit_and_save_priors, fit_anchors


def _gap(z, anchors):
    """Each code's exact distance to the nearest anchor (cdist's matmul form rounds to ~1e-3)."""
    return (z[:, None] - anchors[None]).norm(dim=-1).min(1).values


def _codes(n=60, d=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g) * torch.linspace(0.5, 3.0, d)


def test_duplicates_are_dropped_and_neighbours_are_the_nearest():
    codes = _codes()
    with_copies = torch.cat([codes, codes[:7], codes[3:5] + 1e-6])    # 9 (near-)copies appended
    prior, info = fit_anchors(with_copies, neighbours=4)
    assert info == {**info, "codes": 69, "anchors": 60, "duplicates": 9}
    assert torch.equal(prior.anchors, codes)                          # the first of each kept, in order
    d = torch.cdist(codes, codes)
    d.fill_diagonal_(float("inf"))
    assert torch.equal(prior.neighbours, d.topk(4, largest=False).indices)


def test_near_copies_are_duplicates_even_when_most_codes_have_one():
    """VITON-like: two of three garments stored twice with a small jitter; the jittered copies go,
    distinct codes (however close to each other) stay."""
    codes = _codes(90)
    codes[1] = codes[0] + 0.3                                   # distinct, yet close to another
    g = torch.Generator().manual_seed(1)
    copies = codes[:60] + 0.01 * torch.randn(60, codes.shape[1], generator=g)
    prior, info = fit_anchors(torch.cat([codes, copies]), neighbours=4)
    assert info == {**info, "codes": 150, "anchors": 90, "duplicates": 60}
    assert torch.equal(prior.anchors, codes)


def test_exact_copies_go_even_when_most_codes_have_many():
    codes = _codes(20)
    prior, info = fit_anchors(torch.cat([codes] * 6), neighbours=4)    # every code 6 times
    assert info == {**info, "anchors": 20, "duplicates": 100}
    assert torch.equal(prior.anchors, codes)


def test_samples_lie_between_an_anchor_and_one_of_its_neighbours():
    prior, _ = fit_anchors(_codes(), neighbours=3)
    g = lambda: torch.Generator().manual_seed(5)
    at_zero = prior.sample(20, generator=g(), temperature=0.0)
    assert (_gap(at_zero, prior.anchors) < 1e-6).all()   # the anchors themselves
    z = prior.sample(200, generator=g())
    assert torch.equal(z, prior.sample(200, generator=g()))                   # seeded
    # each sample a + u (b - a), u in [0, 1], b a neighbour of a: on some such segment
    a = prior.anchors[:, None]                                               # (N, 1, D)
    b = prior.anchors[prior.neighbours]                                      # (N, k, D)
    seg = b - a
    u = ((z[:, None, None] - a) * seg).sum(-1) / seg.pow(2).sum(-1)         # (S, N, k)
    off = (a + u.clamp(0, 1)[..., None] * seg - z[:, None, None]).norm(dim=-1)
    assert (off.flatten(1).min(1).values < 1e-4).all()
    assert not (_gap(z, prior.anchors) < 1e-4).all()     # not only copies


def test_the_design_pipeline_samples_from_saved_anchors(tmp_path):
    VAE(VAEConfig(channels=(8, 16, 16, 16), latent_dim=6)).save_pretrained(tmp_path)
    codes = _codes()
    info = fit_and_save_priors(codes, tmp_path, components=2)
    assert info["anchors"]["anchors"] == 60
    loaded = AnchorPrior.from_pretrained(tmp_path / ANCHORS_DIR)
    assert torch.allclose(loaded.anchors, codes, atol=2e-3 * codes.abs().max())   # float16 on disk
    design = GarmentDesignPipeline.from_pretrained(tmp_path)
    assert design.anchors is not None and design.prior is not None
    z = design.sample_codes(8, seed=3, temperature=0.0)
    assert (_gap(z, loaded.anchors) < 1e-6).all()
    assert len(design.sample(2, seed=1)) == 2


def test_the_sampler_is_chosen_and_a_missing_one_is_said(tmp_path):
    VAE(VAEConfig(channels=(8, 16, 16, 16), latent_dim=6)).save_pretrained(tmp_path)
    codes = _codes() + 40.0                                    # far from N(0, I)
    fit_and_save_priors(codes, tmp_path, components=2)
    design = GarmentDesignPipeline.from_pretrained(tmp_path)
    auto, anchors = design.sample_codes(16, seed=2), design.sample_codes(16, seed=2, sampler="anchors")
    assert torch.equal(auto, anchors)
    mixture = design.sample_codes(16, seed=2, sampler="mixture", temperature=0.0)
    assert (_gap(mixture, design.prior.means.float()) < 1e-4).all()      # component means at T = 0
    assert (design.sample_codes(16, seed=2, sampler="normal").abs() < 10).all()
    design.anchors = None
    assert torch.equal(design.sample_codes(16, seed=2), design.sample_codes(16, seed=2, sampler="mixture"))
    with pytest.raises(ValueError, match="no anchors prior"):
        design.sample_codes(2, sampler="anchors")
    with pytest.raises(ValueError, match="sampler must be one of"):
        design.sample_codes(2, sampler="gan")


def test_generate_writes_a_contact_sheet_of_the_samples(tmp_path, capsys):
    from tryon.cli import main
    from tryon.sheet import on_white_rgb

    VAE(VAEConfig(channels=(8, 16, 16, 16), latent_dim=6)).save_pretrained(tmp_path / "designer")
    fit_and_save_priors(_codes(), tmp_path / "designer", components=2)
    assert main(["generate", "--weights", str(tmp_path / "designer"), "--n", "10", "--sampler", "mixture",
                 "--sheet", str(tmp_path / "sheet.png"), "-o", str(tmp_path / "out")]) == 0
    garments = sorted((tmp_path / "out").iterdir())
    assert len(garments) == 10
    w, h = Image.open(garments[0]).size
    sheet = np.asarray(Image.open(tmp_path / "sheet.png"))
    assert sheet.shape == (2 * h, 8 * w, 3)
    assert (sheet[-h:, -w:] == 255).all()                        # the second row's empty end: white
    assert np.array_equal(sheet[h:, w:2 * w], np.asarray(on_white_rgb(Image.open(garments[9]))))
    assert "contact sheet" in capsys.readouterr().out


def test_generate_refuses_a_bad_sheet_or_sampler_with_one_line(tmp_path, capsys):
    from tryon.cli import main

    folder = tmp_path / "designer"
    VAE(VAEConfig(channels=(8, 16, 16, 16), latent_dim=6)).save_pretrained(folder)   # no priors
    garment = tmp_path / "g.png"
    Image.new("RGB", (96, 128), "white").save(garment)
    cases = [(["--sheet", str(tmp_path / "sheet")], "--sheet needs a picture file name"),
             (["--sampler", "anchors"], "has no anchors prior"),
             (["--sampler", "mixture", "--vary", str(garment)], "--sampler chooses")]
    for extra, said in cases:
        code = main(["generate", "--weights", str(folder), "--n", "2", "-o", str(tmp_path / "out"), *extra])
        err = capsys.readouterr().err
        assert code == 1 and err.count("\n") == 1 and said in err, (extra, err)
    assert not (tmp_path / "out").exists()


def test_checker_energy_sees_dots_not_flat_colour_or_smooth_shading():
    flat = torch.full((1, 3, 16, 12), 0.3)
    ramp = torch.linspace(-1, 1, 12).expand(1, 3, 16, 12).clone()
    y, x = torch.meshgrid(torch.arange(16), torch.arange(12), indexing="ij")
    dots = (0.2 * (-1.0) ** (x + y)).expand(1, 3, 16, 12)
    alpha = torch.ones(1, 1, 16, 12)
    e = checker_energy(torch.cat([flat, ramp, flat + dots]), alpha.expand(3, 1, 16, 12))
    assert e[0] == 0 and e[1] < 1e-6 and abs(float(e[2]) - 0.2) < 1e-5
    assert checker_energy(flat + dots, torch.zeros(1, 1, 16, 12))[0] == 0     # outside the garment


def test_the_noisiest_codes_are_left_out():
    codes = _codes(n=50)
    noise = lambda z: z[:, 0]                                   # "noisy" = large first coordinate
    prior, info = fit_anchors(codes, neighbours=3, noise=noise)
    assert info["noisy"] == 10 and info["anchors"] == 40
    assert prior.anchors[:, 0].max() <= codes[:, 0].sort().values[39] + 1e-6
