"""What `kspec grade` and `kspec rubric ...` print: a progress bar with ETA, the
summary, one line per problem. cli.py parses the arguments and calls these."""
from __future__ import annotations

import sys
from pathlib import Path

import click


def grade(rubric: Path, submissions: Path | None, out: Path | None, jobs: int, force: bool,
          gradescope: bool, results: Path | None, only: str | None = None):
    from .folder import GradeError, grade_folder, grade_gradescope
    if gradescope:
        try:
            g = grade_gradescope(rubric, submissions, results)
        except GradeError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        click.echo(f"{g.score:g} / {g.max_score:g} ({g.status}); wrote "
                   f"{results or '/autograder/results/results.json'}")
        return
    if submissions is None or out is None:
        raise click.UsageError("give the submissions folder and --out DIR "
                               "(or --gradescope for one submission)")
    names = [n.strip() for n in only.split(",") if n.strip()] if only else None
    if only is not None and not names:
        raise click.UsageError("--only takes submission names, e.g. --only alice,bob")
    count = {"done": 0, "of": 0}

    def start(n):
        count["of"] = n
        if n:
            click.echo(f"grading {n} submission(s) ({jobs} at once)")

    def graded(g):  # one line as each grade is written: the batch may take a while
        count["done"] += 1
        width = len(str(count["of"]))
        status = "" if g.status == "ok" else f"  ({g.status})"
        click.echo(f"[{count['done']:>{width}}/{count['of']}] {g.student:<16} "
                   f"{g.score:>6g} / {g.max_score:g}  {g.seconds:6.1f} s{status}")

    try:
        result = grade_folder(rubric, submissions, out, jobs=jobs, force=force,
                              on_start=start, on_graded=graded, only=names)
    except GradeError as exc:  # bad usage: one line, exit 2
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if result.skipped:
        why = "kept as they are (--only)" if names else "kept (--force regrades them)"
        click.echo(f"{result.skipped} submission(s) already graded and unchanged: {why}"
                   if not names else f"{result.skipped} other submission(s): {why}")
    if result.new:
        scores = [g.score for g in result.graded]
        click.echo(f"total: {result.new} graded in {result.seconds:g} s; {len(scores)} "
                   f"grade(s) in all, mean {sum(scores) / len(scores):.2f} / "
                   f"{result.graded[0].max_score:g}")
    click.echo(result.summary)
    click.echo(f"\nwrote {out}/<student>/results.json, feedback.md; "
               + ", ".join(f"{out}/{f}" for f in result.files)
               + f" ({result.new} graded in {result.seconds:g} s)")


def check(rubric: Path):
    from .rubric import load_rubric
    lr = load_rubric(rubric)
    r = lr.rubric
    for p in lr.warnings:
        click.echo(p.render(), err=True)
    from .rubric import solution_warnings
    missed = solution_warnings(lr)
    for line in missed:
        click.echo(f"{lr.path}: warning: solution: {line}", err=True)
    count = len(lr.warnings) + len(missed)
    note = f", {count} warning(s)" if count else ""
    click.echo(f"{lr.path}: ok ({len(r.checks)} checks, {r.max_score:g} points{note})")
    for c in r.checks:
        click.echo(f"  {c.points:>5g}  {c.kind:<6} {c.visibility:<16} {c.name}")


def calibrate(rubric: Path, solution: Path, runs: int, jobs: int):
    from .calibrate import CalibrationError
    from .calibrate import calibrate as run
    click.echo(f"training the solution {runs} time(s) ({jobs} at once)")

    def trained(done, of, result):  # one line as each training ends: each takes a while
        width = len(str(of))
        seeds = ", ".join(str(r["seed"]) for r in result.get("runs") or [])
        what = f"seed {seeds}" if seeds else str(result.get("error") or result.get("status"))
        click.echo(f"[{done:>{width}}/{of}] {what:<12} {result.get('seconds', 0):6.1f} s")

    try:
        result = run(rubric, solution, runs, jobs, on_run=trained)
    except CalibrationError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo("\n".join(result.lines))
    click.echo(f"total: {len(result.runs)} training(s) in {result.seconds:g} s "
               f"({result.jobs} at once), {result.epochs} epoch(s) each")


def new(rubric: Path, solution: Path | None, force: bool, runs: int = 0, jobs: int = 1):
    from .calibrate import CalibrationError
    from .rubric import load_rubric
    from .template import write_template
    try:
        write_template(rubric, solution, force, runs, jobs)
    except (FileExistsError, ValueError, CalibrationError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    lr = load_rubric(rubric)  # the template must pass its own check
    what = f"checks proposed from {solution}" if solution else "a template"
    if runs:
        what += f", the trained check calibrated on {runs} training(s)"
    click.echo(f"wrote {rubric}: {what} ({len(lr.rubric.checks)} checks, "
               f"{lr.rubric.max_score:g} points); next: kspec rubric check {rubric}")
