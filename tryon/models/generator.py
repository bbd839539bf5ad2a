"""The try-on generator: a small U-Net that renders the person and a composition mask.

Inputs: the full-resolution images (agnostic RGB, repaint region, refined warped garment RGB +
alpha) and the half-resolution condition (agnostic RGB, region and pose maps averaged over 2x2
blocks: the pose maps are smooth, and a many-channel full-resolution convolution is the slowest
layer a CPU can be given). The garment and body VAE codes (one flat vector) modulate the
bottleneck by FiLM (Perez et al. 2018): a linear layer gives a per-channel scale and shift,
``h * (1 + gamma) + beta``, zero-initialised so the codes start with no effect.

Architecture (``L = len(channels)`` levels at ``1/2, 1/4, ..., 1/2**L`` resolution)::

    stem:    SiLU(3x3 conv stride 2 (images (B, 8, H, W)) + 1x1 conv (condition (B, C, H/2, W/2)))
                                                                              -> s_0 (1/2)
    down:    level l >= 1: 3x3 conv stride 2, [GN], SiLU, 3x3 conv, [GN], SiLU -> s_l
    middle:  bottleneck_blocks residual blocks at 1/2**L, FiLM(codes) after the first
    up:      level l = L-1 .. 1: 3x3 conv to C_(l-1), [GN], SiLU, nearest 2x upsample,
             cat s_(l-1), 3x3 conv to C_(l-1), [GN], SiLU
    output:  sub-pixel 2x upsampling (B, C_0, H/2, W/2) -> (B, 3 + M, H, W): RGB through tanh,
             M composition logits (biases initialised to ``logit_init``)

GroupNorm ([GN]) is used only at ``1/4`` resolution and coarser (no extra passes over the
largest maps). No layer is wider than ``2 C_0`` at ``1/2`` resolution and the only
full-resolution work is the stem's strided 8-channel convolution and the pixel shuffle, which
keeps one 256x192 forward within a CPU latency budget (see :mod:`tryon.models.tryon_net`).
Upsampling is never a transposed convolution (no checkerboards). The model computes no loss.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from tryon.models.blocks import ResBlock, SubPixelUpsample, conv3x3, group_norm

__all__ = ["TryOnGenerator", "MASK_LOGIT_INIT", "KEEP_LOGIT_INIT", "RGB_CHANNELS"]

RGB_CHANNELS = 3
# The garment mask's logit starts at +2 (sigmoid ~ 0.88): the warped garment is pasted from
# the first step and the rendered person only has to learn where to take over.
MASK_LOGIT_INIT = 2.0
# The keep logit (revealed skin and background) starts at +3 (sigmoid ~ 0.95): what the photo
# shows is kept from the first step, and the network learns where to paint over it.
KEEP_LOGIT_INIT = 3.0
SUBPIXEL_FACTOR = 4  # SubPixelUpsample: 4 low-resolution channels (2 x 2 phases) per output channel


class _ConvNormAct(nn.Sequential):
    """3x3 conv (stride 1 or 2), GroupNorm if ``normalise``, SiLU."""

    def __init__(self, in_channels: int, out_channels: int, groups: int, normalise: bool,
                 stride: int = 1) -> None:
        super().__init__(
            conv3x3(in_channels, out_channels, stride),
            group_norm(out_channels, groups) if normalise else nn.Identity(),
            nn.SiLU(),
        )


class FiLM(nn.Module):
    """Feature-wise linear modulation by a code: ``h * (1 + gamma(c)) + beta(c)``.

    Shape:
        - Input: features ``(B, C, h, w)``, code ``(B, code_dim)``.
        - Output: ``(B, C, h, w)``; equal to the input at initialisation.
    """

    def __init__(self, code_dim: int, channels: int) -> None:
        super().__init__()
        self.linear = nn.Linear(code_dim, 2 * channels)
        nn.init.zeros_(self.linear.weight)
        nn.init.zeros_(self.linear.bias)

    def forward(self, h: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        gamma, beta = self.linear(code)[:, :, None, None].chunk(2, dim=1)
        return h * (1.0 + gamma) + beta


class _UpLevel(nn.Module):
    """Reduce to the finer level's channels, nearest 2x upsample, merge the skip connection.

    ``(B, C_in, h, w)`` and skip ``(B, C_out, 2h, 2w)`` -> ``(B, C_out, 2h, 2w)``.
    """

    def __init__(self, in_channels: int, out_channels: int, groups: int, normalise: bool) -> None:
        super().__init__()
        self.reduce = _ConvNormAct(in_channels, out_channels, groups, normalise)
        self.merge = _ConvNormAct(2 * out_channels, out_channels, groups, normalise)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(self.reduce(x), scale_factor=2.0, mode="nearest")
        return self.merge(torch.cat([x, skip], dim=1))


class TryOnGenerator(nn.Module):
    """U-Net from the person condition + warped garment to a rendered person and a mask logit.

    Args:
        image_channels: full-resolution inputs (agnostic RGB + region + revealed + warped garment
            RGB + alpha).
        condition_channels: half-resolution inputs (agnostic RGB + region + pose maps, halved).
        code_dim: size of the code injected at the bottleneck (0: no FiLM, codes ignored).
        channels: widths at ``1/2, 1/4, ...`` resolution; ``H, W`` must divide by ``2**len``.
        bottleneck_blocks: residual blocks at the bottleneck (FiLM after the first).
        norm_groups: GroupNorm groups (reduced to a divisor of each layer's channels).
        logit_init: one composition logit per entry, its bias initialised to the value.

    Example:
        >>> gen = TryOnGenerator(image_channels=8, condition_channels=29, code_dim=10, channels=(8, 16, 32))
        >>> rendered, logit = gen(torch.zeros(2, 8, 64, 48), torch.zeros(2, 29, 32, 24), torch.zeros(2, 10))
        >>> rendered.shape, logit.shape
        (torch.Size([2, 3, 64, 48]), torch.Size([2, 1, 64, 48]))
    """

    def __init__(self, image_channels: int, condition_channels: int, code_dim: int = 0,
                 channels: tuple[int, ...] = (16, 32, 64, 128, 256),
                 bottleneck_blocks: int = 2, norm_groups: int = 8,
                 logit_init: tuple[float, ...] = (MASK_LOGIT_INIT,)) -> None:
        super().__init__()
        if len(channels) < 2 or bottleneck_blocks < 1:
            raise ValueError("TryOnGenerator needs at least 2 levels and 1 bottleneck block")
        self.code_dim = code_dim
        self.channels = tuple(channels)
        self.downsample = 2 ** len(self.channels)
        self.stem = conv3x3(image_channels, channels[0], stride=2)
        self.from_condition = nn.Conv2d(condition_channels, channels[0], kernel_size=1)
        self.down = nn.ModuleList(
            nn.Sequential(
                _ConvNormAct(channels[i - 1], channels[i], norm_groups, normalise=True, stride=2),
                _ConvNormAct(channels[i], channels[i], norm_groups, normalise=True),
            )
            for i in range(1, len(channels))
        )
        self.middle = nn.ModuleList(ResBlock(channels[-1], norm_groups) for _ in range(bottleneck_blocks))
        self.film = FiLM(code_dim, channels[-1]) if code_dim > 0 else None
        self.up = nn.ModuleList(
            _UpLevel(channels[i], channels[i - 1], norm_groups, normalise=i - 1 > 0)
            for i in reversed(range(1, len(channels)))
        )
        self.to_output = SubPixelUpsample(channels[0], RGB_CHANNELS + len(logit_init))
        with torch.no_grad():  # pixel-shuffle channel order: output channel o is o*4 .. o*4+3
            for i, value in enumerate(logit_init):
                o = (RGB_CHANNELS + i) * SUBPIXEL_FACTOR
                self.to_output.conv.bias[o : o + SUBPIXEL_FACTOR].fill_(value)

    def forward(self, images: torch.Tensor, condition: torch.Tensor,
                codes: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Render.

        Args:
            images: ``(B, image_channels, H, W)`` full-resolution inputs (agnostic RGB in
                ``[-1, 1]``, region in ``{0, 1}``, warped garment RGB in ``[-1, 1]`` + alpha).
            condition: ``(B, condition_channels, H/2, W/2)`` half-resolution inputs (agnostic,
                region and pose maps halved by :func:`~tryon.models.warper.half_resolution`).
            codes: ``(B, code_dim)``; required when ``code_dim > 0``.

        Returns:
            ``rendered`` ``(B, 3, H, W)`` in ``[-1, 1]`` and the composition logits
            ``(B, len(logit_init), H, W)`` (``sigmoid`` gives ``[0, 1]``).
        """
        if self.film is not None and codes is None:
            raise ValueError(f"TryOnGenerator was built with code_dim={self.code_dim}: pass codes (B, {self.code_dim}).")
        h = F.silu(self.stem(images) + self.from_condition(condition))
        skips = [h]
        for level in self.down:
            h = level(h)
            skips.append(h)
        skips.pop()  # the bottleneck itself
        for i, block in enumerate(self.middle):
            h = block(h)
            if i == 0 and self.film is not None:
                h = self.film(h, codes)
        for level in self.up:
            h = level(h, skips.pop())
        out = self.to_output(h)
        return torch.tanh(out[:, :RGB_CHANNELS]), out[:, RGB_CHANNELS:]
