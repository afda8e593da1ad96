"""The team-meeting pack: ``report.html``, ``plan.xlsx`` and ``charts/*.png``, written once from the tables
and charts in memory.

A run (:func:`capacity_planner.workflow.write_meeting_pack`) builds its
:class:`~capacity_planner.report.tables.MeetingData` from the plan and demand results it holds
(:func:`~capacity_planner.report.tables.plan_outputs`) and its charts from the same results
(:func:`meeting_pack_charts`), then :func:`write_meeting_files` writes the page, the workbook and every
chart; nothing written is read back. Where a plan folder really is the input (a report re-rendered from a
folder: :func:`write_report_files`, :func:`write_report_html`) the folder is read once
(:func:`~capacity_planner.report.tables.read_plan_dir`, which types the tables exactly as the run in memory
does) and the charts are drawn from its tables; no chart is ever found by its file name.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from capacity_planner._files import file_stem, write_file_atomic
from capacity_planner.report import charts as CH
from capacity_planner.report.tables import MeetingData, build_meeting_data, load_meeting_data, read_plan_dir

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Mapping, Sequence

    from capacity_planner.pack.model import PlanningPack
    from capacity_planner.report.chart_image import ChartImage

__all__ = ["CHARTS_DIR", "HTML_NAME", "WORKBOOK_NAME", "MeetingCharts", "meeting_pack_charts",
           "write_meeting_files", "write_report_files", "write_report_html"]

HTML_NAME = "report.html"
WORKBOOK_NAME = "plan.xlsx"
CHARTS_DIR = "charts"


@dataclass(frozen=True)
class MeetingCharts:
    """Every chart of the meeting pack, drawn: the four plan charts (by name: ``capacity_vs_demand``,
    ``timetable``, ``pa_mix``, ``gap_waterfall``), the weekly demand and the XmR chart of each activity,
    in the report's activity order."""

    plan: Mapping[str, ChartImage]
    weekly: tuple[ChartImage, ...] = ()
    spc: tuple[ChartImage, ...] = ()

    @property
    def all(self) -> tuple[ChartImage, ...]:
        """Every chart, as written to ``charts/``."""
        return (*self.weekly, *self.spc, *self.plan.values())


def activity_order(data: MeetingData) -> list[str]:
    """Activities in the report's order: the demand table's, then the pack's others."""
    shown = [str(a) for a in data.demand["activity_id"]]
    return shown + [a for a in data.activity_names if a not in set(shown)]


def _in_report_order(data: MeetingData, by_activity: Mapping[str, ChartImage]) -> tuple[ChartImage, ...]:
    order = activity_order(data)
    rest = [a for a in by_activity if a not in set(order)]
    return tuple(by_activity[a] for a in [*order, *rest] if a in by_activity)


def meeting_pack_charts(data: MeetingData, weekly: pd.DataFrame | None,
                        models: Mapping[str, str] | None = None, *,
                        rebase: Mapping[str, Sequence[dt.date]] | None = None) -> MeetingCharts:
    """Draw the meeting pack's charts in memory.

    Parameters
    ----------
    data : MeetingData
        The plan's meeting tables (names already pseudonyms when anonymised).
    weekly : DataFrame, optional
        The demand step's long weekly table (``DemandResult.weekly``, or ``weekly_demand.csv`` for a plan
        folder); None or empty: no weekly demand or XmR charts.
    models : mapping, optional
        Activity id → forecast model, named in the weekly demand charts' titles.
    rebase : mapping, optional
        Activity id → dates where its weekly-demand XmR chart starts new limits
        (:func:`capacity_planner.workflow.demand_rebase_dates`).
    """
    from capacity_planner.report.plots import demand_chart_images
    from capacity_planner.report.spc_chart import demand_spc_charts

    plan = {chart.name: chart.image() for chart in CH.meeting_charts(data)}
    if weekly is None or weekly.empty:
        return MeetingCharts(plan)
    names = dict(data.activity_names)
    activities = [str(a) for a in pd.unique(weekly["activity_id"])]
    forecast = dict(zip(activities, demand_chart_images(weekly, models, names), strict=True))
    spc = {}
    for chart in demand_spc_charts(weekly, names, rebase=rebase):
        activity = next(a for a in activities if chart.name == f"spc_demand_{file_stem(a)}")
        spc[activity] = chart.image(f"Is weekly demand stable? {names.get(activity, activity)}")
    return MeetingCharts(plan, _in_report_order(data, forecast), _in_report_order(data, spc))


def _forecast_models(data: MeetingData) -> dict[str, str]:
    """Activity id → forecast model, from requirements.csv (``forecast_model``) of a plan folder."""
    req = data.outputs.requirements
    if "forecast_model" not in req.columns:
        return {}
    return {str(a): str(m) for a, m in zip(req["activity_id"], req["forecast_model"], strict=True) if str(m)}


def folder_charts(data: MeetingData) -> MeetingCharts:
    """The charts of a plan read from a folder, drawn from its tables (weekly_demand.csv and the forecast
    models of requirements.csv)."""
    return meeting_pack_charts(data, data.outputs.weekly_demand, _forecast_models(data))


def write_meeting_files(data: MeetingData, charts: MeetingCharts, folder: str | Path) -> list[Path]:
    """Write ``charts/*.png``, ``report.html`` and ``plan.xlsx`` into ``folder`` (a run's staged folder,
    :func:`capacity_planner._files.output_folder`, or a plan folder re-rendered); returns the paths."""
    from capacity_planner.report.excel import build_workbook
    from capacity_planner.report.html import render_report_html

    out = Path(folder)
    written = [image.write(out / CHARTS_DIR) for image in charts.all]
    written.append(write_file_atomic(out / HTML_NAME, render_report_html(data, charts).encode("utf-8")))
    buf = io.BytesIO()
    build_workbook(data).save(buf)
    written.append(write_file_atomic(out / WORKBOOK_NAME, buf.getvalue()))
    return written


def write_report_files(pack: PlanningPack, plan_dir: str | Path, anonymise: bool = False) -> list[Path]:
    """Re-render the meeting pack of the plan folder ``plan_dir`` into it: ``report.html``, ``plan.xlsx``
    and ``charts/*.png``.

    The folder is read once (:func:`~capacity_planner.report.tables.read_plan_dir`). With ``anonymise``
    its CSV and JSON files are first rewritten with pseudonyms
    (:func:`~capacity_planner.report.anonymise.anonymise_plan_dir`), and every output is built from a
    pack whose clinicians carry only pseudonyms. Returns the paths written (the rewritten CSVs first when
    anonymising)."""
    from capacity_planner.report.anonymise import Pseudonyms, anonymise_pack, anonymise_plan_dir

    folder = Path(plan_dir)
    written: list[Path] = []
    if anonymise:
        ps = Pseudonyms.from_pack(pack)
        written += anonymise_plan_dir(folder, ps)
        pack = anonymise_pack(pack, ps)
    data = build_meeting_data(pack, read_plan_dir(folder), anonymised=anonymise)
    return written + write_meeting_files(data, folder_charts(data), folder)


def write_report_html(pack: PlanningPack, plan_dir: str | Path, out_path: str | Path | None = None,
                      anonymise: bool = False, *, data: MeetingData | None = None) -> Path:
    """Write only the report page of the plan in ``plan_dir`` (default ``plan_dir/report.html``).

    With ``anonymise`` the clinicians are shown as pseudonyms and free text is scrubbed (the plan folder
    is not touched). ``data`` skips reading the folder."""
    from capacity_planner.report.html import render_report_html

    folder = Path(plan_dir)
    if data is None:
        data = load_meeting_data(pack, folder, anonymise=anonymise)
    page = render_report_html(data, folder_charts(data))
    return write_file_atomic(Path(out_path) if out_path else folder / HTML_NAME, page.encode("utf-8"))

