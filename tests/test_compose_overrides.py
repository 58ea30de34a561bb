"""`--set dotted.key=value`: YAML values, list indices, the same merge rules as
`extends`, and errors placed at the --set with a suggestion."""
from __future__ import annotations

import pytest

from builder.spec.load import load_spec
from builder.core.problems import SpecError

from test_compose_extends import BASE


@pytest.fixture
def base(write_spec):
    return write_spec(BASE, "base.yaml")


def test_values_are_yaml_and_indices_reach_list_items(base):
    spec = load_spec(base, ["train.epochs=3", "model.layers[0].dense.units=64",
                            "model.layers.2.dense.activation={softmax: {axis: -1}}",
                            "train.metrics=[accuracy, auc]"]).spec
    assert spec.train.epochs == 3
    assert spec.model.layers[0].units == 64 and spec.model.layers[0].name == "h"
    assert spec.model.layers[2].activation.kind == "softmax"
    assert [m.kind for m in spec.train.metrics] == ["accuracy", "auc"]


def test_a_mapping_merges_and_another_entry_replaces(base):
    spec = load_spec(base, ["train.optimizer={adam: {learning_rate: 0.5}}"]).spec
    assert (spec.train.optimizer.learning_rate, spec.train.optimizer.beta_1) == (0.5, 0.8)
    spec = load_spec(base, ["train.optimizer.adam.beta_2=0.9"]).spec
    assert (spec.train.optimizer.learning_rate, spec.train.optimizer.beta_2) == (0.01, 0.9)
    spec = load_spec(base, ["train.optimizer.sgd.momentum=0.9"]).spec
    assert spec.train.optimizer.kind == "sgd" and spec.train.optimizer.momentum == 0.9


def test_a_bare_or_positional_entry_opens_into_its_mapping(base):
    spec = load_spec(base, ["model.layers[1].dropout.seed=7", "train.loss.sparse_categorical_crossentropy.from_logits=true"]).spec
    assert spec.model.layers[1].rate == 0.2 and spec.model.layers[1].seed == 7
    assert spec.train.loss.from_logits is True


def test_layers_by_name_works_from_the_command_line(base):
    spec = load_spec(base, ["model.layers_by_name.h.units=5"]).spec
    assert spec.model.layers[0].units == 5


def test_unknown_key_is_an_error_with_a_suggestion_at_the_set(base):
    with pytest.raises(SpecError) as err:
        load_spec(base, ["train.optimizer.adam.learnig_rate=0.1"])
    (p,) = err.value.problems
    assert p.position.file == "--set train.optimizer.adam.learnig_rate=0.1"
    assert "did you mean 'learning_rate'" in p.message
    with pytest.raises(SpecError, match="did you mean 'train'"):
        load_spec(base, ["trian.epochs=3"])
    with pytest.raises(SpecError, match="neither a parameter of adam nor an optimizer kspec knows; did you mean 'adam'"):
        load_spec(base, ["train.optimizer.adma.learning_rate=0.1"])


def test_bad_paths_are_explained(base):
    with pytest.raises(SpecError, match="index 7 is outside model.layers, which has 3"):
        load_spec(base, ["model.layers[7].dense.units=3"])
    with pytest.raises(SpecError, match="model.layers is a list; pick an item by index"):
        load_spec(base, ["model.layers.h.units=3"])
    with pytest.raises(SpecError, match="takes key=value"):
        load_spec(base, ["train.epochs"])


def test_values_set_on_the_command_line_are_placed_there(base):
    with pytest.raises(SpecError) as err:
        load_spec(base, ["model.layers=[{dense: {units: -1}}]"])
    (p,) = err.value.problems
    assert p.position.file == "--set model.layers=[{dense: {units: -1}}]"
    assert p.path == ("model", "layers", 0, "dense", "units")


def test_the_entry_name_may_be_left_out(base, write_spec):
    spec = load_spec(base, ["train.optimizer.learning_rate=0.5", "model.layers[0].units=64",
                            "model.layers[1].rate=0.4"]).spec
    assert spec.train.optimizer.kind == "adam" and spec.train.optimizer.learning_rate == 0.5
    assert spec.train.optimizer.beta_1 == 0.8
    assert spec.model.layers[0].units == 64 and spec.model.layers[1].rate == 0.4
    rnn = write_spec(BASE.replace("input: [4]", "input: [4, 1]").replace(
        "- dense: {units: 16, activation: relu, name: h}", "- lstm: {units: 16, name: h}")
        .replace("preprocess: [standardize]", "preprocess: [standardize, {reshape: [4, 1]}]"),
        "rnn.yaml")
    layer = load_spec(rnn, ["model.layers[0].dropout=0.3"]).spec.model.layers[0]
    assert layer.kind == "lstm" and layer.dropout == 0.3  # the lstm's parameter, not a layer
