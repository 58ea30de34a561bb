"""Every activation name also stands as a layer: `- relu`, `- leaky_relu: {alpha: 0.1}`."""
from __future__ import annotations

from ..activations import ACTIVATIONS, activation_from_keras
from .base import LAYERS, Layer


def _make(self, name):
    return [self.layer(name)]


@classmethod
def _from_keras(cls, layer, config, importer):
    found = activation_from_keras(type(layer).__name__, config)
    if found is None:
        raise importer.unknown(ACTIVATIONS, config.get("activation", type(layer).__name__))
    return found


# a case per activation for the catalog suite; those with parameters set one
EXAMPLES = {"leaky_relu": {"alpha": 0.1}, "elu": {"alpha": 0.5}, "softmax": {"axis": 1},
            "relu": {"max_value": 6.0}}

for _kind, _act in list(ACTIVATIONS.entries.items()):
    if LAYERS.has(_kind):
        continue
    _cls = type(f"Layer_{_act.__name__}", (_act, Layer),
                {"make": _make, "__module__": __name__,
                 "doc": _act.doc or f"applies the {_kind} activation",
                 "example": [{"params": {}, "input": [5]}]
                 + ([{"params": EXAMPLES[_kind], "input": [5]}] if _kind in EXAMPLES else []),
                 # a plain one is an Activation layer (ActivationLayer reads it back)
                 "imports_from": (_act.keras_layer,) if _act.keras_layer else (),
                 "from_keras": _from_keras})
    LAYERS.add(_kind, _cls)
for _alias, _target in ACTIVATIONS.aliases.items():
    if not LAYERS.has(_alias):
        LAYERS.alias(_alias, _target)
