"""Losses against hand-computed values."""

from __future__ import annotations

import math

import pytest
import torch

from tryon import losses as L
from tryon import metrics

C1 = 0.01**2  # SSIM constant (k1 * L)^2 for L = 1


def test_kl_divergence_known_value():
    mu = torch.tensor([[1.0, 0.0], [0.0, 0.0]])
    logvar = torch.tensor([[0.0, math.log(4.0)], [0.0, 0.0]])
    # row 0: 0.5 * (1 + 1 - 1 - 0) + 0.5 * (0 + 4 - 1 - log 4) = 2 - log 2; row 1: 0
    expected = (2.0 - math.log(2.0)) / 2
    assert L.kl_divergence(mu, logvar).item() == pytest.approx(expected, abs=1e-6)
    assert L.kl_divergence(mu, logvar).item() == pytest.approx(expected, abs=1e-6)
    assert L.kl_divergence(torch.zeros(3, 5), torch.zeros(3, 5)).item() == 0.0


def test_kl_anneal_is_a_linear_warmup():
    assert [L.kl_anneal(s, 100, 0.5) for s in (0, 25, 100, 400)] == [0.0, 0.125, 0.5, 0.5]
    assert L.kl_anneal(3, 0, 0.5) == 0.5


def test_hinge_losses_on_fixed_logits():
    real = torch.tensor([2.0, 0.5, -1.0])
    fake = torch.tensor([-2.0, 0.0, 1.0])
    # relu(1 - real) = [0, .5, 2] -> 5/6; relu(1 + fake) = [0, 1, 2] -> 1
    assert L.d_hinge_loss(real, fake).item() == pytest.approx(5 / 6 + 1, abs=1e-6)
    assert L.g_hinge_loss(fake).item() == pytest.approx(1 / 3, abs=1e-6)
    # lists over scales: the mean of the per-scale values
    real2, fake2 = torch.full((2, 1, 2, 2), 1.0), torch.full((2, 1, 2, 2), -1.0)   # scale 2 scores 0
    assert L.d_hinge_loss([real, real2], [fake, fake2]).item() == pytest.approx((11 / 6) / 2, abs=1e-6)
    assert L.g_hinge_loss([fake, fake2]).item() == pytest.approx((1 / 3 + 1) / 2, abs=1e-6)
    # a discriminator's [(features, logits), ...] output is accepted as is
    d_out = [([torch.zeros(1)], real), ([torch.zeros(1)], real2)]
    d_fake = [([torch.zeros(1)], fake), ([torch.zeros(1)], fake2)]
    assert L.d_hinge_loss(d_out, d_fake).item() == pytest.approx((11 / 6) / 2, abs=1e-6)
    assert L.g_hinge_loss(d_fake).item() == pytest.approx((1 / 3 + 1) / 2, abs=1e-6)


def test_nonsaturating_losses_on_zero_logits():
    zero = torch.zeros(4)
    assert L.d_nonsaturating_loss(zero, zero).item() == pytest.approx(2 * math.log(2), abs=1e-6)
    assert L.g_nonsaturating_loss(zero).item() == pytest.approx(math.log(2), abs=1e-6)


def test_feature_matching_known_value_and_real_is_detached():
    real = [[torch.zeros(1, 2, 2, 2, requires_grad=True), torch.zeros(1, 1, 1, 1, requires_grad=True)],
            [torch.zeros(1, 3, requires_grad=True)]]
    fake = [[torch.full((1, 2, 2, 2), 0.5, requires_grad=True), torch.full((1, 1, 1, 1), -2.0, requires_grad=True)],
            [torch.tensor([[1.0, 0.0, -1.0]], requires_grad=True)]]
    # scale 0: mean(0.5, 2) = 1.25; scale 1: 2/3; mean over scales
    expected = (1.25 + 2 / 3) / 2
    loss = L.feature_matching_loss(real, fake)
    assert loss.item() == pytest.approx(expected, abs=1e-6)
    loss.backward()
    assert all(t.grad is None for scale in real for t in scale)
    assert all(t.grad is not None for scale in fake for t in scale)
    d_real = [(real[0], torch.zeros(1)), (real[1], torch.zeros(1))]
    d_fake = [(fake[0], torch.zeros(1)), (fake[1], torch.zeros(1))]
    assert L.feature_matching_loss(d_real, d_fake).item() == pytest.approx(expected, abs=1e-6)


def test_l1_loss_plain_and_masked():
    pred = torch.zeros(1, 2, 2, 2)
    target = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]], [[0.0, 0.0], [0.0, 8.0]]]])
    assert L.l1_loss(pred, target).item() == pytest.approx(18 / 8)
    mask = torch.tensor([[[[1.0, 0.0], [0.0, 1.0]]]])            # (B, 1, H, W), broadcast over C
    assert L.l1_loss(pred, target, mask).item() == pytest.approx((1 + 4 + 0 + 8) / 4, abs=1e-6)
    assert L.l1_loss(pred, target, 0.5 * mask).item() == pytest.approx((1 + 4 + 0 + 8) / 4, abs=1e-6)
    assert L.l1_loss(pred, target, torch.zeros_like(mask)).item() == 0.0


def test_ssim_loss_on_flat_images_and_identity():
    # flat images have no variance: SSIM = (2 m1 m2 + c1) / (m1^2 + m2^2 + c1) on the [0, 1] values
    a = torch.full((1, 3, 16, 16), 0.0, dtype=torch.float64)     # 0.5 in [0, 1]
    b = torch.full((1, 3, 16, 16), 1.0, dtype=torch.float64)     # 1.0 in [0, 1]
    s = (2 * 0.5 * 1.0 + C1) / (0.25 + 1.0 + C1)   # kornia adds eps=1e-12 to the denominator: ~4e-10 off
    assert L.ssim_loss(a, b).item() == pytest.approx((1 - s) / 2, abs=1e-9)
    assert L.ssim_loss(a, b, window_size=5).item() == pytest.approx((1 - s) / 2, abs=1e-9)
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    assert L.ssim_loss(x, x).item() == pytest.approx(0.0, abs=1e-6)


def test_masked_ssim_loss_scores_the_region_like_the_metric():
    g = torch.Generator().manual_seed(0)
    target = torch.rand(2, 3, 32, 32, generator=g) * 2 - 1
    pred = target.clone()
    pred[..., 16:] = (target[..., 16:] + 0.5 * torch.randn(2, 3, 32, 16, generator=g)).clamp(-1, 1)
    left = torch.zeros(2, 1, 32, 32)
    left[..., :10] = 1.0     # windows of 11 taps centred here stay clear of column 16
    right = 1.0 - left
    # identical on the left (away from the changed half), damaged on the right
    assert L.ssim_loss(pred, target, mask=left).item() == pytest.approx(0.0, abs=1e-6)
    damaged = L.ssim_loss(pred, target, mask=right).item()
    assert damaged > 1.2 * L.ssim_loss(pred, target).item() > 0     # the mask concentrates the damage
    # the region the evaluation scores, on [0, 1] images: loss = (1 - region SSIM) / 2
    region = metrics.masked_ssim((pred[:1] + 1) / 2, (target[:1] + 1) / 2, right[:1])
    assert L.ssim_loss(pred[:1], target[:1], mask=right[:1]).item() == pytest.approx((1 - region) / 2, abs=1e-5)
    assert L.ssim_loss(pred, target, mask=torch.zeros_like(left)).item() == 0.0
    # bfloat16 inputs are scored in float32: the loss matches the float32 one on the same values
    p16, t16 = pred.bfloat16(), target.bfloat16()
    assert L.ssim_loss(p16, t16, mask=right).dtype == torch.float32
    assert L.ssim_loss(p16, t16, mask=right).item() == pytest.approx(
        L.ssim_loss(p16.float(), t16.float(), mask=right).item(), abs=1e-6)


def test_total_variation_on_ramps():
    xs = torch.arange(6.0).view(1, 1, 1, 6).expand(2, 1, 5, 6)
    ys = torch.arange(5.0).view(1, 1, 5, 1).expand(2, 1, 5, 6)
    flow = torch.cat([0.5 * xs, 2.0 * ys], dim=1)                   # (2, 2, 5, 6)
    # dx: channel 0 steps 0.5, channel 1 steps 0 -> 0.25; dy: 0 and 2 -> 1.0
    assert L.total_variation_loss(flow).item() == pytest.approx(1.25, abs=1e-6)
    assert L.total_variation_loss(flow[:, :1]).item() == pytest.approx(0.5, abs=1e-6)
    assert L.total_variation_loss(torch.ones(1, 2, 4, 4)).item() == 0.0


def test_mask_losses():
    assert L.mask_bce_loss(torch.zeros(1, 1, 2, 2), torch.ones(1, 1, 2, 2)).item() == pytest.approx(math.log(2))
    logits = torch.tensor([[[[10.0, -10.0]]]], dtype=torch.float64)
    assert L.mask_bce_loss(logits, torch.tensor([[[[1.0, 0.0]]]])).item() == pytest.approx(math.log1p(math.exp(-10)), rel=1e-9)
    mask = torch.tensor([[[[0.0, 0.5], [1.0, 0.5]]]])
    assert L.mask_regularization(mask).item() == pytest.approx(0.5)
    assert L.mask_regularization(mask, torch.ones_like(mask)).item() == pytest.approx(0.5)
    assert L.mask_regularization(mask, mask).item() == 0.0


def test_adaptive_weight_balances_the_gradients_at_the_last_layer_and_is_capped():
    from tryon.losses import ADAPTIVE_MAX, adaptive_weight

    w = torch.ones(3, requires_grad=True)
    rec, adv = (w * 2).sum(), (w * 8).sum()      # gradients 2 and 8 per element
    assert torch.isclose(adaptive_weight(w, rec, adv), torch.tensor(0.25), atol=1e-4)
    assert adaptive_weight(w, rec, (w * 0).sum() + 0 * w.sum()).item() == ADAPTIVE_MAX
    weight = adaptive_weight(w, rec, adv)
    assert not weight.requires_grad and rec.grad_fn is not None   # both losses keep their graphs
