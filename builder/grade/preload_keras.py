"""The fork server's Keras preload (see preload.py). Importing TensorFlow in the
server is safe because the server itself never runs an operation: each grading
process is a fresh fork that starts TensorFlow's runtime on its own."""
from __future__ import annotations

import os

import sklearn.datasets  # noqa: F401  (the bundled data sets the teacher's data may use)

from ..build import model  # noqa: F401
from ..data import pipeline  # noqa: F401
from ..core.keras_env import tf
from ..tasks.supervised import trainer as supervised  # noqa: F401
from . import training  # noqa: F401


def _quietly(fn):
    """TensorFlow's C++ start-up notices would land in the teacher's terminal."""
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        fn()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


_quietly(tf)
