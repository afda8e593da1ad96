"""1-in-N on-call rotas (issue 13 item 4): hand-worked packs, the infeasible case and its explanation.

docs/method.md, "1-in-N on-call rota": a requirement on an ONCALL activity's slot with ``rota_size`` N has
exactly N members, each on call ``min_clinicians x service_weeks / N`` weeks a year in that slot; a member's
on-call PAs are the session's PAs (4/3 of pa_value in premium time) over those weeks, counted in the
contract, in the SAS 2021 out-of-hours share and in supply.
"""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner
from test_solver_helpers import activity, cell, cells, clinician, make_pack, reqs, run

from capacity_planner.cli import cli
from capacity_planner.pack.model import FixedRequirement, Slot
from capacity_planner.pack.read import read_pack, validate_pack
from capacity_planner.pack.write import write_pack
from capacity_planner.solver import SolveStatus, build_problem, check_plan
from capacity_planner.solver.tables import job_plans_from_allocation

if TYPE_CHECKING:
    from pathlib import Path

# Mon-AM, Mon-PM, Tue-AM, Tue-PM in normal time; Mon-EVE in premium time (a PA is 3 hours there)
GRID = (Slot("Mon", "AM", False), Slot("Mon", "PM", False), Slot("Mon", "EVE", True),
        Slot("Tue", "AM", False), Slot("Tue", "PM", False))
ACTS = (activity("clinic"), activity("oncall", "ONCALL", pa_value=0.75))
ROTA = FixedRequirement("oncall", day="Mon", period="EVE", rota_size=6)


def rota_pack(n: int, *, contracted: float = 3.0, rota: FixedRequirement = ROTA, **kw: object):
    ids = [chr(ord("A") + i) for i in range(n)]
    return make_pack([clinician(c, contracted, out_of_hours_opt_in=True) for c in ids], ACTS,
                     [(c, a) for c in ids for a in ("clinic", "oncall")], slots=GRID, requirements=[rota],
                     **kw)


def test_one_in_six_rota_by_hand() -> None:
    """6 consultants of 3 PAs over 42 weeks, a 1-in-6 evening rota over 52 service weeks.

    Each is on call 52 / 6 = 26/3 weeks a year on Mon-EVE; an on-call session is 0.75 x 4/3 = 1 PA, so
    26/3 PA-weeks a year, 26/3 / 42 = 0.2063 PAs a week. Tue-AM stays free after the evening (11 hours'
    rest). Three clinics (126 PA-weeks) + 26/3 would exceed the 3 x 42 = 126 contracted, so each has
    2 clinics (84) + 26/3 on call, and 126 - 84 - 26/3 = 100/3 PA-weeks a year unassigned (less than a
    clinic). Supply: on call 6 x 26/3 = 52 weeks (one clinician every week), clinics 6 x 2 x 42 = 504
    session-weeks; unmet 1000 - 504 = 496.
    """
    pack = rota_pack(6)
    problem = build_problem(pack, reqs({"clinic": 1000}))
    assert problem.week_scale == 3  # thirds of a week: 26/3 is exact
    plan = run(pack, reqs({"clinic": 1000}))
    assert plan.status is SolveStatus.OPTIMAL
    oncall = plan.allocation[plan.allocation["activity_id"] == "oncall"]
    assert sorted(oncall["clinician_id"]) == list("ABCDEF")
    assert set(zip(oncall["day"], oncall["period"], strict=True)) == {("Mon", "EVE")}
    assert oncall["weeks_per_year"].tolist() == pytest.approx([52 / 6] * 6)
    assert oncall["pas"].tolist() == pytest.approx([round(26 / 3 / 42, 4)] * 6)
    assert plan.result.objective["unmet_routine"] == 1000 - 504
    assert plan.result.objective["unassigned_pas"] == pytest.approx(6 * 100 / 3)
    assert not any(tue_am for (_, d, p) in cells(plan) for tue_am in [(d, p) == ("Tue", "AM")])
    clin = plan.clinicians.set_index("clinician_id")
    assert clin["out_of_hours_pas"].tolist() == pytest.approx([round(26 / 3 / 42, 4)] * 6)


def test_rota_takes_exactly_n_of_more_eligible() -> None:
    """8 eligible, rota 1 in 6: exactly 6 members; the other two are never on call."""
    plan = run(rota_pack(8), reqs({"clinic": 1000}))
    members = set(plan.allocation.loc[plan.allocation["activity_id"] == "oncall", "clinician_id"])
    assert len(members) == 6


def test_rota_counts_towards_the_sas_out_of_hours_share() -> None:
    """An SAS 2021 doctor of 1 PA may work 40 % out of hours: 0.4 x 42 = 16.8 PA-weeks a year. On a 1-in-2
    rota (26 on-call weeks of 1 PA = 26 PA-weeks) that is exceeded, so the rota cannot be staffed."""
    rota = FixedRequirement("oncall", day="Mon", period="EVE", rota_size=2)
    sas = [clinician(c, 1.0, group="sas", contract="sas_2021") for c in "AB"]
    pack = make_pack(sas, ACTS, [(c, "oncall") for c in "AB"], slots=GRID, requirements=[rota])
    plan = run(pack, reqs({}))
    assert plan.status is SolveStatus.INFEASIBLE
    assert any("out of hours" in r for r in plan.result.reasons), plan.result.reasons
    # on a 1-in-4 rota each is on call 13 weeks: 13 PA-weeks <= 16.8, within the share (no opt-in needed)
    four = [clinician(c, 1.0, group="sas", contract="sas_2021") for c in "ABCD"]
    pack = make_pack(four, ACTS, [(c, "oncall") for c in "ABCD"], slots=GRID,
                     requirements=[FixedRequirement("oncall", day="Mon", period="EVE", rota_size=4)])
    plan = run(pack, reqs({}))
    assert plan.status is SolveStatus.OPTIMAL
    assert plan.allocation["weeks_per_year"].tolist() == [13.0] * 4


def test_too_few_eligible_is_explained_by_the_rota_rule() -> None:
    """5 skilled clinicians for a 1-in-6 rota: infeasible, and the explanation names the rota."""
    plan = run(rota_pack(5), reqs({"clinic": 100}))
    assert plan.status is SolveStatus.INFEASIBLE
    assert plan.result.reasons == (
        "oncall on Mon-EVE is a 1-in-6 on-call rota (6 members, each on call 8.67 weeks a year): it needs 6, "
        "but only 5 (A, B, C, D, E) are skilled in oncall, available then and working at least 8.67 weeks a "
        "year; add members (skills) or shorten the rota (rota_size)",)


def test_a_member_must_work_the_weeks_they_are_on_call() -> None:
    """A 1-in-1 rota puts one clinician on call all 52 service weeks; nobody works more than 42."""
    rota = FixedRequirement("oncall", day="Mon", period="EVE", rota_size=1)
    plan = run(rota_pack(2, rota=rota), reqs({}))
    assert plan.status is SolveStatus.INFEASIBLE
    assert plan.result.reasons == (
        "oncall on Mon-EVE is a 1-in-1 on-call rota (1 member, each on call 52 weeks a year): it needs 1, "
        "but nobody is skilled in oncall, available then and working at least 52 weeks a year (A works 42; "
        "B works 42); add members (skills) or shorten the rota (rota_size)",)


def test_checker_rederives_rota_membership_and_weeks() -> None:
    pack = rota_pack(6)
    plan = run(pack, reqs({"clinic": 1000}))
    alloc = plan.allocation
    dropped = alloc[~((alloc["clinician_id"] == "A") & (alloc["activity_id"] == "oncall"))]
    found = check_plan(pack, {"allocation": dropped})
    assert "oncall on Mon-EVE: 5 members, but a 1-in-6 rota needs exactly 6" in found
    weekly = alloc.copy()
    weekly.loc[weekly["activity_id"] == "oncall", "weeks_per_year"] = 42.0
    assert any("the cell runs 8.66667 weeks a year" in line for line in check_plan(pack, {"allocation": weekly}))


def test_current_weekly_oncall_cell_kept_on_the_rota_counts_as_kept() -> None:
    """A's current plan has the evening every week; on the rota it runs 26/3 weeks and is not a change."""
    pack = rota_pack(6, job_plans=[cell("A", "Mon", "EVE", "oncall")])
    plan = run(pack, reqs({"clinic": 1000}))
    assert plan.status is SolveStatus.OPTIMAL
    row = plan.allocation[(plan.allocation["clinician_id"] == "A") & (plan.allocation["day"] == "Mon")
                          & (plan.allocation["period"] == "EVE")]
    assert row["weeks_per_year"].tolist() == pytest.approx([52 / 6])


def test_validate_rejects_bad_rota_sizes_with_exit_2(tmp_path: Path, tiny_path: Path) -> None:
    """rota_size must be a whole number >= 1, on a slot of an ONCALL activity, and at least min_clinicians:
    every mistake listed at once (file, row as in Excel, column, value), exit 2, nothing written."""
    folder = tmp_path / "pack"
    shutil.copytree(tiny_path, folder)
    acts = folder / "activities.csv"
    acts.write_text(acts.read_text() + "oncall,On call,ONCALL,,false,,,\n")
    (folder / "requirements.csv").write_text(
        "activity_id,sessions_per_week,day,period,min_clinicians,rota_size\n"
        "mdt,,Tue,PM,2,\n"        # row 2: no rota
        "oncall,,Tue,EVE,1,0\n"   # row 3: below 1
        "oncall,,Tue,EVE,1,2.5\n"  # row 4: not whole
        "mdt,,Tue,PM,1,4\n"       # row 5: not on-call work
        "oncall,1,,,1,4\n"        # row 6: no slot
        "oncall,,Tue,EVE,3,2\n"   # row 7: fewer members than on call at once
    )
    errors = [p for p in validate_pack(folder) if p.severity == "error"]
    assert {(p.source, p.row, p.column, p.value) for p in errors} == {
        ("requirements.csv", 3, "rota_size", "0"),
        ("requirements.csv", 4, "rota_size", "2.5"),
        ("requirements.csv", 5, "rota_size", "4"),
        ("requirements.csv", 6, "rota_size", "4"),
        ("requirements.csv", 7, "rota_size", "2"),
    }
    result = CliRunner().invoke(cli, ["validate", str(folder)])
    assert result.exit_code == 2
    assert "must be ONCALL" in result.output and "give its day and period" in result.output
    assert "at least min_clinicians members" in result.output and "Traceback" not in result.output


def test_rota_size_is_read_from_a_pack(tmp_path: Path, tiny_path: Path) -> None:
    folder = tmp_path / "pack"
    shutil.copytree(tiny_path, folder)
    acts = folder / "activities.csv"
    acts.write_text(acts.read_text() + "oncall,On call,ONCALL,,false,,,\n")
    (folder / "requirements.csv").write_text(
        "activity_id,sessions_per_week,day,period,min_clinicians,rota_size\nmdt,,Tue,PM,2,\noncall,,Tue,EVE,,6\n")
    pack = read_pack(folder, purpose="plan")
    assert [(r.activity_id, r.rota_size, r.min_clinicians) for r in pack.requirements] == [
        ("mdt", None, 2), ("oncall", 6, 1)]


def test_rota_plan_written_as_a_pack_reads_back_and_replans_the_same(tmp_path: Path, tiny_path: Path) -> None:
    """The tiny pack with a 1-in-3 Tue-EVE rota: each member on call S/3 weeks (not a whole number of
    hundredths). The plan written as locked job plans validates (the rota sets those weeks), reads back
    the same cells and plans again to the same allocation."""
    folder = tmp_path / "pack"
    shutil.copytree(tiny_path, folder)
    acts = folder / "activities.csv"
    acts.write_text(acts.read_text() + "oncall,On call,ONCALL,,false,,,\n")
    (folder / "skills.csv").write_text((folder / "skills.csv").read_text()
                                       + "".join(f"{c},oncall\n" for c in "ABSN"))
    req = folder / "requirements.csv"
    req.write_text("activity_id,sessions_per_week,day,period,min_clinicians,rota_size\nmdt,,Tue,PM,2,\n"
                   "oncall,,Tue,EVE,,3\n")
    pack = read_pack(folder, purpose="plan")
    demand = reqs({"2ww": 300, "fu": 2000}, rapid=["2ww"])
    first = run(pack, demand)
    assert first.status is SolveStatus.OPTIMAL
    oncall = first.allocation[first.allocation["activity_id"] == "oncall"]
    weeks = pack.settings.service_weeks / 3  # the tiny pack plans 50 service weeks: 50/3 each
    assert len(oncall) == 3 and oncall["weeks_per_year"].tolist() == pytest.approx([weeks] * 3)
    agreed = pack.replace(job_plans=job_plans_from_allocation(first.allocation, locked=True))
    write_pack(agreed, tmp_path / "agreed")
    assert [p for p in validate_pack(tmp_path / "agreed") if p.severity == "error"] == []
    second = run(read_pack(tmp_path / "agreed", purpose="plan"), demand)
    assert second.status is SolveStatus.OPTIMAL
    key = ["clinician_id", "day", "period", "activity_id", "week"]
    assert second.allocation[key].equals(first.allocation[key])
    assert second.allocation["weeks_per_year"].tolist() == pytest.approx(first.allocation["weeks_per_year"])
    assert second.summary.changed_sessions == 0


def test_locked_members_are_not_counted_twice_in_the_supply_cap() -> None:
    """The agreed pack of a 1-in-6 rota locks its six members (52/6 weeks each) with no clinic demand.

    Forced supply is the locked cells, 6 x 26/3 = 52 on-call weeks, and the rota asks for no member beyond
    them; before the fix the rota's 52 weeks were added again (L = 104), so the cap 104 + 42 - 1 let a
    member take two daytime on-call sessions (2 x 42) to use idle PAs. Now the cap is 52 + 41 and the plan
    is the locked rota alone, no change.
    """
    locked = [cell(c, "Mon", "EVE", "oncall", weeks=52 / 6, locked=True) for c in "ABCDEF"]
    pack = rota_pack(6, job_plans=locked)
    plan = run(pack, reqs({}))
    assert plan.status is SolveStatus.OPTIMAL
    assert cells(plan) == {(c, "Mon", "EVE"): "oncall" for c in "ABCDEF"}
    assert plan.result.objective["changes"] == 0
    problem = build_problem(pack, reqs({}))
    oncall = next(a for a, act in enumerate(problem.activities) if act.activity_id == "oncall")
    assert problem.supply_cap(oncall) == (52 + 42) * problem.week_scale - 1  # in thirds of a week
    assert check_plan(pack, plan.tables, reqs({})) == []


def test_unpredictable_emergency_work_is_credited_to_every_member_by_hand() -> None:
    """The 1-in-6 rota of test_one_in_six_rota_by_hand with requirements.unpredictable_pas = 0.5: each member
    is also credited 0.5 PA a week of unpredictable emergency work all year (consultant contract 2003,
    Schedule 3: assessed as PAs over the job-plan period), 0.5 x 42 = 21 PA-weeks a year on top of the
    26/3 of the on-call sessions. Two clinics (84) + 26/3 + 21 = 113.67 <= 126, three would not fit: so
    still two clinics each, unassigned 126 - 84 - 26/3 - 21 = 37/3 each (6 x 37/3 = 74). The on-call row
    counts 26/3 / 42 + 0.5 = 0.7063 PAs a week, in premium time (the out-of-hours PAs).

    With 1 PA a week (42 PA-weeks) two clinics no longer fit (84 + 26/3 + 42 > 126): one clinic each,
    unmet 1000 - 6 x 42 = 748, unassigned 126 - 42 - 26/3 - 42 = 100/3 each."""
    half = FixedRequirement("oncall", day="Mon", period="EVE", rota_size=6, unpredictable_pas=0.5)
    plan = run(rota_pack(6, rota=half), reqs({"clinic": 1000}))
    assert plan.status is SolveStatus.OPTIMAL
    oncall = plan.allocation[plan.allocation["activity_id"] == "oncall"]
    assert oncall["weeks_per_year"].tolist() == pytest.approx([52 / 6] * 6)
    assert oncall["pas"].tolist() == pytest.approx([round(26 / 3 / 42 + 0.5, 4)] * 6)
    assert plan.result.objective["unmet_routine"] == 1000 - 504
    assert plan.result.objective["unassigned_pas"] == pytest.approx(6 * 37 / 3)
    clin = plan.clinicians.set_index("clinician_id")
    assert clin["planned_pas"].tolist() == pytest.approx([round(2 + 26 / 3 / 42 + 0.5, 4)] * 6)
    assert clin["out_of_hours_pas"].tolist() == pytest.approx([round(26 / 3 / 42 + 0.5, 4)] * 6)

    whole = FixedRequirement("oncall", day="Mon", period="EVE", rota_size=6, unpredictable_pas=1.0)
    plan = run(rota_pack(6, rota=whole), reqs({"clinic": 1000}))
    assert plan.status is SolveStatus.OPTIMAL
    assert plan.result.objective["unmet_routine"] == 1000 - 6 * 42
    assert plan.result.objective["unassigned_pas"] == pytest.approx(6 * 100 / 3)


def test_checker_reads_unpredictable_pas_itself() -> None:
    """A plan whose on-call rows leave out the unpredictable PAs is caught by the checker's own reading."""
    rota = FixedRequirement("oncall", day="Mon", period="EVE", rota_size=6, unpredictable_pas=0.5)
    pack = rota_pack(6, rota=rota)
    plan = run(pack, reqs({"clinic": 1000}))
    alloc = plan.allocation.copy()
    alloc.loc[alloc["activity_id"] == "oncall", "pas"] = round(26 / 3 / 42, 4)
    found = check_plan(pack, {"allocation": alloc})
    assert any("pas 0.2063 but a oncall session there counts 0.706349 PAs a week" in line for line in found), found


def test_unpredictable_emergency_work_counts_towards_the_sas_share() -> None:
    """SAS 2021 doctors of 2 PAs on a 1-in-4 rota: 13 on-call PA-weeks each, within 40 % of 2 x 42
    (33.6). With 0.5 PA a week of unpredictable emergency work (21 more) it is 34 > 33.6: infeasible, and
    the explanation names the out-of-hours share."""
    sas = [clinician(c, 2.0, group="sas", contract="sas_2021") for c in "ABCD"]
    rota = FixedRequirement("oncall", day="Mon", period="EVE", rota_size=4)
    plan = run(make_pack(sas, ACTS, [(c, "oncall") for c in "ABCD"], slots=GRID, requirements=[rota]), reqs({}))
    assert plan.status is SolveStatus.OPTIMAL
    heavy = FixedRequirement("oncall", day="Mon", period="EVE", rota_size=4, unpredictable_pas=0.5)
    plan = run(make_pack(sas, ACTS, [(c, "oncall") for c in "ABCD"], slots=GRID, requirements=[heavy]), reqs({}))
    assert plan.status is SolveStatus.INFEASIBLE
    assert any("out of hours" in r for r in plan.result.reasons), plan.result.reasons


def test_unpredictable_pas_is_read_written_and_validated(tmp_path: Path, tiny_path: Path) -> None:
    """requirements.unpredictable_pas round-trips through a pack; without rota_size, or not a whole number
    of 120ths of a PA, it is an error naming file, row, column and value (exit 2, nothing written)."""
    folder = tmp_path / "pack"
    shutil.copytree(tiny_path, folder)
    acts = folder / "activities.csv"
    acts.write_text(acts.read_text() + "oncall,On call,ONCALL,,false,,,\n")
    (folder / "requirements.csv").write_text(
        "activity_id,sessions_per_week,day,period,min_clinicians,rota_size,unpredictable_pas\n"
        "mdt,,Tue,PM,2,,\noncall,,Tue,EVE,,6,0.75\n")
    pack = read_pack(folder, purpose="plan")
    assert [(r.activity_id, r.unpredictable_pas) for r in pack.requirements] == [("mdt", None), ("oncall", 0.75)]
    again = tmp_path / "again"
    write_pack(pack, again)
    assert [r.unpredictable_pas for r in read_pack(again, purpose="plan").requirements] == [None, 0.75]
    (folder / "requirements.csv").write_text(
        "activity_id,sessions_per_week,day,period,min_clinicians,rota_size,unpredictable_pas\n"
        "mdt,,Tue,PM,2,,0.5\n"        # row 2: no rota
        "oncall,,Tue,EVE,,6,0.333\n"  # row 3: not a whole number of 120ths
        "oncall,,Wed,EVE,,6,-1\n")   # row 4: negative
    errors = [p for p in validate_pack(folder) if p.severity == "error"]
    assert {(p.source, p.row, p.column, p.value) for p in errors} >= {
        ("requirements.csv", 2, "unpredictable_pas", "0.5"),
        ("requirements.csv", 3, "unpredictable_pas", "0.333"),
        ("requirements.csv", 4, "unpredictable_pas", "-1"),
    }
    out = tmp_path / "plan"
    result = CliRunner().invoke(cli, ["plan", str(folder), "--out", str(out)])
    assert result.exit_code == 2 and "give rota_size" in result.output and "Traceback" not in result.output
    assert not out.exists()
