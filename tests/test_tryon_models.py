"""The learned try-on network: warper identity at init, composition rules, shapes, ranges,
gradients, save/load, input checks and the default size budget."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from tryon.errors import TryOnError
from tryon.models import VAE
from tryon.models.generator import KEEP_LOGIT_INIT, MASK_LOGIT_INIT, TryOnGenerator
from tryon.models.tryon_net import TryOnNet, TryOnNetConfig, TryOnNetOutput
from tryon.models.warper import FlowWarper, half_resolution, identity_grid, warp

TINY = dict(pose_channels=5, code_dim=6, resolution=(32, 24), warper_channels=(8, 16),
            generator_channels=(8, 16, 32), bottleneck_blocks=1, norm_groups=4)
MAX_PARAMS = 10_000_000


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def make_inputs(config: TryOnNetConfig, batch: int = 2, seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    h, w = config.resolution
    region = torch.zeros(batch, 1, h, w)
    region[:, :, h // 4: 3 * h // 4, w // 6: 5 * w // 6] = 1.0
    alpha = (torch.rand(batch, 1, h, w, generator=g) > 0.3).float() * torch.rand(batch, 1, h, w, generator=g)
    revealed = (torch.rand(batch, 1, h, w, generator=g) > 0.6).float()
    revealed[:, :, :, : w // 2] = 0  # the left half of the region is all grey
    return dict(
        agnostic=torch.rand(batch, 3, h, w, generator=g) * 2 - 1,
        region=region,
        revealed=revealed,
        pose=torch.rand(batch, config.pose_channels, h, w, generator=g),
        garment=torch.cat([torch.rand(batch, 3, h, w, generator=g) * 2 - 1, alpha], dim=1),
        codes=torch.randn(batch, config.code_dim, generator=g),
    )


def perturb_flow_heads(net: TryOnNet, scale: float = 0.05, seed: int = 1) -> None:
    """Give the zero-initialised flow heads random weights (a 'trained' warper with real flow)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for level in net.warper.levels:
            level.head.weight.copy_(torch.randn(level.head.weight.shape, generator=g) * scale)
            level.head.bias.copy_(torch.randn(level.head.bias.shape, generator=g) * scale)


def test_default_config_size_and_output_shapes():
    config = TryOnNetConfig()
    assert config.condition_channels == 3 + 1 + 25
    torch.manual_seed(0)
    net = TryOnNet(config).eval()
    count = n_params(net)
    print(f"\nTryOnNet (defaults): {count:,} parameters "
          f"(warper {n_params(net.warper):,}, generator {n_params(net.generator):,})")
    assert count <= MAX_PARAMS
    assert not any(isinstance(m, nn.ConvTranspose2d) for m in net.modules())
    with torch.inference_mode():
        out = net(**make_inputs(config, batch=1))
    assert isinstance(out, TryOnNetOutput)
    assert out.image.shape == out.rendered.shape == (1, 3, 256, 192)
    assert out.mask.shape == out.keep.shape == (1, 1, 256, 192)
    assert out.warped.shape == (1, 4, 256, 192)
    assert out.flow.shape == (1, 2, 256, 192)
    assert [tuple(f.shape) for f in out.flows] == [(1, 2, 16, 12), (1, 2, 32, 24), (1, 2, 64, 48)]


def test_tiny_shapes_and_value_ranges_with_a_nonzero_flow():
    config = TryOnNetConfig(**TINY)
    torch.manual_seed(0)
    net = TryOnNet(config)
    perturb_flow_heads(net, scale=0.5)
    inputs = make_inputs(config, batch=3)
    inputs["agnostic"] = inputs["agnostic"].clamp(-1, 1)
    with torch.no_grad():
        out = net(**inputs)
    assert out.flow.abs().max() > 0.01  # the heads really move the garment
    assert [tuple(f.shape) for f in out.flows] == [(3, 2, 4, 3), (3, 2, 8, 6)]
    for name, tensor, low, high in (("image", out.image, -1, 1), ("rendered", out.rendered, -1, 1),
                                    ("mask", out.mask, 0, 1), ("keep", out.keep, 0, 1),
                                    ("mask + keep", out.mask + out.keep, 0, 1), ("warped rgb", out.warped[:, :3], -1, 1),
                                    ("warped alpha", out.warped[:, 3:], 0, 1)):
        assert tensor.min() >= low - 1e-6 and tensor.max() <= high + 1e-6, name
        assert torch.isfinite(tensor).all(), name


def test_warper_is_the_identity_at_init():
    for config in (TryOnNetConfig(**TINY), TryOnNetConfig()):
        torch.manual_seed(0)
        net = TryOnNet(config)
        inputs = make_inputs(config, batch=1)
        with torch.no_grad():
            out = net(**inputs)
        torch.testing.assert_close(out.warped, inputs["garment"], atol=1e-5, rtol=0)
        assert torch.count_nonzero(out.flow) == 0
        assert all(torch.count_nonzero(f) == 0 for f in out.flows)


def test_reset_flow_makes_a_trained_warper_the_identity_again():
    """A warper whose heads learned a flow (here: perturbed) keeps the TPS again after
    reset_flow, its encoders untouched: the start of a fine-tune after the spline changed."""
    config = TryOnNetConfig(**TINY)
    torch.manual_seed(0)
    net = TryOnNet(config)
    perturb_flow_heads(net, scale=0.5)
    encoder = [p.clone() for p in net.warper.garment_encoder.parameters()]
    inputs = make_inputs(config, batch=1)
    with torch.no_grad():
        assert net(**inputs).flow.abs().max() > 0.01
        net.warper.reset_flow()
        out = net(**inputs)
    assert torch.count_nonzero(out.flow) == 0
    torch.testing.assert_close(out.warped, inputs["garment"], atol=1e-5, rtol=0)
    assert all(torch.equal(a, b) for a, b in zip(encoder, net.warper.garment_encoder.parameters()))


def test_mask_and_image_follow_the_composition_rules():
    config = TryOnNetConfig(**TINY)
    torch.manual_seed(0)
    net = TryOnNet(config)
    perturb_flow_heads(net)
    inputs = make_inputs(config)
    with torch.no_grad():
        out = net(**inputs)
    outside = inputs["region"] == 0
    assert torch.count_nonzero(out.mask[outside]) == 0 and torch.count_nonzero(out.keep[outside]) == 0
    assert torch.count_nonzero(out.mask[out.warped[:, 3:] == 0]) == 0
    assert (out.mask <= out.warped[:, 3:] + 1e-7).all()
    assert torch.count_nonzero(out.keep[inputs["revealed"] == 0]) == 0  # grey pixels are never kept
    assert torch.equal(out.image * outside, inputs["agnostic"] * outside)  # bit-exact outside
    inside = ~outside.expand_as(out.image)
    mask, keep = out.mask.expand_as(out.image), out.keep.expand_as(out.image)
    expected = keep * inputs["agnostic"] + mask * out.warped[:, :3] + (1 - keep - mask) * out.rendered
    torch.testing.assert_close(out.image[inside], expected[inside])
    # positive logit biases keep the revealed photo and paste the garment from the start
    bias = net.generator.to_output.conv.bias
    assert torch.all(bias[-8:-4] == MASK_LOGIT_INIT) and torch.all(bias[-4:] == KEEP_LOGIT_INIT)
    revealed = (inputs["revealed"] * inputs["region"]) > 0
    assert out.keep[revealed].min() > 0.5


def test_without_revealed_pixels_nothing_is_kept():
    config = TryOnNetConfig(**TINY)
    torch.manual_seed(0)
    net = TryOnNet(config)
    inputs = make_inputs(config)
    inputs.pop("revealed")
    with torch.no_grad():
        out = net(**inputs)
    assert torch.count_nonzero(out.keep) == 0


def test_gradients_reach_the_warper_and_the_generator():
    config = TryOnNetConfig(**TINY)
    torch.manual_seed(0)
    net = TryOnNet(config)
    inputs = make_inputs(config)

    def backward() -> None:
        net.zero_grad()
        out = net(**inputs)
        (out.image.square().mean() + out.rendered.mean() + sum(f.square().mean() for f in out.flows)).backward()

    backward()  # at init only the zero-initialised heads receive a gradient in the warper
    for level in net.warper.levels:
        assert level.head.weight.grad.abs().sum() > 0
    for name, p in net.generator.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    perturb_flow_heads(net)
    backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_detach_warp_keeps_the_render_losses_off_the_warper():
    """With detach_warp (training's default) the image's gradient stops at the refined garment:
    the warper learns from its own losses only; the output is the same."""
    config = TryOnNetConfig(**TINY)
    torch.manual_seed(0)
    net = TryOnNet(config)
    perturb_flow_heads(net)
    inputs = make_inputs(config)
    for detach in (False, True):
        net.zero_grad()
        out = net(**inputs, detach_warp=detach)
        out.image.square().mean().backward()
        warper = sum(float(p.grad.abs().sum()) for p in net.warper.parameters() if p.grad is not None)
        assert (warper == 0) == detach, detach
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in net.generator.parameters())
    with torch.no_grad():
        torch.testing.assert_close(net(**inputs).image, net(**inputs, detach_warp=True).image)


def test_save_and_load_round_trip(tmp_path):
    config = TryOnNetConfig(**TINY)
    torch.manual_seed(0)
    net = TryOnNet(config).eval()
    perturb_flow_heads(net)
    inputs = make_inputs(config)
    net.save_pretrained(tmp_path / "tryon_net", extra={"steps": 3})
    loaded = TryOnNet.from_pretrained(tmp_path / "tryon_net")
    assert loaded.config == config and not loaded.training
    with torch.no_grad():
        a, b = net(**inputs), loaded(**inputs)
    for name in ("image", "rendered", "mask", "warped", "flow"):
        assert torch.equal(getattr(a, name), getattr(b, name)), name
    with pytest.raises(TryOnError, match="holds a TryOnNet model"):
        VAE.from_pretrained(tmp_path / "tryon_net")


def test_codes_none_means_zero_codes_and_code_dim_zero_works():
    config = TryOnNetConfig(**TINY)
    torch.manual_seed(0)
    net = TryOnNet(config)
    with torch.no_grad():  # make the codes matter (FiLM starts at zero)
        nn.init.normal_(net.generator.film.linear.weight, std=0.1)
    inputs = make_inputs(config)
    codes = inputs.pop("codes")
    with torch.no_grad():
        none = net(**inputs)
        zeros = net(**inputs, codes=torch.zeros_like(codes))
        given = net(**inputs, codes=codes)
    assert torch.equal(none.image, zeros.image)
    assert not torch.equal(none.rendered, given.rendered)

    no_codes = TryOnNet(TryOnNetConfig(**{**TINY, "code_dim": 0}))
    assert no_codes.generator.film is None
    with torch.no_grad():
        out = no_codes(**inputs)
    assert out.image.shape == (2, 3, 32, 24)


@pytest.mark.parametrize("name, shape, match", [
    ("agnostic", (2, 4, 32, 24), r"agnostic of shape \(B, 3, 32, 24\)"),
    ("region", (2, 3, 32, 24), r"region of shape \(B, 1, 32, 24\)"),
    ("pose", (2, 25, 32, 24), r"pose of shape \(B, 5, 32, 24\)"),
    ("garment", (2, 3, 32, 24), r"garment of shape \(B, 4, 32, 24\)"),
    ("garment", (2, 4, 64, 48), r"garment of shape \(B, 4, 32, 24\)"),
    ("pose", (1, 5, 32, 24), r"same B as agnostic"),
    ("codes", (2, 7), r"codes of shape \(B, 6\)"),
])
def test_wrong_input_shapes_raise_a_clear_error(name, shape, match):
    config = TryOnNetConfig(**TINY)
    net = TryOnNet(config)
    inputs = make_inputs(config)
    inputs[name] = torch.zeros(shape)
    with pytest.raises(ValueError, match=match):
        net(**inputs)


def test_config_validation():
    with pytest.raises(ValueError, match="divisible by 32"):
        TryOnNetConfig(resolution=(256, 208))
    with pytest.raises(ValueError, match="generator_channels"):
        TryOnNetConfig(generator_channels=(16,))
    config = TryOnNetConfig(warper_channels=[8, 16], generator_channels=[8, 16, 32], resolution=[64, 48])
    assert config.warper_channels == (8, 16) and config.resolution == (64, 48)


def test_flows_stay_float32_under_bfloat16():
    config = TryOnNetConfig(**TINY)
    torch.manual_seed(0)
    net = TryOnNet(config)
    inputs = make_inputs(config)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        out = net(**inputs)
    assert out.flow.dtype == torch.float32
    torch.testing.assert_close(out.warped.float(), inputs["garment"], atol=1e-5, rtol=0)
    bf16 = TryOnNet(config).to(torch.bfloat16)
    with torch.no_grad():
        out = bf16(**{k: v.to(torch.bfloat16) for k, v in inputs.items()})
    assert out.image.dtype == torch.bfloat16 and out.flow.dtype == torch.float32
    garment = inputs["garment"].to(torch.bfloat16).float()
    torch.testing.assert_close(out.warped.float(), garment, atol=2**-7, rtol=0)  # bf16 rounding


def test_warp_units_and_identity():
    image = torch.arange(2 * 3 * 5 * 4, dtype=torch.float32).reshape(2, 3, 5, 4)
    zero = torch.zeros(2, 2, 5, 4)
    torch.testing.assert_close(warp(image, zero), image, atol=1e-5, rtol=0)
    one_pixel_right = zero.clone()
    one_pixel_right[:, 0] = 2.0 / 4  # x offsets: 2 / W normalised units per pixel
    shifted = warp(image, one_pixel_right)
    torch.testing.assert_close(shifted[..., :-1], image[..., 1:], atol=1e-4, rtol=0)
    assert torch.count_nonzero(shifted[..., -1]) == 0  # zeros padding
    torch.testing.assert_close(half_resolution(image), torch.nn.functional.avg_pool2d(image, 2))
    grid = identity_grid(1, 5, 4)
    assert grid.shape == (1, 5, 4, 2)
    assert torch.allclose(grid[0, 0, 0], torch.tensor([-0.75, -0.8]))


def test_modules_alone():
    warper = FlowWarper(condition_channels=9, channels=(8,))
    out = warper(torch.zeros(1, 4, 16, 12), torch.zeros(1, 9, 8, 6))
    assert len(out.flows) == 1 and out.flows[0].shape == (1, 2, 4, 3)
    with pytest.raises(ValueError, match="half the garment's size"):
        warper(torch.zeros(1, 4, 16, 12), torch.zeros(1, 9, 16, 12))
    gen = TryOnGenerator(image_channels=8, condition_channels=9, code_dim=0, channels=(8, 16))
    rendered, logit = gen(torch.zeros(1, 8, 16, 12), torch.zeros(1, 9, 8, 6))
    assert rendered.shape == (1, 3, 16, 12) and logit.shape == (1, 1, 16, 12)


def test_flow_scale_zero_gives_the_spline_garment_as_it_came():
    """``flow_scale=0`` (the pipeline's fallback for a swirled flow) refines nothing."""
    config = TryOnNetConfig(**TINY)
    torch.manual_seed(0)
    net = TryOnNet(config)
    perturb_flow_heads(net, scale=0.5)
    inputs = make_inputs(config, batch=2)
    with torch.no_grad():
        moved, kept = net(**inputs), net(**inputs, flow_scale=0.0)
    assert not torch.allclose(moved.warped, inputs["garment"], atol=1e-3)
    assert torch.allclose(kept.warped, inputs["garment"], atol=1e-5)
    assert torch.count_nonzero(kept.flow) == 0
