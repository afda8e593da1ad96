"""Issue 12, session 10: recency weighting of the forecast fit (docs/method.md, "Recency weighting")."""

from __future__ import annotations

import numpy as np
import pytest

from capacity_planner.demand.forecast import WEEKS_PER_YEAR
from capacity_planner.demand.forecast_kernels import recency_weights
from capacity_planner.demand.forecast_models import RECENCY_HALF_LIFE_YEARS, NegBinGLM

T0 = 2900.0  # a week index, so the seasonal phase is on the calendar


def test_weights_are_one_over_the_last_year_then_halve_every_year() -> None:
    assert RECENCY_HALF_LIFE_YEARS == 1.0
    # monthly: 36, 24, 23, 18, 12, 11, 6 and 0 months back: whole years back 3, 2, 1, 1, 1, 0, 0, 0
    w = recency_weights(np.array([0.0, 12.0, 13.0, 18.0, 24.0, 25.0, 30.0, 36.0]), 36.0, 12.0, 1.0)
    assert w.tolist() == [0.125, 0.25, 0.5, 0.5, 0.5, 1.0, 1.0, 1.0]
    # weekly (52.18 weeks a year): the last 53 weeks weigh 1, weeks 53 to 104 back 1/2, week 105 back 1/4
    P = WEEKS_PER_YEAR
    w = recency_weights(T0 - np.array([0.0, 52.0, 53.0, 104.0, 105.0]), T0, P, 1.0)
    assert w.tolist() == [1.0, 1.0, 0.5, 0.5, 0.25]
    # half-life of half a year: two years back is 1/16
    assert recency_weights(np.array([0.0]), 24.0, 12.0, 0.5).tolist() == [0.0625]


def test_the_level_of_two_years_is_the_recency_weighted_mean() -> None:
    """Intercept-only fit of 24 months, 100/102 in the first year and 110/112 in the second: no
    over-dispersion (alpha 0) and no Huber down-weighting, so the Poisson estimate of the level is the
    weighted mean: (12 x 101 x 1/2 + 12 x 111) / 18 = 107.67; unweighted it is the plain mean, 106."""
    t = np.arange(24.0)
    y = np.r_[np.tile([100.0, 102.0], 6), np.tile([110.0, 112.0], 6)]
    fit = NegBinGLM(12, trend=False).fit(y, t)
    assert fit.alpha == 0.0
    assert np.exp(fit.beta[0]) == pytest.approx((12 * 101 / 2 + 12 * 111) / 18, rel=1e-9)
    plain = NegBinGLM(12, trend=False, half_life_years=None).fit(y, t)
    assert np.exp(plain.beta[0]) == pytest.approx(106.0, rel=1e-9)
    # fewer effective periods: the level's variance is larger than the unweighted one
    assert fit.cov[0, 0] > plain.cov[0, 0]


def test_a_history_of_a_year_or_less_is_fitted_exactly_as_before() -> None:
    rng = np.random.default_rng(5)
    t = T0 + np.arange(52.0)
    y = rng.poisson(30, size=52).astype(float)
    for model in (NegBinGLM(WEEKS_PER_YEAR, trend=False), NegBinGLM(WEEKS_PER_YEAR, trend=True)):
        weighted = model.fit(y, t)
        plain = NegBinGLM(WEEKS_PER_YEAR, trend=model.trend, half_life_years=None).fit(y, t)
        assert weighted.beta.tolist() == plain.beta.tolist()
        assert weighted.cov.tolist() == plain.cov.tolist()
        assert weighted.alpha == plain.alpha


def test_an_old_disturbance_weighs_less_in_the_level_and_the_dispersion() -> None:
    """Three years at 40 a week with weeks 10-40 of the first year at 20 (a dip that ended two years
    ago), fitted by the level alone: with recency weights the dip pulls the level down less and inflates
    the NB dispersion less than with every week alike."""
    rng = np.random.default_rng(11)
    level = np.full(156, 40.0)
    level[10:40] = 20.0
    y = rng.poisson(level).astype(float)
    t = T0 + np.arange(156.0)
    weighted = NegBinGLM(WEEKS_PER_YEAR, trend=False).fit(y, t)
    plain = NegBinGLM(WEEKS_PER_YEAR, trend=False, half_life_years=None).fit(y, t)
    assert abs(np.exp(weighted.beta[0]) - 40) < abs(np.exp(plain.beta[0]) - 40)
    assert weighted.alpha < plain.alpha
