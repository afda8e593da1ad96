"""Issue 15, findings 4-11: ambiguous numbers, odd dates and workbooks, foreign plans, formula injection,
chart names, warnings and the remaining exit-1 cases. Each test failed on the code before issue 15 (the
old behaviour is named in each docstring)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from typing import TYPE_CHECKING

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

from capacity_planner._csv import FORMULA_TRIGGERS, escape_cell, safe_frame, unescape_cell
from capacity_planner._files import file_stem
from capacity_planner.cli import cli
from capacity_planner.pack.parse import _parse_float

if TYPE_CHECKING:
    from pathlib import Path


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture()
def pack(tmp_path: Path, tiny_path: Path) -> Path:
    dest = tmp_path / "pack"
    shutil.copytree(tiny_path, dest)
    return dest


def _edit(path: Path, row: int, column: str, value: object) -> None:
    """Set one cell of a pack CSV (row as in Excel: header = 1)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[row - 2, column] = str(value)
    frame.to_csv(path, index=False)


def _workbook(pack: Path, tmp_path: Path) -> Path:
    book = tmp_path / "book" / "pack.xlsx"
    assert _run("convert", str(pack), "--to", str(book)).exit_code == 0
    return book


# ---- finding 4: decimal commas ------------------------------------------------------------------------
def test_a_decimal_comma_is_refused_naming_the_cell_not_read_as_a_larger_number(pack: Path) -> None:
    """Before: '8,5' patients per session was read as 85, silently."""
    _edit(pack / "activities.csv", 2, "patients_per_session", "8,5")
    result = _run("validate", str(pack))
    assert result.exit_code == 2, result.output
    assert "activities.csv, row 2, column patients_per_session: value '8,5': a comma here cannot separate " \
           "thousands" in result.output
    assert "write decimals with a point, e.g. 8.5 not 8,5" in result.output


def test_thousands_separators_are_still_read() -> None:
    values, bad, comma = _parse_float(pd.Series(["1,500", "£12,345.50", "1,234,567", "1,50", "12,5", "7"]))
    assert values.tolist()[:3] == [1500.0, 12345.5, 1234567.0] and values.iloc[5] == 7.0
    assert comma.tolist() == [False, False, False, True, True, False] and not bad.any()


# ---- finding 5: one table in two sheets ----------------------------------------------------------------
def test_two_sheets_for_one_table_ignoring_case_and_spaces_are_refused(pack: Path, tmp_path: Path) -> None:
    """Before: sheets 'clinicians' and 'Clinicians ' were both read, the last silently winning."""
    book = _workbook(pack, tmp_path)
    wb = openpyxl.load_workbook(book)
    copy = wb.copy_worksheet(wb["clinicians"])
    copy.title = "Clinicians "
    wb.save(book)
    result = _run("validate", str(book))
    assert result.exit_code == 2, result.output
    assert "sheets 'clinicians' and 'Clinicians ' of pack.xlsx: the clinicians table is given twice" \
        in result.output


# ---- finding 6: dates and integers out of range ---------------------------------------------------------
@pytest.mark.parametrize("value", ["9999-12-31", "4712-12-31", "1850-06-01"])
def test_dates_outside_1900_2200_name_the_cell(pack: Path, value: str) -> None:
    """Before: 9999-12-31 and 4712-12-31 crashed (exit 1, no cell named)."""
    _edit(pack / "referrals.csv", 3, "referral_date", value)
    result = _run("validate", str(pack))
    assert result.exit_code == 2, result.output
    assert f"referrals.csv, row 3, column referral_date: value '{value}': outside the years 1900 to 2200" \
        in result.output


def test_excel_dates_out_of_range_and_huge_counts_name_the_cell(pack: Path, tmp_path: Path) -> None:
    """Before: an Excel date of -5 was read as 1899 and a count of 1e20 gave exit 1."""
    book = _workbook(pack, tmp_path)
    wb = openpyxl.load_workbook(book)
    ws = wb["referrals"]
    ws["A3"].value = -5
    ws["A4"].value = dt.datetime(9999, 12, 31)
    ws["D5"].value = 1e20
    wb.save(book)
    result = _run("validate", str(book))
    assert result.exit_code == 2, result.output
    out = result.output
    # openpyxl hands serial -5 in a date cell over as 1899-12-25
    assert "sheet 'referrals' of pack.xlsx, row 3, column referral_date: value '1899-12-25': outside the " \
           "years 1900 to 2200" in out
    assert "row 4, column referral_date: value '9999-12-31': outside" in out
    assert "row 5, column count: value '100000000000000000000': too large to be meant" in out


def test_parquet_dates_beyond_pandas_range_name_the_cell(pack: Path) -> None:
    table = pd.read_csv(pack / "referrals.csv")
    (pack / "referrals.csv").unlink()
    dates = pa.array([dt.date(2026, 1, 5)] * (len(table) - 1) + [dt.date(9999, 12, 31)], pa.date32())
    arrow = pa.table({"referral_date": dates, "activity_id": table["activity_id"].astype(str),
                      "count": pa.array(table["count"].fillna(1).astype(int))})
    pq.write_table(arrow, pack / "referrals.parquet")
    result = _run("validate", str(pack))
    assert result.exit_code == 2, result.output
    assert f"referrals.parquet, row {len(table) + 1}, column referral_date: value '9999-12-31'" in result.output


# ---- finding 7: review --plan belongs to the pack -------------------------------------------------------
@pytest.mark.slow
def test_review_refuses_another_packs_plan_and_maps_back_this_packs_anonymised_plan(
        tmp_path: Path, pack: Path) -> None:
    """Before: another pack's plan was reviewed as '765 delivered of 0 planned (+nan %)', exit 0."""
    sample_plan = tmp_path / "sample_plan"
    assert _run("plan", "--out", str(sample_plan), "--no-report", "--work-limit", "3").exit_code == 0
    result = _run("review", str(pack), "--plan", str(sample_plan), "--out", str(tmp_path / "r"))
    assert result.exit_code == 2, result.output
    assert "clinician(s) this pack does not have" in result.output and "made from another pack" in result.output
    assert not (tmp_path / "r").exists()
    own = tmp_path / "own"
    assert _run("plan", str(pack), "--out", str(own), "--no-report", "--anonymise",
                "--work-limit", "3").exit_code == 0
    ok = _run("review", str(pack), "--plan", str(own), "--out", str(tmp_path / "r2"))
    assert ok.exit_code == 0, ok.output
    plain = _run("review", str(pack), "--out", str(tmp_path / "r3"), "--plan", str(tmp_path / "r2"))
    assert plain.exit_code == 2  # a folder without allocation.csv is not a plan


def test_review_anonymise_leaves_no_real_name(tmp_path: Path, pack: Path) -> None:
    result = _run("review", str(pack), "--out", str(tmp_path / "r"), "--anonymise")
    assert result.exit_code == 0, result.output
    files = [p for p in (tmp_path / "r").rglob("*") if p.is_file()]
    text = "".join(p.read_text(encoding="utf-8") for p in files if p.suffix != ".png")
    assert "Clinician A" in text and any(p.suffix == ".png" for p in files)  # the review's SPC charts too
    binary = b"".join(p.read_bytes() for p in files if p.suffix == ".png")  # PNG text chunks, alt text
    for real in ("Ada Ames", "Ben Bell", "Sam Shaw", "Nia Nash"):
        assert real not in text and real not in result.output and real.encode() not in binary


# ---- finding 8: formula injection ----------------------------------------------------------------------
def _cells(folder: Path) -> list[tuple[str, str]]:
    out = []
    for path in folder.rglob("*.csv"):
        with path.open(encoding="utf-8", newline="") as fh:
            out += [(path.name, cell) for row in csv.reader(fh) for cell in row]
    return out


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@pytest.mark.slow
def test_every_csv_written_is_safe_to_open_in_excel(tmp_path: Path, pack: Path) -> None:
    """Before: IDs and names such as =HYPERLINK(...) or +cmd|... were written raw into the CSVs."""
    evil_name = '=HYPERLINK("http://evil.example","click")'
    evil_id = "+cmd|' /C calc'!A0"
    for path in pack.glob("*.csv"):  # clinician S becomes evil_id everywhere
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        if "clinician_id" in frame.columns:
            frame["clinician_id"] = frame["clinician_id"].replace("S", evil_id)
            frame.to_csv(path, index=False)
    _edit(pack / "clinicians.csv", 2, "name", evil_name)
    assert _run("validate", str(pack)).exit_code == 0
    spec = tmp_path / "s.toml"
    spec.write_text('[[scenario]]\nname = "more"\ndescription = "=SUM(A1)"\nlocum = { "2ww" = 10 }\n')
    runs = {"plan": ["plan", str(pack), "--out", str(tmp_path / "plan"), "--work-limit", "3"],
            "scenarios": ["scenarios", str(pack), str(spec), "--out", str(tmp_path / "scenarios"),
                          "--work-limit", "3"],
            "convert": ["convert", str(pack), "--to", str(tmp_path / "convert")]}
    for args in runs.values():
        result = _run(*args)
        assert result.exit_code == 0, result.output
    result = _run("review", str(pack), "--plan", str(tmp_path / "plan"), "--out", str(tmp_path / "review"))
    assert result.exit_code == 0, result.output  # the escaped IDs read back as the pack's IDs
    cells = [c for name in (*runs, "review") for c in _cells(tmp_path / name)]
    assert len(cells) > 1000
    risky = [(f, c) for f, c in cells if c.startswith(FORMULA_TRIGGERS) and not _is_number(c)]
    assert risky == []
    assert ("allocation.csv", "'" + evil_id) in cells and ("comparison.csv", "'=SUM(A1)") in cells
    converted = pd.read_csv(tmp_path / "convert" / "clinicians.csv", dtype=str)
    assert converted.loc[0, "name"] == "'" + evil_name
    again = _run("validate", str(tmp_path / "convert"))  # our own CSV reads back to the same pack
    assert again.exit_code == 0, again.output


def test_escape_policy_round_trips() -> None:
    for text in ("=1+1", "+44 7700", "-x", "@here", "\tx", "\rx", "plain", "'quoted", "", "'=kept"):
        assert unescape_cell(escape_cell(text)) == text or text == "'=kept"
    frame = pd.DataFrame({"a": ["=x", "y", None], "n": [-1.5, 2.0, np.nan]})
    safe = safe_frame(frame)
    assert safe["a"].tolist()[:2] == ["'=x", "y"] and safe["n"].tolist()[:2] == [-1.5, 2.0]
    assert frame["a"].iloc[0] == "=x"  # the caller's frame is not changed


# ---- finding 9: chart file names -----------------------------------------------------------------------
def _demand_pack(folder: Path, ids: list[str]) -> Path:
    folder.mkdir()
    (folder / "pack.toml").write_text('[planning]\nstart = 2026-04-06\n')
    (folder / "activities.csv").write_text(
        "activity_id,category,patients_per_session\n" + "".join(f'"{i}",DCC,10\n' for i in ids))
    weeks = pd.date_range("2024-04-01", "2026-03-30", freq="W-MON")
    rows = [(d.date().isoformat(), i, 5 + k) for d in weeks for k, i in enumerate(ids)]
    pd.DataFrame(rows, columns=["referral_date", "activity_id", "count"]).to_csv(folder / "referrals.csv",
                                                                                 index=False)
    return folder


def test_activity_ids_that_sanitise_alike_get_distinct_chart_files(tmp_path: Path) -> None:
    """Before: a/b and a_b mapped to one chart file name and the run crashed after the work was done."""
    ids = ["a/b", "a_b", "2WW", "2ww", "x" * 150]
    pack = _demand_pack(tmp_path / "p", ids)
    result = _run("demand", str(pack), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    charts = sorted(p.name for p in (tmp_path / "out" / "charts").iterdir() if p.name.startswith("demand_"))
    assert len(charts) == 5 and len({c.lower() for c in charts}) == 5
    spc = sorted(p.name for p in (tmp_path / "out" / "charts").iterdir() if p.name.startswith("spc_demand_"))
    assert len(spc) == 5 and len({c.lower() for c in spc}) == 5
    assert "demand_a_b.png" in charts and "demand_2ww.png" in charts
    assert all(len(c) < 80 for c in charts)
    assert file_stem("a/b") != file_stem("a_b") and file_stem("2WW").lower() != file_stem("2ww").lower()


# ---- finding 10: demand warnings reach the plan --------------------------------------------------------
def test_plan_repeats_the_demand_steps_warnings(tmp_path: Path, pack: Path) -> None:
    """Before: plan printed none of the demand step's notes (a short history gave no warning)."""
    result = _run("plan", str(pack), "--out", str(tmp_path / "o"), "--work-limit", "3")
    assert result.exit_code == 0, result.output
    assert "note: 2ww: short history (2 weeks): sized by the short-history method" in result.output
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert any(n.startswith("2ww: short history (2 weeks)") for n in summary["notes"])
    assert "2ww: short history (2 weeks)" in (tmp_path / "o" / "report.html").read_text(encoding="utf-8")


# ---- finding 11: the remaining exit-1 cases ----------------------------------------------------------
def _one_error(result: Result, fragment: str) -> None:
    assert result.exit_code == 2, result.output
    assert "has 1 problem(s)" in result.output, result.output
    assert fragment in result.output, result.output


def test_pack_toml_that_is_a_folder(pack: Path) -> None:
    (pack / "pack.toml").unlink()
    (pack / "pack.toml").mkdir()
    _one_error(_run("validate", str(pack)), "pack.toml: is a folder, not a settings file")


def test_chart_sheet_named_like_a_table(pack: Path, tmp_path: Path) -> None:
    from openpyxl.chart import BarChart, Reference

    book = _workbook(pack, tmp_path)
    wb = openpyxl.load_workbook(book)
    wb.remove(wb["waiting_list"])
    chart = BarChart()
    chart.add_data(Reference(wb["clinicians"], min_col=5, min_row=1, max_row=5), titles_from_data=True)
    wb.create_chartsheet("waiting_list").add_chart(chart)
    wb.save(book)
    _one_error(_run("validate", str(book)), "sheet 'waiting_list' of pack.xlsx: is a chart sheet")


def test_hidden_sheet_is_read_with_a_warning(pack: Path, tmp_path: Path) -> None:
    book = _workbook(pack, tmp_path)
    wb = openpyxl.load_workbook(book)
    wb["costs"].sheet_state = "hidden"
    wb.save(book)
    result = _run("validate", str(book))
    assert result.exit_code == 0, result.output
    assert "sheet 'costs' of pack.xlsx: the sheet is hidden in Excel" in result.output


def test_parquet_struct_column(pack: Path) -> None:
    table = pd.read_csv(pack / "skills.csv")
    (pack / "skills.csv").unlink()
    arrow = pa.table({"clinician_id": table["clinician_id"], "activity_id": table["activity_id"],
                      "extra": pa.array([{"x": 1}] * len(table))})
    pq.write_table(arrow, pack / "skills.parquet")
    _one_error(_run("validate", str(pack)), "skills.parquet, row 1, column extra: the column holds nested")


def test_tiny_and_huge_numbers_and_very_long_names(pack: Path) -> None:
    _edit(pack / "activities.csv", 2, "patients_per_session", "1e-300")
    _one_error(_run("validate", str(pack)), "too close to zero to be meant")
    _edit(pack / "activities.csv", 2, "patients_per_session", "8")
    _edit(pack / "clinicians.csv", 2, "name", "x" * 5_000_000)
    result = _run("validate", str(pack))
    _one_error(result, "column name: value 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx... (5,000,000 characters)': "
                       "too long")
    assert len(result.output) < 2_000


def test_tex_like_names_are_drawn_as_text(tmp_path: Path, pack: Path) -> None:
    """Before: a name such as $\\macro$ crashed matplotlib's mathtext (exit 1)."""
    _edit(pack / "clinicians.csv", 2, "name", r"Dr $\macro$ Ames")
    _edit(pack / "activities.csv", 2, "name", r"$\frac{1}{0}$ clinic")
    result = _run("plan", str(pack), "--out", str(tmp_path / "o"), "--work-limit", "3")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "o" / "report.html").exists()


def test_password_protected_workbook(tmp_path: Path) -> None:
    book = tmp_path / "locked.xlsx"  # an encrypted .xlsx is an OLE compound file, not a zip
    book.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096)
    _one_error(_run("validate", str(book)), "the workbook is password-protected (encrypted)")


def test_semicolon_csv_gives_one_clear_message(pack: Path) -> None:
    """Before: 113 cascading errors."""
    path = pack / "clinicians.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")
    _one_error(_run("validate", str(pack)), "clinicians.csv, row 1: the columns are separated by semicolons")


@pytest.mark.parametrize("as_workbook", [False, True])
def test_title_row_above_the_header_gives_one_clear_message(pack: Path, tmp_path: Path,
                                                            as_workbook: bool) -> None:
    path = pack / "clinicians.csv"
    path.write_text("Consultant list 2026\n\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    if not as_workbook:
        _one_error(_run("validate", str(pack)), "clinicians.csv, row 1: row 3 looks like the header")
        return
    path.write_text(path.read_text(encoding="utf-8").split("\n", 2)[2], encoding="utf-8")
    book = _workbook(pack, tmp_path)
    wb = openpyxl.load_workbook(book)
    wb["clinicians"].insert_rows(1, 2)
    wb["clinicians"]["A1"].value = "Consultant list 2026"
    wb.save(book)
    _one_error(_run("validate", str(book)),
               "sheet 'clinicians' of pack.xlsx, row 1: row 3 looks like the header")


def test_disk_full_during_convert_is_one_plain_message(tmp_path: Path, pack: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    import capacity_planner.pack.write as W

    def full(*a: object, **k: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", "clinicians.csv")

    monkeypatch.setattr(W, "write_csv", full)
    result = _run("convert", str(pack), "--to", str(tmp_path / "c"))
    assert result.exit_code == 1
    # Only the stage lines ("Reading …", "Writing …") and one plain error: no traceback.
    errors = [line for line in result.output.splitlines() if not line.startswith(("Reading ", "Writing "))]
    assert errors == ["error: cannot write clinicians.csv: the disk is full. Nothing was written; free some "
                      "space (or choose another --out) and run again."]
    assert not (tmp_path / "c").exists() and [p.name for p in tmp_path.iterdir()] == ["pack"]


def test_long_workbook_date_columns_parse_on_distinct_cells_exactly_as_cell_by_cell(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Workbook date columns are parsed on their distinct cells and expanded (issue 16: speed); the result,
    # the "not a date" mask and the "out of range" mask must equal the cell-by-cell parse.
    import datetime as dt

    import numpy as np
    import pandas as pd

    from capacity_planner.pack import parse as P

    kinds = [dt.datetime(2026, 4, 6, 13, 5), dt.date(2025, 12, 25), 46000, 46000.0, "2026-01-05", "05/01/2026",
             "2026-01-05T09:00", "not a date", " ", None, dt.datetime(9999, 12, 31), -5, "4712-12-31", pd.NaT,
             "31/02/2026", 1.5]
    rng = np.random.default_rng(0)
    cells = pd.Series([kinds[i] for i in rng.integers(0, len(kinds), 3_000)], dtype=object)
    fast = P._parse_date(cells)
    monkeypatch.setattr(P, "_DISTINCT_FROM", 10**9)
    slow = P._parse_date(cells)
    pd.testing.assert_series_equal(fast[0], slow[0])
    assert (fast[1] == slow[1]).all() and (fast[2] == slow[2]).all()
    assert fast[1].any() and fast[2].any()  # the case covers bad and far cells


def test_a_workbook_date_column_with_more_distinct_days_than_the_threshold_parses() -> None:
    # Found on `validate` of the 40-clinician service workbook (session 7): an appointment column with more
    # than _DISTINCT_FROM distinct days recursed on its distinct cells without end (RecursionError, no
    # result). Three years of daily appointments have about 1,100 distinct days.
    import datetime as dt

    import pandas as pd

    from capacity_planner.pack import parse as P

    days = [dt.datetime(2024, 1, 1) + dt.timedelta(days=i) for i in range(P._DISTINCT_FROM + 200)]
    cells = pd.Series(days * 2, dtype=object)
    parsed, bad, far = P._parse_date(cells)
    assert parsed.iloc[0] == pd.Timestamp("2024-01-01") and parsed.iloc[-1] == pd.Timestamp(days[-1])
    assert not bad.any() and not far.any() and parsed.notna().all()
