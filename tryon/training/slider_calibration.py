"""Calibrate attribute sliders on decoded garments, so that each leaves the others' measures alone.

The probe behind :func:`tryon.training.direction_fit.fit_directions` explains only part of each
attribute, so a move that leaves the *predicted* other attributes unchanged can still change
the *measured* ones. Here the moves are decoded and measured:

1. For ``n`` training codes and each move ``m_j``, decode ``z + m_j`` and ``z - m_j`` and measure
   the garments (:mod:`tryon.garment_attributes`): ``J[i, j]`` is the median change of attribute
   ``i`` (in training standard deviations) per unit of move ``j``.
2. Replace the moves by ``M' = (J^-1 diag(J))^T M``: slider ``k`` then changes attribute ``k`` as
   much as before and the others by nothing, as measured (to first order, on average). The own
   gain is kept, not raised to one standard deviation: larger moves leave the garments' space.

Skipped (the moves stay) when ``J`` is ill-conditioned or a move does not raise its own attribute.
"""

from __future__ import annotations

import numpy as np
import torch

from tryon.garment_attributes import measure_garment
from tryon.models.latent_directions import LatentDirections
from tryon.models.vae import VAE
from tryon.tensors import to_uint8

__all__ = ["calibrate_moves", "CALIBRATION_CODES", "MAX_CONDITION"]

CALIBRATION_CODES = 64    # training codes the moves are measured on
MAX_CONDITION = 50.0      # J with a larger condition number is not inverted
MASK_LOGIT = 0.0          # decoded mask: logit above this is garment


@torch.no_grad()
def _measure(vae: VAE, z: torch.Tensor, names: tuple[str, ...]) -> np.ndarray:
    """``(N, A)`` measures of the garments decoded from ``z`` ``(N, D)``, NaN where not measurable."""
    image, logits = vae.decode(z)
    rgb, mask = to_uint8(image), (logits[:, 0] > MASK_LOGIT).numpy()
    rows = [measure_garment(c, m) for c, m in zip(rgb, mask)]
    return np.array([[r[n] for n in names] for r in rows], float)


def calibrate_moves(directions: LatentDirections, vae: VAE, codes: torch.Tensor,
                    seed: int = 0) -> tuple[LatentDirections, dict]:
    """Calibrate ``directions.moves`` in place on :data:`CALIBRATION_CODES` of ``codes`` ``(N, D)``.

    Returns:
        The directions and ``{"applied": bool, "condition": float, "measured_before": J (A x A)}``.
    """
    names = directions.config.probed
    g = torch.Generator().manual_seed(seed)
    z = codes[torch.randperm(len(codes), generator=g)[:CALIBRATION_CODES]].float()
    std = directions.attr_std.double().numpy()
    jac = np.zeros((len(names), len(names)))
    for j in range(len(names)):
        move = directions.moves[j]
        up, down = _measure(vae, z + move, names), _measure(vae, z - move, names)
        jac[:, j] = np.nanmedian((up - down) / 2.0, axis=0) / std
    condition = float(np.linalg.cond(jac)) if np.isfinite(jac).all() else float("inf")
    applied = condition <= MAX_CONDITION and bool((np.diag(jac) > 0).all())
    if applied:
        mix = torch.from_numpy((np.linalg.inv(jac) * np.diag(jac)[None, :]).T).float()
        directions.moves.copy_(mix @ directions.moves)
    return directions, {"applied": applied, "condition": round(condition, 2),
                        "measured_before": np.round(jac, 3).tolist(), "codes": len(z)}
