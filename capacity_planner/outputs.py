"""The output layer's table writers: a plan's and a demand sizing's files, from the results in memory.

The writers write into a folder the caller owns and stages (:func:`capacity_planner._files.output_folder`,
the one all-or-nothing writer: files appear complete or not at all, under the ownership rule), so they
write straight into it. ``solver/`` and ``demand/`` compute and write no files; the columns are those of
:mod:`capacity_planner.output_schema`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from capacity_planner._csv import write_csv
from capacity_planner._files import file_stem
from capacity_planner.output_schema import PLAN_TABLES

if TYPE_CHECKING:
    from capacity_planner.demand.pipeline import DemandResult
    from capacity_planner.solver.plan import PlanResult

__all__ = ["PLAN_OUTPUT_FILES", "write_demand_tables", "write_plan_tables"]

PLAN_OUTPUT_FILES = (
    "allocation.csv",
    "gaps.csv",
    "clinicians.csv",
    "changes.csv",
    "summary.json",
    "gap_reasons.csv",
)


def write_plan_tables(plan: PlanResult, folder: str | Path) -> list[Path]:
    """Write allocation.csv, gaps.csv, clinicians.csv, changes.csv, summary.json and gap_reasons.csv
    (activity_id, reason: why demand stays unmet) into the staged ``folder``.

    Returns
    -------
    list of Path
        The files written, in :data:`PLAN_OUTPUT_FILES` order.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    for key, table in PLAN_TABLES.items():
        write_csv(plan.tables[key], out / table.file)
    write_csv(plan.gap_reasons, out / "gap_reasons.csv")
    with open(out / "summary.json", "w", encoding="utf-8") as fh:
        fh.write(plan.summary.to_json())
    return [out / name for name in PLAN_OUTPUT_FILES]


def write_demand_tables(result: DemandResult, folder: str | Path, *, charts: bool = True) -> list[Path]:
    """Write ``requirements.csv``, ``weekly_demand.csv`` and (``charts``) ``charts/demand_<activity>.png``
    (:class:`capacity_planner.report.plots.DemandFigure`) into the staged ``folder``.

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    result.requirements.to_csv(out / "requirements.csv")
    written.append(out / "requirements.csv")
    weekly = result.weekly.copy()
    weekly["week_start"] = pd.to_datetime(weekly["week_start"]).dt.strftime("%Y-%m-%d")
    write_csv(weekly, out / "weekly_demand.csv", float_format="%.6g")
    written.append(out / "weekly_demand.csv")
    if charts and len(result.weekly):
        from capacity_planner.report import plots  # matplotlib loads only when charts are drawn

        (out / "charts").mkdir(exist_ok=True)
        with plots.DemandFigure() as figure:
            for aid, frame in result.weekly.groupby("activity_id", sort=False):
                path = out / "charts" / f"demand_{file_stem(str(aid))}.png"
                forecast = result.forecasts.get(str(aid))
                written.append(figure.draw(frame, str(aid), path,
                                           model=None if forecast is None else forecast.model))
    return written
