"""`synthetic: {type, n, shape}`: generated data of a declared shape, for smoke runs.

The data is learnable (each class has its own pattern; a regression target is a
fixed linear function of the inputs), so a model that trains on it should get
better than chance, which makes it useful for exercises and benchmarks.
"""
from __future__ import annotations

import math
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from ..info import DataInfo
from .base import SOURCES, Loaded, Source

DEFAULT_SHAPES = {"classification": [20], "regression": [10], "images": [28, 28, 1],
                  "sequences": [50, 1]}


@SOURCES.register("synthetic")
class Synthetic(Source):
    doc: ClassVar[str] = ("generated data: classification (class clusters), regression "
                          "(a linear target), images (class patterns, pixels 0-255), "
                          "sequences (a wave per class)")
    positional: ClassVar[str] = "type"
    type: Literal["classification", "regression", "images", "sequences"]
    n: int = Field(1000, ge=2, le=5_000_000, description="number of examples")
    shape: list[int] | None = Field(None, min_length=1,
                                    description="shape of one example (default depends on type)")
    classes: int = Field(10, ge=2, description="number of classes (not for regression)")
    noise: float = Field(0.5, ge=0, description="how much the examples scatter around their pattern")
    seed: int = Field(0, ge=0)

    @model_validator(mode="after")
    def _shape_fits(self):
        s = self.example_shape()
        if any(d < 1 for d in s):
            raise ValueError("shape sizes must be positive")
        if self.type == "images" and (len(s) != 3 or s[2] not in (1, 3, 4)):
            raise ValueError("images need a shape [height, width, channels] with 1, 3 or 4 channels")
        if self.type == "sequences" and len(s) != 2:
            raise ValueError("sequences need a shape [timesteps, features]")
        return self

    def example_shape(self) -> tuple:
        return tuple(self.shape or DEFAULT_SHAPES[self.type])

    def info(self):
        shape = self.example_shape()
        if self.type == "regression":
            return DataInfo(shape, "continuous")
        return DataInfo(shape, "integer", self.classes,
                        x_dtype="uint8" if self.type == "images" else "float32")

    def load(self, base_dir):
        rng = np.random.default_rng(self.seed)
        shape = self.example_shape()
        size = math.prod(shape)
        if self.type == "regression":
            x = rng.normal(size=(self.n, size)).astype("float32")
            w = rng.normal(size=size).astype("float32") / math.sqrt(size)
            y = x @ w + self.noise * 0.1 * rng.normal(size=self.n).astype("float32")
            return Loaded(x.reshape((self.n, *shape)), y.astype("float32"))
        y = rng.integers(0, self.classes, self.n).astype("int64")
        if self.type == "classification":
            centers = rng.normal(size=(self.classes, size)).astype("float32")
            x = centers[y] + self.noise * rng.normal(size=(self.n, size)).astype("float32")
        elif self.type == "images":
            # each class: a random smooth template of bright blobs, plus per-pixel noise
            small = rng.random((self.classes, 4, 4, shape[2]))
            reps = (math.ceil(shape[0] / 4), math.ceil(shape[1] / 4))
            templates = np.kron(small, np.ones((1, *reps, 1)))[:, :shape[0], :shape[1], :]
            templates = templates.astype("float32")
            x = np.empty((self.n, *shape), dtype="uint8")
            for i in range(0, self.n, 8192):  # in chunks: a 60000-image set stays small
                part = y[i:i + 8192]
                noisy = templates[part] + self.noise * 0.4 * rng.standard_normal(
                    (len(part), *shape), dtype="float32")
                x[i:i + 8192] = np.clip(noisy * 255, 0, 255)
        else:  # sequences: a sine wave whose frequency depends on the class
            steps, feats = shape
            t = np.arange(steps, dtype="float32")[None, :, None]
            freq = (1 + y.astype("float32"))[:, None, None] * (math.pi / steps)
            phase = rng.random((self.n, 1, feats)).astype("float32") * 2 * math.pi
            x = np.sin(freq * t + phase) + self.noise * rng.normal(size=(self.n, steps, feats))
        x = x.reshape((self.n, *shape))
        return Loaded(x if x.dtype == np.uint8 else x.astype("float32"), y,
                      class_names=[str(i) for i in range(self.classes)])
