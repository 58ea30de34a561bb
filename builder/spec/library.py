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
    # topic folders (specs/cnn, specs/rl, ...) hold the specs; `data/` holds their files
    return {p.stem: p for p in sorted(specs_dir().rglob("*.yaml"), key=lambda p: p.stem)
            if "data" not in p.relative_to(specs_dir()).parts[:-1]}


def resolve_spec_path(spec) -> Path:
    path = Path(spec)
    if path.is_file():
        return path
    if path.exists():
        raise SpecError.single(f"{spec} is not a file")
    library = bundled()
    name = path.name.removesuffix(".yaml").removesuffix(".yml")
    if len(path.parts) == 1 and name in library:
        return library[name]
    hint = did_you_mean(name, library, prefix=" ")
    raise SpecError.single(f"no spec file '{spec}' and no bundled spec of that name.{hint}"
                           " (kspec list shows the bundled specs)")
