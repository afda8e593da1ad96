"""End to end (issue 19 item 3): ``capacity-planner plan`` on a pack with a links table keeps every link,
shows it in the timetable (report.html and plan.xlsx), and a malformed links table exits 2 naming each
problem with nothing written."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
from click.testing import CliRunner

from capacity_planner.cli import cli

TINY = Path(__file__).parent / "data" / "tiny"
HEADER = "activity_id,performer_group,linked_group,linked_activity_id,mode,count\n"


def _pack(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "pack"
    shutil.copytree(TINY, path)
    (path / "links.csv").write_text(HEADER + rows)
    return path


def test_plan_keeps_the_nurse_clinic_with_a_consultant_and_shows_it(tmp_path: Path) -> None:
    # The tiny pack's nurse N runs follow-up clinics; with the link each needs a consultant (A or B) working
    # in the same slot (S is SAS: not a consultant).
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["plan", str(_pack(tmp_path, "fu,nurse,consultant,,,\n")), "--out",
                                      str(out), "--work-limit", "2", "--workers", "1"])
    assert result.exit_code == 0, result.output
    alloc = pd.read_csv(out / "allocation.csv", dtype=str, keep_default_na=False)
    nurse = alloc[(alloc["clinician_id"] == "N") & (alloc["activity_id"] == "fu")]
    assert len(nurse) > 0
    for row in nurse.itertuples():
        there = alloc[(alloc["day"] == row.day) & (alloc["period"] == row.period)]
        assert set(there["clinician_id"]) & {"A", "B"}, f"N's {row.day}-{row.period} list has no consultant"
    html = (out / "report.html").read_text()
    assert html.count("fu (with ") == len(nurse) and "supervising" in html
    sheet = openpyxl.load_workbook(out / "plan.xlsx")["Timetable"]
    texts = [v for row in sheet.iter_rows(values_only=True) for v in row if isinstance(v, str)]
    assert sum(t.startswith("fu (with ") and t.endswith("supervising)") for t in texts) == len(nurse)


def test_plan_on_a_malformed_links_table_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    path = _pack(tmp_path, "fu,nurse,,,,\nfu,,consultant,,sometimes,1\nfoo,,consultant,,,\n")
    result = CliRunner().invoke(cli, ["plan", str(path), "--out", str(out)])
    assert result.exit_code == 2
    assert "links.csv, row 2, column linked_group" in result.output
    assert "links.csv, row 3, column mode: value 'sometimes'" in result.output
    assert "links.csv, row 4, column activity_id: value 'foo'" in result.output
    assert not out.exists() or not any(out.iterdir())
