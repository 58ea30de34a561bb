"""The bundled spec library (`specs/`), found from a checkout or an installed wheel.

Specs sit in one folder per topic of the course (specs/<topic>/<name>.yaml); a
bundled spec is found by its name alone, whatever its folder, so names are unique
across the library. specs/data/ holds the small data files the specs ship.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..core.base import did_you_mean
from ..core.problems import SpecError

# the course's order: kspec list and the README table group the specs by these
TOPICS = ("neurons", "mlp", "cnn", "generative", "sequence", "rl")


def specs_dir() -> Path:
    here = Path(__file__).resolve().parents[2] / "specs"  # a checkout / editable install
    if here.is_dir():
        return here
    from importlib.resources import files
    return Path(str(files("builder") / "specs"))  # a wheel: packaged as builder/specs


def _topic_rank(path: Path) -> tuple:
    topic = path.parent.name
    return (TOPICS.index(topic) if topic in TOPICS else len(TOPICS), topic, path.stem)


def bundled() -> dict[str, Path]:
    """name -> file of every bundled spec, grouped by topic (TOPICS order), then by name."""
    files = [p for p in specs_dir().glob("*/*.yaml") if p.parent.name != "data"]
    return {p.stem: p for p in sorted(files, key=_topic_rank)}


def topic(path: Path) -> str:
    """The topic folder a bundled spec sits in (neurons, mlp, cnn, ...)."""
    return Path(path).parent.name


def is_file(path: Path) -> bool:
    """Path.is_file, false for a name the system cannot even look up (too long, a loop)."""
    try:
        return path.is_file()
    except (OSError, RuntimeError, ValueError):
        return False


def resolve_spec_path(spec) -> Path:
    path = Path(spec)
    if is_file(path):
        return path
    try:
        exists = path.exists()
    except (OSError, RuntimeError, ValueError):
        exists = False
    if exists:
        raise SpecError.single(f"{spec} is not a file")
    library = bundled()
    name = path.name.removesuffix(".yaml").removesuffix(".yml")
    if len(path.parts) == 1 and name in library:
        return library[name]
    hint = did_you_mean(name, library, prefix=" ")
    raise SpecError.single(f"no spec file '{spec}' and no bundled spec of that name.{hint}"
                           " (kspec list shows the bundled specs)")


# ---- the catalogue `kspec list`, `kspec show` and the README table read ------------

_SENTENCE_END = re.compile(r"(?<=[\w)'\]])\.(?:\s|$)")  # not "...", not "0.26"


def first_sentence(description: str) -> str:
    """A description's first sentence: the one line `kspec list` shows."""
    text = " ".join(str(description).split())
    return _SENTENCE_END.split(text, maxsplit=1)[0].strip().rstrip(".")


def data_access(data: dict, spec_file: Path) -> str:
    """'offline', or how the data is fetched: a keras.datasets set, or a file to download."""
    source = (data.get("data") or {}).get("source") or {}
    kind = source if isinstance(source, str) else next(iter(source), "")
    if kind == "keras":
        return "download (keras.datasets, once)"
    params = source.get(kind) if isinstance(source, dict) else None
    path = params.get("path") if isinstance(params, dict) else (
        params if isinstance(params, str) and kind in ("npz", "text", "image_folder") else None)
    if isinstance(path, str) and not (spec_file.parent / path).exists():
        return "download (its description says how)"
    return "offline"


@dataclass(frozen=True)
class Entry:
    """One bundled spec as the library's catalogue shows it."""
    name: str
    topic: str
    path: Path
    lectures: tuple[str, ...]
    description: str
    data: str

    @property
    def summary(self) -> str:
        return first_sentence(self.description)


def entries(lecture: str | None = None) -> list[Entry]:
    """Every bundled spec (with its extends chain resolved), in `kspec list` order;
    with `lecture`, only the specs that cover it."""
    from .compose import load_composed
    out = []
    for name, path in bundled().items():
        data, _ = load_composed(path)
        lectures = tuple(str(x) for x in data.get("lectures") or ())
        if lecture is None or lecture in lectures:
            out.append(Entry(name, topic(path), path, lectures,
                             " ".join(str(data.get("description", "")).split()),
                             data_access(data, path)))
    # the course's order: topic, then the first lecture the spec covers, then its name
    return sorted(out, key=lambda e: (_topic_rank(e.path)[:2], e.lectures[:1], e.name))


def describe(path: Path) -> str:
    """`kspec show`: what a spec covers and its whole description, wrapped for reading."""
    import textwrap

    from .compose import load_composed
    from .yamlpos import load_yaml
    path = Path(path)
    data, _ = load_composed(path)
    own, _ = load_yaml(path.read_text(encoding="utf-8"), str(path))
    name = str(data.get("name", path.stem))
    is_bundled = bundled().get(name) == path
    facts = ([topic(path)] if is_bundled else []) + [
        "lectures " + (", ".join(map(str, data.get("lectures") or ())) or "none"),
        "data " + data_access(data, path)]
    lines = [f"{name} ({'; '.join(facts)})", f"file: {path}"]
    if isinstance(own, dict) and own.get("extends"):
        lines.append(f"extends: {own['extends']} (kspec diff {own['extends']} {name} shows "
                     "what it changes)")
    lines += ["", textwrap.fill(" ".join(str(data.get("description", "")).split()), 88), "",
              f"kspec show {name if is_bundled else path} --yaml prints the spec; "
              f"kspec train {name if is_bundled else path} trains it."]
    return "\n".join(lines) + "\n"
