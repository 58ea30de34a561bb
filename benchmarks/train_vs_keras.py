"""`kspec train` against the same model written by hand in plain Keras
(benchmarks/plain_keras.py): whole process, model.fit alone, test accuracy and peak
memory. Runs alternate (kspec, Keras, kspec, Keras, ...) so both see the same load; each
ratio is kspec / Keras within one pair, and the table gives the median over the pairs
with the smallest and largest pair ratio as the noise.

Usage:  python benchmarks/train_vs_keras.py [--pairs 3] [--spec digits_cnn:20 ...]
Prints a markdown table (paste into benchmarks/README.md).

kspec runs as the `kspec train SPEC --epochs N -q --set train.callbacks=[]` program
(early stopping off) through a two-line wrapper that times its fit (the wrapper is
the program, so kspec ends as the `kspec` command does).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPECS = ["digits_cnn:20", "breast_cancer_mlp:60"]

# time kspec's model.fit from outside, then run the command line as `python cli.py` does
KSPEC = """
import sys, time
sys.path.insert(0, {root!r})
from builder.tasks.supervised import trainer
fit = trainer._fit
def timed(*a, **k):
    start = time.perf_counter()
    try:
        return fit(*a, **k)
    finally:
        print(f"FIT {{time.perf_counter() - start:.3f}}", flush=True)
trainer._fit = timed
sys.argv = ["cli.py", "train", {spec!r}, "--epochs", {epochs!r}, "-q", "--out", {out!r},
            "--set", "train.callbacks=[]"]
import cli
cli.main()
"""


def run(cmd: list) -> dict:
    """One whole process: wall time, peak resident memory (MB), its FIT/TEST lines."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{cmd} failed:\n{out}")
    found = {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss / 1024}
    for line in out.splitlines():
        if line.startswith("FIT "):
            found["fit"] = float(line.split()[1])
        if line.startswith("TEST "):
            found["test"] = float(line.split()[1])
        if line.strip().startswith("test:"):  # kspec's metrics line
            found["test"] = float(line.split("accuracy")[1].split(",")[0])
    return found


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--spec", action="append", help="NAME:EPOCHS")
    args = parser.parse_args()
    rows, loads = [], [os.getloadavg()[0]]
    for item in args.spec or SPECS:
        spec, epochs = item.split(":")
        pairs = []
        for i in range(args.pairs):
            with tempfile.TemporaryDirectory() as tmp:
                k = run([sys.executable, "-c", KSPEC.format(root=str(ROOT), spec=spec,
                                                            epochs=epochs, out=f"{tmp}/k")])
                p = run([sys.executable, str(ROOT / "benchmarks" / "plain_keras.py"), spec,
                         epochs, f"{tmp}/p"])
            pairs.append((k, p))
            loads.append(os.getloadavg()[0])
            print(f"# {spec} pair {i + 1}: kspec {k}, keras {p}", file=sys.stderr, flush=True)
        rows.append((spec, epochs, pairs))
    print(f"| spec (epochs) | what | kspec | plain Keras | kspec / Keras: median of {args.pairs}"
          " pairs [min-max] |")
    print("|---|---|---:|---:|---:|")
    for spec, epochs, pairs in rows:
        for key, label, fmt in (("wall", "whole process (s)", "{:.2f}"),
                                ("cpu", "whole process, CPU user+sys (s)", "{:.2f}"),
                                ("fit", "model.fit alone (s)", "{:.2f}"),
                                ("rss", "peak memory (MB)", "{:.0f}"),
                                ("test", "test accuracy", "{:.4f}")):
            if key not in pairs[0][0]:
                continue
            ks = [k[key] for k, _ in pairs]
            ps = [p[key] for _, p in pairs]
            ratios = [a / b for a, b in zip(ks, ps)]
            print(f"| {spec} ({epochs}) | {label} | {fmt.format(statistics.median(ks))} | "
                  f"{fmt.format(statistics.median(ps))} | {statistics.median(ratios):.2f} "
                  f"[{min(ratios):.2f}-{max(ratios):.2f}] |")
    print(f"\nload average (1 min) at the pairs: {min(loads):.1f}-{max(loads):.1f} on "
          f"{os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
