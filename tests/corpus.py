"""A corpus of bad inputs for the CLI, pipeline and app tests (not a test module).

:func:`make_corpus` writes every case as real files under ``root`` and returns one
:class:`BadInput` per kind: the (person, garment) pair to feed, the ``tryon.errors`` class
that must be raised and a case-insensitive regex its message must match. Kinds named
``garment-*`` pair a good person photo with a bad garment; every other kind pairs a bad
person photo with a good garment.

Kinds (error class, what the file is):

File-level, refused by ``tryon.io.load_image`` (``InvalidImageError``):
  empty                  a 0-byte .jpg
  plain-text             UTF-8 text saved as .png
  html-as-jpg            an HTML error page saved as .jpg (a failed download)
  pdf                    PDF-like bytes (.pdf)
  zip                    a real zip archive (.zip)
  heic                   an ISO-BMFF ``ftyp heic`` header (.heic): a format we do not read
  svg                    an SVG drawing (.svg): vector, not a photo
  truncated-jpeg         a JPEG cut in half
  truncated-png          a PNG cut in half
  corrupt-png-header     the PNG signature followed by a garbled IHDR chunk
  tiny-image             a valid 8x8 PNG (below MIN_IMAGE_SIDE)
  extreme-aspect         a valid 2000x10 PNG (shorter side below MIN_IMAGE_SIDE)
  decompression-bomb     a 1x1 PNG whose IHDR declares 100000x100000 pixels
  oversize-file          a PNG padded (sparse) to MAX_FILE_BYTES + 1 bytes
  missing-path           a path that does not exist
  directory              a folder instead of a file
  garment-empty          a 0-byte garment .png
  garment-truncated      a garment JPEG cut in half
  garment-missing        a garment path that does not exist

Content-level, raised by the pipeline after loading:
  no-person              skimage's coffee cup photo (NoPersonError)
  face-only              a tight face crop of skimage's astronaut, upscaled to 400 px
                         (TryOnError: PoseError or NoPersonError both acceptable)
  garment-uniform        a garment image of one flat colour, 300x300 (GarmentError)
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from tryon.constants import MAX_FILE_BYTES
from tryon.errors import GarmentError, InvalidImageError, NoPersonError, TryOnError

__all__ = ["BadInput", "make_corpus", "IO_KINDS", "POSE_KINDS"]

# Regexes for tryon.io's messages (matched case-insensitively).
NOT_AN_IMAGE = "not an image file we can read"
DAMAGED = "damaged or incomplete"
EMPTY = "is empty"
TOO_SMALL = "too small"
TOO_MANY_PIXELS = "too large.*megapixels"
TOO_BIG_FILE = "larger than .* MB"
MISSING = "couldn't find"
FOLDER = "is a folder"

BOMB_SIDE = 100_000          # declared width and height of the decompression bomb
FACE_ROWS, FACE_COLS = slice(30, 200), slice(130, 320)   # astronaut face crop
FACE_SIDE = 400              # the face crop's longer side after upscaling
UNIFORM_GARMENT_SIZE = 300
UNIFORM_GARMENT_COLOUR = (180, 40, 60)


@dataclass(frozen=True)
class BadInput:
    """One bad (person, garment) pair and the error it must produce."""

    kind: str          # short id, e.g. "truncated-jpeg"
    person: Path       # the person photo to use (the bad one, or a good one)
    garment: Path      # the garment image (a good one, or the bad one)
    error: type        # the expected tryon.errors class
    match: str         # regex the error message must match (case-insensitive)

    @property
    def bad(self) -> Path:
        """The path of the bad input of the pair."""
        return self.garment if self.kind.startswith("garment-") else self.person


def _encode(image: Image.Image, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **params)
    return buf.getvalue()


def _noise(height: int = 256, width: int = 192) -> Image.Image:
    """Random pixels: they compress badly, so half a file is really half the image."""
    rng = np.random.default_rng(1234)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


def _bomb_png(width: int, height: int) -> bytes:
    """A valid 1x1 PNG whose IHDR (with a correct CRC) declares width x height."""
    data = bytearray(_encode(Image.new("RGB", (1, 1)), "PNG"))
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("photo.txt", "these are not the pixels you are looking for")
    return buf.getvalue()


def _face_only() -> Image.Image:
    from skimage import data   # dev dependency; imported only when the corpus is built

    face = Image.fromarray(data.astronaut()[FACE_ROWS, FACE_COLS])
    scale = FACE_SIDE / max(face.size)
    return face.resize((round(face.width * scale), round(face.height * scale)),
                       Image.Resampling.LANCZOS)


def _no_person() -> Image.Image:
    from skimage import data

    return Image.fromarray(data.coffee())


def make_corpus(root: Path, good_person: Path, good_garment: Path) -> list[BadInput]:
    """Write the bad-input corpus under ``root`` and return its cases (see module doc)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    jpeg, png = _encode(_noise(), "JPEG", quality=90), _encode(_noise(), "PNG")
    files: dict[str, tuple[str, bytes]] = {
        "empty": ("empty.jpg", b""),
        "plain-text": ("notes.png", "Hello! This is text, not a photo.\n".encode()),
        "html-as-jpg": ("download.jpg", b"<!DOCTYPE html><html><head><title>404 Not Found"
                                        b"</title></head><body>Not Found</body></html>\n"),
        "pdf": ("scan.pdf", b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
                            b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"),
        "zip": ("photos.zip", _zip()),
        "heic": ("iphone.heic", struct.pack(">I", 24) + b"ftypheic" + b"\0\0\0\0mif1heic"
                 + b"\0" * 64),
        "svg": ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="400" '
                               b'height="400"><circle cx="200" cy="200" r="150"/></svg>\n'),
        "truncated-jpeg": ("half.jpg", jpeg[: len(jpeg) // 2]),
        "truncated-png": ("half.png", png[: len(png) // 2]),
        "corrupt-png-header": ("garbled.png", png[:12] + b"IHDR" + b"\xde\xad\xbe\xef" * 4
                               + png[33:200]),
        "tiny-image": ("tiny.png", _encode(Image.new("RGB", (8, 8), (90, 60, 40)), "PNG")),
        "extreme-aspect": ("strip.png", _encode(Image.new("RGB", (2000, 10), (90, 60, 40)),
                                                "PNG")),
        "decompression-bomb": ("bomb.png", _bomb_png(BOMB_SIDE, BOMB_SIDE)),
        "oversize-file": ("huge.png", _encode(Image.new("RGB", (64, 64)), "PNG")),
        "garment-empty": ("garment-empty.png", b""),
        "garment-truncated": ("garment-half.jpg", jpeg[: len(jpeg) // 2]),
        "no-person": ("coffee.png", _encode(_no_person(), "PNG")),
        "face-only": ("face.png", _encode(_face_only(), "PNG")),
        "garment-uniform": ("garment-flat.png", _encode(
            Image.new("RGB", (UNIFORM_GARMENT_SIZE,) * 2, UNIFORM_GARMENT_COLOUR), "PNG")),
    }
    paths = {kind: root / name for kind, (name, _) in files.items()}
    for kind, (_, data) in files.items():
        paths[kind].write_bytes(data)
    with paths["oversize-file"].open("r+b") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)        # sparse padding: no 25 MB on disk
    paths["missing-path"] = root / "does-not-exist.jpg"
    paths["garment-missing"] = root / "no-such-garment.png"
    paths["directory"] = root / "a-folder.jpg"
    paths["directory"].mkdir(exist_ok=True)
    for path in (paths["missing-path"], paths["garment-missing"]):
        path.unlink(missing_ok=True)

    expected: dict[str, tuple[type, str]] = {
        "empty": (InvalidImageError, EMPTY),
        "plain-text": (InvalidImageError, NOT_AN_IMAGE),
        "html-as-jpg": (InvalidImageError, NOT_AN_IMAGE),
        "pdf": (InvalidImageError, NOT_AN_IMAGE),
        "zip": (InvalidImageError, NOT_AN_IMAGE),
        "heic": (InvalidImageError, NOT_AN_IMAGE),
        "svg": (InvalidImageError, NOT_AN_IMAGE),
        "truncated-jpeg": (InvalidImageError, DAMAGED),
        "truncated-png": (InvalidImageError, DAMAGED),
        "corrupt-png-header": (InvalidImageError, f"{NOT_AN_IMAGE}|{DAMAGED}"),
        "tiny-image": (InvalidImageError, TOO_SMALL),
        "extreme-aspect": (InvalidImageError, TOO_SMALL),
        "decompression-bomb": (InvalidImageError, TOO_MANY_PIXELS),
        "oversize-file": (InvalidImageError, TOO_BIG_FILE),
        "missing-path": (InvalidImageError, MISSING),
        "directory": (InvalidImageError, FOLDER),
        "garment-empty": (InvalidImageError, EMPTY),
        "garment-truncated": (InvalidImageError, DAMAGED),
        "garment-missing": (InvalidImageError, MISSING),
        "no-person": (NoPersonError, "no person|find a person|couldn't find"),
        "face-only": (TryOnError, "shoulder|person|body"),
        "garment-uniform": (GarmentError, "garment"),
    }
    cases = []
    for kind, (error, match) in expected.items():
        on_garment = kind.startswith("garment-")
        cases.append(BadInput(kind=kind,
                              person=Path(good_person) if on_garment else paths[kind],
                              garment=paths[kind] if on_garment else Path(good_garment),
                              error=error, match=match))
    return cases


IO_KINDS = (
    "empty", "plain-text", "html-as-jpg", "pdf", "zip", "heic", "svg", "truncated-jpeg",
    "truncated-png", "corrupt-png-header", "tiny-image", "extreme-aspect",
    "decompression-bomb", "oversize-file", "missing-path", "directory", "garment-empty",
    "garment-truncated", "garment-missing",
)
"""Kinds that ``tryon.io.load_image`` itself refuses with ``InvalidImageError``."""
POSE_KINDS = ("no-person", "face-only", "garment-uniform")
"""Kinds that load fine and are refused later by the pipeline."""
