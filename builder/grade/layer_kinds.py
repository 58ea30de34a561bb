"""Layer names a rubric may use in `graph.count` and `graph.pattern`: any layer of
the catalog (aliases allowed) or a family of them, e.g. `pooling` for every pooling
layer, so a rubric can say "at least one pooling" without listing six names. Each
layer class names its own families (`Layer.families`); this module only asks."""
from __future__ import annotations

from ..catalog.layers import LAYERS
from ..core.base import did_you_mean


def families() -> list[str]:
    """Every family some catalog layer belongs to, in catalog order."""
    out: dict[str, None] = {}
    for cls in LAYERS.entries.values():
        out.update(dict.fromkeys(sorted(cls.families)))
    return list(out)


def canonical(name: str) -> str | None:
    """A rubric's layer word -> the family or catalog name, or None if unknown. A family
    wins over a layer of the same name: `normalization` means every normalization layer."""
    word = str(name).strip().lower()
    if word in families():
        return word
    cls = LAYERS.lookup(word)
    return cls.kind if cls is not None else None


def unknown_message(name: str) -> str:
    groups = families()
    hint = did_you_mean(name, groups + LAYERS.names() + list(LAYERS.aliases))
    return (f"unknown layer or group '{name}'{hint}" if hint else
            f"unknown layer or group '{name}'; groups: {', '.join(groups)} "
            "(layers: kspec catalog layers)")


def matches(word: str, kind: str) -> bool:
    """Does a layer of catalog kind `kind` count as the rubric's `word` (canonical)?"""
    if word in families():
        cls = LAYERS.lookup(kind)
        return cls is not None and word in cls.families
    return word == kind
