"""The two building blocks of the schema: strict models and closed catalogs.

* ``Strict``: every schema model forbids unknown keys and answers a misspelled key
  with a suggestion.
* ``Catalog``: a closed name -> parameter-model table. Layers, activations, losses,
  optimizers, data sources, preprocessing steps... are all written the same way in
  YAML (a bare name, or a one-key mapping ``name: {params}``) and parsed here.

Nothing here imports TensorFlow or Keras.
"""

import difflib
import importlib
from typing import Annotated, Any, ClassVar

from pydantic import (BaseModel, ConfigDict, PlainSerializer, PlainValidator,
                      ValidationError, WithJsonSchema, model_validator)
from pydantic_core import PydanticCustomError

from . import limits  # `from . import`: core modules import only each other


def _custom(kind: str, message: str) -> PydanticCustomError:
    # the message travels as context, so pydantic formats it exactly once (a template
    # without context is never formatted: escaped braces would be shown doubled)
    return PydanticCustomError(kind, "{message}", {"message": message})


def did_you_mean(word: str, options, prefix: str = "; ") -> str:
    if not isinstance(word, (str, int, float)) or len(str(word)) > limits.MAX_SUGGEST:
        return ""  # difflib's cost grows with the product of the lengths
    options = [str(o) for o in options if len(str(o)) <= limits.MAX_SUGGEST]
    match = difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    return f"{prefix}did you mean '{match[0]}'?" if match else ""


def plural(n: int, word: str) -> str:
    """'unit' -> 'units' unless n is 1 (messages say "1 unit", "3 units")."""
    return word if n == 1 else word + "s"


def _detail(err: dict, loc_prefix=(), **override) -> dict:
    """Turn an error from ``ValidationError.errors()`` back into raisable form."""
    loc = tuple(loc_prefix) + tuple(err["loc"])
    etype = override.get("type", err["type"])
    msg = override.get("msg", err["msg"])
    if etype.startswith("kspec_") or "msg" in override:
        return {"type": _custom(etype, msg), "loc": loc, "input": err.get("input")}
    out = {"type": etype, "loc": loc, "input": err.get("input")}
    if "ctx" in err:
        out["ctx"] = err["ctx"]
    return out


def reraise(title: str, details: list[dict]):
    raise ValidationError.from_exception_data(title, details)


def fail(kind: str, message: str):
    """Raise one custom validation error (inside a validator)."""
    raise _custom("kspec_" + kind, message)


def fail_at(loc: tuple, kind: str, message: str):
    """Raise one custom validation error at a path below the current model."""
    reraise("kspec", [{"type": _custom("kspec_" + kind, message), "loc": tuple(loc), "input": None}])


class Strict(BaseModel):
    """Base of every schema model: unknown keys are errors, with a suggestion."""

    # defaults are validated too, so `optimizer: adam` by default is an Adam entry
    # defer_build: each of the ~150 catalog models builds its validator on first use,
    # which keeps `kspec validate` start-up short
    model_config = ConfigDict(extra="forbid", validate_default=True, protected_namespaces=(),
                              defer_build=True)

    # unknown keys that users bring from elsewhere (Keras' input_shape) -> the hint
    key_hints: ClassVar[dict] = {}

    @classmethod
    def allowed_keys(cls) -> list[str]:
        return [f.alias or name for name, f in cls.model_fields.items()]

    @model_validator(mode="wrap")
    @classmethod
    def _teach_unknown_keys(cls, data, handler):
        try:
            return handler(data)
        except ValidationError as exc:
            details = []
            for err in exc.errors():
                if err["type"] == "extra_forbidden" and len(err["loc"]) == 1:
                    key = err["loc"][0]
                    hint = cls.key_hints.get(key) or did_you_mean(key, cls.allowed_keys())
                    if not hint:
                        hint = "; allowed keys: " + ", ".join(cls.allowed_keys())
                    details.append(_detail(err, type="kspec_unknown_key",
                                           msg=f"unknown key '{key}'{hint}"))
                else:
                    details.append(_detail(err))
            reraise(cls.__name__, details)


class Entry(Strict):
    """Validated parameters of one catalog entry (a layer, a loss, a source...).

    Subclasses declare their parameters as fields and, where the entry becomes a
    Keras object, a ``build`` method that imports Keras lazily.
    """

    kind: ClassVar[str] = ""
    # a scalar written after the name fills this field: `scale: 255`, `sklearn: iris`
    positional: ClassVar[str | None] = None
    doc: ClassVar[str] = ""

    def __eq__(self, other):
        # an entry equals its YAML form, so a default written as "adam" or
        # "glorot_uniform" counts as a default once validated into an entry
        if isinstance(other, (str, dict)):
            return self.to_data() == other
        return super().__eq__(other)

    __hash__ = None

    def params(self) -> dict:
        """The parameters the user set or that differ from defaults."""
        # by alias: a field written under another name in YAML (output_size) reads back
        return self.model_dump(exclude_defaults=True, mode="json", by_alias=True)

    def to_data(self):
        """Back to the YAML form: a bare name or a one-key mapping."""
        params = self.params()
        return {self.kind: params} if params else self.kind


class Catalog:
    """A closed table of entries of one kind, e.g. all layers."""

    def __init__(self, what: str, example: str, index: dict | None = None):
        self.what = what  # "layer", "loss", ...
        self.example = example  # shown in form errors
        self._entries: dict[str, type[Entry]] = {}
        self._aliases: dict[str, str] = {}
        # a lazy catalog: `index` (name or alias -> the module registering it, from
        # catalog/index.py) is imported from when a spec names an entry, so `kspec
        # validate` of a dense network never loads the conv layers
        self._index: dict[str, str] = dict(index or {})
        self._complete = not self._index

    def register(self, name: str, *aliases: str):
        def deco(cls: type[Entry]) -> type[Entry]:
            cls.kind = name
            if name in self._entries:
                raise RuntimeError(f"{self.what} '{name}' registered twice")
            self._entries[name] = cls
            for alias in aliases:
                self._aliases[alias] = name
            return cls
        return deco

    def add(self, name: str, cls: type[Entry], *aliases: str) -> type[Entry]:
        return self.register(name, *aliases)(cls)

    def alias(self, alias: str, name: str) -> None:
        self._aliases[alias] = name

    def has(self, name: str) -> bool:
        """Already registered (never imports): for modules that register conditionally."""
        return name in self._entries or name in self._aliases

    def load_all(self) -> None:
        """Import every module of a lazy catalog (listings, the JSON schema, suggestions)."""
        if self._complete:
            return
        for module in dict.fromkeys(self._index.values()):  # in the index's order
            importlib.import_module(module)
        self._complete = True
        order = list(self._index)  # registration order as a full import gives it
        self._entries = dict(sorted(self._entries.items(), key=lambda kv: (
            order.index(kv[0]) if kv[0] in order else len(order))))

    @property
    def entries(self) -> dict[str, type[Entry]]:
        self.load_all()
        return self._entries

    @property
    def aliases(self) -> dict[str, str]:
        self.load_all()
        return self._aliases

    def names(self) -> list[str]:
        return sorted(self.entries)

    def lookup(self, name: str) -> type[Entry] | None:
        key = str(name).strip().lower()
        found = self._entries.get(self._aliases.get(key, key))
        if found is None and not self._complete:
            module = self._index.get(key)
            if module is not None:
                importlib.import_module(module)
                found = self._entries.get(self._aliases.get(key, key))
            if found is None:  # unknown, or an index that lags the code: look everywhere
                self.load_all()
                found = self._entries.get(self._aliases.get(key, key))
        return found

    def aliases_of(self, name: str) -> list[str]:
        """The other names an entry answers to (silu: swish), as `kspec catalog` shows them."""
        return sorted(a for a, n in self.aliases.items() if n == name)

    def suggest(self, word: str) -> str:
        """'; did you mean ...?' naming the entry's own name even when the closest match is
        an alias (maxpool2d -> max_pooling2d, not maxpooling2d)."""
        if len(str(word)) > limits.MAX_SUGGEST:
            return ""  # difflib's cost grows with the product of the lengths
        match = difflib.get_close_matches(str(word).lower(), list(self.entries) + list(self.aliases),
                                          n=1, cutoff=0.6)
        return f"; did you mean '{self.aliases.get(match[0], match[0])}'?" if match else ""

    def parse(self, value: Any) -> Entry:
        """Validate a YAML value as an entry of this catalog."""
        if isinstance(value, Entry):
            return value
        if isinstance(value, str):
            name, params = value, None
        elif isinstance(value, dict) and len(value) == 1:
            name, params = next(iter(value.items()))
        else:
            fail("form", f"write a {self.what} as a name or a one-key mapping, "
                         f"e.g. {self.example}")
        cls = self.lookup(name)
        if cls is None:
            hint = self.suggest(name)
            fail("unknown_name", f"unknown {self.what} {limits.shown(str(name))}{hint or ''}"
                 f"{'' if hint else f' (see kspec catalog {self.what}s)'}")
        if params is None:
            params = {}
        if not isinstance(params, dict):
            if cls.positional is None:
                fail("form", f"'{name}' takes a mapping of parameters, e.g. "
                             f"{name}: {{...}}; got {limits.shown(params)}")
            params = {cls.positional: params}
        try:
            return cls.model_validate(params)
        except ValidationError as exc:
            reraise(cls.__name__, [_detail(e, loc_prefix=(cls.kind,)) for e in exc.errors()])

    def parse_optional(self, value: Any) -> Entry | None:
        return None if value is None else self.parse(value)

    @property
    def ref(self):
        """A pydantic field type accepting this catalog's YAML form."""
        return self._annotated(self.parse, nullable=False)

    @property
    def optional(self):
        """Like `ref`, but null (the default 'none') is allowed."""
        return self._annotated(self.parse_optional, nullable=True)

    def _annotated(self, validator, nullable: bool):
        return Annotated[
            Any,
            PlainValidator(validator),
            PlainSerializer(lambda e: e.to_data() if isinstance(e, Entry) else e),
            WithJsonSchema(self.json_schema(nullable)),
        ]

    @property
    def schema_name(self) -> str:
        return self.what.replace(" ", "_")

    def json_schema(self, nullable: bool = False) -> dict:
        """A placeholder naming this catalog. The exporter (builder/spec/jsonschema.py)
        swaps it for a reference to one shared definition listing every entry with its
        parameters: pydantic cannot inline it, as layers contain layers."""
        return {"x-kspec-catalog": self.schema_name, "x-kspec-nullable": nullable}
