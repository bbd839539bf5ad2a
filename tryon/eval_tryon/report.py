"""The report of a try-on evaluation: the grid image, the JSON-ready dict and its summary lines."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageDraw

from tryon.eval_tryon.frame import EVAL_SIZE
from tryon.eval_tryon.sleeves import by_sleeve

if TYPE_CHECKING:
    from tryon.eval_tryon.frame import Runner
    from tryon.eval_tryon.paired import PairedResult
    from tryon.eval_tryon.unpaired import UnpairedResult

__all__ = ["grid", "write_grid", "build_report", "summary_lines", "refused_lines"]

GRID_COLUMNS = 4
GRID_LABEL_HEIGHT = 16            # px: the caption above each section of the grid
REFUSED_SHOWN = 5                 # refusals printed by summary; the JSON lists them all


# ----------------------------------------------------------------------------------------
# The grid
# ----------------------------------------------------------------------------------------
def grid(paired: list[list[np.ndarray]], unpaired: list[list[np.ndarray]]) -> Image.Image:
    """One PNG: captioned sections of rows of ``(H, W, 3)`` uint8 cells at :data:`EVAL_SIZE`."""
    h, w = EVAL_SIZE
    sections = [
        ("paired: person | garment | result | ground truth (try-on region outlined)", paired),
        ("unpaired: person | target garment | result | colours: original, result, target "
         "(green frame = target's colour taken)", unpaired),
    ]
    height = sum(GRID_LABEL_HEIGHT + h * len(rows) for _, rows in sections)
    canvas = Image.new("RGB", (GRID_COLUMNS * w, max(height, 1)), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    y = 0
    for caption, rows in sections:
        draw.text((4, y + 2), caption, fill=(0, 0, 0))
        y += GRID_LABEL_HEIGHT
        for row in rows:
            for k, cell in enumerate(row):
                canvas.paste(Image.fromarray(cell), (k * w, y))
            y += h
    return canvas


def write_grid(out_dir: str | Path | None, name: str, paired: list[list[np.ndarray]],
               unpaired: list[list[np.ndarray]]) -> Path | None:
    """Save :func:`grid` as ``out_dir / name``; None (nothing written) when ``out_dir`` is None."""
    if out_dir is None:
        return None
    path = Path(out_dir) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    grid(paired, unpaired).save(path)
    return path


# ----------------------------------------------------------------------------------------
# The JSON report
# ----------------------------------------------------------------------------------------
def _summary(values: list[float], reduce) -> float | None:
    finite = [v for v in values if not math.isnan(v)]
    return float(reduce(finite)) if finite else None


def _mean_or_none(values: list) -> float | None:
    return float(np.mean(values)) if values else None


def build_report(*, mode: str, n_pairs: int, runner: Runner, paired: PairedResult,
                 unpaired: UnpairedResult, min_delta_e: float, t_start: float, seed: int,
                 grid_path: Path | None) -> dict:
    """The JSON-ready dict :func:`tryon.eval_tryon.eval_tryon` returns (its keys are listed there)."""
    scores = paired.scores
    return {
        "mode": mode,
        "pairs": n_pairs,
        "refused": runner.refused,
        "paired": {**{k: _summary(v, np.mean) for k, v in scores.items()},
                   "evaluated": len(scores["ssim"]),
                   "region_evaluated": sum(not math.isnan(v) for v in scores["region_ssim"]),
                   "refused": paired.refused, "unchanged": paired.unchanged},
        "paired_median": {k: _summary(v, np.median) for k, v in scores.items()},
        "paired_by_sleeve": by_sleeve(runner.layout, paired.per_pair),
        "unpaired": {
            "transfer": _mean_or_none(unpaired.wins),
            "evaluated": len(unpaired.wins),
            "skipped": sum(unpaired.skipped.values()),
            "skipped_because": unpaired.skipped,
            "refused": unpaired.refused,
            "untouched_transfer": _mean_or_none(unpaired.untouched),
            "unchanged": unpaired.unchanged,
            "min_colour_delta_e": min_delta_e,
        },
        "seconds_per_pair": _mean_or_none(runner.seconds),
        "seconds_per_pair_median": float(np.median(runner.seconds)) if runner.seconds else None,
        "seconds_total": round(time.perf_counter() - t_start, 1),
        "resolution": list(EVAL_SIZE),
        "seed": seed,
        "grid": str(grid_path) if grid_path is not None else None,
        "per_pair": {"paired": paired.per_pair, "unpaired": unpaired.per_pair},
    }


# ----------------------------------------------------------------------------------------
# The summary a person reads
# ----------------------------------------------------------------------------------------
def _fmt(value, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def summary_lines(report: dict) -> list[str]:
    """The figures of a report in a few lines (what ``tryon eval`` prints)."""
    p, u = report["paired"], report["unpaired"]
    lines = [f"tryon eval ({report['mode']}): {report['pairs']} pairs, {len(report['refused'])} "
             f"try-ons refused, {_fmt(report['seconds_per_pair'], '.2f')} s per try-on"]
    if p["unchanged"] or u["unchanged"]:
        lines.append(f"unchanged: {p['unchanged']} paired and {u['unchanged']} unpaired results are the "
                     "person photo itself (no try-on happened; paired figures count them as perfect)")
    lines.append(f"paired ({p['evaluated']}): SSIM {_fmt(p['ssim'], '.4f')}, PSNR {_fmt(p['psnr'], '.2f')} dB, "
                 f"L1 {_fmt(p['l1'], '.4f')}; try-on region: SSIM {_fmt(p['region_ssim'], '.4f')}, "
                 f"L1 {_fmt(p['region_l1'], '.4f')}")
    by = report.get("paired_by_sleeve") or {}
    if by:
        lines.append("paired by sleeve kind: " + "; ".join(
            f"{kind} ({v['pairs']}): SSIM {_fmt(v['ssim'], '.4f')}, region {_fmt(v['region_ssim'], '.4f')}"
            for kind, v in by.items()))
    lines.append(f"unpaired ({u['evaluated']}, {u['skipped']} skipped): target colour taken "
                 f"{_fmt(u['transfer'], '.1%')} (untouched photo: {_fmt(u['untouched_transfer'], '.1%')})")
    return lines


def refused_lines(report: dict) -> list[str]:
    """The first refusals of a report, one line each (``tryon eval`` prints them to stderr)."""
    refused = report["refused"]
    lines = [f"refused: {r['person']} {r['garment']} ({r['kind']}): {r['error']}" for r in refused[:REFUSED_SHOWN]]
    if len(refused) > REFUSED_SHOWN:
        lines.append(f"refused: ... and {len(refused) - REFUSED_SHOWN} more (listed in the JSON)")
    return lines
