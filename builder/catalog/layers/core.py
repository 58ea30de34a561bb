"""Dense, shape plumbing, regularisation and normalisation layers."""
from __future__ import annotations

import math
from typing import ClassVar

from pydantic import Field

from ..activations import ActivationRef, OptionalActivation
from ..weights import InitializerRef, OptionalConstraint, OptionalInitializer, OptionalRegularizer
from .base import LAYERS, Layer, ShapeError, expect_rank, fmt


class WeightedLayer(Layer):
    """Parameters shared by layers with a kernel and a bias."""

    activation: OptionalActivation = None
    use_bias: bool = True
    kernel_initializer: InitializerRef = "glorot_uniform"
    bias_initializer: InitializerRef = "zeros"
    kernel_regularizer: OptionalRegularizer = None
    bias_regularizer: OptionalRegularizer = None
    kernel_constraint: OptionalConstraint = None
    bias_constraint: OptionalConstraint = None


@LAYERS.register("dense")
class Dense(WeightedLayer):
    doc: ClassVar[str] = "fully connected: output = activation(x . kernel + bias)"
    keras_class: ClassVar[str] = "Dense"
    positional: ClassVar[str] = "units"
    units: int = Field(..., gt=0, description="number of neurons")

    def output_shape(self, shapes):
        shape = shapes[0]
        if len(shape) >= 3:
            raise ShapeError(
                f"gets a {len(shape)}-D input {fmt(shape)} and would act on its last axis "
                "only; add `- flatten` (or a global pooling layer) before it")
        return shape[:-1] + (self.units,)

    def weight_shapes(self, shapes):
        out = {"kernel": (shapes[0][-1], self.units)}
        return {**out, "bias": (self.units,)} if self.use_bias else out


@LAYERS.register("maxout")
class Maxout(Layer):
    doc: ClassVar[str] = "max over `pieces` linear units for each of `units` outputs"
    units: int = Field(..., gt=0)
    pieces: int = Field(2, ge=2, description="k linear pieces per output")
    kernel_initializer: InitializerRef = "glorot_uniform"

    def output_shape(self, shapes):
        return shapes[0][:-1] + (self.units,)

    def make(self, name):
        from ..keras.custom import Maxout as KerasMaxout
        init = self.keras_kwargs()["kernel_initializer"]
        return [KerasMaxout(self.units, self.pieces, init, name=name, trainable=self.trainable)]


@LAYERS.register("flatten")
class Flatten(Layer):
    keras_class: ClassVar[str] = "Flatten"

    def output_shape(self, shapes):
        dims = shapes[0]
        return (None,) if None in dims else (math.prod(dims),)


@LAYERS.register("reshape")
class Reshape(Layer):
    keras_class: ClassVar[str] = "Reshape"
    positional: ClassVar[str] = "target_shape"
    target_shape: list[int]

    def output_shape(self, shapes):
        target = list(self.target_shape)
        size = math.prod(d for d in shapes[0]) if None not in shapes[0] else None
        if target.count(-1) > 1:
            raise ShapeError("only one -1 is allowed in target_shape")
        known = math.prod(d for d in target if d != -1)
        if size is None:
            return tuple(None if d == -1 else d for d in target)
        if -1 in target:
            if known == 0 or size % known:
                raise ShapeError(f"cannot reshape {fmt(shapes[0])} ({size} values) to {target}")
            target[target.index(-1)] = size // known
        elif known != size:
            raise ShapeError(f"cannot reshape {fmt(shapes[0])} ({size} values) to "
                             f"{fmt(target)} ({known} values)")
        return tuple(target)


@LAYERS.register("permute")
class Permute(Layer):
    keras_class: ClassVar[str] = "Permute"
    positional: ClassVar[str] = "dims"
    dims: list[int] = Field(..., description="1-based axis order, batch axis left out")

    def output_shape(self, shapes):
        shape = shapes[0]
        if sorted(self.dims) != list(range(1, len(shape) + 1)):
            raise ShapeError(f"dims must order the axes 1..{len(shape)} of {fmt(shape)}")
        return tuple(shape[d - 1] for d in self.dims)


@LAYERS.register("repeat_vector")
class RepeatVector(Layer):
    keras_class: ClassVar[str] = "RepeatVector"
    positional: ClassVar[str] = "n"
    n: int = Field(..., gt=0)

    def output_shape(self, shapes):
        return (self.n,) + tuple(expect_rank(shapes, 1, "a vector"))


@LAYERS.register("dropout")
class Dropout(Layer):
    doc: ClassVar[str] = "zeroes a fraction `rate` of inputs while training"
    keras_class: ClassVar[str] = "Dropout"
    positional: ClassVar[str] = "rate"
    rate: float = Field(..., ge=0, lt=1)
    seed: int | None = None


@LAYERS.register("spatial_dropout1d")
class SpatialDropout1D(Layer):
    keras_class: ClassVar[str] = "SpatialDropout1D"
    positional: ClassVar[str] = "rate"
    rate: float = Field(..., ge=0, lt=1)

    def output_shape(self, shapes):
        return expect_rank(shapes, 2, "a sequence (steps, features)")


@LAYERS.register("spatial_dropout2d", "spatial_dropout")
class SpatialDropout2D(Layer):
    keras_class: ClassVar[str] = "SpatialDropout2D"
    positional: ClassVar[str] = "rate"
    rate: float = Field(..., ge=0, lt=1)

    def output_shape(self, shapes):
        return expect_rank(shapes, 3, "an image (height, width, channels)")


@LAYERS.register("gaussian_noise")
class GaussianNoise(Layer):
    keras_class: ClassVar[str] = "GaussianNoise"
    positional: ClassVar[str] = "stddev"
    stddev: float = Field(..., ge=0)
    seed: int | None = None


@LAYERS.register("batch_normalization", "batch_norm")
class BatchNormalization(Layer):
    keras_class: ClassVar[str] = "BatchNormalization"
    axis: int = -1
    momentum: float = 0.99
    epsilon: float = 0.001
    center: bool = True
    scale: bool = True


@LAYERS.register("layer_normalization", "layer_norm")
class LayerNormalization(Layer):
    keras_class: ClassVar[str] = "LayerNormalization"
    axis: int = -1
    epsilon: float = 0.001


@LAYERS.register("normalization")
class Normalization(Layer):
    doc: ClassVar[str] = ("standardises inputs with mean/variance given here or, if left "
                          "out, adapted on the training split before training")
    keras_class: ClassVar[str] = "Normalization"
    axis: int | None = -1
    mean: float | list[float] | None = None
    variance: float | list[float] | None = None

    @property
    def needs_adapt(self) -> bool:
        return self.mean is None


@LAYERS.register("rescaling")
class Rescaling(Layer):
    doc: ClassVar[str] = "x * scale + offset (e.g. scale: 0.00392 maps 0-255 pixels to 0-1)"
    keras_class: ClassVar[str] = "Rescaling"
    positional: ClassVar[str] = "scale"
    scale: float
    offset: float = 0.0


@LAYERS.register("activation")
class ActivationLayer(Layer):
    doc: ClassVar[str] = "applies an activation; `- relu` is the short form"
    positional: ClassVar[str] = "activation"
    activation: ActivationRef

    def make(self, name):
        return [self.activation.layer(name)]


@LAYERS.register("embedding")
class Embedding(Layer):
    doc: ClassVar[str] = "integer token ids -> learned vectors of size output_dim"
    keras_class: ClassVar[str] = "Embedding"
    input_dim: int = Field(..., gt=0, description="vocabulary size")
    output_dim: int = Field(..., gt=0)
    mask_zero: bool = False
    embeddings_initializer: OptionalInitializer = None

    def output_shape(self, shapes):
        return tuple(shapes[0]) + (self.output_dim,)

    def weight_shapes(self, shapes):
        return {"embeddings": (self.input_dim, self.output_dim)}

