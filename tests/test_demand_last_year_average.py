"""Session 17 (helper C): a weekly forecast whose last level step lies a year or more before the end, or
within the last year but small, is quantile-averaged with last year's values (docs/method.md, "Stress
classes", session 17 helper C, rounds 1 and 2)."""

from __future__ import annotations

import numpy as np
import pytest

from capacity_planner.demand import forecast
from capacity_planner.demand.forecast_models import EmpiricalRecent, SeriesForecast, quantile_average
from capacity_planner.demand.pipeline import forecast_weekly

FIRST_WEEK = 2800  # any week index; the calendar covariates follow it


def _stepped(weeks_after: int, seed: int = 3, to: float = 600.0) -> np.ndarray:
    """156 weeks of Poisson counts, 400 a week and from ``to`` growing by 10 % a year in the last
    ``weeks_after`` weeks (so that the model, which extrapolates the growth, and last year's values
    differ)."""
    rng = np.random.default_rng(seed)
    after = np.arange(156) - (156 - weeks_after)
    mu = np.where(after >= 0, to * 1.1 ** (after / 52), 400.0)
    return rng.poisson(mu).astype(np.float64)


def _forecast(y: np.ndarray) -> SeriesForecast:
    future = FIRST_WEEK + y.size + np.arange(52)
    return forecast_weekly(y, FIRST_WEEK, future, n_draws=100, rng=np.random.default_rng(11))


def test_quantile_average_keeps_ranks_and_averages_quantiles() -> None:
    """Every linear quantile of the result is the weighted average of the two forecasts' quantiles, and
    the draws keep their order (their period and their dependence on other series' draws)."""
    rng = np.random.default_rng(5)
    model = rng.gamma(20.0, 5.0, size=1040)
    last_year = rng.normal(120.0, 15.0, size=52)
    ones = np.ones(20)
    a = SeriesForecast("m", 100.0 * ones, 80.0 * ones, 120.0 * ones, model)
    b = SeriesForecast("empirical", 110.0 * ones, 90.0 * ones, 130.0 * ones, last_year)
    out = quantile_average(a, b, 0.25)
    for q in (0.05, 0.2, 0.5, 0.8, 0.95):
        expected = 0.25 * np.quantile(model, q) + 0.75 * np.quantile(last_year, q)
        assert np.quantile(out.sample, q) == pytest.approx(expected, rel=1e-3)
    assert np.array_equal(np.argsort(out.sample, kind="stable"), np.argsort(model, kind="stable"))
    assert out.mean.tolist() == [107.5] * 20
    assert out.lower.tolist() == [87.5] * 20 and out.upper.tolist() == [127.5] * 20
    assert out.model == "m"


def test_a_step_a_year_or_more_before_the_end_is_averaged_with_last_year(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A step 90 weeks before the end: the sized 80th centile is half the step model's and half last
    year's (the model alone: the same seed with the weight of last year set to 0), with a note."""
    y = _stepped(90)
    averaged = _forecast(y)
    assert averaged.shift_at is not None and np.sum(FIRST_WEEK + np.arange(156) >= averaged.shift_at) == 90
    assert any("averaged" in note for note in averaged.notes)
    monkeypatch.setattr(forecast, "LAST_YEAR_WEIGHT", 0.0)
    alone = _forecast(y)
    naive = EmpiricalRecent(forecast.WEEKS_PER_YEAR).forecast(y, 52)
    assert not any("averaged" in note for note in alone.notes)
    assert averaged.quantile(0.8) == pytest.approx(
        0.5 * alone.quantile(0.8) + 0.5 * naive.quantile(0.8), rel=1e-3
    )
    assert averaged.quantile(0.8) < alone.quantile(0.8) - 10  # last year's values lag the growth


def test_a_large_step_within_the_last_year_is_not_averaged(monkeypatch: pytest.MonkeyPatch) -> None:
    """A step of +50 % 26 weeks before the end (last year's values span it: they would mix the two
    levels) and a series with no step keep the model's forecast."""
    for y in (_stepped(26), _stepped(0)):
        fc = _forecast(y)
        monkeypatch.setattr(forecast, "LAST_YEAR_WEIGHT", 0.0)
        alone = _forecast(y)
        monkeypatch.undo()
        assert np.array_equal(fc.sample, alone.sample)
        assert not any("averaged" in note for note in fc.notes)


def test_a_small_step_within_the_last_year_is_averaged(monkeypatch: pytest.MonkeyPatch) -> None:
    """A step of +15 % (log 0.14, under :data:`~capacity_planner.demand.forecast.SMALL_STEP_LOG`) 26 weeks
    before the end is found and, being small, averaged with last year's values half and half (round 2)."""
    y = _stepped(26, to=460.0)
    averaged = _forecast(y)
    assert averaged.shift_at is not None
    assert np.sum(FIRST_WEEK + np.arange(156) >= averaged.shift_at) < 52
    assert any("is small (under about 22%)" in note for note in averaged.notes)
    monkeypatch.setattr(forecast, "LAST_YEAR_WEIGHT", 0.0)
    alone = _forecast(y)
    naive = EmpiricalRecent(forecast.WEEKS_PER_YEAR).forecast(y, 52)
    assert averaged.quantile(0.8) == pytest.approx(
        0.5 * alone.quantile(0.8) + 0.5 * naive.quantile(0.8), rel=1e-3
    )
    assert averaged.quantile(0.8) < alone.quantile(0.8) - 5


@pytest.mark.parametrize(("ratio", "expected"), [(1.0, True), (1.2, True), (1.25, False), (0.8, False)])
def test_small_step_rule(ratio: float, expected: bool) -> None:
    """The size of a step within the year: the log ratio of the 13 periods' means either side, under
    0.20 (log 1.2 = 0.18, log 1.25 = 0.22, log 0.8 = -0.22); weekly only; a year or more back always."""
    rule = forecast._average_with_last_year  # noqa: SLF001
    model = forecast.NegBinGLM(52.0, shift_at=100.0)
    y = np.r_[np.full(80, 50.0), np.full(20, 100.0), np.full(20, 100.0 * ratio)]
    assert rule(model, 20, 52.0, y) is expected
    assert not rule(model, 20, 12.0, y)
    assert rule(model, 60, 52.0, y)
    assert not rule(forecast.NegBinGLM(52.0), 20, 52.0, y)
