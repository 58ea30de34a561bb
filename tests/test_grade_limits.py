"""A submission whose grading hangs, eats memory or crashes is stopped at its limit
and scored; the others in the batch are unaffected. Identical specs train once.

Specs cannot hang or allocate (no code in specs), so the misbehaviour is injected
with the grader's test-only hook, KSPEC_GRADE_TEST_HOOK, which the grader reads
from the teacher's environment only.
"""
from __future__ import annotations

import json
import textwrap

from builder.grade.batch import hooks_from_env as read_hooks
from builder.grade.folder import grade_folder

SPEC = """
kspec: 1
name: {name}
description: {description}
data:
  source: {{sklearn: digits}}
  preprocess: [{{scale: 16}}]
model:
  input: [64]
  layers:
    - dense: {{units: 16, activation: relu, name: {hidden}}}
    - dense: {{units: 10, activation: softmax}}
train:
  loss: sparse_categorical_crossentropy
  optimizer: {{adam: {{learning_rate: 0.01}}}}
  epochs: 3
  batch_size: {batch}
"""

RUBRIC = """
assignment: limits
data:
  source: {{sklearn: digits}}
  preprocess: [{{scale: 16}}]
  split: {{validation: 0.1, test: 0.3}}
limits: {{time: {time}, memory: {memory}, max_epochs: 2}}
checks:
  - name: valid
    points: 1
    lint: {{}}
  - name: adam
    points: 1
    spec: {{allowed: {{train.optimizer: [adam]}}}}
{extra}"""

TRAIN_CHECK = """  - name: accuracy
    points: 2
    train: {metric: accuracy, floor: 0.1, target: 0.5}
"""


def write(folder, name, text):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def spec(name, batch=32, hidden="h", description="a small dense net"):
    return SPEC.format(name=name, batch=batch, hidden=hidden, description=description)


def results(out, student):
    return json.loads((out / student / "results.json").read_text())


def details(out, student):
    return json.loads((out / student / "details.json").read_text())


def test_hook_comes_from_the_environment_only(monkeypatch):
    monkeypatch.delenv("KSPEC_GRADE_TEST_HOOK", raising=False)
    assert read_hooks() == {}
    monkeypatch.setenv("KSPEC_GRADE_TEST_HOOK", "a:sleep, b:allocate@train")
    assert read_hooks() == {("a", "static"): "sleep", ("b", "train"): "allocate"}


def test_static_phase_hang_memory_and_crash_are_contained(tmp_path, monkeypatch):
    rubric = write(tmp_path, "rubric.yaml", RUBRIC.format(time=3, memory=700, extra=""))
    subs = tmp_path / "subs"
    for name in ("fine", "sleepy", "greedy", "crashy", "buggy"):
        write(subs, f"{name}.yaml", spec(name))
    # a spec that *mentions* the hook is just text: it grades normally
    write(subs, "sneaky.yaml", spec("sneaky", description="KSPEC_GRADE_TEST_HOOK=sneaky:sleep"))
    monkeypatch.setenv("KSPEC_GRADE_TEST_HOOK",
                       "sleepy:sleep,greedy:allocate,crashy:crash,buggy:raise")
    out = tmp_path / "out"
    result = grade_folder(rubric, subs, out, jobs=2)

    by = {g.student: g for g in result.graded}
    assert by["fine"].status == "ok" and by["fine"].score == 2
    assert by["sneaky"].status == "ok" and by["sneaky"].score == 2
    assert by["sleepy"].status == "timeout" and by["sleepy"].score == 0
    assert "time limit (3 s)" in results(out, "sleepy")["tests"][0]["output"]
    assert by["greedy"].status == "memory" and by["greedy"].score == 0
    assert "memory limit (700 MiB)" in results(out, "greedy")["tests"][0]["output"]
    assert by["crashy"].status == "crash" and by["crashy"].score == 0
    # a bug in the grader: still a results.json, the traceback kept for the teacher
    assert by["buggy"].status == "grader_error" and by["buggy"].score == 0
    assert "your teacher has the details" in results(out, "buggy")["tests"][0]["output"]
    assert "RuntimeError" in details(out, "buggy")["teacher"]["jobs"][0]["error"]
    # the hung process was killed at the limit, not waited for
    assert details(out, "sleepy")["teacher"]["jobs"][0]["wall_seconds"] < 10
    grades = (out / "grades.csv").read_text().splitlines()
    assert len(grades) == 1 + 6


def test_training_phase_limits_and_shared_training(tmp_path, monkeypatch):
    rubric = write(tmp_path, "rubric.yaml",
                   RUBRIC.format(time=20, memory=1500, extra=TRAIN_CHECK))
    subs = tmp_path / "subs"
    write(subs, "fine.yaml", spec("fine", batch=32))
    # the same model with other layer names, spec name and key order: trains once
    write(subs, "twin.yaml", spec("twin", batch=32, hidden="renamed"))
    write(subs, "greedy.yaml", spec("greedy", batch=16))
    write(subs, "sleepy.yaml", spec("sleepy", batch=64))
    monkeypatch.setenv("KSPEC_GRADE_TEST_HOOK", "greedy:allocate@train,sleepy:sleep@train")
    out = tmp_path / "out"
    by = {g.student: g for g in grade_folder(rubric, subs, out, jobs=2).graded}

    fine = {o.name: o for o in by["fine"].outcomes}
    assert by["fine"].status == "ok"
    assert fine["accuracy"].score == 2, fine["accuracy"].found  # digits learn fast
    assert "capped at 2" in fine["accuracy"].found[0]
    assert details(out, "fine")["teacher"]["shared_training_with"] == ["twin"]
    assert details(out, "twin")["teacher"]["shared_training_with"] == ["fine"]
    assert by["twin"].score == by["fine"].score

    for student, status, words in (("greedy", "memory", "memory limit (1500 MiB)"),
                                   ("sleepy", "timeout", "time limit (20 s)")):
        g = by[student]
        outcome = {o.name: o for o in g.outcomes}
        assert g.status == status
        assert outcome["valid"].score == 1 and outcome["adam"].score == 1  # static checks count
        assert outcome["accuracy"].score == 0
        assert f"training stopped: it went over the {words}" in outcome["accuracy"].found[0] \
            or f"training stopped: it went past the {words}" in outcome["accuracy"].found[0]


def test_a_grader_bug_in_the_parent_still_writes_results(tmp_path, monkeypatch):
    from builder.grade.batch import Grader
    rubric = write(tmp_path, "rubric.yaml", RUBRIC.format(time=30, memory=2048, extra=""))
    subs = tmp_path / "subs"
    write(subs, "fine.yaml", spec("fine"))
    write(subs, "unlucky.yaml", spec("unlucky"))
    assemble = Grader.assemble

    def flaky(self, pending):
        if pending.sub.student == "unlucky":
            raise KeyError("a bug")
        return assemble(self, pending)

    monkeypatch.setattr(Grader, "assemble", flaky)
    out = tmp_path / "out"
    by = {g.student: g for g in grade_folder(rubric, subs, out).graded}
    assert by["fine"].status == "ok" and by["fine"].score == 2
    assert by["unlucky"].status == "grader_error"
    assert results(out, "unlucky")["score"] == 0
    assert "KeyError" in details(out, "unlucky")["teacher"]["grader_error"]
