"""How often the garment check is wrong, per source of photos, on a fixed calibration / held-out split.

Run ``tryon eval garment-check --viton DIR --clothing DIR [--persons DIR] --out OUT.json`` (or
``python -m tryon.eval_garment_check`` with the same options; add ``--calibrate`` to refit the
check on the calibration portion and print its JSON). Sources:

* ``viton_garments_768``: the garment VAE's held-out VITON in-shop garments (the last 500 pairs,
  never trained on), upscaled to 768x1024 on white, like a shop's product photo;
* ``wild_tops``: clothing_upper photos of upper-body garments in the wild (every class but Dress);
* ``wild_dresses``: clothing_upper dresses (reported, no target);
* ``viton_persons_768``: the held-out pairs' VITON person photos, upscaled to 768x1024;
* ``person_photos``: every image of ``--persons`` (e.g. the astronaut at 768 and 1024 px);
* ``non_garments``: scikit-image's photos and textures, whole and as four crops each;
* ``bundled_examples``: ``assets/examples/garments``.

Every photo belongs to one portion, fixed by a hash of its key (:func:`portion`): the clothing_upper
sender (so one sender's floor and light never sits on both sides), the VITON file stem, or the
scikit-image name. Calibration never sees the held-out portion; the report is on the held-out one.
A photo the segmentation refuses counts as flagged (``tryon check-garment`` says "not a garment").
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image
from tqdm import tqdm

from tryon.constants import VALIDATION_PAIRS

__all__ = ["Sample", "portion", "samples", "GARMENT_SOURCES", "FLAG_SOURCES", "score_samples", "rates",
           "evaluate_garment_check", "SHOP_SIZE", "CALIBRATION", "HELD_OUT"]

SHOP_SIZE = (768, 1024)      # (W, H) of a shop's product photo: VITON photos are upscaled to it
CALIBRATION, HELD_OUT = "calibration", "held_out"
CALIBRATION_SHARE = 0.5      # share of keys (hash space) in the calibration portion
PER_SOURCE = 300             # photos scored per source and portion (random, seeded), at most
NON_TOP = "Dress"            # the clothing_upper class that is not an upper-body garment
CROPS = ((0.0, 0.0, 0.6, 0.6), (0.4, 0.0, 1.0, 0.6), (0.0, 0.4, 0.6, 1.0), (0.2, 0.2, 0.8, 0.8))  # x0 y0 x1 y1
NATURAL = ("astronaut", "binary_blobs", "brick", "camera", "cat", "cell", "checkerboard", "chelsea", "clock",
           "coffee", "coins", "colorwheel", "grass", "gravel", "horse", "hubble_deep_field",
           "immunohistochemistry", "logo", "microaneurysms", "moon", "page", "retina", "rocket",
           "shepp_logan_phantom", "text")  # scikit-image data that ships with it (no download)
GARMENT_SOURCES = ("viton_garments_768", "wild_tops", "wild_dresses", "bundled_examples")
FLAG_SOURCES = ("viton_persons_768", "person_photos", "non_garments")
EXAMPLES = Path(__file__).resolve().parent.parent / "assets" / "examples" / "garments"


@dataclass
class Sample:
    """One photo to check: ``source`` (see the module docstring), ``name``, and ``load()`` -> RGB PIL."""

    source: str
    name: str
    load: Callable[[], Image.Image]


def portion(key: str) -> str:
    """:data:`CALIBRATION` or :data:`HELD_OUT`, fixed by the SHA-1 of ``key``."""
    h = int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) / 16 ** 8
    return CALIBRATION if h < CALIBRATION_SHARE else HELD_OUT


def _upscaled(path: Path) -> Callable[[], Image.Image]:
    def load() -> Image.Image:
        with Image.open(path) as im:
            return im.convert("RGB").resize(SHOP_SIZE, Image.Resampling.BICUBIC)
    return load


def _as_is(path: Path) -> Callable[[], Image.Image]:
    def load() -> Image.Image:
        with Image.open(path) as im:
            return im.convert("RGB")
    return load


def _natural(name: str, box: tuple[float, float, float, float] | None) -> Callable[[], Image.Image]:
    def load() -> Image.Image:
        from skimage import data

        a = np.asarray(getattr(data, name)())
        if a.dtype != np.uint8:  # bool masks and float phantoms
            a = a.astype(np.float64)
            a = (255 * (a - a.min()) / max(float(a.max() - a.min()), 1e-9)).astype(np.uint8)
        img = Image.fromarray(a).convert("RGB")
        if box is None:
            return img
        w, h = img.size
        return img.crop((round(box[0] * w), round(box[1] * h), round(box[2] * w), round(box[3] * h)))
    return load


def _viton(viton: Path, n_val: int) -> list[Sample]:
    from tryon.data import find_layout, val_garments
    from tryon.data.split import val_persons

    layout = find_layout(viton, "train")
    out = [Sample("viton_garments_768", n, _upscaled(layout.cloth / n)) for n in val_garments(layout, n_val)]
    return out + [Sample("viton_persons_768", n, _upscaled(layout.image / n)) for n in val_persons(layout, n_val)]


def _clothing(clothing: Path) -> tuple[list[Sample], dict[str, str]]:
    """clothing_upper samples and their split keys (the sender)."""
    out, keys = [], {}
    with open(clothing / "images.csv", newline="") as f:
        for row in csv.DictReader(f):
            source = "wild_dresses" if row["label"] == NON_TOP else "wild_tops"
            out.append(Sample(source, row["image"], _as_is(clothing / "images" / f"{row['image']}.jpg")))
            keys[row["image"]] = f"sender:{row['sender_id']}"
    return out, keys


def _naturals() -> list[Sample]:
    try:
        from skimage import data
    except ImportError:
        return []
    names = [n for n in NATURAL if hasattr(data, n)]
    return [Sample("non_garments", f"{n}{'' if b is None else f'@{i}'}", _natural(n, b))
            for n in names for i, b in enumerate((None,) + CROPS)]


def samples(which: str, *, viton: Path | None = None, clothing: Path | None = None, persons: Path | None = None,
            per_source: int = PER_SOURCE, seed: int = 0, n_val: int = VALIDATION_PAIRS) -> list[Sample]:
    """The photos of one portion (``which``: :data:`CALIBRATION` or :data:`HELD_OUT`), at most
    ``per_source`` per source (seeded random pick). ``--persons`` photos and the bundled examples
    are always reported in the held-out portion and never calibrated on."""
    keys: dict[str, str] = {}
    pool: list[Sample] = []
    if viton is not None:
        pool += _viton(Path(viton), n_val)
    if clothing is not None:
        found, keys = _clothing(Path(clothing))
        pool += found
    pool += _naturals()
    pick = [s for s in pool if portion(keys.get(s.name, s.name.split("@")[0])) == which]
    rng = random.Random(seed)
    out: list[Sample] = []
    for source in GARMENT_SOURCES + FLAG_SOURCES:
        group = [s for s in pick if s.source == source]
        out += rng.sample(group, min(per_source, len(group)))
    if which == HELD_OUT:
        if persons is not None:
            out += [Sample("person_photos", p.name, _as_is(p)) for p in sorted(Path(persons).iterdir())
                    if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp")]
        out += [Sample("bundled_examples", p.name, _as_is(p)) for p in sorted(EXAMPLES.glob("*.jpg"))]
    return out


def score_samples(checker, items: list[Sample], desc: str = "garment check") -> list[dict]:
    """Run ``checker`` (a :class:`tryon.conditioning.GarmentChecker`) on each photo, as
    ``tryon check-garment`` does. One dict per photo: ``source``, ``name``, ``flagged``, ``score``
    and ``features`` (None when the segmentation refused the photo)."""
    from tryon.errors import GarmentError
    from tryon.garment import prepare_garment

    rows = []
    for s in tqdm(items, desc=desc, unit="photo", leave=False):
        try:
            prepared = prepare_garment(s.load(), size=tuple(checker.vae.config.resolution))
        except GarmentError:
            rows.append({"source": s.source, "name": s.name, "flagged": True, "score": None, "features": None})
            continue
        result, features = checker.check_with_features(prepared)
        rows.append({"source": s.source, "name": s.name, "flagged": not result.is_garment,
                     "score": result.score, "features": features})
    return rows


def rates(rows: list[dict]) -> dict:
    """Per source: photos, how many were flagged "not a garment" (a share), how many the
    segmentation refused, and the flagged names for the small sources."""
    out = {}
    for source in GARMENT_SOURCES + FLAG_SOURCES:
        group = [r for r in rows if r["source"] == source]
        if not group:
            continue
        flagged = [r["name"] for r in group if r["flagged"]]
        out[source] = {"photos": len(group), "flagged": round(len(flagged) / len(group), 4),
                       "refused_by_segmentation": sum(r["features"] is None for r in group),
                       **({"flagged_names": flagged} if len(group) <= 20 else {})}
    return out


def evaluate_garment_check(*, viton: Path | None = None, clothing: Path | None = None, persons: Path | None = None,
                           per_source: int = PER_SOURCE, weights: Path | None = None, out: Path | None = None,
                           calibrate_check: bool = False) -> dict:
    """Score the held-out portion (the report: ``{"portion", "check", "rates"}``, written to ``out``
    as JSON when given), or with ``calibrate_check`` fit the check on the calibration portion and
    return its JSON (what ``config.json``'s ``extra["garment_check"]`` holds; ``out`` unused)."""
    from tryon.assets import weights_dir
    from tryon.conditioning import GarmentChecker
    from tryon.garment_check import calibrate

    checker = GarmentChecker.from_pretrained(weights or weights_dir() / "garment-vae")
    kw = dict(viton=viton, clothing=clothing, persons=persons, per_source=per_source)
    if calibrate_check:
        rows = score_samples(checker, samples(CALIBRATION, **kw), "calibration")
        return calibrate(rows, GARMENT_SOURCES, FLAG_SOURCES).to_json()
    rows = score_samples(checker, samples(HELD_OUT, **kw), "held out")
    report = {"portion": HELD_OUT, "check": "logistic" if checker.logistic else "elbo threshold",
              "per_source": per_source, "rates": rates(rows)}
    if out is not None:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(report, indent=2) + "\n")
    return report


def main(argv: list[str] | None = None) -> int:
    """``python -m tryon.eval_garment_check``: the held-out rates as JSON (``--calibrate``: refit)."""
    p = argparse.ArgumentParser(prog="python -m tryon.eval_garment_check", description=__doc__.split("\n")[0])
    p.add_argument("--viton", type=Path, help="VITON-style data set folder (the held-out pairs are used)")
    p.add_argument("--clothing", type=Path, help="clothing_upper folder (images/ + images.csv)")
    p.add_argument("--persons", type=Path, help="folder of extra person photos (held-out report only)")
    p.add_argument("--weights", type=Path, default=None, help="garment VAE folder (default: bundled)")
    p.add_argument("--per-source", type=int, default=PER_SOURCE, help=f"photos per source (default {PER_SOURCE})")
    p.add_argument("--out", type=Path, default=Path("runs") / "eval-garment-check.json", help="JSON report")
    p.add_argument("--calibrate", action="store_true",
                   help="fit the check on the calibration portion and print its JSON (for config.json)")
    args = p.parse_args(argv)
    report = evaluate_garment_check(viton=args.viton, clothing=args.clothing, persons=args.persons,
                                    per_source=args.per_source, weights=args.weights, out=args.out,
                                    calibrate_check=args.calibrate)
    print(json.dumps(report if args.calibrate else report["rates"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
