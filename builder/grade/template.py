"""`kspec rubric new`: a commented rubric to start from. With a solution spec, its
checks are proposed from it: the layer order it follows, a parameter budget with
headroom (and limits.max_params to match), its loss and optimizer, and a trained
check whose floor and target are placeholders for `kspec rubric calibrate`, or,
with `--calibrate K`, set from K trainings of the solution: the target just under
its worst run (so training noise costs it nothing), the floor a step below."""
from __future__ import annotations

import json
import math
from pathlib import Path

from ..catalog.layers import LAYERS

# layer families a proposed pattern and count name, in the order they are looked for
_FAMILIES = ("conv", "recurrent", "pooling")

GENERIC = """\
# A grading rubric (README: "Grading by spec"). Check it with
#   kspec rubric check {file}
kspec_rubric: 1
assignment: my-assignment      # letters, digits, . _ -; names the grade books' column
description: What the students build, in a sentence.
# starter: starter.yaml        # the spec handed out: flagged (or zero: true) if unchanged
seed: 0                        # seeds the hidden test split and every training run

# The teacher's data: it replaces each submission's `data:`, so every model is
# trained and scored on the same hidden test split.
data:
  source: {{sklearn: digits}}
  preprocess: [{{scale: 16}}, {{reshape: [8, 8, 1]}}]
  split: {{validation: 0.15, test: 0.25}}

limits:
  time: 120                    # seconds per grading process
  memory: 3072                 # MiB per grading process
  max_epochs: 10               # longer training is cut to this
  max_params: 50000            # a bigger model is not trained

# When feedback.md shows after_due_date / after_published checks:
# release: {{due: 2026-12-15T23:59:00+01:00, published: false}}

checks:
  - name: Valid spec, loss fits the task
    points: 2
    feedback: Run `kspec validate` on your spec and fix every error it prints.
    lint: {{}}

  - name: Convolution and pooling
    points: 2
    partial: true              # credit for each condition met
    feedback: Use at least two conv2d layers and one pooling layer.
    graph:
      count: {{conv2d: {{min: 2}}, pooling: {{min: 1}}}}

  - name: Parameter budget
    points: 1
    show_expected: true        # students see the budget
    graph:
      params: {{max: 50000}}

  - name: Test accuracy
    points: 5
    visibility: after_due_date
    feedback: Train longer within the epoch limit, or widen the network.
    # set floor and target from `kspec rubric calibrate {file} solution.yaml --runs 3`
    train: {{metric: accuracy, floor: 0.85, target: 0.95}}
"""


def _flow(value) -> str:
    """A value as one line of YAML flow style (JSON is valid YAML)."""
    return json.dumps(value)


def _budget(params: int) -> int:
    """About 1.5x the solution's parameters, rounded up to two significant digits."""
    raw = params * 1.5
    step = 10 ** max(0, int(math.log10(raw)) - 1)
    return int(math.ceil(raw / step) * step)


def _pattern(kinds: list[str]) -> list[str]:
    seen, pattern = [], []
    for kind in kinds:
        cls = LAYERS.lookup(kind)
        family = next((f for f in _FAMILIES if cls is not None and f in cls.families), None)
        if family and family not in seen:
            seen.append(family)
            pattern += ([] if not pattern and kind == kinds[0] else ["..."]) + [family]
    return pattern + ["...", kinds[-1]] if pattern else ["...", kinds[-1]]


def _counts(kinds: list[str]) -> dict:
    counts = {}
    for family in _FAMILIES:
        n = sum(1 for k in kinds if (c := LAYERS.lookup(k)) is not None and family in c.families)
        if n:
            counts[family] = {"min": n}
    return counts


def from_solution(solution: Path, rubric_name: str) -> str:
    from ..spec.load import load_spec
    from .phases import graph_facts
    loaded = load_spec(solution)
    spec = loaded.spec
    if spec.model is None or spec.task not in ("supervised", "forecast"):
        raise ValueError(f"{solution}: rubric new proposes checks for a supervised or "
                         "forecast spec with one `model:`; start from `kspec rubric new FILE` "
                         "instead")
    facts, why = graph_facts(loaded)
    if facts is None:
        raise ValueError(f"{solution}: {why}")
    data = dict(loaded.raw.get("data") or {})
    split = dict(data.get("split") or {})
    split.setdefault("test", 0.25)
    data["split"] = split
    t = spec.train
    if getattr(t, "outputs", None):
        raise ValueError(f"{solution}: it trains several outputs (train.outputs); a rubric "
                         "from a solution is written for one output: start from `kspec "
                         "rubric new FILE` and score NAME_metric checks by hand")
    loss, optimizer = t.loss.kind, t.optimizer.kind
    classify = "crossentropy" in loss or loss == "hinge"
    metric = "accuracy" if classify else "r2"
    floor, target = (0.5, 0.9) if classify else (0.3, 0.8)
    if spec.task == "forecast":  # its error over the naive forecast's (task_metrics.py)
        metric, floor, target = "rmse_vs_naive", 1.5, 0.9
    budget = _budget(facts.params)
    rel = Path(solution).name
    lines = [
        "# A grading rubric proposed from the solution " + rel + " (README: \"Grading by spec\").",
        f"#   kspec rubric check {rubric_name}",
        f"#   kspec rubric calibrate {rubric_name} {rel} --runs 3   # then set the floor/target",
        "kspec_rubric: 1",
        f"assignment: {spec.name.replace('_', '-')}",
        f"description: {_flow(' '.join(spec.description.split()) or spec.name)}",
        "# starter: starter.yaml        # the spec handed out: flagged (or zero: true) if unchanged",
        f"seed: {spec.seed if spec.seed is not None else 0}",
        *([f"task: {spec.task}                 # trained by its own trainer, scored on its "
           "metrics.json"] if spec.task != "supervised" else []),
        "",
        "# The solution's data section, now the teacher's: it replaces every submission's,",
        "# so all are trained and scored on the same hidden test split.",
        f"data: {_flow(data)}",
        "",
        "limits:",
        "  time: 300                    # seconds per grading process",
        "  memory: 3072                 # MiB per grading process",
        f"  max_epochs: {t.epochs}                # the solution's epochs",
        f"  max_params: {budget}           # the budget below: a model over it is not trained",
        "",
        "# When feedback.md shows after_due_date / after_published checks:",
        "# release: {due: 2026-12-15T23:59:00+01:00, published: false}",
        "",
        "checks:",
        "  - name: Valid spec, loss fits the task",
        "    points: 2",
        "    feedback: Run `kspec validate` on your spec and fix every error it prints.",
        "    lint: {}",
        "",
        "  - name: Loss and optimizer",
        "    points: 1",
        f"    feedback: Train with {loss}.",
        "    spec:",
        f"      equals: {{train.loss: {loss}}}",
        f"      allowed: {{train.optimizer: [{optimizer}]}}   # add the others you accept",
    ]
    counts = _counts(facts.kinds)
    if counts:
        lines += ["", "  - name: Layers", "    points: 2", "    partial: true",
                  "    graph:", f"      count: {_flow(counts)}"]
    lines += ["", "  - name: Layer order and output", "    points: 1", "    graph:",
              f"      pattern: [{', '.join(_pattern(facts.kinds))}]   # '...': any layers"]
    if facts.output_shape:
        lines.append(f"      output_shape: {_flow(facts.output_shape)}")
    if facts.final_activation:
        lines.append(f"      final_activation: {facts.final_activation}")
    lines += ["", "  - name: Parameter budget", "    points: 1", "    show_expected: true",
              f"    # the solution has {facts.params:,} parameters; this allows about 1.5x",
              "    graph:", f"      params: {{max: {budget}}}",
              "", f"  - name: Test {metric}", "    points: 4",
              "    visibility: after_due_date",
              PLACEHOLDER.format(rubric=rubric_name, solution=rel),
              f"    train: {{metric: {metric}, floor: {floor}, target: {target}}}", ""]
    return "\n".join(lines)


PLACEHOLDER = ("    # placeholders: set them from `kspec rubric calibrate {rubric} {solution}` "
               "(or rubric new --calibrate K)")


def floor_and_target(values: list[float], higher: bool) -> tuple[float, float]:
    """From the solution's runs: full credit just short of its worst run, none a
    step below (0.1 of the score, or twice the error)."""
    if higher:
        target = math.floor((min(values) - 0.005) * 100) / 100
        return round(max(0.0, target - 0.1), 2), target
    target = float(f"{max(values) * 1.1:.3g}")
    return float(f"{target * 2:.3g}"), target


def calibrated(text: str, rubric_path: Path, solution: Path, runs: int, jobs: int) -> str:
    """The template with the trained check's floor and target from `runs` trainings."""
    from .calibrate import calibrate
    from .rubric import load_rubric
    from .task_metrics import higher_is_better
    lr = load_rubric(rubric_path)
    check = next(c for c in lr.rubric.checks if c.kind == "train")
    metric = check.train.metric
    values = [r["values"][metric] for r in calibrate(rubric_path, solution, runs, jobs).runs]
    floor, target = floor_and_target(values, higher_is_better(metric, lr.rubric.task))
    old = f"    train: {{metric: {metric}, floor: {check.train.floor:g}, " \
          f"target: {check.train.target:g}}}"
    shown = ", ".join(f"{v:.4f}" for v in values)
    new = (f"    # {len(values)} training(s) of the solution gave test {metric} {shown}\n"
           f"    train: {{metric: {metric}, floor: {floor:g}, target: {target:g}}}")
    placeholder = PLACEHOLDER.format(rubric=rubric_path.name, solution=solution.name)
    return text.replace(placeholder + "\n", "").replace(old, new)


def write_template(path: Path, solution: Path | None, force: bool = False,
                   calibrate_runs: int = 0, jobs: int = 1) -> str:
    """Write the template to `path`; returns what was written."""
    path = Path(path)
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists; pick another name or pass --force")
    if calibrate_runs and solution is None:
        raise ValueError("--calibrate trains the solution: give it with --from SOLUTION")
    text = (from_solution(solution, path.name) if solution is not None
            else GENERIC.format(file=path.name))
    from ..core.atomic import write_text
    write_text(path, text)
    if calibrate_runs:
        text = calibrated(text, path, Path(solution), calibrate_runs, jobs)
        write_text(path, text)
    return text
