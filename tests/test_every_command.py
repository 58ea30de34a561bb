"""Every command of `kspec --help`, run the way a user runs it, on every bundled spec or
on a run where it applies: none ends in a traceback. It answers (exit 0), or refuses
with exactly one `error:`-style line (exit 1). And every command that reads a spec
takes `--set`, and the value set takes effect.

Cheap by design: the click commands run in-process (CliRunner), the spec commands are
the fast ones (no training), and the run commands use two runs trained once for the
module (one epoch). The commands that use a run of each task (evaluate, predict,
forecast, generate, ...) are run on one run per task by the catalog suite
(tests/test_catalog_tasks.py), and training and grading by their own tests; the
coverage test below names where, so a new command fails here until it is placed.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import cli as kspec_cli
from builder.spec.library import bundled

SPECS = sorted(bundled())
ROOT = Path(__file__).resolve().parents[1]


def command_paths(group=kspec_cli.main, prefix=()):
    """'plot model', 'rubric check', ...: every command of `kspec --help`, groups opened."""
    out = {}
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            out.update(command_paths(command, prefix + (name,)))
        else:
            out[" ".join(prefix + (name,))] = command
    return out


def kspec(*args):
    return CliRunner().invoke(kspec_cli.main, [str(a) for a in args], catch_exceptions=True)


def no_traceback(result, what: str):
    """Exit 0; or exit 1 with exactly one line that is not a warning, and no traceback."""
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not crashed, f"kspec {what}: {result.exception!r} (a traceback)"
    assert "Traceback" not in result.output, what
    assert result.exit_code in (0, 1, 2), f"kspec {what}: exit {result.exit_code}: {result.output}"
    if result.exit_code == 2:  # bad usage of the command itself: click's one Error: line
        assert result.output.count("Error: ") == 1, result.output
    if result.exit_code == 1:
        lines = [ln for ln in result.stderr.strip().splitlines() if "warning:" not in ln]
        assert len(lines) == 1, f"kspec {what}: {result.stderr}"
        assert lines[0].startswith("error: ") or ": " in lines[0], lines[0]
    return result


# ---- the spec commands, on every bundled spec ------------------------------------------

def _input_values(spec_name):
    """One example of zeros for the spec's (first) network, as `--input` values."""
    from builder.spec.load import load_spec
    spec = load_spec(spec_name).spec
    model = next(iter(spec.networks().values()))
    shape = next(iter(model.input_shapes().values()))
    return json.dumps(np.zeros([d or 2 for d in shape]).tolist())


# each: (args after the command, given the spec's name and a scratch folder)
SPEC_COMMANDS = {
    "validate": lambda s, tmp: [s],
    "show": lambda s, tmp: [s],
    "summary": lambda s, tmp: [s],
    "explain": lambda s, tmp: [s],
    "data": lambda s, tmp: [s],
    "export": lambda s, tmp: [s, "-o", tmp / "export.yaml"],
    "fingerprint": lambda s, tmp: [s],
    "diff": lambda s, tmp: [s, SPECS[(SPECS.index(s) + 1) % len(SPECS)], "--no-params"],
    "plot model": lambda s, tmp: [s, "--out", tmp / "model.svg"],
    "codegen": lambda s, tmp: [s, "-o", tmp / "script.py"],
    "upgrade": lambda s, tmp: [bundled()[s]],
    "new": lambda s, tmp: [tmp / "new.yaml", "--from", s],
    "inspect": lambda s, tmp: [s, "--input", _input_values(s)],
}


@pytest.mark.parametrize("spec", SPECS)
def test_spec_commands_never_trace_back(spec, tmp_path):
    for command, args in SPEC_COMMANDS.items():
        result = no_traceback(kspec(*command.split(), *args(spec, tmp_path)),
                              f"{command} {spec}")
        if command in ("validate", "show", "export", "fingerprint", "upgrade", "new",
                       "plot model", "explain", "summary"):
            # no data is read: a bundled spec must simply work
            assert result.exit_code == 0, f"kspec {command} {spec}: {result.output}"


def test_apply_on_the_convolution_specs(tmp_path):
    from PIL import Image
    image = np.zeros((12, 10), dtype="uint8")
    image[:, :5] = 200
    Image.fromarray(image).save(tmp_path / "edge.png")
    kernels = [s for s in SPECS if s.startswith(("kernel_", "conv_", "fixed_kernel"))]
    assert len(kernels) >= 9
    for spec in kernels + ["breast_cancer_mlp"]:
        result = no_traceback(kspec("apply", spec, tmp_path / "edge.png", "--out",
                                    tmp_path / spec), f"apply {spec}")
        if spec in kernels:
            assert result.exit_code == 0, result.output


ONCE = {  # commands that take no spec: their own arguments
    "list": [], "catalog": [], "schema": [],
    "plot activations": ["--out", "{tmp}/act.png"],
    "rubric check": [ROOT / "examples" / "assignment-digits" / "rubric.yaml"],
    "rubric new": ["{tmp}/rubric.yaml"],
}


def test_commands_without_a_spec(tmp_path):
    for command, args in ONCE.items():
        args = [str(a).format(tmp=tmp_path) for a in args]
        result = no_traceback(kspec(*command.split(), *args), command)
        assert result.exit_code == 0, f"kspec {command}: {result.output}"
    for kind in ("layers", "losses", "tasks", "nonsense"):
        no_traceback(kspec("catalog", kind), f"catalog {kind}")


# ---- the run commands, on two runs trained once ----------------------------------------

TINY = {  # spec -> the --set values that make it train in a second or two
    "breast_cancer_mlp": ["train.epochs=1", "model.layers[0].dense.units=5"],
    "airline_rnn": ["train.epochs=1"],
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("runs")
    out = {}
    for spec, values in TINY.items():
        sets = [a for v in values for a in ("--set", v)]
        result = kspec("train", spec, *sets, "-q", "--out", folder / spec)
        assert result.exit_code == 0, result.output
        out[spec] = folder / spec
    return out


def test_run_commands_never_trace_back(runs, tmp_path):
    bc, series = runs["breast_cancer_mlp"], runs["airline_rnn"]
    # --set took effect in training: the first layer has 5 units (30*5+5 + 5*8+8 + 8+1)
    assert json.loads((bc / "metrics.json").read_text())["params"] == 212
    row = ",".join(["0.5"] * 30)
    (tmp_path / "rows.csv").write_text(
        ",".join(json.loads((bc / "preprocess.json").read_text())["feature_names"])
        + "\n" + row + "\n")
    calls = [
        ("evaluate", bc), ("evaluate", bc, "--data", "breast_cancer_mlp"),
        ("evaluate", bc, "--data", "iris_integer"), ("evaluate", series),
        ("predict", bc, "--input", tmp_path / "rows.csv"),
        ("predict", bc, "--input", tmp_path / "missing.csv"),
        ("forecast", series, "--steps", 3, "--out", tmp_path / "f.csv"),
        ("forecast", bc, "--steps", 3),
        ("inspect", bc, "--input", row), ("inspect", series, "--input", "1,2,3"),
        ("report", bc, "--out", tmp_path / "r.html"), ("compare", bc, series),
        ("import", bc / "model.keras", "-o", tmp_path / "imported.yaml"),
        ("train", "--resume", bc), ("generate", bc), ("play", series),
        ("interpolate", bc), ("reconstruct", series), ("arithmetic", bc, "1 - 0"),
    ]
    for call in calls:
        result = no_traceback(kspec(*call), " ".join(map(str, call)))
        if call[0] in ("report", "compare", "import") or call in (
                ("evaluate", bc), ("evaluate", bc, "--data", "breast_cancer_mlp")):
            assert result.exit_code == 0, f"{call}: {result.output}"
        if "iris_integer" in call:  # another data set: its shape named, in one line
            assert "shape [4], but the run was trained on examples of shape [30]" \
                in result.stderr
    # what import wrote is a model-only spec: the spec commands work on it
    for command in ("validate", "summary", "explain", "export", "codegen"):
        result = no_traceback(kspec(command, tmp_path / "imported.yaml"), command)
        assert result.exit_code == 0, result.output


# where each command of `kspec --help` is run on specs or runs
ELSEWHERE = {
    "train": "the runs fixture above; tests/test_core_train.py, test_run_resume.py",
    "sweep": "tests/test_sweep.py (it trains several trials)",
    "grade": "tests/test_grade_example.py and the other test_grade_* files",
    "rubric calibrate": "tests/test_grade_calibrate.py (it trains the solution K times)",
    "studio": "a server: tests/test_studio_api.py (in-process and the real process) and "
              "tests/test_studio_browser.py",
}
RUN_COMMANDS = {"evaluate", "predict", "forecast", "generate", "interpolate", "reconstruct",
                "arithmetic", "play", "report", "compare", "import"}


def test_every_command_of_kspec_help_is_run_somewhere():
    placed = (set(SPEC_COMMANDS) | {"apply"} | set(ONCE) | RUN_COMMANDS | set(ELSEWHERE))
    missing = set(command_paths()) - placed
    assert not missing, f"commands no test runs on specs or runs: {sorted(missing)}"
    from builder.tasks.base import USE_COMMANDS
    assert set(USE_COMMANDS) <= RUN_COMMANDS  # and test_catalog_tasks runs them per task


# ---- --set on every command that reads a spec -------------------------------------------

# a command reads a spec when it takes one of these arguments
SPEC_PARAMS = {"spec", "specs", "a", "b", "target", "name", "solution"}
NO_SET = {  # read a spec file but not as a spec to change
    "show": "prints the file (or its description) as written",
    "upgrade": "rewrites a file in an older format, which --set does not speak",
    "rubric calibrate": "trains the solution exactly as the grader will (the rubric's values)",
    "rubric new": "proposes a rubric's checks from the solution file as handed out",
    "studio": "opens the spec in an editor, where the student changes values by hand",
}
UNITS = "model.layers[0].dense.units=5"  # breast_cancer_mlp: 641 -> 212 parameters
# command -> (args, the --set value, something in the output with it, not without)
SET_CASES = {
    "validate": (["breast_cancer_mlp"], UNITS, "212 parameters"),
    "summary": (["breast_cancer_mlp"], UNITS, "Total params: 212"),
    "explain": (["breast_cancer_mlp"], UNITS, "x 5 units = 155"),
    "data": (["breast_cancer_mlp"], "data.split.test=0.5", "test 284"),
    "export": (["breast_cancer_mlp"], UNITS, "units: 5"),
    "fingerprint": (["breast_cancer_mlp"], UNITS, "sha256:"),
    "diff": (["breast_cancer_mlp", "breast_cancer_mlp", "--no-params"], UNITS, "16 -> 5"),
    "codegen": (["breast_cancer_mlp"], UNITS, "units=5"),
    "plot model": (["breast_cancer_mlp", "--out", "{tmp}/m.svg"], UNITS, "212 parameters"),
    "inspect": (["breast_cancer_mlp", "--input", ",".join(["1"] * 30)], UNITS, "-> (5)"),
    "apply": (["fixed_kernel_conv", "{tmp}/edge.png", "--out", "{tmp}/applied"],
              "model.layers[0].conv2d.strides=2", "kernel -> 5x4"),
    "train": (["breast_cancer_mlp", "--out", "{tmp}/run", "-q"], "train.epochs=1", "saved run"),
    "sweep": (["breast_cancer_mlp", "--out", "{tmp}/sweep"], None, None),
}


def reads_a_spec():
    return sorted(path for path, command in command_paths().items()
                  if SPEC_PARAMS & {p.name for p in command.params})


def test_the_commands_that_read_a_spec_are_known():
    assert set(reads_a_spec()) == set(SET_CASES) | set(NO_SET)


@pytest.mark.parametrize("command", sorted(SET_CASES))
def test_set_is_taken_and_takes_effect(command, tmp_path):
    params = {p.name: p for p in command_paths()[command].params}
    assert "overrides" in params and "--set" in params["overrides"].opts, command
    args, value, shows = SET_CASES[command]
    if value is None:  # sweep: --set is its search space (tests/test_sweep.py)
        return
    from PIL import Image
    Image.fromarray(np.kron(np.eye(2, dtype="uint8") * 200, np.ones((6, 5), "uint8"))
                    ).save(tmp_path / "edge.png")
    args = [str(a).format(tmp=tmp_path) for a in args]
    if command == "train":  # one epoch is the change: 60 epochs are not run without it
        result = kspec(command, *args, "--set", value, "--set", UNITS)
        assert result.exit_code == 0, result.output
        assert json.loads((tmp_path / "run" / "metrics.json").read_text())["epochs_run"] == 1
        return
    plain = kspec(*command.split(), *args)
    changed = kspec(*command.split(), *args, "--set", value)
    assert plain.exit_code == 0 and changed.exit_code == 0, (plain.output, changed.output)
    if command == "plot model":
        assert shows in (tmp_path / "m.svg").read_text()
        return
    if command == "apply":
        assert shows in changed.output and shows not in plain.output, changed.output
        return
    assert changed.output != plain.output
    assert shows in changed.output and (command == "fingerprint" or shows not in plain.output)
