"""Allocation of clinicians' weekly sessions with CP-SAT (the only package that imports ortools).

Entry points::

    from capacity_planner.solver import plan_allocation, check_plan
    plan = plan_allocation(pack, requirements, time_limit_s=30, seed=0, workers=2)

The solver writes no files: :mod:`capacity_planner.outputs` writes a plan's tables.

Lower level: :func:`build_problem` (integerised view), :func:`solve` (lexicographic CP-SAT solve returning
a :class:`Result`), :func:`check_plan` (independent checker), :func:`explain_infeasible`,
:func:`gap_reasons`.
"""

from capacity_planner.solver.checker import check_plan
from capacity_planner.solver.explain import explain_infeasible, presolve_reasons
from capacity_planner.solver.gaps import gap_reasons
from capacity_planner.solver.options import Allowances, Baseline, PurchasedSessions
from capacity_planner.solver.plan import plan_allocation
from capacity_planner.solver.plan_result import PlanResult
from capacity_planner.solver.problem import PA_SCALE, AllocationProblem, build_problem
from capacity_planner.solver.records import WEEK_SCALE, ScalingError
from capacity_planner.solver.result import LevelResult, Result, Solution, SolveStatus
from capacity_planner.solver.solve import solve

__all__ = [
    "PA_SCALE",
    "WEEK_SCALE",
    "AllocationProblem",
    "Allowances",
    "Baseline",
    "LevelResult",
    "PlanResult",
    "PurchasedSessions",
    "Result",
    "ScalingError",
    "Solution",
    "SolveStatus",
    "build_problem",
    "check_plan",
    "explain_infeasible",
    "gap_reasons",
    "plan_allocation",
    "presolve_reasons",
    "solve",
]
