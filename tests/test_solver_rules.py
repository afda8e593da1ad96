"""Each allocation rule on tiny hand-worked packs: a feasible case, an infeasible one, an exact penalty."""

from __future__ import annotations

import pytest
from test_solver_helpers import activity, cell, cells, clinician, make_pack, reqs, run

from capacity_planner.errors import InfeasiblePlanError
from capacity_planner.pack.model import Availability, FixedRequirement, RoomCapacity, Skill, Slot
from capacity_planner.solver import (
    Allowances,
    PurchasedSessions,
    ScalingError,
    SolveStatus,
    check_plan,
    plan_allocation,
)

MON = (Slot("Mon", "AM", False), Slot("Mon", "PM", False))
MON_TUE = (*MON, Slot("Tue", "AM", False), Slot("Tue", "PM", False))
CLINIC_ADMIN = (activity("clinic"), activity("admin", "OTHER"))


def both(cid: str) -> list[tuple[str, str]]:
    return [(cid, "clinic"), (cid, "admin")]


def test_skills_limit_supply_exact_unmet() -> None:
    pack = make_pack([clinician("A", 2)], CLINIC_ADMIN, both("A"), slots=MON)
    plan = run(pack, reqs({"clinic": 100}))
    assert plan.status is SolveStatus.OPTIMAL
    assert plan.result.objective["unmet_routine"] == 100 - 2 * 42
    gaps = plan.gaps.set_index("activity_id")
    assert gaps.loc["clinic", "gap_sessions_per_year"] == 16
    assert gaps.loc["clinic", "gap_dcc_hours_per_year"] == 16 * 4


def test_unskilled_activity_stays_unmet() -> None:
    pack = make_pack([clinician("A", 2)], CLINIC_ADMIN, [("A", "admin")], slots=MON)
    plan = run(pack, reqs({"clinic": 100}))
    # admin has no need (no demand, no current plan, no requirement): A's 2 PAs stay unassigned, saying why.
    assert cells(plan) == {}
    assert plan.clinicians.loc[0, "unassigned_reason"] == (
        "no further need for admin (demand, current supply and fixed requirements are covered)")
    assert plan.result.objective["unmet_routine"] == 100
    assert plan.gap_reasons.to_dict("records") == [{"activity_id": "clinic",
                                                     "reason": "no clinician is skilled in clinic"}]


def test_current_plan_counts_as_skill() -> None:
    pack = make_pack([clinician("A", 2)], CLINIC_ADMIN, [("A", "admin")], slots=MON,
                     job_plans=[cell("A", "Mon", "AM", "clinic")])
    plan = run(pack, reqs({"clinic": 100}))
    assert cells(plan) == {("A", "Mon", "AM"): "clinic", ("A", "Mon", "PM"): "clinic"}
    assert plan.result.objective["unmet_routine"] == 16


def test_unavailable_slot_leaves_contracted_time_unassigned_with_its_reason() -> None:
    # A (2 PAs) works only Mon-AM: 1 clinic (42 session-weeks), unmet 100 - 42 = 58; 1 PA a week
    # (42 PA-weeks a year) unassigned, reported with why. (This used to be infeasible.)
    pack = make_pack([clinician("A", 2)], CLINIC_ADMIN, both("A"), slots=MON,
                     availability=[Availability("A", "Mon", "PM", False)])
    plan = run(pack, reqs({"clinic": 100}))
    assert plan.status is SolveStatus.OPTIMAL
    assert cells(plan) == {("A", "Mon", "AM"): "clinic"}
    assert plan.result.objective["unmet_routine"] == 58
    assert plan.result.objective["unassigned_pas"] == 42
    assert plan.summary.unassigned_pas == 1.0
    assert plan.clinicians.loc[0, "unassigned_reason"] == (
        "every slot A works is used (1 sessions, fewer PAs than contracted: slots not worked or "
        "alternate-week sessions)")


def test_rooms_cap_sessions_per_slot() -> None:
    acts = (activity("clinic", room_type="clinic_room"), activity("admin", "OTHER"))
    rooms = [RoomCapacity("clinic_room", "Mon", "AM", 1), RoomCapacity("clinic_room", "Mon", "PM", 0)]
    pack = make_pack([clinician("A", 1), clinician("B", 1)], acts, both("A") + both("B"), slots=MON,
                     rooms=rooms)
    plan = run(pack, reqs({"clinic": 1000}))
    assert plan.result.objective["unmet_routine"] == 1000 - 42
    assert sorted(cells(plan).values()) == ["clinic"]  # the other clinician's PA stays unassigned
    clinic_slots = [(d, p) for (_, d, p), a in cells(plan).items() if a == "clinic"]
    assert clinic_slots == [("Mon", "AM")]


def test_room_type_absent_from_rooms_is_unlimited() -> None:
    acts = (activity("clinic", room_type="other_room"), activity("admin", "OTHER"))
    pack = make_pack([clinician("A", 2), clinician("B", 2)], acts, both("A") + both("B"), slots=MON,
                     rooms=[RoomCapacity("clinic_room", "Mon", "AM", 0)])
    assert run(pack, reqs({"clinic": 1000})).result.objective["unmet_routine"] == 1000 - 4 * 42


def test_fractional_contract_leaves_less_than_one_session_unallocated() -> None:
    # 7.25 PAs of 1-PA clinics: 7 weekly clinics; an alternate-week one (0.5 PA) would exceed the 0.25 left
    pack = make_pack([clinician("A", 7.25)], [activity("clinic")], [("A", "clinic")])
    plan = run(pack, reqs({"clinic": 1000}))
    assert plan.status is SolveStatus.OPTIMAL
    assert plan.result.objective["unassigned_pas"] == 0.25 * 42  # PA-weeks a year
    assert plan.clinicians.loc[0, "planned_pas"] == 7.0
    assert plan.summary.unassigned_pas == 0.25
    assert plan.clinicians.loc[0, "unassigned_reason"] == "less than one session of contracted time is left"


def test_fractional_contract_met_exactly_with_a_longer_list() -> None:
    acts = (activity("clinic"), activity("theatre", pa_value=1.5))
    pack = make_pack([clinician("A", 7.5)], acts, [("A", "clinic"), ("A", "theatre")])
    plan = run(pack, reqs({"clinic": 252, "theatre": 42}))  # 1 theatre list (1.5) + 6 clinics = 7.5 PAs
    assert plan.result.objective["unassigned_pas"] == 0
    assert plan.result.objective["unmet_routine"] == 0
    assert sorted(cells(plan).values()).count("theatre") == 1
    assert plan.clinicians.loc[0, "planned_pas"] == 7.5


def test_unmet_demand_comes_before_leftover_pas() -> None:
    # The surgeon: 10 PAs, theatre lists of 1.25 PAs (at most 7 a week), clinics of 1 PA.
    # Filling every PA (4 lists + 5 clinics = 10) leaves 1000 - 4 x 42 = 832 list-weeks unmet; 7 lists +
    # 1 clinic = 9.75 PAs leaves 1000 - 7 x 42 = 706 unmet and 0.25 PA (10.5 PA-weeks a year) unassigned.
    acts = (activity("clinic"), activity("theatre", pa_value=1.25))
    skills = [("A", "clinic"), Skill("A", "theatre", 7)]
    pack = make_pack([clinician("A", 10)], acts, skills)
    plan = run(pack, reqs({"clinic": 42, "theatre": 1000}))
    assert sorted(cells(plan).values()).count("theatre") == 7
    assert sorted(cells(plan).values()).count("clinic") == 1
    assert plan.result.objective["unmet_routine"] == 706
    assert plan.result.objective["unassigned_pas"] == 10.5
    assert plan.summary.unassigned_pas == 0.25


def test_additional_pas_only_when_allowed_and_costed() -> None:
    a = clinician("A", 2, max_pas=4, apa_cost_per_pa=12000.0)
    pack = make_pack([a], CLINIC_ADMIN, both("A"), slots=MON_TUE)
    assert run(pack, reqs({"clinic": 1000})).result.objective["unmet_routine"] == 1000 - 2 * 42
    allowed = run(pack.replace(settings=pack.settings.__class__(allow_additional_pas=True)),
                  reqs({"clinic": 1000}))
    assert allowed.result.objective["unmet_routine"] == 1000 - 4 * 42
    assert allowed.result.objective["cost"] == 24000
    assert allowed.summary.annual_cost == 24000
    assert allowed.clinicians.loc[0, "apa_pas"] == 2
    one = run(pack, reqs({"clinic": 1000}), allowances=Allowances(additional_pas_per_clinician=1))
    assert one.result.objective["unmet_routine"] == 1000 - 3 * 42
    assert one.result.objective["cost"] == 12000


def test_additional_pas_total_cap_and_cheapest_first() -> None:
    a = clinician("A", 2, max_pas=4, apa_cost_per_pa=15000.0)
    b = clinician("B", 2, max_pas=4, apa_cost_per_pa=11000.0)
    pack = make_pack([a, b], CLINIC_ADMIN, both("A") + both("B"), slots=MON_TUE)
    plan = run(pack, reqs({"clinic": 1000}),
               allowances=Allowances(additional_pas_per_clinician=2, additional_pas_total=1))
    assert plan.result.objective["unmet_routine"] == 1000 - 5 * 42
    assert plan.result.objective["cost"] == 11000
    assert plan.clinicians.set_index("clinician_id").loc["B", "apa_pas"] == 1


def test_spa_floor_and_pro_rata() -> None:
    acts = (activity("clinic"), activity("spa", "SPA"))
    pack = make_pack([clinician("A", 4, spa=1.5)], acts, [("A", "clinic"), ("A", "spa")], slots=MON_TUE)
    plan = run(pack, reqs({"clinic": 1000}))
    # 1.5 PAs of SPA: one weekly 1-PA session and one on alternate weeks (0.5 PA), whose other week is a
    # clinic: 2.5 PAs of clinic, 2 x 42 + 21 = 105 session-weeks a year (whole sessions would give 84)
    assert plan.clinicians.loc[0, "spa_pas"] == 1.5
    assert plan.result.objective["unmet_routine"] == 1000 - 105
    pro_rata = run(pack.replace(settings=pack.settings.__class__(spa_pro_rata=True)), reqs({"clinic": 1000}))
    assert pro_rata.clinicians.loc[0, "spa_pas"] == 1  # 1.5 x 4 / 10 = 0.6 PAs: more than half a session
    assert pro_rata.result.objective["unmet_routine"] == 1000 - 3 * 42


def test_spa_floor_without_spa_skill_is_explained() -> None:
    acts = (activity("clinic"), activity("spa", "SPA"))
    pack = make_pack([clinician("A", 4, spa=1.5)], acts, [("A", "clinic")], slots=MON_TUE)
    plan = run(pack, reqs({"clinic": 100}))
    assert plan.result.reasons == ("A: needs at least 1.5 PAs of SPA but is not skilled in any SPA activity "
                                   "(add a skills row such as 'A,<SPA activity>')",)


EVE = (Slot("Mon", "AM", False), Slot("Mon", "EVE", True))


def test_premium_time_counts_four_thirds_and_needs_opt_in() -> None:
    acts = (activity("eve_clinic", pa_value=0.75), activity("clinic"))
    skills = [("A", "eve_clinic")]
    opted = make_pack([clinician("A", 1, out_of_hours_opt_in=True)], acts, skills, slots=EVE)
    plan = run(opted, reqs({"eve_clinic": 100}))
    assert plan.allocation.to_dict("records") == [
        {"clinician_id": "A", "day": "Mon", "period": "EVE", "activity_id": "eve_clinic", "pas": 1.0,
         "weeks_per_year": 42.0, "week": "", "half": ""}]
    assert plan.clinicians.loc[0, "out_of_hours_pas"] == 1.0
    not_opted = run(make_pack([clinician("A", 1)], acts, skills, slots=EVE[1:]), reqs({"eve_clinic": 100}))
    assert cells(not_opted) == {}
    assert not_opted.clinicians.loc[0, "unassigned_reason"] == (
        "the free slots Mon-EVE are out of hours and A has not opted in to out-of-hours work")


def test_premium_session_of_one_pa_value_counts_one_and_a_third() -> None:
    acts = (activity("clinic"),)
    pack = make_pack([clinician("A", 4, max_pas=12, out_of_hours_opt_in=True)], acts, [("A", "clinic")],
                     slots=(*MON, Slot("Mon", "EVE", True), Slot("Tue", "EVE", True),
                            Slot("Wed", "EVE", True)), allow_additional_pas=True)
    plan = run(pack, reqs({"clinic": 1000}))
    assert plan.result.objective["unmet_routine"] == 1000 - 5 * 42  # 2 + 3 x 4/3 = 6 PAs
    assert plan.clinicians.loc[0, "planned_pas"] == 6.0
    assert plan.clinicians.loc[0, "out_of_hours_pas"] == 4.0


def test_sas_out_of_hours_share_is_capped_at_40_percent() -> None:
    acts = (activity("eve_clinic", pa_value=0.75), activity("clinic"))
    slots = (*MON, Slot("Tue", "AM", False), Slot("Mon", "EVE", True), Slot("Tue", "EVE", True))
    for contract, group, expected in (("sas_2021", "sas", 1.0), ("consultant_2003", "consultant", 2.0)):
        c = clinician("S", 3, group=group, contract=contract, out_of_hours_opt_in=True)
        pack = make_pack([c], acts, [("S", "eve_clinic"), ("S", "clinic")], slots=slots)
        plan = run(pack, reqs({"eve_clinic": 1000}))
        assert plan.clinicians.loc[0, "out_of_hours_pas"] == expected, contract


def test_locked_cells_are_kept() -> None:
    pack = make_pack([clinician("A", 2)], CLINIC_ADMIN, both("A"), slots=MON,
                     job_plans=[cell("A", "Mon", "AM", "admin", locked=True)])
    plan = run(pack, reqs({"clinic": 1000}))
    assert cells(plan) == {("A", "Mon", "AM"): "admin", ("A", "Mon", "PM"): "clinic"}
    assert plan.result.objective["unmet_routine"] == 1000 - 42


def test_locked_sessions_and_spa_floor_above_contract_word_for_word() -> None:
    acts = (activity("clinic"), activity("spa", "SPA"))
    locked = [cell("B", d, p, "clinic", locked=True) for d in ("Mon", "Tue", "Wed", "Thu", "Fri")
              for p in ("AM", "PM")][:9]
    pack = make_pack([clinician("B", 10, max_pas=12, spa=1.5)], acts, [("B", "clinic"), ("B", "spa")],
                     job_plans=locked)
    plan = run(pack, reqs({"clinic": 100}))
    assert plan.status is SolveStatus.INFEASIBLE
    assert plan.result.reasons == ("B: locked sessions 9 PAs + SPA floor 1.5 PAs exceed 10 contracted PAs",)
    with pytest.raises(InfeasiblePlanError) as err:
        plan_allocation(pack, reqs({"clinic": 100}), workers=1, time_limit_s=5)
    assert err.value.exit_code == 3
    assert err.value.reasons == plan.result.reasons


def test_fixed_slot_requirement() -> None:
    acts = (activity("mdt"), activity("admin", "OTHER"))
    req = [FixedRequirement("mdt", day="Mon", period="PM", min_clinicians=2)]
    ok = make_pack([clinician("A", 2), clinician("B", 2)], acts,
                   [("A", "mdt"), ("A", "admin"), ("B", "mdt"), ("B", "admin")], slots=MON, requirements=req)
    plan = run(ok)
    assert cells(plan)[("A", "Mon", "PM")] == cells(plan)[("B", "Mon", "PM")] == "mdt"
    short = make_pack([clinician("A", 2), clinician("B", 2)], acts,
                      [("A", "mdt"), ("A", "admin"), ("B", "admin")], slots=MON, requirements=req)
    assert run(short).result.reasons == (
        "mdt on Mon-PM needs at least 2 clinicians, but only 1 (A) is skilled in mdt and available then",)


def test_fixed_weekly_requirement() -> None:
    acts = (activity("clinic"), activity("ward"))
    pack = make_pack([clinician("A", 2), clinician("B", 2)], acts,
                     [("A", "clinic"), ("A", "ward"), ("B", "clinic"), ("B", "ward")], slots=MON,
                     requirements=[FixedRequirement("ward", sessions_per_week=1.5)])
    plan = run(pack, reqs({"clinic": 1000}))
    assert list(cells(plan).values()).count("ward") == 2  # 1.5 sessions a week round up to 2
    assert plan.result.objective["unmet_routine"] == 1000 - 2 * 42


def test_no_session_the_morning_after_overnight_oncall() -> None:
    acts = (activity("night", "ONCALL", pa_value=0.75, rapid_access=True), activity("clinic"))
    slots = (Slot("Mon", "EVE", True), Slot("Tue", "AM", False), Slot("Tue", "PM", False))
    pack = make_pack([clinician("A", 2, out_of_hours_opt_in=True)], acts, [("A", "night"), ("A", "clinic")],
                     slots=slots)
    plan = run(pack, reqs({"night": 42, "clinic": 100}, rapid=["night"]))
    assert cells(plan) == {("A", "Mon", "EVE"): "night", ("A", "Tue", "PM"): "clinic"}
    assert plan.result.objective["unmet_rapid_access"] == 0


def test_per_clinician_cap_from_skills() -> None:
    pack = make_pack([clinician("A", 2)], CLINIC_ADMIN,
                     [Skill("A", "clinic", max_sessions_per_week=1), Skill("A", "admin")], slots=MON)
    plan = run(pack, reqs({"clinic": 1000}))
    assert plan.result.objective["unmet_routine"] == 1000 - 42
    assert plan.gap_reasons["reason"].tolist() == [
        "even if every skilled clinician (A) did only clinic, they could give 42 session-weeks a year, below "
        "the 1000 needed",
        "per-clinician caps reached (skills.max_sessions_per_week): A"]


def test_locum_sessions_fill_the_gap_at_least_cost() -> None:
    pack = make_pack([clinician("A", 2)], CLINIC_ADMIN, both("A"), slots=MON)
    capped = run(pack, reqs({"clinic": 100}),
                 allowances=Allowances(purchased_sessions=(PurchasedSessions("clinic", 10, 500.0),)))
    assert capped.result.objective["unmet_routine"] == 6
    assert capped.result.objective["cost"] == 5000
    assert capped.summary.purchased_sessions == {"clinic": 10}
    enough = run(pack, reqs({"clinic": 100}),
                 allowances=Allowances(purchased_sessions=(PurchasedSessions("clinic", 30, 500.0),)))
    assert enough.result.objective["unmet_routine"] == 0
    assert enough.result.objective["cost"] == 16 * 500


def test_rapid_access_never_traded_for_routine_work() -> None:
    acts = (activity("2ww", rapid_access=True), activity("clinic", priority=1000))
    pack = make_pack([clinician("A", 1)], acts, [("A", "2ww"), ("A", "clinic")], slots=MON[:1])
    plan = run(pack, reqs({"2ww": 42, "clinic": 42}, rapid=["2ww"]))
    assert cells(plan) == {("A", "Mon", "AM"): "2ww"}
    assert plan.result.objective["unmet_rapid_access"] == 0
    assert plan.result.objective["unmet_routine"] == 1000 * 42


def test_priority_weights_routine_activities() -> None:
    acts = (activity("low"), activity("high", priority=3))
    pack = make_pack([clinician("A", 1)], acts, [("A", "low"), ("A", "high")], slots=MON[:1])
    plan = run(pack, reqs({"low": 42, "high": 42}))
    assert cells(plan) == {("A", "Mon", "AM"): "high"}
    assert plan.result.objective["unmet_routine"] == 42


def test_changes_keep_the_current_plan_when_nothing_is_gained() -> None:
    current = [cell("A", "Mon", "AM", "clinic"), cell("A", "Mon", "PM", "admin")]
    pack = make_pack([clinician("A", 2)], CLINIC_ADMIN, both("A"), slots=MON, job_plans=current)
    plan = run(pack, reqs({"clinic": 42}))
    assert cells(plan) == {("A", "Mon", "AM"): "clinic", ("A", "Mon", "PM"): "admin"}
    assert plan.changes.empty
    assert plan.result.objective["changes"] == 0
    moved = run(pack, reqs({"clinic": 84}))
    assert moved.changes.to_dict("records") == [
        {"clinician_id": "A", "day": "Mon", "period": "PM", "activity_before": "admin", "activity_after": "clinic",
         "week": "", "half": ""}]


def test_fairness_spreads_dcc_within_staff_group() -> None:
    pack = make_pack([clinician("A", 4), clinician("B", 4)], CLINIC_ADMIN, both("A") + both("B"),
                     slots=MON_TUE, requirements=[FixedRequirement("admin", sessions_per_week=4)])
    plan = run(pack, reqs({"clinic": 4 * 42}))
    assert plan.clinicians["dcc_pas"].tolist() == [2.0, 2.0]
    assert plan.result.objective["fairness"] == 0


def test_pa_values_that_would_round_raise() -> None:
    pack = make_pack([clinician("A", 2)], [activity("clinic", pa_value=0.3333)], [("A", "clinic")], slots=MON)
    with pytest.raises(ScalingError, match="pa_value of activity clinic"):
        run(pack)


def test_explanation_from_assumption_core_word_for_word() -> None:
    acts = (activity("clinic", room_type="clinic_room"), activity("admin", "OTHER"))
    pack = make_pack([clinician("A", 2), clinician("B", 2)], acts, both("A") + both("B"), slots=MON,
                     rooms=[RoomCapacity("clinic_room", "Mon", "AM", 1)],
                     requirements=[FixedRequirement("clinic", day="Mon", period="AM", min_clinicians=2)])
    plan = run(pack)
    assert plan.status is SolveStatus.INFEASIBLE
    assert plan.result.reasons == (
        "No plan can keep all of these rules at once; relaxing any one of them would allow a plan:",
        "only 1 clinic_room room is available on Mon-AM",
        "clinic on Mon-AM needs at least 2 clinicians",
    )


def test_explanation_core_names_clinician_rules() -> None:
    # Locked Mon-EVE on-call and a locked Tue-AM clinic break the 11 hours' rest after an evening session.
    acts = (activity("clinic"), activity("eve", "ONCALL", pa_value=0.75))
    slots = (Slot("Mon", "EVE", True), Slot("Tue", "AM", False))
    c = clinician("S", 2, out_of_hours_opt_in=True)
    pack = make_pack([c], acts, [("S", "clinic"), ("S", "eve")], slots=slots,
                     job_plans=[cell("S", "Mon", "EVE", "eve", locked=True),
                                cell("S", "Tue", "AM", "clinic", locked=True)])
    assert run(pack).result.reasons == (
        "No plan can keep all of these rules at once; relaxing any one of them would allow a plan:",
        "S's locked sessions must stay (Mon-EVE eve, Tue-AM clinic: 2 PAs)",
        "S cannot work Tue-AM after a Mon-EVE session (11 hours' rest between working days)",
    )


def test_gap_reasons_name_rooms_and_busy_clinicians() -> None:
    acts = (activity("clinic", room_type="clinic_room"), activity("admin", "OTHER"))
    pack = make_pack([clinician("A", 2)], acts, both("A"), slots=MON,
                     rooms=[RoomCapacity("clinic_room", "Mon", "AM", 0)])
    plan = run(pack, reqs({"clinic": 1000}))
    assert plan.gap_reasons["reason"].tolist() == [
        "even if every skilled clinician (A) did only clinic, they could give 84 session-weeks a year, below "
        "the 1000 needed",
        # Mon-AM has no clinic room at all: the reason says so (it used to be "no PAs to spare" and "every
        # clinic_room is taken"); A's Mon-AM stays unassigned rather than becoming admin nobody needs.
        "no clinic_room at all on Mon-AM (the rooms table gives 0), when A has time",
    ]


def test_budget_caps_additional_pas_and_bought_sessions_together() -> None:
    """Allowances.max_extra_cost. By hand: A may take 2 more PAs at £12,000 a year each (42 session-weeks
    a year each), locum clinics cost £500 (one session-week each, at most 30). £17,000 buys 1 PA + 10
    locums (52 session-weeks); £16,999 buys 1 PA + 9 locums (51), which beats 30 locums alone."""
    a = clinician("A", 2, max_pas=4, apa_cost_per_pa=12000.0)
    pack = make_pack([a], CLINIC_ADMIN, both("A"), slots=MON_TUE)
    levers = {"additional_pas_per_clinician": 2.0,
              "purchased_sessions": (PurchasedSessions("clinic", 30, 500.0),)}
    for budget, unmet, cost in ((17_000, 1000 - 84 - 42 - 10, 17_000), (16_999, 1000 - 84 - 42 - 9, 16_500),
                                (11_999, 1000 - 84 - 23, 11_500), (0, 1000 - 84, 0)):
        plan = run(pack, reqs({"clinic": 1000}), allowances=Allowances(**levers, max_extra_cost=budget))
        assert (plan.result.objective["unmet_routine"], plan.result.objective["cost"]) == (unmet, cost), budget
    # the cap is checked independently: the £17,000 plan breaks a £16,999 budget
    plan = run(pack, reqs({"clinic": 1000}), allowances=Allowances(**levers, max_extra_cost=17_000))
    over = check_plan(pack, plan.tables, reqs({"clinic": 1000}), Allowances(**levers, max_extra_cost=16_999),
                      plan.summary.purchased_sessions)
    assert over == ["budget: additional PAs and bought sessions cost £17,000.00 a year, above the £16,999.00 "
                    "allowed"]


def test_budget_too_small_for_locked_sessions_is_explained() -> None:
    a = clinician("A", 2, max_pas=4, apa_cost_per_pa=12000.0)
    pack = make_pack([a], CLINIC_ADMIN, both("A"), slots=MON_TUE,
                     job_plans=[cell("A", s.day, s.period, "clinic", locked=True) for s in MON_TUE[:3]])
    plan = run(pack, reqs({"clinic": 100}),
               allowances=Allowances(additional_pas_per_clinician=2.0, max_extra_cost=10_000))
    assert plan.status is SolveStatus.INFEASIBLE
    assert plan.result.reasons == (
        "No plan can keep all of these rules at once; relaxing any one of them would allow a plan:",
        "A must be given 2 PAs a week, at most 2 PAs additional; A works 4 slots with an activity they are "
        "skilled in",
        "additional PAs and bought sessions may cost at most £10,000 a year",
        "A's locked sessions must stay (Mon-AM clinic, Mon-PM clinic, Tue-AM clinic: 3 PAs)",
    )
