"""Parameter counts and weight sizes from a plan, without Keras, and the weight cap.

Every catalog layer lists the variables Keras will make for it (`weight_shapes`), so
a plan's count is known before anything is allocated: `kspec validate` prints it,
grading's parameter budgets use it, and a model whose float32 weights exceed the cap
(default 2 GB; `--max-weights SIZE` or the environment variable KSPEC_MAX_WEIGHTS)
is refused on the line of its largest layer instead of failing inside TensorFlow.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

from ..catalog.layers.base import NotTrained
from ..core.problems import SpecError

BYTES_PER_WEIGHT = 4  # float32
# counts saturate here, so an absurd spec (units: 10**1000) cannot make the arithmetic
# itself slow or its numbers unprintable; any real model is far below
CEILING = 10 ** 30
ENV = "KSPEC_MAX_WEIGHTS"
DEFAULT_CAP = "2GB"
UNITS = {"": 1, "B": 1, "KB": 2 ** 10, "MB": 2 ** 20, "GB": 2 ** 30, "TB": 2 ** 40}


@dataclass
class Count:
    total: int = 0
    trainable: int = 0

    @property
    def bytes(self) -> int:
        return self.total * BYTES_PER_WEIGHT

    def add(self, other: "Count") -> None:
        self.total = min(self.total + other.total, CEILING)
        self.trainable = min(self.trainable + other.trainable, CEILING)


def _size(shape) -> int:
    n = 1
    for d in shape:
        n = min(n * max(int(d), 0), CEILING)
    return n


def node_count(plan, node) -> Count:
    """The parameters of one planned node (0 where its input shapes are unknown)."""
    shapes = [plan.shapes.get(i) for i in node.inputs]
    if node.shape is None or any(s is None for s in shapes):
        return Count()
    out = Count()
    for shape in node.layer.weight_shapes(shapes).values():
        n = _size(shape)
        trained = node.layer.trainable and not isinstance(shape, NotTrained)
        out.add(Count(n, n if trained else 0))
    return out


def plan_count(plan) -> Count:
    """The whole network's parameters: what Keras' count_params() will say."""
    out = Count()
    for node in plan.nodes:
        out.add(node_count(plan, node))
    return out


def has_weights(plan, node) -> bool:
    return node_count(plan, node).total > 0


# ---- sizes ---------------------------------------------------------------------

def show_bytes(n: int) -> str:
    """48.4 KB, 2.0 GB: binary units, as Keras' summary prints them."""
    for unit in ("TB", "GB", "MB", "KB"):
        if n >= UNITS[unit]:
            return f"{n / UNITS[unit]:,.1f} {unit}"
    return f"{n} bytes"


def show_count(c: Count) -> str:
    """'12,394 parameters, 48.4 KB' (with the trained part where it differs)."""
    more = "more than " if c.total >= CEILING else ""
    frozen = f", {c.trainable:,} trained" if c.trainable != c.total else ""
    return f"{more}{c.total:,} parameters{frozen}, {show_bytes(c.bytes)}"


def parse_size(text: str) -> int | None:
    """'4GB', '500 MB', '1.5gb', '2000000000' (bytes) -> bytes; 'none' or 'off': no cap."""
    word = str(text).strip().upper().replace(" ", "")
    if word in ("NONE", "OFF", "0"):
        return None
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT]?B?)", word)
    if not m:
        raise ValueError(f"'{text}' is not a size; write it like 4GB, 500MB or none")
    unit = m.group(2) if m.group(2) in UNITS else m.group(2) + "B"
    return int(float(m.group(1)) * UNITS[unit])


def weight_cap() -> int | None:
    """The cap in bytes: KSPEC_MAX_WEIGHTS (set by --max-weights too), default 2 GB."""
    text = os.environ.get(ENV, DEFAULT_CAP)
    try:
        return parse_size(text)
    except ValueError as exc:
        raise SpecError.single(f"{ENV}: {exc}") from None


def check_weight_cap(plans: dict, report) -> None:
    """An error on the largest layer of each network whose weights exceed the cap."""
    cap = weight_cap()
    if cap is None:
        return
    for role, plan in plans.items():
        total = plan_count(plan)
        if total.bytes <= cap:
            continue
        counts = [(node_count(plan, n).total, n) for n in plan.nodes]
        n, node = max(counts, key=lambda c: c[0])
        whole = "" if n == total.total else f"; the network has {show_count(total)}"
        report.error(node.path,
                     f"{node.layer.kind} has {show_count(Count(n, n))} of float32 "
                     f"weights{whole}, over the {show_bytes(cap)} cap on a model's weights; "
                     "make the layer smaller (fewer units or filters, pooling before it), "
                     f"or raise the cap with --max-weights SIZE or {ENV}=SIZE")


def network_sizes(spec) -> str:
    """What `kspec validate` prints for a valid spec: each network's count and size."""
    from .check import plan_networks
    from ..core.problems import Report
    from .parts import missing
    text = describe(plan_networks(spec, Report())) if not missing(spec, "model") else \
        "data only, no model"
    lacking = [p for p in missing(spec) if p != "models"]
    if lacking and text != "data only, no model":  # a part of a run (spec/parts.py)
        text += f"; no {' or '.join(f'{p}:' for p in lacking)} section"
    return text


def describe(plans: dict) -> str:
    """'model: 12,394 parameters, 48.4 KB' or 'encoder 1,234 + decoder 2,345 parameters, ...'."""
    counts = {role: plan_count(plan) for role, plan in plans.items()}
    if list(counts) == ["model"]:
        return "model: " + show_count(counts["model"])
    whole = Count()
    for c in counts.values():
        whole.add(c)
    parts = " + ".join(f"{role} {c.total:,}" for role, c in counts.items())
    return f"{parts} = {show_count(whole)}"
