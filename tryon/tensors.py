"""The one conversion between 8-bit images and network tensors.

``(H, W, C)`` uint8 in ``0..255`` <-> ``(C, H, W)`` float32 in ``[-1, 1]``: ``v / 127.5 - 1`` one way,
``round((x + 1) * 127.5)`` the other. It sits at the bottom of the layers (it imports nothing from
tryon), so every module can use it: the parser, conditioning, the data sets and the pipelines.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["to_tensor", "to_uint8", "UINT8_MAX"]

UINT8_MAX = 255
HALF_UINT8 = UINT8_MAX / 2   # uint8 v <-> v / 127.5 - 1 in [-1, 1]


def to_tensor(array: np.ndarray) -> torch.Tensor:
    """``(H, W, C)`` (or ``(H, W)``) uint8 -> ``(C, H, W)`` (or ``(1, H, W)``) float32 in ``[-1, 1]``.

    Float arrays on the same 0..255 scale (e.g. after a colour jitter) are converted alike; the
    input is never modified (the result is a copy).
    """
    chw = array[None] if array.ndim == 2 else array.transpose(2, 0, 1)
    return torch.tensor(np.ascontiguousarray(chw), dtype=torch.float32).div_(HALF_UINT8).sub_(1.0)


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """``(C, H, W)`` or ``(B, C, H, W)`` in ``[-1, 1]`` -> ``(H, W, C)`` or ``(B, H, W, C)`` uint8
    (clamped, rounded): the inverse of :func:`to_tensor`."""
    u8 = ((x.detach().float().clamp(-1, 1) + 1) * HALF_UINT8 + 0.5).byte()
    return u8.movedim(-3, -1).cpu().numpy()
