"""tryon.smooth.wide_gaussian: wide blurs taken small stay OpenCV's blur."""

import cv2
import numpy as np
import pytest

from tryon.smooth import MIN_SMALL_SIGMA, wide_gaussian


def _torso(channels: int = 0) -> np.ndarray:
    """A 256x192 frame with a bright, noisy ellipse: sharp edges and texture, as a person's light."""
    frame = np.zeros((256, 192), np.float32)
    cv2.ellipse(frame, (96, 128), (50, 80), 0, 0, 360, 1.0, -1)
    noise = np.random.default_rng(0).random((256, 192, max(channels, 1)), np.float32)
    frame = frame[..., None] * (200.0 + 50.0 * noise)
    return frame[..., 0] if channels == 0 else frame


@pytest.mark.parametrize("sigma", [8.0, 16.0, 20.48])
@pytest.mark.parametrize("channels", [0, 2])
def test_a_wide_blur_is_within_half_a_percent_of_the_exact_one(sigma, channels):
    frame = _torso(channels)
    exact = cv2.GaussianBlur(frame, (0, 0), sigma)
    got = wide_gaussian(frame, sigma)
    assert got.shape == frame.shape and got.dtype == np.float32
    err = np.abs(got - exact) / frame.max()
    assert err.max() < 0.005 and err.mean() < 0.0005


@pytest.mark.parametrize("sigma,shape", [(2 * MIN_SMALL_SIGMA - 0.1, (256, 192)), (16.0, (255, 192))])
def test_narrow_blurs_and_odd_sides_are_opencvs_own(sigma, shape):
    frame = np.random.default_rng(1).random(shape, np.float32)
    assert np.array_equal(wide_gaussian(frame, sigma), cv2.GaussianBlur(frame, (0, 0), sigma))
