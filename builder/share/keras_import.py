"""`kspec import MODEL.keras`: a saved Keras model made of catalog layers -> a spec.

Each Keras layer is matched to the catalog entry that builds the same Keras class;
its config is read back into the entry's parameters, and the entry is then built
again and compared with the original config, so anything kspec cannot express
(an argument it has no field for, a shared layer, a nested model) is reported
instead of silently dropped. The graph becomes `inputs:` only where a layer does
not simply take the layer above.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..catalog.layers import LAYERS
from ..catalog.layers.base import Layer
from ..core.keras_env import keras
from ..spec.paths import alternatives, catalog_of, field_annotation
from ..core.problems import Problem, SpecError
from .canonical import short_data
from .keras_code import IGNORED, _short_float, _signature, same_config

class ImportProblem(SpecError):
    """The model has something a spec cannot say; one problem per layer."""


def _fail(message: str, layer=None):
    where = f"layer '{layer.name}' ({type(layer).__name__}): " if layer is not None else ""
    return ImportProblem.single(where + message)


def load_keras_model(path: Path):
    from ..run.model_file import ModelRefused, load_model_file
    if not Path(path).exists() and not Path(path).is_symlink():
        raise SpecError.single(f"no such model file: {path}")
    try:
        return load_model_file(path)
    except ModelRefused as exc:  # one line: what safe mode refused and why
        raise SpecError.single(str(exc)) from None


# ---- values: Keras config -> spec ---------------------------------------------------------

def _plain(value):
    """Tuples (Keras' form) -> lists (YAML's); a float32 read back -> its short form."""
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return float(_short_float(value))
    return value


def _catalog_value(catalog, value):
    """A Keras config value (a name or a serialized object) as a catalog entry."""
    if value is None:
        return None
    if isinstance(value, str):  # by kspec's own name for it ("mse" -> mean_squared_error)
        return catalog.lookup(value).kind if catalog.lookup(value) is not None \
            else _unknown(catalog, value)
    if isinstance(value, dict) and value.get("class_name") == "function":
        name = str(value.get("config", "")).split(">")[-1]
        return name if catalog.lookup(name) is not None else _unknown(catalog, name)
    if isinstance(value, dict) and "class_name" in value:
        for kind, cls in catalog.entries.items():
            if getattr(cls, "keras_class", None) == value["class_name"]:
                config = value.get("config") or {}
                params = {f: _plain(config[f]) for f in cls.model_fields if f in config}
                entry = cls.model_validate(params)
                return entry.to_data()
        return _unknown(catalog, value["class_name"])
    return value


def _unknown(catalog, name):
    raise _unknown_problem(catalog, name)


def _unknown_problem(catalog, name) -> ImportProblem:
    return ImportProblem.single(f"'{name}' is not a {catalog.what} kspec knows "
                                f"(kspec catalog {catalog.what}s)")


def entry_params(cls, config: dict) -> dict:
    """Read the fields of catalog entry `cls` from a Keras config."""
    # the Keras argument of each field: renamed in keras_names, or the field's name
    # without the trailing _ that keeps it clear of pydantic's own (output_shape_)
    names = {cls.keras_names.get(f, f.rstrip("_")): f for f in cls.model_fields}
    params = {}
    for key, value in config.items():
        field = names.get(key)
        if field is None or field in Layer.COMMON:
            continue
        ann = field_annotation(cls, field)
        catalog = catalog_of(ann)
        value = _catalog_value(catalog, value) if catalog is not None else _plain(value)
        if isinstance(value, list) and value and all(v == value[0] for v in value) \
                and type(value[0]) is int and int in alternatives(ann):
            value = value[0]  # (3, 3) -> 3 where the field takes one int for every axis
        alias = cls.model_fields[field].alias
        params[alias or field] = value
    return params


# ---- one layer --------------------------------------------------------------------------

class _Importer:
    """What a layer class's `from_keras` may ask of the importer."""

    params = staticmethod(lambda cls, config: entry_params(cls, config))
    entry = staticmethod(lambda layer: layer_entry(layer))
    unknown = staticmethod(lambda catalog, name: _unknown_problem(catalog, name))


def layer_entry(layer) -> tuple[str, dict]:
    """(kind, params) of the catalog entry that builds this Keras layer: the catalog
    class that names the Keras class (Layer.keras_sources) reads it back itself."""
    cls_name = type(layer).__name__
    for cls in LAYERS.entries.values():
        if cls_name in cls.keras_sources():
            return cls.from_keras(layer, layer.get_config(), _Importer)
    raise _fail("kspec has no layer that builds this Keras class "
                "(kspec catalog layers lists them)", layer)


def _input_shapes(layer) -> list | None:
    nodes = [n for n in getattr(layer, "_inbound_nodes", []) if n.operation is layer]
    return [tuple(t.shape) for t in nodes[0].input_tensors] if len(nodes) == 1 else None


def _check_same(layer, entry) -> None:
    """Build the entry again, on inputs of the same shapes (some configs record what
    building decided); any argument that comes out different is not expressible."""
    k = keras()
    made = entry.make(layer.name)[0]
    shapes = _input_shapes(layer)
    if shapes:
        try:
            entry.call(made, [k.Input(batch_shape=s) for s in shapes])
        except Exception:  # noqa: BLE001 - then the unbuilt configs are compared
            made = entry.make(layer.name)[0]
    if k.saving.get_registered_name(type(made)) != k.saving.get_registered_name(type(layer)):
        raise _fail(f"kspec would build a {type(made).__name__} instead", layer)
    mine, theirs = made.get_config(), layer.get_config()
    params = _signature(type(layer))
    lost = [key for key in theirs if key in params and key not in IGNORED
            and not same_config(mine.get(key), theirs[key])]
    if lost:
        shown = ", ".join(f"{key}={theirs[key]!r}" for key in lost)
        raise _fail(f"kspec cannot express {shown}", layer)


def minimal(kind: str, params: dict, layer) -> dict:
    """The parameters, less every one whose removal builds the same Keras layer: what a
    student would write (no `activation: linear`, no strides equal to pool_size...)."""
    def same(trial) -> bool:
        try:
            _check_same(layer, LAYERS.parse({kind: trial} if trial else kind))
        except Exception:  # noqa: BLE001 - needed (required, or it changes the layer)
            return False
        return True

    _check_same(layer, LAYERS.parse({kind: params} if params else kind))
    for key in list(params):
        trial = {k: v for k, v in params.items() if k != key}
        if same(trial):
            params = trial
    inner = params.get("layer")  # a wrapped layer (bidirectional): its parameters too
    if isinstance(inner, dict) and len(inner) == 1:
        (ikind, iparams), = inner.items()
        for key in list(iparams):
            trial = {k: v for k, v in iparams.items() if k != key}
            if same({**params, "layer": {ikind: trial} if trial else ikind}):
                iparams = trial
        params = {**params, "layer": {ikind: iparams} if iparams else ikind}
    return params


# ---- the graph --------------------------------------------------------------------------

def _sources(layer) -> tuple[list[str], dict]:
    nodes = [n for n in layer._inbound_nodes if n.operation is layer]
    if len(nodes) != 1:
        raise _fail("the layer is used more than once (shared weights); a spec gives each "
                    "layer one place in the graph", layer)
    node = nodes[0]
    k = keras()
    names = []
    for t in node.input_tensors:
        op = t._keras_history.operation
        if not isinstance(op, k.layers.Layer):
            if type(op).__name__ == "ZerosLike":
                continue  # an LSTM given h only: kspec starts its cell state at zero too
            raise _fail(f"an input comes from the Keras operation {type(op).__name__}, not "
                        "from a layer; a spec connects layers only", layer)
        names.append(op.name)
    if type(layer).__name__ in ("SimpleRNN", "LSTM", "GRU"):
        # the states of one RNN (return_state) are one input in a spec
        names = [n for i, n in enumerate(names) if i < 2 or n != names[i - 1]]
    kwargs = getattr(node.arguments, "kwargs", {}) or {}
    return names, kwargs


def model_section(model) -> dict:
    """The `model:` section that builds `model` again."""
    k = keras()
    if isinstance(model, k.Sequential):
        graph = _sequential(model)
    else:
        graph = _functional(model)
    inputs, layers, outputs = graph
    single = len(inputs) == 1
    rename = {next(iter(inputs)): "input"} if single else {}
    entries = []
    for index, (layer, srcs, kwargs) in enumerate(layers):
        try:
            data = _layer_data(layer, kwargs)
        except SpecError as exc:  # say which layer of the model, as a spec path
            raise ImportProblem([Problem(("model", "layers", index), p.message)
                                 for p in exc.problems]) from None
        entries.append([data, layer.name, [rename.get(s, s) for s in srcs]])
    outs = [rename.get(o, o) for o in outputs]
    _fold_activations(entries, outs)
    return _write_graph(entries, inputs, outs, rename)


def _layer_data(layer, kwargs) -> dict:
    if isinstance(layer, keras().Model):
        raise _fail("a model inside the model is not a catalog layer; a spec lists "
                    "layers only", layer)
    kind, params = layer_entry(layer)
    params = minimal(kind, params, layer)
    if type(layer).__name__ == "MultiHeadAttention" and kwargs.get("use_causal_mask"):
        params["causal"] = True
    return _entry_dict(short_data(LAYERS.parse({kind: params} if params else kind)))


def _sequential(model):
    if not model.inputs:
        raise SpecError.single("the Sequential model was never built, so its input shape is "
                               "unknown; build or call it once before saving")
    shape = tuple(model.inputs[0].shape)[1:]
    layers, prev = [], "input"
    for layer in model.layers:
        layers.append((layer, [prev], {}))
        prev = layer.name
    return {"input": shape}, layers, [prev]


def _functional(model):
    inputs = {t._keras_history.operation.name: tuple(t.shape)[1:] for t in model.inputs}
    layers = []
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        srcs, kwargs = _sources(layer)
        layers.append((layer, srcs, kwargs))
    outputs = [t._keras_history.operation.name for t in model.outputs]
    return inputs, layers, outputs


def _entry_dict(data):
    """{kind: params-mapping} (a bare name or a positional value opened up), so that
    names and inputs can be added; `_write_graph` shortens it again."""
    if isinstance(data, str):
        return {data: {}}
    kind, params = next(iter(data.items()))
    if not isinstance(params, dict):
        params = {LAYERS.lookup(kind).positional: params}
    return {kind: params}


def _fold_activations(entries, outputs):
    """`dense` + a `dense_leaky_relu` layer made for it -> `dense: {activation: leaky_relu}`,
    the way kspec writes an activation with parameters."""
    from ..catalog.activations import ACTIVATIONS
    used = {}
    for _, _, srcs in entries:
        for s in srcs:
            used[s] = used.get(s, 0) + 1
    i = 0
    while i + 1 < len(entries):
        (data, name, _), (act, act_name, act_srcs) = entries[i], entries[i + 1]
        kind = next(iter(data)) if isinstance(data, dict) else data
        act_kind = next(iter(act)) if isinstance(act, dict) else act
        cls = LAYERS.lookup(kind)
        params = data.get(kind, {}) if isinstance(data, dict) else {}
        if (act_name == f"{name}_{act_kind}" and act_srcs == [name] and used.get(name) == 1
                and name not in outputs and ACTIVATIONS.lookup(act_kind) is not None
                and "activation" in cls.model_fields and params.get("activation") is None
                and cls.model_fields["activation"].default is None):
            act_params = act.get(act_kind, {}) if isinstance(act, dict) else {}
            act_params = {k: v for k, v in act_params.items() if k != "name"}
            params = {**params, "activation": {act_kind: act_params} if act_params else act_kind}
            entries[i][0] = {kind: params}
            for later in entries[i + 2:]:
                later[2] = [name if s == act_name else s for s in later[2]]
            outputs[:] = [name if o == act_name else o for o in outputs]
            del entries[i + 1]
        i += 1


def _write_graph(entries, inputs, outputs, rename) -> dict:
    """Entries with `name` only where needed and `inputs` only where not the layer above."""
    referenced = set(outputs)
    prev = None
    for _, name, srcs in entries:
        if srcs != [prev if prev is not None else "input"] or len(srcs) != 1:
            referenced.update(srcs)
        prev = name
    referenced -= {"input"}
    declared = set(referenced)
    while True:  # names kspec would give anyway are left out, as a student writes them
        auto = _auto_names(entries, declared | set(rename.values()) | set(inputs))
        wrong = {name for (_, name, _), a in zip(entries, auto) if a != name} - declared
        if not wrong:
            break
        declared |= wrong
    layers, prev = [], "input"
    for data, name, srcs in entries:
        kind = next(iter(data))
        params = dict(data[kind])
        if name in declared:
            params = {"name": name, **params}
        if srcs != [prev]:
            params = {**({"name": params.pop("name")} if "name" in params else {}),
                      "inputs": srcs[0] if len(srcs) == 1 else srcs, **params}
        layers.append(short_data(LAYERS.parse({kind: params} if params else kind)))
        prev = name
    shapes = {rename.get(n, n): [d for d in s] for n, s in inputs.items()}
    section = {"input": next(iter(shapes.values())) if len(shapes) == 1 else shapes,
               "layers": layers}
    last = entries[-1][1] if entries else None
    section["outputs"] = outputs if (len(outputs) != 1 or outputs[0] != last) else [last]
    return section


def _auto_names(entries, declared) -> list[str]:
    """The names kspec's planner gives unnamed layers (graph.Planner._auto_name)."""
    counters, taken, out = {}, set(declared), []
    for data, name, _ in entries:
        kind = next(iter(data)) if isinstance(data, dict) else data
        kind = LAYERS.lookup(kind).kind
        if name in declared:
            out.append(name)
            taken.add(name)
            continue
        while True:
            n = counters.get(kind, 0)
            counters[kind] = n + 1
            auto = kind if n == 0 else f"{kind}_{n}"
            if auto not in taken:
                break
        taken.add(auto)
        out.append(auto)
    return out


# ---- training settings ------------------------------------------------------------------

def train_section(model) -> dict | None:
    """`train:` from the model's compile settings, where it was saved compiled."""
    from ..catalog.losses import LOSSES
    from ..catalog.metrics import METRICS
    from ..catalog.optimizers import OPTIMIZERS
    compiled = model.get_compile_config() if hasattr(model, "get_compile_config") else None
    if not compiled:
        return None
    out = {}
    loss = compiled.get("loss")
    if loss is not None:
        out["loss"] = _catalog_value(LOSSES, loss if not isinstance(loss, str) else loss)
    opt = compiled.get("optimizer")
    if opt is not None:
        out["optimizer"] = _catalog_value(OPTIMIZERS, opt)
    metrics = compiled.get("metrics") or []
    names = []
    for m in metrics if isinstance(metrics, list) else [metrics]:
        if isinstance(m, str):
            names.append(m)
        elif isinstance(m, dict):
            name = (m.get("config") or {}).get("name")
            if name and METRICS.lookup(name) is not None:
                names.append(name)
    if names:
        out["metrics"] = names
    return out


def extends_ref(base: str, out: Path | None) -> str:
    """`--extends` as the new spec must write it: a bundled name, or a path from the
    folder the spec is written to."""
    import os

    from ..spec.library import bundled
    if base in bundled():
        return base
    if not Path(base).is_file():
        from ..core.base import did_you_mean
        raise SpecError.single(f"--extends: no spec file {base} and no bundled spec of that "
                               f"name.{did_you_mean(base, bundled(), ' ')}")
    folder = Path(out).resolve().parent if out is not None else Path.cwd()
    return Path(os.path.relpath(Path(base).resolve(), folder)).as_posix()


def import_spec(path: Path, extends: str | None = None,
                out: Path | None = None) -> tuple[dict, list[str]]:
    """(spec data, notes) for a saved Keras model; `out` is where the spec will be written."""
    if extends:
        extends = extends_ref(extends, out)
    model = load_keras_model(path)
    section = model_section(model)
    notes = []
    train = None
    try:
        train = train_section(model)
    except ImportProblem as exc:
        notes.append(f"training settings left out: {exc.problems[0].message}")
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", model.name) or "imported"
    if not re.match(r"[A-Za-z0-9]", name):
        name = "imported_" + name
    data: dict = {"kspec": 1}
    if extends:
        data["extends"] = extends
    data["name"] = name
    data["description"] = f"imported from {Path(path).name}"
    data["model"] = section
    if train:
        data["train"] = train
    elif not extends:
        notes.append("the model was saved without compile settings: add train.loss")
    if not extends:
        notes.append("the spec has no data: section: validate, summary, explain, plot model, "
                     "export, diff and codegen work on it as it is; to train it, add a data: "
                     "section, or import with --extends SPEC to take data (and training) from "
                     "another spec")
    return data, notes
