"""Seeded splits into train / validation / test indices: random, stratified or in time order."""
from __future__ import annotations

PARTS = ("train", "validation", "test")


def split_indices(n: int, fractions: dict, seed: int, labels=None, shuffle=True) -> dict:
    """fractions: {"validation": f, "test": f} -> {"train": idx, "validation": idx, "test": idx}.

    With `labels`, each class is split separately (stratified) so every part keeps
    the class proportions. With shuffle=False the split is chronological: the
    first examples train, the next validate, the last test; nothing crosses a
    split point. Parts never overlap and together cover all n examples.
    """
    import numpy as np
    if not shuffle:
        n_test = int(round(n * fractions.get("test", 0.0)))
        n_val = int(round(n * fractions.get("validation", 0.0)))
        cut1, cut2 = n - n_test - n_val, n - n_test
        idx = np.arange(n)
        return {"train": idx[:cut1], "validation": idx[cut1:cut2], "test": idx[cut2:]}
    rng = np.random.default_rng(seed)
    groups = [np.arange(n)] if labels is None else [np.flatnonzero(labels == c)
                                                    for c in np.unique(labels)]
    parts = {part: [] for part in PARTS}
    for idx in groups:
        idx = rng.permutation(idx)
        start = 0
        for part in ("test", "validation"):
            count = int(round(len(idx) * fractions.get(part, 0.0)))
            parts[part].append(idx[start:start + count])
            start += count
        parts["train"].append(idx[start:])
    return {part: rng.permutation(np.concatenate(chunks)) for part, chunks in parts.items()}
