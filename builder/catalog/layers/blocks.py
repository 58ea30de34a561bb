"""Blocks: layer lists that the graph planner expands (see builder/spec/graph.py)."""
from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from ...core.base import Strict
from .base import LAYERS, Layer, LayerRef


class Block(Layer):
    """A block is expanded into plain layers; it has no Keras object of its own, and its
    weights are those of the nodes the planner expands it into (builder/spec/graph.py)."""

    layers: list[LayerRef] = Field(..., min_length=1)

    @classmethod
    def keras_sources(cls):
        return ()  # `kspec import` writes the expanded layers

    def make(self, name):  # pragma: no cover - the planner never builds a block itself
        raise RuntimeError("blocks are expanded by the planner")


@LAYERS.register("residual")
class Residual(Block):
    doc: ClassVar[str] = ("adds the block's input to the block's output (a skip connection); "
                          "a 1x1 projection matches channels or strides when they differ")
    example: ClassVar = [
        {"params": {"layers": [{"conv2d": {"filters": 3, "kernel_size": 3, "padding": "same"}}]},
         "input": [8, 8, 3]},
        {"params": {"layers": [{"dense": 6}]}, "input": [5]}]  # the second one is projected
    projection: Literal["auto", "none"] = Field(
        "auto", description="auto: project the shortcut when shapes differ; none: error instead")
    shortcut: "Shortcut" = Field(default_factory=lambda: Shortcut(),
                                 description="how a projected shortcut is made")


class Shortcut(Strict):
    """The projection of a residual's shortcut when the block changes its shape: a 1x1
    convolution (dense for vectors) with the stride that gives the block's output size
    (45 -> 23 is stride 2, as padding: same rounds up)."""

    downsample: Literal["strided", "pooled"] = Field(
        "strided", description="strided: the 1x1 convolution strides; pooled: average "
        "pooling (padding same) first, then a 1x1 convolution (ResNet-D)")
    batch_norm: bool = Field(False, description="batch normalization after the projection")
    use_bias: bool = Field(True, description="the projection's bias (false with batch_norm)")


Residual.model_rebuild()


@LAYERS.register("repeat")
class Repeat(Block):
    doc: ClassVar[str] = ("repeats its layers `times` times with fresh weights; a name x inside "
                          "becomes x_1, x_2, ... (x alone means the last copy)")
    example: ClassVar = {"params": {"times": 2, "layers": [{"dense": 5}, "relu"]}, "input": [5]}
    times: int = Field(..., ge=1, le=1000)


@LAYERS.register("use")
class Use(Layer):
    doc: ClassVar[str] = ("one use of a block defined under model.blocks, with arguments for "
                          "its parameters; a name x inside becomes <use name>/x")
    positional: ClassVar[str] = "block"
    example: ClassVar = {"params": {"block": "pair", "args": {"units": 3}, "name": "p"},
                         "input": [5],
                         "blocks": {"pair": {"params": {"units": 4}, "layers": [
                             {"dense": {"units": "$units", "name": "h"}},
                             {"dense": {"units": "$units", "inputs": "h"}}]}}}
    block: str = Field(..., description="the name of a block under model.blocks")
    args: dict[str, Any] = Field(default_factory=dict,
                                 description="values for the block's params (the rest keep "
                                             "their defaults)")

    @classmethod
    def keras_sources(cls):
        return ()  # `kspec import` writes the expanded layers

    def make(self, name):  # pragma: no cover - the planner expands a use
        raise RuntimeError("a block use is expanded by the planner")
