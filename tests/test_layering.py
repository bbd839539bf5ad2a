"""The import graph of tryon/ and pipelines/ (read with ``ast``, nothing is imported) flows one way.

io -> pose / body / garment (/ parse) -> conditioning -> warp -> render -> composite -> paste-back;
``tryon.data`` and ``tryon.training`` build on that, ``pipelines/`` composes it for inference.
See docs/architecture.md.

Every ``import`` counts: at module level, inside functions, under ``if TYPE_CHECKING``. A package's
``__init__`` is a node of its own. Importing ``a.b.c`` from outside the package ``a.b`` also runs
``a/__init__`` and ``a/b/__init__``, so such an import adds edges to those too; a module importing a
sibling of its own package does not (its package is already being imported).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("tryon", "pipelines")
TOP_MODULES = ("gradio_app",)
# Entry points sit on top of everything: they parse input and call pipelines, like the UI.
# TODO(cli): tryon/cli.py is the console script and imports pipelines and gradio_app by design; it is
# exempt from "tryon never imports pipelines" until the CLI moves out of the tryon package.
ENTRY_POINTS = {"tryon.cli", "tryon.cli_common", "tryon.cli_eval"}  # the console script, in three modules


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    files = [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py") if "__pycache__" not in p.parts]
    files += [ROOT / f"{m}.py" for m in TOP_MODULES if (ROOT / f"{m}.py").is_file()]
    return {_module_name(p): p for p in files}


def _is_package(name: str, sources: dict[str, Path]) -> bool:
    return sources[name].name == "__init__.py"


def _known(name: str, sources: dict[str, Path]) -> str | None:
    """The longest prefix of dotted ``name`` that is one of our modules, or None (third party)."""
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in sources:
            return ".".join(parts[:n])
    return None


def _imported(node: ast.AST, module: str, sources: dict[str, Path]) -> list[str]:
    """The dotted names an Import / ImportFrom node loads (our modules only)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:  # relative: from the importing module's package, up level - 1
            package = module if _is_package(module, sources) else module.rpartition(".")[0]
            for _ in range(node.level - 1):
                package = package.rpartition(".")[0]
            base = f"{package}.{base}" if base else package
        # ``from pkg import sub`` loads the submodule; ``from pkg import name`` only the package
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in sources else base for a in node.names]
    return [k for k in (_known(n, sources) for n in names) if k is not None]


def _edges(module: str, target: str) -> set[str]:
    """``target`` and the package ``__init__`` modules importing it runs, seen from ``module``."""
    parts = target.split(".")
    out = {target}
    for n in range(1, len(parts)):
        package = ".".join(parts[:n])
        if not (module == package or module.startswith(package + ".")):  # not already inside it
            out.add(package)
    return out


def import_graph() -> dict[str, set[str]]:
    """``{module: modules it imports}`` over tryon/, pipelines/ and gradio_app."""
    sources = _sources()
    graph: dict[str, set[str]] = {}
    for module, path in sources.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        deps: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in _imported(node, module, sources):
                    deps |= _edges(module, target)
        deps.discard(module)
        graph[module] = {d for d in deps if d in sources}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _reachable(graph: dict[str, set[str]], start: str) -> dict[str, str]:
    """Every module ``start`` imports, directly or not: ``{module: the module that imports it}``."""
    seen: dict[str, str] = {}
    todo = [start]
    while todo:
        v = todo.pop()
        for w in graph[v]:
            if w not in seen and w != start:
                seen[w] = v
                todo.append(w)
    return seen


def _path(graph: dict[str, set[str]], start: str, end: str) -> str:
    parents = _reachable(graph, start)
    chain = [end]
    while chain[-1] != start:
        chain.append(parents[chain[-1]])
    return " -> ".join(reversed(chain))


def _under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph()


def test_the_graph_is_read(graph):
    """Guards the reader itself: known edges, function-level ones included, are seen."""
    assert {"tryon", "tryon.data", "tryon.conditioning", "pipelines", "pipelines.tryon_pipeline"} <= graph.keys()
    assert "tryon.conditioning" in graph["tryon.data.tryon_pairs"]
    assert "tryon.pose" in graph["pipelines.tryon_pipeline"]
    assert "tryon.data" not in graph["tryon.data.bodies"]  # siblings do not point at their own __init__
    assert "tryon.models" in graph["tryon.data.parsing"]     # outsiders run the package's __init__


def test_no_import_cycles(graph):
    cycles = _cycles(graph)
    assert not cycles, "import cycles (each line: modules that import one another):\n" + "\n".join(
        " <-> ".join(c) for c in cycles)


@pytest.mark.parametrize("forbidden", ["tryon.data", "tryon.training"])
def test_pipelines_never_reach_training_code(graph, forbidden):
    bad = [_path(graph, m, t) for m in graph if _under(m, "pipelines")
           for t in _reachable(graph, m) if _under(t, forbidden)]
    message = f"pipelines/ must not import {forbidden}, even indirectly:\n"
    assert not bad, message + "\n".join(sorted(set(bad)))


def test_conditioning_never_reaches_data(graph):
    bad = [_path(graph, "tryon.conditioning", t) for t in _reachable(graph, "tryon.conditioning")
           if _under(t, "tryon.data")]
    assert not bad, "tryon.data may import tryon.conditioning, never the reverse:\n" + "\n".join(bad)


def test_tryon_never_imports_pipelines_or_the_app(graph):
    bad = [f"{m} -> {t}" for m, deps in graph.items() if _under(m, "tryon") and m not in ENTRY_POINTS
           for t in deps if _under(t, "pipelines") or t in TOP_MODULES]
    message = "tryon/ holds the parts, pipelines/ composes them; not the reverse:\n"
    assert not bad, message + "\n".join(sorted(bad))


def test_one_pipeline_never_imports_another(graph):
    """Shared steps live in tryon (e.g. the garment check in tryon.conditioning), not in a pipeline."""
    bad = [f"{m} -> {t}" for m, deps in graph.items() if _under(m, "pipelines") and m != "pipelines"
           for t in deps if _under(t, "pipelines")]
    assert not bad, "a pipeline imports another:\n" + "\n".join(sorted(bad))


@pytest.mark.parametrize("module", ["tryon.tensors", "tryon.errors", "tryon.constants", "tryon.assets"])
def test_the_bottom_layer_imports_nothing_of_ours(graph, module):
    """Shared by every layer (the uint8 <-> tensor converter, errors, named constants, asset paths)."""
    assert not graph[module], f"{module} must stay importable from anywhere, but imports {sorted(graph[module])}"


# The import layers of docs/architecture.md: a module imports only from its own layer or below.
# Patterns are module names or ``prefix.*``; a module no pattern names is not checked.
LAYERS = {
    1: ("tryon", "tryon.errors", "tryon.constants", "tryon.tensors", "tryon.assets"),
    2: ("tryon.io", "tryon.hub", "tryon.pairs"),
    3: ("tryon.pose", "tryon.body", "tryon.alignment", "tryon.region", "tryon.masks", "tryon.paste",
        "tryon.garment", "tryon.garment_segmentation", "tryon.garment_keypoints", "tryon.parse", "tryon.warp",
        "tryon.composite", "tryon.models", "tryon.models.*"),
    4: ("tryon.conditioning", "tryon.anomaly"),
    5: ("pipelines", "pipelines.*", "tryon.data", "tryon.data.*", "tryon.training", "tryon.training.*",
        "tryon.losses", "tryon.metrics", "tryon.evaluate", "tryon.eval_tryon", "tryon.eval_tryon.*",
        "tryon.eval_parser", "tryon.batch", "tryon.bench"),
    6: ("tryon.cli", "tryon.cli_args", "tryon.cli_common", "tryon.cli_eval", "tryon.app_design", "gradio_app"),
}


def _layer(module: str) -> int | None:
    for layer, patterns in LAYERS.items():
        if any(module == p or (p.endswith(".*") and module.startswith(p[:-1])) for p in patterns):
            return layer
    return None


def test_imports_go_down_the_layers(graph):
    bad = [f"{m} (layer {_layer(m)}) -> {d} (layer {_layer(d)})" for m, deps in graph.items() for d in deps
           if _layer(m) is not None and _layer(d) is not None and _layer(d) > _layer(m)]
    assert not bad, "imports against the layers of docs/architecture.md:\n" + "\n".join(sorted(bad))
