"""Fit :class:`~tryon.models.latent_directions.LatentDirections` on codes and measured attributes.

1. Clip each attribute to its 1st-99th percentiles (a mis-measured garment must not set the
   scale), standardise it, and ridge-regress it on the centred codes: the probe ``W`` ``(A, D)``.
2. Moves: ``M = Sigma W^T (W Sigma W^T)^-1`` with ``Sigma`` the codes' covariance. Column ``i``
   is the step of smallest Mahalanobis length with ``W m = e_i``: attribute ``i`` rises by one
   standard deviation, every other prediction stays (the sliders are orthogonal through the
   probe), and the step follows the directions garments actually vary along.
"""

from __future__ import annotations

import math

import torch

from tryon.garment_attributes import GREY_CHROMA
from tryon.models.latent_directions import COLOUR_AXES, HUE, LatentDirections, LatentDirectionsConfig

__all__ = ["fit_directions", "RIDGE", "HELD_OUT_SHARE"]

RIDGE = 1e-2              # ridge penalty, times the codes' mean variance
COVARIANCE_FLOOR = 1e-4   # added to Sigma's diagonal, times the codes' mean variance
HUE_UNIT = "degrees (turns the colour about grey; near-grey garments stay as they are)"
CLIP_QUANTILES = (0.01, 0.99)  # attributes are clipped to these quantiles before fitting
HELD_OUT_SHARE = 0.1      # share of the garments kept out to report the probe's R^2
MIN_HELD_OUT = 8


def _ridge(z: torch.Tensor, y: torch.Tensor, penalty: float) -> torch.Tensor:
    """``(A, D)`` weights of ``y (N, A) ~ z (N, D) @ W.T`` (both centred)."""
    d = z.shape[1]
    gram = z.T @ z + penalty * len(z) * torch.eye(d, dtype=z.dtype)
    return torch.linalg.solve(gram, z.T @ y).T


def _held_out_r2(z: torch.Tensor, y: torch.Tensor, penalty: float, seed: int) -> list[float]:
    """Per attribute, R^2 of a probe fitted without a random :data:`HELD_OUT_SHARE` of the rows."""
    n = len(z)
    k = max(MIN_HELD_OUT, int(HELD_OUT_SHARE * n))
    if n < 2 * k:
        return [math.nan] * y.shape[1]
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    test, train = order[:k], order[k:]
    mz, my = z[train].mean(0), y[train].mean(0)
    w = _ridge(z[train] - mz, y[train] - my, penalty)
    pred = (z[test] - mz) @ w.T + my
    resid = (y[test] - pred).pow(2).sum(0)
    total = (y[test] - y[test].mean(0)).pow(2).sum(0).clamp_min(1e-12)
    return [round(float(v), 4) for v in 1 - resid / total]


def fit_directions(codes: torch.Tensor, attributes: dict[str, torch.Tensor], *,
                   sliders: tuple[str, ...] = ("lightness", "sleeve_length", "garment_length", "neckline"),
                   units: dict[str, str] | None = None, seed: int = 0) -> tuple[LatentDirections, dict]:
    """Fit the probe and the moves.

    Args:
        codes: ``(N, D)`` posterior means of the training garments.
        attributes: name -> ``(N,)`` measures in their own units, for every slider and ``a``,
            ``b`` (:func:`tryon.garment_attributes.measure_garment`); rows with a NaN in any of
            them are left out.
        sliders: the scalar sliders (``hue`` is built from ``a`` and ``b``).
        units: scalar slider name -> the attribute's own unit (e.g. ``"CIELAB L*"``); the config
            stores per slider "training standard deviations (1 = <std> <unit>)", and degrees for hue.
        seed: picks the held-out rows of the reported R^2.

    Returns:
        The directions, and ``{"garments", "r2_held_out": {name: R^2}, "attr_std": {...}}``.
    """
    names = (*sliders, *COLOUR_AXES)
    y = torch.stack([torch.as_tensor(attributes[n], dtype=torch.float64) for n in names], 1)
    z = codes.double()
    keep = torch.isfinite(y).all(1) & torch.isfinite(z).all(1)
    z, y = z[keep], y[keep]
    if len(z) < 2 * len(names):
        raise ValueError(f"too few garments with every attribute measured ({len(z)})")
    low, high = torch.quantile(y, torch.tensor(CLIP_QUANTILES, dtype=y.dtype), dim=0)
    y = torch.minimum(torch.maximum(y, low), high)
    scale = float(z.var(0).mean())
    center, mean, std = z.mean(0), y.mean(0), y.std(0).clamp_min(1e-9)
    zc, ys = z - center, (y - mean) / std
    probe = _ridge(zc, ys, RIDGE * scale)                                       # (A, D)
    sigma = zc.T @ zc / len(z) + COVARIANCE_FLOOR * scale * torch.eye(z.shape[1], dtype=z.dtype)
    moves = (sigma @ probe.T @ torch.linalg.inv(probe @ sigma @ probe.T)).T    # (A, D)
    units = dict(units or {})
    texts = [HUE_UNIT] + [f"training standard deviations (1 = {float(s):.3g} {units.get(n, '')})".replace(" )", ")")
                          for n, s in zip(sliders, std)]
    config = LatentDirectionsConfig(latent_dim=z.shape[1], sliders=tuple(sliders), grey_chroma=GREY_CHROMA,
                                    units=tuple(texts))
    model = LatentDirections(config)
    for buffer, value in (("center", center), ("probe", probe), ("attr_mean", mean), ("attr_std", std),
                          ("moves", moves)):
        getattr(model, buffer).copy_(value.float())
    info = {"garments": len(z), "r2_held_out": dict(zip(names, _held_out_r2(z, ys, RIDGE * scale, seed))),
            "attr_std": {n: round(float(s), 4) for n, s in zip(names, std)}}
    return model.eval(), info
