"""Heatmaps of 2-D maps (an image, one channel of a feature map), with the numbers
written in the cells when they are few enough to read."""
from __future__ import annotations

import numpy as np

from ..run.plots import save_figure
from .values import number

ANNOTATE_UP_TO = 16 * 16  # cells; beyond that the numbers would be unreadable


def pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def draw_map(ax, matrix, title: str, cmap: str = "viridis", annotate: bool | None = None):
    matrix = np.asarray(matrix, dtype="float64")
    image = ax.imshow(matrix, cmap=cmap, interpolation="nearest")
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    if annotate is None:
        annotate = matrix.size <= ANNOTATE_UP_TO
    if annotate:
        lo, hi = float(np.nanmin(matrix)), float(np.nanmax(matrix))
        middle = (lo + hi) / 2
        size = 9 if max(matrix.shape) <= 8 else 6
        for (i, j), v in np.ndenumerate(matrix):
            # dark text on the bright end of the colour map, light text on the dark end
            color = "black" if (v > middle) == (cmap != "gray_r") else "white"
            ax.text(j, i, number(v, 2), ha="center", va="center", fontsize=size, color=color)
    return image


def save_map(matrix, path, title: str, cmap: str = "viridis"):
    """One 2-D map as a PNG with a colour bar."""
    plt = pyplot()
    h, w = np.asarray(matrix).shape
    side = min(max(3.0, 0.45 * max(h, w)), 8.0)
    fig, ax = plt.subplots(figsize=(side + 1.2, side))
    image = draw_map(ax, matrix, title, cmap)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    save(fig, path)


def save_maps(maps: list, titles: list, path, suptitle: str = "", cmap: str = "viridis"):
    """Several 2-D maps side by side in one PNG (an input next to its output)."""
    plt = pyplot()
    n = len(maps)
    side = min(max(3.0, 0.45 * max(max(np.asarray(m).shape) for m in maps)), 7.0)
    fig, axes = plt.subplots(1, n, figsize=((side + 1.2) * n, side + 0.4), squeeze=False)
    for ax, matrix, title in zip(axes[0], maps, titles):
        image = draw_map(ax, matrix, title, cmap)
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    save(fig, path)


def save(fig, path, **kwargs):
    pyplot()  # the Agg backend, before anything draws
    save_figure(fig, path, **kwargs)
