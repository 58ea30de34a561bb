"""`kspec sweep`: one spec trained over a search space of dotted keys, as an Optuna
study (README "Sweeps"; the Optuna side is run/study.py).

Every trial is a normal `kspec train` run folder (trials/NNN), trained in its own
process (`--jobs` at once), so a crash or an interruption loses one trial at most.
The study lives in a storage (study.db in the sweep folder by default, or any
database URL), so running the same command again resumes it, and the same command
on several machines with one --storage URL adds their trials to one study. A trial
the pruner stops after an epoch keeps its folder as trials/NNN.partial with
pruned.json (never a finished run; `kspec train --resume` can still finish it).
The sweep folder also holds sweep.json (the plan), results.csv (every trial, best
first), best.yaml (the winning trial's resolved spec) and sweep.png (the metric
against each swept key).
"""
from __future__ import annotations

import csv
import hashlib
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ..core.atomic import write_text
from ..core.problems import SpecError
from ..spec.load import load_spec
from .folder import PRUNED, RunFolderError, csv_text

FORMAT = 2
LOWER_IS_BETTER = ("loss", "error", "mse", "mae", "mape", "perplexity")
DEFAULT_TRIALS = 10  # random and tpe, when neither --trials nor the section says
PRUNED_EXIT = 3  # a pruned trial's `kspec train` exit code (cli.py)
RANGE = re.compile(r"^\s*([-+0-9.eE]+)\.\.([-+0-9.eE]+)\s*(:log)?\s*$")


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


def yaml_text(value) -> str:
    """A value as YAML flow text that reads back as the same value: 1e-05 is written
    1.0e-05 (YAML 1.1 reads a float without a dot as a string)."""
    if isinstance(value, float):
        text = repr(value)
        if "e" in text and "." not in text.split("e")[0]:
            mantissa, exponent = text.split("e")
            text = f"{mantissa}.0e{exponent}"
        return text
    return json.dumps(value)


def _number(text: str):
    return int(text) if re.fullmatch(r"[-+]?\d+", text) else float(text)


def _range(low, high, log) -> dict:
    return {"low": low, "high": high, "log": bool(log),
            "int": isinstance(low, int) and isinstance(high, int)}


def parse_axes(overrides, declared: dict | None = None):
    """--set items -> (axes, fixed --set items). An axis is a list of YAML texts (several
    comma-separated values) or a range {low, high, log, int} (LOW..HIGH, LOW..HIGH:log);
    one value is fixed for every trial. `declared`: the `sweep:` section's space (key ->
    list or SweepRange); --set wins."""
    axes = {}
    for key, values in (declared or {}).items():
        axes[key] = ([yaml_text(v) for v in values] if isinstance(values, list)
                     else _range(values.low, values.high, values.log))
    fixed = []
    for item in overrides:
        if "=" not in item:
            raise SpecError.single(f"--set takes key=value, got {item!r}")
        key, text = (part.strip() for part in item.split("=", 1))
        match = RANGE.match(text)
        values = split_values(text)
        if match:
            try:
                low, high = _number(match[1]), _number(match[2])
            except ValueError:
                raise SpecError.single(f"--set {key}: a range is LOW..HIGH or LOW..HIGH:log "
                                       f"with numbers, got {text!r}") from None
            if not low < high or (match[3] and low <= 0):
                raise SpecError.single(f"--set {key}: a range needs LOW < HIGH (and LOW > 0 "
                                       f"with :log), got {text!r}")
            axes[key] = _range(low, high, match[3])
        elif len(values) > 1:
            axes[key] = values
        else:
            axes.pop(key, None)
            fixed.append(item)
    return axes, fixed


def lower_is_better(metric: str) -> bool:
    return any(word in metric for word in LOWER_IS_BETTER)


def resolve_pruner(cli: str | None, declared) -> dict:
    """The pruner as plain data: the section's (a name or {median|percentile: {...}}),
    --pruner NAME over it; median with its defaults when neither says."""
    from ..spec.sweep import MedianParams, MedianPruner, PercentileParams
    given = declared.pruner if declared is not None else "median"
    if isinstance(given, str):
        kind, params = given, None
    elif isinstance(given, MedianPruner):
        kind, params = "median", given.median
    else:
        kind, params = "percentile", given.percentile
    if cli is not None and cli != kind:
        kind, params = cli, None
    if kind == "none":
        return {"kind": "none"}
    params = params or (PercentileParams() if kind == "percentile" else MedianParams())
    return {"kind": kind, **params.model_dump()}


@dataclass
class Settings:
    sampler: str
    trials: int
    metric: str
    direction: str
    pruner: dict


def resolve(axes: dict, declared, sampler=None, trials=None, metric=None, direction=None,
            pruner=None) -> Settings:
    """Command-line options over the `sweep:` section over the defaults."""
    section = declared or None
    pick = lambda cli, name, default: cli if cli is not None else (  # noqa: E731
        getattr(section, name) if section is not None and getattr(section, name) is not None
        else default)
    sampler = pick(sampler, "sampler", "grid")
    metric = pick(metric, "metric", "val_loss")
    direction = pick(direction, "direction",
                     "minimize" if lower_is_better(metric) else "maximize")
    ranges = [k for k, a in axes.items() if isinstance(a, dict)]
    if sampler == "grid" and ranges:
        raise SpecError.single(f"{ranges[0]} is a range: the grid needs lists of values; use "
                               "--sampler random or tpe (or give the values, comma-separated)")
    combos = 1
    for axis in axes.values():
        combos *= len(axis) if isinstance(axis, list) else 0
    trials = pick(trials, "trials", combos if sampler == "grid" else DEFAULT_TRIALS)
    if sampler == "grid":
        trials = min(trials, combos)
    return Settings(sampler, trials, metric, direction, resolve_pruner(pruner, section))


def grid(axes: dict, trials: int) -> list[dict]:
    keys = list(axes)
    return [dict(zip(keys, combo))
            for combo in itertools.product(*(axes[k] for k in keys))][:trials]


def check_values(spec: str, fixed: list, axes: dict):
    """Every value of every axis (ranges at both ends) in a spec with the others as
    they are: a bad value fails before anything trains, all problems at once."""
    problems = []
    for key, axis in axes.items():
        values = axis if isinstance(axis, list) else [axis["low"], axis["high"]]
        for value in values:
            try:
                load_spec(spec, fixed + [f"{key}={value}"])
            except SpecError as exc:
                problems.extend(p for p in exc.problems if p not in problems)
    if problems:
        raise SpecError(problems)


@dataclass
class Row:
    """One trial as the table shows it (from the study, so other machines' too)."""
    number: int
    values: dict
    status: str  # complete, pruned, failed, stopped, running
    score: float | None = None
    epoch: int | None = None  # the epoch that reached `score`
    run: str = ""
    note: str = ""  # a failed trial's last log line

    def overrides(self) -> list[str]:
        return [f"{k}={v}" for k, v in self.values.items()]


class Sweep:
    def __init__(self, spec: str, overrides, out: Path, command: list, declared=None,
                 storage: str | None = None, echo=print, **options):
        self.spec, self.out, self.command, self.echo = spec, Path(out), command, echo
        space = declared.space() if declared is not None else None
        self.axes, self.fixed = parse_axes(overrides, space)
        if not self.axes:
            raise SpecError.single("kspec sweep needs at least one key with several values, "
                                   "e.g. --set train.batch_size=32,64 (or a `sweep:` section)")
        first = load_spec(spec, self.fixed)
        self.seed, self.spec_path = first.spec.seed, first.path
        self.settings = resolve(self.axes, declared, **options)
        check_values(spec, self.fixed, self.axes)  # cheap (no TensorFlow)
        s = self.settings
        self.plan = {"format": FORMAT, "spec": first.spec.name, "axes": self.axes,
                     "fixed": self.fixed, "sampler": s.sampler, "trials": s.trials,
                     "metric": s.metric, "direction": s.direction, "pruner": s.pruner}
        if s.sampler == "grid":
            self.plan["grid"] = grid(self.axes, s.trials)
        digest = hashlib.sha1(json.dumps(self.plan, sort_keys=True).encode()).hexdigest()[:10]
        self.study_name = f"{first.spec.name}-{digest}"  # the same command: the same study
        self.storage = storage or f"sqlite:///{(self.out / 'study.db').resolve()}"
        self.host = socket.gethostname()

    # -- the folder and the study --------------------------------------------------------
    def open(self):
        """The sweep folder and its study; a study that cannot be opened leaves no folder."""
        created = not self.out.exists()
        try:
            self._open()
        except BaseException:
            if created and self.out.is_dir():
                shutil.rmtree(self.out)  # made just now, by this command
            raise

    def _open(self):
        saved = self.out / "sweep.json"
        if saved.is_file():
            before = json.loads(saved.read_text())
            if before.get("plan") != self.plan:
                raise RunFolderError(f"{self.out} holds another sweep (its sweep.json differs); "
                                     "choose another --out, or run that sweep's own command "
                                     "to resume it")
        elif self.out.exists() and any(self.out.iterdir()):
            raise RunFolderError(f"{self.out} already exists and is not a sweep; choose another "
                                 "--out")
        else:
            (self.out / "trials").mkdir(parents=True, exist_ok=True)
            write_text(saved, json.dumps({"plan": self.plan, "study": self.study_name,
                                          "spec_path": str(self.spec_path)},
                                         indent=2) + "\n")
        from .study import open_study
        self.study = open_study(self.storage, self.study_name, self.plan, self.seed)
        self._recover()

    def _recover(self):
        """Trials this machine left running (the sweep was killed): marked stopped, and
        their values queued again so the sweep still covers them. (Another machine's
        are its own to recover: only it knows whether they still run.)"""
        o = _optuna()
        for t in self.study.get_trials(deepcopy=False, states=(o.trial.TrialState.RUNNING,)):
            pid = t.user_attrs.get("pid")
            if t.user_attrs.get("host") == self.host and pid and not _alive(pid):
                self._stop(o.trial.Trial(self.study, t._trial_id))  # noqa: SLF001

    def _stop(self, trial):
        """A trial interrupted with the sweep: failed as `stopped` (not counted), its
        values queued again."""
        o = _optuna()
        params = dict(trial.params)
        trial.set_user_attr("stopped", True)
        self.study.tell(trial, state=o.trial.TrialState.FAIL)
        self.study.enqueue_trial(params, skip_if_exists=False)

    def _counted(self) -> int:
        """Trials that count towards --trials: all but the stopped and the queued ones."""
        o = _optuna()
        return sum(1 for t in self.study.get_trials(deepcopy=False)
                   if t.state != o.trial.TrialState.WAITING and not t.user_attrs.get("stopped"))

    # -- training ------------------------------------------------------------------------
    def run(self, jobs: int):
        """Train trials, `jobs` at once, until the study holds `trials` of them. Ctrl-C or
        SIGTERM stops the running ones (marked stopped, queued again) and re-raises
        KeyboardInterrupt."""
        def stop(signum, frame):
            raise KeyboardInterrupt
        before = signal.signal(signal.SIGTERM, stop)
        try:
            self._run(jobs)
        finally:
            signal.signal(signal.SIGTERM, before)

    def _run(self, jobs: int):
        from .study import ENV, distributions, value_text
        dists = distributions(self.axes)
        done = self._counted()
        if done:
            self.echo(f"resuming: {done} of {self.settings.trials} trial(s) already done")
        running: dict = {}  # number -> (trial, values, process, log)
        try:
            while True:
                while len(running) < jobs and self._counted() < self.settings.trials:
                    trial = self.study.ask(dists)
                    values = {k: value_text(trial.params[k]) for k in self.axes}
                    path = self.out / "trials" / f"{trial.number:03d}"
                    for key, value in (("host", self.host), ("pid", os.getpid()),
                                       ("run", str(path.resolve()))):
                        trial.set_user_attr(key, value)
                    env = dict(os.environ, **{ENV: json.dumps(
                        {"storage": self.storage, "study": self.study_name,
                         "trial_id": trial._trial_id, "number": trial.number,  # noqa: SLF001
                         "metric": self.settings.metric, "pruner": self.settings.pruner})})
                    args = ["train", self.spec, "--out", str(path), "-q"]
                    for item in self.fixed + [f"{k}={v}" for k, v in values.items()]:
                        args += ["--set", item]
                    log = open(path.with_suffix(".log"), "w")
                    proc = subprocess.Popen(self.command + args, stdout=log,
                                            stderr=subprocess.STDOUT, env=env)
                    running[trial.number] = (trial, values, proc, log)
                if not running:
                    break
                ended = [n for n, (_, _, p, _) in running.items() if p.poll() is not None]
                if not ended:
                    time.sleep(0.2)
                    continue
                for n in ended:
                    trial, values, proc, log = running.pop(n)
                    log.close()
                    self._finish(trial, values, proc.returncode)
        except (KeyboardInterrupt, SpecError):  # Ctrl-C, or --metric that no run logs
            for n, (trial, values, proc, log) in running.items():
                proc.terminate()
            for n, (trial, values, proc, log) in running.items():
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                log.close()
                if proc.returncode in (0, PRUNED_EXIT):  # it ended before the stop: it counts
                    self._finish(trial, values, proc.returncode)
                else:
                    self._stop(trial)
            raise

    def _finish(self, trial, values: dict, code: int):
        o = _optuna()
        path = self.out / "trials" / f"{trial.number:03d}"
        shown = ", ".join(f"{k}={v}" for k, v in values.items())
        partial = path.with_name(path.name + ".partial")
        if code == 0 and (path / "history.csv").is_file():
            score, epoch = best_epoch(path / "history.csv", self.settings.metric,
                                      self.settings.direction)
            trial.set_user_attr("best_epoch", epoch)
            self.study.tell(trial, score)
            self.echo(f"trial {trial.number:03d} ({shown}): {self.settings.metric} "
                      f"{score:.4f} at epoch {epoch}")
        elif (partial / PRUNED).is_file():
            info = json.loads((partial / PRUNED).read_text())
            trial.set_user_attr("run", str(partial.resolve()))
            self.study.tell(trial, state=o.trial.TrialState.PRUNED)
            self.echo(f"trial {trial.number:03d} ({shown}): pruned after epoch {info['epoch']}")
        else:
            last = _last_line(path.with_suffix(".log"))
            trial.set_user_attr("error", last)
            self.study.tell(trial, state=o.trial.TrialState.FAIL)
            self.echo(f"trial {trial.number:03d} ({shown}): failed (exit {code}): {last} "
                      f"(log: {path.with_suffix('.log')})")
            if "--metric" in last and "logs no such value" in last:
                raise SpecError.single(last.removeprefix("error: "))

    # -- results -------------------------------------------------------------------------
    def rows(self) -> list[Row]:
        """Every trial of the study, best first: finished ones ranked by score, then the
        pruned (by their best epoch before they were stopped), then the rest."""
        o = _optuna()
        S = o.trial.TrialState
        rows = []
        sign = 1 if self.settings.direction == "minimize" else -1
        for t in self.study.get_trials(deepcopy=False):
            if t.state == S.WAITING:
                continue
            values = {k: _text(t.params.get(k)) for k in self.axes}
            row = Row(t.number, values, "running", run=t.user_attrs.get("run", ""))
            if t.state == S.COMPLETE:
                row.status, row.score, row.epoch = "complete", t.value, t.user_attrs.get(
                    "best_epoch")
            elif t.state == S.PRUNED:
                steps = t.intermediate_values
                row.epoch = min(steps, key=lambda s: sign * steps[s]) if steps else None
                row.score = steps.get(row.epoch) if steps else None
                row.status = f"pruned@{max(steps)}" if steps else "pruned"
            elif t.state == S.FAIL:
                row.status = "stopped" if t.user_attrs.get("stopped") else "failed"
                row.note = t.user_attrs.get("error", "")
            rows.append(row)
        order = {"complete": 0, "pruned": 1}
        rows.sort(key=lambda r: (order.get(r.status.split("@")[0], 2),
                                 sign * r.score if r.score is not None else 0, r.number))
        return rows

    def write_results(self, rows: list[Row]) -> Row | None:
        """results.csv, best.yaml and sweep.png; -> the best finished trial (None: none)."""
        m = self.settings.metric
        header = ["rank", "trial"] + list(self.axes) + [m, "best_epoch", "status", "run",
                                                        "error"]
        table = [[i + 1 if r.status == "complete" else "", f"{r.number:03d}"]
                 + [r.values[k] for k in self.axes]
                 + [r.score if r.score is not None else "", r.epoch or "", r.status, r.run,
                    r.note]
                 for i, r in enumerate(rows)]
        write_text(self.out / "results.csv", csv_text(header, table))
        best = rows[0] if rows and rows[0].status == "complete" else None
        if best is None:
            return None
        run_spec = Path(best.run) / "spec.yaml"
        if run_spec.is_file():  # what the best trial trained, exactly
            write_text(self.out / "best.yaml", run_spec.read_text())
        else:  # a trial another machine ran: the same spec, resolved here
            from .environment import resolved_yaml
            write_text(self.out / "best.yaml",
                       resolved_yaml(load_spec(self.spec, self.fixed + best.overrides())))
        plot(self.out / "sweep.png", rows, self.axes, m, self.settings.direction)
        return best


def table_lines(rows: list[Row], axes, metric: str) -> list[str]:
    """The console table: one line per trial, best first; pruned trials say so."""
    header = ["rank", "trial"] + list(axes) + [metric, "epoch", "status"]
    body = [[str(i + 1) if r.status == "complete" else "-", f"{r.number:03d}"]
            + [r.values[k] for k in axes]
            + [f"{r.score:.4f}" if r.score is not None else "", str(r.epoch or ""), r.status]
            for i, r in enumerate(rows)]
    widths = [max(len(r[c]) for r in [header] + body) for c in range(len(header))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip()
            for r in [header] + body]


def best_epoch(history: Path, metric: str, direction: str) -> tuple[float, int]:
    with open(history, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or metric not in rows[0]:
        keys = ", ".join(k for k in (rows[0] if rows else {}) if k != "epoch")
        raise SpecError.single(f"--metric {metric}: the runs log no such value; they log {keys}")
    pick = min if direction == "minimize" else max
    best = pick(rows, key=lambda r: float(r[metric]))
    return float(best[metric]), int(best["epoch"])


def plot(path: Path, rows: list[Row], axes: dict, metric: str, direction: str):
    """The metric against each swept key: finished trials as dots, pruned ones as grey
    crosses at their best epoch before the stop, the best trial as a star."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plots import save_figure
    fig, subplots = plt.subplots(1, len(axes), figsize=(4.2 * len(axes), 3.6), squeeze=False)
    scored = [r for r in rows if r.score is not None]
    best = rows[0] if rows and rows[0].status == "complete" else None
    for ax, key in zip(subplots[0], axes):
        axis = axes[key]

        def x(r):
            return axis.index(r.values[key]) if isinstance(axis, list) else float(r.values[key])
        for status, style in (("complete", dict(marker="o", color="tab:blue", label="finished")),
                              ("pruned", dict(marker="x", color="grey", label="pruned"))):
            group = [r for r in scored if r.status.startswith(status)]
            if group:
                ax.scatter([x(r) for r in group], [r.score for r in group], **style)
        if best is not None:
            ax.scatter([x(best)], [best.score], marker="*", s=220, color="tab:red",
                       label="best", zorder=3)
        if isinstance(axis, list):
            ax.set_xticks(range(len(axis)), axis)
            ax.set_xlim(-0.5, len(axis) - 0.5)
        elif axis["log"]:
            ax.set_xscale("log")
        ax.set_xlabel(key)
        ax.set_ylabel(f"{metric} ({'lower' if direction == 'minimize' else 'higher'} is better)")
        ax.grid(alpha=0.3)
    subplots[0][0].legend(fontsize=8)
    fig.suptitle(f"{len(scored)} trials, best epoch of each")
    fig.tight_layout()
    save_figure(fig, path)


def _optuna():
    from .study import optuna
    return optuna()


def _text(value) -> str:
    from .study import value_text
    return "" if value is None else value_text(value)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return pid != os.getpid()


def _last_line(log: Path) -> str:
    try:
        lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return lines[-1] if lines else ""
