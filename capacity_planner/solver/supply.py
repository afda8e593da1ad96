r"""Weekday-true supply (issue 19 item 1): the sessions a year one cell delivers, from the planning year's
calendar.

A weekly cell on day :math:`d` of clinician :math:`c` delivers

.. math:: w_{cd} = \sum_k [d_k \notin \text{bank holidays}]\,(1 - f_{ck}) - \max(0, L_c - R_c)

sessions a year (:func:`capacity_planner.calendar.weekday_weeks` over the 52 weeks from ``planning.start``:
the days that are not bank holidays, less the leave recorded in the pack's ``leave`` table, less the rest of
the contract's leave :math:`L_c = 52 - 8/5 - W_c` spread evenly). Without recorded leave that is
:math:`W_c + 8/5 - B_d`: 37.6 for a Monday and 43.6 for a Wednesday in 2026/27 with :math:`W = 42`.

A cell that runs :math:`k` of the clinician's :math:`W_c` working weeks (a kept part-year cell, an
alternate-week cell with :math:`k = W_c/2`) delivers :math:`k\,w_{cd}/W_c`. Its PAs do not change: a
Monday clinic is still one PA a week in the job plan (``AllocationProblem.weeks``); only supply does.

The solver counts supply in whole sessions: a weekly cell's :math:`w_{cd}` is rounded to the nearest
whole session (half up: 37.6 -> 38, 43.6 -> 44), and a cell running part of the weeks delivers
:math:`k/W_c` of that, again to the nearest whole session (an alternate-week cell half: 19 of 38, 22 of
43). Tenths, then half sessions for part-week cells, were tried first: the unmet-demand levels became
subset sums in finer steps and the service pack was not proven optimal (docs/method.md, "Weekday-true
supply"). The error is at most half a session a cell a year, against the 1.6-6 a year the even spread
misplaces.

``planning.weekday_true_supply = false`` keeps the old convention (every weekly cell delivers
:math:`W_c`): :func:`weekday_supply` returns None and the problem's supply equals its PA weeks. So does a
pack with neither ``planning.start`` nor referrals to infer it from (no calendar to read).
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import TYPE_CHECKING

from capacity_planner.calendar import PLANNING_WEEKS, weekday_weeks

if TYPE_CHECKING:
    import datetime as dt

    from capacity_planner.pack.model import PlanningPack

#: Steps a session of the supply of a weekly cell (whole sessions) and of a part-week cell (halves).
WEEKLY_STEPS, PART_STEPS = 1, 1


def round_steps(value: float, steps: int) -> float:
    """``value`` to the nearest ``1/steps`` of a session, half up (37.6 -> 38 in whole sessions)."""
    return math.floor(value * steps + 0.5 + 1e-9) / steps


def planning_start(pack: PlanningPack) -> dt.date | None:
    """The planning year's first Monday, or None when the pack gives no way to know it."""
    try:
        return pack.plan_start
    except ValueError:
        return None


def leave_by_clinician(pack: PlanningPack) -> dict[str, dict[dt.date, float]]:
    """Recorded leave (``leave`` table): clinician -> the week's Monday -> share of the week on leave
    (rows for the same week add up, at most 1)."""
    out: dict[str, dict[dt.date, float]] = defaultdict(dict)
    if len(pack.leave) == 0:
        return {}
    for cid, week, share in zip(pack.leave["clinician_id"], pack.leave["week_start"], pack.leave["weeks"],
                                strict=True):
        day = week.date() if hasattr(week, "date") else week
        f = 1.0 if share is None or (isinstance(share, float) and math.isnan(share)) else float(share)
        out[str(cid)][day] = min(1.0, out[str(cid)].get(day, 0.0) + f)
    return dict(out)


def weekday_supply(pack: PlanningPack) -> dict[str, dict[str, float]] | None:
    """Sessions a year a weekly cell delivers, by active clinician and day name (whole sessions);
    None when the setting is off or the planning year is unknown (every cell then delivers its weeks)."""
    if not pack.settings.weekday_true_supply:
        return None
    start = planning_start(pack)
    if start is None:
        return None
    leave = leave_by_clinician(pack)
    return {c.clinician_id: {d: round_steps(w, WEEKLY_STEPS) for d, w in weekday_weeks(
                start, PLANNING_WEEKS, c.working_weeks, leave.get(c.clinician_id)).items()}
            for c in pack.clinicians if c.active}


def cell_supply(weeks_run: float, working_weeks: float, day_weeks: float) -> float:
    """Sessions a year of a cell running ``weeks_run`` of ``working_weeks`` on a day whose weekly cell
    delivers ``day_weeks``: ``weeks_run x day_weeks / working_weeks``, to the nearest whole session."""
    if working_weeks <= 0:
        return 0.0
    if abs(weeks_run - working_weeks) < 1e-9:
        return day_weeks
    return round_steps(weeks_run * day_weeks / working_weeks, PART_STEPS)
