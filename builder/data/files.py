"""Finding and reading data files, with errors that name the file and the field."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from ..core.base import did_you_mean
from ..core.files import (DATA_MAX, FileRefused, check_confined, open_user_file,
                          read_user_text)
from .errors import DataLoadError, MissingFile

MISSING = {"", "na", "n/a", "nan", "null", "none", "?"}  # cells read as a missing value


def resolve(base_dir: Path, path: str, where: tuple, kind: str = "file") -> Path:
    """A path from a spec, relative to the spec's folder; it must exist."""
    p = Path(path).expanduser()
    full = p if p.is_absolute() else Path(base_dir) / p
    try:  # the studio's working folder, when it validates a spec typed in a browser
        check_confined(full, "data file" if kind == "file" else "data folder")
    except FileRefused as exc:
        raise DataLoadError(str(exc), where) from None
    if kind == "folder":
        if not full.is_dir():
            what = "is not a folder" if full.exists() else "does not exist"
            raise DataLoadError(f"the folder {full} {what} (paths are relative to the spec's "
                                "folder)", where)
    elif not full.is_file():
        what = ("does not exist" if not full.exists() else "is a folder, not a file"
                if full.is_dir() else "is not a regular file (a device, a pipe or a socket)")
        raise (MissingFile if not full.exists() else DataLoadError)(
            f"{full} {what} (paths are relative to the spec's folder)", where)
    return full


def read_csv(path: Path, where: tuple, delimiter: str = ","):
    """-> (header, rows, the file line of each row); every row must have as many fields
    as the header (blank lines are skipped)."""
    try:  # a regular file of bounded size (core/files.py), then parsed
        text = read_user_text(path, DATA_MAX, "CSV file")
        lines = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except FileRefused as exc:
        raise DataLoadError(str(exc), where) from None
    except (OSError, csv.Error) as exc:
        raise DataLoadError(f"cannot read {path} as CSV: {exc}", where) from None
    numbered = [(i + 1, row) for i, row in enumerate(lines) if any(c.strip() for c in row)]
    if not numbered:
        raise DataLoadError(f"{path} is empty; a CSV needs a header row and data rows", where)
    (_, header), body = numbered[0], numbered[1:]
    header = [h.strip() for h in header]
    twice = sorted({h for h in header if header.count(h) > 1})
    if twice:
        cols = ", ".join(str(i + 1) for i, h in enumerate(header) if h == twice[0])
        raise DataLoadError(f"{path}: the header names column '{twice[0]}' more than once "
                            f"(columns {cols}); give each column its own name", where)
    for line, row in body:
        if len(row) != len(header):
            raise DataLoadError(f"{path} line {line} has {len(row)} fields but the header has "
                                f"{len(header)} ({', '.join(header)}); fix that row", where)
    if not body:
        raise DataLoadError(f"{path} has a header but no data rows", where)
    return header, [row for _, row in body], [line for line, _ in body]


# validate reads a data file whole only below this size (a few ms); above, its header
PEEK_BYTES = 5 * 2 ** 20


def read_csv_head(path: Path, where: tuple, delimiter: str = ",", rows: int = 200):
    """-> (header, the first `rows` data rows): what validate reads of a CSV, so that a
    misspelt column or a text column is found in milliseconds, not at train time."""
    try:
        with io.TextIOWrapper(open_user_file(path, DATA_MAX, "CSV file"), newline="",
                              encoding="utf-8-sig") as fh:  # a regular file: never a FIFO
            reader = csv.reader(fh, delimiter=delimiter)
            head = []
            for row in reader:
                if any(c.strip() for c in row):
                    head.append(row)
                if len(head) > rows:
                    break
    except FileRefused as exc:
        raise DataLoadError(str(exc), where) from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataLoadError(f"cannot read {path} as CSV: {exc}", where) from None
    if not head:
        raise DataLoadError(f"{path} is empty; a CSV needs a header row and data rows", where)
    return [h.strip() for h in head[0]], head[1:]


def column_index(header: list[str], name: str, path: Path, where: tuple) -> int:
    if name in header:
        return header.index(name)
    hint = did_you_mean(name, header)
    raise DataLoadError(f"no column '{name}' in {path}{hint or ''} (columns: "
                        f"{', '.join(header)})", where)


def is_missing(cell: str) -> bool:
    return cell.strip().lower() in MISSING


def as_number(cell: str):
    """float(cell), or None when the cell is not a number."""
    try:
        return float(cell)
    except ValueError:
        return None


def line_list(lines: list[int], limit: int = 8) -> str:
    shown = ", ".join(str(n) for n in lines[:limit])
    return shown + (f" and {len(lines) - limit} more" if len(lines) > limit else "")
