"""Sleeve labels for the sleeve reader: how far down the arm each garment's sleeve reaches when worn.

Every VITON garment is worn by the person of its pair. On that person's parse map (LIP ids) and
OpenPose keypoints, the bare arm beside the torso begins where the sleeve ends
(:func:`tryon.sleeve_cover.sleeve_reaches`, in upper-arm lengths: 0 shoulder, 1 elbow, 2 wrist).
An arm counts when bare skin is seen on it, or when its forearm is seen beside the torso (in the
garment's sleeve or bare) over at least :data:`MIN_FOREARM_PIXELS`; the garment's reach is the
shorter of its counted arms (a bare arm seen higher up proves the sleeve ends there). Garments
with no counted arm (arms behind the back, a pose not found) get no label.

The labels of a layout are computed once (about 80 s for VITON's 14k pairs) and kept as
``<cache_dir>/sleeve_reach.json``: ``{garment name: reach or null}``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

import numpy as np
from PIL import Image
from tqdm import tqdm

from tryon import constants as C
from tryon.data.layout import DatasetLayout, read_pairs_file
from tryon.data.parsing import parse_path
from tryon.io import atomic_write
from tryon.models.sleeve_reader import KIND_EDGES
from tryon.sleeve_cover import OLD_GARMENT, arm_positions, sleeve_reaches

__all__ = ["LABEL_FILE", "MAX_REACH", "kind_of", "openpose_landmarks", "sleeve_reach_labels", "worn_reach"]

LABEL_FILE = "sleeve_reach.json"
MIN_FOREARM_PIXELS = 150     # forearm pixels (positions 1.3-2.0) seen beside the torso for a covered arm to count
FOREARM = (1.3, 2.0)
MAX_REACH = 2.2              # reaches are capped here (no bare arm seen: past the wrist)
MIN_CONFIDENCE = 0.05        # OpenPose keypoints at or below this confidence are missing
# MediaPipe landmark index -> OpenPose COCO-18 index (both name the person's own left and right).
_OPENPOSE = {C.LEFT_SHOULDER: 5, C.RIGHT_SHOULDER: 2, C.LEFT_ELBOW: 6, C.RIGHT_ELBOW: 3,
             C.LEFT_WRIST: 7, C.RIGHT_WRIST: 4, C.LEFT_HIP: 11, C.RIGHT_HIP: 8}


def openpose_landmarks(path: Path) -> np.ndarray | None:
    """``(33, 3)`` float: the arm, shoulder and hip landmarks of an OpenPose keypoints file, in
    MediaPipe's order, as image pixels and confidence (zeros elsewhere); None without a person
    or without both shoulders and hips."""
    people = json.loads(Path(path).read_text()).get("people") or []
    if not people:
        return None
    points = np.asarray(people[0].get("pose_keypoints") or people[0].get("pose_keypoints_2d"), float).reshape(-1, 3)
    landmarks = np.zeros((C.NUM_LANDMARKS, 3))
    for mediapipe, openpose in _OPENPOSE.items():
        landmarks[mediapipe] = points[openpose]
    torso = (C.LEFT_SHOULDER, C.RIGHT_SHOULDER, C.LEFT_HIP, C.RIGHT_HIP)
    return landmarks if landmarks[list(torso), 2].min() > MIN_CONFIDENCE else None


def worn_reach(labels: np.ndarray, landmarks: np.ndarray) -> float | None:
    """How far down the arm the worn upper garment's sleeve reaches (upper-arm lengths, at most
    :data:`MAX_REACH`), or None when no arm tells.

    Args:
        labels: ``(H, W)`` uint8 LIP ids of the person photo.
        landmarks: ``(33, 3)`` pixels and confidence of it (:func:`openpose_landmarks`).
    """
    arms = arm_positions(landmarks, labels.shape)
    seen = np.isin(labels, (*OLD_GARMENT, C.LIP_LEFT_ARM, C.LIP_RIGHT_ARM))
    reaches = []
    for arm, reach in zip(arms, sleeve_reaches(labels, landmarks, np.zeros(labels.shape, np.float32), arms)):
        if reach is None:
            continue
        forearm = reach[2] & seen & (arm[0] >= FOREARM[0]) & (arm[0] <= FOREARM[1])
        if reach[0] < MAX_REACH or forearm.sum() >= MIN_FOREARM_PIXELS:
            reaches.append(min(reach[0], MAX_REACH))
    return min(reaches) if reaches else None


def kind_of(reach: float) -> int:
    """The :data:`tryon.models.sleeve_reader.SLEEVE_KINDS` index of a worn reach."""
    return int(np.digitize(reach, KIND_EDGES))


def _pose_path(layout: DatasetLayout, person: str) -> Path:
    return layout.pose / f"{Path(person).stem}_keypoints.json"


def _label(layout: DatasetLayout, person: str) -> float | None:
    pose = _pose_path(layout, person)
    parse = parse_path(layout, person)
    if not pose.is_file() or not parse.is_file():
        return None
    landmarks = openpose_landmarks(pose)
    if landmarks is None:
        return None
    with Image.open(parse) as im:
        return worn_reach(np.array(im), landmarks)


def sleeve_reach_labels(layout: DatasetLayout, cache_dir: Path, pairs: Iterable[tuple[str, str]] | None = None,
                        progress: bool = True) -> dict[str, float | None]:
    """``{garment name: worn reach or None}`` for every pair of the layout (or ``pairs``), read
    from ``cache_dir/sleeve_reach.json`` or computed and written there first."""
    path = Path(cache_dir) / LABEL_FILE
    pairs = list(pairs) if pairs is not None else read_pairs_file(layout.pairs)
    labels = json.loads(path.read_text()) if path.is_file() else {}
    missing = [(p, g) for p, g in pairs if g not in labels]
    if missing:
        for person, garment in tqdm(missing, desc="sleeve labels", unit="pair", disable=not progress):
            labels[garment] = _label(layout, person)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda f: f.write(json.dumps(labels).encode()))
    return {g: labels[g] for _, g in pairs}
