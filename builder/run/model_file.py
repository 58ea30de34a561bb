"""Loading a saved .keras file kspec was handed (a run's model, `kspec import`).

Keras' safe mode refuses anything that would run code (a Lambda layer, a config
that names `os.system` or `subprocess.Popen`); its refusal is a page of object
config. Here it becomes one line that says what was refused and why. The file is
first checked like every other (a regular file of bounded size, inside its run
folder) and its archive for the size it expands to.
"""
from __future__ import annotations

import re
import warnings
import zipfile
from pathlib import Path

from ..core.files import DATA_MAX, FileRefused, check_expanded, open_user_file
from ..data.errors import DataLoadError


class ModelRefused(DataLoadError):
    """A model file that cannot be loaded in safe mode; the message says why, in one line."""


def refusal_reason(exc: BaseException) -> str:
    """Keras' complaint about a model file, in one line."""
    text = str(exc)
    if "Exception encountered:" in text:
        text = text.rsplit("Exception encountered:", 1)[1]
    if "`Lambda` layer" in text or "Lambda" in text and "lambda" in text:
        return ("it holds a Lambda layer (Python code); safe mode refuses code in a model file "
                "and kspec never turns it off")
    found = re.search(r"Could not locate (function|class) '([^']+)'", text)
    if found:
        module = re.search(r"Full object config: \{'module': '([^']+)'", text)
        name = f"{module.group(1)}.{found.group(2)}" if module else found.group(2)
        return (f"it names the {found.group(1)} {name}, which is not a registered Keras "
                f"object; safe mode loads only those (no code runs from a model file)")
    first = " ".join(text.split())
    first = re.split(r"(?<=[.!?])\s", first, maxsplit=1)[0]
    return first[:200] + ("..." if len(first) > 200 else "")


def load_model_file(path, root=None, compile: bool = True):
    """The Keras model saved in `path` (safe mode), or ModelRefused in one line."""
    from ..core.keras_env import keras
    path = Path(path)
    try:
        with open_user_file(path, DATA_MAX, "model file", root) as fh:
            try:
                with zipfile.ZipFile(fh) as archive:
                    check_expanded(sum(i.file_size for i in archive.infolist()), str(path),
                                   "a model", DATA_MAX)
            except zipfile.BadZipFile:
                raise ModelRefused(f"{path} is not a .keras model file (not a zip archive)") \
                    from None
    except FileRefused as exc:
        raise ModelRefused(str(exc)) from None
    try:
        with warnings.catch_warnings():  # optimizer-state notices: not the user's concern
            warnings.simplefilter("ignore")
            return keras().models.load_model(path, safe_mode=True, compile=compile)
    except Exception as exc:  # noqa: BLE001 - any Keras complaint is about the file
        raise ModelRefused(f"cannot load {path} in Keras' safe mode: {refusal_reason(exc)}") \
            from None
