r"""The hard rules of the allocation, one small method each, with the maths in its docstring.

Each rule instance (a rule for one clinician, slot or requirement) can be guarded by an assumption literal
(:class:`Guards`): the explanation module solves with every guard assumed true and asks CP-SAT which of
them cannot hold together. In a normal solve there are no guards.

Notation as in :mod:`capacity_planner.solver.variables`; :math:`\text{pa}_{csa}` is the PA value of the
session (premium-time scaled), :math:`P` the premium slots, :math:`\text{SPA}` the SPA-category activities.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from capacity_planner.solver.cover import WEIGHT_SCALE
from capacity_planner.solver.links import link_driven
from capacity_planner.solver.variables import Variables, _wsum, share_coefficient

if TYPE_CHECKING:
    from collections.abc import Hashable

    from ortools.sat.python import cp_model

    from capacity_planner.solver.problem import AllocationProblem


@dataclass(frozen=True, slots=True)
class RuleKey:
    """One guarded rule instance, e.g. ``RuleKey("spa_floor", (3,))`` for clinician 3's SPA floor."""

    rule: str
    subject: tuple[Hashable, ...] = ()


@dataclass
class Guards:
    """Assumption literals, one per rule instance, created on first use."""

    model: cp_model.CpModel
    literals: dict[RuleKey, cp_model.IntVar] = field(default_factory=dict)

    def literal(self, key: RuleKey) -> cp_model.IntVar:
        """The literal guarding ``key`` (created on first use)."""
        if key not in self.literals:
            self.literals[key] = self.model.new_bool_var(f"assume[{key.rule}{list(key.subject)}]")
        return self.literals[key]


class Constraints:
    """Adds the rules of :func:`add_constraints` to a model."""

    def __init__(self, model: cp_model.CpModel, problem: AllocationProblem, variables: Variables,
                 guards: Guards | None = None):
        self.model = model
        self.p = problem
        self.v = variables
        self.guards = guards
        self._half_index = {var.index for var in variables.h.values()}
        self._link_driven = link_driven(
            problem.links, {a: act.demand for a, act in enumerate(problem.activities)},
            {r.a for r in problem.fixed_slots} | {r.a for r in problem.fixed_weekly},
            tuple(act.category for act in problem.activities)) if problem.links \
            else frozenset()

    def _add(self, ct: cp_model.Constraint, rule: str, *subject: Hashable) -> None:
        if self.guards is not None:
            ct.only_enforce_if(self.guards.literal(RuleKey(rule, tuple(subject))))

    def add_constraints(self) -> None:
        """Every rule, in the order of DESIGN.md section 5 (and docs/method.md, "Allocation")."""
        self.one_activity_per_slot()
        self.contracted_pas()
        self.additional_pas_total()
        self.extra_cost_cap()
        self.spa_floor()
        self.spa_ceiling()
        self.roles_kept()
        self.out_of_hours_opt_in()
        self.out_of_hours_share()
        self.locked_cells()
        self.pinned_cells()
        self.room_capacity()
        self.fixed_slot_requirements()
        self.fixed_weekly_requirements()
        self.rest_after_evening()
        self.sessions_per_day()
        self.weekly_rest()
        self.skill_caps()
        self.skill_floors()
        self.linked_sessions()
        self.no_surplus()
        self.unmet_demand_definition()
        self.routine_floor_definition()
        self.weekly_cover_definition()
        self.site_travel()
        self.dcc_spread_definition()
        self.changes_definition()

    # Skills and availability are not rules here: x[c,s,a] exists only for skilled, available triples.

    def one_activity_per_slot(self) -> None:
        r"""At most one activity per clinician per slot: :math:`\sum_a x_{csa} \le 1\ \forall c,s`; where
        alternate-week cells are offered, one weekly cell or up to two alternate-week cells of different
        activities: :math:`2\sum_a x_{csa} + \sum_a h_{csa} \le 2`; and at most one slot on alternate
        weeks per clinician: :math:`h_{csa} \le z_{cs}`, :math:`\sum_s z_{cs} \le 1` (a half PA of
        remainder needs one, and a job plan with many alternating slots is hard to run)."""
        for key, cells in self.v.by_cs.items():
            halves = self.v.h_by_cs.get(key, [])
            if halves:
                self.model.add(_wsum([(var, 2) for _, var in cells] + [(var, 1) for _, var in halves]) <= 2)
            elif len(cells) > 1:
                self.model.add_at_most_one(var for _, var in cells)
        by_clinician: dict[int, list[tuple[cp_model.IntVar, int]]] = {}
        for (c, s), z in self.v.alt_slot.items():
            for _, var in self.v.h_by_cs[(c, s)]:
                self.model.add_implication(var, z)
            by_clinician.setdefault(c, []).append((z, 1))
        for terms in by_clinician.values():
            if len(terms) > 1:
                self.model.add(_wsum(terms) <= 1)

    def contracted_pas(self) -> None:
        r"""PA-weeks a year equal contracted PAs over the working weeks, less unassigned time, plus allowed
        additional PAs (each cell counted for the weeks it runs, on-call PAs every working week):
        :math:`\sum_{s,a} \text{pa}_{csa} w_{csa} x_{csa} + u_c = W_c(\text{contracted}_c - \text{oncall}_c
        + e_c)`, :math:`u_c \ge 0`. Unassigned time is allowed (it is minimised after unmet demand and
        reported with its reason), never filled with SPA beyond the ceiling."""
        for c, ci in enumerate(self.p.clinicians):
            extra = self.v.apa.get(c)
            expr = self.v.annual_pas(c) + self.v.under[c]
            if extra is not None:
                expr = expr - ci.working_weeks * extra
            ct = self.model.add(expr == ci.annual_target)
            self._add(ct, "contracted_pas", c)
            if extra is not None:  # never both short and paid extra
                over = self.model.new_bool_var(f"over_contract[{ci.clinician_id}]")
                self.model.add(self.v.under[c] == 0).only_enforce_if(over)
                self.model.add(extra == 0).only_enforce_if(over.negated())

    def additional_pas_total(self) -> None:
        r"""Team cap on additional PAs: :math:`\sum_c e_c \le E`."""
        if self.p.apa_total_cap is not None and self.v.apa:
            ct = self.model.add(sum(self.v.apa.values()) <= self.p.apa_total_cap)
            self._add(ct, "additional_pas_total")

    def extra_cost_cap(self) -> None:
        r"""Budget for extra capacity (``Allowances.max_extra_cost`` :math:`B`, GBP a year):
        :math:`\sum_c \text{apa\_cost}_c\, e_c + \sum_a \text{PA\_SCALE}\cdot\text{cost}_a\, b_a
        \le \text{PA\_SCALE}\cdot B` (the ``cost`` objective level's expression, PA_SCALE x GBP a year)."""
        cap = self.p.extra_cost_cap
        if cap is None:
            return
        terms = self.v.extra_cost_terms()
        if terms:
            self._add(self.model.add(_wsum(terms) <= cap), "extra_cost_cap")

    def spa_floor(self) -> None:
        r"""SPA floor (pro rata when set), annualised: :math:`\sum_{s, a \in \text{SPA}} \text{pa}_{csa}
        w_{csa} x_{csa} \ge W_c\,\text{floor}_c`."""
        for c, ci in enumerate(self.p.clinicians):
            if ci.spa_floor <= 0:
                continue
            need = ci.spa_floor * ci.working_weeks
            spa = self.v.annual_terms(c, category="SPA")
            ct = self.model.add(_wsum(spa) >= need)
            self._add(ct, "spa_floor", c)
            # Rounding cut (implied, not a new rule): with d the largest alternate-week SPA cell, or else
            # the largest SPA cell, sum ceil(coef / d) y >= ceil(floor / d) (as coef <= d ceil(coef / d)).
            # It closes the LP gap of a 1.5-PA floor met with 1-PA sessions (the LP relaxation would give
            # 1.5 sessions, or 3 alternate-week ones where halves are offered).
            halves = [coef for var, coef in spa if var.index in self._half_index]
            unit = max(halves or [coef for _, coef in spa], default=0)
            if unit > 0:
                terms = [(var, -(-coef // unit)) for var, coef in spa]
                cut = self.model.add(_wsum(terms) >= -(-need // unit))
                self._add(cut, "spa_floor", c)

    def spa_ceiling(self) -> None:
        r"""SPA ceiling: :math:`\sum_{s, a \in \text{SPA}} \text{pa}_{csa} w_{csa} x_{csa} \le
        \text{ceiling}_c` (annual units; ``max_spa_pas`` x W, else the larger of the floor and the current
        plan's SPA), so time no activity needs stays *unassigned* rather than silently becoming SPA."""
        for c, ci in enumerate(self.p.clinicians):
            spa = self.v.annual_terms(c, category="SPA")
            if spa and sum(coef for _, coef in spa) > ci.spa_ceiling:
                self._add(self.model.add(_wsum(spa) <= ci.spa_ceiling), "spa_ceiling", c)

    def roles_kept(self) -> None:
        r"""Additional NHS responsibilities (ANR) and external duties (ED) a clinician holds are kept as in
        their current job plan, neither dropped nor grown to fill time:
        :math:`\sum_{s, a \in K} \text{pa}_{csa} w_{csa} x_{csa} = K^0_c` for K = ANR, ED (annual units)."""
        for c, ci in enumerate(self.p.clinicians):
            for category, held in ci.roles:
                terms = self.v.annual_terms(c, category=category)
                if held > 0 or terms:
                    ct = self.model.add(_wsum(terms) == held)
                    self._add(ct, "roles_kept", c, category)

    def out_of_hours_opt_in(self) -> None:
        r"""Premium-time slots only for opted-in clinicians, except emergency (ONCALL) work:
        :math:`\sum_{s \in P, a \notin \text{ONCALL}} x_{csa} = 0` unless *c* opted in. (The options
        already leave such cells out; the rule is kept so that explanations can name it.)"""
        for c, ci in enumerate(self.p.clinicians):
            if ci.out_of_hours_opt_in:
                continue
            terms = [(var, 1) for s, a, var in self.v.by_c[c]
                     if self.p.slots[s].premium and self.p.activities[a].category != "ONCALL"]
            if terms:
                self._add(self.model.add(_wsum(terms) == 0), "out_of_hours_opt_in", c)

    def out_of_hours_share(self) -> None:
        r"""Contractual cap on out-of-hours PAs (SAS 2021: 40 % of the job plan's PAs), on-call PAs counted
        as out of hours: :math:`q\,(\text{ooh}_c + W_c\,\text{oncall}_c) \le p\,W_c(\text{contracted}_c +
        e_c)` for share :math:`p/q` (annual units; unassigned time does not shrink the job plan)."""
        for c, ci in enumerate(self.p.clinicians):
            share = ci.out_of_hours_share
            has_premium = any(self.p.slots[s].premium for s, _, _ in self.v.by_c[c])
            if share is None or not (has_premium or ci.oncall):
                continue
            oncall = ci.oncall * ci.working_weeks
            ooh = self.v.annual_pas(c, premium_only=True) + oncall
            extra = self.v.apa.get(c)
            base = ci.contracted * ci.working_weeks + (ci.working_weeks * extra if extra is not None else 0)
            ct = self.model.add(share.denominator * ooh <= share.numerator * base)
            self._add(ct, "out_of_hours_share", c)

    def locked_cells(self) -> None:
        r"""Locked cells keep their activity: :math:`x_{csa_0} = 1` for each locked cell
        :math:`(c, s, a_0)` (one guard per clinician)."""
        for c, s in sorted(self.p.locked):
            a0 = self.p.current[(c, s)]
            var = self.v.x.get((c, s, a0))
            ct = self.model.add(var == 1) if var is not None else self.model.add_bool_or([])
            self._add(ct, "locked", c)
        for c, s, a0 in sorted(self.p.locked_halves):  # a locked week A / B cell stays on alternate weeks
            var = self.v.h.get((c, s, a0))
            ct = self.model.add(var == 1) if var is not None else self.model.add_bool_or([])
            self._add(ct, "locked", c)

    def pinned_cells(self) -> None:
        r"""Cells fixed to the baseline plan (:class:`~capacity_planner.solver.options.Baseline`) keep its
        activity: :math:`x_{csb} = 1` for each fixed cell :math:`(c, s, b)` (one guard per clinician)."""
        for (c, s), b in sorted(self.p.pinned.items()):
            var = self.v.x.get((c, s, b))
            ct = self.model.add(var == 1) if var is not None else self.model.add_bool_or([])
            self._add(ct, "pinned", c)

    def room_capacity(self) -> None:
        r"""Rooms per slot: :math:`\sum_{c, a: \text{room}(a) = r} (2 x_{csa} + h_{csa}) \le 2\,
        \text{rooms}_{rs}` for each listed (room type, slot); unlisted room types and slots are unlimited.
        Exact for both weeks once the alternate-week cells are labelled
        (:func:`~capacity_planner.solver.alternate.label_weeks`)."""
        for (room, s), cap in sorted(self.p.rooms.items()):
            terms = [(var, 2) for a, act in enumerate(self.p.activities) if act.room_type == room
                     for _, var in self.v.by_sa.get((s, a), [])]
            terms += [(var, 1) for a, act in enumerate(self.p.activities) if act.room_type == room
                      for _, var in self.v.h_by_sa.get((s, a), [])]
            if sum(coef for _, coef in terms) > 2 * cap:  # 2 x weekly + alternate-week <= 2 x rooms
                self._add(self.model.add(_wsum(terms) <= 2 * cap), "rooms", room, s)

    def fixed_slot_requirements(self) -> None:
        r"""Slot-fixed requirements (MDT Tue-PM with at least *k*): :math:`\sum_c x_{csa} \ge k`; with
        ``solver.quorum_leave_aware``, expected attendance: :math:`\sum_c w_{csa} x_{csa} \ge k\,S`
        (S = planning.service_weeks, the weeks the meeting runs; each attendee counts the weeks they work).
        A 1-in-N on-call rota: exactly N members, :math:`\sum_c x_{csa} = N`, each cell running
        :math:`kS/N` weeks a year (:meth:`~capacity_planner.solver.problem.AllocationProblem.weeks`), so
        the members cover :math:`k` clinicians on call every service week."""
        for i, req in enumerate(self.p.fixed_slots):
            if req.rota is not None:  # 1-in-N rota: exactly N members, each on call S k / N weeks
                ct = self.model.add(self.v.sessions_in_slot(req.s, req.a) == req.rota)
            elif req.attendance is None:
                ct = self.model.add(self.v.sessions_in_slot(req.s, req.a) >= req.min_clinicians)
            else:
                here = self.v.by_sa.get((req.s, req.a), [])
                terms = [(var, self.p.weeks(c, req.s, req.a)) for c, var in here]
                ct = self.model.add(_wsum(terms) >= req.attendance)
            self._add(ct, "fixed_slot", i)

    def fixed_weekly_requirements(self) -> None:
        r"""Weekly requirements without a slot: :math:`\sum_{c,s} x_{csa} \ge \lceil n \rceil`."""
        for i, req in enumerate(self.p.fixed_weekly):
            terms = [(var, 1) for _, _, var in self.v.by_a[req.a]]
            self._add(self.model.add(_wsum(terms) >= req.sessions), "fixed_weekly", i)

    def rest_after_evening(self) -> None:
        r"""Eleven hours' rest after an evening session (Working Time Regulations 1998, reg. 10): an EVE
        session ends after 22:00, so the next day's AM slot stays free (Sunday wraps to Monday):
        :math:`2\sum_a x_{csa} + 2\sum_a x_{cs'a} + \sum_a h_{cs'a} \le 2` for each EVE slot *s* and
        next-day AM slot *s'* (the morning free in both weeks; alternate-week cells are never in an
        evening)."""
        for c in range(self.p.n_clinicians):
            for s, slot in enumerate(self.p.slots):
                nxt = self.p.next_morning(s) if slot.period == "EVE" else None
                if nxt is None:
                    continue
                night = [(var, 2) for _, var in self.v.by_cs.get((c, s), [])]
                night += [(var, 2) for _, var in self.v.h_by_cs.get((c, s), [])]  # a current A/B evening
                morning = [(var, 2) for _, var in self.v.by_cs.get((c, nxt), [])]
                morning += [(var, 1) for _, var in self.v.h_by_cs.get((c, nxt), [])]
                if night and morning:
                    self._add(self.model.add(_wsum(night + morning) <= 2), "evening_rest", c, s)

    def sessions_per_day(self) -> None:
        r"""At most ``solver.max_sessions_per_day`` sessions a day (default 2) for a clinician not opted in
        to out-of-hours work: :math:`\sum_{s \in d} (\sum_a x_{csa} + z_{cs}) \le n`,
        :math:`z_{cs} \ge h_{csa}` (a slot on alternate weeks counts one session whichever week; so every
        week keeps the cap)."""
        days = self.p.day_slots()
        for c, ci in enumerate(self.p.clinicians):
            if ci.max_sessions_per_day is None:
                continue
            cap = ci.max_sessions_per_day
            for day, slots in days.items():
                if len({s for s in slots if (c, s) in self.v.by_cs}) > cap:
                    terms = [term for s in slots for term in self._occupied(c, s)]
                    self._add(self.model.add(_wsum(terms) <= cap), "sessions_per_day", c, day)

    def _occupied(self, c: int, s: int) -> list[tuple[cp_model.IntVar, int]]:
        r""":math:`\sum_a x_{csa} + z_{cs}`, 1 when clinician *c* works slot *s* in some week:
        :math:`z_{cs} \ge h_{csa}` for the alternate-week cells offered there (one session in a week at
        most, whichever)."""
        terms = [(var, 1) for _, var in self.v.by_cs.get((c, s), [])]
        if (c, s) in self.v.alt_slot:
            terms.append((self.v.alt_slot[(c, s)], 1))
        return terms

    def weekly_rest(self) -> None:
        r"""Weekly rest (Working Time Regulations 1998, reg. 11: 24 hours' uninterrupted rest in each
        7 days): when the grid covers all seven days, at least one day has no session:
        :math:`\sum_d r_{cd} \ge 1`, :math:`x_{csa} \le 1 - r_{cd}` for the slots *s* of day *d*."""
        days = self.p.day_slots()
        if len(days) < 7:
            return  # a day outside the grid is free
        for c in range(self.p.n_clinicians):
            rests = []
            for day, slots in days.items():
                cells = [var for s in slots for _, var in self.v.by_cs.get((c, s), [])]
                cells += [var for s in slots for _, var in self.v.h_by_cs.get((c, s), [])]
                rest = self.model.new_bool_var(f"rest_day[{self.p.clinicians[c].clinician_id}, {day}]")
                for var in cells:
                    self.model.add_implication(rest, var.negated())
                rests.append(rest)
            self._add(self.model.add_bool_or(rests), "weekly_rest", c)

    def skill_caps(self) -> None:
        r"""Per-clinician caps (skills.max_sessions_per_week): :math:`\sum_s (x_{csa} + h_{csa}) \le
        \text{cap}_{ca}` (an alternate-week cell counts as a session every week: conservative)."""
        for (c, a), cap in sorted(self.p.skill_caps.items()):
            terms = [(var, 1) for s, aa, var in self.v.by_c[c] if aa == a]
            terms += [(var, 1) for s, aa, var in self.v.h_by_c.get(c, []) if aa == a]
            if len(terms) > cap:
                self._add(self.model.add(_wsum(terms) <= cap), "skill_cap", c, a)

    def skill_floors(self) -> None:
        r"""Per-clinician time (skills.min_sessions_per_week :math:`k_{ca}`, e.g. admin), annualised:
        :math:`\sum_s w_{csa} x_{csa} + \sum_s \tfrac{W_c}{2} h_{csa} \ge k_{ca} W_c` (week_scale units;
        a half session is met by an alternate-week cell where one is offered). Not referral demand."""
        for (c, a), need in sorted(self.p.skill_floors.items()):
            terms = [(var, self.p.weeks(c, s, a)) for s, aa, var in self.v.by_c[c] if aa == a]
            terms += [(var, self.p.half_weeks(c)) for s, aa, var in self.v.h_by_c.get(c, []) if aa == a]
            ct = self.model.add(_wsum(terms) >= need) if terms else self.model.add_bool_or([])
            self._add(ct, "skill_floor", c, a)

    def linked_sessions(self) -> None:
        r"""Linked sessions (``links``; :mod:`~capacity_planner.solver.links`): for each link
        :math:`\ell` (activity *a*, performers *P*, linked clinicians *G*, count :math:`p/q`) and slot *s*,
        :math:`p \sum_{c \in P} (x_{csa} + h_{csa}) \le q \sum_{c \in G} \sum_{b \in B_{\ell c}}
        x_{csb}` (:math:`B_{\ell c}`: the linked activity when dedicated; any activity but external duties,
        and not *a* itself for a performer, when present). A needing cell on alternate weeks counts as
        weekly and a linked one on alternate weeks not at all, so the rule holds in week A and in week B
        whatever the labels. One guard per (link, slot): a locked needing cell no linked clinician can
        match is named by the explanation, not left as a bare infeasibility.

        Implied clauses (not new rules), one per needing cell: :math:`x_{csa} \Rightarrow \bigvee_{c' \in G,
        b \in B_{\ell c'}} x_{c'sb}` (any positive count needs at least one linked clinician). Without them
        the service pack's unmet routine level was not proven within 60 s (942 against a bound of 849, two
        workers); with them it is proven in 8.8 s, as without links (docs/benchmarks.md)."""
        for i, rule in enumerate(self.p.links):
            p, q = rule.count.numerator, rule.count.denominator
            for s in range(len(self.p.slots)):
                need = [(var, p) for c, var in self.v.by_sa.get((s, rule.a), []) if c in rule.performers]
                need += [(var, p) for c, var in self.v.h_by_sa.get((s, rule.a), []) if c in rule.performers]
                if not need:
                    continue
                there = [(var, q) for c in sorted(rule.linked) for b, var in self.v.by_cs.get((c, s), [])
                         if rule.counts_as_present(c, b, self.p.activities[b].category)]
                ct = self.model.add(_wsum(need) <= _wsum(there))
                self._add(ct, "links", i, s)
                for var, _ in need:  # implied clause: a needing session needs at least one linked clinician
                    clause = self.model.add_bool_or([var.negated(), *(v for v, _ in there)])
                    self._add(clause, "links", i, s)
        for b in sorted(self._link_driven):
            self._link_driven_cap(b)

    def _link_driven_cap(self, b: int) -> None:
        r"""No linked session nobody needs: an activity only dedicated links need (no referral demand, no
        fixed requirement: :func:`~capacity_planner.solver.links.link_driven`) has, in each slot *s*, no more
        sessions than those links need there, rounded up: :math:`q\,L_{bs} \le p\,N_{\ell s} + q - 1`
        (:math:`L_{bs} = \sum_c x_{csb}`, :math:`N_{\ell s}` the needing sessions of the largest
        link :math:`\ell` onto *b* there; with several links onto *b*, their sum), in place of the annual
        no-surplus cap."""
        rules = [r for r in self.p.links if r.target == b]
        for s in range(len(self.p.slots)):
            linked = [(var, 1) for _, var in self.v.by_sa.get((s, b), [])]
            if not linked:
                continue
            q = 1
            for r in rules:
                q = q * r.count.denominator // math.gcd(q, r.count.denominator)
            need = [(var, r.count.numerator * (q // r.count.denominator)) for r in rules
                    for c, var in [*self.v.by_sa.get((s, r.a), []), *self.v.h_by_sa.get((s, r.a), [])]
                    if c in r.performers]
            self._add(self.model.add(_wsum([(v, q) for v, _ in linked]) <= _wsum(need) + q - 1),
                      "link_driven", b, s)

    def no_surplus(self) -> None:
        r"""No session nobody needs: :math:`\text{supply}_a \le \max(D_a, S^0_a, R_a\,w^{max}_a) + w^{max}_a
        - 1` (week units; :meth:`~capacity_planner.solver.problem.AllocationProblem.supply_cap`), so time
        beyond need is reported as unassigned, not filled with extra clinics or meetings."""
        for a in range(len(self.p.activities)):
            cap = self.p.supply_cap(a)
            if cap is None or a not in self.v.by_a or a in self._link_driven:  # capped per slot instead
                continue
            most = sum(w for w, _ in self.v.supply_cells(a))
            if most > cap:
                self._add(self.model.add(self.v.supply(a) <= cap), "no_surplus", a)

    def no_short_surplus(self) -> None:
        """:meth:`_no_short_surplus` for every activity. Added by :func:`~capacity_planner.solver.solve.solve`
        after the levels it cannot change (:data:`~capacity_planner.solver.solve.SHORT_SURPLUS_AFTER`), not
        with the other rules: with it from the start, its enforcement literals kept the service pack's unmet
        routine level from being proven within 300 s (851 against a bound of 849), where without them it
        was proven in 13 s."""
        for a in range(len(self.p.activities)):
            cap = self.p.supply_cap(a)
            if cap is not None and a in self.v.by_a and sum(w for w, _ in self.v.supply_cells(a)) > cap \
                    and a not in self._link_driven:  # capped per slot (linked_sessions)
                self._no_short_surplus(a)

    def _no_short_surplus(self, a: int) -> None:
        r"""With weekday-true supply an activity's cells differ in size (a Monday clinic 37.6 sessions a year,
        a Wednesday one 43.6), so "less than one session beyond" is also read per size: when a cell of size
        :math:`w` that is not locked is planned, :math:`\text{supply}_a \le B_a + w - 1` (:math:`B_a` the
        largest of need, current supply and fixed requirements). A plan with a cell that could be dropped
        and still give :math:`B_a` breaks it; a plan meeting need with no such cell never does, and neither
        do the forced cells alone, so no level of unmet demand changes (docs/method.md). Locked and pinned
        cells (weekly or on alternate weeks) and a 1-in-N rota's (exactly N members must be on it) are never
        capped: none can be dropped."""
        parts = self.p.supply_cap_parts(a)
        if parts is None or any(rule.activity == a for rule in self.p.cover):
            return  # weekly cover may need a cell that adds no session-weeks of need (solver/cover.py)
        base, longest = parts
        groups: dict[int, list[cp_model.IntVar]] = {}
        fixed = {*self.p.locked, *self.p.pinned}  # these cannot be dropped, nor a rota's (exactly N members)
        for c, s, var in self.v.by_a.get(a, []):
            if (c, s) not in fixed and (s, a) not in self.p.rota_weeks:
                groups.setdefault(self.p.supply_weeks(c, s, a), []).append(var)
        for c, s, var in self.v.h_by_a.get(a, []):
            if (c, s, a) not in self.p.locked_halves:  # nor can a locked week A / week B cell
                groups.setdefault(self.p.half_supply(c, s, a), []).append(var)
        most = sum(w for w, _ in self.v.supply_cells(a))
        for w, cells in sorted(groups.items()):
            if w >= longest or most <= base + w - 1:
                continue
            used = self.model.new_bool_var(f"short_cell_used[{self.p.activities[a].activity_id}, "
                                           f"{w / self.p.week_scale:g} weeks]")
            for var in cells:
                self.model.add_implication(var, used)
            ct = self.model.add(self.v.supply(a) <= base + w - 1).only_enforce_if(used)
            self._add(ct, "no_surplus", a)

    def unmet_demand_definition(self) -> None:
        r"""Unmet demand (not a rule; always satisfiable): :math:`m_a \ge D_a - \text{supply}_a`, with
        :math:`m_a \ge 0` by its domain."""
        for a, m in self.v.unmet.items():
            demand = self.p.activities[a].demand
            self.model.add(m + self.v.supply(a) >= demand)
            self._rounding_cuts(a, m, demand)

    def _rounding_cuts(self, a: int, m: cp_model.IntVar, demand: int) -> None:
        r"""Mixed-integer rounding (MIR) cuts, implied by :math:`m_a + \sum w_{csa} x_{csa} \ge D_a`
        (not new rules). For each distinct cell value :math:`\delta` with
        :math:`r = D \bmod \delta > 0`:
        :math:`m + \sum (r \lfloor w/\delta \rfloor + \min(w \bmod \delta, r))\, x \ge
        r (\lfloor D/\delta \rfloor + 1)`.

        With one cell value W this is the convex hull of :math:`m \ge \max(0, D - W n)`. Without them
        the LP relaxation meets demand with fractions of sessions and CP-SAT spends most of a solve
        proving by search that the last part of a session cannot be met."""
        cells = self.v.supply_cells(a)
        if a in self.v.bought:
            cells.append((self.p.week_scale, self.v.bought[a]))
        for delta in sorted({w for w, _ in cells if w > 0}):  # a cell of no weeks (on leave all year) adds 0
            r = demand % delta
            if r == 0:
                continue
            terms = [(var, r * (w // delta) + min(w % delta, r)) for w, var in cells]
            self.model.add(m + _wsum(terms) >= r * (demand // delta + 1))

    def routine_floor_definition(self) -> None:
        r"""Shortfall below the routine floor (minimised first, so the floor holds unless the rules leave
        no other way): :math:`f_a \ge F_a - \text{supply}_a`, :math:`F_a = \lfloor \phi\,\min(S^0_a,
        D_a)\rfloor` for routine activities (:math:`\phi` = ``solver.routine_floor_share``)."""
        for a, f in self.v.below_floor.items():
            self.model.add(f + self.v.supply(a) >= self.p.activities[a].floor)

    def weekly_cover_definition(self) -> None:
        r"""Weeks an activity with ``min_weekly_sessions`` :math:`k_a` goes uncovered, and the shortfall below
        its share of weeks (:mod:`capacity_planner.solver.cover`): per row :math:`r` (weeks with one calendar,
        or a clinician's unrecorded leave) :math:`\sum_{(c,s) \in r} x_{csa} \ge k_a B_{ar}`;
        :math:`v_a \ge \sum_r n_r (1 - B_{ar}) - \text{allowed}_a` (tenths of a week). (Rows written as
        the rule's total less the cells a week takes away were tried: no faster on the service sample.)"""
        for r, rule in enumerate(self.p.cover):
            a = rule.activity
            aid = self.p.activities[a].activity_id + (f" {'-'.join(rule.slot)}" if rule.slot else "")
            missed: list[tuple[cp_model.IntVar, int]] = []
            constant = 0
            for i, row in enumerate(rule.rows):
                covered = self.model.new_bool_var(f"covered[{aid}, row {i}]")
                if row.weights:  # a week with expected leave: each cell at its chance of running
                    pairs = zip(row.cells, row.weights, strict=True)
                    terms = [(self.v.x[(c, s, a)], w) for (c, s), w in pairs if (c, s, a) in self.v.x]
                    self.model.add(_wsum(terms) >= WEIGHT_SCALE * rule.sessions * covered)
                else:
                    cells = [self.v.x[(c, s, a)] for c, s in row.cells if (c, s, a) in self.v.x]
                    self.model.add(sum(cells) >= rule.sessions * covered)
                constant += row.tenths
                missed.append((covered, -row.tenths))
            short = self.v.cover_short[r]
            self.model.add(short >= _wsum(missed) + constant - rule.allowed_tenths)

    def dcc_spread_definition(self) -> None:
        r"""Bounds of the DCC share of contracted PAs per staff group within a service
        (:func:`~capacity_planner.solver.variables.fairness_members`; pro rata, so less-than-full-time
        clinicians are compared fairly): :math:`l_g \le \rho_c\,\text{dcc}_c \le h_g\ \forall c \in g`,
        :math:`\rho_c` = :func:`~capacity_planner.solver.variables.share_coefficient`."""
        for g, members in self.v.spread_groups.items():
            for c in members:
                rho = share_coefficient(self.p, c)
                dcc = _wsum([(var, coef * rho) for var, coef in self.v.annual_terms(c, category="DCC")])
                self.model.add(self.v.dcc_max[g] >= dcc)
                self.model.add(self.v.dcc_min[g] <= dcc)

    def changes_definition(self) -> None:
        r"""Sessions changed per clinician (against the current job plans, or the baseline plan when one
        is given): :math:`k_c \ge` cells of the current plan not kept
        (:math:`1 - x_{csa_0} - h_{csa_0}`: kept on alternate weeks counts as kept) and :math:`k_c \ge` cells
        added that differ from it (weekly or alternate-week), so a move (a session to another slot) counts
        1 and a weekly clinic turned into clinic on week A and SPA on week B counts 1."""
        removed: dict[int, list] = {c: [] for c in range(self.p.n_clinicians)}
        removed_const = dict.fromkeys(removed, 0)
        p = self.p  # counted against the current job plans, or the baseline plan when given
        for c, s in p.change_cells():
            for a0 in p.change_activities(c, s):  # a week A / week B cell kept weekly counts as kept
                removed_const[c] += 1
                removed[c] += [(var, -1) for var in (self.v.x.get((c, s, a0)), self.v.h.get((c, s, a0)))
                               if var is not None]
        added: dict[int, list] = {c: [] for c in range(self.p.n_clinicians)}
        for (c, s) in [*self.v.by_cs, *(k for k in self.v.h_by_cs if k not in self.v.by_cs)]:
            before = p.change_activities(c, s)
            added[c] += [(var, 1) for a, var in self.v.by_cs.get((c, s), []) if a not in before]
            added[c] += [(var, 1) for a, var in self.v.h_by_cs.get((c, s), []) if a not in before]
        for c, k in self.v.changed.items():
            self.model.add(k >= _wsum(removed[c]) + removed_const[c])
            self.model.add(k >= _wsum(added[c]))

    def site_travel(self) -> None:
        r"""One site per half day and a change of site between consecutive sessions only where the travel
        fits the allowance (:mod:`capacity_planner.solver.sites`): :math:`y_{csX} \ge x_{csa}` for
        :math:`\sigma(a) = X`, :math:`y_{csX} + y_{cs'Y} \le 1` for each incompatible pair."""
        from capacity_planner.solver.sites import add_site_constraints
        add_site_constraints(self.model, self.p, self.v, self._add)
