"""Weekly cover (issue 19 item 2) on hand-worked packs.

Planning year 2026/27, Monday 6 April 2026 to Sunday 4 April 2027. England and Wales bank holidays in it
(GOV.UK, https://www.gov.uk/bank-holidays): six fall on a Monday (6 April, 4 May, 25 May, 31 August,
28 December, 29 March 2027), three on a Friday, none on a Wednesday. A consultant with 42 working weeks
has 52 − 8/5 − 42 = 8.4 weeks of annual and study leave; with none of it in the ``leave`` table, a clinic
only they run misses 8.4 weeks whatever its day, and a Monday one misses the six bank-holiday weeks too:
14.4 weeks a year without the clinic, against 8.4 on a Wednesday.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp
from test_solver_helpers import activity, cell, cells, clinician, make_pack, reqs, run

from capacity_planner.calendar import bank_holidays
from capacity_planner.pack.model import Availability, ExpectedLeave, PlanningPack, Slot
from capacity_planner.solver import SolveStatus
from capacity_planner.solver.cover import absent_days
from capacity_planner.solver.problem import build_problem

if TYPE_CHECKING:
    import pytest

START = dt.date(2026, 4, 6)
MON_WED = (Slot("Mon", "AM", False), Slot("Wed", "AM", False))


def cover_pack(share: float | None = None, second: bool = False, **settings: object) -> PlanningPack:
    """Consultant A (1 PA, 42 weeks) runs the two-week-wait clinic on Monday morning and may run it on
    Wednesday instead; it must run every week (or ``share`` of the weeks). With ``second``, consultant B
    (1 PA, no current sessions) may run it too."""
    team = [clinician("A", 1.0), *([clinician("B", 1.0)] if second else [])]
    skills = [("A", "2ww"), *([("B", "2ww")] if second else [])]
    clinic = activity("2ww", rapid_access=True, min_weekly_sessions=1, share_of_weeks=share)
    return make_pack(team, [clinic], skills, slots=MON_WED, job_plans=[cell("A", "Mon", "AM", "2ww")],
                     start=START, **settings)


def level(plan: object, name: str) -> float | None:
    return {lv.name: lv.objective for lv in plan.result.levels}.get(name)  # type: ignore[attr-defined]


def test_a_week_is_missed_on_its_bank_holiday_day_and_in_recorded_leave() -> None:
    days = absent_days(START, {dt.date(2026, 7, 6): 1.0, dt.date(2026, 5, 4): 0.2})
    assert days[0] == frozenset({"Mon"})  # Easter Monday
    assert days[4] == frozenset({"Mon"})  # early May: one day of leave recorded is the bank holiday itself
    assert days[13] == frozenset({"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"})  # a week of leave
    assert days[1] == frozenset()
    assert sum("Mon" in d for d in absent_days(START, None)) == 6


def test_the_rows_group_weeks_with_one_calendar_and_add_each_clinicians_unrecorded_leave() -> None:
    [rule] = build_problem(cover_pack(), reqs({"2ww": 37}, rapid=["2ww"])).cover
    by_cells = {row.cells: row for row in rule.rows if row.away is None}
    # Mon AM is slot 0, Wed AM slot 1: 46 ordinary weeks run both cells, the six Monday bank holidays only
    # Wednesday's; and 8.4 weeks of A's leave (84 tenths) with no cell left.
    assert {cells_: row.tenths for cells_, row in by_cells.items()} == {((0, 0), (0, 1)): 460, ((0, 1),): 60}
    assert [(row.away, row.cells, row.tenths) for row in rule.rows if row.away] == [("A", (), 84)]
    assert (rule.sessions, rule.allowed_tenths) == (1, 0)


def test_the_clinic_moves_to_wednesday_where_only_leave_misses_a_week() -> None:
    # Need 37 sessions a year: Monday's 37.6 -> 38 meets it, so without the rule nothing moves. With it,
    # Monday misses 14.4 weeks and Wednesday 8.4 (A's leave, which no plan can cover with A alone).
    plan = run(cover_pack(), reqs({"2ww": 37}, rapid=["2ww"]))
    assert plan.status is SolveStatus.OPTIMAL
    assert cells(plan) == {("A", "Wed", "AM"): "2ww"}
    assert level(plan, "weekly_cover") == 8.4
    plain = run(dataclasses.replace(cover_pack(), activities=(activity("2ww", rapid_access=True),)),
                reqs({"2ww": 37}, rapid=["2ww"]))
    assert cells(plain) == {("A", "Mon", "AM"): "2ww"} and level(plain, "weekly_cover") is None


def test_a_share_of_weeks_allows_the_weeks_it_leaves_out() -> None:
    # 0.7 of the weeks: 15.6 may be missed, Monday's 14.4 is within it, so the clinic stays on Monday.
    plan = run(cover_pack(share=0.7), reqs({"2ww": 37}, rapid=["2ww"]))
    assert cells(plan) == {("A", "Mon", "AM"): "2ww"} and level(plan, "weekly_cover") == 0.0
    # 0.8: 10.4 may be missed; Monday leaves 4 weeks beyond that, Wednesday none.
    plan = run(cover_pack(share=0.8), reqs({"2ww": 37}, rapid=["2ww"]))
    assert cells(plan) == {("A", "Wed", "AM"): "2ww"} and level(plan, "weekly_cover") == 0.0


def test_a_second_clinician_covers_the_weeks_the_first_is_away() -> None:
    # B's Wednesday clinic covers A's leave and the Monday bank holidays; A's Monday covers B's leave. The
    # 38 + 44 sessions are more than the 37 needed: without the rule, B's clinic would be a surplus session
    # nobody needs and B's PA stays unassigned.
    plan = run(cover_pack(second=True), reqs({"2ww": 37}, rapid=["2ww"]))
    assert plan.status is SolveStatus.OPTIMAL
    assert cells(plan) == {("A", "Mon", "AM"): "2ww", ("B", "Wed", "AM"): "2ww"}
    assert level(plan, "weekly_cover") == 0.0
    plain = run(dataclasses.replace(cover_pack(second=True), activities=(activity("2ww", rapid_access=True),)),
                reqs({"2ww": 37}, rapid=["2ww"]))
    assert cells(plain) == {("A", "Mon", "AM"): "2ww"}


def test_recorded_leave_is_read_week_by_week() -> None:
    # A records ten whole weeks from 6 July (more than the 8.4 of the contract: none is left unrecorded). With
    # the clinic on Wednesday the ten weeks are missed; on Monday the summer bank holiday is one of them, so
    # Monday misses 10 + 5 = 15.
    leave = {"clinician_id": ["A"] * 10, "week_start": [START + dt.timedelta(weeks=13 + k) for k in range(10)],
             "weeks": [1.0] * 10}
    frame = pd.DataFrame(leave).astype({"week_start": "datetime64[ns]"})
    pack = cover_pack().replace(leave=frame)
    [rule] = build_problem(pack, reqs({"2ww": 37}, rapid=["2ww"])).cover
    assert not [row for row in rule.rows if row.away]
    plan = run(pack, reqs({"2ww": 37}, rapid=["2ww"]))
    assert cells(plan) == {("A", "Wed", "AM"): "2ww"} and level(plan, "weekly_cover") == 10.0


def test_the_checker_rederives_the_weeks_without_cover() -> None:
    from capacity_planner.solver import check_plan

    plan = run(cover_pack(), reqs({"2ww": 37}, rapid=["2ww"]))
    levels = [dict(lv, objective=14.4) if lv["name"] == "weekly_cover" else lv for lv in plan.summary.levels]
    wrong = dataclasses.replace(plan.summary, levels=levels)
    assert check_plan(plan.pack, plan.tables, plan.requirements, None, {}, wrong) == [
        "summary: weekly_cover is 14.4 weeks, recomputed 8.4"]
    # Monday's plan, checked on its own: 6 bank-holiday weeks and A's 8.4 weeks of leave.
    monday = plan.tables["allocation"].assign(day="Mon")
    assert check_plan(plan.pack, {"allocation": monday}, None, None, {}, wrong) == []


def test_the_gap_reasons_name_the_weeks_and_the_leave_nobody_covers() -> None:
    plan = run(cover_pack(share=0.7), reqs({"2ww": 37}, rapid=["2ww"]))  # Monday kept: within the share
    reasons = list(plan.gap_reasons["reason"])
    assert reasons == [
        "weekly cover (1 session a week) missed in 6 weeks: the weeks of 06 Apr 2026, 04 May 2026, 25 May 2026, "
        "31 Aug 2026, 28 Dec 2026, 29 Mar 2027 (bank holidays and recorded leave take its sessions then)",
        "weekly cover (1 session a week) missed in the 8.4 weeks a year A is on leave (not in the leave "
        "table): nobody else runs enough 2ww sessions",
        "the share of weeks asked allows 15.6 weeks without it"]
    covered = run(cover_pack(second=True), reqs({"2ww": 37}, rapid=["2ww"]))
    assert covered.gap_reasons.empty


# ---- HiGHS cross-check --------------------------------------------------------------------------------
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri")


@st.composite
def cover_packs(draw: st.DrawFn) -> PlanningPack:
    """1-3 clinicians (1-3 PAs, 42 or 45 working weeks) who may all run the two-week-wait clinic on weekday
    mornings (some mornings not worked), some with whole weeks of leave recorded or a day of it over a bank
    holiday week; the clinic needs 1 or 2 sessions a week, in every week or 90 % of them. Demand is far
    above what the team can give, so the weekly cover level is all that decides the clinics' days."""
    start = draw(st.sampled_from([dt.date(2026, 4, 6), dt.date(2027, 4, 5)]))
    team, skills, off, leave = [], [], [], []
    for c in range(draw(st.integers(1, 3))):
        cid = f"C{c}"
        team.append(clinician(cid, float(draw(st.integers(1, 3))), weeks=draw(st.sampled_from([42.0, 45.0]))))
        skills.append((cid, "2ww"))
        off += [Availability(cid, d, "AM", False) for d in draw(st.lists(st.sampled_from(WEEKDAYS), max_size=2,
                                                                         unique=True))]
        for j in draw(st.lists(st.integers(0, 51), max_size=3, unique=True)):
            leave.append((cid, start + dt.timedelta(weeks=j), draw(st.sampled_from([1.0, 1.0, 0.2]))))
    clinic = activity("2ww", rapid_access=True, min_weekly_sessions=draw(st.integers(1, 2)),
                      share_of_weeks=draw(st.sampled_from([None, 0.9])))
    pack = make_pack(team, [clinic], skills, slots=[Slot(d, "AM", False) for d in WEEKDAYS], availability=off,
                     start=start, expected_leave=draw(st.sampled_from(["none", "none", "england"])))
    frame = pd.DataFrame(leave, columns=["clinician_id", "week_start", "weeks"])
    periods = []  # expected leave patterns (solver/expected_leave.py): 0-2 periods of 1-30 days
    for _ in range(draw(st.integers(0, 2))):
        first = start + dt.timedelta(days=draw(st.integers(0, 360)))
        periods.append(ExpectedLeave(first, first + dt.timedelta(days=draw(st.integers(0, 30))),
                                     draw(st.sampled_from([0.1, 0.25, 0.5, 0.6]))))
    return pack.replace(leave=frame.astype({"week_start": "datetime64[ns]"}), expected_leave=tuple(periods))


def highs_weekly_cover(pack: PlanningPack) -> float:
    """The least weeks a year without the cover, from an independent MILP solved by HiGHS: one row per week
    of the year (not grouped), one per clinician's leave not recorded (docs/method.md, "Weekly cover");
    in weeks with expected leave each cell counts at its clinician's chance of being at work, in hundredths
    (docs/method.md, "Expected leave patterns")."""
    start = pack.settings.start
    assert start is not None
    holidays = set(bank_holidays(start.year, start.year + 2))
    k = pack.activities[0].min_weekly_sessions or 0
    share = pack.activities[0].share_of_weeks or 1.0
    leave: dict[tuple[str, dt.date], float] = {}
    for cid, week, f in zip(pack.leave["clinician_id"], pack.leave["week_start"], pack.leave["weeks"], strict=True):
        key = (cid, pd.Timestamp(week).date())
        leave[key] = min(1.0, leave.get(key, 0.0) + f)
    off = {(a.clinician_id, a.day) for a in pack.availability}
    cells = [(c.clinician_id, d) for c in pack.clinicians for d in WEEKDAYS if (c.clinician_id, d) not in off]
    ids = [c.clinician_id for c in pack.clinicians]
    n_x, n_w, n_c = len(cells), 52, len(ids)
    n = n_x + n_w + n_c + 1  # x cells, y weeks covered, d clinicians' leave covered, v
    rows, lo = [], []
    for c in pack.clinicians:  # sessions within contracted PAs (one PA each)
        row = np.zeros(n)
        row[[i for i, (cid, _) in enumerate(cells) if cid == c.clinician_id]] = -1
        rows.append(row)
        lo.append(-c.contracted_pas)
    periods = [(p.start, p.end, p.share_away) for p in pack.expected_leave]
    if pack.settings.expected_leave == "england":  # the documented defaults, written out here
        periods += [(dt.date(start.year, 7, 22), dt.date(start.year, 8, 31), 0.25),
                    (dt.date(start.year, 12, 24), dt.date(start.year + 1, 1, 1), 0.5)]
    away = [max([s for first, last, s in periods
                 if any(first <= start + dt.timedelta(weeks=j, days=i) <= last for i in range(5))], default=0.0)
            for j in range(52)]
    unrecorded, chance = [], {}
    for c in pack.clinicians:
        recorded = sum(f for (cid, _), f in leave.items() if cid == c.clinician_id)
        ell = max(0.0, 52 - 1.6 - c.working_weeks - recorded)
        scale = min(1.0, ell / sum(away)) if sum(away) else 1.0
        chance[c.clinician_id] = [math.floor(100 * (1 - scale * a) + 0.5) for a in away]
        unrecorded.append(math.floor(10 * max(0.0, ell - sum(away)) + 0.5))
    for j in range(n_w):
        monday = start + dt.timedelta(weeks=j)
        holiday_share = sum(monday + dt.timedelta(days=i) in holidays for i in range(5)) / 5
        row = np.zeros(n)
        for i, (cid, day) in enumerate(cells):
            date = monday + dt.timedelta(days=WEEKDAYS.index(day))
            gone = leave.get((cid, monday), 0.0) - holiday_share > 1e-9
            row[i] = 0 if date in holidays or gone else chance[cid][j]
        row[n_x + j] = -100 * k
        rows.append(row)
        lo.append(0)
    for ci, cid in enumerate(ids):
        row = np.zeros(n)
        row[[i for i, (other, _) in enumerate(cells) if other != cid]] = 1
        row[n_x + n_w + ci] = -k
        rows.append(row)
        lo.append(0)
    row = np.zeros(n)  # v >= 10 (52 - sum y) + sum l (1 - d) - allowed
    row[n_x:n_x + n_w] = 10
    row[n_x + n_w:n_x + n_w + n_c] = unrecorded
    row[-1] = 1
    rows.append(row)
    lo.append(520 + sum(unrecorded) - math.floor(520 * (1 - share) + 0.5))
    cost = np.zeros(n)
    cost[-1] = 1
    integrality = np.ones(n)
    integrality[-1] = 0
    upper = np.ones(n)
    upper[-1] = np.inf
    res = milp(cost, constraints=LinearConstraint(np.array(rows), lo, np.inf), integrality=integrality,
               bounds=Bounds(np.zeros(n), upper))
    assert res.success, res.message
    return round(res.fun) / 10


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(cover_packs())
def test_the_weekly_cover_level_matches_an_independent_milp(pack: PlanningPack) -> None:
    plan = run(pack, reqs({"2ww": 10_000}, rapid=["2ww"]))
    assert plan.status is SolveStatus.OPTIMAL
    assert level(plan, "weekly_cover") == highs_weekly_cover(pack)


def test_an_mdt_quorum_read_week_by_week_timetables_a_third_member() -> None:
    # Quorum 2 on Tuesday afternoon (no bank holiday falls on a Tuesday in 2026/27). Two members timetabled
    # meet it on paper, but in the 8.4 weeks each is on leave only one is there: 16.8 weeks without a
    # quorum. A third member covers either's leave: 0 weeks. Without share_of_weeks the quorum is read as
    # heads timetabled, and a third member would be a session nobody needs.
    from capacity_planner.pack.model import FixedRequirement

    team = [clinician(c, 1.0) for c in "ABC"]
    slots = (Slot("Tue", "PM", False),)

    def mdt_pack(share: float | None) -> PlanningPack:
        return make_pack(team, [activity("mdt")], [(c, "mdt") for c in "ABC"], slots=slots, start=START,
                         requirements=[FixedRequirement("mdt", day="Tue", period="PM", min_clinicians=2,
                                                        share_of_weeks=share)])

    plan = run(mdt_pack(1.0), reqs({}))
    assert plan.status is SolveStatus.OPTIMAL
    assert cells(plan) == {(c, "Tue", "PM"): "mdt" for c in "ABC"} and level(plan, "weekly_cover") == 0.0
    plain = run(mdt_pack(None), reqs({}))
    assert len(cells(plain)) == 2 and level(plain, "weekly_cover") is None
    # With only two members able to attend, the quorum is missed in each one's leave, and the plan says so.
    two = run(mdt_pack(1.0).replace(clinicians=tuple(team[:2]), skills=mdt_pack(1.0).skills[:2]), reqs({}))
    assert level(two, "weekly_cover") == 16.8
    assert list(two.gap_reasons["reason"]) == [
        f"quorum of 2 on Tue-PM missed in the 8.4 weeks a year {c} is on leave (not in the leave table): nobody "
        "else runs enough mdt sessions" for c in "AB"]


def test_a_share_of_weeks_no_rule_reads_is_a_warning(tmp_path: object) -> None:
    import shutil
    from pathlib import Path

    from capacity_planner.pack.read import validate_pack

    folder = Path(str(tmp_path)) / "pack"
    shutil.copytree(Path(__file__).parent / "data" / "tiny", folder)
    acts = pd.read_csv(folder / "activities.csv")
    acts["share_of_weeks"] = [0.9] + [None] * (len(acts) - 1)  # no min_weekly_sessions
    acts.to_csv(folder / "activities.csv", index=False)
    problems = validate_pack(folder)
    found = [p for p in problems if p.column == "share_of_weeks"]
    assert [(p.source, p.row, p.severity) for p in found] == [("activities.csv", 2, "warning")]
    assert "applies with min_weekly_sessions" in found[0].message


def test_a_part_cut_short_at_weekly_cover_reports_its_final_plans_weeks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Found on the trust pack under load (docs/benchmarks.md, session 11): parts stopped early at the
    weekly_cover level, and the joined summary said 1224 weeks where the checker, reading the plan,
    recomputed 1010.4. A search stopped early holds a plan whose covered-row indicators may be 0 in weeks
    its cells cover (they are only bounded below), and the later levels keep only that value. Here the
    first part's weekly_cover search is made to stop holding the worst such plan (every indicator 0,
    status feasible): 52 calendar weeks + A's and B's 8.4 weeks of unrecorded leave = 68.8 weeks. The later
    levels, kept only within 68.8, still end at the plan of the test above (A's Monday clinic, B's Wednesday
    one: the fairness level spreads the clinic to B), which misses no week: 0 is the figure the summary
    must give, as for the second part, solved in full. Before the fix the summary said 68.8 and the plan
    failed the independent check ("summary: weekly_cover is 68.8 weeks, recomputed 0")."""
    from test_solver_decompose import _joined, _renamed

    from capacity_planner.demand.requirements import Requirements
    from capacity_planner.solver import check_plan

    S = importlib.import_module("capacity_planner.solver.solve")  # the module: solver.solve is its function

    real = S._Run.record
    cut: list[int] = []

    def stopped_early(self: S._Run, search: S._Search, outcome: S._Outcome) -> bool:
        if search.level.name == "weekly_cover" and not cut:
            clone = self.model.cp.clone()
            for i, var in enumerate(clone.proto.variables):
                if var.name.startswith("covered["):
                    clone.add(clone.get_bool_var_from_proto_index(i) == 0)
            solver = S.cp_model.CpSolver()
            solver.parameters.num_workers = 1
            assert solver.solve(clone) in (S.cp_model.OPTIMAL, S.cp_model.FEASIBLE)
            cut.append(round(solver.objective_value))
            outcome.solver, outcome.status, outcome.bound = solver, SolveStatus.FEASIBLE, 0.0
        return real(self, search, outcome)

    monkeypatch.setattr(S._Run, "record", stopped_early)
    a, b = _renamed(cover_pack(second=True), "a."), _renamed(cover_pack(second=True), "b.")
    both = Requirements(pd.concat([reqs({f"{p}.2ww": 37}, rapid=[f"{p}.2ww"]).table for p in "ab"],
                                  ignore_index=True))
    plan = run(_joined(a, b), both, check=False, workers=1)
    assert cut == [688] and len(plan.parts) == 2
    assert cells(plan) == {(f"{p}.A", "Mon", "AM"): f"{p}.2ww" for p in "ab"} | {
        (f"{p}.B", "Wed", "AM"): f"{p}.2ww" for p in "ab"}
    [cover_a] = [lv for lv in plan.parts[0].result.levels if lv.name == "weekly_cover"]
    assert cover_a.status is SolveStatus.FEASIBLE and (cover_a.objective, cover_a.bound) == (0.0, 0.0)
    assert [level(p, "weekly_cover") for p in plan.parts] == [0.0, 0.0]
    assert level(plan, "weekly_cover") == 0.0
    assert check_plan(plan.pack, plan.tables, both, None, {}, plan.summary) == []
