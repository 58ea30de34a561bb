"""Fast fit (README "Fast fit"): several steps per call into TensorFlow give the very
same run as one step per call, callbacks still see every epoch, the rule picks counts
that keep epochs whole, and the speed options say what they cannot do on a CPU."""
from __future__ import annotations

import csv

import pytest

from builder.spec.load import load_spec
from builder.tasks.supervised.speed import MAX_PER_EXECUTION, MIN_STEPS, steps_per_execution
from builder.tasks.supervised.trainer import train

# 200 examples: 120 train, so 15 steps an epoch at batch 8 (5 divides it, 4 does not)
SPEC = """
kspec: 1
name: fast
seed: 3
data:
  source: {synthetic: {type: classification, n: 200, shape: [6], classes: 3}}
  split: {validation: 0.2, test: 0.2}
model:
  input: [6]
  layers:
    - dense: {units: 16, activation: relu}
    - dropout: 0.3
    - dense: {units: 3, activation: softmax}
train:
  loss: sparse_categorical_crossentropy
  optimizer: {adam: {learning_rate: 0.01}}
  metrics: [accuracy]
  epochs: 5
  batch_size: 8
  callbacks:
    - csv_logger
    - model_checkpoint: {monitor: val_loss}
    - early_stopping: {patience: 2, monitor: val_loss, min_delta: 0.01}
"""


def _run(path, tmp_path, name, *overrides):
    loaded = load_spec(str(path), list(overrides))
    result = train(loaded, out=tmp_path / name, verbose=0)
    with open(result.path / "epochs.csv") as f:
        epochs_logged = list(csv.DictReader(f))
    return result, epochs_logged


def test_several_steps_per_call_train_exactly_as_one(write_spec, tmp_path):
    path = write_spec(SPEC)
    one, one_log = _run(path, tmp_path, "one", "train.steps_per_execution=1")
    five, five_log = _run(path, tmp_path, "five", "train.steps_per_execution=5")
    assert five.history == one.history  # every epoch's loss and metrics, bit for bit
    for part in ("train", "validation", "test"):
        assert five.metrics[part] == one.metrics[part]
    # callbacks saw every epoch: the CSV logger wrote each, early stopping stopped at
    # the same one, the checkpoint was written
    assert len(five_log) == len(one_log) == five.metrics["epochs_run"] == one.metrics["epochs_run"]
    assert [r["epoch"] for r in five_log] == [str(i) for i in range(len(five_log))]
    assert (five.path / "checkpoint.keras").is_file()


def test_a_count_that_does_not_divide_the_epoch_still_runs_whole_epochs(write_spec, tmp_path,
                                                                      capsys):
    # and train.mixed_precision on a CPU: float32 training, with a note that says so
    path = write_spec(SPEC)
    four, log = _run(path, tmp_path, "four", "train.steps_per_execution=4",
                     "train.callbacks=[csv_logger]", "train.mixed_precision=true")
    assert four.metrics["epochs_run"] == len(log) == 5
    assert four.metrics["test"]["accuracy"] > 0.5  # 3 classes: it learned
    from builder.core.keras_env import keras, tf
    if not tf().config.list_physical_devices("GPU"):
        err = capsys.readouterr().err
        assert "train.mixed_precision needs a GPU" in err and "float32" in err
        assert keras().mixed_precision.global_policy().name == "float32"


@pytest.mark.parametrize("steps, epochs, want", [
    (12, 10, 1),          # 120 steps in all: the longer trace would not pay
    (37, 20, 37),         # a prime epoch short enough: the whole epoch per call
    (100, 10, 50),        # the largest divisor up to the cap
    (67, 20, 1),          # prime and above the cap: one step per call
    (1875, 5, 25),        # MNIST at batch 32
])
def test_the_auto_rule_keeps_epochs_whole(steps, epochs, want):
    got = steps_per_execution("auto", steps, epochs)
    assert got == want
    assert steps % got == 0 and got <= MAX_PER_EXECUTION
    assert (got > 1) <= (steps * epochs >= MIN_STEPS)


def test_a_set_count_above_the_epoch_is_the_epoch():
    assert steps_per_execution(100, 15, 3) == 15


def test_speed_options_are_checked_by_validate(write_spec, cli):
    path = write_spec(SPEC.replace("epochs: 5", "epochs: 5\n  steps_per_execution: 0"))
    result = cli("validate", path)
    assert result.exit_code == 1
    assert "train.steps_per_execution" in result.stderr
    path = write_spec(SPEC.replace("epochs: 5", "epochs: 5\n  jit_compile: maybe"))
    assert "train.jit_compile" in cli("validate", path).stderr
