"""No third-party log line (MediaPipe, TFLite, absl, glog) reaches the console unless --verbose."""

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PIL import Image

from tryon.quiet import hold_stderr, is_library_log_line, set_verbose

TRYON = [sys.executable, "-m", "tryon.cli"]
# The libraries' own variables are left out: the CLI must be quiet without the user's help.
CLEAN_ENV = {k: v for k, v in os.environ.items()
             if k not in ("GLOG_minloglevel", "TF_CPP_MIN_LOG_LEVEL", "TRYON_VERBOSE")}
LIBRARY_LINES = (
    "INFO: Created TensorFlow Lite XNNPACK delegate for CPU.",
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "W0000 00:00:1796134274.726719   19139 inference_feedback_manager.cc:114] Feedback manager "
    "requires a model with a single signature inference. Disabling support for feedback tensors.",
    "W0000 00:00:1796134300.791820   19736 landmark_projection_calculator.cc:186] Using NORM_RECT "
    "without IMAGE_DIMENSIONS is only supported for the square ROI.",
)


def _run(*args, timeout=180):
    return subprocess.run([*TRYON, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=CLEAN_ENV)


@pytest.fixture(scope="module")
def no_person(tmp_path_factory):
    """A plain beige picture: a photo MediaPipe runs on and finds nobody in."""
    path = tmp_path_factory.mktemp("quiet") / "wall.png"
    Image.new("RGB", (400, 500), (200, 180, 160)).save(path)
    return path


def test_refused_photo_gives_exactly_one_line_and_exit_1(no_person, garment_example, tmp_path):
    r = _run("try-on", no_person, garment_example, "-o", tmp_path / "out.png")
    assert r.returncode == 1
    assert r.stderr.splitlines() == [r.stderr.strip()] and r.stderr.startswith("error: We couldn't find a person"), r.stderr
    assert r.stdout == ""


def test_verbose_lets_the_library_lines_through(no_person, garment_example, tmp_path):
    r = _run("try-on", "--verbose", no_person, garment_example, "-o", tmp_path / "out.png")
    assert r.returncode == 1
    lines = r.stderr.splitlines()
    assert any(is_library_log_line(line) for line in lines), r.stderr   # MediaPipe's own lines show
    assert lines[-1].startswith("error: We couldn't find a person")


def test_a_good_try_on_prints_nothing_on_stderr(person_example, garment_example, tmp_path):
    r = _run("try-on", person_example, garment_example, "-o", tmp_path / "out.png")
    assert r.returncode == 0, r.stderr
    assert [l for l in r.stderr.splitlines() if not l.startswith("warning: ")] == []


@pytest.mark.parametrize("line", LIBRARY_LINES)
def test_library_log_lines_are_recognised(line):
    assert is_library_log_line(line)


@pytest.mark.parametrize("line", ["error: The person photo is empty.", "INFO: Started server process [12]",
                                  "Traceback (most recent call last):", "W0000 is my variable"])
def test_other_lines_are_not_taken_for_library_lines(line):
    assert not is_library_log_line(line)


def test_hold_stderr_drops_library_lines_and_keeps_the_rest(capfd):
    set_verbose(False)
    with hold_stderr():
        os.write(2, (LIBRARY_LINES[0] + "\nsomething of ours\n" + LIBRARY_LINES[2] + "\n").encode())
    assert capfd.readouterr().err == "something of ours\n"


def test_two_threads_hold_stderr_at_once_and_both_lines_come_back(capfd):
    """A person's pose and a garment photo's faces run side by side, each graph inside the hold:
    both threads are in at once (one at a time kept one of them waiting), and descriptor 2 comes
    back after the last one, with what was not a library's line."""
    set_verbose(False)
    both_in = threading.Barrier(2, timeout=10)
    failures = []

    def hold(name):
        try:
            with hold_stderr():
                both_in.wait()
                os.write(2, f"{LIBRARY_LINES[0]}\n{name}\n".encode())
                both_in.wait()
        except threading.BrokenBarrierError as err:
            failures.append(err)

    threads = [threading.Thread(target=hold, args=(name,)) for name in ("pose", "faces")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, "the second thread could not hold descriptor 2 while the first did"
    assert sorted(capfd.readouterr().err.splitlines()) == ["faces", "pose"]
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "after\n"


def test_hold_stderr_does_nothing_when_verbose(capfd):
    set_verbose(True)
    try:
        with hold_stderr():
            os.write(2, (LIBRARY_LINES[0] + "\n").encode())
    finally:
        set_verbose(False)
    assert capfd.readouterr().err == LIBRARY_LINES[0] + "\n"


def test_the_face_detector_first_prints_nothing_on_stderr():
    """The garment check screens for a face before any pose is found: MediaPipe's pose graph,
    built beside the face detector but not yet run, used to log from its own threads then."""
    code = ("import numpy as np; from skimage import data; from tryon.pose import has_face; "
            "print(has_face(data.astronaut()), has_face(np.zeros((256, 192, 3), np.uint8)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180,
                          env=CLEAN_ENV)
    assert done.returncode == 0 and done.stdout.split() == ["True", "False"]
    assert done.stderr == "", done.stderr


def test_the_environment_is_set_before_any_worker_thread_starts(tmp_path):
    """Building MediaPipe's graphs sets the libraries' log-level environment. Set while another
    thread read the environment from C (OpenCV's first call on the main thread, while the face
    detector's thread built the graphs), the process died of a segmentation fault, about once in
    80 CLI try-ons. In a fresh process, every change to the environment during a try-on happens
    before any of the pipeline's threads (garment workers, face detector) is alive."""
    script = tmp_path / "env_threads.py"
    script.write_text(
        "import json, os, sys, threading\n"
        "changes = []\n"
        "setitem = os._Environ.__setitem__\n"
        "def record(self, key, value):\n"
        "    changes.append((key, sorted(t.name for t in threading.enumerate())))\n"
        "    return setitem(self, key, value)\n"
        "os._Environ.__setitem__ = record\n"
        "from images import astronaut, tshirt\n"
        "from pipelines import TryOnPipeline\n"
        "TryOnPipeline.from_pretrained()(astronaut(), tshirt((200, 30, 40)))\n"
        "print(json.dumps(changes))\n")
    env = {**CLEAN_ENV, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), str(Path(__file__).parents[1])])}
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    changes = json.loads(run.stdout.strip().splitlines()[-1])
    assert any(key == "GLOG_minloglevel" for key, _ in changes), changes  # the libraries' environment was set
    for key, threads in changes:
        assert not [t for t in threads if t.startswith("tryon-")], (key, threads)
