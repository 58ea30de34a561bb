"""Steps that make or change the target: one_hot, input_as_target, add_noise, grayscale,
downscale.

`target: input` (add_noise, grayscale, downscale) keeps the clean/colour/full-size input as the
target, so the model learns to undo the change: the lectures' denoising and
colourization autoencoders. `target: labels` keeps the source's labels.
"""
from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from .base import STEPS, Step, StepError, need_target
from .shape import check_image

Target = Literal["input", "labels"]
LUMA = np.array([0.299, 0.587, 0.114], dtype="float32")  # ITU-R BT.601, as in PIL


def as_target_info(info, before):
    """DataInfo once the target is the (clean) input as it was before the step."""
    return info.with_(labels="input", n_classes=None, y_shape=before.x_shape)


@STEPS.register("one_hot")
class OneHot(Step):
    doc: ClassVar[str] = ("class ids -> one-hot rows: of the target (for categorical_crossentropy) "
                          "or of the input (token ids for an LSTM)")
    apply_to: Literal["target", "input"] = "target"
    classes: int | None = Field(None, ge=2, description="width of a row (default: from the data)")

    def fit(self, x, y):
        if self.classes:
            return {"classes": self.classes}
        v = need_target(y, "one_hot") if self.apply_to == "target" else x
        if v.dtype.kind not in "iu":
            raise StepError(f"one_hot needs whole-number class ids; the {self.apply_to} holds "
                            f"{v.dtype} values")
        return {"classes": int(v.max()) + 1}

    def encode(self, ids, classes):
        if ids.dtype.kind not in "iu":
            raise StepError(f"one_hot needs whole-number class ids; got {ids.dtype} values")
        if ids.size and (ids.min() < 0 or ids.max() >= classes):
            raise StepError(f"class id {int(ids.max())} does not fit {classes} one-hot columns; "
                            f"set one_hot: {{classes: {int(ids.max()) + 1}}}")
        return np.eye(classes, dtype="float32")[ids]

    def changes_target(self):
        return self.apply_to == "target"

    def apply(self, x, y, state, rng=None):
        if self.apply_to == "input":
            return self.encode(x, state["classes"]), y
        return x, None if y is None else self.encode(y, state["classes"])

    def info(self, info):
        n = self.classes or info.n_classes
        if self.apply_to == "input":
            return info.with_(x_shape=(*info.x_shape, n) if n and info.x_shape else None,
                              x_dtype="float32")
        return info.with_(labels="one_hot", y_shape=(n,) if n else None)


@STEPS.register("input_as_target")
class InputAsTarget(Step):
    doc: ClassVar[str] = "the target becomes the input itself (an autoencoder learns to copy)"

    def changes_target(self):
        return True

    def apply(self, x, y, state, rng=None):
        return x, x.copy()

    def info(self, info):
        return as_target_info(info, info)


@STEPS.register("add_noise")
class AddNoise(Step):
    doc: ClassVar[str] = ("add Gaussian noise to the inputs (training data only); with target: "
                          "input the clean input becomes the target (denoising autoencoder)")
    at_predict: ClassVar[bool] = False
    positional: ClassVar[str] = "stddev"
    stddev: float = Field(0.5, gt=0, description="standard deviation of the noise")
    clip: list[float] | None = Field([0.0, 1.0], min_length=2, max_length=2,
                                     description="keep noisy values in [low, high]; null: no clip")
    target: Target = "input"

    def changes_target(self):
        return self.target == "input"

    @model_validator(mode="after")
    def _ordered(self):
        if self.clip is not None and self.clip[0] >= self.clip[1]:
            raise ValueError("clip is [low, high] with low < high")
        return self

    def apply(self, x, y, state, rng=None):
        rng = rng if rng is not None else np.random.default_rng(0)
        clean = np.asarray(x, dtype="float32")
        noisy = clean + self.stddev * rng.standard_normal(clean.shape, dtype="float32")
        if self.clip is not None:
            noisy = np.clip(noisy, *self.clip)
        return noisy, (clean if self.target == "input" else y)

    def info(self, info):
        info2 = info.with_(x_dtype="float32")
        return as_target_info(info2, info) if self.target == "input" else info2


@STEPS.register("grayscale")
class Grayscale(Step):
    doc: ClassVar[str] = ("colour images -> one gray channel; with target: input the colour "
                          "image becomes the target (colorization autoencoder)")
    target: Target = "input"

    def changes_target(self):
        return self.target == "input"

    def apply(self, x, y, state, rng=None):
        check_image(x, "grayscale")
        if x.shape[-1] not in (3, 4):
            raise StepError(f"grayscale needs colour images (3 channels); these have "
                            f"{x.shape[-1]}")
        color = np.asarray(x, dtype="float32")
        gray = (color[..., :3] @ LUMA)[..., None]
        return gray, (color if self.target == "input" else y)

    def info(self, info):
        if info.x_shape is None:
            return info
        if len(info.x_shape) != 3 or info.x_shape[2] not in (3, 4):
            raise StepError(f"grayscale needs colour images (height, width, 3); the examples "
                            f"have shape {list(info.x_shape)}")
        gray = info.with_(x_shape=(*info.x_shape[:2], 1), x_dtype="float32")
        return as_target_info(gray, info) if self.target == "input" else gray


@STEPS.register("downscale")
class Downscale(Step):
    doc: ClassVar[str] = ("images -> images `factor` times smaller on each side (the mean of "
                          "each factor x factor block); with target: input the full-size image "
                          "becomes the target (super resolution, L35)")
    at_predict: ClassVar[bool] = False  # `kspec predict` gets low-resolution images
    positional: ClassVar[str] = "factor"
    factor: int = Field(2, ge=2, le=8, description="how many times smaller each side gets")
    target: Target = "input"

    def changes_target(self):
        return self.target == "input"

    def apply(self, x, y, state, rng=None):
        check_image(x, "downscale")
        n, h, w, c = x.shape
        f = self.factor
        if h % f or w % f:
            raise StepError(f"downscale by {f} needs sides that are multiples of {f}; the "
                            f"images are {h} x {w}")
        full = np.asarray(x, dtype="float32")
        small = full.reshape(n, h // f, f, w // f, f, c).mean(axis=(2, 4))
        return small, (full if self.target == "input" else y)

    def info(self, info):
        if info.x_shape is None:
            return info
        if len(info.x_shape) != 3:
            raise StepError(f"downscale needs images (height, width, channels); the examples "
                            f"have shape {list(info.x_shape)}")
        h, w, c = info.x_shape
        f = self.factor
        if h % f or w % f:
            raise StepError(f"downscale by {f} needs sides that are multiples of {f}; the "
                            f"images are {h} x {w}")
        small = info.with_(x_shape=(h // f, w // f, c), x_dtype="float32")
        return as_target_info(small, info) if self.target == "input" else small
