"""The one price list (capacity_planner.pack.costs): its order of sources, whole pounds, and that the solver
and the scenarios price with it (issue 14). Tiny pack costs.csv: locum_session/consultant 950 a session,
additional_pa/consultant 13,500 a year."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

import capacity_planner as cp
from capacity_planner.pack.costs import (
    NOMINAL_PA_COST,
    PA_SCALE,
    additional_rate,
    pa_units,
    session_rate,
    substantive_rate,
)
from capacity_planner.pack.model import CostItem

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tiny() -> cp.PlanningPack:
    return cp.read_pack(ROOT / "tests" / "data" / "tiny")


def test_additional_pa_sources_in_order(tiny: cp.PlanningPack) -> None:
    consultant = next(c for c in tiny.clinicians if c.staff_group == "consultant")
    rate = additional_rate(tiny, consultant)
    assert (rate.value, rate.source, rate.assumed) == (13_500.0, "costs additional_pa/consultant", False)
    own = dataclasses.replace(consultant, apa_cost_per_pa=12_345.6, annual_cost_per_pa=9_000.0)
    assert additional_rate(tiny, own).value == 12_346.0  # whole pounds, the solver's integer cost
    no_costs = tiny.replace(costs=())
    assert additional_rate(no_costs, dataclasses.replace(consultant, annual_cost_per_pa=9_000.4)).value == 9_000.0
    nominal = additional_rate(no_costs, consultant)
    assert (nominal.value, nominal.assumed) == (NOMINAL_PA_COST, True)
    assert substantive_rate(no_costs, consultant).assumed


def test_session_prices(tiny: cp.PlanningPack) -> None:
    assert session_rate(tiny, "locum").value == 950.0  # type: ignore[union-attr]
    assert session_rate(tiny, "wli") is None  # no wli_session row
    assert session_rate(tiny, "wli", 700.4).value == 700.0  # type: ignore[union-attr]
    two = tiny.replace(costs=(CostItem("wli_session", "sas", session_cost=600.0),
                              CostItem("wli_session", "consultant", session_cost=800.0)))
    assert session_rate(two, "wli").source == "costs wli_session/consultant"  # type: ignore[union-attr]


def test_pa_units_are_exact() -> None:
    # 1/3 PA written to 4 decimals (0.3333) is 40 of 120 units again
    assert PA_SCALE == 120 and pa_units(0.3333) == 40 and pa_units(1.25) == 150


def test_solver_prices_with_the_price_list(tiny: cp.PlanningPack) -> None:
    from capacity_planner.solver.problem import build_problem

    problem = build_problem(tiny, cp.size_demand(tiny).requirements)
    for info in problem.clinicians:
        clinician = next(c for c in tiny.clinicians if c.clinician_id == info.clinician_id)
        assert info.apa_cost == additional_rate(tiny, clinician).value, info.clinician_id


def test_scenarios_do_not_redo_the_solver_pricing() -> None:
    for path in sorted((ROOT / "capacity_planner" / "scenarios").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "capacity_planner.solver.problem":
                names = {a.name for a in node.names}
                assert not names & {"PA_SCALE", "NOMINAL_PA_COST"}, path.name
