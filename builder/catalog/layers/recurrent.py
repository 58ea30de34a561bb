"""Recurrent layers and attention."""
from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from ..activations import ActivationRef
from ...core.base import plural
from .base import LAYERS, Layer, LayerRef, ShapeError, expect_rank, fmt
from .core import SEQ as SEQ_EXAMPLE

SEQ = "a sequence (steps, features)"
SEQ_HINT = "an RNN reads (steps, features); add `- reshape: [steps, features]`"


class Recurrent(Layer):
    """An RNN. Encoder-decoder models pass state between RNNs: an RNN with
    `return_state: true` keeps its final state(s) with its output, and an RNN whose
    `inputs` name a second layer starts from that layer's state instead of zeros:

        - lstm: {units: 64, return_state: true, name: encoder, inputs: source}
        - lstm: {units: 64, return_sequences: true, inputs: [target, encoder]}

    The second input may also be any vector of `units` numbers (e.g. a dense layer
    of an image's features, as in captioning); an LSTM then takes it as h, with
    c starting at zero, or h and c from a third input."""

    positional: ClassVar[str] = "units"
    max_inputs: ClassVar[int | None] = 2
    state_count: ClassVar[int] = 1  # h; an LSTM also has its cell state c
    gates: ClassVar[int] = 1  # blocks of `units` columns in the kernels
    families: ClassVar = frozenset({"recurrent"})
    units: int = Field(..., gt=0)
    activation: ActivationRef = "tanh"
    return_sequences: bool = Field(False, description="output every step, not only the last")
    return_state: bool = Field(False, description="keep the final state(s) for an RNN that "
                                                  "names this layer as its second input")
    dropout: float = Field(0.0, ge=0, lt=1, description="of the inputs, while training")
    recurrent_dropout: float = Field(0.0, ge=0, lt=1, description="of the recurrent state, "
                                                                  "while training")
    go_backwards: bool = False

    def output_shape(self, shapes):
        steps, _ = expect_rank(shapes[:1], 2, SEQ, SEQ_HINT)
        for state in shapes[1:]:
            if tuple(state[-1:]) != (self.units,):
                raise ShapeError(f"an initial state must have the RNN's {self.units} {plural(self.units, 'unit')}, got "
                                 f"{fmt(state)}; give the layer it comes from units: {self.units}")
        return (steps, self.units) if self.return_sequences else (self.units,)

    def weight_shapes(self, shapes):
        n = self.gates * self.units
        return {"kernel": (shapes[0][-1], n), "recurrent_kernel": (self.units, n),
                "bias": (n,)}

    def explain_params(self, shapes):
        n_in, u = shapes[0][-1], self.units
        return (f"({n_in} inputs + {u} recurrent + 1 bias) x {u} units",
                (n_in + u + 1) * u, "")

    def looks_ahead(self):
        return "go_backwards reads from the end; set go_backwards: false" \
            if self.go_backwards else None

    def keras_kwargs(self):
        out = super().keras_kwargs()
        if self.trailing_activation():
            raise ShapeError("an RNN's activation must be a plain name (e.g. tanh)")
        return out

    def call(self, layer, tensors):
        kwargs = {}
        if len(tensors) > 1:
            kwargs["initial_state"] = self.initial_state(tensors[1:])
        out = layer(tensors[0], **kwargs)
        if not self.return_state:
            return out
        # the output goes on as this node's tensor; the states ride along with it
        # for an RNN that names this layer as its second input
        output, *states = out
        output._kspec_states = list(states)
        return output

    def initial_state(self, given):
        from ...core.keras_env import keras
        states = getattr(given[0], "_kspec_states", None)
        if states is None:
            for t in given:
                if len(t.shape) != 2:
                    raise ShapeError("an initial state is a vector (units,) or an RNN with "
                                     "return_state: true")
            states = list(given)
        if len(states) < self.state_count:  # an LSTM given h only: its cell starts at zero
            states = states + [keras().ops.zeros_like(states[0])]
        if len(states) != self.state_count:
            raise ShapeError(f"{self.kind} keeps {self.state_count} state(s), got {len(states)}")
        return states


@LAYERS.register("simple_rnn", "simplernn", "rnn")
class SimpleRNN(Recurrent):
    doc: ClassVar[str] = "h_t = activation(U x_t + V h_(t-1) + b)"
    keras_class: ClassVar[str] = "SimpleRNN"
    example: ClassVar = {"params": {"units": 3}, "input": SEQ_EXAMPLE}


@LAYERS.register("lstm")
class LSTM(Recurrent):
    doc: ClassVar[str] = "long short-term memory: input, forget and output gates, a cell state"
    keras_class: ClassVar[str] = "LSTM"
    max_inputs: ClassVar[int | None] = 3  # the sequence, h, c
    state_count: ClassVar[int] = 2
    gates: ClassVar[int] = 4
    example: ClassVar = [{"params": {"units": 3, "return_sequences": True}, "input": SEQ_EXAMPLE},
                         {"params": {"units": 4}, "input": [SEQ_EXAMPLE, [4]]}]
    recurrent_activation: ActivationRef = "sigmoid"

    def explain_params(self, shapes):
        n_in, u = shapes[0][-1], self.units
        return (f"4 gates x ({n_in} inputs + {u} recurrent + 1 bias) x {u} units",
                4 * (n_in + u + 1) * u, "")


@LAYERS.register("gru")
class GRU(Recurrent):
    doc: ClassVar[str] = "gated recurrent unit: update and reset gates"
    keras_class: ClassVar[str] = "GRU"
    gates: ClassVar[int] = 3
    example: ClassVar = {"params": {"units": 3, "go_backwards": True}, "input": SEQ_EXAMPLE}
    recurrent_activation: ActivationRef = "sigmoid"

    def weight_shapes(self, shapes):
        # Keras' default reset_after: an input bias and a recurrent bias per gate
        return {**super().weight_shapes(shapes), "bias": (2, 3 * self.units)}

    def explain_params(self, shapes):
        n_in, u = shapes[0][-1], self.units
        return (f"3 gates x ({n_in} inputs + {u} recurrent + 2 biases) x {u} units",
                3 * (n_in + u + 2) * u, "")


@LAYERS.register("bidirectional")
class Bidirectional(Layer):
    doc: ClassVar[str] = "runs an RNN forwards and backwards and merges the two"
    positional: ClassVar[str] = "layer"
    families: ClassVar = frozenset({"recurrent"})
    imports_from: ClassVar = ("Bidirectional",)
    example: ClassVar = [{"params": {"layer": {"lstm": {"units": 3}}}, "input": SEQ_EXAMPLE},
                         {"params": {"layer": {"gru": {"units": 2, "return_sequences": True}},
                                     "merge_mode": "sum"}, "input": SEQ_EXAMPLE}]
    layer: LayerRef
    merge_mode: Literal["concat", "sum", "mul", "ave"] = "concat"

    @model_validator(mode="before")
    @classmethod
    def _wrapped_layer_inline(cls, data):
        """`bidirectional: {lstm: 8, merge_mode: sum}` means layer: {lstm: 8}."""
        if isinstance(data, dict) and "layer" not in data:
            named = [k for k in data if k not in cls.model_fields and LAYERS.lookup(k)]
            if len(named) == 1:
                data = {**{k: v for k, v in data.items() if k != named[0]},
                        "layer": {named[0]: data[named[0]]}}
        return data

    def output_shape(self, shapes):
        if not isinstance(self.layer, Recurrent):
            raise ShapeError(f"bidirectional wraps an RNN (simple_rnn, lstm, gru), "
                             f"not {self.layer.kind}")
        if self.layer.return_state:
            raise ShapeError("return_state is not available inside bidirectional; pass the "
                             "state of a one-directional RNN")
        inner = self.layer.output_shape(shapes)
        if self.merge_mode == "concat":
            return inner[:-1] + (inner[-1] * 2,)
        return inner

    def weight_shapes(self, shapes):
        inner = self.layer.weight_shapes(shapes)
        return {f"{way}/{k}": v for way in ("forward", "backward") for k, v in inner.items()}

    def explain_params(self, shapes):
        text, n, _ = self.layer.explain_params(shapes)
        return f"2 directions x {text}", 2 * n, ""

    def looks_ahead(self):
        return "bidirectional reads the sequence backwards too; drop it"

    @classmethod
    def from_keras(cls, layer, config, importer):
        from ...core.keras_env import keras
        kind, params = importer.entry(keras().layers.deserialize(config["layer"]))
        return cls.kind, {"layer": {kind: params}, "merge_mode": config.get("merge_mode")}

    def make(self, name):
        from ...core.keras_env import keras
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
    example: ClassVar = [{"params": {"num_heads": 2, "key_dim": 4, "causal": True},
                          "input": SEQ_EXAMPLE},
                         {"params": {"num_heads": 2, "key_dim": 3, "value_dim": 5,
                                     "output_size": 7}, "input": [SEQ_EXAMPLE, [5, 3]]}]

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

    def _sizes(self, shapes):
        """(query, key, value) input features, heads, key and value sizes, output size."""
        q_in = shapes[0][-1]
        v_in = shapes[1][-1] if len(shapes) > 1 else q_in
        k_in = shapes[2][-1] if len(shapes) > 2 else v_in
        return q_in, k_in, v_in, self.num_heads, self.key_dim, self.value_dim or self.key_dim, \
            self.output_shape_ or q_in

    def weight_shapes(self, shapes):
        q_in, k_in, v_in, h, kd, vd, out = self._sizes(shapes)
        return {"query/kernel": (q_in, h, kd), "query/bias": (h, kd),
                "key/kernel": (k_in, h, kd), "key/bias": (h, kd),
                "value/kernel": (v_in, h, vd), "value/bias": (h, vd),
                "attention_output/kernel": (h, vd, out), "attention_output/bias": (out,)}

    def explain_params(self, shapes):
        q_in, k_in, v_in, h, kd, vd, out = self._sizes(shapes)
        n = (q_in + 1) * h * kd + (k_in + 1) * h * kd + (v_in + 1) * h * vd + (h * vd + 1) * out
        return (f"query ({q_in} + 1) x {h} heads x {kd} + key ({k_in} + 1) x {h} x {kd} "
                f"+ value ({v_in} + 1) x {h} x {vd} + output ({h} x {vd} + 1) x {out}", n, "")

    def looks_ahead(self):
        return None if self.causal else \
            "attention without a causal mask sees every position; set causal: true"

    def call(self, layer, tensors):
        query = tensors[0]
        value = tensors[1] if len(tensors) > 1 else query
        key = tensors[2] if len(tensors) > 2 else None
        return layer(query, value, key=key, use_causal_mask=self.causal)
