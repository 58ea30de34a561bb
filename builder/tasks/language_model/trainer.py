"""Training a language model: the sequence trainer, then perplexity and a sample.

metrics.json gets, per split, `cross_entropy` (nats per token; the loss without
any weight penalty), `perplexity` = exp(cross_entropy) and `bits_per_token`, and
`baselines` on the validation (or test) text: `uniform` (every token equally
likely: log V, the loss of a model that learned nothing) and `unigram` (each
token as often as in the training text). The vocabulary is saved beside the
model (vocab.json, by the data pipeline) and sample.txt holds a text sample.
"""
from __future__ import annotations

import math

import numpy as np

from ...data.errors import DataLoadError
from ...data.pipeline import placed
from ...core.keras_env import keras
from ..supervised.trainer import train as train_single_network


def every_position(plan) -> bool:
    return len(plan.output_nodes()[0].shape) == 2


def shifted(x, y):
    """The target of window x[i] at every position: x[i] shifted by one, ending with the
    token after the window (the text source's y)."""
    return np.concatenate([x[:, 1:], y[:, None]], axis=1).astype("int64")


def shifted_targets(data, plan):
    """For every-position models, the splits with shifted targets."""
    if not every_position(plan):
        return data.splits
    return {part: (x, shifted(x, y)) for part, (x, y) in data.splits.items()}


def model_targets(model, x, y):
    """What a trained model was taught for (x, y): `kspec evaluate` compares with it."""
    return shifted(x, y) if len(model.output_shape) == 3 else y


def check_vocab_fits(data, plan):
    """An embedding smaller than the vocabulary would fail deep inside TensorFlow."""
    size = len(data.class_names or [])
    for node in plan.nodes:
        field = next((f for f in ("vocab_size", "input_dim") if hasattr(node.layer, f)), None)
        if field and getattr(node.layer, field) < size:
            raise DataLoadError(f"the text has {size} distinct tokens but {node.layer.kind} has "
                                f"{field} {getattr(node.layer, field)}; use {field}: {size}",
                                node.path + (field,))


def unigram(train_targets, targets, size: int) -> dict:
    counts = np.bincount(train_targets.reshape(-1), minlength=size).astype("float64") + 1
    p = counts / counts.sum()  # add-one smoothing: a token unseen in training is not impossible
    ce = float(-np.mean(np.log(p[targets.reshape(-1)])))
    return {"cross_entropy": ce, "perplexity": math.exp(ce)}


def train(loaded, out=None, epochs=None, verbose=None):
    spec = loaded.spec
    loss = spec.train.loss

    def targets(data, plan):
        try:
            check_vocab_fits(data, plan)
        except DataLoadError as exc:
            raise placed(exc, loaded) from None
        return shifted_targets(data, plan)

    def report(run, model, data, splits, metrics):
        for values in metrics.values():
            if isinstance(values, dict) and "cross_entropy" in values:
                values["perplexity"] = math.exp(values["cross_entropy"])
                values["bits_per_token"] = values["cross_entropy"] / math.log(2)
        size = len(data.class_names)
        part = "validation" if "validation" in splits else "test"
        baselines = {"on": part, "uniform": {"cross_entropy": math.log(size), "perplexity": size}}
        if part in splits:
            baselines["unigram"] = unigram(splits["train"][1], splits[part][1], size)
        metrics["baselines"] = baselines
        metrics["vocab_size"] = size
        lines = [f"{part} cross-entropy {metrics[part]['cross_entropy']:.3f} nats/token, "
                 f"perplexity {metrics[part]['perplexity']:.2f} (uniform guess: "
                 f"{math.log(size):.3f}, {size}; unigram: "
                 f"{baselines['unigram']['cross_entropy']:.3f})"] if part in metrics else []
        sample = spec.train.sample
        if sample.length:
            from .textgen import generate_text
            source = spec.data.source
            text = generate_text(model, data.class_names, source.level, source.lowercase,
                                 sample.prompt, sample.length, sample.temperature, sample.top_k,
                                 sample.seed, bool(getattr(loss, "from_logits", False)))
            run.write_text("sample.txt", text + ("" if text.endswith("\n") else "\n"))
            lines += ["sample (sample.txt):", *("  " + ln for ln in text.splitlines()[:8])]
        return lines

    ce = keras().metrics.SparseCategoricalCrossentropy(
        name="cross_entropy", from_logits=bool(getattr(loss, "from_logits", False)))
    return train_single_network(loaded, out, epochs, verbose, targets=targets,
                                report=report, extra_metrics=[ce])
