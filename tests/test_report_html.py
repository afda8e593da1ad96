"""report.html: well-formed, self-contained, accessible, and showing exactly the numbers of the plan CSVs."""

from __future__ import annotations

import dataclasses
import shutil
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

import capacity_planner as cp
from capacity_planner.pages.formatting import format_value
from capacity_planner.report.meeting_pack import write_report_files, write_report_html

DATA = Path(__file__).parent / "data"
FIXTURE = DATA / "plan_fixture"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Cell:
    tag: str
    attrs: dict[str, str]
    text: str = ""

    @property
    def value(self) -> float:
        return float(self.attrs["data-value"])


@dataclass
class Doc(HTMLParser):
    """Parses the page, checks that every element is closed in order, and collects tables and images."""

    stack: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    tables: dict[str, list[list[Cell]]] = field(default_factory=dict)
    captions: dict[str, str] = field(default_factory=dict)
    images: list[dict[str, str]] = field(default_factory=list)
    elements: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    _table: str | None = None
    _cells: list[Cell] = field(default_factory=list)
    _in_caption: bool = False
    _in_cell: bool = False

    def __post_init__(self) -> None:
        HTMLParser.__init__(self, convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.elements.append((tag, a))
        if tag not in VOID:
            self.stack.append(tag)
        if tag == "table":
            self._table = a.get("id", f"table{len(self.tables)}")
            self.tables[self._table] = []
        elif tag == "caption":
            self._in_caption = True
            self.captions[self._table or ""] = ""
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table is not None:
            self.tables[self._table][-1].append(Cell(tag, a))
            self._in_cell = True
        elif tag == "img":
            self.images.append(a)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()
        if tag in ("td", "th"):
            self._in_cell = False
        if tag == "table":
            self._table = None
        elif tag == "caption":
            self._in_caption = False

    def handle_data(self, data: str) -> None:
        if self._in_caption:
            self.captions[self._table or ""] += data
        elif self._in_cell and self._table is not None and self.tables[self._table][-1]:
            self.tables[self._table][-1][-1].text += data  # text between cells (markup layout) is not a cell's


def parse(path: Path) -> Doc:
    doc = Doc()
    doc.feed(path.read_text(encoding="utf-8"))
    doc.close()
    return doc


def body_rows(doc: Doc, table_id: str) -> list[list[Cell]]:
    rows = doc.tables[table_id]
    return [
        r
        for r in rows
        if r and not all(c.tag == "th" and c.attrs.get("scope", "").startswith("col") for c in r)
    ]


@pytest.fixture(scope="module")
def pack() -> cp.PlanningPack:
    return cp.read_pack(DATA / "tiny")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, pack: cp.PlanningPack) -> Path:
    folder = tmp_path_factory.mktemp("plan")
    shutil.copytree(FIXTURE, folder, dirs_exist_ok=True)
    write_report_files(pack, folder)
    return folder / "report.html"


@pytest.fixture(scope="module")
def doc(report: Path) -> Doc:
    return parse(report)


def test_page_is_well_formed(doc: Doc) -> None:
    assert doc.errors == []
    assert doc.stack == []
    tags = [t for t, _ in doc.elements]
    assert tags.count("html") == 1 and tags.count("main") == 1
    assert dict(doc.elements)["html"]["lang"] == "en-GB"


def test_page_is_self_contained(report: Path, doc: Doc) -> None:
    for tag, attrs in doc.elements:
        for key in ("src", "href"):
            value = attrs.get(key, "")
            assert not value.startswith(("http:", "https:", "//")), (tag, value)
            if tag == "img":
                assert value.startswith("data:image/png;base64,") or key == "href"
            if tag == "a" and key == "href":
                assert value.startswith("#")
    text = report.read_text(encoding="utf-8")
    assert "<link" not in text and "<script" not in text and "@import" not in text


def test_page_is_accessible(doc: Doc) -> None:
    assert len(doc.images) >= 4
    for img in doc.images:
        assert len(img.get("alt", "")) > 20
    for table_id, rows in doc.tables.items():
        assert doc.captions.get(table_id, "").strip(), table_id
        for row in rows:
            for cell in row:
                if cell.tag == "th":
                    assert cell.attrs.get("scope") in ("col", "row", "colgroup", "rowgroup"), table_id
    # each section is labelled by its heading
    sections = [a for t, a in doc.elements if t == "section"]
    ids = {a.get("id") for t, a in doc.elements if t == "h2"}
    assert sections and all(s["aria-labelledby"] in ids for s in sections)


def test_demand_table_equals_gaps_csv(doc: Doc, pack: cp.PlanningPack) -> None:
    gaps = pd.read_csv(FIXTURE / "gaps.csv")
    rows = body_rows(doc, "demand-table")
    assert len(rows) == len(gaps)
    names = {a.activity_id: a.name for a in pack.activities}
    for row, g in zip(rows, gaps.itertuples(index=False), strict=True):
        assert row[0].tag == "th" and row[0].text == names[g.activity_id]
        nums = [c.value for c in row if "data-value" in c.attrs]
        # needed, current, planned, gap before, gap after, gap DCC hours
        assert nums[0] == pytest.approx(g.required_sessions_per_year)
        assert nums[1] == pytest.approx(g.current_sessions_per_year)
        assert nums[2] == pytest.approx(g.planned_sessions_per_year)
        assert nums[3] == pytest.approx(max(0.0, g.required_sessions_per_year - g.current_sessions_per_year))
        assert nums[4] == pytest.approx(g.gap_sessions_per_year)
        assert nums[5] == pytest.approx(g.gap_dcc_hours_per_year)
        # the text shown is the rounded value
        assert row[-1].text == format_value(g.gap_dcc_hours_per_year, "num0")


def test_gaps_table_lists_short_activities_with_reasons(doc: Doc) -> None:
    gaps = pd.read_csv(FIXTURE / "gaps.csv")
    short = gaps[gaps["gap_sessions_per_year"] > 0]
    rows = body_rows(doc, "gaps-table")
    assert len(rows) == len(short) == 2
    reasons = pd.read_csv(FIXTURE / "gap_reasons.csv")
    for row, g in zip(rows, short.itertuples(index=False), strict=True):
        nums = [c.value for c in row if "data-value" in c.attrs]
        assert nums == pytest.approx(
            [
                g.required_sessions_per_year,
                g.planned_sessions_per_year,
                g.gap_sessions_per_year,
                g.gap_dcc_hours_per_year,
            ]
        )
        expected = reasons.loc[reasons["activity_id"] == g.activity_id, "reason"].iloc[0]
        # clinician IDs in reasons are shown as the names people know
        expected = expected.replace("A and B", "Dr Ada Ames and Dr Ben Bell")
        assert expected in row[-1].text


def test_clinicians_table_equals_clinicians_csv(doc: Doc, pack: cp.PlanningPack) -> None:
    clin = pd.read_csv(FIXTURE / "clinicians.csv")
    rows = body_rows(doc, "clinicians-table")
    assert len(rows) == len(clin)
    cols = ["contracted_pas", "planned_pas", "dcc_pas", "spa_pas", "other_pas", "apa_pas", "out_of_hours_pas"]
    for row, c in zip(rows, clin.itertuples(index=False), strict=True):
        assert row[0].text == pack.clinician(c.clinician_id).name
        # staff groups in words (issue 18): the fixture's consultant, sas and nurse
        assert row[1].text == {"consultant": "Consultant", "sas": "SAS doctor", "nurse": "Nurse"}[c.staff_group]
        nums = [x.value for x in row if "data-value" in x.attrs]
        assert nums[:7] == pytest.approx([getattr(c, k) for k in cols])
        assert nums[7] == pytest.approx(c.dcc_pas / c.planned_pas)  # DCC share (Appendix 5 KPI)
        assert nums[8] == c.changed_sessions


def test_clinicians_table_shows_the_time_they_must_keep(tmp_path: Path, pack: cp.PlanningPack, doc: Doc) -> None:
    # B must keep 1 two-week-wait session a week and half an MDT (skills.min_sessions_per_week): the table
    # the meeting reads each clinician's PAs from lists them, as plan.xlsx's job-plan sheet does; the
    # others have none ("–"); a pack without floors shows no such column
    skills = tuple(dataclasses.replace(s, min_sessions_per_week={"2ww": 1.0, "mdt": 0.5}[s.activity_id])
                   if s.clinician_id == "B" and s.activity_id in ("2ww", "mdt") else s for s in pack.skills)
    page = parse(write_report_html(dataclasses.replace(pack, skills=skills), FIXTURE, tmp_path / "r.html"))
    assert page.errors == []
    header = [c.text for c in doc.tables["clinicians-table"][0]]
    assert "Time they must keep" not in header
    header = [c.text for c in page.tables["clinicians-table"][0]]
    assert header[-1] == "Time they must keep"
    names = {a.activity_id: a.name for a in pack.activities}
    kept = {row[0].text: row[-1].text for row in body_rows(page, "clinicians-table")}
    assert kept == {pack.clinician("B").name: f"{names['2ww']} (floor 1 a week), {names['mdt']} (floor 0.5 a week)",
                    **{pack.clinician(c).name: "–" for c in ("A", "S", "N")}}
    assert ("p", {"class": "muted", "id": "floors-note"}) in page.elements
    assert ("p", {"class": "muted", "id": "floors-note"}) not in doc.elements


def test_headline_equals_the_csvs(doc: Doc) -> None:
    gaps = pd.read_csv(FIXTURE / "gaps.csv")
    by_id = {a.get("id"): a for t, a in doc.elements if t == "div"}
    assert "gap-after" in by_id
    values = [a for t, a in doc.elements if t == "dd" and "data-value" in a]
    before = (gaps["required_sessions_per_year"] - gaps["current_sessions_per_year"]).clip(lower=0).sum()
    assert float(values[0]["data-value"]) == pytest.approx(before)
    assert float(values[1]["data-value"]) == pytest.approx(gaps["gap_sessions_per_year"].sum())
    assert float(values[2]["data-value"]) == pytest.approx(294 / 289.4737)  # rapid-access cover
    # sessions changed: clinicians.csv (a move counts 1); the fixture has no moves, so also len(changes.csv)
    assert float(values[3]["data-value"]) == pd.read_csv(FIXTURE / "clinicians.csv")["changed_sessions"].sum()


def test_timetable_shows_every_slot_and_marks_changes(doc: Doc, pack: cp.PlanningPack) -> None:
    rows = body_rows(doc, "timetable-table")
    assert len(rows) == len(pack.clinicians)
    changes = pd.read_csv(FIXTURE / "changes.csv")
    cells = [c for r in rows for c in r if c.tag == "td"]
    assert len(cells) == len(pack.clinicians) * len(pack.slots)
    assert sum("changed" in c.attrs.get("class", "") for c in cells) == len(changes)
    alloc = pd.read_csv(FIXTURE / "allocation.csv")
    shown = [c.text.split("was")[0].split("(")[0].strip() for c in cells if c.text.strip()]
    assert sorted(shown) == sorted(alloc["activity_id"])
    assert all("background:#" in c.attrs["style"] for c in cells)


def test_standalone_report_can_anonymise(tmp_path: Path, pack: cp.PlanningPack) -> None:
    out = write_report_html(pack, FIXTURE, tmp_path / "r.html", anonymise=True)
    text = out.read_text(encoding="utf-8")
    for c in pack.clinicians:
        assert c.name is not None and c.name not in text
    assert "Clinician A" in text and "Identities hidden" in text
    # the plan folder itself was not touched
    assert "A," in (FIXTURE / "allocation.csv").read_text()


def test_format_value() -> None:
    assert format_value(1234.56, "num0") == "1,235"
    assert format_value(1.5, "pas") == "1.5"
    assert format_value(10.0, "pas") == "10"
    assert format_value(0.254, "pct") == "25 %"
    assert format_value(float("nan"), "num0") == "–"
    assert format_value(True, "bool") == "yes"
