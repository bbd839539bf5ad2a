"""Evaluation of the try-on itself on VITON pairs: paired fidelity and unpaired colour transfer.

The pipeline sees only the raw photos (the person photo and the in-shop garment photo): no
garment mask, parse map or pose is passed to it. The data set's ground truth is used ONLY to
measure the result:

- **Paired** (a person with the garment they wear): the result should reproduce the person
  photo. SSIM (Gaussian window 11), PSNR and L1 on the whole image, and SSIM and L1 inside the
  try-on region (the ground-truth parse labels upper clothes, dress, coat and both arms), all
  at :data:`EVAL_SIZE` (256x192) with images in ``[0, 1]``.
- **Unpaired** (a person with another pair's garment): the torso of the result should take the
  target garment's colours. Colours are medians in CIE Lab: the target's and the original
  garment's on their garment photos inside the cloth masks, the result's inside the person's
  ground-truth upper-clothes region (eroded, so edges do not count). A pair counts as a success
  when the result is closer to the target's colour than to the original's; ``transfer`` is the
  success rate. ``untouched_transfer`` applies the same test to the unchanged person photo: the
  floor a renderer that does nothing would reach (near 0 when the measure works).

The paired figures alone reward doing nothing (the person photo IS the ground truth), so results
identical to the photo are counted (``unchanged``) and the unpaired figure is reported beside them.
"""

from __future__ import annotations

import math
import random
import time
from pathlib import Path
from typing import Sequence

import kornia
import numpy as np
import torch
from PIL import Image, ImageDraw
from tqdm import tqdm

from tryon import constants as C
from tryon.body import erode
from tryon.data.layout import DatasetLayout
from tryon.data.split import layout_pairs, split_pairs
from tryon.errors import TryOnError
from tryon.io import load_image
from tryon.metrics import masked_l1, psnr, ssim_map

__all__ = [
    "eval_tryon",
    "read_eval_pairs",
    "validation_pairs",
    "lab_colour",
    "colour_transfer",
    "plan_unpaired",
    "EVAL_SIZE",
    "TRYON_REGION_LABELS",
    "TORSO_LABELS",
    "MIN_COLOUR_DELTA_E",
]

Pair = tuple[str, str]

EVAL_SIZE = C.FRAME_SIZE          # (height, width) every figure is measured at: VITON's 256x192
TRYON_REGION_LABELS = (C.LIP_UPPER_CLOTHES, C.LIP_DRESS, C.LIP_COAT, C.LIP_LEFT_ARM, C.LIP_RIGHT_ARM)
TORSO_LABELS = (C.LIP_UPPER_CLOTHES,)  # where the result's garment colour is read
TORSO_ERODE_PX = 4                # px at EVAL_SIZE: the torso's edge (mixed with arms, skin) is left out
GARMENT_ERODE_PX = 2              # px: a garment photo's edge (mixed with its background) is left out
MASK_THRESHOLD = 128              # cloth masks are JPEGs: white (>= this) is garment
MIN_COLOUR_PIXELS = 50            # fewer measured pixels than this: the colour is unknown
MIN_COLOUR_DELTA_E = 20.0         # CIE76 distance above which two garments' colours clearly differ
PSNR_MAX_DB = 100.0               # identical images would give inf dB (not JSON); capped here
UNCHANGED_TOLERANCE = 1.0 / 255   # a result within one 8-bit level of the photo everywhere is unchanged
GRID_ROWS = 4                     # rows of each kind (paired, unpaired) in the grid image
GRID_COLUMNS = 4
GRID_LABEL_HEIGHT = 16            # px: the caption above each section of the grid
GRID_BORDER = 6                   # px: green (transferred) / red (not) frame of an unpaired verdict
OUTLINE_COLOUR = (255, 0, 255)    # the try-on region's outline on the ground truth
SUCCESS_COLOUR = (40, 170, 60)
FAILURE_COLOUR = (210, 40, 40)
PAIRED_METRICS = ("ssim", "psnr", "l1", "region_ssim", "region_l1")


# ----------------------------------------------------------------------------------------
# Pairs
# ----------------------------------------------------------------------------------------
def validation_pairs(layout: DatasetLayout, n_val: int = C.VALIDATION_PAIRS) -> list[Pair]:
    """The project's fixed validation split: the last ``n_val`` pairs of the layout's pairs file.

    Raises:
        TryOnError: no pairs file, or not more than ``n_val`` pairs in it.
    """
    return split_pairs(layout_pairs(layout), n_val)[1]


def read_eval_pairs(path: str | Path, layout: DatasetLayout) -> list[Pair]:
    """``[(person, garment), ...]`` from a VITON pairs file (``person.jpg garment.jpg`` per line).

    Blank lines and ``#`` comments are skipped; every person must be in ``layout.image`` and
    every garment in ``layout.cloth``.

    Raises:
        TryOnError: the file is unreadable or empty, a line is not two names, or a name is not
            in the data set; one sentence naming the line.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise TryOnError(f"We couldn't read the pairs file '{path}'; it must be a text file with "
                         "one 'person.jpg garment.jpg' pair per line.") from err
    pairs = []
    for number, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        if len(parts) != 2:
            raise TryOnError(f"Line {number} of '{path}' should be 'person.jpg garment.jpg' (two file "
                             f"names), not '{line.strip()}'.")
        person, garment = parts
        for name, folder, what in ((person, layout.image, "person photo"), (garment, layout.cloth, "garment")):
            if not (folder / name).is_file():
                raise TryOnError(f"Line {number} of '{path}' names the {what} '{name}', which is not "
                                 f"in '{folder}'.")
        pairs.append((person, garment))
    if not pairs:
        raise TryOnError(f"The pairs file '{path}' holds no pairs; write one 'person.jpg "
                         "garment.jpg' pair per line.")
    return pairs


# ----------------------------------------------------------------------------------------
# Measuring
# ----------------------------------------------------------------------------------------
def _at_eval_size(img: Image.Image) -> np.ndarray:
    """RGB image -> ``(H, W, 3)`` float32 in ``[0, 1]`` at :data:`EVAL_SIZE`.

    Shrinking averages pixels (box filter, i.e. area); enlarging is bicubic. A photo whose
    aspect ratio is not 3:4 is stretched, the result and its ground truth alike.
    """
    h, w = EVAL_SIZE
    img = img.convert("RGB")
    if img.size != (w, h):
        shrink = img.width >= w and img.height >= h
        img = img.resize((w, h), Image.Resampling.BOX if shrink else Image.Resampling.BICUBIC)
    return np.asarray(img, np.float32) / 255.0


def _labels(layout: DatasetLayout, person: str) -> np.ndarray | None:
    """The ground-truth LIP label map ``(H, W)`` uint8 at :data:`EVAL_SIZE`, or None when absent."""
    if layout.parse is None:
        return None
    path = layout.parse / f"{Path(person).stem}.png"
    if not path.is_file():
        return None
    with Image.open(path) as img:
        if img.mode not in ("P", "L"):
            return None  # a colour-coded parse image: its labels cannot be read back reliably
        labels = img.resize(EVAL_SIZE[::-1], Image.Resampling.NEAREST) if img.size != EVAL_SIZE[::-1] else img
        return np.asarray(labels, np.uint8).copy()


def _cloth_mask(layout: DatasetLayout, garment: str, size: tuple[int, int]) -> np.ndarray | None:
    """The garment's cloth mask as ``(H, W)`` bool at ``size`` (width, height), or None when absent."""
    for name in (garment, f"{Path(garment).stem}.png", f"{Path(garment).stem}.jpg"):
        path = layout.cloth_mask / name
        if path.is_file():
            with Image.open(path) as img:
                mask = img.convert("L")
                if mask.size != size:
                    mask = mask.resize(size, Image.Resampling.NEAREST)
                return np.asarray(mask) >= MASK_THRESHOLD
    return None


def lab_colour(image: np.ndarray, mask: np.ndarray) -> np.ndarray | None:
    """The median CIE Lab colour of ``image`` under ``mask``.

    Args:
        image: ``(H, W, 3)`` RGB, float in ``[0, 1]`` or uint8.
        mask: ``(H, W)`` bool (or numbers thresholded at 0.5).

    Returns:
        ``(3,)`` float64 ``(L, a, b)``: L in ``[0, 100]``, a and b in about ``[-128, 127]``
        (:func:`kornia.color.rgb_to_lab`, sRGB, D65); None when fewer than
        :data:`MIN_COLOUR_PIXELS` pixels are masked.
    """
    rgb = np.asarray(image)
    rgb = rgb.astype(np.float32) / 255.0 if rgb.dtype == np.uint8 else rgb.astype(np.float32)
    m = np.asarray(mask)
    m = m if m.dtype == bool else m > 0.5
    pixels = rgb[m]
    if len(pixels) < MIN_COLOUR_PIXELS:
        return None
    t = torch.from_numpy(np.ascontiguousarray(pixels.T))[None, :, :, None]  # (1, 3, N, 1)
    lab = kornia.color.rgb_to_lab(t.clamp(0, 1))[0, :, :, 0]
    return lab.median(dim=1).values.double().numpy()


def _delta_e(a: np.ndarray, b: np.ndarray) -> float:
    """CIE76 colour difference: the Euclidean distance in Lab."""
    return float(np.linalg.norm(np.asarray(a, np.float64) - np.asarray(b, np.float64)))


def _torso(labels: np.ndarray | None) -> np.ndarray | None:
    """The eroded ground-truth upper-clothes region ``(H, W)`` bool, or None when too small."""
    if labels is None:
        return None
    torso = erode(np.isin(labels, TORSO_LABELS), TORSO_ERODE_PX)
    return torso if torso.sum() >= MIN_COLOUR_PIXELS else None


def _garment_colour(layout: DatasetLayout, garment: str) -> np.ndarray | None:
    """The garment photo's median Lab colour inside its (eroded) cloth mask, or None."""
    path = layout.cloth / garment
    if not path.is_file():
        return None
    with Image.open(path) as img:
        rgb = np.asarray(img.convert("RGB"))
    mask = _cloth_mask(layout, garment, (rgb.shape[1], rgb.shape[0]))
    if mask is None:
        return None
    return lab_colour(rgb, erode(mask, GARMENT_ERODE_PX))


def colour_transfer(result: np.ndarray, torso: np.ndarray, original: np.ndarray,
                    target: np.ndarray) -> bool | None:
    """Did the result's torso take the target garment's colour rather than the original's?

    Args:
        result: ``(H, W, 3)`` try-on result, float in ``[0, 1]`` or uint8.
        torso: ``(H, W)`` bool, where the worn garment is (the person's eroded upper clothes).
        original: ``(3,)`` Lab colour of the garment the person wears (see :func:`lab_colour`).
        target: ``(3,)`` Lab colour of the garment the person was dressed in.

    Returns:
        True when the torso's median Lab colour is strictly closer to ``target`` than to
        ``original``, False otherwise, None when the torso has too few pixels to tell.
    """
    colour = lab_colour(result, torso)
    return None if colour is None else _closer_to_target(colour, original, target)


def _closer_to_target(colour: np.ndarray, original: np.ndarray, target: np.ndarray) -> bool:
    return _delta_e(colour, target) < _delta_e(colour, original)


def plan_unpaired(colours: Sequence[np.ndarray | None], garments: Sequence[str], seed: int = 0,
                  min_delta_e: float = MIN_COLOUR_DELTA_E) -> list[int | None]:
    """For pair ``i``, the index of the pair whose garment it is dressed in (None: skipped).

    Starts from a derangement drawn from ``seed`` (one shuffled cycle, so nobody keeps their
    own garment and every garment is used once), then swaps targets between pairs so that as
    many as possible get a garment whose colour differs from their own by more than
    ``min_delta_e`` (CIE76) and has another name; a swap never spoils a pair that was already
    fine. Pairs left without such a garment (or whose colours are unknown) get None.

    Args:
        colours: ``(3,)`` Lab colour of each pair's own garment, or None when unmeasurable.
        garments: each pair's garment file name.
        seed: the same seed gives the same plan.
        min_delta_e: how different the target's colour must be.
    """
    n = len(colours)
    if n < 2:
        return [None] * n
    order = list(range(n))
    random.Random(seed).shuffle(order)
    target = [0] * n
    for k, i in enumerate(order):
        target[i] = order[(k + 1) % n]

    def fine(i: int, j: int) -> bool:
        a, b = colours[i], colours[j]
        return (i != j and garments[i] != garments[j] and a is not None and b is not None
                and _delta_e(a, b) > min_delta_e)

    for i in order:
        if fine(i, target[i]):
            continue
        for j in order:
            if j == i or not fine(i, target[j]) or target[i] == j:
                continue
            if fine(j, target[i]) or not fine(j, target[j]):
                target[i], target[j] = target[j], target[i]
                break
    return [t if fine(i, t) else None for i, t in enumerate(target)]


# ----------------------------------------------------------------------------------------
# The evaluation
# ----------------------------------------------------------------------------------------
def _finite_or_none(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _summary(values: list[float], reduce) -> float | None:
    finite = [v for v in values if not math.isnan(v)]
    return float(reduce(finite)) if finite else None


def _outlined(image: np.ndarray, region: np.ndarray | None) -> np.ndarray:
    """``image`` (uint8) with the boundary of ``region`` drawn in :data:`OUTLINE_COLOUR`."""
    out = image.copy()
    if region is not None and region.any():
        out[region & ~erode(region, 1.5)] = OUTLINE_COLOUR
    return out


def _swatches(colours: tuple[np.ndarray, np.ndarray, np.ndarray], success: bool) -> np.ndarray:
    """A grid cell: bands of the original, result and target colours in a green/red frame."""
    h, w = EVAL_SIZE
    cell = np.zeros((h, w, 3), np.uint8)
    cell[:] = SUCCESS_COLOUR if success else FAILURE_COLOUR
    lab = torch.tensor(np.stack(colours), dtype=torch.float32).T[None, :, :, None]  # (1, 3, 3, 1)
    rgb = (kornia.color.lab_to_rgb(lab)[0, :, :, 0].T.clamp(0, 1) * 255).round().byte().numpy()
    inner_w = w - 2 * GRID_BORDER
    edges = np.linspace(GRID_BORDER, GRID_BORDER + inner_w, 4).round().astype(int)
    for k in range(3):
        cell[GRID_BORDER:h - GRID_BORDER, edges[k]:edges[k + 1]] = rgb[k]
    return cell


def _grid(paired: list[list[np.ndarray]], unpaired: list[list[np.ndarray]]) -> Image.Image:
    """One PNG: captioned sections of rows of ``(H, W, 3)`` uint8 cells at :data:`EVAL_SIZE`."""
    h, w = EVAL_SIZE
    sections = [
        ("paired: person | garment | result | ground truth (try-on region outlined)", paired),
        ("unpaired: person | target garment | result | colours: original, result, target "
         "(green frame = target's colour taken)", unpaired),
    ]
    height = sum(GRID_LABEL_HEIGHT + h * len(rows) for _, rows in sections)
    canvas = Image.new("RGB", (GRID_COLUMNS * w, max(height, 1)), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    y = 0
    for caption, rows in sections:
        draw.text((4, y + 2), caption, fill=(0, 0, 0))
        y += GRID_LABEL_HEIGHT
        for row in rows:
            for k, cell in enumerate(row):
                canvas.paste(Image.fromarray(cell), (k * w, y))
            y += h
    return canvas


def _unchanged(result: np.ndarray, photo: np.ndarray) -> bool:
    """Is the result the person photo itself (the try-on silently did nothing)?"""
    return bool(np.abs(result - photo).max() <= UNCHANGED_TOLERANCE)


def _uint8(image: np.ndarray) -> np.ndarray:
    return (np.clip(image, 0, 1) * 255).round().astype(np.uint8)


def eval_tryon(pipe, layout: DatasetLayout, pairs: Sequence[Pair], *, mode: str,
               out_dir: str | Path | None = None, grid_name: str | None = None, seed: int = 0,
               limit: int | None = None, progress: bool = True) -> dict:
    """Paired and unpaired figures of ``pipe`` on ``pairs`` of a VITON-style data set.

    Args:
        pipe: a :class:`pipelines.TryOnPipeline`, called as ``pipe(person_path, garment_path,
            mode=mode)`` on the raw photos.
        layout: the data set (``image/``, ``cloth/``; ``image-parse/`` and ``cloth-mask/`` are
            read only to measure).
        pairs: ``(person, garment)`` file names; in a paired pair the person wears the garment.
        mode: the pipeline's renderer, passed straight through.
        out_dir: where to write the grid PNG (None: no grid).
        grid_name: the grid's file name (default ``eval-tryon-<mode>-grid.png``).
        seed: picks the unpaired garments.
        limit: only the first ``limit`` pairs.
        progress: show progress bars.

    Returns:
        A JSON-ready dict: ``mode``, ``pairs`` (how many), ``refused`` (``person``, ``garment``,
        ``kind``, ``error`` of each try-on the pipeline refused; left out of every figure),
        ``paired`` (means: ``ssim``, ``region_ssim`` in ``[-1, 1]``, ``psnr`` in dB, ``l1``,
        ``region_l1`` in ``[0, 1]``; ``evaluated``, ``region_evaluated``, ``refused``, and
        ``unchanged``: results identical to the photo, which score perfectly here although no
        try-on happened), ``paired_median``, ``unpaired`` (``transfer`` and
        ``untouched_transfer`` in ``[0, 1]`` or None, ``evaluated``, ``skipped``,
        ``skipped_because``, ``refused``, ``unchanged``),
        ``seconds_per_pair`` (mean and median wall time of a try-on), ``seconds_total``,
        ``resolution``, ``seed``, ``grid`` (its path, or None) and ``per_pair`` (each pair's
        figures: ``paired`` and ``unpaired`` lists, in the order of ``pairs``).

    Raises:
        TryOnError: the data set has no parse maps (needed to measure the try-on region).
    """
    if layout.parse is None:
        raise TryOnError(f"'{layout.split}' has no parse maps (image-parse/); they are needed to "
                         "measure the try-on region.")
    pairs = list(pairs)[:limit] if limit is not None else list(pairs)
    t_start = time.perf_counter()
    seconds: list[float] = []
    refused: list[dict] = []

    def run(person: str, garment: str, kind: str) -> np.ndarray | None:
        t0 = time.perf_counter()
        try:
            out = pipe(layout.image / person, layout.cloth / garment, mode=mode)
        except TryOnError as err:
            refused.append({"person": person, "garment": garment, "kind": kind, "error": str(err)})
            return None
        seconds.append(time.perf_counter() - t0)
        return _at_eval_size(out.image if isinstance(out.image, Image.Image) else Image.fromarray(out.image))

    def garment_cell(garment: str) -> np.ndarray:
        with Image.open(layout.cloth / garment) as img:
            return _uint8(_at_eval_size(img))

    # 1. Paired: the person in their own garment should come back as the person photo.
    scores: dict[str, list[float]] = {k: [] for k in PAIRED_METRICS}
    per_pair: dict[str, list[dict]] = {"paired": [], "unpaired": []}
    paired_rows: list[list[np.ndarray]] = []
    labels_of: dict[str, np.ndarray | None] = {}
    paired_unchanged = unpaired_unchanged = 0
    for person, garment in tqdm(pairs, desc="paired", unit="pair", disable=not progress, leave=False):
        result = run(person, garment, "paired")
        if result is None:
            continue
        truth = _at_eval_size(load_image(layout.image / person, what="person photo"))
        if person not in labels_of:
            labels_of[person] = _labels(layout, person)
        labels = labels_of[person]
        region = np.isin(labels, TRYON_REGION_LABELS) if labels is not None else None
        smap = ssim_map(result, truth)  # one map for both: its mean is ssim(), its region mean masked_ssim()
        has_region = region is not None and region.any()
        scores["ssim"].append(float(smap.mean()))
        scores["psnr"].append(min(psnr(result, truth), PSNR_MAX_DB))
        scores["l1"].append(float(np.abs(result - truth).mean()))
        scores["region_ssim"].append(float(smap[region].mean()) if has_region else math.nan)
        scores["region_l1"].append(masked_l1(result, truth, region) if has_region else math.nan)
        paired_unchanged += _unchanged(result, truth)
        per_pair["paired"].append({"person": person, "garment": garment,
                                   **{k: _finite_or_none(v[-1]) for k, v in scores.items()}})
        if len(paired_rows) < GRID_ROWS:
            paired_rows.append([_uint8(truth), garment_cell(garment), _uint8(result),
                                _outlined(_uint8(truth), region)])
    paired_refused = len(refused)

    # 2. Unpaired: dressed in another pair's garment, the torso should take that garment's colour.
    colours = [_garment_colour(layout, g) for _, g in pairs]
    plan = plan_unpaired(colours, [g for _, g in pairs], seed)
    skipped = {"garment_colour_unknown": 0, "no_clearly_different_garment": 0, "no_torso_in_parse": 0}
    wins: list[bool] = []
    untouched: list[bool] = []
    unpaired_rows: list[list[np.ndarray]] = []
    for i, (person, garment) in enumerate(tqdm(pairs, desc="unpaired", unit="pair", disable=not progress,
                                               leave=False)):
        j = plan[i]
        if j is None:
            skipped["garment_colour_unknown" if colours[i] is None else "no_clearly_different_garment"] += 1
            continue
        if person not in labels_of:
            labels_of[person] = _labels(layout, person)
        torso = _torso(labels_of[person])
        if torso is None:
            skipped["no_torso_in_parse"] += 1
            continue
        target_garment = pairs[j][1]
        result = run(person, target_garment, "unpaired")
        if result is None:
            continue
        original, target = colours[i], colours[j]
        colour = lab_colour(result, torso)  # not None: _torso() keeps only regions large enough
        success = _closer_to_target(colour, original, target)
        truth = _at_eval_size(load_image(layout.image / person, what="person photo"))
        wins.append(success)
        unpaired_unchanged += _unchanged(result, truth)
        untouched.append(bool(colour_transfer(truth, torso, original, target)))
        per_pair["unpaired"].append({
            "person": person, "garment": garment, "target_garment": target_garment,
            "transfer": success, "delta_e_to_target": round(_delta_e(colour, target), 2),
            "delta_e_to_original": round(_delta_e(colour, original), 2)})
        if len(unpaired_rows) < GRID_ROWS:
            unpaired_rows.append([_uint8(truth), garment_cell(target_garment), _uint8(result),
                                  _swatches((original, colour, target), success)])

    grid_path = None
    if out_dir is not None:
        grid_path = Path(out_dir) / (grid_name or f"eval-tryon-{mode}-grid.png")
        grid_path.parent.mkdir(parents=True, exist_ok=True)
        _grid(paired_rows, unpaired_rows).save(grid_path)

    region_count = sum(not math.isnan(v) for v in scores["region_ssim"])
    return {
        "mode": mode,
        "pairs": len(pairs),
        "refused": refused,
        "paired": {**{k: _summary(v, np.mean) for k, v in scores.items()},
                   "evaluated": len(scores["ssim"]), "region_evaluated": region_count,
                   "refused": paired_refused, "unchanged": paired_unchanged},
        "paired_median": {k: _summary(v, np.median) for k, v in scores.items()},
        "unpaired": {
            "transfer": float(np.mean(wins)) if wins else None,
            "evaluated": len(wins),
            "skipped": sum(skipped.values()),
            "skipped_because": skipped,
            "refused": len(refused) - paired_refused,
            "untouched_transfer": float(np.mean(untouched)) if untouched else None,
            "unchanged": unpaired_unchanged,
            "min_colour_delta_e": MIN_COLOUR_DELTA_E,
        },
        "seconds_per_pair": float(np.mean(seconds)) if seconds else None,
        "seconds_per_pair_median": float(np.median(seconds)) if seconds else None,
        "seconds_total": round(time.perf_counter() - t_start, 1),
        "resolution": list(EVAL_SIZE),
        "seed": seed,
        "grid": str(grid_path) if grid_path is not None else None,
        "per_pair": per_pair,
    }
