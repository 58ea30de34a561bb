"""What every layer entry shares: name, inputs, trainable, hand-set weights."""

import math
from typing import Any, ClassVar

from pydantic import Field, field_validator

from ...core.keras_env import keras
from ...core.base import Catalog, Entry
from ...core.limits import shown
from ..activations import Activation
from ..index import CATALOGS as INDEX

LAYERS = Catalog("layer", "flatten or dense: {units: 8, activation: relu}",
                 index=INDEX["layer"])
LayerRef = LAYERS.ref

Shape = tuple  # per-example shape, batch axis left out; None = unknown length


class ShapeError(ValueError):
    """A layer cannot take the shape it is given; the message says why and what to do."""


class NotTrained(tuple):
    """The shape of a variable that training does not change (batch norm's moving mean,
    normalization's adapted mean): counted in a model's total, not in its trained part."""


def dense_weights(n_in: int, units: int, bias: bool = True, prefix: str = "") -> dict:
    """kernel (n_in, units) and bias (units,) of a Dense layer, under `prefix/` if given."""
    p = f"{prefix}/" if prefix else ""
    out = {f"{p}kernel": (n_in, units)}
    return {**out, f"{p}bias": (units,)} if bias else out


def size_of(shape) -> int:
    """Number of values of a variable of this shape (a scalar counts one)."""
    return math.prod(shape)


def _weight_shape(value, where: str) -> tuple:
    """The shape of a hand-set weight: finite numbers in lists of equal lengths."""
    if isinstance(value, list):
        shapes = [_weight_shape(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if any(s != shapes[0] for s in shapes):
            raise ValueError(f"{where}: its rows differ in length or depth; give every row "
                             "the same number of values")
        return (len(value),) + (shapes[0] if shapes else ())
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{where}: a weight is a number (or a list of numbers), got "
                         f"{shown(value)}; write numbers without quotes")
    if not math.isfinite(value):
        raise ValueError(f"{where}: a weight must be a finite number, got {value}")
    return ()


def _x(*parts) -> str:
    return " x ".join(str(p) for p in parts)


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
    # rubric words this layer counts as (`graph.count: {pooling: ...}`), see grade/layer_kinds
    families: ClassVar[frozenset] = frozenset()
    # Keras classes `kspec import` reads back as this entry (default: keras_class)
    imports_from: ClassVar[tuple] = ()
    # a small case the catalog suite (tests/test_catalog_layers.py) builds, or several:
    # {"params": {...}, "input": [...]}; two inputs: "input": [[..], [..]]
    example: ClassVar[dict | list | None] = None
    key_hints: ClassVar[dict] = {
        k: "; the input's shape is given once, as model.input (e.g. input: [28, 28, 1]), "
           "not on a layer" for k in ("input_shape", "batch_input_shape", "input_dim")}

    name: str | None = Field(None, description="name other layers use in `inputs`")
    inputs: str | list[str] | None = Field(
        None, description="name(s) of the layers feeding this one; default: the layer above")
    trainable: bool = Field(True, description="false freezes the layer's weights")
    weights: dict[str, Any] | None = Field(
        None, description="hand-set weights by variable name, e.g. {kernel: [[..]], bias: [..]}")

    @field_validator("weights")
    @classmethod
    def _weights_are_numbers(cls, v):
        for key, value in (v or {}).items():
            _weight_shape(value, str(key))  # here, not as a ValueError when Keras builds
        return v

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

    def weight_shapes(self, shapes: list[Shape]) -> dict[str, tuple]:
        """Every variable Keras makes for this layer, by its path below the layer (an RNN's
        cell left out, a wrapper's forward/backward kept): name -> shape, a NotTrained
        shape for a variable training leaves alone. No weights: {}."""
        return {}

    def explain_params(self, shapes: list[Shape]) -> tuple[str, int, str]:
        """(formula, count, note) as `kspec explain` prints it; by default the variables
        listed with their shapes."""
        weights = self.weight_shapes(shapes)
        if not weights:
            return "", 0, ""
        text = " + ".join(f"{k} {_x(*v) if v else 'scalar'}" for k, v in weights.items())
        frozen = [k for k, v in weights.items() if isinstance(v, NotTrained)]
        return (text, sum(size_of(v) for v in weights.values()),
                f"{', '.join(frozen)} not trained" if frozen else "")

    # ---- time ----------------------------------------------------------------
    def looks_ahead(self) -> str | None:
        """Why this layer lets a time step see later steps (and the fix), or None."""
        return None

    # ---- kspec import ----------------------------------------------------------
    @classmethod
    def keras_sources(cls) -> tuple:
        """The Keras class names `kspec import` maps to this entry."""
        return cls.imports_from or ((cls.keras_class,) if cls.keras_class else ())

    @classmethod
    def from_keras(cls, layer, config: dict, importer) -> tuple[str, dict]:
        """(kind, params) of this entry for a Keras layer of one of keras_sources();
        `importer.params(cls, config)` reads fields from a config generically."""
        return cls.kind, importer.params(cls, config)

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
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ShapeError(f"give one number or {n} (one per axis), got {list(value)}")
        return tuple(value)
    return (value,) * n


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
