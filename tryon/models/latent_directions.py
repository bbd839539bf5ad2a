"""Attribute sliders in a garment VAE's latent space: one latent move per attribute.

Fitted by :func:`tryon.training.direction_fit.fit_directions` on the training garments'
posterior means and their measured attributes (:mod:`tryon.garment_attributes`), and saved in
``garment-designer/directions/`` (``config.json`` + ``model.safetensors``).

Two parts:

- a linear **probe**: each standardised attribute predicted from the code,
  ``y = probe @ (z - center)`` (``(A,)``, in training standard deviations);
- a **move** per attribute: the shortest step in the codes' own metric (Mahalanobis, so it
  stays where garments are) that raises that attribute's prediction by one training standard
  deviation while leaving every other attribute's prediction unchanged.

Scalar sliders (:attr:`LatentDirectionsConfig.sliders`) add ``value * move``; their unit is one
training standard deviation of the attribute (``attr_std``, in the attribute's own units). The
``hue`` slider is in degrees: it turns the predicted CIELAB ``(a*, b*)`` colour about grey by
that angle (the last two probe rows are ``a*`` and ``b*``) and leaves garments whose predicted
chroma is below ``grey_chroma`` alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from tryon.errors import TryOnError
from tryon.hub import PretrainedMixin

__all__ = ["LatentDirectionsConfig", "LatentDirections", "HUE", "COLOUR_AXES"]

HUE = "hue"                 # the circular slider, in degrees
COLOUR_AXES = ("a", "b")    # the probe's last two rows: CIELAB a* and b*


@dataclass
class LatentDirectionsConfig:
    """Attributes of :class:`LatentDirections`.

    Attributes:
        latent_dim: ``D``, the VAE's code size.
        sliders: names of the scalar sliders, in the probe's row order (before ``a``, ``b``).
        units: one sentence per slider of :attr:`names` saying what one unit is.
        grey_chroma: the ``hue`` slider leaves codes whose predicted chroma is below this alone.
    """

    latent_dim: int = 128
    sliders: tuple[str, ...] = ("lightness", "sleeve_length", "garment_length", "neckline")
    units: tuple[str, ...] = ()
    grey_chroma: float = 10.0

    def __post_init__(self) -> None:
        self.sliders, self.units = tuple(self.sliders), tuple(self.units)
        if self.latent_dim < 1 or HUE in self.sliders or len(set(self.sliders)) != len(self.sliders):
            raise ValueError("latent_dim must be positive and the slider names distinct (hue is built in)")

    @property
    def names(self) -> tuple[str, ...]:
        """Every slider: ``hue`` then the scalar ones."""
        return (HUE, *self.sliders)

    @property
    def probed(self) -> tuple[str, ...]:
        """The probe's rows: the scalar sliders, then ``a`` and ``b``."""
        return (*self.sliders, *COLOUR_AXES)


class LatentDirections(nn.Module, PretrainedMixin):
    """Slider moves in a latent space.

    Buffers (``A = len(sliders) + 2``): ``center`` ``(D,)`` the codes' mean; ``probe`` ``(A, D)``;
    ``attr_mean`` / ``attr_std`` ``(A,)`` in the attributes' own units; ``moves`` ``(A, D)``,
    row ``i`` the latent step per +1 standard deviation of attribute ``i``.
    """

    config_class = LatentDirectionsConfig

    def __init__(self, config: LatentDirectionsConfig) -> None:
        super().__init__()
        self.config = config
        a, d = len(config.probed), config.latent_dim
        self.register_buffer("center", torch.zeros(d))
        self.register_buffer("probe", torch.zeros(a, d))
        self.register_buffer("attr_mean", torch.zeros(a))
        self.register_buffer("attr_std", torch.ones(a))
        self.register_buffer("moves", torch.zeros(a, d))

    @property
    def names(self) -> tuple[str, ...]:
        return self.config.names

    def check_names(self, values: dict) -> None:
        """Raise a one-sentence :class:`TryOnError` naming the valid sliders on an unknown name."""
        unknown = sorted(set(values) - set(self.names))
        if unknown:
            raise TryOnError(f"Unknown attribute {', '.join(map(repr, unknown))}: the sliders are "
                             f"{', '.join(self.names)}.")

    @torch.no_grad()
    def predict(self, z: torch.Tensor) -> torch.Tensor:
        """The probe's attributes of codes ``(N, D)``: ``(N, A)`` in the attributes' own units."""
        return (z.float() - self.center) @ self.probe.T * self.attr_std + self.attr_mean

    @torch.no_grad()
    def apply(self, z: torch.Tensor, values: dict[str, float]) -> torch.Tensor:
        """Codes ``(N, D)`` moved by the sliders: ``{name: value}``, ``hue`` in degrees, the others
        in training standard deviations (0 leaves a code as it is). Returns ``(N, D)`` float32."""
        self.check_names(values)
        z = z.float()
        out = z.clone()
        for i, name in enumerate(self.config.sliders):
            out += float(values.get(name, 0.0)) * self.moves[i]
        degrees = float(values.get(HUE, 0.0))
        if degrees:
            out += self._hue_move(z, degrees)
        return out

    def _hue_move(self, z: torch.Tensor, degrees: float) -> torch.Tensor:
        """``(N, D)``: the step turning each code's predicted ``(a*, b*)`` by ``degrees``."""
        ab = self.predict(z)[:, -2:]                                       # (N, 2) CIELAB units
        t = math.radians(degrees)
        rot = torch.tensor([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
        delta = (ab @ rot.T - ab) / self.attr_std[-2:]                     # in standard deviations
        delta = delta * (ab.norm(dim=1, keepdim=True) >= self.config.grey_chroma)
        return delta @ self.moves[-2:]
