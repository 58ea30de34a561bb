"""Keras objects -> the Python source that makes them again.

`codegen` reads the model kspec built (Keras is the ground truth) instead of
re-deriving Keras arguments from the spec: each layer, optimizer and loss is
written as its class with only the arguments that differ from that class's own
defaults, found by comparing its config with a fresh instance's.
"""
from __future__ import annotations

import inspect
import keyword
import re

from ..core.keras_env import keras

_SKIP = {"dtype"}  # float32 everywhere; a policy object is noise in a student's script


def _signature(cls) -> dict:
    return dict(inspect.signature(cls.__init__).parameters)


def _required(cls) -> list[str]:
    return [n for n, p in _signature(cls).items()
            if n != "self" and p.default is inspect.Parameter.empty
            and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def _fresh_config(obj, config: dict) -> dict:
    """The config of a fresh instance of obj's class made with only its required
    arguments (taken from `config`) and, for a layer in a model, called on inputs of
    the same shapes: some configs record what building decided (an attention's axes)."""
    k = keras()
    cls = type(obj)
    args = {}
    for name in _required(cls):
        value = config.get(name)
        if isinstance(value, dict) and "class_name" in value:
            value = k.saving.deserialize_keras_object(value)
        args[name] = value
    try:
        fresh = cls(**args)
    except Exception:  # noqa: BLE001 - no fresh instance: every argument is written out
        return {}
    nodes = [n for n in getattr(obj, "_inbound_nodes", []) if n.operation is obj]
    if len(nodes) == 1:
        def like(t):
            if isinstance(t, k.KerasTensor):
                return k.Input(batch_shape=t.shape, dtype=t.dtype)
            return t
        try:
            a = nodes[0].arguments
            fresh(*k.tree.map_structure(like, list(a.args)),
                  **k.tree.map_structure(like, dict(a.kwargs)))
        except Exception:  # noqa: BLE001 - compare with the unbuilt instance then
            pass
    return fresh.get_config()


IGNORED = ("name", "trainable", "dtype", "build_config")


def same_config(a, b) -> bool:
    """Two Keras configs agree, names and build records aside (also of nested layers)."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = (set(a) | set(b)) - set(IGNORED)
        return all(same_config(a.get(k), b.get(k)) for k in keys)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_config(x, y) for x, y in zip(a, b))
    if isinstance(a, int) and isinstance(b, (list, tuple)):  # a built layer lists its axis
        return list(b) == [a]
    if isinstance(b, int) and isinstance(a, (list, tuple)):
        return list(a) == [b]
    return a == b


def changed_args(obj, skip=()) -> dict:
    """Constructor arguments of a Keras object whose values differ from the defaults."""
    cls = type(obj)
    config = obj.get_config()
    fresh = _fresh_config(obj, config)
    params = _signature(cls)
    required = _required(cls)
    out = {}
    for key, value in config.items():
        if key in _SKIP or key in skip or key not in params:
            continue
        if key == "name" and isinstance(value, str) and isinstance(fresh.get(key), str) \
                and _unnumbered(value) == _unnumbered(fresh[key]):
            continue  # Keras' own automatic name ("adam", "adam_1", ...)
        if key in required or key not in fresh or not same_config(fresh[key], value):
            out[key] = value
    return out


def _unnumbered(name: str) -> str:
    return re.sub(r"_\d+$", "", name)


def _short_float(value: float) -> str:
    """0.0020000000949949026 (a float32 read back) -> 0.002; other floats as Python writes them."""
    import numpy as np
    if float(np.float32(value)) != value:
        return repr(value)
    for digits in range(1, 10):
        text = f"{value:.{digits}g}"
        if np.float32(float(text)) == np.float32(value):
            return repr(float(text))
    return repr(value)


class Code:
    """Collects source text and the custom definitions (kspec's own activations and
    layers) that the script has to carry."""

    def __init__(self):
        self.custom: dict[str, object] = {}  # name -> Python object to copy the source of

    # ---- values --------------------------------------------------------------------
    def value(self, value) -> str:
        if isinstance(value, dict) and "class_name" in value and "module" in value:
            return self.serialized(value)
        if isinstance(value, tuple):
            inner = ", ".join(self.value(v) for v in value)
            return f"({inner},)" if len(value) == 1 else f"({inner})"
        if isinstance(value, list):
            return "[" + ", ".join(self.value(v) for v in value) + "]"
        if isinstance(value, dict):
            items = (f"{self.value(k)}: {self.value(v)}" for k, v in value.items())
            return "{" + ", ".join(items) + "}"
        if isinstance(value, str):
            return _quote(value)
        if isinstance(value, float):
            return _short_float(value)
        return repr(value)

    def serialized(self, value: dict) -> str:
        k = keras()
        config = value.get("config")
        if value["class_name"] == "function" and isinstance(config, str):
            name = config.split(">")[-1]
            if config.startswith("kspec>"):
                self.custom[name] = k.saving.get_registered_object(config)
            return name
        obj = k.saving.deserialize_keras_object(value)
        if isinstance(obj, k.layers.Layer):
            return self.layer(obj, named=False)  # a wrapped layer: its wrapper names it
        return self.obj(obj)

    # ---- objects -------------------------------------------------------------------
    def obj(self, obj, prefix: str | None = None, extra: dict | None = None, skip=()) -> str:
        """`keras.initializers.HeNormal(seed=3)` for any Keras object with a config."""
        cls = type(obj)
        path = prefix or self.class_path(cls)
        args = {**changed_args(obj, skip), **(extra or {})}
        return f"{path}({', '.join(f'{k}={self.value(v)}' for k, v in args.items())})"

    def class_path(self, cls) -> str:
        k = keras()
        for module in ("layers", "initializers", "regularizers", "constraints", "optimizers",
                       "losses", "metrics", "callbacks"):
            if getattr(getattr(k, module), cls.__name__, None) is cls:
                return ("layers." if module == "layers" else f"keras.{module}.") + cls.__name__
        if getattr(k.optimizers.schedules, cls.__name__, None) is cls:
            return f"keras.optimizers.schedules.{cls.__name__}"
        if k.saving.get_registered_name(cls).startswith("kspec>"):
            self.custom[cls.__name__] = cls  # kspec's own layer: the script carries it
            return cls.__name__
        raise CodegenError(f"kspec cannot write code for the Keras class {cls.__module__}."
                           f"{cls.__name__}")

    def layer(self, layer, named: bool = True) -> str:
        """A layer's constructor call; its name last, as students write it."""
        args = changed_args(layer, skip=("name", "trainable"))
        parts = [f"{k}={self.value(v)}" for k, v in args.items()]
        parts += [f"name={_quote(layer.name)}"] if named else []
        return f"{self.class_path(type(layer))}({', '.join(parts)})"


class CodegenError(Exception):
    """A model kspec cannot turn into a script; the message says which part."""


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def identifier(name: str, taken: set) -> str:
    """A Python variable name for a layer name, unused so far."""
    base = re.sub(r"\W", "_", name)
    if not base or base[0].isdigit() or keyword.iskeyword(base):
        base = "t_" + base
    out, n = base, 1
    while out in taken:
        n += 1
        out = f"{base}_{n}"
    taken.add(out)
    return out
