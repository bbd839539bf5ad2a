"""What the try-on network paints where the old top was wider and longer than the new garment.

On a shopper's photo the repaint region follows the old top's outline. A new garment that is
narrower or shorter leaves a ring inside it (a halo at the sides, a band below the new hem) that
must be painted as what lies under the old top: background, trousers, skin. A network that only
ever saw pairs whose region fits the garment paints the garment on into the ring, or a smear.

Paired VITON data holds the answer. Each pair's repaint region (the pipeline's own,
:func:`tryon.region.parse_regions`, from the pairs cache) is grown as if the person's top were
wider by :data:`RING_SIDEWAYS` and longer by :data:`RING_DOWN` (units of U;
:func:`tryon.data.tryon_pairs.wider_old_garment`, the same ring as the training augmentation at
fixed sizes); the network paints the grown region; the photo is the target in the ring.

Reported, over the pairs with a ring of at least :data:`MIN_RING_PIXELS`:

- ``ring_l1``: mean absolute error in the ring (pixel values in ``[0, 1]``);
- ``ring_ssim``: SSIM in the ring (the map of :func:`tryon.metrics.ssim_map`, averaged there);
- ``region_ssim``: SSIM in the ground-truth try-on region (garment and arms) with the grown
  region, and ``region_ssim_plain`` with the pipeline's own region: what the ring costs there.

These are the network's figures in its 256x192 frame, from the pairs cache (no MediaPipe, no
full-resolution composition); the end-to-end figures are ``tryon eval``'s.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from tryon import constants as C
from tryon.conditioning import net_tensors
from tryon.data import TryOnPairs, build_pairs_cache, val_pairs
from tryon.data.cache import default_cache_dir, landmark_shards
from tryon.data.layout import find_layout
from tryon.data.split import test_pairs
from tryon.data.tryon_pairs import VALID_BIT, wider_old_garment
from tryon.errors import TryOnError
from tryon.metrics import ssim_map
from tryon.models.tryon_net import TryOnNet
from tryon.pose import pose_maps

__all__ = ["evaluate_rings", "RING_SIDEWAYS", "RING_DOWN"]

RING_SIDEWAYS = 0.1    # the old top is this much wider (units of U)...
RING_DOWN = 0.4        # ...and this much longer than the garment the person wears
MIN_RING_PIXELS = 20   # pairs whose ring is smaller (the top reaches the frame's edge) are skipped
GRID_PAIRS = 8         # pairs in the grid: input, result, photo


def _unit(x: torch.Tensor) -> torch.Tensor:
    return (x.clamp(-1, 1) + 1) / 2


def _render(net: TryOnNet, tensors: dict, item: dict) -> torch.Tensor:
    """``(1, 3, H, W)`` in ``[0, 1]``: the network's result for one item with these region tensors."""
    h, w = tensors["agnostic"].shape[-2:]
    x = {k: v[None] for k, v in tensors.items()}
    x["pose"] = pose_maps(item["landmarks"][None], (h, w))
    x["codes"] = item["codes"][None]
    with torch.inference_mode():
        return _unit(net(**x).image)


def evaluate_rings(data: str | Path, *, weights: str | Path, split: str = "train", cache: str | Path | None = None,
                   n_val: int | None = None, portion: str = "val", limit: int | None = None,
                   out: str | Path | None = None, progress: bool = True) -> dict:
    """The ring figures of the module docstring on the validation pairs (or the test portion).

    Args:
        data: a VITON-style data set with a ``tryon prepare`` landmark cache.
        weights: a weights folder holding ``tryon/``, ``parser/``, ``garment-vae/`` and
            ``body-vae/`` (the bundle's layout); the pairs cache is built with them (or reused).
        cache: the landmark cache folder (default ``<data>/<split>/tryon-cache``); the pairs
            cache is kept there too.
        portion: ``"val"`` or ``"test"`` (the untouched test portion: report it once).
        limit: only the first ``limit`` pairs (of those the cache holds: pairs MediaPipe refused
            are not there).
        out: the JSON report's path; a grid (grown input, result, photo) is written beside it
            as ``<stem>-grid.png``.

    Returns:
        A JSON-ready dict: ``portion``, ``pairs``, ``evaluated``, ``ring_l1``, ``ring_ssim``,
        ``region_ssim``, ``region_ssim_plain``, ``ring_pixels`` (mean), ``ring`` (the sizes).
    """
    weights = Path(weights)
    for sub in ("tryon", "parser", "garment-vae", "body-vae"):
        if not (weights / sub / "model.safetensors").is_file():
            raise TryOnError(f"No '{sub}' weights in '{weights}'; pass a folder laid out like assets/weights.")
    layout = find_layout(data, split)
    cache = Path(cache) if cache is not None else default_cache_dir(layout.split)
    landmark_shards(cache)  # one sentence now if `tryon prepare` has not run, not a failing build
    n_val = C.VALIDATION_PAIRS if n_val is None else n_val
    pairs = val_pairs(layout, n_val) if portion == "val" else test_pairs(layout, n_val)
    # The whole portion is cached (as training caches it, so its cache is reused); ``limit`` cuts after.
    folder = build_pairs_cache(layout, cache, pairs, cache, progress=progress, garment_vae_dir=weights / "garment-vae",
                               body_vae_dir=weights / "body-vae", parser_dir=weights / "parser")
    items = TryOnPairs(folder, region="parse")
    count = len(items) if limit is None else min(limit, len(items))
    net = TryOnNet.from_pretrained(weights / "tryon").eval()
    h, w = C.FRAME_SIZE
    sums: dict[str, list[float]] = {"ring_l1": [], "ring_ssim": [], "region_ssim": [], "region_ssim_plain": [],
                                    "ring_pixels": []}
    rows = []
    for i in tqdm(range(count), desc="rings", unit="pair", disable=not progress):
        item, raw = items[i], items.raw(i)
        px = raw["landmarks"] * np.array([w, h, 1], np.float32)
        valid = (raw["labels"] & VALID_BIT) > 0
        region = item["region"][0].numpy() > 0
        parsed = np.ascontiguousarray(raw["parsed"])
        ring = wider_old_garment(parsed, px, valid, RING_SIDEWAYS, RING_DOWN) & ~region
        if ring.sum() < MIN_RING_PIXELS:
            continue
        revealed = item["revealed"][0].numpy() > 0   # the ring is greyed wholly: the old top's pixels
        tensors = net_tensors(raw["person"], region | ring, valid, raw["garment"], revealed)
        photo = _unit(item["person"][None])
        result = _render(net, tensors, item)
        plain = _render(net, {k: item[k] for k in ("agnostic", "region", "revealed", "garment")}, item)
        score = ssim_map(result, photo)[0].mean(0).numpy()
        tryon_region = item["gt_tryon"][0].numpy() > 0
        sums["ring_l1"].append(float((result - photo).abs().mean(1)[0].numpy()[ring].mean()))
        sums["ring_ssim"].append(float(score[ring].mean()))
        sums["region_ssim"].append(float(score[tryon_region].mean()))
        sums["region_ssim_plain"].append(float(ssim_map(plain, photo)[0].mean(0).numpy()[tryon_region].mean()))
        sums["ring_pixels"].append(float(ring.sum()))
        if len(rows) < GRID_PAIRS:
            rows.append(torch.cat([_unit(tensors["agnostic"][None]), result, photo], 2)[0])
    n = len(sums["ring_l1"])
    report = {"portion": portion, "pairs": count, "evaluated": n,
              **{k: (float(np.mean(v)) if n else None) for k, v in sums.items()},
              "ring": {"sideways": RING_SIDEWAYS, "down": RING_DOWN}}
    if out is not None:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        if rows:
            grid = out.with_name(f"{out.stem}-grid.png")
            pixels = (torch.cat(rows, 2).permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
            Image.fromarray(pixels).save(grid)
            report["grid"] = str(grid)
        out.write_text(json.dumps(report, indent=2))
    return report
