"""Alternate-week cells (a two-week cycle, week A / week B) and half SPA (issue 13 items 3 and 5), each on a
small pack whose plan is worked out by hand (arithmetic in the comments), plus the week labelling that makes
the room rule exact and the checker's own reading of the ``week`` column."""

from __future__ import annotations

from collections import Counter

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from test_solver_helpers import activity, cell, clinician, make_pack, reqs, run

from capacity_planner.pack.model import FixedRequirement, RoomCapacity, Slot
from capacity_planner.solver import SolveStatus, check_plan
from capacity_planner.solver.alternate import balanced_orientation, label_weeks
from capacity_planner.solver.problem import build_problem

MON_TUE = tuple(Slot(d, p, False) for d in ("Mon", "Tue") for p in ("AM", "PM"))
CLINIC_SPA = (activity("clinic", room_type="clinic_room"), activity("spa", "SPA"))


def _rows(plan: object) -> list[tuple[str, str, str, str, float, float, str]]:
    alloc = plan.allocation  # type: ignore[attr-defined]
    return [tuple(r) for r in alloc.itertuples(index=False)]


def test_a_contract_of_seven_and_a_half_pas_gets_an_alternate_week_clinic() -> None:
    # 7.5 PAs of 1-PA clinics, ten weekday slots: 7 weekly clinics (7 x 42 = 294 session-weeks) and one on
    # alternate weeks (21 weeks, 0.5 PA a week): 7.5 PAs, nothing unassigned, 294 + 21 = 315 supplied.
    pack = make_pack([clinician("A", 7.5)], [activity("clinic")], [("A", "clinic")])
    plan = run(pack, reqs({"clinic": 1000}))
    assert plan.status is SolveStatus.OPTIMAL
    assert plan.result.objective["unmet_routine"] == 1000 - 315
    assert plan.result.objective["unassigned_pas"] == 0
    row = plan.clinicians.iloc[0]
    assert (row.planned_pas, row.dcc_pas, row.unassigned_pas) == (7.5, 7.5, 0.0)
    halves = plan.allocation[plan.allocation["week"] != ""]
    assert halves[["activity_id", "pas", "weeks_per_year", "week"]].to_dict("records") == [
        {"activity_id": "clinic", "pas": 0.5, "weeks_per_year": 21.0, "week": "A"}]
    assert (plan.allocation["week"] == "").sum() == 7
    assert plan.gaps.set_index("activity_id").loc["clinic", "planned_sessions_per_year"] == 315


def test_a_spa_floor_of_one_and_a_half_costs_one_and_a_half_pas() -> None:
    # 10 PAs, SPA floor 1.5 (consultant 2003): one weekly SPA session (1 PA) and one on alternate weeks
    # (0.5 PA), whose other week is a clinic: 8.5 PAs of clinic = 8 x 42 + 21 = 357 session-weeks a year.
    # In whole sessions SPA would take 2 PAs and clinics 8 x 42 = 336: 21 session-weeks a year less.
    pack = make_pack([clinician("A", 10, spa=1.5)], CLINIC_SPA, [("A", "clinic"), ("A", "spa")])
    plan = run(pack, reqs({"clinic": 1000}))
    assert plan.status is SolveStatus.OPTIMAL
    assert plan.result.objective["unmet_routine"] == 1000 - 357
    row = plan.clinicians.iloc[0]
    assert (row.spa_pas, row.dcc_pas, row.unassigned_pas) == (1.5, 8.5, 0.0)
    halves = plan.allocation[plan.allocation["week"] != ""]
    assert len({(r.day, r.period) for r in halves.itertuples()}) == 1  # one slot on a two-week cycle
    assert sorted(zip(halves["week"], halves["activity_id"], strict=True)) in (
        [("A", "clinic"), ("B", "spa")], [("A", "spa"), ("B", "clinic")])
    assert set(halves["pas"]) == {0.5} and set(halves["weeks_per_year"]) == {21.0}


def test_two_half_time_clinicians_share_one_room_on_alternate_weeks() -> None:
    # A and B work 0.5 PA each, both only Mon-AM, where there is one clinic room. A weekly 1-PA clinic
    # fits neither; a clinic on alternate weeks fits both, one in week A and one in week B, so the room
    # is used once every week (model: 2 x 0 + 1 + 1 <= 2 x 1). Supply 21 + 21 = 42 of 100.
    slots = (Slot("Mon", "AM", False),)
    pack = make_pack([clinician("A", 0.5), clinician("B", 0.5)], CLINIC_SPA, [("A", "clinic"), ("B", "clinic")],
                     slots=slots, rooms=[RoomCapacity("clinic_room", "Mon", "AM", 1)])
    plan = run(pack, reqs({"clinic": 100}))  # run() passes every plan through the checker
    assert plan.result.objective["unmet_routine"] == 100 - 42
    assert sorted(plan.allocation["week"]) == ["A", "B"]
    both_in_a = plan.allocation.assign(week="A")
    violations = check_plan(pack, {"allocation": both_in_a})
    assert "Mon-AM: 2 sessions need a clinic_room but 1 are available (week A)" in violations


def test_a_weekly_session_turned_alternate_counts_one_change() -> None:
    # 4 PAs, SPA floor 1.5, current plan: clinic Mon AM and PM, SPA Tue AM and PM (SPA 2 PAs, its ceiling).
    # Clinics are short, so SPA goes down to 1.5 and one SPA slot alternates with a clinic:
    # 2.5 PAs of clinic = 2 x 42 + 21 = 105 session-weeks. Kept on alternate weeks counts as kept, so the
    # only change is the new alternate-week cell: 1 session changed, one row in changes.csv.
    current = [cell("A", "Mon", "AM", "clinic"), cell("A", "Mon", "PM", "clinic"),
               cell("A", "Tue", "AM", "spa"), cell("A", "Tue", "PM", "spa")]
    pack = make_pack([clinician("A", 4, spa=1.5)], CLINIC_SPA, [("A", "clinic"), ("A", "spa")],
                     slots=MON_TUE, job_plans=current)
    plan = run(pack, reqs({"clinic": 1000}))
    assert plan.result.objective["unmet_routine"] == 1000 - 105
    assert plan.result.objective["changes"] == 1
    assert plan.clinicians.loc[0, "changed_sessions"] == 1
    assert plan.summary.changed_sessions == 1
    (row,) = plan.changes.to_dict("records")
    assert (row["activity_before"], row["activity_after"]) == ("spa", "clinic")
    assert row["week"] in ("A", "B") and row["day"] == "Tue"


def test_alternate_week_cells_are_offered_only_where_they_can_help() -> None:
    acts = (activity("clinic"), activity("mdt"), activity("spa", "SPA"), activity("eve"))
    slots = (*MON_TUE, Slot("Mon", "EVE", True))
    skills = [(c, a) for c in ("whole", "half", "spa") for a in ("clinic", "mdt", "spa", "eve")]
    pack = make_pack([clinician("whole", 4), clinician("half", 3.5, out_of_hours_opt_in=True),
                      clinician("spa", 4, spa=1.5)], acts, skills, slots=slots,
                     requirements=[FixedRequirement("mdt", day="Tue", period="PM", min_clinicians=1)],
                     job_plans=[cell("half", "Mon", "AM", "clinic", locked=True)])
    problem = build_problem(pack, reqs({"clinic": 500, "mdt": 0, "eve": 100}))
    offered = {(problem.clinicians[c].clinician_id, problem.slots[s].label, problem.activities[a].activity_id)
               for c, s, a in problem.half_triples()}
    # whole sessions fill 4 PAs exactly and there is no SPA floor: nothing for "whole"
    assert not any(c == "whole" for c, _, _ in offered)
    # "half" (3.5 PAs): clinic and SPA in its unlocked normal-time slots; never the MDT (fixed
    # requirement), never the evening (premium time), never its locked Mon-AM
    assert {s for c, s, _ in offered if c == "half"} == {"Mon-PM", "Tue-AM", "Tue-PM"}
    assert {a for _, _, a in offered} == {"clinic", "spa", "eve"}  # SPA and DCC with demand; no MDT
    assert not any(s == "Mon-EVE" for _, s, _ in offered)
    assert any(c == "spa" for c, _, _ in offered)


def test_the_checker_reads_the_week_column_itself() -> None:
    pack = make_pack([clinician("A", 7.5)], [activity("clinic")], [("A", "clinic")])
    plan = run(pack, reqs({"clinic": 1000}))
    alloc = plan.allocation
    half = alloc[alloc["week"] == "A"].iloc[0]
    wrong_weeks = alloc.copy()
    wrong_weeks.loc[alloc["week"] == "A", "weeks_per_year"] = 42.0
    found = check_plan(pack, {"allocation": wrong_weeks})
    assert f"A {half.day}-{half.period} week A: weeks_per_year 42 but the cell runs 21 weeks a year" in found
    clash = pd.concat([alloc, pd.DataFrame([{**half.to_dict(), "week": ""}])], ignore_index=True)
    assert f"A {half.day}-{half.period}: more than one activity in one slot" in check_plan(pack, {"allocation": clash})
    bad = alloc.copy()
    bad.loc[alloc["week"] == "A", "week"] = "C"
    assert f"A {half.day}-{half.period} week C: week must be A, B or blank (every week)" in check_plan(
        pack, {"allocation": bad})


def test_week_labels_balance_every_room_type() -> None:
    # Slot 0: three clinicians each with clinic (room r) one week and SPA (no room) the other, and one with
    # a single clinic: four clinic halves in room r -> two in week A and two in week B.
    room_of = {0: "r", 1: None}
    halves = {(0, 0): (0, 1), (1, 0): (0, 1), (2, 0): (0, 1), (3, 0): (0,)}
    labels = label_weeks(halves, room_of)
    in_a = sum(1 for pair in labels.values() if pair[0] == 0)
    in_b = sum(1 for pair in labels.values() if pair[1] == 0)
    assert (in_a, in_b) == (2, 2)
    assert all(sorted(x for x in pair if x is not None) == sorted(halves[k]) for k, pair in labels.items())


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.sampled_from("abcdF"), st.sampled_from("abcdF")), max_size=12))
def test_balanced_orientation_keeps_every_vertex_within_one(edges: list[tuple[str, str]]) -> None:
    forward = balanced_orientation(edges)
    out, into = Counter(), Counter()
    for (u, v), f in zip(edges, forward, strict=True):
        out[u if f else v] += 1
        into[v if f else u] += 1
    assert all(abs(out[x] - into[x]) <= 1 for x in set(out) | set(into))
