"""The Optuna side of `kspec sweep`: the study (sampler, pruner, storage) and the
watcher a trial's `kspec train` process runs after every epoch.

Optuna is imported inside the functions only: `kspec validate` and `kspec train`
outside a sweep never load it. Why Optuna (pyproject.toml): its samplers (TPE learns
from finished trials), its pruners (a trial's per-epoch values against earlier
trials') and its storage (SQLite in the sweep folder, or any database URL, which
several machines share as one study) are what a sweep needs, well kept and tested.

The sweep process asks the study for each trial's values and tells it the result;
the trial process only reports its per-epoch metric and asks whether to stop, so
one place (sweep.py) decides what a trial scored.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from .folder import PRUNED, RunFolderError, TrialPruned

ENV = "KSPEC_SWEEP_TRIAL"  # set by the sweep for each trial's `kspec train` process


def optuna():
    import optuna as _optuna
    _optuna.logging.set_verbosity(_optuna.logging.WARNING)  # kspec prints its own lines
    return _optuna


def storage_for(url: str):
    """A storage for `url`; SQLite waits for a lock instead of failing (trials and the
    sweep write to the same file at once)."""
    o = optuna()
    kwargs = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}
    try:
        return o.storages.RDBStorage(url, engine_kwargs=kwargs)
    except Exception as exc:  # SQLAlchemy's many kinds (bad URL, no driver, refused)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RunFolderError(f"--storage: Optuna cannot open that database ({first}); give "
                             "a URL such as sqlite:///path/study.db or "
                             "postgresql://user@host/db") from None


def make_pruner(pruner: dict):
    """{"kind": none|median|percentile, ...params} (sweep.resolve_pruner) -> an Optuna pruner."""
    o = optuna()
    kind = pruner["kind"]
    if kind == "none":
        return o.pruners.NopPruner()
    # steps are 1-based epochs; Optuna judges from step == n_warmup_steps on
    common = dict(n_startup_trials=pruner["startup_trials"],
                  n_warmup_steps=pruner["warmup_epochs"] + 1, interval_steps=pruner["interval"])
    if kind == "median":
        return o.pruners.MedianPruner(**common)
    return o.pruners.PercentilePruner(pruner["percentile"], **common)


def make_sampler(name: str, seed: int, trials: int):
    """grid runs the enqueued combinations (sweep.py), so its sampler is never asked."""
    o = optuna()
    if name == "tpe":  # random draws first: a model needs a few finished trials to learn from
        return o.samplers.TPESampler(seed=seed, n_startup_trials=max(2, trials // 4))
    return o.samplers.RandomSampler(seed=seed)


def distributions(axes: dict) -> dict:
    """axes (sweep.parse_axes) -> Optuna distributions: value lists are categorical over
    their YAML texts (so any YAML value can be swept), ranges are int or float ranges."""
    d = optuna().distributions
    out = {}
    for key, axis in axes.items():
        if isinstance(axis, list):
            out[key] = d.CategoricalDistribution(axis)
        elif axis["int"]:
            out[key] = d.IntDistribution(axis["low"], axis["high"], log=axis["log"])
        else:
            out[key] = d.FloatDistribution(axis["low"], axis["high"], log=axis["log"])
    return out


def value_text(value) -> str:
    """A trial's parameter as the YAML text of its --set (floats keep every digit)."""
    from .sweep import yaml_text
    return value if isinstance(value, str) else yaml_text(value)


def open_study(url: str, name: str, plan: dict, seed: int):
    """Create the study, or load it (resume, or another machine joining): the same
    name holds the same search space, checked against the plan it was made with."""
    o = optuna()
    storage = storage_for(url)
    study = o.create_study(study_name=name, storage=storage, load_if_exists=True,
                           direction=plan["direction"],
                           sampler=make_sampler(plan["sampler"], seed, plan["trials"]),
                           pruner=make_pruner(plan["pruner"]))
    saved = study.user_attrs.get("kspec_plan")
    if saved is None:
        study.set_user_attr("kspec_plan", plan)
        if plan["sampler"] == "grid":  # every combination, in order, once (see resume)
            for params in plan["grid"]:
                study.enqueue_trial(params)
    elif saved != plan:
        raise RunFolderError(f"the storage's study {name} was made for another search space; "
                             "give another --storage (or --out for the default one)")
    return study


def watch_from_env():
    """In a trial's `kspec train` process: report the metric after every epoch and stop
    the trial when the study's pruner says so (run/checkpoint.EPOCH_WATCHERS)."""
    raw = os.environ.pop(ENV, None)  # popped: processes this one starts are no trials
    if not raw:
        return
    cfg = json.loads(raw)
    o = optuna()
    study = o.load_study(study_name=cfg["study"], storage=storage_for(cfg["storage"]),
                         pruner=make_pruner(cfg["pruner"]))
    trial = o.trial.Trial(study, cfg["trial_id"])
    metric = cfg["metric"]

    def watch(run_path: Path, epoch: int, history: dict):
        if metric not in history:
            logged = ", ".join(history)
            raise RunFolderError(f"--metric {metric}: the run logs no such value; it logs "
                                 f"{logged}")
        trial.report(float(history[metric][-1]), epoch)
        if trial.should_prune():
            (Path(run_path) / PRUNED).write_text(json.dumps(
                {"trial": cfg["number"], "epoch": epoch, "metric": metric,
                 "values": history[metric]}) + "\n")
            raise TrialPruned(f"pruned by kspec sweep after epoch {epoch}: {metric} "
                              f"{history[metric][-1]:.4f} is behind earlier trials at that "
                              f"epoch; the run is kept, unfinished, in {run_path} "
                              f"(kspec train --resume {run_path} would finish it)")

    from .checkpoint import EPOCH_WATCHERS
    EPOCH_WATCHERS.append(watch)
