"""End-to-end compositions of the tryon building blocks, for inference only.

Pipelines import the parts in ``tryon`` (never ``tryon.data`` or ``tryon.training``) and never
one another; see docs/architecture.md.
"""

from pipelines.design_pipeline import AnomalyResult, GarmentDesignPipeline
from pipelines.tryon_pipeline import DEFAULT_WEIGHTS_DIR, TryOnOutput, TryOnPipeline

__all__ = ["TryOnPipeline", "TryOnOutput", "GarmentDesignPipeline", "AnomalyResult", "DEFAULT_WEIGHTS_DIR"]
