"""`kspec schema`: the committed JSON Schema is up to date, every bundled spec
carries the editor modeline and passes the schema, and schema and Pydantic agree
on valid and invalid specs."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from builder.spec.jsonschema import json_schema, schema_text
from builder.spec.library import bundled
from builder.spec.load import load_spec, parse_spec
from builder.core.problems import SpecError
from builder.spec.yamlpos import PositionMap

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_FILE = ROOT / "schema" / "kspec.schema.json"
MODELINE = "# yaml-language-server: $schema=../../schema/kspec.schema.json"  # specs/<topic>/


@pytest.fixture(scope="module")
def validator():
    schema = json_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_committed_schema_file_is_up_to_date():
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), \
        "regenerate it: kspec schema -o schema/kspec.schema.json"


def test_schema_command_writes_the_same_file(cli, tmp_path):
    out = tmp_path / "kspec.schema.json"
    result = cli("schema", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert json.loads(out.read_text()) == json_schema()


def test_schema_describes_fields_with_descriptions_and_defaults():
    defs = json_schema()["definitions"]

    def prop(section, name):  # a property, following a shared definition's $ref
        value = defs[section]["properties"][name]
        return defs[value["$ref"].rsplit("/", 1)[-1]] if "$ref" in value else value

    dense = defs["layer.dense"]
    params = dense["anyOf"][0]
    assert "fully connected" in dense["description"]
    assert params["required"] == ["units"] and "units" in params["properties"]
    assert "neurons" in json.dumps(params["properties"]["units"])
    assert prop("SupervisedTrain", "epochs")["default"] == 10  # supervised's train section
    assert prop("SupervisedTrain", "optimizer")["default"] == "adam"
    assert "fraction held out for validation" in json.dumps(prop("SplitSpec", "validation"))
    assert dense["anyOf"][1]["type"] == "integer"  # `dense: 8`, the positional form
    assert "flatten" in defs["layer"]["anyOf"][0]["enum"]  # a bare name


@pytest.mark.parametrize("name", sorted(bundled()))
def test_bundled_spec_has_the_modeline_and_passes_the_schema(name, validator):
    path = bundled()[name]
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == MODELINE, f"{path.name}: first line must be the modeline"
    errors = [f"{list(e.absolute_path)}: {e.message[:200]}"
              for e in validator.iter_errors(yaml.safe_load(text))]
    assert not errors, errors


VALID = """
kspec: 1
name: agree
data:
  source: {sklearn: iris}
  preprocess: [standardize]
model:
  input: [4]
  layers:
    - dense: {units: 8, activation: {leaky_relu: 0.1}, kernel_regularizer: {l2: 0.01}}
    - dropout: 0.2
    - dense: 3
    - softmax
    - flatten:
train:
  loss: sparse_categorical_crossentropy
  optimizer: {adam: {learning_rate: {exponential_decay: {initial_learning_rate: 0.01, decay_steps: 10, decay_rate: 0.9}}}}
  metrics: [accuracy]
  epochs: 4
  callbacks: [early_stopping]
"""


def _set(data, path, value):
    node = data
    for p in path[:-1]:
        node = node[p]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return data


_DELETE = object()
L = ("model", "layers")
INVALID = {  # each: one thing Pydantic refuses; the schema must refuse it too
    "unknown top key": (("trian",), {"epochs": 3}),
    "unknown layer": (L + (2,), {"densse": 3}),
    "misspelled layer key": (L + (0,), {"dense": {"unit": 8}}),
    "negative units": (L + (2,), {"dense": -3}),
    "units as text": (L + (2,), {"dense": {"units": "many"}}),
    "dropout rate 1.5": (L + (1,), {"dropout": 1.5}),
    "unknown activation": (L + (0,), {"dense": {"units": 8, "activation": "relu2"}}),
    "negative leaky alpha": (L + (0,), {"dense": {"units": 8, "activation": {"leaky_relu": -1}}}),
    "unknown optimizer": (("train", "optimizer"), {"adamm": {}}),
    "misspelled optimizer key": (("train", "optimizer"), {"adam": {"learnig_rate": 0.1}}),
    "zero epochs": (("train", "epochs"), 0),
    "name with spaces": (("name",), "my spec"),
    "format 2": (("kspec",), 2),
    "train but no model": (("model",), _DELETE),  # a spec without data: is model-only, valid
    "no layers": (("model", "layers"), _DELETE),
    "empty layers": (("model", "layers"), []),
    "no loss": (("train", "loss"), _DELETE),
    "two-key layer": (L + (2,), {"dense": 3, "dropout": 0.1}),
    "bare name of a layer with required parameters": (L + (2,), "dense"),
    "validation fraction 1.5": (("data", "split"), {"validation": 1.5}),
    "unknown task": (("task",), "telepathy"),
    "input as text": (("model", "input"), "4"),
    "unknown callback key": (("train", "callbacks"), [{"early_stopping": {"patience": 2, "paitence": 3}}]),
    "unknown initializer": (L + (0,), {"dense": {"units": 8, "kernel_initializer": "he_normall"}}),
    "unknown sklearn set": (("data", "source"), {"sklearn": "mnist"}),
    "schedule missing a field": (("train", "optimizer"), {"sgd": {"learning_rate": {"exponential_decay": {"decay_steps": 3, "decay_rate": 0.5}}}}),
}


def _pydantic_accepts(data) -> bool:
    try:
        parse_spec(data, PositionMap("<test>"), check=False)
    except SpecError:
        return False
    return True


def test_schema_and_pydantic_accept_the_same_valid_spec(validator):
    data = yaml.safe_load(VALID)
    assert _pydantic_accepts(copy.deepcopy(data))
    assert not list(validator.iter_errors(data))


@pytest.mark.parametrize("case", sorted(INVALID))
def test_schema_and_pydantic_refuse_the_same_invalid_spec(case, validator):
    path, value = INVALID[case]
    data = _set(yaml.safe_load(VALID), path, value)
    assert not _pydantic_accepts(copy.deepcopy(data)), f"pydantic accepts: {case}"
    assert list(validator.iter_errors(data)), f"the schema accepts: {case}"


def test_an_extending_spec_needs_only_what_it_changes(validator, write_spec):
    ok = {"extends": "digits_cnn", "name": "mine", "train": {"epochs": 3},
          "model": {"layers_by_name": {"h": {"units": 3}}}, "unset": ["train.callbacks"]}
    assert not list(validator.iter_errors(ok))
    bad = {"extends": "digits_cnn", "train": {"epoch": 3}}
    assert list(validator.iter_errors(bad))
    with pytest.raises(SpecError, match="did you mean 'epochs'"):
        load_spec(write_spec(yaml.safe_dump(bad)))
