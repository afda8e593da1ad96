"""Lexicographic solve of the allocation model, level by level.

Each level is minimised with the optima of the levels before it fixed as upper bounds
(:math:`f_k(x) \\le f_k^*`), warm-started with the previous level's solution as a complete hint (it is
feasible for the new model, so CP-SAT starts from it). The unmet-demand levels start without a hint
(:data:`UNHINTED_LEVELS`: their LP relaxation is tight and LP-guided search beats repairing a plan chosen
for another objective). The ``changes`` level is hinted differently: its cells
are hinted with the current job plans instead (the previous plan is usually far from them, and the
search then spent most of the solve walking back; on the service pack 16.6 s became 3.1 s), the other
variables with the previous solution. When a time limit stops a level before proving
optimality, the level is fixed to the best value *found*, never to the proven bound: a bound that no plan
reaches would make the next level infeasible.

A level the previous plan already solves. Before each level is searched, the previous plan is evaluated under
the level's objective (:func:`_previous_plan`); if it reaches the least value the level's expression can take
over its variables' domains (:func:`least_value`: 0 for unmet demand, unassigned time or cost), it is optimal
and the level is closed without a search (on the trust pack most services meet all their demand, so the
routine level is met by the rapid-access plan).

HiGHS as a second solver. The ``changes`` level is first handed to HiGHS (the same model translated exactly,
:mod:`capacity_planner.solver.milp`), and the unmet-demand levels are when CP-SAT leaves them unproven
(:data:`HIGHS_LEVELS`, :data:`HIGHS_AFTER_LEVELS`): with weekday-true supply CP-SAT's bound on the service
pack's ``changes`` level stays at its LP root, where HiGHS's branch-and-bound proves the optimum. Only an
optimum HiGHS proves ends a level, and only after CP-SAT has re-solved it with the cells fixed.

Determinism. CP-SAT's parallel portfolio shares information between threads as it arrives and is not
reproducible. ``deterministic=True`` (the default) sets ``interleave_search``: the subsolvers run in
batches with synchronisation points, so the search is a function of the model, parameters, seed and
worker count only ("the search is deterministic (independently of num_workers!)", sat_parameters.proto).
With one worker this is a sequential interleaving of the max_lp search and the LNS helpers.
A run that a wall-clock time limit cuts short depends on the machine's speed and load; runs that end
with every level proven optimal give identical plans for the same inputs, seed and worker count.

Work limit. ``work_limit`` bounds the search by CP-SAT's *deterministic time* (``max_deterministic_time``)
instead: a count of work done, not seconds elapsed, so a run it cuts short stops at the same point on any
machine under any load, and gives the same plan. One unit is roughly one second of one core on a typical
machine (about 1.3-1.4 s on this project's 2-core benchmark machine; docs/benchmarks.md). The
levels share it as they share a wall-clock limit (half of what is left each, the last all of it). The
wall-clock ``time_limit_s`` still applies as a safety net; set it well above the work limit, since a run
that hits it is no longer reproducible (its summary says so).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import math
import os
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, NamedTuple

from ortools.sat.python import cp_model

from capacity_planner.interrupts import run_stoppable
from capacity_planner.solver.explain import explain_infeasible, presolve_reasons
from capacity_planner.solver.model import AllocationModel
from capacity_planner.solver.objective import level_scale
from capacity_planner.solver.result import LevelResult, Result, Solution, SolveStatus

if TYPE_CHECKING:
    from capacity_planner.solver.objective import Level
    from capacity_planner.solver.problem import AllocationProblem

UNHINTED_LEVELS = frozenset({"unmet_rapid_access", "unmet_routine"})
"""Levels solved without the previous level's plan as a hint. Their LP relaxation is tight (on the service
sample its bound equals the optimum at once), so CP-SAT's LP-guided search finds the optimum sooner on its
own than by repairing a plan that the previous level chose without regard to this level's demand: the
routine level of the service sample took 1.15 deterministic units from the rapid-access plan (first
solution 8,590 against an optimum of 1,719) and 0.78 without it; the rapid-access level 0.15 and 0.07.
With a :class:`~capacity_planner.solver.options.Baseline` (the team meeting's re-plan from the plan on
its screen) these levels are hinted with the baseline's cells instead: that plan met them a moment ago,
so a search cut short by the time limit stays near it (service sample, pin, 0.5 work units: 15 cells
moved and 1,974 unmet session-weeks hinted, against 286 and 4,554 unhinted; docs/benchmarks.md).
The level's rule ``f_k <= f_k*`` keeps the earlier levels' optima either way; if a level stops before
proving its optimum and the previous plan is at least as good under its objective (or it found nothing),
the previous plan stands (fixed and evaluated, :func:`_previous_plan`), so a time limit never leaves a
level worse than the hinted search would have started from."""

HIGHS_LEVELS = frozenset({"changes"})
"""Levels HiGHS is asked first (:mod:`capacity_planner.solver.milp`), with the previous level's plan as a
cutoff, for :data:`HIGHS_SHARE` of the level's time; CP-SAT searches only if HiGHS proves nothing. With
weekday-true supply CP-SAT's bound on the service pack's ``changes`` level stays at its LP root (153)
however long it runs (its first plan comes after ~10 work units), where HiGHS proves the optimum (155)."""
HIGHS_SHARE = 0.85
HIGHS_LEVEL_SHARE = 0.7
"""Share of the time left a level of :data:`HIGHS_LEVELS` may use when levels follow it (others: half)."""
HIGHS_AFTER_LEVELS = frozenset({"unmet_rapid_access", "unmet_routine"})
"""Levels HiGHS is asked *after* CP-SAT, when CP-SAT stops them without a proof: CP-SAT gets
:data:`CPSAT_SHARE` of the level's time, HiGHS the rest
with CP-SAT's value as a cutoff. On a 24-clinician service of the trust pack CP-SAT took 24 units (103 s
loaded) to prove the routine level, HiGHS 16 s; on a 64-clinician one 115 s against 7 s."""
CPSAT_SHARE = 0.15
"""CP-SAT's share of an unmet-demand level when HiGHS may follow. On the service pack (weekly cover on) CP-SAT
reaches 852-920 within ~1 unit and 851 within ~2, then searches on without a proof (8 units at a 40 % share,
20 units in a longer run: the weekly cover rows, docs/benchmarks.md, session 10), while HiGHS proves 849 in
about the same time from a cutoff of 920 as from 852 (and takes 30 times longer with none); the levels CP-SAT
does prove took 0.1-2.3 units. 15 % of the level (~3 units at the default 60 s) keeps those proofs and hands
the rest to HiGHS sooner (it was 40 %)."""
HIGHS_MAX_VARIABLES = 6000
"""HiGHS is asked *first* on a level of :data:`HIGHS_LEVELS` in wall-clock mode only about models of at most
this many variables (the service pack has 3,461, a 64-clinician trust service 4,975), and models above it give
CP-SAT :data:`CPSAT_SHARE_LARGE` of an unmet-demand level instead of :data:`CPSAT_SHARE`. On the
160-clinician single service (12,355) HiGHS first on ``changes`` in a 60 s run proved nothing in its 85 % and
the reported bound fell from CP-SAT's 141-336 to 0 (docs/benchmarks.md, "Session 14 (helper C, round 2)")."""
HIGHS_AFTER_MAX_VARIABLES = 20_000
"""HiGHS is asked *after* CP-SAT (:data:`HIGHS_AFTER_LEVELS`) about models of at most this many variables, in
both modes. On the 160-clinician service (12,355) it took the routine level of a 60 s run from 1,614 (CP-SAT
alone, bound 872) to 897-904 (optimum 892) whenever the run had at least one core, and under a work limit of
45 units from 1,606 to 893 (docs/benchmarks.md, sessions 13-15). Starved of CPU it found nothing in its share
(a 12,648 plan kept, bound 0): in wall-clock mode a model above :data:`HIGHS_MAX_VARIABLES` is handed to
HiGHS only when the run has had CPU enough so far (:data:`HIGHS_AFTER_MIN_CORES`)."""
CPSAT_SHARE_LARGE = 0.3
"""CP-SAT's share of an unmet-demand level when HiGHS may follow, for models above :data:`HIGHS_MAX_VARIABLES`
(:data:`CPSAT_SHARE` below it, unchanged). On the 160-clinician service 0.3 left the routine level at 897-904
against 892, 0.5 at 904 (docs/benchmarks.md, "Session 14 (helper C, round 2)"); CP-SAT's plan is HiGHS's
cutoff."""
HIGHS_AFTER_MIN_CORES = 0.75
"""Wall-clock mode, models above :data:`HIGHS_MAX_VARIABLES`: an unmet-demand level is split between CP-SAT
and HiGHS only when the run has had at least this many cores since its time limit started (process CPU
seconds over wall seconds, :func:`cpu_cores`, measured as the level starts); below it CP-SAT keeps the whole
level in one search, as before session 15. On the 160-clinician service (seed 0) a run at 0.665 lost every
level to the split (routine 12,648 with bound 0, where CP-SAT alone at 0.64 reached 3,916 / 863); runs at
0.85-0.99 gained (seed 1: 351-409 against a bound of 343, CP-SAT alone 591-1,047); the first seconds of a
run are about one thread, 0.99 on a free core. Not applied under a work limit (the plan would depend on the
load) nor to smaller models. Checking after CP-SAT's share instead, and re-starting CP-SAT for the
rest when starved, was tried and rejected (docs/benchmarks.md, "Session 15 (helper B)")."""
HIGHS_FIRST_MAX_VARIABLES = 20_000
"""The limit for HiGHS *first* on a level of :data:`HIGHS_LEVELS` (``changes``) under a work limit (in
wall-clock mode :data:`HIGHS_MAX_VARIABLES` applies). Under a work limit of 45 units HiGHS proves the
160-clinician service's ``changes`` level (196) where CP-SAT alone stopped at 1,119 against a bound of 141; in
a 60 s wall-clock run on a loaded machine (a third of a core) it proved nothing in its 24 s, the solve ran
12 s over its limit and the fairness level was not reached, so wall-clock runs keep the old limit until
measured on a quiet machine (docs/benchmarks.md, "Session 13 (helper E)")."""
HIGHS_MIN_SECONDS = 4.0
"""HiGHS is not asked when its share of a level would be shorter than this (wall-clock mode): in a part of a
trust given ~2 s, splitting a level would only take time from CP-SAT."""
HIGHS_FIRST_MIN_SECONDS = HIGHS_MIN_SECONDS
"""The same threshold for HiGHS *first* on a level of :data:`HIGHS_LEVELS` (wall-clock mode), kept separate
so it can be measured on its own (session 11, docs/benchmarks.md "HiGHS on trust parts")."""
HIGHS_MIP_START = False
"""Hand HiGHS the plan behind its cutoff as a MIP start (needs :mod:`highspy`; :func:`_highs_level`). Off:
measured in session 11 (docs/benchmarks.md) it proved the service sample's ``changes`` level in 12-35 nodes
at five seeds where HiGHS without it took 32-281 (two seeds unproven in 60 s), but it made HiGHS slower
on the same level of Rheumatology (3 of 5 seeds, e.g. 742 nodes against 1) and of Diabetes and
endocrinology at one seed of two (left at the start's 279 in 90 s where HiGHS alone reached 181; at the
other 353 nodes against 730) in the trust pack: not better on every model, so the default is unchanged."""
HIGHS_NODES_PER_UNIT = 50
"""With a work limit, HiGHS stops after this many branch-and-bound nodes per work unit of the level (a
count, so the plan does not depend on the machine's speed); the wall clock is its safety net."""

RINS_LEVELS: frozenset[str] = frozenset()
"""Levels of models above :data:`HIGHS_MAX_VARIABLES` that, under a work limit, first look for a better plan
than the previous level's by RINS from the centre of the LP's optimal face
(:mod:`capacity_planner.solver.rins`); a plan found (checked by CP-SAT) replaces the previous plan as the
level's starting plan, HiGHS-first's cutoff and the plan that stands if nothing better is found. **None by
default** (``{"changes"}`` turns it on). On the 160-clinician service's ``changes`` level (two packs) it gave
528 (optimum 525) and 531 (optimum 511) at HiGHS seeds 0, 1 and 2, from 1,104 and 1,092, where RINS from an
LP vertex gave 541-595 and 549-596; but it took 22-28 s and 27-116 s of a shared core, more than the level has
in a 60 s run, and under a work limit of 45 HiGHS-first alone already proves 525 (the level 102.7 s without
RINS, 116.2 s with it, load ~4; docs/benchmarks.md, "Session 17 (helper D)"). Kept, tested, for the 60 s
command's next split."""
RINS_NODES = 20
"""Branch-and-bound node limit of each of RINS's restricted MIPs (a count: the plan does not depend on the
machine's speed). On the captured levels they stopped (2 % gap or proof) within 0-7 nodes."""

_NOT_FROM_PREVIOUS = UNHINTED_LEVELS | {"changes"}
#: Levels the per-size surplus cap (Constraints.no_short_surplus, weekday-true supply) cannot change: a plan
#: with a cell it forbids has a plan with fewer cells and the same floor, unmet demand and cost. It is added
#: before the first level outside this set (where dropping cells could break that level's bound). Weekly
#: cover is in it because the cap never applies to an activity with a cover rule, and capping another only
#: frees clinicians' time (added before it, the cap kept the service sample's routine level from being
#: proven: 852 against 849 at 30 s, where it is proven in 3 s without it).
SHORT_SURPLUS_AFTER = frozenset({"routine_floor", "weekly_cover", "unmet_rapid_access", "unmet_routine",
                                 "cost"})
"""Levels whose search does not start from the previous level's plan (no hint, or the current job plans,
which usually break the earlier levels' optima). If one stops before proving its optimum, the previous plan
evaluated under its objective stands when nothing better was found: on a 160-clinician service whose
routine level used most of the time limit, the ``changes`` level found no plan of its own in the 9 s left
and was reported unknown, with no sessions-changed figure or bound; it now reports the previous plan's
changes and the bound, so the gap is stated (issue 16)."""

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
              deterministic: bool = True, work_limit: float | None = None) -> None:
    """Set CP-SAT parameters: seed, workers, wall-clock limit, optional deterministic work limit,
    deterministic parallel search."""
    prm = solver.parameters
    prm.random_seed = int(seed)
    prm.num_workers = int(workers)
    prm.max_time_in_seconds = max(0.01, float(time_limit_s))
    if work_limit is not None:
        prm.max_deterministic_time = max(0.001, float(work_limit))
    # The LP of every rule (level 2: Boolean-only rows such as rooms, SPA and rounding cuts included) is
    # what proves the unmet-demand levels; the default level-1 relaxation leaves them out and its bound
    # stalls ~30 % below the optimum on a 40-clinician service. With few workers, run the max_lp
    # full-problem subsolver (plus the LNS helpers) rather than the default portfolio.
    prm.linearization_level = 2
    if workers <= 4:
        prm.subsolvers.append("max_lp")
    prm.catch_sigint_signal = False  # Ctrl-C stops the run, not just the search (capacity_planner.interrupts)
    if deterministic:
        prm.interleave_search = True  # deterministic batches; with 1 worker a sequential interleaving


class _Callback(cp_model.CpSolverSolutionCallback):
    def __init__(self, name: str, scale: int, progress: Progress, start: float):
        super().__init__()
        self.name, self.scale, self.progress, self.start = name, scale, progress, start

    def on_solution_callback(self) -> None:
        self.progress(self.name, self.objective_value / self.scale, self.best_objective_bound / self.scale,
                      time.perf_counter() - self.start)


def cpu_cores(cpu_seconds: float, wall_seconds: float) -> float:
    """Cores the process used over a stretch of wall clock: its CPU time (``time.process_time``, every
    thread) over the wall-clock time, both in seconds; 0 for a stretch under a millisecond
    (:data:`HIGHS_AFTER_MIN_CORES`)."""
    return cpu_seconds / wall_seconds if wall_seconds > 1e-3 else 0.0


def reported_bound(value: float, bound: float, feasible: bool) -> float:
    """The lower bound reported for a level (integer units): the solver's, at most the level's value when the
    plan is only feasible, and at least 0, the least any level can be (every level counts or spreads
    something: unmet demand, unassigned time, changes, cost, a highest share less a lowest). A search
    stopped before its LP can leave CP-SAT's bound below 0 over the spreads' variables' domains (a
    fairness level starved of CPU reported -3.83 points and a gap of 2,215 %; session 15, helper B)."""
    return max(0.0, min(bound, value) if feasible else bound)


def _previous_plan(model: AllocationModel, hint: list[tuple[cp_model.IntVar, int]],
                   seed: int, free: frozenset[int] = frozenset()) -> tuple[cp_model.CpSolver, bool]:
    """The previous level's plan evaluated under the current objective: its cells, additional PAs and bought
    sessions fixed (the rest, such as unmet demand, follows from them; a plan that met the earlier levels
    still meets their rules). Variables in ``free`` (indices) are left to the solver."""
    v = model.variables
    decisions = {var.index for var in (*v.x.values(), *v.h.values(), *v.apa.values(), *v.bought.values())}
    decisions -= free
    model.set_hint([(var, value) for var, value in hint if var.index in decisions])
    solver = cp_model.CpSolver()
    configure(solver, seed=seed, workers=1, time_limit_s=10.0)
    solver.parameters.fix_variables_to_their_hinted_value = True
    status = run_stoppable(solver, partial(solver.solve, model.cp))
    return solver, status in (cp_model.OPTIMAL, cp_model.FEASIBLE)


Hint = list[tuple[cp_model.IntVar, int]]


def _capped_cells(model: AllocationModel, hint: Hint) -> frozenset[int]:
    """Indices of the cells the previous plan holds (value 1) of activities with a supply cap
    (:meth:`~capacity_planner.solver.problem.AllocationProblem.supply_cap`: not SPA, ANR or ED)."""
    p, v = model.problem, model.variables
    held = {var.index for var, value in hint if value == 1}
    capped = {a for a in range(len(p.activities)) if p.supply_cap(a) is not None}
    cells = [*v.x.items(), *v.h.items()]
    return frozenset(var.index for (_, _, a), var in cells if var.index in held and a in capped)


def least_value(model: cp_model.CpModel) -> float:
    r"""The least value the model's objective can take over its variables' domains alone,
    :math:`\sum_j \min(a_j \underline y_j, a_j \overline y_j) + c_0` (0 for a sum of unmet demand, unassigned
    time or cost): a plan reaching it is optimal whatever the rules."""
    proto = model.proto
    least = float(proto.objective.offset)
    for j, a in zip(proto.objective.vars, proto.objective.coeffs, strict=True):
        domain = list(proto.variables[int(j)].domain)
        least += min(a * domain[0], a * domain[-1])
    return least


class _HighsAnswer(NamedTuple):
    """What :func:`_highs_level` returns: the plan HiGHS proved optimal, checked by CP-SAT (None if none);
    its best plan when it proved nothing, as a hint (None if none); its lower bound on the level (None); True
    when the wall clock stopped (or skipped) HiGHS rather than its node limit or a proof, so that what it
    returned depends on the machine's speed (a run under a work limit is then not reproducible)."""

    proven: cp_model.CpSolver | None
    found: Hint | None
    bound: float | None
    time_stopped: bool = False


def _highs_level(model: AllocationModel, cutoff: float | None, seed: int, seconds: float,
                 nodes: int | None = None, known: cp_model.CpSolver | None = None,
                 ) -> _HighsAnswer:
    """HiGHS on the level being solved (:mod:`capacity_planner.solver.milp`): the same model, with the row
    objective <= ``cutoff`` (a value a known plan reaches). When HiGHS proves an optimum, its cells are
    fixed and solved by CP-SAT (so every rule is checked by the model itself) and that solver is returned;
    None when HiGHS proves nothing within ``seconds`` (and ``nodes`` branch-and-bound nodes), the model has
    a rule the translation does not cover, or CP-SAT does not confirm the plan at HiGHS's value. Second:
    the best plan HiGHS found without proving it, as a hint for CP-SAT's own search (None if none).
    ``known``: a CP-SAT solve of this model holding a plan at ``cutoff`` (the previous plan, or CP-SAT's
    own), handed to HiGHS as its MIP start when :data:`HIGHS_MIP_START` is set and :mod:`highspy`
    installed. Third: HiGHS's proven lower bound on the level (rounded down to an integer; None without
    one), a bound on the level's optimum since the cutoff is a value a plan reaches. Fourth: the wall clock
    stopped HiGHS (its ``seconds``), or left it under a second so it was not asked."""
    from capacity_planner.solver.milp import solve_milp, to_milp

    if seconds < 1.0:
        return _HighsAnswer(None, None, None, True)
    milp_model = to_milp(model.cp.proto)
    if milp_model is None:
        return _HighsAnswer(None, None, None)
    start = None
    if HIGHS_MIP_START and known is not None and cutoff is not None:
        start = [int(v) for v in known.response_proto.solution]
    answer = solve_milp(milp_model, cutoff=cutoff, time_limit_s=seconds, node_limit=nodes, start=start)
    bound = None if answer.bound is None else float(math.floor(answer.bound + 1e-6))
    if answer.values is None or answer.value is None:
        return _HighsAnswer(None, None, bound, answer.time_stopped)
    values = answer.values
    found = [(v, values[v.index]) for v in model.variables.all_vars()]
    if not answer.optimal:
        return _HighsAnswer(None, found, bound, answer.time_stopped)
    plan, ok = _previous_plan(model, found, seed)
    if not ok or plan.objective_value > answer.value + 0.5:
        return _HighsAnswer(None, None, bound)
    return _HighsAnswer(plan, None, bound)


def solve(problem: AllocationProblem, *, time_limit_s: float = 60.0, seed: int = 0,
          workers: int | None = 1, deterministic: bool = True, progress: Progress | None = None,
          explain: bool = True, work_limit: float | None = None) -> Result:
    """Solve ``problem`` lexicographically.

    Parameters
    ----------
    problem : AllocationProblem
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
    work_limit : float, optional
        Deterministic work budget for all levels (CP-SAT deterministic time units, shared like
        ``time_limit_s``): plans cut short by it are reproducible on any machine.
    """
    start = time.perf_counter()
    n_workers = resolve_workers(workers)
    reasons = presolve_reasons(problem)
    if reasons:
        return Result(SolveStatus.INFEASIBLE, (), None, time.perf_counter() - start, tuple(reasons), seed,
                      n_workers)
    start, cpu_start = time.perf_counter(), time.process_time()  # the time limit starts after the pre-checks
    model = AllocationModel(problem)
    run = _Run(problem, model, start, time_limit_s, seed, n_workers, deterministic, progress, work_limit,
               pending=[lv.name for lv in model.levels if not lv.trivial] or [model.levels[0].name],  # >= 1
               work_left=None if work_limit is None else float(work_limit), cpu_start=cpu_start)
    for level in model.levels:
        t0 = time.perf_counter()
        if level.name not in run.pending:
            run.levels.append(_unsearched(level))
            continue
        remaining = time_limit_s - (time.perf_counter() - start)
        run.pending.remove(level.name)
        if run.out_of_time(level, remaining):
            continue
        search = run.prepare(level, t0, remaining)
        run.highs_first(search)
        run.share_with_highs_after(search)
        run.set_hint(search)
        outcome = run.search(search)
        run.count_work(search, outcome)
        run.highs_after(search, outcome)
        run.keep_previous(search, outcome)
        if run.record(search, outcome):
            continue
        if run.solution is None:  # the first solved level found nothing: infeasible, unknown or invalid
            return run.failed(search, outcome, explain)
    return run.result()


def _unsearched(level: Level) -> LevelResult:
    """The result of a level with no variable in its expression: its constant value, optimal.

    Parameters
    ----------
    level : Level
        A trivial level (or any level not searched because nothing is left to choose).

    Returns
    -------
    LevelResult
        Optimal at the expression's constant (0 when it is not an integer), in the level's units, 0 s.
    """
    value = int(level.expr) if isinstance(level.expr, int) else 0
    return LevelResult(level.name, SolveStatus.OPTIMAL, value / level.scale, value / level.scale, value,
                       float(value), 0.0, 0.0, level.unit)


@dataclasses.dataclass
class _Search:
    """One level's search as it is set up: its time and work budgets, the previous plan evaluated under its
    objective, and a plan proven optimal before CP-SAT searches (if any).

    Attributes
    ----------
    level : Level
        The level being solved.
    t0 : float
        ``time.perf_counter()`` when the level started, seconds.
    remaining : float
        Wall-clock seconds of the run left when the level started.
    budget : float
        Wall-clock seconds CP-SAT may use on the level (shortened by HiGHS's turns).
    work : float or None
        Deterministic work units CP-SAT may use on the level; None without a work limit.
    capped_now : bool
        The per-size surplus cap was added for this level.
    previous : CpSolver or None
        The previous level's plan evaluated under this level's objective (:func:`_previous_plan`).
    found : bool
        ``previous`` holds a plan.
    proven : CpSolver or None
        A plan proven optimal for the level without CP-SAT's search (the least value reached, or HiGHS).
    highs_found : Hint or None
        HiGHS's best plan when it proved nothing, as CP-SAT's hint.
    highs_bound : float or None
        HiGHS-first's lower bound on the level when it proved nothing (integer units).
    small : bool
        The model is small enough for HiGHS first in wall-clock mode and for :data:`CPSAT_SHARE`
        (:data:`HIGHS_MAX_VARIABLES`).
    highs_after_size : bool
        The model is small enough for HiGHS after CP-SAT (:data:`HIGHS_AFTER_MAX_VARIABLES`).
    level_budget : float
        The level's wall-clock seconds before HiGHS-after's share is taken from CP-SAT's.
    level_work : float or None
        The level's work units before that share.
    highs_after : bool
        HiGHS gets the rest of the level if CP-SAT stops without a proof.
    """

    level: Level
    t0: float
    remaining: float
    budget: float
    work: float | None
    capped_now: bool = False
    previous: cp_model.CpSolver | None = None
    found: bool = False
    proven: cp_model.CpSolver | None = None
    highs_found: Hint | None = None
    highs_bound: float | None = None
    small: bool = False
    highs_after_size: bool = False
    level_budget: float = 0.0
    level_work: float | None = None
    highs_after: bool = False


@dataclasses.dataclass
class _Outcome:
    """Where a level's search ended: the solver holding its plan, the status, the bound and the time.

    Attributes
    ----------
    solver : CpSolver
        The solve whose plan and values the level reports.
    status : SolveStatus
        The level's status.
    seconds : float
        Wall-clock seconds the level took.
    bound : float
        Best bound on the level's objective, in the level's integer units.
    """

    solver: cp_model.CpSolver
    status: SolveStatus
    seconds: float
    bound: float = 0.0


@dataclasses.dataclass
class _Run:
    """A lexicographic solve's state carried from level to level, and its steps.

    Attributes
    ----------
    problem, model : AllocationProblem, AllocationModel
        The problem and its CP-SAT model (each solved level adds its bound ``f_k <= f_k*``).
    start : float
        ``time.perf_counter()`` when the time limit started, seconds.
    time_limit_s, seed, n_workers, deterministic, progress, work_limit
        As given to :func:`solve` (``n_workers`` resolved).
    pending : list of str
        Names of the levels still to search.
    work_left : float or None
        Deterministic work units left; None without a work limit.
    levels : list of LevelResult
        The levels' results so far.
    solution : Solution or None
        The last solved level's plan.
    hint : Hint or None
        The last solved level's values, the next level's starting plan.
    wall_stopped : bool
        The wall clock stopped a level before its work limit (the run is not reproducible).
    cpu_start : float
        ``time.process_time()`` when the time limit started, seconds (:data:`HIGHS_AFTER_MIN_CORES`).
    short_surplus_added : bool
        The per-size surplus cap is in the model.
    reported : tuple of (str, float, float) or None
        The last (level, best, bound) given to ``progress`` (:meth:`report`).
    """

    problem: AllocationProblem
    model: AllocationModel
    start: float
    time_limit_s: float
    seed: int
    n_workers: int
    deterministic: bool
    progress: Progress | None
    work_limit: float | None
    pending: list[str]
    work_left: float | None
    levels: list[LevelResult] = dataclasses.field(default_factory=list)
    solution: Solution | None = None
    hint: Hint | None = None
    wall_stopped: bool = False
    short_surplus_added: bool = False
    cpu_start: float = dataclasses.field(default_factory=time.process_time)
    reported: tuple[str, float, float] | None = None

    def report(self, name: str, best: float, bound: float, elapsed: float) -> None:
        """Give ``progress`` a level's best value and bound (the level's units) unless it was the last
        report: each improving plan is reported by CP-SAT's callback, and each level's final word once
        more when it is recorded (:meth:`record`), so a level proven after its last plan (by CP-SAT's bound
        or by HiGHS) ends on "proven" on the console, not on an earlier bound."""
        if self.progress is None or (name, best, bound) == self.reported:
            return
        self.reported = (name, best, bound)
        self.progress(name, best, bound, elapsed)

    def out_of_time(self, level: Level, remaining: float) -> bool:
        """Record ``level`` as unknown, without a search, when no time or work is left and an earlier level
        has a plan; True if so.

        Parameters
        ----------
        level : Level
            The level about to be searched.
        remaining : float
            Wall-clock seconds left, seconds.

        Returns
        -------
        bool
            The level was recorded and is not to be searched.
        """
        out_of_work = self.work_left is not None and self.work_left <= 0.001
        if (remaining <= 0.01 or out_of_work) and self.solution is not None:
            self.wall_stopped = self.wall_stopped or not out_of_work
            self.levels.append(LevelResult(level.name, SolveStatus.UNKNOWN, None, None, None, None, None, 0.0,
                                           level.unit))
            return True
        return False

    def prepare(self, level: Level, t0: float, remaining: float) -> _Search:
        """Set up ``level``'s search: its budgets, the surplus cap when due, its objective and its
        starting plan (:meth:`starting_plan`).

        Parameters
        ----------
        level : Level
            The level to search.
        t0 : float
            ``time.perf_counter()`` when the level started, seconds.
        remaining : float
            Wall-clock seconds left, seconds.

        Returns
        -------
        _Search
            The level's search as set up.
        """
        pending, work_left = self.pending, self.work_left
        # With a work limit, the wall clock is only a safety net: each level may use all that is left.
        budget = remaining if not pending or work_left is not None else remaining / 2
        work = None if work_left is None else (work_left if not pending else work_left / 2)
        if level.name in HIGHS_LEVELS and pending and work_left is None:
            budget = remaining * HIGHS_LEVEL_SHARE  # the hard level; the later ones (fairness) are quick
        search = _Search(level, t0, remaining, budget, work)
        search.capped_now = level.name not in SHORT_SURPLUS_AFTER and not self.short_surplus_added
        if search.capped_now:
            self.model.constraints.no_short_surplus()
            self.short_surplus_added = True
        self.model.cp.minimize(level.expr)
        self.starting_plan(search)
        return search

    def starting_plan(self, search: _Search) -> None:
        """The previous plan evaluated under the level's objective (``search.previous``), and taken as proven
        when it reaches the level's least possible value (``search.proven``).

        Parameters
        ----------
        search : _Search
            The level's search; its ``previous``, ``found`` and ``proven`` are set.
        """
        model, hint, seed = self.model, self.hint, self.seed
        previous, found = (None, False) if hint is None else _previous_plan(model, hint, seed)
        if hint is not None and not found and search.capped_now:
            # The per-size surplus cap just added may forbid cells of the previous plan (a plan meeting the
            # unmet levels with a short cell beyond need): let those cells go, so the level still starts from
            # a plan (on a 160-clinician service the unassigned level found none of its own in 10 units).
            previous, found = _previous_plan(model, hint, seed, _capped_cells(model, hint))
        search.previous, search.found = previous, found
        if found and previous is not None and previous.objective_value <= least_value(model.cp) + 0.5:
            # The previous plan already reaches the level's least possible value (unmet demand 0, no
            # unassigned time, no cost): it is optimal, and no search is needed.
            search.proven = previous

    def highs_first(self, search: _Search) -> None:
        """Ask HiGHS first on a level of :data:`HIGHS_LEVELS`, its cutoff the previous plan's value; only an
        optimum it proves is taken (``search.proven``), else its best plan becomes the hint.

        Parameters
        ----------
        search : _Search
            The level's search; ``small``, and possibly ``proven``, ``highs_found``, ``highs_bound`` and
            ``budget``, are set.

        Under a work limit HiGHS stops at a node count, its wall clock (the level's) only a safety net; when
        that clock stops it, its hint and bound depend on the machine's speed, and the run is marked
        ``wall_stopped`` (not reproducible), as when the wall clock stops CP-SAT (:meth:`count_work`).
        """
        n_variables = len(self.model.cp.proto.variables)
        search.small = n_variables <= HIGHS_MAX_VARIABLES
        search.highs_after_size = n_variables <= HIGHS_AFTER_MAX_VARIABLES
        full = search.budget
        if not search.small:
            search.budget = max(0.01, full - self.rins_first(search))
        budget, work, previous = search.budget, search.work, search.previous
        most = HIGHS_FIRST_MAX_VARIABLES if work is not None else HIGHS_MAX_VARIABLES
        if search.proven is None and search.level.name in HIGHS_LEVELS and self.hint is not None \
                and n_variables <= most \
                and (work is not None or budget * HIGHS_SHARE >= HIGHS_FIRST_MIN_SECONDS):
            nodes = None if work is None else max(20, round(HIGHS_NODES_PER_UNIT * work))
            cutoff = previous.objective_value if search.found and previous is not None else None
            seconds = budget * HIGHS_SHARE if work is None else budget
            answer = _highs_level(self.model, cutoff, self.seed, seconds, nodes,
                                  previous if cutoff is not None else None)
            search.proven, search.highs_found, search.highs_bound = answer.proven, answer.found, answer.bound
            if work is not None and answer.time_stopped:
                self.wall_stopped = True  # stopped by the wall clock before its node limit
            if search.proven is None:
                search.budget = max(0.01, full - (time.perf_counter() - search.t0))

    def rins_first(self, search: _Search) -> float:
        """Under a work limit, on a level of :data:`RINS_LEVELS` of a model above :data:`HIGHS_MAX_VARIABLES`
        with a previous plan: RINS (:func:`capacity_planner.solver.rins.rins_plan`, :data:`RINS_NODES`
        nodes, the level's wall clock as a safety net). A plan better than the previous one, once CP-SAT has
        checked it with its cells fixed, becomes ``search.previous``. Nothing changes without :mod:`highspy`
        or when the model has a rule the translation does not cover.

        Parameters
        ----------
        search : _Search
            The level's search; ``previous`` may change.

        Returns
        -------
        float
            Wall-clock seconds used (0 when RINS was not run).
        """
        previous, began = search.previous, time.perf_counter()
        if search.work is None or search.level.name not in RINS_LEVELS or search.proven is not None \
                or not search.found or previous is None or importlib.util.find_spec("highspy") is None:
            return 0.0
        from capacity_planner.solver.milp import to_milp
        from capacity_planner.solver.rins import rins_plan

        milp_model = to_milp(self.model.cp.proto)
        if milp_model is None:
            return time.perf_counter() - began
        v = self.model.variables
        cells = [var.index for var in (*v.x.values(), *v.h.values())]
        answer = rins_plan(milp_model, [int(x) for x in previous.response_proto.solution], cells,
                           previous.objective_value, seed=self.seed, seconds=search.budget, nodes=RINS_NODES)
        if answer.time_stopped:
            self.wall_stopped = True  # stopped by the wall clock before its node limit
        if answer.values is not None and answer.value is not None:
            values = answer.values
            checked, ok = _previous_plan(self.model, [(var, values[var.index]) for var in v.all_vars()],
                                         self.seed)
            if ok and checked.objective_value < previous.objective_value - 0.5:
                search.previous = checked
        return time.perf_counter() - began

    def share_with_highs_after(self, search: _Search) -> None:
        """Keep the level's budgets, and when HiGHS may follow CP-SAT (:data:`HIGHS_AFTER_LEVELS`, models up
        to :data:`HIGHS_AFTER_MAX_VARIABLES`), cut CP-SAT's to :data:`CPSAT_SHARE` of them
        (:data:`CPSAT_SHARE_LARGE` above :data:`HIGHS_MAX_VARIABLES`; the rest of the level is HiGHS's if
        CP-SAT leaves a gap). In wall-clock mode a model above :data:`HIGHS_MAX_VARIABLES` is split only
        when the run has had :data:`HIGHS_AFTER_MIN_CORES` so far (:func:`cpu_cores`); else CP-SAT keeps
        the whole level, as before session 15.

        Parameters
        ----------
        search : _Search
            The level's search; ``level_budget``, ``level_work`` and ``highs_after`` are set, and ``budget``
            and ``work`` cut when HiGHS follows.
        """
        budget, work = search.budget, search.work
        search.level_budget, search.level_work = budget, work
        share = CPSAT_SHARE if search.small else CPSAT_SHARE_LARGE
        search.highs_after = search.proven is None and search.level.name in HIGHS_AFTER_LEVELS \
            and search.highs_after_size and (work is not None or budget * (1 - share) >= HIGHS_MIN_SECONDS)
        if search.highs_after and work is None and not search.small:
            # wall-clock mode above HIGHS_MAX_VARIABLES: a run starved of CPU so far leaves it to CP-SAT
            cores = cpu_cores(time.process_time() - self.cpu_start, time.perf_counter() - self.start)
            search.highs_after = cores >= HIGHS_AFTER_MIN_CORES
        if search.highs_after:
            search.budget, search.work = budget * share, None if work is None else work * share

    def set_hint(self, search: _Search) -> None:
        """Give CP-SAT the level's starting plan (see :data:`UNHINTED_LEVELS` and the module's notes).

        Parameters
        ----------
        search : _Search
            The level's search.
        """
        model, hint, name = self.model, self.hint, search.level.name
        if name in UNHINTED_LEVELS:
            # No hint, except from a baseline plan (the meeting's re-plan): it is nearly optimal for these
            # levels, and a search cut short stays near it (docs/benchmarks.md, issue 20).
            model.set_hint(model.baseline_hint())
        elif search.highs_found is not None:  # HiGHS's best plan, unproven: CP-SAT searches on from it
            model.set_hint(search.highs_found)
        elif hint is not None:
            if name == "changes":
                model.set_hint(model.current_plan_hint(hint))
            else:  # the previous plan as evaluated for this level: its unmet, unassigned and spreads tight,
                # every variable of the model included (a complete hint: CP-SAT starts from it at once)
                previous = search.previous
                model.set_hint(model.complete_values(previous) if search.found and previous is not None
                               else hint)

    def search(self, search: _Search) -> _Outcome:
        """CP-SAT's search of the level, or the plan already proven optimal (reported to ``progress``).

        Parameters
        ----------
        search : _Search
            The level's search.

        Returns
        -------
        _Outcome
            The solver, its status, the level's seconds so far and the solver's bound.
        """
        level, progress = search.level, self.progress
        if search.proven is not None:
            solver, status = search.proven, SolveStatus.OPTIMAL
            self.report(level.name, solver.objective_value / level.scale,
                        solver.best_objective_bound / level.scale, time.perf_counter() - self.start)
        else:
            solver = cp_model.CpSolver()
            configure(solver, seed=self.seed, workers=self.n_workers, time_limit_s=search.budget,
                      deterministic=self.deterministic, work_limit=search.work)
            callback = _Callback(level.name, level.scale, self.report, self.start) if progress else None
            status = _STATUS[run_stoppable(solver, partial(solver.solve, self.model.cp, callback))]
        seconds = time.perf_counter() - search.t0
        return _Outcome(solver, status, seconds)

    def count_work(self, search: _Search, outcome: _Outcome) -> None:
        """Take CP-SAT's work from ``work_left``, note a stop by the wall clock before the work limit, and set
        the outcome's bound.

        Parameters
        ----------
        search : _Search
            The level's search.
        outcome : _Outcome
            CP-SAT's outcome; its ``bound`` is set.
        """
        solver, status, work = outcome.solver, outcome.status, search.work
        if self.work_left is not None and search.proven is None:
            # the response's deterministic time: CpSolver.deterministic_time exists from OR-Tools 9.15 only
            work_done = solver.response_proto.deterministic_time
            self.work_left -= work_done
            if status not in (SolveStatus.OPTIMAL, SolveStatus.INFEASIBLE) and work is not None \
                    and work_done < work * 0.999:
                self.wall_stopped = True  # stopped by the wall clock before the work limit
        outcome.bound = solver.best_objective_bound

    def highs_after(self, search: _Search, outcome: _Outcome) -> None:
        """HiGHS on the rest of the level when CP-SAT stopped it without a proof (``search.highs_after``):
        with a work limit, a node count for the rest of its work and the wall clock left as a safety net.
        Only an optimum it proves is taken; a better plan it does not prove is checked by CP-SAT and kept
        if better. A level left unproven takes HiGHS's bound (first or after) when it is above CP-SAT's. Under
        a work limit, HiGHS stopped by the wall clock before its node limit marks the run ``wall_stopped``.

        Parameters
        ----------
        search : _Search
            The level's search.
        outcome : _Outcome
            CP-SAT's outcome, replaced by HiGHS's when taken.
        """
        if outcome.status is SolveStatus.FEASIBLE and search.highs_bound is not None:
            outcome.bound = max(outcome.bound, search.highs_bound)  # HiGHS first proved more than CP-SAT
        if outcome.status not in (SolveStatus.UNKNOWN, SolveStatus.FEASIBLE) or not search.highs_after:
            return
        solver, status = outcome.solver, outcome.status
        run_left = self.time_limit_s - (time.perf_counter() - self.start)
        left = min(search.level_budget, run_left) - outcome.seconds
        level_work = search.level_work
        nodes = None if level_work is None else max(20, round(HIGHS_NODES_PER_UNIT * level_work))
        cutoff = solver.objective_value if status is SolveStatus.FEASIBLE else None
        after, unproven, highs_bound, time_stopped = _highs_level(self.model, cutoff, self.seed, left, nodes,
                                                                  solver if cutoff is not None else None)
        if level_work is not None and time_stopped:
            self.wall_stopped = True  # stopped by the wall clock before its node limit
        if after is not None:
            outcome.solver, outcome.status = after, SolveStatus.OPTIMAL
            outcome.bound = after.best_objective_bound
        elif unproven is not None:
            checked, ok = _previous_plan(self.model, unproven, self.seed)
            if ok and (status is SolveStatus.UNKNOWN or checked.objective_value < solver.objective_value):
                outcome.solver, outcome.status = checked, SolveStatus.FEASIBLE
        if outcome.status is SolveStatus.FEASIBLE and highs_bound is not None:
            # HiGHS's bound (under the cutoff row, a value a plan reaches) bounds the level's optimum
            outcome.bound = max(outcome.bound, highs_bound)
        outcome.seconds = time.perf_counter() - search.t0

    def keep_previous(self, search: _Search, outcome: _Outcome) -> None:
        """Stopped before proving the level: the previous plan stands if nothing found is better (at any
        level that found no plan at all, as a search from its hint normally starts from that plan).

        Parameters
        ----------
        search : _Search
            The level's search.
        outcome : _Outcome
            The level's outcome, replaced by the previous plan when that stands.
        """
        previous, status = search.previous, outcome.status
        better = search.found and previous is not None and (
            status is SolveStatus.UNKNOWN
            or (search.level.name in _NOT_FROM_PREVIOUS
                and previous.objective_value < outcome.solver.objective_value))
        if status in (SolveStatus.UNKNOWN, SolveStatus.FEASIBLE) and better and previous is not None:
            outcome.solver, outcome.status = previous, SolveStatus.FEASIBLE

    def record(self, search: _Search, outcome: _Outcome) -> bool:
        """Record the level's result; when it has a plan, that plan becomes the next level's hint and the
        run's solution, and the level's value its bound ``f_k <= f_k*``.

        Parameters
        ----------
        search : _Search
            The level's search.
        outcome : _Outcome
            The level's outcome.

        Returns
        -------
        bool
            The level has a plan (optimal or feasible).
        """
        level, solver, status = search.level, outcome.solver, outcome.status
        if status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
            value = round(solver.objective_value)
            feasible = status is SolveStatus.FEASIBLE
            found_bound = outcome.bound if feasible else solver.best_objective_bound
            bound = reported_bound(value, found_bound, feasible)
            gap = (value - bound) / max(1.0, abs(value))
            self.levels.append(LevelResult(level.name, status, value / level.scale, bound / level.scale,
                                           value, bound, max(0.0, gap), outcome.seconds, level.unit))
            elapsed = time.perf_counter() - self.start
            self.report(level.name, value / level.scale, bound / level.scale, elapsed)
            self.hint = self.model.values(solver)
            self.solution = self.model.solution_from(solver)
            self.model.cp.add(level.expr <= value)
            return True
        self.levels.append(LevelResult(level.name, status, None, None, None, None, None, outcome.seconds,
                                       level.unit))
        return False

    def failed(self, search: _Search, outcome: _Outcome, explain: bool) -> Result:
        """The result when the first searched level found no plan (infeasible, unknown or invalid), with the
        reasons when infeasible and ``explain``.

        Parameters
        ----------
        search : _Search
            The level's search.
        outcome : _Outcome
            The level's outcome.
        explain : bool
            Compute the plain-language reasons of an infeasible model.

        Returns
        -------
        Result
            No plan; the levels so far and the reasons.
        """
        why: tuple[str, ...] = ()
        if outcome.status is SolveStatus.INFEASIBLE and explain:
            why = tuple(explain_infeasible(self.problem,
                                           time_limit_s=max(1.0, search.remaining - outcome.seconds)))
        return Result(outcome.status, tuple(self.levels), None, time.perf_counter() - self.start, why,
                      self.seed, self.n_workers, self.work_limit, self.wall_stopped)

    def result(self) -> Result:
        """The run's result once every level is done: optimal if every level is, else feasible; each level
        cut short valued as the plan delivered (:func:`_as_delivered`).

        Returns
        -------
        Result
            The plan and the levels' results.
        """
        levels = self.levels
        overall = SolveStatus.OPTIMAL if all(lv.status is SolveStatus.OPTIMAL for lv in levels) \
            else SolveStatus.FEASIBLE
        solution = self.solution
        assert solution is not None
        levels = [_as_delivered(lv, solution) for lv in levels]
        return Result(overall, tuple(levels), solution, time.perf_counter() - self.start, (), self.seed,
                      self.n_workers, self.work_limit, self.wall_stopped)


def _as_delivered(level: LevelResult, solution: Solution) -> LevelResult:
    """A level cut short, valued as the plan delivered (:meth:`Solution.level_units`, recomputed from the
    final plan's cells). A search stopped early holds a plan whose level variables may sit above what its
    cells give, as they are only bounded below: the per-clinician counts :math:`k_c` of ``changes``, the
    covered-row indicators :math:`B_{ar}` and shortfalls :math:`v_a` of ``weekly_cover``, the shortfalls of
    the floor and unmet levels; and later levels, kept only within the level's value, may improve on it. So
    the reported figure is the final plan's own value when that is lower (the bound and the gap follow). A
    level proven optimal already equals it (``tests/test_solver_helpers.run`` asserts so)."""
    if level.status is not SolveStatus.FEASIBLE or level.objective_units is None:
        return level
    delivered = solution.level_units(level.name)
    if delivered >= level.objective_units:
        return level
    scale = level_scale(solution.problem, level.name)  # solver units per natural unit
    bound = min(level.bound_units if level.bound_units is not None else delivered, delivered)
    gap = (delivered - bound) / max(1.0, abs(delivered))
    return dataclasses.replace(level, objective=delivered / scale, objective_units=delivered,
                               bound=bound / scale, bound_units=bound, gap=max(0.0, gap))
