"""Static grading of 50 submissions (spec, lint and graph checks: every model is
built by Keras, none is trained), each in its own limited process, against the
plain-Keras ways of doing the same:

* naive: one fresh Python process per submission that imports Keras and builds the
  model (how a notebook/container autograder isolates students);
* in-process: import Keras once and build all 50 models in one process, with no
  isolation at all (the floor: what the checks themselves cost).

Usage:  python benchmarks/grade_static.py [--n 50] [--jobs 2] [--naive 50]
Prints a markdown table (paste into benchmarks/README.md).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
EXAMPLE = ROOT / "examples" / "assignment-digits"

CNN = """kspec: 1
name: s{i}
seed: {i}
data:
  source: {{sklearn: digits}}
  preprocess: [{{scale: 16}}, {{reshape: [8, 8, 1]}}]
model:
  input: [8, 8, 1]
  layers:
    - conv2d: {{filters: {f}, kernel_size: 3, padding: same, activation: relu}}
    - max_pooling2d: 2
    - conv2d: {{filters: {g}, kernel_size: 3, padding: same, activation: relu}}
    - max_pooling2d: 2
    - flatten
    - dense: {{units: {u}, activation: relu}}
    - dropout: 0.2
    - dense: {{units: 10, activation: {act}}}
train:
  loss: {loss}
  optimizer: {{{opt}: {{learning_rate: {lr}}}}}
  metrics: [accuracy]
  epochs: 8
"""

NAIVE = ("import os, sys; os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'\n"
         "from builder.spec.load import load_spec\nfrom builder.build.model import build_model\n"
         "model, _ = build_model(load_spec(sys.argv[1]))\nmodel.count_params()\n")


def make_submissions(folder: Path, n: int) -> list[Path]:
    """n varied submissions: mostly valid CNNs of many sizes, some over budget,
    some with a wrong loss or activation, some broken YAML."""
    folder.mkdir(parents=True)
    paths = []
    for i in range(n):
        text = CNN.format(i=i, f=4 + 4 * (i % 5), g=8 + 8 * (i % 4), u=16 * (1 + i % 6),
                          act="softmax" if i % 9 else "sigmoid",
                          loss="binary_crossentropy" if i % 11 == 5 else
                          "sparse_categorical_crossentropy",
                          opt=("adam", "rmsprop", "sgd", "nadam")[i % 4], lr=10 ** -(1 + i % 4))
        if i % 13 == 7:
            text = text.replace("units: 10, activation", "units: 10, activation: [")  # broken
        if i % 8 == 3:
            text = text.replace("units: " + str(16 * (1 + i % 6)), "units: 4096")  # over budget
        path = folder / f"student{i:02d}.yaml"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def static_rubric(folder: Path) -> Path:
    """The example rubric without its train check."""
    text = (EXAMPLE / "rubric.yaml").read_text(encoding="utf-8")
    text = text[:text.index("  - name: Test accuracy")]
    shutil.copy(EXAMPLE / "starter.yaml", folder / "starter.yaml")
    path = folder / "rubric.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def kspec_grade(rubric: Path, subs: Path, out: Path, jobs: int) -> tuple[float, int]:
    """Wall time of `kspec grade` in a fresh process (fork-server start included)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "cli", "grade", str(rubric), str(subs), "--out",
                    str(out), "--jobs", str(jobs)], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    graded = sum(1 for p in out.iterdir() if (p / "results.json").is_file())
    return wall, graded


def in_process_seconds(out: Path) -> float:
    """Median time each grading process spent on its own work (from details.json)."""
    import json
    import statistics
    times = [job["seconds"] for d in out.glob("*/details.json")
             for job in json.loads(d.read_text())["teacher"]["jobs"]]
    return statistics.median(times)


def naive(paths: list[Path], jobs: int) -> float:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}

    def one(path):
        subprocess.run([sys.executable, "-c", NAIVE, str(path)], cwd=ROOT, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    start = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(one, paths))
    return time.perf_counter() - start


def in_process(paths: list[Path]) -> float:
    code = ("import sys, time, os; os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'\n"
            "t = time.perf_counter()\n"
            "from builder.spec.load import load_spec\nfrom builder.build.model import build_model\n"
            "from builder.core.problems import SpecError\n"
            "for p in sys.argv[1:]:\n"
            "    try:\n        build_model(load_spec(p))[0].count_params()\n"
            "    except SpecError:\n        pass\n"
            "print(time.perf_counter() - t)\n")
    out = subprocess.run([sys.executable, "-c", code, *map(str, paths)], cwd=ROOT, check=True,
                         capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--naive", type=int, default=50,
                        help="submissions timed the naive way (extrapolated to --n if fewer)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rubric = static_rubric(tmp)
        paths = make_submissions(tmp / "subs", args.n)
        one = tmp / "one"
        one.mkdir()
        shutil.copy(paths[0], one / paths[0].name)
        cold_one, _ = kspec_grade(rubric, one, tmp / "out1", args.jobs)
        wall, graded = kspec_grade(rubric, tmp / "subs", tmp / "out", args.jobs)
        assert graded == args.n, f"only {graded} of {args.n} graded"
        own = in_process_seconds(tmp / "out")
        k = min(args.naive, args.n)
        naive_s = naive(paths[:k], args.jobs) * args.n / k
        inproc = in_process(paths)
    per = (wall - cold_one) / (args.n - 1)
    note = "" if k == args.n else f" (timed on {k}, scaled to {args.n})"
    print(f"| what ({args.n} submissions, {args.jobs} jobs) | wall time (s) | vs kspec grade |")
    print("|---|---:|---:|")
    print(f"| kspec grade, each submission in its own limited process | {wall:.1f} | 1.0x |")
    print(f"| of which: fork-server start + 1 submission | {cold_one:.1f} | |")
    print(f"| of which: each further submission | {per:.2f} | |")
    print(f"| (median work inside one grading process) | {own:.2f} | |")
    print(f"| naive: a fresh Python + Keras process per submission{note} | {naive_s:.1f} | "
          f"{naive_s / wall:.1f}x slower |")
    print(f"| plain Keras in one process, no isolation (build only) | {inproc:.1f} | "
          f"{inproc / wall:.2f}x |")


if __name__ == "__main__":
    main()
