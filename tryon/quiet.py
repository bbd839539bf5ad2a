"""Keeping third-party log lines (MediaPipe, TensorFlow Lite, absl, glog) off the console.

MediaPipe's C++ graphs write straight to file descriptor 2 from their own threads, the first
time a graph runs (``INFO: Created TensorFlow Lite XNNPACK delegate``, absl's "All log messages
before absl::InitializeLog()", glog-style ``W0000 ... inference_feedback_manager.cc`` lines) and
on a first detection (``landmark_projection_calculator.cc``). Their environment variables
(``GLOG_minloglevel``, ``TF_CPP_MIN_LOG_LEVEL``) do not reach every one of them, so
:func:`hold_stderr` holds descriptor 2 while a graph is built or run: what was written there
meanwhile is read back, the third-party log lines are dropped, and anything else (another
thread's output) is written out again.

``--verbose`` on the command line (or ``TRYON_VERBOSE=1``) turns all of this off, so the
libraries' own lines show.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import threading
from typing import Iterator

__all__ = ["VERBOSE_ENV", "set_verbose", "is_verbose", "quiet_environment", "hold_stderr",
           "is_library_log_line"]

VERBOSE_ENV = "TRYON_VERBOSE"   # "1": let third-party log lines through
STDERR_FD = 2
# Environment read by the libraries at import: glog/absl severity 2 = ERROR, TF's 3 = FATAL only.
QUIET_ENVIRONMENT = {"GLOG_minloglevel": "2", "TF_CPP_MIN_LOG_LEVEL": "3"}
# Lines the libraries write on their own: glog/absl ("W0000 00:00:17... file.cc:114] ..."),
# TFLite ("INFO: Created TensorFlow Lite ..."), and absl's note before InitializeLog.
_LIBRARY_LINE = re.compile(
    r"^(?:[IWEF]\d{4} [\d:. ]+\S+ [\w./-]+:\d+\]"
    r"|(?:INFO|WARNING|ERROR|VERBOSE): (?:Created TensorFlow Lite|All log messages before absl|"
    r"TfLite|Initialized TensorFlow Lite|Replacing \d+ node))")

_verbose: bool | None = None   # None: follow the environment
_hold_lock = threading.Lock()   # guards _hold below: descriptor 2 is process-wide


class _Hold:
    """The one hold of descriptor 2, shared by the threads inside :func:`hold_stderr` at once
    (two MediaPipe graphs running side by side): the first in holds it, the last out lets go."""

    def __init__(self) -> None:
        self.holders = 0                  # threads inside hold_stderr now
        self.saved: int | None = None     # the real descriptor 2, duplicated
        self.capture = None               # the file descriptor 2 points at meanwhile


_hold = _Hold()


def set_verbose(flag: bool) -> None:
    """Let third-party log lines through (``True``) or hold them back (``False``)."""
    global _verbose
    _verbose = bool(flag)


def is_verbose() -> bool:
    """Whether third-party log lines are shown (``--verbose`` or ``TRYON_VERBOSE=1``)."""
    if _verbose is not None:
        return _verbose
    return os.environ.get(VERBOSE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def quiet_environment() -> None:
    """Set the libraries' own log-level variables, unless the user set them or asked for
    ``--verbose``; call before importing mediapipe. absl's Python logger is set to ERROR."""
    if is_verbose():
        return
    for name, value in QUIET_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    with contextlib.suppress(ImportError):
        from absl import logging as absl_logging

        absl_logging.set_verbosity(absl_logging.ERROR)


def is_library_log_line(line: str) -> bool:
    """Whether ``line`` is one of the libraries' own log lines (glog/absl/TFLite style)."""
    return bool(_LIBRARY_LINE.match(line))


@contextlib.contextmanager
def hold_stderr() -> Iterator[None]:
    """Hold descriptor 2 for the duration: library log lines written there are dropped, any
    other output is written out again afterwards. Does nothing when verbose. Threads may hold
    it at the same time: it is let go when the last of them is done."""
    if is_verbose():
        yield
        return
    with _hold_lock:
        held = _hold.holders > 0 or _take_hold()
        if held:
            _hold.holders += 1
    if not held:   # no room for a capture, or no descriptor 2 at all: let the lines through
        yield
        return
    try:
        yield
    finally:
        with _hold_lock:
            _hold.holders -= 1
            if _hold.holders == 0:
                _let_go()


def _take_hold() -> bool:
    """Point descriptor 2 at a fresh capture file (the caller holds ``_hold_lock``)."""
    with contextlib.suppress(Exception):
        sys.stderr.flush()
    try:
        capture = tempfile.TemporaryFile()
    except OSError:   # no room for it (a full /tmp)
        return False
    try:
        saved = os.dup(STDERR_FD)
    except OSError:   # no descriptor 2 at all (a daemon): nothing to hold
        capture.close()
        return False
    os.dup2(capture.fileno(), STDERR_FD)
    _hold.saved, _hold.capture = saved, capture
    return True


def _let_go() -> None:
    """Give descriptor 2 back and replay what was not a library's log line (``_hold_lock`` held)."""
    saved, capture = _hold.saved, _hold.capture
    _hold.saved = _hold.capture = None
    os.dup2(saved, STDERR_FD)
    os.close(saved)
    _replay(capture)


def _replay(capture) -> None:
    """Write the captured lines that are not library log lines back to descriptor 2."""
    with capture:
        capture.seek(0)
        text = capture.read().decode("utf-8", "replace")
    kept = [line for line in text.splitlines(keepends=True) if not is_library_log_line(line)]
    if kept:
        with contextlib.suppress(OSError):
            os.write(STDERR_FD, "".join(kept).encode("utf-8", "replace"))
