"""The validator under fuzzing: every bundled spec, mutated structurally (keys, types,
extreme numbers, nesting, references, `repeat`, merge keys, unicode, sizes; see
tests/fuzz_specs.py), is either accepted or refused with kspec's own SpecError (each
problem one bounded line), within a time and memory bound. Nothing else may escape:
no RecursionError, no ValueError from PyYAML, no hang, no gigabyte message.

The CI run is a few hundred examples with a fixed derandomized profile, so it is the
same run every time; the long run (>= 20,000 cases) is benchmarks/fuzz_validate.py.
"""
from __future__ import annotations

import resource
import signal
import tempfile
import time
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, note, settings, strategies as st  # noqa: E402

from fuzz_specs import DataChooser, bundled_texts, mutated_spec, validate_file  # noqa: E402

SECONDS = 10  # one example; the slowest seen on the shared 2-core machine is ~1 s
GROWTH = 1024  # MB the process may grow by over the whole run (peak RSS)
TEXTS = bundled_texts()
DIR = Path(tempfile.mkdtemp(prefix="kspec-fuzz-"))
START_RSS_MB = None  # the peak when the first example starts (earlier tests raise it)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

settings.register_profile(
    "kspec-ci", max_examples=300, derandomize=True, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much])


class Hang(Exception):
    pass


def _bounded(fn, *args):
    """fn(*args) under a SECONDS alarm; raises Hang past it."""
    def alarm(*_):
        raise Hang(f"no answer within {SECONDS} s")
    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(SECONDS)
    try:
        return fn(*args)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@settings(settings.get_profile("kspec-ci"))
@given(st.data())
def test_mutated_bundled_specs_validate_or_fail_cleanly(data):
    global START_RSS_MB
    if START_RSS_MB is None:  # not at import: in a whole suite, training tests run between
        START_RSS_MB = _peak_mb()
    text = mutated_spec(DataChooser(data), TEXTS)
    note(text[:3000].decode("utf-8", "replace"))
    path = DIR / "spec.yaml"
    path.write_bytes(text)
    start = time.perf_counter()
    outcome = _bounded(validate_file, path)  # 'accepted' or 'error'; anything else raises
    assert outcome in ("accepted", "error")
    assert time.perf_counter() - start < SECONDS
    grown = _peak_mb() - START_RSS_MB
    assert grown < GROWTH, f"validation grew the process by {grown:.0f} MB"
