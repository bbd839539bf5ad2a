"""Damaged or truncated weights files: one sentence naming the file, from the loader, the CLI
(exit 1) and the server start (refused)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tryon.assets import weights_dir
from tryon.errors import WeightsError
from tryon.hub import CONFIG_NAME, WEIGHTS_NAME
from tryon.models import VAE, VAEConfig

TINY_VAE = VAEConfig(resolution=(32, 24), channels=(8, 16), latent_dim=6, norm_groups=4)
TRYON = [sys.executable, "-m", "tryon.cli"]


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _break_header(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[8:40] = b"\x00garbage garbage garbage garbage"[:32]
    path.write_bytes(bytes(data))


def _nan_values(path: Path) -> None:
    """A whole-number header and data, one tensor overwritten with NaN (a bit rot stand-in)."""
    from safetensors.torch import load_file, save_file

    state = load_file(str(path))
    name = next(k for k, v in state.items() if v.is_floating_point() and v.numel() > 1)
    state[name] = torch.full_like(state[name], float("nan"))
    save_file(state, str(path), metadata={"format": "pt"})


DAMAGES = {  # (file, how it is damaged)
    "truncated weights": (WEIGHTS_NAME, _truncate),
    "empty weights": (WEIGHTS_NAME, lambda p: p.write_bytes(b"")),
    "broken weights header": (WEIGHTS_NAME, _break_header),
    "NaN in the weights": (WEIGHTS_NAME, _nan_values),
    "truncated config": (CONFIG_NAME, _truncate),
    "binary config": (CONFIG_NAME, lambda p: p.write_bytes(b"\xff\xfe\x00\x01" * 20)),
}


def _one_sentence_naming(message: str, path: Path) -> None:
    assert "\n" not in message and message.endswith("."), message
    assert str(path) in message, message


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_damaged_file_gives_one_sentence_naming_it(tmp_path, damage):
    folder = VAE(TINY_VAE).save_pretrained(tmp_path / "vae")
    name, spoil = DAMAGES[damage]
    spoil(folder / name)
    with pytest.raises(WeightsError) as err:
        VAE.from_pretrained(folder)
    _one_sentence_naming(str(err.value), folder / name)
    assert "download" in str(err.value) or "re-save" in str(err.value)


def test_an_intact_folder_still_loads(tmp_path):
    folder = VAE(TINY_VAE).save_pretrained(tmp_path / "vae")
    assert isinstance(VAE.from_pretrained(folder), VAE)


@pytest.fixture(scope="module")
def bundled_copy(tmp_path_factory) -> Path:
    """A copy of the bundled try-on network's folder, to damage."""
    target = tmp_path_factory.mktemp("weights") / "w"
    shutil.copytree(weights_dir() / "tryon", target / "tryon")
    return target


@pytest.mark.parametrize("name", [WEIGHTS_NAME, CONFIG_NAME])
def test_cli_exits_1_with_one_line_naming_the_damaged_file(bundled_copy, name, person_example,
                                                           garment_example, tmp_path):
    target = bundled_copy / "tryon" / name
    original = target.read_bytes()
    _truncate(target)
    try:
        r = subprocess.run([*TRYON, "try-on", person_example, garment_example, "-o", tmp_path / "o.png",
                            "--weights", bundled_copy], capture_output=True, text=True, timeout=180)
    finally:
        target.write_bytes(original)
    assert r.returncode == 1, r.stderr
    assert len(r.stderr.splitlines()) == 1 and r.stderr.startswith("error: "), r.stderr
    assert str(target) in r.stderr and "damaged or incomplete" in r.stderr
    assert not (tmp_path / "o.png").exists()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_server_refuses_to_start_with_the_sentence(tmp_path):
    """``tryon serve`` loads its models before serving: a damaged garment VAE stops it (exit 1,
    one line naming the file) instead of a server that fails on every request."""
    folder = tmp_path / "garment-vae"
    shutil.copytree(weights_dir() / "garment-vae", folder)
    _truncate(folder / WEIGHTS_NAME)
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}
    try:
        r = subprocess.run([*TRYON, "serve", "--port", str(_free_port()), "--garment-vae", folder],
                           capture_output=True, text=True, timeout=120, env=env)
    except subprocess.TimeoutExpired:
        pytest.fail("the server started on damaged weights instead of refusing")
    assert r.returncode == 1
    assert r.stderr.splitlines() == [r.stderr.strip()], r.stderr
    assert str(folder / WEIGHTS_NAME) in r.stderr and "damaged or incomplete" in r.stderr


def test_the_bundled_weights_load_cleanly():
    """Every bundled folder passes the same checks (no NaN, complete files)."""
    for folder in sorted(p for p in weights_dir().iterdir() if (p / CONFIG_NAME).is_file()):
        data = json.loads((folder / CONFIG_NAME).read_text())
        assert data["model_type"], folder
    from pipelines import TryOnPipeline

    TryOnPipeline.from_pretrained()
