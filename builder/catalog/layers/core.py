"""Dense, shape plumbing, regularisation and normalisation layers."""

import math
from typing import ClassVar

from pydantic import Field

from ..activations import ActivationRef, OptionalActivation
from ..weights import InitializerRef, OptionalConstraint, OptionalInitializer, OptionalRegularizer
from ...core.base import plural
from .base import LAYERS, Layer, NotTrained, ShapeError, dense_weights, expect_rank, fmt

VEC, SEQ, IMG = [5], [6, 4], [8, 8, 3]  # the inputs of the catalog suite's examples


def dense_formula(n_in, units, bias=True, pieces=1):
    """The lectures' count of a dense layer: (inputs + 1 bias) x units."""
    extra = f" x {pieces} pieces" if pieces > 1 else ""
    if bias:
        return (f"({n_in} {plural(n_in, 'input')} + 1 bias) x {units} {plural(units, 'unit')}"
                f"{extra}", (n_in + 1) * units * pieces)
    return (f"{n_in} {plural(n_in, 'input')} x {units} {plural(units, 'unit')}{extra} (no bias)",
            n_in * units * pieces)


def axis_size(shape, axis: int):
    """The length of `axis` as Keras numbers it (a positive axis counts the batch axis)."""
    return shape[axis - 1] if axis > 0 else shape[axis]


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
    example: ClassVar = [{"params": {"units": 3}, "input": VEC},
                         {"params": {"units": 2, "use_bias": False, "activation": {"leaky_relu": 0.1}},
                          "input": SEQ}]

    def output_shape(self, shapes):
        shape = shapes[0]
        if len(shape) >= 3:
            raise ShapeError(
                f"gets a {len(shape)}-D input {fmt(shape)} and would act on its last axis "
                "only; add `- flatten` (or a global pooling layer) before it")
        return shape[:-1] + (self.units,)

    def weight_shapes(self, shapes):
        return dense_weights(shapes[0][-1], self.units, self.use_bias)

    def explain_params(self, shapes):
        return (*dense_formula(shapes[0][-1], self.units, self.use_bias), "")


@LAYERS.register("maxout")
class Maxout(Layer):
    doc: ClassVar[str] = "max over `pieces` linear units for each of `units` outputs"
    units: int = Field(..., gt=0)
    pieces: int = Field(2, ge=2, description="k linear pieces per output")
    kernel_initializer: InitializerRef = "glorot_uniform"
    example: ClassVar = {"params": {"units": 3, "pieces": 3}, "input": VEC}
    imports_from: ClassVar = ("Maxout",)

    def output_shape(self, shapes):
        return shapes[0][:-1] + (self.units,)

    def weight_shapes(self, shapes):
        return dense_weights(shapes[0][-1], self.units * self.pieces)

    def explain_params(self, shapes):
        return (*dense_formula(shapes[0][-1], self.units, True, self.pieces), "")

    def make(self, name):
        from ..keras.custom import Maxout as KerasMaxout
        init = self.keras_kwargs()["kernel_initializer"]
        return [KerasMaxout(self.units, self.pieces, init, name=name, trainable=self.trainable)]


@LAYERS.register("flatten")
class Flatten(Layer):
    keras_class: ClassVar[str] = "Flatten"
    example: ClassVar = {"params": {}, "input": IMG}

    def output_shape(self, shapes):
        dims = shapes[0]
        return (None,) if None in dims else (math.prod(dims),)


@LAYERS.register("reshape")
class Reshape(Layer):
    keras_class: ClassVar[str] = "Reshape"
    positional: ClassVar[str] = "target_shape"
    target_shape: list[int]
    example: ClassVar = {"params": {"target_shape": [-1, 3]}, "input": IMG}

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
    example: ClassVar = {"params": {"dims": [2, 1]}, "input": SEQ}

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
    example: ClassVar = {"params": {"n": 3}, "input": VEC}

    def output_shape(self, shapes):
        return (self.n,) + tuple(expect_rank(shapes, 1, "a vector"))


@LAYERS.register("dropout")
class Dropout(Layer):
    doc: ClassVar[str] = "zeroes a fraction `rate` of inputs while training"
    keras_class: ClassVar[str] = "Dropout"
    positional: ClassVar[str] = "rate"
    families: ClassVar = frozenset({"dropout", "regularization"})
    example: ClassVar = {"params": {"rate": 0.5}, "input": VEC}
    rate: float = Field(..., ge=0, lt=1)
    seed: int | None = None


@LAYERS.register("spatial_dropout1d")
class SpatialDropout1D(Layer):
    keras_class: ClassVar[str] = "SpatialDropout1D"
    positional: ClassVar[str] = "rate"
    families: ClassVar = frozenset({"dropout", "regularization"})
    example: ClassVar = {"params": {"rate": 0.5}, "input": SEQ}
    rate: float = Field(..., ge=0, lt=1)

    def output_shape(self, shapes):
        return expect_rank(shapes, 2, "a sequence (steps, features)")


@LAYERS.register("spatial_dropout2d", "spatial_dropout")
class SpatialDropout2D(Layer):
    keras_class: ClassVar[str] = "SpatialDropout2D"
    positional: ClassVar[str] = "rate"
    families: ClassVar = frozenset({"dropout", "regularization"})
    example: ClassVar = {"params": {"rate": 0.5}, "input": IMG}
    rate: float = Field(..., ge=0, lt=1)

    def output_shape(self, shapes):
        return expect_rank(shapes, 3, "an image (height, width, channels)")


@LAYERS.register("gaussian_noise")
class GaussianNoise(Layer):
    keras_class: ClassVar[str] = "GaussianNoise"
    positional: ClassVar[str] = "stddev"
    families: ClassVar = frozenset({"regularization"})
    example: ClassVar = {"params": {"stddev": 0.1}, "input": VEC}
    stddev: float = Field(..., ge=0)
    seed: int | None = None


@LAYERS.register("batch_normalization", "batch_norm")
class BatchNormalization(Layer):
    keras_class: ClassVar[str] = "BatchNormalization"
    families: ClassVar = frozenset({"normalization", "regularization"})
    example: ClassVar = [{"params": {}, "input": IMG},
                         {"params": {"center": False, "axis": 1}, "input": IMG}]
    axis: int = -1
    momentum: float = 0.99
    epsilon: float = 0.001
    center: bool = True
    scale: bool = True

    def weight_shapes(self, shapes):
        c = (axis_size(shapes[0], self.axis),)
        out = {}
        if self.scale:
            out["gamma"] = c
        if self.center:
            out["beta"] = c
        return {**out, "moving_mean": NotTrained(c), "moving_variance": NotTrained(c)}

    def explain_params(self, shapes):
        c = axis_size(shapes[0], self.axis)
        learned = int(self.center) + int(self.scale)
        trained = ", ".join(n for n, on in (("gamma", self.scale), ("beta", self.center)) if on)
        return (f"{learned + 2} x {c}", (learned + 2) * c,
                f"{trained + ' trained; ' if trained else ''}moving mean and variance not trained")


@LAYERS.register("layer_normalization", "layer_norm")
class LayerNormalization(Layer):
    keras_class: ClassVar[str] = "LayerNormalization"
    families: ClassVar = frozenset({"normalization", "regularization"})
    example: ClassVar = {"params": {}, "input": SEQ}
    axis: int = -1
    epsilon: float = 0.001

    def weight_shapes(self, shapes):
        c = (axis_size(shapes[0], self.axis),)
        return {"gamma": c, "beta": c}

    def explain_params(self, shapes):
        c = axis_size(shapes[0], self.axis)
        return f"2 x {c}", 2 * c, "gamma and beta"


@LAYERS.register("group_normalization", "group_norm")
class GroupNormalization(Layer):
    doc: ClassVar[str] = ("normalises each example over groups of channels (batch-size "
                          "independent: diffusion U-Nets); channels must divide into groups")
    keras_class: ClassVar[str] = "GroupNormalization"
    positional: ClassVar[str] = "groups"
    families: ClassVar = frozenset({"normalization", "regularization"})
    example: ClassVar = [{"params": {"groups": 3}, "input": IMG},
                         {"params": {"groups": 2, "center": False}, "input": SEQ}]
    groups: int = Field(32, gt=0, description="channel groups; the channel count must be a multiple")
    axis: int = -1
    epsilon: float = 0.001
    center: bool = True
    scale: bool = True

    def output_shape(self, shapes):
        c = axis_size(shapes[0], self.axis)
        if c is not None and c % self.groups:
            fits = [g for g in range(min(c, self.groups), 0, -1) if c % g == 0][0]
            raise ShapeError(f"{c} {plural(c, 'channel')} cannot be split into {self.groups} "
                             f"groups; use groups: {fits} (a divisor of {c})")
        return shapes[0]

    def weight_shapes(self, shapes):
        c = (axis_size(shapes[0], self.axis),)
        out = {"gamma": c} if self.scale else {}
        return {**out, "beta": c} if self.center else out

    def explain_params(self, shapes):
        c = axis_size(shapes[0], self.axis)
        n = int(self.center) + int(self.scale)
        if not n:
            return "", 0, ""
        names = " and ".join(w for w, on in (("gamma", self.scale), ("beta", self.center)) if on)
        return f"{n} x {c}", n * c, names


@LAYERS.register("normalization")
class Normalization(Layer):
    doc: ClassVar[str] = ("standardises inputs with mean/variance given here or, if left "
                          "out, adapted on the training split before training")
    keras_class: ClassVar[str] = "Normalization"
    families: ClassVar = frozenset({"normalization", "regularization"})
    example: ClassVar = [{"params": {"mean": 0.0, "variance": 1.0}, "input": VEC},
                         {"params": {}, "input": SEQ}]
    axis: int | None = -1
    mean: float | list[float] | None = None
    variance: float | list[float] | None = None

    @property
    def needs_adapt(self) -> bool:
        return self.mean is None

    def weight_shapes(self, shapes):
        if not self.needs_adapt:  # given mean and variance are constants, not variables
            return {}
        # axis null is left to Keras, whose default is the last axis
        c = (axis_size(shapes[0], -1 if self.axis is None else self.axis),)
        return {"mean": NotTrained(c), "variance": NotTrained(c), "count": NotTrained(())}

    def explain_params(self, shapes):
        if not self.needs_adapt:
            return "0", 0, "mean and variance are given in the spec: constants, not weights"
        c = axis_size(shapes[0], -1 if self.axis is None else self.axis)
        return (f"2 x {c} + 1", 2 * c + 1,
                "mean, variance and a count, adapted to the data; none trained")


@LAYERS.register("rescaling")
class Rescaling(Layer):
    doc: ClassVar[str] = "x * scale + offset (e.g. scale: 0.00392 maps 0-255 pixels to 0-1)"
    keras_class: ClassVar[str] = "Rescaling"
    positional: ClassVar[str] = "scale"
    example: ClassVar = {"params": {"scale": 0.5}, "input": IMG}
    scale: float
    offset: float = 0.0


@LAYERS.register("activation")
class ActivationLayer(Layer):
    doc: ClassVar[str] = "applies an activation; `- relu` is the short form"
    positional: ClassVar[str] = "activation"
    example: ClassVar = {"params": {"activation": "tanh"}, "input": VEC}
    imports_from: ClassVar = ("Activation",)
    activation: ActivationRef

    def make(self, name):
        return [self.activation.layer(name)]

    @classmethod
    def from_keras(cls, layer, config, importer):
        """A Keras Activation layer comes back as the activation's own short form."""
        from ..activations import activation_from_keras
        return activation_from_keras(type(layer).__name__, config)


@LAYERS.register("embedding")
class Embedding(Layer):
    doc: ClassVar[str] = "integer token ids -> learned vectors of size output_dim"
    keras_class: ClassVar[str] = "Embedding"
    input_dim: int = Field(..., gt=0, description="vocabulary size")
    output_dim: int = Field(..., gt=0)
    mask_zero: bool = False
    embeddings_initializer: OptionalInitializer = None
    example: ClassVar = {"params": {"input_dim": 10, "output_dim": 4}, "input": [7]}

    def output_shape(self, shapes):
        return tuple(shapes[0]) + (self.output_dim,)

    def weight_shapes(self, shapes):
        return {"embeddings": (self.input_dim, self.output_dim)}

    def explain_params(self, shapes):
        return (f"{self.input_dim} ids x {self.output_dim} numbers",
                self.input_dim * self.output_dim, "")

