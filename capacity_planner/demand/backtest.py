r"""Rolling-origin back-tests of demand sizing: is the sized level calibrated on held-out years?

For each origin :math:`o` (whole years counted back from the end of the history, keeping at least
``min_train_years`` of training data), the model is fitted on the periods before :math:`o` and judged on
the following year (Tashman, *Out-of-sample tests of forecasting accuracy*, IJF 16, 2000):

* ``coverage`` = share of test periods whose demand is at most the sized level :math:`q_p` (the
  :math:`p`-th centile of the pooled predictive distribution); a calibrated 80th centile covers about
  80 % of periods;
* ``mae`` = mean absolute error of the mean forecast, :math:`\frac{1}{H}\sum_h |y_h - \hat\mu_h|`;

next to the naive baseline (:class:`~capacity_planner.demand.forecast_models.EmpiricalRecent`): the
:math:`p`-th centile (same ``numpy.quantile`` method) and the mean of the last year before the origin.

One series and one origin give 52 (or 12) correlated test periods: even a perfect model's coverage then
has a standard deviation of about :math:`\sqrt{0.8 \cdot 0.2 / 52} \approx 5.5` points (more with
trend error shared by all weeks), so calibration is judged on coverage pooled over many series
(:func:`summarise_backtest`, with a standard error that treats each series-origin as a cluster).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from capacity_planner.demand._words import plural
from capacity_planner.demand.forecast import WEEKS_PER_YEAR, forecast_series, series_seed
from capacity_planner.demand.forecast_models import EmpiricalRecent, SeriesForecast
from capacity_planner.demand.history import History, build_history, calendar_regressors, week_start_of
from capacity_planner.demand.monthly import (
    MONTHS_A_YEAR,
    MonthWindow,
    history_months,
    log_month_exposure,
    month_start_of,
    month_window,
    monthly_referrals,
    referrals_before_start,
)
from capacity_planner.errors import PackValidationError, Problem

if TYPE_CHECKING:
    from pathlib import Path

    from capacity_planner.pack.model import PlanningPack

__all__ = [
    "BACKTEST_COLUMNS",
    "backtest_ae",
    "backtest_pack",
    "backtest_series",
    "load_ae_series",
    "rolling_origins",
    "summarise_backtest",
]

INTERVAL_LEVELS: tuple[int, ...] = (60, 70, 80, 90, 95)
"""Central predictive intervals whose coverage is scored (per cent)."""
BACKTEST_COLUMNS = (
    "origin",
    "n_train",
    "n_test",
    "coverage",
    "coverage_naive",
    "mae",
    "mae_naive",
    "sized",
    "sized_naive",
    "model",
    "pinball",
    "pinball_naive",
    "mase",
    "mase_seasonal_naive",
    *(f"interval_{c}" for c in INTERVAL_LEVELS),
    *(f"interval_{c}_naive" for c in INTERVAL_LEVELS),
)
Forecaster = Callable[[int], SeriesForecast]


def rolling_origins(n_periods: int, periods_per_year: float, *, min_train_years: float = 1.0) -> list[int]:
    """Origins (index of the first test period) at whole years back from the end of ``n_periods``,
    oldest first, each with a full test year after it and at least ``min_train_years`` before it.

    Examples
    --------
    >>> rolling_origins(156, 52)
    [52, 104]
    >>> rolling_origins(36, 12, min_train_years=2)
    [24]
    """
    year = round(periods_per_year)
    min_train = math.ceil(min_train_years * year - 1e-9)
    origins = []
    o = n_periods - year
    while o >= max(min_train, 1):
        origins.append(o)
        o -= year
    return sorted(origins)


def pinball_loss(y: npt.ArrayLike, q: float, p: float) -> float:
    r"""Mean pinball (quantile) loss of a constant level ``q`` as the ``p`` quantile of ``y``:
    :math:`\frac1H\sum_h (y_h - q)\,(p - 1\{y_h < q\})` (Gneiting and Raftery, JASA 102, 2007).

    Examples
    --------
    >>> pinball_loss([10, 20], 15, 0.8)  # (5 x 0.8 + 5 x 0.2) / 2
    2.5
    """
    u = np.asarray(y, dtype=np.float64) - q
    return float(np.mean(u * (p - (u < 0))))


def mase_scale(y_train: npt.ArrayLike, periods_per_year: float) -> float:
    r"""In-sample MAE of the seasonal naive forecast :math:`y_{t-Y}` (:math:`Y` = round(P)), the MASE
    denominator (Hyndman and Koehler, IJF 22, 2006); the one-step naive :math:`y_{t-1}` under
    :math:`Y + 1` periods. NaN when the series is constant or too short."""
    y = np.asarray(y_train, dtype=np.float64)
    lag = round(periods_per_year) if y.size > round(periods_per_year) else 1
    if y.size <= lag:
        return math.nan
    scale = float(np.mean(np.abs(y[lag:] - y[:-lag])))
    return scale if scale > 0 else math.nan


def seasonal_naive(y_train: npt.ArrayLike, horizon: int, periods_per_year: float) -> npt.NDArray[np.float64]:
    """The seasonal naive forecast: the value a year earlier (the last value under a year of history)."""
    y = np.asarray(y_train, dtype=np.float64)
    year = round(periods_per_year)
    if y.size >= year:
        base = y[y.size - year :]
        return np.resize(base, horizon)
    return np.full(horizon, y[-1] if y.size else 0.0)


def score_forecast(
    y_train: npt.NDArray[np.float64],
    y_test: npt.NDArray[np.float64],
    fc: SeriesForecast,
    percentile: float,
    method: str = "linear",
    periods_per_year: float = WEEKS_PER_YEAR,
) -> dict[str, float | int | str]:
    """Every back-test measure of one forecast over one test year, beside the naive baselines (module
    docstring): one-sided coverage and pinball loss of the sized level, central-interval coverage, MAE
    and MASE."""
    naive = EmpiricalRecent(periods_per_year).forecast(y_train, y_test.size)
    sized = fc.quantile(percentile, method)
    sized_naive = naive.quantile(percentile, method)
    scale = mase_scale(y_train, periods_per_year)
    snaive = seasonal_naive(y_train, y_test.size, periods_per_year)
    out: dict[str, float | int | str] = {
        "n_test": int(y_test.size),
        "coverage": float(np.mean(y_test <= sized)),
        "coverage_naive": float(np.mean(y_test <= sized_naive)),
        "mae": float(np.mean(np.abs(y_test - fc.mean))),
        "mae_naive": float(np.mean(np.abs(y_test - naive.mean))),
        "sized": sized,
        "sized_naive": sized_naive,
        "model": fc.model,
        "pinball": pinball_loss(y_test, sized, percentile),
        "pinball_naive": pinball_loss(y_test, sized_naive, percentile),
        "mase": float(np.mean(np.abs(y_test - fc.mean))) / scale,
        "mase_seasonal_naive": float(np.mean(np.abs(y_test - snaive))) / scale,
    }
    for c in INTERVAL_LEVELS:
        tail = (1 - c / 100) / 2
        for suffix, f in (("", fc), ("_naive", naive)):
            lo, hi = f.quantile(tail, method), f.quantile(1 - tail, method)
            out[f"interval_{c}{suffix}"] = float(np.mean((y_test >= lo) & (y_test <= hi)))
    return out


def backtest_series(
    values: npt.ArrayLike,
    periods_per_year: float,
    *,
    percentile: float = 0.80,
    method: str = "linear",
    min_train_years: float = 1.0,
    t: npt.ArrayLike | None = None,
    regressors: npt.ArrayLike | None = None,
    log_exposure: npt.ArrayLike | None = None,
    growth: float | None = None,
    seed: int = 0,
    n_draws: int | None = None,
) -> pd.DataFrame:
    """Rolling-origin back-test of one count series (weekly, monthly or any period).

    Parameters
    ----------
    values : array_like
        Counts per period, oldest first, no gaps.
    periods_per_year : float
        52.18 (:data:`~capacity_planner.demand.forecast.WEEKS_PER_YEAR`) or 52 for weeks, 12 for months.
    percentile, method : float, str
        Level judged and the ``numpy.quantile`` method.
    min_train_years : float
        Least training history at an origin.
    t : array_like, optional
        Calendar period index of each value (aligns seasonality), default ``0..n-1``.
    regressors, log_exposure : array_like, optional
        Known covariates and log exposure for every period (sliced at each origin).
    growth : float, optional
        Annual growth to impose instead of estimating it.
    seed : int
        Seed of the predictive draws.

    Returns
    -------
    DataFrame
        One row per origin with :data:`BACKTEST_COLUMNS` (``origin`` is the index of the first test
        period).
    """
    y = np.asarray(values, dtype=np.float64)
    n = y.size
    if not rolling_origins(n, periods_per_year, min_train_years=min_train_years):
        return pd.DataFrame(columns=list(BACKTEST_COLUMNS))  # too short (or empty) for one origin
    tt = np.arange(n, dtype=np.float64) if t is None else np.asarray(t, dtype=np.float64)
    z = None if regressors is None else np.asarray(regressors, dtype=np.float64).reshape(n, -1)
    le = None if log_exposure is None else np.asarray(log_exposure, dtype=np.float64)
    year = round(periods_per_year)
    rows = []
    for origin in rolling_origins(n, periods_per_year, min_train_years=min_train_years):
        train, test = slice(0, origin), slice(origin, origin + year)
        fc = forecast_series(
            y[train],
            periods_per_year=periods_per_year,
            t=tt[train],
            t_future=tt[test],
            regressors=None if z is None else z[train],
            regressors_future=None if z is None else z[test],
            log_exposure=None if le is None else le[train],
            log_exposure_future=None if le is None else le[test],
            growth=growth,
            n_draws=n_draws,
            rng=np.random.default_rng([seed, origin]),
        )
        scores = score_forecast(y[train], y[test], fc, percentile, method, periods_per_year)
        rows.append({"origin": origin, "n_train": origin, **scores})
    return pd.DataFrame(rows, columns=list(BACKTEST_COLUMNS))


def backtest_pack(
    pack: PlanningPack,
    *,
    min_train_years: float = 1.0,
    percentile: float | None = None,
    n_draws: int | None = None,
) -> pd.DataFrame:
    """Rolling-origin back-test of every activity's weekly referrals in a pack.

    The pack's complete weeks of referral history (up to ``history_weeks``) are split at whole years back
    from the plan start; each activity's model (the same one :func:`~capacity_planner.demand.pipeline.
    size_demand` uses, with bank-holiday and Christmas covariates and the pack's ``demand.growth``) is
    judged at the 80th centile (``demand.percentile``, or ``percentile``) for every activity with
    referrals, rapid access or not, so that calibration is tested on as many series as possible.

    Returns
    -------
    DataFrame
        Columns ``activity_id, origin`` (date of the first test week), ``n_train_weeks, n_test_weeks,
        percentile, coverage, coverage_naive, mae, mae_naive, sized, sized_naive, model``; one row per
        activity and origin.
    """
    p = pack.settings.percentile if percentile is None else percentile
    if pack.settings.frequency == "monthly":  # months in, months scored (demand.monthly)
        return backtest_monthly_pack(pack, percentile=p, min_train_years=min_train_years, n_draws=n_draws)
    history = build_history(pack)
    wide = history.weekly_by_activity()
    frames = []
    for aid in wide.columns:
        values, first_week = history.activity_series(str(aid), wide)
        weeks = first_week + np.arange(values.size, dtype=np.int64)
        frames.append(backtest_activity(pack, str(aid), values, weeks, WEEKS_PER_YEAR, week_start_of,
                                        percentile=p, min_train_years=min_train_years, n_draws=n_draws,
                                        regressors=calendar_regressors(weeks)))
    if not any(len(f) for f in frames):
        raise _too_short(pack, history, wide, min_train_years)
    return backtest_table(frames, "weeks", p)


def backtest_monthly_pack(
    pack: PlanningPack,
    *,
    percentile: float,
    min_train_years: float = 1.0,
    n_draws: int | None = None,
) -> pd.DataFrame:
    """Rolling-origin back-test of every activity's *monthly* referrals (``demand.frequency = "monthly"``).

    The monthly model (the one
    :func:`~capacity_planner.demand.monthly.monthly_referral_forecasts` uses, days-in-month exposure) is
    judged on months: ``coverage`` is the share of test months at or below the forecast's ``percentile``
    of one month. The weekly level the activity is sized to cannot be scored, because weekly counts are
    not in the data.

    Returns
    -------
    DataFrame
        Columns ``activity_id, origin`` (first test month), ``n_train_months, n_test_months, percentile``
        and the scores of :func:`backtest_series`.
    """
    referrals = referrals_before_start(pack)
    window = month_window(referrals, history_months(pack))
    wide = monthly_referrals(referrals, window)
    frames = []
    for aid in wide.columns:
        values = wide[aid].to_numpy(dtype=np.float64)
        first = int(np.argmax(values > 0)) if values.any() else 0
        months = window.first_month + first + np.arange(values.size - first, dtype=np.int64)
        frames.append(backtest_activity(pack, str(aid), values[first:], months, MONTHS_A_YEAR, month_start_of,
                                        percentile=percentile, min_train_years=min_train_years,
                                        n_draws=n_draws, log_exposure=log_month_exposure(months)))
    if not any(len(f) for f in frames):
        raise _too_short_monthly(pack, window, min_train_years)
    return backtest_table(frames, "months", percentile)


def _too_short_monthly(
    pack: PlanningPack, window: MonthWindow, min_train_years: float
) -> PackValidationError:
    """The input error of a monthly pack in which no activity has enough months for one origin."""
    need = math.ceil(min_train_years * MONTHS_A_YEAR - 1e-9) + MONTHS_A_YEAR
    source = "referrals sheet" if pack.source.format == "xlsx" else "referrals.csv"
    return PackValidationError(
        [
            Problem(
                source,
                f"no activity has enough monthly referral history for a back-test: it needs {need} complete "
                "months before the plan start (a year to train on and a year to test)",
                None,
                "referral_date",
                f"{plural(window.n_months, 'complete month')} in the pack",
            )
        ]
    )


def backtest_activity(pack: PlanningPack, activity_id: str, values: npt.NDArray[np.float64],
                      periods: npt.NDArray[np.int64], periods_per_year: float,
                      period_start: Callable[[npt.NDArray[np.int64]], pd.DatetimeIndex], *, percentile: float,
                      min_train_years: float, n_draws: int | None, **covariates: Any) -> pd.DataFrame:
    """Rolling-origin scores of one activity's series (weekly or monthly): :func:`backtest_series` with
    the pack's method, growth and the activity's own seed, origins as the dates their periods start
    (``period_start``) and the activity in the first column; empty when the series is too short."""
    res = backtest_series(values, periods_per_year, percentile=percentile,
                          method=pack.settings.percentile_method,
                          min_train_years=min_train_years, t=periods, growth=pack.settings.growth,
                          seed=int(series_seed(pack.settings.seed, activity_id).integers(2**31)),
                          n_draws=n_draws, **covariates)
    if len(res) == 0:
        return res
    res["origin"] = period_start(periods[res["origin"].to_numpy(dtype=np.int64)])
    res.insert(0, "activity_id", activity_id)
    return res


def backtest_table(frames: list[pd.DataFrame], unit: str, percentile: float) -> pd.DataFrame:
    """The back-test table from per-activity scores: ``activity_id, origin, n_train_<unit>,
    n_test_<unit>, percentile`` and the scores of :func:`backtest_series` (``unit``: weeks or months)."""
    out = pd.concat([f for f in frames if len(f)], ignore_index=True)
    out = out.rename(columns={"n_train": f"n_train_{unit}", "n_test": f"n_test_{unit}"})
    out["percentile"] = percentile
    scores = [c for c in BACKTEST_COLUMNS if c not in ("origin", "n_train", "n_test")]
    return out[["activity_id", "origin", f"n_train_{unit}", f"n_test_{unit}", "percentile", *scores]]


def _too_short(
    pack: PlanningPack, history: History, wide: pd.DataFrame, min_train_years: float
) -> PackValidationError:
    """The input error of a pack in which no activity has enough weeks for one back-test origin."""
    need = math.ceil(min_train_years * 52 - 1e-9) + 52
    longest = max((history.activity_series(str(a), wide)[0].size for a in wide.columns), default=0)
    source = "referrals sheet" if pack.source.format == "xlsx" else "referrals.csv"
    return PackValidationError(
        [
            Problem(
                source,
                f"no activity has enough referral history for a back-test: it needs {need} complete weeks "
                "before the plan start (a year to train on and a year to test), and the longest has "
                f"{plural(longest, 'week')}",
                None,
                "referral_date",
                f"{plural(history.window.n_weeks, 'complete week')} in the pack",
            )
        ]
    )


def summarise_backtest(table: pd.DataFrame, by: str | list[str] = "origin") -> pd.DataFrame:
    r"""Coverage and MAE pooled over series, per ``by`` group and overall (``by`` = ``"all"``).

    ``coverage_se`` is the standard error of the pooled coverage treating each row (a series-origin) as
    one cluster: :math:`\mathrm{sd}(c_i)/\sqrt{m}`. ``mae_ratio`` = :math:`\sum \text{mae} / \sum
    \text{mae\_naive}` (below 1: the model's mean forecast beats the naive mean).
    """
    keys = [by] if isinstance(by, str) else list(by)
    n_col = next(c for c in ("n_test", "n_test_weeks", "n_test_months") if c in table.columns)

    def pool(g: pd.DataFrame) -> pd.Series:
        w = g[n_col].to_numpy(dtype=np.float64)
        cov = g["coverage"].to_numpy(dtype=np.float64)
        m = len(g)
        return pd.Series(
            {
                "n_series": m,
                "n_test_periods": int(w.sum()),
                "coverage": float(np.average(cov, weights=w)),
                "coverage_se": float(np.std(cov, ddof=1) / math.sqrt(m)) if m > 1 else math.nan,
                "coverage_naive": float(np.average(g["coverage_naive"], weights=w)),
                "mae": float(g["mae"].mean()),
                "mae_naive": float(g["mae_naive"].mean()),
                "mae_ratio": float(g["mae"].sum() / g["mae_naive"].sum())
                if g["mae_naive"].sum() > 0
                else math.nan,
                **_extra_scores(g, w),
            }
        )

    labels: list[object] = []
    rows = []
    for k, g in table.groupby(keys, sort=True):
        labels.append(k if len(keys) > 1 else k[0])
        rows.append(pool(g))
    out = pd.DataFrame([*rows, pool(table)], index=pd.Index([*labels, "all"], name="/".join(keys)))
    out["n_series"] = out["n_series"].astype(int)
    out["n_test_periods"] = out["n_test_periods"].astype(int)
    return out


def _extra_scores(g: pd.DataFrame, w: npt.NDArray[np.float64]) -> dict[str, float]:
    """Pooled pinball ratio, MASE and interval coverages of a group (when the columns are there)."""
    out: dict[str, float] = {}
    if "pinball" in g.columns:
        naive = float(np.sum(g["pinball_naive"] * w))
        out["pinball_ratio"] = float(np.sum(g["pinball"] * w)) / naive if naive > 0 else math.nan
    if "mase" in g.columns:
        out["mase"] = float(np.nanmean(g["mase"])) if g["mase"].notna().any() else math.nan
        out["mase_seasonal_naive"] = (
            float(np.nanmean(g["mase_seasonal_naive"]))
            if g["mase_seasonal_naive"].notna().any()
            else math.nan
        )
    for c in INTERVAL_LEVELS:
        for suffix in ("", "_naive"):
            col = f"interval_{c}{suffix}"
            if col in g.columns:
                out[col] = float(np.average(g[col], weights=w))
    return out


# --------------------------------------------------------------------------------------------------
# real monthly A&E attendances
# --------------------------------------------------------------------------------------------------


def load_ae_series(path: str | Path, *, department_type: str = "1") -> pd.DataFrame:
    """Monthly A&E attendances per provider (rows) and month (columns), complete series only.

    Reads the NHS England A&E attendances extract (columns ``period, org_code, type, attendances, …``);
    ``department_type`` selects type 1 (major emergency departments), 2, ``other`` or ``all`` (summed).
    Providers with a missing or zero month are dropped, so every series is gap-free.
    """
    raw = pd.read_csv(path, dtype={"type": "str", "org_code": "str"})
    if department_type != "all":
        raw = raw[raw["type"] == department_type]
    wide = raw.groupby(["org_code", "period"])["attendances"].sum().unstack()
    wide = wide.dropna()
    wide = wide[(wide > 0).all(axis=1)]
    wide.columns = pd.DatetimeIndex(pd.to_datetime(wide.columns))
    return wide.sort_index(axis=1).astype(np.float64)


def backtest_ae(
    path: str | Path,
    *,
    department_type: str = "1",
    percentile: float = 0.80,
    method: str = "linear",
    min_train_years: float = 1.0,
    seed: int = 0,
) -> pd.DataFrame:
    """Back-test every provider's monthly series (:func:`load_ae_series`) with days-in-month exposure.

    Returns
    -------
    DataFrame
        :data:`BACKTEST_COLUMNS` plus ``org_code``; ``origin`` is the first test month.
    """
    wide = load_ae_series(path, department_type=department_type)
    months = pd.DatetimeIndex(wide.columns)
    t = (months.year * 12 + months.month - 1).to_numpy(dtype=np.float64)
    log_days = np.log(months.days_in_month.to_numpy(dtype=np.float64) / (365.2425 / 12))
    frames = []
    for i, (org, row) in enumerate(wide.iterrows()):
        res = backtest_series(
            row.to_numpy(),
            12,
            percentile=percentile,
            method=method,
            min_train_years=min_train_years,
            t=t,
            log_exposure=log_days,
            seed=seed + i,
        )
        res.insert(0, "org_code", str(org))
        frames.append(res)
    out = pd.concat(frames, ignore_index=True)
    out["origin"] = months[out["origin"].to_numpy(dtype=np.int64)]
    return out
