"""Checkpoint folders: atomic writes, a resolver for the newest complete one, pruning.

A checkpoint is ``<run>/checkpoints/step_00001234/`` holding Accelerate's state
(models, optimizers, RNG states), the task's extra objects (an EMA) as safetensors
(``object_<i>.safetensors``: Accelerate would pickle them) plus ``trainer.json``. It is written to
``.tmp_step_00001234`` and renamed only when complete, so a run killed mid-write leaves either
the previous checkpoint or the new one, never half of one.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

__all__ = ["CHECKPOINT_DIR", "checkpoint_path", "latest_checkpoint", "read_trainer_state",
           "finalize_checkpoint", "prune_checkpoints", "clean_partial", "save_objects", "load_objects"]

CHECKPOINT_DIR = "checkpoints"
TRAINER_STATE = "trainer.json"
_NAME = re.compile(r"^step_(\d{8})$")
OBJECT_FILE = "object_{}.safetensors"
_SCALARS = "scalars"    # safetensors metadata key: the state's non-tensor leaves, as JSON


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


def _flatten(state: dict, prefix: str = "") -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    tensors, scalars = {}, {}
    for key, value in state.items():
        name = f"{prefix}{key}"
        if isinstance(value, torch.Tensor):
            tensors[name] = value.detach().to("cpu").contiguous().clone()
        elif isinstance(value, dict):
            t, s = _flatten(value, name + ".")
            tensors.update(t)
            scalars.update(s)
        else:
            scalars[name] = value
    return tensors, scalars


def _unflatten(flat: dict[str, Any], template: dict) -> dict:
    """Rebuild a nested state shaped like ``template`` (the object's own state_dict) from
    dotted keys; a nested dict's keys may themselves hold dots (module parameter names). A
    scalar the checkpoint lacks (saved before the object had it) is left out: the object's
    ``load_state_dict`` decides its default."""
    out = {}
    for key, value in template.items():
        if isinstance(value, dict):
            sub = {k[len(key) + 1:]: v for k, v in flat.items() if k.startswith(key + ".")}
            out[key] = _unflatten(sub, value) if any(isinstance(v, dict) for v in value.values()) else sub
        elif key in flat:
            out[key] = flat[key]
    return out


def save_objects(objects: list, folder: Path) -> None:
    """Write each object's ``state_dict()`` (tensors and JSON-able scalars, nested dicts allowed)
    to ``folder/object_<i>.safetensors``."""
    for i, obj in enumerate(objects):
        tensors, scalars = _flatten(obj.state_dict())
        save_file(tensors, str(Path(folder) / OBJECT_FILE.format(i)), metadata={_SCALARS: json.dumps(scalars)})


def load_objects(objects: list, folder: Path) -> int:
    """Load what :func:`save_objects` wrote into each object; returns how many were found (a
    checkpoint from before they were saved this way has none: the objects keep their state)."""
    from safetensors import safe_open

    found = 0
    for i, obj in enumerate(objects):
        path = Path(folder) / OBJECT_FILE.format(i)
        if not path.is_file():
            continue
        with safe_open(str(path), framework="pt") as f:
            scalars = json.loads((f.metadata() or {}).get(_SCALARS, "{}"))
        obj.load_state_dict(_unflatten({**load_file(str(path)), **scalars}, obj.state_dict()))
        found += 1
    return found
