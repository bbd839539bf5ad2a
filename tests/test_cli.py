"""The `tryon` command, through a subprocess, with exit codes."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from corpus import make_corpus
from images import astronaut, tshirt

TRYON = [sys.executable, "-m", "tryon.cli"]
ENV = {**os.environ, "GLOG_minloglevel": "2", "TF_CPP_MIN_LOG_LEVEL": "2"}


def run(*args, timeout=180):
    return subprocess.run([*TRYON, *map(str, args)], capture_output=True, text=True, timeout=timeout, env=ENV)


def _user_lines(stderr: str) -> list[str]:
    """stderr lines the CLI printed itself (MediaPipe's native logging aside)."""
    return [l for l in stderr.splitlines() if l.startswith(("error:", "warning:", "failed:"))]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    (root / "people").mkdir()
    (root / "garments").mkdir()
    astronaut().save(root / "people" / "astronaut.png")
    astronaut().resize((300, 300)).save(root / "people" / "small.jpg")
    tshirt().save(root / "garments" / "red.png")
    tshirt((20, 40, 200)).save(root / "garments" / "blue.jpg")
    (root / "people" / "broken.jpg").write_bytes(b"not a jpeg")
    return root


@pytest.mark.parametrize("cmd", [[], ["try-on"], ["batch"], ["serve"], ["bench"]])
def test_every_command_has_help(cmd):
    r = run(*cmd, "--help", timeout=60)
    assert r.returncode == 0 and "usage: tryon" in r.stdout


def test_try_on_writes_the_result_at_the_photo_size(files, tmp_path):
    out = tmp_path / "sub" / "result.png"
    r = run("try-on", files / "people" / "astronaut.png", files / "garments" / "red.png", "-o", out,
            "--steps", tmp_path / "steps")
    assert r.returncode == 0, r.stderr
    assert Image.open(out).size == (512, 512)
    assert sorted(p.name for p in (tmp_path / "steps").iterdir()) == [
        "agnostic.png", "garment.png", "parse.png", "pose.png", "warped.png"]


def test_bad_photo_prints_one_line_and_exits_1(files, tmp_path):
    r = run("try-on", files / "people" / "broken.jpg", files / "garments" / "red.png", "-o", tmp_path / "x.png")
    assert r.returncode == 1
    lines = _user_lines(r.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: The person photo")
    assert "Traceback" not in r.stderr and not (tmp_path / "x.png").exists()


def test_debug_shows_the_traceback(files, tmp_path):
    r = run("try-on", files / "people" / "broken.jpg", files / "garments" / "red.png", "-o",
            tmp_path / "x.png", "--debug")
    assert r.returncode == 1 and "Traceback" in r.stderr


def test_usage_errors_exit_2_and_bad_suffix_exits_1(files, tmp_path):
    assert run("try-on", files / "people" / "astronaut.png", timeout=60).returncode == 2
    r = run("try-on", files / "people" / "astronaut.png", files / "garments" / "red.png", "-o", tmp_path / "x.gif")
    assert r.returncode == 1 and _user_lines(r.stderr) == [
        "error: The output file must end in .png, .jpg or .webp, not 'x.gif'."]


def test_batch_goes_on_past_bad_pairs_lists_them_and_resumes(files, tmp_path):
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("# catalogue\nastronaut.png red.png\nsmall.jpg blue.jpg\nbroken.jpg red.png\n"
                     "astronaut.png missing.png\nthree words here\n\n")
    out = tmp_path / "out"
    args = ("batch", "--pairs", pairs, "--person-dir", files / "people", "--garment-dir", files / "garments", "--out", out)
    r = run(*args)
    assert r.returncode == 1
    assert sorted(p.name for p in out.iterdir()) == ["astronaut__red.png", "small__blue.png"]
    assert Image.open(out / "small__blue.png").size == (300, 300)
    failed = [l for l in _user_lines(r.stderr) if l.startswith("failed:")]
    assert len(failed) == 3
    assert any("broken.jpg red.png" in l and "person photo" in l for l in failed)
    assert any("missing.png" in l and "couldn't find" in l for l in failed)
    assert any("line 6" in l for l in failed)
    assert "done 2, skipped 0" in r.stdout
    again = run(*args)
    assert "done 0, skipped 2" in again.stdout and again.returncode == 1


def test_batch_every_corpus_kind_fails_with_its_message(tmp_path):
    person, garment = tmp_path / "person.png", tmp_path / "garment.png"
    astronaut().save(person)
    tshirt().save(garment)
    corpus = make_corpus(tmp_path / "bad", person, garment)
    # One line per case, with absolute paths, run in one process (the dirs are roots).
    pairs = tmp_path / "pairs.txt"
    cases = [c for c in corpus if " " not in f"{c.person}{c.garment}"]
    pairs.write_text("".join(f"{c.person} {c.garment}\n" for c in cases))
    r = run("batch", "--pairs", pairs, "--person-dir", "/", "--garment-dir", "/", "--out", tmp_path / "out")
    assert r.returncode == 1
    failed = [l for l in _user_lines(r.stderr) if l.startswith("failed:")]
    assert len(failed) == len(cases), r.stderr[-2000:]
    assert not any("unexpected failure" in l for l in failed)


def test_bench_reports_every_stage(tmp_path):
    r = run("bench", "--runs", "2", "--warmup", "0", "--mode", "baseline", "--json", tmp_path / "b.json")
    assert r.returncode == 0, r.stderr
    for stage in ("pose", "align", "warp", "composite", "paste_back", "total"):
        assert stage in r.stdout
    import json

    report = json.loads((tmp_path / "b.json").read_text())
    assert report["size"] == [512, 512] and report["ms"]["total"]["p50"] > 0
    # the garment is prepared afresh in every timed run, and remembered in the cached ones
    assert report["ms"]["garment"]["p50"] > 0 and report["ms"]["total_cached"]["p50"] > 0


def test_batch_splits_pairs_across_two_processes_each_done_once(files, tmp_path):
    """torchrun stands in for `accelerate launch` (which stays single-process on a CPU)."""
    people = sorted(p.name for p in (files / "people").iterdir() if p.name != "broken.jpg")
    garments = sorted(p.name for p in (files / "garments").iterdir())
    pairs = [(p, g) for p in people for g in garments]
    (tmp_path / "pairs.txt").write_text("".join(f"{p} {g}\n" for p, g in pairs))
    torchrun = Path(sys.executable).with_name("torchrun")
    r = subprocess.run(
        [str(torchrun), "--nproc_per_node", "2", "-m", "tryon.cli", "batch", "--pairs", str(tmp_path / "pairs.txt"),
         "--person-dir", str(files / "people"), "--garment-dir", str(files / "garments"), "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=300, env=ENV)
    assert r.returncode == 0, r.stderr[-2000:]
    reports = [l for l in r.stdout.splitlines() if l.startswith("done ")]
    assert len(reports) == 2 and all("in this process" in l for l in reports)
    assert sum(int(l.split()[1].rstrip(",")) for l in reports) == len(pairs)
    assert len(list((tmp_path / "out").iterdir())) == len(pairs)


def test_eval_wild_writes_a_contact_sheet_and_texture_ratios(files, tmp_path):
    """Every person with every garment; a broken photo is one row saying why, not a crash."""
    import json

    sheet = tmp_path / "sheet.png"
    (tmp_path / "people").mkdir()
    (tmp_path / "people" / "astronaut.png").write_bytes((files / "people" / "astronaut.png").read_bytes())
    r = run("eval", "--wild", "--persons", tmp_path / "people", "--garments", files / "garments", "-o", sheet,
            timeout=300)
    assert r.returncode == 0, r.stderr
    report = json.loads(sheet.with_suffix(".json").read_text())
    assert set(report["texture_ratio"]) == {"red.png", "blue.jpg"}
    assert len(report["tryons"]) == 2 and all("texture_ratio" in t for t in report["tryons"])
    with Image.open(sheet) as img:
        assert img.height == 2 * 320                      # a row per try-on
    assert "median texture ratio" in r.stdout
    r = run("eval", "--wild", "--persons", tmp_path / "people", "-o", sheet)
    assert r.returncode == 2 and "--wild needs --persons DIR and --garments DIR" in r.stderr
    r = run("eval", "--wild", "--persons", tmp_path / "people", "--garments", files / "garments", "-o",
            tmp_path / "sheet.json")
    assert r.returncode == 1 and _user_lines(r.stderr) == [
        "error: With --wild, -o is the contact sheet and must end in .png or .jpg, not 'sheet.json'."]
