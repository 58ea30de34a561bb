"""Heatmaps of 2-D maps (an image, one channel of a feature map), with the numbers
written in the cells when they are few enough to read."""
from __future__ import annotations

import math

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


def grid_shape(n: int) -> tuple[int, int]:
    """(rows, columns) for n maps: one row up to 4, then a near-square grid (16 channels
    are 4 x 4, an input and its 16 maps 4 x 5), so each map stays big enough to read."""
    if n <= 4:
        return 1, max(n, 1)
    cols = math.ceil(math.sqrt(n))
    return math.ceil(n / cols), cols


def save_maps(maps: list, titles: list, path, suptitle: str = "", cmap: str = "viridis"):
    """Several 2-D maps in one PNG (an input next to its output, a layer's channels), in
    rows of at most 4-6 maps."""
    plt = pyplot()
    n = len(maps)
    rows, cols = grid_shape(n)
    biggest = max(max(np.asarray(m).shape) for m in maps)
    annotated = all(np.asarray(m).size <= ANNOTATE_UP_TO for m in maps)
    # numbers in the cells need room; plain pictures can be smaller in a grid
    side = min(max(3.0 if cols <= 4 else 2.4, 0.45 * biggest if annotated else 2.6), 7.0)
    side = min(side, 18.0 / cols)  # the whole picture about a screen wide at most
    fig, axes = plt.subplots(rows, cols, figsize=((side + 1.0) * cols, (side + 0.5) * rows + 0.4),
                             squeeze=False)
    flat = axes.ravel()
    for ax, matrix, title in zip(flat, maps, titles):
        image = draw_map(ax, matrix, title, cmap)
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    for ax in flat[n:]:
        ax.axis("off")  # the last row's empty places
    if suptitle:
        fig.suptitle(suptitle)
    # room at the top for the suptitle (it overlapped the first row's titles)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.35 / fig.get_figheight()) if suptitle else None)
    save(fig, path)


def save(fig, path, **kwargs):
    pyplot()  # the Agg backend, before anything draws
    save_figure(fig, path, **kwargs)
