"""The planner (pure Python) agrees with Keras on every layer's output shape and
weights; residual, repeat and branching graphs build as written."""
from __future__ import annotations

import math

import pytest

from builder.build.model import build_from_plan
from builder.catalog.layers import LAYERS
from builder.spec.graph import plan_model
from builder.core.problems import Report
from builder.spec.schema import ModelSpec

IMG, SEQ, VEC = [8, 8, 3], [6, 4], [5]

# every catalog layer with a minimal parameter set and an input it accepts
CASES = {
    "dense": ({"units": 3}, VEC), "maxout": ({"units": 3, "pieces": 3}, VEC),
    "flatten": ({}, IMG), "reshape": ({"target_shape": [-1, 3]}, IMG),
    "permute": ({"dims": [2, 1]}, SEQ), "repeat_vector": ({"n": 3}, VEC),
    "dropout": ({"rate": 0.5}, VEC), "spatial_dropout1d": ({"rate": 0.5}, SEQ),
    "spatial_dropout2d": ({"rate": 0.5}, IMG), "gaussian_noise": ({"stddev": 0.1}, VEC),
    "batch_normalization": ({}, IMG), "layer_normalization": ({}, SEQ),
    "normalization": ({"mean": 0.0, "variance": 1.0}, VEC), "rescaling": ({"scale": 0.5}, IMG),
    "activation": ({"activation": "tanh"}, VEC), "embedding": ({"input_dim": 10, "output_dim": 4}, [7]),
    "conv2d": ({"filters": 4, "kernel_size": 3, "strides": 2}, IMG),
    "conv1d": ({"filters": 4, "kernel_size": 3, "padding": "causal", "dilation_rate": 2}, SEQ),
    "separable_conv2d": ({"filters": 4, "kernel_size": 3}, IMG),
    "conv2d_transpose": ({"filters": 4, "kernel_size": 3, "strides": 2}, IMG),
    "max_pooling2d": ({"pool_size": 2}, IMG), "average_pooling2d": ({"pool_size": 3, "strides": 2}, IMG),
    "max_pooling1d": ({"pool_size": 2}, SEQ), "average_pooling1d": ({"pool_size": 2, "padding": "same"}, SEQ),
    "global_max_pooling2d": ({}, IMG), "global_average_pooling2d": ({"keepdims": True}, IMG),
    "global_max_pooling1d": ({}, SEQ), "global_average_pooling1d": ({}, SEQ),
    "up_sampling2d": ({"size": [2, 3]}, IMG), "up_sampling1d": ({"size": 2}, SEQ),
    "zero_padding2d": ({"padding": [1, 2]}, IMG), "cropping2d": ({"cropping": [[1, 0], [2, 1]]}, IMG),
    "simple_rnn": ({"units": 3}, SEQ), "lstm": ({"units": 3, "return_sequences": True}, SEQ),
    "gru": ({"units": 3}, SEQ), "bidirectional": ({"layer": {"lstm": {"units": 3}}}, SEQ),
    "multi_head_attention": ({"num_heads": 2, "key_dim": 4, "causal": True}, SEQ),
    "random_flip": ({}, IMG), "random_rotation": ({"factor": 0.1}, IMG),
    "random_zoom": ({"height_factor": 0.1}, IMG),
    "random_translation": ({"height_factor": 0.1, "width_factor": 0.1}, IMG),
    "random_contrast": ({"factor": 0.2}, IMG),
    "time_embedding": ({"dim": 8}, [1]),
    "affine_coupling": ({"mask": "alternate", "hidden": [8]}, [6]),
    "token_position_embedding": ({"vocab_size": 20, "output_dim": 8}, [7]),
    "position_embedding": ({}, SEQ),
    "transformer_block": ({"num_heads": 2, "ff_dim": 8, "causal": True}, SEQ),
}
TWO_INPUT = {"sampling": ({}, [3])}  # layers that join two equal-shaped inputs
MERGES = ["add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate"]
BLOCKS = ["residual", "repeat"]


def plan_of(model_data):
    model = ModelSpec.model_validate(model_data)
    report = Report()
    plan = plan_model(model, ("model",), report)
    assert not report.errors, [p.render() for p in report.errors]
    return plan


def keras_shapes(model, plan):
    return {n.name: tuple(model.get_layer(n.name).output.shape[1:]) for n in plan.nodes
            if not n.layer.trailing_activation()}


def test_every_layer_has_a_case():
    from builder.catalog.activations import ACTIVATIONS
    covered = set(CASES) | set(TWO_INPUT) | set(MERGES) | set(BLOCKS) | set(ACTIVATIONS.entries)
    assert set(LAYERS.entries) - covered == set()


@pytest.mark.parametrize("kind", sorted(CASES))
def test_planned_shape_and_weights_match_keras(kind):
    params, shape = CASES[kind]
    plan = plan_of({"input": shape, "layers": [{kind: params}]})
    model = build_from_plan(plan, "t")
    (node,) = plan.nodes
    assert node.shape == tuple(model.get_layer(node.name).output.shape[1:])
    expected = node.layer.weight_shapes([tuple(shape)])
    if expected is not None:
        layer = model.get_layer(node.name)
        got = {w.path.split("/")[-1]: tuple(w.shape) for w in layer.weights}
        assert got == {k: tuple(v) for k, v in expected.items()}
        assert layer.count_params() == sum(math.prod(v) for v in expected.values())


@pytest.mark.parametrize("kind", MERGES + sorted(TWO_INPUT))
def test_merge_layers(kind):
    params = TWO_INPUT.get(kind, ({}, None))[0]
    plan = plan_of({"input": [4], "layers": [
        {"dense": {"units": 3, "name": "a"}}, {"dense": {"units": 3, "name": "b", "inputs": "input"}},
        {kind: {**params, "inputs": ["a", "b"]}}]})
    model = build_from_plan(plan, "t")
    assert keras_shapes(model, plan) == {n.name: n.shape for n in plan.nodes}


def test_two_branch_concatenate_graph():
    plan = plan_of({"input": [8, 8, 1], "layers": [
        {"conv2d": {"filters": 4, "kernel_size": 3, "padding": "same", "name": "left"}},
        {"conv2d": {"filters": 6, "kernel_size": 5, "padding": "same", "inputs": "input", "name": "right"}},
        {"concatenate": {"inputs": ["left", "right"]}}, "flatten", {"dense": 2}]})
    model = build_from_plan(plan, "t")
    concat = plan.node("concatenate")
    assert concat.inputs == ["left", "right"] and concat.shape == (8, 8, 10)
    assert keras_shapes(model, plan) == {n.name: n.shape for n in plan.nodes}


def test_repeat_of_residual_blocks_expands_with_fresh_weights():
    block = {"residual": {"name": "res", "layers": [
        {"conv2d": {"filters": 8, "kernel_size": 3, "padding": "same", "activation": "relu", "name": "c"}},
        {"conv2d": {"filters": 8, "kernel_size": 3, "padding": "same"}}]}}
    plan = plan_of({"input": [8, 8, 8], "layers": [{"repeat": {"times": 3, "layers": [block, "relu"]}}]})
    names = [n.name for n in plan.nodes]
    assert [n for n in names if n.startswith("res")] == ["res_1", "res_2", "res_3"]
    assert [n for n in names if n.startswith("c_")] == ["c_1", "c_2", "c_3"]
    model = build_from_plan(plan, "t")
    # three blocks of two 3x3x8x8 convolutions + bias, no shared weights
    assert model.count_params() == 3 * 2 * (3 * 3 * 8 * 8 + 8)
    res2 = plan.node("res_2")
    assert res2.layer.kind == "add" and res2.inputs[1].startswith("conv2d")


def test_residual_projects_shortcut_when_channels_or_size_change():
    plan = plan_of({"input": [8, 8, 4], "layers": [{"residual": {"name": "r", "layers": [
        {"conv2d": {"filters": 16, "kernel_size": 3, "strides": 2, "padding": "same"}}]}}]})
    proj = plan.node("r_projection")
    assert proj.layer.kind == "conv2d" and proj.shape == (4, 4, 16)
    assert proj.layer.strides == [2, 2]
    model = build_from_plan(plan, "t")
    assert tuple(model.output.shape[1:]) == (4, 4, 16)


def test_residual_without_projection_is_an_error():
    model = ModelSpec.model_validate({"input": [8, 8, 4], "layers": [{"residual": {
        "projection": "none", "layers": [{"conv2d": {"filters": 16, "kernel_size": 1}}]}}]})
    report = Report()
    plan_model(model, ("model",), report)
    (problem,) = report.errors
    assert problem.path == ("model", "layers", 0, "residual")
    assert "differs from its input" in problem.message


def test_named_outputs_make_a_multi_output_model():
    plan = plan_of({"input": [4], "layers": [
        {"dense": {"units": 16, "activation": "relu", "name": "h"}},
        {"dense": {"units": 2, "name": "z_mean"}},
        {"dense": {"units": 2, "name": "z_log_var", "inputs": "h"}}],
        "outputs": ["z_mean", "z_log_var"]})
    model = build_from_plan(plan, "t")
    assert [tuple(o.shape[1:]) for o in model.outputs] == [(2,), (2,)]


@pytest.mark.parametrize("spec", ["breast_cancer_mlp", "digits_cnn", "diabetes_mlp"])
def test_summary_total_equals_keras_count(cli, spec):
    from builder.build.model import build_model
    from builder.spec.load import load_spec
    model, _ = build_model(load_spec(spec))
    result = cli("summary", spec)
    assert result.exit_code == 0, result.stderr
    assert f"Total params: {model.count_params()}" in result.stdout.splitlines()
