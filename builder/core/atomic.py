"""Writing a file whole or not at all: the one helper every command uses.

The content goes to a temporary file in the same folder (same extension, so
numpy, matplotlib and PIL pick the right format) that is renamed over the target
at the end; an interrupted write never leaves a half file that looks whole.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path):
    """Yields a temporary path to write; on success it becomes `path`, on failure it
    is removed. For writers that want a file name: np.save, fig.savefig, img.save."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".partial{path.suffix}",
                               dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes(path, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_json(path, data, indent: int | None = 2) -> Path:
    return write_text(path, json.dumps(data, indent=indent) + ("\n" if indent else ""))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
