"""builder/catalog/index.py, generated from a full import of every module that
registers layers, data sources, preprocessing steps and tasks, in the order the
packages imported them before the catalogs became lazy (that order is each
catalog's order of entries).

    python tests/catalog_index.py           # print the index
    python tests/catalog_index.py --write   # replace builder/catalog/index.py

tests/test_catalog_index.py checks that the file is current and that these lists
name every module of their folders.
"""
from __future__ import annotations

import importlib
import pprint
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "builder" / "catalog" / "index.py"
# catalog (its `what`) -> the modules registering into it, in registration order
LAZY = {
    "layer": ["builder.catalog.layers." + m for m in (
        "core", "conv", "merge", "recurrent", "augment", "blocks", "activation_layers",
        "sequence", "generative")],
    "data source": ["builder.data.sources." + m for m in (
        "arrays", "csv", "environment", "image_folder", "inline", "keras_sets", "sklearn",
        "synthetic", "text", "timeseries")],
    "preprocessing step": ["builder.data.preprocess." + m for m in ("scaling", "shape", "targets")],
}
TASK_MODULES = ["builder.tasks." + m for m in (
    "supervised", "forecast", "language_model", "generative.autoencoder", "generative.vae",
    "generative.gan", "generative.diffusion", "generative.flow", "super_resolution",
    "transfer", "dqn")]
HEAD = TARGET.read_text(encoding="utf-8").split("CATALOGS =")[0] if TARGET.exists() else ""


def index() -> tuple[dict, dict]:
    """(catalogs, tasks) as the generated file holds them."""
    sys.path.insert(0, str(ROOT))
    for modules in LAZY.values():  # before anything else imports one of them
        for module in modules:
            importlib.import_module(module)
    from builder.spec.catalogs import ALL
    from builder.tasks import TASKS
    catalogs = {}
    for what, modules in LAZY.items():
        cat = next(c for c in ALL.values() if c.what == what)
        names = {name: cls.__module__ for name, cls in cat._entries.items()}
        outside = {n: m for n, m in names.items() if m not in modules}
        assert not outside, f"{what} entries registered outside {modules}: {outside}"
        names.update({a: names[t] for a, t in cat._aliases.items()})
        catalogs[what] = names
    for module in TASK_MODULES:
        importlib.import_module(module)
    tasks = {name: type(task).__module__ for name, task in TASKS._tasks.items()}
    outside = {n: m for n, m in tasks.items() if m not in TASK_MODULES}
    assert not outside, f"tasks registered outside {TASK_MODULES}: {outside}"
    return catalogs, tasks


def text() -> str:
    catalogs, tasks = index()
    return (HEAD + "CATALOGS = " + pprint.pformat(catalogs, sort_dicts=False, width=96)
            + "\nTASKS = " + pprint.pformat(tasks, sort_dicts=False, width=96) + "\n")


if __name__ == "__main__":
    if "--write" in sys.argv:
        TARGET.write_text(text(), encoding="utf-8")
    else:
        print(text(), end="")
