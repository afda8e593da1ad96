"""The solver option the meeting's re-plan uses (``Baseline``, issue 20): the ``changes`` level counts against
a given plan and keeps its fixed cells, while every table and summary figure still counts against the
current job plans; a split pack passes the baseline to each part."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest
from test_solver_decompose import _joined, _renamed, _reqs
from test_solver_helpers import cells, run

import capacity_planner as cp
from capacity_planner.demand.requirements import Requirements
from capacity_planner.solver import SolveStatus
from capacity_planner.solver.options import Baseline

if TYPE_CHECKING:
    from pathlib import Path

Key = tuple[str, str, str]


def hand_count(before: dict[Key, str], after: dict[Key, str]) -> int:
    """The model's rule by hand: per clinician the larger of cells freed or changed away and cells filled
    or changed to, summed."""
    removed: dict[str, int] = defaultdict(int)
    added: dict[str, int] = defaultdict(int)
    for k in set(before) | set(after):
        if before.get(k) != after.get(k):
            removed[k[0]] += k in before
            added[k[0]] += k in after
    return sum(max(removed[c], added[c]) for c in set(removed) | set(added))


@pytest.fixture
def split_pack(tiny_path: Path) -> tuple[cp.PlanningPack, Requirements]:
    tiny = cp.read_pack(tiny_path)
    both = _joined(_renamed(tiny, "a."), _renamed(tiny, "b."))
    return both, Requirements.from_frame(pd.concat([_reqs("a.").table, _reqs("b.").table], ignore_index=True))


def changes_level(plan: Any) -> float:
    return next(lv.objective for lv in plan.result.levels if lv.name == "changes")


def test_the_changes_level_counts_against_the_baseline_in_every_part(split_pack):
    pack, requirements = split_pack
    first = run(pack, requirements)
    assert first.status is SolveStatus.OPTIMAL and len(first.parts) == 2
    shown = cells(first)
    current = {(j.clinician_id, j.day, j.period): j.activity_id for j in pack.job_plans}
    # The baseline is the first plan itself: nothing needs to move, in either part.
    same = run(pack, requirements, baseline=Baseline(tuple((*k, a) for k, a in sorted(shown.items()))))
    assert len(same.parts) == 2 and cells(same) == shown and changes_level(same) == 0
    assert same.summary.changed_sessions == first.summary.changed_sessions == hand_count(current, shown)
    # A pin in each part: a cell of the first plan given another activity its clinician does elsewhere in
    # that plan (so the skill holds), fixed. The run's helper checks every level against the Solution's
    # own recount (the changes level against the baseline).
    pins: dict[Key, str] = {}
    for prefix in ("a.", "b."):
        for k, a in sorted(shown.items()):
            others = sorted({x for kk, x in shown.items() if kk[0] == k[0] and x != a
                             and pack.activity(x).category == pack.activity(a).category == "DCC"})
            if k[0].startswith(prefix) and others and not any(
                    (j.clinician_id, j.day, j.period) == k and j.locked for j in pack.job_plans):
                pins[k] = others[0]
                break
    assert len(pins) == 2
    base = {**shown, **pins}
    moved = run(pack, requirements,
                baseline=Baseline(tuple((*k, a) for k, a in sorted(base.items())), frozenset(pins)))
    after = cells(moved)
    assert moved.status is SolveStatus.OPTIMAL and len(moved.parts) == 2
    assert all(after[k] == a for k, a in pins.items())
    assert changes_level(moved) == hand_count(base, after)  # against the baseline, summed over the parts
    assert moved.summary.changed_sessions == hand_count(current, after)  # reported: against the job plans
    assert int(moved.clinicians["changed_sessions"].sum()) == hand_count(current, after)


def test_a_fixed_cell_outside_the_baseline_is_refused(split_pack):
    pack, requirements = split_pack
    with pytest.raises(ValueError, match="not a cell of the baseline"):
        run(pack, requirements, baseline=Baseline((), frozenset({("a.A", "Mon", "AM")})))
