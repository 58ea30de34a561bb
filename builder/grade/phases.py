"""What a grading process does for one submission. Each phase returns plain JSON
data (the process boundary) and runs inside a limited process (worker.py).

* `static_phase`: read, validate, run the spec/lint/graph checks, decide whether and
  how the submission trains (training key, epochs, seeds), and which .keras files
  the model checks score.
* `train_phase`: train one training key and score it (shared by identical specs).
* `model_phase`: score one submitted .keras file.
"""
from __future__ import annotations

from pathlib import Path

from ..core.problems import Report, SpecError
from .fingerprint import structure, training_key
from .rubric import load_rubric
from .static_checks import GraphFacts, graph_check, lint_check, spec_check
from ..core.files import FileRefused, check_user_file
from .submission import (Rejected, Submission, check_data_paths, inside, merge_teacher_data,
                         read_spec)


def static_phase(rubric_path: str, sub: dict) -> dict:
    lr = load_rubric(rubric_path)
    rubric = lr.rubric
    s = Submission(sub["student"], _path(sub["spec"]), _path(sub["folder"]), Path(sub["root"]),
                   sub.get("problem"))
    out = {"status": "ok", "note": "", "outcomes": {}, "train": {}, "model": {},
           "structure": None}
    out["model"] = _model_files(rubric, s)
    if s.spec is None:  # e.g. a folder with only a .keras file: its model checks still run
        return {**out, "status": "invalid", "note": f"{s.student}: {s.problem}"}
    try:
        data, positions = read_spec(s, rubric.limits.max_file_kb)
        check_data_paths(data, positions, lr.folder)
    except Rejected as exc:
        return {**out, "status": "rejected", "note": str(exc), "model": {}}
    except SpecError as exc:
        return {**out, "status": "invalid", "note": _render(exc.problems)}
    merged = merge_teacher_data(data, rubric.data.model_dump(mode="json"))
    from ..spec.load import parse_spec
    try:
        loaded = parse_spec(merged, positions, s.spec, check=False)
    except SpecError as exc:
        return {**out, "status": "invalid", "note": _render(exc.problems)}
    spec = loaded.spec
    if spec.train is None:  # a model-only spec validates (spec/parts.py); a submission trains
        return {**out, "status": "invalid",
                "note": f"{s.display}: train: not in this spec, and grading trains it; add a "
                        "`train:` section (at least loss and optimizer)"}
    roles = spec.model is None and spec.task == rubric.task  # e.g. a gan's generator, discriminator
    if spec.model is None and not roles:
        return {**out, "status": "invalid",
                "note": f"{s.display}: this assignment grades a single network under `model:`"}
    out["structure"] = None if roles else structure(spec, data.get("data"))

    from ..spec.check import check_spec
    report = check_spec(spec)
    positions.place(report.problems)
    facts, why_not = (None, f"graph checks read one `model:`; a {spec.task} spec has "
                      "`models:` roles") if roles else graph_facts(loaded)
    for check in rubric.checks:
        if check.kind == "spec":
            outcome = spec_check(check, spec)
        elif check.kind == "lint":
            outcome = lint_check(check, report.problems)
        elif check.kind == "graph":
            outcome = graph_check(check, facts, why_not)
        else:
            continue
        out["outcomes"][check.name] = outcome.to_json()
    out["train"] = _train_plan(rubric, spec, merged, report, facts, why_not)
    return out


def graph_facts(loaded):
    """(GraphFacts, None) or (None, why the model cannot be planned). Pure Python: the
    counts and shapes come from the plan, so no model is built just to be counted (and
    a model too big to allocate is still counted, and refused on its budget)."""
    from ..spec.counts import plan_count
    from ..spec.graph import plan_model
    from ..spec.lint import last_activation
    report = Report()
    plan = plan_model(loaded.spec.model, ("model",), report)
    if report.errors:
        loaded.positions.place(report.errors)
        return None, report.errors[0].render()
    outs = plan.output_nodes()
    facts = GraphFacts([n.layer.kind for n in plan.nodes],
                       last_activation(outs[0].layer) if len(outs) == 1 else None)
    count = plan_count(plan)
    facts.params, facts.trainable_params = count.total, count.trainable
    facts.input_shape = list(next(iter(plan.inputs.values()))) if len(plan.inputs) == 1 else None
    facts.output_shape = list(outs[0].shape) if len(outs) == 1 and outs[0].shape else None
    return facts, None


def _train_plan(rubric, spec, merged, report, facts, why_not) -> dict:
    """check name -> {key, spec, epochs, asked_epochs, seeds} or {skip: reason}."""
    plans = {}
    skip = None
    if spec.task != rubric.task:
        skip = (f"not trained: this assignment grades {rubric.task} specs; this one has "
                f"task: {spec.task}")
    elif (facts is not None and rubric.limits.max_params and facts.params
          and facts.params > rubric.limits.max_params):  # first: it says the size is the fault
        skip = (f"not trained: the model has {facts.params:,} parameters; the assignment "
                f"allows at most {rubric.limits.max_params:,}")
    elif report.errors:
        skip = (f"not trained: the spec has {len(report.errors)} error(s), the first: "
                f"{report.errors[0].render()}")
    elif facts is None and spec.model is not None:  # roles: the task's trainer builds them
        skip = f"not trained: the model cannot be built: {why_not}"
    for check in rubric.checks:
        if check.kind != "train":
            continue
        if skip:
            plans[check.name] = {"skip": skip}
            continue
        epochs = min(spec.train.epochs, rubric.limits.max_epochs, check.train.epochs or 10**9)
        seeds = [rubric.seed + i for i in range(check.train.seeds)]
        key = training_key(spec, rubric.seed, epochs) + f"-s{check.train.seeds}"
        plans[check.name] = {"key": key, "spec": {**merged, "seed": rubric.seed},
                             "epochs": epochs, "asked_epochs": spec.train.epochs,
                             "seeds": seeds}
    return plans


def _model_files(rubric, s: Submission) -> dict:
    """check name -> {path} or {skip: reason} for the model checks."""
    out = {}
    for check in rubric.checks:
        if check.kind != "model":
            continue
        files = s.keras_files()
        if check.model.file:
            files = [p for p in files if p.name == check.model.file]
        if s.problem and s.folder is None:
            out[check.name] = {"skip": s.problem}
        elif len(files) != 1:
            want = check.model.file or "a .keras file"
            out[check.name] = {"skip": f"no {want} in the submission" if not files else
                               f"{len(files)} .keras files in the submission; keep one"}
        elif not inside(files[0], s.root):
            out[check.name] = {"skip": f"{files[0].name} is a link out of the submissions folder"}
        elif (refused := _unreadable(files[0], s)) is not None:
            out[check.name] = {"skip": refused}
        elif files[0].stat().st_size > rubric.limits.max_model_mb * 2**20:
            out[check.name] = {"skip": f"{files[0].name} is over {rubric.limits.max_model_mb} MB"}
        else:
            out[check.name] = {"path": str(files[0]), "metric": check.model.metric}
    return out


def _unreadable(path: Path, s: Submission) -> str | None:
    """Why a submission's file is not a regular file kspec may read (None: it is)."""
    try:
        check_user_file(path, 1 << 62, ".keras file", s.root, path.name)
    except FileRefused as exc:
        return str(exc)
    return None


def train_phase(rubric_path: str, plan: dict, deadline: float) -> dict:
    from .training import NotScored, train_runs
    lr = load_rubric(rubric_path)
    try:
        return train_runs(lr, plan["spec"], plan["seeds"], plan["epochs"], plan["metrics"],
                          deadline)
    except NotScored as exc:
        return {"error": str(exc)}
    except SpecError as exc:  # Keras refused what the planner accepted
        return {"error": _render(exc.problems)}


def model_phase(rubric_path: str, path: str, metrics: list[str]) -> dict:
    from .training import NotScored, model_values
    lr = load_rubric(rubric_path)
    try:
        return model_values(lr, path, metrics)
    except NotScored as exc:
        return {"error": str(exc)}


def _render(problems) -> str:
    return "\n".join(p.render() for p in problems)


def _path(text):
    return Path(text) if text else None
