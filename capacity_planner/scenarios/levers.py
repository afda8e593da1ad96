r"""Lever sanity: what money may buy, in which units, and why a plan buys less than it is allowed.

**Bought sessions** (locum, waiting-list initiative) are extra clinics: they can only be bought for a
*bookable clinic*, a direct-clinical-care activity that sees patients (it has ``patients_per_session`` or
``minutes_per_patient``, so its demand is sized from referrals). Clinical administration, MDTs, ward
rounds, SPA and other non-clinic activities cannot be bought (:func:`bookable_activities`,
:func:`not_bookable_reason`).

**Additional PAs** are counted as the contract counts them: PAs a week, a PA being 4 hours in normal time
and 3 hours in premium time (evenings, weekends; Consultant Contract 2003, Schedule 3), so one extra
4-hour session is 1 PA in the day and 1⅓ PAs in the evening. The plan adds whole sessions; an alternate-week
session kept from the current job plan counts ½. :func:`pa_text` writes a figure in those units (halves,
thirds and quarters as fractions: "1⅓ PAs a week"), and :func:`apa_hours_text` the hours it stands for.

**Why less is bought than allowed** (:func:`apa_shortfall`, :func:`session_shortfall`): an additional PA
needs a clinician with headroom below ``max_pas``, a free slot in their week (available, not already
used, in normal time unless they opted in to out-of-hours work), a skill in an activity with unmet demand,
a free room of that activity's type in that slot, and budget left for a PA a week for a year (checked in
that order: a place for the session first, since an additional PA is usually the cheapest session);
a bought session is only worth buying while its
activity still has unmet demand, and both stop when the budget is spent.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    import pandas as pd

    from capacity_planner.pack.model import Activity, Clinician, PlanningPack
    from capacity_planner.scenarios.transforms import ScenarioPack
    from capacity_planner.solver.options import Allowances

__all__ = ["allowance_shortfall", "apa_hours_text", "apa_shortfall", "bookable_activities", "free_slots",
           "not_bookable_reason", "pa_text", "scenario_shortfall", "session_shortfall"]

_EPS = 1e-6
_FRACTIONS = {Fraction(1, 4): "¼", Fraction(1, 3): "⅓", Fraction(1, 2): "½", Fraction(2, 3): "⅔",
              Fraction(3, 4): "¾"}


def is_bookable(activity: Activity) -> bool:
    """A direct-clinical-care activity that sees patients (a clinic or list sized from referrals)."""
    return activity.is_dcc and activity.patients_per_session_effective is not None


def bookable_activities(pack: PlanningPack) -> list[str]:
    """IDs of the activities sessions may be bought for, in the pack's order."""
    return [a.activity_id for a in pack.activities if is_bookable(a)]


def not_bookable_reason(activity: Activity) -> str:
    """Why sessions of ``activity`` cannot be bought, or ``""`` when they can."""
    if is_bookable(activity):
        return ""
    name = activity.name or activity.activity_id
    if not activity.is_dcc:
        return (f"{name} is {activity.category}, not direct clinical care: only clinics that see patients "
                "can be bought")
    return (f"{name} sees no patients in clinic (no patients_per_session or minutes_per_patient): only "
            "clinics that see patients can be bought")


def pa_text(pas: float) -> str:
    """PAs a week in contractual units: whole, or with ¼ ⅓ ½ ⅔ ¾ ("1⅓"); other values to two decimals."""
    if abs(pas) < _EPS:
        return "0"
    whole = math.floor(pas + _EPS)
    part = Fraction(pas - whole).limit_denominator(12)
    if abs(float(part) - (pas - whole)) > 0.005:
        return f"{pas:.2f}"
    if part == 0:
        return f"{whole:d}"
    symbol = _FRACTIONS.get(part)
    if symbol is None:
        return f"{pas:.2f}"
    return f"{whole:d}{symbol}" if whole else symbol


def apa_hours_text(pas: float, premium_pas: float = 0.0) -> str:
    """The hours a week ``pas`` additional PAs stand for: 4 hours a PA in normal time, 3 in premium time
    (``premium_pas`` of them)."""
    hours = 4.0 * (pas - premium_pas) + 3.0 * premium_pas
    return f"{hours:g} hours a week"


# ---- free slots -------------------------------------------------------------------------------------
def free_slots(pack: PlanningPack, clinician: Clinician, allocation: pd.DataFrame) -> list[tuple[str, str]]:
    """(day, period) slots of ``clinician`` a plan leaves free: in the timetable, available to them, in
    normal time unless they opted in to out-of-hours work, not used by the plan's ``allocation``, on a day
    with fewer sessions than ``settings.max_sessions_per_day``."""
    mine = allocation.loc[allocation["clinician_id"] == clinician.clinician_id]
    used = set(zip(mine["day"], mine["period"], strict=True))
    per_day = mine.groupby("day").size().to_dict()
    cap = pack.settings.max_sessions_per_day
    unavailable = pack.unavailable_slots
    return [(s.day, s.period) for s in pack.slots
            if (s.day, s.period) not in used and (cap is None or per_day.get(s.day, 0) < cap)
            and (clinician.clinician_id, s.day, s.period) not in unavailable
            and (clinician.out_of_hours_opt_in or not s.premium_time)]


def _rooms_free(pack: PlanningPack, allocation: pd.DataFrame, room_type: str | None,
                slot: tuple[str, str]) -> bool:
    """Whether a room of ``room_type`` is free in ``slot`` (no room type, or none listed: unlimited)."""
    if room_type is None:
        return True
    caps = {(r.day, r.period): r.available for r in pack.rooms if r.room_type == room_type}
    if not caps:
        return True
    if slot not in caps:
        return True
    of_type = {a.activity_id for a in pack.activities if a.room_type == room_type}
    in_slot = allocation.loc[(allocation["day"] == slot[0]) & (allocation["period"] == slot[1])
                             & allocation["activity_id"].isin(of_type)]
    return len(in_slot) < caps[slot]


def _names(ids: Iterable[str], names: Mapping[str, str]) -> str:
    return ", ".join(names.get(i, i) for i in ids)


def apa_shortfall(pack: PlanningPack, allowed: Sequence[str], allocation: pd.DataFrame,
                  gap_by_activity: Mapping[str, float], *, budget_left: float | None = None,
                  cheapest_apa: float | None = None, clinician_names: Mapping[str, str] | None = None,
                  activity_names: Mapping[str, str] | None = None) -> str:
    """Why no more additional PAs were bought for the clinicians ``allowed`` them, in words: the first
    reason of place that holds (headroom, a free slot, a skill, a room; the module docstring), and the
    budget when what is left cannot pay for one PA a week for a year."""
    cn, an = clinician_names or {}, activity_names or {}
    gaps = [a for a, g in gap_by_activity.items() if g > 0.5]
    if not gaps:
        return "no demand is left unmet"
    reasons = [_place_reason(pack, allowed, allocation, gaps, cn, an)]
    if budget_left is not None and cheapest_apa is not None and budget_left + _EPS < cheapest_apa:
        reasons.append(f"the budget left (£{max(budget_left, 0.0):,.0f}) is less than one additional PA a "
                       f"week for a year (£{cheapest_apa:,.0f})")
    found = [r for r in reasons if r]
    return "; and ".join(found) if found else (
        "other rules of the plan (sessions a day, rest, the SPA and routine floors) leave no place for "
        "another session")


def _place_reason(pack: PlanningPack, allowed: Sequence[str], allocation: pd.DataFrame, gaps: Sequence[str],
                  cn: Mapping[str, str], an: Mapping[str, str]) -> str:
    """Why an additional PA has no place in the plan (``""`` when a place is found)."""
    clinicians = [c for c in pack.clinicians if c.clinician_id in set(allowed) and c.active
                  and c.max_pas > c.contracted_pas + _EPS]
    if not clinicians:
        return "no clinician allowed them has headroom below max_pas"
    with_slot = {c.clinician_id: free_slots(pack, c, allocation) for c in clinicians}
    if not any(with_slot.values()):
        cap = pack.settings.max_sessions_per_day
        day_rule = f", at most {cap} sessions a day" if cap is not None else ""
        return ("every clinician allowed them has a full week: no free slot where they are available"
                f"{day_rule} (evening and weekend slots need an out-of-hours opt-in)")
    skills = {(s.clinician_id, s.activity_id) for s in pack.skills}
    skilled = {cid: [a for a in gaps if (cid, a) in skills] for cid, slots in with_slot.items() if slots}
    if not any(skilled.values()):
        return (f"the clinicians with a free slot ({_names(list(skilled), cn)}) are not skilled for the "
                f"activities with unmet demand ({_names(gaps, an)})")
    rooms = {a.activity_id: a.room_type for a in pack.activities}
    if not any(_rooms_free(pack, allocation, rooms.get(a), slot)
               for cid, acts in skilled.items() for a in acts for slot in with_slot[cid]):
        return ("no room is free in the free slots of the clinicians skilled for the activities with unmet "
                f"demand ({_names(gaps, an)})")
    return ""


def session_shortfall(activity_id: str, bought: float, allowed: float, gap: float, *,
                      budget_left: float | None = None, price: float | None = None,
                      activity_names: Mapping[str, str] | None = None) -> str:
    """Why fewer sessions of ``activity_id`` were bought than ``allowed`` (sessions a year), or ``""``."""
    if bought >= allowed - _EPS:
        return ""
    name = (activity_names or {}).get(activity_id, activity_id)
    if gap <= 0.5:
        return f"{name}: gap closed with {bought:g} of the {allowed:g} sessions allowed"
    if budget_left is not None and price is not None and budget_left + _EPS < price:
        return f"{name}: the budget left (£{budget_left:,.0f}) is less than one more session (£{price:,.0f})"
    return (f"{name}: {bought:g} of {allowed:g} sessions bought; the rest of its gap ({gap:,.0f} sessions a "
            "year) is cheaper to close another way or limited by the budget")


def allowance_shortfall(pack: PlanningPack, allowances: Allowances, allocation: pd.DataFrame,
                        gap_by_activity: Mapping[str, float], apa_by_clinician: Mapping[str, float],
                        bought: Mapping[str, float], cost_used: float) -> str:
    """Why a scenario's plan buys less than its ``allowances`` allow (additional PAs, then each bought
    activity), in words; ``""`` when it buys all it may. ``cost_used`` is the plan's extra cost (GBP a
    year), against ``allowances.max_extra_cost``."""
    from capacity_planner.pack.costs import additional_rate, session_rate

    clinicians = {c.clinician_id: c.name or c.clinician_id for c in pack.clinicians}
    activities = {a.activity_id: a.name or a.activity_id for a in pack.activities}
    left = None if allowances.max_extra_cost is None else allowances.max_extra_cost - cost_used
    out = []
    caps = _apa_caps(pack, allowances)
    allowed = sum(caps.values())
    if allowances.additional_pas_total is not None:
        allowed = min(allowed, allowances.additional_pas_total)
    got = sum(apa_by_clinician.values())
    if allowed > _EPS and got < allowed - _EPS:
        eligible = [c for c, cap in caps.items() if cap > _EPS]
        cheapest = min(additional_rate(pack, pack.clinician(c)).value for c in eligible)
        why = apa_shortfall(pack, eligible, allocation, gap_by_activity, budget_left=left,
                            cheapest_apa=cheapest, clinician_names=clinicians, activity_names=activities)
        out.append(f"additional PAs: {pa_text(got)} of the {pa_text(allowed)} a week allowed were bought: "
                   f"{why}")
    for p in allowances.purchased_sessions:
        rate = session_rate(pack, p.kind, p.cost_per_session)
        gap = float(gap_by_activity.get(p.activity_id, 0.0))
        why = session_shortfall(p.activity_id, float(bought.get(p.activity_id, 0.0)),
                                float(p.max_sessions_per_year), gap,
                                budget_left=left, price=None if rate is None else rate.value,
                                activity_names=activities)
        if why:
            out.append(f"{p.kind} sessions, {why}")
    return "; ".join(out)


def _apa_caps(pack: PlanningPack, allowances: Allowances) -> dict[str, float]:
    """Additional PAs a week each active clinician may be given, as the solver caps them
    (:func:`capacity_planner.solver.problem.additional_pa_caps`)."""
    from capacity_planner.solver.problem import additional_pa_caps

    caps, _ = additional_pa_caps(pack, allowances)
    active = {c.clinician_id for c in pack.clinicians if c.active}
    return {cid: cap for cid, cap in caps.items() if cid in active}


def scenario_shortfall(spack: ScenarioPack, tables: Mapping[str, pd.DataFrame], bought: Mapping[str, float],
                       costs: pd.DataFrame) -> str:
    """Why a scenario's plan (``tables``: its ``gaps``, ``clinicians`` and ``allocation``; ``costs``: its
    cost lines) buys less than the scenario allows (:func:`allowance_shortfall`)."""
    gaps = tables["gaps"]
    by_activity = {str(a): float(g) for a, g in zip(gaps["activity_id"], gaps["gap_sessions_per_year"],
                                                     strict=True)}
    clin = tables["clinicians"]
    apa = {str(c): float(p) for c, p in zip(clin["clinician_id"], clin["apa_pas"], strict=True)}
    extra = float(costs.loc[costs["component"].isin(["additional_pas", "locum_sessions", "wli_sessions"]),
                            "annual_cost"].sum())
    return allowance_shortfall(spack.pack, spack.allowances, tables["allocation"], by_activity, apa, bought,
                               extra)
