"""Library entry point for ``capacity-planner plan``: solve a pack's allocation (the output layer,
:mod:`capacity_planner.outputs`, writes it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from capacity_planner._version import __version__
from capacity_planner.demand.requirements import Requirements
from capacity_planner.errors import CapacityPlannerError, InfeasiblePlanError, PlanCheckError
from capacity_planner.pack.model import PlanningPack
from capacity_planner.plan_summary import PlanSummary
from capacity_planner.solver.options import Allowances, Baseline
from capacity_planner.solver.problem import AllocationProblem, build_problem
from capacity_planner.solver.result import Result, SolveStatus
from capacity_planner.solver.solve import Progress, resolve_workers, solve
from capacity_planner.solver.tables import empty_tables, kpis, plan_tables

if TYPE_CHECKING:
    from capacity_planner.solver.join import PartExecutor, PartProgress

@dataclass(frozen=True, eq=False)
class PlanResult:
    """A solved (or failed) plan with its output tables.

    ``tables`` holds ``allocation``, ``gaps``, ``clinicians`` and ``changes`` (DESIGN.md columns; empty
    when there is no plan); ``gap_reasons`` has columns activity_id, reason. A plan joined from independent
    parts (:mod:`capacity_planner.solver.decompose`) has ``parts`` (each part's own PlanResult, in order),
    ``problem`` None and ``result.solution`` None: use :attr:`has_plan`, the tables and the summary.
    """

    pack: PlanningPack
    requirements: Requirements
    problem: AllocationProblem | None
    result: Result
    tables: dict[str, pd.DataFrame]
    gap_reasons: pd.DataFrame
    summary: PlanSummary
    parts: tuple[PlanResult, ...] = ()

    @property
    def has_plan(self) -> bool:
        """True when a plan was found (optimal or feasible), whether solved whole or joined from parts."""
        return self.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)

    @property
    def status(self) -> SolveStatus:
        """The solve status."""
        return self.result.status

    @property
    def allocation(self) -> pd.DataFrame:
        """allocation.csv as a DataFrame."""
        return self.tables["allocation"]

    @property
    def gaps(self) -> pd.DataFrame:
        """gaps.csv as a DataFrame."""
        return self.tables["gaps"]

    @property
    def clinicians(self) -> pd.DataFrame:
        """clinicians.csv as a DataFrame."""
        return self.tables["clinicians"]

    @property
    def changes(self) -> pd.DataFrame:
        """changes.csv as a DataFrame."""
        return self.tables["changes"]

    def raise_for_status(self) -> None:
        """Raise :class:`InfeasiblePlanError` (exit code 3) when the rules cannot all hold, or
        :class:`CapacityPlannerError` when no plan was found in time or the model was rejected."""
        if self.status is SolveStatus.INFEASIBLE:
            raise InfeasiblePlanError(self.result.reasons or ("the rules cannot all hold",))
        if self.status is SolveStatus.UNKNOWN:
            raise CapacityPlannerError("no plan was found within the time limit; raise --time-limit")
        if self.status is SolveStatus.MODEL_INVALID:
            raise CapacityPlannerError("internal error: the solver rejected the allocation model")


def _summary(
    pack: PlanningPack, result: Result, time_limit_s: float, deterministic: bool, extra: dict[str, Any],
    allowances: Allowances | None = None,
) -> PlanSummary:
    levels = result.levels
    s = pack.settings
    out: dict[str, Any] = {
        "status": result.status.value,
        "objective": {lv.name: lv.objective for lv in levels},
        "bound": {lv.name: lv.bound for lv in levels},
        "gap": {lv.name: lv.gap for lv in levels},
        "solve_seconds": round(result.solve_seconds, 3),
        "unmet_sessions_per_year": None,
        "unmet_dcc_hours_per_year": None,
        "annual_cost": None,
        "inputs": dict(pack.source.file_hashes),
        "settings": {
            "time_limit_s": time_limit_s,
            "work_limit": result.work_limit,
            "reproducible": result.reproducible,
            "max_extra_cost": None if allowances is None else allowances.max_extra_cost,
            "seed": result.seed,
            "workers": result.workers,
            "deterministic": deterministic,
            "objective": list(s.objective),
            "allow_additional_pas": s.allow_additional_pas,
            "spa_pro_rata": s.spa_pro_rata,
            "routine_floor_share": s.routine_floor_share,
            "max_sessions_per_day": s.max_sessions_per_day,
        },
        "version": __version__,
        "levels": [
            {
                "name": lv.name,
                "status": lv.status.value,
                "objective": lv.objective,
                "bound": lv.bound,
                "gap": lv.gap,
                "seconds": round(lv.seconds, 3),
                "unit": lv.unit,
            }
            for lv in levels
        ],
        "reasons": list(result.reasons),
    }
    out.update(extra)
    return PlanSummary(**out)


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
    from capacity_planner.solver.decompose import split

    s = pack.settings
    limit = float(s.time_limit_s if time_limit_s is None else time_limit_s)
    seed_ = int(s.seed if seed is None else seed)
    n_workers = resolve_workers(s.workers if workers is None else workers)
    work = s.work_limit if work_limit is None else work_limit
    parts = split(pack, requirements, allowances)
    if len(parts) == 1:
        plan = _plan_one(pack, requirements, limit, seed_, n_workers, allowances, progress, deterministic,
                         work, baseline)
    else:
        from capacity_planner.solver.join import plan_parts

        plan = plan_parts(pack, requirements, parts, limit, seed_, n_workers, allowances, deterministic, work,
                          part_progress, executor, scheduler, baseline)
    if plan.has_plan:
        verify_plan(plan, allowances)
    if raise_on_failure:
        plan.raise_for_status()
    return plan


def _plan_one(pack: PlanningPack, requirements: Requirements, limit: float, seed: int, n_workers: int,
              allowances: Allowances | None, progress: Progress | None, deterministic: bool,
              work_limit: float | None, baseline: Baseline | None = None) -> PlanResult:
    """Solve one pack (or one part) as a single model; no checker, no raising."""
    from capacity_planner.solver.gaps import gap_reasons

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
        _summary(pack, result, limit, deterministic, extra, allowances),
    )


def verify_plan(plan: PlanResult, allowances: Allowances | None = None) -> None:
    """Run the independent checker (:func:`~capacity_planner.solver.checker.check_plan`) on a plan's tables
    and summary; raise :class:`~capacity_planner.errors.PlanCheckError` (exit 1) listing the violations if
    it finds any. :func:`plan_allocation` calls it on every plan, so ``plan``, ``scenarios`` and
    ``frontier`` never write a plan that breaks a rule."""
    from capacity_planner.solver.checker import check_plan

    violations = check_plan(plan.pack, plan.tables, plan.requirements, allowances,
                            plan.summary.bought_sessions, plan.summary)
    if violations:
        raise PlanCheckError(violations)
