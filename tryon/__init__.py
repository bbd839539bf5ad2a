"""tryon: virtual try-on and garment generation building blocks.

Heavy pieces (MediaPipe graphs, weights) load lazily on first use, never at import.
"""

# The one place the version is written: pyproject.toml reads it (``dynamic = ["version"]``) and
# saved models record it. Set before any import, so a submodule may import it at any time.
__version__ = "0.1.0"

from tryon.errors import GarmentError, InvalidImageError, NoPersonError, PoseError, TryOnError  # noqa: E402

__all__ = [
    "TryOnError",
    "InvalidImageError",
    "NoPersonError",
    "PoseError",
    "GarmentError",
    "__version__",
]
