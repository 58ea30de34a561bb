"""The offline twins of the download-only lecture specs: L09 (fashion_mnist_mlp), L19
(lenet5) and L23 (cifar10_cnn) on data that ships. Each twin `extends` its lecture's
spec and changes the data only (photo_rgb_cnn also its number of classes), so
`kspec diff` shows exactly that; trained as shipped, each learns."""
from __future__ import annotations

import json
import re

import pytest

# twin -> (the download spec, what changes besides name, data and description, metric, floor)
TWINS = {
    "digits_shallow_mlp": ("fashion_mnist_mlp", set(), "sparse_categorical_accuracy", 0.93),
    "digits_lenet5": ("lenet5", set(), "accuracy", 0.92),
    "photo_rgb_cnn": ("cifar10_cnn", {"model.layers['classes'].dense.units: 10 -> 2"},
                      "accuracy", 0.95),
}
# measured as shipped (seed 42): test 0.964, 0.950 and 1.000


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from click.testing import CliRunner

    from cli import main
    root = tmp_path_factory.mktemp("twins")
    for name in TWINS:
        result = CliRunner().invoke(main, ["train", name, "--out", str(root / name), "-q"],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output[-2000:]
    return root


@pytest.mark.parametrize("twin", TWINS)
def test_the_twin_keeps_the_lectures_network(cli, twin):
    original, changes, _, _ = TWINS[twin]
    listed = cli("list", "--lecture", cli("show", original).stdout.split("lectures ")[1][:3])
    assert twin in listed.stdout and original in listed.stdout
    diff = cli("diff", original, twin, "--no-params").stdout
    changed = {line.strip() for line in diff.splitlines()[2:]}
    keys = {line.split(":")[0] for line in changed}
    assert keys - {"name", "data.source", "data.preprocess", "data.split.test"} == \
        {c.split(":")[0] for c in changes}, diff
    assert changes <= changed
    counts = [re.search(r"\(model: ([\d,]+) parameters", cli("validate", s).stdout).group(1)
              for s in (original, twin)]
    if not changes:  # the same network, weight for weight
        assert counts[0] == counts[1]
    assert cli("show", twin).stdout.split("\n")[0].endswith("data offline)")
    assert "data download" in cli("show", original).stdout.split("\n")[0]


@pytest.mark.parametrize("twin", TWINS)
def test_the_twin_learns_on_shipped_data(runs, twin):
    _, _, metric, floor = TWINS[twin]
    got = json.loads((runs / twin / "metrics.json").read_text())["test"][metric]
    assert got >= floor, (twin, got)
