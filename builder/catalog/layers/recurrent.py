"""Recurrent layers and attention."""
from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ..activations import ActivationRef
from .base import LAYERS, Layer, LayerRef, ShapeError, expect_rank, fmt

SEQ = "a sequence (steps, features)"
SEQ_HINT = "an RNN reads (steps, features); add `- reshape: [steps, features]`"


class Recurrent(Layer):
    positional: ClassVar[str] = "units"
    units: int = Field(..., gt=0)
    activation: ActivationRef = "tanh"
    return_sequences: bool = Field(False, description="output every step, not only the last")
    dropout: float = Field(0.0, ge=0, lt=1)
    recurrent_dropout: float = Field(0.0, ge=0, lt=1)
    go_backwards: bool = False

    def output_shape(self, shapes):
        steps, _ = expect_rank(shapes, 2, SEQ, SEQ_HINT)
        return (steps, self.units) if self.return_sequences else (self.units,)

    def keras_kwargs(self):
        out = super().keras_kwargs()
        if self.trailing_activation():
            raise ShapeError("an RNN's activation must be a plain name (e.g. tanh)")
        return out


@LAYERS.register("simple_rnn", "simplernn", "rnn")
class SimpleRNN(Recurrent):
    doc: ClassVar[str] = "h_t = activation(U x_t + V h_(t-1) + b)"
    keras_class: ClassVar[str] = "SimpleRNN"


@LAYERS.register("lstm")
class LSTM(Recurrent):
    doc: ClassVar[str] = "long short-term memory: input, forget and output gates, a cell state"
    keras_class: ClassVar[str] = "LSTM"
    recurrent_activation: ActivationRef = "sigmoid"


@LAYERS.register("gru")
class GRU(Recurrent):
    doc: ClassVar[str] = "gated recurrent unit: update and reset gates"
    keras_class: ClassVar[str] = "GRU"
    recurrent_activation: ActivationRef = "sigmoid"


@LAYERS.register("bidirectional")
class Bidirectional(Layer):
    doc: ClassVar[str] = "runs an RNN forwards and backwards and merges the two"
    positional: ClassVar[str] = "layer"
    layer: LayerRef
    merge_mode: Literal["concat", "sum", "mul", "ave"] = "concat"

    def output_shape(self, shapes):
        if not isinstance(self.layer, Recurrent):
            raise ShapeError(f"bidirectional wraps an RNN (simple_rnn, lstm, gru), "
                             f"not {self.layer.kind}")
        inner = self.layer.output_shape(shapes)
        if self.merge_mode == "concat":
            return inner[:-1] + (inner[-1] * 2,)
        return inner

    def make(self, name):
        from ...keras_env import keras
        k = keras()
        (inner,) = self.layer.make(f"{name}_{self.layer.kind}")
        return [k.layers.Bidirectional(inner, merge_mode=self.merge_mode, name=name,
                                       trainable=self.trainable)]


@LAYERS.register("multi_head_attention", "attention")
class MultiHeadAttention(Layer):
    doc: ClassVar[str] = ("attention of a query sequence over a value sequence; one input "
                          "means self-attention; causal: true hides future steps")
    keras_class: ClassVar[str] = "MultiHeadAttention"
    max_inputs: ClassVar[int | None] = 3
    num_heads: int = Field(..., gt=0)
    key_dim: int = Field(..., gt=0)
    value_dim: int | None = None
    dropout: float = Field(0.0, ge=0, lt=1)
    output_shape_: int | None = Field(None, alias="output_size")
    causal: bool = Field(False, description="each step attends only to itself and earlier steps")

    def keras_kwargs(self):
        out = super().keras_kwargs()
        out.pop("causal", None)
        size = out.pop("output_shape_", None)
        if size is not None:
            out["output_shape"] = size
        return out

    def output_shape(self, shapes):
        for s in shapes:
            if len(s) != 2:
                raise ShapeError(f"attention reads sequences (steps, features), got {fmt(s)}")
        q = shapes[0]
        return (q[0], self.output_shape_ or q[-1])

    def call(self, layer, tensors):
        query = tensors[0]
        value = tensors[1] if len(tensors) > 1 else query
        key = tensors[2] if len(tensors) > 2 else None
        return layer(query, value, key=key, use_causal_mask=self.causal)
