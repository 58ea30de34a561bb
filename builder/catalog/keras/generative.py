"""kspec's Keras layers for generative models, registered serializable ('kspec').

Imported only through `builder.register_custom_objects()` (it imports Keras), so a
saved VAE encoder, DDPM denoiser or RealNVP flow loads with plain
`keras.models.load_model` (safe mode) after `import builder`. No Lambda layers:
each layer is a class with get_config.
"""
from __future__ import annotations

import math

import keras
import numpy as np
from keras import ops

register = keras.saving.register_keras_serializable(package="kspec")


@register
class Sampling(keras.layers.Layer):
    """The reparameterization trick: z = mean + exp(log_var / 2) * eps, eps ~ N(0, I).

    The randomness is outside the path of the gradient, so the encoder learns
    through mean and log_var. It samples in training and inference alike: use
    z_mean for a deterministic code.
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        mean, log_var = inputs
        eps = keras.random.normal(ops.shape(mean), seed=self.seed_generator)
        return mean + ops.exp(0.5 * log_var) * eps

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


@register
class TimeEmbedding(keras.layers.Layer):
    """A diffusion step t (one number per example) -> sinusoidal features of size `dim`.

    As in the transformer's position encoding: sin and cos of t at geometrically
    spaced frequencies, so nearby steps get similar vectors and the denoiser can
    tell every step apart. No weights; layers after it learn what to do with it.
    """

    def __init__(self, dim, max_period=10000.0, **kwargs):
        super().__init__(**kwargs)
        self.dim = int(dim)
        self.max_period = float(max_period)

    def call(self, t):
        half = self.dim // 2
        freqs = ops.exp(-math.log(self.max_period) * ops.arange(half, dtype="float32") / half)
        args = ops.cast(ops.reshape(t, (-1, 1)), "float32") * freqs[None, :]
        return ops.concatenate([ops.sin(args), ops.cos(args)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.dim)

    def get_config(self):
        return {**super().get_config(), "dim": self.dim, "max_period": self.max_period}


def coupling_mask(shape, kind: str, invert: bool) -> np.ndarray:
    """1 where the coupling layer passes values through unchanged (they condition the
    others), 0 where it transforms them; flattened to one row."""
    size = int(np.prod(shape))
    if kind == "checkerboard":
        h, w = shape[0], shape[1]
        grid = (np.add.outer(np.arange(h), np.arange(w)) % 2).astype("float32")
        mask = np.broadcast_to(grid[:, :, None], tuple(shape)).reshape(-1)
    elif kind == "alternate":
        mask = (np.arange(size) % 2).astype("float32")
    else:  # half: the first half conditions the second
        mask = (np.arange(size) < size // 2).astype("float32")
    return (1.0 - mask if invert else mask).astype("float32")


@register
class AffineCoupling(keras.layers.Layer):
    """RealNVP affine coupling: y = x * exp(s(x_m)) + t(x_m) on the unmasked part.

    x_m (the masked part) passes through unchanged and feeds a small MLP that
    outputs the log-scale s and shift t for the other part. So the layer is
    invertible in closed form (x = (y - t) * exp(-s)) and its log-determinant is
    sum(s). The last dense layer starts at zero: an untrained flow is the identity.
    `call` is the forward direction (data -> latent); the flow task uses
    `forward` (with the log-determinant) and `inverse` (latent -> data).

    By default one network outputs s and t together. With `scale_net` and
    `shift_net` (each {hidden, activation, kernel_regularizer}) s and t get
    networks of their own, as in keras-io's RealNVP. `scale_activation` bounds s:
    scaled_tanh (a learned factor per value times tanh), tanh, or linear.
    """

    def __init__(self, mask="checkerboard", invert=False, hidden=(128, 128),
                 activation="relu", kernel_regularizer=None, scale_net=None, shift_net=None,
                 scale_activation="scaled_tanh", **kwargs):
        super().__init__(**kwargs)
        self.mask_kind = mask
        self.invert = bool(invert)
        self.hidden = [int(h) for h in hidden]
        self.activation = activation
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.scale_activation = scale_activation
        default = {"hidden": self.hidden, "activation": activation,
                   "kernel_regularizer": kernel_regularizer}
        self.separate = scale_net is not None or shift_net is not None
        if self.separate:
            self.nets = {name: self._net_config({**default, **(net or {})})
                         for name, net in (("scale", scale_net), ("shift", shift_net))}
            self.net_layers = {name: self._dense_stack(net, f"{name}_")
                               for name, net in self.nets.items()}
        else:
            self.hidden_layers = self._dense_stack(self._net_config(default), "")

    @staticmethod
    def _net_config(net):
        return {"hidden": [int(h) for h in net["hidden"]], "activation": net["activation"],
                "kernel_regularizer": keras.regularizers.get(net.get("kernel_regularizer"))}

    @staticmethod
    def _dense_stack(net, prefix):
        return [keras.layers.Dense(h, activation=net["activation"], name=f"{prefix}hidden_{i}",
                                   kernel_regularizer=net["kernel_regularizer"])
                for i, h in enumerate(net["hidden"])]

    @staticmethod
    def _build_stack(layers, width):
        for layer in layers:
            layer.build((None, width))
            width = layer.units
        return width

    def build(self, input_shape):
        shape = tuple(input_shape[1:])
        self.example_shape = shape
        self.size = int(np.prod(shape))
        self.mask = ops.convert_to_tensor(coupling_mask(shape, self.mask_kind, self.invert))
        if self.separate:
            self.out_layers = {}
            for name, layers in self.net_layers.items():
                width = self._build_stack(layers, self.size)
                out = keras.layers.Dense(self.size, kernel_initializer="zeros", name=f"{name}_out",
                                         kernel_regularizer=self.nets[name]["kernel_regularizer"])
                out.build((None, width))
                self.out_layers[name] = out
        else:
            width = self._build_stack(self.hidden_layers, self.size)
            self.shift_and_scale = keras.layers.Dense(2 * self.size, kernel_initializer="zeros",
                                                      kernel_regularizer=self.kernel_regularizer,
                                                      name="shift_and_scale")
            self.shift_and_scale.build((None, width))
        if self.scale_activation == "scaled_tanh":
            # s = scale * tanh(raw): bounded log-scales keep early training stable
            self.scale = self.add_weight(name="scale", shape=(self.size,), initializer="ones")

    def _s_t(self, flat):
        h = flat * self.mask
        if self.separate:
            raw = {}
            for name, layers in self.net_layers.items():
                out = h
                for layer in layers:
                    out = layer(out)
                raw[name] = self.out_layers[name](out)
            raw_s, t = raw["scale"], raw["shift"]
        else:
            for layer in self.hidden_layers:
                h = layer(h)
            raw_s, t = ops.split(self.shift_and_scale(h), 2, axis=-1)
        if self.scale_activation == "scaled_tanh":
            s = self.scale * ops.tanh(raw_s)
        elif self.scale_activation == "tanh":
            s = ops.tanh(raw_s)
        else:
            s = raw_s
        free = 1.0 - self.mask
        return s * free, t * free

    def _built_for(self, x):
        if not self.built:  # forward/inverse called directly, before any __call__
            self.build(tuple(x.shape))
            self.built = True

    def forward(self, x):
        """-> (y, log|det dy/dx| per example)."""
        self._built_for(x)
        flat = ops.reshape(x, (-1, self.size))
        s, t = self._s_t(flat)
        y = flat * ops.exp(s) + t
        return ops.reshape(y, (-1,) + self.example_shape), ops.sum(s, axis=-1)

    def inverse(self, y):
        self._built_for(y)
        flat = ops.reshape(y, (-1, self.size))
        s, t = self._s_t(flat)  # the masked part is the same in x and y
        x = (flat - t) * ops.exp(-s)
        return ops.reshape(x, (-1,) + self.example_shape)

    def call(self, x):
        return self.forward(x)[0]

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {**super().get_config(), "mask": self.mask_kind, "invert": self.invert}
        if not self.separate:  # separate networks carry their own (below)
            config.update(hidden=self.hidden, activation=self.activation)
        if self.kernel_regularizer is not None and not self.separate:
            config["kernel_regularizer"] = keras.regularizers.serialize(self.kernel_regularizer)
        if self.scale_activation != "scaled_tanh":
            config["scale_activation"] = self.scale_activation
        if self.separate:  # the defaults above are folded into each network's own keys
            for name, net in self.nets.items():
                reg = net["kernel_regularizer"]
                config[f"{name}_net"] = {
                    "hidden": net["hidden"], "activation": net["activation"],
                    "kernel_regularizer": keras.regularizers.serialize(reg) if reg else None}
        return config
