"""Per-clinician time (skills.min_sessions_per_week, issue 13 item 6) on tiny hand-worked packs.

A clinician's admin floor is a rule on their own job plan, annualised over their working weeks, and never
referral demand: it keeps admin time even when clinic demand would take it, a half session is an
alternate-week cell, the independent checker flags a plan without it, and validate rejects bad values.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from click.testing import CliRunner
from test_solver_helpers import activity, cell, clinician, make_pack, reqs, run

from capacity_planner.cli import cli
from capacity_planner.pack.model import JobPlanCell, Skill, Slot
from capacity_planner.solver import SolveStatus, check_plan

MON = (Slot("Mon", "AM", False), Slot("Mon", "PM", False))
ACTS = (activity("clinic"), activity("admin", "OTHER"))
DATA = Path(__file__).parent / "data"


def _skills(floor: float | None) -> list[Skill]:
    return [Skill("A", "clinic"), Skill("A", "admin", min_sessions_per_week=floor)]


def _cells(plan: object) -> list[tuple[str, str, str, float]]:
    rows = plan.tables["allocation"].to_dict("records")  # type: ignore[attr-defined]
    return sorted((r["period"], r["week"], r["activity_id"], r["weeks_per_year"]) for r in rows)


def test_admin_floor_keeps_one_session_when_demand_would_take_it() -> None:
    # A: 2 PAs (Mon AM + PM, 42 weeks), clinic need 100 session-weeks. Without a floor both slots are clinic
    # (84, unmet 16); with 1 admin session a week kept: 1 clinic (42), unmet 100 - 42 = 58, admin 42 weeks.
    free = run(make_pack([clinician("A", 2)], ACTS, _skills(None), slots=MON), reqs({"clinic": 100}))
    assert free.result.objective["unmet_routine"] == 16
    plan = run(make_pack([clinician("A", 2)], ACTS, _skills(1), slots=MON), reqs({"clinic": 100}))
    assert plan.status is SolveStatus.OPTIMAL
    assert plan.result.objective["unmet_routine"] == 58
    acts = sorted(r["activity_id"] for r in plan.tables["allocation"].to_dict("records"))
    assert acts == ["admin", "clinic"]
    # not referral demand: admin shows no gap and no need
    gaps = plan.gaps.set_index("activity_id")
    assert "admin" not in gaps.index or gaps.loc["admin", "gap_sessions_per_year"] == 0
    # the clinic gap's reasons name the floor that holds A's other session
    assert plan.gap_reasons.to_dict("records")[1:] == [
        {"activity_id": "clinic", "reason": "skilled clinicians with no PAs to spare: A (contracted PAs fully "
                                            "used; additional PAs are not allowed)"},
        {"activity_id": "clinic", "reason": "time they must keep (skills.min_sessions_per_week): 1 of their "
                                            "sessions hold it (A: admin 1 a week)"}]
    # without the floor, nothing is said of it
    assert not any("min_sessions_per_week" in r for r in free.gap_reasons["reason"])


def test_unassigned_time_names_the_floor() -> None:
    # A: 3 PAs (Mon AM + PM, Tue AM), admin floor 1, clinic need 40 session-weeks: one clinic (42) covers it
    # and one admin session keeps the floor; the third PA is unassigned, and the reason says admin is not
    # referral demand (planned only up to the floor), not that its "need" is covered.
    slots = (*MON, Slot("Tue", "AM", False))
    plan = run(make_pack([clinician("A", 3)], ACTS, _skills(1), slots=slots), reqs({"clinic": 40}))
    assert plan.status is SolveStatus.OPTIMAL
    assert sorted(c[2] for c in _cells(plan)) == ["admin", "clinic"]
    (row,) = plan.clinicians.to_dict("records")
    assert row["unassigned_pas"] == 1.0
    assert row["unassigned_reason"] == (
        "admin is not referral demand: it is planned only up to the time clinicians must keep "
        "(skills.min_sessions_per_week) and the current job plans; no further need for clinic (demand, current "
        "supply and fixed requirements are covered)")


def test_half_admin_floor_is_an_alternate_week_cell() -> None:
    # Mon-PM runs admin on week A and clinic on week B (21 weeks each). Without a floor the solver makes
    # Mon-PM clinic every week (clinic 84, unmet 16); with 0.5 admin a week kept (21 of 42 weeks) the
    # alternate-week admin stays: clinic 42 + 21 = 63, unmet 37.
    jp = [cell("A", "Mon", "AM", "clinic"), JobPlanCell("A", "Mon", "PM", "admin", 21.0, week="A"),
          JobPlanCell("A", "Mon", "PM", "clinic", 21.0, week="B")]
    free = run(make_pack([clinician("A", 2)], ACTS, _skills(None), slots=MON, job_plans=jp),
               reqs({"clinic": 100}))
    assert free.result.objective["unmet_routine"] == 16
    plan = run(make_pack([clinician("A", 2)], ACTS, _skills(0.5), slots=MON, job_plans=jp),
               reqs({"clinic": 100}))
    assert plan.status is SolveStatus.OPTIMAL
    assert plan.result.objective["unmet_routine"] == 37
    assert _cells(plan) == [("AM", "", "clinic", 42.0), ("PM", "A", "admin", 21.0), ("PM", "B", "clinic", 21.0)]


def test_half_admin_floor_is_offered_on_alternate_weeks() -> None:
    # No current job plan, so no week A / week B cell to keep: A (2 PAs, Mon AM + PM, 42 weeks) must keep
    # 0.5 admin a week (21 of 42 weeks). Whole sessions would cost a weekly admin cell (clinic 42, unmet 58);
    # offered on alternate weeks, one slot is admin one week and clinic the other: clinic 42 + 21 = 63,
    # unmet 100 - 63 = 37, admin exactly 21 weeks (0.5 PAs), no PAs left unassigned.
    plan = run(make_pack([clinician("A", 2)], ACTS, _skills(0.5), slots=MON), reqs({"clinic": 100}))
    assert plan.status is SolveStatus.OPTIMAL
    assert plan.result.objective["unmet_routine"] == 37
    assert plan.result.objective["unassigned_pas"] == 0
    cells = _cells(plan)
    assert [c[2:] for c in cells if c[1] == ""] == [("clinic", 42.0)]  # one slot clinic every week
    alternate = [c for c in cells if c[1]]  # the other: admin one week, clinic the other
    assert len({c[0] for c in alternate}) == 1
    assert sorted((c[2], c[3]) for c in alternate) == [("admin", 21.0), ("clinic", 21.0)]
    assert sorted(c[1] for c in alternate) == ["A", "B"]
    assert check_plan(make_pack([clinician("A", 2)], ACTS, _skills(0.5), slots=MON),
                      {"allocation": plan.tables["allocation"]}, reqs({"clinic": 100})) == []


def test_checker_flags_a_plan_without_the_floor() -> None:
    demand = reqs({"clinic": 100})
    free = run(make_pack([clinician("A", 2)], ACTS, _skills(None), slots=MON), demand)
    floored = make_pack([clinician("A", 2)], ACTS, _skills(1), slots=MON)
    assert check_plan(floored, {"allocation": free.tables["allocation"]}, demand) == [
        "A: 0 weeks a year of admin, below the 1 sessions a week they must keep (42 weeks over 42 working weeks)"]
    half = make_pack([clinician("A", 2)], ACTS, _skills(0.5), slots=MON)
    assert check_plan(half, {"allocation": free.tables["allocation"]}, demand) == [
        "A: 0 weeks a year of admin, below the 0.5 sessions a week they must keep (21 weeks over 42 working weeks)"]


def test_floor_that_cannot_hold_is_explained() -> None:
    # 2 admin sessions kept + a 1-PA SPA floor need 3 PAs of A's 2: found before solving, in plain words.
    acts = (*ACTS, activity("spa", "SPA"))
    pack = make_pack([clinician("A", 2, spa=1)], acts,
                     [Skill("A", "clinic"), Skill("A", "spa"), Skill("A", "admin", min_sessions_per_week=2)],
                     slots=MON)
    plan = run(pack, reqs({"clinic": 100}))
    assert plan.status is SolveStatus.INFEASIBLE
    assert plan.result.reasons == ("A: the sessions they must keep (skills.min_sessions_per_week) 2 PAs + SPA "
                                   "floor 1 PA exceed 2 contracted PAs",)
    # a locked clinic in A's only working slot: the core names the floor
    from capacity_planner.pack.model import Availability
    pack = make_pack([clinician("A", 2)], ACTS, _skills(1), slots=MON,
                     availability=[Availability("A", "Mon", "AM", False)],
                     job_plans=[cell("A", "Mon", "PM", "clinic", locked=True)])
    plan = run(pack, reqs({"clinic": 100}))
    assert plan.status is SolveStatus.INFEASIBLE
    assert "A must keep 1 session a week of admin (skills.min_sessions_per_week)" in plan.result.reasons


def test_validate_rejects_bad_floors(tmp_path: Path) -> None:
    folder = tmp_path / "pack"
    shutil.copytree(DATA / "tiny", folder)
    path = folder / "skills.csv"
    rows = list(csv.reader(path.open()))
    rows[0] += ["min_sessions_per_week", "max_sessions_per_week"]
    # negative, off the half-session grid, PAs above contract, above the row's cap, fine
    values = [("-1", ""), ("0.3", ""), ("20", ""), ("1", "0"), ("1", "1")]
    for i, row in enumerate(rows[1:]):
        row += values[i] if i < len(values) else ("", "")
    with path.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    result = CliRunner().invoke(cli, ["validate", str(folder)])
    assert result.exit_code == 2
    assert "skills.csv, row 2, column min_sessions_per_week: value '-1': negative" in result.output
    assert ("skills.csv, row 3, column min_sessions_per_week: value '0.3': sessions a week must be whole or "
            "half sessions") in result.output
    assert ("skills.csv, row 4, column min_sessions_per_week: value '20': the floor's PAs (sessions x the "
            "activity's pa_value) are above the clinician's contracted PAs") in result.output
    assert ("skills.csv, row 5, column min_sessions_per_week: value '1': the floor is above "
            "max_sessions_per_week on the same row") in result.output
    assert "row 6" not in result.output
