"""The garment cutter as a training task: the parser's losses and schedule on made-up garment photos.

Everything but the model and the pictures is the body parser's (:class:`ParserTask`): per-pixel
cross-entropy plus soft Dice, warm-up then cosine, an EMA of the weights exported with its
BatchNorm statistics measured afresh. Sample grids: the made-up photos (validation garments on
held-out backgrounds, then training ones), their true masks, and the live cutter's.
"""

from __future__ import annotations

from pathlib import Path

import torch

from tryon.models.garment_cutter import GarmentCutter
from tryon.training.grid import to_unit
from tryon.training.parser_task import ParserHyper, ParserTask

__all__ = ["CutterTask"]


def _as_image(mask: torch.Tensor) -> torch.Tensor:
    """``(B, H, W)`` in {0, 1} (or probabilities) -> ``(B, 3, H, W)`` grey in ``[0, 1]``."""
    return mask.float()[:, None].expand(-1, 3, -1, -1)


class CutterTask(ParserTask):
    """Trains :class:`GarmentCutter` on ``{"image": (3, S, S) in [-1, 1], "label": (S, S) int64}``.

    Args:
        train_set: made-up photos of the training garments on the training senders' backgrounds.
        val_set: the validation garments on the held-out senders' backgrounds, fixed (for the grids).
        hyper: optimisation settings (the parser's).
        init_from: a folder of exported cutter weights to start from (fine-tuning).
    """

    name = key = "garment-cutter"
    model_class = GarmentCutter

    def __init__(self, train_set, val_set, hyper: ParserHyper | None = None,
                 init_from: str | Path | None = None) -> None:
        super().__init__(train_set, val_set, hyper=hyper, init_from=init_from)

    def sample_grid(self, models, batch):
        prob = models[self.key](batch["image"]).softmax(1)[:, 1]
        return [to_unit(batch["image"]), _as_image(batch["label"]), _as_image(prob)]

