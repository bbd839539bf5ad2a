"""How long garments hang on a body against their photos' own proportions: the measurement
behind the spline's length calibration, :data:`tryon.warp.MEASURED_LENGTHS`.

On training pairs only (never the validation pairs nor the untouched test portion), each
garment's photo is fitted with :data:`tryon.warp.PHOTO_LENGTHS` (the photo's own proportions,
scaled by the shoulder-width ratio) and compared with the same garment as its wearer's parse
map shows it:

- ``hem``: how far below the shoulders the worn hem hangs, over the fit's neck-to-hem drop
  (garments whose hem lies inside the photo);
- ``long_sleeve``: the body's shoulder-to-wrist length over the fit's sleeve length, for long
  sleeves worn down to the wrist (no bare forearm in the parse);
- ``short_sleeve``: where the bare arm begins, over where the fit's sleeve ends (upper-arm
  lengths from the shoulder), for sleeves that leave the forearm bare.

Each is reported as its median and quartiles; ``suggested`` is the median of ``hem`` and the
mean of the two sleeve medians (one factor serves both sleeve kinds).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from tryon import constants as C
from tryon.data.cache import LandmarkCache, default_cache_dir
from tryon.data.layout import find_layout
from tryon.data.split import test_pairs, train_pairs
from tryon.data.tryon_pairs import GARMENT_LABELS, garment_in_frame, person_in_frame
from tryon.errors import TryOnError
from tryon.sleeve_cover import arm_positions, sleeve_reaches
from tryon.warp import PHOTO_LENGTHS, image_sides, named_targets

__all__ = ["measure_lengths"]

MIN_GARMENT_PIXELS = 500    # a parse with less of the garment in view is skipped
AXIS_BAND = 0.3             # the hem is looked for this share of the shoulder span around the axis
FRAME_EDGE = 6              # px: a hem this close to the frame's bottom may continue below it
LONG_WORN = 1.7             # bare arm only past this (upper-arm lengths): the sleeve is worn long
SHORT_WORN = 1.5            # bare arm from before this: the sleeve leaves the forearm bare
ON_ARM = 15                 # px: a fitted sleeve end this close to its arm counts as placed on it


def _summary(values: list[float]) -> dict:
    v = np.asarray(values, np.float64)
    if v.size == 0:
        return {"n": 0, "median": None, "p25": None, "p75": None}
    return {"n": int(v.size), "median": round(float(np.median(v)), 3),
            "p25": round(float(np.percentile(v, 25)), 3), "p75": round(float(np.percentile(v, 75)), 3)}


def _one(labels: np.ndarray, landmarks: np.ndarray, keypoints: dict) -> tuple[list, list, list]:
    """``(hem, long_sleeve, short_sleeve)`` ratios of one pair (0 to 2 values each)."""
    names, _, dst = named_targets(keypoints, landmarks, PHOTO_LENGTHS)
    at = {n: i for i, n in enumerate(names)}
    g = {k: np.asarray(v, np.float64) for k, v in keypoints.items() if v is not None}
    hems, longs, shorts = [], [], []
    worn = np.isin(labels, GARMENT_LABELS)
    if worn.sum() < MIN_GARMENT_PIXELS or not {"neck", "shoulder_l", "shoulder_r", "hem_l", "hem_r"} <= set(at):
        return hems, longs, shorts
    span = dst[at["shoulder_r"]] - dst[at["shoulder_l"]]
    k = float(np.linalg.norm(span)) / max(float(np.linalg.norm(g["shoulder_r"] - g["shoulder_l"])), 1.0)
    drop = ((g["hem_l"][1] + g["hem_r"][1]) / 2 - g["neck"][1]) * k
    neck = dst[at["neck"]]
    half = abs(span[0]) * AXIS_BAND
    rows = np.nonzero(worn[:, max(int(neck[0] - half), 0):int(neck[0] + half) + 1].any(1))[0]
    if rows.size and rows.max() < labels.shape[0] - FRAME_EDGE and drop > 0:
        hems.append((rows.max() - neck[1]) / drop)
    arms = arm_positions(landmarks, labels.shape)
    reaches = sleeve_reaches(labels, landmarks, np.zeros(labels.shape, np.float32), arms)
    for name, (sh, el, wr, _) in zip(("sleeve_l", "sleeve_r"), image_sides(landmarks)):
        j = 0 if sh == C.LEFT_SHOULDER else 1        # arm_positions / sleeve_reaches: left arm first
        if name not in at or arms[j] is None or reaches[j] is None:
            continue
        bare_from = reaches[j][0]
        t_sh, end = dst[at["shoulder" + name[-2:]]], dst[at[name]]
        length = float(np.linalg.norm(end - t_sh))
        if bare_from >= LONG_WORN and landmarks[wr, 2] >= 0.3:
            reach = np.linalg.norm(landmarks[el, :2] - t_sh) + np.linalg.norm(landmarks[wr, :2] - landmarks[el, :2])
            longs.append(float(reach) / max(length, 1.0))
        elif bare_from < SHORT_WORN:
            x, y = np.clip(np.round(end).astype(int), 0, [labels.shape[1] - 1, labels.shape[0] - 1])
            position, distance = arms[j]
            if distance[y, x] <= ON_ARM and position[y, x] > 0:
                shorts.append(bare_from / float(position[y, x]))
    return hems, longs, shorts


def measure_lengths(data: str | Path, *, split: str = "train", cache: str | Path | None = None,
                    pairs: int = 400, seed: int = 0, out: str | Path | None = None, progress: bool = True,
                    n_val: int = C.VALIDATION_PAIRS, n_test: int = C.TEST_PAIRS) -> dict:
    """Measure how much of a garment photo's hem and sleeve lengths is worn (module docstring).

    Args:
        data: a VITON-style data set folder with parse maps; ``split`` its split folder.
        cache: its MediaPipe landmark cache (default: the one ``tryon prepare`` made).
        pairs: how many training pairs to draw (``seed`` draws them).
        out: also write the report here (JSON).
        n_val, n_test: the validation pairs and the test portion the pairs file holds out.

    Returns:
        ``{"pairs", "skipped", "hem", "long_sleeve", "short_sleeve", "suggested"}``.

    Raises:
        TryOnError: no landmark cache, or no usable pair.
    """
    layout = find_layout(data, split)
    landmarks = LandmarkCache(Path(cache) if cache else default_cache_dir(layout.split))
    held = set(test_pairs(layout, n_val, n_test))
    candidates = [p for p in train_pairs(layout, n_val) if p not in held]
    rng = np.random.default_rng(seed)
    chosen = [candidates[i] for i in rng.choice(len(candidates), min(pairs, len(candidates)), replace=False)]
    hems, longs, shorts, skipped = [], [], [], 0
    for person, garment in tqdm(chosen, desc="lengths", unit="pair", disable=not progress):
        try:  # the person and the garment alone: no warp, no network inputs
            _, body, parse = person_in_frame(layout, landmarks, person, C.FRAME_SIZE)
            kp = garment_in_frame(layout, garment, C.FRAME_SIZE).keypoints
        except (TryOnError, OSError, ValueError):
            skipped += 1
            continue
        h, lo, sh = _one(np.ascontiguousarray(parse), body.landmarks, kp)
        hems += h
        longs += lo
        shorts += sh
    if not hems:
        raise TryOnError("No training pair could be measured; check the data set's parse maps and landmark cache.")
    report = {"pairs": len(chosen), "skipped": skipped, "hem": _summary(hems),
              "long_sleeve": _summary(longs), "short_sleeve": _summary(shorts)}
    sleeve = [s["median"] for s in (report["long_sleeve"], report["short_sleeve"]) if s["median"] is not None]
    report["suggested"] = {"hem": report["hem"]["median"],
                           "sleeve": round(float(np.mean(sleeve)), 2) if sleeve else None}
    if out is not None:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(report, indent=2) + "\n")
    return report
