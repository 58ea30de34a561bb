"""What grading writes: per submission `results.json` (Gradescope's autograder
format), `feedback.md` (for the student) and `details.json` (for the teacher); for
the batch, `grades.csv`.

Students' files carry only student-safe text (Outcome.student_text): their own
model's facts, the rubric's hints, and expected values only where a check sets
`show_expected`. feedback.md honours each check's visibility the way Gradescope
does with results.json: `hidden` never, `after_due_date` once grading runs after
the rubric's `release.due`, `after_published` once `release.published` is true.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..see.feedback import write_feedback_page
from ..core.atomic import write_json, write_text
from ..core.csv_out import csv_text
from .outcome import Outcome
from .rubric import Release

# what a status means, for the student (the note adds the specifics)
STATUS_TEXT = {
    "ok": "",
    "invalid": "Your spec could not be read or validated, so it earned no points for "
               "the checks that need it.",
    "rejected": "Your submission breaks an assignment rule and was not graded.",
    "timeout": "Grading your submission went past the time limit; checks that did not "
               "finish earned no points.",
    "memory": "Grading your submission went over the memory limit; checks that did not "
              "finish earned no points.",
    "crash": "The grading process for your submission crashed; checks that did not "
             "finish earned no points.",
    "grader_error": "The grader failed on your submission (a problem with the grader, not "
                    "necessarily with your spec); your teacher has the details.",
    "starter": "Your submission is the starter spec handed out, or differs from it in fewer "
               "places than the assignment asks, so it earns no points. Change the model "
               "or its training as the assignment describes, and hand it in again.",
}


@dataclass
class Graded:
    student: str
    status: str
    note: str  # student-safe: why the status, e.g. the FILE:LINE:COL error
    outcomes: list[Outcome]
    seconds: float = 0.0
    teacher: dict = field(default_factory=dict)  # details only the teacher sees

    @property
    def score(self) -> float:
        return round(sum(o.score for o in self.outcomes), 2)

    @property
    def max_score(self) -> float:
        return round(sum(o.points for o in self.outcomes), 2)

    def to_json(self) -> dict:
        return {"student": self.student, "status": self.status, "note": self.note,
                "score": self.score, "max_score": self.max_score, "seconds": self.seconds,
                "outcomes": [o.to_json() for o in self.outcomes], "teacher": self.teacher}

    @classmethod
    def from_json(cls, data: dict) -> "Graded":
        return cls(data["student"], data["status"], data["note"],
                   [Outcome.from_json(o) for o in data["outcomes"]], data.get("seconds", 0.0),
                   data.get("teacher", {}))


def shown_outcomes(g: Graded, release: Release | None = None, now=None):
    """(shown, withheld by release time, hidden) outcomes of one grade."""
    release = release or Release()
    shown, later, hidden = [], [], []
    for o in g.outcomes:
        if o.visibility == "hidden":
            hidden.append(o)
        elif release.shows(o.visibility, now):
            shown.append(o)
        else:
            later.append(o)
    return shown, later, hidden


def score_line(g: Graded, shown, later) -> str:
    """The whole score, or, while checks are withheld, the score of those shown (a
    total would give the withheld ones away)."""
    if not later:
        return f"{g.score:g} / {g.max_score:g}"
    got = round(sum(o.score for o in shown), 2)
    of = round(sum(o.points for o in shown), 2)
    return f"{got:g} / {of:g} on the {len(shown)} check(s) shown so far"


def withheld_lines(later, hidden, release: Release | None = None) -> list[str]:
    release = release or Release()
    lines, groups = [], {}
    for o in later:
        groups.setdefault(release.withheld_until(o.visibility), []).append(o)
    for when, group in groups.items():
        points = sum(o.points for o in group)
        lines.append(f"{len(group)} more check(s), worth {points:g} point(s), are shown {when}.")
    if hidden:
        points = sum(o.points for o in hidden)
        lines.append(f"{len(hidden)} more check(s), worth {points:g} point(s), are not "
                     "shown here.")
    return lines


def overall_text(g: Graded, assignment: str) -> str:
    """Gradescope's top-level output: always visible, so only visible checks count in
    it while others wait for Gradescope to release them."""
    shown, later, _ = shown_outcomes(g)
    lines = [f"kspec graded this submission for '{assignment}': {score_line(g, shown, later)}."]
    if STATUS_TEXT.get(g.status):
        lines.append(STATUS_TEXT[g.status])
    if g.note:
        lines.append(g.note)
    return "\n".join(lines)


def gradescope(g: Graded, assignment: str, leaderboard: list | None = None) -> dict:
    """Gradescope's results.json: https://gradescope-autograders.readthedocs.io/
    en/latest/specs/ (score, execution_time, output, tests[], leaderboard)."""
    out = {
        "score": g.score,
        "execution_time": round(g.seconds, 2),
        "output": overall_text(g, assignment),
        "tests": [{"name": o.name, "score": o.score, "max_score": o.points,
                   "status": "passed" if o.passed else "failed",
                   "visibility": o.visibility, "output": o.student_text()}
                  for o in g.outcomes],
    }
    if leaderboard:
        out["leaderboard"] = leaderboard
    return out


def feedback_md(g: Graded, assignment: str, release: Release | None = None, now=None) -> str:
    shown, later, hidden = shown_outcomes(g, release, now)
    out = [f"# Feedback: {assignment}", "", f"**Score: {score_line(g, shown, later)}**", ""]
    if STATUS_TEXT.get(g.status):
        out += [STATUS_TEXT[g.status], ""]
    if g.note:
        out += ["```", g.note, "```", ""]
    for o in shown:
        mark = "passed" if o.passed else ("partial credit" if o.score > 0 else "not passed")
        out += [f"## {o.name}: {o.score:g} / {o.points:g} ({mark})", ""]
        for line in o.student_text().splitlines():
            out.append(f"> {line}" if line.startswith("Hint:") else f"- {line}")
        out.append("")
    for line in withheld_lines(later, hidden, release):
        out += [line, ""]
    return "\n".join(out)


def write_submission(folder: Path, g: Graded, rubric, now=None):
    """details.json and feedback.md first, results.json last: its presence marks a
    finished grade (resume skips it), so a crash never leaves one looking done."""
    from .leaderboard import gradescope_entries
    write_json(folder / "details.json", g.to_json())
    write_feedback(folder, g, rubric, now)
    write_json(folder / "results.json",
               gradescope(g, rubric.assignment, gradescope_entries(rubric, g)))


def write_feedback(folder: Path, g: Graded, rubric, now=None):
    """feedback.md as of `now`: rewritten on every run, so feedback withheld until the
    due date comes out on the first run after it, without regrading."""
    write_text(folder / "feedback.md", feedback_md(g, rubric.assignment, rubric.release, now))
    write_feedback_page(folder)  # feedback.html: the same text as a page (builder/see)


def grades_csv(rubric, graded: list[Graded]) -> str:
    names = [c.name for c in rubric.checks]
    rows = []
    for g in sorted(graded, key=lambda g: g.student):
        by_name = {o.name: o.score for o in g.outcomes}
        note = " ".join(g.note.split())[:300]
        rows.append([g.student, f"{g.score:g}", f"{g.max_score:g}", g.status]
                    + [f"{by_name.get(n, 0):g}" for n in names] + [note])
    return csv_text(["student", "score", "max_score", "status"] + names + ["note"], rows)
