"""A small convolutional VAE, used twice: for garments and for body shapes.

- Garment VAE: ``in_channels=4`` (RGB + mask in ``[-1, 1]``), decodes an image (3 channels through
  ``tanh``) and a mask (1 channel of logits). Its code conditions the try-on generator and gives
  designers sampling, interpolation and variation; its ELBO flags uploads that are not garments.
- Body-shape VAE: ``in_channels=16`` (silhouette + 15 pose heatmaps, see
  :data:`tryon.constants.POSE_MAP_LANDMARKS`), ``image_channels=0``, ``mask_channels=1``, a small
  ``latent_dim`` (<= 32).

Architecture (``L = len(channels)`` levels; ``h, w = H / 2**L, W / 2**L``)::

    encoder: x (B, in, H, W) -> L x [3x3 conv stride 2, GN, SiLU] (+ a residual block at the
             deepest ``res_levels`` levels) [-> 1x1 conv to ``bottleneck_channels`` = b]
             -> flatten (B, C_L*h*w or b*h*w) -> linear -> mu, logvar
    decoder: z (B, latent) -> linear -> (B, C_L, h, w) [or (B, b, h, w), SiLU, 1x1 conv to C_L]
             -> L x [(residual block,) 3x3 conv to
             the next level's channels, GN, SiLU, nearest 2x upsample (all but the last level)]
             -> sub-pixel 2x upsampling to the outputs (B, image + mask, H, W)

The decoder reduces channels *before* each upsampling and its last layer convolves at half
resolution then pixel-shuffles (initialised to equal nearest resize + 3x3 conv, see
:class:`~tryon.models.blocks.SubPixelUpsample`), so no wide full-resolution map exists: the
default garment VAE costs 0.25 GMAC per image forward, trainable on a 2-core CPU. Upsampling is
never a transposed convolution (no checkerboards).
The model computes no loss: see :mod:`tryon.losses` (``kl_divergence``, ``l1_loss``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from tryon.hub import PretrainedMixin
from tryon.models.blocks import DownBlock, ResBlock, SubPixelUpsample, conv3x3, group_norm

__all__ = ["VAEConfig", "VAEOutput", "VAE", "LOGVAR_MIN", "LOGVAR_MAX"]

# encode() clamps log-variances to this range: std in [e^-5, e^5] ~ [0.0067, 148]. Keeps exp()
# finite and the KL term bounded when an input is far outside the training distribution.
LOGVAR_MIN = -10.0
LOGVAR_MAX = 10.0


@dataclass
class VAEConfig:
    """Hyper-parameters of :class:`VAE`; saved as ``config.json`` by ``save_pretrained``.

    Attributes:
        in_channels: input channels; garment: RGB + mask (4); body: silhouette + 15 heatmaps (16).
        image_channels: decoded channels returned through ``tanh``, in ``[-1, 1]`` (0: none).
        mask_channels: decoded channels returned as logits (0: none).
        resolution: ``(H, W)``, each divisible by ``2 ** len(channels)``.
        channels: feature channels of each stride-2 level, from full resolution down.
        latent_dim: size of the code ``z``.
        norm_groups: GroupNorm groups (reduced to a divisor of each layer's channels).
        res_levels: the deepest this-many levels get one residual block in the encoder and
            one in the decoder (0: plain conv stack; the cost is ~2x per level at the defaults).
        bottleneck_channels: 0, or the channels a 1x1 convolution reduces the deepest map to
            before the linear layers (and widens it back from after them): the linear layers'
            size is ``channels * h * w * latent_dim`` each, so a long code with a narrow
            bottleneck costs what a short one costs without it.
    """

    in_channels: int = 4
    image_channels: int = 3
    mask_channels: int = 1
    resolution: tuple[int, int] = (128, 96)
    channels: tuple[int, ...] = (32, 64, 128, 256)
    latent_dim: int = 128
    norm_groups: int = 8
    res_levels: int = 1
    bottleneck_channels: int = 0

    def __post_init__(self) -> None:
        # JSON has no tuples: accept lists, store tuples (the dataclass stays hashable/comparable).
        self.resolution = tuple(int(s) for s in self.resolution)
        self.channels = tuple(int(c) for c in self.channels)
        if len(self.resolution) != 2:
            raise ValueError(f"resolution must be (H, W), got {self.resolution}")
        if not self.channels:
            raise ValueError("channels must name at least one level")
        factor = 2 ** len(self.channels)
        if any(s % factor for s in self.resolution):
            raise ValueError(f"resolution {self.resolution} must be divisible by 2**len(channels) = {factor}")
        if self.in_channels < 1 or self.latent_dim < 1:
            raise ValueError("in_channels and latent_dim must be positive")
        if self.image_channels < 0 or self.mask_channels < 0 or self.image_channels + self.mask_channels == 0:
            raise ValueError("the decoder needs image_channels + mask_channels > 0 (both >= 0)")
        if not 0 <= self.res_levels <= len(self.channels):
            raise ValueError(f"res_levels must be in [0, {len(self.channels)}], got {self.res_levels}")
        if self.bottleneck_channels < 0:
            raise ValueError(f"bottleneck_channels must be 0 (none) or positive, got {self.bottleneck_channels}")

    @property
    def flat_channels(self) -> int:
        """Channels of the deepest map the linear layers see (the bottleneck's, when there is one)."""
        return self.bottleneck_channels or self.channels[-1]

    @property
    def latent_grid(self) -> tuple[int, int]:
        """``(h, w)`` of the deepest feature map, between the convolutions and the linear layers."""
        factor = 2 ** len(self.channels)
        return self.resolution[0] // factor, self.resolution[1] // factor


@dataclass
class VAEOutput:
    """What :meth:`VAE.forward` returns.

    Attributes:
        image: ``(B, image_channels, H, W)`` in ``[-1, 1]``, ``None`` when ``image_channels == 0``.
        mask_logits: ``(B, mask_channels, H, W)`` logits (``sigmoid`` gives ``[0, 1]``), ``None``
            when ``mask_channels == 0``.
        mu: ``(B, latent_dim)`` posterior mean.
        logvar: ``(B, latent_dim)`` posterior log-variance, in ``[LOGVAR_MIN, LOGVAR_MAX]``.
        z: ``(B, latent_dim)`` the code that was decoded (a sample, or ``mu``).
    """

    image: torch.Tensor | None
    mask_logits: torch.Tensor | None
    mu: torch.Tensor
    logvar: torch.Tensor
    z: torch.Tensor


class Encoder(nn.Module):
    """``(B, in_channels, H, W)`` -> ``(B, 2 * latent_dim)`` (mu and logvar, concatenated)."""

    def __init__(self, config: VAEConfig) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        prev = config.in_channels
        first_res = len(config.channels) - config.res_levels
        for level, ch in enumerate(config.channels):
            layers.append(DownBlock(prev, ch, config.norm_groups))
            if level >= first_res:
                layers.append(ResBlock(ch, config.norm_groups))
            prev = ch
        if config.bottleneck_channels:
            layers.append(nn.Conv2d(prev, config.bottleneck_channels, 1))
        self.convs = nn.Sequential(*layers)
        h, w = config.latent_grid
        self.to_moments = nn.Linear(config.flat_channels * h * w, 2 * config.latent_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.to_moments(self.convs(x).flatten(1))


class UpStage(nn.Module):
    """(Residual block,) 3x3 conv, GN, SiLU, then (if ``upsample``) nearest 2x upsampling.

    ``(B, C_in, h, w) -> (B, C_out, 2h, 2w)`` (or ``(h, w)``). The channel reduction runs at the
    lower resolution (4x fewer multiply-adds than convolving after the upsampling); the next
    stage's convolution smooths the nearest-neighbour blocks.
    """

    def __init__(self, in_channels: int, out_channels: int, groups: int, residual: bool,
                 upsample: bool) -> None:
        super().__init__()
        self.res = ResBlock(in_channels, groups) if residual else nn.Identity()
        self.conv = conv3x3(in_channels, out_channels)
        self.norm = group_norm(out_channels, groups)
        self.upsample = upsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.silu(self.norm(self.conv(self.res(x))))
        return F.interpolate(x, scale_factor=2.0, mode="nearest") if self.upsample else x


class Decoder(nn.Module):
    """``(B, latent_dim)`` -> ``(B, image_channels + mask_channels, H, W)`` raw outputs."""

    def __init__(self, config: VAEConfig) -> None:
        super().__init__()
        self.grid = config.latent_grid
        chans = config.channels
        self.from_latent = nn.Linear(config.latent_dim, config.flat_channels * self.grid[0] * self.grid[1])
        self.widen = (nn.Sequential(nn.Conv2d(config.bottleneck_channels, chans[-1], 1), nn.SiLU())
                      if config.bottleneck_channels else nn.Identity())
        first_res = len(chans) - config.res_levels
        stages = []
        for level in reversed(range(len(chans))):
            out = chans[level - 1] if level > 0 else chans[0]
            stages.append(UpStage(chans[level], out, config.norm_groups,
                                  residual=level >= first_res, upsample=level > 0))
        self.stages = nn.Sequential(*stages)
        # the last 2x: at half resolution + pixel shuffle (a 4-channel full-res conv is slow on CPU)
        self.to_output = SubPixelUpsample(chans[0], config.image_channels + config.mask_channels)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = F.silu(self.from_latent(z)).unflatten(1, (-1, *self.grid))
        return self.to_output(self.stages(self.widen(h)))


class VAE(nn.Module, PretrainedMixin):
    """Convolutional VAE over ``(B, in_channels, H, W)`` inputs in ``[-1, 1]``.

    Example:
        >>> vae = VAE(VAEConfig())
        >>> out = vae(torch.zeros(2, 4, 128, 96), sample=False)
        >>> out.image.shape, out.mask_logits.shape, out.mu.shape
        (torch.Size([2, 3, 128, 96]), torch.Size([2, 1, 128, 96]), torch.Size([2, 128]))
    """

    config_class = VAEConfig

    def __init__(self, config: VAEConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = Encoder(config)
        self.decoder = Decoder(config)

    def _check_input(self, x: torch.Tensor) -> None:
        expected = (self.config.in_channels, *self.config.resolution)
        if x.ndim != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(f"VAE expects (B, {expected[0]}, {expected[1]}, {expected[2]}), got {tuple(x.shape)}")

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Posterior ``q(z | x)``.

        Args:
            x: ``(B, in_channels, H, W)`` in ``[-1, 1]``.

        Returns:
            ``mu`` and ``logvar``, each ``(B, latent_dim)``; ``logvar`` clamped to
            ``[LOGVAR_MIN, LOGVAR_MAX]``.
        """
        self._check_input(x)
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar.clamp(LOGVAR_MIN, LOGVAR_MAX)

    def decode(self, z: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """Likelihood ``p(x | z)``.

        Args:
            z: ``(B, latent_dim)`` code.

        Returns:
            ``image`` ``(B, image_channels, H, W)`` in ``[-1, 1]`` (``None`` if no image channels) and
            ``mask_logits`` ``(B, mask_channels, H, W)`` logits (``None`` if no mask channels).
        """
        if z.ndim != 2 or z.shape[1] != self.config.latent_dim:
            raise ValueError(f"VAE.decode expects (B, {self.config.latent_dim}), got {tuple(z.shape)}")
        out = self.decoder(z)
        n_image = self.config.image_channels
        image = torch.tanh(out[:, :n_image]) if n_image else None
        mask_logits = out[:, n_image:] if self.config.mask_channels else None
        return image, mask_logits

    @staticmethod
    def reparameterize(mu: torch.Tensor, logvar: torch.Tensor,
                       generator: torch.Generator | None = None) -> torch.Tensor:
        """Sample ``z = mu + exp(logvar / 2) * eps``, ``eps ~ N(0, I)`` drawn from ``generator``.

        Args:
            mu: ``(B, D)``.
            logvar: ``(B, D)``.
            generator: a ``torch.Generator`` on ``mu``'s device for reproducible samples.

        Returns:
            ``(B, D)`` sample; differentiable in ``mu`` and ``logvar``.
        """
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        return mu + torch.exp(0.5 * logvar) * eps

    def forward(self, x: torch.Tensor, *, sample: bool = True,
                generator: torch.Generator | None = None) -> VAEOutput:
        """Encode, sample (or take ``mu`` when ``sample=False``) and decode.

        Args:
            x: ``(B, in_channels, H, W)`` in ``[-1, 1]``.
            sample: draw ``z`` from the posterior (training); ``False`` decodes ``mu`` (deterministic).
            generator: random source for the sample.

        Returns:
            :class:`VAEOutput`.
        """
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar, generator) if sample else mu
        image, mask_logits = self.decode(z)
        return VAEOutput(image=image, mask_logits=mask_logits, mu=mu, logvar=logvar, z=z)
