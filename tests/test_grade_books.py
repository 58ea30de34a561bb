"""Grade books beside grades.csv: Canvas's and Moodle's import layouts (identifiers
from a roster), and the leaderboard (Gradescope's field and leaderboard.csv)."""
from __future__ import annotations

import csv
import io

from click.testing import CliRunner

from builder.grade.leaderboard import gradescope_entries, leaderboard_csv, pseudonym
from builder.grade.outcome import Outcome
from builder.grade.reports import Graded
from builder.grade.rubric import Rubric
from cli import main

RUBRIC = """
assignment: hw2
data: {{source: {{sklearn: digits}}, split: {{test: 0.25}}}}
gradebook: {{roster: roster.csv, column: "HW 2 (4711)", moodle_id: {moodle_id}}}
checks:
  - name: valid
    points: 2
    lint: {{}}
"""

SPEC = """
kspec: 1
name: s
data: {source: {sklearn: digits}}
model:
  input: [64]
  layers: [{dense: {units: 10, activation: softmax}}]
train: {loss: sparse_categorical_crossentropy, optimizer: adam, epochs: 1}
"""

ROSTER = """student,name,id,sis_user_id,sis_login_id,section,email,username
ann,"Lee, Ann",101,S-1,alee,Mon,ann@uni.example,alee
ben,"Roe, Ben",102,S-2,broe,Tue,,broe
"""


def setup(tmp_path, moodle_id="email", roster=ROSTER):
    (tmp_path / "rubric.yaml").write_text(RUBRIC.format(moodle_id=moodle_id), encoding="utf-8")
    (tmp_path / "roster.csv").write_text(roster, encoding="utf-8")
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("ann", "ben", "cy"):
        (subs / f"{name}.yaml").write_text(SPEC, encoding="utf-8")
    return ["grade", str(tmp_path / "rubric.yaml"), str(subs), "--out", str(tmp_path / "out")]


def rows(path):
    return list(csv.reader(path.open(encoding="utf-8")))


def test_canvas_and_moodle_imports_from_a_roster(tmp_path):
    result = CliRunner().invoke(main, setup(tmp_path))
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    assert rows(out / "canvas.csv") == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "HW 2 (4711)"],
        ["Lee, Ann", "101", "S-1", "alee", "Mon", "2"],
        ["Roe, Ben", "102", "S-2", "broe", "Tue", "2"],
        ["cy", "", "", "", "", "2"]]  # not in the roster: no identifier to guess
    assert rows(out / "moodle.csv") == [["Email address", "Student", "HW 2 (4711)"],
                                        ["ann@uni.example", "Lee, Ann", "2"],
                                        ["", "Roe, Ben", "2"], ["", "cy", "2"]]
    summary = (out / "summary.md").read_text()
    assert "Not matched in the roster (canvas.csv and moodle.csv cannot place them): ben, cy" \
        in summary
    assert f"{out}/canvas.csv" in result.output and f"{out}/moodle.csv" in result.output


def test_moodle_by_username(tmp_path):
    assert CliRunner().invoke(main, setup(tmp_path, moodle_id="username")).exit_code == 0
    assert rows(tmp_path / "out" / "moodle.csv")[1] == ["alee", "Lee, Ann", "2"]


def test_a_roster_without_a_student_column_is_refused(tmp_path):
    result = CliRunner().invoke(main, setup(tmp_path, roster="name,email\nAnn,a@b\n"))
    assert result.exit_code == 2
    assert "the roster needs a 'student' column" in result.output
    assert not (tmp_path / "out").exists()  # refused before anything is graded


def rubric(leaderboard):
    return Rubric.model_validate({
        "assignment": "hw3", "data": {"source": {"sklearn": "digits"}, "split": {"test": 0.2}},
        "leaderboard": leaderboard,
        "checks": [{"name": "mae", "points": 1, "train": {"metric": "mae", "floor": 2,
                                                           "target": 0.5}},
                   {"name": "r2", "points": 1, "train": {"metric": "r2", "floor": 0,
                                                          "target": 0.9}}]})


def graded(student, mae, r2):
    return Graded(student, "ok", "", [
        Outcome("mae", "train", 1, 0.5, value=mae), Outcome("r2", "train", 1, 0.5, value=r2)])


def test_leaderboard_ranks_errors_ascending_with_ties():
    r = rubric({"checks": ["mae", "r2"]})
    books = [graded("a", 0.9, 0.5), graded("b", 0.4, 0.8), graded("c", 0.9, 0.6),
             graded("d", None, None)]
    table = list(csv.DictReader(io.StringIO(leaderboard_csv(r, books))))
    assert [(t["rank"], t["name"]) for t in table] == [("1", "b"), ("2", "a"), ("2", "c")]
    assert gradescope_entries(r, books[1]) == [{"name": "mae", "value": 0.4, "order": "asc"},
                                               {"name": "r2", "value": 0.8}]
    assert gradescope_entries(rubric(None), books[1]) is None
    assert leaderboard_csv(rubric(None), books) is None


def test_pseudonyms_are_stable_and_hide_the_name():
    r = rubric({"checks": ["r2"], "pseudonyms": True})
    table = leaderboard_csv(r, [graded("alice", 0.3, 0.7)])
    assert "alice" not in table and pseudonym("hw3", "alice") in table
    assert pseudonym("hw3", "alice") == pseudonym("hw3", "alice") != pseudonym("hw4", "alice")
