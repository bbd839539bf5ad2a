"""tryon.tensors: the uint8 <-> tensor conversion and the one garment-on-white."""

import numpy as np
import pytest
import torch

from tryon.tensors import on_white, to_tensor, to_uint8


def test_to_tensor_and_to_uint8_round_trip():
    u8 = np.arange(256, dtype=np.uint8).reshape(16, 16)[..., None].repeat(3, -1)
    x = to_tensor(u8)
    assert x.shape == (3, 16, 16) and x.min() == -1 and x.max() == 1
    assert np.array_equal(to_uint8(x), u8)


def test_on_white_reads_each_alpha_convention():
    g = torch.Generator().manual_seed(0)
    rgb = torch.rand(2, 3, 8, 6, generator=g) * 2 - 1
    unit = torch.rand(2, 1, 8, 6, generator=g)
    a = on_white(rgb, unit, "unit")
    assert a.shape == (2, 3, 8, 6) and a.dtype == torch.float32 and 0 <= a.min() and a.max() <= 1
    assert torch.allclose(on_white(rgb, unit * 2 - 1, "signed"), a, atol=1e-6)
    assert torch.allclose(on_white(rgb, torch.logit(unit), "logits"), a, atol=1e-5)
    assert (on_white(rgb, torch.zeros_like(unit), "unit") == 1).all()            # transparent: white
    assert torch.allclose(on_white(rgb, torch.ones_like(unit), "unit"), (rgb + 1) / 2)  # opaque: the garment


def test_on_white_refuses_an_unknown_convention():
    with pytest.raises(ValueError, match="alpha_is"):
        on_white(torch.zeros(1, 3, 2, 2), torch.zeros(1, 1, 2, 2), "percent")
