"""Body parsing: a photo -> a LIP label map at the photo's own size, from the learned parser.

The palette (:data:`LIP_PALETTE`) colours label maps for people to look at; the saved maps are
palette PNGs whose pixel values are the LIP ids themselves.
"""

from __future__ import annotations

import numpy as np
import torch

from tryon import constants as C

__all__ = ["LIP_PALETTE", "colorize"]

# One RGB colour per LIP id (0..19), the colours of the LIP data set's own visualisations.
LIP_PALETTE = np.array([
    (0, 0, 0), (128, 0, 0), (255, 0, 0), (0, 85, 0), (170, 0, 51), (255, 85, 0), (0, 0, 85),
    (0, 119, 221), (85, 85, 0), (0, 85, 85), (85, 51, 0), (52, 86, 128), (0, 128, 0), (0, 0, 255),
    (51, 170, 221), (0, 255, 255), (85, 255, 170), (170, 255, 85), (255, 255, 0), (255, 170, 0),
], np.uint8)
assert len(LIP_PALETTE) == C.LIP_NUM_LABELS


def colorize(labels: torch.Tensor) -> torch.Tensor:
    """LIP label maps ``(B, H, W)`` (integers 0..19) -> colour pictures ``(B, 3, H, W)`` in ``[0, 1]``."""
    palette = torch.from_numpy(LIP_PALETTE).to(labels.device).float() / 255
    return palette[labels.long()].permute(0, 3, 1, 2)
