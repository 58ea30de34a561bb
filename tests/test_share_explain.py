"""`kspec explain`: per layer, how the output shape and parameter count arise, with
the numbers filled in as the lectures count them, and every count equal to Keras'."""
from __future__ import annotations

from pathlib import Path

import pytest

from builder.build.model import build_models
from builder.share.explain import explain_plan, keras_counts
from builder.spec.library import bundled
from builder.spec.load import load_spec

FIXTURES = Path(__file__).parent / "fixtures" / "share"
SPECS = sorted(bundled()) + sorted(str(p) for p in FIXTURES.glob("zoo_*.yaml"))

LECTURE = """
kspec: 1
name: lecture_counts
data:
  source: {synthetic: {type: images, shape: [28, 28, 1], n: 20, classes: 3}}
model:
  input: [28, 28, 1]
  layers:
    - conv2d: {filters: 6, kernel_size: 5, activation: tanh}
    - average_pooling2d: 2
    - conv2d: {filters: 16, kernel_size: 5, strides: 2, padding: same}
    - flatten
    - dense: {units: 4, activation: relu}
    - dense: {units: 3, activation: softmax}
train:
  loss: sparse_categorical_crossentropy
"""


def test_the_lectures_arithmetic_with_numbers_filled_in(write_spec, cli):
    result = cli("explain", write_spec(LECTURE))
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    for text in ["conv2d: (28, 28, 1) -> (24, 24, 6)",
                 "28 - 5 + 1 = 24 per side",
                 "params: (5 x 5 x 1 + 1) x 6 = 156",
                 "floor((24 - 2) / 2) + 1 = 12 per side",
                 "ceil(12 / 2) = 6 (padding same) per side",
                 "params: (5 x 5 x 6 + 1) x 16 = 2,416",
                 "6 x 6 x 16 = 576",
                 "params: (576 inputs + 1 bias) x 4 units = 2,308",
                 "dense_1: (4,) -> (3,)",
                 "params: (4 inputs + 1 bias) x 3 units = 15",
                 "total: 156 + 2,416 + 2,308 + 15 = 4,895 parameters"]:
        assert text in out, (text, out)
    assert "Keras counts" not in out.replace("as Keras counts them", "")


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: Path(s).stem)
def test_every_formula_agrees_with_keras(spec):
    loaded = load_spec(spec)
    for role, (model, plan) in build_models(loaded).items():
        counts = keras_counts(model, plan)
        formulas = {line.name: line.params for line in explain_plan(plan)}
        for line in explain_plan(plan, model):
            keras = counts[line.name]
            assert line.params is not None or keras == 0, \
                f"{role}.{line.name} ({line.kind}) has {keras} weights but no formula"
            if line.params is not None:
                assert line.params == keras, f"{role}.{line.name}: {line.params_text}"
            if line.params:
                assert line.params_text, f"{role}.{line.name}: a count without its formula"
            if formulas[line.name] is not None:  # kspec's own arithmetic, not Keras' variables
                assert formulas[line.name] == keras, f"{role}.{line.name}: {line.params_text}"


def test_core_layers_all_have_a_formula():
    """Every weighted layer of the fixtures (the lectures' layers) is counted by kspec's
    own arithmetic, not only read back from Keras."""
    for path in FIXTURES.glob("zoo_*.yaml"):
        model, plan = build_models(load_spec(path))["model"]
        counts = keras_counts(model, plan)
        missing = [line.name for line in explain_plan(plan)
                   if line.params is None and counts[line.name]]
        assert not missing, (path.name, missing)
