"""Shared layers: normalised convolutions, residual blocks, resampling blocks, spectral-norm convs.

All blocks work on feature maps ``(B, C, H, W)``. Upsampling is nearest-neighbour resize followed
by a 3x3 convolution (never a transposed convolution), which avoids checkerboard artefacts
(Odena et al. 2016, "Deconvolution and Checkerboard Artifacts"). :class:`SubPixelUpsample`
computes exactly that at initialisation, as a convolution at the low resolution plus a pixel
shuffle: much faster on a CPU when the output has few channels.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

__all__ = [
    "group_norm",
    "conv3x3",
    "sn_conv",
    "ResBlock",
    "DownBlock",
    "UpBlock",
    "SubPixelUpsample",
]


def group_norm(channels: int, groups: int) -> nn.GroupNorm:
    """GroupNorm with at most ``groups`` groups that divide ``channels`` (tiny test configs stay valid)."""
    return nn.GroupNorm(math.gcd(channels, groups), channels)


def conv3x3(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    """3x3 convolution with padding 1: keeps ``(H, W)`` at stride 1, halves it at stride 2."""
    return nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=stride, padding=1)


def sn_conv(in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
            padding: int = 0) -> nn.Module:
    """A ``Conv2d`` whose weight is spectral-normalised (Miyato et al. 2018), for discriminators.

    The parametrisation stores ``parametrizations.weight.original`` and the power-iteration
    vectors ``_u``/``_v`` in the state dict, so a saved model reloads to identical outputs.
    """
    return spectral_norm(nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding))


class ResBlock(nn.Module):
    """Pre-activation residual block: ``x + conv(SiLU(GN(conv(SiLU(GN(x))))))``.

    Args:
        channels: feature channels ``C``, kept.
        groups: GroupNorm groups (reduced to a divisor of ``channels``).

    Shape:
        - Input: ``(B, C, H, W)``
        - Output: ``(B, C, H, W)``
    """

    def __init__(self, channels: int, groups: int) -> None:
        super().__init__()
        self.norm1 = group_norm(channels, groups)
        self.conv1 = conv3x3(channels, channels)
        self.norm2 = group_norm(channels, groups)
        self.conv2 = conv3x3(channels, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        return x + h


class DownBlock(nn.Module):
    """Stride-2 3x3 convolution, GroupNorm, SiLU: ``(B, C_in, H, W) -> (B, C_out, ceil(H/2), ceil(W/2))``."""

    def __init__(self, in_channels: int, out_channels: int, groups: int) -> None:
        super().__init__()
        self.conv = conv3x3(in_channels, out_channels, stride=2)
        self.norm = group_norm(out_channels, groups)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.silu(self.norm(self.conv(x)))


class UpBlock(nn.Module):
    """Nearest 2x upsampling, 3x3 convolution, GroupNorm, SiLU: ``(B, C_in, H, W) -> (B, C_out, 2H, 2W)``."""

    def __init__(self, in_channels: int, out_channels: int, groups: int) -> None:
        super().__init__()
        self.conv = conv3x3(in_channels, out_channels)
        self.norm = group_norm(out_channels, groups)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        return F.silu(self.norm(self.conv(x)))


# Nearest 2x upsampling then a 3x3 conv, seen from the low-resolution grid: output row 2i + a
# reads input rows i - 1, i, i + 1 through these 0/1 maps from the conv's 3 taps (dy = -1, 0, 1).
_PHASE_TAPS = torch.tensor([
    [[1.0, 0.0, 0.0], [0.0, 1.0, 1.0], [0.0, 0.0, 0.0]],   # a = 0: row i-1 <- dy=-1; row i <- dy=0, 1
    [[0.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]],   # a = 1: row i <- dy=-1, 0; row i+1 <- dy=1
])


def _subpixel_weight(weight: torch.Tensor) -> torch.Tensor:
    """``(O, I, 3, 3)`` kernel of upsample-then-conv -> ``(4 O, I, 3, 3)`` low-resolution kernels, in
    ``pixel_shuffle`` channel order ``o * 4 + a * 2 + b`` (``a``/``b``: output row/column phase)."""
    m = _PHASE_TAPS.to(weight)
    k = torch.einsum("aps,oist,bqt->oabipq", m, weight, m)
    return k.reshape(weight.shape[0] * 4, weight.shape[1], 3, 3)


class SubPixelUpsample(nn.Module):
    """2x upsampling as a 3x3 convolution to ``4 C_out`` channels plus ``pixel_shuffle``.

    Initialised to compute exactly ``conv3x3(nearest_upsample_2x(x))`` (a default-initialised
    ``Conv2d(C_in, C_out, 3)`` rewritten on the low-resolution grid), so it starts free of
    checkerboards (Aitken et al. 2017) and can only gain expressiveness in training. It never
    holds a ``C_in``-channel full-resolution map: ~6x faster than resize + conv for a 4-channel
    output on a CPU.

    Shape:
        - Input: ``(B, C_in, H, W)``
        - Output: ``(B, C_out, 2H, 2W)``
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, 4 * out_channels, kernel_size=3, padding=1)
        reference = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1)
        with torch.no_grad():
            self.conv.weight.copy_(_subpixel_weight(reference.weight))
            self.conv.bias.copy_(reference.bias.repeat_interleave(4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.pixel_shuffle(self.conv(x), 2)
