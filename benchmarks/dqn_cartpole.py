"""DQN on CartPole: the bundled spec's full run over several seeds.

For each seed: `kspec train cartpole_dqn --set seed=S` (plus any --set given here),
then the greedy mean return over the spec's eval episodes and the wall time. Prints
a Markdown table for benchmarks/README.md.

    python benchmarks/dqn_cartpole.py --seeds 0 1 2 [--set train.epochs=30 ...]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one(seed: int, sets: list[str], folder: Path) -> tuple[float, float, int]:
    out = folder / f"seed{seed}"
    args = [sys.executable, str(ROOT / "cli.py"), "train", "cartpole_dqn", "--out", str(out),
            "-q", "--set", f"seed={seed}"]
    for s in sets:
        args += ["--set", s]
    start = time.perf_counter()
    subprocess.run(args, check=True, cwd=ROOT, capture_output=True)
    took = time.perf_counter() - start
    metrics = json.loads((out / "metrics.json").read_text())
    return metrics["test"]["mean_return"], took, metrics["train"]["episodes"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--set", dest="sets", action="append", default=[])
    a = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in a.seeds:
            ret, took, episodes = one(seed, a.sets, Path(tmp))
            rows.append((seed, ret, took, episodes))
            print(f"seed {seed}: greedy mean return {ret:.1f} ({episodes} training episodes, "
                  f"{took:.0f} s)", file=sys.stderr, flush=True)
    print(f"settings: {' '.join(a.sets) or 'the bundled spec'}\n")
    print("| seed | greedy mean return (10 episodes) | training episodes | wall time (s) |")
    print("|---:|---:|---:|---:|")
    for seed, ret, took, episodes in rows:
        print(f"| {seed} | {ret:.1f} | {episodes} | {took:.0f} |")
    rets = [r[1] for r in rows]
    print(f"| mean | {statistics.mean(rets):.1f} (min {min(rets):.1f}) | | "
          f"{statistics.mean(r[2] for r in rows):.0f} |")


if __name__ == "__main__":
    main()
