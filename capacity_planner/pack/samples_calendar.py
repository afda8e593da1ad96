"""Calendar helpers for the sample generator: integer-day arithmetic over English bank holidays.

Days are ``int64`` counts since 1970-01-01 (``numpy.datetime64[D]`` as integers) so every date
computation in the generator is a vectorised integer operation.

The bank holidays themselves come from :mod:`capacity_planner.calendar` (shared with demand history).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np

from capacity_planner.calendar import english_bank_holidays

if TYPE_CHECKING:
    from collections.abc import Iterable

EPOCH = dt.date(1970, 1, 1)


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
