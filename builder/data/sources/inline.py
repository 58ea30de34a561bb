"""`inline: {x: [...], y: [...]}`: a small table written in the spec itself.

For the lectures' hand examples: the logic gates' truth tables, y = 2x.
"""
from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from ..info import DataInfo
from .base import SOURCES, Loaded, Source

Number = float | int
FLOAT32_MAX = float(np.finfo("float32").max)


def _shape(rows) -> tuple:
    shape = []
    value = rows
    while isinstance(value, list):
        shape.append(len(value))
        value = value[0] if value else None
    return tuple(shape)


@SOURCES.register("inline")
class Inline(Source):
    doc: ClassVar[str] = ("examples written in the spec: x is a list of numbers or of rows, "
                          "y a list of targets (e.g. a logic gate's truth table)")
    x: list[Number] | list[list[Number]] | list[list[list[Number]]] = Field(
        ..., min_length=1, description="one entry per example: a number or a row of numbers")
    y: list[Number] | list[list[Number]] | None = Field(None, description="one target per example")
    labels: Literal["integer", "continuous", "one_hot"] | None = Field(
        None, description="what y holds: class ids, numbers or one-hot rows "
                          "(default: numbers with a fraction are continuous, otherwise unknown)")

    @model_validator(mode="after")
    def _consistent(self):
        try:
            arrays = [np.asarray(self.x, dtype="float64")]
            if self.y is not None:
                arrays.append(np.asarray(self.y, dtype="float64"))
        except ValueError:
            raise ValueError("every row of x (and of y) must have the same length") from None
        if any(not np.all(np.abs(a) <= FLOAT32_MAX) for a in arrays):  # nan fails too
            raise ValueError("x and y hold finite numbers (no .inf or .nan), each below "
                             f"{FLOAT32_MAX:.3g} in size (the float32 range training uses)")
        if self.y is not None and len(self.y) != len(self.x):
            raise ValueError(f"x has {len(self.x)} examples but y has {len(self.y)}")
        if self.labels == "integer" and any(float(v) != int(v) or v < 0 for v in np.ravel(self.y)):
            raise ValueError("labels: integer needs class ids 0, 1, 2, ... in y")
        return self

    def _labels(self):
        if self.labels or self.y is None:
            return self.labels
        if any(not float(v).is_integer() for v in np.ravel(self.y)):
            return "continuous"
        return None

    def info(self):
        shape = _shape(self.x)[1:] or (1,)
        labels = self._labels()
        n = None
        if labels == "integer":
            n = int(max(np.ravel(self.y))) + 1
        elif labels == "one_hot":
            n = _shape(self.y)[1]
        y_shape = _shape(self.y)[1:] if self.y is not None else None
        return DataInfo(shape, labels, n, y_shape=y_shape or None)

    def load(self, base_dir):
        x = np.asarray(self.x, dtype="float32")
        if x.ndim == 1:
            x = x[:, None]  # a list of numbers: one feature per example
        y = None
        if self.y is not None:
            y = np.asarray(self.y, dtype="int64" if self.labels == "integer" else "float32")
        names = None
        if self.labels == "integer":
            names = [str(i) for i in range(int(y.max()) + 1)]
        return Loaded(x, y, class_names=names)
