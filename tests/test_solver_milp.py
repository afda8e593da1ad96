"""HiGHS as a second opinion on a level CP-SAT leaves unproven (capacity_planner.solver.milp)."""

from __future__ import annotations

import dataclasses
import importlib
import random
import sys
from typing import TYPE_CHECKING, Any

import pytest
from ortools.sat.python import cp_model
from test_solver_helpers import reqs, run
from test_solver_large import TINY_DEMAND, _minimises_changes, stop_at_once

import capacity_planner as cp
from capacity_planner.solver import SolveStatus
from capacity_planner.solver.milp import solve_milp, to_milp

if TYPE_CHECKING:
    from functools import partial
    from pathlib import Path

solve_module = importlib.import_module("capacity_planner.solver.solve")


def _random_model(seed: int) -> cp_model.CpModel:
    """A small model with every constraint kind the translation covers: plain and enforced linear rows
    (both sides), at-most-one, exactly-one, bool_or and enforced bool_and, negated literals, a constant."""
    rnd = random.Random(seed)
    m = cp_model.CpModel()
    b = [m.new_bool_var(f"b{i}") for i in range(8)]
    x = [m.new_int_var(0, rnd.randint(2, 6), f"x{i}") for i in range(3)]
    lit = [v if rnd.random() < 0.6 else v.negated() for v in b]
    m.add_at_most_one(lit[:3])
    m.add_exactly_one([lit[3], lit[4], b[5]])
    m.add_bool_or([lit[5], lit[6], b[7].negated()])
    m.add_bool_and([lit[0], b[6]]).only_enforce_if([lit[7], b[2]])
    m.add(sum(x) + 3 * b[1] >= rnd.randint(3, 8)).only_enforce_if(lit[4])
    m.add(2 * x[0] - x[1] + 4 * b[3] <= rnd.randint(0, 4)).only_enforce_if([b[0].negated(), lit[2]])
    m.add(x[2] + b[4] + b[6] == rnd.randint(1, 3))
    m.add(x[0] - x[2] >= -3).only_enforce_if(b[1])
    m.add(x[0] - x[2] <= 1)
    weights = [rnd.randint(-5, 9) for _ in range(11)]
    m.minimize(sum(w * v for w, v in zip(weights, [*b, *x], strict=True)) + 7)
    return m


@pytest.mark.parametrize("seed", range(40))
def test_the_milp_translation_has_cp_sats_optimum(seed: int) -> None:
    """Hand-checkable models: HiGHS on the translated model proves the optimum CP-SAT proves (or both find
    none), and the solution HiGHS returns satisfies the CP-SAT model when fixed."""
    model = _random_model(seed)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    status = solver.solve(model)
    milp_model = to_milp(model.proto)
    assert milp_model is not None
    answer = solve_milp(milp_model, cutoff=None, time_limit_s=10)
    if status == cp_model.INFEASIBLE:
        assert answer.values is None
        return
    assert status == cp_model.OPTIMAL and answer.optimal and answer.value is not None
    assert answer.value == pytest.approx(solver.objective_value)
    assert answer.values is not None
    fixed = model.clone()
    for i, v in enumerate(answer.values):
        var = fixed.get_int_var_from_proto_index(i)
        fixed.add(var == v)
    check = cp_model.CpSolver()
    assert check.solve(fixed) == cp_model.OPTIMAL
    assert check.objective_value == pytest.approx(answer.value)


def test_a_cutoff_at_the_optimum_still_finds_it_and_below_it_finds_nothing() -> None:
    model = _random_model(3)
    solver = cp_model.CpSolver()
    assert solver.solve(model) == cp_model.OPTIMAL
    milp_model = to_milp(model.proto)
    assert milp_model is not None
    at = solve_milp(milp_model, cutoff=solver.objective_value, time_limit_s=10)
    assert at.optimal and at.value == pytest.approx(solver.objective_value)
    below = solve_milp(milp_model, cutoff=solver.objective_value - 1, time_limit_s=10)
    assert below.values is None and not below.optimal


def _a_plan_and_its_value(model: cp_model.CpModel) -> tuple[list[int], float] | None:
    """A plan meeting every rule of ``model`` found without its objective (usually not optimal), and its
    objective value; None when the model has no plan."""
    proto = model.proto
    plain = model.clone()
    plain.clear_objective()
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    if solver.solve(plain) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    values = [int(v) for v in solver.response_proto.solution]
    value = float(proto.objective.offset) + sum(
        c * values[int(j)] for j, c in zip(proto.objective.vars, proto.objective.coeffs, strict=True))
    return values, value


@pytest.mark.parametrize("use_highspy", [True, False])
@pytest.mark.parametrize("seed", range(20))
def test_a_mip_start_at_the_cutoff_keeps_the_optimum(seed: int, use_highspy: bool,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A known plan handed to HiGHS as its start (highspy) or ignored (scipy, no highspy): the cutoff at
    that plan's value, HiGHS proves the optimum CP-SAT proves, and with one node it keeps a plan at least
    as good as the start (highspy: the start is its first incumbent)."""
    if use_highspy:
        pytest.importorskip("highspy")
    else:
        monkeypatch.setitem(sys.modules, "highspy", None)  # import fails: the scipy path
    model = _random_model(seed)
    known = _a_plan_and_its_value(model)
    if known is None:
        return
    start, value = known
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(model) == cp_model.OPTIMAL
    milp_model = to_milp(model.proto)
    assert milp_model is not None
    answer = solve_milp(milp_model, cutoff=value, time_limit_s=10, start=start)
    assert answer.optimal and answer.value == pytest.approx(solver.objective_value)
    if use_highspy:
        one_node = solve_milp(milp_model, cutoff=value, time_limit_s=10, node_limit=1, start=start)
        assert one_node.value is not None and one_node.value <= value + 1e-6


def test_a_rule_the_translation_does_not_cover_leaves_the_level_to_cp_sat() -> None:
    m = cp_model.CpModel()
    x, y = m.new_int_var(0, 5, "x"), m.new_int_var(0, 5, "y")
    m.add_max_equality(y, [x, 2])
    assert to_milp(m.proto) is None
    m2 = cp_model.CpModel()
    m2.new_int_var_from_domain(cp_model.Domain.from_values([0, 2, 5]), "holes")
    assert to_milp(m2.proto) is None


def test_highs_proves_the_changes_level_first(tiny_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           ) -> None:
    """HiGHS is asked first on the ``changes`` level (CP-SAT's search there would stop at once with no plan
    of its own): it proves the same optimum as CP-SAT run to the end, CP-SAT's search is not needed, the
    level and the plan are reported optimal, and the plan passes the independent checker (run() checks
    every plan)."""
    calls: list[int] = []
    stopped_at_once = stop_at_once(_minimises_changes, calls)

    pack = cp.read_pack(tiny_path)
    requirements = reqs(TINY_DEMAND, rapid=["2ww"])
    proven = run(pack, requirements)
    best = {lv.name: lv for lv in proven.result.levels}["changes"]
    assert best.status is SolveStatus.OPTIMAL
    monkeypatch.setattr(solve_module, "run_stoppable", stopped_at_once)
    second = run(pack, requirements)
    assert not calls, "CP-SAT searched the changes level: HiGHS did not prove it"
    level = {lv.name: lv for lv in second.result.levels}["changes"]
    assert level.status is SolveStatus.OPTIMAL and level.gap == 0
    assert level.objective == best.objective == second.summary.changed_sessions
    assert second.status is SolveStatus.OPTIMAL


def _minimises_routine(fn: partial[Any]) -> bool:
    """True when the solve call ``fn`` minimises unmet routine demand (the routine activities' unmet)."""
    model = fn.args[0]
    names = {model.proto.variables[i].name for i in model.proto.objective.vars}
    return bool(names) and all(n.startswith("unmet[") for n in names) and "unmet[2ww]" not in names


def test_highs_proves_an_unmet_level_cp_sat_stops_short(tiny_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        ) -> None:
    """CP-SAT stopped at once on the routine level (no plan): HiGHS, given the rest of the level's time,
    proves the routine optimum CP-SAT proves when run to the end, and the whole plan is proven and checked."""
    calls: list[int] = []
    stopped_at_once = stop_at_once(_minimises_routine, calls)

    pack = cp.read_pack(tiny_path)
    requirements = reqs(TINY_DEMAND, rapid=["2ww"])
    best = {lv.name: lv for lv in run(pack, requirements).result.levels}["unmet_routine"]
    monkeypatch.setattr(solve_module, "run_stoppable", stopped_at_once)
    second = run(pack, requirements)
    assert calls, "the routine level was not cut short"
    level = {lv.name: lv for lv in second.result.levels}["unmet_routine"]
    assert level.status is SolveStatus.OPTIMAL and level.gap == 0
    assert level.objective == best.objective
    assert second.status is SolveStatus.OPTIMAL


def test_an_unproven_highs_plan_only_seeds_cp_sats_search(tiny_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          ) -> None:
    """HiGHS stopped with a plan it has not proven: the plan is only CP-SAT's starting hint; CP-SAT then
    proves the same changes optimum as without HiGHS, and the plan passes the checker."""
    milp_module = importlib.import_module("capacity_planner.solver.milp")
    real = milp_module.solve_milp
    answers = []

    def unproven(*args: Any, **kw: Any) -> Any:
        answer = real(*args, **kw)
        answers.append(answer)
        return dataclasses.replace(answer, optimal=False)

    pack = cp.read_pack(tiny_path)
    requirements = reqs(TINY_DEMAND, rapid=["2ww"])
    monkeypatch.setattr(solve_module, "HIGHS_LEVELS", frozenset())
    best = {lv.name: lv for lv in run(pack, requirements).result.levels}["changes"]
    monkeypatch.setattr(solve_module, "HIGHS_LEVELS", frozenset({"changes"}))
    monkeypatch.setattr(milp_module, "solve_milp", unproven)
    seeded = run(pack, requirements)
    assert answers and answers[0].values is not None
    level = {lv.name: lv for lv in seeded.result.levels}["changes"]
    assert level.status is SolveStatus.OPTIMAL and level.objective == best.objective


@pytest.mark.parametrize(("status", "message", "stopped"), [
    (1, "Time limit reached. (HiGHS Status 13: model_status is Time limit reached)", True),
    (1, "Iteration limit reached. (HiGHS Status 14: model_status is Iteration limit reached)", False),
    (4, "The HiGHS status code was not recognized. (HiGHS Status 15: model_status is Solution limit "
        "reached)", False),  # mip_max_nodes reached
    (0, "Optimization terminated successfully. (HiGHS Status 7: Optimal)", False)])
def test_highs_stopped_by_its_time_limit_is_told_apart_from_its_node_limit(
        status: int, message: str, stopped: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """scipy's answer with HiGHS's time limit (status 1, "Time limit reached") is ``time_stopped``; its node
    limit (HiGHS's solution limit), iteration limit or a proof is not (the run stays reproducible)."""
    import scipy.optimize
    from scipy.optimize import OptimizeResult

    monkeypatch.setitem(sys.modules, "highspy", None)  # the scipy path
    fake = OptimizeResult(status=status, message=message, x=None, fun=None, mip_dual_bound=3.0)
    monkeypatch.setattr(scipy.optimize, "milp", lambda *a, **k: fake)
    milp_model = to_milp(_random_model(0).proto)
    assert milp_model is not None
    answer = solve_milp(milp_model, cutoff=None, time_limit_s=10, node_limit=1)
    assert (answer.time_stopped, answer.values) == (stopped, None)


@pytest.mark.parametrize("use_highspy", [True, False])
def test_highs_stopped_by_one_node_is_not_time_stopped(use_highspy: bool, monkeypatch: pytest.MonkeyPatch,
                                                        ) -> None:
    """A real HiGHS run with a node limit of 1 and 10 s (highspy with a start, or scipy): never reported as
    stopped by its time limit."""
    if use_highspy:
        pytest.importorskip("highspy")
    else:
        monkeypatch.setitem(sys.modules, "highspy", None)
    for seed in range(10):
        model = _random_model(seed)
        known = _a_plan_and_its_value(model)
        milp_model = to_milp(model.proto)
        assert milp_model is not None
        start, value = known if known is not None else (None, None)
        answer = solve_milp(milp_model, cutoff=value, time_limit_s=10, node_limit=1, start=start)
        assert not answer.time_stopped
