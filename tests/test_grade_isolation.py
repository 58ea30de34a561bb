"""Grading processes are isolated by the operating system where it allows it: a
network namespace of their own (no route anywhere, 127.0.0.1 included), resource
limits, and a Python audit hook that refuses sockets, name lookups and programs
whatever the namespace. The guard that held is recorded for the teacher.

Specs hold no code, so the attempts are made by the grader's test-only hook
(KSPEC_GRADE_TEST_HOOK, read from the teacher's environment), inside the same
process a submission is graded in, after every guard is in place.
"""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from builder.grade.folder import grade_folder

ROOT = Path(__file__).resolve().parents[1]

RUBRIC = """
assignment: offline
data: {source: {sklearn: digits}, split: {test: 0.25}}
limits: {time: 60, memory: 2048}
checks:
  - name: valid
    points: 1
    lint: {}
"""

SPEC = """
kspec: 1
name: {name}
data: {{source: {{sklearn: digits}}}}
model:
  input: [64]
  layers: [{{dense: {{units: 10, activation: softmax}}}}]
train: {{loss: sparse_categorical_crossentropy, optimizer: adam, epochs: 1}}
"""


@pytest.fixture()
def listener():
    """A server on 127.0.0.1 that a guarded process must not reach."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        server.setblocking(False)
        yield server


def nobody_connected(server) -> bool:
    try:
        conn, _ = server.accept()
    except BlockingIOError:
        return True
    conn.close()
    return False


def test_the_network_namespace_alone_stops_a_loopback_connection(listener):
    port = listener.getsockname()[1]
    code = textwrap.dedent(f"""
        import socket
        from builder.grade.worker import isolate_network
        print(isolate_network())
        try:
            socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
            print("connected")
        except OSError as exc:
            print("refused:", exc)
    """)  # no audit hook here: only the operating system's guard
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout.splitlines()
    if not out[0].startswith("network namespace"):
        pytest.skip(f"this system allows no network namespace here: {out[0]}")
    assert out[1].startswith("refused:") and nobody_connected(listener), out


def test_a_submission_cannot_connect_look_up_or_start_a_program(tmp_path, listener,
                                                                 monkeypatch):
    port = listener.getsockname()[1]
    (tmp_path / "rubric.yaml").write_text(RUBRIC, encoding="utf-8")
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("fine", "caller", "resolver", "spawner"):
        (subs / f"{name}.yaml").write_text(SPEC.format(name=name), encoding="utf-8")
    monkeypatch.setenv("KSPEC_GRADE_TEST_HOOK",
                       f"caller:connect={port},resolver:dns,spawner:subprocess")
    result = grade_folder(tmp_path / "rubric.yaml", subs, tmp_path / "out", jobs=2)
    by = {g.student: g for g in result.graded}
    assert by["fine"].status == "ok" and by["fine"].score == 1
    assert nobody_connected(listener)
    for student, what in (("caller", "socket.connect"), ("resolver", "socket.getaddrinfo"),
                          ("spawner", "subprocess.Popen")):
        details = json.loads((tmp_path / "out" / student / "details.json").read_text())
        (job,) = details["teacher"]["jobs"]
        assert ": blocked: " in job["error"] and f"while grading ({what})" in job["error"], job
        assert "got through" not in job["error"]
    guard = json.loads((tmp_path / "out" / "fine" / "details.json").read_text())[
        "teacher"]["jobs"][0]["guard"]
    assert guard["network"].startswith(("network namespace", "python audit hook"))
    if sys.platform.startswith("linux"):  # RLIMIT_AS too, unless TensorFlow is loaded
        assert {"RLIMIT_CORE", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_CPU"} <= \
            set(guard["limits"])
