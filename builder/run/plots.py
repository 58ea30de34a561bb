"""Learning curves: the loss and each metric, training vs validation; and the one way a
figure is saved (whole or not at all, then closed)."""
from __future__ import annotations

from ..core.atomic import atomic_path


def save_figure(fig, path, dpi: int = 100, **kwargs):
    """Write `fig` to `path` atomically and close it (every PNG/SVG a run or command draws)."""
    import matplotlib.pyplot as plt
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, **kwargs)
    plt.close(fig)


def curve_rows(names: list[str], outputs=()) -> list[list[str]]:
    """The panels' layout: one row; with several outputs, the total loss first, then one
    row per output (its NAME_loss and NAME_metric panels side by side)."""
    names = sorted(names, key=lambda k: (k != "loss", k))  # the loss first, always
    if not outputs:
        return [names]
    rows = [[n for n in names if not any(n.startswith(o + "_") for o in outputs)]]
    for o in sorted(outputs, key=len, reverse=True):  # `a_b` before `a`: longest prefix
        rows.append(sorted((n for n in names if n.startswith(o + "_") and
                            not any(n in r for r in rows)), key=lambda n: n != o + "_loss"))
    order = {o: i for i, o in enumerate(outputs)}
    first, rest = rows[0], rows[1:]
    rest.sort(key=lambda r: min((order[o] for o in outputs if r and r[0].startswith(o + "_")),
                                default=0))
    return [r for r in [first] + rest if r]


def learning_curves(history: dict, path, title: str, outputs=()):
    """`outputs`: the names of several trained outputs (a row of panels each)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [k for k in history if not k.startswith("val_") and k != "learning_rate"]
    rows = curve_rows(names, list(outputs))
    cols = max(len(r) for r in rows)
    fig, axes = plt.subplots(len(rows), cols, figsize=(4.5 * cols, 3.6 * len(rows)),
                             squeeze=False)
    for ax in axes.flat:
        ax.set_visible(False)
    for ax, name in ((axes[i][j], n) for i, r in enumerate(rows) for j, n in enumerate(r)):
        ax.set_visible(True)
        epochs = range(1, len(history[name]) + 1)
        ax.plot(epochs, history[name], label="training")
        if f"val_{name}" in history:
            ax.plot(epochs, history[f"val_{name}"], label="validation")
        ax.set_xlabel("epoch")
        ax.set_title(name)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    save_figure(fig, path)
