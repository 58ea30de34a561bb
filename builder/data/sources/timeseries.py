"""`timeseries: {path, column, window, horizon}`: a series cut into sliding windows.

Example i is the `window` values before time t (shape [window, 1]) and its
target the `horizon` values from t on. Windows stay in time order, so the split
is chronological: the model is always tested on a later period than it saw.

Multivariate (the keras-io weather model): `columns: [a, b, ...]` are read side by
side, so a window has shape [window, len(columns)], and `target:` names the one
column whose next `horizon` values are predicted (often one of the inputs, as
temperature is; it need not be).
"""
from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np
from pydantic import Field, model_validator

from ..errors import DataLoadError
from ..files import (PEEK_BYTES, as_number, column_index, is_missing, line_list, read_csv,
                     read_csv_head)
from ..info import DataInfo
from .base import SOURCES, Loaded, Source


def series_windows(series: np.ndarray, window: int, horizon: int, target=None):
    """series (T,) or (T, C) -> x (n, window, C), y (n, horizon); n = T - window -
    horizon + 1. y comes from `target` (T,) when given, else from the one series."""
    series = np.asarray(series)
    values = series[:, None] if series.ndim == 1 else series
    target = series if target is None else np.asarray(target)
    n = len(values) - window - horizon + 1
    starts = np.arange(max(n, 0))
    x = values[starts[:, None] + np.arange(window)[None, :]]
    y = target[starts[:, None] + window + np.arange(horizon)[None, :]]
    return x.astype("float32"), y.astype("float32")


def read_series(file: Path, column: str, where: tuple, column_where: tuple, parsed=None):
    header, rows, lines = parsed or read_csv(file, where)
    j = column_index(header, column, file, column_where)
    gaps = [lines[i] for i, r in enumerate(rows) if is_missing(r[j])]
    if gaps:
        raise DataLoadError(f"{file} has no '{column}' value at line {line_list(gaps)}; a series "
                            "needs every value", column_where)
    values = [as_number(r[j]) for r in rows]
    bad = [lines[i] for i, v in enumerate(values) if v is None]
    if bad:
        raise DataLoadError(f"{file} line {line_list(bad)}: '{column}' is not a number",
                            column_where)
    return header, rows, np.asarray(values, dtype="float32")


def read_columns(file: Path, names: list[str], where: tuple, column_where, parsed=None):
    """-> (header, rows, matrix (T, len(names))): each named column a full numeric series.
    `column_where(i)` is the spec path of the i-th name, for the error."""
    parsed = parsed or read_csv(file, where)
    series = [read_series(file, name, where, column_where(i), parsed)[2]
              for i, name in enumerate(names)]
    return parsed[0], parsed[1], np.stack(series, axis=1)


@SOURCES.register("timeseries")
class TimeSeries(Source):
    doc: ClassVar[str] = ("one numeric column of a CSV as a series (or several side by side "
                          "with `columns` and a `target`), cut into sliding windows (window "
                          "values -> the next horizon values); split in time order")
    sequential: ClassVar[bool] = True
    path: str = Field(..., description="CSV file with a header row, rows in time order")
    column: str | None = Field(None, description="the column holding the series (one series "
                                                 "in, its own next values out)")
    columns: list[str] | None = Field(
        None, min_length=1, description="multivariate: the columns the model reads, side by "
                                        "side (a window is [window, len(columns)]); with target")
    target: str | None = Field(None, description="with columns: the column to forecast "
                                                 "(one of columns, or another)")
    window: int = Field(..., ge=1, description="past values the model sees")
    horizon: int = Field(1, ge=1, description="future values it predicts")
    time_column: str | None = Field(None, description="dates/times, for plots and examples")

    @model_validator(mode="after")
    def _one_way(self):
        if (self.column is None) == (self.columns is None):
            raise ValueError("give `column: NAME` (one series) or `columns: [A, B, ...]` with "
                             "`target: NAME` (several series in, one forecast), not both"
                             if self.column else "give `column: NAME` (one series) or "
                             "`columns: [A, B, ...]` with `target: NAME`")
        if self.column is not None and self.target not in (None, self.column):
            raise ValueError(f"target goes with columns; with `column: {self.column}` the "
                             f"target is that column: remove target, or write `columns: "
                             f"[{self.column}, ...]` and `target: {self.target}`")
        if self.columns is not None:
            twice = sorted({c for c in self.columns if self.columns.count(c) > 1})
            if twice:
                raise ValueError(f"columns names '{twice[0]}' twice; list each column once")
            if self.target is None:
                if len(self.columns) > 1:
                    raise ValueError(f"with several columns, say which one to forecast: add "
                                     f"`target: {self.columns[0]}` (or another column)")
        return self

    @property
    def inputs(self) -> list[str]:
        """The columns a window holds, in order."""
        return list(self.columns) if self.columns is not None else [self.column]

    @property
    def target_column(self) -> str:
        return self.column or self.target or self.columns[0]

    def info(self):
        return DataInfo((self.window, len(self.inputs)), "continuous", y_shape=(self.horizon,))

    def peek(self, base_dir, info):
        """validate reads the series (a small file; a large one only up to its header):
        the file, the columns, and enough values for window + horizon."""
        file = self.file(base_dir, self.path)
        if file.stat().st_size <= PEEK_BYTES:
            self._series(file)
        else:
            header, _ = read_csv_head(file, self.where("path"))
            for name, where in self._named():
                column_index(header, name, file, where)
        return info

    def _named(self):
        """(column name, spec path) of every column this source reads."""
        if self.columns is None:
            return [(self.column, self.where("column"))]
        named = [(c, self.where("columns", i)) for i, c in enumerate(self.columns)]
        if self.target is not None and self.target not in self.columns:
            named.append((self.target, self.where("target")))
        return named

    def _series(self, file):
        """-> (inputs (T, C), target (T,), times)."""
        parsed = read_csv(file, self.where("path"))
        named = self._named()
        header, rows, matrix = read_columns(file, [n for n, _ in named], self.where("path"),
                                            lambda i: named[i][1], parsed)
        inputs = matrix[:, :len(self.inputs)]
        target = matrix[:, [n for n, _ in named].index(self.target_column)]
        times = None
        if self.time_column:
            t = column_index(header, self.time_column, file, self.where("time_column"))
            times = [r[t].strip() for r in rows]
        if len(target) < self.window + self.horizon:
            self.fail(f"{file} has {len(target)} values, too few for window {self.window} + "
                      f"horizon {self.horizon}; use a smaller window", "window")
        return inputs, target, times

    def load(self, base_dir):
        file = self.file(base_dir, self.path)
        inputs, target, times = self._series(file)
        x, y = series_windows(inputs, self.window, self.horizon, target)
        state = {"column": self.target_column, "window": self.window, "horizon": self.horizon,
                 "times": times}
        if self.columns is not None:  # what `kspec forecast` reads after the series ends
            state["columns"] = self.inputs
            state["last_window"] = inputs[-self.window:].astype("float64").tolist()
        return Loaded(x, y, state=state, series=target,
                      feature_names=self.inputs if self.columns is not None else None)

    def read_input(self, path: Path, state: dict):
        """A CSV with the series column(s) -> every window in it (predict what follows each)."""
        if path.suffix.lower() != ".csv":
            from ..inputs import read_table_input
            return read_table_input(path, state)
        names = state.get("columns") or [state["column"]]
        _, _, values = read_columns(path, names, (), lambda i: ())
        window = state["window"]
        if len(values) < window:
            raise DataLoadError(f"{path} has {len(values)} values; the model needs {window}")
        padded = np.concatenate([values, np.zeros((state["horizon"], len(names)), "float32")])
        x, _ = series_windows(padded, window, state["horizon"], padded[:, 0])
        return x, [f"after row {window + i}" for i in range(len(x))]
