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
"""

from __future__ import annotations

import pandas as pd

from capacity_planner.pack.model import PlanningPack
from capacity_planner.report.charts import Chart
from capacity_planner.report.spc import SpcOptions, XmrChart, xmr
from capacity_planner.review import ReviewResult
from capacity_planner.review.delivered import ReviewPeriod

__all__ = ["delivered_by_week", "delivered_spc_charts", "delivered_xmr", "planned_per_week"]

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


def delivered_xmr(
    pack: PlanningPack,
    result: ReviewResult,
    activity_id: str | None = None,
    options: SpcOptions | None = None,
) -> XmrChart:
    """XmR chart of delivered sessions a week, with the plan's weekly sessions as the target."""
    weekly = delivered_by_week(pack, result.period, activity_id)
    return xmr(weekly.to_numpy(), weekly.index, target=planned_per_week(result, activity_id),
               options=options or SpcOptions(improvement_direction="increase"))


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
    detail = result.detail
    team = detail.loc[detail["session_type"] == "substantive"]
    active = set(team.loc[(team["planned_sessions"] > 0) | (team["delivered_sessions"] > 0), "activity_id"])
    names = {a.activity_id: a.name for a in pack.activities}
    for aid in [a for a in pack.activity_ids if a in active]:
        name = names.get(aid, aid)
        label = f"{name} ({aid})" if name != aid else aid
        charts.append(spc_chart(delivered_xmr(pack, result, aid), f"spc_delivered_{_safe(aid)}",
                                f"Sessions delivered a week: {label}", y_label="Sessions a week",
                                what=f"{name} sessions delivered a week", unit=" a week"))
    return charts
