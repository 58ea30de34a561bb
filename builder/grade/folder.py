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
from . import similarity
from .batch import Grader, clean_logs
from .outcome import zero
from ..core.atomic import write_json, write_text
from .reports import Graded, gradescope, grades_csv
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


def previous(out_dir: Path, sub: Submission, lr: LoadedRubric) -> Graded | None:
    """The grade written by an earlier run, if the rubric and submission are unchanged."""
    folder = out_dir / sub.student
    if not (folder / "results.json").is_file():
        return None
    try:
        g = Graded.from_json(json.loads((folder / "details.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    same = g.teacher.get("rubric_sha") == lr.sha and g.teacher.get("digest") == sub.digest()
    return g if same else None


def grade_folder(rubric_path, submissions, out_dir, jobs: int = 1, force: bool = False,
                 on_start: Callable[[int], None] | None = None,
                 on_graded: Callable[[Graded], None] | None = None) -> FolderResult:
    started = time.monotonic()
    lr = load_rubric(rubric_path)
    submissions, out_dir = Path(submissions), Path(out_dir)
    if not submissions.exists():
        raise GradeError(f"no submissions folder {submissions}")
    subs = find_submissions(submissions)
    if not subs:
        raise GradeError(f"{submissions} holds no submissions (.yaml files, or folders "
                         "holding one)")
    out_dir.mkdir(parents=True, exist_ok=True)
    done = {} if force else {s.student: g for s in subs if (g := previous(out_dir, s, lr))}
    todo = [s for s in subs if s.student not in done]
    if on_start:
        on_start(len(todo))
    grader = Grader(lr, out_dir, jobs, on_graded)
    fresh = {g.student: g for g in grader.grade(todo)}
    clean_logs(grader.workdir)
    graded = [done.get(s.student) or fresh[s.student] for s in subs]
    write_text(out_dir / "grades.csv", grades_csv(lr.rubric, graded))
    pairs = similarity.rank({g.student: g.teacher.get("structure") for g in graded},
                            starter_structure(lr))
    write_text(out_dir / "similarity.csv", similarity.to_csv(pairs))
    text = summary_text(lr, graded, pairs)
    write_text(out_dir / "summary.md", text + "\n")
    return FolderResult(graded, len(todo), len(done), pairs, text,
                        round(time.monotonic() - started, 1))


def starter_structure(lr: LoadedRubric) -> dict | None:
    if lr.starter_path is None:
        return None
    from ..spec.load import load_spec
    from .fingerprint import structure
    loaded = load_spec(lr.starter_path, check=False)
    return structure(loaded.spec, loaded.raw.get("data"))


def summary_text(lr: LoadedRubric, graded: list[Graded], pairs) -> str:
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
    try:
        sub = _gradescope_submission(submission)
        with tempfile.TemporaryDirectory(prefix="kspec-grade-") as tmp:
            grader = Grader(lr, Path(tmp) / "out", jobs=1)
            (g,) = grader.grade([sub])
        write_json(results, gradescope(g, lr.rubric.assignment))
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
