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
from ..core.base import did_you_mean
from ..core.limits import MAX_LAYERS
from ..core.problems import Report, format_path

# the layer-catalog entries (catalog/layers/blocks.py) that the planner expands itself; by
# kind, so planning a plain network never imports the blocks module
BLOCKS = ("residual", "repeat", "use")

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
        self.frozen = not getattr(model, "trainable", True)  # inside a trainable: false part
        self.use_depth = 0  # blocks inside blocks, bounded (a block may not use itself forever)
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
        if not self.report.errors:
            self.check_all_used()
        return self.plan

    def check_all_used(self):
        """Keras keeps only the layers on a path from an input to an output; one that no
        output needs would vanish from the model silently, so it is an error here."""
        needed = set(self.plan.outputs)
        for node in reversed(self.plan.nodes):
            if node.name in needed:
                needed.update(node.inputs)
        reported = set()
        for node in self.plan.nodes:
            if node.name in needed or node.path in reported:
                continue
            reported.add(node.path)  # a repeat's copies share one line: say it once
            outs = ", ".join(self.plan.outputs)
            self.report.error(node.path, f"layer '{node.name}' is not used: no output ({outs}) "
                              "depends on it, so the model would drop it; name it in "
                              "`outputs:` or use it in a later layer's `inputs:`")

    def first_input(self) -> str:
        return next(iter(self.plan.inputs))

    def add_node(self, name, layer, inputs, path):
        if self.frozen and layer.trainable:  # a frozen block or network freezes what it holds
            layer = layer.model_copy(update={"trainable": False})
        shapes = [self.shapes.get(i) for i in inputs]
        shape = UNKNOWN
        if all(s is not UNKNOWN for s in shapes):
            try:
                shape = tuple(layer.output_shape(shapes))
            except ShapeError as exc:
                self.report.error(path, f"{layer.kind} on input {' and '.join(fmt(s) for s in shapes)}"
                                  f": {self.last_step_only(inputs) or exc}")
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

    def last_step_only(self, inputs) -> str | None:
        """The usual cause of a sequence layer getting a vector: the RNN before it returns
        only its last step (stacked LSTMs). The fix names that RNN's line."""
        for name in inputs:
            node = self.plan.node(name)
            if node is not None and getattr(node.layer, "return_sequences", None) is False \
                    and node.shape is not None and len(node.shape) == 1:
                where = format_path(node.path[len(self.path):-1])
                return (f"expects a sequence (steps, features), but {node.layer.kind} "
                        f"'{node.name}' returns only its last step; set return_sequences: true "
                        f"on {where}")
        return None

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
            if entry.kind in BLOCKS:
                outer, self.frozen = self.frozen, self.frozen or not entry.trainable
                block = getattr(self, entry.kind)  # self.residual, self.repeat, self.use
                prev = block(entry, p, inputs, rename)
                self.frozen = outer
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

    def repeat(self, entry, path, inputs, rename):
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

    def use(self, entry, path, inputs, rename):
        """Expand one use of a model.blocks entry: its $params substituted by the use's
        args, its layers planned in place, each name x inside it called <scope>_x in Keras
        and `<scope>/x` in later `inputs:` (the scope is the use's name)."""
        blocks = getattr(self.model, "blocks", {}) or {}
        block = blocks.get(entry.block)
        if block is None:
            known = ", ".join(blocks) or "none defined"
            self.report.error(path + ("block",), f"no block named '{entry.block}'"
                              f"{did_you_mean(entry.block, blocks)}; model.blocks has: {known}")
            return None
        for key in entry.args:
            if key not in block.params:
                self.report.error(path + ("args", key), f"block {entry.block} has no parameter "
                                  f"'{key}'{did_you_mean(key, block.params)}; its parameters: "
                                  f"{', '.join(block.params) or 'none'}")
                return None
        if self.use_depth >= MAX_USE_DEPTH:
            self.report.error(path, f"blocks use each other more than {MAX_USE_DEPTH} deep "
                              f"(does {entry.block} use itself?)")
            return None
        bpath = self.path + ("blocks", entry.block, "layers")
        layers = block_layers(block, {**block.params, **entry.args}, bpath, self.report)
        if layers is None or len(inputs) != 1:
            if layers is not None:
                self.report.error(path + ("inputs",), "a block use takes one input")
            return None
        scope = entry.name or self._auto_name(entry.block)
        inner = [e.name for e in _walk(layers) if e.name]
        local = {**rename, **{n: f"{scope}_{n}" for n in inner}}
        self.use_depth += 1
        last = self.expand(layers, bpath, inputs[0], local)
        self.use_depth -= 1
        for n in inner:  # later layers name them scope/x
            rename[f"{scope}/{n}"] = local[n]
        if entry.name and last is not None:
            rename[entry.name] = last  # the use's own name means its last layer
        return last

    def residual(self, entry, path, inputs, rename):
        from ..catalog.layers.merge import Add  # here: a plan without residuals never loads it
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
        """A 1x1 convolution (or dense) that makes the shortcut match the block's output,
        made as `entry.shortcut` says (strided or pooled, with batch norm or not)."""
        problem, fix = None, ""
        if len(a) != len(b):
            problem = "the block changes the rank of its input"
            fix = "keep the rank inside the block (flatten or pool after the residual, not in it)"
        elif entry.projection == "none":
            problem = "projection: none forbids matching them"
            fix = "remove projection: none to add a 1x1 projection, or keep the shapes equal"
        strides = []
        for n_in, n_out in zip(a[:-1], b[:-1]):
            stride = _stride(n_in, n_out)
            if stride is None and problem is None:
                problem = f"no stride takes size {n_in} to {n_out}"
                fix = (f"make the block's size ceil({n_in} / stride) (padding: same on its "
                       "strided layer) or keep the sizes equal")
            strides.append(stride)
        if problem:
            self.report.error(path, f"residual: the block's output {fmt(b)} differs from its "
                              f"input {fmt(a)} and {problem}; {fix}")
            return None
        how = entry.shortcut
        pname = f"{name}_projection"
        from ..catalog.layers.conv import AveragePooling1D, AveragePooling2D, Conv1D, Conv2D
        from ..catalog.layers.core import BatchNormalization, Dense
        prev = start
        if len(a) == 1:
            layer = Dense(units=b[-1], use_bias=how.use_bias, name=pname)
        elif len(a) in (2, 3):
            conv, pool = (Conv1D, AveragePooling1D) if len(a) == 2 else (Conv2D, AveragePooling2D)
            strides = strides[0] if len(a) == 2 else strides
            if how.downsample == "pooled" and any(s_ != 1 for s_ in (strides if isinstance(
                    strides, list) else [strides])):
                prev = self.add_node(f"{pname}_pool", pool(pool_size=strides, strides=strides,
                                                          padding="same"), [prev], path)
                strides = 1
            layer = conv(filters=b[-1], kernel_size=1, strides=strides, use_bias=how.use_bias,
                         name=pname)
        else:
            self.report.error(path, f"residual: cannot project a shortcut of shape {fmt(a)}")
            return None
        out = self.add_node(pname, layer, [prev], path)
        if how.batch_norm:
            out = self.add_node(f"{pname}_norm", BatchNormalization(), [out], path)
        return out


def _stride(n_in, n_out):
    """The stride s with ceil(n_in / s) == n_out (a 1x1 kernel's output size), or None."""
    if n_in is None or n_out is None or n_out <= 0 or n_out > n_in:
        return None
    s = max(1, -(-n_in // n_out))
    for cand in (s - 1, s, s + 1):
        if cand >= 1 and -(-n_in // cand) == n_out:
            return cand
    return None


MAX_USE_DEPTH = 8


def block_layers(block, values: dict, path, report):
    """The block's layers with every "$param" value replaced (whole values only: no
    expressions, nothing evaluated), parsed as catalog entries; None after an error."""
    from ..catalog.layers import LAYERS
    from pydantic import ValidationError
    from .load import problems_from_pydantic

    def sub(value, where):
        if isinstance(value, dict):
            return {k: sub(v, where + (k,)) for k, v in value.items()}
        if isinstance(value, list):
            return [sub(v, where + (i,)) for i, v in enumerate(value)]
        if isinstance(value, str) and value.startswith("$"):
            if value[1:] not in values:
                raise KeyError((where, value[1:]))
            return values[value[1:]]
        return value

    out, ok = [], True
    for i, raw in enumerate(block.layers):
        try:
            out.append(LAYERS.parse(sub(raw, ())))
        except KeyError as exc:
            where, name = exc.args[0]
            report.error(path + (i,) + where, f"'${name}' is not a parameter of this block"
                         f"{did_you_mean(name, values)}; add it to params: with a default")
            ok = False
        except ValidationError as exc:
            for problem in problems_from_pydantic(exc, raw):
                report.error(path + (i,) + problem.path, problem.message)
            ok = False
    return out if ok else None


_SATURATED = 10 ** 12


def _open_weight_size(layer, shapes) -> bool:
    """A variable whose shape has a None in it (a dense layer on features of unknown
    number): nothing could be counted or built."""
    return any(d is None for shape in layer.weight_shapes(shapes).values() for d in shape)


def expanded_size(layers) -> int:
    """Layers the planner makes of `layers` (repeats multiplied out; saturates)."""
    n = 0
    for entry in layers:
        if entry.kind == "repeat":
            n += entry.times * expanded_size(entry.layers)
        elif entry.kind == "residual":
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
