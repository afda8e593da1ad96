"""Anonymised meeting packs: no clinician name or ID anywhere in the output folder.

The tiny pack's IDs ("A", "B", …) occur by chance in any file, so these tests rename them to IDs that a byte
search can find only where they were written (``C-ames-01`` …) and keep the names (``Dr Ada Ames`` …). A
positive control shows that the same search does find them in a pack written without anonymisation,
including inside the compressed workbook and in chart text.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import zlib
from pathlib import Path

import pandas as pd
import pytest
from forbidden_scan import scan_for_forbidden
from matplotlib.figure import Figure

import capacity_planner as cp
from capacity_planner.report import charts as CH
from capacity_planner.report.anonymise import (
    Pseudonyms,
    anonymise_pack,
    anonymise_plan_dir,
    anonymise_tables,
    letters,
)
from capacity_planner.report.meeting_pack import write_report_files
from capacity_planner.report.tables import build_meeting_data, load_meeting_data, read_plan_dir

DATA = Path(__file__).parent / "data"
LONG_IDS = {"A": "C-ames-01", "B": "C-bell-02", "S": "C-shaw-03", "N": "C-nash-04"}
TOKEN = re.compile(r"(?<![\w-])(A|B|S|N)(?![\w-])")
EMAIL = "ada.ames@trust.example"


def _rename(text: str) -> str:
    return TOKEN.sub(lambda m: LONG_IDS[m.group(1)], text)


def _copy_renamed(src: Path, dst: Path) -> None:
    """Copy a pack or plan folder with the clinician IDs renamed (ID columns, free text, JSON)."""
    shutil.copytree(src, dst)
    for path in dst.glob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        if "clinician_id" in frame.columns:
            frame["clinician_id"] = frame["clinician_id"].map(lambda v: LONG_IDS.get(v, v))
        if "reason" in frame.columns:
            frame["reason"] = frame["reason"].map(_rename)
        frame.to_csv(path, index=False, lineterminator="\n")
    summary = dst / "summary.json"
    if summary.exists():
        value = json.loads(summary.read_text())
        value["gap_reasons"] = [_rename(r) for r in value["gap_reasons"]]
        summary.write_text(json.dumps(value, indent=2))


@pytest.fixture(scope="module")
def long_pack_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pack") / "tiny"
    _copy_renamed(DATA / "tiny", folder)
    clin = pd.read_csv(folder / "clinicians.csv", dtype=str, keep_default_na=False)
    clin["email"] = ["", "", "", ""]
    clin.loc[clin["clinician_id"] == "C-ames-01", "email"] = EMAIL  # an unknown column holding an identifier
    clin.to_csv(folder / "clinicians.csv", index=False, lineterminator="\n")
    return folder


@pytest.fixture(scope="module")
def long_pack(long_pack_dir: Path) -> cp.PlanningPack:
    return cp.read_pack(long_pack_dir)


@pytest.fixture(scope="module")
def long_plan_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("plan") / "plan"
    _copy_renamed(DATA / "plan_fixture", folder)
    reasons = pd.read_csv(folder / "gap_reasons.csv", dtype=str)
    extra = pd.DataFrame(
        {"activity_id": ["fu"], "reason": ["Dr Ada Ames (C-ames-01) is on leave; AMES covers mdt"]}
    )
    pd.concat([reasons, extra]).to_csv(folder / "gap_reasons.csv", index=False, lineterminator="\n")
    return folder


def forbidden(pack: cp.PlanningPack) -> list[str]:
    return [*pack.clinician_ids, *(c.name for c in pack.clinicians if c.name), EMAIL]


def name_parts(pack: cp.PlanningPack) -> list[str]:
    return [p for c in pack.clinicians if c.name for p in c.name.split() if len(p) >= 3]


# ---- pseudonyms -------------------------------------------------------------------------------------
def test_letters() -> None:
    assert [letters(i) for i in (0, 1, 25, 26, 27, 51, 52, 701, 702)] == [
        "A",
        "B",
        "Z",
        "AA",
        "AB",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
    ]


def test_pseudonyms_follow_sorted_ids(long_pack: cp.PlanningPack) -> None:
    ps = Pseudonyms.from_pack(long_pack)
    assert ps.mapping == {
        "C-ames-01": "Clinician A",
        "C-bell-02": "Clinician B",
        "C-nash-04": "Clinician C",
        "C-shaw-03": "Clinician D",
    }
    assert ps.map_id("C-nash-04") == "Clinician C"
    assert ps.map_id("Clinician C") == "Clinician C"  # already anonymised
    assert ps.slug("C-nash-04") == "clinician_c"
    with pytest.raises(KeyError):
        ps.map_id("C-unknown-99")
    many = Pseudonyms.from_ids([f"id{i:03d}" for i in range(30)])
    assert many.map_id("id026") == "Clinician AA"


def test_scrub_text(long_pack: cp.PlanningPack) -> None:
    ps = Pseudonyms.from_pack(long_pack)
    text = (
        "Dr Ada Ames and ADA AMES (C-ames-01) cover; Bell is away; C-bell-02x is not an ID; Clinician A stays"
    )
    out = ps.scrub_text(text)
    assert out == (
        "Clinician A and Clinician A (Clinician A) cover; Clinician B is away; C-bell-02x is not an "
        "ID; Clinician A stays"
    )
    assert ps.scrub_text(out) == out  # idempotent


def test_anonymise_tables_maps_ids_names_and_free_text(long_pack: cp.PlanningPack) -> None:
    ps = Pseudonyms.from_pack(long_pack)
    frame = pd.DataFrame(
        {
            "clinician_id": ["C-ames-01", "C-shaw-03"],
            "name": ["Dr Ada Ames", "Dr Sam Shaw"],
            "supervisor_clinician_id": ["C-shaw-03", ""],
            "activity_id": ["C-ames-01", "fu"],  # a code column is left alone
            "note": ["swap with Shaw", "ok"],
            "pas": [1.0, 2.0],
        }
    )
    out = anonymise_tables({"t": frame}, ps)["t"]
    assert list(out["clinician_id"]) == ["Clinician A", "Clinician D"]
    assert list(out["name"]) == ["Clinician A", "Clinician D"]
    assert list(out["supervisor_clinician_id"]) == ["Clinician D", ""]
    assert list(out["activity_id"]) == ["C-ames-01", "fu"]
    assert list(out["note"]) == ["swap with Clinician D", "ok"]
    assert list(out["pas"]) == [1.0, 2.0]
    assert list(frame["clinician_id"]) == ["C-ames-01", "C-shaw-03"]  # input untouched


def test_anonymise_pack(long_pack: cp.PlanningPack) -> None:
    ps = Pseudonyms.from_pack(long_pack)
    anon = anonymise_pack(long_pack, ps)
    assert set(anon.clinician_ids) == set(ps.values)
    assert all(c.name == c.clinician_id for c in anon.clinicians)
    assert {s.clinician_id for s in anon.skills} <= set(ps.values)
    assert {j.clinician_id for j in anon.job_plans} <= set(ps.values)
    assert set(anon.appointments["clinician_id"]) <= set(ps.values)
    assert not anon.extra_columns and not anon.warnings and anon.source.path == ""
    keys = " ".join(d.key for d in anon.defaults_applied)
    assert "C-ames-01" not in keys and "Clinician A" in keys
    assert long_pack.clinician("C-ames-01").name == "Dr Ada Ames"  # the original is unchanged


# ---- the whole folder -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def anonymised_folder(
    tmp_path_factory: pytest.TempPathFactory, long_pack: cp.PlanningPack, long_plan_dir: Path
) -> Path:
    folder = tmp_path_factory.mktemp("anon") / "plan"
    shutil.copytree(long_plan_dir, folder)
    write_report_files(long_pack, folder, anonymise=True)
    return folder


def test_anonymised_folder_holds_no_name_or_id(anonymised_folder: Path, long_pack: cp.PlanningPack) -> None:
    files = {p.name for p in anonymised_folder.rglob("*") if p.is_file()}
    assert {"report.html", "plan.xlsx", "allocation.csv", "summary.json", "timetable.png"} <= files
    assert scan_for_forbidden(anonymised_folder, forbidden(long_pack)) == []
    assert scan_for_forbidden(anonymised_folder, name_parts(long_pack), whole_words=True) == []


def test_anonymised_folder_is_still_a_plan(anonymised_folder: Path, long_plan_dir: Path) -> None:
    alloc = pd.read_csv(anonymised_folder / "allocation.csv")
    assert set(alloc["clinician_id"]) == {"Clinician A", "Clinician B", "Clinician C", "Clinician D"}
    original = pd.read_csv(long_plan_dir / "allocation.csv")
    assert list(alloc["pas"]) == list(original["pas"])
    assert (anonymised_folder / "gaps.csv").read_bytes() == (long_plan_dir / "gaps.csv").read_bytes()
    reasons = pd.read_csv(anonymised_folder / "gap_reasons.csv")
    assert "only Clinician A and Clinician B may attend" in reasons["reason"].iloc[1]
    assert reasons["reason"].iloc[2] == "Clinician A (Clinician A) is on leave; Clinician A covers mdt"
    html = (anonymised_folder / "report.html").read_text(encoding="utf-8")
    assert "Identities hidden" in html and "Clinician D" in html
    import openpyxl

    wb = openpyxl.load_workbook(anonymised_folder / "plan.xlsx")
    assert wb.sheetnames[-4:] == ["Clinician A", "Clinician B", "Clinician C", "Clinician D"]


def test_anonymising_twice_changes_nothing(
    anonymised_folder: Path, long_pack: cp.PlanningPack, tmp_path: Path
) -> None:
    again = tmp_path / "again"
    shutil.copytree(anonymised_folder, again)
    anonymise_plan_dir(again, Pseudonyms.from_pack(long_pack))
    for path in anonymised_folder.glob("*.csv"):
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name
    assert (again / "summary.json").read_text() == (anonymised_folder / "summary.json").read_text()


def test_positive_control_scan_finds_names_inside_compressed_files(
    tmp_path: Path, long_pack: cp.PlanningPack, long_plan_dir: Path
) -> None:
    folder = tmp_path / "plan"
    shutil.copytree(long_plan_dir, folder)
    write_report_files(long_pack, folder, anonymise=False)
    CH.save_chart(CH.timetable_chart(load_meeting_data(long_pack, folder)), folder / "svg", formats=("svg",))
    findings = scan_for_forbidden(folder, forbidden(long_pack))
    where = {(f.path.name, f.where.split(" ")[0]) for f in findings}
    assert ("report.html", "content") in where
    assert ("plan.xlsx", "member") in where  # found only by unzipping
    assert ("allocation.csv", "content") in where
    assert ("timetable.svg", "content") in where  # chart labels
    assert {f.term for f in findings} >= {"Dr Ada Ames", "C-ames-01"}
    xlsx = {f.where for f in findings if f.path.name == "plan.xlsx"}
    assert any("xl/workbook.xml" in w for w in xlsx)  # sheet names
    assert any("xl/worksheets/" in w for w in xlsx)  # cell text


def test_chart_labels_use_pseudonyms(tmp_path: Path, long_pack: cp.PlanningPack, long_plan_dir: Path) -> None:
    ps = Pseudonyms.from_pack(long_pack)
    data = load_meeting_data(long_pack, long_plan_dir, anonymise=True)
    terms = [t.casefold() for t in forbidden(long_pack) + name_parts(long_pack)]
    for chart in CH.meeting_charts(data):
        texts = CH.figure_texts(chart.figure)
        joined = "\n".join([*texts, chart.alt, chart.title, chart.name]).casefold()
        assert not [t for t in terms if t in joined], chart.name
    pa_texts = CH.figure_texts(CH.pa_mix_chart(data).figure)
    assert set(ps.values) <= set(pa_texts)
    # the SVG twins keep text as text: searchable, and clean
    CH.write_charts(data, tmp_path / "charts", formats=("png", "svg"))
    svg = (tmp_path / "charts" / "timetable.svg").read_text(encoding="utf-8")
    assert "Clinician A" in svg
    assert scan_for_forbidden(tmp_path / "charts", forbidden(long_pack)) == []


def test_scan_reads_png_text_chunks(tmp_path: Path) -> None:
    fig = Figure(figsize=(1, 1))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Title": "Dr Ada Ames", "Author": "C-ames-01"})
    (tmp_path / "a.png").write_bytes(buf.getvalue())
    assert zlib.compress(b"x")  # zlib present for zTXt/iTXt
    found = scan_for_forbidden(tmp_path, ["dr ada ames", "C-AMES-01", "nobody"])
    assert {f.term for f in found} == {"dr ada ames", "C-AMES-01"}
    assert all(f.where == "png text chunks" for f in found)


def test_scan_decodes_html_entities_and_file_names(tmp_path: Path) -> None:
    (tmp_path / "Dr_O'Neil.txt").write_text("x")
    (tmp_path / "b.html").write_text("<p>Dr O&#x27;Neil</p>")
    found = scan_for_forbidden(tmp_path, ["Dr O'Neil", "O'Neil"])
    assert ("b.html", "content (entities decoded)") in {(f.path.name, f.where) for f in found}
    assert any(f.where == "name" for f in found)


def test_in_memory_anonymisation_leaves_files_alone(long_pack: cp.PlanningPack, long_plan_dir: Path) -> None:
    before = (long_plan_dir / "allocation.csv").read_bytes()
    data = load_meeting_data(long_pack, long_plan_dir, anonymise=True)
    assert set(data.clinician_order) == set(Pseudonyms.from_pack(long_pack).values)
    assert data.anonymised
    assert (long_plan_dir / "allocation.csv").read_bytes() == before
    plain = build_meeting_data(long_pack, read_plan_dir(long_plan_dir))
    assert plain.label("C-ames-01") == "Dr Ada Ames"
