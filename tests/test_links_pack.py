"""The ``links`` table (issue 19 item 3): read, defaults, lossless writing, validation naming every problem;
and end to end, ``capacity-planner plan`` on a pack with a links table keeps every link, shows it in the
timetable (report.html and plan.xlsx), and a malformed links table exits 2 naming each problem with nothing
written."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

import capacity_planner as cp
from capacity_planner.cli import cli
from capacity_planner.pack.model import Link
from capacity_planner.pack.read import validate_pack
from capacity_planner.pack.write import write_pack

TINY = Path(__file__).parent / "data" / "tiny"
HEADER = "activity_id,performer_group,linked_group,linked_activity_id,mode,count\n"


def _pack(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "pack"
    shutil.copytree(TINY, path)
    (path / "links.csv").write_text(HEADER + rows)
    return path


def test_links_read_with_defaults_and_written_back(tmp_path: Path) -> None:
    pack = cp.read_pack(_pack(tmp_path, "fu,nurse,consultant,,,\nmdt,,,spa,dedicated,2\n"))
    assert pack.links == (Link("fu", "nurse", "consultant", None, "present", 1.0),
                          Link("mdt", None, None, "spa", "dedicated", 2.0))
    applied = {(d.key, d.column) for d in pack.defaults_applied if d.table == "links"}
    assert applied == {("fu|nurse|consultant", "mode"), ("fu|nurse|consultant", "count")}
    write_pack(pack, tmp_path / "again")
    text = (tmp_path / "again" / "links.csv").read_text()
    assert text.splitlines()[1] == "fu,nurse,consultant,,,"  # the defaults are blank again
    assert cp.read_pack(tmp_path / "again").equals(pack)


def test_no_links_table_means_no_links() -> None:
    assert cp.read_pack(TINY).links == ()


def test_bad_links_every_problem_named_exit_2(tmp_path: Path) -> None:
    path = _pack(tmp_path, "fu,nurse,,,,\n"  # row 2: nobody named
                           "foo,nurse,consultant,,,1\n"  # row 3: unknown activity
                           "fu,,consultant,,dedicated,\n"  # row 4: dedicated without an activity
                           "2ww,,,2ww,dedicated,\n"  # row 5: dedicated to itself
                           "mdt,,consultant,,,0.333\n"  # row 6: not hundredths
                           "fu,,doctor,,,1\n")  # row 7: not a staff group
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 2
    out = result.output
    assert "links.csv, row 2, column linked_group" in out and "must name whom it needs" in out
    assert "links.csv, row 3, column activity_id: value 'foo'" in out
    assert "links.csv, row 4, column linked_activity_id" in out and "dedicated link needs" in out
    assert "links.csv, row 5, column linked_activity_id: value '2ww'" in out
    assert "links.csv, row 6, column count: value '0.333'" in out
    assert "links.csv, row 7, column linked_group: value 'doctor'" in out


@pytest.mark.parametrize("rows", ["fu,nurse,consultant,,,\nfu,nurse,consultant,,dedicated,1\n"])
def test_duplicate_link_key(tmp_path: Path, rows: str) -> None:
    problems = validate_pack(_pack(tmp_path, rows))
    assert any("duplicate" in p.message and p.row == 3 for p in problems)


def test_links_survive_a_workbook(tmp_path: Path) -> None:
    path = _pack(tmp_path, "fu,nurse,consultant,,,\nmdt,,,spa,dedicated,0.5\n")
    result = CliRunner().invoke(cli, ["convert", str(path), "--to", str(tmp_path / "pack.xlsx")])
    assert result.exit_code == 0, result.output
    assert cp.read_pack(tmp_path / "pack.xlsx").differences(cp.read_pack(path)) == []


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
