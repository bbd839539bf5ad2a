"""Paste-back: blend a rendered model frame into the original photo at its own resolution."""

from __future__ import annotations

import cv2
import numpy as np

from tryon.alignment import Alignment

__all__ = ["paste_back"]


def paste_back(
    photo: np.ndarray, rendered: np.ndarray, alpha: np.ndarray, alignment: Alignment
) -> tuple[np.ndarray, np.ndarray]:
    """Blend a rendered frame into the original photo at the photo's own resolution.

    Only the bounding box of the pasted region is resampled. Every photo pixel where the
    warped ``alpha`` is 0 is returned byte-for-byte unchanged.

    Args:
        photo: ``(h, w, 3)`` uint8 original photo.
        rendered: ``(H, W, 3)`` uint8 frame to paste.
        alpha: ``(H, W)`` float32 in ``[0, 1]``, how much of ``rendered`` to use (feather it
            first, see :func:`tryon.masks.feather`).
        alignment: the photo -> frame transform used to make ``rendered``.

    Returns:
        ``(out, alpha_photo)``: ``(h, w, 3)`` uint8 result and ``(h, w)`` float32 alpha used.
    """
    h, w = photo.shape[:2]
    out = photo.copy()
    alpha_photo = np.zeros((h, w), np.float32)
    box = alignment.photo_box(alpha > 0, (0, 0, w, h))
    if box is None:
        return out, alpha_photo
    x0, y0, x1, y1 = box
    m = alignment.box_matrix(x0, y0)  # frame <- ROI pixel mapping: M @ (x + x0, y + y0, 1)
    size = (x1 - x0, y1 - y0)
    interp = cv2.INTER_CUBIC if alignment.scale < 1 else cv2.INTER_LINEAR
    flags = interp | cv2.WARP_INVERSE_MAP
    rgb = cv2.warpAffine(rendered, m, size, flags=flags, borderMode=cv2.BORDER_REPLICATE)
    a = cv2.warpAffine(alpha.astype(np.float32), m, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
    a = np.clip(a, 0.0, 1.0)
    roi = out[y0:y1, x0:x1]
    blend = roi.astype(np.float32) * (1 - a[..., None]) + rgb.astype(np.float32) * a[..., None]
    sel = a > 0
    roi[sel] = np.clip(np.round(blend[sel]), 0, 255).astype(np.uint8)
    alpha_photo[y0:y1, x0:x1] = a
    return out, alpha_photo
