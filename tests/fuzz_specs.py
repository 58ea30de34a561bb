"""Structural mutations of the bundled specs, shared by the CI fuzz test
(tests/test_fuzz_validate.py, driven by hypothesis) and the long benchmark
(benchmarks/fuzz_validate.py, driven by a seeded random.Random).

A mutation takes a bundled spec's data and changes it the way a student's typo, a
copy-paste accident or an attacker would: keys deleted, renamed or added, values of
the wrong type, extreme numbers, deep nesting, references to layers that do not
exist, `repeat` inside `repeat`, long `extends:` values; then, on the YAML text,
merge keys `<<`, anchors that refer to themselves, tabs, a missing space after a
colon, unclosed brackets, huge integer literals, invalid UTF-8.

Both drivers hand the mutations a *chooser*: `choice(options)` and `integer(lo, hi)`.
`validate_bytes` runs what `kspec validate` runs (load_spec, then the counts it
prints) and sorts the outcome: "accepted", "error" (kspec's SpecError, every
message bounded) or an escape named by its exception type.
"""
from __future__ import annotations

import copy
import math
import random
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
MAX_MESSAGE = 2_000  # what a clean error may print per problem (a limit in builder/core)


def bundled_texts() -> dict[str, str]:
    from builder.spec.library import bundled  # every topic folder's specs
    return {name: path.read_text(encoding="utf-8") for name, path in sorted(bundled().items())}


class RandomChooser:
    """A chooser over random.Random, for the benchmark."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def choice(self, options):
        options = list(options)
        return options[self.rng.randrange(len(options))]

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)


class DataChooser:
    """A chooser over hypothesis' `st.data()`, for the property test (shrinkable)."""

    def __init__(self, data):
        from hypothesis import strategies as st
        self.data, self.st = data, st

    def choice(self, options):
        options = list(options)
        return options[self.data.draw(self.st.integers(0, len(options) - 1))]

    def integer(self, lo: int, hi: int) -> int:
        return self.data.draw(self.st.integers(lo, hi))


# ---- hostile values -----------------------------------------------------------------

INTS = [0, -1, 1, 2, 3, 7, 255, 2 ** 31, 2 ** 63, -2 ** 63, 10 ** 30, 10 ** 400]
FLOATS = [math.inf, -math.inf, math.nan, 1e308, 1e-320, -0.0, 0.5, 1e20, -1.5]
WORDS = ["", " ", "relu", "dense", "softmax", "adam", "input", "none", "same", "valid",
         "x" * 300, "ünïcødé", "名前", "😀", "a\tb", "line\nbreak", "null", "~", "-", "=1+1",
         "digits_cnn", "../x.yaml", "/dev/zero", "a" * 5000 + ".yaml", "specs/xor_mlp.yaml",
         "lenet5", "model.layers[0]", "{", "[", "*a", "&a", "<<", "%", "\x7f"]


def hostile_value(ch, spec_values: list):
    kind = ch.choice(["int", "float", "word", "none", "bool", "list", "dict", "deep",
                      "long", "spec", "spec", "spec"])
    if kind == "int":
        return ch.choice(INTS)
    if kind == "float":
        return ch.choice(FLOATS)
    if kind == "word":
        return ch.choice(WORDS)
    if kind == "none":
        return None
    if kind == "bool":
        return ch.choice([True, False])
    if kind == "list":
        return ch.choice([[], [1, 2, 3], [None], [[1], [2, 3]], ["a", 1], [0] * 50])
    if kind == "dict":
        return ch.choice([{}, {"a": 1}, {"dense": {"units": 2}}, {"": None}, {1: 2}])
    if kind == "deep":
        return deep(ch.choice(["list", "dict"]), ch.choice([20, 200, 2000]))
    if kind == "long":
        return ch.choice(["z" * 100_000, f"__long_list_{ch.choice([1000, 100_000])}__"])
    return copy.deepcopy(ch.choice(spec_values)) if spec_values else None


def deep(kind: str, depth: int):
    """A placeholder that mutated_spec writes out as `depth` nested flow collections
    (PyYAML's own dumper would recurse too deep to write it)."""
    return f"__deep_{kind}_{depth}__"


def _deep_text(match) -> str:
    kind, depth = match.group(1), int(match.group(2))
    return ("[" * depth + "1" + "]" * depth if kind == "list"
            else "{k: " * depth + "1" + "}" * depth)


HOSTILE_KEYS = ["", "unknown", "kernal_size", "unitz", "k" * 10_000, "ünï", "名前", "😀",
                "layers", "inputs", "name", "repeat", "weights", "extends", "unset",
                "layers_by_name", "kspec", "<<", "1", "null"]


# ---- walking the data -----------------------------------------------------------------

def paths_of(data, path=()):
    yield path
    if len(path) > 40:
        return
    if isinstance(data, dict):
        for k, v in data.items():
            yield from paths_of(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from paths_of(v, path + (i,))


def get(data, path):
    for part in path:
        data = data[part]
    return data


def values_of(data) -> list:
    return [get(data, p) for p in paths_of(data) if p]


def layer_lists(data) -> list[tuple]:
    return [p for p in paths_of(data) if p and p[-1] == "layers" and isinstance(get(data, p), list)]


def names_in(data) -> list[str]:
    out = []
    for p in paths_of(data):
        if p and p[-1] == "name" and isinstance(get(data, p), str):
            out.append(get(data, p))
    return out or ["input"]


# ---- structural mutations ------------------------------------------------------------

def mutate_data(data, ch):
    values = values_of(data)
    paths = [p for p in paths_of(data) if p]
    op = ch.choice(["delete", "replace", "replace", "replace", "rename", "add", "wrap",
                    "duplicate", "nest", "repeat", "reference", "extends", "swap_in",
                    "repeat"])
    if op == "extends":
        data["extends"] = ch.choice(WORDS + [ch.choice(WORDS) * ch.choice([1, 50, 2000])])
        return data
    if op in ("repeat", "reference") and layer_lists(data):
        where = ch.choice(layer_lists(data))
        layers = get(data, where)
        if layers:
            i = ch.integer(0, len(layers) - 1)
            if op == "repeat":
                inner = [layers[i]]
                for _ in range(ch.integer(1, 4)):
                    inner = [{"repeat": {"times": ch.choice([0, 1, 2, 3, 100, 10_000,
                                                            10 ** 6, 10 ** 12]),
                                         "layers": inner}}]
                layers[i] = inner[0]
            else:
                entry = layers[i]
                ref = ch.choice(names_in(data) + ["nowhere", "", "input"])
                ref = ch.choice([ref, [ref, ref], [ref, "input"], []])
                if isinstance(entry, dict) and len(entry) == 1:
                    params = next(iter(entry.values()))
                    if not isinstance(params, dict):
                        params = {}
                    params["inputs"] = ref
                    entry[next(iter(entry))] = params
                elif isinstance(entry, str):
                    layers[i] = {entry: {"inputs": ref}}
                if "model" in data and isinstance(data["model"], dict) and ch.choice([0, 1]):
                    data["model"]["outputs"] = ch.choice([ref, [ref], names_in(data)])
            return data
    if not paths:
        return hostile_value(ch, values)
    path = ch.choice(paths)
    parent, last = get(data, path[:-1]), path[-1]
    if op == "delete":
        del parent[last]
    elif op in ("replace", "swap_in"):
        parent[last] = (copy.deepcopy(ch.choice(values)) if op == "swap_in" and values
                        else hostile_value(ch, values))
    elif op == "rename" and isinstance(parent, dict):
        value = parent.pop(last)
        parent[ch.choice(HOSTILE_KEYS + [str(last)[:-1], str(last) + "s"])] = value
    elif op == "add":
        target = get(data, path)
        if isinstance(target, dict):
            target[ch.choice(HOSTILE_KEYS)] = hostile_value(ch, values)
        elif isinstance(target, list):
            target.insert(ch.integer(0, len(target)), hostile_value(ch, values))
        else:
            parent[last] = [target, hostile_value(ch, values)]
    elif op == "wrap":
        parent[last] = ch.choice([[parent[last]], {"k": parent[last]},
                                  {str(last): parent[last]}])
    elif op == "duplicate" and isinstance(parent, list):
        parent.insert(last, copy.deepcopy(parent[last]))
    elif op == "nest":
        parent[last] = deep(ch.choice(["list", "dict"]), ch.choice([50, 500, 1500]))
    else:
        parent[last] = hostile_value(ch, values)
    return data


# ---- text mutations ---------------------------------------------------------------------

SNIPPETS = ["<<: 1", "<<: [1, 2]", "<<: [*a]", "<<: {}", "<<: null", "<<: 'x'", "<<: *a",
            "a: &a [*a]", "b: &b {c: *b}", "x: !!python/object:os.system 1", "y: !!binary aGk=",
            "z: 0x" + "f" * 5000, "n: " + "9" * 5000, "m: 1e999", "f: .nan", "g: -.inf",
            "h: 0o777", "i: 1_000", "j: '\\x00'", "t:\tx", "k: [", "l: {", "q: '", 'r: "',
            "s: |", "? [1]\n: 2", "--- 1", "...", "%YAML 1.1", "&x", "*undefined", "@x", "`x",
            "d: " + "[" * 3000 + "]" * 3000, "e: " + "{a: " * 3000 + "}" * 3000]


def mutate_text(text: str, ch) -> bytes:
    lines = text.split("\n")
    op = ch.choice(["insert", "insert", "tab", "nospace", "unclose", "truncate", "anchor",
                    "dupline", "bytes", "bom", "bigdoc"])
    i = ch.integer(0, max(len(lines) - 1, 0))
    line = lines[i] if lines else ""
    indent = line[:len(line) - len(line.lstrip(" "))]
    if op == "insert":
        lines.insert(i, indent + ch.choice(SNIPPETS))
    elif op == "tab" and indent:
        lines[i] = "\t" + line[1:]
    elif op == "nospace" and ": " in line:
        lines[i] = line.replace(": ", ":", 1)
    elif op == "unclose":
        for closer in ("]", "}"):
            if closer in line:
                lines[i] = line[::-1].replace(closer, "", 1)[::-1]
                break
        else:
            lines[i] = line + ch.choice([" [", " {"])
    elif op == "truncate":
        return text[:ch.integer(0, len(text))].encode()
    elif op == "anchor" and ": " in line:
        key, _, value = line.partition(": ")
        lines[i] = f"{key}: &a {value}"
        j = ch.integer(0, len(lines) - 1)
        ind = lines[j][:len(lines[j]) - len(lines[j].lstrip(" "))]
        lines.insert(j + 1, ind + ch.choice(["<<: *a", "zz: *a", "- *a"]))
    elif op == "dupline":
        lines.insert(i, line)
    elif op == "bytes":
        return ("\n".join(lines)).encode() + ch.choice([b"\xff\xfe", b"\x80", b"\x00", b"\xc3"])
    elif op == "bom":
        return b"\xef\xbb\xbf" + text.encode()
    elif op == "bigdoc":
        lines.append("description: " + "w" * ch.choice([10_000, 1_000_000, 20_000_000]))
    return "\n".join(lines).encode("utf-8", "surrogatepass")


def mutated_spec(ch, texts: dict[str, str]) -> bytes:
    """One mutated bundled spec as the bytes of a YAML file."""
    name = ch.choice(sorted(texts))
    text = texts[name]
    if ch.integer(0, 3):  # mostly structural, sometimes on the text alone
        data = yaml.safe_load(text)
        for _ in range(ch.integer(1, 3)):
            data = mutate_data(data, ch)
        try:
            text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=2 ** 30)
        except (yaml.YAMLError, RecursionError, ValueError):
            text = texts[name]
        text = re.sub(r"__deep_(list|dict)_(\d+)__", _deep_text, text)
        text = re.sub(r"__long_list_(\d+)__",  # written out here: PyYAML's dumper is slow
                      lambda m: "[" + ", ".join(map(str, range(int(m.group(1))))) + "]", text)
    if ch.integer(0, 3) == 0:
        return mutate_text(text, ch)
    return text.encode("utf-8", "surrogatepass")


# ---- running what `kspec validate` runs ---------------------------------------------------

def validate_file(path: Path) -> str:
    """'accepted' or 'error'; anything else raised escapes (the caller names it)."""
    from builder.core.problems import SpecError
    from builder.spec.counts import network_sizes
    from builder.spec.load import load_spec
    try:
        loaded = load_spec(str(path))
        text = network_sizes(loaded.spec)
    except SpecError as exc:
        for p in exc.problems:
            line = p.render()
            if len(line) > MAX_MESSAGE + 500:
                raise AssertionError(f"a {len(line):,}-character error message") from None
            if "\n" in p.message:
                raise AssertionError(f"a message of several lines: {p.message[:200]!r}") from None
        return "error"
    if len(text) > MAX_MESSAGE:
        raise AssertionError("validate's summary line is too long")
    return "accepted"
