"""The person's shading that lights a new garment (tryon.composite.shading_map)."""

import numpy as np

from tryon import constants as C
from tryon.composite import shading_map

H, W = C.FRAME_SIZE


def test_skin_beside_the_garment_does_not_light_its_edge():
    """An old V-neck's skin (or a forearm in front) lies beside the garment's pixels: blurred in with
    them, it lit a glow on the new garment all round it (018966's pink V-neck)."""
    person = np.full((H, W, 3), 30, np.uint8)                   # a black top
    person[40:90, 70:120] = 210                                  # the skin of its V, lighter
    alpha = np.ones((H, W), np.float32)
    alpha[40:90, 70:120] = 0.0                                   # not under the garment's shown pixels
    ratio = shading_map(person, alpha, strength=1.0)
    rim = np.zeros((H, W), bool)
    rim[36:94, 66:124] = True
    rim[40:90, 70:120] = False                                   # the garment's pixels right beside it
    assert np.abs(ratio[rim] - 1.0).max() < 0.02, ratio[rim].max()


def test_a_black_tops_faint_highlight_hardly_lights_the_garment_and_a_grey_tops_fold_still_shades():
    """Luma 20 -> 40 on a black top doubled the ratio (clamped at 1.2): a bright glow on a pink
    garment. Where the old top is dark, ratios are taken with :data:`tryon.composite.SHADING_DARK`
    added to both sides; a mid-grey top's folds shade as before."""
    black = np.full((H, W, 3), 20, np.uint8)
    black[100:130, 40:150] = 40
    grey = np.full((H, W, 3), 120, np.uint8)
    grey[100:130, 40:150] = 80
    alpha = np.ones((H, W), np.float32)
    assert shading_map(black, alpha, strength=0.5)[115, 95] < 1.08          # (1.2 ** 0.5 = 1.095 before)
    assert shading_map(grey, alpha, strength=0.6)[115, 95] < 0.89          # (as before: 0.88)
