"""Blocks: layer lists that the graph planner expands (see builder/spec/graph.py)."""
from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from .base import LAYERS, Layer, LayerRef


class Block(Layer):
    """A block is expanded into plain layers; it has no Keras object of its own."""

    layers: list[LayerRef] = Field(..., min_length=1)

    def make(self, name):  # pragma: no cover - the planner never builds a block itself
        raise RuntimeError("blocks are expanded by the planner")


@LAYERS.register("residual")
class Residual(Block):
    doc: ClassVar[str] = ("adds the block's input to the block's output (a skip connection); "
                          "a 1x1 projection matches channels or strides when they differ")
    projection: Literal["auto", "none"] = Field(
        "auto", description="auto: project the shortcut when shapes differ; none: error instead")


@LAYERS.register("repeat")
class Repeat(Block):
    doc: ClassVar[str] = ("repeats its layers `times` times with fresh weights; a name x inside "
                          "becomes x_1, x_2, ... (x alone means the last copy)")
    times: int = Field(..., ge=1, le=1000)
