"""The lectures' table as lint: loss vs last activation vs width vs labels."""
from __future__ import annotations

import pytest

from builder.spec.load import parse_spec
from builder.core.problems import SpecError
from builder.spec.yamlpos import PositionMap


def spec(source, last, loss, preprocess=(), metrics=()):
    return {"name": "t", "data": {"source": {"sklearn": source}, "preprocess": list(preprocess)},
            "model": {"input": [{"breast_cancer": 30, "digits": 64, "iris": 4,
                                 "diabetes": 10}[source]],
                      "layers": [{"dense": 8}, {"dense": last}]},
            "train": {"loss": loss, "metrics": list(metrics)}}


def check(data):
    """-> (errors, warnings) as lists of messages."""
    try:
        loaded = parse_spec(data, PositionMap("t.yaml"))
    except SpecError as exc:
        return ([p.message for p in exc.problems if p.severity == "error"],
                [p.message for p in exc.problems if p.severity == "warning"])
    return [], [p.message for p in loaded.warnings]


@pytest.mark.parametrize("source, last, loss, pre", [
    ("breast_cancer", {"units": 1, "activation": "sigmoid"}, "binary_crossentropy", []),
    ("breast_cancer", {"units": 1}, {"binary_crossentropy": {"from_logits": True}}, []),
    ("digits", {"units": 10, "activation": "softmax"}, "sparse_categorical_crossentropy", []),
    ("iris", {"units": 3, "activation": "softmax"}, "categorical_crossentropy", ["one_hot"]),
    ("iris", {"units": 3, "activation": "softmax"}, "kl_divergence", ["one_hot"]),
    ("diabetes", {"units": 1}, "mse", []), ("diabetes", {"units": 1}, "mae", []),
    ("diabetes", {"units": 1}, "msle", []),
])
def test_the_lecture_table_passes_clean(source, last, loss, pre):
    assert check(spec(source, last, loss, pre)) == ([], [])


@pytest.mark.parametrize("source, last, loss, pre, words", [
    ("digits", {"units": 10, "activation": "softmax"}, "categorical_crossentropy", [],
     "needs one-hot labels"),
    ("iris", {"units": 3, "activation": "softmax"}, "sparse_categorical_crossentropy", ["one_hot"],
     "needs integer class ids"),
    ("digits", {"units": 8, "activation": "softmax"}, "sparse_categorical_crossentropy", [],
     "use units: 10"),
    ("breast_cancer", {"units": 2, "activation": "sigmoid"}, "binary_crossentropy", [],
     "needs one output unit"),
    ("digits", {"units": 1, "activation": "sigmoid"}, "binary_crossentropy", [],
     "is for two classes"),
    ("diabetes", {"units": 3}, "mse", [], "use units: 1"),
    ("diabetes", {"units": 1, "activation": "sigmoid"}, "binary_crossentropy", [],
     "target is continuous"),
])
def test_combinations_that_cannot_work_are_errors(source, last, loss, pre, words):
    errors, _ = check(spec(source, last, loss, pre))
    assert any(words in e for e in errors), errors


@pytest.mark.parametrize("source, last, loss, pre, metrics, words", [
    ("breast_cancer", {"units": 1}, "binary_crossentropy", [], [], "from_logits: true"),
    ("breast_cancer", {"units": 1, "activation": "sigmoid"},
     {"binary_crossentropy": {"from_logits": True}}, [], [], "expects raw scores"),
    ("iris", {"units": 3, "activation": "sigmoid"}, "categorical_crossentropy", ["one_hot"], [],
     "wants softmax"),
    ("diabetes", {"units": 1, "activation": "sigmoid"}, "mse", [], [], "wants a linear output"),
    ("diabetes", {"units": 1}, "mse", [], ["accuracy"], "accuracy means nothing"),
    ("digits", {"units": 10}, "mse", [], [], "labels are class ids"),
])
def test_doubtful_combinations_are_warnings(source, last, loss, pre, metrics, words):
    errors, warnings = check(spec(source, last, loss, pre, metrics))
    assert errors == []
    assert any(words in w for w in warnings), warnings
