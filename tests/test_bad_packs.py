"""One table of deliberately malformed packs (tests/data/bad/<case>), each with its exact message.

Every case is the valid tiny pack with one mistake (see tests/data/make_test_packs.py). Each must give
exactly one error naming the file or sheet, the row as seen in Excel (header = row 1), the column, the
value and what was expected; the CLI must exit 2 without a traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from capacity_planner.cli import cli
from capacity_planner.errors import PackValidationError
from capacity_planner.pack.read import read_pack, validate_pack

DATA = Path(__file__).parent / "data"
X = "sheet 'clinicians' of pack.xlsx"

# case: (source, row, column, value, message fragment)
CASES: dict[str, tuple[str, int | None, str | None, str | None, str]] = {
    "missing_file": ("clinicians.csv", None, None, None, "required file is missing"),
    "missing_column": ("clinicians.csv", 1, "contracted_pas", None, "required column is missing"),
    "wrong_type": ("clinicians.csv", 3, "contracted_pas", "six", "not a number: expected a number >= 0"),
    "blank_required_cell": ("activities.csv", 3, "category", None, "required cell is blank: expected one of DCC"),
    "duplicate_id": ("clinicians.csv", 6, "clinician_id", "A", "duplicate clinician_id: already used on row 2"),
    "duplicate_skill": ("skills.csv", 12, "clinician_id + activity_id", "B, mdt", "already used on row 7"),
    "unknown_skill_clinician": ("skills.csv", 12, "clinician_id", "Z", "unknown clinician_id: not in clinicians"),
    "unknown_skill_activity": ("skills.csv", 12, "activity_id", "derm_surgery", "unknown activity_id"),
    "unknown_job_plan_activity": ("job_plans.csv", 8, "activity_id", "teaching", "unknown activity_id"),
    "unknown_appointment_activity": ("appointments.csv", 6, "activity_id", "laser", "unknown activity_id"),
    "unknown_requirement_activity": ("requirements.csv", 2, "activity_id", "board", "unknown activity_id"),
    "unknown_follow_up_activity": ("activities.csv", 2, "follow_up_activity", "fu2", "unknown activity_id"),
    "negative_number": ("clinicians.csv", 4, "min_spa_pas", "-1", "negative: expected a number >= 0"),
    "non_finite_number": ("activities.csv", 3, "patients_per_session", "inf", "not a finite number"),
    "dna_rate_one": ("activities.csv", 2, "dna_rate", "1", "too large: expected a number >= 0 and < 1"),
    "contracted_above_max": ("clinicians.csv", 2, "contracted_pas", "13",
                             "contracted PAs (13) are above max_pas (12)"),
    "spa_floor_above_contracted": ("clinicians.csv", 5, "min_spa_pas", "3",
                                   "the SPA floor (3 PAs) is above contracted PAs (2)"),
    "unknown_day": ("job_plans.csv", 8, "day", "Funday", "unknown label: expected one of Mon, Tue"),
    "unknown_period": ("job_plans.csv", 8, "period", "NIGHT", "unknown label: expected one of AM, PM, EVE"),
    "unknown_category": ("activities.csv", 4, "category", "MEETING", "unknown label"),
    "unknown_outcome": ("appointments.csv", 3, "outcome", "no-show", "expected one of attended, dna"),
    "unknown_contract": ("clinicians.csv", 4, "contract", "locum_2024", "expected one of consultant_2003"),
    "unknown_bool": ("activities.csv", 2, "rapid_access", "maybe", "expected true or false"),
    "unparseable_date": ("referrals.csv", 3, "referral_date", "last tuesday", "not a real date"),
    "impossible_date": ("referrals.csv", 3, "referral_date", "2026-02-30", "not a real date"),
    "referral_after_start": ("referrals.csv", 8, "referral_date", "2026-04-20",
                             "on or after the plan start (2026-04-06)"),
    "empty_table": ("referrals.csv", None, None, None, "the table has a header but no data rows"),
    "latin1_file": ("clinicians.csv", 5, None, None, "not UTF-8"),
    "fractional_count": ("waiting_list.csv", 3, "waiting", "120.5", "not a whole number"),
    "over_target_above_waiting": ("waiting_list.csv", 3, "over_target", "300", "more patients over target"),
    "cost_without_amount": ("costs.csv", 2, "annual_cost", None, "give annual_cost"),
    "delivered_not_monday": ("delivered.csv", 4, "week_start", "2026-04-08", "must be the Monday"),
    "delivered_outside_year": ("delivered.csv", 4, "week_start", "2026-03-30",
                               "week outside the planning year (2026-04-06 to 2027-04-04)"),
    "delivered_negative_sessions": ("delivered.csv", 4, "sessions", "-2", "negative"),
    "leave_duplicate_week": ("leave.csv", 3, "clinician_id + week_start", "A, 2026-05-04",
                             "duplicate clinician_id + week_start: already used on row 2"),
    "delivered_unknown_clinician": ("delivered.csv", 4, "clinician_id", "Q", "unknown clinician_id"),
    "job_plan_off_grid": ("job_plans.csv", 8, "day", "Sat-AM", "slot is not in the slots table"),
    "job_plan_unavailable_slot": ("job_plans.csv", 9, "day", "Fri-AM", "availability says they do not"),
    "requirement_half_slot": ("requirements.csv", 2, "period", None, "give both day and period"),
    "settings_out_of_range": ("pack.toml", None, "demand.percentile", "1.5", "expected a number from 0.5"),
    "settings_start_not_monday": ("pack.toml", None, "planning.start", "2026-04-08", "is a Wednesday"),
    "headerless_column": ("rooms.csv", 1, "E", None, "column E has data but no header"),
    "table_twice": ("skills.csv and skills.parquet", None, None, None, "the same table is given twice"),
    "xlsx_merged_header": (X, 1, None, None, "header cells are merged (B1:C1)"),
}


def _pack_path(case: str, root: str = "bad") -> Path:
    folder = DATA / root / case
    return folder / "pack.xlsx" if (folder / "pack.xlsx").exists() else folder


def test_every_case_on_disk_is_in_the_table() -> None:
    assert sorted(p.name for p in (DATA / "bad").iterdir()) == sorted(CASES)
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_pack_reports_exactly_its_mistake(case: str) -> None:
    source, row, column, value, fragment = CASES[case]
    problems = validate_pack(_pack_path(case), purpose="plan")
    errors = [p for p in problems if p.severity == "error"]
    assert len(errors) == 1, "\n".join(map(str, errors))
    (error,) = errors
    assert (error.source, error.row, error.column, error.value) == (source, row, column, value)
    assert fragment in error.message
    with pytest.raises(PackValidationError):
        read_pack(_pack_path(case), purpose="plan")


@pytest.mark.parametrize("case", ["wrong_type", "latin1_file", "xlsx_merged_header", "missing_file"])
def test_cli_exits_2_with_message_and_no_traceback(case: str) -> None:
    result = CliRunner().invoke(cli, ["validate", str(_pack_path(case))])
    assert result.exit_code == 2
    source, row, _, _, fragment = CASES[case]
    assert fragment in result.output
    assert row is None or f"row {row}" in result.output
    assert source in result.output
    assert "Traceback" not in result.output
    assert "Nothing was written" in result.output


@pytest.mark.parametrize("case", ["bom_crlf", "xlsx_blank_trailing_rows"])
def test_excel_style_files_are_accepted_and_equal_the_clean_pack(case: str, tiny_path: Path) -> None:
    pack = read_pack(_pack_path(case, "good"), purpose="plan")
    clean = read_pack(tiny_path, purpose="plan")
    assert pack.differences(clean) == []


def test_referrals_within_delivered_weeks_are_review_actuals() -> None:
    pack = read_pack(_pack_path("referrals_in_review_weeks", "good"), purpose="plan")
    assert pack.referrals["referral_date"].max().date().isoformat() == "2026-04-08"


def test_all_problems_are_reported_at_once(tmp_path: Path, tiny_path: Path) -> None:
    """Three independent mistakes in two files give three errors in one run."""
    import shutil

    folder = tmp_path / "pack"
    shutil.copytree(tiny_path, folder)
    clin = folder / "clinicians.csv"
    clin.write_text(clin.read_text().replace("consultant,,6,", "consultant,,six,")
                    .replace("12,1,false", "12,-1,false"))
    skills = folder / "skills.csv"
    skills.write_text(skills.read_text() + "Z,fu\n")
    errors = [p for p in validate_pack(folder) if p.severity == "error"]
    assert {(p.source, p.row, p.column) for p in errors} == {
        ("clinicians.csv", 3, "contracted_pas"),
        ("clinicians.csv", 4, "min_spa_pas"),
        ("skills.csv", 12, "clinician_id"),
    }


def test_unknown_column_is_a_warning_not_an_error(tmp_path: Path, tiny_path: Path) -> None:
    import shutil

    folder = tmp_path / "pack"
    shutil.copytree(tiny_path, folder)
    rooms = folder / "rooms.csv"
    rooms.write_text(rooms.read_text().replace("available\n", "available,notes\n", 1)
                     .replace("Mon,AM,2\n", "Mon,AM,2,shared with ENT\n"))
    pack = read_pack(folder, purpose="plan")
    assert [(w.source, w.column, w.severity) for w in pack.warnings] == [("rooms.csv", "notes", "warning")]
    result = CliRunner().invoke(cli, ["validate", str(folder)])
    assert result.exit_code == 0
    assert "unknown column" in result.output
