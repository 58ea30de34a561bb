"""`kspec explain`: how each layer's output shape and parameter count arise, with
the numbers filled in, the way the lectures count them:

    dense_1: (4 inputs + 1 bias) x 3 units = 15
    conv2d: (5 x 5 x 1 + 1) x 6 = 156; 28 - 5 + 1 = 24

The arithmetic is worked out from the plan (pure Python); every count is then
checked against the Keras model, which stays the ground truth: a layer kspec has
no formula for shows Keras' own count, and a disagreement is printed, not hidden.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..catalog.layers import core, conv, merge, recurrent
from ..catalog.layers.base import as_tuple, fmt


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
    return f"{_per_axis(texts, names)}; {layer.filters} filters make {layer.filters} channels"


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
        return f"{layer.units} units" + (f" at each of {shape[0]} steps" if len(shape) == 2 else "")
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
                else f"the last step's {layer.units} units")
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

def _dense(units, n_in, bias, pieces=1):
    extra = f" x {pieces} pieces" if pieces > 1 else ""
    if bias:
        return (f"({n_in} inputs + 1 bias) x {units} units{extra}", (n_in + 1) * units * pieces)
    return f"{n_in} inputs x {units} units{extra} (no bias)", n_in * units * pieces


def _rnn(layer, n_in):
    u = layer.units
    if isinstance(layer, recurrent.LSTM):
        return (f"4 gates x ({n_in} inputs + {u} recurrent + 1 bias) x {u} units",
                4 * (n_in + u + 1) * u)
    if isinstance(layer, recurrent.GRU):  # Keras' default reset_after: two biases per gate
        return (f"3 gates x ({n_in} inputs + {u} recurrent + 2 biases) x {u} units",
                3 * (n_in + u + 2) * u)
    return f"({n_in} inputs + {u} recurrent + 1 bias) x {u} units", (n_in + u + 1) * u


def params(layer, shapes) -> tuple[str, int | None, str]:
    """(formula, count, note) for one layer given its input shapes; count None: unknown."""
    found = _params(layer, shapes)
    return found if len(found) == 3 else (*found, "")


def _params(layer, shapes):
    shape = shapes[0]
    if isinstance(layer, core.Dense):
        return _dense(layer.units, shape[-1], layer.use_bias)
    if isinstance(layer, core.Maxout):
        return _dense(layer.units, shape[-1], True, layer.pieces)
    if isinstance(layer, conv.SeparableConv2D):
        k, c = as_tuple(layer.kernel_size, 2), shape[-1]
        m, f = layer.depth_multiplier, layer.filters
        n = k[0] * k[1] * c * m + c * m * f + (f if layer.use_bias else 0)
        text = (f"{_x(*k, c, m)} depthwise + {_x(c * m, f)} pointwise"
                + (f" + {f} bias" if layer.use_bias else ""))
        return text, n
    if isinstance(layer, conv.Conv):
        k = as_tuple(layer.kernel_size, len(shape) - 1)
        c, f = shape[-1], layer.filters
        if layer.use_bias:
            return f"({_x(*k, c)} + 1) x {f}", (math.prod(k) * c + 1) * f
        return f"{_x(*k, c, f)} (no bias)", math.prod(k) * c * f
    if isinstance(layer, core.Embedding):
        n = layer.input_dim * layer.output_dim
        return f"{layer.input_dim} ids x {layer.output_dim} numbers", n
    if isinstance(layer, core.BatchNormalization):
        c = shape[layer.axis]
        learned = int(layer.center) + int(layer.scale)
        trained = ", ".join(n for n, on in (("gamma", layer.scale), ("beta", layer.center)) if on)
        return (f"{learned + 2} x {c}", (learned + 2) * c,
                f"{trained + ' trained; ' if trained else ''}moving mean and variance not trained")
    if isinstance(layer, core.LayerNormalization):
        c = shape[layer.axis]
        return f"2 x {c}", 2 * c, "gamma and beta"
    if isinstance(layer, core.Normalization):
        c = shape[layer.axis] if layer.axis is not None else math.prod(shape)
        if not layer.needs_adapt:
            return "0", 0, "mean and variance are given in the spec: constants, not weights"
        return (f"2 x {c} + 1", 2 * c + 1,
                "mean, variance and a count, adapted to the data; none trained")
    if isinstance(layer, recurrent.Recurrent):
        return _rnn(layer, shape[-1])
    if isinstance(layer, recurrent.Bidirectional):
        text, n = _rnn(layer.layer, shape[-1])
        return f"2 directions x {text}", 2 * n
    if isinstance(layer, recurrent.MultiHeadAttention):
        h, kd = layer.num_heads, layer.key_dim
        vd = layer.value_dim or kd
        q_in = shape[-1]
        v_in = shapes[1][-1] if len(shapes) > 1 else q_in
        k_in = shapes[2][-1] if len(shapes) > 2 else v_in
        out = layer.output_shape_ or q_in
        n = (q_in + 1) * h * kd + (k_in + 1) * h * kd + (v_in + 1) * h * vd + (h * vd + 1) * out
        return (f"query ({q_in} + 1) x {h} heads x {kd} + key ({k_in} + 1) x {h} x {kd} "
                f"+ value ({v_in} + 1) x {h} x {vd} + output ({h} x {vd} + 1) x {out}", n)
    shapes_known = layer.weight_shapes(shapes) if hasattr(layer, "weight_shapes") else None
    if shapes_known:
        parts = [f"{k} {_x(*v)}" for k, v in shapes_known.items()]
        return " + ".join(parts), sum(math.prod(v) for v in shapes_known.values())
    if isinstance(layer, _NO_WEIGHTS):
        return "", 0
    return "", None


_NO_WEIGHTS = (conv.Pool, conv.GlobalPool, core.Flatten, core.Reshape, core.Permute,
               core.RepeatVector, core.Dropout, core.SpatialDropout1D, core.SpatialDropout2D,
               core.GaussianNoise, core.Rescaling, core.ActivationLayer, merge.Merge,
               conv.UpSampling1D, conv.UpSampling2D, conv.ZeroPadding2D, conv.Cropping2D)


# ---- the whole model ------------------------------------------------------------------

def explain_plan(plan, model=None) -> list[Line]:
    """One Line per node. With the Keras `model`, a layer kspec has no formula for is
    explained by its variables' shapes, as Keras made them."""
    out = []
    for node in plan.nodes:
        shapes = [plan.shapes.get(i) for i in node.inputs]
        if any(s is None for s in shapes):
            out.append(Line(node.name, node.layer.kind, node.inputs, node.shape, "", "", None))
            continue
        text, count, note = params(node.layer, shapes)
        if count is None and model is not None:
            text, count, note = _from_variables(model, node.name)
        out.append(Line(node.name, node.layer.kind, node.inputs, node.shape,
                        shape_text(node.layer, shapes, node.shape), text, count, note))
    return out


def _from_variables(model, name):
    try:
        layer = model.get_layer(name)
    except ValueError:
        return "", None, ""
    if not layer.weights:
        return "", 0, ""
    parts = [f"{v.path.split('/')[-1]} {_x(*v.shape)}" for v in layer.weights]
    return (" + ".join(parts), sum(math.prod(v.shape) for v in layer.weights),
            "the shapes of the layer's variables")


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
