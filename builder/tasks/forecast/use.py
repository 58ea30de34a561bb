"""`kspec forecast RUN --steps N`: continue a forecasting run's series recursively
(each prediction becomes the last value of the next window), as a CSV and a plot.

A multivariate run (several input columns, one target) cannot feed its forecasts
back: the other columns' future is unknown. It forecasts directly from the last
window of every column, up to its horizon."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ...core.atomic import write_text
from ...data.errors import DataLoadError
from ...run.folder import csv_text
from ...run.read import open_run, read_run_json
from .series import FORECAST_FILE, save_time_plot


def next_times(times: list | None, n: int) -> list[str]:
    """Labels for n steps after the series: months, days or numbers continue their
    pattern (1960-12 -> 1961-01, ...); anything else becomes +1, +2, ..."""
    if times and len(times) >= 2:
        last, before = str(times[-1]), str(times[-2])
        for unit, width in (("M", 7), ("D", 10)):
            if len(last) == width and len(before) == width:
                try:
                    a, b = np.datetime64(before, unit), np.datetime64(last, unit)
                except ValueError:
                    continue
                step = b - a
                return [str(b + step * (i + 1)) for i in range(n)]
        try:
            a, b = float(before), float(last)
            return [f"{b + (b - a) * (i + 1):g}" for i in range(n)]
        except ValueError:
            pass
    return [f"+{i + 1}" for i in range(n)]


def recursive_forecast(model, saved, history, window: int, steps: int) -> np.ndarray:
    """Forecast `steps` values past the end of `history`: predict, append the
    prediction to the window as if it had been observed, predict again."""
    values = list(np.asarray(history, "float64"))
    out = []
    while len(out) < steps:
        x = np.asarray(values[-window:], "float32")[None, :, None]
        y = np.asarray(model(saved.inputs(x), training=False), "float64")
        y = np.asarray(saved.outputs(y), "float64").reshape(-1)
        out.extend(y.tolist())
        values.extend(y.tolist())
    return np.asarray(out[:steps])


def direct_forecast(run, state: dict, file: Path, steps: int) -> np.ndarray:
    """The `horizon` values after the series, from the last window of all input columns."""
    columns, horizon = state["columns"], int(state["horizon"])
    if steps > horizon:
        raise DataLoadError(
            f"this run forecasts {state.get('column')} from {len(columns)} columns "
            f"({', '.join(columns)}); their future is unknown, so forecasts cannot be fed "
            f"back: it predicts the {horizon} value(s) after the series. Use --steps "
            f"{horizon}, or train with `horizon: {steps}`")
    try:
        x = np.asarray(state["last_window"], "float32")
        if x.shape != (int(state["window"]), len(columns)):
            raise ValueError(f"last_window is {list(x.shape)}")
    except (KeyError, TypeError, ValueError) as exc:
        raise DataLoadError(f"{file} is damaged ({exc}); train the spec again") from None
    y = np.asarray(run.model(run.saved.inputs(x[None]), training=False), "float64")
    return np.asarray(run.saved.outputs(y), "float64").reshape(-1)[:steps]


def forecast_run(run_dir, steps: int, out: Path | None = None):
    """-> (csv path, plot path, rows) for `kspec forecast RUN_DIR --steps N`."""
    file = Path(run_dir) / FORECAST_FILE
    if Path(run_dir).is_dir() and not file.is_file():
        raise DataLoadError(f"{run_dir} has no {FORECAST_FILE}: kspec forecast works on runs "
                            "of task forecast (spec `task: forecast`)")
    run = open_run(run_dir)
    state = read_run_json(run_dir, FORECAST_FILE, "is it a forecast run (made by kspec train)?")
    try:
        series, window = np.asarray(state["series"], "float64"), int(state["window"])
        if series.ndim != 1 or not 0 < window <= len(series):
            raise ValueError("series and window do not fit")
    except (KeyError, TypeError, ValueError) as exc:
        raise DataLoadError(f"{file} is damaged ({exc}); train the spec again") from None
    if state.get("columns"):
        values = direct_forecast(run, state, file, steps)
    else:
        values = recursive_forecast(run.model, run.saved, series, window, steps)
    labels = next_times(state.get("times"), steps)
    out = Path(out) if out is not None else run.path / f"forecast_{steps}.csv"
    rows = [[i + 1, labels[i], round(float(v), 4)] for i, v in enumerate(values)]
    write_text(out, csv_text(["step", "time", state.get("column") or "value"], rows))
    plot = out.with_suffix(".png")
    how = (f"{state.get('column')} from the last window of {len(state['columns'])} columns"
           if state.get("columns") else "recursive")
    plot_forecast(plot, series, state.get("times"), values, labels,
                  f"{run.spec.name}: {steps} step{'s' if steps > 1 else ''} ahead ({how})")
    return out, plot, rows


def plot_forecast(path, series, times, values, labels, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = min(len(series), max(4 * len(values), 48))  # enough history to judge the shape
    past = np.arange(-shown, 0)
    ahead = np.arange(len(values))
    fig, ax = plt.subplots(figsize=(10, 4))
    ax.plot(past, series[-shown:], color="black", lw=1.2, label="history")
    ax.plot(np.concatenate([[-1], ahead]), np.concatenate([[series[-1]], values]),
            color="tab:red", lw=1.4, ls="--", marker=".", label="forecast")
    names = (list(times[-shown:]) if times else [str(i) for i in past]) + list(labels)
    ticks = np.concatenate([past, ahead])
    save_time_plot(fig, ax, ticks, names, title, path, n_ticks=14)

