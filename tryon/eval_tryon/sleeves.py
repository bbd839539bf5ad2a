"""The paired figures split by the garment's sleeve kind: sleeveless, short or long.

The kind comes from the garment's cloth mask (:func:`tryon.garment_keypoints.garment_keypoints`):
no sleeve found is sleeveless; otherwise the longer sleeve's reach (shoulder to cuff) over the
garment's neck-to-hem length decides. On 300 VITON garments that ratio is bimodal: short
sleeves at 0.2-0.5, long ones at 0.7-1.5, a few elbow-length ones between.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from tryon.data.layout import DatasetLayout
from tryon.eval_tryon.unpaired import cloth_mask
from tryon.garment_keypoints import LONG_SLEEVE, garment_keypoints, sleeve_length

__all__ = ["SLEEVE_KINDS", "LONG_SLEEVE", "sleeve_kind", "by_sleeve"]

SLEEVE_KINDS = ("sleeveless", "short", "long")


def sleeve_kind(mask: np.ndarray) -> str | None:
    """``"sleeveless"``, ``"short"`` or ``"long"`` for a garment mask ``(H, W)`` bool (None when
    its keypoints cannot be read)."""
    try:
        share = sleeve_length(garment_keypoints(mask))
    except Exception:  # an unusable mask: no kind, the pair stays in the overall figures
        return None
    if share is None:
        return None
    return "sleeveless" if share == 0.0 else "long" if share >= LONG_SLEEVE else "short"


def by_sleeve(layout: DatasetLayout, per_pair: list[dict]) -> dict:
    """Mean SSIM and region SSIM of the paired results (``per_pair`` of the paired part), per
    sleeve kind of the garment: ``{kind: {"pairs", "ssim", "region_ssim"}}``."""
    groups: dict[str, list[dict]] = {k: [] for k in SLEEVE_KINDS}
    for entry in per_pair:
        path = layout.cloth / entry["garment"]
        if not path.is_file():
            continue
        with Image.open(path) as img:
            size = img.size
        mask = cloth_mask(layout, entry["garment"], size)
        kind = sleeve_kind(mask) if mask is not None else None
        if kind is not None:
            groups[kind].append(entry)

    def mean(entries: list[dict], key: str) -> float | None:
        values = [e[key] for e in entries if e.get(key) is not None]
        return float(np.mean(values)) if values else None

    return {kind: {"pairs": len(e), "ssim": mean(e, "ssim"), "region_ssim": mean(e, "region_ssim")}
            for kind, e in groups.items()}
