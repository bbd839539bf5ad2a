"""A tiny generated VITON-layout data set for always-on data tests.

``make_tiny_viton(root, n)`` writes, like VITON's train split::

    root/train_pairs.txt                 "<id>_0.jpg <id>_1.jpg" per pair
    root/train/image/<id>_0.jpg          person: the astronaut on a light 192x256 canvas
    root/train/cloth/<id>_1.jpg          garment: a flat T-shirt in one of a few colours
    root/train/cloth-mask/<id>_1.jpg     its mask (white = garment)
    root/train/image-parse/<id>_0.png    LIP parse map, mode "P"
    root/train/pose/<id>_0_keypoints.json   an empty OpenPose file (unused)

plus one unreadable "person" file (``BROKEN``), listed in no pair. Persons differ by the
astronaut's offset and scale so that MediaPipe sees slightly different bodies.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from images import TSHIRT, astronaut, tshirt

__all__ = ["make_tiny_viton", "BROKEN", "CANVAS", "COLOURS", "VARIANTS"]

CANVAS = (192, 256)                  # (width, height), VITON's photo size
BACKGROUND = (236, 234, 230)         # light studio grey
BROKEN = "000999_0.jpg"              # the unreadable person photo (sorts last)
COLOURS = ((200, 30, 40), (20, 40, 200), (30, 150, 60), (230, 180, 20), (120, 60, 160))
# (scale of the 512 px astronaut, x offset, y offset from the bottom edge) per person.
VARIANTS = ((0.42, -10, 0), (0.40, -2, 0), (0.44, -18, 0), (0.41, -6, 6), (0.43, -14, 3))
LIP_UPPER_CLOTHES = 5
LIP_FACE = 13


def _person(variant: tuple[float, int, int]) -> Image.Image:
    scale, dx, dy = variant
    side = round(512 * scale)
    canvas = Image.new("RGB", CANVAS, BACKGROUND)
    canvas.paste(astronaut().resize((side, side), Image.Resampling.LANCZOS),
                 (dx, CANVAS[1] - side + dy))
    return canvas


def _parse_map() -> Image.Image:
    """A coarse LIP label map (upper clothes below a face blob), mode "P" like VITON's."""
    labels = np.zeros((CANVAS[1], CANVAS[0]), np.uint8)
    labels[140:, 20:170] = LIP_UPPER_CLOTHES
    cv2.ellipse(labels, (95, 100), (28, 36), 0, 0, 360, LIP_FACE, -1)
    img = Image.fromarray(labels, mode="L").convert("P")
    img.putpalette([v for i in range(256) for v in (i * 11 % 256, i * 47 % 256, i * 83 % 256)])
    return img


def _cloth_mask() -> Image.Image:
    mask = np.zeros((CANVAS[1], CANVAS[0]), np.uint8)
    cv2.fillPoly(mask, [TSHIRT], 255)
    return Image.fromarray(mask)


def make_tiny_viton(root: str | Path, n: int = 5) -> Path:
    """Write ``n`` (<= len(VARIANTS)) person/garment pairs under ``root``; returns ``root``."""
    if not 1 <= n <= len(VARIANTS):
        raise ValueError(f"n must be in 1..{len(VARIANTS)}")
    root = Path(root)
    split = root / "train"
    dirs = {d: split / d for d in ("image", "cloth", "cloth-mask", "image-parse", "pose")}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(n):
        stem = f"{i + 1:06d}"
        _person(VARIANTS[i]).save(dirs["image"] / f"{stem}_0.jpg", quality=95)
        tshirt(COLOURS[i % len(COLOURS)]).save(dirs["cloth"] / f"{stem}_1.jpg", quality=95)
        _cloth_mask().save(dirs["cloth-mask"] / f"{stem}_1.jpg", quality=95)
        _parse_map().save(dirs["image-parse"] / f"{stem}_0.png")
        (dirs["pose"] / f"{stem}_0_keypoints.json").write_text(json.dumps({"version": 1.0, "people": []}))
        lines.append(f"{stem}_0.jpg {stem}_1.jpg")
    (dirs["image"] / BROKEN).write_bytes(b"\xff\xd8\xff not really a JPEG")
    (root / "train_pairs.txt").write_text("\n".join(lines) + "\n")
    return root
