"""Forecasting (L37, L39): the shipped airline specs beat the naive baseline on the
held-out last 20%, errors are in passengers, the baselines are scored on the very
same test windows, and `kspec forecast` continues the series recursively."""
from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest

from builder.tasks.forecast import series as fc
from builder.tasks.forecast.use import next_times
from builder.spec.load import load_spec
from builder.core.problems import SpecError


def read_csv(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def passengers():
    from builder.spec.library import specs_dir
    rows = read_csv(specs_dir() / "data" / "airline_passengers.csv")
    return [r["Month"] for r in rows], np.array([float(r["Passengers"]) for r in rows])


@pytest.fixture(scope="module")
def airline(tmp_path_factory):
    """airline_lstm trained as shipped, through the CLI."""
    from click.testing import CliRunner

    from cli import main
    out = tmp_path_factory.mktemp("runs") / "airline_lstm"
    result = CliRunner().invoke(main, ["train", "airline_lstm", "--out", str(out), "-q"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert "naive_last" in result.stdout and "(the model beats it)" in result.stdout
    return out


def metrics(run):
    return json.loads((run / "metrics.json").read_text())


def test_airline_lstm_beats_the_naive_last_value_baseline(airline):
    m = metrics(airline)
    assert m["baselines"]["on"] == "test"
    assert m["test"]["rmse"] < m["baselines"]["naive_last"]["rmse"]
    for name in ("naive_last", "seasonal_naive"):
        assert set(m["baselines"][name]) == {"rmse", "mae"}
    assert m["test"]["mae"] <= m["test"]["rmse"]


def test_test_windows_are_the_last_20_percent_in_passengers(airline):
    months, values = passengers()
    rows = read_csv(airline / "test_predictions.csv")
    windows = len(values) - 12  # 132 windows of 12 months -> the next month
    assert len(rows) == round(0.2 * windows) == 26
    assert [r["time"] for r in rows] == months[-26:]  # the last months, in order
    actual = np.array([float(r["actual"]) for r in rows])
    np.testing.assert_array_equal(actual, values[-26:])  # raw passengers, scaling undone
    pred = np.array([float(r["predicted"]) for r in rows])
    m = metrics(airline)
    assert m["test"]["rmse"] == pytest.approx(math.sqrt(np.mean((pred - actual) ** 2)), rel=1e-4)
    # the baselines, recomputed by hand on the same windows
    naive = values[-27:-1]
    seasonal = values[-38:-12]
    np.testing.assert_array_equal([float(r["naive_last"]) for r in rows], naive)
    np.testing.assert_array_equal([float(r["seasonal_naive"]) for r in rows], seasonal)
    assert m["baselines"]["naive_last"]["rmse"] == pytest.approx(
        math.sqrt(np.mean((naive - actual) ** 2)))
    assert m["baselines"]["seasonal_naive"]["mae"] == pytest.approx(np.mean(np.abs(seasonal - actual)))


def test_run_holds_the_plot_and_what_forecast_needs(airline):
    from PIL import Image
    with Image.open(airline / "forecast.png") as img:
        assert img.size[0] > 500 and img.size[1] > 200
    saved = json.loads((airline / "forecast.json").read_text())
    assert saved["window"] == 12 and saved["horizon"] == 1 and len(saved["series"]) == 144


def test_kspec_forecast_continues_the_series_recursively(airline, tmp_path, cli):
    import keras
    out = tmp_path / "next.csv"
    result = cli("forecast", airline, "--steps", 14, "--out", out)
    assert result.exit_code == 0, result.stderr
    rows = read_csv(out)
    assert [r["time"] for r in rows][:2] == ["1961-01", "1961-02"]
    assert rows[-1]["time"] == "1962-02" and len(rows) == 14
    assert (tmp_path / "next.png").stat().st_size > 0
    # recompute two steps by hand: min-max scale, predict, unscale, append, again
    state = json.loads((airline / "preprocess.json").read_text())["states"][0]
    shift, factor = state["shift"], state["factor"]
    model = keras.models.load_model(airline / "model.keras", safe_mode=True)
    _, values = passengers()
    history = list(values)
    for row in rows[:2]:
        x = (np.array(history[-12:], "float32") - shift) / factor
        y = float(np.asarray(model(x[None, :, None]))[0, 0]) * factor + shift
        assert float(row["Passengers"]) == pytest.approx(y, abs=1e-3)
        history.append(y)
    assert all(200 < float(r["Passengers"]) < 900 for r in rows)


def test_airline_rnn_beats_the_naive_baseline_too(tmp_path):
    from builder.tasks import TASKS
    loaded = load_spec("airline_rnn")
    result = TASKS["forecast"].train(loaded, out=tmp_path / "rnn", verbose=0)
    m = result.metrics
    assert m["test"]["rmse"] < m["baselines"]["naive_last"]["rmse"]


# ---- the baselines and time labels on small hand-made cases -------------------------

def test_naive_and_seasonal_baselines_by_hand():
    series = np.arange(100, 130, dtype="float64")  # 100, 101, ...
    starts = np.array([6, 10])
    # window 4, horizon 3: window at 6 covers 6..9, targets 10, 11, 12
    np.testing.assert_array_equal(fc.targets_at(series, starts, 4, 3),
                                  [[110, 111, 112], [114, 115, 116]])
    np.testing.assert_array_equal(fc.naive_last(series, starts, 4, 3),
                                  [[109, 109, 109], [113, 113, 113]])
    # season 2: step t+h comes from t+h-2, or t+h-4 once h >= 2 (never a future value)
    np.testing.assert_array_equal(fc.seasonal_naive(series, starts, 4, 3, 2),
                                  [[108, 109, 108], [112, 113, 112]])
    assert fc.seasonal_naive(series, np.array([0]), 4, 1, 12) is None  # no year before
    assert fc.errors([1, 2], [1, 4]) == {"rmse": pytest.approx(math.sqrt(2)), "mae": 1.0}


@pytest.mark.parametrize("times, expected", [
    (["1960-11", "1960-12"], ["1961-01", "1961-02"]),
    (["2020-02-27", "2020-02-28"], ["2020-02-29", "2020-03-01"]),
    (["5", "10"], ["15", "20"]),
    (["mon", "tue"], ["+1", "+2"]),
    (None, ["+1", "+2"]),
])
def test_forecast_times_continue_the_pattern(times, expected):
    assert next_times(times, 2) == expected


def test_several_steps_ahead_and_recursion_past_the_horizon(write_spec, tmp_path, cli):
    from builder.spec.library import specs_dir
    path = write_spec(f"""
        kspec: 1
        name: h3
        task: forecast
        data:
          source:
            timeseries: {{path: {specs_dir() / 'data' / 'airline_passengers.csv'},
                         column: Passengers, window: 12, horizon: 3}}
          preprocess: [{{min_max: {{apply_to: both}}}}]
          split: {{validation: 0, test: 0.2}}
        model:
          input: [12, 1]
          layers: [{{gru: 8}}, {{dense: 3}}]
        train: {{epochs: 2, season: 12}}
        """)
    result = cli("train", path, "--out", tmp_path / "run", "-q")
    assert result.exit_code == 0, result.stderr
    rows = read_csv(tmp_path / "run" / "test_predictions.csv")
    assert [r["steps_ahead"] for r in rows[:3]] == ["1", "2", "3"]
    assert len(rows) == 3 * round(0.2 * (144 - 12 - 3 + 1))
    result = cli("forecast", tmp_path / "run", "--steps", 7)
    assert result.exit_code == 0, result.stderr
    assert len(read_csv(tmp_path / "run" / "forecast_7.csv")) == 7


# ---- mistakes ---------------------------------------------------------------------

@pytest.mark.parametrize("change, message", [
    ("source: {sklearn: diabetes}", "task forecast reads a series"),
    ("layers: [{lstm: 8}, {dense: 2}]", "must output the next 1 value(s)"),
    ("loss: sparse_categorical_crossentropy", "a forecast is a number"),
])
def test_forecast_mistakes_are_reported_at_the_field(write_spec, change, message):
    from builder.spec.library import specs_dir
    base = {
        "source": f"source: {{timeseries: {{path: {specs_dir() / 'data/airline_passengers.csv'}, "
                  "column: Passengers, window: 12}}",
        "layers": "layers: [{lstm: 8}, {dense: 1}]",
        "loss": "loss: mse",
    }
    key = change.split(":")[0]
    base[key] = change
    text = f"""
        kspec: 1
        name: bad
        task: forecast
        data:
          {base['source']}
        model:
          input: [12, 1]
          {base['layers']}
        train:
          {base['loss']}
        """
    with pytest.raises(SpecError) as exc:
        load_spec(write_spec(text))
    assert message in str(exc.value)


def test_forecast_on_another_kind_of_run_says_so(tmp_path, cli):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "spec.yaml").write_text("task: supervised\n")
    result = cli("forecast", tmp_path / "run", "--steps", 3)
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert "is a supervised run: `kspec forecast` works on forecast runs" in line
    (tmp_path / "empty").mkdir()  # not a run at all
    result = cli("forecast", tmp_path / "empty", "--steps", 3)
    assert result.exit_code == 1 and "is it a finished kspec run folder?" in result.stderr
