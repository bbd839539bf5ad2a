"""Metrics against known values."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from tryon import metrics as M

C1 = 0.01**2


def test_ssim_identical_flat_and_layouts():
    rng = np.random.default_rng(0)
    img = rng.random((24, 20, 3)).astype(np.float32)
    assert M.ssim(img, img) == pytest.approx(1.0, abs=1e-6)
    batch = torch.from_numpy(img).permute(2, 0, 1)[None].repeat(2, 1, 1, 1)
    assert M.ssim(batch, batch) == pytest.approx(1.0, abs=1e-6)
    # flat images: SSIM = (2 m1 m2 + c1) / (m1^2 + m2^2 + c1) everywhere
    a, b = np.full((16, 16, 3), 0.2), np.full((16, 16, 3), 0.6)
    expected = (2 * 0.2 * 0.6 + C1) / (0.04 + 0.36 + C1)
    assert M.ssim(a, b) == pytest.approx(expected, abs=1e-6)
    # data_range scales the constants: uint8-like values with data_range=255 give the same
    assert M.ssim(a * 255, b * 255, data_range=255.0) == pytest.approx(expected, abs=1e-6)
    # the map keeps the layout and kind of the input
    m = M.ssim_map(img, img * 0.5)
    assert isinstance(m, np.ndarray) and m.shape == (24, 20, 3)
    t = M.ssim_map(batch, batch)
    assert isinstance(t, torch.Tensor) and t.shape == (2, 3, 24, 20)
    # masked-region SSIM: the map averaged under a mask
    half = img.copy()
    half[:, 10:] = rng.random((24, 10, 3))
    smap = M.ssim_map(img, half)
    assert smap[:, :4].mean() == pytest.approx(1.0, abs=1e-6) and smap[:, 12:].mean() < 0.5


def test_psnr_of_known_mse():
    a = np.zeros((8, 8, 3))
    assert M.psnr(a, a + 0.1) == pytest.approx(20.0, abs=1e-9)          # MSE 0.01
    assert M.psnr(a, a + 25.5, data_range=255.0) == pytest.approx(20.0, abs=1e-9)
    assert M.psnr(a, a) == math.inf
    batch_a = torch.zeros(2, 1, 4, 4)
    batch_b = torch.stack([torch.full((1, 4, 4), 0.1), torch.full((1, 4, 4), 0.01)])
    assert M.psnr(batch_a, batch_b) == pytest.approx((20.0 + 40.0) / 2, abs=1e-6)   # per image, then mean


def test_masked_l1():
    a = np.zeros((1, 2, 2, 2))
    b = np.array([[[[1.0, 2.0], [3.0, 4.0]], [[0.0, 0.0], [0.0, 8.0]]]])
    mask = np.array([[[[True, False], [False, True]]]])
    assert M.masked_l1(a, b, mask) == pytest.approx((1 + 4 + 0 + 8) / 4)
    hwc = np.ones((3, 3, 3))
    assert M.masked_l1(hwc, hwc * 0.5, np.ones((3, 3))) == pytest.approx(0.5)
    assert math.isnan(M.masked_l1(a, b, np.zeros((1, 1, 2, 2))))


def test_mask_iou_known_masks():
    pred = np.zeros((4, 4), bool)
    pred[:2, :2] = True                       # 4 pixels
    target = np.zeros((4, 4), bool)
    target[:2, 1:4] = True                    # 6 pixels, 2 shared
    assert M.mask_iou(pred, target) == pytest.approx(2 / 8)
    batch_p = np.stack([pred, pred])[:, None]
    batch_t = np.stack([target, pred])[:, None]
    assert M.mask_iou(batch_p, batch_t) == pytest.approx((0.25 + 1.0) / 2)
    empty = np.zeros((4, 4), bool)
    assert M.mask_iou(empty, empty) == 1.0 and M.mask_iou(pred, empty) == 0.0
    assert M.mask_iou(torch.from_numpy(pred).float(), torch.from_numpy(target).float()) == pytest.approx(0.25)


def test_auroc_separated_reversed_ties_and_mixed():
    assert M.auroc([0.1, 0.2, 0.3], [0.5, 0.9]) == 1.0
    assert M.auroc([0.5, 0.9], [0.1, 0.2, 0.3]) == 0.0
    assert M.auroc([1.0, 1.0, 1.0], [1.0, 1.0]) == 0.5
    # pos 2 vs neg {1, 2, 3}: 1 + 0.5 + 0; pos 4: 3 -> 4.5 / 6
    assert M.auroc(np.array([1.0, 2.0, 3.0]), torch.tensor([2.0, 4.0])) == 0.75
    with pytest.raises(ValueError):
        M.auroc([], [1.0])


def test_nearest_distances_chunked():
    refs = np.array([[0.0, 0.0], [3.0, 4.0], [10.0, 0.0]])
    queries = np.array([[0.0, 1.0], [3.0, 4.0], [9.0, 0.0], [6.0, 8.0], [-1.0, 0.0]])
    dist, idx = M.nearest_distances(queries, refs, chunk_size=2, return_indices=True)
    np.testing.assert_allclose(dist, [1.0, 0.0, 1.0, 5.0, 1.0], atol=1e-9)
    np.testing.assert_array_equal(idx, [0, 1, 2, 1, 0])
    images = torch.rand(5, 3, 8, 6)
    d = M.nearest_distances(images, torch.cat([images[3:], images[:1] + 0.01]))
    assert isinstance(d, torch.Tensor) and d.shape == (5,)
    assert d[3].item() == pytest.approx(0.0, abs=1e-6) and d[4].item() == pytest.approx(0.0, abs=1e-6)
    assert d[0].item() == pytest.approx(math.sqrt(3 * 8 * 6 * 0.01**2), abs=1e-6)   # 0.12
