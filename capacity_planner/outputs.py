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
from capacity_planner.output_schema import PLAN_TABLES, WEEKLY_DEMAND

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from capacity_planner.demand.pipeline import DemandResult
    from capacity_planner.report.chart_image import ChartImage
    from capacity_planner.solver.plan_result import PlanResult

__all__ = ["PLAN_OUTPUT_FILES", "WEEKLY_DIGITS", "demand_charts", "weekly_demand_table", "write_chart_images",
           "write_demand_tables", "write_plan_tables"]

WEEKLY_DIGITS = 6
"""Significant digits of the numbers in weekly_demand.csv."""

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


def weekly_demand_table(result: DemandResult) -> pd.DataFrame:
    """weekly_demand.csv as written: ``week_start`` as ISO dates (YYYY-MM-DD) and every number to the
    :data:`WEEKLY_DIGITS` significant digits the file keeps, so a page built from memory shows exactly the
    file's numbers (a missing number stays missing)."""
    weekly = result.weekly.copy()
    weekly["week_start"] = pd.to_datetime(weekly["week_start"]).dt.strftime("%Y-%m-%d")
    for column in WEEKLY_DEMAND.numeric:
        weekly[column] = [float(f"{v:.{WEEKLY_DIGITS}g}") for v in weekly[column].astype("float64")]
    return weekly


def write_demand_tables(result: DemandResult, folder: str | Path, *, charts: bool = True) -> list[Path]:
    """Write ``requirements.csv``, ``weekly_demand.csv`` and (``charts``) ``charts/demand_<activity>.png``
    (:func:`capacity_planner.report.plots.demand_chart_images`) into the staged ``folder``.

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    result.requirements.to_csv(out / "requirements.csv")
    write_csv(weekly_demand_table(result), out / "weekly_demand.csv", float_format=f"%.{WEEKLY_DIGITS}g")
    written = [out / "requirements.csv", out / "weekly_demand.csv"]
    if charts:
        written += write_chart_images(demand_charts(result), out / "charts")
    return written


def demand_charts(result: DemandResult, names: Mapping[str, str] | None = None) -> list[ChartImage]:
    """The weekly-demand chart of each activity (history, forecast band, sized level; the forecast model
    in the title), drawn in memory (:func:`capacity_planner.report.plots.demand_chart_images`)."""
    from capacity_planner.report.plots import demand_chart_images  # matplotlib loads only for charts

    models = {aid: f.model for aid, f in result.forecasts.items() if f is not None}
    return demand_chart_images(result.weekly, models, names)


def write_chart_images(images: Sequence[ChartImage], folder: str | Path) -> list[Path]:
    """Write each chart as ``folder/<name>.png``; returns the paths in order."""
    return [image.write(folder) for image in images]
