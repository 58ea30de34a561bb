"""`kspec codegen`'s data part: the spec's `data:` section as plain NumPy / scikit-learn /
Keras code that makes the very arrays `kspec train` makes, and the tf.data pipeline
kspec feeds to `model.fit`, so that a generated script trains to the same numbers for
the same seed (tests/test_share_codegen.py compares the histories).

Each supported source and preprocessing step writes the lines that do what its class
does in builder/data/ (same dtypes, same order of float operations); the split is
kspec's own `split_indices`, copied into the script. A source or step without code here
makes `data_lines` return None: the script then asks kspec for the data, and says so.
"""
from __future__ import annotations

import inspect
import os
from pathlib import Path

from .keras_code import _quote


class Unsupported(Exception):
    """A source or step kspec cannot write as plain code yet."""


def _source_lines(source, files) -> list[str]:
    """Lines that set x, y and test ((x_test, y_test) or None) as source.load() does.
    `files` is a _Files: where the spec's data files are, as the script names them."""
    kind = source.kind
    if kind == "sklearn" and source.target not in (None, "target"):
        # a feature used as a target (one or several outputs) keeps kspec's own load_data()
        raise Unsupported("sklearn with a feature as a target")
    if kind == "sklearn":
        from ..data.sources.sklearn import SKLEARN_SETS
        fn, _, labels, _, _ = SKLEARN_SETS[source.name]
        lines = [f"from sklearn.datasets import {fn}",
                 f"bunch = {fn}()",
                 "x = bunch.data.astype(\"float32\")",
                 f"y = bunch.target.astype({_quote('int64' if labels == 'integer' else 'float32')})",
                 "test = None"]
        if source.classes is not None:
            lines += [f"classes = {list(source.classes)}  # kept, relabelled 0, 1, ... in order",
                      "keep = np.isin(y, classes)",
                      "x, y = x[keep], np.array([classes.index(int(v)) for v in y[keep]], "
                      "\"int64\")"]
        return lines
    if kind == "keras":
        from ..data.sources.keras_sets import KERAS_SETS
        labels = KERAS_SETS[source.name][1]
        args = []
        if source.name in ("imdb", "reuters"):
            args.append(f"num_words={source.num_words}")
        if source.name == "cifar100":
            args.append(f"label_mode={_quote(source.label_mode)}")
        lines = [f"(x, y), (x_test, y_test) = keras.datasets.{source.name}.load_data("
                 f"{', '.join(args)})"]
        if source.name in ("imdb", "reuters"):
            lines += [f"x = keras.utils.pad_sequences(x, maxlen={source.maxlen}).astype(\"int32\")",
                      f"x_test = keras.utils.pad_sequences(x_test, maxlen={source.maxlen})"
                      ".astype(\"int32\")"]
        dtype = _quote("int64" if labels == "integer" else "float32")
        lines += ["if np.asarray(x).dtype.kind == \"f\":",
                  "    x, x_test = np.asarray(x, \"float32\"), np.asarray(x_test, \"float32\")",
                  f"y = np.asarray(y).reshape(len(y)).astype({dtype})",
                  f"y_test = np.asarray(y_test).reshape(len(y_test)).astype({dtype})",
                  "x, test = np.asarray(x), (np.asarray(x_test), y_test)"]
        return lines
    if kind == "inline" and source.y is not None:
        dtype = _quote("int64" if source.labels == "integer" else "float32")
        return [f"x = np.asarray({source.x!r}, dtype=\"float32\")  # data.source.inline",
                "if x.ndim == 1:",
                "    x = x[:, None]  # a list of numbers: one feature per example",
                f"y = np.asarray({source.y!r}, dtype={dtype})",
                "test = None"]
    if kind == "csv":
        return _csv_lines(source, files)
    if kind in ("npz", "npy"):
        return _array_lines(source, files)
    raise Unsupported(f"source {kind}")


class _Files:
    """The spec's data files as the script names them: relative to the script's own
    folder when it is written to a file, else absolute paths."""

    def __init__(self, base_dir, out_path):
        self.base_dir, self.out_path = Path(base_dir), out_path

    def full(self, path: str) -> Path:
        p = Path(path).expanduser()
        return (p if p.is_absolute() else self.base_dir / p).resolve()

    def expr(self, path: str) -> str:
        full = self.full(path)
        if self.out_path is None:
            return _quote(str(full))
        rel = os.path.relpath(full, Path(self.out_path).resolve().parent)
        return f"os.path.join(HERE, {_quote(Path(rel).as_posix())})"


CSV_HELPERS = '''
MISSING = {"", "na", "n/a", "nan", "null", "none", "?"}  # cells read as a missing value


def is_missing(cell):
    return cell.strip().lower() in MISSING


def read_csv(path, delimiter=","):
    """A CSV file -> (header, rows): the header's column names and the data rows (lists
    of text cells); blank lines are skipped."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = [row for row in csv.reader(f, delimiter=delimiter) if any(c.strip() for c in row)]
    return [name.strip() for name in rows[0]], rows[1:]


def categories_of(header, rows, column):
    """The categories of a text column: its distinct values, sorted."""
    j = header.index(column)
    return sorted({row[j].strip() for row in rows if not is_missing(row[j])})


def encode_inputs(header, rows, features, categories, one_hot):
    """Rows of text -> a float32 array: a number column as it is, a categorical column as
    one 0/1 column per category (one_hot) or as its category's number; a missing cell
    becomes NaN (all of a one-hot block)."""
    x = np.empty((len(rows), 0), dtype="float32")
    for column in features:
        j = header.index(column)
        if column not in categories:
            values = [np.nan if is_missing(row[j]) else float(row[j]) for row in rows]
            x = np.hstack([x, np.array(values, dtype="float32")[:, None]])
            continue
        cats = categories[column]
        ids = np.array([-1 if is_missing(row[j]) else cats.index(row[j].strip())
                        for row in rows], dtype="int64")
        if one_hot:
            block = np.eye(len(cats), dtype="float32")[ids]
            block[ids < 0] = np.nan
        else:
            block = np.where(ids >= 0, ids, np.nan).astype("float32")[:, None]
        x = np.hstack([x, block])
    return x
'''

CSV_CLASSES = '''

def class_names(cells, auto):
    """The classes of a target column: whole numbers 0..k stay the class ids they are,
    text labels are numbered in sorted order. With `auto`, numbers that are not small
    whole numbers (50 or more, fractions) make it a regression target: None."""
    cells = {c.strip() for c in cells if not is_missing(c)}
    if not cells:
        return []
    try:
        numbers = [float(c) for c in cells]
    except ValueError:
        return sorted(cells)  # text labels
    if all(v.is_integer() and v >= 0 for v in numbers) and (
            not auto or max(numbers) < 50):
        return [str(i) for i in range(int(max(numbers)) + 1)]
    return None if auto else sorted(cells)


def encode_target(cells, classes):
    """A target column -> its values (float32 numbers, or int64 class ids) and which rows
    have one."""
    has = np.array([not is_missing(c) for c in cells], dtype=bool)
    if classes is None:
        return np.array([np.nan if is_missing(c) else float(c) for c in cells], "float32"), has
    ids = [-1 if is_missing(c) else int(float(c)) if all(k.isdigit() for k in classes)
           else classes.index(c.strip()) for c in cells]
    return np.array(ids, dtype="int64"), has
'''

CSV_NUMBER = '''

def encode_target(cells, classes=None):
    """A target column of numbers -> float32 values and which rows have one."""
    has = np.array([not is_missing(c) for c in cells], dtype=bool)
    return np.array([np.nan if is_missing(c) else float(c) for c in cells], "float32"), has
'''


def _csv_lines(source, files) -> list[str]:
    """data.source.csv (sources/csv.py, data/tables.py): the same cells, columns, categories,
    classes and missing-value rule, so the arrays are equal to kspec's."""
    if not isinstance(source.target, str):
        raise Unsupported("csv with several outputs or no target")
    files.helpers = CSV_HELPERS + (CSV_NUMBER if source.target_type == "number" else CSV_CLASSES)
    delim = "" if source.delimiter == "," else f", delimiter={source.delimiter!r}"
    target = _quote(source.target)
    lines = [f"header, rows = read_csv({files.expr(source.path)}{delim})  # data.source.csv"]
    tables = ["rows"]
    if source.test_path:
        lines.append(f"header_test, rows_test = read_csv({files.expr(source.test_path)}{delim})"
                     "  # test_path: the test split")
        tables.append("rows_test")
    every = " + ".join(tables)
    if source.features:
        lines.append(f"features = {list(source.features)!r}  # the input columns, in this order")
    else:
        lines.append(f"features = [c for c in header if c != {target}]  # every column but "
                     "the target")
    cats = [c for c in source.categorical if c != source.target]
    lines.append(f"categories = {{c: categories_of(header, {every}, c) for c in {cats!r}}}"
                 "  # of train and test rows")
    if source.target_type == "number":
        lines.append("classes = None  # target_type: number, a regression target")
    else:
        auto = source.target_type == "auto"
        lines.append(f"classes = class_names([r[header.index({target})] for r in {every}], "
                     f"auto={auto})")
    one_hot = source.encoding == "one_hot"
    rule = {"error": "stop with an error", "drop": "leave those rows out",
            "keep": "keep them as NaN (for a fill_missing step)"}[source.missing]
    lines.append(f"# missing cells (missing: {source.missing}): {rule}; a row without a target "
                 "is always left out")
    for rows, hdr, out in (("rows", "header", "x, y"), ("rows_test", "header_test", "test"))[
            :len(tables)]:
        lines += [f"x_part = encode_inputs({hdr}, {rows}, features, categories, "
                  f"one_hot={one_hot})",
                  f"y_part, has_target = encode_target([r[{hdr}.index({target})] for r in "
                  f"{rows}], classes)"]
        if source.missing == "error":
            lines += ["if np.isnan(x_part).any() or not has_target.all():",
                      f"    raise ValueError({_quote(source.path + ' has missing values; fill them in, or set missing: drop or keep')})",
                      "keep = has_target"]
        elif source.missing == "drop":
            lines.append("keep = has_target & ~np.isnan(x_part).any(axis=1)")
        else:
            lines.append("keep = has_target")
        lines.append(f"{out} = x_part[keep], y_part[keep]")
    if len(tables) == 1:
        lines.append("test = None")
    return lines


def _array_lines(source, files) -> list[str]:
    """data.source.npz / npy (sources/arrays.py): the arrays as the file holds them, the
    targets made class ids (int64) or numbers (float32) as kspec decides from their type."""
    from ..data.sources.arrays import array_headers, npy_header

    def fail(message):
        raise Unsupported(message)

    def target(expr, header):
        shape, dtype = header
        if len(shape) == 2 and shape[1] == 1:
            expr, shape = f"{expr}[:, 0]", shape[:1]  # a column of labels: a flat vector
        if source.labels == "integer" or (source.labels == "auto" and dtype.kind in "iub"
                                          and len(shape) == 1):
            return f"{expr}.astype(\"int64\")  # class ids"
        if dtype.kind == "f" or source.labels == "continuous":
            return f"{expr}.astype(\"float32\")"
        return expr
    if source.kind == "npy":
        if source.y is None:
            raise Unsupported("npy without targets")
        heads = {}
        for name in ("x", "y"):
            try:
                with open(files.full(getattr(source, name)), "rb") as fh:
                    heads[name] = npy_header(fh)
            except (OSError, ValueError) as exc:  # unreadable here: kspec's loader reports it
                raise Unsupported(str(exc)) from None
        return [f"x = np.load({files.expr(source.x)})  # data.source.npy: the inputs",
                f"y = {target(f'np.load({files.expr(source.y)})', heads['y'])}",
                "test = None"]
    if isinstance(source.y, dict) or isinstance(source.y_test, dict):
        raise Unsupported("npz with several outputs")
    file = files.full(source.path)
    try:
        heads = array_headers(file, fail)
        kx, ky, kxt, kyt = source.keys(file, heads)
    except Exception as exc:  # the file is unreadable here: kspec's loader reports it
        raise Unsupported(str(exc)) from None
    if ky is None:
        raise Unsupported("npz without targets")
    lines = [f"arrays = np.load({files.expr(source.path)})  # data.source.npz, no pickles",
             f"x = arrays[{_quote(kx)}]",
             f"y = {target(f'arrays[{_quote(ky)}]', heads[ky])}"]
    if kxt:
        yt = target(f"arrays[{_quote(kyt)}]", heads[kyt]) if kyt else "None"
        lines.append(f"test = (arrays[{_quote(kxt)}], {yt})  # the file's own test split")
        files.has_test = True
    else:
        lines.append("test = None")
    return lines


def _affine(step, i: int, fit: list[str]) -> list[str]:
    """scale / standardize / min_max: x -> (x - shift) / factor (preprocess/scaling.py)."""
    values = {"input": "x_fit", "target": "y_fit", "both": "x_fit"}[step.apply_to]
    axis = "None" if step.apply_to == "both" else "0"
    lines = ["x_fit, y_fit = splits[\"train\"]"] if step.kind != "scale" else []
    if step.kind != "scale":
        lines.append(f"{values} = np.asarray({values}, \"float32\")")
    if step.apply_to == "both" and step.kind != "scale":
        # several series side by side (examples of shape (steps, columns)): each column
        # on its own statistics, the target on its own; else one pair for both
        each = [ln.format(v="columns", axis="0") for ln in fit]
        whole = [ln.format(v="y_all", axis="None") for ln in fit]
        lines += ["if x_fit.ndim == 3 and x_fit.shape[-1] > 1 and y_fit is not None:",
                  "    columns = x_fit.reshape(-1, x_fit.shape[-1])  # one row per step"]
        lines += ["    " + ln for ln in each]
        lines += ["    y_all = np.asarray(y_fit, \"float32\")", "    x_shift, x_factor = shift, factor"]
        lines += ["    " + ln for ln in whole]
        lines += ["else:"] + ["    " + ln.format(v="x_fit", axis="None") for ln in fit]
        lines += ["    x_shift, x_factor = shift, factor",
                  "x_shift, x_factor = np.asarray(x_shift, \"float32\"), np.asarray(x_factor, \"float32\")",
                  "shift, factor = np.asarray(shift, \"float32\"), np.asarray(factor, \"float32\")"]
        return lines + ["splits = {part: ((np.asarray(x, \"float32\") - x_shift) / x_factor, None if y "
                        "is None else (np.asarray(y, \"float32\") - shift) / factor) "
                        "for part, (x, y) in splits.items()}"]
    lines += fit
    lines = [ln.format(v=values, axis=axis) for ln in lines]
    lines += ["shift, factor = np.asarray(shift, \"float32\"), np.asarray(factor, \"float32\")"]
    x = "(np.asarray(x, \"float32\") - shift) / factor" if step.apply_to != "target" else "x"
    y = ("None if y is None else (np.asarray(y, \"float32\") - shift) / factor"
         if step.apply_to != "input" else "y")
    return lines + [f"splits = {{part: ({x}, {y}) for part, (x, y) in splits.items()}}"]


def _step_lines(step, i: int) -> list[str]:
    kind = step.kind
    if kind == "scale":
        return _affine(step, i, [f"shift, factor = {float(step.offset)!r}, {float(step.by)!r}"])
    if kind == "standardize":
        return _affine(step, i, [
            "shift = np.nanmean({v}, axis={axis}, dtype=\"float64\")",
            "factor = np.nanstd({v}, axis={axis}, dtype=\"float64\")",
            "factor = np.where(factor > 0, factor, 1.0)  # a constant feature is left as it is"])
    if kind == "min_max":
        a, b = step.feature_range
        return _affine(step, i, [
            "low = np.nanmin({v}, axis={axis}).astype(\"float64\")",
            "high = np.nanmax({v}, axis={axis}).astype(\"float64\")",
            f"factor = np.where(high - low > 0, high - low, 1.0) / ({b!r} - {a!r})",
            f"shift = low - {a!r} * factor"])
    each = None  # steps that change each input alone (preprocess/shape.py)
    if kind == "reshape":
        each = f"x.reshape((len(x), *{tuple(step.shape)}))"
    elif kind == "flatten":
        each = "x.reshape(len(x), -1)"
    elif kind == "cast":
        each = f"x.astype({_quote(step.dtype)})"
    elif kind == "expand_dims":
        each = f"np.expand_dims(x, {step.axis if step.axis < 0 else 1 + step.axis})"
    if each is not None:
        return [f"splits = {{part: ({each}, y) for part, (x, y) in splits.items()}}"]
    if kind == "fill_missing":
        fill = (f"np.full(x_fit.shape[1:], {float(step.value)!r})" if step.strategy == "constant"
                else f"np.nan{step.strategy}(x_fit, axis=0)")
        return ["x_fit = splits[\"train\"][0].astype(\"float64\")",
                f"fill = np.asarray({fill}, \"float32\")  # per feature: {step.strategy}",
                "splits = {part: (np.where(np.isnan(x), np.broadcast_to(fill, x.shape), x)"
                ".astype(\"float32\"), y) for part, (x, y) in splits.items()}"]
    if kind == "clip":
        return [f"splits = {{part: (np.clip(x, {step.min!r}, {step.max!r}), y) "
                "for part, (x, y) in splits.items()}"]
    if kind == "one_hot":
        on = "y" if step.apply_to == "target" else "x"
        count = (f"{step.classes}" if step.classes else
                 f"int(splits[\"train\"][{1 if on == 'y' else 0}].max()) + 1")
        enc = f"np.eye(classes, dtype=\"float32\")[{on}]"
        pair = (f"(x, None if y is None else {enc})" if on == "y" else f"({enc}, y)")
        return [f"classes = {count}", f"splits = {{part: {pair} for part, (x, y) in "
                "splits.items()}"]
    raise Unsupported(f"preprocessing step {kind}")


def _split_plan(data, has_test: bool) -> tuple[dict, str, bool, bool]:
    """(fractions, the stratify labels as code, shuffled, the source's own test split),
    decided as data/pipeline.split_plan decides them, from what is known without loading;
    `has_test`: the source gives a test split of its own."""
    sp, source = data.split, data.source
    in_order = sp.chronological is True or not sp.shuffle or (
        sp.chronological == "auto" and source.sequential)
    own_test = has_test and sp.test in ("auto", None)
    test = 0.0 if own_test or sp.test is None else (0.2 if sp.test == "auto" else sp.test)
    if in_order or sp.stratify is False:
        labels = "None"
    elif source.kind in ("csv", "npz", "npy"):  # class ids or numbers: known once loaded
        labels = "by_class"
    elif sp.stratify is True or source.info().labels == "integer":
        labels = "y"
    else:
        labels = "None"
    return {"validation": sp.validation, "test": test}, labels, not in_order, own_test


def data_lines(loaded, out_path=None) -> tuple[str, str] | None:
    """(helper functions, the script's split_indices() and load_data()) for the spec's
    data, or None when a part of it has no plain code here (then codegen writes the
    kspec-backed loader)."""
    from ..data.split import split_indices
    spec = loaded.spec
    data = spec.data
    files = _Files(Path(loaded.path).parent if loaded.path else Path("."), out_path)
    files.helpers, files.has_test = "", data.source.kind == "keras"
    try:
        body = _source_lines(data.source, files)
        fractions, labels, shuffle, own_test = _split_plan(data, files.has_test
                                                           or bool(getattr(data.source, "test_path", None)))
        if labels == "by_class":
            body.append("by_class = y if y.dtype.kind in \"iu\" and y.ndim == 1 else None  "
                        "# class ids: a stratified split")
        body += [f"idx = split_indices(len(x), {fractions!r}, {spec.seed}, "
                 f"labels={labels}, shuffle={shuffle})",
                 "splits = {part: (x[i], y[i]) for part, i in idx.items() if len(i)}"]
        if own_test:
            body.append("splits[\"test\"] = test  # the data set's own test split")
        for i, step in enumerate(data.preprocess):
            body.append(f"# data.preprocess[{i}]: {step.kind}"
                        + (", statistics of the training split" if step.kind in
                           ("standardize", "min_max", "fill_missing") else ""))
            body += _step_lines(step, i)
    except Unsupported:
        return None
    body.append("return splits[\"train\"], splits.get(\"validation\"), splits.get(\"test\")")
    split_source = inspect.getsource(split_indices).replace(
        "    PARTS", "    (\"train\", \"validation\", \"test\")")
    split_source = split_source.replace("in PARTS}", "in (\"train\", \"validation\", \"test\")}")
    doc = ('    """The train, validation and test splits, made as `kspec train` makes them: '
           'the\n    source, kspec\'s seeded split, then each preprocessing step (fitted on '
           'the\n    training split only). -> (x_train, y_train), (x_val, y_val) or None, '
           '(x_test, y_test) or None."""')
    return files.helpers, ("\n" + split_source.rstrip() + "\n\n\ndef load_data():\n" + doc
                           + "\n" + "\n".join("    " + ln for ln in body) + "\n")


DATASETS = '''
def dataset(x, y, batch_size, shuffle, seed, augment=None, repeat=False):
    """Arrays -> the tf.data pipeline `kspec train` feeds to model.fit: example indices
    shuffled each epoch (seeded), batches gathered at once, augmentation on training
    batches only; with `repeat` one endless dataset for all epochs."""
    import tensorflow as tf
    xs, ys = tf.convert_to_tensor(x), tf.convert_to_tensor(y)
    ds = tf.data.Dataset.range(len(x))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    if repeat:
        ds = ds.repeat()
    ds = ds.map(lambda i: (tf.gather(xs, i), tf.gather(ys, i)),
                num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if augment is not None:
        ds = ds.map(lambda a, b: (augment(a, training=True), b),
                    num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    elif not shuffle and not repeat:
        ds = ds.cache()
    return ds.prefetch(tf.data.AUTOTUNE)
'''
