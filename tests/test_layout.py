"""The package's shape: one direction of imports between builder/'s folders, every
package shipped, the schema free of Keras, each sequence task in one folder.

The import graph's nodes are builder/'s top-level folders (spec, catalog, ...) and
the modules at builder/'s root; an edge is a module-level import from one node
into another (imports inside functions are lazy and do not count). A cycle means
two folders each need the other to load, so neither can be read on its own.
"""
from __future__ import annotations

import ast
import re
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
