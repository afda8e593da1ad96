"""Why demand stays unmet in a feasible plan: the binding reasons per short activity.

For every activity with unmet demand the plan is read (never re-solved) to see what stops one more
session of it, clinician by clinician, so a team meeting can see which lever would help:

* nobody skilled, or the whole skilled team could not cover the demand even doing nothing else
  (lever: skills, recruitment, locum/WLI sessions);
* skilled clinicians have no PAs to spare (lever: additional PAs);
* they have free time but the rooms the activity needs are full then (lever: rooms);
* their sessions are held by locked cells, SPA floors, the time each must keep of an activity
  (``skills.min_sessions_per_week``, e.g. admin) or other work that is itself short or of higher
  priority (lever: unlock, review SPA or the floors, re-prioritise);
* per-clinician caps and rest after on-call;
* linked sessions: no clinician of the linked group or role free in the slots where they have time
  (``links``; lever: move the supervisor's or anaesthetist's sessions, or add them).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from capacity_planner.solver.links import LinkRule, blocking_links
from capacity_planner.solver.problem import PA_SCALE, AllocationProblem
from capacity_planner.solver.sites import site_reasons

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Mapping

    from capacity_planner.solver.cover import CoverRow
    from capacity_planner.solver.result import Solution


def _ids(p: AllocationProblem, cs: list[int] | set[int], limit: int = 6) -> str:
    ids = [p.clinicians[c].clinician_id for c in sorted(cs)]
    return ", ".join(ids[:limit]) + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def _slots(p: AllocationProblem, ss: set[int], limit: int = 6) -> str:
    labels = [p.slots[s].label for s in sorted(ss)]
    return ", ".join(labels[:limit]) + (f" and {len(labels) - limit} more" if len(labels) > limit else "")


def _fmt(x: float) -> str:
    return f"{round(x, 2):g}"


def _room_use(sol: Solution) -> dict[tuple[str, int], int]:
    """Rooms of each type used per slot, in the busier of week A and week B."""
    per_week: dict[tuple[str, int, str], int] = defaultdict(int)
    for (_, s), a in sol.cells.items():
        for week in "AB":
            per_week[(str(sol.problem.activities[a].room_type), s, week)] += 1
    for _, s, week, a in sol.half_cells():
        per_week[(str(sol.problem.activities[a].room_type), s, week)] += 1
    use: dict[tuple[str, int], int] = defaultdict(int)
    for (room, s, _), n in per_week.items():
        use[(room, s)] = max(use[(room, s)], n)
    return use


@dataclass
class _Held:
    """Skilled clinicians of one short activity, grouped by what stops one more session of it.

    Attributes
    ----------
    no_pas : set of int
        Clinicians with no contracted or additional PAs left for a session of it.
    room_full : set of int
        Clinicians with time in a slot where every room of its type is taken (or there is none).
    room_slots : set of int
        The slots of ``room_full``.
    capped : set of int
        Clinicians at their skills.max_sessions_per_week cap for it.
    rest : set of int
        Clinicians free, with PAs and a room, held by another rule (rest, sessions a day).
    links : dict
        Link rule row -> (rule, clinicians with time, slots) where nobody linked is free.
    """

    no_pas: set[int] = field(default_factory=set)
    room_full: set[int] = field(default_factory=set)
    room_slots: set[int] = field(default_factory=set)
    capped: set[int] = field(default_factory=set)
    rest: set[int] = field(default_factory=set)
    links: dict[int, tuple[LinkRule, set[int], set[int]]] = field(default_factory=dict)


def _activity_reasons(sol: Solution, a: int, room_use: dict[tuple[str, int], int]) -> list[str]:
    """Why activity ``a`` stays short in the plan, as plain sentences (the plan is read, not re-solved).

    Parameters
    ----------
    sol : Solution
        The feasible plan.
    a : int
        Index of the short activity in ``sol.problem.activities``.
    room_use : dict
        (room type, slot) -> rooms used, from ``_room_use``.

    Returns
    -------
    list of str
        The binding reasons, most fundamental first; never empty.
    """
    p = sol.problem
    act = p.activities[a]
    skilled = sorted({c for (c, s), acts in p.options.items() if a in acts})
    if not skilled:
        return [f"no clinician is skilled in {act.activity_id}"]
    out: list[str] = []
    most = _most_possible(p, a, skilled)
    if most < act.demand:
        out.append(
            f"even if every skilled clinician ({_ids(p, skilled)}) did only {act.activity_id}, "
            f"they could give {_fmt(most / p.week_scale)} session-weeks a year, below the "
            f"{_fmt(act.demand_exact)} needed"
        )
    held = _held_skilled(sol, a, skilled, room_use)
    out += _held_sentences(sol, a, held)
    if a in p.purchases and sol.bought.get(a, 0) >= p.purchases[a].max_sessions:
        out.append(f"all {p.purchases[a].max_sessions} {p.purchases[a].kind} sessions allowed are bought")
    floor = [b.activity_id for i, b in enumerate(p.activities)
             if b.floor > 0 and sol.supply_units[i] - _step(sol, i) < b.floor]
    if act.rapid_access and floor and not out:
        return [f"the routine floor keeps {', '.join(floor)} at {p.routine_floor_share:.0%} of the smaller "
                f"of current supply and need (solver.routine_floor_share)"]
    return out or ["the levels above it in the objective (e.g. rapid access) take the capacity"]


def _most_possible(p: AllocationProblem, a: int, skilled: list[int]) -> int:
    """Upper bound on what the skilled team could give doing nothing but activity ``a``.

    Parameters
    ----------
    p : AllocationProblem
        The problem.
    a : int
        Activity index.
    skilled : list of int
        Clinicians skilled in ``a``.

    Returns
    -------
    int
        Session-weeks a year (``week_scale`` units), locum/WLI purchases included.
    """
    act = p.activities[a]
    most = 0
    for c in skilled:
        ci = p.clinicians[c]
        slots = [
            s
            for s in range(len(p.slots))
            if a in p.options.get((c, s), ()) and (ci.out_of_hours_opt_in or not p.slots[s].premium)
        ]
        n = min(
            len(slots),
            p.skill_caps.get((c, a), len(slots)),
            (ci.grid_target + ci.apa_cap) // max(1, act.pa_value),
        )
        most += n * max((p.supply_weeks(c, s, a) for s in slots), default=0)
    most += p.purchases[a].max_sessions * p.week_scale if a in p.purchases else 0
    return most


def _held_skilled(sol: Solution, a: int, skilled: list[int], room_use: dict[tuple[str, int], int]) -> _Held:
    """Group the skilled clinicians of activity ``a`` by what stops one more session of it.

    Parameters
    ----------
    sol : Solution
        The feasible plan.
    a : int
        Activity index.
    skilled : list of int
        Clinicians skilled in ``a``.
    room_use : dict
        (room type, slot) -> rooms used, from ``_room_use``.

    Returns
    -------
    _Held
        The groups; a clinician is in at most one of capped and no_pas, and then in no other.
    """
    p = sol.problem
    act = p.activities[a]
    held = _Held()
    halves = list(sol.half_cells()) if p.links else []
    for c in skilled:
        ci = p.clinicians[c]
        if (c, a) in p.skill_caps and sum(
            1 for v in sol.cells.items() if v[0][0] == c and v[1] == a
        ) + sum(1 for cc, _, _, b in sol.half_cells() if cc == c and b == a) >= p.skill_caps[(c, a)]:
            held.capped.add(c)
            continue
        headroom = (ci.contracted + ci.apa_cap) * ci.working_weeks - sol.planned_annual[c]
        free = [s for s in range(len(p.slots)) if a in p.options.get((c, s), ()) and not sol.worked(c, s)]
        if not any(p.annual(c, s, a) <= headroom for s in free):
            held.no_pas.add(c)
            continue
        for s in free:
            if p.annual(c, s, a) > headroom:
                continue
            if (
                act.room_type is not None
                and (act.room_type, s) in p.rooms
                and room_use[(act.room_type, s)] >= p.rooms[(act.room_type, s)]
            ):
                held.room_full.add(c)
                held.room_slots.add(s)
            elif p.links and (blocked := blocking_links(p, sol.cells, halves, c, s, a)):
                for rule in blocked:  # linked sessions: nobody to link in that slot
                    held.links.setdefault(rule.row, (rule, set(), set()))[1].add(c)
                    held.links[rule.row][2].add(s)
            else:
                held.rest.add(c)  # free, PAs to spare, room free: held by rest, day caps or another rule
    return held


def _held_sentences(sol: Solution, a: int, held: _Held) -> list[str]:
    """The sentences for the groups of ``_held_skilled``: PAs, rooms, links, caps, other rules.

    Parameters
    ----------
    sol : Solution
        The feasible plan.
    a : int
        Activity index.
    held : _Held
        The skilled clinicians grouped by what holds them.

    Returns
    -------
    list of str
        Sentences in that order (possibly empty).
    """
    p = sol.problem
    act = p.activities[a]
    out: list[str] = []
    if held.no_pas:
        apa = (
            "additional PAs are not allowed"
            if all(p.clinicians[c].apa_cap == 0 for c in held.no_pas)
            else "additional PAs allowed are used"
        )
        out.append(
            f"skilled clinicians with no PAs to spare: {_ids(p, held.no_pas)} "
            f"(contracted PAs fully used; {apa})"
        )
        out += _held_by(sol, a, held.no_pas)
    if held.room_full:
        verb = "has" if len(held.room_full) == 1 else "have"
        none = {s for s in held.room_slots if p.rooms[(str(act.room_type), s)] == 0}
        if none:
            out.append(
                f"no {act.room_type} at all on {_slots(p, none)} (the rooms table gives 0), when "
                f"{_ids(p, held.room_full)} {verb} time"
            )
        if held.room_slots - none:
            out.append(
                f"rooms full: every {act.room_type} is taken on {_slots(p, held.room_slots - none)}, when "
                f"{_ids(p, held.room_full)} {verb} time"
            )
    for rule, who, where in held.links.values():
        out.append(f"no {rule.who} free in {_slots(p, where)} ({rule.label}), when {_ids(p, who)} "
                   f"{'has' if len(who) == 1 else 'have'} time")
    if held.capped:
        out.append(f"per-clinician caps reached (skills.max_sessions_per_week): {_ids(p, held.capped)}")
    if held.rest and not (held.no_pas or held.room_full or held.links):
        out.append(f"other rules (rest after an evening session, sessions a day, out-of-hours share) hold "
                   f"{_ids(p, held.rest)}")
    return out


def _step(sol: Solution, a: int) -> int:
    """Session-weeks a year (week_scale units) of the smallest planned cell of activity ``a``."""
    p = sol.problem
    return min([p.supply_weeks(c, s, a) for (c, s), b in sol.cells.items() if b == a]
               + [p.half_supply(c, s, a) for c, s, _, b in sol.half_cells() if b == a], default=0)


def _held_by(sol: Solution, a: int, who: set[int]) -> list[str]:
    """What the busy clinicians' sessions hold: locks, SPA floors, per-clinician floors, other short or
    higher-priority work."""
    p = sol.problem
    act = p.activities[a]
    locked = spa = 0
    no_room: set[int] = set()
    other: dict[int, int] = defaultdict(int)
    kept: dict[tuple[int, int], int] = defaultdict(int)  # (clinician, activity) -> weekly cells a floor holds
    use = _room_use(sol)
    for (c, s), b in sol.cells.items():
        if c not in who or b == a:
            continue
        if (c, s) in p.locked:
            locked += 1
        elif (
            act.room_type is not None
            and (act.room_type, s) in p.rooms
            and use[(act.room_type, s)] >= p.rooms[(act.room_type, s)]
        ):
            no_room.add(s)
        elif _floor_holds(sol, c, s, b):
            kept[(c, b)] += 1
        elif p.activities[b].category == "SPA":
            spa += 1
        else:
            other[b] += 1
    out = []
    none = {s for s in no_room if p.rooms[(str(act.room_type), s)] == 0}
    if none:
        out.append(f"no {act.room_type} at all on {_slots(p, none)} (the rooms table gives 0), where their "
                   f"other sessions are")
    if no_room - none:
        out.append(
            f"rooms full: every {act.room_type} is taken on {_slots(p, no_room - none)}, where their other "
            f"sessions are"
        )
    if locked:
        out.append(f"locked sessions: {locked} of their sessions are locked to other activities")
    if kept:
        out.append(f"time they must keep (skills.min_sessions_per_week): {sum(kept.values())} of their "
                   f"sessions hold it ({_floor_list(sol, kept)})")
    if spa:
        spa_floor = sum(p.clinicians[c].spa_floor for c in who) / PA_SCALE
        out.append(f"SPA: {spa} of their sessions are SPA (their SPA floors total {_fmt(spa_floor)} PAs)")
    heavier = []
    for b, n in sorted(other.items()):
        ob = p.activities[b]
        short = sol.unmet_units(b) > 0
        higher = (ob.rapid_access, ob.priority) > (act.rapid_access, act.priority)
        if short or higher:
            heavier.append(f"{ob.activity_id} ({n}{', also short' if short else ''})")
    if heavier:
        out.append(
            "their other sessions go to work that is also short or of higher priority: " + ", ".join(heavier)
        )
    return out


def _floor_holds(sol: Solution, c: int, s: int, b: int) -> bool:
    """Whether clinician ``c``'s weekly cell of ``b`` in slot ``s`` is held by their per-clinician floor
    (``skills.min_sessions_per_week``): without it their weeks of ``b`` would fall below the floor."""
    p = sol.problem
    need = p.skill_floors.get((c, b))
    if need is None:
        return False
    weeks = sum(p.weeks(c, t, b) for (cc, t), bb in sol.cells.items() if cc == c and bb == b)
    weeks += sum(p.half_weeks(c) for cc, _, _, bb in sol.half_cells() if cc == c and bb == b)
    return weeks - p.weeks(c, s, b) < need


def _floor_list(sol: Solution, kept: dict[tuple[int, int], int]) -> str:
    """"A: admin 1 a week, B: admin 0.5 a week": the floors behind ``kept``, in sessions a week."""
    p = sol.problem
    parts = []
    for c, b in sorted(kept):
        ci = p.clinicians[c]
        k = round(2 * p.skill_floors[(c, b)] / ci.working_weeks) / 2 if ci.working_weeks else 0
        parts.append(f"{ci.clinician_id}: {p.activities[b].activity_id} {_fmt(k)} a week")
    return ", ".join(parts)


def gap_reasons(sol: Solution) -> pd.DataFrame:
    """One row per (short activity, reason): columns activity_id, reason (plain sentences)."""
    rows = []
    room_use = _room_use(sol)
    for a, act in enumerate(sol.problem.activities):
        if sol.unmet_units(a) > 0:
            rows += [(act.activity_id, r) for r in _activity_reasons(sol, a, room_use)]
    rows += cover_reasons(sol)
    rows += site_reasons(sol)  # sites and travel (solver/sites.py)
    return pd.DataFrame(rows, columns=["activity_id", "reason"])


def cover_reasons(sol: Solution) -> list[tuple[str, str]]:
    """(activity, sentence) for each weekly cover the plan misses (solver/cover.py): the weeks with no
    session, by their Monday, and the clinicians whose leave nobody else covers."""
    out = []
    for rule in sol.problem.cover:
        aid = sol.problem.activities[rule.activity].activity_id
        missed = sol.uncovered_rows(rule)
        weeks = sorted(w for row in missed if row.expected is None for w in row.weeks)
        n_weeks = sum(row.tenths for row in missed if row.away is None and row.expected is None) / 10
        need = (f"quorum of {rule.sessions} on {'-'.join(rule.slot)}" if rule.slot else
                f"weekly cover ({rule.sessions} session{'s' if rule.sessions > 1 else ''} a week)")
        if n_weeks:
            shown = ", ".join(f"{w:%d %b %Y}" for w in weeks[:8]) + (", …" if len(weeks) > 8 else "")
            out.append((aid, f"{need} missed in {n_weeks:g} weeks: the weeks of {shown} "
                             f"(bank holidays and recorded leave take its sessions then)" if weeks else
                             f"{need} missed in {n_weeks:g} weeks"))
        out += _expected_leave_reasons(aid, need, rule.sessions, missed)
        for row in missed:
            if row.away is not None:
                out.append((aid, f"{need} missed in the {row.tenths / 10:g} weeks a year "
                                 f"{row.away} is on leave (not in the leave table): nobody else runs enough "
                                 f"{aid} sessions"))
        if missed and rule.allowed_tenths:
            allowed = rule.allowed_tenths / 10
            out.append((aid, f"the share of weeks asked allows {allowed:g} weeks without it"))
    return out


def _expected_leave_reasons(aid: str, need: str, k: int, missed: list[CoverRow]) -> list[tuple[str, str]]:
    """(activity, sentence) per expected leave period (solver/expected_leave.py) with weeks the plan
    leaves short: the period, its weeks by their Monday, and why."""
    by_period: dict[str, list[dt.date]] = {}
    for row in missed:
        if row.expected is not None:
            by_period.setdefault(row.expected, []).extend(row.weeks)
    out = []
    for period, weeks in by_period.items():
        weeks.sort()
        shown = ", ".join(f"{w:%d %b %Y}" for w in weeks[:8]) + (", …" if len(weeks) > 8 else "")
        out.append((aid, f"{need} missed in {len(weeks)} week{'s' if len(weeks) > 1 else ''} of expected "
                         f"leave ({period}): the weeks of {shown}; the sessions planned then, each counted "
                         f"at the chance its clinician is not away, come to fewer than {k}"))
    return out


def unassigned_reasons(sol: Solution) -> dict[int, str]:
    """Why each clinician with unassigned contracted time could not be given another session, in words
    (read from the plan, not re-solved): no free slot they work, less than a session left, SPA at its
    ceiling, admin and other work without referral demand at the per-clinician floors, rooms full or
    absent, rest and sessions-a-day rules, out-of-hours time without the opt-in."""
    p = sol.problem
    use = _room_use(sol)
    out: dict[int, str] = {}
    for c in range(len(p.clinicians)):
        left = sol.unassigned_annual(c)
        if left <= 0:
            continue
        free = [s for s in range(len(p.slots)) if not sol.worked(c, s)]
        open_ = [s for s in free if (c, s) in p.options]
        partial = [s for s in range(len(p.slots)) if None in sol.halves.get((c, s), (0, 0))]
        why = _closed_slot_reasons(sol, c, free, open_, bool(partial))
        smallest = min((p.annual(c, s, a) for s in open_ for a in p.options[(c, s)]), default=0)
        if open_ and smallest > left:
            why.append("less than one session of contracted time is left")
        elif open_:
            why += _open_slot_reasons(sol, c, open_, use)
        why += [_half_free_reason(sol, c, s, use) for s in partial]
        out[c] = "; ".join(why)
    return out


def _half_free_reason(sol: Solution, c: int, s: int, use: dict[tuple[str, int], int]) -> str:
    """Why the empty half of clinician ``c``'s slot ``s`` (the other 2 hours of a slot of 2-hour halves, or
    the free week of a slot on alternate weeks) holds nothing, in words: what may fill half a slot there
    (the half-slot cells offered, :mod:`capacity_planner.solver.alternate`) and why each was not planned."""
    p = sol.problem
    there = {a for a in sol.halves[(c, s)] if a is not None}
    names = ", ".join(f"{p.activities[a].activity_id} (2 h)" if (c, s) in sol.two_hour
                      else p.activities[a].activity_id for a in sorted(there))
    empty = (f"the other 2 hours of {p.slots[s].label} (which holds {names}) are empty"
             if (c, s) in sol.two_hour else f"{p.slots[s].label} holds {names} on alternate weeks only")
    offers = {(c, s): tuple(p.halves.get((c, s), ()))}  # those there too: SPA at its ceiling, a floor kept
    if not offers[(c, s)]:
        return (f"{empty}: nothing {p.clinicians[c].clinician_id} may do there fits half a slot (only SPA, "
                f"time without referral demand or a room, and on alternate weeks clinics with demand)")
    reasons = _open_slot_reasons(sol, c, [s], use, offers, half=True)
    return f"{empty}: {', '.join(reasons)}" if reasons else empty


def _closed_slot_reasons(sol: Solution, c: int, free: list[int], open_: list[int], partial: bool = False,
                         ) -> list[str]:
    """Why clinician ``c``'s free slots with no activity open to them stay empty, in words.

    Parameters
    ----------
    sol : Solution
        The feasible plan.
    c : int
        Clinician index.
    free : list of int
        Slots ``c`` does not work in the plan.
    open_ : list of int
        Those of ``free`` with an activity ``c`` may do there.
    partial : bool
        ``c`` has a slot with an empty half (said on its own, :func:`_half_free_reason`).

    Returns
    -------
    list of str
        Out-of-hours slots without the opt-in, slots with no skilled activity, and (when no slot is
        free at all and none has an empty half) that every slot they work is used; possibly empty.
    """
    p = sol.problem
    ci = p.clinicians[c]
    why: list[str] = []
    closed = [s for s in free if (c, s) not in p.options and (c, s) not in p.unavailable]
    off_hours = [s for s in closed if p.slots[s].premium and not ci.out_of_hours_opt_in]
    if off_hours:
        why.append(f"the free slots {_slots(p, set(off_hours))} are out of hours and {ci.clinician_id} "
                   f"has not opted in to out-of-hours work")
    if set(closed) - set(off_hours):
        other = set(closed) - set(off_hours)
        why.append(f"{ci.clinician_id} is skilled in no activity for {_slots(p, other)}")
    if not open_ and not closed and not partial:
        worked = sum(1 for s in range(len(p.slots)) if sol.worked(c, s))
        why.append(f"every slot {ci.clinician_id} works is used ({worked} sessions, fewer PAs than "
                   f"contracted: slots not worked or alternate-week sessions)")
    return why


def _open_slot_reasons(sol: Solution, c: int, open_: list[int], use: dict[tuple[str, int], int],
                       offers: Mapping[tuple[int, int], tuple[int, ...]] | None = None, half: bool = False,
                       ) -> list[str]:
    """Why none of the activities open to clinician ``c`` in their free slots was planned there, in words.

    Parameters
    ----------
    sol : Solution
        The feasible plan.
    c : int
        Clinician index (with at least a session of contracted time left).
    open_ : list of int
        Free slots of ``c`` with an activity they may do there.
    use : dict
        (room type, slot) -> rooms used, from ``_room_use``.
    offers : mapping, optional
        (clinician, slot) -> activities to account for; default the weekly options.
    half : bool
        The activities would fill half a slot (a 2-hour half or an alternate-week cell): half the supply.

    Returns
    -------
    list of str
        The distinct reasons, sorted: SPA ceiling, kept ANR/ED time, demand met, activities without
        referral demand planned up to the per-clinician floors (skills.min_sessions_per_week), rooms full
        or absent, per-activity caps, rest and sessions-a-day rules.
    """
    p = sol.problem
    ci = p.clinicians[c]
    spa_full = sol.annual_units(c, category="SPA") >= ci.spa_ceiling
    kinds: set[str] = set()
    met: set[str] = set()
    kept: set[str] = set()  # no referral demand, planned up to the per-clinician floors
    floored = {b for _, b in p.skill_floors}
    rooms: dict[tuple[str, bool], set[int]] = defaultdict(set)  # (room, none at all) -> slots
    for s in open_:
        for a in (p.options if offers is None else offers)[(c, s)]:
            act = p.activities[a]
            cap = p.supply_cap(a)
            step = p.half_supply(c, s, a) if half else p.supply_weeks(c, s, a)
            if act.category == "SPA" and spa_full:
                most = _fmt(sol.weekly_pas(c, ci.spa_ceiling))
                kinds.add(f"SPA is at its ceiling ({most} PA{'' if most == '1' else 's'} a week)")
            elif act.category in ("ANR", "ED"):
                kinds.add(f"{act.category} time is kept as in the current job plan")
            elif cap is not None and sol.supply_units[a] + step > cap:
                (kept if act.demand == 0 and a in floored else met).add(act.activity_id)
            elif act.room_type is not None and (act.room_type, s) in p.rooms and \
                    use[(act.room_type, s)] >= p.rooms[(act.room_type, s)]:
                rooms[(act.room_type, p.rooms[(act.room_type, s)] == 0)].add(s)
            elif (c, a) in p.skill_caps:
                kinds.add(f"the cap on {act.activity_id} sessions a week")
            else:
                kinds.add("rest after an evening session or the sessions-a-day cap")
    if met:
        kinds.add(f"no further need for {', '.join(sorted(met))} (demand, current supply and fixed "
                  f"requirements are covered)")
    if kept:
        kinds.add(f"{', '.join(sorted(kept))} is not referral demand: it is planned only up to the time "
                  f"clinicians must keep (skills.min_sessions_per_week) and the current job plans")
    for (room, none), where in sorted(rooms.items()):
        kinds.add(f"no {room} {'at all' if none else 'free'} on {_slots(p, where)}")
    return sorted(kinds)
