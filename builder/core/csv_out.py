"""Writing CSV: the one writer every CSV kspec makes goes through.

A cell that begins with `=`, `+`, `-`, `@` (or a tab or carriage return) is a
formula to a spreadsheet: a student's file named `=HYPERLINK(...).yaml` would
become a live link in the teacher's grades.csv. Such cells are written with a
leading `'` (the spreadsheet convention for "this is text"); numbers, negative
ones included, are written as they are.
"""
from __future__ import annotations

import csv
import io
import math

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text)) or text.strip().lower() in ("-inf", "+inf", "inf",
                                                                        "nan")
    except ValueError:
        return False


def safe_cell(value):
    """`value` as written to a CSV cell: text that a spreadsheet would run is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _is_number(value):
        return "'" + value
    return value


def csv_text(header: list, rows) -> str:
    """A header and rows as CSV text, every cell neutralised (safe_cell)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([safe_cell(c) for c in header])
    writer.writerows([safe_cell(c) for c in row] for row in rows)
    return buf.getvalue()
