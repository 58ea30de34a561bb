"""The metrics a train check can score, for each task the grader trains.

A supervised submission is trained by the grader itself and scored on the hidden
test split (metrics.py computes the values: accuracy, f1, auc, rmse, ...). A
submission of another task is trained by its task's own trainer (the code `kspec
train` runs), and a check scores a number that trainer writes into the run's
metrics.json: each name below is where it is read from, and whether higher is
better (credit then runs from `floor` up to `target`, else down).

Keras-free: `kspec rubric check` refuses, at the line, a metric the rubric's task
does not produce, and lists those it does.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TaskMetric:
    higher: bool  # True when a higher value is better
    at: tuple  # keys into metrics.json
    doc: str
    over: tuple | None = None  # a ratio: the value at `at` divided by the one at `over`


def _errors(units: str) -> dict:
    test = ("test",)
    naive, seasonal = ("baselines", "naive_last"), ("baselines", "seasonal_naive")
    out = {}
    for e in ("rmse", "mae"):
        out[e] = TaskMetric(False, test + (e,), f"test {e.upper()} in {units}")
        out[f"{e}_vs_naive"] = TaskMetric(
            False, test + (e,), f"test {e.upper()} / the naive last-value forecast's "
            "(below 1: the model beats it)", over=naive + (e,))
        out[f"{e}_vs_seasonal"] = TaskMetric(
            False, test + (e,), f"test {e.upper()} / the seasonal-naive forecast's (needs "
            "train.season in the spec)", over=seasonal + (e,))
    return out


_TEST_LOSS = {"loss": TaskMetric(False, ("test", "loss"), "the task's loss on the test split")}
_JUDGE = {
    "judge_fake": TaskMetric(True, ("train", "d_fake"), "the discriminator's mean confidence "
                             "that generated samples are real, last epoch (0.5: fooled)"),
    "judge_real": TaskMetric(False, ("train", "d_real"), "its mean confidence that real "
                             "samples are real, last epoch"),
    "g_loss": TaskMetric(False, ("train", "g_loss"), "the generator's loss, last epoch"),
}

# task -> metric name -> where its trainer writes it
TASK_METRICS: dict[str, dict[str, TaskMetric]] = {
    "forecast": _errors("the series' units"),
    "language_model": {
        "cross_entropy": TaskMetric(False, ("test", "cross_entropy"),
                                    "test cross-entropy, nats per token"),
        "perplexity": TaskMetric(False, ("test", "perplexity"), "test perplexity"),
    },
    "autoencoder": _TEST_LOSS, "vae": _TEST_LOSS, "diffusion": _TEST_LOSS, "flow": _TEST_LOSS,
    "gan": _JUDGE, "cgan": _JUDGE,
}

# the supervised metrics (computed by metrics.py): True when higher is better
SUPERVISED = {"accuracy": True, "balanced_accuracy": True, "min_class_accuracy": True,
              "f1": True, "f1_micro": True, "precision": True, "recall": True, "auc": True,
              "r2": True, "mae": False, "mse": False, "rmse": False}

GRADED_TASKS = ("supervised",) + tuple(TASK_METRICS)


def names(task: str, outputs=()) -> list[str]:
    """The metrics a train check of a `task` rubric may name; with the `outputs` of
    teacher's data that has a target per output, each output's as Keras names them
    (NAME_accuracy, NAME_mae, ...) instead of the one-output names."""
    if task == "supervised" and outputs:
        return [f"{o}_{m}" for o in outputs for m in [*SUPERVISED, *KERAS_NAMES]]
    return list(SUPERVISED) if task == "supervised" else list(TASK_METRICS.get(task, {}))


# Keras' metric names (as kspec logs them: NAME_mean_absolute_error) -> the grader's
KERAS_NAMES = {"mean_absolute_error": "mae", "mean_squared_error": "mse",
               "root_mean_squared_error": "rmse", "r2_score": "r2"}


def output_metric(metric: str, outputs) -> tuple[str, str] | None:
    """'diagnosis_accuracy' -> ('diagnosis', 'accuracy') for an output of `outputs`;
    'radius_mean_absolute_error' (the name in the run's metrics.json) -> ('radius', 'mae')."""
    for o in sorted(outputs, key=len, reverse=True):
        rest = metric[len(o) + 1:]
        rest = KERAS_NAMES.get(rest, rest)
        if metric.startswith(o + "_") and rest in SUPERVISED:
            return o, rest
    return None


def higher_is_better(metric: str, task: str = "supervised") -> bool | None:
    """None for a name the task does not report (rubric check refuses it)."""
    if task == "supervised":
        if metric in SUPERVISED:
            return SUPERVISED[metric]
        base = next((KERAS_NAMES.get(m, m) for m in sorted([*SUPERVISED, *KERAS_NAMES],
                                                             key=len, reverse=True)
                     if metric.endswith("_" + m)), None)  # an output's: NAME_metric
        return None if base is None else SUPERVISED[base]
    m = TASK_METRICS.get(task, {}).get(metric)
    return None if m is None else m.higher


def label(task: str, metric: str) -> str:
    """How the feedback names the value: most are on the hidden test split."""
    split = TASK_METRICS[task][metric].at[0]
    return f"test {metric}" if split == "test" else f"{metric} (last training epoch)"


class Unavailable(KeyError):
    """metrics.json lacks what a metric reads; str() says why, for the student."""

    def __str__(self):
        return self.args[0]


def read(task: str, metric: str, metrics_json: dict) -> float:
    m = TASK_METRICS[task][metric]

    def at(keys):
        value = metrics_json
        for k in keys:
            if not isinstance(value, dict) or k not in value:
                raise Unavailable(f"the {task} run has no {'.'.join(keys)} in its "
                                  f"metrics.json, which {metric} reads ({m.doc})")
            value = value[k]
        return float(value)

    value = at(m.at)
    return value / at(m.over) if m.over else value
