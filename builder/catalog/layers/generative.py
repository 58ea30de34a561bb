"""Layers of the generative lectures: the VAE's sampling, the diffusion denoiser's
time embedding, RealNVP's affine coupling. The Keras side is in
builder/catalog/keras/generative.py (registered, so saved models reload)."""
from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, field_validator

import math

from .base import LAYERS, Layer, ShapeError, dense_weights, fmt


@LAYERS.register("sampling")
class Sampling(Layer):
    doc: ClassVar[str] = ("VAE reparameterization trick: z = z_mean + exp(z_log_var / 2) * eps, "
                          "eps ~ N(0, I); write inputs: [z_mean, z_log_var]")
    min_inputs: ClassVar[int] = 2
    max_inputs: ClassVar[int | None] = 2
    seed: int | None = Field(None, description="seed of eps (default: from the spec's seed)")
    imports_from: ClassVar = ("Sampling",)
    example: ClassVar = {"params": {}, "input": [[3], [3]]}

    def output_shape(self, shapes):
        mean, log_var = shapes
        if tuple(mean) != tuple(log_var):
            raise ShapeError(f"z_mean {fmt(mean)} and z_log_var {fmt(log_var)} must have the "
                             "same shape (one mean and one log-variance per latent number)")
        return mean

    def make(self, name):
        from ..keras.generative import Sampling as KerasSampling
        return [KerasSampling(seed=self.seed, name=name)]


@LAYERS.register("time_embedding")
class TimeEmbedding(Layer):
    doc: ClassVar[str] = ("diffusion step t (input of shape [1]) -> `dim` sinusoidal features, "
                          "so the denoiser knows how noisy its input is")
    positional: ClassVar[str] = "dim"
    dim: int = Field(..., gt=0, description="output size (even)")
    max_period: float = Field(10000.0, gt=1, description="longest wavelength, in steps")
    imports_from: ClassVar = ("TimeEmbedding",)
    example: ClassVar = {"params": {"dim": 8}, "input": [1]}

    @field_validator("dim")
    @classmethod
    def _even(cls, v):
        if v % 2:
            raise ValueError(f"dim is split into sin and cos halves, so it must be even; got {v}")
        return v

    def output_shape(self, shapes):
        if tuple(shapes[0]) != (1,):
            raise ShapeError(f"takes the step number, one per example (an input of shape [1]); "
                             f"got {fmt(shapes[0])}")
        return (self.dim,)

    def make(self, name):
        from ..keras.generative import TimeEmbedding as KerasTimeEmbedding
        return [KerasTimeEmbedding(self.dim, self.max_period, name=name)]


@LAYERS.register("affine_coupling")
class AffineCoupling(Layer):
    doc: ClassVar[str] = ("RealNVP coupling: half the values (the mask) pass unchanged and set a "
                          "scale and shift for the other half; invertible, exact log-det")
    invertible: ClassVar[bool] = True
    mask: Literal["checkerboard", "alternate", "half"] = Field(
        "checkerboard", description="which values condition the rest: checkerboard (images), "
                                    "alternate (every other value), half (first half)")
    invert: bool = Field(False, description="swap the roles of the two halves; alternate it "
                                            "from layer to layer so every value gets transformed")
    hidden: list[int] = Field([128, 128], min_length=1,
                              description="units of the scale/shift network's hidden layers")
    activation: Literal["relu", "tanh", "elu", "gelu", "silu", "swish", "leaky_relu"] = "relu"
    imports_from: ClassVar = ("AffineCoupling",)
    example: ClassVar = [{"params": {"mask": "alternate", "hidden": [8]}, "input": [6]},
                         {"params": {"hidden": [4, 3]}, "input": [4, 4, 2]}]

    @field_validator("hidden")
    @classmethod
    def _positive(cls, v):
        if any(h <= 0 for h in v):
            raise ValueError("hidden sizes must be positive")
        return v

    def output_shape(self, shapes):
        shape = shapes[0]
        if None in shape:
            raise ShapeError(f"needs a fixed input shape, got {fmt(shape)}")
        if self.mask == "checkerboard" and len(shape) != 3:
            raise ShapeError(f"mask: checkerboard needs an image (height, width, channels), got "
                             f"{fmt(shape)}; use mask: alternate for vectors")
        size = 1
        for d in shape:
            size *= d
        if size < 2:
            raise ShapeError("needs at least 2 values to split into two halves")
        return shape

    def weight_shapes(self, shapes):
        size = math.prod(shapes[0])
        out = {"scale": (size,)}
        for i, (n_in, units) in enumerate(zip([size] + self.hidden, self.hidden)):
            out.update(dense_weights(n_in, units, prefix=f"hidden_{i}"))
        return {**out, **dense_weights(self.hidden[-1], 2 * size, prefix="shift_and_scale")}

    def explain_params(self, shapes):
        size = math.prod(shapes[0])
        sizes = [size] + self.hidden + [2 * size]
        net = " + ".join(f"({a} + 1) x {b}" for a, b in zip(sizes, sizes[1:]))
        n = sum((a + 1) * b for a, b in zip(sizes, sizes[1:])) + size
        return f"scale/shift network {net} + {size} log-scale factors", n, ""

    def make(self, name):
        from ..keras.generative import AffineCoupling as KerasCoupling
        return [KerasCoupling(self.mask, self.invert, self.hidden, self.activation, name=name,
                              trainable=self.trainable)]
