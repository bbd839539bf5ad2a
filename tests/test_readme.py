"""The README is executable: every ```python and ```bash / ```sh / ```shell block in it runs.

Each block is one test, named after the README line of its opening fence (``L63-python``). It
runs in a fresh temporary folder that holds what the README's commands expect to find: a copy
of ``assets/examples``, ``.venv`` (a link to the environment running the tests, so that
``.venv/bin/tryon`` works), and the README's placeholder inputs (``PERSON.jpg``, ``me.jpg``,
``shirt.png``, ``pairs.txt``, ...) made from the bundled examples. Nothing is written into the
repository. Python blocks run with this interpreter, shell blocks with ``bash -euo pipefail``;
both with ``.venv/bin`` first on ``PATH``, ``GRADIO_ANALYTICS_ENABLED=False`` and a timeout.

An HTML comment on the line just before a fence changes how its block runs:

- ``<!-- readme-test: skip (the reason) -->``: not run; the test is reported as skipped with the
  reason (blocks that need the VITON data set, a GPU, hours of training, that serve until they
  are stopped, or that are the set-up commands themselves).
- ``<!-- readme-test: server -->``: a client of the web app; it runs against the app this test
  session serves (the ``served_app`` fixture), at the address written in the README.
- ``<!-- readme-test: server, continues -->``: the same, after the previous block of the same
  language (for a block that uses the names that one defines).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
# The environment running the tests: the repository's .venv under `make test`.
VENV = ROOT / ".venv" if (ROOT / ".venv" / "bin").is_dir() else Path(sys.prefix)
BLOCK_TIMEOUT_S = 300
README_URL = "http://127.0.0.1:7860"  # where the README's client examples find the app
LANGUAGES = {"python": "python", "bash": "bash", "sh": "bash", "shell": "bash"}
TOOLS = ("curl", "jq")  # programs shell blocks may call that are not part of the project

FENCE = re.compile(r"^```\s*([\w+-]*)\s*$")
MARKER = re.compile(r"^<!--\s*readme-test:\s*(.*?)\s*-->$")
SKIP = re.compile(r"^skip\s*\((.+)\)$")

# The README's placeholder inputs, made from the bundled examples (in the format their names say).
PERSON, GARMENT, OTHER_GARMENT = ("person/astronaut.png", "garments/tshirt_blue.jpg",
                                  "garments/hoodie_blue.jpg")
PLACEHOLDERS = {
    "PERSON.jpg": PERSON, "me.jpg": PERSON, "holiday.jpg": PERSON, "people/astronaut.png": PERSON,
    "WORN.jpg": PERSON,  # a photo of someone wearing the garment: the astronaut's suit
    "GARMENT.jpg": GARMENT, "GARMENT.png": GARMENT, "shirt.png": GARMENT, "shirt.jpg": GARMENT,
    "a.png": GARMENT, "b.jpg": OTHER_GARMENT, "photo.jpg": OTHER_GARMENT,
    "garments/tshirt_blue.jpg": GARMENT,
}
PAIRS = "# person garment\nastronaut.png tshirt_blue.jpg\n"  # for pairs.txt, people/ and garments/


@dataclass(frozen=True)
class Block:
    line: int            # README line of the opening fence
    lang: str            # "python" or "bash"
    code: str
    skip: str | None = None
    server: bool = False
    continues: bool = False

    @property
    def id(self) -> str:
        return f"L{self.line}-{self.lang}"


def _options(marker: str, line: int) -> dict:
    """The keyword arguments of :class:`Block` that a ``readme-test:`` marker asks for."""
    options: dict = {}
    for part in (p.strip() for p in re.split(r",(?![^(]*\))", marker)):
        if (skip := SKIP.match(part)) is not None:
            options["skip"] = skip.group(1).strip()
        elif part in ("server", "continues"):
            options[part] = True
        else:
            raise ValueError(f"README.md:{line - 1}: unknown readme-test option {part!r} "
                             "(expected 'skip (reason)', 'server' or 'continues')")
    return options


def readme_blocks(text: str) -> list[Block]:
    """The python and shell blocks of a Markdown text, with their ``readme-test:`` markers."""
    blocks, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if fence is None:
            i += 1
            continue
        start, end = i, i + 1
        while end < len(lines) and lines[end].rstrip() != "```":
            end += 1
        marker = MARKER.match(lines[start - 1].strip()) if start else None
        lang = LANGUAGES.get(fence.group(1).lower())
        if lang is not None:
            options = _options(marker.group(1), start + 1) if marker else {}
            blocks.append(Block(start + 1, lang, "\n".join(lines[start + 1:end]) + "\n", **options))
        elif marker is not None:
            raise ValueError(f"README.md:{start}: a readme-test marker on a block that is not run")
        i = end + 1
    return blocks


BLOCKS = readme_blocks(README.read_text(encoding="utf-8"))


def _previous(block: Block) -> Block:
    earlier = [b for b in BLOCKS if b.lang == block.lang and b.line < block.line]
    if not earlier:
        raise ValueError(f"README.md:{block.line}: 'continues', but no {block.lang} block "
                         "comes before it")
    return earlier[-1]


def _script(block: Block) -> str:
    return (_script(_previous(block)) if block.continues else "") + block.code


def _workdir(folder: Path, examples: Path) -> Path:
    """A folder laid out as the README's commands expect (see the module docstring)."""
    shutil.copytree(examples, folder / "assets" / "examples")
    (folder / ".venv").symlink_to(VENV, target_is_directory=True)
    for name, source in PLACEHOLDERS.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        with Image.open(examples / source) as image:
            image.convert("RGB").save(folder / name)
    (folder / "pairs.txt").write_text(PAIRS)
    return folder


def _environment() -> dict[str, str]:
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", VIRTUAL_ENV=str(VENV))
    env["PATH"] = os.pathsep.join([str(VENV / "bin"), env.get("PATH", "")])
    env.pop("PYTHONPATH", None)  # the blocks see the installed project, as a reader's shell does
    return env


def test_the_readme_has_blocks_to_run() -> None:
    """The try-on examples (CLI and Python API) run: they may not be marked skip."""
    run = [b for b in BLOCKS if b.skip is None]
    assert any("tryon try-on" in b.code and b.lang == "bash" for b in run)
    assert any("TryOnPipeline.from_pretrained" in b.code and b.lang == "python" for b in run)
    serving_or_set_up = re.compile(r"\bmake (run|test|install)\b|tryon serve")
    assert all(b.skip for b in BLOCKS if serving_or_set_up.search(b.code))


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_readme_block(block: Block, request: pytest.FixtureRequest, tmp_path: Path,
                      examples_dir: Path) -> None:
    if block.skip is not None:
        pytest.skip(block.skip)
    script = _script(block)
    missing = [t for t in TOOLS if re.search(rf"\b{t}\b", script) and shutil.which(t) is None]
    if block.lang == "bash" and missing:
        pytest.skip(f"needs {', '.join(missing)}, which is not installed")
    if block.server:
        assert README_URL in script, f"README.md:{block.line}: a server block must use {README_URL}"
        script = script.replace(README_URL, request.getfixturevalue("served_app").rstrip("/"))

    work = _workdir(tmp_path / "work", examples_dir)
    path = work / ("block.py" if block.lang == "python" else "block.sh")
    path.write_text(script)
    command = ([sys.executable, path.name] if block.lang == "python"
               else ["bash", "-euo", "pipefail", path.name])
    try:
        proc = subprocess.run(command, cwd=work, env=_environment(), capture_output=True,
                              text=True, timeout=BLOCK_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"README.md:{block.line}: the {block.lang} block ran past {BLOCK_TIMEOUT_S} s")
    assert proc.returncode == 0, (
        f"README.md:{block.line}: the {block.lang} block exited {proc.returncode}\n"
        f"--- block\n{script}--- stdout\n{proc.stdout[-3000:]}--- stderr\n{proc.stderr[-3000:]}")
