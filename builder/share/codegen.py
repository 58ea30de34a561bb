"""`kspec codegen`: a spec as a plain, readable Keras script, for students moving
from YAML to code.

The script defines `build_model()` (a dict role -> model for multi-network specs)
written from the model kspec builds, so layer types, shapes and parameter counts
are the same by construction (a test runs every bundled spec's script and checks).
For supervised specs `main()` compiles and fits it with the spec's optimizer, loss,
metrics, callbacks, epochs and batch size; it runs only under
`if __name__ == "__main__":`, so the script can be imported.

The data is loaded by the script's own code (data_code.py: the source, kspec's seeded
split, each preprocessing step) and fed to `model.fit` through the same tf.data
pipeline as `kspec train`, so the same seed trains to the same numbers (a test compares
the histories). For a source or step data_code.py cannot write yet, `load_data()` asks
kspec for the splits instead and says how to replace it. A model-only spec (no data:
or train:) gets build_model() alone.
"""
from __future__ import annotations

import inspect
import os
import re
import textwrap
from collections import Counter
from pathlib import Path

from .. import __version__
from ..catalog.layers.base import Layer
from ..catalog.layers.recurrent import MultiHeadAttention, Recurrent
from .canonical import fingerprint
from .keras_code import Code, CodegenError, _quote, identifier

WIDTH = 99


def _wrap(line: str, indent: str) -> list[str]:
    """Break a long `target = Class(args)(inputs)` line after the opening bracket."""
    if len(indent + line) <= WIDTH or "(" not in line:
        return [line]
    lead = line[:len(line) - len(line.lstrip())]
    head, rest = line.split("(", 1)
    depth, end = 1, 0
    for i, ch in enumerate(rest):
        depth += {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}.get(ch, 0)
        if depth == 0:
            end = i
            break
    args, tail = rest[:end], rest[end:]
    inner = textwrap.wrap(args, WIDTH - len(indent + lead) - 4, break_long_words=False,
                          break_on_hyphens=False)
    return [head + "("] + [lead + "    " + ln for ln in inner] + [lead + tail]


def _call(node, ctor: str, args: list[str], states: dict) -> str:
    layer = node.layer
    if isinstance(layer, Recurrent) and len(args) > 1:
        # an initial state: another RNN's final states, or vectors (h; an LSTM's c is zero)
        given = node.inputs[1]
        if given in states:
            init = states[given]
        else:
            parts = args[1:]
            if len(parts) < layer.state_count:
                parts = parts + [f"keras.ops.zeros_like({parts[0]})"]
            init = "[" + ", ".join(parts) + "]"
        return f"{ctor}({args[0]}, initial_state={init})"
    if isinstance(layer, Recurrent):
        return f"{ctor}({args[0]})"
    if isinstance(layer, MultiHeadAttention):
        query = args[0]
        value = args[1] if len(args) > 1 else query
        extra = (f", key={args[2]}" if len(args) > 2 else "") + \
            (", use_causal_mask=True" if layer.causal else "")
        return f"{ctor}({query}, {value}{extra})"
    if type(layer).call is not Layer.call:
        raise CodegenError(f"kspec cannot write the call of a {layer.kind} layer yet")
    if layer.max_inputs == 1:
        return f"{ctor}({args[0]})"
    return f"{ctor}([{', '.join(args)}])"


def _shape(shape) -> str:
    inner = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def model_lines(model, plan, name: str, code: Code) -> list[str]:
    """The body of a build function: inputs, one line per layer, the Model."""
    ind = "    "
    uses = Counter(i for node in plan.nodes for i in node.inputs)
    uses.update(plan.outputs)
    taken = {"keras", "layers", "np", "model", "x", "inputs", "ops"}
    var: dict[str, str] = {}
    states: dict[str, str] = {}  # RNN node -> the variable holding its final states
    lines = []
    for n, shape in plan.inputs.items():
        var[n] = "inputs" if len(plan.inputs) == 1 else identifier(n, taken)
        lines.append(f"{var[n]} = keras.Input(shape={_shape(shape)}, name={_quote(n)})")
    for i, node in enumerate(plan.nodes):
        nxt = plan.nodes[i + 1] if i + 1 < len(plan.nodes) else None
        keeps_states = getattr(node.layer, "return_state", False)
        chained = (uses[node.name] == 1 and nxt is not None and node.name in nxt.inputs
                   and node.name not in plan.outputs and not keeps_states)
        target = "x" if chained else identifier(node.name, taken)
        ctor = code.layer(model.get_layer(node.name))
        call = _call(node, ctor, [var[x] for x in node.inputs], states)
        if keeps_states:
            states[node.name] = identifier(f"{target}_states", taken)
            lines.append(f"{target}, *{states[node.name]} = {call}")
        else:
            lines.append(f"{target} = {call}")
        act = node.layer.trailing_activation()
        if act is not None:  # an activation with parameters is a layer of its own
            extra = model.get_layer(f"{node.name}_{act.kind}")
            lines.append(f"{target} = {code.layer(extra)}({target})")
        var[node.name] = target
    ins = [var[n] for n in plan.inputs]
    outs = [var[n] for n in plan.outputs]
    ins_text = ins[0] if len(ins) == 1 else "[" + ", ".join(ins) + "]"
    outs_text = outs[0] if len(outs) == 1 else "[" + ", ".join(outs) + "]"
    lines.append(f"model = keras.Model(inputs={ins_text}, outputs={outs_text}, "
                 f"name={_quote(name)})")
    for node in plan.nodes:
        if not node.layer.trainable:
            lines.append(f"model.get_layer({_quote(node.name)}).trainable = False  # frozen")
    for node in plan.nodes:
        if node.layer.weights:
            lines.append(f"set_weights(model.get_layer({_quote(node.name)}), "
                         f"{code.value(node.layer.weights)})")
    lines.append("return model")
    out = []
    for ln in lines:
        out += [ind + part for part in _wrap(ln, ind)]
    return out


SET_WEIGHTS = '''
def set_weights(layer, values):
    """Hand-set weights by variable name (kernel, bias...), as the spec gives them."""
    variables = {v.path.split("/")[-1]: v for v in layer.weights}
    for name, value in values.items():
        variables[name].assign(np.asarray(value, dtype="float32"))
'''


def custom_sources(code: Code) -> list[str]:
    """Source of kspec's own components the model uses, and of the module-level helpers
    they call, in definition order."""
    chosen: dict = {}

    def add(obj):
        if obj in chosen.values():
            return
        source = inspect.getsource(obj)
        module = inspect.getmodule(obj)
        for name, helper in vars(module).items():
            if (inspect.isfunction(helper) or inspect.isclass(helper)) \
                    and getattr(helper, "__module__", None) == module.__name__ \
                    and helper is not obj and re.search(rf"\b{name}\b", source):
                add(helper)
        chosen[f"{module.__name__}.{obj.__name__}"] = obj

    for obj in code.custom.values():
        add(obj)
    return [inspect.getsource(obj).rstrip() for obj in chosen.values()]


def _custom_source(sources: list[str]) -> str:
    if not sources:
        return ""
    parts = ["", "# kspec's own Keras components used by this model, registered so that a",
             "# saved model loads again (the same definitions as kspec's)",
             'register = keras.saving.register_keras_serializable(package="kspec")', ""]
    for source in sources:
        parts += ["", source, ""]
    return "\n".join(parts) + "\n"


def _spec_ref(loaded, out_path: Path | None) -> str:
    """How the script finds its spec again: a bundled name, or a path from the script."""
    from ..spec.library import bundled
    path = Path(loaded.path).resolve()
    if bundled().get(path.stem, None) is not None and bundled()[path.stem].resolve() == path:
        return _quote(path.stem)
    if out_path is None:
        return _quote(str(path))
    rel = os.path.relpath(path, Path(out_path).resolve().parent)
    return ("os.path.join(os.path.dirname(os.path.abspath(__file__)), "
            f"{_quote(Path(rel).as_posix())})")


def _train_lines(loaded, model, plan, code: Code, plain: bool) -> list[str]:
    """main(): seed, data, build, adapt, compile, fit, evaluate, as `kspec train` does.
    `plain`: the script loads its data itself (data_code.py) and feeds model.fit the same
    tf.data pipeline as kspec, so the same seed trains to the same numbers."""
    spec = loaded.spec
    t = spec.train
    optimizer = code.obj(t.optimizer.build())

    def metric_list(entries) -> str:
        built = [m.build() for m in entries]
        return "[" + ", ".join(_quote(b) if isinstance(b, str) else code.obj(b)
                               for b in built) + "]"
    outputs = getattr(t, "outputs", None)
    if outputs:  # several outputs: by name, as kspec compiles them (trainer.compile_model)
        loss = "{" + ", ".join(f"{_quote(n)}: {code.obj(o.loss.build())}"
                               for n, o in outputs.items()) + "}"
        weights = "{" + ", ".join(f"{_quote(n)}: {o.weight!r}" for n, o in outputs.items()) + "}"
        metrics = "{" + ", ".join(f"{_quote(n)}: {metric_list(o.metrics)}"
                                  for n, o in outputs.items()) + "}"
    else:
        loss, weights, metrics = code.obj(t.loss.build()), None, metric_list(t.metrics)
    callbacks = [_callback(cb, code) for cb in t.callbacks]
    lines = [f"keras.utils.set_random_seed({spec.seed})",
             "tf.config.experimental.enable_op_determinism()  # the same numbers every run",
             "(x_train, y_train), validation, test = load_data()",
             "model = build_model()"]
    for node in plan.nodes:
        if getattr(node.layer, "needs_adapt", False):
            lines.append(f"model.get_layer({_quote(node.name)}).adapt(x_train)  "
                         "# mean and variance of the training split")
    # speed only (README "Fast fit"): kspec's auto rule runs several steps per call only
    # where that changes no number, so the script runs one; a count set by hand is kept
    by_hand = plain and t.steps_per_execution != "auto"
    speed_args = ["    steps_per_execution=per_call,"] if by_hand else []
    if t.jit_compile != "auto":
        speed_args.append(f"    jit_compile={t.jit_compile},")
    if plain:
        lines.append(f"steps = -(-len(x_train) // {t.batch_size})  # batches per epoch")
    if by_hand:
        lines.append(f"per_call = min({t.steps_per_execution}, steps)  # train.steps_per_execution")
    lines += ["model.compile(", f"    optimizer={optimizer},", f"    loss={loss},"]
    lines += [f"    loss_weights={weights},"] if weights else []
    lines += [f"    metrics={metrics},"] + speed_args + [")"]
    if callbacks:
        lines.append(f"os.makedirs(RUN_DIR, exist_ok=True)")
    if plain:
        # as kspec: one endless training dataset unless steps_per_execution does not
        # divide the epoch (then a dataset that ends with each epoch: speed.py)
        augment = "augment=augmenter(), " if spec.data.augment else ""
        repeat = "steps % per_call == 0" if by_hand else "True"
        lines += [f"repeat = {repeat}  # one endless dataset unless a call would span two epochs",
                  f"train = dataset(x_train, y_train, {t.batch_size}, {t.shuffle}, "
                  f"{spec.seed}, {augment}repeat=repeat)",
                  "if validation is not None:",
                  f"    validation = dataset(*validation, {t.batch_size}, False, {spec.seed})"]
        fit = ("train, steps_per_epoch=steps if repeat else None,\n"
               "validation_data=validation, epochs=epochs, shuffle=False")
    else:
        fit = (f"x_train, y_train, validation_data=validation, epochs=epochs, "
               f"batch_size={t.batch_size}, shuffle={t.shuffle}")
        if spec.data.augment:
            lines.append("train = augmented(x_train, y_train)  # data.augment, as kspec does it")
            fit = (f"train, validation_data=validation, epochs=epochs")
    lines += ["history = model.fit("] + [f"    {part}" for part in f"{fit},".split("\n")]
    lines += (["    callbacks=["] + [f"        {cb}," for cb in callbacks] + ["    ],"]
              if callbacks else [])
    lines += [")",
              "if test is not None:",
              f"    print(\"test:\", model.evaluate(*test, batch_size={t.batch_size}, verbose=0, "
              "return_dict=True))",
              "return model, history.history"]
    out = []
    for ln in lines:
        out += ["    " + part for part in _wrap(ln, "    ")]
    return out


def _augmenter(spec, code: Code) -> str:
    """augmenter(): data.augment as the Keras layers kspec's pipeline applies."""
    from ..data.augment import augmenter
    seq = augmenter(spec.data.augment, spec.seed)
    made = ", ".join(code.layer(layer) for layer in seq.layers)
    return ('\ndef augmenter():\n    """data.augment: random changes of the training batches '
            f'only (seeded)."""\n    return keras.Sequential([{made}], name="augment")\n')


def _callback(entry, code: Code) -> str:
    """A callback as `kspec train` builds it, with its files under RUN_DIR."""
    marker = Path("__RUN_DIR__")
    obj = entry.build(marker)
    cls = type(obj)
    path = code.class_path(cls)
    params = inspect.signature(cls.__init__).parameters
    args = []
    for name in params:
        value = getattr(obj, name, None)
        if isinstance(value, str) and str(marker) in value:
            rest = Path(value).relative_to(marker).as_posix()
            args.append(f"{name}=os.path.join(RUN_DIR, {_quote(rest)})")
    for key, value in entry.model_dump().items():
        if key in params:
            args.append(f"{key}={code.value(value)}")
    return f"{path}({', '.join(args)})"


AUGMENTED = '''
def augmented(x, y):
    """Training batches with the spec's data augmentation, made by kspec as in training."""
    from builder.data.augment import augmenter
    from builder.data.pipeline import to_dataset
    from builder.spec.load import load_spec
    spec = load_spec(SPEC).spec
    return to_dataset(x, y, spec.train.batch_size, spec.train.shuffle, spec.seed,
                      augment=augmenter(spec.data.augment, spec.seed))
'''


def codegen_text(loaded, out_path: Path | None = None) -> str:
    """The whole script for a loaded spec."""
    from ..build.model import build_models
    spec = loaded.spec
    built = build_models(loaded)
    code = Code()
    functions = []
    for role, (model, plan) in built.items():
        fn = "build_model" if role == "model" else f"build_{identifier(role, set())}"
        doc = (f'    """The {spec.name} network: {len(plan.nodes)} layers, '
               f'{model.count_params():,} parameters."""' if role == "model" else
               f'    """The {role} network of {spec.name}: {model.count_params():,} parameters."""')
        body = model_lines(model, plan, model.name, code)
        functions.append("\n".join([f"def {fn}():", doc] + body))
    if "model" not in built:
        roles = ", ".join(f"{_quote(r)}: build_{identifier(r, set())}()" for r in built)
        functions.append(f'def build_model():\n    """Every network of {spec.name}, by role."""\n'
                         f"    return {{{roles}}}")
    from ..spec.parts import complete
    from .data_code import DATASETS, data_lines
    supervised = spec.task == "supervised" and "model" in built and complete(spec)
    made = data_lines(loaded, out_path) if supervised else None
    helpers, loader = made if made is not None else ("", None)
    if supervised:
        model, plan = built["model"]
        main = "\n".join(["def main(epochs=EPOCHS):",
                          '    """Train as `kspec train` does; returns the model and its '
                          'history."""'] + _train_lines(loaded, model, plan, code,
                                                        loader is not None))
    else:
        main = (f'def main(epochs=None):\n    """kspec trains a {spec.task} spec itself '
                f'(kspec train SPEC); this script builds its networks."""\n'
                "    models = build_model()\n"
                "    for model in models.values():\n        model.summary()\n    return models")
    uses_weights = any(n.layer.weights for _, plan in built.values() for n in plan.nodes)
    description = " ".join(spec.description.split()) or "(no description)"
    sources = custom_sources(code)
    text = "\n".join(sources)
    head = [
        '"""' + textwrap.fill(f"{spec.name}: {description}", 88),
        "",
        textwrap.fill(f"Written by `kspec codegen` (kspec {__version__}) from "
                      f"{Path(loaded.path).name}, fingerprint {fingerprint(spec)}. "
                      "build_model() makes the same network(s) in plain Keras"
                      + ("; running this file trains it the same way `kspec train` does."
                         if supervised else "."), 88),
        '"""',
        "import csv" if "csv.reader" in helpers else "",
        "import math" if re.search(r"\bmath\.", text) else "",
        "import os" if supervised else "",
        # before TensorFlow loads: oneDNN's CPU kernels round differently (kspec turns them
        # off too), so without this the numbers differ from kspec train's in the last bits
        'os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # the same numbers as kspec'
        if supervised else "",
        "",
        "import keras",
        "import numpy as np" if uses_weights or loader or re.search(r"\bnp\.", text) else "",
        "import tensorflow as tf" if supervised else "",
        "from keras import layers",
        "from keras import ops" if re.search(r"\bops\.", text) else "",
    ]
    head = [h for i, h in enumerate(head) if h or i in (1, 8)]
    parts = ["\n".join(head) + "\n"]
    if supervised:
        parts.append((f"SPEC = {_spec_ref(loaded, out_path)}  # the spec this script was "
                      "written from\n" if loader is None else "")
                     + ("HERE = os.path.dirname(os.path.abspath(__file__))  # the data files "
                        "are found from here\n" if loader and "HERE" in loader else "")
                     + f"EPOCHS = {spec.train.epochs}\n"
                     + (f"RUN_DIR = {_quote(spec.name + '-run')}  # where callbacks write files\n"
                        if spec.train.callbacks else ""))
    custom = _custom_source(sources)
    if custom:
        parts.append(custom)
    if uses_weights:
        parts.append(SET_WEIGHTS)
    parts += ["\n" + f + "\n" for f in functions]
    if loader is not None:
        if helpers:
            parts.append(helpers)
        parts.append(loader)
        parts.append(DATASETS)
        if spec.data.augment:
            parts.append(_augmenter(spec, code))
    elif supervised:
        parts.append('''
def load_data():
    """The train, validation and test splits `kspec train` uses. kspec reads and
    preprocesses them as the spec's data: section says; to drop kspec, return your
    own ((x_train, y_train), (x_val, y_val) or None, (x_test, y_test) or None)."""
    from builder.data.pipeline import prepare_spec
    from builder.spec.load import load_spec
    data = prepare_spec(load_spec(SPEC))
    return data.splits["train"], data.part("validation"), data.part("test")
''')
        if spec.data.augment:
            parts.append(AUGMENTED)
    parts.append("\n" + main + "\n")
    parts.append('\n\nif __name__ == "__main__":\n    main()\n')
    return "\n".join(p.rstrip("\n") + "\n" for p in parts).replace("\n\n\n\n", "\n\n\n")
