"""The example assignment, graded end to end through the CLI, offline: the strong
solution gets full marks, the weak one partial credit, invalid and hostile ones 0
with a reason; every results.json is valid Gradescope output; the renamed-layer
copy and its original top the similarity report; grading resumes; Gradescope mode."""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from cli import main
from builder.core.limits import MAX_VALUES  # the limit's spelling (issue 17)

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "assignment-digits"
STUDENTS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "mallory", "trudy"]

# Gradescope's results.json, as its documentation describes it
# (gradescope-autograders.readthedocs.io/en/latest/specs/#output-format)
VISIBILITY = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}
GRADESCOPE_SCHEMA = {
    "type": "object",
    "required": ["score", "execution_time", "output", "tests"],
    "additionalProperties": False,
    "properties": {
        "score": {"type": "number"},
        "execution_time": {"type": "number", "minimum": 0},
        "output": {"type": "string"},
        "output_format": {"enum": ["text", "html", "simple_format", "md", "ansi"]},
        "test_output_format": {"enum": ["text", "html", "simple_format", "md", "ansi"]},
        "visibility": VISIBILITY,
        "stdout_visibility": VISIBILITY,
        "extra_data": {"type": "object"},
        "tests": {"type": "array", "items": {
            "type": "object",
            "required": ["name", "score", "max_score", "status", "visibility", "output"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "score": {"type": "number", "minimum": 0},
                "max_score": {"type": "number", "minimum": 0},
                "status": {"enum": ["passed", "failed"]},
                "visibility": VISIBILITY,
                "output": {"type": "string"},
                "number": {"type": "string"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "name_format": {"type": "string"},
                "output_format": {"type": "string"},
                "extra_data": {"type": "object"},
            }}},
        "leaderboard": {"type": "array"},
    },
}


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The example assignment copied (so a test may change a submission), graded once."""
    root = tmp_path_factory.mktemp("grade")
    assignment = root / "assignment-digits"
    shutil.copytree(EXAMPLE, assignment)
    out = root / "out"
    result = run("grade", assignment / "rubric.yaml", assignment / "submissions", "--out", out,
                 "--jobs", "2")
    assert result.exit_code == 0, result.output
    return assignment, out, result.output


def results(out, student):
    return json.loads((out / student / "results.json").read_text())


def checks_of(out, student):
    return {t["name"]: t for t in results(out, student)["tests"]}


def test_every_submission_gets_valid_gradescope_results(graded):
    _, out, _ = graded
    for student in STUDENTS:
        data = results(out, student)
        jsonschema.validate(data, GRADESCOPE_SCHEMA)
        assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))
        assert (out / student / "feedback.md").is_file()
    grades = list(csv.DictReader((out / "grades.csv").open()))
    assert [g["student"] for g in grades] == STUDENTS
    assert "Test accuracy" in grades[0] and "Parameter budget" in grades[0]


def test_strong_weak_and_broken_submissions(graded):
    _, out, _ = graded
    score = {s: results(out, s)["score"] for s in STUDENTS}
    assert score["alice"] == 12.5  # the strong solution: full marks
    weak = checks_of(out, "bob")
    assert 0 < score["bob"] < 12.5
    assert 0 < weak["Test accuracy"]["score"] < 4  # partial credit between floor and target
    assert "partial credit" in weak["Test accuracy"]["output"]
    # carol's unclosed '{' is shown where it opens (line 10), not where YAML gave up (11)
    for student, words in (("carol", "carol.yaml:10:15:"),
                           ("mallory", f"more than {MAX_VALUES:,} values"),
                           ("trudy", "leads outside the assignment folder")):
        data = results(out, student)
        assert data["score"] == 0
        assert words in data["output"], data["output"]


def test_over_budget_and_wrong_loss_are_not_trained(graded):
    _, out, _ = graded
    dave = checks_of(out, "dave")
    # the lectures' count: (inputs + 1) x units per layer; pooling halves 8x8 to 4x4
    params = (9 * 1 + 1) * 64 + (9 * 64 + 1) * 128 + (4 * 4 * 128 + 1) * 256 + (256 + 1) * 10
    assert dave["Parameter budget"]["score"] == 0
    assert f"the model has {params:,} parameters" in dave["Parameter budget"]["output"]
    assert dave["Test accuracy"]["output"].startswith(f"not trained: the model has {params:,}")
    erin = checks_of(out, "erin")
    assert erin["Valid spec, loss fits the task"]["score"] == 0
    assert "erin.yaml:20:3: train.loss: binary_crossentropy is for two classes" in \
        erin["Valid spec, loss fits the task"]["output"]
    assert erin["Test accuracy"]["output"].startswith("not trained: the spec has 1 error(s)")
    assert erin["Convolution and pooling"]["score"] == 2  # structure still earns its points


def test_renamed_copy_tops_the_similarity_report_and_trains_once(graded):
    _, out, output = graded
    rows = list(csv.DictReader((out / "similarity.csv").open()))
    assert {rows[0]["student_a"], rows[0]["student_b"]} == {"alice", "frank"}
    assert float(rows[0]["similarity"]) > float(rows[1]["similarity"])
    assert rows[0]["layer_edit_distance"] == "0"
    assert "alice and frank" in output and "review" in output
    details = json.loads((out / "frank" / "details.json").read_text())
    assert details["teacher"]["shared_training_with"] == ["alice"]
    assert results(out, "frank")["score"] == results(out, "alice")["score"]


def test_hidden_expected_values_stay_hidden(graded):
    _, out, _ = graded
    for student in STUDENTS:
        tests = checks_of(out, student)
        feedback = (out / student / "feedback.md").read_text()
        for name in ("Test accuracy", "Layer order and output", "Convolution and pooling"):
            assert "expected:" not in tests[name]["output"]  # no show_expected on these
        assert "full credit at" not in feedback and "conv, ..., pooling" not in feedback
        assert "Accuracy is monitored" not in feedback  # a hidden check
        assert tests["Accuracy is monitored"]["visibility"] == "hidden"
    shown = checks_of(out, "alice")["Parameter budget"]["output"]  # show_expected: true
    assert "expected: parameters: at most 40,000" in shown


def test_resume_skips_unchanged_and_regrades_changed(graded):
    assignment, out, _ = graded
    before = (out / "alice" / "results.json").stat().st_mtime_ns
    bob = assignment / "submissions" / "bob.yaml"
    bob.write_text(bob.read_text() + "# resubmitted\n")
    result = run("grade", assignment / "rubric.yaml", assignment / "submissions", "--out", out)
    assert result.exit_code == 0, result.output
    assert "8 submission(s) already graded and unchanged" in result.output
    assert "(1 graded in" in result.output
    assert (out / "alice" / "results.json").stat().st_mtime_ns == before
    assert results(out, "bob")["score"] > 0


def test_gradescope_mode(graded, tmp_path):
    assignment, out, _ = graded
    target = tmp_path / "results" / "results.json"
    result = run("grade", assignment / "rubric.yaml", assignment / "submissions" / "grace",
                 "--gradescope", "--results", target)
    assert result.exit_code == 0, result.output
    data = json.loads(target.read_text())
    jsonschema.validate(data, GRADESCOPE_SCHEMA)
    assert data["score"] == results(out, "grace")["score"]  # same seeds, same grade
    missing = tmp_path / "none" / "results.json"
    result = run("grade", assignment / "rubric.yaml", tmp_path / "nowhere", "--gradescope",
                 "--results", missing)
    assert result.exit_code == 1  # the harness did not put a submission there
    assert result.output.strip().startswith("error: nothing found at") and \
        len(result.output.strip().splitlines()) == 1
    data = json.loads(missing.read_text())  # written even when there is nothing to grade
    jsonschema.validate(data, GRADESCOPE_SCHEMA)
    assert data["score"] == 0 and "nothing found" in data["output"]
    (tmp_path / "empty").mkdir()
    result = run("grade", assignment / "rubric.yaml", tmp_path / "empty", "--gradescope",
                 "--results", missing)
    assert result.exit_code == 1 and "no submission to grade" in result.output


def test_each_submission_gets_a_line_as_it_finishes(graded):
    _, _, output = graded
    lines = [line for line in output.splitlines() if line.startswith("[")]
    assert len(lines) == len(STUDENTS)
    assert {line.split()[1] for line in lines} == set(STUDENTS)
    alice = next(line for line in lines if " alice " in line)
    assert "12.5 / 12.5" in alice and alice.rstrip().endswith(" s")
    assert "(starter)" in next(line for line in lines if " grace " in line)
    assert "total: 9 graded in" in output


def test_the_starter_renamed_is_flagged_and_scored_zero(graded):
    _, out, _ = graded
    grace = results(out, "grace")  # the starter with another name: zero: true in the rubric
    assert grace["score"] == 0
    assert "is the starter spec handed out" in grace["output"]
    feedback = (out / "grace" / "feedback.md").read_text()
    assert "is the starter spec handed out" in feedback
    assert "differs from the starter in 0 place(s)" in feedback
    summary = (out / "summary.md").read_text()
    assert "fewer than 1 change(s) from the starter (scored 0): grace (0 change(s))" in summary
    details = json.loads((out / "grace" / "details.json").read_text())
    assert details["teacher"]["starter_changes"] == 0
    assert not [j for j in details["teacher"]["jobs"] if j["name"].startswith("train")]
    assert json.loads((out / "alice" / "details.json").read_text())[
        "teacher"]["starter_changes"] > 5  # a real departure is not flagged


def test_feedback_withholds_what_gradescope_releases_later(graded):
    _, out, _ = graded
    feedback = (out / "bob" / "feedback.md").read_text()
    tests = checks_of(out, "bob")
    assert "Test accuracy" not in feedback and "Regularisation" not in feedback
    assert "1 more check(s), worth 4 point(s), are shown after the due date." in feedback
    assert "1 more check(s), worth 1 point(s), are shown when grades are published." in feedback
    shown = sum(tests[n]["score"] for n in tests
                if tests[n]["visibility"] == "visible")
    assert f"**Score: {shown:g} / 7 on the 5 check(s) shown so far**" in feedback
    assert tests["Test accuracy"]["visibility"] == "after_due_date"  # Gradescope's field
    assert f"{results(out, 'bob')['score']:g} / 12.5" not in feedback  # total withheld


def test_leaderboard_and_lms_grade_books(graded):
    _, out, _ = graded
    board = results(out, "alice")["leaderboard"]
    assert board == [{"name": "Test accuracy", "value": pytest.approx(0.96, abs=0.03)}]
    assert "leaderboard" not in results(out, "carol")  # not trained: no entry
    rows = list(csv.DictReader((out / "leaderboard.csv").open()))
    assert [r["rank"] for r in rows][:2] == ["1", "1"]  # alice and frank train the same
    assert all(r["name"].startswith("student-") for r in rows)  # pseudonyms: true
    assert not any(r["name"] in STUDENTS for r in rows)
    values = [float(r["Test accuracy"]) for r in rows]
    assert values == sorted(values, reverse=True) and len(rows) == 3  # alice, frank, bob
    canvas = list(csv.reader((out / "canvas.csv").open()))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "digits-cnn"]
    assert ["alice", "", "", "alice", "", "12.5"] in canvas
    moodle = list(csv.reader((out / "moodle.csv").open()))
    assert moodle[0] == ["Username", "Student", "digits-cnn"] and ["grace", "grace", "0"] in moodle


def test_only_regrades_the_named_submissions(graded):
    assignment, out, _ = graded
    before = {s: (out / s / "results.json").stat().st_mtime_ns for s in STUDENTS}
    result = run("grade", assignment / "rubric.yaml", assignment / "submissions", "--out", out,
                 "--only", "carol,trudy")
    assert result.exit_code == 0, result.output
    assert "(2 graded in" in result.output and "7 other submission(s)" in result.output
    after = {s: (out / s / "results.json").stat().st_mtime_ns for s in STUDENTS}
    assert [s for s in STUDENTS if after[s] != before[s]] == ["carol", "trudy"]
    assert len(list(csv.DictReader((out / "grades.csv").open()))) == len(STUDENTS)
    result = run("grade", assignment / "rubric.yaml", assignment / "submissions", "--out", out,
                 "--only", "carl")
    assert result.exit_code == 2 and "no submission named carl" in result.output
    assert "did you mean 'carol'?" in result.output


def test_usage_errors(tmp_path):
    rubric = EXAMPLE / "rubric.yaml"
    result = run("grade", rubric, EXAMPLE / "submissions")
    assert result.exit_code == 2 and "--out" in result.output
    (tmp_path / "empty").mkdir()
    result = run("grade", rubric, tmp_path / "empty", "--out", tmp_path / "o")
    assert result.exit_code == 2 and "holds no submissions" in result.output
    assert len(result.output.strip().splitlines()) == 1  # one line, no usage text
