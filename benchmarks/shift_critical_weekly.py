"""Finite-sample critical values of the weekly level-shift search over every break (issue 12, item 2).

Usage: python benchmarks/shift_critical_weekly.py [simulations per setting] [temporary]
Prints, for 104, 130 and 156 weeks, the 95th and 99th centiles of the full search's statistic on null series;
with ``temporary``, for 52 to 260 weeks, those of the temporary-change search
(``forecast_rules.temporary_shift_statistic``, session 15), seeds [15, weeks, level range, s].

Null series are the stress generator's with no step (``capacity_planner.demand.stress._generate``, flat
multiplier: NB counts, level U(15, 80) or U(5, 20) a week, growth U(-2 %, +5 %), a ±3-15 % season, holiday
effects and an AR(1) disturbance, rho 0.5, sd 0.04), the four plan starts pooled, seeds
[14, weeks, level range, s] (the size tests use [13, ...]). The statistic is the bias-corrected,
autocorrelation-adjusted sup-LR of the first search (``level_shift_statistic``) under the design the
forecast uses at that length (``forecast._search_design``); the critical value is the larger of the two
level ranges' centiles, as the monthly table (``benchmarks/shift_critical_monthly.py``) takes the largest.
"""

from __future__ import annotations

import sys

import numpy as np
from shift_critical_monthly import print_table_row  # the same table row (run from benchmarks/)

from capacity_planner.demand.forecast import MAX_HARMONICS_WEEKLY, WEEKS_PER_YEAR, _search_design, _Series
from capacity_planner.demand.forecast_models import NegBinGLM
from capacity_planner.demand.forecast_rules import (
    level_shift_statistic,
    shift_min_segment,
    temporary_shift_statistic,
)
from capacity_planner.demand.history import calendar_regressors, week_index
from capacity_planner.demand.stress import PLAN_STARTS, StressClass, _flat, _generate

LENGTHS = (104, 130, 156)
TEMPORARY_LENGTHS = (52, 78, 104, 130, 156, 208, 260)
LEVEL_RANGES = ((15.0, 80.0), (5.0, 20.0))


def null_statistic(weeks_of_history: int, cls: StressClass, origin: int, rng: np.random.Generator,
                   temporary: bool = False) -> float:
    """The adjusted sup-LR statistic of the first search (or of the temporary-change search) on one null
    series (0 when no fit)."""
    y, weeks = _generate(cls, origin, rng)
    y, weeks = y[:-52], weeks[:-52]
    data = _Series(y, weeks.astype(np.float64), calendar_regressors(weeks), None, WEEKS_PER_YEAR)
    model = NegBinGLM(WEEKS_PER_YEAR, trend=True, n_harmonics=MAX_HARMONICS_WEEKLY)
    X, off, _ = _search_design(data, model)
    if temporary:
        pair = temporary_shift_statistic(y, X, off, min_segment=shift_min_segment(WEEKS_PER_YEAR))
        return 0.0 if pair is None else pair[2]
    found = level_shift_statistic(
        y, X, off, min_segment=shift_min_segment(WEEKS_PER_YEAR), bias_corrected=True
    )
    return 0.0 if found is None else found[1]


def main() -> None:
    sims = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    temporary = "temporary" in sys.argv[2:]
    seed = 15 if temporary else 14
    origins = [int(week_index(np.array([np.datetime64(s, "D")]))[0]) for s in PLAN_STARTS]
    with np.errstate(all="ignore"):
        for n in TEMPORARY_LENGTHS if temporary else LENGTHS:
            settings = []
            for li, levels in enumerate(LEVEL_RANGES):
                cls = StressClass("null", n, _flat, level=levels)
                settings.append([null_statistic(n, cls, origins[s % 4],
                                                np.random.default_rng([seed, n, li, s]), temporary)
                                 for s in range(sims)])
            print_table_row(n, settings, "level range", digits=2)


if __name__ == "__main__":
    main()
