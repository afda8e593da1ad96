"""The meeting-pack tables: reading a plan folder and the numbers derived from it (tests/data/plan_fixture,
a hand-made plan for tests/data/tiny)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import capacity_planner as cp
from capacity_planner.report.tables import (
    EMPTY,
    MeetingData,
    PlanOutputError,
    build_meeting_data,
    clinician_breakdown,
    read_plan_dir,
    slot_order,
)

DATA = Path(__file__).parent / "data"
FIXTURE = DATA / "plan_fixture"


@pytest.fixture(scope="module")
def pack() -> cp.PlanningPack:
    return cp.read_pack(DATA / "tiny")


@pytest.fixture(scope="module")
def data(pack: cp.PlanningPack) -> MeetingData:
    return build_meeting_data(pack, read_plan_dir(FIXTURE))


def test_fixture_is_consistent_with_the_tiny_pack(pack: cp.PlanningPack) -> None:
    out = read_plan_dir(FIXTURE)
    assert set(out.allocation["clinician_id"]) <= set(pack.clinician_ids)
    assert set(out.allocation["activity_id"]) <= set(pack.activity_ids)
    slots = {(s.day, s.period) for s in pack.slots}
    assert set(zip(out.allocation["day"], out.allocation["period"], strict=True)) <= slots
    skills = {(s.clinician_id, s.activity_id) for s in pack.skills}
    assert all(
        pair in skills
        for pair in zip(out.allocation["clinician_id"], out.allocation["activity_id"], strict=True)
    )
    # planned PAs in clinicians.csv add up from allocation.csv
    pas = out.allocation.groupby("clinician_id")["pas"].sum()
    for row in out.clinicians.itertuples(index=False):
        assert pas[row.clinician_id] == pytest.approx(row.planned_pas)
        assert row.dcc_pas + row.spa_pas + row.other_pas == pytest.approx(row.planned_pas)
    # planned session-weeks a year = sessions a week x working weeks
    weeks = {c.clinician_id: c.working_weeks for c in pack.clinicians}
    alloc = out.allocation.assign(weeks=out.allocation["clinician_id"].map(weeks))
    planned = alloc.groupby("activity_id")["weeks"].sum()
    for row in out.gaps.itertuples(index=False):
        assert planned[row.activity_id] == pytest.approx(row.planned_sessions_per_year)
        assert row.gap_sessions_per_year == pytest.approx(
            max(0.0, row.required_sessions_per_year - row.planned_sessions_per_year), abs=1e-3
        )
    assert json.loads((FIXTURE / "summary.json").read_text())["unmet_sessions_per_year"] == pytest.approx(
        out.gaps["gap_sessions_per_year"].sum()
    )


def test_headline_numbers(data: MeetingData) -> None:
    gaps = pd.read_csv(FIXTURE / "gaps.csv")
    before = (gaps["required_sessions_per_year"] - gaps["current_sessions_per_year"]).clip(lower=0).sum()
    h = data.headline
    assert h.gap_before_sessions == pytest.approx(before)
    assert h.gap_after_sessions == pytest.approx(gaps["gap_sessions_per_year"].sum())
    assert h.gap_after_dcc_hours == pytest.approx(gaps["gap_dcc_hours_per_year"].sum())
    # DCC hours before: 4 h a session for every activity of the fixture
    assert h.gap_before_dcc_hours == pytest.approx(4 * before, rel=1e-4)
    assert [r.activity_id for r in h.rapid_access] == ["2ww"]
    assert h.rapid_access[0].cover == pytest.approx(294 / 289.4737, rel=1e-6)
    assert h.changed_sessions == len(pd.read_csv(FIXTURE / "changes.csv"))
    assert h.status == "OPTIMAL"


def test_timetable_marks_changed_cells_and_keeps_the_current_activity(data: MeetingData) -> None:
    tt = data.timetable.set_index(["clinician_id", "day", "period"])
    assert len(tt) == 4 * 11  # every clinician x every slot
    assert tt.loc[("A", "Mon", "AM"), "activity_id"] == "spa"
    assert tt.loc[("A", "Mon", "AM"), "before"] == "2ww"
    assert bool(tt.loc[("A", "Mon", "AM"), "changed"])
    assert not bool(tt.loc[("A", "Tue", "PM"), "changed"])  # locked MDT stays
    assert tt.loc[("B", "Fri", "AM"), "activity_id"] == EMPTY
    assert tt.loc[("B", "Tue", "EVE"), "category"] == "DCC"
    assert data.slots[:3] == (("Mon", "AM"), ("Mon", "PM"), ("Tue", "AM"))
    assert ("Tue", "EVE") in data.premium_slots


def test_clinician_breakdown_annualises_with_working_weeks(data: MeetingData) -> None:
    nurse = clinician_breakdown(data, "N")
    assert list(nurse["activity_id"]) == ["fu"]
    assert nurse["sessions_per_week"].iloc[0] == 10
    assert nurse["sessions_per_year"].iloc[0] == 10 * 45  # afc: 45 working weeks
    b = clinician_breakdown(data, "B").set_index("activity_id")
    assert b.loc["2ww", "sessions_per_week"] == 3
    assert b.loc["2ww", "out_of_hours_sessions"] == 1
    assert b.loc["2ww", "sessions_per_year"] == 3 * 42
    assert list(b["category"]) == ["DCC", "DCC", "SPA"]  # DCC first



def test_clinician_breakdown_counts_alternate_weeks_and_halves_by_activity(pack: cp.PlanningPack,
                                                                          tmp_path: Path) -> None:
    """plan.xlsx's sessions and PAs by activity come from allocation.csv: an alternate-week slot (Tue AM,
    spa on week A and fu on week B, 0.5 PA a week each as allocation.csv writes them) is half a session a
    week of each activity, a slot of 2-hour halves (Mon AM, spa H1 + spa H2) one session in all
    (docs/data-pack.md, job_plans ``week`` and ``half``), so the PAs by activity add up to clinicians.csv's
    planned PAs. The breakdown once read the timetable, which keeps an alternate slot's week-A activity
    with both weeks' PAs: A showed 2 SPA sessions (2.0 PAs) and 3 follow-ups, not 1.5 and 3.5."""
    plan = tmp_path / "plan"
    shutil.copytree(FIXTURE, plan)
    alloc = pd.read_csv(plan / "allocation.csv").assign(weeks_per_year=42.0, week="", half="")
    mine = (alloc["clinician_id"] == "A") & (alloc["period"] == "AM") & alloc["day"].isin(["Mon", "Tue"])
    rows = pd.DataFrame({"clinician_id": "A", "day": ["Mon", "Mon", "Tue", "Tue"], "period": "AM",
                         "activity_id": ["spa", "spa", "spa", "fu"], "pas": 0.5,
                         "weeks_per_year": [42.0, 42.0, 21.0, 21.0], "week": ["", "", "A", "B"],
                         "half": ["1", "2", "", ""]})
    pd.concat([alloc.loc[~mine], rows], ignore_index=True).to_csv(plan / "allocation.csv", index=False)
    a = clinician_breakdown(build_meeting_data(pack, read_plan_dir(plan)), "A").set_index("activity_id")
    assert a["sessions_per_week"].to_dict() == {"2ww": 4.0, "fu": 3.5, "mdt": 1.0, "spa": 1.5}
    assert a["pas_per_week"].to_dict() == {"2ww": 4.0, "fu": 3.5, "mdt": 1.0, "spa": 1.5}
    assert a["pas_per_week"].sum() == 10.0  # clinicians.csv planned_pas
    assert a.loc["spa", "sessions_per_year"] == 1.5 * 42 and a.loc["fu", "sessions_per_year"] == 3.5 * 42

def test_assumptions_and_defaults_tables(data: MeetingData) -> None:
    settings = data.settings_table.set_index("setting")
    assert settings.loc["DNA convention", "value"] == "rebook_until_seen"
    assert settings.loc["DNA convention", "source"] == "default"
    assert settings.loc["Rapid-access sizing", "source"] == "pack.toml"
    assert settings.loc["Service weeks a year", "value"] == 50
    defaults = data.defaults_table.set_index(["table", "column"])
    assert defaults.loc[("clinicians", "working_weeks"), "rows"] == 4
    assert defaults.loc[("clinicians", "working_weeks"), "values"] == "42 (3), 45 (1)"
    # summarised by column: no row keys (they would name clinicians)
    assert "key" not in data.defaults_table.columns


def test_solver_tables_read_per_level_values(data: MeetingData) -> None:
    levels = data.levels_table.set_index("level")
    assert list(levels.index) == ["unmet_demand", "cost", "changes", "fairness"]
    assert levels.loc["unmet_demand", "objective"] == pytest.approx(103.6667)
    items = dict(zip(data.solver_table["item"], data.solver_table["value"], strict=True))
    assert items["Status"] == "OPTIMAL"
    assert items["Solve time (s)"] == 0.42


def test_reasons_fall_back_to_summary_json(tmp_path: Path, pack: cp.PlanningPack) -> None:
    folder = tmp_path / "plan"
    shutil.copytree(FIXTURE, folder)
    (folder / "gap_reasons.csv").unlink()
    d = build_meeting_data(pack, read_plan_dir(folder))
    assert set(d.reasons) == {"fu", "mdt"}
    assert d.reasons["mdt"][0].startswith("The Tue PM MDT")


@pytest.mark.parametrize(
    ("file", "column"),
    [("gaps.csv", "gap_dcc_hours_per_year"), ("allocation.csv", "pas"), ("changes.csv", "activity_before")],
)
def test_missing_column_is_named(tmp_path: Path, file: str, column: str) -> None:
    folder = tmp_path / "plan"
    shutil.copytree(FIXTURE, folder)
    frame = pd.read_csv(folder / file, dtype=str, keep_default_na=False).drop(columns=[column])
    frame.to_csv(folder / file, index=False)
    with pytest.raises(PlanOutputError, match=f"{file} lacks column.*{column}"):
        read_plan_dir(folder)


def test_missing_file_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "plan"
    shutil.copytree(FIXTURE, folder)
    (folder / "clinicians.csv").unlink()
    with pytest.raises(PlanOutputError, match=r"clinicians\.csv is missing"):
        read_plan_dir(folder)


def test_text_ids_are_kept_verbatim(tmp_path: Path) -> None:
    """An activity called "NA" is an ID, not a missing value."""
    folder = tmp_path / "plan"
    shutil.copytree(FIXTURE, folder)
    text = (folder / "allocation.csv").read_text().replace(",fu,", ",NA,")
    (folder / "allocation.csv").write_text(text)
    assert "NA" in set(read_plan_dir(folder).allocation["activity_id"])


def test_slot_order() -> None:
    assert slot_order([("Tue", "AM"), ("Mon", "EVE"), ("Mon", "AM"), ("Sat", "AM"), ("Mon", "AM")]) == (
        ("Mon", "AM"),
        ("Mon", "EVE"),
        ("Tue", "AM"),
        ("Sat", "AM"),
    )


def test_a_slot_on_alternate_weeks_shows_both_activities(pack: cp.PlanningPack, tmp_path: Path) -> None:
    """Clinician A's Mon AM split into SPA in week A and the 2WW clinic in week B (issue 13): the timetable
    keeps both (not only the last row read), sums the PAs (0.5 + 0.5), and the page and the workbook say
    which week runs which."""
    from capacity_planner.report.excel import build_workbook
    from capacity_planner.report.html import report_context

    folder = tmp_path / "plan"
    shutil.copytree(FIXTURE, folder)
    alloc = pd.read_csv(folder / "allocation.csv", dtype=str, keep_default_na=False)
    alloc["week"] = ""
    first = (alloc["clinician_id"] == "A") & (alloc["day"] == "Mon") & (alloc["period"] == "AM")
    assert alloc.loc[first, "activity_id"].tolist() == ["spa"]
    alloc.loc[first, ["pas", "week"]] = ["0.5", "A"]
    week_b = alloc.loc[first].assign(activity_id="2ww", week="B")
    pd.concat([alloc, week_b]).to_csv(folder / "allocation.csv", index=False)
    d = build_meeting_data(pack, read_plan_dir(folder))
    row = d.timetable.set_index(["clinician_id", "day", "period"]).loc[("A", "Mon", "AM")]
    assert (row["activity_id"], row["week_b"], row["text"], row["pas"]) == ("spa", "2ww", "spa / 2ww", 1.0)
    assert row["alternate"]
    weekly = d.timetable.set_index(["clinician_id", "day", "period"]).loc[("A", "Mon", "PM")]
    assert not weekly["alternate"] and weekly["week_b"] == "" and weekly["text"] == "2ww"

    from capacity_planner.report.meeting_pack import MeetingCharts

    timetable = report_context(d, MeetingCharts({}, [], []))["timetable"]
    cell = timetable["rows"][d.clinician_order.index("A")]["cells"][d.slots.index(("Mon", "AM"))]
    assert cell["activity"] == "spa / 2ww" and "week A" in cell["title"] and "week B" in cell["title"]
    assert cell["colour"].startswith("linear-gradient") and timetable["alternate"]
    grid = build_workbook(d)["Timetable"]
    assert "spa / 2ww" in [c.value for row in grid.iter_rows() for c in row]


def test_a_slot_of_two_hour_halves_shows_each_half(pack: cp.PlanningPack, tmp_path: Path) -> None:
    """Clinician A's Mon AM as a 2-hour half of SPA and an empty half (allocation.csv half 1, issue 13 item
    5): the timetable, the page, the workbook's timetable and A's job-plan sheet show "spa (2 h)" every
    week, not as alternate weeks."""
    from capacity_planner.report.excel import build_workbook
    from capacity_planner.report.html import report_context
    from capacity_planner.report.meeting_pack import MeetingCharts

    folder = tmp_path / "plan"
    shutil.copytree(FIXTURE, folder)
    alloc = pd.read_csv(folder / "allocation.csv", dtype=str, keep_default_na=False)
    alloc["half"] = ""
    first = (alloc["clinician_id"] == "A") & (alloc["day"] == "Mon") & (alloc["period"] == "AM")
    alloc.loc[first, ["pas", "half"]] = ["0.5", "1"]
    alloc.to_csv(folder / "allocation.csv", index=False)
    d = build_meeting_data(pack, read_plan_dir(folder))
    row = d.timetable.set_index(["clinician_id", "day", "period"]).loc[("A", "Mon", "AM")]
    assert (row["activity_id"], row["week_b"], row["text"], row["pas"]) == ("spa", "", "spa (2 h) + free (2 h)",
                                                                           0.5)
    assert row["halves"] and not row["alternate"]
    timetable = report_context(d, MeetingCharts({}, [], []))["timetable"]
    cell = timetable["rows"][d.clinician_order.index("A")]["cells"][d.slots.index(("Mon", "AM"))]
    assert cell["activity"] == "spa (2 h) + free (2 h)" and "(2 h)" in cell["title"]
    assert "week A" not in cell["title"]
    wb = build_workbook(d)
    assert "spa (2 h) + free (2 h)" in [c.value for r in wb["Timetable"].iter_rows() for c in r]
    sheet = next(ws for ws in wb.worksheets if ws.title.startswith(d.label("A")[:10]))
    assert any("(2 h)" in str(c.value) and "week" not in str(c.value) for r in sheet.iter_rows() for c in r)


def test_a_rota_member_is_shown_on_call_1_in_n(pack: cp.PlanningPack, tmp_path: Path) -> None:
    """A member of a 1-in-6 Tue-EVE on-call rota (requirements.rota_size, issue 13): the timetable, the page,
    the workbook's timetable and the clinician's job-plan sheet show "on call 1 in 6"."""
    from capacity_planner.pack.model import Activity, FixedRequirement
    from capacity_planner.report.excel import build_workbook
    from capacity_planner.report.html import report_context
    from capacity_planner.report.meeting_pack import MeetingCharts

    rota = pack.replace(activities=(*pack.activities, Activity("oncall", "ONCALL")),
                        requirements=(*pack.requirements,
                                      FixedRequirement("oncall", day="Tue", period="EVE", rota_size=6)))
    folder = tmp_path / "plan"
    shutil.copytree(FIXTURE, folder)
    alloc = pd.read_csv(folder / "allocation.csv", dtype=str, keep_default_na=False)
    member = alloc.iloc[:1].assign(clinician_id="A", day="Tue", period="EVE", activity_id="oncall",
                                   pas="0.2751", weeks_per_year=str(50 / 6), week="")
    pd.concat([alloc, member]).to_csv(folder / "allocation.csv", index=False)
    d = build_meeting_data(rota, read_plan_dir(folder))
    row = d.timetable.set_index(["clinician_id", "day", "period"]).loc[("A", "Tue", "EVE")]
    assert (row["text"], row["rota"]) == ("oncall (on call 1 in 6)", 6)
    timetable = report_context(d, MeetingCharts({}, [], []))["timetable"]
    cell = timetable["rows"][d.clinician_order.index("A")]["cells"][d.slots.index(("Tue", "EVE"))]
    assert cell["activity"] == "oncall (on call 1 in 6)" and "on call 1 in 6" in cell["title"]
    wb = build_workbook(d)
    assert "oncall (on call 1 in 6)" in [c.value for r in wb["Timetable"].iter_rows() for c in r]
    sheet = next(ws for ws in wb.worksheets if ws.title.startswith(d.label("A")[:10]))
    assert any("on call 1 in 6" in str(c.value) for r in sheet.iter_rows() for c in r)
