"""Anomaly scores from a VAE's evidence lower bound: how unlike the training data an input is.

The score is the negative ELBO per input, up to constants: a Laplace likelihood on the image
channels (sum of absolute errors), a Bernoulli likelihood on the mask channels (sum of binary
cross-entropies), plus KL(q(z|x) || N(0, I)). Encoding uses the mean code (no sampling), so
the score is deterministic. Higher = more anomalous.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
import torch
import torch.nn.functional as F

from tryon.body import body_shape_input

__all__ = ["elbo_score", "elbo_score_from_parts", "elbo_parts", "garment_score", "garment_score_from_parts",
           "body_score", "body_check", "AnomalyResult", "garment_verdict", "logistic_verdict",
           "NOT_A_GARMENT_REASON", "PERSON_REASON", "MASK_OUTLINE_WEIGHT"]

LAPLACE_SCALE = 0.1  # b of the Laplace likelihood on image channels in [-1, 1]
MASK_OUTLINE_WEIGHT = 0.3  # weight of the mask NLL per outline pixel in garment_score (calibrated)
MIN_AREA = 1.0       # pixels: an empty mask is scored as a one-pixel garment
NOT_A_GARMENT_REASON = "This does not look like a photo of a garment; the try-on may look wrong."
PERSON_REASON = "This looks like a photo of a person, not of a garment; the try-on may look wrong."
PERSON_CUES = ("face", "skin")  # when one of these weighs most, the reason says "a person"


@dataclass
class AnomalyResult:
    """How garment-like an image is.

    Attributes:
        score: higher = less like a garment photo. Under the calibrated check
            (:mod:`tryon.garment_check`): the log-odds that it is not a garment; without one:
            the negative ELBO under the garment VAE (:func:`garment_score`). ``inf`` when no
            garment could be cut out of the image at all.
        threshold: the calibrated limit on ``score``.
        is_garment: ``score <= threshold``.
        reason: why, in one sentence, when it is not a garment.
        code: the garment VAE's mean code ``(latent_dim,)`` of the scored garment, ``None`` when
            none could be cut out.
        cues: under the calibrated check (:mod:`tryon.garment_check`), each cue's contribution
            to ``score`` (log-odds; positive = less like a garment); empty under the ELBO alone.
    """

    score: float
    threshold: float
    is_garment: bool
    reason: str = ""
    code: torch.Tensor | None = None
    cues: dict[str, float] = field(default_factory=dict)


@torch.no_grad()
def elbo_parts(vae, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """The parts of the negative ELBO of each input, each ``(B,)`` float32 nats.

    Returns:
        ``{"image": Laplace NLL of the image channels, "mask": Bernoulli NLL of the mask
        channels, "kl": KL to the prior, "area": mask pixels of the input (0 without a mask)}``,
        each ``(B,)``, and ``"code"``: the mean code ``(B, latent_dim)`` (what
        :mod:`tryon.conditioning` gives the try-on network, so a caller that scores an input
        need not encode it twice).
    """
    cfg = vae.config
    mu, logvar = vae.encode(x)
    image, mask_logits = vae.decode(mu)
    zeros = torch.zeros(x.shape[0], device=x.device)
    parts = {"image": zeros, "mask": zeros, "area": zeros}
    c = 0
    if cfg.image_channels:
        target = x[:, : cfg.image_channels]
        parts["image"] = (image.float() - target).abs().flatten(1).sum(1) / LAPLACE_SCALE
        c = cfg.image_channels
    if cfg.mask_channels:
        target = (x[:, c : c + cfg.mask_channels] > 0).float()
        bce = F.binary_cross_entropy_with_logits(mask_logits.float(), target, reduction="none")
        parts["mask"] = bce.flatten(1).sum(1)
        parts["area"] = target.flatten(1).sum(1)
    parts["kl"] = 0.5 * (mu.float() ** 2 + logvar.float().exp() - 1 - logvar.float()).sum(1)
    parts["code"] = mu
    return {k: v.float() for k, v in parts.items()}


@torch.no_grad()
def garment_score(vae, x: torch.Tensor) -> torch.Tensor:
    """Size-normalised negative ELBO of garments (see the module docstring).

    Args:
        vae: the garment VAE (RGB + mask).
        x: ``(B, 4, H, W)`` in ``[-1, 1]``: RGB then the mask as -1 / 1.

    Returns:
        ``(B,)`` float32: ``(image + kl) / area + MASK_OUTLINE_WEIGHT * mask / sqrt(area)``.
    """
    return garment_score_from_parts(elbo_parts(vae, x))


def garment_score_from_parts(parts: dict[str, torch.Tensor]) -> torch.Tensor:
    """:func:`garment_score` from :func:`elbo_parts`' output: ``(B,)`` float32."""
    area = parts["area"].clamp_min(MIN_AREA)
    return (parts["image"] + parts["kl"]) / area + MASK_OUTLINE_WEIGHT * parts["mask"] / area.sqrt()


def garment_verdict(parts: dict[str, torch.Tensor], threshold: float) -> AnomalyResult:
    """The verdict on the first garment of :func:`elbo_parts`' output, against ``threshold``."""
    score = float(garment_score_from_parts(parts)[0])
    ok = score <= threshold
    return AnomalyResult(score, threshold, ok, "" if ok else NOT_A_GARMENT_REASON, parts["code"][0])


def logistic_verdict(check, threshold: float, code: torch.Tensor | None) -> AnomalyResult:
    """The verdict of the calibrated check (a :class:`tryon.garment_check.GarmentCheck`, not imported
    here: tryon.garment_check builds on this module): ``score`` and ``threshold`` as log-odds of
    "not a garment" (``threshold`` a probability in ``(0, 1)``)."""
    p = min(max(check.probability, 1e-12), 1 - 1e-12)
    score, limit = math.log(p / (1 - p)), math.log(threshold / (1 - threshold))
    reason = ""
    if check.flagged:
        reason = PERSON_REASON if check.strongest() in PERSON_CUES else NOT_A_GARMENT_REASON
    return AnomalyResult(score, limit, not check.flagged, reason, code, dict(check.terms))


@torch.no_grad()
def elbo_score(vae, x: torch.Tensor) -> torch.Tensor:
    """Negative ELBO (nats, up to constants) of each input.

    Args:
        vae: a :class:`tryon.models.vae.VAE`.
        x: ``(B, in_channels, H, W)`` in ``[-1, 1]``; the first ``image_channels`` channels are
            the image target, the next ``mask_channels`` the mask target (as -1/1).

    Returns:
        ``(B,)`` float32 scores.
    """
    return elbo_score_from_parts(elbo_parts(vae, x))


def elbo_score_from_parts(parts: dict[str, torch.Tensor]) -> torch.Tensor:
    """:func:`elbo_score` from :func:`elbo_parts`' output: ``(B,)`` float32."""
    return parts["image"] + parts["mask"] + parts["kl"]


def body_score(vae, pose) -> float:
    """Negative ELBO of a person's pose under the body-shape VAE (higher = more unusual).

    Args:
        vae: the body-shape VAE.
        pose: a :class:`tryon.pose.PoseResult` of the photo.
    """
    return body_check(vae, pose)[0]


@torch.no_grad()
def body_check(vae, pose) -> tuple[float, torch.Tensor]:
    """:func:`body_score` and the pose's mean code ``(latent_dim,)`` (the try-on body code)."""
    x, _ = body_shape_input(pose, tuple(vae.config.resolution))
    p = elbo_parts(vae, torch.from_numpy(x)[None])
    return float(elbo_score_from_parts(p)[0]), p["code"][0]
