"""Learning curves as inline SVG, written directly: instant (no matplotlib at the end
of every training), sharp at any zoom, and part of the page itself."""
from __future__ import annotations

import html
import math

W, H = 380, 250
LEFT, RIGHT, TOP, BOTTOM = 56, 14, 28, 40
COLORS = ("#1f77b4", "#ff7f0e")


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if not math.isfinite(lo) or not math.isfinite(hi):
        return []
    if hi - lo < 1e-12:
        lo, hi = lo - 0.5, hi + 0.5
    raw = (hi - lo) / n
    step = 10 ** math.floor(math.log10(raw))
    step *= next(m for m in (1, 2, 2.5, 5, 10) if step * m >= raw)
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step + 1e-9) + 1)]


def _label(v: float) -> str:
    return f"{v:.4g}"


def curve_svg(name: str, series: dict, best: int | None, best_label: str = "") -> str:
    """One metric: each named series (training, validation) against the epoch."""
    values = [v for ys in series.values() for v in ys if math.isfinite(v)]
    n = max((len(ys) for ys in series.values()), default=0)
    if not values or not n:
        return ""
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.06 or abs(hi) * 0.06 or 0.5
    lo, hi = lo - pad, hi + pad
    x0, x1 = 1, max(2, n)

    def px(e):
        return LEFT + (e - x0) / (x1 - x0) * (W - LEFT - RIGHT)

    def py(v):
        return TOP + (hi - v) / (hi - lo) * (H - TOP - BOTTOM)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
           f'viewBox="0 0 {W} {H}" font-family="DejaVu Sans, Arial, sans-serif" font-size="11">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{W / 2}" y="16" text-anchor="middle" font-size="13" '
           f'font-weight="bold">{html.escape(name)}</text>']
    for t in nice_ticks(lo, hi):
        if lo <= t <= hi:
            out.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{py(t):.1f}" y2="{py(t):.1f}" '
                       'stroke="#e5e5e5"/>')
            out.append(f'<text x="{LEFT - 5}" y="{py(t) + 4:.1f}" text-anchor="end">'
                       f'{_label(t)}</text>')
    step = max(1, math.ceil(n / 8))
    for e in range(1, n + 1, step):
        out.append(f'<text x="{px(e):.1f}" y="{H - BOTTOM + 15}" text-anchor="middle">{e}</text>')
    out.append(f'<text x="{(LEFT + W - RIGHT) / 2}" y="{H - 8}" text-anchor="middle">epoch</text>')
    out.append(f'<rect x="{LEFT}" y="{TOP}" width="{W - LEFT - RIGHT}" '
               f'height="{H - TOP - BOTTOM}" fill="none" stroke="#888"/>')
    if best is not None and 1 <= best <= n:
        out.append(f'<line x1="{px(best):.1f}" x2="{px(best):.1f}" y1="{TOP}" '
                   f'y2="{H - BOTTOM}" stroke="#d62728" stroke-dasharray="5,3"/>')
    legend = []
    for k, (label, ys) in enumerate(series.items()):
        color = COLORS[k % len(COLORS)]
        pts = [(px(e + 1), py(v)) for e, v in enumerate(ys) if math.isfinite(v)]
        out.append('<polyline fill="none" stroke-width="2" stroke="' + color + '" points="'
                   + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts) + '"/>')
        if len(pts) < 20:
            out += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>' for x, y in pts]
        legend.append((label, color, ""))
    if best is not None:
        legend.append((best_label or f"best: epoch {best}", "#d62728", ' stroke-dasharray="5,3"'))
    for k, (label, color, dash) in enumerate(legend):
        y = TOP + 12 + 14 * k
        out.append(f'<line x1="{W - RIGHT - 150}" x2="{W - RIGHT - 130}" y1="{y - 4}" '
                   f'y2="{y - 4}" stroke="{color}" stroke-width="2"{dash}/>')
        out.append(f'<text x="{W - RIGHT - 126}" y="{y}">{html.escape(label)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def learning_curves_svg(history: dict, best: dict | None) -> list[str]:
    """One chart per metric (the loss first), training and validation together."""
    names = [k for k in history if not k.startswith("val_") and k != "learning_rate"]
    names.sort(key=lambda k: (k != "loss", k))
    epoch = best["epoch"] if best else None
    label = ""
    if best:
        label = f"{'restored' if best.get('restored') else 'best'}: epoch {best['epoch']}"
    charts = []
    for name in names:
        series = {"training": history[name]}
        if f"val_{name}" in history:
            series["validation"] = history[f"val_{name}"]
        chart = curve_svg(name, series, epoch, label)
        if chart:
            charts.append(chart)
    return charts
