"""Bad specs: one clear FILE:LINE:COL line per problem, exit 1, never a traceback."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from conftest import DIGITS_HEAD

LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (warning: )?(?P<path>\S+): (?P<msg>.+)$")

CNN = DIGITS_HEAD + """
model:
  input: [8, 8, 1]
  layers:
    - conv2d: {filters: 8, kernel_size: 3, activation: relu}
    - flatten
    - dense: {units: 10, activation: softmax}
train:
  loss: sparse_categorical_crossentropy
  epochs: 1
"""


def problems(result):
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert "Traceback" not in result.stderr
    parsed = [LINE.match(ln) for ln in lines]
    assert all(parsed), f"every line must be FILE:LINE:COL: path: message, got {lines}"
    return parsed


def one_problem(cli, write_spec, text):
    path = write_spec(text)
    result = cli("validate", path)
    assert result.exit_code == 1
    (p,) = problems(result)
    assert p["file"] == str(path)
    return p, text.lstrip("\n").splitlines()


def test_valid_spec_passes(cli, write_spec):
    result = cli("validate", write_spec(CNN))
    assert result.exit_code == 0, result.stderr
    assert "ok" in result.stdout


def test_misspelled_key_names_line_and_suggests(cli, write_spec):
    p, lines = one_problem(cli, write_spec, CNN.replace("kernel_size: 3", "kernal_size: 3")
                           .replace("filters: 8,", "filters: 8, kernel_size: 2,"))
    assert p["path"] == "model.layers[0].conv2d.kernal_size"
    assert "did you mean 'kernel_size'" in p["msg"]
    assert "kernal_size" in lines[int(p["line"]) - 1]


def test_unknown_layer_name(cli, write_spec):
    p, lines = one_problem(cli, write_spec, CNN.replace("- flatten", "- flaten"))
    assert p["path"] == "model.layers[1]"
    assert "unknown layer 'flaten'" in p["msg"] and "did you mean 'flatten'" in p["msg"]
    assert "flaten" in lines[int(p["line"]) - 1]


def test_wrong_value_type(cli, write_spec):
    p, lines = one_problem(cli, write_spec, CNN.replace("filters: 8", "filters: eight"))
    assert p["path"] == "model.layers[0].conv2d.filters"
    assert "whole number" in p["msg"] and "'eight'" in p["msg"]
    assert "filters" in lines[int(p["line"]) - 1]


def test_dangling_inputs_name(cli, write_spec):
    p, lines = one_problem(cli, write_spec, CNN.replace(
        "- flatten", "- flatten: {name: flat}").replace(
        "units: 10, activation: softmax", "units: 10, activation: softmax, inputs: flatt"))
    assert p["path"] == "model.layers[2].dense.inputs"
    assert "no layer or input named 'flatt'" in p["msg"] and "did you mean 'flat'" in p["msg"]
    assert "flatt" in lines[int(p["line"]) - 1]


def test_shape_mismatch_kernel_too_big(cli, write_spec):
    p, lines = one_problem(cli, write_spec, CNN.replace("kernel_size: 3", "kernel_size: 9"))
    assert p["path"] == "model.layers[0].conv2d"
    assert "kernel_size 9 is larger than the input's 8" in p["msg"]
    assert "conv2d" in lines[int(p["line"]) - 1]


def test_add_of_mismatched_shapes(cli, write_spec):
    text = CNN.replace("""    - conv2d: {filters: 8, kernel_size: 3, activation: relu}
    - flatten""", """    - conv2d: {filters: 8, kernel_size: 3, name: a}
    - conv2d: {filters: 8, kernel_size: 3, padding: same, inputs: input, name: b}
    - add: {inputs: [a, b]}
    - flatten""")
    p, _ = one_problem(cli, write_spec, text)
    assert p["path"] == "model.layers[2].add"
    assert "(6, 6, 8) and (8, 8, 8)" in p["msg"]


def test_dense_on_unflattened_image_says_flatten(cli, write_spec):
    p, _ = one_problem(cli, write_spec, CNN.replace("    - flatten\n", ""))
    assert p["path"] == "model.layers[1].dense"
    assert "add `- flatten`" in p["msg"]


def test_every_problem_reported_at_once(cli, write_spec):
    text = (CNN.replace("kernel_size: 3", "kernal_size: 3, kernel_size: 3")
            .replace("- flatten", "- flaten").replace("epochs: 1", "epochz: 1"))
    result = cli("validate", write_spec(text))
    assert result.exit_code == 1
    paths = {p["path"] for p in problems(result)}
    assert paths == {"model.layers[0].conv2d.kernal_size", "model.layers[1]", "train.epochz"}


def test_graph_checked_even_when_another_section_is_wrong(cli, write_spec):
    text = CNN.replace("epochs: 1", "epochz: 1").replace(
        "units: 10, activation: softmax", "units: 10, activation: softmax, inputs: nowhere")
    result = cli("validate", write_spec(text))
    paths = {p["path"] for p in problems(result)}
    assert paths == {"train.epochz", "model.layers[2].dense.inputs"}


def test_forward_reference_explained(cli, write_spec):
    text = CNN.replace("- flatten", "- flatten: {inputs: out}").replace(
        "activation: softmax", "activation: softmax, name: out")
    p, _ = one_problem(cli, write_spec, text)
    assert "defined further down" in p["msg"]


def test_duplicate_names(cli, write_spec):
    text = CNN.replace("- flatten", "- flatten: {name: x}").replace(
        "activation: softmax", "activation: softmax, name: x")
    p, _ = one_problem(cli, write_spec, text)
    assert "used twice" in p["msg"]


def test_data_shape_vs_model_input(cli, write_spec):
    p, _ = one_problem(cli, write_spec, CNN.replace("{reshape: [8, 8, 1]}", "{flatten: {}}"))
    assert p["path"] == "model.input"
    assert "[64]" in p["msg"] and "reshape: [8, 8, 1]" in p["msg"]


def test_invalid_yaml_has_position(cli, write_spec):
    path = write_spec("name: x\nmodel: [1, 2\n")
    result = cli("validate", path)
    assert result.exit_code == 1
    assert re.match(rf"^{re.escape(str(path))}:\d+:\d+: .*invalid YAML", result.stderr)


@pytest.mark.parametrize("text, words", [
    ("name: !!python/object/apply:os.system ['echo hi']\n", "unsupported YAML tag"),
    ("a: 1\na: 2\n", "appears twice"),
    ("a: &a [1,1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
     "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
     "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n", "expands to more"),
])
def test_unsafe_yaml_refused(cli, write_spec, text, words):
    result = cli("validate", write_spec(text))
    assert result.exit_code == 1 and words in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_file_and_unknown_bundled_name(cli):
    result = cli("validate", "digits_cn")
    assert result.exit_code == 1
    assert "did you mean digits_cnn" in result.stderr.replace("'", "")


def test_bad_usage_exits_2(cli):
    from cli import main
    from click.testing import CliRunner
    assert CliRunner().invoke(main, ["train"]).exit_code == 2
    assert CliRunner().invoke(main, ["train", "x", "--epochs", "zero"]).exit_code == 2


def test_train_on_bad_spec_is_one_line_and_writes_nothing(cli, write_spec, tmp_path):
    out = tmp_path / "run"
    result = cli("train", write_spec(CNN.replace("- flatten", "- flaten")), "--out", out)
    assert result.exit_code == 1
    assert len(problems(result)) == 1
    assert not out.exists() and not list(tmp_path.glob("run*"))


def test_set_override_applies_and_errors_point_at_it(cli, write_spec):
    path = write_spec(CNN)
    ok = cli("validate", path, "--set", "train.epochs=3", "--set", "model.layers[0].conv2d.filters=4")
    assert ok.exit_code == 0, ok.stderr
    bad = cli("validate", path, "--set", "train.epochz=3")
    assert bad.exit_code == 1
    assert "--set train.epochz=3" in bad.stderr and "did you mean 'epochs'" in bad.stderr


def test_validate_imports_no_tensorflow_or_keras(tmp_path):
    code = ("import sys; from cli import main\n"
            "try:\n    main(['validate', 'breast_cancer_mlp', 'digits_cnn', 'diabetes_mlp'])\n"
            "except SystemExit as e:\n    assert e.code == 0, e.code\n"
            "bad = [m for m in ('tensorflow', 'keras') if m in sys.modules]\n"
            "assert not bad, bad\nprint('clean')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=str(__import__("pathlib").Path(__file__).parents[1]))
    assert out.returncode == 0, out.stderr
    assert "clean" in out.stdout
