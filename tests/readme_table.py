"""The README's bundled-spec table, generated from `specs/` (one row per spec, grouped
by topic in `kspec list` order, with the same lecture ids and first sentence), so the
README cannot drift from the library.

    python tests/readme_table.py           # print the table
    python tests/readme_table.py --write   # replace the table in README.md

tests/test_readme.py checks that README.md holds exactly this table and that it says
what `kspec list` says.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- bundled-specs:begin -->", "<!-- bundled-specs:end -->"


def rows() -> list[tuple[str, str, str, str, str]]:
    """(topic, name, lectures, what it teaches, data) for every bundled spec, in
    `kspec list` order."""
    sys.path.insert(0, str(ROOT))
    from builder.spec.library import entries  # what `kspec list` shows
    return [(e.topic, e.name, ", ".join(e.lectures), e.summary.replace("|", "\\|"), e.data)
            for e in entries()]


def table() -> str:
    lines = ["| topic | spec | lectures | what it teaches | data |", "|---|---|---|---|---|"]
    lines += [f"| {t} | `{n}` | {lec} | {what} | {data} |" for t, n, lec, what, data in rows()]
    return "\n".join(lines) + "\n"


def in_readme(text: str) -> str:
    """The table between the README's markers."""
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[start:end].strip("\n") + "\n"


def write(readme: Path = ROOT / "README.md") -> None:
    text = readme.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    readme.write_text(text[:start] + "\n" + table() + text[end:], encoding="utf-8")


if __name__ == "__main__":
    if "--write" in sys.argv[1:]:
        write()
    else:
        print(table(), end="")
