r"""Numeric kernels of the demand forecast: the robust negative-binomial (NB2) GLM and its predictive draws.

Pure NumPy/SciPy functions on arrays, with no dates and no pandas: :func:`design_matrix` (intercept,
trend, Fourier seasonality, regressors), :func:`negbin_loglik`, :func:`fit_negbin` (robust IRLS with a
Pearson moment estimate of the dispersion, returning a :class:`NegBinFit`) and :func:`predictive_draws`
(parameter uncertainty plus Gamma-Poisson counts). The model, the fitting method and the predictive
distribution are described in the docstring of :mod:`capacity_planner.demand.forecast`, which wraps these
kernels in forecast models.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import special

__all__ = [
    "HUBER_C",
    "MAX_RHO",
    "NegBinFit",
    "design_matrix",
    "fit_negbin",
    "lag1_autocorrelation",
    "long_run_factor",
    "negbin_loglik",
    "predictive_draws",
    "recency_weights",
    "usable_regressors",
]

FloatArray = npt.NDArray[np.float64]

HUBER_C: Final = 3.0
MAX_RHO: Final = 0.8
"""Largest lag-1 autocorrelation used in the long-run variance factor."""


def design_matrix(
    t: npt.ArrayLike,
    periods_per_year: float,
    *,
    t_ref: float,
    trend: bool,
    n_harmonics: int,
    regressors: npt.ArrayLike | None = None,
) -> FloatArray:
    r"""Columns ``[1, (t - t_ref)/P, sin(2πkt/P), cos(2πkt/P) for k = 1..K, regressors...]``.

    Parameters
    ----------
    t : array_like
        Period indices (periods since a fixed epoch, so the seasonal phase follows the calendar).
    periods_per_year : float
        :math:`P` (52.18 for weeks, 12 for months).
    t_ref : float
        Reference period of the trend (the last training period).
    trend : bool
        Include the log-linear trend column (years since ``t_ref``).
    n_harmonics : int
        :math:`K` >= 0.
    regressors : array_like, optional
        Extra columns, shape (n,) or (n, m).
    """
    tt = np.asarray(t, dtype=np.float64)
    cols = [np.ones_like(tt)]
    if trend:
        cols.append((tt - t_ref) / periods_per_year)
    for k in range(1, n_harmonics + 1):
        angle = 2.0 * np.pi * k * tt / periods_per_year
        cols += [np.sin(angle), np.cos(angle)]
    out = np.column_stack(cols)
    if regressors is not None:
        z = np.asarray(regressors, dtype=np.float64).reshape(tt.size, -1)
        out = np.hstack([out, z])
    return out


def usable_regressors(
    regressors: npt.ArrayLike | None, regressors_future: npt.ArrayLike | None, n: int, H: int, enough: bool
) -> tuple[FloatArray | None, FloatArray | None]:
    """Training and future regressors, keeping the columns that vary in the ``n`` training periods; none
    when either is missing or ``enough`` is false (under a year of history)."""
    if regressors is None or regressors_future is None or not enough:
        return None, None
    z = np.asarray(regressors, dtype=np.float64).reshape(n, -1)
    zf = np.asarray(regressors_future, np.float64).reshape(H, -1)
    keep = np.ptp(z, axis=0) > 1e-9
    return (z[:, keep], zf[:, keep]) if keep.any() else (None, None)


def recency_weights(
    t: npt.ArrayLike, t_ref: float, periods_per_year: float, half_life_years: float
) -> FloatArray:
    r"""Prior weights of a recency-weighted fit, by whole years back: 1 over the last year, and each year
    before it halving every ``half_life_years`` (:math:`h`) years,

    .. math:: w_t = 2^{-\lfloor (t_{\mathrm{ref}} - t)/P \rfloor / h}

    (docs/method.md, "Recency weighting"). Each year's periods share one weight, so every year is a whole
    seasonal cycle weighed evenly, and a history of a year or less is fitted as before.

    Examples
    --------
    >>> recency_weights([0.0, 12.0, 13.0, 24.0, 25.0, 36.0], 36.0, 12.0, 1.0).tolist()  # 36 ... 0 months back
    [0.125, 0.25, 0.5, 0.5, 1.0, 1.0]
    """
    tt = np.asarray(t, dtype=np.float64)
    years_back = np.floor((t_ref - tt) / periods_per_year + 1e-9)
    return np.asarray(0.5 ** (np.maximum(years_back, 0.0) / half_life_years), dtype=np.float64)


def negbin_loglik(y: FloatArray, mu: FloatArray, alpha: float) -> float:
    r"""NB2 log-likelihood :math:`\sum_t \log p(y_t \mid \mu_t, \alpha)` (Poisson when ``alpha == 0``)."""
    mu = np.maximum(mu, 1e-300)
    if alpha <= 1e-10:
        return float(np.sum(y * np.log(mu) - mu - special.gammaln(y + 1)))
    inv = 1.0 / alpha
    return float(
        np.sum(
            special.gammaln(y + inv)
            - special.gammaln(inv)
            - special.gammaln(y + 1)
            + y * np.log(alpha * mu / (1 + alpha * mu))
            - inv * np.log1p(alpha * mu)
        )
    )


def _kappa(c: float) -> float:
    r""":math:`E\min(Z^2, c^2)` for standard normal :math:`Z` (consistency of the clipped moment)."""
    tail = 2 * float(special.ndtr(-c))  # P(|Z| > c); scipy.stats is not imported (about 2 s at start-up)
    pdf = math.exp(-c * c / 2) / math.sqrt(2 * math.pi)
    return (1 - tail) - 2 * c * pdf + c * c * tail


_KAPPA_C: Final = _kappa(HUBER_C)


def _solve_alpha(
    y: FloatArray, mu: FloatArray, dof: float, c: float, start: float = 0.0, weights: FloatArray | None = None
) -> float:
    """Pearson moment estimate of alpha with residuals clipped at ``c`` (Newton on a monotone equation);
    ``weights`` (mean 1) weight each period's clipped squared residual."""
    sq = (y - mu) ** 2 * (1.0 if weights is None else weights)
    target = _KAPPA_C * dof
    cut = c * c * (1.0 if weights is None else weights)

    def excess(a: float) -> tuple[float, float]:
        v = mu * (1 + a * mu)
        r2 = sq / v
        inside = r2 < cut
        g = float(np.sum(np.where(inside, r2, cut))) - target
        dg = float(-np.sum(np.where(inside, r2 * mu / (1 + a * mu), 0.0)))
        return g, dg

    g0, _ = excess(0.0)
    if g0 <= 0 or dof <= 0:
        return 0.0
    a = start if start > 0 else max(1e-6, g0 / max(float(np.sum(mu**2)), 1e-12))
    lo, hi = 0.0, math.inf
    for _ in range(60):
        g, dg = excess(a)
        if g > 0:
            lo = a
        else:
            hi = a
        step = a - g / dg if dg < 0 else math.nan
        nxt = step if (lo < step < hi) else (2 * a if hi == math.inf else 0.5 * (lo + hi))
        if abs(nxt - a) <= 1e-10 + 1e-7 * a:
            return float(nxt)
        a = nxt
    return float(a)


@dataclass(frozen=True)
class NegBinFit:
    """A fitted robust NB2 GLM: coefficients ``beta``, covariance ``cov`` (inflated by ``phi``), ``alpha``,
    log-likelihood ``loglik``, Pearson residuals' lag-1 autocorrelation ``rho1``."""

    beta: FloatArray
    cov: FloatArray
    alpha: float
    loglik: float
    n: int
    rho1: float
    phi: float
    converged: bool

    @property
    def aic(self) -> float:
        """Akaike information criterion, counting alpha as a parameter."""
        return -2.0 * self.loglik + 2.0 * (self.beta.size + 1)


def fit_negbin(
    y: npt.ArrayLike,
    X: npt.ArrayLike,
    offset: npt.ArrayLike | None = None,
    *,
    huber_c: float = HUBER_C,
    max_iter: int = 100,
    tol: float = 1e-8,
    prior_weights: npt.ArrayLike | None = None,
    dispersion_mask: npt.ArrayLike | None = None,
) -> NegBinFit:
    r"""Robust NB2 regression with log link by IRLS (see :mod:`capacity_planner.demand.forecast`).

    Parameters
    ----------
    y : array_like
        Counts (>= 0), shape (n,).
    X : array_like
        Design matrix, shape (n, p), full column rank.
    offset : array_like, optional
        Known part of the linear predictor, shape (n,).
    huber_c : float, default 3
        Huber tuning constant on Pearson residuals.
    max_iter, tol : int, float
        IRLS stopping rule (largest change in a coefficient, plus the relative change in alpha).
    dispersion_mask : array_like of bool, optional
        Observations that estimate :math:`\alpha` and the residual autocorrelation (e.g. the periods after
        a level shift: the regime being forecast); all when omitted.
    prior_weights : array_like, optional
        Observation weights (e.g. to discount old periods); the covariance is then the sandwich
        :math:`B^{-1} M B^{-1}` with :math:`B = X^\top W X`, :math:`M = X^\top W^2 V^{-1} X`, and the
        dispersion equation weighs each period's clipped squared residual by its weight (scaled to mean 1
        over the dispersion periods, so the degrees of freedom are unchanged).

    Returns
    -------
    NegBinFit

    Raises
    ------
    numpy.linalg.LinAlgError
        If the design is singular.
    """
    yy = np.asarray(y, dtype=np.float64)
    XX = np.asarray(X, dtype=np.float64)
    off = np.zeros_like(yy) if offset is None else np.asarray(offset, dtype=np.float64)
    n, p = XX.shape
    pw = np.ones(n) if prior_weights is None else np.asarray(prior_weights, dtype=np.float64)
    dm = np.ones(n, dtype=bool) if dispersion_mask is None else np.asarray(dispersion_mask, dtype=bool)
    dof = max(float(dm.sum()) - p + (0 if dm.all() else 1), 1.0)
    alpha_w = None if prior_weights is None else pw[dm] / float(pw[dm].mean())
    mean = max(float(yy.mean()), 1e-3) if n else 1.0
    beta = np.linalg.lstsq(XX, np.log(np.maximum(yy, 0.5 * mean)) - off, rcond=None)[0]
    beta = np.where(np.isfinite(beta), beta, 0.0)
    alpha = 0.0
    converged = False
    for _ in range(max_iter):
        eta = np.clip(XX @ beta + off, -30, 30)
        mu = np.exp(eta)
        var = mu * (1 + alpha * mu)
        r = (yy - mu) / np.sqrt(var)
        hub = np.minimum(1.0, huber_c / np.maximum(np.abs(r), 1e-12))
        w = pw * hub * mu * mu / var
        z = eta - off + (yy - mu) / mu
        xtw = XX.T * w
        new_beta = np.linalg.solve(xtw @ XX + 1e-10 * np.eye(p), xtw @ z)
        mu_new = np.exp(np.clip(XX @ new_beta + off, -30, 30))
        new_alpha = _solve_alpha(yy[dm], mu_new[dm], dof, huber_c, alpha, alpha_w)
        delta = float(np.max(np.abs(new_beta - beta))) + abs(new_alpha - alpha) / (1 + alpha)
        beta, alpha = new_beta, new_alpha
        if delta < tol:
            converged = True
            break
    mu = np.exp(np.clip(XX @ beta + off, -30, 30))
    var = mu * (1 + alpha * mu)
    info = (XX.T * (pw * mu * mu / var)) @ XX
    bread = np.linalg.inv(info + 1e-12 * np.eye(p))
    meat = (XX.T * (pw * pw * mu * mu / var)) @ XX
    cov = bread @ meat @ bread
    r = (yy - mu) / np.sqrt(var)
    rho1 = lag1_autocorrelation(np.clip(r[dm], -huber_c, huber_c))
    phi = long_run_factor(rho1)
    return NegBinFit(
        beta=np.asarray(beta, dtype=np.float64),
        cov=cov * phi,
        alpha=float(alpha),
        loglik=negbin_loglik(yy, mu, alpha),
        n=n,
        rho1=rho1,
        phi=phi,
        converged=converged,
    )


def lag1_autocorrelation(r: FloatArray) -> float:
    r"""Lag-1 autocorrelation :math:`\sum_t d_t d_{t-1} / \sum_t d_t^2` of ``r`` (:math:`d = r - \bar r`); 0
    for fewer than three values or a constant series.

    Examples
    --------
    >>> round(lag1_autocorrelation(np.array([1.0, 2.0, 3.0, 4.0])), 4)  # d = -1.5 -.5 .5 1.5: 1.25/5
    0.25
    """
    if r.size < 3:
        return 0.0
    d = r - r.mean()
    den = float(np.dot(d, d))
    return float(np.dot(d[1:], d[:-1]) / den) if den > 0 else 0.0


def long_run_factor(rho1: float) -> float:
    r""":math:`\phi = (1 + \rho)/(1 - \rho)` with :math:`\rho = \min(\max(\rho_1, 0), 0.8)`: the variance of a
    mean of an AR(1) series relative to independent values."""
    rho = min(max(rho1, 0.0), MAX_RHO)
    return (1 + rho) / (1 - rho)


def predictive_draws(
    fit: NegBinFit,
    X_future: FloatArray,
    offset_future: FloatArray,
    n_draws: int,
    rng: np.random.Generator,
    extra_eta: FloatArray | None = None,
) -> FloatArray:
    r"""Draws from the predictive distribution, shape (H, n_draws): parameters from
    :math:`N(\hat\beta, \Sigma)`, then NB2 counts as a Gamma-Poisson mixture
    (:mod:`capacity_planner.demand.forecast`). ``extra_eta`` (H, n_draws) adds drawn terms to the linear
    predictor that the fit does not carry (growth or level uncertainty from outside the GLM)."""
    h = X_future.shape[0]
    try:
        chol = np.linalg.cholesky(fit.cov + 1e-14 * np.eye(fit.cov.shape[0]))
    except np.linalg.LinAlgError:
        vals, vecs = np.linalg.eigh(fit.cov)
        chol = vecs * np.sqrt(np.maximum(vals, 0.0))
    betas = fit.beta[:, None] + chol @ rng.standard_normal((fit.beta.size, n_draws))
    eta = X_future @ betas + offset_future[:, None]
    if extra_eta is not None:
        eta = eta + extra_eta
    eta = np.clip(eta, -30, 30)
    mu = np.exp(eta)
    if fit.alpha > 1e-10:
        mu = rng.gamma(1.0 / fit.alpha, fit.alpha * mu)
    return rng.poisson(mu).astype(np.float64).reshape(h, n_draws)
