"""Activations by name (the lectures' list), hand-set weights (L07, L16), lint."""
from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from builder.build.model import build_from_plan
from builder.catalog.activations import ACTIVATIONS
from builder.spec.graph import plan_model
from builder.core.problems import Report
from builder.spec.schema import ModelSpec

LECTURE_ACTIVATIONS = ["sigmoid", "tanh", "step", "softplus", "relu", "softsign", "elu",
                       "log_sigmoid", "swish", "sinc", "leaky_relu", "mish", "linear",
                       "identity", "selu", "gelu", "silu", "heaviside", "softmax"]


def build(model_data):
    model = ModelSpec.model_validate(model_data)
    report = Report()
    plan = plan_model(model, ("model",), report)
    assert not report.errors, [p.render() for p in report.errors]
    return build_from_plan(plan, "t")


def activation_of(name, x):
    model = build({"input": [len(x)], "layers": [name]})
    return model.predict(np.array([x], dtype="float32"), verbose=0)[0]


@pytest.mark.parametrize("name", LECTURE_ACTIVATIONS)
def test_lecture_activation_usable_as_layer_and_in_dense(name):
    assert ACTIVATIONS.lookup(name) is not None
    model = build({"input": [3], "layers": [{"dense": {"units": 2, "activation": name}}, name]})
    assert model.predict(np.ones((1, 3), "float32"), verbose=0).shape == (1, 2)


def test_every_catalog_activation_builds():
    x = np.linspace(-2, 2, 5).astype("float32")
    for name in ACTIVATIONS.names():
        assert activation_of(name, x).shape == (5,), name


def test_course_activation_values():
    x = [-2.0, -0.5, 0.0, 0.5, 2.0]
    np.testing.assert_allclose(activation_of("step", x), [0, 0, 1, 1, 1])
    np.testing.assert_allclose(activation_of("sinc", x), [math.sin(v) / v if v else 1.0 for v in x],
                               rtol=1e-6)
    np.testing.assert_allclose(activation_of({"leaky_relu": {"alpha": 0.1}}, x),
                               [-0.2, -0.05, 0, 0.5, 2], rtol=1e-6)
    np.testing.assert_allclose(activation_of({"leaky_relu": 0.01}, x), [-0.02, -0.005, 0, 0.5, 2],
                               rtol=1e-6)
    np.testing.assert_allclose(activation_of("mish", x),
                               [v * math.tanh(math.log1p(math.exp(v))) for v in x], rtol=1e-5)
    np.testing.assert_allclose(activation_of({"elu": {"alpha": 0.5}}, x),
                               [0.5 * math.expm1(v) if v < 0 else v for v in x], rtol=1e-6)
    np.testing.assert_allclose(activation_of("log_sigmoid", x),
                               [-math.log1p(math.exp(-v)) for v in x], rtol=1e-5)


def test_parametrised_activation_in_dense_becomes_its_own_layer():
    model = build({"input": [3], "layers": [
        {"dense": {"units": 2, "activation": {"leaky_relu": 0.1}, "name": "h"}}]})
    assert [layer.name for layer in model.layers[1:]] == ["h", "h_leaky_relu"]


def test_maxout_takes_max_of_pieces():
    model = build({"input": [2], "layers": [{"maxout": {"units": 1, "pieces": 3, "weights": {
        "kernel": [[1, -1, 0], [0, 0, 2]], "bias": [0, 0, 0.5]}}}]})
    out = model.predict(np.array([[1.0, 1.0], [-3.0, 0.0]], "float32"), verbose=0)
    np.testing.assert_allclose(out[:, 0], [2.5, 3.0])


def test_hand_computed_forward_pass_lecture_L07():
    # units' [bias, w1..wn] from the slide, written as Keras kernels (inputs x units)
    model = build({"input": [4], "layers": [
        {"dense": {"units": 3, "activation": "relu", "weights": {
            "kernel": [[1, 1, 1], [0, 2, 1], [1, 1, 1], [0, 2, 1]], "bias": [0, 0, 0]}}},
        {"dense": {"units": 2, "activation": "relu", "weights": {
            "kernel": [[-2, 1], [1, -1], [-2, 0]], "bias": [0, 0]}}},
        {"dense": {"units": 1, "activation": "sigmoid", "weights": {
            "kernel": [[-3], [2]], "bias": [-1]}}}]})
    # by hand: h1 = relu(2, 10, 6); h2 = relu(-4+10-12, 2-10) = (0, 0); y = sigmoid(-1)
    y = model.predict(np.array([[0, 1, 2, 3]], "float32"), verbose=0)[0, 0]
    assert y == pytest.approx(1 / (1 + math.e), abs=1e-6)


def test_fixed_vertical_edge_kernel_lecture_L16():
    image = np.array([[10, 10, 10, 0, 0, 0]] * 6, "float32").reshape(1, 6, 6, 1)
    kernel = [[[[1]], [[0]], [[-1]]]] * 3  # 3x3x1x1: [[1,0,-1]] * 3
    model = build({"input": [6, 6, 1], "layers": [{"conv2d": {
        "filters": 1, "kernel_size": 3, "use_bias": False, "trainable": False,
        "weights": {"kernel": kernel}}}]})
    out = model.predict(image, verbose=0)[0, :, :, 0]
    np.testing.assert_allclose(out, [[0, 30, 30, 0]] * 4)  # the slide's 4x4 edge map


def test_weights_of_wrong_shape_are_a_spec_error():
    model = ModelSpec.model_validate({"input": [4], "layers": [
        {"dense": {"units": 3, "weights": {"kernel": [[1, 2, 3]], "bias": [0, 0, 0]}}}]})
    report = Report()
    plan_model(model, ("model",), report)
    (problem,) = report.errors
    assert problem.path == ("model", "layers", 0, "dense", "weights", "kernel")
    assert "(4, 3)" in problem.message and "(1, 3)" in problem.message


def test_model_with_kspec_components_saves_and_loads_in_safe_mode(tmp_path):
    model = build({"input": [4], "layers": [
        {"dense": {"units": 3, "activation": "sinc"}}, "step",
        {"maxout": {"units": 2}}, {"dense": {"units": 1, "activation": {"leaky_relu": 0.1}}}]})
    path = tmp_path / "m.keras"
    model.save(path)
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    expected = model.predict(x, verbose=0)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", expected)
    # a fresh interpreter: plain Keras + `import builder`, safe mode on
    code = (f"import numpy as np, builder, keras\n"
            f"m = keras.models.load_model(r'{path}', safe_mode=True)\n"
            f"np.testing.assert_allclose(m.predict(np.load(r'{tmp_path / 'x.npy'}'), verbose=0),"
            f" np.load(r'{tmp_path / 'y.npy'}'), rtol=1e-5)\nprint('same')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "same" in out.stdout
