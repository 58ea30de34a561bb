"""kspec's own training loop for `train.distribute: multi_worker` (README "Scaling out").

Keras 3.15's model.fit/evaluate/predict cannot run under TensorFlow's
MultiWorkerMirroredStrategy (keras-team/keras#20585): fit reduces the first distributed
batch with strategy.reduce before training, and reduces each step's scalar logs along
axis 0. Both are inside Keras' private trainer, so instead of patching it kspec drives the
model's own public pieces: each step runs Keras' `train_step` (the compiled loss,
optimizer and metrics; the optimizer all-reduces the gradients across workers) on every
replica through `strategy.run`, inside one tf.function, and the epoch's metrics are read
in cross-replica context: Keras' metric variables are sum-aggregated on read, so a mean
or an accuracy is that of every example of every worker, not a mean of per-worker means.

Callbacks, the progress display and the history are Keras' own (a CallbackList, as fit
makes one), so early stopping and kspec's per-epoch checkpoint work as under fit. Every
worker runs every step and every validation (collective ops need all of them); only the
chief (worker 0) writes files.
"""
from __future__ import annotations

import warnings

from ...core.keras_env import keras, tf


def is_chief(strategy) -> bool:
    """Worker 0 (or the task named chief): the one that writes the run folder."""
    return bool(strategy.extended.should_checkpoint)


def worker_name(strategy) -> str:
    r = strategy.cluster_resolver
    return f"{r.task_type} {r.task_id}"


def _distributed(strategy, dataset):
    # the arrays are in memory, not in files: shard by example (AUTO would try files
    # first and warn); each worker keeps its share of every global batch
    options = tf().data.Options()
    options.experimental_distribute.auto_shard_policy = \
        tf().data.experimental.AutoShardPolicy.DATA
    return strategy.experimental_distribute_dataset(dataset.with_options(options))


def _results(model) -> dict:
    """The compiled metrics, read in cross-replica context (summed over all replicas)."""
    return dict(model.get_metrics_result())


def _functions(model, strategy):
    t = tf()

    @t.function
    def train_step(iterator):
        strategy.run(model.train_step, args=(next(iterator),))
        return _results(model)

    @t.function
    def evaluate(dataset):
        for batch in dataset:  # TF keeps the workers in step at an uneven last batch
            strategy.run(model.test_step, args=(batch,))
        return _results(model)

    return train_step, evaluate


def _barrier(strategy):
    """Every worker waits here for all the others: the other workers wait so for the
    chief's evaluation and writing, instead of leaving while its coordination service
    still watches them (it then logs them as crashed)."""
    t = tf()
    t.function(lambda: strategy.reduce(
        "SUM", strategy.run(lambda: t.constant(1.0)), axis=None))()


def _evaluate(model, evaluate_fn, distributed) -> dict:
    """Metrics of one (distributed) split, over every worker's share of it."""
    model.reset_metrics()
    with warnings.catch_warnings():  # tf.data asks for the options while tracing the loop
        warnings.filterwarnings("ignore", message=".*preserve tf.data options")
        return {k: float(v) for k, v in evaluate_fn(distributed).items()}


def fit(model, strategy, train_ds, steps: int, val_ds, epochs: int, callbacks,
        verbose: int, initial_epoch: int = 0):
    """model.fit's loop: `steps` batches of the repeating `train_ds` per epoch, then the
    validation split; the callbacks see the same calls and logs as under fit."""
    k = keras()
    train_step, evaluate_fn = _functions(model, strategy)
    callbacks = k.callbacks.CallbackList(callbacks, add_history=True, add_progbar=verbose != 0,
                                         verbose=verbose, epochs=epochs, steps=steps,
                                         model=model)
    iterator = iter(_distributed(strategy, train_ds))
    val = _distributed(strategy, val_ds) if val_ds is not None else None  # read each epoch
    model.stop_training = False
    callbacks.on_train_begin()
    logs = {}
    for epoch in range(initial_epoch, epochs):
        model.reset_metrics()
        callbacks.on_epoch_begin(epoch)
        for step in range(steps):
            callbacks.on_train_batch_begin(step)
            logs = {k: float(v) for k, v in train_step(iterator).items()}
            callbacks.on_train_batch_end(step, logs)
        if val is not None:
            logs = {**logs, **{f"val_{k}": v for k, v in
                               _evaluate(model, evaluate_fn, val).items()}}
        callbacks.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    callbacks.on_train_end(logs=logs)
    return model.history


def train_multi_worker(loaded, model, data, strategy, batch: int, out, epochs,
                       verbose, runs_root):
    """The supervised trainer's path under multi_worker, from the compiled model on.
    Every worker trains; the chief then copies the weights into the same network built
    outside the strategy (Keras' evaluate, predict and save cannot run under it either),
    evaluates every split on it and writes the run folder as a one-device run does.
    The other workers write nothing and return a RunResult without a path."""
    import sys
    import tempfile

    from ...build.distribute import workers as count_workers
    from ...build.model import build_model
    from ...data.pipeline import fit_datasets, placed
    from ...data.errors import DataLoadError
    from ...run.checkpoint import epoch_callback, open_run_folder
    from ...run.environment import versions
    from ...run.folder import RunResult
    from .speed import say
    from .trainer import compile_model, evaluate as evaluate_splits, write_run

    spec, t = loaded.spec, loaded.spec.train
    for bad, why in ((getattr(loaded, "resume_from", None), "--resume (train the spec again)"),
                     (t.steps_per_execution not in ("auto", 1),
                      "train.steps_per_execution (kspec's loop runs one step per call)"),
                     (t.jit_compile is True, "train.jit_compile (leave it auto)")):
        if bad:
            raise placed(DataLoadError(f"strategy multi_worker does not take {why}",
                                       ("train", "distribute", "strategy")), loaded)
    chief = is_chief(strategy)
    workers = count_workers(strategy)
    say(f"multi_worker: {worker_name(strategy)} of {workers} worker(s); "
        + ("the chief: it writes the run folder" if chief else "the chief (worker 0) writes "
           "the run folder"))
    n = epochs or t.epochs
    train_ds, steps, val_ds = fit_datasets(data, spec.data, batch, t.shuffle, spec.seed,
                                           repeat=True)
    verbose = verbose if verbose is not None else (1 if sys.stdout.isatty() else 2)
    if not chief:  # same callbacks (early stopping must stop every worker alike), files
        with tempfile.TemporaryDirectory() as scratch:  # of theirs thrown away
            callbacks = [cb.build(scratch) for cb in t.callbacks]
            history = fit(model, strategy, train_ds, steps, val_ds, n, callbacks, 0)
        _barrier(strategy)
        return RunResult(None, {}, dict(history.history),
                         [f"{worker_name(strategy)}: trained; the chief (worker 0) "
                          "evaluates and writes the run folder"])
    run, _ = open_run_folder(loaded, out, runs_root, epochs)
    try:
        callbacks = [cb.build(run.path) for cb in t.callbacks]
        saver = epoch_callback(run, steps, None, callbacks)
        fit(model, strategy, train_ds, steps, val_ds, n, callbacks + [saver], verbose)
        history = saver.history
        plain, _ = build_model(loaded)  # outside the strategy's scope: one device
        plain.set_weights(model.get_weights())
        compile_model(plain, t)
        metrics = evaluate_splits(plain, data.splits, batch, getattr(t, "outputs", None),
                                  {"validation": val_ds})
        metrics.update({"seed": spec.seed, "epochs_run": len(history.get("loss", [])),
                        "params": int(plain.count_params()), "versions": versions(),
                        "workers": workers})
        write_run(run, loaded, plain, history, metrics, data)
        path = run.finish()
    except BaseException as exc:
        run.abandon(exc)
        raise
    finally:
        _barrier(strategy)
    return RunResult(path, metrics, history, [])
