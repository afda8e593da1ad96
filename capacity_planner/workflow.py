"""The main jobs end to end: ``demand`` (size the service) and ``plan`` (demand, allocation, meeting pack).

Each job builds its whole output in a staging folder next to ``--out`` and swaps it in only when
everything succeeded (:func:`capacity_planner._files.output_folder`: the folder must be new, empty or a
previous run's; the previous outputs are replaced as a whole), so outputs appear complete or not at all.

Planning uses referral history strictly before the plan start; referrals inside the planning year (the
quarter's actuals for ``review``) are set aside, and a note says how many.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

from capacity_planner._files import check_output_folder, output_folder
from capacity_planner.application import PlanOptions, PlanRun, plan_pack, set_aside_note
from capacity_planner.demand.pipeline import DemandResult, history_before, size_demand
from capacity_planner.outputs import write_demand_tables, write_plan_tables

if TYPE_CHECKING:
    from collections.abc import Iterator

    from capacity_planner.pack.model import PlanningPack
    from capacity_planner.solver.join import PartExecutor, PartProgress
    from capacity_planner.solver.plan_result import PlanResult
    from capacity_planner.solver.solve import Progress



def history_only(pack: PlanningPack) -> tuple[PlanningPack, int]:
    """The pack with referrals before the plan start only, and how many later referrals were set aside
    (:func:`~capacity_planner.demand.pipeline.history_before`; :func:`size_demand` does it itself)."""
    return history_before(pack)


def pack_inputs(pack: PlanningPack) -> tuple[str | None]:
    """The pack's file or folder, which no output folder may be or contain (None for an in-memory pack)."""
    path = pack.source.path
    return (path or None,) if pack.source.format != "memory" else (None,)


@contextmanager
def staged_output(out_dir: str | Path, command: str = "output",
                  inputs: tuple[str | None, ...] = ()) -> Iterator[Path]:
    """A staging folder that replaces ``out_dir`` as a whole only if the block succeeds
    (:func:`capacity_planner._files.output_folder`)."""
    with output_folder(out_dir, command, inputs=inputs) as stage:
        yield stage


def activity_names(pack: PlanningPack, *, anonymise: bool = False) -> dict[str, str]:
    """Activity id → name for chart titles; with ``anonymise`` clinicians' names are scrubbed from them."""
    names = {a.activity_id: a.name or a.activity_id for a in pack.activities}
    if anonymise:
        from capacity_planner.report.anonymise import Pseudonyms

        ps = Pseudonyms.from_pack(pack)
        names = {k: ps.scrub_text(v) for k, v in names.items()}
    return names


def demand_rebase_dates(pack: PlanningPack, demand: DemandResult) -> dict[str, tuple[dt.date, ...]]:
    """Where each activity's weekly-demand XmR chart starts new limits (issue 18 item 4: rebasing at
    stated or detected changes): the dates ``review.spc_rebase`` states for the activity or for ``all``
    charts, and the week the forecast found a level shift from (weekly series; the note names it too).
    Each date starts new limits at the first week on or after it."""
    from capacity_planner.demand.history import week_start_of
    from capacity_planner.pack.settings import ALL_CHARTS

    stated: dict[str, set[dt.date]] = {}
    for key, dates in pack.settings.spc_rebase:
        stated.setdefault(key, set()).update(dates)
    out: dict[str, tuple[dt.date, ...]] = {}
    for aid in pack.activity_ids:
        chart_dates: set[dt.date] = stated.get(ALL_CHARTS, set()) | stated.get(aid, set())
        fc = demand.forecasts.get(aid)
        if fc is not None and fc.shift_at is not None and not fc.model.startswith("monthly"):
            chart_dates.add(week_start_of(int(fc.shift_at))[0].date())
        if chart_dates:
            out[aid] = tuple(sorted(chart_dates))
    return out


def write_demand_spc(pack: PlanningPack, demand: DemandResult, folder: Path, *,
                     anonymise: bool = False) -> list[Path]:
    """Write the Making Data Count XmR chart of each activity's weekly demand history
    (``charts/spc_demand_<activity>.png``, :func:`capacity_planner.report.spc_chart.demand_spc_charts`),
    rebased at :func:`demand_rebase_dates`."""
    weekly = demand.weekly
    if not len(weekly) or not (weekly["kind"] == "history").any():
        return []
    from capacity_planner.report.spc_chart import demand_spc_charts, write_spc_charts

    charts = demand_spc_charts(weekly, activity_names(pack, anonymise=anonymise),
                               rebase=demand_rebase_dates(pack, demand))
    return [f.path for f in write_spc_charts(charts, folder / "charts")]


@dataclass(frozen=True, eq=False)
class DemandRun:
    """Result of :func:`run_demand`."""

    demand: DemandResult
    out_dir: Path
    files: list[Path]
    notes: list[str]


CHARTS_PER_ACTIVITY_UP_TO: Final = 40
"""``demand`` draws two charts per activity (forecast and XmR) up to this many activities; above it, one
overview chart of every activity (:func:`capacity_planner.report.plots.demand_overview_image`), unless
every chart is asked for: a trust's 160 activities took about 85 % of the command's CPU in 320 charts
(issue 16)."""


def run_demand(pack: PlanningPack, out_dir: str | Path, *, charts: bool | Literal["all"] = True,
               workers: int = 1) -> DemandRun:
    """Size demand and write requirements.csv, weekly_demand.csv and charts into ``out_dir``.

    ``charts``: True draws the forecast chart and the XmR chart of weekly demand of each activity when the
    pack has at most :data:`CHARTS_PER_ACTIVITY_UP_TO` activities and one overview chart
    (``charts/demand_overview.png``) above that, with a note; ``"all"`` draws every activity's charts
    however many; False draws none. ``workers``: processes for the weekly forecasts (:func:`~capacity_planner.
    demand.pipeline.size_demand`; the same result for any number)."""
    check_output_folder(out_dir, inputs=pack_inputs(pack))
    demand = size_demand(pack, workers=workers)
    notes = [*demand.notes, *set_aside_note(demand, pack.plan_start - dt.timedelta(days=1))]
    n_activities = int(demand.weekly["activity_id"].nunique()) if len(demand.weekly) else 0
    overview = charts is True and n_activities > CHARTS_PER_ACTIVITY_UP_TO
    with staged_output(out_dir, "demand", pack_inputs(pack)) as stage:
        written = write_demand_tables(demand, stage, charts=bool(charts) and not overview)
        if overview:
            from capacity_planner.report.plots import demand_overview_image

            written.append(demand_overview_image(demand.weekly, activity_names(pack)).write(stage / "charts"))
            notes.append(
                f"{n_activities} activities: drew one overview chart (charts/demand_overview.png) instead of "
                f"{2 * n_activities} charts per activity; --all-charts draws them"
            )
        elif charts:
            written += write_demand_spc(pack, demand, stage)
    out = Path(out_dir)
    return DemandRun(demand, out, [out / p.relative_to(stage) for p in written], notes)


def run_plan(pack: PlanningPack, out_dir: str | Path, *, time_limit_s: float | None = None,
             seed: int | None = None, workers: int | None = None, anonymise: bool = False,
             report: bool = True, progress: Progress | None = None, work_limit: float | None = None,
             part_progress: PartProgress | None = None, executor: PartExecutor = "process",
             scheduler: str | None = None) -> PlanRun:
    """Size demand, allocate sessions, and write every plan output and the meeting pack.

    Writes (DESIGN.md section 4) requirements.csv, weekly_demand.csv, allocation.csv, gaps.csv,
    clinicians.csv, changes.csv, gap_reasons.csv, summary.json, report.html, plan.xlsx and charts/
    (with ``report``: the demand forecast and XmR charts per activity and the report's charts).
    ``time_limit_s``, ``seed``, ``workers`` and ``work_limit`` override pack.toml ``[solver]``
    (:func:`~capacity_planner.solver.plan.plan_allocation`); ``part_progress`` is called as each
    independent part of a split pack finishes; ``executor`` and ``scheduler`` say where the parts run
    (:class:`~capacity_planner.application.PlanOptions`).

    Raises
    ------
    InfeasiblePlanError
        When the contract rules cannot all hold (the reasons are in plain words); nothing is written.
    """
    check_output_folder(out_dir, inputs=pack_inputs(pack))  # refuse before the solve, not after
    run = plan_pack(pack, PlanOptions(time_limit_s=time_limit_s, seed=seed, workers=workers,
                                      progress=progress, work_limit=work_limit, part_progress=part_progress,
                                      executor=executor, scheduler=scheduler))
    return write_meeting_pack(run, out_dir, anonymise=anonymise, report=report)


def write_meeting_pack(run: PlanRun, out_dir: str | Path, *, anonymise: bool = False,
                       report: bool = True) -> PlanRun:
    """Write a planned run's folder: every plan output and, with ``report``, the meeting pack.

    Writes (DESIGN.md section 4) requirements.csv, weekly_demand.csv, allocation.csv, gaps.csv,
    clinicians.csv, changes.csv, gap_reasons.csv, summary.json (whose ``notes`` start with the demand
    step's notes), and with ``report`` report.html, plan.xlsx and charts/ (the demand forecast and XmR
    charts per activity and the report's charts), all or nothing under the output-folder rule
    (:func:`capacity_planner._files.output_folder`). Everything is built from the run in memory and
    written once: with ``anonymise`` the pack, the plan's tables and summary and the demand tables are
    given pseudonyms before anything is written (:mod:`capacity_planner.report.anonymise`); the meeting
    pack's tables (:func:`~capacity_planner.report.tables.plan_outputs`) and charts
    (:func:`~capacity_planner.report.meeting_pack.meeting_pack_charts`) come from the same objects.

    Returns
    -------
    PlanRun
        ``run`` with the summary's notes merged, ``out_dir`` and the ``files`` written.
    """
    pack, demand, notes = run.pack, run.demand, run.notes
    # The demand step's warnings travel with the plan: into summary.json (and so the report's notes).
    summary = dataclasses.replace(
        run.plan.summary, notes=[*notes, *[n for n in run.plan.summary.notes if n not in notes]])
    plan = dataclasses.replace(run.plan, summary=summary)
    shown_pack, shown_plan, shown_demand = pack, plan, demand
    if anonymise:
        from capacity_planner.report.anonymise import (
            Pseudonyms,
            anonymise_demand,
            anonymise_pack,
            anonymise_plan,
        )

        pseudonyms = Pseudonyms.from_pack(pack)
        shown_pack = anonymise_pack(pack, pseudonyms)
        shown_plan = anonymise_plan(plan, pseudonyms)
        shown_demand = anonymise_demand(demand, pseudonyms)
    with staged_output(out_dir, "plan", pack_inputs(pack)) as stage:
        write_demand_tables(shown_demand, stage, charts=False)
        write_plan_tables(shown_plan, stage)  # includes gap_reasons.csv
        if report:
            _write_report(shown_pack, shown_plan, shown_demand, stage, anonymised=anonymise)
        files = sorted(p.relative_to(stage) for p in stage.rglob("*") if p.is_file())
    out = Path(out_dir)
    return dataclasses.replace(run, plan=plan, out_dir=out, files=[out / f for f in files])


def _write_report(pack: PlanningPack, plan: PlanResult, demand: DemandResult, folder: Path, *,
                  anonymised: bool) -> list[Path]:
    """The meeting pack (report.html, plan.xlsx, charts/) of a run, from its results in memory."""
    from capacity_planner.report.meeting_pack import meeting_pack_charts, write_meeting_files
    from capacity_planner.report.tables import build_meeting_data, plan_outputs

    data = build_meeting_data(pack, plan_outputs(plan, demand), anonymised=anonymised)
    models = {aid: f.model for aid, f in demand.forecasts.items() if f is not None}
    charts = meeting_pack_charts(data, demand.weekly, models, rebase=demand_rebase_dates(pack, demand))
    return write_meeting_files(data, charts, folder)
