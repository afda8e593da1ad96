"""The CP-SAT allocation model: variables, then rules, then objective levels, built from an
AllocationProblem."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from capacity_planner.solver.alternate import label_weeks, two_hour_slots
from capacity_planner.solver.constraints import Constraints, Guards
from capacity_planner.solver.objective import Level, Objective
from capacity_planner.solver.result import Solution
from capacity_planner.solver.variables import Variables

if TYPE_CHECKING:
    from capacity_planner.solver.problem import AllocationProblem


class AllocationModel:
    """A CP-SAT model of one :class:`~capacity_planner.solver.problem.AllocationProblem`.

    Parameters
    ----------
    problem : AllocationProblem
        The integerised planning problem.
    guarded : bool
        Guard every rule instance with an assumption literal (for infeasibility explanations).
    """

    def __init__(self, problem: AllocationProblem, *, guarded: bool = False):
        self.problem = problem
        self.cp = cp_model.CpModel()
        self.cp.name = f"allocation[{problem.name}]"
        self.variables = Variables(self.cp, problem)
        self.guards = Guards(self.cp) if guarded else None
        self.constraints = Constraints(self.cp, problem, self.variables, self.guards)
        self.constraints.add_constraints()
        self.levels: list[Level] = Objective(problem, self.variables).levels()

    def solution_from(self, solver: cp_model.CpSolver) -> Solution:
        """Read the cells and bought sessions of the solver's last solution."""
        cells = {}
        for (c, s, a), var in self.variables.x.items():
            if solver.boolean_value(var):
                cells[(c, s)] = a
        halves: dict[tuple[int, int], tuple[int, ...]] = {}
        for (c, s, a), var in self.variables.h.items():
            if solver.boolean_value(var):
                halves[(c, s)] = (*halves.get((c, s), ()), a)
        bought = {a: int(solver.value(b)) for a, b in self.variables.bought.items() if solver.value(b) > 0}
        room_of = {a: act.room_type for a, act in enumerate(self.problem.activities)}
        p = self.problem
        two_hour = two_hour_slots(halves, p.activities, p.slots, p.current_halves, p.current_two_hour)
        labels = label_weeks(halves, room_of, self.problem.current_halves)
        return Solution(self.problem, cells, bought, labels, two_hour)

    def values(self, solver: cp_model.CpSolver) -> list[tuple[cp_model.IntVar, int]]:
        """Every variable with its value in the solver's last solution (a hint for the next level)."""
        return [(v, int(solver.value(v))) for v in self.variables.all_vars()]

    def complete_values(self, solver: cp_model.CpSolver) -> list[tuple[cp_model.IntVar, int]]:
        """Every variable of the CP-SAT model, :meth:`values`' and the auxiliary ones the rules add (cover
        indicators, short-cell literals, site literals), with its value in the solver's last
        solution: a *complete* hint. CP-SAT takes a complete feasible hint as its first solution at once;
        with the 3,137 of 3,461 variables :meth:`values` covers on the service sample, the fairness level
        needed 4.2 work units to prove the hinted plan optimal, with every variable 0.7 (docs/benchmarks.md,
        "Session 13 (helper E)")."""
        solution = solver.response_proto.solution
        return [(self.cp.get_int_var_from_proto_index(j), int(value)) for j, value in enumerate(solution)]

    def current_plan_hint(self, values: list[tuple[cp_model.IntVar, int]],
                          ) -> list[tuple[cp_model.IntVar, int]]:
        """``values`` with every cell variable replaced by the current job plans, or the baseline plan when
        one is given (1 where the cell keeps that activity, else 0): a phase hint for the ``changes``
        level, not a feasible solution."""
        current = {(c, s, a) for (c, s), a in self.problem.change_base.items()}
        pairs = ({(c, s, a) for (c, s), pair in self.problem.current_halves.items() for a in pair}
                 if self.problem.baseline is None else set())
        cells = {var.index: int(key in current) for key, var in self.variables.x.items()}
        cells |= {var.index: int(key in pairs) for key, var in self.variables.h.items()}
        return [(var, cells.get(var.index, value)) for var, value in values]

    def baseline_hint(self) -> list[tuple[cp_model.IntVar, int]]:
        """Every cell variable hinted with the baseline plan (1 where the cell keeps its baseline activity,
        else 0); empty without a baseline."""
        if self.problem.baseline is None:
            return []
        base = {(c, s, a) for (c, s), a in self.problem.baseline.items()}
        return [*((var, int(key in base)) for key, var in self.variables.x.items()),
                *((var, 0) for var in self.variables.h.values())]

    def set_hint(self, values: list[tuple[cp_model.IntVar, int]]) -> None:
        """Replace the model's hint."""
        self.cp.clear_hints()
        for var, value in values:
            self.cp.add_hint(var, value)
