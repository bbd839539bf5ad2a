"""`tryon batch` under faults: killed with SIGKILL mid-write, and an output disk that fills up.

Both run the real command in a subprocess. The disk-full test mounts a small tmpfs, so it needs
root (it is skipped with the reason otherwise).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from images import astronaut, tshirt
from tryon.batch import remove_stale_temporaries
from tryon.io import atomic_write

TRYON = [sys.executable, "-m", "tryon.cli"]
PERSON_SIDE = 256          # px: small photos keep each pair fast
POLL_S = 0.001             # how often the kill test looks for a file being written
KILL_ROUNDS = 4            # runs killed until one is caught mid-write
PAGE = 4096                # tmpfs sizes are whole pages


@pytest.fixture
def catalogue(tmp_path):
    """Eight pairs: copies of one person photo, one garment (outputs of equal size)."""
    people, garments = tmp_path / "people", tmp_path / "garments"
    people.mkdir()
    garments.mkdir()
    photo = astronaut().resize((PERSON_SIDE, PERSON_SIDE))
    names = [f"p{i}.png" for i in range(8)]
    for name in names:
        photo.save(people / name)
    tshirt().save(garments / "shirt.png")
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("".join(f"{n} shirt.png\n" for n in names))
    return ["batch", "--pairs", str(pairs), "--person-dir", str(people), "--garment-dir", str(garments)]


def _batch(args, out: Path, timeout=300):
    return subprocess.run([*TRYON, *args, "--out", str(out)], capture_output=True, text=True, timeout=timeout)


def _whole_images(out: Path) -> list[str]:
    """The names of the finished images, each decoded to the last pixel (a cut file raises)."""
    names = sorted(p.name for p in out.glob("*.png"))
    for name in names:
        with Image.open(out / name) as img:
            img.load()
    return names


def _temporaries(out: Path) -> list[Path]:
    return sorted(out.glob(".*.tmp"))


def _kill_while_writing(args, out: Path, timeout=300) -> bool:
    """Run the batch and SIGKILL it the moment a temporary file shows; True when one did."""
    proc = subprocess.Popen([*TRYON, *args, "--out", str(out)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if out.is_dir() and _temporaries(out):
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                return True
            time.sleep(POLL_S)
        return False
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_atomic_write_killed_mid_write_leaves_no_file_and_the_rerun_cleans_up(tmp_path):
    target = tmp_path / "out" / "a__b.png"
    target.parent.mkdir()
    script = ("import sys, time\nfrom tryon.io import atomic_write\n"
              "def half(fh):\n    fh.write(b'\\x89PNG' + b'x' * 5000); fh.flush()\n"
              "    print('half', flush=True); time.sleep(120)\n"
              f"atomic_write({str(target)!r}, half)\n")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "half"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
    assert not target.exists()                       # never a half-written image under its name
    assert len(_temporaries(target.parent)) == 1     # what the killed writer left
    assert remove_stale_temporaries([target]) == 1 and _temporaries(target.parent) == []
    atomic_write(target, lambda fh: fh.write(b"whole"))
    assert target.read_bytes() == b"whole"


def test_batch_killed_with_sigkill_mid_write_keeps_whole_images_and_resumes(catalogue, tmp_path):
    out = tmp_path / "out"
    caught = 0
    for _ in range(KILL_ROUNDS):
        if not _kill_while_writing(catalogue, out):
            break                                    # the run finished before a write was seen
        caught += 1
        _whole_images(out)                           # after every kill: only whole images
        if len(list(out.glob("*.png"))) >= 2:
            break
    assert caught >= 1, "no run was ever caught writing"
    before = _whole_images(out)
    assert len(before) < 8
    r = _batch(catalogue, out)
    assert r.returncode == 0, r.stderr
    assert f"done {8 - len(before)}, skipped {len(before)} already done" in r.stdout
    assert len(_whole_images(out)) == 8 and _temporaries(out) == []


def _mount_tmpfs(where: Path, size: int) -> None:
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], check=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs to fill up needs root")
@pytest.mark.skipif(shutil.which("mount") is None, reason="no mount command")
def test_a_full_output_disk_stops_with_one_sentence_keeps_results_and_resumes(catalogue, tmp_path):
    # One output's size, written on the ordinary disk first.
    (tmp_path / "one.txt").write_text("p0.png shirt.png\n")
    probe = _batch(["batch", "--pairs", str(tmp_path / "one.txt"), *catalogue[3:]], tmp_path / "probe")
    assert probe.returncode == 0, probe.stderr
    one = (tmp_path / "probe" / "p0__shirt.png").stat().st_size
    disk = tmp_path / "disk"
    disk.mkdir()
    size = (int(one * 2.5) // PAGE + 1) * PAGE       # room for two outputs, not three
    try:
        _mount_tmpfs(disk, size)
    except subprocess.CalledProcessError:
        pytest.skip("this machine refuses to mount a tmpfs (a container without the capability)")
    try:
        out = disk / "out"
        r = _batch(catalogue, out)
        assert r.returncode == 1
        assert r.stderr.splitlines() == [r.stderr.strip()], r.stderr
        assert "is full" in r.stderr and "run the same command again" in r.stderr
        kept = _whole_images(out)
        assert len(kept) == 2 and _temporaries(out) == []
        subprocess.run(["mount", "-o", f"remount,size={size * 8}", str(disk)], check=True)
        again = _batch(catalogue, out)
        assert again.returncode == 0, again.stderr
        assert "done 6, skipped 2 already done" in again.stdout
        assert len(_whole_images(out)) == 8
    finally:
        subprocess.run(["umount", str(disk)], check=False)
