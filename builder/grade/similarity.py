"""Which submissions to review side by side: pairs ranked by how much of their
departure from the starter spec they share.

Two students who both kept the starter look alike for an innocent reason, so the
starter is taken out: for layers, the edit distance of each submission from the
starter says how far each went; the part of that way they went together is
(d(a,s) + d(b,s) - d(a,b)) / 2. For settings (training, seed, data section), the
changes from the starter that both made the same way count as shared.

    similarity = shared / (departures + 1)

The +1 keeps one coincidental change (both set epochs: 20) from ranking above a
copied model. Layer names are left out of the comparison (renaming hides
nothing), and identical canonical specs are flagged. The wording is "review":
similarity is a reason to look, never a finding.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from itertools import combinations

from ..core.csv_out import csv_text


@dataclass
class Pair:
    a: str
    b: str
    similarity: float
    identical: bool
    layer_distance: int
    settings_distance: float
    shared_changes: float
    changes: float


def edit_distance(a: list, b: list) -> int:
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def settings_distance(a: dict, b: dict) -> float:
    """0 (same) .. 1 (nothing alike), averaged over every setting either has;
    numbers compare by order of magnitude, so 0.001 vs 0.002 is close."""
    keys = set(a) | set(b)
    if not keys:
        return 0.0
    total = 0.0
    for k in keys:
        if k not in a or k not in b:
            total += 1
            continue
        x, y = json.loads(a[k]), json.loads(b[k])
        if x == y:
            continue
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in (x, y)):
            total += min(1.0, abs(math.log10(x / y)))
        else:
            total += 1
    return total / len(keys)


def _changed(settings: dict, starter: dict) -> dict:
    return {k: v for k, v in settings.items() if starter.get(k) != v}


def departure(structure: dict, starter: dict) -> int:
    """How far a submission went from the starter: layer edits plus settings changed
    (layer and spec names do not count)."""
    a, s = structure["settings"], starter["settings"]
    settings = sum(1 for k in set(a) | set(s) if a.get(k) != s.get(k))
    return edit_distance(structure["layers"], starter["layers"]) + settings


def compare(a: str, sa: dict, b: str, sb: dict, starter: dict | None) -> Pair:
    starter = starter or {"layers": [], "settings": {}}
    la, lb, ls = sa["layers"], sb["layers"], starter["layers"]
    d_ab, d_as, d_bs = edit_distance(la, lb), edit_distance(la, ls), edit_distance(lb, ls)
    shared_layers = max(0.0, (d_as + d_bs - d_ab) / 2)
    ca = _changed(sa["settings"], starter["settings"])
    cb = _changed(sb["settings"], starter["settings"])
    shared_settings = sum(1 for k, v in ca.items() if cb.get(k) == v)
    changes = (d_as + d_bs) / 2 + (len(ca) + len(cb)) / 2
    shared = shared_layers + shared_settings
    return Pair(a, b, round(shared / (changes + 1), 4), sa["fingerprint"] == sb["fingerprint"],
                d_ab, round(settings_distance(sa["settings"], sb["settings"]), 4),
                round(shared, 2), round(changes, 2))


def rank(structures: dict[str, dict], starter: dict | None) -> list[Pair]:
    """Every pair of submissions that have a structure, most similar first."""
    names = sorted(s for s, st in structures.items() if st)
    pairs = [compare(a, structures[a], b, structures[b], starter)
             for a, b in combinations(names, 2)]
    return sorted(pairs, key=lambda p: (-p.similarity, p.layer_distance, p.a, p.b))


def to_csv(pairs: list[Pair]) -> str:
    return csv_text(["student_a", "student_b", "similarity", "identical_spec",
                     "layer_edit_distance", "settings_distance", "shared_changes",
                     "changes_from_starter"],
                    [[p.a, p.b, f"{p.similarity:.4f}", "yes" if p.identical else "no",
                      p.layer_distance, f"{p.settings_distance:.4f}", p.shared_changes,
                      p.changes] for p in pairs])


def summary(pairs: list[Pair], threshold: float = 0.5, top: int = 5) -> list[str]:
    flagged = [p for p in pairs if p.similarity >= threshold][:top]
    if not flagged:
        return ["No pair of submissions shares most of its changes from the starter."]
    lines = ["Pairs to review (they share most of their changes from the starter; "
             "a reason to look, not a finding):"]
    for p in flagged:
        same = "identical specs" if p.identical else (
            "same layers apart from names" if p.layer_distance == 0 else
            f"{p.layer_distance} layer edit(s) apart")
        lines.append(f"  {p.a} and {p.b}: similarity {p.similarity:.2f} ({same}; "
                     f"{p.shared_changes:g} of their changes in common)")
    return lines
