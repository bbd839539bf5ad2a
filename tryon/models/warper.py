"""Appearance-flow garment warper: refines a landmark TPS warp, coarse to fine.

The garment it receives has already been fitted onto the body by the thin-plate spline of
:mod:`tryon.warp`; the warper only learns a *residual* flow on top of it (ClothFlow, Han et al.
2019; PF-AFN, Ge et al. 2021), so the TPS is its starting point, not something it must learn.

Architecture (``L = len(channels)`` levels at ``1/4, 1/8, ..., 1/2**(L+1)`` resolution)::

    garment (B, 4, H, W) -> 2x2 mean -> L x [3x3 conv stride 2, act, 3x3 conv, act] -> g_l
    condition (B, C, H/2, W/2) (already halved) -> the same, separate weights    -> p_l
    coarsest level first, with flow = 0 and no decoder state:
        flow_up = bilinear 2x upsample of the previous level's flow (0 at the coarsest)
        x = cat(p_l, warp(g_l, flow_up), flow_up, nearest 2x upsample of the previous state)
        state = act(conv(act(conv(x))))        (width: the next finer level's channels)
        flow_l = flow_up + head(state)         (head: 3x3 conv to 2 channels, ZERO-initialised)
    flow = bilinear upsample of the finest flow_l to (H, W)
    warped = grid_sample(garment, identity + flow)   (bilinear, zeros padding, align_corners=False)

Warping the garment *features* with the current flow before each refinement lets every level
see the misalignment left by the coarser ones. The zero-initialised heads make the untrained
warper the identity: ``warped == garment`` and every flow is 0, so training starts from the TPS.

Flows are ``(B, 2, h, w)`` offsets ``(x, y)`` in normalised grid units (``[-1, 1]`` spans the
image edges, ``align_corners=False``): one pixel is ``2 / W`` in x and ``2 / H`` in y at every
level, so a flow is resized between levels without rescaling its values. The model computes no
loss (the smoothness loss on ``flows`` lives in :mod:`tryon.losses`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from tryon.models.blocks import conv3x3

__all__ = ["FlowWarper", "FlowWarperOutput", "identity_grid", "warp", "half_resolution"]

LEAKY_SLOPE = 0.1        # PWC-Net's flow estimators use LeakyReLU(0.1) and no normalisation
HALF = 0.5               # the encoders start from half-resolution inputs: the finest flow
                         # is at 1/4 resolution, a full-resolution conv would be wasted
FLOW_CHANNELS = 2        # (x, y)
GARMENT_CHANNELS = 4     # RGB in [-1, 1] + alpha in [0, 1]


def identity_grid(batch: int, height: int, width: int, *, device: torch.device | None = None,
                  dtype: torch.dtype | None = None) -> torch.Tensor:
    """The ``grid_sample`` grid that returns its input unchanged (``align_corners=False``).

    Returns:
        ``(batch, height, width, 2)`` pixel-centre positions ``(x, y)`` in ``(-1, 1)``.
    """
    ys = torch.linspace(-1.0 + 1.0 / height, 1.0 - 1.0 / height, height, device=device, dtype=dtype)
    xs = torch.linspace(-1.0 + 1.0 / width, 1.0 - 1.0 / width, width, device=device, dtype=dtype)
    grid = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), dim=-1)
    return grid.unsqueeze(0).expand(batch, height, width, 2)


def warp(image: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Resample ``image`` at ``identity + flow`` (bilinear, zeros outside, ``align_corners=False``).

    Args:
        image: ``(B, C, H, W)``.
        flow: ``(B, 2, H, W)`` offsets ``(x, y)`` in normalised grid units.

    Returns:
        ``(B, C, H, W)`` in ``image``'s dtype; each output pixel is a convex combination of input
        pixels and zeros, so value ranges that contain 0 (``[-1, 1]``, ``[0, 1]``) are kept.

    The grid and the sampling are always float32, under autocast or with a half-precision
    ``image`` too: a bfloat16 grid is off by up to ~0.4 pixel at 192 pixels wide.
    """
    b, _, h, w = image.shape
    grid = identity_grid(b, h, w, device=image.device, dtype=torch.float32) + flow.float().permute(0, 2, 3, 1)
    with torch.autocast(image.device.type, enabled=False):
        out = F.grid_sample(image.float(), grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return out.to(image.dtype)


def half_resolution(x: torch.Tensor) -> torch.Tensor:
    """``(B, C, H, W)`` -> ``(B, C, H/2, W/2)``, each output pixel the mean of a 2x2 block.

    A bilinear resize by exactly 1/2 (``align_corners=False``) samples the centre of each 2x2
    block, i.e. averages it: the same result as ``avg_pool2d(x, 2)``, ~5x faster on a CPU.
    """
    return F.interpolate(x, scale_factor=HALF, mode="bilinear", align_corners=False)


def _upsample_flow(flow: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear resize of a flow; its values (normalised units) need no rescaling."""
    return F.interpolate(flow, size=size, mode="bilinear", align_corners=False)


@dataclass
class FlowWarperOutput:
    """What :meth:`FlowWarper.forward` returns.

    Attributes:
        warped: ``(B, 4, H, W)`` the refined garment: RGB in ``[-1, 1]``, alpha in ``[0, 1]``.
        flow: ``(B, 2, H, W)`` the final residual flow at full resolution, normalised units.
        flows: one ``(B, 2, h_l, w_l)`` flow per level, coarse to fine (each already includes
            the upsampled coarser ones). Flows are float32 whatever the model's dtype.
    """

    warped: torch.Tensor
    flow: torch.Tensor
    flows: list[torch.Tensor]


class _Encoder(nn.Module):
    """``(B, C_in, H/2, W/2)`` -> one feature map per level, finest (1/4) first.

    Each level: 3x3 conv stride 2, LeakyReLU, 3x3 conv, LeakyReLU.
    """

    def __init__(self, in_channels: int, channels: tuple[int, ...]) -> None:
        super().__init__()
        self.levels = nn.ModuleList()
        prev = in_channels
        for ch in channels:
            self.levels.append(nn.Sequential(
                conv3x3(prev, ch, stride=2), nn.LeakyReLU(LEAKY_SLOPE),
                conv3x3(ch, ch), nn.LeakyReLU(LEAKY_SLOPE),
            ))
            prev = ch

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = []
        for level in self.levels:
            x = level(x)
            feats.append(x)
        return feats


class _FlowLevel(nn.Module):
    """One refinement: ``(person feats, warped garment feats, flow_up, state_up)`` -> ``(state, delta)``.

    Shape:
        - Input: ``(B, in_channels, h, w)``, the concatenation above.
        - Output: state ``(B, out_channels, h, w)`` and flow delta ``(B, 2, h, w)``.
    """

    def __init__(self, in_channels: int, hidden: int, out_channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            conv3x3(in_channels, hidden), nn.LeakyReLU(LEAKY_SLOPE),
            conv3x3(hidden, out_channels), nn.LeakyReLU(LEAKY_SLOPE),
        )
        self.head = conv3x3(out_channels, FLOW_CHANNELS)
        nn.init.zeros_(self.head.weight)  # untrained warper == identity (the TPS is kept)
        nn.init.zeros_(self.head.bias)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        state = self.body(x)
        return state, self.head(state)


class FlowWarper(nn.Module):
    """Residual appearance flow on a TPS-warped garment, ``len(channels)`` levels coarse to fine.

    Args:
        condition_channels: channels of the person condition (agnostic RGB + region + pose maps).
        channels: encoder widths at ``1/4, 1/8, ...`` resolution; the number of flow levels.
        garment_channels: channels of the garment (RGB + alpha).

    Example:
        >>> warper = FlowWarper(condition_channels=29, channels=(8, 16))
        >>> out = warper(torch.zeros(2, 4, 64, 48), torch.zeros(2, 29, 32, 24))
        >>> out.warped.shape, out.flow.shape, [f.shape[-2:] for f in out.flows]
        (torch.Size([2, 4, 64, 48]), torch.Size([2, 2, 64, 48]), [torch.Size([8, 6]), torch.Size([16, 12])])
    """

    def __init__(self, condition_channels: int, channels: tuple[int, ...] = (32, 64, 128),
                 garment_channels: int = GARMENT_CHANNELS) -> None:
        super().__init__()
        if not channels:
            raise ValueError("FlowWarper needs at least one level of channels")
        self.channels = tuple(channels)
        self.downsample = 2 ** (len(self.channels) + 1)  # H and W must divide by this
        self.garment_encoder = _Encoder(garment_channels, self.channels)
        self.condition_encoder = _Encoder(condition_channels, self.channels)
        levels = []
        for i in reversed(range(len(self.channels))):  # coarse to fine
            ch = self.channels[i]
            coarser_state = self.channels[i] if i + 1 < len(self.channels) else 0
            out = self.channels[i - 1] if i > 0 else ch  # the state feeds the finer level
            levels.append(_FlowLevel(2 * ch + FLOW_CHANNELS + coarser_state, ch, out))
        self.levels = nn.ModuleList(levels)

    @torch.no_grad()
    def reset_flow(self) -> None:
        """Zero every level's flow head: the warper becomes the identity again (the TPS is kept)
        while its encoders keep what they learned. For a fine-tune whose spline changed, so that
        the flow learned for the old spline is not applied to the new one."""
        for level in self.levels:
            nn.init.zeros_(level.head.weight)
            nn.init.zeros_(level.head.bias)

    def forward(self, garment: torch.Tensor, condition: torch.Tensor) -> FlowWarperOutput:
        """Refine the garment's fit.

        Args:
            garment: ``(B, 4, H, W)`` TPS-warped garment, RGB in ``[-1, 1]`` then alpha in ``[0, 1]``.
            condition: ``(B, condition_channels, H/2, W/2)`` person condition at *half* resolution
                (see :func:`half_resolution`; computed once and shared with the generator), values
                in ``[-1, 1]``.

        Returns:
            :class:`FlowWarperOutput`; ``H`` and ``W`` must be divisible by ``self.downsample``.
        """
        size = garment.shape[-2:]
        if condition.shape[-2:] != (size[0] // 2, size[1] // 2):
            raise ValueError(f"FlowWarper expects the condition at half the garment's size "
                             f"{(size[0] // 2, size[1] // 2)}, got {tuple(condition.shape[-2:])}.")
        g_feats = self.garment_encoder(half_resolution(garment))
        p_feats = self.condition_encoder(condition)
        flows: list[torch.Tensor] = []
        flow = state = None
        for level, g, p in zip(self.levels, reversed(g_feats), reversed(p_feats)):
            if flow is None:  # flows stay float32 (see warp), features may be half precision
                flow = g.new_zeros(g.shape[0], FLOW_CHANNELS, *g.shape[-2:], dtype=torch.float32)
                x = torch.cat([p, g, flow.to(g.dtype)], dim=1)  # zero flow: features unwarped
            else:
                flow = _upsample_flow(flow, g.shape[-2:])
                state = F.interpolate(state, scale_factor=2.0, mode="nearest")
                x = torch.cat([p, warp(g, flow), flow.to(g.dtype), state], dim=1)
            state, delta = level(x)
            flow = flow + delta.float()
            flows.append(flow)
        full = _upsample_flow(flow, size)
        return FlowWarperOutput(warped=warp(garment, full), flow=full, flows=flows)
