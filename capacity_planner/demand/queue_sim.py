"""Seeded week-by-week FIFO simulation of one waiting list.

:func:`simulate_waiting_list` draws Poisson referrals and (Poisson or fixed) removal slots week by week,
follows the list first-in-first-out, and returns a :class:`WaitingListSimulation` with the list size, the
patients seen by weeks waited, the mean wait and the shares beyond the target (and beyond two weeks). It is
fully vectorised (no Python loop over weeks or patients). Waits are in **weeks**, rates in patients per
week, as in :mod:`~capacity_planner.demand.queue`, which holds the closed-form formulas.

See ``docs/method.md``, section "Waiting-list maths", for the model and its sources.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt

from capacity_planner.demand._arrays import FloatArray, _as_array

__all__ = [
    "WaitingListSimulation",
    "simulate_waiting_list",
]

IntArray = npt.NDArray[np.int64]

TWO_WEEK_WAIT_WEEKS: Final = 2.0
"""The rapid-access (two-week-wait) standard: seen within 14 days = 2 weeks."""

_MAX_DEFAULT_SPREAD_WEEKS: Final = 5200
"""Longest default spread (100 years) of an initial list over past referral weeks."""

_ZERO_WEEK_MEAN_WAIT: Final = 1.0 / 3.0
"""Mean wait (weeks) of a patient referred and seen in the same week (see simulate_waiting_list)."""


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
      :func:`~capacity_planner.demand.queue.target_capacity`'s defaults; ``"fixed"`` gives exactly
      ``weekly_capacity`` a week, a fractional value being spread deterministically
      (slots :math:`\lfloor \sum_{i \le t} c_i \rfloor - \lfloor \sum_{i < t} c_i \rfloor`,
      e.g. 5.5 gives 5, 6, 5, 6, ...). Capacity is drawn after demand from the same generator.
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
