"""Serving under load and attack: the admission gate, the REST endpoint, what the server
serves from disk, the upload cap, SIGTERM, and ``make loadtest`` itself (tiny counts).

Everything runs against the real app (the session's ``served_app``, or ``tryon serve`` in a
child process) with the real pipeline; only the gate's size is shrunk where a test needs the
server full. Timing figures belong to ``make loadtest``; no test asserts a duration.
"""

from __future__ import annotations

import asyncio
import io
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import pytest
from PIL import Image

gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client, handle_file  # noqa: E402
from gradio_client.exceptions import AppError  # noqa: E402

from tryon.serving.gate import BUSY, Busy, Gate, waiting_for  # noqa: E402

BUSY_START = BUSY.split("(")[0]
TIMEOUT_S = 300.0
SERVER_START_S = 240.0


# -- the gate, on its own ----------------------------------------------------------------------
def test_the_default_gate_holds_a_burst_of_50_and_its_size_follows_throughput() -> None:
    gate = Gate(on_idle=None)
    try:
        assert gate.capacity >= 50
        assert waiting_for(max_wait_s=30, workers=2, seconds_per_request=0.5) == 120
        assert waiting_for(max_wait_s=30, workers=2, seconds_per_request=1.0) == 60
    finally:
        gate.shutdown()


def test_past_capacity_the_gate_refuses_with_one_sentence_and_a_retry_hint() -> None:
    release = threading.Event()
    gate = Gate(workers=1, waiting=2, seconds_per_request=4.0, on_idle=None)
    try:
        futures = [gate.submit(release.wait) for _ in range(3)]
        with pytest.raises(Busy) as err:
            gate.submit(release.wait)
        message = str(err.value)
        assert message.startswith(BUSY_START) and "3 requests ahead" in message
        assert err.value.retry_after == 12 and "about 12 seconds" in message  # 3 x 4 s / 1 worker
        assert message.endswith(".") and "\n" not in message
        assert gate.refused == 1 and gate.in_flight == 3
        release.set()
        for future in futures:
            future.result(timeout=10)
        assert gate.in_flight == 0
        assert gate.submit(lambda: 42).result(timeout=10) == 42
    finally:
        release.set()
        gate.shutdown()


def test_a_caller_that_goes_away_before_its_turn_frees_its_slot() -> None:
    release, idle = threading.Event(), threading.Event()
    gate = Gate(workers=1, waiting=1, on_idle=idle.set)

    async def scenario() -> None:
        running = gate.submit(release.wait)
        waiting = asyncio.ensure_future(gate.run(lambda: "never"))
        await asyncio.sleep(0.05)
        assert gate.in_flight == 2
        waiting.cancel()  # the client vanished while waiting: its job must never run
        await asyncio.sleep(0.05)
        assert gate.in_flight == 1
        release.set()
        await asyncio.wrap_future(running)

    try:
        asyncio.run(scenario())
        assert idle.wait(10), "on_idle runs when the last job is done"
        assert gate.in_flight == 0
    finally:
        release.set()
        gate.shutdown()


# -- the served app: a full server refuses in our words ------------------------------------------
@pytest.fixture
def full_gate(monkeypatch: pytest.MonkeyPatch, served_app: str):
    """The served app's gate swapped for one of 1 running + 1 waiting, both taken."""
    import gradio_app

    release = threading.Event()
    gate = Gate(workers=1, waiting=1, seconds_per_request=5.0, on_idle=None)
    monkeypatch.setitem(gradio_app._gate, "", gate)
    blockers = [gate.submit(release.wait) for _ in range(2)]
    yield gate
    release.set()
    for blocker in blockers:
        blocker.result(timeout=10)
    gate.shutdown()


def test_over_capacity_both_ways_in_get_our_sentence_with_a_retry_hint(
        full_gate: Gate, served_app: str, person_example: Path, garment_example: Path) -> None:
    client = Client(served_app, verbose=False)
    with pytest.raises(AppError) as err:
        client.predict(handle_file(str(person_example)), handle_file(str(garment_example)),
                       api_name="/try_on")
    assert str(err.value).startswith(BUSY_START) and "try again in about 10 seconds" in str(err.value)  # 2 x 5 s

    response = rest(served_app, person_example.read_bytes(), garment_example.read_bytes())
    assert response.status_code == 503
    assert response.headers["retry-after"] == "10"
    assert response.json() == {"error": str(err.value)}
    assert full_gate.refused == 2


# -- the REST endpoint ---------------------------------------------------------------------------
def rest(url: str, person: bytes | None, garment: bytes | None, query: str = "",
         **fields: str) -> httpx.Response:
    files = {k: (f"{k}.png", v) for k, v in (("person", person), ("garment", garment)) if v is not None}
    return httpx.post(f"{url.rstrip('/')}/api/v1/try-on{query}", files=files, data=fields,
                      timeout=TIMEOUT_S)


def test_rest_returns_the_image_and_the_pipelines_time(
        served_app: str, person_example: Path, garment_example: Path) -> None:
    person, garment = person_example.read_bytes(), garment_example.read_bytes()
    response = rest(served_app, person, garment)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    assert response.headers["server-timing"].startswith("pipeline;dur=")
    with Image.open(io.BytesIO(response.content)) as img:
        assert img.format == "PNG" and img.size == (512, 512)

    jpeg = rest(served_app, person, garment, "?format=jpeg", garment_type="flat")
    assert jpeg.status_code == 200 and jpeg.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(jpeg.content)) as img:
        assert img.format == "JPEG" and img.size == (512, 512)


def test_rest_refuses_bad_input_with_the_apps_own_sentences(
        served_app: str, person_example: Path, garment_example: Path, tmp_path: Path) -> None:
    garment = garment_example.read_bytes()
    text = tmp_path / "notes.png"
    text.write_text("this is a text file, not a photo\n")
    with pytest.raises(AppError) as app_err:
        Client(served_app, verbose=False).predict(handle_file(str(text)), handle_file(str(garment_example)),
                                                  api_name="/try_on")
    cases = [
        (rest(served_app, text.read_bytes(), garment), 400, str(app_err.value)),
        (rest(served_app, None, garment), 400, "Please add a photo of yourself first."),
        (rest(served_app, person_example.read_bytes(), garment, garment_type="hanger"), 400,
         "The garment type must be one of auto, flat, worn, not 'hanger'."),
        (rest(served_app, person_example.read_bytes(), garment, "?format=gif"), 400,
         "The format must be one of png, jpeg, webp, not 'gif'."),
        (httpx.post(f"{served_app.rstrip('/')}/api/v1/try-on", json={"person": "x"}), 415,
         "Please send the photos as multipart/form-data"),
    ]
    for response, status, sentence in cases:
        assert response.status_code == status, response.text
        message = response.json()["error"]
        assert message.startswith(sentence) and message.endswith(".") and "\n" not in message
    assert rest(served_app, person_example.read_bytes(), garment).status_code == 200


# -- hostile requests: the upload cap, files the server will not serve ----------------------------
def test_uploads_past_the_cap_are_refused_both_ways(served_app: str, garment_example: Path) -> None:
    from tryon.constants import MAX_FILE_BYTES

    big = b"\x89PNG\r\n\x1a\n" + bytes(MAX_FILE_BYTES + 1024)
    url = served_app.rstrip("/")
    upload = httpx.post(f"{url}/gradio_api/upload", files={"files": ("big.png", big)}, timeout=TIMEOUT_S)
    assert upload.status_code == 413
    response = rest(served_app, big, garment_example.read_bytes())
    assert response.status_code == 413
    assert response.json()["error"] == "The person photo is larger than 25 MB; please upload a smaller photo."
    boundary = "tryon-test"

    def chunked():  # no Content-Length: the cap must hold while the body streams in
        yield (f'--{boundary}\r\nContent-Disposition: form-data; name="person"; filename="p.png"\r\n'
               "Content-Type: image/png\r\n\r\n").encode()
        for _ in range(3 * MAX_FILE_BYTES // 2**20):
            yield bytes(2**20)
        yield f"\r\n--{boundary}--\r\n".encode()

    streamed = httpx.post(f"{url}/api/v1/try-on", content=chunked(), timeout=TIMEOUT_S,
                          headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    assert streamed.status_code == 413
    assert streamed.json()["error"].startswith("The request is larger than two photos of 25 MB each")
    just_under = httpx.post(f"{url}/gradio_api/upload", files={"files": ("ok.png", big[:MAX_FILE_BYTES - 1024])},
                            timeout=TIMEOUT_S)
    assert just_under.status_code == 200, "the cap must not refuse a file under it"


def test_the_file_route_serves_what_the_app_made_and_nothing_else(
        served_app: str, repo_root: Path, person_example: Path, garment_example: Path) -> None:
    url = served_app.rstrip("/")
    uploaded = [httpx.post(f"{url}/gradio_api/upload", files={"files": p.open("rb")}).json()[0]
                for p in (person_example, garment_example)]
    data = [{"path": p, "meta": {"_type": "gradio.FileData"}} for p in uploaded] + ["auto", False]
    event = httpx.post(f"{url}/gradio_api/call/try_on", json={"data": data}).json()["event_id"]
    stream = httpx.get(f"{url}/gradio_api/call/try_on/{event}", timeout=TIMEOUT_S).text
    assert "event: complete" in stream, stream[-500:]
    result = stream.split('"url": "', 1)[1].split('"', 1)[0]
    assert httpx.get(result).status_code == 200, "the app's own result must be served"

    outsider = Path(tempfile.mkdtemp()) / "not-ours.png"  # in the temp dir, but not the app's
    outsider.write_bytes(person_example.read_bytes())
    cache = Path(uploaded[0]).parent.parent
    refused = ["/etc/passwd", f"{cache}/../../etc/passwd", str(outsider), str(repo_root / "README.md"),
               *(str(p) for p in sorted((repo_root / "assets" / "weights").glob("*/model.safetensors")))]
    assert len(refused) > 5, "the bundled weights must be among the files tried"
    for path in refused:
        assert httpx.get(f"{url}/gradio_api/file={path}").status_code in (403, 404), path


# -- the server process: SIGTERM, and the load test in miniature ----------------------------------
def _tryon_command() -> list[str]:
    tryon = Path(sys.executable).with_name("tryon")
    return [str(tryon)] if tryon.is_file() else [sys.executable, "-m", "tryon.cli"]


def _quietly(url: str, photo: Path) -> None:
    """A ``/try_on`` through gradio_client; a server that stops under it may answer or not."""
    try:
        Client(url, verbose=False).predict(handle_file(str(photo)), handle_file(str(photo)),
                                           api_name="/try_on")
    except Exception:  # noqa: BLE001 - any end is fine here; the server's is what is checked
        pass


def test_sigterm_stops_the_server_cleanly_and_removes_its_cache(
        tmp_path: Path, person_example: Path) -> None:
    from tryon.loadtest import _free_port

    port = _free_port()
    env = dict(os.environ, GRADIO_TEMP_DIR=str(tmp_path), GRADIO_ANALYTICS_ENABLED="False")
    proc = subprocess.Popen([*_tryon_command(), "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        url, deadline = f"http://127.0.0.1:{port}", time.monotonic() + SERVER_START_S
        while True:
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the server did not start"
            try:
                httpx.get(f"{url}/api/v1/health")
                break
            except httpx.HTTPError:
                time.sleep(0.5)
        httpx.post(f"{url}/gradio_api/upload", files={"files": person_example.open("rb")}).raise_for_status()
        assert any(p.is_file() for p in tmp_path.rglob("*")), "the upload is in the server's cache"
        callers = [threading.Thread(target=_quietly, args=(url, person_example)) for _ in range(4)]
        for caller in callers:  # SIGTERM while try-ons run and wait, each writing into the cache
            caller.start()
        while httpx.get(f"{url}/api/v1/health").json()["in_flight"] == 0:
            assert time.monotonic() < deadline + SERVER_START_S, "no try-on ever started"
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
        for caller in callers:
            caller.join(TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_the_load_test_runs_end_to_end_and_stops_by_itself() -> None:
    """``make loadtest`` with tiny counts and no limits on the figures (those are its job)."""
    loose = ["--max-overhead", "1e9", "--max-burst-growth", "1e9", "--max-sequential-growth", "1e9"]
    proc = subprocess.run([sys.executable, "-m", "tryon.loadtest", "--clients", "4", "--bad", "2",
                           "--sequential", "2", "--vanish", "1", "--rounds", "1", "--warmup", "1",
                           "--deadline", "600", *loose],
                          capture_output=True, text=True, timeout=900)
    out = proc.stdout
    assert proc.returncode == 0, out[-3000:] + proc.stderr[-2000:]
    for expected in ("burst: 4 clients (2 bad)", "2 results, 2 bad-input sentences, 0 busy refusals, 0 failures",
                     "round trip p50", "RSS: idle", "vanish:", "SIGTERM: exit code 0; cache files left: none"):
        assert expected in out, out[-3000:]
