"""Pairs files: one ``person garment`` pair of file names per line.

The one reader of the format, shared by the data sets (:func:`tryon.data.layout.read_pairs_file`),
the batch command (``tryon batch --pairs``) and the try-on evaluation (``tryon eval --pairs``).
Blank lines and lines starting with ``#`` are skipped everywhere; what a line that is not two
names means is the caller's choice (skip it, report it, or refuse the file). Light on purpose:
it imports nothing but :mod:`tryon.errors`.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from tryon.errors import TryOnError

__all__ = ["Pair", "PairLine", "pair_lines", "read_pairs"]

Pair = tuple[str, str]  # (person file name, garment file name)


class PairLine(NamedTuple):
    """One line of a pairs file that is neither blank nor a comment."""

    number: int               # 1-based line number in the file
    text: str                 # the line without surrounding white space
    names: tuple[str, ...]    # its white-space separated words

    @property
    def pair(self) -> Pair | None:
        """``(person, garment)`` when the line is exactly two names, else None."""
        return (self.names[0], self.names[1]) if len(self.names) == 2 else None


def pair_lines(path: str | Path, *, example: str = "person garment") -> list[PairLine]:
    """The lines of a pairs file that hold something, in file order.

    Args:
        path: the text file (UTF-8).
        example: how one pair looks, for the error message (e.g. ``person.jpg garment.jpg``).

    Raises:
        TryOnError: the file cannot be read as text; one sentence naming it.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise TryOnError(f"We couldn't read the pairs file '{path}'; it must be a text file with "
                         f"one '{example}' pair per line.") from err
    lines = []
    for number, line in enumerate(text.splitlines(), 1):
        names = tuple(line.split())
        if names and not names[0].startswith("#"):
            lines.append(PairLine(number, line.strip(), names))
    return lines


def read_pairs(path: str | Path, *, example: str = "person garment") -> tuple[list[Pair], list[PairLine]]:
    """``(pairs, bad_lines)``: the two-name lines as pairs, and the lines that are not two names.

    Raises:
        TryOnError: the file cannot be read (see :func:`pair_lines`).
    """
    pairs, bad = [], []
    for line in pair_lines(path, example=example):
        if line.pair is None:
            bad.append(line)
        else:
            pairs.append(line.pair)
    return pairs, bad
