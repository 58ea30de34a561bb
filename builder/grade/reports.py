"""What grading writes: per submission `results.json` (Gradescope's autograder
format), `feedback.md` (for the student) and `details.json` (for the teacher); for
the batch, `grades.csv`.

Students' files carry only student-safe text (Outcome.student_text): their own
model's facts, the rubric's hints, and expected values only where a check sets
`show_expected`. Checks with visibility `hidden` stay out of feedback.md.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..see.feedback import write_feedback_page
from ..core.atomic import write_json, write_text
from .outcome import Outcome

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


def overall_text(g: Graded, assignment: str) -> str:
    lines = [f"kspec graded this submission for '{assignment}': {g.score:g} / {g.max_score:g}."]
    if STATUS_TEXT.get(g.status):
        lines.append(STATUS_TEXT[g.status])
    if g.note:
        lines.append(g.note)
    return "\n".join(lines)


def gradescope(g: Graded, assignment: str) -> dict:
    """Gradescope's results.json: https://gradescope-autograders.readthedocs.io/
    en/latest/specs/ (score, execution_time, output, tests[])."""
    return {
        "score": g.score,
        "execution_time": round(g.seconds, 2),
        "output": overall_text(g, assignment),
        "tests": [{"name": o.name, "score": o.score, "max_score": o.points,
                   "status": "passed" if o.passed else "failed",
                   "visibility": o.visibility, "output": o.student_text()}
                  for o in g.outcomes],
    }


def feedback_md(g: Graded, assignment: str) -> str:
    out = [f"# Feedback: {assignment}", "", f"**Score: {g.score:g} / {g.max_score:g}**", ""]
    if STATUS_TEXT.get(g.status):
        out += [STATUS_TEXT[g.status], ""]
    if g.note:
        out += ["```", g.note, "```", ""]
    hidden = [o for o in g.outcomes if o.visibility == "hidden"]
    for o in g.outcomes:
        if o.visibility == "hidden":
            continue
        mark = "passed" if o.passed else ("partial credit" if o.score > 0 else "not passed")
        out += [f"## {o.name}: {o.score:g} / {o.points:g} ({mark})", ""]
        for line in o.student_text().splitlines():
            out.append(f"> {line}" if line.startswith("Hint:") else f"- {line}")
        out.append("")
    if hidden:
        points = sum(o.points for o in hidden)
        out += [f"{len(hidden)} more check(s), worth {points:g} point(s), are not shown here.", ""]
    return "\n".join(out)


def write_submission(folder: Path, g: Graded, assignment: str):
    """details.json and feedback.md first, results.json last: its presence marks a
    finished grade (resume skips it), so a crash never leaves one looking done."""
    write_json(folder / "details.json", g.to_json())
    write_text(folder / "feedback.md", feedback_md(g, assignment))
    write_feedback_page(folder)  # feedback.html: the same text as a page (builder/see)
    write_json(folder / "results.json", gradescope(g, assignment))


def grades_csv(rubric, graded: list[Graded]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    names = [c.name for c in rubric.checks]
    writer.writerow(["student", "score", "max_score", "status"] + names + ["note"])
    for g in sorted(graded, key=lambda g: g.student):
        by_name = {o.name: o.score for o in g.outcomes}
        note = " ".join(g.note.split())[:300]
        writer.writerow([g.student, f"{g.score:g}", f"{g.max_score:g}", g.status]
                        + [f"{by_name.get(n, 0):g}" for n in names] + [note])
    return buf.getvalue()
