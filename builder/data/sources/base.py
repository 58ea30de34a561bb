"""What every data source shares: the catalog, the loaded arrays, path helpers.

A source is validated parameters (part of the schema, Keras-free) plus `info()`
(what is known without loading: shapes, label kind) and `load(base_dir)` (the
arrays). `read_input` turns a file given to `kspec predict` into inputs the way
this source turned its own files into examples, using the state saved with a run.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:  # annotations only: validate never loads numpy for them
    import numpy as np

from ...catalog.index import CATALOGS as INDEX
from ...core.base import Catalog, Entry
from ..errors import DataLoadError
from ..files import resolve
from ..info import DataInfo

SOURCES = Catalog("data source", "sklearn: digits",
                  index=INDEX["data source"])


@dataclass
class Loaded:
    """Arrays from a source; `test` is set when the source has its own test split."""

    x: np.ndarray
    y: np.ndarray | None
    test: tuple | None = None
    feature_names: list | None = None
    class_names: list | None = None
    # JSON-able facts `kspec predict` needs to read new inputs the same way
    # (a CSV's columns and categories, a text's vocabulary, an image size...)
    state: dict = field(default_factory=dict)
    # the raw series of a time-series source, for plots
    series: np.ndarray | None = None


class Source(Entry):
    # examples are in time order (windows of a series or a text): split
    # chronologically unless the spec says otherwise
    sequential: ClassVar[bool] = False
    # the field that names a target per output (`target: {NAME: COLUMN}`); None: the
    # source gives one target only
    targets_field: ClassVar[str | None] = None

    def info(self) -> DataInfo:
        return DataInfo(None, None)

    def load(self, base_dir: Path) -> Loaded:
        raise NotImplementedError

    def target_names(self) -> dict | None:
        """Several outputs: output name -> the column/key/feature its target is read from
        (the source's `target: {NAME: COLUMN}`); None for one target."""
        return None

    def peek(self, base_dir: Path, info: DataInfo) -> DataInfo:
        """What validate learns by opening the source's files briefly (a CSV's header and
        first rows): raises DataLoadError for a problem, returns `info` made more exact.
        By default nothing is opened."""
        return info

    # ---- helpers for subclasses ---------------------------------------------
    def where(self, *names) -> tuple:
        """The spec path of one of this source's fields, for error messages."""
        return ("data", "source", self.kind) + names

    def fail(self, message: str, *names):
        raise DataLoadError(message, self.where(*names))

    def file(self, base_dir: Path, path: str, field_name: str = "path", kind="file") -> Path:
        return resolve(base_dir, path, self.where(field_name), kind)

    def read_input(self, path: Path, state: dict):
        """A file given to `kspec predict` -> (inputs, one label per example)."""
        from ..inputs import read_table_input
        return read_table_input(path, state)


SourceRef = SOURCES.ref
