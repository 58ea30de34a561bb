"""One check's result, and what each audience may read of it.

A check finds facts about the submission (`found`: the student's own model, safe
to show) and compares them with the rubric (`expected`: the teacher's values,
shown to students only where the check says `show_expected: true`). The teacher's
files (details.json, grades.csv) carry both.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Condition:
    ok: bool
    found: str
    expected: str = ""


@dataclass
class Outcome:
    name: str
    kind: str
    points: float
    score: float
    found: list[str] = field(default_factory=list)  # lines about the submission
    expected: list[str] = field(default_factory=list)  # lines with the rubric's values
    hint: str = ""  # the rubric's feedback, shown when the check is not fully passed
    visibility: str = "visible"
    show_expected: bool = False
    value: float | None = None  # a train/model check's measured metric (the leaderboard's)

    @property
    def passed(self) -> bool:
        return self.score >= self.points - 1e-9

    def student_text(self) -> str:
        lines = list(self.found)
        if self.show_expected:
            lines += self.expected
        if not self.passed and self.hint:
            lines.append(f"Hint: {self.hint.strip()}")
        return "\n".join(lines)

    def teacher_text(self) -> str:
        return "\n".join(self.found + self.expected)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "Outcome":
        return cls(**data)


def for_check(check, score_fraction: float, found, expected=(), value=None) -> Outcome:
    return Outcome(check.name, check.kind, float(check.points),
                   round(float(check.points) * score_fraction, 2), list(found), list(expected),
                   check.feedback, check.visibility, check.show_expected, value)


def from_conditions(check, conditions: list[Condition]) -> Outcome:
    """All conditions must hold, or (partial: true) each one earns its share."""
    if not conditions:
        conditions = [Condition(True, "the spec is valid")]
    met = sum(c.ok for c in conditions)
    fraction = met / len(conditions) if check.partial else float(met == len(conditions))
    found = [("passed: " if c.ok else "failed: ") + c.found for c in conditions]
    expected = [f"expected: {c.expected}" for c in conditions if c.expected]
    return for_check(check, fraction, found, expected)


def zero(check, reason: str) -> Outcome:
    """No credit, for a reason that concerns the whole submission (or its training)."""
    return for_check(check, 0.0, [reason])
