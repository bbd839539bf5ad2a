"""Sample grids a person can look at (no torchvision)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

__all__ = ["make_grid", "save_grid", "to_unit"]

GRID_PAD = 2          # px between tiles
GRID_BACKGROUND = 1.0  # white padding


def to_unit(x: torch.Tensor) -> torch.Tensor:
    """``[-1, 1]`` -> ``[0, 1]``, clamped."""
    return ((x.float() + 1) / 2).clamp(0, 1)


def make_grid(rows: list[torch.Tensor], pad: int = GRID_PAD) -> torch.Tensor:
    """Tile images into one picture, one list entry per row.

    Args:
        rows: each ``(N, C, H, W)`` in ``[0, 1]`` with C in {1, 3}; all the same H, W.

    Returns:
        ``(3, rows * (H + pad) + pad, N_max * (W + pad) + pad)`` in ``[0, 1]``.
    """
    h, w = rows[0].shape[-2:]
    cols = max(r.shape[0] for r in rows)
    out = torch.full((3, len(rows) * (h + pad) + pad, cols * (w + pad) + pad), GRID_BACKGROUND)
    for i, row in enumerate(rows):
        row = row.detach().float().cpu()
        if row.shape[1] == 1:
            row = row.expand(-1, 3, -1, -1)
        for j, tile in enumerate(row):
            y, x = pad + i * (h + pad), pad + j * (w + pad)
            out[:, y : y + h, x : x + w] = tile.clamp(0, 1)
    return out


def save_grid(grid: torch.Tensor, path: Path) -> Path:
    """Write a ``(3, H, W)`` ``[0, 1]`` grid as PNG (parents created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arr = (grid.permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
    Image.fromarray(arr).save(path)
    return path
