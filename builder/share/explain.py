"""`kspec explain`: how each layer's output shape and parameter count arise, with
the numbers filled in, the way the lectures count them:

    dense_1: (4 inputs + 1 bias) x 3 units = 15
    conv2d: (5 x 5 x 1 + 1) x 6 = 156; 28 - 5 + 1 = 24

The arithmetic is worked out from the plan (pure Python): each layer class gives
its own formula (Layer.explain_params). Every count is then checked against the
Keras model, which stays the ground truth: a disagreement is printed, not hidden.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..catalog.layers import conv, core, merge, recurrent
from ..catalog.layers.base import as_tuple, fmt
from ..core.base import plural


@dataclass
class Line:
    name: str
    kind: str
    inputs: list
    shape: tuple | None
    shape_text: str
    params_text: str
    params: int | None  # kspec's count; None where it has no formula
    note: str = ""


def _x(*parts) -> str:
    return " x ".join(str(p) for p in parts)


# ---- shapes --------------------------------------------------------------------------

def _window(n, k, s, padding, d=1, what="kernel"):
    """How one axis of a sliding window (convolution, pooling) comes out."""
    if n is None:
        return "unknown length"
    span = d * (k - 1) + 1
    if padding in ("same", "causal"):
        out = math.ceil(n / s)
        return (f"padding {padding} keeps {n}" if s == 1
                else f"ceil({n} / {s}) = {out} (padding {padding})")
    out = (n - span) // s + 1
    size = str(k) if d == 1 else f"({d} x ({k} - 1) + 1)"
    if s == 1:
        return f"{n} - {size} + 1 = {out}"
    return f"floor(({n} - {size}) / {s}) + 1 = {out}"


def _per_axis(texts, names=("height", "width")) -> str:
    if len(set(texts)) == 1:
        return texts[0] + (" per side" if len(texts) == 2 else "")
    return "; ".join(f"{a}: {t}" for a, t in zip(names, texts))


def _conv_shape(layer, shape) -> str:
    rank = len(shape) - 1
    k, s = as_tuple(layer.kernel_size, rank), as_tuple(layer.strides, rank)
    d = as_tuple(layer.dilation_rate, rank)
    if isinstance(layer, conv.Conv2DTranspose):
        texts = []
        for n, ki, si in zip(shape[:-1], k, s):
            span = d[0] * (ki - 1) + 1
            texts.append(f"{n} x {si} = {n * si} (padding same)" if layer.padding == "same"
                         else f"({n} - 1) x {si} + {span} = {(n - 1) * si + span}")
    else:
        texts = [_window(n, ki, si, layer.padding, di)
                 for n, ki, si, di in zip(shape[:-1], k, s, d)]
    names = ("height", "width") if rank == 2 else ("steps",)
    return f"{_per_axis(texts, names)}; {layer.filters} {plural(layer.filters, 'filter')} {'makes' if layer.filters == 1 else 'make'} {layer.filters} {plural(layer.filters, 'channel')}"


def _pool_shape(layer, shape) -> str:
    rank = len(shape) - 1
    p = as_tuple(layer.pool_size, rank)
    s = as_tuple(layer.strides if layer.strides is not None else layer.pool_size, rank)
    texts = [_window(n, pi, si, layer.padding) for n, pi, si in zip(shape[:-1], p, s)]
    names = ("height", "width") if rank == 2 else ("steps",)
    return f"{_per_axis(texts, names)}; channels stay {shape[-1]}"


def shape_text(layer, shapes, out) -> str:
    shape = shapes[0] if shapes else None
    if shape is None or out is None:
        return ""
    if isinstance(layer, (conv.Conv, conv.SeparableConv2D)):
        return _conv_shape(layer, shape)
    if isinstance(layer, conv.Pool):
        return _pool_shape(layer, shape)
    if isinstance(layer, conv.GlobalPool):
        return f"one value per channel over {_x(*shape[:-1])} positions -> {shape[-1]}"
    if isinstance(layer, core.Flatten):
        return f"{_x(*shape)} = {out[0]}" if None not in shape else "unknown size"
    if isinstance(layer, (core.Dense, core.Maxout)):
        return f"{layer.units} {plural(layer.units, 'unit')}" + (f" at each of {shape[0]} steps" if len(shape) == 2 else "")
    if isinstance(layer, core.Reshape):
        return f"the same {math.prod(shape):,} values, rearranged" if None not in shape else ""
    if isinstance(layer, (conv.UpSampling1D, conv.UpSampling2D)):
        return "; ".join(f"{a} x {c // a} = {c}" for a, c in zip(shape[:-1], out[:-1]) if a)
    if isinstance(layer, conv.ZeroPadding2D):
        (t, b), (le, r) = conv._pairs(layer.padding)
        return f"height {shape[0]} + {t} + {b} = {out[0]}; width {shape[1]} + {le} + {r} = {out[1]}"
    if isinstance(layer, conv.Cropping2D):
        (t, b), (le, r) = conv._pairs(layer.cropping)
        return f"height {shape[0]} - {t} - {b} = {out[0]}; width {shape[1]} - {le} - {r} = {out[1]}"
    if isinstance(layer, merge.Concatenate):
        axis = layer.axis - 1 if layer.axis >= 0 else len(shape) + layer.axis
        return " + ".join(str(s[axis]) for s in shapes) + f" = {out[axis]}"
    if isinstance(layer, recurrent.Recurrent):
        return (f"{layer.units} units at each of {shape[0]} steps" if layer.return_sequences
                else f"the last step's {layer.units} {plural(layer.units, 'unit')}")
    if isinstance(layer, recurrent.Bidirectional):
        inner = layer.layer.units
        return (f"forward {inner} + backward {inner} = {2 * inner}" if layer.merge_mode == "concat"
                else f"forward and backward {inner} merged by {layer.merge_mode}")
    if isinstance(layer, core.Embedding):
        return f"each of {shape[0]} ids becomes {layer.output_dim} numbers"
    if isinstance(layer, recurrent.MultiHeadAttention):
        return f"each of {out[0]} query steps gets {out[-1]} numbers"
    if isinstance(layer, core.RepeatVector):
        return f"the vector repeated {layer.n} times"
    if tuple(out) == tuple(shape):
        return "same shape"
    return ""


# ---- parameters ----------------------------------------------------------------------

def params(layer, shapes) -> tuple[str, int, str]:
    """(formula, count, note) for one layer given its input shapes: each layer class
    knows its own formula (Layer.explain_params)."""
    return layer.explain_params(shapes)


# ---- the whole model ------------------------------------------------------------------

def explain_plan(plan, model=None) -> list[Line]:
    """One Line per node (`model` is accepted for callers that have it; the counts are
    kspec's own, and explain_text checks them against Keras)."""
    out = []
    for node in plan.nodes:
        shapes = [plan.shapes.get(i) for i in node.inputs]
        if any(s is None for s in shapes):
            out.append(Line(node.name, node.layer.kind, node.inputs, node.shape, "", "", None))
            continue
        text, count, note = params(node.layer, shapes)
        out.append(Line(node.name, node.layer.kind, node.inputs, node.shape,
                        shape_text(node.layer, shapes, node.shape), text, count, note))
    return out


def keras_counts(model, plan) -> dict:
    """node name -> parameters Keras counts for it (its layer and a trailing activation)."""
    counts = {}
    for node in plan.nodes:
        try:
            layer = model.get_layer(node.name)
        except ValueError:
            continue
        counts[node.name] = int(layer.count_params())
    return counts


def explain_text(loaded) -> str:
    from ..build.model import build_models
    spec = loaded.spec
    blocks = [f"{spec.name}: how each layer's shape and parameter count arise"]
    for role, (model, plan) in build_models(loaded).items():
        keras = keras_counts(model, plan)
        lines = explain_plan(plan, model)
        head = "" if role == "model" else f"{role}: "
        ins = ", ".join(fmt(s) if n == "input" else f"{n} {fmt(s)}" for n, s in plan.inputs.items())
        blocks.append(f"\n{head}input {ins}")
        total = []
        for ln in lines:
            got = keras.get(ln.name)
            kind = "" if ln.name.startswith(ln.kind) else f" ({ln.kind})"
            blocks.append(f"  {ln.name}{kind}: "
                          f"{' + '.join(fmt(plan.shapes[i]) for i in ln.inputs)} -> "
                          f"{fmt(ln.shape) if ln.shape is not None else '?'}")
            if ln.shape_text:
                blocks.append(f"      shape:  {ln.shape_text}")
            if ln.params is not None and got is not None and ln.params != got:
                blocks.append(f"      params: {ln.params_text} = {ln.params:,}, but Keras counts "
                              f"{got:,} (kspec's formula is wrong here; please report it)")
            elif ln.params_text:
                note = f" ({ln.note})" if ln.note else ""
                blocks.append(f"      params: {ln.params_text} = {ln.params:,}{note}")
            elif ln.params is None and got:
                blocks.append(f"      params: {got:,} (as Keras counts them)")
            total.append(got if got is not None else (ln.params or 0))
        n = int(model.count_params())
        trainable = sum(int(math.prod(w.shape)) for w in model.trainable_weights)
        counted = [t for t in total if t]
        sums = " + ".join(f"{t:,}" for t in counted) if 1 < len(counted) <= 12 else ""
        blocks.append(f"  total: {sums + ' = ' if sums else ''}{n:,} parameters "
                      f"({trainable:,} trained), as Keras counts them")
    return "\n".join(blocks) + "\n"
