"""`tryon eval parser`: the body parser's IoU on held-out VITON photos, against their parse maps.

Labels are compared in the groups the parser issue names (:data:`tryon.constants.PARSE_GROUPS`:
background, hair, face, upper clothes, lower clothes, arms, legs); mIoU is their mean. Two
figures per photo set:

- ``net``: the parser alone on the 256x192 photo (VITON photos are the model frame);
- ``with_pose`` (optional, ``pose=True``): what ``tryon parse`` writes: MediaPipe's person mask
  decides background, the aligned view is the try-on's. Slower (MediaPipe: ~40 ms a photo).

The default photo set is the persons of the validation pairs; ``split="test"`` scores the
untouched test portion (report it once, at release). ``skin_tops=True`` first recolours each
photo's upper garment (by its parse map) in the person's own skin tone
(:func:`tryon.data.parsing.skin_coloured_top`): how well the parser tells a beige or peach top
from bare arms.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from PIL import Image

from tryon import constants as C
from tryon.data.layout import find_layout
from tryon.data.parsing import parse_path, skin_coloured_top
from tryon.data.split import test_persons, val_persons
from tryon.metrics import confusion_matrix, iou_per_class
from tryon.parse import Parser, colorize

__all__ = ["evaluate_parser", "GROUP_NAMES", "lip_to_group"]

GROUP_NAMES = tuple(C.PARSE_GROUPS)
GRID_PHOTOS = 8     # photos shown in the evaluation grid
_GROUP_OF_LIP = np.zeros(C.LIP_NUM_LABELS, np.int64)
for _g, _ids in enumerate(C.PARSE_GROUPS.values()):
    _GROUP_OF_LIP[list(_ids)] = _g
_UPPER_GROUP = GROUP_NAMES.index("upper clothes")
_SKIN_GROUPS = [GROUP_NAMES.index(g) for g in ("face", "arms")]


def lip_to_group(labels: np.ndarray) -> np.ndarray:
    """LIP ids -> indices into :data:`GROUP_NAMES` (same shape)."""
    return _GROUP_OF_LIP[np.minimum(labels, C.LIP_NUM_LABELS - 1)]


def _report(confusion: np.ndarray) -> dict:
    iou = iou_per_class(confusion)
    return {"miou": round(float(np.nanmean(iou)), 4),
            "iou": {name: round(float(v), 4) for name, v in zip(GROUP_NAMES, iou)},
            "pixel_accuracy": round(float(np.trace(confusion) / max(confusion.sum(), 1)), 4)}


def evaluate_parser(data: str | Path, *, weights: str | Path | None = None, split: str = "train",
                    n_val: int = C.VALIDATION_PAIRS, portion: str = "val", limit: int | None = None,
                    pose: bool = False, skin_tops: bool = False, out: str | Path | None = None,
                    progress: bool = True) -> dict:
    """Score the parser on a VITON-style data set's held-out persons.

    Args:
        data: the data set folder; ``split`` its split folder.
        weights: parser weights folder (default: bundled).
        n_val: the validation pairs are the last this-many lines of the pairs file.
        portion: ``"val"`` (validation persons) or ``"test"`` (the untouched test portion).
        limit: only the first N photos.
        pose: also score the full ``tryon parse`` path (MediaPipe decides background).
        skin_tops: recolour each photo's upper garment in its person's skin tone first.
        out: write the JSON report here, and ``<out stem>-grid.png`` beside it.

    Returns:
        ``{"photos", "portion", "skin_tops", "net": {"miou", "iou": {group: IoU},
        "pixel_accuracy"}, "with_pose"?, "ms_per_frame"}``.
    """
    from tqdm import tqdm

    layout = find_layout(data, split)
    persons = (val_persons if portion == "val" else test_persons)(layout, n_val)[:limit]
    parser = Parser.from_pretrained(weights)
    k = len(GROUP_NAMES)
    conf = {"net": np.zeros((k, k), np.int64), "with_pose": np.zeros((k, k), np.int64)}
    times, shown = [], []
    for name in tqdm(persons, desc="parser", unit="photo", disable=not progress):
        photo = np.asarray(Image.open(layout.image / name).convert("RGB"))
        truth = np.array(Image.open(parse_path(layout, name)))
        if skin_tops:
            groups = lip_to_group(truth)
            photo = skin_coloured_top(photo, groups == _UPPER_GROUP, np.isin(groups, _SKIN_GROUPS))
        frame = np.asarray(Image.fromarray(photo).resize(C.FRAME_SIZE[::-1], Image.BILINEAR))
        t0 = time.perf_counter()
        pred = parser.frame_labels(frame)
        times.append(time.perf_counter() - t0)
        if pred.shape != truth.shape:
            pred = np.asarray(Image.fromarray(pred).resize(truth.shape[::-1], Image.NEAREST))
        conf["net"] += confusion_matrix(lip_to_group(pred), lip_to_group(truth), k)
        if pose:
            conf["with_pose"] += confusion_matrix(lip_to_group(_with_pose(parser, photo)), lip_to_group(truth), k)
        if len(shown) < GRID_PHOTOS:
            shown.append((photo, truth, pred))
    report = {"photos": len(persons), "portion": portion, "skin_tops": skin_tops, "net": _report(conf["net"]),
              "ms_per_frame": round(float(np.median(times)) * 1000, 2) if times else None}
    if pose:
        report["with_pose"] = _report(conf["with_pose"])
    if out is not None:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=1) + "\n")
        _grid(shown, out.with_name(out.stem + "-grid.png"))
    return report


def _with_pose(parser: Parser, photo: np.ndarray) -> np.ndarray:
    from tryon.errors import TryOnError
    from tryon.pose import detect_pose

    try:
        return parser(photo, detect_pose(photo)).labels
    except TryOnError:                      # no person found: everything background
        return np.zeros(photo.shape[:2], np.uint8)


def _grid(shown: list, path: Path) -> None:
    """Photos (top), VITON's maps (middle) and the parser's (bottom)."""
    import torch

    from tryon.training.grid import make_grid, save_grid

    if not shown:
        return
    photos = torch.stack([torch.from_numpy(np.array(p)).permute(2, 0, 1).float() / 255 for p, _, _ in shown])
    truth = colorize(torch.stack([torch.from_numpy(t.astype(np.int64)) for _, t, _ in shown]))
    pred = colorize(torch.stack([torch.from_numpy(p.astype(np.int64)) for _, _, p in shown]))
    save_grid(make_grid([photos, truth, pred]), path)
