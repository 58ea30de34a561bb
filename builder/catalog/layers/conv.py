"""Convolution, pooling, up-sampling, padding and cropping layers (1-D and 2-D)."""
from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

import math

from .base import LAYERS, Layer, ShapeError, _x, as_tuple, expect_rank, fmt, window_out
from ..activations import OptionalActivation
from ..weights import InitializerRef, OptionalRegularizer
from .core import IMG, SEQ, WeightedLayer

# sizes, strides and dilations are positive (a stride of 0 would divide by zero); a
# list gives one per axis (its length is checked against the layer's rank by as_tuple)
Positive = Annotated[int, Field(gt=0)]
IntOrPair = Positive | Annotated[list[Positive], Field(min_length=1, max_length=3)]
NonNegative = Annotated[int, Field(ge=0)]
Margins = NonNegative | list[NonNegative] | list[list[NonNegative]]
IMAGE = "an image (height, width, channels)"
SEQUENCE = "a sequence (steps, features)"
IMAGE_HINT = "add `- reshape: [H, W, C]` to make one, or use the 1-D version"
SEQ_HINT = "add `- reshape: [steps, features]` to make one, or use the 2-D version"


class ConvShape(Layer):
    """Geometry of a convolution; the weight parameters come from WeightedLayer."""

    rank: ClassVar[int] = 2
    activation: OptionalActivation = None
    use_bias: bool = True
    filters: int = Field(..., gt=0, description="number of kernels = output channels")
    kernel_size: IntOrPair
    strides: IntOrPair = 1
    padding: Literal["valid", "same"] = "valid"
    dilation_rate: IntOrPair = 1

    def spatial(self, shapes):
        what, hint = (IMAGE, IMAGE_HINT) if self.rank == 2 else (SEQUENCE, SEQ_HINT)
        shape = expect_rank(shapes, self.rank + 1, what, hint)
        k = as_tuple(self.kernel_size, self.rank)
        s = as_tuple(self.strides, self.rank)
        d = as_tuple(self.dilation_rate, self.rank)
        return shape, k, s, d

    def output_shape(self, shapes):
        shape, k, s, d = self.spatial(shapes)
        dims = tuple(window_out(n, ki, si, self.padding, di)
                     for n, ki, si, di in zip(shape[:-1], k, s, d))
        return dims + (self.filters,)

    def weight_shapes(self, shapes):
        shape, k, _, _ = self.spatial(shapes)
        out = {"kernel": tuple(k) + (shape[-1], self.filters)}
        return {**out, "bias": (self.filters,)} if self.use_bias else out

    def explain_params(self, shapes):
        shape, k, _, _ = self.spatial(shapes)
        c, f = shape[-1], self.filters
        if self.use_bias:
            return f"({_x(*k, c)} + 1) x {f}", (math.prod(k) * c + 1) * f, ""
        return f"{_x(*k, c, f)} (no bias)", math.prod(k) * c * f, ""


class Conv(ConvShape, WeightedLayer):
    families: ClassVar = frozenset({"conv"})


def _depth(value) -> int:
    depth = 0
    while isinstance(value, list) and value:
        depth, value = depth + 1, value[0]
    return depth


@LAYERS.register("conv2d")
class Conv2D(Conv):
    doc: ClassVar[str] = "2-D convolution: `filters` kernels of kernel_size slide over the image"
    keras_class: ClassVar[str] = "Conv2D"
    example: ClassVar = [{"params": {"filters": 4, "kernel_size": 3, "strides": 2}, "input": IMG},
                         {"params": {"filters": 2, "kernel_size": [3, 1], "use_bias": False,
                                     "padding": "same"}, "input": IMG}]

    @model_validator(mode="after")
    def _readable_kernel(self):
        """A hand-set kernel on a one-channel image reads as the slides write it: a 3x3
        list (one filter), or a list of 3x3 lists (one per filter). kspec adds the
        channel axes Keras wants, (rows, columns, in-channels = 1, filters); a 4-D
        kernel is taken as it is."""
        kernel = (self.weights or {}).get("kernel")
        depth = _depth(kernel)
        if depth == 2:
            kernel = [kernel]
        elif depth != 3:
            return self
        try:
            rows = [[[[float(k[r][c]) for k in kernel]] for c in range(len(kernel[0][0]))]
                    for r in range(len(kernel[0]))]
        except (IndexError, TypeError, ValueError):
            return self  # ragged or not numbers: the shape check reports it
        self.weights = {**self.weights, "kernel": rows}
        return self


@LAYERS.register("conv1d")
class Conv1D(Conv):
    doc: ClassVar[str] = "1-D convolution over time steps (padding: causal looks only back)"
    keras_class: ClassVar[str] = "Conv1D"
    rank: ClassVar[int] = 1
    example: ClassVar = {"params": {"filters": 4, "kernel_size": 3, "padding": "causal",
                                    "dilation_rate": 2}, "input": SEQ}
    padding: Literal["valid", "same", "causal"] = "valid"

    def looks_ahead(self):
        if self.padding != "causal":
            return f"padding: {self.padding} looks at later steps; use padding: causal"
        return None


@LAYERS.register("separable_conv2d")
class SeparableConv2D(ConvShape):
    doc: ClassVar[str] = "a per-channel (depthwise) convolution, then a 1x1 (pointwise) one"
    keras_class: ClassVar[str] = "SeparableConv2D"
    families: ClassVar = frozenset({"conv"})
    example: ClassVar = {"params": {"filters": 4, "kernel_size": 3, "depth_multiplier": 2},
                         "input": IMG}
    depth_multiplier: int = Field(1, gt=0)
    depthwise_initializer: InitializerRef = "glorot_uniform"
    pointwise_initializer: InitializerRef = "glorot_uniform"
    depthwise_regularizer: OptionalRegularizer = None
    pointwise_regularizer: OptionalRegularizer = None

    def weight_shapes(self, shapes):
        shape, k, _, _ = self.spatial(shapes)
        out = {"depthwise_kernel": tuple(k) + (shape[-1], self.depth_multiplier),
               "pointwise_kernel": (1, 1, shape[-1] * self.depth_multiplier, self.filters)}
        return {**out, "bias": (self.filters,)} if self.use_bias else out

    def explain_params(self, shapes):
        shape, k, _, _ = self.spatial(shapes)
        c, m, f = shape[-1], self.depth_multiplier, self.filters
        n = k[0] * k[1] * c * m + c * m * f + (f if self.use_bias else 0)
        text = (f"{_x(*k, c, m)} depthwise + {_x(c * m, f)} pointwise"
                + (f" + {f} bias" if self.use_bias else ""))
        return text, n, ""


@LAYERS.register("depthwise_conv2d")
class DepthwiseConv2D(Layer):
    doc: ClassVar[str] = ("one kernel per input channel (depth_multiplier of them), no mixing "
                          "across channels: MobileNet's and EfficientNet's cheap convolution")
    keras_class: ClassVar[str] = "DepthwiseConv2D"
    families: ClassVar = frozenset({"conv"})
    positional: ClassVar[str] = "kernel_size"
    rank: ClassVar[int] = 2
    example: ClassVar = [{"params": {"kernel_size": 3, "padding": "same"}, "input": IMG},
                         {"params": {"kernel_size": 3, "strides": 2, "depth_multiplier": 2,
                                     "use_bias": False}, "input": IMG}]
    kernel_size: IntOrPair
    strides: IntOrPair = 1
    padding: Literal["valid", "same"] = "valid"
    depth_multiplier: int = Field(1, gt=0, description="kernels per input channel")
    dilation_rate: IntOrPair = 1
    activation: OptionalActivation = None
    use_bias: bool = True
    depthwise_initializer: InitializerRef = "glorot_uniform"
    bias_initializer: InitializerRef = "zeros"
    depthwise_regularizer: OptionalRegularizer = None
    bias_regularizer: OptionalRegularizer = None

    spatial = ConvShape.spatial  # the same window geometry, without `filters`

    def output_shape(self, shapes):
        shape, k, s, d = self.spatial(shapes)
        dims = tuple(window_out(n, ki, si, self.padding, di)
                     for n, ki, si, di in zip(shape[:-1], k, s, d))
        return dims + (shape[-1] * self.depth_multiplier,)

    def weight_shapes(self, shapes):
        shape, k, _, _ = self.spatial(shapes)
        out = {"kernel": tuple(k) + (shape[-1], self.depth_multiplier)}
        return {**out, "bias": (shape[-1] * self.depth_multiplier,)} if self.use_bias else out

    def explain_params(self, shapes):
        shape, k, _, _ = self.spatial(shapes)
        c, m = shape[-1], self.depth_multiplier
        if self.use_bias:
            return (f"({_x(*k)} + 1) x {c} channels x {m}", (math.prod(k) + 1) * c * m,
                    "one kernel per channel")
        return f"{_x(*k)} x {c} channels x {m} (no bias)", math.prod(k) * c * m, ""


@LAYERS.register("conv2d_transpose")
class Conv2DTranspose(Conv):
    doc: ClassVar[str] = "transposed convolution: learns to up-sample (strides 2 doubles H, W)"
    keras_class: ClassVar[str] = "Conv2DTranspose"
    example: ClassVar = {"params": {"filters": 4, "kernel_size": 3, "strides": 2}, "input": IMG}

    def output_shape(self, shapes):
        shape, k, s, d = self.spatial(shapes)
        dims = []
        for n, ki, si, di in zip(shape[:-1], k, s, d):
            span = di * (ki - 1) + 1
            dims.append(None if n is None else (n * si if self.padding == "same"
                                                else (n - 1) * si + span))
        return tuple(dims) + (self.filters,)

    def weight_shapes(self, shapes):
        shape, k, _, _ = self.spatial(shapes)
        out = {"kernel": tuple(k) + (self.filters, shape[-1])}
        return {**out, "bias": (self.filters,)} if self.use_bias else out

    def explain_params(self, shapes):
        return ConvShape.explain_params(self, shapes)  # the same count, kernel axes swapped


class Pool(Layer):
    rank: ClassVar[int] = 2
    families: ClassVar = frozenset({"pooling"})
    positional: ClassVar[str] = "pool_size"
    pool_size: IntOrPair = 2
    strides: IntOrPair | None = Field(None, description="default: pool_size")
    padding: Literal["valid", "same"] = "valid"

    def output_shape(self, shapes):
        what, hint = (IMAGE, IMAGE_HINT) if self.rank == 2 else (SEQUENCE, SEQ_HINT)
        shape = expect_rank(shapes, self.rank + 1, what, hint)
        p = as_tuple(self.pool_size, self.rank)
        s = as_tuple(self.strides if self.strides is not None else self.pool_size, self.rank)
        dims = tuple(window_out(n, pi, si, self.padding, what="pool_size")
                     for n, pi, si in zip(shape[:-1], p, s))
        return dims + (shape[-1],)


@LAYERS.register("max_pooling2d", "maxpooling2d", "max_pool2d")
class MaxPooling2D(Pool):
    doc: ClassVar[str] = "keeps the largest value of each pool_size window"
    keras_class: ClassVar[str] = "MaxPooling2D"
    example: ClassVar = {"params": {"pool_size": 2}, "input": IMG}


@LAYERS.register("average_pooling2d", "averagepooling2d", "avg_pool2d")
class AveragePooling2D(Pool):
    doc: ClassVar[str] = "keeps the mean of each pool_size window"
    keras_class: ClassVar[str] = "AveragePooling2D"
    example: ClassVar = {"params": {"pool_size": 3, "strides": 2}, "input": IMG}


@LAYERS.register("max_pooling1d", "maxpooling1d", "max_pool1d")
class MaxPooling1D(Pool):
    keras_class: ClassVar[str] = "MaxPooling1D"
    rank: ClassVar[int] = 1
    example: ClassVar = {"params": {"pool_size": 2}, "input": SEQ}


@LAYERS.register("average_pooling1d", "averagepooling1d", "avg_pool1d")
class AveragePooling1D(Pool):
    keras_class: ClassVar[str] = "AveragePooling1D"
    rank: ClassVar[int] = 1
    example: ClassVar = {"params": {"pool_size": 2, "padding": "same"}, "input": SEQ}


class GlobalPool(Layer):
    rank: ClassVar[int] = 2
    families: ClassVar = frozenset({"pooling"})
    keepdims: bool = False

    def output_shape(self, shapes):
        what = IMAGE if self.rank == 2 else SEQUENCE
        shape = expect_rank(shapes, self.rank + 1, what)
        return ((1,) * self.rank + (shape[-1],)) if self.keepdims else (shape[-1],)


@LAYERS.register("global_max_pooling2d")
class GlobalMaxPooling2D(GlobalPool):
    keras_class: ClassVar[str] = "GlobalMaxPooling2D"
    example: ClassVar = {"params": {}, "input": IMG}


@LAYERS.register("global_average_pooling2d")
class GlobalAveragePooling2D(GlobalPool):
    keras_class: ClassVar[str] = "GlobalAveragePooling2D"
    example: ClassVar = {"params": {"keepdims": True}, "input": IMG}


@LAYERS.register("global_max_pooling1d")
class GlobalMaxPooling1D(GlobalPool):
    keras_class: ClassVar[str] = "GlobalMaxPooling1D"
    rank: ClassVar[int] = 1
    example: ClassVar = {"params": {}, "input": SEQ}


@LAYERS.register("global_average_pooling1d")
class GlobalAveragePooling1D(GlobalPool):
    keras_class: ClassVar[str] = "GlobalAveragePooling1D"
    rank: ClassVar[int] = 1
    example: ClassVar = {"params": {}, "input": SEQ}


@LAYERS.register("up_sampling2d", "upsampling2d")
class UpSampling2D(Layer):
    keras_class: ClassVar[str] = "UpSampling2D"
    positional: ClassVar[str] = "size"
    example: ClassVar = {"params": {"size": [2, 3]}, "input": IMG}
    size: IntOrPair = 2
    interpolation: Literal["nearest", "bilinear", "bicubic"] = "nearest"

    def output_shape(self, shapes):
        h, w, c = expect_rank(shapes, 3, IMAGE, IMAGE_HINT)
        sh, sw = as_tuple(self.size, 2)
        return (None if h is None else h * sh, None if w is None else w * sw, c)


@LAYERS.register("depth_to_space", "pixel_shuffle")
class DepthToSpace(Layer):
    doc: ClassVar[str] = ("pixel shuffle, the sub-pixel convolution's last step (L35): "
                          "(H, W, C * r * r) -> (H * r, W * r, C), no weights")
    positional: ClassVar[str] = "block_size"
    imports_from: ClassVar = ("DepthToSpace",)
    example: ClassVar = [{"params": {"block_size": 2}, "input": [3, 4, 8]},
                         {"params": {"block_size": 3}, "input": [2, 2, 9]}]
    block_size: int = Field(2, ge=2, description="r: the upscaling factor of each side")

    def output_shape(self, shapes):
        h, w, c = expect_rank(shapes, 3, IMAGE, IMAGE_HINT)
        r = self.block_size
        if c is not None and c % (r * r):
            raise ShapeError(f"block_size {r} turns each r x r = {r * r} channels into one "
                             f"output channel, so the input's channels must be a multiple of "
                             f"{r * r}; got {c}: give the conv2d before it {r * r} x the "
                             "output channels as filters")
        return (None if h is None else h * r, None if w is None else w * r,
                None if c is None else c // (r * r))

    def make(self, name):
        from ..keras.custom import DepthToSpace as KerasDepthToSpace
        return [KerasDepthToSpace(block_size=self.block_size, name=name)]


@LAYERS.register("up_sampling1d", "upsampling1d")
class UpSampling1D(Layer):
    keras_class: ClassVar[str] = "UpSampling1D"
    positional: ClassVar[str] = "size"
    example: ClassVar = {"params": {"size": 2}, "input": SEQ}
    size: int = Field(2, gt=0)

    def output_shape(self, shapes):
        t, f = expect_rank(shapes, 2, SEQUENCE, SEQ_HINT)
        return (None if t is None else t * self.size, f)


def _pairs(value):
    """1 -> ((1,1),(1,1)); [1,2] -> ((1,1),(2,2)); [[1,2],[3,4]] kept."""
    if isinstance(value, int):
        return ((value, value), (value, value))
    out = tuple((v, v) if isinstance(v, int) else tuple(v) for v in value)
    if len(out) != 2 or any(len(p) != 2 for p in out):
        raise ShapeError(f"give one number, [height, width] or [[top, bottom], [left, right]], "
                         f"got {value}")
    return out


@LAYERS.register("zero_padding2d")
class ZeroPadding2D(Layer):
    keras_class: ClassVar[str] = "ZeroPadding2D"
    positional: ClassVar[str] = "padding"
    example: ClassVar = {"params": {"padding": [1, 2]}, "input": IMG}
    padding: Margins = 1

    def keras_kwargs(self):
        return {"padding": _pairs(self.padding)}

    def output_shape(self, shapes):
        h, w, c = expect_rank(shapes, 3, IMAGE, IMAGE_HINT)
        (t, b), (left, r) = _pairs(self.padding)
        return (None if h is None else h + t + b, None if w is None else w + left + r, c)


@LAYERS.register("cropping2d")
class Cropping2D(Layer):
    keras_class: ClassVar[str] = "Cropping2D"
    positional: ClassVar[str] = "cropping"
    example: ClassVar = {"params": {"cropping": [[1, 0], [2, 1]]}, "input": IMG}
    cropping: Margins = 0

    def keras_kwargs(self):
        return {"cropping": _pairs(self.cropping)}

    def output_shape(self, shapes):
        h, w, c = expect_rank(shapes, 3, IMAGE, IMAGE_HINT)
        (t, b), (left, r) = _pairs(self.cropping)
        out = (None if h is None else h - t - b, None if w is None else w - left - r, c)
        if any(d is not None and d <= 0 for d in out[:2]):
            raise ShapeError(f"cropping {self.cropping} removes the whole image {fmt((h, w, c))}")
        return out
