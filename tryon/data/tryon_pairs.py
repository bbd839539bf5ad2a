"""The try-on data set: a person photo, the garment they wear, and everything the network sees.

Every pair goes through the SAME code as a shopper's photo at inference: the landmark cache
(MediaPipe, ``tryon prepare``) rebuilt into a :class:`~tryon.pose.PoseResult`,
:func:`tryon.body.prepare_person`, :func:`tryon.garment.prepare_garment` (automatic
segmentation, as for an upload; the data set's cloth-mask only when that fails),
:func:`tryon.warp.warp_garment`, then :func:`tryon.conditioning.frame_arrays` and
:func:`~tryon.conditioning.net_tensors`. The VITON parse map is used ONLY as supervision: it
gives the ground-truth garment region (warp loss, composition-mask target) and the try-on
region (garment + arms) for region metrics. It is never an input: with ``region="parse"`` the
repaint region comes from our own body parser's labels (stored beside it), as at inference.

Preparing a pair costs ~30 ms, so the pairs are prepared once into memory-mapped arrays::

    <cache_dir>/tryon_<H>x<W>_<sha1>/
        person.npy     (N, H, W, 3) uint8   the aligned person photo (the target)
        garment.npy    (N, H, W, 4) uint8   the TPS-warped garment, RGB then alpha
        labels.npy     (N, H, W)    uint8   parse label (bits 0-4) | region << 5 | valid << 6
                                            | revealed << 7 (the pose's region and revealed pixels)
        parsed.npy     (N, H, W)    uint8   our body parser's labels, as at inference
        mask.npy       (N, H, W)    uint8   MediaPipe's person mask, 0..255
        landmarks.npy  (N, 33, 3)   float32 frame fractions and visibility
        codes.npy      (N, D)       float32 garment VAE code then body VAE code
        done.npy       (N,)         bool    rows prepared so far (a killed build resumes)
        info.json      {"names", "skipped": {pair: reason}, "complete"}

About 0.5 MB a pair: the VITON train split takes ~6.5 GB of disk (paged in as needed).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from tryon import constants as C
from tryon.alignment import body_unit, torso_rows
from tryon.body import prepare_person, warp_to_frame
from tryon.conditioning import frame_arrays, net_tensors, vae_codes
from tryon.data.bodies import rebuild_pose
from tryon.data.cache import LandmarkCache
from tryon.data.garments import colour_matrix, load_garment
from tryon.data.layout import DatasetLayout
from tryon.errors import GarmentError, TryOnError
from tryon.garment import prepare_garment
from tryon.hub import read_config
from tryon.io import atomic_write, load_image
from tryon.masks import disk
from tryon.region import (OFF_PHOTO_FILL, PARSED_FRONT, PARSED_OLD_GARMENT, covered_skin, keep_region,
                          parse_regions, shown_past_the_edge)
from tryon.models.vae import VAE
from tryon.tensors import to_tensor
from tryon.warp import MEASURED_LENGTHS, warp_garment

__all__ = ["TryOnPairs", "build_pairs_cache", "wider_old_garment", "prepare_pair", "person_in_frame", "garment_in_frame", "GARMENT_LABELS", "TRYON_LABELS",
           "LABEL_MASK"]

CACHE_PREFIX = "tryon"
NAME_HASH_CHARS = 10
LABEL_MASK = 0x1F           # parse labels 0..19 live in the low 5 bits
REGION_BIT = 1 << 5
VALID_BIT = 1 << 6
REVEALED_BIT = 1 << 7
CACHE_FORMAT = 6            # part of the folder's hash: a format change never reuses an old cache (6: tryon.alignment
                            # moves a person sideways to keep an elbow or wrist in the frame)
                            # (5: the spline's hem and sleeve lengths, tryon.warp.MEASURED_LENGTHS)
                            # (3: garment warps that fold are refit without their sleeves;
                            # 4: the parser's labels and the person mask are stored, and sleeves
                            # whose one-piece fit folds are laid along the arms)
REGION_SOURCES = ("pose", "parse")  # where TryOnPairs takes the repaint region from
GARMENT_LABELS = C.LIP_UPPER_GARMENT   # what the garment replaces
TRYON_LABELS = GARMENT_LABELS + (C.LIP_LEFT_ARM, C.LIP_RIGHT_ARM)  # garment + arms: region metrics
OCCLUDER_LABELS = (C.LIP_HAIR, C.LIP_LEFT_ARM, C.LIP_RIGHT_ARM)      # what may lie in front of a garment
# Mirror image of the LIP labels (left <-> right arm, leg and shoe).
LABEL_FLIP = np.arange(256, dtype=np.uint8)
for _a, _b in ((C.LIP_LEFT_ARM, C.LIP_RIGHT_ARM), (C.LIP_LEFT_LEG, C.LIP_RIGHT_LEG),
               (C.LIP_LEFT_SHOE, C.LIP_RIGHT_SHOE)):
    LABEL_FLIP[_a], LABEL_FLIP[_b] = _b, _a
ROW_KEYS = ("person", "garment", "labels", "parsed", "mask", "landmarks", "codes")  # one cache row
CHUNK = 64                  # pairs per worker task; done.npy is flushed after each
FLIP_PROBABILITY = 0.5
HIDE_ARMS_PROBABILITY = 0.3  # items whose bare arms are greyed out in the agnostic input (as if
                             # covered by an old long sleeve): teaches skin below short sleeves
ARM_LABELS = C.LIP_ARMS
HIDE_NECK_PROBABILITY = 0.75  # items whose neck and chest skin under the garment's warp is greyed out
                              # (tryon.region.covered_skin, as at inference): the network paints the
                              # garment's own neckline and the skin inside it
WIDER_OLD_PROBABILITY = 0.5  # items repainted as if the old top were wider and longer than the worn one:
WIDER_OLD_SIDEWAYS = 0.15    # its parse grown sideways by up to this many units of U (a halo)...
WIDER_OLD_DOWN = 0.6         # ...and down by up to this many (a band below the hem); the network
                             # learns to paint the background, trousers and skin that lie there
CROP_PROBABILITY = 0.25     # items cut off below the chest, as a shopper's head-and-shoulders photo is: the
CROP_FROM = 0.3             # frame off the photo from a row this far (and up to all the way) from the
                            # shoulders to the hips, the region going on past it as the pipeline shows it
                            # (tryon.region.shown_past_the_edge); the target off the photo is white
HUE_JITTER = 0.5            # joint hue rotation of garment and worn garment, up to this many turns
SATURATION_JITTER = 0.2     # joint saturation scale in [1 - j, 1 + j]


# ------------------------------------------------------------------------------ one pair
def _read_parse(layout: DatasetLayout, person: str) -> np.ndarray | None:
    if layout.parse is None:
        return None
    path = layout.parse / (Path(person).stem + ".png")
    if not path.is_file():
        return None
    with Image.open(path) as im:
        return np.asarray(im if im.mode in ("P", "L") else im.convert("L")).astype(np.uint8)


def in_front_of_garment(parse: np.ndarray, worn: np.ndarray) -> np.ndarray:
    """``(H, W)`` bool: the hair and arm pixels inside the worn garment's span on their row (from
    its leftmost to its rightmost pixel): an arm across the belly, hair over a shoulder. The
    garment goes on behind them, so the warp is not asked to leave a hole there (it learned to
    squeeze prints out of the way of folded arms).

    Args:
        parse: ``(H, W)`` uint8 LIP ids.
        worn: ``(H, W)`` bool, the worn garment (:data:`GARMENT_LABELS`).
    """
    h, w = parse.shape
    rows = worn.any(1)
    left = np.where(rows, worn.argmax(1), w)
    right = np.where(rows, w - 1 - worn[:, ::-1].argmax(1), -1)
    cols = np.arange(w)[None]
    return np.isin(parse, OCCLUDER_LABELS) & (cols >= left[:, None]) & (cols <= right[:, None])


def garment_in_frame(layout: DatasetLayout, garment: str, frame: tuple[int, int]):
    """A data set's garment photo prepared in the frame (:class:`tryon.garment.PreparedGarment`):
    as the pipeline prepares it, or from its mask file where that cannot cut it out."""
    try:
        return prepare_garment(load_image(layout.cloth / garment, keep_alpha=True, what="garment image"),
                               size=frame)
    except GarmentError:
        return load_garment(layout, garment, size=frame)


def person_in_frame(layout: DatasetLayout, cache: LandmarkCache, person: str, frame: tuple[int, int]):
    """A data set's person photo in the frame: ``(pose, body, parse)``, the MediaPipe result the
    landmark cache holds, the :class:`tryon.body.BodyFrame` and the photo's parse map (LIP ids,
    ``(H, W)`` uint8) warped into the frame. Raises TryOnError when the photo cannot be used."""
    if person not in cache:
        raise TryOnError("The person photo is not in the landmark cache (unreadable or no person).")
    entry = cache[person]
    if not entry.ok:
        raise TryOnError(entry.reason or "The person photo fails the upper-body check.")
    pose = rebuild_pose(entry)
    photo = np.asarray(load_image(layout.image / person, what="person photo"))
    if (photo.shape[1], photo.shape[0]) != tuple(pose.image_size):  # VITON-HD: cache is frame-sized
        photo = cv2.resize(photo, tuple(pose.image_size), interpolation=cv2.INTER_AREA)
    body = prepare_person(photo, pose, frame)
    parse = _read_parse(layout, person)
    if parse is None:
        raise TryOnError("The person photo has no parse map (needed as supervision).")
    if parse.shape != photo.shape[:2]:
        parse = cv2.resize(parse, (photo.shape[1], photo.shape[0]), interpolation=cv2.INTER_NEAREST)
    return pose, body, warp_to_frame(parse, body.alignment, nearest=True).astype(np.uint8) & LABEL_MASK


def prepare_pair(layout: DatasetLayout, cache: LandmarkCache, person: str, garment: str,
                 frame: tuple[int, int], garment_vae=None, body_vae=None, parser=None) -> dict:
    """One pair -> its cache row. Raises TryOnError when the pair cannot be used.

    Without a ``parser`` (a :class:`tryon.parse.Parser`) the row's parser labels are all background."""
    pose, body, labels = person_in_frame(layout, cache, person, frame)
    prepared = garment_in_frame(layout, garment, frame)
    warped = warp_garment(prepared.rgb, prepared.mask, prepared.keypoints, body.landmarks, prepared.analysis,
                          MEASURED_LENGTHS)
    arrays = frame_arrays(body, warped)
    labels |= arrays["region"].astype(np.uint8) * REGION_BIT
    labels |= arrays["valid"].astype(np.uint8) * VALID_BIT
    labels |= arrays["revealed"].astype(np.uint8) * REVEALED_BIT
    person_mask = body.person_mask >= 0.5
    parsed = (parser.labels_in(body.image, person_mask & body.valid) if parser is not None
              else np.zeros_like(labels))
    return {"person": arrays["person"], "garment": arrays["garment"], "labels": labels,
            "parsed": parsed.astype(np.uint8), "mask": np.clip(body.person_mask * 255 + 0.5, 0, 255).astype(np.uint8),
            "landmarks": arrays["landmarks"], "codes": vae_codes(garment_vae, body_vae, prepared, pose)}


# ------------------------------------------------------------------------------ the cache
_WORKER: dict = {}


def _worker_init(layout, cache_dir, frame, garment_vae_dir, body_vae_dir, parser_dir) -> None:
    from tryon.parse import Parser

    torch.set_num_threads(1)
    _WORKER.update(layout=layout, cache=LandmarkCache(cache_dir), frame=frame,
                   garment_vae=VAE.from_pretrained(garment_vae_dir).eval() if garment_vae_dir else None,
                   body_vae=VAE.from_pretrained(body_vae_dir).eval() if body_vae_dir else None,
                   parser=Parser.from_pretrained(parser_dir) if parser_dir else None)


def _worker_rows(task: tuple[list[int], list[tuple[str, str]]]) -> tuple[list[int], list]:
    """Prepare one chunk: ``(row indices, pairs)`` -> ``(row indices, rows or error strings)``."""
    indices, pairs = task
    rows = []
    for person, garment in pairs:
        try:
            rows.append(prepare_pair(_WORKER["layout"], _WORKER["cache"], person, garment, _WORKER["frame"],
                                     _WORKER["garment_vae"], _WORKER["body_vae"], _WORKER["parser"]))
        except (TryOnError, OSError, ValueError) as err:
            rows.append(str(err) or type(err).__name__)
    return indices, rows


def _digest(pairs: Sequence[tuple[str, str]], frame, vae_files: Sequence[Path | None]) -> str:
    h = hashlib.sha1("\n".join(f"{p} {g}" for p, g in pairs).encode())
    h.update(repr((tuple(frame), CACHE_FORMAT, tuple(MEASURED_LENGTHS))).encode())
    for f in vae_files:  # the codes and the parser's labels depend on these weights
        h.update(Path(f).read_bytes() if f is not None else b"-")
    return h.hexdigest()[:NAME_HASH_CHARS]


def build_pairs_cache(layout: DatasetLayout, landmark_cache_dir: Path, pairs: Sequence[tuple[str, str]],
                      cache_root: Path, *, frame: tuple[int, int] = C.FRAME_SIZE,
                      garment_vae_dir: Path | None = None, body_vae_dir: Path | None = None,
                      parser_dir: Path | None = None, workers: int = 2, progress: bool = True) -> Path:
    """Prepare every pair (resuming a killed build) and return the cache folder.

    ``parser_dir``: the body parser whose labels are stored for ``TryOnPairs(region="parse")``
    (none: background labels only)."""
    pairs = [tuple(p) for p in pairs]
    vae_files = [Path(d) / "model.safetensors" if d else None for d in (garment_vae_dir, body_vae_dir, parser_dir)]
    folder = Path(cache_root) / f"{CACHE_PREFIX}_{frame[0]}x{frame[1]}_{_digest(pairs, frame, vae_files)}"
    info_path = folder / "info.json"
    if info_path.is_file() and json.loads(info_path.read_text()).get("complete"):
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    n, (h, w) = len(pairs), frame
    code_dim = _code_dim(garment_vae_dir, body_vae_dir)
    specs = {"person": ((n, h, w, 3), np.uint8), "garment": ((n, h, w, 4), np.uint8),
             "labels": ((n, h, w), np.uint8), "parsed": ((n, h, w), np.uint8), "mask": ((n, h, w), np.uint8),
             "landmarks": ((n, 33, 3), np.float32),
             "codes": ((n, code_dim), np.float32), "done": ((n,), np.bool_)}
    arrays = {}
    for key, (shape, dtype) in specs.items():
        path = folder / f"{key}.npy"
        mode = "r+" if path.is_file() else "w+"
        arrays[key] = np.lib.format.open_memmap(path, mode=mode, dtype=dtype, shape=shape)
        if arrays[key].shape != shape:
            raise TryOnError(f"The try-on cache '{folder}' is damaged; delete it and run again.")
    info = json.loads(info_path.read_text()) if info_path.is_file() else {"skipped": {}}
    skipped: dict[str, str] = info.get("skipped", {})
    done = arrays["done"]
    todo = [i for i in range(n) if not done[i] and f"{pairs[i][0]} {pairs[i][1]}" not in skipped]
    chunks = [todo[i : i + CHUNK] for i in range(0, len(todo), CHUNK)]
    tasks = [(chunk, [pairs[j] for j in chunk]) for chunk in chunks]
    bar = tqdm(total=len(todo), desc="prepare pairs", unit="pair", disable=not progress)
    init = (layout, landmark_cache_dir, tuple(frame), garment_vae_dir, body_vae_dir, parser_dir)

    def consume(results) -> None:
        for indices, rows in results:
            for i, row in zip(indices, rows):
                if isinstance(row, str):
                    skipped[f"{pairs[i][0]} {pairs[i][1]}"] = row
                    continue
                for key in ROW_KEYS:
                    arrays[key][i] = row[key]
                done[i] = True
            for a in arrays.values():
                a.flush()
            atomic_write(info_path, lambda f: f.write(json.dumps({"skipped": skipped, "complete": False}).encode()))
            bar.update(len(rows))

    if workers > 1 and len(tasks) > 1:
        with mp.get_context("spawn").Pool(workers, _worker_init, init) as pool:
            consume(pool.imap_unordered(_worker_rows, tasks))
    else:  # in this process: the worker's single thread must not outlive the build
        threads = torch.get_num_threads()
        try:
            _worker_init(*init)
            consume(map(_worker_rows, tasks))
        finally:
            torch.set_num_threads(threads)
    bar.close()
    names = [f"{p} {g}" for p, g in pairs]
    atomic_write(info_path, lambda f: f.write(json.dumps({"names": names, "skipped": skipped,
                                                          "complete": True}, indent=0).encode()))
    return folder


def _code_dim(*vae_dirs) -> int:
    return sum(int(read_config(d)["config"]["latent_dim"]) for d in vae_dirs if d)


# ---------------------------------------------------------------------------- augmentation
def _colour_matrix(rng: np.random.Generator) -> np.ndarray:
    return colour_matrix(rng.uniform(-HUE_JITTER, HUE_JITTER),
                         rng.uniform(1 - SATURATION_JITTER, 1 + SATURATION_JITTER)).astype(np.float32)


def _recolour(rgb: np.ndarray, where: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    out = rgb.copy()
    out[where] = np.clip(rgb[where].astype(np.float32) @ matrix.T + 0.5, 0, 255).astype(np.uint8)
    return out


def cut_below_chest(seen: np.ndarray, parsed: np.ndarray, mask: np.ndarray, valid: np.ndarray,
                    landmarks: np.ndarray, share: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A training frame as a photo cut off ``share`` of the way from the shoulders down to the
    hips would give it: below that row the frame is off the photo (``valid`` False), shows the
    photo's last row repeated (as :func:`tryon.body.prepare_person` pads a photo), and the parse
    and the person mask see nothing there.

    Args:
        seen: ``(H, W, 3)`` uint8 person frame; parsed: ``(H, W)`` uint8 LIP ids; mask: ``(H, W)``
            uint8 person mask (0..255); valid: ``(H, W)`` bool; landmarks: ``(33, 3)`` ``(x, y)``
            as fractions of the frame; share: in ``[0, 1]``.

    Returns:
        ``(seen, parsed, mask, valid)``, new arrays (the inputs unchanged where nothing is cut).
    """
    h = seen.shape[0]
    shoulders, hips = (row * h for row in torso_rows(landmarks))
    cut = int(round(shoulders + share * (hips - shoulders)))
    if not 0 < cut < h:
        return seen, parsed, mask, valid
    seen, parsed, mask, valid = seen.copy(), parsed.copy(), mask.copy(), valid.copy()
    seen[cut:] = seen[cut - 1]
    parsed[cut:] = C.LIP_BACKGROUND
    mask[cut:] = 0
    valid[cut:] = False
    return seen, parsed, mask, valid


def wider_old_garment(parsed: np.ndarray, landmarks_px: np.ndarray, valid: np.ndarray,
                      sideways: float, down: float) -> np.ndarray:
    """Pixels a wider and longer old top would have covered: the repaint region they add.

    On a shopper's photo the old top is often wider or longer than the new garment, and the
    region between the two outlines (a halo at the sides, a band below the new hem) must be
    painted as what lies under the old top: background, trousers, skin. Training pairs never
    show this (the person wears the garment itself), so some items repaint this extra ring too,
    with the photo as the target there. The ring is greyed wholly in the agnostic input (none of
    it revealed): at inference these pixels are the old top's.

    Args:
        parsed: ``(H, W)`` uint8, our parser's LIP labels of the frame.
        landmarks_px: ``(33, 3)`` frame pixels and visibility.
        valid: ``(H, W)`` bool, frame pixels on the photo.
        sideways, down: how far the old top's parse grows to the sides and down, in units of U
            (:func:`tryon.alignment.body_unit`).

    Returns:
        ``(H, W)`` bool, outside the old top; never the face, hair or hands (kept at inference too).
    """
    old = np.isin(parsed, PARSED_OLD_GARMENT).astype(np.uint8)
    u = body_unit(landmarks_px)
    grown = cv2.dilate(old, disk(max(1.0, sideways * u)))
    reach = int(round(down * u))
    if reach > 0:  # a column kernel anchored at its centre, ones in its top half: grows downward only
        column = np.zeros((2 * reach + 1, 1), np.uint8)
        column[: reach + 1] = 1
        grown = cv2.dilate(grown, column)
    kept = keep_region(landmarks_px, parsed.shape, lower_body=False) | np.isin(parsed, PARSED_FRONT)
    return grown.astype(bool) & ~old.astype(bool) & ~kept & valid


# ---------------------------------------------------------------------------- the data set
class TryOnPairs(torch.utils.data.Dataset):
    """Prepared try-on pairs, read from the memory-mapped cache.

    Items (no batch dimension; ``H, W`` = the frame)::

        person      (3, H, W)   [-1, 1]  the photo in the frame: the target
        agnostic    (3, H, W)   [-1, 1]  the person, repaint region grey, off-photo white
        region      (1, H, W)   {0, 1}   pixels the try-on repaints (``region``: "pose", from landmarks
                                         + MediaPipe; "parse", from our parser's labels too)
        revealed    (1, H, W)   {0, 1}   region pixels left visible in agnostic (background, skin)
        garment     (4, H, W)            TPS-warped garment: RGB [-1, 1] (0 off it), alpha [0, 1]
        landmarks   (33, 3)     [0, 1]   frame fractions and visibility (pose maps are made per batch)
        codes       (D,)                 garment VAE code, then body VAE code
        gt_garment  (1, H, W)   {0, 1}   ground-truth garment region (parse; supervision only)
        gt_tryon    (1, H, W)   {0, 1}   garment + arms (parse; for region losses and metrics)
        name        str                  "person.jpg garment.jpg"

    With ``augment``: a horizontal flip of everything together (landmarks and left/right labels
    swapped), bare arms greyed out in the agnostic input in some items (as under an old long
    sleeve: the network learns to paint skin below a short sleeve), with ``region="parse"`` the
    repaint region grown in some items as if the old top were wider and longer
    (:func:`wider_old_garment`: the network learns to paint what lies between the outlines), and
    one hue/saturation change applied to the garment AND to the garment the
    person wears in the target (so that the colour must come from the garment input). The
    agnostic input keeps the photo's own colours, so a revealed pixel that is really garment
    (a skin-coloured top) is a decoy whose colour is wrong: the network learns not to copy it.
    """

    def __init__(self, folder: str | Path, *, augment: bool = False, seed: int = 0, region: str = "pose") -> None:
        if region not in REGION_SOURCES:
            raise ValueError(f"region must be one of {REGION_SOURCES}, not {region!r}")
        self.folder = Path(folder)
        self.region = region
        info = json.loads((self.folder / "info.json").read_text())
        if not info.get("complete"):
            raise TryOnError(f"The try-on cache '{self.folder}' is incomplete; run the build again.")
        self.skipped: dict[str, str] = info["skipped"]
        self._arrays = {k: np.load(self.folder / f"{k}.npy", mmap_mode="r")
                        for k in (*ROW_KEYS, "done")}
        self._rows = np.flatnonzero(self._arrays["done"])
        self.names = [info["names"][i] for i in self._rows]
        self.augment = augment
        self.seed = seed
        self.code_dim = self._arrays["codes"].shape[1]

    def __len__(self) -> int:
        return len(self._rows)

    def raw(self, index: int) -> dict[str, np.ndarray]:
        """The stored arrays of item ``index`` (copies)."""
        r = self._rows[index]
        return {k: np.array(self._arrays[k][r]) for k in ROW_KEYS}

    def __getitem__(self, index: int) -> dict:
        a = self.raw(index)
        labels = a["labels"]
        parse, parsed, mask = labels & LABEL_MASK, a["parsed"], a["mask"]
        person, garment, landmarks = a["person"], a["garment"], a["landmarks"]
        if self.augment:
            rng = np.random.default_rng([self.seed, int(torch.randint(0, 2**31 - 1, ()).item()), index])
            if rng.random() < FLIP_PROBABILITY:
                person, garment = person[:, ::-1], garment[:, ::-1]
                labels, mask = labels[:, ::-1], mask[:, ::-1]
                parse, parsed = LABEL_FLIP[labels & LABEL_MASK], LABEL_FLIP[parsed[:, ::-1]]
                landmarks = landmarks[list(C.LANDMARK_FLIP)].copy()
                landmarks[:, 0] = 1.0 - landmarks[:, 0]
        worn = np.isin(parse, GARMENT_LABELS)
        region = (labels & REGION_BIT) > 0
        valid = (labels & VALID_BIT) > 0
        revealed = (labels & REVEALED_BIT) > 0
        seen = np.ascontiguousarray(person)   # what the agnostic input shows: never recoloured
        px = landmarks * np.array([person.shape[1], person.shape[0], 1], np.float32)
        cropped = self.augment and rng.random() < CROP_PROBABILITY
        if cropped:
            seen, parsed, mask, valid = cut_below_chest(seen, parsed, mask, valid, landmarks,
                                                        rng.uniform(CROP_FROM, 1.0))
            region &= valid
        if self.region == "parse":
            parsed, person_mask = np.ascontiguousarray(parsed), mask.astype(np.float32) / 255
            alpha = garment[..., 3].astype(np.float32) / 255
            region, revealed = parse_regions(parsed, seen, person_mask, px, region, alpha, valid)
            if self.augment and rng.random() < HIDE_NECK_PROBABILITY:
                revealed = revealed & ~covered_skin(parsed, person_mask, alpha)
            if self.augment and rng.random() < WIDER_OLD_PROBABILITY:
                # Greyed wholly, background and skin too: at inference the old top covers it.
                region = region | wider_old_garment(parsed, px, valid, rng.uniform(0, WIDER_OLD_SIDEWAYS),
                                                    rng.uniform(0, WIDER_OLD_DOWN))
        if self.augment and rng.random() < HIDE_ARMS_PROBABILITY:
            # As if the person wore long sleeves: their arms are greyed out like an old sleeve,
            # and the network must paint the skin the target shows below the new garment's sleeves.
            revealed = revealed & ~np.isin(parse, ARM_LABELS)
        if self.augment:
            matrix = _colour_matrix(rng)
            person = _recolour(person, worn, matrix)
            rgb = _recolour(np.ascontiguousarray(garment[..., :3]), garment[..., 3] > 0, matrix)
            garment = np.dstack([rgb, garment[..., 3]])
        if cropped:  # the region goes on past the cut as at inference; what stays off the photo is white
            revealed = revealed & valid
            region, valid = shown_past_the_edge(region, revealed, valid, px)
            person = np.where(valid[..., None], person, OFF_PHOTO_FILL).astype(np.uint8)
        item = net_tensors(seen, region, valid, np.ascontiguousarray(garment), revealed)
        item["person"] = to_tensor(person)
        item["landmarks"] = torch.from_numpy(np.ascontiguousarray(landmarks, dtype=np.float32))
        item["codes"] = torch.from_numpy(a["codes"].astype(np.float32))
        on = valid if cropped else True  # off a cut photo the target is white: no garment, no arm
        item["gt_garment"] = torch.from_numpy((worn & on).astype(np.float32))[None]
        item["gt_tryon"] = torch.from_numpy((np.isin(parse, TRYON_LABELS) & on).astype(np.float32))[None]
        item["gt_occluder"] = torch.from_numpy((in_front_of_garment(parse, worn) & on).astype(np.float32))[None]
        item["name"] = self.names[index]
        return item
