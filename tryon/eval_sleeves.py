"""`tryon eval sleeves`: how well a garment's sleeves are told, against what its wearer shows.

Two garment sets:

- ``viton``: the garments of the held-out VITON pairs (validation, or the untouched test
  portion), each labelled with the sleeve its wearer shows in the paired photo
  (:mod:`tryon.data.sleeves`), prepared as the pipeline prepares them (with their cloth-masks).
  Three readings are scored: the mask's keypoints alone (no sleeve found counts as sleeveless),
  the sleeve reader alone, and :func:`tryon.sleeves.sleeve_kind` (keypoints, and the reader where
  they find no sleeve and it is sure), also on the garments whose mask shows no sleeve.
- ``wild`` (optional, ``clothing``): the CC0 ``clothing_upper`` photos of the held-out senders
  (:mod:`tryon.data.wild_garments`), cut out automatically as a shopper's upload is, by class:
  T-shirts and polos should read short; long-sleeves, hoodies and blazers long;
  undershirts (mostly tank tops) sleeveless. What matters most is ``bared_wrongly``: the share of
  garments with sleeves read as having shorter ones (sleeveless for a T-shirt; sleeveless or
  short for a long-sleeved one): the try-on would bare arms they cover; ``mask_alone`` is the
  same without the reader (a garment whose mask shows no sleeve stays untold).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
from tqdm import tqdm

from tryon import constants as C
from tryon.data.cache import default_cache_dir
from tryon.data.garments import load_garment
from tryon.data.layout import find_layout
from tryon.data.sleeves import kind_of, sleeve_reach_labels
from tryon.data.split import test_pairs, val_pairs
from tryon.data.wild_garments import WILD_KINDS, wild_photos
from tryon.errors import TryOnError
from tryon.garment import prepare_garment
from tryon.garment_keypoints import sleeve_length
from tryon.io import load_image
from tryon.models.sleeve_reader import SLEEVE_KINDS
from tryon.sleeves import load_reader, read_sleeves, sleeve_kind

__all__ = ["evaluate_sleeves"]

UNTOLD = "untold"


def _keypoint_kind(prepared) -> str | None:
    """:func:`tryon.sleeves.sleeve_kind` by the mask alone, no sleeve found counting as sleeveless."""
    kind = sleeve_kind(prepared)
    return "sleeveless" if kind is None and sleeve_length(prepared.keypoints) == 0 else kind


def _accuracy(pairs: list[tuple[str, str | None]]) -> dict:
    told = [(t, p) for t, p in pairs if p is not None]
    return {"accuracy": round(sum(t == p for t, p in told) / max(len(told), 1), 4),
            "told": len(told), "untold": len(pairs) - len(told)}


def _viton(data: Path, split: str, n_val: int, portion: str, reader, limit: int | None, progress: bool) -> dict:
    layout = find_layout(data, split)
    pairs = (val_pairs(layout, n_val) if portion == "val" else test_pairs(layout, n_val))[:limit]
    reaches = sleeve_reach_labels(layout, default_cache_dir(layout.split), pairs, progress=False)
    rows = []
    for _, name in tqdm(pairs, desc="viton garments", unit="garment", disable=not progress):
        if reaches.get(name) is None:
            continue
        try:
            prepared = load_garment(layout, name, size=C.FRAME_SIZE)
        except TryOnError:
            continue
        truth = SLEEVE_KINDS[kind_of(reaches[name])]
        read = SLEEVE_KINDS[int(np.argmax(read_sleeves(reader, prepared)))]
        rows.append((truth, _keypoint_kind(prepared), read, sleeve_kind(prepared, reader)))
    hidden = [r for r in rows if r[1] == "sleeveless"]   # no sleeve found on the mask
    report = {"garments": len(rows), "truth": dict(Counter(r[0] for r in rows))}
    for i, name in ((1, "keypoints"), (2, "reader"), (3, "combined")):
        report[name] = _accuracy([(r[0], r[i]) for r in rows])
    report["no_sleeve_found"] = {"garments": len(hidden), "truth": dict(Counter(r[0] for r in hidden)),
                                 "combined": _accuracy([(r[0], r[3]) for r in hidden]),
                                 "confusion": {f"{t}->{p or UNTOLD}": n for (t, p), n in
                                               sorted(Counter((r[0], r[3]) for r in hidden).items(), key=str)}}
    return report


def _wild(folder: Path, reader, per_class: int, progress: bool) -> dict:
    chosen: dict[str, list[str]] = {c: [] for c in WILD_KINDS}
    for name, label in wild_photos(folder, held_out=True):
        if len(chosen[label]) < per_class:
            chosen[label].append(name)
    report: dict = {}
    wrong, with_sleeves = Counter(), 0
    for label, names in chosen.items():
        kinds, masks = Counter(), Counter()
        for name in tqdm(names, desc=label, unit="photo", disable=not progress):
            try:
                prepared = prepare_garment(load_image(folder / "images" / f"{name}.jpg", what="garment"),
                                           size=C.FRAME_SIZE)
            except TryOnError:
                kinds["refused"] += 1
                continue
            kinds[sleeve_kind(prepared, reader) or UNTOLD] += 1
            masks[sleeve_kind(prepared) or UNTOLD] += 1
        expected = WILD_KINDS[label]
        judged = sum(n for k, n in kinds.items() if k != "refused")
        report[label] = {"expected": expected, "kinds": dict(kinds), "mask_alone": dict(masks),
                         "right": round(kinds[expected] / max(judged, 1), 4)}
        if expected != "sleeveless":
            shorter = ("sleeveless", "short") if expected == "long" else ("sleeveless",)
            wrong["combined"] += sum(kinds[k] for k in shorter)
            wrong["mask_alone"] += sum(masks[k] for k in shorter)
            with_sleeves += judged
    report["bared_wrongly"] = {k: round(wrong[k] / max(with_sleeves, 1), 4) for k in ("combined", "mask_alone")}
    return report


def evaluate_sleeves(data: str | Path, *, weights: str | Path | None = None, split: str = "train",
                     n_val: int = C.VALIDATION_PAIRS, portion: str = "val", clothing: str | Path | None = None,
                     per_class: int = 100, limit: int | None = None, out: str | Path | None = None,
                     progress: bool = True) -> dict:
    """Score the sleeve reading on held-out VITON garments and, with ``clothing``, on wild photos.

    Args:
        data: the VITON-style data set folder; ``split`` its split folder.
        weights: sleeve reader weights folder (default: bundled).
        n_val: the validation pairs are the last this-many lines of the pairs file.
        portion: ``"val"`` or ``"test"`` (the untouched test portion: report it once).
        clothing: the ``clothing_upper`` folder (``images.csv`` + ``images/``), or None.
        per_class: wild photos per class (the first in ``images.csv``).
        limit: only the first N held-out pairs.
        out: write the report here as JSON too.

    Raises:
        TryOnError: no sleeve reader weights, or no data set.
    """
    from tryon.assets import weights_dir

    folder = Path(weights) if weights is not None else weights_dir() / "sleeve-reader"
    if not (folder / "model.safetensors").is_file():
        raise TryOnError(f"No sleeve reader weights in '{folder}'; train them with `tryon train sleeve-reader`.")
    reader = load_reader(folder)
    report = {"portion": portion, "viton": _viton(Path(data), split, n_val, portion, reader, limit, progress)}
    if clothing is not None:
        report["wild"] = _wild(Path(clothing), reader, per_class, progress)
    if out is not None:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(report, indent=2) + "\n")
    return report
