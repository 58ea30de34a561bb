"""The lectures' hand examples, as bundled specs with inline data, learn what they teach."""
from __future__ import annotations

import numpy as np
import pytest

from builder.spec.load import load_spec


def train(name, tmp_path, overrides=(), epochs=None):
    from builder.tasks.supervised.trainer import train as run
    return run(load_spec(name, overrides), out=tmp_path / name, epochs=epochs, verbose=0)


def test_l03_one_weight_converges_to_2(tmp_path):
    from builder.core.keras_env import keras
    result = train("neuron_y_equals_2x", tmp_path)
    model = keras().models.load_model(result.path / "model.keras")
    (kernel,) = model.layers[-1].get_weights()  # one weight, no bias
    assert kernel.shape == (1, 1)
    assert abs(float(kernel[0, 0]) - 2.0) < 0.05
    # the slide's total squared error at W = 3: (3-2)^2 * (0 + 1 + 4 + 9 + 16) = 30
    assert result.history["loss"][0] == pytest.approx(30.0)
    assert result.metrics["train"]["loss"] < 1e-5


@pytest.mark.parametrize("name, truth", [("or_gate_neuron", [False, True, True, True]),
                                         ("and_gate_neuron", [False, False, False, True])])
def test_l04_one_neuron_learns_or_and_and(tmp_path, name, truth):
    from builder.core.keras_env import keras
    result = train(name, tmp_path)
    assert result.metrics["train"]["accuracy"] == 1.0
    model = keras().models.load_model(result.path / "model.keras")
    table = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
    assert (model.predict(table, verbose=0)[:, 0] > 0.5).tolist() == truth


def test_l04_xor_needs_a_hidden_layer(tmp_path):
    one_neuron = train("or_gate_neuron", tmp_path / "one", ["data.source.inline.y=[0, 1, 1, 0]"],
                       epochs=100)
    assert one_neuron.metrics["train"]["accuracy"] <= 0.75  # no line separates XOR
    hidden = train("xor_mlp", tmp_path / "hidden")
    assert hidden.metrics["train"]["accuracy"] == 1.0
