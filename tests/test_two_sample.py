"""tryon.two_sample: HOG + colour-histogram features and the cross-validated logistic classifier."""

import numpy as np
import pytest

from images import tshirt
from tryon.errors import TryOnError
from tryon.two_sample import (HIST_BINS, colour_histogram, cv_accuracy, feature_dim, garment_features, hog_dim,
                              two_sample_accuracy)

SIZE = (64, 48)  # (H, W) of the synthetic images: fast, multiples of the HOG cell


def _shirts(colour_jitter: int, rng: np.random.Generator, n: int, *, noisy: bool) -> list[np.ndarray]:
    """``n`` flat T-shirts on white (H, W, 3) uint8, random colours; ``noisy`` adds pixel noise."""
    out = []
    for _ in range(n):
        colour = tuple(int(c) for c in rng.integers(40, 200, 3))
        img = np.asarray(tshirt(colour).convert("RGB").resize((SIZE[1], SIZE[0])), dtype=np.int16)
        if noisy:
            img = img + rng.integers(-colour_jitter, colour_jitter + 1, img.shape)
        out.append(np.clip(img, 0, 255).astype(np.uint8))
    return out


def test_features_have_the_documented_shape():
    images = [np.full((*SIZE, 3), 255, np.uint8), np.zeros((*SIZE, 3), np.uint8)]
    f = garment_features(images)
    hog = ((SIZE[0] - 16) // 8 + 1) * ((SIZE[1] - 16) // 8 + 1) * 4 * 9
    assert f.shape == (2, hog + HIST_BINS ** 3) == (2, feature_dim(*SIZE)) and f.dtype == np.float32
    assert hog_dim(*SIZE) == hog and feature_dim(256, 192) == 25668 + 512
    assert colour_histogram(images[0]).sum() == pytest.approx(1.0) and colour_histogram(images[0])[-1] == 1.0


def test_features_refuse_mixed_or_odd_sizes():
    with pytest.raises(TryOnError):
        garment_features([np.zeros((64, 48, 3), np.uint8), np.zeros((64, 56, 3), np.uint8)])
    with pytest.raises(TryOnError):
        garment_features([np.zeros((60, 48, 3), np.uint8)])


def test_different_sets_are_told_apart():
    rng = np.random.default_rng(0)
    clean = _shirts(0, rng, 40, noisy=False)
    noisy = _shirts(60, rng, 40, noisy=True)
    assert two_sample_accuracy(clean, noisy, seed=0) >= 0.95


def test_two_halves_of_one_set_are_not():
    rng = np.random.default_rng(1)
    shirts = _shirts(30, rng, 120, noisy=True)
    assert abs(two_sample_accuracy(shirts[:60], shirts[60:], seed=0) - 0.5) <= 0.15


def test_cv_accuracy_on_separable_and_identical_gaussians():
    rng = np.random.default_rng(2)
    a = rng.normal(0, 1, (100, 20))
    assert cv_accuracy(a, rng.normal(3, 1, (100, 20))) >= 0.99
    assert abs(cv_accuracy(a, rng.normal(0, 1, (150, 20))) - 0.5) <= 0.12  # the larger set is cut to 100
    with pytest.raises(TryOnError):
        cv_accuracy(a[:1], a)
