"""Seeded, optionally stratified splits into train / validation / test indices."""
from __future__ import annotations

import numpy as np


def split_indices(n: int, fractions: dict, seed: int, labels=None, shuffle=True) -> dict:
    """fractions: {"validation": f, "test": f} -> {"train": idx, "validation": idx, "test": idx}.

    With `labels`, each class is split separately (stratified) so every part keeps
    the class proportions. Parts never overlap and together cover all n examples.
    """
    rng = np.random.default_rng(seed)
    groups = [np.arange(n)] if labels is None else [np.flatnonzero(labels == c)
                                                    for c in np.unique(labels)]
    parts = {"train": [], "validation": [], "test": []}
    for idx in groups:
        if shuffle:
            idx = rng.permutation(idx)
        start = 0
        for part in ("test", "validation"):
            count = int(round(len(idx) * fractions.get(part, 0.0)))
            parts[part].append(idx[start:start + count])
            start += count
        parts["train"].append(idx[start:])
    out = {}
    for part, chunks in parts.items():
        joined = np.concatenate(chunks) if chunks else np.array([], dtype=int)
        out[part] = rng.permutation(joined) if shuffle else np.sort(joined)
    return out
