// The live learning curve: an SVG the page redraws when an epoch arrives (no chart
// library: a few polylines are all a curve needs, and the bundle stays small).

const NS = "http://www.w3.org/2000/svg";
const SYNC_UP_TO = 50, DEFER = 150;
const DOTS_UP_TO = 60;  // epochs: beyond, the lines alone (thousands of dots say nothing)
const COLORS = ["#1f6feb", "#d9480f", "#2b8a3e", "#862e9c", "#e67700", "#0b7285"];

function el(name, attrs, parent) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

export class Curve {
  constructor(host) {
    this.host = host;
    this.epochs = [];  // [{epoch, logs}]
    this.draw();
  }

  reset() {
    clearTimeout(this.pending);
    this.pending = null;
    this.epochs = [];
    this.host.dataset.drawn = "";
    this.draw();
  }

  // each epoch event redraws: data-drawn keeps the point counts drawn ("1,2"), so a
  // test sees the curve grow one epoch at a time even when two arrive together. Past
  // SYNC_UP_TO epochs the redraws are gathered (one per DEFER ms): following a long run
  // replays all its epochs at once, and a redraw per epoch was quadratic (a stop's end
  // event then waited behind thousands of redraws)
  add(record) {
    this.epochs.push(record);
    if (this.epochs.length <= SYNC_UP_TO) {
      this.drawn();
    } else if (!this.pending) {
      this.pending = setTimeout(() => { this.pending = null; this.drawn(); }, DEFER);
    }
  }

  drawn() {
    this.draw();
    const d = this.host.dataset.drawn;
    this.host.dataset.drawn = (d ? d + "," : "") + this.epochs.length;
  }

  draw() {
    const W = 460, H = 220, L = 48, R = 110, T = 12, B = 30;
    this.host.textContent = "";
    const svg = el("svg", {viewBox: `0 0 ${W} ${H}`, width: W, height: H, id: "curve-svg",
                           "data-points": this.epochs.length}, this.host);
    el("rect", {x: L, y: T, width: W - L - R, height: H - T - B, fill: "#fff", stroke: "#bbb"}, svg);
    if (!this.epochs.length) {
      el("text", {x: L + 10, y: H / 2, "font-size": 12, fill: "#777"}, svg).textContent =
        "the curve fills in as epochs finish";
      return;
    }
    // losses share one axis (left); everything else (accuracy, ...) is scaled 0..1 if it fits
    const keys = [...new Set(this.epochs.flatMap(e => Object.keys(e.logs || {})))]
      .filter(k => k !== "learning_rate" && k !== "lr");
    const series = keys.map(k => this.epochs.map(e => [e.epoch, (e.logs || {})[k]])
      .filter(([, v]) => typeof v === "number" && isFinite(v)));
    let lo = Infinity, hi = -Infinity;  // a loop: Math.min(...all) overflows the stack
    for (const pts of series) for (const [, v] of pts) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    if (!isFinite(lo)) { lo = 0; hi = 1; }
    if (hi - lo < 1e-9) { hi += 0.5; lo -= 0.5; }
    const n = this.epochs.reduce((m, e) => Math.max(m, e.epoch), 2);
    const x = ep => L + (ep - 1) / (n - 1) * (W - L - R);
    const y = v => T + (1 - (v - lo) / (hi - lo)) * (H - T - B);
    for (const t of [lo, (lo + hi) / 2, hi]) {
      el("text", {x: L - 4, y: y(t) + 4, "font-size": 10, "text-anchor": "end", fill: "#555"}, svg)
        .textContent = t.toPrecision(3);
    }
    el("text", {x: (L + W - R) / 2, y: H - 6, "font-size": 11, "text-anchor": "middle", fill: "#555"},
       svg).textContent = `epoch (1..${n})`;
    series.forEach((pts, i) => {
      const color = COLORS[i % COLORS.length];
      const dash = keys[i].startsWith("val_") ? "5 3" : "";
      el("polyline", {points: pts.map(([e, v]) => `${x(e)},${y(v)}`).join(" "), fill: "none",
                      stroke: color, "stroke-width": 2, "stroke-dasharray": dash}, svg);
      if (pts.length <= DOTS_UP_TO) for (const [e, v] of pts) el("circle", {cx: x(e), cy: y(v), r: 2.5, fill: color, class: "pt"}, svg);
      el("line", {x1: W - R + 8, x2: W - R + 26, y1: T + 10 + i * 16, y2: T + 10 + i * 16,
                  stroke: color, "stroke-width": 2, "stroke-dasharray": dash}, svg);
      el("text", {x: W - R + 30, y: T + 14 + i * 16, "font-size": 11}, svg).textContent = keys[i];
    });
  }
}
