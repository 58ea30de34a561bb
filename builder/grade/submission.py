"""Submissions: finding them in a folder, reading them without trusting them.

A submission is a `.yaml` file (the student id is its stem) or a folder holding
one (the id is the folder's name), possibly with a `.keras` file for `model`
checks. Reading refuses files that are too big, links that lead out of the
submissions folder, `extends:` (a submission must be self-contained), and data
paths that leave the assignment folder.
"""
from __future__ import annotations

import copy
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..core.files import MB, FileRefused, check_user_file, inside, open_user_file, read_user_text
from ..core.problems import Problem, SpecError
from ..spec.paths import dotted
from ..spec.yamlpos import load_yaml

SPEC_SUFFIXES = (".yaml", ".yml")
PREFERRED = ("submission", "spec", "model")  # stems picked when a folder holds several
DIGEST_MAX = 512 * MB  # files hashed by content for resume (a bigger one: by size and time)


class Rejected(Exception):
    """The submission breaks an assignment rule; the message says which, for the student."""


@dataclass
class Submission:
    student: str
    spec: Path | None  # the YAML file
    folder: Path | None  # the submission's folder (None for a single file)
    root: Path  # the submissions folder: nothing outside it is read
    problem: str | None = None  # found while looking, e.g. a folder without a spec

    @property
    def display(self) -> str:
        """How files are named in messages to the student (no teacher paths)."""
        if self.spec is None:
            return self.student
        return str(PurePosixPath(*self.spec.relative_to(self.root).parts))

    def files(self) -> list[Path]:
        """Every entry of the submission that is not a folder: devices, FIFOs and links
        out are listed too (and refused when read), so none is silently skipped."""
        if self.folder is not None:
            return sorted(p for p in self.folder.rglob("*") if p.is_symlink() or not p.is_dir())
        return [self.spec] if self.spec else []

    def digest(self) -> str:
        """Changes when any file of the submission changes (resume regrades it).

        Runs in the grader's parent process, outside every sandbox limit, so it reads
        only regular files inside the submissions folder, up to DIGEST_MAX each (a
        /dev/zero link or a FIFO would otherwise stop the whole batch); anything else
        is hashed by the reason it is refused, a bigger file by its size and time."""
        h = hashlib.sha256()
        for path in self.files():
            h.update(str(path.relative_to(self.root)).encode() + b"\0")
            try:
                with open_user_file(path, DIGEST_MAX, "submission file", self.root) as fh:
                    for block in iter(lambda: fh.read(1 << 20), b""):
                        h.update(block)
            except FileRefused as exc:
                try:
                    st = os.stat(path)
                    h.update(f"refused {st.st_mode} {st.st_size} {st.st_mtime_ns}".encode())
                except OSError:
                    h.update(f"refused {exc}".encode())
            except OSError:
                h.update(b"unreadable")
        return h.hexdigest()[:16]

    def keras_files(self) -> list[Path]:
        return [p for p in self.files() if p.suffix == ".keras"]


def find_submissions(root: Path) -> list[Submission]:
    """Every submission in `root`, by student id. Hidden files are skipped."""
    root = Path(root)
    if root.is_file():
        return [Submission(root.stem, root, None, root.parent)]
    found: dict[str, Submission] = {}
    for entry in sorted(root.iterdir()):
        if entry.name.startswith((".", "_")):
            continue
        if entry.is_dir():
            sub = from_folder(entry, root)
        elif entry.suffix in SPEC_SUFFIXES:
            sub = Submission(entry.stem, entry, None, root)
        else:
            continue
        if sub.student in found:
            sub = Submission(sub.student, None, sub.folder, root,
                             f"two submissions are named '{sub.student}' (a file and a folder); "
                             "keep one")
        found[sub.student] = sub
    return list(found.values())


def from_folder(folder: Path, root: Path) -> Submission:
    specs = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in SPEC_SUFFIXES)
    if len(specs) > 1:
        preferred = [p for p in specs if p.stem in PREFERRED]
        if len(preferred) == 1:
            specs = preferred
    if len(specs) == 1:
        return Submission(folder.name, specs[0], folder, root)
    problem = ("the folder holds no .yaml spec" if not specs else
               f"the folder holds {len(specs)} .yaml files ({', '.join(p.name for p in specs)}); "
               "keep one, or name it submission.yaml")
    return Submission(folder.name, None, folder, root, problem)


def read_spec(sub: Submission, max_kb: int):
    """The submission's YAML as (data, positions). Raises Rejected or SpecError."""
    if sub.problem:
        raise Rejected(sub.problem)
    if not inside(sub.spec, sub.root):
        raise Rejected(f"{sub.display} is a link to a file outside the submissions folder")
    try:  # a regular file (no device, FIFO or link out), read in the bounds it is given
        size = check_user_file(sub.spec, 1 << 62, "spec", sub.root, sub.display).st_size
        if size > max_kb * 1024:
            raise Rejected(f"{sub.display} is {size // 1024} KB; a spec must stay under "
                           f"{max_kb} KB")
        text = read_user_text(sub.spec, max_kb * 1024, "spec", sub.root, sub.display)
    except FileRefused as exc:
        raise Rejected(str(exc)) from None
    data, positions = load_yaml(text, sub.display)
    if not isinstance(data, dict):
        raise SpecError([Problem((), "a spec is a mapping with name, data, model and train",
                                 position=positions.locate(()))])
    if "extends" in data:
        raise SpecError([Problem(("extends",), "a submission must be self-contained; "
                                 "run `kspec export` and hand in its output",
                                 position=positions.locate(("extends",)))])
    return data, positions


# keys whose string values name files or folders, in any data source or step
_PATH_KEYS = {"path", "paths", "file", "files", "dir", "directory", "folder", "root", "cache",
              "cache_dir", "vocabulary"}


def data_paths(section, path=("data",)):
    """(spec path, text) of every value in a data section that names a file."""
    if isinstance(section, dict):
        for key, value in section.items():
            named = str(key).lower() in _PATH_KEYS
            if isinstance(value, str) and (named or _looks_like_path(value)):
                yield path + (key,), value
            elif isinstance(value, list) and str(key).lower() in _PATH_KEYS:
                for i, v in enumerate(value):
                    if isinstance(v, str):
                        yield path + (key, i), v
            else:
                yield from data_paths(value, path + (key,))
    elif isinstance(section, list):
        for i, value in enumerate(section):
            yield from data_paths(value, path + (i,))
    elif isinstance(section, str) and _looks_like_path(section):
        yield path, section


def _looks_like_path(text: str) -> bool:
    return "/" in text or "\\" in text or text.startswith(("~", ".."))


def check_data_paths(data: dict, positions, assignment: Path):
    """Refuse data paths that leave the assignment folder, before anything is read.

    The teacher's data section replaces the student's, so a student's data path is
    never opened; it is still refused, because a spec that reaches for files outside
    the assignment is one a teacher wants to see. Relative paths count from the
    assignment folder, where the teacher's data lives."""
    for where, text in data_paths(data.get("data")):
        target = Path(text).expanduser()
        target = target if target.is_absolute() else assignment / target
        if not inside(target, assignment):
            pos = positions.locate(where)
            at = f"{pos}: " if pos else ""
            raise Rejected(f"{at}{dotted(where)}: the data path '{text}' leads "
                           "outside the assignment folder; submissions may only read data "
                           "inside it")


def merge_teacher_data(data: dict, teacher_data: dict, seed: int | None = None) -> dict:
    """The submission with the teacher's data section (hidden test split included)."""
    merged = {k: v for k, v in data.items() if k != "data"}
    merged["data"] = copy.deepcopy(teacher_data)
    if seed is not None:
        merged["seed"] = seed
    return merged
