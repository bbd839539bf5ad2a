"""The one conversion between 8-bit images and network tensors.

``(H, W, C)`` uint8 in ``0..255`` <-> ``(C, H, W)`` float32 in ``[-1, 1]``: ``v / 127.5 - 1`` one way,
``round((x + 1) * 127.5)`` the other. It sits at the bottom of the layers (it imports nothing from
tryon), so every module can use it: the parser, conditioning, the data sets and the pipelines.
:func:`on_white` is the one "garment composed on white" that grids, evaluations and previews show,
and :func:`resolve_precision` the one choice of a network's arithmetic on this CPU.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["to_tensor", "to_uint8", "on_white", "resolve_precision", "UINT8_MAX", "ALPHA_CONVENTIONS"]

UINT8_MAX = 255
HALF_UINT8 = UINT8_MAX / 2   # uint8 v <-> v / 127.5 - 1 in [-1, 1]
ALPHA_CONVENTIONS = ("unit", "signed", "logits")  # alpha in [0, 1]; in [-1, 1] (mask tensors); mask logits


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


def on_white(rgb: torch.Tensor, alpha: torch.Tensor, alpha_is: str) -> torch.Tensor:
    """A garment composed on white: ``rgb * a + (1 - a)`` in ``[0, 1]``.

    Args:
        rgb: ``(B, 3, H, W)`` in ``[-1, 1]`` (clamped).
        alpha: ``(B, 1, H, W)``, read as ``alpha_is`` says: ``"unit"`` in ``[0, 1]`` (the try-on
            network's warped garment), ``"signed"`` in ``[-1, 1]`` (the mask channel of the data
            sets' ``(B, 4, H, W)`` garments), both clamped; ``"logits"`` through a sigmoid (a VAE's
            decoded mask).

    Returns:
        ``(B, 3, H, W)`` float32 in ``[0, 1]``; white where ``a = 0``.

    Raises:
        ValueError: ``alpha_is`` is not one of :data:`ALPHA_CONVENTIONS`.
    """
    alpha = alpha.float()
    if alpha_is == "unit":
        a = alpha.clamp(0, 1)
    elif alpha_is == "signed":
        a = ((alpha + 1) / 2).clamp(0, 1)
    elif alpha_is == "logits":
        a = torch.sigmoid(alpha)
    else:
        raise ValueError(f"alpha_is must be one of {', '.join(ALPHA_CONVENTIONS)}, not {alpha_is!r}")
    return ((rgb.float() + 1) / 2).clamp(0, 1) * a + (1 - a)


def resolve_precision(precision: str) -> str:
    """A network's arithmetic: ``"auto"`` -> ``"bfloat16"`` on CPUs with bfloat16 instructions
    (AVX512-BF16 or AMX; there it is ~1.3x faster than float32 at the same measured quality),
    else ``"float32"`` (emulated bfloat16 is slower); any other value is returned as it is."""
    if precision != "auto":
        return precision
    fast = torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()
    return "bfloat16" if fast else "float32"
