"""Training a forecaster: the sequence trainer, then errors in the series' units.

metrics.json gets, per split, `rmse` and `mae` in the series' own units (the
target scaling undone) beside Keras' values on the scaled target (`loss` and
`scaled_*`), and `baselines` (naive_last, seasonal_naive) on the test windows.
The run also holds forecast.png (predicted vs actual, test period shaded),
test_predictions.csv and forecast.json (for `kspec forecast`).
"""
from __future__ import annotations

import numpy as np

from . import series as fc
from ..supervised.trainer import train as train_single_network


def rename_scaled(metrics: dict, scaled: bool):
    """Keras' metrics were computed on the scaled target: say so in their names."""
    for part, values in list(metrics.items()):
        if isinstance(values, dict) and scaled:
            metrics[part] = {(k if k == "loss" else f"scaled_{k}"): v for k, v in values.items()}


def train(loaded, out=None, epochs=None, verbose=None):
    spec = loaded.spec
    season = spec.train.season

    def report(run, model, data, splits, metrics):
        scored = fc.score(model, data, spec, season)
        scaled = any(getattr(s, "apply_to", "input") != "input" for s in spec.data.preprocess)
        rename_scaled(metrics, scaled)
        for part, values in scored.metrics.items():
            metrics.setdefault(part, {}).update(values)
        metrics["baselines"] = scored.baselines
        metrics["units"] = f"rmse and mae in the units of {spec.data.source.target_column}"
        source = spec.data.source
        series = np.asarray(data.series, "float64")
        times = fc.time_labels(data.source_state, len(series))
        fc.write_test_table(run, scored, series, times, source.window, source.horizon, season)
        part = scored.baselines.get("on", "test")
        title = f"{spec.name}: one step ahead"
        if source.columns is not None:  # multivariate: say what is forecast, from what
            title = f"{spec.name}: {source.target_column} one step ahead, from " \
                    f"{len(source.inputs)} columns"
        if part in scored.metrics:
            title += f"; {part} RMSE {scored.metrics[part]['rmse']:.4g}" + "".join(
                f", {name} {b['rmse']:.4g}" for name, b in scored.baselines.items()
                if isinstance(b, dict))
        fc.plot_fit(run.file("forecast.png"), scored, series, times, source.window, title)
        run.write_json(fc.FORECAST_FILE, fc.saved_state(spec, data, season))
        return notes(scored)

    return train_single_network(loaded, out, epochs, verbose, report=report)


def notes(scored) -> list[str]:
    part = scored.baselines.get("on")
    if part is None:
        return []
    model = scored.metrics[part]
    lines = [f"{part} in the series' units: model rmse {model['rmse']:.4g}, mae {model['mae']:.4g}"]
    for name, b in scored.baselines.items():
        if isinstance(b, dict):
            verdict = "beats" if model["rmse"] < b["rmse"] else "does NOT beat"
            lines.append(f"  {name:<15} rmse {b['rmse']:.4g}, mae {b['mae']:.4g}  "
                         f"(the model {verdict} it)")
    return lines
