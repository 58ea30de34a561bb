"""Canonical forms of a validated spec: a key for "these two train the same", and a
name-free structure for the similarity report. Both start from the project's
canonical form (builder/share/canonical.py: defaults written out, aliases resolved,
so comments, key order and shorthand change nothing)."""
from __future__ import annotations

import hashlib
import json

from ..share.canonical import canonical, canonical_spec
from ..share.canonical import fingerprint as spec_fingerprint


def canonical_json(data) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def training_key(spec, seed: int, epochs: int) -> str:
    """Two submissions with the same key train to the same result: the key leaves
    out what does not change training (spec name, description, lectures, layer names) and
    puts in what the grader imposes (the teacher's seed, the capped epoch count)."""
    data = canonical_spec(spec)
    data.pop("name", None)
    data.pop("description", None)
    data.pop("lectures", None)
    data["seed"] = seed
    data["train"]["epochs"] = epochs
    if spec.model is None:  # `models:` roles (a gan's): their layer names are kept
        return hashlib.sha256(canonical_json(data).encode()).hexdigest()[:16]
    tokens, names = _layers_without_names(spec)
    data["model"]["layers"] = tokens
    if data["model"].get("outputs"):
        data["model"]["outputs"] = [names.get(o, o) for o in data["model"]["outputs"]]
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()[:16]


# ---- structure, for the similarity report --------------------------------------

def layer_tokens(spec) -> list[str]:
    """The layer sequence with layer names replaced by their position, so that
    renaming every layer does not hide a copy. Blocks are opened in place."""
    return _layers_without_names(spec)[0]


def _layers_without_names(spec) -> tuple[list[str], dict]:
    names: dict[str, str] = {}
    tokens: list[str] = []

    def walk(layers):
        for entry in layers:
            data = canonical(entry)
            kind, params = (data, {}) if isinstance(data, str) else next(iter(data.items()))
            params = dict(params)
            if params.get("name"):
                names[params.pop("name")] = f"#{len(tokens)}"
            if "inputs" in params:
                refs = params["inputs"]
                refs = refs if isinstance(refs, list) else [refs]
                params["inputs"] = [names.get(r, r) for r in refs]
            inner = params.pop("layers", None)
            tokens.append(canonical_json({kind: params}))
            if inner is not None:
                walk(entry.layers)
                tokens.append(f"end {kind}")

    walk(spec.model.layers)
    return tokens, names


def settings(spec, raw_data_section) -> dict[str, str]:
    """Flat `path -> value` of everything but the layers: training settings, seed,
    input and outputs, and the data section as the student wrote it."""
    out: dict[str, str] = {}

    def flat(prefix, value):
        if isinstance(value, dict) and value:
            for k, v in value.items():
                flat(f"{prefix}.{k}" if prefix else str(k), v)
        else:
            out[prefix] = canonical_json(value)

    dump = spec.model_dump(mode="json")
    flat("train", dump["train"])
    flat("seed", dump["seed"])
    flat("model.input", dump["model"]["input"])
    flat("model.outputs", dump["model"].get("outputs"))
    flat("data", raw_data_section if raw_data_section is not None else {})
    return out


def structure(spec, raw_data_section) -> dict:
    return {"layers": layer_tokens(spec), "settings": settings(spec, raw_data_section),
            "fingerprint": spec_fingerprint(spec)}


def file_structure(path) -> dict:
    """The structure of a spec file the teacher wrote (the starter)."""
    from ..spec.load import load_spec
    loaded = load_spec(path, check=False)
    return structure(loaded.spec, loaded.raw.get("data"))
