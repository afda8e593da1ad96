"""Issue 12, session 13: the second, independent weekly generator of the stress table (``generator="alt"``)."""

from __future__ import annotations

import numpy as np
import pytest

from capacity_planner.demand.history import week_index, week_start_of
from capacity_planner.demand.stress import (
    GENERATORS,
    PLAN_STARTS,
    STRESS_CLASSES,
    _ar1,
    stress_runs,
    summer_holiday,
)

ORIGIN = int(week_index(np.array([np.datetime64(PLAN_STARTS[0], "D")]))[0])
HISTORY_156 = next(c for c in STRESS_CLASSES if c.name.startswith("156"))


def test_base_generator_is_unchanged() -> None:
    """The AR(1) was moved into ``_ar1``; the base series are the same numbers as before (commit 88e0d88)."""
    y, weeks = GENERATORS["base"](HISTORY_156, ORIGIN, np.random.default_rng([9, 0]))
    assert y.size == 156 + 52 and weeks[-52] == ORIGIN
    assert y[:5].tolist() == [41.0, 48.0, 62.0, 56.0, 32.0]
    assert y.sum() == 14447.0


def test_ar1_is_the_recursion_started_stationary() -> None:
    """u_t = rho u_(t-1) + e_t, u_0 = e_0 / sqrt(1 - rho^2); variance sd^2 / (1 - rho^2) = 0.0016/0.4375."""
    u = _ar1(0.75, 0.04, 20_000, np.random.default_rng(1))
    e = np.random.default_rng(1).normal(0, 0.04, 20_000)
    assert u[0] == pytest.approx(e[0] / np.sqrt(1 - 0.75**2))
    assert np.allclose(u[1:] - 0.75 * u[:-1], e[1:])
    assert u.var() == pytest.approx(0.0016 / 0.4375, rel=0.10)


def test_summer_holiday_is_six_weeks_every_year() -> None:
    """Mondays from 21 July to 31 August: 42 days hold six Mondays, leap year or not."""
    weeks = np.arange(week_index(np.array(["2019-12-30"], dtype="datetime64[D]"))[0], ORIGIN + 520)
    years = week_start_of(weeks).year.to_numpy()
    hol = summer_holiday(weeks)
    for year in range(2020, 2035):
        assert hol[years == year].sum() == 6, year
    first = week_start_of(weeks[hol & (years == 2024)])[0]
    assert (first.month, first.day) == (7, 22)  # the first Monday on or after 21 July 2024


def test_alt_generator_is_more_dispersed_and_dips_in_summer() -> None:
    """Over 200 series of 208 weeks (fixed seeds): variance/mean about 6.6 against 3.5 for the base (NB2
    alpha 1/10 against 1/30, AR rho 0.7-0.8 against 0.5), and the six holiday weeks about 16 % under the
    weeks of June, early July and September (dip U(5 %, 20 %); the base: 3 %, the calendar alone)."""
    stats = {}
    for name in ("base", "alt"):
        disp, dip = [], []
        for s in range(200):
            y, w = GENERATORS[name](HISTORY_156, ORIGIN, np.random.default_rng([5, s]))
            hol, month = summer_holiday(w), week_start_of(w).month.to_numpy()
            near = (month == 6) | ((month == 7) & ~hol) | (month == 9)
            disp.append(y.var() / y.mean())
            dip.append(y[hol].mean() / y[near].mean())
        stats[name] = (float(np.mean(disp)), float(np.mean(dip)))
    assert stats["alt"][0] > 1.5 * stats["base"][0]
    assert stats["alt"][1] < 0.90 < stats["base"][1]


def test_stress_runs_takes_the_generator_by_name() -> None:
    small = (STRESS_CLASSES[-1],)
    runs = stress_runs(small, n_series=1, n_draws=50, generator="alt")
    assert len(runs) == len(PLAN_STARTS) and runs["coverage"].between(0, 1).all()
    base = stress_runs(small, n_series=1, n_draws=50)
    assert not np.allclose(runs["sized"], base["sized"])
    with pytest.raises(KeyError):
        stress_runs(small, n_series=1, generator="other")
