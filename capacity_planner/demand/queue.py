"""Waiting-list maths for capacity planning (queue load, targets, relief capacity, simulation).

The closed-form functions follow the NHS-R community R package ``NHSRwaitinglist`` (CRAN
0.1.2, functions ``calc_queue_load``, ``calc_target_mean_wait``, ``calc_target_queue_size``,
``calc_relief_capacity``, ``calc_target_capacity`` and ``calc_waiting_list_pressure``), which
implements the approach of Fong K, Mushtaq Y, House T, Gordon D, Chen Y, Griffiths D, Ahmad S,
Walton N (2022), *Understanding Waiting Lists Pressures*, medRxiv,
doi:10.1101/2022.08.23.22279117. See docs/method.md ("Waiting-list maths") for the sources, the version
of each formula and worked numbers.

Units: every rate and every time must use the same time unit. The package and this module use
**weeks**: demand and capacity in patients per week, waits and targets in weeks.

All closed-form functions accept floats or NumPy arrays (broadcast together, element-wise) and
return a Python ``float`` when every argument is a scalar, otherwise a ``float64`` array.
Invalid input (negative demand, zero capacity, non-positive target wait, NaN, infinity, text...)
raises :class:`ValueError` naming the argument.

:func:`simulate_waiting_list` (a seeded week-by-week FIFO simulation of one waiting list) and
:class:`WaitingListSimulation` live in :mod:`~capacity_planner.demand.queue_sim` (import them from
there).
"""

from __future__ import annotations

from typing import Literal, overload

import numpy as np
import numpy.typing as npt

from capacity_planner.demand._arrays import FloatArray, _as_array, _broadcast, _out

__all__ = [
    "TargetCapacityFormula",
    "queue_load",
    "relief_capacity",
    "target_capacity",
    "target_mean_wait",
    "target_queue_size",
    "waiting_list_pressure",
]

TargetCapacityFormula = Literal["kingman", "fong2022"]


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
