"""Grading a task other than supervised: a forecast rubric trains each submission
with the forecast trainer (what `kspec train` runs), on the teacher's series, and
scores the test RMSE in passengers, next to the naive last-value forecast; rubric
check refuses a metric the rubric's task does not report."""
from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from builder.core.problems import SpecError
from builder.grade.folder import grade_folder
from builder.grade.rubric import load_rubric

SERIES = Path(__file__).resolve().parents[1] / "specs" / "data" / "airline_passengers.csv"

RUBRIC = """
assignment: airline-forecast
task: forecast
seed: 7
data:
  source:
    timeseries: {path: airline.csv, column: Passengers, window: 12, horizon: 1}
  preprocess: [{min_max: {apply_to: both}}]
  split: {validation: 0.1, test: 0.2}
limits: {max_epochs: 2, time: 120}
checks:
  - name: Valid spec
    points: 1
    lint: {}
  - name: Test RMSE
    points: 4
    train: {metric: rmse, floor: 400, target: 30}
  - name: Beats the naive forecast
    points: 2
    train: {metric: rmse_vs_naive, floor: 8, target: 1}
"""

# airline_rnn's shape, small; the data section is replaced by the teacher's
SPEC = """
kspec: 1
name: {name}
task: forecast
data:
  source: {{timeseries: {{path: mine.csv, column: Passengers, window: 12, horizon: 1}}}}
model:
  input: [12, 1]
  layers:
    {layers}
    - dense: 1
train:
  loss: mean_squared_error
  optimizer: {{adam: {{learning_rate: 0.01}}}}
  epochs: {epochs}
  batch_size: 16
"""


def assignment(tmp_path, rubric=RUBRIC) -> Path:
    folder = tmp_path / "a"
    (folder / "submissions").mkdir(parents=True)
    shutil.copy(SERIES, folder / "airline.csv")
    (folder / "rubric.yaml").write_text(textwrap.dedent(rubric).lstrip())
    return folder


def submit(folder, name, layers, epochs):
    (folder / "submissions" / f"{name}.yaml").write_text(
        SPEC.format(name=name, layers=layers, epochs=epochs))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = assignment(tmp_path_factory.mktemp("forecast"))
    submit(folder, "rnn", "- simple_rnn: 8", 2)
    submit(folder, "mlp", "- flatten\n    - dense: {units: 8, activation: relu}", 9)  # capped
    out = folder.parent / "out"
    grade_folder(folder / "rubric.yaml", folder / "submissions", out, jobs=2)
    return folder, out


def checks_of(out, student):
    data = json.loads((out / student / "results.json").read_text())
    return {t["name"]: t for t in data["tests"]}


def test_forecasts_are_scored_on_test_rmse_in_passengers(graded):
    folder, out = graded
    for student in ("rnn", "mlp"):
        t = checks_of(out, student)
        line = t["Test RMSE"]["output"]
        assert line.startswith("test rmse "), line
        rmse = float(line.split()[2].rstrip(":"))
        assert 5 < rmse < 1000  # passengers (the series runs 104..622), not the 0..1 scale
        assert "after 2 epoch(s)" in line
        ratio = float(t["Beats the naive forecast"]["output"].split()[2].rstrip(":"))
        assert ratio > 0
        assert 0 <= t["Test RMSE"]["score"] <= 4
    assert "your 9 epochs are capped at 2" in checks_of(out, "mlp")["Test RMSE"]["output"]


def test_the_value_is_what_kspec_train_writes(graded, tmp_path):
    """The grader's number is the forecast trainer's test rmse for the same spec, seed,
    epochs and data (the teacher's), so a student can reproduce it with kspec train."""
    import yaml

    from builder.spec.load import parse_spec
    from builder.spec.yamlpos import PositionMap
    from builder.tasks import TASKS
    folder, out = graded
    spec = yaml.safe_load((folder / "submissions" / "mlp.yaml").read_text())
    rubric = yaml.safe_load((folder / "rubric.yaml").read_text())
    spec.update(data=rubric["data"], seed=7)
    loaded = parse_spec(spec, PositionMap("mlp"), folder / "rubric.yaml", check=False)
    run = TASKS["forecast"].train(loaded, out=tmp_path / "run", epochs=2, verbose=0)
    written = json.loads((run.path / "metrics.json").read_text())
    line = checks_of(out, "mlp")["Test RMSE"]["output"]
    assert f"test rmse {written['test']['rmse']:.4f}" in line
    ratio = written["test"]["rmse"] / written["baselines"]["naive_last"]["rmse"]
    assert f"{ratio:.4f}" in checks_of(out, "mlp")["Beats the naive forecast"]["output"]


def test_a_supervised_spec_is_not_trained_by_a_forecast_rubric(tmp_path):
    folder = assignment(tmp_path)
    (folder / "submissions" / "digits.yaml").write_text(textwrap.dedent("""
        kspec: 1
        name: digits
        data: {source: {sklearn: digits}}
        model: {input: [64], layers: [{dense: {units: 10, activation: softmax}}]}
        train: {loss: sparse_categorical_crossentropy, epochs: 1}
    """))
    grade_folder(folder / "rubric.yaml", folder / "submissions", tmp_path / "out")
    line = checks_of(tmp_path / "out", "digits")["Test RMSE"]["output"]
    assert "not trained: this assignment grades forecast specs; this one has task: " \
           "supervised" in line


def problems(path) -> list[str]:
    with pytest.raises(SpecError) as info:
        load_rubric(path)
    return [p.render() for p in info.value.problems]


def test_rubric_check_refuses_a_metric_the_task_does_not_report(tmp_path):
    folder = assignment(tmp_path, RUBRIC.replace("metric: rmse,", "metric: accuracy,"))
    path = folder / "rubric.yaml"
    found = problems(path)
    assert any(p.startswith(f"{path}:16:13: ") and "checks[1].train.metric: task forecast "
               "reports no metric 'accuracy'; its train checks score: rmse, rmse_vs_naive, "
               "rmse_vs_seasonal, mae, mae_vs_naive, mae_vs_seasonal" in p for p in found), found
    path.write_text(path.read_text().replace("metric: accuracy,", "metric: rmse_vs_naiv,"))
    assert any("did you mean 'rmse_vs_naive'?" in p for p in problems(path))
    path.write_text(path.read_text().replace("task: forecast", "task: forcast"))
    assert any("the grader does not train task 'forcast'; did you mean 'forecast'?" in p
               for p in problems(path))


def test_rubric_check_refuses_a_model_check_and_knows_each_tasks_metrics(tmp_path):
    folder = assignment(tmp_path, RUBRIC + "  - {name: m, points: 1, model: {floor: 1, "
                                           "target: 2}}\n")
    assert any("a model check scores a submitted .keras file as a supervised model"
               in p for p in problems(folder / "rubric.yaml"))
    gan = RUBRIC.replace("task: forecast", "task: gan").replace(
        "- name: Test RMSE\n    points: 4\n    train: {metric: rmse, floor: 400, target: 30}",
        "- name: Judge\n    points: 4\n    train: {metric: judge_fake, floor: 0.05, "
        "target: 0.4}").replace("metric: rmse_vs_naive", "metric: rmse")
    (folder / "rubric.yaml").write_text(textwrap.dedent(gan).lstrip())
    found = problems(folder / "rubric.yaml")  # judge_fake is fine, rmse is not a gan's
    assert len(found) == 1 and "task gan reports no metric 'rmse'" in found[0], found
    assert "judge_fake, judge_real, g_loss" in found[0]


def test_task_metrics_read_what_the_trainers_write():
    """Where each name is read from a run's metrics.json (the shapes the forecast and
    gan trainers write), and the line a student gets when a value is missing."""
    from builder.grade.task_metrics import Unavailable, label, read
    forecast = {"test": {"loss": 0.01, "rmse": 40.0, "mae": 30.0},
                "baselines": {"on": "test", "naive_last": {"rmse": 50.0, "mae": 45.0}}}
    assert read("forecast", "rmse", forecast) == 40.0
    assert read("forecast", "mae_vs_naive", forecast) == pytest.approx(30 / 45)
    with pytest.raises(Unavailable) as info:
        read("forecast", "rmse_vs_seasonal", forecast)
    assert "no baselines.seasonal_naive.rmse" in str(info.value)
    assert "needs train.season" in str(info.value)
    gan = {"train": {"d_loss": 1.2, "g_loss": 0.9, "d_real": 0.7, "d_fake": 0.45}}
    assert read("gan", "judge_fake", gan) == 0.45
    assert label("gan", "judge_fake") == "judge_fake (last training epoch)"
    assert label("forecast", "rmse") == "test rmse"


def test_rubric_new_from_a_forecast_solution(tmp_path):
    """A forecast solution gives a forecast rubric, scored against the naive forecast."""
    from click.testing import CliRunner

    from cli import main
    solution = Path(__file__).resolve().parents[1] / "specs" / "sequence" / "airline_rnn.yaml"
    target = tmp_path / "rubric.yaml"
    result = CliRunner().invoke(main, ["rubric", "new", str(target), "--from", str(solution)])
    assert result.exit_code == 0, result.output
    r = load_rubric(target).rubric
    trained = [c for c in r.checks if c.kind == "train"]
    assert r.task == "forecast" and [c.train.metric for c in trained] == ["rmse_vs_naive"]
    assert trained[0].train.target < 1 < trained[0].train.floor  # lower is better
