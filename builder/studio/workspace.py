"""The studio's working folder: the only place it reads and writes.

Every path a browser sends is a path relative to the folder; it is refused (one line,
HTTP 403) when it is absolute, climbs out with `..`, or leads out through a link. The
specs the studio copies from the library go to WORK/studio/, runs to WORK/runs/.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from ..core.atomic import write_text
from ..core.files import SPEC_MAX, FileRefused, inside, read_user_text

SPEC_SUFFIXES = (".yaml", ".yml")
COPIES = "studio"  # WORK/studio/: copies of bundled specs, exports
RUNS = "runs"
# the first line of a copy says where it came from: `diff` compares against that spec
ORIGIN = re.compile(r"^# kspec studio: a copy of the bundled spec ([\w.-]+)", re.M)


class Refused(Exception):
    """A request the studio will not carry out; `status` is its HTTP code."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(" ".join(str(message).split()))
        self.status = status


class Workspace:
    def __init__(self, root):
        self.root = Path(root).resolve()

    # ---- paths ------------------------------------------------------------------------
    def path(self, rel, what: str = "path", suffixes=None) -> Path:
        """The absolute path of `rel` (relative to the folder), refused unless it stays
        inside the folder with links followed."""
        if not isinstance(rel, str) or not rel.strip() or "\0" in rel or len(rel) > 1000:
            raise Refused(f"give the {what} as a path relative to the working folder")
        rel = rel.strip().replace("\\", "/")
        if rel.startswith("/") or re.match(r"^[A-Za-z]:", rel) or rel.startswith("~"):
            raise Refused(f"{what} {rel!r} is absolute; the studio works only inside "
                          f"{self.root}: give a path relative to it", 403)
        full = self.root / rel
        if ".." in Path(rel).parts or not inside(full, self.root):
            raise Refused(f"{what} {rel!r} leads outside the working folder {self.root}; the "
                          "studio reads and writes only inside it", 403)
        if suffixes and full.suffix.lower() not in suffixes:
            raise Refused(f"{what} {rel!r} is not a {' or '.join(suffixes)} file")
        return full

    def folder(self, rel: str) -> Path:
        """A folder of the studio's own (studio/, runs/, ...), made if missing; refused if
        it is a link, or leads, outside the working folder."""
        full = self.path(rel, "folder")
        if full.is_symlink():
            raise Refused(f"{rel}/ is a link; the studio writes only into plain folders "
                          "inside its working folder", 403)
        full.mkdir(parents=True, exist_ok=True)
        return full

    def rel(self, path: Path) -> str:
        return Path(path).resolve().relative_to(self.root).as_posix()

    # ---- spec files ---------------------------------------------------------------------
    def read_spec(self, rel: str) -> tuple[Path, str]:
        full = self.path(rel, "spec", SPEC_SUFFIXES)
        try:
            return full, read_user_text(full, SPEC_MAX, "spec", root=self.root, shown=rel)
        except FileRefused as exc:
            raise Refused(str(exc), 404 if exc.missing else 400) from None

    def save_spec(self, rel: str, text) -> Path:
        if not isinstance(text, str):
            raise Refused("give the spec's text as a string")
        if len(text.encode("utf-8")) > SPEC_MAX:
            raise Refused(f"the spec is over {SPEC_MAX:,} bytes, the limit for a spec")
        full = self.path(rel, "spec", SPEC_SUFFIXES)
        if full.is_symlink():
            raise Refused(f"{rel} is a link; the studio writes only plain files", 403)
        write_text(full, text)
        return full

    def spec_files(self, depth: int = 4, limit: int = 2000) -> list[str]:
        """The specs inside the folder, relative paths, sorted: `depth` folders deep at
        most, not in run folders or hidden ones (a studio started in a home folder must
        not walk all of it)."""
        import os
        out = []
        for here, dirs, names in os.walk(self.root):
            rel = Path(here).relative_to(self.root)
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "node_modules"
                             and not (rel == Path(".") and d == RUNS)
                             and len(rel.parts) < depth)
            for name in sorted(names):
                full = Path(here) / name
                if full.suffix.lower() in SPEC_SUFFIXES and not full.is_symlink() \
                        and not name.startswith("."):
                    out.append((rel / name).as_posix())
            if len(out) >= limit:
                break
        return sorted(out)[:limit]

    def copy_bundled(self, name) -> tuple[str, str]:
        """A copy of the bundled spec `name` in WORK/studio/ (a new name when taken), with
        the shipped data files it names copied beside it; the bundled file is only read."""
        from ..spec.library import bundled
        from ..core.base import did_you_mean
        library = bundled()
        if not isinstance(name, str) or name not in library:
            raise Refused(f"no bundled spec named {str(name)[:60]!r}"
                          f"{did_you_mean(str(name), library)}", 404)
        source = library[name]
        text = source.read_text(encoding="utf-8")
        header = f"# kspec studio: a copy of the bundled spec {name} (Diff compares against it)\n"
        lines = text.splitlines(keepends=True)
        if lines and lines[0].startswith("# yaml-language-server:"):
            lines = lines[1:]  # its schema path counts from specs/<topic>/, not from here
        folder = self.folder(COPIES)
        target, n = folder / f"{name}.yaml", 1
        while target.exists() or target.is_symlink():
            n += 1
            target = folder / f"{name}-{n}.yaml"
        write_text(target, header + "".join(lines))
        self._copy_data(source, target)
        return self.rel(target), header + "".join(lines)

    def _copy_data(self, source: Path, target: Path) -> None:
        """The files a bundled spec's data source names (`../data/x.csv`), copied to the
        same place relative to the copy, unless a file is there already."""
        from ..spec.compose import load_composed
        data, _ = load_composed(source)
        src = ((data.get("data") or {}).get("source") or {}) if isinstance(data, dict) else {}
        for value in _strings(src):
            shipped = source.parent / value
            if not (value.endswith(tuple(".csv .npz .npy .txt .json".split()))
                    and shipped.is_file() and inside(shipped, source.parent.parent)):
                continue
            dest = target.parent / value
            if inside(dest, self.root) and not dest.exists():
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(shipped, dest)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def origin_of(text: str) -> str | None:
    """The bundled spec a copy was made from (its first comment line), or None."""
    found = ORIGIN.search(text[:500]) if isinstance(text, str) else None
    return found.group(1) if found else None
