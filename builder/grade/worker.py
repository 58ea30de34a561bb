"""Inside a grading process: set the limits, run one phase, write its result.

The process was forked from a fork server that already imported what grading
needs (Keras too, when the rubric trains or builds models), so it starts in
milliseconds. Its output goes to a log file for the teacher; its result is a JSON
file written atomically, so the parent never reads half a result.

Isolation, before anything of the submission is read: resource limits (core
files, file size, open files, CPU time, and address space where TensorFlow is not
loaded), then, on Linux, a network namespace of its own (`unshare`; as a normal
user inside a user namespace, which needs no root): no interface but a loopback
that is down, so no socket reaches anything, 127.0.0.1 included. Always, in
addition, a Python audit hook (which cannot be removed once added) refuses
internet sockets, name lookups and new processes. The result says which guards
held (details.json, `guard`).
"""
from __future__ import annotations

import ctypes
import math
import os
import resource
import socket
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
    guard = {"limits": _limit_resources(task["memory_mb"], task.get("time_s", 300)),
             "network": isolate_network()}
    python_guard()
    try:
        if task.get("hook"):
            _test_hook(task["hook"])
        result = _dispatch(task, started)
    except MemoryError:
        result = {"status": "memory"}
    except BaseException:  # a grader bug: recorded for the teacher, scored as such
        result = {"status": "grader_error", "error": traceback.format_exc(limit=20)}
    result.setdefault("status", "ok")
    result["guard"] = guard
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


def _limit_resources(memory_mb: int, time_s: float) -> list[str]:
    """No core files, bounded file writes and open files, CPU time bounded as a
    backstop of the parent's wall-clock watchdog (all cores busy for the whole time
    limit, and a margin), and, where TensorFlow is not loaded, a hard address-space
    cap (TensorFlow reserves virtual memory far beyond what it uses, so with it the
    parent's resident-memory watchdog is the limit). Returns the limits set."""
    done = []

    def cap(name, value):
        which = getattr(resource, name)
        try:
            soft, hard = resource.getrlimit(which)
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(which, (value, value))
            done.append(name)
        except (OSError, ValueError):
            pass  # not on this system: the watchdog still holds

    cap("RLIMIT_CORE", 0)
    cap("RLIMIT_FSIZE", 1 << 30)
    cap("RLIMIT_NOFILE", max(256, min(4096, resource.getrlimit(resource.RLIMIT_NOFILE)[0])))
    cap("RLIMIT_CPU", math.ceil(time_s * (os.cpu_count() or 1)) + 30)
    if "tensorflow" not in sys.modules:
        try:
            cap("RLIMIT_AS", _vm_bytes() + memory_mb * (1 << 20))
        except (OSError, ValueError):
            pass
    return done


CLONE_NEWUSER, CLONE_NEWNET = 0x10000000, 0x40000000


def _unshare(flags: int) -> bool:
    if hasattr(os, "unshare"):  # Python 3.12+
        try:
            os.unshare(flags)
            return True
        except OSError:
            return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.unshare(ctypes.c_int(flags)) == 0
    except (OSError, AttributeError):
        return False


def isolate_network() -> str:
    """Move this process into a network namespace of its own; say which guard holds."""
    if not sys.platform.startswith("linux"):
        return "python audit hook (no network namespaces on this system)"
    if _unshare(CLONE_NEWNET):  # allowed with CAP_SYS_ADMIN (e.g. root in a container)
        return "network namespace"
    uid, gid = os.getuid(), os.getgid()
    if _unshare(CLONE_NEWUSER | CLONE_NEWNET):  # unprivileged user namespaces
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"),
                           ("gid_map", f"{gid} {gid} 1")):
            try:  # keep our own ids inside (else they read as 'nobody')
                with open(f"/proc/self/{name}", "w") as fh:
                    fh.write(text)
            except OSError:
                pass
        return "network namespace (in a user namespace)"
    return "python audit hook (unshare was refused: no network namespace)"


_PROCESS_EVENTS = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
                   "os.fork", "os.forkpty", "pty.spawn"}
_LOOKUP_EVENTS = {"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr",
                  "socket.getnameinfo"}
_SOCKET_EVENTS = {"socket.connect", "socket.sendto", "socket.bind"}
_INTERNET = (socket.AF_INET, socket.AF_INET6)


def python_guard():
    """Grading is offline and runs no programs: refuse internet sockets, name lookups
    and new processes (an audit hook stays for the life of the process)."""
    def hook(event, args):
        if event in _PROCESS_EVENTS:
            raise PermissionError(f"starting programs is disabled while grading ({event})")
        if event in _LOOKUP_EVENTS or (event in _SOCKET_EVENTS and args and
                                       getattr(args[0], "family", None) in _INTERNET):
            raise PermissionError(f"network access is disabled while grading ({event})")

    sys.addaudithook(hook)


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
    elif action.startswith(("connect=", "dns", "subprocess")):
        _try_escape(action)


def _try_escape(action: str):
    """What a hostile submission would try: the error says whether it got through."""
    import subprocess
    try:
        if action.startswith("connect="):
            with socket.socket() as s:  # no name lookup: the connection itself is tried
                s.settimeout(2)
                s.connect(("127.0.0.1", int(action.split("=")[1])))
        elif action == "dns":
            socket.getaddrinfo("localhost", 80)
        else:
            subprocess.run(["true"], check=True)
    except OSError as exc:
        raise RuntimeError(f"test hook {action}: blocked: {exc}") from None
    raise RuntimeError(f"test hook {action}: got through")
