"""The lexicographic solve's shortcuts between levels (capacity_planner.solver.solve)."""

from __future__ import annotations

import dataclasses
import importlib
from typing import TYPE_CHECKING, Any

from ortools.sat.python import cp_model
from test_solver_helpers import reqs, run
from test_solver_large import TINY_DEMAND, stop_at_once
from test_solver_milp import _minimises_routine

import capacity_planner as cp
from capacity_planner.solver import SolveStatus

if TYPE_CHECKING:
    from functools import partial
    from pathlib import Path

    import pytest

solve_module = importlib.import_module("capacity_planner.solver.solve")

MET_DEMAND = {"2ww": 40.0, "fu": 40.0}
"""Demand the tiny pack meets with room to spare: every unmet-demand level's optimum is 0."""


def test_least_value_is_the_objective_over_the_domains_alone() -> None:
    """3x + 2y - z + 5 with x in [1, 4], y in [0, 2], z in [0, 6]: least value 3 + 0 - 6 + 5 = 2."""
    m = cp_model.CpModel()
    x, y, z = m.new_int_var(1, 4, "x"), m.new_int_var(0, 2, "y"), m.new_int_var(0, 6, "z")
    m.minimize(3 * x + 2 * y - z + 5)
    assert solve_module.least_value(m) == 2


def _searches(calls: list[frozenset[str]]) -> Any:
    """A stand-in for ``solve.run_stoppable`` that records the objective variables of every search (not the
    re-solves with the cells fixed)."""
    real = solve_module.run_stoppable

    def recorded(solver: Any, fn: partial[Any]) -> Any:
        if not solver.parameters.fix_variables_to_their_hinted_value:
            model = fn.args[0]
            calls.append(frozenset(model.proto.variables[i].name for i in model.proto.objective.vars))
        return real(solver, fn)

    return recorded


def test_a_level_the_previous_plan_already_solves_is_not_searched(tiny_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """With all demand met, the rapid-access level's plan already leaves no routine demand unmet: the routine
    level is proven optimal at 0 without a search of its own (it is searched when the shortcut is off), and
    every level's optimum is the one found when each level is searched (the plan passes the independent
    checker: run() checks it). A's and B's SPA ceilings are 2 PAs here (max_spa_pas), as they were by default
    before the 2-hour halves of session 11 (now 1.5, their floor): which rapid-access optimum CP-SAT finds
    first is incidental, and with the lower ceilings the one it finds leaves fu short."""
    pack = cp.read_pack(tiny_path)
    pack = pack.replace(clinicians=tuple(dataclasses.replace(c, max_spa_pas=2.0) if c.clinician_id in "AB"
                                         else c for c in pack.clinicians))
    requirements = reqs(MET_DEMAND, rapid=["2ww"])
    searched: list[frozenset[str]] = []
    monkeypatch.setattr(solve_module, "run_stoppable", _searches(searched))
    monkeypatch.setattr(solve_module, "least_value", lambda model: float("-inf"))  # no shortcut
    every = run(pack, requirements)
    every_searched = list(searched)
    monkeypatch.undo()

    searched.clear()
    monkeypatch.setattr(solve_module, "run_stoppable", _searches(searched))
    short = run(pack, requirements)
    assert every.status is short.status is SolveStatus.OPTIMAL
    assert [(lv.name, lv.objective) for lv in short.result.levels] \
        == [(lv.name, lv.objective) for lv in every.result.levels]
    unmet = {lv.name: lv for lv in short.result.levels if lv.name.startswith("unmet_")}
    assert unmet and all(lv.objective == 0 and lv.status is SolveStatus.OPTIMAL for lv in unmet.values())
    assert frozenset({"unmet[fu]"}) in [names for names in every_searched]
    assert frozenset({"unmet[fu]"}) not in searched, "the routine level, met by the rapid-access plan, was searched"
    assert len(searched) < len(every_searched)


def test_a_better_plan_highs_does_not_prove_is_kept_on_an_unmet_level(tiny_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """CP-SAT stopped at once on the routine level (no plan of its own), and HiGHS made to report its plan
    unproven: the plan is checked by CP-SAT with its cells fixed and kept (feasible, at the optimum CP-SAT
    proves when run to the end) instead of the previous level's plan; the plan passes the checker."""
    milp_module = importlib.import_module("capacity_planner.solver.milp")
    real = milp_module.solve_milp

    def unproven(*args: Any, **kw: Any) -> Any:
        return dataclasses.replace(real(*args, **kw), optimal=False)

    pack = cp.read_pack(tiny_path)
    requirements = reqs(TINY_DEMAND, rapid=["2ww"])
    best = {lv.name: lv for lv in run(pack, requirements).result.levels}["unmet_routine"]
    assert best.status is SolveStatus.OPTIMAL
    calls: list[int] = []
    monkeypatch.setattr(solve_module, "run_stoppable", stop_at_once(_minimises_routine, calls))
    monkeypatch.setattr(milp_module, "solve_milp", unproven)
    second = run(pack, requirements)
    assert calls, "the routine level was not cut short"
    level = {lv.name: lv for lv in second.result.levels}["unmet_routine"]
    assert level.status is SolveStatus.FEASIBLE
    assert level.objective == best.objective
