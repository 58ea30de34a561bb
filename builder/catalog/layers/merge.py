"""Layers that join branches: each takes `inputs: [a, b, ...]`. The element-wise ones
broadcast like Keras (a size-1 axis stretches); concatenate joins along one axis."""
from __future__ import annotations

from typing import ClassVar

from .base import LAYERS, Layer, ShapeError, fmt


class Merge(Layer):
    min_inputs: ClassVar[int] = 2
    max_inputs: ClassVar[int | None] = None
    families: ClassVar = frozenset({"merge"})
    example: ClassVar = [{"params": {}, "input": [[4], [4]]},
                         {"params": {}, "input": [[4, 4, 3], [1, 1, 3]]}]  # broadcast

    def output_shape(self, shapes):
        out = shapes[0]
        for other in shapes[1:]:
            out = broadcast(self.kind, out, other)
        return out


def broadcast(kind: str, a: tuple, b: tuple) -> tuple:
    """Keras' element-wise merge rule (NumPy's): shapes are lined up from the right; along
    each axis the sizes are equal or one of them is 1, which is stretched to the other
    (squeeze-and-excite's (16, 16, 8) * (1, 1, 8)). An unknown size stays unknown."""
    if len(a) < len(b):
        a, b = b, a
    out = list(a[:len(a) - len(b)])
    for axis, (x, y) in enumerate(zip(a[len(a) - len(b):], b), start=len(a) - len(b)):
        if x is None or y is None:
            out.append(None)
        elif x == 1 or y == 1 or x == y:
            out.append(max(x, y))
        else:
            last = axis == len(a) - 1
            fix = (f"give both branches the same number of channels (units or filters: {x}), or "
                   "use concatenate to stack them" if last else
                   "make the sizes equal (padding: same, the same strides or pooling on both "
                   f"branches), or make one of them 1 to broadcast it (e.g. global pooling with "
                   "keepdims: true)")
            raise ShapeError(f"{kind} needs sizes that are equal or 1 along each axis (Keras "
                             f"broadcasts a 1); {fmt(a)} and {fmt(b)} differ on axis {axis + 1} "
                             f"({x} vs {y}); {fix}")
    return tuple(out)


@LAYERS.register("add")
class Add(Merge):
    doc: ClassVar[str] = "element-wise sum of its inputs (a skip connection's join; broadcasts size-1 axes)"
    keras_class: ClassVar[str] = "Add"


@LAYERS.register("subtract")
class Subtract(Merge):
    doc: ClassVar[str] = "first input minus the second, element-wise (broadcasts size-1 axes)"
    keras_class: ClassVar[str] = "Subtract"
    max_inputs: ClassVar[int | None] = 2


@LAYERS.register("multiply")
class Multiply(Merge):
    doc: ClassVar[str] = "element-wise product (broadcasts: squeeze-and-excite's (H, W, C) * (1, 1, C))"
    keras_class: ClassVar[str] = "Multiply"


@LAYERS.register("average")
class Average(Merge):
    doc: ClassVar[str] = "element-wise mean of its inputs (broadcasts size-1 axes)"
    keras_class: ClassVar[str] = "Average"


@LAYERS.register("maximum")
class Maximum(Merge):
    doc: ClassVar[str] = "element-wise maximum of its inputs (broadcasts size-1 axes)"
    keras_class: ClassVar[str] = "Maximum"


@LAYERS.register("minimum")
class Minimum(Merge):
    doc: ClassVar[str] = "element-wise minimum of its inputs (broadcasts size-1 axes)"
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
