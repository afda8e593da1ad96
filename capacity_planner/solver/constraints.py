r"""The hard rules of the allocation, one small method each, with the maths in its docstring.

Each rule instance (a rule for one clinician, slot or requirement) can be guarded by an assumption literal
(:class:`Guards`): the explanation module solves with every guard assumed true and asks CP-SAT which of
them cannot hold together. In a normal solve there are no guards.

Notation as in :mod:`capacity_planner.solver.variables`; :math:`\text{pa}_{csa}` is the PA value of the
session (premium-time scaled), :math:`P` the premium slots, :math:`\text{SPA}` the SPA-category activities.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from capacity_planner.solver.problem import Problem
from capacity_planner.solver.variables import Variables, _wsum


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

    def __init__(self, model: cp_model.CpModel, problem: Problem, variables: Variables,
                 guards: Guards | None = None):
        self.model = model
        self.p = problem
        self.v = variables
        self.guards = guards

    def _add(self, ct: cp_model.Constraint, rule: str, *subject: Hashable) -> None:
        if self.guards is not None:
            ct.only_enforce_if(self.guards.literal(RuleKey(rule, tuple(subject))))

    def add_constraints(self) -> None:
        """Every rule, in the order of DESIGN.md section 5."""
        self.one_activity_per_slot()
        self.contracted_pas()
        self.additional_pas_total()
        self.extra_cost_cap()
        self.spa_floor()
        self.out_of_hours_opt_in()
        self.out_of_hours_share()
        self.locked_cells()
        self.room_capacity()
        self.fixed_slot_requirements()
        self.fixed_weekly_requirements()
        self.rest_after_oncall()
        self.skill_caps()
        self.unmet_demand_definition()
        self.dcc_spread_definition()

    # Skills and availability are not rules here: x[c,s,a] exists only for skilled, available triples.

    def one_activity_per_slot(self) -> None:
        r"""At most one activity per clinician per slot: :math:`\sum_a x_{csa} \le 1\ \forall c,s`."""
        for cells in self.v.by_cs.values():
            if len(cells) > 1:
                self.model.add_at_most_one(var for _, var in cells)

    def contracted_pas(self) -> None:
        r"""Weekly PAs equal contracted PAs, less an unallocated remainder smaller than one session, plus
        allowed additional PAs:
        :math:`\sum_{s,a} \text{pa}_{csa} x_{csa} + \text{oncall}_c = \text{contracted}_c - u_c + e_c`."""
        for c, ci in enumerate(self.p.clinicians):
            extra = self.v.apa.get(c, 0)
            ct = self.model.add(self.v.grid_pas(c) + self.v.under[c] - extra == ci.grid_target)
            self._add(ct, "contracted_pas", c)
            if c in self.v.apa and self.v.under_caps[c] > 0:  # never both short and paid extra
                over = self.model.new_bool_var(f"over_contract[{ci.clinician_id}]")
                self.model.add(self.v.under[c] == 0).only_enforce_if(over)
                self.model.add(self.v.apa[c] == 0).only_enforce_if(over.negated())

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
        r"""SPA floor (pro rata when set): :math:`\sum_{s, a \in \text{SPA}} \text{pa}_{csa} x_{csa} \ge
        \text{floor}_c`."""
        for c, ci in enumerate(self.p.clinicians):
            if ci.spa_floor <= 0:
                continue
            ct = self.model.add(self.v.grid_pas(c, category="SPA") >= ci.spa_floor)
            self._add(ct, "spa_floor", c)
            # Rounding cut (implied, not a new rule): a session gives at most v_max PAs of SPA, so at least
            # ceil(floor / v_max) SPA sessions are needed. It closes the LP gap of a 1.5-PA floor met with
            # 1-PA sessions (the LP relaxation would give 1.5 sessions).
            spa = [(s, a, var) for s, a, var in self.v.by_c[c] if self.p.activities[a].category == "SPA"]
            if spa:
                most = max(self.p.pas(c, s, a) for s, a, _ in spa)
                sessions = -(-ci.spa_floor // most)
                cut = self.model.add(_wsum([(var, 1) for _, _, var in spa]) >= sessions)
                self._add(cut, "spa_floor", c)

    def out_of_hours_opt_in(self) -> None:
        r"""Premium-time slots only for opted-in clinicians:
        :math:`\sum_{s \in P, a} x_{csa} = 0` unless *c* opted in."""
        for c, ci in enumerate(self.p.clinicians):
            if ci.out_of_hours_opt_in:
                continue
            terms = [(var, 1) for s, _, var in self.v.by_c[c] if self.p.slots[s].premium]
            if terms:
                self._add(self.model.add(_wsum(terms) == 0), "out_of_hours_opt_in", c)

    def out_of_hours_share(self) -> None:
        r"""Contractual cap on out-of-hours PAs (SAS 2021: 40 %):
        :math:`q\,\text{ooh}_c \le p\,(\sum \text{pa}_{csa} x_{csa} + \text{oncall}_c)` for share
        :math:`p/q`."""
        for c, ci in enumerate(self.p.clinicians):
            share = ci.out_of_hours_share
            if share is None or not any(self.p.slots[s].premium for s, _, _ in self.v.by_c[c]):
                continue
            ooh = self.v.grid_pas(c, premium_only=True)
            ct = self.model.add(share.denominator * ooh
                                <= share.numerator * (self.v.grid_pas(c) + ci.oncall))
            self._add(ct, "out_of_hours_share", c)

    def locked_cells(self) -> None:
        r"""Locked cells keep their activity: :math:`x_{csa_0} = 1` for each locked cell
        :math:`(c, s, a_0)` (one guard per clinician)."""
        for c, s in sorted(self.p.locked):
            a0 = self.p.current[(c, s)]
            var = self.v.x.get((c, s, a0))
            ct = self.model.add(var == 1) if var is not None else self.model.add_bool_or([])
            self._add(ct, "locked", c)

    def room_capacity(self) -> None:
        r"""Rooms per slot: :math:`\sum_{c, a: \text{room}(a) = r} x_{csa} \le \text{rooms}_{rs}` for each
        listed (room type, slot); unlisted room types and slots are unlimited."""
        for (room, s), cap in sorted(self.p.rooms.items()):
            terms = [(var, 1) for a, act in enumerate(self.p.activities) if act.room_type == room
                     for _, var in self.v.by_sa.get((s, a), [])]
            if len(terms) > cap:
                self._add(self.model.add(_wsum(terms) <= cap), "rooms", room, s)

    def fixed_slot_requirements(self) -> None:
        r"""Slot-fixed requirements (MDT Tue-PM with at least *k*): :math:`\sum_c x_{csa} \ge k`."""
        for i, req in enumerate(self.p.fixed_slots):
            ct = self.model.add(self.v.sessions_in_slot(req.s, req.a) >= req.min_clinicians)
            self._add(ct, "fixed_slot", i)

    def fixed_weekly_requirements(self) -> None:
        r"""Weekly requirements without a slot: :math:`\sum_{c,s} x_{csa} \ge \lceil n \rceil`."""
        for i, req in enumerate(self.p.fixed_weekly):
            terms = [(var, 1) for _, _, var in self.v.by_a[req.a]]
            self._add(self.model.add(_wsum(terms) >= req.sessions), "fixed_weekly", i)

    def rest_after_oncall(self) -> None:
        r"""No session the morning after an overnight on-call: for an EVE slot *s* with next-day AM slot
        :math:`s'`, :math:`\sum_{a \in \text{ONCALL}} x_{csa} + \sum_a x_{cs'a} \le 1`."""
        oncall = {a for a, act in enumerate(self.p.activities) if act.category == "ONCALL"}
        for c in range(self.p.n_clinicians):
            for s, slot in enumerate(self.p.slots):
                nxt = self.p.next_morning(s) if slot.period == "EVE" else None
                if nxt is None:
                    continue
                night = [(var, 1) for a, var in self.v.by_cs.get((c, s), []) if a in oncall]
                morning = [(var, 1) for _, var in self.v.by_cs.get((c, nxt), [])]
                if night and morning:
                    self._add(self.model.add(_wsum(night + morning) <= 1), "oncall_rest", c, s)

    def skill_caps(self) -> None:
        r"""Per-clinician caps (skills.max_sessions_per_week): :math:`\sum_s x_{csa} \le \text{cap}_{ca}`."""
        for (c, a), cap in sorted(self.p.skill_caps.items()):
            terms = [(var, 1) for s, aa, var in self.v.by_c[c] if aa == a]
            if len(terms) > cap:
                self._add(self.model.add(_wsum(terms) <= cap), "skill_cap", c, a)

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
        cells = [(self.p.weeks(c, s, a), var) for c, s, var in self.v.by_a[a]]
        if a in self.v.bought:
            cells.append((self.p.week_scale, self.v.bought[a]))
        for delta in sorted({w for w, _ in cells}):
            r = demand % delta
            if r == 0:
                continue
            terms = [(var, r * (w // delta) + min(w % delta, r)) for w, var in cells]
            self.model.add(m + _wsum(terms) >= r * (demand // delta + 1))

    def dcc_spread_definition(self) -> None:
        r"""Bounds of DCC PAs per staff group: :math:`l_g \le \text{dcc}_c \le h_g\ \forall c \in g`."""
        for g, members in self.v.spread_groups.items():
            for c in members:
                dcc = self.v.grid_pas(c, category="DCC")
                self.model.add(self.v.dcc_max[g] >= dcc)
                self.model.add(self.v.dcc_min[g] <= dcc)


def guarded_rules(guards: Guards) -> Sequence[RuleKey]:
    """Rule instances guarded so far, in creation order."""
    return list(guards.literals)
