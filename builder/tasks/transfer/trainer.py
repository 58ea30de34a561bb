"""Training with a pre-trained base: build the base (frozen), put the head on it,
train the head; then, with `fine_tune`, unfreeze the top of the base and train on
at a lower learning rate. The supervised loop does the fitting (its hooks)."""
from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from ...data.errors import DataLoadError
from ..supervised.trainer import compile_model, train as train_single_network

BASE = "base"  # the name of the base inside the saved model


def keras_cache() -> Path:
    """Where Keras keeps downloaded weights (keras.utils.get_file's cache)."""
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "models"


def application_base(base):
    from ...core.keras_env import keras
    make = getattr(keras().applications, base.application)
    try:
        return make(include_top=False, weights=base.weights, input_shape=tuple(base.input),
                    pooling=base.pooling, name=BASE)
    except Exception as exc:  # no network, a proxy, a broken download: one line
        if base.weights is None:
            raise
        reason = " ".join(str(exc).split())[:160]
        raise DataLoadError(f"weights: imagenet for {base.application} must be downloaded once "
                            f"and this machine could not fetch it ({reason}); Keras caches the "
                            f"file in {keras_cache()} (KERAS_HOME moves it): copy it there, or "
                            "use weights: null or a base from a run", ("train", "base")) from None


def run_base(base):
    """The layers of an earlier run's model from its input up to `up_to` (safe mode)."""
    from ...core.keras_env import keras
    from ...run.read import open_run
    from . import base_run_folder
    if not (base_run_folder(base) / "spec.yaml").is_file():
        raise DataLoadError(f"{base.run} is not a finished kspec run (no spec.yaml): train the "
                            f"base first, e.g. kspec train SPEC --out {base.run}",
                            ("train", "base", "run"))
    model = open_run(base.run).model
    try:
        end = model.get_layer(base.up_to)
    except ValueError:
        raise DataLoadError(f"{base.run}'s model has no layer '{base.up_to}'",
                            ("train", "base", "up_to")) from None
    return keras().Model(model.inputs, end.output, name=BASE)


def build(loaded):
    """(base + head, a plan whose input is the base's) for the supervised loop."""
    from ...build.model import build_model
    from ...core.keras_env import keras
    k = keras()
    t = loaded.spec.train
    base = application_base(t.base) if t.base.application else run_base(t.base)
    base.trainable = False  # frozen as a whole
    head, plan = build_model(loaded)
    x = k.Input(shape=base.input_shape[1:], name="input")
    # training=False: batch-norm layers of the base keep their statistics, also when
    # fine-tuning (the Keras transfer-learning guide's advice)
    model = k.Model(x, head(base(x, training=False)), name=loaded.spec.name)
    return model, replace(plan, inputs={"input": tuple(base.input_shape[1:])})


def fine_tune(spec):
    ft = spec.train.fine_tune

    def then(model, fit, history):
        base = model.get_layer(BASE)
        base.trainable = True
        weighted = [layer for layer in base.layers if layer.weights]
        for layer in weighted[:-ft.unfreeze_top]:
            layer.trainable = False
        t = spec.train
        lowered = t.optimizer.model_copy(update={"learning_rate": ft.learning_rate})
        compile_model(model, t.model_copy(update={"optimizer": lowered}))  # recompile: new trainables
        more = fit(ft.epochs)
        return {k: list(v) + list(more.get(k, [])) for k, v in history.items()}
    return then


def train(loaded, out=None, epochs=None, verbose=None):
    spec = loaded.spec
    then = fine_tune(spec) if spec.train.fine_tune else None
    return train_single_network(loaded, out, epochs, verbose, build=build, then=then)
