"""Inside a grading process: set the limits, run one phase, write its result.

The process was forked from a fork server that already imported what grading
needs (Keras too, when the rubric trains or builds models), so it starts in
milliseconds. Its output goes to a log file for the teacher; its result is a JSON
file written atomically, so the parent never reads half a result.
"""
from __future__ import annotations

import os
import resource
import sys
import time
import traceback

from ..core.atomic import write_json
from . import phases

# A test-only hook: the parent passes an action here when the *teacher's*
# environment variable KSPEC_GRADE_TEST_HOOK names this submission (runner.py).
# Nothing in a spec reaches it: specs are data, parsed by a closed schema.
HOOK_ENV = "KSPEC_GRADE_TEST_HOOK"


def run(task: dict, result_path: str, log_path: str):
    started = time.monotonic()
    _redirect_output(log_path)
    _limit_resources(task["memory_mb"])
    _no_network()
    try:
        if task.get("hook"):
            _test_hook(task["hook"])
        result = _dispatch(task, started)
    except MemoryError:
        result = {"status": "memory"}
    except BaseException:  # a grader bug: recorded for the teacher, scored as such
        result = {"status": "grader_error", "error": traceback.format_exc(limit=20)}
    result.setdefault("status", "ok")
    result["seconds"] = round(time.monotonic() - started, 3)
    write_json(result_path, result, indent=None)


def _dispatch(task: dict, started: float) -> dict:
    phase = task["phase"]
    if phase == "static":
        return phases.static_phase(task["rubric"], task["submission"])
    if phase == "train":
        deadline = started + task["time_s"] * 0.8  # stop training, keep time to score
        return phases.train_phase(task["rubric"], task["plan"], deadline)
    if phase == "model":
        return phases.model_phase(task["rubric"], task["path"], task["metrics"])
    raise ValueError(f"unknown phase {phase}")


def _redirect_output(log_path: str):
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def _vm_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _limit_resources(memory_mb: int):
    """No core files, bounded file writes, and, where TensorFlow is not loaded, a
    hard address-space cap (TensorFlow reserves virtual memory far beyond what it
    uses, so with it the parent's resident-memory watchdog is the limit)."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 30, 1 << 30))
    if "tensorflow" not in sys.modules:
        try:
            cap = _vm_bytes() + memory_mb * (1 << 20)
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        except (OSError, ValueError):
            pass  # not Linux: the watchdog alone limits memory


def _no_network():
    """Grading is offline: internet sockets refuse to connect or resolve names."""
    import socket
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex

    def refuse(*args, **kwargs):
        raise OSError("network access is disabled while grading")

    def guarded(original):
        def method(self, address):
            if self.family in (socket.AF_INET, socket.AF_INET6):
                refuse()
            return original(self, address)
        return method

    socket.socket.connect = guarded(connect)
    socket.socket.connect_ex = guarded(connect_ex)
    socket.getaddrinfo = refuse
    socket.gethostbyname = refuse


def _test_hook(action: str):
    """Stand-ins for a submission that hangs, eats memory or crashes the process,
    and for a bug in the grader itself."""
    if action == "sleep":
        time.sleep(3600)
    elif action == "allocate":
        hoard = []
        while True:
            hoard.append(b"\1" * (32 << 20))  # touched pages: resident, not just reserved
    elif action == "crash":
        os.abort()
    elif action == "raise":
        raise RuntimeError("test hook: a bug in the grader")
