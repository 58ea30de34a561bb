"""The catalog suite, task half: every task in the registry, checked the way a user
meets it. Parametrised from TASKS itself, so a new task is tested without a new test.

For each task: its schema validates its example spec without loading Keras; the
example trains one epoch; the run folder holds what the task says it writes; and
every command that uses a run (evaluate, predict, forecast, generate, ...) either
answers (exit 0, something printed or written) or refuses in one line (exit 1, no
traceback). A task without an example spec, or declaring a command it cannot
answer, fails here.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from builder.tasks import TASKS
from builder.tasks.base import USE_COMMANDS, Task

ROOT = Path(__file__).resolve().parents[1]
NAMES = TASKS.names()


def example_file(name: str, folder: Path) -> Path:
    """The task's example spec, written as YAML (fails for a task that gives none)."""
    task = TASKS[name]
    try:
        spec = task.example_spec()
    except NotImplementedError as exc:
        pytest.fail(f"task {name}: {exc}; every task gives a tiny spec that trains in seconds")
    path = folder / f"{name}_example.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def kspec(*args):
    from cli import main
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=True)


_runs: dict = {}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """name -> (run folder, loaded spec, train result): each example trained once."""
    def trained(name):
        if name not in _runs:
            folder = tmp_path_factory.mktemp(name)
            path = example_file(name, folder)
            result = kspec("train", path, "--out", folder / "run", "--epochs", 1, "-q")
            from builder.spec.load import load_spec
            _runs[name] = (folder / "run", load_spec(str(path)), result)
        return _runs[name]
    return trained


@pytest.mark.parametrize("name", NAMES)
def test_schema_validates_the_example_without_keras(name, tmp_path):
    path = example_file(name, tmp_path)
    code = ("import sys\nfrom builder.spec.load import load_spec\n"
            f"loaded = load_spec({str(path)!r})\n"
            f"assert loaded.spec.task == {name!r}, loaded.spec.task\n"
            "bad = [m for m in ('tensorflow', 'keras') if m in sys.modules]\n"
            "assert not bad, bad\nprint('clean')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=str(ROOT))
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == "clean"


@pytest.mark.parametrize("name", NAMES)
def test_the_example_trains_one_epoch_into_a_complete_run_folder(name, runs):
    run, loaded, result = runs(name)
    assert result.exit_code == 0, (result.output, result.exception)
    assert not run.with_name(run.name + ".partial").exists()
    for file in TASKS[name].files_of_run(loaded.spec):
        assert (run / file).is_file(), f"task {name} says its runs hold {file}"
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["epochs_run"] == 1 if "epochs_run" in metrics else metrics
    leftovers = [p.name for p in run.rglob("*") if ".partial" in p.name or p.name.endswith(".tmp")]
    assert not leftovers, f"temporary files left in the run folder: {leftovers}"


@pytest.mark.parametrize("name", NAMES)
def test_the_task_declares_the_commands_it_answers(name):
    task = TASKS[name]
    assert task.use_commands, f"task {name} answers no command: nobody can use its runs"
    for command in task.use_commands:
        assert command in USE_COMMANDS, f"{command} is not a use command: {USE_COMMANDS}"
        method = getattr(type(task), command, None)
        assert callable(method) and getattr(Task, command, None) is None, \
            f"task {name} declares `kspec {command}` but has no {command}() method"


def test_every_use_command_is_answered_by_some_task_and_is_a_cli_command():
    from cli import main
    for command in USE_COMMANDS:
        assert TASKS.answering(command), f"no task answers kspec {command}"
        assert command in main.commands


def input_for(run: Path, loaded, folder: Path) -> Path:
    """Raw inputs `kspec predict` reads for this run's data: the series or text file
    itself for those sources, else a few raw examples as .npy."""
    source = loaded.spec.data.source
    if source.kind in ("timeseries", "text"):
        return Path(source.path)
    raw_shape = json.loads((run / "preprocess.json").read_text()).get("raw_shape") or []
    path = folder / "inputs.npy"
    np.save(path, np.zeros([3, *raw_shape], "float32"))
    return path


ARGS = {"forecast": ["--steps", 3], "arithmetic": ["0 + 1"]}


@pytest.mark.parametrize("command", USE_COMMANDS)
@pytest.mark.parametrize("name", NAMES)
def test_each_use_command_answers_or_refuses_in_one_line(name, command, runs, tmp_path):
    run, loaded, trained = runs(name)
    assert trained.exit_code == 0, "the example did not train"
    args = list(ARGS.get(command, []))
    if command == "predict":
        args += ["--input", input_for(run, loaded, tmp_path)]
    if command not in ("evaluate", "forecast"):
        suffix = ".txt" if name == "language_model" else (".csv" if command == "predict"
                                                           else ".png")
        args += ["--out", tmp_path / f"out{suffix}"]
    result = kspec(command, run, *args)
    answers = command in TASKS[name].use_commands
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not crashed, f"kspec {command} on a {name} run: {result.exception!r} (a traceback)"
    assert result.exit_code in (0, 1), result.output
    if result.exit_code == 0:
        assert answers, f"task {name} answered {command} but does not declare it"
        written = [p for p in tmp_path.iterdir() if p.name.startswith("out")]
        assert result.stdout.strip() or written, f"kspec {command} answered nothing"
        return
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    if not answers:
        assert f"`kspec {command}` works on" in lines[0]


# the report of a run, opened in a real headless browser (tests/browser.py): for one
# task of each kind, the sections a reader must find
REPORT_SECTIONS = {"supervised": {"classes"}, "autoencoder": {"pictures"},
                   "forecast": {"pictures"}, "language_model": {"text"}}
EVERY_REPORT = ["summary", "diagram", "layers", "curves", "metrics", "spec", "versions"]


@pytest.mark.parametrize("name", sorted(REPORT_SECTIONS))
def test_the_runs_report_loads_in_a_headless_browser_and_fetches_nothing(name, runs, tmp_path):
    from browser import blank, chromium, open_page
    if chromium() is None:
        pytest.skip("chromium is not installed (.ci/run installs it: apt-get install chromium)")
    run, _, trained = runs(name)
    assert trained.exit_code == 0, "the example did not train"
    page = open_page(run / "report.html")
    left = [u for u in page.requests if u != (run / "report.html").resolve().as_uri()
            and not u.startswith("data:")]
    assert not left, f"the report asked for {left}"
    assert not page.errors, page.errors
    assert page.images_ok and page.svg_count >= 1
    for section in EVERY_REPORT + sorted(REPORT_SECTIONS[name]):
        assert section in page.sections, f"no {section} section: {page.sections}"
    assert not blank(page.screenshot)
    (tmp_path / f"{name}.png").write_bytes(page.screenshot)
    # kspec report writes the same page again, from the run folder alone
    again = kspec("report", run, "--out", tmp_path / "again.html")
    assert again.exit_code == 0, again.output
    assert (tmp_path / "again.html").read_text().count("<section") == len(page.sections)
