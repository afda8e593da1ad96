r"""Sites and travel (issue 19 item 4): a clinician works at one site per half day, and changes site
between two consecutive sessions of a day only where the travel fits in the allowance.

**A session's site.** Activity :math:`a` runs at :math:`\sigma(a)`: its ``activities.site``, else the site
of its room type when every ``rooms`` row of that type names the same site, else no site (it can run
anywhere, and never forces a journey).

**Travel.** :math:`t(X, Y)` minutes from the ``travel`` table, the same both ways unless both directions
have a row. With the allowance :math:`T` (``solver.travel_minutes_between_sessions``, default 60 minutes:
the lunch break), two different sites are *incompatible* for consecutive sessions when there is no travel
row between them or :math:`t(X, Y) > T`; :math:`I` is the set of ordered incompatible pairs.

**Consecutive sessions.** Slots :math:`(s, s')` on the same day with :math:`s` AM and :math:`s'` PM, or
:math:`s` PM and :math:`s'` EVE, both in the grid.

**Rule.** Per clinician :math:`c`, slot :math:`s` and site :math:`X` the model has an indicator

.. math:: y_{csX} \ge x_{csa},\ y_{csX} \ge h_{csa} \quad \forall a: \sigma(a) = X,

and for each consecutive pair and each :math:`(X, Y) \in I` with both indicators defined,

.. math:: y_{csX} + y_{cs'Y} \le 1 .

An alternate-week cell (:math:`h`) counts in every week, which is stricter than the two-week cycle needs
(a week A cell at X and a week B cell at Y next to a weekly cell at Y are refused although only week A
travels); the checker reads the cycle week by week, so every plan the model allows passes it. Two
consecutive cells both locked in the job plan are exempt: the team has fixed them. With no
site anywhere, or no incompatible pair, nothing is added: the model is the one without sites.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from ortools.sat.python import cp_model

    from capacity_planner.pack.model import PlanningPack
    from capacity_planner.solver.problem import AllocationProblem
    from capacity_planner.solver.result import Solution
    from capacity_planner.solver.variables import Variables

__all__ = ["SiteRule", "activity_sites", "add_site_constraints", "check_sites", "consecutive_pairs",
           "describe_site_rule", "site_reasons", "site_rule", "site_text", "travel_minutes"]

#: Consecutive periods of one day: a change of site between them needs the travel allowance.
NEXT_PERIOD = {"AM": "PM", "PM": "EVE"}
_PERIOD_WORDS = {"AM": "morning", "PM": "afternoon", "EVE": "evening"}
#: Journeys named per short activity in the gap reasons (the rest are counted).
SHOWN_REASONS = 5


@dataclass(frozen=True)
class SiteRule:
    """The sites of one problem: each activity's site, the travel times, the allowance and the ordered
    pairs of sites a clinician cannot work in consecutive sessions.

    Attributes
    ----------
    activity_site : tuple of (str or None)
        Site of each activity by problem index (None: anywhere).
    travel : mapping of (str, str) to float
        Minutes from one site to another (both directions filled).
    allowance : float
        Minutes of travel allowed between consecutive sessions.
    blocked : frozenset of (str, str)
        Ordered pairs of different sites too far apart for consecutive sessions.
    pairs : tuple of (int, int)
        Consecutive slot pairs (earlier, later) by problem slot index.
    """

    activity_site: tuple[str | None, ...]
    travel: Mapping[tuple[str, str], float]
    allowance: float
    blocked: frozenset[tuple[str, str]]
    pairs: tuple[tuple[int, int], ...]

    def why(self, first: str, second: str) -> str:
        """Why a clinician cannot go from ``first`` to ``second`` between two sessions."""
        minutes = self.travel.get((first, second))
        if minutes is None:
            return f"no travel time is given between {first} and {second} (too far to change within a day)"
        return (f"{first} is {minutes:g} minutes from {second}, more than the {self.allowance:g}-minute "
                f"allowance")


def room_sites(pack: PlanningPack) -> dict[str, str | None]:
    """Room type -> its site when every ``rooms`` row of the type names the same site, else None."""
    named: dict[str, set[str | None]] = {}
    for r in pack.rooms:
        named.setdefault(r.room_type, set()).add(r.site)
    return {t: next(iter(s)) if len(s) == 1 else None for t, s in named.items()}


def activity_sites(pack: PlanningPack) -> dict[str, str | None]:
    """Activity ID -> the site its sessions run at (:math:`\\sigma(a)`; None: anywhere).

    Examples
    --------
    >>> from capacity_planner.pack.model import Activity, PlanningPack, RoomCapacity, Settings
    >>> pack = PlanningPack(Settings(), activities=(Activity("2ww", "DCC", room_type="derm"),
    ...                                             Activity("mdt", "DCC", site="Site A")),
    ...                     rooms=(RoomCapacity("derm", "Mon", "AM", 2, "Site B"),))
    >>> activity_sites(pack)
    {'2ww': 'Site B', 'mdt': 'Site A'}
    """
    rooms = room_sites(pack)
    return {a.activity_id: a.site if a.site is not None else rooms.get(a.room_type or "")
            for a in pack.activities}


def travel_minutes(pack: PlanningPack) -> dict[tuple[str, str], float]:
    """``(from, to) -> minutes``; a row gives both directions unless the reverse has its own row.

    >>> from capacity_planner.pack.model import PlanningPack, Settings, TravelTime
    >>> t = travel_minutes(PlanningPack(Settings(), travel=(TravelTime("A", "B", 20.0),
    ...                                                     TravelTime("B", "A", 35.0),
    ...                                                     TravelTime("A", "C", 50.0))))
    >>> t[("A", "B")], t[("B", "A")], t[("C", "A")]
    (20.0, 35.0, 50.0)
    """
    given = {(t.from_site, t.to_site): float(t.minutes) for t in pack.travel}
    out = dict(given)
    for (x, y), m in given.items():
        out.setdefault((y, x), m)
    return out


def consecutive_pairs(slots: Iterable[tuple[str, str]]) -> tuple[tuple[int, int], ...]:
    """Index pairs of consecutive slots of a day (AM -> PM, PM -> EVE) in the grid ``slots``."""
    index = {s: i for i, s in enumerate(slots)}
    return tuple((i, index[(d, NEXT_PERIOD[p])]) for (d, p), i in index.items()
                 if p in NEXT_PERIOD and (d, NEXT_PERIOD[p]) in index)


def site_rule(pack: PlanningPack, activity_ids: tuple[str, ...],
              slots: tuple[tuple[str, str], ...]) -> SiteRule | None:
    """The problem's :class:`SiteRule`, or None when no activity has a site or no two of its sites are
    too far apart (the model is then the one without sites)."""
    where = activity_sites(pack)
    sites = tuple(where.get(a) for a in activity_ids)
    named = sorted({s for s in sites if s is not None})
    travel = travel_minutes(pack)
    allowance = float(pack.settings.travel_minutes_between_sessions)
    blocked = frozenset((x, y) for x in named for y in named
                        if x != y and travel.get((x, y), float("inf")) > allowance + 1e-9)
    if not blocked:
        return None
    return SiteRule(sites, travel, allowance, blocked, consecutive_pairs(slots))


def add_site_constraints(model: cp_model.CpModel, problem: AllocationProblem, variables: Variables,
                         add: Callable[..., None]) -> int:
    """Add the rule's indicators and pair constraints (see the module docstring) to a CP-SAT model.

    Parameters
    ----------
    model : ortools.sat.python.cp_model.CpModel
    problem : AllocationProblem
        Its ``sites`` rule (None: nothing is added) and locked cells.
    variables : Variables
        ``by_cs`` and ``h_by_cs``: (clinician, slot) -> [(activity, literal)].
    add : callable
        ``add(constraint, rule, *subject)`` guards a rule instance (explanation).

    Returns
    -------
    int
        Number of pair constraints added.
    """
    rule = problem.sites
    if rule is None:
        return 0
    fixed = set(problem.locked) | {(c, s) for c, s, _ in problem.locked_halves}
    cache: dict[tuple[int, int], dict[str, cp_model.IntVar]] = {}

    def indicators(c: int, s: int) -> dict[str, cp_model.IntVar]:
        if (c, s) not in cache:
            terms: dict[str, list[cp_model.IntVar]] = {}
            for a, var in [*variables.by_cs.get((c, s), []), *variables.h_by_cs.get((c, s), [])]:
                site = rule.activity_site[a]
                if site is not None:
                    terms.setdefault(site, []).append(var)
            ys: dict[str, cp_model.IntVar] = {}
            for site, lits in sorted(terms.items()):
                if len(lits) == 1:
                    ys[site] = lits[0]
                else:
                    y = model.new_bool_var(f"site[{c}, {s}, {site}]")
                    for lit in lits:
                        model.add_implication(lit, y)
                    ys[site] = y
            cache[(c, s)] = ys
        return cache[(c, s)]

    count = 0
    for c in range(problem.n_clinicians):
        for s1, s2 in rule.pairs:
            if (c, s1) in fixed and (c, s2) in fixed:
                continue
            first, second = indicators(c, s1), indicators(c, s2)
            for x, y1 in first.items():
                for y, y2 in second.items():
                    if (x, y) in rule.blocked:
                        ct = model.add_bool_or([y1.Not(), y2.Not()])
                        add(ct, "sites", c, s1, x, y)
                        count += 1
    return count


def describe_site_rule(problem: AllocationProblem, subject: tuple[object, ...]) -> str:
    """The guarded rule instance ``(clinician, earlier slot, site X, site Y)`` in words (explanation of
    an infeasible plan)."""
    c, s, x, y = subject
    rule = problem.sites
    assert rule is not None and isinstance(c, int) and isinstance(s, int)
    sl = problem.slots[s]
    later = _PERIOD_WORDS.get(NEXT_PERIOD.get(sl.period, ""), "next session")
    return (f"{problem.clinicians[c].clinician_id} cannot work at {x} on {sl.day} "
            f"{_PERIOD_WORDS.get(sl.period, sl.period)} and at {y} that {later}: {rule.why(str(x), str(y))}")


def site_text(text: str, act: str, week_b: str, alternate: bool, where: Mapping[str, str | None]) -> str:
    """A timetable cell's text with the site of each activity that has one: ``"2ww @ Site B"``,
    ``"2ww @ Site B / spa"`` (week A / week B), ``"oncall @ Main (on call 1 in 6)"``; unchanged where no
    activity of the cell has a site.

    >>> site_text("2ww", "2ww", "", False, {"2ww": "Site B"})
    '2ww @ Site B'
    >>> site_text("2ww / free", "2ww", "", True, {"2ww": "Site B"})
    '2ww @ Site B / free'
    """
    def at(a: str) -> str:
        site = where.get(a) if a else None
        return f"{a} @ {site}" if site else (a or "free")

    if alternate:
        return f"{at(act)} / {at(week_b)}" if where.get(act) or where.get(week_b) else text
    if act and where.get(act) and text.startswith(act):
        return at(act) + text[len(act):]
    return text


def check_sites(pack: PlanningPack, cells: Mapping[tuple[str, str, str, str], str]) -> list[str]:
    """Re-derive the rule from the pack and a plan's cells and list each violation.

    Parameters
    ----------
    pack
        The planning pack (activities' and rooms' sites, travel, the allowance, the grid, locked cells).
    cells
        ``(clinician, day, period, week) -> activity``; ``week`` is "" (every week), "A" or "B".

    Returns
    -------
    list of str
        One sentence per clinician, day and pair of sessions that changes site without the time to travel.
    """
    # read from the pack here, not through activity_sites / travel_minutes: the checker's own reading
    rows_of: dict[str, list[str | None]] = {}
    for r in pack.rooms:
        rows_of.setdefault(r.room_type, []).append(r.site)
    where: dict[str, str | None] = {}
    for act in pack.activities:
        rooms = rows_of.get(act.room_type or "", [])
        one = rooms[0] if rooms and all(site == rooms[0] for site in rooms) else None
        where[act.activity_id] = act.site or one
    if not any(where.values()):
        return []
    travel: dict[tuple[str, str], float] = {}
    for t in pack.travel:
        travel[(t.from_site, t.to_site)] = float(t.minutes)
    for t in pack.travel:
        if not any(u.from_site == t.to_site and u.to_site == t.from_site for u in pack.travel):
            travel[(t.to_site, t.from_site)] = float(t.minutes)
    allowance = float(pack.settings.travel_minutes_between_sessions)
    locked = {(j.clinician_id, j.day, j.period) for j in pack.job_plans if j.locked}
    grid = {(sl.day, sl.period) for sl in pack.slots}
    out: list[str] = []
    seen: set[tuple[str, str, str, str, str]] = set()
    for week in ("A", "B"):
        worked = {k[:3]: a for k, a in cells.items() if k[3] in ("", week)}
        for (cid, day, period), aid in sorted(worked.items()):
            later = NEXT_PERIOD.get(period)
            if later is None or (day, later) not in grid or (cid, day, later) not in worked:
                continue
            x, y = where.get(aid), where.get(worked[(cid, day, later)])
            if x is None or y is None or x == y or travel.get((x, y), float("inf")) <= allowance + 1e-9:
                continue
            if (cid, day, period) in locked and (cid, day, later) in locked:
                continue
            key = (cid, day, period, x, y)
            if key in seen:
                continue
            seen.add(key)
            minutes = travel.get((x, y))
            gap = "no travel time is given" if minutes is None else f"{minutes:g} minutes of travel"
            out.append(f"{cid} {day}-{period}: {aid} at {x}, then {worked[(cid, day, later)]} at {y} in the "
                       f"{_PERIOD_WORDS[later]}: {gap}, more than the {allowance:g}-minute allowance")
    return out


def site_reasons(sol: Solution) -> list[tuple[str, str]]:
    """(activity, sentence) for each short activity with a site where a skilled clinician's free slot sits
    next to a session at a site too far away, e.g. "C03 is at Site B on Tue afternoon: Site A is 45
    minutes from Site B, more than the 30-minute allowance".

    A slot counts where the activity is on offer to the clinician but the plan gives it something else or
    nothing; the sentence names the journey the rule does not allow. At most :data:`SHOWN_REASONS` are
    named per activity, the rest counted.
    """
    p = sol.problem
    rule = p.sites
    if rule is None:
        return []
    plan = sol.cells
    out: list[tuple[str, str]] = []
    for a, act in enumerate(p.activities):
        site = rule.activity_site[a]
        if site is None or sol.unmet_units(a) <= 0:
            continue
        said: list[str] = []
        for s1, s2 in rule.pairs:
            for c, ci in enumerate(p.clinicians):
                for here, there in ((s1, s2), (s2, s1)):
                    if a not in p.options.get((c, here), ()) or plan.get((c, here)) == a:
                        continue
                    b = plan.get((c, there))
                    other = None if b is None else rule.activity_site[b]
                    if b is None or other is None:
                        continue
                    pair = (site, other) if here == s1 else (other, site)
                    if pair not in rule.blocked:
                        continue
                    sl = p.slots[there]
                    text = (f"{ci.clinician_id} is at {other} on {sl.day} "
                            f"{_PERIOD_WORDS.get(sl.period, sl.period)} ({p.activities[b].activity_id}), so "
                            f"cannot run {act.activity_id} at {site} next to it: {rule.why(*pair)}")
                    if text not in said:
                        said.append(text)
        out += [(act.activity_id, text) for text in said[:SHOWN_REASONS]]
        if len(said) > SHOWN_REASONS:
            out.append((act.activity_id, f"{len(said) - SHOWN_REASONS} more sessions next to one at a site "
                                         f"too far away"))
    return out
