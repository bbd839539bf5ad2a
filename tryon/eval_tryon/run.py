"""The try-on evaluation end to end: the paired part, the unpaired part, the grid and the report."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Sequence

from tryon.data.layout import DatasetLayout
from tryon.errors import TryOnError
from tryon.eval_tryon.frame import Pair, Runner
from tryon.eval_tryon.paired import run_paired
from tryon.eval_tryon.report import build_report, write_grid
from tryon.eval_tryon.unpaired import MIN_COLOUR_DELTA_E, run_unpaired

__all__ = ["eval_tryon"]


def eval_tryon(pipe, layout: DatasetLayout, pairs: Sequence[Pair], *, mode: str,
               out_dir: str | Path | None = None, grid_name: str | None = None, seed: int = 0,
               limit: int | None = None, progress: bool = True) -> dict:
    """Paired and unpaired figures of ``pipe`` on ``pairs`` of a VITON-style data set.

    Args:
        pipe: a :class:`pipelines.TryOnPipeline`, called as ``pipe(person_path, garment_path,
            mode=mode)`` on the raw photos.
        layout: the data set (``image/``, ``cloth/``; ``image-parse/`` and ``cloth-mask/`` are
            read only to measure).
        pairs: ``(person, garment)`` file names; in a paired pair the person wears the garment.
        mode: the pipeline's renderer, passed straight through.
        out_dir: where to write the grid PNG (None: no grid).
        grid_name: the grid's file name (default ``eval-tryon-<mode>-grid.png``).
        seed: picks the unpaired garments.
        limit: only the first ``limit`` pairs.
        progress: show progress bars.

    Returns:
        A JSON-ready dict: ``mode``, ``pairs`` (how many), ``refused`` (``person``, ``garment``,
        ``kind``, ``error`` of each try-on the pipeline refused; left out of every figure),
        ``paired`` (means: ``ssim``, ``region_ssim`` in ``[-1, 1]``, ``psnr`` in dB, ``l1``,
        ``region_l1`` in ``[0, 1]``; ``evaluated``, ``region_evaluated``, ``refused``, and
        ``unchanged``: results identical to the photo, which score perfectly here although no
        try-on happened), ``paired_median``, ``unpaired`` (``transfer`` and
        ``untouched_transfer`` in ``[0, 1]`` or None, ``evaluated``, ``skipped``,
        ``skipped_because``, ``refused``, ``unchanged``),
        ``seconds_per_pair`` (mean and median wall time of a try-on), ``seconds_total``,
        ``resolution``, ``seed``, ``grid`` (its path, or None) and ``per_pair`` (each pair's
        figures: ``paired`` and ``unpaired`` lists, in the order of ``pairs``).

    Raises:
        TryOnError: the data set has no parse maps (needed to measure the try-on region).
    """
    if layout.parse is None:
        raise TryOnError(f"'{layout.split}' has no parse maps (image-parse/); they are needed to "
                         "measure the try-on region.")
    pairs = list(pairs)[:limit] if limit is not None else list(pairs)
    t_start = time.perf_counter()
    runner = Runner(pipe, layout, mode)
    # 1. Paired: the person in their own garment should come back as the person photo.
    paired = run_paired(runner, pairs, progress=progress)
    # 2. Unpaired: dressed in another pair's garment, the torso should take that garment's colour.
    unpaired = run_unpaired(runner, pairs, seed=seed, progress=progress)
    # 3. The grid and the report.
    grid_path = write_grid(out_dir, grid_name or f"eval-tryon-{mode}-grid.png", paired.rows, unpaired.rows)
    return build_report(mode=mode, n_pairs=len(pairs), runner=runner, paired=paired, unpaired=unpaired,
                        min_delta_e=MIN_COLOUR_DELTA_E, t_start=t_start, seed=seed, grid_path=grid_path)
