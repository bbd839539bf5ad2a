"""``tryon fit-design``: (re)fit a garment designer folder's priors and attribute sliders.

1. Encode the training garments of a VITON-style data set with the folder's VAE: the posterior
   means ``(N, D)``.
2. Fit the priors on the codes (:func:`tryon.training.prior_fit.fit_and_save_priors`: the mixture
   in ``prior/``, the anchors in ``anchors/``).
3. Measure each garment's attributes (:func:`tryon.garment_attributes.measure_tensor`), fit the
   sliders on codes and attributes (:func:`tryon.training.direction_fit.fit_directions`), calibrate
   them on decoded garments (:mod:`tryon.training.slider_calibration`) and save them in
   ``directions/``. Either step can be kept as it is (``keep_prior``, ``keep_directions``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from tryon.assets import weights_dir
from tryon.constants import VALIDATION_PAIRS
from tryon.errors import TryOnError
from tryon.garment_attributes import measure_tensor
from tryon.models.latent_prior import DIRECTIONS_DIR
from tryon.models.vae import VAE
from tryon.training.direction_fit import fit_directions
from tryon.training.prior_fit import fit_and_save_priors, posterior_means
from tryon.training.slider_calibration import calibrate_moves

__all__ = ["fit_design", "ATTRIBUTE_UNITS"]

BATCH = 128                     # garments encoded at once
ATTRIBUTE_UNITS = {             # the measures' own units (tryon.garment_attributes)
    "lightness": "CIELAB L*",
    "sleeve_length": "garment widths",
    "garment_length": "garment widths",
    "neckline": "of the garment's length",
}


def _garments(data: Path, cache: Path | None, split: str):
    """The training garments (:class:`tryon.data.GarmentDataset`)."""
    from tryon.data import GarmentDataset, find_layout
    from tryon.data.split import train_garments

    layout = find_layout(data, split)
    return GarmentDataset(layout, train_garments(layout, VALIDATION_PAIRS), cache_dir=cache)


def measure(dataset, n: int) -> dict[str, torch.Tensor]:
    """Attribute measures ``{name: (n,)}`` of the first ``n`` garments of a
    :class:`tryon.data.GarmentDataset`, un-augmented."""
    rows = [measure_tensor(item) for start in tqdm(range(0, n, BATCH), desc="measuring garments", unit="batch")
            for item in dataset.stored_tensors(start, min(start + BATCH, n)).numpy()]
    return {k: torch.tensor(np.array([r[k] for r in rows], np.float64)) for k in rows[0]}


def fit_design(data: str | Path, *, weights: str | Path | None = None, cache: str | Path | None = None,
               limit: int | None = None, split: str = "train", components: int = 32,
               keep_prior: bool = False, keep_directions: bool = False) -> dict:
    """Refit ``weights`` (a garment designer folder; default the bundled
    ``assets/weights/garment-designer``): its priors ``prior/`` and ``anchors/`` (unless
    ``keep_prior``) and its sliders ``directions/`` (unless ``keep_directions``).

    Returns:
        What was fitted: ``{"folder", "garments", "prior": {...} | "kept", "directions": {...} | "kept"}``.
    """
    folder = Path(weights) if weights is not None else weights_dir() / "garment-designer"
    if not (folder / "model.safetensors").is_file():
        raise TryOnError(f"No garment designer weights in '{folder}': pass --weights with a folder holding "
                         "config.json and model.safetensors.")
    if limit is not None and limit < 1:
        raise TryOnError("--limit must be at least 1.")
    if keep_prior and keep_directions:
        raise TryOnError("--keep-prior and --keep-directions together leave nothing to fit; drop one.")
    vae = VAE.from_pretrained(folder)
    dataset = _garments(Path(data), Path(cache) if cache else None, split)
    n = len(dataset) if limit is None else min(limit, len(dataset))
    codes = posterior_means(vae, dataset, n)
    report: dict = {"folder": str(folder), "garments": len(codes), "prior": "kept", "directions": "kept"}
    if not keep_prior:
        report["prior"] = fit_and_save_priors(codes, folder, components=components, vae=vae)
    if not keep_directions:
        directions, info = fit_directions(codes, measure(dataset, n), units=ATTRIBUTE_UNITS)
        directions, info["calibration"] = calibrate_moves(directions, vae, codes)
        directions.save_pretrained(folder / DIRECTIONS_DIR, extra={"fit": info, "data": str(data)})
        report["directions"] = {**info, "units": dict(zip(directions.names, directions.config.units))}
    return report
