"""CSV rows -> numeric feature arrays, the same way at training and prediction time.

A `TableCodec` is the JSON-able recipe (which columns, in which order, and the
categories of categorical columns); it is saved with a run so `kspec predict`
turns a CSV of raw rows into exactly the columns the model was trained on.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


from .errors import DataLoadError
from .files import as_number, column_index, is_missing, line_list


@dataclass
class TableCodec:
    features: list[str]  # input columns, in the model's order
    categories: dict[str, list[str]] = field(default_factory=dict)  # column -> categories
    encoding: str = "one_hot"  # or "integer"

    def feature_names(self) -> list[str]:
        """Names of the model's input columns (one per category when one-hot)."""
        out = []
        for col in self.features:
            if col in self.categories and self.encoding == "one_hot":
                out += [f"{col}={c}" for c in self.categories[col]]
            else:
                out.append(col)
        return out

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "TableCodec":
        return cls(list(data["features"]), dict(data.get("categories") or {}),
                   data.get("encoding", "one_hot"))

    def encode(self, header, rows, lines, file, where, missing: str = "error"):
        """Rows of strings -> float32 array (n, width); missing cells become NaN or fail."""
        import numpy as np
        width = len(self.feature_names())
        out = np.empty((len(rows), width), dtype="float32")
        gaps: dict[str, list[int]] = {}
        col_at = 0
        for col in self.features:
            j = column_index(header, col, file, where)
            cats = self.categories.get(col)
            if cats is None:
                values = np.empty(len(rows), dtype="float32")
                for i, row in enumerate(rows):
                    cell = row[j]
                    if is_missing(cell):
                        gaps.setdefault(col, []).append(lines[i])
                        values[i] = np.nan
                        continue
                    v = as_number(cell)
                    if v is None:
                        raise DataLoadError(
                            f"{file} line {lines[i]}: column '{col}' has '{cell}', not a "
                            f"number; list '{col}' under categorical to encode it", where)
                    values[i] = v
                out[:, col_at] = values
                col_at += 1
                continue
            index = {c: k for k, c in enumerate(cats)}
            ids = np.empty(len(rows), dtype="int64")
            for i, row in enumerate(rows):
                cell = row[j].strip()
                if is_missing(cell):
                    gaps.setdefault(col, []).append(lines[i])
                    ids[i] = -1
                    continue
                if cell not in index:
                    raise DataLoadError(f"{file} line {lines[i]}: column '{col}' has '{cell}', "
                                        f"a category the model never saw (known: "
                                        f"{', '.join(cats)})", where)
                ids[i] = index[cell]
            if self.encoding == "one_hot":
                block = np.zeros((len(rows), len(cats)), dtype="float32")
                ok = ids >= 0
                block[np.flatnonzero(ok), ids[ok]] = 1.0
                block[~ok] = np.nan
                out[:, col_at:col_at + len(cats)] = block
                col_at += len(cats)
            else:
                out[:, col_at] = np.where(ids >= 0, ids, np.nan)
                col_at += 1
        keep = np.ones(len(rows), dtype=bool)
        if gaps and missing == "error":
            detail = "; ".join(f"'{c}' at line {line_list(ls)}" for c, ls in gaps.items())
            raise DataLoadError(f"{file} has missing values: {detail}; fill them in, or set "
                                "missing: drop (skip those rows) or missing: keep (then add "
                                "`- fill_missing: mean` to data.preprocess)", where)
        if gaps and missing == "drop":
            keep = ~np.isnan(out).any(axis=1)
        return out, keep


def categories_of(header, rows, column: str, file, where) -> list[str]:
    j = column_index(header, column, file, where)
    return sorted({row[j].strip() for row in rows if not is_missing(row[j])})
