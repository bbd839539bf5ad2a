"""Safe image loading and saving.

:func:`load_image` is the single door through which every user-supplied picture enters
the toolkit. Whatever it is given (a path, bytes, a file object, a PIL image or a numpy
array) it returns a fully loaded, independent 8-bit PIL image in mode ``"RGB"`` (or
``"RGBA"`` when asked for and the picture really is transparent), upright (EXIF
orientation applied), within the size limits of :mod:`tryon.constants`. Anything it
cannot turn into such an image raises :class:`~tryon.errors.InvalidImageError` with one
sentence a shopper can act on; the underlying cause is kept as ``__cause__``.

Pillow's global settings (``Image.MAX_IMAGE_PIXELS``, ``ImageFile.LOAD_TRUNCATED_IMAGES``)
are never changed: the limits are enforced here, per call.
"""

from __future__ import annotations

import contextlib
import functools
import io
import math
import os
import secrets
import threading
import warnings
from pathlib import Path
from typing import Any, BinaryIO, Callable

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from tryon.constants import MAX_FILE_BYTES, MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE, MIN_IMAGE_SIDE
from tryon.errors import InvalidImageError
from tryon.urls import fetch_url, is_url

__all__ = ["load_image", "read_source", "save_image", "READABLE_FORMATS", "SAVE_FORMATS", "atomic_write",
           "downscaled_warnings", "DOWNSCALED_WARNING"]

# Pillow formats we decode. Deliberately short: exotic plugins (EPS runs Ghostscript,
# PSD, FITS, ...) are attack surface a photo upload never needs. MPO (phone JPEGs) is
# opened by the JPEG plugin.
READABLE_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF", "AVIF")
# Output suffix -> Pillow format for save_image.
SAVE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}
JPEG_QUALITY = 95
WHITE = (255, 255, 255)
OPAQUE = 255
UINT8_MAX = 255
UINT16_MAX = 65535
# Modes holding more than 8 bits per pixel, which Pillow's convert() would clip at 255.
HIGH_DEPTH_MODES = ("I", "F", "I;16", "I;16L", "I;16B", "I;16N")
# Ask JPEG for a reduced-scale decode (DCT scaling) when shrinking by at least this much.
JPEG_DRAFT_BELOW = 0.5
# Resize in two steps (integer reduce, then LANCZOS) when shrinking more than this.
REDUCING_GAP = 3.0

_FORMAT_HINT = "a PNG, JPEG or WebP photo"
_MEGABYTES = MAX_FILE_BYTES / (1024 * 1024)
_MEGAPIXELS = MAX_IMAGE_PIXELS / 1_000_000
# warnings.catch_warnings() edits process-wide state (before Python 3.14); serialise our
# decodes so concurrent app requests cannot restore each other's filters out of order.
_WARNINGS_LOCK = threading.Lock()


# -- messages: one sentence each, naming the input, saying what to do ---------------------
def _not_image(what: str) -> str:
    return f"The {what} is not an image file we can read; please upload {_FORMAT_HINT}."


def _damaged(what: str) -> str:
    return (f"The {what} looks damaged or incomplete; "
            "please upload it again or choose another photo.")


def _empty(what: str) -> str:
    return f"The {what} is empty; please upload {_FORMAT_HINT}."


def _file_too_big(what: str) -> str:
    return (f"The {what} is larger than {_MEGABYTES:g} MB; "
            "please upload a smaller photo.")


def _too_many_pixels(what: str, size: tuple[int, int] | None = None) -> str:
    dims = f" ({size[0]} x {size[1]} pixels)" if size else ""
    return (f"The {what} is too large{dims}; "
            f"please upload a photo of at most {_MEGAPIXELS:g} megapixels.")


def _too_small(what: str, size: tuple[int, int]) -> str:
    return (f"The {what} is too small ({size[0]} x {size[1]} pixels); please upload a photo "
            f"that is at least {MIN_IMAGE_SIDE} pixels on its shortest side.")


def _too_narrow(what: str, size: tuple[int, int]) -> str:
    return (f"The {what} is too long and narrow ({size[0]} x {size[1]} pixels); "
            "please upload a photo with a more usual shape.")


def _bad_pixels(what: str) -> str:
    return (f"The {what} has pixel values we cannot use; "
            f"please upload {_FORMAT_HINT}.")


def _bad_layout(what: str) -> str:
    return (f"The {what} does not have the layout of a picture; "
            f"please upload {_FORMAT_HINT}.")


# -- public API ---------------------------------------------------------------------------
def load_image(source: Any, *, keep_alpha: bool = False, max_side: int = MAX_IMAGE_SIDE,
               what: str = "image") -> Image.Image:
    """Load ``source`` as an upright 8-bit image, refusing anything unusable.

    ``source`` is a ``str``/``os.PathLike`` path, an ``http(s)://`` URL string (fetched
    from public addresses only, see :mod:`tryon.urls`), ``bytes``/``bytearray``/``memoryview``,
    a binary file object with ``.read()``, a ``PIL.Image.Image``, or a numpy array shaped
    (H, W), (H, W, 1), (H, W, 3) RGB or (H, W, 4) RGBA of dtype uint8 (0..255), uint16
    (0..65535, scaled to 8 bits), bool (False/True -> 0/255) or float (0.0..1.0).

    Returns a new, fully loaded image of mode ``"RGB"``, or ``"RGBA"`` when
    ``keep_alpha`` is true and some pixel is not fully opaque; otherwise transparency is
    composited over white. Images whose longer side exceeds ``max_side`` are downscaled
    (aspect kept); ``img.info["original_size"]`` always holds the (width, height) before
    downscaling (after EXIF rotation). ``what`` names the input in error messages, e.g.
    ``"person photo"``.

    Raises :class:`InvalidImageError` for: missing paths, folders, empty/oversized files
    (> ``MAX_FILE_BYTES``), non-image or truncated data, more than ``MAX_IMAGE_PIXELS``
    pixels (checked from the header, before decoding), a side shorter than
    ``MIN_IMAGE_SIDE``, and arrays with a bad shape, dtype, NaN/inf or out-of-range values.
    """
    if max_side < MIN_IMAGE_SIDE:
        raise ValueError(f"max_side must be at least {MIN_IMAGE_SIDE}, got {max_side}")
    if isinstance(source, Image.Image):
        image = _from_pil(source, what)
    elif isinstance(source, np.ndarray):
        image = _from_array(source, what)
    else:
        image = _decode(_read_bytes(source, what), what, max_side)
    return _finish(image, keep_alpha=keep_alpha, max_side=max_side, what=what)


def read_source(source: Any, *, what: str = "image") -> Any:
    """``source`` as :func:`load_image` reads it, before decoding: the encoded bytes of a path, an
    ``http(s)://`` URL, bytes-like or file object (read once, at most ``MAX_FILE_BYTES``); a
    ``PIL.Image.Image`` or numpy array as it is. ``load_image(read_source(s))`` is ``load_image(s)``,
    and the bytes, far fewer than the decoded pixels, can key a cache.

    Raises :class:`InvalidImageError` for the sources :func:`load_image` cannot read.
    """
    if isinstance(source, (Image.Image, np.ndarray)):
        return source
    return _read_bytes(source, what)


def save_image(image: Image.Image, path: str | os.PathLike) -> Path:
    """Write ``image`` to ``path`` atomically and return the path.

    The format follows the suffix: ``.png``, ``.jpg``/``.jpeg`` (RGB, alpha composited
    over white, quality 95) or ``.webp``; any other suffix raises
    :class:`InvalidImageError`. Parent folders are created. The file is written to a
    temporary name in the same folder and renamed over ``path``, so readers never see a
    half-written file and a failed save leaves an existing file untouched.
    """
    path = Path(path)
    fmt = SAVE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InvalidImageError(
            f"We cannot save an image as “{path.name}”; "
            "please use a file name ending in .png, .jpg or .webp.")
    params: dict[str, Any] = {}
    if fmt == "JPEG":
        image = _flatten(image, keep_alpha=False)
        params["quality"] = JPEG_QUALITY
    elif fmt == "WEBP" or image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I;16"):
        image = _flatten(image, keep_alpha=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, lambda fh: image.save(fh, format=fmt, **params))


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], Any]) -> Path:
    """Write a file all at once or not at all.

    ``write(fh)`` fills a temporary binary file in ``path``'s folder, which is then renamed over
    ``path``; if anything fails, the temporary file is removed and ``path`` is untouched.
    The file gets the usual permissions (``0o666`` minus the umask).
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


# -- reading ------------------------------------------------------------------------------
def _read_bytes(source: Any, what: str) -> bytes:
    """Return the raw bytes of a path, an http(s) URL (:func:`tryon.urls.fetch_url`: public
    addresses only), bytes-like or file object, enforcing MAX_FILE_BYTES."""
    if is_url(source):
        data = fetch_url(source, what=what)
    elif isinstance(source, (bytes, bytearray, memoryview)):
        if memoryview(source).nbytes > MAX_FILE_BYTES:
            raise InvalidImageError(_file_too_big(what))
        data = bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        data = _read_path(source, what)
    elif callable(getattr(source, "read", None)):
        try:
            data = source.read(MAX_FILE_BYTES + 1)
        except (OSError, ValueError) as err:   # closed, unreadable or text-mode handles
            raise InvalidImageError(_not_image(what)) from err
        if not isinstance(data, (bytes, bytearray)):
            raise InvalidImageError(_not_image(what))
        data = bytes(data)
    else:
        raise InvalidImageError(_not_image(what))
    if len(data) > MAX_FILE_BYTES:
        raise InvalidImageError(_file_too_big(what))
    if not data:
        raise InvalidImageError(_empty(what))
    return data


def _read_path(source: str | os.PathLike, what: str) -> bytes:
    path = Path(os.fsdecode(source))
    name = path.name or str(path)
    try:
        if path.is_dir():
            raise InvalidImageError(
                f"The {what} “{name}” is a folder, not an image file; "
                "please choose an image file.")
        if path.stat().st_size > MAX_FILE_BYTES:   # refuse before reading a byte
            raise InvalidImageError(_file_too_big(what))
        with path.open("rb") as fh:
            return fh.read(MAX_FILE_BYTES + 1)
    except InvalidImageError:
        raise
    except (FileNotFoundError, NotADirectoryError) as err:
        raise InvalidImageError(f"We couldn't find the {what} “{name}”; "
                    "please check the file name and try again.") from err
    except (OSError, ValueError) as err:   # permissions, I/O errors, NUL in the name
        raise InvalidImageError(f"We couldn't open the {what} “{name}”; "
                    "please check that the file exists and can be read.") from err


@functools.lru_cache(maxsize=1)
def _readable_formats() -> tuple[str, ...]:
    Image.init()   # Image.open(formats=...) fails on a format whose plugin is missing
    return tuple(fmt for fmt in READABLE_FORMATS if fmt in Image.OPEN)


def _decode(data: bytes, what: str, max_side: int) -> Image.Image:
    """Decode the first frame of ``data``, checking the header size before the pixels."""
    with _WARNINGS_LOCK, warnings.catch_warnings():
        # Pillow warns (then errors) above its own, larger pixel limit; both become ours.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=_readable_formats())
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
            raise InvalidImageError(_too_many_pixels(what)) from err
        except UnidentifiedImageError as err:
            raise InvalidImageError(_not_image(what)) from err
        except Exception as err:   # plugins raise many types on malformed headers
            raise InvalidImageError(_damaged(what)) from err
        with image:
            _check_size(image.size, what)
            header = image.size
            scale = max_side / max(header)
            if image.format in ("JPEG", "MPO") and scale < JPEG_DRAFT_BELOW:
                # DCT-domain downscale while decoding; never below the target size.
                image.draft(None, (math.ceil(header[0] * scale), math.ceil(header[1] * scale)))
            try:
                image.load()   # the current frame is the first one
            except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
                raise InvalidImageError(_too_many_pixels(what)) from err
            except Exception as err:   # truncated data, bad chunks, decoder errors
                raise InvalidImageError(_damaged(what)) from err
            upright = _exif_upright(image)
            if upright.size != image.size:   # turned by 90 degrees
                header = header[::-1]
    upright.info["original_size"] = header
    return upright


def _from_pil(source: Image.Image, what: str) -> Image.Image:
    _check_size(source.size, what)
    try:
        source.load()
    except Exception as err:   # a lazily opened, truncated file
        raise InvalidImageError(_damaged(what)) from err
    image = _exif_upright(source)   # always a new image: the caller's stays untouched
    image.info["original_size"] = image.size
    return image


def _exif_upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation; on unreadable EXIF keep the pixels as stored."""
    try:
        return ImageOps.exif_transpose(image)
    except Exception:   # corrupt EXIF is metadata damage, the pixels are fine
        return image.copy()


# -- arrays -------------------------------------------------------------------------------
_ARRAY_CHANNELS = (1, 3, 4)   # gray, RGB, RGBA


def _from_array(array: np.ndarray, what: str) -> Image.Image:
    """Convert an (H, W[, 1|3|4]) uint8/uint16/bool/float[0, 1] array to a PIL image."""
    if array.size == 0:
        raise InvalidImageError(_empty(what))
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3 or array.shape[2] not in _ARRAY_CHANNELS:
        raise InvalidImageError(_bad_layout(what))
    height, width, channels = array.shape
    _check_size((width, height), what)
    if array.dtype == np.uint8:
        pixels = array
    elif array.dtype == np.bool_:
        pixels = array.astype(np.uint8) * UINT8_MAX
    elif array.dtype == np.uint16:
        pixels = _rescale(array, UINT16_MAX)
    elif np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all() or array.min() < 0.0 or array.max() > 1.0:
            raise InvalidImageError(_bad_pixels(what))
        pixels = _rescale(array, 1.0)
    else:
        raise InvalidImageError(_bad_pixels(what))
    if channels == 1:
        pixels = pixels[:, :, 0]
    image = Image.fromarray(np.ascontiguousarray(pixels))   # uint8: L, RGB or RGBA
    image.info["original_size"] = image.size
    return image


def _rescale(values: np.ndarray, full_scale: float, low: float = 0.0) -> np.ndarray:
    """Map ``low..full_scale`` linearly onto 0..255 uint8, rounding to nearest."""
    span = max(full_scale - low, np.finfo(np.float64).tiny)
    scaled = (values.astype(np.float64) - low) * (UINT8_MAX / span)
    return np.clip(np.rint(scaled), 0, UINT8_MAX).astype(np.uint8)


def _high_depth_to_l(image: Image.Image) -> Image.Image:
    """Map a 16/32-bit or float single-channel image to 8-bit "L" by its value range.

    16-bit modes use their full range 0..65535. 32-bit "I" and "F" images have no fixed
    range: values already inside 0..1 (F only), 0..255 or 0..65535 are scaled from that
    range; anything else (negatives, larger numbers) is stretched from its min..max.
    """
    values = np.asarray(image).astype(np.float64)
    if image.mode.startswith("I;16"):
        return Image.fromarray(_rescale(values, UINT16_MAX), "L")
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    values = np.nan_to_num(values, nan=low, posinf=high, neginf=low)
    if low >= 0.0:
        for full_scale in ((1.0,) if image.mode == "F" else ()) + (UINT8_MAX, UINT16_MAX):
            if high <= full_scale:
                return Image.fromarray(_rescale(values, full_scale), "L")
    return Image.fromarray(_rescale(values, high, low), "L")


# -- common finish --------------------------------------------------------------------------
def _check_size(size: tuple[int, int], what: str) -> None:
    width, height = size
    if width * height > MAX_IMAGE_PIXELS:
        raise InvalidImageError(_too_many_pixels(what, size))
    if min(width, height) < MIN_IMAGE_SIDE:
        raise InvalidImageError(_too_small(what, size))


def _flatten(image: Image.Image, *, keep_alpha: bool) -> Image.Image:
    """Return a new "RGB" image, or "RGBA" if ``keep_alpha`` and some alpha is < 255.

    Transparency (an alpha band, a palette alpha, or a ``"transparency"`` colour) that
    is dropped is composited over white.
    """
    if image.mode in HIGH_DEPTH_MODES:
        image = _high_depth_to_l(image)
    transparent = (image.mode == "P" or "transparency" in image.info
                   or bool({"A", "a"} & set(image.getbands())))
    if not transparent:
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    alpha = rgba.getchannel("A")
    if alpha.getextrema()[0] == OPAQUE:
        return rgba.convert("RGB")
    if keep_alpha:
        return rgba
    flat = Image.new("RGB", rgba.size, WHITE)
    flat.paste(rgba, mask=alpha)
    return flat


def _finish(image: Image.Image, *, keep_alpha: bool, max_side: int, what: str) -> Image.Image:
    """Flatten to RGB/RGBA and downscale to ``max_side``; set ``info["original_size"]``."""
    original = tuple(image.info["original_size"])
    try:
        image = _flatten(image, keep_alpha=keep_alpha)
    except (ValueError, OSError) as err:   # a mode Pillow cannot convert to RGB
        raise InvalidImageError(_not_image(what)) from err
    if max(original) > max_side:
        scale = max_side / max(original)
        size = (max(1, round(original[0] * scale)), max(1, round(original[1] * scale)))
        if min(size) < MIN_IMAGE_SIDE:
            raise InvalidImageError(_too_narrow(what, original))
        if image.size != size:
            image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=REDUCING_GAP)
    image.info = {"original_size": original}
    return image


DOWNSCALED_WARNING = (
    "Your photo was larger than {max} pixels on its longest side, so the result is "
    "{w}x{h} instead of {ow}x{oh}."
)


def downscaled_warnings(person_img: Image.Image) -> list[str]:
    """The warning for a person photo that :func:`tryon.io.load_image` had to shrink, if it did."""
    ow, oh = person_img.info.get("original_size", person_img.size)
    if (ow, oh) == person_img.size:
        return []
    w, h = person_img.size
    return [DOWNSCALED_WARNING.format(max=MAX_IMAGE_SIDE, w=w, h=h, ow=ow, oh=oh)]
