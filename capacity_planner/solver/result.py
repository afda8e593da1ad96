"""Solve results: a status enum, per-level objective values and bounds, and a :class:`Solution` that
recomputes every KPI from the allocation alone (it never reads solver values other than the cells)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from capacity_planner.solver.objective import UNITS
from capacity_planner.solver.problem import PA_SCALE, Problem


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
    """An allocation: the activity (index) per (clinician, slot) cell and locum/WLI sessions bought.

    Every property is recomputed from :attr:`cells` and :attr:`bought` with the problem's coefficients.
    """

    problem: Problem
    cells: Mapping[tuple[int, int], int]
    bought: Mapping[int, int] = field(default_factory=dict)

    # ---- per clinician (PA units) ----------------------------------------------------------------
    def grid_units(self, c: int, category: str | None = None, premium_only: bool = False) -> int:
        """PA units of clinician ``c``'s cells (optionally one category, or premium slots only)."""
        p = self.problem
        return sum(
            p.pas(cc, s, a)
            for (cc, s), a in self.cells.items()
            if cc == c
            and (category is None or p.activities[a].category == category)
            and (not premium_only or p.slots[s].premium)
        )

    @cached_property
    def planned_units(self) -> dict[int, int]:
        """Planned PA units a week per clinician: grid cells + on-call PAs."""
        out = {c: ci.oncall for c, ci in enumerate(self.problem.clinicians)}
        for (c, s), a in self.cells.items():
            out[c] += self.problem.pas(c, s, a)
        return out

    def additional_units(self, c: int) -> int:
        """PA units above contracted PAs."""
        return max(0, self.planned_units[c] - self.problem.clinicians[c].contracted)

    def unallocated_units(self, c: int) -> int:
        """Contracted PA units left unallocated."""
        return max(0, self.problem.clinicians[c].contracted - self.planned_units[c])

    # ---- per activity (week_scale units) --------------------------------------------------------
    @cached_property
    def supply_units(self) -> dict[int, int]:
        """Session-weeks a year per activity (week_scale units), bought sessions included."""
        out = {
            a: self.bought.get(a, 0) * self.problem.week_scale for a in range(len(self.problem.activities))
        }
        for (c, s), a in self.cells.items():
            out[a] += self.problem.weeks(c, s, a)
        return out

    def unmet_units(self, a: int) -> int:
        """Unmet demand of activity ``a``, week_scale units (demand rounded up to that resolution)."""
        return max(0, self.problem.activities[a].demand - self.supply_units[a])

    # ---- levels ---------------------------------------------------------------------------------
    def changed_cells(self) -> list[tuple[int, int]]:
        """Cells (c, s) whose activity differs from the current job plan, in (c, s) order."""
        keys = set(self.cells) | set(self.problem.current)
        return sorted(k for k in keys if self.cells.get(k) != self.problem.current.get(k))

    def dcc_spread_units(self) -> dict[str, int]:
        """Spread (max - min) of grid DCC PA units per staff group of two or more."""
        out = {}
        for g, members in self.problem.staff_groups().items():
            if len(members) >= 2:
                dcc = [self.grid_units(c, category="DCC") for c in members]
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
        if name == "unallocated_pas":
            return sum(self.unallocated_units(c) for c in range(self.problem.n_clinicians))
        if name in ("unmet_rapid_access", "unmet_routine"):
            rapid = name == "unmet_rapid_access"
            return sum(
                act.priority * self.unmet_units(a) for a, act in enumerate(acts) if act.rapid_access == rapid
            )
        if name == "cost":
            return self.cost_units()
        if name == "changes":
            return len(self.changed_cells())
        if name == "fairness":
            return sum(self.dcc_spread_units().values())
        raise KeyError(name)

    def level_value(self, name: str) -> float:
        """The value of level ``name`` in natural units."""
        return self.level_units(name) / (UNITS[name][1] or self.problem.week_scale)

    # ---- headline KPIs --------------------------------------------------------------------------
    def unmet_sessions_per_year(self) -> float:
        """Unweighted unmet demand, session-weeks a year."""
        return sum(self.unmet_units(a) for a in range(len(self.problem.activities))) / self.problem.week_scale

    def additional_pas(self) -> float:
        """Additional PAs a week across the team."""
        return sum(self.additional_units(c) for c in range(self.problem.n_clinicians)) / PA_SCALE

    def additional_cost(self) -> float:
        """GBP a year of additional PAs and bought sessions."""
        return self.cost_units() / PA_SCALE


@dataclass(frozen=True, eq=False)
class Result:
    """The outcome of :func:`capacity_planner.solver.solve.solve`.

    ``solution`` is None when no plan was found (infeasible, unknown, model_invalid); ``reasons`` holds
    the plain-language explanation when infeasible. ``work_limit`` is the deterministic work budget the
    solve ran under (None: wall clock only); ``wall_clock_stopped`` is true when the wall-clock limit cut a
    level short, so the plan may differ on another machine or under another load.
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
        """True when the same inputs, seed and workers give this plan on any machine: every level proven
        (optimal or infeasible), or every level stopped by the work limit, none by the wall clock."""
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
