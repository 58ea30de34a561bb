"""The second example assignment (examples/assignment-tabular): a small MLP on
tabular features, scored by F1 and AUC under a parameter budget, graded end to end
with a roster for the LMS imports, a leaderboard, the starter scored 0, and
feedback released at the due date."""
from __future__ import annotations

import csv
import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from builder.grade.folder import grade_folder

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "assignment-tabular"
BEFORE_DUE = datetime(2026, 12, 1, tzinfo=timezone.utc)
AFTER_DUE = datetime(2026, 12, 16, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("tabular")
    shutil.copytree(EXAMPLE, root / "a")
    out = root / "out"
    result = grade_folder(root / "a" / "rubric.yaml", root / "a" / "submissions", out, jobs=2,
                          now=BEFORE_DUE)
    return root / "a", out, result


def checks_of(out, student):
    data = json.loads((out / student / "results.json").read_text())
    return {t["name"]: t for t in data["tests"]}


def test_scores_of_the_four_submissions(graded):
    _, out, result = graded
    score = {g.student: g.score for g in result.graded}
    assert score["ana"] == 10  # a good MLP: full F1 and AUC credit
    ben = checks_of(out, "ben")  # 40,961 parameters: structure points only, not trained
    assert ben["Parameter budget"]["score"] == 0
    assert ben["Test F1"]["output"].startswith("not trained: the model has 40,961 parameters")
    assert score["cai"] == 0 and "starter" in (out / "summary.md").read_text()
    dan = checks_of(out, "dan")  # trained too little: a valid spec, no F1 credit
    assert dan["Test F1"]["score"] == 0 and "test f1 0." in dan["Test F1"]["output"]
    assert dan["A multilayer perceptron"]["score"] == pytest.approx(1.33)


def test_lms_imports_use_the_roster(graded):
    _, out, _ = graded
    canvas = list(csv.reader((out / "canvas.csv").open()))
    assert canvas[0][-1] == "Cancer MLP (2024)"
    assert ["Alves, Ana", "1001", "S1001", "aalves", "Mon", "10"] in canvas
    moodle = list(csv.reader((out / "moodle.csv").open()))
    assert moodle[0] == ["Email address", "Student", "Cancer MLP (2024)"]
    assert ["cai.chen@uni.example", "Chen, Cai", "0"] in moodle


def test_leaderboard_ranks_by_f1(graded):
    _, out, _ = graded
    rows = list(csv.DictReader((out / "leaderboard.csv").open()))
    assert [r["name"] for r in rows] == ["ana", "dan"]  # the trained ones, best first
    assert float(rows[0]["Test F1"]) > 0.95 and float(rows[0]["Test AUC"]) > 0.98
    board = json.loads((out / "ana" / "results.json").read_text())["leaderboard"]
    assert [e["name"] for e in board] == ["Test F1", "Test AUC"]


def test_feedback_comes_out_at_the_due_date(graded):
    assignment, out, _ = graded
    assert "Test F1" not in (out / "ana" / "feedback.md").read_text()
    result = grade_folder(assignment / "rubric.yaml", assignment / "submissions", out,
                          now=AFTER_DUE)
    assert result.new == 0
    feedback = (out / "ana" / "feedback.md").read_text()
    assert "## Test F1: 4 / 4 (passed)" in feedback and "**Score: 10 / 10**" in feedback
