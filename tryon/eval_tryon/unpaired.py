"""Unpaired evaluation: a person dressed in another pair's garment should take that garment's colours.

Colours are medians in CIE Lab: the target's and the original garment's on their garment photos
inside the cloth masks, the result's inside the person's ground-truth upper-clothes region
(eroded, so edges do not count). A pair counts as a success when the result is closer to the
target's colour than to the original's; ``transfer`` is the success rate. ``untouched_transfer``
applies the same test to the unchanged person photo: the floor a renderer that does nothing would
reach (near 0 when the measure works).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import kornia
import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from tryon import constants as C
from tryon.body import erode
from tryon.data.layout import DatasetLayout
from tryon.eval_tryon.frame import EVAL_SIZE, GRID_ROWS, Pair, Runner, to_uint8, unchanged

__all__ = ["TORSO_LABELS", "MIN_COLOUR_DELTA_E", "UnpairedResult", "run_unpaired", "lab_colour",
           "colour_transfer", "plan_unpaired", "swatches", "garment_colour", "torso_region", "cloth_mask"]

TORSO_LABELS = (C.LIP_UPPER_CLOTHES,)  # where the result's garment colour is read
TORSO_ERODE_PX = 4                # px at EVAL_SIZE: the torso's edge (mixed with arms, skin) is left out
GARMENT_ERODE_PX = 2              # px: a garment photo's edge (mixed with its background) is left out
MASK_THRESHOLD = 128              # cloth masks are JPEGs: white (>= this) is garment
MIN_COLOUR_PIXELS = 50            # fewer measured pixels than this: the colour is unknown
MIN_COLOUR_DELTA_E = 20.0         # CIE76 distance above which two garments' colours clearly differ
GRID_BORDER = 6                   # px: green (transferred) / red (not) frame of an unpaired verdict
SUCCESS_COLOUR = (40, 170, 60)
FAILURE_COLOUR = (210, 40, 40)


# ----------------------------------------------------------------------------------------
# Colours
# ----------------------------------------------------------------------------------------
def cloth_mask(layout: DatasetLayout, garment: str, size: tuple[int, int]) -> np.ndarray | None:
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


def torso_region(labels: np.ndarray | None) -> np.ndarray | None:
    """The eroded ground-truth upper-clothes region ``(H, W)`` bool, or None when too small."""
    if labels is None:
        return None
    torso = erode(np.isin(labels, TORSO_LABELS), TORSO_ERODE_PX)
    return torso if torso.sum() >= MIN_COLOUR_PIXELS else None


def garment_colour(layout: DatasetLayout, garment: str) -> np.ndarray | None:
    """The garment photo's median Lab colour inside its (eroded) cloth mask, or None."""
    path = layout.cloth / garment
    if not path.is_file():
        return None
    with Image.open(path) as img:
        rgb = np.asarray(img.convert("RGB"))
    mask = cloth_mask(layout, garment, (rgb.shape[1], rgb.shape[0]))
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


# ----------------------------------------------------------------------------------------
# Who wears what
# ----------------------------------------------------------------------------------------
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
# The unpaired run
# ----------------------------------------------------------------------------------------
def swatches(colours: tuple[np.ndarray, np.ndarray, np.ndarray], success: bool) -> np.ndarray:
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


@dataclass
class UnpairedResult:
    """The unpaired part's figures, before they are summarised."""

    wins: list[bool] = field(default_factory=list)       # per evaluated pair: target's colour taken
    untouched: list[bool] = field(default_factory=list)  # the same test on the untouched photo
    skipped: dict[str, int] = field(default_factory=lambda: {
        "garment_colour_unknown": 0, "no_clearly_different_garment": 0, "no_torso_in_parse": 0})
    per_pair: list[dict] = field(default_factory=list)
    rows: list[list[np.ndarray]] = field(default_factory=list)  # grid rows (uint8 cells)
    unchanged: int = 0                                   # results identical to the photo
    refused: int = 0                                     # try-ons the pipeline refused


def run_unpaired(runner: Runner, pairs: Sequence[Pair], *, seed: int = 0,
                 progress: bool = True) -> UnpairedResult:
    """Dress each person of ``pairs`` in another pair's garment (see :func:`plan_unpaired`) and
    test whether the torso took that garment's colour."""
    out = UnpairedResult()
    refused_before = len(runner.refused)
    colours = [garment_colour(runner.layout, g) for _, g in pairs]
    plan = plan_unpaired(colours, [g for _, g in pairs], seed)
    for i, (person, garment) in enumerate(tqdm(pairs, desc="unpaired", unit="pair", disable=not progress,
                                               leave=False)):
        j = plan[i]
        if j is None:
            out.skipped["garment_colour_unknown" if colours[i] is None else "no_clearly_different_garment"] += 1
            continue
        torso = torso_region(runner.labels(person))
        if torso is None:
            out.skipped["no_torso_in_parse"] += 1
            continue
        target_garment = pairs[j][1]
        result = runner(person, target_garment, "unpaired")
        if result is not None:
            _measure(out, runner, (person, garment, target_garment), result, torso, (colours[i], colours[j]))
    out.refused = len(runner.refused) - refused_before
    return out


def _measure(out: UnpairedResult, runner: Runner, names: tuple[str, str, str], result: np.ndarray,
             torso: np.ndarray, colours: tuple[np.ndarray, np.ndarray]) -> None:
    """Score one unpaired result into ``out``: names are (person, own garment, target garment)."""
    person, garment, target_garment = names
    original, target = colours
    colour = lab_colour(result, torso)  # not None: torso_region() keeps only regions large enough
    success = _closer_to_target(colour, original, target)
    truth = runner.photo(person)
    out.wins.append(success)
    out.unchanged += unchanged(result, truth)
    out.untouched.append(bool(colour_transfer(truth, torso, original, target)))
    out.per_pair.append({
        "person": person, "garment": garment, "target_garment": target_garment,
        "transfer": success, "delta_e_to_target": round(_delta_e(colour, target), 2),
        "delta_e_to_original": round(_delta_e(colour, original), 2)})
    if len(out.rows) < GRID_ROWS:
        out.rows.append([to_uint8(truth), runner.garment_cell(target_garment), to_uint8(result),
                         swatches((original, colour, target), success)])
