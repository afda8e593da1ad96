"""Sites and travel (issue 19 item 4) on hand-worked packs, and a HiGHS cross-check.

Consultant A (2 PAs, 42 weeks) currently runs ``gen`` (general clinic, at Site A) on Monday morning and
``2ww`` (two-week-wait clinic, rapid access, priority 10, at Site B) on Monday afternoon; each needs 42
session-weeks a year (one weekly cell). Even-spread supply (``weekday_true_supply = false``), so a weekly
cell delivers exactly 42; no routine floor (``routine_floor_share = 0``).

* Site A to Site B takes 45 minutes. With the default 60-minute allowance both clinics stay (unmet 0).
* With a 30-minute allowance A cannot change site at lunch: the 2ww clinic (priority 10) stays and the
  general clinic goes: unmet demand 42 session-weeks, A's Monday morning empty.
* With no travel row the sites are too far apart to change within a day: the same plan.
* A plan that keeps both is refused by the checker.
"""

from __future__ import annotations

import pandas as pd
from test_solver_helpers import activity, cell, cells, clinician, make_pack, reqs, run

from capacity_planner.pack.model import PlanningPack, RoomCapacity, Slot, TravelTime
from capacity_planner.solver import check_plan
from capacity_planner.solver.problem import build_problem

MONDAY = (Slot("Mon", "AM", False), Slot("Mon", "PM", False))
DEMAND = {"gen": 42, "2ww": 42}


def sites_pack(minutes: float | None = 45.0, allowance: float = 60.0, *, sited: bool = True,
               via_rooms: bool = False) -> PlanningPack:
    """The pack of the module docstring; ``via_rooms`` puts the 2ww clinic's site on its room type."""
    site_b = None if via_rooms or not sited else "Site B"
    acts = [activity("gen", site="Site A" if sited else None),
            activity("2ww", rapid_access=True, site=site_b, room_type="derm" if via_rooms else None)]
    rooms = [RoomCapacity("derm", d, p, 1, "Site B") for d, p in (("Mon", "AM"), ("Mon", "PM"))] \
        if via_rooms else []
    pack = make_pack([clinician("A", 2.0)], acts, [("A", "gen"), ("A", "2ww")], slots=MONDAY, rooms=rooms,
                     job_plans=[cell("A", "Mon", "AM", "gen"), cell("A", "Mon", "PM", "2ww")],
                     weekday_true_supply=False, travel_minutes_between_sessions=allowance,
                     routine_floor_share=0.0)
    travel = () if minutes is None else (TravelTime("Site A", "Site B", minutes),)
    return pack.replace(travel=travel)


def unmet(plan: object) -> float:
    return float(plan.summary.unmet_demand_sessions)  # type: ignore[attr-defined]


def test_a_change_of_site_within_the_allowance_keeps_both_clinics() -> None:
    plan = run(sites_pack(45.0, 60.0), reqs(DEMAND, rapid=["2ww"]))
    assert cells(plan) == {("A", "Mon", "AM"): "gen", ("A", "Mon", "PM"): "2ww"}
    assert plan.gap_reasons.empty


def test_a_journey_longer_than_the_allowance_drops_the_lower_priority_clinic() -> None:
    plan = run(sites_pack(45.0, 30.0), reqs(DEMAND, rapid=["2ww"]))
    assert cells(plan) == {("A", "Mon", "PM"): "2ww"}
    assert list(plan.gap_reasons["reason"])[-1] == (
        "A is at Site B on Mon afternoon (2ww), so cannot run gen at Site A next to it: Site A is 45 minutes "
        "from Site B, more than the 30-minute allowance")


def test_sites_with_no_travel_row_are_too_far_apart_for_one_day() -> None:
    plan = run(sites_pack(None, 60.0), reqs(DEMAND, rapid=["2ww"]))
    assert cells(plan) == {("A", "Mon", "PM"): "2ww"}
    assert "no travel time is given between Site A and Site B" in list(plan.gap_reasons["reason"])[-1]


def test_a_room_types_site_is_the_sessions_site() -> None:
    plan = run(sites_pack(45.0, 30.0, via_rooms=True), reqs(DEMAND, rapid=["2ww"]))
    assert cells(plan) == {("A", "Mon", "PM"): "2ww"}


def test_no_sites_leaves_the_model_unchanged() -> None:
    assert build_problem(sites_pack(sited=False), reqs(DEMAND)).sites is None
    assert build_problem(sites_pack(45.0, 60.0), reqs(DEMAND)).sites is None  # no pair too far apart
    assert build_problem(sites_pack(45.0, 30.0), reqs(DEMAND)).sites is not None


def test_the_checker_refuses_a_change_of_site_without_the_time() -> None:
    pack = sites_pack(45.0, 30.0)
    allocation = pd.DataFrame({"clinician_id": ["A", "A"], "day": ["Mon", "Mon"], "period": ["AM", "PM"],
                               "activity_id": ["gen", "2ww"], "pas": [1.0, 1.0]})
    assert check_plan(pack, {"allocation": allocation}, None, None, {}, None) == [
        "A Mon-AM: gen at Site A, then 2ww at Site B in the afternoon: 45 minutes of travel, more than the "
        "30-minute allowance"]
    assert check_plan(sites_pack(45.0, 60.0), {"allocation": allocation}, None, None, {}, None) == []
