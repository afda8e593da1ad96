"""Re-plan from the plan on the screen: the solver keeps every lock and pin and changes as little as it can
of the *shown* plan, while every number people see stays measured against the *current* job plans.

The allocation model minimises changes against a baseline (its ``changes`` level). A meeting re-plan
plans the meeting's pack (its current job plans, the meeting's unavailable slots, clinicians away,
priorities and demand applied) through the same public API as ``capacity-planner plan``
(:func:`capacity_planner.application.plan_pack`) with the solver option
:class:`~capacity_planner.solver.options.Baseline`: the shown plan with the meeting's pins in place, its
locked and pinned cells fixed. The ``changes`` level then counts (and its search starts from) the sessions
moved from the shown plan, while the plan's tables, KPIs, gap reasons, the weeks each cell runs and the
routine floor are those of the current job plans, exactly as ``capacity-planner plan`` reports them, and
the independent checker has passed the plan.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from capacity_planner.application import PlanOptions, PlanRun, plan_pack
from capacity_planner.serve import actions as A
from capacity_planner.serve.actions import Cell
from capacity_planner.solver.options import Baseline

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import pandas as pd

    from capacity_planner.demand.pipeline import DemandResult
    from capacity_planner.pack.model import PlanningPack

__all__ = ["baseline_of", "cells_of", "changes_from_baseline", "moved_cells", "replan", "why_moved"]


def cells_of(allocation: pd.DataFrame) -> dict[Cell, str]:
    """Cell -> activity of a plan's allocation table (free cells have no entry)."""
    return {Cell(str(c), str(d), str(p)): str(a) for c, d, p, a in zip(
        allocation["clinician_id"], allocation["day"], allocation["period"], allocation["activity_id"],
        strict=True)}


def moved_cells(before: Mapping[Cell, str], after: Mapping[Cell, str]) -> list[Cell]:
    """Cells whose activity differs between two timetables (a cell freed or filled counts), sorted."""
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def why_moved(cell: Cell, before: str | None, after: str | None, actions: Sequence[Any],
              previous_gaps: Mapping[str, float], names: Mapping[str, str] | None = None) -> str:
    """Why a cell moved between two versions, in words, from the meeting's new actions and the previous
    version's gaps (the first rule that applies):

    1. a pin on the cell, or the clinician unavailable there or for the year, moved it;
    2. it now holds an activity that was short in the previous version (its gap, session-weeks a year);
    3. it held or now holds an activity whose demand or priority the meeting changed;
    4. the clinician was pinned elsewhere, or given or refused an additional PA, and this cell made room;
    5. otherwise: the re-plan rebalanced (the fewest moves keeping every gap as small as it can be).

    Parameters
    ----------
    cell : Cell
        The moved cell.
    before, after : str or None
        Its activity in the previous and in this version (None: free).
    actions : sequence of Action
        The actions first taken in this version's re-plan (:mod:`capacity_planner.serve.actions`).
    previous_gaps : mapping
        Activity id -> gap in session-weeks a year in the previous version (gaps.csv).
    names : mapping, optional
        Activity id -> name for the words (default: the id).
    """
    def name(activity: str | None) -> str:
        return "free time" if activity is None else (names or {}).get(activity, activity)

    for action in actions:
        if isinstance(action, A.Pin) and action.cell == cell:
            return f"pinned in the meeting: {name(action.activity)}"
        if isinstance(action, A.Unavailable) and action.cell == cell:
            return "the clinician was marked unavailable in this slot"
        if isinstance(action, A.Away) and action.clinician_id == cell.clinician_id:
            return "the clinician was marked unavailable for the year"
    gap = previous_gaps.get(after, 0.0) if after is not None else 0.0
    if gap > 0:
        return f"{name(after)} was {gap:,.1f} session-weeks a year short in the previous version"
    for action in actions:
        if isinstance(action, A.SetDemand) and action.activity in (before, after):
            return f"the meeting set the demand of {name(action.activity)}"
        if isinstance(action, A.SetPriority) and action.activity in (before, after):
            return f"the meeting set the priority of {name(action.activity)}"
    for action in actions:
        if isinstance(action, A.Pin) and action.cell.clinician_id == cell.clinician_id:
            return (f"makes room in the clinician's PAs for the pinned {name(action.activity)} on "
                    f"{action.cell.day} {action.cell.period}")
        if isinstance(action, A.AdditionalPA) and action.clinician_id == cell.clinician_id:
            return ("uses the additional PA agreed in the meeting" if action.allowed
                    else "gives back the additional PA the meeting took away")
    return ("the re-plan rebalanced: the fewest further moves that keep every gap as small as it can be "
            f"({name(before)} to {name(after)})")


def cell_weeks(pack: PlanningPack) -> dict[tuple[Cell, str], float]:
    """(cell, activity) -> weeks a year the current job plan runs it (only the current activity)."""
    return {(Cell(j.clinician_id, j.day, j.period), j.activity_id): j.weeks_per_year for j in pack.job_plans}


def baseline_of(pack: PlanningPack, shown: Mapping[Cell, str], fixed: Mapping[Cell, str]) -> Baseline:
    """The solver baseline of a re-plan: the shown timetable with the meeting's pins in place (a shown
    cell in a slot the meeting marked unavailable is left out: the clinician no longer works it), every
    locked and pinned cell fixed.

    Parameters
    ----------
    pack : PlanningPack
        The meeting's pack (its unavailable slots applied).
    shown : mapping of Cell to str
        The timetable on the screen (cell -> activity).
    fixed : mapping of Cell to str
        Cells locked as they are or pinned to an activity (cell -> activity).
    """
    unavailable = pack.unavailable_slots
    timetable = {k: a for k, a in shown.items() if tuple(k) not in unavailable}
    timetable.update(fixed)
    return Baseline(tuple((k.clinician_id, k.day, k.period, a) for k, a in sorted(timetable.items())),
                    frozenset((k.clinician_id, k.day, k.period) for k in fixed))


def changes_from_baseline(run: PlanRun) -> int | None:
    """The re-plan's ``changes`` level: sessions moved from the shown plan with the pins in place (None
    when the level was not reached)."""
    for level in run.plan.result.levels:
        if level.name == "changes":
            return None if level.objective is None else round(level.objective)
    return None


def replan(pack: PlanningPack, demand: DemandResult, shown: Mapping[Cell, str], fixed: Mapping[Cell, str],
           options: PlanOptions) -> PlanRun:
    """Re-plan ``pack`` from ``shown`` keeping ``fixed``, through the public API (:func:`plan_pack` with
    :class:`~capacity_planner.solver.options.Baseline`).

    The solver's ``changes`` level counts against the shown plan (:func:`changes_from_baseline`); the
    run's tables and summary count changes against the current job plans and the plan has passed the
    independent checker. When the re-plan finds no plan (the rules cannot all hold with these locks and
    pins, or the time ran out) the run has that status and its reasons, and no tables.
    """
    baseline = baseline_of(pack, shown, fixed)
    run_options = dataclasses.replace(options, raise_on_failure=False, baseline=baseline)
    return plan_pack(pack, run_options, demand=demand)
