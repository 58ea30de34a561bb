"""What the studio's editor asks about a spec's text: its problems (as `kspec validate`
says them, with line and column), its plan (each layer's shape, parameters, line and
arithmetic) and the diagram. In-process and Keras-free (builder/spec/, builder/see/
diagram.py), so it answers in milliseconds; the paths a typed spec names are confined
to the working folder (core/files.confined)."""
from __future__ import annotations

import functools
import re
import time

from ..core.files import confined
from ..core.problems import SpecError, format_path
from .workspace import Refused, Workspace

_TOKEN = re.compile(r"[^\s:,{}\[\]#]+")


def problem_json(p, text_lines: list[str], file: str, shown: str) -> dict:
    """One problem as the editor marks it: 1-based line/col and the end of the word there.
    A problem placed in another file (a spec this one extends) has no line here. `text`
    is the line `kspec validate` prints, the file named as the page knows it (`shown`)."""
    text = p.render()
    if text.startswith(file + ":"):
        text = shown + text[len(file):]
    # a lint rule's warning (loss vs last activation, ...) is marked as lint; its errors stay
    severity = "lint" if p.severity == "warning" and p.source == "lint" else p.severity
    out = {"severity": severity, "message": p.message, "field": format_path(p.path),
           "text": text, "line": None, "col": None, "end_line": None, "end_col": None}
    pos = p.position
    if pos is not None and pos.file == file:
        out.update(line=pos.line, col=pos.col, end_line=pos.line, end_col=pos.col + 1)
        if 0 < pos.line <= len(text_lines):
            word = _TOKEN.match(text_lines[pos.line - 1], pos.col - 1)
            if word:
                out["end_col"] = word.end() + 1
    elif pos is not None:
        out["file"] = pos.file
    return out


def _text(body) -> str:
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str):
        raise Refused("give the spec's text as {\"text\": \"...\"}")
    return text


def load(ws: Workspace, body, check: bool = True):
    """(Loaded or None, problems JSON, ms): the text validated as the file at `path`
    (default WORK/studio/untitled.yaml), data paths confined to the working folder."""
    from ..spec.load import load_text
    text = _text(body)
    rel = body.get("path") or "studio/untitled.yaml"
    path = ws.path(rel, "spec", (".yaml", ".yml"))
    overrides = body.get("set") or ()
    if not isinstance(overrides, (list, tuple)) or not all(isinstance(s, str) for s in overrides):
        raise Refused("`set` takes a list of KEY=VALUE strings")
    lines = text.splitlines()
    start = time.perf_counter()
    try:
        with confined(ws.root):
            loaded = load_text(text, path, overrides, check=check)
        problems = loaded.warnings
    except SpecError as exc:
        loaded, problems = None, exc.problems
    ms = (time.perf_counter() - start) * 1000
    shown = ws.rel(path) if path.parent.exists() else rel
    return loaded, [problem_json(p, lines, str(path), shown) for p in problems], ms


def validate(ws: Workspace, body) -> dict:
    from ..spec.counts import network_sizes
    loaded, problems, ms = load(ws, body)
    summary = None
    if loaded is not None:
        note = f", {len(problems)} warning(s)" if problems else ""
        summary = f"ok ({network_sizes(loaded.spec)}{note})"
    return {"ok": loaded is not None, "problems": problems, "summary": summary,
            "ms": round(ms, 2)}


def plan(ws: Workspace, body) -> dict:
    """The diagram and the layer table of the spec, or its problems (the page keeps the
    last diagram it had)."""
    from ..core.problems import Report
    from ..see.diagram import model_svg
    from ..share.explain import explain_plan
    from ..spec.check import plan_networks
    from ..spec.counts import node_count, plan_count
    start = time.perf_counter()
    loaded, problems, _ = load(ws, body)
    if loaded is None:
        errors = [p for p in problems if p["severity"] == "error"]
        first = errors[0]["text"] if errors else "the spec has errors"
        return {"error": first, "problems": problems}
    from ..tasks import TASKS
    from ..tasks.base import role_plan_path
    plans = plan_networks(loaded.spec, Report())
    layers = []
    for role, p in plans.items():
        explained = {ln.name: ln for ln in explain_plan(p)}
        section = role_plan_path(TASKS[loaded.spec.task], role)  # model, or models.ROLE
        for name, shape in p.inputs.items():
            layers.append({"role": role, "name": name, "kind": "input",
                           "output_shape": [None, *shape], "params": 0,
                           "line": _line(loaded, section + ("input",)), "explain": ""})
        for node in p.nodes:
            ln = explained.get(node.name)
            count = node_count(p, node).total
            explain = ""
            if ln is not None and ln.params_text:
                explain = f"{ln.params_text} = {count:,}"
            if ln is not None and ln.shape_text:
                explain = (explain + "; " if explain else "") + f"shape: {ln.shape_text}"
            layers.append({"role": role, "name": node.name, "kind": node.layer.kind,
                           "output_shape": None if node.shape is None else [None, *node.shape],
                           "params": count, "line": _line(loaded, node.path),
                           "explain": explain})
    return {"svg": model_svg(loaded), "layers": layers, "problems": problems,
            "total_params": sum(plan_count(p).total for p in plans.values()),
            "ms": round((time.perf_counter() - start) * 1000, 2)}


def _line(loaded, path) -> int | None:
    """The YAML line of a layer (None for one written in another file)."""
    where = loaded.positions.locate(path)
    if where is None or where.file != loaded.positions.file:
        return None
    return where.line


@functools.lru_cache(maxsize=1)
def library() -> dict:
    """The bundled specs by topic, as `kspec list` shows them (read once: the package's
    files do not change while the studio runs)."""
    from ..spec.library import TOPICS, entries
    from ..spec.compose import load_composed
    topics: dict = {}
    for e in entries():
        data, _ = load_composed(e.path)
        task = data.get("task", "supervised") if isinstance(data, dict) else "supervised"
        topics.setdefault(e.topic, []).append(
            {"name": e.name, "lectures": list(e.lectures), "description": e.summary,
             "task": task, "data": e.data})
    titles = {"neurons": "Neurons and gates", "mlp": "Multilayer perceptrons",
              "cnn": "Convolutional networks", "generative": "Generative models",
              "sequence": "Sequences and text", "rl": "Reinforcement learning"}
    order = sorted(topics, key=lambda t: TOPICS.index(t) if t in TOPICS else len(TOPICS))
    return {"topics": [{"topic": t, "title": titles.get(t, t), "specs": topics[t]}
                       for t in order]}
