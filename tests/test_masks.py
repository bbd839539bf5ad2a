"""tryon.masks.labelled: the parse-label test the try-on uses instead of np.isin."""

import numpy as np
import pytest

from tryon import constants as C
from tryon.masks import labelled


@pytest.mark.parametrize("ids", [C.LIP_ARMS, C.LIP_UPPER_GARMENT, (C.LIP_FACE,), C.LIP_HAIR, (), (3, 3, 250)])
def test_labelled_is_isin(ids):
    labels = np.random.default_rng(0).integers(0, C.LIP_NUM_LABELS, (64, 48)).astype(np.uint8)
    got = labelled(labels, ids)
    assert got.dtype == bool and got.shape == labels.shape
    assert np.array_equal(got, np.isin(labels, ids))
    assert got.any() == bool(set(np.atleast_1d(ids)) & set(range(C.LIP_NUM_LABELS)))


def _cropped():
    """A 40x30 frame whose photo ends at row 25 (rows 25.. are off it), and a region (rows
    10-24, columns 5-24) that meets that edge."""
    valid = np.zeros((40, 30), bool)
    valid[:25] = True
    region = np.zeros((40, 30), bool)
    region[10:25, 5:25] = True
    return region, valid


def test_a_feather_does_not_fade_toward_the_photos_edge_the_region_goes_on_past():
    """A region cut by a cropped photo's edge: without ``beyond`` it fades along that edge (the
    old garment showed through a band there); with it, it stays whole up to the edge and still
    fades at its own edges, and is 0 wherever it is off the region on the photo."""
    from tryon.masks import feather

    region, valid = _cropped()
    before = feather(region & valid, 2.0)
    after = feather(region, 2.0, beyond=~valid)
    assert before[24, 10:20].max() < 0.5                  # the fade the edge used to make
    assert np.all(after[22:25, 10:20] > 0.999)            # whole up to the photo's edge
    assert after[10, 14] < 0.5 and after[17, 5] < 0.5     # its own top and side still fade
    assert np.all(after[:25][~region[:25]] == 0.0)
    assert after[25, 14] > 0                              # it goes on past the edge
    assert np.array_equal(feather(region, 2.0, beyond=np.zeros_like(valid)), feather(region, 2.0))


def test_values_past_the_photos_edge_are_taken_from_inside_it():
    from tryon.masks import extend_past

    _, valid = _cropped()
    values = np.zeros((40, 30, 3), np.uint8)
    values[:25] = (10, 200, 30)            # the render on the photo
    values[25:] = 255                      # what the network drew off it (white)
    out = extend_past(values, valid, 2.0)
    assert np.array_equal(out[:25], values[:25])
    assert np.abs(out[25:27].astype(int) - (10, 200, 30)).max() <= 1   # next to the edge: the photo's
    assert np.array_equal(out[35:], values[35:])                        # far from it: as it was
    assert extend_past(values, np.ones_like(valid), 2.0) is values


def test_the_region_goes_on_past_the_edge_only_where_it_continues():
    from tryon.region import past_the_edge

    region, valid = _cropped()
    grown, shown = past_the_edge(region, valid)
    assert grown[25:, 5:25].all() and not grown[25:, :5].any() and not grown[25:, 25:].any()
    assert np.array_equal(grown[:25], region[:25]) and np.array_equal(shown, valid | (grown & ~valid))
    continues = region.copy()
    continues[:, 15:] = False              # e.g. trousers the edge cuts: they do not go on
    grown, _ = past_the_edge(region, valid, continues)
    assert grown[30, 5:15].all() and not grown[25:, 15:].any()
    whole = np.ones_like(valid)
    assert past_the_edge(region, whole)[0] is region
