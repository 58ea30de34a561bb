"""The layer catalog. Each layer is one class: its parameters (validated by
pydantic), its output-shape rule (pure Python, so `kspec validate` can find shape
mistakes without TensorFlow) and its Keras construction (lazy).

The catalog is lazy: a layer's module (core, conv, merge, recurrent, augment, blocks,
activation_layers, sequence, generative) is imported when a spec names one of its
layers (catalog/index.py says which); `LAYERS.entries` imports them all.
"""
from .base import LAYERS, Layer, LayerRef, ShapeError  # noqa: F401
