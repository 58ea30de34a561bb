"""`kspec data SPEC`: what the model will see, after preprocessing, per split.

Text for the terminal (shapes, dtypes, sizes, class balance, value ranges, a few
examples) and, with --plot, a picture: a grid of images, the series with its
chronological split, or histograms of the first features of a table.
"""
from __future__ import annotations

import numpy as np

from .checks import source_text


def _shape(a) -> str:
    return "[" + ", ".join(str(d) for d in a.shape[1:]) + "]"


def _range(a) -> str:
    if a is None or not a.size or a.dtype.kind not in "iufb":
        return "-"
    v = a.astype("float64")
    return f"{np.nanmin(v):.4g} .. {np.nanmax(v):.4g} (mean {np.nanmean(v):.4g})"


def _is_ids(y) -> bool:
    return y is not None and y.ndim == 1 and y.dtype.kind in "iu"


def _class_ids(y):
    """Class ids of integer or one-hot labels, else None."""
    if _is_ids(y):
        return y
    if y is not None and y.ndim == 2 and y.shape[1] > 1 and set(np.unique(y)) <= {0.0, 1.0}:
        return y.argmax(axis=1)
    return None


def per_output(prepared, name):
    """A view of `prepared` in which output `name`'s target is the one target (several
    outputs: the tables and the class balance are shown for each output in turn)."""
    from dataclasses import replace
    names = prepared.class_names if isinstance(prepared.class_names, dict) else {}
    return replace(prepared, splits={p: (x, y[name]) for p, (x, y) in prepared.splits.items()},
                   class_names=names.get(name))


def describe(prepared, data, seed: int) -> str:
    y = prepared.splits["train"][1]
    if isinstance(y, dict):  # several outputs: the inputs once, then each output's target
        from .multi import class_ids
        lines = describe(replace_targets(prepared, None), data, seed).split("\n")
        if class_ids(y) is not None and not prepared.in_order and data.split.stratify is not False:
            lines[1] += f", stratified by class ({next(k for k in y if class_ids(y[k]) is not None)})"
        for name in y:
            one = per_output(prepared, name)
            lines += ["", f"output {name}:"] + ["  " + line for line in
                                               _target_lines(one)]
        return "\n".join(lines)
    lines = []
    total = sum(len(x) for x, _ in prepared.splits.values())
    lines.append(f"source: {source_text(data)}, {total} examples"
                 + (" (the test part is the source's own test split)" if prepared.own_test else ""))
    how = "in time order (chronological)" if prepared.in_order else (
        f"random, seed {seed}" + (", stratified by class" if _is_ids(prepared.splits["train"][1])
                                  and data.split.stratify is not False else ""))
    sizes = ", ".join(f"{p} {len(x)}" for p, (x, _) in prepared.splits.items())
    lines.append(f"split: {how}: {sizes}")
    if data.preprocess:
        steps = ", ".join(_entry(s.to_data()) for s in data.preprocess)
        lines.append(f"preprocess (statistics from the training split): {steps}")
    if data.augment:
        lines.append("augment (training batches only): "
                     + ", ".join(_entry(a.to_data()) for a in data.augment))
    vocab = prepared.source_state.get("vocab")
    if vocab:
        lines.append(f"vocabulary: {len(vocab)} {prepared.source_state.get('level')} tokens")
    lines.append("")
    header = ("part", "examples", "x shape", "x dtype", "x values", "y shape", "y dtype", "y values")
    rows = [header]
    for part, (x, y) in prepared.splits.items():
        rows.append((part, str(len(x)), _shape(x), str(x.dtype), _range(x),
                     "-" if y is None else (_shape(y) if y.ndim > 1 else "[]"),
                     "-" if y is None else str(y.dtype), _range(y)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    balance = _balance(prepared)
    if balance:
        lines += ["", "class balance (examples per class):"] + balance
    lines += ["", "examples (training split):"] + _examples(prepared)
    return "\n".join(lines)


def replace_targets(prepared, y):
    from dataclasses import replace
    return replace(prepared, splits={p: (x, y) for p, (x, _) in prepared.splits.items()},
                   class_names=None)


def _target_lines(prepared) -> list[str]:
    """One output's target per split, its class balance and first examples."""
    rows = [("part", "y shape", "y dtype", "y values")]
    for part, (_, y) in prepared.splits.items():
        rows.append((part, _shape(y) if y.ndim > 1 else "[]", str(y.dtype), _range(y)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    balance = _balance(prepared)
    if balance:
        lines += ["class balance (examples per class):"] + balance
    return lines


def _entry(d) -> str:
    if isinstance(d, dict):
        (k, v), = d.items()
        if isinstance(v, dict):
            return f"{k}(" + ", ".join(f"{a}={b}" for a, b in v.items()) + ")"
        return f"{k}({v})"
    return str(d)


def _balance(prepared) -> list[str]:
    names = prepared.class_names
    parts = {p: _class_ids(y) for p, (_, y) in prepared.splits.items()}
    if any(ids is None for ids in parts.values()):
        return []
    n = max(int(ids.max()) + 1 for ids in parts.values() if len(ids))
    if n > 30:  # a vocabulary, say: too many to list
        return [f"  {n} classes"]
    out = []
    header = "  " + "class".ljust(20) + "".join(p.rjust(12) for p in parts)
    out.append(header)
    for k in range(n):
        name = names[k] if names and k < len(names) else str(k)
        cells = []
        for ids in parts.values():
            c = int((ids == k).sum())
            cells.append(f"{c} ({100 * c / max(len(ids), 1):.0f}%)".rjust(12))
        out.append("  " + f"{k}: {name}"[:20].ljust(20) + "".join(cells))
    return out


def _short(a, limit=6) -> str:
    flat = np.asarray(a).reshape(-1)
    shown = ", ".join(f"{v:.4g}" if flat.dtype.kind == "f" else str(v) for v in flat[:limit])
    return f"[{shown}{', ...' if flat.size > limit else ''}] ({flat.size} values)" \
        if flat.size > 1 else shown


def _examples(prepared, count: int = 3) -> list[str]:
    x, y = prepared.splits["train"]
    names = prepared.class_names
    vocab = prepared.source_state.get("vocab")
    out = []
    for i in range(min(count, len(x))):
        if vocab:
            from .text import decode
            ids = x[i] if x[i].ndim == 1 else x[i].argmax(-1)
            level = prepared.source_state.get("level")
            nxt = decode([int(y[i] if y[i].ndim == 0 else y[i].argmax())], vocab, level)
            out.append(f"  {decode(ids, vocab, level)!r} -> {nxt!r}")
            continue
        target = "" if y is None else f" -> {_short(y[i])}"
        ids = _class_ids(y)
        if ids is not None and names and int(ids[i]) < len(names):
            target += f" ({names[int(ids[i])]})"
        out.append(f"  x {_short(x[i])}{target}")
    return out


# ---- pictures ---------------------------------------------------------------

def _image_like(x) -> bool:
    s = x.shape[1:]
    return (len(s) == 3 and s[2] in (1, 3, 4) and min(s[:2]) >= 5) or (len(s) == 2 and min(s) >= 5
                                                                         and s[1] > 2)


def plot(prepared, data, path, title: str):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    x, y = prepared.splits["train"]
    if prepared.series is not None:
        fig = _plot_series(plt, prepared, title)
    elif _image_like(x):
        fig = _plot_images(plt, x, y, prepared.class_names, title)
    else:
        fig = _plot_features(plt, x, prepared.feature_names, title)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _show(ax, img):
    img = np.asarray(img, dtype="float32")
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[..., 0]
    lo, hi = float(img.min()), float(img.max())
    img = (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)
    ax.imshow(img, cmap="gray" if img.ndim == 2 else None)
    ax.axis("off")


def _plot_images(plt, x, y, names, title):
    pairs = y is not None and y.ndim >= 3  # autoencoders: input over target
    n = min(len(x), 8 if pairs else 32)
    cols = 8
    rows = 2 * ((n + cols - 1) // cols) if pairs else (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.3, rows * 1.45), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    ids = _class_ids(y)
    for i in range(n):
        if pairs:
            r, c = 2 * (i // cols), i % cols
            _show(axes[r][c], x[i])
            _show(axes[r + 1][c], y[i])
            axes[r][c].set_title("input", fontsize=7)
            axes[r + 1][c].set_title("target", fontsize=7)
        else:
            ax = axes[i // cols][i % cols]
            _show(ax, x[i])
            if ids is not None:
                k = int(ids[i])
                ax.set_title(names[k] if names and k < len(names) else str(k), fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def _plot_series(plt, prepared, title):
    series = prepared.series
    window = prepared.source_state.get("window", 0)
    fig, ax = plt.subplots(figsize=(10, 3.6))
    ax.plot(np.arange(len(series)), series, color="0.3", lw=1, label="series")
    colors = {"train": "tab:blue", "validation": "tab:orange", "test": "tab:green"}
    for part, idx in prepared.indices.items():
        if len(idx):  # window i predicts the value at i + window
            start, end = int(idx.min()) + window, int(idx.max()) + window
            ax.axvspan(start - 0.5, end + 0.5, alpha=0.15, color=colors[part], label=f"{part} targets")
    times = prepared.source_state.get("times")
    if times:
        ticks = list(range(0, len(series), max(1, len(series) // 12)))
        ax.set_xticks(ticks, [times[i] for i in ticks], rotation=45, fontsize=7)
    else:
        ax.set_xlabel("time step")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _plot_features(plt, x, names, title):
    flat = x.reshape(len(x), -1)
    k = min(flat.shape[1], 8)
    fig, axes = plt.subplots(1, k, figsize=(2.4 * k, 2.6), squeeze=False)
    for j in range(k):
        ax = axes[0][j]
        ax.hist(flat[:, j][~np.isnan(flat[:, j])], bins=20, color="tab:blue")
        ax.set_title((names[j] if names and j < len(names) else f"feature {j}")[:22], fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
