"""Activation functions by name, as the lectures list them.

Parameter-free activations are passed to Keras by name (or, for kspec's own
``step`` and ``sinc``, as registered serializable functions). An activation
with parameters (``leaky_relu: {alpha: 0.1}``) becomes its own Keras layer
(LeakyReLU, ELU, ReLU, Softmax), because Keras can only save a layer's
``activation=`` argument when it is a plain function.
"""

from typing import ClassVar

from pydantic import Field

from ..core.keras_env import keras
from ..core.base import Catalog, Entry

_LAYER_KEYS = {"name", "inputs", "trainable", "weights"}
ACTIVATIONS = Catalog("activation", "relu or leaky_relu: {alpha: 0.1}")

# Keras' own parameter-free activations (name in kspec -> name in keras.activations)
KERAS_PLAIN = {
    "sigmoid": "sigmoid", "tanh": "tanh", "softplus": "softplus", "softsign": "softsign",
    "selu": "selu", "exponential": "exponential", "relu6": "relu6", "silu": "silu",
    "gelu": "gelu", "hard_sigmoid": "hard_sigmoid", "hard_silu": "hard_silu",
    "linear": "linear", "mish": "mish", "log_sigmoid": "log_sigmoid",
    "log_softmax": "log_softmax", "celu": "celu", "hard_tanh": "hard_tanh",
    "sparse_plus": "sparse_plus", "squareplus": "squareplus", "tanh_shrink": "tanh_shrink",
    "sparsemax": "sparsemax",
}
ALIASES = {"silu": ["swish"], "linear": ["identity", "none"], "step": ["heaviside"],
           "leaky_relu": ["leakyrelu"], "log_sigmoid": ["logsigmoid"]}
KSPEC_FUNCTIONS = {"step": "heaviside step: 1 where x >= 0, else 0 (no useful gradient)",
                   "sinc": "sin(x)/x, and 1 at x = 0"}


class Activation(Entry):
    """Base: a parameter-free activation passed to Keras by name."""

    keras_name: ClassVar[str] = ""
    # the Keras layer an activation with parameters becomes, and its arguments
    # (Keras' name -> kspec's field): how `kspec import` reads that layer back
    keras_layer: ClassVar[str] = ""
    keras_layer_args: ClassVar[dict] = {}

    @property
    def is_plain(self) -> bool:
        # an activation standing as a layer also carries name/inputs/...; those don't count
        return not {k for k in self.params() if k not in _LAYER_KEYS}

    def function(self):
        """What goes into a layer's ``activation=``; None means 'needs its own layer'."""
        if not self.is_plain:
            return None
        if self.kind in KSPEC_FUNCTIONS:
            from .keras import custom
            return getattr(custom, self.kind)
        return self.keras_name

    def layer(self, name: str | None):
        """A stand-alone Keras layer applying this activation."""
        k = keras()
        fn = self.function()
        if fn is None:
            return self.param_layer(k, name)
        return k.layers.Activation(fn, name=name)

    def param_layer(self, k, name):  # overridden by activations with parameters
        raise NotImplementedError


def _plain(kind: str, keras_name: str, doc: str = ""):
    cls = type(f"Act_{kind}", (Activation,), {"keras_name": keras_name, "doc": doc,
                                               "__module__": __name__})
    ACTIVATIONS.add(kind, cls, *ALIASES.get(kind, []))


for _kind, _kname in KERAS_PLAIN.items():
    _plain(_kind, _kname)
for _kind, _doc in KSPEC_FUNCTIONS.items():
    _plain(_kind, _kind, _doc)


@ACTIVATIONS.register("relu")
class ReLU(Activation):
    keras_name: ClassVar[str] = "relu"
    keras_layer: ClassVar[str] = "ReLU"
    keras_layer_args: ClassVar[dict] = {"max_value": "max_value",
                                        "negative_slope": "negative_slope",
                                        "threshold": "threshold"}
    max_value: float | None = None
    negative_slope: float = 0.0
    threshold: float = 0.0

    def param_layer(self, k, name):
        return k.layers.ReLU(max_value=self.max_value, negative_slope=self.negative_slope,
                             threshold=self.threshold, name=name)


@ACTIVATIONS.register("leaky_relu", *ALIASES["leaky_relu"])
class LeakyReLU(Activation):
    doc: ClassVar[str] = "x if x > 0 else alpha * x (the slides use alpha 0.1 and 0.01)"
    keras_name: ClassVar[str] = "leaky_relu"
    keras_layer: ClassVar[str] = "LeakyReLU"
    keras_layer_args: ClassVar[dict] = {"negative_slope": "alpha"}
    positional: ClassVar[str] = "alpha"
    alpha: float = Field(0.2, ge=0, description="slope for x < 0 (Keras' default 0.2)")

    def param_layer(self, k, name):
        return k.layers.LeakyReLU(negative_slope=self.alpha, name=name)


@ACTIVATIONS.register("elu")
class ELU(Activation):
    keras_name: ClassVar[str] = "elu"
    keras_layer: ClassVar[str] = "ELU"
    keras_layer_args: ClassVar[dict] = {"alpha": "alpha"}
    positional: ClassVar[str] = "alpha"
    alpha: float = Field(1.0, description="value approached for large negative x is -alpha")

    def param_layer(self, k, name):
        return k.layers.ELU(alpha=self.alpha, name=name)


@ACTIVATIONS.register("softmax")
class Softmax(Activation):
    keras_name: ClassVar[str] = "softmax"
    keras_layer: ClassVar[str] = "Softmax"
    keras_layer_args: ClassVar[dict] = {"axis": "axis"}
    positional: ClassVar[str] = "axis"
    axis: int = -1

    def param_layer(self, k, name):
        return k.layers.Softmax(axis=self.axis, name=name)


def activation_from_keras(class_name: str, config: dict) -> tuple[str, dict] | None:
    """(kind, params) of the activation a Keras layer applies, or None if kspec has none:
    an Activation layer by its function's name (kspec's own are registered functions,
    `kspec>step`), LeakyReLU, ELU, ReLU and Softmax by their arguments."""
    if class_name == "Activation":
        value = config.get("activation")
        if isinstance(value, dict):  # {"class_name": "function", "config": "kspec>step"}
            value = str(value.get("config", "")).split(">")[-1]
        cls = ACTIVATIONS.lookup(value) if isinstance(value, str) else None
        return (cls.kind, {}) if cls is not None else None
    for cls in ACTIVATIONS.entries.values():
        if cls.keras_layer and cls.keras_layer == class_name:
            return cls.kind, {ours: config[theirs] for theirs, ours in cls.keras_layer_args.items()
                              if theirs in config}
    return None


ActivationRef = ACTIVATIONS.ref
OptionalActivation = ACTIVATIONS.optional
