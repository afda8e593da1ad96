"""England and Wales bank holidays, shared by demand history (calendar covariates) and the sample
generator.

The days come from the ``holidays`` package (``holidays.country_holidays("GB", subdiv="ENG")``; England
and Wales share one list): the Banking and Financial Dealings Act 1971 days as applied by GOV.UK
(https://www.gov.uk/bank-holidays) — New Year's Day, Good Friday, Easter Monday, the early May, spring
and summer bank holidays, Christmas Day and Boxing Day, with substitute days when a fixed one falls on a
weekend — and the one-off days moved or added by royal proclamation (the Millennium, the jubilees, the
royal wedding of 2011, VE Day 75, the late Queen's state funeral, the coronation). The package is kept
up to date as new proclamations are made, which a hand-written list was not; ``tests/test_calendar.py``
checks it against the dates GOV.UK publishes.

``holidays`` also lists a fixed holiday on the day it falls when that is a Saturday or Sunday (Christmas
Day on Saturday 25 December 2021 next to its substitute, Monday 27): those weekend dates are not bank
holidays (no one has a day off on them) and are left out, as GOV.UK leaves them out.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import TYPE_CHECKING

import holidays

if TYPE_CHECKING:
    from collections.abc import Mapping

#: The ``holidays`` country and subdivision whose days are the England and Wales bank holidays.
COUNTRY, SUBDIVISION = "GB", "ENG"
SATURDAY = 5  # datetime.date.weekday()


@lru_cache(maxsize=64)
def bank_holidays(first_year: int, last_year: int) -> tuple[dt.date, ...]:
    """England and Wales bank holidays from ``first_year`` to ``last_year`` inclusive, in date order.

    Examples
    --------
    >>> [d.isoformat() for d in bank_holidays(2027, 2027)][:3]
    ['2027-01-01', '2027-03-26', '2027-03-29']
    """
    days = holidays.country_holidays(COUNTRY, subdiv=SUBDIVISION, years=range(first_year, last_year + 1))
    return tuple(sorted(day for day in days if day.weekday() < SATURDAY))


def english_bank_holidays(year: int) -> list[dt.date]:
    """Bank holidays in England and Wales in ``year``, in date order."""
    return list(bank_holidays(year, year))


# ---- weekday-true supply (issue 19 item 1) ---------------------------------------------------------
#: Bank holidays in a standard England and Wales year: the allowance inside every contract's working
#: weeks (consultant: 52 − 6 − 0.4 − 8/5 − 2 = 42; capacity_planner.constants).
STANDARD_BANK_HOLIDAYS = 8
PLANNING_WEEKS = 52
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def planning_year_bank_holidays(plan_start: dt.date, weeks: int = PLANNING_WEEKS) -> tuple[dt.date, ...]:
    """The bank holidays from ``plan_start`` for ``weeks`` whole weeks (the planning year), in date order.

    Examples
    --------
    >>> [d.isoformat() for d in planning_year_bank_holidays(dt.date(2027, 4, 5))]
    ['2027-05-03', '2027-05-31', '2027-08-30', '2027-12-27', '2027-12-28', '2028-01-03']
    """
    end = plan_start + dt.timedelta(weeks=weeks)
    return tuple(d for d in bank_holidays(plan_start.year, end.year) if plan_start <= d < end)


def weekday_working_weeks(plan_start: dt.date, working_weeks: float,
                          weeks: int = PLANNING_WEEKS) -> dict[str, float]:
    r"""Weeks a year a weekly session on each day actually runs, from the planning year's calendar.

    A contract's working weeks spread leave and a standard year's bank holidays evenly over the
    weekdays: :math:`W = 52 - L - 8/5`, with :math:`L` the weeks of annual and study leave. A session on
    day :math:`d` in fact runs on every :math:`d` of the planning year except the bank holidays that
    fall on :math:`d` (:math:`B_d`) and the clinician's leave, which is taken evenly over the days:

    .. math:: w_d = N_d - B_d - L = W + 8/5 - B_d \qquad (N_d = 52 \text{ in a 52-week year})

    floored at 0. Over the five weekdays :math:`\sum_d w_d = 5W + 8 - B`, with :math:`B` the year's bank
    holidays: the same as five times the working weeks in a standard year of 8, more in a year whose
    Easter falls outside the planning year. Weekend days have no bank holidays (substitute days are
    weekdays), so their sessions run :math:`W + 8/5` weeks.

    Parameters
    ----------
    plan_start
        First day of the planning year (a Monday in a pack).
    working_weeks
        The contract's working weeks :math:`W` (weeks a year after leave and bank holidays).
    weeks
        Length of the planning year in whole weeks.

    Returns
    -------
    dict[str, float]
        Weeks a year (sessions a year of one weekly session) by day name, ``"Mon"`` to ``"Sun"``.

    Examples
    --------
    Planning year 5 April 2027 to 2 April 2028: five bank holidays fall on a Monday (3 and 31 May,
    30 August, 27 December, 3 January) and one on a Tuesday (28 December). With 42 working weeks a
    Monday clinic runs 42 + 1.6 − 5 = 38.6 weeks, a Tuesday one 42.6, Wednesday to Friday 43.6:

    >>> w = weekday_working_weeks(dt.date(2027, 4, 5), 42.0)
    >>> [round(w[d], 1) for d in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat")]
    [38.6, 42.6, 43.6, 43.6, 43.6, 43.6]
    """
    return weekday_weeks(plan_start, weeks, working_weeks)


def weekday_weeks(start: dt.date, weeks: int, working_weeks: float,
                  leave: Mapping[dt.date, float] | None = None, *,
                  leave_complete: bool = False) -> dict[str, float]:
    r"""Sessions a weekly cell on each day runs over ``weeks`` whole weeks from the Monday ``start``.

    Week :math:`k` of the period gives day :math:`d` one session unless that day is a bank holiday, less the
    share :math:`f_k` of the week the clinician is recorded on leave (``leave``: Monday -> share; the
    leave is taken evenly over the week's working days):

    .. math:: w_d = \sum_k [d_k \notin \text{bank holidays}]\,(1 - f'_k) - \max(0, L_P - R)

    with :math:`f'_k = \max(0, f_k - h_k)/(1 - h_k)` in a week holding bank holidays on :math:`5 h_k` of its
    weekdays (:math:`f'_k = f_k` otherwise, and for a whole week of leave): recorded leave up to the
    holidays' share of a five-day week is the holidays themselves, already off their own days (e-rosters
    often record them as leave);

    with :math:`R = \sum_k f_k` the recorded leave and :math:`L_P = (52 - 8/5 - W)\,P/52` the contract's
    leave falling in the :math:`P` weeks (annual and study leave, the contract's working weeks :math:`W`
    less a standard year's bank holidays). Leave not recorded is spread over the days evenly. With
    ``leave_complete`` the recorded rows are all the leave there is (the review of a quarter whose
    e-roster rows are complete): nothing more is taken off. Floored at 0. Without recorded leave and
    :math:`P = 52` this is :func:`weekday_working_weeks`, :math:`W + 8/5 - B_d`.

    Parameters
    ----------
    start
        A Monday: first day of the period.
    weeks
        Length of the period, whole weeks.
    working_weeks
        The contract's working weeks a year :math:`W`.
    leave
        Recorded leave, share of the week (0-1) by the week's Monday; weeks outside the period are ignored.
    leave_complete
        The recorded leave is all the leave in the period (do not spread the contract's leave as well).

    Returns
    -------
    dict[str, float]
        Sessions in the period (weeks) by day name, ``"Mon"`` to ``"Sun"``.

    Examples
    --------
    A 13-week quarter from 5 April 2027 holds two Monday bank holidays (3 and 31 May); with 42 working
    weeks and no leave recorded a Monday clinic runs 13 − 2 − 8.4 × 13/52 = 8.9 times, a Wednesday one
    10.9:

    >>> w = weekday_weeks(dt.date(2027, 4, 5), 13, 42.0)
    >>> round(w["Mon"], 2), round(w["Wed"], 2)
    (8.9, 10.9)

    With two whole weeks of leave recorded as all there was, the Monday clinic runs 13 − 2 − 2 = 9 times:

    >>> round(weekday_weeks(dt.date(2027, 4, 5), 13, 42.0, {dt.date(2027, 4, 12): 1.0,
    ...     dt.date(2027, 4, 19): 1.0}, leave_complete=True)["Mon"], 2)
    9.0
    """
    end = start + dt.timedelta(weeks=weeks)
    holiday = set(bank_holidays(start.year, end.year))
    share = {d: min(1.0, max(0.0, float(f))) for d, f in (leave or {}).items() if start <= d < end}
    runs = [0.0] * 7
    for k in range(weeks):
        monday = start + dt.timedelta(weeks=k)
        days = [monday + dt.timedelta(days=i) for i in range(7)]
        # A bank holiday recorded as leave is counted once (session 7): e-rosters often record each
        # holiday's share of the week as leave, and the holiday is already off its own day here. In a week
        # holding h holidays on weekdays, recorded leave up to h/5 of the week is read as the holidays, and
        # only the rest is leave, spread over the other days.
        h = sum(1 for d in days[:5] if d in holiday) / 5.0
        f = share.get(monday, 0.0)
        if h and f < 1.0:
            f = max(0.0, f - h) / (1.0 - h)
        for i, day in enumerate(days):
            if day not in holiday:
                runs[i] += 1.0 - f
    recorded = sum(share.values())
    contract_leave = (PLANNING_WEEKS - STANDARD_BANK_HOLIDAYS / 5 - working_weeks) * weeks / PLANNING_WEEKS
    rest = 0.0 if leave_complete else max(0.0, contract_leave - recorded)
    return {name: max(0.0, runs[i] - rest) for i, name in enumerate(_DAY_NAMES)}
