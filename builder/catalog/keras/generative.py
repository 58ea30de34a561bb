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
    """

    def __init__(self, mask="checkerboard", invert=False, hidden=(128, 128),
                 activation="relu", **kwargs):
        super().__init__(**kwargs)
        self.mask_kind = mask
        self.invert = bool(invert)
        self.hidden = [int(h) for h in hidden]
        self.activation = activation
        self.hidden_layers = [keras.layers.Dense(h, activation=activation, name=f"hidden_{i}")
                              for i, h in enumerate(self.hidden)]

    def build(self, input_shape):
        shape = tuple(input_shape[1:])
        self.example_shape = shape
        self.size = int(np.prod(shape))
        self.mask = ops.convert_to_tensor(coupling_mask(shape, self.mask_kind, self.invert))
        width = self.size
        for layer in self.hidden_layers:
            layer.build((None, width))
            width = layer.units
        self.shift_and_scale = keras.layers.Dense(2 * self.size, kernel_initializer="zeros",
                                                  name="shift_and_scale")
        self.shift_and_scale.build((None, width))
        # s = scale * tanh(raw): bounded log-scales keep early training stable
        self.scale = self.add_weight(name="scale", shape=(self.size,), initializer="ones")

    def _s_t(self, flat):
        h = flat * self.mask
        for layer in self.hidden_layers:
            h = layer(h)
        raw_s, t = ops.split(self.shift_and_scale(h), 2, axis=-1)
        free = 1.0 - self.mask
        return self.scale * ops.tanh(raw_s) * free, t * free

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
        return {**super().get_config(), "mask": self.mask_kind, "invert": self.invert,
                "hidden": self.hidden, "activation": self.activation}
