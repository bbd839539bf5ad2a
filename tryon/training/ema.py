"""Exponential moving average of a model's weights, checkpointable through Accelerate."""

from __future__ import annotations

import copy

import torch
from torch import nn

__all__ = ["EMA"]


class EMA:
    """Keeps ``shadow`` = an EMA copy of ``model`` (parameters and buffers).

    Return it from :meth:`TrainingTask.checkpoint_objects` so that checkpoints keep it (as
    safetensors, :func:`tryon.training.checkpoint.save_objects`) and a resumed run restores it.

    Args:
        model: the (unwrapped) model to track.
        decay: weight of the old average per update, e.g. 0.999.
    """

    def __init__(self, model: nn.Module, decay: float = 0.999) -> None:
        self.decay = decay
        self.shadow = copy.deepcopy(model).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        for s, p in zip(self.shadow.parameters(), model.parameters()):
            s.lerp_(p.detach().to(s.dtype), 1.0 - self.decay)
        for s, b in zip(self.shadow.buffers(), model.buffers()):
            s.copy_(b)

    def state_dict(self) -> dict:
        return {"decay": self.decay, "shadow": self.shadow.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.decay = state["decay"]
        self.shadow.load_state_dict(state["shadow"])
