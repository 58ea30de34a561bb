"""`kspec diff A B`: changed fields old -> new, layers added/removed/changed by name
or position, and the change in parameter count (as Keras counts)."""
from __future__ import annotations

from builder.share.diff import diff_text
from builder.spec.load import load_spec

from test_compose_extends import BASE


def lines_of(text):
    return [ln.strip() for ln in text.splitlines()]


def test_same_meaning_shows_no_difference(write_spec):
    a = write_spec(BASE, "a.yaml")
    b = write_spec(BASE.replace("- dropout: 0.2", "- dropout: {rate: 0.2}  # same") + "\n# c\n",
                   "b.yaml")
    text = diff_text(load_spec(a), load_spec(b), counts=False)
    assert "no semantic differences" in text


def test_fields_layers_and_parameters(write_spec, cli):
    a = write_spec(BASE, "a.yaml")
    b = write_spec("""
        extends: a.yaml
        name: b
        unset: [model.layers.1]
        model:
          layers_by_name:
            h: {units: 32, activation: tanh}
        train:
          optimizer: {sgd: {momentum: 0.9}}
          epochs: 9
          callbacks: []
        """, "b.yaml")
    result = cli("diff", a, b)
    assert result.exit_code == 0, result.stderr
    got = lines_of(result.stdout)
    # (4 + 1) * 16 + (16 + 1) * 3 = 131 -> (4 + 1) * 32 + (32 + 1) * 3 = 259
    for line in ["name: base -> b",
                 "model.layers['h'].dense.units: 16 -> 32",
                 "model.layers['h'].dense.activation: relu -> tanh",
                 "- model.layers[1]: {dropout: 0.2}",
                 "train.optimizer: {adam: {learning_rate: 0.01, beta_1: 0.8}} -> {sgd: {momentum: 0.9}}",
                 "train.epochs: 5 -> 9",
                 "train.callbacks: [{early_stopping: {patience: 3}}] -> []",
                 "parameters: 131 -> 259 (+128)"]:
        assert line in got, (line, got)
    assert not any("'out'" in ln for ln in got), got  # the unchanged layer is not listed


def test_unnamed_layers_align_by_position_and_kind(write_spec):
    a = write_spec(BASE, "a.yaml")
    b = write_spec(BASE.replace("- dropout: 0.2", "- dropout: 0.2\n    - batch_normalization")
                   .replace("- dense: {units: 3, activation: softmax, name: out}",
                            "- dense: {units: 3, activation: softmax, name: out, use_bias: false}"),
                   "b.yaml")
    got = lines_of(diff_text(load_spec(a), load_spec(b)))
    assert "+ model.layers[2]: batch_normalization" in got
    assert "model.layers['out'].dense.use_bias: true -> false" in got
    assert "parameters: 131 -> 192 (+61)" in got  # +4 x 16 batch norm, -3 biases
    assert len([ln for ln in got if ln.startswith(("+ ", "- ", "model"))]) == 2


def test_a_swapped_layer_kind_is_one_change(write_spec):
    a = write_spec(BASE, "a.yaml")
    b = write_spec(BASE.replace("- dropout: 0.2", "- gaussian_noise: 0.1"), "b.yaml")
    got = lines_of(diff_text(load_spec(a), load_spec(b), counts=False))
    assert "model.layers[1]: {dropout: 0.2} -> {gaussian_noise: 0.1}" in got
