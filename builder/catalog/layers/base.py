"""What every layer entry shares: name, inputs, trainable, hand-set weights."""
from __future__ import annotations

import math
from typing import Any, ClassVar

from pydantic import Field, field_validator

from ...core.keras_env import keras
from ...core.base import Catalog, Entry
from ..activations import Activation

LAYERS = Catalog("layer", "flatten or dense: {units: 8, activation: relu}")
LayerRef = LAYERS.ref

Shape = tuple  # per-example shape, batch axis left out; None = unknown length


class ShapeError(ValueError):
    """A layer cannot take the shape it is given; the message says why and what to do."""


def fmt(shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


class Layer(Entry):
    """Base of all layers. Subclasses set ``keras_class`` and ``output_shape``."""

    keras_class: ClassVar[str] = ""
    min_inputs: ClassVar[int] = 1
    max_inputs: ClassVar[int | None] = 1
    # kspec field name -> Keras argument name, where they differ
    keras_names: ClassVar[dict] = {}
    COMMON: ClassVar[frozenset] = frozenset({"name", "inputs", "trainable", "weights"})

    name: str | None = Field(None, description="name other layers use in `inputs`")
    inputs: str | list[str] | None = Field(
        None, description="name(s) of the layers feeding this one; default: the layer above")
    trainable: bool = Field(True, description="false freezes the layer's weights")
    weights: dict[str, Any] | None = Field(
        None, description="hand-set weights by variable name, e.g. {kernel: [[..]], bias: [..]}")

    @field_validator("name")
    @classmethod
    def _name_ok(cls, v):
        if v is not None and (not v or not all(c.isalnum() or c in "_-" for c in v)):
            raise ValueError("a layer name uses letters, digits, '_' and '-' only")
        return v

    # ---- graph -------------------------------------------------------------
    def input_names(self) -> list[str] | None:
        if self.inputs is None:
            return None
        return [self.inputs] if isinstance(self.inputs, str) else list(self.inputs)

    # ---- shapes ------------------------------------------------------------
    def output_shape(self, shapes: list[Shape]) -> Shape:
        """Shape of the output given the input shapes (no batch axis)."""
        return shapes[0]

    def weight_shapes(self, shapes: list[Shape]) -> dict[str, tuple] | None:
        """Shapes of the trainable variables, where kspec knows them (for explain/checks)."""
        return None

    # ---- Keras -------------------------------------------------------------
    def keras_kwargs(self) -> dict:
        out = {}
        for field in type(self).model_fields:
            if field in self.COMMON:
                continue
            value = getattr(self, field)
            if value is None:
                continue  # Keras' own default
            if isinstance(value, Activation):
                value = value.function()
            elif isinstance(value, Entry) and hasattr(value, "build"):
                value = value.build()
            elif isinstance(value, list):
                value = tuple(value)
            out[self.keras_names.get(field, field)] = value
        return out

    def trailing_activation(self) -> Activation | None:
        act = getattr(self, "activation", None)
        return act if isinstance(act, Activation) and not act.is_plain else None

    def make(self, name: str):
        """Build the Keras layer object(s) for this entry: a list applied in order."""
        k = keras()
        layer = getattr(k.layers, self.keras_class)(name=name, **self.keras_kwargs())
        if not self.trainable:  # set afterwards: not every Keras layer takes it in __init__
            layer.trainable = False
        act = self.trailing_activation()
        return [layer] + ([act.layer(f"{name}_{act.kind}")] if act else [])

    def call(self, layer, tensors):
        return layer(tensors[0]) if self.max_inputs == 1 else layer(list(tensors))


# ---- shape arithmetic shared by convolutions and pooling ----------------------

def as_tuple(value, n: int) -> tuple:
    return tuple(value) if isinstance(value, (list, tuple)) else (value,) * n


def window_out(size, kernel, stride, padding, dilation=1, what="kernel_size"):
    """Output length of a sliding window (conv or pool) along one axis."""
    if size is None:
        return None
    span = dilation * (kernel - 1) + 1
    if padding in ("same", "causal"):
        return math.ceil(size / stride)
    out = (size - span) // stride + 1
    if out <= 0:
        raise ShapeError(
            f"{what} {kernel}{f' (dilation {dilation})' if dilation > 1 else ''} is larger "
            f"than the input's {size} along one axis; use a smaller {what}, padding: same, "
            "or fewer pooling steps before this layer")
    return out


def expect_rank(shapes, rank: int, what: str, hint: str = ""):
    shape = shapes[0]
    if len(shape) != rank:
        raise ShapeError(f"expects {what} (rank {rank} per example), got shape {fmt(shape)}"
                         + (f"; {hint}" if hint else ""))
    return shape
