"""Layers of the generative lectures: the VAE's sampling, the diffusion denoiser's
time embedding, RealNVP's affine coupling. The Keras side is in
builder/catalog/keras/generative.py (registered, so saved models reload)."""
from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, field_validator, model_validator

import math

from ...core.base import Strict
from ..weights import OptionalRegularizer
from .base import LAYERS, Layer, ShapeError, dense_weights, fmt

NetActivation = Literal["relu", "tanh", "elu", "gelu", "silu", "swish", "leaky_relu"]


def _positive_sizes(v):
    if v is not None and any(h <= 0 for h in v):
        raise ValueError("hidden sizes must be positive")
    return v


class CouplingNet(Strict):
    """One of RealNVP's two networks (scale s or shift t), as in keras-io's Coupling;
    a key left out takes the coupling layer's own `hidden`/`activation`/`kernel_regularizer`."""
    hidden: list[int] | None = Field(None, min_length=1, description="units of its hidden "
                                                                     "dense layers")
    activation: NetActivation | None = Field(None, description="of its hidden layers")
    kernel_regularizer: OptionalRegularizer = Field(
        None, description="on its kernels (e.g. {l2: 0.01}), added to the flow's loss")

    @field_validator("hidden")
    @classmethod
    def _positive(cls, v):
        return _positive_sizes(v)


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
                          "scale and shift for the other half; invertible, exact log-det; one "
                          "shared s/t network, or separate scale_net and shift_net")
    invertible: ClassVar[bool] = True
    mask: Literal["checkerboard", "alternate", "half"] = Field(
        "checkerboard", description="which values condition the rest: checkerboard (images), "
                                    "alternate (every other value), half (first half)")
    invert: bool = Field(False, description="swap the roles of the two halves; alternate it "
                                            "from layer to layer so every value gets transformed")
    hidden: list[int] = Field([128, 128], min_length=1,
                              description="units of the scale/shift network's hidden layers")
    activation: NetActivation = "relu"
    kernel_regularizer: OptionalRegularizer = Field(
        None, description="on every kernel of the network(s), e.g. {l2: 0.01} as in keras-io")
    scale_net: CouplingNet | None = Field(
        None, description="a network of its own for the log-scale s (then shift_net for t); "
                          "keys left out come from hidden/activation/kernel_regularizer")
    shift_net: CouplingNet | None = Field(
        None, description="a network of its own for the shift t (then scale_net for s)")
    scale_activation: Literal["scaled_tanh", "tanh", "linear"] = Field(
        "scaled_tanh", description="on s: scaled_tanh (a learned factor per value times tanh), "
                                   "tanh (keras-io's RealNVP) or linear (unbounded)")
    imports_from: ClassVar = ("AffineCoupling",)
    example: ClassVar = [{"params": {"mask": "alternate", "hidden": [8]}, "input": [6]},
                         {"params": {"hidden": [4, 3]}, "input": [4, 4, 2]},
                         {"params": {"mask": "alternate", "hidden": [5],
                                     "scale_net": {"hidden": [4, 4],
                                                   "kernel_regularizer": {"l2": 0.01}},
                                     "shift_net": {"activation": "tanh"},
                                     "scale_activation": "tanh"}, "input": [6]}]

    @field_validator("hidden")
    @classmethod
    def _positive(cls, v):
        return _positive_sizes(v)

    @model_validator(mode="after")
    def _no_idle_keys(self):
        """A shared-network key that both separate networks override would do nothing."""
        if self.scale_net is None or self.shift_net is None:
            return self
        for key in ("hidden", "activation", "kernel_regularizer"):
            if key in self.model_fields_set and all(
                    key in net.model_fields_set for net in (self.scale_net, self.shift_net)):
                raise ValueError(f"{key} is for the shared network, but scale_net and shift_net "
                                 f"both set their own {key}; remove it here")
        return self

    @property
    def separate(self) -> bool:
        return self.scale_net is not None or self.shift_net is not None

    def nets(self) -> dict:
        """-> {name: {hidden, activation, kernel_regularizer}}: the network(s) to build,
        keys a separate network leaves out taken from this layer."""
        own = {"hidden": self.hidden, "activation": self.activation,
               "kernel_regularizer": self.kernel_regularizer}
        if not self.separate:
            return {"shared": own}
        out = {}
        for name, net in (("scale", self.scale_net), ("shift", self.shift_net)):
            given = {k: getattr(net, k) for k in (net.model_fields_set if net else ())}
            out[name] = {**own, **given}
        return out

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

    def _layer_sizes(self, size):
        """-> [(prefix, [n_in, hidden..., n_out])] of each network's dense layers."""
        if not self.separate:
            return [("", [size] + self.hidden + [2 * size])]
        return [(f"{name}_", [size] + net["hidden"] + [size])
                for name, net in self.nets().items()]

    def weight_shapes(self, shapes):
        size = math.prod(shapes[0])
        out = {"scale": (size,)} if self.scale_activation == "scaled_tanh" else {}
        for prefix, sizes in self._layer_sizes(size):
            last = len(sizes) - 2
            for i, (n_in, units) in enumerate(zip(sizes, sizes[1:])):
                name = (f"{prefix}hidden_{i}" if i < last else
                        f"{prefix}out" if prefix else "shift_and_scale")
                out.update(dense_weights(n_in, units, prefix=name))
        return out

    def explain_params(self, shapes):
        size = math.prod(shapes[0])
        parts, n = [], 0
        for prefix, sizes in self._layer_sizes(size):
            net = " + ".join(f"({a} + 1) x {b}" for a, b in zip(sizes, sizes[1:]))
            parts.append(f"{prefix.rstrip('_') or 'scale/shift'} network {net}")
            n += sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
        if self.scale_activation == "scaled_tanh":
            parts.append(f"{size} log-scale factors")
            n += size
        return " + ".join(parts), n, ""

    @classmethod
    def from_keras(cls, layer, config, importer):
        """The separate networks' regularizers come back from Keras' config form."""
        from ..weights import REGULARIZERS
        kind, params = super().from_keras(layer, config, importer)
        for key in ("scale_net", "shift_net"):
            net = dict(params.get(key) or {})
            reg = net.get("kernel_regularizer")
            if isinstance(reg, dict) and "class_name" in reg:
                entry = next((c for c in REGULARIZERS.entries.values()
                              if c.keras_class == reg["class_name"]), None)
                if entry is None:
                    raise importer.unknown(REGULARIZERS, reg["class_name"])
                conf = reg.get("config") or {}
                net["kernel_regularizer"] = entry.model_validate(
                    {f: conf[f] for f in entry.model_fields if f in conf}).to_data()
            if key in params:
                params[key] = {k: v for k, v in net.items() if v is not None}
        nets = [params[k] for k in ("scale_net", "shift_net") if k in params]
        for key in ("hidden", "activation", "kernel_regularizer"):  # each net has its own
            if len(nets) == 2 and all(key in net for net in nets):
                params.pop(key, None)
        return kind, params

    def make(self, name):
        from ..keras.generative import AffineCoupling as KerasCoupling

        def keras_net(net):
            reg = net["kernel_regularizer"]
            return {"hidden": list(net["hidden"]), "activation": net["activation"],
                    "kernel_regularizer": reg.build() if reg is not None else None}
        nets = {k: keras_net(v) for k, v in self.nets().items()}
        shared = nets.pop("shared", None)
        return [KerasCoupling(self.mask, self.invert, self.hidden, self.activation, name=name,
                              trainable=self.trainable,
                              kernel_regularizer=(shared or {}).get("kernel_regularizer"),
                              scale_net=nets.get("scale"), shift_net=nets.get("shift"),
                              scale_activation=self.scale_activation)]
