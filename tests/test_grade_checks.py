"""The cheap checks, one condition at a time, on real specs (no Keras, no training):
spec paths and values, lint, layer counts and patterns, partial credit; reading
untrusted submissions; the similarity ranking; the scoring metrics."""
from __future__ import annotations

import textwrap

import numpy as np
import pytest

from builder.grade import similarity
from builder.spec import paths
from builder.grade.fingerprint import structure, training_key
from builder.grade.metrics import score
from builder.grade.phases import graph_facts
from builder.grade.rubric import Check
from builder.grade.static_checks import graph_check, lint_check, match_pattern, spec_check
from builder.grade.submission import (Rejected, check_data_paths, find_submissions,
                                      read_spec)
from builder.spec.load import parse_spec
from builder.core.limits import MAX_VALUES
from builder.core.problems import SpecError
from builder.spec.yamlpos import load_yaml

CNN = """
kspec: 1
name: cnn
seed: 3
data:
  source: {sklearn: digits}
  preprocess: [{scale: 16}, {reshape: [8, 8, 1]}]
model:
  input: [8, 8, 1]
  layers:
    - conv2d: {filters: 8, kernel_size: 3, padding: same, activation: relu, name: c1}
    - max_pooling2d: 2
    - conv2d: {filters: 8, kernel_size: 3, padding: same, activation: relu, name: c2}
    - flatten
    - dense: {units: 16, activation: relu}
    - dropout: 0.2
    - dense: {units: 10, activation: softmax, name: out}
train:
  loss: sparse_categorical_crossentropy
  optimizer: {adam: {learning_rate: 0.003}}
  metrics: [accuracy]
  epochs: 5
"""


def loaded(text=CNN, file="s.yaml"):
    data, positions = load_yaml(textwrap.dedent(text), file)
    return parse_spec(data, positions, None, check=False)


def check(kind, body, **extra):
    return Check.model_validate({"name": "c", "points": 2, kind: body, **extra})


def test_spec_paths_resolve_entries_lists_and_params():
    spec = loaded().spec

    def get(text):
        return [paths.plain(v) for v in paths.resolve(spec, paths.parse(text))]

    assert get("train.optimizer") == ["adam"]
    assert get("train.optimizer.learning_rate") == [0.003]
    assert get("train.optimizer.adam.learning_rate") == [0.003]
    assert get("train.optimizer.sgd.momentum") == [paths.MISSING]
    units = get("model.layers[*].dense.units")
    assert [v for v in units if v is not paths.MISSING] == [16, 10]
    assert get("model.layers[0].conv2d.filters") == [8]


def test_spec_check_conditions_and_partial_credit():
    spec = loaded().spec
    body = {"require": ["train.metrics"], "forbid": ["train.callbacks"],
            "allowed": {"train.optimizer": ["adam", "rmsprop"]},
            "equals": {"train.loss": "sparse_categorical_crossentropy"},
            "between": {"train.optimizer.learning_rate": [1e-4, 1e-2],
                        "model.layers[*].dense.units": {"max": 12}}}
    whole = spec_check(check("spec", body), spec)
    assert whole.score == 0  # one condition fails: all or nothing
    assert "failed: model.layers[*].dense.units is 16, 10" in whole.found
    assert "passed: train.optimizer is adam" in whole.found
    partial = spec_check(check("spec", body, partial=True), spec)
    assert partial.score == round(2 * 5 / 6, 2)
    # expected values are kept apart: students see them only with show_expected
    assert "expected: model.layers[*].dense.units: at most 12" in whole.expected
    assert "at most 12" not in whole.student_text()
    shown = spec_check(check("spec", body, show_expected=True), spec)
    assert "at most 12" in shown.student_text()


def test_lint_check_fails_on_errors_and_optionally_on_warnings():
    wrong = CNN.replace("loss: sparse_categorical_crossentropy", "loss: binary_crossentropy")
    from builder.spec.check import check_spec
    lw = loaded(wrong)
    report = check_spec(lw.spec)
    lw.positions.place(report.problems)
    outcome = lint_check(check("lint", {}), report.problems)
    assert outcome.score == 0
    assert any("s.yaml:" in line and "binary_crossentropy is for two classes" in line
               for line in outcome.found[0].splitlines())
    logits = CNN.replace("activation: softmax, name: out", "name: out")  # raw scores: a warning
    lo = loaded(logits)
    report = check_spec(lo.spec)
    assert report.warnings and not report.errors
    assert lint_check(check("lint", {}), report.problems).score == 2
    assert lint_check(check("lint", {"warnings": True}), report.problems).score == 0


def test_graph_check_counts_pattern_and_final_activation():
    facts, why = graph_facts(loaded())
    assert why is None
    assert facts.kinds == ["conv2d", "max_pooling2d", "conv2d", "flatten", "dense", "dropout",
                           "dense"]
    body = {"count": {"conv": {"min": 2}, "pooling": 1, "dense": {"max": 1}},
            "pattern": ["conv2d", "...", "pooling", "...", "dense"],
            "final_activation": "softmax"}
    outcome = graph_check(check("graph", body, partial=True), facts)
    assert outcome.score == round(2 * 4 / 5, 2)
    assert "failed: the model has 2 dense layer(s)" in outcome.found
    bad = CNN.replace("max_pooling2d: 2", "max_pooling2d: 16")
    facts, why = graph_facts(loaded(bad))
    assert facts is None and "s.yaml:" in why
    assert graph_check(check("graph", body), None, why).found[0].startswith(
        "failed: the model cannot be built: s.yaml:")


@pytest.mark.parametrize("pattern, ok", [
    (["conv2d", "...", "dense"], True),
    (["...", "dense"], True),
    (["dense", "..."], False),  # anchored: the model starts with conv2d
    (["conv2d", "pooling", "conv2d", "...", "dense"], True),
    (["conv2d", "conv2d", "..."], False),
    (["..."], True),
])
def test_pattern_is_anchored_with_gaps(pattern, ok):
    kinds = ["conv2d", "max_pooling2d", "conv2d", "flatten", "dense"]
    assert match_pattern(pattern, kinds) is ok


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_submissions_are_files_or_folders(tmp_path):
    write(tmp_path / "ann.yaml", CNN)
    write(tmp_path / "ben" / "spec.yaml", CNN)
    write(tmp_path / "ben" / "notes.txt", "hi")
    write(tmp_path / "cat" / "a.yaml", CNN)
    write(tmp_path / "cat" / "b.yaml", CNN)
    write(tmp_path / "dan" / "readme.md", "no spec")
    write(tmp_path / "README.txt", "not a submission")
    subs = {s.student: s for s in find_submissions(tmp_path)}
    assert sorted(subs) == ["ann", "ben", "cat", "dan"]
    assert subs["ben"].spec.name == "spec.yaml" and subs["ben"].display == "ben/spec.yaml"
    assert "2 .yaml files" in subs["cat"].problem
    assert "no .yaml spec" in subs["dan"].problem
    digest = subs["ben"].digest()
    write(tmp_path / "ben" / "notes.txt", "changed")
    assert subs["ben"].digest() != digest


def test_untrusted_reading(tmp_path):
    subs_dir = tmp_path / "subs"
    write(subs_dir / "big.yaml", "# " + "x" * 3000 + "\n" + CNN)
    outside = write(tmp_path / "secret.yaml", CNN)
    (subs_dir / "link.yaml").symlink_to(outside)
    write(subs_dir / "ext.yaml", "extends: digits_cnn\nname: x\n")
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [" + ", ".join([f"*{p}"] * 10) + "]\n"
        for p, c in zip("abcdefg", "bcdefgh"))
    write(subs_dir / "bomb.yaml", bomb)
    subs = {s.student: s for s in find_submissions(subs_dir)}
    with pytest.raises(Rejected, match="under 2 KB"):
        read_spec(subs["big"], max_kb=2)
    with pytest.raises(Rejected, match="outside the submissions folder"):
        read_spec(subs["link"], max_kb=64)
    with pytest.raises(SpecError, match="self-contained"):
        read_spec(subs["ext"], max_kb=64)
    # the limit's value and spelling live in builder/core/limits.py (issue 17 moved it)
    with pytest.raises(SpecError, match=f"more than {MAX_VALUES:,} values"):
        read_spec(subs["bomb"], max_kb=64)


@pytest.mark.parametrize("source, ok", [
    ("{sklearn: digits}", True),
    ("{csv: {path: data/train.csv, target: y}}", True),
    ("{csv: {path: ../../etc/passwd, target: y}}", False),
    ("{csv: {path: /etc/passwd, target: y}}", False),
    ("{npz: {path: ~/private.npz}}", False),
    ("{image_folder: {path: 'data/../../..', image_size: [8, 8]}}", False),
])
def test_data_paths_stay_in_the_assignment_folder(tmp_path, source, ok):
    text = CNN.replace("source: {sklearn: digits}", f"source: {source}")
    data, positions = load_yaml(textwrap.dedent(text), "s.yaml")
    if ok:
        check_data_paths(data, positions, tmp_path)
    else:
        with pytest.raises(Rejected, match=r"s\.yaml:\d+:\d+: data\.source.* leads outside"):
            check_data_paths(data, positions, tmp_path)


def test_training_key_ignores_names_not_models():
    base = loaded().spec
    renamed = loaded(CNN.replace("name: c1", "name: first").replace("name: cnn", "name: z")).spec
    other = loaded(CNN.replace("units: 16", "units: 17")).spec
    longer = loaded(CNN.replace("epochs: 5", "epochs: 50")).spec
    assert training_key(base, 0, 5) == training_key(renamed, 0, 5)
    assert training_key(base, 0, 5) != training_key(other, 0, 5)
    assert training_key(base, 0, 5) == training_key(longer, 0, 5)  # both capped at 5 epochs
    assert training_key(base, 0, 5) != training_key(base, 1, 5)


STARTER = """
kspec: 1
name: starter
data:
  source: {sklearn: digits}
  preprocess: [{scale: 16}, {reshape: [8, 8, 1]}]
model:
  input: [8, 8, 1]
  layers:
    - flatten
    - dense: {units: 10, activation: softmax}
train:
  loss: sparse_categorical_crossentropy
  epochs: 5
"""


def st(text):
    lo = loaded(text)
    return structure(lo.spec, lo.raw.get("data"))


def test_similarity_puts_renamed_copies_first_and_ignores_the_starter():
    starter = st(STARTER)
    copy = CNN.replace("name: c1", "name: features").replace("name: c2", "name: more") \
        .replace("name: out", "name: classes").replace("name: cnn", "name: mine")
    other = CNN.replace("filters: 8, kernel_size: 3, padding: same, activation: relu, name: c2",
                        "filters: 32, kernel_size: 3, activation: relu") \
        .replace("units: 16", "units: 64").replace("learning_rate: 0.003", "learning_rate: 0.01")
    structures = {"orig": st(CNN), "copy": st(copy), "other": st(other),
                  "kept1": st(STARTER.replace("name: starter", "name: a")),
                  "kept2": st(STARTER.replace("name: starter", "name: b")), "broken": None}
    pairs = similarity.rank(structures, starter)
    assert {pairs[0].a, pairs[0].b} == {"copy", "orig"}
    assert pairs[0].layer_distance == 0 and pairs[0].similarity > 0.8
    kept = next(p for p in pairs if {p.a, p.b} == {"kept1", "kept2"})
    assert kept.similarity == 0  # both handed in the starter: nothing in common beyond it
    assert all("broken" not in (p.a, p.b) for p in pairs)
    text = "\n".join(similarity.summary(pairs))
    assert "review" in text and "plagiarism" not in text
    csv_text = similarity.to_csv(pairs)
    assert csv_text.splitlines()[1].startswith(("copy,orig,", "orig,copy,"))


def test_scoring_metrics():
    y = np.array([0, 1, 2, 1])
    probs = np.eye(3)[[0, 1, 1, 1]]
    assert score("accuracy", y, probs) == 0.75
    assert score("accuracy", np.eye(3)[y], probs) == 0.75  # one-hot targets
    sigmoid = np.array([[0.2], [0.9], [0.4]])
    assert score("accuracy", np.array([0, 1, 1]), sigmoid) == pytest.approx(2 / 3)
    assert score("accuracy", np.array([0, 1]), np.array([[-1.0], [2.0]]), from_logits=True) == 1
    t, p = np.array([1.0, 2.0, 3.0]), np.array([[1.0], [2.0], [5.0]])
    assert score("mae", t, p) == pytest.approx(2 / 3)
    assert score("rmse", t, p) == pytest.approx(np.sqrt(4 / 3))
    assert score("r2", t, t.reshape(-1, 1)) == 1.0
    with pytest.raises(ValueError, match="predicts 3 value"):
        score("mse", t, np.ones((3, 3)))
