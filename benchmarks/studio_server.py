"""The studio's server side of "validate as you type": POST /api/validate and /api/plan
for bundled specs, timed inside the server (the "ms" each answer carries: load_text ->
problems, no HTTP) and around the request (Starlette's TestClient, in-process), medians
of 20 calls after a first one. Keras must stay unloaded. (The page's own figure, from a
keystroke to the marks shown, is benchmarks/studio_latency.py.)

    PYTHONPATH=$PWD python benchmarks/studio_server.py
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

warnings.simplefilter("ignore")  # Starlette's note about httpx vs httpx2

from starlette.testclient import TestClient  # noqa: E402

from builder.studio.app import make_app  # noqa: E402

SPECS = ("digits_cnn", "digits_resnet", "shakespeare_char_lstm", "digits_vae")


def main():
    work = Path(tempfile.mkdtemp())
    client = TestClient(make_app(work, "t", 1), base_url="http://127.0.0.1:1")
    client.headers["X-Kspec-Token"] = "t"
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'spec':24} {'validate (server)':>18} {'validate (request)':>19} {'plan (server)':>14}")
    for name in SPECS:
        spec = client.post("/api/open", json={"name": name}).json()
        server, request, plan = [], [], []
        for i in range(21):
            text = spec["text"] + ("\n" if i % 2 else "")  # a new text each time
            start = time.perf_counter()
            got = client.post("/api/validate", json={"text": text, "path": spec["path"]}).json()
            request.append((time.perf_counter() - start) * 1000)
            server.append(got["ms"])
            plan.append(client.post("/api/plan", json={"text": text,
                                                      "path": spec["path"]}).json()["ms"])
            assert got["ok"], got
        med = [statistics.median(x[1:]) for x in (server, request, plan)]
        print(f"{name:24} {med[0]:15.1f} ms {med[1]:16.1f} ms {med[2]:11.1f} ms")
    loaded = [m for m in ("keras", "tensorflow") if m in sys.modules]
    print("Keras loaded:", ", ".join(loaded) if loaded else "no")


if __name__ == "__main__":
    main()
