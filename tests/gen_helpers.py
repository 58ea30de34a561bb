"""Helpers for the generative-model tests (tests/test_gen_*.py).

* `trained(name, tmp_path_factory)`: trains a bundled spec once per test session,
  exactly as shipped, through the CLI (`kspec train NAME`), and returns its run.
* `Judge`: a small digits classifier trained here (k nearest neighbours on
  scikit-learn's digits), which says which digit a generated image looks like and
  how sure it is. Unlike a softmax network it is not confident about noise, so its
  confidence separates digits from noise: every report carries the confidence it
  gives to pixel noise with the data's per-pixel mean and spread (no structure)
  and to uniform noise, next to the real test digits'.
"""
from __future__ import annotations

import json
from functools import cached_property

import numpy as np
from click.testing import CliRunner

_RUNS: dict = {}


def trained(name: str, tmp_path_factory, *extra):
    """The run folder of `kspec train NAME` (trained once per session)."""
    key = (name,) + extra
    if key not in _RUNS:
        from cli import main
        out = tmp_path_factory.mktemp("gen_runs") / name
        result = CliRunner().invoke(main, ["train", name, "--out", str(out), "-q", *extra],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
        _RUNS[key] = out
    return _RUNS[key]


def kspec(*args):
    """Run the CLI in-process -> click Result."""
    from cli import main
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def metrics(run) -> dict:
    return json.loads((run / "metrics.json").read_text())


def generated(run, tmp_path, n=300, extra=()) -> np.ndarray:
    """`kspec generate RUN --n N --out x.npy` -> the samples (original units)."""
    out = tmp_path / f"samples_{n}_{'_'.join(map(str, extra))}.npy"
    result = kspec("generate", run, "--n", n, "--out", out, *extra)
    assert result.exit_code == 0, result.output
    return np.load(out)


class Judge:
    """Which digit does each image look like (k = 10 nearest neighbours)?"""

    def __init__(self):
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
        from sklearn.neighbors import KNeighborsClassifier
        digits = load_digits()
        x, y = digits.data / 16.0, digits.target
        self.x_train, self.x_test, self.y_train, self.y_test = train_test_split(
            x, y, test_size=0.2, random_state=0, stratify=y)
        self.knn = KNeighborsClassifier(10).fit(self.x_train, self.y_train)

    def report(self, samples) -> dict:
        """Samples in the data's original units (0..16) -> confidence, classes, realism."""
        x = np.asarray(samples, dtype="float64").reshape(len(samples), 64) / 16.0
        p = self.knn.predict_proba(x)
        guess = p.argmax(axis=1)
        counts = np.bincount(guess, minlength=10)
        return {"confidence": float(p.max(axis=1).mean()), "guess": guess,
                "classes": int((counts >= 0.02 * len(x)).sum()),  # classes with >= 2% share
                "nearest": float(self.knn.kneighbors(x, 1)[0].mean()),  # distance to a real digit
                "mean": float(samples.mean()), "std": float(samples.std()),
                # per-pixel statistics (a 64-value map each), in pixel units
                "pixel_mean": x.mean(axis=0) * 16, "pixel_std": x.std(axis=0) * 16}

    def pixel_gap(self, report, stat: str) -> float:
        """RMS difference between a per-pixel statistic of samples and of real digits."""
        real = self.baselines["real"][stat]
        return float(np.sqrt(((report[stat] - real) ** 2).mean()))

    @cached_property
    def baselines(self) -> dict:
        rng = np.random.default_rng(0)
        mean, std = self.x_train.mean(axis=0), self.x_train.std(axis=0)
        blob = np.clip(rng.normal(mean, std, (500, 64)), 0, 1) * 16
        return {"real": self.report(self.x_test * 16),
                "pixel_noise": self.report(blob),
                "uniform_noise": self.report(rng.uniform(0, 16, (500, 64)))}

    def above_noise(self, report, margin=0.1) -> bool:
        """More confident than on structureless noise, by a margin."""
        noise = max(self.baselines["pixel_noise"]["confidence"],
                    self.baselines["uniform_noise"]["confidence"])
        return report["confidence"] >= noise + margin

    def looks_like_digits(self, report) -> bool:
        """Confident almost like on real digits (0.95), far more than on noise (~0.6)."""
        return report["confidence"] >= 0.75 and self.above_noise(report)


JUDGE = None


def judge() -> Judge:
    global JUDGE
    if JUDGE is None:
        JUDGE = Judge()
    return JUDGE
