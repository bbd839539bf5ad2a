"""The background's colour taken out of a garment cut-out's rim (tryon.defringe)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from tryon.defringe import defringe
from tryon.garment import prepare_garment

EXAMPLES = Path(__file__).resolve().parents[1] / "assets" / "examples" / "garments"
RED, BLUE, NAVY = (200, 40, 40), (60, 110, 210), (20, 20, 40)


def _photo(garment=BLUE, ground=RED, size=(224, 168), stripe=True):
    """A blue garment with a navy stripe reaching its left edge, on a red sheet, blurred as a
    camera would (so the mask's rim mixes the two), and a mask one pixel too wide."""
    h, w = size
    shape = np.zeros((h, w), np.uint8)
    cv2.rectangle(shape, (40, 30), (w - 40, h - 30), 1, -1)
    img = np.empty((h, w, 3), np.uint8)
    img[:] = ground
    img[shape > 0] = garment
    if stripe:
        img[100:110, 40:w - 40] = NAVY
    img = cv2.GaussianBlur(img, (0, 0), 1.2)
    mask = cv2.dilate(shape, np.ones((3, 3), np.uint8)) > 0
    return img, mask, shape > 0


def _rim(mask, width=2.0):
    inside = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 3)
    return (inside > 0) & (inside <= width)


def test_the_rim_loses_the_background_colour_and_keeps_a_stripe():
    img, mask, _ = _photo()
    out = defringe(img, mask)
    rim = _rim(mask) & ~((np.arange(img.shape[0])[:, None] >= 97) & (np.arange(img.shape[0])[:, None] < 113))
    to_blue = lambda a: np.abs(a[rim].astype(float) - BLUE).sum(-1).mean()  # noqa: E731
    assert to_blue(img) > 60                      # the test photo does have a red rim
    assert to_blue(out) < 0.3 * to_blue(img)
    stripe_edge = np.zeros_like(mask)
    stripe_edge[102:108, 38:42] = True            # the navy stripe where it meets the left edge
    stripe_edge &= mask
    assert out[stripe_edge].astype(float).mean() < 70   # still dark, not turned blue
    # Only the rim changes: the interior and everything outside the mask stay as they were.
    unchanged = ~(_rim(mask, 4.0))
    np.testing.assert_array_equal(out[unchanged], img[unchanged])


def test_a_garment_the_colour_of_its_background_is_left_alone():
    img, mask, _ = _photo(garment=(120, 120, 120), ground=(128, 126, 122), stripe=False)
    np.testing.assert_array_equal(defringe(img, mask), img)


def test_empty_and_full_masks_change_nothing():
    img, _, _ = _photo()
    for mask in (np.zeros(img.shape[:2], bool), np.ones(img.shape[:2], bool)):
        np.testing.assert_array_equal(defringe(img, mask), img)


def test_a_bundled_garment_on_a_red_sheet_has_no_red_rim():
    """tshirt_blue.jpg lies on a red sheet: its prepared cut-out's outer pixels are blue."""
    image = Image.open(EXAMPLES / "tshirt_blue.jpg")
    prepared = prepare_garment(image)
    raw = np.asarray(image.convert("RGB")).astype(float)
    rim = _rim(prepared.source_mask)
    redness = lambda a: (a[..., 0] - a[..., 2])[rim].mean()  # noqa: E731
    assert redness(raw) > 0                       # the photo's own rim is reddish
    assert redness(prepared.source.astype(float)) < -60   # the cut-out's is blue (B well above R)
    # The frame's garment is laid out from the mended photo.
    frame_rim = _rim(prepared.mask, 1.0)
    assert (prepared.rgb[frame_rim][:, 2].astype(float) - prepared.rgb[frame_rim][:, 0]).mean() > 60
