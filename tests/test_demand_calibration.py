"""Issue 12, calibration pass: growth that may change, the short-history shift search, monthly critical
values of the shift search (docs/method.md, "Forecast")."""

from __future__ import annotations

import numpy as np
import pytest

from capacity_planner.demand.forecast import WEEKS_PER_YEAR, _search_design, _Series, forecast_series
from capacity_planner.demand.forecast_models import NegBinGLM
from capacity_planner.demand.forecast_rules import (
    GROWTH_CHANGE_SD,
    level_shift_statistic,
    level_shift_test,
    monthly_shift_critical_value,
    shift_critical_value,
)
from capacity_planner.demand.monthly import log_month_exposure

P = WEEKS_PER_YEAR


def _log_sd_by_week(y: np.ndarray, growth: float | None) -> np.ndarray:
    fc = forecast_series(y, periods_per_year=P, horizon=52, n_draws=4000, growth=growth,
                         rng=np.random.default_rng(1))
    return np.log(fc.sample.reshape(52, -1)).std(axis=1)


def test_the_planning_years_growth_may_depart_from_the_historys() -> None:
    """Three flat years at 5,000 a week: the level and growth are measured to about 1 %, and Poisson noise
    is 1/sqrt(5000) = 1.4 %. A year ahead the log level also carries the change of growth,
    sd 5 % x 52/52: sqrt(0.05^2 + 0.014^2 + parameters) is about 0.053; the first week ahead only
    5 % x 1/52 of it. A growth given in pack.toml is taken as known: no change is drawn."""
    y = np.random.default_rng(0).poisson(5000, 156).astype(float)
    sd = _log_sd_by_week(y, None)
    assert GROWTH_CHANGE_SD == 0.05
    assert sd[0] < 0.025
    assert 0.048 < sd[-1] < 0.065
    given = _log_sd_by_week(y, 0.0)
    assert given[-1] < 0.025


def test_a_seasonal_swing_in_one_year_is_not_a_step() -> None:
    """60 weeks of Poisson(40 e^{0.15 cos(2 pi t / P)}), no step. With the level alone in the search
    design the swing reads as a step in 4 of 40 series (1 % nominal; 6 before session 14's bias-corrected
    phi); with a trend and one harmonic, in none."""
    t = np.arange(60.0)
    level_only = with_smooth_terms = 0
    for seed in range(40):
        y = np.random.default_rng(seed).poisson(40 * np.exp(0.15 * np.cos(2 * np.pi * t / P))).astype(float)
        level_only += level_shift_test(y, np.ones((60, 1)), np.zeros(60), min_segment=6) is not None
        X, off, level = _search_design(_Series(y, t, None, None, P), NegBinGLM(P, trend=False))
        assert X.shape[1] == 4 and level == 0.01  # level, trend, sin, cos
        with_smooth_terms += level_shift_test(y, X, off, min_segment=6, level=level) is not None
    assert (level_only, with_smooth_terms) == (4, 0)


def test_a_sharp_drop_in_one_year_is_still_found() -> None:
    """Poisson(60), falling to 36 (-40 %) 12 weeks before the end of 60 weeks: a step, not a season."""
    t = np.arange(60.0)
    y = np.random.default_rng(3).poisson(np.where(t >= 48, 36.0, 60.0)).astype(float)
    fc = forecast_series(y, periods_per_year=P, t=t, horizon=52, n_draws=200)
    assert fc.shift_at == 48.0
    assert fc.mean_per_period == pytest.approx(36, rel=0.1)


def _monthly_null(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """2,000 a month with a ±10 % season and an AR(1) disturbance (rho 0.5, innovations sd 0.03): no step
    (one of the null settings of benchmarks/shift_critical_monthly.py)."""
    rng = np.random.default_rng(seed)
    t = 600 + np.arange(n, dtype=np.float64)
    u = np.zeros(n)
    shocks = rng.normal(0.0, 0.03, n)
    u[0] = shocks[0] / np.sqrt(0.75)
    for i in range(1, n):
        u[i] = 0.5 * u[i - 1] + shocks[i]
    exposure = log_month_exposure(t.astype(np.int64))
    y = rng.poisson(2000 * np.exp(0.1 * np.cos(2 * np.pi * t / 12) + u + exposure)).astype(np.float64)
    return y, t, exposure


def test_monthly_critical_values_come_from_the_finite_sample_table() -> None:
    assert monthly_shift_critical_value(36, 0.05) == pytest.approx(19.70)
    assert monthly_shift_critical_value(21, 0.01) == pytest.approx((18.83 + 21.58) / 2)  # between rows
    assert monthly_shift_critical_value(60, 0.01) == pytest.approx(27.39)  # beyond the last row
    # the Brownian-bridge value for 36 months with 2 at each end is far lower
    assert shift_critical_value(36, 2, 0.05) < 10.0


def test_the_monthly_search_no_longer_fires_on_autocorrelated_noise() -> None:
    """40 null series of 36 months (season and trend in the design, 5 % level): the asymptotic critical
    value (9.6) is passed by 16 of 40, the finite-sample one (19.7) by 3."""
    model = NegBinGLM(12, trend=True, n_harmonics=2)
    asymptotic = finite = 0
    for seed in range(40):
        y, t, exposure = _monthly_null(36, seed)
        X, off, level = _search_design(_Series(y, t, None, exposure, 12.0), model)
        assert level == 0.05
        stat = level_shift_statistic(y, X, off, min_segment=2)
        assert stat is not None
        asymptotic += stat[1] > shift_critical_value(36, 2, level)
        finite += level_shift_test(y, X, off, min_segment=2, level=level, periods_per_year=12) is not None
    assert (asymptotic, finite) == (16, 3)


def test_a_large_monthly_step_is_still_found() -> None:
    """The same noise with a -25 % step 8 months before the end: found where it is."""
    y, t, exposure = _monthly_null(36, 1)
    y = np.where(np.arange(36) >= 28, np.round(0.75 * y), y)
    fc = forecast_series(y, periods_per_year=12, t=t, t_future=t[-1] + 1 + np.arange(12),
                         log_exposure=exposure, log_exposure_future=np.zeros(12), n_draws=100)
    assert fc.shift_at == t[28]


def test_two_years_of_weekly_season_is_not_a_step() -> None:
    """104 weeks of Poisson(40 e^{0.10 cos(2 pi t / P - phase)}), no step, random phase. With the level
    and trend alone in the search design (1 % level) the season reads as a step in 9 of 40 series; with
    the one harmonic searches keep from two to three years, in none. A 24-month monthly search keeps it
    too (its critical values are simulated with it: the next test)."""
    t = np.arange(104.0)
    level_and_trend = with_harmonic = 0
    model = NegBinGLM(P, trend=True, n_harmonics=2)
    for seed in range(40):
        rng = np.random.default_rng(seed)
        phase = rng.uniform(0, 2 * np.pi)
        y = rng.poisson(40 * np.exp(0.10 * np.cos(2 * np.pi * t / P - phase))).astype(float)
        X_lt = NegBinGLM(P, trend=True, n_harmonics=0).design(t, t[-1], None)
        level_and_trend += level_shift_test(y, X_lt, np.zeros(104), min_segment=6, level=0.01) is not None
        X, off, level = _search_design(_Series(y, t, None, None, P), model)
        assert X.shape[1] == 4 and level == 0.01  # level, trend, sin, cos
        with_harmonic += level_shift_test(y, X, off, min_segment=6, level=level) is not None
    assert (level_and_trend, with_harmonic) == (9, 0)
    y, tm, exposure = _monthly_null(24, 0)
    X, _, level = _search_design(_Series(y, tm, None, exposure, 12.0), NegBinGLM(12, trend=True, n_harmonics=2))
    assert X.shape[1] == 4 and level == 0.01  # level, trend, sin, cos


def test_the_two_to_three_year_monthly_search_is_at_its_size_with_the_harmonic() -> None:
    """200 null series of 24 and 30 months (2,000 a month, ±10 % season, AR(1) rho 0.5), the one harmonic
    in the search design: the 1 % critical values simulated without it (18.25, 13.32) are passed by 13 and
    40; those of the table, simulated with it (21.58, 22.79), by 7 and 3."""
    model = NegBinGLM(12, trend=True, n_harmonics=2)
    for n, old_critical, expected in ((24, 18.25, (13, 7)), (30, 13.32, (40, 3))):
        old = new = 0
        for seed in range(200):
            y, t, exposure = _monthly_null(n, seed)
            X, off, level = _search_design(_Series(y, t, None, exposure, 12.0), model)
            assert X.shape[1] == 4 and level == 0.01
            found = level_shift_statistic(y, X, off, min_segment=2)
            assert found is not None
            old += found[1] > old_critical
            new += found[1] > monthly_shift_critical_value(n, 0.01)
        assert (old, new) == expected
