"""A tiny G/D task that exercises the training loop; also runnable as a script:

    python tests/toy_task.py RUN_DIR --steps N [--sleep S]    (torchrun works too)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import TensorDataset

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tryon.training import EMA, StepContext, TrainingTask, TrainOptions, train  # noqa: E402


class _Dict(TensorDataset):
    def __getitem__(self, i):
        (x,) = super().__getitem__(i)
        return {"x": x}


class ToyTask(TrainingTask):
    name = "toy"

    def __init__(self, sleep: float = 0.0) -> None:
        self.sleep = sleep
        data = torch.Generator().manual_seed(123)
        self.data = _Dict(torch.rand(64, 3, 8, 8, generator=data) * 2 - 1)

    def build_models(self):
        return {"gen": nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.SiLU(), nn.Conv2d(8, 3, 3, padding=1)),
                "disc": nn.Sequential(nn.Conv2d(3, 4, 3, stride=2), nn.Flatten(), nn.Linear(36, 1))}

    def build_optimizers(self, models):
        return {"gen": torch.optim.Adam(models["gen"].parameters(), 1e-2),
                "disc": torch.optim.Adam(models["disc"].parameters(), 1e-2)}

    def train_dataset(self):
        return self.data

    def checkpoint_objects(self, models):
        self.ema = EMA(models["gen"], decay=0.9)
        return [self.ema]

    def after_step(self, ctx: StepContext) -> None:
        self.ema.update(ctx.unwrap("gen"))
        if self.sleep:
            time.sleep(self.sleep)

    def train_step(self, ctx: StepContext, batch):
        acc, gen, disc = ctx.accelerator, ctx.models["gen"], ctx.models["disc"]
        opt_g, opt_d = ctx.optimizers["gen"], ctx.optimizers["disc"]
        x = batch["x"]
        # D phase
        fake = gen(x)
        loss_d = torch.relu(1 - disc(x)).mean() + torch.relu(1 + disc(fake.detach())).mean()
        acc.backward(loss_d)
        opt_d.step()
        opt_d.zero_grad()
        # G phase: the bare discriminator, frozen
        d = ctx.unwrap("disc").requires_grad_(False)
        loss_g = -d(fake).mean() + (fake - x).abs().mean()
        acc.backward(loss_g)
        d.requires_grad_(True)
        opt_g.step()
        opt_g.zero_grad()
        return {"d": loss_d.detach(), "g": loss_g.detach()}

    def sample_grid(self, models, batch):
        x = batch["x"][:4]
        return [(x + 1) / 2, (models["gen"](x).clamp(-1, 1) + 1) / 2]

    def export(self, models, directory):
        directory.mkdir(parents=True, exist_ok=True)
        torch.save({"gen": models["gen"].state_dict(), "ema": self.ema.shadow.state_dict()},
                   directory / "weights.pt")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--sleep", type=float, default=0.0)
    ap.add_argument("--checkpoint-every", type=int, default=2)
    a = ap.parse_args()
    train(ToyTask(a.sleep), TrainOptions(run_dir=a.run_dir, max_steps=a.steps, batch_size=4,
                                         checkpoint_every=a.checkpoint_every, sample_every=3,
                                         log_every=1, progress=False))


if __name__ == "__main__":
    main()
