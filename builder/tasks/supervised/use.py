"""Using a trained run on new data: `kspec evaluate` and `kspec predict`.

Both read the run folder (model.keras in Keras' safe mode, spec.yaml,
preprocess.json) and apply the preprocessing saved with the run (the training
split's statistics, a CSV's columns and categories, a text's vocabulary), so
new raw data is transformed exactly like the training data was.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...core.atomic import atomic_path, write_text
from ...data.errors import DataLoadError
from ...run.folder import csv_text
from ...run.read import Run, open_run


def check_input_shape(run: Run, x, where: str):
    want = tuple(run.model.input_shape[1:])
    have = tuple(x.shape[1:])
    if len(want) != len(have) or any(w is not None and w != h for w, h in zip(want, have)):
        raise DataLoadError(f"{where} gives examples of shape {list(have)} after the run's "
                            f"preprocessing, but the model expects {list(want)}")


# ---- evaluate ---------------------------------------------------------------

def evaluate_run(run_dir, data: str | None = None, batch_size: int = 256,
                 targets=None) -> dict:
    """Metrics per split of the run's own data, or on all of `data` (a spec or a file).

    `targets(model, x, y) -> y`: what the model was trained to output for (x, y), for
    tasks whose training targets are not the data's own (a GPT-style language model
    learns the next token at every position)."""
    run = open_run(run_dir)
    if data is None:
        parts = own_splits(run)
    else:
        parts = {"data": labelled_data(run, Path(data))}
    out = {}
    for part, (x, y) in parts.items():
        if y is None:
            raise DataLoadError(f"the {part} data has no targets, so there is nothing to compare "
                                "the predictions with; use kspec predict")
        check_input_shape(run, x, data or "the run's data")
        if targets is not None:
            y = targets(run.model, x, y)
        out[part] = {k: float(v) for k, v in run.model.evaluate(
            x, y, batch_size=batch_size, verbose=0, return_dict=True).items()}
        per_output = getattr(run.spec.train, "outputs", None)
        if per_output:  # Keras' own are off (trainer.output_losses)
            from .trainer import output_losses
            out[part].update(output_losses(run.model, x, y, per_output, batch_size))
        out[part]["examples"] = int(len(x))
    return out


def own_splits(run: Run) -> dict:
    """The run's own splits, re-made with its seed and its saved (not refitted) statistics."""
    from ...data.pipeline import prepare
    spec = run.spec
    prepared = prepare(spec.data, spec.seed, run.saved.data_dir, states=run.saved.states)
    return prepared.splits


def labelled_data(run: Run, path: Path):
    """All examples of another spec's data source, or of a labelled file, preprocessed as
    the run's training data was (its saved statistics)."""
    from ...data.pipeline import apply_saved
    from ...spec.library import bundled
    if path.suffix.lower() in (".yaml", ".yml") or (not path.exists() and str(path) in bundled()):
        from ...spec.load import load_spec
        from ...spec.parts import require
        other = load_spec(str(path), check=False)  # only its data: is read (spec/parts.py)
        require(other, "data", doing="kspec evaluate --data")
        loaded = other.spec.data.source.load(Path(other.path).parent)
        x, y = loaded.x, loaded.y
        if loaded.test is not None:
            from ...data.multi import concat
            x = np.concatenate([x, loaded.test[0]])
            y = None if y is None else concat(y, loaded.test[1])
    else:
        from ...data.inputs import read_labelled_input
        x, y = read_labelled_input(path, run.saved)
    raw = tuple(run.saved.raw.get("raw_shape") or ())
    if raw and tuple(x.shape[1:]) != raw:  # another data set: the saved steps cannot apply
        raise DataLoadError(f"{path} gives examples of shape {list(x.shape[1:])}, but the run "
                            f"was trained on examples of shape {list(raw)}")
    return apply_saved(run.saved.steps, run.saved.states, x, y, run.spec.seed)


# ---- predict ----------------------------------------------------------------

@dataclass
class Predictions:
    header: list[str]
    rows: list[list]
    outputs: np.ndarray  # in the target's units (target scaling undone)
    text: str | None = None  # a language model's continuation


def check_finite(x, names, where: str, after: str = ""):
    """NaN or infinite inputs (a CSV's `1e309`, `inf`, `nan`) would be predicted as NaN
    and shown as a class: refuse them in one line, naming the first examples."""
    x = np.asarray(x)
    if x.dtype.kind != "f":
        return
    bad = ~np.isfinite(x.reshape(len(x), -1)).all(axis=1)
    if bad.any():
        first = [str(names[i]) for i in np.flatnonzero(bad)[:3]]
        raise DataLoadError(f"{where}: {int(bad.sum())} example(s) hold values that are not "
                            f"finite numbers (NaN or infinite, e.g. 1e309){after}: "
                            f"{', '.join(first)}{' ...' if bad.sum() > 3 else ''}; fix or drop "
                            "them")


def read_inputs(run: Run, input_path, resize: bool = False):
    """New raw inputs for the run -> (raw, a label per example, preprocessed), checked
    against the model's input shape and for values that are not finite numbers."""
    path = Path(input_path)
    x_raw, names = run.saved.read_input(path, resize)
    check_finite(x_raw, names, str(path))
    with np.errstate(over="ignore", invalid="ignore"):  # checked just below, in one line
        x = run.saved.inputs(x_raw)
    check_finite(x, names, str(path), " after the run's preprocessing (too large)")
    check_input_shape(run, x, str(path))
    return x_raw, names, x


def predict_run(run_dir, input_path, resize: bool = False) -> Predictions:
    run = open_run(run_dir)
    _, names, x = read_inputs(run, input_path, resize)
    per_output = getattr(run.spec.train, "outputs", None)
    if per_output:
        return tabulate_outputs(run, names, run.model.predict(x, batch_size=256, verbose=0),
                                per_output)
    outputs = run.saved.outputs(np.asarray(run.model.predict(x, batch_size=256, verbose=0)))
    return tabulate(run, names, outputs)


def tabulate_outputs(run: Run, names, predicted, per_output) -> Predictions:
    """Several outputs: one group of columns per output, each named after it (`diagnosis`,
    `diagnosis_p(benign)`, `radius`), in the order of train.outputs."""
    if not isinstance(predicted, (list, tuple)):
        predicted = [predicted]
    classes = run.saved.class_names if isinstance(run.saved.class_names, dict) else {}
    header, columns, raw = ["example"], [], {}
    by_name = dict(zip(run.model.output_names, predicted))  # the model's order
    for name, o in per_output.items():
        p = np.asarray(by_name[name])
        raw[name] = p
        one = tabulate(run, names, p, loss=o.loss, classes=classes.get(name))
        header += [name if h == "prediction" else f"{name}_{h.removeprefix('prediction_')}"
                   if h.startswith("prediction_") else f"{name}_{h}" for h in one.header[1:]]
        columns.append([r[1:] for r in one.rows])
    rows = [[n] + [v for group in groups for v in group] for n, *groups in zip(names, *columns)]
    return Predictions(header, rows, raw)


def tabulate(run: Run, names, outputs, loss=None, classes=None) -> Predictions:
    """`loss`, `classes`: one output's of several (default: the run's one loss)."""
    classes = classes if loss is not None else run.saved.class_names
    task = getattr(loss if loss is not None else run.loss, "task", None)
    flat = outputs.reshape(len(outputs), -1)
    if task == "binary" and flat.shape[1] == 1:
        names2 = classes if classes and len(classes) == 2 else ["0", "1"]
        p = flat[:, 0]
        rows = [[n, names2[int(q > 0.5)], float(q)] for n, q in zip(names, p)]
        return Predictions(["example", "prediction", f"p({names2[1]})"], rows, outputs)
    if task in ("multiclass", "sparse_multiclass"):
        labels = classes if classes and len(classes) == flat.shape[1] else \
            [str(i) for i in range(flat.shape[1])]
        rows = [[n, labels[int(np.argmax(q))]] + [float(v) for v in q] for n, q in zip(names, flat)]
        return Predictions(["example", "prediction"] + [f"p({c})" for c in labels], rows, outputs)
    cols = ["prediction"] if flat.shape[1] == 1 else [f"prediction_{i + 1}" for i in range(flat.shape[1])]
    rows = [[n] + [float(v) for v in q] for n, q in zip(names, flat)]
    return Predictions(["example"] + cols, rows, outputs)


def write_predictions(pred: Predictions, out: Path | None) -> str | None:
    """CSV (or .npy of the raw outputs) to `out`, written atomically; None: return CSV text.
    Several outputs go to an .npz (one array per output, by name), not an .npy."""
    if out is not None and isinstance(pred.outputs, dict) and out.suffix.lower() in (".npy",
                                                                                    ".npz"):
        if out.suffix.lower() == ".npy":
            raise DataLoadError(f"{out}: this model has {len(pred.outputs)} outputs "
                                f"({', '.join(pred.outputs)}) and an .npy holds one array; "
                                f"write --out {out.with_suffix('.npz').name} (one array per "
                                "output) or a .csv")
        with atomic_path(out) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, **pred.outputs)
        return None
    if out is not None and out.suffix.lower() == ".npy":
        with atomic_path(out) as tmp:
            np.save(tmp, pred.outputs)
        return None
    if pred.text is not None and out is None:
        return pred.text
    table = csv_text(pred.header,
                     [[f"{v:.6g}" if isinstance(v, float) else v for v in r] for r in pred.rows])
    if out is None:
        return table
    write_text(out, pred.text if pred.text is not None and out.suffix != ".csv" else table)
    return None
