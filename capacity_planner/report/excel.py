"""``plan.xlsx``: the plan as a workbook for people — Summary, Timetable, Gaps, Changes, Clinicians,
Requirements and Assumptions sheets, then one sheet per clinician laid out as an individual job plan
proposal (weekly timetable grid, PAs by category and activity, annualised sessions = sessions a week ×
working weeks).

Formatting: bold shaded header rows frozen in place, column widths fitted to the content, cells filled by
activity category, numbers stored as numbers with a number format (never as text), pages set to print
landscape on one page width. Text that begins with ``=``, ``+``, ``-`` or ``@`` is stored as text, never a
formula (``data_type = "s"`` and Excel's quote prefix), so a name such as ``=HYPERLINK(…)`` cannot run.
Sheet names are at most 31 characters, unique (ignoring case) and free of ``[]:*?/\\``.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from capacity_planner import constants as C
from capacity_planner._files import write_file_atomic
from capacity_planner.demand.requirements import COLUMNS as REQUIREMENTS_COLUMNS
from capacity_planner.pages.labels import COLUMN_LABELS, column_label
from capacity_planner.report.charts import CATEGORY_COLOURS, CATEGORY_NAMES
from capacity_planner.report.tables import (
    CONTRACT_WORDS,
    EMPTY,
    STAFF_GROUP_WORDS,
    MeetingData,
    clinician_breakdown,
    in_words,
    load_meeting_data,
    rota_label,
    tuples,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet.worksheet import Worksheet

    from capacity_planner.pack.model import PlanningPack

FORMULA_PREFIXES = ("=", "+", "-", "@")
MAX_SHEET_TITLE = 31
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")
RESERVED_TITLES = frozenset({"history"})
HEADER_FILL = PatternFill("solid", fgColor="D9E2EA")
TITLE_FONT = Font(bold=True, size=16, color="005EB8")
BOLD = Font(bold=True)
THICK = Side(style="thick", color="212B32")
THIN = Side(style="thin", color="C8CDD0")
CHANGED_BORDER = Border(left=THICK, right=THICK, top=THICK, bottom=THICK)
GRID_BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)
FIXED_SHEETS = ("Summary", "Timetable", "Gaps", "Changes", "Clinicians", "Requirements", "Assumptions")


@dataclass(frozen=True)
class XCol:
    """A worksheet column: frame column ``key``, header text, number format (None = text)."""

    key: str
    header: str
    fmt: str | None = None


def xcol(key: str, fmt: str | None = None, *, label: str | None = None) -> XCol:
    """A column headed by the label table (:data:`capacity_planner.pages.labels.COLUMN_LABELS`) under
    ``label`` (default: the column's own name), so one column has one header on every sheet."""
    return XCol(key, column_label(label or key), fmt)


# ---- cells ------------------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def put(ws: Worksheet, row: int, col: int, value: Any, *, fmt: str | None = None, font: Font | None = None,
        fill: PatternFill | None = None, align: Alignment | None = None) -> Cell:
    """Write one cell safely: text starting with = + - @ stays text; numbers stay numbers."""
    value = _plain(value)
    cell = ws.cell(row=row, column=col)
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        cell.data_type = "s"
        cell.quotePrefix = True
    if fmt and isinstance(value, int | float) and not isinstance(value, bool):
        cell.number_format = fmt
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if align is not None:
        cell.alignment = align
    return cell


def fill_for(category: str) -> PatternFill:
    """Solid fill of an activity category (light grey for a free slot)."""
    colour = CATEGORY_COLOURS.get(category, CATEGORY_COLOURS["OTHER"]).lstrip("#").upper()
    return PatternFill("solid", fgColor=colour)


def sheet_title(name: str, used: set[str]) -> str:
    """A valid, unique sheet title: forbidden characters removed, ≤ 31 characters, no clash (ignoring
    case) with ``used`` (which is updated)."""
    base = re.sub(r"\s+", " ", _BAD_TITLE.sub("", name)).strip().strip("'").strip() or "Sheet"
    base = base[:MAX_SHEET_TITLE].rstrip("'").strip() or "Sheet"
    title, n = base, 1
    while title.casefold() in used or title.casefold() in RESERVED_TITLES:
        n += 1
        suffix = f" ({n})"
        title = base[:MAX_SHEET_TITLE - len(suffix)].rstrip("'").rstrip() + suffix
    used.add(title.casefold())
    return title


def _fit_widths(ws: Worksheet, min_width: float = 6.0, max_width: float = 60.0) -> None:
    widths: dict[int, float] = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is None:
                continue
            text = f"{cell.value:,.2f}" if isinstance(cell.value, float) else str(cell.value)
            longest = max((len(line) for line in text.split("\n")), default=0)
            widths[cell.column] = max(widths.get(cell.column, 0.0), longest * 1.1 + 2)
    for col, w in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = max(min_width, min(max_width, w))


def _print_setup(ws: Worksheet, landscape: bool = True) -> None:
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0


def write_frame(ws: Worksheet, frame: pd.DataFrame, columns: Sequence[XCol], *, start_row: int = 1,
                freeze: bool = True, filter_: bool = True) -> int:
    """A header row and one row per record; returns the next free row."""
    for j, c in enumerate(columns, start=1):
        put(ws, start_row, j, c.header, font=BOLD, fill=HEADER_FILL, align=WRAP)
    for i, rec in enumerate(frame.to_dict("records"), start=start_row + 1):
        for j, c in enumerate(columns, start=1):
            value = rec.get(c.key)
            if isinstance(value, bool | np.bool_):
                value = "yes" if value else "no"
            put(ws, i, j, value, fmt=c.fmt)
    end = start_row + len(frame)
    if freeze and start_row == 1:
        ws.freeze_panes = ws.cell(row=2, column=2 if len(columns) > 1 else 1)
    if filter_ and len(frame) and start_row == 1:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{end}"
    return end + 2


# ---- plain words --------------------------------------------------------------------------------------
# requirements.csv column -> header in plain words (with units): the one label table
REQUIREMENT_HEADERS: Mapping[str, str] = COLUMN_LABELS
SHARE_COLUMNS = frozenset({"percentile", "dna_rate", "hospital_cancellation_rate",
                           "dna_rate_all_appointments", "annual_growth"})


def _requirement_format(col: str, series: pd.Series) -> str | None:
    if col in SHARE_COLUMNS:
        return "0.0%"
    return "#,##0.00" if pd.api.types.is_float_dtype(series) else None


# ---- sheets -----------------------------------------------------------------------------------------
GAP_XCOLS: tuple[XCol, ...] = (
    xcol("activity_id"), xcol("name"), xcol("required_sessions_per_year", "#,##0.0"),
    xcol("current_sessions_per_year", "#,##0.0"), xcol("planned_sessions_per_year", "#,##0.0"),
    xcol("gap_sessions_per_year", "#,##0.0"), xcol("gap_dcc_hours_per_year", "#,##0"), xcol("reason"),
)
CHANGE_XCOLS: tuple[XCol, ...] = (
    xcol("label"), xcol("clinician_id"), xcol("day"), xcol("period"), xcol("activity_before"),
    xcol("activity_after"),
)
CLINICIAN_XCOLS: tuple[XCol, ...] = (
    xcol("label"), xcol("clinician_id"), xcol("staff_group"),
    xcol("contract"), xcol("working_weeks", "0.0"),
    xcol("contracted_pas", "0.00"), xcol("planned_pas", "0.00"),
    xcol("dcc_pas", "0.00"), xcol("spa_pas", "0.00"),
    xcol("other_pas", "0.00"),
    xcol("apa_pas", "0.00"), xcol("out_of_hours_pas", "0.00"),
    xcol("changed_sessions", "0"),
    xcol("unassigned_pas", "0.00"), xcol("unassigned_reason"),
)
SUMMARY_FMT = {"PAs a week": "0.00", "sessions a year": "#,##0", "DCC hours a year": "#,##0", "share": "0%",
               "sessions": "0", "clinicians": "0", "seconds": "0.0", "GBP a year": "£#,##0"}


def _summary_sheet(ws: Worksheet, d: MeetingData) -> None:
    h = d.headline
    put(ws, 1, 1, d.title, font=TITLE_FONT)
    put(ws, 2, 1, "Team job-planning meeting pack: proposed plan")
    row = 3
    if d.anonymised:
        put(ws, 3, 1, "Identities hidden: clinicians appear as pseudonyms (Clinician A, B, …).", font=BOLD)
        row = 4
    rows: list[tuple[str, Any, str]] = [
        ("Gap with current job plans", h.gap_before_sessions, "sessions a year"),
        ("Gap with current job plans", h.gap_before_dcc_hours, "DCC hours a year"),
        ("Gap with the proposed plan", h.gap_after_sessions, "sessions a year"),
        ("Gap with the proposed plan", h.gap_after_dcc_hours, "DCC hours a year"),
        ("Rapid-access gap with current job plans", h.rapid_gap_before, "sessions a year"),
        ("Rapid-access gap with the proposed plan", h.rapid_gap_after, "sessions a year"),
        ("Routine gap with current job plans", h.routine_gap_before, "sessions a year"),
        ("Routine gap with the proposed plan", h.routine_gap_after, "sessions a year"),
    ]
    rows += [(f"Rapid-access cover: {r.name}", r.cover, "share") for r in h.rapid_access]
    kinds = h.change_kinds
    rows += [("Sessions changed (a move counts 1)", h.changed_sessions, "sessions"),
             ("  another activity in the same slot", kinds.in_place, "sessions"),
             ("  moved to another slot", kinds.moved, "sessions"),
             ("  free time or a vacant post filled", kinds.filled, "sessions"),
             ("  left free", kinds.freed, "sessions"),
             ("Clinicians with changes", h.clinicians_changed, "clinicians"),
             ("Unassigned contracted PAs", h.unassigned_pas, "PAs a week"),
             ("Clinicians with unassigned PAs", h.clinicians_unassigned, "clinicians")]
    rows += [("Routine floor binds", note, "") for note in h.routine_floor]
    rows += [("Solver status", h.status, "")]
    seconds = d.outputs.summary.solve_seconds
    if isinstance(seconds, int | float):
        rows.append(("Solve time", float(seconds), "seconds"))
    if h.annual_cost is not None:
        rows.append(("Annual cost of the plan's additions", h.annual_cost, "GBP a year"))
    start = row + 1
    for j, header in enumerate(map(column_label, ("measure", "value", "unit")), start=1):
        put(ws, start, j, header, font=BOLD, fill=HEADER_FILL)
    for i, (measure, value, unit) in enumerate(rows, start=start + 1):
        put(ws, i, 1, measure)
        put(ws, i, 2, value, fmt=SUMMARY_FMT.get(unit, "0.0"))
        put(ws, i, 3, unit)
    row = start + len(rows) + 2
    put(ws, row, 1, "Sheets", font=BOLD)
    notes = {"Timetable": "the proposed week, clinicians × sessions, by category; thick border = changed",
             "Gaps": "needed, current and planned sessions a year by activity, and why gaps remain",
             "Changes": "each session that changes, current → proposed",
             "Clinicians": "PAs a week by clinician",
             "Requirements": "how demand was sized (requirements.csv)",
             "Assumptions": "settings and the defaults applied to blank cells",
             "(one per clinician)": "individual job plan proposal"}
    for i, (k, v) in enumerate(notes.items(), start=row + 1):
        put(ws, i, 1, k)
        put(ws, i, 2, v)
    ws.column_dimensions["A"].width = 44
    ws.column_dimensions["B"].width = 16
    ws.column_dimensions["C"].width = 18
    _print_setup(ws, landscape=False)


def _timetable_sheet(ws: Worksheet, d: MeetingData) -> None:
    tt = d.timetable
    cell = {(r.clinician_id, r.day, r.period): r for r in tuples(tt)}
    put(ws, 1, 1, column_label("clinician"), font=BOLD, fill=HEADER_FILL)
    for j, (day, period) in enumerate(d.slots, start=2):
        label = f"{day} {period}" + (" (premium)" if (day, period) in d.premium_slots else "")
        put(ws, 1, j, label, font=BOLD, fill=HEADER_FILL, align=CENTRE)
        ws.column_dimensions[get_column_letter(j)].width = 11
    for i, cid in enumerate(d.clinician_order, start=2):
        put(ws, i, 1, d.label(cid), font=BOLD)
        ws.row_dimensions[i].height = 30
        for j, (day, period) in enumerate(d.slots, start=2):
            r = cell.get((cid, day, period))
            act = r.activity_id if r is not None else EMPTY
            shown = r.text if r is not None else EMPTY  # "a / b": week A / week B
            c = put(ws, i, j, shown or None, fill=fill_for(d.category(act)), align=CENTRE)
            c.border = GRID_BORDER
            if r is not None and r.changed:
                c.border = CHANGED_BORDER
                c.font = BOLD
                c.comment = Comment(f"Changed from: {d.activity_label(r.before)}", "capacity_planner")
    ws.column_dimensions["A"].width = max([len(d.label(c)) for c in d.clinician_order] + [10]) * 1.1 + 2
    ws.freeze_panes = "B2"
    row = len(d.clinician_order) + 3
    put(ws, row, 1, "Key", font=BOLD)
    cats = [c for c in CATEGORY_COLOURS if c in set(tt["category"]) or c == ""]
    for k, cat in enumerate(cats, start=row + 1):
        put(ws, k, 1, CATEGORY_NAMES.get(cat, cat), fill=fill_for(cat))
    k = row + len(cats) + 1
    c = put(ws, k, 1, "Changed from the current job plan (comment shows the current activity)", font=BOLD)
    c.border = CHANGED_BORDER
    for n, act in enumerate(sorted(a for a in set(tt["activity_id"]) if a), start=k + 1):
        put(ws, n, 1, act, font=BOLD)
        put(ws, n, 2, d.activity_names.get(act, act))
    _print_setup(ws)


def _assumptions_sheet(ws: Worksheet, d: MeetingData) -> None:
    settings = d.settings_table.copy()
    settings["value"] = [("yes" if v else "no") if isinstance(v, bool) else v for v in settings["value"]]
    nxt = write_frame(ws, settings, [xcol("setting"), xcol("value", "0.###"),
                                     xcol("source"), xcol("meaning")], filter_=False)
    put(ws, nxt, 1, "Defaults applied to blank cells (summarised by column)", font=BOLD)
    write_frame(ws, d.defaults_table, [xcol("table"), xcol("column"), xcol("rows", "0"), xcol("values"),
                                       xcol("reason", label="default_reason")],
                start_row=nxt + 1, freeze=False)
    _fit_widths(ws)
    _print_setup(ws)


def _clinician_sheet(ws: Worksheet, d: MeetingData, cid: str) -> None:
    info = d.clinicians.loc[d.clinicians["clinician_id"] == cid]
    rec = info.iloc[0].to_dict() if len(info) else {}
    put(ws, 1, 1, f"Job plan proposal: {d.label(cid)}", font=TITLE_FONT)
    put(ws, 2, 1, f"{d.title} · proposed by the team plan; for the individual job-planning meeting")
    top = _clinician_details(ws, rec, d.floors.get(cid, "")) + 1
    days, row = _clinician_grid(ws, d, cid, top)
    nxt = _clinician_pas(ws, d, cid, rec, row)
    _clinician_changes(ws, d, cid, nxt)
    ws.column_dimensions["A"].width = 34
    for j in range(2, max(len(days), 7) + 2):
        ws.column_dimensions[get_column_letter(j)].width = 16
    _print_setup(ws, landscape=False)


def _clinician_details(ws: Worksheet, rec: Mapping[Any, Any], floors: str = "") -> int:
    """The clinician's contract and plan figures from row 4, and the time they must keep (``floors``,
    skills.min_sessions_per_week) when they have any; returns the row after them."""
    details = [("Staff group", in_words(rec.get("staff_group"), STAFF_GROUP_WORDS), None),
               ("Contract", in_words(rec.get("contract"), CONTRACT_WORDS), None),
               ("Contracted PAs", rec.get("contracted_pas"), "0.00"),
               ("Planned PAs", rec.get("planned_pas"), "0.00"),
               ("Working weeks", rec.get("working_weeks"), "0.0"),
               ("Sessions changed", rec.get("changed_sessions"), "0"),
               ("Unassigned PAs a week", rec.get("unassigned_pas"), "0.00")]
    if rec.get("unassigned_reason"):
        details.append(("Why unassigned", rec.get("unassigned_reason"), None))
    if floors:
        details.append(("Time they must keep", floors, None))
    for i, (k, v, fmt) in enumerate(details, start=4):
        put(ws, i, 1, k, font=BOLD)
        put(ws, i, 2, v, fmt=fmt)
    return 4 + len(details)


def _clinician_grid(ws: Worksheet, d: MeetingData, cid: str, top: int) -> tuple[list[str], int]:
    """The weekly grid (periods down, days across) from row ``top``; returns the days and the row after
    the grid and its blank line."""
    put(ws, top, 1, "Weekly timetable", font=BOLD)
    days = list(dict.fromkeys(day for day, _ in d.slots))
    periods = [p for p in C.PERIODS if any(pp == p for _, pp in d.slots)]
    periods += [p for p in dict.fromkeys(pp for _, pp in d.slots) if p not in periods]
    put(ws, top + 1, 1, column_label("session"), font=BOLD, fill=HEADER_FILL)
    for j, day in enumerate(days, start=2):
        put(ws, top + 1, j, day, font=BOLD, fill=HEADER_FILL, align=CENTRE)
    tt = d.timetable
    mine = {(r.day, r.period): r for r in tuples(tt[tt["clinician_id"] == cid])}
    for i, period in enumerate(periods, start=top + 2):
        put(ws, i, 1, period, font=BOLD, fill=HEADER_FILL)
        ws.row_dimensions[i].height = 48
        for j, day in enumerate(days, start=2):
            if (day, period) not in set(d.slots):
                put(ws, i, j, "n/a", fill=PatternFill("solid", fgColor="FFFFFF"), align=CENTRE)
                continue
            _grid_cell(ws, d, i, j, mine.get((day, period)))
    return days, top + 2 + len(periods) + 1


def _grid_cell(ws: Worksheet, d: MeetingData, i: int, j: int, r: Any) -> None:
    """One slot of the clinician's grid: the activity (both weeks of an alternate-week slot, the rota of an
    on-call one), its category's fill, and a border and comment when it changed."""
    act = r.activity_id if r is not None else EMPTY
    text = d.activity_names.get(act, act) if act else None
    if r is not None and r.alternate:  # alternate weeks
        text = (f"{text or 'free'} (week A) / "
                f"{d.activity_names.get(r.week_b, r.week_b) if r.week_b else 'free'} (week B)")
    elif r is not None and getattr(r, "halves", False):  # 2-hour halves, every week: "SPA (2 h)"
        second = d.activity_names.get(r.week_b, r.week_b) if r.week_b else "free"
        text = f"{text or 'free'} (2 h) / {second} (2 h)"
    elif r is not None and r.rota:  # a 1-in-N on-call rota member
        text = f"{text} ({rota_label(int(r.rota))})"
    c = put(ws, i, j, text, fill=fill_for(d.category(act)), align=CENTRE)
    c.border = GRID_BORDER
    if r is not None and r.changed:
        c.border = CHANGED_BORDER
        c.comment = Comment(f"Changed from: {d.activity_label(r.before)}", "capacity_planner")
        if not r.before:
            c.value = f"{text or 'free'} (was free)"


def _clinician_pas(ws: Worksheet, d: MeetingData, cid: str, rec: Mapping[Any, Any], row: int) -> int:
    """PAs by category (with a total row), additional and out-of-hours PAs, and sessions by activity, from
    row ``row``; returns the row after them."""
    br = clinician_breakdown(d, cid)
    put(ws, row, 1, "PAs by category", font=BOLD)
    cat_rows = []
    for cat in C.CATEGORIES:
        sub = br[br["category"] == cat]
        if len(sub):
            cat_rows.append({"category": CATEGORY_NAMES.get(cat, cat),
                             "pas": float(sub["pas_per_week"].sum()),
                             "sessions": float(sub["sessions_per_week"].sum()),
                             "year": float(sub["sessions_per_year"].sum())})
    cat_frame = pd.DataFrame(cat_rows, columns=["category", "pas", "sessions", "year"])
    totals = pd.DataFrame([{"category": "Total", "pas": cat_frame["pas"].sum(),
                            "sessions": cat_frame["sessions"].sum(), "year": cat_frame["year"].sum()}])
    cat_frame = pd.concat([cat_frame, totals], ignore_index=True) if len(cat_frame) else totals
    nxt = write_frame(ws, cat_frame, [xcol("category"), xcol("pas", "0.00", label="pas_per_week"),
                                      xcol("sessions", "0.0", label="sessions_per_week"),
                                      xcol("year", "#,##0", label="annualised_sessions")],
                      start_row=row + 1, freeze=False, filter_=False)
    for j in range(1, 5):
        ws.cell(row=row + 1 + len(cat_frame), column=j).font = BOLD
    extra = [("Additional PAs (above contract)", rec.get("apa_pas")),
             ("Out-of-hours PAs", rec.get("out_of_hours_pas"))]
    for i, (k, v) in enumerate(extra, start=nxt - 1):
        put(ws, i, 1, k)
        put(ws, i, 2, v, fmt="0.00")
    nxt += len(extra)
    put(ws, nxt, 1, "Sessions by activity (annualised = sessions a week × working weeks)", font=BOLD)
    return write_frame(ws, br, [xcol("activity"), xcol("category"),
                                xcol("sessions_per_week", "0.0"),
                                xcol("pas_per_week", "0.00"),
                                xcol("out_of_hours_sessions", "0"),
                                xcol("working_weeks", "0.0"),
                                xcol("sessions_per_year", "#,##0", label="annualised_sessions")],
                       start_row=nxt + 1, freeze=False, filter_=False)


def _clinician_changes(ws: Worksheet, d: MeetingData, cid: str, nxt: int) -> None:
    """The clinician's changes from the current job plan, from row ``nxt`` ("none" when there are none)."""
    ch = d.changes[d.changes["clinician_id"] == cid]
    put(ws, nxt, 1, "Changes from the current job plan", font=BOLD)
    if ch.empty:
        put(ws, nxt + 1, 1, "none")
        return

    def full(a: str) -> str:  # the activity's name, as in the grid above ("free" for an empty slot)
        return d.activity_names.get(a, a) if a else "free"

    ch = ch.assign(activity_before=ch["activity_before"].map(full),
                   activity_after=ch["activity_after"].map(full))
    write_frame(ws, ch, [xcol("day"), xcol("period"),
                         xcol("activity_before"),
                         xcol("activity_after")],
                start_row=nxt + 1, freeze=False, filter_=False)


EVERY_WEEK_XCOLS: Mapping[str, tuple[XCol, ...]] = {
    "cover": (XCol("activity_id", "Activity"), XCol("rule", "Needs"),
              XCol("share_of_weeks", "Share of weeks asked", "0%"),
              XCol("weeks_covered", "Weeks covered", "0.0"),
              XCol("weeks_missed", "Weeks missed", "0.0"),
              XCol("weeks_missed_mondays", "Weeks missed (Mondays)"),
              XCol("leave_weeks_uncovered", "Leave weeks nobody covers", "0.0")),
    "links": (XCol("activity_id", "Activity"), XCol("performer", "Run by"),
              XCol("needs", "Needs in the same slot"), XCol("sessions_per_week", "Sessions a week", "0.0"),
              XCol("sessions_with_link", "With the link", "0.0")),
    "sites": (XCol("site", "Site"), XCol("sessions_per_week", "Sessions a week", "0.0"),
              XCol("activities", "Activities")),
}
EVERY_WEEK_TITLES = {"cover": "Weekly cover: weeks of the planning year covered and missed",
                     "links": "Linked sessions: sessions that need another clinician in the same slot",
                     "sites": "Sessions a week at each site"}


def _every_week_sheet(ws: Worksheet, d: MeetingData) -> None:
    """The report's "Every week" section: weekly cover, linked sessions and sites, one table under
    another with a title row each."""
    row = 1
    for key, frame in (("cover", d.every_week.cover), ("links", d.every_week.links),
                       ("sites", d.every_week.sites)):
        if frame.empty:
            continue
        put(ws, row, 1, EVERY_WEEK_TITLES[key], font=BOLD)
        row = write_frame(ws, frame, EVERY_WEEK_XCOLS[key], start_row=row + 1, freeze=False, filter_=False)
        if key == "sites" and d.every_week.travel:
            put(ws, row - 1, 1, d.every_week.travel)
            row += 1
    _fit_widths(ws, max_width=40)
    _print_setup(ws)


def build_workbook(d: MeetingData) -> Workbook:
    """The whole workbook for meeting data ``d``."""
    wb = Workbook()
    used: set[str] = set()
    ws = wb.active
    ws.title = sheet_title("Summary", used)
    _summary_sheet(ws, d)
    _timetable_sheet(wb.create_sheet(sheet_title("Timetable", used)), d)

    ws = wb.create_sheet(sheet_title("Gaps", used))
    gaps = d.demand.copy()
    write_frame(ws, gaps, GAP_XCOLS)
    _fit_widths(ws)
    ws.column_dimensions[get_column_letter(len(GAP_XCOLS))].width = 80
    for row in ws.iter_rows(min_row=2, min_col=len(GAP_XCOLS), max_col=len(GAP_XCOLS)):
        row[0].alignment = WRAP
    _print_setup(ws)

    if not d.every_week.empty:  # weekly cover, linked sessions and sites (report/every_week.py)
        _every_week_sheet(wb.create_sheet(sheet_title("Every week", used)), d)

    ws = wb.create_sheet(sheet_title("Changes", used))
    write_frame(ws, d.changes, CHANGE_XCOLS)
    _fit_widths(ws)
    _print_setup(ws)

    ws = wb.create_sheet(sheet_title("Clinicians", used))
    clinicians = d.clinicians.copy()
    clinicians["staff_group"] = clinicians["staff_group"].map(lambda g: in_words(g, STAFF_GROUP_WORDS))
    clinicians["contract"] = clinicians["contract"].map(lambda c: in_words(c, CONTRACT_WORDS))
    write_frame(ws, clinicians, CLINICIAN_XCOLS)
    _fit_widths(ws, max_width=24)
    _print_setup(ws)

    ws = wb.create_sheet(sheet_title("Requirements", used))
    req = d.outputs.requirements  # typed: extension columns of numbers are numbers (tables.typed_column)
    req_cols = [xcol(str(c), _requirement_format(str(c), req[c])) for c in req.columns
                if str(c) in REQUIREMENTS_COLUMNS or not req[c].isna().all()]
    write_frame(ws, req, req_cols)
    _fit_widths(ws, max_width=22)
    _print_setup(ws)

    _assumptions_sheet(wb.create_sheet(sheet_title("Assumptions", used)), d)
    for cid in d.clinician_order:
        _clinician_sheet(wb.create_sheet(sheet_title(d.label(cid), used)), d, cid)
    return wb


def write_plan_workbook(pack: PlanningPack, plan_dir: str | Path, out_path: str | Path | None = None,
                        anonymise: bool = False, *, data: MeetingData | None = None) -> Path:
    """Write ``plan.xlsx`` for the plan in ``plan_dir`` (default ``plan_dir/plan.xlsx``); atomic.

    With ``anonymise`` clinicians appear as pseudonyms (sheet names too) and free text is scrubbed.
    ``data`` (already built meeting data) skips re-reading the folder."""
    folder = Path(plan_dir)
    if data is None:
        data = load_meeting_data(pack, folder, anonymise=anonymise)
    path = Path(out_path) if out_path is not None else folder / "plan.xlsx"
    buf = io.BytesIO()
    build_workbook(data).save(buf)
    return write_file_atomic(path, buf.getvalue())
