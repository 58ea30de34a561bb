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

from .keras_code import _quote


class Unsupported(Exception):
    """A source or step kspec cannot write as plain code yet."""


def _source_lines(source) -> list[str]:
    """Lines that set x, y and test ((x_test, y_test) or None) as source.load() does."""
    kind = source.kind
    # a feature used as a target (one or several outputs) keeps kspec's own load_data()
    if kind == "sklearn" and source.name != "sample_images" and source.target in (None, "target"):
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
    raise Unsupported(f"source {kind}")


def _affine(step, i: int, fit: list[str]) -> list[str]:
    """scale / standardize / min_max: x -> (x - shift) / factor (preprocess/scaling.py)."""
    values = {"input": "x_fit", "target": "y_fit", "both": "x_fit"}[step.apply_to]
    axis = "None" if step.apply_to == "both" else "0"
    lines = ["x_fit, y_fit = splits[\"train\"]"] if step.kind != "scale" else []
    if step.kind != "scale":
        lines.append(f"{values} = np.asarray({values}, \"float32\")")
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
    if kind == "one_hot":
        on = "y" if step.apply_to == "target" else "x"
        count = (f"{step.classes}" if step.classes else
                 f"int(splits[\"train\"][{1 if on == 'y' else 0}].max()) + 1")
        enc = f"np.eye(classes, dtype=\"float32\")[{on}]"
        pair = (f"(x, None if y is None else {enc})" if on == "y" else f"({enc}, y)")
        return [f"classes = {count}", f"splits = {{part: {pair} for part, (x, y) in "
                "splits.items()}"]
    raise Unsupported(f"preprocessing step {kind}")


def _split_plan(data) -> tuple[dict, bool, bool, bool]:
    """(fractions, stratified, shuffled, the source's own test split), decided as
    data/pipeline.split_plan decides them, from what is known without loading."""
    sp, source = data.split, data.source
    in_order = sp.chronological is True or not sp.shuffle or (
        sp.chronological == "auto" and source.sequential)
    own_test = source.kind == "keras" and sp.test in ("auto", None)
    test = 0.0 if own_test or sp.test is None else (0.2 if sp.test == "auto" else sp.test)
    is_classes = source.info().labels == "integer"
    stratify = (sp.stratify is True or (sp.stratify == "auto" and is_classes)) and not in_order
    return {"validation": sp.validation, "test": test}, stratify, not in_order, own_test


def data_lines(spec) -> str | None:
    """The script's split_indices() and load_data() for spec.data, or None when a part of
    it has no plain code here (then codegen writes the kspec-backed loader)."""
    from ..data.split import split_indices
    data = spec.data
    try:
        body = _source_lines(data.source)
        fractions, stratify, shuffle, own_test = _split_plan(data)
        body += [f"idx = split_indices(len(x), {fractions!r}, {spec.seed}, "
                 f"labels={'y' if stratify else 'None'}, shuffle={shuffle})",
                 "splits = {part: (x[i], y[i]) for part, i in idx.items() if len(i)}"]
        if own_test:
            body.append("splits[\"test\"] = test  # the data set's own test split")
        for i, step in enumerate(data.preprocess):
            body.append(f"# data.preprocess[{i}]: {step.kind}"
                        + (", statistics of the training split" if step.kind in
                           ("standardize", "min_max") else ""))
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
    return ("\n" + split_source.rstrip() + "\n\n\ndef load_data():\n" + doc + "\n"
            + "\n".join("    " + ln for ln in body) + "\n")


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
