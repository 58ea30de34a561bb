"""The one error type for data problems: a message and the spec field it belongs to.

`path` is the full spec path of the field to blame (e.g. ``("data", "source",
"csv", "target")``) so the message can be placed at FILE:LINE:COL of the spec;
empty when the problem is not about a spec (e.g. a file given to `kspec predict`).
"""
from __future__ import annotations

from ..core.problems import Problem, format_path


class DataLoadError(Exception):
    """The data could not be loaded; the message says where and how to fix it."""

    def __init__(self, message: str, path: tuple = ()):
        self.message = message
        self.path = tuple(path)
        super().__init__(message)

    def __str__(self) -> str:
        return f"{format_path(self.path)}: {self.message}" if self.path else self.message

    def problem(self) -> Problem:
        return Problem(self.path, self.message)


class MissingFile(DataLoadError):
    """A data file named by the spec is not there (yet: some sources need a download or a
    converter run first). validate warns; loading it for training is an error."""
