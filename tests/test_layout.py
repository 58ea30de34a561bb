"""The package's shape: one direction of imports between builder/'s folders, every
package shipped, the schema free of Keras, each sequence task in one folder.

The import graph's nodes are builder/'s top-level folders (spec, catalog, ...) and
the modules at builder/'s root; an edge is a module-level import from one node
into another (imports inside functions are lazy and do not count). A cycle means
two folders each need the other to load, so neither can be read on its own.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "builder"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {module_name(p): p for p in PKG.rglob("*.py")}


def node_of(module: str) -> str:
    """builder.spec.load -> spec; builder.cli_help -> cli_help (a root module)."""
    parts = module.split(".")
    if len(parts) == 1:
        return "builder"
    return parts[1]


def module_imports(name: str, path: Path) -> list[str]:
    """The builder modules `name` imports at module level (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = []
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom):
            if stmt.level:
                base = package[: len(package) - (stmt.level - 1)]
                target = ".".join(base + ([stmt.module] if stmt.module else []))
            else:
                target = stmt.module or ""
            candidates = [target + "." + a.name for a in stmt.names] + [target]
        elif isinstance(stmt, ast.Import):
            candidates = [a.name for a in stmt.names]
        else:
            continue
        for c in candidates:
            if c in MODULES:
                found.append(c)
                break
    return found


def folder_edges() -> dict:
    """(from node, to node) -> ['module -> module', ...] for every cross-node import."""
    edges = {}
    for name, path in MODULES.items():
        for target in module_imports(name, path):
            a, b = node_of(name), node_of(target)
            if a != b and a != "builder":  # builder/__init__ is the package's root
                edges.setdefault((a, b), []).append(f"{name} -> {target}")
    return edges


def find_cycle(edges: dict) -> list | None:
    graph = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
    state, stack = {}, []

    def visit(v):
        state[v] = "open"
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if state.get(w) == "open":
                return stack[stack.index(w):] + [w]
            if w not in state:
                cycle = visit(w)
                if cycle:
                    return cycle
        stack.pop()
        state[v] = "done"
        return None

    for v in sorted(graph):
        if v not in state:
            cycle = visit(v)
            if cycle:
                return cycle
    return None


def test_the_folder_import_graph_has_no_cycle():
    edges = folder_edges()
    cycle = find_cycle(edges)
    if cycle:
        lines = [f"{a} -> {b}: " + "; ".join(edges[(a, b)][:3])
                 for a, b in zip(cycle, cycle[1:])]
        pytest.fail("the folders of builder/ import each other in a cycle:\n  "
                    + "\n  ".join(lines))


def test_the_cycle_check_finds_a_cycle():
    """The check above can fail: a made-up back edge data -> run closes a cycle."""
    edges = folder_edges()
    assert ("run", "data") in edges  # run/ reads the saved preprocessing with data/'s steps
    edges[("data", "run")] = ["builder.data.x -> builder.run.y"]
    cycle = find_cycle(edges)
    assert cycle and "data" in cycle and "run" in cycle


def test_core_imports_nothing_else_of_builder():
    """core/ is the bottom: the vocabulary every folder shares (even lazily)."""
    for name, path in MODULES.items():
        if node_of(name) != "core":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                target = "." * node.level + (node.module or "")
                # `from .. import register_custom_objects` (keras_env, lazily) is the one
                # door back up: registering kspec's layers once Keras has loaded
                assert target in (".", "..") and node.level <= 2, f"{name} imports {target}"
                if node.level == 2:
                    assert [a.name for a in node.names] == ["register_custom_objects"], name


def test_the_spec_folder_loads_without_tensorflow_or_keras():
    """Importing every module of builder/spec (and so all it imports at module level)
    loads neither TensorFlow nor Keras: `kspec validate` stays instant."""
    names = sorted(n for n in MODULES if node_of(n) == "spec")
    code = ("import importlib, sys\n"
            f"for name in {names!r}:\n    importlib.import_module(name)\n"
            "bad = [m for m in ('tensorflow', 'keras') if m in sys.modules]\n"
            "assert not bad, bad\nprint('clean', len(sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=str(ROOT))
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("clean")


def all_imports(path: Path, name: str) -> list[str]:
    """Every builder module `name` imports, at any depth (lazy imports included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - (node.level - 1)] if node.level else []
            target = ".".join(base + ([node.module] if node.module else [])) if node.level \
                else (node.module or "")
            out += [target + "." + a.name for a in node.names] + [target]
        elif isinstance(node, ast.Import):
            out += [a.name for a in node.names]
    return [t for t in out if t.startswith("builder")]


@pytest.mark.parametrize("task", ["forecast", "language_model"])
def test_a_sequence_task_lives_in_its_own_folder(task):
    """Nothing outside builder/tasks/<task>/ reaches into the task's modules: the rest of
    kspec finds the task through the registry (tasks/__init__ imports the package) and
    uses it through its Task methods (tasks/base.use). A forecasting helper written
    elsewhere, or a command importing `tasks.forecast.series`, fails this."""
    folder = f"builder.tasks.{task}"
    assert (PKG / "tasks" / task / "__init__.py").is_file()
    offenders = []
    for name, path in MODULES.items():
        if name == folder or name.startswith(folder + "."):
            continue
        for target in all_imports(path, name):
            if target.startswith(folder + "."):
                offenders.append(f"{name} -> {target}")
            elif target == folder and name != "builder.tasks":
                offenders.append(f"{name} -> {target}")
    assert not offenders, f"outside builder/tasks/{task}/: " + "; ".join(sorted(set(offenders)))
    cli_text = (ROOT / "cli.py").read_text(encoding="utf-8")
    assert f"builder.tasks.{task}" not in cli_text, "cli.py goes through tasks.base.use"


def test_no_module_outside_the_task_folders_defines_task_logic():
    """The old homes of task code stay gone (one place per idea)."""
    for old in ("train", "predict.py", "generate.py", "forecast.py", "textgen.py"):
        assert not (PKG / old).exists(), f"builder/{old} came back"


def test_nothing_imports_the_studio():
    """builder/studio/ is the top of the import order (it may use every folder); no other
    folder reaches into it, even lazily, so the studio's web dependencies (starlette,
    uvicorn) are never needed by validate, train or grade."""
    assert (PKG / "studio" / "__init__.py").is_file()
    offenders = [f"{name} -> {target}" for name, path in MODULES.items()
                 if node_of(name) != "studio"
                 for target in all_imports(path, name) if target.startswith("builder.studio")]
    assert not offenders, "; ".join(sorted(set(offenders)))
    edges = folder_edges()
    assert not [e for e in edges if e[1] == "studio"]
