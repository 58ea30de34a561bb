"""Accepted means runnable: a mutated bundled spec that `kspec validate` accepts must
also go through `kspec summary` (Keras builds it) and one training step (`kspec train`
with one epoch of one batch) with nothing escaping but kspec's own user errors
(exit 1 with one-line messages). The mutations are tests/fuzz_specs.py's; the specs
are the bundled ones with small shipped data, so each example trains in seconds.
"""
from __future__ import annotations

import os
import signal
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("hypothesis")
from click.testing import CliRunner  # noqa: E402
from hypothesis import HealthCheck, given, note, settings, strategies as st  # noqa: E402

from fuzz_specs import DataChooser, bundled_texts, mutated_spec  # noqa: E402

RUNNABLE = ["breast_cancer_mlp", "counting_weights", "diabetes_mlp", "fixed_kernel_conv",
            "hand_forward_pass", "house_price_neuron", "iris_onehot", "linear_neuron_diabetes",
            "neuron_y_equals_2x", "or_gate_neuron", "shallow_ann", "sigmoid_neuron", "xor_mlp"]
TEXTS = {n: t for n, t in bundled_texts().items() if n in RUNNABLE}
DIR = Path(tempfile.mkdtemp(prefix="kspec-fuzz-run-"))
SECONDS = 120  # one example (summary + one step) on the shared machine: a hang past it
TRIES = 40  # mutations drawn per example until one is accepted


def accepted_mutation(ch) -> Path | None:
    from builder.core.problems import SpecError
    from builder.spec.load import load_spec
    path = DIR / "spec.yaml"
    for _ in range(TRIES):
        path.write_bytes(mutated_spec(ch, TEXTS))
        try:
            loaded = load_spec(str(path))
        except SpecError:
            continue
        if "extends" in path.read_text(encoding="utf-8", errors="replace"):
            continue  # a spec it extends may download its data (keras: mnist) or be large
        return path
    return None


def clean(result) -> None:
    """Exit 0, or exit 1 with kspec's one-line problems: never another exception."""
    out = result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{type(result.exception).__name__}: {result.exception}\n{out[-3000:]}")
    assert result.exit_code in (0, 1), out[-3000:]
    assert "Traceback" not in out, out[-3000:]


@settings(max_examples=3, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_accepted_mutations_summarise_and_train_one_step(data):
    from cli import main
    path = accepted_mutation(DataChooser(data))
    if path is None:
        return
    note(path.read_text(encoding="utf-8", errors="replace")[:3000])
    runner = CliRunner()
    before = os.environ.get("KSPEC_MAX_WEIGHTS")
    os.environ["KSPEC_MAX_WEIGHTS"] = "20MB"  # accepted, but small enough to build at once

    def alarm(*_):
        raise TimeoutError(f"summary + one training step took over {SECONDS} s")
    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(SECONDS)
    try:
        clean(runner.invoke(main, ["summary", str(path)]))
        out = DIR / f"run-{len(list(DIR.iterdir()))}"
        # one epoch of one batch: the batch is larger than any of these data sets
        clean(runner.invoke(main, ["train", str(path), "--epochs", "1", "--quiet", "--out",
                                   str(out), "--set", "train.batch_size=100000"]))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
        if before is None:
            os.environ.pop("KSPEC_MAX_WEIGHTS", None)
        else:
            os.environ["KSPEC_MAX_WEIGHTS"] = before
