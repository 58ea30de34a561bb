"""The metrics a `train` or `model` check scores, computed from predictions with
numpy, the same way for every submission (whatever metrics the student chose).

Classification metrics read class ids or one-hot targets and softmax/logit rows
(argmax) or one probability/logit per example (thresholded). F1, precision and
recall are macro averages over the classes that occur in the targets or the
predictions (a class never predicted counts 0, as scikit-learn's default does);
`f1_micro` equals accuracy for one label per example. AUC is the rank statistic
(Mann-Whitney), one-vs-rest and macro-averaged for more than two classes.
"""
from __future__ import annotations

import numpy as np

CLASSIFICATION = ("accuracy", "balanced_accuracy", "min_class_accuracy", "f1", "f1_micro",
                  "precision", "recall", "auc")


def score(metric: str, y_true, y_pred, from_logits: bool = False) -> float:
    if isinstance(y_pred, (list, tuple, dict)):
        raise ValueError("the model has several outputs; these checks score one")
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if metric in CLASSIFICATION:
        return classification(metric, y_true, y_pred, from_logits)
    y_true = y_true.reshape(len(y_true), -1).astype("float64")
    y_pred = y_pred.reshape(len(y_pred), -1).astype("float64")
    if y_true.shape != y_pred.shape:
        raise ValueError(f"the model predicts {y_pred.shape[1]} value(s) per example but the "
                         f"target has {y_true.shape[1]}")
    err = y_pred - y_true
    if metric == "mae":
        return float(np.mean(np.abs(err)))
    if metric == "mse":
        return float(np.mean(err ** 2))
    if metric == "rmse":
        return float(np.sqrt(np.mean(err ** 2)))
    if metric == "r2":
        total = np.sum((y_true - y_true.mean(axis=0)) ** 2)
        return float(1 - np.sum(err ** 2) / total) if total > 0 else 0.0
    raise ValueError(f"unknown metric {metric}")


def labels(y_true, y_pred, from_logits: bool = False):
    """(true class ids, predicted class ids, per-example scores: (n, k) or (n,))."""
    pred = np.asarray(y_pred, dtype="float64").reshape(len(y_pred), -1)
    if pred.shape[1] > 1:
        predicted = pred.argmax(axis=1)
        scores = pred
        if from_logits:  # one-vs-rest ranks need probabilities: a logit alone is not one
            shifted = np.exp(pred - pred.max(axis=1, keepdims=True))
            scores = shifted / shifted.sum(axis=1, keepdims=True)
    else:
        predicted = (pred[:, 0] > (0.0 if from_logits else 0.5)).astype(int)
        scores = pred[:, 0]
    y_true = np.asarray(y_true)
    truth = y_true.argmax(axis=1) if y_true.ndim == 2 and y_true.shape[1] > 1 else \
        y_true.reshape(len(y_true)).astype(int)
    return truth, predicted, scores


def accuracy(y_true, y_pred, from_logits: bool = False) -> float:
    truth, predicted, _ = labels(y_true, y_pred, from_logits)
    return float(np.mean(predicted == truth))


def per_class_accuracy(y_true, y_pred, from_logits: bool = False) -> dict[int, float]:
    """Class id -> the share of its test examples predicted right (its recall)."""
    truth, predicted, _ = labels(y_true, y_pred, from_logits)
    return {int(c): float(np.mean(predicted[truth == c] == c)) for c in np.unique(truth)}


def classification(metric: str, y_true, y_pred, from_logits: bool = False) -> float:
    truth, predicted, scores = labels(y_true, y_pred, from_logits)
    if metric in ("accuracy", "f1_micro"):
        return float(np.mean(predicted == truth))
    if metric == "auc":
        return auc(truth, scores)
    if metric in ("balanced_accuracy", "min_class_accuracy"):
        recalls = list(per_class_accuracy(y_true, y_pred, from_logits).values())
        return float(np.mean(recalls) if metric == "balanced_accuracy" else np.min(recalls))
    classes = np.union1d(truth, predicted)
    precision, recall, f1 = [], [], []
    for c in classes:
        tp = np.sum((predicted == c) & (truth == c))
        p = tp / max(1, np.sum(predicted == c))
        r = tp / max(1, np.sum(truth == c))
        precision.append(p)
        recall.append(r)
        f1.append(2 * p * r / (p + r) if p + r > 0 else 0.0)
    return float(np.mean({"precision": precision, "recall": recall, "f1": f1}[metric]))


def _ranks(values) -> np.ndarray:
    """1-based ranks, ties sharing their average rank."""
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values))
    sorted_values = values[order]
    start = 0
    for end in range(1, len(values) + 1):
        if end == len(values) or sorted_values[end] != sorted_values[start]:
            ranks[order[start:end]] = (start + end + 1) / 2
            start = end
    return ranks


def _binary_auc(positive, scores) -> float | None:
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = _ranks(scores)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def auc(truth, scores) -> float:
    """Area under the ROC curve: binary (one score per example, or two columns), or
    one-vs-rest macro over the classes with positives and negatives in the targets."""
    if scores.ndim == 1 or scores.shape[1] == 2:
        column = scores if scores.ndim == 1 else scores[:, 1]
        value = _binary_auc(truth == 1, column)
        if value is None:
            raise ValueError("AUC needs test examples of both classes")
        return value
    values = [v for c in range(scores.shape[1])
              if (v := _binary_auc(truth == c, scores[:, c])) is not None]
    if not values:
        raise ValueError("AUC needs test examples of at least two classes")
    return float(np.mean(values))
