"""One served try-on, as it runs on a gate worker: call the pipeline, then encode the result
once, in the worker thread (not on the server's event loop), in the format the caller asked.

Encoding is most of what a server adds to a try-on: a 512x512 result costs about 110 ms as a
PNG at Pillow's default level 6, 37 ms at level 1 (10% larger), 13 ms as WebP (method 0) and
2 ms as JPEG on this project's 2-core host. Results are written once, straight into the
server's cache folder, so Gradio serves the file without copying or re-encoding it; step
images are encoded only when asked for.
"""

from __future__ import annotations

import io
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

__all__ = ["FORMATS", "DEFAULT_FORMAT", "Dressed", "dress", "encode", "save", "RECENT_SECONDS"]

log = logging.getLogger("tryon.serving")


@dataclass(frozen=True)
class Format:
    """How a result is encoded: Pillow's format name, the HTTP media type, save options."""
    pil: str
    media_type: str
    suffix: str
    options: dict[str, Any] = field(default_factory=dict)


# PNG (lossless, the documented default) at zlib level 1; JPEG and WebP for callers who
# prefer small files and fast encoding to exact pixels.
FORMATS = {
    "png": Format("PNG", "image/png", ".png", {"compress_level": 1}),
    "jpeg": Format("JPEG", "image/jpeg", ".jpg", {"quality": 92}),
    "webp": Format("WEBP", "image/webp", ".webp", {"quality": 90, "method": 0}),
}
DEFAULT_FORMAT = "png"
# The pipeline's own seconds of the latest try-ons (served by GET /api/v1/health).
RECENT_SECONDS: deque[float] = deque(maxlen=1000)


@dataclass
class Dressed:
    """A finished try-on: the result, the step images by name, warnings, pipeline seconds."""
    image: Image.Image
    steps: dict[str, Image.Image]
    warnings: list[str]
    seconds: float


def dress(pipeline: Callable[[], Any], person: str | bytes, garment: str | bytes,
          garment_type: str, with_steps: bool = False) -> Dressed:
    """Run the try-on pipeline (``pipeline()`` returns the loaded one) on two image sources
    (file paths or bytes); the step images only ``with_steps``. Raises the pipeline's
    :class:`~tryon.errors.TryOnError` as is."""
    t0 = time.perf_counter()
    out = pipeline()(person=person, garment=garment, garment_type=garment_type, with_steps=with_steps)
    seconds = time.perf_counter() - t0
    RECENT_SECONDS.append(seconds)
    log.info("try-on done in %.2f s", seconds)
    return Dressed(out.image, dict(out.steps), list(out.warnings), seconds)


def encode(image: Image.Image, fmt: str = DEFAULT_FORMAT) -> bytes:
    """``image`` encoded as ``fmt`` (a key of :data:`FORMATS`)."""
    spec = FORMATS[fmt]
    if spec.pil == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, spec.pil, **spec.options)
    return buffer.getvalue()


def save(image: Image.Image, folder: str | Path, name: str = "result",
         fmt: str = DEFAULT_FORMAT) -> str:
    """Write ``image`` once into a fresh subfolder of ``folder``; return the file's path."""
    target = Path(folder) / uuid.uuid4().hex
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{name}{FORMATS[fmt].suffix}"
    path.write_bytes(encode(image, fmt))
    return str(path)
