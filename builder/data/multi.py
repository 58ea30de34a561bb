"""Targets of a model with several outputs: a dict output name -> array, one row per example.

A single target stays one array; these helpers let the pipeline (split, stratify,
preprocess, batching) treat both forms alike, so the dict form needs no second pipeline."""
from __future__ import annotations

import numpy as np


def is_multi(y) -> bool:
    return isinstance(y, dict)


def take(y, index):
    """The rows `index` of a target (None, an array, or a dict of arrays)."""
    if y is None:
        return None
    if is_multi(y):
        return {k: v[index] for k, v in y.items()}
    return y[index]


def length(y) -> int:
    return len(next(iter(y.values()))) if is_multi(y) else len(y)


def concat(a, b):
    """Two targets' rows one after the other (a source's train and test parts)."""
    if a is None or b is None:
        return None
    if is_multi(a):
        return {k: np.concatenate([a[k], b[k]]) for k in a}
    return np.concatenate([a, b])


def class_ids(y):
    """The first target that is class ids (one whole number per example), for a stratified
    split; None when there is none."""
    for v in (y.values() if is_multi(y) else [y]):
        if v is not None and v.ndim == 1 and v.dtype.kind in "iu":
            return v
    return None
