"""Every headline figure of the meeting pack equals its CSV/JSON source (issue 18 item 2, issue 13 "the
report"): the embedded sample planned end to end with a work limit (the same plan on any machine), then
report.html, plan.xlsx and the meeting tables read back and compared with clinicians.csv, changes.csv,
gaps.csv and summary.json."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from test_report_html import Doc, body_rows, parse

import capacity_planner as cp
from capacity_planner.cli import cli
from capacity_planner.pack.read import sample_pack
from capacity_planner.report.meeting_pack import write_report_files
from capacity_planner.report.tables import (
    ChangeKinds,
    MeetingData,
    build_meeting_data,
    change_kinds,
    read_plan_dir,
)

DATA = Path(__file__).parent / "data"
FIXTURE = DATA / "plan_fixture"
IDS = {"clinician_id": str, "activity_id": str, "activity_before": str, "activity_after": str}


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "plan"
    result = CliRunner().invoke(
        cli, ["plan", "--out", str(out), "--work-limit", "20", "--workers", "1", "--seed", "3"]
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def data(plan_dir: Path) -> MeetingData:
    return build_meeting_data(sample_pack(), read_plan_dir(plan_dir))


@pytest.fixture(scope="module")
def summary(plan_dir: Path) -> dict[str, object]:
    return json.loads((plan_dir / "summary.json").read_text(encoding="utf-8"))


def _csv(plan_dir: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(plan_dir / name, dtype=IDS, keep_default_na=False)


def test_changed_sessions_and_clinicians_affected_equal_summary_and_clinicians_csv(
    data: MeetingData, summary: dict[str, object], plan_dir: Path
) -> None:
    clin = pd.read_csv(plan_dir / "clinicians.csv", dtype=IDS)
    h = data.headline
    assert h.changed_sessions == summary["changed_sessions"] == clin["changed_sessions"].sum()
    assert h.clinicians_changed == summary["clinicians_affected"] == (clin["changed_sessions"] > 0).sum()
    # the kinds add up to the solver's count (a move counts once)
    assert h.change_kinds.total == h.changed_sessions


def test_gap_split_adds_up_to_gaps_csv(data: MeetingData, plan_dir: Path) -> None:
    gaps = _csv(plan_dir, "gaps.csv").astype({"gap_sessions_per_year": float})
    req = pd.read_csv(plan_dir / "requirements.csv", dtype=str)
    rapid = set(req.loc[req["rapid_access"].str.lower() == "true", "activity_id"])
    h = data.headline
    assert h.gap_after_sessions == pytest.approx(gaps["gap_sessions_per_year"].sum())
    assert h.rapid_gap_after == pytest.approx(gaps.loc[gaps["activity_id"].isin(rapid),
                                                       "gap_sessions_per_year"].sum())
    assert h.rapid_gap_after + h.routine_gap_after == pytest.approx(h.gap_after_sessions)
    assert h.rapid_gap_before + h.routine_gap_before == pytest.approx(h.gap_before_sessions)


def test_unassigned_pas_equal_clinicians_csv_and_summary(
    data: MeetingData, summary: dict[str, object], plan_dir: Path
) -> None:
    clin = pd.read_csv(plan_dir / "clinicians.csv", dtype=IDS)
    assert data.headline.unassigned_pas == pytest.approx(clin["unassigned_pas"].sum())
    assert data.headline.unassigned_pas == pytest.approx(float(summary["unassigned_pas"]), abs=0.01)


def test_assumptions_show_the_settings_this_run_used(data: MeetingData) -> None:
    table = data.settings_table.set_index("setting")
    # the command line gave --work-limit 20 --workers 1 --seed 3; the pack's defaults differ
    assert table.loc["Solver work limit", "value"] == 20
    assert table.loc["Solver threads", "value"] == 1
    assert table.loc["Solver seed", "value"] == 3
    assert table.loc["Solver seed", "source"] == "this run (summary.json)"
    assert "per objective level" not in " ".join(table["meaning"])


def test_report_html_headline_equals_the_files(plan_dir: Path, summary: dict[str, object]) -> None:
    doc = parse(plan_dir / "report.html")
    assert doc.errors == []
    cards = {}
    current = ""
    for tag, attrs in doc.elements:
        if tag == "div" and attrs.get("id"):
            current = attrs["id"]
        if tag == "dd" and "data-value" in attrs:
            cards.setdefault(current, float(attrs["data-value"]))
    gaps = _csv(plan_dir, "gaps.csv").astype({"gap_sessions_per_year": float})
    assert cards["gap-after"] == pytest.approx(gaps["gap_sessions_per_year"].sum())
    assert cards["changes-card"] == summary["changed_sessions"]
    # the changes table counts sessions per clinician as clinicians.csv does
    clin = pd.read_csv(plan_dir / "clinicians.csv", dtype=IDS).set_index("clinician_id")
    shown = sum(float(r[1].attrs["data-value"]) for r in body_rows(doc, "changes-table"))
    assert shown == clin["changed_sessions"].sum()


def test_report_html_marks_filled_free_slots(plan_dir: Path) -> None:
    changes = _csv(plan_dir, "changes.csv")
    filled = ((changes["activity_before"] == "") & (changes["activity_after"] != "")).sum()
    text = (plan_dir / "report.html").read_text(encoding="utf-8")
    assert text.count('<span class="was">was free</span>') == filled


def test_plan_xlsx_summary_equals_the_files(plan_dir: Path, summary: dict[str, object]) -> None:
    ws = openpyxl.load_workbook(plan_dir / "plan.xlsx")["Summary"]
    values = {(str(r[0].value).strip(), r[2].value): r[1].value
              for r in ws.iter_rows(min_col=1, max_col=3) if r[0].value}
    assert values["Sessions changed (a move counts 1)", "sessions"] == summary["changed_sessions"]
    assert values["Clinicians with changes", "clinicians"] == summary["clinicians_affected"]
    gaps = _csv(plan_dir, "gaps.csv").astype({"gap_sessions_per_year": float, "gap_dcc_hours_per_year": float})
    assert values["Gap with the proposed plan", "sessions a year"] == pytest.approx(
        gaps["gap_sessions_per_year"].sum())
    assert values["Gap with the proposed plan", "DCC hours a year"] == pytest.approx(
        gaps["gap_dcc_hours_per_year"].sum())


def test_change_kinds_by_hand() -> None:
    # clinician X: 1 slot gets another activity, 2 freed and 3 filled -> 1 in place, 2 moved, 1 filled;
    # clinician Y: 1 freed -> freed 1. Total 1 + 2 + 1 + 1 = 5 = X: 1 + max(3, 2) = 4, Y: max(0, 1) = 1.
    rows = [("X", "a", "b"), ("X", "a", ""), ("X", "b", ""), ("X", "", "a"), ("X", "", "a"), ("X", "", "c"),
            ("Y", "a", "")]
    frame = pd.DataFrame(rows, columns=["clinician_id", "activity_before", "activity_after"])
    assert change_kinds(frame) == ChangeKinds(in_place=1, moved=2, filled=1, freed=1)
    assert change_kinds(frame).total == 5


def test_unassigned_time_is_shown_per_clinician_with_its_reason(tmp_path: Path) -> None:
    folder = tmp_path / "plan"
    shutil.copytree(FIXTURE, folder)
    clin = pd.read_csv(folder / "clinicians.csv", dtype=str, keep_default_na=False)
    clin["unassigned_pas"] = ["0.0", "1.5", "0.0", "0.0"]  # B: 1.5 PAs a week
    clin["unassigned_reason"] = ["", "no further need for fu", "", ""]
    clin.to_csv(folder / "clinicians.csv", index=False)
    pack = cp.read_pack(DATA / "tiny")
    write_report_files(pack, folder)
    doc: Doc = parse(folder / "report.html")
    rows = {r[0].text: r for r in body_rows(doc, "clinicians-table")}
    bell = rows["Dr Ben Bell"]
    assert any(c.attrs.get("data-value") and float(c.attrs["data-value"]) == 1.5 for c in bell)
    assert "<li><b>Dr Ben Bell</b>: 1.5 PAs a week unassigned — no further need for fu</li>" in (
        folder / "report.html").read_text(encoding="utf-8")
    ids = {tag_attrs.get("id") for _, tag_attrs in doc.elements}
    assert "unassigned-card" in ids
    ws = openpyxl.load_workbook(folder / "plan.xlsx")["Dr Ben Bell"]
    details = {str(r[0].value): r[1].value for r in ws.iter_rows(min_row=4, max_row=14, max_col=2)}
    assert details["Unassigned PAs a week"] == 1.5
    assert details["Why unassigned"] == "no further need for fu"


def test_routine_floor_note_and_solver_rounding_are_shown(tmp_path: Path) -> None:
    folder = tmp_path / "plan"
    shutil.copytree(FIXTURE, folder)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    note = "fu: held at its routine floor (300 session-weeks a year, floor 300) while rapid access is short"
    summary["routine_floor"] = [note]
    summary["unmet_sessions_per_year"] = 110.0  # as if demand were rounded up: gaps.csv sums to 103.67
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    data = build_meeting_data(cp.read_pack(DATA / "tiny"), read_plan_dir(folder))
    assert data.headline.routine_floor == (note,)
    solver = data.solver_table.set_index("item")["value"]
    assert str(solver["Unmet sessions a year"]).startswith("110 (demand rounded up")
    assert "104 with the exact demand" in str(solver["Unmet sessions a year"])
    write_report_files(cp.read_pack(DATA / "tiny"), folder)
    text = (folder / "report.html").read_text(encoding="utf-8")
    assert 'id="routine-floor"' in text and "held at its routine floor" in text


def test_plan_writes_and_shows_the_weekly_demand_xmr_charts(plan_dir: Path) -> None:
    from capacity_planner.report.spc_chart import demand_history

    weekly = pd.read_csv(plan_dir / "weekly_demand.csv", dtype={"activity_id": str})
    acts = list(demand_history(weekly))
    assert sorted(p.stem for p in (plan_dir / "charts").glob("spc_demand_*.png")) == sorted(
        f"spc_demand_{a}" for a in acts)
    text = (plan_dir / "report.html").read_text(encoding="utf-8")
    section = text[text.index('<section id="variation"'):]
    section = section[:section.index("</section>")]
    assert section.count('alt="XmR chart of weekly demand for ') == len(acts)


def test_plan_xlsx_requirements_are_numbers_in_plain_words(plan_dir: Path) -> None:
    ws = openpyxl.load_workbook(plan_dir / "plan.xlsx")["Requirements"]
    header = {str(c.value): c.column for c in ws[1] if c.value is not None}
    assert not [h for h in header if "_" in h or h in ("Dna rate", "Dna factor")]
    text_numbers = []
    for name, col in header.items():
        for row in range(2, ws.max_row + 1):
            value = ws.cell(row=row, column=col).value
            if isinstance(value, str):
                try:
                    float(value)
                except ValueError:
                    continue
                text_numbers.append((name, row, value))
    assert text_numbers == []
    # the sample's extension columns (hospital cancellation rate, growth) are numbers too
    assert isinstance(ws.cell(row=2, column=header["Hospital cancellation rate"]).value, float)


def test_report_html_rapid_and_routine_split_equals_gaps_csv(plan_dir: Path) -> None:
    """The headline's rapid-access / routine split, before → after, is gaps.csv summed by requirements.csv's
    rapid_access flag (before = max(0, required − current) per activity), as shown (rounded)."""
    import re

    gaps = _csv(plan_dir, "gaps.csv").astype({c: float for c in (
        "required_sessions_per_year", "current_sessions_per_year", "gap_sessions_per_year")})
    req = pd.read_csv(plan_dir / "requirements.csv", dtype=str)
    rapid = gaps["activity_id"].isin(set(req.loc[req["rapid_access"].str.lower() == "true", "activity_id"]))
    before = (gaps["required_sessions_per_year"] - gaps["current_sessions_per_year"]).clip(lower=0)
    after = gaps["gap_sessions_per_year"]
    shown = [f"{x:,.0f}" for x in (before[rapid].sum(), after[rapid].sum(), before[~rapid].sum(),
                                   after[~rapid].sum())]
    text = (plan_dir / "report.html").read_text(encoding="utf-8")
    split = re.search(r'<p id="gap-split">Rapid access: ([\d,]+) → ([\d,]+) sessions a year short; routine: '
                      r"([\d,]+) → ([\d,]+)", text)
    assert split is not None and list(split.groups()) == shown
    assert f"<dd>rapid access {shown[0]} · routine {shown[2]}</dd>" in text  # the card "with current plans"
    assert f"<dd>rapid access {shown[1]} · routine {shown[3]}</dd>" in text  # the card "with the plan"
