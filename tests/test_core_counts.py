"""`kspec validate` counts each network's parameters without Keras, equal to what Keras
counts for every bundled spec; a model whose weights exceed the cap is refused on its
largest layer's line, at once, before anything is allocated."""
from __future__ import annotations

import math
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from builder.spec.counts import parse_size
from builder.spec.library import bundled

ROOT = Path(__file__).parents[1]
HUGE = """
kspec: 1
name: huge
data:
  source: {sklearn: digits}
  preprocess: [{scale: 16}]
model:
  input: [64]
  layers:
    - dense: {units: 128, activation: relu}
    - dense: {units: UNITS, activation: relu}
    - dense: {units: 10, activation: softmax}
train:
  loss: sparse_categorical_crossentropy
"""


def counts_printed(line: str) -> dict:
    """'x.yaml: ok (model: 1,234 parameters, ...)' or '(encoder 1 + decoder 2 = ...)' ->
    role -> count."""
    inside = line.split(": ok (", 1)[1]
    if inside.startswith("model: "):
        return {"model": int(inside[7:].split(" ")[0].replace(",", ""))}
    pairs = re.findall(r"(\w+) ([\d,]+)(?= \+| =)", inside.split(" = ")[0] + " =")
    return {role: int(n.replace(",", "")) for role, n in pairs}


@pytest.mark.parametrize("spec", sorted(bundled()))
def test_validate_prints_the_counts_keras_gives(spec, cli):
    from builder.build.model import build_models
    from builder.spec.load import load_spec
    result = cli("validate", spec)
    assert result.exit_code == 0, result.stderr
    printed = counts_printed(result.stdout.strip())
    models = build_models(load_spec(spec))
    assert printed == {role: int(m.count_params()) for role, (m, _) in models.items()}
    for role, (model, plan) in models.items():  # the trained part too
        from builder.spec.counts import plan_count
        trained = sum(math.prod(w.shape) for w in model.trainable_weights)
        assert plan_count(plan).trainable == trained, role


def test_validate_line_shows_size_and_every_role(cli):
    line = cli("validate", "digits_cnn").stdout.strip()
    assert re.fullmatch(r".*digits_cnn\.yaml: ok \(model: [\d,]+ parameters, [\d.]+ KB\)", line)
    line = cli("validate", "digits_vae").stdout.strip()
    assert re.search(r"ok \(encoder [\d,]+ \+ decoder [\d,]+ = [\d,]+ parameters, ", line), line


def test_a_model_over_the_cap_is_refused_at_once_with_its_count(cli, write_spec):
    path = write_spec(HUGE.replace("UNITS", "900000000"))
    start = time.perf_counter()
    result = cli("validate", path)
    took = time.perf_counter() - start
    assert result.exit_code == 1
    assert took < 1.0, took
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"{path}:10:7: model.layers[1].dense: dense has "
                           f"{(128 + 1) * 900_000_000:,} parameters, 432.5 GB of float32 weights")
    assert f"the network has {(128 + 1) * 900_000_000 + (900_000_000 + 1) * 10 + 65 * 128:,}" in line
    assert "--max-weights SIZE" in line and "KSPEC_MAX_WEIGHTS" in line
    # summary (and every command that reads a spec) stops there, before building
    assert cli("summary", path).exit_code == 1


def test_the_cap_is_set_by_flag_or_environment(cli, write_spec, monkeypatch):
    path = write_spec(HUGE.replace("UNITS", "900000000"))
    result = cli("validate", path, "--max-weights", "1TB")
    assert result.exit_code == 0, result.stderr
    assert "466.0 GB" in result.stdout
    assert cli("validate", path, "--max-weights", "none").exit_code == 0
    bad = cli("validate", path, "--max-weights", "lots")
    assert bad.exit_code == 2 and "is not a size" in bad.stderr
    small = write_spec(HUGE.replace("UNITS", "8"), "small.yaml")
    monkeypatch.setenv("KSPEC_MAX_WEIGHTS", "1KB")
    refused = cli("validate", small)
    assert refused.exit_code == 1 and "over the 1.0 KB cap" in refused.stderr
    monkeypatch.setenv("KSPEC_MAX_WEIGHTS", "two gigs")
    broken = cli("validate", small)
    assert broken.exit_code == 1 and "KSPEC_MAX_WEIGHTS: 'two gigs' is not a size" in broken.stderr


def test_absurd_sizes_cannot_blow_up_the_count(cli, write_spec):
    # the largest whole number a spec may hold (30 digits; longer ones are refused by
    # the reader: tests/test_limits.py), so the count itself must saturate
    path = write_spec(HUGE.replace("UNITS", "9" * 30))
    start = time.perf_counter()
    result = cli("validate", path)
    assert time.perf_counter() - start < 1.0
    assert result.exit_code == 1
    assert "more than 1,000,000,000,000,000,000,000,000,000,000 parameters" in result.stderr


@pytest.mark.parametrize("text, size", [("2GB", 2 * 2**30), ("500 MB", 500 * 2**20),
                                        ("1.5gb", int(1.5 * 2**30)), ("4096", 4096),
                                        ("none", None)])
def test_sizes(text, size):
    assert parse_size(text) == size


def test_validate_of_a_huge_model_imports_no_tensorflow(tmp_path):
    spec = tmp_path / "huge.yaml"
    spec.write_text(HUGE.replace("UNITS", "900000000"))
    code = ("import sys; from cli import main\n"
            f"try:\n    main(['validate', {str(spec)!r}])\n"
            "except SystemExit as e:\n    assert e.code == 1, e.code\n"
            "assert 'tensorflow' not in sys.modules\nprint('clean')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert "clean" in out.stdout, out.stderr
