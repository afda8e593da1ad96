r"""Statistical process control in the NHS England *Making Data Count* style: XmR (individuals) charts.

Pure numbers (no plotting; :mod:`capacity_planner.report.spc_chart` draws them). The method is the one of
*Making Data Count* (NHS Improvement 2018; NHS England and NHS Improvement 2019) as implemented
by the NHS-R Community's R package NHSRplotthedots (version 0.2.2, ``R/ptd_spc_standard.R`` and
``R/ptd_calculate_point_type.R``); with the default options the numbers here equal that package's. Per
segment (the points between two rebase dates) of :math:`n` points :math:`y_1..y_n`:

.. math::

    \bar y = \frac1n \sum_i y_i, \qquad MR_i = |y_i - y_{i-1}|\ (i \ge 2), \qquad
    \overline{MR} = \operatorname{mean}\{MR_i : MR_i < 3.267\,\overline{MR}_0\}

    \text{limits} = \bar y \pm 2.66\,\overline{MR}, \qquad
    k\sigma \text{ band} = \bar y \pm k\,\tfrac{2.66}{3}\,\overline{MR}

where :math:`\overline{MR}_0` is the mean of all moving ranges (moving ranges at or above
:math:`3.267\,\overline{MR}_0` are screened out once, Nelson 1982; ``screen_outliers=False`` keeps them,
as the Making Data Count Excel tool does). Rules, in the order a point's special cause is reported:
a point beyond a limit; part of a trend of ``trend_length`` (7) points each higher (lower) than the last;
part of two out of three consecutive points beyond the 2-sigma band on the same side, all three on that
side of the mean; part of a run of ``shift_length`` (7) points on one side of the mean (a point on the mean
breaks a run). The full statement, constants and sources are in docs/method.md, "Statistical process
control (Making Data Count)".
"""

from __future__ import annotations

import contextlib
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "ASSURANCE_LABELS",
    "LIMIT_FACTOR",
    "MR_SCREEN_FACTOR",
    "POINT_COLUMNS",
    "SEGMENT_COLUMNS",
    "SIGMA_FACTOR",
    "TRIAL_LIMIT_POINTS",
    "VARIATION_LABELS",
    "SpcOptions",
    "XmrChart",
    "assurance_type",
    "detect_rebase",
    "part_of_run",
    "shift_ends",
    "trend_direction",
    "trend_ends",
    "two_in_three",
    "xmr",
    "xmr_by_group",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
Direction = Literal["increase", "decrease", "neutral"]

LIMIT_FACTOR = 2.66  # 3 / d2, d2 = 1.128 for moving ranges of two points: limits = mean ± 2.66 × mean MR
SIGMA_FACTOR = LIMIT_FACTOR / 3  # one sigma = mean MR / 1.128 = 0.8867 × mean MR (NHSRplotthedots: 2.66/3)
MR_SCREEN_FACTOR = 3.267  # D4: upper limit of the moving-range chart, 3.267 × mean MR
BASELINE_POINTS = 12  # points for locked limits (NHSRplotthedots vignette "Number of points required")
TRIAL_LIMIT_POINTS = 13  # segments with fewer points have trial limits (NHSRplotthedots warning threshold)

VARIATION_LABELS: dict[str, str] = {
    "common_cause": "Common cause variation",
    "improvement_high": "Special cause improvement (high)",
    "improvement_low": "Special cause improvement (low)",
    "concern_high": "Special cause concern (high)",
    "concern_low": "Special cause concern (low)",
    "neutral_high": "Special cause (high), neither good nor bad",
    "neutral_low": "Special cause (low), neither good nor bad",
}
ASSURANCE_LABELS: dict[str, str] = {
    "consistent_pass": "Consistently passes the target",
    "consistent_fail": "Consistently fails the target",
    "inconsistent": "Hit or miss: passes and fails the target by common-cause variation",
}
_DIRECTIONS = ("increase", "decrease", "neutral")
POINT_COLUMNS = (
    "x", "value", "segment", "mean", "moving_range", "moving_range_used", "mean_moving_range", "lpl", "upl",
    "lower_2sigma", "upper_2sigma", "lower_1sigma", "upper_1sigma", "side", "beyond_limits", "near_limits",
    "trend", "two_in_three", "shift", "rule", "direction", "point_type", "target",
)
SEGMENT_COLUMNS = (
    "segment", "start", "end", "n_points", "mean", "mean_moving_range", "lpl", "upl",
    "screened_moving_ranges", "trial_limits", "common_cause", "special_cause_improvement",
    "special_cause_concern", "special_cause_neutral",
)


@dataclass(frozen=True)
class SpcOptions:
    """How an XmR chart is computed; the defaults are NHSRplotthedots' (``ptd_spc``) defaults.

    Attributes
    ----------
    improvement_direction : {"increase", "decrease", "neutral"}
        Which way is better; ``neutral`` when neither is (e.g. demand).
    shift_length : int
        Points in a row on one side of the mean that make a shift (7; 6 is the option the Making Data
        Count Excel tool offers; NHSRplotthedots has 7 only).
    trend_length : int
        Points in a row each higher (or lower) than the last that make a trend (7; 6 optional).
    screen_outliers : bool
        Leave moving ranges at or above 3.267 × mean MR out of the limits (NHSRplotthedots default True;
        the Making Data Count Excel tool does not screen: False reproduces it).
    fix_after_n_points : int, optional
        Compute each segment's mean and limits from its first n points only (baseline); None uses all.
    two_in_three_counts_beyond_limits : bool
        Count points beyond the process limits as "beyond 2 sigma" in the two-in-three rule (Making Data
        Count tools since November 2023, NHSRplotthedots issue #194). False (NHSRplotthedots 0.2.2)
        counts only points between the 2-sigma band and the limits.
    """

    improvement_direction: Direction = "increase"
    shift_length: int = 7
    trend_length: int = 7
    screen_outliers: bool = True
    fix_after_n_points: int | None = None
    two_in_three_counts_beyond_limits: bool = False

    def __post_init__(self) -> None:
        problems = []
        if self.improvement_direction not in _DIRECTIONS:
            problems.append(f"improvement_direction must be one of {', '.join(_DIRECTIONS)}, "
                            f"not {self.improvement_direction!r}")
        for name in ("shift_length", "trend_length"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 3:
                problems.append(f"{name} must be a whole number of points, at least 3, not {value!r}")
        n = self.fix_after_n_points
        if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 2):
            problems.append(f"fix_after_n_points must be a whole number, at least 2, or None, not {n!r}")
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def direction_sign(self) -> int:
        """+1 when higher is better, −1 when lower is better, 0 when neutral."""
        return {"increase": 1, "decrease": -1, "neutral": 0}[self.improvement_direction]


@dataclass(frozen=True, eq=False)
class XmrChart:
    """An XmR chart's numbers.

    Attributes
    ----------
    points : DataFrame
        One row per point in time order: ``x`` (date or position), ``value``, ``segment`` (0, 1, … from
        each rebase), ``mean``, ``moving_range`` (|y_i − y_{i−1}| within the segment; NaN at its start),
        ``moving_range_used`` (counted in the mean moving range: not screened, inside the baseline),
        ``mean_moving_range``, ``lpl``/``upl`` (process limits), ``lower_2sigma``/``upper_2sigma``,
        ``lower_1sigma``/``upper_1sigma``, ``side`` (+1 above the mean, −1 below, 0 on it), one boolean
        column per rule (``beyond_limits``, ``trend``, ``two_in_three``, ``shift``: the point is part of
        that pattern), ``near_limits`` (beyond the 2-sigma band, as the two-in-three rule counts it),
        ``rule`` (the first rule that holds, in the order above; ``""`` for common cause),
        ``direction`` (+1 high, −1 low, 0 common cause), ``point_type`` (``common_cause``,
        ``special_cause_improvement``, ``special_cause_concern``, ``special_cause_neutral_high`` or
        ``special_cause_neutral_low``) and ``target``. Units are those of the values.
    segments : DataFrame
        One row per segment: ``segment``, ``start``, ``end``, ``n_points``, ``mean``,
        ``mean_moving_range``, ``lpl``, ``upl``, ``screened_moving_ranges``, ``trial_limits`` (fewer than
        13 points), counts of ``common_cause``, ``special_cause_improvement``, ``special_cause_concern``
        and ``special_cause_neutral`` points.
    options : SpcOptions
    target : float or None
    variation : str
        The variation icon, from the last point: a key of :data:`VARIATION_LABELS`.
    assurance : str or None
        The assurance icon from the last segment's limits and the target: a key of
        :data:`ASSURANCE_LABELS`; None without a target or when the direction is neutral.
    """

    points: pd.DataFrame
    segments: pd.DataFrame
    options: SpcOptions
    target: float | None
    variation: str
    assurance: str | None
    rebase_ignored: tuple[Any, ...] = field(default=())

    @property
    def variation_label(self) -> str:
        """The variation icon in words."""
        return VARIATION_LABELS[self.variation]

    @property
    def assurance_label(self) -> str | None:
        """The assurance icon in words (None without one)."""
        return ASSURANCE_LABELS[self.assurance] if self.assurance else None


# ---- limits -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Limits:
    mean: float
    mean_mr: float
    moving_range: FloatArray
    used: BoolArray
    base: int  # points the limits are computed from

    @property
    def screened(self) -> int:
        """Moving ranges of the baseline left out by screening."""
        return max(self.base - 1, 0) - int(self.used.sum())

    def band(self, sigmas: float) -> tuple[float, float]:
        """(lower, upper) at ``sigmas`` sigma: 3 sigma is mean ± 2.66 × mean MR."""
        half = LIMIT_FACTOR * self.mean_mr if sigmas == 3 else sigmas * SIGMA_FACTOR * self.mean_mr
        return self.mean - half, self.mean + half


def _segment_limits(y: FloatArray, options: SpcOptions) -> _Limits:
    """Mean and mean moving range of one segment (baseline and screening applied)."""
    n = len(y)
    base = n if options.fix_after_n_points is None else min(n, options.fix_after_n_points)
    mr = np.full(n, np.nan)
    if n > 1:
        mr[1:] = np.abs(np.diff(y))
    used = np.zeros(n, dtype=bool)
    used[1:base] = True
    mean = float(y[:base].mean()) if base else float("nan")
    if not used.any():
        return _Limits(mean, float("nan"), mr, used, base)
    first = float(mr[used].mean())
    # Screening keeps MR < 3.267 × mean MR. When every MR is 0 it would keep none (NHSRplotthedots then
    # has no limits); a constant series keeps its zero ranges and its limits sit on the mean.
    if options.screen_outliers and first > 0:
        used = used & (mr < MR_SCREEN_FACTOR * first)
    return _Limits(mean, float(mr[used].mean()), mr, used, base)


# ---- rules (one small function each; arrays of one segment) -------------------------------------------
def shift_ends(side: IntArray, length: int) -> BoolArray:
    """True at point i when points i−length+1..i are all on the same side of the mean (side ±1, not 0).

    NHSRplotthedots ``ptd_seven_point_one_side_mean`` for ``length = 7``.
    """
    n = len(side)
    out = np.zeros(n, dtype=bool)
    if n < length:
        return out
    windows = np.lib.stride_tricks.sliding_window_view(side, length)
    out[length - 1:] = (windows != 0).all(axis=1) & (windows == windows[:, :1]).all(axis=1)
    return out


def trend_ends(values: FloatArray, length: int) -> IntArray:
    """+1 (−1) at point i when points i−length+1..i each rise (fall) strictly from the last; 0 otherwise.

    A repeated value breaks a trend. NHSRplotthedots ``ptd_seven_point_trend`` for ``length = 7``.
    """
    n = len(values)
    out = np.zeros(n, dtype=np.int64)
    if n < length:
        return out
    steps = np.sign(np.diff(values)).astype(np.int64)
    windows = np.lib.stride_tricks.sliding_window_view(steps, length - 1)
    up = (windows == 1).all(axis=1)
    down = (windows == -1).all(axis=1)
    out[length - 1:] = up.astype(np.int64) - down.astype(np.int64)
    return out


def part_of_run(ends: npt.ArrayLike, length: int) -> BoolArray:
    """True at the points of every pattern of ``length`` points that ends where ``ends`` is non-zero.

    NHSRplotthedots ``ptd_part_of_seven_trend`` (used for trends and shifts) for ``length = 7``.
    """
    flags = np.asarray(ends) != 0
    out = np.zeros(len(flags), dtype=bool)
    for k in range(min(length, len(flags))):  # point i is in a pattern ending at i, i+1, ..., i+length-1
        out[: len(flags) - k] |= flags[k:]
    return out


def trend_direction(values: FloatArray, in_trend: BoolArray) -> IntArray:
    """Direction (+1 rising, −1 falling) of each point in a trend: the step to the next point when that
    point is in the trend too, else the step from the previous one (NHSRplotthedots, issue #171)."""
    n = len(values)
    steps = np.sign(np.diff(values)).astype(np.int64)
    forward = np.append(steps, steps[-1:] if n > 1 else np.zeros(1, dtype=np.int64))[:n]
    backward = np.concatenate([np.zeros(1, dtype=np.int64), steps])[:n]
    next_in = np.append(in_trend[1:], False)
    return np.where(next_in & in_trend, forward, backward)


def two_in_three(near: BoolArray, side: IntArray) -> BoolArray:
    """True at a point beyond the 2-sigma band (``near``) that is in some window of three consecutive
    points of which at least two are beyond the band and all three on the same side of the mean.

    NHSRplotthedots ``ptd_two_in_three`` and ``ptd_part_of_two_in_three``: the third point of the window
    is not flagged unless it is beyond the band itself.
    """
    n = len(near)
    hit = np.zeros(n, dtype=bool)
    if n < 3:
        return hit
    near_w = np.lib.stride_tricks.sliding_window_view(near.astype(np.int64), 3).sum(axis=1)
    side_w = np.abs(np.lib.stride_tricks.sliding_window_view(side, 3).sum(axis=1))
    window = (near_w >= 2) & (side_w == 3)  # window starting at j covers j, j+1, j+2
    for k in range(3):
        hit[k: n - 2 + k] |= window
    return hit & near


def _rules(y: FloatArray, lim: _Limits, options: SpcOptions) -> dict[str, Any]:
    """Every rule's per-point flags and the reported rule and direction for one segment."""
    lpl, upl = lim.band(3)
    lower_2, upper_2 = lim.band(2)
    side = np.sign(y - lim.mean).astype(np.int64)
    beyond = (y > upl) | (y < lpl)
    near = (y > upper_2) | (y < lower_2)
    if not options.two_in_three_counts_beyond_limits:
        near = near & ~beyond
    trend = part_of_run(trend_ends(y, options.trend_length), options.trend_length)
    pair = two_in_three(near, side)
    shift = part_of_run(shift_ends(side, options.shift_length), options.shift_length)
    rising = trend_direction(y, trend) if len(y) else np.zeros(0, dtype=np.int64)
    up_down = np.where(side > 0, 1, -1)
    rule = np.select([beyond, trend, pair, shift], ["beyond_limits", "trend", "two_in_three", "shift"], "")
    high_low = np.where(side == 1, 1, -1)
    direction = np.select([beyond, trend, pair, shift], [high_low, rising, up_down, up_down], 0)
    return {"side": side, "beyond_limits": beyond, "near_limits": near, "trend": trend,
            "two_in_three": pair, "shift": shift, "rule": rule, "direction": direction.astype(np.int64)}


def _point_type(direction: IntArray, options: SpcOptions) -> npt.NDArray[np.str_]:
    """NHSRplotthedots ``ptd_point_type``: special cause high/low oriented by the improvement direction."""
    if options.direction_sign == 0:
        return np.select([direction > 0, direction < 0],
                         ["special_cause_neutral_high", "special_cause_neutral_low"], "common_cause")
    oriented = direction * options.direction_sign
    return np.select([oriented > 0, oriented < 0], ["special_cause_improvement", "special_cause_concern"],
                     "common_cause")


# ---- icons --------------------------------------------------------------------------------------------
def variation_icon(point_type: str, options: SpcOptions) -> str:
    """The variation icon for the last point's type (NHSRplotthedots ``ptd_get_icons``)."""
    high_is_good = options.improvement_direction == "increase"
    return {
        "common_cause": "common_cause",
        "special_cause_neutral_high": "neutral_high",
        "special_cause_neutral_low": "neutral_low",
        "special_cause_improvement": "improvement_high" if high_is_good else "improvement_low",
        "special_cause_concern": "concern_low" if high_is_good else "concern_high",
    }[point_type]


def assurance_type(target: float | None, lpl: float, upl: float, direction: Direction) -> str | None:
    """Assurance against a target from the (last) process limits (NHSRplotthedots
    ``ptd_calculate_assurance_type``): the target outside the limits means every point will pass (or
    fail); inside them, hitting it is down to common-cause variation. None without a target, with a
    neutral direction or without limits."""
    if target is None or direction == "neutral" or not (np.isfinite(lpl) and np.isfinite(upl)):
        return None
    increasing = direction == "increase"
    if target > upl:
        return "consistent_fail" if increasing else "consistent_pass"
    if target < lpl:
        return "consistent_pass" if increasing else "consistent_fail"
    return "inconsistent"


# ---- the chart ----------------------------------------------------------------------------------------
def _segment_ids(x: pd.Index, rebase: Sequence[Any]) -> tuple[IntArray, tuple[Any, ...]]:
    """Segment number of each point: a rebase starts a new segment at the first point on or after it.
    Rebase values on or before the first point, or after the last, start nothing (returned as ignored)."""
    starts = np.zeros(len(x), dtype=np.int64)
    ignored = []
    for value in rebase:
        key = pd.Timestamp(value) if isinstance(x, pd.DatetimeIndex) else value
        pos = int(x.searchsorted(key, side="left"))
        if pos <= 0 or pos >= len(x):
            ignored.append(value)
        else:
            starts[pos] = 1
    return np.cumsum(starts), tuple(ignored)


def _as_index(dates: npt.ArrayLike | pd.Index | pd.Series | None, n: int) -> pd.Index:
    if dates is None:
        return pd.RangeIndex(n)
    index: pd.Index = pd.Index(np.asarray(dates) if not isinstance(dates, pd.Index | pd.Series) else dates)
    if index.dtype == object:
        with contextlib.suppress(ValueError, TypeError):
            index = pd.DatetimeIndex(pd.to_datetime(index))
    if len(index) != n:
        raise ValueError(f"dates has {len(index)} values but values has {n}")
    return index


def xmr(
    values: npt.ArrayLike,
    dates: npt.ArrayLike | pd.Index | pd.Series | None = None,
    *,
    rebase: Sequence[Any] = (),
    target: float | None = None,
    options: SpcOptions | None = None,
) -> XmrChart:
    """Compute an XmR chart with the Making Data Count rules.

    Parameters
    ----------
    values : array_like of float
        The measure, one value per period (any unit); no missing values.
    dates : array_like, optional
        The period of each value (dates or numbers, distinct); points are put in date order. Default:
        positions 0..n−1.
    rebase : sequence
        Change points (dates, or positions without dates, stated or detected): each starts a new segment
        with its own mean and limits at the first point on or after it.
    target : float, optional
        The target, in the values' unit, for the assurance icon.
    options : SpcOptions, optional
        Rules and screening; default NHSRplotthedots' defaults.

    Returns
    -------
    XmrChart

    Raises
    ------
    ValueError
        Missing or infinite values, repeated dates, or mismatched lengths (every problem in one message).
    """
    options = options or SpcOptions()
    y = np.asarray(values, dtype=np.float64).ravel()
    index = _as_index(dates, len(y))
    problems = []
    bad = ~np.isfinite(y)
    if bad.any():
        where = ", ".join(str(v) for v in index[bad][:5])
        problems.append(f"{int(bad.sum())} value(s) are missing or infinite (at {where})")
    if index.has_duplicates:
        problems.append(f"dates repeat: {', '.join(str(v) for v in index[index.duplicated()][:5])}")
    if target is not None and not np.isfinite(target):
        problems.append(f"target must be a finite number, not {target!r}")
    if problems:
        raise ValueError("; ".join(problems))
    order = np.argsort(np.asarray(index), kind="stable")
    y, index = y[order], index[order]
    segment, ignored = _segment_ids(index, rebase)
    columns: dict[str, list[Any]] = {}
    seg_rows = []
    for seg in range(int(segment.max()) + 1 if len(y) else 0):
        mask = segment == seg
        ys = y[mask]
        lim = _segment_limits(ys, options)
        rules = _rules(ys, lim, options)
        ptype = _point_type(rules["direction"], options)
        m = len(ys)
        part = {"mean": np.full(m, lim.mean), "moving_range": lim.moving_range, "moving_range_used": lim.used,
                "mean_moving_range": np.full(m, lim.mean_mr)}
        for sigmas, (low, high) in ((3, ("lpl", "upl")), (2, ("lower_2sigma", "upper_2sigma")),
                                    (1, ("lower_1sigma", "upper_1sigma"))):
            lower, upper = lim.band(sigmas)
            part[low], part[high] = np.full(m, lower), np.full(m, upper)
        part.update(rules)
        part["point_type"] = ptype
        for key, arr in part.items():
            columns.setdefault(key, []).extend(np.asarray(arr).tolist())
        xs = index[mask]
        counts = pd.Series(ptype).value_counts()
        seg_rows.append({
            "segment": seg, "start": xs[0], "end": xs[-1], "n_points": len(ys), "mean": lim.mean,
            "mean_moving_range": lim.mean_mr, "lpl": lim.band(3)[0], "upl": lim.band(3)[1],
            "screened_moving_ranges": lim.screened,
            "trial_limits": len(ys) < TRIAL_LIMIT_POINTS,
            "common_cause": int(counts.get("common_cause", 0)),
            "special_cause_improvement": int(counts.get("special_cause_improvement", 0)),
            "special_cause_concern": int(counts.get("special_cause_concern", 0)),
            "special_cause_neutral": int(counts.get("special_cause_neutral_high", 0)
                                         + counts.get("special_cause_neutral_low", 0)),
        })
    points = pd.DataFrame({"x": index, "value": y, "segment": segment, **columns})
    points = points.astype({c: bool for c in ("moving_range_used", "beyond_limits", "near_limits", "trend",
                                               "two_in_three", "shift")} if len(points) else {})
    points["target"] = np.nan if target is None else float(target)
    segments = pd.DataFrame(seg_rows)
    if len(points) == 0:
        empty_points = points.reindex(columns=list(POINT_COLUMNS))
        empty_segments = pd.DataFrame(columns=list(SEGMENT_COLUMNS))
        return XmrChart(empty_points, empty_segments, options, target, "common_cause", None, ignored)
    last = segments.iloc[-1]
    direction = options.improvement_direction
    return XmrChart(
        points=points,
        segments=segments,
        options=options,
        target=None if target is None else float(target),
        variation=variation_icon(str(points["point_type"].iloc[-1]), options),
        assurance=assurance_type(target, float(last["lpl"]), float(last["upl"]), direction),
        rebase_ignored=ignored,
    )


def _sustained_run_starts(side: IntArray, length: int) -> list[int]:
    """Start of every maximal run of at least ``length`` points on one side of the mean."""
    starts = []
    i = 0
    while i < len(side):
        j = i
        while j + 1 < len(side) and side[j + 1] == side[i]:
            j += 1
        if side[i] != 0 and j - i + 1 >= length:
            starts.append(i)
        i = j + 1
    return starts


def detect_rebase(
    values: npt.ArrayLike,
    dates: npt.ArrayLike | pd.Index | pd.Series | None = None,
    *,
    rebase: Sequence[Any] = (),
    options: SpcOptions | None = None,
    min_points: int = BASELINE_POINTS,
) -> tuple[Any, ...]:
    """Suggested change points: the starts of sustained shifts, where limits would be revised.

    Following NHSRplotthedots' vignette "Number of points required" (limits are locked once there are 12
    points "until … a long run above or below the mean. At this point, if we understand the cause … revise
    the limits from the start of the long run"): repeatedly, in the first segment that has one, take the
    start of the first run of at least ``shift_length`` points on one side of the mean that leaves at least
    ``min_points`` points before it and from it to the segment's end, and rebase there. A suggestion to
    check against what changed in the service, not a substitute for knowing why.

    Returns
    -------
    tuple
        The new change points (dates, or positions without dates), in time order; ``rebase`` is kept.
    """
    options = options or SpcOptions()
    found = list(rebase)
    new: list[Any] = []
    for _ in range(len(np.asarray(values).ravel())):
        points = xmr(values, dates, rebase=found, options=options).points
        cut = None
        for _seg, part in points.groupby("segment", sort=True):
            for start in _sustained_run_starts(part["side"].to_numpy(), options.shift_length):
                if start >= min_points and len(part) - start >= min_points:
                    at = part["x"].iloc[start]
                    cut = int(at) if isinstance(at, np.integer) else at
                    break
            if cut is not None:
                break
        if cut is None:
            break
        found.append(cut)
        new.append(cut)
    return tuple(sorted(new))


def xmr_by_group(
    frame: pd.DataFrame,
    *,
    value: str,
    date: str,
    group: str | None = None,
    rebase: Sequence[Any] | Mapping[Hashable, Sequence[Any]] = (),
    target: float | Mapping[Hashable, float] | None = None,
    options: SpcOptions | None = None,
) -> dict[Hashable, XmrChart]:
    """XmR charts of a long-format frame, one per ``group`` value (as NHSRplotthedots' ``facet_field``).

    Parameters
    ----------
    frame : DataFrame
        Long format: one row per group and period.
    value, date : str
        Columns holding the measure and the period.
    group : str, optional
        Column naming the series; None charts the whole frame as one series (key None).
    rebase : sequence or mapping
        Change points for every group, or per group (groups not named are not rebased).
    target : float or mapping, optional
        One target for every group, or per group (groups not named have none).
    options : SpcOptions, optional

    Returns
    -------
    dict
        Group value → :class:`XmrChart`, in order of first appearance.
    """
    missing = [c for c in (value, date, group) if c is not None and c not in frame.columns]
    if missing:
        have = ", ".join(map(str, frame.columns))
        raise ValueError(f"frame has no column(s) {', '.join(missing)}; it has {have}")
    groups = [(None, frame)] if group is None else list(frame.groupby(group, sort=False))
    out: dict[Hashable, XmrChart] = {}
    for key, part in groups:
        changes = rebase.get(key, ()) if isinstance(rebase, Mapping) else rebase
        goal = target.get(key) if isinstance(target, Mapping) else target
        out[key] = xmr(part[value].to_numpy(), part[date], rebase=changes, target=goal, options=options)
    return out
