"""Train / validation split of a pairs file.

Validation is the LAST ``n_val`` lines of the pairs file (:data:`~tryon.constants.VALIDATION_PAIRS`
by default), fixed once so that every model and every run holds out the same pairs. Nothing of a
validation pair is trained on: a person photo or garment that appears in any validation pair is
left out of the training lists even when it also appears in a training pair.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from tryon.constants import TEST_PAIRS, VALIDATION_PAIRS
from tryon.data.layout import DatasetLayout, read_pairs_file
from tryon.errors import TryOnError

__all__ = [
    "split_pairs",
    "layout_pairs",
    "train_garments",
    "val_garments",
    "train_persons",
    "val_persons",
    "train_pairs",
    "val_pairs",
    "test_pairs",
    "test_persons",
]

Pair = tuple[str, str]
PERSON, GARMENT = 0, 1  # columns of a pair


def split_pairs(pairs: Sequence[Pair], n_val: int = VALIDATION_PAIRS) -> tuple[list[Pair], list[Pair]]:
    """``(train, val)``: val is the last ``n_val`` pairs, train everything before them.

    Raises:
        ValueError: ``n_val`` is negative.
        TryOnError: there are not more than ``n_val`` pairs (nothing would be left to train on).
    """
    if n_val < 0:
        raise ValueError(f"n_val must be >= 0, not {n_val}")
    pairs = list(pairs)
    if len(pairs) <= n_val:
        raise TryOnError(f"The pairs file holds {len(pairs)} pairs, but {n_val} are held out for "
                         "validation; use a larger data set or fewer validation pairs.")
    cut = len(pairs) - n_val
    return pairs[:cut], pairs[cut:]


def layout_pairs(layout: DatasetLayout) -> list[Pair]:
    """The ``(person, garment)`` pairs of a layout's pairs file.

    Raises:
        TryOnError: the layout has no pairs file.
    """
    if layout.pairs is None:
        raise TryOnError(f"'{layout.root}' has no pairs file (train_pairs.txt or pairs.txt); "
                         "it is needed to split training from validation.")
    return read_pairs_file(layout.pairs)


def _unique(names: Iterable[str], exclude: set[str] = frozenset()) -> list[str]:
    """``names`` without repeats (first occurrence order kept) and without ``exclude``."""
    return [n for n in dict.fromkeys(names) if n not in exclude]


def _three_way(layout: DatasetLayout, n_val: int, n_test: int) -> tuple[list[Pair], list[Pair], list[Pair]]:
    """``(train, val, test)``: val the last ``n_val`` lines, test the ``n_test`` lines before them."""
    rest, val = split_pairs(layout_pairs(layout), n_val)
    train, test = split_pairs(rest, n_test)
    return train, val, test


def _column(layout: DatasetLayout, column: int, n_val: int, n_test: int = 0) -> tuple[list[str], list[str]]:
    train, val, test = _three_way(layout, n_val, n_test)
    held_out = _unique(p[column] for p in val)
    excluded = set(held_out) | {p[column] for p in test}
    return _unique((p[column] for p in train), excluded), held_out


def train_garments(layout: DatasetLayout, n_val: int = VALIDATION_PAIRS) -> list[str]:
    """Garment file names of the training pairs, deduplicated in file order, none in a val pair."""
    return _column(layout, GARMENT, n_val)[0]


def val_garments(layout: DatasetLayout, n_val: int = VALIDATION_PAIRS) -> list[str]:
    """Garment file names of the validation pairs (the last ``n_val``), deduplicated in order."""
    return _column(layout, GARMENT, n_val)[1]


def train_persons(layout: DatasetLayout, n_val: int = VALIDATION_PAIRS, n_test: int = 0) -> list[str]:
    """Person photo names of the training pairs, deduplicated in file order, none in a val pair
    (nor in a test pair, with ``n_test``: see :func:`test_pairs`)."""
    return _column(layout, PERSON, n_val, n_test)[0]


def val_persons(layout: DatasetLayout, n_val: int = VALIDATION_PAIRS) -> list[str]:
    """Person photo names of the validation pairs (the last ``n_val``), deduplicated in order."""
    return _column(layout, PERSON, n_val)[1]


def train_pairs(layout: DatasetLayout, n_val: int = VALIDATION_PAIRS) -> list[Pair]:
    """The training pairs, without any pair whose person photo or garment is in a val pair."""
    train, val = split_pairs(layout_pairs(layout), n_val)
    persons, garments = {p[PERSON] for p in val}, {p[GARMENT] for p in val}
    return [p for p in train if p[PERSON] not in persons and p[GARMENT] not in garments]


def val_pairs(layout: DatasetLayout, n_val: int = VALIDATION_PAIRS) -> list[Pair]:
    """The validation pairs: the last ``n_val`` lines of the pairs file."""
    return split_pairs(layout_pairs(layout), n_val)[1]


def test_pairs(layout: DatasetLayout, n_val: int = VALIDATION_PAIRS, n_test: int = TEST_PAIRS) -> list[Pair]:
    """The untouched test portion: the ``n_test`` lines just before the validation lines, without
    any pair whose person or garment is also in a validation pair. Report it once, at release."""
    _, val, test = _three_way(layout, n_val, n_test)
    persons, garments = {p[PERSON] for p in val}, {p[GARMENT] for p in val}
    return [p for p in test if p[PERSON] not in persons and p[GARMENT] not in garments]


def test_persons(layout: DatasetLayout, n_val: int = VALIDATION_PAIRS, n_test: int = TEST_PAIRS) -> list[str]:
    """Person photo names of :func:`test_pairs`, deduplicated in order."""
    return _unique(p[PERSON] for p in test_pairs(layout, n_val, n_test))
