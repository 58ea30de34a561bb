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
    if y is None:
        return
    losses = output_losses(spec.train, loss)
    nodes = {n.name: n for n in plan.output_nodes()}
    if isinstance(y, dict):  # several outputs: each against its own target
        for name, out_loss in losses.items():
            labels = np.concatenate([v[1][name].reshape(len(v[1][name]), -1)
                                     for v in prepared.splits.values() if v[1] is not None])
            check_target(nodes.get(name), y[name], labels, out_loss, src,
                         ("train", "outputs", name, "loss"), f"the target of {name}")
        return
    if len(nodes) != 1:
        return
    labels = np.concatenate([v[1].reshape(len(v[1]), -1) for v in prepared.splits.values()
                             if v[1] is not None])
    check_target(next(iter(nodes.values())), y, labels, losses[None], src, ("train", "loss"),
                 "")


def output_losses(train, loss=None) -> dict:
    """output name -> its loss (train.outputs), or {None: the one loss}."""
    outputs = getattr(train, "outputs", None)
    if outputs:
        return {name: o.loss for name, o in outputs.items()}
    return {None: loss if loss is not None else train.loss}


def check_target(node, y, labels, loss, src, loss_path, what):
    """One output against its target's values: class ids in range, shapes that match."""
    if node is None or node.shape is None:
        return
    width = node.shape[-1]
    where = node.path + (("units",) if hasattr(node.layer, "units") else ())
    task = getattr(loss, "task", None)
    of = f" ({what})" if what else ""
    is_ids = y.ndim == 1 and y.dtype.kind in "iu"
    if is_ids and task in ("sparse_multiclass", "binary") and labels.size:
        lo, hi = int(labels.min()), int(labels.max())
        if lo < 0:
            raise DataLoadError(f"{src} has a negative class label{of} ({lo}); class ids "
                                "start at 0", ("data", "source"))
        if task == "sparse_multiclass" and width is not None and hi >= width:
            raise DataLoadError(f"{src} has class labels{of} up to {hi} ({hi + 1} classes) but "
                                f"the {'output' if what else 'last'} layer ({node.name}) outputs {width}; use units: "
                                f"{hi + 1}", where)
        if task == "binary" and hi > 1:
            raise DataLoadError(f"{src} has class labels{of} up to {hi} ({hi + 1} classes) but "
                                f"{loss.kind} is for labels 0 and 1; use "
                                f"sparse_categorical_crossentropy with {hi + 1} softmax units",
                                loss_path)
        return
    per_example = tuple(y.shape[1:])
    if per_example and not (per_example == (1,) and width == 1) and not _matches(node.shape, per_example):
        raise DataLoadError(f"{src} gives targets{of} of shape {_fmt(per_example)} per example "
                            f"but the model outputs {_fmt(node.shape)} ({'output' if what else 'last'} layer "
                            f"{node.name})",
                            node.path)
