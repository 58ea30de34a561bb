"""A sweep of 8 trials with `--jobs 2` against the 8 `kspec train` runs a student would
type one after another for the same configurations.

breast_cancer_mlp over learning rate {0.001, 0.003, 0.01, 0.03} x batch size {32, 64}
(the spec's early stopping kept in both), whole wall time of each way, alternated
(sequential, sweep, sequential, sweep, ...), medians reported. The sweep runs with
`--pruner none` so both ways train the same 8 models to the end; `--pruned` adds one
sweep with the default median pruner (what pruning saves on top). Each way's
validation losses are compared trial by trial: the same seed gives the same numbers.

    python benchmarks/sweep_vs_sequential.py --epochs 10    # 3 pairs
    python benchmarks/sweep_vs_sequential.py --repeat 1 --epochs 3   # a smoke run
"""
from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, str(ROOT / "cli.py")]
SPEC = "breast_cancer_mlp"
RATES = ["0.001", "0.003", "0.01", "0.03"]
BATCHES = ["32", "64"]


def run(args: list) -> float:
    start = time.perf_counter()
    done = subprocess.run(CLI + args, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"failed: kspec {' '.join(args)}\n{done.stderr[-2000:]}")
    return time.perf_counter() - start


def final_val_loss(run_dir: Path) -> float:
    with open(run_dir / "history.csv") as f:
        return float(list(csv.DictReader(f))[-1]["val_loss"])


def sequential(work: Path, epochs: int) -> tuple[float, dict]:
    start, losses = time.perf_counter(), {}
    for i, (rate, batch) in enumerate(itertools.product(RATES, BATCHES)):
        out = work / f"run{i}"
        run(["train", SPEC, "-q", "--out", str(out), "--set", f"train.epochs={epochs}",
             "--set", f"train.optimizer.learning_rate={rate}",
             "--set", f"train.batch_size={batch}"])
        losses[(rate, batch)] = final_val_loss(out)
    return time.perf_counter() - start, losses


def sweep(work: Path, epochs: int, pruner: str) -> tuple[float, dict, int]:
    out = work / "sweep"
    took = run(["sweep", SPEC, "--jobs", "2", "--pruner", pruner, "--out", str(out),
                "--set", f"train.epochs={epochs}",
                "--set", "train.optimizer.learning_rate=" + ",".join(RATES),
                "--set", "train.batch_size=" + ",".join(BATCHES)])
    losses, pruned = {}, 0
    with open(out / "results.csv") as f:
        for row in csv.DictReader(f):
            key = (row["train.optimizer.learning_rate"], row["train.batch_size"])
            if row["status"] == "complete":
                losses[key] = final_val_loss(Path(row["run"]))
            pruned += row["status"].startswith("pruned")
    return took, losses, pruned


def table(seq_times, sweep_times, loads, diffs, epochs, pruned=None) -> str:
    seq, swp = statistics.median(seq_times), statistics.median(sweep_times)
    lines = [f"{len(seq_times)} pair(s) alternated, {epochs} epochs (the spec's early stopping "
             f"on), load average (1 min) {min(loads):.1f}-{max(loads):.1f} on "
             f"{os.cpu_count()} cores", "",
             "| way | wall time (s), median | each run (s) | vs sequential |",
             "|---|---:|---|---:|",
             f"| 8 x `kspec train`, one after another | {seq:.1f} | "
             f"{', '.join(f'{t:.1f}' for t in seq_times)} | 1.00 |",
             f"| `kspec sweep --jobs 2 --pruner none`, 8 trials | {swp:.1f} | "
             f"{', '.join(f'{t:.1f}' for t in sweep_times)} | {swp / seq:.2f} |"]
    if pruned is not None:
        t, n = pruned
        lines.append(f"| `kspec sweep --jobs 2` (median pruner: {n} of 8 pruned) | {t:.1f} | "
                     f"{t:.1f} | {t / seq:.2f} |")
    lines += ["", "same results: the largest difference of a trial's last val_loss between "
              f"the two ways is {max(diffs):.1e}"]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="pairs of (sequential, sweep)")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--pruned", action="store_true",
                        help="one more sweep with the default median pruner")
    args = parser.parse_args()
    seq_times, sweep_times, loads, diffs = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            loads.append(os.getloadavg()[0])
            t_seq, seq_losses = sequential(Path(tmp) / f"seq{i}", args.epochs)
            loads.append(os.getloadavg()[0])
            t_sweep, sweep_losses, _ = sweep(Path(tmp) / f"sweep{i}", args.epochs, "none")
            loads.append(os.getloadavg()[0])
            seq_times.append(t_seq)
            sweep_times.append(t_sweep)
            diffs.append(max(abs(seq_losses[k] - sweep_losses[k]) for k in seq_losses))
            # the table so far after every pair: a long run on a busy machine still reports
            print(table(seq_times, sweep_times, loads, diffs, args.epochs) + "\n", flush=True)
        if args.pruned:
            t_pruned, _, n_pruned = sweep(Path(tmp) / "pruned", args.epochs, "median")
            loads.append(os.getloadavg()[0])
            print(table(seq_times, sweep_times, loads, diffs, args.epochs, (t_pruned, n_pruned)))
    print(json.dumps({"sequential": seq_times, "sweep": sweep_times, "loads": loads}))


if __name__ == "__main__":
    main()
