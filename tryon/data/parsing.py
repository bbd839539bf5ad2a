"""The body-parser data set: VITON person photos with their parse maps, augmented for real photos.

VITON's photos are studio shots on a light grey wall. A shopper's photo is not, so every item is
augmented the way photos outside the studio differ (training only):

1. scale, shift and mirror (left and right arm, leg and shoe labels swap);
2. the studio background replaced, at random, by a photo (for example the CC0 ``clothing_upper``
   garment photos: cloth, beds, floors, hangers) or a made-up texture (flat colour, gradient,
   stripes, noise), composed along the parse map's person outline with a soft edge;
3. colour jitter (brightness, contrast, saturation, hue), blur and JPEG compression;
4. now and then the upper garment recoloured in the person's own skin tone
   (:func:`skin_coloured_top`): a beige, peach or pale yellow top beside bare arms must be
   told by its edges, folds and print, not by its colour (the first parser, trained without
   this, called the sleeves of a peach T-shirt arms, and the try-on kept them).

Items are ``{"image": (3, H, W) float32 in [-1, 1], "label": (H, W) int64}`` with labels indexing
:data:`tryon.models.parser.PARSER_CLASSES`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import cv2
import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from tryon import constants as C
from tryon.data.layout import DatasetLayout
from tryon.errors import TryOnError
from tryon.tensors import to_tensor
from tryon.models.parser import CLASS_FLIP, LIP_TO_CLASS, PARSER_CLASSES

__all__ = ["ParseDataset", "ParseAugment", "background_photos", "parse_path", "kept_background",
           "skin_coloured_top"]

UINT8_MAX = 255
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
_LIP_TO_CLASS = np.array(LIP_TO_CLASS, np.uint8)
_CLASS_FLIP = np.array(CLASS_FLIP, np.uint8)
_FACE = PARSER_CLASSES.index(C.LIP_FACE)
_UPPER = [PARSER_CLASSES.index(c) for c in (C.LIP_UPPER_CLOTHES, C.LIP_DRESS, C.LIP_COAT)]
_SKIN = [PARSER_CLASSES.index(c) for c in (C.LIP_FACE, C.LIP_LEFT_ARM, C.LIP_RIGHT_ARM)]
MIN_RECOLOUR_PIXELS = 50  # fewer skin or upper-garment pixels than this: nothing is recoloured
TOP_CHROMA_KEPT = 0.25    # a recoloured top keeps this share of its own colour's departures from its mean
                          # (CIELAB a, b: a print stays faintly visible); its lightness's are kept whole
NECK_COLUMN_INSET = 0.2   # the neck spans the face's columns less this share on each side


def parse_path(layout: DatasetLayout, person: str) -> Path:
    """The parse map of a person photo: ``<parse dir>/<stem>.png``."""
    if layout.parse is None:
        raise TryOnError(f"'{layout.root}' has no parse maps (image-parse/); the parser trains on them.")
    return layout.parse / (Path(person).stem + ".png")


def skin_coloured_top(image: np.ndarray, upper: np.ndarray, skin: np.ndarray,
                      shift: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> np.ndarray:
    """``image`` with its upper garment recoloured in the person's skin tone.

    In CIELAB, the garment's mean colour becomes the skin's mean (plus ``shift``); its
    lightness varies about it as before (folds, shading, print), its chroma by
    :data:`TOP_CHROMA_KEPT` of what it did.

    Args:
        image: ``(H, W, 3)`` uint8 RGB.
        upper: ``(H, W)`` bool, the upper garment; skin: ``(H, W)`` bool, face and arms.
        shift: ``(L, a, b)`` added to the skin's mean (OpenCV's 8-bit CIELAB levels).

    Returns:
        ``(H, W, 3)`` uint8; ``image`` itself when either region has fewer than
        :data:`MIN_RECOLOUR_PIXELS` pixels.
    """
    if upper.sum() < MIN_RECOLOUR_PIXELS or skin.sum() < MIN_RECOLOUR_PIXELS:
        return image
    lab = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2LAB).astype(np.float32)
    top, target = lab[upper], lab[skin].mean(0) + np.asarray(shift, np.float32)
    mean = top.mean(0)
    top = target + (top - mean) * np.array([1.0, TOP_CHROMA_KEPT, TOP_CHROMA_KEPT], np.float32)
    lab[upper] = top
    return cv2.cvtColor(np.clip(lab + 0.5, 0, UINT8_MAX).astype(np.uint8), cv2.COLOR_LAB2RGB)


def background_photos(folder: str | Path | None) -> list[Path]:
    """Image files under ``folder`` (recursively, sorted); none for ``None``."""
    if folder is None:
        return []
    folder = Path(folder)
    if not folder.is_dir():
        raise TryOnError(f"The background folder '{folder}' does not exist.")
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)


def kept_background(label: np.ndarray) -> np.ndarray:
    """Background-labelled pixels that are not the studio wall to replace: ``(H, W)`` bool.

    VITON's maps label the neck as background. A new background must not show through it, so
    these keep their own pixels: background enclosed by the person (the neck, gaps between an
    arm and the body, which show the wall, rightly), and, in the face's middle columns, the
    background between the chin and the garment (a neck open to the wall at its sides).

    Args:
        label: ``(H, W)`` parser classes (:data:`~tryon.models.parser.PARSER_CLASSES` indices).
    """
    bg = label == 0
    _, comp = cv2.connectedComponents(bg.astype(np.uint8), connectivity=4)
    border = np.unique(np.concatenate([comp[0], comp[-1], comp[:, 0], comp[:, -1]]))
    keep = bg & ~np.isin(comp, border)
    face = label == _FACE
    cols = np.flatnonzero(face.any(0))
    if cols.size:
        inset = int(cols.size * NECK_COLUMN_INSET)
        rows = np.arange(label.shape[0])[:, None]
        lo, hi = cols[0] + inset, cols[-1] + 1 - inset
        chin = np.where(face[:, lo:hi], rows, -1).max(0)                       # last face row
        garment = np.isin(label[:, lo:hi], _UPPER) & (rows > chin)
        top = np.where(garment, rows, label.shape[0]).min(0)                    # first garment row below
        keep[:, lo:hi] |= bg[:, lo:hi] & (rows > chin) & (rows < top) & (chin >= 0) & (top < label.shape[0])
    return keep


class ParseAugment:
    """Random photo-like changes of a person photo and its label map (all numpy, uint8).

    Args:
        backgrounds: photos to put behind the person (read on demand, cropped at random).
        p_background: chance of replacing the studio background at all.
        p_photo: given a replacement, the chance that it is a photo rather than a made-up texture.
    """

    SCALE = (0.6, 1.25)        # person size relative to the frame (below 1: a wider view)
    SHIFT = 0.15               # translation up to this share of the frame's width / height
    P_FLIP = 0.5
    BRIGHTNESS = 0.25          # added, times 255, up to this much either way
    CONTRAST = 0.3             # times [1 - c, 1 + c]
    SATURATION = 0.4           # times [1 - s, 1 + s]
    HUE = 8                    # OpenCV hue units (of 180) either way
    P_BLUR, MAX_BLUR = 0.3, 1.5  # chance of a Gaussian blur, its largest sigma (px)
    P_JPEG, JPEG_QUALITY = 0.5, (30, 95)
    P_SKIN_TOP = 0.25          # chance of a top recoloured in the skin's tone (skin_coloured_top)...
    SKIN_TOP_SHIFT = (12.0, 4.0, 6.0)  # ...shifted up to this much from it (CIELAB levels)
    EDGE_SIGMA = 0.8           # px: softness of the person's outline on a new background

    def __init__(self, backgrounds: Sequence[Path] = (), p_background: float = 0.7, p_photo: float = 0.6) -> None:
        self.backgrounds = list(backgrounds)
        self.p_background = p_background
        self.p_photo = p_photo if self.backgrounds else 0.0

    def __call__(self, image: np.ndarray, label: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``image`` ``(H, W, 3)`` uint8 and ``label`` ``(H, W)`` uint8 classes -> augmented copies."""
        image, label = self._geometry(image, label, rng)
        if rng.random() < self.P_SKIN_TOP:
            shift = rng.uniform(-1.0, 1.0, 3) * self.SKIN_TOP_SHIFT
            image = skin_coloured_top(image, np.isin(label, _UPPER), np.isin(label, _SKIN), tuple(shift))
        if rng.random() < self.p_background:
            image = self._new_background(image, label, rng)
        image = self.jitter(image, rng)
        if rng.random() < self.P_BLUR:
            image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.3, self.MAX_BLUR))
        if rng.random() < self.P_JPEG:
            ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(*self.JPEG_QUALITY))])
            image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if ok else image
        return image, label

    def _geometry(self, image, label, rng):
        h, w = label.shape
        if rng.random() < self.P_FLIP:
            image, label = image[:, ::-1], _CLASS_FLIP[label[:, ::-1]]
        s = rng.uniform(*self.SCALE)
        tx, ty = rng.uniform(-self.SHIFT, self.SHIFT, 2) * (w, h)
        m = np.array([[s, 0, (1 - s) * w / 2 + tx], [0, s, (1 - s) * h / 2 + ty]], np.float32)
        image = cv2.warpAffine(np.ascontiguousarray(image), m, (w, h), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)
        label = cv2.warpAffine(np.ascontiguousarray(label), m, (w, h), flags=cv2.INTER_NEAREST,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        return image, label

    def _new_background(self, image, label, rng):
        h, w = label.shape
        back = self._photo(h, w, rng) if rng.random() < self.p_photo else self.texture(h, w, rng)
        keep = (label > 0) | kept_background(label)
        person = cv2.GaussianBlur(keep.astype(np.float32), (0, 0), self.EDGE_SIGMA)[..., None]
        return (image * person + back * (1 - person) + 0.5).astype(np.uint8)

    def _photo(self, h, w, rng):
        path = self.backgrounds[int(rng.integers(len(self.backgrounds)))]
        back = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if back is None:
            return self.texture(h, w, rng)
        back = cv2.cvtColor(back, cv2.COLOR_BGR2RGB)
        zoom = max(h / back.shape[0], w / back.shape[1]) * rng.uniform(1.0, 2.0)
        back = cv2.resize(back, (max(w, round(back.shape[1] * zoom)), max(h, round(back.shape[0] * zoom))))
        y = int(rng.integers(back.shape[0] - h + 1))
        x = int(rng.integers(back.shape[1] - w + 1))
        back = back[y : y + h, x : x + w]
        return back[:, ::-1] if rng.random() < 0.5 else back

    @staticmethod
    def texture(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
        """A made-up background ``(h, w, 3)`` float32 on 0..255: a flat colour, a gradient, stripes or smooth noise."""
        a, b = rng.integers(0, UINT8_MAX + 1, (2, 3)).astype(np.float32)
        kind = rng.integers(4)
        if kind == 0:                                     # flat colour
            t = np.zeros((h, w, 1), np.float32)
        elif kind == 1:                                   # linear gradient, any direction
            angle = rng.uniform(0, 2 * np.pi)
            yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
            t = (np.cos(angle) * xx / w + np.sin(angle) * yy / h)[..., None]
            t = (t - t.min()) / max(float(np.ptp(t)), 1e-6)
        elif kind == 2:                                   # stripes
            angle, period = rng.uniform(0, np.pi), rng.uniform(4, 40)
            yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
            t = ((np.cos(angle) * xx + np.sin(angle) * yy) // period % 2)[..., None]
        else:                                             # smooth noise
            small = rng.random((max(2, h // 16), max(2, w // 16), 1)).astype(np.float32)
            t = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)[..., None]
        return np.clip(a + (b - a) * t, 0, UINT8_MAX)

    def jitter(self, image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Brightness, contrast, saturation and hue jitter of an ``(H, W, 3)`` uint8 photo."""
        x = image.astype(np.float32)
        x = (x - x.mean()) * rng.uniform(1 - self.CONTRAST, 1 + self.CONTRAST) + x.mean()
        x = x + rng.uniform(-self.BRIGHTNESS, self.BRIGHTNESS) * UINT8_MAX
        hsv = cv2.cvtColor(np.clip(x, 0, UINT8_MAX).astype(np.uint8), cv2.COLOR_RGB2HSV).astype(np.int16)
        hsv[..., 0] = (hsv[..., 0] + rng.integers(-self.HUE, self.HUE + 1)) % 180
        hsv[..., 1] = np.clip(hsv[..., 1] * rng.uniform(1 - self.SATURATION, 1 + self.SATURATION), 0, UINT8_MAX)
        return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB)


class ParseDataset(Dataset):
    """Person photos and their parse maps, read from disk on demand.

    Args:
        layout: a VITON-style data set with parse maps.
        persons: person photo names (``image/<name>``).
        augment: a :class:`ParseAugment` (training), or None (evaluation: the photos as they are).

    The augmentation draws its randomness from torch's generator (seeded by the training loop, and
    per DataLoader worker by PyTorch), so runs repeat and workers differ.
    """

    def __init__(self, layout: DatasetLayout, persons: Sequence[str], augment: ParseAugment | None = None) -> None:
        self.layout, self.persons = layout, list(persons)
        self.augment = augment
        if not self.persons:
            raise TryOnError("The parser data set is empty: no person photos with parse maps.")

    def __len__(self) -> int:
        return len(self.persons)

    def load(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Item ``i`` unaugmented: ``(H, W, 3)`` uint8 RGB at the frame size, ``(H, W)`` uint8 classes."""
        name = self.persons[i]
        image = Image.open(self.layout.image / name).convert("RGB")
        lip = np.array(Image.open(parse_path(self.layout, name)))
        h, w = C.FRAME_SIZE
        if image.size != (w, h):
            image = image.resize((w, h), Image.BILINEAR)
        if lip.shape != (h, w):
            lip = cv2.resize(lip, (w, h), interpolation=cv2.INTER_NEAREST)
        return np.asarray(image), _LIP_TO_CLASS[np.minimum(lip, C.LIP_NUM_LABELS - 1)]

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        image, label = self.load(i)
        if self.augment is not None:
            rng = np.random.default_rng(int(torch.randint(2**62, ())))
            image, label = self.augment(image, label, rng)
        return {"image": to_tensor(image), "label": torch.from_numpy(np.ascontiguousarray(label)).long()}
