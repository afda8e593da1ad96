"""Finite-sample critical values of the monthly level-shift search (issue 12).

Usage: python benchmarks/shift_critical_monthly.py [simulations per cell]
Prints the rows of ``MONTHLY_SHIFT_CRITICAL_TABLE`` (capacity_planner/demand/forecast_rules.py).

Under the null of no step, monthly counts are Poisson(L exp(A cos(2 pi m / 12 - phi) + u_m) d_m / 30.44),
u an AR(1) disturbance (rho in {0, 0.25, 0.5}, innovations sd 0.03), level L of 40 or 2,000 a month,
amplitude A ~ U(0.03, 0.15), a random phase, d_m the days in month m. For each length n the
autocorrelation-adjusted sup-LR statistic is computed under the search design the forecast uses at that
length (docs/method.md, "Level shifts"), and the critical value is the largest, over the six null
settings, of the statistic's 95th and 99th centiles: the test's size is at most nominal in each.
"""

from __future__ import annotations

import sys

import numpy as np

from capacity_planner.demand.forecast import _search_design, _Series
from capacity_planner.demand.forecast_models import NegBinGLM
from capacity_planner.demand.forecast_rules import level_shift_statistic, shift_min_segment
from capacity_planner.demand.monthly import log_month_exposure

LENGTHS = (12, 18, 24, 30, 36, 48)
LEVELS = (40.0, 2000.0)
RHOS = (0.0, 0.25, 0.5)


def null_statistic(n: int, level: float, rho: float, rng: np.random.Generator) -> float:
    """The adjusted sup-LR statistic of one null series of ``n`` months (0 when no fit)."""
    t = 600 + np.arange(n, dtype=np.float64)  # January 2020 onwards
    shocks = rng.normal(0.0, 0.03, n)
    u = np.zeros(n)
    u[0] = shocks[0] / np.sqrt(1 - rho * rho)
    for i in range(1, n):
        u[i] = rho * u[i - 1] + shocks[i]
    exposure = log_month_exposure(t.astype(np.int64))
    season = rng.uniform(0.03, 0.15) * np.cos(2 * np.pi * t / 12 - rng.uniform(0, 2 * np.pi))
    y = rng.poisson(level * np.exp(season + u + exposure)).astype(np.float64)
    model = NegBinGLM(12, trend=True, n_harmonics=2) if n >= 24 else NegBinGLM(12, trend=False)
    X, off, _ = _search_design(_Series(y, t, None, exposure, 12.0), model)
    found = level_shift_statistic(y, X, off, min_segment=shift_min_segment(12))
    return 0.0 if found is None else found[1]


def print_table_row(n: int, settings: list[list[float]], label: str, digits: int) -> None:
    """One ``(n, 5 % value, 1 % value)`` table row: the largest 95th and 99th centiles of the null statistic
    over the simulated settings, each setting's centiles in the comment."""
    five = [float(np.quantile(stats, 0.95)) for stats in settings]
    one = [float(np.quantile(stats, 0.99)) for stats in settings]
    print(f"    ({n}, {max(five):.2f}, {max(one):.2f}),  # by {label} 5 %: "
          + " ".join(f"{v:.{digits}f}" for v in five) + "; 1 %: " + " ".join(f"{v:.{digits}f}" for v in one),
          flush=True)


def main() -> None:
    sims = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with np.errstate(all="ignore"):
        for n in LENGTHS:
            settings = [
                [null_statistic(n, level, rho, np.random.default_rng([n, li, ri, s])) for s in range(sims)]
                for li, level in enumerate(LEVELS)
                for ri, rho in enumerate(RHOS)
            ]
            print_table_row(n, settings, "setting", digits=1)


if __name__ == "__main__":
    main()
