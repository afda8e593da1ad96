"""Pure transforms of a planning pack: each takes a :class:`ScenarioPack` and returns a new one.

Nothing is mutated: records change through :func:`dataclasses.replace` and the pack through
:meth:`PlanningPack.replace`. Besides the pack, a scenario carries the solver
:class:`~capacity_planner.solver.options.Allowances` (additional PAs, locum/WLI sessions that may be bought)
and the new posts it created (priced by :mod:`capacity_planner.scenarios.costs`). Each transform appends a
plain-language note of what it changed, so every figure can be traced to a transform.

Demand-side transforms act where demand sizing reads them: ``growth`` is ``Settings.growth`` (the annual
rate of the forecast instead of the estimated one); ``dna_rate``, ``percentile``, ``patients_per_session``
and ``follow_up_ratio`` are set on the activities, where a value given for an activity overrides the
measured one (:mod:`capacity_planner.demand.sizing`). A change in ``points`` or ``relative`` terms starts
from the value sizing would use: the activity's own value, else the one measured from appointments (DNA
rate, follow-up ratio) or ``demand.percentile``.

A ``points`` or ``relative`` change that would take a DNA rate or follow-up ratio below 0 stops at 0 (and
says so in the notes); any other value out of range is an error.

A transform that cannot apply to this pack (an unknown activity or clinician, a value out of range once
applied) raises :class:`ScenarioError`; the runner reports that scenario as failed, with the message.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from capacity_planner import constants as C
from capacity_planner.pack.model import (
    Activity,
    Clinician,
    FixedRequirement,
    PlanningPack,
    RoomCapacity,
    Skill,
)
from capacity_planner.scenarios.costs import session_rate
from capacity_planner.scenarios.levers import not_bookable_reason
from capacity_planner.scenarios.spec import (
    AddActivity,
    AddClinician,
    AllowAdditionalPas,
    BuySessions,
    CapExtraCost,
    ChangeActivityField,
    CloseActivities,
    ExtraRooms,
    LockCells,
    RemoveClinicians,
    Scenario,
    SetContractedPas,
    SetGrowth,
    Transform,
)
from capacity_planner.solver.options import Allowances, PurchasedSessions

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd

# Additional PAs per clinician when a scenario gives only a total: the contract's max_pas limits it.
UNCAPPED_APA = 24.0
DECIMALS = 9


class ScenarioError(ValueError):
    """A transform cannot be applied to this pack; names the key and the value."""

    def __init__(self, key: str, value: object, message: str):
        self.key, self.value = key, value
        super().__init__(f"{key} = {value}: {message}")


@dataclass(frozen=True, slots=True)
class NewPost:
    """A post a scenario adds (recruitment): its clinician record's ID and the cost given, if any."""

    clinician_id: str
    staff_group: str
    contracted_pas: float
    annual_cost: float | None = None


@dataclass(frozen=True, eq=False)
class ScenarioPack:
    """A scenario applied to a pack: the new pack, the allowances for the solver, the new posts, notes."""

    pack: PlanningPack
    allowances: Allowances = field(default_factory=Allowances)
    new_posts: tuple[NewPost, ...] = ()
    notes: tuple[str, ...] = ()
    scenario: Scenario | None = None

    def with_note(self, note: str, **changes: object) -> ScenarioPack:
        """A copy with ``changes`` applied and ``note`` appended."""
        return dataclasses.replace(self, notes=(*self.notes, note), **changes)  # type: ignore[arg-type]

    @property
    def new_post_ids(self) -> frozenset[str]:
        """IDs of the clinicians the scenario added."""
        return frozenset(p.clinician_id for p in self.new_posts)


def apply_scenario(pack: PlanningPack, scenario: Scenario) -> ScenarioPack:
    """Apply every transform of ``scenario`` to ``pack``, in order (the original pack is unchanged).

    Raises
    ------
    ScenarioError
        When a transform names something the pack does not have or gives an impossible value.
    """
    state = ScenarioPack(pack, scenario=scenario)
    for t in scenario.transforms:
        state = apply_transform(state, t)
    return state


def apply_transform(state: ScenarioPack, t: Transform) -> ScenarioPack:
    """Apply one transform."""
    fn = _APPLY[type(t)]
    return fn(state, t)


# ---- helpers ------------------------------------------------------------------------------------------
def _fmt(v: float) -> str:
    return f"{v:g}"


def _check_activities(pack: PlanningPack, key: str, ids: tuple[str, ...]) -> None:
    unknown = [a for a in ids if a not in pack.activity_ids]
    if unknown:
        raise ScenarioError(key, ", ".join(unknown), f"not an activity of the pack (activities: "
                                                     f"{', '.join(pack.activity_ids)})")


def _check_clinicians(pack: PlanningPack, key: str, ids: tuple[str, ...]) -> None:
    unknown = [c for c in ids if c not in pack.clinician_ids]
    if unknown:
        raise ScenarioError(key, ", ".join(unknown), "not a clinician of the pack")


# ---- demand side ----------------------------------------------------------------------------------------
def _growth(state: ScenarioPack, t: SetGrowth) -> ScenarioPack:
    s = state.pack.settings
    settings = dataclasses.replace(s, growth=t.rate, explicit=s.explicit | {"demand.growth"})
    text = "estimated from history" if t.rate is None else f"{100 * t.rate:g} % a year"
    return state.with_note(f"growth: demand growth set to {text} (was "
                           f"{'estimated' if s.growth is None else f'{100 * s.growth:g} %'})",
                           pack=state.pack.replace(settings=settings))


def _default_targets(pack: PlanningPack, name: str) -> tuple[str, ...]:
    acts = pack.activities
    if name in ("dna_rate", "patients_per_session"):
        return tuple(a.activity_id for a in acts if a.patients_per_session_effective is not None)
    if name == "percentile":
        return tuple(a.activity_id for a in acts if a.rapid_access)
    known = set(pack.activity_ids)
    return tuple(a.activity_id for a in acts if a.follow_up_activity and a.follow_up_activity in known)


_LIMITS: dict[str, tuple[float, float | None, bool, bool]] = {  # lo, hi, lo_open, hi_open
    "dna_rate": (0.0, 1.0, False, True),
    "percentile": (0.0, 1.0, True, True),
    "patients_per_session": (0.0, None, True, False),
    "follow_up_ratio": (0.0, None, False, False),
}


def _current_value(pack: PlanningPack, act: Activity, name: str,
                   history: Callable[[], object]) -> float | None:
    """The value sizing would use for ``name`` (given, else measured or the pack default)."""
    from capacity_planner.demand.history import History
    from capacity_planner.demand.sizing import choose_dna_rate, follow_up_ratio

    if name == "percentile":
        return act.percentile if act.percentile is not None else pack.settings.percentile
    if name == "patients_per_session":
        return act.patients_per_session_effective
    h = history()
    assert isinstance(h, History)
    if name == "dna_rate":
        return choose_dna_rate(act, h).value
    return follow_up_ratio(act, h).value


def _change_field(state: ScenarioPack, t: ChangeActivityField) -> ScenarioPack:
    pack = state.pack
    key = f"{t.field}.{t.mode}"
    if t.activities is not None:
        _check_activities(pack, f"{t.field}.activities", t.activities)
        targets = t.activities
    else:
        targets = _default_targets(pack, t.field)
        if not targets:
            raise ScenarioError(t.field, _fmt(t.value), "no activity of the pack has this value to change")
    cache: list[object] = []

    def history() -> object:
        if not cache:
            from capacity_planner.demand.history import build_history

            cache.append(build_history(pack))
        return cache[0]

    lo, hi, lo_open, hi_open = _LIMITS[t.field]
    replaced: dict[str, Activity] = {}
    changes = []
    for aid in targets:
        act = pack.activity(aid)
        base = _current_value(pack, act, t.field, history)
        if base is None and t.mode != "set":
            raise ScenarioError(key, _fmt(t.value), f"{aid} has no {t.field} to change")
        if t.field == "follow_up_ratio" and not act.follow_up_activity:
            raise ScenarioError(key, _fmt(t.value), f"{aid} sends no follow-ups (no follow_up_activity)")
        if t.mode == "set":
            new = t.value
        elif t.mode == "points":
            new = float(base) + t.value  # type: ignore[arg-type]
        else:
            new = float(base) * (1.0 + t.value)  # type: ignore[arg-type]
        new = round(new, DECIMALS)
        floored = t.mode != "set" and new < lo and not lo_open  # e.g. 2 points fewer DNAs where there are 1 %
        if floored:
            new = lo
        if new < lo or (lo_open and new == lo) or (hi is not None and (new > hi or (hi_open and new == hi))):
            raise ScenarioError(key, _fmt(t.value), f"{aid}: {t.field} would become {new:g}, outside the "
                                                    f"allowed range")
        change: dict[str, Any] = {t.field: new}
        replaced[aid] = dataclasses.replace(act, **change)
        changes.append(f"{aid} {'?' if base is None else f'{base:.4g}'} -> {new:.4g}"
                       + (f" (floored at {lo:g})" if floored else ""))
    activities = tuple(replaced.get(a.activity_id, a) for a in pack.activities)
    return state.with_note(f"{t.field}: {'; '.join(changes)}", pack=pack.replace(activities=activities))


# ---- team ---------------------------------------------------------------------------------------------
def _remove(state: ScenarioPack, t: RemoveClinicians) -> ScenarioPack:
    pack = state.pack
    _check_clinicians(pack, "remove_clinicians", t.clinician_ids)
    gone = set(t.clinician_ids)
    clinicians = tuple(dataclasses.replace(c, active=False) if c.clinician_id in gone else c
                       for c in pack.clinicians)
    return state.with_note(f"remove_clinicians: {', '.join(t.clinician_ids)} leave the team (posts vacant)",
                           pack=pack.replace(clinicians=clinicians))


def _contracted(state: ScenarioPack, t: SetContractedPas) -> ScenarioPack:
    pack = state.pack
    new = dict(t.pas)
    _check_clinicians(pack, "contracted_pas", tuple(new))
    out, notes = [], []
    for c in pack.clinicians:
        if c.clinician_id not in new:
            out.append(c)
            continue
        pas = new[c.clinician_id]
        max_pas = pas if c.max_pas <= c.contracted_pas else max(c.max_pas, pas)
        out.append(dataclasses.replace(c, contracted_pas=pas, max_pas=max_pas, active=True))
        notes.append(f"{c.clinician_id} {_fmt(c.contracted_pas)} -> {_fmt(pas)} PAs")
    return state.with_note(f"contracted_pas: {'; '.join(notes)}", pack=pack.replace(clinicians=tuple(out)))


def _skills_of(pack: PlanningPack, clinician_id: str) -> tuple[str, ...]:
    ids = {s.activity_id for s in pack.skills if s.clinician_id == clinician_id}
    ids |= {j.activity_id for j in pack.job_plans if j.clinician_id == clinician_id}
    return tuple(a for a in pack.activity_ids if a in ids)


def typical_skills(pack: PlanningPack, staff_group: str) -> tuple[str, ...]:
    """Activities at least half of the staff group's active clinicians may do (skills or current plan)."""
    members = [c.clinician_id for c in pack.clinicians if c.active and c.staff_group == staff_group]
    if not members:
        return ()
    counts = {a: 0 for a in pack.activity_ids}
    for cid in members:
        for a in _skills_of(pack, cid):
            counts[a] += 1
    return tuple(a for a in pack.activity_ids if counts[a] * 2 >= len(members))


def _add_clinician(state: ScenarioPack, t: AddClinician) -> ScenarioPack:
    pack = state.pack
    key = "add_clinician" if (t.skills is not None or t.like is not None or t.clinician_id is not None
                              or t.annual_cost is not None) else f"recruit.{t.staff_group}"
    if t.skills is not None:
        _check_activities(pack, f"{key}.skills", t.skills)
        skills = t.skills
        how = "skills given"
    elif t.like is not None:
        _check_clinicians(pack, f"{key}.like", (t.like,))
        skills = _skills_of(pack, t.like)
        how = f"skills of {t.like}"
    else:
        skills = typical_skills(pack, t.staff_group)
        if not skills:
            raise ScenarioError(key, t.staff_group, "no active clinician of this staff group to copy skills "
                                                    "from; give skills = [...] or like = \"<clinician>\"")
        how = f"skills most {t.staff_group} colleagues have"
    contract = t.contract or C.CONTRACT_BY_STAFF_GROUP[t.staff_group]
    default_max = C.ContractDefaults.MAX_PAS[contract]
    max_pas = t.max_pas if t.max_pas is not None else (default_max or t.contracted_pas)
    existing = set(pack.clinician_ids)
    ids = []
    k = 0
    for i in range(t.count):
        if t.clinician_id is not None:
            cid = t.clinician_id if t.count == 1 else f"{t.clinician_id}-{i + 1}"
        else:
            while True:
                k += 1
                cid = f"new-{t.staff_group}-{k}"
                if cid not in existing:
                    break
        if cid in existing:
            raise ScenarioError(f"{key}.clinician_id", cid, "already a clinician of the pack")
        existing.add(cid)
        ids.append(cid)
    records = tuple(Clinician(
        clinician_id=cid, contracted_pas=t.contracted_pas, staff_group=t.staff_group, contract=contract,
        max_pas=max(max_pas, t.contracted_pas),
        min_spa_pas=t.min_spa_pas if t.min_spa_pas is not None else C.ContractDefaults.MIN_SPA_PAS[contract],
        working_weeks=t.working_weeks or C.ContractDefaults.WORKING_WEEKS[contract],
        session_hours=t.session_hours or C.ContractDefaults.SESSION_HOURS[contract],
        name=t.name if t.name and t.count == 1 else f"New {t.staff_group} post {cid.rsplit('-', 1)[-1]}",
        out_of_hours_opt_in=t.out_of_hours_opt_in, active=True) for cid in ids)
    new_skills = tuple(Skill(cid, a) for cid in ids for a in skills)
    posts = tuple(NewPost(cid, t.staff_group, t.contracted_pas, t.annual_cost) for cid in ids)
    note = (f"{key}: {len(ids)} new {t.staff_group} post(s) of {_fmt(t.contracted_pas)} PAs "
            f"({', '.join(ids)}; {how}: {', '.join(skills)})")
    return state.with_note(note, pack=pack.replace(clinicians=(*pack.clinicians, *records),
                                                   skills=(*pack.skills, *new_skills)),
                           new_posts=(*state.new_posts, *posts))


def _lock(state: ScenarioPack, t: LockCells) -> ScenarioPack:
    pack = state.pack
    key = "lock" if t.locked else "unlock"
    wanted: set[tuple[str, str, str]] | None = None
    whole: set[str] = set()
    if t.cells is not None:
        wanted = set()
        cells = {(j.clinician_id, j.day, j.period) for j in pack.job_plans}
        for cid, day, period in t.cells:
            _check_clinicians(pack, f"{key}.{cid}", (cid,))
            if day is None or period is None:
                whole.add(cid)
            elif (cid, day, period) not in cells:
                raise ScenarioError(f"{key}.{cid}", f"{day}-{period}", f"{cid} has no session in the current "
                                                                      f"job plan on {day}-{period}")
            else:
                wanted.add((cid, day, period))
    n = 0
    out = []
    for j in pack.job_plans:
        hit = wanted is None or j.clinician_id in whole or (j.clinician_id, j.day, j.period) in wanted
        if hit and j.locked != t.locked:
            out.append(dataclasses.replace(j, locked=t.locked))
            n += 1
        else:
            out.append(j)
    what = "every cell" if t.cells is None else f"{len(t.cells)} selection(s)"
    return state.with_note(f"{key}: {n} job-plan cell(s) {'locked' if t.locked else 'unlocked'} ({what})",
                           pack=pack.replace(job_plans=tuple(out)))


# ---- activities and rooms -----------------------------------------------------------------------------
def _close(state: ScenarioPack, t: CloseActivities) -> ScenarioPack:
    pack = state.pack
    _check_activities(pack, "close_activities", t.activity_ids)
    gone = set(t.activity_ids)
    activities = tuple(dataclasses.replace(a, follow_up_activity=None) if a.follow_up_activity in gone else a
                       for a in pack.activities if a.activity_id not in gone)

    def keep(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.loc[~frame["activity_id"].isin(gone)].reset_index(drop=True)

    freed = sum(1 for j in pack.job_plans if j.activity_id in gone)
    new = pack.replace(
        activities=activities,
        skills=tuple(s for s in pack.skills if s.activity_id not in gone),
        job_plans=tuple(j for j in pack.job_plans if j.activity_id not in gone),
        requirements=tuple(r for r in pack.requirements if r.activity_id not in gone),
        waiting_list=tuple(w for w in pack.waiting_list if w.activity_id not in gone),
        referrals=keep(pack.referrals), appointments=keep(pack.appointments), delivered=keep(pack.delivered),
    )
    return state.with_note(f"close_activities: {', '.join(t.activity_ids)} closed ({freed} job-plan cell(s) "
                           "freed, their demand dropped)", pack=new)


def _add_activity(state: ScenarioPack, t: AddActivity) -> ScenarioPack:
    pack = state.pack
    if t.activity_id in pack.activity_ids:
        raise ScenarioError("add_activity.activity_id", t.activity_id, "already an activity of the pack")
    _check_clinicians(pack, "add_activity.clinicians", t.clinicians)
    if t.day is not None and pack.slots and (t.day, t.period) not in {(s.day, s.period) for s in pack.slots}:
        raise ScenarioError("add_activity.day", f"{t.day}-{t.period}", "not a slot of the weekly grid")
    priority = t.priority if t.priority is not None else (
        C.PRIORITY_RAPID_ACCESS if t.rapid_access else C.PRIORITY_ROUTINE)
    act = Activity(t.activity_id, t.category, name=t.name, patients_per_session=t.patients_per_session,
                   minutes_per_patient=t.minutes_per_patient, pa_value=t.pa_value,
                   rapid_access=t.rapid_access, room_type=t.room_type, priority=priority)
    reqs: tuple[FixedRequirement, ...] = ()
    if t.day is not None:
        reqs = (FixedRequirement(t.activity_id, None, t.day, t.period, t.min_clinicians),)
        demand = f"{t.min_clinicians} clinician(s) every {t.day}-{t.period}"
    elif t.sessions_per_week:
        reqs = (FixedRequirement(t.activity_id, t.sessions_per_week),)
        demand = f"{_fmt(t.sessions_per_week)} sessions a week"
    else:
        demand = "no demand given (add sessions_per_week)"
    new = pack.replace(activities=(*pack.activities, act), requirements=(*pack.requirements, *reqs),
                       skills=(*pack.skills, *(Skill(c, t.activity_id) for c in t.clinicians)))
    return state.with_note(f"add_activity: {t.activity_id} ({t.category}; {demand}; done by "
                           f"{', '.join(t.clinicians) or 'nobody yet'})", pack=new)


def _rooms(state: ScenarioPack, t: ExtraRooms) -> ScenarioPack:
    pack = state.pack
    key = f"extra_rooms.{t.room_type}"
    if not any(r.room_type == t.room_type for r in pack.rooms):
        raise ScenarioError(key, t.rooms, f"room type {t.room_type!r} is not in the rooms table, so it is "
                                          "unlimited already")
    out: list[RoomCapacity] = []
    n = 0
    clamped = False
    for r in pack.rooms:
        if r.room_type == t.room_type and (t.days is None or r.day in t.days) and \
                (t.periods is None or r.period in t.periods):
            value = r.available + t.rooms
            clamped |= value < 0
            out.append(dataclasses.replace(r, available=max(0, value)))
            n += 1
        else:
            out.append(r)
    note = f"extra_rooms: {t.rooms:+d} {t.room_type} in {n} slot(s)" + (" (floored at 0)" if clamped else "")
    return state.with_note(note, pack=pack.replace(rooms=tuple(out)))


# ---- allowances ---------------------------------------------------------------------------------------
def _additional(state: ScenarioPack, t: AllowAdditionalPas) -> ScenarioPack:
    if t.clinicians is not None:
        _check_clinicians(state.pack, "additional_pas.clinicians", t.clinicians)
    per = UNCAPPED_APA if t.per_clinician is None else t.per_clinician
    al = dataclasses.replace(state.allowances, additional_pas_per_clinician=per, additional_pas_total=t.total,
                             clinicians=None if t.clinicians is None else frozenset(t.clinicians))
    text = ["up to max_pas each" if t.per_clinician is None else f"up to {_fmt(t.per_clinician)} a week each"]
    if t.total is not None:
        text.append(f"{_fmt(t.total)} a week in total")
    if t.clinicians is not None:
        text.append(f"only {', '.join(t.clinicians)}")
    return state.with_note(f"additional_pas: allowed {', '.join(text)}", allowances=al)


def _buy(state: ScenarioPack, t: BuySessions) -> ScenarioPack:
    key = f"{t.kind}.{t.activity_id}"
    _check_activities(state.pack, t.kind, (t.activity_id,))
    if why := not_bookable_reason(state.pack.activity(t.activity_id)):
        raise ScenarioError(key, _fmt(t.max_sessions_per_year), why)
    if any(p.activity_id == t.activity_id for p in state.allowances.purchased_sessions):
        raise ScenarioError(key, _fmt(t.max_sessions_per_year),
                            "sessions of this activity are bought already")
    purchase = PurchasedSessions(t.activity_id, t.max_sessions_per_year, t.cost_per_session, t.kind)
    try:
        rate = session_rate(state.pack, purchase)
    except LookupError as exc:
        raise ScenarioError(key, _fmt(t.max_sessions_per_year), str(exc)) from exc
    al = dataclasses.replace(state.allowances,
                             purchased_sessions=(*state.allowances.purchased_sessions, purchase))
    return state.with_note(f"{t.kind}: up to {_fmt(t.max_sessions_per_year)} {t.activity_id} sessions a year "
                           f"at £{rate.value:,.0f} ({rate.source})", allowances=al)


def _cap_cost(state: ScenarioPack, t: CapExtraCost) -> ScenarioPack:
    al = dataclasses.replace(state.allowances, max_extra_cost=t.gbp)
    return state.with_note(f"extra_budget: additional PAs and bought sessions within £{t.gbp:,.0f} a year",
                           allowances=al)


_APPLY: dict[type, Callable[[ScenarioPack, Any], ScenarioPack]] = {
    SetGrowth: _growth,
    ChangeActivityField: _change_field,
    AddClinician: _add_clinician,
    RemoveClinicians: _remove,
    SetContractedPas: _contracted,
    AllowAdditionalPas: _additional,
    BuySessions: _buy,
    CapExtraCost: _cap_cost,
    LockCells: _lock,
    CloseActivities: _close,
    AddActivity: _add_activity,
    ExtraRooms: _rooms,
}

__all__ = ["NewPost", "ScenarioError", "ScenarioPack", "apply_scenario", "apply_transform", "typical_skills"]
