"""`kspec plot model`: the model drawn from its plan, by kspec itself (no Graphviz, no
TensorFlow): a box per layer with its output shape and parameter count (the Keras-free
counts of spec/counts.py), arrows for the data flow, skip connections routed around
the side, dashed frames for residual blocks and each copy of a repeated block, and one
column per network of a multi-network spec.

The layout is computed once (boxes, arrows, frames in pixels) and drawn twice: as
SVG text written directly, or as PNG with matplotlib."""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

from ..catalog.layers.base import fmt
from ..spec.counts import node_count, plan_count

BOX_W, BOX_H = 230, 50
GAP_Y, GAP_X = 30, 40
MARGIN = 30
TITLE_H = 34
ROLE_GAP = 70
SKIP_STEP = 14  # how far each skip connection runs beside the boxes

COLORS = {  # box fill by the family of a layer
    "input": "#e8eef7", "dense": "#fde9c9", "conv": "#d8ecd5", "pool": "#d5e7ec",
    "norm": "#eee0f3", "join": "#f6d5d5", "act": "#f2f2f2", "other": "#ffffff",
}


@dataclass
class Box:
    key: str
    x: float
    y: float
    lines: list
    color: str
    w: float = BOX_W
    h: float = BOX_H
    role: str = ""
    line: int | None = None  # the layer's YAML line: the studio jumps there on a click


@dataclass
class Arrow:
    points: list  # [(x, y), ...]; the head at the last point


@dataclass
class Frame:
    x: float
    y: float
    w: float
    h: float
    label: str


@dataclass
class Layout:
    width: float
    height: float
    boxes: list = field(default_factory=list)
    arrows: list = field(default_factory=list)
    frames: list = field(default_factory=list)
    titles: list = field(default_factory=list)  # (x, y, text, size)


def family(kind: str) -> str:
    if kind == "input":
        return "input"
    for fam, words in (("conv", ("conv",)), ("pool", ("pool",)), ("dense", ("dense", "maxout")),
                       ("norm", ("normalization", "dropout")),
                       ("join", ("add", "concatenate", "multiply", "average", "subtract",
                                 "maximum", "minimum", "dot"))):
        if any(w in kind for w in words):
            return fam
    from ..catalog.activations import ACTIVATIONS
    return "act" if ACTIVATIONS.lookup(kind) is not None else "other"


def node_lines(plan, node) -> list[str]:
    kind = node.layer.kind
    # automatic names (dense_2) already say the kind; chosen ones (z_mean) get it added
    title = node.name if node.name.startswith(kind) else f"{node.name}: {kind}"
    if node.name.endswith("_projection"):
        title += " (shortcut projection)"
    if kind == "add" and "residual" in node.path:
        title = f"{node.name}: add (+ shortcut)"
    act = getattr(node.layer, "activation", None)
    act_kind = getattr(act, "kind", None)
    if act_kind and act_kind != "linear":
        title += f", {act_kind}"
    n = node_count(plan, node).total
    frozen = "" if node.layer.trainable or not n else " (frozen)"
    shape = fmt(node.shape) if node.shape is not None else "?"
    return [title, f"out {shape}   params {n:,}{frozen}"]


def ranks(plan) -> dict:
    """Row of each box: one below its lowest input. An input used only further down
    (a cGAN's noise beside its label branch) sits just above its first user, so its
    arrow does not cross the other boxes."""
    rank = {name: 0 for name in plan.inputs}
    for node in plan.nodes:  # nodes come in an order where inputs precede their users
        rank[node.name] = 1 + max((rank.get(i, 0) for i in node.inputs), default=0)
    for name in plan.inputs:
        users = [rank[n.name] for n in plan.nodes if name in n.inputs]
        if users and len(plan.inputs) > 1:
            rank[name] = min(users) - 1
    return rank


def groups(plan) -> list[tuple[str, list[str]]]:
    """(label, node names) of each residual block and each copy of a repeated block."""
    out = []
    repeats = {}  # repeat path -> [times, first member path, copy number, [names]]
    for node in plan.nodes:
        path = tuple(node.path)
        for i, part in enumerate(path):
            if part == "repeat":
                key = path[:i + 1]
                state = repeats.setdefault(key, {"first": path, "copy": 0, "groups": []})
                if path == state["first"]:
                    state["copy"] += 1
                    state["groups"].append([])
                state["groups"][-1].append(node.name)
                break
    for key, state in repeats.items():
        n = len(state["groups"])
        for c, names in enumerate(state["groups"], 1):
            out.append((f"repeat {c}/{n}", names))
    residual_members = {}
    order = []
    for node in plan.nodes:
        path = tuple(node.path)
        if node.layer.kind == "add" and path and path[-1] == "residual":
            # its block: the nodes since the shortcut's start, planned with this prefix
            start = node.inputs[0] if not node.inputs[0].endswith("_projection") else \
                plan.node(node.inputs[0]).inputs[0]
            names, seen = [], False
            for other in plan.nodes:
                if other.name == start:
                    seen = True
                    continue
                if seen and tuple(other.path[:len(path)]) == path:
                    names.append(other.name)
                if other.name == node.name:
                    break
            residual_members[node.name] = names
            order.append(node.name)
    out += [("residual", residual_members[n]) for n in order]
    return out


def layout_plans(plans: dict, title: str, locate=None) -> Layout:
    """`locate(path) -> line or None` gives each layer box its spec line (the studio)."""
    lay = Layout(0, 0)
    lay.titles.append((MARGIN, MARGIN - 6, title, 15))
    x0 = MARGIN
    top = MARGIN + TITLE_H
    bottom = top
    for role, plan in plans.items():
        width, height = _layout_one(lay, plan, role if len(plans) > 1 else None, x0, top,
                                    locate)
        for box in lay.boxes:
            box.role = box.role or role
        x0 += width + ROLE_GAP
        bottom = max(bottom, top + height)
    lay.width = x0 - ROLE_GAP + MARGIN
    lay.height = bottom + MARGIN
    lay.width = max(lay.width, 8 * len(title) + 2 * MARGIN)
    return lay


def _layout_one(lay: Layout, plan, role, x0, y0, locate=None):
    rank = ranks(plan)
    by_rank = {}
    for name in list(plan.inputs) + [n.name for n in plan.nodes]:
        by_rank.setdefault(rank[name], []).append(name)
    inputs_of = {n.name: n.inputs for n in plan.nodes}
    column = {}
    for r in sorted(by_rank):  # order each row by where its inputs sit (fewer crossings)
        row = by_rank[r]
        row.sort(key=lambda n: sum(column.get(i, 0) for i in inputs_of.get(n, [])) /
                 max(1, len(inputs_of.get(n, []))))
        width = max(len(row) for row in by_rank.values())
        offset = (width - len(row)) / 2
        for j, name in enumerate(row):
            column[name] = offset + j
    width = max(len(row) for row in by_rank.values())
    if role:
        count = plan_count(plan).total
        lay.titles.append((x0, y0 + 4, f"{role}  ({count:,} parameters)", 13))
        y0 += 26
    pos = {}
    for name, c in column.items():
        x = x0 + c * (BOX_W + GAP_X)
        y = y0 + rank[name] * (BOX_H + GAP_Y)
        pos[name] = (x, y)
        node = plan.node(name)
        if node is None:
            lines, color = [name if name == "input" else f"{name}: input", f"shape {fmt(plan.inputs[name])}"], COLORS["input"]
        else:
            lines, color = node_lines(plan, node), COLORS[family(node.layer.kind)]
        if name in plan.outputs and len(plan.outputs) > 1:
            lines[0] += "  [output]"
        line = locate(node.path) if locate is not None and node is not None else None
        lay.boxes.append(Box(name, x, y, lines, color, line=line))
    skip = 0
    right = x0 + width * (BOX_W + GAP_X) - GAP_X
    for node in plan.nodes:
        bx, by = pos[node.name]
        for k, src in enumerate(node.inputs):
            sx, sy = pos[src]
            if rank[node.name] - rank[src] == 1 or column[src] != column[node.name]:
                lay.arrows.append(Arrow([(sx + BOX_W / 2, sy + BOX_H),
                                         (bx + BOX_W / 2 + (k - (len(node.inputs) - 1) / 2) * 20,
                                          by)]))
            else:  # a skip connection: out of the right side, down, back in
                skip += 1
                side = max(sx, bx) + BOX_W + 8 + SKIP_STEP * (1 + skip % 3)
                lay.arrows.append(Arrow([(sx + BOX_W, sy + BOX_H / 2), (side, sy + BOX_H / 2),
                                         (side, by + BOX_H / 2), (bx + BOX_W, by + BOX_H / 2)]))
    for label, names in groups(plan):
        if not names:
            continue
        xs = [pos[n][0] for n in names]
        ys = [pos[n][1] for n in names]
        pad = 6 if label == "residual" else 11  # copies of a repeat stay apart
        lay.frames.append(Frame(min(xs) - pad, min(ys) - pad,
                                max(xs) - min(xs) + BOX_W + 2 * pad + (60 if label == "residual"
                                                                      else 90),
                                max(ys) - min(ys) + BOX_H + 2 * pad, label))
    height = (max(rank.values()) + 1) * (BOX_H + GAP_Y) + (26 if role else 0)
    extra = 100 if not lay.frames else 180  # skip connections, then the frames' labels
    return right - x0 + extra, height


# ---- drawing ------------------------------------------------------------------------

def svg_text(lay: Layout) -> str:
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{lay.width:.0f}" '
           f'height="{lay.height:.0f}" viewBox="0 0 {lay.width:.0f} {lay.height:.0f}" '
           'font-family="DejaVu Sans, Arial, sans-serif">',
           '<defs><marker id="head" markerWidth="10" markerHeight="8" refX="9" refY="4" '
           'orient="auto"><path d="M0,0 L10,4 L0,8 z" fill="#555"/></marker></defs>',
           f'<rect width="100%" height="100%" fill="white"/>']
    for f in lay.frames:
        out.append(f'<rect x="{f.x:.1f}" y="{f.y:.1f}" width="{f.w:.1f}" height="{f.h:.1f}" '
                   'rx="8" fill="none" stroke="#8a8a8a" stroke-dasharray="6,4"/>')
        out.append(f'<text x="{f.x + f.w + 4:.1f}" y="{f.y + 12:.1f}" font-size="11" '
                   f'fill="#666">{html.escape(f.label)}</text>')
    for a in lay.arrows:
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in a.points)
        out.append(f'<polyline points="{pts}" fill="none" stroke="#555" stroke-width="1.3" '
                   'marker-end="url(#head)"/>')
    for b in lay.boxes:
        # one group per layer, named, with its YAML line: the studio's page links them
        line = f' data-line="{b.line}"' if b.line is not None else ""
        out.append(f'<g class="layer" data-layer="{html.escape(b.key)}" '
                   f'data-role="{html.escape(b.role)}"{line}>')
        out.append(f'<rect x="{b.x:.1f}" y="{b.y:.1f}" width="{b.w}" height="{b.h}" rx="6" '
                   f'fill="{b.color}" stroke="#444"/>')
        for i, line in enumerate(b.lines):
            size = 12 if i == 0 else 11
            weight = ' font-weight="bold"' if i == 0 else ""
            out.append(f'<text x="{b.x + b.w / 2:.1f}" y="{b.y + 20 + 17 * i:.1f}" '
                       f'font-size="{size}"{weight} text-anchor="middle">'
                       f'{html.escape(line)}</text>')
        out.append('</g>')
    for x, y, text, size in lay.titles:
        out.append(f'<text x="{x:.1f}" y="{y + size:.1f}" font-size="{size}" '
                   f'font-weight="bold">{html.escape(text)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def save_png(lay: Layout, path, dpi: int = 100):
    from matplotlib.patches import FancyBboxPatch, Rectangle

    from .pictures import pyplot, save
    plt = pyplot()
    fig = plt.figure(figsize=(lay.width / dpi, lay.height / dpi), dpi=dpi)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_xlim(0, lay.width)
    ax.set_ylim(lay.height, 0)  # y grows downwards, as in SVG
    ax.axis("off")
    pt = 72 / dpi  # SVG pixel sizes -> points
    for f in lay.frames:
        ax.add_patch(Rectangle((f.x, f.y), f.w, f.h, fill=False, ec="#8a8a8a", ls="--",
                               lw=1))
        ax.text(f.x + f.w + 4, f.y + 12, f.label, ha="left", va="baseline",
                fontsize=11 * pt, color="#666")
    for a in lay.arrows:
        xs, ys = zip(*a.points)
        ax.plot(xs[:-1] + (xs[-1],), ys, color="#555", lw=1.2)
        ax.annotate("", xy=a.points[-1], xytext=a.points[-2],
                    arrowprops={"arrowstyle": "-|>", "color": "#555", "lw": 1.2})
    for b in lay.boxes:
        ax.add_patch(FancyBboxPatch((b.x, b.y), b.w, b.h, boxstyle="round,pad=0,rounding_size=6",
                                    fc=b.color, ec="#444", lw=1))
        for i, line in enumerate(b.lines):
            ax.text(b.x + b.w / 2, b.y + 20 + 17 * i, line, ha="center", va="baseline",
                    fontsize=(12 if i == 0 else 11) * pt, weight="bold" if i == 0 else None)
    for x, y, text, size in lay.titles:
        ax.text(x, y + size, text, fontsize=size * pt, weight="bold", va="baseline")
    save(fig, path, dpi=dpi)


def model_layout(loaded) -> Layout:
    from ..core.problems import Report
    from ..spec.check import plan_networks
    from ..spec.parts import require
    require(loaded, "model", doing="drawing the model")
    spec = loaded.spec
    plans = plan_networks(spec, Report())
    total = sum(plan_count(p).total for p in plans.values())

    def locate(path):  # a layer written in the spec's own file (not one it extends)
        where = loaded.positions.locate(path)
        return where.line if where is not None and where.file == loaded.positions.file \
            else None
    return layout_plans(plans, f"{spec.name}: {total:,} parameters", locate)


def model_svg(loaded) -> str:
    return svg_text(model_layout(loaded))


def plot_model(loaded, out: Path) -> Path:
    out = Path(out)
    lay = model_layout(loaded)
    if out.suffix.lower() == ".svg":
        from ..core.atomic import write_text
        write_text(out, svg_text(lay))
    elif out.suffix.lower() == ".png":
        save_png(lay, out)
    else:
        from ..data.errors import DataLoadError
        raise DataLoadError(f"{out}: write the diagram as .svg or .png")
    return out
