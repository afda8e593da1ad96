"""capacity_planner: match NHS clinical workforce capacity to patient demand.

The public API an analyst imports::

    import capacity_planner as cp
    pack = cp.read_pack("my_service.xlsx")       # or a folder of CSV/Parquet + pack.toml
    pack = cp.sample_pack()                       # the embedded sample
    demand = cp.size_demand(pack)                 # referrals before the plan start -> sessions a year
    run = cp.plan(pack, cp.PlanOptions(work_limit=20, seed=0, workers=1))  # demand, allocation, check
    cp.write_meeting_pack(run, "out/plan")        # every output, report.html and plan.xlsx
    table = cp.run_scenarios(pack, "scenarios.toml", "out/whatif")
    result = cp.review(pack, plan_dir="out/plan")  # planned vs delivered, expected vs actual demand

Deeper modules (``capacity_planner.solver``, ``.demand``, ``.scenarios``, ``.report``) stay importable but
are not needed for these jobs. See ``docs/`` for the planning-pack format and the methods.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

# Loaded before ``review`` below is defined, so that function (not the subpackage) is ``cp.review``.
import capacity_planner.review as _review_package
from capacity_planner._version import __version__
from capacity_planner.application import PlanOptions, PlanRun, plan_pack
from capacity_planner.demand.pipeline import DemandResult, size_demand
from capacity_planner.errors import CapacityPlannerError, PackValidationError, Problem
from capacity_planner.pack.model import PlanningPack
from capacity_planner.pack.read import read_pack, sample_pack, sample_pack_path
from capacity_planner.pack.write import write_pack
from capacity_planner.workflow import write_meeting_pack

if TYPE_CHECKING:
    import datetime as dt

    import pandas as pd

    from capacity_planner.review import ReviewResult
    from capacity_planner.scenarios.runner import ScenarioSource


def plan(pack: PlanningPack, options: PlanOptions | None = None) -> PlanRun:
    """Size demand and allocate the team's sessions (:func:`capacity_planner.application.plan_pack`);
    write the run with :func:`write_meeting_pack`."""
    return plan_pack(pack, options)


def run_scenarios(pack: PlanningPack, scenarios: ScenarioSource, out_dir: str | Path,
                  **options: Any) -> pd.DataFrame:
    """Plan every what-if scenario (a scenarios TOML file, or Scenario objects) and write the comparison
    (:func:`capacity_planner.scenarios.runner.run_scenarios`, whose keyword options it takes)."""
    from capacity_planner.scenarios.runner import run_scenarios as run

    return run(pack, scenarios, out_dir, **options)


def review(pack: PlanningPack, *, date_from: dt.date | None = None, date_to: dt.date | None = None,
           plan_dir: str | Path | None = None, threshold_pct: float = 10.0) -> ReviewResult:
    """The quarterly review in memory (:func:`capacity_planner.review.run_review`): planned vs delivered
    sessions, expected vs actual demand and the KPIs; ``plan_dir`` is a ``plan`` output folder whose
    allocation is the agreed plan (default: the pack's job plans)."""
    return _review_package.run_review(pack, date_from, date_to, None if plan_dir is None else Path(plan_dir),
                                      threshold_pct)


__all__ = [
    "CapacityPlannerError",
    "DemandResult",
    "PackValidationError",
    "PlanOptions",
    "PlanRun",
    "PlanningPack",
    "Problem",
    "__version__",
    "plan",
    "read_pack",
    "review",
    "run_scenarios",
    "sample_pack",
    "sample_pack_path",
    "size_demand",
    "write_meeting_pack",
    "write_pack",
]
