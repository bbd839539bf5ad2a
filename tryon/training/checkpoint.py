"""Checkpoint folders: atomic writes, a resolver for the newest complete one, pruning.

A checkpoint is ``<run>/checkpoints/step_00001234/`` holding Accelerate's state
(models, optimizers, RNG states, registered objects) plus ``trainer.json``. It is written to
``.tmp_step_00001234`` and renamed only when complete, so a run killed mid-write leaves either
the previous checkpoint or the new one, never half of one.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

__all__ = ["CHECKPOINT_DIR", "checkpoint_path", "latest_checkpoint", "read_trainer_state",
           "finalize_checkpoint", "prune_checkpoints", "clean_partial"]

CHECKPOINT_DIR = "checkpoints"
TRAINER_STATE = "trainer.json"
_NAME = re.compile(r"^step_(\d{8})$")


def checkpoint_path(run_dir: Path, step: int, *, partial: bool = False) -> Path:
    name = f"step_{step:08d}"
    return Path(run_dir) / CHECKPOINT_DIR / (f".tmp_{name}" if partial else name)


def _complete(path: Path) -> bool:
    return _NAME.match(path.name) is not None and (path / TRAINER_STATE).is_file()


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The newest complete checkpoint of a run, or None."""
    root = Path(run_dir) / CHECKPOINT_DIR
    if not root.is_dir():
        return None
    done = sorted((p for p in root.iterdir() if p.is_dir() and _complete(p)), key=lambda p: p.name)
    return done[-1] if done else None


def read_trainer_state(checkpoint: Path) -> dict:
    """``{"step": int, "epoch": int, ...}`` saved beside Accelerate's state."""
    return json.loads((Path(checkpoint) / TRAINER_STATE).read_text())


def finalize_checkpoint(partial: Path, final: Path, state: dict) -> None:
    """Write ``trainer.json`` into a fully saved partial folder and rename it into place."""
    (partial / TRAINER_STATE).write_text(json.dumps(state, indent=1))
    if final.exists():  # an identical step saved again (e.g. end of a resumed, finished run)
        shutil.rmtree(final)
    partial.rename(final)


def prune_checkpoints(run_dir: Path, keep: int) -> None:
    """Delete all but the ``keep`` newest complete checkpoints."""
    root = Path(run_dir) / CHECKPOINT_DIR
    done = sorted((p for p in root.iterdir() if p.is_dir() and _complete(p)), key=lambda p: p.name)
    for old in done[: max(0, len(done) - keep)]:
        shutil.rmtree(old, ignore_errors=True)


def clean_partial(run_dir: Path) -> None:
    """Remove partial checkpoints left by a run that was killed while saving."""
    root = Path(run_dir) / CHECKPOINT_DIR
    if root.is_dir():
        for p in root.glob(".tmp_step_*"):
            shutil.rmtree(p, ignore_errors=True)
