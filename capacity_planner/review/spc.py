r"""Delivered sessions per week as XmR charts (Making Data Count) for the quarterly review.

The weekly series is the team's delivered sessions (substantive and additional rows of the ``delivered``
extract, the sessions the plan counts; locum and WLI sessions are bought and left out) in each week of
the review period, 0 in a week with no rows. The target is the plan's sessions a week over the period,

.. math::

    T = \frac{\sum_{c,a} P_{c,a}}{W}

with :math:`P_{c,a}` the planned sessions of :mod:`capacity_planner.review.delivered` (leave-aware) and
:math:`W` the weeks of the period. Higher is better (``improvement_direction="increase"``), so the
assurance icon answers "does the team consistently deliver its plan?": *pass* when the whole process
(every value between the limits) is at or above the plan, *fail* when it is all below, *hit or miss* when
the plan lies between the limits. Weeks with leave fall below the average plan by design; they are
common-cause variation unless leave bunches (a run or a point beyond a limit says so).

The pack's settings (docs/data-pack.md) change three things, per chart (``team`` for the team's chart, an
activity ID for the activity's): ``review.spc_rebase`` — dates the service changed, each starting new
limits at the first week on or after it (``all`` applies to every chart); ``review.spc_baseline_weeks`` —
limits from the first n weeks of each segment only; ``review.spc_targets`` — a target in sessions a week
in place of the plan's. :func:`spc_chart_settings` reads them; the page lists what each chart used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from capacity_planner.pack.settings import ALL_CHARTS, SPC_TEAM_CHART
from capacity_planner.report.spc import SpcOptions, XmrChart, xmr

if TYPE_CHECKING:
    import datetime as dt

    from capacity_planner.pack.model import PlanningPack
    from capacity_planner.report.charts import Chart
    from capacity_planner.review import ReviewResult
    from capacity_planner.review.delivered import ReviewPeriod

__all__ = ["SpcChartSettings", "charted_activities", "delivered_by_week", "delivered_spc_charts",
           "delivered_xmr", "planned_per_week", "spc_chart_settings", "spc_settings_rows"]

TEAM_SESSION_TYPES = ("substantive", "additional")


def delivered_by_week(pack: PlanningPack, period: ReviewPeriod, activity_id: str | None = None) -> pd.Series:
    """Sessions delivered by the team in each week of ``period`` (index: week start), all activities or
    one."""
    rows = pack.delivered.loc[period.contains(pack.delivered["week_start"])]
    rows = rows.loc[rows["session_type"].isin(TEAM_SESSION_TYPES)]
    if activity_id is not None:
        rows = rows.loc[rows["activity_id"] == activity_id]
    weeks = pd.date_range(pd.Timestamp(period.start), periods=period.weeks, freq="7D")
    weekly = rows.groupby("week_start")["sessions"].sum()
    return weekly.reindex(weeks, fill_value=0.0).astype(float).rename("delivered_sessions")


def planned_per_week(result: ReviewResult, activity_id: str | None = None) -> float:
    """The plan's sessions a week over the review period (the chart's target)."""
    detail = result.detail.loc[result.detail["session_type"] == "substantive"]
    if activity_id is not None:
        detail = detail.loc[detail["activity_id"] == activity_id]
    return float(detail["planned_sessions"].sum()) / result.period.weeks


@dataclass(frozen=True)
class SpcChartSettings:
    """What one delivered-sessions chart is computed with, and where each part comes from.

    Attributes
    ----------
    chart : str
        ``team`` or an activity ID (the key of the ``review.spc_*`` settings).
    rebase : tuple of date
        Change points: ``review.spc_rebase`` for ``all`` charts and for this one, in date order.
    target : float
        Target, sessions a week.
    target_from : {"setting", "plan"}
        ``review.spc_targets`` or the plan's sessions a week over the period.
    baseline_weeks : int or None
        ``review.spc_baseline_weeks`` (limits from each segment's first n weeks); None: every week.
    """

    chart: str
    rebase: tuple[dt.date, ...]
    target: float
    target_from: str
    baseline_weeks: int | None

    @property
    def options(self) -> SpcOptions:
        """Higher is better; the baseline as NHSRplotthedots' ``fix_after_n_points``."""
        return SpcOptions(improvement_direction="increase", fix_after_n_points=self.baseline_weeks)


def spc_chart_settings(pack: PlanningPack, result: ReviewResult, activity_id: str | None = None
                       ) -> SpcChartSettings:
    """The settings of the team's chart (``activity_id`` None) or an activity's, from pack.toml."""
    s = pack.settings
    chart = SPC_TEAM_CHART if activity_id is None else activity_id
    rebase = tuple(sorted({d for key, dates in s.spc_rebase if key in (ALL_CHARTS, chart) for d in dates}))
    targets = dict(s.spc_targets)
    if chart in targets:
        return SpcChartSettings(chart, rebase, targets[chart], "setting", s.spc_baseline_weeks)
    plan = planned_per_week(result, activity_id)
    return SpcChartSettings(chart, rebase, plan, "plan", s.spc_baseline_weeks)


def delivered_xmr(
    pack: PlanningPack,
    result: ReviewResult,
    activity_id: str | None = None,
    options: SpcOptions | None = None,
) -> XmrChart:
    """XmR chart of delivered sessions a week, rebased, baselined and targeted as the pack's
    ``review.spc_*`` settings say (:func:`spc_chart_settings`; default target: the plan's weekly
    sessions). ``options`` replaces the settings' options (direction, rules, baseline)."""
    weekly = delivered_by_week(pack, result.period, activity_id)
    conf = spc_chart_settings(pack, result, activity_id)
    return xmr(weekly.to_numpy(), weekly.index, rebase=conf.rebase, target=conf.target,
               options=options or conf.options)


def delivered_spc_charts(
    pack: PlanningPack, result: ReviewResult, *, by_activity: bool = True
) -> list[Chart]:
    """The team's delivered sessions a week, then (``by_activity``) one chart per activity planned or
    delivered in the period, in the pack's activity order. Named ``spc_delivered`` and
    ``spc_delivered_<activity>``."""
    from capacity_planner.report.spc_chart import _safe, spc_chart

    period = f"{result.period.start:%d %b %Y} to {result.period.end:%d %b %Y}"
    charts = [spc_chart(delivered_xmr(pack, result), "spc_delivered", f"Sessions delivered a week, {period}",
                        y_label="Sessions a week", what="sessions delivered by the team a week",
                        unit=" a week")]
    if not by_activity:
        return charts
    names = {a.activity_id: a.name for a in pack.activities}
    for aid in charted_activities(pack, result):
        name = names.get(aid, aid)
        label = f"{name} ({aid})" if name != aid else aid
        charts.append(spc_chart(delivered_xmr(pack, result, aid), f"spc_delivered_{_safe(aid)}",
                                f"Sessions delivered a week: {label}", y_label="Sessions a week",
                                what=f"{name} sessions delivered a week", unit=" a week"))
    return charts


def charted_activities(pack: PlanningPack, result: ReviewResult) -> list[str]:
    """Activities with a chart of their own: planned or delivered in the period, in the pack's order."""
    detail = result.detail
    team = detail.loc[detail["session_type"] == "substantive"]
    active = set(team.loc[(team["planned_sessions"] > 0) | (team["delivered_sessions"] > 0), "activity_id"])
    return [a for a in pack.activity_ids if a in active]


def spc_settings_rows(pack: PlanningPack, result: ReviewResult, *, by_activity: bool = True
                      ) -> list[dict[str, str]]:
    """What each chart of :func:`delivered_spc_charts` was computed with, in words, one row per chart in
    the same order: ``chart`` (the team or the activity's name), ``target`` (sessions a week, and whether
    from ``review.spc_targets`` or the plan), ``limits`` (the rebase dates used, and any outside the
    review period, so not used) and ``baseline``."""
    from capacity_planner.report.spc_chart import spc_value_text

    names = {a.activity_id: a.name for a in pack.activities}
    rows = []
    for aid in [None, *(charted_activities(pack, result) if by_activity else [])]:
        conf = spc_chart_settings(pack, result, aid)
        chart = delivered_xmr(pack, result, aid)
        ignored = {pd.Timestamp(d).date() for d in chart.rebase_ignored}
        used = [d for d in conf.rebase if d not in ignored]
        limits = ("one set of limits over the period" if not used else
                  "new limits from " + ", ".join(f"{pd.Timestamp(x).date():%d %b %Y}"
                                                 for x in chart.segments["start"].iloc[1:]))
        if ignored:
            limits += ("; not used (outside the period or at its first week): "
                       + ", ".join(f"{d:%d %b %Y}" for d in sorted(ignored)))
        source = "review.spc_targets" if conf.target_from == "setting" else "the plan's sessions a week"
        rows.append({
            "chart": "Whole team" if aid is None else names.get(aid) or aid,
            "target": f"{spc_value_text(conf.target)} a week ({source})",  # as the chart prints it
            "limits": limits,
            "baseline": ("every week of each segment" if conf.baseline_weeks is None
                         else f"first {conf.baseline_weeks} weeks of each segment"),
        })
    return rows

