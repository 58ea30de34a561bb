"""The one place that imports Keras (TensorFlow backend), lazily and quietly."""
from __future__ import annotations

import contextlib
import os
import sys

_ready = False


@contextlib.contextmanager
def _native_stderr_silenced():
    """TensorFlow's C++ start-up prints notices (no CUDA driver, oneDNN) straight to
    file descriptor 2 before its log level applies; students should not have to
    read them. Set KSPEC_TF_LOGS=1 to see them."""
    if os.environ.get("KSPEC_TF_LOGS") == "1":
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (e.g. captured): nothing to hide
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


@contextlib.contextmanager
def loading_line(stream=None, text: str = "loading TensorFlow ..."):
    """On a terminal, a line that says TensorFlow is loading (it takes seconds, and
    `kspec summary`, `explain` and `train` would otherwise sit silent), erased once
    it has loaded. Nothing when stderr is a file or a pipe (logs, tests, graders)."""
    stream = stream if stream is not None else sys.stderr
    try:
        shown = stream.isatty()
    except (AttributeError, ValueError):
        shown = False
    if shown:
        stream.write(text)
        stream.flush()
    try:
        yield
    finally:
        if shown:
            stream.write("\r" + " " * len(text) + "\r")
            stream.flush()


def keras():
    global _ready
    if not _ready:
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # hide C++ info/warnings
        os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # bit-identical CPU results
        with loading_line(), _native_stderr_silenced():
            import keras  # noqa: F401  (imports TensorFlow: its notices go to /dev/null)
            import tensorflow as _tf
            _tf.config.list_physical_devices()  # device discovery prints its notices now
        _ready = True
    import keras as _keras

    from .. import register_custom_objects
    register_custom_objects()
    return _keras


def tf():
    keras()
    import tensorflow as _tf
    return _tf
