"""Allocation benchmark: the ``service`` pack (~40 clinicians) and the ``trust`` pack (~1,000 clinicians in
~40 services, split into independent parts by the library and solved in parallel processes), with HiGHS on
the unmet-demand level of the same model for comparison.

Usage::

    .venv/bin/python benchmarks/bench_solver.py [--size service|trust|both] [--workers 2] [--seed 0]

Requirements come from the demand pipeline (``capacity_planner.demand.pipeline.size_demand``) when it is
available; otherwise each DCC activity's demand is its current supply x 1.1 (x 1.21 for rapid access), a
service short of capacity, as most are.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import lil_matrix

import capacity_planner as cp
from capacity_planner.demand.requirements import COLUMNS, Requirements
from capacity_planner.solver import build_problem, check_plan, plan_allocation

if TYPE_CHECKING:
    from capacity_planner.pack.model import PlanningPack
    from capacity_planner.solver.problem import AllocationProblem


def requirements_for(pack: PlanningPack) -> tuple[Requirements, str]:
    """Demand-pipeline requirements if available, else synthetic (current supply x 1.1)."""
    try:
        from capacity_planner.demand.pipeline import size_demand  # type: ignore[import-not-found]

        return size_demand(pack).requirements, "demand pipeline"
    except ImportError:
        pass
    supply: dict[str, float] = {}
    for j in pack.job_plans:
        supply[j.activity_id] = supply.get(j.activity_id, 0.0) + j.weeks_per_year
    rows = []
    for a in pack.activities:
        if a.category != "DCC":
            continue
        row: dict[str, Any] = {c: 0.0 for c in COLUMNS}
        factor = 1.21 if a.rapid_access else 1.1
        row.update(activity_id=a.activity_id, category="DCC", rapid_access=a.rapid_access,
                   sizing_method="mean", sessions_per_year=round(supply.get(a.activity_id, 0.0) * factor, 2))
        rows.append(row)
    return Requirements.from_frame(pd.DataFrame(rows, columns=list(COLUMNS))), "synthetic (supply x 1.1)"


def highs_unmet(problem: AllocationProblem, time_limit_s: float = 60.0) -> dict[str, Any]:  # noqa: C901
    """The routine-floor, rapid-access and routine unmet-demand levels of the same integer model (annual
    units: each cell's PAs times the weeks it runs; alternate-week cells for half the weeks), with HiGHS."""
    p = problem
    weekly = list(p.triples())
    half = [(c, s, a, "h") for c, s, a in p.half_triples()]
    trip: list[tuple] = [*weekly, *half]
    xi = {t: i for i, t in enumerate(trip)}
    half_cs = sorted({t[:2] for t in half})
    zi = {cs: len(trip) + k for k, cs in enumerate(half_cs)}  # slot worked on some week (alternate)

    def annual(t: tuple) -> int:
        return p.half_annual(*t[:3]) if len(t) == 4 else p.annual(*t)

    def weeks(t: tuple) -> int:
        return p.half_weeks(t[0]) if len(t) == 4 else p.weeks(*t)

    def size(t: tuple) -> int:  # 2 for a weekly cell, 1 for an alternate-week cell
        return 1 if len(t) == 4 else 2

    acts = [a for a, act in enumerate(p.activities) if act.demand > 0]
    floors = [a for a, act in enumerate(p.activities) if act.floor > 0]
    base = len(trip) + len(zi)
    mi = {a: base + k for k, a in enumerate(acts)}
    fi = {a: base + len(acts) + k for k, a in enumerate(floors)}
    n = base + len(acts) + len(floors)
    rows: list[tuple[dict[int, float], float, float]] = []
    by_cs: dict[tuple[int, int], list[tuple]] = {}
    for t in trip:
        by_cs.setdefault(t[:2], []).append(t)
    rows += [({xi[t]: size(t) for t in ts}, -np.inf, 2) for ts in by_cs.values()]
    rows += [({xi[t]: -1, zi[t[:2]]: 1}, 0, np.inf) for t in half]
    for c, ci in enumerate(p.clinicians):
        w = ci.working_weeks
        mine = [t for t in trip if t[0] == c]
        rows.append(({zi[cs]: 1 for cs in zi if cs[0] == c}, -np.inf, 1))  # one slot on alternate weeks
        rows.append(({xi[t]: annual(t) for t in mine}, -np.inf, ci.annual_target + w * ci.apa_cap))
        spa = {xi[t]: annual(t) for t in mine if p.activities[t[2]].category == "SPA"}
        rows.append((spa, ci.spa_floor * w, ci.spa_ceiling))
        for category, held in ci.roles:
            cells = {xi[t]: annual(t) for t in mine if p.activities[t[2]].category == category}
            rows.append((cells, held, held))
        if ci.out_of_hours_share is not None:
            share = ci.out_of_hours_share
            coefs = {xi[t]: share.denominator * annual(t) for t in mine if p.slots[t[1]].premium}
            rows.append((coefs, -np.inf, share.numerator * w * (ci.contracted + ci.apa_cap)
                         - share.denominator * w * ci.oncall))
        for s, slot in enumerate(p.slots):
            nxt = p.next_morning(s) if slot.period == "EVE" else None
            if nxt is not None:
                rows.append(({xi[t]: size(t) for t in mine if t[1] in (s, nxt)}, -np.inf, 2))
        if ci.max_sessions_per_day is not None:
            for slots in p.day_slots().values():
                day = {xi[t]: 1 for t in mine if t[1] in slots and len(t) == 3}
                day |= {zi[(c, s)]: 1 for s in slots if (c, s) in zi}
                rows.append((day, -np.inf, ci.max_sessions_per_day))
    for c, s in p.locked:
        key = (c, s, p.current[(c, s)])
        if key in xi:
            rows.append(({xi[key]: 1}, 1, 1))
    for (room, s), cap in p.rooms.items():
        in_room = {xi[t]: size(t) for t in trip if t[1] == s and p.activities[t[2]].room_type == room}
        rows.append((in_room, -np.inf, 2 * cap))
    rows += [({xi[t]: 1 for t in weekly if t[1] == r.s and t[2] == r.a}, r.min_clinicians, np.inf)
             for r in p.fixed_slots]
    rows += [({xi[t]: 1 for t in weekly if t[2] == r.a}, r.sessions, np.inf) for r in p.fixed_weekly]
    rows += [({xi[t]: 1 for t in trip if t[0] == c and t[2] == a}, -np.inf, cap)
             for (c, a), cap in p.skill_caps.items()]
    for a in acts:
        coefs = {xi[t]: weeks(t) for t in trip if t[2] == a}
        rows.append(({**coefs, mi[a]: 1}, p.activities[a].demand, np.inf))
        if a in fi:
            rows.append(({**coefs, fi[a]: 1}, p.activities[a].floor, np.inf))
    matrix = lil_matrix((len(rows), n))
    for r, (coefs, _, _) in enumerate(rows):
        for j, v in coefs.items():
            matrix[r, j] = v
    lower = np.array([lo for _, lo, _ in rows], dtype=float)
    upper = np.array([hi for _, _, hi in rows], dtype=float)
    integrality = np.r_[np.ones(base), np.zeros(len(acts) + len(floors))]
    bounds = Bounds(np.zeros(n), np.r_[np.ones(base), np.full(len(acts) + len(floors), np.inf)])
    out: dict[str, Any] = {}
    a_csr = matrix.tocsr()
    for name in ("routine_floor", "unmet_rapid_access", "unmet_routine"):
        cost = np.zeros(n)
        if name == "routine_floor":
            for a in floors:
                cost[fi[a]] = 1
        else:
            for a in acts:
                if p.activities[a].rapid_access == (name == "unmet_rapid_access"):
                    cost[mi[a]] = p.activities[a].priority
        t0 = time.perf_counter()
        res = milp(cost, constraints=LinearConstraint(a_csr, lower, upper), integrality=integrality,
                   bounds=bounds, options={"time_limit": time_limit_s, "mip_rel_gap": 0})
        out[name] = {"status": res.message, "objective": None if res.x is None else round(res.fun, 3)
                     / p.week_scale, "seconds": round(time.perf_counter() - t0, 2)}
        if res.x is None:
            break
        from scipy.sparse import vstack

        a_csr = vstack([a_csr, cost.reshape(1, -1)]).tocsr()
        lower, upper = np.r_[lower, -np.inf], np.r_[upper, res.fun + 1e-6]
    return out


def solve_one(args: tuple[PlanningPack, int, int, float, bool]) -> dict[str, Any]:
    """Plan one pack; return timings per level (run in a worker process)."""
    pack, seed, workers, limit, deterministic = args
    requirements, source = requirements_for(pack)
    t0 = time.perf_counter()
    plan = plan_allocation(pack, requirements, time_limit_s=limit, seed=seed, workers=workers,
                           deterministic=deterministic, raise_on_failure=False)
    total = time.perf_counter() - t0
    violations = check_plan(pack, plan.tables, requirements, None, plan.summary.purchased_sessions,
                            plan.summary) if plan.result.solution else ["no plan"]
    return {"name": pack.settings.name, "clinicians": len(pack.clinicians), "status": plan.status.value,
            "seconds": round(total, 2), "violations": len(violations), "requirements": source,
            "levels": [(lv.name, lv.status.value, lv.objective, lv.bound, round(lv.gap or 0.0, 5),
                        round(lv.seconds, 2)) for lv in plan.result.levels]}


def bench_service(seed: int, workers: int, limit: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        from capacity_planner.pack.samples import generate_sample

        pack = cp.read_pack(generate_sample("service", seed, Path(tmp) / "service"))
    for deterministic in (True, False):
        r = solve_one((pack, seed, workers, limit, deterministic))
        print(f"service seed={seed} workers={workers} deterministic={deterministic}: {r['status']} in "
              f"{r['seconds']} s, {r['clinicians']} clinicians, checker violations {r['violations']}, "
              f"requirements {r['requirements']}")
        for lv in r["levels"]:
            print(f"   {lv[0]:20s} {lv[1]:9s} objective {lv[2]} bound {lv[3]} gap {lv[4]} {lv[5]} s")
    requirements, _ = requirements_for(pack)
    highs = highs_unmet(build_problem(pack, requirements))
    print("   HiGHS (scipy.optimize.milp), same model, unmet levels:", highs)


def bench_trust(seed: int, workers: int, limit: float) -> None:
    """The trust pack through the library: plan_allocation splits it into independent parts
    (:mod:`capacity_planner.solver.decompose`) and solves them in ``workers`` processes."""
    with tempfile.TemporaryDirectory() as tmp:
        from capacity_planner.pack.samples import generate_sample

        t0 = time.perf_counter()
        pack = cp.read_pack(generate_sample("trust", seed, Path(tmp) / "trust"))
        print(f"trust pack generated and read in {time.perf_counter() - t0:.1f} s")
    requirements, _ = requirements_for(pack)
    t0 = time.perf_counter()
    plan = plan_allocation(pack, requirements, time_limit_s=limit, seed=seed, workers=workers,
                           raise_on_failure=False)
    total = time.perf_counter() - t0
    parts = plan.summary.parts or []
    statuses = pd.Series([p["status"] for p in parts] or [plan.status.value]).value_counts().to_dict()
    slowest = max(parts, key=lambda p: p["seconds"]) if parts else {"seconds": plan.result.solve_seconds}
    print(f"trust: {len(parts)} parts, {len(pack.clinicians)} clinicians, {total:.1f} s wall on {workers} "
          f"processes (1 CP-SAT worker each); statuses {statuses}; joined plan {plan.status.value} and "
          f"checked; slowest part {slowest['seconds']} s; sum of part times "
          f"{sum(p['seconds'] for p in parts):.1f} s")
    gaps = [g for p in parts for g in p["gap"].values() if g is not None]
    print(f"   largest gap at the limit: {max(gaps) if gaps else 0}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", choices=["service", "trust", "both"], default="both")
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--time-limit", type=float, default=60.0)
    args = ap.parse_args()
    if args.size in ("service", "both"):
        bench_service(args.seed, args.workers, args.time_limit)
    if args.size in ("trust", "both"):
        bench_trust(args.seed, args.workers, args.time_limit)


if __name__ == "__main__":
    main()
