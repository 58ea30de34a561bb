"""How long `kspec validate` takes from a cold start, against the plain-Keras way
of finding the same mistakes (import Keras and build the model).

Usage:  python benchmarks/validate_speed.py [--repeat 5]
Prints a markdown table (paste into benchmarks/README.md).
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPECS = ["breast_cancer_mlp", "digits_cnn", "diabetes_mlp"]

KSPEC = "from cli import main\nimport sys\nsys.argv=['kspec','validate',{spec!r}]\ntry:\n main()\nexcept SystemExit as e:\n assert e.code == 0\n"
# the plain-Keras way: import Keras and build the same model; shape errors surface here
KERAS = ("import os; os.environ['TF_CPP_MIN_LOG_LEVEL']='3'\n"
         "from builder.spec.load import load_spec\nfrom builder.build.model import build_model\n"
         "build_model(load_spec({spec!r}))\n")


def timed(code: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print("| spec | kspec validate (s) | import Keras + build (s) | ratio |")
    print("|---|---:|---:|---:|")
    for spec in SPECS:
        k = timed(KSPEC.format(spec=spec), args.repeat)
        b = timed(KERAS.format(spec=spec), args.repeat)
        print(f"| {spec} | {k:.2f} | {b:.2f} | {b / k:.1f}x faster |")


if __name__ == "__main__":
    main()
