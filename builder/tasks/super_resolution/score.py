"""PSNR of the model and of bicubic upscaling on the same test images, and the
before/after grid (super_resolution.png) in the run folder.

PSNR = 10 log10(peak^2 / MSE), in dB, per image then averaged; both upscalings
are clipped to the pixel range first. The peak is 1 for images scaled to 0..1
(`scale: 255`), else 255."""
from __future__ import annotations

import numpy as np

from ...run.plots import save_figure

GRID = 6  # test images shown


def psnr(a, b, peak: float) -> np.ndarray:
    mse = ((np.asarray(a, "float64") - np.asarray(b, "float64")) ** 2).reshape(len(a), -1).mean(1)
    return 10 * np.log10(peak ** 2 / np.maximum(mse, 1e-12))


def bicubic(small, size) -> np.ndarray:
    from ...core.keras_env import tf
    return tf().image.resize(small, size, method="bicubic").numpy()


def scores(model, small, full, batch_size: int):
    peak = 1.0 if float(full.max()) <= 1.0 + 1e-6 else 255.0
    made = np.clip(model.predict(small, batch_size=batch_size, verbose=0), 0, peak)
    cubic = np.clip(bicubic(small, full.shape[1:3]), 0, peak)
    return peak, made, cubic


def report(run, model, data, splits, metrics):
    part = "test" if "test" in splits else "validation" if "validation" in splits else "train"
    small, full = splits[part]
    peak, made, cubic = scores(model, small, full, 64)
    ours, theirs = float(psnr(made, full, peak).mean()), float(psnr(cubic, full, peak).mean())
    metrics.setdefault(part, {})["psnr"] = ours
    metrics["baselines"] = {"bicubic": {"psnr": theirs}, "on": part}
    grid(run.file("super_resolution.png"), small[:GRID], cubic[:GRID], made[:GRID],
         full[:GRID], peak, ours, theirs)
    verdict = "beats" if ours > theirs else "does NOT beat"
    return [f"{part} PSNR: model {ours:.2f} dB, bicubic {theirs:.2f} dB (the model {verdict} "
            "bicubic upscaling)"]


def grid(path, small, cubic, made, full, peak, ours, theirs):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [("low resolution", small), (f"bicubic ({theirs:.1f} dB)", cubic),
            (f"model ({ours:.1f} dB)", made), ("original", full)]
    n = len(full)
    fig, axes = plt.subplots(len(rows), n, figsize=(1.6 * n, 1.7 * len(rows)), squeeze=False)
    for r, (title, images) in enumerate(rows):
        for i in range(n):
            ax = axes[r][i]
            image = np.clip(images[i] / peak, 0, 1)
            ax.imshow(image.squeeze(-1) if image.shape[-1] == 1 else image,
                      cmap="gray" if image.shape[-1] == 1 else None, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_ylabel(title, fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)
