"""plan.xlsx: reads back with openpyxl, matches the plan CSVs, numbers are numbers, text never a formula."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import openpyxl
import pandas as pd
import pytest

import capacity_planner as cp
from capacity_planner.report.charts import CATEGORY_COLOURS
from capacity_planner.report.excel import (
    CHANGE_XCOLS,
    CLINICIAN_XCOLS,
    FIXED_SHEETS,
    GAP_XCOLS,
    sheet_title,
    write_plan_workbook,
)

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

DATA = Path(__file__).parent / "data"
FIXTURE = DATA / "plan_fixture"
INJECTED = '=HYPERLINK("http://example.invalid/x","Dr Ada Ames")'


def header_index(ws: Worksheet, row: int = 1) -> dict[str, int]:
    return {str(c.value): c.column for c in ws[row] if c.value is not None}


def records(ws: Worksheet, columns: dict[str, str]) -> list[dict[str, Any]]:
    """Rows under the header of row 1, keyed by the CSV column name (``columns``: header -> key)."""
    idx = header_index(ws)
    out = []
    for r in range(2, ws.max_row + 1):
        rec = {key: ws.cell(row=r, column=idx[h]).value for h, key in columns.items()}
        if all(v is None for v in rec.values()):
            break
        out.append(rec)
    return out


@pytest.fixture(scope="module")
def pack() -> cp.PlanningPack:
    return cp.read_pack(DATA / "tiny")


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory, pack: cp.PlanningPack) -> openpyxl.Workbook:
    out = write_plan_workbook(pack, FIXTURE, tmp_path_factory.mktemp("xlsx") / "plan.xlsx")
    return openpyxl.load_workbook(out)


def test_sheets(workbook: openpyxl.Workbook, pack: cp.PlanningPack) -> None:
    names = [c.name for c in pack.clinicians]
    assert workbook.sheetnames == [*FIXED_SHEETS, *names]
    for ws in workbook.worksheets:
        assert len(ws.title) <= 31 and not re.search(r"[\[\]:*?/\\]", ws.title)
    for name in ("Timetable", "Gaps", "Changes", "Clinicians", "Requirements"):
        assert workbook[name].freeze_panes == "B2", name
        widths = [d.width for d in workbook[name].column_dimensions.values()]
        assert widths and max(widths) > 10, name


def test_gaps_sheet_matches_gaps_csv(workbook: openpyxl.Workbook) -> None:
    gaps = pd.read_csv(FIXTURE / "gaps.csv")
    rows = records(workbook["Gaps"], {c.header: c.key for c in GAP_XCOLS})
    assert [r["activity_id"] for r in rows] == list(gaps["activity_id"])
    for rec, g in zip(rows, gaps.to_dict("records"), strict=True):
        for col in gaps.columns[1:]:
            assert isinstance(rec[col], int | float), col  # a number, not text
            assert rec[col] == pytest.approx(g[col])
    assert "only Dr Ada Ames and Dr Ben Bell may attend" in str(rows[2]["reason"])


def test_clinicians_sheet_matches_clinicians_csv(workbook: openpyxl.Workbook, pack: cp.PlanningPack) -> None:
    clin = pd.read_csv(FIXTURE / "clinicians.csv", dtype={"clinician_id": str})
    rows = records(workbook["Clinicians"], {c.header: c.key for c in CLINICIAN_XCOLS})
    assert [r["clinician_id"] for r in rows] == list(clin["clinician_id"])
    for rec, c in zip(rows, clin.to_dict("records"), strict=True):
        assert rec["label"] == pack.clinician(c["clinician_id"]).name
        # staff groups in plain words (consultant -> Consultant, sas -> SAS doctor, nurse -> Nurse)
        assert rec["staff_group"] == {"consultant": "Consultant", "sas": "SAS doctor", "nurse": "Nurse"}[
            c["staff_group"]]
        for col in clin.columns[2:]:
            assert isinstance(rec[col], int | float), col
            assert rec[col] == pytest.approx(c[col])


def test_changes_sheet_matches_changes_csv(workbook: openpyxl.Workbook) -> None:
    changes = pd.read_csv(FIXTURE / "changes.csv", dtype=str, keep_default_na=False)
    rows = records(workbook["Changes"], {c.header: c.key for c in CHANGE_XCOLS})
    got = sorted(tuple(str(r[k] or "") for k in changes.columns) for r in rows)
    assert got == sorted(map(tuple, changes.to_numpy().tolist()))


def test_requirements_sheet_numbers(workbook: openpyxl.Workbook) -> None:
    req = pd.read_csv(FIXTURE / "requirements.csv")
    ws = workbook["Requirements"]
    idx = header_index(ws)
    col = idx["Sessions a year"]
    values = [ws.cell(row=r, column=col).value for r in range(2, 2 + len(req))]
    assert values == pytest.approx(list(req["sessions_per_year"]))
    assert ws.cell(row=2, column=col).number_format == "#,##0.00"
    # headers in plain words, shares as percentages
    assert "Did-not-attend rate" in idx and "Dna rate" not in idx
    assert ws.cell(row=2, column=idx["Did-not-attend rate"]).number_format == "0.0%"
    # every numeric column of requirements.csv is stored as a number, never as text
    for name, c in idx.items():
        cells = [ws.cell(row=r, column=c).value for r in range(2, 2 + len(req))]
        assert not [v for v in cells if isinstance(v, str) and _is_number(v)], name


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_extension_columns_are_typed_numbers_or_text() -> None:
    """requirements.csv's columns the schema does not know are numbers when every given cell is one (so the
    Requirements sheet stores numbers), else text; the same rule for a run in memory and a folder."""
    from capacity_planner.report.tables import typed_column

    frame = pd.DataFrame({"a": ["0.5", "", "2"], "b": ["x", "1", ""], "c": [1.0, 2.0, 3.0],
                          "d": [float("nan")] * 3, "e": ["", "", ""]})
    out = {k: typed_column(frame[k]) for k in frame.columns}
    assert out["a"].tolist()[0] == 0.5 and pd.isna(out["a"][1]) and out["a"][2] == 2.0
    assert out["b"].tolist() == ["x", "1", ""]  # one cell is not a number: left as text
    assert out["c"].tolist() == [1.0, 2.0, 3.0]
    # an all-blank column is blank text whether it was numbers in memory or text read from a file
    assert out["d"].tolist() == out["e"].tolist() == ["", "", ""]


def test_timetable_sheet_is_filled_by_category(workbook: openpyxl.Workbook, pack: cp.PlanningPack) -> None:
    ws = workbook["Timetable"]
    header = [c.value for c in ws[1]]
    assert header[0] == "Clinician" and header[1] == "Mon AM" and "Tue EVE (premium)" in header
    alloc = pd.read_csv(FIXTURE / "allocation.csv", dtype=str)
    cats = {a.activity_id: a.category for a in pack.activities}
    changes = pd.read_csv(FIXTURE / "changes.csv", dtype=str, keep_default_na=False)
    changed = {(r.clinician_id, f"{r.day} {r.period}") for r in changes.itertuples()}
    names = {c.clinician_id: c.name for c in pack.clinicians}
    row_of = {ws.cell(row=r, column=1).value: r for r in range(2, 2 + len(pack.clinicians))}
    col_of = {str(v).replace(" (premium)", ""): j for j, v in enumerate(header, start=1)}
    for r in alloc.itertuples():
        cell = ws.cell(row=row_of[names[r.clinician_id]], column=col_of[f"{r.day} {r.period}"])
        assert cell.value == r.activity_id
        assert cell.fill.fgColor.rgb[-6:] == CATEGORY_COLOURS[cats[r.activity_id]].lstrip("#").upper()
        is_changed = (r.clinician_id, f"{r.day} {r.period}") in changed
        assert (cell.border.left.style == "thick") == is_changed
        assert (cell.comment is not None) == is_changed


def test_clinician_sheet_is_a_job_plan_proposal(workbook: openpyxl.Workbook, pack: cp.PlanningPack) -> None:
    ws = workbook["Dr Ben Bell"]
    assert ws["A1"].value == "Job plan proposal: Dr Ben Bell"
    cells = {str(c.value): c for row in ws.iter_rows() for c in row if c.value is not None}
    # the weekly grid: days across, sessions down
    grid = cells["Session"]
    days = [ws.cell(row=grid.row, column=grid.column + k).value for k in range(1, 6)]
    assert days == ["Mon", "Tue", "Wed", "Thu", "Fri"]
    eve = next(
        ws.cell(row=r, column=1)
        for r in range(grid.row, grid.row + 4)
        if ws.cell(row=r, column=1).value == "EVE"
    )
    # Tue EVE: free in B's current job plan (changes.csv activity_before blank), so marked as such
    assert ws.cell(row=eve.row, column=grid.column + 2).value == "Two-week-wait clinic (was free)"
    assert ws.cell(row=eve.row, column=grid.column + 1).value == "n/a"  # no Mon EVE slot
    # by activity: annualised = sessions a week x working weeks (42)
    head = cells["Sessions by activity (annualised = sessions a week × working weeks)"].row + 1
    idx = header_index(ws, head)
    rows = {ws.cell(row=r, column=1).value: r for r in range(head + 1, head + 4)}
    r2ww = rows["Two-week-wait clinic"]
    assert ws.cell(row=r2ww, column=idx["Sessions a week"]).value == 3
    assert ws.cell(row=r2ww, column=idx["Out-of-hours sessions"]).value == 1
    assert ws.cell(row=r2ww, column=idx["Annualised sessions"]).value == 3 * 42
    # changes listed in full names, a free slot as "free" (B Tue EVE: free -> 2ww)
    head = cells["Changes from the current job plan"].row + 1
    listed = {(ws.cell(row=r, column=1).value, ws.cell(row=r, column=2).value):
              (ws.cell(row=r, column=3).value, ws.cell(row=r, column=4).value) for r in range(head + 1, head + 5)}
    assert listed["Tue", "EVE"] == ("free", "Two-week-wait clinic")
    # by category, with a total equal to planned PAs
    total = cells["Total"]
    assert ws.cell(row=total.row, column=2).value == 6
    assert ws.cell(row=total.row, column=4).value == 6 * 42


def test_injected_formula_names_stay_text(tmp_path: Path, pack: cp.PlanningPack) -> None:
    evil = {"A": INJECTED, "B": "+SUM(1,2)", "S": "-2+3", "N": "@cmd|' /C calc'!A0"}
    bad = pack.replace(
        clinicians=tuple(dataclasses.replace(c, name=evil[c.clinician_id]) for c in pack.clinicians)
    )
    out = write_plan_workbook(bad, FIXTURE, tmp_path / "plan.xlsx")
    wb = openpyxl.load_workbook(out)
    found = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value in evil.values():
                    assert cell.data_type == "s", (ws.title, cell.coordinate)
                    assert cell.quotePrefix
                    found += 1
    assert found >= 3 * len(evil)  # Timetable, Changes and Clinicians sheets at least
    with zipfile.ZipFile(out) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                xml = z.read(name).decode()
                assert "<f>" not in xml and "<f " not in xml, name
    # sheet titles are cleaned: no []:*?/\ and at most 31 characters
    titles = wb.sheetnames[len(FIXED_SHEETS) :]
    assert len(titles) == 4 and len(set(titles)) == 4
    assert all(len(t) <= 31 and not re.search(r"[\[\]:*?/\\]", t) for t in titles)


def test_sheet_title() -> None:
    used: set[str] = set()
    assert sheet_title("Summary", used) == "Summary"
    assert sheet_title("summary", used) == "summary (2)"
    assert sheet_title("a/b:c*d?e[f]g\\h", used) == "abcdefgh"
    long = "Professor Bartholomew Featherstonehaugh-Smythe"
    first = sheet_title(long, used)
    second = sheet_title(long, used)
    assert len(first) == 31 and len(second) == 31 and first != second and second.endswith("(2)")
    assert sheet_title("''", used) == "Sheet"
    assert sheet_title("History", used) == "History (2)"  # reserved by Excel


def test_workbook_is_written_atomically_into_the_plan_folder(tmp_path: Path, pack: cp.PlanningPack) -> None:
    folder = tmp_path / "plan"
    shutil.copytree(FIXTURE, folder)
    out = write_plan_workbook(pack, folder)
    assert out == folder / "plan.xlsx"
    assert not [p for p in folder.iterdir() if p.name.startswith(".tmp-")]
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # like any file the user writes, not 0600


# ---- headers: every one from the label table (issue 18 item 5) ---------------------------------------------
def _header_cells(wb: openpyxl.Workbook) -> list[tuple[str, str, object]]:
    """(sheet, cell, value) of every header cell: the cells written with the header fill."""
    out = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                rgb = cell.fill.fgColor.rgb if cell.fill is not None and cell.fill.fill_type else None
                if isinstance(rgb, str) and rgb[-6:] == "D9E2EA" and cell.value is not None:
                    out.append((ws.title, cell.coordinate, cell.value))
    return out


def _slot_words() -> set[str]:
    """Timetable column heads and job-plan grid heads: days, periods and "day period" slots."""
    from capacity_planner.constants import DAYS, PERIODS

    slots = {f"{d} {p}" for d in DAYS for p in PERIODS}
    return {*DAYS, *PERIODS, *slots, *(f"{s} (premium)" for s in slots)}


@pytest.fixture(scope="module")
def sized_requirements(pack: cp.PlanningPack) -> pd.DataFrame:
    """The tiny pack's requirements as the demand sizing writes them: every extension column."""
    from capacity_planner.demand.pipeline import size_demand

    return size_demand(pack).requirements.table


def test_every_requirements_column_the_tool_writes_has_a_label(sized_requirements: pd.DataFrame) -> None:
    from capacity_planner.demand.requirements import COLUMNS, EXTENSION_COLUMNS
    from capacity_planner.pages.labels import has_label

    columns = [*COLUMNS, *EXTENSION_COLUMNS, *map(str, sized_requirements.columns)]
    assert "dna_rate_source" in columns and "sessions_per_service_week" in columns  # extensions present
    assert [c for c in columns if not has_label(c)] == []


def test_every_header_on_every_sheet_is_from_the_label_table(
        tmp_path: Path, pack: cp.PlanningPack, sized_requirements: pd.DataFrame) -> None:
    """Built from a plan folder whose requirements.csv carries every column the sizing writes (the
    extension columns included) and one column added by hand: every header cell of every sheet is a
    label of the table, or a day / session name, or the added column's own name verbatim — never a
    mechanically title-cased column name such as "Dna rate"."""
    from capacity_planner.pages.labels import COLUMN_LABELS

    folder = tmp_path / "plan"
    shutil.copytree(FIXTURE, folder)
    req = sized_requirements.copy()
    req["ward_code"] = ["W1"] * len(req)  # a column the tool does not know
    req.to_csv(folder / "requirements.csv", index=False)
    wb = openpyxl.load_workbook(write_plan_workbook(pack, folder, tmp_path / "plan.xlsx"))
    allowed = set(COLUMN_LABELS.values()) | _slot_words()
    headers = _header_cells(wb)
    assert {sheet for sheet, _, _ in headers} >= {"Summary", "Timetable", "Gaps", "Changes", "Clinicians",
                                                  "Requirements", "Assumptions", "Dr Ben Bell"}
    req_headers = [v for sheet, _, v in headers if sheet == "Requirements"]
    assert "ward_code" in req_headers  # verbatim: findable in requirements.csv
    bad = [(s, c, v) for s, c, v in headers if v not in allowed and v != "ward_code"]
    assert bad == []
    # the extension columns are labelled, numbers stay numbers, and nothing is title-cased
    assert {"Did-not-attend rate from", "Sessions a service week", "Fixed sessions a week",
            "Did-not-attend rate (all appointments)"} <= set(req_headers)
    mechanical = {k.replace("_", " ").capitalize() for k in req.columns} - set(COLUMN_LABELS.values())
    assert not mechanical & {str(v) for _, _, v in headers}


def test_clinician_sheet_shows_the_time_they_must_keep(tmp_path: Path, pack: cp.PlanningPack) -> None:
    # B must keep 1 two-week-wait session a week and half an MDT (skills.min_sessions_per_week): the job
    # plan proposal lists them under the contract figures; A (no floors) shows no such row
    skills = tuple(dataclasses.replace(s, min_sessions_per_week={"2ww": 1.0, "mdt": 0.5}[s.activity_id])
                   if s.clinician_id == "B" and s.activity_id in ("2ww", "mdt") else s for s in pack.skills)
    out = write_plan_workbook(dataclasses.replace(pack, skills=skills), FIXTURE, tmp_path / "plan.xlsx")
    book = openpyxl.load_workbook(out)
    rows = {ws.title: {str(ws.cell(row=r, column=1).value): ws.cell(row=r, column=2).value
                       for r in range(4, 14)} for ws in book.worksheets}
    names = {a.activity_id: a.name for a in pack.activities}
    assert rows["Dr Ben Bell"]["Time they must keep"] == (f"{names['2ww']} (floor 1 a week), "
                                                          f"{names['mdt']} (floor 0.5 a week)")
    assert "Time they must keep" not in rows["Dr Ada Ames"]
