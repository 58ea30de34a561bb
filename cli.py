"""The `kspec` command line: parse, call the builder, print. No logic of its own.

Exit codes: 0 ok, 1 a problem with the spec or its data (printed as one line
per problem, never a traceback), 2 bad usage of the command itself.
"""
from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from builder.spec.problems import SpecError


def user_errors(fn):
    """Print problems caused by the user's spec or data; exit 1, no traceback."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from builder.data.sources import DataLoadError
        from builder.train.run_folder import RunFolderError
        try:
            return fn(*args, **kwargs)
        except SpecError as exc:
            for p in exc.problems:
                click.echo(p.render(), err=True)
            sys.exit(1)
        except (DataLoadError, RunFolderError) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
    return wrapper


def _warn(problems):
    for p in problems:
        click.echo(p.render(), err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kspec", prog_name="kspec")
def main():
    """kspec: write a model as YAML, build it with Keras, train it, share it."""


@main.command()
@click.argument("specs", nargs=-1, required=True)
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="override a value, e.g. --set train.epochs=5 (repeatable)")
def validate(specs, overrides):
    """Check SPECS (paths or bundled names): schema, graph, shapes and lint.

    Instant: TensorFlow is not loaded. Exit 1 if any spec has an error."""
    from builder.spec.load import load_spec
    failed = False
    for spec in specs:
        try:
            loaded = load_spec(spec, overrides)
        except SpecError as exc:
            failed = True
            _warn(exc.problems)
            continue
        _warn(loaded.warnings)
        note = f" ({len(loaded.warnings)} warning(s))" if loaded.warnings else ""
        click.echo(f"{loaded.path}: ok{note}")
    sys.exit(1 if failed else 0)


@main.command()
@click.argument("spec")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE")
@user_errors
def summary(spec, overrides):
    """Layer table of SPEC: output shapes and parameter counts, as Keras counts them."""
    from builder.spec.load import load_spec
    loaded = load_spec(spec, overrides)
    _warn(loaded.warnings)
    from builder.build.model import build_models
    from builder.summary import summary_text
    click.echo(f"{loaded.spec.name}: {' '.join(loaded.spec.description.split())}")
    for role, (model, plan) in build_models(loaded).items():
        click.echo(f"\n{role}:" if role != "model" else "")
        click.echo(summary_text(model, plan))


@main.command()
@click.argument("spec")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="run folder to write (default runs/<name>-<time>)")
@click.option("--epochs", type=click.IntRange(min=1), default=None, help="override train.epochs")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="override a value, e.g. --set train.optimizer.adam.learning_rate=0.01")
@click.option("--quiet", "-q", is_flag=True, help="no progress bar")
@user_errors
def train(spec, out, epochs, overrides, quiet):
    """Train SPEC, evaluate it on the test split and save the run folder."""
    from builder.spec.load import load_spec
    loaded = load_spec(spec, overrides)
    _warn(loaded.warnings)
    from builder.tasks import TASKS
    result = TASKS[loaded.spec.task].train(loaded, out=out, epochs=epochs,
                                           verbose=0 if quiet else None)
    for part in ("train", "validation", "test"):
        if isinstance(result.metrics.get(part), dict):
            values = ", ".join(f"{k} {v:.4f}" for k, v in result.metrics[part].items())
            click.echo(f"{part:>10}: {values}")
    click.echo(f"saved run: {result.path}")


@main.command(name="list")
def list_specs():
    """The bundled specs, one line each."""
    from builder.spec.library import bundled
    from builder.spec.yamlpos import load_yaml
    for name, path in bundled().items():
        data, _ = load_yaml(path.read_text(encoding="utf-8"), str(path))
        desc = " ".join(str(data.get("description", "")).split())
        click.echo(f"{name:<28} {desc}")


@main.command()
@click.argument("name")
@user_errors
def show(name):
    """Print the bundled spec NAME (or any spec file)."""
    from builder.spec.library import resolve_spec_path
    click.echo(resolve_spec_path(name).read_text(encoding="utf-8"), nl=False)


@main.command()
@click.argument("kind", required=False)
def catalog(kind):
    """Names kspec knows: layers, activations, losses, optimizers, metrics, ..."""
    from builder.catalogs import ALL
    if kind is None:
        for what, cat in ALL.items():
            click.echo(f"{what:<12} {len(cat.entries)} names: kspec catalog {what}")
        return
    cat = ALL.get(kind.rstrip("s") + "s") or ALL.get(kind)
    if cat is None:
        raise click.UsageError(f"no catalog '{kind}'; choose from {', '.join(ALL)}")
    for name in cat.names():
        cls = cat.entries[name]
        params = [f for f in cls.model_fields if f not in ("name", "inputs", "trainable", "weights")]
        doc = " ".join((cls.doc or "").split())
        click.echo(f"{name:<28} {doc}" + (f"  [{', '.join(params)}]" if params else ""))


if __name__ == "__main__":
    main()
