"""The report's "Every week" section (issue 19): weekly cover, linked sessions and sites in report.html and
plan.xlsx, from a hand allocation and end to end on the tiny pack with every rule switched on."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import openpyxl
import pandas as pd
from click.testing import CliRunner
from test_solver_cover import cover_pack

from capacity_planner.cli import cli
from capacity_planner.pack.model import ExpectedLeave
from capacity_planner.report.every_week import every_week

if TYPE_CHECKING:
    from pathlib import Path


def allocation(*cells: tuple[str, str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(cells, columns=["clinician_id", "day", "period", "activity_id"])


def test_the_weeks_a_monday_clinic_covers_and_misses() -> None:
    # Planning year 2026/27 (tests/test_solver_cover.py): six Monday bank holidays, and A's 8.4 weeks of
    # leave not recorded that nobody else covers.
    ew = every_week(cover_pack(), allocation(("A", "Mon", "AM", "2ww")))
    [row] = ew.cover.to_dict("records")
    assert (row["activity_id"], row["rule"], row["share_of_weeks"]) == ("2ww", "1 session a week", 1.0)
    assert (row["weeks_covered"], row["weeks_missed"], row["leave_weeks_uncovered"]) == (46.0, 6.0, 8.4)
    assert row["weeks_missed_mondays"] == "06 Apr, 04 May, 25 May, 31 Aug, 28 Dec, 29 Mar"
    assert ew.links.empty and ew.sites.empty and ew.travel == "" and not ew.empty


def test_wednesday_with_christmas_expected_leave_misses_the_two_christmas_weeks() -> None:
    pack = cover_pack().replace(expected_leave=(ExpectedLeave(pd.Timestamp("2026-12-24").date(),
                                                              pd.Timestamp("2027-01-01").date(), 0.5),))
    [row] = every_week(pack, allocation(("A", "Wed", "AM", "2ww"))).cover.to_dict("records")
    assert (row["weeks_covered"], row["weeks_missed"], row["leave_weeks_uncovered"]) == (50.0, 2.0, 7.4)
    assert row["weeks_missed_mondays"] == "21 Dec, 28 Dec"


def test_a_pack_without_the_rules_has_no_section(tiny_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["plan", str(tiny_path), "--out", str(out), "--work-limit", "2",
                                      "--workers", "1"])
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text()
    assert 'id="every-week"' not in html and "cover-table" not in html
    assert "Every week" not in openpyxl.load_workbook(out / "plan.xlsx").sheetnames


def every_rule_tiny(tmp_path: Path, tiny_path: Path) -> Path:
    """The tiny pack with the two-week-wait clinic every week, England's expected leave, the nurse's
    follow-up clinics supervised by a consultant, and the clinics at Main, the MDT at the Annex."""
    folder = tmp_path / "pack"
    shutil.copytree(tiny_path, folder)
    acts = pd.read_csv(folder / "activities.csv", dtype=str, keep_default_na=False)
    acts["min_weekly_sessions"] = acts["activity_id"].map({"2ww": "1"}).fillna("")
    acts["site"] = acts["activity_id"].map({"2ww": "Main", "fu": "Main", "mdt": "Annex"}).fillna("")
    acts.to_csv(folder / "activities.csv", index=False)
    (folder / "travel.csv").write_text("from_site,to_site,minutes\nMain,Annex,40\n")
    (folder / "links.csv").write_text("activity_id,performer_group,linked_group\nfu,nurse,consultant\n")
    text = (folder / "pack.toml").read_text().replace("[planning]\n", '[planning]\nexpected_leave = "england"\n')
    (folder / "pack.toml").write_text(text + "\n[solver]\ntravel_minutes_between_sessions = 30\n")
    return folder


def test_the_meeting_pack_shows_weekly_cover_linked_sessions_and_sites(tmp_path: Path, tiny_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["plan", str(every_rule_tiny(tmp_path, tiny_path)), "--out", str(out),
                                      "--work-limit", "20", "--seed", "0", "--workers", "1"])
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text()
    assert 'id="every-week"' in html and 'href="#every-week"' in html
    for table in ("cover-table", "links-table", "sites-table"):
        assert f'id="{table}"' in html
    assert "Weeks covered" in html and "1 session a week" in html
    assert "1 consultant present" in html and "Travel: Annex–Main 40 minutes" in html
    alloc = pd.read_csv(out / "allocation.csv", dtype=str, keep_default_na=False)
    nurse_fu = len(alloc[(alloc["clinician_id"] == "N") & (alloc["activity_id"] == "fu")])
    sheet = openpyxl.load_workbook(out / "plan.xlsx")["Every week"]
    rows = [tuple(v for v in row if v is not None) for row in sheet.iter_rows(values_only=True)]
    titles = [r[0] for r in rows if len(r) == 1]
    assert titles[:3] == ["Weekly cover: weeks of the planning year covered and missed",
                          "Linked sessions: sessions that need another clinician in the same slot",
                          "Sessions a week at each site"]
    [link] = [r for r in rows if r and r[0] == "fu"]
    assert link[1:] == ("nurse", "1 consultant present", float(nurse_fu), float(nurse_fu))
    [cover] = [r for r in rows if r and r[0] == "2ww"]
    assert cover[1] == "1 session a week" and cover[3] + cover[4] == 52
