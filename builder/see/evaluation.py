"""What a run's report shows besides its saved files, worked out once at the end of
training (while the model and the data are at hand) and kept in evaluation.json:
a classifier's confusion matrix and per-class precision, recall and F1, the simple
baselines a model must beat (majority class, predicting the mean), and which
epoch's weights early stopping restored."""
from __future__ import annotations

import numpy as np

CLASSIFIERS = ("binary", "multiclass", "sparse_multiclass")
MAX_CLASSES = 30  # beyond this a confusion matrix is unreadable (a language model's vocabulary)
FILE = "evaluation.json"


def best_epoch(history: dict, spec) -> dict | None:
    """The epoch whose weights the run ended with (early stopping with
    restore_best_weights), or else the best epoch of the validation loss."""
    stopping = next((cb for cb in getattr(spec.train, "callbacks", None) or []
                     if cb.kind == "early_stopping"), None)
    monitor = stopping.monitor if stopping else ("val_loss" if "val_loss" in history else "loss")
    values = history.get(monitor)
    if not values:
        return None
    mode = stopping.mode if stopping else "auto"
    if mode == "auto":
        mode = "max" if any(w in monitor for w in ("acc", "auc", "precision", "recall")) else "min"
    pick = np.argmax if mode == "max" else np.argmin
    best = int(pick(np.asarray(values, dtype="float64")))  # the first of equal values
    planned = getattr(spec.train, "epochs", len(values))
    out = {"epoch": best + 1, "monitor": monitor, "value": float(values[best]),
           "epochs_run": len(values), "epochs_planned": planned,
           "early_stopping": bool(stopping), "restored": bool(stopping and
                                                              stopping.restore_best_weights)}
    return out


def early_stopping_line(best: dict | None) -> str | None:
    """What `kspec train` prints when early stopping ended or chose the weights."""
    if not best or not best["early_stopping"]:
        return None
    stopped = (f"stopped after epoch {best['epochs_run']} of {best['epochs_planned']}"
               if best["epochs_run"] < best["epochs_planned"] else
               f"ran all {best['epochs_run']} epochs")
    if best["restored"]:
        return (f"early stopping: {stopped}; weights restored from epoch {best['epoch']} "
                f"(best {best['monitor']} {best['value']:.4f}), so the metrics below are that "
                "epoch's, not the last epoch line's")
    return f"early stopping: {stopped}; the last epoch's weights are kept"


def classification(model, data, spec) -> dict | None:
    loss = spec.train.loss
    task = getattr(loss, "task", None)
    if task not in CLASSIFIERS or spec.task != "supervised":
        return None
    part = next((p for p in ("test", "validation", "train") if p in data.splits), None)
    if part is None:
        return None
    x, y = data.splits[part]
    from ..data.pipeline import to_dataset  # as a dataset: Keras' numpy path costs a new
    p = np.asarray(model.predict(to_dataset(x, y, 256, False, 0), verbose=0))  # pipeline
    return classify(p, y, data.splits["train"][1], loss, data.class_names, part)


def per_output(model, data, spec) -> dict:
    """Several outputs (train.outputs): each output's classification or mean baseline."""
    part = next((p for p in ("test", "validation", "train") if p in data.splits), None)
    if part is None:
        return {}
    x, y = data.splits[part]
    predicted = model.predict(x, batch_size=256, verbose=0)
    if not isinstance(predicted, (list, tuple)):
        predicted = [predicted]
    names = data.class_names if isinstance(data.class_names, dict) else {}
    out = {}
    by_name = dict(zip(model.output_names, predicted))  # the model's order, not train's
    for name, o in spec.train.outputs.items():
        p = by_name[name]
        facts = {"classification": None, "baselines": None}
        if o.loss.task in CLASSIFIERS:
            facts["classification"] = classify(np.asarray(p), y[name],
                                               data.splits["train"][1][name], o.loss,
                                               names.get(name), part)
        elif part != "train":
            facts["baselines"] = in_output_terms(
                mean_baseline(data.splits["train"][1][name], y[name], part), o)
        out[name] = facts
    return out


def in_output_terms(baselines: dict, o) -> dict:
    """The mean baseline under the names the output logs (its loss, its metrics), so the
    report puts it in the same columns; mse and mae stay where nothing matches."""
    values = baselines["predict the mean"]
    known = {"mean_squared_error": values["mse"], "mean_absolute_error": values["mae"],
             "root_mean_squared_error": float(np.sqrt(values["mse"]))}
    named = {}
    if o.loss.kind in known:
        named["loss"] = known[o.loss.kind]
    named.update({m.kind: known[m.kind] for m in o.metrics if m.kind in known})
    return {"predict the mean": (named or {"mse": values["mse"], "mae": values["mae"]})
            | {"note": values["note"]}}


def classify(p, y, train_y, loss, class_names, part) -> dict | None:
    """Predictions p against class labels y: confusion matrix, per-class scores, baseline."""
    task = loss.task
    logits = bool(getattr(loss, "from_logits", False))
    if task == "binary" and p.reshape(len(p), -1).shape[1] == 1:
        pred = (p.reshape(-1) > (0.0 if logits else 0.5)).astype(int)
        true = np.asarray(y).reshape(-1).astype(int)
        n = 2
    else:
        p = p.reshape(len(p), -1)
        pred = p.argmax(axis=1)
        y = np.asarray(y)
        true = (y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(-1)).astype(int)
        n = p.shape[1]
    if n > MAX_CLASSES:
        return None
    names = list(class_names or [])
    if len(names) != n:
        names = [str(i) for i in range(n)]
    matrix = np.zeros((n, n), dtype=int)
    for t, q in zip(true, pred):
        if 0 <= t < n:
            matrix[t, q] += 1
    per_class = []
    for k in range(n):
        tp = matrix[k, k]
        precision = tp / matrix[:, k].sum() if matrix[:, k].sum() else 0.0
        recall = tp / matrix[k].sum() if matrix[k].sum() else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class.append({"class": names[k], "precision": float(precision),
                          "recall": float(recall), "f1": float(f1),
                          "support": int(matrix[k].sum())})
    train_y = np.asarray(train_y)
    train_true = (train_y.argmax(axis=1) if train_y.ndim == 2 and train_y.shape[1] > 1
                  else train_y.reshape(-1)).astype(int)
    majority = int(np.bincount(train_true, minlength=n).argmax())
    return {"split": part, "classes": names, "confusion": matrix.tolist(),
            "per_class": per_class, "accuracy": float(np.trace(matrix) / max(1, matrix.sum())),
            "baselines": {"majority class": {
                "accuracy": float(np.mean(true == majority)),
                "note": f"always '{names[majority]}', the commonest training class"}}}


def regression_baseline(data, spec) -> dict | None:
    """Predicting the training targets' mean: the mean squared error to beat."""
    task = getattr(spec.train.loss, "task", None)
    if spec.task != "supervised" or task != "regression":
        return None
    part = next((p for p in ("test", "validation") if p in data.splits), None)
    if part is None:
        return None
    return mean_baseline(data.splits["train"][1], data.splits[part][1], part)


def mean_baseline(y_train, y, part) -> dict:
    y_train = np.asarray(y_train, dtype="float64")
    y = np.asarray(y, dtype="float64")
    mean = y_train.mean(axis=0)
    return {"predict the mean": {"mse": float(np.mean((y - mean) ** 2)),
                                 "mae": float(np.mean(np.abs(y - mean))),
                                 "note": f"on the {part} split, in the model's (scaled) units"}}


def evaluation(loaded, history: dict, model=None, data=None) -> dict:
    spec = loaded.spec
    out = {"best_epoch": best_epoch(history, spec)}
    if model is not None and data is not None and getattr(spec.train, "outputs", None):
        out["outputs"] = per_output(model, data, spec)
    elif model is not None and data is not None:
        out["classification"] = classification(model, data, spec)
        out["baselines"] = regression_baseline(data, spec)
    return out
