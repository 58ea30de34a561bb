"""The layer catalog. Each layer is one class: its parameters (validated by
pydantic), its output-shape rule (pure Python, so `kspec validate` can find shape
mistakes without TensorFlow) and its Keras construction (lazy).

Importing this package registers every layer.
"""
from .base import LAYERS, Layer, LayerRef, ShapeError  # noqa: F401
from . import core, conv, merge, recurrent, augment, blocks, activation_layers, sequence  # noqa: F401,E402
from . import generative  # noqa: F401,E402  (sampling, time_embedding, affine_coupling)
