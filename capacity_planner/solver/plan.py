"""Library entry point for ``capacity-planner plan``: solve a pack's allocation (the output layer,
:mod:`capacity_planner.outputs`, writes it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from capacity_planner.errors import PlanCheckError
from capacity_planner.solver.checker import check_plan
from capacity_planner.solver.decompose import split
from capacity_planner.solver.join import PartExecutor, PartProgress, plan_parts
from capacity_planner.solver.single import plan_one
from capacity_planner.solver.solve import Progress, resolve_workers

if TYPE_CHECKING:
    from capacity_planner.demand.requirements import Requirements
    from capacity_planner.pack.model import PlanningPack
    from capacity_planner.solver.options import Allowances, Baseline
    from capacity_planner.solver.plan_result import PlanResult


def plan_allocation(
    pack: PlanningPack,
    requirements: Requirements,
    *,
    time_limit_s: float | None = None,
    seed: int | None = None,
    workers: int | None = None,
    allowances: Allowances | None = None,
    progress: Progress | None = None,
    deterministic: bool = True,
    raise_on_failure: bool = True,
    work_limit: float | None = None,
    part_progress: PartProgress | None = None,
    executor: PartExecutor = "process",
    scheduler: str | None = None,
    baseline: Baseline | None = None,
) -> PlanResult:
    """Allocate the team's sessions to meet ``requirements`` under the job-planning rules.

    Parameters
    ----------
    pack : PlanningPack
        The service (clinicians, skills, slots, rooms, availability, current job plans, fixed
        requirements, settings).
    requirements : Requirements
        Annual demand per activity (``sessions_per_year``, session-weeks a year).
    time_limit_s, seed, workers : optional
        Override pack.toml ``[solver]``; ``workers = 0`` means every core.
    allowances : Allowances, optional
        Additional PAs and purchasable locum/WLI sessions (scenarios).
    progress : callable, optional
        ``progress(level, best objective, bound, elapsed seconds)`` on each improving solution.
    deterministic : bool
        Deterministic parallel search when workers > 1 (see :mod:`capacity_planner.solver.solve`).
    raise_on_failure : bool
        Raise :class:`~capacity_planner.errors.InfeasiblePlanError` (with the reasons) when the rules
        cannot all hold, :class:`~capacity_planner.errors.CapacityPlannerError` when no plan is found in
        time; otherwise return a PlanResult with that status and empty tables.
    work_limit : float, optional
        Override pack.toml ``solver.work_limit``: deterministic work budget (CP-SAT deterministic time
        units, about a core-second each); a plan cut short by it is the same on any machine
        (:mod:`capacity_planner.solver.solve`), and ``time_limit_s`` stays a wall-clock safety net.
    part_progress : callable, optional
        ``part_progress(done, total, part summary)`` as each independent part finishes, when the pack splits.
    executor : {"process", "dask"}
        Where the parts of a split pack run: local worker processes (``workers`` of them), or a Dask
        cluster, the one at ``scheduler`` (``tcp://host:8786``) or else a local cluster of ``workers``
        processes. The plan is the same either way (exactly so with a work limit or when every part is
        proven optimal).
    baseline : Baseline, optional
        A plan the ``changes`` level counts against (and starts from) instead of the current job plans,
        with cells fixed to it (the team meeting's re-plan from the plan on screen); every table and
        figure of the result still counts changes against the current job plans.

    Notes
    -----
    The pack is split into independent parts (:mod:`capacity_planner.solver.decompose`) unless a trust-wide
    rule couples them; with several parts, up to ``workers`` parts are solved at a time in separate
    processes, ``time_limit_s`` (and ``work_limit``) is shared between them by size, and the plans are
    joined in part order (:mod:`capacity_planner.solver.join`): the result is the same as solving the parts
    one after another. ``progress`` is then not called (it cannot cross processes).
    """
    s = pack.settings
    limit = float(s.time_limit_s if time_limit_s is None else time_limit_s)
    seed_ = int(s.seed if seed is None else seed)
    n_workers = resolve_workers(s.workers if workers is None else workers)
    work = s.work_limit if work_limit is None else work_limit
    parts = split(pack, requirements, allowances)
    if len(parts) == 1:
        plan = plan_one(pack, requirements, limit, seed_, n_workers, allowances, progress, deterministic,
                        work, baseline)
    else:
        plan = plan_parts(pack, requirements, parts, limit, seed_, n_workers, allowances, deterministic, work,
                          part_progress, executor, scheduler, baseline)
    if plan.has_plan:
        verify_plan(plan, allowances)
    if raise_on_failure:
        plan.raise_for_status()
    return plan


def verify_plan(plan: PlanResult, allowances: Allowances | None = None) -> None:
    """Run the independent checker (:func:`~capacity_planner.solver.checker.check_plan`) on a plan's tables
    and summary; raise :class:`~capacity_planner.errors.PlanCheckError` (exit 1) listing the violations if
    it finds any. :func:`plan_allocation` calls it on every plan, so ``plan``, ``scenarios`` and
    ``frontier`` never write a plan that breaks a rule."""
    violations = check_plan(plan.pack, plan.tables, plan.requirements, allowances,
                            plan.summary.bought_sessions, plan.summary)
    if violations:
        raise PlanCheckError(violations)
