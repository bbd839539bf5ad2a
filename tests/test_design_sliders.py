"""Attribute sliders: the measures, the fitted directions, edit(), `tryon generate --edit` and
the slider report; mechanics on synthetic data (always on), directions on the bundled weights."""

import math

import cv2
import numpy as np
import pytest
import torch

from pipelines.design_pipeline import GARMENT_DESIGNER_DIR, GarmentDesignPipeline
from tryon.cli import main
from tryon.cli_args import edit_value
from tryon.errors import TryOnError
from tryon.garment_attributes import measure_garment, measure_rgba
from tryon.models.latent_directions import LatentDirections
from tryon.models.latent_prior import MixturePrior, MixturePriorConfig
from tryon.models.vae import VAE, VAEConfig
from tryon.training.direction_fit import fit_directions

BUNDLED = (GARMENT_DESIGNER_DIR / "directions" / "model.safetensors").is_file()
needs_sliders = pytest.mark.skipif(not BUNDLED, reason=f"no bundled sliders in {GARMENT_DESIGNER_DIR}")

BODY = [(66, 40), (126, 40), (136, 60), (136, 220), (56, 220), (56, 60)]   # (x, y) on 256x192


def _garment(sleeve_end_y: int, hem_y: int = 220, colour=(200, 30, 40)) -> tuple[np.ndarray, np.ndarray]:
    """A drawn front-view garment: a torso to ``hem_y`` and two sleeves hanging to ``sleeve_end_y``."""
    mask = np.zeros((256, 192), np.uint8)
    body = [(x, hem_y if y == 220 else y) for x, y in BODY]
    cv2.fillPoly(mask, [np.array(body, np.int32)], 1)
    for sign in (-1, 1):
        shoulder = (96 + sign * 34, 44)
        sleeve = [shoulder, (96 + sign * 50, 56), (96 + sign * 66, sleeve_end_y), (96 + sign * 52, sleeve_end_y + 6),
                  (96 + sign * 40, 90)]
        cv2.fillPoly(mask, [np.array(sleeve, np.int32)], 1)
    rgb = np.full((256, 192, 3), 255, np.uint8)
    rgb[mask.astype(bool)] = colour
    return rgb, mask.astype(bool)


# ------------------------------------------------------------------ the measures
def test_long_sleeves_measure_longer_than_short_ones():
    long_, short = measure_garment(*_garment(190)), measure_garment(*_garment(80))
    assert long_["sleeve_length"] > 1.4 and short["sleeve_length"] < 0.8, (long_, short)
    no_sleeves = np.zeros((256, 192), np.uint8)
    cv2.fillPoly(no_sleeves, [np.array(BODY, np.int32)], 1)
    assert measure_garment(np.full((256, 192, 3), 128, np.uint8), no_sleeves.astype(bool))["sleeve_length"] == 0


def test_a_longer_garment_measures_longer():
    assert measure_garment(*_garment(80, hem_y=240))["garment_length"] > \
        measure_garment(*_garment(80, hem_y=140))["garment_length"] + 0.5


def test_light_dark_red_blue_and_grey():
    light, dark = (measure_garment(*_garment(80, colour=c)) for c in ((230, 230, 230), (30, 30, 30)))
    assert light["lightness"] > 85 and dark["lightness"] < 20
    assert math.isnan(light["hue"]) and math.isnan(dark["hue"])       # grey: no hue
    red, blue = (measure_garment(*_garment(80, colour=c)) for c in ((200, 30, 40), (20, 40, 200)))
    assert 10 < red["hue"] < 60 and 270 < blue["hue"] < 320, (red["hue"], blue["hue"])


def test_measure_rgba_reads_alpha_as_the_mask():
    rgb, mask = _garment(190)
    rgba = np.dstack([rgb, mask.astype(np.uint8) * 255])
    assert measure_rgba(rgba) == pytest.approx(measure_garment(rgb, mask), nan_ok=True)
    assert all(math.isnan(v) for v in measure_rgba(np.zeros((64, 48, 4), np.uint8)).values())


# ------------------------------------------------------------------ fitted directions
def _synthetic(n=400, d=12, seed=0):
    """Codes and attributes that are linear in them (plus noise)."""
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, d, generator=g) * torch.linspace(0.5, 2.0, d)
    w = torch.randn(6, d, generator=g)
    y = z @ w.T + 0.05 * torch.randn(n, 6, generator=g)
    names = ("lightness", "sleeve_length", "garment_length", "neckline", "a", "b")
    return z, {k: y[:, i] * (20 if k in "ab" else 1) for i, k in enumerate(names)}


def test_directions_move_their_attribute_and_leave_the_others(tmp_path):
    z, attrs = _synthetic()
    directions, info = fit_directions(z, attrs, units={"lightness": "CIELAB L*"})
    assert all(r > 0.95 for r in info["r2_held_out"].values()), info
    cross = directions.probe @ directions.moves.T              # predicted change per unit move
    assert torch.allclose(cross, torch.eye(6), atol=1e-3)
    before = directions.predict(z[:5])
    after = directions.predict(directions.apply(z[:5], {"sleeve_length": 2.0}))
    change = (after - before) / directions.attr_std
    assert torch.allclose(change[:, 1], torch.full((5,), 2.0), atol=1e-3)
    assert change[:, [0, 2, 3, 4, 5]].abs().max() < 1e-3

    directions.save_pretrained(tmp_path / "directions", extra={"fit": info})
    again = LatentDirections.from_pretrained(tmp_path / "directions")
    assert again.names == ("hue", "lightness", "sleeve_length", "garment_length", "neckline")
    assert again.config.units[1].startswith("training standard deviations") and "CIELAB L*" in again.config.units[1]
    for name, tensor in directions.state_dict().items():
        assert torch.equal(tensor, again.state_dict()[name]), name
    assert not list(tmp_path.glob("directions/*.pt*")) and not list(tmp_path.glob("directions/*.pkl"))


def test_hue_turns_the_colour_and_leaves_grey_alone():
    z, attrs = _synthetic()
    directions, _ = fit_directions(z, attrs)
    ab = directions.predict(z)[:, -2:]
    coloured = int(ab.norm(dim=1).argmax())
    turned = directions.predict(directions.apply(z[coloured:coloured + 1], {"hue": 90.0}))[0, -2:]
    a, b = ab[coloured]
    assert torch.allclose(turned, torch.stack([-b, a]), atol=0.02 * float(ab[coloured].norm()))
    per_unit = directions.probe[-2:] * directions.attr_std[-2:, None]           # (2, D) a*, b* per unit of z
    grey = (directions.center + torch.linalg.pinv(per_unit) @ -directions.attr_mean[-2:])[None]
    assert directions.predict(grey)[0, -2:].norm() < 1.0               # a grey code ...
    assert torch.allclose(directions.apply(grey, {"hue": 90.0}), grey)  # ... stays grey


def test_unknown_slider_names_are_one_sentence():
    z, attrs = _synthetic()
    directions, _ = fit_directions(z, attrs)
    with pytest.raises(TryOnError) as err:
        directions.apply(z[:1], {"sleve_length": 1.0})
    message = str(err.value)
    assert "sleve_length" in message and "sleeve_length" in message and "hue" in message
    assert "\n" not in message and message.endswith(".")


# ------------------------------------------------------------------ the pipeline on tiny models
@pytest.fixture(scope="module")
def tiny_designer(tmp_path_factory):
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("designer") / "garment-designer"
    VAE(VAEConfig(channels=(8, 16, 16, 16), latent_dim=12)).save_pretrained(folder)
    prior = MixturePrior(MixturePriorConfig(latent_dim=12, components=2))
    prior.means.copy_(torch.stack([torch.full((12,), 5.0), torch.full((12,), -5.0)]))
    prior.scale_tril.copy_(torch.stack([torch.eye(12) * 0.01, torch.eye(12) * 3.0]))
    prior.save_pretrained(folder / "prior")
    z, attrs = _synthetic(d=12)
    fit_directions(z, attrs)[0].save_pretrained(folder / "directions")
    return folder


def test_pipeline_loads_prior_and_sliders_and_samples_from_the_prior(tiny_designer):
    design = GarmentDesignPipeline.from_pretrained(tiny_designer)
    assert design.prior is not None and design.attributes[0] == "hue"
    assert set(design.attribute_units) == set(design.attributes)
    codes = design.sample_codes(64, seed=3)
    assert (codes.mean(1).abs() > 3).float().mean() > 0.9      # near a component mean, not N(0, I)
    assert torch.equal(codes, design.sample_codes(64, seed=3))


def test_vary_follows_the_local_component(tiny_designer):
    design = GarmentDesignPipeline.from_pretrained(tiny_designer)
    tight, wide = torch.full((12,), 5.0), torch.full((12,), -5.0)
    assert torch.allclose(design._local_spread(tight), torch.eye(12) * 0.01)
    assert torch.allclose(design._local_spread(wide), torch.eye(12) * 3.0)
    assert len(design.vary(tight.numpy(), strength=1.0, n=2)) == 2


def test_edit_with_no_values_is_the_decoding_and_bad_values_refused(tiny_designer):
    design = GarmentDesignPipeline.from_pretrained(tiny_designer)
    code = np.linspace(-1, 1, 12).astype(np.float32)
    same = np.asarray(design.edit(code), int)
    assert np.abs(same - np.asarray(design.decode(code)[0], int)).max() <= 1
    moved = np.asarray(design.edit(code, sleeve_length=2.0, hue=45), int)
    assert np.abs(moved - same).mean() > 0.5
    for bad in ({"colour": 1.0}, {"lightness": float("nan")}):
        with pytest.raises(TryOnError):
            design.edit(code, **bad)


def test_a_garment_vae_folder_still_works_without_prior_or_sliders(tmp_path):
    torch.manual_seed(0)
    VAE(VAEConfig(channels=(8, 16, 16, 16), latent_dim=8)).save_pretrained(
        tmp_path / "garment-vae", extra={"anomaly_threshold": 1e9})
    design = GarmentDesignPipeline.from_pretrained(tmp_path / "garment-vae")
    assert design.prior is None and design.attributes == () and design.checker.threshold == 1e9
    codes = design.sample_codes(2000, seed=0, temperature=0.5)
    assert abs(float(codes.std()) - 0.5) < 0.02                       # N(0, T^2 I)
    with pytest.raises(TryOnError, match="fit-design"):
        design.edit(np.zeros(8, np.float32), hue=10)


# ------------------------------------------------------------------ the command line
def test_edit_values_parse():
    assert edit_value("sleeve_length=1.5") == ("sleeve_length", 1.5)
    assert edit_value(" hue = -30") == ("hue", -30.0)
    for bad in ("sleeve_length", "=1", "hue=warm", "hue=nan"):
        with pytest.raises(Exception, match="NAME=NUMBER"):
            edit_value(bad)


def test_generate_edit_rejects_a_bad_name_with_one_line(tiny_designer, tmp_path, capsys):
    code = main(["generate", "--weights", str(tiny_designer), "--n", "2", "--edit", "sleeves=1", "-o",
                 str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and err.startswith("error: Unknown attribute 'sleeves'")
    assert "sleeve_length" in err and not (tmp_path / "out").exists()


def test_generate_edit_writes_edited_samples(tiny_designer, tmp_path, capsys):
    assert main(["generate", "--weights", str(tiny_designer), "--n", "2", "--edit", "sleeve_length=1.5",
                 "--edit", "lightness=-1", "-o", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["edit_s0_000.png", "edit_s0_001.png"]


# ------------------------------------------------------------------ the bundled sliders
@needs_sliders
def test_bundled_sliders_move_their_attribute_the_right_way():
    design = GarmentDesignPipeline.from_pretrained()
    codes = design.sample_codes(6, seed=1)
    for name in ("lightness", "sleeve_length"):
        low, high = ([measure_rgba(img)[name] for img in design.decode(design.edit_codes(codes, **{name: v}))]
                     for v in (-1.5, 1.5))
        assert np.nanmean(high) > np.nanmean(low), (name, low, high)
        assert sum(h > lo for h, lo in zip(high, low)) >= 5, (name, low, high)


def test_a_deeper_neck_opening_measures_deeper():
    rgb, mask = _garment(80)
    shallow = measure_garment(rgb, mask)["neckline"]
    scooped = mask.copy()
    cv2.ellipse(scooped.view(np.uint8), (96, 40), (18, 30), 0, 0, 360, 0, -1)
    assert measure_garment(rgb, scooped)["neckline"] > shallow + 0.1
