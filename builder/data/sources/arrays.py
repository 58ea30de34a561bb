"""`npz: {path, x, y}` and `npy: {x, y}`: NumPy array files (loaded without pickles)."""
from __future__ import annotations

import zipfile
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from ...core.files import DATA_MAX, FileRefused, check_expanded, open_user_file
from ..files import PEEK_BYTES
from ..info import DataInfo
from .base import SOURCES, Loaded, Source


def npy_header(fh) -> tuple:
    """(shape, dtype) of an .npy stream, from its header alone (nothing loaded)."""
    fmt = np.lib.format
    version = fmt.read_magic(fh)
    read = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
    shape, _, dtype = read(fh)
    return tuple(shape), dtype


def _npy_bytes(fh) -> int:
    """The size an .npy stream expands to in memory."""
    shape, dtype = npy_header(fh)
    return int(np.prod(shape, dtype=np.int64)) * max(dtype.itemsize, 1)


def expanded_size(fh) -> int:
    """What a .npy or .npz file expands to in memory, read from its headers (an .npz's
    members are read only as far as their headers): a 2 MB archive can hold 2 GiB."""
    head = fh.read(6)
    fh.seek(0)
    if head.startswith(b"\x93NUMPY"):
        return _npy_bytes(fh)
    total = 0
    with zipfile.ZipFile(fh) as archive:
        for info in archive.infolist():
            total += info.file_size
            if info.filename.endswith(".npy"):
                with archive.open(info) as member:
                    total = max(total, total - info.file_size + _npy_bytes(member))
    return total


def load_array(file: Path, fail) -> np.ndarray | dict:
    """The arrays of a .npy/.npz file, checked first (a regular file, its expanded size
    bounded: core/files.py); `fail(message)` reports a problem (it raises)."""
    try:
        with open_user_file(file, DATA_MAX, "NumPy file") as fh:
            check_expanded(expanded_size(fh), str(file), "arrays")
            fh.seek(0)
            data = np.load(fh, allow_pickle=False)  # no pickles: no code runs from data
            if isinstance(data, np.lib.npyio.NpzFile):
                with data:
                    return {k: data[k] for k in data.files}
            return data
    except FileRefused as exc:
        fail(str(exc))
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        fail(f"cannot read {file} as a NumPy file: {' '.join(str(exc).split())[:200]}")


def array_headers(file: Path, fail) -> dict:
    """key -> (shape, dtype) of every array in an .npz, read from the .npy headers inside
    the archive without reading the arrays (what validate can afford)."""
    out = {}
    try:
        with open_user_file(file, DATA_MAX, "NumPy file") as raw, zipfile.ZipFile(raw) as archive:
            for member in archive.namelist():
                if not member.endswith(".npy"):
                    continue
                with archive.open(member) as fh:
                    out[member[:-4]] = npy_header(fh)
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        fail(f"cannot read {file} as a NumPy .npz archive: {' '.join(str(exc).split())}")
    return out


def labels_array(y: np.ndarray | None, kind: str):
    """Class labels as int64 ids (a column vector flattened); numbers as float32."""
    if y is None:
        return None
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if kind == "integer" or (kind == "auto" and y.dtype.kind in "iub" and y.ndim == 1):
        return y.astype("int64")
    return y.astype("float32") if y.dtype.kind == "f" or kind == "continuous" else y


class ArrayFiles(Source):
    labels: Literal["auto", "integer", "continuous", "one_hot"] = Field(
        "auto", description="what y holds; auto: whole numbers are class ids")

    def info(self):
        return DataInfo(None, None if self.labels == "auto" else self.labels)

    def pack(self, x, y, test=None):
        if isinstance(y, dict):  # several outputs: one array per output
            return self.pack_targets(x, y, test)
        if y is not None and len(y) != len(x):
            self.fail(f"x has {len(x)} examples but y has {len(y)}; they must match")
        y = labels_array(y, self.labels)
        if test is not None:
            test = (test[0], labels_array(test[1], self.labels))
        names = None
        if y is not None and y.dtype.kind == "i":
            top = int(max(y.max(), test[1].max() if test is not None and test[1] is not None else 0))
            names = [str(i) for i in range(top + 1)]
        return Loaded(x, y, test=test, class_names=names)

    def pack_targets(self, x, ys, test):
        out, names = {}, {}
        for name, y in ys.items():
            if len(y) != len(x):
                self.fail(f"x has {len(x)} examples but the target of {name} has {len(y)}; "
                          "they must match", "y", name)
            out[name] = labels_array(y, self.labels)
            ids = out[name].dtype.kind == "i"
            names[name] = [str(i) for i in range(int(out[name].max()) + 1)] if ids else None
        if test is not None and test[1] is not None:
            test = (test[0], {k: labels_array(v, self.labels) for k, v in test[1].items()})
        return Loaded(x, out, test=test, class_names=names)


@SOURCES.register("npz")
class Npz(ArrayFiles):
    doc: ClassVar[str] = ("a NumPy .npz archive; keys x and y (or x_train, y_train, and "
                          "x_test, y_test as the test split, like Keras' mnist.npz)")
    positional: ClassVar[str] = "path"
    targets_field: ClassVar[str] = "y"
    path: str
    x: str | None = Field(None, description="key of the inputs (default: x or x_train)")
    y: str | dict[str, str] | None = Field(
        None, description="key of the targets (default: y or y_train); several outputs: "
                          "output name -> key, e.g. {digit: y, parity: y_parity}")
    x_test: str | None = Field(None, description="key of test inputs (default: x_test if present)")
    y_test: str | dict[str, str] | None = Field(
        None, description="key of test targets (default: y_test); several outputs: output "
                          "name -> key")

    def target_names(self):
        return self.y if isinstance(self.y, dict) else None

    def info(self):
        info = super().info()
        if isinstance(self.y, dict):
            return info.with_(labels=None, targets={o: DataInfo(None, info.labels) for o in self.y})
        return info

    def peek(self, base_dir, info):
        """The archive's keys, shapes and dtypes (headers only): the named keys exist, and
        the shape of one example is known for model.input; a small integer x (token ids)
        is read for its largest value, which an embedding's input_dim must exceed."""
        file = self.file(base_dir, self.path)
        if not zipfile.is_zipfile(file):
            self.fail(f"{file} holds a single array; use `npy: {{x: {self.path}}}` for .npy files",
                      "path")
        headers = array_headers(file, lambda m: self.fail(m, "path"))
        kx, _, _, _ = self.keys(file, headers)
        shape, dtype = headers[kx]
        info = info.with_(x_shape=shape[1:] if shape else None)
        if dtype.kind in "iu" and file.stat().st_size <= PEEK_BYTES and np.prod(shape):
            with np.load(file, allow_pickle=False) as data:
                info = info.with_(x_max=int(data[kx].max()))
        return info

    def keys(self, file, data):
        """(x, y, x_test, y_test) keys of an archive holding the keys `data`."""
        def key(field, *defaults, required=False):
            name = getattr(self, field)
            if isinstance(name, dict):  # several outputs: every key must be there
                for out, k in name.items():
                    if k not in data:
                        self.fail(f"{file} has no array '{k}' (it has {', '.join(data)})",
                                  field, out)
                return name
            if name is not None:
                if name not in data:
                    self.fail(f"{file} has no array '{name}' (it has {', '.join(data)})", field)
                return name
            found = next((d for d in defaults if d in data), None)
            if found is None and required:
                self.fail(f"{file} has no array named {' or '.join(defaults)} (it has "
                          f"{', '.join(data)}); name the inputs with `x: KEY`", "path")
            return found
        return (key("x", "x", "x_train", required=True), key("y", "y", "y_train"),
                key("x_test", "x_test"), key("y_test", "y_test"))

    def load(self, base_dir):
        file = self.file(base_dir, self.path)
        data = load_array(file, lambda m: self.fail(m, "path"))
        if not isinstance(data, dict):
            self.fail(f"{file} holds a single array; use `npy: {{x: {self.path}}}` for .npy files",
                      "path")
        kx, ky, kxt, kyt = self.keys(file, data)
        if isinstance(ky, dict) and kxt and not isinstance(kyt, dict):
            self.fail(f"{file} has test inputs '{kxt}': name each output's test targets too, "
                      f"e.g. y_test: {{{', '.join(f'{o}: KEY' for o in ky)}}}", "y")

        def pick(k):
            return {o: data[v] for o, v in k.items()} if isinstance(k, dict) else data[k]
        test = (data[kxt], pick(kyt) if kyt else None) if kxt else None
        return self.pack(data[kx], pick(ky) if ky else None, test)


@SOURCES.register("npy")
class Npy(ArrayFiles):
    doc: ClassVar[str] = "NumPy .npy files: x (inputs) and optionally y (targets)"
    positional: ClassVar[str] = "x"
    x: str = Field(..., description=".npy file of inputs, relative to the spec's folder")
    y: str | None = Field(None, description=".npy file of targets")

    def load(self, base_dir):
        x = load_array(self.file(base_dir, self.x, "x"), lambda m: self.fail(m, "x"))
        y = None
        if self.y is not None:
            y = load_array(self.file(base_dir, self.y, "y"), lambda m: self.fail(m, "y"))
        for name, arr in (("x", x), ("y", y)):
            if isinstance(arr, dict):
                self.fail(f"{getattr(self, name)} is an .npz archive; use the npz source", name)
        return self.pack(x, y)
