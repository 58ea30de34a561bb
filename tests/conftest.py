"""Shared test helpers: write a spec to a file, run the CLI in-process."""
from __future__ import annotations

import os
import textwrap

import pytest
from click.testing import CliRunner

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture
def write_spec(tmp_path):
    """write_spec(text, name='spec.yaml') -> path of a file holding the dedented text."""
    def _write(text: str, name: str = "spec.yaml"):
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path
    return _write


@pytest.fixture
def cli():
    """cli('validate', path) -> click Result (exit_code, stdout, stderr)."""
    from cli import main
    runner = CliRunner()

    def _run(*args):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
    return _run


DIGITS_HEAD = """
kspec: 1
name: t
data:
  source: {sklearn: digits}
  preprocess: [{scale: 16}, {reshape: [8, 8, 1]}]
"""


@pytest.fixture
def ctrl_c_after(monkeypatch):
    """ctrl_c_after(n): the trainings that follow stop as Ctrl-C stops them (a
    KeyboardInterrupt) right after epoch n's checkpoint is written; ctrl_c_after(None)
    lets them run to the end again (to resume the stopped one)."""
    import builder.run.checkpoint as ck
    real = ck.save

    def arm(stop_epoch):
        def save(run_path, epoch, *a, **k):
            real(run_path, epoch, *a, **k)
            if epoch == stop_epoch:
                raise KeyboardInterrupt
        monkeypatch.setattr(ck, "save", real if stop_epoch is None else save)
    return arm
