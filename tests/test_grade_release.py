"""feedback.md honours each check's visibility as Gradescope does: `hidden` never,
`after_due_date` once grading runs after the rubric's `release.due`, and
`after_published` once `release.published` is true. A grade kept from an earlier
run gets its feedback.md rewritten, so feedback comes out after the due date
without regrading. results.json keeps Gradescope's own visibility fields."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from click.testing import CliRunner

from builder.grade.folder import grade_folder
from cli import main

RUBRIC = """
assignment: release
data: {{source: {{sklearn: digits}}, split: {{test: 0.25}}}}
{release}
checks:
  - name: Valid spec
    points: 1
    lint: {{}}
  - name: Adam
    points: 2
    visibility: after_due_date
    feedback: Use adam.
    spec: {{allowed: {{train.optimizer: [adam]}}}}
  - name: Batch size
    points: 3
    visibility: after_published
    spec: {{between: {{train.batch_size: [16, 64]}}}}
  - name: Secret
    points: 4
    visibility: hidden
    spec: {{require: [train.metrics]}}
"""

SPEC = """
kspec: 1
name: s
data: {source: {sklearn: digits}}
model:
  input: [64]
  layers: [{dense: {units: 10, activation: softmax}}]
train: {loss: sparse_categorical_crossentropy, optimizer: sgd, epochs: 1, batch_size: 32}
"""


def setup(tmp_path, release=""):
    rubric = tmp_path / "rubric.yaml"
    rubric.write_text(RUBRIC.format(release=release), encoding="utf-8")
    subs = tmp_path / "subs"
    subs.mkdir(exist_ok=True)
    (subs / "ann.yaml").write_text(SPEC, encoding="utf-8")
    return rubric, subs, tmp_path / "out"


def feedback(out):
    return (out / "ann" / "feedback.md").read_text()


def test_without_a_release_only_visible_checks_are_shown(tmp_path):
    rubric, subs, out = setup(tmp_path)
    grade_folder(rubric, subs, out)
    text = feedback(out)
    assert "## Valid spec: 1 / 1" in text
    for name in ("Adam", "Batch size", "Secret", "Use adam"):
        assert name not in text
    assert "**Score: 1 / 1 on the 1 check(s) shown so far**" in text
    assert "1 more check(s), worth 2 point(s), are shown after the due date." in text
    assert "1 more check(s), worth 3 point(s), are shown when grades are published." in text
    assert "1 more check(s), worth 4 point(s), are not shown here." in text
    tests = json.loads((out / "ann" / "results.json").read_text())["tests"]
    assert [t["visibility"] for t in tests] == ["visible", "after_due_date", "after_published",
                                                "hidden"]  # Gradescope's own, as set
    output = json.loads((out / "ann" / "results.json").read_text())["output"]
    assert "1 / 1 on the 1 check(s) shown so far" in output  # the total would tell


def test_due_date_releases_when_grading_runs_after_it(tmp_path):
    rubric, subs, out = setup(tmp_path, "release: {due: 2026-12-15T23:59:00+01:00}")
    before = datetime(2026, 12, 15, 22, 58, tzinfo=timezone.utc)  # 23:58 in +01:00
    grade_folder(rubric, subs, out, now=before)
    assert "Adam" not in feedback(out)
    assert "shown after the due date (2026-12-15 23:59:00+01:00)" in feedback(out)
    after = datetime(2026, 12, 15, 23, 0, tzinfo=timezone.utc)
    result = grade_folder(rubric, subs, out, now=after)  # nothing regraded...
    assert result.new == 0 and result.skipped == 1
    text = feedback(out)  # ...but the feedback is released
    assert "## Adam: 0 / 2 (not passed)" in text and "> Hint: Use adam." in text
    assert "Batch size" not in text and "Secret" not in text
    assert "**Score: 1 / 3 on the 2 check(s) shown so far**" in text


def test_published_releases_everything_but_hidden(tmp_path):
    rubric, subs, out = setup(tmp_path, "release: {published: true}")
    grade_folder(rubric, subs, out)
    text = feedback(out)
    assert "## Adam" in text and "## Batch size: 3 / 3 (passed)" in text
    assert "Secret" not in text and "**Score: 4 / 10**" in text


def test_a_due_time_needs_its_time_zone(tmp_path):
    rubric, _, _ = setup(tmp_path, "release: {due: 2026-12-15T23:59:00}")
    result = CliRunner().invoke(main, ["rubric", "check", str(rubric)])
    assert result.exit_code == 1
    assert f"{rubric}:4:" in result.output and "release.due" in result.output
    assert "timezone" in result.output
