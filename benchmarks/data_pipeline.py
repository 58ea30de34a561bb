"""Is kspec's input pipeline ever the bottleneck? Delivery rate vs training consumption.

For each case the script builds exactly what `kspec train` builds (prepare_spec +
fit_datasets, i.e. the shuffled, batched, prefetched tf.data pipeline) and measures

  pipeline   examples/s the training dataset delivers on its own (no model), read in
             a tf.function as Keras reads it;
  training   examples/s one training step consumes (model.fit on one batch that is
             already in memory, repeated: the step's cost with no input cost at all);
  ratio      pipeline / consumption, where consumption is the faster of `training`
             and the end-to-end kspec fit rate (the conservative choice: on a busy
             machine either can read high); the goal is >= 10x, so input never slows
             training;
  fit kspec vs fit plain Keras: end-to-end examples/s of model.fit over a whole epoch
             with kspec's dataset vs plain Keras given the numpy arrays
             (model.fit(x, y, batch_size, shuffle=True)), in the same run.

Cases: the bundled digits_cnn spec and an MNIST-shaped synthetic set (60000 images of
28x28x1, 10 classes) with the classic Keras MNIST convnet.

    python benchmarks/data_pipeline.py            # prints the markdown table
    python benchmarks/data_pipeline.py --quick    # smaller synthetic set, for a smoke run
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import statistics
import sys
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

MNIST_SHAPED = """
kspec: 1
name: mnist_shaped_synthetic
seed: 0
data:
  source: {{synthetic: {{type: images, n: {n}, shape: [28, 28, 1], classes: 10}}}}
  preprocess: [{{scale: 255}}]
  split: {{validation: 0.1, test: 0.1}}
model:
  input: [28, 28, 1]
  layers:
    - conv2d: {{filters: 32, kernel_size: 3, activation: relu}}
    - max_pooling2d: 2
    - conv2d: {{filters: 64, kernel_size: 3, activation: relu}}
    - max_pooling2d: 2
    - flatten
    - dropout: 0.5
    - dense: {{units: 10, activation: softmax}}
train:
  loss: sparse_categorical_crossentropy
  optimizer: adam
  metrics: [accuracy]
  batch_size: 128
"""


def rate_of_pipeline(ds, steps_per_epoch: int, batch: int, min_seconds: float) -> float:
    """Examples per second the training dataset delivers on its own: its one persistent
    iterator (as model.fit keeps it) drained inside a tf.function, as Keras' train step
    reads it."""
    from builder.core.keras_env import tf
    t = tf()
    it = iter(ds)

    @t.function
    def pull(k):
        n = t.constant(0, t.int64)
        for _ in t.range(k):
            x, _ = next(it)
            n += t.shape(x, out_type=t.int64)[0]
        return n

    pull(t.constant(steps_per_epoch))  # trace, start the threads
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < min_seconds:
        count += int(pull(t.constant(steps_per_epoch)))
    return count / (time.perf_counter() - start)


def rate_of_training(model, ds, min_seconds: float) -> float:
    """Examples per second a training step consumes when input costs nothing: one batch,
    already in memory, fed again and again (enough steps to last min_seconds)."""
    from builder.core.keras_env import tf
    x, y = next(iter(ds))
    one = tf().data.Dataset.from_tensors((x, y)).cache().repeat()
    model.fit(one, steps_per_epoch=20, epochs=1, verbose=0)  # compile the step first
    steps = 20
    while True:
        start = time.perf_counter()
        model.fit(one, steps_per_epoch=steps, epochs=1, verbose=0)
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return steps * int(x.shape[0]) / elapsed
        steps = int(steps * min(10.0, 1.3 * min_seconds / max(elapsed, 1e-3))) + 1


def rate_of_fit(model, fit, n: int, epochs: int) -> float:
    """End-to-end examples/s of model.fit over `epochs` epochs (after a warm-up epoch)."""
    fit(model, 1)
    start = time.perf_counter()
    fit(model, epochs)
    return n * epochs / (time.perf_counter() - start)


def case(loaded, min_seconds: float, epochs: int, rounds: int, fit_examples: int | None = None):
    """Medians over `rounds`; each round measures everything once, so the machine's
    other load falls on all columns alike. The fit columns use the first
    `fit_examples` training examples (all by default) to keep CPU runs short."""
    from builder.build.model import build_model
    from builder.data.pipeline import fit_datasets, prepare_spec
    from builder.run.environment import seed_everything
    from builder.tasks.supervised.trainer import compile_model
    spec = loaded.spec
    seed_everything(spec.seed)
    data = prepare_spec(loaded)
    t = spec.train
    train_ds, steps, _ = fit_datasets(data, spec.data, t.batch_size, True, spec.seed)
    x, y = data.splits["train"]
    if fit_examples:
        x, y = x[:fit_examples], y[:fit_examples]
    fit_ds, fit_steps, _ = fit_datasets(dataclasses.replace(data, splits={"train": (x, y)}),
                                        spec.data, t.batch_size, True, spec.seed)

    def fresh():
        model, _ = build_model(loaded)
        compile_model(model, t)
        return model

    def kspec(m, e):
        m.fit(fit_ds, steps_per_epoch=fit_steps, epochs=e, verbose=0)

    def plain(m, e):
        m.fit(x, y, batch_size=t.batch_size, epochs=e, shuffle=True, verbose=0)

    got = {"pipeline": [], "training": [], "ratio": [], "kspec_fit": [], "plain_fit": [],
           "fit_ratio": []}
    for _ in range(rounds):
        p = rate_of_pipeline(train_ds, steps, t.batch_size, min_seconds)
        tr = rate_of_training(fresh(), train_ds, min_seconds)
        k = rate_of_fit(fresh(), kspec, len(x), epochs)
        pl = rate_of_fit(fresh(), plain, len(x), epochs)
        for key, v in zip(got, (p, tr, p / max(tr, k), k, pl, k / pl)):
            got[key].append(v)
    row = {key: statistics.median(v) for key, v in got.items()}
    row.update({"case": spec.name, "examples": len(data.splits["train"][0]),
                "fit_examples": len(x), "batch": t.batch_size,
                "ratio_min": min(got["ratio"]), "epochs": epochs})
    return row


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="6000 synthetic images, short timings")
    args = ap.parse_args(argv)
    from builder.core.keras_env import keras, tf
    from builder.spec.load import load_spec, parse_spec
    from builder.spec.yamlpos import load_yaml
    keras()
    n = 6000 if args.quick else 60000
    text = textwrap.dedent(MNIST_SHAPED.format(n=n))
    mnist = parse_spec(*load_yaml(text, "<mnist_shaped_synthetic>"))
    seconds, rounds = (1.5, 1) if args.quick else (4, 3)
    rows = [case(load_spec("digits_cnn"), seconds, 10 if args.quick else 20, rounds),
            case(mnist, seconds, 1, rounds, fit_examples=None if args.quick else 15360)]
    print(f"python {platform.python_version()}, tensorflow {tf().__version__}, keras "
          f"{keras().__version__}, {os.cpu_count()} CPUs, "
          f"GPUs: {len(tf().config.list_physical_devices('GPU'))}; medians of {rounds} "
          "round(s)\n")
    print("| case | train examples | batch | pipeline (ex/s) | training step (ex/s) | "
          "pipeline / consumption (lowest round) | fit examples x epochs | fit, kspec (ex/s) | "
          "fit, plain Keras numpy (ex/s) | kspec / plain |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['case']} | {r['examples']} | {r['batch']} | {r['pipeline']:,.0f} | "
              f"{r['training']:,.0f} | {r['ratio']:.1f}x ({r['ratio_min']:.1f}x) | "
              f"{r['fit_examples']} x {r['epochs']} | {r['kspec_fit']:,.0f} | {r['plain_fit']:,.0f} | {r['fit_ratio']:.2f}x |")


if __name__ == "__main__":
    main()
