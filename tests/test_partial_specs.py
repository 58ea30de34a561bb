"""Model-only and data-only specs (spec/parts.py): a spec without `data:` (what `kspec
import` writes) works in every command that needs no data, a file with only `data:`
works where only data is needed, and a command that needs the missing part refuses in
one line naming it and what to add."""
from __future__ import annotations

import pytest

MODEL_ONLY = """
name: model_only
model:
  input: [4]
  layers:
    - dense: {units: 8, activation: relu, name: hidden}
    - dense: {units: 3, activation: softmax}
"""

DATA_ONLY = """
data:
  source: {sklearn: iris}
  split: {validation: 0.2, test: 0.2}
"""


def one_error(result, *words):
    """Exit 1, one line on stderr, naming each of `words`, no traceback."""
    assert result.exit_code == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def model_only(write_spec):
    return write_spec(MODEL_ONLY, "model_only.yaml")


@pytest.fixture
def data_only(write_spec):
    return write_spec(DATA_ONLY, "teacher.yaml")


def test_model_only_spec_works_where_no_data_is_needed(cli, model_only, tmp_path):
    result = cli("validate", model_only)
    assert result.exit_code == 0 and "no data: or train: section" in result.stdout
    result = cli("summary", model_only)
    assert result.exit_code == 0 and "Total params: 67" in result.stdout, result.stderr
    result = cli("explain", model_only)
    assert result.exit_code == 0 and "(4 inputs + 1 bias) x 8 units = 40" in result.stdout
    result = cli("plot", "model", model_only, "--out", tmp_path / "m.svg")
    assert result.exit_code == 0 and (tmp_path / "m.svg").read_text().startswith("<svg")
    result = cli("export", model_only)
    assert result.exit_code == 0 and "data:" not in result.stdout
    assert "name: hidden" in result.stdout
    assert cli("fingerprint", model_only).stdout.startswith("sha256:")
    result = cli("diff", "iris_integer", model_only, "--no-params")
    assert result.exit_code == 0 and "- data:" in result.stdout, result.stdout
    # codegen of the model alone: build_model(), no training code, no kspec
    result = cli("codegen", model_only)
    assert result.exit_code == 0 and "def build_model():" in result.stdout
    assert "model.fit" not in result.stdout and "builder" not in result.stdout
    result = cli("inspect", model_only, "--input", "1,2,3,4")
    assert result.exit_code == 0 and "hidden" in result.stdout, result.stderr
    # the exported file is model-only too and validates again
    out = tmp_path / "again.yaml"
    assert cli("export", model_only, "-o", out).exit_code == 0
    assert cli("validate", out).exit_code == 0


def test_model_only_spec_is_refused_in_one_line_where_data_is_needed(cli, model_only):
    line = one_error(cli("train", model_only), "data and train", "training needs them",
                     "add a `data:` section", "add a `train:` section")
    assert line.startswith(f"{model_only}:1:1: ")
    one_error(cli("data", model_only), "data:", "reading the data needs it", "extends:")
    one_error(cli("sweep", model_only, "--set", "seed=1,2"), "training needs them")


def test_data_only_file_works_where_only_data_is_needed(cli, data_only):
    result = cli("validate", data_only)
    assert result.exit_code == 0 and "data only, no model" in result.stdout
    result = cli("data", data_only)
    assert result.exit_code == 0 and "train 90, validation 30, test 30" in result.stdout
    one_error(cli("summary", data_only), "model:", "building the model needs it")
    one_error(cli("plot", "model", data_only, "--out", data_only.with_suffix(".svg")),
              "model:", "drawing the model")
    one_error(cli("train", data_only), "model and train", "training needs them")
    one_error(cli("codegen", data_only), "model:")
    assert not data_only.with_suffix(".svg").exists()


def test_evaluate_on_a_data_only_file(cli, write_spec, model_only, tmp_path):
    """A teacher's held-out data in a file with only `data:` (the run is trained on iris)."""
    run = tmp_path / "run"
    result = cli("train", "iris_integer", "--set", "train.epochs=2", "-q", "--out", run)
    assert result.exit_code == 0, result.stderr
    teacher = write_spec("data:\n  source: {sklearn: iris}\n", "teacher.yaml")
    result = cli("evaluate", run, "--data", teacher)
    assert result.exit_code == 0, result.stderr
    assert "examples 150" in result.stdout and "accuracy" in result.stdout
    # a spec without data: names what is missing
    one_error(cli("evaluate", run, "--data", model_only), "data:", "kspec evaluate --data")
    # data of another shape: one line, not numpy's broadcasting error
    other = write_spec("data:\n  source: {sklearn: wine}\n", "wine.yaml")
    one_error(cli("evaluate", run, "--data", other), "shape [13]", "shape [4]")


def test_a_spec_with_neither_model_nor_data_is_an_error(cli, write_spec):
    path = write_spec("name: empty\ndescription: nothing yet\n")
    result = cli("validate", path)
    assert result.exit_code == 1 and "model: required" in result.stderr
    # train without a model is not a data-only file
    path = write_spec("name: t\ndata: {source: {sklearn: iris}}\n"
                      "train: {loss: mse, optimizer: adam}\n", "t.yaml")
    result = cli("validate", path)
    assert result.exit_code == 1 and "model: required" in result.stderr
    # a whole spec still needs its name
    path = write_spec(MODEL_ONLY.replace("name: model_only\n", ""), "n.yaml")
    assert "name: required" in cli("validate", path).stderr


def test_import_writes_a_model_only_spec_that_works(cli, tmp_path):
    from builder.build.model import build_models
    from builder.spec.load import load_spec
    model, _ = build_models(load_spec("breast_cancer_mlp"))["model"]
    model.save(tmp_path / "model.keras")
    out = tmp_path / "x.yaml"
    result = cli("import", tmp_path / "model.keras", "-o", out)
    assert result.exit_code == 0 and "no data: section" in result.stderr
    result = cli("summary", out)
    assert result.exit_code == 0 and "Total params: 641" in result.stdout, result.stderr
    one_error(cli("train", out), "training needs them")


def test_a_submission_without_train_is_graded_invalid_in_one_line(tmp_path):
    """The grader adds the teacher's data, but a submission must say how it trains."""
    from pathlib import Path

    from builder.grade.phases import static_phase
    rubric = Path(__file__).resolve().parents[1] / "examples" / "assignment-digits" / "rubric.yaml"
    spec = tmp_path / "zed.yaml"
    spec.write_text("name: zed\nmodel:\n  input: [8, 8, 1]\n  layers: [flatten, "
                    "{dense: {units: 10, activation: softmax}}]\n")
    out = static_phase(str(rubric), {"student": "zed", "spec": str(spec), "folder": None,
                                     "root": str(tmp_path)})
    assert out["status"] == "invalid"
    assert "train: not in this spec" in out["note"] and "\n" not in out["note"]
