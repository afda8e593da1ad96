r"""Forecast objects of the demand model: :class:`SeriesForecast` (what every model returns), the naive
:class:`EmpiricalRecent` and the robust NB2 GLM :class:`NegBinGLM` (its maths: the docstring of
:mod:`capacity_planner.demand.forecast`, which chooses among them)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Final

import numpy as np
import numpy.typing as npt

from capacity_planner.demand.forecast_kernels import (
    NegBinFit,
    design_matrix,
    fit_negbin,
    predictive_draws,
    recency_weights,
)

__all__ = [
    "BAND",
    "RECENCY_HALF_LIFE_YEARS",
    "EmpiricalRecent",
    "NegBinGLM",
    "SeriesForecast",
    "quantile_average",
    "zero_forecast",
]

FloatArray = npt.NDArray[np.float64]

BAND: Final = (0.10, 0.90)
"""Per-period predictive band reported as ``lower``/``upper`` (an 80 % interval)."""
RECENCY_HALF_LIFE_YEARS: Final = 1.0
"""Half-life, in years, of the weights of the years before the last in the fit (1 over the last year,
1/2 the year before, ...; :func:`~capacity_planner.demand.forecast_kernels.recency_weights`;
docs/method.md, "Recency weighting")."""


# --------------------------------------------------------------------------------------------------
# forecast objects
# --------------------------------------------------------------------------------------------------


def quantile_average(fc: SeriesForecast, other: SeriesForecast, weight: float) -> SeriesForecast:
    r"""The quantile average of two forecasts of the same horizon: quantile function
    :math:`Q(p) = w\,Q_{\mathrm{fc}}(p) + (1 - w)\,Q_{\mathrm{other}}(p)` of the pooled sample, ``fc``'s
    model and notes (Lichtendahl, Grushka-Cockayne and Winkler, *Management Science* 59, 2013:
    averaging quantiles; the pinball loss is convex in the quantile, so the average's loss is at most
    the weighted average of the two losses).

    Each of ``fc``'s draws is moved to the average's quantile at its own rank, so the draws keep their
    order, their period and their dependence on other series' draws (:func:`~capacity_planner.demand.
    sizing.combine_forecasts` adds samples draw by draw): the draw of rank :math:`i` of :math:`N`
    becomes :math:`w x_{(i)} + (1 - w)\,Q_{\mathrm{other}}(i/(N - 1))` (``numpy.quantile``, linear),
    and the ``linear`` quantiles of the result are the average's. The mean and the per-period band are
    averaged likewise.

    Parameters
    ----------
    fc, other : SeriesForecast
        The forecasts (``other``'s sample may have any length, e.g. a year of values).
    weight : float
        :math:`w`, the weight of ``fc`` (0 to 1).

    Returns
    -------
    SeriesForecast

    Examples
    --------
    >>> a = SeriesForecast("m", np.ones(2), np.ones(2), np.ones(2), np.array([4.0, 0.0, 2.0]))
    >>> b = SeriesForecast("n", np.full(2, 3.0), np.ones(2), np.ones(2), np.array([10.0, 20.0]))
    >>> quantile_average(a, b, 0.5).sample.tolist()  # ranks 2, 0, 1: (4 + 20)/2, (0 + 10)/2, (2 + 15)/2
    [12.0, 5.0, 8.5]
    """
    x = fc.sample
    if x.size == 0 or other.sample.size == 0:
        return fc
    ranks = np.empty(x.size, dtype=np.float64)
    ranks[np.argsort(x, kind="stable")] = np.arange(x.size, dtype=np.float64)
    q_other = np.quantile(other.sample, ranks / max(x.size - 1, 1))
    w = float(weight)
    return replace(
        fc,
        mean=w * fc.mean + (1.0 - w) * other.mean,
        lower=w * fc.lower + (1.0 - w) * other.lower,
        upper=w * fc.upper + (1.0 - w) * other.upper,
        sample=w * x + (1.0 - w) * q_other,
    )


@dataclass(frozen=True)
class SeriesForecast:
    r"""Forecast of one series over a horizon.

    Attributes
    ----------
    model : str
        e.g. ``trend+season+negbin``, ``mean+negbin``, ``empirical``, ``zero``.
    mean : ndarray
        Point forecast per future period (plug-in mean :math:`e^{x_h^\top\hat\beta + o_h}`), units of y.
    lower, upper : ndarray
        Per-period 10th and 90th centiles of the predictive distribution.
    sample : ndarray
        Pooled sample of the predictive distribution of one period's value over the horizon.
    annual_growth : float or None
        :math:`e^{\beta_1} - 1` (or the given rate); None for models without a trend.
    growth_given : bool
        True when the growth rate came from the settings.
    dispersion : float
        NB2 :math:`\alpha`.
    n_harmonics : int
        Fourier harmonics used.
    n_train : int
        Training periods.
    notes : tuple of str
        Plain-language remarks (fallbacks, level shift, flat trend).
    shift_at : float or None
        Period from which a detected level shift applies.
    """

    model: str
    mean: FloatArray
    lower: FloatArray
    upper: FloatArray
    sample: FloatArray
    annual_growth: float | None = None
    growth_given: bool = False
    dispersion: float = 0.0
    n_harmonics: int = 0
    n_train: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)
    shift_at: float | None = None

    @property
    def mean_per_period(self) -> float:
        """Mean over the horizon of the point forecast."""
        return float(self.mean.mean()) if self.mean.size else 0.0

    def quantile(self, q: float, method: str = "linear") -> float:
        """The ``q`` quantile of one period's value pooled over the horizon (``numpy.quantile`` method)."""
        if self.sample.size == 0:
            return 0.0
        return float(np.quantile(self.sample, q, method=method))  # type: ignore[call-overload]


def zero_forecast(horizon: int, n_train: int, model: str = "zero") -> SeriesForecast:
    """No demand over ``horizon`` periods (``model``: ``zero`` for an all-zero history, ``none`` for none)."""
    z = np.zeros(horizon)
    return SeriesForecast(model=model, mean=z, lower=z, upper=z, sample=np.zeros(1), n_train=n_train)


@dataclass(frozen=True)
class EmpiricalRecent:
    """The naive model: the last year of values as the distribution of next year's values.

    ``mean`` is their mean; the pooled sample is the values themselves, so ``quantile`` is
    ``numpy.quantile(last_year, q, method)`` — the baseline of the back-test.
    """

    periods_per_year: float

    def forecast(self, y: npt.ArrayLike, horizon: int) -> SeriesForecast:
        """Forecast ``horizon`` periods from the last ``round(periods_per_year)`` values of ``y``."""
        yy = np.asarray(y, dtype=np.float64)
        n = round(self.periods_per_year)
        recent = yy[-n:]
        if recent.size == 0:
            return zero_forecast(horizon, 0, "empirical")
        lo, hi = np.quantile(recent, BAND)
        return SeriesForecast(
            model="empirical",
            mean=np.full(horizon, recent.mean()),
            lower=np.full(horizon, lo),
            upper=np.full(horizon, hi),
            sample=recent.copy(),
            n_train=yy.size,
        )


@dataclass(frozen=True)
class NegBinGLM:
    """Robust NB2 GLM with optional trend, Fourier seasonality and regressors (module docstring).

    Parameters
    ----------
    periods_per_year : float
        52.18 (:data:`WEEKS_PER_YEAR`) for weekly series, 12 for monthly.
    trend : bool
    n_harmonics : int
    growth : float, optional
        Annual growth rate to impose instead of estimating the trend (as an offset).
    shift_at : float, optional
        Period from which a level step applies; the trend is then fitted after it only (constant before).
    growth_source : str
        Where an imposed ``growth`` came from: ``given`` (settings) or ``year-on-year`` (estimated).
    earlier_shifts : tuple of float
        Periods of level steps found before ``shift_at`` (a dip, then its recovery): each regime before
        the last step gets its own level, so it does not distort the season and trend fitted with it.
    half_life_years : float or None
        Half-life, in years, of the weights of the years before the last
        (:data:`RECENCY_HALF_LIFE_YEARS`); None weighs every period alike.
    trend_across_step : bool
        With ``shift_at``: the estimated trend, or a given ``growth``, runs over the whole history, the
        step a regressor beside it (one growth rate before and after the step), instead of after the
        step only (:attr:`growth_spans_step`). A year-on-year ``growth`` is measured after the step and
        applies from the step on whatever this says.
    """

    periods_per_year: float
    trend: bool = True
    n_harmonics: int = 0
    growth: float | None = None
    shift_at: float | None = None
    growth_source: str = "given"
    earlier_shifts: tuple[float, ...] = ()
    half_life_years: float | None = RECENCY_HALF_LIFE_YEARS
    trend_across_step: bool = False

    @property
    def growth_spans_step(self) -> bool:
        """Whether the growth runs across the level step at ``shift_at`` (whole history) rather than from
        it on: with ``trend_across_step``, for the estimated trend and a given growth, not a year-on-year
        growth (estimated on the periods after the step) nor a level-only model."""
        if self.shift_at is None or not self.trend_across_step:
            return False
        if self.growth is None:
            return self.trend
        return self.growth_source == "given"

    @property
    def name(self) -> str:
        """Model label, e.g. ``trend+season+negbin``."""
        parts = []
        if self.growth is not None:
            parts.append("given-growth" if self.growth_source == "given" else "yoy-growth")
        elif self.trend:
            parts.append("trend")
        if self.n_harmonics:
            parts.append("season")
        if self.shift_at is not None:
            parts.append("shift")
        if not parts or parts == ["shift"]:
            parts.insert(0, "mean")
        return "+".join([*parts, "negbin"])

    def design(self, t: FloatArray, t_ref: float, z: FloatArray | None) -> FloatArray:
        """The model's design matrix at periods ``t``.

        Parameters
        ----------
        t : ndarray
            Periods (the series' own index, e.g. weeks).
        t_ref : float
            Trend reference period (the last fitted period): the trend column is 0 there.
        z : ndarray or None
            Extra regressors, one column each.

        Returns
        -------
        ndarray
            One row per period: intercept, trend when estimated (years from ``t_ref``; after the shift
            only when there is one, unless ``trend_across_step``), seasonal harmonics, regressors, then
            the shift step and each earlier regime's step (0/1).
        """
        X = design_matrix(
            t,
            self.periods_per_year,
            t_ref=t_ref,
            trend=self.trend and self.growth is None,
            n_harmonics=self.n_harmonics,
            regressors=z,
        )
        if self.shift_at is not None:
            if self.trend and self.growth is None and not self.growth_spans_step:  # after the shift only
                X[:, 1] = (np.maximum(t, self.shift_at) - t_ref) / self.periods_per_year
            X = np.column_stack([X, (t >= self.shift_at).astype(np.float64)])
            for b in self.earlier_shifts:  # each earlier regime its own level (constant in the future)
                X = np.column_stack([X, (t >= b).astype(np.float64)])
        return X

    def offset(self, t: FloatArray, t_ref: float, log_exposure: FloatArray | None) -> FloatArray:
        """The linear predictor's fixed offset at periods ``t``.

        Parameters
        ----------
        t : ndarray
            Periods.
        t_ref : float
            Trend reference period (the last fitted period).
        log_exposure : ndarray or None
            Log of the exposure per period (e.g. log working days), or None for none.

        Returns
        -------
        ndarray
            ``log_exposure`` plus, with an imposed ``growth``, :math:`\\log(1 + g)(t - t_\\mathrm{ref})/P`
            per period: over the whole history, or held at its value at the shift before the shift when
            there is one and the growth does not span it (:attr:`growth_spans_step`). The future part,
            :math:`t > t_\\mathrm{ref}`, is the same either way: a given growth is the user's rate for the
            forecast; the history is detrended at it on the periods the estimated trend would run over.
        """
        off = np.zeros_like(t) if log_exposure is None else log_exposure.astype(np.float64)
        if self.growth is not None:
            tg = t if self.shift_at is None or self.growth_spans_step else np.maximum(t, self.shift_at)
            off = off + math.log1p(self.growth) * (tg - t_ref) / self.periods_per_year
        return off

    def fit(
        self,
        y: FloatArray,
        t: FloatArray,
        *,
        z: FloatArray | None = None,
        log_exposure: FloatArray | None = None,
    ) -> NegBinFit:
        """Fit to counts ``y`` at periods ``t`` (trend reference: the last period)."""
        t_ref = float(t[-1])
        after = None if self.shift_at is None else t >= self.shift_at
        mask = after if after is not None and after.sum() >= self.periods_per_year / 2 else None
        X = self.design(t, t_ref, z)
        pw = (
            None
            if self.half_life_years is None
            else recency_weights(t, t_ref, self.periods_per_year, self.half_life_years)
        )
        if pw is not None and bool(np.all(pw == 1.0)):  # a year or less: the unweighted fit, bit for bit
            pw = None
        return fit_negbin(y, X, self.offset(t, t_ref, log_exposure), dispersion_mask=mask, prior_weights=pw)

    def forecast_from_fit(
        self,
        fit: NegBinFit,
        t: FloatArray,
        t_future: FloatArray,
        *,
        z_future: FloatArray | None = None,
        log_exposure_future: FloatArray | None = None,
        n_draws: int = 400,
        rng: np.random.Generator | None = None,
        extra_eta: FloatArray | None = None,
    ) -> SeriesForecast:
        """Mean, band and pooled predictive sample over ``t_future`` from a fit made on periods ``t``
        (``extra_eta``: drawn terms added to the linear predictor, see :func:`predictive_draws`)."""
        rng = rng if rng is not None else np.random.default_rng(0)
        t_ref = float(t[-1])
        Xf = self.design(t_future, t_ref, z_future)
        off_f = self.offset(t_future, t_ref, log_exposure_future)
        mean = np.exp(np.clip(Xf @ fit.beta + off_f, -30, 30))
        draws = predictive_draws(fit, Xf, off_f, n_draws, rng, extra_eta)
        lower, upper = np.quantile(draws, BAND, axis=1)
        if self.growth is not None:
            growth: float | None = self.growth
        elif self.trend:
            growth = math.expm1(min(float(fit.beta[1]), 5.0))
        else:
            growth = None
        notes = () if fit.converged else ("the model fit did not fully converge",)
        return SeriesForecast(
            model=self.name,
            mean=mean,
            lower=lower,
            upper=upper,
            sample=draws.ravel(),
            annual_growth=growth,
            growth_given=self.growth is not None and self.growth_source == "given",
            dispersion=fit.alpha,
            n_harmonics=self.n_harmonics,
            n_train=fit.n,
            notes=notes,
            shift_at=self.shift_at,
        )
