"""The README's bundled-spec table, generated from `specs/` (one row per spec, in
`kspec list` order), so the README cannot drift from the library.

    python tests/readme_table.py           # print the table
    python tests/readme_table.py --write   # replace the table in README.md

tests/test_readme.py checks that README.md holds exactly this table.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- bundled-specs:begin -->", "<!-- bundled-specs:end -->"
LECTURE = re.compile(r"^(L\d+(?:(?:/| and |, )L\d+)*):\s*")


def _what(description: str) -> tuple[str, str]:
    """'L38/L39: an LSTM forecasts ...; the first 80% ...' -> ('L38/L39', 'an LSTM forecasts ...')."""
    text = " ".join(description.split())
    match = LECTURE.match(text)
    lecture = match.group(1).replace(" and ", "/").replace(", ", "/") if match else ""
    rest = text[match.end():] if match else text
    first = re.split(r";\s|(?<=[\w)])\.(?:\s|$)", rest, maxsplit=1)[0].strip()  # not "..."
    return lecture, first.replace("|", "\\|")


def _data(spec: dict, spec_file: Path) -> str:
    """'offline', or how the data is fetched: a keras.datasets set, or a file to download."""
    source = (spec.get("data") or {}).get("source") or {}
    kind = source if isinstance(source, str) else next(iter(source), "")
    if kind == "keras":
        return "download (keras.datasets, once)"
    params = source.get(kind) if isinstance(source, dict) else None
    path = params.get("path") if isinstance(params, dict) else (
        params if isinstance(params, str) and kind in ("npz", "text", "image_folder") else None)
    if isinstance(path, str) and not (spec_file.parent / path).exists():
        return "download (its description says how)"
    return "offline"


def rows() -> list[tuple[str, str, str, str]]:
    """(name, lecture, what, data) for every bundled spec, in `kspec list` order."""
    import yaml
    sys.path.insert(0, str(ROOT))
    from builder.spec.library import bundled  # the list `kspec list` shows
    out = []
    for name, path in bundled().items():
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        lecture, what = _what(str(data.get("description", "")))
        out.append((name, lecture, what, _data(data, path)))
    return out


def table() -> str:
    lines = ["| spec | lecture | what it shows | data |", "|---|---|---|---|"]
    lines += [f"| `{n}` | {lec} | {what} | {data} |" for n, lec, what, data in rows()]
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
