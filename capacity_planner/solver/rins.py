r"""A plan for the ``changes`` level of a large model: RINS from the centre of the LP's optimal face.

Why. On a 160-clinician single service (12,400 variables) the ``changes`` level (sessions changed against
the current job plans) starts from the routine level's plan, ~1,100 sessions changed against an optimum of
~525. HiGHS on the whole level finds its first plan within 5 % of the bound after 41-84 s of one core at one
seed and none in 70 s at two others; CP-SAT and a large-neighbourhood search stay 25 % or more above it after
a minute (docs/benchmarks.md, "Session 16 (helper B)"). A *relaxation-induced neighbourhood search* (RINS:
fix each variable on which a known plan and the LP relaxation agree, solve the rest) reached 5 % in 9-34 s,
but only at one HiGHS seed of three: the simplex stops at one optimal *vertex* among many, chosen by the
seed, and the cells that vertex happens to set decide what is fixed (541 against 595 and 591 on one level).

How. :func:`rins_plan` solves the level's LP relaxation (the previous plan's value as a cutoff row) by HiGHS's
interior-point method *without crossover*: it ends near the analytic centre of the optimal face, in its
relative interior, so a cell it leaves at 0 or 1 takes that value in *every* optimal LP solution, and a cell
some optimal vertices set to 0 and others to 1 stays fractional. No vertex is chosen, and the point does not
depend on HiGHS's random seed. Every cell (:math:`x` or :math:`h` variable) at which that point is within
:data:`INTEGRAL_TOLERANCE` of the previous level's plan is fixed at it; HiGHS solves the rest (its default
threads, the previous plan's value as cutoff, a node limit, a gap stop, the wall clock a safety net); a second
round fixes the cells at which the same point agrees with the first round's plan. Measured on the
160-clinician ``changes`` levels of two packs at HiGHS seeds 0, 1, 2 (docs/benchmarks.md, "Session 17 (helper
D)"): 528 (optimum 525) at all three seeds on one, 531 (optimum 511) at all three on the other, where the
vertex RINS gave 541/595/591 and 549/596/588; fixing only cells on which the current job plans agree too left
the second level without a plan in 40 s at two seeds.

The plan is checked by CP-SAT (:func:`capacity_planner.solver.solve._previous_plan`, every rule of the model)
before it is used; this module only proposes values.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any, NamedTuple

import numpy as np

from capacity_planner.solver.milp import Milp, cutoff_rows, highspy_model

INTEGRAL_TOLERANCE = 1e-3
"""A cell of the interior-point solution within this of 0 or 1 counts as set there. On the captured
160-clinician levels the cells are either within 1e-6 of an integer or more than 1e-3 from one (2,997 and
2,949 fractional at both thresholds); with a tolerance of 0.1 (cells where the previous and current plans
agree) one level's restricted optimum was 599 against 531 (docs/benchmarks.md, "Session 17 (helper D)")."""


RESTRICTED_GAP = 0.02
"""A restricted MIP stops once its plan is within this of its own bound (HiGHS's MIP-interrupt callback: its
root's separation can run on for 40 s after the plan is found, ignoring node and time limits;
docs/benchmarks.md, "Session 17 (helper D)"). A fact of the search, not of the clock: the plan does not depend
on the machine."""


class RinsAnswer(NamedTuple):
    """What :func:`rins_plan` returns: ``values`` one integer per column (None when HiGHS found no plan better
    than the cutoff), ``value`` its objective; per round, ``fixed`` the cells fixed, ``found`` the value
    reached (None if none), ``nodes`` the restricted MIP's branch-and-bound nodes and ``seconds`` its wall
    clock (the LP's included in the first); ``lp_iterations`` the interior-point iterations; ``time_stopped``
    True when the wall clock, not the node limit, the gap or a proof, ended a round (the plan then depends on
    the machine's speed)."""

    values: list[int] | None
    value: float | None
    fixed: tuple[int, ...]
    found: tuple[float | None, ...]
    nodes: tuple[int, ...]
    seconds: tuple[float, ...]
    lp_iterations: int
    time_stopped: bool


def centre_of_lp(m: Milp, cutoff: float | None, seconds: float) -> tuple[np.ndarray | None, int]:
    """The LP relaxation of ``m`` (with the row objective <= ``cutoff``) solved by HiGHS's interior-point
    method without crossover (HiGHS's default threads): a point near the analytic centre of the optimal face.

    Parameters
    ----------
    m : Milp
        The level as a mixed-integer program (:func:`capacity_planner.solver.milp.to_milp`).
    cutoff : float or None
        A value a known plan reaches.
    seconds : float
        Wall-clock safety net.

    Returns
    -------
    tuple of (ndarray or None, int)
        The point (one value per column; None unless HiGHS reports it optimal) and the interior-point
        iterations.
    """
    import highspy

    h = highspy_model(m, cutoff_rows(m, cutoff))
    # presolve off: it would fix some columns at one of their optimal values (a vertex's choice); on the
    # captured 160-clinician levels the same cells are fixed either way, in 37-40 iterations against 41
    # no "threads" option: HiGHS's thread pool is global to the process, and a run asking for another count
    # than the first HiGHS run of the process (milp.py's, at HiGHS's default) fails with kError
    for key, value in {"solve_relaxation": True, "solver": "ipm", "run_crossover": "off", "presolve": "off",
                       "time_limit": max(0.1, float(seconds))}.items():
        h.setOptionValue(key, value)
    h.run()
    iterations = int(h.getInfo().ipm_iteration_count)
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None, iterations
    return np.asarray(h.getSolution().col_value, dtype=float), iterations


def _restricted(m: Milp, reference: np.ndarray, agree: np.ndarray, cutoff: float, *, seed: int,
                seconds: float, nodes: int) -> tuple[np.ndarray | None, float | None, int, bool]:
    """HiGHS on ``m`` with the columns ``agree`` fixed at ``reference`` and the row objective <= ``cutoff``
    - 1 (objectives are integers: only a better plan), default threads: its plan (None if none), value,
    nodes, and whether its time limit stopped it."""
    import highspy

    lb, ub = m.lb.copy(), m.ub.copy()
    lb[agree] = ub[agree] = reference[agree]
    restricted = dataclasses.replace(m, lb=lb, ub=ub)
    h = highspy_model(restricted, cutoff_rows(restricted, cutoff - 1.0))
    for key, value in {"time_limit": max(0.1, seconds), "mip_rel_gap": RESTRICTED_GAP,
                       "random_seed": seed, "mip_max_nodes": int(nodes)}.items():
        h.setOptionValue(key, value)

    def close_enough(kind: int, message: str, out: Any, into: Any, user: Any) -> None:
        primal, dual = out.mip_primal_bound, out.mip_dual_bound
        if abs(primal) < highspy.kHighsInf and primal - dual <= RESTRICTED_GAP * abs(primal):
            into.user_interrupt = True

    h.setCallback(close_enough, None)
    h.startCallback(highspy.cb.HighsCallbackType.kCallbackMipInterrupt)
    h.run()
    info = h.getInfo()
    stopped = h.getModelStatus() == highspy.HighsModelStatus.kTimeLimit
    if info.primal_solution_status != 2:  # kSolutionStatusFeasible: HiGHS holds a plan
        return None, None, int(info.mip_node_count), stopped
    values = np.round(np.asarray(h.getSolution().col_value, dtype=float))
    return values, float(info.objective_function_value) + m.offset, int(info.mip_node_count), stopped


def rins_plan(m: Milp, previous: list[int], cells: list[int], cutoff: float, *, seed: int, seconds: float,
              nodes: int, rounds: int = 2) -> RinsAnswer:
    """RINS from the centre of the LP's optimal face (see the module's notes), in ``rounds`` rounds: the
    first fixes the cells on which the centre and ``previous`` agree, each later one those on which the
    centre and the last round's plan agree (the same LP, a new reference: on the captured 160-clinician level
    where the first round stopped at 542, the second reached 531).

    Parameters
    ----------
    m : Milp
        The level as a mixed-integer program.
    previous : list of int
        The previous level's plan, one value per column (feasible for ``m``, at ``cutoff``).
    cells : list of int
        Column indices of the cells (the variables that may be fixed).
    cutoff : float
        ``previous``'s objective value: only a better plan is returned.
    seed : int
        HiGHS ``random_seed`` of the restricted MIPs.
    seconds : float
        Wall-clock safety net for the LP and the restricted MIPs together.
    nodes : int
        Branch-and-bound node limit of each restricted MIP.
    rounds : int
        Restricted MIPs at most (fewer when one finds no better plan).

    Returns
    -------
    RinsAnswer
        The plan found (if any) and the counts.
    """
    began = time.perf_counter()
    x, lp_iterations = centre_of_lp(m, cutoff, seconds)
    if x is None:
        return RinsAnswer(None, None, (), (), (), (), lp_iterations, time.perf_counter() - began >= seconds)
    index = np.asarray(cells, dtype=int)
    reference, value = np.asarray(previous, dtype=float), None
    fixed: list[int] = []
    found: list[float | None] = []
    counts: list[int] = []
    times: list[float] = []
    stopped, mark = False, began
    for _ in range(rounds):
        left = seconds - (time.perf_counter() - began)
        if left < 0.1:
            stopped = True
            break
        agree = index[np.abs(x[index] - reference[index]) <= INTEGRAL_TOLERANCE]
        plan, reached, n_nodes, timed = _restricted(m, reference, agree, cutoff, seed=seed, seconds=left,
                                                    nodes=nodes)
        fixed.append(len(agree))
        found.append(reached)
        counts.append(n_nodes)
        times.append(time.perf_counter() - mark)
        mark = time.perf_counter()
        stopped = stopped or timed
        if plan is None or reached is None:
            break
        reference, value, cutoff = plan, reached, reached
    values = None if value is None else [int(v) for v in reference]
    seconds_used = tuple(round(t, 1) for t in times)
    return RinsAnswer(values, value, tuple(fixed), tuple(found), tuple(counts), seconds_used, lp_iterations,
                      stopped)
