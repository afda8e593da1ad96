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

import holidays

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
