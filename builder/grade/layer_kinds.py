"""Layer names a rubric may use in `graph.count` and `graph.pattern`: any layer of
the catalog (aliases allowed) or a group of them, e.g. `pooling` for every pooling
layer, so a rubric can say "at least one pooling" without listing six names."""
from __future__ import annotations

from ..catalog.layers import LAYERS
from ..core.base import did_you_mean

GROUPS = {
    "conv": lambda k: k.startswith(("conv", "separable_conv")),
    "pooling": lambda k: "pooling" in k,
    "dropout": lambda k: "dropout" in k,
    "normalization": lambda k: "normalization" in k,
    "regularization": lambda k: "dropout" in k or "normalization" in k or k == "gaussian_noise",
    "recurrent": lambda k: k in ("simple_rnn", "lstm", "gru", "bidirectional"),
    "merge": lambda k: k in ("add", "subtract", "multiply", "average", "maximum", "minimum",
                             "concatenate"),
    "augmentation": lambda k: k.startswith("random_"),
}


def canonical(name: str) -> str | None:
    """A rubric's layer word -> the catalog name or group name, or None if unknown."""
    word = str(name).strip().lower()
    if word in GROUPS:
        return word
    cls = LAYERS.lookup(word)
    return cls.kind if cls is not None else None


def unknown_message(name: str) -> str:
    hint = did_you_mean(name, list(GROUPS) + LAYERS.names() + list(LAYERS.aliases))
    return (f"unknown layer or group '{name}'{hint}" if hint else
            f"unknown layer or group '{name}'; groups: {', '.join(GROUPS)} "
            "(layers: kspec catalog layers)")


def matches(word: str, kind: str) -> bool:
    """Does a layer of catalog kind `kind` count as the rubric's `word` (canonical)?"""
    group = GROUPS.get(word)
    return group(kind) if group else word == kind
