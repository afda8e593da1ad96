"""Lexicographic solve of the allocation model, level by level.

Each level is minimised with the optima of the levels before it fixed as upper bounds
(:math:`f_k(x) \\le f_k^*`), warm-started with the previous level's solution as a complete hint (it is
feasible for the new model, so CP-SAT starts from it). When a time limit stops a level before proving
optimality, the level is fixed to the best value *found*, never to the proven bound: a bound that no plan
reaches would make the next level infeasible.

Determinism. CP-SAT's parallel portfolio shares information between threads as it arrives and is not
reproducible. ``deterministic=True`` (the default) sets ``interleave_search``: the subsolvers run in
batches with synchronisation points, so the search is a function of the model, parameters, seed and
worker count only ("the search is deterministic (independently of num_workers!)", sat_parameters.proto).
With one worker this is a sequential interleaving of the max_lp search and the LNS helpers.
Either way a run that a wall-clock time limit cuts short depends on the machine's speed; runs that end
with every level proven optimal give identical plans for the same inputs, seed and worker count.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from ortools.sat.python import cp_model

from capacity_planner.solver.model import AllocationModel
from capacity_planner.solver.problem import Problem
from capacity_planner.solver.result import LevelResult, Result, Solution, SolveStatus

Progress = Callable[[str, float, float, float], None]
"""progress(level, best objective, bound, elapsed seconds); objective and bound in the level's units."""

_STATUS = {
    cp_model.OPTIMAL: SolveStatus.OPTIMAL,
    cp_model.FEASIBLE: SolveStatus.FEASIBLE,
    cp_model.INFEASIBLE: SolveStatus.INFEASIBLE,
    cp_model.MODEL_INVALID: SolveStatus.MODEL_INVALID,
    cp_model.UNKNOWN: SolveStatus.UNKNOWN,
}


def resolve_workers(workers: int | None) -> int:
    """``workers`` as CP-SAT needs it: 0 or None means every core."""
    return workers if workers and workers > 0 else (os.cpu_count() or 1)


def configure(solver: cp_model.CpSolver, *, seed: int, workers: int, time_limit_s: float,
              deterministic: bool = True) -> None:
    """Set CP-SAT parameters: seed, workers, wall-clock limit, deterministic parallel search."""
    prm = solver.parameters
    prm.random_seed = int(seed)
    prm.num_workers = int(workers)
    prm.max_time_in_seconds = max(0.01, float(time_limit_s))
    # The LP of every rule (level 2: Boolean-only rows such as rooms, SPA and rounding cuts included) is
    # what proves the unmet-demand levels; the default level-1 relaxation leaves them out and its bound
    # stalls ~30 % below the optimum on a 40-clinician service. With few workers, run the max_lp
    # full-problem subsolver (plus the LNS helpers) rather than the default portfolio.
    prm.linearization_level = 2
    if workers <= 4:
        prm.subsolvers.append("max_lp")
    if deterministic:
        prm.interleave_search = True  # deterministic batches; with 1 worker a sequential interleaving


class _Callback(cp_model.CpSolverSolutionCallback):
    def __init__(self, name: str, scale: int, progress: Progress, start: float):
        super().__init__()
        self.name, self.scale, self.progress, self.start = name, scale, progress, start

    def on_solution_callback(self) -> None:
        self.progress(self.name, self.objective_value / self.scale, self.best_objective_bound / self.scale,
                      time.perf_counter() - self.start)


def solve(problem: Problem, *, time_limit_s: float = 60.0, seed: int = 0, workers: int | None = 1,
          deterministic: bool = True, progress: Progress | None = None, explain: bool = True) -> Result:
    """Solve ``problem`` lexicographically.

    Parameters
    ----------
    problem : Problem
        From :func:`~capacity_planner.solver.problem.build_problem`.
    time_limit_s : float
        Wall-clock budget for all levels, seconds. Each level may use half of what is left (the last one
        all of it); time a level does not use passes on.
    seed : int
        CP-SAT ``random_seed``.
    workers : int or None
        CP-SAT workers; 0 or None = every core.
    deterministic : bool
        Use CP-SAT's deterministic interleaved search when ``workers > 1``.
    progress : callable, optional
        Called on each improving solution with (level, objective, bound, elapsed seconds).
    explain : bool
        When infeasible, compute the plain-language reasons (:mod:`capacity_planner.solver.explain`).
    """
    from capacity_planner.solver.explain import explain_infeasible, presolve_reasons

    start = time.perf_counter()
    n_workers = resolve_workers(workers)
    reasons = presolve_reasons(problem)
    if reasons:
        return Result(SolveStatus.INFEASIBLE, (), None, time.perf_counter() - start, tuple(reasons), seed,
                      n_workers)
    model = AllocationModel(problem)
    levels: list[LevelResult] = []
    solution: Solution | None = None
    hint: list[tuple[cp_model.IntVar, int]] | None = None
    pending = [lv.name for lv in model.levels if not lv.trivial] or [model.levels[0].name]  # >= 1 solve
    for level in model.levels:
        t0 = time.perf_counter()
        if level.name not in pending:
            value = int(level.expr) if isinstance(level.expr, int) else 0
            levels.append(LevelResult(level.name, SolveStatus.OPTIMAL, value / level.scale,
                                      value / level.scale, value, float(value), 0.0, 0.0, level.unit))
            continue
        remaining = time_limit_s - (time.perf_counter() - start)
        pending.remove(level.name)
        if remaining <= 0.01 and solution is not None:
            levels.append(LevelResult(level.name, SolveStatus.UNKNOWN, None, None, None, None, None, 0.0,
                                      level.unit))
            continue
        budget = remaining if not pending else remaining / 2
        model.cp.minimize(level.expr)
        if hint is not None:
            model.set_hint(hint)
        solver = cp_model.CpSolver()
        configure(solver, seed=seed, workers=n_workers, time_limit_s=budget, deterministic=deterministic)
        callback = _Callback(level.name, level.scale, progress, start) if progress else None
        status = _STATUS[solver.solve(model.cp, callback)]
        seconds = time.perf_counter() - t0
        if status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
            value = round(solver.objective_value)
            bound = solver.best_objective_bound
            gap = (value - bound) / max(1.0, abs(value))
            levels.append(LevelResult(level.name, status, value / level.scale, bound / level.scale, value,
                                      bound, max(0.0, gap), seconds, level.unit))
            hint = model.values(solver)
            solution = model.solution_from(solver)
            model.cp.add(level.expr <= value)
            continue
        levels.append(LevelResult(level.name, status, None, None, None, None, None, seconds, level.unit))
        if solution is None:  # the first solved level found nothing: infeasible, unknown or invalid
            why: tuple[str, ...] = ()
            if status is SolveStatus.INFEASIBLE and explain:
                why = tuple(explain_infeasible(problem, time_limit_s=max(1.0, remaining - seconds)))
            return Result(status, tuple(levels), None, time.perf_counter() - start, why, seed, n_workers)
    overall = SolveStatus.OPTIMAL if all(lv.status is SolveStatus.OPTIMAL for lv in levels) \
        else SolveStatus.FEASIBLE
    assert solution is not None
    return Result(overall, tuple(levels), solution, time.perf_counter() - start, (), seed, n_workers)
