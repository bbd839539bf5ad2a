"""Models: VAE shapes for both uses, sampling, parameter counts; discriminator structure."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

from tryon import constants as C
from tryon.models import VAE, DiscriminatorConfig, MultiScaleDiscriminator, VAEConfig
from tryon.models.blocks import SubPixelUpsample
from tryon.models.vae import LOGVAR_MAX, LOGVAR_MIN

TINY_VAE = dict(resolution=(32, 24), channels=(8, 16), latent_dim=6, norm_groups=4)


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_garment_vae_shapes_and_size():
    config = VAEConfig()
    assert config.resolution == C.GARMENT_VAE_SIZE
    vae = VAE(config).eval()
    count = n_params(vae)
    print(f"\ngarment VAE (defaults): {count:,} parameters")
    assert count == 7_884_848
    assert count < 8_000_000
    x = torch.rand(2, 4, *C.GARMENT_VAE_SIZE) * 2 - 1
    with torch.no_grad():
        out = vae(x)
    assert out.image.shape == (2, 3, 128, 96)
    assert out.mask_logits.shape == (2, 1, 128, 96)
    assert out.mu.shape == out.logvar.shape == out.z.shape == (2, 128)
    assert out.image.abs().max() <= 1.0


def test_body_vae_shapes():
    n_in = 1 + len(C.POSE_MAP_LANDMARKS)
    assert n_in == 16
    vae = VAE(VAEConfig(in_channels=n_in, image_channels=0, mask_channels=1, latent_dim=32,
                        resolution=C.BODY_VAE_SIZE)).eval()
    print(f"\nbody VAE (latent 32): {n_params(vae):,} parameters")
    with torch.no_grad():
        out = vae(torch.zeros(3, n_in, *C.BODY_VAE_SIZE))
        image, mask_logits = vae.decode(torch.zeros(3, 32))
    assert out.image is None and image is None
    assert out.mask_logits.shape == mask_logits.shape == (3, 1, 128, 96)
    assert out.z.shape == (3, 32)


def test_mask_only_and_image_only_decoders():
    mask_only = VAE(VAEConfig(in_channels=2, image_channels=0, **TINY_VAE))
    image, mask = mask_only.decode(torch.zeros(1, 6))
    assert image is None and mask.shape == (1, 1, 32, 24)
    image_only = VAE(VAEConfig(mask_channels=0, **TINY_VAE))
    image, mask = image_only.decode(torch.zeros(1, 6))
    assert image.shape == (1, 3, 32, 24) and mask is None


def test_sampling_is_reproducible_with_a_generator_and_sample_false_uses_mu():
    torch.manual_seed(0)
    vae = VAE(VAEConfig(**TINY_VAE)).eval()
    x = torch.rand(4, 4, 32, 24) * 2 - 1
    with torch.no_grad():
        a = vae(x, generator=torch.Generator().manual_seed(7))
        b = vae(x, generator=torch.Generator().manual_seed(7))
        c = vae(x, generator=torch.Generator().manual_seed(8))
        d = vae(x, sample=False)
    assert torch.equal(a.z, b.z) and torch.equal(a.image, b.image) and torch.equal(a.mask_logits, b.mask_logits)
    assert not torch.equal(a.z, c.z)
    assert torch.equal(d.z, d.mu) and not torch.equal(a.z, a.mu)
    # z = mu + exp(logvar / 2) * eps with eps the generator's first normal draws
    eps = torch.randn(4, 6, generator=torch.Generator().manual_seed(7))
    torch.testing.assert_close(a.z, a.mu + torch.exp(0.5 * a.logvar) * eps)
    image, mask_logits = vae.decode(d.mu)
    assert torch.equal(image, d.image) and torch.equal(mask_logits, d.mask_logits)


def test_logvar_is_clamped_and_backward_reaches_every_parameter():
    vae = VAE(VAEConfig(**TINY_VAE))
    with torch.no_grad():
        vae.encoder.to_moments.bias[6:] = 1e3   # logvar half of the moments
    mu, logvar = vae.encode(torch.zeros(1, 4, 32, 24))
    assert torch.all(logvar == LOGVAR_MAX) and LOGVAR_MIN == -10.0
    vae.encoder.to_moments.reset_parameters()
    out = vae(torch.rand(2, 4, 32, 24))
    (out.image.sum() + out.mask_logits.sum() + out.mu.sum() + out.logvar.sum()).backward()
    assert all(p.grad is not None for p in vae.parameters())


def test_vae_rejects_wrong_input_shape_and_bad_configs():
    vae = VAE(VAEConfig(**TINY_VAE))
    with pytest.raises(ValueError, match=r"\(B, 4, 32, 24\)"):
        vae.encode(torch.zeros(1, 3, 32, 24))
    with pytest.raises(ValueError, match="divisible"):
        VAEConfig(resolution=(100, 96))
    with pytest.raises(ValueError, match="image_channels"):
        VAEConfig(image_channels=0, mask_channels=0)


def test_discriminator_structure_for_one_and_two_scales():
    x = torch.zeros(2, 5, 64, 48)
    one = MultiScaleDiscriminator(DiscriminatorConfig(in_channels=5, channels=4, n_layers=3, num_scales=1))
    out = one(x)
    assert len(out) == 1
    feats, logits = out[0]
    assert [tuple(f.shape) for f in feats] == [(2, 4, 32, 24), (2, 8, 16, 12), (2, 16, 8, 6), (2, 32, 8, 6)]
    assert logits.shape == (2, 1, 8, 6)

    two = MultiScaleDiscriminator(DiscriminatorConfig(in_channels=5, channels=4, n_layers=2, num_scales=2))
    out = two(x)
    assert len(out) == 2
    assert [tuple(f.shape) for f in out[0][0]] == [(2, 4, 32, 24), (2, 8, 16, 12), (2, 16, 16, 12)]
    assert out[0][1].shape == (2, 1, 16, 12)
    assert [tuple(f.shape) for f in out[1][0]] == [(2, 4, 16, 12), (2, 8, 8, 6), (2, 16, 8, 6)]
    assert out[1][1].shape == (2, 1, 8, 6)


def test_discriminator_default_size_and_spectral_norm_on_every_conv():
    d = MultiScaleDiscriminator(DiscriminatorConfig())
    print(f"\ndiscriminator (defaults): {n_params(d):,} parameters")
    assert n_params(d) == 3_689_346
    convs = [m for m in d.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 2 * (3 + 2)
    for conv in convs:
        assert parametrize.is_parametrized(conv, "weight")
        assert type(conv.parametrizations.weight[0]).__name__ == "_SpectralNorm"
    assert not any(isinstance(m, (nn.BatchNorm2d, nn.GroupNorm, nn.InstanceNorm2d)) for m in d.modules())
    # spectral norm bounds each layer's largest singular value by 1 (after enough power iterations)
    d.train()
    for _ in range(30):
        d(torch.zeros(1, 4, 16, 16))
    w = convs[0].weight.flatten(1)
    assert torch.linalg.matrix_norm(w, ord=2).item() == pytest.approx(1.0, abs=1e-3)


def test_subpixel_upsample_starts_as_nearest_resize_plus_conv():
    torch.manual_seed(3)
    up = SubPixelUpsample(5, 3)
    torch.manual_seed(3)
    nn.Conv2d(5, 12, 3, padding=1)                      # the same draws as up.conv's own init
    reference = nn.Conv2d(5, 3, 3, padding=1)           # the conv the init rewrites
    x = torch.randn(2, 5, 7, 6)
    expected = reference(F.interpolate(x, scale_factor=2.0, mode="nearest"))
    assert up(x).shape == (2, 3, 14, 12)
    torch.testing.assert_close(up(x), expected, atol=1e-5, rtol=0)
