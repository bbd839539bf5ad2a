"""Wide Gaussian blurs of frame arrays, computed small.

A Gaussian of sigma 16-20 px over a 256x192 frame (the person's broad light under the garment,
the learned flow's broad fit) spans a kernel of ~130-160 taps: about 1.1 ms each on a CPU core,
and a try-on takes several. What such a blur leaves is smooth, so it is taken on the array
shrunk by a power of two (area filter), with the sigma reduced for what the shrinking and the
bilinear enlarging add, and enlarged back: ~0.05 ms, within 0.5% of the array's range of the
exact blur (largest at the borders).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

__all__ = ["wide_gaussian", "MIN_SMALL_SIGMA"]

MIN_SMALL_SIGMA = 4.0  # px: the blur is shrunk by the largest power of two that keeps its sigma
                       # at least this wide on the small array (below 2x this it runs exactly)


def wide_gaussian(array: np.ndarray, sigma: float) -> np.ndarray:
    """``cv2.GaussianBlur(array, (0, 0), sigma)``, taken at a smaller size when ``sigma`` is wide.

    Args:
        array: ``(H, W)`` or ``(H, W, C)`` float32.
        sigma: the Gaussian's standard deviation in pixels.

    Returns:
        float32 of ``array``'s shape. Exactly OpenCV's blur when ``sigma < 2 * MIN_SMALL_SIGMA`` or
        the sides are not multiples of the shrink factor.
    """
    h, w = array.shape[:2]
    f = 2 ** int(math.log2(sigma / MIN_SMALL_SIGMA)) if sigma >= 2 * MIN_SMALL_SIGMA else 1
    if f == 1 or h % f or w % f:
        return cv2.GaussianBlur(array, (0, 0), sigma)
    small = cv2.resize(array, (w // f, h // f), interpolation=cv2.INTER_AREA)
    # The area filter adds a box's variance (f^2 / 12) and the bilinear enlarging a triangle's
    # (f^2 / 6): the small blur makes up the rest.
    small_sigma = math.sqrt(sigma * sigma - f * f / 4.0) / f
    return cv2.resize(cv2.GaussianBlur(small, (0, 0), small_sigma), (w, h), interpolation=cv2.INTER_LINEAR)
