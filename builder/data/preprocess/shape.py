"""Steps that change the shape or type of each example: reshape, flatten,
expand_dims, cast, resize."""
from __future__ import annotations

import math
from typing import ClassVar, Literal

from pydantic import Field

from .base import STEPS, Step, StepError


def _fmt(shape) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


def reshaped(shape: tuple, target: list[int]) -> tuple:
    """The shape `reshape: target` gives examples of `shape` (-1 = whatever is left)."""
    n = math.prod(shape)
    known = math.prod(d for d in target if d != -1)
    if target.count(-1) > 1:
        raise StepError("use at most one -1 in a reshape")
    if (-1 not in target and n != known) or (known and n % known):
        raise StepError(f"cannot reshape examples of shape {_fmt(shape)} ({n} values) to "
                        f"{_fmt(target)} ({known} values)")
    return tuple(n // known if d == -1 else d for d in target)


@STEPS.register("reshape")
class Reshape(Step):
    doc: ClassVar[str] = "give each example a new shape, e.g. [8, 8, 1] for digit images"
    positional: ClassVar[str] = "shape"
    shape: list[int] = Field(..., min_length=1)

    def apply(self, x, y, state, rng=None):
        return x.reshape((len(x),) + reshaped(x.shape[1:], self.shape)), y

    def info(self, info):
        if info.x_shape is None:
            return info
        return info.with_(x_shape=reshaped(tuple(info.x_shape), self.shape))


@STEPS.register("flatten")
class Flatten(Step):
    doc: ClassVar[str] = "each example becomes one row of numbers (e.g. 28x28 -> 784)"

    def apply(self, x, y, state, rng=None):
        return x.reshape(len(x), -1), y

    def info(self, info):
        return info.with_(x_shape=(math.prod(info.x_shape),)) if info.x_shape else info


@STEPS.register("expand_dims")
class ExpandDims(Step):
    doc: ClassVar[str] = "add an axis of size 1, e.g. a channel: [28, 28] -> [28, 28, 1]"
    positional: ClassVar[str] = "axis"
    axis: int = Field(-1, description="where, counted in one example's axes (-1: last)")

    def _position(self, rank: int) -> int:
        pos = self.axis if self.axis >= 0 else rank + 1 + self.axis
        if not 0 <= pos <= rank:
            raise StepError(f"axis {self.axis} is out of range for examples with {rank} axes")
        return pos

    def apply(self, x, y, state, rng=None):
        import numpy as np
        return np.expand_dims(x, 1 + self._position(x.ndim - 1)), y

    def info(self, info):
        if info.x_shape is None:
            return info
        shape = list(info.x_shape)
        shape.insert(self._position(len(shape)), 1)
        return info.with_(x_shape=tuple(shape))


@STEPS.register("cast")
class Cast(Step):
    doc: ClassVar[str] = "change the inputs' number type (e.g. float32, or int32 for token ids)"
    positional: ClassVar[str] = "dtype"
    dtype: Literal["float16", "float32", "float64", "int32", "int64", "uint8"]

    def apply(self, x, y, state, rng=None):
        return x.astype(self.dtype), y

    def info(self, info):
        return info.with_(x_dtype=self.dtype)


def check_image(x, step: str):
    if x.ndim != 4:
        raise StepError(f"{step} works on images (height, width, channels); the examples have "
                        f"shape {_fmt(x.shape[1:])} (add `- expand_dims` for one channel)")


@STEPS.register("resize")
class Resize(Step):
    doc: ClassVar[str] = "resize images to [height, width] (bilinear, antialiased)"
    positional: ClassVar[str] = "size"
    size: list[int] = Field(..., min_length=2, max_length=2)

    def apply(self, x, y, state, rng=None):
        import numpy as np
        check_image(x, "resize")
        if tuple(x.shape[1:3]) == tuple(self.size):
            return x, y
        from ...core.keras_env import tf
        t = tf()
        out = [t.image.resize(x[i:i + 4096], self.size, antialias=True).numpy()
               for i in range(0, len(x), 4096)]  # in chunks: memory stays small
        return np.concatenate(out).astype("float32"), y

    def info(self, info):
        if info.x_shape is None:
            return info
        if len(info.x_shape) != 3:
            raise StepError(f"resize works on images (height, width, channels); the examples "
                            f"have shape {_fmt(info.x_shape)}")
        return info.with_(x_shape=(*self.size, info.x_shape[2]), x_dtype="float32")
