"""Builders of small in-memory packs and requirements for the solver tests (no tests here)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from capacity_planner.demand.requirements import COLUMNS, Requirements
from capacity_planner.pack.model import (
    Activity,
    Availability,
    Clinician,
    CostItem,
    FixedRequirement,
    JobPlanCell,
    PlanningPack,
    RoomCapacity,
    Settings,
    Skill,
    Slot,
)
from capacity_planner.solver import PlanResult, SolveStatus, check_plan, plan_allocation

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

WEEKDAY_SLOTS = tuple(Slot(d, p, False) for d in ("Mon", "Tue", "Wed", "Thu", "Fri") for p in ("AM", "PM"))


def clinician(cid: str, contracted: float = 2.0, *, group: str = "consultant", contract: str = "consultant_2003",
              max_pas: float | None = None, spa: float = 0.0, weeks: float = 42.0, **kw: Any) -> Clinician:
    """A clinician with test-friendly defaults (no SPA floor unless given)."""
    return Clinician(cid, contracted, group, contract, contracted if max_pas is None else max_pas, spa, weeks,
                     4.0, **kw)


def activity(aid: str, category: str = "DCC", **kw: Any) -> Activity:
    """An activity (rapid_access=True gives priority 10 unless priority is given)."""
    if kw.get("rapid_access") and "priority" not in kw:
        kw["priority"] = 10
    return Activity(aid, category, **kw)


def make_pack(clinicians: Iterable[Clinician], activities: Iterable[Activity],
              skills: Iterable[tuple[str, str] | Skill], *, slots: Iterable[Slot] = WEEKDAY_SLOTS,
              rooms: Iterable[RoomCapacity] = (), availability: Iterable[Availability] = (),
              job_plans: Iterable[JobPlanCell] = (), requirements: Iterable[FixedRequirement] = (),
              costs: Iterable[CostItem] = (), **settings: Any) -> PlanningPack:
    """A pack in memory."""
    sk = tuple(s if isinstance(s, Skill) else Skill(*s) for s in skills)
    return PlanningPack(settings=Settings(**settings), clinicians=tuple(clinicians),
                        activities=tuple(activities), skills=sk, slots=tuple(slots), rooms=tuple(rooms),
                        availability=tuple(availability), job_plans=tuple(job_plans),
                        requirements=tuple(requirements), costs=tuple(costs))


def cell(cid: str, day: str, period: str, aid: str, weeks: float = 42.0, locked: bool = False) -> JobPlanCell:
    """A current job-plan cell."""
    return JobPlanCell(cid, day, period, aid, weeks, locked)


def reqs(demand: Mapping[str, float], rapid: Iterable[str] = ()) -> Requirements:
    """A hand-written Requirements table: sessions_per_year per activity."""
    rapid = set(rapid)
    rows = []
    for aid, spy in demand.items():
        row: dict[str, Any] = {c: 0.0 for c in COLUMNS}
        row.update(activity_id=aid, category="DCC", rapid_access=aid in rapid, sizing_method="mean",
                   sessions_per_year=float(spy))
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(COLUMNS)) if rows else pd.DataFrame({c: [] for c in COLUMNS})
    return Requirements.from_frame(frame)


def run(pack: PlanningPack, requirements: Requirements | None = None, *, check: bool = True,
        **kw: Any) -> PlanResult:
    """plan_allocation with a fixed seed, one worker and no exceptions; every solution goes through the
    independent checker."""
    requirements = requirements if requirements is not None else reqs({})
    options = {"time_limit_s": 20.0, "seed": 0, "workers": 1, "raise_on_failure": False, **kw}
    plan = plan_allocation(pack, requirements, **options)
    if check and plan.result.solution is not None:
        violations = check_plan(pack, plan.tables, requirements, kw.get("allowances"),
                                plan.summary.purchased_sessions, plan.summary)
        assert violations == [], violations
        sol = plan.result.solution
        for lv in plan.result.levels:  # the Solution recomputes every level the solver reports
            if lv.objective_units is None:
                continue
            if lv.status is SolveStatus.OPTIMAL:
                assert sol.level_units(lv.name) == lv.objective_units, lv.name
            else:  # cut short: later levels keep it within its value and may improve on it
                assert sol.level_units(lv.name) <= lv.objective_units, lv.name
    return plan


def cells(plan: PlanResult) -> dict[tuple[str, str, str], str]:
    """(clinician, day, period) -> activity of the planned allocation."""
    return {(r.clinician_id, r.day, r.period): r.activity_id for r in plan.allocation.itertuples()}
