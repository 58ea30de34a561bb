"""Grade book imports for the common LMSes, written beside grades.csv.

* `canvas.csv`: Canvas's gradebook import layout: `Student, ID, SIS User ID, SIS
  Login ID, Section`, then one column per assignment, headed `Name (assignment id)`
  for an existing column or a new name for a new one. Canvas matches each row by
  its ID or SIS columns.
* `moodle.csv`: Moodle's "Import grades from CSV" takes any CSV: at import, "Map
  from" picks the identifier column (here `email`, `username` or `idnumber`, as the
  rubric's `gradebook.moodle_id` says) and the grade column is mapped to the grade
  item.

The identifiers come from a roster (`gradebook.roster`: a CSV with a `student`
column naming each submission, and the LMS's columns: name, id, sis_user_id,
sis_login_id, section, email, username, idnumber). Without one, the submission name
stands in for the login (Canvas's SIS Login ID; Moodle's username, whatever
`moodle_id` says).
"""
from __future__ import annotations

import csv
from pathlib import Path

from ..core.csv_out import csv_text

ROSTER_COLUMNS = ("student", "name", "id", "sis_user_id", "sis_login_id", "section", "email",
                  "username", "idnumber")
MOODLE_HEADERS = {"email": "Email address", "username": "Username", "idnumber": "ID number"}


class RosterError(Exception):
    """The roster cannot be read; the message says why and how to fix it."""


def read_roster(path: Path | None) -> dict[str, dict]:
    """student -> {column: value}; {} without a roster."""
    if path is None:
        return {}
    with open(path, newline="", encoding="utf-8-sig") as fh:  # Excel's BOM too
        reader = csv.DictReader(fh)
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        if "student" not in header:
            raise RosterError(f"{path}: the roster needs a 'student' column (the submission "
                              f"names); its columns are {', '.join(header) or 'none'}")
        unknown = [h for h in header if h not in ROSTER_COLUMNS]
        if unknown:
            raise RosterError(f"{path}: unknown roster column(s) {', '.join(unknown)}; the "
                              f"columns are {', '.join(ROSTER_COLUMNS)}")
        roster = {}
        for row in reader:
            row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
            if row.get("student"):
                roster[row["student"]] = row
    return roster


def _column(rubric) -> str:
    return rubric.gradebook.column or rubric.assignment


def canvas_csv(rubric, graded, roster: dict[str, dict]) -> str:
    rows = []
    for g in sorted(graded, key=lambda g: g.student):
        r = roster.get(g.student, {})
        login = r.get("sis_login_id") or ("" if roster else g.student)
        rows.append([r.get("name") or g.student, r.get("id", ""), r.get("sis_user_id", ""),
                     login, r.get("section", ""), f"{g.score:g}"])
    return csv_text(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", _column(rubric)],
                    rows)


def moodle_csv(rubric, graded, roster: dict[str, dict]) -> str:
    key = rubric.gradebook.moodle_id if roster else "username"  # no roster: the names
    rows = []
    for g in sorted(graded, key=lambda g: g.student):
        r = roster.get(g.student, {})
        ident = r.get(key, "") if roster else g.student
        rows.append([ident, r.get("name") or g.student, f"{g.score:g}"])
    return csv_text([MOODLE_HEADERS[key], "Student", _column(rubric)], rows)


def unmatched(rubric, graded, roster: dict[str, dict]) -> list[str]:
    """Submissions an LMS could not match to a student: not in the roster, or in it
    without the identifier Moodle is told to use."""
    if not roster:
        return []
    key = rubric.gradebook.moodle_id
    return sorted(g.student for g in graded if g.student not in roster
                  or not roster[g.student].get(key))
