"""How kspec asks Keras to train fast without changing what is learned (README "Fast fit").

The rule for `train.steps_per_execution: auto`: Keras runs `steps_per_execution` training
steps per call into TensorFlow, which saves Python and dispatch work on every step but
costs a longer first trace (the steps run in a graph loop). So kspec runs several steps
per call only when training is long enough to win it back (at least MIN_STEPS steps
in all), and then the largest count up to MAX_PER_EXECUTION that divides the steps of
an epoch (the whole epoch when it has at most that many steps): every epoch still ends
exactly where it did, the training data keeps its one endless, seeded pipeline, so
callbacks (early stopping, checkpoints, the learning curves) see every epoch and the
weights and metrics are bit for bit those of one step per call. The progress bar moves
once per call instead of once per step.

A count set by hand that does not divide the epoch is honoured with a training dataset
that ends with each epoch (Keras stops the last call of the epoch early): every epoch
still sees every example once, but the shuffled order differs from the one-step run.
"""
from __future__ import annotations

import sys

MAX_PER_EXECUTION = 64
# measured on a 2-core CPU (benchmarks/README.md): the loop's longer first trace costs
# 0.4-0.9 s of CPU, each step run inside the loop saves 0.7-1.2 ms
MIN_STEPS = 600


def steps_per_execution(setting, steps_per_epoch: int, epochs: int) -> int:
    """train.steps_per_execution -> the count handed to Keras' compile."""
    if setting != "auto":
        return min(int(setting), steps_per_epoch)
    if steps_per_epoch * epochs < MIN_STEPS:
        return 1
    return max(d for d in range(1, min(MAX_PER_EXECUTION, steps_per_epoch) + 1)
               if steps_per_epoch % d == 0)


def compile_options(train, steps_per_epoch: int, epochs: int) -> dict:
    """The speed arguments of model.compile for a validated train section."""
    return {"steps_per_execution": steps_per_execution(train.steps_per_execution,
                                                       steps_per_epoch, epochs),
            "jit_compile": train.jit_compile}


def set_precision(train) -> str | None:
    """Mixed precision for train.mixed_precision (before any model is built): only on a
    GPU; on a CPU it would be slower, so kspec trains in float32 and returns a note."""
    from ...core.keras_env import keras, tf
    k = keras()
    if not train.mixed_precision:
        k.mixed_precision.set_global_policy("float32")
        return None
    if not tf().config.list_physical_devices("GPU"):
        k.mixed_precision.set_global_policy("float32")
        return ("note: train.mixed_precision needs a GPU; none found, so this run trains in "
                "float32")
    k.mixed_precision.set_global_policy("mixed_float16")
    return None


def say(line: str | None):
    """A note for the person at the console, before training starts (stderr, so the
    metrics on stdout stay machine-readable)."""
    if line:
        print(line, file=sys.stderr, flush=True)
