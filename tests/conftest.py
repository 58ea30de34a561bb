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
