"""Using a trained generative run: `kspec generate`, `interpolate`, `reconstruct`,
`arithmetic`. The networks are the run's saved .keras files, loaded in safe mode;
outputs are mapped back to the source data's units and shape (images.Original).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...data.errors import DataLoadError
from ..base import TaskUsageError, UseRefused
from .images import Original, write_samples
from .loop import read_meta


@dataclass
class TrainedRun:
    path: Path
    spec: object
    meta: dict
    sampler: object
    original: Original
    saved: object  # SavedPreprocessing

    def data(self):
        """The run's splits, rebuilt with the saved preprocessing (nothing refit)."""
        from ...data.pipeline import prepare
        return prepare(self.spec.data, self.spec.seed, self.saved.data_dir, self.saved.states)

    def write(self, out, default: str, x=None, rows=None, cols=None) -> Path:
        out = Path(out) if out else self.path / default
        try:
            return write_samples(out, None if x is None else self.original(x), self.original.low,
                                 self.original.high, cols=cols,
                                 rows=None if rows is None else [self.original(r) for r in rows])
        except ValueError as exc:
            raise TaskUsageError(str(exc)) from None


def open_run(task, run_dir) -> TrainedRun:
    from ...run.preprocessing import SavedPreprocessing
    from ...spec.check import plan_networks
    from ...core.problems import Report
    from ...run.model_file import load_model_file
    from ...run.read import run_folder, run_spec
    path = run_folder(run_dir)
    meta = read_meta(path)
    spec = run_spec(path)
    plans = plan_networks(spec, Report())
    nets = {}
    for role in plans:
        file = path / f"{role}.keras"
        if not file.is_file():
            raise DataLoadError(f"{path} has no {file.name}; the run folder is incomplete")
        nets[role] = load_model_file(file, root=path)
    saved = SavedPreprocessing.read(path)
    original = Original(saved.steps, saved.states, tuple(saved.raw.get("raw_shape") or ()) or None,
                        *meta["range"])
    return TrainedRun(path, spec, meta, task.make_sampler(spec, nets, plans, meta), original, saved)


def class_ids(run, label, n):
    """--label for conditional models: that class for all n, else every class in turn."""
    s = run.sampler
    if not s.needs_label:
        if label is not None:
            raise TaskUsageError(f"--label works with conditional models (task cgan); this is a "
                                 f"{run.meta['task']} run")
        return None
    if label is not None and not 0 <= label < s.classes:
        raise TaskUsageError(f"--label must be a class from 0 to {s.classes - 1}, got {label}")
    return np.full(n, label) if label is not None else np.arange(n) % s.classes


def generate(task, run_dir, n=16, label=None, out=None, seed=None, temperature=None, **unused):
    task.unused("generate", unused)
    run = open_run(task, run_dir)
    if not run.sampler.can_sample:
        raise UseRefused(f"this {task.name} run cannot draw samples")
    seed = run.spec.seed if seed is None else seed
    x = run.sampler.sample(n, seed, labels=class_ids(run, label, n),
                           temperature=1.0 if temperature is None else temperature)
    cols = run.sampler.classes if run.sampler.needs_label and label is None else None
    path = run.write(out, "generated.png", x=x, cols=cols)
    return f"wrote {n} samples to {path}"


def interpolate(task, run_dir, steps=None, n=None, label=None, out=None, seed=None, **unused):
    task.unused("interpolate", unused)
    run = open_run(task, run_dir)
    seed = run.spec.seed if seed is None else seed
    class_ids(run, label, 1)  # checks --label
    rows = run.sampler.interpolation_rows(run.data() if run.sampler.can_encode else None,
                                          rows=n or 4, steps=steps or 10, seed=seed, label=label)
    path = run.write(out, "interpolation.png", rows=rows)
    how = "encoded test examples" if run.sampler.can_encode else "random latents"
    return f"wrote {len(rows)} walks of {steps or 10} steps between {how} to {path}"


def reconstruct(task, run_dir, n=None, out=None, seed=None, **unused):
    task.unused("reconstruct", unused)
    run = open_run(task, run_dir)
    if not run.sampler.can_reconstruct:
        raise UseRefused(f"kspec reconstruct needs an encoder and a decoder (tasks "
                             f"autoencoder, vae); this is a {task.name} run")
    from .autoencoder import reconstruction_pairs
    data = run.data()
    x, target = reconstruction_pairs(data, n or 10, run.spec.seed if seed is None else seed)
    rows = [x, run.sampler.reconstruct(x)] + ([target] if target is not x else [])
    path = run.write(out, "reconstruction.png", rows=rows)
    order = "inputs, reconstructions" + (", targets" if target is not x else "")
    return f"wrote {len(x)} examples ({order}, one row each) to {path}"


TERM = re.compile(r"\s*([+-]?)\s*(\w+)\s*")


def arithmetic(task, run_dir, expression: str, out=None, **unused):
    """Latent arithmetic: e.g. "7 - 1 + 4" decodes mean_z(7) - mean_z(1) + mean_z(4)."""
    task.unused("arithmetic", unused)
    run = open_run(task, run_dir)
    if not run.sampler.can_reconstruct:
        raise UseRefused(f"latent arithmetic needs an encoder (tasks autoencoder, vae); "
                             f"this is a {task.name} run")
    terms = parse_terms(expression, run.meta.get("class_names"))
    data = run.data()
    xs, ys = zip(*(data.splits[p] for p in data.splits))
    x, y = np.concatenate(xs), np.concatenate(ys) if ys[0] is not None else None
    if y is None or y.ndim != 1:
        raise UseRefused("latent arithmetic works on classes; this data has no class labels")
    missing = sorted({c for _, c in terms if not (y == c).any()})
    if missing:
        raise TaskUsageError(f"no examples of class {missing[0]} in this run's data")
    codes = run.sampler.encode(x)
    means = {c: codes[y == c].mean(axis=0) for _, c in terms}
    z = sum(sign * means[c] for sign, c in terms)
    pictures = run.sampler.decode(np.stack([means[c] for _, c in terms] + [z]).astype("float32"))
    path = run.write(out, "arithmetic.png", rows=[pictures])
    return (f"wrote the decoded class means ({', '.join(str(c) for _, c in terms)}) and the "
            f"result of {expression.strip()} to {path}")


def parse_terms(expression: str, class_names) -> list:
    names = [str(c) for c in class_names] if class_names else None
    terms, pos = [], 0
    while pos < len(expression):
        m = TERM.match(expression, pos)
        if not m or not m.group(2) or (terms and not m.group(1)):
            raise TaskUsageError(f"write the expression as classes joined by + and -, e.g. "
                                 f"'7 - 1 + 4'; cannot read {expression!r}")
        word = m.group(2)
        if names is not None and word in names:
            cls = names.index(word)
        elif word.isdigit():
            cls = int(word)
        else:
            raise TaskUsageError(f"unknown class {word!r}" + (f"; classes: {', '.join(names)}"
                                                              if names else ""))
        terms.append((-1 if m.group(1) == "-" else 1, cls))
        pos = m.end()
    if not terms:
        raise TaskUsageError("give an expression of classes, e.g. '7 - 1 + 4'")
    return terms

