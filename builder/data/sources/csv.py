"""`csv: {path, target, features?, categorical?}`: a table with a header row."""
from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, field_validator

from ..files import as_number, column_index, is_missing, line_list, read_csv, read_csv_head
from ..info import DataInfo
from ..tables import TableCodec, categories_of
from .base import SOURCES, Loaded, Source

# auto: whole-number targets below this are class ids; larger ones (prices, counts) numbers
AUTO_MAX_CLASSES = 50


@SOURCES.register("csv")
class Csv(Source):
    doc: ClassVar[str] = ("a CSV file with a header row: one column is the target, the "
                          "others (or `features`) the inputs")
    positional: ClassVar[str] = "path"
    targets_field: ClassVar[str] = "target"
    path: str = Field(..., description="CSV file, relative to the spec's folder")
    target: str | dict[str, str] | None = Field(
        None, description="the column to predict (none: inputs only); several outputs: "
                          "output name -> column, e.g. {kind: species, size: petal_length}")
    features: list[str] | None = Field(None, description="input columns (default: all but target)")
    categorical: list[str] = Field(default_factory=list,
                                   description="text columns to encode as categories")
    encoding: Literal["one_hot", "integer"] = Field(
        "one_hot", description="categorical inputs as one-hot columns or as category numbers")
    target_type: Literal["auto", "class", "number"] = Field(
        "auto", description="class: labels are classes; number: regression; auto: text or "
                            "whole numbers 0..49 are classes, other numbers a regression target")
    missing: Literal["error", "drop", "keep"] = Field(
        "error", description="empty/NA cells: error (list them), drop the rows, or keep as NaN")
    delimiter: str = Field(",", min_length=1, max_length=1)
    test_path: str | None = Field(None, description="a second CSV used as the test split")

    @field_validator("features")
    @classmethod
    def _some(cls, v):
        if v is not None and not v:
            raise ValueError("list at least one input column, or leave features out")
        return v

    def target_names(self):
        return self.target if isinstance(self.target, dict) else None

    def target_columns(self) -> list[str]:
        if self.target is None:
            return []
        return list(self.target.values()) if isinstance(self.target, dict) else [self.target]

    def info(self):
        labels = {"class": "integer", "number": "continuous"}.get(self.target_type)
        width = None
        if self.features is not None and (self.encoding == "integer" or not self.categorical):
            width = len(self.features)
        if isinstance(self.target, dict):
            return DataInfo((width,) if width else None, None,
                            targets={out: DataInfo(None, labels) for out in self.target})
        return DataInfo((width,) if width else None, labels if self.target else None)

    def columns(self, header: list[str], file) -> list[str]:
        """The input columns, after checking that every column the spec names is in the
        header (validate's peek and the full load check the same way)."""
        names = self.target_names() or {}
        for col in self.target_columns():
            column_index(header, col, file, self.where("target", *[o for o, c in names.items()
                                                                  if c == col][:1]))
        targets = self.target_columns()
        features = self.features or [h for h in header if h not in targets]
        for i, col in enumerate(features):
            column_index(header, col, file, self.where("features", i))
        for i, col in enumerate(self.categorical):
            column_index(header, col, file, self.where("categorical", i))
        return features

    def peek(self, base_dir, info):
        """The header and a sample of rows: every named column exists, a text column is
        marked categorical, and the number of input columns is known for model.input."""
        file = self.file(base_dir, self.path)
        header, rows = read_csv_head(file, self.where("path"), self.delimiter)
        features = self.columns(header, file)
        text = [c for c in features if c not in self.categorical and any(
            not is_missing(r[header.index(c)]) and as_number(r[header.index(c)]) is None
            for r in rows if len(r) == len(header))]
        if text:
            j = header.index(text[0])
            sample = next(r[j].strip() for r in rows if len(r) == len(header)
                          and not is_missing(r[j]) and as_number(r[j]) is None)
            self.fail(f"the input column '{text[0]}' holds text ('{sample}'); a network reads "
                      f"numbers: add categorical: {[*self.categorical, *text]} to encode it",
                      "categorical" if self.categorical else "path")
        if self.encoding == "integer" or not self.categorical:
            return info.with_(x_shape=(len(features),))
        return info

    def load(self, base_dir):
        file = self.file(base_dir, self.path)
        header, rows, lines = read_csv(file, self.where("path"), self.delimiter)
        features = self.columns(header, file)
        for i, col in enumerate(self.categorical):
            if col not in features and col not in self.target_columns():
                self.fail(f"'{col}' is not one of the input columns ({', '.join(features)})",
                          "categorical", i)
        for col in self.target_columns():
            if col in features:
                self.fail(f"the target '{col}' is also listed as an input; remove it "
                          "from features", "features")
        tables = [(file, header, rows, lines)]
        if self.test_path:
            tfile = self.file(base_dir, self.test_path, "test_path")
            tables.append((tfile, *read_csv(tfile, self.where("test_path"), self.delimiter)))
        all_rows = [r for t in tables for r in t[2]]
        cats = {c: categories_of(header, all_rows, c, file, self.where("categorical"))
                for c in self.categorical if c not in self.target_columns()}
        codec = TableCodec(features, cats, self.encoding)
        names = self.target_names()
        if names is not None:
            classes = {out: self._classes(header, all_rows, col) for out, col in names.items()}
            parts = [self._encode_targets(codec, classes, *t) for t in tables]
        else:
            classes = self._classes(header, all_rows, self.target) if self.target else None
            parts = [self._encode(codec, classes, *t) for t in tables]
        (x, y), test = parts[0], (parts[1] if len(parts) > 1 else None)
        state = {"table": codec.to_json(), "target": self.target}
        return Loaded(x, y, test=test, feature_names=codec.feature_names(),
                      class_names=classes, state=state)

    def _encode_targets(self, codec, classes, file, header, rows, lines):
        """Several outputs: the inputs once, each output's column as its own target; a row
        with a missing cell in any of them is dropped (missing: drop) or reported."""
        x, keep = codec.encode(header, rows, lines, file, self.where("path"), self.missing)
        ys = {}
        for out, col in self.target_names().items():
            y, ok = self._target(classes[out], col, file, header, rows, lines, ("target", out))
            ys[out], keep = y, keep & ok
        return x[keep], {out: y[keep] for out, y in ys.items()}

    def _classes(self, header, rows, target) -> list[str] | None:
        """Class names when the target is a class label, None for a regression number.

        Whole numbers 0..k stay the class ids they are; text labels are numbered in
        sorted order (the names are saved so predictions print them back)."""
        if self.target_type == "number":
            return None
        j = header.index(target)
        cells = {r[j].strip() for r in rows if not is_missing(r[j])}
        numbers = [as_number(c) for c in cells]
        if cells and all(v is not None for v in numbers):
            ids = all(v.is_integer() and v >= 0 for v in numbers)
            if ids and (self.target_type == "class" or max(numbers) < AUTO_MAX_CLASSES):
                return [str(i) for i in range(int(max(numbers)) + 1)]
            if self.target_type == "auto":
                return None
        return sorted(cells)

    def _encode(self, codec, classes, file, header, rows, lines):
        where = self.where("path")
        x, keep = codec.encode(header, rows, lines, file, where, self.missing)
        if self.target is None:
            return x[keep], None
        y, ok = self._target(classes, self.target, file, header, rows, lines, ("target",))
        keep &= ok
        return x[keep], y[keep]

    def _target(self, classes, target, file, header, rows, lines, where):
        """One target column -> (values, which rows have one)."""
        import numpy as np
        j = header.index(target)
        cells = [r[j].strip() for r in rows]
        gaps = [lines[i] for i, c in enumerate(cells) if is_missing(c)]
        if gaps and self.missing == "error":
            self.fail(f"{file} has no target value ('{target}') at line "
                      f"{line_list(gaps)}; fill them in or set missing: drop", *where)
        keep = np.array([not is_missing(c) for c in cells], bool)
        if classes is None:
            bad = [lines[i] for i, c in enumerate(cells) if not is_missing(c) and as_number(c) is None]
            if bad:
                self.fail(f"{file} line {line_list(bad)}: the target '{target}' is not a "
                          "number; set target_type: class for class labels", *where)
            y = np.array([np.nan if is_missing(c) else as_number(c) for c in cells], "float32")
        else:
            index = {c: i for i, c in enumerate(classes)}
            numeric = all(c.isdigit() for c in classes)
            y = np.array([-1 if is_missing(c) else
                          (int(as_number(c)) if numeric else index[c]) for c in cells], "int64")
        return y, keep
