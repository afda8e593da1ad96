"""England and Wales bank holidays, shared by demand history (calendar covariates) and the sample
generator.

Rule-based days follow the Banking and Financial Dealings Act 1971 as applied by GOV.UK
(https://www.gov.uk/bank-holidays): New Year's Day, Good Friday, Easter Monday, the early May bank holiday
(first Monday in May), the spring bank holiday (last Monday in May), the summer bank holiday (last Monday
in August), Christmas Day and Boxing Day, with substitute days when a fixed holiday falls on a weekend;
plus the one-off moves and additions proclaimed since 1995.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

# Dates moved or added by proclamation (gov.uk/bank-holidays and the Banking and Financial Dealings Act
# 1971 proclamations): Millennium, jubilees, royal wedding, VE Day 75, the late Queen's funeral, the
# coronation. Moved days replace the rule-based ones listed in _MOVED.
_EXTRA_HOLIDAYS = (
    "1999-12-31",
    "2002-06-03",
    "2011-04-29",
    "2012-06-05",
    "2022-06-03",
    "2022-09-19",
    "2023-05-08",
)
_MOVED = {
    "1995-05-01": "1995-05-08",
    "2002-05-27": "2002-06-04",
    "2012-05-28": "2012-06-04",
    "2020-05-04": "2020-05-08",
    "2022-05-30": "2022-06-02",
}


def _easter(year: int) -> dt.date:
    """Easter Sunday (anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def _first_monday(year: int, month: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(7 - first.weekday()) % 7)


def _last_monday(year: int, month: int) -> dt.date:
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - dt.timedelta(days=1)
    return last - dt.timedelta(days=last.weekday())


def _year_holidays(year: int) -> list[dt.date]:
    days = []
    new_year = dt.date(year, 1, 1)
    days.append(new_year + dt.timedelta(days={5: 2, 6: 1}.get(new_year.weekday(), 0)))
    easter = _easter(year)
    days += [easter - dt.timedelta(days=2), easter + dt.timedelta(days=1)]
    days += [_first_monday(year, 5), _last_monday(year, 5), _last_monday(year, 8)]
    xmas = dt.date(year, 12, 25)
    wd = xmas.weekday()
    if wd == 5:  # Saturday: Monday 27 and Tuesday 28
        days += [dt.date(year, 12, 27), dt.date(year, 12, 28)]
    elif wd == 6:  # Sunday: Boxing Day Monday 26, Christmas substitute Tuesday 27
        days += [dt.date(year, 12, 26), dt.date(year, 12, 27)]
    elif wd == 4:  # Friday: Boxing Day Saturday -> Monday 28
        days += [xmas, dt.date(year, 12, 28)]
    else:
        days += [xmas, dt.date(year, 12, 26)]
    return days


@lru_cache(maxsize=64)
def bank_holidays(first_year: int, last_year: int) -> tuple[dt.date, ...]:
    """England and Wales bank holidays from ``first_year`` to ``last_year`` inclusive.

    Rule-based (New Year, Good Friday, Easter Monday, early May, spring, summer, Christmas, Boxing Day,
    with weekend substitutes) plus the one-off moves and additions proclaimed since 1995.

    Examples
    --------
    >>> [d.isoformat() for d in bank_holidays(2027, 2027)][:3]
    ['2027-01-01', '2027-03-26', '2027-03-29']
    """
    moved = {dt.date.fromisoformat(k): dt.date.fromisoformat(v) for k, v in _MOVED.items()}
    out: set[dt.date] = set()
    for year in range(first_year, last_year + 1):
        out.update(moved.get(d, d) for d in _year_holidays(year))
    out.update(d for d in map(dt.date.fromisoformat, _EXTRA_HOLIDAYS) if first_year <= d.year <= last_year)
    return tuple(sorted(out))


def easter_sunday(year: int) -> dt.date:
    """Gregorian Easter Sunday (the anonymous Meeus/Jones/Butcher algorithm)."""
    return _easter(year)


def english_bank_holidays(year: int) -> list[dt.date]:
    """Bank holidays in England and Wales in ``year``, in date order."""
    return list(bank_holidays(year, year))
