"""Writing text with a trained language model, one sampled token at a time.

Two kinds of model are understood, told apart by the output's shape:

* next-token models output (vocab,): the distribution of the token after the
  window (the classic char-LSTM). A prompt shorter than the window is padded on
  the left with line breaks, as if a new speech began.
* every-position models output (window, vocab): the distribution after each
  position (GPT-style, causal). The context is placed at the start of the window
  and the distribution after its last token is read; the padding behind it
  cannot matter because the model is causal (the language_model task checks it).

Sampling: probabilities ** (1 / temperature), renormalised; top_k keeps only the
k likeliest tokens; temperature 0 always takes the likeliest. The random stream
is numpy's, seeded, and the model is deterministic, so the same call with the
same seed writes the same text.
"""
from __future__ import annotations

import numpy as np

from ...data.errors import DataLoadError
from ...data.text import decode, encode, tokenize
from ...run.read import open_run, read_vocab

PAD_TOKENS = ("\n", " ")  # what a short prompt is padded with, the first in the vocabulary


def pad_id(vocab: list[str]) -> int:
    return next((vocab.index(t) for t in PAD_TOKENS if t in vocab), 0)


def sample(probs, temperature: float, top_k: int | None, rng) -> int:
    p = np.asarray(probs, "float64")
    if temperature <= 0:
        return int(np.argmax(p))
    logp = np.log(np.clip(p, 1e-30, None)) / temperature
    if top_k is not None and top_k < len(logp):
        cut = np.partition(logp, -top_k)[-top_k]
        logp = np.where(logp >= cut, logp, -np.inf)
    q = np.exp(logp - logp.max())
    return int(rng.choice(len(q), p=q / q.sum()))


def softmax(z):
    z = np.asarray(z, "float64")
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def compiled(model):
    """The model as one traced TensorFlow function: a call per token in eager mode
    costs ~100x more (0.4 s vs 3 ms for a char-LSTM), and generation makes many."""
    from ...core.keras_env import tf

    def forward(x):
        return model(x, training=False)
    return tf().function(forward, autograph=False, reduce_retracing=True)


def continue_ids(model, ids, length: int, temperature: float, top_k: int | None, rng,
                 pad: int, from_logits: bool = False) -> list[int]:
    """`length` new token ids after `ids`, sampled from the model."""
    window = int(model.input_shape[1])
    every_position = len(model.output_shape) == 3
    predict = compiled(model)
    ids = list(ids) or [pad]  # an empty prompt starts a new line
    new = []
    for _ in range(length):
        context = ids[-window:]
        if every_position:
            x = context + [pad] * (window - len(context))
            out = np.asarray(predict(np.asarray([x], "int32")))[0, len(context) - 1]
        else:
            x = [pad] * (window - len(context)) + context
            out = np.asarray(predict(np.asarray([x], "int32")))[0]
        token = sample(softmax(out) if from_logits else out, temperature, top_k, rng)
        new.append(token)
        ids.append(token)
    return new


def prompt_ids(prompt: str, vocab: list[str], level: str, lowercase: bool) -> list[int]:
    tokens = tokenize(prompt, level, lowercase)
    try:
        return encode(tokens, vocab).tolist()
    except ValueError as exc:
        known = "".join(t for t in vocab if len(t) == 1 and t.isprintable())
        hint = f" (it knows: {known})" if level == "char" else ""
        raise DataLoadError(f"the prompt has {exc}; the model only knows the tokens of its "
                            f"training text{hint}") from None


def generate_text(model, vocab, level, lowercase, prompt: str, length: int,
                  temperature: float, top_k: int | None, seed: int,
                  from_logits: bool = False) -> str:
    """The prompt followed by `length` sampled tokens."""
    ids = prompt_ids(prompt, vocab, level, lowercase)
    rng = np.random.default_rng(seed)
    new = continue_ids(model, ids, length, temperature, top_k, rng, pad_id(vocab), from_logits)
    return decode(ids + new, vocab, level)


def predict_run(run_dir, input_path, length: int = 200, temperature: float = 1.0,
                seed: int = 0):
    """`kspec predict RUN --input PROMPT.txt`: the prompt's last window continued, one
    sampled token at a time (the new text only; `kspec generate` prints the prompt too)."""
    from ..supervised.use import Predictions, read_inputs
    run = open_run(run_dir)
    prompt_ids, _, _ = read_inputs(run, input_path)
    state = run.saved.raw["source_state"]
    vocab, level = state["vocab"], state["level"]
    new = continue_ids(run.model, list(prompt_ids[0]), length, temperature, None,
                       np.random.default_rng(seed), pad_id(vocab),
                       bool(getattr(run.loss, "from_logits", False)))
    text = decode(new, vocab, level)
    return Predictions(["generated"], [[text]], np.asarray(new), text=text)


def generate_run(run_dir, prompt: str = "", length: int = 200, temperature: float = 1.0,
                 top_k: int | None = None, seed: int = 0) -> str:
    """`kspec generate RUN_DIR`: the run's model continues the prompt."""
    run = open_run(run_dir)
    vocab = read_vocab(run.path)
    state = run.saved.raw.get("source_state", {})
    from_logits = bool(getattr(run.loss, "from_logits", False))
    return generate_text(run.model, vocab["tokens"], vocab.get("level", "char"),
                         bool(state.get("lowercase")), prompt, length, temperature, top_k,
                         seed, from_logits)
