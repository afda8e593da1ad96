r"""Weekly cover (issue 19 item 2): an activity that must run at least :math:`k` sessions in every week of
the planning year, or in a stated share of the weeks (a two-week-wait clinic in August and at Christmas).

Annual supply can meet a rapid-access service "on average" and still leave weeks with no clinic: the
Monday bank holidays, and the weeks its only clinician is on leave. The rule reads the planning year week by
week.

**Weeks with a known calendar.** Week :math:`j` of the 52 from ``planning.start`` runs weekly cell
:math:`(c, s)` unless the day of slot :math:`s` is a bank holiday in week :math:`j` or clinician :math:`c`
has leave recorded in week :math:`j` (``leave`` table; leave up to the week's bank holidays' share of a
five-day week is read as the holidays themselves, as the weekday-true supply does, and any leave left makes
the clinician absent for that week's sessions: a weekly cover is a :math:`\ge` rule, where counting fewer
sessions is the safe side). Weeks with the same absent cells give the same row, so each distinct row
:math:`r` stands for :math:`n_r` weeks:

.. math:: \sum_{(c,s)\ \text{runs in}\ r} x_{csa} \ge k_a\,B_{ar}, \qquad B_{ar} \in \{0, 1\}

**Leave not recorded.** A clinician :math:`c` with :math:`\ell_c = \max(0, L_c - R_c)` weeks of contract
leave not in the ``leave`` table (:math:`L_c = 52 - 8/5 - W_c` annual and study leave, :math:`R_c` the
leave recorded) is away :math:`\ell_c` weeks, when is unknown. The cover must then hold without them:

.. math:: \sum_{(c',s):\ c' \ne c} x_{c'sa} \ge k_a\,D_{ac}, \qquad D_{ac} \in \{0, 1\}

(an ordinary week: no bank holiday, nobody else away). Leave is taken one clinician at a time, as services
that must run every week arrange it; overlapping leave is not modelled.

**Weeks uncovered** (tenths of a week, integer), and the shortfall below the share of weeks asked,
:math:`\sigma_a \in (0, 1]`, minimised at the ``weekly_cover`` level, before unmet demand:

.. math:: U_a = \sum_r 10\,n_r (1 - B_{ar}) + \sum_c \lfloor 10\,\ell_c + 1/2 \rfloor (1 - D_{ac}),
          \qquad v_a \ge U_a - \lfloor 520 (1 - \sigma_a) + 1/2 \rfloor,\ v_a \ge 0

:math:`U_a` counts a week at most once only when leave and bank holidays do not coincide, so it is an
upper bound on the weeks missed (a clinician's leave over a Monday bank holiday counts both). Cells on
alternate weeks (week A / week B) are not counted: which weeks they run is not known to the model, so they
cannot guarantee a given week.

**Expected leave patterns** (:mod:`capacity_planner.solver.expected_leave`). Where the pack states when
unrecorded leave falls (school holidays, Christmas), a week :math:`j` with a share :math:`\pi_j` away counts
each running cell at the chance its clinician is at work, :math:`1 - \pi_{cj}` (in hundredths,
:math:`w_{cj} = \lfloor 100 (1 - \pi_{cj}) + 1/2 \rfloor`): the week is covered when the sessions
expected to run reach :math:`k`,

.. math:: \sum_{(c,s)\ \text{runs in}\ r} w_{cj}\, x_{csa} \ge 100\, k_a\, B_{ar},

(with every clinician's share the same, this is: the share :math:`\pi_j` of the week's sessions, rounded
up, is lost, and the rest is at least :math:`k`), and a clinician's leave row counts only the leave left
after the pattern weeks, :math:`\ell'_c`. A pack without a pattern has every :math:`w = 100` and the rows
above unchanged.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from capacity_planner.calendar import PLANNING_WEEKS, STANDARD_BANK_HOLIDAYS, bank_holidays
from capacity_planner.solver.expected_leave import (
    clinician_scale,
    expected_periods,
    remaining_leave,
    week_shares,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from capacity_planner.pack.model import PlanningPack

__all__ = ["CoverRow", "CoverRule", "absent_days", "cover_rules", "unrecorded_leave_weeks"]

#: Tenths of a week: the unit of the ``weekly_cover`` level.
WEEK_TENTHS = 10
#: Hundredths of a session: the unit of a cell's weight in a week with expected leave.
WEIGHT_SCALE = 100
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class CoverRow:
    """One row of a weekly cover rule: the cells that run in the weeks it stands for.

    Attributes
    ----------
    cells : tuple of (clinician, slot)
        Problem indices of the weekly cells of the activity that count in these weeks.
    tenths : int
        Tenths of a week a year the row stands for (weeks with this calendar, or a clinician's leave).
    weeks : tuple of datetime.date
        The Mondays of the weeks the row stands for (empty for a clinician's unrecorded leave).
    away : str or None
        The clinician the row is without (their leave not recorded), else None.
    weights : tuple of int
        In weeks with expected leave: each cell's chance of running in hundredths
        (:data:`WEIGHT_SCALE`), in the order of ``cells``; empty: each cell counts one session.
    expected : str or None
        The expected leave period of these weeks, in words (e.g. "Christmas and New Year, 50% away").
    """

    cells: tuple[tuple[int, int], ...]
    tenths: int
    weeks: tuple[dt.date, ...] = ()
    away: str | None = None
    weights: tuple[int, ...] = ()
    expected: str | None = None

    def running(self, count: Mapping[tuple[int, int], int]) -> int:
        r"""Sessions running in these weeks, in hundredths, given each cell's sessions of the activity
        (0 or 1): :math:`\sum w x` (:math:`w = 100` without weights)."""
        if not self.weights:
            return WEIGHT_SCALE * sum(count.get(x, 0) for x in self.cells)
        return sum(w * count.get(x, 0) for x, w in zip(self.cells, self.weights, strict=True))


@dataclass(frozen=True)
class CoverRule:
    """Weekly cover of one activity: at least ``sessions`` a week, missing at most ``allowed_tenths``."""

    activity: int
    sessions: int
    allowed_tenths: int
    rows: tuple[CoverRow, ...]
    slot: tuple[str, str] | None = None  # a quorum in one slot (day, period); None: any slot of the week


def absent_days(start: dt.date, leave: Mapping[dt.date, float] | None,
                weeks: int = PLANNING_WEEKS) -> list[frozenset[str]]:
    """For each week from the Monday ``start``, the days (``"Mon"`` …) a clinician's weekly cell does not run:
    bank holidays, and every day of a week with recorded leave beyond the week's bank holidays.

    Examples
    --------
    The planning year from 5 April 2027: the Monday bank holiday of 3 May is week 4; a week of leave
    recorded from 12 April takes the whole week 1:

    >>> days = absent_days(dt.date(2027, 4, 5), {dt.date(2027, 4, 12): 1.0})
    >>> sorted(days[4]), len(days[1]), days[2]
    (['Mon'], 7, frozenset())
    """
    end = start + dt.timedelta(weeks=weeks)
    holidays = set(bank_holidays(start.year, end.year))
    out = []
    for j in range(weeks):
        monday = start + dt.timedelta(weeks=j)
        off = {_DAYS[i] for i in range(7) if monday + dt.timedelta(days=i) in holidays}
        share = min(1.0, max(0.0, float((leave or {}).get(monday, 0.0))))
        if share - len([d for d in off if d in _DAYS[:5]]) / 5.0 > 1e-9:
            off = set(_DAYS)
        out.append(frozenset(off))
    return out


def unrecorded_leave_weeks(working_weeks: float, recorded: float, weeks: int = PLANNING_WEEKS) -> float:
    r"""Weeks of contract leave not in the ``leave`` table: :math:`\max(0, L - R)`, with
    :math:`L = (52 - 8/5 - W)\,P/52` (annual and study leave) and :math:`R` the leave recorded.

    >>> round(unrecorded_leave_weeks(42.0, 2.0), 2)
    6.4
    """
    contract = (PLANNING_WEEKS - STANDARD_BANK_HOLIDAYS / 5 - working_weeks) * weeks / PLANNING_WEEKS
    return max(0.0, contract - recorded)


@dataclass(frozen=True)
class _Year:
    """What every rule of one problem reads: its clinicians and slots by index, each clinician's weeks
    (:func:`absent_days`), who is skilled in what, the planning year's start and the recorded leave."""

    clinician_ids: tuple[str, ...]
    working_weeks: tuple[float, ...]
    slots: tuple[tuple[str, str], ...]
    weeks: Mapping[int, list[frozenset[str]]]
    skilled: frozenset[tuple[int, int]]
    start: dt.date | None
    leave: Mapping[str, Mapping[dt.date, float]]
    shares: list[tuple[float, str | None]]

    def unrecorded(self, c: int) -> float:
        """Clinician ``c``'s weeks of leave not recorded (:func:`unrecorded_leave_weeks`)."""
        recorded = sum(min(1.0, float(f)) for f in self.leave.get(self.clinician_ids[c], {}).values())
        return unrecorded_leave_weeks(self.working_weeks[c], recorded)

    def rule(self, a: int, k: int, share: float | None, cells: list[tuple[int, int]],
             slot: tuple[str, str] | None = None) -> CoverRule:
        """One cover rule: its calendar rows and one row per skilled clinician's unrecorded leave."""
        scale = {c: clinician_scale(self.unrecorded(c), self.shares) for c in {c for c, _ in cells}}
        rows = _calendar_rows(cells, self.weeks, self.slots, self.start, self.shares, scale)
        for c in sorted({c for c, aa in self.skilled if aa == a}):
            cid = self.clinician_ids[c]
            away = remaining_leave(self.unrecorded(c), self.shares)
            tenths = math.floor(WEEK_TENTHS * away + 0.5)
            if tenths > 0:
                rows.append(CoverRow(tuple(x for x in cells if x[0] != c), tenths, away=cid))
        allowed = math.floor(WEEK_TENTHS * PLANNING_WEEKS * (1.0 - (1.0 if share is None else share)) + 0.5)
        return CoverRule(a, k, allowed, tuple(rows), slot)


def cover_rules(pack: PlanningPack, activity_ids: tuple[str, ...], clinician_ids: tuple[str, ...],
                slots: tuple[tuple[str, str], ...], cells_of: Mapping[int, list[tuple[int, int]]],
                skilled: frozenset[tuple[int, int]], start: dt.date | None,
                leave: Mapping[str, Mapping[dt.date, float]]) -> tuple[CoverRule, ...]:
    """The weekly cover rules of a problem (see the module docstring): one per activity with
    ``min_weekly_sessions``, and one per slot requirement with ``share_of_weeks`` (a quorum of
    ``min_clinicians`` heads read week by week, counting only the cells in its slot).

    Parameters
    ----------
    pack
        The pack (its activities' ``min_weekly_sessions`` and ``share_of_weeks``, its requirements, its
        clinicians' working weeks).
    activity_ids, clinician_ids, slots
        The problem's activities, clinicians and slots ``(day, period)``, by index.
    cells_of
        Activity index -> the ``(clinician, slot)`` cells that may hold it weekly.
    skilled
        ``(clinician, activity)`` pairs: each skilled clinician's unrecorded leave gets a row.
    start
        The planning year's first Monday; None when unknown (every week is then an ordinary week).
    leave
        Recorded leave: clinician -> Monday -> share of the week.
    """
    ordinary: list[frozenset[str]] = [frozenset()] * PLANNING_WEEKS
    weeks = {c: absent_days(start, leave.get(cid)) if start is not None else ordinary
             for c, cid in enumerate(clinician_ids)}
    working = {c.clinician_id: c.working_weeks for c in pack.clinicians}
    year = _Year(clinician_ids, tuple(working[cid] for cid in clinician_ids), slots, weeks, skilled, start,
                 leave, week_shares(expected_periods(pack, start), start))
    rules = []
    for a, aid in enumerate(activity_ids):
        act = pack.activity(aid)
        if act.min_weekly_sessions:
            cells = sorted(cells_of.get(a, []))
            rules.append(year.rule(a, act.min_weekly_sessions, act.share_of_weeks, cells))
    index = {aid: a for a, aid in enumerate(activity_ids)}
    for r in pack.requirements:  # a quorum read week by week: heads in the requirement's slot
        a = index.get(r.activity_id, -1)
        if r.share_of_weeks is None or r.day is None or r.period is None or r.rota_size is not None or a < 0:
            continue
        here = sorted(x for x in cells_of.get(a, []) if slots[x[1]] == (r.day, r.period))
        rules.append(year.rule(a, r.min_clinicians, r.share_of_weeks, here, (r.day, r.period)))
    return tuple(rules)


def _calendar_rows(cells: list[tuple[int, int]], weeks: Mapping[int, list[frozenset[str]]],
                   slots: tuple[tuple[str, str], ...], start: dt.date | None,
                   shares: list[tuple[float, str | None]],
                   scale: Mapping[int, float]) -> list[CoverRow]:
    """One row per distinct set of running cells (and, in weeks with expected leave, their weights and
    the period) over the weeks of the year."""
    grouped: dict[tuple[tuple[tuple[int, int], ...], tuple[int, ...], str | None], list[int]] = {}
    for j in range(PLANNING_WEEKS):
        running = tuple(x for x in cells if slots[x[1]][0] not in weeks[x[0]][j])
        pi, label = shares[j]
        weights = tuple(math.floor(WEIGHT_SCALE * (1.0 - scale[c] * pi) + 0.5) for c, _ in running)
        if all(w == WEIGHT_SCALE for w in weights):
            grouped.setdefault((running, (), None), []).append(j)
        else:
            period = f"{label or 'expected leave'}, {100 * pi:g}% away"
            grouped.setdefault((running, weights, period), []).append(j)
    rows = []
    for (running, weights, expected), js in grouped.items():
        mondays = tuple(start + dt.timedelta(weeks=j) for j in js) if start is not None else ()
        rows.append(CoverRow(running, WEEK_TENTHS * len(js), mondays, weights=weights, expected=expected))
    return rows
