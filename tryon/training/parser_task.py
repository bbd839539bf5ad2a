"""The body parser as a training task: per-pixel cross-entropy plus soft Dice on VITON's parse maps.

One optimizer step per batch (no discriminator); an EMA of the weights (BatchNorm statistics
included) is what gets exported. The learning rate warms up, then falls along a cosine to
``lr_floor`` at ``decay_steps``. Sample grids: photos (augmented like training's, to show what the
parser sees), the true maps, and the EMA parser's maps.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from tryon.losses import segmentation_loss
from tryon.models.parser import BodyParser, ParserConfig, class_to_lip
from tryon.parse import colorize
from tryon.training.ema import EMA
from tryon.training.grid import to_unit
from tryon.training.loop import StepContext, TrainingTask

__all__ = ["ParserTask", "ParserHyper"]


@dataclass
class ParserHyper:
    """Optimisation of the parser (the model's size is :class:`ParserConfig`)."""

    lr: float = 3e-3
    lr_floor: float = 1e-4
    weight_decay: float = 1e-4
    warmup: int = 200          # steps of linear learning-rate warm-up
    decay_steps: int = 5000    # the cosine reaches lr_floor here and stays
    dice_weight: float = 1.0
    ema_decay: float = 0.998


class ParserTask(TrainingTask):
    """Trains :class:`BodyParser` on ``{"image": (3, H, W) in [-1, 1], "label": (H, W) int64}``.

    Args:
        train_set: augmented training photos (persons of neither the validation nor the test pairs).
        val_set: validation photos, unaugmented (for the sample grids).
        config: the model's size.
        hyper: optimisation settings.
    """

    name = "parser"

    def __init__(self, train_set, val_set, config: ParserConfig | None = None,
                 hyper: ParserHyper | None = None) -> None:
        self.train_set, self.val_set = train_set, val_set
        self.model_config = config or ParserConfig()
        self.hyper = hyper or ParserHyper()

    def config(self) -> dict:
        return {"hyper": asdict(self.hyper), "parser": asdict(self.model_config),
                "train_items": len(self.train_set), "val_items": len(self.val_set)}

    def build_models(self):
        return {"parser": BodyParser(self.model_config)}

    def build_optimizers(self, models):
        h = self.hyper
        return {"parser": torch.optim.AdamW(models["parser"].parameters(), lr=h.lr, weight_decay=h.weight_decay)}

    def checkpoint_objects(self, models):
        self.ema = EMA(models["parser"], decay=self.hyper.ema_decay)
        return [self.ema]

    def train_dataset(self):
        return self.train_set

    def sample_batch(self) -> dict:
        items = [self.val_set[i] for i in range(min(8, len(self.val_set)))]
        items += [self.train_set[i] for i in range(min(4, len(self.train_set)))]
        return torch.utils.data.default_collate(items)

    def learning_rate(self, step: int) -> float:
        """Warm-up, then cosine from ``lr`` to ``lr_floor`` at ``decay_steps``."""
        h = self.hyper
        if step < h.warmup:
            return h.lr * (step + 1) / h.warmup
        t = min(1.0, (step - h.warmup) / max(1, h.decay_steps - h.warmup))
        return h.lr_floor + (h.lr - h.lr_floor) * 0.5 * (1 + math.cos(math.pi * t))

    def train_step(self, ctx: StepContext, batch: dict) -> dict[str, torch.Tensor]:
        opt = ctx.optimizers["parser"]
        for group in opt.param_groups:
            group["lr"] = self.learning_rate(ctx.step)
        logits = ctx.models["parser"](batch["image"])
        loss, dice = segmentation_loss(logits, batch["label"], self.hyper.dice_weight)
        ctx.accelerator.backward(loss)
        opt.step()
        opt.zero_grad(set_to_none=True)
        with torch.no_grad():
            accuracy = (logits.argmax(1) == batch["label"]).float().mean()
        return {"loss": loss.detach(), "dice": dice.detach(), "pixel_accuracy": accuracy}

    def after_step(self, ctx: StepContext) -> None:
        self.ema.update(ctx.unwrap("parser"))

    def sample_grid(self, models, batch):
        pred = self.ema.shadow.to(batch["image"].device)(batch["image"]).argmax(1)
        return [to_unit(batch["image"]), colorize(class_to_lip(batch["label"])), colorize(class_to_lip(pred))]

    def export(self, models, directory: Path) -> None:
        self.ema.shadow.save_pretrained(Path(directory) / "parser", dtype=torch.float16)
