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
* ``package_photos``: other photos that ship with installed packages (matplotlib's, gradio's,
  scikit-image's and SciPy's sample images: a motorbike, a portrait, big cats, a tower, logos, a
  screenshot), whole and as four crops each; none is, or is cut from, a ``non_garments`` image;
* ``procedural``: non-garments drawn from a seed (:func:`procedural_image`): scattered objects,
  gradients, two-tone blobs, one geometric shape, a horizon with towers, stripes and checks;
* ``bundled_examples``: ``assets/examples/garments``.

Every photo belongs to one portion, fixed by a hash of its key (:func:`portion`): the clothing_upper
sender (so one sender's floor and light never sits on both sides), the VITON file stem, the
scikit-image or package image's name (its crops go with it), or the procedural image's name.
Calibration never sees the held-out portion; the report is on the held-out one.
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

import cv2
import numpy as np
from PIL import Image
from tqdm import tqdm

from tryon.constants import VALIDATION_PAIRS

__all__ = ["Sample", "portion", "samples", "GARMENT_SOURCES", "FLAG_SOURCES", "score_samples", "rates",
           "procedural_image", "evaluate_garment_check", "SHOP_SIZE", "CALIBRATION", "HELD_OUT"]

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
NATURAL_SEEDED = {"binary_blobs": {"rng": 0}}  # drawn at random on each call: seeded, so that runs agree
# Photos other installed packages ship: key (split by it, crops with it) -> (package, path inside it).
# Left out: scikit-image's color.png (it IS data.colorwheel), chessboard (a near copy of checkerboard).
PACKAGE_PHOTOS = {
    "motorcycle": (("skimage", "data/motorcycle_left.png"), ("skimage", "data/motorcycle_right.png")),
    "grace_hopper": (("matplotlib", "mpl-data/sample_data/grace_hopper.jpg"),),
    "present": (("matplotlib", "mpl-data/sample_data/Minduka_Present_Blue_Pack.png"),),
    "mpl_logo": (("matplotlib", "mpl-data/sample_data/logo2.png"),),
    "cheetah": (("gradio", "media_assets/images/cheetah.jpg"),),
    "cheetah_cub": (("gradio", "media_assets/images/cheetah1.jpg"), ("gradio", "test_data/cheetah2.jpg")),
    "lion": (("gradio", "media_assets/images/lion.jpg"),),
    "groot": (("gradio", "media_assets/images/groot.jpeg"),),
    "tower": (("gradio", "media_assets/images/tower.jpg"),),
    "hf_logo": (("gradio", "media_assets/images/hf-logo_transpng.png"),),
    "bus": (("gradio", "media_assets/images/bus.png"),),
    "screenshot": (("gradio", "media_assets/images/screenshot.gif"),),
    "dots": (("scipy", "ndimage/tests/dots.png"),),
}
PROCEDURAL_FAMILIES = ("scatter", "gradient", "blobs", "shape", "scene", "stripes")
PROCEDURAL_PER_FAMILY = 100  # images drawn per family (both portions together)
PROCEDURAL_SIDES = (256, 768)  # each side of a procedural image, px, drawn uniformly in this range
GARMENT_SOURCES = ("viton_garments_768", "wild_tops", "wild_dresses", "bundled_examples")
FLAG_SOURCES = ("viton_persons_768", "person_photos", "non_garments", "package_photos", "procedural")
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


def _crop(img: Image.Image, box: tuple[float, float, float, float] | None) -> Image.Image:
    """``img`` cropped to ``box`` (x0, y0, x1, y1 as shares of its size); None: whole."""
    if box is None:
        return img
    w, h = img.size
    return img.crop((round(box[0] * w), round(box[1] * h), round(box[2] * w), round(box[3] * h)))


def _natural(name: str, box: tuple[float, float, float, float] | None) -> Callable[[], Image.Image]:
    def load() -> Image.Image:
        from skimage import data

        a = np.asarray(getattr(data, name)(**NATURAL_SEEDED.get(name, {})))
        if a.dtype != np.uint8:  # bool masks and float phantoms
            a = a.astype(np.float64)
            a = (255 * (a - a.min()) / max(float(a.max() - a.min()), 1e-9)).astype(np.uint8)
        return _crop(Image.fromarray(a).convert("RGB"), box)
    return load


def _package_file(path: Path, box: tuple[float, float, float, float] | None) -> Callable[[], Image.Image]:
    def load() -> Image.Image:
        with Image.open(path) as im:  # transparent ones stay RGBA: the segmentation reads their alpha
            im.seek(0)
            return _crop(im.convert("RGBA" if im.mode in ("RGBA", "LA", "P") and _has_alpha(im) else "RGB"), box)
    return load


def _has_alpha(im: Image.Image) -> bool:
    return im.mode in ("RGBA", "LA") or "transparency" in im.info


# ------------------------------------------------------------------ procedural non-garments
def _ramp(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """``(h, w)`` in ``[0, 1]`` rising along a random direction."""
    a = rng.uniform(0, 2 * np.pi)
    y, x = np.mgrid[0:h, 0:w]
    t = x * np.cos(a) + y * np.sin(a)
    return (t - t.min()) / max(float(np.ptp(t)), 1e-9)


def _noise(rng: np.random.Generator, h: int, w: int, cell: int) -> np.ndarray:
    """``(h, w)`` smooth noise in about ``[0, 1]`` with features about ``cell`` px across."""
    small = rng.random((max(2, h // cell), max(2, w // cell)))
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def _surface(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A coloured, shaded and textured ``(h, w, 3)`` float surface (0-255)."""
    colour = rng.integers(0, 256, 3).astype(np.float64)
    shade = 1 + rng.uniform(-0.35, 0.35) * (2 * _ramp(rng, h, w) - 1)
    grain = rng.uniform(0, 45) * (_noise(rng, h, w, int(rng.integers(1, 9))) - 0.5)
    return colour * shade[..., None] + grain[..., None]


def _shape_mask(rng: np.random.Generator, h: int, w: int, centre: tuple[int, int], size: float) -> np.ndarray:
    """``(h, w)`` bool: an ellipse, a box, a triangle, a star, a ring or a hexagon at ``centre``."""
    m = np.zeros((h, w), np.uint8)
    kind = rng.choice(["ellipse", "box", "triangle", "star", "ring", "hexagon"])
    cx, cy, r = centre[0], centre[1], max(3.0, size / 2)
    if kind in ("ellipse", "ring"):
        axes = (int(r), int(r * rng.uniform(0.5, 1.0)))
        cv2.ellipse(m, (cx, cy), axes, float(rng.uniform(0, 180)), 0, 360, 1, -1)
        if kind == "ring":
            cv2.ellipse(m, (cx, cy), (axes[0] // 2, axes[1] // 2), 0, 0, 360, 0, -1)
        return m.astype(bool)
    corners = {"box": 4, "triangle": 3, "star": 10, "hexagon": 6}[str(kind)]
    angles = rng.uniform(0, 2 * np.pi) + np.arange(corners) * 2 * np.pi / corners
    radii = np.where(np.arange(corners) % 2, 0.45, 1.0) * r if kind == "star" else np.full(corners, r)
    points = np.stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)], 1).round().astype(np.int32)
    cv2.fillPoly(m, [points], 1)
    return m.astype(bool)


def _draw(rng: np.random.Generator, family: str, h: int, w: int) -> np.ndarray:
    """One :data:`PROCEDURAL_FAMILIES` image as ``(h, w, 3)`` float (0-255)."""
    side = min(h, w)
    if family == "scatter":  # several objects on a surface (pebbles, coins, toys on a table)
        img = _surface(rng, h, w)
        for _ in range(int(rng.integers(3, 13))):
            centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            m = _shape_mask(rng, h, w, centre, rng.uniform(0.15, 0.45) * side)
            img[m] = _surface(rng, h, w)[m]
        return img
    if family == "gradient":  # linear, radial, or a hue wheel
        kind = rng.integers(3)
        if kind == 2:
            y, x = np.mgrid[0:h, 0:w]
            cx, cy = rng.uniform(0, w), rng.uniform(0, h)
            hue = (np.degrees(np.arctan2(y - cy, x - cx)) % 360) / 2
            sat = np.clip(np.hypot(x - cx, y - cy) / side * 255 * rng.uniform(0.7, 2), 0, 255)
            hsv = np.stack([hue, sat, np.full((h, w), rng.uniform(150, 255))], -1).astype(np.uint8)
            return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB).astype(np.float64)
        t = _ramp(rng, h, w) if kind == 0 else np.clip(_noise(rng, h, w, side), 0, 1)
        c0, c1 = rng.integers(0, 256, (2, 3)).astype(np.float64)
        return c0 + t[..., None] * (c1 - c0)
    if family == "blobs":  # a two-tone pattern (a thresholded smooth noise)
        t = _noise(rng, h, w, int(rng.integers(8, 64)))
        on = t > np.quantile(t, rng.uniform(0.3, 0.7))
        return np.where(on[..., None], _surface(rng, h, w), _surface(rng, h, w))
    if family == "shape":  # one object on white or on a surface
        img = np.full((h, w, 3), 255.0) if rng.random() < 0.5 else _surface(rng, h, w)
        centre = (w // 2 + int(rng.integers(-w // 8, w // 8 + 1)), h // 2)
        m = _shape_mask(rng, h, w, centre, rng.uniform(0.35, 0.9) * side)
        img[m] = _surface(rng, h, w)[m]
        return img
    if family == "scene":  # sky over textured ground, a few towers
        horizon = int(rng.uniform(0.4, 0.8) * h)
        c0, c1 = rng.integers(0, 256, (2, 3)).astype(np.float64)
        img = c0 + (np.arange(h) / h)[:, None, None] * (c1 - c0) + np.zeros((h, w, 1))
        img[horizon:] = _surface(rng, h - horizon, w)
        for _ in range(int(rng.integers(1, 6))):
            x0, bw = int(rng.integers(0, w)), max(2, int(rng.uniform(0.02, 0.15) * w))
            top = int(rng.uniform(0.05, 0.9) * horizon)
            img[top:horizon + 1, x0:x0 + bw] = _surface(rng, horizon + 1 - top, min(bw, w - x0))
        return img
    # stripes, or checks (two sets of stripes)
    period, a = rng.uniform(6, 80), rng.uniform(0, np.pi)
    y, x = np.mgrid[0:h, 0:w]
    band = np.floor((x * np.cos(a) + y * np.sin(a)) / period).astype(int)
    if rng.random() < 0.5:
        band = band + np.floor((-x * np.sin(a) + y * np.cos(a)) / period).astype(int)
    colours = rng.integers(0, 256, (int(rng.integers(2, 4)), 3)).astype(np.float64)
    return colours[band % len(colours)]


def procedural_image(family: str, index: int) -> Image.Image:
    """One procedural non-garment: ``family`` of :data:`PROCEDURAL_FAMILIES`, seeded by ``(family,
    index)`` (the same arguments give the same pixels), sides in :data:`PROCEDURAL_SIDES`, with
    camera noise. Returns an RGB PIL image."""
    if family not in PROCEDURAL_FAMILIES:
        raise ValueError(f"family {family!r} is not one of {PROCEDURAL_FAMILIES}")
    rng = np.random.default_rng(int(hashlib.sha1(f"{family}:{index}".encode()).hexdigest()[:8], 16))
    h, w = (int(v) for v in rng.integers(PROCEDURAL_SIDES[0], PROCEDURAL_SIDES[1] + 1, 2))
    img = _draw(rng, family, h, w) + rng.normal(0, rng.uniform(0, 8), (h, w, 3))
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


# ------------------------------------------------------------------ sources
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


def _package_photos() -> list[Sample]:
    """:data:`PACKAGE_PHOTOS` that are installed, whole and as :data:`CROPS`; names ``key/file[@crop]``."""
    import importlib.util

    out = []
    for key, files in PACKAGE_PHOTOS.items():
        for package, rel in files:
            spec = importlib.util.find_spec(package)
            path = Path(list(spec.submodule_search_locations)[0]) / rel if spec else None
            if path is None or not path.is_file():
                continue
            out += [Sample("package_photos", f"{key}/{path.name}{'' if b is None else f'@{i}'}", _package_file(path, b))
                    for i, b in enumerate((None,) + CROPS)]
    return out


def _procedural() -> list[Sample]:
    """:data:`PROCEDURAL_PER_FAMILY` images of each of :data:`PROCEDURAL_FAMILIES`, named ``family:i``."""
    return [Sample("procedural", f"{family}:{i}", lambda f=family, i=i: procedural_image(f, i))
            for family in PROCEDURAL_FAMILIES for i in range(PROCEDURAL_PER_FAMILY)]


def _split_key(s: Sample, keys: dict[str, str]) -> str:
    """What :func:`portion` hashes for ``s``: the sender, the VITON stem, or the image's name
    without its crop (``package:`` / ``procedural:`` prefixed for the new sources)."""
    if s.source == "package_photos":
        return "package:" + s.name.split("/")[0]
    if s.source == "procedural":
        return "procedural:" + s.name
    return keys.get(s.name, s.name.split("@")[0])


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
    pool += _naturals() + _package_photos() + _procedural()
    pick = [s for s in pool if portion(_split_key(s, keys)) == which]
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
