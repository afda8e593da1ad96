"""Packs survive folder -> Parquet -> xlsx -> folder unchanged, and defaults are applied and recorded."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import openpyxl
import pandas as pd
import pytest

from capacity_planner._files import MANIFEST_NAME
from capacity_planner.pack.model import Clinician
from capacity_planner.pack.read import read_pack
from capacity_planner.pack.write import pack_to_tables, write_pack

if TYPE_CHECKING:
    from pathlib import Path


def test_round_trip_csv_parquet_xlsx_csv(tmp_path: Path, tiny_path: Path) -> None:
    original = read_pack(tiny_path, purpose="plan")
    as_parquet = read_pack(write_pack(original, tmp_path / "pq", "parquet"))
    as_xlsx = read_pack(write_pack(as_parquet, tmp_path / "pack.xlsx"))
    back = read_pack(write_pack(as_xlsx, tmp_path / "csv"))
    for pack in (as_parquet, as_xlsx, back):
        assert pack.differences(original) == []
    assert sorted(p.name for p in (tmp_path / "pq").iterdir()) == sorted(
        [f"{t}.parquet" for t in original.tables_present] + ["pack.toml", MANIFEST_NAME]
    )


def test_written_csv_keeps_blank_cells_blank(tmp_path: Path, tiny_path: Path) -> None:
    """Defaults are not baked into the user's data: a blank max_pas stays blank after conversion."""
    write_pack(read_pack(tiny_path), tmp_path / "out")
    original = pd.read_csv(tiny_path / "clinicians.csv", dtype=str, keep_default_na=False)
    written = pd.read_csv(tmp_path / "out" / "clinicians.csv", dtype=str, keep_default_na=False)
    assert list(written["max_pas"]) == list(original["max_pas"]) == ["12", "", "12", ""] or list(
        written["max_pas"]
    ) == ["12.0", "", "12.0", ""]


def test_contract_family_defaults_are_applied_and_recorded(tiny_path: Path) -> None:
    pack = read_pack(tiny_path)
    ben = pack.clinician("B")  # consultant, contract blank, max/min SPA blank
    assert ben == Clinician(
        clinician_id="B", contracted_pas=6.0, staff_group="consultant", contract="consultant_2003",
        max_pas=12.0, min_spa_pas=1.5, working_weeks=42.0, session_hours=4.0, oncall_pas=0.0,
        name="Dr Ben Bell", out_of_hours_opt_in=True,
    )
    nia = pack.clinician("N")  # Agenda for Change: max = contracted, SPA floor 0, 45 weeks, 3.75 h
    assert (nia.max_pas, nia.min_spa_pas, nia.working_weeks, nia.session_hours) == (10.0, 0.0, 45.0, 3.75)
    recorded = {(d.table, d.key, d.column): d.value for d in pack.defaults_applied}
    assert recorded[("clinicians", "B", "contract")] == "consultant_2003"
    assert recorded[("clinicians", "B", "max_pas")] == 12.0
    assert recorded[("clinicians", "N", "max_pas")] == 10.0
    assert ("clinicians", "A", "max_pas") not in recorded  # given in the file
    assert recorded[("job_plans", "A|Mon|AM", "weeks_per_year")] == 42.0
    assert ("job_plans", "S|Mon|PM", "weeks_per_year") not in recorded
    assert recorded[("waiting_list", "fu", "target_weeks")] == 18.0
    # Premium time: EVE given explicitly as true; the weekday slots default to normal time.
    assert {(s.day, s.period): s.premium_time for s in pack.slots}[("Tue", "EVE")] is True
    assert recorded[("slots", "Mon|AM", "premium_time")] is False


def test_history_tables_have_canonical_dtypes(tiny_path: Path) -> None:
    pack = read_pack(tiny_path)
    assert str(pack.referrals["referral_date"].dtype) == "datetime64[ns]"
    assert pack.referrals["count"].tolist() == [9, 7, 11, 1, 10, 3]  # blank count = 1 referral
    assert str(pack.appointments["is_new"].dtype) == "boolean"
    assert pack.plan_start == dt.date(2026, 4, 6)


def test_replace_makes_a_new_pack_and_leaves_the_original(tiny_path: Path) -> None:
    pack = read_pack(tiny_path)
    fewer = pack.replace(clinicians=pack.clinicians[:2])
    assert len(pack.clinicians) == 4 and len(fewer.clinicians) == 2
    assert fewer.differences(pack) == ["clinicians"]


def test_formula_like_text_is_written_as_text(tmp_path: Path, tiny_path: Path) -> None:
    pack = read_pack(tiny_path)
    evil = '=HYPERLINK("http://example.invalid","click")'
    from dataclasses import replace

    pack = pack.replace(clinicians=(replace(pack.clinicians[0], name=evil), *pack.clinicians[1:]))
    path = write_pack(pack, tmp_path / "p.xlsx")
    ws = openpyxl.load_workbook(path)["clinicians"]
    cell = ws.cell(row=2, column=2)
    assert cell.value == evil and cell.data_type == "s"
    assert read_pack(path).clinician("A").name == evil


def test_unknown_columns_survive_conversion(tmp_path: Path, tiny_path: Path) -> None:
    import shutil

    folder = tmp_path / "in"
    shutil.copytree(tiny_path, folder)
    rooms = folder / "rooms.csv"
    rooms.write_text("room_type,day,period,available,notes\nclinic_room,Mon,AM,2,shared\nclinic_room,Tue,AM,1,\n")
    pack = read_pack(folder)
    out = read_pack(write_pack(pack, tmp_path / "x.xlsx"))
    assert out.differences(pack) == []
    assert pack_to_tables(out)["rooms"]["notes"].tolist()[0] == "shared"


@pytest.mark.parametrize("bad", ["nope.txt", "missing_folder"])
def test_unreadable_path_is_a_validation_error(tmp_path: Path, bad: str) -> None:
    from capacity_planner.errors import PackValidationError

    with pytest.raises(PackValidationError):
        read_pack(tmp_path / bad)


def test_writer_never_replaces_a_folder_with_other_files(tmp_path: Path, tiny_path: Path) -> None:
    from capacity_planner.errors import CapacityPlannerError

    precious = tmp_path / "mine"
    precious.mkdir()
    (precious / "thesis.docx").write_text("years of work")
    with pytest.raises(CapacityPlannerError, match="did not write"):
        write_pack(read_pack(tiny_path), precious)
    assert (precious / "thesis.docx").read_text() == "years of work"
    out = write_pack(read_pack(tiny_path), tmp_path / "pack")
    write_pack(read_pack(tiny_path), out)  # a pack folder may be rewritten


def test_a_pack_built_in_python_is_written_with_its_tables(tmp_path: Path, tiny_path: Path) -> None:
    """A pack made in memory (``PlanningPack(...)`` in a notebook, the meeting's agreed pack) has no record
    of the files it came from; writing it wrote pack.toml alone until this was found (an agreed pack of a
    pack built in Python had no job plans). Every table with rows is written."""
    read = read_pack(tiny_path, purpose="plan")
    built = read.replace(tables_present=frozenset())
    back = read_pack(write_pack(built, tmp_path / "built"))
    assert back.differences(read) == []
    assert {p.stem for p in (tmp_path / "built").glob("*.csv")} == set(read.tables_present)
