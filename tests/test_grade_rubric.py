"""Rubrics are validated like specs: every problem at once, as FILE:LINE:COL, with
a suggestion; paths into specs, layer names and catalog names are checked when the
rubric is loaded, not discovered as a zero for every student."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from builder.grade.rubric import Bounds, load_rubric
from builder.core.problems import SpecError
from cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "assignment-digits" / "rubric.yaml"

HEAD = """
assignment: hw1
data:
  source: {sklearn: digits}
  split: {test: 0.25}
checks:
"""


def rubric_file(tmp_path, checks: str, head: str = HEAD) -> Path:
    path = tmp_path / "rubric.yaml"
    path.write_text(textwrap.dedent(head).lstrip() + textwrap.dedent(checks), encoding="utf-8")
    return path


def problems(path) -> list[str]:
    with pytest.raises(SpecError) as info:
        load_rubric(path)
    return [p.render() for p in info.value.problems]


def test_example_rubric_loads():
    lr = load_rubric(EXAMPLE)
    r = lr.rubric
    assert r.assignment == "digits-cnn"
    assert [c.kind for c in r.checks].count("train") == 1
    assert r.max_score == sum(c.points for c in r.checks) == 12.5
    assert {c.visibility for c in r.checks} == {"visible", "hidden", "after_due_date",
                                                "after_published"}
    assert lr.starter_path.is_file()


def test_unknown_key_points_at_its_line_with_a_suggestion(tmp_path):
    path = rubric_file(tmp_path, """
      - name: ok
        poinst: 1
        lint: {}
    """)
    found = problems(path)
    assert any(f"{path}:8:3: checks[0].poinst: unknown key 'poinst'; did you mean 'points'?" in p
               for p in found), found


def test_every_problem_is_reported_at_once(tmp_path):
    path = rubric_file(tmp_path, """
      - name: optimizer
        points: 1
        spec:
          between: {train.optimiser.learning_rate: [1.0e-4, 0.1]}
          allowed: {train.loss: [scce, crossentropy]}
      - name: layers
        points: 1
        graph:
          count: {pooling2d: {min: 1}}
          pattern: [conv2d, ..., dense]
          final_activation: softmaks
    """)
    found = "\n".join(problems(path))
    assert f"{path}:10:15: checks[0].spec.between.train.optimiser.learning_rate: " \
           "train.optimiser.learning_rate: no spec field 'optimiser' here; did you mean " \
           "'optimizer'?" in found
    assert "unknown loss 'crossentropy'" in found
    assert "unknown layer or group 'pooling2d'" in found and "did you mean" in found
    assert "unknown activation 'softmaks'; did you mean 'softmax'?" in found


def test_catalog_aliases_become_canonical_names(tmp_path):
    path = rubric_file(tmp_path, """
      - name: loss
        points: 1
        spec: {allowed: {train.loss: [scce]}, equals: {train.optimizer: adam}}
    """)
    check = load_rubric(path).rubric.checks[0]
    assert check.spec.allowed["train.loss"] == ["sparse_categorical_crossentropy"]


@pytest.mark.parametrize("body, message", [
    ("lint: {}\ngraph: {params: {max: 10}}", "exactly one kind"),
    ("train: {floor: 0.9, target: 0.8}", "the target must be above the floor"),
    ("train: {metric: mae, floor: 1, target: 3}", "the target must be below the floor"),
    ("graph: {params: {min: 5, max: 1}}", "min 5 is above max 1"),
    ("graph: {params: [1, 2, 3]}", "write a range as [min, max]"),
    ("visibility: secret\nlint: {}", "visible"),
])
def test_check_shapes(tmp_path, body, message):
    text = "\n- name: c\n  points: 1\n" + "".join(f"  {line}\n" for line in body.split("\n"))
    path = rubric_file(tmp_path, text)
    assert any(message in p for p in problems(path)), problems(path)


def test_names_epochs_starter_and_test_split(tmp_path):
    head = HEAD.replace("split: {test: 0.25}", "split: {test: 0}").replace(
        "checks:", "starter: missing.yaml\nlimits: {max_epochs: 5}\nchecks:")
    path = rubric_file(tmp_path, """
      - name: same
        points: 1
        lint: {}
      - name: same
        points: 1
        train: {floor: 0.5, target: 0.9, epochs: 9}
    """, head=head)
    found = "\n".join(problems(path))
    assert "two checks are named 'same'" in found
    path = rubric_file(tmp_path, """
      - name: acc
        points: 1
        train: {floor: 0.5, target: 0.9, epochs: 9}
    """, head=head)
    found = "\n".join(problems(path))
    assert "9 epochs is above limits.max_epochs (5)" in found
    assert "no starter file" in found
    assert "scores on the hidden test split" in found


def test_bounds_short_forms():
    assert str(Bounds.model_validate(3)) == "exactly 3"
    assert str(Bounds.model_validate([1e-4, 0.1])) == "between 0.0001 and 0.1"
    assert str(Bounds.model_validate({"max": 40000})) == "at most 40,000"
    assert Bounds.model_validate({"min": 2}).holds(2) and not Bounds.model_validate(
        {"min": 2}).holds(1)


def test_cli_rubric_check(tmp_path):
    runner = CliRunner()
    ok = runner.invoke(main, ["rubric", "check", str(EXAMPLE)])
    assert ok.exit_code == 0, ok.output
    assert "ok (8 checks, 12.5 points)" in ok.output and "after_due_date" in ok.output
    bad = rubric_file(tmp_path, """
      - name: x
        points: -1
        lint: {}
    """)
    result = runner.invoke(main, ["rubric", "check", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:8:3: checks[0].points:" in result.output
    assert "Traceback" not in result.output


def test_max_params_below_a_budget_warns_at_rubric_check(tmp_path):
    head = HEAD.replace("checks:", "limits: {max_params: 20000}\nchecks:")
    path = rubric_file(tmp_path, """
      - name: budget
        points: 1
        graph: {params: {max: 40000}}
    """, head=head)
    result = CliRunner().invoke(main, ["rubric", "check", str(path)])
    assert result.exit_code == 0, result.output  # a warning: grading may still go ahead
    assert f"{path}:5:" in result.output and "warning: limits.max_params: 20,000 is below " \
        "the check 'budget' budget (at most 40,000)" in result.output
    assert "1 warning(s)" in result.output
    agree = rubric_file(tmp_path, """
      - name: budget
        points: 1
        graph: {params: {max: 20000}}
    """, head=head)
    assert "warning" not in CliRunner().invoke(main, ["rubric", "check", str(agree)]).output


def test_validate_recognises_a_rubric():
    result = CliRunner().invoke(main, ["validate", str(EXAMPLE)])
    assert result.exit_code == 1
    assert result.output.strip() == (f"{EXAMPLE}:5:1: kspec_rubric: this file is a grading "
                                     "rubric, not a spec; check it with `kspec rubric check "
                                     f"{EXAMPLE}`")


def test_leaderboard_names_train_or_model_checks(tmp_path):
    head = HEAD.replace("checks:", "leaderboard: {checks: [acuracy, valid]}\nchecks:")
    path = rubric_file(tmp_path, """
      - name: valid
        points: 1
        lint: {}
      - name: accuracy
        points: 1
        train: {metric: f1, floor: 0.5, target: 0.9}
    """, head=head)
    found = "\n".join(problems(path))
    assert "leaderboard.checks[0]: no check is named 'acuracy'; did you mean 'accuracy'?" in found
    assert "leaderboard.checks[1]: 'valid' is a lint check" in found


def test_starter_short_and_long_forms(tmp_path):
    (tmp_path / "starter.yaml").write_text("kspec: 1\n", encoding="utf-8")
    short = rubric_file(tmp_path, "- {name: v, points: 1, lint: {}}\n",
                        head=HEAD.replace("checks:", "starter: starter.yaml\nchecks:"))
    policy = load_rubric(short).rubric.starter
    assert (policy.file, policy.min_changes, policy.zero) == ("starter.yaml", 1, False)
    long = rubric_file(tmp_path, "- {name: v, points: 1, lint: {}}\n", head=HEAD.replace(
        "checks:", "starter: {file: starter.yaml, min_changes: 3, zero: true}\nchecks:"))
    policy = load_rubric(long).rubric.starter
    assert (policy.min_changes, policy.zero) == (3, True)


SOLUTION = Path(__file__).resolve().parents[1] / "examples" / "assignment-digits" / "solution.yaml"


def test_rubric_new_writes_a_template_that_passes_its_check(tmp_path):
    runner = CliRunner()
    target = tmp_path / "rubric.yaml"
    result = runner.invoke(main, ["rubric", "new", str(target)])
    assert result.exit_code == 0, result.output
    assert "# A grading rubric" in target.read_text()  # commented
    assert runner.invoke(main, ["rubric", "check", str(target)]).exit_code == 0
    again = runner.invoke(main, ["rubric", "new", str(target)])
    assert again.exit_code == 1 and "exists" in again.output


def test_rubric_new_from_a_solution_proposes_checks_it_passes(tmp_path):
    from builder.grade.phases import static_phase
    target = tmp_path / "rubric.yaml"
    result = CliRunner().invoke(main, ["rubric", "new", str(target), "--from", str(SOLUTION)])
    assert result.exit_code == 0, result.output
    lr = load_rubric(target)
    r = lr.rubric
    by = {c.name: c for c in r.checks}
    assert by["Layer order and output"].graph.pattern == ["conv", "...", "pooling", "...",
                                                          "dense"]
    assert by["Layer order and output"].graph.output_shape == [10]
    assert r.limits.max_params == by["Parameter budget"].graph.params.max == 14000  # 9,258 x1.5
    assert by["Test accuracy"].train.metric == "accuracy" and r.limits.max_epochs == 8
    assert "kspec rubric calibrate" in target.read_text()
    assert not lr.warnings
    # the solution passes every check the template proposes that needs no training
    solution = tmp_path / "subs" / "solution.yaml"
    solution.parent.mkdir()
    solution.write_text(SOLUTION.read_text(), encoding="utf-8")
    static = static_phase(str(target), {"student": "solution", "spec": str(solution),
                                        "folder": None, "root": str(solution.parent)})
    assert static["status"] == "ok", static
    scores = {name: o["score"] for name, o in static["outcomes"].items()}
    assert scores == {c.name: c.points for c in r.checks if c.kind != "train"}


def test_points_must_sum_to_the_stated_total(tmp_path):
    head = HEAD.replace("checks:", "total: 10\nchecks:")
    path = rubric_file(tmp_path, "- {name: a, points: 4, lint: {}}\n"
                                 "- {name: b, points: 5, spec: {require: [train.metrics]}}\n",
                       head=head)
    assert f"{path}:5:1: total: the checks' points sum to 9, not 10" in "\n".join(problems(path))


def test_rubric_check_warns_about_checks_the_solution_fails(tmp_path):
    (tmp_path / "solution.yaml").write_text(SOLUTION.read_text(), encoding="utf-8")
    head = HEAD.replace("checks:", "solution: solution.yaml\nchecks:").replace(
        "split:", "preprocess: [{scale: 16}, {reshape: [8, 8, 1]}]\n  split:")
    path = rubric_file(tmp_path, """
      - name: valid
        points: 1
        lint: {}
      - name: callbacks
        points: 1
        spec: {require: [train.callbacks], between: {train.batch_size: [64, 128]}}
      - name: small
        points: 1
        graph: {params: {max: 5000}}
    """, head=head)
    result = CliRunner().invoke(main, ["rubric", "check", str(path)])
    assert result.exit_code == 0, result.output
    warned = [line for line in result.output.splitlines() if "warning: solution:" in line]
    assert warned == [
        f"{path}: warning: solution: the solution earns 0 / 1 on 'callbacks': failed: "
        "train.callbacks is not set; failed: train.batch_size is 32",
        f"{path}: warning: solution: the solution earns 0 / 1 on 'small': failed: the model "
        "has 9,258 parameters"]
    assert "ok (3 checks, 3 points, 2 warning(s))" in result.output
    # the teacher's data does not fit the solution: the lint check says so
    path.write_text(path.read_text().replace("  preprocess: [{scale: 16}, {reshape: [8, 8, 1]}]\n",
                                             ""), encoding="utf-8")
    result = CliRunner().invoke(main, ["rubric", "check", str(path)])
    assert "the solution earns 0 / 1 on 'valid': failed: solution.yaml:13:3: model.input: " \
        "the data gives examples of shape [64]" in result.output, result.output


def test_rubric_new_calibrates_the_trained_check_on_the_solution(tmp_path):
    from builder.grade.template import floor_and_target
    assert floor_and_target([0.9712, 0.9650], higher=True) == (0.86, 0.96)
    assert floor_and_target([0.20, 0.25], higher=False) == (0.55, 0.275)
    tabular = SOLUTION.parents[1] / "assignment-tabular" / "solution.yaml"
    target = tmp_path / "rubric.yaml"
    result = CliRunner().invoke(main, ["rubric", "new", str(target), "--from", str(tabular),
                                       "--calibrate", "1"])
    assert result.exit_code == 0, result.output
    text = target.read_text()
    value = float(text.split("1 training(s) of the solution gave test accuracy ")[1].split()[0])
    train = load_rubric(target).rubric.checks[-1].train
    assert (train.floor, train.target) == floor_and_target([value], higher=True)
    assert train.target <= value and "placeholders" not in text
    alone = CliRunner().invoke(main, ["rubric", "new", str(tmp_path / "x.yaml"),
                                      "--calibrate", "2"])
    assert alone.exit_code == 1 and "give it with --from SOLUTION" in alone.output
