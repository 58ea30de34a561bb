"""kspec sweep: a 2x2 grid trained as four normal runs (two at once), ranked by the
metric, the best spec written out; a stopped sweep resumes; bad values fail first."""
from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from builder.run.sweep import parse_axes, plan_trials, split_values

ROOT = Path(__file__).resolve().parents[1]
SPEC = """
kspec: 1
name: tiny
seed: 1
data:
  source: {synthetic: {type: classification, n: 120, shape: [4], classes: 2}}
  split: {validation: 0.25, test: 0.25}
model:
  input: [4]
  layers:
    - dense: {units: 4, activation: relu}
    - dense: {units: 1, activation: sigmoid}
train:
  loss: binary_crossentropy
  optimizer: {adam: {learning_rate: 0.01}}
  metrics: [accuracy]
  epochs: 1
  batch_size: 16
sweep:
  train.batch_size: [8, 16]
"""


def kspec(*args):
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


def test_a_grid_sweep_ranks_its_trials_and_resumes(write_spec, tmp_path):
    path = write_spec(SPEC)
    out = tmp_path / "sweep"
    args = ("sweep", path, "--set", "train.optimizer.learning_rate=0.001,0.05",
            "--metric", "val_accuracy", "--jobs", "2", "--out", out)
    result = kspec(*args)
    assert result.returncode == 0, result.stderr + result.stdout
    with open(out / "results.csv") as f:
        rows = list(csv.DictReader(f))
    # 2 learning rates (--set) x 2 batch sizes (the spec's sweep section) = 4 runs
    assert sorted((r["train.optimizer.learning_rate"], int(r["train.batch_size"])) for r in rows) \
        == [("0.001", 8), ("0.001", 16), ("0.05", 8), ("0.05", 16)]
    scores = [float(r["val_accuracy"]) for r in rows]
    assert scores == sorted(scores, reverse=True)  # best first: accuracy is maximised
    for r in rows:  # each trial is a complete, normal run folder with its values
        run = Path(r["run"])
        assert (run / "model.keras").is_file() and (run / "metrics.json").is_file()
        resolved = yaml.safe_load((run / "spec.yaml").read_text())
        assert str(resolved["train"]["batch_size"]) == r["train.batch_size"]
    best = yaml.safe_load((out / "best.yaml").read_text())
    assert str(best["train"]["batch_size"]) == rows[0]["train.batch_size"]
    assert (out / "sweep.png").stat().st_size > 1000
    assert "best: trial" in result.stdout and "rank" in result.stdout.splitlines()[-7]

    # a sweep stopped before its last trial: the same command trains only what is missing
    shutil.rmtree(rows[-1]["run"])
    again = kspec(*args)
    assert again.returncode == 0, again.stderr
    assert "resuming: 3 of 4 trial(s) already done" in again.stdout
    assert again.stdout.count(": done") == 1
    assert Path(rows[-1]["run"], "metrics.json").is_file()

    # another search space in the same folder is refused, in one line
    other = kspec("sweep", path, "--set", "train.epochs=1,2", "--out", out)
    assert other.returncode == 1 and "holds another sweep" in other.stderr
    assert "Traceback" not in other.stderr


def test_a_bad_value_fails_before_any_training(write_spec, tmp_path, cli):
    path = write_spec(SPEC)
    result = cli("sweep", path, "--set", "train.batch_size=8,-1", "--out", tmp_path / "s")
    assert result.exit_code == 1
    assert "train.batch_size" in result.stderr
    assert not (tmp_path / "s").exists()


def test_values_split_on_top_level_commas_only():
    assert split_values("0.001,0.01") == ["0.001", "0.01"]
    assert split_values("[16, 8],[32]") == ["[16, 8]", "[32]"]
    axes, fixed = parse_axes(["train.epochs=3", "train.batch_size=8,16"],
                             {"train.batch_size": [1], "seed": [1, 2]})
    assert axes == {"train.batch_size": ["8", "16"], "seed": ["1", "2"]} and fixed == ["train.epochs=3"]


def test_random_picks_a_seeded_sample_of_the_grid():
    axes = {"a": ["1", "2", "3"], "b": ["x", "y"]}
    picked = plan_trials(axes, "random", 4, seed=7)
    assert len(picked) == 4 and len({tuple(p.values()) for p in picked}) == 4
    assert picked == plan_trials(axes, "random", 4, seed=7)
    assert len(plan_trials(axes, "grid", None, 0)) == 6


@pytest.mark.parametrize("item", ["train.batch_size", "train.batch_size=8"])
def test_a_sweep_needs_an_axis(write_spec, tmp_path, cli, item):
    path = write_spec(SPEC.split("sweep:")[0])
    result = cli("sweep", path, "--set", item, "--out", tmp_path / "s")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
