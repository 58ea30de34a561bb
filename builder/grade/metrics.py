"""The metrics a `train` or `model` check scores, computed from predictions with
numpy, the same way for every submission (whatever metrics the student chose)."""
from __future__ import annotations

import numpy as np


def score(metric: str, y_true, y_pred, from_logits: bool = False) -> float:
    if isinstance(y_pred, (list, tuple, dict)):
        raise ValueError("the model has several outputs; these checks score one")
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if metric == "accuracy":
        return accuracy(y_true, y_pred, from_logits)
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


def accuracy(y_true, y_pred, from_logits: bool = False) -> float:
    """Class ids or one-hot targets; softmax/logit rows (argmax) or one probability
    or logit per example (thresholded at 0.5, or 0 for logits)."""
    pred = y_pred.reshape(len(y_pred), -1)
    if pred.shape[1] > 1:
        predicted = pred.argmax(axis=1)
    else:
        predicted = (pred[:, 0] > (0.0 if from_logits else 0.5)).astype(int)
    truth = y_true.argmax(axis=1) if y_true.ndim == 2 and y_true.shape[1] > 1 else \
        y_true.reshape(len(y_true)).astype(int)
    return float(np.mean(predicted == truth))
