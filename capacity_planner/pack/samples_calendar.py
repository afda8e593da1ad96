"""Calendar helpers for the sample generator: English bank holidays, integer-day arithmetic.

Days are ``int64`` counts since 1970-01-01 (``numpy.datetime64[D]`` as integers) so every date
computation in the generator is a vectorised integer operation.

English and Welsh bank holidays follow the Banking and Financial Dealings Act 1971 as applied by
GOV.UK (https://www.gov.uk/bank-holidays): New Year's Day, Good Friday, Easter Monday, the early May
bank holiday (first Monday in May), the spring bank holiday (last Monday in May), the summer bank
holiday (last Monday in August), Christmas Day and Boxing Day, with substitute days when a fixed
holiday falls on a weekend. One-off changes announced by royal proclamation are listed in
:data:`SPECIAL_CHANGES`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np

EPOCH = dt.date(1970, 1, 1)

# One-off changes: (usual date that moved, or None for an extra day; the new or extra date).
SPECIAL_CHANGES: tuple[tuple[dt.date | None, dt.date], ...] = (
    (dt.date(2020, 5, 4), dt.date(2020, 5, 8)),  # early May moved to VE Day 75th anniversary
    (dt.date(2022, 5, 30), dt.date(2022, 6, 2)),  # spring holiday moved for the Platinum Jubilee
    (None, dt.date(2022, 6, 3)),  # Platinum Jubilee bank holiday
    (None, dt.date(2022, 9, 19)),  # State funeral of Queen Elizabeth II
    (None, dt.date(2023, 5, 8)),  # Coronation of King Charles III
)


def easter_sunday(year: int) -> dt.date:
    """Gregorian Easter Sunday (the anonymous "Meeus/Jones/Butcher" algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
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


def english_bank_holidays(year: int) -> list[dt.date]:
    """Bank holidays in England and Wales in ``year``, in date order."""
    easter = easter_sunday(year)
    days = [
        easter - dt.timedelta(days=2),
        easter + dt.timedelta(days=1),
        _first_monday(year, 5),
        _last_monday(year, 5),
        _last_monday(year, 8),
    ]
    new_year = dt.date(year, 1, 1)
    weekend_shift = 7 - new_year.weekday() if new_year.weekday() >= 5 else 0
    days.append(new_year + dt.timedelta(days=weekend_shift))
    christmas, boxing = dt.date(year, 12, 25), dt.date(year, 12, 26)
    if christmas.weekday() == 5:  # Saturday: Monday 27 and Tuesday 28
        days += [dt.date(year, 12, 27), dt.date(year, 12, 28)]
    elif christmas.weekday() == 6:  # Sunday: Boxing Day Monday 26, Christmas substitute Tuesday 27
        days += [boxing, dt.date(year, 12, 27)]
    elif boxing.weekday() == 5:  # Friday Christmas, Saturday Boxing Day: Monday 28
        days += [christmas, dt.date(year, 12, 28)]
    else:
        days += [christmas, boxing]
    for moved, new in SPECIAL_CHANGES:
        if new.year != year:
            continue
        if moved is not None and moved in days:
            days.remove(moved)
        days.append(new)
    return sorted(days)


def to_day(date: dt.date) -> int:
    """Integer day number of ``date``."""
    return (date - EPOCH).days


def to_date(day: int) -> dt.date:
    """The date of integer day ``day``."""
    return EPOCH + dt.timedelta(days=int(day))


def weekday(days: np.ndarray) -> np.ndarray:
    """Monday = 0 … Sunday = 6 for integer days (1970-01-01 was a Thursday)."""
    return (days + 3) % 7


def day_of_year(days: np.ndarray) -> np.ndarray:
    """Zero-based day of the year for integer days."""
    d = days.astype("datetime64[D]")
    return (d - d.astype("datetime64[Y]").astype("datetime64[D]")).astype(np.int64)


def holiday_mask(days: np.ndarray) -> np.ndarray:
    """True on English bank holidays."""
    years = range(int(to_date(days.min()).year), int(to_date(days.max()).year) + 1)
    hols = np.array([to_day(d) for y in years for d in english_bank_holidays(y)], dtype=np.int64)
    return np.isin(days, hols)


def christmas_mask(days: np.ndarray) -> np.ndarray:
    """True from 24 December to 1 January (GP practices and clinics run a reduced service)."""
    d = days.astype("datetime64[D]")
    month = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dom = (d - d.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    return ((month == 12) & (dom >= 24)) | ((month == 1) & (dom == 1))


def next_open_day(first: int, n_days: int, open_weekdays: Iterable[int]) -> np.ndarray:
    """For each day ``first + i`` (i < n_days), the index of the first day on or after it that is an
    open weekday and not a bank holiday (``n_days - 1`` when none is left in the range)."""
    days = np.arange(first, first + n_days, dtype=np.int64)
    ok = np.isin(weekday(days), np.fromiter(open_weekdays, dtype=np.int64)) & ~holiday_mask(days)
    idx = np.where(ok, np.arange(n_days), n_days - 1)
    return np.minimum.accumulate(idx[::-1])[::-1]
