"""Grading submissions: schedule their processes, train identical specs once,
assemble each grade and write it as soon as it is complete.

Per submission: a static process (read, validate, spec/lint/graph checks); then,
if the spec is valid and within limits, its training, shared by every submission
with the same training key; and a model process per submitted .keras file.
"""
from __future__ import annotations

import os
import shutil
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import preload, similarity
from .outcome import Outcome, zero
from .reports import Graded, write_submission
from .rubric import LoadedRubric
from .sandbox import Job, Sandbox
from .score import model_outcome, stopped_text, trained_outcome
from .submission import Submission
from .worker import HOOK_ENV

TROUBLE = ("timeout", "memory", "crash", "grader_error")
# what details.json keeps of each grading process
_JOB_FIELDS = ("status", "seconds", "wall_seconds", "peak_mb", "log", "error", "exitcode",
               "guard")


def hooks_from_env() -> dict:
    """KSPEC_GRADE_TEST_HOOK="alice:sleep,bob:allocate@train" -> {(student, phase): action}.
    Read from the teacher's environment only (see worker.HOOK_ENV)."""
    hooks = {}
    for item in os.environ.get(HOOK_ENV, "").split(","):
        if ":" in item:
            student, action = item.strip().split(":", 1)
            action, _, phase = action.partition("@")
            hooks[(student, phase or "static")] = action
    return hooks


@dataclass
class _Pending:
    sub: Submission
    static: dict | None = None
    waiting: set = field(default_factory=set)  # job names this grade still needs
    train: dict = field(default_factory=dict)  # check name -> training result
    model: dict = field(default_factory=dict)  # check name -> model-scoring result
    jobs: list = field(default_factory=list)  # (job name, result) for the teacher
    starter_changes: int | None = None  # changes from the starter spec, when there is one


class Grader:
    def __init__(self, lr: LoadedRubric, out_dir: Path, jobs: int = 1,
                 on_graded: Callable[[Graded], None] | None = None, workdir: Path | None = None):
        self.lr, self.rubric = lr, lr.rubric
        self.out_dir = Path(out_dir)
        self.workdir = Path(workdir) if workdir else self.out_dir / ".logs"
        needs_keras = self.rubric.needs("graph", "train", "model")
        self.sandbox = Sandbox(jobs, self.workdir, preload.KERAS if needs_keras else preload.BASE)
        self.on_graded = on_graded or (lambda g: None)
        self.hooks = hooks_from_env()
        self.pending: dict[str, _Pending] = {}
        self.trainings: dict[str, dict] = {}  # training key -> {waiters, result}
        self.metrics = sorted({c.train.metric for c in self.rubric.checks if c.kind == "train"})
        self.graded: list[Graded] = []
        self.starter = None
        if lr.starter_path is not None:
            from .fingerprint import file_structure
            self.starter = file_structure(lr.starter_path)

    # ---- scheduling ----------------------------------------------------------------
    def grade(self, subs: list[Submission]) -> list[Graded]:
        for sub in subs:
            self.pending[sub.student] = _Pending(sub)
            self._submit(sub.student, f"static-{sub.student}", "static",
                         {"submission": {"student": sub.student, "spec": _abs(sub.spec),
                                         "folder": _abs(sub.folder), "root": _abs(sub.root),
                                         "problem": sub.problem}},
                         self._static_done)
        try:
            self.sandbox.run()
        except BaseException:  # e.g. no process could start: still a result for everyone
            error = traceback.format_exc(limit=20)
            for student in list(self.pending):
                self._fail(student, error)
            raise
        return self.graded

    def _submit(self, student, name, phase, task, on_done, waiter=None):
        limits = self.rubric.limits
        task = {"phase": phase, "rubric": str(self.lr.path.resolve()), "time_s": limits.time,
                "memory_mb": limits.memory, **task}
        action = self.hooks.get((student, phase))
        if action:
            task["hook"] = action
        for p in ([self.pending[student]] if waiter is None else waiter):
            p.waiting.add(name)
        self.sandbox.submit(Job(name, task, limits.time, limits.memory, self._guard(on_done)))

    def _guard(self, on_done):
        """A grader bug while handling one result must not stop the batch: the
        submissions that waited for it get a grader_error result."""
        def handler(job, result):
            waiting = [s for s, p in self.pending.items() if job.name in p.waiting]
            try:
                on_done(job, result)
            except Exception:
                error = traceback.format_exc(limit=20)
                for student in waiting:
                    if student in self.pending:
                        self._fail(student, error)
        return handler

    def _static_done(self, job, result):
        student = job.name.removeprefix("static-")
        p = self.pending[student]
        p.static = result
        p.jobs.append((job.name, result))
        p.waiting.discard(job.name)
        if self.starter is not None and result.get("structure"):
            p.starter_changes = similarity.departure(result["structure"], self.starter)
        if self._starter_zero(p):
            self._maybe_finish(student)  # scored 0: nothing to train or load
            return
        if result["status"] in ("ok", "invalid"):
            for check, plan in result.get("model", {}).items():
                if "path" in plan:
                    self._submit(student, f"model-{student}-{_slug(check)}", "model",
                                 {"path": plan["path"], "metrics": [plan["metric"]]},
                                 self._model_done)
        if result["status"] == "ok":
            for check, plan in result.get("train", {}).items():
                if "key" in plan:
                    self._need_training(student, check, plan)
        self._maybe_finish(student)

    def _need_training(self, student, check, plan):
        key = plan["key"]
        entry = self.trainings.get(key)
        if entry is None:
            entry = self.trainings[key] = {"waiters": [], "result": None}
            entry["waiters"].append((student, check))
            task = {"plan": {"spec": plan["spec"], "seeds": plan["seeds"],
                             "epochs": plan["epochs"], "metrics": self.metrics}}
            self._submit(student, f"train-{key}", "train", task, self._train_done)
            return
        entry["waiters"].append((student, check))
        if entry["result"] is not None:
            self.pending[student].train[check] = entry["result"]
        else:
            self.pending[student].waiting.add(f"train-{key}")

    def _train_done(self, job, result):
        key = job.name.removeprefix("train-")
        entry = self.trainings[key]
        entry["result"] = result
        for student, check in entry["waiters"]:
            p = self.pending.get(student)
            if p is None:
                continue
            p.train[check] = result
            if job.name in p.waiting:
                p.waiting.discard(job.name)
                p.jobs.append((job.name, result))
        for student in {s for s, _ in entry["waiters"]}:
            self._maybe_finish(student)

    def _model_done(self, job, result):
        student = next(s for s, p in self.pending.items() if job.name in p.waiting)
        p = self.pending[student]
        check = next(c.name for c in self.rubric.checks
                     if f"model-{student}-{_slug(c.name)}" == job.name)
        p.model[check] = result
        p.jobs.append((job.name, result))
        p.waiting.discard(job.name)
        self._maybe_finish(student)

    def _starter_zero(self, p: _Pending) -> bool:
        policy = self.rubric.starter
        return (policy is not None and policy.zero and p.starter_changes is not None
                and p.starter_changes < policy.min_changes)

    # ---- assembling --------------------------------------------------------------
    def _maybe_finish(self, student):
        p = self.pending.get(student)
        if p is None or p.static is None or p.waiting:
            return
        self._write(self.assemble(p))

    def _write(self, graded: Graded):
        self.pending.pop(graded.student, None)
        write_submission(self.out_dir / graded.student, graded, self.rubric)
        self.graded.append(graded)
        self.on_graded(graded)

    def _fail(self, student, error):
        p = self.pending[student]
        reason = stopped_text("grader_error", self.rubric.limits, "grading")
        g = Graded(student, "grader_error", "", [zero(c, reason) for c in self.rubric.checks],
                   teacher=self._teacher(p, error=error))
        self._write(g)

    def assemble(self, p: _Pending) -> Graded:
        static, limits = p.static, self.rubric.limits
        status = static["status"]
        if self._starter_zero(p):
            n, least = p.starter_changes, self.rubric.starter.min_changes
            reason = (f"no points: your spec differs from the starter in {n} place(s) "
                      f"(layers and settings; names do not count); the assignment asks for "
                      f"at least {least}")
            seconds = round(sum(r.get("seconds", 0) for _, r in p.jobs), 2)
            return Graded(p.sub.student, "starter", "",
                          [zero(c, reason) for c in self.rubric.checks], seconds,
                          self._teacher(p))
        outcomes: list[Outcome] = []
        for check in self.rubric.checks:
            if status == "ok" and check.name in static["outcomes"]:
                o = Outcome.from_json(static["outcomes"][check.name])
            elif status == "ok" and check.kind == "train":
                o = trained_outcome(check, limits, static["train"][check.name],
                                    p.train.get(check.name))
            elif status in ("ok", "invalid") and check.kind == "model":
                o = model_outcome(check, limits, static["model"][check.name],
                                  p.model.get(check.name))
            elif status == "invalid":
                o = zero(check, "not graded: the spec is not valid (see above)")
            elif status == "rejected":
                o = zero(check, "not graded: the submission was rejected (see above)")
            else:
                o = zero(check, stopped_text(status, limits, "grading"))
            outcomes.append(o)
        trouble = [r["status"] for _, r in p.jobs if r.get("status") in TROUBLE]
        if status == "ok" and trouble:
            status = trouble[0]
        seconds = sum(r.get("seconds", 0) for _, r in p.jobs)
        return Graded(p.sub.student, status, static.get("note", ""), outcomes, round(seconds, 2),
                      self._teacher(p))

    def _teacher(self, p: _Pending, error: str | None = None) -> dict:
        static = p.static or {}
        keys = {c: plan.get("key") for c, plan in static.get("train", {}).items()}
        shared = sorted({s for k in keys.values() if k in self.trainings
                         for s, _ in self.trainings[k]["waiters"] if s != p.sub.student})
        return {"rubric_sha": self.lr.sha, "digest": p.sub.digest(),
                "structure": static.get("structure"), "training_keys": keys,
                "shared_training_with": shared, "starter_changes": p.starter_changes,
                "jobs": [{"name": n, **{k: v for k, v in r.items() if k in _JOB_FIELDS}}
                         for n, r in p.jobs],
                "grader_error": error}


def _abs(path):
    """Absolute, links left as they are (the process may run in another folder)."""
    return os.path.abspath(path) if path is not None else None


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text)[:40]


def clean_logs(workdir: Path):
    """Drop empty logs; keep those with something in them for the teacher."""
    if not workdir.is_dir():
        return
    for log in workdir.glob("*.log"):
        if log.stat().st_size == 0:
            log.unlink()
    if not any(workdir.iterdir()):
        shutil.rmtree(workdir, ignore_errors=True)
