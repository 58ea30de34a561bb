"""Where the time of `kspec train` goes: each phase timed by wall clock in a fresh
process, so the fixed cost beyond importing TensorFlow/Keras and the fit itself shows.

Usage:  python benchmarks/train_overhead.py [--spec breast_cancer_mlp ...] [--repeat 3]
                                           [--before DIR]
Prints a markdown table of the median of each phase (paste into benchmarks/README.md).
--before DIR: also measure another checkout (e.g. `git archive` of an older commit
unpacked in DIR), alternating with this one, so "before" and "after" share the load.

Each phase is timed by wrapping the trainer's own functions from outside (nothing in
kspec knows it is measured); early stopping is switched off so every run fits the
spec's full number of epochs.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPECS = ["breast_cancer_mlp", "digits_cnn"]
# the phases in the order they happen; "other" is what the process spends outside them
PHASES = ["python start + kspec imports", "load spec", "import TensorFlow + Keras", "data",
          "build model", "compile + datasets", "fit", "evaluate", "save model",
          "other files", "plots", "unaccounted", "print + exit (interpreter teardown)"]


def child(spec: str, out: str, root: str):
    spent: dict = {}
    cpu: dict = {}  # the same phases in CPU time (user + sys, all threads), less load-bound
    begun = float(sys.argv[sys.argv.index("--child") + 3])  # the parent's clock at spawn

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            t, c = time.perf_counter(), time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - t
                cpu[name] = cpu.get(name, 0.0) + time.process_time() - c
        return wrapper

    sys.path.insert(0, root)
    import cli  # noqa: F401  (what `kspec` imports before it reads a spec)
    from builder.core import keras_env
    from builder.spec import load
    from builder.tasks.supervised import trainer
    from builder.run import plots
    spent["python start + kspec imports"] = time.time() - begun
    cpu["python start + kspec imports"] = time.process_time()
    keras_env.keras = timed("import TensorFlow + Keras", keras_env.keras)
    sys.modules["builder.run.environment"].keras = keras_env.keras
    trainer.prepare_spec = timed("data", trainer.prepare_spec)
    trainer.build_model = timed("build model", trainer.build_model)
    trainer.compile_model = timed("compile + datasets", trainer.compile_model)
    trainer.fit_datasets = timed("compile + datasets", trainer.fit_datasets)
    trainer._fit = timed("fit", trainer._fit)
    trainer.evaluate = timed("evaluate", trainer.evaluate)
    trainer.learning_curves = timed("plots", trainer.learning_curves)
    plots.learning_curves = trainer.learning_curves
    trainer.write_run = timed("write run", trainer.write_run)
    # model.save inside write_run: timed through Keras' Model.save, patched once Keras is in
    build = trainer.build_model

    def build_then_patch_save(*args, **kwargs):
        import keras
        if not getattr(keras.Model.save, "kspec_timed", False):
            keras.Model.save = timed("save model", keras.Model.save)
            keras.Model.save.kspec_timed = True
        return build(*args, **kwargs)
    trainer.build_model = build_then_patch_save
    load.load_spec = timed("load spec", load.load_spec)
    run_train = trainer.train

    def train_then_report(*args, **kwargs):
        result = run_train(*args, **kwargs)
        spent["other files"] = spent.pop("write run") - spent["save model"] - spent["plots"]
        cpu["other files"] = cpu.pop("write run") - cpu["save model"] - cpu["plots"]
        spent["unaccounted"] = time.time() - begun - sum(spent.values())
        cpu["unaccounted"] = time.process_time() - sum(cpu.values())
        spent["ended"] = time.time()
        print("PHASES " + json.dumps(spent), flush=True)
        print("CPU " + json.dumps(cpu), flush=True)
        return result
    trainer.train = train_then_report
    # the command line as `kspec train` runs it (printing, then ending the program)
    sys.argv = ["cli.py", "train", spec, "--out", out, "-q", "--set", "train.callbacks=[]"]
    cli.main()


def measure(spec: str, root: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.time()
        proc = subprocess.run([sys.executable, __file__, "--child", spec, str(Path(tmp) / "run"),
                               repr(start), str(root)], cwd=root, capture_output=True,
                              text=True, check=True)
        wall = time.time() - start
    line = next(l for l in proc.stdout.splitlines() if l.startswith("PHASES "))
    spent = json.loads(line[len("PHASES "):])
    spent["print + exit (interpreter teardown)"] = start + wall - spent.pop("ended")
    spent["process wall time"] = wall
    line = next(l for l in proc.stdout.splitlines() if l.startswith("CPU "))
    spent.update({"cpu " + k: v for k, v in json.loads(line[len("CPU "):]).items()})
    return spent


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--spec", action="append")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--before", type=Path)
    parser.add_argument("--child", nargs=4, metavar=("SPEC", "OUT", "START", "ROOT"))
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.child[3])
        return
    roots = {"before": args.before.resolve(), "after": ROOT} if args.before else {"": ROOT}
    columns = [(s, label) for s in args.spec or SPECS for label in roots]
    results = {c: [] for c in columns}
    for _ in range(args.repeat):  # alternated, so machine load spreads evenly
        for spec, label in columns:
            results[spec, label].append(measure(spec, roots[label]))
    names = [f"{s} {label}".strip() for s, label in columns]
    print("| phase (s, median of %d) | %s |" % (args.repeat, " | ".join(names)))
    print("|---|" + "---:|" * len(columns))
    med = {c: {k: statistics.median(r.get(k, 0) for r in rs) for k in rs[0]}
           for c, rs in results.items()}
    for phase in PHASES + ["process wall time"]:
        print(f"| {phase} | " + " | ".join(f"{med[c].get(phase, 0):.2f}" for c in columns) + " |")
    fixed = [med[c]["process wall time"] - med[c]["import TensorFlow + Keras"] - med[c]["fit"]
             for c in columns]
    print("| **fixed cost** (wall - TF/Keras import - fit) | "
          + " | ".join(f"**{f:.2f}**" for f in fixed) + " |")
    print("\n| phase, CPU time (s, user + sys of every thread, median of %d) | %s |"
          % (args.repeat, " | ".join(names)))
    print("|---|" + "---:|" * len(columns))
    for phase in PHASES[:-1]:
        print(f"| {phase} | " + " | ".join(f"{med[c].get('cpu ' + phase, 0):.2f}"
                                            for c in columns) + " |")
    fixed = [sum(med[c].get("cpu " + p, 0) for p in PHASES[:-1]) - med[c]["cpu import TensorFlow "
             "+ Keras"] - med[c]["cpu fit"] for c in columns]
    print("| **fixed cost** (all but TF/Keras import and fit; teardown not counted) | "
          + " | ".join(f"**{f:.2f}**" for f in fixed) + " |")
    print(f"\nload average (1 min) at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
