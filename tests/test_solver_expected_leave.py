"""Expected leave patterns (issue 19): when the leave not in the ``leave`` table falls, on hand-worked packs.

Planning year 2026/27 from Monday 6 April 2026 (tests/test_solver_cover.py). Christmas to New Year, 24
December 2026 to 1 January 2027, touches two weeks: the week of Monday 21 December (week 37: Thursday 24
and the Friday bank holiday) and the week of Monday 28 December (week 38: Monday 28 December, the Boxing Day
substitute, and Friday 1 January are bank holidays). With half the clinicians away then, E = 0.5 + 0.5 = 1 week of each
consultant's 8.4 weeks of unrecorded leave falls at Christmas, and 7.4 can still fall in any week.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
from typing import TYPE_CHECKING

import pandas as pd
from click.testing import CliRunner
from test_solver_cover import START, cover_pack, level
from test_solver_helpers import cells, reqs, run

from capacity_planner.cli import cli
from capacity_planner.pack.model import ExpectedLeave
from capacity_planner.pack.read import read_pack, validate_pack
from capacity_planner.solver import SolveStatus, check_plan
from capacity_planner.solver.expected_leave import england_periods, week_shares
from capacity_planner.solver.problem import build_problem

if TYPE_CHECKING:
    from pathlib import Path

CHRISTMAS = ExpectedLeave(dt.date(2026, 12, 24), dt.date(2027, 1, 1), 0.5, "Christmas")
DEMAND = reqs({"2ww": 37}, rapid=["2ww"])


def with_christmas(**kwargs: object) -> object:
    return cover_pack(**kwargs).replace(expected_leave=(CHRISTMAS,))  # type: ignore[arg-type]


def test_a_period_takes_the_weeks_one_of_whose_weekdays_it_holds() -> None:
    shares = week_shares([CHRISTMAS], START)
    assert [(j, s) for j, s in enumerate(shares) if s[0]] == [(37, (0.5, "Christmas")), (38, (0.5, "Christmas"))]
    # a period from Saturday to Sunday holds no weekday: no week
    weekend = ExpectedLeave(dt.date(2026, 4, 11), dt.date(2026, 4, 12), 0.9)
    assert not any(s for s, _ in week_shares([weekend], START))
    # overlapping periods: the larger share
    summer = ExpectedLeave(dt.date(2026, 12, 1), dt.date(2026, 12, 31), 0.2, "December")
    assert week_shares([summer, CHRISTMAS], START)[37] == (0.5, "Christmas")
    assert week_shares([summer, CHRISTMAS], START)[36] == (0.2, "December")


def test_englands_defaults_fall_in_the_planning_year() -> None:
    periods = england_periods(START)
    assert [(p.label, p.start, p.end, p.share_away) for p in periods] == [
        ("school summer holiday", dt.date(2026, 7, 22), dt.date(2026, 8, 31), 0.25),
        ("Christmas and New Year", dt.date(2026, 12, 24), dt.date(2027, 1, 1), 0.5)]
    shares = week_shares(periods, START)
    # 22 July 2026 is a Wednesday (week 15); 31 August the Monday of week 21: 7 summer weeks, 2 at Christmas
    assert [j for j, (s, _) in enumerate(shares) if s == 0.25] == list(range(15, 22))
    assert sum(s for s, _ in shares) == 7 * 0.25 + 2 * 0.5


def test_the_rows_weigh_the_cells_in_the_pattern_weeks_and_shorten_the_leave_row() -> None:
    [rule] = build_problem(with_christmas(), DEMAND).cover  # type: ignore[arg-type]
    pattern = [(r.cells, r.weights, r.tenths, r.expected) for r in rule.rows if r.expected]
    # week 37 runs both cells at half weight; week 38's Monday is a bank holiday: Wednesday's alone
    assert sorted(pattern) == [(((0, 0), (0, 1)), (50, 50), 10, "Christmas, 50% away"),
                               (((0, 1),), (50,), 10, "Christmas, 50% away")]
    plain = {r.cells: r.tenths for r in rule.rows if not r.expected and r.away is None}
    assert plain == {((0, 0), (0, 1)): 450, ((0, 1),): 50}  # 46 - 1 ordinary weeks, 6 - 1 bank holidays
    assert [(r.away, r.tenths) for r in rule.rows if r.away] == [("A", 74)]  # 8.4 - 1 weeks left


def test_without_a_pattern_the_rows_are_unchanged() -> None:
    [rule] = build_problem(cover_pack(), DEMAND).cover
    assert all(not r.weights and r.expected is None for r in rule.rows)
    assert build_problem(cover_pack().replace(expected_leave=()), DEMAND).cover == (rule,)


def test_one_clinician_alone_misses_the_christmas_weeks() -> None:
    # Wednesday: the two Christmas weeks (half of A's one session: 0.5 < 1) and 7.4 weeks of leave: 9.4.
    # Monday: the 6 bank-holiday weeks (28 December among them), week 37 and 7.4: 14.4.
    plan = run(with_christmas(), DEMAND)  # type: ignore[arg-type]
    assert plan.status is SolveStatus.OPTIMAL
    assert cells(plan) == {("A", "Wed", "AM"): "2ww"}
    assert level(plan, "weekly_cover") == 9.4
    reasons = list(plan.gap_reasons["reason"])
    assert ("weekly cover (1 session a week) missed in 2 weeks of expected leave (Christmas, 50% away): the "
            "weeks of 21 Dec 2026, 28 Dec 2026; the sessions planned then, each counted at the chance its "
            "clinician is not away, come to fewer than 1") in reasons
    assert ("weekly cover (1 session a week) missed in the 7.4 weeks a year A is on leave (not in the leave "
            "table): nobody else runs enough 2ww sessions") in reasons


def test_two_clinicians_both_run_the_clinic_on_wednesday_for_christmas() -> None:
    # Without the pattern A keeps Monday and B takes Wednesday (tests/test_solver_cover.py). With half the
    # staff away at Christmas, week 38 (Monday 28 December a bank holiday) has only B's half session: A moves
    # to Wednesday beside B, which covers both Christmas weeks (50 + 50) and each other's leave.
    plan = run(with_christmas(second=True), DEMAND)  # type: ignore[arg-type]
    assert plan.status is SolveStatus.OPTIMAL
    assert cells(plan) == {("A", "Wed", "AM"): "2ww", ("B", "Wed", "AM"): "2ww"}
    assert level(plan, "weekly_cover") == 0.0
    before = run(cover_pack(second=True), DEMAND)
    assert cells(before) == {("A", "Mon", "AM"): "2ww", ("B", "Wed", "AM"): "2ww"}


def test_the_checker_reads_the_pattern_afresh() -> None:
    plan = run(with_christmas(), DEMAND)  # type: ignore[arg-type]
    assert check_plan(plan.pack, plan.tables, plan.requirements, None, {}, plan.summary) == []
    levels = [dict(lv, objective=8.4) if lv["name"] == "weekly_cover" else lv for lv in plan.summary.levels]
    wrong = dataclasses.replace(plan.summary, levels=levels)
    assert check_plan(plan.pack, plan.tables, plan.requirements, None, {}, wrong) == [
        "summary: weekly_cover is 8.4 weeks, recomputed 9.4"]


def test_the_england_setting_applies_the_defaults() -> None:
    # Summer: weeks 15-21 at a quarter away (7 x 0.25 = 1.75) and Christmas 1: A keeps 8.4 - 2.75 = 5.65
    # weeks to fall anywhere. Alone on Wednesday, 0.75 of a session in the summer weeks is < 1: 7 + 2 + 5.65.
    plan = run(cover_pack(expected_leave="england"), DEMAND)
    assert cells(plan) == {("A", "Wed", "AM"): "2ww"}
    # 9 weeks and 5.65 in tenths of a week: 8.4 - 2.75 is just under 5.65 in binary, so 5.6
    assert level(plan, "weekly_cover") == 14.6
    assert check_plan(plan.pack, plan.tables, plan.requirements, None, {}, plan.summary) == []


# ---- the pack on disk and the command line ------------------------------------------------------------
def covered_tiny(tmp_path: Path, tiny_path: Path, rows: str, setting: str | None = None) -> Path:
    """The tiny pack with its two-week-wait clinic run every week, and ``rows`` as expected_leave.csv."""
    folder = tmp_path / "pack"
    shutil.copytree(tiny_path, folder)
    acts = pd.read_csv(folder / "activities.csv", dtype=str, keep_default_na=False)
    acts["min_weekly_sessions"] = acts["activity_id"].map({"2ww": "1"}).fillna("")
    acts.to_csv(folder / "activities.csv", index=False)
    (folder / "expected_leave.csv").write_text("start,end,share_away,label\n" + rows)
    if setting is not None:
        text = (folder / "pack.toml").read_text().replace("[planning]\n", f'[planning]\nexpected_leave = "{setting}"\n')
        (folder / "pack.toml").write_text(text)
    return folder


def test_the_plan_command_reads_the_table_and_the_setting(tmp_path: Path, tiny_path: Path) -> None:
    folder = covered_tiny(tmp_path, tiny_path, "2026-12-24,2027-01-01,0.5,Christmas\n", "england")
    pack = read_pack(folder, purpose="plan")
    assert pack.expected_leave == (CHRISTMAS,) and pack.settings.expected_leave == "england"
    out = tmp_path / "plan"
    result = CliRunner().invoke(cli, ["plan", str(folder), "--out", str(out), "--no-report", "--work-limit", "20",
                                      "--seed", "0", "--workers", "1"])
    assert result.exit_code == 0, result.output
    levels = {lv["name"]: lv for lv in json.loads((out / "summary.json").read_text())["levels"]}
    assert levels["weekly_cover"]["objective"] is not None


def test_a_period_that_ends_before_it_starts_exits_2(tmp_path: Path, tiny_path: Path) -> None:
    folder = covered_tiny(tmp_path, tiny_path, "2026-12-24,2027-01-01,0.5,Christmas\n2026-08-10,2026-08-05,0.2,\n"
                                               "2026-09-01,2026-09-02,1.5,\n", "wales")
    errors = {(p.source, p.row, p.column) for p in validate_pack(folder) if p.severity == "error"}
    assert errors == {("expected_leave.csv", 3, "end"), ("expected_leave.csv", 4, "share_away"),
                      ("pack.toml", None, "planning.expected_leave")}
    result = CliRunner().invoke(cli, ["plan", str(folder), "--out", str(tmp_path / "out"), "--no-report"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_the_table_and_setting_survive_a_csv_and_a_workbook(tmp_path: Path, tiny_path: Path) -> None:
    from capacity_planner.pack.write import write_pack

    pack = read_pack(covered_tiny(tmp_path, tiny_path, "2026-12-24,2027-01-01,0.5,Christmas\n", "england"))
    for dest in (tmp_path / "csv", tmp_path / "pack.xlsx"):
        back = read_pack(write_pack(pack, dest))
        assert back.expected_leave == (CHRISTMAS,) and back.settings.expected_leave == "england"


def test_a_quorum_read_week_by_week_is_missed_at_christmas_with_half_the_members_away() -> None:
    # Quorum 2 on Tuesday afternoon with all three of A, B, C timetabled (tests/test_solver_cover.py): each
    # one's remaining 7.4 weeks of leave is covered by the other two, but in the two Christmas weeks the
    # three count 50 + 50 + 50 = 150 < 200 hundredths: 2 weeks.
    from test_solver_helpers import activity, clinician, make_pack

    from capacity_planner.pack.model import FixedRequirement, Slot

    team = [clinician(c, 1.0) for c in "ABC"]
    pack = make_pack(team, [activity("mdt")], [(c, "mdt") for c in "ABC"], slots=(Slot("Tue", "PM", False),),
                     start=START, requirements=[FixedRequirement("mdt", day="Tue", period="PM", min_clinicians=2,
                                                                 share_of_weeks=1.0)])
    plan = run(pack.replace(expected_leave=(CHRISTMAS,)), reqs({}))
    assert plan.status is SolveStatus.OPTIMAL
    assert len(cells(plan)) == 3 and level(plan, "weekly_cover") == 2.0
    assert list(plan.gap_reasons["reason"]) == [
        "quorum of 2 on Tue-PM missed in 2 weeks of expected leave (Christmas, 50% away): the weeks of 21 Dec "
        "2026, 28 Dec 2026; the sessions planned then, each counted at the chance its clinician is not away, "
        "come to fewer than 2"]
