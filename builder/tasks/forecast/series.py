"""Scoring a forecaster: errors in the series' own units, the naive baselines, the
fit plot and the state `kspec forecast` needs (use.py continues the series).

A forecast is only worth something if it beats the obvious guesses, so every
forecasting run is scored next to two baselines on the very same test windows:

* naive_last: every future value equals the last value of the window;
* seasonal_naive: each future value equals the value one season earlier
  (12 months for monthly data).

Example i of a `timeseries` source is the window series[i : i+window] and its
target series[i+window : i+window+horizon]; the split keeps each example's
position (`Prepared.indices`), so targets and baselines are read from the raw
series itself, never from scaled values.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...run.plots import save_figure

FORECAST_FILE = "forecast.json"  # what `kspec forecast` needs, saved with the run
MAX_SAVED = 100_000  # values of the series kept in forecast.json (its tail if longer)


# ---- errors and baselines -----------------------------------------------------

def errors(pred, actual) -> dict:
    diff = np.asarray(pred, "float64") - np.asarray(actual, "float64")
    return {"rmse": float(np.sqrt(np.mean(diff ** 2))), "mae": float(np.mean(np.abs(diff)))}


def targets_at(series, starts, window: int, horizon: int) -> np.ndarray:
    """The true future values of the windows starting at `starts`: (n, horizon)."""
    return series[np.asarray(starts)[:, None] + window + np.arange(horizon)[None, :]]


def naive_last(series, starts, window: int, horizon: int) -> np.ndarray:
    last = series[np.asarray(starts) + window - 1]
    return np.repeat(last[:, None], horizon, axis=1)


def seasonal_naive(series, starts, window: int, horizon: int, season: int):
    """Each future step t+h is predicted by the last value at the same point of the
    season that the model could have seen (t+h-season, or earlier for h >= season).
    None if some window lies too early in the series to have one."""
    h = np.arange(horizon)
    back = season * (h // season + 1)  # h < season: one season back; else as many as needed
    idx = np.asarray(starts)[:, None] + window + h[None, :] - back[None, :]
    if idx.size and idx.min() < 0:
        return None
    return series[idx]


# ---- scoring a trained model ---------------------------------------------------

@dataclass
class Scored:
    metrics: dict  # part -> {rmse, mae} in the series' units
    baselines: dict  # {naive_last: {rmse, mae}, seasonal_naive: {...}} on the test windows
    predictions: dict  # part -> (starts, predicted (n, horizon), actual (n, horizon))


def predict_units(model, x, steps, states):
    """Model outputs for inputs x, mapped back to the series' units."""
    from ...data.pipeline import invert_target
    y = np.asarray(model.predict(x, batch_size=256, verbose=0), "float64")
    return np.asarray(invert_target(steps, states, y), "float64").reshape(len(x), -1)


def score(model, data, spec, season: int | None) -> Scored:
    source = spec.data.source
    window, horizon = source.window, source.horizon
    series = np.asarray(data.series, "float64")
    metrics, predictions = {}, {}
    for part, (x, _) in data.splits.items():
        starts = data.indices[part]
        pred = predict_units(model, x, spec.data.preprocess, data.states)
        actual = targets_at(series, starts, window, horizon)
        metrics[part] = errors(pred, actual)
        predictions[part] = (starts, pred, actual)
    baselines = {}
    scored = "test" if "test" in predictions else "validation"
    if scored in predictions:
        starts, _, actual = predictions[scored]
        baselines["on"] = scored
        baselines["naive_last"] = errors(naive_last(series, starts, window, horizon), actual)
        if season:
            seasonal = seasonal_naive(series, starts, window, horizon, season)
            if seasonal is not None:
                baselines["seasonal_naive"] = errors(seasonal, actual)
    return Scored(metrics, baselines, predictions)


def time_labels(state: dict, n: int) -> list[str]:
    times = state.get("times")
    return list(times) if times and len(times) == n else [str(i) for i in range(n)]


def write_test_table(run, scored: Scored, series, times, window, horizon, season):
    """test_predictions.csv: one row per test window and step ahead."""
    part = "test" if "test" in scored.predictions else "validation"
    if part not in scored.predictions:
        return
    starts, pred, actual = scored.predictions[part]
    naive = naive_last(series, starts, window, horizon)
    seasonal = seasonal_naive(series, starts, window, horizon, season) if season else None
    rows = []
    for i, s in enumerate(starts):
        for h in range(horizon):
            row = [times[s + window + h], h + 1, float(actual[i, h]), round(float(pred[i, h]), 4),
                   float(naive[i, h])]
            rows.append(row + ([float(seasonal[i, h])] if seasonal is not None else []))
    header = ["time", "steps_ahead", "actual", "predicted", "naive_last"]
    run.write_csv(f"{part}_predictions.csv", header + (["seasonal_naive"] if seasonal is not None
                                                        else []), rows)


def plot_fit(path, scored: Scored, series, times, window, title):
    """The whole series, the model's one-step-ahead predictions on every split, the
    test period shaded: predicted vs actual over the test period at a glance."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 4))
    t = np.arange(len(series))
    ax.plot(t, series, color="black", lw=1.2, label="actual")
    colors = {"train": "tab:blue", "validation": "tab:orange", "test": "tab:red"}
    for part, (starts, pred, _) in scored.predictions.items():
        order = np.argsort(starts)
        ax.plot(np.asarray(starts)[order] + window, pred[order, 0], color=colors[part], lw=1.4,
                label=f"predicted ({part})")
    if "test" in scored.predictions:
        first = int(np.min(scored.predictions["test"][0])) + window
        ax.axvspan(first - 0.5, len(series) - 0.5, color="tab:red", alpha=0.08, label="test period")
    save_time_plot(fig, ax, t, [times[i] for i in t], title, path, n_ticks=12)


def save_time_plot(fig, ax, ticks, names, title, path, n_ticks):
    """Label about `n_ticks` of the time axis with their names, then save the figure
    whole or not at all (the forecast plots of training and of `kspec forecast`)."""
    step = max(1, len(ticks) // n_ticks)
    ax.set_xticks(ticks[::step])
    ax.set_xticklabels(list(names)[::step], rotation=45, ha="right", fontsize=8)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)


def saved_state(spec, data, season) -> dict:
    """forecast.json: the target series (its tail if long) and times, for `kspec forecast`;
    with several input columns also their last window (what the next forecast reads)."""
    source = spec.data.source
    series = np.asarray(data.series, "float64")
    times = data.source_state.get("times")
    state = {"column": source.target_column, "window": source.window,
             "horizon": source.horizon, "season": season, "series": series[-MAX_SAVED:].tolist(),
             "times": times[-MAX_SAVED:] if times else None}
    if source.columns is not None:  # multivariate: the last window of every input column
        state["columns"] = source.inputs
        state["last_window"] = data.source_state["last_window"]
    return state
