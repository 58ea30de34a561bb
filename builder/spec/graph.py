"""Model plans: the layer list of a spec expanded into a flat graph with shapes.

The planner turns `layers:` (with `inputs`, `residual`, `repeat`) into nodes, each
with its input nodes and its output shape, using the catalog's pure-Python shape
rules. Every graph and shape problem is found here, before Keras allocates a
single weight, and reported with the layer's path (hence FILE:LINE:COL). The Keras
builder (builder/build/) then only walks the nodes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..catalog.layers import Layer, ShapeError
from ..catalog.layers.base import fmt
from ..catalog.layers.blocks import Repeat, Residual
from ..catalog.layers.conv import Conv1D, Conv2D
from ..catalog.layers.core import Dense
from ..catalog.layers.merge import Add
from ..core.base import did_you_mean
from ..core.limits import MAX_LAYERS
from ..core.problems import Report

UNKNOWN = None  # a node whose shape could not be worked out (an error was reported)


@dataclass
class Node:
    name: str
    layer: Layer
    inputs: list[str]
    shape: tuple | None
    path: tuple


@dataclass
class Plan:
    inputs: dict[str, tuple]
    nodes: list[Node] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    shapes: dict[str, tuple | None] = field(default_factory=dict)

    def node(self, name: str) -> Node | None:
        return next((n for n in self.nodes if n.name == name), None)

    def output_nodes(self) -> list[Node]:
        return [self.node(n) for n in self.outputs if self.node(n) is not None]


def _nested_shape(value) -> tuple:
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        value = value[0] if value else None
    return tuple(shape)


class Planner:
    def __init__(self, model, path: tuple, report: Report):
        self.model = model
        self.path = path
        self.report = report
        self.plan = Plan(inputs=model.input_shapes())
        self.shapes = dict(self.plan.inputs)  # name -> shape, in definition order
        self.declared = {}  # every user-given name -> path, for 'defined below' hints
        self.counters: dict[str, int] = {}
        self._collect(model.layers, path + ("layers",))

    # ---- names ---------------------------------------------------------------
    def _collect(self, layers, path):
        for i, entry in enumerate(layers):
            p = path + (i, entry.kind)
            if entry.name:
                if entry.name in self.declared or entry.name in self.plan.inputs:
                    self.report.error(p + ("name",), f"the name '{entry.name}' is used twice; "
                                      "give each layer its own name")
                self.declared.setdefault(entry.name, p)
            if hasattr(entry, "layers"):
                self._collect(entry.layers, p + ("layers",))

    def _auto_name(self, kind: str) -> str:
        while True:
            n = self.counters.get(kind, 0)
            self.counters[kind] = n + 1
            name = kind if n == 0 else f"{kind}_{n}"
            if name not in self.declared and name not in self.shapes:
                return name

    def _resolve(self, ref: str, rename: dict, path) -> str | None:
        name = rename.get(ref, ref)
        if name in self.shapes:
            return name
        if ref in self.declared:
            self.report.error(path, f"'{ref}' is defined further down; a layer can only take "
                              "inputs from layers above it (or from the model input)")
        else:
            # suggest names the user wrote (and the inputs), not automatic ones
            known = list(self.plan.inputs) + [n for n in self.declared if n in self.shapes]
            hint = did_you_mean(ref, known)
            self.report.error(path, f"no layer or input named '{ref}'{hint}"
                              + ("" if hint else f"; names above: {', '.join(known)} "
                                 "(give a layer `name: ...` to refer to it)"))
        return None

    # ---- expansion -----------------------------------------------------------
    def run(self) -> Plan:
        size = expanded_size(self.model.layers)
        if size > MAX_LAYERS:  # checked before expanding anything
            self.report.error(self.path + ("layers",), f"the network expands to "
                              f"{'more than ' if size >= _SATURATED else ''}{size:,} layers, "
                              f"over the limit of {MAX_LAYERS:,}; lower a repeat's times")
            return self.plan
        last = self.expand(self.model.layers, self.path + ("layers",), self.first_input(), {})
        outputs = self.model.outputs or ([last] if last else [])
        for i, out in enumerate(outputs):
            name = self._resolve(out, {}, self.path + ("outputs", i)) if self.model.outputs else out
            if name:
                self.plan.outputs.append(name)
        self.plan.shapes = self.shapes
        return self.plan

    def first_input(self) -> str:
        return next(iter(self.plan.inputs))

    def add_node(self, name, layer, inputs, path):
        shapes = [self.shapes.get(i) for i in inputs]
        shape = UNKNOWN
        if all(s is not UNKNOWN for s in shapes):
            try:
                shape = tuple(layer.output_shape(shapes))
            except ShapeError as exc:
                self.report.error(path, f"{layer.kind} on input {' and '.join(fmt(s) for s in shapes)}"
                                  f": {exc}")
            else:
                if _open_weight_size(layer, shapes):
                    self.report.error(path, f"{layer.kind} on input "
                                      f"{' and '.join(fmt(s) for s in shapes)}: its weights "
                                      "would depend on a size left open (None); give that "
                                      "size in model.input")
                    shape = UNKNOWN
                else:
                    self.check_weights(layer, shapes, path)
        self.plan.nodes.append(Node(name, layer, list(inputs), shape, path))
        self.shapes[name] = shape
        return name

    def check_weights(self, layer, shapes, path):
        if not layer.weights:
            return
        # hand-set weights are named by the last part of their path (kernel, bias, gamma)
        full = layer.weight_shapes(shapes)
        expected = {k.split("/")[-1]: v for k, v in full.items()}
        if len(expected) != len(full):
            return  # names repeat (e.g. attention's query/kernel, key/kernel): Keras checks
        for key, value in layer.weights.items():
            if key not in expected:
                self.report.error(path + ("weights", key),
                                  f"{layer.kind} has no weight '{key}'{did_you_mean(key, expected)}; "
                                  f"it has {', '.join(expected)}")
                continue
            got = _nested_shape(value)
            if got != tuple(expected[key]):
                self.report.error(path + ("weights", key),
                                  f"'{key}' must have shape {fmt(expected[key])} here, got {fmt(got)}")

    def expand(self, layers, path, prev, rename) -> str | None:
        for i, entry in enumerate(layers):
            p = path + (i, entry.kind)
            refs = entry.input_names()
            if refs is None:
                inputs = [prev] if prev else []
            else:
                inputs = [self._resolve(r, rename, p + ("inputs",)) for r in refs]
                if None in inputs:
                    prev = None
                    continue
            if isinstance(entry, Residual):
                prev = self.residual(entry, p, inputs, rename)
            elif isinstance(entry, Repeat):
                prev = self.repeat(entry, p, inputs, rename)
            else:
                if not inputs:
                    prev = None
                    continue
                if len(inputs) < entry.min_inputs:
                    self.report.error(p, f"{entry.kind} joins {entry.min_inputs} or more layers; "
                                      "name them with inputs: [a, b]")
                    prev = None
                    continue
                if entry.max_inputs is not None and len(inputs) > entry.max_inputs:
                    self.report.error(p + ("inputs",), f"{entry.kind} takes at most "
                                      f"{entry.max_inputs} input(s), got {len(inputs)}")
                    prev = None
                    continue
                name = rename.get(entry.name, entry.name) if entry.name else self._auto_name(entry.kind)
                prev = self.add_node(name, entry, inputs, p)
        return prev

    def repeat(self, entry: Repeat, path, inputs, rename):
        size = expanded_size([entry])
        if len(self.plan.nodes) + size > MAX_LAYERS:  # before the work: repeat in repeat
            self.report.error(path + ("times",), f"this repeat expands to "
                              f"{'more than ' if size >= _SATURATED else ''}{size:,} layers, "
                              f"over the limit of {MAX_LAYERS:,} layers in one network; "
                              "lower times (or nest fewer repeats)")
            return None
        prev = inputs[0] if inputs else None
        inner = [e.name for e in _walk(entry.layers) if e.name]
        for r in range(1, entry.times + 1):
            local = {**rename, **{n: f"{n}_{r}" for n in inner}}
            prev = self.expand(entry.layers, path + ("layers",), prev, local)
            if prev is None:
                return None
        for n in inner:  # after the block, a plain name means its last copy
            rename[n] = f"{n}_{entry.times}"
        return prev

    def residual(self, entry: Residual, path, inputs, rename):
        if len(inputs) != 1:
            self.report.error(path + ("inputs",), "residual takes one input")
            return None
        start = inputs[0]
        last = self.expand(entry.layers, path + ("layers",), start, rename)
        if last is None:
            return None
        name = rename.get(entry.name, entry.name) if entry.name else self._auto_name("residual")
        shortcut = start
        a, b = self.shapes[start], self.shapes[last]
        if a is not UNKNOWN and b is not UNKNOWN and a != b:
            shortcut = self.projection(entry, path, name, start, a, b)
            if shortcut is None:
                return None
        return self.add_node(name, Add(name=name), [shortcut, last], path)

    def projection(self, entry, path, name, start, a, b):
        """A 1x1 convolution (or dense) that makes the shortcut match the block's output."""
        problem = None
        if len(a) != len(b):
            problem = "the block changes the rank of its input"
        elif entry.projection == "none":
            problem = "projection: none forbids matching them"
        strides = []
        for n_in, n_out in zip(a[:-1], b[:-1]):
            if n_in is None or n_out is None or n_out == 0 or n_in % n_out:
                problem = problem or "the block's output size does not divide its input size"
                break
            strides.append(n_in // n_out)
        if problem:
            self.report.error(path, f"residual: the block's output {fmt(b)} differs from its "
                              f"input {fmt(a)} and {problem}; keep the shapes equal "
                              "(e.g. padding: same) or use projection: auto")
            return None
        pname = f"{name}_projection"
        if len(a) == 1:
            layer = Dense(units=b[-1], name=pname)
        elif len(a) == 2:
            layer = Conv1D(filters=b[-1], kernel_size=1, strides=strides[0], name=pname)
        elif len(a) == 3:
            layer = Conv2D(filters=b[-1], kernel_size=1, strides=strides, name=pname)
        else:
            self.report.error(path, f"residual: cannot project a shortcut of shape {fmt(a)}")
            return None
        return self.add_node(pname, layer, [start], path)


_SATURATED = 10 ** 12


def _open_weight_size(layer, shapes) -> bool:
    """A variable whose shape has a None in it (a dense layer on features of unknown
    number): nothing could be counted or built."""
    return any(d is None for shape in layer.weight_shapes(shapes).values() for d in shape)


def expanded_size(layers) -> int:
    """Layers the planner makes of `layers` (repeats multiplied out; saturates)."""
    n = 0
    for entry in layers:
        if isinstance(entry, Repeat):
            n += entry.times * expanded_size(entry.layers)
        elif isinstance(entry, Residual):
            n += expanded_size(entry.layers) + 2  # the add, maybe a projection
        else:
            n += 1
        if n >= _SATURATED:
            return _SATURATED
    return n


def _walk(layers):
    for entry in layers:
        yield entry
        if hasattr(entry, "layers"):
            yield from _walk(entry.layers)


def plan_model(model, path: tuple, report: Report) -> Plan:
    """Expand `model` (a ModelSpec) into a Plan, reporting problems into `report`."""
    return Planner(model, path, report).run()
