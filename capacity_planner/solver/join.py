"""Solve the independent parts of a pack in parallel and join their plans into one (issue 16).

Each part is solved by :func:`~capacity_planner.solver.plan.plan_allocation`'s single-model path with one
CP-SAT worker, the same seed, time limit and work limit, in a process pool of ``workers`` processes. A part's
plan depends only on its own inputs, so the joined plan is the same whether the parts run one after another
or side by side (exactly so when every part is proven optimal or stopped by the work limit; see
docs/method.md, "Allocation: decomposition").

Joining (lexicographic objectives over independent parts): for levels :math:`f_1, f_2, \\dots` and parts
:math:`i`, :math:`\\min \\sum_i f_{1,i} = \\sum_i \\min f_{1,i}`, and fixing :math:`\\sum_i f_{1,i}` at that
least value forces every :math:`f_{1,i}` to its own least value, so level by level the joined optimum is the
sum of the parts' optima. The summary reports each level's objective and bound as sums over the parts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import TYPE_CHECKING, Any

import pandas as pd

from capacity_planner.demand.requirements import Requirements
from capacity_planner.pack.model import PlanningPack
from capacity_planner.solver.decompose import Part
from capacity_planner.solver.options import Allowances
from capacity_planner.solver.result import LevelResult, Result, SolveStatus

if TYPE_CHECKING:
    from capacity_planner.solver.plan import PlanResult

PartProgress = Callable[[int, int, dict[str, Any]], None]
"""part_progress(parts done, parts in all, that part's line: name, clinicians, status, seconds...)."""

# Worst first: the joined status is the worst of the parts'.
_SEVERITY = (SolveStatus.MODEL_INVALID, SolveStatus.INFEASIBLE, SolveStatus.UNKNOWN, SolveStatus.FEASIBLE,
             SolveStatus.OPTIMAL)
_NUMERIC_KPIS = ("unmet_sessions_per_year", "unmet_dcc_hours_per_year", "annual_cost", "additional_pas",
                 "unassigned_pas", "changed_sessions", "clinicians_affected")
# Row order of the joined tables: the pack's order of the id in this column (stable within it).
_ORDER_BY = {"allocation": "clinician_id", "gaps": "activity_id", "clinicians": "clinician_id",
             "changes": "clinician_id"}


def worst_status(statuses: list[SolveStatus]) -> SolveStatus:
    """The most severe status (model_invalid > infeasible > unknown > feasible > optimal)."""
    return min(statuses, key=_SEVERITY.index)


def _solve_part(args: tuple[PlanningPack, Requirements, float, int, Allowances | None, bool, float | None],
                ) -> PlanResult:
    from capacity_planner.solver.plan import _plan_one

    pack, requirements, limit, seed, allowances, deterministic, work_limit = args
    return _plan_one(pack, requirements, limit, seed, 1, allowances, None, deterministic, work_limit)


def part_line(part: Part, plan: PlanResult) -> dict[str, Any]:
    """One part's line for progress and summary.json ``parts``."""
    return {"name": part.name, "clinicians": len(part.clinician_ids), "activities": len(part.activity_ids),
            "status": plan.status.value, "seconds": round(plan.result.solve_seconds, 3),
            "objective": {lv.name: lv.objective for lv in plan.result.levels},
            "gap": {lv.name: lv.gap for lv in plan.result.levels}}


def solve_parts(parts: list[tuple[Part, PlanningPack, Requirements]], limit: float, seed: int, n_workers: int,
                allowances: Allowances | None, deterministic: bool, work_limit: float | None,
                part_progress: PartProgress | None = None) -> list[PlanResult]:
    """Each part's plan, in part order; up to ``n_workers`` parts at a time in separate processes."""
    args = [(pk, rq, limit, seed, allowances, deterministic, work_limit) for _, pk, rq in parts]
    out: list[PlanResult | None] = [None] * len(parts)

    def done(i: int, plan: PlanResult, n_done: int) -> None:
        out[i] = plan
        if part_progress is not None:
            part_progress(n_done, len(parts), part_line(parts[i][0], plan))

    if n_workers <= 1:
        for i, a in enumerate(args):
            done(i, _solve_part(a), i + 1)
    else:
        with ProcessPoolExecutor(max_workers=min(n_workers, len(parts))) as pool:
            futures = {pool.submit(_solve_part, a): i for i, a in enumerate(args)}
            for n_done, fut in enumerate(as_completed(futures), 1):
                done(futures[fut], fut.result(), n_done)
    return [p for p in out if p is not None]


def _join_levels(plans: list[PlanResult]) -> tuple[LevelResult, ...]:
    """Per level, matched by name: objective and bound summed over the parts (None if any part has none),
    worst status, seconds summed; gap = (objective - bound) / max(1e-9, |objective|), 0 when proven.

    A part can have fewer levels than another (no rapid-access activity, nothing to price): a level a part
    does not have is one it has nothing to minimise in, so it adds 0 to the objective and the bound.
    """
    names: dict[str, LevelResult] = {}
    for plan in plans:
        for lv in plan.result.levels:
            names.setdefault(lv.name, lv)
    out = []
    for name, first in names.items():
        levels = [lv for p in plans for lv in p.result.levels if lv.name == name]
        status = worst_status([lv.status for lv in levels])
        objs = [lv.objective for lv in levels]
        bounds = [lv.bound for lv in levels]
        obj = None if any(v is None for v in objs) else float(sum(v for v in objs if v is not None))
        bound = None if any(v is None for v in bounds) else float(sum(v for v in bounds if v is not None))
        gap = None
        if obj is not None and bound is not None:
            gap = max(0.0, (obj - bound) / max(1e-9, abs(obj))) if obj - bound > 1e-9 else 0.0
        out.append(LevelResult(first.name, status, obj, bound, None, None, gap,
                               sum(lv.seconds for lv in levels), first.unit))
    return tuple(out)


def _join_kpis(plans: list[PlanResult]) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    for key in _NUMERIC_KPIS:
        values = [p.summary.get(key) for p in plans]
        extra[key] = None if any(v is None for v in values) else round(sum(values), 6)  # type: ignore[arg-type]
    extra["cost_breakdown"] = {
        k: round(sum(float(p.summary.get("cost_breakdown", {}).get(k, 0.0)) for p in plans), 2)
        for k in ("additional_pas", "purchased_sessions")}
    bought: dict[str, Any] = {}
    for p in plans:
        bought.update(p.summary.get("purchased_sessions") or {})
    extra["purchased_sessions"] = bought
    for key in ("routine_floor", "gap_reasons"):
        extra[key] = [line for p in plans for line in p.summary.get(key, [])]
    extra["notes"] = [note for p in plans for note in p.summary.get("notes", [])]
    return extra


def _ordered(frame: pd.DataFrame, column: str, order: dict[str, int]) -> pd.DataFrame:
    if frame.empty or column not in frame.columns:
        return frame.reset_index(drop=True)
    key = frame[column].map(order)
    return frame.iloc[key.argsort(kind="stable")].reset_index(drop=True)


def join_plans(pack: PlanningPack, requirements: Requirements, parts: list[Part], plans: list[PlanResult],
               limit: float, n_workers: int, seed: int, deterministic: bool, allowances: Allowances | None,
               wall_seconds: float) -> PlanResult:
    """One plan from the parts' plans (tables in the pack's row order, summary summed per level)."""
    from capacity_planner.solver.plan import PlanResult, _summary
    from capacity_planner.solver.tables import empty_tables

    status = worst_status([p.status for p in plans])
    reasons = tuple(f"{part.name}: {r}" for part, p in zip(parts, plans, strict=True)
                    for r in p.result.reasons)
    result = Result(status, _join_levels(plans), None, wall_seconds, reasons, seed, n_workers,
                    plans[0].result.work_limit, any(p.result.wall_clock_stopped for p in plans))
    clin_order = {c.clinician_id: i for i, c in enumerate(pack.clinicians)}
    act_order = {a.activity_id: i for i, a in enumerate(pack.activities)}
    if status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
        tables = {}
        for name, column in _ORDER_BY.items():
            frame = pd.concat([p.tables[name] for p in plans], ignore_index=True)
            tables[name] = _ordered(frame, column, clin_order if column == "clinician_id" else act_order)
        gap_reasons = _ordered(pd.concat([p.gap_reasons for p in plans], ignore_index=True), "activity_id",
                               act_order)
        extra = _join_kpis(plans)
    else:
        tables = empty_tables()
        gap_reasons = pd.DataFrame({"activity_id": [], "reason": []})
        extra = {"notes": [note for p in plans for note in p.summary.get("notes", [])]}
    extra["parts"] = [part_line(part, p) for part, p in zip(parts, plans, strict=True)]
    summary = _summary(pack, result, limit, deterministic, extra, allowances)
    return PlanResult(pack, requirements, None, result, tables, gap_reasons, summary, tuple(plans))


def plan_parts(pack: PlanningPack, requirements: Requirements,
               parts: list[tuple[Part, PlanningPack, Requirements]], limit: float, seed: int, n_workers: int,
               allowances: Allowances | None, deterministic: bool, work_limit: float | None,
               part_progress: PartProgress | None = None) -> PlanResult:
    """Solve the parts (:func:`solve_parts`) and join them (:func:`join_plans`)."""
    t0 = time.perf_counter()
    plans = solve_parts(parts, limit, seed, n_workers, allowances, deterministic, work_limit, part_progress)
    return join_plans(pack, requirements, [p for p, _, _ in parts], plans, limit, n_workers, seed,
                      deterministic, allowances, time.perf_counter() - t0)
