"""Multi-scale PatchGAN discriminator with spectral norm (pix2pix / pix2pixHD style).

Each scale is a PatchGAN: ``n_layers`` 4x4 stride-2 convolutions, one 3x3 stride-1 convolution,
then a 3x3 convolution to one logit per patch; LeakyReLU(0.2) after every convolution but the
last, spectral norm on every convolution, no normalisation layers. Scale ``k`` sees the input
average-pooled ``k`` times by 2, so the coarse scales judge global shape and the fine ones texture.

Conditional use (pix2pix): the caller concatenates the condition to the image along channels,
``D(torch.cat([image, condition], 1))``; ``in_channels`` counts both.

The intermediate feature maps are returned with the logits: they give the learned-similarity
reconstruction loss of the VAE-GAN (Larsen et al. 2016) and the pix2pixHD feature-matching loss
(:func:`tryon.losses.feature_matching_loss`). The model computes no loss.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from tryon.hub import PretrainedMixin
from tryon.models.blocks import sn_conv

__all__ = ["DiscriminatorConfig", "PatchDiscriminator", "MultiScaleDiscriminator"]

LEAKY_SLOPE = 0.2
DOWN_KERNEL = 4          # pix2pix: 4x4 stride-2 convolutions with padding 1 halve H and W exactly
MAX_CHANNEL_MULT = 8     # channels grow x2 per layer up to channels * 8 (pix2pix)


@dataclass
class DiscriminatorConfig:
    """Hyper-parameters of :class:`MultiScaleDiscriminator`.

    Attributes:
        in_channels: channels of the input, condition included (e.g. RGB + mask = 4).
        channels: channels of the first layer; doubled per layer up to ``8 * channels``.
        n_layers: stride-2 layers per PatchGAN: patch logits are ``(H / 2**n_layers, W / 2**n_layers)``.
        num_scales: number of PatchGANs; each next scale sees the input average-pooled 2x.
    """

    in_channels: int = 4
    channels: int = 64
    n_layers: int = 3
    num_scales: int = 2

    def __post_init__(self) -> None:
        if min(self.in_channels, self.channels, self.n_layers, self.num_scales) < 1:
            raise ValueError(f"all DiscriminatorConfig fields must be >= 1, got {self}")


class PatchDiscriminator(nn.Module):
    """One PatchGAN scale.

    Shape:
        - Input: ``(B, in_channels, H, W)``
        - Output: features, a list of ``n_layers + 1`` maps ``(B, C_i, H_i, W_i)``, and logits
          ``(B, 1, ceil(H / 2**n_layers), ceil(W / 2**n_layers))``.
    """

    def __init__(self, in_channels: int, channels: int, n_layers: int) -> None:
        super().__init__()
        layers = []
        prev = in_channels
        for i in range(n_layers):
            out = channels * min(2**i, MAX_CHANNEL_MULT)
            layers.append(sn_conv(prev, out, DOWN_KERNEL, stride=2, padding=1))
            prev = out
        out = channels * min(2**n_layers, MAX_CHANNEL_MULT)
        layers.append(sn_conv(prev, out, 3, stride=1, padding=1))
        self.layers = nn.ModuleList(layers)
        self.to_logits = sn_conv(out, 1, 3, stride=1, padding=1)

    def forward(self, x: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
        feats = []
        for layer in self.layers:
            x = F.leaky_relu(layer(x), LEAKY_SLOPE)
            feats.append(x)
        return feats, self.to_logits(x)


class MultiScaleDiscriminator(nn.Module, PretrainedMixin):
    """``num_scales`` PatchGANs over the input at full, 1/2, 1/4, ... resolution.

    Example:
        >>> d = MultiScaleDiscriminator(DiscriminatorConfig(in_channels=4, channels=8))
        >>> out = d(torch.zeros(2, 4, 128, 96))
        >>> [logits.shape for _, logits in out]
        [torch.Size([2, 1, 16, 12]), torch.Size([2, 1, 8, 6])]
    """

    config_class = DiscriminatorConfig

    def __init__(self, config: DiscriminatorConfig) -> None:
        super().__init__()
        self.config = config
        self.scales = nn.ModuleList(
            PatchDiscriminator(config.in_channels, config.channels, config.n_layers)
            for _ in range(config.num_scales)
        )

    def forward(self, x: torch.Tensor) -> list[tuple[list[torch.Tensor], torch.Tensor]]:
        """Judge ``x`` at every scale.

        Args:
            x: ``(B, in_channels, H, W)``, images in ``[-1, 1]`` concatenated with their condition.

        Returns:
            One ``(features, logits)`` pair per scale, finest first: ``features`` is a list of
            ``n_layers + 1`` post-activation maps, ``logits`` is ``(B, 1, h, w)`` (real > 0 > fake
            under the hinge loss).
        """
        if x.ndim != 4 or x.shape[1] != self.config.in_channels:
            raise ValueError(f"MultiScaleDiscriminator expects (B, {self.config.in_channels}, H, W), "
                             f"got {tuple(x.shape)}")
        outputs = []
        for i, scale in enumerate(self.scales):
            if i > 0:  # pix2pixHD: 3x3 average pooling, stride 2, padding not counted
                x = F.avg_pool2d(x, kernel_size=3, stride=2, padding=1, count_include_pad=False)
            outputs.append(scale(x))
        return outputs
