"""Spec format versions: the `kspec:` key is checked, and older formats upgraded.

Each step converts raw data (before validation) from format N to N + 1 and says
what it changed. A future format 2 adds `UPGRADES[1]`; `kspec upgrade` then
carries every older spec forward through the whole chain.

Format 0 is the pre-release layout, kept as the worked example of a step:
`model.input_shape`, layers as `{type: dense, units: 8}`, `train.learning_rate`
beside a bare optimizer name, and `data.validation_split` / `data.test_split`.
"""
from __future__ import annotations

from typing import Callable

from ..core.problems import SpecError

FORMAT_VERSION = 1  # the same number as schema.FORMAT_VERSION (a test checks)


def _layer_0(entry, path, notes):
    """{type: dense, units: 8} -> {dense: {units: 8}}; blocks are converted inside."""
    if not isinstance(entry, dict) or "type" not in entry:
        return entry
    params = {k: v for k, v in entry.items() if k != "type"}
    kind = entry["type"]
    if isinstance(params.get("layers"), list):
        params["layers"] = [_layer_0(e, f"{path}.layers[{i}]", notes)
                            for i, e in enumerate(params["layers"])]
    notes.append(f"{path}: {{type: {kind}, ...}} -> {{{kind}: {{...}}}}")
    return {kind: params} if params else kind


def _format_0_to_1(data: dict, notes: list) -> dict:
    model = data.get("model")
    if isinstance(model, dict):
        if "input_shape" in model:
            model = {("input" if k == "input_shape" else k): v for k, v in model.items()}
            notes.append("model.input_shape -> model.input")
        if isinstance(model.get("layers"), list):
            model["layers"] = [_layer_0(e, f"model.layers[{i}]", notes)
                               for i, e in enumerate(model["layers"])]
        data["model"] = model
    train = data.get("train")
    if isinstance(train, dict) and "learning_rate" in train:
        lr = train.pop("learning_rate")
        opt = train.get("optimizer", "adam")
        if isinstance(opt, str):
            train["optimizer"] = {opt: {"learning_rate": lr}}
        elif isinstance(opt, dict) and len(opt) == 1:
            name, params = next(iter(opt.items()))
            train["optimizer"] = {name: {**(params or {}), "learning_rate": lr}}
        notes.append("train.learning_rate -> train.optimizer.<name>.learning_rate")
    dsec = data.get("data")
    if isinstance(dsec, dict) and ("validation_split" in dsec or "test_split" in dsec):
        split = dict(dsec.get("split") or {})
        for old, new in (("validation_split", "validation"), ("test_split", "test")):
            if old in dsec:
                split[new] = dsec.pop(old)
                notes.append(f"data.{old} -> data.split.{new}")
        dsec["split"] = split
    return data


# format N -> the function converting format N data to format N + 1
UPGRADES: dict[int, Callable[[dict, list], dict]] = {0: _format_0_to_1}


def version_of(data) -> int:
    """The format a spec says it is in; a spec without `kspec:` is the current format."""
    value = data.get("kspec", FORMAT_VERSION) if isinstance(data, dict) else FORMAT_VERSION
    return value if isinstance(value, int) and not isinstance(value, bool) else FORMAT_VERSION


def upgrade(data) -> tuple[dict, list[str]]:
    """Raw data of any known format -> (current-format data, notes on what changed)."""
    version = version_of(data)
    if version > FORMAT_VERSION:
        raise SpecError.single(_newer(version), ("kspec",))
    notes: list[str] = []
    while version < FORMAT_VERSION:
        step = UPGRADES.get(version)
        if step is None:
            raise SpecError.single(f"format {version} is too old to upgrade (kspec converts "
                                   f"formats {min(UPGRADES)} and later)", ("kspec",))
        data = step(dict(data), notes)
        version += 1
        data["kspec"] = version
        notes.append(f"kspec: {version - 1} -> {version}")
    return data, notes


def _newer(version):
    return (f"this spec is format {version}, newer than the format this kspec reads "
            f"({FORMAT_VERSION}); install a newer kspec")


def check_version(data, positions) -> None:
    """Refuse an old or future format with a line saying how to fix it."""
    version = version_of(data)
    where = positions.locate(("kspec",))
    if version > FORMAT_VERSION:
        raise SpecError.single(_newer(version), ("kspec",), where)
    if version < FORMAT_VERSION:
        raise SpecError.single(
            f"this spec is in the older format {version}; convert it with "
            f"`kspec upgrade {positions.file} -o NEW.yaml` (this kspec reads format "
            f"{FORMAT_VERSION})", ("kspec",), where)


def upgrade_file(path) -> tuple[str, list[str]]:
    """The text of `path` converted to the current format, checked, and what changed.

    YAML comments cannot survive the conversion (specs are read as plain data); the
    editor modeline is kept and a header says what the upgrade did."""
    from pathlib import Path

    import yaml

    from .. import __version__
    from .compose import compose
    from .load import parse_spec, read_text
    from .yamlpos import PositionMap, load_yaml
    path = Path(path)
    text = read_text(path)
    data, positions = load_yaml(text, str(path))
    if not isinstance(data, dict):
        raise SpecError.single("a spec is a mapping with name, data, model and train",
                               (), positions.locate(()))
    old = version_of(data)
    try:
        new, notes = upgrade(data)
    except SpecError as exc:
        raise SpecError(positions.place(exc.problems)) from None
    # the result must be a valid spec of the current format, or nothing is written
    checked, pos = compose(dict(new), {}, path)
    parse_spec(checked, PositionMap(f"{path} (upgraded)", pos), path)
    if not notes:
        return text, notes  # already current: the file as it is, comments and all
    modeline = [ln for ln in text.splitlines()[:1] if ln.startswith("# yaml-language-server:")]
    header = modeline + [f"# upgraded by kspec {__version__} from format {old} to "
                         f"{FORMAT_VERSION}; comments of the original are not kept"]
    body = yaml.safe_dump(new, sort_keys=False, default_flow_style=None, width=100,
                          allow_unicode=True)
    return "\n".join(header + [body]), notes
