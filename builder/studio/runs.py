"""Trainings started from the studio: each is `kspec train` itself, in its own process.

The same command a student types (`kspec train SPEC --out runs/NAME-TIME -q`), so the
run folder, RUN.partial and Ctrl-C are the same: Stop sends SIGINT, and the process
stops as after Ctrl-C, keeping its last finished epoch in RUN.partial/. Each finished
epoch is appended as a JSON line to WORK/studio/.runs/ID.jsonl (run/checkpoint.log_epoch,
asked for by $KSPEC_EPOCH_LOG); the event stream tails that file and the process's
console lines.
"""
from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .workspace import COPIES, RUNS, Refused, Workspace

MAX_RUNNING = 2  # the machine is a laptop: two trainings at once at most
MAX_LINES = 2000  # console lines kept per run


@dataclass
class Run:
    id: str
    spec: str  # relative to the working folder
    folder: Path  # the final run folder (RUN.partial while it trains)
    task: str
    proc: subprocess.Popen | None
    log: Path
    lines: list = field(default_factory=list)
    stopping: bool = False
    started: float = field(default_factory=time.time)

    @property
    def state(self) -> str:
        if self.proc is None or self.proc.poll() is None:
            return "running" if self.proc is not None else "done"
        if self.proc.returncode == 0:
            return "done"
        return "stopped" if self.stopping or self.proc.returncode == 130 else "failed"


def cli_command() -> list[str]:
    """How to run this kspec's own command line (the module `cli`, wherever it is)."""
    found = importlib.util.find_spec("cli")
    if found is None or not found.origin:
        raise Refused("cannot find kspec's command line (the module cli) to train with", 500)
    return [sys.executable, found.origin]


class Runs:
    def __init__(self, ws: Workspace):
        self.ws = ws
        self.runs: dict[str, Run] = {}
        self.lock = threading.Lock()

    # ---- start / stop -------------------------------------------------------------------
    def start(self, body: dict) -> dict:
        from . import specs
        from ..run.folder import default_dir
        rel = body.get("path") or "studio/untitled.yaml"
        sets = body.get("set") or []
        if not isinstance(sets, list) or not all(isinstance(s, str) and "=" in s for s in sets):
            raise Refused("`set` takes a list of KEY=VALUE strings, e.g. [\"train.epochs=2\"]")
        if "text" in body:
            self.ws.save_spec(rel, body["text"])
        _, text = self.ws.read_spec(rel)
        # the spec as it will train, checked with its data paths confined to the folder:
        # a spec typed in the browser cannot make the training read outside it either
        loaded, problems, _ = specs.load(self.ws, {"text": text, "path": rel, "set": sets})
        if loaded is None:
            errors = [p for p in problems if p["severity"] == "error"]
            raise Refused(f"the spec has errors; fix them first: {errors[0]['text']}"
                          if errors else "the spec has errors", 400)
        with self.lock:
            if sum(r.state == "running" for r in self.runs.values()) >= MAX_RUNNING:
                raise Refused(f"{MAX_RUNNING} trainings are running already; stop one first",
                              409)
            run_id = f"r{len(self.runs) + 1}"
            folder = default_dir(loaded.spec.name, self.ws.folder(RUNS))
            taken, n, first = {r.folder for r in self.runs.values()}, 1, folder
            while folder in taken or folder.exists():  # two starts in one second: the
                n += 1                                 # first has not made its folder yet
                folder = first.with_name(f"{first.name}-{n}")
            logs = self.ws.folder(f"{COPIES}/.runs")
            log = logs / f"{run_id}-{os.getpid()}.jsonl"
            log.write_text("", encoding="utf-8")
            cmd = cli_command() + ["train", str(self.ws.path(rel)), "--out", str(folder), "-q"]
            for item in sets:
                cmd += ["--set", item]
            env = dict(os.environ, KSPEC_EPOCH_LOG=str(log), PYTHONUNBUFFERED="1")
            proc = subprocess.Popen(cmd, cwd=self.ws.root, env=env, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True, errors="replace",
                                    # its own session: a Ctrl-C in the studio's terminal
                                    # reaches it once, from stop_all, not twice
                                    start_new_session=True)
            run = Run(run_id, rel, folder, loaded.spec.task, proc, log)
            self.runs[run_id] = run
        threading.Thread(target=self._read, args=(run,), daemon=True).start()
        return {"run_id": run_id, "folder": self.ws.rel(folder.parent) + "/" + folder.name,
                "spec": rel, "task": run.task}

    def _read(self, run: Run):
        root = str(self.ws.root) + "/"
        for line in run.proc.stdout:  # paths inside the folder shown relative to it
            run.lines.append(line.rstrip("\n").replace(root, ""))
            if len(run.lines) > MAX_LINES:
                del run.lines[:len(run.lines) - MAX_LINES]
        run.proc.wait()

    def stop(self, run_id: str) -> dict:
        run = self.get(run_id)
        if run.state == "running":
            run.stopping = True
            run.proc.send_signal(signal.SIGINT)  # as Ctrl-C: RUN.partial is kept
        return {"run_id": run.id, "state": run.state}

    def stop_all(self, wait: float = 0):
        """Stop every training (as Ctrl-C); with `wait`, give them that many seconds to
        keep their RUN.partial before the studio exits."""
        running = [r for r in self.runs.values() if r.state == "running"]
        for run in running:
            run.stopping = True
            run.proc.send_signal(signal.SIGINT)
        deadline = time.time() + wait
        for run in running:
            try:
                run.proc.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                run.proc.kill()

    # ---- looking up -----------------------------------------------------------------------
    def get(self, run_id) -> Run:
        run = self.runs.get(run_id) if isinstance(run_id, str) else None
        if run is None:
            raise Refused(f"no run {str(run_id)[:40]!r} started by this studio "
                          "(GET /api/runs lists them)", 404)
        return run

    def folder_of(self, ref) -> Path:
        """A finished run folder: a run id of this studio, or a folder inside WORK."""
        if isinstance(ref, str) and ref in self.runs:
            run = self.runs[ref]
            if run.state == "running":
                raise Refused(f"run {ref} is still training; wait for it to end", 409)
            if not run.folder.is_dir():
                partial = run.folder.with_name(run.folder.name + ".partial")
                kept = (f"; its last finished epoch is kept in {self.ws.rel(partial)}"
                        if partial.is_dir() else "")
                raise Refused(f"run {ref} did not finish ({run.state}){kept}", 409)
            return run.folder
        full = self.ws.path(ref, "run folder")
        if not (full / "spec.yaml").is_file() or full.name.endswith(".partial"):
            raise Refused(f"{ref} is not a finished run folder (it has no spec.yaml)", 404)
        return full

    def listing(self) -> list[dict]:
        out, seen = [], set()
        for run in self.runs.values():
            seen.add(run.folder.resolve())
            out.append({"run_id": run.id, "spec": run.spec, "state": run.state,
                        "folder": f"{RUNS}/{run.folder.name}", "task": run.task,
                        "started": run.started})
        runs = self.ws.root / RUNS
        for folder in sorted(runs.iterdir() if runs.is_dir() else [], key=lambda p: p.name):
            if folder.resolve() in seen or folder.is_symlink() or not folder.is_dir() \
                    or folder.name.endswith(".partial") or not (folder / "spec.yaml").is_file():
                continue
            rel = f"{RUNS}/{folder.name}"
            out.append({"run_id": rel, "spec": "runs/" + folder.name + "/spec.yaml",
                        "state": "done", "folder": rel, "task": _task_of(folder),
                        "started": folder.stat().st_mtime})
        return out

    # ---- the event stream -------------------------------------------------------------------
    async def events(self, run: Run, poll: float = 0.2):
        """Server-sent events: `epoch` per finished epoch, `line` per console line,
        then `end` with the run's state, folder and metrics."""
        offset, shown = 0, 0
        yield ": kspec studio run events\n\n"
        while True:
            done = run.state != "running"
            offset, epochs = _new_lines(run.log, offset)
            for record in epochs:
                yield _event("epoch", record)
            while shown < len(run.lines):
                yield _event("line", {"line": run.lines[shown]})
                shown += 1
            if done:
                if run.proc is not None:
                    await asyncio.sleep(poll)  # the reader thread's last lines
                    while shown < len(run.lines):
                        yield _event("line", {"line": run.lines[shown]})
                        shown += 1
                yield _event("end", self._end(run))
                return
            await asyncio.sleep(poll)

    def _end(self, run: Run) -> dict:
        metrics = None
        if run.folder.is_dir():
            try:
                metrics = json.loads((run.folder / "metrics.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                metrics = None
        partial = run.folder.with_name(run.folder.name + ".partial")
        return {"state": run.state, "folder": f"{RUNS}/{run.folder.name}"
                if run.folder.is_dir() else None,
                "partial": f"{RUNS}/{partial.name}" if partial.is_dir() else None,
                "metrics": metrics, "returncode": run.proc.returncode if run.proc else 0,
                "last_line": run.lines[-1] if run.lines else ""}


def _new_lines(path: Path, offset: int) -> tuple[int, list]:
    """Whole JSON lines appended to `path` since `offset`."""
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            chunk = fh.read()
    except OSError:
        return offset, []
    end = chunk.rfind(b"\n") + 1
    out = []
    for line in chunk[:end].splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return offset + end, out


def _event(kind: str, data) -> str:
    return f"event: {kind}\ndata: {json.dumps(data)}\n\n"


def _task_of(folder: Path) -> str:
    import yaml
    try:
        data = yaml.safe_load((folder / "spec.yaml").read_text(encoding="utf-8")[:200000])
        return str(data.get("task", "supervised")) if isinstance(data, dict) else "supervised"
    except (OSError, yaml.YAMLError):
        return "supervised"
