"""kspec's Keras layers for sequence models, registered serializable under 'kspec'.

Imported only through `builder.register_custom_objects()` (it imports Keras), so a
saved GPT-style model loads in plain Keras with `safe_mode=True`. Each layer
creates its sub-layers in `__init__` and builds them in `build`, so Keras can
restore the weights of a loaded model before it is ever called.
"""
from __future__ import annotations

import keras
from keras import ops

register = keras.saving.register_keras_serializable(package="kspec")


@register
class PositionEmbedding(keras.layers.Layer):
    """Adds a learned vector per position to a sequence of vectors (steps, features).

    Attention alone is blind to order; these vectors tell the model where each
    step is. Sequences may be shorter than `max_length` (generation feeds prompts);
    max_length None means the length of the input it is built on.
    """

    def __init__(self, max_length=None, embeddings_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.max_length = None if max_length is None else int(max_length)
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)
        self.supports_masking = True

    def build(self, input_shape):
        if self.max_length is None:
            self.max_length = int(input_shape[-2])
        self.position_embeddings = self.add_weight(
            name="position_embeddings", shape=(self.max_length, input_shape[-1]),
            initializer=self.embeddings_initializer)

    def call(self, x):
        steps = ops.shape(x)[-2]
        return x + ops.cast(self.position_embeddings[None, :steps, :], x.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "max_length": self.max_length,
                "embeddings_initializer": keras.initializers.serialize(self.embeddings_initializer)}


@register
class TokenAndPositionEmbedding(keras.layers.Layer):
    """Token ids (steps,) -> token vector + position vector (steps, output_dim)."""

    def __init__(self, vocab_size, output_dim, max_length=None, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size = int(vocab_size)
        self.output_dim = int(output_dim)
        self.tokens = keras.layers.Embedding(self.vocab_size, self.output_dim, name="tokens")
        self.positions = PositionEmbedding(max_length, name="positions")

    @property
    def max_length(self):
        return self.positions.max_length

    def build(self, input_shape):
        self.tokens.build(input_shape)
        self.positions.build(tuple(input_shape) + (self.output_dim,))

    def call(self, ids):
        return self.positions(self.tokens(ids))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size,
                "max_length": self.max_length, "output_dim": self.output_dim}


@register
class TransformerBlock(keras.layers.Layer):
    """One transformer block over a sequence (steps, features):

        pre-norm (GPT-2):  x = x + drop(attn(norm1(x)));  x = x + drop(ff(norm2(x)))
        post-norm (2017):  x = norm1(x + drop(attn(x)));  x = norm2(x + drop(ff(x)))

    attn is multi-head self-attention; with `causal` each step attends only to
    itself and earlier steps, which is what makes next-token training honest.
    ff is dense(ff_dim, activation) -> dense(features).
    """

    def __init__(self, num_heads, ff_dim, key_dim=None, dropout=0.0, causal=False,
                 activation="gelu", norm="pre", epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = int(num_heads)
        self.key_dim = None if key_dim is None else int(key_dim)  # None: features / heads
        self.ff_dim = int(ff_dim)
        self.dropout_rate = float(dropout)
        self.causal = bool(causal)
        self.activation = keras.activations.get(activation)
        self.norm = norm
        self.epsilon = float(epsilon)
        self.attention = None  # its key size may depend on the input width, known at build
        self.norm1 = keras.layers.LayerNormalization(epsilon=self.epsilon, name="norm1")
        self.norm2 = keras.layers.LayerNormalization(epsilon=self.epsilon, name="norm2")
        self.drop1 = keras.layers.Dropout(self.dropout_rate, name="drop1")
        self.drop2 = keras.layers.Dropout(self.dropout_rate, name="drop2")
        self.ff_in = keras.layers.Dense(self.ff_dim, activation=self.activation, name="ff_in")
        self.ff_out = None  # its width is the input's, known at build

    def build(self, input_shape):
        features = input_shape[-1]
        if self.key_dim is None:
            self.key_dim = features // self.num_heads
        self.attention = keras.layers.MultiHeadAttention(
            self.num_heads, self.key_dim, dropout=self.dropout_rate, name="attention")
        self.ff_out = keras.layers.Dense(features, name="ff_out")
        self.attention.build(input_shape, input_shape)
        self.norm1.build(input_shape)
        self.norm2.build(input_shape)
        self.ff_in.build(input_shape)
        self.ff_out.build(tuple(input_shape[:-1]) + (self.ff_dim,))

    def _attend(self, x, training):
        return self.drop1(self.attention(x, x, use_causal_mask=self.causal, training=training),
                          training=training)

    def _feed_forward(self, x, training):
        return self.drop2(self.ff_out(self.ff_in(x)), training=training)

    def call(self, x, training=None):
        if self.norm == "pre":
            x = x + self._attend(self.norm1(x), training)
            return x + self._feed_forward(self.norm2(x), training)
        x = self.norm1(x + self._attend(x, training))
        return self.norm2(x + self._feed_forward(x, training))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads, "key_dim": self.key_dim,
                "ff_dim": self.ff_dim, "dropout": self.dropout_rate, "causal": self.causal,
                "activation": keras.activations.serialize(self.activation), "norm": self.norm, "epsilon": self.epsilon}
