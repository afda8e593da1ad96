r"""The lexicographic objective: one linear expression per level, minimised in turn.

Levels (``settings.objective`` sets the order of the last four; ``routine_floor`` always comes first, then
``weekly_cover`` when an activity has ``min_weekly_sessions`` (:mod:`capacity_planner.solver.cover`), and
``unmet_demand`` expands to rapid access, then routine, then unassigned time):

==========================  ====================================================================  ==========
level                       expression (minimised)                                                 unit
==========================  ====================================================================  ==========
routine_floor               :math:`\sum_a f_a`: session-weeks below the routine floor             sess-weeks
weekly_cover                :math:`\sum_a v_a`: weeks below an activity's weekly cover (if any)     weeks/10
unmet_rapid_access          :math:`\sum_{a \text{ rapid}} \text{priority}_a\, m_a`                weighted
unmet_routine               :math:`\sum_{a \text{ routine}} \text{priority}_a\, m_a`              weighted
unassigned_pas              :math:`\sum_c u_c`: contracted PA-weeks a year left unassigned        PA-weeks
cost                        :math:`\sum_c \text{apa\_cost}_c\, e_c + \sum_a \text{cost}_a\, b_a`    GBP a year
changes                     :math:`\sum_c k_c`: sessions changed (a move counts 1)                sessions
fairness                    :math:`\sum_g (h_g - l_g)`: spread of the DCC share of contracted PAs  share
==========================  ====================================================================  ==========

Unmet demand comes before unassigned time: a plan that leaves a quarter of a PA unassigned but meets
126 more list-weeks a year is better than one that fills every PA with clinics nobody needs. Rapid access
is a separate level before routine work, so a rapid-access shortfall is never traded for routine work
whatever the priorities (a separate level is an exact guarantee, where one big weight would need
coefficients of the size of all routine demand and would slow the solver); the routine floor, before
both, stops rapid access from taking routine work below its floor. Within each of the two unmet levels,
``priority`` weights the activities (unit: priority-weighted session-weeks a year).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from capacity_planner.solver.cover import WEEK_TENTHS
from capacity_planner.solver.problem import PA_SCALE, AllocationProblem
from capacity_planner.solver.variables import SHARE_SCALE, Variables, _wsum

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

UNITS = {
    "routine_floor": ("session-weeks a year below the routine floor", 0),
    "weekly_cover": ("weeks a year without the weekly cover", WEEK_TENTHS),
    "unmet_rapid_access": ("priority-weighted session-weeks a year", 0),  # 0: the problem's week_scale
    "unmet_routine": ("priority-weighted session-weeks a year", 0),
    "unassigned_pas": ("PA-weeks a year", -1),  # -1: PA_SCALE x the problem's week_scale
    "cost": ("GBP a year", PA_SCALE),
    "changes": ("sessions", 1),
    "fairness": ("share of contracted PAs", -2),  # -2: SHARE_SCALE x the problem's week_scale
}


def level_scale(problem: AllocationProblem, name: str) -> int:
    """Divisor from solver units to the natural units of level ``name``."""
    scale = UNITS[name][1]
    if scale == 0:
        return problem.week_scale
    if scale == -1:
        return PA_SCALE * problem.week_scale
    if scale == -2:
        return SHARE_SCALE * problem.week_scale
    return scale


@dataclass(frozen=True, eq=False)
class Level:
    """One objective level: its name, integer expression and the divisor to natural units."""

    name: str
    expr: cp_model.LinearExprT
    scale: int
    unit: str
    trivial: bool  # no variable in the expression: the level is 0 without solving


Terms = tuple[list[tuple[Any, int]], int]  # (variable or negated literal, coefficient) pairs and a constant


def level_names(objective: tuple[str, ...], weekly_cover: bool = False) -> list[str]:
    """The solved level names for a ``settings.objective`` order (``weekly_cover`` second when a rule asks
    for it)."""
    names = ["routine_floor", *(["weekly_cover"] if weekly_cover else [])]
    for name in objective:
        if name == "unmet_demand":
            names += ["unmet_rapid_access", "unmet_routine", "unassigned_pas"]
        elif name in UNITS and name not in names:
            names.append(name)
    if "unassigned_pas" not in names:
        names.append("unassigned_pas")
    return names


class Objective:
    """Builds the expression of each level."""

    def __init__(self, problem: AllocationProblem, variables: Variables):
        self.p = problem
        self.v = variables

    def levels(self) -> list[Level]:
        """Levels in solve order."""
        out = []
        for name in level_names(self.p.objective, bool(self.p.cover)):
            terms, constant = getattr(self, name)()
            unit = UNITS[name][0]
            scale = level_scale(self.p, name)
            expr = (_wsum(terms) + constant) if terms else constant
            out.append(Level(name, expr, scale, unit, not terms))
        return out

    def routine_floor(self) -> Terms:
        r""":math:`\sum_a f_a` (week_scale units)."""
        return [(f, 1) for f in self.v.below_floor.values()], 0

    def weekly_cover(self) -> Terms:
        r""":math:`\sum_a v_a`: tenths of a week a year below each activity's share of covered weeks."""
        return [(v, 1) for v in self.v.cover_short], 0

    def unassigned_pas(self) -> Terms:
        r""":math:`\sum_c u_c` (annual units)."""
        return [(u, 1) for c, u in self.v.under.items() if self.p.clinicians[c].annual_target > 0], 0

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
        r""":math:`\sum_c k_c`: sessions changed, the larger of cells removed from and cells added to each
        clinician's current plan (a session moved to another slot counts 1, not 2)."""
        return [(k, 1) for k in self.v.changed.values()], 0

    def fairness(self) -> Terms:
        r""":math:`\sum_g (h_g - l_g)`."""
        terms: list[tuple[cp_model.IntVar, int]] = []
        for g in self.v.spread_groups:
            terms += [(self.v.dcc_max[g], 1), (self.v.dcc_min[g], -1)]
        return terms, 0
