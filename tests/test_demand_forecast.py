"""Forecast kernels and models: fitting, fallbacks, and calibration of the predictive 80th centile."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from capacity_planner.constants import PERCENTILE_METHODS
from capacity_planner.demand.forecast import WEEKS_PER_YEAR, forecast_series
from capacity_planner.demand.forecast_kernels import design_matrix, fit_negbin, negbin_loglik
from capacity_planner.demand.forecast_models import EmpiricalRecent, NegBinGLM
from capacity_planner.demand.forecast_rules import screen_level_shift
from capacity_planner.demand.pipeline import forecast_weekly
from capacity_planner.demand.sizing import combine_forecasts

P = WEEKS_PER_YEAR


def synthetic(
    rng: np.random.Generator,
    n: int,
    *,
    level: float = 40.0,
    growth: float = 0.04,
    amplitude: float = 0.12,
    alpha: float = 1 / 30,
    t0: int = 2900,
) -> tuple[np.ndarray, np.ndarray]:
    """Weekly NB2 counts with log-linear growth and a yearly cosine, random phase."""
    t = np.arange(n) + t0
    phase = rng.uniform(0, 2 * np.pi)
    mu = level * np.exp(np.log1p(growth) * (t - t0) / P + amplitude * np.cos(2 * np.pi * t / P + phase))
    return t.astype(float), rng.poisson(rng.gamma(1 / alpha, alpha * mu)).astype(float)


def test_design_matrix_columns() -> None:
    X = design_matrix(np.arange(4.0), 52, t_ref=3, trend=True, n_harmonics=2, regressors=np.ones((4, 1)))
    assert X.shape == (4, 1 + 1 + 4 + 1)
    assert X[:, 1].tolist() == pytest.approx([-3 / 52, -2 / 52, -1 / 52, 0.0])


def test_fit_negbin_recovers_coefficients_and_dispersion() -> None:
    rng = np.random.default_rng(1)
    n = 4000
    X = np.column_stack([np.ones(n), rng.normal(size=n)])
    mu = np.exp(X @ np.array([3.0, 0.3]))
    y = rng.poisson(rng.gamma(1 / 0.05, 0.05 * mu)).astype(float)
    fit = fit_negbin(y, X)
    assert fit.converged
    assert fit.beta == pytest.approx([3.0, 0.3], abs=0.02)
    assert fit.alpha == pytest.approx(0.05, rel=0.15)
    se = np.sqrt(np.diag(fit.cov))
    assert (se > 0).all() and se[0] < 0.01


def test_fit_negbin_poisson_data_gives_alpha_zero_and_exact_mean() -> None:
    y = np.array([16.0, 12.0])
    fit = fit_negbin(y, np.ones((2, 1)))
    assert math.exp(fit.beta[0]) == pytest.approx(14.0, rel=1e-6)  # intercept-only MLE is the sample mean
    assert fit.alpha == 0.0


def test_robust_fit_ignores_a_gross_outlier() -> None:
    rng = np.random.default_rng(2)
    y = rng.poisson(30, size=104).astype(float)
    y[50] = 600.0  # a data-entry spike
    fit = fit_negbin(y, np.ones((104, 1)))
    assert math.exp(fit.beta[0]) == pytest.approx(np.median(y), rel=0.1)
    assert math.exp(fit.beta[0]) < 33


def test_negbin_loglik_matches_scipy() -> None:
    from scipy import stats

    y, mu, alpha = np.array([0.0, 3, 10]), np.array([2.0, 4, 8]), 0.2
    n = 1 / alpha
    expected = stats.nbinom.logpmf(y, n, n / (n + mu)).sum()
    assert negbin_loglik(y, mu, alpha) == pytest.approx(expected)
    assert negbin_loglik(y, mu, 0.0) == pytest.approx(stats.poisson.logpmf(y, mu).sum())


@pytest.mark.parametrize("method", PERCENTILE_METHODS)
def test_quantile_uses_numpy_method(method: str) -> None:
    values = np.array([3.0, 9, 4, 12, 7, 5, 8, 10, 6, 11])
    fc = EmpiricalRecent(10).forecast(values, 5)
    assert fc.quantile(0.8, method) == np.quantile(values, 0.8, method=method)  # type: ignore[call-overload]
    assert fc.mean.tolist() == [values.mean()] * 5


def test_fallbacks_by_history_length() -> None:
    rng = np.random.default_rng(3)
    t, y = synthetic(rng, 160)
    assert forecast_series([], periods_per_year=P, horizon=52).model == "none"
    assert forecast_series(np.zeros(30), periods_per_year=P, horizon=52).model == "zero"
    short = forecast_series(y[:30], periods_per_year=P, t=t[:30], horizon=52)
    assert short.model == "mean+negbin" and short.annual_growth is None
    one_year = forecast_series(y[:80], periods_per_year=P, t=t[:80], horizon=52)
    # trend and season are not separable in under two years: level only, growth year on year (issue 12)
    assert one_year.model == "yoy-growth+negbin" and one_year.annual_growth is not None
    full = forecast_series(y, periods_per_year=P, t=t, horizon=52)
    assert full.model.startswith("trend") and full.n_harmonics >= 1
    given = forecast_series(y[:30], periods_per_year=P, t=t[:30], horizon=52, growth=0.05)
    assert given.model == "given-growth+negbin" and given.annual_growth == 0.05 and given.growth_given


def test_given_growth_sets_the_slope() -> None:
    t = np.arange(40.0)
    y = np.round(1000 * 1.10 ** ((t - 39) / 52))  # 10 % a year, level 1000 at the last week
    fc = forecast_series(y, periods_per_year=52, horizon=52, growth=0.10)
    assert fc.mean[-1] == pytest.approx(1000 * 1.10 ** (52 / 52), rel=2e-3)
    assert fc.mean[0] == pytest.approx(1000 * 1.10 ** (1 / 52), rel=2e-3)


def test_flat_history_drops_the_trend() -> None:
    rng = np.random.default_rng(4)
    y = rng.poisson(400, size=156).astype(float)
    fc = forecast_series(y, periods_per_year=P, t=np.arange(156.0) + 2900, horizon=52)
    assert not fc.model.startswith("trend")
    assert any("no material trend" in n for n in fc.notes)


def test_level_shift_is_detected_and_its_level_used() -> None:
    rng = np.random.default_rng(5)
    y = np.concatenate([rng.poisson(60, 70), rng.poisson(100, 40)]).astype(float)
    X = design_matrix(np.arange(110.0), P, t_ref=109, trend=True, n_harmonics=0)
    assert abs(screen_level_shift(y, X) - 70) <= 2  # type: ignore[operator]
    fc = forecast_series(y, periods_per_year=P, t=np.arange(110.0) + 2900, horizon=52)
    assert "shift" in fc.model
    assert fc.mean_per_period == pytest.approx(100, rel=0.12)


def test_weekly_forecast_lowers_bank_holiday_weeks() -> None:
    rng = np.random.default_rng(6)
    from capacity_planner.demand.history import calendar_regressors

    weeks = np.arange(2860, 3016)  # 2024-10 .. 2027-09
    z = calendar_regressors(weeks)
    mu = 50 * np.exp(z[:, 0] - 0.1 * z[:, 1])  # demand proportional to working days, festive dip
    y = rng.poisson(mu).astype(float)
    fc = forecast_weekly(y[:104], int(weeks[0]), weeks[104:])
    zf = z[104:]
    assert fc.mean[zf[:, 0] < -0.4].max() < fc.mean[zf[:, 0] == 0].min()  # 3-day weeks lowest


def test_combine_forecasts_adds_means_and_samples() -> None:
    a = EmpiricalRecent(4).forecast(np.array([1.0, 2, 3, 4]), 3)
    b = EmpiricalRecent(4).forecast(np.array([10.0, 10, 10, 10]), 3)
    c = combine_forecasts([(1.0, a), (0.5, b)], "sum")
    assert c.mean.tolist() == [7.5] * 3
    assert c.sample.tolist() == [6.0, 7, 8, 9]
    with pytest.raises(ValueError):
        combine_forecasts([], "x")


@pytest.mark.parametrize("years", [2, 3])
def test_predictive_80th_centile_is_calibrated_on_synthetic_series(years: int) -> None:
    """Known trend, season and NB noise: pooled coverage of the 80th centile over 60 seeds is 80 % ± 4."""
    coverage = []
    n = 52 * years
    for seed in range(60):
        rng = np.random.default_rng(seed)
        t, y = synthetic(rng, n + 52, level=float(rng.uniform(10, 80)), growth=float(rng.uniform(0, 0.08)))
        fc = forecast_series(
            y[:n],
            periods_per_year=P,
            t=t[:n],
            t_future=t[n:],
            n_draws=200,
            rng=np.random.default_rng(1000 + seed),
        )
        coverage.append(np.mean(y[n:] <= fc.quantile(0.8)))
    assert np.mean(coverage) == pytest.approx(0.80, abs=0.04)


def test_plug_in_quantile_without_parameter_uncertainty_is_narrower() -> None:
    rng = np.random.default_rng(7)
    t, y = synthetic(rng, 104, level=30)
    model = NegBinGLM(P, trend=True, n_harmonics=1)
    fit = model.fit(y, t)
    with_unc = model.forecast_from_fit(fit, t, t[-1] + 1 + np.arange(52), rng=np.random.default_rng(0))
    import dataclasses

    plug = dataclasses.replace(fit, cov=fit.cov * 0)
    without = model.forecast_from_fit(plug, t, t[-1] + 1 + np.arange(52), rng=np.random.default_rng(0))
    assert np.std(with_unc.sample) > np.std(without.sample)
    assert with_unc.mean == pytest.approx(without.mean)


def test_monthly_series_run_through_the_same_kernels() -> None:
    rng = np.random.default_rng(8)
    t = np.arange(36.0) + 24000
    mu = 10_000 * 1.04 ** ((t - t[0]) / 12) * (1 + 0.05 * np.cos(2 * np.pi * t / 12))
    y = rng.poisson(mu).astype(float)
    fc = forecast_series(y[:24], periods_per_year=12, t=t[:24], t_future=t[24:])
    assert fc.model.startswith("trend") and fc.mean.shape == (12,)
    assert fc.annual_growth == pytest.approx(0.04, abs=0.02)
    assert np.mean(np.abs(fc.mean - mu[24:]) / mu[24:]) < 0.02


def test_trend_across_a_single_step_is_one_growth_beside_the_step() -> None:
    # with trend_across_step the trend column is (t - t_ref)/P everywhere (not held at the step before
    # it), and the step is the last column
    X = NegBinGLM(12, trend=True, shift_at=3.0, trend_across_step=True).design(np.arange(6.0), 5.0, None)
    assert X[:, 1].tolist() == pytest.approx([(t - 5) / 12 for t in range(6)])
    assert X[:, -1].tolist() == [0, 0, 0, 1, 1, 1]


def test_growth_is_measured_across_a_step_with_half_a_year_after_it() -> None:
    """30 months growing 8 % a year, Poisson about 300 a month, -30 % from month 18 (the real "drop 12
    months" class): the step is found, the trend runs across it, and the growth's variance is about a
    quarter of the after-the-step one: beside a step the slope is the within-segment slope pooled over
    both segments (sums of squares of t about their means 484.5 and 143: 143 / 627.5 = 0.23 with equal
    weights and means, 0.27 with the recency weights and the growing mean). (At 24 months, with the one
    harmonic in the search design and its critical value, such a step mid-history is found in 26 of 100
    series: docs/method.md, Session 13 round 4.)"""
    from capacity_planner.demand.forecast import _choose_model, _Series, _trend_across_step

    rng = np.random.default_rng(11)
    t = np.arange(30.0)
    mu = 300.0 * 1.08 ** (t / 12) * np.where(t >= 18, 0.7, 1.0)
    data = _Series(rng.poisson(mu).astype(float), t, None, None, 12.0)
    model, fit, _ = _choose_model(data, None)
    assert model.shift_at == 18.0 and model.trend and model.trend_across_step
    assert fit is not None
    after_only = data.fit(dataclasses.replace(model, trend_across_step=False))
    assert after_only is not None
    assert float(fit.cov[1, 1]) / float(after_only.cov[1, 1]) == pytest.approx(0.27, abs=0.03)
    # not with under half a year after the step, nor after a dip and its recovery
    assert _trend_across_step(data, 18.0, ())
    assert _trend_across_step(data, 24.0, ())
    assert not _trend_across_step(data, 25.0, ())
    assert not _trend_across_step(data, 12.0, (6.0,))


def test_growth_lag_is_levered_from_the_periods_the_growth_was_estimated_on() -> None:
    """20 months, a step at month 8: a year-on-year growth is measured on months 8-19 (weights all 1,
    centre 13.5) even when ``trend_across_step`` is set; the GLM trend fitted across the step on all 20
    (months 0-7 more than a year before month 19 weigh 1/2: (28/2 + 162)/(8/2 + 12) = 11.0). The centre
    is read back from two horizons: d_h = e (t_h - t_c)/P, so t_c = (32 - 20 r)/(1 - r), r = d_32/d_20."""
    from capacity_planner.demand.forecast import _growth_lag_draws, _Series

    t = np.arange(20.0)
    data = _Series(np.full(20, 100.0), t, None, None, 12.0)
    tf = np.array([20.0, 32.0])

    def centre(model: NegBinGLM) -> float:
        d = _growth_lag_draws(data, model, tf, 1, np.random.default_rng(0), 1.0)[:, 0]
        r = d[1] / d[0]
        return float((32 - 20 * r) / (1 - r))

    across = NegBinGLM(12, trend=True, shift_at=8.0, trend_across_step=True)
    yoy = NegBinGLM(
        12, trend=False, shift_at=8.0, trend_across_step=True, growth=0.03, growth_source="year-on-year"
    )
    assert across.growth_spans_step and not yoy.growth_spans_step
    assert centre(across) == pytest.approx(11.0)
    assert centre(yoy) == pytest.approx(13.5)
    assert centre(dataclasses.replace(across, trend_across_step=False)) == pytest.approx(13.5)


def test_a_given_growth_detrends_the_history_like_the_trend_beside_a_step() -> None:
    # across a single step a given growth runs over the whole history (as the estimated trend would);
    # a year-on-year one, measured after the step, is held at its value at the step before it; the
    # future part is the same either way
    t = np.arange(8.0)
    g = math.log1p(0.1)
    given = NegBinGLM(12, growth=0.1, shift_at=3.0, trend_across_step=True)
    assert given.offset(t, 5.0, None).tolist() == pytest.approx([g * (s - 5) / 12 for s in range(8)])
    yoy = dataclasses.replace(given, growth_source="year-on-year")
    assert yoy.offset(t, 5.0, None).tolist() == pytest.approx([g * (max(s, 3) - 5) / 12 for s in range(8)])
