"""Re-plan from the plan on the screen: the solver keeps every lock and pin and changes as little as it can
of the *shown* plan, while every number people see stays measured against the *current* job plans.

The allocation model minimises changes against a pack's job plans (its ``changes`` level). A meeting
re-plan therefore solves a *re-plan pack*: the meeting's pack whose job plans are the shown plan, with
every locked and pinned cell locked (:func:`replan_pack`). The solver then starts from the shown plan
(its cells are the ``changes`` level's phase hint) and its ``changes`` level counts cells moved from
it. The plan found is then *re-scored* on the meeting's pack with the original job plans
(:func:`rescore`): the same cells, every table, KPI and gap reason recomputed by the solver's own
functions and the independent checker run on it, so the page, ``report.html`` and ``plan.xlsx`` report
changes against the current job plans, exactly as ``capacity-planner plan`` would for that timetable.

A cell runs for the weeks the current job plan gives it when it keeps its current activity, else for the
clinician's working weeks (the model's rule); the re-plan pack gives each cell those same weeks, so the
supply the re-plan optimises is the supply the re-score reports.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import NamedTuple

import pandas as pd

from capacity_planner.application import PlanOptions, PlanRun, plan_pack
from capacity_planner.demand.pipeline import DemandResult
from capacity_planner.pack.model import JobPlanCell, PlanningPack
from capacity_planner.solver.options import Allowances

__all__ = ["Cell", "cells_of", "moved_cells", "replan", "replan_pack", "rescore"]


class Cell(NamedTuple):
    """One timetable cell: a clinician in a weekly slot."""

    clinician_id: str
    day: str
    period: str


def cells_of(allocation: pd.DataFrame) -> dict[Cell, str]:
    """Cell -> activity of a plan's allocation table (free cells have no entry)."""
    return {Cell(str(c), str(d), str(p)): str(a) for c, d, p, a in zip(
        allocation["clinician_id"], allocation["day"], allocation["period"], allocation["activity_id"],
        strict=True)}


def moved_cells(before: Mapping[Cell, str], after: Mapping[Cell, str]) -> list[Cell]:
    """Cells whose activity differs between two timetables (a cell freed or filled counts), sorted."""
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def cell_weeks(pack: PlanningPack) -> dict[tuple[Cell, str], float]:
    """(cell, activity) -> weeks a year the current job plan runs it (only the current activity)."""
    return {(Cell(j.clinician_id, j.day, j.period), j.activity_id): j.weeks_per_year for j in pack.job_plans}


def replan_pack(pack: PlanningPack, shown: Mapping[Cell, str], fixed: Mapping[Cell, str]) -> PlanningPack:
    """The pack a re-plan solves: ``pack`` with the shown timetable as its job plans.

    Parameters
    ----------
    pack : PlanningPack
        The meeting's pack (original job plans; the meeting's availability and priorities applied).
    shown : mapping of Cell to str
        The timetable on the screen (cell -> activity).
    fixed : mapping of Cell to str
        Cells locked as they are or pinned to an activity (cell -> activity): locked in the re-plan pack.

    Notes
    -----
    A shown cell in a slot the meeting marked unavailable is left out (the clinician no longer works
    it). Cells locked in the pack stay locked. Weeks a year per cell follow the model's rule (module
    docstring).
    """
    weeks = cell_weeks(pack)
    working = {c.clinician_id: c.working_weeks for c in pack.clinicians}
    locked_in_pack = {Cell(j.clinician_id, j.day, j.period) for j in pack.job_plans if j.locked}
    unavailable = pack.unavailable_slots
    timetable = {k: a for k, a in shown.items() if tuple(k) not in unavailable}
    timetable.update(fixed)
    cells = []
    for key in sorted(timetable):
        act = timetable[key]
        cells.append(JobPlanCell(
            key.clinician_id, key.day, key.period, act,
            weeks.get((key, act), working.get(key.clinician_id, pack.settings.service_weeks)),
            locked=key in fixed or key in locked_in_pack))
    return pack.replace(job_plans=tuple(cells))


def rescore(pack: PlanningPack, demand: DemandResult, replanned: PlanRun,
            allowances: Allowances | None = None) -> PlanRun:
    """The re-planned timetable as a run of ``pack`` (the original job plans): the same cells, with every
    table, KPI and gap reason recomputed against the current job plans and checked.

    The solve record (status, levels, seconds) is the re-plan's; its ``changes`` level counts cells moved
    from the shown plan.

    Raises
    ------
    PlanCheckError
        When the timetable breaks a rule of ``pack`` (a bug: the re-plan pack has the same rules).
    """
    # The solver's own table and KPI functions, so the numbers are those `plan` reports (no copy here).
    from capacity_planner.solver.gaps import gap_reasons
    from capacity_planner.solver.plan import PlanResult, verify_plan
    from capacity_planner.solver.problem import build_problem
    from capacity_planner.solver.result import Solution
    from capacity_planner.solver.tables import kpis, plan_tables

    plan = replanned.plan
    problem = build_problem(pack, demand.requirements, allowances)
    c_of = {ci.clinician_id: i for i, ci in enumerate(problem.clinicians)}
    s_of = {(s.day, s.period): i for i, s in enumerate(problem.slots)}
    a_of = {a.activity_id: i for i, a in enumerate(problem.activities)}
    cells = {(c_of[k.clinician_id], s_of[(k.day, k.period)]): a_of[a]
             for k, a in cells_of(plan.allocation).items()}
    bought = {a_of[a]: int(n) for a, n in (plan.summary.purchased_sessions or {}).items() if int(n) > 0}
    solution = Solution(problem, cells, bought)
    reasons = gap_reasons(solution)
    extra = kpis(solution)
    extra["gap_reasons"] = [f"{r.activity_id}: {r.reason}" for r in reasons.itertuples()]
    notes = [*problem.notes, *[n for n in plan.summary.notes if n not in problem.notes]]
    summary = dataclasses.replace(plan.summary, notes=notes, **extra)
    result = dataclasses.replace(plan.result, solution=solution)
    scored = PlanResult(pack, demand.requirements, problem, result, plan_tables(solution), reasons, summary)
    verify_plan(scored, allowances)
    return PlanRun(pack, demand, scored, list(replanned.notes))


def replan(pack: PlanningPack, demand: DemandResult, shown: Mapping[Cell, str], fixed: Mapping[Cell, str],
           options: PlanOptions) -> tuple[PlanRun, PlanRun | None]:
    """Re-plan from ``shown`` keeping ``fixed``; return (the re-plan pack's run, its re-scored run).

    The first run's changes are against ``shown`` and its status says whether the solve was proven or cut
    short; the second is what the page and the meeting pack show. When the re-plan finds no plan (the
    rules cannot all hold with these locks and pins, or the time ran out) the first run has that status
    and the second is None.
    """
    solved = plan_pack(replan_pack(pack, shown, fixed), dataclasses.replace(options, raise_on_failure=False),
                       demand=demand)
    if not solved.plan.has_plan:
        return solved, None
    return solved, rescore(pack, demand, solved, options.allowances)
