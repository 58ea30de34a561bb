"""The Keras side of grading, run only inside grading processes: train a submission
on the teacher's data, or load a submitted .keras file, and score it on the hidden
test split. Training uses the same pieces as `kspec train` (seeding, model
building, compilation, tf.data input) so a grade matches what a student sees."""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

from .metrics import per_class_accuracy, score

PER_CLASS = ("balanced_accuracy", "min_class_accuracy")  # these show each class's too


class NotScored(Exception):
    """The submission cannot be scored; the message is for the student."""


def teacher_data(loaded_rubric):
    """The teacher's data, split with the rubric's seed: the hidden test split is fixed."""
    from ..data.pipeline import prepare
    r = loaded_rubric.rubric
    data = prepare(r.data, r.seed, loaded_rubric.folder)
    if data.part("test") is None:
        raise NotScored("the assignment's data has no test split")
    return data


def train_runs(loaded_rubric, spec_data: dict, seeds: list[int], epochs: int,
               metrics: list[str], deadline: float) -> dict:
    """Train once per seed (capped at `epochs`, stopped at `deadline`, a monotonic
    time) and score each run on the test split."""
    from ..build.model import build_model
    from ..data.pipeline import to_dataset
    from ..spec.load import parse_spec
    from ..spec.yamlpos import PositionMap
    from ..run.environment import seed_everything
    from ..tasks.supervised.trainer import adapt_normalization, compile_model
    if spec_data.get("task", "supervised") != "supervised":
        return task_runs(loaded_rubric, spec_data, seeds, epochs, metrics, deadline)
    loaded = parse_spec(spec_data, PositionMap("submission"), None, check=False)
    t = loaded.spec.train
    data = teacher_data(loaded_rubric)
    x, y = data.splits["train"]
    val = data.part("validation")
    x_test, y_test = data.splits["test"]
    logits = bool(getattr(t.loss, "from_logits", False))
    outputs = list(getattr(t, "outputs", None) or ())
    check_outputs_scored(outputs, y, metrics)
    runs = []
    for seed in seeds:
        if time.monotonic() > deadline:
            break  # the remaining seeds would not finish in time
        seed_everything(seed)
        model, plan = build_model(loaded)
        adapt_normalization(model, plan, x)
        compile_model(model, t)
        stop = _deadline_callback(deadline)
        with tempfile.TemporaryDirectory() as tmp:  # where checkpoint/csv callbacks write
            history = model.fit(
                to_dataset(x, y, t.batch_size, t.shuffle, seed),
                validation_data=to_dataset(*val, t.batch_size, False, seed) if val else None,
                epochs=epochs, shuffle=False, verbose=0,
                callbacks=[cb.build(Path(tmp)) for cb in t.callbacks] + [stop]).history
        y_pred = model.predict(x_test, batch_size=max(t.batch_size, 256), verbose=0)
        if outputs:
            values = output_scores(metrics, outputs, t.outputs, y_test, y_pred,
                                   list(model.output_names))
            runs.append({"seed": seed, "values": values,
                         "epochs_run": len(history.get("loss", [])),
                         "stopped_for_time": stop.fired})
            continue
        values = {m: score(m, y_test, y_pred, logits) for m in metrics}
        run = {"seed": seed, "values": values, "epochs_run": len(history.get("loss", [])),
               "stopped_for_time": stop.fired}
        if any(m in PER_CLASS for m in metrics):
            run["per_class"] = per_class_accuracy(y_test, y_pred, logits)
        runs.append(run)
    return {"runs": runs}


def check_outputs_scored(outputs: list, y, metrics: list[str]):
    """A submission that trains several outputs is scored per output (the rubric's metric
    names it: NAME_accuracy) on teacher's data with a target for each; anything else
    is refused in one line, before training."""
    from .task_metrics import output_metric
    have = list(y) if isinstance(y, dict) else []
    if not outputs and not have:
        return
    if not outputs:
        raise NotScored(f"the assignment's data has a target per output ({', '.join(have)}); "
                        "the submission trains one: give it those outputs and train.outputs")
    if set(outputs) != set(have):
        raise NotScored(f"the submission trains the outputs {', '.join(outputs)}, but the "
                        "assignment's data has " + (f"targets for {', '.join(have)}" if have
                                                   else "one target") + "; keep one output "
                        "and train.loss" + ("" if not have else
                                            f", or name the outputs {', '.join(have)}"))
    for m in metrics:
        if output_metric(m, outputs) is None:
            raise NotScored(f"the rubric's metric '{m}' does not name an output of "
                            f"{', '.join(outputs)} (e.g. {outputs[0]}_accuracy)")


def output_scores(metrics, outputs, per_output, y_test, y_pred, model_outputs) -> dict:
    """Each metric NAME_metric scored on output NAME's predictions and target."""
    from .task_metrics import output_metric
    preds = dict(zip(model_outputs, y_pred if isinstance(y_pred, (list, tuple)) else [y_pred]))
    values = {}
    for m in metrics:
        name, base = output_metric(m, outputs)
        logits = bool(getattr(per_output[name].loss, "from_logits", False))
        values[m] = score(base, y_test[name], preds[name], logits)
    return values


def task_runs(loaded_rubric, spec_data: dict, seeds: list[int], epochs: int,
              metrics: list[str], deadline: float) -> dict:
    """A submission of another task (forecast, gan, ...): its task's own trainer (what
    `kspec train` runs) writes a run folder in a temporary folder here, and each metric
    is read from the run's metrics.json (task_metrics.py says where). A series splits
    in time order, so the test windows are the same whatever the seed. Such trainers
    take no stop callback: past the time limit the process is stopped (watchdog)."""
    import json

    from ..spec.load import parse_spec
    from ..spec.yamlpos import PositionMap
    from ..tasks import TASKS
    from .task_metrics import Unavailable, label, read
    task = spec_data["task"]
    runs = []
    for seed in seeds:
        if time.monotonic() > deadline:
            break
        # the rubric's path: the teacher's data paths are relative to its folder
        loaded = parse_spec({**spec_data, "seed": seed}, PositionMap("submission"),
                            loaded_rubric.path.resolve(), check=False)
        with tempfile.TemporaryDirectory() as tmp:
            result = TASKS[task].train(loaded, out=Path(tmp) / "run", epochs=epochs, verbose=0)
            written = json.loads((Path(result.path) / "metrics.json").read_text())
        try:
            values = {m: read(task, m, written) for m in metrics}
        except Unavailable as exc:
            raise NotScored(str(exc)) from None
        runs.append({"seed": seed, "values": values,
                     "epochs_run": int(written.get("epochs_run", epochs)),
                     "stopped_for_time": False})
    return {"runs": runs, "labels": {m: label(task, m) for m in metrics}}


def model_values(loaded_rubric, keras_path: str, metrics: list[str]) -> dict:
    """Score a submitted model. Safe mode: a file with code (Lambda layers, unknown
    classes) is refused, never run."""
    from ..run.model_file import ModelRefused, load_model_file, refusal_reason
    try:
        model = load_model_file(keras_path, compile=False)
    except ModelRefused as exc:  # one line: what safe mode refused and why, for the student
        reason = str(exc).split(" safe mode: ", 1)[-1] if " safe mode: " in str(exc) else str(exc)
        raise NotScored(f"{Path(keras_path).name} cannot be loaded safely: {reason}") from None
    except Exception as exc:  # noqa: BLE001 - anything else Keras says about the file
        raise NotScored(f"{Path(keras_path).name} cannot be loaded safely: "
                        f"{refusal_reason(exc)}") from None
    data = teacher_data(loaded_rubric)
    x_test, y_test = data.splits["test"]
    want = tuple(model.input_shape[1:]) if not isinstance(model.input_shape, list) else None
    have = tuple(x_test.shape[1:])
    if want is None or len(want) != len(have) or any(
            w not in (None, h) for w, h in zip(want, have)):
        raise NotScored(f"the model takes inputs of shape {want}, but the assignment's data "
                        f"gives examples of shape {have}")
    y_pred = model.predict(x_test, batch_size=256, verbose=0)
    return {"values": {m: score(m, y_test, y_pred) for m in metrics}}


def _deadline_callback(deadline: float):
    """Stops training (after the current batch) once the time budget is spent, so
    the model trained so far is still scored, instead of the process being killed."""
    from ..core.keras_env import keras

    class Deadline(keras().callbacks.Callback):
        fired = False

        def on_train_batch_end(self, batch, logs=None):
            if time.monotonic() > deadline:
                self.model.stop_training = True
                self.fired = True

    return Deadline()
