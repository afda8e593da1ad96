"""One pack (or one part of a split pack) solved as a single model into a
:class:`~capacity_planner.solver.plan_result.PlanResult`: build the problem, solve it, its tables, gap
reasons and summary; no checker, no raising (:func:`capacity_planner.solver.plan.plan_allocation` does
both)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from capacity_planner.solver.gaps import gap_reasons
from capacity_planner.solver.plan_result import PlanResult, build_summary
from capacity_planner.solver.problem import build_problem
from capacity_planner.solver.solve import Progress, solve
from capacity_planner.solver.tables import empty_tables, kpis, plan_tables

if TYPE_CHECKING:
    from capacity_planner.demand.requirements import Requirements
    from capacity_planner.pack.model import PlanningPack
    from capacity_planner.solver.options import Allowances, Baseline


def plan_one(pack: PlanningPack, requirements: Requirements, limit: float, seed: int, n_workers: int,
             allowances: Allowances | None, progress: Progress | None, deterministic: bool,
             work_limit: float | None, baseline: Baseline | None = None) -> PlanResult:
    """Solve one pack (or one part) as a single model; no checker, no raising."""
    problem = build_problem(pack, requirements, allowances, baseline)
    result = solve(
        problem,
        time_limit_s=limit,
        seed=seed,
        workers=n_workers,
        deterministic=deterministic,
        progress=progress,
        work_limit=work_limit,
    )
    if result.solution is None:
        tables = empty_tables()
        reasons = pd.DataFrame({"activity_id": [], "reason": []})
        extra: dict[str, Any] = {}
    else:
        tables = plan_tables(result.solution)
        reasons = gap_reasons(result.solution)
        extra = kpis(result.solution)
        extra["gap_reasons"] = [f"{r.activity_id}: {r.reason}" for r in reasons.itertuples()]
    extra["notes"] = list(problem.notes)
    return PlanResult(
        pack,
        requirements,
        problem,
        result,
        tables,
        reasons,
        build_summary(pack, result, limit, deterministic, extra, allowances),
    )
