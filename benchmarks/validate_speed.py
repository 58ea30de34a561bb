"""How long `kspec validate` takes from a cold start, against the plain-Keras way
of finding the same mistakes (import Keras and build the model); and, for the studio,
how long a second validation takes in the same process.

Usage:  python benchmarks/validate_speed.py [--repeat 5] [--before DIR] [--spec NAME ...]
        python benchmarks/validate_speed.py --all [--repeat 3]   # every bundled spec
Prints a markdown table (paste into benchmarks/README.md): the CPU time (user + sys)
of each cold process, median of --repeat, and its wall time. --before DIR: also time
another checkout (e.g. `git archive` of an older commit unpacked in DIR), alternating
with this one, so both see the same load. The load average is printed with the table.
--all times a cold validate of every bundled spec (and examples/*.yaml) in rounds: each
round runs every spec once, so a load change hits all specs alike.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPECS = ["breast_cancer_mlp", "digits_cnn", "diabetes_mlp", "house_price_neuron"]

# the `kspec validate SPEC` program, as the console script runs it
KSPEC = ("import sys\nsys.path.insert(0, {root!r})\nsys.argv=['kspec','validate',{spec!r}]\n"
         "from cli import main\ntry:\n main()\nexcept SystemExit as e:\n assert e.code == 0\n")
# the plain-Keras way: import Keras and build the same model; shape errors surface here
KERAS = ("import os, sys; os.environ['TF_CPP_MIN_LOG_LEVEL']='3'\nsys.path.insert(0, {root!r})\n"
         "from builder.spec.load import load_spec\nfrom builder.build.model import build_model\n"
         "build_model(load_spec({spec!r}))\n")
# in one process: the first validation, then the next (what the studio pays per keystroke)
WARM = ("import sys, time\nsys.path.insert(0, {root!r})\n"
        "from builder.spec.load import load_spec\nfrom builder.spec.counts import network_sizes\n"
        "def once():\n t = time.process_time(); network_sizes(load_spec({spec!r}).spec)\n"
        " return time.process_time() - t\n"
        "first = once(); later = sorted(once() for _ in range(20))\n"
        "print(f'WARM {{first:.4f}} {{later[10]:.4f}}')\n")


def cold(code: str) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one fresh Python process running `code`."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"failed: {code}")
    return usage.ru_utime + usage.ru_stime, time.perf_counter() - start


def warm(root: Path, spec: str) -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", WARM.format(root=str(root), spec=spec)],
                         cwd=root, capture_output=True, text=True, check=True).stdout
    first, later = out.split("WARM ")[1].split()
    return float(first), float(later)


def every_spec(repeat: int):
    """Median CPU and wall time of a cold validate of every bundled spec and example."""
    sys.path.insert(0, str(ROOT))
    from builder.spec.library import bundled
    specs = {name: str(path) for name, path in bundled().items()}
    specs.update({f"examples/{p.name}": str(p) for p in sorted((ROOT / "examples").glob("*.yaml"))})
    load_before = os.getloadavg()
    runs = {name: [] for name in specs}
    for _ in range(repeat):  # rounds: every spec once per round
        for name, path in specs.items():
            runs[name].append(cold(KSPEC.format(root=str(ROOT), spec=path)))
    load_after = os.getloadavg()
    print(f"load average (1, 5, 15 min) before: {', '.join(f'{v:.1f}' for v in load_before)}; "
          f"after: {', '.join(f'{v:.1f}' for v in load_after)}; {os.cpu_count()} cores; "
          f"median of {repeat}\n")
    print("| spec | CPU user+sys (s) | wall (s) |")
    print("|---|---:|---:|")
    cpus, walls = [], []
    for name, times in runs.items():
        cpus.append(statistics.median(c for c, _ in times))
        walls.append(statistics.median(w for _, w in times))
        print(f"| {name} | {cpus[-1]:.2f} | {walls[-1]:.2f} |")
    print(f"| **all {len(runs)}: max** | **{max(cpus):.2f}** | **{max(walls):.2f}** |")
    print(f"| all {len(runs)}: median | {statistics.median(cpus):.2f} | "
          f"{statistics.median(walls):.2f} |")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--before", type=Path)
    parser.add_argument("--spec", action="append")
    parser.add_argument("--no-keras", action="store_true", help="skip the plain-Keras column")
    parser.add_argument("--all", action="store_true", help="every bundled spec, in rounds")
    args = parser.parse_args()
    if args.all:
        return every_spec(args.repeat)
    roots = {"before": args.before.resolve(), "after": ROOT} if args.before else {"": ROOT}
    loads = [os.getloadavg()[0]]
    rows = []
    for spec in args.spec or SPECS:
        runs = {label: [] for label in roots}
        for _ in range(args.repeat):  # alternated: before, after, before, after, ...
            for label, root in roots.items():
                runs[label].append(cold(KSPEC.format(root=str(root), spec=spec)))
        loads.append(os.getloadavg()[0])
        cpu = {k: statistics.median(c for c, _ in v) for k, v in runs.items()}
        wall = {k: statistics.median(w for _, w in v) for k, v in runs.items()}
        keras = None if args.no_keras else statistics.median(
            cold(KERAS.format(root=str(ROOT), spec=spec))[0] for _ in range(args.repeat))
        first, later = warm(ROOT, spec)
        rows.append((spec, cpu, wall, keras, first, later))
    labels = list(roots)
    head = " | ".join(f"validate {k} CPU (s)".replace("  ", " ") for k in labels)
    print(f"| spec | {head} | wall after (s) | import Keras + build CPU (s) | in one process: "
          "first / next validate (ms) |")
    print("|---|" + "---:|" * (len(labels) + 3))
    for spec, cpu, wall, keras, first, later in rows:
        print(f"| {spec} | " + " | ".join(f"{cpu[k]:.2f}" for k in labels)
              + f" | {wall[labels[-1]]:.2f} | " + ("-" if keras is None else f"{keras:.2f}")
              + f" | {first * 1000:.0f} / {later * 1000:.1f} |")
    print(f"\nload average (1 min) during the run: {min(loads):.1f}-{max(loads):.1f}; "
          f"median of {args.repeat} cold processes per cell")


if __name__ == "__main__":
    main()
