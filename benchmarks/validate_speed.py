"""How long `kspec validate` takes from a cold start, against the plain-Keras way
of finding the same mistakes (import Keras and build the model).

Usage:  python benchmarks/validate_speed.py [--repeat 5]
        python benchmarks/validate_speed.py --all [--repeat 5]   # every bundled spec
Prints a markdown table (paste into benchmarks/README.md).

--all times a cold `kspec validate` of every bundled spec (and examples/*.yaml) in
rounds: each round runs every spec once, so a load change hits all specs alike; the
table gives each spec's median wall time and median CPU time (user + sys of the
child process) and the load average before and after.
"""
from __future__ import annotations

import argparse
import os
import resource
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


def cold_run(code: str) -> tuple[float, float]:
    """-> (wall seconds, CPU seconds user + sys) of one fresh Python process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def every_spec(repeat: int):
    sys.path.insert(0, str(ROOT))
    from builder.spec.library import bundled
    specs = {name: str(path) for name, path in bundled().items()}
    specs.update({f"examples/{p.name}": str(p) for p in sorted((ROOT / "examples").glob("*.yaml"))})
    load_before = os.getloadavg()
    runs = {name: [] for name in specs}
    for _ in range(repeat):  # rounds: every spec once per round
        for name, path in specs.items():
            runs[name].append(cold_run(KSPEC.format(spec=path)))
    load_after = os.getloadavg()
    print(f"load average (1, 5, 15 min) before: {', '.join(f'{v:.1f}' for v in load_before)}; "
          f"after: {', '.join(f'{v:.1f}' for v in load_after)}; {os.cpu_count()} cores; "
          f"median of {repeat}\n")
    print("| spec | wall (s) | CPU user+sys (s) |")
    print("|---|---:|---:|")
    walls, cpus = [], []
    for name, times in runs.items():
        wall = statistics.median(t[0] for t in times)
        cpu = statistics.median(t[1] for t in times)
        walls.append(wall)
        cpus.append(cpu)
        print(f"| {name} | {wall:.2f} | {cpu:.2f} |")
    print(f"| **all {len(runs)}: max** | **{max(walls):.2f}** | **{max(cpus):.2f}** |")
    print(f"| all {len(runs)}: median | {statistics.median(walls):.2f} | "
          f"{statistics.median(cpus):.2f} |")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--all", action="store_true", help="every bundled spec, in rounds")
    args = parser.parse_args()
    if args.all:
        return every_spec(args.repeat)
    print("| spec | kspec validate (s) | import Keras + build (s) | ratio |")
    print("|---|---:|---:|---:|")
    for spec in SPECS:
        k = timed(KSPEC.format(spec=spec), args.repeat)
        b = timed(KERAS.format(spec=spec), args.repeat)
        print(f"| {spec} | {k:.2f} | {b:.2f} | {b / k:.1f}x faster |")


if __name__ == "__main__":
    main()
