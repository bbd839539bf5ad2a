"""The clients of ``make loadtest`` (:mod:`tryon.loadtest`): one call through gradio_client or
REST, classified; a burst of concurrent clients; clients that vanish mid-request; bad uploads.

Every call is classified as ``ok`` (the result arrived and was downloaded), ``sentence`` (a
refusal of bad input: one line ending with a full stop), ``busy`` (the server's over-capacity
sentence) or ``failure`` (anything else: a traceback, Gradio's own "Queue is full!", a
timeout, a missing result).
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

from tryon.serving.gate import BUSY

__all__ = ["Outcome", "percentile", "bad_uploads", "try_on_call", "rest_call", "burst",
           "kill_mid_request", "drop_rest", "ECHO_APP"]

CALL_TIMEOUT_S = 300.0      # one call, however long the line
BUSY_PREFIX = BUSY.split("(")[0]
VANISH_WAIT_S = 60.0        # for the vanishing clients to be in flight before they are killed
VANISH_GRACE_S = 0.3
DROP_AFTER_S = 0.2          # a dropped REST request hangs up this long after sending
# A gradio_client user in a process of its own, killed by the load test mid-request.
VANISHING_CLIENT = ("import sys; from gradio_client import Client, handle_file; "
                    "Client(sys.argv[1], verbose=False).predict(handle_file(sys.argv[2]), "
                    "handle_file(sys.argv[3]), api_name='/try_on')")

# The floor: a Gradio app whose /try_on has the same inputs and outputs as ours and returns
# the uploaded person photo at once. Its round trip is what Gradio and gradio_client cost.
ECHO_APP = """
import sys
import gradio as gr

async def echo(person, garment, garment_type="auto", with_steps=False):
    return person["path"], [], ""

with gr.Blocks(analytics_enabled=False) as demo:
    inputs = [gr.Image(type="filepath"), gr.Image(type="filepath"),
              gr.Radio(["auto", "flat", "worn"], value="auto"), gr.Checkbox(value=False)]
    outputs = [gr.Image(format="png"), gr.Gallery(format="png"), gr.Textbox()]
    gr.Button().click(echo, inputs, outputs, api_name="try_on", preprocess=False,
                      concurrency_limit=None)
demo.queue().launch(server_name="127.0.0.1", server_port=int(sys.argv[1]), quiet=True)
"""


@dataclass
class Outcome:
    kind: str          # ok, sentence, busy, failure
    seconds: float
    detail: str = ""
    bad: bool = False  # the client uploaded a bad file on purpose


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def _refusal(message: str) -> str:
    if message.startswith(BUSY_PREFIX):
        return "busy"
    one_sentence = message.endswith(".") and "\n" not in message and "Traceback" not in message
    return "sentence" if one_sentence else "failure"


def try_on_call(client, person: Path, garment: Path, bad: bool = False) -> Outcome:
    """One ``/try_on`` through gradio_client (which downloads the result), classified."""
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    t0 = time.perf_counter()
    try:
        result, _steps, _warnings = client.predict(handle_file(str(person)), handle_file(str(garment)),
                                                   api_name="/try_on")
        seconds = time.perf_counter() - t0
        kind = "ok" if Path(result).is_file() else "failure"
        return Outcome(kind, seconds, "" if kind == "ok" else f"no result file {result}", bad)
    except AppError as err:
        return Outcome(_refusal(str(err)), time.perf_counter() - t0, str(err), bad)
    except Exception as err:  # noqa: BLE001 - every other outcome is a failure to report
        return Outcome("failure", time.perf_counter() - t0, f"{type(err).__name__}: {err}", bad)


def rest_call(url: str, person: Path, garment: Path, bad: bool = False) -> Outcome:
    """One ``POST /api/v1/try-on`` (the image read in full), classified."""
    t0 = time.perf_counter()
    try:
        with person.open("rb") as p, garment.open("rb") as g:
            response = httpx.post(f"{url}/api/v1/try-on", files={"person": p, "garment": g},
                                  timeout=CALL_TIMEOUT_S)
        seconds = time.perf_counter() - t0
    except httpx.HTTPError as err:
        return Outcome("failure", time.perf_counter() - t0, f"{type(err).__name__}: {err}", bad)
    if response.status_code == 200 and response.content:
        return Outcome("ok", seconds, "", bad)
    try:
        message = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return Outcome("failure", seconds, f"HTTP {response.status_code}: {response.text[:200]}", bad)
    return Outcome(_refusal(message), seconds, message, bad)


def bad_uploads(folder: Path) -> list[Path]:
    """Files a shopper might upload by mistake: text, empty, tiny, truncated, nobody in it."""
    folder.mkdir(parents=True, exist_ok=True)
    text, empty, tiny = folder / "notes.png", folder / "empty.jpg", folder / "tiny.png"
    text.write_text("this is a text file, not a photo\n")
    empty.write_bytes(b"")
    Image.new("RGB", (8, 8), (200, 120, 90)).save(tiny)
    sky = np.linspace((90, 150, 230), (200, 225, 250), 300).astype(np.uint8)
    landscape = np.repeat(sky[:, None, :], 480, axis=1)
    landscape[200:] = (60, 140, 50)
    nobody = folder / "landscape.png"
    Image.fromarray(landscape).save(nobody)
    truncated = folder / "truncated.png"
    truncated.write_bytes(nobody.read_bytes()[:2000])
    return [text, empty, tiny, nobody, truncated]


def burst(url: str, person: Path, garment: Path, bad: list[Path], clients: int,
          n_bad: int) -> list[Outcome]:
    """``clients`` gradio_client users calling ``/try_on`` at the same moment, every
    ``clients // n_bad``-th with a bad photo (cycling through ``bad``)."""
    from gradio_client import Client

    every = max(1, clients // max(1, n_bad))
    plan = [(bad[(i // every) % len(bad)] if n_bad and i % every == 0 and i // every < n_bad
             else person) for i in range(clients)]
    with ThreadPoolExecutor(clients) as pool:
        users = list(pool.map(lambda _: Client(url, verbose=False), range(clients)))
        start = threading.Barrier(clients)

        def call(i: int) -> Outcome:
            start.wait()
            return try_on_call(users[i], plan[i], garment, bad=plan[i] != person)

        return list(pool.map(call, range(clients)))


def kill_mid_request(url: str, person: Path, garment: Path, n: int,
                     server_busy: Callable[[], bool]) -> int:
    """``n`` gradio_client processes start a try-on and are SIGKILLed while the server works
    on them; returns how many were killed before they finished."""
    procs = [subprocess.Popen([sys.executable, "-c", VANISHING_CLIENT, url, str(person), str(garment)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(n)]
    deadline = time.monotonic() + VANISH_WAIT_S
    while time.monotonic() < deadline and not server_busy():
        time.sleep(0.1)
    time.sleep(VANISH_GRACE_S)
    killed = 0
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            killed += 1
        proc.wait()
    return killed


def drop_rest(url: str, person: Path, garment: Path, n: int) -> int:
    """``n`` REST requests whose client hangs up before the answer; returns how many did."""
    dropped = 0
    for _ in range(n):
        try:
            with person.open("rb") as p, garment.open("rb") as g:
                httpx.post(f"{url}/api/v1/try-on", files={"person": p, "garment": g},
                           timeout=httpx.Timeout(CALL_TIMEOUT_S, read=DROP_AFTER_S))
        except httpx.ReadTimeout:
            dropped += 1
    return dropped
