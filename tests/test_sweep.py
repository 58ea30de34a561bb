"""kspec sweep on Optuna: breast_cancer_mlp over learning rate x batch size, two trials at
once; weak trials pruned from their per-epoch validation loss and marked so; a stopped
sweep resumes from its storage; another sweep folder joins the same study; bad input
fails in one line before anything trains; validate never imports Optuna."""
from __future__ import annotations

import csv
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from builder.run.folder import is_partial
from builder.run.sweep import Sweep, parse_axes, resolve, split_values, yaml_text

ROOT = Path(__file__).resolve().parents[1]
TINY = """
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
# the good learning rate first, so the weak one meets finished trials to be judged against
SWEEP = ("sweep", "breast_cancer_mlp", "--set", "train.optimizer.learning_rate=0.01,0.00001",
         "--set", "train.batch_size=16,64", "--set", "train.epochs=3", "--jobs", "2")


def kspec(*args, **kw):
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600, **kw)


def read_rows(out: Path) -> list[dict]:
    with open(out / "results.csv") as f:
        return list(csv.DictReader(f))


def test_a_sweep_prunes_weak_trials_and_resumes_from_its_storage(tmp_path):
    out = tmp_path / "sweep"
    args = SWEEP + ("--out", out)
    # stopped (SIGTERM, as Ctrl-C) once the two good trials are done, while a weak one trains
    first = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), *map(str, args)], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 400
    while not ((out / "trials/000").is_dir() and (out / "trials/001").is_dir()
               and (out / "trials/002.log").is_file()):
        assert first.poll() is None and time.time() < deadline, first.communicate()
        time.sleep(0.3)
    first.send_signal(signal.SIGTERM)
    stdout, stderr = first.communicate(timeout=120)
    assert first.returncode == 130, stderr
    assert "resume with the same command" in stderr and "Traceback" not in stderr

    again = kspec(*args)
    assert again.returncode == 0, again.stderr + again.stdout
    assert "resuming: 2 of 4 trial(s) already done" in again.stdout
    rows = read_rows(out)
    done = [r for r in rows if r["status"] == "complete"]
    pruned = [r for r in rows if r["status"].startswith("pruned")]
    # the two good trials finished, ranked by their best epoch's val_loss (lower first)
    assert sorted(r["train.batch_size"] for r in done) == ["16", "64"]
    assert {r["train.optimizer.learning_rate"] for r in done} == {"0.01"}
    assert [r["rank"] for r in done] == ["1", "2"]
    assert float(done[0]["val_loss"]) <= float(done[1]["val_loss"])
    # the weak ones (learning rate 1e-5) were pruned after epoch 2 of 3, and say so
    assert sorted(r["train.batch_size"] for r in pruned) == ["16", "64"]
    assert {r["train.optimizer.learning_rate"] for r in pruned} == {"0.00001"}
    assert all(r["status"] == "pruned@2" and r["rank"] == "" for r in pruned)
    assert all(float(r["val_loss"]) > float(done[-1]["val_loss"]) for r in pruned)
    table = again.stdout.splitlines()
    assert any("pruned@2" in line and line.startswith("-") for line in table)
    for r in pruned:  # kept, but never looks like a finished run
        run = Path(r["run"])
        assert is_partial(run) and (run / "pruned.json").is_file()
        assert not (run / "metrics.json").exists()
        assert not run.with_name(run.name.removesuffix(".partial")).exists()
    for r in done:  # a complete, normal run folder with its values
        run = Path(r["run"])
        assert (run / "model.keras").is_file() and (run / "metrics.json").is_file()
        resolved = yaml.safe_load((run / "spec.yaml").read_text())
        assert str(resolved["train"]["batch_size"]) == r["train.batch_size"]
    stopped = [r for r in rows if r["status"] == "stopped"]
    assert 1 <= len(stopped) <= 2 and len(rows) == 4 + len(stopped)
    best = yaml.safe_load((out / "best.yaml").read_text())
    assert str(best["train"]["batch_size"]) == done[0]["train.batch_size"]
    assert (out / "sweep.png").stat().st_size > 1000 and (out / "study.db").is_file()
    assert f"best: trial {done[0]['trial']}" in again.stdout

    # another folder (another machine) joins the same study through --storage: nothing
    # is left to train; its table lists every trial of the study
    joined = kspec(*SWEEP, "--storage", f"sqlite:///{out / 'study.db'}", "--out",
                   tmp_path / "other")
    assert joined.returncode == 0, joined.stderr
    assert "resuming: 4 of 4" in joined.stdout and ": val_loss" not in joined.stdout
    assert [r["trial"] for r in read_rows(tmp_path / "other")] == [r["trial"] for r in rows]

    # another search space in the same folder is refused, in one line
    other = kspec("sweep", "breast_cancer_mlp", "--set", "train.epochs=1,2", "--out", out)
    assert other.returncode == 1 and "holds another sweep" in other.stderr
    assert "Traceback" not in other.stderr


def test_ranges_and_tpe_draw_inside_the_space_without_training(write_spec, tmp_path):
    path = write_spec(TINY.replace("  train.batch_size: [8, 16]",
                                   "  train.batch_size: {low: 8, high: 32}\n"
                                   "  train.optimizer.learning_rate: {low: 0.0001, high: 0.1, "
                                   "log: true}\n  sampler: tpe\n  trials: 6"))
    from builder.run.study import distributions
    from builder.spec.load import load_spec
    job = Sweep(str(path), [], tmp_path / "s", [], declared=load_spec(path).spec.sweep)
    assert (job.settings.sampler, job.settings.trials, job.settings.direction) == \
        ("tpe", 6, "minimize")
    job.open()
    drawn = [job.study.ask(distributions(job.axes)).params for _ in range(3)]
    assert all(8 <= p["train.batch_size"] <= 32 and isinstance(p["train.batch_size"], int)
               for p in drawn)
    assert all(1e-4 <= p["train.optimizer.learning_rate"] <= 0.1 for p in drawn)
    assert len({p["train.optimizer.learning_rate"] for p in drawn}) == 3


def test_a_bad_value_fails_before_any_training(write_spec, tmp_path, cli):
    path = write_spec(TINY)
    result = cli("sweep", path, "--set", "train.batch_size=8,-1", "--out", tmp_path / "s")
    assert result.exit_code == 1
    assert "train.batch_size" in result.stderr
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("args, message", [
    (["--set", "train.batch_size=8..32"], "the grid needs lists of values"),
    (["--set", "train.optimizer.learning_rate=0..1:log", "--sampler", "tpe"], "LOW > 0"),
    (["--storage", "nosuch://x"], "--storage: Optuna cannot open that database"),
])
def test_bad_ranges_and_storages_fail_in_one_line_leaving_nothing(write_spec, tmp_path, cli, args,
                                                                 message):
    result = cli("sweep", write_spec(TINY), *args, "--out", tmp_path / "s")
    assert result.exit_code == 1 and message in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "s").exists()


def test_the_section_is_checked_by_validate_which_never_imports_optuna(write_spec):
    bad = write_spec(TINY.replace("  train.batch_size: [8, 16]",
                                  "  train.batch_size: [8, 16]\n  samplr: tpe"), "bad.yaml")
    check = ("import sys, cli\nsys.argv = ['kspec', 'validate', sys.argv[1]]\n"
             "try:\n    cli.main()\nexcept SystemExit as e:\n    code = e.code\n"
             "print('optuna loaded' if 'optuna' in sys.modules else 'no optuna', code)")
    for path, code in ((write_spec(TINY), "0"), (bad, "1")):
        result = subprocess.run([sys.executable, "-c", check, str(path)], cwd=ROOT,
                                capture_output=True, text=True, timeout=120)
        assert result.stdout.split()[-3:] == ["no", "optuna", code], result.stdout
    assert "unknown key 'samplr'; did you mean 'sampler'?" in result.stderr


def test_values_split_on_top_level_commas_only_and_ranges_parse():
    assert split_values("0.001,0.01") == ["0.001", "0.01"]
    assert split_values("[16, 8],[32]") == ["[16, 8]", "[32]"]
    axes, fixed = parse_axes(["train.epochs=3", "train.batch_size=8,16",
                              "train.optimizer.learning_rate=1e-4..0.1:log"],
                             {"train.batch_size": [1], "seed": [1, 2]})
    assert axes == {"train.batch_size": ["8", "16"], "seed": ["1", "2"],
                    "train.optimizer.learning_rate": {"low": 1e-4, "high": 0.1, "log": True,
                                                      "int": False}}
    assert fixed == ["train.epochs=3"]
    assert yaml.safe_load(yaml_text(1e-05)) == 1e-05  # not the string '1e-05'


def test_settings_come_from_options_then_the_section_then_defaults(write_spec):
    from builder.spec.load import load_spec
    section = load_spec(write_spec(TINY.replace(
        "  train.batch_size: [8, 16]",
        "  train.batch_size: [8, 16]\n  metric: val_accuracy\n"
        "  pruner: {percentile: {percentile: 40, startup_trials: 3}}"))).spec.sweep
    axes = {"train.batch_size": ["8", "16"]}
    s = resolve(axes, section)
    assert (s.sampler, s.trials, s.metric, s.direction) == ("grid", 2, "val_accuracy", "maximize")
    assert s.pruner == {"kind": "percentile", "percentile": 40.0, "startup_trials": 3,
                        "warmup_epochs": 1, "interval": 1}
    s = resolve(axes, section, sampler="random", metric="val_loss", pruner="none")
    assert (s.sampler, s.trials, s.direction, s.pruner) == ("random", 10, "minimize",
                                                             {"kind": "none"})


@pytest.mark.parametrize("item", ["train.batch_size", "train.batch_size=8"])
def test_a_sweep_needs_an_axis(write_spec, tmp_path, cli, item):
    path = write_spec(TINY.split("sweep:")[0])
    result = cli("sweep", path, "--set", item, "--out", tmp_path / "s")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
