"""The trainer of the sequence tasks (forecast, language_model).

It is the supervised loop (builder/train/supervised.py, whose helpers it uses)
with two task hooks, because these tasks differ only around the fit:

* `targets(data, plan)` -> the splits the model trains on (a GPT-style model
  learns the next token at *every* position, so its targets are the shifted
  windows, not the one next token the text source gives);
* `report(run, model, data, splits, metrics)` -> adds the task's own metrics
  (forecast errors in the original units and the baselines; perplexity) and
  writes its extra files *inside* the run folder, so they are part of the same
  atomic write: a run that crashed there never looks complete.

It returns the run's notes too: lines `kspec train` prints under the metrics.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from ..build.model import build_model
from ..data.checks import check_fits
from ..data.errors import DataLoadError
from ..data.pipeline import fit_datasets, placed, prepare_spec
from .run_folder import RunFolder, default_dir
from .supervised import (RunResult, _fit, adapt_normalization, evaluate, seed_everything,
                         versions, write_run)


@dataclass
class SequenceRunResult(RunResult):
    notes: list = field(default_factory=list)  # printed by `kspec train` after the metrics


def train_sequence(loaded, out: Path | None, epochs: int | None, verbose: int | None,
                   targets=None, report=None, extra_metrics=(),
                   runs_root: Path = Path("runs")) -> SequenceRunResult:
    spec = loaded.spec
    seed_everything(spec.seed)
    data = prepare_spec(loaded)
    model, plan = build_model(loaded)
    try:  # shapes and label ranges only known once the data is read
        check_fits(data, plan, spec)
    except DataLoadError as exc:
        raise placed(exc, loaded) from None
    if targets:
        data = replace(data, splits=targets(data, plan))
    splits = data.splits
    adapt_normalization(model, plan, splits["train"][0])
    t = spec.train
    model.compile(optimizer=t.optimizer.build(), loss=t.loss.build(),
                  metrics=[m.build() for m in t.metrics] + list(extra_metrics) or None)

    run = RunFolder(out or default_dir(spec.name, runs_root))
    try:
        train_ds, steps, val_ds = fit_datasets(data, spec.data, t.batch_size, t.shuffle,
                                               spec.seed)
        history = _fit(model, train_ds, steps, val_ds, epochs or t.epochs, t, run, verbose)
        metrics = evaluate(model, splits, t.batch_size)
        notes = report(run, model, data, splits, metrics) if report else []
        metrics.update({"seed": spec.seed, "epochs_run": len(history.get("loss", [])),
                        "params": int(model.count_params()), "versions": versions()})
        write_run(run, loaded, model, history, metrics, data)
        path = run.finish()
    except BaseException:
        run.abandon()
        raise
    return SequenceRunResult(path, metrics, history, notes or [])
