"""Data vs model, once the data is loaded: shapes and label ranges.

`kspec validate` checks what it can without loading (builder/spec/check.py);
sources such as CSV files and image folders only reveal their shapes and label
ranges when read, so training checks again here, before the first step, and
names both sides: what the data has and what the model expects.
"""
from __future__ import annotations

import numpy as np

from .errors import DataLoadError


def _fmt(shape) -> str:
    return "[" + ", ".join("None" if d is None else str(d) for d in shape) + "]"


def _matches(want, have) -> bool:
    return len(want) == len(have) and all(w is None or w == h for w, h in zip(want, have))


def source_text(data) -> str:
    entry = data.source.to_data()
    if isinstance(entry, dict):
        (kind, params), = entry.items()
        if isinstance(params, dict):
            shown = params.get("path") or params.get("name") or params.get("type") or params.get("x")
            if not isinstance(shown, (str, int, float)):
                shown = None
            return f"data.source ({kind}: {shown})" if shown is not None else f"data.source ({kind})"
        return f"data.source ({kind}: {params})"
    return f"data.source ({entry})"


def check_fits(prepared, plan, spec, loss=None):
    """Raise DataLoadError (placed at the model field to change) when data and model disagree."""
    if len(plan.inputs) != 1:
        return
    src = source_text(spec.data)
    want = tuple(next(iter(plan.inputs.values())))
    x, y = prepared.splits["train"]
    have = tuple(x.shape[1:])
    if not _matches(want, have):
        size_w = np.prod([d for d in want if d]) if None not in want else None
        fix = (f"add `- reshape: {list(want)}` to data.preprocess"
               if size_w == np.prod(have) else f"set model.input to {list(have)}")
        raise DataLoadError(f"{src} gives examples of shape {_fmt(have)} after preprocessing "
                            f"but model.input is {_fmt(want)}; {fix}", ("model", "input"))
    outputs = plan.output_nodes()
    if y is None or len(outputs) != 1 or outputs[0].shape is None:
        return
    node = outputs[0]
    width = node.shape[-1]
    where = node.path + (("units",) if hasattr(node.layer, "units") else ())
    task = getattr(loss if loss is not None else spec.train.loss, "task", None)
    labels = np.concatenate([v[1].reshape(len(v[1]), -1) for v in prepared.splits.values()
                             if v[1] is not None])
    is_ids = y.ndim == 1 and y.dtype.kind in "iu"
    if is_ids and task in ("sparse_multiclass", "binary") and labels.size:
        lo, hi = int(labels.min()), int(labels.max())
        if lo < 0:
            raise DataLoadError(f"{src} has a negative class label ({lo}); class ids start at 0",
                                ("data", "source"))
        if task == "sparse_multiclass" and width is not None and hi >= width:
            raise DataLoadError(f"{src} has class labels up to {hi} ({hi + 1} classes) but the "
                                f"last layer ({node.name}) outputs {width}; use units: {hi + 1}",
                                where)
        if task == "binary" and hi > 1:
            raise DataLoadError(f"{src} has class labels up to {hi} ({hi + 1} classes) but "
                                f"{spec.train.loss.kind} is for labels 0 and 1; use "
                                f"sparse_categorical_crossentropy with {hi + 1} softmax units",
                                ("train", "loss"))
        return
    per_example = tuple(y.shape[1:])
    if per_example and not (per_example == (1,) and width == 1) and not _matches(node.shape, per_example):
        raise DataLoadError(f"{src} gives targets of shape {_fmt(per_example)} per example but "
                            f"the model outputs {_fmt(node.shape)} (last layer {node.name})",
                            node.path)
