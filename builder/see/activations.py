"""`kspec plot activations`: every activation of the catalog on one labelled grid,
computed by Keras itself (what a model would apply), with the derivative on request
(by automatic differentiation, as training sees it)."""
from __future__ import annotations

import math

import numpy as np

from ..catalog.activations import ACTIVATIONS
from ..core.base import did_you_mean
from ..data.errors import DataLoadError

X_RANGE = (-5.0, 5.0)
POINTS = 401
# these act on a vector; drawn as the first component of f((x, 0))
VECTOR = {"softmax", "log_softmax", "sparsemax"}


def curves(names: list[str], derivatives: bool) -> dict:
    """name -> (x, f(x), f'(x) or None)."""
    from ..core.keras_env import keras, tf
    keras()
    x = np.linspace(*X_RANGE, POINTS).astype("float32")
    pair = np.stack([x, np.zeros_like(x)], axis=1)  # (x, 0) rows: elementwise or vector
    out = {}
    for name in names:
        layer = ACTIVATIONS.parse(name).layer(None)
        t = tf().convert_to_tensor(pair)
        with tf().GradientTape() as tape:
            tape.watch(t)
            y = layer(t)[:, 0]
        dy = None
        if derivatives:
            grad = tape.gradient(y, t)  # None where nothing flows back (step)
            dy = np.zeros_like(x) if grad is None else grad[:, 0].numpy()
        out[name] = (x, y.numpy(), dy)
    return out


def chosen(names) -> list[str]:
    if not names:
        return ACTIVATIONS.names()
    out = []
    for n in names:
        cls = ACTIVATIONS.lookup(n)
        if cls is None:
            raise DataLoadError(f"no activation '{n}'{did_you_mean(n, ACTIVATIONS.names())}; "
                                "kspec catalog activations lists them")
        out.append(cls.kind)
    return out


def plot_activations(names, derivatives: bool, path) -> list[str]:
    from .pictures import pyplot, save
    names = chosen(names)
    data = curves(names, derivatives)
    plt = pyplot()
    cols = min(6, len(names))
    rows = math.ceil(len(names) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(2.6 * cols, 2.3 * rows), squeeze=False)
    for ax in axes.ravel()[len(names):]:
        ax.axis("off")
    for ax, name in zip(axes.ravel(), names):
        x, y, dy = data[name]
        ax.axhline(0, color="0.8", lw=0.8)
        ax.axvline(0, color="0.8", lw=0.8)
        ax.plot(x, y, color="C0", lw=1.8, label="f(x)")
        if dy is not None:
            ax.plot(x, dy, color="C3", lw=1.2, ls="--", label="f'(x)")
        lo, hi = np.nanmin(y), np.nanmax(y)
        if dy is not None:
            lo, hi = min(lo, np.nanmin(dy)), max(hi, np.nanmax(dy))
        hi = min(hi, 6.0)  # exponential: keep the interesting part in view
        ax.set_ylim(lo - 0.1 * (hi - lo) - 0.05, hi + 0.1 * (hi - lo) + 0.05)
        ax.set_title(name + (" of (x, 0)" if name in VECTOR else ""), fontsize=10)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.25)
    if derivatives:
        axes[0][0].legend(fontsize=7, loc="upper left")
    fig.suptitle(f"activation functions on [{X_RANGE[0]:g}, {X_RANGE[1]:g}]"
                 + (" with their derivatives (dashed)" if derivatives else ""))
    fig.tight_layout()
    save(fig, path)
    return names
