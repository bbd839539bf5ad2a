"""The garment refiner: a designer's 128x96 decoding drawn again as a shop photo at the try-on frame (256x192).

The garment designer's VAE decodes a 128-number code at 128x96. Even a perfect 128x96 garment,
enlarged to 256x192, gives itself away: against real VITON garments a HOG + colour-histogram
classifier (:mod:`tryon.two_sample`) tells 300 such enlargements from 300 real garments with
0.82 accuracy, 0.95 from 64x48 (measured on the validation garments, the enlargement of real
photos standing in for a perfect decoder). The refiner is a conditional generator trained with
a discriminator at 256x192 against the garments' own shop photos (``tryon train garment-refiner``,
:mod:`tryon.training.garment_refiner`): it adds the edges, seams and fabric shading the coarse
decoding cannot hold. Its input is framed as the shop photos are (:func:`tryon.garment_framing.shop_frame`).

Architecture (a small U-Net; ``(h, w)`` the coarse resolution, ``C = channels``)::

    input  (B, 4, h, w): coarse RGB in [-1, 1] + its mask as sigmoid * 2 - 1
    stem   3x3 conv -> C            at (h, w)       ----------------------------.
    down   stride-2 conv -> 2C, ResBlock  at h/2    ----------------.           |
    down   stride-2 conv -> 4C, ResBlock x depth at h/4             |           |
    up     nearest 2x, 3x3 conv -> 2C, concat skip, 3x3 conv -> 2C  <'           |
    up     nearest 2x, 3x3 conv -> C,  concat skip, 3x3 conv -> C   <-----------'
    out    sub-pixel 2x -> (B, 4, 2h, 2w) residual: added to the coarse image and mask logits
           enlarged (bilinear)

The residual's last convolution starts at zero, so an untrained refiner returns the bilinear
enlargement: training only adds detail. Cost: 1.8 GMAC per garment at the defaults.
The model computes no loss (see :mod:`tryon.training.garment_refiner`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from tryon.hub import PretrainedMixin
from tryon.models.blocks import DownBlock, ResBlock, SubPixelUpsample, UpBlock, conv3x3, group_norm

__all__ = ["GarmentRefinerConfig", "GarmentRefiner", "REFINER_DIR"]

REFINER_DIR = "refiner"   # the refiner's folder inside a garment designer's folder
SCALE = 2                 # output side / coarse side


@dataclass
class GarmentRefinerConfig:
    """Hyper-parameters of :class:`GarmentRefiner`.

    Attributes:
        coarse: ``(h, w)`` of the coarse garment it refines (the designer VAE's resolution),
            each divisible by 4; the output is ``(2h, 2w)``.
        channels: feature channels at the coarse resolution (doubled per level down).
        depth: residual blocks at the deepest level (``h/4, w/4``).
        norm_groups: GroupNorm groups.
    """

    coarse: tuple[int, int] = (128, 96)
    channels: int = 32
    depth: int = 2
    norm_groups: int = 8

    def __post_init__(self) -> None:
        self.coarse = tuple(int(s) for s in self.coarse)
        if len(self.coarse) != 2 or any(s % 4 or s < 4 for s in self.coarse):
            raise ValueError(f"coarse must be (h, w) with sides divisible by 4, got {self.coarse}")
        if self.channels < 1 or self.depth < 0:
            raise ValueError("channels must be >= 1 and depth >= 0")

    @property
    def output(self) -> tuple[int, int]:
        """``(H, W)`` of the refined garment: twice the coarse sides."""
        return self.coarse[0] * SCALE, self.coarse[1] * SCALE


class _Merge(nn.Module):
    """Upsample the deeper map, then fuse it with the skip: ``(B, Cd, h, w), (B, Cs, 2h, 2w) -> (B, Cs, 2h, 2w)``."""

    def __init__(self, deep: int, skip: int, groups: int) -> None:
        super().__init__()
        self.up = UpBlock(deep, skip, groups)
        self.fuse = conv3x3(2 * skip, skip)
        self.norm = group_norm(skip, groups)

    def forward(self, deep: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        return F.silu(self.norm(self.fuse(torch.cat([self.up(deep), skip], 1))))


class GarmentRefiner(nn.Module, PretrainedMixin):
    """Coarse garment ``(image, mask_logits)`` at ``coarse`` -> the same garment at twice the size.

    Example:
        >>> r = GarmentRefiner(GarmentRefinerConfig(coarse=(16, 12), channels=8))
        >>> image, mask = r(torch.zeros(2, 3, 16, 12), torch.zeros(2, 1, 16, 12))
        >>> image.shape, mask.shape
        (torch.Size([2, 3, 32, 24]), torch.Size([2, 1, 32, 24]))
    """

    config_class = GarmentRefinerConfig

    def __init__(self, config: GarmentRefinerConfig) -> None:
        super().__init__()
        self.config = config
        c, g = config.channels, config.norm_groups
        self.stem = nn.Sequential(conv3x3(4, c), group_norm(c, g), nn.SiLU())
        self.down1 = nn.Sequential(DownBlock(c, 2 * c, g), ResBlock(2 * c, g))
        self.down2 = nn.Sequential(DownBlock(2 * c, 4 * c, g), *[ResBlock(4 * c, g) for _ in range(config.depth)])
        self.up1 = _Merge(4 * c, 2 * c, g)
        self.up2 = _Merge(2 * c, c, g)
        self.to_residual = SubPixelUpsample(c, 4)
        with torch.no_grad():  # start as the bilinear enlargement
            self.to_residual.conv.weight.zero_()
            self.to_residual.conv.bias.zero_()

    def forward(self, image: torch.Tensor, mask_logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Refine a coarse garment.

        Args:
            image: ``(B, 3, h, w)`` RGB in ``[-1, 1]`` (on white outside the garment, as the VAE decodes).
            mask_logits: ``(B, 1, h, w)`` the garment mask's logits.

        Returns:
            ``(image, mask_logits)``: ``(B, 3, 2h, 2w)`` in ``[-1, 1]`` and ``(B, 1, 2h, 2w)`` logits.
        """
        if image.shape[-2:] != self.config.coarse or mask_logits.shape[-2:] != self.config.coarse:
            raise ValueError(f"GarmentRefiner expects coarse garments of {self.config.coarse}, "
                             f"got {tuple(image.shape[-2:])} and {tuple(mask_logits.shape[-2:])}")
        x = torch.cat([image, torch.sigmoid(mask_logits) * 2 - 1], 1)
        s0 = self.stem(x)
        s1 = self.down1(s0)
        h = self.up2(self.up1(self.down2(s1), s1), s0)
        residual = self.to_residual(h)
        size = self.config.output
        base_image = F.interpolate(image, size=size, mode="bilinear", align_corners=False)
        base_mask = F.interpolate(mask_logits, size=size, mode="bilinear", align_corners=False)
        return (base_image + residual[:, :3]).clamp(-1.0, 1.0), base_mask + residual[:, 3:]
