"""Productivity per staff group (issue 19 item 3): demand is turned into sessions at the current job plans'
staff-group mix of patients per session, and the solver counts each cell's sessions at its own group's
patients a session over that mix (docs/method.md, "Productivity per staff group")."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from test_solver_helpers import activity, cell, cells, clinician, make_pack, reqs, run

import capacity_planner as cp
from capacity_planner.cli import cli
from capacity_planner.demand.productivity import mix_patients_per_session
from capacity_planner.pack.model import Availability, PlanningPack, Productivity, Slot
from capacity_planner.solver import check_plan
from capacity_planner.solver.model import AllocationModel
from capacity_planner.solver.problem import build_problem
from capacity_planner.solver.productivity import supply_weights

TINY = Path(__file__).parent / "data" / "tiny"


def _pack(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "pack"
    shutil.copytree(TINY, path)
    (path / "productivity.csv").write_text("activity_id,staff_group,patients_per_session\n" + rows)
    return path


def test_follow_ups_sized_at_the_current_mix(tmp_path: Path) -> None:
    # The tiny pack's follow-up clinic sees 12 patients a session; today S (SAS, 42 weeks) runs one on Monday
    # afternoon and nurse N (Agenda for Change, 45 weeks) one on Thursday morning. If N's clinic sees 6, the
    # mix is (42 x 12 + 45 x 6) / 87 = 774 / 87 = 8.8966 patients a session, so follow-ups need 12 / 8.8966
    # = 1.3488 times the sessions.
    plain = cp.read_pack(TINY)
    mixed = cp.read_pack(_pack(tmp_path, "fu,nurse,6\n"))
    pps, note = mix_patients_per_session(mixed, mixed.activity("fu"))
    assert pps == pytest.approx(774 / 87)
    assert note == ("fu: sized at 8.9 patients a session, the current job plans' mix of staff groups (nurse 6 "
                    "(52%), sas 12 (48%) of its session-weeks; productivity table)")
    before = cp.size_demand(plain).requirements.table.set_index("activity_id")
    after_run = cp.size_demand(mixed)
    after = after_run.requirements.table.set_index("activity_id")
    assert after.loc["fu", "sessions_per_year"] == pytest.approx(before.loc["fu", "sessions_per_year"] * 12 * 87 / 774)
    assert after.loc["2ww", "sessions_per_year"] == pytest.approx(before.loc["2ww", "sessions_per_year"])
    assert note in after_run.notes


def test_no_override_for_the_groups_in_the_plan_changes_nothing(tmp_path: Path) -> None:
    mixed = cp.read_pack(_pack(tmp_path, "fu,consultant,20\n2ww,nurse,3\n"))  # nobody of these groups runs them
    for aid in ("fu", "2ww"):
        assert mix_patients_per_session(mixed, mixed.activity(aid)) == (mixed.activity(aid).patients_per_session,
                                                                        None)


def test_bad_productivity_rows_exit_2(tmp_path: Path) -> None:
    with pytest.raises(cp.PackValidationError) as err:
        cp.read_pack(_pack(tmp_path, "fu,nurse,0\nfoo,nurse,4\nfu,robot,4\n"))
    text = str(err.value)
    assert "productivity.csv, row 2, column patients_per_session: value '0'" in text
    assert "productivity.csv, row 3, column activity_id: value 'foo'" in text
    assert "productivity.csv, row 4, column staff_group: value 'robot'" in text


# ---- the solver's supply (solver/productivity.py) ------------------------------------------------------------
SLOTS = (Slot("Mon", "AM", False), Slot("Tue", "AM", False))


def team(*rows: Productivity, s_pas: float = 1.0, current: tuple[str, ...] = ("S",),
         clinic: bool = False) -> PlanningPack:
    """SAS doctor S (``s_pas`` PAs) and nurse N (2 PAs), 42 working weeks, no planning year (a weekly cell
    supplies 42 session-weeks a year, the even spread), Mon AM and Tue AM; follow-ups see 12 a session.
    Current: S's follow-up clinic on Monday morning, N's on Tuesday morning when ``current`` names N. With
    ``clinic``, both may also run a general clinic (no productivity row)."""
    acts = [activity("fu", patients_per_session=12.0)] + ([activity("clinic")] if clinic else [])
    skills = [("S", "fu"), ("N", "fu")] + ([("S", "clinic"), ("N", "clinic")] if clinic else [])
    jobs = [cell("S", "Mon", "AM", "fu")] + ([cell("N", "Tue", "AM", "fu")] if "N" in current else [])
    off = [Availability("S", "Tue", "AM", False)] if s_pas < 2 else []
    pack = make_pack([clinician("S", s_pas, group="sas", contract="sas_2021"),
                      clinician("N", 2.0, group="nurse", contract="afc")], acts, skills, slots=SLOTS,
                     availability=off, job_plans=jobs)
    return pack.replace(productivity=rows)


NURSE_AT_6 = Productivity("fu", "nurse", 6.0)


def test_the_slower_group_gets_the_sessions_the_need_takes() -> None:
    # Today only S runs follow-ups, so the mix is S's 12 and a nurse session meets 6 / 12 = 1/2 of a
    # session-week of need: w_S = 1, w_N = 1/2. Need 84 (two sessions at the mix). S works Monday only.
    # Counting every session alike, S's and one of N's sessions give 84 and a second N session would be a
    # whole session beyond need (N's other PA stays unassigned). Counting N's at half, S's 42 and N's two
    # 21s give 84: N runs both mornings, nothing unmet.
    demand = reqs({"fu": 84})
    plain = run(team(), demand)
    assert sorted(cells(plain).items()) == [(("N", "Tue", "AM"), "fu"), (("S", "Mon", "AM"), "fu")]
    assert plain.result.objective["unassigned_pas"] == pytest.approx(42.0)
    pack = team(NURSE_AT_6)
    assert supply_weights(pack, ["S", "N"], ["fu"]) == {(1, 0): 0.5}
    plan = run(pack, demand)
    assert sorted(cells(plan).items()) == [(("N", "Mon", "AM"), "fu"), (("N", "Tue", "AM"), "fu"),
                                           (("S", "Mon", "AM"), "fu")]
    assert plan.result.objective["unmet_routine"] == 0
    assert plan.result.objective["unassigned_pas"] == 0
    gaps = plan.tables["gaps"].set_index("activity_id")
    assert gaps.loc["fu", "planned_sessions_per_year"] == pytest.approx(42 + 21 + 21)
    assert gaps.loc["fu", "current_sessions_per_year"] == pytest.approx(42)
    assert "fu: supply counts each session at its staff group's patients a session over the mix demand was " \
           "sized at (N x0.5; productivity table)" in plan.summary.notes


def test_the_faster_group_runs_the_follow_ups() -> None:
    # Today S and N each run one follow-up clinic a week (42 weeks): the mix is (12 + 6) / 2 = 9, so an S
    # session meets 12/9 = 4/3 of a session-week (56 a year) and an N session 2/3 (28). Need: follow-ups
    # 100, clinic 84; S and N have 2 PAs each. Only S + S = 112 covers the follow-ups (S + N = 84), leaving
    # N's two mornings for the clinic (84): nothing unmet. Counting sessions alike, 100 + 84 needs five
    # sessions of the four there are.
    demand = reqs({"fu": 100, "clinic": 84})
    pack = team(NURSE_AT_6, s_pas=2.0, current=("S", "N"), clinic=True)
    plan = run(pack, demand)
    assert cells(plan) == {("S", "Mon", "AM"): "fu", ("S", "Tue", "AM"): "fu",
                           ("N", "Mon", "AM"): "clinic", ("N", "Tue", "AM"): "clinic"}
    assert plan.result.objective["unmet_routine"] == 0
    assert run(team(s_pas=2.0, current=("S", "N"), clinic=True), demand).result.objective["unmet_routine"] \
        == pytest.approx(100 + 84 - 4 * 42)


def test_the_checker_counts_each_session_at_its_groups_productivity() -> None:
    # The plan made counting sessions alike (S + N: 84), read against the pack with N at 6: N's session
    # meets 21, so the gaps table's 84 planned is wrong (63) and so is its gap (0; 21).
    demand = reqs({"fu": 84})
    plain = run(team(), demand)
    found = check_plan(team(NURSE_AT_6), plain.tables, demand)
    assert "gaps table: fu planned_sessions_per_year is 84, recomputed 63" in found
    assert "gaps table: fu gap_sessions_per_year is 0, recomputed 21" in found


def test_rows_that_change_no_weight_leave_the_model_byte_identical() -> None:
    # A productivity row for a group nobody in the team belongs to weighs every session 1: the model is the
    # one built without the table.
    demand = reqs({"fu": 84})
    plain = AllocationModel(build_problem(team(), demand)).cp.proto
    other = team(Productivity("fu", "consultant", 20.0))
    assert supply_weights(other, ["S", "N"], ["fu"]) == {}
    assert str(AllocationModel(build_problem(other, demand)).cp.proto) == str(plain)


def test_cli_plan_counts_the_nurses_follow_ups_at_her_productivity(tmp_path: Path) -> None:
    # The tiny pack with N's follow-ups at 6 (mix 774/87 = 8.8966): a follow-up session by N counts 0.6744 of
    # its sessions a year, by S (or A) 1.3488, each to the nearest whole session. Weekday-true supply in
    # 2026/27: N (45 weeks) delivers 41 on Mondays (6 Monday bank holidays), 47 Tuesday to Thursday, 44 on
    # Fridays; S and A (42 weeks) 38, 44 and 41. So an N Monday counts 28, Tue-Thu 32, Friday 30; an S or A
    # Monday 51, Tue-Thu 59, Friday 55. Today S's Monday PM (51) and N's Thursday AM (32): 83.
    counts = {"N": {"Mon": 28, "Tue": 32, "Wed": 32, "Thu": 32, "Fri": 30},
              "S": {"Mon": 51, "Tue": 59, "Wed": 59, "Thu": 59, "Fri": 55}}
    counts["A"] = counts["S"]
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["plan", str(_pack(tmp_path, "fu,nurse,6\n")), "--out", str(out),
                                      "--work-limit", "20", "--workers", "1", "--no-report"])
    assert result.exit_code == 0, result.output
    alloc = pd.read_csv(out / "allocation.csv")
    fu = alloc[alloc["activity_id"] == "fu"]
    assert len(fu) and fu["week"].isna().all()  # weekly cells
    planned = sum(counts[r.clinician_id][r.day] for r in fu.itertuples())
    gaps = pd.read_csv(out / "gaps.csv").set_index("activity_id")
    assert gaps.loc["fu", "planned_sessions_per_year"] == planned
    assert gaps.loc["fu", "current_sessions_per_year"] == 51 + 32
    assert planned >= gaps.loc["fu", "required_sessions_per_year"]
    notes = json.loads((out / "summary.json").read_text())["notes"]
    assert any(n.startswith("fu: supply counts each session at its staff group's") for n in notes)
