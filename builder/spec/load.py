"""File -> validated Spec, or every problem at once with FILE:LINE:COL."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from ..core.base import did_you_mean
from ..core.limits import shown
from ..core.problems import Position, Problem, Report, SpecError
from .yamlpos import PositionMap, load_yaml

_TYPE_WORDS = {
    "int_type": "expected a whole number", "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number", "float_type": "expected a number",
    "float_parsing": "expected a number", "bool_type": "expected true or false",
    "bool_parsing": "expected true or false", "string_type": "expected text",
    "list_type": "expected a list, e.g. [1, 2]", "dict_type": "expected a mapping (key: value)",
    "model_type": "expected a mapping (key: value)", "missing": "required; add it",
}


@dataclass
class Loaded:
    spec: object  # Spec
    positions: PositionMap
    path: Path | None
    raw: dict
    warnings: list[Problem] = field(default_factory=list)


def problems_from_pydantic(exc: ValidationError, data) -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        etype, msg = err["type"], err["msg"]
        if etype == "literal_error":
            expected = err.get("ctx", {}).get("expected", "")
            options = [o.strip(" '") for o in expected.replace(" or ", ",").split(",") if o.strip()]
            msg = f"expected one of {expected}; got {shown(err['input'])}" + did_you_mean(err["input"], options)
        elif etype in _TYPE_WORDS:
            msg = _TYPE_WORDS[etype] + ("" if etype == "missing" else f", got {shown(err['input'])}")
            msg += _missing_space(err.get("input"))
        elif etype == "extra_forbidden":
            msg = f"unknown key '{loc[-1]}'"
        elif etype.startswith("value_error"):
            msg = msg.removeprefix("Value error, ")
        elif etype in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
            msg = f"{msg.replace('Input should be', 'must be')}, got {shown(err['input'])}"
        out.append(Problem(_clean(loc), msg))
    # a union type reports one error per alternative; keep the first per path
    seen, unique = set(), []
    for p in out:
        if p.path not in seen:
            seen.add(p.path)
            unique.append(p)
    return unique


def _missing_space(value) -> str:
    """`epochs:30` on a spec's last line is read as the text 'epochs:30': say so."""
    found = re.fullmatch(r"([A-Za-z_][\w.-]*):(\S.*)", value) if isinstance(value, str) else None
    if not found or found.group(2).startswith("//"):  # not a URL
        return ""
    key, rest = found.groups()
    return f"; if '{key}' is a key, put a space after the colon: '{key}: {rest}'"


def _clean(loc) -> tuple:
    """Drop pydantic's union-branch labels (e.g. 'list[int]', 'function-plain[parse()]')."""
    return tuple(x for x in loc if not (isinstance(x, str) and (
        "[" in x or x in ("int", "float", "str", "bool", "none"))))


def _graph_problems_of_valid_model(data) -> list[Problem]:
    """When other sections are broken but `model` is valid, still check its graph,
    so that every problem is reported at once."""
    from .graph import plan_model
    from .schema import ModelSpec
    networks = {("model",): data.get("model")}
    if isinstance(data.get("models"), dict):
        networks = {("models", role): m for role, m in data["models"].items()}
    report = Report()
    for path, raw in networks.items():
        try:
            model = ModelSpec.model_validate(raw)
        except ValidationError:
            continue
        plan_model(model, path, report)
    return report.errors


def read_text(path: Path) -> str:
    """A spec file's text: a regular file of bounded size (core/files.py), UTF-8."""
    from ..core.files import SPEC_MAX, FileRefused, read_user_text
    try:
        return read_user_text(path, SPEC_MAX, "spec")
    except FileRefused as exc:
        if exc.missing:
            raise SpecError.single(f"no such spec file: {path}") from None
        # the file is there but refused (too large, not a regular file): point at it
        raise SpecError.single(str(exc), position=Position(str(path), 1, 1)) from None


def parse_spec(data, positions: PositionMap, path: Path | None = None, check=True) -> Loaded:
    """Validate already-parsed data. Raises SpecError listing every problem."""
    from .schema import Spec
    if not isinstance(data, dict):
        raise SpecError([Problem((), "a spec is a mapping with name, data, model and train",
                                 position=positions.locate(()))])
    if "kspec_rubric" in data or ({"assignment", "checks"} <= set(data) and "name" not in data):
        key = ("kspec_rubric",) if "kspec_rubric" in data else ("checks",)
        raise SpecError([Problem(key, "this file is a grading rubric, not a spec; check it "
                                 f"with `kspec rubric check {path or positions.file}`",
                                 position=positions.locate(key))])
    try:
        spec = Spec.model_validate(data)
    except ValidationError as exc:
        problems = problems_from_pydantic(exc, data)
        if check:
            problems += _graph_problems_of_valid_model(data)
        raise SpecError(positions.place(problems)) from None
    loaded = Loaded(spec, positions, path, data)
    if check:
        from .check import check_spec
        report = check_spec(spec, Path(path).parent if path is not None else None)
        positions.place(report.problems)
        if report.errors:
            raise SpecError(report.problems)
        loaded.warnings = report.warnings
    return loaded


def load_spec(path, overrides=(), check=True) -> Loaded:
    """Load a spec file (a path or a bundled name) with --set overrides applied."""
    from .compose import load_composed
    from .library import resolve_spec_path
    from .overrides import apply_overrides
    path = resolve_spec_path(path)
    # format check, then `extends` resolved; positions keep each value's own file
    data, positions = load_composed(path)
    data = apply_overrides(data, overrides, positions)
    return parse_spec(data, positions, path, check=check)


def load_text(text: str, path, overrides=(), check=True) -> Loaded:
    """A spec from its text, as if it were the file at `path` (which need not exist: its
    folder is where `extends` and data paths count from). What `load_spec` does after
    reading the file; the studio validates the editor's text with it as you type."""
    from .compose import compose
    from .overrides import apply_overrides
    from .upgrade import check_version
    path = Path(path)
    data, positions = load_yaml(text, str(path))
    check_version(data, positions)
    data, pos = compose(data, positions.positions, path)
    positions = PositionMap(str(path), pos)
    data = apply_overrides(data, overrides, positions)
    return parse_spec(data, positions, path, check=check)


def report_for(path) -> Report:
    report = Report()
    try:
        loaded = load_spec(path)
        report.problems.extend(loaded.warnings)
    except SpecError as exc:
        report.problems.extend(exc.problems)
    return report
