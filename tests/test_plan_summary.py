"""PlanSummary: summary.json as a typed record, written with the same bytes as the dict it replaced."""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any

import pytest
from test_solver_helpers import activity, clinician, make_pack, reqs, run

from capacity_planner.outputs import write_plan_tables
from capacity_planner.plan_summary import PlanSummary

if TYPE_CHECKING:
    from pathlib import Path

BASE: dict[str, Any] = {
    "status": "infeasible", "objective": {}, "bound": {}, "gap": {}, "solve_seconds": 0.5,
    "unmet_sessions_per_year": None, "unmet_dcc_hours_per_year": None, "annual_cost": None,
    "inputs": {"pack.toml": "ab"}, "settings": {"seed": 0}, "version": "0.1.0", "levels": [],
    "reasons": ["A: 3 PAs in 2 slots"],
}
KPIS: dict[str, Any] = {
    "cost_breakdown": {"additional_pas": 0.0, "purchased_sessions": 0.0}, "additional_pas": 0.0,
    "purchased_sessions": {}, "unassigned_pas": 0.0, "changed_sessions": 2, "clinicians_affected": 1,
    "routine_floor": [], "gap_reasons": [],
}


def test_a_plan_without_an_allocation_writes_no_headline_keys() -> None:
    text = PlanSummary(**BASE, notes=["n"]).to_json()
    # json.dumps(indent=2) of the dict the solver used to build: the 13 keys always written, then notes
    assert text == json.dumps({**BASE, "notes": ["n"]}, indent=2) + "\n"
    assert text.endswith('  "notes": [\n    "n"\n  ]\n}\n')


def test_key_order_of_a_whole_plan_and_of_a_plan_joined_from_parts() -> None:
    whole = PlanSummary(**BASE, **KPIS)
    assert list(json.loads(whole.to_json())) == [*BASE, "cost_breakdown", "additional_pas",
                                                 "purchased_sessions", "unassigned_pas", "changed_sessions",
                                                 "clinicians_affected", "routine_floor", "gap_reasons", "notes"]
    joined = dataclasses.replace(whole, parts=[{"name": "a"}])
    assert list(json.loads(joined.to_json())) == [*BASE, "additional_pas", "unassigned_pas",
                                                  "changed_sessions", "clinicians_affected", "cost_breakdown",
                                                  "purchased_sessions", "routine_floor", "gap_reasons", "notes",
                                                  "parts"]


def test_from_json_reads_back_what_to_json_wrote() -> None:
    summary = PlanSummary(**BASE, **KPIS, notes=["x"], parts=[{"name": "a", "seconds": 0.1}])
    back = PlanSummary.from_json(summary.to_json())
    assert back == summary and back.to_json() == summary.to_json()


def test_from_dict_names_missing_keys_and_defaults_the_later_ones() -> None:
    with pytest.raises(ValueError, match="lacks key\\(s\\): status, version"):
        PlanSummary.from_dict({k: v for k, v in BASE.items() if k not in ("status", "version")})
    old = PlanSummary.from_dict({k: v for k, v in BASE.items() if k not in ("levels", "reasons")} | {"x": 1})
    assert old.levels == [] and old.reasons == [] and old.changed_sessions is None
    with pytest.raises(ValueError, match="JSON object"):
        PlanSummary.from_json("[]")


def test_a_solved_plans_summary_json_round_trips_byte_for_byte(tmp_path: Path) -> None:
    # A (2 PAs, no job plan today) and clinic demand of 100 session-weeks: a real plan with every
    # headline key; both of A's sessions are new, so 2 changed sessions
    pack = make_pack([clinician("A", 2)], [activity("clinic")], [("A", "clinic")])
    plan = run(pack, reqs({"clinic": 100}))
    write_plan_tables(plan, tmp_path)
    text = (tmp_path / "summary.json").read_text(encoding="utf-8")
    assert PlanSummary.from_json(text) == plan.summary
    assert PlanSummary.from_json(text).to_json() == text
    assert plan.summary.changed_sessions == 2 and plan.summary.bought_sessions == {}
