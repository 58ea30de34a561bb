"""What `kspec grade` and `kspec rubric ...` print: a progress bar with ETA, the
summary, one line per problem. cli.py parses the arguments and calls these."""
from __future__ import annotations

import sys
from pathlib import Path

import click


def grade(rubric: Path, submissions: Path | None, out: Path | None, jobs: int, force: bool,
          gradescope: bool, results: Path | None):
    from .folder import GradeError, grade_folder, grade_gradescope
    if gradescope:
        g = grade_gradescope(rubric, submissions, results)
        click.echo(f"{g.score:g} / {g.max_score:g} ({g.status}); wrote "
                   f"{results or '/autograder/results/results.json'}")
        return
    if submissions is None or out is None:
        raise click.UsageError("give the submissions folder and --out DIR "
                               "(or --gradescope for one submission)")
    bar = None

    def start(n):
        nonlocal bar
        if n:
            bar = click.progressbar(length=n, label=f"grading {n} submission(s)", show_eta=True,
                                    show_pos=True, file=sys.stderr)
            bar.__enter__()

    def graded(g):
        if bar is not None:
            bar.update(1)

    try:
        result = grade_folder(rubric, submissions, out, jobs=jobs, force=force,
                              on_start=start, on_graded=graded)
    except GradeError as exc:
        raise click.UsageError(str(exc)) from None
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    if result.skipped:
        click.echo(f"{result.skipped} submission(s) already graded and unchanged: kept "
                   "(--force regrades them)")
    click.echo(result.summary)
    click.echo(f"\nwrote {out}/<student>/results.json, feedback.md; {out}/grades.csv, "
               f"similarity.csv, summary.md ({result.new} graded in {result.seconds:g} s)")


def check(rubric: Path):
    from .rubric import load_rubric
    lr = load_rubric(rubric)
    r = lr.rubric
    click.echo(f"{lr.path}: ok ({len(r.checks)} checks, {r.max_score:g} points)")
    for c in r.checks:
        click.echo(f"  {c.points:>5g}  {c.kind:<6} {c.visibility:<16} {c.name}")


def calibrate(rubric: Path, solution: Path, runs: int, jobs: int):
    from .calibrate import CalibrationError
    from .calibrate import calibrate as run
    try:
        result = run(rubric, solution, runs, jobs)
    except CalibrationError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo("\n".join(result.lines))
