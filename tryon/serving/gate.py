"""The admission gate: how many try-ons run at once, how many may wait, and what a client
past that hears.

Every try-on the server runs (Gradio's ``/try_on``, the Design tab's "Try it on" and the
REST endpoint) goes through one :class:`Gate`: ``workers`` threads run them (the pipeline
uses every core, and its MediaPipe graph is serialised anyway), up to ``waiting`` more wait
their turn, and a request past that is refused at once with :class:`Busy`, one sentence with
the wait to expect. Gradio's own queue never fills first (its refusal is Gradio's English
text, which gradio_client replaces with "Queue is full! Please try again.").

The sizes come from measured throughput: with ``seconds_per_request`` the time one worker
needs per try-on under load, a client admitted last waits about
``waiting * seconds_per_request / workers`` seconds; ``waiting`` is chosen so that this stays
under :data:`MAX_WAIT_S`.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from tryon.errors import TryOnError
from tryon.serving.memory import release_memory

__all__ = ["Busy", "Gate", "WORKERS", "SECONDS_PER_TRYON", "MAX_WAIT_S", "WORKER_NICENESS",
           "waiting_for"]

log = logging.getLogger("tryon.serving")

WORKERS = 2                # try-ons running at once (2 cores: each uses both)
# Seconds per try-on per worker, 512x512 photo, with every worker busy: `make loadtest`'s
# "burst throughput" line on this project's shared 2-core host (1.50 and 1.96 s in two runs).
# A quiet host is faster: then waits are only shorter than the sentences state.
SECONDS_PER_TRYON = 2.0
MAX_WAIT_S = 60.0          # the longest a client should wait in line before its try-on starts
# Workers run this much nicer than the server's event loop, so that uploads, event streams
# and downloads of a burst are answered while both workers compute (Linux: per thread).
WORKER_NICENESS = 5
BUSY = ("The try-on service is busy right now ({ahead} requests ahead of you); "
        "please try again in about {retry} seconds.")


def _nicer(increment: int = WORKER_NICENESS) -> None:
    """Lower the calling thread's CPU priority by ``increment`` (no-op where unsupported)."""
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + increment)
    except (AttributeError, OSError) as err:
        log.debug("could not lower a worker's priority: %s", err)


def waiting_for(max_wait_s: float = MAX_WAIT_S, workers: int = WORKERS,
                seconds_per_request: float = SECONDS_PER_TRYON) -> int:
    """How many requests may wait so that the last one starts within ``max_wait_s``."""
    return max(1, math.floor(max_wait_s * workers / seconds_per_request))


class Busy(TryOnError):
    """The server is over capacity; ``retry_after`` is the suggested wait in seconds."""

    def __init__(self, ahead: int, retry_after: int) -> None:
        super().__init__(BUSY.format(ahead=ahead, retry=retry_after))
        self.retry_after = retry_after


class Gate:
    """Runs jobs on ``workers`` threads, with at most ``waiting`` more queued behind them.

    ``submit`` refuses with :class:`Busy` past capacity; ``run`` is its awaitable form. A
    slot is freed when its job finishes (or is cancelled before it starts: a client that
    went away), never earlier, so the count is exact even when callers vanish. When the
    last job finishes, ``on_idle`` runs (by default: give freed memory back to the system).
    """

    def __init__(self, workers: int = WORKERS, waiting: int | None = None,
                 seconds_per_request: float = SECONDS_PER_TRYON,
                 on_idle: Callable[[], None] | None = release_memory) -> None:
        self.workers = workers
        self.waiting = waiting_for(workers=workers, seconds_per_request=seconds_per_request) \
            if waiting is None else waiting
        self.seconds_per_request = seconds_per_request
        self.on_idle = on_idle
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="tryon-worker", initializer=_nicer)
        self._lock = threading.Lock()
        self._in_flight = 0
        self.refused = 0  # requests turned away since start

    @property
    def capacity(self) -> int:
        """Requests the gate holds at once: running plus waiting."""
        return self.workers + self.waiting

    @property
    def in_flight(self) -> int:
        """Requests admitted and not finished (running or waiting)."""
        return self._in_flight

    def expected_wait_s(self, ahead: int) -> float:
        """About how long a request with ``ahead`` requests before it waits to start."""
        return max(0, ahead - self.workers + 1) * self.seconds_per_request / self.workers

    def check(self) -> None:
        """Raise :class:`Busy` when the gate is full (before reading a large request)."""
        with self._lock:
            self._refuse_if_full()

    def _refuse_if_full(self) -> None:
        if self._in_flight >= self.capacity:
            self.refused += 1
            retry = max(1, math.ceil(self.expected_wait_s(self._in_flight)))
            raise Busy(self._in_flight, retry)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        """Queue ``fn(*args)`` on a worker, or raise :class:`Busy` when the gate is full."""
        with self._lock:
            self._refuse_if_full()
            self._in_flight += 1
        try:
            future = self._pool.submit(fn, *args)
        except BaseException:
            self._done(None)
            raise
        future.add_done_callback(self._done)
        return future

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` on a worker, awaited; a cancelled caller cancels a job not yet started."""
        return await asyncio.wrap_future(self.submit(fn, *args))

    def _done(self, _future: Future | None) -> None:
        with self._lock:
            self._in_flight -= 1
            idle = self._in_flight == 0
        if idle and self.on_idle is not None:
            self.on_idle()

    def shutdown(self, wait: bool = False) -> None:
        """Stop taking jobs and cancel those still waiting; running ones finish (``wait``:
        return only when they have)."""
        self._pool.shutdown(wait=wait, cancel_futures=True)
