"""The meeting's state and actions in plain Python (no web server): re-plan from the shown plan keeping
locks and pins, changes counted against the current job plans, checked input, undo, agree (issue 20)."""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest

import capacity_planner as cp
from capacity_planner._files import OutputFolderError
from capacity_planner.report.tables import load_meeting_data
from capacity_planner.serve.actions import Cell, with_demand
from capacity_planner.serve.replan import cells_of, changes_from_baseline, moved_cells, replan
from capacity_planner.serve.session import MeetingError, MeetingSession, whole_weekly_sessions
from capacity_planner.serve.view import meeting_data

OPTIONS = cp.PlanOptions(time_limit_s=30.0, seed=0, workers=1)


@pytest.fixture(scope="module")
def pack() -> cp.PlanningPack:
    """The sample as the meeting plans it: whole weekly sessions (solver.alternate_weeks = false)."""
    return whole_weekly_sessions(cp.sample_pack())


@pytest.fixture(scope="module")
def proposal(pack: cp.PlanningPack) -> cp.PlanRun:
    return cp.plan(pack, OPTIONS)


@pytest.fixture()
def session(pack: cp.PlanningPack, proposal: cp.PlanRun) -> MeetingSession:
    return MeetingSession(pack, OPTIONS, proposal)


def sessions_changed(before: dict[Cell, str], after: dict[Cell, str]) -> int:
    """Independent count of the model's rule: per clinician the larger of cells freed or changed away and
    cells filled or changed to (a move counts 1), summed."""
    removed: dict[str, int] = defaultdict(int)
    added: dict[str, int] = defaultdict(int)
    for k in set(before) | set(after):
        if before.get(k) != after.get(k):
            removed[k.clinician_id] += k in before
            added[k.clinician_id] += k in after
    return sum(max(removed[c], added[c]) for c in set(removed) | set(added))


def current(pack: cp.PlanningPack) -> dict[Cell, str]:
    return {Cell(j.clinician_id, j.day, j.period): j.activity_id for j in pack.job_plans}


def a_pin(pack: cp.PlanningPack, shown: dict[Cell, str]) -> tuple[Cell, str]:
    """A DCC cell of a clinician pinned to another DCC activity they are skilled for (Mon AM of C02)."""
    cell = Cell("C02", "Mon", "AM")
    skills = [s.activity_id for s in pack.skills if s.clinician_id == "C02"]
    other = next(a for a in ("fu", "new", "minor_ops") if a in skills and a != shown.get(cell))
    return cell, other


def test_replan_without_actions_keeps_the_shown_plan_and_its_numbers(pack, proposal):
    shown = cells_of(proposal.plan.allocation)
    run = replan(pack, proposal.demand, shown, {}, OPTIONS)
    assert run.plan.has_plan
    assert moved_cells(shown, cells_of(run.plan.allocation)) == []
    assert changes_from_baseline(run) == 0  # the changes level counts against the shown plan
    for name in ("gaps", "clinicians", "changes", "allocation"):  # reported against the current job plans
        assert run.plan.tables[name].equals(proposal.plan.tables[name]), name
    assert run.summary.changed_sessions == proposal.summary.changed_sessions


def test_pin_and_lock_are_kept_and_changes_count_against_both_plans(session, pack):
    shown = session.shown.cells
    pin_cell, activity = a_pin(pack, shown)
    lock_cell = next(k for k in sorted(shown) if k.clinician_id == "C01")
    session.add({"kind": "pin", "clinician": pin_cell.clinician_id, "slot": f"{pin_cell.day}-{pin_cell.period}",
                 "activity": activity})
    session.add({"kind": "lock", "clinician": "C01", "slot": f"{lock_cell.day}-{lock_cell.period}"})
    version = session.replan()
    after = version.cells
    assert version.number == 2 and after[pin_cell] == activity and after[lock_cell] == shown[lock_cell]
    assert pin_cell in version.moved and set(version.moved) == set(moved_cells(shown, after))
    assert version.fixed == {pin_cell: activity, lock_cell: shown[lock_cell]}
    # The page and the meeting pack count against the current job plans, by the model's own rule.
    assert version.run.summary.changed_sessions == sessions_changed(current(pack), after)
    assert int(version.run.plan.clinicians["changed_sessions"].sum()) == sessions_changed(current(pack), after)


def test_the_re_plan_moves_as_few_cells_of_the_shown_plan_as_it_can(pack, proposal):
    shown = cells_of(proposal.plan.allocation)
    pin_cell, activity = a_pin(pack, shown)
    run = replan(pack, proposal.demand, shown, {pin_cell: activity}, OPTIONS)
    assert run.plan.has_plan
    after = cells_of(run.plan.allocation)
    # The solver's changes level (proven optimal on the sample) counts against the shown plan with the
    # pin in place (Baseline): the pin is the meeting's change, every further one is the solver's. The
    # hand count of the model's rule on the two timetables is the level's value.
    assert run.summary.status == "optimal"
    assert after[pin_cell] == activity
    assert changes_from_baseline(run) == sessions_changed({**shown, pin_cell: activity}, after)
    # The pin takes C02's Mon AM from its shown activity: the shown plan loses that session, so at least
    # one more cell moves to keep the demand met; the optimum here moves exactly one.
    assert sessions_changed(shown, after) == changes_from_baseline(run) + 1
    assert changes_from_baseline(run) <= 2
    # The run's own figures count against the current job plans (no re-scoring).
    assert run.summary.changed_sessions == sessions_changed(current(pack), after)
    assert int(run.plan.clinicians["changed_sessions"].sum()) == sessions_changed(current(pack), after)


def test_unavailable_slot_is_emptied_and_demand_and_priority_are_applied(session, pack):
    cell = next(k for k in sorted(session.shown.cells) if k.clinician_id == "C03")
    session.add({"kind": "unavailable", "clinician": "C03", "slot": f"{cell.day}-{cell.period}"})
    session.add({"kind": "demand", "activity": "fu", "value": "1,234.5"})
    session.add({"kind": "priority", "activity": "minor_ops", "value": "7"})
    version = session.replan()
    assert cell not in version.cells
    assert ("C03", cell.day, cell.period) in version.run.pack.unavailable_slots
    gaps = version.run.plan.gaps.set_index("activity_id")
    assert gaps.loc["fu", "required_sessions_per_year"] == pytest.approx(1234.5)
    assert version.run.pack.activity("minor_ops").priority == 7
    assert pack.activity("minor_ops").priority != 7  # the pack itself is untouched


def test_demand_override_scales_the_columns_derived_from_sessions(proposal):
    req = proposal.demand.requirements
    row = req.table.set_index("activity_id").loc["fu"]
    out = with_demand(req, {"fu": row["sessions_per_year"] * 2}).table.set_index("activity_id").loc["fu"]
    assert out["dcc_hours_per_year"] == pytest.approx(row["dcc_hours_per_year"] * 2)
    assert out["sessions_per_week"] == pytest.approx(row["sessions_per_week"] * 2)


@pytest.mark.parametrize(("form", "columns"), [
    ({"kind": "pin", "clinician": "ZZ", "slot": "Mon-XX", "activity": "nope"}, ["clinician", "slot", "activity"]),
    ({"kind": "demand", "activity": "fu", "value": "lots"}, ["value"]),
    ({"kind": "demand", "activity": "fu", "value": "-3"}, ["value"]),
    ({"kind": "priority", "activity": "fu", "value": "2.5"}, ["value"]),
    ({"kind": "priority", "activity": "fu", "value": "1001"}, ["value"]),
    ({"kind": "delete_everything"}, ["kind"]),
])
def test_bad_input_lists_every_problem_and_changes_nothing(session, form, columns):
    with pytest.raises(MeetingError) as err:
        session.add(form)
    assert [p.column for p in err.value.problems] == columns
    assert all(p.source == "meeting page" and p.message for p in err.value.problems)
    assert session.pending == [] and len(session.versions) == 1


def test_cell_actions_that_cannot_hold_are_refused(session, pack):
    shown = session.shown.cells
    free = next(Cell(c, s.day, s.period) for c in pack.clinician_ids for s in pack.slots
                if Cell(c, s.day, s.period) not in shown
                and (c, s.day, s.period) not in pack.unavailable_slots)
    with pytest.raises(MeetingError, match="free on the screen"):
        session.add({"kind": "lock", "clinician": free.clinician_id, "slot": f"{free.day}-{free.period}"})
    unskilled = next((c, a.activity_id) for c in pack.clinician_ids for a in pack.activities
                     if not any(s.clinician_id == c and s.activity_id == a.activity_id for s in pack.skills)
                     and not any(j.clinician_id == c and j.activity_id == a.activity_id for j in pack.job_plans))
    locked = {(j.day, j.period) for j in pack.job_plans if j.locked and j.clinician_id == unskilled[0]}
    slot = next(f"{s.day}-{s.period}" for s in pack.slots if (s.day, s.period) not in locked
                and (unskilled[0], s.day, s.period) not in pack.unavailable_slots)
    with pytest.raises(MeetingError, match="no skill"):
        session.add({"kind": "pin", "clinician": unskilled[0], "slot": slot, "activity": unskilled[1]})
    pack_lock = next(j for j in pack.job_plans if j.locked)
    with pytest.raises(MeetingError, match="locked in the pack"):
        session.add({"kind": "pin", "clinician": pack_lock.clinician_id, "slot": f"{pack_lock.day}-{pack_lock.period}",
                     "activity": pack_lock.activity_id})
    cell = next(k for k in sorted(shown) if k.clinician_id == "C01")
    session.add({"kind": "lock", "clinician": "C01", "slot": f"{cell.day}-{cell.period}"})
    with pytest.raises(MeetingError, match="locked or pinned"):
        session.add({"kind": "unavailable", "clinician": "C01", "slot": f"{cell.day}-{cell.period}"})
    assert len(session.pending) == 1


def test_withdraw_and_undo(session):
    cell = next(iter(sorted(session.shown.cells)))
    session.add({"kind": "lock", "clinician": cell.clinician_id, "slot": f"{cell.day}-{cell.period}"})
    session.drop(0)
    assert session.pending == []
    with pytest.raises(MeetingError):
        session.drop(0)
    with pytest.raises(MeetingError, match="nothing to undo"):
        session.undo()
    session.add({"kind": "priority", "activity": "fu", "value": "3"})
    session.replan()
    assert [v.number for v in session.versions] == [1, 2]
    assert session.undo().number == 1 and session.shown.actions == ()
    assert any("Undo" in line for line in session.record)


def test_page_numbers_are_the_report_numbers(session, tmp_path):
    version = session.shown
    cp.write_meeting_pack(version.run, tmp_path / "pack")
    from_files = load_meeting_data(session.pack, tmp_path / "pack")
    in_memory = meeting_data(version.run)
    for name in ("demand", "timetable", "clinicians", "changes"):
        assert getattr(in_memory, name).equals(getattr(from_files, name)), name
    assert in_memory.headline == from_files.headline


def test_agreed_pack_re_plans_to_the_same_timetable(session, pack, tmp_path):
    pin_cell, activity = a_pin(pack, session.shown.cells)
    session.add({"kind": "pin", "clinician": pin_cell.clinician_id, "slot": f"{pin_cell.day}-{pin_cell.period}",
                 "activity": activity})
    agreed = session.replan()
    files = session.agree(tmp_path / "meeting")
    names = {f.relative_to(tmp_path / "meeting").as_posix() for f in files}
    assert {"meeting_pack/report.html", "meeting_pack/plan.xlsx", "agreed_pack/job_plans.csv",
            "meeting_record.md", "meeting_record.json"} <= names
    again = cp.plan(cp.read_pack(tmp_path / "meeting" / "agreed_pack"), OPTIONS)
    assert cells_of(again.plan.allocation) == agreed.cells
    assert again.summary.changed_sessions == 0
    record = (tmp_path / "meeting" / "meeting_record.md").read_text(encoding="utf-8")
    assert f"Pin {activity} to {pin_cell.clinician_id} {pin_cell.day} {pin_cell.period}" in record


def test_agree_respects_the_output_folder_rule(session, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my own work", encoding="utf-8")
    with pytest.raises(OutputFolderError):
        session.agree(out)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_meeting_pack_counts_changes_against_the_current_job_plans(session, pack, tmp_path):
    pin_cell, activity = a_pin(pack, session.shown.cells)
    session.add({"kind": "pin", "clinician": pin_cell.clinician_id, "slot": f"{pin_cell.day}-{pin_cell.period}",
                 "activity": activity})
    version = session.replan()
    session.agree(tmp_path / "m")
    changes = Path(tmp_path / "m" / "meeting_pack" / "changes.csv").read_text(encoding="utf-8")
    now = version.cells
    expected = {k for k in set(current(pack)) | set(now) if current(pack).get(k) != now.get(k)}
    assert len(changes.strip().splitlines()) - 1 == len(expected)


def test_away_for_the_year_empties_every_slot_of_the_clinician(session, pack):
    # D01 holds no cell locked in the pack (C-clinicians do), so the year away can hold.
    assert not any(j.locked for j in pack.job_plans if j.clinician_id == "D01")
    session.add({"kind": "away", "clinician": "D01"})
    with pytest.raises(MeetingError, match="already unavailable for the year"):
        session.add({"kind": "away", "clinician": "D01"})
    version = session.replan()
    # As a pack marks a clinician not in this year's plan (active false): out of the plan and its tables.
    assert not any(k.clinician_id == "D01" for k in version.cells)
    assert "D01" not in set(version.run.plan.clinicians["clinician_id"])
    assert not version.run.pack.clinician("D01").active and pack.clinician("D01").active
    with pytest.raises(MeetingError, match="unavailable for the year"):
        session.add({"kind": "pin", "clinician": "D01", "slot": "Mon-AM", "activity": "fu"})
    locked = next(j.clinician_id for j in pack.job_plans if j.locked)
    with pytest.raises(MeetingError, match="locked in the pack"):
        session.add({"kind": "away", "clinician": locked})


def test_additional_pas_are_costed_within_the_contract_and_become_the_agreed_contract(session, pack, tmp_path):
    # On the sample every clinician's available day slots are full, so an additional PA needs a free
    # slot: C03 (6 contracted PAs, at most 12) is made available on Thursday morning and afternoon.
    pack = pack.replace(availability=tuple(a for a in pack.availability
                                           if (a.clinician_id, a.day, a.period) not in
                                           (("C03", "Thu", "AM"), ("C03", "Thu", "PM"))))
    session = MeetingSession(pack, OPTIONS)
    with pytest.raises(MeetingError, match="allows no further additional PA"):
        session.add({"kind": "add_pa", "clinician": "N01"})  # 10 contracted, at most 10
    with pytest.raises(MeetingError, match="no additional PA allowed"):
        session.add({"kind": "remove_pa", "clinician": "C03"})
    # C02: 11 contracted, at most 12: one additional PA, not two (the solver's additional_pa_caps).
    session.add({"kind": "add_pa", "clinician": "C02"})
    with pytest.raises(MeetingError, match=r"no further additional PA \(11 contracted, at most 12; 1 already"):
        session.add({"kind": "add_pa", "clinician": "C02"})
    session.drop(0)
    session.add({"kind": "add_pa", "clinician": "C03"})
    session.add({"kind": "add_pa", "clinician": "C03"})
    version = session.replan()
    clinicians = version.run.plan.clinicians.set_index("clinician_id")
    # Routine demand is short on the sample, so the plan takes both allowed PAs: C03 alone, exactly two.
    assert clinicians.loc["C03", "apa_pas"] == 2.0 and clinicians["apa_pas"].sum() == 2.0
    # Costed as the cost level prices it: 2 PAs a week x C03's £16,450 a year for one PA a week.
    assert version.run.summary.annual_cost == pytest.approx(2 * 16450.0)
    session.agree(tmp_path / "m")
    agreed = cp.read_pack(tmp_path / "m" / "agreed_pack")
    assert agreed.clinician("C03").contracted_pas == pack.clinician("C03").contracted_pas + 2
    again = cp.plan(agreed, OPTIONS)
    assert cells_of(again.plan.allocation) == version.cells and again.summary.annual_cost == 0
    record = json.loads((tmp_path / "m" / "meeting_record.json").read_text(encoding="utf-8"))
    assert record["additional_pas_allowed_in_meeting"] == {"C03": 2}
    assert record["additional_pas"] == {"C03": 2.0}
    # Withdrawn one at a time: one left, then none.
    session.add({"kind": "remove_pa", "clinician": "C03"})
    assert session.replan().run.plan.clinicians["apa_pas"].sum() == 1.0
    session.add({"kind": "remove_pa", "clinician": "C03"})
    assert session.replan().run.plan.clinicians["apa_pas"].sum() == 0


def test_the_meeting_plans_whole_weekly_sessions() -> None:
    """A proposal with alternate-week cells (the sample's consultants get half SPA) is planned again in
    whole weekly sessions: the page shows one activity per cell (docs/serve.md)."""
    sample = cp.sample_pack()
    with_halves = cp.plan(sample, OPTIONS)
    assert with_halves.plan.allocation["week"].isin(["A", "B"]).any()
    session = MeetingSession(sample, OPTIONS, with_halves)
    assert not session.pack.settings.alternate_weeks
    assert not session.shown.run.plan.allocation["week"].isin(["A", "B"]).any()


def test_demand_and_priority_set_in_the_meeting_travel_into_the_agreed_pack(session, pack, tmp_path):
    """The agreed pack carries a demand set in the meeting as activities.required_sessions_per_year (demand
    sizing reads it back) and a priority as activities.priority, so it re-plans to the same timetable with
    the same requirements; the meeting record lists both."""
    sized = session.demand.requirements.table.set_index("activity_id")
    fu = float(sized.loc["fu", "sessions_per_year"])
    session.add({"kind": "demand", "activity": "fu", "value": f"{fu + 400:.1f}"})
    session.add({"kind": "priority", "activity": "minor_ops", "value": "7"})
    version = session.replan()
    assert version.run.plan.gaps.set_index("activity_id").loc["fu", "required_sessions_per_year"] == \
        pytest.approx(fu + 400, abs=0.05)
    session.agree(tmp_path / "m")
    agreed = cp.read_pack(tmp_path / "m" / "agreed_pack")
    assert agreed.activity("fu").required_sessions_per_year == pytest.approx(fu + 400, abs=0.05)
    assert agreed.activity("minor_ops").priority == 7
    assert all(a.required_sessions_per_year is None for a in agreed.activities if a.activity_id != "fu")
    again = cp.plan(agreed, OPTIONS)
    # The same requirements (sizing with the override = the meeting's requirements) and timetable.
    mine = version.run.demand.requirements.table.set_index("activity_id")
    theirs = again.demand.requirements.table.set_index("activity_id")
    for col in ("sessions_per_year", "dcc_hours_per_year", "sessions_per_week", "sessions_per_service_week"):
        assert theirs[col].to_numpy() == pytest.approx(mine[col].to_numpy(), rel=1e-12), col
    assert cells_of(again.plan.allocation) == version.cells
    assert again.summary.changed_sessions == 0
    assert any("required_sessions_per_year" in n for n in again.notes)
    record = json.loads((tmp_path / "m" / "meeting_record.json").read_text(encoding="utf-8"))
    assert record["demand_set_in_meeting"] == {"fu": pytest.approx(fu + 400, abs=0.05)}
    assert record["priority_set_in_meeting"] == {"minor_ops": 7}
    md = (tmp_path / "m" / "meeting_record.md").read_text(encoding="utf-8")
    assert "Priority of minor_ops: 7" in md and "Demand of fu:" in md


def test_the_meeting_pack_follows_the_privacy_switch_and_the_agreed_pack_keeps_names(session, pack, tmp_path):
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from forbidden_scan import scan_for_forbidden

    session.pseudonyms = True
    session.agree(tmp_path / "m")
    surnames = sorted({part for c in pack.clinicians if c.name for part in c.name.split()[1:] if len(part) >= 4})
    assert surnames  # Brown, Okafor, … : the scan has something to find
    assert scan_for_forbidden(tmp_path / "m" / "meeting_pack", surnames, whole_words=True) == []
    alloc = pd.read_csv(tmp_path / "m" / "meeting_pack" / "allocation.csv")
    assert set(alloc["clinician_id"]) <= {f"Clinician {chr(ord('A') + i)}" for i in range(len(pack.clinicians))}
    # The agreed pack is the service's own planning data: real IDs and names.
    agreed = cp.read_pack(tmp_path / "m" / "agreed_pack")
    assert [(c.clinician_id, c.name) for c in agreed.clinicians] == \
        [(c.clinician_id, c.name) for c in pack.clinicians]
    record = json.loads((tmp_path / "m" / "meeting_record.json").read_text(encoding="utf-8"))
    assert record["meeting_pack_anonymised"] is True
    # A positive control: with the switch off the same scan finds the names.
    session.pseudonyms = False
    session.agree(tmp_path / "m")
    assert scan_for_forbidden(tmp_path / "m" / "meeting_pack", surnames, whole_words=True) != []


def test_an_alternate_week_current_cell_is_shown_once_and_not_doubled(pack, tmp_path):
    """The meeting plans whole weekly sessions (docs/serve.md); a current job plan cell run on alternate
    weeks (C01's Tuesday-morning follow-up clinic, 21 of 42 weeks) is shown as that one activity, kept at
    21 weeks a year when it keeps its activity (the model's rule), never counted as a weekly session, and
    the agreed pack keeps its 21 weeks."""
    half = Cell("C01", "Tue", "AM")
    plans = tuple(j if Cell(j.clinician_id, j.day, j.period) != half else dataclasses.replace(j, weeks_per_year=21.0)
                  for j in pack.job_plans)
    # supply by weeks run (the even-spread convention), so the hand count below is in whole weeks
    pack = pack.replace(job_plans=plans,
                        settings=dataclasses.replace(pack.settings, weekday_true_supply=False))
    assert pack.job_plans[[Cell(j.clinician_id, j.day, j.period) for j in pack.job_plans].index(half)].activity_id \
        == "fu"
    session = MeetingSession(pack, OPTIONS)
    session.add({"kind": "pin", "clinician": "C01", "slot": "Tue-AM", "activity": "fu"})
    version = session.replan()
    assert version.cells[half] == "fu"
    # The current job plans on screen: the cell shows "fu" once (no "a / b" split, no second row).
    current_grid = meeting_data(session.versions[0].run).timetable
    row = current_grid[(current_grid["clinician_id"] == "C01") & (current_grid["day"] == "Tue")
                       & (current_grid["period"] == "AM")]
    assert len(row) == 1 and row["before"].iloc[0] == "fu" and not row["alternate"].iloc[0]
    # Supply by hand: the half cell counts 21 session-weeks, not 42, before and after.
    working = {c.clinician_id: c.working_weeks for c in pack.clinicians}
    weeks_now = {(Cell(j.clinician_id, j.day, j.period), j.activity_id): j.weeks_per_year for j in pack.job_plans}
    current_fu = sum(j.weeks_per_year for j in pack.job_plans if j.activity_id == "fu")
    planned_fu = sum(weeks_now.get((k, a), working[k.clinician_id]) for k, a in version.cells.items() if a == "fu")
    gaps = version.run.plan.gaps.set_index("activity_id")
    assert gaps.loc["fu", "current_sessions_per_year"] == pytest.approx(current_fu)
    assert gaps.loc["fu", "planned_sessions_per_year"] == pytest.approx(planned_fu)
    assert current_fu == sum(working[j.clinician_id] for j in pack.job_plans if j.activity_id == "fu") - 21.0
    # The pin keeps the cell's activity, so it is no change from the current job plan.
    assert half not in {Cell(r.clinician_id, r.day, r.period)
                        for r in version.run.plan.tables["changes"].itertuples()}
    session.agree(tmp_path / "m")
    agreed = cp.read_pack(tmp_path / "m" / "agreed_pack")
    cell = next(j for j in agreed.job_plans if Cell(j.clinician_id, j.day, j.period) == half)
    assert cell.activity_id == "fu" and cell.weeks_per_year == 21.0
    again = cp.plan(agreed, OPTIONS)
    assert cells_of(again.plan.allocation) == version.cells
    assert again.plan.gaps.set_index("activity_id").loc["fu", "planned_sessions_per_year"] == pytest.approx(planned_fu)


def test_pins_that_cannot_hold_are_refused_with_the_solvers_reasons(pack, proposal):
    """Four SPA pins for C01 break C01's SPA ceiling (2 PAs a week: the SPA of the current job plan): the
    re-plan finds no plan, names both rules (the pins as a rule of the Baseline option), and nothing
    changes."""
    session = MeetingSession(pack, OPTIONS, proposal)
    for slot in ("Mon-AM", "Mon-PM", "Thu-AM", "Thu-PM"):
        session.add({"kind": "pin", "clinician": "C01", "slot": slot, "activity": "spa"})
    with pytest.raises(MeetingError) as err:
        session.replan()
    messages = [p.message for p in err.value.problems]
    assert "C01 may have at most 2 PAs of SPA a week (SPA ceiling)" in messages
    assert ("C01's sessions locked or pinned for this re-plan must stay (Mon-AM spa, Mon-PM spa, Thu-AM spa, "
            "Thu-PM spa)") in messages
    assert len(session.versions) == 1 and len(session.pending) == 4
    assert any(line.split(" ", 1)[1].startswith("Re-plan refused") for line in session.record)


def test_the_agreed_pack_keeps_a_rota_members_weeks_on_call(tmp_path):
    """A 1-in-6 on-call rota (issue 13): the agreed pack writes each member's cell with their 52/6 weeks on
    call (allocation.csv's weeks_per_year), not the working weeks, and re-plans to the same timetable with
    no change (the locked members are not counted twice in the supply cap)."""
    from test_solver_rota import rota_pack

    rota = whole_weekly_sessions(rota_pack(6))
    proposal = cp.plan(rota, OPTIONS)
    MeetingSession(rota, OPTIONS, proposal).agree(tmp_path / "meeting")
    agreed = cp.read_pack(tmp_path / "meeting" / "agreed_pack")
    assert sorted((j.clinician_id, j.day, j.period, round(j.weeks_per_year, 4), j.locked)
                  for j in agreed.job_plans) == [(c, "Mon", "EVE", round(52 / 6, 4), True) for c in "ABCDEF"]
    again = cp.plan(agreed, OPTIONS)
    assert cells_of(again.plan.allocation) == cells_of(proposal.plan.allocation)
    assert again.summary.changed_sessions == 0
