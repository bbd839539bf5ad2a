"""End-to-end compositions of the tryon building blocks, for inference only."""

from pipelines.tryon_pipeline import DEFAULT_WEIGHTS_DIR, TryOnOutput, TryOnPipeline

__all__ = ["TryOnPipeline", "TryOnOutput", "DEFAULT_WEIGHTS_DIR"]
