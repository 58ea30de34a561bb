"""Grading processes under limits.

Every task (one phase of one submission) runs in its own process, forked from a
fork server that imported the grading code (and Keras) once. The parent watches
each process: past its wall-clock limit, or above its resident-memory limit, it
is killed and its task is reported as `timeout` or `memory`; a process that dies
without a result is a `crash`. One submission's trouble never stops the others.
"""
from __future__ import annotations

import json
import multiprocessing
import multiprocessing.connection
import os
import signal
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

POLL_S = 0.05  # how often running processes are checked against their limits
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@dataclass
class Job:
    name: str  # unique in a sandbox; names the result and log files
    task: dict
    time_s: float
    memory_mb: int
    on_done: Callable[["Job", dict], None]
    process: object = None
    started: float = 0.0
    killed_for: str | None = None
    peak_mb: float = 0.0
    extra: dict = field(default_factory=dict)


def _context(preload: list[str]):
    """The fork server context, its server importing `preload` (see preload.py).

    Python keeps one fork server per process. If it already runs without the
    modules this rubric needs (an earlier rubric did not need Keras), it is
    restarted; one that has more than needed is kept."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    import multiprocessing.forkserver as fs
    ctx = multiprocessing.get_context("forkserver")
    server = getattr(fs, "_forkserver", None)
    running = getattr(server, "_forkserver_pid", None) is not None
    if running and not set(preload) <= set(getattr(server, "_preload_modules", ())):
        stop = getattr(server, "_stop", None)
        if stop is not None:
            stop()
            running = False
    if not running:
        ctx.set_forkserver_preload(preload)
    return ctx


def resident_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * _PAGE / 2**20
    except (OSError, IndexError, ValueError):
        return 0.0


class Sandbox:
    def __init__(self, jobs: int, workdir: Path, preload: list[str]):
        self.jobs = max(1, int(jobs))
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.ctx = _context(preload)
        self.queue: deque[Job] = deque()
        self.running: list[Job] = []

    def submit(self, job: Job):
        self.queue.append(job)

    def paths(self, job: Job) -> tuple[Path, Path]:
        return self.workdir / f"{job.name}.json", self.workdir / f"{job.name}.log"

    def run(self):
        """Run every submitted job (and those their callbacks submit) to the end."""
        while self.queue or self.running:
            while self.queue and len(self.running) < self.jobs:
                self._start(self.queue.popleft())
            multiprocessing.connection.wait([j.process.sentinel for j in self.running],
                                            timeout=POLL_S)
            now = time.monotonic()
            for job in list(self.running):
                if job.process.exitcode is not None:
                    self._finish(job)
                elif now - job.started > job.time_s:
                    self._kill(job, "timeout")
                else:
                    rss = resident_mb(job.process.pid)
                    job.peak_mb = max(job.peak_mb, rss)
                    if rss > job.memory_mb:
                        self._kill(job, "memory")

    def _start(self, job: Job):
        from . import worker
        result, log = self.paths(job)
        for stale in (result, log):
            stale.unlink(missing_ok=True)
        job.process = self.ctx.Process(target=worker.run, args=(job.task, str(result), str(log)),
                                       name=f"kspec-grade-{job.name}", daemon=True)
        job.process.start()  # returns once the fork server is up (first call: imports)
        job.started = time.monotonic()
        self.running.append(job)

    def _kill(self, job: Job, reason: str):
        job.killed_for = reason
        try:
            os.kill(job.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        job.process.join()
        self._finish(job)

    def _finish(self, job: Job):
        job.process.join()
        self.running.remove(job)
        seconds = round(time.monotonic() - job.started, 3)
        result_path, log_path = self.paths(job)
        result = None
        if job.killed_for is None and result_path.is_file():
            try:
                result = json.loads(result_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                result = None
        result_path.unlink(missing_ok=True)
        if result is None:
            code = job.process.exitcode
            status = job.killed_for or "crash"
            result = {"status": status, "exitcode": code}
            if status == "crash":
                result["error"] = (f"the grading process ended with signal {-code}" if code and
                                   code < 0 else f"the grading process exited with code {code}")
        result.setdefault("seconds", seconds)  # the process's own count when it has one
        result["wall_seconds"] = seconds
        result["peak_mb"] = round(job.peak_mb, 1)
        result["log"] = str(log_path)
        job.on_done(job, result)
