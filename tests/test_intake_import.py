"""``capacity-planner import``: a SUS-style outpatient extract with Data Dictionary codes and an ESR-style
staff list, mapped by the shipped mapping files, imported and planned end to end (issue 17)."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from capacity_planner.cli import cli
from capacity_planner.demand.history import appointment_rates
from capacity_planner.intake import example_mapping_paths
from capacity_planner.intake.importer import aggregate_rows, import_pack
from capacity_planner.pack.read import read_pack, sample_pack_path

if TYPE_CHECKING:
    from pathlib import Path

CLINIC = {"2ww": "DRM2WW01", "new": "DRMNEW01", "fu": "DRMFU01", "minor_ops": "DRMMOP01"}
ATTENDED = {"attended": "5", "dna": "3", "cancelled_patient": "2", "cancelled_hospital": "4"}


def sus_extract_from_sample(folder: Path) -> pd.DataFrame:
    """The embedded sample's 38,149 appointments written as a SUS outpatient extract would hold them."""
    appts = pd.read_csv(sample_pack_path() / "appointments.csv", dtype=str)
    rng = np.random.default_rng(17)
    outcome = appts["outcome"].map(ATTENDED)
    # a third of the DNAs are "arrived late, not seen" (code 7): still DNAs
    late = (outcome == "3").to_numpy() & (rng.random(len(appts)) < 1 / 3)
    outcome[late] = "7"
    new = appts["is_new"].eq("true")
    first = np.where(new, np.where(rng.random(len(appts)) < 0.2, "3", "1"),
                     np.where(rng.random(len(appts)) < 0.2, "4", "2"))
    date = pd.to_datetime(appts["appointment_date"])
    extract = pd.DataFrame({
        "APPOINTMENT_DATE": appts["appointment_date"],
        "CLINIC_CODE": appts["activity_id"].map(CLINIC),
        "ATTENDED_OR_DID_NOT_ATTEND": outcome,
        "FIRST_ATTENDANCE": first,
        "TREATMENT_FUNCTION_CODE": "330",
        "CONSULTANT_CODE": appts["clinician_id"],
        "REFERRAL_REQUEST_RECEIVED_DATE": np.where(new, (date - pd.Timedelta(days=12)).dt.strftime("%Y-%m-%d"), ""),
        "PRIORITY_TYPE": np.where(new, appts["activity_id"].map({"2ww": "3"}).fillna("1"), ""),
    })
    # OUTCOME OF ATTENDANCE on attended appointments: another appointment (2, or 3 "to be made later")
    # for 60 % of them, else discharged (1); about 1.5 follow-ups per new patient, as the sample asks.
    asks = rng.random(len(appts)) < 0.6
    extract["OUTCOME_OF_ATTENDANCE"] = np.where(
        outcome.isin(["5", "6"]), np.where(asks, np.where(rng.random(len(appts)) < 0.25, "3", "2"), "1"), "")
    extract.to_csv(folder / "sus_outpatients.csv", index=False)
    return extract


def mappings_next_to(folder: Path) -> list[Path]:
    """The shipped mapping files, copied next to the test's extracts (their file names are relative)."""
    paths = []
    for shipped in example_mapping_paths():
        dest = folder / shipped.name
        shutil.copy(shipped, dest)
        paths.append(dest)
    shutil.copy(shipped.with_suffix(".csv"), folder / "esr_staff.csv")
    return paths


@pytest.mark.slow
def test_sus_extract_and_staff_list_import_and_plan_end_to_end(tmp_path: Path) -> None:
    extract = sus_extract_from_sample(tmp_path)
    mappings = mappings_next_to(tmp_path)
    runner = CliRunner()
    out = tmp_path / "pack"
    result = runner.invoke(cli, ["import", *map(str, mappings), "--base", str(sample_pack_path()),
                                 "--out", str(out), "--for", "plan"])
    assert result.exit_code == 0, result.output
    assert "C02: 2 posts (8 + 3 PAs) combined into one clinician with 11 PAs" in result.output
    pack = read_pack(out, purpose="plan")
    # Aggregated: every extract row is counted once (no code 0 or FIRST ATTENDANCE 5 in this extract).
    assert int(pack.appointments["count"].sum()) == len(extract) == 38_153
    # one row per distinct day, clinic, clinician and outcome (codes 3 and 7 are both "dna"; 1 and 3 new)
    distinct = extract.assign(
        dna=extract["ATTENDED_OR_DID_NOT_ATTEND"].replace({"7": "3"}),
        new=extract["FIRST_ATTENDANCE"].isin(["1", "3"]),
    ).drop_duplicates(["APPOINTMENT_DATE", "CLINIC_CODE", "dna", "new", "OUTCOME_OF_ATTENDANCE",
                       "CONSULTANT_CODE"])
    assert len(pack.appointments) == len(distinct) < len(extract) / 2
    # Codes read back as the sample's labels: the same DNA rate per activity (code 7 counts as a DNA).
    sample = appointment_rates(read_pack(sample_pack_path()).appointments)
    imported = appointment_rates(pack.appointments)
    pd.testing.assert_series_equal(imported["dna_rate"], sample["dna_rate"])
    pd.testing.assert_frame_equal(imported[["attended", "dna", "cancelled_patient", "cancelled_hospital"]],
                                  sample[["attended", "dna", "cancelled_patient", "cancelled_hospital"]])
    # Staff list: FTE x 10 = PAs, staff group from ESR staff group and grade.
    clinicians = {c.clinician_id: c for c in pack.clinicians}
    assert clinicians["C02"].contracted_pas == pytest.approx(11.0)
    assert clinicians["D01"].staff_group == "specialty_doctor" and clinicians["S01"].staff_group == "sas"
    assert clinicians["N01"].contract == "afc"
    # Referrals: one per attended first appointment, dated 12 days before it.
    attended_first = extract["FIRST_ATTENDANCE"].isin(["1", "3"]) & \
        extract["ATTENDED_OR_DID_NOT_ATTEND"].isin(["5", "6"])
    assert int(pack.referrals["count"].sum()) == int(attended_first.sum())
    planned = runner.invoke(cli, ["plan", str(out), "--out", str(tmp_path / "plan"), "--work-limit", "5",
                                  "--workers", "1", "--no-report"])
    assert planned.exit_code == 0, planned.output
    requirements = pd.read_csv(tmp_path / "plan" / "requirements.csv").set_index("activity_id")
    # Follow-up ratio from OUTCOME OF ATTENDANCE, by hand on the history window (before 2027-04-05):
    # a = share of attended new 2ww/new appointments asking for another, b = the same at fu; f = a/(1-b).
    hist = extract.loc[extract["APPOINTMENT_DATE"] < "2027-04-05"]
    seen = hist.loc[hist["ATTENDED_OR_DID_NOT_ATTEND"].isin(["5", "6"])]
    asks = seen["OUTCOME_OF_ATTENDANCE"].isin(["2", "3"])
    at_new = seen["CLINIC_CODE"].isin(["DRM2WW01", "DRMNEW01"]) & seen["FIRST_ATTENDANCE"].isin(["1", "3"])
    at_fu = seen["CLINIC_CODE"].eq("DRMFU01") & seen["FIRST_ATTENDANCE"].isin(["2", "4"])
    a, b = asks[at_new].mean(), asks[at_fu].mean()
    assert requirements.loc["fu", "follow_up_ratio_source"] == "measured_outcomes"
    assert requirements.loc["fu", "follow_up_ratio"] == pytest.approx(a / (1 - b), rel=1e-9)
    assert 1.3 < a / (1 - b) < 1.7
    assert requirements.loc["2ww", "dna_rate_all_appointments"] < requirements.loc["2ww", "dna_rate"]


def test_shipped_examples_import_onto_the_sample(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["import", "--out", str(tmp_path / "example")])
    assert result.exit_code == 0, result.output
    assert "1 row(s) with ATTENDED OR DID NOT ATTEND code 0" in result.output
    assert "1 row(s) with FIRST ATTENDANCE code 5" in result.output
    pack = read_pack(tmp_path / "example")
    assert int(pack.appointments["count"].sum()) == 128  # 130 extract rows less the two not counted
    assert set(pack.appointments["treatment_function"]) == {"330"}


def test_extract_problems_name_the_extract_row_and_column(tmp_path: Path) -> None:
    (tmp_path / "op.csv").write_text("APPT,CLINIC,ATT\n2026-01-05,2ww,5\n31/02/2026,2ww,9\n")
    (tmp_path / "map.toml").write_text('[appointments]\nfile = "op.csv"\n[appointments.columns]\n'
                                       'appointment_date = "APPT"\nactivity_id = "CLINIC"\noutcome = "ATT"\n')
    result = CliRunner().invoke(cli, ["import", str(tmp_path / "map.toml"), "--out", str(tmp_path / "p")])
    assert result.exit_code == 2
    assert "op.csv (mapped to appointments), row 3, column APPT (as appointment_date): value '31/02/2026'" \
        in result.output
    assert "row 3, column ATT (as outcome): value '9'" in result.output
    assert not (tmp_path / "p").exists()


def test_mapping_mistakes_are_all_reported_with_suggestions(tmp_path: Path) -> None:
    (tmp_path / "op.csv").write_text("APPT_DATE,CLINIC,ATT\n2026-01-05,2ww,5\n")
    (tmp_path / "map.toml").write_text(
        '[appointment]\nfile = "op.csv"\n'
        '[referrals]\nfile = "op.csv"\n[referrals.columns]\nreferal_date = "APPT_DATE"\nactivity_id = "CLINIC"\n'
        '[skills]\nfile = "op.csv"\n[skills.columns]\nclinician_id = "CONSULTANT"\nactivity_id = "CLINC"\n')
    with pytest.raises(Exception) as info:
        import_pack([tmp_path / "map.toml"], tmp_path / "p")
    text = str(info.value)
    assert "unknown section: expected a pack table, [settings] or [import] (did you mean 'appointments'?)" in text
    assert "column referrals.columns.referal_date: not a column of the referrals table (did you mean " \
        "'referral_date'?)" in text
    assert "the referrals table needs the column 'referral_date'" in text
    result = CliRunner().invoke(cli, ["import", str(tmp_path / "missing.toml"), "--out", str(tmp_path / "p")])
    assert result.exit_code == 2 and "mapping file not found" in result.output


def test_unknown_extract_column_suggests_the_near_miss(tmp_path: Path) -> None:
    (tmp_path / "op.csv").write_text("APPT_DATE,CLINIC\n2026-01-05,2ww\n")
    (tmp_path / "map.toml").write_text('[skills]\nfile = "op.csv"\n[skills.columns]\nclinician_id = "CLINIC"\n'
                                       'activity_id = "CLINC"\n')
    with pytest.raises(Exception, match=r"has no column 'clinc' \(did you mean 'clinic'\?\)"):
        import_pack([tmp_path / "map.toml"], tmp_path / "p")


def test_aggregate_rows_sums_counts_and_keeps_blanks_apart() -> None:
    frame = pd.DataFrame({"activity_id": ["a", "a", "a", "b"], "clinician_id": ["X", "X", None, None],
                          "count": pd.array([2, None, 4, 1], dtype="Int64")})
    out = aggregate_rows(frame)
    # (a, X): 2 + 1 (blank count = 1) = 3; (a, blank): 4; (b, blank): 1
    assert out["activity_id"].tolist() == ["a", "a", "b"] and out["count"].tolist() == [3, 4, 1]
    assert out["clinician_id"].iloc[0] == "X" and out["clinician_id"].iloc[1:].isna().all()


@pytest.mark.parametrize("suffix", [".parquet", ".xlsx"])
def test_parquet_and_xlsx_extracts_import_like_csv(tmp_path: Path, suffix: str) -> None:
    shipped = example_mapping_paths()[0]
    extract = pd.read_csv(shipped.with_suffix(".csv"), dtype=str, keep_default_na=False)
    mapping = tmp_path / "sus.toml"
    mapping.write_text(shipped.read_text().replace('file = "sus_outpatients.csv"',
                                                   f'file = "op{suffix}"' + ('\nsheet = "OP"' if suffix == ".xlsx"
                                                                             else "")))
    if suffix == ".parquet":
        typed = extract.replace("", None)
        typed["ATTENDED_OR_DID_NOT_ATTEND"] = typed["ATTENDED_OR_DID_NOT_ATTEND"].astype(int)  # numbers
        typed.to_parquet(tmp_path / "op.parquet")
    else:
        with pd.ExcelWriter(tmp_path / "op.xlsx") as writer:
            extract.replace("", None).to_excel(writer, sheet_name="OP", index=False)
    csv_pack = import_pack([shipped], tmp_path / "from_csv", base=sample_pack_path())
    other = import_pack([mapping], tmp_path / "from_other", base=sample_pack_path())
    assert other.rows["appointments"] == csv_pack.rows["appointments"]
    a = read_pack(tmp_path / "from_csv").appointments
    b = read_pack(tmp_path / "from_other").appointments
    pd.testing.assert_frame_equal(a, b)


def test_a_missing_sheet_is_named_with_the_near_miss(tmp_path: Path) -> None:
    pd.DataFrame({"A": [1]}).to_excel(tmp_path / "op.xlsx", sheet_name="Outpatients", index=False)
    (tmp_path / "map.toml").write_text('[skills]\nfile = "op.xlsx"\nsheet = "outpatient"\n[skills.columns]\n'
                                       'clinician_id = "A"\nactivity_id = "A"\n')
    with pytest.raises(Exception, match=r"no sheet 'outpatient' \(did you mean 'Outpatients'\?\)"):
        import_pack([tmp_path / "map.toml"], tmp_path / "p")


def test_out_may_not_be_the_base_pack_or_the_extracts_folder(tmp_path: Path) -> None:
    """Session 16 fuzz: ``--out`` naming the --base pack (a folder a previous capacity-planner run wrote,
    so it carries a manifest) replaced the pack with the import (exit 0); it is refused like every
    command's input folder (exit 2), before any extract is read, and the pack is left as it was."""
    base = tmp_path / "base"
    shutil.copytree(sample_pack_path(), base)
    (base / "capacity_planner_run.json").write_text(  # as `sample`, `convert` or `import` leave it
        '{"written_by": "capacity-planner", "command": "convert", "complete": true, "files": ['
        + ", ".join(f'"{p.name}"' for p in sorted(base.iterdir()) if p.is_file()) + "]}\n")
    before = {p.name: p.read_bytes() for p in base.iterdir()}
    maps = [str(p) for p in example_mapping_paths()]
    result = CliRunner().invoke(cli, ["import", *maps, "--base", str(base), "--out", str(base)])
    assert result.exit_code == 2, result.output
    assert f"--out {base} is the folder holding the input" in result.output
    assert {p.name: p.read_bytes() for p in base.iterdir()} == before
    extracts = tmp_path / "extracts"  # the extracts' own folder, after an earlier import wrote there
    extracts.mkdir()
    for p in example_mapping_paths():
        shutil.copy(p, extracts / p.name)
        shutil.copy(p.with_suffix(".csv"), extracts / p.with_suffix(".csv").name)
    (extracts / "capacity_planner_run.json").write_text(
        '{"written_by": "capacity-planner", "command": "import", "complete": true, "files": ['
        + ", ".join(f'"{p.name}"' for p in sorted(extracts.iterdir())) + "]}\n")
    maps = [str(extracts / p.name) for p in example_mapping_paths()]
    result = CliRunner().invoke(cli, ["import", *maps, "--base", str(base), "--out", str(extracts)])
    assert result.exit_code == 2, result.output
    assert "is the folder holding the input" in result.output
    assert (extracts / "esr_staff.csv").exists()


def test_out_workbook_that_exists_is_refused_naming_the_out_option(tmp_path: Path) -> None:
    """Session 16 fuzz: the refusal of an existing workbook named ``--to`` (convert's option) for import."""
    book = tmp_path / "mine.xlsx"
    book.write_bytes(b"someone's work")
    result = CliRunner().invoke(cli, ["import", "--out", str(book)])
    assert result.exit_code == 2, result.output
    assert f"--out {book} already exists" in result.output
    assert book.read_bytes() == b"someone's work"


def test_an_empty_staff_list_does_not_empty_the_base_packs_clinicians(tmp_path: Path) -> None:
    """A staff list with a header and no rows replaced the base pack's clinicians with none, while the pack
    check called the empty table "ignored" (exit 0; session 17 fuzz). It is refused (exit 2, nothing
    written), naming the extract and the base's rows; the base's skills, which an import adds to, are not
    named."""
    mappings = mappings_next_to(tmp_path)
    esr = tmp_path / "esr_staff.csv"
    esr.write_text(esr.read_text().splitlines()[0] + "\n")
    staff = [p for p in mappings if p.name == "esr_staff.toml"]
    result = CliRunner().invoke(cli, ["import", *map(str, staff), "--base", str(tiny_pack()), "--out",
                                      str(tmp_path / "p")])
    assert result.exit_code == 2, result.output
    out = " ".join(result.output.split())
    assert "esr_staff.csv (mapped to clinicians): no rows to import: the base pack's clinicians table" in out
    assert not (tmp_path / "p").exists()



def test_a_priority_code_no_mapping_entry_matches_is_warned_of(tmp_path: Path) -> None:
    """PRIORITY_TYPE 4 (no such NHS code) or 1.0 (a code Excel turned into a number) matched no entry of
    [referrals.values.priority] and was written as the priority "4" or "1.0" without a word (session 17
    fuzz). The import goes on and warns, naming the extract column, the values and the first row."""
    mappings = mappings_next_to(tmp_path)
    extract = pd.read_csv(example_mapping_paths()[0].with_suffix(".csv"), dtype=str, keep_default_na=False)
    given = extract["PRIORITY_TYPE"] != ""
    extract.loc[given, "PRIORITY_TYPE"] = np.where(extract.index[given] % 2 == 0, "4", "1.0")
    extract.to_csv(tmp_path / "sus_outpatients.csv", index=False)
    result = CliRunner().invoke(cli, ["import", *map(str, mappings), "--out", str(tmp_path / "p")])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "sus_outpatients.csv (mapped to referrals), column PRIORITY_TYPE (as priority): " in out
    assert "matches ('1.0', '4'): kept as written (first on row" in out

def tiny_pack() -> Path:
    """The committed tiny test pack (tests/data/tiny)."""
    from pathlib import Path

    return Path(__file__).parent / "data" / "tiny"
