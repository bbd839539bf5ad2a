"""Data sets: VITON-style layouts, the MediaPipe landmark cache, training datasets."""

from tryon.data.cache import LandmarkCache, build_cache, default_cache_dir
from tryon.data.layout import DatasetLayout, find_layout, read_pairs_file

__all__ = ["DatasetLayout", "find_layout", "read_pairs_file", "LandmarkCache", "build_cache", "default_cache_dir"]
