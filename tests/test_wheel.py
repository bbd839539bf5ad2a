"""The wheel works anywhere: built from the sources, installed into a fresh virtual environment,
used from another folder.

Offline: the wheel is built without build isolation and installed with ``--no-deps --no-index``.
The fresh environment sees the dependencies already installed here through a plain path line in a
``.pth`` file (path lines do not run the editable install's finder, so the checkout's tryon stays
invisible); the test checks that ``tryon`` really comes from the wheel. The build runs on a copy of
the sources, so no ``build/`` or ``*.egg-info`` is left in the checkout. It builds with this
environment's setuptools (the dev extra pins one that needs no ``wheel`` package). About 30-40 s.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
# What a build needs: the metadata, the package layout and what it packs.
SOURCES = ("pyproject.toml", "setup.py", "README.md", "gradio_app.py", "tryon", "pipelines", "assets")
TIMEOUT = 300

pytestmark = pytest.mark.slow


def _run(args: list, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    r = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                       timeout=TIMEOUT)
    assert r.returncode == 0, f"{' '.join(map(str, args))} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


def _clean_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", GRADIO_ANALYTICS_ENABLED="False")
    return env


def _copy_sources(dest: Path) -> Path:
    dest.mkdir()
    for name in SOURCES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(src, dest / name)
    return dest


def _residue() -> dict[str, float]:
    """Build leftovers in the checkout (``build/``, ``*.egg-info``) and when they last changed."""
    return {p.name: p.stat().st_mtime for p in [ROOT / "build", *ROOT.glob("*.egg-info")] if p.exists()}


def _packages_on_disk() -> set[str]:
    return {str(p.parent.relative_to(ROOT)).replace(os.sep, ".")
            for top in ("tryon", "pipelines") for p in (ROOT / top).rglob("__init__.py")
            if "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """Build the wheel and install it into a fresh venv (paths, and the environment to run with)."""
    import setuptools

    major, minor = (int(x) for x in setuptools.__version__.split(".")[:2])
    assert (major, minor) >= (70, 1) or importlib.util.find_spec("wheel"), (
        f"setuptools {setuptools.__version__} cannot build a wheel without the `wheel` package: "
        "install the dev extra (`make install`, or pip install -e '.[dev]')")
    tmp = tmp_path_factory.mktemp("wheel")
    residue = _residue()
    env = _clean_env()
    src = _copy_sources(tmp / "src")
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index",
          "-w", tmp / "dist", src], tmp, env)
    wheel = next((tmp / "dist").glob("tryon-*.whl"))

    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], tmp, env)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp,
                        env).stdout.strip())
    ours = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))  # our dependencies
    (purelib / "_tryon_test_deps.pth").write_text("".join(f"{p}\n" for p in ours))
    _run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", wheel],
         tmp, env)
    return {"wheel": wheel, "venv": venv, "python": python, "purelib": purelib, "env": env, "tmp": tmp,
            "residue": residue}


def test_the_build_leaves_nothing_in_the_checkout(installed):
    assert _residue() == installed["residue"]


def test_the_wheel_holds_every_package_and_the_assets(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    packages = {n.rpartition("/")[0].replace("/", ".") for n in names if n.endswith("/__init__.py")}
    assert _packages_on_disk() <= packages, f"missing from the wheel: {_packages_on_disk() - packages}"
    assert "gradio_app.py" in names
    for asset in (ROOT / "assets").rglob("*"):
        if asset.is_file():
            assert f"tryon/_assets/{asset.relative_to(ROOT / 'assets').as_posix()}" in names


def test_imports_come_from_the_wheel_and_find_its_assets(installed):
    code = ("import json, tryon, tryon.assets, pipelines, gradio_app; "
            "from pipelines import TryOnPipeline, GarmentDesignPipeline; "
            "print(json.dumps({'tryon': tryon.__file__, 'pipelines': pipelines.__file__, "
            "'app': gradio_app.__file__, 'assets': str(tryon.assets.root()), 'version': tryon.__version__}))")
    run_dir = installed["tmp"] / "elsewhere"
    run_dir.mkdir(exist_ok=True)
    out = _run([installed["python"], "-c", code], run_dir, installed["env"]).stdout
    found = json.loads(out.strip().splitlines()[-1])
    venv = installed["venv"].resolve()
    for key in ("tryon", "pipelines", "app", "assets"):
        assert Path(found[key]).resolve().is_relative_to(venv), f"{key} comes from {found[key]}, not the venv"
    assert Path(found["assets"]).name == "_assets"
    assert installed["wheel"].name.startswith(f"tryon-{found['version']}-")


def test_cli_try_on_and_both_pipelines_from_another_folder(installed):
    examples = installed["purelib"] / "tryon" / "_assets" / "examples"
    person = examples / "person" / "astronaut.png"
    garment = sorted((examples / "garments").glob("tshirt*.jpg"))[0]
    run_dir = installed["tmp"] / "shop"
    run_dir.mkdir(exist_ok=True)
    script = installed["venv"] / ("Scripts/tryon.exe" if os.name == "nt" else "bin/tryon")
    _run([script, "try-on", person, garment, "-o", "out.png"], run_dir, installed["env"])
    with Image.open(run_dir / "out.png") as out, Image.open(person) as photo:
        assert out.size == photo.size
    code = ("from pipelines import TryOnPipeline, GarmentDesignPipeline; "
            "design = GarmentDesignPipeline.from_pretrained(); "
            "assert design.sample(1, seed=0)[0].mode == 'RGBA'; "
            "assert TryOnPipeline.from_pretrained().garment_checker is not None; print('ok')")
    assert _run([installed["python"], "-c", code], run_dir, installed["env"]).stdout.strip().endswith("ok")
