"""Training losses: one function each, G and D terms apart.

Conventions: images ``(B, C, H, W)`` in ``[-1, 1]``; masks ``(B, 1, H, W)`` in ``[0, 1]``;
discriminator logits ``(B, 1, h, w)`` (real > 0 > fake under the hinge loss), or a list of them,
one per scale. Where a loss takes discriminator outputs, a list over scales of
``(features, logits)`` pairs as returned by :class:`tryon.models.MultiScaleDiscriminator` is
accepted as is. Every loss returns a scalar tensor, the mean over the batch.
"""

from __future__ import annotations

from collections.abc import Sequence

import kornia
import torch
import torch.nn.functional as F

__all__ = [
    "segmentation_loss",
    "d_hinge_loss",
    "g_hinge_loss",
    "d_nonsaturating_loss",
    "g_nonsaturating_loss",
    "feature_matching_loss",
    "kl_divergence",
    "l1_loss",
    "ssim_loss",
    "total_variation_loss",
    "mask_bce_loss",
    "mask_regularization",
    "kl_anneal",
    "adaptive_weight",
    "ADAPTIVE_MAX",
]

MASK_EPS = 1e-8  # keeps a masked mean finite when the mask is empty (the loss is then 0)
ADAPTIVE_MAX = 10.0  # cap of the balanced adversarial weight (an early discriminator is uninformative)
GRAD_EPS = 1e-4      # keeps the balance finite when the adversarial gradient vanishes

Logits = torch.Tensor | Sequence[torch.Tensor] | Sequence[tuple[list[torch.Tensor], torch.Tensor]]


def _logits_list(logits: Logits) -> list[torch.Tensor]:
    """A tensor, a list of tensors, or a discriminator's ``[(features, logits), ...]`` -> list of logits."""
    if isinstance(logits, torch.Tensor):
        return [logits]
    out = [item[1] if isinstance(item, tuple) else item for item in logits]
    if not out:
        raise ValueError("expected logits for at least one scale")
    return out


def _features_list(feats: Sequence) -> list[list[torch.Tensor]]:
    """``[[f, ...], ...]`` or a discriminator's ``[(features, logits), ...]`` -> list of feature lists."""
    return [item[0] if isinstance(item, tuple) else item for item in feats]


# ----------------------------------------------------------------------------------------------
# Adversarial terms
# ----------------------------------------------------------------------------------------------
def d_hinge_loss(real_logits: Logits, fake_logits: Logits) -> torch.Tensor:
    r"""Discriminator hinge loss (Lim & Ye 2017; SAGAN), averaged over scales.

    .. math:: \mathbb{E}[\max(0, 1 - D(x))] + \mathbb{E}[\max(0, 1 + D(G(z)))]

    Args:
        real_logits: ``(B, 1, h, w)`` logits on real inputs, or a list over scales.
        fake_logits: the same on generated inputs (detached by the caller), same structure.

    Returns:
        Scalar ``>= 0``; 0 once real logits are ``>= 1`` and fake logits ``<= -1``.
    """
    real, fake = _logits_list(real_logits), _logits_list(fake_logits)
    if len(real) != len(fake):
        raise ValueError(f"real and fake logits cover {len(real)} and {len(fake)} scales")
    terms = [F.relu(1.0 - r).mean() + F.relu(1.0 + f).mean() for r, f in zip(real, fake)]
    return torch.stack(terms).mean()


def g_hinge_loss(fake_logits: Logits) -> torch.Tensor:
    r"""Generator hinge loss :math:`-\mathbb{E}[D(G(z))]`, averaged over scales (unbounded)."""
    return torch.stack([-f.mean() for f in _logits_list(fake_logits)]).mean()


def d_nonsaturating_loss(real_logits: Logits, fake_logits: Logits) -> torch.Tensor:
    r"""Discriminator loss of the original GAN: :math:`\mathrm{softplus}(-D(x)) + \mathrm{softplus}(D(G(z)))`, mean over scales."""
    real, fake = _logits_list(real_logits), _logits_list(fake_logits)
    if len(real) != len(fake):
        raise ValueError(f"real and fake logits cover {len(real)} and {len(fake)} scales")
    terms = [F.softplus(-r).mean() + F.softplus(f).mean() for r, f in zip(real, fake)]
    return torch.stack(terms).mean()


def g_nonsaturating_loss(fake_logits: Logits) -> torch.Tensor:
    r"""Non-saturating generator loss :math:`\mathrm{softplus}(-D(G(z)))`, mean over scales."""
    return torch.stack([F.softplus(-f).mean() for f in _logits_list(fake_logits)]).mean()


def feature_matching_loss(real_feats: Sequence, fake_feats: Sequence) -> torch.Tensor:
    """Discriminator feature matching (pix2pixHD) and learned similarity (Larsen et al. 2016).

    The L1 distance between the discriminator's intermediate features on real and generated
    inputs: mean absolute difference per layer, averaged over the layers of a scale, then over
    scales. The real features are detached (the target), so only the generator gets gradients.

    Args:
        real_feats: list over scales of lists of ``(B, C_i, H_i, W_i)`` feature maps (or the
            discriminator's output on real inputs).
        fake_feats: the same structure on generated inputs.

    Returns:
        Scalar ``>= 0``.
    """
    real, fake = _features_list(real_feats), _features_list(fake_feats)
    if len(real) != len(fake) or any(len(r) != len(f) for r, f in zip(real, fake)):
        raise ValueError("real and fake features must have the same scales and layers")
    per_scale = [torch.stack([F.l1_loss(f, r.detach()) for r, f in zip(rs, fs)]).mean()
                 for rs, fs in zip(real, fake)]
    return torch.stack(per_scale).mean()


# ----------------------------------------------------------------------------------------------
# VAE terms
# ----------------------------------------------------------------------------------------------
def adaptive_weight(last: torch.Tensor, loss_rec: torch.Tensor, loss_adv: torch.Tensor,
                    cap: float = ADAPTIVE_MAX) -> torch.Tensor:
    """``|grad L_rec| / |grad L_adv|`` at a generator's last layer ``last`` (its weight), detached and
    capped at ``cap``: the adversarial term, times this, pulls on that layer as hard as the
    reconstruction terms (Esser et al. 2021, "Taming transformers", eq. 7). Both losses keep
    their graphs."""
    g_rec = torch.autograd.grad(loss_rec, last, retain_graph=True)[0]
    g_adv = torch.autograd.grad(loss_adv, last, retain_graph=True)[0]
    return (g_rec.norm() / (g_adv.norm() + GRAD_EPS)).clamp(0.0, cap).detach()


def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    r"""KL divergence of the diagonal Gaussian posterior from the standard normal prior.

    .. math::
        \frac{1}{B} \sum_b \sum_d \tfrac12 \left(\mu_{bd}^2 + e^{\ell_{bd}} - 1 - \ell_{bd}\right),
        \quad \ell = \log \sigma^2

    i.e. the mean over the batch of the sum over latent dimensions of
    :math:`KL(N(\mu, \sigma^2) \,\|\, N(0, I))`, in nats per sample.

    Args:
        mu: ``(B, D)`` posterior means.
        logvar: ``(B, D)`` posterior log-variances.

    Returns:
        Scalar ``>= 0``; 0 iff ``mu == 0`` and ``logvar == 0``.
    """
    if mu.shape != logvar.shape:
        raise ValueError(f"mu {tuple(mu.shape)} and logvar {tuple(logvar.shape)} differ in shape")
    kl = 0.5 * (mu.square() + logvar.exp() - 1.0 - logvar)
    return kl.flatten(1).sum(dim=1).mean()


def kl_anneal(step: int, warmup_steps: int, max_weight: float) -> float:
    """Linear KL warm-up: ``max_weight * min(1, step / warmup_steps)``; ``max_weight`` if ``warmup_steps <= 0``."""
    if warmup_steps <= 0:
        return float(max_weight)
    return float(max_weight) * min(1.0, max(0, step) / warmup_steps)


# ----------------------------------------------------------------------------------------------
# Reconstruction terms
# ----------------------------------------------------------------------------------------------
def l1_loss(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Mean absolute error, optionally restricted to a mask.

    Args:
        pred: ``(B, C, H, W)``.
        target: ``(B, C, H, W)``.
        mask: ``(B, 1, H, W)`` or ``(B, C, H, W)`` weights in ``[0, 1]``, broadcast over channels.

    Returns:
        Scalar: without a mask the plain mean; with one
        ``sum(mask * |pred - target|) / sum(mask broadcast to pred's shape)`` (0 for an empty mask).
    """
    diff = (pred - target).abs()
    return diff.mean() if mask is None else _masked_mean(diff, mask)


def _masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``sum(mask * values) / sum(mask)``, the mask broadcast to ``values`` (0 for an empty mask)."""
    mask = mask.to(values.dtype).expand_as(values)
    return (values * mask).sum() / (mask.sum() + MASK_EPS)


def ssim_loss(pred: torch.Tensor, target: torch.Tensor, window_size: int = 11,
              mask: torch.Tensor | None = None) -> torch.Tensor:
    """Structural dissimilarity ``(1 - SSIM) / 2``, over the frame or under a mask.

    SSIM is computed in at least float32: its variances are differences of near-equal means,
    which bfloat16 would round away.

    Args:
        pred: ``(B, C, H, W)`` in ``[-1, 1]``; mapped to ``[0, 1]`` before SSIM (``max_val=1``).
        target: ``(B, C, H, W)`` in ``[-1, 1]``, likewise.
        window_size: odd number of taps of the Gaussian window (sigma 1.5).
        mask: ``(B, 1, H, W)`` or ``(B, C, H, W)`` weights in ``[0, 1]``; the SSIM map is still
            computed on the whole frame (windows at the mask's edge see outside it), then
            averaged under the mask, as :func:`tryon.metrics.masked_ssim` scores a region.

    Returns:
        Scalar in ``[0, 1]``: the mean (masked mean with a mask; 0 for an empty mask) over pixels
        of ``clamp((1 - SSIM) / 2, 0, 1)``, as :func:`kornia.losses.ssim_loss` defines it, so 0
        for identical images, 0.5 for uncorrelated ones and 1 for perfectly anti-correlated ones
        (it is half of the ``1 - SSIM`` loss).
    """
    dtype = torch.promote_types(pred.dtype, torch.float32)
    a, b = (pred.to(dtype) + 1.0) / 2.0, (target.to(dtype) + 1.0) / 2.0
    if mask is None:
        return kornia.losses.ssim_loss(a, b, window_size, max_val=1.0, reduction="mean")
    loss = ((1.0 - kornia.metrics.ssim(a, b, window_size, max_val=1.0)) / 2.0).clamp(0.0, 1.0)
    return _masked_mean(loss, mask)


def total_variation_loss(flow: torch.Tensor) -> torch.Tensor:
    """Smoothness of a dense field: mean absolute difference between neighbours.

    Args:
        flow: ``(B, C, H, W)`` channels first (a flow has ``C = 2``).

    Returns:
        Scalar: ``mean|f[..., :, 1:] - f[..., :, :-1]| + mean|f[..., 1:, :] - f[..., :-1, :]|``
        (horizontal plus vertical); a ramp of slope ``a`` along x gives ``|a|``.
    """
    if flow.ndim != 4:
        raise ValueError(f"total_variation_loss expects (B, C, H, W), got {tuple(flow.shape)}")
    dx = (flow[..., :, 1:] - flow[..., :, :-1]).abs().mean()
    dy = (flow[..., 1:, :] - flow[..., :-1, :]).abs().mean()
    return dx + dy


# ----------------------------------------------------------------------------------------------
# Mask terms
# ----------------------------------------------------------------------------------------------
def mask_bce_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of mask logits against a target mask.

    Args:
        logits: ``(B, 1, H, W)`` logits.
        target: ``(B, 1, H, W)`` in ``[0, 1]`` (soft targets allowed).

    Returns:
        Scalar ``>= 0``, mean over pixels (``log 2`` for zero logits).
    """
    return F.binary_cross_entropy_with_logits(logits, target.to(logits.dtype))


def mask_regularization(mask: torch.Tensor, target: torch.Tensor | None = None) -> torch.Tensor:
    """Regulariser of a composition mask in ``[0, 1]`` (CP-VTON style).

    Args:
        mask: ``(B, 1, H, W)`` in ``[0, 1]`` (after ``sigmoid``).
        target: optional ``(B, 1, H, W)`` in ``[0, 1]``.

    Returns:
        Scalar: without ``target`` ``mean|mask|`` (pushes the mask towards 0, i.e. towards
        using the warped garment as is); with ``target`` the L1 distance ``mean|mask - target|``.
    """
    if target is None:
        return mask.abs().mean()
    return (mask - target.to(mask.dtype)).abs().mean()


def segmentation_loss(logits: torch.Tensor, target: torch.Tensor, dice_weight: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-pixel cross-entropy and multi-class soft Dice (Milletari et al. 2016) of a label map.

    Dice weighs every class present in the batch alike, so thin, rare classes (arms, hair ends)
    count as much as the background; it is averaged over the classes that occur in ``target``,
    and computed on 2x2-pooled maps (half the cost; the cross-entropy keeps every pixel).

    Args:
        logits: ``(B, K, H, W)`` class scores.
        target: ``(B, H, W)`` int64 class indices in ``[0, K)``.
        dice_weight: multiplies the Dice term in the returned total.

    Returns:
        ``(total, dice)``: cross-entropy + ``dice_weight`` * Dice, and the Dice term alone.
    """
    logits = logits.float()
    ce = F.cross_entropy(logits, target)
    prob = F.avg_pool2d(logits.softmax(1), 2, ceil_mode=True)
    onehot = F.avg_pool2d(F.one_hot(target, logits.shape[1]).permute(0, 3, 1, 2).to(prob.dtype), 2, ceil_mode=True)
    inter = (prob * onehot).sum((0, 2, 3))
    total = prob.sum((0, 2, 3)) + onehot.sum((0, 2, 3))
    present = onehot.sum((0, 2, 3)) > 0
    dice = (1 - (2 * inter + 1) / (total + 1))[present].mean()
    return ce + dice_weight * dice, dice
