"""Files are data, never a way in: the one place kspec opens a file it was handed.

Every path that comes from a user, a submission or a run folder is opened here.
A path must name a regular file (not a device such as /dev/zero, not a FIFO that
would block the reader for ever, not a folder), of at most `max_bytes`, and, when
a `root` folder is given, must not lead outside it through a link. The check is
made on the opened file itself (fstat), so a file swapped after the check is
still caught; FIFOs are opened without blocking so the check can see them.

Archives and images are checked for their expanded size before they are expanded
(`check_expanded`): the size on disk says nothing about a 2 MB .npz holding 2 GiB.
"""
from __future__ import annotations

import contextlib
import contextvars
import os
import stat
from pathlib import Path

from . import limits

MB = 1 << 20
SPEC_MAX = limits.MAX_FILE_BYTES  # a YAML spec, rubric or run-folder spec.yaml (limits.py)
JSON_MAX = 256 * MB  # a run folder's JSON (preprocess.json holds a vocabulary, statistics)
DATA_MAX = 8 * 1024 * MB  # a data file on disk (a CSV, an .npz, a model)
EXPANDED_MAX = 1024 * MB  # what arrays may expand to in memory (1 GiB)
IMAGE_PIXELS_MAX = 64 * 1000 * 1000  # 64 megapixels: far above any course image


class FileRefused(ValueError):
    """A path that is not a regular file of bounded size; the message says why, in one line.
    `missing`: there is nothing at the path (callers may word that their own way)."""

    def __init__(self, message: str, missing: bool = False):
        super().__init__(message)
        self.missing = missing


def size_text(n: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", MB), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n} bytes"


def _kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a plain file"


def inside(path, folder) -> bool:
    """Whether `path`, links followed, lies in `folder` (links followed too)."""
    try:
        Path(path).resolve().relative_to(Path(folder).resolve())
        return True
    except (ValueError, OSError, RuntimeError):
        return False


# ---- confinement: a folder that the paths named by a spec must stay inside ------------
# The studio validates specs typed in a browser: a `data: {csv: {path: /etc/passwd}}` or an
# `extends: ../../x.yaml` there must not make it read a file outside its working folder.
# While `confined(folder)` is active, every path a spec names (data files, extends) is
# checked with `check_confined` by the code that resolves it (data/files.resolve,
# spec/compose.base_path). A context variable: each request (thread or task) has its own.
_CONFINED: contextvars.ContextVar = contextvars.ContextVar("kspec_confined", default=None)


@contextlib.contextmanager
def confined(folder):
    """Paths a spec names must lie inside `folder` (links followed) while this is active."""
    token = _CONFINED.set(Path(folder).resolve())
    try:
        yield
    finally:
        _CONFINED.reset(token)


def check_confined(path, what: str = "file") -> None:
    """FileRefused when a confinement is active and `path` (links followed) leaves it."""
    root = _CONFINED.get()
    if root is not None and not inside(path, root):
        raise FileRefused(f"{path} is outside the working folder {root}; a {what} named by "
                          "a spec must be inside it (copy it there and name it relatively)")


def check_user_file(path, max_bytes: int, what: str = "file", root=None,
                    shown: str | None = None) -> os.stat_result:
    """The stat of `path` if it may be read, else FileRefused. Nothing is opened."""
    path = Path(path)
    name = shown or str(path)
    if root is not None and not inside(path, root):
        raise FileRefused(f"{name} is a link to a file outside {Path(root).name or root}/; "
                          f"a {what} must be a file inside it")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise FileRefused(f"{name} is a link to nothing") from None
        raise FileRefused(f"{name} does not exist", missing=True) from None
    except OSError as exc:
        raise FileRefused(f"cannot read {name}: {exc.strerror or exc}") from None
    _check_stat(st, name, max_bytes, what)
    return st


def _check_stat(st, name, max_bytes, what):
    kind = _kind(st.st_mode)
    if kind:
        raise FileRefused(f"{name} is {kind}, not a regular file; a {what} must be a file")
    if st.st_size > max_bytes:
        raise FileRefused(f"{name} has {st.st_size:,} bytes ({size_text(st.st_size)}), over "
                          f"the limit of {max_bytes:,} bytes for a {what}")


def open_user_file(path, max_bytes: int, what: str = "file", root=None,
                   shown: str | None = None):
    """A binary file object for `path`, checked as `check_user_file` says (and again on
    the opened file). For readers that take a file: np.load, PIL, zipfile."""
    check_user_file(path, max_bytes, what, root, shown)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise FileRefused(f"cannot read {shown or path}: {exc.strerror or exc}") from None
    try:
        _check_stat(os.fstat(fd), shown or str(path), max_bytes, what)
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def read_user_file(path, max_bytes: int, what: str = "file", root=None,
                   shown: str | None = None) -> bytes:
    """The bytes of `path`: a regular file of at most `max_bytes` (inside `root` if given)."""
    with open_user_file(path, max_bytes, what, root, shown) as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:  # grew after the check
        raise FileRefused(f"{shown or path} is over {size_text(max_bytes)}; a {what} may be at "
                          f"most {size_text(max_bytes)}")
    return data


def read_user_text(path, max_bytes: int, what: str = "file", root=None,
                   shown: str | None = None) -> str:
    data = read_user_file(path, max_bytes, what, root, shown)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused(f"{shown or path} is not UTF-8 text; a {what} must be") from None


def check_expanded(nbytes: int, name: str, what: str = "array",
                   limit: int = EXPANDED_MAX) -> None:
    """Refuse an archive member or an image whose expanded size is over `limit`."""
    if nbytes > limit:
        raise FileRefused(f"{name} holds {what} of {size_text(nbytes)} once expanded; kspec "
                          f"expands at most {size_text(limit)} (refused before reading it)")
