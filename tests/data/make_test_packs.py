"""Build the committed test packs: ``tests/data/tiny`` (valid) and ``tests/data/bad/<case>`` (malformed).

Run from the repository root: ``python tests/data/make_test_packs.py``. Each bad case is the tiny pack with
one deliberate mistake; ``tests/test_bad_packs.py`` holds the table of expected messages. The files are
committed so a reader can open them in Excel and see exactly what is being tested.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

HERE = Path(__file__).parent
TINY = HERE / "tiny"
BAD = HERE / "bad"
GOOD = HERE / "good"

TINY_FILES: dict[str, str] = {
    "pack.toml": '[planning]\nname = "Tiny dermatology"\nstart = 2026-04-06\nservice_weeks = 50\n\n'
                 '[demand]\npercentile = 0.8\n',
    "clinicians.csv": (
        "clinician_id,name,staff_group,contract,contracted_pas,max_pas,min_spa_pas,out_of_hours_opt_in\n"
        "A,Dr Ada Ames,consultant,consultant_2003,10,12,1.5,false\n"
        "B,Dr Ben Bell,consultant,,6,,,true\n"
        "S,Dr Sam Shaw,sas,sas_2021,10,12,1,false\n"
        "N,Nia Nash,nurse,afc,10,,,\n"
    ),
    "activities.csv": (
        "activity_id,name,category,patients_per_session,rapid_access,dna_rate,follow_up_activity,room_type\n"
        "2ww,Two-week-wait clinic,DCC,8,true,0.05,fu,clinic_room\n"
        "fu,Follow-up clinic,DCC,12,false,,,clinic_room\n"
        "mdt,Skin cancer MDT,DCC,,false,,,\n"
        "spa,Supporting professional activities,SPA,,false,,,\n"
    ),
    "skills.csv": (
        "clinician_id,activity_id\n"
        "A,2ww\nA,fu\nA,mdt\nA,spa\nB,2ww\nB,mdt\nB,spa\nS,fu\nS,spa\nN,fu\n"
    ),
    "slots.csv": (
        "day,period,premium_time\n"
        "Mon,AM,\nMon,PM,\nTue,AM,\nTue,PM,\nWed,AM,\nWed,PM,\nThu,AM,\nThu,PM,\nFri,AM,\nFri,PM,\n"
        "Tue,EVE,true\n"
    ),
    "rooms.csv": "room_type,day,period,available\nclinic_room,Mon,AM,2\nclinic_room,Tue,AM,1\n",
    "availability.csv": "clinician_id,day,period,available\nB,Fri,AM,false\nB,Fri,PM,false\n",
    "job_plans.csv": (
        "clinician_id,day,period,activity_id,weeks_per_year,locked\n"
        "A,Mon,AM,2ww,,false\nA,Tue,PM,mdt,,true\nA,Wed,AM,spa,,\n"
        "B,Tue,PM,mdt,,true\nB,Wed,PM,2ww,,\n"
        "S,Mon,PM,fu,42,\nN,Thu,AM,fu,,\n"
    ),
    "requirements.csv": "activity_id,sessions_per_week,day,period,min_clinicians\nmdt,,Tue,PM,2\n",
    "referrals.csv": (
        "referral_date,activity_id,priority,count\n"
        "2026-01-05,2ww,2ww,9\n2026-01-06,2ww,2ww,7\n2026-01-12,2ww,2ww,11\n2026-01-13,2ww,2ww,\n"
        "2026-01-19,2ww,2ww,10\n2026-01-20,fu,routine,3\n"
    ),
    "appointments.csv": (
        "appointment_date,activity_id,outcome,clinician_id,is_new\n"
        "2026-01-07,2ww,attended,A,true\n2026-01-07,2ww,dna,A,true\n2026-01-14,2ww,attended,B,true\n"
        "2026-01-14,fu,cancelled_hospital,S,false\n2026-01-21,fu,attended,N,false\n"
    ),
    "waiting_list.csv": "activity_id,waiting,over_target,target_weeks\n2ww,14,2,2\nfu,120,30,\n",
    "costs.csv": (
        "item,staff_group,annual_cost,session_cost\n"
        "locum_session,consultant,,950\nadditional_pa,consultant,13500,\n"
    ),
    "delivered.csv": (
        "clinician_id,week_start,activity_id,sessions\n"
        "A,2026-04-06,2ww,1\nA,2026-04-06,mdt,1\nS,2026-04-06,fu,0\n"
    ),
}


def _write_tiny(dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for name, text in TINY_FILES.items():
        (dest / name).write_text(text, encoding="utf-8", newline="")


def _replace(name: str, old: str, new: str) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        path = folder / name
        text = path.read_text(encoding="utf-8")
        assert old in text, (name, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8", newline="")

    return mutate


def _append(name: str, line: str) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        with (folder / name).open("a", encoding="utf-8", newline="") as fh:
            fh.write(line)

    return mutate


def _write(name: str, text: str) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        (folder / name).write_text(text, encoding="utf-8")

    return mutate


def _delete(name: str) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        (folder / name).unlink()

    return mutate


def _latin1(folder: Path) -> None:
    path = folder / "clinicians.csv"
    text = path.read_text(encoding="utf-8").replace("Nia Nash", "Siân Nash")
    path.write_bytes(text.encode("latin-1"))


def _header_only(name: str) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        path = folder / name
        path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")

    return mutate


def _parquet_twin(folder: Path) -> None:
    import pandas as pd

    pd.read_csv(folder / "skills.csv").to_parquet(folder / "skills.parquet", index=False)


def _to_workbook(folder: Path, tweak: Callable[..., None]) -> None:
    """Replace the folder's tables by pack.xlsx, then let ``tweak(workbook)`` damage it."""
    import csv

    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for path in sorted(folder.glob("*.csv")):
        ws = wb.create_sheet(path.stem)
        with path.open(encoding="utf-8") as fh:
            for row in csv.reader(fh):
                ws.append([_number(v) for v in row])
        path.unlink()
    ws = wb.create_sheet("settings")
    ws.append(["key", "value"])
    ws.append(["planning.start", "2026-04-06"])
    ws.append(["planning.name", "Tiny dermatology"])
    ws.append(["planning.service_weeks", 50])
    ws.append(["demand.percentile", 0.8])
    (folder / "pack.toml").unlink()
    tweak(wb)
    wb.save(folder / "pack.xlsx")


def _number(v: str) -> object:
    try:
        return int(v)
    except ValueError:
        try:
            return float(v)
        except ValueError:
            return v if v != "" else None


def _merged_header(wb: object) -> None:
    ws = wb["clinicians"]  # type: ignore[index]
    ws.insert_cols(3)
    ws.merge_cells("B1:C1")


def _blank_trailing_rows(wb: object) -> None:
    ws = wb["skills"]  # type: ignore[index]
    for r in range(ws.max_row + 1, ws.max_row + 40):
        ws.cell(row=r, column=1, value=None)
        ws.cell(row=r, column=2, value="   ")


# case name -> how to break the tiny pack
BAD_CASES: dict[str, Callable[[Path], None]] = {
    "missing_file": _delete("clinicians.csv"),
    "missing_column": _replace("clinicians.csv", "contracted_pas,", "pas,"),
    "wrong_type": _replace("clinicians.csv", "consultant,,6,", "consultant,,six,"),
    "blank_required_cell": _replace("activities.csv", "fu,Follow-up clinic,DCC,", "fu,Follow-up clinic,,"),
    "duplicate_id": _append("clinicians.csv", "A,Dr Again,consultant,consultant_2003,10,12,1.5,false\n"),
    "duplicate_skill": _append("skills.csv", "B,mdt\n"),
    "unknown_skill_clinician": _append("skills.csv", "Z,fu\n"),
    "unknown_skill_activity": _append("skills.csv", "A,derm_surgery\n"),
    "unknown_job_plan_activity": _replace("job_plans.csv", "N,Thu,AM,fu", "N,Thu,AM,teaching"),
    "unknown_appointment_activity": _replace("appointments.csv", "2026-01-21,fu", "2026-01-21,laser"),
    "unknown_requirement_activity": _replace("requirements.csv", "mdt,,Tue", "board,,Tue"),
    "unknown_follow_up_activity": _replace("activities.csv", "true,0.05,fu,", "true,0.05,fu2,"),
    "negative_number": _replace("clinicians.csv", "12,1,false", "12,-1,false"),
    "non_finite_number": _replace("activities.csv", "fu,Follow-up clinic,DCC,12,", "fu,Follow-up clinic,DCC,inf,"),
    "dna_rate_one": _replace("activities.csv", "true,0.05,", "true,1,"),
    "contracted_above_max": _replace("clinicians.csv", "consultant_2003,10,12,1.5", "consultant_2003,13,12,1.5"),
    "spa_floor_above_contracted": _replace("clinicians.csv", "nurse,afc,10,,,", "nurse,afc,2,,3,"),
    "unknown_day": _replace("job_plans.csv", "N,Thu,AM", "N,Funday,AM"),
    "unknown_period": _replace("job_plans.csv", "N,Thu,AM", "N,Thu,NIGHT"),
    "unknown_category": _replace("activities.csv", "Skin cancer MDT,DCC", "Skin cancer MDT,MEETING"),
    "unknown_outcome": _replace("appointments.csv", "2ww,dna,A", "2ww,no-show,A"),
    "unknown_contract": _replace("clinicians.csv", "sas,sas_2021", "sas,locum_2024"),
    "unknown_bool": _replace("activities.csv", "8,true,", "8,maybe,"),
    "unparseable_date": _replace("referrals.csv", "2026-01-06,2ww", "last tuesday,2ww"),
    "impossible_date": _replace("referrals.csv", "2026-01-06,2ww", "2026-02-30,2ww"),
    "referral_after_start": _append("referrals.csv", "2026-04-20,2ww,2ww,4\n"),
    "empty_table": _header_only("referrals.csv"),
    "latin1_file": _latin1,
    "fractional_count": _replace("waiting_list.csv", "fu,120,", "fu,120.5,"),
    "over_target_above_waiting": _replace("waiting_list.csv", "fu,120,30", "fu,120,300"),
    "cost_without_amount": _replace("costs.csv", "locum_session,consultant,,950", "locum_session,consultant,,"),
    "delivered_not_monday": _replace("delivered.csv", "S,2026-04-06", "S,2026-04-08"),
    "delivered_outside_year": _replace("delivered.csv", "S,2026-04-06", "S,2026-03-30"),
    "delivered_negative_sessions": _replace("delivered.csv", "S,2026-04-06,fu,0", "S,2026-04-06,fu,-2"),
    "leave_duplicate_week": _write("leave.csv", "clinician_id,week_start,weeks\nA,2026-05-04,0.2\nA,2026-05-04,1\n"),
    "delivered_unknown_clinician": _replace("delivered.csv", "S,2026-04-06", "Q,2026-04-06"),
    "job_plan_off_grid": _replace("job_plans.csv", "N,Thu,AM", "N,Sat,AM"),
    "job_plan_unavailable_slot": _append("job_plans.csv", "B,Fri,AM,2ww,,\n"),
    "requirement_half_slot": _replace("requirements.csv", "mdt,,Tue,PM,2", "mdt,,Tue,,2"),
    "settings_out_of_range": _replace("pack.toml", "percentile = 0.8", "percentile = 1.5"),
    "settings_start_not_monday": _replace("pack.toml", "start = 2026-04-06", "start = 2026-04-08"),
    "headerless_column": _replace("rooms.csv", "room_type,day,period,available\nclinic_room,Mon,AM,2\n",
                                  "room_type,day,period,available,\nclinic_room,Mon,AM,2,x\n"),
    "table_twice": _parquet_twin,
    "xlsx_merged_header": lambda folder: _to_workbook(folder, _merged_header),
}

# Inputs written the way Excel and other tools write them, which must be accepted.
GOOD_CASES: dict[str, Callable[[Path], None]] = {
    "bom_crlf": lambda folder: [
        p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes().replace(b"\n", b"\r\n")) for p in folder.glob("*.csv")
    ] and None,
    "xlsx_blank_trailing_rows": lambda folder: _to_workbook(folder, _blank_trailing_rows),
    # Referrals in the weeks of the delivered extract are the quarter's actuals for the review.
    "referrals_in_review_weeks": _append("referrals.csv", "2026-04-08,2ww,2ww,5\n"),
}


def main() -> None:
    """(Re)write tests/data/tiny, tests/data/bad/* and tests/data/good/*."""
    for root in (TINY, BAD, GOOD):
        shutil.rmtree(root, ignore_errors=True)
    _write_tiny(TINY)
    for root, cases in ((BAD, BAD_CASES), (GOOD, GOOD_CASES)):
        for case, mutate in cases.items():
            folder = root / case
            _write_tiny(folder)
            mutate(folder)


if __name__ == "__main__":
    main()
