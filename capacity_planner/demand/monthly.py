r"""Monthly referral histories (``demand.frequency = "monthly"``): months in, weekly demand out.

Months
------
A month is labelled by its first day; month index :math:`m = 12 (\text{year} - 1970) + \text{month} - 1`.
Referrals (rows or monthly totals) are summed per activity and calendar month. The window runs from the
first to the last month with a referral; only the last :math:`\operatorname{round}(12 \cdot
\text{history\_weeks} / 52.18)` complete months are kept (156 weeks = 36 months). Missing months inside the
window are zeros. Monthly totals (every row dated the same day of the month, on at least three dates) are
whole months and never dropped. Otherwise the first month is *partial* unless its first referral is on the
1st, and the last month is partial unless its last referral falls on or after the month's last weekday
(its last day when the pack has weekend referrals); partial months are dropped with a note, never counted
as a low month.

Forecast
--------
Each activity's monthly series (from its first month with a referral) is forecast by
:func:`~capacity_planner.demand.forecast.forecast_series` with 12 periods a year (Fourier season of up to
two harmonics, NB2 counts, trend and level-shift rules as for weekly series) and the log of the days in each
month as exposure, so February's 28 days are not read as a seasonal dip. The forecast months are the months
holding the planning weeks (a week belongs to the month of its Thursday).

From months to weeks
--------------------
The solver works in weeks. With :math:`M_m` a predictive draw of month :math:`m`'s referrals and
:math:`d_m` its days, the referrals of a planning week :math:`k` in month :math:`m(k)` are drawn as

.. math:: W_k \mid M_{m(k)} \sim \operatorname{Binomial}\!\left(M_{m(k)},\ 7 / d_{m(k)}\right),

the count of a week when the month's referrals fall on its days independently and uniformly (binomial
thinning). Its mean is :math:`E W_k = 7\,\mu_{m(k)} / d_{m(k)}` (7 × the month's mean daily rate), so
the mean weekly demand of the planning year is
:math:`\bar D = \frac{1}{52}\sum_k 7\mu_{m(k)}/d_{m(k)} \approx \frac{1}{52.18}\sum_{m=1}^{12}\mu_m`
(annual demand :math:`\sum_m \mu_m` spread over the year's :math:`365.25/7` weeks). Sizing then proceeds
on these weekly draws exactly as for weekly histories (:mod:`~capacity_planner.demand.sizing`): rapid
access at the 80th centile of *one week's* demand pooled over the 52 planning weeks, because capacity is
offered week by week (NHS England 2023, Step 2) and a week is more variable relative to its mean than a
month (the 80th centile of a month divided by 4.35 would under-size). The thinning keeps the month-level
uncertainty (level, season, growth, NB2 dispersion) whole in each week and adds the Poisson-like variation
of placing referrals within the month; clustering of referrals within a month beyond that cannot be seen in
monthly totals, so weekly centiles from monthly data are, if anything, slightly low (docs/method.md).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from capacity_planner.demand._words import plural
from capacity_planner.demand.forecast import WEEKS_PER_YEAR, forecast_series, series_seed
from capacity_planner.demand.forecast_models import BAND, EmpiricalRecent, SeriesForecast
from capacity_planner.demand.history import week_start_of

if TYPE_CHECKING:
    from capacity_planner.pack.model import PlanningPack

__all__ = [
    "MonthWindow",
    "days_in_month",
    "log_month_exposure",
    "month_index",
    "month_of_weeks",
    "month_start_of",
    "month_window",
    "monthly_referral_forecasts",
    "monthly_referrals",
    "weekly_from_monthly",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
MONTHS_A_YEAR = 12
_MIN_TOTAL_DATES = 3


def month_index(dates: pd.Series | pd.DatetimeIndex | npt.ArrayLike) -> IntArray:
    r"""Months since January 1970: :math:`12(\text{year} - 1970) + \text{month} - 1`.

    Examples
    --------
    >>> month_index(np.array(["1970-01-31", "2026-03-01"], dtype="datetime64[D]")).tolist()
    [0, 674]
    """
    return np.asarray(dates, dtype="datetime64[ns]").astype("datetime64[M]").astype(np.int64)


def month_start_of(months: IntArray | int) -> pd.DatetimeIndex:
    """First day (``datetime64[ns]``) of month indices from :func:`month_index`."""
    m = np.atleast_1d(np.asarray(months, dtype=np.int64))
    return pd.DatetimeIndex(m.astype("datetime64[M]").astype("datetime64[ns]"))


def days_in_month(months: IntArray | int) -> FloatArray:
    """Days in each month (28-31).

    Examples
    --------
    >>> days_in_month(month_index(pd.DatetimeIndex(["2024-02-01", "2025-02-01", "2025-04-01"])))
    array([29., 28., 30.])
    """
    m = np.atleast_1d(np.asarray(months, dtype=np.int64))
    return (
        (m + 1).astype("datetime64[M]").astype("datetime64[D]")
        - m.astype("datetime64[M]").astype("datetime64[D]")
    ).astype(np.float64)


def log_month_exposure(months: IntArray | int) -> FloatArray:
    r"""Log exposure of months, :math:`\log(d_m / (365.2425/12))`: 0 for a month of average length (as in
    the A&E back-test, :func:`~capacity_planner.demand.backtest.backtest_ae`)."""
    return np.log(days_in_month(months) / (365.2425 / MONTHS_A_YEAR))


def month_of_weeks(weeks: IntArray) -> IntArray:
    """Month of each week (indices from :func:`~capacity_planner.demand.history.week_index`): the month
    of its Thursday."""
    thursdays = week_start_of(np.asarray(weeks, dtype=np.int64)) + pd.Timedelta(days=3)
    return month_index(thursdays)


@dataclass(frozen=True, slots=True)
class MonthWindow:
    """Complete months ``first_month .. last_month`` (inclusive; none when ``n_months`` is 0)."""

    first_month: int
    last_month: int
    dropped_first: bool
    dropped_last: bool

    @property
    def n_months(self) -> int:
        """Complete months in the window."""
        return max(0, self.last_month - self.first_month + 1)


def month_window(referrals: pd.DataFrame, history_months: int | None = None) -> MonthWindow:
    """The complete months of a referrals table (module docstring: partial first and last months)."""
    if len(referrals) == 0:
        return MonthWindow(0, -1, False, False)
    dates = pd.DatetimeIndex(referrals["referral_date"])
    distinct = pd.DatetimeIndex(dates.unique())
    totals = distinct.size >= _MIN_TOTAL_DATES and distinct.day.nunique() == 1
    first, last = dates.min(), dates.max()
    weekend = bool((dates.day_of_week >= 5).any())
    month_end = last + pd.offsets.MonthEnd(0)
    last_needed = month_end
    while not weekend and last_needed.day_of_week >= 5:  # the month's last weekday
        last_needed -= pd.Timedelta(days=1)
    dropped_first = not totals and first.day != 1
    dropped_last = not totals and last.normalize() < last_needed.normalize()
    first_month = int(month_index(pd.DatetimeIndex([first]))[0]) + int(dropped_first)
    last_month = int(month_index(pd.DatetimeIndex([last]))[0]) - int(dropped_last)
    if history_months is not None and last_month - first_month + 1 > history_months:
        first_month = last_month - history_months + 1
    return MonthWindow(first_month, last_month, dropped_first, dropped_last)


def monthly_referrals(referrals: pd.DataFrame, window: MonthWindow) -> pd.DataFrame:
    """Referrals per calendar month (rows, labelled by their first day) and activity (columns), zero-filled,
    over the window's complete months."""
    index = month_start_of(np.arange(window.first_month, window.last_month + 1, dtype=np.int64))
    if len(referrals) == 0 or window.n_months == 0:
        return pd.DataFrame(index=index)
    frame = pd.DataFrame(
        {
            "month": month_index(referrals["referral_date"]),
            "activity_id": referrals["activity_id"].astype("str").to_numpy(),
            "count": referrals["count"].to_numpy(dtype=np.float64),
        }
    )
    inside = frame[(frame["month"] >= window.first_month) & (frame["month"] <= window.last_month)]
    wide = inside.groupby(["month", "activity_id"], sort=True)["count"].sum().unstack(fill_value=0)
    wide = wide.reindex(np.arange(window.first_month, window.last_month + 1), fill_value=0.0)
    wide.index = index
    return wide.astype(np.float64)


def weekly_from_monthly(
    monthly: SeriesForecast,
    future_months: IntArray,
    planning_weeks: IntArray,
    rng: np.random.Generator,
) -> SeriesForecast:
    r"""Weekly forecast of the planning weeks from a monthly one, by binomial thinning (module docstring).

    Parameters
    ----------
    monthly : SeriesForecast
        Forecast of ``future_months`` (referrals a month); its pooled sample holds the draws month by month
        (shape months × draws, flattened), or, for the empirical model, one value per month.
    future_months : array of int
        Month indices of the monthly forecast, one per forecast period.
    planning_weeks : array of int
        Week indices of the planning year.
    rng : numpy.random.Generator
        Source of the thinning draws.

    Returns
    -------
    SeriesForecast
        Referrals a week, one period per planning week; ``mean`` = :math:`7\mu_{m(k)}/d_{m(k)}`.
    """
    months = np.asarray(future_months, dtype=np.int64)
    weeks = np.asarray(planning_weeks, dtype=np.int64)
    position = np.searchsorted(months, month_of_weeks(weeks))
    share = 7.0 / days_in_month(months)  # a week's share of its month
    mean = monthly.mean[position] * share[position]
    sample = monthly.sample
    if months.size and sample.size % months.size == 0 and sample.size >= months.size:
        draws = sample.reshape(months.size, -1)[position]
    else:  # a pooled sample not laid out by month (zero forecasts): the same draws for every week
        draws = np.broadcast_to(sample, (weeks.size, sample.size))
    counts = np.rint(np.maximum(draws, 0.0)).astype(np.int64)
    weekly = rng.binomial(counts, share[position][:, None]).astype(np.float64)
    lower, upper = np.quantile(weekly, BAND, axis=1) if weekly.shape[1] else (mean, mean)
    return dataclasses.replace(
        monthly,
        model=f"monthly {monthly.model}",
        mean=mean,
        lower=np.asarray(lower, dtype=np.float64),
        upper=np.asarray(upper, dtype=np.float64),
        sample=weekly.ravel(),
        shift_at=None,
    )


def history_months(pack: PlanningPack) -> int:
    """Months of history the monthly model reads: ``demand.history_weeks`` in months (at least one)."""
    return max(1, round(MONTHS_A_YEAR * pack.settings.history_weeks / WEEKS_PER_YEAR))


def referrals_before_start(pack: PlanningPack) -> pd.DataFrame:
    """The pack's referral rows dated before the plan start (the history the monthly model reads)."""
    referrals = pack.referrals
    if len(referrals) == 0:
        return referrals
    start = pd.Timestamp(pack.plan_start)
    return referrals.loc[pd.DatetimeIndex(referrals["referral_date"]) < start]


def monthly_referral_forecasts(
    pack: PlanningPack, planning_weeks: IntArray, *, n_draws: int | None = None
) -> tuple[dict[str, SeriesForecast], list[str]]:
    """Weekly forecasts of the planning weeks for every activity with monthly referrals, and notes.

    Each activity's series starts at its first month with a referral (inside the window). A series whose
    model cannot be fitted falls back to the empirical distribution of its last 12 months, with a note.
    """
    referrals = referrals_before_start(pack)
    window = month_window(referrals, history_months(pack))
    wide = monthly_referrals(referrals, window)
    notes = _window_notes(window) + _start_notes(pack, window)
    weeks = np.asarray(planning_weeks, dtype=np.int64)
    future_months = np.unique(month_of_weeks(weeks))
    known = set(pack.activity_ids)
    out: dict[str, SeriesForecast] = {}
    for aid in wide.columns:
        if str(aid) not in known:
            continue
        values = wide[aid].to_numpy(dtype=np.float64)
        first = int(np.argmax(values > 0)) if values.any() else 0
        if first > 0:
            notes.append(
                f"{aid}: referrals start in {month_start_of(window.first_month + first)[0]:%B %Y}; its "
                f"history is counted from then ({plural(values.size - first, 'complete month')})."
            )
        rng = series_seed(pack.settings.seed, str(aid))
        fc = _forecast_months(values[first:], window.first_month + first, future_months, pack, n_draws, rng)
        out[str(aid)] = weekly_from_monthly(fc, future_months, weeks, rng)
    return out, notes


def _forecast_months(
    values: FloatArray,
    first_month: int,
    future_months: IntArray,
    pack: PlanningPack,
    n_draws: int | None,
    rng: np.random.Generator,
) -> SeriesForecast:
    months = first_month + np.arange(values.size, dtype=np.int64)
    try:
        with np.errstate(all="ignore"):
            fc = forecast_series(
                values,
                period_word="month",
                periods_per_year=MONTHS_A_YEAR,
                t=months,
                t_future=future_months,
                log_exposure=log_month_exposure(months),
                log_exposure_future=log_month_exposure(future_months),
                growth=pack.settings.growth,
                n_draws=n_draws,
                rng=rng,
            )
    except (ArithmeticError, ValueError, np.linalg.LinAlgError) as error:
        fc = EmpiricalRecent(MONTHS_A_YEAR).forecast(values, future_months.size)
        note = (
            f"the forecast model could not be fitted ({type(error).__name__}: {error}); sized from the "
            f"empirical distribution of its last {min(values.size, MONTHS_A_YEAR)} months instead"
        )
        return dataclasses.replace(fc, model="empirical-fallback", notes=(note,))
    if fc.shift_at is not None:
        when = f"{month_start_of(round(fc.shift_at))[0]:%B %Y}"
        notes = tuple(
            f"level shift detected from {when}; the level after it is used"
            if n.startswith("level shift")
            else n
            for n in fc.notes
        )
        fc = dataclasses.replace(fc, notes=notes, shift_at=None)
    return fc


def _window_notes(window: MonthWindow) -> list[str]:
    notes = []
    if window.dropped_first:
        when = month_start_of(window.first_month - 1)[0]
        notes.append(f"The first referral month ({when:%B %Y}) is incomplete and was not used.")
    if window.dropped_last:
        when = month_start_of(window.last_month + 1)[0]
        notes.append(f"The last referral month ({when:%B %Y}) is incomplete and was not used.")
    return notes


def _start_notes(pack: PlanningPack, window: MonthWindow) -> list[str]:
    """A note when the plan starts before the end of the last month of history: with planning.start unset
    the default (the Monday after the last referral row) falls inside the last month of monthly totals."""
    if window.n_months == 0:
        return []
    month_after = month_start_of(window.last_month + 1)[0].date()
    if pack.plan_start >= month_after:
        return []
    how = "set" if pack.settings.start is not None else "not set, so it is the Monday after the last referral"
    return [
        f"planning.start is {how} ({pack.plan_start}), inside the last month of referral history "
        f"({month_start_of(window.last_month)[0]:%B %Y}); the planning year overlaps the history. Set "
        f"planning.start to the first Monday on or after {month_after} in pack.toml."
    ]
