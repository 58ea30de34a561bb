"""The leaderboard a rubric asks for (`leaderboard: {checks: [...]}`): each column is
the metric a train or model check measured. Two forms: Gradescope's `leaderboard`
field of results.json (a list of {name, value, order}; Gradescope ranks and shows
it), and `leaderboard.csv` for the teacher to post, ranked by the first column,
with a stable pseudonym per student when the rubric asks for it."""
from __future__ import annotations

import hashlib

from ..core.csv_out import csv_text
from .task_metrics import higher_is_better


def _columns(rubric) -> list[tuple[str, bool]]:
    """(check name, higher is better) for each leaderboard column."""
    if rubric.leaderboard is None:
        return []
    by_name = {c.name: c for c in rubric.checks}
    return [(name, higher_is_better(by_name[name].body.metric, rubric.task))
            for name in rubric.leaderboard.checks]


def gradescope_entries(rubric, g) -> list[dict] | None:
    """Gradescope's form; a check without a value (not trained) is left out."""
    columns = _columns(rubric)
    if not columns:
        return None
    values = {o.name: o.value for o in g.outcomes}
    entries = []
    for name, higher in columns:
        if values.get(name) is None:
            continue
        entry = {"name": name, "value": values[name]}
        if not higher:
            entry["order"] = "asc"  # an error: lower ranks first
        entries.append(entry)
    return entries


def pseudonym(assignment: str, student: str) -> str:
    """Stable for a student within an assignment, unguessable without the roster."""
    return "student-" + hashlib.sha256(f"{assignment}\0{student}".encode()).hexdigest()[:6]


def leaderboard_csv(rubric, graded) -> str | None:
    columns = _columns(rubric)
    if not columns:
        return None
    first, higher = columns[0]

    def value(g, name):
        return next((o.value for o in g.outcomes if o.name == name), None)

    ranked = [g for g in graded if value(g, first) is not None]
    ranked.sort(key=lambda g: (-value(g, first) if higher else value(g, first), g.student))
    rows = []
    rank, previous = 0, None
    for i, g in enumerate(ranked, 1):
        if value(g, first) != previous:  # ties share a rank
            rank, previous = i, value(g, first)
        name = (pseudonym(rubric.assignment, g.student) if rubric.leaderboard.pseudonyms
                else g.student)
        row = [value(g, n) for n, _ in columns]
        rows.append([rank, name] + ["" if v is None else f"{v:.4f}" for v in row]
                    + [f"{g.score:g}"])
    return csv_text(["rank", "name"] + [name for name, _ in columns] + ["score"], rows)
