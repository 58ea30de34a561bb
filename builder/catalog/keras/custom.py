"""kspec's own Keras components, registered serializable under the package 'kspec'.

Imported only through `builder.register_custom_objects()` (it imports Keras).
Everything here is a plain function or a Layer with get_config, never a Lambda,
so models that use it save and load in Keras' safe mode.
"""
from __future__ import annotations

import keras
from keras import ops

register = keras.saving.register_keras_serializable(package="kspec")


@register
def step(x):
    """Heaviside step: 1 where x >= 0, else 0 (its gradient is zero everywhere)."""
    return ops.cast(ops.greater_equal(x, 0), x.dtype)


@register
def sinc(x):
    """sin(x)/x with the removable singularity filled: sinc(0) = 1."""
    safe = ops.where(ops.equal(x, 0), ops.ones_like(x), x)
    return ops.where(ops.equal(x, 0), ops.ones_like(x), ops.sin(safe) / safe)


@register
class Maxout(keras.layers.Layer):
    """Maxout: `units` outputs, each the max over `pieces` linear functions of the input."""

    def __init__(self, units, pieces=2, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.pieces = pieces
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        dim = input_shape[-1]
        self.kernel = self.add_weight(name="kernel", shape=(dim, self.units * self.pieces),
                                      initializer=self.kernel_initializer)
        self.bias = self.add_weight(name="bias", shape=(self.units * self.pieces,),
                                    initializer="zeros")

    def call(self, x):
        z = ops.matmul(x, self.kernel) + self.bias
        z = ops.reshape(z, tuple(ops.shape(z)[:-1]) + (self.units, self.pieces))
        return ops.max(z, axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "pieces": self.pieces,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer)}


@register
class DepthToSpace(keras.layers.Layer):
    """Pixel shuffle (Shi et al. 2016, the sub-pixel convolution): (H, W, C * r * r) ->
    (H * r, W * r, C). Each pixel's r * r groups of C channels become an r x r block
    of output pixels, in the order of tf.nn.depth_to_space (its 'DCR' layout). No
    weights: the convolutions before it learn what each sub-pixel should be."""

    def __init__(self, block_size=2, **kwargs):
        super().__init__(**kwargs)
        self.block_size = int(block_size)

    def call(self, x):
        r = self.block_size
        _, h, w, c = ops.shape(x)
        out = c // (r * r)
        x = ops.reshape(x, (-1, h, w, r, r, out))
        x = ops.transpose(x, (0, 1, 3, 2, 4, 5))  # rows of blocks, then columns
        return ops.reshape(x, (-1, h * r, w * r, out))

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        r = self.block_size
        return (b, None if h is None else h * r, None if w is None else w * r, c // (r * r))

    def get_config(self):
        return {**super().get_config(), "block_size": self.block_size}
