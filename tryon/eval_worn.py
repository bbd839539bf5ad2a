"""Garments taken from photos of people wearing them, against the same garments' flat photos.

On VITON, person ``k`` wears garment ``k``: their photo is a worn photo of that garment. Each
person ``i`` of the pairs is dressed twice in the garment of another pair ``j`` (the unpaired
plan of :func:`tryon.eval_tryon.plan_unpaired`, so the colours clearly differ): once from the
garment's in-shop photo (``garment_type="flat"``), once from the photo of person ``j`` wearing
it (``garment_type="worn"``). Reported:

- ``region_ssim``: SSIM between the two results inside person ``i``'s try-on region (the
  ground-truth parse's upper clothes, dress, coat and arms), at 256x192. 1 = the worn photo gives
  exactly the try-on its flat photo gives.
- ``transfer_worn`` / ``transfer_flat``: the share of pairs whose torso took garment ``j``'s colour
  rather than person ``i``'s own (as :mod:`tryon.eval_tryon.unpaired` measures it).
- ``filled``: the share of worn garments whose hidden parts were filled in (with a warning).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from tryon import constants as C
from tryon.data.layout import find_layout
from tryon.data.split import test_pairs
from tryon.errors import TryOnError
from tryon.eval_tryon.frame import Runner, at_eval_size, to_uint8
from tryon.eval_tryon.pairs import validation_pairs
from tryon.eval_tryon.paired import TRYON_REGION_LABELS
from tryon.eval_tryon.unpaired import colour_transfer, garment_colour, plan_unpaired, torso_region
from tryon.metrics import ssim_map
from tryon.worn import WARN_FILLED

__all__ = ["evaluate_worn"]

GRID_ROWS = 8  # rows of the grid: person, worn photo, flat garment, worn result, flat result


def _tile(rows: list[list[np.ndarray]]) -> Image.Image:
    return Image.fromarray(np.concatenate([np.concatenate(r, axis=1) for r in rows], axis=0))


def evaluate_worn(pipe, data: str | Path, *, split: str = "train", n_val: int | None = None,
                  portion: str = "val", limit: int | None = None, seed: int = 0,
                  out: str | Path | None = None, progress: bool = True) -> dict:
    """Worn-photo try-ons against flat-photo try-ons on VITON pairs (see the module docstring).

    Args:
        pipe: a :class:`pipelines.TryOnPipeline` with the body parser.
        data: a VITON-style data set folder; ``split`` its split folder.
        n_val: validation pairs held out (default :data:`tryon.constants.VALIDATION_PAIRS`).
        portion: ``"val"`` or ``"test"`` (the untouched test portion: report it once).
        limit: only the first ``limit`` pairs.
        out: the JSON report's path; the grid is written beside it as ``<stem>-grid.png``.

    Returns:
        A JSON-ready dict: ``pairs``, ``evaluated``, ``region_ssim`` (mean) and
        ``region_ssim_median``, ``transfer_worn``, ``transfer_flat``, ``filled``, ``refused``
        (person, worn photo and the sentence of each refused worn try-on), ``seconds_per_pair``.
    """
    layout = find_layout(data, split)
    n_val = C.VALIDATION_PAIRS if n_val is None else n_val
    pairs = validation_pairs(layout, n_val) if portion == "val" else test_pairs(layout, n_val)
    pairs = pairs[:limit] if limit is not None else pairs
    runner = Runner(pipe, layout, "auto")
    colours = [garment_colour(layout, g) for _, g in pairs]
    plan = plan_unpaired(colours, [g for _, g in pairs], seed)
    ssims, worn_wins, flat_wins, filled, refused, seconds, rows = [], [], [], 0, [], [], []
    for i, (person, _garment) in enumerate(tqdm(pairs, desc="worn", unit="pair", disable=not progress)):
        j = plan[i]
        labels = runner.labels(person)
        torso = torso_region(labels)
        if j is None or torso is None:
            continue
        wearer, garment = pairs[j]
        t0 = time.perf_counter()
        try:
            worn = pipe(layout.image / person, layout.image / wearer, garment_type="worn")
        except TryOnError as err:
            refused.append({"person": person, "worn_photo": wearer, "error": str(err)})
            continue
        seconds.append(time.perf_counter() - t0)
        flat = runner(person, garment, "flat")
        if flat is None:
            continue
        worn_img = at_eval_size(worn.image)
        filled += WARN_FILLED in worn.warnings
        region = np.isin(labels, TRYON_REGION_LABELS)
        ssims.append(float(ssim_map(worn_img, flat)[region].mean()))
        worn_wins.append(bool(colour_transfer(worn_img, torso, colours[i], colours[j])))
        flat_wins.append(bool(colour_transfer(flat, torso, colours[i], colours[j])))
        if len(rows) < GRID_ROWS:
            worn_photo = to_uint8(at_eval_size(Image.open(layout.image / wearer)))
            rows.append([to_uint8(runner.photo(person)), worn_photo, runner.garment_cell(garment),
                         to_uint8(worn_img), to_uint8(flat)])
    n = len(ssims)
    report = {
        "portion": portion, "pairs": len(pairs), "evaluated": n,
        "region_ssim": float(np.mean(ssims)) if n else None,
        "region_ssim_median": float(np.median(ssims)) if n else None,
        "transfer_worn": float(np.mean(worn_wins)) if n else None,
        "transfer_flat": float(np.mean(flat_wins)) if n else None,
        "filled": filled / n if n else None,
        "refused": refused,
        "seconds_per_pair": float(np.median(seconds)) if seconds else None,
    }
    if out is not None:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        if rows:
            grid = out.with_name(f"{out.stem}-grid.png")
            _tile(rows).save(grid)
            report["grid"] = str(grid)
        out.write_text(json.dumps(report, indent=2))
    return report
