"""The supervised trainer: fit, evaluate on every split, write the run folder."""
from __future__ import annotations

import sys
import warnings
from dataclasses import replace
from pathlib import Path

from ...build.model import build_model
from ...data.checks import check_fits
from ...data.errors import DataLoadError
from ...data.pipeline import fit_datasets, placed, prepare_spec
from ...run.environment import resolved_yaml, seed_everything, versions
from ...run.folder import RunFolder, RunResult, default_dir
from ...run.plots import learning_curves
from ...run.preprocessing import write_preprocessing


def adapt_normalization(model, plan, x_train):
    for node in plan.nodes:
        if getattr(node.layer, "needs_adapt", False):
            model.get_layer(node.name).adapt(x_train)


def compile_model(model, train, extra_metrics=()):
    model.compile(optimizer=train.optimizer.build(), loss=train.loss.build(),
                  metrics=[m.build() for m in train.metrics] + list(extra_metrics) or None)


def evaluate(model, splits: dict, batch_size: int) -> dict:
    out = {}
    for part in ("train", "validation", "test"):
        if part in splits:
            x, y = splits[part]
            out[part] = {k: float(v) for k, v in
                         model.evaluate(x, y, batch_size=batch_size, verbose=0,
                                        return_dict=True).items()}
    return out


def _fit(model, train_ds, steps, val_ds, epochs, t, run, verbose):
    return model.fit(
        train_ds,
        steps_per_epoch=steps,  # the training dataset repeats: one iterator for all epochs
        validation_data=val_ds,
        epochs=epochs,
        shuffle=False,  # the tf.data pipeline shuffles, seeded
        callbacks=[cb.build(run.path) for cb in t.callbacks],
        verbose=verbose if verbose is not None else (1 if sys.stdout.isatty() else 2),
    ).history


def train(loaded, out: Path | None = None, epochs: int | None = None,
          verbose: int | None = None, runs_root: Path = Path("runs"), *,
          targets=None, report=None, extra_metrics=(), build=None, then=None) -> RunResult:
    """Train a single-network spec and write its run folder.

    The sequence tasks (forecast, language_model) use the same loop through hooks:
    * `targets(data, plan)` -> the splits to train on (a GPT-style model learns the
      next token at every position, so its targets are the shifted windows);
    * `report(run, model, data, splits, metrics)` -> lines for `kspec train` to print;
      it adds the task's own metrics and writes its files inside the run folder, so
      they are part of the same all-or-nothing write;
    * `extra_metrics`: Keras metrics compiled in besides the spec's;
    * `build(loaded)` -> (model, plan) instead of the spec's own model (transfer puts
      a pre-trained base under the spec's head);
    * `then(model, fit, history)` -> history: a second phase after the first fit
      (transfer's fine-tuning); `fit(epochs)` continues training the same model.
    """
    spec = loaded.spec
    seed_everything(spec.seed)
    data = prepare_spec(loaded)
    model, plan = (build or build_model)(loaded)
    try:  # shapes and label ranges only known once the data is read
        check_fits(data, plan, spec)
    except DataLoadError as exc:
        raise placed(exc, loaded) from None
    if targets:
        data = replace(data, splits=targets(data, plan))
    adapt_normalization(model, plan, data.splits["train"][0])
    compile_model(model, spec.train, extra_metrics)

    run = RunFolder(out or default_dir(spec.name, runs_root))
    try:
        t = spec.train
        train_ds, steps, val_ds = fit_datasets(data, spec.data, t.batch_size, t.shuffle,
                                               spec.seed)
        with warnings.catch_warnings():
            # a frozen, hand-set network (lectures L07, L16) is "trained" only to be
            # evaluated; Keras' no-trainable-weights warning would only confuse
            warnings.filterwarnings("ignore", message=".*does not have any trainable weights")
            history = _fit(model, train_ds, steps, val_ds, epochs or t.epochs, t, run, verbose)
            if then:
                history = then(model, lambda n: _fit(model, train_ds, steps, val_ds, n, t, run,
                                                     verbose), history)
        metrics = evaluate(model, data.splits, t.batch_size)
        notes = report(run, model, data, data.splits, metrics) if report else []
        metrics.update({"seed": spec.seed, "epochs_run": len(history.get("loss", [])),
                        "params": int(model.count_params()), "versions": versions()})
        write_run(run, loaded, model, history, metrics, data)
        path = run.finish()
    except BaseException:
        run.abandon()
        raise
    return RunResult(path, metrics, history, notes or [])


def write_run(run: RunFolder, loaded, model, history, metrics, data):
    model.save(run.file("model.keras"))
    run.write_text("spec.yaml", resolved_yaml(loaded))
    run.write_json("metrics.json", metrics)
    write_preprocessing(run, data, loaded)
    keys = list(history)
    rows = [[i + 1] + [float(history[k][i]) for k in keys] for i in range(len(history[keys[0]]))]
    run.write_csv("history.csv", ["epoch"] + keys, rows)
    learning_curves(history, run.file("learning_curves.png"), loaded.spec.name)
