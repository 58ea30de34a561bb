"""`model` checks: a student's own trained .keras file, loaded in Keras' safe mode
and scored on the teacher's hidden test split. A file with code in it (a Lambda
layer) is refused, never run."""
from __future__ import annotations

import json
import shutil
import textwrap

import pytest
from click.testing import CliRunner

from builder.grade.folder import grade_folder
from cli import main

SPEC = """
kspec: 1
name: mlp
seed: 1
data:
  source: {sklearn: digits}
  preprocess: [{scale: 16}]
  split: {validation: 0.1, test: 0.2}
model:
  input: [64]
  layers:
    - dense: {units: 32, activation: relu}
    - dense: {units: 10, activation: softmax}
train:
  loss: sparse_categorical_crossentropy
  optimizer: {adam: {learning_rate: 0.01}}
  epochs: 6
"""

RUBRIC = """
assignment: own-model
data:
  source: {sklearn: digits}
  preprocess: [{scale: 16}]
  split: {validation: 0.1, test: 0.3}
limits: {time: 60, memory: 2048}
checks:
  - name: valid
    points: 1
    lint: {}
  - name: model accuracy
    points: 3
    model: {metric: accuracy, floor: 0.5, target: 0.9}
"""


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A model trained the student's way: `kspec train`."""
    root = tmp_path_factory.mktemp("own")
    spec = write(root / "mlp.yaml", SPEC)
    result = CliRunner().invoke(main, ["train", str(spec), "--out", str(root / "run"), "-q"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return root / "run" / "model.keras"


def lambda_model(path):
    from builder.core.keras_env import keras
    k = keras()
    model = k.Sequential([k.Input((64,)), k.layers.Lambda(lambda x: x * 2.0),
                          k.layers.Dense(10, activation="softmax")])
    model.save(path)


def test_model_checks(tmp_path, trained):
    rubric = write(tmp_path / "rubric.yaml", RUBRIC)
    subs = tmp_path / "subs"
    write(subs / "good" / "spec.yaml", SPEC)
    shutil.copy(trained, subs / "good" / "model.keras")
    (subs / "onlymodel").mkdir()
    shutil.copy(trained, subs / "onlymodel" / "mine.keras")
    write(subs / "coder" / "spec.yaml", SPEC)
    lambda_model(subs / "coder" / "model.keras")
    write(subs / "twice" / "spec.yaml", SPEC)
    shutil.copy(trained, subs / "twice" / "a.keras")
    shutil.copy(trained, subs / "twice" / "b.keras")
    out = tmp_path / "out"
    graded = grade_folder(rubric, subs, out).graded
    by = {g.student: {o.name: o for o in g.outcomes} for g in graded}

    good = by["good"]["model accuracy"]
    assert good.score == 3, good.found  # a trained MLP beats 90% on digits
    assert good.found[0].startswith("test accuracy 0.9")
    only = by["onlymodel"]
    assert only["valid"].score == 0  # no spec: the spec checks fail ...
    assert only["model accuracy"].score == 3  # ... the model is still scored
    coder = by["coder"]["model accuracy"]
    assert coder.score == 0 and "cannot be loaded safely" in coder.found[0], coder.found
    assert "Lambda" in coder.found[0]
    assert "2 .keras files" in by["twice"]["model accuracy"].found[0]
    details = json.loads((out / "coder" / "details.json").read_text())
    assert details["status"] == "ok"  # refusing the file is a score, not a crash
