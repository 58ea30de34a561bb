"""`kspec import MODEL.keras`: a Keras model made of catalog layers becomes a spec;
spec -> model -> spec -> model keeps the architecture for every bundled
single-network spec, and what a spec cannot say is refused by name."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from builder.build.model import build_models
from builder.core.keras_env import keras
from builder.share.keras_import import import_spec
from builder.spec.library import bundled
from builder.spec.load import load_spec
from builder.core.problems import SpecError
from builder.tasks.supervised.trainer import compile_model

FIXTURES = Path(__file__).parent / "fixtures" / "share"


def single_network(name):
    return load_spec(name).spec.models is None  # with its extends chain resolved


SPECS = sorted(n for n in bundled() if single_network(n)) + \
    sorted(str(p) for p in FIXTURES.glob("zoo_*.yaml"))


def architecture(model):
    return [(type(layer).__name__, shapes(layer), int(layer.count_params()))
            for layer in model.layers]


def shapes(layer):
    """Output shape(s) without the batch axis (an RNN with return_state has several)."""
    return [tuple(t.shape)[1:] for t in keras().tree.flatten(layer.output)]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: Path(s).stem)
def test_round_trip_keeps_the_architecture(spec, tmp_path, cli):
    loaded = load_spec(spec)
    model, _ = build_models(loaded)["model"]
    saved = tmp_path / "model.keras"
    model.save(saved)
    out = tmp_path / "sub" / "imported.yaml"
    result = cli("import", saved, "--extends", loaded.path, "-o", out)
    assert result.exit_code == 0, result.stderr
    again, _ = build_models(load_spec(out))["model"]
    assert architecture(again) == architecture(model)
    assert [layer.name for layer in again.layers] == [layer.name for layer in model.layers]


def test_training_settings_come_from_a_compiled_model(tmp_path):
    loaded = load_spec("digits_cnn")
    model, _ = build_models(loaded)["model"]
    compile_model(model, loaded.spec.train)
    model.save(tmp_path / "m.keras")
    data, notes = import_spec(tmp_path / "m.keras")
    assert data["train"] == {"loss": "sparse_categorical_crossentropy",
                             "optimizer": {"adam": {"learning_rate": 0.002}},
                             "metrics": ["accuracy"]}
    assert any("data: section" in n for n in notes)
    layers = data["model"]["layers"]
    assert layers[0] == {"conv2d": {"filters": 16, "kernel_size": 3, "activation": "relu",
                                    "padding": "same"}}
    assert layers[1] == "max_pooling2d" and layers[4] == "flatten"
    assert layers[6] == {"dropout": 0.3}


def test_a_plain_keras_model_becomes_a_readable_spec(tmp_path, write_spec):
    k = keras()
    inputs = k.Input(shape=(10,), name="features")
    h = k.layers.Dense(16, activation="relu", name="hidden")(inputs)
    skip = k.layers.Dense(16, name="skip")(inputs)
    x = k.layers.Add(name="join")([h, skip])
    x = k.layers.Dense(8, name="pre")(x)
    x = k.layers.LeakyReLU(negative_slope=0.1, name="pre_leaky_relu")(x)
    out = k.layers.Dense(1, name="price")(x)
    model = k.Model(inputs, out)
    model.compile(optimizer=k.optimizers.SGD(learning_rate=0.05), loss="mse")
    model.save(tmp_path / "m.keras")
    data, _ = import_spec(tmp_path / "m.keras")
    layers = data["model"]["layers"]
    assert data["model"]["input"] == [10]
    assert layers[0] == {"dense": {"name": "hidden", "units": 16, "activation": "relu"}}
    assert layers[1] == {"dense": {"name": "skip", "inputs": "input", "units": 16}}
    assert layers[2] == {"add": {"name": "join", "inputs": ["hidden", "skip"]}}
    # a dense layer with its own activation layer after it reads as one layer
    assert layers[3] == {"dense": {"name": "pre", "units": 8, "activation": {"leaky_relu": 0.1}}}
    assert data["train"] == {"loss": "mean_squared_error",
                             "optimizer": {"sgd": {"learning_rate": 0.05}}}
    data["data"] = {"source": {"sklearn": "diabetes"}}
    spec = write_spec(yaml.safe_dump(data))
    again, _ = build_models(load_spec(spec))["model"]
    assert architecture(again) == architecture(model)


def test_a_sequential_model_is_imported_too(tmp_path):
    k = keras()
    model = k.Sequential([k.Input((8, 8, 1)), k.layers.Conv2D(4, 3), k.layers.Flatten(),
                          k.layers.Dense(10, activation="softmax")])
    model.save(tmp_path / "s.keras")
    data, _ = import_spec(tmp_path / "s.keras", extends="digits_cnn")
    assert data["extends"] == "digits_cnn"
    assert [next(iter(e)) if isinstance(e, dict) else e for e in data["model"]["layers"]] == \
        ["conv2d", "flatten", "dense"]


def test_what_a_spec_cannot_say_is_refused_by_layer(tmp_path, cli):
    k = keras()
    inputs = k.Input(shape=(8, 8, 3))
    x = k.layers.Conv2D(4, 3, groups=1, data_format="channels_first", name="odd")(inputs)
    k.Model(inputs, x).save(tmp_path / "odd.keras")
    result = cli("import", tmp_path / "odd.keras")
    assert result.exit_code == 1
    assert "model.layers[0]: layer 'odd' (Conv2D): kspec cannot express data_format=" \
        in result.stderr
    shared = k.layers.Dense(4, name="shared")
    a = k.Input(shape=(4,), name="a")
    k.Model(a, shared(shared(a))).save(tmp_path / "shared.keras")
    with pytest.raises(SpecError, match="used more than once"):
        import_spec(tmp_path / "shared.keras")
    with pytest.raises(SpecError, match="no such model file"):
        import_spec(tmp_path / "missing.keras")
