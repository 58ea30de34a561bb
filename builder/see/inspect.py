"""`kspec inspect`: run a model on one input and show what every layer computes.

The model is a trained run's, or a spec's as built (its seed's initial weights, or
the weights written in the spec: lecture L07's hand-computed forward pass needs no
training). Small layers print their numbers (before and after the activation, so a
student can check each step by hand); feature maps print a table per channel when
small, and with --out every layer's values are written as CSV and NPY, and every
feature map channel as a heatmap PNG.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.base import did_you_mean
from ..data.errors import DataLoadError
from .values import fit_to, read_values, row, table

SHOW_UP_TO = 64  # values printed for a vector layer, and for a whole feature map
MAP_SIDE = 16  # a feature map's channel printed as a table up to 16x16
CHANNELS_SHOWN = 4
WEIGHTS_UP_TO = 100  # values printed per weight variable


@dataclass
class Target:
    """What `inspect` runs: a Keras model, the input it takes and how it was made."""
    model: object
    name: str
    how: str  # "trained run ...", "as built from the spec ..."
    prepare: object  # raw example -> the model's input (one example, no batch axis)
    kinds: dict = field(default_factory=dict)  # layer name -> catalog kind


@dataclass
class LayerValues:
    name: str
    kind: str
    output: np.ndarray  # one example, no batch axis
    before: np.ndarray | None = None  # before the layer's activation, where it has one
    activation: str | None = None
    weights: dict = field(default_factory=dict)  # variable name -> array


def open_target(target: str, overrides=(), role: str | None = None) -> Target:
    path = Path(target)
    if path.is_dir():
        return _open_run(path, role)
    return _open_spec(target, overrides, role)


def _open_run(path: Path, role: str | None) -> Target:
    from ..run.read import open_run, run_folder
    path = run_folder(path)
    roles = sorted(p.stem for p in path.glob("*.keras") if p.stem != "checkpoint")
    if roles and "model" not in roles:  # a generative run: one file per network
        return _open_role(path, roles, role)
    if role not in (None, "model"):
        raise DataLoadError(f"{path} holds one network (model.keras), not several; leave out "
                            f"--role {role}")
    run = open_run(path)
    raw_shape = tuple(run.saved.raw.get("raw_shape") or ())

    def prepare(x):
        if raw_shape:
            x = fit_to(x, raw_shape, "input")
        return np.asarray(run.saved.inputs(x[None]))[0]

    kinds = _kinds_of(run.spec)
    return Target(run.model, run.spec.name, f"the trained model of {path} (its saved "
                  "preprocessing applied to the input)", prepare, kinds)


def _open_role(path: Path, roles: list, role: str | None) -> Target:
    """One network of a multi-network run (a GAN's generator or discriminator, an
    autoencoder's encoder or decoder), loaded from ROLE.keras in safe mode. A network
    that takes the data's examples gets the saved preprocessing; one that takes a code
    or noise (a generator, a decoder) gets the values as given."""
    from ..run.model_file import load_model_file
    from ..run.preprocessing import SavedPreprocessing
    from ..run.read import run_spec
    if role is None:
        raise DataLoadError(f"{path} holds several networks ({', '.join(roles)}); choose one "
                            f"with --role NAME (e.g. --role {roles[0]})")
    if role not in roles:
        raise DataLoadError(f"{path} has no network '{role}'{did_you_mean(role, roles)}; it "
                            f"has {', '.join(roles)}")
    spec = run_spec(path)
    saved = SavedPreprocessing.read(path)
    model = load_model_file(path / f"{role}.keras", root=path)
    shape = model.input_shape
    takes_data = not isinstance(shape, list) and \
        list(shape[1:]) == list(saved.raw.get("input_shape") or [])
    raw_shape = tuple(saved.raw.get("raw_shape") or ())
    name = f"{spec.name} ({role})"
    if takes_data:
        def prepare(x):
            if raw_shape:
                x = fit_to(x, raw_shape, "input")
            return np.asarray(saved.inputs(x[None]))[0]
        how = (f"the trained {role} of {path} (it takes the data's examples: the saved "
               "preprocessing is applied to the input)")
    else:
        def prepare(x):
            return fit_to(x, () if isinstance(shape, list) else shape[1:], "input")
        how = (f"the trained {role} of {path} (it takes a code or noise, not an example: "
               "the input is used as given)")
    return Target(model, name, how, prepare, _kinds_of(spec, role))


def _open_spec(target, overrides, role) -> Target:
    from ..spec.load import load_spec
    return spec_target(load_spec(target, overrides), role)


def spec_target(loaded, role=None) -> Target:
    """A loaded spec's network, built with its seed and its hand-set weights."""
    from ..build.model import build_models
    from ..run.environment import seed_everything
    seed_everything(loaded.spec.seed)
    models = build_models(loaded)
    if role is None:
        role = next(iter(models))
    if role not in models:
        raise DataLoadError(f"{loaded.spec.name} has no network '{role}'"
                            f"{did_you_mean(role, list(models))}; it has {', '.join(models)}")
    model, plan = models[role]
    hand_set = all(n.layer.weights or not _has_weights(plan, n) for n in plan.nodes)
    how = ("as the spec sets its weights (not trained)" if hand_set else
           f"as initialised with seed {loaded.spec.seed} (not trained; give a run folder "
           "to see a trained model)")
    shape = tuple(model.input_shape[1:])
    return Target(model, loaded.spec.name + ("" if role == "model" else f" ({role})"),
                  how, lambda x: fit_to(x, shape, "input"),
                  {n.name: n.layer.kind for n in plan.nodes})


def _has_weights(plan, node) -> bool:
    from ..spec.counts import has_weights
    return has_weights(plan, node)


def _kinds_of(spec, role: str = "model") -> dict:
    from ..core.problems import Report
    from ..spec.check import plan_networks
    plans = plan_networks(spec, Report())
    plan = plans.get(role) or next(iter(plans.values()), None)
    return {n.name: n.layer.kind for n in plan.nodes} if plan else {}


def layer_values(target: Target, x: np.ndarray, only: str | None = None) -> list[LayerValues]:
    """Every layer's output for the one example `x` (already the model's input)."""
    from ..core.keras_env import keras
    k = keras()
    model = target.model
    if len(model.inputs) != 1:
        raise DataLoadError(f"{target.name} takes {len(model.inputs)} inputs; inspect runs "
                            "networks with one input")
    layers = [layer for layer in model.layers if layer.__class__.__name__ != "InputLayer"]
    if only is not None:
        names = [layer.name for layer in layers]
        if only not in names:
            raise DataLoadError(f"{target.name} has no layer '{only}'"
                                f"{did_you_mean(only, names)}; its layers: {', '.join(names)}")
    outputs, wanted = [], []
    for layer in layers:
        out = layer.output[0] if isinstance(layer.output, (list, tuple)) else layer.output
        outputs.append(out)
        act = getattr(layer, "activation", None)
        name = getattr(act, "__name__", None)
        has_act = act is not None and name not in (None, "linear") and \
            not isinstance(layer.input, (list, tuple))
        wanted.append((layer, name if has_act else None))
        if has_act:
            outputs.append(layer.input)
    probe = k.Model(model.inputs, outputs)
    got = probe([np.asarray(x, dtype="float32")[None]], training=False)
    got = [np.asarray(v)[0] for v in (got if isinstance(got, (list, tuple)) else [got])]
    result, i = [], 0
    for layer, act_name in wanted:
        out = got[i]
        i += 1
        before = None
        if act_name:
            inp = got[i]
            i += 1
            before = _before_activation(layer, inp)
        if only is not None and layer.name != only:
            continue
        weights = {v.path.split("/")[-1] if "/" in v.path else v.name: np.asarray(v)
                   for v in layer.weights}
        result.append(LayerValues(layer.name, target.kinds.get(layer.name,
                                                                layer.__class__.__name__),
                                  out, before, act_name, weights))
    return result


def _before_activation(layer, inp):
    """The layer's output with its activation left out (Dense, Conv: z = Wx + b)."""
    from ..core.keras_env import keras
    saved = layer.activation
    try:
        layer.activation = keras().activations.linear
    except AttributeError:  # a read-only activation (an LSTM's belongs to its cell)
        return None
    try:
        return np.asarray(layer(inp[None], training=False))[0]
    except Exception:  # a layer whose call does not read .activation: show the output only
        return None
    finally:
        layer.activation = saved


def shape_text(shape) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ")"


def render(target: Target, x, values: list[LayerValues], show_weights: bool,
           out_dir: Path | None, narrowed: bool = False) -> str:
    """The console text. Feature maps print as tables while they are small (or when
    --layer picked one); bigger ones as their range, the pictures being in --out."""
    def shown(a, indent):
        a = np.asarray(a)
        if a.ndim == 3 and a.size > 4 * SHOW_UP_TO and not narrowed:
            return (f"{a.shape[2]} channels of {a.shape[0]}x{a.shape[1]}: " + summary(a)
                    + " (--layer NAME prints them)")
        return _values_text(a, indent)

    lines = [f"{target.name}: {target.how}",
             _labelled(f"input {shape_text(x.shape)}: ", _values_text(x, ""))]
    for v in values:
        kind = v.kind + (f", {v.activation}" if v.activation and v.activation not in v.kind
                         else "")
        lines.append(f"{v.name} ({kind}) -> {shape_text(v.output.shape)}")
        if v.before is not None and v.before.shape == v.output.shape:
            lines.append(_labelled(f"  before {v.activation}: ", shown(v.before, "  ")))
            lines.append(_labelled(f"  after {v.activation}:  ", shown(v.output, "  ")))
        else:
            text = shown(v.output, "  ")
            lines.append(text[1:] if text.startswith("\n") else "  " + text)
        if show_weights:
            for name, w in v.weights.items():
                lines.append(_labelled(f"  weight {name} {shape_text(w.shape)}: ",
                                       _weights_text(w)))
    if out_dir is not None:
        lines.append(f"wrote values (CSV, NPY) and pictures to {out_dir}")
    elif any(v.output.ndim == 3 for v in values):
        lines.append("add --out DIR for a heatmap of every channel and the values as CSV/NPY")
    return "\n".join(lines)


def _labelled(label: str, text: str) -> str:
    """'label: 1 2 3' on one line, or 'label:' above a table."""
    return label.rstrip() + text if text.startswith("\n") else label + text


def _values_text(a: np.ndarray, indent: str) -> str:
    """Numbers a student can read: a vector in a row, a small map as a table per
    channel, anything bigger as its range."""
    a = np.asarray(a)
    if a.ndim <= 1 and a.size <= SHOW_UP_TO:
        return row(a)
    if a.ndim == 2 and a.shape[0] <= MAP_SIDE and a.shape[1] <= MAP_SIDE:
        return "\n" + table(a, indent=indent or "  ")
    if a.ndim == 3 and a.shape[2] == 1:
        return _values_text(a[..., 0], indent)
    if a.ndim == 3 and a.shape[0] <= MAP_SIDE and a.shape[1] <= MAP_SIDE:
        parts = []
        for c in range(min(a.shape[2], CHANNELS_SHOWN)):
            parts.append(f"{indent}channel {c + 1}:\n" + table(a[..., c], indent=indent + "  "))
        if a.shape[2] > CHANNELS_SHOWN:
            parts.append(f"{indent}({a.shape[2] - CHANNELS_SHOWN} more channels; --out DIR "
                         "writes them all)")
        return "\n" + "\n".join(parts)
    return summary(a)


def summary(a) -> str:
    a = np.asarray(a, dtype="float64")
    return (f"{a.size} values, min {float(a.min()):.4g}, mean {float(a.mean()):.4g}, "
            f"max {float(a.max()):.4g}")


def _weights_text(w: np.ndarray) -> str:
    if w.size > WEIGHTS_UP_TO:
        return summary(w)
    if w.ndim == 4:  # a conv kernel (rows, cols, in, out): one 2-D table per pair
        parts = []
        for i in range(w.shape[2]):
            for o in range(w.shape[3]):
                parts.append(f"    in {i + 1} -> filter {o + 1}:\n" + table(w[:, :, i, o],
                                                                           indent="      "))
        return "\n" + "\n".join(parts)
    return _values_text(w, "    ")


def write_values(out_dir: Path, x, values: list[LayerValues], show_weights: bool):
    """Every layer's values as NPY (exact) and CSV (2-D, one file per channel of a map),
    every map channel as a heatmap PNG, and a map's channels together in a grid."""
    from .pictures import save_map, save_maps
    out_dir.mkdir(parents=True, exist_ok=True)
    items = [("input", np.asarray(x), "gray")] + [(v.name, v.output, "viridis") for v in values]
    for v in values:
        if v.before is not None and v.before.shape == v.output.shape:  # numbers only
            items.append((f"{v.name}_before_{v.activation}", v.before, None))
        if show_weights:
            items += [(f"{v.name}_{n}", w, None) for n, w in v.weights.items()]
    for name, a, cmap in items:
        _save_array(out_dir / name, a)
        if cmap and a.ndim == 3:
            if a.shape[2] > 1:  # all its channels in one grid too: NAME.png
                save_maps([a[..., c] for c in range(a.shape[2])],
                          [f"channel {c + 1}" for c in range(a.shape[2])],
                          out_dir / f"{name}.png", f"{name} ({a.shape[0]}x{a.shape[1]}x{a.shape[2]})",
                          cmap)
            for c in range(a.shape[2]):
                suffix = channel_suffix(c, a.shape[2])
                save_map(a[..., c], out_dir / f"{name}{suffix}.png",
                         f"{name}{' channel ' + str(c + 1) if suffix else ''} "
                         f"({a.shape[0]}x{a.shape[1]})", cmap)
        elif cmap and a.ndim == 2 and name == "input":
            save_map(a, out_dir / f"{name}.png", f"input ({a.shape[0]}x{a.shape[1]})", cmap)


def channel_suffix(c: int, n: int) -> str:
    """'' for a single channel, else _c1.._c9 or _c01.._c16 (files sort in order)."""
    return "" if n == 1 else f"_c{c + 1:0{len(str(n))}d}"


def _save_array(base: Path, a: np.ndarray):
    from ..core.atomic import atomic_path, write_text
    with atomic_path(base.with_suffix(".npy")) as tmp:
        np.save(tmp, a)
    if a.ndim <= 2:
        rows = np.atleast_2d(a)
        write_text(base.with_suffix(".csv"),
                   "\n".join(",".join(f"{v:.6g}" for v in r) for r in rows) + "\n")
    elif a.ndim == 3:
        for c in range(a.shape[2]):
            suffix = channel_suffix(c, a.shape[2])
            write_text(base.with_name(base.name + suffix + ".csv"),
                       "\n".join(",".join(f"{v:.6g}" for v in r) for r in a[..., c]) + "\n")


def inspect(target: str, given: str, layer: str | None = None, show_weights: bool = False,
            out_dir: Path | None = None, overrides=(), role: str | None = None) -> str:
    opened = open_target(target, overrides, role)
    raw, _ = read_values(given, channels=_channels(opened.model))
    x = opened.prepare(raw)
    values = layer_values(opened, x, layer)
    if out_dir is not None:
        write_values(Path(out_dir), x, values, show_weights)
    return render(opened, x, values, show_weights, out_dir, narrowed=layer is not None)


def _channels(model):
    shape = model.input_shape
    if isinstance(shape, list):
        return None
    return shape[-1] if len(shape) == 4 and shape[-1] in (1, 3, 4) else None
