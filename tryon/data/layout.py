"""Find the parts of a VITON / VITON-HD style data set on disk.

Both layouts hold a pairs file ("<person> <garment>" per line) and, under a split folder
(``train/`` or ``test/``) or the root itself: ``image/`` (person photos), ``cloth/`` (in-shop
garments), ``cloth-mask/``, a parse folder (``image-parse/`` in VITON, ``image-parse-v3/`` in
VITON-HD; LIP labels) and a pose folder (``pose/`` or ``openpose_json/``; OpenPose, unused).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tryon.errors import TryOnError
from tryon.pairs import pair_lines

__all__ = ["DatasetLayout", "find_layout", "read_pairs_file"]

PAIRS_FILES = ("train_pairs.txt", "pairs.txt", "test_pairs.txt")
PARSE_DIRS = ("image-parse", "image-parse-v3", "image-parse-v3.1")
POSE_DIRS = ("pose", "openpose_json")


@dataclass(frozen=True)
class DatasetLayout:
    """Resolved folders of one split. ``parse``/``pose`` are None when absent."""

    root: Path
    split: Path
    pairs: Path | None
    image: Path
    cloth: Path
    cloth_mask: Path
    parse: Path | None
    pose: Path | None


def find_layout(root: str | Path, split: str = "train") -> DatasetLayout:
    """Locate a VITON-style data set under ``root`` (the folder holding the pairs file).

    Raises:
        TryOnError: with one sentence when ``root`` holds no such layout.
    """
    root = Path(root)
    if not root.is_dir():
        raise TryOnError(f"The data folder '{root}' does not exist.")
    split_dir = root / split if (root / split / "image").is_dir() else root
    if not (split_dir / "image").is_dir() or not (split_dir / "cloth").is_dir():
        raise TryOnError(
            f"'{root}' is not a VITON-style data set: expected '{split}/image' and "
            f"'{split}/cloth' folders (or 'image' and 'cloth') under it."
        )
    pairs = next((root / n for n in (f"{split}_pairs.txt", *PAIRS_FILES) if (root / n).is_file()), None)

    def first(names):
        return next((split_dir / n for n in names if (split_dir / n).is_dir()), None)

    return DatasetLayout(
        root=root,
        split=split_dir,
        pairs=pairs,
        image=split_dir / "image",
        cloth=split_dir / "cloth",
        cloth_mask=split_dir / "cloth-mask",
        parse=first(PARSE_DIRS),
        pose=first(POSE_DIRS),
    )


def read_pairs_file(path: Path) -> list[tuple[str, str]]:
    """``[(person, garment), ...]`` from a pairs file; blank lines and ``#`` comments skipped.

    A line of one name is skipped; a line of more than two keeps its first two (read by
    :func:`tryon.pairs.pair_lines`, the one reader of the format).

    Raises:
        TryOnError: the file cannot be read as text.
    """
    return [(line.names[0], line.names[1]) for line in pair_lines(path) if len(line.names) >= 2]
