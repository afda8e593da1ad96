"""RINS from the centre of the LP's optimal face on the ``changes`` level of large models
(capacity_planner.solver.rins, solve._Run.rins_first)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from test_solver_helpers import reqs, run
from test_solver_large import TINY_DEMAND

import capacity_planner as cp
from capacity_planner.solver.milp import Milp

if TYPE_CHECKING:
    from pathlib import Path

pytest.importorskip("highspy")

solve_module = importlib.import_module("capacity_planner.solver.solve")
rins_module = importlib.import_module("capacity_planner.solver.rins")


def _pairs_model() -> Milp:
    """Eight binary cells: x0 + x1 = 1, x2 + x3 = 1, x4 + x5 = 1, x7 = 1 (x6 free); minimise x1 + x3.
    Optimum 0 (x0 = x2 = 1). The LP's optimal face leaves x4, x5 and x6 free (cost 0): at its centre they are
    fractional, while x0..x3 and x7 take one value in every optimum."""
    rows = np.array([0, 0, 1, 1, 2, 2, 3])
    cols = np.array([0, 1, 2, 3, 4, 5, 7])
    c = np.zeros(8)
    c[[1, 3]] = 1.0
    return Milp(c, 0.0, rows, cols, np.ones(7), np.ones(4), np.ones(4), np.zeros(8), np.ones(8))


def test_the_lp_centre_leaves_the_ties_fractional() -> None:
    """The interior-point point without crossover: x0 = x2 = x7 = 1 and x1 = x3 = 0 (every optimum agrees),
    x4, x5 and x6 strictly between 0 and 1 (optima differ there): no vertex is chosen."""
    x, iterations = rins_module.centre_of_lp(_pairs_model(), None, 10.0)
    assert x is not None and iterations > 0
    assert np.allclose(x[[0, 2, 7]], 1.0, atol=1e-6) and np.allclose(x[[1, 3]], 0.0, atol=1e-6)
    assert all(0.01 < x[j] < 0.99 for j in (4, 5, 6)), x


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rins_fixes_only_cells_the_centre_and_the_previous_plan_agree_on(seed: int) -> None:
    """Previous plan x1 = x3 = x5 = x7 = 1 (value 2). The centre agrees with it on x7 only (x0..x3 are the
    other way; x4..x6 fractional), so one cell is fixed and the rest is solved: value 0, a plan meeting every
    row, at each HiGHS seed; the second round, from that plan (x0, x1, x2, x3, x7 agree with the centre),
    finds nothing better. From an optimal previous plan, nothing better exists and no plan is returned."""
    m = _pairs_model()
    answer = rins_module.rins_plan(m, [0, 1, 0, 1, 0, 1, 0, 1], list(range(8)), 2.0, seed=seed, seconds=10.0,
                                   nodes=20)
    assert (answer.fixed, answer.found, answer.value, answer.time_stopped) == ((1, 5), (0.0, None), 0.0, False)
    assert answer.values is not None
    y = np.asarray(answer.values)
    a = np.zeros((4, 8))
    a[m.rows, m.cols] = m.vals
    assert np.array_equal(a @ y, np.ones(4)) and y[7] == 1
    best = rins_module.rins_plan(m, [1, 0, 1, 0, 1, 0, 0, 1], list(range(8)), 0.0, seed=seed, seconds=10.0,
                                 nodes=20)
    assert best.values is None and best.value is None and best.fixed == (5,)


def _spied(monkeypatch: pytest.MonkeyPatch, replace: Any = None) -> list[dict[str, Any]]:
    """Record every call of ``rins_plan`` (its keyword arguments and its answer), optionally answering with
    ``replace(model, previous, cells, cutoff)`` instead."""
    real = rins_module.rins_plan
    calls: list[dict[str, Any]] = []

    def spy(m: Milp, previous: list[int], cells: list[int], cutoff: float, **kw: Any) -> Any:
        answer = real(m, previous, cells, cutoff, **kw) if replace is None else replace(m, previous, cells, cutoff)
        calls.append({**kw, "cutoff": cutoff, "answer": answer})
        return answer

    monkeypatch.setattr(rins_module, "rins_plan", spy)
    return calls


def _changes(plan: Any) -> Any:
    return {lv.name: lv for lv in plan.result.levels}["changes"]


def test_rins_runs_on_the_changes_level_of_large_models_under_a_work_limit(
        tiny_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The tiny pack taken as a large model (``HIGHS_MAX_VARIABLES`` 0) under a work limit: RINS is asked
    once, on ``changes``, with :data:`RINS_NODES` nodes and the previous plan's value as its cutoff; the plan
    passes the independent checker (``run``), the level's value is the one found without RINS, and the run
    stays reproducible (nothing stopped by the wall clock)."""
    pack, requirements = cp.read_pack(tiny_path), reqs(TINY_DEMAND, rapid=["2ww"])
    monkeypatch.setattr(solve_module, "HIGHS_MAX_VARIABLES", 0)
    monkeypatch.setattr(solve_module, "RINS_LEVELS", frozenset())
    without = run(pack, requirements, work_limit=20.0, time_limit_s=600.0)
    monkeypatch.setattr(solve_module, "RINS_LEVELS", frozenset({"changes"}))
    calls = _spied(monkeypatch)
    plan = run(pack, requirements, work_limit=20.0, time_limit_s=600.0)
    assert len(calls) == 1 and calls[0]["nodes"] == solve_module.RINS_NODES
    assert calls[0]["answer"].value is None or calls[0]["answer"].value < calls[0]["cutoff"]
    assert _changes(plan).objective_units == _changes(without).objective_units
    assert plan.result.reproducible


def test_rins_leaves_small_models_and_wall_clock_runs_alone(tiny_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Below ``HIGHS_MAX_VARIABLES`` (the tiny pack as it is), or in wall-clock mode, RINS is not asked even
    when on; and it is off by default (``RINS_LEVELS`` empty)."""
    assert not solve_module.RINS_LEVELS
    pack, requirements = cp.read_pack(tiny_path), reqs(TINY_DEMAND, rapid=["2ww"])
    monkeypatch.setattr(solve_module, "RINS_LEVELS", frozenset({"changes"}))
    calls = _spied(monkeypatch)
    run(pack, requirements, work_limit=20.0, time_limit_s=600.0)
    monkeypatch.setattr(solve_module, "HIGHS_MAX_VARIABLES", 0)
    run(pack, requirements, time_limit_s=20.0)
    assert calls == []


def test_a_plan_cp_sat_does_not_confirm_is_not_taken(tiny_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """RINS made to propose every variable at 0 with a value of -1 (a plan breaking the earlier levels'
    bounds): CP-SAT's check fails, the previous plan stays the level's start, and the run ends with a plan
    the independent checker accepts and the same ``changes`` value as without RINS."""
    pack, requirements = cp.read_pack(tiny_path), reqs(TINY_DEMAND, rapid=["2ww"])
    monkeypatch.setattr(solve_module, "HIGHS_MAX_VARIABLES", 0)
    monkeypatch.setattr(solve_module, "RINS_LEVELS", frozenset())
    without = run(pack, requirements, work_limit=20.0, time_limit_s=600.0)
    monkeypatch.setattr(solve_module, "RINS_LEVELS", frozenset({"changes"}))

    def wrong(m: Milp, previous: list[int], cells: list[int], cutoff: float) -> Any:
        return rins_module.RinsAnswer([0] * len(previous), -1.0, (0,), (-1.0,), (0,), (0.0,), 0, False)

    calls = _spied(monkeypatch, wrong)
    plan = run(pack, requirements, work_limit=20.0, time_limit_s=600.0)
    assert len(calls) == 1
    assert _changes(plan).objective_units == _changes(without).objective_units


def test_rins_runs_after_another_highs_run_in_the_same_process() -> None:
    """HiGHS's thread pool is global to a process: a run that asked for one thread after a run at HiGHS's
    default (as milp.py's levels are) failed with kError, so the centre was None and RINS silently did
    nothing (CI, session 17: the tests passed alone and failed after tests/test_solver_milp.py)."""
    import highspy

    first = highspy.Highs()
    first.setOptionValue("output_flag", False)
    first.addVar(0.0, 1.0)
    first.changeColCost(0, 1.0)
    first.run()
    x, _ = rins_module.centre_of_lp(_pairs_model(), None, 10.0)
    assert x is not None
