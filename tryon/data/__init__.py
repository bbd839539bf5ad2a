"""Data sets: VITON-style layouts, the MediaPipe landmark cache, training datasets."""

from tryon.data.bodies import BodyDataset
from tryon.data.cache import LandmarkCache, build_cache, default_cache_dir
from tryon.data.garments import GarmentDataset
from tryon.data.layout import DatasetLayout, find_layout, read_pairs_file
from tryon.data.split import (split_pairs, train_garments, train_pairs, train_persons, val_garments,
                              val_pairs, val_persons)
from tryon.data.tryon_pairs import TryOnPairs, build_pairs_cache

__all__ = ["DatasetLayout", "find_layout", "read_pairs_file", "LandmarkCache", "build_cache",
           "default_cache_dir", "GarmentDataset", "BodyDataset", "split_pairs",
           "train_garments", "val_garments", "train_persons", "val_persons", "train_pairs", "val_pairs",
           "TryOnPairs", "build_pairs_cache"]
