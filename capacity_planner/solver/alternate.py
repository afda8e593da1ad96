r"""Half-slot cells: alternate-week cells (a two-week cycle, week A / week B) and 2-hour halves of a slot
(SPA, admin): where the solver may propose them, which form each slot takes, and which week each
alternate-week cell runs once a plan is found.

A half-slot cell :math:`h_{csa}` is worked as a 2-hour half every week when every half-slot cell of its
slot is of an activity that needs no room and has no referral demand (:func:`halvable`,
:func:`two_hour_slots`), else as a whole session on alternate weeks; both count the same PA-weeks and
session-weeks, so the model has one variable for both (docs/method.md, "Half sessions").

An alternate-week cell :math:`h_{csa}` runs activity *a* in slot *s* on every other week: :math:`W_c/2`
weeks a year, counting :math:`\text{pa}_{csa} W_c/2` PA-weeks and supplying :math:`W_c/2` session-weeks,
exactly as a kept 21-of-42-week cell is annualised. A slot holds one weekly cell or up to two
alternate-week cells of different activities (:math:`2\sum_a x_{csa} + \sum_a h_{csa} \le 2`).

Where they are offered (:func:`half_clinicians`, :func:`half_activities`): only where they can change
what the plan reaches, so the model stays small:

* to a clinician whose SPA floor is not a whole number of their smallest SPA sessions (a 1.5-PA floor
  with 1-PA sessions: one weekly SPA session plus one alternate-week one is 1.5 PAs, where whole
  sessions cost 2), who must keep a half session of an activity (``skills.min_sessions_per_week``
  0.5 or 1.5, e.g. admin: the half is one alternate-week cell, where whole sessions cost a weekly one),
  or whose contracted grid PAs are not a whole number of the greatest common divisor of the PA values
  of the activities they may do (7.5 PAs of 1-PA clinics);
* for SPA, for the activities the clinician must keep a half session of, and for direct clinical care
  with referral demand; none with a fixed requirement (an alternate-week MDT would not keep its quorum
  every week);
* in normal-time slots only (so the rest rule after an evening session needs no week labels);
* at most one slot on a two-week cycle per clinician: a half PA of remainder needs one such slot, and
  job plans with many alternating slots are hard to run (it also keeps the search small: two single
  alternate-week cells in two slots mostly repeat what a pair in one slot does);
* only in the slots of their current SPA sessions and sessions of the activities they must keep a half
  session of, when they have any (those are what alternates); a clinician whose current plan holds less
  SPA than their floor must add SPA somewhere, so for them a cell that can only be a 2-hour half
  (:func:`halvable`: SPA, admin) is offered in any such slot: it needs no room and alternates with
  nothing, and a half SPA put in a slot no clinic can use (no room free) leaves the current SPA slot to
  a clinic.

Which week (:func:`label_weeks`): the model counts rooms as
:math:`2\sum x + \sum h \le 2\,\text{rooms}_{rs}`, and labels are assigned after solving so that every
room type has week-A and week-B counts within one of each other: each clinician's pair of alternate-week
cells in a slot is an edge between their two room types (a single one an edge to "free"), and a balanced
orientation of that multigraph (an Euler circuit after joining the odd-degree vertices to a dummy vertex)
makes every vertex's out- and in-degree differ by at most one. Week-A use of room type *r* is then
:math:`X_r + \text{out}_r \le X_r + \lceil H_r/2 \rceil \le \text{rooms}_r`, and likewise week B, so the
room rule of the model is exact, not a relaxation.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import TYPE_CHECKING

from capacity_planner.pack.costs import PA_SCALE
from capacity_planner.solver.records import WEEK_SCALE, spa_floor_units, to_units

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from capacity_planner.pack.model import PlanningPack
    from capacity_planner.solver.records import ActivityInfo, SlotInfo

FREE = "\x00free"  # vertex of a week with no alternate-week cell
_DUMMY = "\x00dummy"


def half_clinician(target: int, spa_floor: int, spa_sizes: list[int], pa_values: list[int],
                   half_floor: bool = False) -> bool:
    """Whether alternate-week cells may help a clinician (PA units of 1/120 PA).

    Parameters
    ----------
    target : int
        Contracted grid PAs a week (contracted minus on-call), PA units.
    spa_floor : int
        SPA floor, PA units a week.
    spa_sizes : list of int
        Normal-time PA values of the SPA activities they may do.
    pa_values : list of int
        Normal-time PA values of every activity they may do.
    half_floor : bool
        They must keep a half session of some activity (``skills.min_sessions_per_week`` 0.5, 1.5, ...).
    """
    if half_floor:
        return True
    if spa_floor > 0 and spa_sizes and spa_floor % min(spa_sizes) != 0:
        return True
    step = math.gcd(*pa_values) if pa_values else 0
    return step > 0 and target % step != 0


def half_clinician_ids(pack: PlanningPack) -> frozenset[str]:
    """Active clinicians who may be given alternate-week cells (:func:`half_clinician`), read from the
    pack's records; working weeks must be a whole number of fiftieths of a week (their half exact in
    hundredths)."""
    pa = {a.activity_id: to_units(a.pa_value, PA_SCALE, f"pa_value of activity {a.activity_id}")
          for a in pack.activities}
    spa = {a.activity_id for a in pack.activities if a.category == "SPA"}
    half_floors = half_floor_activities(pack)
    may: dict[str, set[str]] = defaultdict(set)
    for sk in pack.skills:
        may[sk.clinician_id].add(sk.activity_id)
    for j in pack.job_plans:
        may[j.clinician_id].add(j.activity_id)
    out = set()
    for c in pack.clinicians:
        if not c.active or round(c.working_weeks * WEEK_SCALE) % 2:
            continue
        who = f"clinician {c.clinician_id}"
        target = to_units(c.contracted_pas, PA_SCALE, f"contracted_pas of {who}") - to_units(
            c.oncall_pas, PA_SCALE, f"oncall_pas of {who}")
        acts = [a for a in sorted(may[c.clinician_id]) if a in pa]
        if half_clinician(target, spa_floor_units(pack, c), [pa[a] for a in acts if a in spa],
                          [pa[a] for a in acts], any(a in pa for a in half_floors.get(c.clinician_id, ()))):
            out.add(c.clinician_id)
    return frozenset(out)


def half_floor_activities(pack: PlanningPack) -> dict[str, frozenset[str]]:
    """clinician_id -> activities they must keep a half session of (``skills.min_sessions_per_week`` an
    odd number of half sessions: 0.5, 1.5, ...), which may then run on alternate weeks."""
    out: dict[str, set[str]] = defaultdict(set)
    for sk in pack.skills:
        if sk.min_sessions_per_week and round(sk.min_sessions_per_week * 2) % 2 == 1:
            out[sk.clinician_id].add(sk.activity_id)
    return {c: frozenset(acts) for c, acts in out.items()}


def half_options(halved: Sequence[bool], activities: Sequence[ActivityInfo], slots: Sequence[SlotInfo],
                 options: Mapping[tuple[int, int], tuple[int, ...]], locked: frozenset[tuple[int, int]],
                 fixed: set[int], current: Mapping[tuple[int, int], int],
                 half_floors: Mapping[int, frozenset[int]] | None = None,
                 short_of_spa: frozenset[int] = frozenset(),
                 ) -> dict[tuple[int, int], tuple[int, ...]]:
    """(clinician, slot) -> activities offered there on alternate weeks: for the clinicians ``halved``,
    in normal-time slots they may work and that are not locked, the SPA activities, the activities they
    must keep a half session of (``half_floors``: clinician -> activities) and the direct clinical care
    with referral demand among their options, none with a fixed requirement (indices in ``fixed``); only
    in the slots of their current SPA sessions and sessions of their half-floor activities when they have
    any there (those are what alternates: a 1.5 floor keeps one slot weekly and alternates the other, and
    the choice of slot does not repeat the whole timetable's symmetry); for a clinician whose current plan
    holds less SPA than their floor (``short_of_spa``), who must add SPA somewhere, also the activities
    that can be 2-hour halves (:func:`halvable`) in their other slots."""
    half_floors = half_floors or {}
    out: dict[tuple[int, int], tuple[int, ...]] = {}
    for (c, s), acts in options.items():
        if not halved[c] or slots[s].premium or (c, s) in locked:
            continue
        kept = half_floors.get(c, frozenset())
        mine = tuple(a for a in acts if a not in fixed and (activities[a].category == "SPA" or a in kept or (
            activities[a].category == "DCC" and activities[a].demand > 0)))
        if mine:
            out[(c, s)] = mine
    anchor_slots: dict[int, set[int]] = defaultdict(set)
    for (c, s), a in current.items():
        if (c, s) in out and (activities[a].category == "SPA" or a in half_floors.get(c, frozenset())):
            anchor_slots[c].add(s)
    anchored: dict[tuple[int, int], tuple[int, ...]] = {}
    for (c, s), acts in out.items():
        if c not in anchor_slots or s in anchor_slots[c]:
            anchored[(c, s)] = acts
        elif c in short_of_spa and (halves_only := tuple(a for a in acts if halvable(activities[a]))):
            anchored[(c, s)] = halves_only  # a new 2-hour half: it needs no room and alternates nothing
    return anchored


def halvable(activity: ActivityInfo) -> bool:
    """Whether a cell of ``activity`` may be a 2-hour half of a slot: it needs no room and has no referral
    demand (SPA, administration and other per-clinician time; not on-call)."""
    return activity.room_type is None and activity.demand == 0 and activity.category != "ONCALL"


def two_hour_slots(slot_halves: Mapping[tuple[int, int], Iterable[int]], activities: Sequence[ActivityInfo],
                   slots: Sequence[SlotInfo],
                   current: Mapping[tuple[int, int], tuple[int | None, int | None]] | None = None,
                   current_two_hour: frozenset[tuple[int, int]] = frozenset(),
                   ) -> frozenset[tuple[int, int]]:
    """The (clinician, slot) pairs whose half-slot cells are worked as two 2-hour halves every week rather
    than as whole sessions on alternate weeks: every cell :func:`halvable`, the slot in normal time, and
    not a slot the current job plan already runs on alternate weeks with the same activities (an agreed
    week A / week B is kept as it is; ``current_two_hour``: the current slots already in 2-hour halves).

    Both forms count the same: a half is ``pa x W/2`` PA-weeks and ``W/2`` session-weeks a year, so the
    model has one variable for both and the form is read from the activities once a plan is found (a
    half-slot cell next to a clinic, which needs the whole 4 hours, runs on alternate weeks)."""
    out = set()
    for (c, s), acts in slot_halves.items():
        acts = tuple(acts)
        before = (current or {}).get((c, s))
        agreed = before is not None and {a for a in before if a is not None} == set(acts)
        if agreed and (c, s) not in current_two_hour:
            continue
        if not slots[s].premium and acts and all(halvable(activities[a]) for a in acts):
            out.add((c, s))
    return frozenset(out)


def label_weeks(slot_halves: Mapping[tuple[int, int], tuple[int, ...]],
                room_of: Mapping[int, str | None],
                current: Mapping[tuple[int, int], tuple[int | None, int | None]] | None = None,
                ) -> dict[tuple[int, int], tuple[int | None, int | None]]:
    """Week A / week B for every slot's alternate-week cells, rooms balanced (see the module docstring).

    A cell the current job plan already runs on alternate weeks (``job_plans.week``) keeps its week when
    that keeps every room type within half its alternate-week cells (rounded up) in each week of the slot,
    the bound the room rule guarantees; otherwise the slot is labelled by the balanced orientation alone.

    Parameters
    ----------
    slot_halves : mapping
        (clinician, slot) -> the one or two activities run there on alternate weeks.
    room_of : mapping
        activity -> its room type (None: no room).
    current : mapping, optional
        (clinician, slot) -> (week A, week B) activities of the current job plans' alternate-week cells.

    Returns
    -------
    dict
        (clinician, slot) -> (activity in week A, activity in week B); None is a free week.
    """
    by_slot: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for (c, s) in sorted(slot_halves):
        by_slot[s].append((c, s))
    out: dict[tuple[int, int], tuple[int | None, int | None]] = {}
    for keys in by_slot.values():
        ends: list[tuple[int | None, int | None]] = []
        for key in keys:
            acts = sorted(slot_halves[key])
            ends.append((acts[0], acts[1] if len(acts) > 1 else None))
        vertex = [(_vertex(a, room_of), _vertex(b, room_of)) for a, b in ends]
        balanced = {key: (a, b) if forward else (b, a)
                    for key, (a, b), forward in zip(keys, ends, balanced_orientation(vertex), strict=True)}
        kept = {key: _as_current(pair, (current or {}).get(key)) for key, pair in balanced.items()}
        out.update(kept if _within_rooms(kept.values(), room_of) else balanced)
    return out


def _as_current(pair: tuple[int | None, int | None], before: tuple[int | None, int | None] | None,
                ) -> tuple[int | None, int | None]:
    """``pair`` turned round when that puts a cell in the week the current plan runs it."""
    if before is None:
        return pair
    flipped = (pair[1], pair[0])
    keep = sum(1 for x, y in zip(pair, before, strict=True) if x is not None and x == y)
    turn = sum(1 for x, y in zip(flipped, before, strict=True) if x is not None and x == y)
    return flipped if turn > keep else pair


def _within_rooms(pairs: Iterable[tuple[int | None, int | None]], room_of: Mapping[int, str | None]) -> bool:
    """Each room type used by at most half (rounded up) of a slot's alternate-week cells in either week."""
    used: dict[tuple[str, int], int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    for pair in pairs:
        for week, a in enumerate(pair):
            room = None if a is None else room_of.get(a)
            if room:
                used[(room, week)] += 1
                total[room] += 1
    return all(n <= -(-total[room] // 2) for (room, _), n in used.items())


def _vertex(a: int | None, room_of: Mapping[int, str | None]) -> str:
    if a is None:
        return FREE
    return room_of.get(a) or f"\x00none{a}"  # no room type: unlimited, its own vertex


def balanced_orientation(edges: list[tuple[str, str]]) -> list[bool]:
    """For each edge (u, v), True to orient it u -> v, False for v -> u, so that at every vertex the
    out-degree and in-degree differ by at most one (a loop counts one of each).

    Euler circuits of the multigraph with every odd-degree vertex joined to a dummy vertex, oriented
    along the circuit (Hierholzer's algorithm); the dummy edges are then dropped, which changes a vertex's
    balance by at most one.
    """
    degree: dict[str, int] = defaultdict(int)
    for u, v in edges:
        degree[u] += 1
        degree[v] += 1
    all_edges = list(edges)
    all_edges += [(u, _DUMMY) for u in sorted(degree) if degree[u] % 2 == 1]
    incident: dict[str, list[int]] = defaultdict(list)
    for i, (u, v) in enumerate(all_edges):
        incident[u].append(i)
        if v != u:
            incident[v].append(i)
    used = [False] * len(all_edges)
    forward = [True] * len(all_edges)
    pointer: dict[str, int] = defaultdict(int)
    # real vertices first, so that a lone alternate-week cell (an edge to "free") reads as week A
    for start in sorted(incident, key=lambda x: (x in (FREE, _DUMMY), x)):
        stack = [start]
        while stack:
            at = stack[-1]
            edges_here = incident[at]
            while pointer[at] < len(edges_here) and used[edges_here[pointer[at]]]:
                pointer[at] += 1
            if pointer[at] == len(edges_here):
                stack.pop()
                continue
            i = edges_here[pointer[at]]
            used[i] = True
            u, v = all_edges[i]
            forward[i] = u == at  # leave `at` along edge i
            stack.append(v if u == at else u)
    return forward[: len(edges)]
