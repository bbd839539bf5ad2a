"""The server's life: a private cache folder, serving until SIGTERM or Ctrl-C, a clean stop.

Gradio keeps uploads and results under ``GRADIO_TEMP_DIR`` (``/tmp/gradio`` by default),
shared by every Gradio server on the machine. Each tryon server gets its own folder inside
it instead: ``/gradio_api/file=`` serves only files from there (what this server received
or produced), and stopping removes the whole folder, uploads included (Gradio's own clean-up
only removes the files it moved into the cache itself). Gradio runs uvicorn in a thread, so
uvicorn's signal handling never runs: without ours, SIGTERM would kill the process at once
and leave every photo behind.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["CACHE_PREFIX", "private_cache", "remove_cache", "serve_until_stopped"]

log = logging.getLogger("tryon.serving")

CACHE_PREFIX = "tryon-server-"
ENV = "GRADIO_TEMP_DIR"
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
POLL_S = 0.5  # how often the main thread looks whether the server stopped by itself


def private_cache() -> Path:
    """A fresh cache folder for one server, made the process's ``GRADIO_TEMP_DIR`` (Gradio
    reads it when the app and its components are built); removed at interpreter exit at
    the latest."""
    base = os.environ.get(ENV) or None
    if base is not None:
        Path(base).mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=CACHE_PREFIX, dir=base)).resolve()
    os.environ[ENV] = str(folder)
    atexit.register(remove_cache, folder, base)
    return folder


def remove_cache(folder: Path, base: str | None) -> None:
    """Delete a server's cache folder and give ``GRADIO_TEMP_DIR`` its earlier value back."""
    shutil.rmtree(folder, ignore_errors=True)
    if os.environ.get(ENV) == str(folder):
        if base is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = base


def serve_until_stopped(demo: Any, on_stop: Callable[[], None]) -> None:
    """Block until SIGTERM / SIGINT (or the server stops), then close ``demo`` and call
    ``on_stop``. Must run in the main thread (where Python delivers signals)."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("serve_until_stopped() must run in the main thread")
    previous = {sig: signal.signal(sig, lambda signum, _frame: stop.set()) for sig in STOP_SIGNALS}
    try:
        while getattr(demo, "is_running", False) and not stop.wait(POLL_S):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        log.info("stopping the server")
        try:
            demo.close(verbose=False)
        finally:
            on_stop()
