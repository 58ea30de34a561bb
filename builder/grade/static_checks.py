"""The cheap checks: `spec` (fields and values), `lint` (the lectures' rules) and
`graph` (structure of the built model). Each turns the submission's facts into
Conditions; none trains anything."""
from __future__ import annotations

from dataclasses import dataclass

from . import layer_kinds
from ..spec import paths
from .outcome import Condition, Outcome, from_conditions, zero
from .rubric import Bounds


# ---- spec -------------------------------------------------------------------------

def spec_check(check, spec) -> Outcome:
    body, out = check.spec, []
    for text in body.require:
        values = paths.resolve(spec, paths.parse(text))
        ok = any(paths.is_set(v) for v in values)
        out.append(Condition(ok, f"{text} is {'set' if ok else 'not set'}"))
    for text in body.forbid:
        hits = [v for v in paths.resolve(spec, paths.parse(text)) if paths.is_set(v)]
        out.append(Condition(not hits, f"{text} is {'set' if hits else 'not set'}",
                             f"{text} is not set"))
    for text, allowed in body.allowed.items():
        out.append(_each(spec, text, lambda v: any(paths.same(v, a) for a in allowed),
                         "one of " + ", ".join(map(str, allowed))))
    for text, wanted in body.equals.items():
        out.append(_each(spec, text, lambda v: paths.same(v, wanted), str(wanted)))
    for text, bounds in body.between.items():
        out.append(_each(spec, text, lambda v: _number(v) and bounds.holds(v), str(bounds)))
    return from_conditions(check, out)


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _each(spec, text, test, expected) -> Condition:
    """Every value at the path passes `test` (a path with [*] skips items without it)."""
    parts = paths.parse(text)
    values = [paths.plain(v) for v in paths.resolve(spec, parts)]
    if paths.ANY in parts:
        values = [v for v in values if v is not paths.MISSING]
    if not values or any(v is paths.MISSING for v in values):
        return Condition(False, f"{text} is not set", f"{text}: {expected}")
    shown = ", ".join(paths.show(v) for v in values)
    return Condition(all(test(v) for v in values), f"{text} is {shown}", f"{text}: {expected}")


# ---- lint -------------------------------------------------------------------------

def lint_check(check, problems: list) -> Outcome:
    """`problems`: everything kspec validate would print (rendered, with positions)."""
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    found = [p.render() for p in errors + warnings]
    failing = errors or (warnings and check.lint.warnings)
    if not found:
        found = ["kspec validate finds no problem"]
    elif not failing:
        found = ["no errors; warnings to consider:"] + found
    return from_conditions(check, [Condition(not failing, "\n".join(found))])


# ---- graph ------------------------------------------------------------------------

@dataclass
class GraphFacts:
    """What the graph checks look at: the plan's layers, shapes and parameter counts
    (builder/spec/counts.py: equal to Keras' count_params(), without building)."""

    kinds: list[str]  # layer kinds in order (blocks expanded)
    final_activation: str | None
    params: int | None = None
    trainable_params: int | None = None
    input_shape: list | None = None
    output_shape: list | None = None

    def to_json(self) -> dict:
        return dict(self.__dict__)


def graph_check(check, facts: GraphFacts | None, why_not: str = "") -> Outcome:
    if facts is None:
        return zero(check, f"failed: the model cannot be built: {why_not}")
    body, out = check.graph, []
    for word, bounds in body.count.items():
        canon = layer_kinds.canonical(word)
        n = sum(layer_kinds.matches(canon, k) for k in facts.kinds)
        out.append(Condition(bounds.holds(n), f"the model has {n} {word} layer(s)",
                             f"{word} layers: {bounds}"))
    if body.pattern is not None:
        ok = match_pattern([p if p == "..." else layer_kinds.canonical(p) for p in body.pattern],
                           facts.kinds)
        out.append(Condition(ok, "the layer sequence " + ", ".join(facts.kinds) +
                             (" follows the required order" if ok else
                              " does not follow the required order"),
                             "layer order: " + ", ".join(body.pattern)))
    for field, what in (("params", "parameters"), ("trainable_params", "trainable parameters")):
        bounds: Bounds | None = getattr(body, field)
        if bounds is not None:
            n = getattr(facts, field)
            out.append(Condition(n is not None and bounds.holds(n),
                                 f"the model has {n:,} {what}", f"{what}: {bounds}"))
    for field, what in (("input_shape", "input shape"), ("output_shape", "output shape")):
        want = getattr(body, field)
        if want is not None:
            have = getattr(facts, field)
            out.append(Condition(_same_shape(have, want), f"the {what} is {_shape(have)}",
                                 f"{what}: {_shape(want)}"))
    if body.final_activation is not None:
        act = facts.final_activation
        out.append(Condition(act == _activation(body.final_activation),
                             f"the last layer applies {act or 'an activation kspec cannot tell'}",
                             f"final activation: {body.final_activation}"))
    return from_conditions(check, out)


def _activation(name: str) -> str:
    from ..catalog.activations import ACTIVATIONS
    cls = ACTIVATIONS.lookup(name)
    return cls.kind if cls is not None else name


def _shape(shape) -> str:
    if shape is None:
        return "unknown"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def _same_shape(have, want) -> bool:
    return (have is not None and len(have) == len(want) and
            all(w is None or h == w for h, w in zip(have, want)))


def match_pattern(pattern: list, kinds: list[str]) -> bool:
    """Anchored match of layer kinds against a pattern where '...' is any run."""
    memo: dict = {}

    def go(i, j):
        if (i, j) in memo:
            return memo[i, j]
        if i == len(pattern):
            result = j == len(kinds)
        elif pattern[i] == "...":
            result = go(i + 1, j) or (j < len(kinds) and go(i, j + 1))
        else:
            result = (j < len(kinds) and layer_kinds.matches(pattern[i], kinds[j])
                      and go(i + 1, j + 1))
        memo[i, j] = result
        return result

    return go(0, 0)
