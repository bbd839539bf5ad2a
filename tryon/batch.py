"""Running a try-on over a catalogue of pairs (what ``tryon batch`` does).

Under ``accelerate launch`` (or ``torchrun``) every process takes every n-th pair; each result is
written as ``OUT/<person stem>__<garment stem>.png``, pairs already done are skipped, and a pair
that fails is recorded and the run goes on. The pipeline is passed in (tryon never imports
pipelines).
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from tryon.errors import TryOnError
from tryon.pairs import Pair

__all__ = ["PAIR_SEPARATOR", "Share", "BatchResult", "my_share", "output_path", "run_pairs"]

PAIR_SEPARATOR = "__"  # batch outputs are <person stem>__<garment stem>.png


@dataclass(frozen=True)
class Share:
    """The pairs this process runs, and where it sits among the processes."""

    pairs: list[Pair]
    index: int        # this process, 0-based
    processes: int    # how many share the pairs
    is_main: bool


@dataclass
class BatchResult:
    done: int = 0
    skipped: int = 0                                                  # outputs that already existed
    failures: list[tuple[str, str]] = field(default_factory=list)    # (pair, why), in run order


def my_share(pairs: Sequence[Pair]) -> Share:
    """Every n-th pair, from this process's index, when n processes run (1 without a launcher)."""
    import torch
    from accelerate import PartialState

    # cpu=True lets accelerate/torchrun split work across CPU processes (it would not otherwise).
    state = PartialState(cpu=not torch.cuda.is_available())
    return Share(list(pairs)[state.process_index :: state.num_processes], state.process_index,
                 state.num_processes, state.is_main_process)


def output_path(out: Path, person: str, garment: str) -> Path:
    """``out / <person stem>__<garment stem>.png``."""
    return out / f"{Path(person).stem}{PAIR_SEPARATOR}{Path(garment).stem}.png"


def run_pairs(pipe, share: Share, *, person_dir: Path, garment_dir: Path, out: Path,
              overwrite: bool = False, debug: bool = False) -> BatchResult:
    """Dress ``person_dir / person`` in ``garment_dir / garment`` for each pair of ``share``.

    Args:
        pipe: the try-on pipeline, called as ``pipe(person=path, garment=path)``.
        overwrite: redo pairs whose output exists (default: skip them).
        debug: print the traceback of an unexpected failure (it is recorded either way).
    """
    from tqdm import tqdm

    from tryon.io import save_image

    out.mkdir(parents=True, exist_ok=True)
    result = BatchResult()
    bar = tqdm(share.pairs, desc=f"try-on [{share.index}]" if share.processes > 1 else "try-on",
               unit="pair", position=share.index, disable=None)
    for person, garment in bar:
        target = output_path(out, person, garment)
        if target.exists() and not overwrite:
            result.skipped += 1
            continue
        try:
            save_image(pipe(person=person_dir / person, garment=garment_dir / garment).image, target)
            result.done += 1
        except TryOnError as err:
            result.failures.append((f"{person} {garment}", str(err)))
        except Exception as err:  # one broken pair must not stop a catalogue run
            if debug:
                traceback.print_exc()
            result.failures.append((f"{person} {garment}", f"unexpected failure ({type(err).__name__}: {err})"))
    bar.close()
    return result
