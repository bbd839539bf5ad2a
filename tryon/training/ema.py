"""Exponential moving average of a model's weights, checkpointable through Accelerate."""

from __future__ import annotations

import copy

import torch
from torch import nn

__all__ = ["EMA"]

WARMUP = 10              # the decay's warmup constant (see EMA)
WARMED_UP = 10 ** 9      # updates assumed for an average saved before the warmup existed


class EMA:
    """Keeps ``shadow`` = an EMA copy of ``model`` (parameters and buffers).

    Return it from :meth:`TrainingTask.checkpoint_objects` so that checkpoints keep it (as
    safetensors, :func:`tryon.training.checkpoint.save_objects`) and a resumed run restores it.

    The decay warms up, ``min(decay, (1 + n) / (WARMUP + n))`` after ``n`` updates, so that the
    average follows a model that starts far from where it ends (a fine-tune moving off its
    initial weights): with 0.999 at once, 30% of the initial weights were still in the average
    after 1,200 steps.

    Args:
        model: the (unwrapped) model to track.
        decay: weight of the old average per update once warmed up, e.g. 0.999.
    """

    def __init__(self, model: nn.Module, decay: float = 0.999) -> None:
        self.decay = decay
        self.updates = 0
        self.shadow = copy.deepcopy(model).eval().requires_grad_(False)

    def current_decay(self) -> float:
        """The decay the next update uses."""
        return min(self.decay, (1 + self.updates) / (WARMUP + self.updates))

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        decay = self.current_decay()
        self.updates += 1
        for s, p in zip(self.shadow.parameters(), model.parameters()):
            s.lerp_(p.detach().to(s.dtype), 1.0 - decay)
        for s, b in zip(self.shadow.buffers(), model.buffers()):
            s.copy_(b)

    def state_dict(self) -> dict:
        return {"decay": self.decay, "updates": self.updates, "shadow": self.shadow.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.decay = state["decay"]
        self.updates = int(state.get("updates", WARMED_UP))  # saved before the warmup: none
        self.shadow.load_state_dict(state["shadow"])
