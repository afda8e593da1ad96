r"""The lexicographic objective: one linear expression per level, minimised in turn.

Levels (``settings.objective`` sets the order of the last four; ``unallocated_pas`` always comes first):

==========================  ====================================================================  ==========
level                       expression (minimised)                                                 unit
==========================  ====================================================================  ==========
unallocated_pas             :math:`\sum_c u_c`                                                     PAs a week
unmet_rapid_access          :math:`\sum_{a \text{ rapid}} \text{priority}_a\, m_a`                weighted
unmet_routine               :math:`\sum_{a \text{ routine}} \text{priority}_a\, m_a`              weighted
cost                        :math:`\sum_c \text{apa\_cost}_c\, e_c + \sum_a \text{cost}_a\, b_a`    GBP a year
changes                     cells whose activity differs from the current job plan                 cells
fairness                    :math:`\sum_g (h_g - l_g)`: spread of DCC PAs within each staff group  PAs a week
==========================  ====================================================================  ==========

``unmet_demand`` in ``settings.objective`` expands to the two unmet levels, rapid access first, so a
rapid-access shortfall is never traded for routine work whatever the priorities (a separate level is an
exact guarantee, where one big weight would need coefficients of the size of all routine demand and would
slow the solver). Within each of the two levels, ``priority`` weights the activities (unit:
priority-weighted session-weeks a year).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ortools.sat.python import cp_model

from capacity_planner.solver.problem import PA_SCALE, Problem
from capacity_planner.solver.variables import Variables, _wsum

UNITS = {
    "unallocated_pas": ("PAs a week", PA_SCALE),
    "unmet_rapid_access": ("priority-weighted session-weeks a year", 0),  # 0: the problem's week_scale
    "unmet_routine": ("priority-weighted session-weeks a year", 0),
    "cost": ("GBP a year", PA_SCALE),
    "changes": ("cells", 1),
    "fairness": ("PAs a week", PA_SCALE),
}


@dataclass(frozen=True, eq=False)
class Level:
    """One objective level: its name, integer expression and the divisor to natural units."""

    name: str
    expr: cp_model.LinearExprT
    scale: int
    unit: str
    trivial: bool  # no variable in the expression: the level is 0 without solving


Terms = tuple[list[tuple[Any, int]], int]  # (variable or negated literal, coefficient) pairs and a constant


def level_names(objective: tuple[str, ...]) -> list[str]:
    """The solved level names for a ``settings.objective`` order."""
    names = ["unallocated_pas"]
    for name in objective:
        if name == "unmet_demand":
            names += ["unmet_rapid_access", "unmet_routine"]
        elif name in UNITS and name not in names:
            names.append(name)
    return names


class Objective:
    """Builds the expression of each level."""

    def __init__(self, problem: Problem, variables: Variables):
        self.p = problem
        self.v = variables

    def levels(self) -> list[Level]:
        """Levels in solve order."""
        out = []
        for name in level_names(self.p.objective):
            terms, constant = getattr(self, name)()
            unit, scale = UNITS[name]
            scale = scale or self.p.week_scale
            expr = (_wsum(terms) + constant) if terms else constant
            out.append(Level(name, expr, scale, unit, not terms))
        return out

    def unallocated_pas(self) -> Terms:
        r""":math:`\sum_c u_c`."""
        return [(u, 1) for c, u in self.v.under.items() if self.v.under_caps[c] > 0], 0

    def unmet_rapid_access(self) -> Terms:
        r""":math:`\sum_{a \text{ rapid}} \text{priority}_a m_a`."""
        return [(m, self.p.activities[a].priority) for a, m in self.v.unmet.items()
                if self.p.activities[a].rapid_access], 0

    def unmet_routine(self) -> Terms:
        r""":math:`\sum_{a \text{ routine}} \text{priority}_a m_a`."""
        return [(m, self.p.activities[a].priority) for a, m in self.v.unmet.items()
                if not self.p.activities[a].rapid_access], 0

    def cost(self) -> Terms:
        r""":math:`\sum_c \text{apa\_cost}_c e_c + \sum_a \text{PA\_SCALE}\cdot\text{cost}_a b_a`
        (PA_SCALE x GBP a year)."""
        return self.v.extra_cost_terms(), 0

    def changes(self) -> Terms:
        r"""Changed cells: :math:`\sum_{(c,s) \in \text{plan}} (1 - x_{csa_0}) +
        \sum_{(c,s) \notin \text{plan}} \sum_a x_{csa}`; a current cell the clinician can no longer
        work (no decision for it) counts 1 as a constant."""
        terms: list[tuple[Any, int]] = []
        constant = 0
        for (c, s), cells in self.v.by_cs.items():
            if (c, s) not in self.p.current:
                terms += [(var, 1) for _, var in cells]
        for (c, s), a0 in self.p.current.items():
            var = self.v.x.get((c, s, a0))
            if var is None:
                constant += 1
            else:
                terms.append((var.negated(), 1))
        return terms, constant

    def fairness(self) -> Terms:
        r""":math:`\sum_g (h_g - l_g)`."""
        terms: list[tuple[cp_model.IntVar, int]] = []
        for g in self.v.spread_groups:
            terms += [(self.v.dcc_max[g], 1), (self.v.dcc_min[g], -1)]
        return terms, 0
