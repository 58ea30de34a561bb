"""Problems found in a spec, and how they are printed.

A problem carries the *path* of the offending value (e.g. ``("model", "layers", 3,
"conv2d", "kernal_size")``); the position map made by the YAML loader turns the
path into FILE:LINE:COL. Keeping paths (not line numbers) in problems lets every
stage -- schema, graph, shapes, lint, data -- report in the same format.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

from . import limits  # `from . import`: core modules import only each other

Path = tuple  # tuple[str | int, ...]


def format_path(path: Sequence) -> str:
    """('model', 'layers', 3, 'conv2d') -> 'model.layers[3].conv2d'."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            part = str(part)  # a hostile 10,000-character key is shown by its start
            out += ("." if out else "") + (part if len(part) <= 60 else part[:60] + "...")
    return out or "(spec)"


@dataclass(frozen=True)
class Position:
    file: str
    line: int  # 1-based
    col: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass
class Problem:
    path: Path
    message: str
    severity: str = "error"  # or "warning"
    position: Position | None = None
    # a data file not there (yet): a warning for validate; commands that read the data
    # leave it out, since reading it ends in the error that says the same
    data_missing: bool = False
    source: str = ""  # the stage that found it, where it matters ("lint": spec/lint.py)

    def __post_init__(self):
        self.message = limits.clip(str(self.message))  # one bounded line, whatever the input

    def render(self) -> str:
        where = f"{self.position}: " if self.position else ""
        tag = "warning: " if self.severity == "warning" else ""
        return f"{where}{tag}{format_path(self.path)}: {self.message}"


class SpecError(Exception):
    """One or more problems that stop a spec from being used. Printed, never traced."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        shown = limits.MAX_PROBLEMS
        if len(self.problems) > shown + 1:  # a 100,000-item list of wrong values
            rest, first = len(self.problems) - shown, self.problems[shown]
            self.problems = self.problems[:shown] + [Problem(
                first.path, f"and {rest:,} more problems from here on (the first {shown} "
                            "are shown); fix these and validate again", position=first.position)]
        super().__init__("\n".join(p.render() for p in self.problems))

    @classmethod
    def single(cls, message: str, path: Path = (), position: Position | None = None):
        return cls([Problem(tuple(path), message, position=position)])


@dataclass
class Report:
    """Collects problems from every stage so that all are shown at once."""

    problems: list[Problem] = field(default_factory=list)

    def error(self, path, message):
        self.problems.append(Problem(tuple(path), message))

    def warn(self, path, message, data_missing: bool = False):
        self.problems.append(Problem(tuple(path), message, severity="warning",
                                     data_missing=data_missing))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]
