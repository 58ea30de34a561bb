"""Layers that join branches: each takes `inputs: [a, b, ...]`."""
from __future__ import annotations

from typing import ClassVar

from .base import LAYERS, Layer, ShapeError, fmt


class Merge(Layer):
    min_inputs: ClassVar[int] = 2
    max_inputs: ClassVar[int | None] = None
    families: ClassVar = frozenset({"merge"})
    example: ClassVar = {"params": {}, "input": [[4], [4]]}

    def output_shape(self, shapes):
        first = shapes[0]
        for other in shapes[1:]:
            if len(other) != len(first) or any(
                    a is not None and b is not None and a != b for a, b in zip(first, other)):
                raise ShapeError(
                    f"{self.kind} needs inputs of the same shape; make them match (e.g. "
                    "padding: same, or a dense/conv projection), or use concatenate")
        return first


@LAYERS.register("add")
class Add(Merge):
    doc: ClassVar[str] = "element-wise sum of its inputs (a skip connection's join)"
    keras_class: ClassVar[str] = "Add"


@LAYERS.register("subtract")
class Subtract(Merge):
    keras_class: ClassVar[str] = "Subtract"
    max_inputs: ClassVar[int | None] = 2


@LAYERS.register("multiply")
class Multiply(Merge):
    keras_class: ClassVar[str] = "Multiply"


@LAYERS.register("average")
class Average(Merge):
    keras_class: ClassVar[str] = "Average"


@LAYERS.register("maximum")
class Maximum(Merge):
    keras_class: ClassVar[str] = "Maximum"


@LAYERS.register("minimum")
class Minimum(Merge):
    keras_class: ClassVar[str] = "Minimum"


@LAYERS.register("concatenate", "concat")
class Concatenate(Merge):
    doc: ClassVar[str] = "joins its inputs along one axis (default: the last, i.e. features)"
    keras_class: ClassVar[str] = "Concatenate"
    positional: ClassVar[str] = "axis"
    example: ClassVar = [{"params": {}, "input": [[4], [3]]},
                         {"params": {"axis": 1}, "input": [[2, 3], [4, 3]]}]
    axis: int = -1

    def output_shape(self, shapes):
        rank = len(shapes[0])
        if any(len(s) != rank for s in shapes):
            raise ShapeError("concatenate needs inputs of the same rank, got "
                             + " and ".join(fmt(s) for s in shapes))
        axis = self.axis if self.axis >= 0 else rank + self.axis
        if self.axis >= 0:
            axis = self.axis - 1  # Keras counts the batch axis for positive axes
        if not 0 <= axis < rank:
            raise ShapeError(f"axis {self.axis} is outside inputs of rank {rank}")
        for i in range(rank):
            if i == axis:
                continue
            dims = {s[i] for s in shapes if s[i] is not None}
            if len(dims) > 1:
                raise ShapeError("concatenate joins along one axis; the others must match, got "
                                 + " and ".join(fmt(s) for s in shapes))
        total = None if any(s[axis] is None for s in shapes) else sum(s[axis] for s in shapes)
        out = list(shapes[0])
        out[axis] = total
        return tuple(out)
