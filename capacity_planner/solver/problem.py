r"""An integerised, solver-ready view of a planning pack and its demand.

CP-SAT works on integers, so every quantity is scaled once, here, by a named factor and checked for
exactness: a value that would round is an error (:class:`ScalingError`), never a silent approximation.

Scales
------
PA_SCALE = 120
    1 PA a week = 120 units. 120 = lcm(8, 10, 3) x 1: quarters (pa_value 1.25, 0.75), eighths (0.125),
    tenths (contracted 7.6) and thirds are whole numbers of units, and so is a premium-time session:
    4/3 PA = 160 units, a 1.25-PA list in premium time = 200 units.
WEEK_SCALE = 100 (at most)
    Working weeks (42, 45, 46.4) and job-plan ``weeks_per_year`` must be exact in hundredths of a week.
    The problem then uses the coarsest resolution that keeps them all whole,
    :attr:`AllocationProblem.week_scale`
    (1 when every value is a whole number of weeks, as usual; 10 for tenths…): supply only ever comes in
    those steps. Demand (``sessions_per_year``, a forecast) is the one quantity that is rounded: up, to
    the same resolution (whole session-weeks a year, usually). Rounding demand to the resolution of supply
    does not change which plans meet it (supply >= D exactly when supply >= ceil(D)), and it lets the
    solver prove the unmet-demand level optimal: with a fractional D the LP relaxation can meet the
    fraction that no plan can, and closing that last fraction of a session-week took CP-SAT longer than
    the rest of the solve. Each rounding is recorded in :attr:`AllocationProblem.notes`.
    Weekday-true supply (:mod:`capacity_planner.solver.supply`, ``planning.weekday_true_supply``) adds
    each cell's sessions a year to the values kept whole: whole sessions for a weekly cell (37.6 -> 38 for
    a Monday cell of 42 working weeks in 2026/27), and for a part-week one (half of 41 -> 21), so the
    supply needs no finer resolution than whole session-weeks. Supply
    coefficients are :meth:`AllocationProblem.supply_weeks` / :meth:`~AllocationProblem.half_supply`; PA
    coefficients stay :meth:`~AllocationProblem.annual` (contractual weeks).

Premium time
------------
The consultant contract (2003, Schedule 3) and the SAS contracts (2021) define a PA as 4 hours in normal
time or 3 hours in premium time (weekday evenings 19:00-07:00 and weekends). A session is a 4-hour block
wherever it falls, so a session in a premium slot counts ``pa_value x 4/3`` PAs
(:data:`capacity_planner.constants.NORMAL_PA_HOURS` / :data:`~capacity_planner.constants.PREMIUM_PA_HOURS`).
Agenda for Change has no PAs and pays unsocial hours as an enhancement, not as extra time, so an AfC
session counts ``pa_value`` in any slot.

Skills
------
A clinician may do an activity listed for them in ``skills``, and also any activity they do in their
*current* job plan (the pack validator accepts such cells; the current plan shows they do it).
Inactive clinicians (``active = false``) are left out of the plan altogether.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING

from capacity_planner import constants as C
from capacity_planner.pack.costs import NOMINAL_PA_COST, PA_SCALE, additional_rate, session_rate
from capacity_planner.solver.alternate import (
    half_clinician_ids,
    half_floor_activities,
    half_options,
    halvable,
)
from capacity_planner.solver.cover import CoverRule, cover_rules
from capacity_planner.solver.current import referral_demand, whole_session_ceiling, with_current_time
from capacity_planner.solver.links import LinkRule, link_rules
from capacity_planner.solver.options import Allowances, Baseline
from capacity_planner.solver.productivity import supply_weights, weighted_supply, weights_note
from capacity_planner.solver.records import (
    HELD_CATEGORIES,
    PREMIUM_FACTOR,
    WEEK_SCALE,
    ActivityInfo,
    ClinicianInfo,
    FixedSlot,
    FixedWeekly,
    Purchase,
    ScalingError,
    SlotInfo,
    spa_floor_units,
    to_units,
)
from capacity_planner.solver.sites import SiteRule, site_rule
from capacity_planner.solver.supply import cell_supply, leave_by_clinician, planning_start, weekday_supply

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

    from capacity_planner.demand.requirements import Requirements
    from capacity_planner.pack.model import Clinician, PlanningPack

_EPS = 1e-9


@dataclass(frozen=True, eq=False)
class AllocationProblem:
    """Indices, options and integer data of one allocation problem.

    ``options[c, s]`` lists the activities clinician ``c`` may do in slot ``s``: skilled, available, and
    opted in to out-of-hours work if ``s`` is a premium slot; everything else (rooms, locks, caps…) is a
    rule of the model.
    """

    name: str
    clinicians: tuple[ClinicianInfo, ...]
    activities: tuple[ActivityInfo, ...]
    slots: tuple[SlotInfo, ...]
    options: Mapping[tuple[int, int], tuple[int, ...]]
    current: Mapping[tuple[int, int], int]
    current_weeks: Mapping[tuple[int, int], int]
    locked: frozenset[tuple[int, int]]
    rooms: Mapping[tuple[str, int], int]
    fixed_slots: tuple[FixedSlot, ...]
    fixed_weekly: tuple[FixedWeekly, ...]
    skill_caps: Mapping[tuple[int, int], int]
    purchases: Mapping[int, Purchase]
    apa_total_cap: int | None
    objective: tuple[str, ...]
    week_scale: int = 1
    extra_cost_cap: int | None = None  # PA_SCALE x GBP a year (Allowances.max_extra_cost)
    routine_floor_share: float = 0.0
    skilled: frozenset[tuple[int, int]] = frozenset()  # (clinician, activity)
    unavailable: frozenset[tuple[int, int]] = frozenset()  # (clinician, slot) not worked
    notes: tuple[str, ...] = ()
    # (clinician, slot) -> activities offered on alternate weeks there (solver/alternate.py)
    halves: Mapping[tuple[int, int], tuple[int, ...]] = field(default_factory=dict)
    # current cells on alternate weeks (job_plans.week A / B): (clinician, slot) -> (week A, week B) activity
    current_halves: Mapping[tuple[int, int], tuple[int | None, int | None]] = field(default_factory=dict)
    locked_halves: frozenset[tuple[int, int, int]] = frozenset()  # (clinician, slot, activity)
    # the slots of current_halves the current plan works as 2-hour halves (job_plans.half 1 / 2), every week:
    # the first half is read as week A and the second as week B, which count the same (solver/alternate.py)
    current_two_hour: frozenset[tuple[int, int]] = frozenset()
    # (slot, activity) of a 1-in-N on-call rota -> weeks a year each member is on call (week_scale units)
    rota_weeks: Mapping[tuple[int, int], int] = field(default_factory=dict)
    # (slot, activity) of a rota -> PA units a week of unpredictable emergency work each member is credited
    # (requirements.unpredictable_pas), annualised over the member's working weeks; absent: none
    rota_unpredictable: Mapping[tuple[int, int], int] = field(default_factory=dict)
    # The plan the changes level counts against (Baseline; None: the current job plans) and its cells
    # that must keep their baseline activity, (clinician, slot) -> activity
    baseline: Mapping[tuple[int, int], int] | None = None
    pinned: Mapping[tuple[int, int], int] = field(default_factory=dict)
    # weekday-true supply (solver/supply.py), week_scale units a year per (clinician, slot): a weekly cell
    # moved or new there, the current cell kept, an alternate-week cell. Empty: supply = weeks (even spread)
    supply_full: Mapping[tuple[int, int], int] = field(default_factory=dict)
    supply_kept: Mapping[tuple[int, int], int] = field(default_factory=dict)
    supply_half: Mapping[tuple[int, int], int] = field(default_factory=dict)
    # weekly cover rules (solver/cover.py): activities that must run every week (or a share of weeks)
    cover: tuple[CoverRule, ...] = ()
    links: tuple[LinkRule, ...] = ()  # linked sessions (solver/links.py); empty without a links table
    sites: SiteRule | None = None  # sites and travel (solver/sites.py); None: no site rule
    # productivity per cell (solver/productivity.py): (clinician, activity) -> w = pps_{g(c),a} / pps^mix_a,
    # the session-weeks of need one session meets; absent: 1 (empty without a productivity table)
    productivity: Mapping[tuple[int, int], float] = field(default_factory=dict)
    # per-clinician time (skills.min_sessions_per_week, e.g. admin): (clinician, activity) -> weeks a year of
    # the activity they must keep (week_scale units: whole sessions x W_c, a half x W_c // 2); empty: none
    skill_floors: Mapping[tuple[int, int], int] = field(default_factory=dict)
    _index: dict[str, dict[object, int]] = field(default_factory=dict, repr=False)

    # ---- sizes and lookups ---------------------------------------------------------------------
    @property
    def n_clinicians(self) -> int:
        """Number of clinicians planned."""
        return len(self.clinicians)

    @property
    def change_base(self) -> Mapping[tuple[int, int], int]:
        """The cells the ``changes`` level counts against: the baseline when given, else the current job
        plans."""
        return self.current if self.baseline is None else self.baseline

    def clinician_index(self, clinician_id: str) -> int:
        """Index of a clinician (KeyError if not planned)."""
        return self._lookup("c", lambda: {c.clinician_id: i for i, c in enumerate(self.clinicians)},
                            clinician_id)

    def activity_index(self, activity_id: str) -> int:
        """Index of an activity (KeyError if unknown)."""
        return self._lookup("a", lambda: {a.activity_id: i for i, a in enumerate(self.activities)},
                            activity_id)

    def slot_index(self, day: str, period: str) -> int:
        """Index of a slot (KeyError if not in the grid)."""
        return self._lookup("s", lambda: {(s.day, s.period): i for i, s in enumerate(self.slots)},
                            (day, period))

    def _lookup(self, kind: str, build: Callable[[], dict[object, int]], key: object) -> int:
        """``key``'s index in the ``kind`` index, built by ``build`` on first use only."""
        if kind not in self._index:
            self._index[kind] = build()
        return self._index[kind][key]

    def triples(self) -> Iterator[tuple[int, int, int]]:
        """Every (clinician, slot, activity) the model has a decision for, in a fixed order."""
        for (c, s), acts in self.options.items():
            for a in acts:
                yield c, s, a

    def half_triples(self) -> Iterator[tuple[int, int, int]]:
        """Every (clinician, slot, activity) offered as an alternate-week cell, in a fixed order."""
        for (c, s), acts in self.halves.items():
            for a in acts:
                yield c, s, a

    def current_activities(self, c: int, s: int) -> tuple[int, ...]:
        """The activities of clinician ``c``'s current job plan in slot ``s``: the weekly cell's, or those
        of its week A and week B cells."""
        if (c, s) in self.current_halves:
            return tuple(a for a in self.current_halves[(c, s)] if a is not None)
        a = self.current.get((c, s))
        return () if a is None else (a,)

    def change_cells(self) -> tuple[tuple[int, int], ...]:
        """The (clinician, slot) cells the ``changes`` level counts against: the baseline's when given,
        else the current job plans' weekly and week A / week B cells."""
        if self.baseline is not None:
            return tuple(self.baseline)
        return (*self.current, *self.current_halves)

    def change_activities(self, c: int, s: int) -> tuple[int, ...]:
        """The activities the ``changes`` level compares cell (c, s) with: the baseline's (whole weekly
        cells), else :meth:`current_activities`."""
        if self.baseline is not None:
            a = self.baseline.get((c, s))
            return () if a is None else (a,)
        return self.current_activities(c, s)

    def current_in_week(self, c: int, s: int, week: str) -> int | None:
        """The current job plan's activity in slot ``s`` in week ``week`` ("A", "B"; "" reads as A)."""
        if (c, s) in self.current_halves:
            return self.current_halves[(c, s)][1 if week == "B" else 0]
        return self.current.get((c, s))

    # ---- coefficients --------------------------------------------------------------------------
    def half_weeks(self, c: int) -> int:
        """Weeks a year (week_scale units) an alternate-week cell of clinician ``c`` runs: half their
        working weeks (whole: the week resolution includes them, see :func:`_week_scale`)."""
        return self.clinicians[c].working_weeks // 2

    def half_annual(self, c: int, s: int, a: int) -> int:
        """PA-weeks a year (annual units) of an alternate-week cell: ``pas(c, s, a) x half_weeks(c)``."""
        return self.pas(c, s, a) * self.half_weeks(c)

    def pas(self, c: int, s: int, a: int) -> int:
        """PA units that clinician ``c`` earns doing activity ``a`` in slot ``s`` (premium time scaled)."""
        value = self.activities[a].pa_value
        if self.slots[s].premium:
            scaled = value * self.clinicians[c].premium_factor
            return int(scaled)  # exact: checked in build_problem
        return value

    def weeks(self, c: int, s: int, a: int) -> int:
        """Session-weeks a year (week_scale units) delivered by one weekly cell: a 1-in-N rota member's
        on-call weeks (``min_clinicians x service_weeks / N``) in a rota slot, else the current plan's
        ``weeks_per_year`` if the cell keeps its current activity, else the clinician's working weeks."""
        rota = self.rota_weeks.get((s, a))
        if rota is not None:
            return rota
        if self.current.get((c, s)) == a:
            return self.current_weeks[(c, s)]
        return self.clinicians[c].working_weeks

    def annual(self, c: int, s: int, a: int) -> int:
        """PA-weeks a year one weekly cell gives clinician ``c`` (annual units, PA_SCALE x week_scale per
        PA-week): its PAs times the weeks it runs, ``pas(c, s, a) x weeks(c, s, a)``. A kept alternate-week
        cell (21 of 42 weeks) counts half the PAs of a weekly one, and so supplies half the session-weeks:
        PAs and supply always move together. A rota member's cell adds the rota's unpredictable emergency
        work, ``unpredictable x working weeks`` (PAs a week over the whole year of the member)."""
        extra = self.rota_unpredictable.get((s, a), 0)
        return self.pas(c, s, a) * self.weeks(c, s, a) + extra * self.clinicians[c].working_weeks

    def supply_weeks(self, c: int, s: int, a: int) -> int:
        """Sessions a year (week_scale units) one weekly cell delivers: weekday-true (the planning year's
        calendar for slot ``s``'s day, :mod:`capacity_planner.solver.supply`), else :meth:`weeks`; weighted
        by the clinician's productivity in ``a`` when the pack has a ``productivity`` table
        (:mod:`capacity_planner.solver.productivity`). Its PAs stay :meth:`annual` (contractual)."""
        rota = self.rota_weeks.get((s, a))
        if rota is not None:  # on call on the rota's weeks, bank holidays included: not weekday-true
            units = rota
        elif self.current.get((c, s)) == a:
            units = self.supply_kept.get((c, s), self.current_weeks[(c, s)])
        else:
            units = self.supply_full.get((c, s), self.clinicians[c].working_weeks)
        return weighted_supply(units, self.productivity.get((c, a))) if self.productivity else units

    def half_supply(self, c: int, s: int, a: int | None = None) -> int:
        """Sessions a year (week_scale units) an alternate-week cell of clinician ``c`` in slot ``s``
        delivers: half the weekday-true supply of a weekly one, else :meth:`half_weeks`; weighted by the
        productivity of ``c`` in activity ``a`` when given (every supply sum gives it)."""
        units = self.supply_half.get((c, s), self.half_weeks(c))
        if a is None or not self.productivity:
            return units
        return weighted_supply(units, self.productivity.get((c, a)))

    def min_session_pas(self, c: int) -> int:
        """Smallest PA units of any session clinician ``c`` could do (0 if they have no options)."""
        values = [self.pas(c, s, a) for s in range(len(self.slots)) for a in self.options.get((c, s), ())]
        return min(values, default=0)

    def supply_cap(self, a: int) -> int | None:
        """Most session-weeks a year (week_scale units) activity ``a`` may be planned: less than one session
        (of its longest-running cell) beyond the largest of its referral demand, its current supply and its
        fixed requirements (heads or sessions a week x those weeks). Time no activity needs stays
        unassigned rather than becoming sessions nobody asked for. None for SPA, ANR and ED (their own
        rules) and for an activity nobody can do."""
        parts = self.supply_cap_parts(a)
        return None if parts is None else parts[0] + parts[1] - 1

    def supply_cap_parts(self, a: int) -> tuple[int, int] | None:
        """(the largest of need, current supply, fixed requirements and forced supply; the longest cell's
        supply), week_scale units, of :meth:`supply_cap`; None where it has none."""
        act = self.activities[a]
        if act.category in ("SPA", *HELD_CATEGORIES):
            return None
        longest = max((self.supply_weeks(c, s, a) for c, s, aa in self.triples() if aa == a), default=0)
        if longest == 0:
            return None
        required = sum(self._slot_required(r, longest) for r in self.fixed_slots
                       if r.a == a) + sum(r.sessions * longest for r in self.fixed_weekly if r.a == a)
        return max(act.demand, act.current_supply, required, self.cover_room(a, longest),
                   self.forced_supply(a, longest)), longest

    def cover_room(self, a: int, longest: int) -> int:
        """Session-weeks a year (week_scale units) a weekly cover of ``a`` may need (solver/cover.py): k
        sessions a week with any one clinician away, on another day when a bank holiday takes one, so room for
        k + 2 weekly cells of the longest size; 0 without a cover rule."""
        return max(((rule.sessions + 2) * longest for rule in self.cover if rule.activity == a), default=0)

    def _slot_required(self, r: FixedSlot, longest: int) -> int:
        """Session-weeks a year (week_scale units) a slot requirement asks for: a rota's N members x their
        on-call weeks (its cover over the service weeks), else heads x ``longest`` or the attendance."""
        if r.rota is not None:
            return r.rota * self.rota_weeks[(r.s, r.a)]
        return max(r.min_clinicians * longest, r.attendance or 0)

    def forced_supply(self, a: int, longest: int) -> int:
        """Session-weeks a year (week_scale units) of ``a`` that locks and fixed requirements force: every
        locked cell, plus each fixed slot's heads not already locked there x ``longest`` (a 1-in-N rota's
        members not already locked there x their weeks on call), plus sessions a week x ``longest``; a
        locked alternate-week cell counts its half of the weeks. The
        supply cap is never below it, so locks and requirements that together exceed need, current supply
        and the requirements alone cannot make a pack infeasible (found by the HiGHS property test)."""
        locked = [key for key in self.locked if self.current.get(key) == a]
        locked += [key for key, b in self.pinned.items() if b == a and key not in self.locked]  # meeting pins
        forced = sum(self.supply_weeks(*key, a) for key in locked)
        # a locked week A / week B cell (job_plans.week) is forced too, for its half of the weeks
        forced += sum(self.half_supply(c, s, a) for c, s, b in self.locked_halves if b == a)
        for r in self.fixed_slots:
            if r.a == a and r.rota is not None:  # members not already locked there, each on call its weeks
                members_locked = sum(1 for _, s in locked if s == r.s)
                forced += max(0, r.rota - members_locked) * self.rota_weeks[(r.s, r.a)]
            elif r.a == a:
                heads_locked = sum(1 for _, s in locked if s == r.s)
                forced += max(0, r.min_clinicians - heads_locked) * longest
        forced += sum(r.sessions * longest for r in self.fixed_weekly if r.a == a)
        return forced + self.floor_cells(a) * longest

    def floor_cells(self, a: int) -> int:
        """Most cells of ``a`` the per-clinician floors (:attr:`skill_floors`) can force: per clinician with
        a floor, the floor's weeks over their shortest-running cell of ``a``, rounded up (0 without floors).
        Counted in :meth:`forced_supply`, so a floor can never make the supply cap infeasible."""
        if not self.skill_floors:
            return 0
        shortest: dict[int, int] = {}
        for c, s, aa in self.triples():
            if aa == a and (c, a) in self.skill_floors:
                shortest[c] = min(shortest.get(c, self.weeks(c, s, a)), self.weeks(c, s, a))
        for (c, _s), acts in self.halves.items():
            if a in acts and (c, a) in self.skill_floors:
                shortest[c] = min(shortest.get(c, self.half_weeks(c)), self.half_weeks(c))
        return sum(-(-self.skill_floors[(c, a)] // w) for c, w in shortest.items() if w > 0)

    def day_slots(self) -> dict[str, tuple[int, ...]]:
        """Slot indices per day, in grid order."""
        out: dict[str, list[int]] = {}
        for s, sl in enumerate(self.slots):
            out.setdefault(sl.day, []).append(s)
        return {d: tuple(v) for d, v in out.items()}

    def next_morning(self, s: int) -> int | None:
        """The AM slot of the day after slot ``s`` (the week wraps Sunday to Monday), if in the grid."""
        day = C.DAYS[(C.DAYS.index(self.slots[s].day) + 1) % len(C.DAYS)]
        try:
            return self.slot_index(day, "AM")
        except KeyError:
            return None

    def staff_groups(self) -> dict[str, tuple[int, ...]]:
        """Clinician indices per staff group, in first-seen order."""
        groups: dict[str, list[int]] = {}
        for i, c in enumerate(self.clinicians):
            groups.setdefault(c.staff_group, []).append(i)
        return {g: tuple(v) for g, v in groups.items()}


# ---- construction ------------------------------------------------------------------------------
def _apa_cost(pack: PlanningPack, c_rec: Clinician) -> tuple[float, bool]:
    """GBP a year per additional PA and whether it is assumed (the price list,
    :func:`capacity_planner.pack.costs.additional_rate`)."""
    rate = additional_rate(pack, c_rec)
    return rate.value, rate.assumed


def _session_cost(pack: PlanningPack, kind: str) -> float | None:
    """GBP for one bought session from the pack (:func:`capacity_planner.pack.costs.session_rate`)."""
    rate = session_rate(pack, kind)
    return None if rate is None else rate.value


def additional_pa_caps(pack: PlanningPack, allowances: Allowances) -> tuple[dict[str, float], float | None]:
    """Additional PAs a week each clinician may be given (headroom below ``max_pas``, the per-clinician
    allowance, the named clinicians, the per-clinician caps) and the team's total allowance (None: no total
    cap)."""
    caps: dict[str, float] = {}
    for c in pack.clinicians:
        headroom = max(0.0, c.max_pas - c.contracted_pas)
        if allowances.additional_pas_per_clinician is None:
            allowed = headroom if pack.settings.allow_additional_pas else 0.0
        else:
            allowed = min(headroom, allowances.additional_pas_per_clinician)
        if allowances.clinicians is not None and c.clinician_id not in allowances.clinicians:
            allowed = 0.0
        if allowances.clinician_caps is not None:
            allowed = min(allowed, dict(allowances.clinician_caps).get(c.clinician_id, 0.0))
        caps[c.clinician_id] = allowed
    return caps, allowances.additional_pas_total


def _extra_cost_cap(allowances: Allowances) -> int | None:
    """``max_extra_cost`` in the cost level's units (PA_SCALE x GBP a year), rounded down."""
    budget = allowances.max_extra_cost
    if budget is None:
        return None
    if not math.isfinite(budget) or budget < 0:
        raise ValueError(f"max_extra_cost must be a number of GBP a year >= 0, not {budget!r}")
    return math.floor(budget * PA_SCALE + _EPS)


def _week_scale(pack: PlanningPack, halved: frozenset[str] = frozenset(), extra: tuple[int, ...] = ()) -> int:
    """Coarsest resolution (1, 2, 4, 5, 10, 20, 25, 50 or 100 steps a week) keeping every working_weeks and
    weeks_per_year of active clinicians whole, and half the working weeks of the clinicians in ``halved``
    (who may be given alternate-week cells); :class:`ScalingError` if hundredths are not enough."""
    active = {c.clinician_id for c in pack.clinicians if c.active}
    values = [
        to_units(c.working_weeks, WEEK_SCALE, f"working_weeks of clinician {c.clinician_id}")
        for c in pack.clinicians
        if c.active
    ]
    values += [to_units(c.working_weeks, WEEK_SCALE, "") // 2 for c in pack.clinicians
               if c.active and c.clinician_id in halved]  # even in hundredths: see half_clinician_ids
    rotas = rota_weeks(pack)
    values += [
        to_units(j.weeks_per_year, WEEK_SCALE, f"weeks_per_year of {j.clinician_id} {j.day}-{j.period}")
        for j in pack.job_plans
        if j.clinician_id in active and (j.activity_id, j.day, j.period) not in rotas  # a rota sets those
    ]
    g = WEEK_SCALE
    for v in [*values, *extra]:  # extra: weekday-true supply in hundredths
        g = math.gcd(g, v)
    scale = WEEK_SCALE // g
    for weeks in rotas.values():  # a 1-in-6 rota over 52 weeks: 26/3 weeks each, thirds
        scale = math.lcm(scale, weeks.denominator)
    return scale


def rota_weeks(pack: PlanningPack) -> dict[tuple[str, str, str], Fraction]:
    """Weeks a year each member of a 1-in-N on-call rota is on call, exactly: ``min_clinicians x
    service_weeks / N`` per rota requirement, keyed by (activity, day, period)."""
    service = Fraction(to_units(pack.settings.service_weeks, WEEK_SCALE, "planning.service_weeks"),
                       WEEK_SCALE)
    return {(r.activity_id, r.day, r.period): service * r.min_clinicians / r.rota_size
            for r in pack.requirements
            if r.rota_size is not None and r.day is not None and r.period is not None}


def build_problem(
    pack: PlanningPack,
    requirements: Requirements,
    allowances: Allowances | None = None,
    baseline: Baseline | None = None,
) -> AllocationProblem:
    """Integerise ``pack`` and ``requirements`` for the allocation model (``baseline``: the plan the
    ``changes`` level counts against, :class:`~capacity_planner.solver.options.Baseline`).

    Raises
    ------
    ScalingError
        A PA value, contract, working weeks or weeks_per_year is not exact in solver units.
    ValueError
        Requirements name an activity that is not in the pack.
    """
    allowances = allowances or Allowances()
    notes: list[str] = []
    slots = tuple(SlotInfo(s.day, s.period, bool(s.premium_time)) for s in pack.slots) or tuple(
        SlotInfo(d, p, False) for d in C.WEEKDAYS for p in ("AM", "PM")
    )
    slot_of = {(s.day, s.period): i for i, s in enumerate(slots)}

    demand_given = referral_demand(pack, requirements)
    rotas = rota_weeks(pack)
    # solver.alternate_weeks = false: whole weekly sessions only (no alternate-week cells offered)
    halved = half_clinician_ids(pack) if pack.settings.alternate_weeks else frozenset()
    labelled = frozenset(j.clinician_id for j in pack.job_plans if j.week in ("A", "B") or j.half)
    clin_index = {c.clinician_id: i for i, c in enumerate(c for c in pack.clinicians if c.active)}
    supply_of = _weekday_supply_weeks(pack, slots, halved | labelled)
    week_scale = _week_scale(pack, halved | labelled,
                             tuple(to_units(w, WEEK_SCALE, "supply") for w in supply_of.values()))
    activities = _activity_infos(pack, demand_given, week_scale, notes)
    act_of = {a.activity_id: i for i, a in enumerate(activities)}
    clinicians, apa_total = _clinician_infos(pack, allowances, week_scale, notes)
    clin_of = {c.clinician_id: i for i, c in enumerate(clinicians)}
    _check_premium_exact(clinicians, activities, slots)

    skilled, skill_caps = _skills(pack, clin_of, act_of)
    now = _current_plan(pack, clin_of, slot_of, act_of, rotas, week_scale, skilled)
    half_current = [(c, s, a, clinicians[c].working_weeks // 2) for (c, s), pair in now.halves.items()
                    for a in pair if a is not None]
    clinicians = with_current_time(pack, clinicians, activities, slots, now.cells, now.weeks, week_scale,
                                   half_current)
    supply_full, supply_kept, supply_half = _supply_units(supply_of, clin_index, week_scale)
    productivity = supply_weights(pack, [ci.clinician_id for ci in clinicians],
                                  [info.activity_id for info in activities])
    notes += weights_note({k: w for k, w in productivity.items() if k in skilled},
                          [ci.clinician_id for ci in clinicians], [info.activity_id for info in activities])
    current_supply = _current_supply(now, half_current, supply_kept, supply_half, productivity)
    share = float(pack.settings.routine_floor_share)
    activities = _with_floor(activities, current_supply, share, week_scale)

    unavailable = pack.unavailable_slots
    options = _options(clinicians, activities, slots, skilled, unavailable)
    rooms = {
        (r.room_type, slot_of[(r.day, r.period)]): int(r.available)
        for r in pack.rooms
        if (r.day, r.period) in slot_of
    }
    fixed = _fixed_requirements(pack, act_of, slot_of, rotas, week_scale)
    _drop_short_rota_options(options, fixed.rota_cells, clinicians)
    fixed_acts = {r.a for r in fixed.slots} | {r.a for r in fixed.weekly}
    half_floors = {clin_of[cid]: frozenset(act_of[a] for a in acts if a in act_of)
                   for cid, acts in half_floor_activities(pack).items() if cid in clin_of}
    halves = half_options([ci.clinician_id in halved for ci in clinicians], activities, slots, options,
                          frozenset(now.locked), fixed_acts, now.cells, half_floors,
                          _short_of_spa(clinicians, activities, now))
    _offer_current_halves(halves, now.halves, options)
    two_hour_spa = {c for (c, s), acts in halves.items() if not slots[s].premium
                    and any(activities[a].category == "SPA" and halvable(activities[a]) for a in acts)}
    clinicians = [whole_session_ceiling(ci, c, activities, skilled, c in two_hour_spa)
                  for c, ci in enumerate(clinicians)]
    purchases = _purchases(pack, allowances, act_of)
    notes += _floor_notes(activities, share, week_scale)
    base_cells, pinned = _baseline_cells(baseline, clin_of, slot_of, act_of, frozenset(now.locked))
    return AllocationProblem(
        name=pack.settings.name,
        clinicians=tuple(clinicians),
        activities=tuple(activities),
        slots=slots,
        options=options,
        current=now.cells,
        current_weeks=now.weeks,
        locked=frozenset(now.locked),
        rooms=rooms,
        fixed_slots=tuple(fixed.slots),
        fixed_weekly=tuple(fixed.weekly),
        skill_caps=skill_caps,
        purchases=purchases,
        apa_total_cap=None if apa_total is None else to_units(apa_total, PA_SCALE, "additional_pas_total"),
        objective=tuple(pack.settings.objective),
        week_scale=week_scale,
        extra_cost_cap=_extra_cost_cap(allowances),
        routine_floor_share=float(pack.settings.routine_floor_share),
        skilled=frozenset(skilled),
        unavailable=frozenset(
            (c, s) for c, ci in enumerate(clinicians) for s, sl in enumerate(slots)
            if (ci.clinician_id, sl.day, sl.period) in unavailable
        ),
        notes=tuple(notes),
        halves=halves,
        rota_weeks=fixed.rota_cells,
        rota_unpredictable=fixed.rota_unpredictable,
        current_halves=now.halves,
        current_two_hour=frozenset(now.two_hour),
        locked_halves=frozenset(now.locked_halves),
        baseline=base_cells,
        pinned=pinned,
        supply_full=supply_full,
        supply_kept=supply_kept,
        supply_half=supply_half,
        cover=_cover_rules(pack, activities, clinicians, slots, options, frozenset(skilled)),
        links=link_rules(pack, tuple(ci.clinician_id for ci in clinicians),
                         tuple(info.activity_id for info in activities), skilled),
        sites=site_rule(pack, tuple(a.activity_id for a in activities),
                        tuple((sl.day, sl.period) for sl in slots)),
        productivity=productivity,
        skill_floors=_skill_floors(pack, clin_of, act_of, clinicians),
    )


def _activity_infos(pack: PlanningPack, demand_given: Mapping[str, float], week_scale: int,
                    notes: list[str]) -> list[ActivityInfo]:
    """The activities in solver units: referral demand rounded up to the resolution of supply (a note
    when that changes it), PA values in PA_SCALE units.

    Parameters
    ----------
    pack : PlanningPack
        The pack.
    demand_given : mapping
        activity_id -> referral demand, session-weeks a year.
    week_scale : int
        Steps of supply a week.
    notes : list of str
        Appended: one note per demand rounded up.

    Returns
    -------
    list of ActivityInfo
        In table order (current supply and floor not yet set).

    Raises
    ------
    ValueError
        Demand names an activity that is not in the pack.
    ScalingError
        A PA value is not exact in PA_SCALE units.
    """
    unknown = sorted(set(demand_given) - set(pack.activity_ids))
    if unknown:
        raise ValueError(f"requirements name activities not in the pack: {', '.join(unknown)}")
    activities = []
    for rec in pack.activities:
        given = float(demand_given.get(rec.activity_id, 0.0))
        units = math.ceil(round(given * week_scale, 6))
        if abs(units - given * week_scale) > 1e-6:
            notes.append(
                f"demand for {rec.activity_id} rounded up from {given:.6g} to "
                f"{units / week_scale:g} session-weeks a year (the resolution of supply)"
            )
        pa = to_units(rec.pa_value, PA_SCALE, f"pa_value of activity {rec.activity_id}")
        activities.append(
            ActivityInfo(
                rec.activity_id,
                rec.category,
                pa,
                rec.room_type,
                int(rec.priority),
                bool(rec.rapid_access),
                units,
                given,
                service=rec.service or None,
            )
        )
    return activities


def _clinician_infos(pack: PlanningPack, allowances: Allowances, week_scale: int,
                     notes: list[str]) -> tuple[list[ClinicianInfo], float | None]:
    """The active clinicians in solver units, with the additional PAs the allowances give each.

    Parameters
    ----------
    pack : PlanningPack
        The pack.
    allowances : Allowances
        Additional PAs allowed.
    week_scale : int
        Steps of supply a week.
    notes : list of str
        Appended: one note per clinician allowed additional PAs whose cost the pack does not give.

    Returns
    -------
    list of ClinicianInfo
        In table order (current time not yet set).
    float or None
        The team's total additional PAs allowed, PAs a week (None: no total cap).

    Raises
    ------
    ScalingError
        A contract value or working weeks is not exact in solver units.
    """
    apa_caps, apa_total = additional_pa_caps(pack, allowances)
    clinicians = []
    for crec in (c for c in pack.clinicians if c.active):
        who = f"clinician {crec.clinician_id}"
        cost, assumed = _apa_cost(pack, crec)
        if assumed and apa_caps[crec.clinician_id] > 0:
            notes.append(
                f"{crec.clinician_id}: no cost for additional PAs in the pack; assumed "
                f"£{NOMINAL_PA_COST:,.0f} a year per PA"
            )
        share = crec.max_out_of_hours_share
        clinicians.append(
            ClinicianInfo(
                clinician_id=crec.clinician_id,
                staff_group=crec.staff_group,
                contract=crec.contract,
                contracted=to_units(crec.contracted_pas, PA_SCALE, f"contracted_pas of {who}"),
                oncall=to_units(crec.oncall_pas, PA_SCALE, f"oncall_pas of {who}"),
                max_pas=to_units(crec.max_pas, PA_SCALE, f"max_pas of {who}"),
                spa_floor=spa_floor_units(pack, crec),
                working_weeks=to_units(crec.working_weeks, WEEK_SCALE, f"working_weeks of {who}")
                * week_scale
                // WEEK_SCALE,
                apa_cap=to_units(apa_caps[crec.clinician_id], PA_SCALE, f"additional PAs allowed for {who}"),
                apa_cost=round(cost),
                apa_cost_assumed=assumed,
                out_of_hours_opt_in=bool(crec.out_of_hours_opt_in),
                out_of_hours_share=None if share is None else Fraction(str(share)).limit_denominator(1000),
                premium_factor=PREMIUM_FACTOR.get(crec.contract, Fraction(1)),
            )
        )
    return clinicians, apa_total


def _check_premium_exact(clinicians: list[ClinicianInfo], activities: list[ActivityInfo],
                         slots: tuple[SlotInfo, ...]) -> None:
    """:class:`ScalingError` when a grid has premium time and an activity's PA value there (x the
    contract's premium factor) is not exact in PA_SCALE units."""
    for ci in clinicians:  # premium-time PA values must be exact too
        for info in activities:
            if any(s.premium for s in slots) and (info.pa_value * ci.premium_factor).denominator != 1:
                raise ScalingError(
                    f"pa_value of activity {info.activity_id} in premium time "
                    f"({info.pa_value / PA_SCALE:g} x {ci.premium_factor}) is not exact"
                )


def _skill_floors(pack: PlanningPack, clin_of: Mapping[str, int], act_of: Mapping[str, int],
                  clinicians: Sequence[ClinicianInfo]) -> dict[tuple[int, int], int]:
    """Per-clinician time (``skills.min_sessions_per_week``, whole or half sessions) in model indices:
    (clinician, activity) -> weeks a year of the activity they must keep, week_scale units: whole sessions
    x the clinician's working weeks, plus half their working weeks (rounded up: exact wherever an
    alternate-week cell is offered) for a half session. Zero and blank floors are left out."""
    out: dict[tuple[int, int], int] = {}
    for sk in pack.skills:
        if sk.min_sessions_per_week and sk.clinician_id in clin_of and sk.activity_id in act_of:
            c = clin_of[sk.clinician_id]
            halves = round(sk.min_sessions_per_week * 2)  # validate: a whole number of half sessions
            weeks = clinicians[c].working_weeks
            out[(c, act_of[sk.activity_id])] = halves // 2 * weeks + halves % 2 * -(-weeks // 2)
    return out


def _skills(pack: PlanningPack, clin_of: Mapping[str, int],
            act_of: Mapping[str, int]) -> tuple[set[tuple[int, int]], dict[tuple[int, int], int]]:
    """The skills table in model indices: (clinician, activity) pairs, and per-week caps (rounded down).

    Parameters
    ----------
    pack : PlanningPack
        The pack.
    clin_of, act_of : mapping
        clinician_id / activity_id -> model index.

    Returns
    -------
    set
        (clinician, activity) skilled.
    dict
        (clinician, activity) -> most sessions a week.
    """
    skilled: set[tuple[int, int]] = set()
    skill_caps: dict[tuple[int, int], int] = {}
    for sk in pack.skills:
        if sk.clinician_id in clin_of and sk.activity_id in act_of:
            key = (clin_of[sk.clinician_id], act_of[sk.activity_id])
            skilled.add(key)
            if sk.max_sessions_per_week is not None:
                skill_caps[key] = math.floor(sk.max_sessions_per_week + _EPS)
    return skilled, skill_caps


def _short_of_spa(clinicians: list[ClinicianInfo], activities: list[ActivityInfo],
                  now: _CurrentPlan) -> frozenset[int]:
    """Clinicians whose current job plan holds less SPA a week than their SPA floor (PA units; a half-slot
    cell counts half), who must add SPA somewhere (:func:`capacity_planner.solver.alternate.half_options`)."""
    held2 = [0] * len(clinicians)  # twice the SPA units a week, so a half-slot cell is whole
    for (c, _s), a in now.cells.items():
        if activities[a].category == "SPA":
            held2[c] += 2 * activities[a].pa_value
    for (c, _s), pair in now.halves.items():
        held2[c] += sum(activities[a].pa_value for a in pair
                        if a is not None and activities[a].category == "SPA")
    return frozenset(c for c, ci in enumerate(clinicians) if held2[c] < 2 * ci.spa_floor)


@dataclass
class _CurrentPlan:
    """The current job plans in model indices.

    Attributes
    ----------
    cells : dict
        (clinician, slot) -> activity of each weekly cell.
    weeks : dict
        (clinician, slot) -> weeks a year it runs (week_scale units; a rota member's weeks on call).
    locked : set
        (clinician, slot) of locked weekly cells.
    halves : dict
        (clinician, slot) -> (week A activity, week B activity), either None, of alternate-week cells.
    locked_halves : set
        (clinician, slot, activity) of locked alternate-week cells.
    two_hour : set
        (clinician, slot) of ``halves`` the current plan works as 2-hour halves (``job_plans.half``).
    """

    cells: dict[tuple[int, int], int] = field(default_factory=dict)
    weeks: dict[tuple[int, int], int] = field(default_factory=dict)
    locked: set[tuple[int, int]] = field(default_factory=set)
    halves: dict[tuple[int, int], tuple[int | None, int | None]] = field(default_factory=dict)
    locked_halves: set[tuple[int, int, int]] = field(default_factory=set)
    two_hour: set[tuple[int, int]] = field(default_factory=set)  # slots of halves worked as 2-hour halves


def _current_plan(pack: PlanningPack, clin_of: Mapping[str, int], slot_of: Mapping[tuple[str, str], int],
                  act_of: Mapping[str, int], rotas: Mapping[tuple[str, str, str], Fraction], week_scale: int,
                  skilled: set[tuple[int, int]]) -> _CurrentPlan:
    """Read the current job plans of the active clinicians in the grid into model indices; each cell
    proves its clinician's skill (added to ``skilled``).

    Parameters
    ----------
    pack : PlanningPack
        The pack.
    clin_of, slot_of, act_of : mapping
        clinician_id, (day, period), activity_id -> model index.
    rotas : mapping
        1-in-N rota weeks on call per member, by (activity, day, period) (:func:`rota_weeks`).
    week_scale : int
        Steps of supply a week.
    skilled : set
        (clinician, activity) skilled; updated in place.

    Returns
    -------
    _CurrentPlan
        The weekly and alternate-week cells, their weeks and locks.

    Raises
    ------
    ScalingError
        A weeks_per_year is not exact in hundredths.
    """
    out = _CurrentPlan()
    pairs: dict[tuple[int, int], dict[str, int]] = {}  # week A / week B cells of the current plans
    for cell in pack.job_plans:
        if cell.clinician_id not in clin_of or (cell.day, cell.period) not in slot_of:
            continue
        key = (clin_of[cell.clinician_id], slot_of[(cell.day, cell.period)])
        if cell.week in ("A", "B") or cell.half in ("1", "2"):  # an alternate-week cell, W/2 weeks, or a
            a_cell = act_of[cell.activity_id]  # 2-hour half every week, the same PA-weeks and supply
            pairs.setdefault(key, {})[cell.week or ("A" if cell.half == "1" else "B")] = a_cell
            if cell.half:
                out.two_hour.add(key)
            skilled.add((key[0], a_cell))
            if cell.locked:
                out.locked_halves.add((*key, a_cell))
            continue
        out.cells[key] = act_of[cell.activity_id]
        rota = rotas.get((cell.activity_id, cell.day, cell.period))  # a rota sets its members' weeks
        out.weeks[key] = int(rota * week_scale) if rota is not None else (
            to_units(
                cell.weeks_per_year,
                WEEK_SCALE,
                f"weeks_per_year of {cell.clinician_id} {cell.day}-{cell.period}",
            )
            * week_scale
            // WEEK_SCALE
        )
        skilled.add((key[0], act_of[cell.activity_id]))  # the current plan proves the skill
        if cell.locked:
            out.locked.add(key)
    out.halves = {key: (pair.get("A"), pair.get("B")) for key, pair in pairs.items()}
    return out


def _supply_units(supply_of: Mapping[tuple[str, int, str], float], clin_index: Mapping[str, int],
                  week_scale: int) -> tuple[dict[tuple[int, int], int], dict[tuple[int, int], int],
                                            dict[tuple[int, int], int]]:
    """Weekday-true supply (:func:`_weekday_supply_weeks`) in week_scale units by (clinician, slot): a
    cell moved or new there, the current cell kept, an alternate-week cell."""
    supply_full: dict[tuple[int, int], int] = {}
    supply_kept: dict[tuple[int, int], int] = {}
    supply_half: dict[tuple[int, int], int] = {}
    for (cid, s, kind), w in supply_of.items():
        units = to_units(w, WEEK_SCALE, "supply") * week_scale // WEEK_SCALE
        target = {"full": supply_full, "kept": supply_kept, "half": supply_half}[kind]
        target[(clin_index[cid], s)] = units
    return supply_full, supply_kept, supply_half


def _current_supply(now: _CurrentPlan, half_current: list[tuple[int, int, int, int]],
                    supply_kept: Mapping[tuple[int, int], int], supply_half: Mapping[tuple[int, int], int],
                    productivity: Mapping[tuple[int, int], float]) -> dict[int, int]:
    """Session-weeks a year (week_scale units) the current plans deliver per activity: weekday-true when
    the setting is on (a rota member's cell: its weeks), weighted by productivity per staff group.

    Parameters
    ----------
    now : _CurrentPlan
        The current plans.
    half_current : list
        (clinician, slot, activity, weeks) of the current alternate-week cells.
    supply_kept, supply_half : mapping
        Weekday-true supply of a kept weekly cell and of an alternate-week cell by (clinician, slot).
    productivity : mapping
        (clinician, activity) -> supply weight.

    Returns
    -------
    dict
        activity -> current supply.
    """
    current_supply: dict[int, int] = {}
    for key, a in now.cells.items():  # weekday-true when the setting is on (a rota member's cell: its weeks)
        current_supply[a] = current_supply.get(a, 0) + weighted_supply(
            supply_kept.get(key, now.weeks[key]), productivity.get((key[0], a)))
    for c, s, a, weeks in half_current:
        current_supply[a] = current_supply.get(a, 0) + weighted_supply(supply_half.get((c, s), weeks),
                                                                       productivity.get((c, a)))
    return current_supply


def _with_floor(activities: list[ActivityInfo], current_supply: Mapping[int, int], share: float,
                week_scale: int) -> list[ActivityInfo]:
    """The activities with their current supply and routine floor: ``share`` of the smaller of current
    supply and need, in whole session-weeks (docs/method.md), none for rapid access or no need."""
    return [
        dataclasses.replace(
            info,
            current_supply=current_supply.get(a, 0),
            floor=0 if info.rapid_access or info.demand <= 0
            # whole session-weeks (docs/method.md), so the floor does not depend on the resolution
            else week_scale * math.floor(share * min(current_supply.get(a, 0), info.demand) / week_scale
                                         + _EPS),
        )
        for a, info in enumerate(activities)
    ]


def _options(clinicians: list[ClinicianInfo], activities: list[ActivityInfo], slots: tuple[SlotInfo, ...],
             skilled: set[tuple[int, int]],
             unavailable: frozenset[tuple[str, str, str]]) -> dict[tuple[int, int], tuple[int, ...]]:
    """The activities each clinician may do in each slot they work: those they are skilled in, in
    out-of-hours slots only with the opt-in unless emergency (ONCALL) work.

    Parameters
    ----------
    clinicians, activities : list
        The model's clinicians and activities.
    slots : tuple of SlotInfo
        The weekly grid.
    skilled : set
        (clinician, activity) skilled.
    unavailable : frozenset
        (clinician_id, day, period) not worked.

    Returns
    -------
    dict
        (clinician, slot) -> activities, only where there is one.
    """
    options: dict[tuple[int, int], tuple[int, ...]] = {}
    for c, ci in enumerate(clinicians):
        for s, sl in enumerate(slots):
            if (ci.clinician_id, sl.day, sl.period) in unavailable:
                continue
            # Out-of-hours work needs the opt-in, except emergency (ONCALL) work: the right to refuse
            # premium-time work covers non-emergency work only (consultant 2003, Schedule 3 para 5).
            acts = tuple(
                a
                for a in range(len(activities))
                if (c, a) in skilled
                and (not sl.premium or ci.out_of_hours_opt_in or activities[a].category == "ONCALL")
            )
            if acts:
                options[(c, s)] = acts
    return options


@dataclass
class _Fixed:
    """Fixed requirements in model indices.

    Attributes
    ----------
    slots : list of FixedSlot
        Heads (or a 1-in-N rota) in a fixed slot.
    weekly : list of FixedWeekly
        Sessions a week anywhere.
    rota_cells : dict
        (slot, activity) -> a rota member's weeks on call (week_scale units).
    rota_unpredictable : dict
        (slot, activity) -> a member's unpredictable emergency work, PA_SCALE units a week.
    """

    slots: list[FixedSlot] = field(default_factory=list)
    weekly: list[FixedWeekly] = field(default_factory=list)
    rota_cells: dict[tuple[int, int], int] = field(default_factory=dict)
    rota_unpredictable: dict[tuple[int, int], int] = field(default_factory=dict)


def _fixed_requirements(pack: PlanningPack, act_of: Mapping[str, int], slot_of: Mapping[tuple[str, str], int],
                        rotas: Mapping[tuple[str, str, str], Fraction], week_scale: int) -> _Fixed:
    """The fixed requirements in model indices (slots outside the grid left out); a quorum read
    leave-aware also gets its attendance, k x service weeks (week_scale units, rounded up).

    Parameters
    ----------
    pack : PlanningPack
        The pack (its ``requirements`` and settings).
    act_of, slot_of : mapping
        activity_id, (day, period) -> model index.
    rotas : mapping
        1-in-N rota weeks on call per member, by (activity, day, period).
    week_scale : int
        Steps of supply a week.

    Returns
    -------
    _Fixed
        Fixed slots, sessions a week, and the rotas' weeks and unpredictable PAs.
    """
    out = _Fixed()
    for req in pack.requirements:
        a = act_of[req.activity_id]
        if req.day is not None and req.period is not None:
            if (req.day, req.period) in slot_of:
                k = int(req.min_clinicians)
                s = slot_of[(req.day, req.period)]
                attendance = None
                if req.rota_size is not None:  # the rota covers every service week by construction
                    exact = rotas[(req.activity_id, req.day, req.period)] * week_scale
                    assert exact.denominator == 1  # _week_scale includes it
                    out.rota_cells[(s, a)] = int(exact)
                    if req.unpredictable_pas:  # each member's unpredictable emergency work, PAs a week
                        out.rota_unpredictable[(s, a)] = to_units(req.unpredictable_pas, PA_SCALE,
                                                                  "requirements.unpredictable_pas")
                elif pack.settings.quorum_leave_aware:
                    attendance = math.ceil(round(k * pack.settings.service_weeks * week_scale, 6))
                out.slots.append(FixedSlot(a, s, k, attendance, req.rota_size))
        elif req.sessions_per_week is not None:
            out.weekly.append(
                FixedWeekly(a, math.ceil(req.sessions_per_week - _EPS), float(req.sessions_per_week))
            )
    return out


def _drop_short_rota_options(options: dict[tuple[int, int], tuple[int, ...]],
                             rota_cells: Mapping[tuple[int, int], int],
                             clinicians: list[ClinicianInfo]) -> None:
    """Take a rota's activity off the options (in place) of clinicians whose working weeks are fewer
    than its member's weeks on call."""
    for (s, a), weeks in rota_cells.items():  # a member's on-call weeks must fit in their working weeks
        for c, ci in enumerate(clinicians):
            if a in options.get((c, s), ()) and ci.working_weeks < weeks:
                options[(c, s)] = tuple(x for x in options[(c, s)] if x != a)
                if not options[(c, s)]:
                    del options[(c, s)]


def _offer_current_halves(halves: dict[tuple[int, int], tuple[int, ...]],
                          current_halves: Mapping[tuple[int, int], tuple[int | None, int | None]],
                          options: Mapping[tuple[int, int], tuple[int, ...]]) -> None:
    """Keep the current week A / week B cells on offer as alternate-week cells (``halves``, in place),
    where their activity is an option there."""
    for (c, s), pair in current_halves.items():  # the current week A / week B cells stay on offer
        mine = [a for a in pair if a is not None and a in options.get((c, s), ())]
        if mine:
            halves[(c, s)] = tuple(dict.fromkeys([*halves.get((c, s), ()), *mine]))


def _purchases(pack: PlanningPack, allowances: Allowances, act_of: Mapping[str, int]) -> dict[int, Purchase]:
    """Locum/WLI sessions the allowances let the plan buy, by activity: most a year and price (GBP a
    session: the allowance's, else the pack's costs row ``<kind>_session``).

    Raises
    ------
    ValueError
        An unknown activity, or no price for it.
    """
    purchases: dict[int, Purchase] = {}
    for buy in allowances.purchased_sessions:
        if buy.activity_id not in act_of:
            raise ValueError(f"purchased sessions name an activity not in the pack: {buy.activity_id}")
        price: float | None = buy.cost_per_session
        if price is None:
            price = _session_cost(pack, buy.kind)
        if price is None:
            raise ValueError(
                f"no cost for {buy.kind} sessions of {buy.activity_id}: give cost_per_session or "
                f"a costs row {buy.kind}_session"
            )
        purchases[act_of[buy.activity_id]] = Purchase(
            math.floor(buy.max_sessions_per_year + _EPS), round(price), buy.kind
        )
    return purchases


def _floor_notes(activities: list[ActivityInfo], share: float, week_scale: int) -> list[str]:
    """One note per activity with a routine floor: the session-weeks a year it keeps."""
    return [
        f"routine floor: {info.activity_id} keeps at least {info.floor / week_scale:g} session-weeks "
        f"a year ({share:.0%} of the smaller of its current supply and its need) unless the rules "
        f"leave no other way"
        for info in activities
        if info.floor > 0
    ]


def _cover_rules(pack: PlanningPack, activities: list[ActivityInfo], clinicians: list[ClinicianInfo],
                 slots: tuple[SlotInfo, ...], options: Mapping[tuple[int, int], tuple[int, ...]],
                 skilled: frozenset[tuple[int, int]]) -> tuple[CoverRule, ...]:
    """The weekly cover rules of the pack's activities with ``min_weekly_sessions`` and its slot
    requirements with ``share_of_weeks`` (solver/cover.py)."""
    if not any(a.min_weekly_sessions for a in pack.activities) and \
            not any(r.share_of_weeks is not None for r in pack.requirements):
        return ()
    cells_of: dict[int, list[tuple[int, int]]] = {}
    for (c, s), acts in options.items():
        for a in acts:
            cells_of.setdefault(a, []).append((c, s))
    return cover_rules(pack, tuple(a.activity_id for a in activities),
                       tuple(c.clinician_id for c in clinicians), tuple((s.day, s.period) for s in slots),
                       cells_of, skilled, planning_start(pack), leave_by_clinician(pack))


def _baseline_cells(baseline: Baseline | None, clin_of: Mapping[str, int],
                    slot_of: Mapping[tuple[str, str], int], act_of: Mapping[str, int],
                    locked: frozenset[tuple[int, int]],
                    ) -> tuple[dict[tuple[int, int], int] | None, dict[tuple[int, int], int]]:
    """The baseline's cells and fixed cells in model indices (cells of clinicians or slots not planned
    here, such as another part's, are left out; a pack-locked cell stays a lock). ValueError for a cell
    planned here with an unknown activity, or a fixed cell that is not a baseline cell."""
    if baseline is None:
        return None, {}
    cells: dict[tuple[int, int], int] = {}
    named: dict[tuple[str, str, str], str] = {}
    for cid, day, period, aid in baseline.cells:
        named[(cid, day, period)] = aid
        if cid in clin_of and (day, period) in slot_of:  # else another part's (or an inactive) clinician
            if aid not in act_of:
                raise ValueError(f"the baseline plan gives {cid} {day} {period} an activity not in the "
                                 f"pack: {aid}")
            cells[(clin_of[cid], slot_of[(day, period)])] = act_of[aid]
    pinned: dict[tuple[int, int], int] = {}
    for cid, day, period in sorted(baseline.fixed):
        if (cid, day, period) not in named:
            raise ValueError(f"a fixed cell is not a cell of the baseline plan: {cid} {day} {period}")
        key = (clin_of.get(cid, -1), slot_of.get((day, period), -1))
        if key in cells and key not in locked:
            pinned[key] = cells[key]
    return cells, pinned


def _weekday_supply_weeks(pack: PlanningPack, slots: tuple[SlotInfo, ...],
                          halved: frozenset[str]) -> dict[tuple[str, int, str], float]:
    """Weekday-true supply in weeks (hundredths) by (clinician, slot index, "full" / "kept" / "half"):
    a weekly cell moved or new there, the current cell kept (its ``weeks_per_year`` of the working weeks),
    an alternate-week cell (clinicians in ``halved``). Empty when the setting is off or the planning year
    unknown (:func:`capacity_planner.solver.supply.weekday_supply`)."""
    by_day = weekday_supply(pack)
    if by_day is None:
        return {}
    slot_of = {(sl.day, sl.period): i for i, sl in enumerate(slots)}
    out: dict[tuple[str, int, str], float] = {}
    for c in pack.clinicians:
        if not c.active:
            continue
        for s, sl in enumerate(slots):
            day = by_day[c.clinician_id][sl.day]
            out[(c.clinician_id, s, "full")] = day
            if c.clinician_id in halved:
                out[(c.clinician_id, s, "half")] = cell_supply(c.working_weeks / 2, c.working_weeks, day)
    working = {c.clinician_id: c.working_weeks for c in pack.clinicians if c.active}
    rotas = rota_weeks(pack)  # on call on the rota's weeks, bank holidays included: not weekday-true
    for j in pack.job_plans:
        if j.clinician_id in working and (j.day, j.period) in slot_of \
                and (j.activity_id, j.day, j.period) not in rotas:
            s = slot_of[(j.day, j.period)]
            out[(j.clinician_id, s, "kept")] = cell_supply(j.weeks_per_year, working[j.clinician_id],
                                                           by_day[j.clinician_id][j.day])
    return out
