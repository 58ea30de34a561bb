"""`kspec new`: a spec to start from: a commented template, or a bundled spec to
extend (or copy whole)."""
from __future__ import annotations

import os
import re
from pathlib import Path

from ..spec.library import bundled
from ..core.problems import SpecError

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema" / "kspec.schema.json"

TEMPLATE = """\
{modeline}
kspec: 1                 # spec format version
name: {name}             # runs are saved as runs/<name>-<time>
description: >-
  Say what this model learns and which idea it shows (kspec list prints this).
seed: 42                 # seeds the weights, the splits and the shuffling

data:
  source: {{sklearn: iris}}          # kspec catalog sources: where examples come from
  preprocess:
    - standardize                   # statistics from the training split only
  split: {{validation: 0.2, test: 0.2}}

model:
  input: [4]                        # the shape of one example
  layers:                           # kspec catalog layers lists every layer
    - dense: {{units: 16, activation: relu, name: hidden}}
    - dense: {{units: 3, activation: softmax}}   # one unit per class

train:
  loss: sparse_categorical_crossentropy   # integer labels with a softmax output
  optimizer: {{adam: {{learning_rate: 0.001}}}}
  metrics: [accuracy]
  epochs: 50
  batch_size: 16
  callbacks:
    - early_stopping: {{patience: 10}}   # stop when validation loss stops improving
"""

EXTENDS = """\
{modeline}
# Starts from the spec '{base}': what is not written here comes from it.
# `kspec show {base}` prints it; `kspec export {file}` prints the merged result.
# Mappings merge key by key, lists replace whole; `unset: [train.callbacks]` deletes
# an inherited key.
extends: {base}
name: {name}
description: >-
  {description}
{examples}"""


def modeline(target: Path) -> str:
    """The yaml-language-server line, pointing at the schema from the new file's folder."""
    if SCHEMA_FILE.is_file():
        rel = os.path.relpath(SCHEMA_FILE, Path(target).resolve().parent)
        return f"# yaml-language-server: $schema={Path(rel).as_posix()}"
    return ("# yaml-language-server: $schema=kspec.schema.json\n"
            "# (write that file once with: kspec schema -o kspec.schema.json)")


def with_modeline(text: str, target: Path) -> str:
    """`text` with its first line the editor modeline for a file written to `target`
    (an existing modeline is pointed at the schema again from the new place)."""
    lines = text.split("\n")
    if lines and lines[0].startswith("# yaml-language-server:"):
        lines = lines[1:]
    return modeline(target) + "\n" + "\n".join(lines)


def spec_name(path: Path) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", Path(path).stem)
    return name if re.match(r"[A-Za-z0-9]", name) else "spec_" + name.lstrip("_.-")


def _examples(loaded) -> str:
    """Commented examples of changes, using the base's own names and values."""
    from ..spec.compose import named_layers
    t = loaded.spec.train
    lines = ["", "# Examples of changes (remove the # to use one):", "# train:"]
    if hasattr(t, "epochs"):
        lines.append(f"#   epochs: {max(1, t.epochs // 2)}")
    opt = getattr(t, "optimizer", None)
    if opt is not None and getattr(opt, "lr_value", None):
        lines.append(f"#   optimizer: {{{opt.kind}: {{learning_rate: {opt.lr_value / 2:g}}}}}")
    model = loaded.raw.get("model")
    named = named_layers(model.get("layers"), ()) if isinstance(model, dict) else {}
    examples = []
    for name, (path, kind) in named.items():
        params = _get(model["layers"], path)[kind]
        for key in ("units", "filters"):
            if isinstance(params.get(key), int):
                examples.append(f"#     {name}: {{{key}: {params[key] * 2}}}")
                break
    if examples:
        lines += ["# model:", "#   layers_by_name:   # change a named layer, keep the list"]
        lines += examples
    return "\n".join(lines) + "\n"


def _get(data, path):
    for part in path:
        data = data[part]
    return data


def new_spec_text(target: Path, base: str | None = None, inline: bool = False) -> str:
    target = Path(target)
    if base is None:
        return TEMPLATE.format(modeline=modeline(target), name=spec_name(target))
    library = bundled()
    if base in library:
        ref = base
    elif Path(base).is_file():  # a classmate's spec: extended by its path from the new file
        ref = Path(os.path.relpath(Path(base).resolve(), target.resolve().parent)).as_posix()
    else:
        from ..core.base import did_you_mean
        raise SpecError.single(f"no bundled spec named '{base}'.{did_you_mean(base, library, ' ')} "
                               "(kspec list shows them; or give a spec file's path)")
    from ..spec.load import load_spec
    loaded = load_spec(base)
    if inline:
        return _inline(loaded, target)
    return EXTENDS.format(modeline=modeline(target), base=ref, file=target.name,
                          name=spec_name(target),
                          description=f"My version of {base}: say what you changed and why.",
                          examples=_examples(loaded))


def _inline(loaded, target: Path) -> str:
    """A full copy: the bundled file's own text (comments kept) when it stands alone,
    its export (extends resolved) when it extends another."""
    from .canonical import export_text
    if "extends" in _raw_keys(loaded.path):
        text = export_text(loaded)
    else:
        text = loaded.path.read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if not ln.startswith("# yaml-language-server:")]
    lines = [f"name: {spec_name(target)}" if re.match(r"name:\s", ln) else ln for ln in lines]
    return modeline(target) + "\n" + "\n".join(lines) + "\n"


def _raw_keys(path: Path) -> set:
    from ..spec.yamlpos import load_yaml
    data, _ = load_yaml(path.read_text(encoding="utf-8"), str(path))
    return set(data) if isinstance(data, dict) else set()
