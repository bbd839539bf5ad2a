"""The landmark cache: MediaPipe run once over a data set's person photos.

Layout of a cache folder::

    manifest.json         {"version", "frame", "shard_size", "images": N, "failed": {name: reason}}
    shard_00000.npz       names (n,) str; landmarks (n, 33, 3) float16 (x, y as fractions of the
                          photo, visibility); masks (n, H, W) uint8 person mask (0..255) at the
                          frame size; sizes (n, 2) int32 original (width, height); ok (n,) bool
                          (passes the upper-body check); reason (n,) str (why not, else "");
                          failed_names / failed_reasons: photos of this shard that were unusable

A shard counts as done only when its names match the names it should hold, so a run with
``--limit`` followed by a full run into the same folder recomputes what changed.

Shards are written atomically (temp file + rename), so a run killed at any point resumes by
skipping the shards that exist. About 3 KB an image: the VITON train split packs into ~45 MB.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np
from tqdm import tqdm

from tryon import constants as C
from tryon.errors import PoseError, TryOnError
from tryon.io import atomic_write, load_image
from tryon.pose import check_upper_body, detect_pose  # MediaPipe itself loads on first detect_pose

__all__ = ["CACHE_VERSION", "LandmarkCache", "build_cache", "default_cache_dir", "landmark_shards"]

CACHE_VERSION = 1
SHARD_SIZE = 512
MANIFEST = "manifest.json"


def default_cache_dir(layout_split: Path) -> Path:
    """``<split>/tryon-cache``: next to the images it describes."""
    return Path(layout_split) / "tryon-cache"


def _analyse(path: Path, frame: tuple[int, int]) -> dict:
    """One photo -> cache record; raises TryOnError for photos MediaPipe cannot use."""
    image = load_image(path, what="person photo")
    pose = detect_pose(np.asarray(image))
    ok, reason = True, ""
    try:
        check_upper_body(pose)
    except PoseError as err:
        ok, reason = False, str(err)
    mask = cv2.resize(pose.mask, (frame[1], frame[0]), interpolation=cv2.INTER_AREA)
    return {
        "name": path.name,
        "landmarks": pose.landmarks.astype(np.float16),
        "mask": np.clip(mask * 255 + 0.5, 0, 255).astype(np.uint8),
        "size": np.array(image.size, np.int32),
        "ok": ok,
        "reason": reason,
    }


def build_cache(
    image_dir: Path,
    cache_dir: Path,
    *,
    names: list[str] | None = None,
    frame: tuple[int, int] = C.FRAME_SIZE,
    shard_size: int = SHARD_SIZE,
    progress: bool = True,
) -> dict:
    """Run MediaPipe over ``image_dir`` (or the given ``names``), resuming where it stopped.

    Returns the manifest: ``images`` cached, ``failed`` (unreadable files or no person, with
    the reason), ``not_ok`` (usable landmarks but failing the upper-body check).
    """
    image_dir, cache_dir = Path(image_dir), Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    names = sorted(names if names is not None else (p.name for p in image_dir.iterdir() if p.is_file()))
    manifest_path = cache_dir / MANIFEST
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    if manifest and (manifest.get("version") != CACHE_VERSION or manifest.get("frame") != list(frame)
                     or manifest.get("shard_size") != shard_size):
        raise TryOnError(f"The cache in '{cache_dir}' was built with other settings; delete it or "
                         "pass another --cache folder.")
    failed: dict[str, str] = manifest.get("failed", {})
    shards = [names[i : i + shard_size] for i in range(0, len(names), shard_size)]
    todo = [(i, s) for i, s in enumerate(shards) if not _shard_done(cache_dir / f"shard_{i:05d}.npz", s, failed)]
    bar = tqdm(total=sum(len(s) for _, s in todo), desc="prepare", unit="photo", disable=not progress)
    for index, shard in todo:
        records, shard_failed = [], {}
        for name in shard:
            try:
                records.append(_analyse(image_dir / name, frame))
            except TryOnError as err:  # unreadable file or no person: skipped and listed
                shard_failed[name] = failed[name] = str(err)
            bar.update(1)
        arrays = {
            "names": np.array([r["name"] for r in records], dtype=str),
            "landmarks": np.stack([r["landmarks"] for r in records]) if records else np.zeros((0, 33, 3), np.float16),
            "masks": np.stack([r["mask"] for r in records]) if records else np.zeros((0, *frame), np.uint8),
            "sizes": np.stack([r["size"] for r in records]) if records else np.zeros((0, 2), np.int32),
            "ok": np.array([r["ok"] for r in records], bool),
            "reason": np.array([r["reason"] for r in records], dtype=str),
            "failed_names": np.array(list(shard_failed), dtype=str),
            "failed_reasons": np.array(list(shard_failed.values()), dtype=str),
        }
        atomic_write(cache_dir / f"shard_{index:05d}.npz", lambda fh: np.savez_compressed(fh, **arrays))
        manifest = {"version": CACHE_VERSION, "frame": list(frame), "shard_size": shard_size,
                    "shards": len(shards), "failed": failed}
        atomic_write(manifest_path, lambda fh: fh.write(json.dumps(manifest, indent=1).encode()))
    bar.close()
    cache = LandmarkCache(cache_dir)
    manifest = {"version": CACHE_VERSION, "frame": list(frame), "shard_size": shard_size,
                "shards": len(shards), "failed": failed, "images": len(cache),
                "not_ok": int((~cache.ok).sum())}
    atomic_write(manifest_path, lambda fh: fh.write(json.dumps(manifest, indent=1).encode()))
    return manifest


def _shard_done(path: Path, names: list[str], failed: dict[str, str]) -> bool:
    """A shard is done when it exists and accounts for exactly these names (cached or failed).

    Failures stored in the shard are merged into ``failed`` (they survive a lost manifest).
    """
    if not path.is_file():
        return False
    with np.load(path) as z:
        cached = [str(n) for n in z["names"]]
        if "failed_names" in z.files:
            failed.update(zip((str(n) for n in z["failed_names"]), (str(r) for r in z["failed_reasons"])))
    return set(cached) | (set(names) & set(failed)) == set(names) and set(cached) <= set(names)


@dataclass
class CacheEntry:
    """One cached photo: ``landmarks`` (33, 3) float32; ``mask`` (H, W) float32 in [0, 1]."""

    name: str
    landmarks: np.ndarray
    mask: np.ndarray
    size: tuple[int, int]
    ok: bool
    reason: str


def landmark_shards(cache_dir: str | Path) -> list[Path]:
    """The shard files of a landmark cache folder, in order (nothing is read).

    Raises:
        TryOnError: one sentence naming `tryon prepare` when the folder holds none.
    """
    files = sorted(Path(cache_dir).glob("shard_*.npz"))
    if not files:
        raise TryOnError(f"No landmark cache in '{Path(cache_dir)}'; run `tryon prepare --data DIR` first.")
    return files


class LandmarkCache:
    """Read access to a cache folder, all shards loaded into memory (about 3 KB an image)."""

    def __init__(self, cache_dir: str | Path) -> None:
        self.dir = Path(cache_dir)
        files = landmark_shards(self.dir)
        parts = []
        for f in files:
            with np.load(f) as z:
                parts.append({k: z[k] for k in ("names", "landmarks", "masks", "sizes", "ok", "reason")})
        self.names = np.concatenate([p["names"] for p in parts])
        self.landmarks = np.concatenate([p["landmarks"] for p in parts]).astype(np.float32)
        self.masks = np.concatenate([p["masks"] for p in parts])
        self.sizes = np.concatenate([p["sizes"] for p in parts])
        self.ok = np.concatenate([p["ok"] for p in parts])
        self.reason = np.concatenate([p["reason"] for p in parts])
        self.index = {str(n): i for i, n in enumerate(self.names)}

    def __len__(self) -> int:
        return len(self.names)

    def __contains__(self, name: str) -> bool:
        return name in self.index

    def __getitem__(self, name: str) -> CacheEntry:
        i = self.index[name]
        return CacheEntry(str(self.names[i]), self.landmarks[i], self.masks[i].astype(np.float32) / 255.0,
                          tuple(int(v) for v in self.sizes[i]), bool(self.ok[i]), str(self.reason[i]))

    def __iter__(self) -> Iterator[str]:
        return iter(str(n) for n in self.names)
