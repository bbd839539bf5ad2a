"""Training: one Accelerate loop (:func:`train`) that every model plugs into as a task."""

from tryon.training.ema import EMA
from tryon.training.loop import StepContext, TrainingTask, TrainOptions, train

__all__ = ["TrainOptions", "TrainingTask", "StepContext", "train", "EMA"]
