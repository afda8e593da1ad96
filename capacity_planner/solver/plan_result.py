"""A solved plan as one record: :class:`PlanResult` (the tables, the solve and summary.json) and the summary
builder, shared by the single-model solve (:mod:`capacity_planner.solver.single`) and the joiner of a split
pack (:mod:`capacity_planner.solver.join`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from capacity_planner._version import __version__
from capacity_planner.errors import CapacityPlannerError, InfeasiblePlanError
from capacity_planner.plan_summary import PlanSummary
from capacity_planner.solver.result import Result, SolveStatus

if TYPE_CHECKING:
    import pandas as pd

    from capacity_planner.demand.requirements import Requirements
    from capacity_planner.pack.model import PlanningPack
    from capacity_planner.solver.options import Allowances
    from capacity_planner.solver.problem import AllocationProblem


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


def build_summary(
    pack: PlanningPack, result: Result, time_limit_s: float, deterministic: bool, extra: dict[str, Any],
    allowances: Allowances | None = None,
) -> PlanSummary:
    """summary.json of a plan: the solve's status, levels and settings, with ``extra`` (the plan's
    figures: unmet demand, costs, changes, gap reasons, notes, parts) added on top."""
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
