"""kspec: declarative YAML specs compiled into Keras models and training loops.

`import builder` registers kspec's own Keras components (the `step` and `sinc`
activations, the Maxout layer, ...) so that a saved model using them loads with
plain `keras.models.load_model`. Registration needs Keras, but `kspec validate`
must not import it; so it happens as soon as Keras is imported, whichever comes
first: now, if Keras is already loaded, or right after `import keras` otherwise.
"""
from __future__ import annotations

import importlib.abc
import importlib.util
import sys

__version__ = "0.1.0"

_registered = False


def register_custom_objects() -> None:
    """Import (hence register) kspec's Keras components. Safe to call many times."""
    global _registered
    if _registered:
        return
    _registered = True
    from .catalog.keras import custom, generative, sequence  # noqa: F401  (registration on import)


class _RegisterAfterKeras(importlib.abc.MetaPathFinder):
    """Runs register_custom_objects() once the `keras` package has finished loading."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "keras" or _registered:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec("keras")
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return None
        loader = spec.loader
        original = loader.exec_module

        def exec_module(module):
            original(module)
            if self in sys.meta_path:
                sys.meta_path.remove(self)
            register_custom_objects()

        loader.exec_module = exec_module
        return spec


if "keras" in sys.modules:
    register_custom_objects()
else:
    sys.meta_path.insert(0, _RegisterAfterKeras())
