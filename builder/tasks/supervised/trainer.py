"""The supervised trainer: fit, evaluate on every split, write the run folder."""
from __future__ import annotations

import sys
import warnings
from dataclasses import replace
from pathlib import Path

from ...build.distribute import describe, make_strategy, replicas
from ...build.model import build_model
from ...data.checks import check_fits
from ...data.errors import DataLoadError
from ...data.pipeline import fit_datasets, placed, prepare_spec, to_dataset
from ...run.environment import resolved_yaml, seed_everything, versions
from ...run.checkpoint import epoch_callback, open_run_folder, restore_model
from ...run.folder import RunFolder, RunResult
from ...run.plots import learning_curves
from ...run.preprocessing import write_preprocessing
from ...see.report import write_report
from .speed import compile_options, say, set_precision


def adapt_normalization(model, plan, x_train):
    for node in plan.nodes:
        if getattr(node.layer, "needs_adapt", False):
            model.get_layer(node.name).adapt(x_train)


def compile_model(model, train, extra_metrics=(), **speed):
    """`speed`: compile's steps_per_execution / jit_compile (speed.compile_options)."""
    model.compile(optimizer=train.optimizer.build(), loss=train.loss.build(),
                  metrics=[m.build() for m in train.metrics] + list(extra_metrics) or None,
                  **speed)


def evaluate(model, splits: dict, batch_size: int, datasets: dict | None = None) -> dict:
    """Metrics of every split. Each split is read as a batched tf.data dataset (the one
    fit validated on, where given): Keras' numpy path builds a new input pipeline per
    call, about 0.09 s of CPU each on the 2-core machine; the batches are the same."""
    out = {}
    for part in ("train", "validation", "test"):
        if part in splits:
            ds = (datasets or {}).get(part)
            if ds is None:
                ds = to_dataset(*splits[part], batch_size, False, 0)
            out[part] = {k: float(v) for k, v in
                         model.evaluate(ds, verbose=0, return_dict=True).items()}
    return out


def _fit(model, train_ds, steps, val_ds, epochs, t, run, verbose, resume=None):
    """model.fit with a checkpoint at every epoch's end (run/checkpoint.py); `resume`:
    the checkpoint to continue from. -> the whole history, resumed epochs included."""
    if resume is not None:
        restore_model(model, resume)
        train_ds = train_ds.skip(resume.position)  # the batches already trained on
    saver = epoch_callback(run, steps, resume)
    model.fit(
        train_ds,
        steps_per_epoch=steps,  # the training dataset repeats: one iterator for all epochs
        validation_data=val_ds,
        epochs=epochs,
        initial_epoch=resume.epoch if resume else 0,
        shuffle=False,  # the tf.data pipeline shuffles, seeded
        callbacks=[cb.build(run.path) for cb in t.callbacks] + [saver],
        verbose=verbose if verbose is not None else (1 if sys.stdout.isatty() else 2),
    )
    return saver.history


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
    spec, t = loaded.spec, loaded.spec.train
    seed_everything(spec.seed)
    try:  # a strategy with collective ops must exist before TensorFlow runs any op
        strategy = make_strategy(t.distribute)
    except DataLoadError as exc:
        raise placed(exc, loaded) from None
    say(set_precision(t))
    data = prepare_spec(loaded)
    with strategy.scope():  # variables (weights, optimizer state) live on every replica
        model, plan = (build or build_model)(loaded)
    try:  # shapes and label ranges only known once the data is read
        check_fits(data, plan, spec)
    except DataLoadError as exc:
        raise placed(exc, loaded) from None
    if targets:
        data = replace(data, splits=targets(data, plan))
    adapt_normalization(model, plan, data.splits["train"][0])
    batch = t.batch_size * replicas(strategy)  # train.batch_size is per replica
    say(describe(strategy, t.distribute, t.batch_size))
    steps = -(-len(data.splits["train"][0]) // batch)
    speed = compile_options(t, steps, epochs or t.epochs)
    with strategy.scope():
        compile_model(model, t, extra_metrics, **speed)

    run, resume = open_run_folder(loaded, out, runs_root, epochs)
    try:
        # epochs end where they would with one step per call: a count that does not
        # divide the epoch reads a dataset that ends with the epoch (speed.py)
        train_ds, steps, val_ds = fit_datasets(
            data, spec.data, batch, t.shuffle, spec.seed,
            repeat=steps % speed["steps_per_execution"] == 0)
        with warnings.catch_warnings():
            # a frozen, hand-set network (lectures L07, L16) is "trained" only to be
            # evaluated; Keras' no-trainable-weights warning would only confuse
            warnings.filterwarnings("ignore", message=".*does not have any trainable weights")
            history = _fit(model, train_ds, steps, val_ds, epochs or t.epochs, t, run, verbose,
                           resume)
            if then:  # a second phase (transfer's fine-tuning); not resumable on its own
                history = then(model, lambda n: _fit(model, train_ds, steps, val_ds, n, t, run,
                                                     verbose), history)
        metrics = evaluate(model, data.splits, batch, {"validation": val_ds})
        notes = report(run, model, data, data.splits, metrics) if report else []
        metrics.update({"seed": spec.seed, "epochs_run": len(history.get("loss", [])),
                        "params": int(model.count_params()), "versions": versions()})
        write_run(run, loaded, model, history, metrics, data)
        path = run.finish()
    except BaseException as exc:
        run.abandon(exc)  # a checkpoint is kept, with the command that resumes it
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
    write_report(run, loaded, history, model, data)  # report.html: needs every file above
