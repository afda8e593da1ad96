r"""Demand forecasting: a robust negative-binomial GLM with trend and seasonality, and its predictive
distribution.

The numeric kernels (:func:`design_matrix`, :func:`fit_negbin`, :func:`negbin_loglik`,
:func:`predictive_draws`, in :mod:`~capacity_planner.demand.forecast_kernels`; import them from there) take
and return NumPy arrays and know nothing about dates, so the same code runs on weekly referral counts
(52 periods a year) and on monthly A&E attendances (12 a year). The classes :class:`NegBinGLM`,
:class:`EmpiricalRecent` and :class:`SeriesForecast` (in :mod:`~capacity_planner.demand.forecast_models`)
and the chooser :func:`forecast_series` are thin wrappers that pick a model and return
a :class:`SeriesForecast`. Level steps found in the history (:func:`_level_shift`) enter the model as
step regressors :math:`1\{t \ge b_i\}`, one per step, with the trend fitted after the last one, or
over the whole history beside a single step with half a year or more after it (:func:`_trend_across_step`).

Model
-----
For counts :math:`y_t` in period :math:`t` (periods since the epoch; :math:`P` periods a year):

.. math::

    y_t \sim \mathrm{NB2}(\mu_t, \alpha), \qquad \operatorname{Var} y_t = \mu_t + \alpha \mu_t^2,

    \log \mu_t = o_t + \beta_0 + \beta_1 \frac{t - t_0}{P}
        + \sum_{k=1}^{K} \Big(a_k \sin \frac{2\pi k t}{P} + b_k \cos \frac{2\pi k t}{P}\Big)
        + \gamma^\top z_t

with :math:`t_0` the last training period (so :math:`e^{\beta_0}` is the current level),
:math:`e^{\beta_1} - 1` the annual growth rate, :math:`K` Fourier harmonics for yearly seasonality,
:math:`z_t` known regressors (for weekly referrals :math:`\log(\text{working days}/5)`, so bank-holiday
weeks do not distort the trend or the season) and :math:`o_t` an offset (log exposure, e.g. days in the
month; plus :math:`\log(1+g)(t-t_0)/P` when a growth rate :math:`g` is given, which then replaces
:math:`\beta_1`).

Fitting (Hilbe, *Negative Binomial Regression*, 2nd ed., 2011, ch. 8; Cantoni and Ronchetti, *Robust
inference for generalized linear models*, JASA 96, 2001): iteratively reweighted least squares with
working weights :math:`\mu/(1 + \alpha\mu)` times Huber weights :math:`\min(1, c/|r|)` on the Pearson
residuals :math:`r = (y - \mu)/\sqrt{\mu + \alpha\mu^2}` (:math:`c = 3`, so only gross outliers are
downweighted and the mean stays unbiased for skewed counts). :math:`\alpha` solves the Pearson moment
equation :math:`\sum_t \min(r_t^2, c^2) = \kappa_c (n - p)` (:math:`\kappa_c = E\min(Z^2, c^2)`), 0 when
the data are not over-dispersed (Poisson). Years before the last are discounted: prior weights
:math:`w_t = 2^{-\lfloor (t_0 - t)/P \rfloor/h}`, :math:`h` = 1 year, multiply the working weights and
each period's term of the dispersion equation, and the covariance is the sandwich form
(:func:`~capacity_planner.demand.forecast_kernels.recency_weights`; Brown's discounted least squares,
1963), so an ended disturbance weighs less than the last year.

Model choice (by AIC, Akaike 1974): with at least two years of history :math:`K \in \{0, 1, 2, 3\}`
(monthly: :math:`\{0, 1, 2\}`) and trend or no trend ("flat"); with one to two years only trend or no
trend (seasonality and trend cannot be told apart in one year, so the seasonal swing is left in
:math:`\alpha`); under one year the mean only.

Predictive distribution
-----------------------
For each planning period :math:`h`, draws :math:`j = 1..J`:

.. math::

    \beta^{(j)} \sim N(\hat\beta,\ \phi\,\hat\Sigma), \qquad
    \lambda_{hj} \sim \mathrm{Gamma}\big(1/\hat\alpha,\
        \hat\alpha\, e^{x_h^\top \beta^{(j)} + o_h}\big), \qquad
    y_{hj} \sim \mathrm{Poisson}(\lambda_{hj})

where :math:`\hat\Sigma = (X^\top W X)^{-1}` is the inverse Fisher information and
:math:`\phi = \max(1, (1+\rho_1)/(1-\rho_1))` inflates it for lag-1 autocorrelation :math:`\rho_1` of the
Pearson residuals (the variance of a mean of an AR(1) series). Parameter uncertainty (level, trend and
season) is what makes the percentile calibrated: a plug-in NB quantile ignores the error of the
extrapolated trend and under-covers. When growth is estimated, each draw's linear predictor also carries
a change of growth in the planning year, :math:`\delta_j (t_h - t_n)/P` with
:math:`\delta_j \sim N(0, \sigma_\Delta^2)`
(:func:`~capacity_planner.demand.forecast_rules.growth_change_draws`).
Under that random walk an estimated growth also lags the current one: each draw adds
:math:`\varepsilon_j (t_h - t_c)/P`, :math:`\varepsilon_j \sim N(0, k^2\sigma_\Delta^2 W/3)`
(:func:`~capacity_planner.demand.forecast_rules.growth_lag_sd`,
:func:`~capacity_planner.demand.forecast_rules.growth_data_weight`).
The *weekly demand in the planning year* is the pool of all
:math:`y_{hj}`; its quantile is taken with :func:`numpy.quantile` and the configured ``method``.

A weekly series whose last level step lies a year or more before the end (last year's values all follow
it), or within the last year but small (under :data:`SMALL_STEP_LOG` on the log scale), is forecast by
the quantile average, half each, of this predictive and last year's values
(:func:`_average_with_last_year`; Lichtendahl, Grushka-Cockayne and Winkler, *Management Science* 59,
2013): a guard against a step found in slowly wandering noise.
"""

from __future__ import annotations

import dataclasses
import math
import zlib
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from capacity_planner.demand._words import plural
from capacity_planner.demand.forecast_kernels import (
    NegBinFit,
    fit_negbin,
    usable_regressors,
)
from capacity_planner.demand.forecast_models import (
    EmpiricalRecent,
    NegBinGLM,
    SeriesForecast,
    quantile_average,
    zero_forecast,
)
from capacity_planner.demand.forecast_rules import (
    GROWTH_CAP,
    GROWTH_PRIOR_SD,
    IMPLAUSIBLE_RATIO,
    SHORT_SEARCH_HARMONICS,
    cap_note,
    capped_log_growth,
    condition_on_growth_prior,
    growth_change_draws,
    growth_data_weight,
    growth_lag_sd,
    level_shift_statistic,
    level_shift_test,
    plausible_forecast,
    shift_min_segment,
    temporary_shift_critical_value,
    temporary_shift_statistic,
    window_critical_value,
    year_on_year_growth,
)

__all__ = [
    "WEEKS_PER_YEAR",
    "forecast_series",
    "season_amplitude_bound",
    "series_seed",
]

FloatArray = npt.NDArray[np.float64]

WEEKS_PER_YEAR: Final = 365.2425 / 7
"""Mean Gregorian year in weeks, used as the seasonal period of weekly series (keeps the Fourier phase on
the calendar)."""
MIN_POOLED_DRAWS: Final = 20_000
MAX_HARMONICS_WEEKLY: Final = 3
MAX_HARMONICS_MONTHLY: Final = 2
FLAT_GROWTH: Final = 0.02
"""A trend whose 95 % interval lies within ±2 % a year is dropped ("flat" history)."""
SHORT_HISTORY_YEARS: Final = 0.5
"""Below half a year (26 weeks) a series is sized by the short-history method (notes say so)."""
MAX_SHIFT_SEARCHES: Final = 3
"""Level-shift searches: the whole series, then the periods after each shift found."""
LAST_YEAR_WEIGHT: Final = 0.5
"""Weight of last year's values in the quantile average of a weekly forecast whose last level step lies a
year or more before the end, or a small one within the year (:func:`_average_with_last_year`; the simple
average of Lichtendahl, Grushka-Cockayne and Winkler, 2013)."""
SMALL_STEP_LOG: Final = 0.20
"""A level step found within the last year is "small" (:func:`_average_with_last_year`) when the log ratio
of the mean of the (up to) :data:`SMALL_STEP_WEEKS` periods after it to the mean of as many before it is
under this in size (±22 %; the stress drops are log 0.7 = -0.36; docs/method.md, session 17 helper C,
round 2)."""
SMALL_STEP_WEEKS: Final = 13
"""Periods (a quarter of a year of weeks) either side of a step whose means measure its size."""
UNSEEN_SEASON_SD: Final = 0.10
"""Root-mean-square seasonal amplitude A of the log level assumed when the season cannot be estimated
(a swing of about ±10 % is typical of outpatient referrals), lowered when the window's own spread shows it
cannot be that large (:func:`season_amplitude_bound`); see :func:`unseen_season_sd`."""


def unseen_season_sd(fraction_of_year: float, amplitude: float = UNSEEN_SEASON_SD) -> float:
    r"""Standard deviation of the log level added to each predictive draw when the level was measured on
    a fraction ``f`` of a year without a seasonal model.

    With a season :math:`s(t) = A\cos(2\pi t - \varphi)` of unknown phase, the mean of a window of
    length :math:`f` differs from the year's mean by :math:`e`, with
    :math:`E\,e^2 = \tfrac{A^2}{2}\,\mathrm{sinc}^2 f` (:math:`\mathrm{sinc}\,f = \sin \pi f/(\pi f)`);
    the dispersion fitted in the window holds :math:`A^2/2 - E\,e^2` of the year's seasonal variance. The
    planning year's log demand varies about the fitted level by :math:`A^2/2 + E\,e^2`, so the draws need
    :math:`2E\,e^2 = A^2\,\mathrm{sinc}^2 f` more: an sd of :math:`A\,|\mathrm{sinc}\,f|`, equal to
    :math:`A` for a few weeks and 0 for a whole year.

    Parameters
    ----------
    fraction_of_year : float
        Length of the window the level was measured on, in years (0 to 1).
    amplitude : float
        Root-mean-square seasonal amplitude of the log level (default :data:`UNSEEN_SEASON_SD`).

    Returns
    -------
    float
        Standard deviation of the log level (dimensionless).

    Examples
    --------
    >>> round(unseen_season_sd(0.0), 3), round(unseen_season_sd(0.5), 3), round(unseen_season_sd(1.0), 3)
    (0.1, 0.064, 0.0)
    """
    f = min(max(float(fraction_of_year), 0.0), 1.0)
    return float(amplitude * abs(np.sinc(f)))


def season_amplitude_bound(
    fraction_of_year: float,
    alpha: float,
    mean_count: float,
    dof: float,
    prior: float = UNSEEN_SEASON_SD,
) -> float:
    r"""Root-mean-square seasonal amplitude of the log level assumed for a level measured on a fraction
    ``f`` of a year: the prior :math:`A_0` (:data:`UNSEEN_SEASON_SD`), or less when the window's own
    spread shows the season cannot be that large.

    A season :math:`A\cos(2\pi t - \varphi)` of unknown phase varies within a window of length
    :math:`f` by :math:`\tfrac{A^2}{2}(1 - \mathrm{sinc}^2 f)` on average (the year's :math:`A^2/2` less
    the window mean's :math:`E\,e^2`, :func:`unseen_season_sd`). That variance is part of the log-scale
    variance the window shows, :math:`v = 1/\bar\mu + \alpha` for NB2 counts; its Poisson part
    :math:`1/\bar\mu` is not season. The estimate :math:`\hat v` has relative standard error
    :math:`\sqrt{2/\nu}` on :math:`\nu` degrees of freedom, so with
    :math:`\alpha_U = \hat v(1 + \sqrt{2/\nu}) - 1/\bar\mu` (one standard error above) and all of it
    counted as season,

    .. math:: A \le \sqrt{2\alpha_U / (1 - \mathrm{sinc}^2 f)}.

    Returns :math:`\min(A_0, \cdot)`. A window of a few periods shows nothing of the season
    (:math:`A_0`); noisy weekly counts keep :math:`A_0` (:math:`1/\bar\mu` alone puts the bound far
    above it); five months of A&E totals varying by 3 % (:math:`\alpha` about 0.001) bound it.

    Parameters
    ----------
    fraction_of_year : float
        Window length ``f`` in years (0 to 1).
    alpha : float
        NB2 dispersion fitted on the window.
    mean_count : float
        Mean count per period in the window (:math:`\bar\mu`).
    dof : float
        Degrees of freedom of the dispersion estimate (periods less fitted coefficients).
    prior : float
        :math:`A_0`.

    Returns
    -------
    float
        Amplitude (log scale, dimensionless).

    Examples
    --------
    >>> round(season_amplitude_bound(5 / 12, 0.001, 1e12, 8.0), 4)  # sqrt(2 * 0.0015 / (1 - 0.5445))
    0.0812
    >>> season_amplitude_bound(20 / 52, 0.0, 15.0, 19.0)  # 1/15 a week of Poisson noise: no bound
    0.1
    """
    f = min(max(float(fraction_of_year), 0.0), 1.0)
    seen = 1.0 - float(np.sinc(f)) ** 2
    if seen <= 0.0 or dof <= 0.0 or mean_count <= 0.0:
        return prior
    poisson = 1.0 / mean_count
    alpha_upper = (max(alpha, 0.0) + poisson) * (1.0 + math.sqrt(2.0 / dof)) - poisson
    return float(min(prior, math.sqrt(2.0 * max(alpha_upper, 0.0) / seen)))


def series_seed(seed: int, key: str) -> np.random.Generator:
    """A generator seeded by ``seed`` and a stable hash of ``key`` (independent of processing order)."""
    return np.random.default_rng([int(seed), zlib.crc32(key.encode("utf-8"))])


def forecast_series(
    y: npt.ArrayLike,
    *,
    periods_per_year: float,
    horizon: int | None = None,
    t: npt.ArrayLike | None = None,
    t_future: npt.ArrayLike | None = None,
    regressors: npt.ArrayLike | None = None,
    regressors_future: npt.ArrayLike | None = None,
    log_exposure: npt.ArrayLike | None = None,
    log_exposure_future: npt.ArrayLike | None = None,
    growth: float | None = None,
    n_draws: int | None = None,
    rng: np.random.Generator | None = None,
    period_word: str = "period",
) -> SeriesForecast:
    """Choose a model for one count series and forecast it (see the module docstring).

    Parameters
    ----------
    y : array_like
        Training counts per period (>= 0), oldest first, no gaps (zeros are zeros).
    periods_per_year : float
        52.18 for weekly, 12 for monthly.
    horizon : int, optional
        Future periods right after the history (default one year); ignored when ``t_future`` is given.
    t, t_future : array_like, optional
        Period indices of training and future periods (default ``0..n-1`` and ``n..n+horizon-1``); use
        calendar-based indices so seasonality is aligned across series.
    regressors, regressors_future : array_like, optional
        Known covariates (e.g. log working days), shape (n,) or (n, m) and (H,) or (H, m).
    log_exposure, log_exposure_future : array_like, optional
        Offsets (e.g. log days in the month).
    growth : float, optional
        Annual growth rate to impose (``pack.toml demand.growth``); None estimates it.
    n_draws : int, optional
        Predictive draws per period (default: enough for 20,000 pooled values).
    rng : numpy.random.Generator, optional
        Source of randomness (default seed 0).
    period_word : str
        What one period is called in the notes (``week``, ``month``).

    Returns
    -------
    SeriesForecast
    """
    yy = np.asarray(y, dtype=np.float64)
    n = yy.size
    P = float(periods_per_year)
    tt = np.arange(n, dtype=np.float64) if t is None else np.asarray(t, dtype=np.float64)
    if t_future is None:
        h = round(P) if horizon is None else int(horizon)
        tf = tt[-1] + 1 + np.arange(h, dtype=np.float64) if n else np.arange(h, dtype=np.float64)
    else:
        tf = np.asarray(t_future, dtype=np.float64)
    H = tf.size
    if n == 0:
        return zero_forecast(H, 0, "none")
    if yy.sum() == 0:
        return zero_forecast(H, n, "zero")
    rng = rng if rng is not None else np.random.default_rng(0)
    J = n_draws if n_draws is not None else max(400, math.ceil(MIN_POOLED_DRAWS / max(H, 1)))
    le = None if log_exposure is None else np.asarray(log_exposure, dtype=np.float64)
    lef = None if log_exposure_future is None else np.asarray(log_exposure_future, dtype=np.float64)
    z, zf = usable_regressors(regressors, regressors_future, n, H, n // max(1, round(P)) >= 1)
    data = _Series(yy, tt, z, le, P)
    model, fit, notes = _choose_model(data, growth, period_word)
    if fit is None:
        fc = EmpiricalRecent(P).forecast(yy, H)
        return dataclasses.replace(fc, notes=("no model could be fitted; used last year's values",))
    seg = data.segment_length(model.shift_at)
    if model.shift_at is not None and not yy[tt >= model.shift_at].any():
        note = "no demand after the level shift found in its history; none is forecast"
        return dataclasses.replace(zero_forecast(H, n, "zero"), notes=(*notes, note))
    extra: FloatArray | None = None
    data_weight = 0.0  # the weight of the data's growth estimate against the growth prior
    if growth is None and model.trend:
        data_weight = growth_data_weight(float(fit.cov[1, 1]))
        fit, growth_notes = _shrink_trend(fit)
        notes += growth_notes
    elif growth is None and n < 2 * round(P):  # level-only regime (a flat trend was tested and dropped)
        model, fit, extra, data_weight, growth_notes = _level_growth(data, model, fit, tf, J, rng)
        notes += growth_notes
    if n < 2 * round(P) and seg < round(P):  # level measured on part of a year, season not estimable
        amplitude = _window_amplitude(data, model, fit)
        extra = (0.0 if extra is None else extra) + rng.normal(
            0.0, unseen_season_sd(seg / P, amplitude), size=(1, J)
        )
    if growth is None and (model.trend or model.growth is not None):  # estimated growth lags the current
        extra = (0.0 if extra is None else extra) + _growth_lag_draws(data, model, tf, J, rng, data_weight)
    if growth is None:  # the planning year's growth may depart from the history's
        extra = (0.0 if extra is None else extra) + growth_change_draws(tf, float(tt[-1]), P, J, rng)
    if n < SHORT_HISTORY_YEARS * P:
        season_sd = unseen_season_sd(seg / P, _window_amplitude(data, model, fit))
        notes.append(
            f"short history ({plural(seg, period_word)}): sized by the short-history method, the mean of "
            f"the {period_word}s available with the level's uncertainty widened for an unseen season "
            f"(±{season_sd:.0%}) and unknown growth (±{GROWTH_PRIOR_SD:.0%} a year)"
        )
    elif seg < SHORT_HISTORY_YEARS * P:
        notes.append(
            f"the level after the shift rests on {plural(seg, period_word)}; its uncertainty is carried"
        )
    extra_eta = None if extra is None else np.broadcast_to(extra, (H, J)).astype(np.float64)
    fc = model.forecast_from_fit(
        fit, tt, tf, z_future=zf, log_exposure_future=lef, n_draws=J, rng=rng, extra_eta=extra_eta
    )
    if not plausible_forecast(fc.mean, fc.sample, yy):
        fallback = EmpiricalRecent(P).forecast(yy, H)
        note = (
            f"the fitted model ({fc.model}) forecast more than {IMPLAUSIBLE_RATIO:g} times the busiest "
            "period seen; used last year's values instead"
        )
        return dataclasses.replace(fallback, notes=(*notes, note))
    if LAST_YEAR_WEIGHT > 0 and _average_with_last_year(model, seg, P, yy):
        fc = quantile_average(fc, EmpiricalRecent(P).forecast(yy, H), 1.0 - LAST_YEAR_WEIGHT)
        found = f"the level step found {plural(seg, period_word)} before the end"
        notes.append(
            (f"{found} may not be real (weekly demand drifts): the forecast is averaged, half and half, "
             "centile by centile, with last year's weekly values (all after the step)")
            if seg >= round(P) else
            (f"{found} is small (under about {math.expm1(SMALL_STEP_LOG):.0%}) and may not be real (weekly "
             "demand drifts): the forecast is averaged, half and half, centile by centile, with last year's "
             "weekly values")
        )
    return dataclasses.replace(fc, notes=(*fc.notes, *notes))


def _average_with_last_year(
    model: NegBinGLM, seg: int, periods_per_year: float, y: FloatArray | None = None
) -> bool:
    r"""Whether a forecast is quantile-averaged with last year's values (:data:`LAST_YEAR_WEIGHT`,
    :func:`~capacity_planner.demand.forecast_models.quantile_average`): a weekly series whose last level
    step lies a year or more before the end, so that last year's values all follow it and are a second
    forecast of the same regime, robust to a step found where there is none; or one whose last step lies
    within the last year and is small (``y`` given): the log ratio of the mean of the :math:`k =
    \min(s, 13)` periods after it to the mean of the :math:`k` before it (or of all before it, if fewer)
    under :data:`SMALL_STEP_LOG` in size, where last year's values, though they span the step, mix two
    levels close together.

    Where the noise wanders slowly (weekly counts of A&E size, AR(1) ρ 0.7-0.8, the count noise no
    larger), the weekly search finds a false step on about a third of null series and the step model's
    level and trend, traded off against it, lose 3-13 % of pinball against last year's values on those
    series (docs/method.md, "Stress classes", session 16 the lead); no test statistic tried separated
    these steps from real ones (sessions 9, 13, 15 and 16). Averaging quantiles costs at most half the
    step model's gain where the step is right (convexity of the pinball loss), and is not done where last
    year's values span a large step (they would mix the two levels: the -30 % drops 8 and 26 weeks
    before) nor on monthly series (not measured there; their critical values are simulated in finite
    samples). Measured: docs/method.md, "Stress classes", session 17 (helper C, rounds 1 and 2).

    Examples
    --------
    >>> m = NegBinGLM(52.0, shift_at=90.0)
    >>> y = np.r_[np.full(90, 100.0), np.full(30, 110.0)]
    >>> _average_with_last_year(m, 30, 52.0, y), _average_with_last_year(m, 30, 52.0, y * (y > 100) + 70)
    (True, False)
    """
    if periods_per_year < 24 or model.shift_at is None:
        return False
    if seg >= round(periods_per_year):
        return True
    if y is None or not 0 < seg < y.size:
        return False
    k = min(seg, SMALL_STEP_WEEKS)
    after, before = float(np.mean(y[-seg:][:k])), float(np.mean(y[max(0, y.size - seg - k) : y.size - seg]))
    return after > 0 and before > 0 and abs(math.log(after / before)) < SMALL_STEP_LOG


@dataclass(frozen=True)
class _Series:
    """One training series and its covariates (internal to :func:`forecast_series`)."""

    y: FloatArray
    t: FloatArray
    z: FloatArray | None
    log_exposure: FloatArray | None
    periods_per_year: float

    def tail(self, start: int) -> _Series:
        """The periods from index ``start`` on (regressors constant there are left out)."""
        z = None if self.z is None else self.z[start:]
        if z is not None:
            keep = np.ptp(z, axis=0) > 1e-9
            z = z[:, keep] if keep.any() else None
        le = None if self.log_exposure is None else self.log_exposure[start:]
        return _Series(self.y[start:], self.t[start:], z, le, self.periods_per_year)

    def segment_length(self, shift_at: float | None) -> int:
        """Periods from ``shift_at`` (or all) to the end."""
        return int(self.y.size if shift_at is None else np.sum(self.t >= shift_at))

    def fit(self, model: NegBinGLM) -> NegBinFit | None:
        """``model`` fitted to the series, or None when the fit fails or is not finite."""
        try:
            fit = model.fit(self.y, self.t, z=self.z, log_exposure=self.log_exposure)
        except np.linalg.LinAlgError:
            return None
        finite = np.all(np.isfinite(fit.beta)) and np.all(np.isfinite(fit.cov)) and math.isfinite(fit.aic)
        return fit if finite else None


def _choose_model(data: _Series, growth: float | None, period_word: str = "period",
                  ) -> tuple[NegBinGLM, NegBinFit | None, list[str]]:
    """Candidates by history length, a level shift if significant, then AIC (module docstring); the notes
    count periods in ``period_word``s."""
    P = data.periods_per_year
    years = data.y.size // max(1, round(P))
    if years >= 2:  # seasonal harmonics chosen by AIC, with a trend (unless flat, below)
        candidates = [
            NegBinGLM(P, trend=True, n_harmonics=k, growth=growth)
            for k in range(MAX_HARMONICS_WEEKLY + 1 if P >= 24 else MAX_HARMONICS_MONTHLY + 1)
        ]
    else:  # under two years trend and season cannot be told apart: level only (growth: see below)
        candidates = [NegBinGLM(P, trend=growth is not None, growth=growth)]
    notes: list[str] = []
    if years >= 1:
        shifts = _level_shift(data, candidates[-1])
        if shifts:
            shift_at = shifts[-1]
            earlier = tuple(shifts[:-1])
            across = _trend_across_step(data, shift_at, earlier)
            candidates = [
                dataclasses.replace(m, shift_at=shift_at, earlier_shifts=earlier, trend_across_step=across)
                for m in candidates
            ]
            since = plural(data.segment_length(shift_at), period_word)
            notes.append(f"level shift detected {since} before the end of the history; the level after it "
                         "is used")
    best = _best_by_aic(candidates, data)
    if best is not None and best[0].trend and growth is None and _is_flat(best[1]):
        refit = _best_by_aic([dataclasses.replace(best[0], trend=False)], data)
        if refit is not None:
            best = refit
            notes.append("no material trend (95 % interval of growth within ±2 % a year); level only")
    if best is None:
        return candidates[0], None, notes
    return best[0], best[1], notes


def _trend_across_step(data: _Series, shift_at: float, earlier: tuple[float, ...]) -> bool:
    """Whether the trend of a model with a level step at ``shift_at`` is fitted over the whole history
    (the step a regressor beside it) rather than after the step only.

    A single step (no ``earlier`` ones) with at least half a year after it: the series' growth is then
    measured across the step, so the level after a step carries the growth the history shows instead
    of a growth set mostly by the prior on the few periods after it (docs/method.md, "Stress classes",
    session 13, round 2). Not after a dip and its recovery (``earlier`` steps: the regimes between them
    would bend the growth), nor with under half a year after the step (measured: the weekly drop 8 weeks
    before leaves its band, a step found in a short tail being found when the tail ran low).
    """
    return not earlier and data.segment_length(shift_at) >= data.periods_per_year / 2


def _best_by_aic(models: list[NegBinGLM], data: _Series) -> tuple[NegBinGLM, NegBinFit] | None:
    best: tuple[NegBinGLM, NegBinFit] | None = None
    for model in models:
        fit = data.fit(model)
        if fit is not None and (best is None or fit.aic < best[1].aic - 1e-9):
            best = (model, fit)
    return best


def _is_flat(fit: NegBinFit) -> bool:
    r"""True when the 95 % interval of the log growth rate lies within :math:`\pm\log 1.02`."""
    se = math.sqrt(max(float(fit.cov[1, 1]), 0.0))
    return abs(float(fit.beta[1])) + 1.96 * se < math.log(1 + FLAT_GROWTH)


def _level_shift(data: _Series, model: NegBinGLM) -> list[float]:
    """Periods of the level steps found, oldest first (the last is where the current level starts; empty
    when none): a significant level shift (:func:`~capacity_planner.demand.forecast_rules.level_shift_test`),
    then again in the periods after it (up to :data:`MAX_SHIFT_SEARCHES` times, while two years or more
    follow the last one), so a dip followed by a recovery ends at the recovery; when fewer than two years
    follow the last step, a second step beside it (:func:`_another_step`)."""
    P = data.periods_per_year
    starts: list[int] = []
    for _ in range(MAX_SHIFT_SEARCHES):
        start = starts[-1] if starts else 0
        part = data.tail(start)
        if starts and part.y.size < 2 * round(P) and P >= 24:  # too short a tail for a search of its own
            extra = _another_step(data, model, starts)
            if extra is None:
                break
            starts = sorted([*starts, extra])
            continue
        if part.y.size < (2 * shift_min_segment(P) + 1 if not starts else 2 * round(P)):
            break
        X, off, level = _search_design(part, model)
        base = _fit_or_none(part.y, X, off)  # without a step: shared by the searches on this part
        found = level_shift_test(
            part.y, X, off, min_segment=shift_min_segment(P), level=level, periods_per_year=P, base=base
        )
        if found is None:
            if not starts:
                starts = _temporary_shift(data, X, off, base)
            break
        starts.append(start + found[0])
    return [float(data.t[s]) for s in starts]


def _fit_or_none(y: FloatArray, X: FloatArray, off: FloatArray) -> NegBinFit | None:
    """The NB fit of ``y`` on ``X`` with offset ``off``, or None when it fails."""
    try:
        return fit_negbin(y, X, off)
    except np.linalg.LinAlgError:
        return None


def _temporary_shift(data: _Series, X: FloatArray, off: FloatArray, base: NegBinFit | None) -> list[int]:
    r"""The two steps of a significant temporary level change (a dip or a closure and its recovery, a
    surge and its end) in a weekly series where no single step is found: one step cannot describe a level
    that comes back, and its residuals' autocorrelation then hides it (:func:`temporary_shift_statistic`,
    1 % level, :func:`temporary_shift_critical_value`). Empty for monthly series and when none is found."""
    P = data.periods_per_year
    if P < 24 or data.y.size < round(P):  # weekly, from a year (the table's first row)
        return []
    found = temporary_shift_statistic(data.y, X, off, min_segment=shift_min_segment(P), base=base)
    if found is None or found[2] <= temporary_shift_critical_value(data.y.size, 0.01):
        return []
    return [found[0], found[1]]


def _another_step(data: _Series, model: NegBinGLM, starts: list[int]) -> int | None:
    r"""A second step beside the last one found, when fewer than two years follow it (too few for a search
    of their own): a dip and its recovery, or a closure and its reopening, within the last two years.

    One more break is searched in each of two windows of one model, the whole history's search design
    (its season and trend) with a level per step found: after the last step, and before it, back to the
    step before. Each window is tested at the 1 % level with the limiting critical value of its breaks
    within their segment (Andrews, *Econometrica* 61, 1993; :func:`window_critical_value`): the sequential
    test of one more break of Bai and Perron (*Econometrica* 66, 1998), its smooth terms common to the
    segments (partial structural change) and so estimated on the whole history for both windows. The
    window whose statistic passes its critical value by the larger ratio gives the step (the epidemic
    alternative of Yao, *Annals of Statistics* 21, 1993, searched one break at a time). A single step found
    at a recovery would otherwise rest on a history with the dip in it.

    Until session 16 the window before the last step was searched on the history up to that step: its
    trend and harmonic, refitted on those few periods, absorbed most of an earlier dip (80 weeks, a dip in
    weeks 14-33 and a rise at 34: statistic 1.4-16.9 against 12.2, 31-69 on the whole history), and the
    window after the step took the dip echoed a year on by the whole history's harmonic, fitted across the
    unmodelled dip (a false last step 9-18 weeks before the end in 14 of 60 seeds, 0 now; docs/method.md,
    "Stress classes", session 16, helper E)."""
    P = data.periods_per_year
    seg = shift_min_segment(P)
    n = data.y.size
    X, off, _ = _search_design(data, model)
    design = np.column_stack([X, *[(np.arange(n) >= s).astype(np.float64) for s in starts]])
    if np.linalg.matrix_rank(design) < design.shape[1]:
        return None
    base = _fit_or_none(data.y, design, off)
    if base is None:
        return None
    last = starts[-1]
    previous = starts[-2] if len(starts) > 1 else 0
    windows = (  # (the segment's start (a free level from there), its end, first break)
        (last, n, last + seg),
        (previous, last, previous + seg),
    )
    best: tuple[float, int] | None = None
    for segment_start, end, first in windows:
        found = level_shift_statistic(data.y, design, off, min_segment=seg, first=first, last=end - seg,
                                      bias_corrected=True, base=base)
        if found is None:
            continue
        ratio = found[1] / window_critical_value(end, first, seg, 0.01, start=segment_start)
        if ratio > 1 and (best is None or ratio > best[0]):
            best = (ratio, found[0])
    return None if best is None else best[1]


def _search_design(part: _Series, model: NegBinGLM) -> tuple[FloatArray, FloatArray, float]:
    """Design, offset and test level of one level-shift search on ``part``.

    The level; the trend from two years; the model's season from three (with two, a season estimated
    from two cycles and a recent step are confounded); under two years a trend and one harmonic, smooth
    terms that absorb a seasonal swing or growth over the one year seen, which a level alone reads as a
    step (a step is sharp, a season is not). The one harmonic stays from two to three years (a season
    unmodelled over two cycles beside a trend also reads as a step: 104-week false steps 19 -> 6 of 160
    on the stress table); the monthly finite-sample critical values (``MONTHLY_SHIFT_CRITICAL_TABLE``) are
    simulated under this design. The level is 5 % with the model's season in the design, else 1 %
    (docs/method.md, "Level shifts")."""
    year = round(part.periods_per_year)
    size = part.y.size
    seasonal = model.n_harmonics if size >= 3 * year else SHORT_SEARCH_HARMONICS
    trend = (model.trend or size < 2 * year) and model.growth is None
    m = dataclasses.replace(model, n_harmonics=seasonal, trend=trend)
    t_ref = float(part.t[-1])
    X = m.design(part.t, t_ref, part.z)
    off = m.offset(part.t, t_ref, part.log_exposure)
    level = 0.05 if seasonal and size >= 3 * year else 0.01
    return X, off, level


def _window_amplitude(data: _Series, model: NegBinGLM, fit: NegBinFit) -> float:
    """Seasonal amplitude for the unseen-season term of a level measured on the segment the current level
    rests on (:func:`season_amplitude_bound`; degrees of freedom: its periods less the level)."""
    seg = data.segment_length(model.shift_at)
    mean_count = float(np.mean(data.y[-seg:]))
    return season_amplitude_bound(seg / data.periods_per_year, fit.alpha, mean_count, seg - 1.0)


def _growth_lag_draws(
    data: _Series, model: NegBinGLM, tf: FloatArray, J: int, rng: np.random.Generator, data_weight: float
) -> FloatArray:
    """Draws of the lag of the estimated growth behind the current growth, levered from the weighted
    centre of the periods it was estimated on: the whole history without a step or with the GLM trend
    fitted across it (:attr:`NegBinGLM.growth_spans_step`); after the last step otherwise, including a
    year-on-year growth measured after a step (:func:`_level_growth`) whatever ``trend_across_step``
    says. :func:`growth_lag_sd`; it reaches the growth used through the data's weight against the prior
    (:func:`growth_data_weight`)."""
    after = (
        data.t >= model.shift_at
        if model.shift_at is not None and not model.growth_spans_step
        else np.ones(data.y.size, dtype=bool)
    )
    sd, t_c = growth_lag_sd(data.t[after], float(data.t[-1]), data.periods_per_year)
    return rng.normal(0.0, data_weight * sd, size=(1, J)) * ((tf - t_c) / data.periods_per_year)[:, None]


def _shrink_trend(fit: NegBinFit) -> tuple[NegBinFit, list[str]]:
    """Growth prior and cap applied to a fitted trend (column 1), keeping the current level."""
    raw = float(fit.beta[1])
    beta, cov = condition_on_growth_prior(fit.beta, fit.cov, 1)
    capped = capped_log_growth(float(beta[1]))
    beta = beta.copy()
    beta[1] = capped
    notes = [cap_note(raw, capped)] if abs(raw) > math.log1p(GROWTH_CAP) else []
    return dataclasses.replace(fit, beta=beta, cov=cov), notes


def _level_growth(
    data: _Series, model: NegBinGLM, fit: NegBinFit, tf: FloatArray, J: int, rng: np.random.Generator
) -> tuple[NegBinGLM, NegBinFit, FloatArray, float, list[str]]:
    """Growth of a level-only model: year on year when a year and a period follow the last shift, else
    unknown (the prior); the level is refitted with the posterior mean as an offset and the rest of the
    growth's uncertainty is drawn: :math:`(g_j - \\bar g)(t_h - t_c)/P` with :math:`t_c` the mean period
    of the segment the level is measured on. Also returns the weight of the year-on-year estimate against
    the prior (:func:`growth_data_weight`; 0 when growth is unknown)."""
    P = data.periods_per_year
    after = np.ones(data.y.size, dtype=bool) if model.shift_at is None else data.t >= model.shift_at
    le = None if data.log_exposure is None else data.log_exposure[after]
    est = year_on_year_growth(data.y[after], P, log_exposure=le, alpha=fit.alpha)
    notes: list[str] = []
    weight = 0.0
    if est is None:
        mean, var = 0.0, GROWTH_PRIOR_SD**2
    else:
        mean, var = est.posterior()
        weight = growth_data_weight(est.variance)
        capped = capped_log_growth(mean)
        if abs(est.log_growth) > math.log1p(GROWTH_CAP):
            notes.append(cap_note(est.log_growth, capped))
        mean = capped
        grown = dataclasses.replace(model, growth=math.expm1(mean), growth_source="year-on-year")
        refit = data.fit(grown)
        if refit is not None:
            model, fit = grown, refit
    t_c = float(data.t[after].mean())
    extra = rng.normal(0.0, math.sqrt(var), size=(1, J)) * ((tf - t_c) / P)[:, None]
    return model, fit, extra, weight, notes
