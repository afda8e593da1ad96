"""The plausibility guard on a fitted forecast (``forecast_rules.plausible_forecast``): a degenerate fit falls
back to last year's values with a note instead of sizing an absurd percentile (session 15)."""

from __future__ import annotations

import numpy as np

from capacity_planner.demand.forecast_rules import IMPLAUSIBLE_RATIO, plausible_forecast
from capacity_planner.demand.history import week_index
from capacity_planner.demand.pipeline import forecast_weekly

ORIGIN = int(week_index(np.array([np.datetime64("2027-04-05", "D")]))[0])


def test_the_guard_reads_the_mean_and_the_upper_tail() -> None:
    """History peaking at 10: a mean of 5 with a 99th centile of 20 passes; a 99th centile of 101 (over
    10 x 10) fails even with the mean at 5; a mean of 101 fails; a non-finite draw fails."""
    y = np.array([2.0, 10.0, 4.0])
    sample = np.full(100, 5.0)
    sample[-1:] = 20.0
    assert plausible_forecast(np.full(4, 5.0), sample, y)
    sample[-2:] = 101.0  # the 99th centile (linear) is 101
    assert not plausible_forecast(np.full(4, 5.0), sample, y)
    assert not plausible_forecast(np.full(4, 101.0), np.full(100, 5.0), y)
    assert not plausible_forecast(np.full(4, 5.0), np.array([5.0, np.inf]), y)
    assert IMPLAUSIBLE_RATIO == 10.0


def test_one_huge_week_after_empty_ones_falls_back_with_a_note() -> None:
    """155 weeks of 0 then 5,000 (a code whose first week holds a migrated list): the fitted model's level
    is unbounded (mean 2.3, 80th centile about 10^13 a week before session 15); now the forecast is last
    year's values, every draw at most the 5,000 seen, and a note says so."""
    y = np.zeros(156)
    y[-1] = 5000.0
    weeks = np.arange(ORIGIN - 156, ORIGIN + 52)
    fc = forecast_weekly(y, int(weeks[0]), weeks[-52:], n_draws=400, rng=np.random.default_rng(0))
    assert float(np.max(fc.sample)) <= 5000.0
    assert any("times the busiest period seen" in note for note in fc.notes)
