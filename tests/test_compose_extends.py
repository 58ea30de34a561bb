"""`extends`, `unset` and `layers_by_name`: the documented deep merge, chains,
cycles, and errors that name the file and line each merged value came from."""
from __future__ import annotations

import re

import pytest

from builder.spec.load import load_spec
from builder.core.problems import SpecError

BASE = """
kspec: 1
name: base
data:
  source: {sklearn: iris}
  preprocess: [standardize]
model:
  input: [4]
  layers:
    - dense: {units: 16, activation: relu, name: h}
    - dropout: 0.2
    - dense: {units: 3, activation: softmax, name: out}
train:
  loss: sparse_categorical_crossentropy
  optimizer: {adam: {learning_rate: 0.01, beta_1: 0.8}}
  metrics: [accuracy]
  epochs: 5
  callbacks:
    - early_stopping: {patience: 3}
"""


def layer(loaded, i):
    return loaded.spec.model.layers[i]


def test_child_merges_mappings_and_keeps_the_rest(write_spec):
    write_spec(BASE, "base.yaml")
    child = write_spec("""
        extends: base.yaml
        name: child
        train:
          optimizer: {adam: {learning_rate: 0.001}}
          epochs: 7
        """, "child.yaml")
    loaded = load_spec(child)
    spec = loaded.spec
    assert spec.name == "child"
    assert spec.train.epochs == 7
    # the same optimizer: its parameters merge, so beta_1 is inherited
    assert spec.train.optimizer.kind == "adam"
    assert spec.train.optimizer.learning_rate == 0.001
    assert spec.train.optimizer.beta_1 == 0.8
    assert [type(e).__name__ for e in spec.train.callbacks] == ["EarlyStopping"]
    assert [e.kind for e in spec.model.layers] == ["dense", "dropout", "dense"]
    assert "extends" not in loaded.raw


def test_naming_another_catalog_entry_replaces_it(write_spec):
    write_spec(BASE.replace("learning_rate: 0.01", "learning_rate: 0.003"), "base.yaml")
    child = write_spec("""
        extends: base.yaml
        train:
          optimizer: {sgd: {momentum: 0.9}}
        """, "child.yaml")
    opt = load_spec(child).spec.train.optimizer
    assert opt.kind == "sgd" and opt.momentum == 0.9
    assert opt.learning_rate == 0.01  # SGD's own default, not adam's inherited 0.003
    assert not hasattr(opt, "beta_1")
    bare = write_spec("extends: base.yaml\ntrain: {optimizer: rmsprop}\n", "bare.yaml")
    assert load_spec(bare).spec.train.optimizer.kind == "rmsprop"


def test_lists_replace_whole(write_spec):
    write_spec(BASE, "base.yaml")
    child = write_spec("""
        extends: base.yaml
        train:
          metrics: [accuracy, auc]
        model:
          layers:
            - dense: {units: 3, activation: softmax}
        """, "child.yaml")
    spec = load_spec(child).spec
    assert [m.kind for m in spec.train.metrics] == ["accuracy", "auc"]
    assert len(spec.model.layers) == 1 and spec.model.layers[0].units == 3


def test_unset_deletes_inherited_keys_and_list_items(write_spec):
    write_spec(BASE, "base.yaml")
    child = write_spec("""
        extends: base.yaml
        unset:
          - train.callbacks
          - train.epochs
          - model.layers[1]
        """, "child.yaml")
    spec = load_spec(child).spec
    assert spec.train.callbacks == []
    assert spec.train.epochs == 10  # the schema's default again
    assert [e.kind for e in spec.model.layers] == ["dense", "dense"]
    assert spec.model.layers[1].name == "out"


def test_unset_of_a_missing_key_suggests(write_spec):
    write_spec(BASE, "base.yaml")
    child = write_spec("extends: base.yaml\nunset: [train.callbaks]\n", "child.yaml")
    with pytest.raises(SpecError) as err:
        load_spec(child)
    (p,) = err.value.problems
    assert p.position.file == str(child) and p.position.line == 2
    assert "did you mean 'callbacks'" in p.message


def test_unset_without_extends_is_an_error(write_spec):
    path = write_spec(BASE + "unset: [train.epochs]\n")
    with pytest.raises(SpecError, match="extends nothing"):
        load_spec(path)


def test_layers_by_name_changes_one_layer(write_spec):
    write_spec(BASE, "base.yaml")
    child = write_spec("""
        extends: base.yaml
        model:
          layers_by_name:
            h: {units: 32, activation: tanh}
        """, "child.yaml")
    spec = load_spec(child).spec
    h = spec.model.layers[0]
    assert (h.name, h.units, h.activation.kind) == ("h", 32, "tanh")
    assert [e.kind for e in spec.model.layers] == ["dense", "dropout", "dense"]
    assert spec.model.layers[2].units == 3


def test_layers_by_name_reaches_into_blocks(write_spec):
    path = write_spec("""
        kspec: 1
        name: blocks
        data: {source: {sklearn: iris}}
        model:
          input: [4]
          layers:
            - dense: {units: 8, activation: relu}
            - repeat:
                times: 2
                layers:
                  - residual:
                      layers:
                        - dense: {units: 8, activation: relu, name: inner}
            - dense: {units: 3, activation: softmax}
          layers_by_name:
            inner: {activation: tanh}
        train: {loss: sparse_categorical_crossentropy}
        """)
    spec = load_spec(path).spec
    inner = spec.model.layers[1].layers[0].layers[0]
    assert inner.name == "inner" and inner.activation.kind == "tanh" and inner.units == 8


def test_layers_by_name_unknown_name_suggests_and_points_at_the_line(write_spec):
    write_spec(BASE, "base.yaml")
    child = write_spec("""
        extends: base.yaml
        model:
          layers_by_name:
            hh: {units: 32}
        """, "child.yaml")
    with pytest.raises(SpecError) as err:
        load_spec(child)
    (p,) = err.value.problems
    assert (p.position.file, p.position.line) == (str(child), 4)
    assert "did you mean 'h'" in p.message and "out" in p.message


def test_layers_by_name_refuses_a_layer_kind(write_spec):
    write_spec(BASE, "base.yaml")
    child = write_spec("extends: base.yaml\nmodel:\n  layers_by_name:\n    h: {conv2d: {filters: 3}}\n",
                       "child.yaml")
    with pytest.raises(SpecError, match="changes the parameters of the dense layer"):
        load_spec(child)


def test_chains_of_three_files_in_two_folders(write_spec, tmp_path):
    (tmp_path / "shared").mkdir()
    write_spec(BASE, "shared/base.yaml")
    write_spec("""
        extends: base.yaml
        name: middle
        train: {epochs: 9}
        model:
          layers_by_name:
            h: {units: 24}
        """, "shared/middle.yaml")
    leaf = write_spec("""
        extends: shared/middle.yaml
        name: leaf
        train: {batch_size: 8}
        model:
          layers_by_name:
            out: {activation: sigmoid}
        """, "leaf.yaml")
    spec = load_spec(leaf).spec
    assert (spec.name, spec.train.epochs, spec.train.batch_size) == ("leaf", 9, 8)
    assert spec.model.layers[0].units == 24
    assert spec.model.layers[2].activation.kind == "sigmoid"


def test_extends_a_bundled_spec_by_name(write_spec):
    path = write_spec("extends: digits_cnn\nname: my_digits\ntrain: {epochs: 2}\n")
    mine = load_spec(path).spec
    bundled = load_spec("digits_cnn").spec
    assert mine.name == "my_digits" and mine.train.epochs == 2
    assert mine.model == bundled.model and mine.data == bundled.data


def test_unknown_bundled_name_suggests(write_spec):
    path = write_spec("extends: digits_cn\n")
    with pytest.raises(SpecError, match="did you mean 'digits_cnn'"):
        load_spec(path)


def test_missing_base_file_is_reported_at_the_extends_line(write_spec):
    path = write_spec("name: x\nextends: nowhere/base.yaml\n")
    with pytest.raises(SpecError) as err:
        load_spec(path)
    (p,) = err.value.problems
    assert (p.position.file, p.position.line) == (str(path), 2)
    assert "no file" in p.message


def test_cycles_are_reported(write_spec):
    write_spec("extends: b.yaml\nname: a\n", "a.yaml")
    write_spec("extends: c.yaml\nname: b\n", "b.yaml")
    c = write_spec("extends: a.yaml\nname: c\n", "c.yaml")
    with pytest.raises(SpecError) as err:
        load_spec(c)
    (p,) = err.value.problems
    assert "cycle" in p.message
    assert re.search(r"c\.yaml -> a\.yaml -> b\.yaml -> c\.yaml", p.message)
    me = write_spec("extends: self.yaml\n", "self.yaml")
    with pytest.raises(SpecError, match="cycle"):
        load_spec(me)


# ---- every error in a merged spec names the file and line its value came from -------

def test_errors_point_into_the_file_each_value_came_from(write_spec, cli):
    base = write_spec(BASE.replace("epochs: 5", "epochs: 0"), "base.yaml")
    child = write_spec("""
        extends: base.yaml
        name: child
        model:
          layers_by_name:
            out: {activaton: softmax}
        train:
          batch_size: many
        """, "child.yaml")
    result = cli("validate", child)
    assert result.exit_code == 1
    lines = sorted(result.stderr.strip().splitlines())
    base_lines = BASE.lstrip("\n").splitlines()
    epochs_line = next(i for i, ln in enumerate(base_lines, 1) if "epochs" in ln)
    assert lines == sorted([
        f"{base}:{epochs_line}:3: train.epochs: must be greater than or equal to 1, got 0",
        f"{child}:5:11: model.layers[2].dense.activaton: unknown key 'activaton'; "
        "did you mean 'activation'?",
        f"{child}:7:3: train.batch_size: expected a whole number, got 'many'",
    ])


def test_graph_errors_in_inherited_layers_point_to_the_base(write_spec):
    base = write_spec(BASE.replace("- dense: {units: 16, activation: relu, name: h}",
                                   "- dense: {units: 16, activation: relu, name: h, inputs: nowhere}"),
                      "base.yaml")
    child = write_spec("extends: base.yaml\nname: c\n", "child.yaml")
    with pytest.raises(SpecError) as err:
        load_spec(child)
    (p,) = err.value.problems
    assert p.position.file == str(base) and p.position.line == 9


def test_layers_by_name_in_a_multi_network_spec(write_spec):
    path = write_spec("""
        extends: digits_vae
        name: smaller_vae
        models:
          encoder:
            layers_by_name:
              h: {units: 32}
        """)
    spec = load_spec(path).spec
    h = next(layer for layer in spec.models["encoder"].layers if layer.name == "h")
    assert h.units == 32
    assert spec.models["decoder"] == load_spec("digits_vae").spec.models["decoder"]
