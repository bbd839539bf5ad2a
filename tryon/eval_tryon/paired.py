"""Paired evaluation: a person dressed in the garment they wear should come back as their photo.

SSIM (Gaussian window 11), PSNR and L1 on the whole image, and SSIM and L1 inside the try-on
region (the ground-truth parse labels upper clothes, dress, coat and both arms), all at
:data:`~tryon.eval_tryon.frame.EVAL_SIZE` with images in ``[0, 1]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from tqdm import tqdm

from tryon import constants as C
from tryon.body import erode
from tryon.eval_tryon.frame import GRID_ROWS, Pair, Runner, to_uint8, unchanged
from tryon.metrics import masked_l1, psnr, ssim_map

__all__ = ["TRYON_REGION_LABELS", "PAIRED_METRICS", "PairedResult", "run_paired", "paired_scores", "outlined"]

TRYON_REGION_LABELS = (C.LIP_UPPER_CLOTHES, C.LIP_DRESS, C.LIP_COAT, C.LIP_LEFT_ARM, C.LIP_RIGHT_ARM)
PAIRED_METRICS = ("ssim", "psnr", "l1", "region_ssim", "region_l1")
PSNR_MAX_DB = 100.0               # identical images would give inf dB (not JSON); capped here
OUTLINE_COLOUR = (255, 0, 255)    # the try-on region's outline on the ground truth


@dataclass
class PairedResult:
    """The paired part's figures, before they are summarised."""

    scores: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in PAIRED_METRICS})
    per_pair: list[dict] = field(default_factory=list)       # person, garment and its figures
    rows: list[list[np.ndarray]] = field(default_factory=list)  # grid rows (uint8 cells)
    unchanged: int = 0                                       # results identical to the photo
    refused: int = 0                                         # try-ons the pipeline refused


def paired_scores(result: np.ndarray, truth: np.ndarray, region: np.ndarray | None) -> dict[str, float]:
    """The :data:`PAIRED_METRICS` of one result against its ground truth.

    Args:
        result, truth: ``(H, W, 3)`` float in ``[0, 1]``.
        region: ``(H, W)`` bool, the try-on region; None or empty: the region figures are NaN.
    """
    smap = ssim_map(result, truth)  # one map for both: its mean is ssim(), its region mean masked_ssim()
    has_region = region is not None and region.any()
    return {
        "ssim": float(smap.mean()),
        "psnr": min(psnr(result, truth), PSNR_MAX_DB),
        "l1": float(np.abs(result - truth).mean()),
        "region_ssim": float(smap[region].mean()) if has_region else math.nan,
        "region_l1": masked_l1(result, truth, region) if has_region else math.nan,
    }


def outlined(image: np.ndarray, region: np.ndarray | None) -> np.ndarray:
    """``image`` (uint8) with the boundary of ``region`` drawn in :data:`OUTLINE_COLOUR`."""
    out = image.copy()
    if region is not None and region.any():
        out[region & ~erode(region, 1.5)] = OUTLINE_COLOUR
    return out


def _finite_or_none(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def run_paired(runner: Runner, pairs: Sequence[Pair], *, progress: bool = True) -> PairedResult:
    """Dress every person of ``pairs`` in their own garment and measure the result."""
    out = PairedResult()
    refused_before = len(runner.refused)
    for person, garment in tqdm(pairs, desc="paired", unit="pair", disable=not progress, leave=False):
        result = runner(person, garment, "paired")
        if result is None:
            continue
        truth = runner.photo(person)
        labels = runner.labels(person)
        region = np.isin(labels, TRYON_REGION_LABELS) if labels is not None else None
        for k, v in paired_scores(result, truth, region).items():
            out.scores[k].append(v)
        out.unchanged += unchanged(result, truth)
        out.per_pair.append({"person": person, "garment": garment,
                             **{k: _finite_or_none(v[-1]) for k, v in out.scores.items()}})
        if len(out.rows) < GRID_ROWS:
            out.rows.append([to_uint8(truth), runner.garment_cell(garment), to_uint8(result),
                             outlined(to_uint8(truth), region)])
    out.refused = len(runner.refused) - refused_before
    return out
