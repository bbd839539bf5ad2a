"""Running a try-on over a catalogue of pairs (what ``tryon batch`` does).

Under ``accelerate launch`` (or ``torchrun``) every process takes every n-th pair; each result is
written as ``OUT/<person stem>__<garment stem>.png``, pairs already done are skipped, and a pair
that fails is recorded and the run goes on. The pipeline is passed in (tryon never imports
pipelines).

Interruptions: each image is written to a temporary file and renamed into place
(:func:`tryon.io.atomic_write`), so a run killed at any moment (even ``kill -9``) leaves only
whole images; the next run removes the killed run's temporary files and resumes with the pairs
not done. A full output disk, or an output folder that cannot be written, stops the run with
one sentence (:class:`OutputError`) and keeps every finished image.
"""

from __future__ import annotations

import errno
import glob
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from tryon.errors import TryOnError
from tryon.pairs import Pair

__all__ = ["PAIR_SEPARATOR", "Share", "BatchResult", "OutputError", "my_share", "output_path",
           "is_done", "remove_stale_temporaries", "run_pairs"]

PAIR_SEPARATOR = "__"  # batch outputs are <person stem>__<garment stem>.png
TEMPORARY_GLOB = ".{name}.*.tmp"   # what tryon.io.atomic_write names its temporary files
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)                 # no space, or over the user's quota
NOT_WRITABLE = (errno.EACCES, errno.EPERM, errno.EROFS)  # no permission, a read-only disk


class OutputError(TryOnError):
    """The batch's output folder cannot take more images (full or not writable); every
    finished image is kept and a rerun resumes."""


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


def is_done(target: Path) -> bool:
    """Whether a pair's output is finished: only whole images ever get the final name."""
    try:
        return target.stat().st_size > 0
    except OSError:
        return False


def remove_stale_temporaries(targets: Sequence[Path]) -> int:
    """Delete the temporary files an interrupted run left beside ``targets``; how many.
    Only this process's own targets: another process of the run may be writing its own."""
    removed = 0
    for target in targets:
        for tmp in target.parent.glob(TEMPORARY_GLOB.format(name=glob.escape(target.name))):
            try:
                tmp.unlink()
                removed += 1
            except OSError:
                pass
    return removed


def _output_error(err: OSError, out: Path, done: int) -> OutputError | None:
    """The sentence for a write that no later pair can avoid (disk full, not writable), else None."""
    kept = f"every finished image is kept ({done} from this run)"
    if err.errno in DISK_FULL:
        return OutputError(f"The disk holding the output folder '{out}' is full; {kept}: free some "
                           "space and run the same command again to finish the rest.")
    if err.errno in NOT_WRITABLE:
        return OutputError(f"We cannot write into the output folder '{out}' ({err.strerror}); {kept}: "
                           "choose a folder you can write to, or fix its permissions, and run again.")
    return None


def run_pairs(pipe, share: Share, *, person_dir: Path, garment_dir: Path, out: Path,
              overwrite: bool = False, debug: bool = False) -> BatchResult:
    """Dress ``person_dir / person`` in ``garment_dir / garment`` for each pair of ``share``.

    Args:
        pipe: the try-on pipeline, called as ``pipe(person=path, garment=path, with_steps=False)``.
        overwrite: redo pairs whose output exists (default: skip them).
        debug: print the traceback of an unexpected failure (it is recorded either way).
    """
    from tqdm import tqdm

    from tryon.io import save_image

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise (_output_error(err, out, 0) or OutputError(
            f"We cannot create the output folder '{out}' ({err.strerror}); choose another folder.")) from None
    remove_stale_temporaries([output_path(out, p, g) for p, g in share.pairs])
    result = BatchResult()
    bar = tqdm(share.pairs, desc=f"try-on [{share.index}]" if share.processes > 1 else "try-on",
               unit="pair", position=share.index, disable=None)
    for person, garment in bar:
        target = output_path(out, person, garment)
        if is_done(target) and not overwrite:
            result.skipped += 1
            continue
        try:
            image = pipe(person=person_dir / person, garment=garment_dir / garment, with_steps=False).image
            try:
                save_image(image, target)
            except OSError as err:
                if (stop := _output_error(err, out, result.done)) is not None:
                    bar.close()
                    raise stop from None
                raise
            result.done += 1
        except OutputError:
            raise   # no later pair can be written either
        except TryOnError as err:
            result.failures.append((f"{person} {garment}", str(err)))
        except Exception as err:  # one broken pair must not stop a catalogue run
            if debug:
                traceback.print_exc()
            result.failures.append((f"{person} {garment}", f"unexpected failure ({type(err).__name__}: {err})"))
    bar.close()
    return result
