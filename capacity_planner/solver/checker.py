"""An independent checker: re-verifies every hard rule of a plan from its output tables and the pack.

It deliberately shares no code with the model: it reads the pack's records (clinicians, skills, slots,
rooms, availability, job plans, fixed requirements, settings) and the tables written to disk
(allocation, clinicians, gaps, changes) and recomputes everything in floating point with its own reading
of the rules. It returns a list of violations in words (empty when the plan keeps every rule), so a bug in
the model, the integer scaling or the table writer shows up as a violation.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping

import pandas as pd

from capacity_planner import constants as C
from capacity_planner.demand.requirements import Requirements
from capacity_planner.pack.model import Clinician, PlanningPack
from capacity_planner.solver.options import Allowances

TOL = 1e-6
PAS_TOL = 1e-3  # tables round PAs to 4 decimals
_PREMIUM_CONTRACTS = ("consultant_2003", "sas_2021")


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
        out[c.clinician_id] = cap
    return out, al.additional_pas_total


def check_plan(
    pack: PlanningPack,
    tables: Mapping[str, pd.DataFrame],
    requirements: Requirements | None = None,
    allowances: Allowances | None = None,
    bought: Mapping[str, float] | None = None,
) -> list[str]:
    """Every rule the plan breaks, in words (an empty list means the plan is valid).

    Parameters
    ----------
    pack : PlanningPack
        The pack the plan was made for.
    tables : mapping
        ``allocation`` (required), and optionally ``clinicians``, ``gaps``, ``changes`` to cross-check.
    requirements : Requirements, optional
        Demand, to re-check ``gaps``.
    allowances : Allowances, optional
        The allowances the plan was made with (additional PAs).
    bought : mapping, optional
        Locum/WLI sessions bought per activity (summary.json ``purchased_sessions``).
    """
    v: list[str] = []
    alloc = tables["allocation"]
    clin = {c.clinician_id: c for c in pack.clinicians if c.active}
    acts = {a.activity_id: a for a in pack.activities}
    grid = {(s.day, s.period): bool(s.premium_time) for s in pack.slots} or {
        (d, p): False for d in C.WEEKDAYS for p in ("AM", "PM")
    }
    unavailable = pack.unavailable_slots
    plan_cells = {(j.clinician_id, j.day, j.period): j for j in pack.job_plans if j.clinician_id in clin}
    skills = {(s.clinician_id, s.activity_id) for s in pack.skills}
    skills |= {(j.clinician_id, j.activity_id) for j in plan_cells.values()}

    cells: dict[tuple[str, str, str], str] = {}
    pas_by: dict[str, float] = defaultdict(float)
    spa_by: dict[str, float] = defaultdict(float)
    dcc_by: dict[str, float] = defaultdict(float)
    ooh_by: dict[str, float] = defaultdict(float)
    for row in alloc.itertuples(index=False):
        cid, day, period, aid = str(row.clinician_id), str(row.day), str(row.period), str(row.activity_id)
        where = f"{cid} {day}-{period}"
        if (cid, day, period) in cells:
            v.append(f"{where}: more than one activity in one slot")
            continue
        if cid not in clin:
            v.append(f"{where}: clinician {cid} is not an active clinician of the pack")
            continue
        if aid not in acts:
            v.append(f"{where}: activity {aid} is not in the pack")
            continue
        if (day, period) not in grid:
            v.append(f"{where}: slot is not in the weekly grid")
            continue
        cells[(cid, day, period)] = aid
        c, a, premium = clin[cid], acts[aid], grid[(day, period)]
        if (cid, aid) not in skills:
            v.append(f"{where}: {cid} is not skilled in {aid}")
        if (cid, day, period) in unavailable:
            v.append(f"{where}: {cid} does not work this slot")
        if premium and not c.out_of_hours_opt_in:
            v.append(f"{where}: out-of-hours slot but {cid} has not opted in")
        pas = _session_pas(a.pa_value, premium, c.contract)
        given = float(row.pas)  # type: ignore[arg-type]
        if abs(given - pas) > PAS_TOL:
            v.append(f"{where}: pas {given:g} but a {aid} session there counts {pas:g} PAs")
        pas_by[cid] += pas
        if a.category == "SPA":
            spa_by[cid] += pas
        if a.category == "DCC":
            dcc_by[cid] += pas
        if premium:
            ooh_by[cid] += pas

    v += _check_pas(pack, clin, acts, grid, skills, pas_by, spa_by, ooh_by, allowances)
    v += _check_cells(pack, clin, acts, grid, cells)
    if "clinicians" in tables:
        v += _check_clinicians_table(
            tables["clinicians"], clin, plan_cells, cells, pas_by, spa_by, dcc_by, ooh_by
        )
    if "changes" in tables:
        v += _check_changes(tables["changes"], plan_cells, cells)
    if "gaps" in tables and requirements is not None:
        v += _check_gaps(tables["gaps"], requirements, clin, acts, plan_cells, cells, bought or {})
    if allowances is not None and allowances.max_extra_cost is not None:
        v += _check_budget(pack, clin, pas_by, allowances, bought or {})
    return v


def _pa_rate(pack: PlanningPack, c: Clinician) -> float:
    """GBP a year for one additional PA a week, read afresh from the pack (whole pounds)."""
    rows = {(r.item, r.staff_group): r.annual_cost for r in pack.costs if r.annual_cost is not None}
    for value in (c.apa_cost_per_pa, rows.get(("additional_pa", c.staff_group)), c.annual_cost_per_pa,
                  rows.get(("substantive_pa", c.staff_group))):
        if value is not None:
            return float(round(value))
    return 10_000.0


def _check_budget(pack: PlanningPack, clin: dict, pas_by: dict, allowances: Allowances,
                  bought: Mapping[str, float]) -> list[str]:
    """Additional PAs (planned beyond contract) and bought sessions priced, against max_extra_cost."""
    spend = sum(max(0.0, pas_by[cid] + c.oncall_pas - c.contracted_pas) * _pa_rate(pack, c)
                for cid, c in clin.items())
    price = {}
    for buy in allowances.purchased_sessions:
        item = "wli_session" if buy.kind == "wli" else "locum_session"
        rows = [r for r in pack.costs if r.item == item and r.session_cost is not None]
        rows = [r for r in rows if r.staff_group == "consultant"] or rows
        given = buy.cost_per_session if buy.cost_per_session is not None else (
            rows[0].session_cost if rows else None)
        price[buy.activity_id] = float(round(given)) if given is not None else math.nan
    for aid, n in bought.items():
        if n > 0 and not math.isfinite(price.get(aid, math.nan)):
            return [f"budget: {n:g} {aid} sessions bought, but none were allowed with a price"]
        spend += n * price.get(aid, 0.0)
    cap = float(allowances.max_extra_cost or 0.0)
    if spend > cap * (1 + 1e-9) + 1e-6:
        return [f"budget: additional PAs and bought sessions cost £{spend:,.2f} a year, above the "
                f"£{cap:,.2f} allowed"]
    return []


def _check_pas(
    pack: PlanningPack,
    clin: dict,
    acts: dict,
    grid: dict,
    skills: set,
    pas_by: dict,
    spa_by: dict,
    ooh_by: dict,
    allowances: Allowances | None,
) -> list[str]:
    v = []
    extra, total_cap = _allowed_extra(pack, allowances)
    total_extra = 0.0
    for cid, c in clin.items():
        planned = pas_by[cid] + c.oncall_pas
        sessions = [
            _session_pas(a.pa_value, grid[slot], c.contract)
            for slot in grid
            if (cid, *slot) not in pack.unavailable_slots and (c.out_of_hours_opt_in or not grid[slot])
            for a in acts.values()
            if (cid, a.activity_id) in skills
        ]
        smallest = min(sessions, default=0.0)
        if planned > c.contracted_pas + extra[cid] + TOL:
            v.append(
                f"{cid}: {planned:g} PAs a week exceed {c.contracted_pas:g} contracted PAs plus "
                f"{extra[cid]:g} additional PAs allowed"
            )
        if planned > c.max_pas + TOL:
            v.append(f"{cid}: {planned:g} PAs a week exceed max_pas {c.max_pas:g}")
        if planned < c.contracted_pas - smallest + TOL and planned < c.contracted_pas - TOL:
            v.append(
                f"{cid}: {planned:g} PAs a week fall short of {c.contracted_pas:g} contracted PAs by one "
                f"session or more"
            )
        total_extra += max(0.0, planned - c.contracted_pas)
        floor = c.min_spa_pas
        if pack.settings.spa_pro_rata and c.contracted_pas < 10:
            floor = c.min_spa_pas * c.contracted_pas / 10
        if spa_by[cid] < floor - TOL:
            v.append(f"{cid}: {spa_by[cid]:g} PAs of SPA, below the floor of {floor:g}")
        share = c.max_out_of_hours_share
        if share is not None and ooh_by[cid] > share * planned + TOL:
            v.append(f"{cid}: {ooh_by[cid]:g} out-of-hours PAs exceed {share:.0%} of {planned:g} PAs")
    if total_cap is not None and total_extra > total_cap + TOL:
        v.append(f"team: {total_extra:g} additional PAs exceed the total allowed, {total_cap:g}")
    return v


def _check_cells(
    pack: PlanningPack, clin: dict, acts: dict, grid: dict, cells: dict[tuple[str, str, str], str]
) -> list[str]:
    v = []
    for j in pack.job_plans:
        if (
            j.locked
            and j.clinician_id in clin
            and cells.get((j.clinician_id, j.day, j.period)) != j.activity_id
        ):
            v.append(f"{j.clinician_id} {j.day}-{j.period}: locked {j.activity_id} session was not kept")
    use = Counter((acts[a].room_type, d, p) for (_, d, p), a in cells.items() if acts[a].room_type)
    for r in pack.rooms:
        if use[(r.room_type, r.day, r.period)] > r.available:
            v.append(
                f"{r.day}-{r.period}: {use[(r.room_type, r.day, r.period)]} sessions need a {r.room_type} "
                f"but {r.available} are available"
            )
    for req in pack.requirements:
        if req.day is not None and req.period is not None:
            n = sum(
                1
                for (_, d, p), a in cells.items()
                if (d, p) == (req.day, req.period) and a == req.activity_id
            )
            if n < req.min_clinicians:
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
    for (cid, d, p), a in cells.items():
        if p == "EVE" and acts[a].category == "ONCALL":
            nxt = C.DAYS[(C.DAYS.index(d) + 1) % 7]
            if (cid, nxt, "AM") in cells:
                v.append(f"{cid} {nxt}-AM: a session the morning after on-call on {d}-EVE")
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


def _changed(plan_cells: dict, cells: dict) -> set[tuple[str, str, str]]:
    keys = set(plan_cells) | set(cells)
    return {k for k in keys if (plan_cells[k].activity_id if k in plan_cells else None) != cells.get(k)}


def _check_clinicians_table(
    table: pd.DataFrame,
    clin: dict,
    plan_cells: dict,
    cells: dict,
    pas_by: dict,
    spa_by: dict,
    dcc_by: dict,
    ooh_by: dict,
) -> list[str]:
    v = []
    changed = Counter(k[0] for k in _changed(plan_cells, cells))
    rows = {str(r.clinician_id): r for r in table.itertuples(index=False)}
    for cid, c in clin.items():
        r = rows.get(cid)
        if r is None:
            v.append(f"clinicians table: {cid} is missing")
            continue
        planned = pas_by[cid] + c.oncall_pas
        expect = {
            "contracted_pas": c.contracted_pas,
            "planned_pas": planned,
            "dcc_pas": dcc_by[cid],
            "spa_pas": spa_by[cid],
            "other_pas": planned - dcc_by[cid] - spa_by[cid],
            "apa_pas": max(0.0, planned - c.contracted_pas),
            "out_of_hours_pas": ooh_by[cid],
            "changed_sessions": changed[cid],
        }
        for col, want in expect.items():
            if abs(float(getattr(r, col)) - want) > PAS_TOL:
                v.append(f"clinicians table: {cid} {col} is {float(getattr(r, col)):g}, recomputed {want:g}")
    return v


def _check_changes(table: pd.DataFrame, plan_cells: dict, cells: dict) -> list[str]:
    listed = {(str(r.clinician_id), str(r.day), str(r.period)) for r in table.itertuples(index=False)}
    want = _changed(plan_cells, cells)
    v = [f"changes table: {k[0]} {k[1]}-{k[2]} changed but not listed" for k in sorted(want - listed)]
    v += [f"changes table: {k[0]} {k[1]}-{k[2]} listed but not changed" for k in sorted(listed - want)]
    return v


def _check_gaps(
    table: pd.DataFrame,
    requirements: Requirements,
    clin: dict,
    acts: dict,
    plan_cells: dict,
    cells: dict,
    bought: Mapping[str, float],
) -> list[str]:
    v = []
    need = requirements.sessions_per_year()
    supply: dict[str, float] = defaultdict(float)
    for (cid, d, p), a in cells.items():
        j = plan_cells.get((cid, d, p))
        supply[a] += j.weeks_per_year if j is not None and j.activity_id == a else clin[cid].working_weeks
    for a, n in bought.items():
        supply[a] += n
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
