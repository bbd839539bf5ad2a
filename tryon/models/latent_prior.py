"""Learned priors over a VAE's latent space, fitted on training posteriors.

A VAE trained with a small KL weight leaves its codes far from ``N(0, I)``: decoding standard
normal samples gives smudges, while decoding codes where real garments land gives garments.
:class:`MixturePrior` models where they land, ``p(z) = sum_k pi_k N(z; mu_k, L_k L_k^T)``, and
samples from it; ``temperature`` scales each component's spread (0: the component means, 1: the
fitted spread). It is fitted by :func:`tryon.training.prior_fit.fit_mixture` (EM) and saved
beside the VAE it belongs to (``config.json`` + ``model.safetensors``, like every model).

A mixture's means and broad components also reach regions no garment occupies, and a decoder
trained only near real codes draws checkerboards and colour noise there. :class:`AnchorPrior`
stays on the data: it keeps the training codes themselves (the anchors) and each one's nearest
neighbours, and samples a point on the segment from an anchor toward one of its neighbours, so
every sample lies between two similar real garments (fitted by
:func:`tryon.training.prior_fit.fit_anchors`). The mixture still gives the local covariance the
designer's ``vary`` moves along.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from tryon.hub import PretrainedMixin

__all__ = ["MixturePriorConfig", "MixturePrior", "AnchorPriorConfig", "AnchorPrior", "PRIOR_DIR", "ANCHORS_DIR",
           "DIRECTIONS_DIR"]

# Sub-folders of a garment designer folder (beside its VAE's config.json and model.safetensors).
PRIOR_DIR = "prior"              # the MixturePrior
ANCHORS_DIR = "anchors"          # the AnchorPrior (sampling uses it when present)
DIRECTIONS_DIR = "directions"    # the attribute sliders (tryon.models.latent_directions)


@dataclass
class MixturePriorConfig:
    """Size of :class:`MixturePrior`.

    Attributes:
        latent_dim: ``D``, the VAE's code size.
        components: ``K``, mixture components.
    """

    latent_dim: int = 128
    components: int = 32

    def __post_init__(self) -> None:
        if self.latent_dim < 1 or self.components < 1:
            raise ValueError("latent_dim and components must be positive")


class MixturePrior(nn.Module, PretrainedMixin):
    """Full-covariance Gaussian mixture over ``(N, D)`` codes.

    Buffers: ``log_weights`` ``(K,)`` (log pi, normalised), ``means`` ``(K, D)``, ``scale_tril``
    ``(K, D, D)`` (lower-triangular Cholesky factors of the covariances).
    """

    config_class = MixturePriorConfig

    def __init__(self, config: MixturePriorConfig) -> None:
        super().__init__()
        self.config = config
        k, d = config.components, config.latent_dim
        self.register_buffer("log_weights", torch.full((k,), -math.log(k)))
        self.register_buffer("means", torch.zeros(k, d))
        self.register_buffer("scale_tril", torch.eye(d).repeat(k, 1, 1))

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator | None = None, temperature: float = 1.0) -> torch.Tensor:
        """``n`` codes ``(n, D)`` float32: a component drawn by weight, then ``mu_k + temperature * L_k eps``."""
        if n < 1 or temperature < 0:
            raise ValueError("n must be >= 1 and temperature >= 0")
        probs = self.log_weights.float().softmax(0).cpu()
        k = torch.multinomial(probs, n, replacement=True, generator=generator)
        eps = torch.randn(n, self.config.latent_dim, generator=generator)
        tril = self.scale_tril.float().cpu()[k]                        # (n, D, D)
        return self.means.float().cpu()[k] + temperature * (tril @ eps[..., None])[..., 0]

    @torch.no_grad()
    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """``log p(z)`` of ``(N, D)`` codes: ``(N,)`` nats."""
        return torch.logsumexp(self.component_log_prob(z) + self.log_weights.float(), dim=1)

    def component_log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """``log N(z; mu_k, Sigma_k)`` for every code and component: ``(N, K)``."""
        z = z.float()
        d = self.config.latent_dim
        diff = (z[None] - self.means.float()[:, None]).transpose(1, 2)        # (K, D, N)
        tril = self.scale_tril.float()
        sol = torch.linalg.solve_triangular(tril, diff, upper=False)          # (K, D, N)
        maha = sol.pow(2).sum(1)                                              # (K, N)
        logdet = tril.diagonal(dim1=1, dim2=2).abs().log().sum(1)             # (K,)
        return (-0.5 * maha - logdet[:, None] - 0.5 * d * math.log(2 * math.pi)).T


@dataclass
class AnchorPriorConfig:
    """Size of :class:`AnchorPrior`.

    Attributes:
        latent_dim: ``D``, the VAE's code size.
        anchors: ``N``, training codes kept (duplicates removed).
        neighbours: ``k``, nearest neighbours kept per anchor.
    """

    latent_dim: int = 128
    anchors: int = 1
    neighbours: int = 10

    def __post_init__(self) -> None:
        if min(self.latent_dim, self.anchors, self.neighbours) < 1:
            raise ValueError("latent_dim, anchors and neighbours must be positive")


class AnchorPrior(nn.Module, PretrainedMixin):
    """Codes between similar real garments.

    Buffers: ``anchors`` ``(N, D)`` (training posterior means), ``neighbours`` ``(N, k)`` int64
    (each anchor's nearest other anchors, nearest first).

    :meth:`sample` draws an anchor ``a`` uniformly, one of its ``k`` neighbours ``b`` uniformly and
    ``u ~ U(0, 1)``, and returns ``a + temperature * u * (b - a)``: temperature 0 gives the
    training garments' codes, 1 anywhere between a garment and a neighbour, above 1 beyond the
    neighbour (bolder, less often clean).
    """

    config_class = AnchorPriorConfig

    def __init__(self, config: AnchorPriorConfig) -> None:
        super().__init__()
        self.config = config
        self.register_buffer("anchors", torch.zeros(config.anchors, config.latent_dim))
        self.register_buffer("neighbours", torch.zeros(config.anchors, config.neighbours, dtype=torch.long))

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator | None = None, temperature: float = 1.0) -> torch.Tensor:
        """``n`` codes ``(n, D)`` float32 (see the class docstring); same generator state, same codes."""
        if n < 1 or temperature < 0:
            raise ValueError("n must be >= 1 and temperature >= 0")
        anchors = self.anchors.float().cpu()
        i = torch.randint(self.config.anchors, (n,), generator=generator)
        r = torch.randint(self.config.neighbours, (n,), generator=generator)
        u = torch.rand(n, 1, generator=generator)
        a, b = anchors[i], anchors[self.neighbours.cpu()[i, r]]
        return a + temperature * u * (b - a)
