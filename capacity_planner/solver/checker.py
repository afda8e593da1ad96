"""An independent checker: re-verifies every hard rule of a plan from its output tables and the pack.

It deliberately shares no code with the model: it reads the pack's records (clinicians, skills, slots,
rooms, availability, job plans, fixed requirements, settings) and the tables written to disk
(allocation, clinicians, gaps, changes, summary) and recomputes everything in floating point with its own
reading of the rules, written from docs/method.md ("Allocation"), not from the model's code:

* a cell runs the current plan's ``weeks_per_year`` when it keeps the current activity, else the
  clinician's working weeks; a cell on alternate weeks (``week`` A or B) runs half the working weeks, and
  every per-week rule (rooms, sessions a day, rest, caps, heads) holds in week A and in week B; its PAs a
  week are ``pa_value`` (x 4/3 in premium time for consultant and SAS contracts) x weeks it runs /
  working weeks (annualised);
* a current job-plan cell with ``week`` A or B is a current alternate-week cell: a locked one stays on
  alternate weeks in that slot, and changes compare each week with that week's current activity;
* a 2-hour half (``half`` 1 or 2, in the allocation or the current plan) is of an activity with no room
  that is not on-call, in a normal-time slot, every week; it counts half the session's PAs and
  session-weeks, the same as a whole session on week A (half 1) or week B (half 2), and is read so;
* additional PAs only up to the smaller of ``max_pas - contracted_pas`` and what the allowances give;
* the SAS 2021 out-of-hours share counts on-call PAs as out-of-hours PAs;
* SPA between the floor and the ceiling (``max_spa_pas``, else the larger of the floor and current SPA;
  at least the floor rounded up to whole sessions of the smallest SPA activity, or to half sessions where
  a half-slot SPA cell may be the clinician's); ANR and ED time as in the current plan;
* out-of-hours slots need the opt-in except for ONCALL work; no AM session after an evening session;
  at most ``solver.max_sessions_per_day`` sessions a day unless opted in; a day off when the grid has
  seven days;
* a 1-in-N on-call rota (a requirement with ``rota_size`` N): exactly N clinicians do the activity in
  its slot, each row on call ``min_clinicians x service_weeks / N`` weeks a year, within the member's
  working weeks (its PAs annualised like any cell, plus the rota's ``unpredictable_pas`` a week for
  unpredictable emergency work; in premium time they count towards the SAS share);
* supply is weekday-true (``planning.weekday_true_supply``, default on, with a known planning year): a
  weekly cell on day *d* delivers one session on every *d* of the 52 weeks from ``planning.start`` that is
  not a bank holiday, less the week's share recorded in ``leave``, less the contract's leave
  (52 - 8/5 - working weeks) not recorded, spread evenly; a cell running *k* of the *W* working weeks
  delivers *k*/*W* of that (alternate-week cells half); each to the nearest whole session, half up. Setting
  off: a cell delivers the weeks it runs. PAs are never weekday-true;
* referral demand is ``sessions_per_year`` less the fixed sessions the sizing added, rounded up to the
  resolution of supply; summary.json's unmet totals, unassigned PAs and cost are re-derived.
* linked sessions (``links``), in week A and in week B: in each slot, count x the sessions of the activity
  run by the performer group is at most the linked group's clinicians there doing the linked activity
  (dedicated) or working any session but external duties, holding the named role, that does not itself
  need the link (present); an activity only dedicated links need has no more sessions in a slot than
  they need there (rounded up) in place of the no-surplus cap.
* productivity per staff group (``productivity``): a cell's supply to activity *a* is its sessions a year
  x pps of its clinician's group / pps at the current plans' mix of groups, to the nearest step of the
  resolution of supply, half up (docs/method.md, "Productivity per staff group"); bought sessions count 1.

It returns a list of violations in words (empty when the plan keeps every rule), so a bug in the model,
the integer scaling or the table writer shows up as a violation.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections import Counter, defaultdict
from contextvars import ContextVar
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd

from capacity_planner import constants as C
from capacity_planner.calendar import bank_holidays
from capacity_planner.solver.expected_leave import england_periods
from capacity_planner.solver.options import Allowances
from capacity_planner.solver.sites import check_sites

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from capacity_planner.demand.requirements import Requirements
    from capacity_planner.pack.model import (
        Activity,
        Clinician,
        FixedRequirement,
        JobPlanCell,
        Link,
        PlanningPack,
    )
    from capacity_planner.plan_summary import PlanSummary

TOL = 1e-6
PAS_TOL = 1e-3  # tables round PAs to 4 decimals
_PREMIUM_CONTRACTS = ("consultant_2003", "sas_2021", "sas_2008")


def _session_pas(pa_value: float, premium: bool, contract: str) -> float:
    """A session's PAs: pa_value, or pa_value x 4/3 in premium time for consultant and SAS contracts."""
    if premium and contract in _PREMIUM_CONTRACTS:
        return pa_value * C.NORMAL_PA_HOURS / C.PREMIUM_PA_HOURS
    return pa_value


def _allowed_extra(
    pack: PlanningPack, allowances: Allowances | None
) -> tuple[dict[str, float], float | None]:
    al = allowances or Allowances()
    out = {}
    for c in pack.clinicians:
        room = max(0.0, c.max_pas - c.contracted_pas)
        if al.additional_pas_per_clinician is None:
            cap = room if pack.settings.allow_additional_pas else 0.0
        else:
            cap = min(room, al.additional_pas_per_clinician)
        if al.clinicians is not None and c.clinician_id not in al.clinicians:
            cap = 0.0
        if al.clinician_caps is not None:
            cap = min(cap, dict(al.clinician_caps).get(c.clinician_id, 0.0))
        out[c.clinician_id] = cap
    return out, al.additional_pas_total


_T = TypeVar("_T")
_MEMO: ContextVar[dict[tuple[str, int], Any] | None] = ContextVar("checker_memo", default=None)
"""Within one :func:`check_plan` call: pack-wide derived values (resolution of supply, weekday-true
sessions, clinicians offered half-slot cells) by (function, pack), computed once instead of once per use."""


def _per_check(fn: Callable[[PlanningPack], _T]) -> Callable[[PlanningPack], _T]:
    """Compute ``fn(pack)`` once per :func:`check_plan` call (outside one, every time). The pack is not
    changed while it is checked, so the value is the same; callers must not change what it returns."""

    @functools.wraps(fn)
    def wrapper(pack: PlanningPack) -> _T:
        memo = _MEMO.get()
        if memo is None:
            return fn(pack)
        key = (fn.__name__, id(pack))
        if key not in memo:
            memo[key] = fn(pack)
        return memo[key]

    return wrapper


@dataclass
class _Records:
    """The pack's records the checker reads, keyed for lookup.

    Attributes
    ----------
    clin : dict
        clinician_id -> Clinician, the active clinicians.
    acts : dict
        activity_id -> Activity.
    grid : dict
        (day, period) -> premium time, the weekly grid (Mon-Fri AM/PM, not premium, without slots).
    plan_cells : dict
        Current cells by (clinician, day, period, week): week "" every week, "A" / "B" on alternate weeks.
    skills : set
        (clinician_id, activity_id) skilled or done in the current plan.
    rotas : dict
        The 1-in-N rota requirements by (activity, day, period).
    """

    clin: dict[str, Clinician]
    acts: dict[str, Activity]
    grid: dict[tuple[str, str], bool]
    plan_cells: dict[tuple[str, str, str, str], JobPlanCell]
    skills: set[tuple[str, str]]
    rotas: dict[tuple[str, str, str], FixedRequirement]


@dataclass
class _Cells:
    """The allocation table as read, row by row.

    Attributes
    ----------
    cells : dict
        (clinician, day, period, week "" / A / B) -> activity_id of each valid row.
    weeks_of : dict
        Same keys -> weeks a year the cell runs.
    supply_of : dict
        Same keys -> sessions a year it delivers (weekday-true, per patient with productivity rows).
    by : dict
        clinician_id -> kind ("all", "premium" or a category) -> PAs a week.
    """

    cells: dict[tuple[str, str, str, str], str] = field(default_factory=dict)
    weeks_of: dict[tuple[str, str, str, str], float] = field(default_factory=dict)
    supply_of: dict[tuple[str, str, str, str], float] = field(default_factory=dict)
    by: dict[str, dict[str, float]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(float))
    )


def check_plan(
    pack: PlanningPack,
    tables: Mapping[str, pd.DataFrame],
    requirements: Requirements | None = None,
    allowances: Allowances | None = None,
    bought: Mapping[str, float] | None = None,
    summary: PlanSummary | None = None,
) -> list[str]:
    """Every rule the plan breaks, in words (an empty list means the plan is valid).

    Parameters
    ----------
    pack : PlanningPack
        The pack the plan was made for.
    tables : mapping
        ``allocation`` (required), and optionally ``clinicians``, ``gaps``, ``changes`` to cross-check.
    requirements : Requirements, optional
        Demand, to re-check ``gaps`` and the summary's unmet totals.
    allowances : Allowances, optional
        The allowances the plan was made with (additional PAs, bought sessions, budget).
    bought : mapping, optional
        Locum/WLI sessions bought per activity (summary.json ``purchased_sessions``).
    summary : PlanSummary, optional
        summary.json: its unmet totals, unassigned PAs and annual cost are re-derived.
    """
    token = _MEMO.set({})
    try:
        return _check_plan(pack, tables, requirements, allowances, bought, summary)
    finally:
        _MEMO.reset(token)


def _check_plan(pack: PlanningPack, tables: Mapping[str, pd.DataFrame], requirements: Requirements | None,
                allowances: Allowances | None, bought: Mapping[str, float] | None,
                summary: PlanSummary | None) -> list[str]:
    r = _records(pack)
    read = _Cells()
    v = _read_allocation(pack, r, tables["allocation"], read)  # per cell: skills, slots, PAs, weeks
    cells, by = read.cells, read.by
    v += _check_alternate(cells)
    v += check_sites(pack, cells)  # sites and travel (solver/sites.py)
    v += _check_rotas(r.rotas, cells)
    link_need = _referral_need(pack, requirements) if requirements else None
    v += _check_pas(pack, r, by, allowances, link_need)
    v += _check_cells(pack, r.clin, r.acts, r.grid, cells, read.weeks_of)
    v += _check_skill_floors(pack, r.clin, read.weeks_of, cells)
    v += _check_links(pack, r.clin, r.acts, cells, link_need)
    if "clinicians" in tables:
        v += _check_clinicians_table(tables["clinicians"], r.clin, r.plan_cells, cells, by)
    if "changes" in tables:
        v += _check_changes(tables["changes"], r.plan_cells, cells)
    need = _referral_need(pack, requirements) if requirements is not None else None
    supply = _supply(cells, read.supply_of, bought or {})
    if "gaps" in tables and need is not None:
        v += _check_gaps(tables["gaps"], need, r.acts, supply)
    if need is not None:
        v += _check_surplus(pack, r.clin, r.skills, r.plan_cells, need, supply)
    if allowances is not None and allowances.max_extra_cost is not None:
        v += _check_budget(pack, r.clin, by, allowances, bought or {})
    if summary is not None:
        v += _check_summary(pack, r.clin, by, summary, need, supply, allowances, bought or {})
        v += _check_weekly_cover(pack, r.clin, r.skills, cells, summary)
    return v


def _records(pack: PlanningPack) -> _Records:
    """The pack's records the checker reads (active clinicians, activities, grid, current plan, skills,
    rotas), keyed for lookup."""
    clin = {c.clinician_id: c for c in pack.clinicians if c.active}
    plan_cells = {(j.clinician_id, j.day, j.period, j.week or _HALF_AS_WEEK.get(j.half or "", "")): j
                  for j in pack.job_plans
                  if j.clinician_id in clin}
    skills = {(s.clinician_id, s.activity_id) for s in pack.skills}
    skills |= {(j.clinician_id, j.activity_id) for j in plan_cells.values()}
    return _Records(
        clin=clin,
        acts={a.activity_id: a for a in pack.activities},
        grid={(s.day, s.period): bool(s.premium_time) for s in pack.slots} or {
            (d, p): False for d in C.WEEKDAYS for p in ("AM", "PM")
        },
        plan_cells=plan_cells,
        skills=skills,
        rotas=_rotas(pack),
    )


def _read_allocation(pack: PlanningPack, r: _Records, alloc: pd.DataFrame, read: _Cells) -> list[str]:
    """Read the allocation table row by row into ``read``, checking each cell on its own.

    Parameters
    ----------
    pack : PlanningPack
        The pack the plan was made for.
    r : _Records
        Its records, from ``_records``.
    alloc : pandas.DataFrame
        The allocation table (clinician_id, day, period, activity_id, pas; optional week, weeks_per_year).
    read : _Cells
        Filled with each valid row's cell, weeks a year, sessions a year delivered and PAs a week.

    Returns
    -------
    list of str
        The violations, row by row.
    """
    v: list[str] = []
    unavailable = pack.unavailable_slots
    days = _day_sessions(pack)
    per_patient = _productivity(pack)  # (clinician, activity) -> supply weight; empty without the table
    steps = round(1 / _resolution(pack)) if per_patient else 1
    has_weeks = "weeks_per_year" in alloc.columns
    for row in alloc.itertuples(index=False):
        cid, day, period, aid = str(row.clinician_id), str(row.day), str(row.period), str(row.activity_id)
        week, half = _week(getattr(row, "week", "")), _half(getattr(row, "half", ""))
        where = f"{cid} {day}-{period}" + (f" week {week}" if week else "") + (
            f" half {half}" if half else "")
        bad = _half_error(r, aid, day, period, week, half)
        if half in _HALF_AS_WEEK:  # a 2-hour half every week counts as half the weeks of a whole session
            week = _HALF_AS_WEEK[half]
        bad = bad or _row_key_error(r, read.cells, cid, day, period, aid, week)
        if bad is not None:
            v.append(f"{where}: {bad}")
            continue
        key = (cid, day, period, week)
        read.cells[key] = aid
        c, a, premium = r.clin[cid], r.acts[aid], r.grid[(day, period)]
        if (cid, aid) not in r.skills:
            v.append(f"{where}: {cid} is not skilled in {aid}")
        if (cid, day, period) in unavailable:
            v.append(f"{where}: {cid} does not work this slot")
        if premium and not c.out_of_hours_opt_in and a.category != "ONCALL":
            v.append(f"{where}: out-of-hours {aid} session but {cid} has not opted in (only on-call work "
                     f"needs no opt-in)")
        weeks, too_long = _row_weeks(pack, r, key, aid, where)
        v += too_long
        read.weeks_of[key] = weeks
        on_rota = (aid, day, period) in r.rotas and not week  # on call on its weeks: not weekday-true
        read.supply_of[key] = weeks if on_rota else _cell_sessions(days, cid, day, weeks, c.working_weeks)
        if (cid, aid) in per_patient:
            read.supply_of[key] = _per_patient(read.supply_of[key], per_patient[(cid, aid)], steps)
        pas = _session_pas(a.pa_value, premium, c.contract) * weeks / c.working_weeks
        if on_rota:  # and the rota's unpredictable emergency work, PAs a week all year (Schedule 3)
            pas += r.rotas[(aid, day, period)].unpredictable_pas or 0.0
        v += _row_pas(row, has_weeks, where, aid, pas, c.working_weeks if half else weeks, c.working_weeks)
        read.by[cid]["all"] += pas
        read.by[cid][a.category] += pas
        if premium:
            read.by[cid]["premium"] += pas
    return v


# a 2-hour half (``half`` 1 or 2) is read as a cell of week A or B of the two-week cycle: it runs every week
# for half the hours, which counts the same PA-weeks and session-weeks as a whole session on half the weeks,
# and the slot is worked in both weeks (docs/method.md, "Half sessions")
_HALF_AS_WEEK = {"1": "A", "2": "B"}


def _half_error(r: _Records, aid: str, day: str, period: str, week: str, half: str) -> str | None:
    """Why a ``half`` row cannot be a 2-hour half, or None: the half must be 1 or 2, every week (no
    ``week``), of an activity that needs no room and is not on-call, in a normal-time slot (a premium-time
    PA is 3 hours: half a 4-hour session there is not half its PAs)."""
    if not half:
        return None
    if half not in _HALF_AS_WEEK:
        return "half must be 1, 2 or blank (a whole session)"
    if week:
        return "a 2-hour half runs every week: it cannot also be on alternate weeks"
    act = r.acts.get(aid)
    if act is not None and (act.room_type or act.category == "ONCALL"):
        return f"{aid} cannot be a 2-hour half (only activities that need no room and are not on-call)"
    if r.grid.get((day, period)):
        return "2-hour halves are for normal-time slots only"
    return None


def _row_key_error(r: _Records, cells: dict[tuple[str, str, str, str], str], cid: str, day: str, period: str,
                   aid: str, week: str) -> str | None:
    """Why an allocation row cannot be read as a cell (bad week, a clash, unknown clinician, activity or
    slot), or None when it can.

    Parameters
    ----------
    r : _Records
        The pack's records.
    cells : dict
        The cells read so far.
    cid, day, period, aid, week : str
        The row's clinician, slot, activity and week ("" every week).

    Returns
    -------
    str or None
        The problem, without the row's position.
    """
    if week not in ("", "A", "B"):
        return "week must be A, B or blank (every week)"
    if any(k in cells for k in _clashes(cid, day, period, week)):
        return "more than one activity in one slot"
    if cid not in r.clin:
        return f"clinician {cid} is not an active clinician of the pack"
    if aid not in r.acts:
        return f"activity {aid} is not in the pack"
    if (day, period) not in r.grid:
        return "slot is not in the weekly grid"
    return None


def _row_weeks(pack: PlanningPack, r: _Records, key: tuple[str, str, str, str], aid: str,
               where: str) -> tuple[float, list[str]]:
    """Weeks a year a cell runs: the current plan's ``weeks_per_year`` when it keeps the current activity,
    else the clinician's working weeks; half those on alternate weeks; a rota member's weeks on call
    (a violation when they exceed the member's working weeks).

    Parameters
    ----------
    pack : PlanningPack
        The pack (service weeks for rotas).
    r : _Records
        The pack's records.
    key : tuple of str
        (clinician, day, period, week "" / A / B) of the cell.
    aid : str
        Its activity.
    where : str
        The row as the violation names it.

    Returns
    -------
    float
        Weeks a year.
    list of str
        The violation of a rota member on call beyond their working weeks, else empty.
    """
    v: list[str] = []
    cid, day, period, week = key
    c = r.clin[cid]
    current = r.plan_cells.get((cid, day, period, ""))
    kept = current is not None and current.activity_id == aid
    weeks = current.weeks_per_year if kept and current is not None else c.working_weeks
    if week:
        weeks = c.working_weeks / 2  # every other week of the two-week cycle
    if (aid, day, period) in r.rotas and not week:  # a rota member: on call k S / N weeks a year
        weeks = _rota_weeks(pack, r.rotas[(aid, day, period)])
        if weeks > c.working_weeks + TOL:
            v.append(f"{where}: on call {weeks:g} weeks a year on the 1-in-"
                     f"{r.rotas[(aid, day, period)].rota_size} rota but works {c.working_weeks:g}")
    return weeks, v


def _row_pas(row: Any, has_weeks: bool, where: str, aid: str, pas: float, weeks: float,
             working_weeks: float) -> list[str]:
    """The row's ``pas`` (and ``weeks_per_year`` when the table has it) against the recomputed values.

    Parameters
    ----------
    row : namedtuple
        The allocation row.
    has_weeks : bool
        Whether the table has a ``weeks_per_year`` column.
    where : str
        The row as a violation names it.
    aid : str
        Its activity.
    pas : float
        PAs a week the cell counts, recomputed.
    weeks : float
        Weeks a year it runs, recomputed.
    working_weeks : float
        The clinician's working weeks.

    Returns
    -------
    list of str
        The mismatches (PAs within ``PAS_TOL``, weeks within ``TOL``).
    """
    v = []
    given = float(row.pas)
    if abs(given - pas) > PAS_TOL:
        v.append(f"{where}: pas {given:g} but a {aid} session there counts {pas:g} PAs a week "
                 f"({weeks:g} of {working_weeks:g} weeks)")
    if has_weeks and abs(float(row.weeks_per_year) - weeks) > TOL:
        v.append(f"{where}: weeks_per_year {float(row.weeks_per_year):g} but the cell runs {weeks:g} "
                 f"weeks a year")
    return v


def _week(value: object) -> str:
    """A ``week`` cell as "A", "B" or "" (blank, NaN or absent: every week)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _half(value: object) -> str:
    """A ``half`` cell as "1", "2" or "" (blank, NaN or absent: a whole session); 1.0 reads as "1"."""
    if isinstance(value, float) and not math.isnan(value) and value.is_integer():
        return str(int(value))
    return _week(value)


def _clashes(cid: str, day: str, period: str, week: str) -> list[tuple[str, str, str, str]]:
    """Rows that cannot share a slot with a row of ``week``: the same week, and a weekly row with any."""
    if week == "":
        return [(cid, day, period, w) for w in ("", "A", "B")]
    return [(cid, day, period, week), (cid, day, period, "")]


def _in_week(cells: dict, week: str) -> dict[tuple[str, str, str], str]:
    """The cells worked in week ``week`` ("A" or "B") of the two-week cycle: weekly cells and that week's."""
    return {k[:3]: a for k, a in cells.items() if k[3] in ("", week)}


def _check_alternate(cells: dict) -> list[str]:
    """At most one slot on alternate weeks or in 2-hour halves per clinician (docs/method.md: one slot on a
    two-week cycle; a half is read as week A or B)."""
    slots: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for cid, day, period, week in cells:
        if week:
            slots[cid].add((day, period))
    return [f"{cid}: {len(s)} slots on alternate weeks or in 2-hour halves "
            f"({', '.join(f'{d}-{p}' for d, p in sorted(s))}), more than one"
            for cid, s in sorted(slots.items()) if len(s) > 1]


def _rotas(pack: PlanningPack) -> dict[tuple[str, str, str], FixedRequirement]:
    """The 1-in-N rota requirements, keyed by (activity, day, period)."""
    return {(r.activity_id, r.day, r.period): r for r in pack.requirements
            if r.rota_size is not None and r.day is not None and r.period is not None}


def _rota_weeks(pack: PlanningPack, r: FixedRequirement) -> float:
    """Weeks a year one member of a 1-in-N rota is on call: k of the S service weeks' cover split over N
    members (docs/method.md, "1-in-N on-call rota")."""
    return r.min_clinicians * pack.settings.service_weeks / float(r.rota_size or 1)


def _check_rotas(rotas: dict, cells: dict) -> list[str]:
    """Each rota has exactly N members (clinicians doing its activity in its slot)."""
    v = []
    for (aid, day, period), r in sorted(rotas.items()):
        members = sorted({cid for (cid, d, p, _), a in cells.items() if (a, d, p) == (aid, day, period)})
        if len(members) != r.rota_size:
            v.append(f"{aid} on {day}-{period}: {len(members)} members, but a 1-in-{r.rota_size} rota "
                     f"needs exactly {r.rota_size}")
    return v


def _check_surplus(pack: PlanningPack, clin: dict, skills: set, plan_cells: dict, need: dict[str, float],
                   supply: dict[str, float]) -> list[str]:
    """No activity (other than SPA, ANR, ED) planned a whole session beyond the largest of its referral need
    (rounded up to the resolution of supply), its current supply and its fixed requirements (heads or
    sessions a week x the longest weeks one of its cells can run, at least one session-week: a bought
    session; leave-aware: quorum x service weeks)."""
    v = []
    step = _resolution(pack)
    days = _day_sessions(pack)
    grid_days = {s.day for s in pack.slots} or set(C.WEEKDAYS)
    longest_of: dict[str, float] = defaultdict(float)
    current_of: dict[str, float] = defaultdict(float)
    weights = _productivity(pack)
    steps = round(1 / step)
    for cid, aid in skills:
        if cid in clin:
            most_day = max(_cell_sessions(days, cid, d, clin[cid].working_weeks, clin[cid].working_weeks)
                           for d in grid_days)
            longest_of[aid] = max(longest_of[aid], _per_patient(most_day, weights.get((cid, aid)), steps))
    for j in plan_cells.values():
        kept = _per_patient(_cell_sessions(days, j.clinician_id, j.day, j.weeks_per_year,
                                           clin[j.clinician_id].working_weeks),
                            weights.get((j.clinician_id, j.activity_id)), steps)
        longest_of[j.activity_id] = max(longest_of[j.activity_id], kept)
        current_of[j.activity_id] += kept
    for a in pack.activities:
        aid = a.activity_id
        if a.category in ("SPA", "ANR", "ED") or supply.get(aid, 0.0) <= 0:
            continue
        if aid in _link_driven(pack, need):
            continue  # only links need it: capped per slot (_check_links)
        # a whole session is never less than one session-week, the size of a bought (locum/WLI) session:
        # with every clinician on leave all year the longest cell is 0 weeks and bought sessions meeting need
        # exactly would otherwise count as "a whole session beyond" it
        longest = max(longest_of[aid], 1.0)
        required = 0.0
        for r in pack.requirements:
            if r.activity_id != aid:
                continue
            if r.rota_size is not None and r.day is not None:
                required += r.rota_size * _rota_weeks(pack, r)  # the rota's cover
            elif r.day is not None and r.period is not None:
                heads = r.min_clinicians * longest
                leave_aware = pack.settings.quorum_leave_aware
                required += max(heads, r.min_clinicians * pack.settings.service_weeks if leave_aware else 0)
            elif r.sessions_per_week is not None:
                required += math.ceil(r.sessions_per_week - 1e-9) * longest
        current = current_of[aid]
        wanted = math.ceil(round(need.get(aid, 0.0) / step, 6)) * step
        # weekly cover or a quorum read week by week: room for k + 2 weekly cells (docs/method.md)
        ks = [a.min_weekly_sessions or 0] + [
            r.min_clinicians for r in pack.requirements
            if r.activity_id == aid and r.share_of_weeks is not None and r.rota_size is None]
        cover = (max(ks) + 2) * longest if max(ks) else 0.0
        forced = _forced(pack, clin, days, plan_cells, aid, longest) + _floor_cells(pack, clin, plan_cells,
                                                                                    aid) * longest
        most = max(wanted, current, required, cover, forced)
        if supply[aid] >= most + longest - 1e-6:
            v.append(f"{aid}: {supply[aid]:g} session-weeks a year planned, a whole session beyond the "
                     f"{most:g} that need, the current plans and fixed requirements call for")
    return v


def _floor_cells(pack: PlanningPack, clin: dict, plan_cells: dict, aid: str) -> int:
    """Most cells of ``aid`` the per-clinician floors (``skills.min_sessions_per_week``) can force: per
    clinician, k x W over the fewest weeks a cell of theirs can run (a current cell's weeks_per_year, half
    their working weeks on alternate weeks, else W), rounded up."""
    n = 0
    for sk in pack.skills:
        k = sk.min_sessions_per_week
        if not k or sk.activity_id != aid or sk.clinician_id not in clin:
            continue
        w = clin[sk.clinician_id].working_weeks
        runs = [w / 2] + [j.weeks_per_year for j in plan_cells.values()
                          if j.clinician_id == sk.clinician_id and j.activity_id == aid]
        shortest = min(x for x in runs if x > 0)
        n += math.ceil(k * w / shortest - 1e-9)
    return n


def _check_weekly_cover(pack: PlanningPack, clin: dict, skills: set, cells: dict,
                        summary: PlanSummary) -> list[str]:
    """summary.json's ``weekly_cover`` level re-derived (docs/method.md, "Weekly cover"): for each activity
    with ``min_weekly_sessions`` k, the weeks of the planning year in which fewer than k of its weekly cells
    run (a cell does not run on a bank holiday, nor in a week its clinician records more leave than that
    week's bank holidays), plus each skilled clinician's leave not recorded, when the cells of the others
    are fewer than k; less the weeks the share of weeks allows."""
    level = next((lv for lv in summary.levels if lv["name"] == "weekly_cover"), None)
    if level is None or level["objective"] is None:
        return []
    start = pack.plan_start if pack.settings.start is not None or len(pack.referrals) else None
    leave: dict[str, dict[dt.date, float]] = defaultdict(dict)
    for cid, week, share in zip(pack.leave["clinician_id"], pack.leave["week_start"], pack.leave["weeks"],
                                strict=True):
        monday = pd.Timestamp(week).date()
        leave[str(cid)][monday] = min(1.0, leave[str(cid)].get(monday, 0.0) + float(share))
    # (activity, k, share of weeks, slot or None): activities' weekly cover, then quorums read week by week
    rules: list[tuple[str, int, float | None, tuple[str, str] | None]] = [
        (a.activity_id, a.min_weekly_sessions, a.share_of_weeks, None) for a in pack.activities
        if a.min_weekly_sessions]
    rules += [(r.activity_id, r.min_clinicians, r.share_of_weeks, (r.day, r.period))
              for r in pack.requirements
              if r.share_of_weeks is not None and r.day and r.period and r.rota_size is None]
    away = _expected_away(pack, start)  # expected leave patterns: week index -> share away
    total = 0.0
    for aid, k, share, slot in rules:
        mine = [(cid, day) for (cid, day, period, week), b in cells.items()
                if b == aid and not week and slot in (None, (day, period))]
        who = {c for c, b in skills if b == aid and c in clin} | {c for c, _ in mine if c in clin}
        unrecorded = {cid: max(0.0, 52 - 8 / 5 - clin[cid].working_weeks - sum(leave.get(cid, {}).values()))
                      for cid in who}
        weight = {cid: _at_work(unrecorded[cid], away) for cid in unrecorded}
        missed = float(sum(_running(mine, start, j, leave, weight) < 100 * k for j in range(52)))
        for cid in sorted({c for c, b in skills if b == aid and c in clin}):
            if sum(1 for c, _ in mine if c != cid) < k:  # their leave left after the pattern weeks
                rest = max(0.0, unrecorded[cid] - sum(away.values()))
                missed += math.floor(10 * rest + 0.5) / 10
        allowed = math.floor(520 * (1 - (share or 1.0)) + 0.5) / 10
        total += max(0.0, missed - allowed)
    if abs(total - float(level["objective"])) > 1e-6:
        return [f"summary: weekly_cover is {level['objective']:g} weeks, recomputed {total:g}"]
    return []


def _running(cells: list[tuple[str, str]], start: dt.date | None, j: int,
             leave: Mapping[str, Mapping[dt.date, float]],
             weight: Mapping[str, Mapping[int, int]]) -> int:
    """Sessions expected to run in week ``j`` from ``start``, in hundredths: each weekly cell
    ``(clinician, day)`` not on a bank holiday, and not in a week the clinician records leave beyond that
    week's weekday bank holidays (a fifth each), counted at its clinician's chance of being at work that
    week (100 outside expected leave patterns)."""
    if start is None:
        return 100 * len(cells)
    monday = start + dt.timedelta(weeks=j)
    week = [monday + dt.timedelta(days=i) for i in range(7)]
    holidays = set(bank_holidays(monday.year, monday.year + 1))
    off = sum(d in holidays for d in week[:5]) / 5
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    return sum(weight.get(cid, {}).get(j, 100) for cid, day in cells
               if week[days.index(day)] not in holidays and leave.get(cid, {}).get(monday, 0.0) - off <= 1e-9)


def _expected_away(pack: PlanningPack, start: dt.date | None) -> dict[int, float]:
    """Expected leave patterns read afresh (docs/method.md, "Expected leave patterns"): week of the
    planning year -> the largest share away of the periods (``expected_leave`` rows, England's defaults
    when asked) that hold one of its weekdays."""
    if start is None:
        return {}
    periods = [(p.start, p.end, p.share_away) for p in pack.expected_leave]
    if pack.settings.expected_leave == "england":
        periods += [(p.start, p.end, p.share_away) for p in england_periods(start)]
    out: dict[int, float] = {}
    for first, last, share in periods:
        day = pd.Timestamp(first).date()
        while day <= pd.Timestamp(last).date():
            j = (day - start).days // 7
            if day.weekday() < 5 and 0 <= j < 52:
                out[j] = max(out.get(j, 0.0), float(share))
            day += dt.timedelta(days=1)
    return out


def _at_work(unrecorded: float, away: Mapping[int, float]) -> dict[int, int]:
    """A clinician's chance of being at work in each week with expected leave, in hundredths: their share
    away scaled to the leave they have left, min(1, unrecorded / sum of shares)."""
    expected = sum(away.values())
    scale = min(1.0, unrecorded / expected) if expected > 0 else 1.0
    return {j: math.floor(100 * (1 - scale * share) + 0.5) for j, share in away.items()}


def _link_driven(pack: PlanningPack, need: Mapping[str, float]) -> set[str]:
    """Activities only links need: the linked activity of a dedicated link, without referral need or a
    fixed requirement of its own, other than SPA, ANR and ED (docs/method.md, "Linked sessions")."""
    fixed = {r.activity_id for r in pack.requirements}
    own_rules = {a.activity_id for a in pack.activities if a.category in ("SPA", "ANR", "ED")}
    return {k.linked_activity_id for k in pack.links if k.mode == "dedicated" and k.linked_activity_id
            and need.get(k.linked_activity_id, 0.0) <= 0 and k.linked_activity_id not in fixed | own_rules}


def _needs(link: Link, group: str, aid: str) -> bool:
    """Whether a session of ``aid`` run by a clinician of ``group`` needs ``link``."""
    return aid == link.activity_id and link.performer_group in (None, group)


def _check_links(pack: PlanningPack, clin: dict, acts: dict, cells: dict[tuple[str, str, str, str], str],
                 need: Mapping[str, float] | None) -> list[str]:
    """Linked sessions, read from docs/method.md ("Linked sessions"), in week A and in week B: in each
    slot, count x the sessions of the activity run by the performer group (everyone when blank) is at most
    the clinicians of the linked group (anyone when blank) there: doing the linked activity (dedicated), or
    working any session but external duties and, holding the role when one is named, not one of the
    sessions that need the link (present). An activity only dedicated links need has, in each slot, no
    more sessions than those links need there in either week, rounded up."""
    if not pack.links:
        return []
    v = _check_link_cover(pack, clin, acts, cells)
    if need is None:
        return v
    return v + _check_link_surplus(pack, clin, cells, need)


def _check_link_cover(pack: PlanningPack, clin: dict, acts: dict,
                      cells: dict[tuple[str, str, str, str], str]) -> list[str]:
    """Each link's cover, slot by slot, in week A and in week B (or every week without alternate cells):
    count x the sessions needing the link is at most the linked clinicians there.

    Parameters
    ----------
    pack : PlanningPack
        The pack (its ``links``, ``skills`` and ``job_plans``).
    clin : dict
        clinician_id -> Clinician, the active clinicians.
    acts : dict
        activity_id -> Activity.
    cells : dict
        (clinician, day, period, week "" / A / B) -> activity_id, the plan.

    Returns
    -------
    list of str
        One violation per (week, link, slot) short of linked clinicians.
    """
    v: list[str] = []
    holds = {(s.clinician_id, s.activity_id) for s in pack.skills}
    holds |= {(j.clinician_id, j.activity_id) for j in pack.job_plans}
    # a link in a named service is met by that service's clinicians: those holding one of its activities
    in_service = {(cid, acts[aid].service) for cid, aid in holds if aid in acts and acts[aid].service}
    weeks = ("A", "B") if any(k[3] for k in cells) else ("",)
    slots = sorted({(d, p) for _, d, p, _ in cells})
    for week in weeks:
        here = _in_week(cells, week) if week else {k[:3]: a for k, a in cells.items()}
        said = f" (week {week})" if week else ""
        by_slot: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)  # (day, period) -> cid -> activity
        for (cid, d, p), a in here.items():
            by_slot[(d, p)][cid] = a
        for link in pack.links:
            for day, period in slots:
                at = by_slot.get((day, period), {})
                needing = sum(1 for cid, aid in at.items() if _needs(link, clin[cid].staff_group, aid))
                if not needing:
                    continue
                there = _linked_there(link, at, clin, acts, holds, in_service)
                if link.count * needing > len(there) + 1e-9:
                    v.append(f"{day}-{period}{said}: {needing} {link.activity_id} session(s) need "
                             f"{link.count * needing:g} linked ({link.label}) but {len(there)} "
                             f"{'is' if len(there) == 1 else 'are'} there")
    return v


def _linked_there(link: Link, at: dict[str, str], clin: dict, acts: dict, holds: set[tuple[str, str]],
                  in_service: set[tuple[str, str]]) -> list[str]:
    """The clinicians in one slot who count towards ``link``: of its linked group and (for a link in a
    named service) that service, doing the linked activity (dedicated), or working any session but external
    duties that does not itself need the link and, when a role is named, holding it (present).

    Parameters
    ----------
    link : Link
        The link rule.
    at : dict
        clinician_id -> activity_id, the sessions in the slot (one week).
    clin : dict
        clinician_id -> Clinician, the active clinicians.
    acts : dict
        activity_id -> Activity.
    holds : set
        (clinician_id, activity_id) each clinician is skilled in or does in the current plan.
    in_service : set
        (clinician_id, service) for the services whose activities each clinician holds.

    Returns
    -------
    list of str
        Their clinician ids, in the order of ``at``.
    """
    there = []
    dedicated = link.mode == "dedicated"
    service = acts[link.activity_id].service if link.activity_id in acts else None
    for cid, aid in at.items():
        if link.linked_group not in (None, clin[cid].staff_group):
            continue
        if service and (cid, service) not in in_service:
            continue
        if dedicated:
            ok = aid == link.linked_activity_id
        else:
            ok = (acts[aid].category != "ED" and not _needs(link, clin[cid].staff_group, aid)
                  and (not link.linked_activity_id or (cid, link.linked_activity_id) in holds))
        if ok:
            there.append(cid)
    return there


def _check_link_surplus(pack: PlanningPack, clin: dict, cells: dict[tuple[str, str, str, str], str],
                        need: Mapping[str, float]) -> list[str]:
    """An activity only dedicated links need has, in each slot, no more sessions than those links need
    there, rounded up.

    Parameters
    ----------
    pack : PlanningPack
        The pack (its ``links``).
    clin : dict
        clinician_id -> Clinician, the active clinicians.
    cells : dict
        (clinician, day, period, week "" / A / B) -> activity_id, the plan.
    need : mapping
        activity_id -> referral need, session-weeks a year.

    Returns
    -------
    list of str
        One violation per (activity, slot) with more sessions than its links need.
    """
    v: list[str] = []
    for b in sorted(_link_driven(pack, need)):
        onto = [k for k in pack.links if k.mode == "dedicated" and k.linked_activity_id == b]
        for day, period in sorted({(d, p) for (_, d, p, _), a in cells.items() if a == b}):
            in_slot = [(cid, a) for (cid, d, p, _), a in cells.items() if (d, p) == (day, period)]
            linked = sum(1 for _, a in in_slot if a == b)
            wanted = sum(k.count * sum(1 for cid, a in in_slot if a == k.activity_id
                                       and k.performer_group in (None, clin[cid].staff_group)) for k in onto)
            if linked > math.ceil(wanted - 1e-9):
                v.append(f"{day}-{period}: {linked} {b} session(s), more than the {wanted:g} its links need "
                         f"there (nothing else needs {b})")
    return v


def _forced(pack: PlanningPack, clin: dict, days: dict | None, plan_cells: dict, aid: str,
            longest: float) -> float:
    """Session-weeks a year of ``aid`` forced by locks and fixed requirements: every locked cell, each fixed
    slot's heads not already locked there x ``longest`` (a 1-in-N rota's members not already locked there x
    their weeks on call), sessions a week (rounded up) x ``longest``."""
    locked = [j for j in plan_cells.values() if j.locked and j.activity_id == aid]
    weights = _productivity(pack)
    steps = round(1 / _resolution(pack)) if weights else 1
    forced = sum(_per_patient(_cell_sessions(days, j.clinician_id, j.day, j.weeks_per_year,
                                             clin[j.clinician_id].working_weeks),
                              weights.get((j.clinician_id, aid)), steps) for j in locked)
    for r in pack.requirements:
        if r.activity_id != aid:
            continue
        if r.rota_size is not None and r.day is not None:  # members not already locked there
            members = sum(1 for j in locked if (j.day, j.period) == (r.day, r.period))
            forced += max(0, r.rota_size - members) * _rota_weeks(pack, r)
        elif r.day is not None and r.period is not None:
            there = sum(1 for j in locked if (j.day, j.period) == (r.day, r.period))
            forced += max(0, r.min_clinicians - there) * longest
        elif r.sessions_per_week is not None:
            forced += math.ceil(r.sessions_per_week - 1e-9) * longest
    return forced


def _referral_need(pack: PlanningPack, requirements: Requirements) -> dict[str, float]:
    """Referral demand per activity: sessions_per_year less fixed sessions a week x service weeks."""
    t = requirements.table
    fixed = (dict(zip(t["activity_id"], t["fixed_sessions_per_week"].fillna(0.0), strict=True))
             if "fixed_sessions_per_week" in t.columns else {})
    return {str(a): max(0.0, float(n) - float(fixed.get(a, 0.0)) * pack.settings.service_weeks)
            for a, n in zip(t["activity_id"], t["sessions_per_year"], strict=True)}


def _half_up(x: float, steps: int = 1) -> float:
    """To the nearest 1/``steps`` of a session, half up."""
    return math.floor(x * steps + 0.5 + 1e-9) / steps


@_per_check
def _day_sessions(pack: PlanningPack) -> dict[str, dict[str, float]] | None:
    """Sessions a year a weekly cell delivers, by active clinician and day name, read from the planning
    year's calendar afresh (docs/method.md, "Weekday-true supply"); None when the setting is off or the
    planning year is unknown (a cell then delivers the weeks it runs)."""
    import datetime as dt

    from capacity_planner.calendar import bank_holidays

    if not pack.settings.weekday_true_supply:
        return None
    try:
        start = pack.plan_start
    except ValueError:
        return None
    end = start + dt.timedelta(days=7 * 52)
    off = set(bank_holidays(start.year, end.year))
    leave: dict[str, dict[dt.date, float]] = defaultdict(dict)
    for cid, week, share in zip(pack.leave["clinician_id"], pack.leave["week_start"], pack.leave["weeks"],
                                strict=True):
        monday = pd.Timestamp(week).date()
        f = 1.0 if pd.isna(share) else float(share)
        leave[str(cid)][monday] = min(1.0, leave[str(cid)].get(monday, 0.0) + f)
    names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    out = {}
    for c in pack.clinicians:
        if not c.active:
            continue
        mine = {d: f for d, f in leave.get(c.clinician_id, {}).items() if start <= d < end}
        runs = dict.fromkeys(names, 0.0)
        for week in range(52):
            monday = start + dt.timedelta(days=7 * week)
            for i, name in enumerate(names):
                if monday + dt.timedelta(days=i) not in off:
                    runs[name] += 1.0 - min(1.0, mine.get(monday, 0.0))
        unrecorded = max(0.0, (52 - 1.6 - c.working_weeks) - sum(min(1.0, f) for f in mine.values()))
        out[c.clinician_id] = {name: _half_up(max(0.0, n - unrecorded)) for name, n in runs.items()}
    return out


def _cell_sessions(days: dict[str, dict[str, float]] | None, cid: str, day: str, weeks: float,
                   working_weeks: float) -> float:
    """Sessions a year a cell of ``cid`` on ``day`` running ``weeks`` of ``working_weeks`` delivers."""
    if days is None:
        return weeks
    whole = days[cid][day]
    if abs(weeks - working_weeks) < 1e-9:
        return whole
    return _half_up(weeks * whole / working_weeks) if working_weeks > 0 else 0.0


def _supply(cells: dict, supply_of: dict, bought: Mapping[str, float]) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for key, a in cells.items():
        out[a] += supply_of[key]
    for a, n in bought.items():
        out[a] += float(n)
    return out


@_per_check
def _resolution(pack: PlanningPack) -> float:
    """The step of supply in weeks: the coarsest of 1, 1/2 … 1/100 week keeping every active working_weeks
    and weeks_per_year whole (demand is rounded up to it)."""
    active = {c.clinician_id for c in pack.clinicians if c.active}
    hundredths = [round(c.working_weeks * 100) for c in pack.clinicians if c.active]
    hundredths += [round(c.working_weeks * 100) // 2 for c in pack.clinicians
                   if c.active and _may_alternate(pack, c)]
    rotas = _rotas(pack)
    hundredths += [round(j.weeks_per_year * 100) for j in pack.job_plans if j.clinician_id in active
                   and (j.activity_id, j.day, j.period) not in rotas]  # a rota member's weeks: below
    days = _day_sessions(pack)
    if days is not None:  # weekday-true supply: every cell's sessions a year, moved, kept or alternate
        clin = {c.clinician_id: c for c in pack.clinicians if c.active}
        grid_days = {s.day for s in pack.slots} or set(C.WEEKDAYS)
        for cid, by_day in days.items():
            hundredths += [round(by_day[d] * 100) for d in grid_days]
            if _may_alternate(pack, clin[cid]):
                hundredths += [round(_cell_sessions(days, cid, d, clin[cid].working_weeks / 2,
                                                    clin[cid].working_weeks) * 100) for d in grid_days]
        hundredths += [round(_cell_sessions(days, j.clinician_id, j.day, j.weeks_per_year,
                                            clin[j.clinician_id].working_weeks) * 100)
                       for j in pack.job_plans if j.clinician_id in active
                       and (j.activity_id, j.day, j.period) not in rotas]
    g = 100
    for h in hundredths:
        g = math.gcd(g, h)
    step = Fraction(g, 100)
    for r in rotas.values():  # a member's k S / N weeks: 52 / 6 = 26/3 needs thirds
        service = Fraction(round(pack.settings.service_weeks * 100), 100)
        weeks = service * r.min_clinicians / (r.rota_size or 1)
        step = Fraction(math.gcd(step.numerator * weeks.denominator, weeks.numerator * step.denominator),
                        step.denominator * weeks.denominator)
    return float(step)


def _may_alternate(pack: PlanningPack, c: Clinician) -> bool:
    """docs/method.md: half-slot cells (alternate weeks or 2-hour halves) are offered to a clinician whose
    SPA floor is not a whole number of their smallest SPA sessions, who must keep a half session of an
    activity (``skills.min_sessions_per_week`` 0.5, 1.5, ...), or whose contracted PAs less on-call PAs are
    not a whole number of the greatest common divisor of the PA values of the activities they may do;
    their working weeks even in hundredths. A current 2-hour half (``job_plans.half``) counts as half the
    working weeks too."""
    if round(c.working_weeks * 100) % 2:
        return False
    index = _alternate_index(pack)
    if c.clinician_id in index.half_kept:
        return True
    values = {aid: index.pa_value[aid] for aid in index.mine.get(c.clinician_id, ()) if aid in index.pa_value}
    spa = [v for aid, v in values.items() if aid in index.spa]
    floor = Fraction(c.min_spa_pas).limit_denominator(120)
    if pack.settings.spa_pro_rata and c.contracted_pas < 10:
        floor = Fraction(math.ceil(round(c.min_spa_pas * c.contracted_pas / 10 * 120, 6)), 120)
    if floor > 0 and spa and (floor / min(spa)).denominator != 1:
        return True
    if not values:
        return False
    step = Fraction(0)
    for value in values.values():  # gcd of fractions: gcd of numerators over lcm of denominators
        step = Fraction(math.gcd(step.numerator * value.denominator, value.numerator * step.denominator),
                        step.denominator * value.denominator)
    target = Fraction(c.contracted_pas - c.oncall_pas).limit_denominator(120)
    return step > 0 and (target / step).denominator != 1


@dataclass(frozen=True)
class _AlternateIndex:
    """The pack's records :func:`_may_alternate` reads, grouped by clinician once (a trust has 1,000
    clinicians and tens of thousands of skill and job-plan rows: scanning them per clinician took ~30 s).

    Attributes
    ----------
    half_kept : frozenset of str
        Clinicians with an odd half-session floor (``min_sessions_per_week`` 0.5, 1.5, ...) or a current
        2-hour half.
    mine : dict
        clinician_id -> activity ids they are skilled in or hold in the current plan.
    pa_value : dict
        activity_id -> PA value as a fraction (denominator at most 120).
    spa : frozenset of str
        Activity ids of category SPA.
    """

    half_kept: frozenset[str]
    mine: dict[str, set[str]]
    pa_value: dict[str, Fraction]
    spa: frozenset[str]


@_per_check
def _alternate_index(pack: PlanningPack) -> _AlternateIndex:
    """:class:`_AlternateIndex` of ``pack``."""
    half_kept = {s.clinician_id for s in pack.skills
                 if s.min_sessions_per_week and round(s.min_sessions_per_week * 2) % 2 == 1}
    half_kept |= {j.clinician_id for j in pack.job_plans if j.half}
    mine: dict[str, set[str]] = defaultdict(set)
    for s in pack.skills:
        mine[s.clinician_id].add(s.activity_id)
    for j in pack.job_plans:
        mine[j.clinician_id].add(j.activity_id)
    pa_value = {a.activity_id: Fraction(a.pa_value).limit_denominator(120) for a in pack.activities}
    spa = frozenset(a.activity_id for a in pack.activities if a.category == "SPA")
    return _AlternateIndex(frozenset(half_kept), dict(mine), pa_value, spa)


def _pa_rate(pack: PlanningPack, c: Clinician) -> float:
    """GBP a year for one additional PA a week, read afresh from the pack (whole pounds)."""
    rows = {(r.item, r.staff_group): r.annual_cost for r in pack.costs if r.annual_cost is not None}
    for value in (c.apa_cost_per_pa, rows.get(("additional_pa", c.staff_group)), c.annual_cost_per_pa,
                  rows.get(("substantive_pa", c.staff_group))):
        if value is not None:
            return float(round(value))
    return 10_000.0


def _extra_spend(pack: PlanningPack, clin: dict, by: dict, allowances: Allowances | None,
                 bought: Mapping[str, float]) -> tuple[float, str | None]:
    """GBP a year of additional PAs (planned beyond contract, priced per PA a week) and bought sessions."""
    spend = sum(max(0.0, by[cid]["all"] + c.oncall_pas - c.contracted_pas) * _pa_rate(pack, c)
                for cid, c in clin.items())
    price = {}
    for buy in (allowances.purchased_sessions if allowances is not None else ()):
        item = "wli_session" if buy.kind == "wli" else "locum_session"
        rows = [r for r in pack.costs if r.item == item and r.session_cost is not None]
        rows = [r for r in rows if r.staff_group == "consultant"] or rows
        given = buy.cost_per_session if buy.cost_per_session is not None else (
            rows[0].session_cost if rows else None)
        price[buy.activity_id] = float(round(given)) if given is not None else math.nan
    for aid, n in bought.items():
        if n > 0 and not math.isfinite(price.get(aid, math.nan)):
            return spend, f"{n:g} {aid} sessions bought, but none were allowed with a price"
        spend += n * price.get(aid, 0.0)
    return spend, None


def _check_budget(pack: PlanningPack, clin: dict, by: dict, allowances: Allowances,
                  bought: Mapping[str, float]) -> list[str]:
    """Additional PAs (planned beyond contract) and bought sessions priced, against max_extra_cost."""
    spend, wrong = _extra_spend(pack, clin, by, allowances, bought)
    if wrong:
        return [f"budget: {wrong}"]
    cap = float(allowances.max_extra_cost or 0.0)
    if spend > cap * (1 + 1e-9) + 1e-6:
        return [f"budget: additional PAs and bought sessions cost £{spend:,.2f} a year, above the "
                f"£{cap:,.2f} allowed"]
    return []


def _check_summary(pack: PlanningPack, clin: dict, by: dict, summary: PlanSummary,
                   need: dict[str, float] | None, supply: dict[str, float], allowances: Allowances | None,
                   bought: Mapping[str, float]) -> list[str]:
    """summary.json's unmet session-weeks and DCC hours, unassigned PAs and annual cost, re-derived."""
    v = []
    if need is not None and summary.unmet_sessions_per_year is not None:
        step = _resolution(pack)
        unmet = {a: max(0.0, math.ceil(round(n / step, 6)) * step - supply.get(a, 0.0))
                 for a, n in need.items()}
        total = sum(unmet.values())
        if abs(float(summary.unmet_sessions_per_year) - total) > 1e-4:
            v.append(f"summary: unmet_sessions_per_year is {summary.unmet_sessions_per_year:g}, "
                     f"recomputed {total:g}")
        acts = {a.activity_id: a for a in pack.activities}
        hours = sum(u * C.NORMAL_PA_HOURS * acts[a].pa_value for a, u in unmet.items()
                    if a in acts and acts[a].category == "DCC")
        if summary.unmet_dcc_hours_per_year is not None and \
                abs(float(summary.unmet_dcc_hours_per_year) - hours) > 1e-3:
            v.append(f"summary: unmet_dcc_hours_per_year is {summary.unmet_dcc_hours_per_year:g}, "
                     f"recomputed {hours:g}")
    if summary.unassigned_pas is not None:
        left = sum(max(0.0, c.contracted_pas - by[cid]["all"] - c.oncall_pas) for cid, c in clin.items())
        if abs(float(summary.unassigned_pas) - left) > PAS_TOL * max(1, len(clin)):
            v.append(f"summary: unassigned_pas is {summary.unassigned_pas:g}, recomputed {left:g}")
    if summary.annual_cost is not None:
        spend, wrong = _extra_spend(pack, clin, by, allowances, bought)
        if wrong:
            v.append(f"summary: {wrong}")
        elif abs(float(summary.annual_cost) - spend) > 0.01 + 1e-9 * spend:
            v.append(f"summary: annual_cost is £{float(summary.annual_cost):,.2f}, "
                     f"recomputed £{spend:,.2f}")
    return v


def _spa_ceiling(pack: PlanningPack, c: Clinician, floor: float, held_spa: float, skilled: set[str],
                 halves: bool = False) -> float:
    """max_spa_pas, else the larger of the floor and the SPA of the current job plan (annualised); at
    least the floor rounded up to whole sessions of the smallest SPA activity the clinician may do, or to
    half sessions of it when ``halves`` (a half-slot SPA cell may be theirs, :func:`_half_spa_offered`):
    a 1.5-PA floor with 1-PA sessions is a ceiling of 2 PAs in whole sessions, 1.5 in half sessions."""
    ceiling = max(floor, c.max_spa_pas) if c.max_spa_pas is not None else max(floor, held_spa)
    sizes = [a.pa_value for a in pack.activities if a.category == "SPA" and a.activity_id in skilled]
    if sizes and floor > 0:
        step = min(sizes) / 2 if halves else min(sizes)
        ceiling = max(ceiling, math.ceil(floor / step - 1e-9) * step)
    return ceiling


def _half_spa_offered(pack: PlanningPack, r: _Records, c: Clinician, need: Mapping[str, float] | None,
                      plan_of: Mapping[str, list[tuple[tuple[str, str, str], JobPlanCell]]],
                      skilled: set[str]) -> bool:
    """Whether a half-slot SPA cell (alternate weeks or a 2-hour half) may be the clinician's, read from
    docs/method.md ("SPA floor and ceiling", "Half sessions"), so that their SPA ceiling is in half
    sessions: an SPA activity that needs no room, has no referral demand (``need``, when known) and no
    fixed requirement, which they may do, in a normal-time slot they work that no locked whole session
    of theirs holds, when half-slot cells are offered to them (``solver.alternate_weeks`` and
    :func:`_may_alternate`); or a current SPA cell of theirs on alternate weeks or in a 2-hour half, in
    a normal-time slot they work (it stays on offer). ``plan_of``: the current cells of each clinician,
    (day, period, week) -> cell; ``skilled``: the activities the clinician may do (skills and current
    plan)."""
    cid = c.clinician_id
    mine = plan_of.get(cid, [])
    unavailable = pack.unavailable_slots
    normal = {slot for slot, premium in r.grid.items() if not premium and (cid, *slot) not in unavailable}

    def half_spa(aid: str) -> bool:
        a = r.acts.get(aid)
        return (a is not None and a.category == "SPA" and a.room_type is None
                and (need or {}).get(aid, 0.0) <= 0)

    if any(week and (day, period) in normal and half_spa(j.activity_id) for (day, period, week), j in mine):
        return True
    if not pack.settings.alternate_weeks or not _may_alternate(pack, c):
        return False
    fixed = {q.activity_id for q in pack.requirements}
    if not any(half_spa(aid) and aid not in fixed for aid in skilled):
        return False
    locked = {(day, period) for (day, period, week), j in mine if not week and j.locked}
    return bool(normal - locked)


def _held(pack: PlanningPack, clin: dict, plan_cells: dict) -> dict[tuple[str, str], float]:
    """PAs a week per (clinician, category) in the current job plans (annualised; a 2-hour half counts
    half the session's PAs, though its row runs every working week)."""
    acts = {a.activity_id: a for a in pack.activities}
    grid = {(s.day, s.period): bool(s.premium_time) for s in pack.slots}
    out: dict[tuple[str, str], float] = defaultdict(float)
    for (cid, d, p, _), j in plan_cells.items():
        c = clin[cid]
        a = acts[j.activity_id]
        weeks = c.working_weeks / 2 if j.half else j.weeks_per_year
        out[(cid, a.category)] += (_session_pas(a.pa_value, grid.get((d, p), False), c.contract)
                                   * weeks / c.working_weeks)
    return out


def _check_pas(pack: PlanningPack, r: _Records, by: dict, allowances: Allowances | None,
               need: Mapping[str, float] | None) -> list[str]:
    v = []
    clin, plan_cells = r.clin, r.plan_cells
    extra, total_cap = _allowed_extra(pack, allowances)
    total_extra = 0.0
    held = _held(pack, clin, plan_cells)
    skilled: dict[str, set[str]] = defaultdict(set)
    for sk in pack.skills:
        skilled[sk.clinician_id].add(sk.activity_id)
    for j in plan_cells.values():
        skilled[j.clinician_id].add(j.activity_id)
    plan_of: dict[str, list[tuple[tuple[str, str, str], JobPlanCell]]] = defaultdict(list)
    for (who, day, period, week), j in plan_cells.items():
        plan_of[who].append(((day, period, week), j))
    for cid, c in clin.items():
        mine = by[cid]
        planned = mine["all"] + c.oncall_pas
        if planned > c.contracted_pas + extra[cid] + TOL:
            v.append(
                f"{cid}: {planned:g} PAs a week exceed {c.contracted_pas:g} contracted PAs plus "
                f"{extra[cid]:g} additional PAs allowed"
            )
        if planned > c.max_pas + TOL:
            v.append(f"{cid}: {planned:g} PAs a week exceed max_pas {c.max_pas:g}")
        total_extra += max(0.0, planned - c.contracted_pas)
        floor = c.min_spa_pas
        if pack.settings.spa_pro_rata and c.contracted_pas < 10:
            floor = c.min_spa_pas * c.contracted_pas / 10
        if mine["SPA"] < floor - TOL:
            v.append(f"{cid}: {mine['SPA']:g} PAs of SPA, below the floor of {floor:g}")
        ceiling = _spa_ceiling(pack, c, floor, held[(cid, "SPA")], skilled[cid],
                               _half_spa_offered(pack, r, c, need, plan_of, skilled[cid]))
        if mine["SPA"] > ceiling + TOL:
            v.append(f"{cid}: {mine['SPA']:g} PAs of SPA, above the SPA ceiling of {ceiling:g}")
        for category in ("ANR", "ED"):
            kept = held[(cid, category)]
            if abs(mine[category] - kept) > TOL:
                v.append(f"{cid}: {mine[category]:g} PAs of {category}, but the current plan's "
                         f"{kept:g} must be kept")
        share = c.max_out_of_hours_share
        ooh = mine["premium"] + c.oncall_pas  # on-call PAs are out-of-hours work
        job_plan = max(planned, c.contracted_pas)  # unassigned time does not shrink the job plan
        if share is not None and ooh > share * job_plan + TOL:
            v.append(f"{cid}: {ooh:g} out-of-hours PAs (on-call included) exceed {share:.0%} of "
                     f"{job_plan:g} PAs")
    if total_cap is not None and total_extra > total_cap + TOL:
        v.append(f"team: {total_extra:g} additional PAs exceed the total allowed, {total_cap:g}")
    return v


def _check_cells(
    pack: PlanningPack, clin: dict, acts: dict, grid: dict, cells: dict[tuple[str, str, str, str], str],
    weeks_of: dict[tuple[str, str, str, str], float],
) -> list[str]:
    """Locks, then the per-week rules in week A and in week B of the two-week cycle (the same when no cell
    alternates), then the leave-aware quorum over the year."""
    v = []
    for j in pack.job_plans:
        if (
            j.locked
            and j.clinician_id in clin
            and j.activity_id not in {cells.get((j.clinician_id, j.day, j.period, w))
                                      for w in (("A", "B") if j.week or j.half else ("",))}
        ):
            v.append(f"{j.clinician_id} {j.day}-{j.period}: locked {j.activity_id} session was not kept")
    weeks = ("A", "B") if any(k[3] for k in cells) else ("A",)
    for week in weeks:
        said = f" (week {week})" if len(weeks) > 1 else ""
        found = _check_week(pack, clin, acts, grid, _in_week(cells, week))
        v += [f"{line}{said}" for line in found if f"{line}{said}" not in v]
    for req in pack.requirements:
        if req.day is not None and req.period is not None and pack.settings.quorum_leave_aware and \
                req.rota_size is None:
            here = [k for k, a in cells.items()
                    if (k[1], k[2]) == (req.day, req.period) and a == req.activity_id]
            attended = sum(weeks_of[k] for k in here)
            need = req.min_clinicians * pack.settings.service_weeks
            if attended < need - 1e-6:
                v.append(f"{req.activity_id} on {req.day}-{req.period}: expected attendance "
                         f"{attended / pack.settings.service_weeks:.2f}, below the quorum of "
                         f"{req.min_clinicians} ({attended:g} of {need:g} clinician-weeks a year)")
    return v


def _check_week(pack: PlanningPack, clin: dict, acts: dict, grid: dict,
                cells: dict[tuple[str, str, str], str]) -> list[str]:
    """The rules that hold every week, for the cells of one week: rooms, heads, sessions a week, rest,
    sessions a day, weekly rest, per-clinician caps."""
    v = _week_rooms(pack, acts, cells)
    v += _week_requirements(pack, cells)
    v += _week_rest(pack, clin, grid, cells)
    v += _week_caps(pack, cells)
    return v


def _week_rooms(pack: PlanningPack, acts: dict, cells: dict[tuple[str, str, str], str]) -> list[str]:
    """Rooms: sessions needing a room type in a slot, at most the rooms of that type available there.

    Parameters
    ----------
    pack : PlanningPack
        The pack (its ``rooms`` table).
    acts : dict
        activity_id -> Activity.
    cells : dict
        (clinician, day, period) -> activity_id, the cells of one week.

    Returns
    -------
    list of str
        One violation per over-full (room type, slot).
    """
    v = []
    use = Counter((acts[a].room_type, d, p) for (_, d, p), a in cells.items() if acts[a].room_type)
    for r in pack.rooms:
        if use[(r.room_type, r.day, r.period)] > r.available:
            v.append(
                f"{r.day}-{r.period}: {use[(r.room_type, r.day, r.period)]} sessions need a {r.room_type} "
                f"but {r.available} are available"
            )
    return v


def _week_requirements(pack: PlanningPack, cells: dict[tuple[str, str, str], str]) -> list[str]:
    """Fixed requirements in one week: heads in a fixed slot (unless quorums are read leave-aware) and
    sessions a week (rounded up); 1-in-N rotas are checked over the year instead (``_check_rotas``).

    Parameters
    ----------
    pack : PlanningPack
        The pack (its ``requirements`` and ``solver.quorum_leave_aware``).
    cells : dict
        (clinician, day, period) -> activity_id, the cells of one week.

    Returns
    -------
    list of str
        One violation per requirement not met.
    """
    v = []
    for req in pack.requirements:
        if req.rota_size is not None:
            continue  # a rota: its members over the year (_check_rotas), not heads every week
        if req.day is not None and req.period is not None:
            n = sum(1 for (_, d, p), a in cells.items()
                    if (d, p) == (req.day, req.period) and a == req.activity_id)
            if not pack.settings.quorum_leave_aware and n < req.min_clinicians:
                v.append(
                    f"{req.activity_id} on {req.day}-{req.period}: {n} clinicians, fewer than the "
                    f"{req.min_clinicians} required"
                )
        elif req.sessions_per_week is not None:
            n = sum(1 for a in cells.values() if a == req.activity_id)
            if n < math.ceil(req.sessions_per_week - 1e-9):
                v.append(
                    f"{req.activity_id}: {n} sessions a week, fewer than the {req.sessions_per_week:g} "
                    f"required"
                )
    return v


def _week_rest(pack: PlanningPack, clin: dict, grid: dict,
               cells: dict[tuple[str, str, str], str]) -> list[str]:
    """Rest in one week: no AM session after an evening session, at most ``solver.max_sessions_per_day``
    sessions a day unless opted in, and a day off when the grid has seven days.

    Parameters
    ----------
    pack : PlanningPack
        The pack (``solver.max_sessions_per_day``).
    clin : dict
        clinician_id -> Clinician, the active clinicians.
    grid : dict
        (day, period) -> premium time, the weekly grid.
    cells : dict
        (clinician, day, period) -> activity_id, the cells of one week.

    Returns
    -------
    list of str
        The violations, evening rest first.
    """
    v = []
    days_in_grid = {d for d, _ in grid}
    per_day = Counter((cid, d) for (cid, d, _) in cells)
    for (cid, d, p) in cells:
        if p == "EVE":
            nxt = C.DAYS[(C.DAYS.index(d) + 1) % 7]
            if (cid, nxt, "AM") in cells:
                v.append(f"{cid} {nxt}-AM: a session less than 11 hours after the {d}-EVE session")
    limit = pack.settings.max_sessions_per_day
    for (cid, d), n in sorted(per_day.items()):
        if not clin[cid].out_of_hours_opt_in and n > limit:
            v.append(f"{cid} {d}: {n} sessions in a day, above {limit} (not opted in)")
    if len(days_in_grid) == 7:
        for cid in clin:
            if all(per_day[(cid, d)] > 0 for d in days_in_grid):
                v.append(f"{cid}: a session every day of the week, no day of weekly rest")
    return v


def _week_caps(pack: PlanningPack, cells: dict[tuple[str, str, str], str]) -> list[str]:
    """Per-clinician caps in one week: sessions of an activity at most the skill's ``max_sessions_per_week``.

    Parameters
    ----------
    pack : PlanningPack
        The pack (its ``skills``).
    cells : dict
        (clinician, day, period) -> activity_id, the cells of one week.

    Returns
    -------
    list of str
        One violation per skill over its cap.
    """
    v = []
    counts = Counter((cid, a) for (cid, _, _), a in cells.items())
    for s in pack.skills:
        if (
            s.max_sessions_per_week is not None
            and counts[(s.clinician_id, s.activity_id)] > s.max_sessions_per_week + TOL
        ):
            v.append(
                f"{s.clinician_id}: {counts[(s.clinician_id, s.activity_id)]} sessions of {s.activity_id} "
                f"a week, above the cap of {s.max_sessions_per_week:g}"
            )
    return v


def _check_skill_floors(pack: PlanningPack, clin: dict, weeks_of: dict, cells: dict) -> list[str]:
    """Per-clinician time (docs/method.md, "Per-clinician time"): a clinician with
    ``skills.min_sessions_per_week`` k of an activity keeps at least k sessions a week of it over their
    working weeks W, read from the allocation's own weeks a year: sum of the weeks their cells of the
    activity run >= k x W (a half session: W / 2, as an alternate-week cell runs every other week).

    Parameters
    ----------
    pack : PlanningPack
        The pack (its ``skills``).
    clin : dict
        clinician_id -> Clinician, the clinicians planned.
    weeks_of : dict
        (clinician, day, period, week) -> weeks a year the cell runs.
    cells : dict
        Same keys -> activity_id.

    Returns
    -------
    list of str
        One violation per floor not kept.
    """
    held: dict[tuple[str, str], float] = defaultdict(float)
    for key, aid in cells.items():
        held[(key[0], aid)] += weeks_of.get(key, 0.0)
    v = []
    for sk in pack.skills:
        k = sk.min_sessions_per_week
        if not k or sk.clinician_id not in clin:
            continue
        whole, half = divmod(round(k * 2), 2)
        w = clin[sk.clinician_id].working_weeks
        need = whole * w + half * w / 2
        got = held[(sk.clinician_id, sk.activity_id)]
        if got < need - TOL:
            v.append(f"{sk.clinician_id}: {got:g} weeks a year of {sk.activity_id}, below the "
                     f"{k:g} sessions a week they must keep ({need:g} weeks over {w:g} working weeks)")
    return v


def _changed(plan_cells: dict, cells: dict) -> set[tuple[str, str, str, str]]:
    """(clinician, day, period, week) whose activity differs from the current plan's: week "" for a slot
    worked every week or free, "A" / "B" for each week of a slot on alternate weeks."""
    out = set()
    for slot in {k[:3] for k in plan_cells} | {k[:3] for k in cells}:
        alternate = any((*slot, w) in cells or (*slot, w) in plan_cells for w in ("A", "B"))
        for week in ("A", "B") if alternate else ("",):
            after = cells.get((*slot, week), cells.get((*slot, "")))
            before = plan_cells.get((*slot, week), plan_cells.get((*slot, "")))
            if after != (before.activity_id if before is not None else None):
                out.add((*slot, week))
    return out


def _sessions_changed(plan_cells: dict, cells: dict) -> Counter:
    """Per clinician, the larger of current cells not kept in any week and cells (weekly or alternate-week)
    whose activity differs from the current plan's (a moved session counts once)."""
    removed: Counter = Counter()
    added: Counter = Counter()
    before: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for key, j in plan_cells.items():
        before[key[:3]].add(j.activity_id)
    for key, j in plan_cells.items():
        if all(cells.get((*key[:3], w)) != j.activity_id for w in ("", "A", "B")):
            removed[key[0]] += 1
    for k, a in cells.items():
        if a not in before.get(k[:3], set()):
            added[k[0]] += 1
    return Counter({cid: max(removed[cid], added[cid]) for cid in set(removed) | set(added)})


def _check_clinicians_table(table: pd.DataFrame, clin: dict, plan_cells: dict, cells: dict, by: dict,
                            ) -> list[str]:
    v = []
    changed = _sessions_changed(plan_cells, cells)
    rows = {str(r.clinician_id): r for r in table.itertuples(index=False)}
    for cid, c in clin.items():
        r = rows.get(cid)
        if r is None:
            v.append(f"clinicians table: {cid} is missing")
            continue
        mine = by[cid]
        planned = mine["all"] + c.oncall_pas
        expect = {
            "contracted_pas": c.contracted_pas,
            "planned_pas": planned,
            "dcc_pas": mine["DCC"],
            "spa_pas": mine["SPA"],
            "other_pas": planned - mine["DCC"] - mine["SPA"],
            "apa_pas": max(0.0, planned - c.contracted_pas),
            "out_of_hours_pas": mine["premium"],
            "changed_sessions": changed[cid],
            "unassigned_pas": max(0.0, c.contracted_pas - planned),
        }
        for col, want in expect.items():
            if hasattr(r, col) and abs(float(getattr(r, col)) - want) > PAS_TOL:
                v.append(f"clinicians table: {cid} {col} is {float(getattr(r, col)):g}, recomputed {want:g}")
    return v


def _check_changes(table: pd.DataFrame, plan_cells: dict, cells: dict) -> list[str]:
    listed = {(str(r.clinician_id), str(r.day), str(r.period),
               _week(getattr(r, "week", "")) or _HALF_AS_WEEK.get(_half(getattr(r, "half", "")), ""))
              for r in table.itertuples(index=False)}
    want = _changed(plan_cells, cells)

    def name(k: tuple[str, str, str, str]) -> str:
        return f"{k[0]} {k[1]}-{k[2]}" + (f" week {k[3]}" if k[3] else "")

    v = [f"changes table: {name(k)} changed but not listed" for k in sorted(want - listed)]
    v += [f"changes table: {name(k)} listed but not changed" for k in sorted(listed - want)]
    return v


def _check_gaps(table: pd.DataFrame, need: dict[str, float], acts: dict, supply: dict[str, float],
                ) -> list[str]:
    v = []
    rows = {str(r.activity_id): r for r in table.itertuples(index=False)}
    for aid in acts:
        r = rows.get(aid)
        if r is None:
            v.append(f"gaps table: {aid} is missing")
            continue
        required = float(need.get(aid, 0.0))
        gap = max(0.0, required - supply[aid])
        for col, want in (
            ("required_sessions_per_year", required),
            ("planned_sessions_per_year", supply[aid]),
            ("gap_sessions_per_year", gap),
        ):
            if abs(float(getattr(r, col)) - want) > 1e-4:
                v.append(f"gaps table: {aid} {col} is {float(getattr(r, col)):g}, recomputed {want:g}")
    return v


def _productivity(pack: PlanningPack) -> dict[tuple[str, str], float]:
    """Supply weight of each active clinician's sessions of each activity with ``productivity`` rows:
    pps of the clinician's staff group (the row, else the activity's own) / pps at the current job plans'
    mix of staff groups (session-weeks of ``weeks_per_year`` by group; the activity's own pps without
    current sessions). Only weights other than 1; none when a session's patients are unknown."""
    out: dict[tuple[str, str], float] = {}
    group = {c.clinician_id: c.staff_group for c in pack.clinicians if c.active}
    for a in pack.activities:
        rows = {p.staff_group: float(p.patients_per_session) for p in pack.productivity
                if p.activity_id == a.activity_id}
        if not rows:
            continue
        own = a.patients_per_session_effective
        n: dict[str, float] = defaultdict(float)
        for j in pack.job_plans:
            if j.activity_id == a.activity_id and j.clinician_id in group:
                n[group[j.clinician_id]] += float(j.weeks_per_year or 0.0)
        total = sum(n.values())
        if total > 0 and all(g in rows or own is not None for g in n):
            mix = sum(k * rows.get(g, own or 0.0) for g, k in n.items()) / total
        else:
            mix = own or 0.0
        if mix <= 0:
            continue
        for cid, g in group.items():
            pps = rows.get(g, own)
            if pps is not None and abs(pps / mix - 1.0) > 1e-12:
                out[(cid, a.activity_id)] = pps / mix
    return out


def _per_patient(sessions: float, weight: float | None, steps: int) -> float:
    """``sessions`` a year x the productivity ``weight`` (None: 1), to the nearest 1/``steps`` of a
    session (the resolution of supply), half up."""
    if weight is None:
        return sessions
    return _half_up(sessions * weight, steps)
