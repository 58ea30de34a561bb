"""Format versioning: old and future formats are refused with the fix, and
`kspec upgrade` converts a deliberately old (format 0) spec to format 1."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from builder.spec import schema, upgrade
from builder.spec.load import load_spec
from builder.core.problems import SpecError

FORMAT0 = Path(__file__).parent / "fixtures" / "share" / "format0.yaml"


def test_the_upgrade_module_and_the_schema_agree_on_the_current_format():
    assert upgrade.FORMAT_VERSION == schema.FORMAT_VERSION
    assert set(upgrade.UPGRADES) == set(range(min(upgrade.UPGRADES), upgrade.FORMAT_VERSION))


def test_an_old_spec_is_refused_with_the_command_that_converts_it():
    with pytest.raises(SpecError) as err:
        load_spec(FORMAT0)
    (p,) = err.value.problems
    assert (p.position.file, p.position.line) == (str(FORMAT0), 3)
    assert "older format 0" in p.message and "kspec upgrade" in p.message


def test_a_future_format_is_refused(write_spec):
    path = write_spec("kspec: 7\nname: x\n")
    with pytest.raises(SpecError, match="format 7, newer than the format this kspec reads"):
        load_spec(path)


def test_upgrade_converts_format_0(cli, tmp_path):
    out = tmp_path / "new.yaml"
    result = cli("upgrade", FORMAT0, "-o", out)
    assert result.exit_code == 0, result.stderr
    assert "upgraded: model.input_shape -> model.input" in result.stderr
    first = out.read_text().splitlines()[0]
    assert (out.parent / first.split("$schema=")[1]).is_file(), "the modeline finds the schema"
    data = yaml.safe_load(out.read_text())
    assert data["kspec"] == 1
    assert data["model"]["input"] == [4] and "input_shape" not in data["model"]
    assert data["model"]["layers"][0] == {"dense": {"units": 12, "activation": "relu",
                                                    "name": "hidden"}}
    assert data["model"]["layers"][2] == {"residual": {"layers": [
        {"dense": {"units": 12, "activation": "relu"}}]}}
    assert data["model"]["layers"][3] == "flatten"
    assert data["train"]["optimizer"] == {"sgd": {"learning_rate": 0.05}}
    assert data["data"]["split"] == {"validation": 0.25, "test": 0.2}
    spec = load_spec(out).spec
    assert spec.train.optimizer.learning_rate == 0.05 and spec.data.split.validation == 0.25
    again = cli("upgrade", out)
    assert again.exit_code == 0 and "already in the current format" in again.stderr


def test_upgrade_in_place_rewrites_the_file(cli, tmp_path):
    path = tmp_path / "old.yaml"
    path.write_text(FORMAT0.read_text())
    result = cli("upgrade", path, "--in-place")
    assert result.exit_code == 0, result.stderr
    assert load_spec(path).spec.name == "iris_format0"
    assert path.read_text().startswith("# yaml-language-server:")
