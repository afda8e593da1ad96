"""The application layer: one way from a pack to a checked plan, used by every command and notebook.

:func:`plan_pack` sizes demand (:func:`~capacity_planner.demand.pipeline.size_demand`, which sets aside the
referrals on or after the plan start), allocates sessions
(:func:`~capacity_planner.solver.plan.plan_allocation`, which runs the independent checker on every plan)
and returns a :class:`PlanRun` in memory. ``plan``, ``scenarios``, ``frontier`` and the notebooks go through
it; writing files is the output layer's job (:mod:`capacity_planner.workflow`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from capacity_planner.demand.pipeline import DemandResult, size_demand

if TYPE_CHECKING:
    import datetime as dt
    from pathlib import Path

    from capacity_planner.pack.model import PlanningPack
    from capacity_planner.plan_summary import PlanSummary
    from capacity_planner.solver.join import PartExecutor, PartProgress
    from capacity_planner.solver.options import Allowances, Baseline
    from capacity_planner.solver.plan_result import PlanResult
    from capacity_planner.solver.solve import Progress

__all__ = ["PlanOptions", "PlanRun", "plan_pack", "set_aside_note"]


@dataclass(frozen=True)
class PlanOptions:
    """How to plan: solver limits and what the run may buy; ``None`` keeps the pack.toml ``[solver]`` value.

    Attributes
    ----------
    time_limit_s : float, optional
        Wall-clock seconds for the whole solve (all objective levels).
    seed, workers : int, optional
        CP-SAT random seed and threads (0 = every core).
    work_limit : float, optional
        Deterministic work budget (CP-SAT units, about a core-second each).
    allowances : Allowances, optional
        Additional PAs and locum/WLI sessions the plan may buy (scenarios, frontier).
    deterministic : bool
        Deterministic parallel search when workers > 1.
    raise_on_failure : bool
        Raise when the rules cannot all hold or no plan is found; otherwise return the failed run.
    progress, part_progress : callable, optional
        Called on each improving solution, and as each independent part of a split pack finishes.
    executor, scheduler : str
        Where the parts of a split pack run: ``"process"`` (local processes) or ``"dask"`` (the Dask
        scheduler at ``scheduler``, else a local cluster); see
        :func:`~capacity_planner.solver.plan.plan_allocation`.
    baseline : Baseline, optional
        A plan the ``changes`` level counts against (and starts from) instead of the current job plans,
        with cells fixed to it; reported changes still count against the current job plans (the team
        meeting's re-plan, :mod:`capacity_planner.serve`).
    """

    time_limit_s: float | None = None
    seed: int | None = None
    workers: int | None = None
    work_limit: float | None = None
    allowances: Allowances | None = None
    deterministic: bool = True
    raise_on_failure: bool = True
    progress: Progress | None = None
    part_progress: PartProgress | None = None
    executor: PartExecutor = "process"
    scheduler: str | None = None
    baseline: Baseline | None = None


@dataclass(frozen=True, eq=False)
class PlanRun:
    """A planned pack: the demand sizing, the checked plan and the notes that travel with them.

    ``out_dir`` and ``files`` are set once the run has been written
    (:func:`capacity_planner.workflow.run_plan`).
    """

    pack: PlanningPack
    demand: DemandResult
    plan: PlanResult
    notes: list[str]
    out_dir: Path | None = None
    files: list[Path] = field(default_factory=list)

    @property
    def summary(self) -> PlanSummary:
        """The plan's summary.json content."""
        return self.plan.summary


def set_aside_note(demand: DemandResult, history_end: dt.date | None = None) -> list[str]:
    """The note saying how many referrals in the planning year were set aside (none when none were);
    with ``history_end`` it says when the history ends."""
    if not demand.set_aside:
        return []
    ends = "" if history_end is None else f" (history ends {history_end:%Y-%m-%d})"
    return [f"{demand.set_aside:,} referrals dated in the planning year were set aside{ends}."]


def plan_pack(pack: PlanningPack, options: PlanOptions | None = None, *,
              demand: DemandResult | None = None) -> PlanRun:
    """Size demand and allocate the team's sessions: the run every command and notebook plans with.

    Parameters
    ----------
    pack : PlanningPack
        The service.
    options : PlanOptions, optional
        Solver limits and allowances (default: the pack's ``[solver]`` settings, nothing bought).
    demand : DemandResult, optional
        Demand already sized for this pack (the frontier sizes once for every budget); default
        :func:`~capacity_planner.demand.pipeline.size_demand` of the pack.

    Returns
    -------
    PlanRun
        The plan has passed the independent checker
        (:func:`~capacity_planner.solver.plan.verify_plan`); its summary's ``notes`` start with the
        demand step's notes.

    Raises
    ------
    InfeasiblePlanError
        When the rules cannot all hold (only with ``options.raise_on_failure``).
    PlanCheckError
        When a plan breaks a rule (a bug).
    """
    from capacity_planner.solver.plan import plan_allocation  # only solver/ imports ortools at load

    options = options or PlanOptions()
    demand = size_demand(pack) if demand is None else demand
    plan = plan_allocation(
        pack, demand.requirements, time_limit_s=options.time_limit_s, seed=options.seed,
        workers=options.workers, allowances=options.allowances, progress=options.progress,
        deterministic=options.deterministic, raise_on_failure=options.raise_on_failure,
        work_limit=options.work_limit, part_progress=options.part_progress, executor=options.executor,
        scheduler=options.scheduler, baseline=options.baseline)
    notes = [*demand.notes, *set_aside_note(demand)]
    return PlanRun(pack, demand, plan, notes)
