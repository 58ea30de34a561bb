"""The long fuzz run: N mutated bundled specs validated in-process the way
`kspec validate` does, each within a time and memory bound.

Every case is one seeded mutation (tests/fuzz_specs.py, the same mutations the CI
property test draws) written to a file and validated in a worker process whose
address space is capped (RLIMIT_AS) and whose every case has a timer. Outcomes:
accepted, a clean error (kspec's SpecError, each message one bounded line), or an
escape named by its exception (a hang is `Timeout`, a blow-up `MemoryError`).

    python benchmarks/fuzz_validate.py --n 20000 --jobs 2 --seed 0

prints the table benchmarks/README.md keeps, and each escape's case number, which
reproduces with `--case K --show` (the YAML and the traceback).
"""
from __future__ import annotations

import argparse
import collections
import multiprocessing
import os
import resource
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

SECONDS = 20  # per case: a hang is an escape (the 2-core machine is shared: slack)
MEMORY = 2 * 2 ** 30  # address space of a worker


class Timeout(Exception):
    pass


def _alarm(*_):
    raise Timeout()


def _init(limit=True):
    if limit:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    signal.signal(signal.SIGALRM, _alarm)
    global TEXTS, DIR
    from fuzz_specs import bundled_texts
    TEXTS = bundled_texts()
    DIR = Path(tempfile.mkdtemp(prefix="kspec-fuzz-"))


def case_bytes(seed: int, k: int) -> bytes:
    from fuzz_specs import RandomChooser, mutated_spec
    return mutated_spec(RandomChooser(seed * 1_000_003 + k), TEXTS)


def run_case(args) -> tuple:
    seed, k = args
    from fuzz_specs import validate_file
    path = DIR / f"case{os.getpid()}.yaml"
    path.write_bytes(case_bytes(seed, k))  # the mutation's own cost is not timed
    start = time.perf_counter()
    signal.alarm(SECONDS)
    try:
        outcome = validate_file(path)
    except Timeout:
        outcome = "escape: Timeout"
    except BaseException as exc:  # noqa: BLE001 - an escape is what we count
        outcome = f"escape: {type(exc).__name__}"
    finally:
        signal.alarm(0)
    return k, outcome, time.perf_counter() - start


def show(seed: int, k: int):
    _init(limit=False)
    data = case_bytes(seed, k)
    text = data.decode("utf-8", "replace")
    print(text if len(text) < 6000 else text[:3000] + f"\n... ({len(text):,} chars) ...\n"
          + text[-2000:])
    path = DIR / "case.yaml"
    path.write_bytes(data)
    from fuzz_specs import validate_file
    signal.alarm(SECONDS)
    try:
        print("->", validate_file(path))
    except Exception:
        tb = traceback.format_exc()
        print(tb if len(tb) < 8000 else tb[:3000] + "\n...\n" + tb[-3000:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--case", type=int, default=None, help="show one case and its outcome")
    ap.add_argument("--show", action="store_true")
    args = ap.parse_args()
    if args.case is not None:
        return show(args.seed, args.case)
    counts = collections.Counter()
    escapes = collections.defaultdict(list)
    slowest = (0.0, None)
    start = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(args.jobs, initializer=_init,
                                                  maxtasksperchild=2000) as pool:
        for k, outcome, seconds in pool.imap_unordered(
                run_case, ((args.seed, k) for k in range(args.n)), chunksize=20):
            counts[outcome] += 1
            done = sum(counts.values())
            if done % 1000 == 0:
                print(f"{done:,} cases: {dict(counts)}", file=sys.stderr, flush=True)
            slowest = max(slowest, (seconds, k), key=lambda s: s[0])
            if outcome.startswith("escape"):
                escapes[outcome].append(k)
                print(f"case {k}: {outcome}", file=sys.stderr, flush=True)
    wall = time.perf_counter() - start
    total_escapes = sum(v for o, v in counts.items() if o.startswith("escape"))
    print(f"{args.n:,} cases, seed {args.seed}, {args.jobs} jobs, {wall:.0f} s "
          f"(slowest case {slowest[0]:.2f} s: #{slowest[1]})\n")
    print("| outcome | cases |\n|---|---:|")
    print(f"| clean error (SpecError, one bounded line per problem) | {counts['error']:,} |")
    print(f"| accepted | {counts['accepted']:,} |")
    print(f"| escapes | {total_escapes:,} |")
    for outcome in sorted(escapes):
        print(f"| {outcome} | {counts[outcome]:,} (cases {', '.join(map(str, escapes[outcome][:8]))}) |")
    return 1 if total_escapes else 0


if __name__ == "__main__":
    sys.exit(main())
