r"""Demand history: weekly referral series, DNA and cancellation rates, follow-up ratios.

Everything here is vectorised (``numpy.bincount`` over integer codes; no Python loop over rows), so a
10-million-row appointments table is summarised in about a second.

Weeks
-----
Weeks are ISO weeks starting on Monday and are labelled by their Monday (``week_start``). A day ``d``
(days since 1970-01-01, a Thursday) falls in week :math:`\lfloor (d - 4) / 7 \rfloor`, whose Monday is
day :math:`7w + 4`.

History is everything before the plan start: referrals dated on or after it (e.g. the first weeks of
the planning year, kept for the quarterly expected-vs-actual review) are ignored, with a note. The
observation window of a pack runs from its first to its last referral date (pack-wide, so an
activity with no referral in a week inside the window has a true zero, not a gap). When the last referral
falls in the week just before the plan start, the window runs to the day before the plan start
(DESIGN.md: "history = everything before it"). A week at either end of the window is *complete* when
the window covers every day on which the service takes referrals: Monday to Friday, plus Saturday or
Sunday if any referral in the pack is dated on one. Partial first and last weeks are dropped, never
counted as low demand; missing weeks inside the window are zero. Only the last ``history_weeks`` complete
weeks are kept. Weekly totals (every row dated on the same weekday) are whole weeks and are never dropped;
monthly totals (every row dated the 1st of a month) are refused (:func:`check_referral_frequency`)
unless ``demand.frequency = "monthly"``, when the referrals are counted by month instead
(:mod:`~capacity_planner.demand.monthly`) and the weekly series here is empty.

Rates
-----
* DNA rate per activity: :math:`r = \text{dna} / (\text{attended} + \text{dna})`; patient and hospital
  cancellations are excluded: the share of patients booked into a slot who did not come, which is what
  sizing needs. NHS outpatient statistics (HES) divide DNAs by *all* appointments, cancellations
  included; that rate is reported too, as ``dna_rate_all_appointments``.
* Hospital-cancellation rate per activity: :math:`c = \text{cancelled\_hospital} / \text{booked}`, with
  booked = attended + dna + cancelled_patient + cancelled_hospital. A slot the hospital cancels is lost
  capacity, so sizing divides slots by :math:`1 - c`.
* Follow-up ratio (follow-up attendances per new attendance): for a follow-up activity :math:`F` fed by
  the new activities :math:`A_1..A_k` (activities whose ``follow_up_activity`` is :math:`F`),

  .. math:: f_F = \frac{\#\{\text{attended at } F,\ \text{not new}\}}
                       {\sum_i \#\{\text{attended at } A_i,\ \text{new}\}}

  Feeding activities are pooled because follow-up appointments do not record which new clinic the
  patient came from. ``is_new`` left blank counts as new at a feeding activity and as a follow-up at
  :math:`F`. The same :math:`f_F` is reported for each feeding activity.

Rates are measured on appointments dated in the history window (the ``history_weeks`` weeks before the
plan start), or on all appointments before the plan start if none fall in it.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from capacity_planner.calendar import bank_holidays
from capacity_planner.demand._words import plural
from capacity_planner.demand.appointments import appointment_weights
from capacity_planner.demand.follow_up_outcomes import apply_outcome_ratios, outcome_follow_up_ratios
from capacity_planner.errors import PackValidationError, Problem

if TYPE_CHECKING:
    from capacity_planner.pack.model import Activity, PlanningPack

__all__ = [
    "ActivitySpan",
    "History",
    "ReferralWindow",
    "activity_spans",
    "appointment_rates",
    "bank_holidays",
    "build_history",
    "calendar_regressors",
    "check_referral_frequency",
    "follow_up_ratios",
    "referral_window",
    "week_index",
    "week_start_of",
    "weekly_referrals",
    "working_days_per_week",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_EPOCH_MONDAY_OFFSET = 4  # 1970-01-05, the first Monday after the epoch, is day 4
_OUTCOMES = ("attended", "dna", "cancelled_patient", "cancelled_hospital")
HISTORY_COLUMNS = ("activity_id", "priority", "week_start", "value")
UNSPECIFIED_PRIORITY = "unspecified"


# --------------------------------------------------------------------------------------------------
# week arithmetic
# --------------------------------------------------------------------------------------------------


_NS_PER_DAY = 86_400_000_000_000


def _days(dates: pd.Series | pd.DatetimeIndex | npt.ArrayLike) -> IntArray:
    """Days since 1970-01-01 (int64, floor) of datetime-like values."""
    return np.asarray(dates, dtype="datetime64[ns]").view(np.int64) // _NS_PER_DAY


def week_index(dates: pd.Series | pd.DatetimeIndex | npt.ArrayLike) -> IntArray:
    r"""ISO week number since the epoch: :math:`w = \lfloor (d - 4) / 7 \rfloor` for day number ``d``.

    Examples
    --------
    >>> int(week_index(np.array(["2026-01-05", "2026-01-11", "2026-01-12"], dtype="datetime64[D]"))[2]
    ...     - week_index(np.array(["2026-01-05"], dtype="datetime64[D]"))[0])
    1
    """
    return (_days(dates) - _EPOCH_MONDAY_OFFSET) // 7


def week_start_of(week: IntArray | int) -> pd.DatetimeIndex:
    """Monday (``datetime64[ns]``) of week indices from :func:`week_index`."""
    w = np.atleast_1d(np.asarray(week, dtype=np.int64))
    return pd.DatetimeIndex((w * 7 + _EPOCH_MONDAY_OFFSET).astype("datetime64[D]").astype("datetime64[ns]"))


def _week_of_date(day: dt.date) -> int:
    return int(week_index(np.array([np.datetime64(day, "D")]))[0])


# Bank holidays: capacity_planner.calendar (shared with the sample generator).


def working_days_per_week(week_starts: pd.DatetimeIndex | npt.ArrayLike) -> FloatArray:
    """Weekdays (Mon-Fri) that are not England and Wales bank holidays, per week (0-5).

    Examples
    --------
    >>> working_days_per_week(pd.DatetimeIndex(["2026-12-21", "2026-12-28", "2027-01-04"])).tolist()
    [3.0, 4.0, 5.0]
    """
    weeks = week_index(week_starts)
    if weeks.size == 0:
        return np.zeros(0)
    starts = week_start_of(weeks)
    holidays = bank_holidays(int(starts.min().year) - 1, int(starts.max().year) + 1)
    hol = np.array([np.datetime64(d, "D") for d in holidays])
    hol = hol[np.array([d.weekday() < 5 for d in holidays], dtype=bool)]
    hol_week = week_index(hol)
    lost = np.searchsorted(hol_week, weeks, side="right") - np.searchsorted(hol_week, weeks, side="left")
    return (5 - lost).astype(np.float64)


def calendar_regressors(weeks: IntArray) -> FloatArray:
    r"""Known calendar covariates of weeks (indices from :func:`week_index`), shape (n, 2).

    Column 0: :math:`\log(\text{working days}/5)` (working days = Mon-Fri minus bank holidays, at least
    0.5), so that with coefficient 1 demand is proportional to working days. Column 1: weekdays of the week
    between 24 December and 1 January that are not bank holidays (GP practices and clinics run a reduced
    service then, so referrals dip beyond the bank holidays themselves).

    A run of consecutive weeks is computed once per process and copied (:func:`_consecutive_regressors`):
    a trust's 120 weekly series ask for the same 52 planning weeks and mostly the same history weeks.
    """
    w = np.asarray(weeks, dtype=np.int64)
    if w.size > 1 and int(w[-1]) - int(w[0]) == w.size - 1 and bool((np.diff(w) == 1).all()):
        return _consecutive_regressors(int(w[0]), int(w.size)).copy()
    return _regressors_of(w)


@functools.lru_cache(maxsize=64)
def _consecutive_regressors(first_week: int, n_weeks: int) -> FloatArray:
    """:func:`calendar_regressors` of the weeks ``first_week .. first_week + n_weeks - 1`` (cached: do not
    modify the array returned)."""
    return _regressors_of(first_week + np.arange(n_weeks, dtype=np.int64))


def _regressors_of(w: IntArray) -> FloatArray:
    """:func:`calendar_regressors` computed."""
    working = working_days_per_week(week_start_of(w)) if w.size else np.zeros(0)
    days = (w * 7 + _EPOCH_MONDAY_OFFSET)[:, None] + np.arange(5)[None, :]
    d = days.astype("datetime64[D]")
    month_start = d.astype("datetime64[M]")
    month = month_start.astype(np.int64) % 12 + 1
    dom = (d - month_start.astype("datetime64[D]")).astype(np.int64) + 1
    festive = ((month == 12) & (dom >= 24)) | ((month == 1) & (dom == 1))
    if festive.any():
        years = d.astype("datetime64[Y]").astype(np.int64) + 1970
        hol = np.array([np.datetime64(x, "D") for x in bank_holidays(int(years.min()), int(years.max()))])
        festive &= ~np.isin(d, hol)
    return np.column_stack([np.log(np.maximum(working, 0.5) / 5.0), festive.sum(axis=1).astype(np.float64)])


# --------------------------------------------------------------------------------------------------
# referrals
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReferralWindow:
    """The complete weeks of referral history: weeks ``first_week .. last_week`` (indices from
    :func:`week_index`), inclusive. ``n_weeks`` is 0 when no week is complete."""

    first_day: dt.date | None
    last_day: dt.date | None
    first_week: int
    last_week: int
    dropped_first: bool
    dropped_last: bool
    weekend_referrals: bool

    @property
    def n_weeks(self) -> int:
        """Complete weeks in the window."""
        return max(0, self.last_week - self.first_week + 1)

    @property
    def week_starts(self) -> pd.DatetimeIndex:
        """Mondays of the complete weeks."""
        return week_start_of(np.arange(self.first_week, self.last_week + 1, dtype=np.int64))


def referral_window(
    referrals: pd.DataFrame, plan_start: dt.date | None = None, history_weeks: int | None = None
) -> ReferralWindow:
    """The complete weeks of a referrals table (see the module docstring for the rules).

    Parameters
    ----------
    referrals : DataFrame
        Canonical referrals (``referral_date`` datetime64).
    plan_start : date, optional
        First Monday of the planning year. Not used to complete the last week: an extract pulled
        mid-week ends in a partial week, which is dropped even when the plan starts the next Monday.
    history_weeks : int, optional
        Keep only the last ``history_weeks`` complete weeks.
    """
    if len(referrals) == 0:
        return ReferralWindow(None, None, 0, -1, False, False, False)
    days = _days(referrals["referral_date"])
    first, last = int(days.min()), int(days.max())
    # weekday of day number d: (d + 3) % 7, Monday = 0 (1970-01-01 was a Thursday)
    weekdays = np.bincount((days + 3) % 7, minlength=7)
    weekend = bool(weekdays[5:].sum() > 0)
    last_needed = 6 if weekdays[6] else 5 if weekdays[5] else 4
    first_wd, last_wd = (first + 3) % 7, (last + 3) % 7
    first_week = (first - _EPOCH_MONDAY_OFFSET) // 7
    last_week = (last - _EPOCH_MONDAY_OFFSET) // 7
    weekly_totals = int(np.count_nonzero(weekdays)) == 1 and np.unique(days).size >= 3
    dropped_first = first_wd != 0 and not weekly_totals
    dropped_last = last_wd < last_needed and not weekly_totals
    first_week += int(dropped_first)
    last_week -= int(dropped_last)
    if history_weeks is not None and last_week - first_week + 1 > history_weeks:
        first_week = last_week - history_weeks + 1
    as_date = dt.date(1970, 1, 1).toordinal()
    return ReferralWindow(
        first_day=dt.date.fromordinal(as_date + first),
        last_day=dt.date.fromordinal(as_date + last),
        first_week=int(first_week),
        last_week=int(last_week),
        dropped_first=dropped_first,
        dropped_last=dropped_last,
        weekend_referrals=weekend,
    )


def check_referral_frequency(referrals: pd.DataFrame, source: str = "referrals") -> None:
    """Refuse monthly totals: every referral dated the 1st of a month, on at least three dates.

    Weekly demand cannot be recovered from monthly totals (a month's count dated the 1st would be one spike
    week in 4.3), so they are an input error (exit 2) naming the table, the column and what to give.

    Raises
    ------
    PackValidationError
    """
    if len(referrals) == 0:
        return
    dates = pd.DatetimeIndex(pd.unique(referrals["referral_date"].dropna()))
    if dates.size >= 3 and bool((dates.day == 1).all()):
        raise PackValidationError(
            [
                Problem(
                    source,
                    "every referral is dated the 1st of a month: these look like monthly totals, which "
                    "cannot be sized as weekly demand. Set demand.frequency = \"monthly\" in pack.toml "
                    "to size them as monthly totals, or give one row per referral, or daily or weekly "
                    "counts (weekly totals dated on the same weekday each week)",
                    None,
                    "referral_date",
                    f"{dates.min().date()} .. {dates.max().date()} ({dates.size} dates)",
                )
            ]
        )


def _sorted_codes(values: pd.Series, blank: str) -> tuple[IntArray, pd.Index]:
    """``pd.factorize(values.astype("str").fillna(blank), sort=True)``: a code per row into the distinct
    texts held, sorted.

    A categorical column from the reader is coded from its categories (its codes remapped to the sorted
    texts present, blank rows to ``blank``) without a Python string per row (the trust sample's 191,672
    referral priorities)."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        text_codes, text_names = pd.factorize(values.astype("str").fillna(blank), sort=True)
        return text_codes, text_names
    categories = np.asarray(values.cat.categories.astype("str"), dtype=object)
    labels = np.append(categories, np.array([blank], dtype=object))
    codes = values.cat.codes.to_numpy().astype(np.int64)
    codes[codes < 0] = len(categories)  # a blank cell: the last label
    present = np.flatnonzero(np.bincount(codes, minlength=len(labels)))
    texts, inverse = np.unique(labels[present].astype(str), return_inverse=True)  # equal texts merge
    remap = np.full(len(labels), -1, dtype=np.int64)
    remap[present] = inverse.ravel()
    return remap[codes], pd.Index(texts, dtype="str")


def weekly_referrals(
    referrals: pd.DataFrame, window: ReferralWindow, *, by_priority: bool = True
) -> pd.DataFrame:
    """Weekly referral counts per activity (and priority), long format, zero-filled.

    Parameters
    ----------
    referrals : DataFrame
        Canonical referrals: referral_date, activity_id, priority, count.
    window : ReferralWindow
        Complete weeks to count (from :func:`referral_window`).
    by_priority : bool, default True
        One series per (activity, priority); False sums priorities (``priority`` is then ``"all"``).

    Returns
    -------
    DataFrame
        Columns ``activity_id, priority, week_start, value`` (value = referrals in the week, float64),
        one row per series and complete week, sorted by series then week. Series are the (activity,
        priority) pairs with at least one referral anywhere in the table.
    """
    n_weeks = window.n_weeks
    if len(referrals) == 0 or n_weeks == 0:
        return pd.DataFrame(
            {
                "activity_id": pd.Series(dtype="str"),
                "priority": pd.Series(dtype="str"),
                "week_start": pd.Series(dtype="datetime64[ns]"),
                "value": pd.Series(dtype="float64"),
            }
        )
    act_codes, act_names = pd.factorize(referrals["activity_id"], sort=True)
    if by_priority:
        pri_codes, pri_names = _sorted_codes(referrals["priority"], UNSPECIFIED_PRIORITY)
    else:
        pri_codes, pri_names = np.zeros(len(referrals), dtype=np.int64), pd.Index(["all"])
    n_pri = len(pri_names)
    series_code = act_codes.astype(np.int64) * n_pri + pri_codes
    present = np.unique(series_code)
    week = week_index(referrals["referral_date"]) - window.first_week
    keep = (week >= 0) & (week < n_weeks)
    flat = series_code[keep] * n_weeks + week[keep]
    counts = np.bincount(
        flat,
        weights=referrals["count"].to_numpy(dtype=np.float64)[keep],
        minlength=(len(act_names) * n_pri) * n_weeks,
    )
    values = counts.reshape(-1, n_weeks)[present]
    starts = window.week_starts
    n_series = present.size
    return pd.DataFrame(
        {
            "activity_id": pd.Series(np.asarray(act_names)[present // n_pri].repeat(n_weeks), dtype="str"),
            "priority": pd.Series(np.asarray(pri_names)[present % n_pri].repeat(n_weeks), dtype="str"),
            "week_start": np.tile(starts.to_numpy(), n_series),
            "value": values.ravel(),
        }
    )


@dataclass(frozen=True, slots=True)
class ActivitySpan:
    """The weeks of one activity's own series inside the pack's window (indices from :func:`week_index`).

    ``first_week`` is the first complete week from its first referral (the week of the first referral when
    that is a Monday or the pack's first week, else the next week); ``last_referral_week`` is the week of
    its last referral. Weeks after it up to the window's end are real zeros (a code that stopped)."""

    activity_id: str
    first_week: int
    last_referral_week: int
    first_day: dt.date

    def offset(self, window: ReferralWindow) -> int:
        """Weeks of the window before the activity's series starts."""
        return max(0, self.first_week - window.first_week)

    def complete_weeks(self, window: ReferralWindow) -> int:
        """Complete weeks of the activity's own series (0 when its referrals all fall after the window)."""
        return max(0, window.last_week - self.first_week + 1)


def _day_bounds(activity: pd.Series, days: IntArray) -> pd.DataFrame:
    """First and last day (``min``, ``max``) of each activity, indexed by the activity ids in sorted order
    (blank ids left out).

    A categorical column from the reader (:data:`capacity_planner.pack.parse.CATEGORICAL_TABLES`) is
    grouped on its integer codes, then the few groups are named and sorted: the same table as grouping the
    ids as text, without making a Python string per referral (191,672 referrals of the trust sample,
    ~30 ms)."""
    if isinstance(activity.dtype, pd.CategoricalDtype):
        codes = activity.cat.codes.to_numpy()
        bounds = pd.Series(days).groupby(codes, sort=True).agg(["min", "max"])
        bounds = bounds[bounds.index >= 0]  # code -1: a blank id, which grouping as text leaves out
        names = pd.Index(np.asarray(activity.cat.categories, dtype=object)[bounds.index.to_numpy()])
        return bounds.set_axis(names).sort_index()
    frame = pd.DataFrame({"activity_id": activity.to_numpy(), "day": days})
    return frame.groupby("activity_id", sort=True)["day"].agg(["min", "max"])


def activity_spans(referrals: pd.DataFrame, window: ReferralWindow) -> dict[str, ActivitySpan]:
    """Each activity's own span (:class:`ActivitySpan`), vectorised over the referrals table.

    An activity whose first referral falls in the window's last week keeps that week (so it has one week of
    history even when it opened mid-week); one whose referrals all fall after the window's last complete
    week (in an incomplete last week that was dropped) has none: its ``first_week`` is the week after the
    window and its series is empty (:meth:`ActivitySpan.complete_weeks` is 0).
    """
    if len(referrals) == 0 or window.n_weeks == 0:
        return {}
    bounds = _day_bounds(referrals["activity_id"], _days(referrals["referral_date"]))
    first = bounds["min"].to_numpy(dtype=np.int64)
    last = bounds["max"].to_numpy(dtype=np.int64)
    week_first = (first - _EPOCH_MONDAY_OFFSET) // 7
    partial = ((first + 3) % 7 != 0) & (week_first >= window.first_week)
    inside = np.clip(week_first + partial, window.first_week, window.last_week)
    start = np.where(week_first > window.last_week, window.last_week + 1, inside)
    end = np.minimum((last - _EPOCH_MONDAY_OFFSET) // 7, window.last_week)
    as_date = dt.date(1970, 1, 1).toordinal()
    return {
        str(aid): ActivitySpan(str(aid), int(a), int(b), dt.date.fromordinal(as_date + int(f)))
        for aid, a, b, f in zip(bounds.index, start, end, first, strict=True)
    }


# --------------------------------------------------------------------------------------------------
# appointments
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Encoded:
    """Appointments as integer codes (one pass over the strings), restricted to ``keep`` rows."""

    activity: npt.NDArray[np.integer]  # code into ``names``
    names: npt.NDArray[np.object_]
    outcome: npt.NDArray[np.integer]  # index into _OUTCOMES, -1 for anything else
    new_or_blank: npt.NDArray[np.bool_]
    follow_up_or_blank: npt.NDArray[np.bool_]
    weight: FloatArray | None  # appointments a row stands for (``count``; blank = 1); None: every row 1

    @classmethod
    def of(
        cls, appointments: pd.DataFrame, plan_start: dt.date | None = None, history_weeks: int | None = None
    ) -> _Encoded:
        keep = _window_mask(appointments, plan_start, history_weeks)
        act, names = _factorize_sorted(appointments["activity_id"])
        out, out_names = _factorize_sorted(appointments["outcome"])
        lookup = np.array(
            [_OUTCOMES.index(o) if o in _OUTCOMES else -1 for o in out_names] + [-1], dtype=np.int8
        )
        outcome = lookup[out]  # factorize gives -1 for missing, which picks the trailing -1
        is_new = appointments["is_new"]
        new_or_blank = np.asarray(is_new.to_numpy(dtype=bool, na_value=True))
        follow_up_or_blank = ~np.asarray(is_new.to_numpy(dtype=bool, na_value=False))
        # Every row one appointment (no count given): no weights, so no 10-million-float array (issue 16).
        weight = appointment_weights(appointments) if _has_counts(appointments) else None
        if keep is not None:
            act, outcome = act[keep], outcome[keep]
            weight = None if weight is None else weight[keep]
            new_or_blank, follow_up_or_blank = new_or_blank[keep], follow_up_or_blank[keep]
        return cls(
            act,
            np.asarray(names, dtype=object),
            outcome,
            new_or_blank,
            follow_up_or_blank,
            weight,
        )

    def outcome_counts(self) -> npt.NDArray[np.int64]:
        """Counts, shape (activities, 4 outcomes)."""
        n_out = len(_OUTCOMES)
        ok = self.outcome >= 0
        flat = np.bincount(
            self.activity[ok].astype(np.int64) * n_out + self.outcome[ok],
            weights=None if self.weight is None else self.weight[ok],
            minlength=len(self.names) * n_out,
        )
        return np.rint(flat).astype(np.int64).reshape(-1, n_out)

    def attended(self, mask: npt.NDArray[np.bool_]) -> dict[str, int]:
        """Attended appointments per activity among rows where ``mask`` holds."""
        sel = (self.outcome == 0) & mask
        weights = None if self.weight is None else self.weight[sel]
        counts = np.rint(np.bincount(self.activity[sel], weights=weights, minlength=len(self.names)))
        return {str(n): int(c) for n, c in zip(self.names, counts, strict=True)}


def _has_counts(appointments: pd.DataFrame) -> bool:
    """Whether the optional ``count`` column holds any value."""
    return "count" in appointments.columns and bool(appointments["count"].notna().any())


def _factorize_sorted(series: pd.Series) -> tuple[npt.NDArray[np.integer], npt.NDArray[np.object_]]:
    """``pd.factorize(series, sort=True)``: codes into the sorted distinct values (-1 for missing). A
    categorical's own codes are remapped through its categories instead of hashing every row: the reader
    gives the extracts' ID and label columns as categoricals (issue 16)."""
    if not isinstance(series.dtype, pd.CategoricalDtype):
        codes, uniques = pd.factorize(series, sort=True)
        return codes.astype(np.int64), np.asarray(uniques, dtype=object)
    raw = series.cat.codes.to_numpy()
    categories = np.asarray(series.cat.categories, dtype=object)
    present = np.flatnonzero(np.bincount(raw[raw >= 0], minlength=len(categories)) > 0)
    names = categories[present]
    order = np.argsort(names, kind="stable")
    remap = np.full(len(categories) + 1, -1, dtype=np.int32)  # the last entry: missing (code -1)
    remap[present[order]] = np.arange(present.size, dtype=np.int32)
    return remap[raw], names[order]


def _window_mask(
    appointments: pd.DataFrame, plan_start: dt.date | None, history_weeks: int | None
) -> npt.NDArray[np.bool_] | None:
    """Rows in the history window (module docstring), or None for all rows."""
    if plan_start is None or len(appointments) == 0:
        return None
    # floor(t / day) < s exactly when t < s * day: compared on the nanoseconds, no day array (issue 16)
    stamps = np.asarray(appointments["appointment_date"], dtype="datetime64[ns]").view(np.int64)
    start = int(np.datetime64(plan_start, "D").astype(np.int64))
    before = stamps < start * _NS_PER_DAY
    if history_weeks is not None:
        inside = before & (stamps >= (start - 7 * history_weeks) * _NS_PER_DAY)
        if inside.any():
            return inside
    return before


def _rates_table(enc: _Encoded) -> pd.DataFrame:
    counts = enc.outcome_counts()
    table = pd.DataFrame(
        counts,
        columns=list(_OUTCOMES),
        index=pd.Index([str(n) for n in enc.names], name="activity_id", dtype="str"),
    )
    table["booked"] = counts.sum(axis=1)
    seen_or_dna = (counts[:, 0] + counts[:, 1]).astype(np.float64)
    booked = counts.sum(axis=1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["dna_rate"] = np.where(seen_or_dna > 0, counts[:, 1] / seen_or_dna, np.nan)
        table["hospital_cancellation_rate"] = np.where(booked > 0, counts[:, 3] / booked, np.nan)
    table["dna_rate_all_appointments"] = dna_rate_all_appointments(counts)
    return table


def dna_rate_all_appointments(counts: npt.NDArray[np.int64]) -> FloatArray:
    r"""The DNA rate as NHS outpatient statistics (HES, Hospital Outpatient Activity) report it.

    :math:`r_\text{HES} = \text{dna} / (\text{attended} + \text{dna} + \text{cancelled\_patient} +
    \text{cancelled\_hospital})`: DNAs over *all* appointments, cancellations included. Reported next to
    the sizing rate dna / (attended + dna) so users can compare with the national figures; sizing does not
    use it (a cancelled slot is rebooked or lost, never a patient who failed to come).

    Parameters
    ----------
    counts : array, shape (activities, 4)
        Appointments per outcome, in the order attended, dna, cancelled_patient, cancelled_hospital.
    """
    booked = counts.sum(axis=1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(booked > 0, counts[:, 1] / booked, np.nan)


def appointment_rates(appointments: pd.DataFrame) -> pd.DataFrame:
    """Outcome counts, DNA rate and hospital-cancellation rate per activity.

    Returns
    -------
    DataFrame
        Indexed by ``activity_id``; columns attended, dna, cancelled_patient, cancelled_hospital, booked
        (int64) and ``dna_rate`` = dna / (attended + dna), ``hospital_cancellation_rate`` =
        cancelled_hospital / booked (float64, NaN when the denominator is 0).
    """
    return _rates_table(_Encoded.of(appointments))


_FU_COLUMNS = (
    "activity_id",
    "follow_up_activity",
    "new_attendances",
    "follow_up_attendances",
    "follow_up_ratio",
)


def _follow_ups(enc: _Encoded | None, activities: tuple[Activity, ...]) -> pd.DataFrame:
    feeds = {a.activity_id: a.follow_up_activity for a in activities if a.follow_up_activity}
    new_att = enc.attended(enc.new_or_blank) if enc is not None else {}
    fu_att = enc.attended(enc.follow_up_or_blank) if enc is not None else {}
    rows = []
    for new_id, fu_id in feeds.items():
        n_new = float(sum(new_att.get(a, 0) for a, f in feeds.items() if f == fu_id))
        n_fu = float(fu_att.get(fu_id, 0))
        rows.append((new_id, fu_id, n_new, n_fu, n_fu / n_new if n_new > 0 else np.nan))
    frame = pd.DataFrame(rows, columns=list(_FU_COLUMNS))
    return frame.astype(
        {
            "activity_id": "str",
            "follow_up_activity": "str",
            "new_attendances": "float64",
            "follow_up_attendances": "float64",
            "follow_up_ratio": "float64",
        }
    )


def follow_up_ratios(appointments: pd.DataFrame, activities: tuple[Activity, ...]) -> pd.DataFrame:
    """Measured follow-up ratio per follow-up activity, pooling the new activities that feed it.

    Returns
    -------
    DataFrame
        One row per feeding (new) activity ``activity_id`` with ``follow_up_activity``,
        ``new_attendances`` (pooled over all activities feeding the same follow-up activity),
        ``follow_up_attendances`` and ``follow_up_ratio`` (NaN when there are no new attendances).
    """
    return _follow_ups(_Encoded.of(appointments) if len(appointments) else None, activities)


# --------------------------------------------------------------------------------------------------
# everything at once
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class History:
    """What the demand model learns from a pack's history tables."""

    window: ReferralWindow
    weekly: pd.DataFrame  # activity_id, priority, week_start, value (complete weeks, zero-filled)
    rates: pd.DataFrame  # appointment_rates(), indexed by activity_id
    follow_ups: pd.DataFrame  # follow_up_ratios()
    notes: tuple[str, ...] = field(default_factory=tuple)
    spans: dict[str, ActivitySpan] = field(default_factory=dict)  # each activity's own series

    def activity_series(
        self, activity_id: str, wide: pd.DataFrame | None = None
    ) -> tuple[npt.NDArray[np.float64], int]:
        """An activity's weekly referrals from its own first complete week, and the index of that week
        (``wide``: :meth:`weekly_by_activity`, if already computed)."""
        wide = self.weekly_by_activity() if wide is None else wide
        if activity_id not in wide.columns:
            return np.zeros(0), self.window.first_week
        values = wide[activity_id].to_numpy(dtype=np.float64)
        span = self.spans.get(activity_id)
        skip = 0 if span is None else min(span.offset(self.window), values.size)
        return values[skip:], self.window.first_week + skip

    def weekly_by_activity(self) -> pd.DataFrame:
        """Weekly referrals summed over priorities: wide, one column per activity, indexed by week."""
        if len(self.weekly) == 0:
            return pd.DataFrame(index=self.window.week_starts)
        wide = (
            self.weekly.groupby(["week_start", "activity_id"], sort=True)["value"].sum().unstack(fill_value=0)
        )
        return wide.reindex(self.window.week_starts, fill_value=0.0)


def _source_name(pack: PlanningPack, table: str) -> str:
    """The file or sheet a table came from, as problems name it."""
    return f"{table} sheet" if pack.source.format == "xlsx" else f"{table}.csv"


def build_history(pack: PlanningPack) -> History:
    """Weekly series, appointment rates and follow-up ratios of a pack (see the module docstring)."""
    settings = pack.settings
    start = pack.plan_start if len(pack.referrals) or settings.start is not None else None
    referrals = pack.referrals
    notes = []
    if start is not None and len(referrals):
        before = _days(referrals["referral_date"]) < int(np.datetime64(start, "D").astype(np.int64))
        if not before.all():
            referrals = referrals.loc[before]
            notes.append(
                f"{int((~before).sum())} referral rows dated on or after the plan start ({start}) are "
                "not history and were not used for the forecast."
            )
    if settings.frequency == "monthly":  # months are counted by demand.monthly; no weekly series here
        referrals = referrals.iloc[:0]
    check_referral_frequency(referrals, _source_name(pack, "referrals"))
    window = referral_window(referrals, start, settings.history_weeks)
    weekly = weekly_referrals(referrals, window)
    enc = _Encoded.of(pack.appointments, start, settings.history_weeks) if len(pack.appointments) else None
    if window.dropped_first:
        notes.append(
            f"The first referral week (starting {week_start_of(window.first_week - 1)[0].date()}) is "
            "incomplete and was not used."
        )
    if window.dropped_last:
        notes.append(
            f"The last referral week (starting {week_start_of(window.last_week + 1)[0].date()}) is "
            "incomplete and was not used."
        )
    if start is not None and window.n_weeks:
        gap = _week_of_date(start) - window.last_week - 1
        if gap > 0:
            notes.append(
                f"Referral history ends {plural(gap, 'week')} before the plan start; the forecast bridges "
                "the gap."
            )
    rates = _rates_table(enc) if enc is not None else appointment_rates(pack.appointments.iloc[:0])
    follow_ups = _follow_ups(enc, pack.activities)
    if enc is not None:  # OUTCOME OF ATTENDANCE, where recorded, measures follow-ups at source (issue 17)
        appointments = pack.appointments
        if not appointments["outcome_of_attendance"].notna().any():  # none recorded: nothing to measure,
            appointments = appointments.iloc[:0]  # and no 10-million-row copy of the window (issue 16)
        keep = _window_mask(appointments, start, settings.history_weeks)
        by_outcome, outcome_notes = outcome_follow_up_ratios(appointments, pack.activities, keep)
        follow_ups = apply_outcome_ratios(follow_ups, by_outcome)
        notes.extend(outcome_notes)
    return History(
        window=window,
        weekly=weekly,
        rates=rates,
        follow_ups=follow_ups,
        notes=tuple(notes),
        spans=activity_spans(referrals, window),
    )
