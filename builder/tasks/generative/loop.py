"""The training loop every generative task shares, and the run folder it writes.

A task's Trainer supplies `arrays(data, part)` (what one split feeds the step),
`train_step(*batch)` and optionally `eval_step(*batch)` (dicts of scalar losses,
one entry per loss component, so each gets its own curve) and `sampler()`. The
loop batches, logs every component per epoch, draws a sample grid from a fixed
seed every few epochs, and writes the run folder atomically (RunFolder).
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...build.model import build_models
from ...data.errors import DataLoadError
from ...data.pipeline import placed, prepare_spec, to_dataset
from ...core.problems import Problem, SpecError
from ...see.report import write_report
from ...run.environment import resolved_yaml, seed_everything, versions
from ...run import checkpoint
from ...run.checkpoint import keras_variables, open_run_folder
from ...run.folder import RunResult
from ...run.plots import learning_curves
from ...run.preprocessing import write_preprocessing
from ...run.read import read_run_json
from .common import shown, same
from .images import Original, shows_as_image, write_samples

META_FILE = "generative.json"
FORMAT = 1
STAT_SAMPLES = 500  # samples drawn at the end for metrics.json's sample statistics


def check_loaded_shapes(task, spec, plans, data):
    role, name = task.data_input(plans)
    want = plans[role].inputs[name]
    have = tuple(data.splits["train"][0].shape[1:])
    if not same(want, have):
        path = ("models", role) if task.roles else ("model",)
        raise DataLoadError(f"the data gives examples of shape {shown(have)} after preprocessing "
                            f"but the {role if task.roles else 'model'}'s input "
                            f"{'' if name == 'input' else name + ' '}is {shown(want)}",
                            path + ("input",))
    if task.uses_labels:
        y = data.splits["train"][1]
        if y is None or y.ndim != 1 or y.dtype.kind not in "iu":
            raise DataLoadError(f"task {task.name} needs one class id per example as the "
                                "target (e.g. sklearn: digits); this data has none",
                                ("data", "source"))


@dataclass
class GenerativeRunResult(RunResult):
    notes: list = field(default_factory=list)  # printed by `kspec train` after the metrics


def notes(metrics, path) -> list:
    out = []
    said = {"mean_image": "the mean training image", "noisy_input": "the noisy input unchanged"}
    for name, values in metrics.get("baselines", {}).items():
        out.append(f"  baseline: {said.get(name, name)}, test mse {values['mse']:.4f}")
    s = metrics.get("samples")
    if s:
        grids = any(path.glob("samples/*.png"))  # a table's synthetic rows are .npy
        out.append(f"   samples: {'pixel' if grids else 'value'} mean {s['mean']:.3g}, std "
                   f"{s['std']:.3g} (the data: {s['data_mean']:.3g}, {s['data_std']:.3g}); "
                   f"{'grids' if grids else 'rows'} in {path / 'samples'}")
    return out


class Diverged(SpecError):
    """The loss became NaN or infinite: a spec problem (learning rate), not a crash."""


def train_generative(task, loaded, out=None, epochs=None, verbose=None,
                     runs_root: Path = Path("runs")) -> RunResult:
    spec = loaded.spec
    seed_everything(spec.seed)
    data = prepare_spec(loaded)
    built = build_models(loaded)
    nets = {role: model for role, (model, _) in built.items()}
    plans = {role: plan for role, (_, plan) in built.items()}
    try:
        task.check_data(spec, plans, data)
    except DataLoadError as exc:
        raise placed(exc, loaded) from None
    original = Original(list(spec.data.preprocess), data.states, data.raw_shape)
    original = original.with_range_of(data.splits["train"][0])
    epochs = epochs or spec.train.epochs
    every = spec.train.sample_every or task.default_sample_every
    every = every(epochs) if callable(every) else every

    run, resume = open_run_folder(loaded, out, runs_root, epochs)
    try:
        trainer = task.make_trainer(spec, nets, plans, data)

        def grid(epoch):
            if epoch % every and epoch != epochs:
                return
            rows = [original(r) for r in trainer.sampler().progress_rows(spec.seed, data)]
            # a grid picture for images; the rows themselves for a table's synthetic rows
            kind = "png" if shows_as_image(np.shape(rows[0])[1:]) else "npy"
            write_samples(run.file(f"samples/epoch_{epoch:03d}.{kind}"), None, original.low,
                          original.high, rows=rows)

        history = fit(trainer, data, spec, epochs, verbose, grid, run, resume)
        sampler = trainer.sampler()
        metrics = {part: evaluate(trainer, trainer.arrays(data, part), spec.train.batch_size)
                   for part in ("train", "validation", "test")
                   if part in data.splits and trainer.has_eval}
        if not trainer.has_eval:  # adversarial losses: the last epoch's averages
            metrics["train"] = {k: v[-1] for k, v in history.items()}
        metrics.update(trainer.final_metrics(data, original))
        if sampler.can_sample:
            metrics["samples"] = sample_stats(sampler, spec.seed, data, original)
        metrics.update({"seed": spec.seed, "epochs_run": epochs,
                        "params": {role: int(m.count_params()) for role, m in nets.items()},
                        "versions": versions()})
        meta = {"format": FORMAT, "task": task.name, "range": [original.low, original.high],
                "classes": data.info.n_classes if data.info else None,
                "class_names": data.class_names, **trainer.meta(data)}
        write_run(run, loaded, nets, history, metrics, meta, data)
        trainer.write_artifacts(run, data, original)
        write_report(run, loaded, history)  # report.html, after every other file
        path = run.finish()
    except BaseException as exc:
        run.abandon(exc)  # a checkpoint is kept, with the command that resumes it
        raise
    return GenerativeRunResult(path, metrics, history, notes(metrics, path))


def fit(trainer, data, spec, epochs, verbose, on_epoch_end, run=None, resume=None) -> dict:
    """The epochs; after each, `on_epoch_end(epoch)` and a checkpoint in `run` (every
    variable of the trainer: networks, optimizers, noise generators). With `resume`
    the trainer's variables come from that checkpoint and training continues after
    its epoch, the data shuffled as it would have been."""
    t = spec.train
    x, y = trainer.arrays(data, "train")
    batches = to_dataset(x, y, t.batch_size, True, spec.seed)
    val = trainer.arrays(data, "validation") if "validation" in data.splits else None
    verbose = verbose if verbose is not None else (1 if sys.stdout.isatty() else 2)
    history: dict = {}
    if resume is not None:
        resume.restore(keras_variables(trainer), "networks")
        history = {k: list(v) for k, v in resume.history.items()}
        for _ in range(resume.epoch):  # each pass reshuffles: replay the passes done
            for _ in batches:
                pass
    for epoch in range(resume.epoch + 1 if resume else 1, epochs + 1):
        start = time.perf_counter()
        totals, count = {}, 0
        for batch in batches:
            logs = trainer.train_step(*batch) if isinstance(batch, tuple) else trainer.train_step(batch)
            for k, v in logs.items():
                totals[k] = totals.get(k, 0.0) + v
            count += 1
        for k, v in totals.items():
            history.setdefault(k, []).append(float(v) / count)
        if val is not None and trainer.has_eval:
            for k, v in evaluate(trainer, val, t.batch_size).items():
                history.setdefault("val_" + k, []).append(v)
        bad = [k for k, v in history.items() if not np.isfinite(v[-1])]
        if bad:
            raise Diverged([Problem(("train",), f"{bad[0]} became {history[bad[0]][-1]} at epoch "
                                    f"{epoch}; training diverged: lower the learning rate(s)")])
        if verbose:
            logs = " - ".join(f"{k} {v[-1]:.4f}" for k, v in history.items())
            print(f"epoch {epoch}/{epochs} - {time.perf_counter() - start:.1f}s - {logs}",
                  flush=True)
        on_epoch_end(epoch)
        if run is not None:
            checkpoint.save(run.path, epoch, history, keras_variables(trainer), epoch)
    return history


def evaluate(trainer, arrays, batch_size) -> dict:
    """Each loss component averaged over a whole split (weighted by batch size)."""
    x, y = arrays
    totals, n = {}, 0
    for i in range(0, len(x), batch_size):
        batch = (x[i:i + batch_size],) + (() if y is None else (y[i:i + batch_size],))
        logs = trainer.eval_step(*batch)
        size = len(batch[0])
        for k, v in logs.items():
            totals[k] = totals.get(k, 0.0) + float(v) * size
        n += size
    return {k: v / n for k, v in totals.items()}


def sample_stats(sampler, seed, data, original) -> dict:
    """Pixel statistics of generated samples next to the data's, in original units."""
    labels = None
    if sampler.needs_label:
        labels = np.arange(STAT_SAMPLES) % (data.info.n_classes or 10)
    fake = original(sampler.sample(STAT_SAMPLES, seed + 1, labels=labels))
    real = original(data.splits["test" if "test" in data.splits else "train"][0])
    return {"n": STAT_SAMPLES, "mean": float(fake.mean()), "std": float(fake.std()),
            "data_mean": float(real.mean()), "data_std": float(real.std())}


def write_run(run, loaded, nets, history, metrics, meta, data):
    for role, model in nets.items():
        model.save(run.file(f"{role}.keras"))
    run.write_text("spec.yaml", resolved_yaml(loaded))
    run.write_json("metrics.json", metrics)
    run.write_json(META_FILE, meta)
    write_preprocessing(run, data, loaded)
    keys = list(history)
    rows = [[i + 1] + [float(history[k][i]) for k in keys] for i in range(len(history[keys[0]]))]
    run.write_csv("history.csv", ["epoch"] + keys, rows)
    learning_curves(history, run.file("learning_curves.png"), loaded.spec.name)


def read_meta(run_dir: Path) -> dict:
    file = Path(run_dir) / META_FILE
    meta = read_run_json(run_dir, META_FILE,
                         "is it a run of a generative task (made by kspec train)?")
    if meta.get("format") != FORMAT:
        raise DataLoadError(f"{file} was written by another kspec version; train the spec again")
    return meta
