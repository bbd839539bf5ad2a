"""tryon.alignment.align: a person whose elbow the photo shows beyond the frame's side is moved
sideways to keep it in (what lies off the frame is never repainted); a centred one is not."""

from __future__ import annotations

import numpy as np
import pytest

from tryon import constants as C
from tryon.alignment import LIMB_MARGIN, MAX_LIMB_SHIFT, align
from tryon.pose import PoseResult

SIZE = (600, 800)   # (width, height) of the photo


def _pose(left_elbow_x: float = 0.72, right_elbow_x: float = 0.28, visibility: float = 0.95) -> PoseResult:
    """A frontal person, shoulders 0.3 of the width apart; elbows where asked (fractions of the width)."""
    lm = np.zeros((33, 3), np.float32)
    points = {C.NOSE: (0.5, 0.15), C.LEFT_SHOULDER: (0.65, 0.3), C.RIGHT_SHOULDER: (0.35, 0.3),
              C.LEFT_ELBOW: (left_elbow_x, 0.48), C.RIGHT_ELBOW: (right_elbow_x, 0.48),
              C.LEFT_WRIST: (0.6, 0.6), C.RIGHT_WRIST: (0.4, 0.6), C.LEFT_HIP: (0.6, 0.62), C.RIGHT_HIP: (0.4, 0.62)}
    for i, (x, y) in points.items():
        lm[i] = (x, y, 0.95)
    lm[[C.LEFT_ELBOW, C.RIGHT_ELBOW], 2] = visibility
    return PoseResult(lm, np.zeros(SIZE[::-1], np.float32), SIZE)


def _frame_x(pose: PoseResult, joint: int) -> float:
    al = align(pose)
    return float(al.to_frame(pose.pixels()[[joint], :2])[0, 0])


def test_a_centred_person_stays_where_it_was_trained():
    pose = _pose()
    shoulder_x = (_frame_x(pose, C.LEFT_SHOULDER) + _frame_x(pose, C.RIGHT_SHOULDER)) / 2
    assert shoulder_x == pytest.approx(C.ALIGN_SHOULDER_X * C.FRAME_SIZE[1], abs=1e-3)


def test_an_elbow_out_to_the_side_is_brought_inside_the_frame():
    fw = C.FRAME_SIZE[1]
    margin = LIMB_MARGIN * C.ALIGN_TORSO_LENGTH * C.FRAME_SIZE[0] * C.SHOULDER_TO_TORSO
    base = align(_pose()).matrix[0, 2]
    near = _pose(left_elbow_x=0.86)                     # a hand on the hip, the elbow out to the side
    assert _frame_x(near, C.LEFT_ELBOW) == pytest.approx(fw - 1 - margin, abs=1e-3)
    assert -MAX_LIMB_SHIFT * fw < align(near).matrix[0, 2] - base < 0
    far = _pose(left_elbow_x=0.95)                      # farther than a shift may make up: the most allowed
    assert align(far).matrix[0, 2] - base == pytest.approx(-MAX_LIMB_SHIFT * fw, abs=1e-3)


@pytest.mark.parametrize("pose", [
    _pose(left_elbow_x=0.93, right_elbow_x=0.07),   # both elbows out: no side to move to
    _pose(left_elbow_x=1.05),                       # the elbow is off the photo: not seen
    _pose(left_elbow_x=0.93, visibility=0.2),       # hardly visible
], ids=["both-sides", "off-photo", "not-visible"])
def test_no_shift_when_it_cannot_help(pose):
    assert align(pose).matrix[0, 2] == pytest.approx(align(_pose()).matrix[0, 2], abs=1e-6)
