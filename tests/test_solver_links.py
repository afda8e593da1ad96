"""Linked sessions (issue 19 item 3) on hand-worked packs: each semantic, counts, locks, decomposition.

Every pack is two slots (Mon AM, Tue AM), 42 working weeks, no planning year (so a weekly cell supplies
42 session-weeks a year, the even spread), and every plan goes through the independent checker
(``test_solver_helpers.run``).
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from test_solver_helpers import activity, cell, cells, clinician, make_pack, reqs, run

from capacity_planner.pack.model import Availability, FixedRequirement, Link, PlanningPack, Slot
from capacity_planner.solver import SolveStatus, check_plan
from capacity_planner.solver.constraints import Constraints
from capacity_planner.solver.decompose import find_parts
from capacity_planner.solver.model import AllocationModel
from capacity_planner.solver.problem import build_problem

SLOTS = (Slot("Mon", "AM", False), Slot("Tue", "AM", False))
SUPERVISED = Link("minor_ops", "nurse", "consultant")  # present (default), one consultant per list


def nurse_pack(*links: Link, nurses: int = 1, locked_tue: bool = False, consultant_activity: str = "clinic",
               ) -> PlanningPack:
    """Nurse N (2 PAs) may run minor ops in both slots; consultant C (1 PA) works Monday only (clinic)."""
    ns = [f"N{i}" if nurses > 1 else "N" for i in range(1, nurses + 1)]
    acts = [activity("minor_ops"), activity("clinic"), activity("ext", "ED")]
    jobs = [cell("N", "Tue", "AM", "minor_ops", locked=True)] if locked_tue else []
    if consultant_activity == "ext":
        jobs.append(cell("C", "Mon", "AM", "ext"))
    pack = make_pack([*(clinician(n, 2.0, group="nurse", contract="afc") for n in ns), clinician("C", 1.0)],
                     acts, [*((n, "minor_ops") for n in ns), ("C", consultant_activity)], slots=SLOTS,
                     availability=[Availability("C", "Tue", "AM", False)], job_plans=jobs)
    return dataclasses.replace(pack, links=links)


def test_present_supervisor_lets_the_nurse_list_run_only_where_the_consultant_works() -> None:
    # Need 84 (two lists a week) of minor ops and 42 of clinic. Without the link N runs both lists and C the
    # clinic: nothing unmet. With it, only Monday has a consultant on site (C, in clinic: present counts any
    # session), so N's Tuesday list cannot run: 42 unmet, N's Tuesday PA unassigned (1 PA x 42 weeks).
    demand = reqs({"minor_ops": 84, "clinic": 42})
    free = run(nurse_pack(), demand)
    assert cells(free) == {("N", "Mon", "AM"): "minor_ops", ("N", "Tue", "AM"): "minor_ops",
                           ("C", "Mon", "AM"): "clinic"}
    plan = run(nurse_pack(SUPERVISED), demand)
    assert plan.status is SolveStatus.OPTIMAL
    assert cells(plan) == {("N", "Mon", "AM"): "minor_ops", ("C", "Mon", "AM"): "clinic"}
    assert plan.result.objective["unmet_routine"] == pytest.approx(42.0)
    assert plan.result.objective["unassigned_pas"] == pytest.approx(42.0)


def test_external_duties_are_not_present() -> None:
    # C's Monday session is external duties (kept as held): C is away, so no nurse list runs at all.
    plan = run(nurse_pack(SUPERVISED, consultant_activity="ext"), reqs({"minor_ops": 84}))
    assert cells(plan) == {("C", "Mon", "AM"): "ext"}
    assert plan.result.objective["unmet_routine"] == pytest.approx(84.0)


def test_half_a_supervisor_per_list_lets_one_consultant_supervise_two_lists() -> None:
    # Two nurses, C on Monday only. Count 1: one list on Monday (42 of 84... plus Tuesday impossible):
    # 168 needed, 42 met. Count 0.5: both nurses' Monday lists run under C: 84 met.
    demand = reqs({"minor_ops": 168, "clinic": 42})
    one = run(nurse_pack(SUPERVISED, nurses=2), demand)
    assert sum(a == "minor_ops" for a in cells(one).values()) == 1
    assert one.result.objective["unmet_routine"] == pytest.approx(168 - 42)
    half = run(nurse_pack(dataclasses.replace(SUPERVISED, count=0.5), nurses=2), demand)
    assert cells(half) == {("N1", "Mon", "AM"): "minor_ops", ("N2", "Mon", "AM"): "minor_ops",
                           ("C", "Mon", "AM"): "clinic"}
    assert half.result.objective["unmet_routine"] == pytest.approx(168 - 84)


def theatre_pack(*links: Link) -> PlanningPack:
    """Surgeon S (2 PAs, theatre lists) and anaesthetist X (SAS, 2 PAs: anaesthesia or clinic)."""
    acts = [activity("theatre", priority=2), activity("anaesthesia"), activity("clinic")]
    pack = make_pack([clinician("S", 2.0), clinician("X", 2.0, group="sas", contract="sas_2021")], acts,
                     [("S", "theatre"), ("X", "anaesthesia"), ("X", "clinic")], slots=SLOTS)
    return dataclasses.replace(pack, links=links)


ANAESTHETIST = Link("theatre", None, None, "anaesthesia", "dedicated", 1.0)


def test_dedicated_anaesthetist_for_each_theatre_list() -> None:
    # Theatre needs 84 (priority 2), clinic 42 (priority 1); anaesthesia has no demand of its own. Without
    # the link: S runs both lists, X a clinic, and anaesthesia is never planned (no need). With it each
    # list needs X's anaesthesia session in the same slot: X gives both slots to anaesthesia (unmet
    # theatre would weigh 2 a session-week), the clinic is unmet (42).
    demand = reqs({"theatre": 84, "clinic": 42})
    free = run(theatre_pack(), demand)
    assert sorted(cells(free).values()) == ["clinic", "theatre", "theatre"]
    plan = run(theatre_pack(ANAESTHETIST), demand)
    assert cells(plan) == {("S", "Mon", "AM"): "theatre", ("S", "Tue", "AM"): "theatre",
                           ("X", "Mon", "AM"): "anaesthesia", ("X", "Tue", "AM"): "anaesthesia"}
    assert plan.result.objective["unmet_routine"] == pytest.approx(42.0)


def test_link_driven_anaesthesia_only_where_a_list_needs_it() -> None:
    # One list a week needed (42): one anaesthesia session in its slot, never a second one to fill X's time
    # (the per-slot cap of an activity only links need); X's other slot is the clinic.
    plan = run(theatre_pack(ANAESTHETIST), reqs({"theatre": 42, "clinic": 42}))
    got = cells(plan)
    assert sorted(got.values()) == ["anaesthesia", "clinic", "theatre"]
    (theatre_slot,) = [k[1:] for k, a in got.items() if a == "theatre"]
    assert got[("X", *theatre_slot)] == "anaesthesia"
    assert plan.result.objective["unmet_routine"] == 0


def test_no_links_table_leaves_the_model_byte_identical(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without links the rule adds nothing: the model is the one built with the rule switched off.
    demand = reqs({"minor_ops": 84, "clinic": 42})
    plain = AllocationModel(build_problem(nurse_pack(), demand)).cp.proto
    linked = AllocationModel(build_problem(nurse_pack(SUPERVISED), demand)).cp.proto
    assert len(linked.constraints) == len(plain.constraints) + 4  # a row and a clause per slot with a nurse list
    monkeypatch.setattr(Constraints, "linked_sessions", lambda self: None)
    assert str(AllocationModel(build_problem(nurse_pack(), demand)).cp.proto) == str(plain)


def test_a_locked_list_without_a_supervisor_is_explained() -> None:
    plan = run(nurse_pack(SUPERVISED, locked_tue=True), reqs({"minor_ops": 84, "clinic": 42}))
    assert plan.status is SolveStatus.INFEASIBLE
    assert plan.result.reasons == (
        "Tue-AM: N's locked minor_ops session needs 1 consultant in the slot (minor_ops (nurse) needs 1 "
        "consultant present), but nobody can be there",)


def test_a_split_pack_keeps_the_linked_clinicians_with_the_activity() -> None:
    # N (minor ops) and C (clinic) share nothing but the link: without it they are two parts.
    assert len(find_parts(nurse_pack())) == 2
    assert len(find_parts(nurse_pack(SUPERVISED))) == 1


def test_the_checker_finds_a_list_without_its_link() -> None:
    # The plan made without the link, checked against the pack with it: Tuesday's nurse list has no
    # consultant there; the theatre plan without the anaesthetist, likewise for both lists.
    demand = reqs({"minor_ops": 84, "clinic": 42})
    free = run(nurse_pack(), demand)
    assert check_plan(nurse_pack(SUPERVISED), free.tables, demand) == [
        "Tue-AM: 1 minor_ops session(s) need 1 linked (minor_ops (nurse) needs 1 consultant present) but 0 "
        "are there"]
    demand = reqs({"theatre": 84, "clinic": 42})
    free = run(theatre_pack(), demand)
    found = check_plan(theatre_pack(ANAESTHETIST), free.tables, demand)
    assert len(found) == 2 and all("theatre session(s) need 1 linked" in line for line in found)


def test_the_checker_finds_anaesthesia_no_list_needs() -> None:
    demand = reqs({"theatre": 42, "clinic": 0})
    plan = run(theatre_pack(ANAESTHETIST), demand)
    table = plan.tables["allocation"].copy()
    clinic = table["activity_id"] == "clinic"
    if clinic.any():  # X's other slot as a second anaesthesia session: nothing needs it
        table.loc[clinic, "activity_id"] = "anaesthesia"
    else:
        row = table[table["activity_id"] == "anaesthesia"].iloc[0].copy()
        row["day"] = "Tue" if row["day"] == "Mon" else "Mon"
        table = pd.concat([table, row.to_frame().T], ignore_index=True)
    found = check_plan(theatre_pack(ANAESTHETIST), {"allocation": table}, demand)
    assert any("anaesthesia session(s), more than the 0 its links need there" in line for line in found)


def test_the_gap_reason_names_the_missing_supervisor() -> None:
    plan = run(nurse_pack(SUPERVISED), reqs({"minor_ops": 84, "clinic": 42}))
    assert plan.gap_reasons.to_dict("records") == [
        {"activity_id": "minor_ops",
         "reason": "no consultant free in Tue-AM (minor_ops (nurse) needs 1 consultant present), when N has "
                   "time"}]


def test_the_checker_reads_each_week_of_an_alternate_week_slot() -> None:
    # Tuesday morning on alternate weeks: N runs minor ops in week A, consultant C is there in week B only.
    # Week A has a list and nobody to supervise it; week B has a supervisor and no list.
    pack = nurse_pack(SUPERVISED)
    pack = pack.replace(availability=())
    alloc = pd.DataFrame([("N", "Tue", "AM", "minor_ops", 0.5, 21.0, "A"),
                          ("C", "Tue", "AM", "clinic", 0.5, 21.0, "B")],
                         columns=["clinician_id", "day", "period", "activity_id", "pas", "weeks_per_year", "week"])
    found = [line for line in check_plan(pack, {"allocation": alloc}) if "linked" in line]
    assert found == ["Tue-AM (week A): 1 minor_ops session(s) need 1 linked (minor_ops (nurse) needs 1 "
                     "consultant present) but 0 are there"]
    alloc.loc[1, "week"] = "A"  # both in week A: kept
    assert [line for line in check_plan(pack, {"allocation": alloc}) if "linked" in line] == []


def test_a_requirement_the_link_forbids_is_explained_by_the_core() -> None:
    # A fixed Tuesday-morning list (min 1) that only nurse N can run, and no consultant on Tuesday: no pre-check
    # sees it (N is free and skilled), so the assumption core names the two rules.
    pack = nurse_pack(SUPERVISED).replace(requirements=(FixedRequirement("minor_ops", day="Tue", period="AM"),))
    plan = run(pack, reqs({"minor_ops": 84, "clinic": 42}))
    assert plan.status is SolveStatus.INFEASIBLE
    text = " ".join(plan.result.reasons)
    assert "each minor_ops session on Tue-AM needs 1 consultant in the slot (minor_ops (nurse) needs 1 " \
           "consultant present)" in text
    assert "minor_ops on Tue-AM needs at least 1 clinicians" in text


def test_a_link_in_a_named_service_is_met_by_that_services_clinicians_only() -> None:
    # Two services, each with a nurse's supervised list and a consultant's clinic, all on Monday morning.
    # Service B's consultant is in the building but is not a colleague of service A: A's list needs A's
    # consultant. The services stay separate parts when the pack is split.
    acts = [activity("ops_a", service="A"), activity("clinic_a", service="A"),
            activity("ops_b", service="B"), activity("clinic_b", service="B")]
    team = [clinician("NA", 1.0, group="nurse", contract="afc"), clinician("CA", 1.0),
            clinician("NB", 1.0, group="nurse", contract="afc"), clinician("CB", 1.0)]
    skills = [("NA", "ops_a"), ("CA", "clinic_a"), ("NB", "ops_b"), ("CB", "clinic_b")]
    pack = make_pack(team, acts, skills, slots=(Slot("Mon", "AM", False),)).replace(
        links=(Link("ops_a", "nurse", "consultant"), Link("ops_b", "nurse", "consultant")))
    assert [sorted(p.clinician_ids) for p in find_parts(pack)] == [["CA", "NA"], ["CB", "NB"]]
    # CA away: A's list cannot run although CB is there.
    away = pack.replace(availability=(Availability("CA", "Mon", "AM", False),))
    plan = run(away, reqs({"ops_a": 42, "ops_b": 42, "clinic_b": 42}))
    assert ("NA", "Mon", "AM") not in cells(plan) and cells(plan)[("NB", "Mon", "AM")] == "ops_b"
    allocation = pd.DataFrame([("NA", "Mon", "AM", "ops_a", 1.0, 42.0, ""), ("CB", "Mon", "AM", "clinic_b", 1.0,
                               42.0, "")], columns=["clinician_id", "day", "period", "activity_id", "pas",
                                                    "weeks_per_year", "week"])
    assert any("ops_a session(s) need 1 linked" in v for v in check_plan(away, {"allocation": allocation}))
