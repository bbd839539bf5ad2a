"""Which views the upper-body check lets through: frontal photos with an arm raised above the
head are accepted; side and back views are refused.

The rule only looks at the shoulders, hips and torso, never at the arms: the always-on tests
check that on landmark sets; the ``shared`` tests run real MediaPipe on VITON photos picked
by their OpenPose keypoints (independent of MediaPipe).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from tryon import constants as C
from tryon.errors import PoseError, TryOnError
from tryon.pose import PoseResult, check_upper_body, detect_pose

SIZE = (192, 256)                  # (width, height) of the landmark sets, VITON's
# OpenPose COCO-18 indices (VITON's pose/ JSONs)
OP_NOSE, OP_R_SHOULDER, OP_R_WRIST, OP_L_SHOULDER, OP_L_WRIST, OP_R_HIP, OP_L_HIP = 0, 2, 4, 5, 7, 8, 11
OP_MIN_CONFIDENCE = 0.3
OP_BACK_RATIO = -0.3               # left shoulder image-LEFT of the right one by 0.3 torso: a back view
MIN_PHOTOS = 10                    # fewer found photos prove nothing
RAISED_ACCEPTED = 0.95             # measured: 116 of 116 on the whole train split
BACK_REFUSED = 0.85                # measured: 29 of 33 (back views looking over a shoulder pass)


def _frontal(raised: str | None = None) -> np.ndarray:
    """A frontal standing pose as MediaPipe gives it, one arm raised above the head on request."""
    lm = np.zeros((33, 3), np.float32)
    points = {C.NOSE: (0.5, 0.15), C.LEFT_SHOULDER: (0.65, 0.3), C.RIGHT_SHOULDER: (0.35, 0.3),
              C.LEFT_ELBOW: (0.72, 0.48), C.RIGHT_ELBOW: (0.28, 0.48), C.LEFT_WRIST: (0.7, 0.62),
              C.RIGHT_WRIST: (0.3, 0.62), C.LEFT_HIP: (0.6, 0.62), C.RIGHT_HIP: (0.4, 0.62)}
    for i, (x, y) in points.items():
        lm[i] = (x, y, 0.95)
    if raised == "left":
        lm[C.LEFT_ELBOW, :2], lm[C.LEFT_WRIST, :2] = (0.72, 0.12), (0.6, 0.02)
        lm[C.LEFT_SHOULDER, 1] = 0.27          # the raised side's shoulder lifts a little
    elif raised == "right":
        lm[C.RIGHT_ELBOW, :2], lm[C.RIGHT_WRIST, :2] = (0.28, 0.12), (0.4, 0.02)
        lm[C.RIGHT_SHOULDER, 1] = 0.27
    return lm


def _pose(lm: np.ndarray) -> PoseResult:
    return PoseResult(lm, np.zeros(SIZE[::-1], np.float32), SIZE)


@pytest.mark.parametrize("raised", [None, "left", "right"])
def test_a_frontal_pose_is_accepted_with_or_without_a_raised_arm(raised):
    check_upper_body(_pose(_frontal(raised)))


@pytest.mark.parametrize("raised", [None, "left", "right"])
def test_a_back_view_is_refused_with_or_without_a_raised_arm(raised):
    lm = _frontal(raised)
    lm[[C.LEFT_SHOULDER, C.RIGHT_SHOULDER]] = lm[[C.RIGHT_SHOULDER, C.LEFT_SHOULDER]]
    lm[[C.LEFT_HIP, C.RIGHT_HIP]] = lm[[C.RIGHT_HIP, C.LEFT_HIP]]
    with pytest.raises(PoseError, match="turned sideways or away"):
        check_upper_body(_pose(lm))


def test_a_side_view_is_refused_with_a_raised_arm():
    lm = _frontal("left")
    lm[C.LEFT_SHOULDER, 0], lm[C.RIGHT_SHOULDER, 0] = 0.52, 0.48   # shoulders one behind the other
    with pytest.raises(PoseError, match="turned sideways or away"):
        check_upper_body(_pose(lm))


# -- real photos (VITON train split) -------------------------------------------------------------
def _openpose(viton_dir, name: str) -> np.ndarray | None:
    path = viton_dir / "train" / "pose" / f"{name[:-4]}_keypoints.json"
    people = json.loads(path.read_text())["people"] if path.is_file() else []
    return np.array(people[0]["pose_keypoints"], np.float32).reshape(-1, 3) if people else None


def _views(viton_dir) -> tuple[list[str], list[str]]:
    """(frontal photos with a wrist above the nose, back views), by OpenPose keypoints."""
    raised, back = [], []
    for path in sorted((viton_dir / "train" / "image").glob("*.jpg")):
        k = _openpose(viton_dir, path.name)
        if k is None or min(k[OP_R_SHOULDER, 2], k[OP_L_SHOULDER, 2]) < OP_MIN_CONFIDENCE:
            continue
        ok = lambda i: k[i, 2] >= OP_MIN_CONFIDENCE  # noqa: E731
        hips = [k[i, 1] for i in (OP_R_HIP, OP_L_HIP) if ok(i)]
        torso = (np.mean(hips) if hips else 0) - (k[OP_R_SHOULDER, 1] + k[OP_L_SHOULDER, 1]) / 2
        spread = k[OP_L_SHOULDER, 0] - k[OP_R_SHOULDER, 0]   # > 0: the person faces the camera
        wrist_up = any(ok(w) and k[w, 1] < k[OP_NOSE, 1] for w in (OP_R_WRIST, OP_L_WRIST))
        if ok(OP_NOSE) and wrist_up and spread > 0:
            raised.append(path.name)
        elif torso > 0 and spread < OP_BACK_RATIO * torso:
            back.append(path.name)
    return raised, back


def _accepted(viton_dir, names: list[str]) -> int:
    n = 0
    for name in names:
        try:
            check_upper_body(detect_pose(Image.open(viton_dir / "train" / "image" / name).convert("RGB")))
            n += 1
        except TryOnError:
            pass
    return n


@pytest.fixture(scope="module")
def views(viton_dir):
    raised, back = _views(viton_dir)
    if min(len(raised), len(back)) < MIN_PHOTOS:
        pytest.skip(f"the VITON photos at {viton_dir} hold too few raised-arm ({len(raised)}) or back "
                    f"({len(back)}) views; extract the whole train split to /tmp/data")
    return raised, back


@pytest.mark.shared
def test_viton_frontal_photos_with_a_raised_arm_are_accepted(viton_dir, views):
    raised, _ = views
    accepted = _accepted(viton_dir, raised)
    print(f"raised-arm frontal photos accepted: {accepted} of {len(raised)}")
    assert accepted >= RAISED_ACCEPTED * len(raised)


@pytest.mark.shared
def test_viton_back_views_are_refused(viton_dir, views):
    _, back = views
    refused = len(back) - _accepted(viton_dir, back)
    print(f"back views refused: {refused} of {len(back)}")
    assert refused >= BACK_REFUSED * len(back)
