"""`kspec compare RUN_DIR...`: several runs side by side, e.g. the L24 output/loss
variants: their learning curves overlaid, their final metrics in one table and the
spec fields in which they differ (each run's spec.yaml in canonical form, the one
kspec diff compares: every default written out, so `sgd` and `{sgd: {learning_rate:
0.01}}` are the same and only real differences show)."""
from __future__ import annotations

import io
from pathlib import Path

import yaml

from ..data.errors import DataLoadError
from ..see.report import STYLE, _e, _table, img, read_history
from ..see.values import number
from ..spec.paths import dotted
from .canonical import canonical_spec

SKIP_FIELDS = ("description",)


def letters(n: int) -> list[str]:
    return [chr(ord("A") + i) if i < 26 else f"R{i + 1}" for i in range(n)]


def flatten(value, path=()) -> dict:
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            out.update(flatten(v, path + (k,)))
        return out or {path: {}}
    if isinstance(value, list) and value and any(isinstance(v, (dict, list)) for v in value):
        out = {}
        for i, v in enumerate(value):
            out.update(flatten(v, path + (i,)))
        return out
    return {path: value}


def _show(value) -> str:
    if value is _MISSING:
        return "-"
    if isinstance(value, float):
        return number(value, 6)
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip().removesuffix(
        "...").strip()


_MISSING = object()


class Compared:
    def __init__(self, run_dirs):
        if len(run_dirs) < 2:
            raise DataLoadError("kspec compare needs two or more run folders")
        self.dirs = [Path(d) for d in run_dirs]
        self.keys = letters(len(self.dirs))
        from ..run.read import read_run_json, task_name
        from ..spec.load import load_spec
        self.specs, self.metrics, self.histories = [], [], []
        for d in self.dirs:
            task_name(d)  # a one-line error for a folder that is not a run
            spec = load_spec(str(d / "spec.yaml"), check=False).spec
            self.specs.append(canonical_spec(spec))
            self.metrics.append(read_run_json(d, "metrics.json",
                                              "is it a finished kspec run folder?"))
            self.histories.append(read_history(d))

    def metric_rows(self) -> tuple[list, list]:
        part = next((p for p in ("test", "validation", "train")
                     if all(isinstance(m.get(p), dict) for m in self.metrics)), None)
        names = []
        for m in self.metrics:
            for k in (m.get(part) or {}):
                if k not in names:
                    names.append(k)
        rows = [[f"{k} ({part})"] + [m.get(part, {}).get(k, "") for m in self.metrics]
                for k in names]
        rows.append(["epochs run"] + [m.get("epochs_run", "") for m in self.metrics])
        rows.append(["parameters"] + [m.get("params") if not isinstance(m.get("params"), dict)
                                      else sum(m["params"].values()) for m in self.metrics])
        return ["metric"] + self.keys, rows

    def difference_rows(self) -> list:
        flats = [flatten(s) for s in self.specs]
        paths = []
        for f in flats:
            paths += [p for p in f if p not in paths]
        rows = []
        for p in paths:
            if p and p[0] in SKIP_FIELDS:
                continue
            values = [f.get(p, _MISSING) for f in flats]
            if any(v != values[0] for v in values[1:]):
                rows.append([dotted(p)] + [_show(v) for v in values])
        return rows

    def text(self) -> str:
        lines = [f"{k} = {d}" for k, d in zip(self.keys, self.dirs)]
        header, rows = self.metric_rows()
        lines += ["", _columns(header, [[r[0]] + [_num_text(v) for v in r[1:]] for r in rows])]
        diffs = self.difference_rows()
        lines.append("")
        if diffs:
            lines.append(_columns(["spec field"] + self.keys, diffs))
        else:
            lines.append("the specs are the same")
        return "\n".join(lines) + "\n"

    def curves_png(self) -> bytes:
        from matplotlib.ticker import MaxNLocator

        from ..see.pictures import pyplot
        plt = pyplot()
        names = []
        for h in self.histories:
            names += [k for k in h if not k.startswith("val_") and k != "learning_rate"
                      and k not in names]
        names.sort(key=lambda k: (k != "loss", k))
        cols = max(1, min(3, len(names)))
        rows = -(-len(names) // cols)
        fig, axes = plt.subplots(rows, cols, figsize=(4.8 * cols, 3.5 * rows), squeeze=False)
        for ax in axes.ravel()[len(names):]:
            ax.axis("off")
        for ax, name in zip(axes.ravel(), names):
            for i, (key, h) in enumerate(zip(self.keys, self.histories)):
                if name in h:
                    epochs = range(1, len(h[name]) + 1)
                    ax.plot(epochs, h[name], color=f"C{i}", label=f"{key} training")
                    if f"val_{name}" in h:
                        ax.plot(epochs, h[f"val_{name}"], color=f"C{i}", ls="--",
                                label=f"{key} validation")
            ax.set_title(name)
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
        fig.suptitle(" vs ".join(f"{k}: {d.name}" for k, d in zip(self.keys, self.dirs)),
                     fontsize=10)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=90)
        plt.close(fig)
        return buf.getvalue()

    def html(self) -> str:
        header, rows = self.metric_rows()
        diffs = self.difference_rows()
        runs = _table(["run", "folder", "name"],
                      [[k, str(d), s.get("name", "")] for k, d, s in
                       zip(self.keys, self.dirs, self.specs)], left=3)
        body = [f'<section id="runs"><h2>Runs</h2>{runs}</section>',
                f'<section id="curves"><h2>Learning curves</h2>'
                f'{img(self.curves_png(), "learning curves")}'
                '<p class="note">solid: training, dashed: validation</p></section>',
                f'<section id="metrics"><h2>Final metrics</h2>{_table(header, rows)}</section>',
                '<section id="differences"><h2>Spec differences</h2>'
                + (_table(["spec field"] + self.keys, diffs, left=len(self.keys) + 1) if diffs
                   else "<p>the specs are the same</p>") + "</section>"]
        return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                "<title>kspec compare</title><meta http-equiv=\"Content-Security-Policy\" "
                "content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">"
                f"<style>{STYLE}</style></head><body><header><h1>kspec compare</h1><p>"
                f"{_e(' vs '.join(d.name for d in self.dirs))}</p></header><main>\n"
                + "\n".join(body) + "\n</main></body></html>\n")


def _num_text(v) -> str:
    if isinstance(v, float):
        return number(v, 4)
    return "" if v is None else f"{v:,}" if isinstance(v, int) else str(v)


def _columns(header, rows) -> str:
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    def line(r):
        return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                         for i, (c, w) in enumerate(zip(r, widths))).rstrip()
    return "\n".join([line(header)] + [line(r) for r in rows])


def compare(run_dirs, out=None) -> str:
    c = Compared(run_dirs)
    text = c.text()
    if out is not None:
        out = Path(out)
        from ..core.atomic import write_bytes, write_text
        if out.suffix.lower() == ".png":
            write_bytes(out, c.curves_png())
        elif out.suffix.lower() in (".html", ".htm"):
            write_text(out, c.html())
        else:
            raise DataLoadError(f"{out}: write the comparison as .html or .png")
        text += f"wrote {out}\n"
    return text
