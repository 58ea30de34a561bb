"""Save and share from the studio: diff against the starting spec, export with its
fingerprint, and the run pages (report, compare), each with the code of its command
(builder/share/, builder/see/report.py)."""
from __future__ import annotations

from pathlib import Path

from starlette.responses import HTMLResponse

from ..core.problems import SpecError
from . import specs
from .workspace import COPIES, Refused, Workspace, origin_of

# a run's page holds no script and fetches nothing (see/report.py): served so that it
# cannot run any, nor reach the studio's API (sandbox: an origin of its own)
REPORT_CSP = ("sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
              "frame-ancestors 'self'")


def _loaded(ws: Workspace, body: dict):
    loaded, problems, _ = specs.load(ws, body)
    if loaded is None:
        errors = [p for p in problems if p["severity"] == "error"]
        raise Refused("the spec has errors; fix them first: "
                      + (errors[0]["text"] if errors else "?"))
    return loaded


def diff_against_start(ws: Workspace, body: dict) -> dict:
    """`kspec diff START TEXT`: START is the bundled spec the copy was made from (its first
    comment line says which), else the file as saved at `path`."""
    from ..core.files import confined
    from ..share.diff import diff_text
    from ..spec.library import bundled
    from ..spec.load import load_spec, load_text
    after = _loaded(ws, body)
    name = origin_of(body.get("text", ""))
    if name is not None and name in bundled():
        before, start = load_spec(name), f"the bundled spec {name}"
        first = f"{name} (bundled)"
    else:
        full, saved = ws.read_spec(body.get("path"))
        with confined(ws.root):
            try:
                before = load_text(saved, full)
            except SpecError as exc:
                raise Refused(f"the saved file has errors, so there is nothing to compare "
                              f"with: {exc.problems[0].render()}") from None
        start, first = f"the saved {ws.rel(full)}", f"{ws.rel(full)} (saved)"
    # the header names files as the student knows them, not by their absolute paths
    second = body.get("path") if isinstance(body.get("path"), str) else "(the editor's text)"
    return {"diff": diff_text(before, after, names=(first, second)), "start": start}


def export_copy(ws: Workspace, body: dict) -> dict:
    """`kspec export` of the text, written to studio/NAME.export.yaml."""
    from ..core.atomic import write_text
    from ..share.canonical import export_text, fingerprint
    loaded = _loaded(ws, body)
    rel = body.get("path") or f"{COPIES}/untitled.yaml"
    src = ws.path(rel, "spec", (".yaml", ".yml"))
    target = src.with_name(src.stem + ".export.yaml")
    if src.stem.endswith(".export"):
        target = src
    target = ws.path(ws.rel(target.parent) + "/" + target.name, "export")
    text = export_text(loaded)
    write_text(target, text)
    return {"path": ws.rel(target), "fingerprint": fingerprint(loaded.spec), "text": text}


def page(html: str) -> HTMLResponse:
    return HTMLResponse(html, headers={"content-security-policy": REPORT_CSP})


def report_page(studio, ref) -> HTMLResponse:
    """The run's report.html (written by train; made again if the run has none)."""
    from ..see.report import report_html
    from ..run.read import read_run_text
    folder = studio.runs.folder_of(ref)
    if (folder / "report.html").is_file():  # the checked reader: a regular file, no link out
        return page(read_run_text(folder, "report.html"))
    return page(report_html(folder))


def compare_page(studio, refs) -> HTMLResponse:
    from ..share.compare import Compared
    if not isinstance(refs, list) or len(refs) < 2 or len(refs) > 12:
        raise Refused("give 2 to 12 runs to compare: {\"runs\": [\"r1\", \"runs/x-...\"]}")
    folders = [studio.runs.folder_of(r) for r in refs]
    return page(Compared([Path(f) for f in folders]).html())
