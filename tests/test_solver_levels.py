"""The lexicographic solve's shortcuts between levels (capacity_planner.solver.solve)."""

from __future__ import annotations

import dataclasses
import importlib
import itertools
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
    proves when run to the end) instead of the previous level's plan, with a bound at that optimum (gap 0);
    the plan passes the checker."""
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
    assert level.bound == best.objective  # HiGHS's bound (its proof, reported unproven) is kept, gap 0
    assert level.gap == 0.0


def test_complete_values_hint_every_variable_of_the_model() -> None:
    """x + y = 3 with an auxiliary b <=> (x >= 2): every proto variable, the auxiliary one included, is
    returned with the solver's value (Variables.all_vars would miss b)."""
    model = solve_module.AllocationModel.__new__(solve_module.AllocationModel)
    model.cp = cp_model.CpModel()
    x, y = model.cp.new_int_var(0, 3, "x"), model.cp.new_int_var(0, 3, "y")
    b = model.cp.new_bool_var("b")
    model.cp.add(x + y == 3)
    model.cp.add(x >= 2).only_enforce_if(b)
    model.cp.add(x <= 1).only_enforce_if(~b)
    model.cp.minimize(y)
    solver = cp_model.CpSolver()
    assert solver.solve(model.cp) == cp_model.OPTIMAL
    values = {var.name: value for var, value in model.complete_values(solver)}
    assert values == {"x": 3, "y": 0, "b": 1}


def test_a_level_searched_from_the_previous_plan_gets_every_variable_hinted(
        tiny_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every level CP-SAT searches from the previous plan (not the unmet levels, unhinted, nor ``changes``,
    hinted with the current job plans) is given a value for every variable of the model, and the optima are
    those found with the hint of Variables.all_vars alone (the hint before session 13)."""
    pack = cp.read_pack(tiny_path)
    requirements = reqs(TINY_DEMAND, rapid=["2ww"])
    hinted: list[tuple[frozenset[str], int, int]] = []
    real = solve_module.run_stoppable

    def recorded(solver: Any, fn: partial[Any]) -> Any:
        if not solver.parameters.fix_variables_to_their_hinted_value:
            proto = fn.args[0].proto
            hinted.append((frozenset(proto.variables[i].name for i in proto.objective.vars),
                           len(proto.solution_hint.vars), len(proto.variables)))
        return real(solver, fn)

    monkeypatch.setattr(solve_module, "run_stoppable", recorded)
    monkeypatch.setattr(solve_module, "least_value", lambda model: float("-inf"))  # search every level
    complete = run(pack, requirements)
    fairness = [(n, total) for names, n, total in hinted if any(v.startswith("dcc_max") for v in names)]
    assert fairness and all(n == total for n, total in fairness)
    monkeypatch.setattr(solve_module.AllocationModel, "complete_values", solve_module.AllocationModel.values)
    hinted.clear()
    partial_hint = run(pack, requirements)
    fairness = [(n, total) for names, n, total in hinted if any(v.startswith("dcc_max") for v in names)]
    assert fairness and all(n < total for n, total in fairness)  # the auxiliary variables were left out
    assert complete.status is partial_hint.status is SolveStatus.OPTIMAL
    assert [(lv.name, lv.objective) for lv in complete.result.levels] \
        == [(lv.name, lv.objective) for lv in partial_hint.result.levels]


def test_highs_bound_is_returned_rounded_down_to_an_integer(tiny_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """HiGHS stopped without a plan but with a dual bound of 41.9999999 (a tolerance below 42) and of 41.6:
    ``_highs_level`` proves nothing, has no plan, and returns the bounds 42 and 41 (rounded down, after a
    1e-6 tolerance), which the solver then takes as the level's bound when it is above CP-SAT's."""
    from capacity_planner.solver.problem import build_problem

    milp_module = importlib.import_module("capacity_planner.solver.milp")
    pack = cp.read_pack(tiny_path)
    model = solve_module.AllocationModel(build_problem(pack, reqs(TINY_DEMAND, rapid=["2ww"])))
    model.cp.minimize(model.levels[0].expr)
    for dual, expected in ((41.9999999, 42.0), (41.6, 41.0)):
        answer = milp_module.MilpAnswer(False, None, dual, None, 0.0)
        monkeypatch.setattr(milp_module, "solve_milp", lambda *a, answer=answer, **k: answer)
        assert tuple(solve_module._highs_level(model, None, 0, 5.0)) == (None, None, expected, False)  # noqa: SLF001


def test_highs_stopped_by_the_wall_clock_marks_a_work_limit_run_not_reproducible(
        tiny_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under a work limit HiGHS first on ``changes`` stops at a node count, its wall clock only a safety net.
    Made to report that its time limit stopped it (its plan unproven), the run is marked stopped by the wall
    clock and not reproducible, as when the wall clock stops CP-SAT; the same run with HiGHS's own answer
    (proven or stopped by its nodes on this tiny pack) stays reproducible."""
    milp_module = importlib.import_module("capacity_planner.solver.milp")
    real = milp_module.solve_milp
    asked: list[int | None] = []

    def timed_out(*args: Any, **kw: Any) -> Any:
        asked.append(kw.get("node_limit"))
        return dataclasses.replace(real(*args, **kw), optimal=False, time_stopped=True)

    pack = cp.read_pack(tiny_path)
    requirements = reqs(TINY_DEMAND, rapid=["2ww"])
    monkeypatch.setattr(solve_module, "HIGHS_AFTER_LEVELS", frozenset())  # HiGHS first only
    own = run(pack, requirements, work_limit=50.0, time_limit_s=600.0)
    assert (own.result.wall_clock_stopped, own.result.reproducible) == (False, True)
    monkeypatch.setattr(milp_module, "solve_milp", timed_out)
    stopped = run(pack, requirements, work_limit=50.0, time_limit_s=600.0)
    assert asked and all(nodes is not None for nodes in asked), "HiGHS was not asked with a node limit"
    assert (stopped.result.wall_clock_stopped, stopped.result.reproducible) == (True, False)


def test_highs_skipped_for_want_of_a_second_counts_as_stopped_by_the_wall_clock(tiny_path: Path) -> None:
    """Less than a second of wall clock left for HiGHS: it is not asked, and the answer says the wall clock
    stopped it (under a work limit, a machine-speed decision)."""
    from capacity_planner.solver.problem import build_problem

    model = solve_module.AllocationModel(build_problem(cp.read_pack(tiny_path), reqs(TINY_DEMAND, rapid=["2ww"])))
    model.cp.minimize(model.levels[0].expr)
    assert tuple(solve_module._highs_level(model, None, 0, 0.5, 20)) == (None, None, None, True)  # noqa: SLF001


def _first_stopped(minimises: Any, seen: list[Any], how: str = "at_once") -> Any:
    """A stand-in for ``solve.run_stoppable`` that records every search ``minimises`` picks (its solver, in
    ``seen``) and cuts the first one short (CP-SAT's share of the level): ``at_once`` with no plan,
    ``first_plan`` at its first plan; later searches run."""
    real = solve_module.run_stoppable

    def stopped(solver: Any, fn: partial[Any]) -> Any:
        if minimises(fn) and not solver.parameters.fix_variables_to_their_hinted_value:
            seen.append(solver)
            if len(seen) == 1 and how == "at_once":
                solver.parameters.max_number_of_conflicts = 0
                solver.parameters.max_time_in_seconds = 1e-6
            elif len(seen) == 1:  # no LP and no presolve: a first plan above a weak bound
                solver.parameters.stop_after_first_solution = True
                solver.parameters.linearization_level = 0
                solver.parameters.cp_model_presolve = False
        return real(solver, fn)

    return stopped


def _gated_run(tiny_path: Path, monkeypatch: pytest.MonkeyPatch, cores: float, *, large: bool = True,
               how: str = "at_once", answer: Any = None, **kw: Any) -> tuple[Any, list[Any], list[int]]:
    """The tiny pack (its model taken as above ``HIGHS_MAX_VARIABLES`` when ``large``: limit 0) with the
    run's CPU rate made ``cores`` and its routine level's first CP-SAT search cut short (``how``): the plan,
    the routine level's CP-SAT searches and one entry per HiGHS call (``answer`` in place of HiGHS's)."""
    milp_module = importlib.import_module("capacity_planner.solver.milp")
    real = milp_module.solve_milp
    highs: list[int] = []

    def counted(*args: Any, **kw: Any) -> Any:
        highs.append(1)
        return real(*args, **kw) if answer is None else answer

    seen: list[Any] = []
    if large:
        monkeypatch.setattr(solve_module, "HIGHS_MAX_VARIABLES", 0)
    monkeypatch.setattr(solve_module, "HIGHS_MIN_SECONDS", 0.0)
    monkeypatch.setattr(solve_module, "HIGHS_AFTER_LEVELS", frozenset({"unmet_routine"}))
    monkeypatch.setattr(solve_module, "cpu_cores", lambda cpu, wall: cores)
    monkeypatch.setattr(solve_module, "run_stoppable", _first_stopped(_minimises_routine, seen, how))
    monkeypatch.setattr(milp_module, "solve_milp", counted)
    plan = run(cp.read_pack(tiny_path), reqs(TINY_DEMAND, rapid=["2ww"]), **kw)
    return plan, seen, highs


def _routine(plan: Any) -> Any:
    return {lv.name: lv for lv in plan.result.levels}["unmet_routine"]


def test_a_large_model_starved_of_cpu_keeps_its_unmet_level_for_cp_sat(tiny_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Wall-clock mode, a model above HIGHS_MAX_VARIABLES, the run so far on 0.1 of a core (under
    HIGHS_AFTER_MIN_CORES): the routine level is not split, HiGHS is never asked, and CP-SAT's one search
    (stopped at once here) leaves the level to the previous plan, as before session 15; with 4 cores the
    level is split and HiGHS proves the optimum CP-SAT proves unhindered."""
    best = _routine(run(cp.read_pack(tiny_path), reqs(TINY_DEMAND, rapid=["2ww"])))
    assert best.status is SolveStatus.OPTIMAL
    plan, seen, highs = _gated_run(tiny_path, monkeypatch, cores=0.1)
    assert (len(seen), highs) == (1, [])
    assert _routine(plan).status is SolveStatus.FEASIBLE
    monkeypatch.undo()
    plan, seen, highs = _gated_run(tiny_path, monkeypatch, cores=4.0)
    assert len(seen) == 1 and highs
    assert (_routine(plan).status, _routine(plan).objective) == (SolveStatus.OPTIMAL, best.objective)


def test_the_cpu_rule_leaves_small_models_and_work_limited_runs_alone(tiny_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """At 0.1 of a core HiGHS still follows CP-SAT on a model of at most HIGHS_MAX_VARIABLES (unchanged since
    session 13) and under a work limit (a CPU rate would make the plan depend on the machine's load), and
    proves the routine optimum there."""
    best = _routine(run(cp.read_pack(tiny_path), reqs(TINY_DEMAND, rapid=["2ww"])))
    for kw in ({"large": False}, {"work_limit": 50.0, "time_limit_s": 600.0}):
        plan, seen, highs = _gated_run(tiny_path, monkeypatch, cores=0.1, **kw)
        assert len(seen) == 1 and highs, kw
        assert (_routine(plan).status, _routine(plan).objective) == (SolveStatus.OPTIMAL, best.objective), kw
        monkeypatch.undo()


def test_highs_after_cp_sat_never_lowers_cp_sat_bound(tiny_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A large model with CPU enough, CP-SAT's share stopped at its first plan (value v, bound b < v), and
    HiGHS made to return no plan and a dual bound of -1: the level keeps CP-SAT's plan at v and reports b,
    not HiGHS's -1."""
    milp_module = importlib.import_module("capacity_planner.solver.milp")
    nothing = milp_module.MilpAnswer(False, None, -1.0, None, 0.0)
    plan, seen, highs = _gated_run(tiny_path, monkeypatch, cores=4.0, how="first_plan", answer=nothing)
    share = seen[0].response_proto
    assert share.status == cp_model.FEASIBLE and share.best_objective_bound < share.objective_value
    assert len(seen) == 1 and highs
    level = _routine(plan)
    assert level.status is SolveStatus.FEASIBLE
    assert level.objective_units <= share.objective_value
    assert level.bound_units == share.best_objective_bound


def test_cpu_cores_is_cpu_time_over_wall_time() -> None:
    """3 CPU seconds in 2 wall seconds are 1.5 cores; a stretch under a millisecond counts as 0."""
    assert solve_module.cpu_cores(3.0, 2.0) == 1.5
    assert solve_module.cpu_cores(1.0, 0.0) == 0.0


def test_reported_bound_is_never_below_zero_nor_above_a_feasible_value() -> None:
    """Every level counts or spreads something, so its reported bound is at least 0: a fairness level
    stopped before its LP had CP-SAT's bound at -3.83 points (helper B, session 15). A feasible level's
    bound is at most its value (HiGHS's bound can pass a plan it did not see); an optimal one's is the
    solver's."""
    from capacity_planner.solver.solve import reported_bound

    assert reported_bound(997_920.0, -3_830_000.0, feasible=True) == 0.0
    assert reported_bound(910.0, 892.0, feasible=True) == 892.0
    assert reported_bound(910.0, 915.0, feasible=True) == 910.0
    assert reported_bound(458.0, 458.0, feasible=False) == 458.0
    assert reported_bound(0.0, -1e-9, feasible=False) == 0.0


def test_each_level_ends_on_its_recorded_value_and_bound_on_the_console(tiny_path: Path) -> None:
    """``progress`` hears each level's final value and bound last (the words "proven" when it was proven),
    once: a level proven after its last plan (by CP-SAT's bound, by HiGHS, or without a search) used to end
    on an earlier, lower bound ("best possible >= 0.0 points" beside a proven fairness level)."""
    calls: list[tuple[str, float, float]] = []
    plan = run(cp.read_pack(tiny_path), reqs(TINY_DEMAND),
               progress=lambda name, best, bound, _elapsed: calls.append((name, best, bound)))
    reported = {c[0] for c in calls}  # a trivial level (no variable: not searched) is not reported
    solved = [lv for lv in plan.result.levels if lv.objective is not None and lv.name in reported]
    assert {"unmet_routine", "changes"} <= {lv.name for lv in solved}
    for lv in solved:
        last = [c for c in calls if c[0] == lv.name][-1]
        assert last == (lv.name, lv.objective, lv.bound), lv.name
    assert all(a != b for a, b in itertools.pairwise(calls)), "a report repeated"
