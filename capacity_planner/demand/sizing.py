r"""Sizing: from forecast weekly demand to slots, sessions and DCC hours per activity.

For an activity with forecast weekly demand (patients a week, new + follow-up):

1. **Demand to size for** :math:`D`: the planning-year mean for routine activities; for rapid-access ones
   the percentile :math:`p` (activity ``percentile``, else ``demand.percentile``, default 0.80) of the
   predictive distribution of one week's demand pooled over the 52 planning weeks, taken with
   :func:`numpy.quantile` and ``demand.percentile_method`` (NHS England, *E-job planning the clinical
   workforce*, 2023, Step 2: "plan to ensure capacity available to deliver activity in the 80th centile
   of demand" for rapid-access services).
2. **DNAs** (rate :math:`r` = dna / (attended + dna); the activity's ``dna_rate`` if given, else
   measured, else 0): slots :math:`S = D \cdot f_{DNA}` with :math:`f_{DNA} = 1` (``discharge``: a DNA is
   discharged), :math:`1 + r` (``rebook_once``: each DNA is rebooked once) or :math:`1/(1-r)`
   (``rebook_until_seen``, default: rebooked until seen, a geometric number of bookings with mean
   :math:`1/(1-r)`).
3. **Hospital cancellations** (rate :math:`c` = cancelled_hospital / booked, measured) are lost capacity:
   :math:`S / (1 - c)` slots must be offered.
4. **Sessions**: slots / patients per session (``patients_per_session``, else bookable_minutes /
   minutes_per_patient, :attr:`~capacity_planner.pack.model.Activity.patients_per_session_effective`;
   with ``productivity`` rows, at the current staff-group mix,
   :func:`~capacity_planner.demand.productivity.mix_patients_per_session`);
   demand arrives in all 52 weeks, so sessions a year = 52 × demand sessions a week (delivered in
   ``service_weeks``: :math:`\times 52/\text{service\_weeks}` per service week) plus fixed sessions a week
   × ``service_weeks`` (:func:`annual_sessions`); DCC hours = sessions a year × 4 h × ``pa_value``
   for DCC activities (consultant contract 2003: a PA is 4 hours in normal time).
5. **Follow-ups**: a new activity :math:`A` whose ``follow_up_activity`` is :math:`F` adds
   :math:`f_A \cdot D_A` to :math:`F`'s weekly demand, with :math:`f_A` the activity's
   ``follow_up_ratio`` if given, else the measured ratio of :math:`F` (pooled over its feeders, see
   :mod:`~capacity_planner.demand.history`). Follow-ups are routine and sized at the mean.
6. **Backlog** (non-recurrent, reported separately): with :math:`Q` waiting and target
   :math:`T` weeks, target size :math:`Q^* = D \cdot T/4` (:func:`~capacity_planner.demand.queue.
   target_queue_size`, Little's law, Fong et al. 2022) and extra patients a week
   :math:`\max(0, (Q - Q^*)/\text{backlog\_weeks})`, i.e. :func:`~capacity_planner.demand.queue.
   relief_capacity` minus demand, converted to slots like recurrent demand and spread over
   :math:`\min(\text{backlog\_weeks}, \text{service\_weeks})` weeks.
7. **Fixed requirements** (pack ``requirements``): sessions_per_week without a slot, and ``min_clinicians``
   sessions a week for each slot-fixed requirement (e.g. MDT Tuesday PM with 3 clinicians), become
   sessions of rows with ``sizing_method == "fixed"``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from capacity_planner import constants as C
from capacity_planner.demand import queue
from capacity_planner.demand.forecast_models import SeriesForecast
from capacity_planner.demand.productivity import mix_patients_per_session
from capacity_planner.demand.requirements import Requirements

if TYPE_CHECKING:
    from collections.abc import Mapping

    from capacity_planner.demand.history import History
    from capacity_planner.pack.model import Activity, PlanningPack

__all__ = [
    "WAITING_COLUMNS",
    "FollowUpSource",
    "RateChoice",
    "add_follow_up_demand",
    "annual_sessions",
    "choose_dna_rate",
    "combine_forecasts",
    "dna_factor",
    "follow_up_ratio",
    "service_week_sessions",
    "set_required_sessions",
    "size_requirements",
    "sized_demand",
    "slots_for_demand",
    "waiting_list_report",
]

WEEKS_A_YEAR = 52.0
"""Weeks a year in which demand arrives (referrals do not stop when the service does)."""

WAITING_COLUMNS = (
    "activity_id",
    "waiting",
    "over_target",
    "target_weeks",
    "demand_per_week",
    "capacity_per_week",
    "queue_load",
    "target_queue_size",
    "mean_wait_weeks",
    "pressure",
    "relief_capacity_per_week",
    "relief_extra_per_week",
    "relief_advised",
)


def dna_factor(dna_rate: npt.ArrayLike, convention: str) -> float | npt.NDArray[np.float64]:
    r"""Slots per patient seen under a DNA convention.

    .. math:: f = 1 \ (\text{discharge}), \quad 1 + r \ (\text{rebook\_once}), \quad
              \frac{1}{1 - r} \ (\text{rebook\_until\_seen})

    Examples
    --------
    >>> [round(100 * dna_factor(0.10, c), 1) for c in ("discharge", "rebook_once", "rebook_until_seen")]
    [100.0, 110.0, 111.1]
    """
    r = np.asarray(dna_rate, dtype=np.float64)
    if np.any((r < 0) | (r >= 1)) or not np.all(np.isfinite(r)):
        raise ValueError(f"dna_rate must be in [0, 1); got {dna_rate!r}")
    if convention == "discharge":
        out = np.ones_like(r)
    elif convention == "rebook_once":
        out = 1.0 + r
    elif convention == "rebook_until_seen":
        out = 1.0 / (1.0 - r)
    else:
        raise ValueError(
            f"unknown DNA convention {convention!r}; expected one of {', '.join(C.DNA_CONVENTIONS)}"
        )
    return float(out) if out.ndim == 0 else out


def slots_for_demand(
    demand: npt.ArrayLike,
    dna_rate: npt.ArrayLike,
    convention: str,
    hospital_cancellation_rate: npt.ArrayLike = 0.0,
) -> float | npt.NDArray[np.float64]:
    r"""Slots to offer for ``demand`` patients: :math:`S = D \cdot f_{DNA}(r) / (1 - c)`."""
    c = np.asarray(hospital_cancellation_rate, dtype=np.float64)
    if np.any((c < 0) | (c >= 1)):
        raise ValueError(f"hospital_cancellation_rate must be in [0, 1); got {hospital_cancellation_rate!r}")
    out = np.asarray(demand, dtype=np.float64) * dna_factor(dna_rate, convention) / (1.0 - c)
    return float(out) if out.ndim == 0 else out


def sized_demand(
    forecast: SeriesForecast, *, rapid_access: bool, percentile: float, method: str = "linear"
) -> tuple[float, str]:
    r"""Weekly demand to size for and the method: (mean, ``"mean"``) or (percentile, ``"percentile"``).

    Rapid access is sized at :math:`\max(\bar D, q_p)`: never below the mean, because capacity below mean
    demand gives a queue load above 1 and a list that grows without limit (Fong et al. 2022, Fact 1). For
    :math:`p \ge 0.5` and all but the smallest volumes :math:`q_p` is the larger anyway.
    """
    mean = forecast.mean_per_period
    if rapid_access:
        return max(mean, forecast.quantile(percentile, method)), "percentile"
    return mean, "mean"


@dataclass(frozen=True, slots=True)
class RateChoice:
    """A rate used in sizing and where it came from: ``given`` (activities table), ``measured``
    (appointments) or ``default`` (nothing known: 0)."""

    value: float
    source: str


def choose_dna_rate(activity: Activity, history: History) -> RateChoice:
    """The activity's ``dna_rate`` if given, else the measured one, else 0."""
    if activity.dna_rate is not None:
        return RateChoice(float(activity.dna_rate), "given")
    measured = _measured(history, activity.activity_id, "dna_rate")
    return RateChoice(measured, "measured") if measured is not None else RateChoice(0.0, "default")


def _measured(history: History, activity_id: str, column: str) -> float | None:
    rates = history.rates
    if activity_id in rates.index and column in rates.columns:
        value = float(np.asarray(rates.loc[[activity_id], column], dtype=np.float64)[0])
        if math.isfinite(value):
            return value
    return None


def reported_rate(history: History, activity_id: str, column: str) -> float:
    """A measured rate shown in the requirements table but not used for sizing (NaN when unmeasured),
    e.g. ``dna_rate_all_appointments``, the HES definition of the DNA rate (issue 17)."""
    value = _measured(history, activity_id, column)
    return np.nan if value is None else value


def follow_up_ratio(activity: Activity, history: History) -> RateChoice:
    """Follow-ups per new attendance of new activity ``activity``: given, else measured (pooled), else 0."""
    if activity.follow_up_ratio is not None:
        return RateChoice(float(activity.follow_up_ratio), "given")
    fu = history.follow_ups
    row = fu.loc[fu["activity_id"] == activity.activity_id, "follow_up_ratio"]
    if len(row) and math.isfinite(float(row.iloc[0])):
        by_outcome = "method" in fu.columns and (fu.loc[row.index, "method"] == "outcomes").any()
        return RateChoice(float(row.iloc[0]), "measured_outcomes" if by_outcome else "measured")
    return RateChoice(0.0, "default")


def combine_forecasts(parts: list[tuple[float, SeriesForecast]], model: str) -> SeriesForecast:
    r"""Forecast of :math:`\sum_i w_i Y_i` for independent series :math:`Y_i` over the same horizon.

    Means, and the pooled samples draw by draw, add with weights :math:`w_i` (draws of different series
    are independent). Samples of unequal length (an empirical part) are added as sorted quantiles, which
    treats the parts as perfectly correlated: conservative for upper percentiles. The per-period band adds
    the parts' bands (also conservative).
    """
    if not parts:
        raise ValueError("combine_forecasts needs at least one part")
    mean = sum(w * f.mean for w, f in parts)
    lower = sum(w * f.lower for w, f in parts)
    upper = sum(w * f.upper for w, f in parts)
    sizes = {f.sample.size for _, f in parts}
    if len(sizes) == 1:
        sample = sum(w * f.sample for w, f in parts)
    else:
        m = max(sizes)
        grid = (np.arange(m) + 0.5) / m
        sample = sum(w * np.quantile(f.sample, grid) for w, f in parts)
    notes = tuple(n for _, f in parts for n in f.notes)
    return SeriesForecast(
        model=model,
        mean=np.asarray(mean, dtype=np.float64),
        lower=np.asarray(lower, dtype=np.float64),
        upper=np.asarray(upper, dtype=np.float64),
        sample=np.asarray(sample, dtype=np.float64),
        n_train=max(f.n_train for _, f in parts),
        notes=notes,
    )


@dataclass(frozen=True)
class FollowUpSource:
    """Follow-up demand added to activity ``follow_up_activity`` by one new activity."""

    new_activity: str
    follow_up_activity: str
    ratio: RateChoice


def add_follow_up_demand(
    pack: PlanningPack, forecasts: Mapping[str, SeriesForecast], history: History
) -> tuple[dict[str, SeriesForecast], list[FollowUpSource]]:
    r"""Add :math:`f_A D_A` to each follow-up activity's forecast (module docstring, step 5).

    Returns the forecasts of every activity with demand (follow-up activities combined with their own
    referrals, if any) and the follow-up links used.
    """
    out = dict(forecasts)
    links: list[FollowUpSource] = []
    known = set(pack.activity_ids)
    by_target: dict[str, list[tuple[float, SeriesForecast, str]]] = {}
    for act in pack.activities:
        fu = act.follow_up_activity
        if not fu or fu not in known or act.activity_id not in forecasts:
            continue
        ratio = follow_up_ratio(act, history)
        links.append(FollowUpSource(act.activity_id, fu, ratio))
        if ratio.value > 0:
            by_target.setdefault(fu, []).append((ratio.value, forecasts[act.activity_id], act.activity_id))
    for fu, feeders in by_target.items():
        parts = [(w, f) for w, f, _ in feeders]
        label = " + ".join(f"{w:.2f}×{a}" for w, _, a in feeders)
        model = f"follow-up ({label})"
        own = forecasts.get(fu)
        if own is not None and own.model not in ("zero", "none"):
            parts.insert(0, (1.0, own))
            model = f"{own.model} + {model}"
        else:
            own = None
        # The notes (a level shift, growth beyond the cap) are the follow-up's own referrals' only: the
        # feeders' notes are reported under the feeders (they were repeated under the follow-up, their
        # shift as a raw period index because a combined forecast has no shift week).
        out[fu] = dataclasses.replace(combine_forecasts(parts, model),
                                      notes=() if own is None else own.notes,
                                      shift_at=None if own is None else own.shift_at)
    return out, links


# --------------------------------------------------------------------------------------------------
# the requirements table
# --------------------------------------------------------------------------------------------------


def _fixed_sessions(pack: PlanningPack) -> dict[str, float]:
    """Fixed sessions a week per activity: sessions_per_week rows plus min_clinicians per fixed slot."""
    out: dict[str, float] = {}
    for req in pack.requirements:
        if req.day is not None and req.period is not None:
            add = float(req.min_clinicians)
        else:
            add = float(req.sessions_per_week or 0.0)
        out[req.activity_id] = out.get(req.activity_id, 0.0) + add
    return out


def size_requirements(
    pack: PlanningPack,
    demand: Mapping[str, SeriesForecast],
    history: History,
    follow_ups: list[FollowUpSource] | None = None,
) -> tuple[Requirements, list[str]]:
    """The :class:`Requirements` table of a pack from forecast weekly demand per activity.

    Parameters
    ----------
    pack : PlanningPack
    demand : mapping of activity_id to SeriesForecast
        Weekly demand (patients a week) per activity over the planning year, follow-ups included
        (:func:`add_follow_up_demand`).
    history : History
        Measured DNA and hospital-cancellation rates.
    follow_ups : list of FollowUpSource, optional
        Links used to build follow-up demand (for the ``follow_up_ratio`` column).

    Returns
    -------
    (Requirements, list of str)
        The table (one row per activity, in the pack's order) and plain-language notes.
    """
    s = pack.settings
    fixed = _fixed_sessions(pack)
    waiting = {w.activity_id: w for w in pack.waiting_list}
    links = follow_ups or []
    notes: list[str] = []
    rows = []
    for act in pack.activities:
        aid = act.activity_id
        fc = demand.get(aid)
        row: dict[str, object] = {
            "activity_id": aid,
            "category": act.category,
            "rapid_access": bool(act.rapid_access),
            "weekly_demand_mean": 0.0,
            "weekly_demand_sized": 0.0,
            "sizing_method": "none",
            "percentile": np.nan,
            "dna_rate": np.nan,
            "dna_factor": np.nan,
            "follow_up_ratio": np.nan,
            "backlog_relief_per_week": 0.0,
            "slots_per_week": 0.0,
            "sessions_per_week": 0.0,
            "sessions_per_year": 0.0,
            "dcc_hours_per_year": 0.0,
            "service": act.service,
            "backlog_sessions_per_year": 0.0,
            "forecast_model": None,
            "hospital_cancellation_rate": np.nan,
            "dna_rate_all_appointments": reported_rate(history, aid, "dna_rate_all_appointments"),
            "dna_rate_source": None,
            "follow_up_ratio_source": None,
            "fixed_sessions_per_week": 0.0,
            "annual_growth": np.nan,
            "sessions_per_service_week": 0.0,
        }
        feeders = [lk for lk in links if lk.follow_up_activity == aid and lk.ratio.value > 0]
        if feeders:
            total = sum(
                demand[lk.new_activity].mean_per_period for lk in feeders if lk.new_activity in demand
            )
            eff = (
                sum(lk.ratio.value * demand[lk.new_activity].mean_per_period for lk in feeders) / total
                if total > 0
                else feeders[0].ratio.value
            )
            row["follow_up_ratio"] = eff
            row["follow_up_ratio_source"] = "/".join(sorted({lk.ratio.source for lk in feeders}))
        sessions_week = 0.0
        backlog_sessions = 0.0
        if fc is not None:
            percentile = act.percentile if act.percentile is not None else s.percentile
            sized, method = sized_demand(
                fc, rapid_access=act.rapid_access, percentile=percentile, method=s.percentile_method
            )
            mean = fc.mean_per_period
            dna = choose_dna_rate(act, history)
            cancel = _measured(history, aid, "hospital_cancellation_rate") or 0.0
            factor = float(dna_factor(dna.value, s.dna_convention))
            slots = sized * factor / (1.0 - cancel)
            row.update(
                weekly_demand_mean=mean,
                weekly_demand_sized=sized,
                sizing_method=method,
                percentile=percentile if method == "percentile" else np.nan,
                dna_rate=dna.value,
                dna_factor=factor,
                slots_per_week=slots,
                forecast_model=fc.model,
                hospital_cancellation_rate=cancel,
                dna_rate_source=dna.source,
                annual_growth=np.nan if fc.annual_growth is None else fc.annual_growth,
            )
            pps, mix_note = mix_patients_per_session(pack, act)  # productivity per staff group
            if mix_note is not None:
                notes.append(mix_note)
            relief = 0.0
            entry = waiting.get(aid)
            if entry is not None and entry.target_weeks:
                target = float(queue.target_queue_size(mean, float(entry.target_weeks)))
                relief = max(0.0, (entry.waiting - target) / s.backlog_weeks) * factor / (1.0 - cancel)
            row["backlog_relief_per_week"] = relief
            if pps is None or pps <= 0:
                if sized > 0:
                    notes.append(
                        f"{aid}: has demand but no patients_per_session or minutes_per_patient, so "
                        "its sessions could not be computed (set them in the activities table)."
                    )
            else:
                sessions_week = slots / pps
                backlog_sessions = relief * min(s.backlog_weeks, s.service_weeks) / pps
        fixed_week = fixed.get(aid, 0.0)
        if fixed_week > 0:
            row["fixed_sessions_per_week"] = fixed_week
            if fc is None:
                row["sizing_method"] = "fixed"
            else:
                notes.append(
                    f"{aid}: fixed requirements ({fixed_week:g} sessions a week) were added to the "
                    "sessions sized from demand."
                )
        per_year = annual_sessions(sessions_week, fixed_week, s.service_weeks) + backlog_sessions
        row.update(
            sessions_per_service_week=service_week_sessions(sessions_week, fixed_week, s.service_weeks),
            sessions_per_week=sessions_week + fixed_week,
            sessions_per_year=per_year,
            backlog_sessions_per_year=backlog_sessions,
            dcc_hours_per_year=per_year * C.NORMAL_PA_HOURS * act.pa_value if act.is_dcc else 0.0,
        )
        rows.append(row)
    requirements = Requirements.from_frame(pd.DataFrame(rows))
    overrides = {a.activity_id: float(a.required_sessions_per_year) for a in pack.activities
                 if a.required_sessions_per_year is not None}
    for aid, sessions in overrides.items():
        sized_sessions = float(requirements.table.loc[requirements.table["activity_id"] == aid,
                                                      "sessions_per_year"].iloc[0])
        notes.append(f"{aid}: demand set to {sessions:,.1f} session-weeks a year by the activities table "
                     f"(required_sessions_per_year), replacing the {sized_sessions:,.1f} sized.")
    pa_values = {a.activity_id: a.pa_value for a in pack.activities}
    return set_required_sessions(requirements, overrides, pa_values), notes


def set_required_sessions(requirements: Requirements, overrides: Mapping[str, float],
                          pa_values: Mapping[str, float] | None = None) -> Requirements:
    r"""Requirements with ``sessions_per_year`` (session-weeks a year) replaced for the activities in
    ``overrides``: the demand a team sets (``activities.required_sessions_per_year``, or a demand changed
    in the team meeting) instead of the sized one.

    The columns derived from it scale with it: ``dcc_hours_per_year``, ``sessions_per_week``,
    ``sessions_per_service_week`` and ``backlog_sessions_per_year`` are multiplied by new / sized
    sessions. From zero sized sessions a DCC activity's hours are
    :math:`\text{sessions} \times 4\,\text{h} \times \text{pa\_value}` (``pa_values``: activity ->
    PAs a session, 1 when not given), as sizing computes them, and the other columns stay 0. The forecast and
    sizing columns (weekly demand, DNA rate, slots) keep the sized values, so the change is visible.
    Follow-up demand fed to other activities is not changed.

    Examples
    --------
    A routine clinic sized at 100 session-weeks a year (400 DCC hours) set to 150:

    >>> import pandas as pd
    >>> t = pd.DataFrame([{"activity_id": "fu", "category": "DCC", "rapid_access": False,
    ...     "weekly_demand_mean": 10.0, "weekly_demand_sized": 10.0, "sizing_method": "mean",
    ...     "percentile": None, "dna_rate": 0.0, "dna_factor": 1.0, "follow_up_ratio": None,
    ...     "backlog_relief_per_week": 0.0, "slots_per_week": 10.0, "sessions_per_week": 100 / 52,
    ...     "sessions_per_year": 100.0, "dcc_hours_per_year": 400.0}])
    >>> out = set_required_sessions(Requirements.from_frame(t), {"fu": 150.0}).table.iloc[0]
    >>> float(out["sessions_per_year"]), float(out["dcc_hours_per_year"])
    (150.0, 600.0)
    """
    if not overrides:
        return requirements
    table = requirements.table.copy()
    for activity_id, sessions in overrides.items():
        rows = table["activity_id"] == activity_id
        if not rows.any():
            raise ValueError(f"no requirements row for activity {activity_id!r}")
        old = float(table.loc[rows, "sessions_per_year"].iloc[0])
        for col in ("dcc_hours_per_year", "sessions_per_week", "sessions_per_service_week",
                    "backlog_sessions_per_year"):
            if col not in table.columns:
                continue
            if old > 0:
                table.loc[rows, col] = table.loc[rows, col] * (sessions / old)
            elif col == "dcc_hours_per_year":
                is_dcc = (table.loc[rows, "category"] == "DCC").iloc[0]
                pa = 1.0 if pa_values is None else float(pa_values.get(activity_id, 1.0))
                table.loc[rows, col] = sessions * C.NORMAL_PA_HOURS * pa if is_dcc else 0.0
        table.loc[rows, "sessions_per_year"] = float(sessions)
    return Requirements.from_frame(table)


def annual_sessions(demand_sessions_per_week: float, fixed_per_week: float, service_weeks: float) -> float:
    r"""Recurrent sessions a year: demand arrives in all 52 weeks, fixed sessions run in service weeks.

    .. math:: N = 52\,s_d + w\,s_f

    with :math:`s_d` the demand-driven sessions a (calendar) week, :math:`s_f` the fixed sessions a week
    and :math:`w` = ``service_weeks``. The demand of 52 weeks is delivered in :math:`w` weeks, so a service
    week holds :math:`s_d \cdot 52/w` (:func:`service_week_sessions`).

    Examples
    --------
    >>> annual_sessions(10, 2, 48)  # 10 x 52 + 2 x 48
    616.0
    """
    return float(demand_sessions_per_week * WEEKS_A_YEAR + fixed_per_week * service_weeks)


def service_week_sessions(
    demand_sessions_per_week: float, fixed_per_week: float, service_weeks: float
) -> float:
    r"""Sessions in each week the service runs: :math:`s_d \cdot 52/w + s_f`.

    Examples
    --------
    >>> round(service_week_sessions(12, 0, 48), 3)  # 12 x 52/48
    13.0
    """
    return float(demand_sessions_per_week * WEEKS_A_YEAR / service_weeks + fixed_per_week)


def waiting_list_report(pack: PlanningPack, requirements: Requirements) -> pd.DataFrame:
    r"""Waiting-list measures per activity with a waiting list (:mod:`~capacity_planner.demand.queue`).

    Columns: ``waiting`` :math:`Q`, ``over_target``, ``target_weeks`` :math:`T`, ``demand_per_week``
    :math:`D` (planning-year mean), ``capacity_per_week`` :math:`C` (patients a week the recurrent sizing
    provides, ``weekly_demand_sized``), ``queue_load`` :math:`D/C`, ``target_queue_size``
    :math:`Q^* = D T / 4`, ``mean_wait_weeks`` :math:`Q/D` (Little's law), ``pressure``
    :math:`2 (Q/D) / T`, ``relief_capacity_per_week`` :math:`D + (Q - Q^*)/\text{backlog\_weeks}`,
    ``relief_extra_per_week`` (its excess over :math:`D`, at least 0) and ``relief_advised``
    (:math:`Q > 2 Q^*`, Fong et al. 2022).
    """
    table = requirements.table
    demand_of = dict(zip(table["activity_id"], table["weekly_demand_mean"].astype(float), strict=True))
    sized_of = dict(zip(table["activity_id"], table["weekly_demand_sized"].astype(float), strict=True))
    weeks = pack.settings.backlog_weeks
    rows = []
    for entry in pack.waiting_list:
        if entry.activity_id not in demand_of:
            continue
        d = demand_of[entry.activity_id]
        cap = sized_of[entry.activity_id]
        t = float(entry.target_weeks) if entry.target_weeks else math.nan
        q = float(entry.waiting)
        ok = math.isfinite(t) and t > 0
        target = float(queue.target_queue_size(d, t)) if ok else math.nan
        wait = q / d if d > 0 else math.nan
        rows.append(
            {
                "activity_id": entry.activity_id,
                "waiting": entry.waiting,
                "over_target": np.nan if entry.over_target is None else entry.over_target,
                "target_weeks": t,
                "demand_per_week": d,
                "capacity_per_week": cap,
                "queue_load": float(queue.queue_load(d, cap)) if cap > 0 else math.nan,
                "target_queue_size": target,
                "mean_wait_weeks": wait,
                "pressure": float(queue.waiting_list_pressure(wait, t))
                if ok and math.isfinite(wait)
                else math.nan,
                "relief_capacity_per_week": float(queue.relief_capacity(d, q, target, weeks))
                if ok
                else math.nan,
                "relief_extra_per_week": max(0.0, (q - target) / weeks) if ok else math.nan,
                "relief_advised": bool(ok and q > 2 * target),
            }
        )
    return pd.DataFrame(rows, columns=list(WAITING_COLUMNS))
