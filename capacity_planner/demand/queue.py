"""Waiting-list maths for capacity planning (queue load, targets, relief capacity, simulation).

The closed-form functions follow the NHS-R community R package ``NHSRwaitinglist`` (CRAN
0.1.2, functions ``calc_queue_load``, ``calc_target_mean_wait``, ``calc_target_queue_size``,
``calc_relief_capacity``, ``calc_target_capacity`` and ``calc_waiting_list_pressure``), which
implements the approach of Fong K, Mushtaq Y, House T, Gordon D, Chen Y, Griffiths D, Ahmad S,
Walton N (2022), *Understanding Waiting Lists Pressures*, medRxiv,
doi:10.1101/2022.08.23.22279117. See ``docs/method_queue.md`` for the sources, the version of each
formula and worked numbers.

Units: every rate and every time must use the same time unit. The package and this module use
**weeks**: demand and capacity in patients per week, waits and targets in weeks.

All closed-form functions accept floats or NumPy arrays (broadcast together, element-wise) and
return a Python ``float`` when every argument is a scalar, otherwise a ``float64`` array.
Invalid input (negative demand, zero capacity, non-positive target wait, NaN, infinity, text...)
raises :class:`ValueError` naming the argument.

:func:`simulate_waiting_list` is a seeded week-by-week FIFO simulation of one waiting list; it is
fully vectorised (no Python loop over weeks or patients).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final, Literal, overload

import numpy as np
import numpy.typing as npt

__all__ = [
    "TargetCapacityFormula",
    "WaitingListSimulation",
    "queue_load",
    "relief_capacity",
    "simulate_waiting_list",
    "target_capacity",
    "target_mean_wait",
    "target_queue_size",
    "waiting_list_pressure",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
TargetCapacityFormula = Literal["kingman", "fong2022"]

TWO_WEEK_WAIT_WEEKS: Final = 2.0
"""The rapid-access (two-week-wait) standard: seen within 14 days = 2 weeks."""

_MAX_DEFAULT_SPREAD_WEEKS: Final = 5200
"""Longest default spread (100 years) of an initial list over past referral weeks."""

_ZERO_WEEK_MEAN_WAIT: Final = 1.0 / 3.0
"""Mean wait (weeks) of a patient referred and seen in the same week (see simulate_waiting_list)."""


# --------------------------------------------------------------------------------------------------
# input checking
# --------------------------------------------------------------------------------------------------


def _as_array(name: str, value: Any, *, strictly_positive: bool, unit: str) -> FloatArray:
    """``value`` as a finite float64 array, >= 0 (> 0 if ``strictly_positive``), else ValueError."""
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError) as exc:  # pragma: no cover - ragged sequences
        raise ValueError(f"{name} must be a number or an array of numbers; got {value!r}") from exc
    if raw.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be a number or an array of numbers; got {value!r}")
    arr = raw.astype(np.float64, copy=False)
    finite = np.isfinite(arr)
    if not finite.all():
        bad = arr[~finite].flat[0]
        raise ValueError(f"{name} must be finite ({unit}); got {bad}")
    invalid = arr <= 0 if strictly_positive else arr < 0
    if invalid.any():
        bad = arr[invalid].flat[0]
        need = "> 0" if strictly_positive else ">= 0"
        raise ValueError(f"{name} must be {need} ({unit}); got {bad}")
    return arr


def _out(arr: FloatArray) -> float | FloatArray:
    """A Python float for a 0-d result, the array otherwise."""
    return float(arr) if arr.ndim == 0 else arr


def _broadcast(*arrays: FloatArray) -> None:
    """Raise ValueError (not NumPy's message) when the arguments cannot be broadcast together."""
    try:
        np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError as exc:
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise ValueError(f"array arguments have incompatible shapes: {shapes}") from exc


# --------------------------------------------------------------------------------------------------
# closed-form formulas
# --------------------------------------------------------------------------------------------------


@overload
def queue_load(demand: float, capacity: float) -> float: ...
@overload
def queue_load(demand: npt.ArrayLike, capacity: npt.ArrayLike) -> float | FloatArray: ...
def queue_load(demand: npt.ArrayLike, capacity: npt.ArrayLike) -> float | FloatArray:
    r"""Queue load: arrivals per removal, the ratio of demand to capacity.

    .. math:: \rho = \frac{D}{C}

    Implements ``NHSRwaitinglist::calc_queue_load`` (CRAN 0.1.2; Fong et al. 2022, Facts 1-2). A
    load above 1 means the list grows without limit; below 1 the list is stable and the load is the
    share of time the list is non-empty.

    Parameters
    ----------
    demand : float or array_like
        Additions to the list, patients per week (>= 0).
    capacity : float or array_like
        Removals the service can make, patients per week (> 0).

    Returns
    -------
    float or numpy.ndarray
        Load (dimensionless).

    Raises
    ------
    ValueError
        If demand < 0, capacity <= 0, or either is not a finite number.

    Examples
    --------
    The ENT walkthrough of NHSRwaitinglist: 30 referrals and 27 operations a week.

    >>> round(queue_load(30, 27), 4)
    1.1111
    """
    d = _as_array("demand", demand, strictly_positive=False, unit="patients per week")
    c = _as_array("capacity", capacity, strictly_positive=True, unit="patients per week")
    _broadcast(d, c)
    return _out(np.asarray(d / c, dtype=np.float64))


@overload
def target_mean_wait(target_wait: float, factor: float = 4) -> float: ...
@overload
def target_mean_wait(
    target_wait: npt.ArrayLike, factor: npt.ArrayLike = 4
) -> float | FloatArray: ...
def target_mean_wait(target_wait: npt.ArrayLike, factor: npt.ArrayLike = 4) -> float | FloatArray:
    r"""Target mean wait: the mean wait that makes a waiting-time target achievable.

    .. math:: \bar W_{\text{target}} = \frac{T}{f}

    Implements ``NHSRwaitinglist::calc_target_mean_wait`` (CRAN 0.1.2; Fong et al. 2022, Fact 4:
    for a 1.8 %-0.2 % chance of missing the target the mean wait should be between a quarter
    (``f = 4``) and a sixth (``f = 6``) of the target).

    Parameters
    ----------
    target_wait : float or array_like
        Waiting-time target ``T``, weeks (> 0).
    factor : float or array_like, default 4
        Divisor ``f`` (> 0); 4 for a quarter of the target, 6 for a sixth.

    Returns
    -------
    float or numpy.ndarray
        Target mean wait, weeks.

    Examples
    --------
    >>> target_mean_wait(52)
    13.0
    """
    t = _as_array("target_wait", target_wait, strictly_positive=True, unit="weeks")
    f = _as_array("factor", factor, strictly_positive=True, unit="dimensionless")
    _broadcast(t, f)
    return _out(np.asarray(t / f, dtype=np.float64))


@overload
def target_queue_size(demand: float, target_wait: float, factor: float = 4) -> float: ...
@overload
def target_queue_size(
    demand: npt.ArrayLike, target_wait: npt.ArrayLike, factor: npt.ArrayLike = 4
) -> float | FloatArray: ...
def target_queue_size(
    demand: npt.ArrayLike, target_wait: npt.ArrayLike, factor: npt.ArrayLike = 4
) -> float | FloatArray:
    r"""Target queue size by Little's law: demand times the target mean wait.

    .. math:: L_{\text{target}} = D \cdot \frac{T}{f}

    Implements ``NHSRwaitinglist::calc_target_queue_size`` (CRAN 0.1.2; Fong et al. 2022,
    Facts 5-6). Only meaningful when capacity exceeds demand (a stable list).

    Parameters
    ----------
    demand : float or array_like
        Additions to the list, patients per week (>= 0).
    target_wait : float or array_like
        Waiting-time target ``T``, weeks (> 0).
    factor : float or array_like, default 4
        Divisor ``f`` of the target giving the target mean wait (> 0).

    Returns
    -------
    float or numpy.ndarray
        Target list size, patients.

    Examples
    --------
    >>> target_queue_size(30, 52)
    390.0
    """
    d = _as_array("demand", demand, strictly_positive=False, unit="patients per week")
    t = _as_array("target_wait", target_wait, strictly_positive=True, unit="weeks")
    f = _as_array("factor", factor, strictly_positive=True, unit="dimensionless")
    _broadcast(d, t, f)
    return _out(np.asarray(d * (t / f), dtype=np.float64))


@overload
def relief_capacity(
    demand: float, queue_size: float, target_queue_size: float, weeks_to_target: float
) -> float: ...
@overload
def relief_capacity(
    demand: npt.ArrayLike,
    queue_size: npt.ArrayLike,
    target_queue_size: npt.ArrayLike,
    weeks_to_target: npt.ArrayLike,
) -> float | FloatArray: ...
def relief_capacity(
    demand: npt.ArrayLike,
    queue_size: npt.ArrayLike,
    target_queue_size: npt.ArrayLike,
    weeks_to_target: npt.ArrayLike,
) -> float | FloatArray:
    r"""Relief capacity: the temporary capacity that brings the list to its target size in time.

    .. math:: C_{\text{relief}} = D + \frac{Q - L_{\text{target}}}{t}

    Implements ``NHSRwaitinglist::calc_relief_capacity`` (CRAN 0.1.2, with its defaults
    ``num_referrals = 0``, i.e. no inflation of demand for estimation error; Fong et al. 2022,
    Fact 7). The paper advises relief capacity when the list is more than twice its target size. The
    result is not clipped: a value below ``demand`` means the list is already below its target size.

    Parameters
    ----------
    demand : float or array_like
        Additions to the list, patients per week (>= 0).
    queue_size : float or array_like
        Patients on the list now, ``Q`` (>= 0).
    target_queue_size : float or array_like
        Target list size, patients (>= 0); see :func:`target_queue_size`.
    weeks_to_target : float or array_like
        Weeks in which to reach the target size, ``t`` (> 0).

    Returns
    -------
    float or numpy.ndarray
        Capacity needed over the relief period, patients per week.

    Examples
    --------
    The ENT walkthrough: 30 a week, 1,200 waiting, target size 390, 26 weeks.

    >>> round(relief_capacity(30, 1200, 390, 26), 2)
    61.15
    """
    d = _as_array("demand", demand, strictly_positive=False, unit="patients per week")
    q = _as_array("queue_size", queue_size, strictly_positive=False, unit="patients")
    lt = _as_array("target_queue_size", target_queue_size, strictly_positive=False, unit="patients")
    t = _as_array("weeks_to_target", weeks_to_target, strictly_positive=True, unit="weeks")
    _broadcast(d, q, lt, t)
    return _out(np.asarray(d + (q - lt) / t, dtype=np.float64))


@overload
def target_capacity(
    demand: float,
    target_wait: float,
    factor: float = 4,
    cv_demand: float = 1,
    cv_capacity: float = 1,
    *,
    formula: TargetCapacityFormula = "kingman",
    variability_f: float | None = None,
) -> float: ...
@overload
def target_capacity(
    demand: npt.ArrayLike,
    target_wait: npt.ArrayLike,
    factor: npt.ArrayLike = 4,
    cv_demand: npt.ArrayLike = 1,
    cv_capacity: npt.ArrayLike = 1,
    *,
    formula: TargetCapacityFormula = "kingman",
    variability_f: npt.ArrayLike | None = None,
) -> float | FloatArray: ...
def target_capacity(
    demand: npt.ArrayLike,
    target_wait: npt.ArrayLike,
    factor: npt.ArrayLike = 4,
    cv_demand: npt.ArrayLike = 1,
    cv_capacity: npt.ArrayLike = 1,
    *,
    formula: TargetCapacityFormula = "kingman",
    variability_f: npt.ArrayLike | None = None,
) -> float | FloatArray:
    r"""Target capacity: the steady capacity that keeps the mean wait at ``target_wait / factor``.

    Two versions of this formula are in circulation; ``formula`` picks one.

    ``formula="kingman"`` (default) - the current package version, ``calc_target_capacity`` of
    NHSRwaitinglist CRAN 0.1.2 (Kingman's heavy-traffic approximation, called "Kingman/Marchal's
    formula" in the package):

    .. math:: C = D + \frac{c_a^2 + c_s^2}{2} \cdot \frac{f}{T}

    where :math:`c_a` is the coefficient of variation of the time between arrivals (``cv_demand``),
    :math:`c_s` that of the time between removals (``cv_capacity``) and :math:`T/f` the target mean
    wait. It follows from :math:`W \approx \frac{c_a^2 + c_s^2}{2} \cdot \frac{1}{C - D}` for a load
    near 1. With Poisson arrivals and memoryless service (:math:`c_a = c_s = 1`) it reduces to the
    M/M/1 sojourn time :math:`W = 1/(C - D)`. (The package's help page writes the formula without
    the ``/ 2``; its code and its own unit test include it, and so does this function.)

    ``formula="fong2022"`` - the original version, as printed in the white paper's Fact 8 and
    implemented by the package's earlier ``target_capacity()``:

    .. math:: C = D + \frac{2\,(1 + 4F)}{T}

    where :math:`F` (``variability_f``, default 1) is the white paper's variability coefficient,
    given in the earlier package as :math:`F = \frac{V}{C}\left(\frac{D}{C}\right)^2` (:math:`V`
    the variance of weekly operations, :math:`C` current weekly operations). ``factor``,
    ``cv_demand`` and ``cv_capacity`` are not used by this version (they are still validated).

    Parameters
    ----------
    demand : float or array_like
        Additions to the list ``D``, patients per week (>= 0).
    target_wait : float or array_like
        Waiting-time target ``T``, weeks (> 0).
    factor : float or array_like, default 4
        Divisor ``f`` of the target giving the target mean wait (> 0). "kingman" only.
    cv_demand : float or array_like, default 1
        Coefficient of variation of inter-arrival times (>= 0; 1 for Poisson referrals).
        "kingman" only.
    cv_capacity : float or array_like, default 1
        Coefficient of variation of inter-removal times (>= 0; 1 for memoryless removals).
        "kingman" only.
    formula : {"kingman", "fong2022"}, default "kingman"
        Which published version to apply (see above).
    variability_f : float or array_like, optional
        The white paper's ``F`` (>= 0), default 1. Only allowed with ``formula="fong2022"``.

    Returns
    -------
    float or numpy.ndarray
        Capacity needed to hold the target in the long run, patients per week.

    Raises
    ------
    ValueError
        On invalid numbers, an unknown ``formula``, or ``variability_f`` given with "kingman".

    Examples
    --------
    >>> round(target_capacity(30, 52), 4)  # 30 + (1 + 1)/2 * 4/52
    30.0769
    >>> round(target_capacity(30, 52, formula="fong2022", variability_f=3), 4)  # 30 + 2*13/52
    30.5
    """
    d = _as_array("demand", demand, strictly_positive=False, unit="patients per week")
    t = _as_array("target_wait", target_wait, strictly_positive=True, unit="weeks")
    f = _as_array("factor", factor, strictly_positive=True, unit="dimensionless")
    ca = _as_array("cv_demand", cv_demand, strictly_positive=False, unit="dimensionless")
    cs = _as_array("cv_capacity", cv_capacity, strictly_positive=False, unit="dimensionless")
    if formula == "kingman":
        if variability_f is not None:
            raise ValueError(
                "variability_f is the F of formula='fong2022'; with formula='kingman' give "
                "cv_demand and cv_capacity instead"
            )
        _broadcast(d, t, f, ca, cs)
        return _out(np.asarray(d + (ca**2 + cs**2) / 2 * (f / t), dtype=np.float64))
    if formula == "fong2022":
        big_f = _as_array(
            "variability_f",
            1.0 if variability_f is None else variability_f,
            strictly_positive=False,
            unit="dimensionless",
        )
        _broadcast(d, t, big_f)
        return _out(np.asarray(d + 2 * (1 + 4 * big_f) / t, dtype=np.float64))
    raise ValueError(f"formula must be 'kingman' or 'fong2022'; got {formula!r}")


@overload
def waiting_list_pressure(mean_wait: float, target_wait: float) -> float: ...
@overload
def waiting_list_pressure(
    mean_wait: npt.ArrayLike, target_wait: npt.ArrayLike
) -> float | FloatArray: ...
def waiting_list_pressure(
    mean_wait: npt.ArrayLike, target_wait: npt.ArrayLike
) -> float | FloatArray:
    r"""Waiting-list pressure: twice the mean wait over the target.

    .. math:: P = \frac{2 \bar W}{T}

    Implements ``NHSRwaitinglist::calc_waiting_list_pressure`` (CRAN 0.1.2; Fong et al. 2022,
    Fact 9). A pressure above 1 means the list will most likely miss its target; pressures compare
    lists with different targets.

    Parameters
    ----------
    mean_wait : float or array_like
        Current mean wait, weeks (>= 0).
    target_wait : float or array_like
        Waiting-time target ``T``, weeks (> 0).

    Returns
    -------
    float or numpy.ndarray
        Pressure (dimensionless).

    Examples
    --------
    >>> round(waiting_list_pressure(63, 52), 4)  # the P4 ENT list of the walkthrough
    2.4231
    """
    w = _as_array("mean_wait", mean_wait, strictly_positive=False, unit="weeks")
    t = _as_array("target_wait", target_wait, strictly_positive=True, unit="weeks")
    _broadcast(w, t)
    return _out(np.asarray(2 * w / t, dtype=np.float64))


# --------------------------------------------------------------------------------------------------
# simulation
# --------------------------------------------------------------------------------------------------


def _exceed_probability(k: IntArray, threshold: float) -> FloatArray:
    """P(wait > threshold) for a patient referred in week ``a`` and seen in week ``a + k``.

    Referral and removal times are taken as independent and uniform within their weeks, so the wait
    is ``k + U_s - U_a``: ``k`` plus a triangular(-1, 0, 1) term for ``k >= 1``; for ``k = 0`` (seen
    in the referral week, removal after referral) it is ``|U_s - U_a|`` with survival ``(1 - x)^2``.
    """
    kf = k.astype(np.float64)
    d = np.clip(threshold - kf, -1.0, 1.0)
    cdf_tri = np.where(d <= 0, (1 + d) ** 2 / 2, 1 - (1 - d) ** 2 / 2)
    same_week = np.where(threshold < 0, 1.0, (1 - min(max(threshold, 0.0), 1.0)) ** 2)
    return np.where(k == 0, same_week, 1 - cdf_tri)


def _is_whole(value: object) -> bool:
    """True for an ``int`` or NumPy integer (not a bool)."""
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _readonly(arr: npt.NDArray[Any]) -> npt.NDArray[Any]:
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True, slots=True)
class WaitingListSimulation:
    """Result of :func:`simulate_waiting_list`. Arrays are read-only.

    Weeks are numbered 1..``weeks``; index 0 of the ``weeks + 1``-long arrays is the start (the
    initial list). Waits are in weeks.

    Attributes
    ----------
    weeks : int
        Simulated weeks.
    seed : int or None
        Seed of ``numpy.random.default_rng``.
    target_wait_weeks : float
        The waiting-time target used for the shares below.
    list_size : numpy.ndarray of int64, shape (weeks + 1,)
        Patients on the list at the end of each week (index 0: initial list).
    over_target_on_list : numpy.ndarray of float64, shape (weeks + 1,)
        Expected number on the list at the end of each week who have waited longer than the target.
    arrivals : numpy.ndarray of int64, shape (weeks,)
        Referrals (additions) in each week.
    capacity : numpy.ndarray of int64, shape (weeks,)
        Removal slots offered in each week.
    seen : numpy.ndarray of int64, shape (weeks,)
        Patients removed (seen) in each week; ``min(slots, patients available)``.
    seen_by_weeks_waited : numpy.ndarray of int64
        ``seen_by_weeks_waited[k]`` = patients seen ``k`` weeks after their referral week
        (``k = 0``: seen in the week of referral).
    mean_wait_seen : float
        Mean wait of the patients seen, weeks (NaN if nobody was seen).
    share_seen_beyond_target : float
        Share of patients seen who waited longer than the target (NaN if nobody was seen).
    share_on_list_beyond_target : float
        Share of the final list who have waited longer than the target (NaN if the list is empty).
    two_week_wait_breach : float
        Share of patients seen later than 14 days (2 weeks) after referral - the breach probability
        of a rapid-access (two-week-wait) standard (NaN if nobody was seen).
    """

    weeks: int
    seed: int | None
    target_wait_weeks: float
    list_size: IntArray
    over_target_on_list: FloatArray
    arrivals: IntArray
    capacity: IntArray
    seen: IntArray
    seen_by_weeks_waited: IntArray
    mean_wait_seen: float
    share_seen_beyond_target: float
    share_on_list_beyond_target: float
    two_week_wait_breach: float

    def share_seen_later_than(self, threshold_weeks: float) -> float:
        """Share of patients seen who waited longer than ``threshold_weeks`` (NaN if none seen).

        Uses the within-week timing of :func:`simulate_waiting_list` (referral and removal times
        uniform within their weeks), so fractional thresholds (e.g. 10 days = 10/7 weeks) work.
        """
        if not math.isfinite(threshold_weeks):
            raise ValueError(f"threshold_weeks must be finite; got {threshold_weeks}")
        total = int(self.seen_by_weeks_waited.sum())
        if total == 0:
            return math.nan
        k = np.arange(self.seen_by_weeks_waited.size, dtype=np.int64)
        p = _exceed_probability(k, threshold_weeks)
        return float(np.dot(self.seen_by_weeks_waited, p) / total)


def _initial_cohorts(
    initial_queue: int | npt.ArrayLike,
    initial_age: Literal["uniform", "zero"],
    initial_spread_weeks: int | None,
    mean_demand: float,
) -> IntArray:
    """Counts of the initial list by completed weeks waited (index 0 = 0 weeks)."""
    raw = np.asarray(initial_queue)
    if raw.dtype.kind not in "iuf" or raw.ndim > 1:
        raise ValueError(
            "initial_queue must be a whole number of patients or a 1-D array of counts by weeks "
            f"waited; got {initial_queue!r}"
        )
    if not np.all(np.isfinite(raw)) or np.any(raw < 0) or np.any(raw != np.round(raw)):
        raise ValueError(
            f"initial_queue must hold whole numbers >= 0 (patients); got {initial_queue!r}"
        )
    if initial_age not in ("uniform", "zero"):
        raise ValueError(f"initial_age must be 'uniform' or 'zero'; got {initial_age!r}")
    if raw.ndim == 1:  # already by weeks waited
        if raw.size == 0:
            raise ValueError("initial_queue as an array must have at least one element")
        return raw.astype(np.int64)
    q0 = int(raw)
    if initial_age == "zero" or q0 == 0:
        return np.array([q0], dtype=np.int64)
    if initial_spread_weeks is None:
        if mean_demand <= 0:
            raise ValueError(
                "initial_age='uniform' with zero demand needs initial_spread_weeks (the weeks over "
                "which the initial list was referred)"
            )
        weeks_to_refer = q0 / mean_demand
        if weeks_to_refer > _MAX_DEFAULT_SPREAD_WEEKS:
            raise ValueError(
                f"initial_age='uniform': {q0} patients at {mean_demand:g} a week would have been "
                f"referred over more than {_MAX_DEFAULT_SPREAD_WEEKS} weeks; give "
                "initial_spread_weeks or an initial_queue array by weeks waited"
            )
        spread = max(1, math.ceil(weeks_to_refer))
    else:
        if not _is_whole(initial_spread_weeks) or initial_spread_weeks < 1:
            raise ValueError(
                "initial_spread_weeks must be a whole number >= 1 (weeks); "
                f"got {initial_spread_weeks!r}"
            )
        spread = int(initial_spread_weeks)
    counts = np.full(spread, q0 // spread, dtype=np.int64)
    counts[: q0 % spread] += 1  # remainder to the most recent weeks
    return counts


def _per_week(name: str, value: npt.ArrayLike, weeks: int) -> FloatArray:
    arr = _as_array(name, value, strictly_positive=False, unit="patients per week")
    if arr.ndim == 0:
        return np.full(weeks, float(arr))
    if arr.shape != (weeks,):
        raise ValueError(
            f"{name} as an array must have one value per week (length {weeks}); "
            f"got shape {arr.shape}"
        )
    return arr


def simulate_waiting_list(
    weekly_demand: npt.ArrayLike,
    weekly_capacity: npt.ArrayLike,
    initial_queue: int | npt.ArrayLike,
    target_wait_weeks: float,
    weeks: int,
    seed: int | None,
    *,
    capacity_model: Literal["poisson", "fixed"] = "poisson",
    initial_age: Literal["uniform", "zero"] = "uniform",
    initial_spread_weeks: int | None = None,
) -> WaitingListSimulation:
    r"""Simulate one first-in-first-out waiting list week by week.

    Model
    -----
    * Referrals in week :math:`t` are Poisson with mean ``weekly_demand`` (scalar or one value per
      week), drawn from ``numpy.random.default_rng(seed)``.
    * Removal slots in week :math:`t`: ``capacity_model="poisson"`` (default) draws them Poisson
      with mean ``weekly_capacity`` - the memoryless removals (``cv_capacity = 1``) assumed by
      :func:`target_capacity`'s defaults; ``"fixed"`` gives exactly ``weekly_capacity`` a week, a
      fractional value being spread deterministically (slots :math:`\lfloor \sum_{i \le t} c_i
      \rfloor - \lfloor \sum_{i < t} c_i \rfloor`, e.g. 5.5 gives 5, 6, 5, 6, ...). Capacity is
      drawn after demand from the same generator.
    * Referrals join the list before the week's removals, so a patient can be seen in the week of
      referral. Slots are used first-in-first-out; unused slots are lost. The list size follows
      Lindley's recursion :math:`Q_t = \max(Q_{t-1} + A_t - S_t, 0)`.
    * Initial list: ``initial_queue`` patients. With ``initial_age="uniform"`` (default) they were
      referred evenly over the previous ``initial_spread_weeks`` weeks (default
      :math:`\lceil Q_0 / \bar D \rceil`, the spread a FIFO list has when referrals arrive at the
      mean demand); with ``"zero"`` all have waited 0 completed weeks. ``initial_queue`` may also be
      a 1-D array of counts by completed weeks waited (``[n_0, n_1, ...]``, e.g. an RTT census).
    * Waits: referral and removal times are uniform within their weeks, so a patient referred in
      week :math:`a` and seen in week :math:`a + k` waits :math:`k + U_s - U_a` weeks (mean
      :math:`k`), or :math:`|U_s - U_a|` (mean 1/3 week) when :math:`k = 0`. Breach shares are
      the exact expectations under this assumption (not further random draws), so a target that is
      a whole number of weeks counts half of the patients seen exactly ``target`` weeks after their
      referral week. A patient on the list at the end of week :math:`t` referred in week :math:`a`
      has waited between :math:`t - a` and :math:`t - a + 1` weeks.

    The simulation is vectorised: the list follows from the running minimum of the free random walk
    and the (referral week, removal week) pairs from merging cumulative referral and removal counts
    (``numpy.searchsorted``); there is no Python loop over weeks or patients.

    Parameters
    ----------
    weekly_demand : float or array_like
        Mean referrals per week (>= 0), scalar or one value per week.
    weekly_capacity : float or array_like
        Mean (Poisson) or exact (fixed) removal slots per week (>= 0), scalar or one per week.
    initial_queue : int or array_like of int
        Patients on the list at the start, or counts by completed weeks waited.
    target_wait_weeks : float
        Waiting-time target for the breach shares, weeks (> 0).
    weeks : int
        Weeks to simulate (>= 1).
    seed : int or None
        Seed for ``numpy.random.default_rng``; ``None`` for a fresh, non-reproducible stream.
    capacity_model : {"poisson", "fixed"}, default "poisson"
        How weekly removal slots vary (see Model).
    initial_age : {"uniform", "zero"}, default "uniform"
        How long the initial list has waited, if ``initial_queue`` is a single number.
    initial_spread_weeks : int, optional
        Weeks over which the initial list was referred, for ``initial_age="uniform"``.

    Returns
    -------
    WaitingListSimulation

    Raises
    ------
    ValueError
        On invalid arguments.

    Examples
    --------
    >>> sim = simulate_waiting_list(30, 61.15, 1200, 52, weeks=26, seed=1, capacity_model="fixed")
    >>> bool(abs(sim.list_size[-1] - 390) < 100)  # relief capacity reaches the target size
    True
    """
    if not _is_whole(weeks) or weeks < 1:
        raise ValueError(f"weeks must be a whole number >= 1; got {weeks!r}")
    weeks = int(weeks)
    if seed is not None and not _is_whole(seed):
        raise ValueError(f"seed must be an integer or None; got {seed!r}")
    if capacity_model not in ("poisson", "fixed"):
        raise ValueError(f"capacity_model must be 'poisson' or 'fixed'; got {capacity_model!r}")
    target_arr = _as_array(
        "target_wait_weeks", target_wait_weeks, strictly_positive=True, unit="weeks"
    )
    if target_arr.ndim != 0:
        raise ValueError(f"target_wait_weeks must be a single number; got {target_wait_weeks!r}")
    target = float(target_arr)
    lam = _per_week("weekly_demand", weekly_demand, weeks)
    mu = _per_week("weekly_capacity", weekly_capacity, weeks)
    n0 = _initial_cohorts(initial_queue, initial_age, initial_spread_weeks, float(lam.mean()))

    rng = np.random.default_rng(seed)
    arrivals = rng.poisson(lam).astype(np.int64)
    if capacity_model == "poisson":
        slots = rng.poisson(mu).astype(np.int64)
    else:
        cum = np.floor(np.concatenate(([0.0], np.cumsum(mu))) + 1e-9).astype(np.int64)
        slots = np.diff(cum)

    # List size: Lindley recursion via the running minimum of the free walk W_t = Q0 + sum(A - S).
    q0 = int(n0.sum())
    walk = q0 + np.concatenate(([0], np.cumsum(arrivals - slots)))
    list_size = walk - np.minimum(np.minimum.accumulate(walk), 0)
    cum_arrivals = np.concatenate(([0], np.cumsum(arrivals)))
    departed = q0 + cum_arrivals - list_size  # D_t: cumulative removals, D_0 = 0
    seen = np.diff(departed)

    # Cohorts in FIFO order, oldest first: initial ones (referral weeks -(m-1)..0), then 1..weeks.
    m = n0.size
    cohort_week = np.concatenate((np.arange(-(m - 1), 1), np.arange(1, weeks + 1))).astype(np.int64)
    cohort_count = np.concatenate((n0[::-1], arrivals))
    cum_cohort = np.cumsum(cohort_count)

    # Merge the patient-ordinal boundaries of cohorts and of weekly removals; each segment between
    # consecutive boundaries is a block of patients with one referral week and one removal week.
    total_removed = int(departed[-1])
    bounds = np.union1d(cum_cohort[cum_cohort <= total_removed], departed)
    lengths = np.diff(bounds)
    right = bounds[1:]
    ref_week = cohort_week[np.searchsorted(cum_cohort, right, side="left")]
    seen_week = np.searchsorted(departed, right, side="left")  # first t with D_t >= ordinal
    waited = (seen_week - ref_week).astype(np.int64)
    seen_by_weeks_waited = np.bincount(waited, weights=lengths, minlength=1).astype(np.int64)

    # Expected number over target on the list at the end of each week t = 0..weeks: cohorts referred
    # in weeks <= t - ceil(target) count fully, the next one with weight ceil(target) - target.
    t_all = np.arange(weeks + 1, dtype=np.int64)
    ceil_t = math.ceil(target)

    def remaining_up_to(week: IntArray) -> FloatArray:
        idx = week - cohort_week[0]
        cum = np.where(idx < 0, 0, cum_cohort[np.clip(idx, 0, cum_cohort.size - 1)])
        return np.maximum(cum - departed, 0).astype(np.float64)

    full = remaining_up_to(t_all - ceil_t)
    partial = remaining_up_to(t_all - ceil_t + 1) - full
    over_target = full + (ceil_t - target) * partial

    n_seen = int(seen_by_weeks_waited.sum())
    k = np.arange(seen_by_weeks_waited.size, dtype=np.int64)
    if n_seen:
        mean_wait_k = np.where(k == 0, _ZERO_WEEK_MEAN_WAIT, k.astype(np.float64))
        mean_wait = float(np.dot(seen_by_weeks_waited, mean_wait_k) / n_seen)
        share_seen = float(np.dot(seen_by_weeks_waited, _exceed_probability(k, target)) / n_seen)
        p_2ww = _exceed_probability(k, TWO_WEEK_WAIT_WEEKS)
        tww = float(np.dot(seen_by_weeks_waited, p_2ww) / n_seen)
    else:
        mean_wait = share_seen = tww = math.nan
    final = int(list_size[-1])
    share_list = float(over_target[-1] / final) if final else math.nan

    return WaitingListSimulation(
        weeks=weeks,
        seed=None if seed is None else int(seed),
        target_wait_weeks=target,
        list_size=_readonly(list_size.astype(np.int64)),
        over_target_on_list=_readonly(over_target),
        arrivals=_readonly(arrivals),
        capacity=_readonly(slots),
        seen=_readonly(seen.astype(np.int64)),
        seen_by_weeks_waited=_readonly(seen_by_weeks_waited),
        mean_wait_seen=mean_wait,
        share_seen_beyond_target=share_seen,
        share_on_list_beyond_target=share_list,
        two_week_wait_breach=tww,
    )
