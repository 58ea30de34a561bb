"""The spec language as a JSON Schema (draft-07), for editors (yaml-language-server).

Pydantic writes the schema of each section; every catalog (layers, losses, ...) is
one shared definition listing its entries, each with its parameters, their
descriptions and defaults, written the three ways a spec may write an entry: a bare
name (`flatten`), a positional value (`dropout: 0.2`) or a mapping of parameters.
A spec that `extends` another is checked against a "partial" copy of the sections
in which nothing is required (the base provides it).
"""
from __future__ import annotations

import json
from typing import Annotated, get_args, get_origin

from pydantic import BaseModel

from ..core.base import Catalog
from .paths import catalog_owner, field_annotation

DRAFT = "http://json-schema.org/draft-07/schema#"
REF = "#/definitions/{model}"
MARK, NULLABLE = "x-kspec-catalog", "x-kspec-nullable"
PARTIAL = "_partial"


def _collect(ann, models: dict, catalogs: dict) -> None:
    """Every pydantic model and catalog reachable from an annotation."""
    if ann is None:
        return
    if get_origin(ann) is Annotated:
        for meta in get_args(ann)[1:]:
            cat = catalog_owner(meta)
            if cat is not None and cat.schema_name not in catalogs:
                catalogs[cat.schema_name] = cat
                for entry in cat.entries.values():
                    _collect(entry, models, catalogs)
        _collect(get_args(ann)[0], models, catalogs)
        return
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        if ann in models.values():
            return
        models[ann.__name__] = ann
        for name in ann.model_fields:
            _collect(field_annotation(ann, name), models, catalogs)
        return
    for arg in get_args(ann):
        _collect(arg, models, catalogs)


def _compact(schema):
    """Drop titles, turn catalog placeholders into references, and write
    `anyOf: [X, null]` as `type: [x, "null"]` where X is a plain type."""
    if isinstance(schema, list):
        return [_compact(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    if MARK in schema:
        ref = {"$ref": f"#/definitions/{schema[MARK]}"}
        return {"anyOf": [ref, {"type": "null"}]} if schema.get(NULLABLE) else ref
    out = {}
    for key, value in schema.items():
        if key == "title":
            continue
        if key in ("properties", "definitions", "$defs"):
            out[key] = {k: _compact(v) for k, v in value.items()}
        elif key in ("default", "const", "enum", "examples", "required"):
            out[key] = value
        else:
            out[key] = _compact(value)
    alts = out.get("anyOf")
    if alts and len(alts) == 2 and {"type": "null"} in alts:
        other = alts[0] if alts[1] == {"type": "null"} else alts[1]
        plain = not {"anyOf", "oneOf", "allOf", "$ref"} & set(other)
        if isinstance(other.get("type"), str) and plain:
            del out["anyOf"]
            out = {**other, **out, "type": [other["type"], "null"]}
    return out


def _model_schema(cls, definitions: dict) -> dict:
    schema = cls.model_json_schema(ref_template=REF)
    for name, sub in schema.pop("$defs", {}).items():
        definitions.setdefault(name, _compact(sub))
    schema = _compact(schema)
    for name, f in cls.model_fields.items():
        prop = schema.get("properties", {}).get(f.alias or name)
        if prop is not None and "default" not in prop and not f.is_required() \
                and f.default_factory is None:
            default = _plain(f.default)
            if default is not _plain:
                prop["default"] = default  # pydantic leaves it out beside a custom schema
    return schema


def _plain(value):
    """A default as YAML would write it, or `_plain` itself if it has no JSON form."""
    from ..core.base import Entry
    if isinstance(value, Entry):
        value = value.to_data()
    try:
        json.dumps(value)
    except TypeError:
        return _plain
    return value


def _share_repeats(definitions: dict, least: int = 3, size: int = 40) -> None:
    """A property schema repeated in many entries (a layer's name, inputs, weights...)
    becomes one definition that each refers to: the file shrinks by a third."""
    seen: dict = {}

    def visit(schema, record):
        if isinstance(schema, list):
            for s in schema:
                visit(s, record)
        elif isinstance(schema, dict):
            for key, prop in (schema.get("properties") or {}).items():
                text = json.dumps(prop, sort_keys=True)
                if record:
                    seen.setdefault((key, text), 0)
                    seen[(key, text)] += 1
                elif shared.get((key, text)):
                    schema["properties"][key] = {"$ref": f"#/definitions/{shared[(key, text)]}"}
            for key, value in schema.items():
                if key != "properties":
                    visit(value, record)
                else:
                    for prop in value.values():
                        visit(prop, record)

    visit(list(definitions.values()), True)
    shared = {}
    for (key, text), count in sorted(seen.items()):
        if count >= least and len(text) > size:
            name = f"common.{key}"
            while name in definitions:
                name += "_"
            definitions[name] = json.loads(text)
            shared[(key, text)] = name
    visit([v for k, v in definitions.items() if not k.startswith("common.")], False)


def _entry_schema(cat: Catalog, cls, definitions: dict) -> dict:
    params = _model_schema(cls, definitions)
    alternatives = [params]
    if not params.get("required"):
        alternatives.append({"type": "null"})
    if cls.positional:
        field = params["properties"][cls.positional]
        kinds = field.get("type")
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if kinds is None or "object" in kinds:  # a dict after the name means parameters
            field = {"allOf": [field, {"not": {"type": "object"}}]}
        alternatives.append(field)
    out = {"anyOf": alternatives} if len(alternatives) > 1 else params
    doc = " ".join((cls.doc or "").split())
    if doc:
        out = {"description": doc, **out}
    return out


def _catalog_schema(cat: Catalog, definitions: dict) -> dict:
    names = {}
    for name, cls in sorted(cat.entries.items()):
        key = f"{cat.schema_name}.{name}"
        definitions[key] = _entry_schema(cat, cls, definitions)
        names[name] = key
    aliases = {alias: names[target] for alias, target in sorted(cat.aliases.items())
               if target in names}
    every = {**cat.entries, **{a: cat.entries[t] for a, t in cat.aliases.items()}}
    bare = sorted(n for n, c in every.items()  # names that may stand alone
                  if not any(f.is_required() for f in c.model_fields.values()))
    properties = {n: {"$ref": f"#/definitions/{k}"} for n, k in {**names, **aliases}.items()}
    return {
        "description": f"a {cat.what}: a name, or a one-key mapping `name: {{parameters}}` "
                      f"(e.g. {cat.example})",
        "anyOf": [
            {"enum": bare},
            {"type": "object", "minProperties": 1, "maxProperties": 1,
             "properties": properties, "additionalProperties": False},
        ],
    }


def _partial(schema, model_names: set):
    """The same schema with nothing required and references to partial sections."""
    if isinstance(schema, list):
        return [_partial(s, model_names) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key == "required":
            continue
        if key == "if":  # a condition stays as strict: `task` absent means the default task
            out[key] = value
        elif key == "$ref" and value.rsplit("/", 1)[-1] in model_names:
            out[key] = value + PARTIAL
        elif key in ("default", "const", "enum"):
            out[key] = value
        elif key == "properties":
            out[key] = {k: _partial(v, model_names) for k, v in value.items()}
        else:
            out[key] = _partial(value, model_names)
    return out


COMPOSE_PROPERTIES = {
    "extends": {"type": "string", "description": "a bundled spec name (e.g. digits_cnn) or a "
                "path relative to this file; this spec's keys are merged onto it"},
    "unset": {"type": "array", "items": {"type": "string"},
              "description": "dotted keys of the extended spec to delete, e.g. train.callbacks"},
}
LAYERS_BY_NAME = {
    "type": "object", "additionalProperties": {"type": "object"},
    "description": "layer name -> parameters to change in that layer, e.g. {h: {units: 32}}"}


def json_schema() -> dict:
    """The whole spec language as one draft-07 JSON Schema document."""
    from ..tasks import TASKS
    from .schema import Spec
    definitions: dict = {}
    models: dict = {}
    catalogs: dict = {}
    _collect(Spec, models, catalogs)
    for task in TASKS.tasks.values():
        _collect(task.train_schema, models, catalogs)

    definitions["Spec"] = _model_schema(Spec, definitions)
    for task_name, task in sorted(TASKS.tasks.items()):
        cls = task.train_schema
        definitions.setdefault(cls.__name__, _model_schema(cls, definitions))
    for name in sorted(catalogs):
        definitions[name] = _catalog_schema(catalogs[name], definitions)

    spec = definitions["Spec"]
    spec["properties"].update(COMPOSE_PROPERTIES)
    spec["properties"]["task"]["enum"] = TASKS.names()
    default_task = Spec.model_fields["task"].default
    spec["allOf"] = [  # what `train:` holds depends on the task (absent: the default task)
        {"if": {"properties": {"task": {"const": name}},
                **({} if name == default_task else {"required": ["task"]})},
         "then": {"properties": {"train": {"$ref": f"#/definitions/{task.train_schema.__name__}"}}}}
        for name, task in sorted(TASKS.tasks.items())]
    # a spec may leave out data: (model-only) or model: and train: (data-only), but
    # training needs a network (Spec._networks_for_task says the same at validate)
    spec["dependencies"] = {"train": {"anyOf": [{"required": ["model"]},
                                                {"required": ["models"]}]}}
    if "ModelSpec" in definitions:
        definitions["ModelSpec"]["properties"]["layers_by_name"] = LAYERS_BY_NAME

    _share_repeats(definitions)
    sections = {n for n in definitions if n in models and not issubclass(models[n], _entry_base())}
    for name in sorted(sections):
        definitions[name + PARTIAL] = _partial(definitions[name], sections)
    return {
        "$schema": DRAFT,
        "title": "kspec spec",
        "description": "A kspec spec: data, model(s) and training of a Keras network, in YAML. "
                       "Generated by `kspec schema`.",
        "if": {"required": ["extends"]},
        "then": {"$ref": "#/definitions/Spec" + PARTIAL},
        "else": {"$ref": "#/definitions/Spec"},
        "definitions": dict(sorted(definitions.items())),
    }


def _entry_base():
    from ..core.base import Entry
    return Entry


def schema_text() -> str:
    """The schema as the file `kspec schema` writes: stable (so it can be committed and
    compared), one definition per line."""
    schema = json_schema()
    definitions = schema.pop("definitions")

    def one(value):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    head = ",\n".join(f" {one(k)}: {one(v)}" for k, v in schema.items())
    defs = ",\n".join(f"  {one(k)}: {one(v)}" for k, v in definitions.items())
    return "{\n" + head + ',\n "definitions": {\n' + defs + "\n }\n}\n"
