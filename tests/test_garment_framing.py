"""Framing garments like VITON's in-shop photos: boxes, the move between two boxes, and the
shop framing the design studio returns its refined garments in."""

import numpy as np
import torch

from tryon.data.shop_photos import array_box
from tryon.garment_framing import FILL_LOGIT, SHOP_BOX, mask_boxes, reframe, shop_boxes, shop_frame


def _garment(box_px, size=(128, 96)):
    """A random garment image and a mask that is garment exactly inside ``box_px`` (y0, y1, x0, x1)."""
    torch.manual_seed(0)
    image = torch.rand(1, 3, *size) * 2 - 1
    mask = torch.full((1, 1, *size), -10.0)
    y0, y1, x0, x1 = box_px
    mask[..., y0:y1, x0:x1] = 10.0
    return image, mask


def test_boxes_are_the_masks_outer_edges_and_agree_with_the_numpy_box():
    _, mask = _garment((10, 100, 20, 70))
    expected = torch.tensor([[10 / 128, 100 / 128, 20 / 96, 70 / 96]])
    assert torch.allclose(mask_boxes(mask), expected)
    assert np.allclose(array_box(mask[0, 0].numpy() > 0), expected[0].numpy())
    assert torch.equal(mask_boxes(torch.full((1, 1, 8, 6), -1.0)), torch.tensor([[0.0, 1.0, 0.0, 1.0]]))


def test_reframe_onto_the_same_box_keeps_the_garment():
    image, mask = _garment((10, 100, 20, 70))
    box = mask_boxes(mask)
    moved, logits = reframe(image, mask, box, box)
    assert torch.allclose(moved, image, atol=1e-4) and torch.allclose(logits, mask, atol=1e-3)


def test_reframe_moves_the_mask_onto_the_target_and_fills_white():
    image, mask = _garment((10, 100, 20, 70))
    target = torch.tensor([[0.25, 0.75, 0.25, 0.75]])
    moved, logits = reframe(image, mask, mask_boxes(mask), target)
    assert torch.allclose(mask_boxes(logits), target, atol=1.5 / 96)
    # the source frame shrinks: its uncovered border is white and surely not garment
    assert torch.allclose(moved[..., 0, :], torch.ones(1, 3, 96)) and (logits[..., 0, :] == FILL_LOGIT).all()


def test_shop_frame_fits_a_wide_garment_to_the_shop_width_and_a_long_one_to_its_height():
    image, wide = _garment((30, 90, 10, 86))
    _, framed = shop_frame(image, wide)
    y0, y1, x0, x1 = mask_boxes(framed)[0].tolist()
    assert abs((x1 - x0) - SHOP_BOX[1]) < 2.5 / 96 and abs((y0 + y1) / 2 - 0.5) < 1.5 / 128
    long = shop_boxes(torch.tensor([[0.05, 0.95, 0.4, 0.6]]), (128, 96))[0]
    assert abs((long[1] - long[0]).item() - SHOP_BOX[0]) < 1e-6 and abs((long[2] + long[3]).item() - 1) < 1e-6
