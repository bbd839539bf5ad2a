"""The sleeve reader: how far down a wearer's arm a garment's sleeves reach, read off its photo.

A garment photo's mask does not always show its sleeves: a long sleeve photographed hanging
beside the body, or a stubby T-shirt sleeve on a flat lay, merges with the torso's outline, and
:func:`tryon.garment_keypoints.garment_keypoints` then finds no sleeve at all, as for a camisole.
This small classifier tells the three apart. It is trained on VITON's in-shop garment photos,
each labelled with how far its sleeve reaches down the arm of the person wearing it in the paired
photo (:mod:`tryon.data.sleeves`): the kinds :data:`SLEEVE_KINDS` split that reach at
:data:`KIND_EDGES` upper-arm lengths.

Layout: four stride-2 stages of two 3x3 convolutions with BatchNorm, global average and max
pooling, a linear head: ``(B, 4, 128, 96)`` garment tensor -> ``(B, 3)`` logits.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from tryon.hub import PretrainedMixin

__all__ = ["KIND_EDGES", "SLEEVE_KINDS", "SleeveReader", "SleeveReaderConfig"]

SLEEVE_KINDS = ("sleeveless", "short", "long")
KIND_EDGES = (0.2, 1.2)   # upper-arm lengths down the wearer's arm where the kinds meet (0 shoulder,
                          # 1 elbow, 2 wrist): the worn reaches of VITON's garments cluster at 0-0.1
                          # (2,800 garments), 0.3-0.6 (5,100) and 1.7-2.0 (1,300)


@dataclass
class SleeveReaderConfig:
    """Size of the sleeve reader. The defaults are the shipped model."""

    in_channels: int = 4                         # RGB on white, then the mask (tryon.conditioning.garment_tensor)
    channels: tuple[int, ...] = (24, 48, 96, 160)
    resolution: tuple[int, int] = (128, 96)      # (H, W) it is trained and run at
    num_kinds: int = len(SLEEVE_KINDS)

    def __post_init__(self) -> None:
        self.channels = tuple(self.channels)     # JSON has no tuples
        self.resolution = tuple(self.resolution)


def _stage(cin: int, cout: int) -> nn.Sequential:
    """Two 3x3 convolutions, the first of stride 2: ``(B, cin, H, W) -> (B, cout, H/2, W/2)``."""
    return nn.Sequential(nn.Conv2d(cin, cout, 3, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                         nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class SleeveReader(nn.Module, PretrainedMixin):
    """Garment photo -> logits over :data:`SLEEVE_KINDS`.

    Args:
        config: the model's size.
    """

    config_class = SleeveReaderConfig

    def __init__(self, config: SleeveReaderConfig | None = None) -> None:
        super().__init__()
        self.config = config or SleeveReaderConfig()
        widths = (self.config.in_channels, *self.config.channels)
        self.features = nn.Sequential(*(_stage(a, b) for a, b in zip(widths[:-1], widths[1:])))
        self.head = nn.Linear(2 * widths[-1], self.config.num_kinds)

    def forward(self, garment: torch.Tensor) -> torch.Tensor:
        """``(B, 4, H, W)`` float in ``[-1, 1]`` at :attr:`SleeveReaderConfig.resolution` -> ``(B, K)`` logits."""
        f = self.features(garment)
        return self.head(torch.cat([f.mean(dim=(2, 3)), f.amax(dim=(2, 3))], dim=1))
