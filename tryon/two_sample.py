"""A classifier two-sample test: can a simple classifier tell two sets of garment images apart?

The stand-in for FID/KID here (their Inception weights cannot be had offline): features are a HOG
descriptor of the grey image (:func:`hog_features`, OpenCV's ``cv2.HOGDescriptor``) beside a joint
RGB colour histogram (:func:`colour_histogram`); an L2-regularised logistic regression on
standardised features (:func:`fit_logistic`, written here with torch's L-BFGS) is scored by
stratified k-fold cross-validation (:func:`cv_accuracy`). An accuracy near 0.5 means the sets
cannot be told apart; near 1.0 means every image gives its set away.

Images are ``(H, W, 3)`` uint8 RGB arrays (garments composited on white), all of one size with
``H`` and ``W`` multiples of :data:`HOG_CELL`.
"""

from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np
import torch

from tryon.errors import TryOnError

__all__ = ["HOG_CELL", "HOG_BLOCK", "HOG_BINS", "HIST_BINS", "FOLDS", "L2", "hog_dim", "feature_dim",
           "hog_features", "colour_histogram", "garment_features", "fit_logistic", "cv_accuracy",
           "two_sample_accuracy"]

HOG_CELL = 8          # pixels per HOG cell side (OpenCV's default people-detector geometry)
HOG_BLOCK = 16        # pixels per HOG block side (2x2 cells), blocks step by one cell
HOG_BINS = 9          # unsigned gradient orientation bins per cell
HIST_BINS = 8         # bins per RGB channel of the joint colour histogram (8^3 = 512 features)
FOLDS = 5             # cross-validation folds
L2 = 1.0              # L2 weight on the summed log-loss, as scikit-learn's C = 1
MAX_ITER = 200        # L-BFGS iterations per fit
STD_FLOOR = 1e-6      # features with a smaller spread are left unscaled (constant features)


def hog_dim(height: int, width: int) -> int:
    """Length of :func:`hog_features` for an ``height x width`` image: blocks x 4 cells x bins."""
    blocks_y = (height - HOG_BLOCK) // HOG_CELL + 1
    blocks_x = (width - HOG_BLOCK) // HOG_CELL + 1
    return blocks_y * blocks_x * (HOG_BLOCK // HOG_CELL) ** 2 * HOG_BINS


def feature_dim(height: int, width: int) -> int:
    """Length of :func:`garment_features` rows: ``hog_dim(height, width) + HIST_BINS ** 3``
    (25,668 + 512 = 26,180 at 256x192)."""
    return hog_dim(height, width) + HIST_BINS ** 3


def _check_images(images: Sequence[np.ndarray]) -> tuple[int, int]:
    shapes = {np.shape(im) for im in images}
    if not images or len(shapes) != 1:
        raise TryOnError("The two-sample test needs a non-empty set of images that all have one size.")
    h, w, c = shapes.pop()
    if c != 3 or h % HOG_CELL or w % HOG_CELL or h < HOG_BLOCK or w < HOG_BLOCK:
        raise TryOnError(f"The two-sample test needs RGB images with sides that are multiples of {HOG_CELL} "
                         f"pixels and at least {HOG_BLOCK}, not {h}x{w}x{c}.")
    return h, w


def hog_features(image: np.ndarray) -> np.ndarray:
    """HOG of one ``(H, W, 3)`` uint8 RGB image (made grey): ``(hog_dim(H, W),)`` float32, each
    block L2-Hys normalised (values in [0, 1])."""
    h, w = image.shape[:2]
    hog = cv2.HOGDescriptor((w, h), (HOG_BLOCK, HOG_BLOCK), (HOG_CELL, HOG_CELL), (HOG_CELL, HOG_CELL), HOG_BINS)
    grey = cv2.cvtColor(np.ascontiguousarray(image, dtype=np.uint8), cv2.COLOR_RGB2GRAY)
    return hog.compute(grey).reshape(-1).astype(np.float32)


def colour_histogram(image: np.ndarray) -> np.ndarray:
    """Joint RGB histogram of one ``(H, W, 3)`` uint8 image: ``(HIST_BINS ** 3,)`` float32 shares
    of the pixels (they sum to 1)."""
    q = (np.asarray(image, dtype=np.uint16) * HIST_BINS) >> 8                  # (H, W, 3) in [0, HIST_BINS)
    index = (q[..., 0] * HIST_BINS + q[..., 1]) * HIST_BINS + q[..., 2]
    counts = np.bincount(index.reshape(-1), minlength=HIST_BINS ** 3)
    return (counts / counts.sum()).astype(np.float32)


def garment_features(images: Sequence[np.ndarray]) -> np.ndarray:
    """HOG + colour histogram of each image: ``(N, feature_dim(H, W))`` float32.

    Raises:
        TryOnError: the images are empty, of several sizes, not RGB, or not multiples of :data:`HOG_CELL`.
    """
    _check_images(images)
    return np.stack([np.concatenate([hog_features(im), colour_histogram(im)]) for im in images])


def fit_logistic(x: torch.Tensor, y: torch.Tensor, l2: float = L2) -> tuple[torch.Tensor, torch.Tensor]:
    """L2-regularised logistic regression: minimise ``sum log-loss + l2 / 2 * |w|^2`` (bias free).

    Args:
        x: ``(N, D)`` float features (standardise them first); y: ``(N,)`` labels in {0, 1}.

    Returns:
        ``(w, b)``: ``(D,)`` weights and a scalar bias; ``x @ w + b > 0`` predicts label 1.
    """
    x, y = x.double(), y.double()
    w = torch.zeros(x.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros((), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=MAX_ITER, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(x @ w + b, y, reduction="sum")
        loss = loss + 0.5 * l2 * (w * w).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach(), b.detach()


def _folds(n_per_class: int, folds: int, rng: np.random.Generator) -> np.ndarray:
    """Fold id of each item of one class: ``(n_per_class,)``, shuffled, as equal as can be."""
    return rng.permutation(np.arange(n_per_class) % folds)


def cv_accuracy(a: np.ndarray, b: np.ndarray, *, folds: int = FOLDS, l2: float = L2, seed: int = 0) -> float:
    """Stratified ``folds``-fold cross-validated accuracy of telling feature rows ``a`` from ``b``.

    Args:
        a, b: ``(N_a, D)`` and ``(N_b, D)`` features; the larger set is cut (seeded pick) to the
            smaller one's size, so the classes are balanced and chance is 0.5.
        folds: folds (fewer when a set has fewer items); each test fold holds the same number of
            items of each set (+-1).
        l2: see :func:`fit_logistic`; features are standardised on each training fold.

    Returns:
        The share of held-out items classified right, in [0, 1].

    Raises:
        TryOnError: fewer than 2 items in a set, or the feature sizes differ.
    """
    n = min(len(a), len(b))
    if n < 2 or a.shape[1:] != b.shape[1:]:
        raise TryOnError("The two-sample test needs at least 2 items in each set and features of one size.")
    folds = min(folds, n)
    rng = np.random.default_rng(seed)
    a, b = a[rng.permutation(len(a))[:n]], b[rng.permutation(len(b))[:n]]
    x = torch.from_numpy(np.concatenate([a, b]).astype(np.float64))
    y = torch.cat([torch.zeros(n), torch.ones(n)]).double()
    fold = np.concatenate([_folds(n, folds, rng), _folds(n, folds, rng)])
    right = 0
    for k in range(folds):
        test = torch.from_numpy(fold == k)
        train_x = x[~test]
        mean, std = train_x.mean(0), train_x.std(0)
        std = torch.where(std < STD_FLOOR, torch.ones_like(std), std)
        w, bias = fit_logistic((train_x - mean) / std, y[~test], l2)
        pred = (((x[test] - mean) / std) @ w + bias > 0).double()
        right += int((pred == y[test]).sum())
    return right / (2 * n)


def two_sample_accuracy(images_a: Sequence[np.ndarray], images_b: Sequence[np.ndarray], *, seed: int = 0) -> float:
    """:func:`cv_accuracy` of :func:`garment_features` of two image sets (``(H, W, 3)`` uint8 each)."""
    return cv_accuracy(garment_features(images_a), garment_features(images_b), seed=seed)
