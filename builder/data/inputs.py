"""New inputs for `kspec predict`: CSV rows, NumPy arrays or images -> raw examples.

"Raw" means as the run's source gave them before preprocessing (the saved steps
are applied afterwards), so a CSV of unscaled measurements is what it takes.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import DataLoadError
from .files import read_csv
from .images import NotAnImage, read_image
from .sources.arrays import load_array
from .tables import TableCodec

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}


def _fail(message):
    raise DataLoadError(message)


def read_table_input(path: Path, state: dict):
    raw_shape = tuple(state.get("raw_shape") or ())
    suffix = path.suffix.lower()
    if path.is_dir() or suffix in IMAGE_SUFFIXES:
        return read_images(path, raw_shape, bool(state.get("resize")))
    if suffix in (".npy", ".npz"):
        return read_arrays(path, raw_shape)
    if suffix in (".csv", ".tsv", ".txt"):
        return read_rows(path, state, "\t" if suffix == ".tsv" else ",")
    raise DataLoadError(f"cannot read {path}: give a .csv file with a header row, a .npy/.npz "
                        "array, or images")


def read_rows(path: Path, state: dict, delimiter: str):
    header, rows, lines = read_csv(path, (), delimiter)
    table = state.get("table")
    if table is not None:
        codec = TableCodec.from_json(table)
    else:  # arrays without column names: take the columns in file order
        codec = TableCodec(list(header))
    missing = [c for c in codec.features if c not in header]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise DataLoadError(f"{path} lacks the column(s) the model was trained on: {shown}; "
                            f"the header must name the features ({', '.join(codec.features[:3])}"
                            f"{', ...' if len(codec.features) > 3 else ''})")
    x, _ = codec.encode(header, rows, lines, path, (), state.get("missing", "error"))
    want = int(np.prod(state["raw_shape"])) if state.get("raw_shape") else x.shape[1]
    if x.shape[1] != want:
        raise DataLoadError(f"{path} gives {x.shape[1]} values per row; the model was trained on "
                            f"{want}")
    if state.get("raw_shape") and len(state["raw_shape"]) > 1:
        x = x.reshape((len(x), *state["raw_shape"]))
    return x, [f"line {n}" for n in lines]


def read_arrays(path: Path, raw_shape: tuple):
    data = load_array(path, _fail)
    if isinstance(data, dict):
        key = next((k for k in ("x", "x_test", "x_train") if k in data), None)
        if key is None and len(data) == 1:
            key = next(iter(data))
        if key is None:
            raise DataLoadError(f"{path} holds {', '.join(data)}; name the inputs 'x'")
        data = data[key]
    x = np.asarray(data)
    if x.dtype.kind not in "biuf":
        raise DataLoadError(f"{path} holds {x.dtype} values ({_kind_name(x)}); the model takes "
                            "numbers")
    if x.ndim == 0 or x.size == 0:
        raise DataLoadError(f"{path} holds no examples (an array of shape {list(x.shape)})")
    if raw_shape and tuple(x.shape) == raw_shape:
        x = x[None]  # a single example
    if raw_shape and tuple(x.shape[1:]) != raw_shape:
        raise DataLoadError(f"{path} holds examples of shape {list(x.shape[1:])}; the model "
                            f"was trained on raw examples of shape {list(raw_shape)}")
    return x, [f"index {i}" for i in range(len(x))]


def _kind_name(x) -> str:
    return {"U": "text", "S": "bytes", "O": "objects", "c": "complex numbers",
            "M": "dates", "m": "time spans", "V": "records"}.get(x.dtype.kind, "not numbers")


def read_images(path: Path, raw_shape: tuple, resize: bool = False):
    """An image file or a folder of them -> examples of `raw_shape`. An image of
    another size is refused unless `resize` (kspec predict --resize)."""
    if len(raw_shape) not in (2, 3) or (len(raw_shape) == 3 and raw_shape[2] not in (1, 3, 4)):
        raise DataLoadError(f"this model was trained on examples of shape {list(raw_shape)}, "
                            "not images; give a .csv or .npy file")
    mode = {1: "grayscale", 3: "rgb", 4: "rgba"}[raw_shape[2] if len(raw_shape) == 3 else 1]
    files = [path] if path.is_file() else sorted(
        p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
    if not files:
        raise DataLoadError(f"no image files in {path}")
    try:
        images = np.stack([read_image(f, raw_shape[:2], mode, resize) for f in files])
    except NotAnImage as exc:
        raise DataLoadError(str(exc)) from None
    if len(raw_shape) == 2:
        images = images[..., 0]  # the source's examples have no channel axis (e.g. mnist)
    return images, [str(f) for f in files]


def read_labelled_input(path: Path, saved):
    """A file with inputs *and* targets (for kspec evaluate --data) -> raw (x, y)."""
    state = {**saved.raw.get("source_state", {}), "raw_shape": saved.raw.get("raw_shape")}
    classes = saved.class_names
    suffix = path.suffix.lower()
    if path.is_dir():  # an image folder: one subfolder per class, named as in training
        if not classes:
            raise DataLoadError(f"{path} is a folder, but this model has no class names")
        xs, ys = [], []
        for k, name in enumerate(classes):
            if (path / name).is_dir():
                x, _ = read_images(path / name, tuple(state["raw_shape"]))
                xs.append(x)
                ys.append(np.full(len(x), k, dtype="int64"))
        unknown = sorted(p.name for p in path.iterdir() if p.is_dir() and p.name not in classes)
        if unknown or not xs:
            raise DataLoadError(f"{path} must hold one subfolder per class ({', '.join(classes)})"
                                + (f"; unknown: {', '.join(unknown)}" if unknown else ""))
        return np.concatenate(xs), np.concatenate(ys)
    if suffix in (".npy", ".npz"):
        data = load_array(path, _fail)
        if not isinstance(data, dict) or not ({"x", "y"} <= set(data) or
                                              {"x_test", "y_test"} <= set(data)):
            raise DataLoadError(f"{path} needs arrays x and y (inputs and targets)")
        kx, ky = ("x", "y") if "x" in data else ("x_test", "y_test")
        return data[kx], data[ky]
    if suffix in (".csv", ".tsv"):
        x, _ = read_rows(path, state, "\t" if suffix == ".tsv" else ",")
        header, rows, lines = read_csv(path, (), "\t" if suffix == ".tsv" else ",")
        target = state.get("targets") or state.get("target") or "target"
        if isinstance(target, dict):  # several outputs: a column per output
            return x, {out: column_target(path, header, rows, col, (classes or {}).get(out))
                       for out, col in target.items()}
        return x, column_target(path, header, rows, target, classes)
    raise DataLoadError(f"cannot evaluate on {path}: give a spec (.yaml), a .csv with the "
                        "target column, an .npz with x and y, or an image folder")


def column_target(path, header, rows, target: str, classes) -> np.ndarray:
    """One target column of a labelled table: class ids (by the run's class names) or numbers."""
    if target not in header:
        raise DataLoadError(f"{path} has no target column '{target}' to compare with")
    j = header.index(target)
    cells = [r[j].strip() for r in rows]
    if classes:
        index = {c: i for i, c in enumerate(classes)}
        try:
            return np.array([index[c] if c in index else int(float(c)) for c in cells], "int64")
        except ValueError:
            bad = next(c for c in cells if c not in index)
            raise DataLoadError(f"{path}: '{bad}' in column '{target}' is not one of the "
                                f"classes {', '.join(classes)}") from None
    try:
        return np.array([float(c) for c in cells], "float32")
    except ValueError:
        raise DataLoadError(f"{path}: column '{target}' must hold numbers") from None
