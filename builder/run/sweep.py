"""`kspec sweep`: one spec trained over a grid (or a seeded random sample) of values for
dotted keys (README "Sweeps").

Every trial is a normal `kspec train` run folder (trials/NNN), trained in its own
process (`--jobs` at once), so a crash or an interruption loses one trial at most and
running the same command again resumes: finished trials are kept, the rest are run.
The sweep folder also holds sweep.json (the search space), results.csv (every trial,
best first), best.yaml (the winning trial's resolved spec) and sweep.png (the metric
against each swept key).
"""
from __future__ import annotations

import csv
import itertools
import json
import random
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..core.problems import SpecError
from ..spec.load import load_spec
from .folder import RunFolderError, csv_text

FORMAT = 1
LOWER_IS_BETTER = ("loss", "error", "mse", "mae", "mape", "perplexity")


def split_values(text: str) -> list[str]:
    """'0.001,0.01' -> ['0.001', '0.01']; commas inside [...] or {...} stay (YAML lists)."""
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += ch in "[{"
        depth -= ch in "]}"
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    parts.append(current.strip())
    return parts


def parse_axes(overrides, declared: dict | None = None):
    """--set items -> (axes {key: [YAML text, ...]}, fixed --set items). An item with
    several comma-separated values is an axis; one value is fixed for every trial.
    `declared`: the spec's `sweep:` section (key -> list of values); --set wins."""
    axes = {k: [json.dumps(v) for v in vs] for k, vs in (declared or {}).items()}
    fixed = []
    for item in overrides:
        if "=" not in item:
            raise SpecError.single(f"--set takes key=value, got {item!r}")
        key, text = item.split("=", 1)
        values = split_values(text)
        if len(values) > 1:
            axes[key.strip()] = values
        else:
            axes.pop(key.strip(), None)
            fixed.append(item)
    return axes, fixed


def plan_trials(axes: dict, method: str, trials: int | None, seed: int) -> list[dict]:
    """The trials in order: every combination (grid) or `trials` of them drawn without
    replacement with the spec's seed (random); each a {key: YAML text} dict."""
    keys = list(axes)
    grid = [dict(zip(keys, combo)) for combo in itertools.product(*(axes[k] for k in keys))]
    if method == "random":
        grid = random.Random(seed).sample(grid, min(trials or len(grid), len(grid)))
    elif trials:
        grid = grid[:trials]
    return grid


def lower_is_better(metric: str) -> bool:
    return any(word in metric for word in LOWER_IS_BETTER)


@dataclass
class Trial:
    number: int
    values: dict
    path: Path
    status: str = "pending"  # ok, failed
    score: float | None = None
    epoch: int | None = None  # the epoch that reached `score`

    def overrides(self) -> list[str]:
        return [f"{k}={v}" for k, v in self.values.items()]


def run_sweep(spec: str, overrides, method: str, trials: int | None, metric: str, jobs: int,
              out: Path, command: list, declared=None, echo=print):
    """Validate every trial's spec first (all problems at once), then train the trials
    that are not finished yet and write the table. -> (trials ranked, best trial)."""
    axes, fixed = parse_axes(overrides, declared)
    if not axes:
        raise SpecError.single("kspec sweep needs at least one key with several values, e.g. "
                               "--set train.batch_size=32,64 (or a `sweep:` section)")
    first = load_spec(spec, fixed)
    planned = plan_trials(axes, method, trials, first.spec.seed)
    problems = []
    for values in planned:  # cheap (no TensorFlow): a bad value fails before any training
        try:
            load_spec(spec, fixed + [f"{k}={v}" for k, v in values.items()])
        except SpecError as exc:
            problems.extend(p for p in exc.problems if p not in problems)
    if problems:
        raise SpecError(problems)
    plan = {"format": FORMAT, "spec": str(first.path), "axes": axes, "fixed": fixed,
            "method": method, "metric": metric, "trials": planned}
    _open_folder(out, plan)
    todo = [Trial(i, v, out / "trials" / f"{i:03d}") for i, v in enumerate(planned)]
    waiting = [t for t in todo if not (t.path / "metrics.json").is_file()]
    if len(waiting) < len(todo):
        echo(f"resuming: {len(todo) - len(waiting)} of {len(todo)} trial(s) already done")
    _train_all(waiting, spec, fixed, jobs, command, echo)
    for t in todo:
        _score(t, metric)
    ranked = sorted(todo, key=lambda t: (t.score is None,
                                         (t.score if lower_is_better(metric) else -t.score)
                                         if t.score is not None else 0, t.number))
    _write_results(out, ranked, axes, metric)
    best = ranked[0] if ranked and ranked[0].score is not None else None
    if best is not None:
        shutil.copyfile(best.path / "spec.yaml", out / "best.yaml")
        _plot(out / "sweep.png", ranked, axes, metric)
    return ranked, best


def _open_folder(out: Path, plan: dict):
    saved = out / "sweep.json"
    if saved.is_file():
        before = json.loads(saved.read_text())
        if {k: before.get(k) for k in plan} != plan:
            raise RunFolderError(f"{out} holds another sweep (its sweep.json differs); choose "
                                 "another --out, or run that sweep's own command to resume it")
        return
    if out.exists() and any(out.iterdir()):
        raise RunFolderError(f"{out} already exists and is not a sweep; choose another --out")
    (out / "trials").mkdir(parents=True, exist_ok=True)
    saved.write_text(json.dumps(plan, indent=2) + "\n")


def _train_all(trials: list, spec: str, fixed: list, jobs: int, command: list, echo):
    """Each trial is `kspec train` in its own process; at most `jobs` at once."""
    running: list = []
    queue = list(trials)
    while queue or running:
        while queue and len(running) < jobs:
            t = queue.pop(0)
            args = ["train", spec, "--out", str(t.path), "-q"]
            for item in fixed + t.overrides():
                args += ["--set", item]
            log = open(t.path.with_suffix(".log"), "w")
            running.append((t, subprocess.Popen(command + args, stdout=log,
                                                stderr=subprocess.STDOUT), log))
        t, proc, log = running[0]
        for i, (t2, p2, l2) in enumerate(running):  # whichever ends first
            if p2.poll() is not None:
                t, proc, log = running[i]
                break
        code = proc.wait()
        log.close()
        running.remove((t, proc, log))
        shown = ", ".join(t.overrides())
        echo(f"trial {t.number:03d} ({shown}): " + ("done" if code == 0 else
             f"failed (exit {code}; see {t.path.with_suffix('.log')})"))


def _score(t: Trial, metric: str):
    history = t.path / "history.csv"
    if not history.is_file():
        t.status = "failed"
        return
    with open(history, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or metric not in rows[0]:
        keys = ", ".join(k for k in (rows[0] if rows else {}) if k != "epoch")
        raise SpecError.single(f"--metric {metric}: the runs log no such value; they log "
                               f"{keys}")
    pick = min if lower_is_better(metric) else max
    best = pick(rows, key=lambda r: float(r[metric]))
    t.status, t.score, t.epoch = "ok", float(best[metric]), int(best["epoch"])


def _write_results(out: Path, ranked: list, axes: dict, metric: str):
    header = ["rank", "trial"] + list(axes) + [metric, "best_epoch", "status", "run"]
    rows = [[i + 1 if t.score is not None else "", f"{t.number:03d}"]
            + [t.values[k] for k in axes] + [t.score if t.score is not None else "",
                                             t.epoch or "", t.status, str(t.path)]
            for i, t in enumerate(ranked)]
    (out / "results.csv").write_text(csv_text(header, rows))


def table_lines(ranked: list, axes: dict, metric: str) -> list[str]:
    """The console table: one line per trial, best first."""
    header = ["rank", "trial"] + list(axes) + [metric, "epoch"]
    rows = [[str(i + 1) if t.score is not None else "-", f"{t.number:03d}"]
            + [t.values[k] for k in axes]
            + [f"{t.score:.4f}" if t.score is not None else t.status, str(t.epoch or "")]
            for i, t in enumerate(ranked)]
    widths = [max(len(r[c]) for r in [header] + rows) for c in range(len(header))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip()
            for r in [header] + rows]


def _plot(path: Path, ranked: list, axes: dict, metric: str):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    done = [t for t in ranked if t.score is not None]
    fig, subplots = plt.subplots(1, len(axes), figsize=(4.2 * len(axes), 3.4), squeeze=False)
    for ax, key in zip(subplots[0], axes):
        labels = axes[key]
        xs = [labels.index(t.values[key]) for t in done]
        ax.scatter(xs, [t.score for t in done])
        ax.set_xticks(range(len(labels)), labels)
        ax.set_xlabel(key)
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
