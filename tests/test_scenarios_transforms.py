"""Each scenario transform on the tiny pack, with its exact effect on the pack and on demand sizing; the
cost model line by line."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest

import capacity_planner as cp
from capacity_planner.demand.pipeline import size_demand
from capacity_planner.pack.model import FixedRequirement, PlanningPack, Skill
from capacity_planner.scenarios.costs import cost_breakdown, cost_totals
from capacity_planner.scenarios.parse import parse_scenarios
from capacity_planner.scenarios.transforms import ScenarioError, ScenarioPack, apply_scenario
from capacity_planner.solver.options import Allowances, PurchasedSessions

if TYPE_CHECKING:
    from capacity_planner.scenarios.spec import Scenario

TINY = Path(__file__).parent / "data" / "tiny"


@pytest.fixture(scope="module")
def tiny() -> PlanningPack:
    return cp.read_pack(TINY)


def scenario(body: str, name: str = "s") -> Scenario:
    [s] = parse_scenarios(tomllib.loads(f'[[scenario]]\nname = "{name}"\n{body}'), "t.toml")
    return s


def apply(pack: PlanningPack, body: str) -> ScenarioPack:
    return apply_scenario(pack, scenario(body))


def sized(pack: PlanningPack) -> pd.DataFrame:
    return size_demand(pack).requirements.table.set_index("activity_id")


def test_transforms_are_pure(tiny: PlanningPack) -> None:
    before = repr((tiny.activities, tiny.clinicians, tiny.job_plans, tiny.rooms, tiny.settings))
    out = apply(tiny, 'dna_rate = 0.1\nrecruit = { consultant = 1 }\nlock = "all"\nextra_rooms = { clinic_room = 1 }'
                      '\nclose_activities = ["fu"]\ngrowth = 0.1')
    assert repr((tiny.activities, tiny.clinicians, tiny.job_plans, tiny.rooms, tiny.settings)) == before
    assert out.pack is not tiny and len(tiny.referrals) == 6
    assert len(out.notes) == 6


def test_growth_sets_the_forecast_rate_and_raises_demand(tiny: PlanningPack) -> None:
    out = apply(tiny, "growth = 0.1").pack
    assert out.settings.growth == 0.1 and "demand.growth" in out.settings.explicit
    base, grown = sized(tiny), sized(out)
    assert grown.loc["2ww", "annual_growth"] == pytest.approx(0.1)
    assert grown.loc["2ww", "sessions_per_year"] > base.loc["2ww", "sessions_per_year"]
    assert apply(out, 'growth = "auto"').pack.settings.growth is None


def test_dna_rate_points_relative_and_set(tiny: PlanningPack) -> None:
    # 2ww has dna_rate 0.05 given; fu's is measured (0: no DNA in its appointments)
    pts = apply(tiny, "dna_rate = { points = -0.02 }")
    assert pts.pack.activity("2ww").dna_rate == pytest.approx(0.03)
    assert pts.pack.activity("fu").dna_rate == 0.0  # floored at 0
    assert "floored at 0" in pts.notes[0]
    assert apply(tiny, "dna_rate = { relative = -0.5 }").pack.activity("2ww").dna_rate == pytest.approx(0.025)
    only = apply(tiny, 'dna_rate = { set = 0.2, activities = ["fu"] }').pack
    assert only.activity("fu").dna_rate == 0.2 and only.activity("2ww").dna_rate == 0.05
    req = sized(only)
    assert req.loc["fu", "dna_rate"] == 0.2 and req.loc["fu", "dna_rate_source"] == "given"
    assert req.loc["fu", "dna_factor"] == pytest.approx(1 / 0.8)  # rebook_until_seen: 1 / (1 - r)
    assert req.loc["fu", "slots_per_week"] == pytest.approx(sized(tiny).loc["fu", "slots_per_week"] / 0.8)


def test_percentile_and_patients_per_session(tiny: PlanningPack) -> None:
    out = apply(tiny, "percentile = 0.95").pack
    assert out.activity("2ww").percentile == 0.95 and out.activity("fu").percentile is None  # rapid access only
    assert sized(out).loc["2ww", "percentile"] == 0.95
    pps = apply(tiny, "patients_per_session = { relative = 0.25 }").pack
    assert (pps.activity("2ww").patients_per_session, pps.activity("fu").patients_per_session) == (10.0, 15.0)
    base, more = sized(tiny), sized(pps)
    assert more.loc["fu", "sessions_per_week"] == pytest.approx(base.loc["fu", "sessions_per_week"] * 12 / 15)


def test_follow_up_ratio_changes_follow_up_demand(tiny: PlanningPack) -> None:
    out = apply(tiny, "follow_up_ratio = { relative = 1.0 }").pack  # measured 0.5 -> 1.0
    assert out.activity("2ww").follow_up_ratio == pytest.approx(1.0)
    assert sized(out).loc["fu", "follow_up_ratio"] == pytest.approx(1.0)
    assert sized(out).loc["fu", "weekly_demand_mean"] > sized(tiny).loc["fu", "weekly_demand_mean"]
    with pytest.raises(ScenarioError, match="sends no follow-ups"):
        apply(tiny, 'follow_up_ratio = { set = 1, activities = ["fu"] }')


def test_recruit_and_add_clinician(tiny: PlanningPack) -> None:
    out = apply(tiny, "recruit = { consultant = 2 }")
    new = [c for c in out.pack.clinicians if c.clinician_id.startswith("new-")]
    assert [c.clinician_id for c in new] == ["new-consultant-1", "new-consultant-2"]
    c = new[0]
    assert (c.contracted_pas, c.max_pas, c.min_spa_pas, c.working_weeks, c.contract) == \
        (10.0, 12.0, 1.5, 42.0, "consultant_2003")
    # A and B (the consultants) are skilled in 2ww, fu, mdt, spa between them; each is held by >= half
    assert {s.activity_id for s in out.pack.skills if s.clinician_id == c.clinician_id} == \
        {"2ww", "fu", "mdt", "spa"}
    assert out.new_post_ids == {"new-consultant-1", "new-consultant-2"}
    like = apply(tiny, '[[scenario.add_clinician]]\nstaff_group = "sas"\nlike = "S"\npas = 8\nclinician_id = "S2"\n'
                       'annual_cost = 90000')
    assert like.pack.clinician("S2").contracted_pas == 8.0
    assert {s.activity_id for s in like.pack.skills if s.clinician_id == "S2"} == {"fu", "spa"}
    assert like.new_posts[0].annual_cost == 90000
    with pytest.raises(ScenarioError, match="no active clinician"):
        apply(tiny, "recruit = { ahp = 1 }")
    with pytest.raises(ScenarioError, match="already a clinician"):
        apply(tiny, '[[scenario.add_clinician]]\nstaff_group = "sas"\nclinician_id = "A"\nskills = ["fu"]')


def test_remove_and_contracted_pas(tiny: PlanningPack) -> None:
    out = apply(tiny, 'remove_clinicians = ["B"]').pack
    assert out.clinician("B").active is False and out.clinician("A").active is True
    pas = apply(tiny, "contracted_pas = { B = 8, N = 8 }").pack
    assert (pas.clinician("B").contracted_pas, pas.clinician("B").max_pas) == (8.0, 12.0)
    assert (pas.clinician("N").contracted_pas, pas.clinician("N").max_pas) == (8.0, 8.0)  # AfC: max = contracted
    back = apply(out, "contracted_pas = { B = 6 }").pack
    assert back.clinician("B").active is True  # a return to work
    with pytest.raises(ScenarioError, match="remove_clinicians = Z: not a clinician"):
        apply(tiny, 'remove_clinicians = ["Z"]')


def test_allowances_and_purchases(tiny: PlanningPack) -> None:
    out = apply(tiny, 'additional_pas = { per_clinician = 1, total = 2, clinicians = ["A"] }\nlocum = { fu = 100 }')
    assert out.allowances == Allowances(1.0, 2.0, frozenset({"A"}), (PurchasedSessions("fu", 100.0, None, "locum"),))
    assert "£950" in out.notes[-1] and "costs locum_session/consultant" in out.notes[-1]
    assert apply(tiny, "additional_pas = { total = 3 }").allowances.additional_pas_per_clinician == 24.0
    own = apply(tiny, "wli = { fu = { sessions = 5, cost_per_session = 700 } }").allowances.purchased_sessions
    assert own == (PurchasedSessions("fu", 5.0, 700.0, "wli"),)
    with pytest.raises(ScenarioError, match="no cost for wli sessions"):
        apply(tiny, "wli = { fu = 5 }")
    with pytest.raises(ScenarioError, match="locum = xx: not an activity"):
        apply(tiny, "locum = { xx = 10 }")


def test_lock_and_unlock(tiny: PlanningPack) -> None:
    assert sum(j.locked for j in tiny.job_plans) == 2  # A and B Tue-PM mdt
    assert all(j.locked for j in apply(tiny, 'lock = "all"').pack.job_plans)
    assert not any(j.locked for j in apply(tiny, 'unlock = "all"').pack.job_plans)
    one = apply(tiny, 'unlock = { A = ["Tue-PM"] }').pack
    assert {(j.clinician_id, j.day, j.period) for j in one.job_plans if j.locked} == {("B", "Tue", "PM")}
    whole = apply(tiny, 'lock = { S = "all" }').pack
    assert {(j.clinician_id, j.day, j.period) for j in whole.job_plans if j.locked} == \
        {("A", "Tue", "PM"), ("B", "Tue", "PM"), ("S", "Mon", "PM")}
    with pytest.raises(ScenarioError, match="no session in the current job plan on Fri-AM"):
        apply(tiny, 'lock = { A = ["Fri-AM"] }')


def test_close_and_add_activity(tiny: PlanningPack) -> None:
    out = apply(tiny, 'close_activities = ["fu"]').pack
    assert out.activity_ids == ("2ww", "mdt", "spa")
    assert out.activity("2ww").follow_up_activity is None
    assert not any(s.activity_id == "fu" for s in out.skills)
    assert {(j.clinician_id, j.activity_id) for j in out.job_plans} == \
        {("A", "2ww"), ("A", "mdt"), ("A", "spa"), ("B", "mdt"), ("B", "2ww")}
    assert set(out.referrals["activity_id"]) == {"2ww"} and "fu" not in set(out.appointments["activity_id"])
    assert "fu" not in sized(out).index
    add = apply(tiny, '[[scenario.add_activity]]\nactivity_id = "surg"\ncategory = "DCC"\nsessions_per_week = 2\n'
                      'clinicians = ["A", "S"]').pack
    assert add.activity("surg").priority == 1
    assert add.requirements[-1] == FixedRequirement("surg", 2.0)
    assert add.skills[-2:] == (Skill("A", "surg"), Skill("S", "surg"))
    assert sized(add).loc["surg", "sessions_per_year"] == pytest.approx(2 * 50)  # service_weeks = 50
    slot = apply(tiny, '[[scenario.add_activity]]\nactivity_id = "huddle"\ncategory = "OTHER"\nday = "Mon"\n'
                       'period = "AM"\nmin_clinicians = 2').pack
    assert slot.requirements[-1] == FixedRequirement("huddle", None, "Mon", "AM", 2)
    with pytest.raises(ScenarioError, match="already an activity"):
        apply(tiny, '[[scenario.add_activity]]\nactivity_id = "fu"\ncategory = "DCC"')


def test_extra_rooms(tiny: PlanningPack) -> None:
    def rooms(p: PlanningPack) -> dict:
        return {(r.day, r.period): r.available for r in p.rooms}

    assert rooms(tiny) == {("Mon", "AM"): 2, ("Tue", "AM"): 1}
    assert rooms(apply(tiny, "extra_rooms = { clinic_room = 1 }").pack) == {("Mon", "AM"): 3, ("Tue", "AM"): 2}
    assert rooms(apply(tiny, 'extra_rooms = { clinic_room = { rooms = 2, days = ["Tue"] } }').pack) == \
        {("Mon", "AM"): 2, ("Tue", "AM"): 3}
    assert rooms(apply(tiny, "extra_rooms = { clinic_room = -5 }").pack) == {("Mon", "AM"): 0, ("Tue", "AM"): 0}
    with pytest.raises(ScenarioError, match="unlimited already"):
        apply(tiny, "extra_rooms = { theatre = 1 }")


def test_cost_breakdown_lines_and_totals(tiny: PlanningPack) -> None:
    spack = apply(tiny, 'recruit = { consultant = 1 }\nremove_clinicians = ["N"]\nlocum = { fu = 20 }\n'
                        "additional_pas = { per_clinician = 1 }")
    clinicians = pd.DataFrame({"clinician_id": ["A", "B"], "apa_pas": [1.0, 1.3333]})
    lines = cost_breakdown(spack, clinicians, {"fu": 12}, "s")
    got = {(r.component, r.clinician_id if isinstance(r.clinician_id, str) else r.activity_id):
           (r.quantity, r.unit_cost, r.unit_cost_source, r.annual_cost) for r in lines.itertuples()}
    assert got == {
        # tiny prices no substantive PA: the solver's nominal rate, flagged as assumed
        ("substantive_pas", "A"): (10.0, 10000.0, "assumed (no cost in the pack)", 100000.0),
        ("substantive_pas", "B"): (6.0, 10000.0, "assumed (no cost in the pack)", 60000.0),
        ("substantive_pas", "S"): (10.0, 10000.0, "assumed (no cost in the pack)", 100000.0),
        ("new_posts", "new-consultant-1"): (10.0, 10000.0, "assumed (no cost in the pack)", 100000.0),
        ("additional_pas", "A"): (1.0, 13500.0, "costs additional_pa/consultant", 13500.0),
        ("additional_pas", "B"): (160 / 120, 13500.0, "costs additional_pa/consultant", 18000.0),  # premium
        ("locum_sessions", "fu"): (12.0, 950.0, "costs locum_session/consultant", 11400.0),
    }
    totals = cost_totals(lines)
    assert totals == {"cost_substantive_pas": 260000.0, "cost_new_posts": 100000.0,
                      "cost_additional_pas": 31500.0, "cost_locum_sessions": 11400.0, "cost_wli_sessions": 0.0,
                      "annual_cost": 402900.0}


def test_cost_sources_prefer_clinician_then_costs_table() -> None:
    sample = cp.read_pack()  # clinicians give annual_cost_per_pa; costs give recruit_wte and additional_pa
    spack = apply(sample, "recruit = { nurse = 1 }")
    lines = cost_breakdown(spack, None, {}, "s").set_index("clinician_id")
    assert lines.loc["C01", "unit_cost_source"] == "clinicians.annual_cost_per_pa"
    assert lines.loc["C01", "annual_cost"] == pytest.approx(10 * 17670.0)
    post = lines.loc["new-nurse-1"]
    assert (post["unit"], post["quantity"], post["unit_cost"], post["annual_cost"]) == ("WTE", 1.0, 70000.0, 70000.0)
    assert post["unit_cost_source"] == "costs recruit_wte/nurse"


def test_extra_budget_caps_what_the_levers_cost(tiny: PlanningPack) -> None:
    """extra_budget sets Allowances.max_extra_cost. By hand on the tiny pack with busy follow-up clinics
    (648 sessions a year unmet): up to 100 locum fu sessions at £950 within £9,999 buys 10 of them."""
    from capacity_planner.solver import plan_allocation

    body = 'patients_per_session = { set = 0.5, activities = ["fu"] }\nlocum = { fu = 100 }\nextra_budget = 9999'
    out = apply(tiny, body)
    assert out.allowances.max_extra_cost == 9999.0
    assert out.notes[-1] == "extra_budget: additional PAs and bought sessions within £9,999 a year"
    plan = plan_allocation(out.pack, size_demand(out.pack).requirements, seed=0, workers=1,
                           time_limit_s=20, allowances=out.allowances)
    assert plan.summary.purchased_sessions == {"fu": 10}
    assert plan.result.objective["cost"] == 9_500
    with pytest.raises(Exception, match="extra_budget"):
        scenario("extra_budget = -1")
