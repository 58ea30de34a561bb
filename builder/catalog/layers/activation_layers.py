"""Every activation name also stands as a layer: `- relu`, `- leaky_relu: {alpha: 0.1}`."""
from __future__ import annotations

from ..activations import ACTIVATIONS
from .base import LAYERS, Layer


def _make(self, name):
    return [self.layer(name)]


for _kind, _act in list(ACTIVATIONS.entries.items()):
    if LAYERS.lookup(_kind) is not None:
        continue
    _cls = type(f"Layer_{_act.__name__}", (_act, Layer),
                {"make": _make, "__module__": __name__,
                 "doc": _act.doc or f"applies the {_kind} activation"})
    LAYERS.add(_kind, _cls)
for _alias, _target in ACTIVATIONS.aliases.items():
    if LAYERS.lookup(_alias) is None:
        LAYERS.aliases[_alias] = _target
