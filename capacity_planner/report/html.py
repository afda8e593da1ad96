"""``report.html``: the team job-planning meeting pack on one self-contained page, and the entry point
:func:`write_report_files` that writes the whole pack (HTML, workbook, charts).

The page has inline CSS and charts embedded as base64 PNG with alt text; it uses no network. It is sized
for a projector (large type, high-contrast colours, a contents bar) and prints to A4 (print CSS: one section
per page, the timetable on a landscape page, table headers repeated, nothing split inside a card, figure or
row). Tables are semantic: a caption, ``<th scope>`` for column and row headers, and every number carries
its exact value in ``data-value`` next to the rounded text shown to people.

The generic building blocks (:func:`table_html`, :func:`figure_html`, :func:`section_html`,
:func:`page_html`, formatting and CSS) live in :mod:`~capacity_planner.report.html_base`; they are
shared by :func:`write_report_html` and :func:`write_comparison_html`
(scenario comparisons).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from capacity_planner.report import charts as CH
from capacity_planner.report.html_base import (
    Column,
    _atomic_write_text,
    cell_html,
    esc,
    figure_html,
    format_value,
    is_missing,
    page_html,
    records,
    section_html,
    table_html,
)
from capacity_planner.report.tables import (
    EMPTY,
    MeetingData,
    tuples,
)

if TYPE_CHECKING:
    from capacity_planner.report.meeting_pack import MeetingCharts

HTML_NAME = "report.html"
WORKBOOK_NAME = "plan.xlsx"
CHARTS_DIR = "charts"


# ---- report sections --------------------------------------------------------------------------------
STATUS_TEXT = {
    "OPTIMAL": ("ok", "Optimal: no plan meets more demand under these rules and objective order."),
    "FEASIBLE": ("", "Feasible: the best plan found within the time limit; a better one may exist "
                     "(see the gap to the bound below)."),
    "INFEASIBLE": ("bad", "Infeasible: the contract rules cannot all hold; this plan is not valid."),
}


def _status(status: str) -> tuple[str, str]:
    return STATUS_TEXT.get(status.upper(), ("bad", f"Solver status: {status or 'unknown'}."))


def _headline(d: MeetingData) -> str:
    h = d.headline
    def split(rapid: float, routine: float) -> str:
        return (f"<dd>rapid access {esc(format_value(rapid, 'num0'))} · routine "
                f"{esc(format_value(routine, 'num0'))}</dd>")

    cards = [
        ("bad" if h.gap_before_sessions > 0.5 else "ok", "Gap with current job plans",
         h.gap_before_sessions, f"sessions a year · {format_value(h.gap_before_dcc_hours, 'num0')} DCC hours",
         "gap-before", split(h.rapid_gap_before, h.routine_gap_before)),
        ("bad" if h.gap_after_sessions > 0.5 else "ok", "Gap with the proposed plan",
         h.gap_after_sessions, f"sessions a year · {format_value(h.gap_after_dcc_hours, 'num0')} DCC hours",
         "gap-after", split(h.rapid_gap_after, h.routine_gap_after)),
    ]
    out = ['<dl class="cards">']
    for cls, label, value, sub, key, extra in cards:
        out.append(f'<div class="card {cls}" id="{key}"><dt>{esc(label)}</dt>'
                   f'<dd class="big" data-value="{value!r}">{esc(format_value(value, "num0"))}</dd>'
                   f"<dd>{esc(sub)}</dd>{extra}</div>")
    if h.rapid_access:
        worst = min(h.rapid_access, key=lambda r: r.cover)
        pct = "100 %" if worst.cover >= 1 else f"{min(99.0, math.floor(worst.cover * 100)):.0f} %"
        lines = "".join(
            f"<dd>{esc(r.name)}: {esc(format_value(r.planned, 'num0'))} of "
            f"{esc(format_value(r.required, 'num0'))} sessions needed"
            f"{f' at the {r.percentile * 100:g}th centile' if r.percentile else ''}</dd>"
            for r in h.rapid_access)
        out.append(f'<div class="card {"ok" if worst.cover >= 1 else "bad"}" id="rapid-access">'
                   f"<dt>Rapid-access cover</dt>"
                   f'<dd class="big" data-value="{worst.cover!r}">{pct}</dd>{lines}</div>')
    k = h.change_kinds
    kinds = [(k.in_place, "another activity in the same slot"), (k.moved, "moved to another slot"),
             (k.filled, "free time or a vacant post filled"), (k.freed, "left free")]
    kind_text = "".join(f"<dd>{n} {esc(text)}</dd>" for n, text in kinds if n)
    out.append(f'<div class="card" id="changes-card"><dt>Changes to job plans</dt>'
               f'<dd class="big" data-value="{h.changed_sessions}">{h.changed_sessions}</dd>'
               f"<dd>sessions change for {h.clinicians_changed} of {len(d.clinician_order)} clinicians</dd>"
               f"{kind_text}</div>")
    if h.unassigned_pas > 0:
        shown = esc(format_value(h.unassigned_pas, "pas"))
        out.append(f'<div class="card" id="unassigned-card"><dt>Unassigned time</dt>'
                   f'<dd class="big" data-value="{h.unassigned_pas!r}">{shown}</dd>'
                   f"<dd>contracted PAs a week left unassigned for {h.clinicians_unassigned} clinicians "
                   "(reasons under Each clinician's PAs)</dd></div>")
    out.append("</dl>")
    rapid_fell = h.rapid_gap_after < h.rapid_gap_before - 0.5
    routine_grew = h.routine_gap_after > h.routine_gap_before + 0.5
    out.append('<p id="gap-split">Rapid access: '
               f"{esc(format_value(h.rapid_gap_before, 'num0'))} → "
               f"{esc(format_value(h.rapid_gap_after, 'num0'))} sessions a year short; routine: "
               f"{esc(format_value(h.routine_gap_before, 'num0'))} → "
               f"{esc(format_value(h.routine_gap_after, 'num0'))} (current job plans → proposed plan)."
               + (" The plan closes rapid-access demand first." if rapid_fell and routine_grew else "")
               + "</p>")
    if h.routine_floor:
        items = "".join(f"<li>{esc(x)}</li>" for x in h.routine_floor)
        out.append('<div class="banner" id="routine-floor"><p>The routine floor binds: routine work is '
                   "kept at a share of its current supply or need even though rapid access is short.</p>"
                   f"<ul>{items}</ul></div>")
    if h.gap_after_sessions > h.gap_before_sessions + 0.5:
        out.append('<p class="banner" id="gap-grows">The total gap is larger than with the current job '
                   "plans: the plan meets rapid-access and higher-priority demand first (unmet demand is "
                   "weighted by priority), so some routine work gives way. See the waterfall under Remaining "
                   "gaps.</p>")
    cls, text = _status(h.status)
    seconds = d.outputs.summary.solve_seconds
    took = f" Solved in {float(seconds):.1f} s." if isinstance(seconds, int | float) else ""
    out.append(f'<p class="banner {cls}" id="solver-status">{esc(text)}{esc(took)}</p>')
    return "".join(out)


def _sizing_text(row: Mapping[str, Any]) -> str:
    method = str(row.get("sizing_method", ""))
    if method == "percentile":
        p = row.get("percentile")
        return "percentile" if p is None or is_missing(p) else f"{float(p) * 100:g}th centile"
    return {"mean": "mean", "fixed": "fixed", "none": "no demand"}.get(method, method)


def _demand_section(d: MeetingData, chart: bytes, alt: str) -> str:
    frame = d.demand.copy()
    frame["sizing"] = [_sizing_text(r) for r in records(frame)]
    cols = [Column("name", "Activity"), Column("category", "Category"), Column("sizing", "Sized to"),
            Column("required_sessions_per_year", "Needed (sessions a year)", "num0"),
            Column("current_sessions_per_year", "Current plans", "num0"),
            Column("planned_sessions_per_year", "Proposed plan", "num0"),
            Column("gap_before_sessions_per_year", "Gap before", "num0"),
            Column("gap_sessions_per_year", "Gap after", "num0"),
            Column("gap_dcc_hours_per_year", "Gap after (DCC hours)", "num0")]
    rows = ["short" if g > 0.5 else "" for g in frame["gap_sessions_per_year"]]
    return (figure_html(chart, alt, "Sessions a year by activity: the black mark is what demand needs.")
            + table_html(frame, cols, "Demand against capacity by activity, sessions a year (session-weeks)",
                         row_header="name", table_id="demand-table", row_classes=rows))


def _timetable_section(d: MeetingData) -> str:
    tt = d.timetable
    cell = {(r.clinician_id, r.day, r.period): r for r in tuples(tt)}
    days = list(dict.fromkeys(day for day, _ in d.slots))
    longest = max([len(d.label(c)) for c in d.clinician_order] + [9])
    colgroup = [f'<col class="who" style="width:{min(longest, 28) * 0.62 + 1.2:.1f}em">']
    for k, (day, _) in enumerate(d.slots):
        start = k == 0 or d.slots[k - 1][0] != day
        colgroup.append('<col class="daystart">' if start else "<col>")
    head1 = ['<th scope="col" rowspan="2">Clinician</th>']
    for day in days:
        n = sum(1 for dd, _ in d.slots if dd == day)
        head1.append(f'<th scope="colgroup" colspan="{n}">{esc(day)}</th>')
    head2 = [f'<th scope="col"{" class=premium" if s in d.premium_slots else ""}>{esc(s[1])}'
             f'{"<span class=sr-only> (premium time)</span>" if s in d.premium_slots else ""}</th>'
             for s in d.slots]
    body = []
    for cid in d.clinician_order:
        cells = [f'<th scope="row" title="{esc(d.label(cid))}">{esc(d.label(cid))}</th>']
        for day, period in d.slots:
            r = cell.get((cid, day, period))
            act = r.activity_id if r is not None else EMPTY
            colour = CH.CATEGORY_COLOURS.get(d.category(act), CH.CATEGORY_COLOURS["OTHER"])
            classes = ["changed"] if r is not None and r.changed else []
            title = d.activity_label(act)
            extra = ""
            if r is not None and r.changed:
                before = d.activity_label(r.before)
                title += f" — changed from {before}"
                extra = (f'<span class="was">was {esc(r.before or "free")}</span>'
                         f'<span class="sr-only"> (changed from {esc(before)})</span>')
            cls = f' class="{" ".join(classes)}"' if classes else ""
            cells.append(f'<td{cls} style="background:{colour}" title="{esc(title)}">{esc(act)}{extra}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    table = (f'<table class="timetable" id="timetable-table"><caption>Proposed weekly timetable: one row per '
             f"clinician, one column per session; outlined cells change from the current job plan</caption>"
             f"<colgroup>{''.join(colgroup)}</colgroup><thead><tr>{''.join(head1)}</tr>"
             f"<tr>{''.join(head2)}</tr></thead><tbody>{''.join(body)}</tbody></table>")
    cats = [c for c in CH.CATEGORY_COLOURS if c and c in set(tt["category"])]
    legend = "".join(f'<li><span class="swatch" style="background:{CH.CATEGORY_COLOURS[c]}"></span>'
                     f"{esc(CH.CATEGORY_NAMES.get(c, c))}</li>" for c in cats)
    legend += ('<li><span class="swatch changed"></span>Changed from the current job plan</li>'
               f'<li><span class="swatch" style="background:{CH.CATEGORY_COLOURS[""]}"></span>Free</li>')
    acts = sorted({a for a in tt["activity_id"] if a} | {b for b in tt.loc[tt["changed"], "before"] if b})
    key = "".join(f"<li><b>{esc(a)}</b>&nbsp;{esc(d.activity_names.get(a, a))}</li>" for a in acts
                  if d.activity_names.get(a, a) != a)
    premium = ", ".join(f"{day} {period}" for day, period in d.slots if (day, period) in d.premium_slots)
    note = (f'<p class="muted">Premium-time sessions ({esc(premium)}) are 3-hour PAs.</p>' if premium else "")
    return (table + f'<ul class="legend" aria-label="Colour key">{legend}</ul>'
            f'<ul class="legend" aria-label="Activity key">{key}</ul>{note}')


def _changes_section(d: MeetingData) -> str:
    if d.changes.empty:
        return "<p>No session changes from the current job plans.</p>"
    rows = []
    for cid in [c for c in d.clinician_order if c in set(d.changes["clinician_id"])]:
        mine = d.changes[d.changes["clinician_id"] == cid]
        chips = "".join(
            f"<li>{esc(r.day)} {esc(r.period)}: {esc(r.activity_before or 'free')} → "
            f"{esc(r.activity_after or 'free')}</li>" for r in tuples(mine))
        row = d.clinicians.loc[d.clinicians["clinician_id"] == cid, "changed_sessions"]
        count = int(row.iloc[0]) if len(row) else len(mine)  # clinicians.csv: a move counts 1
        rows.append(f'<tr><th scope="row">{esc(d.label(cid))}</th>{cell_html(count, "int")}'
                    f'<td><ul class="chips">{chips}</ul></td></tr>')
    return ('<table id="changes-table"><caption>Sessions that change, by clinician (current → proposed)'
            '</caption><thead><tr><th scope="col">Clinician</th><th scope="col" class="num">Sessions changed'
            '</th><th scope="col">Changes</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>")


CLINICIAN_COLUMNS: tuple[Column, ...] = (
    Column("label", "Clinician"), Column("staff_group", "Staff group"),
    Column("contracted_pas", "Contracted PAs", "pas"), Column("planned_pas", "Planned PAs", "pas"),
    Column("dcc_pas", "DCC", "pas"), Column("spa_pas", "SPA", "pas"), Column("other_pas", "Other", "pas"),
    Column("apa_pas", "Additional PAs", "pas"), Column("out_of_hours_pas", "Out of hours", "pas"),
    Column("dcc_share", "DCC share", "pct"), Column("changed_sessions", "Sessions changed", "int"),
)
UNASSIGNED_COLUMN = Column("unassigned_pas", "Unassigned PAs", "pas")


def _unassigned_list(frame: pd.DataFrame) -> str:
    """Each clinician with contracted PAs left unassigned, with the reason (clinicians.csv), as a list
    under the table (a reason column would make the table wider than a projector)."""
    short = frame[frame["unassigned_pas"] > 0]
    if short.empty:
        return ""
    items = "".join(
        f'<li><b>{esc(str(r.label))}</b>: {esc(format_value(float(r.unassigned_pas), "pas"))} PAs a week '
        f"unassigned{' — ' + esc(str(r.unassigned_reason)) if str(r.unassigned_reason) else ''}</li>"
        for r in tuples(short))
    return f'<h3>Unassigned time and why</h3><ul class="reasons" id="unassigned-list">{items}</ul>'



def _clinicians_section(d: MeetingData, chart: bytes, alt: str) -> str:
    frame = d.clinicians.copy()
    frame["dcc_share"] = np.where(frame["planned_pas"] > 0, frame["dcc_pas"] / frame["planned_pas"].where(
        frame["planned_pas"] > 0, 1.0), np.nan)
    cols = CLINICIAN_COLUMNS + ((UNASSIGNED_COLUMN,) if (frame["unassigned_pas"] > 0).any() else ())
    return (table_html(frame, cols, "PAs a week by clinician in the proposed plan",
                       row_header="label", table_id="clinicians-table")
            + _unassigned_list(frame)
            + figure_html(chart, alt, "PAs a week by clinician; the black mark is the contracted PAs."))


def _gaps_section(d: MeetingData, chart: bytes, alt: str) -> str:
    short = d.demand[d.demand["gap_sessions_per_year"] > 1e-9]
    if short.empty:
        body = '<p class="banner ok">The proposed plan meets all the sized demand.</p>'
    else:
        def reasons(row: Mapping[str, Any]) -> str:
            items = d.reasons.get(str(row["activity_id"]), [])
            inner = "".join(f"<li>{esc(x)}</li>" for x in items) if items else "<li>no reason recorded</li>"
            return f'<td class="reason"><ul class="reasons">{inner}</ul></td>'

        cols = [Column("name", "Activity"), Column("required_sessions_per_year", "Needed", "num0"),
                Column("planned_sessions_per_year", "Proposed", "num0"),
                Column("gap_sessions_per_year", "Gap (sessions a year)", "num0"),
                Column("gap_dcc_hours_per_year", "Gap (DCC hours a year)", "num0"),
                Column("reason", "Why it remains (binding rules)")]
        body = table_html(short, cols, "Remaining gaps and the rules that bind them", row_header="name",
                          table_id="gaps-table", cell_override={"reason": reasons})
    return body + figure_html(chart, alt, "From the gap with the current job plans to the gap with the "
                                          "proposed plan, by activity (sessions a year).")


def _assumptions_section(d: MeetingData) -> str:
    req = d.outputs.requirements.copy()
    names = {**d.activity_names}
    req.insert(1, "name", req["activity_id"].map(lambda a: names.get(a, a)))
    req["sizing"] = [_sizing_text(r) for r in records(req)]
    req_cols = [Column("name", "Activity"), Column("sizing", "Sized to"),
                Column("weekly_demand_mean", "Mean weekly demand", "num1"),
                Column("weekly_demand_sized", "Sized weekly demand", "num1"),
                Column("dna_rate", "DNA rate", "pct"), Column("dna_factor", "Slots per patient", "pas"),
                Column("backlog_relief_per_week", "Backlog relief a week", "num1"),
                Column("sessions_per_week", "Sessions a week", "num1"),
                Column("sessions_per_year", "Sessions a year", "num0"),
                Column("dcc_hours_per_year", "DCC hours a year", "num0")]
    settings = d.settings_table.copy()
    settings["value"] = [format_value(v, "bool") if isinstance(v, bool)
                         else f"{v:g}" if isinstance(v, float) else str(v) for v in settings["value"]]
    default_cols = [Column("table", "Table"), Column("column", "Column"),
                    Column("rows", "Rows filled", "int"), Column("values", "Value used"),
                    Column("reason", "Why")]
    caption = "Blank cells filled with defaults, summarised by column"
    defaults = (table_html(d.defaults_table, default_cols, caption, table_id="defaults-table")
                if not d.defaults_table.empty else "<p>No defaults were applied: every value was given.</p>")
    return (table_html(settings, [Column("setting", "Setting"), Column("value", "Value"),
                                  Column("source", "Source"), Column("meaning", "Meaning")],
                       "Planning settings", row_header="setting", table_id="settings-table")
            + table_html(req, req_cols, "How demand was sized, by activity", row_header="name",
                         table_id="requirements-table")
            + defaults)


def _solver_section(d: MeetingData) -> str:
    solver = d.solver_table.copy()
    solver["value"] = [format_value(v, "pas") if isinstance(v, int | float) and not isinstance(v, bool)
                       else str(v) for v in solver["value"]]
    out = table_html(solver, [Column("item", "Item"), Column("value", "Value")], "Solver run",
                     row_header="item", table_id="solver-table")
    if not d.levels_table.empty:
        level_cols = [Column("level", "Objective level"), Column("status", "Status"),
                      Column("objective", "Objective", "pas"), Column("bound", "Bound", "pas"),
                      Column("gap", "Gap to bound", "pct"), Column("seconds", "Seconds", "pas"),
                      Column("unit", "Unit")]
        out += table_html(d.levels_table, level_cols,
                          "Objective levels, in lexicographic order (earlier levels matter most)",
                          row_header="level", table_id="levels-table")
    return out


SPC_LEAD = ("XmR (statistical process control) charts in the Making Data Count style: grey points are "
            "common-cause variation; purple points are special causes (a point beyond a process limit, a "
            "run of 7 on one side of the mean, a trend of 7, or two of three near a limit). A special cause "
            "suggests demand has changed and the sizing should be reviewed.")


def render_report_html(d: MeetingData, charts: MeetingCharts) -> str:
    """The report page for meeting data ``d`` with its ``charts`` (drawn, embedded as PNG)."""
    chart_png = {name: (image.png, image.alt) for name, image in charts.plan.items()}
    demand_charts, spc_charts = charts.weekly, charts.spc
    h = d.headline
    sections = [
        ("headline", "Headline", section_html("headline", "Headline", _headline(d), page_break=False, lead=(
            "Gaps are sessions a year (session-weeks) that the sized demand needs and the plan does not "
            "supply; DCC hours are the same gap in direct-clinical-care hours."))),
        ("demand", "Demand and capacity", section_html("demand", "Demand against capacity by activity",
                                                       _demand_section(d, *chart_png["capacity_vs_demand"]))),
        ("timetable", "Timetable", section_html("timetable", "Proposed team timetable", _timetable_section(d),
                                                wide=True)),
        ("changes", "What changes", section_html("changes", "What changes for whom", _changes_section(d),
                                                 lead=f"{h.changed_sessions} sessions change for "
                                                      f"{h.clinicians_changed} clinicians (a session "
                                                      "moved to another slot counts once).")),
        ("clinicians", "PA summary", section_html("clinicians", "Each clinician's PAs",
                                                  _clinicians_section(d, *chart_png["pa_mix"]))),
        ("gaps", "Remaining gaps", section_html("gaps", "Remaining gaps and why",
                                                _gaps_section(d, *chart_png["gap_waterfall"]))),
    ]
    if demand_charts:
        figs = "".join(figure_html(c.png, c.alt, c.title) for c in demand_charts)
        weekly = section_html("weekly", "Weekly demand and the sized level", figs)
        sections.append(("weekly", "Weekly demand", weekly))
    if spc_charts:
        figs = "".join(figure_html(c.png, c.alt, c.title) for c in spc_charts)
        sections.append(("variation", "Demand variation", section_html(
            "variation", "Is weekly demand stable? (XmR charts)", figs, lead=esc(SPC_LEAD))))
    sections += [
        ("assumptions", "Assumptions",
         section_html("assumptions", "Assumptions used", _assumptions_section(d))),
        ("solver", "Solver", section_html("solver", "Solver status", _solver_section(d))),
    ]
    banner = ""
    if d.anonymised:
        banner = ('<p class="banner" id="anonymised">Identities hidden: clinicians appear as pseudonyms '
                  "(Clinician A, B, …). Staff group, PAs and timetables are still shown and can point to a "
                  "person in a small team: share with care.</p>")
    start = d.settings_table.loc[d.settings_table["setting"] == "Planning year starts", "value"]
    subtitle = "Team job-planning meeting pack"
    subtitle += f" · planning year from {start.iloc[0]}" if len(start) else ""
    version = d.outputs.summary.version
    footer = (f"Produced by capacity_planner {esc(version)} from the plan files in this folder "
              "(requirements.csv, allocation.csv, gaps.csv, clinicians.csv, changes.csv, summary.json).")
    return page_html(d.title, subtitle, sections, banner=banner, footer=footer)


# ---- comparison -------------------------------------------------------------------------------------
def write_comparison_html(comparison_df: pd.DataFrame, charts: Sequence[CH.Chart | CH.ChartFile | Path],
                          out_path: str | Path, *, title: str = "Scenario comparison",
                          row_header: str | None = None, lead: str = "") -> Path:
    """A one-page comparison of scenarios: the comparison table (first column as row header unless
    ``row_header`` is given) and the charts (with their alt text)."""
    header = row_header
    if header is None and len(comparison_df.columns):
        header = str(comparison_df.columns[0])
    table = table_html(comparison_df, None, "Scenarios compared", row_header=header,
                       table_id="comparison-table")
    figs = []
    for c in charts:
        if isinstance(c, CH.Chart):
            figs.append(figure_html(CH.png_bytes(c), c.alt, c.title))
        elif isinstance(c, CH.ChartFile):
            figs.append(figure_html(c.path, c.alt, c.title))
        else:
            name = Path(c).stem.replace("_", " ")
            figs.append(figure_html(Path(c), f"Chart: {name}", name.capitalize()))
    sections = [("comparison", "Comparison", section_html("comparison", "Scenarios side by side", table,
                                                          page_break=False, lead=esc(lead)))]
    if figs:
        sections.append(("charts", "Charts", section_html("charts", "Charts", "".join(figs))))
    return _atomic_write_text(Path(out_path), page_html(title, "Scenario comparison", sections))
