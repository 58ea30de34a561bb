"""Residual, repeat and branching graphs plan and build as written. (Each layer's own
shape and weights against Keras: tests/test_catalog_layers.py, from the layers'
examples.)"""
from __future__ import annotations

import pytest

from builder.build.model import build_from_plan
from builder.spec.graph import plan_model
from builder.core.problems import Report
from builder.spec.schema import ModelSpec


def plan_of(model_data):
    model = ModelSpec.model_validate(model_data)
    report = Report()
    plan = plan_model(model, ("model",), report)
    assert not report.errors, [p.render() for p in report.errors]
    return plan


def keras_shapes(model, plan):
    return {n.name: tuple(model.get_layer(n.name).output.shape[1:]) for n in plan.nodes
            if not n.layer.trailing_activation()}


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
