"""`kspec new FILE [--from NAME] [--inline]`: a valid spec to start from."""
from __future__ import annotations

import os
from pathlib import Path

import yaml

from builder.share.canonical import fingerprint
from builder.spec.load import load_spec


def test_template_is_a_valid_commented_spec(cli, tmp_path):
    path = tmp_path / "my first-spec.yaml"
    result = cli("new", path)
    assert result.exit_code == 0, result.stderr
    text = path.read_text()
    assert text.startswith("# yaml-language-server: $schema=")
    schema = text.splitlines()[0].split("$schema=")[1]
    assert os.path.isfile(path.parent / schema), "the modeline points at the schema file"
    assert text.count("#") > 10  # it explains itself
    spec = load_spec(path).spec
    assert spec.name == "my_first-spec"


def test_from_a_bundled_spec_extends_it(cli, tmp_path):
    path = tmp_path / "mine.yaml"
    result = cli("new", path, "--from", "digits_cnn")
    assert result.exit_code == 0, result.stderr
    data = yaml.safe_load(path.read_text())
    assert data["extends"] == "digits_cnn" and data["name"] == "mine"
    mine, theirs = load_spec(path).spec, load_spec("digits_cnn").spec
    assert mine.model == theirs.model and mine.train == theirs.train


def uncommented(text: str) -> str:
    """The file with its example block switched on."""
    head, examples = text.split("# Examples of changes", 1)
    return head + "\n".join(ln[2:] for ln in examples.splitlines()[1:]) + "\n"


def test_from_a_spec_file_with_examples_that_work(cli, tmp_path):
    base = Path(__file__).parent / "fixtures" / "share" / "named_mlp.yaml"
    path = tmp_path / "sub" / "mine.yaml"
    path.parent.mkdir()
    result = cli("new", path, "--from", base)
    assert result.exit_code == 0, result.stderr
    text = path.read_text()
    assert "#     h1: {units: 16}" in text and "#     h2: {units: 16}" in text
    assert "extends: ../../" in text  # a path from the new file to its base
    path.write_text(uncommented(text))
    spec = load_spec(path).spec
    assert spec.train.epochs == 3  # the example halves the base's 6
    assert [layer.units for layer in spec.model.layers] == [16, 16, 3]


def test_inline_copies_the_whole_spec(cli, tmp_path):
    path = tmp_path / "copy.yaml"
    result = cli("new", path, "--from", "digits_cnn", "--inline")
    assert result.exit_code == 0, result.stderr
    text = path.read_text()
    assert "extends" not in yaml.safe_load(text) and "# pixels are 0..16" in text
    copy = load_spec(path).spec
    original = load_spec("digits_cnn").spec
    assert copy.name == "copy"
    assert fingerprint(copy.model_copy(update={"name": "x"})) == \
        fingerprint(original.model_copy(update={"name": "x"}))


def test_refuses_to_overwrite_and_unknown_names(cli, tmp_path):
    path = tmp_path / "exists.yaml"
    path.write_text("keep me")
    result = cli("new", path)
    assert result.exit_code == 2 and "exists" in result.stderr
    assert path.read_text() == "keep me"
    result = cli("new", tmp_path / "x.yaml", "--from", "digits_cn")
    assert result.exit_code == 1 and "did you mean 'digits_cnn'" in result.stderr
    assert not (tmp_path / "x.yaml").exists()
