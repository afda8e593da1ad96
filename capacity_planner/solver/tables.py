"""Output tables of a plan, with the exact columns of DESIGN.md section 4.

All numbers are recomputed from the :class:`~capacity_planner.solver.result.Solution` cells and the
problem's coefficients: PAs a week, session-weeks a year, hours a year.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from capacity_planner import constants as C
from capacity_planner.output_schema import (
    ALLOCATION_COLUMNS,
    CHANGES_COLUMNS,
    CLINICIANS_COLUMNS,
    GAPS_COLUMNS,
)
from capacity_planner.pack.model import JobPlanCell
from capacity_planner.solver.gaps import unassigned_reasons
from capacity_planner.solver.problem import PA_SCALE, AllocationProblem

if TYPE_CHECKING:
    from capacity_planner.solver.result import Solution

DECIMALS = 4


def _pas(units: int) -> float:
    return round(units / PA_SCALE, DECIMALS)


def empty_tables() -> dict[str, pd.DataFrame]:
    """The four tables with their columns and no rows (for an infeasible plan)."""
    return {
        name: pd.DataFrame({c: [] for c in cols})
        for name, cols in (
            ("allocation", ALLOCATION_COLUMNS),
            ("gaps", GAPS_COLUMNS),
            ("clinicians", CLINICIANS_COLUMNS),
            ("changes", CHANGES_COLUMNS),
        )
    }


def allocation_table(sol: Solution) -> pd.DataFrame:
    """One row per worked cell: clinician_id, day, period, activity_id, pas (PAs a week, premium-scaled and
    annualised: pa_value x weeks_per_year / working weeks), weeks_per_year (weeks the cell runs) and week
    ("A" or "B" for a cell on alternate weeks, half the working weeks; blank for every week). A slot on
    alternate weeks has a row for each week worked. A slot of 2-hour halves (SPA, admin; ``half`` "1" or
    "2", the first or second 2 hours) has a row per half worked, every week: ``weeks_per_year`` the
    working weeks, ``pas`` half the session's PAs, ``week`` blank; ``half`` is blank for a whole session."""
    p = sol.problem
    rows = [(c, s, "", a, p.annual(c, s, a), p.weeks(c, s, a), "") for (c, s), a in sol.cells.items()]
    for c, s, week, a in sol.half_cells():
        if (c, s) in sol.two_hour:  # every week, half the hours: the same PA-weeks as W/2 whole weeks
            rows.append((c, s, "", a, p.half_annual(c, s, a), p.clinicians[c].working_weeks, half_of(week)))
        else:
            rows.append((c, s, week, a, p.half_annual(c, s, a), p.half_weeks(c), ""))
    return pd.DataFrame(
        [
            (
                p.clinicians[c].clinician_id,
                p.slots[s].day,
                p.slots[s].period,
                p.activities[a].activity_id,
                round(sol.weekly_pas(c, annual), DECIMALS),
                weeks / p.week_scale,
                week,
                half,
            )
            for c, s, week, a, annual, weeks, half in sorted(rows, key=lambda r: (*r[:3], r[6]))
        ],
        columns=list(ALLOCATION_COLUMNS),
    )


def half_of(week: str) -> str:
    """The ``half`` ("1" or "2") a 2-hour half is written with, from the label the solution keeps it
    under ("A": the first 2 hours, "B": the second)."""
    return "1" if week in ("", "A") else "2"


def job_plans_from_allocation(allocation: pd.DataFrame, *, locked: bool = False) -> tuple[JobPlanCell, ...]:
    """A plan's ``allocation.csv`` as job-plan cells, so an agreed plan can be written as a pack's
    ``job_plans``: each row keeps its ``weeks_per_year``, its ``week`` (A / B for a slot on alternate
    weeks, None for every week) and its ``half`` (1 / 2 for a 2-hour half), so reading the pack back gives
    the same cells."""
    weeks = (allocation["week"] if "week" in allocation.columns
             else pd.Series("", index=allocation.index)).fillna("").astype(str)
    halves = (allocation["half"] if "half" in allocation.columns
              else pd.Series("", index=allocation.index)).fillna("").astype(str).str.removesuffix(".0")
    return tuple(
        JobPlanCell(str(r.clinician_id), str(r.day), str(r.period), str(r.activity_id),
                    float(r.weeks_per_year), locked, week if week in ("A", "B") else None,  # type: ignore[arg-type]
                    half if half in ("1", "2") else None)
        for r, week, half in zip(allocation.itertuples(index=False), weeks, halves, strict=True))


def current_supply_units(p: AllocationProblem) -> dict[int, int]:
    """Session-weeks a year (week_scale units) per activity in the current job plan (active clinicians),
    each cell weekday-true (:meth:`AllocationProblem.supply_weeks`)."""
    out = {a: 0 for a in range(len(p.activities))}
    for key, a in p.current.items():
        out[a] += p.supply_weeks(key[0], key[1], a)  # weekday-true when the setting is on
    for (c, s), pair in p.current_halves.items():  # week A / week B cells: half the working weeks' supply
        for half in pair:
            if half is not None:
                out[half] += p.half_supply(c, s, half)
    return out


def gaps_table(sol: Solution) -> pd.DataFrame:
    """One row per activity: required, current and planned session-weeks a year, the gap, and the gap in
    DCC hours (gap x 4 h x pa_value for DCC activities, as in requirements.csv)."""
    p = sol.problem
    current = current_supply_units(p)
    rows = []
    for a, act in enumerate(p.activities):
        required = act.demand_exact
        planned = sol.supply_units[a] / p.week_scale
        gap = max(0.0, round(required - planned, 6))
        hours = gap * C.NORMAL_PA_HOURS * act.pa_value / PA_SCALE if act.category == "DCC" else 0.0
        rows.append((act.activity_id, required, current[a] / p.week_scale, planned, gap, round(hours, 6)))
    return pd.DataFrame(rows, columns=list(GAPS_COLUMNS))


def clinicians_table(sol: Solution) -> pd.DataFrame:
    """One row per planned clinician: PAs a week by kind, annualised over their working weeks (other_pas
    includes on-call PAs outside the grid and every category other than DCC and SPA), sessions changed
    (a move counts 1), and contracted PAs left unassigned with the reason."""
    p = sol.problem
    changed = sol.sessions_changed()
    why = unassigned_reasons(sol)
    rows = []
    for c, ci in enumerate(p.clinicians):
        def week(units: int, c: int = c) -> float:
            return round(sol.weekly_pas(c, units), DECIMALS)

        planned = sol.planned_annual[c]
        dcc = sol.annual_units(c, category="DCC")
        spa = sol.annual_units(c, category="SPA")
        rows.append(
            (
                ci.clinician_id,
                ci.staff_group,
                _pas(ci.contracted),
                week(planned),
                week(dcc),
                week(spa),
                week(planned - dcc - spa),
                _pas(sol.additional_units(c)),
                week(sol.annual_units(c, premium_only=True)),
                changed.get(c, 0),
                week(sol.unassigned_annual(c)),
                why.get(c, ""),
            )
        )
    return pd.DataFrame(rows, columns=list(CLINICIANS_COLUMNS))


def changes_table(sol: Solution) -> pd.DataFrame:
    """One row per changed cell; a blank activity means the cell is free. A slot on alternate weeks has a
    row for each week ("A", "B") whose activity differs from the current plan's; a slot of 2-hour halves
    (now or in the current plan) a row for each half ("1", "2") that differs."""
    p = sol.problem
    rows = []
    for c, s, week in sol.changed_cells():
        before, after = p.current_in_week(c, s, week), sol.week_activity(c, s, week or "A")
        halves = (c, s) in sol.two_hour or (c, s) in p.current_two_hour
        rows.append(
            (
                p.clinicians[c].clinician_id,
                p.slots[s].day,
                p.slots[s].period,
                None if before is None else p.activities[before].activity_id,
                None if after is None else p.activities[after].activity_id,
                "" if halves else week,
                half_of(week) if halves and week else "",
            )
        )
    return pd.DataFrame(rows, columns=list(CHANGES_COLUMNS))


def plan_tables(sol: Solution) -> dict[str, pd.DataFrame]:
    """allocation, gaps, clinicians and changes."""
    return {
        "allocation": allocation_table(sol),
        "gaps": gaps_table(sol),
        "clinicians": clinicians_table(sol),
        "changes": changes_table(sol),
    }


def kpis(sol: Solution) -> dict[str, Any]:
    """Headline numbers for summary.json, recomputed from the allocation."""
    p = sol.problem
    changed = sol.sessions_changed()
    unmet_hours = 0.0
    for a, act in enumerate(p.activities):
        if act.category == "DCC":
            unmet_hours += sol.unmet_units(a) / p.week_scale * C.NORMAL_PA_HOURS * act.pa_value / PA_SCALE
    apa_cost = sum(sol.additional_units(c) * ci.apa_cost for c, ci in enumerate(p.clinicians)) / PA_SCALE
    bought_cost = float(sum(n * p.purchases[a].cost for a, n in sol.bought.items()))
    return {
        "unmet_sessions_per_year": round(sol.unmet_sessions_per_year(), 6),
        "unmet_dcc_hours_per_year": round(unmet_hours, 6),
        "annual_cost": round(apa_cost + bought_cost, 2),
        "cost_breakdown": {"additional_pas": round(apa_cost, 2), "purchased_sessions": round(bought_cost, 2)},
        "additional_pas": round(sol.additional_pas(), DECIMALS),
        "purchased_sessions": {p.activities[a].activity_id: n for a, n in sorted(sol.bought.items())},
        "unassigned_pas": round(sol.unassigned_pas(), DECIMALS),
        "changed_sessions": sum(changed.values()),
        "clinicians_affected": len(changed),
        "routine_floor": floor_report(sol),
    }


def floor_report(sol: Solution) -> list[str]:
    """Where the routine floor binds: a routine activity planned within one session of its floor while
    rapid-access demand is still unmet (without the floor, rapid access could take that session)."""
    p = sol.problem
    rapid_short = sum(sol.unmet_units(a) for a, act in enumerate(p.activities) if act.rapid_access)
    out = []
    for a, act in enumerate(p.activities):
        if act.floor <= 0:
            continue
        supply = sol.supply_units[a]
        step = min([p.supply_weeks(c, s, a) for (c, s), b in sol.cells.items() if b == a]
                   + [p.half_supply(c, s, a) for c, s, _, b in sol.half_cells() if b == a], default=0)
        if supply < act.floor:
            out.append(f"{act.activity_id}: below its routine floor ({supply / p.week_scale:g} of "
                       f"{act.floor / p.week_scale:g} session-weeks a year); the rules leave no other way")
        elif rapid_short and supply - step < act.floor:
            out.append(f"{act.activity_id}: held at its routine floor ({supply / p.week_scale:g} "
                       f"session-weeks a year, floor {act.floor / p.week_scale:g} = "
                       f"{p.routine_floor_share:.0%} of the smaller of current supply and need) while rapid "
                       f"access is short by "
                       f"{rapid_short / p.week_scale:g} session-weeks a year")
    return out
