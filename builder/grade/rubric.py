"""The rubric (`rubric.yaml`): what a submission must have and reach.

Validated like a spec: unknown keys are errors with a suggestion, and every
problem is reported at once as FILE:LINE:COL. No code: each check is one of five
kinds, each a closed set of conditions.

    assignment: digits-cnn
    data: {source: {sklearn: digits}, split: {test: 0.25}}   # the teacher's data
    limits: {time: 120, memory: 2048, max_epochs: 8, max_params: 20000}
    checks:
      - name: Two convolutions
        points: 2
        feedback: Stack at least two conv2d layers.
        graph: {count: {conv2d: {min: 2}}}
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from pydantic import AwareDatetime, Field, ValidationError, field_validator, model_validator

from ..core.base import Strict
from ..core.problems import Problem, Report, SpecError
from ..spec.schema import DataSpec
from ..spec.yamlpos import PositionMap, load_yaml
from . import layer_kinds, task_metrics
from ..spec import paths as spec_paths

VISIBILITY = ("visible", "hidden", "after_due_date", "after_published")  # Gradescope's four
KINDS = ("spec", "lint", "graph", "model", "train")  # also the order they run in: cheap first
# the supervised metrics, True when higher is better; other tasks': task_metrics.py
METRICS = task_metrics.SUPERVISED


class Bounds(Strict):
    """`{min: 2}`, `{max: 20000}`, `[1.0e-4, 0.1]` (min and max) or `3` (exactly)."""

    min: float | None = None
    max: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _short_forms(cls, v):
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return {"min": v, "max": v}
        if isinstance(v, list):
            if len(v) != 2:
                raise ValueError("write a range as [min, max], e.g. [1.0e-4, 0.1]")
            return {"min": v[0], "max": v[1]}
        return v

    @model_validator(mode="after")
    def _ordered(self):
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both, e.g. {min: 2}")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min:g} is above max {self.max:g}")
        return self

    def holds(self, value: float) -> bool:
        return ((self.min is None or value >= self.min - 1e-12) and
                (self.max is None or value <= self.max + 1e-12))

    def __str__(self) -> str:
        if self.min == self.max:
            return f"exactly {self.min:,g}"
        if self.max is None:
            return f"at least {self.min:,g}"
        if self.min is None:
            return f"at most {self.max:,g}"
        return f"between {self.min:,g} and {self.max:,g}"


class SpecCheck(Strict):
    """Fields and values of the submitted spec (paths as spec/paths.py reads them)."""

    require: list[str] = Field(default_factory=list, description="paths that must be set")
    forbid: list[str] = Field(default_factory=list, description="paths that must not be set")
    allowed: dict[str, list[Any]] = Field(default_factory=dict,
                                          description="path -> the values it may take")
    equals: dict[str, Any] = Field(default_factory=dict, description="path -> its required value")
    between: dict[str, Bounds] = Field(default_factory=dict, description="path -> numeric range")

    def conditions(self) -> int:
        return (len(self.require) + len(self.forbid) + len(self.allowed) + len(self.equals)
                + len(self.between))


class LintCheck(Strict):
    """The spec is valid and the lectures' loss/activation/label rules hold."""

    warnings: bool = Field(False, description="count the lectures' warnings as failures too")


class GraphCheck(Strict):
    """The model's structure, on the model Keras builds (no training)."""

    count: dict[str, Bounds] = Field(default_factory=dict,
                                     description="layer name or group -> how many, e.g. {min: 2}")
    pattern: list[str] | None = Field(
        None, description="the layer sequence, in order; '...' stands for any layers")
    params: Bounds | None = Field(None, description="total parameters, as Keras counts them")
    trainable_params: Bounds | None = None
    input_shape: list[int | None] | None = None
    output_shape: list[int | None] | None = None
    final_activation: str | None = None

    def conditions(self) -> int:
        return (len(self.count) + sum(x is not None for x in (
            self.pattern, self.params, self.trainable_params, self.input_shape,
            self.output_shape, self.final_activation)))


class Scored(Strict):
    """A metric on the hidden test split; credit linear from `floor` to `target`."""

    metric: str = Field("accuracy", description="what is scored: a supervised metric "
                        "(accuracy, f1, auc, rmse, ...) or one the rubric's task reports "
                        "(forecast: rmse, rmse_vs_naive, ...; task_metrics.py)")
    floor: float = Field(..., description="at or below this (above, for errors): no credit")
    target: float = Field(..., description="at or above this (below, for errors): full credit")

    def credit(self, value: float) -> float:
        """Fraction of the points earned by `value` (0..1)."""
        frac = (value - self.floor) / (self.target - self.floor)
        return min(1.0, max(0.0, frac))


class TrainCheck(Scored):
    """Train the submission on the teacher's data, score it on the hidden test split."""

    seeds: int = Field(1, ge=1, le=20, description="train k times (seeds seed, seed+1, ...); "
                       "the median counts")
    epochs: int | None = Field(None, ge=1, description="cap below limits.max_epochs")


class ModelCheck(Scored):
    """Score a submitted .keras file (loaded in safe mode) on the hidden test split."""

    file: str | None = Field(None, description="file name in the submission folder "
                             "(default: its only .keras file)")


class Check(Strict):
    name: str = Field(..., min_length=1, description="shown to the student; a grades.csv column")
    points: float = Field(..., ge=0)
    visibility: Literal["visible", "hidden", "after_due_date", "after_published"] = "visible"
    feedback: str = Field("", description="a hint shown to the student when the check fails")
    show_expected: bool = Field(False, description="let students see the expected values")
    partial: bool = Field(False, description="spec/graph: credit per condition met")
    spec: SpecCheck | None = None
    lint: LintCheck | None = None
    graph: GraphCheck | None = None
    model: ModelCheck | None = None
    train: TrainCheck | None = None

    @model_validator(mode="before")
    @classmethod
    def _empty_kind(cls, v):
        # `lint:` with nothing after it means "with its defaults"
        if isinstance(v, dict):
            v = {k: ({} if k in KINDS and val is None else val) for k, val in v.items()}
        return v

    @model_validator(mode="after")
    def _one_kind(self):
        given = [k for k in KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"a check has exactly one kind ({', '.join(KINDS)}); "
                             f"this one has {', '.join(given) if given else 'none'}")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in KINDS if getattr(self, k) is not None)

    @property
    def body(self):
        return getattr(self, self.kind)


class Limits(Strict):
    time: float = Field(300, gt=0, description="wall-clock seconds for each grading process "
                        "of a submission (its static checks; its training)")
    memory: int = Field(3072, gt=0, description="MiB of resident memory for each grading process")
    max_epochs: int = Field(20, ge=1, description="training stops after this many epochs")
    max_params: int | None = Field(None, ge=1, description="a bigger model is not trained")
    max_file_kb: int = Field(256, ge=1, description="a bigger spec file is refused unread")
    max_model_mb: int = Field(64, ge=1, description="a bigger .keras file is refused unread")


class Release(Strict):
    """When feedback.md may show the checks Gradescope would hold back."""

    due: AwareDatetime | None = Field(
        None, description="the due time, with its zone (2026-12-15T23:59:00+01:00); "
        "after_due_date checks are shown when grading runs after it")
    published: bool = Field(False, description="grades are published: after_published "
                            "checks are shown (after_due_date ones too)")

    def shows(self, visibility: str, now: datetime | None = None) -> bool:
        if visibility == "visible":
            return True
        if visibility == "hidden":
            return False
        if self.published:
            return True
        if visibility == "after_due_date" and self.due is not None:
            return (now or datetime.now(timezone.utc)) >= self.due
        return False

    def withheld_until(self, visibility: str) -> str:
        """For the student: when a withheld check will be shown."""
        if visibility == "after_due_date" and self.due is not None:
            return f"after the due date ({self.due.isoformat(sep=' ')})"
        return "after the due date" if visibility == "after_due_date" else \
            "when grades are published"


class Starter(Strict):
    """The starter spec, and what to do with a submission that barely changed it."""

    file: str = Field(..., description="the starter spec handed out (left out of the "
                      "similarity report); relative to the rubric")
    min_changes: int = Field(1, ge=0, description="a submission with fewer changes from the "
                             "starter (layer edits + settings changed; names ignored) is "
                             "flagged in summary.md")
    zero: bool = Field(False, description="score such a submission 0, with a line saying why")

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, v):
        return {"file": v} if isinstance(v, str) else v


class Leaderboard(Strict):
    """Gradescope's `leaderboard` field and leaderboard.csv."""

    checks: list[str] = Field(..., min_length=1, description="train or model checks whose "
                              "measured metric is a leaderboard column")
    pseudonyms: bool = Field(False, description="leaderboard.csv shows a stable pseudonym "
                             "instead of the submission name")


class Gradebook(Strict):
    """The LMS imports written beside grades.csv (canvas.csv, moodle.csv)."""

    roster: str | None = Field(None, description="CSV with a `student` column (the "
                               "submission name) and the LMS's identifiers: name, id, "
                               "sis_user_id, sis_login_id, section, email, username, idnumber")
    column: str | None = Field(None, description="the gradebook column, e.g. Canvas's "
                               "'Digits CNN (1234)' (default: the assignment name)")
    moodle_id: Literal["email", "username", "idnumber"] = Field(
        "email", description="the roster column Moodle matches students by")


class Rubric(Strict):
    kspec_rubric: Literal[1] = Field(1, description="rubric format version")
    assignment: str = Field(..., pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    description: str = ""
    starter: Starter | None = Field(None, description="the starter spec handed out: a file "
                                    "name, or {file, min_changes, zero}")
    solution: str | None = Field(None, description="the reference solution; `kspec rubric "
                                 "check` warns about each check it does not pass")
    total: float | None = Field(None, ge=0, description="the points the checks must sum to "
                                "(a check for the rubric itself)")
    task: str = Field("supervised", description="the task of the specs graded: supervised "
                      "(trained and scored by the grader) or one whose own trainer runs "
                      "(forecast, language_model, gan, ...), scored on its metrics.json")
    seed: int = Field(0, ge=0, description="seeds the hidden split and training")
    data: DataSpec = Field(..., description="the teacher's data section; replaces every "
                           "submission's, so the hidden test split stays the teacher's")
    limits: Limits = Field(default_factory=Limits)
    release: Release = Field(default_factory=Release)
    leaderboard: Leaderboard | None = None
    gradebook: Gradebook = Field(default_factory=Gradebook)
    checks: list[Check] = Field(..., min_length=1)

    @field_validator("checks")
    @classmethod
    def _unique_names(cls, checks):
        seen = set()
        for c in checks:
            if c.name in seen:
                raise ValueError(f"two checks are named '{c.name}'; names are grades.csv columns")
            seen.add(c.name)
        return checks

    @property
    def max_score(self) -> float:
        return float(sum(c.points for c in self.checks))

    def needs(self, *kinds) -> bool:
        return any(c.kind in kinds for c in self.checks)


@dataclass
class LoadedRubric:
    rubric: Rubric
    path: Path
    positions: PositionMap
    sha: str  # of the rubric file: a changed rubric regrades everything
    warnings: list = None  # rubric lint that does not stop grading (printed by rubric check)

    @property
    def folder(self) -> Path:
        """The assignment folder: data paths must stay inside it."""
        return self.path.parent.resolve()

    @property
    def starter_path(self) -> Path | None:
        return (self.path.parent / self.rubric.starter.file) if self.rubric.starter else None

    @property
    def solution_path(self) -> Path | None:
        return (self.path.parent / self.rubric.solution) if self.rubric.solution else None

    @property
    def roster_path(self) -> Path | None:
        roster = self.rubric.gradebook.roster
        return (self.path.parent / roster) if roster else None


def load_rubric(path) -> LoadedRubric:
    """Read and check a rubric; raises SpecError listing every problem."""
    from ..spec.load import problems_from_pydantic, read_text
    path = Path(path)
    if not path.is_file():
        raise SpecError.single(f"no rubric file {path}")
    text = read_text(path)
    data, positions = load_yaml(text, str(path))
    if not isinstance(data, dict):
        raise SpecError([Problem((), "a rubric is a mapping with assignment, data and checks",
                                 position=positions.locate(()))])
    try:
        rubric = Rubric.model_validate(data)
    except ValidationError as exc:
        raise SpecError(positions.place(problems_from_pydantic(exc, data))) from None
    loaded = LoadedRubric(rubric, path, positions, hashlib.sha256(text.encode()).hexdigest())
    report = check_rubric(loaded)
    positions.place(report.problems)
    if report.errors:
        raise SpecError(report.errors)
    loaded.warnings = report.warnings
    return loaded


def check_rubric(loaded: LoadedRubric) -> Report:
    """What pydantic cannot see: spec paths, layer names, files, epochs vs limits."""
    r, report = loaded.rubric, Report()
    if r.task not in task_metrics.GRADED_TASKS:
        from ..core.base import did_you_mean
        report.error(("task",), f"the grader does not train task '{r.task}'"
                     f"{did_you_mean(r.task, list(task_metrics.GRADED_TASKS))}; it trains "
                     f"{', '.join(task_metrics.GRADED_TASKS)}")
    for i, check in enumerate(r.checks):
        at = ("checks", i, check.kind)
        body = check.body
        if r.task in task_metrics.GRADED_TASKS and check.kind in ("train", "model"):
            _check_metric(r.task, check, at, report,
                          list(r.data.source.target_names() or ()))
        if check.kind == "spec":
            _check_spec_paths(body, at, report)
        elif check.kind == "graph":
            for word in body.count:
                if layer_kinds.canonical(word) is None:
                    report.error(at + ("count", word), layer_kinds.unknown_message(word))
            for j, word in enumerate(body.pattern or []):
                if word != "..." and layer_kinds.canonical(word) is None:
                    report.error(at + ("pattern", j), layer_kinds.unknown_message(word))
            if body.final_activation is not None:
                _check_activation(body.final_activation, at + ("final_activation",), report)
        elif check.kind == "train" and body.epochs and body.epochs > r.limits.max_epochs:
            report.error(at + ("epochs",), f"{body.epochs} epochs is above limits.max_epochs "
                         f"({r.limits.max_epochs}); raise the limit or lower this")
        if check.kind in ("train", "model") and r.data.split.test == 0:
            report.error(("data", "split", "test"), f"the {check.kind} check '{check.name}' "
                         "scores on the hidden test split; give it a fraction, e.g. test: 0.25")
        if (check.kind == "graph" and body.params and body.params.min is not None
                and r.limits.max_params and r.limits.max_params < body.params.min):
            report.warn(("limits", "max_params"), f"{r.limits.max_params:,} is below the "
                           f"check '{check.name}' budget ({body.params}): a model that earns "
                           "its points is never trained; raise the limit")
        elif (check.kind == "graph" and body.params and body.params.max is not None
              and r.limits.max_params and r.limits.max_params < body.params.max):
            report.warn(("limits", "max_params"), f"{r.limits.max_params:,} is below the "
                           f"check '{check.name}' budget ({body.params}): a model between "
                           "the two passes the check but is not trained; make them agree")
    if r.starter:
        starter = loaded.starter_path
        if not starter.is_file():
            report.error(("starter", "file"), f"no starter file {starter}")
    if r.leaderboard:
        kinds = {c.name: c.kind for c in r.checks}
        for j, name in enumerate(r.leaderboard.checks):
            if kinds.get(name) not in ("train", "model"):
                from ..core.base import did_you_mean
                why = (f"'{name}' is a {kinds[name]} check" if name in kinds else
                       f"no check is named '{name}'{did_you_mean(name, list(kinds))}")
                report.error(("leaderboard", "checks", j), f"{why}; a leaderboard column is "
                             "the metric of a train or model check")
    if r.total is not None and abs(r.total - r.max_score) > 1e-9:
        report.error(("total",), f"the checks' points sum to {r.max_score:g}, not {r.total:g}; "
                     "change a check's points or the total")
    if r.solution and not loaded.solution_path.is_file():
        report.error(("solution",), f"no solution file {loaded.solution_path}")
    if r.gradebook.roster and not loaded.roster_path.is_file():
        report.error(("gradebook", "roster"), f"no roster file {loaded.roster_path}")
    return report


def _check_metric(task: str, check: Check, at, report: Report, outputs=()):
    """A metric the check's scoring can produce: a model check scores a .keras file as a
    supervised model; a train check, what the rubric's task reports."""
    if check.kind == "model" and task != "supervised":
        report.error(at, f"a model check scores a submitted .keras file as a supervised "
                     f"model; this rubric grades task {task}: use a train check")
        return
    body = check.body
    known = task_metrics.names(task if check.kind == "train" else "supervised",
                               outputs if check.kind == "train" else ())
    if body.metric not in known:
        from ..core.base import did_you_mean
        report.error(at + ("metric",), f"task {task} reports no metric "
                     f"'{body.metric}'{did_you_mean(body.metric, known)}; "
                     f"its {check.kind} checks score: {', '.join(known)}")
        return
    higher = task_metrics.higher_is_better(body.metric, task)
    if (body.target <= body.floor) if higher else (body.target >= body.floor):
        report.error(at + ("target",), f"for {body.metric} the target must be "
                     f"{'above' if higher else 'below'} the floor (got floor {body.floor:g}, "
                     f"target {body.target:g})")


def _check_spec_paths(body: SpecCheck, at, report: Report):
    groups = [("require", body.require, None), ("forbid", body.forbid, None),
              ("allowed", body.allowed, body.allowed), ("equals", body.equals, body.equals),
              ("between", body.between, None)]
    for group, paths, values in groups:
        for j, text in enumerate(paths):
            where = at + (group, text if isinstance(paths, dict) else j)
            problem, catalog = spec_paths.check(spec_paths.parse(text))
            if problem:
                report.error(where, f"{text}: {problem}")
                continue
            if catalog is None or values is None:
                continue
            wanted = values[text] if group == "allowed" else [values[text]]
            names = []
            for k, name in enumerate(wanted):  # catalog values: canonical names, aliases resolved
                cls = catalog.lookup(name) if isinstance(name, str) else None
                if cls is None:
                    from ..core.base import did_you_mean
                    report.error(where + ((k,) if group == "allowed" else ()),
                                 f"unknown {catalog.what} '{name}'"
                                 f"{did_you_mean(name, catalog.names())}")
                    names.append(name)
                else:
                    names.append(cls.kind)
            if group == "allowed":
                values[text] = names
            else:
                values[text] = names[0]


def _check_activation(name, path, report):
    from ..catalog.activations import ACTIVATIONS
    from ..core.base import did_you_mean
    if name != "linear" and ACTIVATIONS.lookup(name) is None:
        report.error(path, f"unknown activation '{name}'{did_you_mean(name, ACTIVATIONS.names())}")


def solution_warnings(loaded: LoadedRubric) -> list[str]:
    """What the reference solution misses, check by check (those that need no
    training; `kspec rubric calibrate` trains it): a check the solution fails names a
    path it does not set, a budget it breaks, a layer it lacks."""
    if loaded.solution_path is None:
        return []
    from .phases import static_phase
    path = loaded.solution_path.resolve()
    static = static_phase(str(loaded.path.resolve()), {
        "student": path.stem, "spec": str(path), "folder": None, "root": str(path.parent)})
    if static["status"] != "ok":
        return [f"the solution {loaded.rubric.solution} is {static['status']}: "
                + static["note"].splitlines()[0]]
    out = []
    for check in loaded.rubric.checks:
        o = static["outcomes"].get(check.name)
        if o is not None and o["score"] < o["points"] - 1e-9:
            failed = [line for line in o["found"] if not line.startswith("passed")]
            out.append(f"the solution earns {o['score']:g} / {o['points']:g} on "
                       f"'{check.name}': {'; '.join(failed)}")
        plan = static["train"].get(check.name, {})
        if "skip" in plan:
            out.append(f"the solution would not be trained for '{check.name}': {plan['skip']}")
    return out
