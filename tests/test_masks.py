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
