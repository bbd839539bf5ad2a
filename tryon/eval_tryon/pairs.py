"""Which pairs a try-on evaluation runs on: a pairs file, the data set's validation split, or the
untouched test portion before it."""

from __future__ import annotations

from pathlib import Path

from tryon import constants as C
from tryon.data.layout import DatasetLayout, find_layout
from tryon.data.split import layout_pairs, split_pairs, test_pairs
from tryon.errors import TryOnError
from tryon.eval_tryon.frame import Pair
from tryon.pairs import pair_lines

__all__ = ["validation_pairs", "read_eval_pairs", "select_pairs"]

PAIR_EXAMPLE = "person.jpg garment.jpg"  # how one line of a VITON pairs file looks
HELD_OUT_PORTIONS = ("val", "test")       # the validation split; the untouched test portion before it


def validation_pairs(layout: DatasetLayout, n_val: int = C.VALIDATION_PAIRS) -> list[Pair]:
    """The project's fixed validation split: the last ``n_val`` pairs of the layout's pairs file.

    Raises:
        TryOnError: no pairs file, or not more than ``n_val`` pairs in it.
    """
    return split_pairs(layout_pairs(layout), n_val)[1]


def read_eval_pairs(path: str | Path, layout: DatasetLayout) -> list[Pair]:
    """``[(person, garment), ...]`` from a VITON pairs file (``person.jpg garment.jpg`` per line).

    Blank lines and ``#`` comments are skipped; every person must be in ``layout.image`` and
    every garment in ``layout.cloth``.

    Raises:
        TryOnError: the file is unreadable or empty, a line is not two names, or a name is not
            in the data set; one sentence naming the line.
    """
    path = Path(path)
    pairs = []
    for line in pair_lines(path, example=PAIR_EXAMPLE):
        if line.pair is None:
            raise TryOnError(f"Line {line.number} of '{path}' should be '{PAIR_EXAMPLE}' (two file "
                             f"names), not '{line.text}'.")
        person, garment = line.pair
        for name, folder, what in ((person, layout.image, "person photo"), (garment, layout.cloth, "garment")):
            if not (folder / name).is_file():
                raise TryOnError(f"Line {line.number} of '{path}' names the {what} '{name}', which is not "
                                 f"in '{folder}'.")
        pairs.append(line.pair)
    if not pairs:
        raise TryOnError(f"The pairs file '{path}' holds no pairs; write one '{PAIR_EXAMPLE}' pair per line.")
    return pairs


def select_pairs(data: str | Path, split: str = "train", pairs_file: str | Path | None = None,
                 n_val: int = C.VALIDATION_PAIRS, portion: str = "val") -> tuple[DatasetLayout, list[Pair], str]:
    """``(layout, pairs, source)``: the data set, the pairs to evaluate and where they came from.

    Args:
        data: a VITON-style data set folder; ``split`` its split folder.
        pairs_file: a pairs file (see :func:`read_eval_pairs`); None: a held-out portion of the
            data set's own pairs file, as ``portion`` says.
        n_val: the validation split's size (the last ``n_val`` pairs of the pairs file).
        portion: ``"val"``, the validation split, or ``"test"``, the untouched test portion just
            before it (:func:`tryon.data.split.test_pairs`; report it once, at release).

    Raises:
        TryOnError: one sentence, when the data set or the pairs file is unusable.
        ValueError: ``portion`` is neither ``"val"`` nor ``"test"``.
    """
    if portion not in HELD_OUT_PORTIONS:
        raise ValueError(f"portion must be one of {HELD_OUT_PORTIONS}, not {portion!r}")
    layout = find_layout(data, split)
    if pairs_file is not None:
        return layout, read_eval_pairs(pairs_file, layout), str(pairs_file)
    if portion == "test":
        return layout, test_pairs(layout, n_val), f"{layout.pairs} (the untouched test portion before the last {n_val})"
    return layout, validation_pairs(layout, n_val), f"{layout.pairs} (last {n_val} pairs: validation)"
