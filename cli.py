"""The `kspec` command line: parse, call the builder, print. No logic of its own.

Exit codes: 0 ok, 1 a problem with the spec or its data (printed as one line
per problem, never a traceback), 2 bad usage of the command itself.
"""
from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from builder.core.problems import SpecError


def user_errors(fn):
    """Print problems caused by the user's spec or data; exit 1, no traceback."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from builder.core.files import FileRefused
        from builder.data.sources import DataLoadError
        from builder.run.folder import RunFolderError, TrialPruned
        try:
            return fn(*args, **kwargs)
        except SpecError as exc:
            for p in exc.problems:
                click.echo(p.render(), err=True)
            sys.exit(1)
        except TrialPruned as exc:  # a sweep's trial stopped by its pruner (run/study.py)
            click.echo(str(exc), err=True)
            sys.exit(3)  # builder/run/sweep.PRUNED_EXIT
        except (DataLoadError, RunFolderError, FileRefused) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        except KeyboardInterrupt as exc:
            # a run folder is only renamed into place when complete; an interrupted
            # training keeps its last finished epoch in RUN.partial/ (run/checkpoint.py)
            partial = getattr(exc, "kspec_resume", None)
            if partial is None:
                click.echo("interrupted; nothing was saved", err=True)
            else:
                from builder.run.folder import resume_command
                click.echo(f"interrupted; the last finished epoch is kept in {partial}; "
                           f"continue with: {resume_command(partial)}", err=True)
            sys.exit(130)
    return wrapper


# one --set option for every command that reads a spec
_set = click.option(
    "--set", "overrides", multiple=True, metavar="KEY=VALUE",
    help="override a value with YAML syntax, e.g. --set train.epochs=5 or "
         "--set train.optimizer.learning_rate=0.01 (repeatable)")


def _max_weights(ctx, param, value):
    """--max-weights SIZE sets KSPEC_MAX_WEIGHTS while this command runs (the one place
    the cap is read: builder/spec/counts.py)."""
    if value is not None:
        import os

        from builder.spec.counts import ENV, parse_size
        try:
            parse_size(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
        before = os.environ.get(ENV)
        os.environ[ENV] = value
        ctx.call_on_close(lambda: os.environ.pop(ENV) if before is None
                          else os.environ.__setitem__(ENV, before))


# ... and --max-weights: the cap on a model's float32 weights, checked before building
_cap = click.option(
    "--max-weights", metavar="SIZE", expose_value=False, callback=_max_weights,
    help="refuse models whose float32 weights exceed SIZE (default 2GB, or "
         "KSPEC_MAX_WEIGHTS; 'none' for no cap)")


def set_option(fn):
    return _set(_cap(fn))


def exit_now():
    """End the `kspec` program at once, skipping the interpreter's teardown.

    After TensorFlow is loaded, Python's teardown takes seconds (4.4 s measured on the
    2-core machine, benchmarks/README.md) and saves nothing: a command calls this only
    when its files are written whole and its last line is printed. Only when this
    module is the program (the `kspec` script or `python cli.py`), never when a test or
    a notebook calls main()."""
    if Path(sys.argv[0]).name in ("kspec", "cli.py") and "tensorflow" in sys.modules:
        import logging
        import os
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def _warn(problems):
    for p in problems:
        click.echo(p.render(), err=True)


# `kspec --help` lists the commands in these sections, in this order (each command in
# exactly one: tests/test_core_options.py checks it; README's Commands table follows it)
SECTIONS = {
    "write and check": ["validate", "summary", "explain", "data", "new", "list", "show",
                        "catalog"],
    "train and use": ["train", "sweep", "evaluate", "predict", "generate", "interpolate",
                      "reconstruct", "arithmetic", "forecast", "play"],
    "see inside": ["inspect", "apply", "plot", "report", "compare"],
    "share": ["export", "fingerprint", "diff", "schema", "codegen", "import", "upgrade"],
    "grade": ["rubric", "grade"],
    "studio": ["studio"],
}


class SectionedGroup(click.Group):
    """A group whose help lists its commands by section (click's formatting hook)."""

    def format_commands(self, ctx, formatter):
        width = formatter.width - 6 - max(len(name) for name in self.commands)
        for title, names in SECTIONS.items():
            rows = [(name, self.commands[name].get_short_help_str(width)) for name in names
                    if name in self.commands and not self.commands[name].hidden]
            if rows:
                with formatter.section(title[0].upper() + title[1:]):
                    formatter.write_dl(rows)


@click.group(cls=SectionedGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kspec", prog_name="kspec")
def main():
    """kspec: write a model as YAML, build it with Keras, train it, share it."""
    if Path(sys.argv[0]).name in ("kspec", "cli.py"):  # the program, not a test calling main()
        import os
        # kspec uses no pydantic plugins; looking for them reads every installed package's
        # metadata (about 10 ms of each start)
        os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")


@main.command()
@click.argument("specs", nargs=-1, required=True)
@set_option
def validate(specs, overrides):
    """Check SPECS (paths or bundled names): schema, graph, shapes and lint.

    Instant: TensorFlow is not loaded. Exit 1 if any spec has an error."""
    from builder.spec.load import load_spec
    from builder.spec.counts import network_sizes
    failed = False
    for spec in specs:
        try:
            loaded = load_spec(spec, overrides)
        except SpecError as exc:
            failed = True
            _warn(exc.problems)
            continue
        _warn(loaded.warnings)
        note = f", {len(loaded.warnings)} warning(s)" if loaded.warnings else ""
        click.echo(f"{loaded.path}: ok ({network_sizes(loaded.spec)}{note})")
    sys.exit(1 if failed else 0)


@main.command()
@click.argument("spec")
@set_option
@user_errors
def summary(spec, overrides):
    """Layer table of SPEC: output shapes and parameter counts, as Keras counts them."""
    from builder.spec.load import load_spec
    loaded = load_spec(spec, overrides)
    _warn(loaded.warnings)
    from builder.build.model import build_models
    from builder.build.summary import summary_text
    built = build_models(loaded)
    click.echo(f"{loaded.spec.name}: {' '.join(loaded.spec.description.split())}")
    for role, (model, plan) in built.items():
        click.echo(f"\n{role}:" if role != "model" else "")
        click.echo(summary_text(model, plan))


@main.command()
@click.argument("spec", required=False)
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="run folder to write (default runs/<name>-<time>)")
@click.option("--epochs", type=click.IntRange(min=1), default=None, help="override train.epochs")
@click.option("--resume", type=click.Path(path_type=Path), default=None, metavar="RUN.partial",
              help="continue an interrupted run from its last finished epoch (no SPEC)")
@set_option
@click.option("--quiet", "-q", is_flag=True, help="no progress bar")
@user_errors
def train(spec, out, epochs, resume, overrides, quiet):
    """Train SPEC, evaluate it on the test split and save the run folder.

    Every finished epoch is kept in RUN.partial/ until the run ends: after Ctrl-C or a
    crash, `kspec train --resume RUN.partial` continues where it stopped."""
    from builder.run.study import watch_from_env
    watch_from_env()  # a trial of kspec sweep: report each epoch, stop when pruned
    if resume is not None:
        if spec or out or epochs or overrides:
            raise click.UsageError("--resume continues a run as it was started: give no SPEC, "
                                   "--out, --epochs or --set with it")
        from builder.run.checkpoint import resume_spec
        loaded, epochs = resume_spec(resume)
    elif spec is None:
        raise click.UsageError("give a SPEC to train, or --resume RUN.partial")
    else:
        from builder.spec.load import load_spec
        loaded = load_spec(spec, overrides)
        _warn([w for w in loaded.warnings if not w.data_missing])  # reading says it
    from builder.tasks.base import train_spec
    result = train_spec(loaded, out=out, epochs=epochs, verbose=0 if quiet else None)
    for part in ("train", "validation", "test"):
        if isinstance(result.metrics.get(part), dict):
            values = ", ".join(f"{k} {v:.4f}" for k, v in result.metrics[part].items())
            click.echo(f"{part:>10}: {values}")
    for line in getattr(result, "notes", ()):  # task extras: baselines, a text sample
        click.echo(line)
    if result.path is not None:  # a multi_worker worker other than the chief: no folder
        click.echo(f"saved run: {result.path}")
    exit_now()


@main.command()
@click.argument("spec")
@click.option("--set", "overrides", multiple=True, metavar="KEY=V1,V2,...",
              help="a key to sweep over its comma-separated values, or a range LOW..HIGH "
                   "(LOW..HIGH:log); one value: set in every trial; repeatable")
@click.option("--sampler", "--method", "sampler", type=click.Choice(["grid", "random", "tpe"]),
              default=None, help="grid: every combination (default); random: seeded draws; "
                                 "tpe: Optuna's model-based sampler")
@click.option("--trials", type=click.IntRange(min=1), default=None,
              help="how many trials (default: every combination; random, tpe: 10)")
@click.option("--metric", default=None,
              help="a logged value (history.csv column; default val_loss); its best epoch "
                   "ranks the trials")
@click.option("--direction", type=click.Choice(["minimize", "maximize"]), default=None,
              help="default: minimize a loss or error, maximize anything else")
@click.option("--pruner", type=click.Choice(["median", "percentile", "none"]), default=None,
              help="stop weak trials from their per-epoch metric (default median)")
@click.option("--jobs", type=click.IntRange(min=1), default=1, help="trials trained at once")
@click.option("--storage", default=None, metavar="URL",
              help="the Optuna study's database (default sqlite in the sweep folder); the "
                   "same URL on several machines joins one study")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="sweep folder (default sweeps/<name>-<time>); an existing one resumes")
@_cap
@user_errors
def sweep(spec, overrides, sampler, trials, metric, direction, pruner, jobs, storage, out):
    """Train SPEC over a search space with Optuna; prune weak trials; rank by --metric."""
    from builder.run.folder import default_dir
    from builder.run.sweep import Sweep, parse_axes, table_lines
    from builder.spec.load import load_spec
    loaded = load_spec(spec, parse_axes(overrides)[1])
    from builder.spec.parts import require
    require(loaded, doing="training")
    _warn(loaded.warnings)
    out = out or default_dir(loaded.spec.name, Path("sweeps"))
    job = Sweep(spec, overrides, out, [sys.executable, str(Path(__file__).resolve())],
                declared=loaded.spec.sweep, storage=storage, echo=click.echo, sampler=sampler,
                trials=trials, metric=metric, direction=direction, pruner=pruner)
    job.open()
    s = job.settings
    click.echo(f"sweep {job.study_name}: {s.trials} trial(s), {s.sampler} sampler, "
               f"{s.direction} {s.metric}, pruner {s.pruner['kind']}; folder {out}")
    try:
        job.run(jobs)
    except KeyboardInterrupt:
        click.echo(f"sweep stopped; finished trials are kept in its study; resume with the "
                   f"same command (--out {out})", err=True)
        sys.exit(130)
    rows = job.rows()
    best = job.write_results(rows)
    for line in table_lines(rows, job.axes, s.metric):
        click.echo(line)
    if best is None:
        click.echo(f"no trial finished; see the logs in {out / 'trials'}", err=True)
        sys.exit(1)
    click.echo(f"best: trial {best.number:03d}, {s.metric} {best.score:.4f} at epoch {best.epoch}")
    click.echo(f"saved sweep: {out} (results.csv, best.yaml, sweep.png)")


@main.command(name="list")
@click.option("--lecture", metavar="LNN", help="only the specs that cover this lecture, e.g. L28")
def list_specs(lecture):
    """The bundled specs, one line each, grouped by topic, with their lecture ids."""
    from builder.spec.library import entries
    from builder.spec.schema import LECTURES, unknown_lecture
    if lecture is not None and lecture not in LECTURES:
        raise click.BadParameter(unknown_lecture(lecture), param_hint="--lecture")
    shown = entries(lecture)
    width = max((len(e.name) for e in shown), default=0)
    topic = None
    for entry in shown:
        if entry.topic != topic:
            topic = entry.topic
            click.echo(f"{topic}/")
        click.echo(f"  {entry.name:<{width}}  {','.join(entry.lectures):<7}  {entry.summary}")


@main.command()
@click.argument("name")
@click.option("--yaml", "as_yaml", is_flag=True, help="print the spec file itself")
@user_errors
def show(name, as_yaml):
    """The bundled spec NAME (or any spec file): its lectures and whole description."""
    from builder.spec.library import describe, resolve_spec_path
    from builder.spec.load import read_text  # a regular file of bounded size
    path = resolve_spec_path(name)
    click.echo(read_text(path) if as_yaml else describe(path), nl=False)


@main.command()
@click.argument("kind", required=False)
def catalog(kind):
    """Names kspec knows: layers, activations, losses, optimizers, metrics, ..."""
    from builder.spec.catalogs import ALL
    from builder.tasks import TASKS
    if kind is None:
        for what, cat in ALL.items():
            click.echo(f"{what:<12} {len(cat.entries)} names: kspec catalog {what}")
        click.echo(f"{'tasks':<12} {len(TASKS.names())} names: kspec catalog tasks")
        return
    if kind in ("task", "tasks"):
        for name in TASKS.names():
            task = TASKS[name]
            roles = f"  [models: {', '.join(task.roles)}]" if task.roles else ""
            click.echo(f"{name:<28} {task.doc}{roles}")
        return
    cat = ALL.get(kind.rstrip("s") + "s") or ALL.get(kind)
    if cat is None:
        raise click.UsageError(f"no catalog '{kind}'; choose from {', '.join(ALL)}")
    for name in cat.names():
        cls = cat.entries[name]
        params = [f for f in cls.model_fields if f not in ("name", "inputs", "trainable", "weights")]
        doc = " ".join((cls.doc or "").split())
        also = cat.aliases_of(name)
        doc = (f"(also: {', '.join(also)}) " if also else "") + doc
        click.echo(f"{name:<28} {doc}" + (f"  [{', '.join(params)}]" if params else ""))


@main.command()
@click.argument("spec")
@click.option("--plot", "plot_file", type=click.Path(path_type=Path), default=None,
              help="save a picture: an image grid, the series and its split, or histograms")
@set_option
@user_errors
def data(spec, plot_file, overrides):
    """What SPEC's data looks like after preprocessing: splits, shapes, classes, examples."""
    from builder.spec.load import load_spec
    loaded = load_spec(spec, overrides)
    _warn(loaded.warnings)
    from builder.data.pipeline import prepare_spec
    from builder.data.report import describe, plot
    prepared = prepare_spec(loaded)
    click.echo(describe(prepared, loaded.spec.data, loaded.spec.seed))
    if plot_file is not None:
        plot(prepared, loaded.spec.data, plot_file, loaded.spec.name)
        click.echo(f"saved plot: {plot_file}")


@main.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--data", "data_file", default=None, metavar="SPEC_OR_FILE",
              help="evaluate on this instead: a spec's data source, a .csv with the target "
                   "column, an .npz with x and y, or an image folder")
@user_errors
def evaluate(run_dir, data_file):
    """Metrics of the trained model in RUN_DIR, with the run's saved preprocessing."""
    from builder.tasks.base import use
    for part, values in use("evaluate", run_dir, data=data_file).items():
        click.echo(f"{part:>10}: " + ", ".join(
            f"{k} {v:.4f}" if k != "examples" else f"{k} {v}" for k, v in values.items()))


@main.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--input", "input_path", required=True, type=click.Path(path_type=Path),
              help="raw inputs: a .csv with a header row, .npy/.npz, an image or a folder of "
                   "images, or a text prompt for a language model")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="write here (.csv, or .npy for the raw outputs; .npz for a model with several outputs); default: print")
@click.option("--length", type=click.IntRange(min=1), default=200,
              help="language models: tokens to generate")
@click.option("--temperature", type=click.FloatRange(min=0), default=1.0,
              help="language models: 0 picks the likeliest token, higher is more varied")
@click.option("--seed", type=int, default=0, help="language models: sampling seed")
@click.option("--resize", is_flag=True,
              help="images of another size than the model's input are resized (bilinear) "
                   "instead of refused")
@user_errors
def predict(run_dir, input_path, out, length, temperature, seed, resize):
    """Predictions of the model in RUN_DIR for new raw inputs (the run's preprocessing applies)."""
    from builder.tasks.base import use
    from builder.tasks.supervised.use import write_predictions
    predictions = use("predict", run_dir, input_path=input_path, length=length,
                      temperature=temperature, seed=seed, resize=resize or None)
    text = write_predictions(predictions, out)
    if text is not None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        click.echo(f"saved predictions: {out}", err=True)


@main.command()
@click.argument("rubric", type=click.Path(path_type=Path))
@click.argument("submissions", required=False, type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="folder for every result (required unless --gradescope)")
@click.option("--jobs", type=click.IntRange(min=1), default=1, help="submissions graded at once")
@click.option("--force", is_flag=True, help="regrade submissions that are already graded")
@click.option("--gradescope", is_flag=True,
              help="grade one submission for Gradescope's harness (default: /autograder/submission)")
@click.option("--results", type=click.Path(path_type=Path), default=None,
              help="with --gradescope: where results.json goes "
                   "(default /autograder/results/results.json)")
@click.option("--only", metavar="NAME[,NAME]", default=None,
              help="regrade these submissions; the others' grades stay as they are")
@user_errors
def grade(rubric, submissions, out, jobs, force, gradescope, results, only):
    """Grade the specs in SUBMISSIONS against RUBRIC; each in its own limited process.

    Writes OUT/<student>/results.json (Gradescope), feedback.md, details.json, and
    OUT/grades.csv, canvas.csv, moodle.csv, similarity.csv, summary.md (and
    leaderboard.csv when the rubric has one). Resumable: unchanged submissions
    already graded are kept."""
    from builder.grade import console
    console.grade(rubric, submissions, out, jobs, force, gradescope, results, only)


@main.group()
def rubric():
    """Grading rubrics: start one, check one, calibrate its floors and targets."""


@rubric.command(name="check")
@click.argument("rubric_file", metavar="RUBRIC", type=click.Path(path_type=Path))
@user_errors
def rubric_check(rubric_file):
    """Validate RUBRIC and list its checks (instant; nothing is trained)."""
    from builder.grade import console
    console.check(rubric_file)


@rubric.command(name="new")
@click.argument("rubric_file", metavar="FILE", type=click.Path(path_type=Path))
@click.option("--from", "solution", type=click.Path(path_type=Path), default=None,
              help="propose the checks from this solution spec")
@click.option("--calibrate", "runs", type=click.IntRange(min=0), default=0, metavar="K",
              help="with --from: train the solution K times to set the trained check's "
                   "floor and target")
@click.option("--jobs", type=click.IntRange(min=1), default=1, help="trainings at once")
@click.option("--force", is_flag=True, help="overwrite FILE")
@user_errors
def rubric_new(rubric_file, solution, runs, jobs, force):
    """Write a commented rubric to FILE (checks proposed from a solution with --from)."""
    from builder.grade import console
    console.new(rubric_file, solution, force, runs, jobs)


@rubric.command()
@click.argument("rubric_file", metavar="RUBRIC", type=click.Path(path_type=Path))
@click.argument("solution", type=click.Path(path_type=Path))
@click.option("--runs", type=click.IntRange(min=1), default=3, help="how many trainings")
@click.option("--jobs", type=click.IntRange(min=1), default=1, help="trainings at once")
@user_errors
def calibrate(rubric_file, solution, runs, jobs):
    """Train SOLUTION K times as the grader would; show each metric's spread."""
    from builder.grade import console
    console.calibrate(rubric_file, solution, runs, jobs)


# ---- sharing and authoring (builder/share) -------------------------------------------


def _emit(text: str, out):
    """Print `text`, or write it whole to `out` (never a half-written file)."""
    if out is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    from builder.core.atomic import write_text
    write_text(out, text)
    click.echo(f"wrote {out}", err=True)


@main.command()
@click.argument("spec")
@click.option("-o", "--out", type=click.Path(path_type=Path), default=None,
              help="write here instead of printing")
@set_option
@user_errors
def export(spec, out, overrides):
    """SPEC as one self-contained file: extends resolved, every default written out,
    canonical key order, and a header with its fingerprint."""
    from builder.share.canonical import export_text
    from builder.share.new import with_modeline
    from builder.spec.load import load_spec
    text = export_text(load_spec(spec, overrides))
    _emit(with_modeline(text, out) if out is not None else text, out)


@main.command()
@click.argument("specs", nargs=-1, required=True)
@set_option
@user_errors
def fingerprint(specs, overrides):
    """A hash of each spec's meaning: the same for specs that differ only in comments,
    key order or defaults written out; different after any change that matters."""
    from builder.share.canonical import fingerprint as fp
    from builder.spec.load import load_spec
    for spec in specs:
        loaded = load_spec(spec, overrides)
        click.echo(f"{fp(loaded.spec)}  {spec}")


@main.command()
@click.argument("a")
@click.argument("b")
@click.option("--no-params", is_flag=True, help="skip the parameter counts (no TensorFlow)")
@set_option
@user_errors
def diff(a, b, no_params, overrides):
    """What B changes compared with A: fields (old -> new), layers added, removed or
    changed (by name or position), and the change in parameter count. --set applies to
    B (`kspec diff X X --set ...` shows what the values change)."""
    from builder.share.diff import diff_text
    from builder.spec.load import load_spec
    click.echo(diff_text(load_spec(a), load_spec(b, overrides), counts=not no_params), nl=False)


@main.command()
@click.option("-o", "--out", type=click.Path(path_type=Path), default=None,
              help="write here instead of printing (e.g. schema/kspec.schema.json)")
def schema(out):
    """The spec language as a JSON Schema (draft-07), for editor completion and checks."""
    from builder.spec.jsonschema import schema_text
    _emit(schema_text(), out)


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--from", "base", metavar="NAME", default=None,
              help="start from this bundled spec (kspec list shows them), with extends")
@click.option("--inline", is_flag=True, help="with --from: copy the whole spec instead")
@click.option("--force", is_flag=True, help="overwrite FILE if it exists")
@user_errors
def new(file, base, inline, force):
    """Write a new spec to FILE: a commented template, or one that extends a bundled spec."""
    from builder.core.atomic import write_text
    from builder.share.new import new_spec_text
    from builder.spec.load import load_spec
    if inline and base is None:
        raise click.UsageError("--inline copies the spec named by --from")
    if file.exists() and not force:
        raise click.UsageError(f"{file} exists; choose another name or add --force")
    write_text(file, new_spec_text(file, base, inline))
    loaded = load_spec(file)  # what `new` writes must be a valid spec
    click.echo(f"wrote {file} ({loaded.spec.name}); check it with: kspec validate {file}")


@main.command()
@click.argument("spec")
@click.option("-o", "--out", type=click.Path(path_type=Path), default=None,
              help="write the script here (FILE.py) instead of printing it")
@set_option
@user_errors
def codegen(spec, out, overrides):
    """SPEC as a plain Keras script: build_model() and, for supervised specs, the same
    compile and fit, run only when the script itself is run (the __main__ guard)."""
    from builder.share.codegen import codegen_text
    from builder.share.keras_code import CodegenError
    from builder.spec.load import load_spec
    loaded = load_spec(spec, overrides)
    _warn(loaded.warnings)
    try:
        _emit(codegen_text(loaded, out), out)
    except CodegenError as exc:
        raise SpecError.single(f"{loaded.path}: {exc}") from None


@main.command(name="import")
@click.argument("model_file", type=click.Path(path_type=Path))
@click.option("-o", "--out", type=click.Path(path_type=Path), default=None,
              help="write the spec here (FILE.yaml) instead of printing it")
@click.option("--extends", "base", metavar="SPEC", default=None,
              help="take data (and training, if the model has none) from this spec")
@user_errors
def import_model(model_file, out, base):
    """A spec for the Keras model in MODEL_FILE (.keras), made of catalog layers."""
    from builder.share.canonical import dump_yaml
    from builder.share.keras_import import import_spec
    from builder.share.new import modeline
    data, notes = import_spec(model_file, base, out)
    header = modeline(out or Path("spec.yaml")) + f"\n# imported by kspec from {model_file}\n"
    _emit(header + dump_yaml(data), out)
    for note in notes:
        click.echo(f"note: {note}", err=True)


@main.command()
@click.argument("spec")
@set_option
@user_errors
def explain(spec, overrides):
    """How each layer's output shape and parameter count arise, with the numbers filled
    in (checked against Keras' own counts)."""
    from builder.share.explain import explain_text
    from builder.spec.load import load_spec
    loaded = load_spec(spec, overrides)
    _warn(loaded.warnings)
    click.echo(explain_text(loaded), nl=False)


@main.command()
@click.argument("spec", type=click.Path(path_type=Path))
@click.option("-o", "--out", type=click.Path(path_type=Path), default=None,
              help="write the upgraded spec here (default: print it)")
@click.option("--in-place", is_flag=True, help="rewrite SPEC itself")
@user_errors
def upgrade(spec, out, in_place):
    """Convert SPEC from an older spec format to the current one (format 1)."""
    from builder.spec.upgrade import upgrade_file
    if in_place and out is not None:
        raise click.UsageError("give -o or --in-place, not both")
    text, notes = upgrade_file(spec)
    for note in notes:
        click.echo(f"upgraded: {note}", err=True)
    if not notes:
        click.echo(f"{spec} is already in the current format", err=True)
    if in_place:
        if notes:
            _emit(text, spec)
        return
    if out is not None and notes:
        from builder.share.new import with_modeline
        text = with_modeline(text, out) if text.startswith("# yaml-language-server:") else text
    _emit(text, out)


@main.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--steps", type=click.IntRange(min=1), required=True,
              help="values to forecast past the end of the series")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="CSV to write (default RUN_DIR/forecast_<steps>.csv); the plot goes beside it")
@user_errors
def forecast(run_dir, steps, out):
    """Forecast STEPS values after the series of a forecasting run, recursively (each
    prediction becomes the last value of the next window)."""
    from builder.tasks.base import use
    path, plot, rows = use("forecast", run_dir, steps=steps, out=out)
    for step, time, value in rows:
        click.echo(f"{time:>12}  {value:g}")
    click.echo(f"saved forecast: {path} and {plot}")


def _run_task_command(command, run_dir, **options):
    """Hand a trained run to its task (builder/tasks/base.use); print what it says."""
    from builder.tasks.base import TaskUsageError, use
    try:
        click.echo(use(command, run_dir, **options))
    except TaskUsageError as exc:
        raise click.UsageError(str(exc)) from None


RUN_DIR = click.argument("run_dir", type=click.Path(path_type=Path))
OUT_IMAGE = click.option("--out", type=click.Path(path_type=Path), default=None,
                         help="FILE.png (an image grid) or FILE.npy (the array), in the data's "
                              "original units (default: a PNG in RUN_DIR)")
SEED = click.option("--seed", type=int, default=None,
                    help="the same seed gives the same output (default: the spec's seed)")


@main.command()
@RUN_DIR
@click.option("--n", "n", type=click.IntRange(min=1), default=None,
              help="how many samples to draw (image models; default 16)")
@click.option("--label", type=click.IntRange(min=0), default=None,
              help="the class to draw (cgan runs; default: every class in turn)")
@OUT_IMAGE
@SEED
@click.option("--temperature", type=click.FloatRange(min=0), default=None,
              help="spread of the randomness: latent noise scale for image models, "
                   "softmax temperature for language models (default 1; 0: the likeliest "
                   "token every time, as in kspec predict)")
@click.option("--prompt", default=None, help="text to continue (language models)")
@click.option("--length", type=click.IntRange(min=1), default=None,
              help="tokens to write (language models)")
@click.option("--top-k", "top_k", type=click.IntRange(min=1), default=None,
              help="sample only among the k likeliest tokens (language models)")
@user_errors
def generate(run_dir, **options):
    """New samples from a trained run: images from a generative model (autoencoder, vae,
    gan, cgan, diffusion, flow), text from a language model."""
    _run_task_command("generate", run_dir, **options)


@main.command()
@RUN_DIR
@click.option("--steps", type=click.IntRange(min=2), default=None,
              help="images along each walk (default 10)")
@click.option("--n", "n", type=click.IntRange(min=1), default=None,
              help="how many walks, one per row (default 4)")
@click.option("--label", type=click.IntRange(min=0), default=None,
              help="the class of every row (cgan runs; default: one class per row)")
@OUT_IMAGE
@SEED
@user_errors
def interpolate(run_dir, **options):
    """Walk the latent space of a generative run in straight lines: between two encoded
    test examples (autoencoder, vae, flow) or two random latents (gan, cgan, diffusion)."""
    _run_task_command("interpolate", run_dir, **options)


@main.command()
@RUN_DIR
@click.option("--n", "n", type=click.IntRange(min=1), default=None,
              help="how many test examples (default 10)")
@OUT_IMAGE
@SEED
@user_errors
def reconstruct(run_dir, **options):
    """Test examples next to what an autoencoder or VAE run rebuilds from their codes
    (and, for denoising runs, the clean targets)."""
    _run_task_command("reconstruct", run_dir, **options)


@main.command()
@RUN_DIR
@click.argument("expression")
@OUT_IMAGE
@user_errors
def arithmetic(run_dir, expression, out):
    """Latent arithmetic on an autoencoder or VAE run: EXPRESSION like "7 - 1 + 4" decodes
    the mean code of class 7 minus that of 1 plus that of 4."""
    _run_task_command("arithmetic", run_dir, expression=expression, out=out)


# ---- seeing inside a model (builder/see) ------------------------------------------


@main.command()
@click.argument("target", metavar="SPEC|RUN_DIR")
@click.option("--input", "given", required=True, metavar="FILE|VALUES",
              help="one example: a .csv of numbers, .npy/.npz, an image, or values such as "
                   "0,1,2,3 or [[1, 2], [3, 4]]")
@click.option("--layer", default=None, metavar="NAME", help="show only this layer")
@click.option("--weights", "show_weights", is_flag=True, help="show each layer's weights too")
@click.option("--out", type=click.Path(path_type=Path), default=None, metavar="DIR",
              help="write every layer's values (CSV, NPY) and heatmaps (PNG) here")
@click.option("--role", default=None, help="which network of a multi-network spec or run "
              "(generator, discriminator, encoder, decoder...)")
@set_option
@user_errors
def inspect(target, given, layer, show_weights, out, role, overrides):
    """Run the model on one input and show every layer's output (a trained run, or a spec
    as built: its seed's initial weights or the weights it sets by hand)."""
    from builder.see.inspect import inspect as run_inspect
    click.echo(run_inspect(target, given, layer, show_weights, out, overrides, role))


@main.group()
def plot():
    """Pictures: every activation function, or a model as a diagram."""


@plot.command(name="activations")
@click.argument("names", nargs=-1)
@click.option("--derivatives", is_flag=True, help="draw each derivative too (dashed)")
@click.option("--out", type=click.Path(path_type=Path), required=True, metavar="FILE.png")
@user_errors
def plot_activations(names, derivatives, out):
    """NAMES (default: every activation of the catalog) on one labelled grid, as Keras
    computes them."""
    from builder.see.activations import plot_activations as draw
    drawn = draw(names, derivatives, out)
    click.echo(f"wrote {out} ({len(drawn)} activations)")


@plot.command(name="model")
@click.argument("spec")
@click.option("--out", type=click.Path(path_type=Path), required=True, metavar="FILE.svg|.png")
@set_option
@user_errors
def plot_model(spec, out, overrides):
    """SPEC as a diagram: layers with shapes and parameter counts, branches, residual
    joins, repeated blocks, every network (instant: no TensorFlow, no Graphviz)."""
    from builder.see.diagram import plot_model as draw
    from builder.spec.load import load_spec
    loaded = load_spec(spec, overrides)
    _warn(loaded.warnings)
    click.echo(f"wrote {draw(loaded, out)}")


@main.command()
@RUN_DIR
@click.option("--out", type=click.Path(path_type=Path), default=None, metavar="FILE.html",
              help="write here (default RUN_DIR/report.html)")
@user_errors
def report(run_dir, out):
    """One self-contained HTML page of a run: spec, diagram, layers, curves, metrics and
    baselines, confusion matrix, samples, forecasts, text, versions (no network)."""
    from builder.see.report import report_file
    click.echo(f"wrote {report_file(run_dir, out)}")


@main.command()
@click.argument("run_dirs", nargs=-1, required=True, metavar="RUN_DIR...")
@click.option("--out", type=click.Path(path_type=Path), default=None, metavar="FILE.html|.png",
              help="also write the comparison as a page (curves, metrics, differences) or "
                   "the overlaid curves as a picture")
@user_errors
def compare(run_dirs, out):
    """Several runs side by side: final metrics and the spec fields that differ (and,
    with --out, their learning curves overlaid)."""
    from builder.share.compare import compare as run_compare
    click.echo(run_compare(run_dirs, out), nl=False)


@main.command()
@click.argument("spec")
@click.argument("image", metavar="FILE")
@click.option("--out", type=click.Path(path_type=Path), default=None, metavar="DIR",
              help="folder for apply.png and the numbers (default FILE-SPEC)")
@set_option
@user_errors
def apply(spec, image, out, overrides):
    """A convolution spec applied to an image, a .csv or a .npy at its own size: the input
    and output maps as a picture and as numbers (fixed_kernel_conv, say)."""
    from builder.see.apply import apply_spec
    click.echo(apply_spec(spec, image, out, overrides))


@main.command()
@RUN_DIR
@click.option("--episodes", type=click.IntRange(min=1), default=None,
              help="greedy episodes to play and average (default 10)")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="FILE.gif (the first episode) or FILE.png (a strip of its frames) "
                   "(default RUN_DIR/play.gif)")
@SEED
@user_errors
def play(run_dir, **options):
    """Let a trained agent (task dqn) play greedily: the mean return of its episodes,
    and the first one drawn."""
    _run_task_command("play", run_dir, **options)


@main.command()
@click.argument("target", required=False, metavar="[SPEC|FOLDER]")
@click.option("--port", type=click.IntRange(min=0, max=65535), default=0,
              help="port on 127.0.0.1 (default: a free one)")
@user_errors
def studio(target, port):
    """A local web page to write, check, see, train and look inside specs: kspec itself
    behind a server on 127.0.0.1 with a token in the URL it prints (it opens nothing)."""
    from builder.studio.server import StartError, serve
    try:
        serve(target, port, echo=click.echo)
    except StartError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
