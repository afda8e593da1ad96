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
:data:`INTEGRAL_TOLERANCE` of the previous level's plan is fixed at it; HiGHS solves the rest (one thread, the
previous plan's value as cutoff, a node limit, the wall clock a safety net). Measured on the 160-clinician
``changes`` levels of two packs at HiGHS seeds 0, 1, 2 (docs/benchmarks.md, "Session 17 (helper D)"): 528
(optimum 525) at all three seeds on one, 531-532 (best known 531, bound 511) at all three on the other,
where the vertex RINS gave 541/595/591 and 549/596/588.

The plan is checked by CP-SAT (:func:`capacity_planner.solver.solve._previous_plan`, every rule of the model)
before it is used; this module only proposes values.
"""

from __future__ import annotations

import dataclasses
import time
from typing import NamedTuple

import numpy as np

from capacity_planner.solver.milp import Milp, cutoff_rows, highspy_model

INTEGRAL_TOLERANCE = 1e-3
"""A cell of the interior-point solution within this of 0 or 1 counts as set there. On the captured
160-clinician levels the cells are either within 1e-6 of an integer or more than 1e-3 from one (2,997 and
2,949 fractional at both thresholds); fixing also the cells within 0.1 of the previous plan gave 599 against
531 (docs/benchmarks.md, "Session 17 (helper D)")."""


class RinsAnswer(NamedTuple):
    """What :func:`rins_plan` returns: ``values`` one integer per column (None when HiGHS found no plan better
    than the cutoff), ``value`` its objective, ``fixed`` the number of cells fixed, ``lp_iterations`` the
    interior-point iterations, ``nodes`` the restricted MIP's branch-and-bound nodes, and ``time_stopped``
    True when the wall clock, not the node limit or a proof, ended the restricted MIP (the plan then
    depends on the machine's speed)."""

    values: list[int] | None
    value: float | None
    fixed: int
    lp_iterations: int
    nodes: int
    time_stopped: bool


def centre_of_lp(m: Milp, cutoff: float | None, seconds: float) -> tuple[np.ndarray | None, int]:
    """The LP relaxation of ``m`` (with the row objective <= ``cutoff``) solved by HiGHS's interior-point
    method without crossover, one thread: a point near the analytic centre of the optimal face.

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
    for key, value in {"solve_relaxation": True, "solver": "ipm", "run_crossover": "off", "presolve": "off",
                       "threads": 1, "time_limit": max(0.1, float(seconds))}.items():
        h.setOptionValue(key, value)
    h.run()
    iterations = int(h.getInfo().ipm_iteration_count)
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None, iterations
    return np.asarray(h.getSolution().col_value, dtype=float), iterations


def rins_plan(m: Milp, previous: list[int], cells: list[int], cutoff: float, *, seed: int, seconds: float,
              nodes: int) -> RinsAnswer:
    """RINS from the centre of the LP's optimal face (see the module's notes).

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
        HiGHS ``random_seed`` of the restricted MIP.
    seconds : float
        Wall-clock safety net for the LP and the restricted MIP together.
    nodes : int
        Branch-and-bound node limit of the restricted MIP.

    Returns
    -------
    RinsAnswer
        The plan found (if any) and the counts.
    """
    import highspy

    began = time.perf_counter()
    x, lp_iterations = centre_of_lp(m, cutoff, seconds)
    if x is None:
        return RinsAnswer(None, None, 0, lp_iterations, 0, time.perf_counter() - began >= seconds)
    index = np.asarray(cells, dtype=int)
    reference = np.asarray(previous, dtype=float)
    agree = index[np.abs(x[index] - reference[index]) <= INTEGRAL_TOLERANCE]
    lb, ub = m.lb.copy(), m.ub.copy()
    lb[agree] = ub[agree] = reference[agree]
    restricted = dataclasses.replace(m, lb=lb, ub=ub)
    left = seconds - (time.perf_counter() - began)
    if left < 0.1:
        return RinsAnswer(None, None, len(agree), lp_iterations, 0, True)
    h = highspy_model(restricted, cutoff_rows(restricted, cutoff - 1.0))  # strictly better than the cutoff
    for key, value in {"time_limit": left, "mip_rel_gap": 0.0, "threads": 1, "random_seed": seed,
                       "mip_max_nodes": int(nodes)}.items():
        h.setOptionValue(key, value)
    h.run()
    info = h.getInfo()
    stopped = h.getModelStatus() == highspy.HighsModelStatus.kTimeLimit
    if info.primal_solution_status != 2:  # kSolutionStatusFeasible: HiGHS holds a plan
        return RinsAnswer(None, None, len(agree), lp_iterations, int(info.mip_node_count), stopped)
    values = [round(float(v)) for v in h.getSolution().col_value]
    return RinsAnswer(values, float(info.objective_function_value) + m.offset, len(agree), lp_iterations,
                      int(info.mip_node_count), stopped)
