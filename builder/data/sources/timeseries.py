"""`timeseries: {path, column, window, horizon}`: a series cut into sliding windows.

Example i is the `window` values before time t (shape [window, 1]) and its
target the `horizon` values from t on. Windows stay in time order, so the split
is chronological: the model is always tested on a later period than it saw.
"""
from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np
from pydantic import Field

from ..errors import DataLoadError
from ..files import (PEEK_BYTES, as_number, column_index, is_missing, line_list, read_csv,
                     read_csv_head)
from ..info import DataInfo
from .base import SOURCES, Loaded, Source


def series_windows(series: np.ndarray, window: int, horizon: int):
    """series -> x (n, window, 1), y (n, horizon); n = len - window - horizon + 1."""
    n = len(series) - window - horizon + 1
    starts = np.arange(max(n, 0))
    x = series[starts[:, None] + np.arange(window)[None, :]]
    y = series[starts[:, None] + window + np.arange(horizon)[None, :]]
    return x[..., None].astype("float32"), y.astype("float32")


def read_series(file: Path, column: str, where: tuple, column_where: tuple):
    header, rows, lines = read_csv(file, where)
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


@SOURCES.register("timeseries")
class TimeSeries(Source):
    doc: ClassVar[str] = ("one numeric column of a CSV as a series, cut into sliding windows "
                          "(window values -> the next horizon values); split in time order")
    sequential: ClassVar[bool] = True
    path: str = Field(..., description="CSV file with a header row, rows in time order")
    column: str = Field(..., description="the column holding the series")
    window: int = Field(..., ge=1, description="past values the model sees")
    horizon: int = Field(1, ge=1, description="future values it predicts")
    time_column: str | None = Field(None, description="dates/times, for plots and examples")

    def info(self):
        return DataInfo((self.window, 1), "continuous", y_shape=(self.horizon,))

    def peek(self, base_dir, info):
        """validate reads the series (a small file; a large one only up to its header):
        the file, the columns, and enough values for window + horizon."""
        file = self.file(base_dir, self.path)
        if file.stat().st_size <= PEEK_BYTES:
            self._series(file)
        else:
            header, _ = read_csv_head(file, self.where("path"))
            column_index(header, self.column, file, self.where("column"))
        return info

    def _series(self, file):
        header, rows, series = read_series(file, self.column, self.where("path"),
                                           self.where("column"))
        times = None
        if self.time_column:
            t = column_index(header, self.time_column, file, self.where("time_column"))
            times = [r[t].strip() for r in rows]
        if len(series) < self.window + self.horizon:
            self.fail(f"{file} has {len(series)} values, too few for window {self.window} + "
                      f"horizon {self.horizon}; use a smaller window", "window")
        return series, times

    def load(self, base_dir):
        file = self.file(base_dir, self.path)
        series, times = self._series(file)
        x, y = series_windows(series, self.window, self.horizon)
        state = {"column": self.column, "window": self.window, "horizon": self.horizon,
                 "times": times}
        return Loaded(x, y, state=state, series=series)

    def read_input(self, path: Path, state: dict):
        """A CSV with the series column -> every window in it (predict what follows each)."""
        if path.suffix.lower() != ".csv":
            from ..inputs import read_table_input
            return read_table_input(path, state)
        _, _, series = read_series(path, state["column"], (), ())
        window = state["window"]
        if len(series) < window:
            raise DataLoadError(f"{path} has {len(series)} values; the model needs {window}")
        x, _ = series_windows(np.append(series, np.zeros(state["horizon"], "float32")),
                              window, state["horizon"])
        return x, [f"after row {window + i}" for i in range(len(x))]
