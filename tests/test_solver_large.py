"""Large single services (issue 16 item 2): a level cut short keeps a plan and states its gap."""

from __future__ import annotations

import importlib
import json
from typing import TYPE_CHECKING, Any

from click.testing import CliRunner
from test_solver_helpers import reqs, run

import capacity_planner as cp
from capacity_planner.cli import cli
from capacity_planner.pack.samples_spec import sample_spec
from capacity_planner.solver import SolveStatus
from capacity_planner.solver.proof import unproven_lines

if TYPE_CHECKING:
    from collections.abc import Callable
    from functools import partial
    from pathlib import Path

    import pytest

solve_module = importlib.import_module("capacity_planner.solver.solve")  # the package exports solve()
TINY_DEMAND = {"2ww": 250.0, "fu": 400.5, "mdt": 84.0}


def _minimises_changes(fn: partial[Any]) -> bool:
    """True when the solve call ``fn`` (``partial(solver.solve, model, ...)``) minimises sessions changed."""
    model = fn.args[0]
    names = {model.proto.variables[i].name for i in model.proto.objective.vars}
    return bool(names) and all(n.startswith("sessions_changed[") for n in names)


def stop_at_once(minimises: Callable[[partial[Any]], bool], calls: list[int] | None = None,
                 ) -> Callable[[Any, partial[Any]], Any]:
    """A stand-in for ``solve.run_stoppable`` that stops CP-SAT at once (no search) on the solve calls
    ``minimises`` picks, but not on the re-solve with the cells fixed; each stop is counted in ``calls``."""
    real = solve_module.run_stoppable

    def stopped_at_once(solver: Any, fn: partial[Any]) -> Any:
        if minimises(fn) and not solver.parameters.fix_variables_to_their_hinted_value:
            if calls is not None:
                calls.append(1)
            solver.parameters.max_number_of_conflicts = 0
            solver.parameters.max_time_in_seconds = 1e-6
        return real(solver, fn)

    return stopped_at_once


def test_a_changes_level_that_finds_nothing_keeps_the_previous_plan(tiny_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The changes level is hinted with the current job plans, which usually break the earlier levels'
    optima: on a 160-clinician service whose routine level used most of the time limit it found no plan
    in its 9 s and was reported 'unknown'. Stopped at once here (no search at all), the level keeps the
    previous level's plan, reports that plan's sessions changed as its value with a gap, and the plan's
    own changed_sessions (recounted from its cells by plan_tables) is that same value."""
    stopped_at_once = stop_at_once(_minimises_changes)

    pack = cp.read_pack(tiny_path)
    requirements = reqs(TINY_DEMAND, rapid=["2ww"])
    proven = run(pack, requirements)
    monkeypatch.setattr(solve_module, "run_stoppable", stopped_at_once)
    monkeypatch.setattr(solve_module, "HIGHS_LEVELS", frozenset())  # no second opinion (test_solver_milp.py)
    cut = run(pack, requirements)  # run() checks the plan with the independent checker
    level = {lv.name: lv for lv in cut.result.levels}["changes"]
    assert level.status is SolveStatus.FEASIBLE and cut.status is SolveStatus.FEASIBLE
    assert level.objective == cut.summary.changed_sessions
    best = {lv.name: lv for lv in proven.result.levels}["changes"].objective
    assert level.objective is not None and best is not None and level.objective >= best
    assert level.bound is not None and level.bound <= best  # a bound, never above the proven optimum
    words = unproven_lines(cut.summary)
    assert any(line.startswith("not proven within the limit: changes to current job plans: "
                               f"{level.objective:.0f} sessions") for line in words)


def test_plan_prints_the_gap_of_each_level_it_did_not_prove(tmp_path: Path) -> None:
    """A work limit of 0.05 units stops the small sample's levels early at the same point on any machine;
    the console then states each unproven level with the gap summary.json records."""
    out = tmp_path / "plan"
    result = CliRunner().invoke(cli, ["plan", "--out", str(out), "--work-limit", "0.05", "--workers", "1",
                                      "--no-report"])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    open_levels = [lv for lv in summary["levels"] if lv["status"] != "optimal"]
    assert open_levels, "0.05 units proved every level: the test no longer cuts the solve short"
    for lv in open_levels:
        if lv["objective"] is not None:
            assert f"gap {100 * lv['gap']:.1f} %" in result.output
    assert result.output.count("not proven within the limit:") == len(open_levels)


def test_the_large_sample_is_one_service_of_160_clinicians() -> None:
    spec = sample_spec("large", 0)
    assert len(spec.services) == 1 and spec.services[0].teams * 8 == 160
