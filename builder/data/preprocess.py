"""Preprocessing steps (`data.preprocess`), fit on the training split only.

Each step: `fit` learns its statistics from training data (returns a JSON-able
state saved with the run, so prediction reuses them), `apply` transforms, and
`info` says statically what the step does to shapes and labels.
"""
from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
from pydantic import Field

from ..spec.base import Catalog, Entry
from .info import DataInfo

STEPS = Catalog("preprocessing step", "scale: 255 or standardize")


class Step(Entry):
    def fit(self, x, y) -> dict:
        return {}

    def apply(self, x, y, state: dict):
        return x, y

    def info(self, info: DataInfo) -> DataInfo:
        return info


@STEPS.register("scale")
class Scale(Step):
    doc: ClassVar[str] = "divide inputs by a constant (e.g. 255 for pixels, 16 for digits)"
    positional: ClassVar[str] = "by"
    by: float = Field(..., gt=0)

    def apply(self, x, y, state):
        return (x / self.by).astype("float32"), y


@STEPS.register("standardize")
class Standardize(Step):
    doc: ClassVar[str] = "(x - mean) / std per feature, statistics from the training split"

    def fit(self, x, y):
        std = x.std(axis=0)
        return {"mean": x.mean(axis=0).tolist(), "std": np.where(std > 0, std, 1.0).tolist()}

    def apply(self, x, y, state):
        return ((x - np.asarray(state["mean"])) / np.asarray(state["std"])).astype("float32"), y


@STEPS.register("min_max")
class MinMax(Step):
    doc: ClassVar[str] = "map each feature to [0, 1] with the training split's min and max"

    def fit(self, x, y):
        lo, hi = x.min(axis=0), x.max(axis=0)
        return {"min": lo.tolist(), "range": np.where(hi > lo, hi - lo, 1.0).tolist()}

    def apply(self, x, y, state):
        return ((x - np.asarray(state["min"])) / np.asarray(state["range"])).astype("float32"), y


@STEPS.register("reshape")
class Reshape(Step):
    doc: ClassVar[str] = "give each example a new shape, e.g. [8, 8, 1] for digit images"
    positional: ClassVar[str] = "shape"
    shape: list[int]

    def apply(self, x, y, state):
        return x.reshape((len(x),) + tuple(self.shape)), y

    def info(self, info):
        if info.x_shape is not None:
            n, m = math.prod(info.x_shape), math.prod(d for d in self.shape if d != -1)
            if (-1 not in self.shape and n != m) or (m and n % m):
                raise ValueError(f"cannot reshape examples of shape {list(info.x_shape)} "
                                 f"({n} values) to {self.shape}")
            shape = [n // m if d == -1 else d for d in self.shape]
            return info.with_(x_shape=tuple(shape))
        return info


@STEPS.register("flatten")
class Flatten(Step):
    def apply(self, x, y, state):
        return x.reshape(len(x), -1), y

    def info(self, info):
        return info.with_(x_shape=(math.prod(info.x_shape),)) if info.x_shape else info


@STEPS.register("one_hot")
class OneHot(Step):
    doc: ClassVar[str] = "integer labels -> one-hot rows (for categorical_crossentropy)"

    def fit(self, x, y):
        return {"classes": int(y.max()) + 1}

    def apply(self, x, y, state):
        if y is None:
            return x, y
        return x, np.eye(state["classes"], dtype="float32")[y.astype(int)]

    def info(self, info):
        return info.with_(labels="one_hot")


StepRef = STEPS.ref
