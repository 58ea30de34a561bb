"""Text -> token ids and back, at character or word level (a vocabulary, saved with runs)."""
from __future__ import annotations

import re
from collections import Counter

import numpy as np

UNKNOWN = "<unk>"
# words, numbers, single punctuation marks and line breaks (verse keeps its lines)
WORD = re.compile(r"\n|[A-Za-z']+|[0-9]+|[^\sA-Za-z0-9']")


def tokenize(text: str, level: str, lowercase: bool = False) -> list[str]:
    if lowercase:
        text = text.lower()
    return list(text) if level == "char" else WORD.findall(text)


def build_vocab(tokens: list[str], max_size: int | None = None) -> list[str]:
    """Sorted for characters (stable ids); by frequency for words, <unk> first if cut."""
    counts = Counter(tokens)
    if max_size is None or len(counts) <= max_size:
        return sorted(counts)
    keep = [t for t, _ in counts.most_common(max_size - 1)]
    return [UNKNOWN] + sorted(keep)


def encode(tokens: list[str], vocab: list[str]) -> np.ndarray:
    index = {t: i for i, t in enumerate(vocab)}
    unk = index.get(UNKNOWN)
    ids = [index.get(t, unk) for t in tokens]
    missing = sorted({t for t, i in zip(tokens, ids) if i is None})
    if missing:
        shown = ", ".join(repr(t) for t in missing[:10])
        raise ValueError(f"tokens not in the vocabulary: {shown}")
    return np.asarray(ids, dtype="int32")


def decode(ids, vocab: list[str], level: str) -> str:
    tokens = [vocab[int(i)] for i in ids]
    if level == "char":
        return "".join(tokens)
    out = ""
    for t in tokens:  # words spaced, punctuation and line breaks glued
        glue = not out or out.endswith("\n") or t == "\n" or not (t[0].isalnum() or t == UNKNOWN)
        out += t if glue else " " + t
    return out


def windows(ids: np.ndarray, window: int, step: int = 1):
    """ids -> (windows of `window` tokens, the token that follows each)."""
    starts = np.arange(0, len(ids) - window, step)
    idx = starts[:, None] + np.arange(window)[None, :]
    return ids[idx], ids[starts + window].astype("int64")
