"""`kspec export` and `kspec fingerprint`: one self-contained file whose fingerprint
stays the same for specs that mean the same and changes with any change of meaning."""
from __future__ import annotations

import re

import pytest
import yaml

from builder.share.canonical import canonical_spec, export_text, fingerprint
from builder.spec.library import bundled
from builder.spec.load import load_spec

SPEC = """
# a comment that does not count
kspec: 1
name: fp
description: first wording
data:
  source: {sklearn: iris}
  preprocess: [standardize]
model:
  input: [4]
  layers:
    - dense: {units: 8, activation: relu}
    - dropout: 0.2
    - dense: 3
    - softmax
train:
  loss: sparse_categorical_crossentropy
  optimizer: {adam: {learning_rate: 0.01}}
  metrics: [accuracy]
  epochs: 4
"""

# the same spec: other comments and key order, shorthand opened up, defaults written
# out (also Keras' defaults inside catalog entries), aliases for names
SAME = """
kspec: 1
description: second wording, which is prose like a comment
name: fp   # same name
seed: 42
task: supervised
train:
  epochs: 4
  metrics: [acc]
  optimizer:
    adam: {beta_1: 0.9, learning_rate: 0.01, amsgrad: false}
  loss: {scce: {from_logits: false}}
  batch_size: 32
  callbacks: []
model:
  layers:
    - dense: {activation: relu, units: 8, use_bias: true, kernel_initializer: glorot_uniform}
    - dropout: {rate: 0.2}
    - dense: {units: 3, activation: null, trainable: true}
    - softmax: {axis: -1}
  input: [4]
data:
  preprocess: [standardize]
  source: {sklearn: {name: iris}}
"""

CHANGES = [  # each one changes what the spec builds or trains
    "train.epochs=5", "train.optimizer.adam.learning_rate=0.02", "train.optimizer=sgd",
    "model.layers[0].dense.units=9", "model.layers[0].dense.activation=tanh",
    "model.layers[1].dropout.rate=0.3", "model.layers[2].dense.use_bias=false",
    "model.layers[0].dense.name=hidden", "seed=1", "name=fp2", "train.shuffle=false",
    "data.preprocess=[]", "train.metrics=[accuracy, auc]", "train.batch_size=16",
    "data.split.validation=0.1", "model.layers[0].dense.kernel_initializer=he_normal",
]


@pytest.fixture
def specs(write_spec):
    return write_spec(SPEC, "a.yaml"), write_spec(SAME, "b.yaml")


def test_comments_order_shorthand_and_defaults_do_not_count(specs):
    a, b = (load_spec(p).spec for p in specs)
    assert fingerprint(a) == fingerprint(b)
    assert re.fullmatch(r"sha256:[0-9a-f]{16}", fingerprint(a))


def test_every_semantic_change_changes_it(specs):
    base = fingerprint(load_spec(specs[0]).spec)
    seen = {base}
    for change in CHANGES:
        fp = fingerprint(load_spec(specs[0], [change]).spec)
        assert fp not in seen, change
        seen.add(fp)


def test_hand_set_weights_count_as_numbers(write_spec):
    text = SPEC.replace("- dense: 3", "- dense: {units: 3, weights: {bias: [0, 1, 0]}}")
    floats = text.replace("[0, 1, 0]", "[0.0, 1.0, 0.0]")
    other = text.replace("[0, 1, 0]", "[0, 2, 0]")
    fps = [fingerprint(load_spec(write_spec(t, f"w{i}.yaml")).spec)
           for i, t in enumerate((text, floats, other))]
    assert fps[0] == fps[1] != fps[2]


def test_export_is_self_contained_and_keeps_the_fingerprint(write_spec, cli, tmp_path):
    base = write_spec(SPEC, "base.yaml")
    child = write_spec("extends: base.yaml\nname: child\ntrain: {epochs: 9}\n", "child.yaml")
    out = tmp_path / "out" / "exported.yaml"
    result = cli("export", child, "-o", out)
    assert result.exit_code == 0, result.stderr
    text = out.read_text()
    assert text.startswith("# yaml-language-server: $schema=")  # editors check it too
    header = text.splitlines()[:4]
    loaded = load_spec(child)
    assert any(f"fingerprint: {fingerprint(loaded.spec)}" in h for h in header)
    assert any("kspec 0.1.0" in h for h in header)
    data = yaml.safe_load(text)
    assert "extends" not in data and data["train"]["epochs"] == 9
    # every default is written out, in the schema's order
    assert list(data) == ["kspec", "name", "description", "lectures", "seed", "task", "data",
                          "model", "train"]
    assert data["train"]["batch_size"] == 32 and data["train"]["optimizer"]["adam"]["beta_2"] == 0.999
    assert data["model"]["layers"][2] == {"dense": {
        "units": 3, "use_bias": True, "kernel_initializer": "glorot_uniform",
        "bias_initializer": "zeros", "trainable": True}}
    base.unlink()  # self-contained: it no longer needs the file it extended
    again = load_spec(out)
    assert fingerprint(again.spec) == fingerprint(loaded.spec)
    assert canonical_spec(again.spec) == canonical_spec(loaded.spec)


def test_fingerprint_command_prints_one_line_per_spec(specs, cli):
    result = cli("fingerprint", *specs)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and lines[0].split()[0] == lines[1].split()[0]


@pytest.mark.parametrize("name", sorted(bundled()))
def test_every_bundled_spec_exports_and_reloads_to_the_same_fingerprint(name, tmp_path):
    loaded = load_spec(name)
    path = tmp_path / f"{name}.yaml"
    path.write_text(export_text(loaded))
    assert fingerprint(load_spec(path).spec) == fingerprint(loaded.spec)
