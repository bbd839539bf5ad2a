"""Shared fixtures: the repository's paths, the bundled examples, and the served app."""

from __future__ import annotations

import os
import socket
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_VITON = ROOT.parent / "shared" / "data" / "viton_train.tar.gz"
VITON_SUBSET = 120                      # pairs extracted for tests (the first of train_pairs.txt)
VITON_CACHE = Path(os.environ.get("TRYON_TEST_CACHE", "/tmp/tryon-test-data")) / "viton"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def examples_dir(repo_root: Path) -> Path:
    return repo_root / "assets" / "examples"


@pytest.fixture(scope="session")
def person_example(examples_dir: Path) -> Path:
    path = examples_dir / "person" / "astronaut.png"
    assert path.is_file(), f"the bundled example person photo is missing: {path}"
    return path


@pytest.fixture(scope="session")
def garment_examples(examples_dir: Path) -> list[Path]:
    paths = sorted((examples_dir / "garments").glob("*.jpg"))
    assert paths, f"no bundled example garments in {examples_dir / 'garments'}"
    return paths


@pytest.fixture(scope="session")
def garment_example(garment_examples: list[Path]) -> Path:
    """One example garment: a plain T-shirt where there is one."""
    return next((p for p in garment_examples if p.stem.startswith("tshirt")), garment_examples[0])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def served_app() -> str:
    """The real Gradio app, served on a free local port for the session; yields its URL."""
    import gradio_app  # imported here: gradio is slow to import and most tests never need it

    demo = gradio_app.launch(host="127.0.0.1", port=_free_port(), prevent_thread_lock=True,
                             quiet=True)
    try:
        yield demo.local_url
    finally:
        demo.close()


def _extract_viton_subset(tarball: Path, dest: Path, n: int) -> Path:
    """Extract the first ``n`` pairs of the VITON train split (all five folders) into ``dest``."""
    tmp = dest.with_name(dest.name + ".partial")
    with tarfile.open(tarball, "r:gz") as tar:
        pairs = tar.extractfile("viton/train_pairs.txt").read().decode().splitlines()[:n]
    stems = {line.split()[0].rsplit("_", 1)[0] for line in pairs}
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "train_pairs.txt").write_text("\n".join(pairs) + "\n")
    with tarfile.open(tarball, "r|gz") as tar:  # one sequential pass
        for member in tar:
            name = Path(member.name).name
            if member.isfile() and name.split("_", 1)[0] in stems and member.name.startswith("viton/train/"):
                target = tmp / Path(member.name).relative_to("viton")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(tar.extractfile(member).read())
    tmp.rename(dest)
    return dest


@pytest.fixture(scope="session")
def viton_dir() -> Path:
    """A VITON-layout folder (``train_pairs.txt``, ``train/{image,cloth,...}``).

    ``$TRYON_VITON_DIR`` or ``/tmp/data/viton`` when extracted there; else a subset of
    ``../shared/data/viton_train.tar.gz`` extracted once into ``$TRYON_TEST_CACHE``; else skip.
    """
    for candidate in (os.environ.get("TRYON_VITON_DIR"), "/tmp/data/viton"):
        if candidate and (Path(candidate) / "train" / "cloth").is_dir():
            return Path(candidate)
    if (VITON_CACHE / "train" / "cloth").is_dir():
        return VITON_CACHE
    if not SHARED_VITON.is_file():
        pytest.skip(f"needs the VITON data set: {SHARED_VITON} is absent (a fresh clone has no ../shared)")
    return _extract_viton_subset(SHARED_VITON, VITON_CACHE, VITON_SUBSET)


@pytest.fixture(scope="session")
def tiny_prepared(tmp_path_factory):
    """A tiny generated VITON folder (5 pairs) after `tryon prepare`: ``(root, cache_dir)``."""
    from tiny_viton import make_tiny_viton
    from tryon.cli import main

    root = make_tiny_viton(tmp_path_factory.mktemp("viton") / "viton", 5)
    cache = root / "train" / "tryon-cache"
    assert main(["prepare", "--data", str(root), "--cache", str(cache)]) == 0
    return root, cache
