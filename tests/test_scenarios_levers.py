"""Lever sanity (issue 18 item 3): sessions are bought only for clinics that see patients, and only up to a
clinic's gap; additional PAs read in contractual units; and when a plan buys less than it may, it says why.
Every case is small and worked by hand on tests/data/tiny (activities 2ww and fu are clinics with
patients_per_session; mdt and spa are not; slots Mon-Fri AM/PM plus a premium Tue EVE; B is unavailable
on Friday and opted in to out-of-hours work; settings.max_sessions_per_day is 2)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest

import capacity_planner as cp
from capacity_planner.demand.pipeline import size_demand
from capacity_planner.scenarios import apply_scenario, parse_scenarios
from capacity_planner.scenarios import frontier as F
from capacity_planner.scenarios.levers import (
    allowance_shortfall,
    apa_shortfall,
    bookable_activities,
    free_slots,
    not_bookable_reason,
    pa_text,
    session_shortfall,
)
from capacity_planner.scenarios.transforms import ScenarioError
from capacity_planner.solver.options import Allowances, PurchasedSessions

if TYPE_CHECKING:
    from capacity_planner.pack.model import PlanningPack

TINY = Path(__file__).parent / "data" / "tiny"
WEEKDAYS = [(d, p) for d in ("Mon", "Tue", "Wed", "Thu", "Fri") for p in ("AM", "PM")]


@pytest.fixture(scope="module")
def tiny() -> PlanningPack:
    return cp.read_pack(TINY)


def allocation(cells: dict[str, list[tuple[str, str, str]]]) -> pd.DataFrame:
    """An allocation.csv-shaped frame from {clinician: [(day, period, activity), ...]}."""
    rows = [{"clinician_id": c, "day": d, "period": p, "activity_id": a, "pas": 1.0, "weeks_per_year": 42.0}
            for c, cells_ in cells.items() for d, p, a in cells_]
    return pd.DataFrame(rows, columns=["clinician_id", "day", "period", "activity_id", "pas", "weeks_per_year"])


# ---- units --------------------------------------------------------------------------------------------
def test_additional_pas_read_in_contractual_units() -> None:
    # one 4-hour evening session is 4/3 PA (a premium-time PA is 3 hours): "1⅓", never "1.33"
    assert pa_text(4 / 3) == "1⅓" and pa_text(1.3333) == "1⅓"
    assert [pa_text(x) for x in (0, 1, 2.5, 0.25, 2 / 3, 8 / 3)] == ["0", "1", "2½", "¼", "⅔", "2⅔"]
    assert pa_text(1.2) == "1.20"  # not a contractual step: shown as it is, to two decimals


# ---- what may be bought -------------------------------------------------------------------------------
def test_only_clinics_that_see_patients_can_be_bought(tiny: PlanningPack) -> None:
    assert bookable_activities(tiny) == ["2ww", "fu"]
    assert not_bookable_reason(tiny.activity("fu")) == ""
    assert "sees no patients in clinic" in not_bookable_reason(tiny.activity("mdt"))
    assert "SPA, not direct clinical care" in not_bookable_reason(tiny.activity("spa"))
    # the frontier refuses a named lever for a non-clinic, and never offers one for `locum` alone
    assert F.lever_problems(tiny, ["locum:mdt"]) == [
        "lever 'locum:mdt': Skin cancer MDT sees no patients in clinic (no patients_per_session or "
        "minutes_per_patient): only clinics that see patients can be bought"]
    requirements = size_demand(tiny).requirements.table
    offered = {lv.key for lv in F.build_levers(tiny, requirements, ["locum"])}
    assert offered <= {"locum:2ww", "locum:fu"}
    # a scenario that buys sessions of a non-clinic fails alone, with the reason
    [s] = parse_scenarios(tomllib.loads('[[scenario]]\nname = "x"\nlocum = { mdt = 5 }'))
    with pytest.raises(ScenarioError, match="only clinics that see patients can be bought"):
        apply_scenario(tiny, s)


def test_frontier_buys_a_clinic_only_up_to_its_gap_in_the_no_spend_plan(tiny: PlanningPack) -> None:
    requirements = size_demand(tiny).requirements.table
    # 2ww is covered (gap 0): not offered at all; fu's 12.3 sessions a year round up to 13
    levers = F.build_levers(tiny, requirements, ["locum"], gaps={"2ww": 0.0, "fu": 12.3})
    assert [(lv.key, lv.max_quantity) for lv in levers] == [("locum:fu", 13.0)]


# ---- why less was bought ------------------------------------------------------------------------------
def test_free_slots_follow_availability_opt_in_and_sessions_a_day(tiny: PlanningPack) -> None:
    plan = allocation({"B": [("Tue", "PM", "mdt"), ("Wed", "PM", "2ww")],
                       "A": [(d, p, "2ww") for d, p in WEEKDAYS if (d, p) != ("Mon", "AM")]})
    # B: 10 weekday slots + Tue EVE (opted in) = 11, less Fri AM/PM (unavailable) and the 2 used = 7
    assert free_slots(tiny, tiny.clinician("B"), plan) == [
        ("Mon", "AM"), ("Mon", "PM"), ("Tue", "AM"), ("Wed", "AM"), ("Thu", "AM"), ("Thu", "PM"), ("Tue", "EVE")]
    # A: only Mon AM is free (no out-of-hours opt-in, so not Tue EVE)
    assert free_slots(tiny, tiny.clinician("A"), plan) == [("Mon", "AM")]
    # two sessions on Tuesday already: Tue EVE would be a third (max_sessions_per_day = 2)
    busy_tuesday = allocation({"B": [("Tue", "AM", "2ww"), ("Tue", "PM", "mdt")]})
    assert ("Tue", "EVE") not in free_slots(tiny, tiny.clinician("B"), busy_tuesday)


def test_why_no_additional_pa_was_bought(tiny: PlanningPack) -> None:
    full = {c: [(d, p, "fu") for d, p in WEEKDAYS] for c in ("A", "S")}
    assert apa_shortfall(tiny, ["A", "S"], allocation(full), {"fu": 10.0}) == (
        "every clinician allowed them has a full week: no free slot where they are available, at most 2 "
        "sessions a day (evening and weekend slots need an out-of-hours opt-in)")
    # B has free slots but no fu skill; and £100 left cannot pay for B's PA (£13,500 a year)
    text = apa_shortfall(tiny, ["B"], allocation({}), {"fu": 10.0}, budget_left=100.0, cheapest_apa=13_500.0,
                         clinician_names={"B": "Dr Ben Bell"}, activity_names={"fu": "Follow-up clinic"})
    assert text == ("the clinicians with a free slot (Dr Ben Bell) are not skilled for the activities with "
                    "unmet demand (Follow-up clinic); and the budget left (£100) is less than one additional "
                    "PA a week for a year (£13,500)")
    # A's only free slot is Mon AM, where both clinic rooms (rooms.csv: 2) already hold fu clinics
    rooms_full = allocation({"A": [(d, p, "2ww") for d, p in WEEKDAYS if (d, p) != ("Mon", "AM")],
                             "S": [("Mon", "AM", "fu")], "N": [("Mon", "AM", "fu")]})
    assert apa_shortfall(tiny, ["A"], rooms_full, {"fu": 10.0}).startswith("no room is free")
    assert apa_shortfall(tiny, ["A"], allocation({}), {"fu": 0.0}) == "no demand is left unmet"
    assert apa_shortfall(tiny, ["N"], allocation({}), {"fu": 5.0}) == (
        "no clinician allowed them has headroom below max_pas")


def test_why_fewer_sessions_were_bought() -> None:
    assert session_shortfall("fu", 100, 100, 5.0) == ""
    assert session_shortfall("fu", 12, 100, 0.0) == "fu: gap closed with 12 of the 100 sessions allowed"
    assert session_shortfall("fu", 10, 100, 30.0, budget_left=500.0, price=950.0) == (
        "fu: the budget left (£500) is less than one more session (£950)")


def test_a_scenario_says_why_it_buys_less_than_allowed(tiny: PlanningPack) -> None:
    allowances = Allowances(additional_pas_per_clinician=1.0, clinicians=frozenset({"A"}),
                            purchased_sessions=(PurchasedSessions("fu", 100.0, None, "locum"),))
    full_a = allocation({"A": [(d, p, "2ww") for d, p in WEEKDAYS]})
    # fu's gap is closed with 12 of the 100 locum sessions; A's one allowed PA has no slot
    text = allowance_shortfall(tiny, allowances, full_a, {"fu": 0.0, "2ww": 0.0}, {"A": 0.0}, {"fu": 12.0},
                               12 * 950.0)
    assert text == ("additional PAs: 0 of the 1 a week allowed were bought: no demand is left unmet; locum sessions, "
                    "Follow-up clinic: gap closed with 12 of the 100 sessions allowed")
    text = allowance_shortfall(tiny, allowances, full_a, {"fu": 7.0}, {"A": 0.0}, {"fu": 100.0}, 95_000.0)
    assert text.startswith("additional PAs: 0 of the 1 a week allowed were bought: every clinician allowed them has a "
                           "full week")
    assert "locum" not in text  # all 100 sessions allowed were bought


def test_frontier_command_refuses_a_non_clinic_lever_writing_nothing(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from capacity_planner.cli import cli

    result = CliRunner().invoke(cli, ["frontier", str(TINY), "--budgets", "0,1000", "--levers", "locum:mdt",
                                      "--out", str(tmp_path / "f")])
    assert result.exit_code == 2, result.output
    assert "only clinics that see patients can be bought" in result.output
    assert not (tmp_path / "f").exists()
