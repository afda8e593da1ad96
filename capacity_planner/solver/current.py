"""What the current job plans hold, for the rules that keep it: referral demand net of fixed sessions, SPA
ceilings, ANR/ED time and the sessions-a-day cap per clinician (used by
:func:`~capacity_planner.solver.problem.build_problem`)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from capacity_planner.pack.costs import PA_SCALE
from capacity_planner.solver.records import HELD_CATEGORIES, ActivityInfo, ClinicianInfo, SlotInfo, to_units

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from capacity_planner.demand.requirements import Requirements
    from capacity_planner.pack.model import PlanningPack


def referral_demand(pack: PlanningPack, requirements: Requirements) -> dict[str, float]:
    """Session-weeks a year of *referral* demand per activity: ``sessions_per_year`` less the fixed
    sessions the demand sizing added (``fixed_sessions_per_week x planning.service_weeks``, when the
    requirements table has that column). Fixed requirements are rules of the plan (coverage of a slot,
    sessions a week), not demand: counting them as both made admin a permanent "gap"."""
    table = requirements.table
    given = requirements.sessions_per_year()
    if "fixed_sessions_per_week" not in table.columns:
        return {k: float(v) for k, v in given.items()}
    fixed = dict(zip(table["activity_id"], table["fixed_sessions_per_week"].fillna(0.0), strict=True))
    weeks = float(pack.settings.service_weeks)
    return {k: max(0.0, float(v) - float(fixed.get(k, 0.0)) * weeks) for k, v in given.items()}


def with_current_time(
    pack: PlanningPack,
    clinicians: list[ClinicianInfo],
    activities: list[ActivityInfo],
    slots: tuple[SlotInfo, ...],
    current: Mapping[tuple[int, int], int],
    current_weeks: Mapping[tuple[int, int], int],
    week_scale: int,
    half_cells: Iterable[tuple[int, int, int, int]] = (),
) -> list[ClinicianInfo]:
    """Each clinician with their SPA ceiling, the ANR time they hold and their sessions-a-day cap.

    SPA ceiling (annual units): ``max_spa_pas x working weeks`` when given, else the larger of the SPA
    floor and the SPA the current job plan gives (annualised), so idle time never becomes SPA silently.
    """
    by_id = {c.clinician_id: c for c in pack.clinicians}
    per_day = int(pack.settings.max_sessions_per_day)
    out = []
    cells_of: dict[int, list[tuple[int, int, int]]] = {}  # (slot, activity, weeks) per clinician: one pass
    for (cc, s), a in current.items():
        cells_of.setdefault(cc, []).append((s, a, current_weeks[(cc, s)]))
    for cc, s, a, weeks in half_cells:  # week A / week B cells: half the working weeks
        cells_of.setdefault(cc, []).append((s, a, weeks))
    for c, ci in enumerate(clinicians):
        held: dict[str, int] = {}
        for s, a, weeks in cells_of.get(c, ()):
            value = activities[a].pa_value * (ci.premium_factor if slots[s].premium else 1)
            held[activities[a].category] = held.get(activities[a].category, 0) + int(value * weeks)
        floor_annual = ci.spa_floor * ci.working_weeks
        given = by_id[ci.clinician_id].max_spa_pas
        if given is not None:
            ceiling = max(floor_annual, to_units(given, PA_SCALE, f"max_spa_pas of {ci.clinician_id}")
                          * ci.working_weeks)
        else:
            ceiling = max(floor_annual, held.get("SPA", 0))
        out.append(
            dataclasses.replace(
                ci,
                spa_ceiling=ceiling,
                roles=tuple((k, held.get(k, 0)) for k in HELD_CATEGORIES),
                max_sessions_per_day=None if ci.out_of_hours_opt_in else per_day,
            )
        )
    return out


def whole_session_ceiling(ci: ClinicianInfo, c: int, activities: list[ActivityInfo],
                           skilled: set[tuple[int, int]], two_hour_spa: bool = False) -> ClinicianInfo:
    """The SPA ceiling raised, if needed, to the floor rounded up to whole sessions of the smallest SPA
    activity the clinician may do (a 1.5-PA floor with 1-PA sessions may take 2 PAs of SPA), or to half
    sessions when they may have a 2-hour half of SPA (``two_hour_spa``: a half-slot SPA cell in a
    normal-time slot is offered): the floor is then reached exactly, and the other half of the slot left
    empty is unassigned time, never SPA (docs/method.md, "Half sessions")."""
    sizes = [act.pa_value for a, act in enumerate(activities) if act.category == "SPA" and (c, a) in skilled]
    if not sizes or ci.spa_floor <= 0:
        return ci
    step = min(sizes) * ci.working_weeks  # annual units of one weekly session
    if two_hour_spa and step % 2 == 0:
        step //= 2  # a 2-hour half: half the session's PA-weeks
    whole = -(-(ci.spa_floor * ci.working_weeks) // step) * step
    return ci if whole <= ci.spa_ceiling else dataclasses.replace(ci, spa_ceiling=whole)
