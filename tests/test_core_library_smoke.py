"""Every bundled spec trains: a few steps each on data of its own shape, download-only
specs too. A spec whose layers, losses or task options no longer fit together fails
here, even when its real data set is a download away.

Each source still runs its own code (its preprocessing, its split, its task's trainer);
only the examples are cut to a random handful, in order, and the sources that need the
internet or a file the checkout lacks get random arrays of the real shape instead:
keras.datasets' files (the shapes of KERAS_SETS) and a missing .npz (the shape of the
spec's own model input).

What it costs is TensorFlow tracing each spec's train, evaluation and prediction
functions into graphs, and matplotlib rasterizing its pictures, for a handful of
examples. So each spec runs its functions eagerly (`tf.config.run_functions_eagerly`):
every layer's call still runs, on real tensors, with every shape, loss and task option
checked, and the functional model is still built symbolically. The tasks that call
their network thousands of times after training (a language model writing text, an
agent acting, a diffusion model's denoising steps) stay in graph mode, where that is
cheap; graph mode for every task's training step is also what its own learning tests
run (test_gen_*, test_seq_*, test_dqn, ...). Every picture is still drawn, only not
rasterized: Figure.savefig writes a 1x1 PNG and tight_layout does nothing (drawing
is the same for every spec; tests/test_see.py and the report tests look at real ones).
"""
from __future__ import annotations

import numpy as np
import pytest

from builder.spec.library import entries

N = 32  # examples kept per source: one batch of the usual 32


def _cut(loaded):
    """A random, ordered handful of a source's examples (its own test split likewise)."""
    def part(x, y, n):
        keep = np.sort(np.random.default_rng(0).permutation(len(x))[:n])
        if isinstance(y, dict):  # several outputs: a target per output name
            return x[keep], {name: v[keep] for name, v in y.items()}
        return x[keep], (None if y is None else y[keep])
    x, y = part(loaded.x, loaded.y, N)
    test = None if loaded.test is None else part(*loaded.test, N // 3)
    return type(loaded)(**{**loaded.__dict__, "x": x, "y": y, "test": test})


GRAPH_TASKS = {"language_model", "dqn", "diffusion"}  # see the module's doc


@pytest.fixture(scope="module")
def few_examples():
    """For the whole module: every source cut to N examples, keras.datasets' downloads
    replaced by random arrays of the set's real shape, pictures drawn but not rendered."""
    import io

    from matplotlib.figure import Figure
    from PIL import Image

    from builder.data.sources import SOURCES
    from builder.data.sources.keras_sets import KERAS_SETS, KerasDataset

    def fetch(self):  # the download, replaced by random arrays of the set's real shape
        shape, _, classes, _ = KERAS_SETS[self.name]
        rng = np.random.default_rng(1)
        def arrays(n):
            return (rng.integers(0, 256, (n, *shape)).astype("uint8"),
                    rng.integers(0, classes, (n, 1)))
        return arrays(N), arrays(N // 3)

    png = io.BytesIO()
    Image.new("RGB", (1, 1)).save(png, "PNG")

    def savefig(self, fname, **kwargs):  # a real (1x1) PNG wherever one was asked for
        if hasattr(fname, "write"):
            fname.write(png.getvalue())
        else:
            with open(fname, "wb") as fh:
                fh.write(png.getvalue())

    with pytest.MonkeyPatch.context() as patch:
        for cls in set(SOURCES.entries.values()):
            load = cls.load
            patch.setattr(cls, "load", lambda self, base, _load=load: _cut(_load(self, base)))
        patch.setattr(KerasDataset, "_fetch", fetch)
        patch.setattr(Figure, "savefig", savefig)
        patch.setattr(Figure, "tight_layout", lambda self, *a, **k: None)
        yield


@pytest.fixture
def eager_unless_looping(entry):
    import tensorflow as tf
    tf.config.run_functions_eagerly(_task(entry) not in GRAPH_TASKS)
    try:
        yield
    finally:
        tf.config.run_functions_eagerly(False)


def _missing_file(entry, folder) -> list[str]:
    """--set pointing a spec whose data file is a download at random arrays of its
    model's input shape (its classes: the last layer's units)."""
    if not entry.data.startswith("download (its description"):
        return []
    from builder.spec.load import load_spec
    spec = load_spec(entry.name).spec
    net = spec.model
    classes = getattr(net.layers[-1], "units", 2)
    rng = np.random.default_rng(2)
    file = folder / "random.npz"
    np.savez(file, x=rng.normal(size=(N, *net.input)).astype("float32"),
             y=rng.integers(0, classes, N))
    kind = spec.data.source.kind
    return ["--set", f"data.source.{kind}.path={file}"]


def _special(entry, cli, folder) -> list[str]:
    """What some specs need besides data: a transfer spec, the run its base comes from
    (trained here first); an agent, a shorter episode budget (its epochs are steps); a
    language model a shorter sample, a diffusion model fewer noise steps."""
    if entry.name == "digits_transfer":
        base = cli("train", "digits04_base", "--epochs", 1, "--out", folder / "base", "-q")
        assert base.exit_code == 0, (base.stderr or base.output)[-3000:]
        return ["--set", f"train.base.run={folder / 'base'}",
                "--set", "data.split={validation: 0.2, test: 0.2}"]  # its 1% of 32 is none
    if entry.name == "cartpole_dqn":
        return ["--set", "train.steps_per_epoch=300", "--set", "train.warmup_steps=100"]
    task = _task(entry)
    if task == "language_model":  # the sample is still written: 20 tokens, not 300
        return ["--set", "train.sample.length=20"]
    if task == "diffusion":  # sampling walks every noise step: 20 of them, not 200
        return ["--set", "train.timesteps=20"]
    return []


def _task(entry) -> str:
    from builder.spec.load import load_spec
    return load_spec(entry.name).spec.task


@pytest.mark.parametrize("entry", entries(), ids=lambda e: e.name)
def test_every_bundled_spec_trains_a_few_steps(entry, few_examples, eager_unless_looping, cli,
                                               tmp_path):
    result = cli("train", entry.name, "--epochs", 1, "--out", tmp_path / "run", "-q",
                 *_missing_file(entry, tmp_path), *_special(entry, cli, tmp_path))
    assert result.exit_code == 0, (result.stderr or result.output)[-3000:]
    assert (tmp_path / "run" / "metrics.json").is_file()
