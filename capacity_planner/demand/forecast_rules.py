r"""Rules of the demand forecast that decide *what* is extrapolated: level shifts and growth.

Pure NumPy functions, parametrised by :math:`P` periods a year like the kernels in
:mod:`~capacity_planner.demand.forecast_kernels`. :mod:`~capacity_planner.demand.forecast` applies them;
docs/method.md ("Forecast") states each rule with its source.

Level shift
-----------
One step in the level is searched at every period :math:`b` leaving at least ``min_segment`` periods on
each side (so recent weeks are searched too). The break is kept when the NB likelihood-ratio statistic,
divided by the long-run variance factor :math:`\phi = (1 + \rho_1)/(1 - \rho_1)` of the residuals of the
model *with* the step (:math:`\rho_1` their lag-1 autocorrelation, clipped to [0, 0.8]), exceeds the
critical value of Andrews' sup-LR test for the trimming used (Andrews, *Econometrica* 61, 1993): at the
5 % level when a seasonal model is fitted (two years or more), at the 1 % level otherwise (an unmodelled
seasonal swing looks like a step, so stronger evidence is asked). For weekly series :math:`\rho_1` is
first raised by its expected down-bias (:func:`residual_autocorrelation_bias`) and, at the 5 % level, the
last quarter's breaks are also tested alone at 2.5 % (:func:`level_shift_test`); from two years the
search over every break uses the larger of the limiting critical value and
:data:`WEEKLY_SHIFT_CRITICAL_TABLE` (simulated in finite samples under the weekly search design). Weekly
demand is autocorrelated, and a statistic that assumes independent weeks fires on most real series. The
critical value depends on the
trimming through :math:`\lambda = \pi_2 (1 - \pi_1) / (\pi_1 (1 - \pi_2))` (Estrella, *Econometric
Theory* 19, 2003); :data:`SHIFT_CRITICAL_TABLE` holds it from a simulation of the limiting process (20,000
Brownian bridges on 4,000 steps; 12.37 and 8.82 at 15 % trimming against Andrews' 12.16 and 8.85).

Monthly series are too short for that limit: with 12 to 48 months, two at each end, an unmodelled season
and an autocorrelated disturbance, the adjusted statistic of a series with no step passed the limiting 5 %
value on up to 41 % of 36-month series. Their critical value is the larger of the limiting one and
:data:`MONTHLY_SHIFT_CRITICAL_TABLE`, simulated in finite samples under the search design used at each
length (``benchmarks/shift_critical_monthly.py``: Poisson counts of 40 or 2,000 a month with a ±3-15 %
season and an AR(1) disturbance, :math:`\rho \in \{0, 0.25, 0.5\}`; the largest of the six settings'
centiles, so the test's size is at most nominal in each).

Growth
------
Growth is never extrapolated without limit (unless ``demand.growth`` is given):

* the log growth rate :math:`\beta_1` has a normal prior :math:`N(0, \tau^2)`, :math:`\tau = 0.05`
  (95 % of the prior within about ±10 % a year), combined with the estimate by the Gaussian update of
  the coefficient vector (:func:`condition_on_growth_prior`): a noisy trend from a short or disturbed
  history is shrunk towards no growth, a well-measured one is kept;
* the planning year's growth may depart from the history's: each predictive draw adds
  :math:`\delta_j (t_h - t_n)/P`, :math:`\delta_j \sim N(0, \sigma_\Delta^2)`
  (:func:`growth_change_draws`, :data:`GROWTH_CHANGE_SD`);
* an estimated growth lags the current one under that random walk (the estimate averages the rate over
  its window): each draw adds :math:`\varepsilon_j (t_h - t_c)/P`, :math:`\varepsilon_j \sim N(0,
  k^2\sigma_\Delta^2 W/3)` (:func:`growth_lag_sd`), :math:`k` the data's weight against the growth
  prior (:func:`growth_data_weight`);
* the result is capped at ±:data:`GROWTH_CAP` a year, with a warning naming the estimate when it was
  beyond the cap;
* from one year and one period of history, growth is estimated year on year (:func:`year_on_year_growth`),
  which needs no seasonal model: the last :math:`k` periods against the same :math:`k` periods a year
  earlier.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from capacity_planner.demand.forecast_kernels import (
    NegBinFit,
    fit_negbin,
    lag1_autocorrelation,
    long_run_factor,
    recency_weights,
)

__all__ = [
    "GROWTH_CAP",
    "GROWTH_CHANGE_SD",
    "GROWTH_PRIOR_SD",
    "IMPLAUSIBLE_RATIO",
    "MONTHLY_SHIFT_CRITICAL_TABLE",
    "RECENT_SHIFT_CRITICAL_TABLE",
    "SHIFT_CRITICAL_TABLE",
    "SHORT_SEARCH_HARMONICS",
    "TEMPORARY_SHIFT_CRITICAL_TABLE",
    "GrowthEstimate",
    "cap_note",
    "capped_log_growth",
    "condition_on_growth_prior",
    "growth_change_draws",
    "growth_data_weight",
    "growth_lag_sd",
    "level_shift_statistic",
    "level_shift_test",
    "long_run_factor",
    "monthly_shift_critical_value",
    "plausible_forecast",
    "recent_shift_critical_value",
    "residual_autocorrelation_bias",
    "screen_level_shift",
    "screen_temporary_shift",
    "shift_critical_value",
    "shift_min_segment",
    "temporary_shift_critical_value",
    "temporary_shift_statistic",
    "weekly_shift_critical_value",
    "window_critical_value",
    "year_on_year_growth",
]

FloatArray = npt.NDArray[np.float64]

GROWTH_PRIOR_SD: Final = 0.05
"""Prior standard deviation :math:`\\tau` of the log annual growth rate."""
GROWTH_CAP: Final = 0.10
"""Largest annual growth (or fall) extrapolated without ``demand.growth``."""
GROWTH_CHANGE_SD: Final = 0.05
"""Standard deviation :math:`\\sigma_\\Delta` of the change of the log growth rate between the history and
the planning year (a year-on-year random walk of the growth rate; docs/method.md, "Growth may change")."""
SHORT_SEARCH_HARMONICS: Final = 1
"""Harmonics in the level-shift search design of a series with one to two years of history."""

SHIFT_CRITICAL_TABLE: Final = (
    # log(lambda), 5 % and 1 % critical values
    (1.695, 7.50, 11.01),
    (2.773, 8.39, 11.99),
    (3.469, 8.82, 12.37),
    (4.394, 9.13, 12.63),
    (5.025, 9.39, 12.92),
    (5.889, 9.67, 13.28),
    (6.952, 9.95, 13.59),
    (7.784, 10.17, 13.85),
    (9.190, 10.53, 14.21),
    (10.587, 10.72, 14.38),
)
"""(:math:`\\log\\lambda`, 5 % and 1 % critical values of the sup-LR statistic for one break in one
parameter), from the simulation described in the module docstring."""


def shift_min_segment(periods_per_year: float) -> int:
    """Fewest periods on either side of a break: 6 weeks (3 months for monthly series)."""
    return max(2, round(6 * periods_per_year / 52))


MONTHLY_SHIFT_CRITICAL_TABLE: Final = (
    # months n, 5 % and 1 % critical values (benchmarks/shift_critical_monthly.py, 1,000 null series
    # in each of six settings; the largest setting's centile; 24 and 30 months re-simulated in session 13
    # with the one harmonic the 24-35-month search design keeps: before, 13.38 / 18.25 and 9.96 / 13.32)
    (12, 12.45, 16.55),
    (18, 14.26, 18.83),
    (24, 16.56, 21.58),
    (30, 17.56, 22.79),
    (36, 19.70, 26.34),
    (48, 19.44, 27.39),
)
"""(:math:`n`, 5 % and 1 % critical values) of the autocorrelation-adjusted sup-LR statistic of a monthly
series of :math:`n` months under the search design :mod:`~capacity_planner.demand.forecast` uses at that
length, simulated in finite samples (``benchmarks/shift_critical_monthly.py``; module docstring)."""


def _table_value(table: tuple[tuple[float, float, float], ...], x: float, level: float) -> float:
    """A (x, 5 % value, 1 % value) table's value at ``x`` for ``level`` 0.05 or 0.01 (linear between its
    rows, its first or last row outside them)."""
    if level not in (0.05, 0.01):
        raise ValueError(f"level must be 0.05 or 0.01, not {level}")
    xs, five, one = zip(*table, strict=True)
    return float(np.interp(x, xs, five if level == 0.05 else one))


def _log_lambda(p1: float, p2: float) -> float:
    r""":math:`\log\lambda`, :math:`\lambda = \pi_2 (1 - \pi_1) / (\pi_1 (1 - \pi_2))`, of a window of breaks
    from the fraction :math:`\pi_1` to :math:`\pi_2` of a segment (Estrella 2003; module docstring)."""
    return math.log(p2 * (1 - p1) / (p1 * (1 - p2)))


def shift_critical_value(n: int, lo: int, level: float = 0.01) -> float:
    r"""Critical value (``level`` 0.05 or 0.01) of the sup-LR test over breaks ``lo .. n - lo`` (linear
    in :math:`\log\lambda`).

    Examples
    --------
    >>> round(shift_critical_value(100, 15), 2)  # 15 % trimming: Andrews (1993) gives 12.16
    12.37
    >>> round(shift_critical_value(100, 15, 0.05), 2)  # Andrews: 8.85
    8.82
    """
    return _table_value(SHIFT_CRITICAL_TABLE, _log_lambda(lo / n, (n - lo) / n), level)


def window_critical_value(
    n: int, first: int, min_segment: int, level: float = 0.01, *, start: int = 0
) -> float:
    r"""Critical value (``level`` 0.05 or 0.01) of the sup-LR test over the breaks ``first .. n -
    min_segment`` of the segment ``start .. n`` (:data:`SHIFT_CRITICAL_TABLE`, linear in :math:`\log\lambda`;
    a narrower window than the table's first row takes that row, which is conservative).

    With a free level from ``start`` on (a step found there, or the series' start), the statistic of a
    break :math:`b` in the segment is the within-segment one (the step :math:`1\{i \ge b\}` projected off
    the level and the earlier step is zero before ``start``), so the trimming is the segment's,
    :math:`\pi = (b - \text{start})/(n - \text{start})` (the sequential test of one more break within a
    segment: Bai and Perron, *Econometrica* 66, 1998). Measured on the whole history's length instead, a
    window after a step looks narrower than it is and its critical value comes out lower (session 15,
    round 3: 11.01 for the 24 breaks after a step 30 weeks before the end of 156 weeks, against the
    segment's 11.99).

    Examples
    --------
    >>> round(window_critical_value(156, 126, 6), 2)  # the last 30 weeks but 6 of three years
    11.09
    >>> round(window_critical_value(156, 132, 6, start=126), 2)  # 30 weeks after a step: lambda = (24/6)^2
    11.99
    """
    length = n - start
    return _table_value(SHIFT_CRITICAL_TABLE,
                        _log_lambda((first - start) / length, (n - min_segment - start) / length), level)


def screen_level_shift(
    y: npt.ArrayLike,
    X: npt.ArrayLike,
    offset: npt.ArrayLike | None = None,
    *,
    min_segment: int = 6,
    first: int = 0,
    last: int | None = None,
) -> int | None:
    r"""Most likely position of one level shift: the index :math:`b` maximising the drop in the residual sum
    of squares of :math:`\log(y + 0.5) - o` on ``[X, 1{i >= b}]`` (ordinary least squares, all :math:`b`
    at once by the Frisch-Waugh projection), over ``max(min_segment, first) .. min(n - min_segment,
    last)``. None when there is no break to search.

    With :math:`Q` an orthonormal basis of ``X`` and :math:`r` the residual, the step's inner product
    with the residual is :math:`c_b = \sum_{i \ge b} r_i` (as :math:`Q^\top r = 0`) and its squared norm
    off ``X`` is :math:`(n - b) - \lVert a_b\rVert^2`, :math:`a_b = \sum_{i \ge b} Q_{i\cdot}`: the gain
    :math:`c_b^2 / ((n - b) - \lVert a_b\rVert^2)` from reverse cumulative sums (the closed form of
    :func:`screen_temporary_shift`).
    """
    yy = np.asarray(y, dtype=np.float64)
    n = yy.size
    lo = max(min_segment, first)
    hi = n - min_segment if last is None else min(n - min_segment, last)
    if hi < lo:
        return None
    ly = np.log(yy + 0.5) - (0.0 if offset is None else np.asarray(offset, dtype=np.float64))
    q, _ = np.linalg.qr(np.asarray(X, dtype=np.float64))
    resid = ly - q @ (q.T @ ly)
    cand = np.arange(lo, hi + 1)
    c = np.cumsum(resid[::-1])[::-1][cand]
    a = np.cumsum(q[::-1], axis=0)[::-1][cand]
    den = (n - cand) - np.einsum("ik,ik->i", a, a)
    gain = np.where(den > 1e-12, c**2 / np.maximum(den, 1e-12), 0.0)
    return int(cand[int(np.argmax(gain))])


def screen_temporary_shift(
    y: npt.ArrayLike,
    X: npt.ArrayLike,
    offset: npt.ArrayLike | None = None,
    *,
    min_segment: int = 6,
) -> tuple[int, int] | None:
    r"""Most likely temporary level change (the epidemic alternative: a level from :math:`b_1` to
    :math:`b_2` different from the level on both sides; Yao, *Annals of Statistics* 21, 1993): the pair
    maximising the drop in the residual sum of squares of :math:`\log(y + 0.5) - o` on ``[X, 1{b_1 <= i <
    b_2}]`` over ``min_segment <= b_1``, ``b_2 - b_1 >= min_segment``, ``b_2 <= n - min_segment``. All pairs
    at once: with :math:`p_b` the step :math:`1\{i \ge b\}` projected off ``X`` and :math:`r` the residual,
    the block is :math:`p_{b_1} - p_{b_2}`, so its gain is :math:`(c_1 - c_2)^2 / (G_{11} + G_{22} -
    2G_{12})`, :math:`c = P^\top r`, :math:`G = P^\top P`. None when the series is too short.

    Computed without the :math:`n \times m` step matrix (whose :math:`m \times m` Gram product ran
    multithreaded BLAS on every weekly series; session 15, round 3): with :math:`Q` an orthonormal basis of
    ``X``, :math:`c_b = \sum_{i \ge b} r_i` (:math:`Q^\top r = 0`) and the denominator is
    :math:`\lVert\text{block}\rVert^2 - \lVert Q^\top \text{block}\rVert^2 = (b_2 - b_1) -
    \lVert a_{b_1} - a_{b_2}\rVert^2`, :math:`a_b = \sum_{i \ge b} Q_{i\cdot}` (reverse cumulative sums).
    """
    yy = np.asarray(y, dtype=np.float64)
    n = yy.size
    cand = np.arange(min_segment, n - min_segment + 1)
    if cand.size < min_segment + 1:
        return None
    ly = np.log(yy + 0.5) - (0.0 if offset is None else np.asarray(offset, dtype=np.float64))
    q, _ = np.linalg.qr(np.asarray(X, dtype=np.float64))
    resid = ly - q @ (q.T @ ly)
    c = np.cumsum(resid[::-1])[::-1][cand]  # sum over i >= b of the residual
    a = np.cumsum(q[::-1], axis=0)[::-1][cand]  # (m, p): sum over i >= b of Q's rows
    norms = np.einsum("ik,ik->i", a, a)
    cross = np.einsum("ik,jk->ij", a, a)  # einsum, not BLAS: small, and no threads spun up per series
    den = (cand[None, :] - cand[:, None]) - (norms[:, None] + norms[None, :] - 2.0 * cross)
    num = (c[:, None] - c[None, :]) ** 2
    apart = cand[None, :] - cand[:, None] >= min_segment  # b2 - b1 >= min_segment, b1 < b2
    gain = np.where(apart & (den > 1e-12), num / np.maximum(den, 1e-12), -1.0)
    i, j = np.unravel_index(int(np.argmax(gain)), gain.shape)
    return (int(cand[i]), int(cand[j])) if gain[i, j] > 0 else None


def temporary_shift_statistic(
    y: FloatArray,
    X: FloatArray,
    offset: FloatArray,
    *,
    min_segment: int,
    base: NegBinFit | None = None,
) -> tuple[int, int, float] | None:
    r"""The most likely temporary level change (:func:`screen_temporary_shift`) and its
    autocorrelation-adjusted LR statistic :math:`2\Delta\ell / \phi`, :math:`\phi` from the bias-corrected
    lag-1 autocorrelation of the residuals of the model *with* the block (as
    :func:`level_shift_statistic`); None when the series is too short or a fit fails."""
    pair = screen_temporary_shift(y, X, offset, min_segment=min_segment)
    if pair is None:
        return None
    b1, b2 = pair
    i = np.arange(y.size)
    design = np.column_stack([X, ((i >= b1) & (i < b2)).astype(np.float64)])
    try:
        base = fit_negbin(y, X, offset) if base is None else base
        shifted = fit_negbin(y, design, offset)
    except np.linalg.LinAlgError:
        return None
    if not (math.isfinite(base.loglik) and math.isfinite(shifted.loglik)):
        return None
    rho1 = shifted.rho1 + residual_autocorrelation_bias(design)
    return b1, b2, 2.0 * (shifted.loglik - base.loglik) / long_run_factor(rho1)


TEMPORARY_SHIFT_CRITICAL_TABLE: Final = (
    # weeks n, 5 % and 1 % critical values (benchmarks/shift_critical_weekly.py 1500 temporary: 1,500 null
    # series of the stress generator in each of two level ranges, the larger centile; session 15)
    (52, 15.00, 19.07),
    (78, 16.38, 20.45),
    (104, 15.92, 20.32),
    (130, 15.74, 19.51),
    (156, 16.20, 20.16),
    # session 15, round 3 (the same design and seeds): held at 156 weeks' 20.16, histories of 208 and 260
    # weeks (demand.history_weeks above its default) passed it on up to 2.2 % and 1.6 % of null series
    (208, 17.52, 21.88),
    (260, 17.11, 21.19),
)
"""(:math:`n`, 5 % and 1 % critical values) of :func:`temporary_shift_statistic` on weekly series of
:math:`n` weeks under the search design of that length, simulated in finite samples on null series
(``benchmarks/shift_critical_weekly.py temporary``)."""


def temporary_shift_critical_value(n: int, level: float = 0.01) -> float:
    """Finite-sample critical value of the weekly temporary-change search
    (:data:`TEMPORARY_SHIFT_CRITICAL_TABLE`, linear in :math:`n` between its rows, its ends outside)."""
    return _table_value(TEMPORARY_SHIFT_CRITICAL_TABLE, n, level)


def residual_autocorrelation_bias(X: FloatArray) -> float:
    r"""Expected lag-1 autocorrelation of least-squares residuals of independent errors on design ``X``,
    with its sign reversed: :math:`\sum_t H_{t,t+1} / (n - p)`, :math:`H = X(X^\top X)^{-1}X^\top`.

    The residuals are :math:`e = (I - H)\varepsilon`, so :math:`E\,\sum_t e_t e_{t+1} = -\sigma^2 \sum_t
    H_{t,t+1}` and :math:`E\,\sum_t e_t^2 = \sigma^2 (n - p)` (the design-dependent mean of the
    residuals' serial correlation behind the Durbin-Watson bounds: Durbin and Watson, *Biometrika* 37,
    1950). Smooth columns (level, trend, harmonics, a step) give about :math:`p/n`: 0.06 for the 156-week
    search design.

    Examples
    --------
    >>> round(residual_autocorrelation_bias(np.ones((4, 1))), 4)  # H = 1/4 everywhere: (3/4) / 3
    0.25
    """
    n, p = X.shape
    q, _ = np.linalg.qr(X)
    return float(np.einsum("ij,ij->", q[1:], q[:-1])) / max(n - p, 1)


def level_shift_statistic(
    y: FloatArray,
    X: FloatArray,
    offset: FloatArray,
    *,
    min_segment: int,
    first: int = 0,
    last: int | None = None,
    bias_corrected: bool = False,
    base: NegBinFit | None = None,
) -> tuple[int, float] | None:
    r"""The most likely level shift (:func:`screen_level_shift`, breaks from ``first`` to ``last``) and its
    autocorrelation-adjusted LR statistic :math:`2\Delta\ell / \phi` (module docstring); None when the
    series is too short or a fit fails. With ``bias_corrected`` the lag-1 autocorrelation in
    :math:`\phi` is first raised by :func:`residual_autocorrelation_bias` of the design with the step.
    ``base``: the fit without the step on ``X`` when the caller has it (fitted here otherwise)."""
    n = y.size
    b = screen_level_shift(y, X, offset, min_segment=min_segment, first=first, last=last)
    if b is None:
        return None
    step = (np.arange(n) >= b).astype(np.float64)
    design = np.column_stack([X, step])
    try:
        base = fit_negbin(y, X, offset) if base is None else base
        shifted = fit_negbin(y, design, offset)
    except np.linalg.LinAlgError:
        return None
    if not (math.isfinite(base.loglik) and math.isfinite(shifted.loglik)):
        return None
    rho1 = shifted.rho1 + (residual_autocorrelation_bias(design) if bias_corrected else 0.0)
    return b, 2.0 * (shifted.loglik - base.loglik) / long_run_factor(rho1)


def level_shift_test(
    y: FloatArray,
    X: FloatArray,
    offset: FloatArray,
    *,
    min_segment: int,
    level: float = 0.01,
    periods_per_year: float = 52.0,
    base: NegBinFit | None = None,
) -> tuple[int, float] | None:
    r"""Index of a significant level shift and its adjusted LR statistic (:func:`level_shift_statistic`),
    or None (``base``: the fit without a step on ``X`` when the caller has it). The critical value is
    :func:`shift_critical_value` for weekly series and the larger of it and
    :func:`monthly_shift_critical_value` for monthly ones (``periods_per_year`` under 24).

    Weekly series (docs/method.md, "Stress classes", session 14): :math:`\phi` uses the bias-corrected
    lag-1 autocorrelation (:func:`residual_autocorrelation_bias`), and when the search over every break
    at the 5 % level finds none, the breaks in the last quarter (:func:`recent_shift_critical_value`) are
    tested on their own at 2.5 %: a recent step decides the level the plan rests on, and the sup over a
    few recent dates does not pay for the 140 dates of the whole search."""
    weekly = periods_per_year >= 24
    if y.size < 2 * min_segment:  # no break to search (screen_level_shift)
        return None
    try:  # the model without a step, shared by the search over every break and the recent window's
        base = fit_negbin(y, X, offset) if base is None else base
    except np.linalg.LinAlgError:
        return None
    found = level_shift_statistic(y, X, offset, min_segment=min_segment, bias_corrected=weekly, base=base)
    if found is None:
        return None
    critical = shift_critical_value(y.size, min_segment, level)
    if not weekly:
        critical = max(critical, monthly_shift_critical_value(y.size, level))
    elif y.size >= WEEKLY_SHIFT_CRITICAL_TABLE[0][0]:
        critical = max(critical, weekly_shift_critical_value(y.size, level))
    if found[1] > critical:
        return found
    if not (weekly and level == 0.05):
        return None
    first = y.size - round(periods_per_year / 4)
    if first <= min_segment:
        return None
    recent = level_shift_statistic(y, X, offset, min_segment=min_segment, first=first, bias_corrected=True,
                                   base=base)
    if recent is None:
        return None
    return recent if recent[1] > recent_shift_critical_value(y.size, first, min_segment) else None


RECENT_SHIFT_CRITICAL_TABLE: Final = (
    # log(lambda), 2.5 % critical value (40,000 stationary Ornstein-Uhlenbeck paths, step 0.001)
    (0.5, 7.39),
    (1.0, 8.15),
    (1.5, 8.92),
    (2.0, 9.20),
)
r"""(:math:`\log\lambda`, 2.5 % critical value) of the sup-LR statistic over a short window of breaks
:math:`[\pi_1, \pi_2]`: the supremum of :math:`W(s)^2` for a stationary Ornstein-Uhlenbeck process of unit
rate over an interval of length :math:`\tfrac12\log\lambda` (the time change of the normalised Brownian
bridge :math:`B(t)^2/(t(1-t))`, :math:`s = \tfrac12\log(t/(1-t))`; Andrews, *Econometrica* 61, 1993)."""


def recent_shift_critical_value(n: int, first: int, min_segment: int) -> float:
    r"""2.5 % critical value of the sup-LR test over breaks ``first .. n - min_segment`` (linear in
    :math:`\log\lambda`, :data:`RECENT_SHIFT_CRITICAL_TABLE`). The last quarter of a weekly search gives
    :math:`\log\lambda \approx 0.8` at every length; outside the table's range (0.5-2.0) its end values
    are held, which would be lenient for a wider window, so callers keep to the last quarter.

    Examples
    --------
    >>> round(recent_shift_critical_value(156, 143, 6), 2)  # the last quarter of three years: lambda 2.27
    7.88
    """
    p1 = first / n
    p2 = (n - min_segment) / n
    xs, crit = zip(*RECENT_SHIFT_CRITICAL_TABLE, strict=True)
    return float(np.interp(_log_lambda(p1, p2), xs, crit))


WEEKLY_SHIFT_CRITICAL_TABLE: Final = (
    # weeks n, 5 % and 1 % critical values (benchmarks/shift_critical_weekly.py, 2,000 null series of the
    # stress generator in each of two level ranges, the larger centile; session 14, round 2)
    (104, 10.34, 13.77),
    (130, 10.72, 14.48),
    (156, 10.65, 14.14),
)
"""(:math:`n`, 5 % and 1 % critical values) of the bias-corrected, autocorrelation-adjusted sup-LR
statistic of the search over every break of a weekly series of :math:`n` weeks, under the search design
:mod:`~capacity_planner.demand.forecast` uses at that length, simulated in finite samples
(``benchmarks/shift_critical_weekly.py``). Against the limiting values 9.81 (156 weeks, 5 %) and 13.15
(104 weeks, 1 %)."""


def weekly_shift_critical_value(n: int, level: float = 0.05) -> float:
    """Finite-sample critical value of the weekly search over every break from two years
    (:data:`WEEKLY_SHIFT_CRITICAL_TABLE`, linear in :math:`n` between its rows, its last row beyond)."""
    return _table_value(WEEKLY_SHIFT_CRITICAL_TABLE, n, level)


def monthly_shift_critical_value(n: int, level: float = 0.01) -> float:
    """Finite-sample critical value of the monthly search (:data:`MONTHLY_SHIFT_CRITICAL_TABLE`, linear
    in :math:`n` between its rows, its first or last row outside them)."""
    return _table_value(MONTHLY_SHIFT_CRITICAL_TABLE, n, level)


def growth_change_draws(
    t_future: FloatArray, t_last: float, periods_per_year: float, n_draws: int, rng: np.random.Generator
) -> FloatArray:
    r"""Draws of the change of growth in the planning year, added to the linear predictor:
    :math:`\delta_j (t_h - t_n)/P` with :math:`\delta_j \sim N(0, \sigma_\Delta^2)`,
    :math:`\sigma_\Delta` = :data:`GROWTH_CHANGE_SD` and :math:`t_n` the last period of history; shape
    (H, ``n_draws``).

    Examples
    --------
    >>> d = growth_change_draws(np.array([52.0, 104.0]), 52.0, 52.0, 4000, np.random.default_rng(0))
    >>> float(d[0].std()), round(float(d[1].std()), 2)  # no change yet at the last week; 5 % a year on
    (0.0, 0.05)
    """
    lever = (np.asarray(t_future, dtype=np.float64) - t_last) / periods_per_year
    return rng.normal(0.0, GROWTH_CHANGE_SD, size=(1, n_draws)) * lever[:, None]


def growth_lag_sd(
    t_segment: FloatArray, t_last: float, periods_per_year: float, half_life_years: float = 1.0
) -> tuple[float, float]:
    r"""Standard deviation of the lag of an estimated growth rate behind the current one, and the period
    it is levered from, under the growth random walk of :func:`growth_change_draws`.

    If the log growth rate follows a random walk with variance :math:`\sigma_\Delta^2` a year, a growth
    estimated as the average rate over a window of :math:`W` years differs from the current rate by
    :math:`\frac{1}{W}\int_0^W B(u)\,du`, of variance :math:`\sigma_\Delta^2 W/3`. The fitted level is
    anchored at the recency-weighted centre :math:`t_c` of the periods the growth was estimated on
    (:func:`~capacity_planner.demand.forecast_kernels.recency_weights`) and extrapolated from there, so the
    lag enters period :math:`t_h` as :math:`\varepsilon_j (t_h - t_c)/P`; :math:`W = 2(t_n - t_c)/P` (the
    window with that centre; for equal weights, the window itself).

    Returns
    -------
    tuple of float
        :math:`\sigma_\Delta\sqrt{W/3}` (log growth a year) and :math:`t_c` (periods).

    Examples
    --------
    >>> sd, t_c = growth_lag_sd(np.arange(24.0), 23.0, 12.0)  # weights 1/2 (months 0-11), 1 (12-23)
    >>> t_c, round(sd, 6)  # (210 + 66/2)/18 = 13.5; W = 2 * 9.5/12; 0.05 * sqrt(W/3)
    (13.5, 0.036324)
    """
    w = recency_weights(t_segment, t_last, periods_per_year, half_life_years)
    t_c = float(np.sum(w * t_segment) / np.sum(w))
    window = 2.0 * (t_last - t_c) / periods_per_year
    return GROWTH_CHANGE_SD * math.sqrt(max(window, 0.0) / 3.0), t_c


def growth_data_weight(variance: float, tau: float = GROWTH_PRIOR_SD) -> float:
    r"""Weight :math:`k = \tau^2/(\tau^2 + v)` of a growth estimate of variance :math:`v` in its
    posterior mean under the prior :math:`N(0, \tau^2)` (:meth:`GrowthEstimate.posterior`,
    :func:`condition_on_growth_prior`).

    The posterior mean :math:`k\hat g` carries the estimate's errors scaled by :math:`k`, the lag of
    :func:`growth_lag_sd` among them: with the estimate measuring the window's average growth
    :math:`g_n - L`, the error of :math:`k\hat g` about the current growth :math:`g_n` has variance
    :math:`(1-k)^2\tau^2 + k^2 v + k^2\sigma_L^2`, the posterior variance :math:`\tau^2 v/(\tau^2 + v)`
    plus :math:`k^2\sigma_L^2` (the mean squared error of a linear shrinkage estimator; the first two
    terms sum to the posterior variance). So the lag is drawn with sd :math:`k\sigma_L`: in full when the
    data fix the growth, hardly at all when the prior does (a trend bent by a dip and recovery).

    Examples
    --------
    >>> growth_data_weight(0.0025), growth_data_weight(0.0)  # v = tau^2: half; no error: all
    (0.5, 1.0)
    """
    return tau * tau / (tau * tau + max(float(variance), 0.0))


@dataclass(frozen=True, slots=True)
class GrowthEstimate:
    """A log annual growth rate: estimate ``log_growth`` with variance ``variance`` (data only)."""

    log_growth: float
    variance: float

    def posterior(self, tau: float = GROWTH_PRIOR_SD) -> tuple[float, float]:
        r"""Mean and variance after the prior :math:`N(0, \tau^2)`: :math:`\hat g\,\tau^2/(\tau^2 + v)` and
        :math:`\tau^2 v / (\tau^2 + v)`.

        Examples
        --------
        >>> [round(x, 4) for x in GrowthEstimate(0.10, 0.0025).posterior(0.05)]  # v = tau^2: halfway
        [0.05, 0.0013]
        """
        t2 = tau * tau
        v = max(self.variance, 0.0)
        return self.log_growth * t2 / (t2 + v), t2 * v / (t2 + v)


def year_on_year_growth(
    y: FloatArray, periods_per_year: float, *, log_exposure: FloatArray | None = None, alpha: float = 0.0
) -> GrowthEstimate | None:
    r"""Year-on-year log growth of a series with at least one year and one period.

    With :math:`Y` = round(:math:`P`) and :math:`k = \min(n - Y, Y)`, :math:`S_1` = the last :math:`k`
    values and :math:`S_0` = the :math:`k` values a year before them (divided by exposure when given):

    .. math:: \hat g = \log(S_1/S_0), \qquad
              \operatorname{Var}\hat g \approx
              \phi_d \Big(\frac{1}{S_1} + \frac{1}{S_0} + \frac{2\alpha}{k}\Big)

    (delta method for NB2 sums; :math:`\phi_d` the long-run factor of the lag-1 autocorrelation of the
    year-on-year log differences). Seasonality cancels, so no seasonal model is needed.

    Examples
    --------
    >>> g = year_on_year_growth(np.r_[np.full(52, 100.0), np.full(52, 110.0)], 52)
    >>> round(math.expm1(g.log_growth), 3), round(g.variance, 6)  # 5720/5200; 1/5720 + 1/5200
    (0.1, 0.000367)
    """
    year = round(periods_per_year)
    n = y.size
    k = min(n - year, year)
    if k < 1:
        return None
    adj = y if log_exposure is None else y / np.exp(log_exposure)
    s1 = float(adj[n - k :].sum())
    s0 = float(adj[n - k - year : n - year].sum())
    if s1 <= 0 or s0 <= 0:
        return None
    diff = np.log(y[n - k :] + 0.5) - np.log(y[n - k - year : n - year] + 0.5)
    rho = lag1_autocorrelation(diff) if k >= 8 else 0.0
    var = long_run_factor(rho) * (1 / s1 + 1 / s0 + 2 * alpha / k)
    return GrowthEstimate(math.log(s1 / s0), var)


def capped_log_growth(log_growth: float) -> float:
    r"""A log annual growth rate clipped to :math:`[\log(1 - c), \log(1 + c)]`, c = :data:`GROWTH_CAP`.

    Examples
    --------
    >>> round(math.expm1(capped_log_growth(math.log(1.5))), 3), round(math.expm1(capped_log_growth(-1.0)), 3)
    (0.1, -0.1)
    """
    return min(max(log_growth, math.log1p(-GROWTH_CAP)), math.log1p(GROWTH_CAP))


def cap_note(log_growth: float, used: float) -> str:
    """The note for an estimated log growth beyond the cap, and the log growth used instead."""
    shown = "more than +1000 %" if log_growth > math.log(11) else f"{math.expm1(log_growth):+.0%}"
    return (
        f"estimated growth of {shown} a year is beyond the ±{GROWTH_CAP:.0%} cap; sized with "
        f"{math.expm1(used):+.1%} a year (set demand.growth if the growth is known)"
    )


IMPLAUSIBLE_RATIO: Final = 10.0
"""A forecast mean above this multiple of the busiest training period is treated as a failed fit."""


def plausible_forecast(mean: FloatArray, sample: FloatArray, y: FloatArray) -> bool:
    """Finite, and both the mean and the predictive sample's 99th centile within :data:`IMPLAUSIBLE_RATIO`
    times the largest value of the history ``y`` (growth is capped at 10 % a year, so only a degenerate
    fit gets there: one week of 5,000 after 155 empty ones had a mean of 2.3 and an 80th centile of 10^13,
    its level's uncertainty unbounded; session 15)."""
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(sample))):
        return False
    most = IMPLAUSIBLE_RATIO * max(float(y.max()), 1.0)
    top = float(np.quantile(sample, 0.99)) if sample.size else 0.0
    return float(mean.max(initial=0.0)) <= most and top <= most


def condition_on_growth_prior(
    beta: FloatArray, cov: FloatArray, index: int, tau: float = GROWTH_PRIOR_SD
) -> tuple[FloatArray, FloatArray]:
    r"""Gaussian update of :math:`(\hat\beta, \Sigma)` with the prior :math:`\beta_i \sim N(0, \tau^2)`.

    .. math:: \beta' = \hat\beta - \Sigma_{\cdot i} \frac{\hat\beta_i}{\Sigma_{ii} + \tau^2}, \qquad
              \Sigma' = \Sigma - \frac{\Sigma_{\cdot i}\Sigma_{i \cdot}}{\Sigma_{ii} + \tau^2}

    The other coefficients move with the growth by their covariance with it (e.g. the current level).
    """
    s = cov[:, index]
    den = float(cov[index, index]) + tau * tau
    new_beta = beta - s * (float(beta[index]) / den)
    new_cov = cov - np.outer(s, s) / den
    return new_beta, 0.5 * (new_cov + new_cov.T)
