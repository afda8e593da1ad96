"""Solve results: a status enum, per-level objective values and bounds, and a :class:`Solution` that
recomputes every KPI from the allocation alone (it never reads solver values other than the cells)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING

from capacity_planner.solver.cover import WEIGHT_SCALE, CoverRow, CoverRule
from capacity_planner.solver.objective import level_scale
from capacity_planner.solver.problem import PA_SCALE, AllocationProblem
from capacity_planner.solver.variables import fairness_members, share_coefficient

if TYPE_CHECKING:
    from collections.abc import Mapping


class SolveStatus(StrEnum):
    """Outcome of a solve. Infeasible and time-outs are statuses, not exceptions."""

    OPTIMAL = "optimal"  # every level proven optimal
    FEASIBLE = "feasible"  # a plan that keeps every rule, some level not proven optimal (time limit)
    INFEASIBLE = "infeasible"  # the rules cannot all hold
    MODEL_INVALID = "model_invalid"  # a bug: CP-SAT rejected the model
    UNKNOWN = "unknown"  # no plan found within the time limit, and no proof there is none


@dataclass(frozen=True, slots=True)
class LevelResult:
    """One lexicographic level.

    ``objective`` and ``bound`` are in natural units (``unit``); ``objective_units``/``bound_units`` are
    the solver's integers. ``gap`` = (objective - bound) / max(1, |objective|) in solver units.
    """

    name: str
    status: SolveStatus
    objective: float | None
    bound: float | None
    objective_units: int | None
    bound_units: float | None
    gap: float | None
    seconds: float
    unit: str


@dataclass(frozen=True, eq=False)
class Solution:
    """An allocation: the activity (index) per (clinician, slot) weekly cell, the alternate-week cells
    and locum/WLI sessions bought.

    ``halves`` maps (clinician, slot) to (activity in week A, activity in week B) of a slot worked on
    alternate weeks (None: that week free); such a slot has no weekly cell. A slot in :attr:`two_hour` holds
    the same one or two cells as 2-hour halves every week (first half, second half), counted the same.
    Every property is recomputed from :attr:`cells`, :attr:`halves` and :attr:`bought` with the problem's
    coefficients.
    """

    problem: AllocationProblem
    cells: Mapping[tuple[int, int], int]
    bought: Mapping[int, int] = field(default_factory=dict)
    halves: Mapping[tuple[int, int], tuple[int | None, int | None]] = field(default_factory=dict)
    # the slots of ``halves`` worked as two 2-hour halves every week (SPA, admin: no room, no referral
    # demand; :func:`~capacity_planner.solver.alternate.two_hour_slots`), not as alternate weeks
    two_hour: frozenset[tuple[int, int]] = frozenset()

    def half_cells(self) -> list[tuple[int, int, str, int]]:
        """Every alternate-week cell as (clinician, slot, week "A" or "B", activity), in that order."""
        return [(c, s, week, a) for (c, s), pair in sorted(self.halves.items())
                for week, a in zip("AB", pair, strict=True) if a is not None]

    def worked(self, c: int, s: int) -> bool:
        """Whether clinician ``c`` works slot ``s`` in some week."""
        return (c, s) in self.cells or (c, s) in self.halves

    # ---- per clinician (annual units: PA units x week units) -----------------------------------
    def annual_units(self, c: int, category: str | None = None, premium_only: bool = False) -> int:
        """PA-weeks a year (annual units) of clinician ``c``'s cells, each for the weeks it runs
        (optionally one category, or premium slots only)."""
        p = self.problem

        def counted(s: int, a: int) -> bool:
            return (category is None or p.activities[a].category == category) and (
                not premium_only or p.slots[s].premium)

        weekly = sum(p.annual(cc, s, a) for (cc, s), a in self.cells.items() if cc == c and counted(s, a))
        return weekly + sum(p.half_annual(cc, s, a) for cc, s, _, a in self.half_cells()
                            if cc == c and counted(s, a))

    def weekly_pas(self, c: int, annual: int) -> float:
        """Annual units of clinician ``c`` as PAs a week (over their working weeks)."""
        return annual / (PA_SCALE * self.problem.clinicians[c].working_weeks)

    @cached_property
    def planned_annual(self) -> dict[int, int]:
        """Planned PA-weeks a year per clinician (annual units): grid cells + on-call PAs every week."""
        p = self.problem
        out = {c: ci.oncall * ci.working_weeks for c, ci in enumerate(p.clinicians)}
        for (c, s), a in self.cells.items():
            out[c] += p.annual(c, s, a)
        for c, s, _, a in self.half_cells():
            out[c] += p.half_annual(c, s, a)
        return out

    def additional_units(self, c: int) -> int:
        """Additional PAs a week above contracted PAs (PA units; whole units by the contract rule)."""
        ci = self.problem.clinicians[c]
        over = self.planned_annual[c] - ci.contracted * ci.working_weeks
        return max(0, -(-over // ci.working_weeks))

    def unassigned_annual(self, c: int) -> int:
        """Contracted PA-weeks a year left unassigned (annual units)."""
        ci = self.problem.clinicians[c]
        return max(0, ci.contracted * ci.working_weeks - self.planned_annual[c])

    # ---- per activity (week_scale units) --------------------------------------------------------
    @cached_property
    def supply_units(self) -> dict[int, int]:
        """Session-weeks a year per activity (week_scale units), bought sessions included."""
        out = {
            a: self.bought.get(a, 0) * self.problem.week_scale for a in range(len(self.problem.activities))
        }
        for (c, s), a in self.cells.items():
            out[a] += self.problem.supply_weeks(c, s, a)
        for c, s, _, a in self.half_cells():
            out[a] += self.problem.half_supply(c, s, a)
        return out

    def unmet_units(self, a: int) -> int:
        """Unmet demand of activity ``a``, week_scale units (demand rounded up to that resolution)."""
        return max(0, self.problem.activities[a].demand - self.supply_units[a])

    def below_floor_units(self, a: int) -> int:
        """Session-weeks (week_scale units) by which activity ``a`` falls below its routine floor."""
        return max(0, self.problem.activities[a].floor - self.supply_units[a])

    # ---- levels ---------------------------------------------------------------------------------
    def week_activity(self, c: int, s: int, week: str) -> int | None:
        """The activity clinician ``c`` does in slot ``s`` in week ``week`` ("A" or "B"), None if free."""
        if (c, s) in self.halves:
            return self.halves[(c, s)]["AB".index(week)]
        return self.cells.get((c, s))

    def changed_cells(self) -> list[tuple[int, int, str]]:
        """Cells (c, s, week) whose activity differs from the current job plan, in that order: week ""
        for a slot with a weekly cell or free, "A" and "B" for a slot on alternate weeks (each week
        compared with the current plan's activity there)."""
        p = self.problem
        keys = set(self.cells) | set(p.current) | set(self.halves) | set(p.current_halves)
        out = []
        for c, s in sorted(keys):
            alternate = (c, s) in self.halves or (c, s) in p.current_halves
            out += [(c, s, w if alternate else "") for w in ("AB" if alternate else "A")
                    if self.week_activity(c, s, w) != p.current_in_week(c, s, w)]
        return out

    def sessions_changed(self, base: Mapping[tuple[int, int], int] | None = None) -> dict[int, int]:
        """Sessions changed per clinician: the larger of current cells not kept (on alternate weeks counts
        as kept) and new weekly or alternate-week cells added that differ from the current plan (a
        session moved to another slot counts 1); clinicians without change are left out. ``base``: the
        plan to count against instead of the current job plans (the ``changes`` level's baseline)."""
        removed: dict[int, int] = defaultdict(int)
        added: dict[int, int] = defaultdict(int)
        p = self.problem
        for c, s in ((*p.current, *p.current_halves) if base is None else tuple(base)):
            for a0 in _before(p, base, c, s):
                if self.cells.get((c, s)) != a0 and a0 not in self.halves.get((c, s), ()):
                    removed[c] += 1
        for (c, s), a in self.cells.items():
            if a not in _before(p, base, c, s):
                added[c] += 1
        for c, s, _, a in self.half_cells():
            if a not in _before(p, base, c, s):
                added[c] += 1
        return {c: max(removed[c], added[c]) for c in sorted(set(removed) | set(added))}

    def dcc_spread_units(self) -> dict[str, int]:
        """Spread (max - min) of the DCC share of contracted grid PA-weeks per staff group of two or more
        clinicians with grid PAs, in 1/(SHARE_SCALE x week_scale) (the fairness level's own weights)."""
        out = {}
        for g, members in fairness_members(self.problem).items():
            dcc = [self.annual_units(c, category="DCC") * share_coefficient(self.problem, c) for c in members]
            out[g] = max(dcc) - min(dcc)
        return out

    def cost_units(self) -> int:
        """PA_SCALE x GBP a year of additional PAs and bought sessions (as the cost level counts it)."""
        p = self.problem
        apa = sum(self.additional_units(c) * ci.apa_cost for c, ci in enumerate(p.clinicians))
        return apa + sum(n * p.purchases[a].cost * PA_SCALE for a, n in self.bought.items())

    def level_units(self, name: str) -> int:
        """The value of objective level ``name`` in solver units, recomputed from the allocation."""
        acts = self.problem.activities
        if name == "routine_floor":
            return sum(self.below_floor_units(a) for a in range(len(acts)))
        if name == "unassigned_pas":
            return sum(self.unassigned_annual(c) for c, ci in enumerate(self.problem.clinicians)
                       if ci.annual_target > 0)
        if name in ("unmet_rapid_access", "unmet_routine"):
            rapid = name == "unmet_rapid_access"
            return sum(
                act.priority * self.unmet_units(a) for a, act in enumerate(acts) if act.rapid_access == rapid
            )
        if name == "cost":
            return self.cost_units()
        if name == "changes":  # against the level's own base: the baseline plan when one is given
            return sum(self.sessions_changed(self.problem.baseline).values())
        if name == "fairness":
            return sum(self.dcc_spread_units().values())
        if name == "weekly_cover":
            return sum(self.cover_short_tenths())
        raise KeyError(name)

    def uncovered_rows(self, rule: CoverRule) -> list[CoverRow]:
        """The rows of a weekly cover rule this plan leaves with fewer than ``rule.sessions`` sessions."""
        held = {cell: 1 for cell in {x for row in rule.rows for x in row.cells}
                if self.cells.get(cell) == rule.activity}
        return [row for row in rule.rows if row.running(held) < WEIGHT_SCALE * rule.sessions]

    def cover_short_tenths(self) -> list[int]:
        """Tenths of a week a year each weekly cover rule misses beyond its allowance."""
        return [max(0, sum(row.tenths for row in self.uncovered_rows(rule)) - rule.allowed_tenths)
                for rule in self.problem.cover]

    def level_value(self, name: str) -> float:
        """The value of level ``name`` in natural units."""
        return self.level_units(name) / level_scale(self.problem, name)

    # ---- headline KPIs --------------------------------------------------------------------------
    def unmet_sessions_per_year(self) -> float:
        """Unweighted unmet demand, session-weeks a year."""
        return sum(self.unmet_units(a) for a in range(len(self.problem.activities))) / self.problem.week_scale

    def additional_pas(self) -> float:
        """Additional PAs a week across the team."""
        return sum(self.additional_units(c) for c in range(self.problem.n_clinicians)) / PA_SCALE

    def unassigned_pas(self) -> float:
        """Contracted PAs a week left unassigned across the team (each clinician over their weeks)."""
        return sum(self.weekly_pas(c, self.unassigned_annual(c)) for c in range(self.problem.n_clinicians))

    def additional_cost(self) -> float:
        """GBP a year of additional PAs and bought sessions."""
        return self.cost_units() / PA_SCALE


@dataclass(frozen=True, eq=False)
class Result:
    """The outcome of :func:`capacity_planner.solver.solve.solve`.

    ``solution`` is None when no plan was found (infeasible, unknown, model_invalid); ``reasons`` holds
    the plain-language explanation when infeasible. ``work_limit`` is the deterministic work budget the
    solve ran under (None: wall clock only); ``wall_clock_stopped`` is true when the wall-clock limit cut a
    level short, or stopped HiGHS before its node limit under a work limit (its starting plan for CP-SAT
    then depends on the machine), so the plan may differ on another machine or under another load.
    """

    status: SolveStatus
    levels: tuple[LevelResult, ...]
    solution: Solution | None
    solve_seconds: float
    reasons: tuple[str, ...] = ()
    seed: int = 0
    workers: int = 1
    work_limit: float | None = None
    wall_clock_stopped: bool = False

    @property
    def reproducible(self) -> bool:
        """True when the same inputs, seed and workers give this plan on any machine: nothing stopped by the
        wall clock (``wall_clock_stopped``), and every level proven (optimal or infeasible) or stopped by the
        work limit. A level proven from a HiGHS plan the wall clock cut short may hold another of its optima
        on another machine, hence the first condition even when every level is proven."""
        if self.wall_clock_stopped:
            return False
        if all(lv.status in (SolveStatus.OPTIMAL, SolveStatus.INFEASIBLE) for lv in self.levels):
            return True
        return self.work_limit is not None and not self.wall_clock_stopped

    @property
    def objective(self) -> dict[str, float | None]:
        """Objective per level, natural units."""
        return {lv.name: lv.objective for lv in self.levels}

    @property
    def bound(self) -> dict[str, float | None]:
        """Best proven bound per level, natural units."""
        return {lv.name: lv.bound for lv in self.levels}

    @property
    def gap(self) -> dict[str, float | None]:
        """Relative gap per level (0 when proven optimal)."""
        return {lv.name: lv.gap for lv in self.levels}


def _before(problem: AllocationProblem, base: Mapping[tuple[int, int], int] | None, c: int,
            s: int) -> tuple[int, ...]:
    """The activities cell (c, s) is compared with: the current job plans' (weekly, or week A and B), or
    ``base``'s weekly cell."""
    if base is None:
        return problem.current_activities(c, s)
    a = base.get((c, s))
    return () if a is None else (a,)
