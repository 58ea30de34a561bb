"""The one place that imports Keras (TensorFlow backend), lazily and quietly."""
from __future__ import annotations

import os


def keras():
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # hide start-up chatter (no-GPU notices)
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # bit-identical CPU results run to run
    import keras as _keras

    from . import register_custom_objects
    register_custom_objects()
    return _keras


def tf():
    keras()
    import tensorflow as _tf
    return _tf
