"""Studio: the time from a keystroke in the editor to kspec's problems shown, measured in
the page (headless chromium, the browser test's driver).

Each edit is one keystroke: a letter typed after a key (`batch_size` -> `batch_sizex`,
an unknown key: the error appears) or a Backspace (the error goes). The page stamps
performance.now() when CodeMirror's document changes and again when the problems list
and the editor's marks for that text are in the DOM (window.kspecStudio.latencies); the
linter's own debounce (30 ms) is inside the figure, as a student meets it.

    python benchmarks/studio_latency.py --edits 20 [--spec breast_cancer_mlp --spec digits_cnn]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser import Tab, chromium  # noqa: E402
from test_studio_browser import open_spec, open_studio, place_cursor, settled, studio  # noqa: E402

KEY = "batch_size"


def measure(tab: Tab, spec: str, edits: int) -> dict:
    open_spec(tab, spec)
    tab.wait(settled(tab))
    line = place_cursor(tab, f"  {KEY}:", select=f"{KEY}")
    tab.js("(() => { const v = kspecStudio.view, s = v.state.selection.main;"
           " v.dispatch({selection: {anchor: s.to}}); })()")  # the cursor after the key
    page, server = [], []
    for i in range(edits):
        before = tab.js("kspecStudio.latencies.length")
        if i % 2 == 0:
            tab.insert_text("x")
        else:
            tab.key("Backspace", "Backspace", 8)
        tab.wait(settled(tab) + f" && kspecStudio.latencies.length > {before}", 10, poll=0.005)
        errors = tab.js("document.querySelectorAll('#problems li.error').length")
        assert errors == (1 if i % 2 == 0 else 0), (i, errors)
        page.append(tab.js("kspecStudio.latencies[kspecStudio.latencies.length - 1]"))
        ms = tab.js("document.getElementById('lint-ms').textContent")
        server.append(float(ms.split("server ")[1].split(" ms")[0]))
        time.sleep(0.05)
    return {"spec": spec, "line": line, "n": len(page), "median": statistics.median(page),
            "p90": sorted(page)[int(0.9 * (len(page) - 1))], "max": max(page),
            "server": statistics.median(server)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--edits", type=int, default=20)
    ap.add_argument("--spec", action="append")
    args = ap.parse_args()
    if chromium() is None:
        sys.exit("chromium is not installed")
    specs = args.spec or ["breast_cancer_mlp", "digits_cnn"]
    with tempfile.TemporaryDirectory() as tmp, studio(Path(tmp)) as url, Tab() as tab:
        open_studio(tab, url)
        rows = [measure(tab, s, args.edits) for s in specs]
    load = os.getloadavg()[0]
    print(f"load average {load:.1f}, {args.edits} edits per spec")
    print("| spec | edits | median edit -> errors shown (ms) | p90 (ms) | max (ms) | server validate, median (ms) |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['spec']} | {r['n']} | {r['median']:.0f} | {r['p90']:.0f} | {r['max']:.0f} | {r['server']:.1f} |")


if __name__ == "__main__":
    main()
