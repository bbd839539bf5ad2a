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
    ys, xs = np.nonzero(alpha > 0)
    if len(xs) == 0:
        return out, alpha_photo
    corners = np.array(
        [[xs.min() - 1, ys.min() - 1], [xs.max() + 1, ys.min() - 1],
         [xs.min() - 1, ys.max() + 1], [xs.max() + 1, ys.max() + 1]], np.float64
    )
    img_c = alignment.to_image(corners)
    x0, y0 = np.floor(img_c.min(0)).astype(int) - 1
    x1, y1 = np.ceil(img_c.max(0)).astype(int) + 2
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 <= x0 or y1 <= y0:
        return out, alpha_photo
    # Frame <- ROI pixel mapping: M @ (x + x0, y + y0, 1).
    m = alignment.matrix.copy()
    m[:, 2] += m[:, :2] @ np.array([x0, y0], np.float64)
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
