"""The fast workbook reader (calamine) and write-only writer (issue 16), and console progress (issue 17)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import TYPE_CHECKING

import openpyxl
import pandas as pd

import capacity_planner as cp
from capacity_planner.pack.raw import read_raw
from capacity_planner.pack.xlsx_writer import cell_xml, column_letter, write_xlsx
from capacity_planner.progress import Bar, enabled, progress, set_enabled, track

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def test_cells_are_written_as_excel_stores_them() -> None:
    assert cell_xml("A2", None) == "" and cell_xml("A2", float("nan")) == "" and cell_xml("A2", pd.NaT) == ""
    assert cell_xml("B3", 7) == '<c r="B3"><v>7</v></c>'
    assert cell_xml("B3", 2.0) == '<c r="B3"><v>2</v></c>'
    assert cell_xml("B3", 0.1) == '<c r="B3"><v>0.1</v></c>'
    assert cell_xml("C4", True) == '<c r="C4" t="b"><v>1</v></c>'
    # 2026-04-01: 2000-01-01 is serial 36526; + 26 years of 365 days + 7 leap days (2000..2024) = 46023;
    # + 31 + 28 + 31 days of Jan-Mar = 46113, shown as yyyy-mm-dd (style 1).
    assert cell_xml("D5", dt.date(2026, 4, 1)) == '<c r="D5" s="1"><v>46113</v></c>'
    assert cell_xml("D5", pd.Timestamp("2026-04-01 12:00")) == '<c r="D5" s="1"><v>46113.5</v></c>'
    # Text is an inline string, never a formula; XML-special characters escaped; control characters dropped.
    assert cell_xml("E6", "=1+1") == '<c r="E6" t="inlineStr"><is><t xml:space="preserve">=1+1</t></is></c>'
    assert cell_xml("E6", "a<b&c\x01") == ('<c r="E6" t="inlineStr"><is><t xml:space="preserve">a&lt;b&amp;c'
                                          "</t></is></c>")
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]


def test_a_written_workbook_reads_back_in_openpyxl_and_calamine(tmp_path: Path) -> None:
    frame = pd.DataFrame({
        "id": pd.Series(["c1", "=SUM(A1)", None], dtype="str"),
        "pas": [10.0, 2.5, float("nan")],
        "count": pd.Series([1, 2, 3], dtype="int64"),
        "locked": [True, False, True],
        "day": pd.to_datetime(["2026-04-01", None, "2027-01-31"]),
        "mixed": pd.Series(["x", 3, dt.date(2026, 4, 1)], dtype=object),
        "cat": pd.Series(["fu", "fu", "2ww"], dtype="category"),
    })
    path = tmp_path / "t.xlsx"
    seen: list[int] = []
    write_xlsx({"clinicians": frame, "my sheet & co": frame.iloc[:0]}, path, seen.append)
    assert sum(seen) == 3
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["clinicians", "my sheet & co"]
    ws = wb["clinicians"]
    assert [c.value for c in ws[1]] == list(frame.columns) and ws.freeze_panes == "A2"
    assert [c.value for c in ws[2]] == ["c1", 10, 1, True, dt.datetime(2026, 4, 1), "x", "fu"]
    assert ws["A3"].value == "=SUM(A1)" and ws["A3"].data_type == "s"  # text, not a formula
    assert [c.value for c in ws[4]][:5] == [None, None, 3, True, dt.datetime(2027, 1, 31)]
    assert ws["F4"].value == dt.datetime(2026, 4, 1) and ws["E2"].number_format == "yyyy-mm-dd"
    raw = read_raw(path)
    table = raw.tables["clinicians"]
    assert table.frame["id"].tolist() == ["c1", "=SUM(A1)", None]
    assert table.frame["count"].tolist() == [1, 2, 3]  # whole numbers as int, as openpyxl gives them
    assert table.frame["pas"].tolist()[:2] == [10, 2.5]
    assert table.frame["day"].tolist() == [dt.date(2026, 4, 1), None, dt.date(2027, 1, 31)]
    assert list(table.rows) == [2, 3, 4]


def test_the_service_sample_round_trips_through_the_fast_writer(tmp_path: Path) -> None:
    from capacity_planner.pack.samples import generate_sample

    folder = generate_sample("small", 0, tmp_path / "small")
    pack = cp.read_pack(folder)
    book = cp.write_pack(pack, tmp_path / "small.xlsx")
    again = cp.read_pack(book)
    assert again.clinicians == pack.clinicians and again.job_plans == pack.job_plans
    assert again.skills == pack.skills and again.activities == pack.activities
    pd.testing.assert_frame_equal(again.appointments, pack.appointments)
    pd.testing.assert_frame_equal(again.referrals, pack.referrals)
    with zipfile.ZipFile(book) as zf:
        assert zf.testzip() is None


def test_a_sheet_formatted_to_the_last_row_reads_its_data_only(tmp_path: Path) -> None:
    """Formatting without values (as Excel leaves after formatting whole columns) adds no rows."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "clinicians"
    ws.append(["clinician_id", "name"])
    ws.append([101, "Dr A"])  # an ID typed as a number reads as "101", not "101.0"
    from openpyxl.styles import Font

    for row in (3, 500, 1_048_576):
        ws.cell(row, 1).font = Font(bold=True)
    path = tmp_path / "f.xlsx"
    wb.save(path)
    table = read_raw(path).tables["clinicians"]
    assert table.frame.to_dict("list") == {"clinician_id": [101], "name": ["Dr A"]}
    assert list(table.rows) == [2]


def test_progress_is_silent_off_a_terminal_and_drawn_on_one() -> None:
    set_enabled(None)
    quiet = io.StringIO()
    assert not enabled(quiet)
    with progress("Reading", total=3, unit="rows", stream=quiet) as bar:
        bar.advance(2)
        assert not bar.active and bar.done == 2
    assert quiet.getvalue() == ""
    assert list(track([1, 2, 3], "Items", stream=quiet)) == [1, 2, 3] and quiet.getvalue() == ""

    loud = io.StringIO()
    bar = Bar("Reading big.xlsx", total=4, unit="sheets", stream=loud, on=True)
    bar.advance(4)
    bar.describe("Reading big.xlsx: clinicians")
    bar.close()
    assert "Reading big.xlsx: clinicians" in loud.getvalue() and "4/4" in loud.getvalue()


def test_progress_can_be_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    quiet = io.StringIO()
    monkeypatch.setenv("CAPACITY_PLANNER_PROGRESS", "1")
    assert enabled(quiet)
    monkeypatch.setenv("CAPACITY_PLANNER_PROGRESS", "0")
    assert not enabled(quiet)
    set_enabled(True)
    try:
        assert enabled(quiet)
    finally:
        set_enabled(None)


def test_reading_a_folder_pack_shows_each_file_on_stderr_only(monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    # Progress over the folder's bytes, named by the file being read; nothing on stdout (issue 17 item 5).
    from pathlib import Path

    tiny = Path(__file__).parent / "data" / "tiny"
    monkeypatch.setenv("CAPACITY_PLANNER_PROGRESS", "1")
    raw = read_raw(tiny)
    out, err = capsys.readouterr()
    assert out == ""
    assert any(f"Reading {p.name}" in err for p in tiny.glob("*.csv"))
    assert "clinicians" in raw.tables


def test_checking_a_pack_shows_each_table_on_stderr_only(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    # Typing and checking the tables is named too, table by table (issue 16 item 4: validate says what it does).
    from pathlib import Path

    from capacity_planner.pack.read import read_pack

    tiny = Path(__file__).parent / "data" / "tiny"
    monkeypatch.setenv("CAPACITY_PLANNER_PROGRESS", "1")
    read_pack(tiny)
    out, err = capsys.readouterr()
    assert out == ""
    assert "Checking clinicians.csv" in err or "Checking tiny" in err
