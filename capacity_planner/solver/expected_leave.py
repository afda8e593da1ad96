r"""Expected leave patterns (issue 19): when the leave that the ``leave`` table does not record falls.

Without a pattern, each skilled clinician's unrecorded leave may fall in any single week, and the weekly
cover must hold without them (:mod:`capacity_planner.solver.cover`). Real leave bunches: school holidays
and the Christmas to New Year fortnight. A pack states its periods in the ``expected_leave`` table
(``start``, ``end``, ``share_away``, ``label``), or asks for England's defaults with
``planning.expected_leave = "england"`` (:data:`ENGLAND_DEFAULTS`), or both.

**Weeks of a pattern.** Week :math:`j` of the planning year (Monday :math:`m_j`) is in a period when one of
its weekdays :math:`m_j \ldots m_j + 4` falls between the period's ``start`` and ``end``; its share away
:math:`\pi_j` is the largest ``share_away`` of the periods it is in (0 outside them).

**Each clinician's share.** A clinician with :math:`\ell_c` weeks of leave not recorded
(:func:`~capacity_planner.solver.cover.unrecorded_leave_weeks`) spends on average
:math:`E = \sum_j \pi_j` of them in the pattern weeks; with fewer weeks left than that, their share is
scaled down, :math:`\pi_{cj} = \lambda_c\,\pi_j` with :math:`\lambda_c = \min(1, \ell_c / E)`, and what is
left, :math:`\ell'_c = \max(0, \ell_c - E)`, may still fall in any single week.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from capacity_planner.calendar import PLANNING_WEEKS
from capacity_planner.pack.model import ExpectedLeave, PlanningPack

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["ENGLAND_DEFAULTS", "clinician_scale", "england_periods", "expected_periods", "remaining_leave",
           "week_shares"]

#: England's default expected leave: (label, (month, day) start, (month, day) end, share away). A
#: planning assumption, not a measurement (docs/method.md, "Expected leave patterns"): the Christmas to
#: New Year days (24 December to 1 January, when most services run reduced lists) with half the
#: clinicians away, and the school summer holiday in England (state schools break up in the week of 22
#: July and return in the first days of September) with a quarter away.
ENGLAND_DEFAULTS: tuple[tuple[str, tuple[int, int], tuple[int, int], float], ...] = (
    ("Christmas and New Year", (12, 24), (1, 1), 0.5),
    ("school summer holiday", (7, 22), (8, 31), 0.25),
)


def england_periods(start: dt.date, weeks: int = PLANNING_WEEKS) -> tuple[ExpectedLeave, ...]:
    """:data:`ENGLAND_DEFAULTS` as dated periods that meet the planning year from the Monday ``start``.

    >>> [(p.label, p.start.isoformat()) for p in england_periods(dt.date(2027, 4, 5))]
    [('school summer holiday', '2027-07-22'), ('Christmas and New Year', '2027-12-24')]
    """
    last = start + dt.timedelta(weeks=weeks) - dt.timedelta(days=1)
    out = []
    for year in range(start.year - 1, last.year + 1):
        for label, (m0, d0), (m1, d1), share in ENGLAND_DEFAULTS:
            begin = dt.date(year, m0, d0)
            end = dt.date(year + (1 if (m1, d1) < (m0, d0) else 0), m1, d1)
            if begin <= last and end >= start:
                out.append(ExpectedLeave(begin, end, share, label))
    return tuple(sorted(out, key=lambda p: p.start))


def expected_periods(pack: PlanningPack, start: dt.date | None) -> tuple[ExpectedLeave, ...]:
    """The pack's expected leave periods: its ``expected_leave`` rows, plus England's defaults when
    ``planning.expected_leave = "england"`` and the planning year is known."""
    out = tuple(pack.expected_leave)
    if pack.settings.expected_leave == "england" and start is not None:
        out += england_periods(start)
    return out


def week_shares(periods: Sequence[ExpectedLeave], start: dt.date | None,
                weeks: int = PLANNING_WEEKS) -> list[tuple[float, str | None]]:
    """For each week from the Monday ``start``: the share of clinicians expected away (the largest of the
    periods one of its weekdays falls in) and that period's label; ``(0.0, None)`` outside every period,
    and for every week when ``start`` is None.

    >>> xmas = ExpectedLeave(dt.date(2027, 12, 24), dt.date(2028, 1, 1), 0.5, "Christmas")
    >>> shares = week_shares([xmas], dt.date(2027, 4, 5))
    >>> [(j, s) for j, s in enumerate(shares) if s[0]]
    [(37, (0.5, 'Christmas')), (38, (0.5, 'Christmas'))]
    """
    out: list[tuple[float, str | None]] = [(0.0, None)] * weeks
    if start is None:
        return out
    for j in range(weeks):
        monday = start + dt.timedelta(weeks=j)
        friday = monday + dt.timedelta(days=4)
        for p in periods:
            if _as_date(p.start) <= friday and _as_date(p.end) >= monday and p.share_away > out[j][0]:
                out[j] = (float(p.share_away), p.label)
    return out


def clinician_scale(unrecorded: float, shares: Sequence[tuple[float, str | None]]) -> float:
    r""":math:`\lambda_c = \min(1, \ell_c / E)`, :math:`E = \sum_j \pi_j`: the part of the pattern a
    clinician with ``unrecorded`` weeks of leave not recorded can fill (1 when there is no pattern).

    >>> clinician_scale(6.4, [(0.5, None)] * 2 + [(0.25, None)] * 6)
    1.0
    >>> clinician_scale(1.25, [(0.5, None)] * 5)
    0.5
    """
    expected = sum(s for s, _ in shares)
    return 1.0 if expected <= 0 else min(1.0, unrecorded / expected)


def remaining_leave(unrecorded: float, shares: Sequence[tuple[float, str | None]]) -> float:
    r""":math:`\ell'_c = \max(0, \ell_c - E)`: the weeks of leave not recorded that can still fall in any
    single week once the pattern weeks have taken their share.

    >>> round(remaining_leave(6.4, [(0.5, None)] * 2 + [(0.25, None)] * 6), 2)
    3.9
    """
    return max(0.0, unrecorded - sum(s for s, _ in shares))


def _as_date(value: object) -> dt.date:
    """A record's date (a Timestamp from a table, or a date)."""
    return value.date() if isinstance(value, dt.datetime) else value  # type: ignore[return-value]
