"""One check suite over the whole layer catalog, parametrised from LAYERS itself (the
scikit-learn `estimator_checks` idea): a new entry is tested without writing a test.

Each layer class declares a small `example` (its parameters and an input shape, or
several); for every example: the YAML form reads back to the same entry, the JSON
schema has the entry and accepts the example, the planner's shapes equal Keras',
the Keras-free weight shapes (names, shapes, trainable or not) and counts equal
Keras' variables and count_params(), explain's count equals Keras', the saved model
reloads in safe mode, and `kspec import` gives back a spec that builds the same
model. Every activation also serves as a dense layer's activation and comes back.

Each example's Keras model is built, saved and reloaded once (cached), so the Keras
work is done once per example, not once per check.
"""
from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import jsonschema
import pytest
import yaml

from builder.catalog.activations import ACTIVATIONS
from builder.catalog.layers import LAYERS
from builder.catalog.layers.base import NotTrained
from builder.spec.counts import node_count, plan_count
from builder.spec.graph import plan_model
from builder.core.problems import Report
from builder.spec.schema import ModelSpec

SAVED = Path(tempfile.mkdtemp(prefix="kspec-catalog-"))


def examples_of(cls) -> list:
    ex = cls.example
    return [] if ex is None else (ex if isinstance(ex, list) else [ex])


# (kind, index) for every example; (kind, None) for a layer that declares none, which fails
CASES = [(kind, i) for kind, cls in sorted(LAYERS.entries.items())
         for i in (range(len(examples_of(cls))) or [None])]
IDS = [f"{k}-{i}" for k, i in CASES]


def example(kind, i) -> dict:
    assert i is not None, (f"layer '{kind}' declares no example: give its class an "
                           "`example: ClassVar = {'params': {...}, 'input': [...]}`")
    return examples_of(LAYERS.entries[kind])[i]


def model_data(kind, i) -> dict:
    """The example as a one-layer model (several inputs: named a, b, ...)."""
    ex = example(kind, i)
    shape, params = ex["input"], dict(ex["params"])
    blocks = {"blocks": ex["blocks"]} if "blocks" in ex else {}  # what a `use` expands
    if shape and isinstance(shape[0], list):
        names = [chr(ord("a") + j) for j in range(len(shape))]
        return {"input": dict(zip(names, shape)), **blocks,
                "layers": [{kind: {**params, "inputs": names}}]}
    return {"input": shape, **blocks, "layers": [{kind: params} if params else kind]}


def plan_of(data):
    report = Report()
    plan = plan_model(ModelSpec.model_validate(data), ("model",), report)
    assert not report.errors, [p.render() for p in report.errors]
    return plan


@functools.cache
def built(kind, i):
    """(plan, Keras model, the model reloaded in safe mode), once per example."""
    from builder.build.model import build_from_plan
    from builder.core.keras_env import keras
    plan = plan_of(model_data(kind, i))
    model = build_from_plan(plan, f"{kind}_{i}")
    path = SAVED / f"{kind}_{i}.keras"
    model.save(path)
    return plan, model, keras().models.load_model(path, safe_mode=True)


def keras_weights(layer) -> dict:
    """A Keras layer's variables by path below the layer, as weight_shapes names them:
    an RNN's cell left out, a wrapper's forward_x/backward_x shortened to forward/backward."""
    out = {}
    for w in layer.weights:
        parts = [p for p in w.path.split("/")[1:] if not p.endswith("_cell")]
        parts = [p.split("_")[0] if p.startswith(("forward_", "backward_")) else p for p in parts]
        out["/".join(parts)] = (tuple(w.shape), bool(w.trainable))
    return out


def architecture(model):
    return [(type(layer).__name__, [tuple(t.shape)[1:] for t in _flat(layer.output)],
             int(layer.count_params())) for layer in model.layers]


def _flat(x):
    from builder.core.keras_env import keras
    return keras().tree.flatten(x)


@functools.cache
def _schema():
    from builder.spec.jsonschema import json_schema
    return json_schema()


# ---- the checks, for every example of every layer --------------------------------------

@pytest.mark.parametrize("kind,i", CASES, ids=IDS)
def test_yaml_round_trip(kind, i):
    entry = LAYERS.parse({kind: example(kind, i)["params"]})
    text = yaml.safe_dump(entry.to_data())
    assert LAYERS.parse(yaml.safe_load(text)) == entry


@pytest.mark.parametrize("kind,i", CASES, ids=IDS)
def test_json_schema_has_the_entry(kind, i):
    schema = _schema()
    assert f"layer.{kind}" in schema["definitions"], f"no JSON-schema entry for {kind}"
    layer = {"$ref": "#/definitions/layer", "definitions": schema["definitions"]}
    jsonschema.validate({kind: example(kind, i)["params"]}, layer)


@pytest.mark.parametrize("kind,i", CASES, ids=IDS)
def test_planned_shapes_and_weights_equal_keras(kind, i):
    plan, model, _ = built(kind, i)
    for node in plan.nodes:
        layer = model.get_layer(node.name)
        got = layer.output[0] if isinstance(layer.output, (list, tuple)) else layer.output
        assert node.shape == tuple(got.shape[1:]), node.name
        if node.layer.trailing_activation():
            continue  # the activation's own layer follows; it has no weights
        shapes = [plan.shapes[n] for n in node.inputs]
        mine = {k: (tuple(v), node.layer.trainable and not isinstance(v, NotTrained))
                for k, v in node.layer.weight_shapes(shapes).items()}
        assert mine == keras_weights(layer), f"{node.name}: weight_shapes differ from Keras'"
        assert node_count(plan, node).total == layer.count_params(), node.name


@pytest.mark.parametrize("kind,i", CASES, ids=IDS)
def test_parameter_count_equals_count_params(kind, i):
    plan, model, _ = built(kind, i)
    count = plan_count(plan)
    assert count.total == model.count_params()
    assert count.trainable == sum(int(w.numpy().size) for w in model.trainable_weights)


@pytest.mark.parametrize("kind,i", CASES, ids=IDS)
def test_explain_count_equals_keras(kind, i):
    from builder.share.explain import explain_plan, keras_counts
    plan, model, _ = built(kind, i)
    counts = keras_counts(model, plan)
    for line in explain_plan(plan):
        assert line.params == counts[line.name], f"{line.name}: {line.params_text}"
        assert bool(line.params_text) or not line.params, f"{line.name}: a count without formula"


@pytest.mark.parametrize("kind,i", CASES, ids=IDS)
def test_saved_model_reloads_in_safe_mode(kind, i):
    _, model, reloaded = built(kind, i)
    assert architecture(reloaded) == architecture(model)


@pytest.mark.parametrize("kind,i", CASES, ids=IDS)
def test_import_round_trip(kind, i):
    from builder.build.model import build_from_plan
    from builder.share.keras_import import model_section
    _, model, reloaded = built(kind, i)
    again = build_from_plan(plan_of(model_section(reloaded)), model.name)
    assert architecture(again) == architecture(model)


def test_every_family_is_used_by_a_rubric_word():
    """The families the classes declare are the grader's group words."""
    from builder.grade import layer_kinds
    for word in layer_kinds.families():
        assert layer_kinds.canonical(word) == word
        assert any(layer_kinds.matches(word, k) for k in LAYERS.entries)


# ---- the activation catalog: each one as a dense layer's activation ---------------------

ACTS = sorted(ACTIVATIONS.entries)


@pytest.mark.parametrize("kind", ACTS)
def test_activation_builds_and_imports_back(kind):
    from builder.build.model import build_from_plan
    from builder.core.keras_env import keras
    from builder.share.keras_import import model_section
    extra = LAYERS.entries[kind].example
    params = examples_of(LAYERS.entries[kind])[-1]["params"] if extra else {}
    act = {kind: params} if params else kind
    plan = plan_of({"input": [5], "layers": [{"dense": {"units": 3, "activation": act}}]})
    model = build_from_plan(plan, f"act_{kind}")
    path = SAVED / f"act_{kind}.keras"
    model.save(path)
    (layer,) = model_section(keras().models.load_model(path, safe_mode=True))["layers"]
    back = LAYERS.parse(layer).activation or ACTIVATIONS.parse("linear")  # none is linear
    assert back == ACTIVATIONS.parse(act)
