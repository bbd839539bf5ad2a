"""The slider report: does each attribute slider move its own attribute, and only that one?

For ``n`` prior samples (fixed seed) and each slider at each of ``values``, the decoded garments'
attributes are measured (:mod:`tryon.garment_attributes`). Per slider:

- ``own``: Spearman correlation of the slider value with the change of its own attribute (each
  garment's change from its unedited decoding, pooled over garments): near 1 = monotonic;
- ``others``: the same correlation with every other attribute's change; ``max_other`` is the
  largest in absolute value (near 0 = the slider leaves the others alone).

Hue changes are circular differences in degrees, counted only where the garment's chroma is at
least :data:`HUE_CHROMA` before and after (a near-grey garment's hue is noise); the hue slider's
values are :data:`HUE_DEGREES` per unit of ``values``.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from tryon.errors import TryOnError
from tryon.garment_attributes import ATTRIBUTES, GREY_CHROMA, measure_rgba

__all__ = ["slider_report", "report_lines", "spearman", "SLIDER_VALUES", "HUE_DEGREES"]

SLIDER_VALUES = (-2.0, -1.0, 0.0, 1.0, 2.0)   # scalar sliders, in training standard deviations
HUE_DEGREES = 30.0                             # the hue slider turns this many degrees per unit
HUE_CHROMA = GREY_CHROMA                        # CIELAB chroma below which hue changes are not counted
MIN_GARMENTS = 3                               # fewer garments with valid changes: no correlation


def _ranks(x: np.ndarray) -> np.ndarray:
    """Ranks of ``x`` (ties share their mean rank)."""
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(len(x), dtype=float)
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    return (sums / counts)[inverse]


def spearman(x: np.ndarray, y: np.ndarray, min_pairs: int = 3) -> float:
    """Spearman rank correlation of two ``(N,)`` arrays, NaN pairs left out; NaN if fewer than
    ``min_pairs`` remain or if either is constant."""
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < min_pairs:
        return math.nan
    rx, ry = _ranks(x[ok]), _ranks(y[ok])
    if rx.std() == 0 or ry.std() == 0:
        return math.nan
    return float(np.corrcoef(rx, ry)[0, 1])


def _changes(measured: dict[str, np.ndarray], base: dict[str, np.ndarray], name: str, n: int) -> np.ndarray:
    """``(n, V)`` change of one attribute from each garment's unedited value (``measured``: name ->
    ``(V * n,)`` value-major; ``base``: name -> ``(n,)``); hue: circular, NaN on near-grey garments."""
    values = measured[name].reshape(-1, n).T
    if name != "hue":
        return values - base[name][:, None]
    coloured = (measured["chroma"].reshape(-1, n).T >= HUE_CHROMA) & (base["chroma"][:, None] >= HUE_CHROMA)
    return np.where(coloured, (values - base[name][:, None] + 180.0) % 360.0 - 180.0, np.nan)


def _measure(design, codes: torch.Tensor) -> dict[str, np.ndarray]:
    """Every attribute of the decoded ``codes`` ``(M, D)``: name -> ``(M,)``."""
    rows = [measure_rgba(img) for img in design.decode(codes)]
    return {a: np.array([r[a] for r in rows], float) for a in (*ATTRIBUTES, "chroma")}


@torch.no_grad()
def slider_report(design, n: int = 50, values: tuple[float, ...] = SLIDER_VALUES, seed: int = 0,
                  temperature: float = 1.0) -> dict:
    """Measure every slider of ``design`` (a :class:`pipelines.GarmentDesignPipeline` with
    sliders) on ``n`` prior samples.

    Returns:
        ``{"n", "values", "hue_degrees_per_unit", "sliders": {slider: {"own", "others": {attr: rho},
        "max_other", "max_other_attribute", "mean_change": [per value, own attribute]}}}``.
    """
    if n < 2 or len(values) < 2:
        raise TryOnError("The slider report needs at least 2 garments (--n) and 2 slider values.")
    if not design.attributes:
        raise TryOnError("These garment designer weights have no attribute sliders; fit them with "
                         "`tryon fit-design`.")
    z = design.sample_codes(n, seed, temperature)
    base = _measure(design, z)
    out: dict = {"n": n, "values": list(values), "hue_degrees_per_unit": HUE_DEGREES, "sliders": {}}
    for slider in design.attributes:
        scale = HUE_DEGREES if slider == "hue" else 1.0
        edited = torch.cat([design.edit_codes(z, **{slider: v * scale}) for v in values])
        measured = _measure(design, edited)
        x = np.repeat(np.asarray(values, float)[None], n, 0)                        # (n, V)
        changes = {a: _changes(measured, base, a, n) for a in ATTRIBUTES}
        rho = {a: spearman(x.ravel(), changes[a].ravel(), MIN_GARMENTS * len(values)) for a in ATTRIBUTES}
        others = {a: r for a, r in rho.items() if a != slider}
        worst = max(others, key=lambda a: -1.0 if math.isnan(others[a]) else abs(others[a]))
        out["sliders"][slider] = {
            "own": _round(rho[slider]), "others": {a: _round(r) for a, r in others.items()},
            "max_other": _round(abs(others[worst])), "max_other_attribute": worst,
            "mean_change": [_round(float(np.nanmean(c)) if np.isfinite(c).any() else math.nan)
                            for c in changes[slider].T]}
    return out


def _round(v: float) -> float | None:
    return None if math.isnan(v) else round(v, 3)


def report_lines(report: dict) -> list[str]:
    """The report as a small table: slider, own correlation, largest other and which."""
    lines = [f"slider report: {report['n']} prior samples, values {report['values']} "
             f"(hue: x{report['hue_degrees_per_unit']:g} degrees)",
             f"{'slider':<16}{'own rho':>9}{'max |rho| other':>17}  (attribute)   mean change of own attribute"]
    for name, s in report["sliders"].items():
        own = "-" if s["own"] is None else f"{s['own']:.3f}"
        other = "-" if s["max_other"] is None else f"{s['max_other']:.3f}"
        change = ", ".join("-" if c is None else f"{c:g}" for c in s["mean_change"])
        lines.append(f"{name:<16}{own:>9}{other:>17}  ({s['max_other_attribute']})   [{change}]")
    return lines
