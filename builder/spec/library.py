"""The bundled spec library (`specs/`), found from a checkout or an installed wheel."""
from __future__ import annotations

from pathlib import Path

from ..core.base import did_you_mean
from ..core.problems import SpecError


def specs_dir() -> Path:
    here = Path(__file__).resolve().parents[2] / "specs"  # a checkout / editable install
    if here.is_dir():
        return here
    from importlib.resources import files
    return Path(str(files("builder") / "specs"))  # a wheel: packaged as builder/specs


def bundled() -> dict[str, Path]:
    return {p.stem: p for p in sorted(specs_dir().glob("*.yaml"))}


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
