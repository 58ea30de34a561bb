"""The two ways to grade: a folder of submissions into an output folder (resumable),
or one submission where Gradescope's harness puts it."""
from __future__ import annotations

import json
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..core.problems import SpecError
from . import gradebook, similarity
from .batch import Grader, clean_logs
from .leaderboard import leaderboard_csv
from .outcome import zero
from ..core.atomic import write_json, write_text
from .reports import Graded, gradescope, grades_csv, write_feedback
from .rubric import LoadedRubric, load_rubric
from .submission import Submission, find_submissions

GRADESCOPE_SUBMISSION = Path("/autograder/submission")
GRADESCOPE_RESULTS = Path("/autograder/results/results.json")


class GradeError(Exception):
    """Bad usage of `kspec grade` (e.g. an empty submissions folder)."""


@dataclass
class FolderResult:
    graded: list[Graded]  # every submission, this run's and earlier runs'
    new: int  # graded in this run
    skipped: int  # already graded, unchanged
    pairs: list
    summary: str
    seconds: float
    files: list[str]  # what was written in the output folder, besides the per-student ones
    not_graded: list[str]  # with --only: submissions that have no grade yet


def previous(out_dir: Path, sub: Submission, lr: LoadedRubric,
             unchanged: bool = True) -> Graded | None:
    """The grade written by an earlier run, if the rubric and submission are unchanged
    (or whatever it is, with unchanged=False: --only leaves the others alone)."""
    folder = out_dir / sub.student
    if not (folder / "results.json").is_file():
        return None
    try:
        g = Graded.from_json(json.loads((folder / "details.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    same = g.teacher.get("rubric_sha") == lr.sha and g.teacher.get("digest") == sub.digest()
    return g if same or not unchanged else None


def grade_folder(rubric_path, submissions, out_dir, jobs: int = 1, force: bool = False,
                 on_start: Callable[[int], None] | None = None,
                 on_graded: Callable[[Graded], None] | None = None,
                 only: list[str] | None = None, now=None) -> FolderResult:
    """Grade a folder of submissions. `only`: regrade these, keep the others' grades
    as they are; `now`: the time release dates are compared with (default: now)."""
    started = time.monotonic()
    lr = load_rubric(rubric_path)
    submissions, out_dir = Path(submissions), Path(out_dir)
    if not submissions.exists():
        raise GradeError(f"no submissions folder {submissions}")
    subs = find_submissions(submissions)
    if not subs:
        raise GradeError(f"{submissions} holds no submissions (.yaml files, or folders "
                         "holding one)")
    try:
        roster = gradebook.read_roster(lr.roster_path)
    except (gradebook.RosterError, OSError, UnicodeDecodeError) as exc:
        raise GradeError(str(exc)) from None
    out_dir.mkdir(parents=True, exist_ok=True)
    if only:
        names = {s.student for s in subs}
        missing = [n for n in only if n not in names]
        if missing:
            from ..core.base import did_you_mean
            raise GradeError(f"--only: no submission named {', '.join(missing)} in "
                             f"{submissions}{did_you_mean(missing[0], sorted(names))}")
        done = {s.student: g for s in subs if s.student not in only
                and (g := previous(out_dir, s, lr, unchanged=False))}
        todo = [s for s in subs if s.student in only]
    else:
        done = {} if force else {s.student: g for s in subs if (g := previous(out_dir, s, lr))}
        todo = [s for s in subs if s.student not in done]
    if on_start:
        on_start(len(todo))
    grader = Grader(lr, out_dir, jobs, on_graded)
    fresh = {g.student: g for g in grader.grade(todo)}
    clean_logs(grader.workdir)
    for student, g in done.items():  # a release date may have passed since
        write_feedback(out_dir / student, g, lr.rubric, now)
    graded = [g for s in subs if (g := done.get(s.student) or fresh.get(s.student))]
    not_graded = sorted({s.student for s in subs} - {g.student for g in graded})
    files = write_books(lr, out_dir, graded, roster)
    pairs = similarity.rank({g.student: g.teacher.get("structure") for g in graded},
                            grader.starter)
    write_text(out_dir / "similarity.csv", similarity.to_csv(pairs))
    text = summary_text(lr, graded, pairs, roster, not_graded)
    write_text(out_dir / "summary.md", text + "\n")
    return FolderResult(graded, len(todo), len(done), pairs, text,
                        round(time.monotonic() - started, 1),
                        files + ["similarity.csv", "summary.md"], not_graded)


def write_books(lr: LoadedRubric, out_dir: Path, graded: list[Graded], roster) -> list[str]:
    """grades.csv, the LMS imports, and the leaderboard when the rubric has one."""
    books = {"grades.csv": grades_csv(lr.rubric, graded),
             "canvas.csv": gradebook.canvas_csv(lr.rubric, graded, roster),
             "moodle.csv": gradebook.moodle_csv(lr.rubric, graded, roster),
             "leaderboard.csv": leaderboard_csv(lr.rubric, graded)}
    for name, text in books.items():
        if text is not None:
            write_text(out_dir / name, text)
    return [name for name, text in books.items() if text is not None]


def summary_text(lr: LoadedRubric, graded: list[Graded], pairs, roster=None,
                 not_graded=()) -> str:
    r = lr.rubric
    scores = sorted(g.score for g in graded)
    lines = [f"# {r.assignment}: {len(graded)} submission(s) graded", "",
             f"Scores out of {r.max_score:g}: median {scores[len(scores) // 2]:g}, "
             f"lowest {scores[0]:g}, highest {scores[-1]:g}."]
    by_status: dict[str, list[str]] = {}
    for g in graded:
        by_status.setdefault(g.status, []).append(g.student)
    for status, students in sorted(by_status.items()):
        if status != "ok":
            lines.append(f"{status}: {', '.join(sorted(students))}")
    if not_graded:
        lines.append(f"not graded yet (--only left them out): {', '.join(not_graded)}")
    if r.starter is not None:
        least = r.starter.min_changes
        near = sorted((g.teacher["starter_changes"], g.student) for g in graded
                      if g.teacher.get("starter_changes") is not None
                      and g.teacher["starter_changes"] < least)
        if near:
            what = "scored 0" if r.starter.zero else "graded as usual; review them"
            lines += ["", f"Submissions with fewer than {least} change(s) from the starter "
                      f"({what}): " + ", ".join(f"{s} ({n} change(s))" for n, s in near)]
    if roster:
        missing = gradebook.unmatched(r, graded, roster)
        if missing:
            lines += ["", f"Not matched in the roster (canvas.csv and moodle.csv cannot "
                      f"place them): {', '.join(missing)}"]
    lines += [""] + similarity.summary(pairs)
    return "\n".join(lines)


def grade_gradescope(rubric_path, submission: Path | None = None,
                     results: Path | None = None) -> Graded:
    """Grade one submission for Gradescope's harness. results.json is always
    written, even if the rubric or the grader itself fails."""
    submission = Path(submission or GRADESCOPE_SUBMISSION)
    results = Path(results or GRADESCOPE_RESULTS)
    started = time.monotonic()
    try:
        lr = load_rubric(rubric_path)
    except SpecError as exc:
        _write_failure(results, "The autograder's rubric is invalid; tell your teacher:\n"
                       + "\n".join(p.render() for p in exc.problems), started)
        raise
    if not submission.exists() or (submission.is_dir() and not any(submission.iterdir())):
        message = (f"nothing found at {submission}: no submission to grade (Gradescope "
                   "unpacks it into /autograder/submission)")
        _write_failure(results, "The autograder found no submission; tell your teacher: "
                       + message, started)
        raise GradeError(message)
    try:
        from .leaderboard import gradescope_entries
        sub = _gradescope_submission(submission)
        with tempfile.TemporaryDirectory(prefix="kspec-grade-") as tmp:
            grader = Grader(lr, Path(tmp) / "out", jobs=1)
            (g,) = grader.grade([sub])
        write_json(results, gradescope(g, lr.rubric.assignment,
                                       gradescope_entries(lr.rubric, g)))
        return g
    except Exception:
        g = Graded("submission", "grader_error", "", [
            zero(c, "the grader failed here; your teacher has the details")
            for c in lr.rubric.checks], round(time.monotonic() - started, 2),
            {"grader_error": traceback.format_exc()})
        write_json(results, gradescope(g, lr.rubric.assignment))
        raise


def _gradescope_submission(path: Path) -> Submission:
    """Gradescope unpacks the upload into a folder; a single file works too."""
    if path.is_file():
        return Submission(path.stem, path, None, path.parent)
    if not path.is_dir():
        return Submission("submission", None, None, path.parent, f"nothing found at {path}")
    from .submission import from_folder
    sub = from_folder(path, path)
    sub.student, sub.root = "submission", path
    return sub


def _write_failure(results: Path, message: str, started: float):
    seconds = round(time.monotonic() - started, 2)
    write_json(results, {"score": 0.0, "execution_time": seconds, "output": message,
                                "tests": []})
