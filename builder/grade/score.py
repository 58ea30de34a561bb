"""From phase results to each check's Outcome (partial credit for train/model)."""
from __future__ import annotations

import statistics

from .outcome import Outcome, for_check, zero

# why a grading process gave no result, for the student; {what} says which process
STOPPED = {
    "timeout": "{what} stopped: it went past the time limit ({time:g} s)",
    "memory": "{what} stopped: it went over the memory limit ({memory} MiB)",
    "crash": "{what} stopped: the grading process crashed",
    "grader_error": "not graded: the grader failed here (not necessarily your spec's "
                    "fault); your teacher has the details",
}


def stopped_text(status: str, limits, what: str) -> str:
    text = STOPPED.get(status, "{what} stopped")
    return text.format(what=what, time=limits.time, memory=limits.memory)


def trained_outcome(check, limits, plan: dict, result: dict | None) -> Outcome:
    """A train check from its shared training result."""
    if "skip" in plan:
        return zero(check, plan["skip"])
    if result is None or result.get("status") != "ok":
        status = (result or {}).get("status", "grader_error")
        return zero(check, stopped_text(status, limits, "training"))
    if result.get("error"):
        return zero(check, f"not scored: {result['error']}")
    runs = result.get("runs", [])
    if not runs:
        return zero(check, "training did not finish a single run within the time limit")
    body = check.train
    values = [r["values"][body.metric] for r in runs]
    value = statistics.median(values)
    epochs = runs[0]["epochs_run"]
    found = f"{result.get('labels', {}).get(body.metric, 'test ' + body.metric)} {value:.4f}"
    if len(values) > 1:
        found += f" (median of {len(values)} runs with different seeds)"
    found += f" after {epochs} epoch(s)"
    if plan["asked_epochs"] > plan["epochs"]:
        found += f" (your {plan['asked_epochs']} epochs are capped at {plan['epochs']})"
    if any(r["stopped_for_time"] for r in runs):
        found += "; training was stopped at the time limit"
    if len(runs) < len(plan["seeds"]):
        found += f"; only {len(runs)} of {len(plan['seeds'])} runs finished in time"
    outcome = _credit(check, body, value, found)
    if body.metric in ("balanced_accuracy", "min_class_accuracy") and runs[0].get("per_class"):
        classes = ", ".join(f"{c}: {v:.2f}" for c, v in runs[0]["per_class"].items())
        outcome.found.append(f"test accuracy of each class: {classes}")
    return outcome


def model_outcome(check, limits, plan: dict, result: dict | None) -> Outcome:
    if "skip" in plan:
        return zero(check, plan["skip"])
    if result is None or result.get("status") != "ok":
        status = (result or {}).get("status", "grader_error")
        return zero(check, stopped_text(status, limits, "scoring the model"))
    if result.get("error"):
        return zero(check, f"not scored: {result['error']}")
    body = check.model
    value = result["values"][body.metric]
    return _credit(check, body, value, f"test {body.metric} {value:.4f} of the submitted model")


def _credit(check, body, value: float, found: str) -> Outcome:
    fraction = body.credit(value)
    word = ("full credit" if fraction >= 1 else "no credit" if fraction <= 0 else
            f"partial credit ({fraction:.0%})")
    return for_check(check, fraction, [f"{found}: {word}"],
                     [f"expected: no credit at {body.floor:g}, full credit at {body.target:g} "
                      f"({body.metric}), linear in between"], value=round(float(value), 6))
