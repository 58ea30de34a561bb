"""The trained checks' metrics agree with scikit-learn's on the shapes a model
predicts (softmax rows, one sigmoid per example, logits) and targets come in (class
ids, one-hot), and a rubric may score any of them."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as sk

from builder.grade.metrics import per_class_accuracy, score
from builder.grade.rubric import METRICS, Check, TrainCheck

rng = np.random.default_rng(0)


def softmax_case(classes=4, n=300):
    truth = rng.integers(0, classes, n)
    logits = rng.normal(size=(n, classes)) + 1.5 * np.eye(classes)[truth]
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return truth, probs


@pytest.mark.parametrize("one_hot", [False, True])
def test_multiclass_metrics_match_scikit_learn(one_hot):
    truth, probs = softmax_case()
    y = np.eye(4)[truth] if one_hot else truth
    predicted = probs.argmax(axis=1)
    expected = {
        "accuracy": sk.accuracy_score(truth, predicted),
        "f1": sk.f1_score(truth, predicted, average="macro"),
        "f1_micro": sk.f1_score(truth, predicted, average="micro"),
        "precision": sk.precision_score(truth, predicted, average="macro"),
        "recall": sk.recall_score(truth, predicted, average="macro"),
        "balanced_accuracy": sk.balanced_accuracy_score(truth, predicted),
        "auc": sk.roc_auc_score(truth, probs, multi_class="ovr", average="macro"),
    }
    for metric, value in expected.items():
        assert score(metric, y, probs) == pytest.approx(value, abs=1e-9), metric
    recalls = sk.recall_score(truth, predicted, average=None)
    assert list(per_class_accuracy(y, probs).values()) == pytest.approx(list(recalls))
    assert score("min_class_accuracy", y, probs) == pytest.approx(min(recalls))


def test_binary_metrics_from_one_probability_or_logit():
    truth = rng.integers(0, 2, 400)
    logit = rng.normal(size=400) + 1.2 * (2 * truth - 1)
    logit[:40] = np.round(logit[:40])  # ties: they share their rank
    prob = 1 / (1 + np.exp(-logit))
    predicted = (prob > 0.5).astype(int)
    assert score("auc", truth, prob[:, None]) == pytest.approx(sk.roc_auc_score(truth, prob))
    assert score("auc", truth, logit, from_logits=True) == \
        pytest.approx(sk.roc_auc_score(truth, logit))
    for metric, fn in (("f1", sk.f1_score), ("precision", sk.precision_score),
                       ("recall", sk.recall_score)):
        assert score(metric, truth, prob) == pytest.approx(fn(truth, predicted,
                                                              average="macro")), metric
    assert score("accuracy", truth, logit, from_logits=True) == \
        pytest.approx(np.mean((logit > 0) == truth))


def test_a_class_never_predicted_counts_zero_and_auc_needs_both_classes():
    truth = np.array([0, 0, 1, 1, 2, 2])
    probs = np.eye(3)[[0, 0, 1, 1, 1, 1]]  # class 2 never predicted
    assert score("f1", truth, probs) == pytest.approx(
        sk.f1_score(truth, probs.argmax(1), average="macro", zero_division=0))
    assert score("min_class_accuracy", truth, probs) == 0
    with pytest.raises(ValueError, match="both classes"):
        score("auc", np.zeros(5, int), np.linspace(0, 1, 5))


def test_every_metric_can_be_scored_by_a_rubric():
    for metric, higher in METRICS.items():
        floor, target = (0.5, 0.9) if higher else (0.9, 0.5)
        check = TrainCheck(metric=metric, floor=floor, target=target)
        assert check.credit(target) == 1 and check.credit(floor) == 0
    truth, probs = softmax_case()
    for metric in METRICS:
        y = truth if metric not in ("r2", "mae", "mse", "rmse") else np.eye(4)[truth]
        assert np.isfinite(score(metric, y, probs)), metric


def test_multiclass_auc_from_logits_ranks_the_probabilities():
    truth, probs = softmax_case(classes=3)
    logits = np.log(probs) + rng.normal(size=(len(probs), 1)) * 3  # same softmax, other logits
    expected = sk.roc_auc_score(truth, probs, multi_class="ovr")
    assert score("auc", truth, logits, from_logits=True) == pytest.approx(expected)


def test_per_class_accuracy_is_shown_with_balanced_metrics():
    from builder.grade.score import trained_outcome
    check = Check.model_validate({"name": "balanced", "points": 2, "train": {
        "metric": "min_class_accuracy", "floor": 0.5, "target": 0.9}})
    plan = {"key": "k", "seeds": [0], "epochs": 3, "asked_epochs": 3}
    run = {"values": {"min_class_accuracy": 0.7}, "epochs_run": 3, "stopped_for_time": False,
           "per_class": {"0": 0.95, "1": 0.7}}
    o = trained_outcome(check, None, plan, {"status": "ok", "runs": [run]})
    assert o.score == 1 and o.value == 0.7
    assert o.found == ["test min_class_accuracy 0.7000 after 3 epoch(s): partial credit (50%)",
                       "test accuracy of each class: 0: 0.95, 1: 0.70"]
