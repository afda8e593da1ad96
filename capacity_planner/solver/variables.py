r"""Decision variables of the allocation model, with readable names, and the linear expressions built on them.

Notation (all integer; PA units of 1/:data:`~capacity_planner.solver.problem.PA_SCALE` PA, demand units of
1/``week_scale`` session-week, usually whole session-weeks; *annual units* are PA units x week units, one
PA-week a year = PA_SCALE x week_scale):

* :math:`x_{csa} \in \{0,1\}`: clinician *c* does activity *a* in weekly slot *s*
  (``x[B, Tue-AM, 2ww]``); only created where *c* is skilled in *a* and available in *s*;
* :math:`h_{csa} \in \{0,1\}`: clinician *c* does activity *a* in half of slot *s*: on alternate weeks
  (week A or week B), or as a 2-hour half every week when the slot holds only SPA/admin halves
  (:mod:`capacity_planner.solver.alternate`; ``h[B, Tue-AM, spa]``); only where offered;
* :math:`z_{cs} \in \{0,1\}`: clinician *c* works slot *s* on alternate weeks
  (``alternate_weeks[B, Tue-AM]``);
* :math:`u_c \in [0, W_c t_c]`: contracted PA-weeks a year left unassigned (annual units,
  ``unassigned_pas[B]``);
* :math:`f_a \in [0, F_a]`: shortfall below the routine floor of activity *a* (``below_floor[fu]``);
* :math:`e_c \in [0, \bar e_c]`: additional PAs (``additional_pas[B]``);
* :math:`b_a \in [0, \bar b_a]`: locum/WLI sessions bought a year (``bought_sessions[2ww]``);
* :math:`m_a \in [0, D_a]`: unmet demand, session-weeks a year (``unmet[2ww]``);
* :math:`h_g, l_g`: highest and lowest DCC share of contracted PAs in staff group *g*
  (``dcc_max[consultant]``, in 1/(:data:`SHARE_SCALE` x ``week_scale``));
* :math:`k_c`: sessions changed for clinician *c*, the larger of cells removed and cells added.
"""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from capacity_planner.solver.problem import PA_SCALE, AllocationProblem

Expr = cp_model.LinearExpr | int
SHARE_SCALE = 10_000_000  # DCC share of contracted PAs in 1/SHARE_SCALE (fairness)


def share_coefficient(problem: AllocationProblem, c: int) -> int:
    """Integer weight turning clinician *c*'s DCC annual units into a share of their contracted grid
    PA-weeks, in 1/(:data:`SHARE_SCALE` x ``week_scale``): ``round(SHARE_SCALE x week_scale /
    annual_target)``, about ``10^7 / (120 x weeks x PAs)`` whatever the week resolution (198 for a 10-PA,
    42-week contract, 397 for 5 PAs: the rounding, at most 0.5, leaves the share exact to 0.25 % or
    better). Without ``week_scale`` the weight shrank with the resolution: 66 with a 1-in-6 rota (thirds of
    a week), 2 with working weeks in hundredths (1.6 % off), 1 or 0 below that."""
    target = problem.clinicians[c].annual_target
    return round(SHARE_SCALE * problem.week_scale / target) if target > 0 else 0


def clinician_services(problem: AllocationProblem) -> dict[int, tuple[str | None, ...]]:
    """The services each clinician works in: the ``service`` of the DCC activities they may do (skills
    and current plan), in activity order; ``(None,)`` when none is named (the pack's one service)."""
    acts = problem.activities
    named: dict[int, set[int]] = {}
    for c, a in problem.skilled:
        if acts[a].category == "DCC" and acts[a].service:
            named.setdefault(c, set()).add(a)
    out: dict[int, tuple[str | None, ...]] = {}
    for c in range(problem.n_clinicians):
        services = dict.fromkeys(acts[a].service for a in sorted(named.get(c, ())))
        out[c] = tuple(services) or (None,)
    return out


def fairness_members(problem: AllocationProblem) -> dict[str, tuple[int, ...]]:
    """Clinicians compared for fairness: per staff group within each service, those with grid PAs; groups
    of two or more. A clinician who works in two services is compared in both (their DCC share is of their
    whole job plan); the key is the staff group, or ``"staff group in service"`` when services are named."""
    services = clinician_services(problem)
    out = {}
    for g, cs in problem.staff_groups().items():
        keys: dict[str | None, list[int]] = {}
        for c in cs:
            if problem.clinicians[c].annual_target > 0:
                for service in services[c]:
                    keys.setdefault(service, []).append(c)
        for service, members in keys.items():
            if len(members) >= 2:
                out[g if service is None else f"{g} in {service}"] = tuple(members)
    return out


class Variables:
    """Creates every variable of the model and offers the sums the rules and objectives use."""

    def __init__(self, model: cp_model.CpModel, problem: AllocationProblem):
        self.model = model
        self.problem = p = problem
        self.x: dict[tuple[int, int, int], cp_model.IntVar] = {}
        self.by_c: dict[int, list[tuple[int, int, cp_model.IntVar]]] = defaultdict(list)
        self.by_a: dict[int, list[tuple[int, int, cp_model.IntVar]]] = defaultdict(list)
        self.by_cs: dict[tuple[int, int], list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
        self.by_sa: dict[tuple[int, int], list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
        for c, s, a in p.triples():
            var = model.new_bool_var(f"x[{p.clinicians[c].clinician_id}, {p.slots[s].label}, "
                                     f"{p.activities[a].activity_id}]")
            self.x[(c, s, a)] = var
            self.by_c[c].append((s, a, var))
            self.by_a[a].append((c, s, var))
            self.by_cs[(c, s)].append((a, var))
            self.by_sa[(s, a)].append((c, var))
        # alternate-week cells: (c, s, a) -> variable, and the same indexes as x
        self.h: dict[tuple[int, int, int], cp_model.IntVar] = {}
        self.h_by_c: dict[int, list[tuple[int, int, cp_model.IntVar]]] = defaultdict(list)
        self.h_by_a: dict[int, list[tuple[int, int, cp_model.IntVar]]] = defaultdict(list)
        self.h_by_cs: dict[tuple[int, int], list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
        self.h_by_sa: dict[tuple[int, int], list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
        for c, s, a in p.half_triples():
            var = model.new_bool_var(f"h[{p.clinicians[c].clinician_id}, {p.slots[s].label}, "
                                     f"{p.activities[a].activity_id}]")
            self.h[(c, s, a)] = var
            self.h_by_c[c].append((s, a, var))
            self.h_by_a[a].append((c, s, var))
            self.h_by_cs[(c, s)].append((a, var))
            self.h_by_sa[(s, a)].append((c, var))
        # z[c, s]: clinician c works slot s on alternate weeks (some h there is 1)
        self.alt_slot = {(c, s): model.new_bool_var(f"alternate_weeks[{p.clinicians[c].clinician_id}, "
                                                    f"{p.slots[s].label}]") for c, s in self.h_by_cs}
        self.under = {c: model.new_int_var(0, max(0, ci.annual_target), f"unassigned_pas[{ci.clinician_id}]")
                      for c, ci in enumerate(p.clinicians)}
        self.below_floor = {a: model.new_int_var(0, act.floor, f"below_floor[{act.activity_id}]")
                            for a, act in enumerate(p.activities) if act.floor > 0}
        self.apa = {c: model.new_int_var(0, ci.apa_cap, f"additional_pas[{ci.clinician_id}]")
                    for c, ci in enumerate(p.clinicians) if ci.apa_cap > 0}
        self.bought = {a: model.new_int_var(0, pu.max_sessions,
                                            f"bought_sessions[{p.activities[a].activity_id}]")
                       for a, pu in p.purchases.items() if pu.max_sessions > 0}
        # weekly cover: tenths of a week a year below the activity's share of covered weeks (solver/cover.py)
        self.cover_short = [model.new_int_var(0, sum(row.tenths for row in rule.rows), "weeks_uncovered["
                                              + p.activities[rule.activity].activity_id
                                              + (f", {'-'.join(rule.slot)}]" if rule.slot else "]"))
                            for rule in p.cover]
        self.unmet = {a: model.new_int_var(0, act.demand, f"unmet[{act.activity_id}]")
                      for a, act in enumerate(p.activities) if act.demand > 0}
        self._supply: dict[int, Expr] = {}
        self.counts: list[cp_model.IntVar] = []
        self.spread_groups = fairness_members(p)
        bound = SHARE_SCALE * p.week_scale * 4
        self.dcc_max = {g: model.new_int_var(0, bound, f"dcc_max[{g}]") for g in self.spread_groups}
        self.dcc_min = {g: model.new_int_var(0, bound, f"dcc_min[{g}]") for g in self.spread_groups}
        self.changed = {c: model.new_int_var(0, 2 * len(p.slots), f"sessions_changed[{ci.clinician_id}]")
                        for c, ci in enumerate(p.clinicians)}

    # ---- sums ----------------------------------------------------------------------------------
    def annual_pas(self, c: int, category: str | None = None, premium_only: bool = False) -> Expr:
        r""":math:`\sum_{s,a} \text{pa}_{csa} w_{csa} x_{csa}` over clinician *c*'s cells (optionally one
        category or premium slots only), annual units: each cell counts its PAs for the weeks it runs."""
        return _wsum(self.annual_terms(c, category, premium_only))

    def annual_terms(self, c: int, category: str | None = None, premium_only: bool = False,
                     ) -> list[tuple[cp_model.IntVar, int]]:
        """The (variable, annual units) pairs of :meth:`annual_pas`, alternate-week cells included (each
        for half the working weeks)."""
        p = self.problem
        terms = [(var, p.annual(c, s, a)) for s, a, var in self.by_c[c]
                 if (category is None or p.activities[a].category == category)
                 and (not premium_only or p.slots[s].premium)]
        return terms + [(var, p.half_annual(c, s, a)) for s, a, var in self.h_by_c.get(c, [])
                        if (category is None or p.activities[a].category == category)
                        and (not premium_only or p.slots[s].premium)]

    def supply(self, a: int) -> Expr:
        r""":math:`\sum_w w\, n_{aw} + 100\, b_a` with :math:`n_{aw} = \sum_{c,s: w_{csa} = w} x_{csa}`:
        session-weeks a year delivered (week_scale units); :math:`w_{csa}` is the cell's weekday-true supply
        (:meth:`AllocationProblem.supply_weeks`), not its PA weeks.

        Cells delivering the same number of weeks are interchangeable for supply, so they are counted
        by one integer :math:`n_{aw}` (``sessions[2ww, 42 weeks]``); the solver can then branch on how many
        sessions of each kind an activity gets, which makes the unmet-demand level much easier to prove.
        """
        if a in self._supply:
            return self._supply[a]
        p = self.problem
        groups: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        for c, s, var in self.by_a[a]:
            groups[p.supply_weeks(c, s, a)].append(var)
        for c, s, var in self.h_by_a.get(a, []):
            groups[p.half_supply(c, s, a)].append(var)
        terms = []
        for w, cells in sorted(groups.items()):
            if len(cells) == 1:
                terms.append((cells[0], w))
                continue
            n = self.model.new_int_var(0, len(cells), f"sessions[{p.activities[a].activity_id}, "
                                                      f"{w / p.week_scale:g} weeks]")
            self.model.add(n == _wsum([(v, 1) for v in cells]))
            self.counts.append(n)
            terms.append((n, w))
        if a in self.bought:
            terms.append((self.bought[a], p.week_scale))
        self._supply[a] = _wsum(terms)
        return self._supply[a]

    def extra_cost_terms(self) -> list[tuple[cp_model.IntVar, int]]:
        r""":math:`\sum_c \text{apa\_cost}_c e_c + \sum_a \text{PA\_SCALE}\cdot\text{cost}_a b_a` as
        (variable, coefficient) pairs, PA_SCALE x GBP a year: what additional PAs and bought sessions cost
        (the ``cost`` objective level and the budget rule)."""
        p = self.problem
        terms = [(e, p.clinicians[c].apa_cost) for c, e in self.apa.items()]
        terms += [(b, p.purchases[a].cost * PA_SCALE) for a, b in self.bought.items()]
        return [t for t in terms if t[1] != 0]

    def supply_cells(self, a: int) -> list[tuple[int, cp_model.IntVar]]:
        """(session-weeks a year, variable) of every weekly and alternate-week cell of activity ``a``."""
        p = self.problem
        cells = [(p.supply_weeks(c, s, a), var) for c, s, var in self.by_a.get(a, [])]
        return cells + [(p.half_supply(c, s, a), var) for c, s, var in self.h_by_a.get(a, [])]

    def sessions_in_slot(self, s: int, a: int) -> Expr:
        r""":math:`\sum_c x_{csa}`: clinicians doing *a* in slot *s*."""
        return _wsum([(var, 1) for _, var in self.by_sa.get((s, a), [])])

    def cell(self, c: int, s: int) -> Expr:
        r""":math:`\sum_a x_{csa}`: 1 if clinician *c* works slot *s*."""
        return _wsum([(var, 1) for _, var in self.by_cs.get((c, s), [])])

    def all_vars(self) -> list[cp_model.IntVar]:
        """Every variable, for hints."""
        return [*self.x.values(), *self.h.values(), *self.under.values(), *self.apa.values(),
                *self.bought.values(), *self.unmet.values(), *self.dcc_max.values(), *self.dcc_min.values(),
                *self.counts, *self.below_floor.values(), *self.changed.values(), *self.alt_slot.values()]


def _wsum(terms: list[tuple[cp_model.IntVar, int]]) -> Expr:
    if not terms:
        return 0
    return cp_model.LinearExpr.weighted_sum([t[0] for t in terms], [t[1] for t in terms])
