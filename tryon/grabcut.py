"""One GrabCut run (Rother et al. 2004) as the project runs it: a fixed number of rounds and a fixed
seed, so that the same photo always gives the same mask. Used by GrabCut's own garment cut-out
(:func:`tryon.garment_segmentation.grabcut_mask`) and by the garment cutter's refinement
(:class:`tryon.learned_cut.Cutter`).
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["GRABCUT_ITERS", "GRABCUT_RNG_SEED", "run_grabcut"]

GRABCUT_ITERS = 3
GRABCUT_RNG_SEED = 0           # fixed, so that the same photo always gives the same mask


def run_grabcut(bgr: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """GrabCut (:data:`GRABCUT_ITERS` rounds, the same answer every time) on a BGR uint8 picture
    from ``seeds`` (``(H, W)`` uint8 of ``cv2.GC_*`` labels, changed in place): ``(H, W)`` bool,
    sure or probable garment."""
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(GRABCUT_RNG_SEED)  # GrabCut's k-means init draws from OpenCV's global RNG
    cv2.grabCut(bgr, seeds, None, bgd, fgd, GRABCUT_ITERS, cv2.GC_INIT_WITH_MASK)
    return (seeds == cv2.GC_FGD) | (seeds == cv2.GC_PR_FGD)
