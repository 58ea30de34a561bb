"""No accepted key is silently ignored: a walk over every layer's schema fields.

The mechanism: for each layer of the catalog, start from its declared `example`, give
one field at a time a value other than the one it has (bool flipped, another Literal
choice, an int + 1, a float halved, another initializer, a regularizer, a constraint,
another activation), and require that the Keras layer(s) kspec makes differ, by their
Keras config; where the config is the same (an argument used when the layer is called,
such as attention's causal mask) the one-layer model is built both ways and its
outputs on a fixed input must differ.

What it covers: every scalar field (bool, Literal, int, float and their optional forms)
and every initializer/regularizer/constraint/activation field of every layer.
What it does not: list-valued fields (shapes such as reshape's target_shape, paddings,
an inner `layer:`/`hidden:`), whose effect the catalog suite's shape checks already
see (tests/test_catalog_layers.py: planned shapes = Keras'); the common keys name,
inputs and weights, which the graph and weight tests cover; and block keys (residual,
repeat), covered by tests/test_spec_grown.py and tests/test_core_graph.py. A field whose
changed value is itself invalid (strides with dilation) is listed and must stay few.
"""
from __future__ import annotations

import json
import typing

import numpy as np
import pytest

from builder.catalog.layers import LAYERS
from builder.catalog.layers.base import Layer
from builder.catalog.layers.blocks import Block

# fields whose one changed value Keras itself refuses in the example (not ignored:
# refused); each is checked by hand here so the list cannot hide an ignored field
REFUSED_TOGETHER = {"conv1d.strides", "conv2d.dilation_rate", "conv2d_transpose.dilation_rate",
                    "multi_head_attention.output_shape_", "time_embedding.dim"}


def other_value(field: str, info, current):
    """A valid value different from `current` for a scalar-like field, or None."""
    ann = info.annotation
    args = typing.get_args(ann)
    if field.endswith("_initializer"):
        return "zeros" if current == "he_normal" else "he_normal"
    if field.endswith("_regularizer"):
        return {"l2": 0.01}
    if field.endswith("_constraint"):
        return "non_neg"
    if field.endswith("activation"):
        return "relu" if current == "tanh" else "tanh"
    if ann is bool:
        return not current
    if typing.get_origin(ann) is typing.Literal:
        return next(a for a in args if a != current)
    literal = [a for a in args if typing.get_origin(a) is typing.Literal]
    if literal:
        return next(a for a in typing.get_args(literal[0]) if a != current)
    if ann is int or (int in args and isinstance(current, (int, type(None)))):
        return 1 if current is None else current + 1
    if ann is float or float in args:
        return 0.3 if not current else current / 2
    return None


def first_example(cls):
    ex = cls.example
    return ex[0] if isinstance(ex, list) else ex


def keras_config(kind, params) -> str:
    entry = LAYERS.parse({kind: params} if params else kind)
    return json.dumps([layer.get_config() for layer in entry.make("x")], sort_keys=True,
                      default=str)


def outputs_differ(kind, example, params_a, params_b) -> bool:
    """Build the one-layer model both ways (same seed) and compare outputs on one input."""
    from builder.build.model import build_from_plan
    from builder.core.keras_env import keras
    outs = []
    for params in (params_a, params_b):
        keras().utils.set_random_seed(0)
        plan = plan_for(kind, params, example["input"])
        model = build_from_plan(plan, "t")
        shapes = example["input"] if isinstance(example["input"][0], list) else [example["input"]]
        rng = np.random.default_rng(0)
        x = [rng.normal(size=(2, *s)).astype("float32") for s in shapes]
        outs.append(np.asarray(model(x if len(x) > 1 else x[0])))
    return not np.allclose(outs[0], outs[1])


def plan_for(kind, params, shape):
    from builder.core.problems import Report
    from builder.spec.graph import plan_model
    from builder.spec.schema import ModelSpec
    if isinstance(shape[0], list):
        names = [chr(ord("a") + j) for j in range(len(shape))]
        data = {"input": dict(zip(names, shape)), "layers": [{kind: {**params, "inputs": names}}]}
    else:
        data = {"input": shape, "layers": [{kind: params} if params else kind]}
    report = Report()
    plan = plan_model(ModelSpec.model_validate(data), ("model",), report)
    assert not report.errors, [p.render() for p in report.errors]
    return plan


CASES = [(kind, field) for kind, cls in sorted(LAYERS.entries.items())
         if cls.example is not None and not issubclass(cls, Block)
         for field in cls.model_fields if field not in Layer.COMMON]


@pytest.mark.parametrize("kind,field", CASES, ids=[f"{k}.{f}" for k, f in CASES])
def test_every_layer_field_changes_the_keras_layer(kind, field):
    cls = LAYERS.entries[kind]
    example = first_example(cls)
    base = dict(example["params"])
    info = cls.model_fields[field]
    value = other_value(field, info, base.get(field, info.default))
    if value is None:
        pytest.skip("a list-valued field: its effect is checked by the shape suite")
    changed = {**base, field: value}
    try:
        after = keras_config(kind, changed)
    except Exception as exc:  # the changed value itself is refused
        assert f"{kind}.{field}" in REFUSED_TOGETHER, f"{kind}.{field}={value!r}: {exc}"
        return
    if after != keras_config(kind, base):
        return
    assert outputs_differ(kind, example, base, changed), (
        f"{kind}.{field}: {value!r} makes the same Keras layer and the same outputs "
        "as the default: the builder ignores the field")
