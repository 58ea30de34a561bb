"""Multivariate forecasting (the keras-io weather model, small): `columns:` in, one
`target:` out. The shipped weather_lstm beats the naive baseline clearly, its errors
are in degrees, each column is scaled on its own statistics (saved in the run),
`kspec forecast` predicts from the last window of every column, validate names a
misspelled column, and an interrupted run resumes to the same numbers."""
from __future__ import annotations

import csv
import importlib.util
import json

import numpy as np
import pytest

from builder.core.problems import SpecError
from builder.spec.library import specs_dir
from builder.spec.load import load_spec

COLUMNS = ["temperature", "pressure", "humidity", "wind_speed"]


def read_csv(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def weather():
    rows = read_csv(specs_dir() / "data" / "weather.csv")
    return [r["date"] for r in rows], np.array([[float(r[c]) for c in COLUMNS] for r in rows])


def test_the_shipped_weather_csv_is_what_its_script_writes():
    path = specs_dir() / "data" / "make_weather.py"
    spec = importlib.util.spec_from_file_location("make_weather", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shipped = (specs_dir() / "data" / "weather.csv").read_text(encoding="utf-8")
    assert module.csv_text(module.make_weather()) == shipped
    assert len(shipped.splitlines()) == 501


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """weather_lstm trained as shipped, through the CLI."""
    from click.testing import CliRunner

    from cli import main
    out = tmp_path_factory.mktemp("runs") / "weather"
    result = CliRunner().invoke(main, ["train", "weather_lstm", "--out", str(out), "-q"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert "naive_last" in result.stdout and "(the model beats it)" in result.stdout
    return out


def test_weather_lstm_beats_the_naive_baseline_by_a_margin(run):
    m = json.loads((run / "metrics.json").read_text())
    assert m["baselines"]["on"] == "test"
    # measured 1.10 degC against 2.28 for "tomorrow = today" (seed 7); the other
    # columns carry what the temperature's own past cannot
    assert m["test"]["rmse"] < 0.7 * m["baselines"]["naive_last"]["rmse"]
    assert m["units"] == "rmse and mae in the units of temperature"


def test_errors_and_baselines_are_in_degrees_on_the_last_windows(run):
    dates, values = weather()
    temperature = values[:, 0]
    rows = read_csv(run / "test_predictions.csv")
    windows = len(values) - 7  # 7 days -> the next one
    assert len(rows) == round(0.2 * windows)
    n = len(rows)
    assert [r["time"] for r in rows] == dates[-n:]
    np.testing.assert_allclose([float(r["actual"]) for r in rows], temperature[-n:], atol=1e-4)
    np.testing.assert_allclose([float(r["naive_last"]) for r in rows], temperature[-n - 1:-1],
                               atol=1e-4)
    pred = np.array([float(r["predicted"]) for r in rows])
    assert np.sqrt(np.mean((pred - temperature[-n:]) ** 2)) < 1.6  # degrees, not z-scores


def test_each_column_has_its_own_scale_saved_with_the_run(run):
    saved = json.loads((run / "preprocess.json").read_text())
    (state,) = saved["states"]
    assert saved["feature_names"] == COLUMNS and saved["input_shape"] == [7, 4]
    _, values = weather()
    train = saved["sizes"]["train"]
    # the training windows cover days 0 .. train+5: every column's own mean and std
    covered = values[:train + 6]
    x = np.stack([covered[i:i + 7] for i in range(train)])  # (train, 7, 4)
    np.testing.assert_allclose(state["shift"], x.reshape(-1, 4).mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(state["factor"], x.reshape(-1, 4).std(axis=0), rtol=1e-4)
    assert 900 < state["shift"][1] < 1100  # pressure keeps its own hPa scale
    target = values[7:train + 7, 0]
    assert state["target_shift"] == pytest.approx(target.mean(), rel=1e-5)


def test_the_plot_shows_the_target(run):
    from PIL import Image
    with Image.open(run / "forecast.png") as img:
        assert img.size[0] > 500 and img.size[1] > 200
    saved = json.loads((run / "forecast.json").read_text())
    assert saved["columns"] == COLUMNS and saved["column"] == "temperature"
    assert len(saved["series"]) == 500 and len(saved["last_window"]) == 7


def test_kspec_forecast_reads_the_last_window_of_every_column(run, tmp_path, cli):
    import keras
    out = tmp_path / "next.csv"
    result = cli("forecast", run, "--steps", 1, "--out", out)
    assert result.exit_code == 0, result.stderr
    (row,) = read_csv(out)
    assert row["time"] == "2024-05-15"  # the day after the series ends
    state = json.loads((run / "preprocess.json").read_text())["states"][0]
    _, values = weather()
    x = (values[-7:] - np.array(state["shift"])) / np.array(state["factor"])
    model = keras.models.load_model(run / "model.keras", safe_mode=True)
    y = float(np.asarray(model(x[None].astype("float32")))[0, 0])
    expected = y * state["target_factor"] + state["target_shift"]
    assert float(row["temperature"]) == pytest.approx(expected, abs=1e-3)
    assert (tmp_path / "next.png").stat().st_size > 0

    # its forecasts cannot be fed back (tomorrow's pressure is unknown): one line, no file
    result = cli("forecast", run, "--steps", 3)
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert "from 4 columns" in line and "Use --steps 1, or train with `horizon: 3`" in line
    assert not (run / "forecast_3.csv").exists()


def test_kspec_predict_cuts_a_csv_of_the_columns_into_windows(run, tmp_path, cli):
    rows = (specs_dir() / "data" / "weather.csv").read_text().splitlines()
    new = tmp_path / "recent.csv"
    new.write_text("\n".join(rows[:1] + rows[-10:]) + "\n")  # 10 days: 4 windows of 7
    result = cli("predict", run, "--input", new)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("after row") == 4


# ---- mistakes, found by validate at the line -------------------------------------

def spec_text(source: str, model_input: str = "[7, 4]") -> str:
    path = specs_dir() / "data" / "weather.csv"
    return f"""
        kspec: 1
        name: w
        task: forecast
        data:
          source:
            timeseries:
              path: {path}
              {source}
              window: 7
        model:
          input: {model_input}
          layers: [{{lstm: 4}}, {{dense: 1}}]
        train: {{epochs: 1}}
        """


@pytest.mark.parametrize("source, model_input, message, line", [
    ("columns: [temperature, presure]\n              target: temperature", "[7, 2]",
     "columns[1]: no column 'presure' in", 8),
    ("columns: [temperature, pressure]\n              target: temprature", "[7, 2]",
     "did you mean 'temperature'?", 9),
    ("columns: [temperature, pressure]", "[7, 2]",
     "with several columns, say which one to forecast: add `target: temperature`", 6),
    ("column: temperature\n              columns: [pressure]", "[7, 1]", "not both", 6),
    ("columns: [temperature, pressure]\n              target: temperature", "[7, 1]",
     "the data gives examples of shape [7, 2] but model.input is [7, 1]; change model.input "
     "to [7, 2]", 12),
])
def test_validate_checks_the_columns(write_spec, source, model_input, message, line):
    with pytest.raises(SpecError) as exc:
        load_spec(write_spec(spec_text(source, model_input)))
    text = str(exc.value)
    assert message in text
    assert f"spec.yaml:{line}:" in text


def test_one_column_in_columns_needs_no_target_and_may_forecast_another(write_spec):
    spec = load_spec(write_spec(spec_text("columns: [pressure]", "[7, 1]"))).spec
    assert spec.data.source.target_column == "pressure"
    spec = load_spec(write_spec(spec_text("columns: [pressure, humidity]\n"
                                          "              target: temperature", "[7, 2]"))).spec
    loaded = spec.data.source.load(specs_dir())
    _, values = weather()
    np.testing.assert_allclose(loaded.x[0], values[:7, 1:3], rtol=1e-6)
    np.testing.assert_allclose(loaded.y[:, 0], values[7:, 0], rtol=1e-6)


def test_an_interrupted_multivariate_run_resumes_to_the_same_numbers(cli, tmp_path,
                                                                     ctrl_c_after):
    from builder.tasks import TASKS
    ctrl_c_after(1)
    out = tmp_path / "w"
    assert cli("train", "weather_lstm", "--out", out, "--epochs", 2, "-q").exit_code == 130
    ctrl_c_after(None)
    assert cli("train", "--resume", tmp_path / "w.partial", "-q").exit_code == 0
    TASKS["forecast"].train(load_spec("weather_lstm"), out=tmp_path / "straight", epochs=2,
                            verbose=0)
    for name in ("metrics.json", "history.csv"):
        a, b = (out / name).read_text(), (tmp_path / "straight" / name).read_text()
        if name == "metrics.json":
            a, b = ({k: v for k, v in json.loads(t).items() if k != "versions"} for t in (a, b))
        assert a == b
