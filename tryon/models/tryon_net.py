"""The learned try-on network: appearance-flow warper + U-Net generator + composition.

Pipeline for one batch (``P = pose_channels``)::

    condition = half_resolution(cat(agnostic, region, pose))         (B, 3 + 1 + P, H/2, W/2)
    warped, flow, flows = warper(garment, condition)                 refine the TPS fit
    rendered, (logit_g, logit_k) = generator(cat(agnostic, region, revealed, warped), condition, codes)
    keep  = sigmoid(logit_k) * revealed * region                     what the photo still shows
    mask  = (1 - keep) * sigmoid(logit_g) * warped_alpha * region    where the garment is pasted
    image = keep * agnostic + mask * warped_rgb + (region - keep - mask) * rendered
            + (1 - region) * agnostic

So the output keeps every pixel outside the repaint region, keeps the revealed pixels (skin and
background, see :func:`tryon.body.revealed_pixels`) where the keep gate says so, pastes the
(refined) garment's own pixels where the garment mask says so, and the generator only paints the
rest (covered arms, neck, garment parts the warp cannot reach). At initialisation the warper is
the identity (the TPS fit is kept), the keep logit is ``+3`` and the garment logit ``+2``, so the
photo's skin and the garment are pasted from the first step.

Cost at the defaults (256x192): 5.53 M parameters (warper 1.12 M, generator 4.41 M) and
1.16 GMAC per image; a batch-1 fp32 forward takes ~24 ms on 2 CPU threads (AMD EPYC, Zen 4;
~18 ms under bfloat16 autocast), forward + backward of a batch of 8 ~0.45 s. The pose maps enter
at half resolution, so no convolution over many channels runs at full resolution.

The model computes no loss: see :mod:`tryon.losses` (e.g. a smoothness loss on ``flows``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from tryon.hub import PretrainedMixin
from tryon.models.generator import KEEP_LOGIT_INIT, MASK_LOGIT_INIT, RGB_CHANNELS, TryOnGenerator
from tryon.models.warper import GARMENT_CHANNELS, FlowWarper, FlowWarperOutput, half_resolution, warp as apply_flow

__all__ = ["TryOnNetConfig", "TryOnNetOutput", "TryOnNet"]

AGNOSTIC_CHANNELS = 3
REGION_CHANNELS = 1
REVEALED_CHANNELS = 1


@dataclass
class TryOnNetConfig:
    """Hyper-parameters of :class:`TryOnNet`; saved as ``config.json`` by ``save_pretrained``.

    Attributes:
        pose_channels: pose maps: 15 landmark heatmaps + 10 limb maps, values in ``[0, 1]``.
        code_dim: size of the code vector (garment VAE mean 128 + body VAE mean 32); 0: no codes.
        resolution: ``(H, W)`` of every input, each divisible by ``2 ** len(generator_channels)``
            and ``2 ** (len(warper_channels) + 1)`` (32 at the defaults).
        warper_channels: flow-estimator widths at ``1/4, 1/8, 1/16, ...`` resolution; one flow
            level per entry (coarsest first in the forward pass).
        generator_channels: U-Net widths at ``1/2, 1/4, 1/8, ...`` resolution; the codes modulate
            the deepest level.
        bottleneck_blocks: residual blocks at the generator's bottleneck (FiLM after the first).
        norm_groups: GroupNorm groups in the generator (reduced to a divisor of the channels).
    """

    pose_channels: int = 25
    code_dim: int = 160
    resolution: tuple[int, int] = (256, 192)
    warper_channels: tuple[int, ...] = (32, 64, 128)
    generator_channels: tuple[int, ...] = (16, 32, 64, 128, 256)
    bottleneck_blocks: int = 2
    norm_groups: int = 8

    def __post_init__(self) -> None:
        # JSON has no tuples: accept lists, store tuples (the dataclass stays hashable/comparable).
        self.resolution = tuple(int(s) for s in self.resolution)
        self.warper_channels = tuple(int(c) for c in self.warper_channels)
        self.generator_channels = tuple(int(c) for c in self.generator_channels)
        if len(self.resolution) != 2:
            raise ValueError(f"resolution must be (H, W), got {self.resolution}")
        if self.pose_channels < 0 or self.code_dim < 0:
            raise ValueError("pose_channels and code_dim must be >= 0")
        if not self.warper_channels or len(self.generator_channels) < 2:
            raise ValueError("warper_channels needs >= 1 level and generator_channels >= 2 levels")
        if min(self.warper_channels + self.generator_channels) < 1 or self.bottleneck_blocks < 1:
            raise ValueError("channels and bottleneck_blocks must be positive")
        factor = max(2 ** (len(self.warper_channels) + 1), 2 ** len(self.generator_channels))
        if any(s % factor for s in self.resolution):
            raise ValueError(f"resolution {self.resolution} must be divisible by {factor} "
                             f"(the coarsest level of the warper and the generator)")

    @property
    def condition_channels(self) -> int:
        """Channels of the person condition: agnostic RGB + region + pose maps."""
        return AGNOSTIC_CHANNELS + REGION_CHANNELS + self.pose_channels


@dataclass
class TryOnNetOutput:
    """What :meth:`TryOnNet.forward` returns.

    Attributes:
        image: ``(B, 3, H, W)`` in ``[-1, 1]``, the final composite (see the module docstring).
        rendered: ``(B, 3, H, W)`` in ``[-1, 1]``, the generator's person.
        mask: ``(B, 1, H, W)`` in ``[0, 1]``, the garment's share of the image:
            ``(1 - keep) * sigmoid(logit_g) * warped_alpha * region``.
        keep: ``(B, 1, H, W)`` in ``[0, 1]``, the revealed photo's share: ``sigmoid(logit_k) * revealed * region``.
        warped: ``(B, 4, H, W)`` the refined garment: RGB in ``[-1, 1]``, alpha in ``[0, 1]``.
        flow: ``(B, 2, H, W)`` the final residual flow, normalised grid units ``(x, y)``.
        flows: per-level flows ``(B, 2, h, w)``, coarse to fine.
    """

    image: torch.Tensor
    rendered: torch.Tensor
    mask: torch.Tensor
    keep: torch.Tensor
    warped: torch.Tensor
    flow: torch.Tensor
    flows: list[torch.Tensor]


class TryOnNet(nn.Module, PretrainedMixin):
    """Warper + generator + composition over one resolution.

    Example:
        >>> net = TryOnNet(TryOnNetConfig(resolution=(64, 48), warper_channels=(8, 16),
        ...                               generator_channels=(8, 16, 32), code_dim=0))
        >>> out = net(torch.zeros(1, 3, 64, 48), torch.ones(1, 1, 64, 48),
        ...           torch.zeros(1, 25, 64, 48), torch.zeros(1, 4, 64, 48))
        >>> out.image.shape, out.mask.shape, len(out.flows)
        (torch.Size([1, 3, 64, 48]), torch.Size([1, 1, 64, 48]), 2)
    """

    config_class = TryOnNetConfig

    def __init__(self, config: TryOnNetConfig) -> None:
        super().__init__()
        self.config = config
        self.warper = FlowWarper(config.condition_channels, config.warper_channels)
        self.generator = TryOnGenerator(
            AGNOSTIC_CHANNELS + REGION_CHANNELS + REVEALED_CHANNELS + GARMENT_CHANNELS,
            config.condition_channels,
            code_dim=config.code_dim,
            channels=config.generator_channels,
            bottleneck_blocks=config.bottleneck_blocks,
            norm_groups=config.norm_groups,
            logit_init=(MASK_LOGIT_INIT, KEEP_LOGIT_INIT),
        )

    def _check_inputs(self, agnostic: torch.Tensor, region: torch.Tensor, pose: torch.Tensor,
                      garment: torch.Tensor, codes: torch.Tensor | None, revealed: torch.Tensor) -> None:
        h, w = self.config.resolution
        batch = agnostic.shape[0] if agnostic.ndim == 4 else None
        for name, tensor, channels in (("agnostic", agnostic, AGNOSTIC_CHANNELS),
                                       ("region", region, REGION_CHANNELS),
                                       ("revealed", revealed, REVEALED_CHANNELS),
                                       ("pose", pose, self.config.pose_channels),
                                       ("garment", garment, GARMENT_CHANNELS)):
            if tensor.ndim != 4 or tuple(tensor.shape[1:]) != (channels, h, w) or tensor.shape[0] != batch:
                raise ValueError(f"TryOnNet expects {name} of shape (B, {channels}, {h}, {w}) with the "
                                 f"same B as agnostic, got {tuple(tensor.shape)}.")
        if codes is not None and (codes.ndim != 2 or tuple(codes.shape) != (batch, self.config.code_dim)):
            raise ValueError(f"TryOnNet expects codes of shape (B, {self.config.code_dim}) with the same B "
                             f"as agnostic, got {tuple(codes.shape)}.")

    def forward(self, agnostic: torch.Tensor, region: torch.Tensor, pose: torch.Tensor,
                garment: torch.Tensor, codes: torch.Tensor | None = None,
                revealed: torch.Tensor | None = None, detach_warp: bool = False,
                flow_scale: float = 1.0) -> TryOnNetOutput:
        """Try the garment on.

        Args:
            agnostic: ``(B, 3, H, W)`` in ``[-1, 1]``, the person with the repaint region greyed
                out, except the revealed pixels.
            region: ``(B, 1, H, W)`` in ``{0, 1}``, 1 = pixels the try-on repaints.
            pose: ``(B, pose_channels, H, W)`` in ``[0, 1]``.
            garment: ``(B, 4, H, W)`` the TPS-warped garment, RGB in ``[-1, 1]`` then alpha in ``[0, 1]``.
            codes: ``(B, code_dim)`` VAE codes, or ``None`` (zeros are used when ``code_dim > 0``).
            revealed: ``(B, 1, H, W)`` in ``{0, 1}``, region pixels the agnostic still shows (skin,
                background), or ``None`` (nothing revealed).
            detach_warp: the generator and the composition get the refined garment without its
                gradient, so training moves the warper by its own losses alone (the same output).
            flow_scale: the warper's flow is scaled by this before it refines the garment (1: as
                learned; 0: the spline's garment as given). For inference only.

        Returns:
            :class:`TryOnNetOutput`.

        Raises:
            ValueError: (one sentence) an input has the wrong shape.
        """
        if revealed is None:
            revealed = torch.zeros_like(region)
        self._check_inputs(agnostic, region, pose, garment, codes, revealed)
        if codes is None and self.config.code_dim > 0:
            codes = agnostic.new_zeros(agnostic.shape[0], self.config.code_dim)
        condition = half_resolution(torch.cat([agnostic, region, pose], dim=1))  # shared by both
        warp = self.warper(garment, condition)
        if flow_scale != 1.0:
            flow = warp.flow * flow_scale
            warp = FlowWarperOutput(warped=apply_flow(garment, flow), flow=flow, flows=warp.flows)
        warped = warp.warped.detach() if detach_warp else warp.warped
        warped_rgb, warped_alpha = warped[:, :RGB_CHANNELS], warped[:, RGB_CHANNELS:]
        images = torch.cat([agnostic, region, revealed, warped], dim=1)
        rendered, logits = self.generator(images, condition, codes)
        keep = torch.sigmoid(logits[:, 1:2]) * revealed * region
        mask = (1.0 - keep) * torch.sigmoid(logits[:, :1]) * warped_alpha * region
        image = (keep * agnostic + mask * warped_rgb + (region - keep - mask) * rendered
                 + (1.0 - region) * agnostic)
        return TryOnNetOutput(image=image, rendered=rendered, mask=mask, keep=keep, warped=warp.warped,
                              flow=warp.flow, flows=warp.flows)
