"""`kspec validate` loads only what the spec uses (benchmarks/README.md, "kspec validate
start-up"): the lazy catalogs (builder/catalog/index.py) import a layer's, source's,
step's or task's module when a spec names it, so a cold validate of a CSV or inline
spec never imports TensorFlow, Keras, matplotlib or scikit-learn. And the index the
catalogs load from is the one a full import gives."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("tensorflow", "keras", "matplotlib", "sklearn")

# the `kspec validate SPEC` program in a fresh interpreter, then what it had imported
PROGRAM = """
import json, sys
sys.argv = ["cli.py", "validate", *{specs!r}]
sys.path.insert(0, {root!r})
import cli
try:
    cli.main()
except SystemExit as exc:
    code = exc.code
print("MODULES " + json.dumps({{"code": code, "modules": sorted(sys.modules)}}))
"""


def validate_cold(*specs) -> tuple[int, set, str]:
    out = subprocess.run([sys.executable, "-c", PROGRAM.format(specs=list(specs), root=str(ROOT))],
                         capture_output=True, text=True, cwd=str(ROOT), timeout=120)
    line = next(l for l in out.stdout.splitlines() if l.startswith("MODULES "))
    found = json.loads(line[len("MODULES "):])
    return found["code"], set(found["modules"]), out.stdout + out.stderr


def top_level(modules) -> set:
    return {m.split(".")[0] for m in modules}


@pytest.mark.parametrize("spec", ["house_price_neuron", "and_gate_neuron"])  # csv, inline
def test_a_cold_validate_of_a_csv_or_inline_spec_imports_no_heavy_library(spec):
    code, modules, text = validate_cold(spec)
    assert code == 0 and ": ok (" in text, text
    heavy = sorted(top_level(modules) & set(HEAVY))
    assert not heavy, f"kspec validate {spec} imported {heavy}"
    # only the one source it names, and none of the other tasks
    sources = {m for m in modules if m.startswith("builder.data.sources.")} - {
        "builder.data.sources.base"}
    assert len(sources) == 1, sources
    assert not any(m.startswith("builder.tasks.generative") for m in modules)


def test_validate_of_a_dense_spec_leaves_the_other_layer_modules_unloaded():
    """breast_cancer_mlp names dense and dropout layers: the conv, recurrent and generative
    layer modules are not imported, nor numpy (its data is scikit-learn's, not read)."""
    code, modules, text = validate_cold("breast_cancer_mlp")
    assert code == 0, text
    for name in ("conv", "recurrent", "generative", "sequence", "merge"):
        assert f"builder.catalog.layers.{name}" not in modules
    assert "numpy" not in modules and not top_level(modules) & set(HEAVY)


def test_a_misspelt_layer_still_gets_its_suggestion():
    """An unknown name is looked up in every module of the catalog (the suggestion may be
    a layer no module loaded so far registers): the message is the one a full import gave."""
    from builder.core.problems import SpecError
    from builder.spec.load import parse_spec
    from builder.spec.yamlpos import load_yaml
    text = ("name: t\ndata: {source: {sklearn: iris}}\nmodel:\n  input: [4]\n  layers:\n"
            "    - lstmm: {units: 3}\n    - dense: {units: 3, activation: softmax}\n"
            "train: {loss: sparse_categorical_crossentropy}\n")
    data, positions = load_yaml(text, "t.yaml")
    with pytest.raises(SpecError) as err:
        parse_spec(data, positions)
    assert "unknown layer 'lstmm'; did you mean 'lstm'?" in str(err.value.problems[0])


def test_the_catalog_index_is_current():
    """builder/catalog/index.py is what `python tests/catalog_index.py --write` writes, and
    its module lists name every module of the lazy folders."""
    out = subprocess.run([sys.executable, "tests/catalog_index.py"], capture_output=True,
                         text=True, cwd=str(ROOT), timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout == (ROOT / "builder/catalog/index.py").read_text(encoding="utf-8"), (
        "run: python tests/catalog_index.py --write")
    sys.path.insert(0, str(ROOT / "tests"))
    import catalog_index
    for folder, what in (("catalog/layers", "layer"), ("data/sources", "data source"),
                         ("data/preprocess", "preprocessing step")):
        files = {p.stem for p in (ROOT / "builder" / folder).glob("*.py")} - {"__init__", "base"}
        listed = {m.rsplit(".", 1)[1] for m in catalog_index.LAZY[what]}
        assert files == listed, (folder, files ^ listed)
