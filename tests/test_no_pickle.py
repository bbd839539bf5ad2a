"""No pickle on any load path: weights are safetensors + JSON, arrays are loaded without pickle.

Two ways: the source is read (every call that can unpickle must be absent or made safe), and
the bundled pipelines are loaded with Python's unpickler disabled.
"""

from __future__ import annotations

import ast
import pickle
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted([*(ROOT / "tryon").rglob("*.py"), *(ROOT / "pipelines").rglob("*.py"), ROOT / "gradio_app.py"])
PICKLING_MODULES = {"pickle", "cPickle", "_pickle", "dill", "cloudpickle", "joblib", "shelve", "marshal"}
UNSAFE_CALLS = {"read_pickle", "hub.load"}   # pandas, torch.hub
# accelerate's load_state loads models, optimizers and RNG states with weights_only=True, but
# unpickles every object registered with register_for_checkpointing: unsafe together.
REGISTER = "register_for_checkpointing"


def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield node, ast.unparse(node.func)


def _keyword(call: ast.Call, name: str):
    for kw in call.keywords:
        if kw.arg == name:
            return ast.literal_eval(kw.value) if isinstance(kw.value, ast.Constant) else "dynamic"
    return None


def _problems(path: Path) -> list[str]:
    """Every way ``path``'s code could unpickle, as ``file:line what``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    where = lambda node: f"{path.relative_to(ROOT)}:{node.lineno}"  # noqa: E731
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] + ([node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            out += [f"{where(node)} imports {n}" for n in names if n.split(".")[0] in PICKLING_MODULES]
    for call, name in _calls(tree):
        if name.endswith("torch.load") and _keyword(call, "weights_only") is not True:
            out.append(f"{where(call)} torch.load without weights_only=True")
        if name in ("np.load", "numpy.load") and _keyword(call, "allow_pickle") not in (None, False):
            out.append(f"{where(call)} np.load with allow_pickle")
        if any(name.endswith(u) for u in UNSAFE_CALLS):
            out.append(f"{where(call)} {name} (unpickles)")
        if name.endswith(REGISTER):
            out.append(f"{where(call)} {name} (accelerate's load_state unpickles what it registers)")
    return out


def test_the_checker_finds_what_it_looks_for(tmp_path):
    """The source check itself: each unsafe form is caught, the safe forms are not."""
    bad = tmp_path / "bad.py"
    bad.write_text("import pickle\nimport torch, numpy as np\nfrom joblib import load\n"
                   "torch.load('a.pt')\ntorch.load('a.pt', weights_only=False)\n"
                   "np.load('a.npy', allow_pickle=True)\naccelerator.register_for_checkpointing(ema)\n")
    good = tmp_path / "good.py"
    good.write_text("import torch, numpy as np\ntorch.load('a.pt', weights_only=True)\n"
                    "np.load('a.npy')\nnp.load('a.npz', allow_pickle=False)\naccelerator.load_state('dir')\n")
    global ROOT
    root, ROOT = ROOT, tmp_path
    try:
        assert len(_problems(bad)) == 6, _problems(bad)
        assert _problems(good) == []
    finally:
        ROOT = root


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_load_path_can_unpickle(path):
    """Training resume included: the EMA is saved as safetensors, not registered with accelerate."""
    assert _problems(path) == []


@pytest.fixture
def no_unpickling(monkeypatch):
    """Python's unpickler refuses to run (torch.load without weights_only uses it)."""
    def refuse(*args, **kwargs):
        raise AssertionError("something unpickled on a load path")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)


def test_the_bundled_pipelines_load_without_unpickling(no_unpickling):
    from pipelines import GarmentDesignPipeline, TryOnPipeline

    with pytest.raises(AssertionError):   # the guard is live
        pickle.loads(pickle.dumps(1))
    TryOnPipeline.from_pretrained()
    GarmentDesignPipeline.from_pretrained()
