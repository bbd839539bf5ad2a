"""How well garments are cut out of photos taken on beds, floors and hangers: the learned cutter
against GrabCut.

Two measures, one with a true outline and one by eye:

- **Made-up photos** (:class:`tryon.data.garment_cuts.GarmentCuts`, fixed seed): the validation
  garments laid on the backgrounds of the held-out senders' ``clothing_upper`` photos. Both cut-outs
  go the whole way a shopper's upload goes (:func:`tryon.garment_segmentation.segment_garment`:
  a plain background still takes the threshold), and each is scored by IoU with the garment's
  cloth-mask: mean, median, the share at least :data:`GOOD_IOU` and the share below
  :data:`BAD_IOU` (a garment the try-on cannot use). ``network`` scores the cutter's own
  probability (above one half, holes filled) without GrabCut's refinement, for reference.
- **Real photos** (no outline drawn by hand exists): the held-out senders' ``clothing_upper``
  photos. Those on a plain background are thresholded reliably; there the threshold's mask is the
  truth that the cutter and GrabCut, each run alone, are scored against (real garments, creased
  and shaded, on easy backgrounds). Those on a busy background go on a sheet to look at, each
  with both cut-outs on white, and the share where the two disagree (IoU between them below
  :data:`BAD_IOU`) is reported.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from tryon import constants as C
from tryon.data.garment_cuts import GarmentCuts, sender_photos, background_plates
from tryon.data.layout import find_layout
from tryon.data.split import val_garments
from tryon.errors import TryOnError
from tryon.garment_segmentation import grabcut_mask, learned_mask, segment_garment
from tryon.io import load_image
from tryon.learned_cut import Cutter

__all__ = ["evaluate_cutter", "GOOD_IOU", "BAD_IOU"]

GOOD_IOU, BAD_IOU = 0.9, 0.7
SEED = 0                  # the made-up photos: the same pictures every run
SHEET_PHOTOS = 48         # real photos on the sheet
SHEET_TILE = 160          # px: each of photo, learned cut-out and GrabCut cut-out on the sheet
SHEET_COLUMNS = 3         # photos (each with its two cut-outs) across the sheet
WHITE = 255


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))


def _cut(image: Image.Image, cutter) -> tuple[np.ndarray, str]:
    """``(mask, method)``; an empty mask when the cut-out is refused."""
    try:
        mask, method, _ = segment_garment(image, cutter=cutter)
    except TryOnError:
        return np.zeros((image.height, image.width), bool), "refused"
    return mask, method


def _summary(ious: list[float]) -> dict:
    a = np.asarray(ious, np.float64)
    return {"mean_iou": float(a.mean()), "median_iou": float(np.median(a)),
            "good_share": float((a >= GOOD_IOU).mean()), "bad_share": float((a < BAD_IOU).mean())}


def _tile(rgb: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    shown = rgb if mask is None else np.where(mask[..., None], rgb, WHITE).astype(np.uint8)
    im = Image.fromarray(shown)
    im.thumbnail((SHEET_TILE, SHEET_TILE), Image.LANCZOS)
    tile = np.full((SHEET_TILE, SHEET_TILE, 3), WHITE, np.uint8)
    tile[:im.height, :im.width] = np.asarray(im)
    return tile


def evaluate_cutter(data: str | Path, wild: str | Path, cache: str | Path, *, weights: str | Path | None = None,
                    split: str = "train", n_val: int | None = None, limit: int | None = None,
                    out: str | Path | None = None, progress: bool = True) -> dict:
    """Score the learned cutter and GrabCut (see the module docstring).

    Args:
        data: a VITON-style data set folder; ``split`` its split folder.
        wild: the ``clothing_upper`` folder (its held-out senders' photos only).
        cache: where the backgrounds are kept (:func:`~tryon.data.garment_cuts.background_plates`).
        weights: the cutter's folder (default: the bundled one).
        n_val: validation pairs (default :data:`tryon.constants.VALIDATION_PAIRS`).
        limit: only the first ``limit`` garments and real photos.
        out: the JSON report; the sheet is written beside it as ``<stem>-sheet.png``.
    """
    cutter = Cutter.from_pretrained(weights)
    layout = find_layout(data, split)
    garments = val_garments(layout, n_val or C.VALIDATION_PAIRS)[:limit]
    made_up = GarmentCuts(layout, garments, background_plates(wild, cache, held_out=True, progress=progress),
                          seed=SEED)
    start = time.perf_counter()
    scores: dict[str, list[float]] = {"learned": [], "network": [], "grabcut": []}
    for i in tqdm(range(len(made_up)), desc="made-up photos", unit="photo", disable=not progress):
        image, label = made_up.picture(i)
        truth, photo = label.astype(bool), Image.fromarray(image)
        for name, c in (("learned", cutter), ("grabcut", None)):
            scores[name].append(_iou(_cut(photo, c)[0], truth))
        scores["network"].append(_iou(learned_mask(image, cutter, refine=False), truth))
    names = sender_photos(Path(wild), held_out=True)[:limit]
    agree, tiles, plain = [], [], {"learned": [], "grabcut": []}
    for name in tqdm(names, desc="real photos", unit="photo", disable=not progress):
        photo = load_image(Path(wild) / "images" / f"{name}.jpg", what="garment photo").convert("RGB")
        learned, method = _cut(photo, cutter)
        if method == "threshold":                   # a plain background: the threshold's mask is the truth
            rgb = np.asarray(photo)
            plain["learned"].append(_iou(learned_mask(rgb, cutter), learned))
            plain["grabcut"].append(_iou(grabcut_mask(rgb), learned))
            continue
        if method != "learned":
            continue
        grabcut, _ = _cut(photo, None)
        agree.append(_iou(learned, grabcut))
        if len(tiles) < SHEET_PHOTOS:
            rgb = np.asarray(photo)
            tiles.append(np.concatenate([_tile(rgb), _tile(rgb, learned), _tile(rgb, grabcut)], 1))
    report = {
        "made_up": {"photos": len(made_up), **{name: _summary(v) for name, v in scores.items()}},
        "real": {"photos": len(names), "plain_background": len(plain["learned"]),
                 "plain_learned": _summary(plain["learned"]) if plain["learned"] else None,
                 "plain_grabcut": _summary(plain["grabcut"]) if plain["grabcut"] else None,
                 "busy_background": len(agree),
                 "disagree_share": float((np.asarray(agree) < BAD_IOU).mean()) if agree else None},
        "seconds": time.perf_counter() - start,
    }
    if out is not None:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        if tiles:
            tiles += [np.full_like(tiles[0], WHITE)] * (-len(tiles) % SHEET_COLUMNS)
            rows = [np.concatenate(tiles[i:i + SHEET_COLUMNS], 1) for i in range(0, len(tiles), SHEET_COLUMNS)]
            sheet = out.with_name(out.stem + "-sheet.png")
            Image.fromarray(np.concatenate(rows, 0)).save(sheet)
            report["sheet"] = str(sheet)
        out.write_text(json.dumps(report, indent=2))
    return report
