"""``tryon fit-design``: (re)fit a garment designer folder's prior and attribute sliders.

1. Encode the training garments of a VITON-style data set with the folder's VAE: the posterior
   means ``(N, D)``.
2. Measure each garment's attributes (:func:`tryon.garment_attributes.measure_tensor`).
3. Fit the mixture prior on the codes (:func:`tryon.training.prior_fit.fit_mixture`) and the
   sliders on codes and attributes (:func:`tryon.training.direction_fit.fit_directions`), then
   calibrate the sliders on decoded garments (:mod:`tryon.training.slider_calibration`).
4. Save them as ``<folder>/prior/`` and ``<folder>/directions/`` (config.json + safetensors).
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
from tryon.models.vae import VAE
from tryon.training.direction_fit import fit_directions
from tryon.training.prior_fit import fit_mixture, posterior_means
from tryon.training.slider_calibration import calibrate_moves

__all__ = ["fit_design", "PRIOR_DIR", "DIRECTIONS_DIR", "ATTRIBUTE_UNITS"]

PRIOR_DIR = "prior"             # <designer>/prior/: the MixturePrior
DIRECTIONS_DIR = "directions"   # <designer>/directions/: the LatentDirections
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


def encode_and_measure(vae: VAE, dataset, limit: int | None = None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Posterior means ``(N, D)`` and measures ``{name: (N,)}`` of the first ``limit`` (default
    all) garments of a :class:`tryon.data.GarmentDataset`, un-augmented."""
    n = len(dataset) if limit is None else min(limit, len(dataset))
    rows = [measure_tensor(item) for start in tqdm(range(0, n, BATCH), desc="measuring garments", unit="batch")
            for item in dataset.stored_tensors(start, min(start + BATCH, n)).numpy()]
    measures = {k: torch.tensor(np.array([r[k] for r in rows], np.float64)) for k in rows[0]}
    return posterior_means(vae, dataset, n), measures


def fit_design(data: str | Path, *, weights: str | Path | None = None, cache: str | Path | None = None,
               limit: int | None = None, split: str = "train", components: int = 32,
               keep_prior: bool = False) -> dict:
    """Refit ``weights`` (a garment designer folder; default the bundled
    ``assets/weights/garment-designer``): its ``prior/`` (unless ``keep_prior``) and ``directions/``.

    Returns:
        What was fitted: ``{"folder", "garments", "prior": {...}, "directions": {...}}``.
    """
    folder = Path(weights) if weights is not None else weights_dir() / "garment-designer"
    if not (folder / "model.safetensors").is_file():
        raise TryOnError(f"No garment designer weights in '{folder}': pass --weights with a folder holding "
                         "config.json and model.safetensors.")
    if limit is not None and limit < 1:
        raise TryOnError("--limit must be at least 1.")
    vae = VAE.from_pretrained(folder)
    dataset = _garments(Path(data), Path(cache) if cache else None, split)
    codes, measures = encode_and_measure(vae, dataset, limit)
    prior_info = "kept"
    if not keep_prior:
        prior, prior_info = fit_mixture(codes, components=components)
        prior.save_pretrained(folder / PRIOR_DIR, extra={"fit": prior_info, "codes": len(codes)})
    directions, info = fit_directions(codes, measures, units=ATTRIBUTE_UNITS)
    directions, info["calibration"] = calibrate_moves(directions, vae, codes)
    directions.save_pretrained(folder / DIRECTIONS_DIR, extra={"fit": info, "data": str(data)})
    return {"folder": str(folder), "garments": len(codes), "prior": prior_info,
            "directions": {**info, "units": dict(zip(directions.names, directions.config.units))}}
