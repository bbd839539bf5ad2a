"""``make loadtest`` (= ``python -m tryon.loadtest``): the served app under load, from outside.

It starts ``tryon serve`` on a free port of 127.0.0.1 (and nowhere else), drives it with
gradio_client as shoppers would, and stops it with SIGTERM. Phases, each bounded in count and
all together in time (``--deadline``):

1. warm-up: a few try-ons (the first loads the models);
2. overhead: sequential ``/try_on`` round trips through gradio_client (result downloaded) and
   REST round trips, each set against the pipeline's own time of the same call (read from
   ``GET /api/v1/health``); the same with clients that do not load the certificate store for
   each request (``ssl_verify=False``), to show what Gradio and the server cost without it;
3. burst: ``--clients`` concurrent clients, ``--bad`` of them uploading bad files (each must
   get its one sentence), the rest good photos (each must get its result);
4. sequential: ``--sequential`` calls, RSS after the first 20 and after all;
5. vanish: ``--vanish`` clients killed mid-request (gradio_client processes, SIGKILL) and as
   many REST requests whose connection is dropped; the server must drain and keep serving;
6. SIGTERM: the server must exit 0 and leave no cache folder behind.

It prints p50/p95 latencies, failures, refusals and RSS (idle, peak, after the burst, after
20 and after all sequential calls), and exits 1 when a check fails. Timings on a busy host are
noisy: run it when the machine is quiet, and read medians.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from tryon.loadtest_clients import (ECHO_APP, Outcome, bad_uploads, burst, drop_rest,
                                    kill_mid_request, percentile, rest_call, try_on_call)
from tryon.assets import examples_dir
from tryon.serving.memory import peak_rss_mb, rss_mb

__all__ = ["main"]

HOST = "127.0.0.1"  # the only address the load test talks to
READY_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 30.0
DRAIN_TIMEOUT_S = 120.0
SETTLE_S = 2.0         # after a phase, before reading the server's RSS
RSS_SAMPLE_S = 0.2
NO_CERTS = "client with ssl_verify=False"  # the overhead rows whose client skips the certificate store
EARLY_SEQUENTIAL = 20  # RSS is read after this many sequential calls, and after all


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _health(url: str) -> dict[str, Any]:
    return httpx.get(f"{url}/api/v1/health", timeout=10).json()


class Server:
    """``tryon serve`` in a child process, with its own GRADIO_TEMP_DIR and log file."""

    def __init__(self, workdir: Path) -> None:
        self.port = _free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.cache_base = workdir / "gradio-cache"
        self.cache_base.mkdir()
        self.log_path = workdir / "server.log"
        tryon = Path(sys.executable).with_name("tryon")
        command = ([str(tryon)] if tryon.is_file() else [sys.executable, "-m", "tryon.cli"])
        env = dict(os.environ, GRADIO_TEMP_DIR=str(self.cache_base), GRADIO_ANALYTICS_ENABLED="False")
        self.log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([*command, "serve", "--host", HOST, "--port", str(self.port)],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=env)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}; see {self.log_path}")
            try:
                _health(self.url)
                return
            except httpx.HTTPError:
                time.sleep(0.5)
        raise RuntimeError(f"the server did not answer within {READY_TIMEOUT_S:.0f} s")

    def rss(self) -> float:
        return rss_mb(self.proc.pid)

    def peak(self) -> float:
        return peak_rss_mb(self.proc.pid)

    def drain(self) -> bool:
        """Wait until no request is in flight; True when it happened in time."""
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while time.monotonic() < deadline:
            if _health(self.url)["in_flight"] == 0:
                time.sleep(SETTLE_S)
                return True
            time.sleep(0.25)
        return False

    def stop(self) -> tuple[int | None, list[str]]:
        """SIGTERM; (exit code or None when it had to be killed, cache files left)."""
        code: int | None = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                code = self.proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        else:
            code = self.proc.returncode
        self.log.close()  # Gradio makes an empty vibe_edit_history folder there: files count
        return code, sorted(str(p.relative_to(self.cache_base)) for p in self.cache_base.rglob("*")
                            if not p.is_dir())


class RssSampler(threading.Thread):
    """The server's largest RSS while a phase runs (sampled every RSS_SAMPLE_S)."""

    def __init__(self, server: Server) -> None:
        super().__init__(daemon=True)
        self.server, self.peak, self.done = server, 0.0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(RSS_SAMPLE_S):
            self.peak = max(self.peak, self.server.rss())

    def stop(self) -> float:
        self.done.set()
        self.join()
        return max(self.peak, self.server.rss())


def _latencies(name: str, outcomes: list[Outcome]) -> str:
    ok = [o.seconds for o in outcomes if o.kind == "ok"]
    if not ok:
        return f"{name}: no successful call"
    return (f"{name}: n={len(ok)} p50={percentile(ok, 50):.3f} s p95={percentile(ok, 95):.3f} s")


def _echo_server(workdir: Path) -> tuple[subprocess.Popen, str]:
    """The floor app (:data:`ECHO_APP`) in a child process; (process, url) once it answers."""
    port = _free_port()
    env = dict(os.environ, GRADIO_TEMP_DIR=str(workdir / "echo-cache"), GRADIO_ANALYTICS_ENABLED="False")
    proc = subprocess.Popen([sys.executable, "-c", ECHO_APP, str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url, deadline = f"http://{HOST}:{port}", time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            httpx.get(f"{url}/config", timeout=10).raise_for_status()
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("the floor (echo) app did not start")


def _overhead(server: Server, person: Path, garment: Path, rounds: int,
              workdir: Path) -> dict[str, tuple[float, float, float, int]]:
    """Interleaved sequential round trips: the floor (an echo app with our endpoint's shape),
    ``/try_on`` through gradio_client and REST, each of ours set against the pipeline's own
    time of the same call. ``{name: (round trip p50, pipeline p50, overhead p50, n)}``."""
    from gradio_client import Client

    echo_proc, echo_url = _echo_server(workdir)
    try:
        ours, echo = Client(server.url, verbose=False), Client(echo_url, verbose=False)
        # gradio_client opens every request through a new httpx client, which loads the
        # certificate store even for http:// (~26 ms a request); ssl_verify=False skips that
        # load (plain http:// on loopback has no certificate to check), so these two rows
        # show what the server and Gradio cost without it.
        ours_bare = Client(server.url, verbose=False, ssl_verify=False)
        echo_bare = Client(echo_url, verbose=False, ssl_verify=False)
        calls = {"floor: echo app via gradio_client": lambda: try_on_call(echo, person, garment),
                 "gradio_client /try_on": lambda: try_on_call(ours, person, garment),
                 "REST": lambda: rest_call(server.url, person, garment),
                 f"floor, {NO_CERTS}": lambda: try_on_call(echo_bare, person, garment),
                 f"gradio_client /try_on, {NO_CERTS}": lambda: try_on_call(ours_bare, person,
                                                                           garment)}
        rows: dict[str, list[tuple[float, float]]] = {name: [] for name in calls}
        for _ in range(rounds):
            for name, call in calls.items():
                outcome = call()
                if outcome.kind == "ok":
                    pipe = 0.0 if name.startswith("floor") else _health(server.url)["pipeline_seconds"][-1]
                    rows[name].append((outcome.seconds, pipe))
    finally:
        echo_proc.terminate()
        echo_proc.wait()
    return {name: (percentile([t for t, _ in pairs], 50), percentile([p for _, p in pairs], 50),
                   percentile([t - p for t, p in pairs], 50), len(pairs))
            for name, pairs in rows.items() if pairs}


def run(args: argparse.Namespace) -> int:
    """All phases against one server; prints the figures; 0 when every check held."""
    start = time.monotonic()
    person = examples_dir() / "person" / "astronaut.png"
    garment = sorted((examples_dir() / "garments").glob("tshirt*.jpg"))[0]
    failures: list[str] = []
    figures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="tryon-loadtest-") as tmp:
        work = Path(tmp)
        server = Server(work)
        try:
            server.wait_ready()
            print(f"server: {server.url} (pid {server.proc.pid}), ready in "
                  f"{time.monotonic() - start:.1f} s")
            bad = bad_uploads(work / "bad")
            figures = _phases(args, server, person, garment, bad, failures, start, work)
        except Exception as err:  # noqa: BLE001 - reported as a failure, the server still stops
            failures.append(f"{type(err).__name__}: {err}")
        finally:
            code, left = server.stop()
            if code is None or code != 0:
                failures.append(f"the server did not exit cleanly after SIGTERM (exit code {code})")
                shutil.copy(server.log_path, Path(tempfile.gettempdir()) / "tryon-loadtest-server.log")
    line = f"SIGTERM: exit code {code}; cache files left: {', '.join(left[:5]) or 'none'}"
    if left:
        failures.append(f"{len(left)} cache files left after SIGTERM")
    print(line)
    print(f"\n== summary (total {time.monotonic() - start:.0f} s) ==")
    print("\n".join([*figures, line]))
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


def _phases(args: argparse.Namespace, server: Server, person: Path, garment: Path,
            bad: list[Path], failures: list[str], start: float, workdir: Path) -> list[str]:
    """Phases 1-5; returns the summary lines; appends to ``failures``."""
    from gradio_client import Client

    def in_time() -> bool:
        return time.monotonic() - start < args.deadline

    warm = Client(server.url, verbose=False)
    for _ in range(args.warmup):
        try_on_call(warm, person, garment)
    server.drain()
    idle = server.rss()
    print(f"idle RSS after {args.warmup} warm-up calls: {idle:.0f} MB")

    report = _overhead(server, person, garment, args.rounds, workdir) if in_time() else {}
    lines = [f"{name}: round trip p50 {t:.3f} s" + (f", pipeline p50 {p:.3f} s, overhead p50 "
                                                     f"{o:.3f} s" if p else "") + f" (n={n})"
             for name, (t, p, o, n) in report.items()]
    floor = next((t for name, (t, _p, _o, _n) in report.items() if name.startswith("floor")), None)
    if floor is not None and "gradio_client /try_on" in report:
        above = report["gradio_client /try_on"][2] - floor
        lines.append(f"gradio_client /try_on overhead above the floor: {above:+.3f} s")
    if f"floor, {NO_CERTS}" in report and f"gradio_client /try_on, {NO_CERTS}" in report:
        above = report[f"gradio_client /try_on, {NO_CERTS}"][2] - report[f"floor, {NO_CERTS}"][0]
        lines.append(f"gradio_client /try_on overhead above the floor, {NO_CERTS}: {above:+.3f} s")
    print("\n".join(lines))
    for name, (_t, pipe, overhead, _n) in report.items():
        if pipe and overhead > args.max_overhead:
            failures.append(f"{name} overhead {overhead:.3f} s > {args.max_overhead} s")

    if in_time():
        lines += _burst_phase(args, server, person, garment, bad, idle, failures)
    if in_time() and args.sequential:
        lines += _sequential_phase(args, server, person, garment, failures)
    if in_time():
        lines += _vanish_phase(args, server, person, garment, failures)
    if not in_time():
        failures.append(f"the deadline of {args.deadline:.0f} s ran out; later phases skipped")
    return lines


def _burst_phase(args, server, person, garment, bad, idle, failures) -> list[str]:
    sampler = RssSampler(server)
    sampler.start()
    t0 = time.monotonic()
    outcomes = burst(server.url, person, garment, bad, args.clients, args.bad)
    wall = time.monotonic() - t0
    peak = sampler.stop()
    drained = server.drain()
    after = server.rss()
    good = [o for o in outcomes if not o.bad]
    kinds = {k: sum(o.kind == k for o in outcomes) for k in ("ok", "sentence", "busy", "failure")}
    per_worker = wall * _health(server.url)["workers"] / max(1, len(outcomes))
    lines = [f"burst: {args.clients} clients ({args.bad} bad) in {wall:.1f} s: "
             f"{kinds['ok']} results, {kinds['sentence']} bad-input sentences, {kinds['busy']} "
             f"busy refusals, {kinds['failure']} failures",
             f"burst throughput {len(outcomes) / wall:.2f} requests/s = {per_worker:.2f} s per "
             f"request per worker (bad uploads included)",
             _latencies("burst latency (good clients)", good),
             f"RSS: idle {idle:.0f} MB, peak during burst {peak:.0f} MB, after burst {after:.0f} MB "
             f"({after - idle:+.0f} MB); process peak (VmHWM) {server.peak():.0f} MB"]
    print("\n".join(lines))
    for o in outcomes:
        if (o.kind != "ok" and not o.bad) or (o.bad and o.kind != "sentence"):
            failures.append(f"burst: a {'bad' if o.bad else 'good'} client got {o.kind}: {o.detail}")
    if not drained:
        failures.append("the server did not drain after the burst")
    if after - idle > args.max_burst_growth:
        failures.append(f"RSS after the burst {after - idle:+.0f} MB > {args.max_burst_growth} MB over idle")
    return lines


def _sequential_phase(args, server, person, garment, failures) -> list[str]:
    from gradio_client import Client

    client = Client(server.url, verbose=False)
    outcomes, early = [], 0.0
    for i in range(args.sequential):
        outcomes.append(try_on_call(client, person, garment))
        if i + 1 == EARLY_SEQUENTIAL:
            server.drain()
            early = server.rss()
    server.drain()
    late = server.rss()
    bad = [o for o in outcomes if o.kind != "ok"]
    lines = [_latencies(f"sequential ({args.sequential} calls)", outcomes),
             f"RSS after {EARLY_SEQUENTIAL} sequential calls {early:.0f} MB, after "
             f"{args.sequential} {late:.0f} MB ({late - early:+.0f} MB); {len(bad)} failures"]
    print("\n".join(lines))
    failures += [f"sequential call got {o.kind}: {o.detail}" for o in bad]
    if args.sequential > EARLY_SEQUENTIAL and late - early > args.max_sequential_growth:
        failures.append(f"RSS grew {late - early:.0f} MB over {args.sequential} sequential calls")
    return lines


def _vanish_phase(args, server, person, garment, failures) -> list[str]:
    killed = kill_mid_request(server.url, person, garment, args.vanish, server_busy=lambda: _health(
        server.url)["in_flight"] > 0)
    dropped = drop_rest(server.url, person, garment, args.vanish)
    drained = server.drain()
    from gradio_client import Client

    after = try_on_call(Client(server.url, verbose=False), person, garment)
    line = (f"vanish: {killed} gradio_client processes killed mid-request, {dropped} REST "
            f"connections dropped; drained: {drained}; next call: {after.kind} "
            f"({after.seconds:.2f} s); RSS {server.rss():.0f} MB")
    print(line)
    if not drained or after.kind != "ok":
        failures.append("the server did not recover after clients vanished")
    return [line]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tryon.loadtest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients in the burst")
    parser.add_argument("--bad", type=int, default=10, help="of which upload bad files")
    parser.add_argument("--sequential", type=int, default=200, help="sequential calls after the burst")
    parser.add_argument("--vanish", type=int, default=5, help="clients that vanish mid-request (each kind)")
    parser.add_argument("--rounds", type=int, default=20, help="overhead round trips per endpoint")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up calls")
    parser.add_argument("--deadline", type=float, default=1500.0, help="seconds for all phases")
    parser.add_argument("--max-overhead", type=float, default=0.15, help="s, p50, over the pipeline")
    parser.add_argument("--max-burst-growth", type=float, default=150.0, help="MB over idle after the burst")
    parser.add_argument("--max-sequential-growth", type=float, default=50.0,
                        help="MB from the 20th to the last sequential call")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    sys.stdout.reconfigure(line_buffering=True)  # each figure as it comes, even into a file
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
