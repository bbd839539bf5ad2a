"""Timing a try-on stage by stage (what ``tryon bench`` reports).

The pipeline is passed in (tryon never imports pipelines); it must return an output whose
``timings`` maps stage names to seconds, like :class:`pipelines.TryOnPipeline`'s.
"""

from __future__ import annotations

import platform
from pathlib import Path

__all__ = ["BENCH_STAGES", "BENCH_PERSON", "CACHED_TOTAL", "percentile", "time_stages", "bench_report", "table_lines"]

BENCH_STAGES = ("load", "pose", "align", "parse", "parser", "garment", "checks", "warp", "region", "composite",
                "render", "net", "paste_back", "total")  # "parser" and "net": forwards inside parse, render
BENCH_PERSON = Path("person") / "astronaut.png"  # under the bundled examples
CACHED_TOTAL = "total_cached"  # the total when the garment was tried on before (tryon.garment_cache)


def percentile(values: list[float], q: float) -> float:
    """The ``q``-quantile (``q`` in ``[0, 1]``) of ``values``, interpolated linearly between ranks."""
    s = sorted(values)
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def time_stages(pipe, person, garment, *, runs: int, warmup: int) -> dict[str, dict[str, float]]:
    """``{stage: {"p50": ms, "p90": ms}}`` over ``runs`` try-ons of ``person`` in ``garment``,
    after ``warmup`` untimed ones. A stage the pipeline did not run counts as 0 ms.

    Each try-on meets the garment for the first time (a pipeline's garment cache, ``pipe.garments``,
    is emptied before each); :data:`CACHED_TOTAL` is the total of as many more try-ons with the
    garment remembered, as a shop's catalogue garment is."""
    cache = getattr(pipe, "garments", None)
    for _ in range(warmup):
        pipe(person=person, garment=garment)
    ms: dict[str, list[float]] = {k: [] for k in (*BENCH_STAGES, CACHED_TOTAL)}
    for _ in range(runs):
        if cache is not None:
            cache.clear()
        t = pipe(person=person, garment=garment).timings
        for k in BENCH_STAGES:
            ms[k].append(t.get(k, 0.0) * 1000)
    for _ in range(runs if cache is not None else 0):
        ms[CACHED_TOTAL].append(pipe(person=person, garment=garment).timings["total"] * 1000)
    return {k: {"p50": round(percentile(v, 0.5), 1), "p90": round(percentile(v, 0.9), 1)}
            for k, v in ms.items() if v}


def bench_report(pipe, person, garment, *, person_path: Path, garment_path: Path, mode: str,
                 runs: int, warmup: int) -> dict:
    """The JSON-ready figures of :func:`time_stages` with what they were measured on.

    Args:
        pipe: the try-on pipeline (its ``precision`` is reported).
        person, garment: the decoded images (decoded once: the ``load`` stage then measures the
            validation of an in-memory image); ``person_path``, ``garment_path`` their files.
    """
    import torch

    ms = time_stages(pipe, person, garment, runs=runs, warmup=warmup)
    return {
        "person": str(person_path), "size": list(person.size), "garment": str(garment_path),
        "mode": mode, "precision": pipe.precision, "runs": runs,
        "threads": torch.get_num_threads(),
        "cpu": platform.processor() or platform.machine(),
        "ms": ms,
    }


def table_lines(report: dict) -> list[str]:
    """The report as a table a person reads: a header line, then median and p90 ms per stage."""
    width, height = report["size"]
    lines = [f"tryon bench: {width}x{height} photo, {report['runs']} runs, "
             f"{report['threads']} torch threads, {report['precision']} network",
             f"{'stage':<12}{'p50 ms':>10}{'p90 ms':>10}"]
    lines += [f"{k:<12}{v['p50']:>10.1f}{v['p90']:>10.1f}" for k, v in report["ms"].items()]
    return lines
