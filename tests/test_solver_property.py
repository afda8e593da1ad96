"""Random small packs: every plan passes the independent checker, and the unmet-demand levels equal the
optimum of an independent MILP of the same rules solved with HiGHS (scipy.optimize.milp)."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp
from test_solver_helpers import activity, cell, clinician, make_pack, reqs, run

from capacity_planner.pack.model import Availability, FixedRequirement, PlanningPack, RoomCapacity, Slot
from capacity_planner.solver import SolveStatus

GRID = [(d, p) for d in ("Mon", "Tue", "Wed") for p in ("AM", "PM")]


@st.composite
def packs(draw: st.DrawFn) -> tuple[PlanningPack, dict[str, float], list[str]]:
    """A random pack of 1-4 clinicians, 1-3 clinical activities and SPA, on 2-6 normal-time slots."""
    slots = draw(st.lists(st.sampled_from(GRID), min_size=2, max_size=6, unique=True))
    n_act = draw(st.integers(1, 3))
    acts = []
    for i in range(n_act):
        rapid = i == 0 and draw(st.booleans())
        acts.append(activity(f"a{i}", rapid_access=rapid, priority=10 if rapid else draw(st.integers(1, 3)),
                             room_type=draw(st.sampled_from([None, "room"]))))
    acts.append(activity("spa", "SPA"))
    clinicians, skills, unavailable, plan = [], [], [], []
    for c in range(draw(st.integers(1, 4))):
        cid = f"C{c}"
        spa = draw(st.sampled_from([0.0, 0.0, 1.0]))
        clinicians.append(clinician(cid, draw(st.integers(1, len(slots))), spa=spa,
                                    weeks=draw(st.sampled_from([42.0, 45.0]))))
        mine = draw(st.lists(st.sampled_from([a.activity_id for a in acts[:-1]]), min_size=1, unique=True))
        if spa or draw(st.booleans()):
            mine.append("spa")
        skills += [(cid, a) for a in mine]
        off = draw(st.lists(st.sampled_from(slots), max_size=1, unique=True))
        unavailable += [Availability(cid, d, p, False) for d, p in off]
        for d, p in slots:
            if (d, p) not in off and draw(st.integers(0, 3)) == 0:
                plan.append(cell(cid, d, p, draw(st.sampled_from(mine)), clinicians[-1].working_weeks,
                                 locked=draw(st.integers(0, 2)) == 0))
    rooms = [RoomCapacity("room", d, p, draw(st.integers(0, 2))) for d, p in slots if draw(st.booleans())]
    fixed = []
    if draw(st.booleans()):
        d, p = draw(st.sampled_from(slots))
        fixed.append(FixedRequirement(draw(st.sampled_from([a.activity_id for a in acts[:-1]])), day=d, period=p,
                                      min_clinicians=draw(st.integers(1, 2))))
    pack = make_pack(clinicians, acts, skills, slots=[Slot(d, p, False) for d, p in slots], rooms=rooms,
                     availability=unavailable, job_plans=plan, requirements=fixed)
    demand = {a.activity_id: float(draw(st.integers(0, 300))) for a in acts[:-1]}
    return pack, demand, [a.activity_id for a in acts if a.rapid_access]


def highs_unmet(pack: PlanningPack, demand: dict[str, float]) -> tuple[float, float] | None:
    """Lexicographic (rapid, routine) unmet demand by an independent MILP read from the pack records;
    None when the rules cannot all hold. All sessions are 1 PA in normal time here."""
    grid = [(s.day, s.period) for s in pack.slots]
    off = pack.unavailable_slots
    skilled = {(s.clinician_id, s.activity_id) for s in pack.skills} | {
        (j.clinician_id, j.activity_id) for j in pack.job_plans}
    acts = {a.activity_id: a for a in pack.activities}
    xs = [(c.clinician_id, d, p, a) for c in pack.clinicians for d, p in grid for a in acts
          if (c.clinician_id, a) in skilled and (c.clinician_id, d, p) not in off]
    idx = {x: i for i, x in enumerate(xs)}
    short = [a for a in acts if demand.get(a, 0) > 0]
    m = {a: len(xs) + k for k, a in enumerate(short)}
    n = len(xs) + len(short)
    rows: list[tuple[dict[int, float], float, float]] = []
    weeks = {c.clinician_id: c.working_weeks for c in pack.clinicians}
    for c in pack.clinicians:
        cid = c.clinician_id
        for d, p in grid:
            rows.append(({idx[x]: 1 for x in xs if x[:3] == (cid, d, p)}, -np.inf, 1))
        rows.append(({idx[x]: acts[x[3]].pa_value for x in xs if x[0] == cid}, c.contracted_pas, c.contracted_pas))
        rows.append(({idx[x]: 1 for x in xs if x[0] == cid and acts[x[3]].category == "SPA"}, c.min_spa_pas,
                     np.inf))
    for j in pack.job_plans:
        if j.locked:
            key = (j.clinician_id, j.day, j.period, j.activity_id)
            rows.append(({idx[key]: 1}, 1, 1) if key in idx else ({}, 1, 1))
    for r in pack.rooms:
        rows.append(({idx[x]: 1 for x in xs if (x[1], x[2]) == (r.day, r.period)
                      and acts[x[3]].room_type == r.room_type}, -np.inf, r.available))
    for q in pack.requirements:
        rows.append(({idx[x]: 1 for x in xs if (x[1], x[2], x[3]) == (q.day, q.period, q.activity_id)},
                     q.min_clinicians, np.inf))
    for a in short:
        coefs: dict[int, float] = {idx[x]: weeks[x[0]] for x in xs if x[3] == a}
        coefs[m[a]] = 1
        rows.append((coefs, demand[a], np.inf))
    if any(not coefs and lo > 0 for coefs, lo, _ in rows):
        return None
    matrix = np.zeros((len(rows), n))
    for r, (coefs, _, _) in enumerate(rows):
        for j, val in coefs.items():
            matrix[r, j] = val
    lower = np.array([lo for _, lo, _ in rows], dtype=float)
    upper = np.array([hi for _, _, hi in rows], dtype=float)
    integrality = np.r_[np.ones(len(xs)), np.zeros(len(short))]
    bounds = Bounds(np.zeros(n), np.r_[np.ones(len(xs)), np.full(len(short), np.inf)])
    values = []
    for rapid in (True, False):
        cost = np.zeros(n)
        for a in short:
            if acts[a].rapid_access == rapid:
                cost[m[a]] = acts[a].priority
        res = milp(cost, constraints=LinearConstraint(matrix, lower, upper), integrality=integrality,
                   bounds=bounds, options={"mip_rel_gap": 0})
        if res.status == 2:
            return None
        assert res.status == 0, res.message
        values.append(round(res.fun, 6))
        matrix = np.vstack([matrix, cost])
        lower, upper = np.r_[lower, -np.inf], np.r_[upper, res.fun + 1e-6]
    return values[0], values[1]


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(packs())
def test_random_packs_match_an_independent_milp(case: tuple[PlanningPack, dict[str, float], list[str]]) -> None:
    pack, demand, rapid = case
    plan = run(pack, reqs(demand, rapid=rapid))  # run() checks every solution with check_plan
    expected = highs_unmet(pack, demand)
    if expected is None:
        assert plan.status is SolveStatus.INFEASIBLE
        assert plan.result.reasons, "an infeasible plan must say why"
        return
    assert plan.status is SolveStatus.OPTIMAL
    got: dict[str, Any] = plan.result.objective
    assert (got["unmet_rapid_access"], got["unmet_routine"]) == expected
