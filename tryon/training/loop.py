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
    load_objects,
    prune_checkpoints,
    read_trainer_state,
    save_objects,
)
from tryon.training.grid import save_grid

__all__ = ["TrainOptions", "TrainingTask", "StepContext", "train", "warmup_cosine"]


def warmup_cosine(step: int, lr: float, lr_floor: float, warmup: int, decay_steps: int) -> float:
    """The learning rate at ``step``: a linear warm-up to ``lr`` over ``warmup`` steps, then a
    cosine down to ``lr_floor`` at ``decay_steps``, and ``lr_floor`` after."""
    if step < warmup:
        return lr * (step + 1) / warmup
    t = min(1.0, (step - warmup) / max(1, decay_steps - warmup))
    return lr_floor + (lr - lr_floor) * 0.5 * (1 + math.cos(math.pi * t))


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
    checkpoint_objects: list[Any] = field(default_factory=list)  # the task's, saved as safetensors

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


@dataclass
class _Progress:
    """Where the loop stands, and what it has summed since the last log."""

    step: int = 0                      # optimizer steps done
    epoch: int = 0                     # epochs done
    batches_done: int = 0              # batches done in the current epoch
    images: int = 0                    # images trained on in this session, all processes
    sums: dict[str, float] = field(default_factory=dict)  # loss sums since the last log
    count: int = 0                     # batches since the last log
    stopped: str | None = None         # why the loop ends: "max_steps" | "time_budget"
    t_start: float = 0.0               # time.perf_counter() when the step loop started
    deadline: float = math.inf         # time.perf_counter() at which the time budget is spent


def _checksum(models: dict[str, nn.Module]) -> float:
    with torch.no_grad():
        return float(sum(p.double().sum().item() + (p.double() ** 2).sum().item()
                         for m in models.values() for p in m.parameters()))


def _save(accelerator, run_dir: Path, step: int, epoch: int, batches_done: int, keep: int,
          objects: list[Any]) -> None:
    partial = checkpoint_path(run_dir, step, partial=True)
    if accelerator.is_main_process:
        partial.parent.mkdir(parents=True, exist_ok=True)
    accelerator.wait_for_everyone()
    accelerator.save_state(output_dir=str(partial))
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        save_objects(objects, partial)
        state = {"step": step, "epoch": epoch, "batches_done": batches_done, "time": time.time()}
        finalize_checkpoint(partial, checkpoint_path(run_dir, step), state)
        prune_checkpoints(run_dir, keep)
    accelerator.wait_for_everyone()


def train(task: TrainingTask, options: TrainOptions) -> dict:
    """Train ``task`` until ``options.max_steps`` (or the time budget); resume when possible.

    Returns a summary: ``{"step", "epochs", "images_per_second", "stopped", "export_dir"}``.
    """
    from tqdm import tqdm

    run_dir = options.run_dir
    accelerator = _make_accelerator(options)
    # 1. Seed before building anything: every process starts from identical weights.
    _start_run(task, options, accelerator)

    # 2. Models, optimizers, data; one prepare() call.
    models, optimizers, loader = _prepare(task, options, accelerator)
    objects = task.checkpoint_objects({k: accelerator.unwrap_model(m) for k, m in models.items()})
    sample_batch = task.sample_batch()

    # 3. Resume from the newest complete checkpoint.
    resumed_from, progress = _resume(accelerator, options, objects)
    accelerator.init_trackers(task.name)

    ctx = StepContext(accelerator, models, optimizers, progress.step, checkpoint_objects=objects)
    bar = tqdm(total=options.max_steps, initial=progress.step, desc=task.name, unit="step",
               disable=not (options.progress and accelerator.is_main_process), dynamic_ncols=True)
    progress.t_start = time.perf_counter()
    progress.stopped = "max_steps" if progress.step >= options.max_steps else None
    progress.deadline = progress.t_start + options.max_minutes * 60 if options.max_minutes else math.inf

    # 4. Epochs of batches; each batch = one accumulate block with all of the task's phases.
    _run_epochs(task, options, ctx, loader, sample_batch, bar, progress)
    bar.close()

    # 5. Export inference weights and check that the replicas agree.
    export_dir = _export(task, accelerator, models, run_dir)
    accelerator.end_training()
    elapsed = time.perf_counter() - progress.t_start
    return {"step": progress.step, "epochs": progress.epoch, "stopped": progress.stopped,
            "export_dir": str(export_dir),
            "resumed_from": str(resumed_from) if resumed_from else None,
            "images_per_second": round(progress.images / elapsed, 2) if progress.images else 0.0}


def _make_accelerator(options: TrainOptions):
    """The run's ``accelerate.Accelerator``: CPU without CUDA, TensorBoard under ``logs/``,
    a seedable sampler (so a resumed epoch sees the same batch order)."""
    from accelerate import Accelerator
    from accelerate.utils import DataLoaderConfiguration, ProjectConfiguration

    run_dir = options.run_dir
    return Accelerator(
        cpu=not torch.cuda.is_available(),
        mixed_precision=options.mixed_precision,
        gradient_accumulation_steps=options.grad_accum,
        log_with="tensorboard",
        project_config=ProjectConfiguration(project_dir=str(run_dir), logging_dir=str(run_dir / "logs")),
        dataloader_config=DataLoaderConfiguration(use_seedable_sampler=True),
    )


def _start_run(task: TrainingTask, options: TrainOptions, accelerator) -> None:
    """Step 1: set the seed; on the main process create the run folder, drop a half-written
    checkpoint and write ``options.json``."""
    from accelerate.utils import set_seed

    run_dir = options.run_dir
    set_seed(options.seed)
    if accelerator.is_main_process:
        run_dir.mkdir(parents=True, exist_ok=True)
        clean_partial(run_dir)
        opts = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(options).items()}
        (run_dir / "options.json").write_text(json.dumps(
            {"task": task.name, "options": opts, "config": task.config(),
             "processes": accelerator.num_processes}, indent=1))


def _prepare(task: TrainingTask, options: TrainOptions, accelerator) -> tuple[dict, dict, Any]:
    """Step 2: build the task's models, optimizers and loader, pass them through ONE
    ``accelerator.prepare`` call.

    Returns ``(models, optimizers, loader)``, prepared, models and optimizers by name.
    """
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
    return models, optimizers, loader


def _resume(accelerator, options: TrainOptions, objects: list[Any]) -> tuple[Path | None, _Progress]:
    """Step 3: load the newest complete checkpoint (when ``options.resume``).

    Returns ``(checkpoint or None, progress)``: the step, epoch and batches done in that
    epoch as the checkpoint recorded them, else all 0.
    """
    progress = _Progress()
    resumed_from = latest_checkpoint(options.run_dir) if options.resume else None
    if resumed_from is not None:
        accelerator.load_state(str(resumed_from))  # models, optimizers, RNG: torch.load(weights_only=True)
        load_objects(objects, resumed_from)
        state = read_trainer_state(resumed_from)
        progress.step, progress.epoch, progress.batches_done = state["step"], state["epoch"], state["batches_done"]
    return resumed_from, progress


def _run_epochs(task: TrainingTask, options: TrainOptions, ctx: StepContext, loader, sample_batch: dict,
                bar, progress: _Progress) -> None:
    """Step 4: epochs of batches until ``progress.stopped``; a resumed epoch skips the batches
    it already did. Each batch is one ``accumulate`` block with all of the task's phases."""
    accelerator, models = ctx.accelerator, ctx.models
    while progress.stopped is None:
        if hasattr(loader, "set_epoch"):
            loader.set_epoch(progress.epoch)
        batches_done = progress.batches_done
        batches = accelerator.skip_first_batches(loader, batches_done) if batches_done else loader
        for batch in batches:
            for m in models.values():
                m.train()
            with accelerator.accumulate(*models.values()):
                logs = task.train_step(ctx, batch)
            progress.batches_done += 1
            progress.images += options.batch_size * accelerator.num_processes
            for k, v in logs.items():
                progress.sums[k] = progress.sums.get(k, 0.0) + float(v)
            progress.count += 1
            if not accelerator.sync_gradients:
                continue
            _after_optimizer_step(task, options, ctx, models, sample_batch, bar, progress)
            if progress.stopped:
                break
        else:
            progress.epoch += 1
            progress.batches_done = 0


def _after_optimizer_step(task: TrainingTask, options: TrainOptions, ctx: StepContext,
                          models: dict[str, nn.Module], sample_batch: dict, bar,
                          progress: _Progress) -> None:
    """Count the step, then log, draw samples, decide whether to stop and checkpoint, each
    on its interval (and always at ``max_steps``; a checkpoint also when stopping)."""
    accelerator, run_dir = ctx.accelerator, options.run_dir
    progress.step += 1
    step = progress.step
    ctx.step = step
    task.after_step(ctx)
    bar.update(1)
    if step % options.log_every == 0 or step == options.max_steps:
        _log(accelerator, bar, run_dir / "stats.jsonl", progress)
    if step % options.sample_every == 0 or step == options.max_steps:
        _write_samples(task, accelerator, models, sample_batch, run_dir, step)
    if step >= options.max_steps:
        progress.stopped = "max_steps"
    elif time.perf_counter() > progress.deadline:
        progress.stopped = "time_budget"
    if progress.stopped or step % options.checkpoint_every == 0:
        _save(accelerator, run_dir, step, progress.epoch, progress.batches_done, options.keep_checkpoints,
              ctx.checkpoint_objects)


def _log(accelerator, bar, stats_path: Path, progress: _Progress) -> None:
    """Mean losses since the last log and the image rate: to the progress bar, the trackers
    and (main process) one line of ``stats.jsonl``; then start new sums."""
    means = {k: v / progress.count for k, v in progress.sums.items()}
    rate = progress.images / max(time.perf_counter() - progress.t_start, 1e-9)
    bar.set_postfix({k: f"{v:.3g}" for k, v in list(means.items())[:4]})
    accelerator.log({**{f"loss/{k}": v for k, v in means.items()}, "images_per_second": rate},
                    step=progress.step)
    if accelerator.is_main_process:
        with stats_path.open("a") as f:
            f.write(json.dumps({"step": progress.step, "epoch": progress.epoch,
                                "images_per_second": round(rate, 2),
                                **{k: round(v, 6) for k, v in means.items()}}) + "\n")
    progress.sums, progress.count = {}, 0


def _export(task: TrainingTask, accelerator, models: dict[str, nn.Module], run_dir: Path) -> Path:
    """Step 5: write the inference weights under ``run_dir/export`` (main process) and, with
    several processes, ``replicas.json`` with each replica's parameter checksum."""
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
    return export_dir


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
