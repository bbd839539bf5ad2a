"""Shared fixtures: the repository's paths, the bundled examples, and the served app."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


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
