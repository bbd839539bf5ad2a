"""The garment cutter's data: VITON's in-shop garments laid on the floors and beds of real photos.

No data set outlines garments photographed in the wild, but VITON's in-shop garments come with
their masks, and the CC0 ``clothing_upper`` photos show what shoppers photograph garments on. So
each item is made up: a VITON garment (its photo and cloth-mask) laid on a background, with the
mask as its label. Backgrounds (:func:`background_plates`) are the ``clothing_upper`` photos with
the band beside their own garment (cut out by GrabCut, grown) mirrored out to a square: the
bed, floor, wardrobe or hanger rail around it, or now and then a made-up texture or a
plain colour. The garment is scaled, turned, shifted and mirrored, shaded as cloth on a bed is
(low-frequency light and creases), casts a soft shadow, and the whole picture gets colour jitter,
blur, noise and JPEG.

The photos are split by sender as the sleeve reader's are (:func:`tryon.data.wild_garments.held_out_sender`):
the held-out senders' backgrounds serve evaluation only, and so do the validation pairs' garments.

Items are ``{"image": (3, S, S) float32 in [-1, 1], "label": (S, S) int64}`` (1 = garment),
``S`` = :data:`tryon.models.garment_cutter.CUT_SIZE`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset
from tqdm import tqdm

from tryon.data.garments import MASK_THRESHOLD, cache_path, cached_arrays, colour_matrix
from tryon.data.layout import DatasetLayout
from tryon.data.parsing import ParseAugment
from tryon.data.wild_garments import held_out_sender, photo_rows
from tryon.errors import TryOnError
from tryon.garment_segmentation import fill_holes, grabcut_mask
from tryon.io import load_image
from tryon.models.garment_cutter import CUT_SIZE
from tryon.tensors import to_tensor

__all__ = ["PLATE_SIZE", "background_plates", "compose_cut", "sender_photos", "GarmentCuts", "WildCuts",
           "wild_cutouts"]

UINT8_MAX = 255
PLATE_SIZE = 192           # px: backgrounds are kept square at this size
PLATE_CACHE_PREFIX = "plates"
PLATE_DILATE = 0.06        # the garment's GrabCut mask is grown by this share of the side before painting out
PLATE_MAX_HOLE = 0.02     # a row of a side's band may hold this share of the grown garment
PLATE_MIN_BAND = 0.08     # bands shallower than this share of the side give no background


def _plate(rgb: np.ndarray) -> np.ndarray | None:
    """A garment photo ``(H, W, 3)`` uint8 -> the background beside its garment ``(P, P, 3)``
    uint8, or None when no side of the photo is clear of the garment.

    The deepest band along one side that the garment (GrabCut's mask, grown) leaves clear is
    mirrored out to the whole square: a floor's boards, a sheet's print or a carpet's weave go on
    as they were (a painted-out hole would leave a smooth smear no photo has).
    """
    rgb = cv2.resize(rgb, (PLATE_SIZE, PLATE_SIZE), interpolation=cv2.INTER_AREA)
    hole = grabcut_mask(rgb).astype(np.uint8)
    k = max(3, round(PLATE_DILATE * PLATE_SIZE) | 1)
    hole = cv2.dilate(hole, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))) > 0
    best, band = 0, None
    for turns in range(4):                     # the top band of the photo turned 0, 90, 180, 270 degrees
        turned, h = np.rot90(rgb, turns), np.rot90(hole, turns)
        clear = h.mean(1) <= PLATE_MAX_HOLE
        depth = int(np.argmin(clear)) if not clear.all() else len(clear)
        if depth > best:
            best, band = depth, turned[:depth]
    if best < PLATE_MIN_BAND * PLATE_SIZE:
        return None
    reps = -(-PLATE_SIZE // best)
    tiles = [band if i % 2 == 0 else band[::-1] for i in range(reps)]   # mirrored: no seam
    return np.ascontiguousarray(np.concatenate(tiles, 0)[:PLATE_SIZE])


def sender_photos(folder: Path, held_out: bool) -> list[str]:
    """The ``clothing_upper`` photo names of the held-out senders (or, ``held_out=False``, everyone
    else's), in ``images.csv`` order, of every class."""
    return [r["image"] for r in photo_rows(folder) if held_out_sender(r["sender_id"]) == held_out]


def background_plates(folder: str | Path, cache_dir: str | Path, held_out: bool = False,
                      limit: int | None = None, progress: bool = True) -> np.ndarray:
    """Backgrounds from the ``clothing_upper`` photos: ``(N, P, P, 3)`` uint8, ``P`` = :data:`PLATE_SIZE`.

    Args:
        folder: the ``clothing_upper`` folder (``images.csv``, ``images/``).
        cache_dir: where they are kept (``plates_<P>x<P>_<sha1 of the names>.npy``).
        held_out: the held-out senders' photos (evaluation) instead of everyone else's.
        limit: only the first ``limit`` photos.
    """
    folder = Path(folder)
    names = sender_photos(folder, held_out)[:limit]

    def build():
        out = []
        for name in tqdm(names, desc="backgrounds", unit="photo", disable=not progress):
            plate = _plate(np.asarray(load_image(folder / "images" / f"{name}.jpg", what="photo").convert("RGB")))
            if plate is not None:
                out.append(plate)
        return np.stack(out) if out else np.zeros((0, PLATE_SIZE, PLATE_SIZE, 3), np.uint8), {"photos": len(names),
                                                                                              "plates": len(out)}

    plates, _ = cached_arrays(cache_path(Path(cache_dir), names, (PLATE_SIZE, PLATE_SIZE), PLATE_CACHE_PREFIX), build)
    return plates


# --------------------------------------------------------------------------- composition
P_PLATE, P_TEXTURE = 0.75, 0.17   # background: a photo's plate, a made-up texture, else a plain colour
GARMENT_SIDE = (0.45, 0.95)       # the garment's longer side, as a share of the picture's
ROTATE = 20.0                     # degrees either way
CUT_OFF = 0.04                    # the garment may reach this share of the side past the edge
SHADE = 0.35                      # low-frequency light on the garment: times 1 +- this
GARMENT_GAIN = (0.7, 1.1)         # the garment's overall exposure
HUE_TURNS, SATURATION = 0.08, 0.3
P_SHADOW, SHADOW = 0.6, (0.1, 0.4)  # chance of a soft shadow, how much it darkens
SHADOW_OFFSET = 0.03              # its offset, share of the side
SHADOW_SIGMA = (0.01, 0.03)       # its softness, share of the side
EDGE_SIGMA = 0.6                  # px: the garment's outline is this soft
P_BLUR, MAX_BLUR = 0.3, 1.2
P_NOISE, NOISE = 0.3, 6.0         # Gaussian noise, its largest sigma (8-bit levels)
P_JPEG, JPEG_QUALITY = 0.5, (35, 95)
MIN_SOLIDITY = 0.7                # cloth-masks less solid than this (area / convex hull) are fragments
_PHOTO_JITTER = ParseAugment()    # brightness, contrast, saturation and hue as the parser's photos get


def _smooth_field(h: int, w: int, rng: np.random.Generator, cells: int) -> np.ndarray:
    """Smooth noise in ``[-1, 1]``, ``(h, w)``, about ``cells`` bumps across."""
    small = rng.uniform(-1, 1, (cells, cells)).astype(np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC).clip(-1, 1)


def _background(plates: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    u = rng.random()
    if u < P_PLATE and len(plates):
        plate = plates[int(rng.integers(len(plates)))]
        zoom = rng.uniform(1.0, 1.6)
        side = max(size, round(size * zoom))
        big = cv2.resize(plate, (side, side), interpolation=cv2.INTER_CUBIC)
        y, x = rng.integers(0, side - size + 1, 2)
        back = big[y:y + size, x:x + size].astype(np.float32)
        return back[:, ::-1] if rng.random() < 0.5 else back
    if u < P_PLATE + P_TEXTURE:
        return ParseAugment.texture(size, size, rng)
    return np.broadcast_to(rng.uniform(0, UINT8_MAX, 3).astype(np.float32), (size, size, 3)).copy()


def _place(rgb: np.ndarray, mask: np.ndarray, size: int, rng: np.random.Generator):
    """The garment cropped to its mask, scaled, turned, mirrored and placed on a ``size``-square
    canvas: ``(rgb (S, S, 3) float32, alpha (S, S) float32 in [0, 1])``."""
    ys, xs = np.nonzero(mask)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    rgb, alpha = rgb[y0:y1, x0:x1], mask[y0:y1, x0:x1].astype(np.float32)
    if rng.random() < 0.5:
        rgb, alpha = rgb[:, ::-1], alpha[:, ::-1]
    h, w = alpha.shape
    scale = rng.uniform(*GARMENT_SIDE) * size / max(h, w)
    angle = rng.uniform(-ROTATE, ROTATE)
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    # The turned, scaled garment's extent about its centre, then a random centre keeping it in view.
    corners = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], np.float64) @ m.T
    half = (corners.max(0) - corners.min(0)) / 2
    slack = CUT_OFF * size
    cx = rng.uniform(min(half[0] - slack, size / 2), max(size - half[0] + slack, size / 2))
    cy = rng.uniform(min(half[1] - slack, size / 2), max(size - half[1] + slack, size / 2))
    m[:, 2] += (cx, cy) - corners.mean(0)
    out = cv2.warpAffine(np.ascontiguousarray(rgb), m, (size, size), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
    a = cv2.warpAffine(np.ascontiguousarray(alpha), m, (size, size), flags=cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return out, a


def compose_cut(rgb: np.ndarray, mask: np.ndarray, plates: np.ndarray, rng: np.random.Generator,
                size: int = CUT_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """One made-up garment photo and its label (see the module docstring).

    Args:
        rgb: ``(H, W, 3)`` uint8 in-shop garment photo; ``mask`` its ``(H, W)`` bool garment mask.
        plates: ``(N, P, P, 3)`` uint8 backgrounds (:func:`background_plates`); may be empty.

    Returns:
        ``(image (S, S, 3) uint8, label (S, S) uint8 in {0, 1})``.
    """
    back = _background(plates, size, rng)
    garment, alpha = _place(rgb, mask, size, rng)
    # Cloth on a bed: exposure, low-frequency light and creases, hue and saturation.
    light = rng.uniform(*GARMENT_GAIN) * (1 + rng.uniform(0, SHADE) * _smooth_field(size, size, rng, 4))
    light = light * (1 + rng.uniform(0, SHADE / 3) * _smooth_field(size, size, rng, 12))
    garment = garment @ colour_matrix(rng.uniform(-HUE_TURNS, HUE_TURNS),
                                      rng.uniform(1 - SATURATION, 1 + SATURATION)).T.astype(np.float32)
    garment = garment * light[..., None]
    if rng.random() < P_SHADOW:
        dx, dy = rng.uniform(-SHADOW_OFFSET, SHADOW_OFFSET, 2) * size
        shifted = cv2.warpAffine(alpha, np.float32([[1, 0, dx], [0, 1, dy]]), (size, size))
        shadow = cv2.GaussianBlur(shifted, (0, 0), rng.uniform(*SHADOW_SIGMA) * size)
        back = back * (1 - rng.uniform(*SHADOW) * shadow)[..., None]
    soft = cv2.GaussianBlur(alpha, (0, 0), EDGE_SIGMA)[..., None]
    image = garment * soft + back * (1 - soft)
    image = _PHOTO_JITTER.jitter(np.clip(image, 0, UINT8_MAX).astype(np.uint8), rng)
    if rng.random() < P_BLUR:
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.3, MAX_BLUR))
    if rng.random() < P_NOISE:
        image = np.clip(image + rng.normal(0, rng.uniform(1, NOISE), image.shape), 0, UINT8_MAX).astype(np.uint8)
    if rng.random() < P_JPEG:
        ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(*JPEG_QUALITY))])
        image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if ok else image
    return image, (alpha > 0.5).astype(np.uint8)


def largest_component(mask: np.ndarray) -> np.ndarray:
    """The largest 8-connected component of an ``(H, W)`` bool mask."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        return mask & False
    return labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))


def solidity(mask: np.ndarray) -> float:
    """Area over the area of the convex hull, of an ``(H, W)`` bool mask (1 for a convex shape)."""
    points = cv2.findNonZero(mask.astype(np.uint8))
    hull = cv2.contourArea(cv2.convexHull(points))
    return float(mask.sum() / max(hull, 1.0))


class GarmentCuts(Dataset):
    """Made-up garment photos (:func:`compose_cut`) from a layout's garments.

    Args:
        layout: a VITON-style data set with cloth-masks.
        garments: garment file names (``cloth/<name>``).
        plates: backgrounds (:func:`background_plates`).
        seed: ``None`` (training): fresh randomness from torch's generator each time (seeded by
            the training loop, and per DataLoader worker by PyTorch); an int (evaluation): item
            ``i`` is the same picture every time.
    """

    def __init__(self, layout: DatasetLayout, garments: Sequence[str], plates: np.ndarray,
                 seed: int | None = None) -> None:
        self.layout, self.garments, self.plates, self.seed = layout, list(garments), plates, seed

    def __len__(self) -> int:
        return len(self.garments)

    def _garment(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Garment ``i``'s photo and mask, or the next garment's whose cloth-mask is whole (a
        white garment's misses its white parts, leaving fragments no photo shows)."""
        for j in range(i, i + len(self.garments)):
            name = self.garments[j % len(self.garments)]
            rgb = np.asarray(load_image(self.layout.cloth / name, what="garment image").convert("RGB"))
            mask = np.asarray(load_image(self.layout.cloth_mask / name, what="garment mask").convert("L"))
            mask = fill_holes(largest_component(mask >= MASK_THRESHOLD))
            if mask.any() and solidity(mask) >= MIN_SOLIDITY:
                return rgb, mask
        raise TryOnError("No garment in the cut-out data has a whole cloth-mask.")

    def picture(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Item ``i`` as ``(image (S, S, 3) uint8, label (S, S) uint8)``."""
        rgb, mask = self._garment(i)
        seed = int(torch.randint(0, 2**31 - 1, ())) if self.seed is None else self.seed * 1_000_003 + i
        return compose_cut(rgb, mask, self.plates, np.random.default_rng(seed))

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        image, label = self.picture(i)
        return {"image": to_tensor(image), "label": torch.from_numpy(label.astype(np.int64))}


# ------------------------------------------------------------------------ garments from the wild
WILD_SIDE = 192                   # px: the wild garments are kept at most this large, on a square
WILD_COVER = (0.1, 0.85)          # a GrabCut mask covering less or more of its photo is passed over
WILD_MIN_SOLIDITY = 0.6           # ... and so is one less solid (sleeves spread out stay above)


def wild_cutouts(folder: str | Path, cache_dir: str | Path, held_out: bool = False, limit: int | None = None,
                 progress: bool = True) -> np.ndarray:
    """Real garments cut out of the ``clothing_upper`` photos by GrabCut: ``(N, S, S, 4)`` uint8
    (RGB and mask 0 / 255, the photo shrunk to fit ``S`` = :data:`WILD_SIDE`, top-left).

    VITON's garments lie upright with their sleeves along the body; a shopper's garment lies
    crumpled, folded or with its sleeves spread out. Laid on another photo's background with
    its own mask as the label (:class:`WildCuts`), a real garment teaches those shapes: the label
    is exactly what the picture shows, wherever GrabCut went wrong. Masks that cover too little or
    too much of their photo, or are not solid, are passed over.
    """
    folder = Path(folder)
    names = sender_photos(folder, held_out)[:limit]

    def build():
        out = []
        for name in tqdm(names, desc="wild garments", unit="photo", disable=not progress):
            rgb = np.asarray(load_image(folder / "images" / f"{name}.jpg", what="photo").convert("RGB"))
            scale = WILD_SIDE / max(rgb.shape[:2])
            if scale < 1:
                rgb = cv2.resize(rgb, (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale)),
                                 interpolation=cv2.INTER_AREA)
            mask = grabcut_mask(rgb)
            if not WILD_COVER[0] <= mask.mean() <= WILD_COVER[1] or solidity(mask) < WILD_MIN_SOLIDITY:
                continue
            item = np.zeros((WILD_SIDE, WILD_SIDE, 4), np.uint8)
            item[:rgb.shape[0], :rgb.shape[1], :3] = rgb
            item[:rgb.shape[0], :rgb.shape[1], 3] = mask * UINT8_MAX
            out.append(item)
        data = np.stack(out) if out else np.zeros((0, WILD_SIDE, WILD_SIDE, 4), np.uint8)
        return data, {"photos": len(names), "kept": len(out)}

    data, _ = cached_arrays(cache_path(Path(cache_dir), names, (WILD_SIDE, WILD_SIDE), "wildcuts"), build)
    return data


class WildCuts(Dataset):
    """Made-up photos (:func:`compose_cut`) of real garments (:func:`wild_cutouts`), each laid on
    another photo's background. Randomness as :class:`GarmentCuts`'."""

    def __init__(self, cutouts: np.ndarray, plates: np.ndarray, seed: int | None = None) -> None:
        self.cutouts, self.plates, self.seed = cutouts, plates, seed

    def __len__(self) -> int:
        return len(self.cutouts)

    def picture(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        item = self.cutouts[i]
        seed = int(torch.randint(0, 2**31 - 1, ())) if self.seed is None else self.seed * 1_000_003 + i
        return compose_cut(item[..., :3], item[..., 3] > 0, self.plates, np.random.default_rng(seed))

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        image, label = self.picture(i)
        return {"image": to_tensor(image), "label": torch.from_numpy(label.astype(np.int64))}
