"""Prepared garments remembered by their source: a shop's catalogue is tried on again and again.

Preparing a garment (segmentation, layout, keypoints; for a worn photo the parser's cut-out) and
checking it (the garment VAE's pass and the check's cues) costs about a fifth of a try-on on a
CPU, and gives the same answer every time the same garment comes back. :class:`GarmentCache`
keeps the last few, keyed by a hash of the garment's file (the bytes read from a path or an upload:
cheaper than the decoded pixels, which key a garment given as an image), its mask's and the options
that change the preparation; a hit skips both stages. :func:`load_garment_input` loads an upload
and keeps what keys it; the same pixels from a file and from an image get two keys (a miss, never a
wrong hit). It is thread-safe (the server runs try-ons in parallel) and holds read-only results:
nothing downstream writes into a prepared garment.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from PIL import Image

from tryon.errors import GarmentError
from tryon.io import load_image, read_source

__all__ = ["GarmentCache", "GarmentInput", "garment_key", "load_garment_input", "GARMENT_CACHE_SIZE"]

GARMENT_CACHE_SIZE = 16   # garments kept; each holds its photo (a 1000 px photo: ~3 MB)
MSG_MASK_SIZE = ("The garment mask must have the same size as the garment image; "
                 "please upload the mask that belongs to this garment.")


def garment_key(garment: Image.Image | bytes, mask: Image.Image | bytes | None, *options: Any) -> bytes:
    """A digest of the garment, its mask and ``options``.

    Args:
        garment: the encoded file the garment was loaded from (:func:`tryon.io.read_source`'s
            bytes; loading them again gives the same image), or the image itself (its pixels,
            mode and size are hashed: a few ms for a 1000 px photo).
        mask: the mask's file or image alike, or None.
        options: whatever else changes the preparation (frame size, garment type).
    """
    h = hashlib.blake2b(digest_size=20)
    for item in (garment, mask):
        if item is None:
            h.update(b"none")
        elif isinstance(item, bytes):
            h.update(f"file{len(item)}".encode())
            h.update(item)
        else:
            h.update(f"pixels{item.mode}{item.size}".encode())
            h.update(item.tobytes())
    h.update(repr(options).encode())
    return h.digest()


@dataclass(frozen=True)
class GarmentInput:
    """A garment upload as loaded: what is prepared, and what keys it in the cache.

    Attributes:
        image: the garment, RGB or RGBA (transparency kept, see :func:`tryon.io.load_image`).
        mask: its mask, L at ``image``'s size (white = garment), or None.
        sources: ``(garment, mask)`` as :func:`garment_key` takes them: each one's file bytes
            when it was read from a path, URL or upload, else its loaded image; None for no mask.
    """

    image: Image.Image
    mask: Image.Image | None
    sources: tuple

    def key(self, *options: Any) -> bytes:
        """:func:`garment_key` of this upload and ``options``."""
        return garment_key(*self.sources, *options)


def load_garment_input(garment: Any, mask: Any = None) -> GarmentInput:
    """Load a garment and its optional mask (any source :func:`tryon.io.load_image` takes); each
    file is read once, and its bytes key the cache.

    Raises:
        InvalidImageError: an unreadable garment or mask.
        GarmentError: a mask of another size than the garment.
    """
    garment = read_source(garment, what="garment image")
    image = load_image(garment, keep_alpha=True, what="garment image")
    garment_id = garment if isinstance(garment, bytes) else image
    if mask is None:
        return GarmentInput(image, None, (garment_id, None))
    mask = read_source(mask, what="garment mask")
    mask_img = load_image(mask, what="garment mask").convert("L")
    if mask_img.info.get("original_size", mask_img.size) != image.info.get("original_size", image.size):
        raise GarmentError(MSG_MASK_SIZE)
    mask_img = mask_img.resize(image.size, Image.NEAREST)
    return GarmentInput(image, mask_img, (garment_id, mask if isinstance(mask, bytes) else mask_img))


class GarmentCache:
    """A thread-safe least-recently-used map from :func:`garment_key` to a prepared garment and
    its check.

    Args:
        size: entries kept (0 keeps none: every call prepares afresh).
    """

    def __init__(self, size: int = GARMENT_CACHE_SIZE) -> None:
        if size < 0:
            raise ValueError("size must be >= 0")
        self.size = size
        self._items: OrderedDict[bytes, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: bytes) -> Any | None:
        """The value stored under ``key`` (now the most recent), or None."""
        with self._lock:
            value = self._items.get(key)
            if value is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key: bytes, value: Any) -> None:
        """Store ``value``; the least recently used entry goes when full."""
        if self.size == 0:
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
