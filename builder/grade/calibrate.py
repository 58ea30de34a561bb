"""`kspec rubric calibrate`: train the reference solution K times, exactly as a
submission would be trained (same processes, data, limits), and show the spread
of each metric, so floors and targets are set with the training noise in view."""
from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import preload
from .rubric import load_rubric
from .sandbox import Job, Sandbox


class CalibrationError(Exception):
    """The solution cannot be trained under the rubric; the message says why."""


@dataclass
class Calibration:
    runs: list[dict]  # {"seed", "values": {metric: value}, "epochs_run"}
    epochs: int
    lines: list[str]
    seconds: float = 0.0  # the whole calibration: the static check and every training
    jobs: int = 1


def calibrate(rubric_path, solution, runs: int = 3, jobs: int = 1,
              on_run=None) -> Calibration:
    """`on_run(done, of, result)` is called as each training ends (the console prints a
    line: calibrating takes K trainings' time)."""
    started = time.monotonic()
    lr = load_rubric(rubric_path)
    rubric = lr.rubric
    checks = [c for c in rubric.checks if c.kind == "train"]
    if not checks:
        raise CalibrationError(f"{lr.path} has no train check to calibrate")
    solution = Path(solution)
    if not solution.is_file():
        raise CalibrationError(f"no solution file {solution}")
    limits = rubric.limits
    with tempfile.TemporaryDirectory(prefix="kspec-calibrate-") as tmp:
        sandbox = Sandbox(jobs, Path(tmp), preload.KERAS)
        base = {"rubric": str(lr.path.resolve()), "time_s": limits.time,
                "memory_mb": limits.memory}
        results: dict[str, dict] = {}
        trained = []

        def keep(job, result):
            results[job.name] = result
            if job.name.startswith("run"):
                trained.append(job.name)
                if on_run is not None:
                    on_run(len(trained), runs, result)

        sub = {"student": "solution", "spec": str(solution.resolve()), "folder": None,
               "root": str(solution.resolve().parent), "problem": None}
        sandbox.submit(Job("static", {**base, "phase": "static", "submission": sub},
                           limits.time, limits.memory, keep))
        sandbox.run()
        static = results["static"]
        plan = _plan(static, checks[0].name)
        metrics = sorted({c.train.metric for c in checks})
        for i in range(runs):
            task = {**base, "phase": "train",
                    "plan": {"spec": plan["spec"], "seeds": [rubric.seed + i],
                             "epochs": plan["epochs"], "metrics": metrics}}
            sandbox.submit(Job(f"run{i}", task, limits.time, limits.memory, keep))
        sandbox.run()
    done = []
    for i in range(runs):
        r = results[f"run{i}"]
        if r.get("status") != "ok" or r.get("error") or not r.get("runs"):
            raise CalibrationError(f"run {i + 1} did not finish: "
                                   f"{r.get('error') or r.get('status')}")
        done.extend(r["runs"])
    return Calibration(done, plan["epochs"], report(rubric, checks, done, plan["epochs"], solution),
                       round(time.monotonic() - started, 1), jobs)


def _plan(static: dict, check: str) -> dict:
    if static.get("status") != "ok":
        raise CalibrationError(f"the solution is not gradable ({static.get('status')}): "
                               f"{static.get('note') or static.get('error', '')}")
    plan = static["train"][check]
    if "skip" in plan:
        raise CalibrationError("the solution would not be trained: "
                               + plan["skip"].removeprefix("not trained: "))
    return plan


def report(rubric, checks, runs: list[dict], epochs: int, solution: Path) -> list[str]:
    seeds = ", ".join(str(r["seed"]) for r in runs)
    lines = [f"{rubric.assignment}: {solution.name} trained {len(runs)} time(s) "
             f"(seeds {seeds}), {epochs} epoch(s) each, on the teacher's data"]
    for metric in sorted({c.train.metric for c in checks}):
        values = [r["values"][metric] for r in runs]
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        lines.append(f"  test {metric}: " + " ".join(f"{v:.4f}" for v in values))
        lines.append(f"    median {statistics.median(values):.4f}, mean "
                     f"{statistics.fmean(values):.4f}, std {spread:.4f}, "
                     f"range {min(values):.4f} .. {max(values):.4f}")
    for c in checks:
        body = c.train
        values = [r["values"][body.metric] for r in runs]
        credits = [body.credit(v) for v in values]
        worst = min(values) if body.credit(max(values)) >= body.credit(min(values)) else max(values)
        lines.append(f"  check '{c.name}' (floor {body.floor:g}, target {body.target:g}): "
                     f"the solution earns {min(credits):.0%} .. {max(credits):.0%} of its points")
        if min(credits) < 1:
            lines.append(f"    the target is past the solution's worst run ({worst:.4f}); "
                         "training noise alone would cost the reference solution points")
    return lines
