"""tryon: virtual try-on and garment generation building blocks.

Heavy pieces (MediaPipe graphs, weights) load lazily on first use, never at import.
"""

from tryon.errors import GarmentError, InvalidImageError, NoPersonError, PoseError, TryOnError

__version__ = "0.1.0"

__all__ = [
    "TryOnError",
    "InvalidImageError",
    "NoPersonError",
    "PoseError",
    "GarmentError",
    "__version__",
]
