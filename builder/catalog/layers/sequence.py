"""Transformer parts: token + position embedding, position embedding, transformer block.

The Keras layers behind them live in builder/catalog/keras/sequence.py
(registered serializable, so saved models load in plain Keras). A transformer
block can also be written from its parts: `residual` around `layer_norm` +
`multi_head_attention: {causal: true}`, then `residual` around `layer_norm` +
two `dense` layers (see tests/test_seq_layers.py).
"""
from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ..activations import ActivationRef
from .base import LAYERS, Layer, ShapeError, dense_weights, expect_rank
from .core import SEQ

LENGTH_HINT = ("the sequence length is unknown here; set max_length to the longest "
               "sequence the model will see")


def _max_length(given: int | None, steps: int | None) -> int:
    if given is None:
        if steps is None:
            raise ShapeError(LENGTH_HINT)
        return steps
    if steps is not None and steps > given:
        raise ShapeError(f"sequences of {steps} steps are longer than max_length {given}; "
                         f"raise max_length to {steps} or leave it out")
    return given


@LAYERS.register("token_position_embedding", "token_and_position_embedding")
class TokenPositionEmbedding(Layer):
    doc: ClassVar[str] = ("token ids (steps,) -> a learned vector per token plus a learned "
                          "vector per position (steps, output_dim): a transformer's input")
    vocab_size: int = Field(..., gt=0, description="number of distinct tokens (ids 0..vocab_size-1)")
    output_dim: int = Field(..., gt=0, description="size of each token's vector")
    max_length: int | None = Field(None, gt=0, description="longest sequence (default: the "
                                                           "input's length)")
    imports_from: ClassVar = ("TokenAndPositionEmbedding",)
    example: ClassVar = [{"params": {"vocab_size": 20, "output_dim": 8}, "input": [7]},
                         {"params": {"vocab_size": 5, "output_dim": 2, "max_length": 9},
                          "input": [7]}]

    def output_shape(self, shapes):
        (steps,) = expect_rank(shapes, 1, "token ids (steps,)",
                               "feed integer token ids, e.g. from the text data source")
        _max_length(self.max_length, steps)
        return (steps, self.output_dim)

    def weight_shapes(self, shapes):
        return {"tokens/embeddings": (self.vocab_size, self.output_dim),
                "positions/position_embeddings": (_max_length(self.max_length, shapes[0][0]),
                                                  self.output_dim)}

    def explain_params(self, shapes):
        length, d = _max_length(self.max_length, shapes[0][0]), self.output_dim
        return (f"{self.vocab_size} tokens x {d} + {length} positions x {d}",
                (self.vocab_size + length) * d, "")

    def make(self, name):
        from ..keras.sequence import TokenAndPositionEmbedding
        return [TokenAndPositionEmbedding(self.vocab_size, self.output_dim, self.max_length,
                                          name=name, trainable=self.trainable)]


@LAYERS.register("position_embedding")
class PositionEmbedding(Layer):
    doc: ClassVar[str] = ("adds a learned vector per position to a sequence (steps, features), "
                          "so attention can tell the order of steps")
    max_length: int | None = Field(None, gt=0, description="longest sequence (default: the "
                                                           "input's length)")
    imports_from: ClassVar = ("PositionEmbedding",)
    example: ClassVar = [{"params": {}, "input": SEQ}, {"params": {"max_length": 10}, "input": SEQ}]

    def output_shape(self, shapes):
        steps, _ = expect_rank(shapes, 2, "a sequence (steps, features)")
        _max_length(self.max_length, steps)
        return tuple(shapes[0])

    def weight_shapes(self, shapes):
        return {"position_embeddings": (_max_length(self.max_length, shapes[0][0]),
                                        shapes[0][-1])}

    def explain_params(self, shapes):
        length, d = _max_length(self.max_length, shapes[0][0]), shapes[0][-1]
        return f"{length} positions x {d} features", length * d, ""

    def make(self, name):
        from ..keras.sequence import PositionEmbedding as KerasPositionEmbedding
        return [KerasPositionEmbedding(self.max_length, name=name, trainable=self.trainable)]


@LAYERS.register("transformer_block", "transformer")
class TransformerBlock(Layer):
    doc: ClassVar[str] = ("multi-head self-attention + feed-forward, each with layer norm, "
                          "dropout and a residual connection; causal: true hides later steps "
                          "(GPT-style next-token models)")
    num_heads: int = Field(..., gt=0, description="attention heads")
    ff_dim: int = Field(..., gt=0, description="width of the feed-forward layer")
    key_dim: int | None = Field(None, gt=0, description="size of each head's queries and keys "
                                                        "(default: features / num_heads)")
    dropout: float = Field(0.0, ge=0, lt=1)
    causal: bool = Field(False, description="each step attends only to itself and earlier steps")
    activation: ActivationRef = Field("gelu", description="of the feed-forward layer")
    norm: Literal["pre", "post"] = Field(
        "pre", description="pre: normalise before each part (GPT-2); post: after the residual "
                           "sum (the 2017 transformer)")
    epsilon: float = Field(1e-5, gt=0)
    imports_from: ClassVar = ("TransformerBlock",)
    example: ClassVar = [{"params": {"num_heads": 2, "ff_dim": 8, "causal": True}, "input": SEQ},
                         {"params": {"num_heads": 3, "ff_dim": 5, "key_dim": 2, "norm": "post"},
                          "input": SEQ}]

    def output_shape(self, shapes):
        expect_rank(shapes, 2, "a sequence (steps, features)",
                    "put an embedding (e.g. token_position_embedding) before it")
        features = shapes[0][-1]
        if self.key_dim is None and features % self.num_heads:
            raise ShapeError(f"{features} features do not split into {self.num_heads} heads; "
                             "set key_dim or choose num_heads dividing the features")
        if not self.activation.is_plain:
            raise ShapeError("the feed-forward activation must be a plain name (e.g. gelu, relu)")
        return tuple(shapes[0])

    def weight_shapes(self, shapes):
        f, h = shapes[0][-1], self.num_heads
        kd = self.key_dim or f // h
        attention = {"query/kernel": (f, h, kd), "query/bias": (h, kd),
                     "key/kernel": (f, h, kd), "key/bias": (h, kd),
                     "value/kernel": (f, h, kd), "value/bias": (h, kd),
                     "attention_output/kernel": (h, kd, f), "attention_output/bias": (f,)}
        return {"norm1/gamma": (f,), "norm1/beta": (f,), "norm2/gamma": (f,), "norm2/beta": (f,),
                **dense_weights(f, self.ff_dim, prefix="ff_in"),
                **{f"attention/{k}": v for k, v in attention.items()},
                **dense_weights(self.ff_dim, f, prefix="ff_out")}

    def explain_params(self, shapes):
        f, h = shapes[0][-1], self.num_heads
        kd = self.key_dim or f // h
        attention = 3 * (f + 1) * h * kd + (h * kd + 1) * f
        n = attention + (f + 1) * self.ff_dim + (self.ff_dim + 1) * f + 4 * f
        return (f"attention 3 x ({f} + 1) x {h} heads x {kd} + ({h} x {kd} + 1) x {f} "
                f"+ feed-forward ({f} + 1) x {self.ff_dim} + ({self.ff_dim} + 1) x {f} "
                f"+ 2 layer norms x 2 x {f}", n, "")

    def looks_ahead(self):
        return None if self.causal else \
            "attention without a causal mask sees every position; set causal: true"

    def make(self, name):
        from ..keras.sequence import TransformerBlock as KerasTransformerBlock
        return [KerasTransformerBlock(self.num_heads, self.ff_dim, self.key_dim, self.dropout,
                                      self.causal, self.activation.function(), self.norm,
                                      self.epsilon, name=name, trainable=self.trainable)]
