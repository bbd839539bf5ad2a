"""The sleeve reader as a training task: cross-entropy over the sleeve kinds of garment photos.

Each VITON garment carries the kind of sleeve its wearer shows in the paired photo
(:mod:`tryon.data.sleeves`); wild photos, when given, the kind of their class
(:mod:`tryon.data.wild_garments`). Augmentation: the garment data set's flip, scale, shift and
colour jitter, plus, on VITON's garments, a mask edge grown or eaten by a few pixels (a shopper's
photo is segmented automatically, so its outline is rougher than VITON's cloth masks). The
learning rate warms up, then falls along a cosine to ``lr_floor`` at ``decay_steps``. Sample
grids: the validation garments with a band in the colour of their wearer's kind (top row), then
of the reader's (bottom row): red sleeveless, green short, blue long.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from tryon.models.sleeve_reader import SLEEVE_KINDS, SleeveReader, SleeveReaderConfig
from tryon.training.grid import to_unit
from tryon.training.loop import StepContext, TrainingTask, warmup_cosine

__all__ = ["SleeveDataset", "SleeveHyper", "SleeveTask"]

KIND_COLOURS = ((0.85, 0.2, 0.2), (0.2, 0.7, 0.2), (0.2, 0.3, 0.85))  # per SLEEVE_KINDS, for the sample grids
BAND_SHARE = 8               # the kind's band is a tile's height over this
EDGE_JITTER = 0.5            # share of training garments whose mask edge is grown or eaten
EDGE_PIXELS = (1, 2)         # by this many pixels (at the reader's 128x96)


class SleeveDataset(torch.utils.data.Dataset):
    """Garments with their sleeve kind: ``{"garment": (4, H, W) float32 in [-1, 1], "kind": int64}``.

    Args:
        garments: a :class:`tryon.data.GarmentDataset` at the reader's resolution.
        kinds: ``{garment name: kind index}``; garments without one are left out.
        edge_jitter: grow or eat the mask edge of this share of the items (training only).
    """

    def __init__(self, garments, kinds: dict[str, int], edge_jitter: float = 0.0) -> None:
        self.garments = garments
        self.rows = [i for i, n in enumerate(garments.names) if kinds.get(n) is not None]
        self.kinds = [kinds[garments.names[i]] for i in self.rows]
        self.edge_jitter = edge_jitter

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> dict:
        garment = self.garments[self.rows[index]]["garment"]
        if self.edge_jitter and float(torch.rand(())) < self.edge_jitter:
            garment = _jitter_edge(garment, int(torch.randint(EDGE_PIXELS[0], EDGE_PIXELS[1] + 1, ())),
                                   grow=bool(torch.rand(()) < 0.5))
        return {"garment": garment, "kind": torch.tensor(self.kinds[index])}


def _jitter_edge(garment: torch.Tensor, pixels: int, grow: bool) -> torch.Tensor:
    """The garment ``(4, H, W)`` in ``[-1, 1]`` with its mask grown (white added) or eaten by ``pixels``."""
    mask = garment[3:4] > 0
    k = 2 * pixels + 1
    m = mask.float()[None]
    m = F.max_pool2d(m, k, 1, pixels) if grow else -F.max_pool2d(-m, k, 1, pixels)
    mask = m[0] > 0.5
    rgb = torch.where(mask, garment[:3], torch.ones_like(garment[:3]))
    return torch.cat([rgb, mask.float() * 2 - 1])


@dataclass
class SleeveHyper:
    """Optimisation of the sleeve reader (the model's size is :class:`SleeveReaderConfig`)."""

    lr: float = 2e-3
    lr_floor: float = 5e-5
    weight_decay: float = 1e-4
    warmup: int = 100
    decay_steps: int = 3000
    label_smoothing: float = 0.05


class SleeveTask(TrainingTask):
    """Trains :class:`SleeveReader` on :class:`SleeveDataset` items.

    Args:
        train_set: augmented training garments (neither validation nor test garments).
        val_set: validation garments, unaugmented (for the sample grids).
        config: the model's size.
        hyper: optimisation settings.
    """

    name = "sleeve-reader"

    def __init__(self, train_set, val_set, config: SleeveReaderConfig | None = None,
                 hyper: SleeveHyper | None = None) -> None:
        self.train_set, self.val_set = train_set, val_set
        self.model_config = config or SleeveReaderConfig()
        self.hyper = hyper or SleeveHyper()

    def config(self) -> dict:
        return {"hyper": asdict(self.hyper), "reader": asdict(self.model_config),
                "train_items": len(self.train_set), "val_items": len(self.val_set)}

    def build_models(self):
        return {"reader": SleeveReader(self.model_config)}

    def build_optimizers(self, models):
        h = self.hyper
        return {"reader": torch.optim.AdamW(models["reader"].parameters(), lr=h.lr, weight_decay=h.weight_decay)}

    def train_dataset(self):
        return self.train_set

    def sample_batch(self) -> dict:
        items = [self.val_set[i] for i in range(min(16, len(self.val_set)))]
        return torch.utils.data.default_collate(items)

    def learning_rate(self, step: int) -> float:
        """Warm-up, then cosine from ``lr`` to ``lr_floor`` at ``decay_steps``."""
        h = self.hyper
        return warmup_cosine(step, h.lr, h.lr_floor, h.warmup, h.decay_steps)

    def train_step(self, ctx: StepContext, batch: dict) -> dict[str, torch.Tensor]:
        opt = ctx.optimizers["reader"]
        for group in opt.param_groups:
            group["lr"] = self.learning_rate(ctx.step)
        logits = ctx.models["reader"](batch["garment"])
        loss = F.cross_entropy(logits, batch["kind"], label_smoothing=self.hyper.label_smoothing)
        ctx.accelerator.backward(loss)
        opt.step()
        opt.zero_grad(set_to_none=True)
        with torch.no_grad():
            accuracy = (logits.argmax(1) == batch["kind"]).float().mean()
        return {"loss": loss.detach(), "accuracy": accuracy}

    def sample_grid(self, models, batch):
        predicted = models["reader"](batch["garment"]).argmax(1)
        return [_banded(batch["garment"], batch["kind"]), _banded(batch["garment"], predicted)]

    def export(self, models, directory: Path) -> None:
        models["reader"].save_pretrained(Path(directory) / "sleeve-reader", extra={"kinds": list(SLEEVE_KINDS)})


def _banded(garments: torch.Tensor, kinds: torch.Tensor) -> torch.Tensor:
    """``(N, 3, H, W)`` in ``[0, 1]``: the garments' RGB with a band at the top in their kind's colour."""
    out = to_unit(garments[:, :3]).clone()
    band = max(1, out.shape[-2] // BAND_SHARE)
    out[:, :, :band] = torch.tensor(KIND_COLOURS, device=out.device)[kinds][:, :, None, None]
    return out
