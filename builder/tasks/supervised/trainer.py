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
    """`speed`: compile's steps_per_execution / jit_compile (speed.compile_options).
    With train.outputs, each output gets its loss, weight and metrics by name (Keras logs
    them as NAME_loss and NAME_metric)."""
    outputs = getattr(train, "outputs", None)
    if outputs:
        model.compile(optimizer=train.optimizer.build(),
                      loss={name: o.loss.build() for name, o in outputs.items()},
                      loss_weights={name: o.weight for name, o in outputs.items()},
                      metrics={name: [m.build() for m in o.metrics] for name, o in
                               outputs.items() if o.metrics} or None, **speed)
        return
    model.compile(optimizer=train.optimizer.build(), loss=train.loss.build(),
                  metrics=[m.build() for m in train.metrics] + list(extra_metrics) or None,
                  **speed)


def evaluate(model, splits: dict, batch_size: int, outputs=None,
             datasets: dict | None = None) -> dict:
    """Metrics of every split; `outputs`: train.outputs (several outputs). Each split is
    read as a batched tf.data dataset (the one fit validated on, where given): Keras'
    numpy path builds a new input pipeline per call, about 0.09 s of CPU each on the
    2-core machine; the batches are the same."""
    out = {}
    for part in ("train", "validation", "test"):
        if part in splits:
            ds = (datasets or {}).get(part)
            if ds is None:
                ds = to_dataset(*splits[part], batch_size, False, 0)
            out[part] = {k: float(v) for k, v in
                         model.evaluate(ds, verbose=0, return_dict=True).items()}
            if outputs:
                out[part].update(output_losses(model, *splits[part], outputs, batch_size))
    return out


def output_losses(model, x, y, outputs, batch_size: int) -> dict:
    """NAME_loss of each output over the whole split. Keras (3.15) averages its per-output
    loss trackers over batches without weighting them by size, so a short last batch
    counts as much as a full one and the values depend on batch_size (its total `loss`
    is right); kspec reports the mean over the examples, as the total is."""
    predicted = model.predict(x, batch_size=batch_size, verbose=0)
    by_name = dict(zip(model.output_names, predicted if isinstance(predicted, (list, tuple))
                       else [predicted]))
    return {f"{name}_loss": float(o.loss.build()(y[name], by_name[name]))
            for name, o in outputs.items()}


def _fit(model, train_ds, steps, val_ds, epochs, t, run, verbose, resume=None, phase=1):
    """model.fit with a checkpoint at every epoch's end (run/checkpoint.py); `resume`:
    the checkpoint to continue from. -> the whole history, resumed epochs included."""
    if resume is not None:
        restore_model(model, resume)
        train_ds = train_ds.skip(resume.position)  # the batches already trained on
        if steps is None:
            # a dataset that ends with each epoch (speed.py) reshuffles each time an iterator
            # is made of it, and Keras' fit makes two per epoch (3.15, EpochIterator: the one
            # it reads, and one made when the epoch ends and dropped at the next): make as
            # many as the epochs done did, so the next epoch's order is the uninterrupted
            # run's (tests/test_run_resume.py)
            for _ in range(2 * resume.epoch):
                iter(train_ds)
    callbacks = [cb.build(run.path) for cb in t.callbacks]
    saver = epoch_callback(run, steps, resume, callbacks, phase)
    model.fit(
        train_ds,
        steps_per_epoch=steps,  # the training dataset repeats: one iterator for all epochs
        validation_data=val_ds,
        epochs=epochs,
        initial_epoch=resume.epoch if resume else 0,
        shuffle=False,  # the tf.data pipeline shuffles, seeded
        callbacks=callbacks + [saver],  # the saver last: it keeps the others' state
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
        strategy = make_strategy(t.distribute, spec.task)
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

    if t.distribute.strategy == "multi_worker":  # Keras' fit cannot run under it
        from .multi_worker import train_multi_worker
        return train_multi_worker(loaded, model, data, strategy, batch, out, epochs, verbose,
                                  runs_root)
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
            if then:  # a second phase (transfer's fine-tuning): its checkpoints say so, and
                # --resume refuses them (run/checkpoint.py) instead of resuming phase one
                history = then(model, lambda n: _fit(model, train_ds, steps, val_ds, n, t, run,
                                                     verbose, phase=2), history)
        metrics = evaluate(model, data.splits, batch, getattr(t, "outputs", None),
                           {"validation": val_ds})
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
    learning_curves(history, run.file("learning_curves.png"), loaded.spec.name,
                    list(getattr(loaded.spec.train, "outputs", None) or ()))
    write_report(run, loaded, history, model, data)  # report.html: needs every file above
