"""Serving the try-on: one admission gate shared by every way in (the Gradio ``/try_on``
endpoint and the REST endpoint), the REST endpoint itself, and the server's life cycle
(its private cache folder, SIGTERM, giving memory back after a burst)."""

from tryon.serving.gate import Busy, Gate
from tryon.serving.memory import release_memory, rss_mb

__all__ = ["Busy", "Gate", "release_memory", "rss_mb"]
