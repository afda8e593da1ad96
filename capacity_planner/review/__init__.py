"""Quarterly review: planned vs delivered sessions, expected vs actual demand, e-job-planning KPIs.

Step 5 of *E-job planning the clinical workforce* (NHS England, 2023): review at least quarterly whether
actual demand matches expected demand and reconcile delivered sessions (e-roster) with planned ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from capacity_planner.review.delivered import (
    ReviewPeriod,
    agreed_plan,
    planned_vs_delivered,
    review_period,
    weeks_without_rows,
)
from capacity_planner.review.kpis import (
    DEFAULT_THRESHOLD_PCT,
    demand_comparison,
    hospital_cancellation_rates,
    kpi_table,
    review_table,
)

if TYPE_CHECKING:
    import datetime as dt

    from capacity_planner.pack.model import PlanningPack

__all__ = ["ReviewResult", "run_review", "write_review"]


@dataclass(frozen=True, eq=False)
class ReviewResult:
    """Everything the review writes: the period, ``review.csv``, ``kpis.csv`` and the demand comparison;
    ``from_job_plans``: the active clinicians a ``--plan`` allocation does not name, reviewed against their
    job plans in the pack (:func:`~capacity_planner.review.delivered.agreed_plan`); ``weeks_without_rows``:
    the Mondays of the period, within the extract, with no delivered row
    (:func:`~capacity_planner.review.delivered.weeks_without_rows`). Both are said in notes on the console
    and on review.html (:func:`~capacity_planner.review.html.review_notes`)."""

    period: ReviewPeriod
    review: pd.DataFrame
    kpis: pd.DataFrame
    demand: pd.DataFrame
    detail: pd.DataFrame
    threshold_pct: float
    from_job_plans: tuple[str, ...] = ()
    weeks_without_rows: tuple[dt.date, ...] = ()


def _forecast_at_plan_time(pack: PlanningPack) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Weekly forecast (activity_id, week_start, mean) from history before the plan start (for a monthly
    pack, before the first day of the plan start's month), and the requirements table (for planned DNA
    rates)."""
    from capacity_planner.demand.pipeline import history_before, size_demand

    cutoff = pack.plan_start
    if pack.settings.frequency == "monthly":  # a month's total is not known until the month has ended
        cutoff = cutoff.replace(day=1)
    history, _ = history_before(pack, cutoff)
    if len(history.referrals) == 0:
        return pd.DataFrame(columns=["activity_id", "week_start", "mean"]), None
    result = size_demand(history)
    weekly = result.weekly
    forecast = weekly.loc[weekly["kind"] == "forecast", ["activity_id", "week_start", "mean"]]
    return forecast, result.requirements.table


def run_review(
    pack: PlanningPack,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    plan_dir: Path | None = None,
    threshold_pct: float = DEFAULT_THRESHOLD_PCT,
) -> ReviewResult:
    """Compare the agreed plan with the delivered extract and the forecast with actual referrals.

    Parameters
    ----------
    pack : PlanningPack
        Must hold a ``delivered`` extract; referrals in its weeks are the actual demand.
    date_from, date_to : date, optional
        Review period (snapped to whole weeks); default: the weeks of the delivered extract.
    plan_dir : Path, optional
        A ``plan`` output folder whose ``allocation.csv`` is the agreed plan; default: the pack's job plans.
    threshold_pct : float
        Variance (%) beyond which rows are flagged with a likely cause.
    """
    period = review_period(pack, date_from, date_to)
    agreed = agreed_plan(pack, plan_dir)
    cells = agreed.cells
    detail = planned_vs_delivered(pack, period, cells)
    forecast, requirements = _forecast_at_plan_time(pack)
    demand = demand_comparison(pack, period, forecast)
    review = review_table(detail, demand, hospital_cancellation_rates(pack, period), threshold_pct)
    kpis = kpi_table(pack, period, detail, demand, requirements, cells)
    return ReviewResult(period, review, kpis, demand, detail, threshold_pct, agreed.from_job_plans,
                        weeks_without_rows(pack, period))


def write_review(pack: PlanningPack, result: ReviewResult, out_dir: Path, *,
                 inputs: tuple[str | Path | None, ...] = (), anonymise: bool = False,
                 charts: bool = True) -> list[Path]:
    """Write ``review.csv``, ``kpis.csv``, ``review.html`` and (``charts``) the XmR charts of sessions
    delivered a week, ``charts/spc_delivered.png`` and ``charts/spc_delivered_<activity>.png``
    (:func:`capacity_planner.review.spc.delivered_spc_charts`), into ``out_dir`` (all or nothing; the
    folder must be new, empty or a previous run's, :func:`capacity_planner._files.output_folder`).

    With ``anonymise`` clinicians appear only as the pseudonyms ``plan --anonymise`` gives them
    (Clinician A, B, ... in sorted order of their IDs), and their names are scrubbed from every text
    (chart titles included)."""
    from capacity_planner._csv import write_csv
    from capacity_planner._files import output_folder
    from capacity_planner.review.html import (  # matplotlib loads only to write
        render_review_html,
        review_notes,
    )

    out_dir = Path(out_dir)
    names = ["review.csv", "kpis.csv", "review.html"]
    review, kpis, demand = result.review, result.kpis, result.demand
    title = pack.settings.name
    chart_pack = pack
    if anonymise:
        from capacity_planner.report.anonymise import Pseudonyms, anonymise_frame, anonymise_pack

        ps = Pseudonyms.from_pack(pack)
        review, kpis, demand = (anonymise_frame(f, ps) for f in (review, kpis, demand))
        title = ps.scrub_text(title)
        chart_pack = anonymise_pack(pack, ps)
    notes = review_notes(result, dict(ps.mapping) if anonymise else
                         {c.clinician_id: c.name for c in pack.clinicians if c.name})
    with output_folder(out_dir, "review", inputs=inputs) as tmp:
        write_csv(review, tmp / "review.csv")
        write_csv(kpis, tmp / "kpis.csv")
        spc_files = []
        spc_settings: list[dict[str, str]] = []
        if charts:
            from capacity_planner.report.spc_chart import write_spc_charts
            from capacity_planner.review.spc import delivered_spc_charts, spc_settings_rows

            spc_files = write_spc_charts(delivered_spc_charts(chart_pack, result), tmp / "charts")
            spc_settings = spc_settings_rows(chart_pack, result)
            names += [f"charts/{f.path.name}" for f in spc_files]
        page = render_review_html(
            title, result.period, review, kpis, demand, result.threshold_pct, spc_charts=spc_files,
            clinician_names={c.clinician_id: c.name for c in chart_pack.clinicians if c.name},
            activity_names={a.activity_id: a.name for a in chart_pack.activities if a.name},
            monthly=pack.settings.frequency == "monthly", spc_settings=spc_settings, notes=notes)
        (tmp / "review.html").write_text(page, encoding="utf-8")
    return [out_dir / n for n in names]
