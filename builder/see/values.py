"""One input given on the command line -> an array, and numbers printed so a student
can check them by hand (2, 10, 6 rather than 2.0000001)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from ..data.errors import DataLoadError
from ..data.inputs import IMAGE_SUFFIXES


def number(v: float, digits: int = 4) -> str:
    """2 -> '2', 0.268941 -> '0.2689', -0.0 -> '0', 1e-9 -> '0'."""
    text = f"{float(v):.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def row(values, digits: int = 4) -> str:
    return " ".join(number(v, digits) for v in np.ravel(values))


def table(matrix, digits: int = 4, indent: str = "  ") -> str:
    """A 2-D array as right-aligned columns."""
    cells = [[number(v, digits) for v in r] for r in np.asarray(matrix)]
    width = max((len(c) for r in cells for c in r), default=1)
    return "\n".join(indent + " ".join(c.rjust(width) for c in r) for r in cells)


def read_csv_numbers(path: Path) -> np.ndarray:
    """A CSV of numbers (an optional header row of names is skipped) -> 2-D array."""
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    rows = []
    for n, line in enumerate(lines, 1):
        cells = [c.strip() for c in line.replace("\t", ",").split(",")]
        try:
            rows.append([float(c) for c in cells])
        except ValueError:
            if n == 1 and not rows:
                continue  # a header
            raise DataLoadError(f"{path}:{n}: '{line.strip()}' is not a row of numbers") from None
    if not rows:
        raise DataLoadError(f"{path} holds no numbers")
    if len({len(r) for r in rows}) != 1:
        raise DataLoadError(f"{path}: every row must have the same number of values")
    return np.asarray(rows, dtype="float32")


def read_image_as_is(path: Path, channels: int | None = None) -> np.ndarray:
    """An image file at its own size (never resized) -> float array (h, w, c), 0..255."""
    from PIL import Image, UnidentifiedImageError
    try:
        with Image.open(path) as img:
            if channels is None:  # grey images stay one channel, others become RGB
                channels = 1 if img.mode in ("1", "L", "LA", "I", "I;16", "F") else 3
            img = img.convert({1: "L", 3: "RGB", 4: "RGBA"}[channels])
            arr = np.asarray(img, dtype="float32")
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise DataLoadError(f"{path} is not an image that can be read "
                            f"({type(exc).__name__})") from None
    return arr.reshape(arr.shape[0], arr.shape[1], channels)


def read_values(given: str, channels: int | None = None) -> tuple[np.ndarray, str]:
    """--input: a file (.csv, .npy, .npz, an image) or values written inline
    ('0,1,2,3' or YAML like [[1, 2], [3, 4]]) -> (array of one example, what it was)."""
    path = Path(given)
    try:
        is_file = path.is_file()
    except OSError:  # values longer than a file name can be (a 28x28 image inline)
        is_file = False
    if is_file:
        suffix = path.suffix.lower()
        if suffix in IMAGE_SUFFIXES:
            return read_image_as_is(path, channels), "image"
        if suffix in (".npy", ".npz"):
            try:
                data = np.load(path, allow_pickle=False)
            except (OSError, ValueError) as exc:
                raise DataLoadError(f"cannot read {path}: {exc}") from None
            if hasattr(data, "files"):
                key = "x" if "x" in data.files else data.files[0]
                data = data[key]
            return np.asarray(data, dtype="float32"), "array"
        if suffix in (".csv", ".tsv", ".txt"):
            return read_csv_numbers(path), "table"
        raise DataLoadError(f"cannot read {path}: give a .csv of numbers, a .npy/.npz array, "
                            "an image, or the values themselves (e.g. 0,1,2,3)")
    if path.suffix and not any(ch in given for ch in ",[ ") and not _is_number(given):
        raise DataLoadError(f"{given} does not exist")
    text = given if given.strip().startswith("[") else f"[{given}]"
    try:
        data = yaml.safe_load(text)
        arr = np.asarray(data, dtype="float32")
    except (yaml.YAMLError, ValueError, TypeError):
        raise DataLoadError(f"--input '{given}' is neither a file nor numbers; write "
                            "values like 0,1,2,3 or [[1, 2], [3, 4]]") from None
    return arr, "values"


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def fit_to(x: np.ndarray, shape: tuple, what: str) -> np.ndarray:
    """One example `x` shaped as the model's input `shape` (no batch axis): the same
    values, only axes of size 1 added or dropped (a 6x6 table for a (6, 6, 1) input).
    Anything else is a one-line error: kspec never resizes silently."""
    shape = tuple(shape)
    if tuple(x.shape) == shape:
        return x
    if len(x.shape) == len(shape) + 1 and x.shape[0] == 1 and tuple(x.shape[1:]) == shape:
        return x[0]
    squeezed = tuple(d for d in x.shape if d != 1)
    if squeezed == tuple(d for d in shape if d != 1) and None not in shape:
        return x.reshape(shape)
    raise DataLoadError(f"the {what} has shape {list(x.shape)} but the model takes "
                        f"{list(shape)}; give an input of that shape (kspec never resizes it)")
