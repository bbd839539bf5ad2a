"""One Accelerate training loop for every model in tryon.

A model plugs in as a :class:`TrainingTask`: it builds its networks, optimizers and dataset,
does one batch's G and D phases in :meth:`TrainingTask.train_step`, draws a sample grid and
exports inference weights. The loop does the rest, the same way on one CPU or many GPUs and
machines (``accelerate launch`` / ``torchrun``):

- seeding (identical initial weights on every process; a seeded, resumable sampler);
- ONE ``accelerator.accumulate(...)`` block per batch (gradient accumulation, DDP no-sync);
- bf16 autocast (``mixed_precision="bf16"``; fp16 only on CUDA);
- atomic checkpoints every N steps and at the end, resumed after a kill (model, optimizers,
  RNG, registered state such as an EMA, and the exact position in the epoch);
- TensorBoard scalars, a ``stats.jsonl`` log and sample-grid PNGs every N steps;
- a progress bar, a wall-clock budget (``max_minutes``), and a replica check across processes.

Run folder (``options.run_dir``)::

    options.json        resolved options and the task's config
    stats.jsonl         one line of mean losses per log interval
    logs/<task>/        TensorBoard events
    samples/step_*.png  sample grids
    checkpoints/step_*  resumable state (the newest ``keep_checkpoints``)
    export/             inference weights (config.json + model.safetensors) at the end
    replicas.json       per-process parameter checksums (multi-process runs)
"""

from __future__ import annotations

import json
import math
import time
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from tryon.training.checkpoint import (
    checkpoint_path,
    clean_partial,
    finalize_checkpoint,
    latest_checkpoint,
    prune_checkpoints,
    read_trainer_state,
)
from tryon.training.grid import save_grid

__all__ = ["TrainOptions", "TrainingTask", "StepContext", "train"]


@dataclass
class TrainOptions:
    """How to train (what to train is the task's business)."""

    run_dir: Path                    # every output of this run goes here; rerun to resume
    max_steps: int = 10_000          # optimizer steps (one step = grad_accum batches)
    batch_size: int = 32             # per process and per forward pass
    grad_accum: int = 1              # batches accumulated into one optimizer step
    mixed_precision: str = "no"      # "no" | "bf16" (CPU and GPU) | "fp16" (CUDA only)
    seed: int = 0                    # same seed, same data, same machine -> same weights
    num_workers: int = 0             # DataLoader worker processes
    log_every: int = 25              # steps between scalar logs
    sample_every: int = 500          # steps between sample grids
    checkpoint_every: int = 500      # steps between checkpoints
    keep_checkpoints: int = 2        # newest complete checkpoints kept
    max_minutes: float | None = None  # stop cleanly (checkpoint + export) after this wall time
    resume: bool = True              # continue from the newest checkpoint in run_dir
    progress: bool = True            # show a progress bar on the main process

    def __post_init__(self) -> None:
        self.run_dir = Path(self.run_dir)
        if self.mixed_precision not in ("no", "bf16", "fp16"):
            raise ValueError(f"mixed_precision must be no, bf16 or fp16, not {self.mixed_precision!r}")
        for name in ("max_steps", "batch_size", "grad_accum", "log_every", "sample_every",
                     "checkpoint_every", "keep_checkpoints"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")


@dataclass
class StepContext:
    """What a task's :meth:`TrainingTask.train_step` gets besides the batch."""

    accelerator: Any                   # accelerate.Accelerator
    models: dict[str, nn.Module]       # prepared (possibly DDP-wrapped) models
    optimizers: dict[str, torch.optim.Optimizer]
    step: int                          # optimizer steps done so far
    extras: dict[str, Any] = field(default_factory=dict)

    def unwrap(self, name: str) -> nn.Module:
        """The bare module behind ``models[name]`` (e.g. a discriminator used in the G phase)."""
        return self.accelerator.unwrap_model(self.models[name])


class TrainingTask(ABC):
    """What a model must implement to be trained by :func:`train`."""

    name: str = "task"

    @abstractmethod
    def build_models(self) -> dict[str, nn.Module]:
        """Fresh networks by name (created after the seed is set)."""

    @abstractmethod
    def build_optimizers(self, models: dict[str, nn.Module]) -> dict[str, torch.optim.Optimizer]:
        """Optimizers by name, over the given (unprepared) models."""

    @abstractmethod
    def train_dataset(self) -> Dataset:
        """The training set; items are dicts of tensors."""

    @abstractmethod
    def train_step(self, ctx: StepContext, batch: dict) -> dict[str, torch.Tensor]:
        """One batch: all phases (e.g. D then G), each with ``ctx.accelerator.backward`` and
        its optimizer's ``step`` / ``zero_grad``. Runs inside the loop's single
        ``accumulate`` block. Returns detached scalar losses to log."""

    @abstractmethod
    def sample_grid(self, models: dict[str, nn.Module], batch: dict) -> list[torch.Tensor]:
        """Rows of ``(N, C, H, W)`` images in ``[0, 1]`` for the sample grid."""

    @abstractmethod
    def export(self, models: dict[str, nn.Module], directory: Path) -> None:
        """Write the inference weights (``save_pretrained``) under ``directory``."""

    def sample_batch(self) -> dict:
        """A fixed batch for sample grids (default: the first items of the training set)."""
        ds = self.train_dataset()
        items = [ds[i] for i in range(min(8, len(ds)))]
        return torch.utils.data.default_collate(items)

    def checkpoint_objects(self, models: dict[str, nn.Module]) -> list[Any]:
        """Extra objects with state_dict/load_state_dict to checkpoint (e.g. an EMA)."""
        return []

    def after_step(self, ctx: StepContext) -> None:
        """Called after each optimizer step (e.g. to update an EMA)."""

    def config(self) -> dict:
        """The task's own settings, saved in options.json."""
        return {}


def _checksum(models: dict[str, nn.Module]) -> float:
    with torch.no_grad():
        return float(sum(p.double().sum().item() + (p.double() ** 2).sum().item()
                         for m in models.values() for p in m.parameters()))


def _save(accelerator, run_dir: Path, step: int, epoch: int, batches_done: int, keep: int) -> None:
    partial = checkpoint_path(run_dir, step, partial=True)
    if accelerator.is_main_process:
        partial.parent.mkdir(parents=True, exist_ok=True)
    accelerator.wait_for_everyone()
    accelerator.save_state(output_dir=str(partial))
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        state = {"step": step, "epoch": epoch, "batches_done": batches_done, "time": time.time()}
        finalize_checkpoint(partial, checkpoint_path(run_dir, step), state)
        prune_checkpoints(run_dir, keep)
    accelerator.wait_for_everyone()


def train(task: TrainingTask, options: TrainOptions) -> dict:
    """Train ``task`` until ``options.max_steps`` (or the time budget); resume when possible.

    Returns a summary: ``{"step", "epochs", "images_per_second", "stopped", "export_dir"}``.
    """
    from accelerate import Accelerator
    from accelerate.utils import DataLoaderConfiguration, ProjectConfiguration, set_seed
    from tqdm import tqdm

    run_dir = options.run_dir
    accelerator = Accelerator(
        cpu=not torch.cuda.is_available(),
        mixed_precision=options.mixed_precision,
        gradient_accumulation_steps=options.grad_accum,
        log_with="tensorboard",
        project_config=ProjectConfiguration(project_dir=str(run_dir), logging_dir=str(run_dir / "logs")),
        dataloader_config=DataLoaderConfiguration(use_seedable_sampler=True),
    )
    # 1. Seed before building anything: every process starts from identical weights.
    set_seed(options.seed)
    if accelerator.is_main_process:
        run_dir.mkdir(parents=True, exist_ok=True)
        clean_partial(run_dir)
        opts = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(options).items()}
        (run_dir / "options.json").write_text(json.dumps(
            {"task": task.name, "options": opts, "config": task.config(),
             "processes": accelerator.num_processes}, indent=1))

    # 2. Models, optimizers, data; one prepare() call.
    models = task.build_models()
    optimizers = task.build_optimizers(models)
    dataset = task.train_dataset()
    if len(dataset) < options.batch_size * accelerator.num_processes:
        raise ValueError(f"the training set has {len(dataset)} items, fewer than one batch per process")
    generator = torch.Generator().manual_seed(options.seed)
    loader = DataLoader(dataset, batch_size=options.batch_size, shuffle=True, drop_last=True,
                        num_workers=options.num_workers, generator=generator,
                        persistent_workers=options.num_workers > 0)
    names, opt_names = list(models), list(optimizers)
    prepared = accelerator.prepare(*models.values(), *optimizers.values(), loader)
    models = dict(zip(names, prepared[: len(names)]))
    optimizers = dict(zip(opt_names, prepared[len(names) : len(names) + len(opt_names)]))
    loader = prepared[-1]
    for obj in task.checkpoint_objects({k: accelerator.unwrap_model(m) for k, m in models.items()}):
        accelerator.register_for_checkpointing(obj)
    sample_batch = task.sample_batch()

    # 3. Resume from the newest complete checkpoint.
    step, epoch, batches_done = 0, 0, 0
    resumed_from = latest_checkpoint(run_dir) if options.resume else None
    if resumed_from is not None:
        accelerator.load_state(str(resumed_from))
        state = read_trainer_state(resumed_from)
        step, epoch, batches_done = state["step"], state["epoch"], state["batches_done"]
    accelerator.init_trackers(task.name)

    ctx = StepContext(accelerator, models, optimizers, step)
    bar = tqdm(total=options.max_steps, initial=step, desc=task.name, unit="step",
               disable=not (options.progress and accelerator.is_main_process), dynamic_ncols=True)
    sums: dict[str, float] = {}
    count, images, t_start = 0, 0, time.perf_counter()
    stopped = "max_steps" if step >= options.max_steps else None
    deadline = t_start + options.max_minutes * 60 if options.max_minutes else math.inf
    stats_path = run_dir / "stats.jsonl"

    # 4. Epochs of batches; each batch = one accumulate block with all of the task's phases.
    while stopped is None:
        if hasattr(loader, "set_epoch"):
            loader.set_epoch(epoch)
        batches = accelerator.skip_first_batches(loader, batches_done) if batches_done else loader
        for batch in batches:
            for m in models.values():
                m.train()
            with accelerator.accumulate(*models.values()):
                logs = task.train_step(ctx, batch)
            batches_done += 1
            images += options.batch_size * accelerator.num_processes
            for k, v in logs.items():
                sums[k] = sums.get(k, 0.0) + float(v)
            count += 1
            if not accelerator.sync_gradients:
                continue
            step += 1
            ctx.step = step
            task.after_step(ctx)
            bar.update(1)
            if step % options.log_every == 0 or step == options.max_steps:
                means = {k: v / count for k, v in sums.items()}
                rate = images / max(time.perf_counter() - t_start, 1e-9)
                bar.set_postfix({k: f"{v:.3g}" for k, v in list(means.items())[:4]})
                accelerator.log({**{f"loss/{k}": v for k, v in means.items()}, "images_per_second": rate}, step=step)
                if accelerator.is_main_process:
                    with stats_path.open("a") as f:
                        f.write(json.dumps({"step": step, "epoch": epoch, "images_per_second": round(rate, 2),
                                            **{k: round(v, 6) for k, v in means.items()}}) + "\n")
                sums, count = {}, 0
            if step % options.sample_every == 0 or step == options.max_steps:
                _write_samples(task, accelerator, models, sample_batch, run_dir, step)
            if step >= options.max_steps:
                stopped = "max_steps"
            elif time.perf_counter() > deadline:
                stopped = "time_budget"
            if stopped or step % options.checkpoint_every == 0:
                _save(accelerator, run_dir, step, epoch, batches_done, options.keep_checkpoints)
            if stopped:
                break
        else:
            epoch += 1
            batches_done = 0
    bar.close()

    # 5. Export inference weights and check that the replicas agree.
    export_dir = run_dir / "export"
    unwrapped = {k: accelerator.unwrap_model(m) for k, m in models.items()}
    sums_all = accelerator.gather(torch.tensor([_checksum(unwrapped)], dtype=torch.float64,
                                               device=accelerator.device)).tolist()
    if accelerator.is_main_process:
        task.export(unwrapped, export_dir)
        if accelerator.num_processes > 1:
            (run_dir / "replicas.json").write_text(json.dumps(
                {"checksums": sums_all, "identical": len(set(sums_all)) == 1}, indent=1))
    accelerator.wait_for_everyone()
    accelerator.end_training()
    elapsed = time.perf_counter() - t_start
    return {"step": step, "epochs": epoch, "stopped": stopped, "export_dir": str(export_dir),
            "resumed_from": str(resumed_from) if resumed_from else None,
            "images_per_second": round(images / elapsed, 2) if images else 0.0}


def _write_samples(task, accelerator, models, batch, run_dir: Path, step: int) -> None:
    if not accelerator.is_main_process:
        return
    from tryon.training.grid import make_grid

    unwrapped = {k: accelerator.unwrap_model(m) for k, m in models.items()}
    for m in unwrapped.values():
        m.eval()
    with torch.no_grad(), accelerator.autocast():
        rows = task.sample_grid(unwrapped, {k: v.to(accelerator.device) if torch.is_tensor(v) else v
                                            for k, v in batch.items()})
    grid = make_grid(rows)
    save_grid(grid, run_dir / "samples" / f"step_{step:08d}.png")
    try:
        tracker = accelerator.get_tracker("tensorboard", unwrap=True)
        tracker.add_image("samples", grid, global_step=step)
    except (ValueError, AttributeError):
        pass
    for m in unwrapped.values():
        m.train()
