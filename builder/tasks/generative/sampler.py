"""What a trained generative network can make, shared by every task.

A task's Sampler says how to draw a latent (`latent`), turn latents into examples
(`decode`) and, where the model has an encoder, examples into latents (`encode`).
From those three this base derives samples, the per-epoch progress grid, latent
interpolations and reconstructions. All arrays are numpy, in model space (the
preprocessed data's units); images.Original maps them back to the source's.
"""
from __future__ import annotations

import numpy as np

from .images import grid_rows

PROGRESS = (4, 8)  # rows x columns of the per-epoch sample grid


def call(model, inputs, batch: int = 512) -> np.ndarray:
    """model(inputs) in inference mode, in batches, as numpy (first output if several)."""
    first = next(iter(inputs.values())) if isinstance(inputs, dict) else inputs
    out = []
    for i in range(0, len(first), batch):
        part = ({k: v[i:i + batch] for k, v in inputs.items()} if isinstance(inputs, dict)
                else inputs[i:i + batch])
        y = model(part, training=False)
        out.append(np.asarray(y[0] if isinstance(y, (list, tuple)) else y))
    return np.concatenate(out)


class Sampler:
    can_sample = True  # draws new examples from noise
    can_encode = False  # has an encoder: examples -> latents
    can_reconstruct = False
    needs_label = False  # conditional: decode(z, labels)

    def __init__(self, spec, nets: dict, plans: dict, meta: dict):
        self.spec, self.nets, self.plans, self.meta = spec, nets, plans, meta

    # ---- per task ---------------------------------------------------------------
    latent_shape: tuple = ()

    def latent(self, n: int, seed: int, temperature: float = 1.0) -> np.ndarray:
        rng = np.random.default_rng(seed)
        return (temperature * rng.standard_normal((n,) + tuple(self.latent_shape))).astype("float32")

    def decode(self, z, labels=None) -> np.ndarray:
        raise NotImplementedError

    def encode(self, x) -> np.ndarray:
        raise NotImplementedError

    # ---- derived ----------------------------------------------------------------
    def sample(self, n: int, seed: int, labels=None, temperature: float = 1.0) -> np.ndarray:
        return self.decode(self.latent(n, seed, temperature), labels)

    def reconstruct(self, x) -> np.ndarray:
        return self.decode(self.encode(x))

    def progress_rows(self, seed: int, data) -> list:
        """The per-epoch grid: the same latents every epoch, so progress is visible."""
        rows, cols = PROGRESS
        labels = np.arange(rows * cols) % cols if self.needs_label else None
        return grid_rows(self.sample(rows * cols, seed, labels=labels), cols)

    def interpolation_rows(self, data, rows: int, steps: int, seed: int, label=None) -> list:
        """Each row walks in a straight line between two latents: two encoded test
        examples of different classes where there is an encoder, else two random ones."""
        if self.can_encode:
            xa, xb = pick_pairs(data, rows, seed)
            za, zb = self.encode(xa), self.encode(xb)
        else:
            za, zb = self.latent(rows, seed), self.latent(rows, seed + 1)
        ts = np.linspace(0.0, 1.0, steps, dtype="float32")
        out = []
        for i in range(len(za)):
            t = ts.reshape((-1,) + (1,) * (za.ndim - 1))
            z = (1 - t) * za[i] + t * zb[i]
            labels = None
            if self.needs_label:
                labels = np.full(steps, i % self.classes if label is None else label)
            out.append(self.decode(z.astype("float32"), labels))
        return out

    @property
    def classes(self) -> int:
        return int(self.meta.get("classes") or 10)


def pick_pairs(data, rows: int, seed: int):
    """`rows` pairs of test examples (validation, train if no test), of different
    classes where the data has class labels."""
    part = next(p for p in ("test", "validation", "train") if p in data.splits)
    x, y = data.splits[part]
    rng = np.random.default_rng(seed)
    first = rng.choice(len(x), size=min(rows, len(x)), replace=False)
    second = []
    for i in first:
        others = np.arange(len(x))
        if y is not None and y.ndim == 1 and y.dtype.kind in "iu":
            others = np.flatnonzero(y != y[i])
        second.append(rng.choice(others if len(others) else np.arange(len(x))))
    return x[first], x[np.array(second)]
