"""Process memory: read it, and give freed memory back to the system after a burst.

A burst of concurrent try-ons leaves glibc's per-thread arenas holding hundreds of MB of
freed memory (each thread that ever allocated gets an arena; the kernel sees the pages as
used until glibc trims them). Two things bound it: the try-ons run on a small fixed pool of
threads (:class:`tryon.serving.gate.Gate`), and the number of arenas is capped
(``M_ARENA_MAX``, as the environment variable ``MALLOC_ARENA_MAX`` would, but settable from
inside the process); when the server goes idle, ``malloc_trim(0)`` returns the free pages
of every arena. Both are no-ops off glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os

__all__ = ["ARENA_MAX", "limit_arenas", "release_memory", "rss_mb", "peak_rss_mb"]

log = logging.getLogger("tryon.serving")

ARENA_MAX = 2  # glibc malloc arenas: enough for the two try-on threads, few to keep memory
M_ARENA_MAX = -8  # glibc's mallopt() parameter number (malloc.h)
_libc = None


def _glibc():
    """The C library when it is glibc (it has ``malloc_trim``), else None."""
    global _libc
    if _libc is None:
        try:
            lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _libc = lib if hasattr(lib, "malloc_trim") and hasattr(lib, "mallopt") else False
        except OSError:
            _libc = False
    return _libc or None


def limit_arenas(arenas: int = ARENA_MAX) -> bool:
    """Cap glibc's malloc arenas at ``arenas`` (threads share them beyond that) unless the
    user set ``MALLOC_ARENA_MAX`` already. True when the cap was set."""
    libc = _glibc()
    if libc is None or os.environ.get("MALLOC_ARENA_MAX"):
        return False
    return bool(libc.mallopt(M_ARENA_MAX, int(arenas)))


def release_memory() -> None:
    """Give the free pages of every malloc arena back to the system (``malloc_trim(0)``)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


def _status_kb(field: str, pid: int | str = "self") -> int:
    """A ``VmRSS`` / ``VmHWM``-style field of ``/proc/PID/status``, in kB (0 when absent)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of a process now, in MB (MiB)."""
    return _status_kb("VmRSS", pid) / 1024


def peak_rss_mb(pid: int | str = "self") -> float:
    """The most resident memory the process has had (``VmHWM``), in MB (MiB)."""
    return _status_kb("VmHWM", pid) / 1024
