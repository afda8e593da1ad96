"""Weekday-true supply (issue 19 item 1) on hand-worked packs: the solver, the gaps, the checker, the setting.

Planning year 2026/27, Monday 6 April 2026 to Sunday 4 April 2027. England and Wales bank holidays in it
(GOV.UK, https://www.gov.uk/bank-holidays): Easter Monday 6 April, early May 4 May, spring 25 May,
summer 31 August, Christmas Day Friday 25 December, Boxing Day (substitute) Monday 28 December, New
Year's Day Friday 1 January 2027, Good Friday 26 March 2027, Easter Monday 29 March 2027: six Mondays,
three Fridays. With 42 working weeks (8.4 weeks of annual and study leave, 52 − 8/5 − 42) a Monday clinic
runs 52 − 6 − 8.4 = 37.6 times a year, a Wednesday one 52 − 0 − 8.4 = 43.6, a Friday one 40.6. The solver
counts whole sessions (half up): 38 and 44 (capacity_planner.solver.supply).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd
import pytest
from test_solver_helpers import activity, cell, cells, clinician, make_pack, reqs, run

from capacity_planner.calendar import weekday_weeks
from capacity_planner.pack.model import PlanningPack, Slot
from capacity_planner.solver import SolveStatus, check_plan
from capacity_planner.solver.problem import build_problem

if TYPE_CHECKING:
    from pathlib import Path

START = dt.date(2026, 4, 6)
MON_WED = (Slot("Mon", "AM", False), Slot("Wed", "AM", False))


def rapid_pack(**settings: object) -> PlanningPack:
    """Consultant A (1 PA, 42 weeks) runs the rapid-access clinic 2ww on Monday morning today and may run
    it on Wednesday morning instead."""
    return make_pack([clinician("A", 1.0)], [activity("2ww", rapid_access=True)], [("A", "2ww")],
                     slots=MON_WED, job_plans=[cell("A", "Mon", "AM", "2ww")], start=START, **settings)


def test_the_calendar_gives_37_6_on_monday_and_43_6_on_wednesday() -> None:
    w = weekday_weeks(START, 52, 42.0)
    assert (round(w["Mon"], 6), round(w["Wed"], 6), round(w["Fri"], 6)) == (37.6, 43.6, 40.6)


def test_recorded_leave_replaces_the_spread_leave_when_it_is_more() -> None:
    # Ten whole weeks of leave from Monday 6 July to Sunday 13 September 2026 (more than the 8.4 the contract
    # spreads): one of those ten Mondays is the summer bank holiday (31 August), already lost, so a Monday
    # clinic loses 9 more: 52 − 6 − 9 = 37; a Wednesday one 52 − 10 = 42. No leave is left to spread.
    leave = {START + dt.timedelta(weeks=13 + k): 1.0 for k in range(10)}
    assert min(leave) == dt.date(2026, 7, 6) and max(leave) == dt.date(2026, 9, 7)
    w = weekday_weeks(START, 52, 42.0, leave)
    assert (round(w["Mon"], 6), round(w["Wed"], 6)) == (37.0, 42.0)
    # One week recorded (Monday 1 June): the other 7.4 weeks are spread as before, so nothing changes.
    w = weekday_weeks(START, 52, 42.0, {dt.date(2026, 6, 1): 1.0})
    assert (round(w["Mon"], 6), round(w["Wed"], 6)) == (37.6, 43.6)


def test_the_rapid_access_clinic_moves_from_monday_to_wednesday() -> None:
    # Need 45 sessions a year. On Monday the clinic gives 37.6 -> 38 (7 short), on Wednesday 43.6 -> 44
    # (1 short): the unmet rapid-access level moves it; the gaps table shows the weekday-true figures.
    plan = run(rapid_pack(), reqs({"2ww": 45}, rapid=["2ww"]))
    assert plan.status is SolveStatus.OPTIMAL
    assert cells(plan) == {("A", "Wed", "AM"): "2ww"}
    gaps = plan.gaps.set_index("activity_id").loc["2ww"]
    assert gaps["current_sessions_per_year"] == pytest.approx(38.0)
    assert gaps["planned_sessions_per_year"] == pytest.approx(44.0)
    assert gaps["gap_sessions_per_year"] == pytest.approx(1.0)
    assert plan.result.objective["unmet_rapid_access"] == pytest.approx(10 * 1.0)  # priority 10
    # PAs stay contractual: a Wednesday clinic is 1 PA a week like a Monday one.
    assert plan.allocation["pas"].tolist() == [1.0]
    assert plan.allocation["weeks_per_year"].tolist() == [42.0]


def test_setting_off_reproduces_the_even_spread_numbers() -> None:
    # Both days give 42: no reason to move (the changes level keeps Monday), gap 45 − 42 = 3.
    plan = run(rapid_pack(weekday_true_supply=False), reqs({"2ww": 45}, rapid=["2ww"]))
    assert cells(plan) == {("A", "Mon", "AM"): "2ww"}
    gaps = plan.gaps.set_index("activity_id").loc["2ww"]
    assert (gaps["current_sessions_per_year"], gaps["planned_sessions_per_year"],
            gaps["gap_sessions_per_year"]) == pytest.approx((42.0, 42.0, 3.0))
    assert build_problem(rapid_pack(weekday_true_supply=False), reqs({"2ww": 45})).week_scale == 1


def test_without_a_planning_year_supply_is_the_even_spread() -> None:
    pack = rapid_pack()
    pack = pack.replace(settings=dataclasses.replace(pack.settings, start=None))  # no start, no referrals
    p = build_problem(pack, reqs({"2ww": 45}))
    assert p.supply_weeks(0, 0, 0) == p.supply_weeks(0, 1, 0) == p.clinicians[0].working_weeks


def test_supply_is_counted_in_whole_sessions_and_alternate_week_cells_count_half() -> None:
    # B has 1.5 PAs: alternate-week cells are offered; half of 38 is 19, half of 44 is 22.
    pack = make_pack([clinician("B", 1.5)], [activity("2ww", rapid_access=True)], [("B", "2ww")],
                     slots=MON_WED, start=START)
    p = build_problem(pack, reqs({"2ww": 45}))
    assert p.week_scale == 1  # 38, 44, 19, 22, 42 and 21 are all whole
    assert [p.supply_weeks(0, s, 0) for s in (0, 1)] == [38, 44]
    assert [p.half_supply(0, s) for s in (0, 1)] == [19, 22]
    # PA weeks stay contractual (42 and 21 weeks)
    assert (p.weeks(0, 0, 0), p.half_weeks(0)) == (42, 21)
    plan = run(pack, reqs({"2ww": 70}, rapid=["2ww"]))
    # 1.5 PAs: Wednesday weekly (44) plus Monday on alternate weeks (19) = 63, short 7
    assert plan.gaps.set_index("activity_id").loc["2ww", "planned_sessions_per_year"] == pytest.approx(63.0)


def test_a_kept_part_year_cell_delivers_its_share_of_the_weekday() -> None:
    # A kept Monday cell running 21 of 42 weeks delivers 21/42 x 38 = 19; 30 of 42 weeks: 27.14 -> 27.
    pack = make_pack([clinician("A", 1.0)], [activity("fu")], [("A", "fu")], slots=MON_WED,
                     job_plans=[cell("A", "Mon", "AM", "fu", weeks=21.0)], start=START)
    p = build_problem(pack, reqs({"fu": 10}))
    assert p.supply_weeks(0, 0, 0) / p.week_scale == 19
    assert p.activities[0].current_supply / p.week_scale == 19
    pack = pack.replace(job_plans=(cell("A", "Mon", "AM", "fu", weeks=30.0),))
    p = build_problem(pack, reqs({"fu": 10}))
    assert p.supply_weeks(0, 0, 0) / p.week_scale == 27


def test_recorded_leave_in_the_pack_reaches_the_supply() -> None:
    leave = pd.DataFrame({"clinician_id": ["A"] * 10,
                          "week_start": pd.to_datetime([START + dt.timedelta(weeks=13 + k) for k in range(10)]),
                          "weeks": [1.0] * 10})
    pack = rapid_pack().replace(leave=leave)
    p = build_problem(pack, reqs({"2ww": 45}))
    assert [p.supply_weeks(0, s, 0) / p.week_scale for s in (0, 1)] == [37.0, 42.0]
    plan = run(pack, reqs({"2ww": 45}, rapid=["2ww"]))  # the checker reads the leave rows too
    assert plan.gaps.set_index("activity_id").loc["2ww", "gap_sessions_per_year"] == pytest.approx(3.0)


def test_the_checker_reads_the_calendar_itself() -> None:
    pack = rapid_pack()
    plan = run(pack, reqs({"2ww": 45}, rapid=["2ww"]))
    tables = dict(plan.tables)
    # A gaps table written with the even-spread convention is caught.
    wrong = tables["gaps"].copy()
    wrong["planned_sessions_per_year"] = 42.0
    wrong["gap_sessions_per_year"] = 3.0
    found = check_plan(pack, {**tables, "gaps": wrong}, reqs({"2ww": 45}, rapid=["2ww"]))
    assert any("planned_sessions_per_year is 42, recomputed 44" in v for v in found), found
    # The same tables checked with the setting off disagree the other way round.
    off = pack.replace(settings=dataclasses.replace(pack.settings, weekday_true_supply=False))
    found = check_plan(off, tables, reqs({"2ww": 45}, rapid=["2ww"]))
    assert any("recomputed 42" in v for v in found), found


def test_a_bank_holiday_recorded_as_leave_is_counted_once() -> None:
    # 13 weeks from 5 April 2027 hold two Monday bank holidays (3 and 31 May 2027, GOV.UK). An e-roster that
    # records each as a fifth of the week's leave takes nothing more off: Monday runs 13 - 2 = 11, Wednesday
    # all 13 (before session 7 the 0.2 was also taken off every other day: Wednesday 12.6). Leave beyond
    # the holiday's share is still leave, spread over the other days: 0.6 of a week with a holiday Monday
    # is (0.6 - 0.2) / 0.8 = 0.5 of each of Tuesday-Sunday.
    import datetime as dt

    from capacity_planner.calendar import weekday_weeks

    may3, may31 = dt.date(2027, 5, 3), dt.date(2027, 5, 31)
    runs = weekday_weeks(dt.date(2027, 4, 5), 13, 42.0, {may3: 0.2, may31: 0.2}, leave_complete=True)
    assert runs["Mon"] == pytest.approx(11.0) and runs["Wed"] == pytest.approx(13.0)
    runs = weekday_weeks(dt.date(2027, 4, 5), 13, 42.0, {may3: 0.6}, leave_complete=True)
    assert runs["Mon"] == pytest.approx(11.0) and runs["Wed"] == pytest.approx(12.5)
    runs = weekday_weeks(dt.date(2027, 4, 5), 13, 42.0, {may3: 1.0}, leave_complete=True)  # a whole week
    assert runs["Mon"] == pytest.approx(11.0) and runs["Wed"] == pytest.approx(12.0)


def test_a_split_pack_keeps_its_inferred_planning_year_in_every_part(tiny_path: Path) -> None:
    # Found on the trust pack (session 7): parts are planned without the history tables, so a plan start
    # inferred from the referrals was lost, each part fell back to the even spread, and the checker (reading
    # the whole pack, weekday-true) refused the plan (exit 1). Two copies of the tiny pack, no start given.
    from test_solver_decompose import _joined, _renamed, _reqs

    from capacity_planner.demand.requirements import Requirements
    from capacity_planner.pack.read import read_pack
    from capacity_planner.solver.supply import planning_start

    tiny = read_pack(tiny_path)
    both = _joined(_renamed(tiny, "a."), _renamed(tiny, "b."))
    both = both.replace(settings=dataclasses.replace(both.settings, start=None,
                                                     explicit=both.settings.explicit - {"planning.start"}))
    assert both.settings.start is None and planning_start(both) is not None  # inferred from referrals
    requirements = Requirements.from_frame(pd.concat([_reqs("a.").table, _reqs("b.").table],
                                                     ignore_index=True))
    plan = run(both, requirements)  # the helper runs the independent checker on the whole pack
    assert len(plan.parts) == 2
