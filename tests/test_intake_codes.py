"""NHS Data Dictionary codes in the appointments table, aggregated rows, DNA rate both ways, and the
follow-up ratio measured from OUTCOME OF ATTENDANCE (issue 17)."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from capacity_planner.demand.follow_up_outcomes import outcome_follow_up_ratios
from capacity_planner.demand.history import appointment_rates, build_history
from capacity_planner.errors import PackValidationError
from capacity_planner.intake.codes import code_text, treatment_function_name
from capacity_planner.pack.read import read_pack, validate_pack

if TYPE_CHECKING:
    from pathlib import Path


def _pack_with_appointments(tiny_path: Path, tmp_path: Path, text: str) -> Path:
    dest = tmp_path / "pack"
    shutil.copytree(tiny_path, dest)
    (dest / "appointments.csv").write_text(text, encoding="utf-8")
    return dest


CODED = """appointment_date,activity_id,outcome,clinician_id,is_new,count
2026-01-07,2ww,5,A,1,10
2026-01-07,2ww,6,A,3,2
2026-01-07,2ww,3,A,1,1
2026-01-07,2ww,7,A,1,1
2026-01-07,2ww,2,A,1,3
2026-01-07,2ww,4,A,1,3
2026-01-07,2ww,0,A,1,4
2026-01-08,fu,attended,S,2,5
2026-01-08,fu,05,S,4,1
2026-01-08,fu,5,S,5,2
"""


def test_attendance_codes_are_read_as_labels_and_counted(tiny_path: Path, tmp_path: Path) -> None:
    pack = read_pack(_pack_with_appointments(tiny_path, tmp_path, CODED))
    rates = appointment_rates(pack.appointments)
    # 2ww: attended 10 (code 5) + 2 (code 6) = 12; dna 1 (code 3) + 1 (code 7) = 2; cancelled by the
    # patient 3 (code 2), by the hospital 3 (code 4); the 4 future appointments (code 0) are dropped.
    assert rates.loc["2ww", ["attended", "dna", "cancelled_patient", "cancelled_hospital"]].tolist() == \
        [12, 2, 3, 3]
    # sizing definition: 2 / (12 + 2) = 0.142857; HES definition: 2 / (12 + 2 + 3 + 3) = 0.1
    assert rates.loc["2ww", "dna_rate"] == pytest.approx(2 / 14)
    assert rates.loc["2ww", "dna_rate_all_appointments"] == pytest.approx(0.1)
    # fu: 5 + 1 attended follow-ups (FIRST ATTENDANCE 2 and 4; "05" read as 5); the RTT event row dropped
    assert rates.loc["fu", "attended"] == 6
    assert pack.appointments["is_new"].tolist().count(False) == 2
    notes = [str(w) for w in pack.warnings]
    assert any("1 row(s) with ATTENDED OR DID NOT ATTEND code 0" in n and "row 8" in n for n in notes)
    assert any("1 row(s) with FIRST ATTENDANCE code 5" in n and "row 11" in n for n in notes)


def test_unknown_attendance_code_names_the_codes(tiny_path: Path, tmp_path: Path) -> None:
    text = "appointment_date,activity_id,outcome,is_new\n2026-01-07,2ww,9,1\n2026-01-07,2ww,5,7\n"
    problems = validate_pack(_pack_with_appointments(tiny_path, tmp_path, text))
    errors = [str(p) for p in problems if p.severity == "error"]
    assert any("row 2, column outcome: value '9'" in e and "ATTENDED OR DID NOT ATTEND code" in e
               for e in errors), errors
    assert any("row 3, column is_new: value '7'" in e and "FIRST ATTENDANCE codes 1-5" in e
               for e in errors), errors


def test_sizing_reports_the_dna_rate_both_ways(tiny_path: Path, tmp_path: Path) -> None:
    from capacity_planner.demand.pipeline import size_demand

    pack = read_pack(_pack_with_appointments(tiny_path, tmp_path, CODED))
    table = size_demand(pack).requirements.table.set_index("activity_id")
    assert table.loc["fu", "dna_rate"] == pytest.approx(0.0)  # 0 / (6 + 0)
    assert table.loc["fu", "dna_rate_all_appointments"] == pytest.approx(0.0)
    assert table.loc["2ww", "dna_rate"] == pytest.approx(0.05)  # given in activities: used for sizing
    assert table.loc["2ww", "dna_rate_all_appointments"] == pytest.approx(0.1)  # measured, reported


def test_outcome_of_attendance_gives_the_follow_up_ratio(tiny_path: Path, tmp_path: Path) -> None:
    # New (2ww): 10 attended, 6 asked for another appointment (4 code 2, 2 code 3), 4 discharged: a = 0.6.
    # Follow-ups (fu): 4 attended, 2 asked for another, 2 discharged: b = 0.5. f = a / (1 - b) = 1.2,
    # whereas counting attendances gives 4 / 10 = 0.4 (follow-ups backlogged).
    text = """appointment_date,activity_id,outcome,is_new,outcome_of_attendance,count
2026-01-07,2ww,5,1,2,4
2026-01-07,2ww,5,1,3,2
2026-01-07,2ww,5,1,1,4
2026-01-07,2ww,3,1,,1
2026-01-08,fu,5,2,another_appointment,2
2026-01-08,fu,5,2,discharged,2
"""
    path = _pack_with_appointments(tiny_path, tmp_path, text)
    (path / "activities.csv").write_text(
        (path / "activities.csv").read_text().replace("2ww,Two-week-wait clinic,DCC,8,true,0.05,fu",
                                                      "2ww,Two-week-wait clinic,DCC,8,true,,fu"))
    pack = read_pack(path)
    by_outcome, notes = outcome_follow_up_ratios(pack.appointments, pack.activities)
    row = by_outcome.set_index("activity_id").loc["2ww"]
    assert (row["new_with_outcome"], row["new_requests"]) == (10, 6)
    assert (row["follow_up_with_outcome"], row["follow_up_requests"]) == (4, 2)
    assert row["follow_up_ratio"] == pytest.approx(1.2) and notes == []
    history = build_history(pack)
    fu = history.follow_ups.set_index("activity_id").loc["2ww"]
    assert fu["follow_up_ratio"] == pytest.approx(1.2) and fu["method"] == "outcomes"
    from capacity_planner.demand.pipeline import size_demand

    table = size_demand(pack).requirements.table.set_index("activity_id")
    assert table.loc["fu", "follow_up_ratio"] == pytest.approx(1.2)
    assert table.loc["fu", "follow_up_ratio_source"] == "measured_outcomes"


def test_outcome_estimator_falls_back_without_follow_up_outcomes(tiny_path: Path, tmp_path: Path) -> None:
    text = """appointment_date,activity_id,outcome,is_new,outcome_of_attendance
2026-01-07,2ww,5,1,2
2026-01-08,fu,5,2,
"""
    pack = read_pack(_pack_with_appointments(tiny_path, tmp_path, text))
    by_outcome, notes = outcome_follow_up_ratios(pack.appointments, pack.activities)
    assert np.isnan(by_outcome["follow_up_ratio"].iloc[0])
    assert "no attended follow-up appointment of the pathway to fu has an outcome" in notes[0]
    fu = build_history(pack).follow_ups.set_index("activity_id").loc["2ww"]
    assert fu["method"] == "attendances" and fu["follow_up_ratio"] == pytest.approx(1.0)  # 1 fu / 1 new


def test_outcome_estimator_refuses_a_pathway_without_discharges() -> None:
    from capacity_planner.pack.model import Activity

    frame = pd.DataFrame({
        "activity_id": ["n", "f"], "outcome": ["attended", "attended"],
        "is_new": pd.array([True, False], dtype="boolean"),
        "outcome_of_attendance": ["another_appointment", "appointment_later"],
    })
    acts = (Activity("n", "DCC", follow_up_activity="f"), Activity("f", "DCC"))
    table, notes = outcome_follow_up_ratios(frame, acts)
    assert np.isnan(table["follow_up_ratio"].iloc[0]) and "no discharges recorded" in notes[0]


def test_codes_as_numbers_from_excel_and_parquet() -> None:
    values = pd.Series([5.0, 7, "05", " 3 ", None, "attended"], dtype=object)
    assert code_text(values).tolist() == ["5", "7", "5", "3", "", "attended"]
    assert treatment_function_name(330) == "Dermatology"
    assert treatment_function_name("999") == "treatment function 999"


def test_count_rounds_trip_and_is_checked(tiny_path: Path, tmp_path: Path) -> None:
    from capacity_planner.pack.write import write_pack

    pack = read_pack(_pack_with_appointments(tiny_path, tmp_path, CODED))
    out = write_pack(pack, tmp_path / "again")
    again = read_pack(out)
    assert again.equals(pack)
    written = pd.read_csv(out / "appointments.csv")
    assert written["outcome"].iloc[0] == "attended" and written["count"].iloc[0] == 10
    bad = CODED.replace(",A,1,10", ",A,1,-1")
    with pytest.raises(PackValidationError, match="row 2, column count: value '-1': negative"):
        read_pack(_pack_with_appointments(tiny_path, tmp_path / "b", bad))
