"""The HTML report of a run: one self-contained file (no network: styles inline,
pictures as data: URIs, the diagram as inline SVG) that a student can open, keep or
hand in. `kspec train` writes it into every run folder as report.html; `kspec report
RUN_DIR` writes it again (e.g. for a run made before reports existed).

Sections (each an element with its id, which the browser test checks): summary,
diagram, layers, curves, metrics, classes (classifiers), pictures (samples,
reconstructions, forecasts), text (a language model's sample), spec, versions."""
from __future__ import annotations

import base64
import csv
import html
import json
from pathlib import Path

from .evaluation import FILE as EVALUATION, best_epoch, early_stopping_line, evaluation

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#2f4b7c;color:white;padding:18px 32px}
header h1{margin:0 0 4px 0;font-size:24px} header p{margin:2px 0;opacity:.9}
main{padding:8px 32px 40px 32px;max-width:1200px}
section{background:white;border:1px solid #ddd;border-radius:8px;padding:12px 20px;margin:16px 0}
h2{font-size:18px;margin:4px 0 10px 0;color:#2f4b7c}
table{border-collapse:collapse;font-size:13px;margin:6px 0}
td,th{border:1px solid #ccc;padding:3px 9px;text-align:right}
th{background:#f0f3f8} td.l,th.l{text-align:left}
tr.baseline td{color:#555;font-style:italic}
pre{background:#f6f6f6;padding:10px;border-radius:6px;overflow-x:auto;font-size:12px}
img{max-width:100%;height:auto;border:1px solid #eee}
.note{color:#555;font-size:13px} .diagram{overflow-x:auto}
.charts{display:flex;flex-wrap:wrap;gap:12px}
"""


def _e(text) -> str:
    return html.escape(str(text))


def _num(v) -> str:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return _e(v)
    if isinstance(v, int):
        return f"{v:,}"
    return f"{v:.4g}" if abs(v) < 1e5 else f"{v:.4e}"


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def img(png: bytes, alt: str) -> str:
    return f'<img alt="{_e(alt)}" src="{data_uri(png)}">'


def read_history(run_dir: Path) -> dict:
    file = run_dir / "history.csv"
    if not file.is_file():
        return {}
    with file.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    keys = [k for k in (rows[0] if rows else {}) if k != "epoch"]
    return {k: [float(r[k]) for r in rows] for k in keys}


def _table(header, rows, left=1, css=None) -> str:
    """Numbers right-aligned; the first `left` columns and a note column read as text."""
    lefts = {i for i, h in enumerate(header) if i < left or h == "note"}
    out = ["<table>", "<tr>" + "".join(f'<th class="{"l" if i in lefts else ""}">{_e(h)}</th>'
                                       for i, h in enumerate(header)) + "</tr>"]
    for i, r in enumerate(rows):
        cls = f' class="{css[i]}"' if css and css[i] else ""
        out.append(f"<tr{cls}>" + "".join(
            f'<td class="{"l" if j in lefts else ""}">{c if isinstance(c, _Raw) else _num(c)}</td>'
            for j, c in enumerate(r)) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


class _Raw(str):
    """Already-escaped HTML for a table cell."""


def metrics_section(metrics: dict, extra_baselines: dict) -> str:
    parts = [p for p in ("train", "validation", "test") if isinstance(metrics.get(p), dict)]
    cols = []
    for p in parts:
        cols += [k for k in metrics[p] if k not in cols]
    baselines = {}
    raw = metrics.get("baselines") or {}
    on = raw.get("on") if isinstance(raw, dict) else None
    for name, values in (raw.items() if isinstance(raw, dict) else []):
        if isinstance(values, dict):
            baselines[name] = (values, f"on the {on} split" if on else "")
    for name, values in (extra_baselines or {}).items():
        baselines[name] = ({k: v for k, v in values.items() if k != "note"}, values.get("note", ""))
    for values, _ in baselines.values():
        cols += [k for k in values if k not in cols and isinstance(values[k], (int, float))]
    rows, css = [], []
    for p in parts:
        rows.append([p] + [metrics[p].get(c, "") for c in cols] + [""])
        css.append("")
    for name, (values, note) in baselines.items():
        rows.append([f"baseline: {name}"] + [values.get(c, "") for c in cols] + [note])
        css.append("baseline")
    body = _table(["split"] + cols + ["note"], rows, css=css) if rows else \
        '<p class="note">no metrics were saved</p>'
    if metrics.get("units"):
        body += f'<p class="note">{_e(metrics["units"])}</p>'
    facts = [f"{k.replace('_', ' ')} {_num(metrics[k]) if not isinstance(metrics[k], dict) else ', '.join(f'{a} {_num(b)}' for a, b in metrics[k].items())}"
             for k in ("epochs_run", "params", "seed", "samples") if k in metrics]
    if facts:
        body += f'<p class="note">{_e("; ".join(facts))}</p>'
    return body


def output_section(name: str, metrics: dict, facts: dict) -> str:
    """One output of several: its metrics per split (Keras' NAME_metric, shown without the
    prefix), its baseline, and a classifier's confusion matrix."""
    prefix = name + "_"
    mine = {p: {k[len(prefix):]: v for k, v in metrics[p].items() if k.startswith(prefix)}
            for p in ("train", "validation", "test") if isinstance(metrics.get(p), dict)}
    c = facts.get("classification")
    baselines = dict(facts.get("baselines") or {})
    if c:
        baselines.update(c.get("baselines", {}))
    body = metrics_section(mine, baselines)
    if c:
        body += "<h3>Classes: confusion matrix, precision, recall, F1</h3>" + classes_section(c)
    return body


def classes_section(c: dict) -> str:
    names = c["classes"]
    rows = [[_Raw(f"<b>{_e(n)}</b>")] + row for n, row in zip(names, c["confusion"])]
    matrix = _table(["true \\ predicted"] + names, rows)
    per = _table(["class", "precision", "recall", "F1", "support"],
                 [[p["class"], p["precision"], p["recall"], p["f1"], p["support"]]
                  for p in c["per_class"]])
    return (f'<p class="note">on the {_e(c["split"])} split (accuracy '
            f'{c["accuracy"]:.4f}); rows are the true classes, columns the predictions</p>'
            f'<div style="display:flex;gap:40px;flex-wrap:wrap"><div>{matrix}</div>'
            f"<div>{per}</div></div>")


def layers_rows(plans: dict) -> list:
    from ..catalog.layers.base import fmt
    from ..spec.counts import node_count
    rows = []
    for role, plan in plans.items():
        for name, shape in plan.inputs.items():
            rows.append([role, name, "input", fmt(shape), 0])
        for node in plan.nodes:
            rows.append([role, node.name, node.layer.kind,
                         fmt(node.shape) if node.shape else "?", node_count(plan, node).total])
    return rows


def pictures(run_dir: Path) -> list[tuple[str, bytes]]:
    """The pictures a run made besides its learning curves: the last sample grid,
    reconstructions, forecasts (in a stable order)."""
    found = []
    samples = sorted((run_dir / "samples").glob("*.png")) if (run_dir / "samples").is_dir() else []
    if samples:
        found.append((f"samples after the last epoch ({samples[-1].name})", samples[-1]))
    for file in sorted(run_dir.glob("*.png")):
        if file.name != "learning_curves.png":
            found.append((file.stem.replace("_", " "), file))
    return [(title, f.read_bytes()) for title, f in found]


def report_html(run_dir, title: str | None = None, task: str | None = None) -> str:
    """The page of a finished run; `task` is given while `kspec train` is still writing
    the folder (a .partial folder is never read back as a run, so not asked)."""
    from ..core.problems import Report
    from ..spec.check import plan_networks
    from ..spec.load import load_spec
    from .diagram import layout_plans, svg_text
    from ..spec.counts import plan_count
    run_dir = Path(run_dir)
    from ..run.read import read_run_json, task_name
    task = task or task_name(run_dir)
    spec_text = (run_dir / "spec.yaml").read_text(encoding="utf-8")
    spec = load_spec(str(run_dir / "spec.yaml"), check=False).spec
    metrics = read_run_json(run_dir, "metrics.json", "is it a finished kspec run folder?")
    evaluation_data = {}
    if (run_dir / EVALUATION).is_file():
        evaluation_data = json.loads((run_dir / EVALUATION).read_text(encoding="utf-8"))
    history = read_history(run_dir)
    best = evaluation_data.get("best_epoch") or best_epoch(history, spec)
    plans = plan_networks(spec, Report())
    total = sum(plan_count(p).total for p in plans.values())
    svg = svg_text(layout_plans(plans, f"{spec.name}: {total:,} parameters"))

    sections = []

    def section(ident, title, body):
        sections.append(f'<section id="{ident}"><h2>{_e(title)}</h2>\n{body}\n</section>')

    desc = " ".join(str(spec.description or "").split())
    summary = [f"<p><b>task</b> {_e(task)} &middot; <b>parameters</b> {total:,} &middot; "
               f"<b>epochs run</b> {_e(metrics.get('epochs_run', len(next(iter(history.values()), []))))}"
               f" &middot; <b>seed</b> {_e(spec.seed)}</p>"]
    line = early_stopping_line(best)
    if line:
        summary.append(f'<p class="note">{_e(line)}</p>')
    section("summary", "Run", "\n".join(summary))
    section("diagram", "Model", f'<div class="diagram">{svg}</div>')
    section("layers", "Layers", _table(["network", "layer", "type", "output shape", "params"],
                                       layers_rows(plans), left=3))
    if history:
        note = ""
        if best:
            what = "restored by early stopping" if best.get("restored") else "best"
            note = (f'<p class="note">{what}: epoch {best["epoch"]} of {best["epochs_run"]} '
                    f'({_e(best["monitor"])} {best["value"]:.4f})</p>')
        from .charts import learning_curves_svg
        charts = "".join(f'<div class="chart">{c}</div>' for c in learning_curves_svg(history, best))
        section("curves", "Learning curves", f'<div class="charts">{charts}</div>' + note)
    baselines = dict(evaluation_data.get("baselines") or {})
    c = evaluation_data.get("classification")
    if c:
        baselines.update(c.get("baselines", {}))
    section("metrics", "Final metrics", metrics_section(metrics, baselines))
    if c:
        section("classes", "Classes: confusion matrix, precision, recall, F1", classes_section(c))
    for name, facts in (evaluation_data.get("outputs") or {}).items():
        section(f"output-{name}", f"Output {name}", output_section(name, metrics, facts))
    found = pictures(run_dir)
    if found:
        section("pictures", "Pictures", "\n".join(
            f"<figure><figcaption>{_e(t)}</figcaption>{img(b, t)}</figure>" for t, b in found))
    if (run_dir / "sample.txt").is_file():
        section("text", "Generated text", f"<pre>{_e((run_dir / 'sample.txt').read_text(encoding='utf-8'))}</pre>")
    section("spec", "Spec (as resolved)", f"<pre>{_e(spec_text)}</pre>")
    versions = metrics.get("versions") or {}
    section("versions", "Library versions",
            _table(["library", "version"], [[k, v] for k, v in versions.items()]) if versions
            else '<p class="note">not recorded</p>')
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>kspec run {_e(spec.name)}</title>"
            # nothing may be fetched: no scripts, no external styles, images inline
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "img-src data:; style-src 'unsafe-inline'\">"
            f"<style>{STYLE}</style></head><body>\n"
            f"<header><h1>{_e(spec.name)}</h1><p>{_e(desc)}</p><p>{_e(title or run_dir.name)}</p></header>\n"
            "<main>\n" + "\n".join(sections) + "\n</main></body></html>\n")


def write_report(run, loaded, history: dict, model=None, data=None):
    """At the end of `kspec train`: evaluation.json and report.html into the run folder
    (still being written: both are part of its all-or-nothing write), and the early
    stopping line on the console."""
    facts = evaluation(loaded, history, model, data)
    run.write_json(EVALUATION, facts)
    line = early_stopping_line(facts.get("best_epoch"))
    if line:
        print(line, flush=True)
    run.write_text("report.html", report_html(run.path, run.final.name, loaded.spec.task))


def report_file(run_dir, out=None) -> Path:
    """`kspec report RUN_DIR`: (re)write its report.html, or OUT."""
    from ..core.atomic import write_text
    out = Path(out) if out is not None else Path(run_dir) / "report.html"
    write_text(out, report_html(run_dir))
    return out
