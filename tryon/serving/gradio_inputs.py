"""The Gradio endpoints' raw inputs, read without Gradio's preprocessing, and their refusals.

The app's events run with ``preprocess=False``: Gradio has checked that an uploaded file is
one it received and cached it, but not opened it (``gr.Image``'s own preprocessing turns a
non-image upload into an opaque "Error"), so ``tryon.io`` sees every upload and words every
refusal itself. Here: an upload's value -> the pipeline's source (path or bytes), a number
within its range, and a pipeline's :class:`~tryon.errors.TryOnError` -> a ``gr.Error``.
Every refusal is one sentence (:mod:`tryon.app_text`).
"""

from __future__ import annotations

import base64
import binascii
import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import gradio as gr

from tryon.app_text import MISSING
from tryon.errors import TryOnError

__all__ = ["source", "path", "number", "shown_to_user"]

log = logging.getLogger("tryon.app")


def source(value: Any, what: str) -> str | bytes:
    """The pipeline input for one uploaded image: its cached file path (or the bytes of an
    inline image); a missing one is refused with its :data:`~tryon.app_text.MISSING` sentence."""
    if isinstance(value, dict):
        cached = value.get("path")
        if cached:
            return str(cached)
        url = value.get("url") or ""
        if url.startswith("data:") and "," in url:  # an inline image (e.g. a webcam frame)
            try:
                return base64.b64decode(url.split(",", 1)[1], validate=False)
            except (binascii.Error, ValueError):
                raise gr.Error(f"The {what} could not be read; please upload it again.",
                               print_exception=False) from None
    elif isinstance(value, (str, Path)) and str(value):
        return str(value)
    raise gr.Error(MISSING[what], print_exception=False)


@contextmanager
def shown_to_user(task: str, generic: str) -> Iterator[None]:
    """A pipeline's :class:`TryOnError` (bad upload, missing weights) is shown as its one
    sentence; anything else is a bug: logged with its traceback, the user sees ``generic``."""
    try:
        yield
    except TryOnError as err:
        log.info("%s refused: %s", task, err)
        raise gr.Error(str(err), print_exception=False) from None
    except Exception:
        log.exception("%s failed", task)
        raise gr.Error(generic, print_exception=False) from None


def number(value: Any, what: str, bounds: tuple[float, float], *, whole: bool = False) -> Any:
    """``value`` as an int (``whole``) or float within ``bounds``, or a ``gr.Error`` saying so."""
    lo, hi = bounds
    kind = "a whole number" if whole else "a number"
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and lo <= value <= hi and (not whole or float(value).is_integer())
    if not ok:
        shown = f"{value:g}" if isinstance(value, float) else repr(value)[:40]
        raise gr.Error(f"The {what} must be {kind} from {lo:g} to {hi:g}, not {shown}.",
                       print_exception=False)
    return int(value) if whole else float(value)


def path(value: Any, what: str) -> str:
    """The cached file path of an image component's raw value (``preprocess=False``)."""
    found = source(value, what)
    if not isinstance(found, str):  # an inline image: only uploads come that way
        raise gr.Error(f"The {what} could not be read; please upload it again.",
                       print_exception=False)
    return found
