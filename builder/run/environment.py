"""Facts about how a run was made, saved with it: the seed set everywhere, the
versions of everything that computed it, and the spec as it was resolved."""
from __future__ import annotations

import platform

import numpy as np
import yaml

from .. import __version__
from ..core.keras_env import keras, tf


def seed_everything(seed: int):
    k = keras()
    k.utils.set_random_seed(seed)
    tf().config.experimental.enable_op_determinism()


def versions() -> dict:
    import sklearn
    return {"kspec": __version__, "keras": keras().__version__, "tensorflow": tf().__version__,
            "numpy": np.__version__, "scikit-learn": sklearn.__version__,
            "python": platform.python_version()}


def resolved_yaml(loaded) -> str:
    data = loaded.spec.model_dump(mode="json")
    header = f"# resolved by kspec {__version__} from {loaded.path}\n"
    return header + yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=100)
