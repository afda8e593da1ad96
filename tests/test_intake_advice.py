"""Validation that helps (issue 17): one message for a missing path, problems sorted by file and row,
"did you mean" for near misses, percentages in share columns, formulas without saved values, and the
0 % DNA-rate default."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from capacity_planner.cli import cli
from capacity_planner.errors import PackValidationError, Problem
from capacity_planner.intake.suggest import closest
from capacity_planner.pack.read import read_pack, validate_pack
from capacity_planner.pack.write import write_pack

if TYPE_CHECKING:
    from pathlib import Path


def _copy(tiny_path: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "pack"
    shutil.copytree(tiny_path, dest)
    return dest


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def _errors(path: Path) -> list[str]:
    return [str(p) for p in validate_pack(path) if p.severity == "error"]


def _warnings(path: Path) -> list[str]:
    return [str(p) for p in validate_pack(path) if p.severity == "warning"]


def test_a_missing_workbook_is_one_message_with_the_near_miss(tmp_path: Path) -> None:
    (tmp_path / "my_service.xlsx").write_bytes(b"")
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "my_servce.xlsx")])
    assert result.exit_code == 2
    assert "has 1 problem(s)" in result.output
    assert "no such workbook (did you mean 'my_service.xlsx'?)" in result.output
    problems = validate_pack(tmp_path / "nowhere" / "pack")
    assert len(problems) == 1 and "does not exist either" in problems[0].message


def test_problems_are_sorted_by_file_and_row(tiny_path: Path, tmp_path: Path) -> None:
    pack = _copy(tiny_path, tmp_path)
    (pack / "skills.csv").write_text((pack / "skills.csv").read_text() + "Z,fu\n")  # skills row 12
    _replace(pack / "clinicians.csv", "consultant,,6,", "consultant,,six,")  # row 3
    _replace(pack / "clinicians.csv", "12,1,false", "12,-1,false")  # row 4
    _replace(pack / "activities.csv", "DCC,12,false", "DCC,-12,false")  # activities row 3
    result = CliRunner().invoke(cli, ["validate", str(pack)])
    lines = [ln for ln in result.output.splitlines() if ln.startswith("  - ") and "warning" not in ln]
    where = [ln.split(":")[0] for ln in lines]
    assert where == ["  - activities.csv, row 3, column patients_per_session",
                     "  - clinicians.csv, row 3, column contracted_pas",
                     "  - clinicians.csv, row 4, column min_spa_pas",
                     "  - skills.csv, row 12, column clinician_id"], result.output
    summary = Problem("a.csv", "… and 5 more rows with the same problem (x)", None, "c")
    exc = PackValidationError([summary, Problem("a.csv", "x", 30, "c"), Problem("a.csv", "table", None)])
    assert [p.row for p in exc.ordered()] == [None, 30, None] and exc.ordered()[2] is summary


@pytest.mark.parametrize(("typed", "meant"), [("Fu", "fu"), ("2 WW", "2ww"), ("mdtt", "mdt"), ("2-ww", "2ww")])
def test_near_miss_id_suggests_the_known_one(tiny_path: Path, tmp_path: Path, typed: str, meant: str) -> None:
    pack = _copy(tiny_path, tmp_path)
    (pack / "skills.csv").write_text((pack / "skills.csv").read_text() + f"A,{typed}\n")
    assert _errors(pack) == [f"skills.csv, row 12, column activity_id: value {typed!r}: unknown activity_id: "
                             f"not in activities (did you mean {meant!r}?)"]


def test_far_miss_id_lists_the_known_ones(tiny_path: Path, tmp_path: Path) -> None:
    pack = _copy(tiny_path, tmp_path)
    (pack / "skills.csv").write_text((pack / "skills.csv").read_text() + "A,laser\n")
    (error,) = _errors(pack)
    assert "unknown activity_id: not in activities (known: 2ww, fu, mdt, spa)" in error


def test_near_miss_label_column_sheet_file_and_setting(tiny_path: Path, tmp_path: Path) -> None:
    pack = _copy(tiny_path, tmp_path)
    _replace(pack / "clinicians.csv", "consultant,consultant_2003,10", "Consultnat,consultant_2003,10")
    _replace(pack / "clinicians.csv", "contracted_pas", "Contracted PAs")
    (pack / "costs.csv").rename(pack / "cost.csv")
    _replace(pack / "pack.toml", "percentile = 0.8", "percentil = 0.8")
    errors, warnings = _errors(pack), _warnings(pack)
    assert any("value 'Consultnat': unknown label: expected one of consultant" in e
               and e.endswith("(did you mean 'consultant'?)") for e in errors), errors
    assert any("required column is missing" in e and "(did you mean 'contracted pas'?)" in e for e in errors)
    assert "warning: cost.csv: file ignored: not a planning-pack table (did you mean 'costs'?)" in warnings
    assert any("column demand.percentil" in w and "(did you mean 'demand.percentile'?)" in w for w in warnings)


def test_closest_ignores_case_spaces_and_one_typo() -> None:
    ids = ["2ww", "fu", "minor_ops", "C01"]
    assert [closest(x, ids) for x in ("FU", "minor ops", "minor-ops", "minr_ops", "c01", "xyz")] == \
        ["fu", "minor_ops", "minor_ops", "minor_ops", "C01", None]


def test_a_share_accepts_percent_and_explains_a_percentage(tiny_path: Path, tmp_path: Path) -> None:
    pack = _copy(tiny_path, tmp_path)
    _replace(pack / "activities.csv", "true,0.05,fu", "true,5%,fu")
    assert read_pack(pack).activities[0].dna_rate == pytest.approx(0.05)
    _replace(pack / "activities.csv", "true,5%,fu", "true,7,fu")
    assert _errors(pack) == ["activities.csv, row 2, column dna_rate: value '7': too large: expected a number "
                             ">= 0 and < 1; a share, not a percentage: for 7 % write 0.07 or 7%"]
    _replace(pack / "activities.csv", "true,7,fu", "true,0.05,fu")
    _replace(pack / "pack.toml", "percentile = 0.8", 'percentile = "85%"')
    assert read_pack(pack).settings.percentile == pytest.approx(0.85)
    _replace(pack / "pack.toml", 'percentile = "85%"', "percentile = 80")
    (error,) = _errors(pack)
    assert error.endswith("out of range: expected a number from 0.5 to 0.999; a share, not a percentage: "
                          "for 80 % write 0.8 or 80%")


def test_formula_without_a_saved_value_is_a_warning(tiny_path: Path, tmp_path: Path) -> None:
    import openpyxl

    book = write_pack(read_pack(tiny_path), tmp_path / "pack.xlsx")
    wb = openpyxl.load_workbook(book)
    ws = wb["referrals"]
    header = [c.value for c in ws[1]]
    letter = openpyxl.utils.get_column_letter(header.index("count") + 1)
    ws[f"{letter}3"] = "=3+4"  # openpyxl saves the formula without a value, as scripts do
    wb.save(book)
    warnings = _warnings(book)
    assert f"warning: sheet 'referrals' of pack.xlsx, row 3, column {letter}: a formula with no saved value, " \
        "read as blank (the file was written by a program that does not calculate formulas): open and save " \
        "it in Excel, or type the value" in warnings


def test_new_activity_without_history_warns_of_a_zero_dna_rate(tiny_path: Path, tmp_path: Path) -> None:
    pack = _copy(tiny_path, tmp_path)
    (pack / "activities.csv").write_text((pack / "activities.csv").read_text()
                                         + "laser,Laser clinic,DCC,6,false,,,\n")
    (pack / "referrals.csv").write_text((pack / "referrals.csv").read_text() + "2026-01-21,laser,routine,2\n")
    warnings = [w for w in _warnings(pack) if "0 % DNA rate" in w]
    assert warnings == ["warning: activities.csv, row 6, column dna_rate: activity laser has demand but no "
                        "dna_rate, and the appointments table has no rows for it: it is sized with a 0 % DNA "
                        "rate (every booked patient attends); give dna_rate (e.g. 0.07) if patients may miss "
                        "appointments"]
    (pack / "appointments.csv").unlink()
    warned = [w for w in _warnings(pack) if "0 % DNA rate" in w]
    # fu (a follow-up activity) and laser have demand and no dna_rate; 2ww gives its own
    assert len(warned) == 2 and all("there is no appointments table" in w for w in warned)


def test_near_miss_sheet_name_is_suggested(tiny_path: Path, tmp_path: Path) -> None:
    import openpyxl

    book = write_pack(read_pack(tiny_path), tmp_path / "pack.xlsx")
    wb = openpyxl.load_workbook(book)
    wb["waiting_list"].title = "Waiting lists"
    wb.save(book)
    assert "warning: sheet 'Waiting lists' of pack.xlsx: sheet ignored: not a planning-pack table (did you mean " \
        "'waiting_list'?)" in _warnings(book)
    # Case and spaces are not a near miss: 'Waiting list' is the waiting_list table itself.
    wb = openpyxl.load_workbook(book)
    wb["Waiting lists"].title = "Waiting list"
    wb.save(book)
    assert not [w for w in _warnings(book) if "Waiting list" in w]
