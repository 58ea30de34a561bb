"""transfer: a pre-trained base, frozen as a whole, under a new head (L22).

`train.base` says where the base comes from: a `keras.applications` network
(`application: MobileNetV2, weights: imagenet`, downloaded once by Keras), or the
layers of an earlier kspec run up to one of them (`run: RUN_DIR, up_to: NAME`,
loaded in Keras' safe mode; no code runs from a spec). The spec's `model:` is
the new head: its input is the base's output. `train.fine_tune` adds a second
phase that unfreezes the top of the base at a lower learning rate.

Validation stays Keras-free: a run's base is planned from the run's own
spec.yaml; an application's output shape follows the rule of its table below
(include_top=False: sides / 32, or one vector with pooling); its parameter count
is not known before Keras builds it ("counted at build").
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from ...core.base import Strict
from ...spec.schema import TrainSpec
from ..base import TASKS, Task

# keras.applications name -> channels of its last feature map (include_top=False),
# the smallest side it accepts, and the input range its preprocess_input expects
APPLICATIONS = {"MobileNetV2": (1280, 32, "-1..1"), "EfficientNetB0": (1280, 32, "0..255"),
                "ResNet50": (2048, 32, "caffe (BGR, mean-centred)"),
                "Xception": (2048, 71, "-1..1")}


class Base(Strict):
    run: str | None = Field(None, description="an earlier kspec run folder whose model gives "
                                              "the base (relative to the current directory)")
    up_to: str | None = Field(None, description="with run: the last layer of the base")
    application: Literal[tuple(APPLICATIONS)] | None = Field(
        None, description="a keras.applications network without its classifier top")
    weights: Literal["imagenet"] | None = Field(
        "imagenet", description="with application: imagenet (downloaded once into Keras' "
                                "cache) or null (random weights)")
    input: list[int] | None = Field(None, min_length=3, max_length=3,
                                    description="with application: [height, width, 3]")
    pooling: Literal["avg", "max"] | None = Field(
        "avg", description="with application: one vector per image (avg or max over the "
                           "last feature map), or null: the feature map itself")

    @model_validator(mode="after")
    def _one_source(self):
        if (self.run is None) == (self.application is None):
            raise ValueError("give either `run: RUN_DIR, up_to: LAYER` (a base from an earlier "
                             "kspec run) or `application: MobileNetV2` (keras.applications)")
        if self.run is not None and self.up_to is None:
            raise ValueError("say which layer the base ends at: `up_to: LAYER_NAME`")
        if self.application is not None:
            if self.input is None:
                raise ValueError("give the images' size: `input: [96, 96, 3]`")
            least = APPLICATIONS[self.application][1]
            if self.input[2] != 3 or min(self.input[:2]) < least:
                raise ValueError(f"{self.application} takes colour images at least {least} x "
                                 f"{least}: input [H, W, 3]; got {self.input}")
        return self


class FineTune(Strict):
    unfreeze_top: int = Field(..., ge=1, description="how many of the base's last weighted "
                                                     "layers learn in the second phase")
    learning_rate: float = Field(1e-5, gt=0, description="small, so the pre-trained weights "
                                                         "move little")
    epochs: int = Field(5, ge=1, le=100_000)


class TransferTrain(TrainSpec):
    base: Base = Field(..., description="the pre-trained base, frozen as a whole")
    fine_tune: FineTune | None = Field(None, description="a second phase: unfreeze the top "
                                                         "of the base, lower learning rate")


def base_run_folder(base: Base) -> Path:
    """The run folder `train.base.run` names; inside the studio's working folder while one
    is set (core/files.confined), like every data path a spec names."""
    from ...core.files import check_confined
    folder = Path(base.run)
    check_confined(folder, "base run folder")
    return folder


def base_shapes(base: Base, report=None):
    """(input shape, output shape) of the base, Keras-free; None where not known."""
    if base.application is not None:
        h, w, _ = base.input
        channels = APPLICATIONS[base.application][0]
        out = (channels,) if base.pooling else (math.ceil(h / 32), math.ceil(w / 32), channels)
        return tuple(base.input), out
    from ...core.problems import Report
    from ...spec.graph import plan_model
    from ...spec.load import load_spec
    spec_file = base_run_folder(base) / "spec.yaml"
    if not spec_file.is_file():
        raise FileNotFoundError(f"{base.run} has no spec.yaml: is it a finished kspec run "
                                "folder? (train the base spec first)")
    spec = load_spec(str(spec_file), check=False).spec
    if spec.model is None:
        raise ValueError(f"{base.run} is a run of task {spec.task}, with several networks; "
                         "a base comes from a one-network run")
    plan = plan_model(spec.model, ("model",), Report())
    node = plan.node(base.up_to)
    if node is None:
        names = [n.name for n in plan.nodes]
        from ...core.base import did_you_mean
        raise ValueError(f"{base.run}'s model has no layer '{base.up_to}'"
                         f"{did_you_mean(base.up_to, names)}; its layers: {', '.join(names)}")
    return next(iter(plan.inputs.values())), node.shape


@TASKS.register
class Transfer(Task):
    name = "transfer"
    doc = ("a pre-trained base (keras.applications or an earlier run's layers), frozen, "
           "under a new head; optional fine-tuning of the base's top")
    train_schema = TransferTrain
    use_commands = ("evaluate", "predict")
    run_files = Task.run_files + ("model.keras",)

    def check(self, spec, plans, info, report):
        from ...spec.lint import lint
        where = ("train", "base")
        try:
            base_in, base_out = base_shapes(spec.train.base)
        except FileNotFoundError:
            # not trained yet: a spec is written before its base is trained (the bundled
            # digits_transfer is); its shapes are checked once the run exists, and
            # training without it stops in one line that says what to train
            return
        except (OSError, ValueError) as exc:
            report.error(where, str(exc).splitlines()[0])
            return
        if info.x_shape is not None and tuple(info.x_shape) != tuple(base_in):
            report.error(where, f"the base takes examples of shape {list(base_in)} but the "
                         f"data gives {list(info.x_shape)}")
        head = plans["model"]
        head_in = next(iter(head.inputs.values()))
        if base_out is not None and tuple(head_in) != tuple(base_out):
            report.error(("model", "input"), f"the head's input is what the base outputs: "
                         f"{list(base_out)}, not {list(head_in)}")
        if not report.errors:
            lint(spec, head, info, report)

    def train(self, loaded, out=None, epochs=None, verbose=None):
        from .trainer import train
        return train(loaded, out=out, epochs=epochs, verbose=verbose)

    def example_spec(self) -> dict:
        # a random-weight application: no download, no earlier run needed
        return {"kspec": 1, "name": "transfer_example", "seed": 0, "task": "transfer",
                "data": {"source": {"synthetic": {"type": "images", "n": 60,
                                                  "shape": [32, 32, 3], "classes": 3}},
                         "preprocess": [{"scale": 255}]},
                "model": {"input": [1280], "layers": [{"dense": {"units": 3,
                                                                 "activation": "softmax"}}]},
                "train": {"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"],
                          "epochs": 1, "batch_size": 16,
                          "base": {"application": "MobileNetV2", "weights": None,
                                   "input": [32, 32, 3]}}}

    def evaluate(self, run_dir, data=None):
        from ..supervised.use import evaluate_run
        return evaluate_run(run_dir, data)

    def predict(self, run_dir, input_path, **options):
        from ..supervised.use import predict_run
        return predict_run(run_dir, input_path)
