"""End-to-end allocation on the tiny pack: outputs, determinism, progress, the checker."""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING

import pandas as pd
from test_solver_helpers import reqs, run

import capacity_planner as cp
from capacity_planner.outputs import write_plan_tables
from capacity_planner.solver import SolveStatus, check_plan, plan_allocation
from capacity_planner.solver.tables import (
    ALLOCATION_COLUMNS,
    CHANGES_COLUMNS,
    CLINICIANS_COLUMNS,
    GAPS_COLUMNS,
)

if TYPE_CHECKING:
    from pathlib import Path

TINY_DEMAND = {"2ww": 250.0, "fu": 400.5, "mdt": 84.0}


def _tiny(tiny_path: Path) -> cp.PlanningPack:
    return cp.read_pack(tiny_path)


def test_tiny_pack_plans_optimally_and_passes_the_checker(tiny_path: Path) -> None:
    pack = _tiny(tiny_path)
    plan = run(pack, reqs(TINY_DEMAND, rapid=["2ww"]))
    assert plan.status is SolveStatus.OPTIMAL
    assert [lv.name for lv in plan.result.levels] == [
        "routine_floor", "unmet_rapid_access", "unmet_routine", "unassigned_pas", "cost", "changes",
        "fairness"]
    alloc = plan.allocation
    assert tuple(alloc.columns) == ALLOCATION_COLUMNS
    assert tuple(plan.gaps.columns) == GAPS_COLUMNS
    assert tuple(plan.clinicians.columns) == CLINICIANS_COLUMNS
    assert tuple(plan.changes.columns) == CHANGES_COLUMNS
    # Locked MDT cells kept and the Tue-PM MDT staffed by two; demand met, and time beyond need left
    # unassigned (planned + unassigned = contracted for everyone), never filled with SPA above the ceiling.
    mdt = alloc[(alloc.day == "Tue") & (alloc.period == "PM") & (alloc.activity_id == "mdt")]
    assert sorted(mdt.clinician_id) == ["A", "B"]
    assert plan.summary.unmet_sessions_per_year == 0
    rows = plan.clinicians.set_index("clinician_id")
    assert ((rows.planned_pas + rows.unassigned_pas - rows.contracted_pas).abs() < 1e-3).all()
    assert (rows.spa_pas <= pd.Series({"A": 2.0, "B": 2.0, "S": 1.0, "N": 0.0})).all()
    # Two Tuesday MDT cells, weekday-true (planning year from 6 April 2026: no Tuesday bank holiday, so
    # 42 + 1.6 = 43.6 -> 44 sessions a year each), and no third MDT on a shorter day (a Monday one, 38,
    # would fit under "less than one 44-session cell beyond need", but not under its own size).
    assert plan.gaps.set_index("activity_id").loc["mdt", "planned_sessions_per_year"] == 88
    assert plan.summary.unmet_sessions_per_year == plan.gaps["gap_sessions_per_year"].sum()
    assert "demand for fu rounded up from 400.5 to 401 session-weeks a year (the resolution of supply)" \
        in plan.summary.notes


def test_checker_catches_a_tampered_allocation(tiny_path: Path) -> None:
    pack = _tiny(tiny_path)
    requirements = reqs(TINY_DEMAND, rapid=["2ww"])
    plan = run(pack, requirements)
    alloc = plan.allocation.copy()
    row = alloc.index[(alloc.clinician_id == "N")][0]
    alloc.loc[row, "activity_id"] = "2ww"  # N is not skilled in 2ww
    extra = pd.DataFrame([{"clinician_id": "B", "day": "Fri", "period": "AM", "activity_id": "spa",
                           "pas": 1.0, "weeks_per_year": 42.0}])  # B does not work Fridays
    tampered = {"allocation": pd.concat([alloc, extra], ignore_index=True)}
    violations = check_plan(pack, tampered, requirements)
    day, period = alloc.loc[row, "day"], alloc.loc[row, "period"]
    assert f"N {day}-{period}: N is not skilled in 2ww" in violations
    assert "B Fri-AM: B does not work this slot" in violations


def test_same_inputs_seed_and_workers_give_identical_outputs(tiny_path: Path) -> None:
    pack = _tiny(tiny_path)
    requirements = reqs(TINY_DEMAND, rapid=["2ww"])
    first = run(pack, requirements, workers=2, seed=7)
    second = run(pack, requirements, workers=2, seed=7)
    for name in ("allocation", "gaps", "clinicians", "changes"):
        pd.testing.assert_frame_equal(first.tables[name], second.tables[name])
    assert first.summary.objective == second.summary.objective


def test_progress_and_outputs_written_atomically(tiny_path: Path, tmp_path: Path) -> None:
    pack = _tiny(tiny_path)
    seen: list[tuple[str, float, float, float]] = []
    plan = plan_allocation(pack, reqs(TINY_DEMAND, rapid=["2ww"]), time_limit_s=20, seed=0, workers=1,
                           progress=lambda *args: seen.append(args))
    assert seen and {name for name, *_ in seen} <= {lv.name for lv in plan.result.levels}
    assert all(isinstance(x, float) for _, *rest in seen for x in rest)
    out = tmp_path / "out"
    written = write_plan_tables(plan, out)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["allocation.csv", "gaps.csv", "clinicians.csv", "changes.csv", "gap_reasons.csv", "summary.json"])
    assert [p.name for p in written][:5] == ["allocation.csv", "gaps.csv", "clinicians.csv", "changes.csv",
                                             "summary.json"]
    summary = json.loads((out / "summary.json").read_text())
    for key in ("status", "objective", "bound", "gap", "solve_seconds", "unmet_sessions_per_year",
                "unmet_dcc_hours_per_year", "annual_cost", "inputs", "settings", "version"):
        assert key in summary
    assert summary["status"] == "optimal"
    assert summary["settings"]["seed"] == 0 and summary["settings"]["workers"] == 1
    back = {name: pd.read_csv(out / f"{name}.csv") for name in ("allocation", "clinicians", "changes")}
    assert check_plan(pack, back) == []


def test_infeasible_plan_has_empty_tables_and_reasons(tiny_path: Path, tmp_path: Path) -> None:
    pack = _tiny(tiny_path)
    # B's locked Tue-PM MDT (1 PA) and SPA floor (1.5) cannot fit in a 2-PA contract. (An 11-PA contract
    # with 9 slots used to be infeasible; it is now planned with the time left unassigned.)
    clinicians = tuple(c if c.clinician_id != "B" else dataclasses.replace(c, contracted_pas=2.0, max_pas=2.0)
                       for c in pack.clinicians)
    plan = run(pack.replace(clinicians=clinicians), reqs(TINY_DEMAND))
    assert plan.status is SolveStatus.INFEASIBLE
    assert plan.result.reasons == ("B: locked sessions 1 PA + SPA floor 1.5 PAs exceed 2 contracted PAs",)
    assert all(t.empty for t in plan.tables.values())
    write_plan_tables(plan, tmp_path)
    assert json.loads((tmp_path / "summary.json").read_text())["reasons"] == list(plan.result.reasons)


def test_work_limit_cuts_short_reproducibly_and_is_recorded() -> None:
    """A work limit (CP-SAT deterministic time) too small to prove the sample's plan stops every run at
    the same point: two runs give the same allocation, and summary.json says the plan is reproducible. A
    wall-clock limit that stops a level says the opposite."""
    from capacity_planner.demand.pipeline import size_demand
    from capacity_planner.workflow import history_only

    pack = cp.sample_pack()
    requirements = size_demand(history_only(pack)[0]).requirements
    runs = [plan_allocation(pack, requirements, seed=0, workers=1, time_limit_s=600, work_limit=0.1)
            for _ in range(2)]
    assert [p.status for p in runs] == [SolveStatus.FEASIBLE] * 2
    pd.testing.assert_frame_equal(runs[0].allocation, runs[1].allocation)
    settings = runs[0].summary.settings
    assert (settings["work_limit"], settings["reproducible"]) == (0.1, True)
    wall = plan_allocation(pack, requirements, seed=0, workers=1, time_limit_s=0.05, raise_on_failure=False)
    if wall.status is not SolveStatus.OPTIMAL:  # 0.05 s never proves the sample; guard a much faster machine
        assert wall.summary.settings["reproducible"] is False


def test_an_unmet_level_with_no_plan_of_its_own_keeps_the_previous_plan(tiny_path: Path) -> None:
    """The unmet-demand levels are solved without a hint (solve.UNHINTED_LEVELS); if one finds nothing in
    its time, the previous level's plan stands: fixed and evaluated under the level's objective, it gives
    exactly the routine shortfall that the plan's own cells give (Solution, recomputed from the cells)."""
    from ortools.sat.python import cp_model

    from capacity_planner.solver import build_problem
    from capacity_planner.solver.model import AllocationModel
    from capacity_planner.solver.result import Solution
    from capacity_planner.solver.solve import UNHINTED_LEVELS, _previous_plan, configure

    assert {"unmet_rapid_access", "unmet_routine"} <= UNHINTED_LEVELS
    problem = build_problem(_tiny(tiny_path), reqs(TINY_DEMAND, rapid=["2ww"]))
    model = AllocationModel(problem)
    first, routine = model.levels[0], next(lv for lv in model.levels if lv.name == "unmet_routine")
    model.cp.minimize(first.expr)
    solver = cp_model.CpSolver()
    configure(solver, seed=0, workers=1, time_limit_s=60)
    assert solver.solve(model.cp) == cp_model.OPTIMAL
    hint, plan = model.values(solver), model.solution_from(solver)
    model.cp.minimize(routine.expr)
    fixed, found = _previous_plan(model, hint, seed=0)
    assert found
    expected = sum(act.priority * plan.unmet_units(a) for a, act in enumerate(problem.activities)
                   if not act.rapid_access)
    assert round(fixed.objective_value) == expected
    assert Solution(problem, model.solution_from(fixed).cells).cells == plan.cells
