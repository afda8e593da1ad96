"""``report.html``: the team job-planning meeting pack on one self-contained page, rendered by the one page
renderer (:func:`capacity_planner.pages.render_page`, template ``report.html.j2``) from a context built here
out of :class:`~capacity_planner.report.tables.MeetingData`.

The page has the one stylesheet inline and charts embedded as base64 PNG with alt text; it uses no
network. It is sized for a projector (large type, high-contrast colours, a contents bar) and prints to A4
(print CSS: one section per page, the timetable on a landscape page, table headers repeated, nothing split
inside a card, figure or row). Tables are semantic: a caption, ``<th scope>`` for column and row headers,
and every number carries its exact value in ``data-value`` next to the rounded text shown to people.
This module only turns meeting data into plain values (numbers, words, rows); the markup is the
template's. The scenario comparison page is :mod:`capacity_planner.scenarios.page`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from capacity_planner.pages import render_page
from capacity_planner.pages.chart_style import category_colour
from capacity_planner.pages.formatting import Kind, format_value, is_missing
from capacity_planner.report import charts as CH
from capacity_planner.report.tables import EMPTY, STAFF_GROUP_WORDS, MeetingData, in_words, rota_label, tuples

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import pandas as pd

    from capacity_planner.report.meeting_pack import MeetingCharts

__all__ = ["SPC_LEAD", "STATUS_TEXT", "render_report_html", "report_context"]

Columns = list[tuple[str, str, Kind]]

STATUS_TEXT = {
    "OPTIMAL": ("ok", "Optimal: no plan meets more demand under these rules and objective order."),
    "FEASIBLE": ("", "Feasible: the best plan found within the time limit; a better one may exist "
                     "(see the gap to the bound below)."),
    "INFEASIBLE": ("bad", "Infeasible: the contract rules cannot all hold; this plan is not valid."),
}
SPC_LEAD = ("XmR (statistical process control) charts in the Making Data Count style: grey points are "
            "common-cause variation; purple points are special causes (a point beyond a process limit, a "
            "run of 7 on one side of the mean, a trend of 7, or two of three near a limit). A special cause "
            "suggests demand has changed and the sizing should be reviewed.")
HEADLINE_LEAD = ("Gaps are sessions a year (session-weeks) that the sized demand needs and the plan does not "
                 "supply; DCC hours are the same gap in direct-clinical-care hours.")
SECTIONS: tuple[tuple[str, str], ...] = (
    ("headline", "Headline"), ("demand", "Demand and capacity"), ("timetable", "Timetable"),
    ("changes", "What changes"), ("clinicians", "PA summary"), ("gaps", "Remaining gaps"),
    ("every-week", "Every week"),
    ("weekly", "Weekly demand"), ("variation", "Demand variation"), ("assumptions", "Assumptions"),
    ("solver", "Solver"),
)


def _status(status: str) -> tuple[str, str]:
    return STATUS_TEXT.get(status.upper(), ("bad", f"Solver status: {status or 'unknown'}."))


def rows_for(frame: pd.DataFrame, columns: Columns, **extra: Sequence[Any]) -> list[dict[str, Any]]:
    """The rows a template table shows: each column's value, numbers as Python floats (NaN = missing),
    plus any ``extra`` per-row values."""
    numeric = {key for key, _, kind in columns if kind not in ("text", "bool")}
    out = []
    for i, rec in enumerate(frame.to_dict("records")):
        row = {key: (math.nan if is_missing(rec.get(key)) else float(rec[key])) if key in numeric
               else rec.get(key) for key, _, _ in columns}
        row.update({name: values[i] for name, values in extra.items()})
        out.append(row)
    return out


def _n(value: float) -> str:
    return format_value(value, "num0")


# ---- headline -----------------------------------------------------------------------------------------
def _gap_cards(d: MeetingData) -> list[dict[str, Any]]:
    h = d.headline

    def card(key: str, label: str, gap: float, hours: float, rapid: float, routine: float) -> dict[str, Any]:
        return {"id": key, "kind": "bad" if gap > 0.5 else "ok", "label": label, "value": gap,
                "shown": _n(gap), "lines": [f"sessions a year · {_n(hours)} DCC hours",
                                            f"rapid access {_n(rapid)} · routine {_n(routine)}"]}

    return [card("gap-before", "Gap with current job plans", h.gap_before_sessions, h.gap_before_dcc_hours,
                 h.rapid_gap_before, h.routine_gap_before),
            card("gap-after", "Gap with the proposed plan", h.gap_after_sessions, h.gap_after_dcc_hours,
                 h.rapid_gap_after, h.routine_gap_after)]


def _rapid_card(d: MeetingData) -> list[dict[str, Any]]:
    rapid = d.headline.rapid_access
    if not rapid:
        return []
    worst = min(rapid, key=lambda r: r.cover)
    shown = "100 %" if worst.cover >= 1 else f"{min(99.0, math.floor(worst.cover * 100)):.0f} %"
    lines = [f"{r.name}: {_n(r.planned)} of {_n(r.required)} sessions needed"
             + (f" at the {r.percentile * 100:g}th centile" if r.percentile else "") for r in rapid]
    return [{"id": "rapid-access", "kind": "ok" if worst.cover >= 1 else "bad", "label": "Rapid-access cover",
             "value": worst.cover, "shown": shown, "lines": lines}]


def _change_cards(d: MeetingData) -> list[dict[str, Any]]:
    h = d.headline
    k = h.change_kinds
    kinds = [(k.in_place, "another activity in the same slot"), (k.moved, "moved to another slot"),
             (k.filled, "free time or a vacant post filled"), (k.freed, "left free")]
    cards = [{"id": "changes-card", "kind": "", "label": "Changes to job plans", "value": h.changed_sessions,
              "shown": str(h.changed_sessions),
              "lines": [f"sessions change for {h.clinicians_changed} of {len(d.clinician_order)} clinicians",
                        *[f"{n} {text}" for n, text in kinds if n]]}]
    if h.unassigned_pas > 0:
        cards.append({"id": "unassigned-card", "kind": "", "label": "Unassigned time",
                      "value": h.unassigned_pas,
                      "shown": format_value(h.unassigned_pas, "pas"),
                      "lines": [f"contracted PAs a week left unassigned for {h.clinicians_unassigned} "
                                "clinicians (reasons under Each clinician's PAs)"]})
    return cards


def _headline(d: MeetingData) -> dict[str, Any]:
    h = d.headline
    rapid_fell = h.rapid_gap_after < h.rapid_gap_before - 0.5
    routine_grew = h.routine_gap_after > h.routine_gap_before + 0.5
    split = (f"Rapid access: {_n(h.rapid_gap_before)} → {_n(h.rapid_gap_after)} sessions a year short; "
             f"routine: {_n(h.routine_gap_before)} → {_n(h.routine_gap_after)} (current job plans → proposed "
             "plan)."
             + (" The plan closes rapid-access demand first." if rapid_fell and routine_grew else ""))
    kind, text = _status(h.status)
    seconds = d.outputs.summary.solve_seconds
    took = f" Solved in {float(seconds):.1f} s." if isinstance(seconds, int | float) else ""
    return {"lead": HEADLINE_LEAD, "cards": [*_gap_cards(d), *_rapid_card(d), *_change_cards(d)],
            "split": split, "routine_floor": list(h.routine_floor),
            "gap_grows": h.gap_after_sessions > h.gap_before_sessions + 0.5,
            "status_kind": kind, "status_text": text + took}


# ---- tables -----------------------------------------------------------------------------------------------
def _sizing_text(row: Mapping[Any, Any]) -> str:
    method = str(row.get("sizing_method", ""))
    if method == "percentile":
        p = row.get("percentile")
        return "percentile" if p is None or is_missing(p) else f"{float(p) * 100:g}th centile"
    return {"mean": "mean", "fixed": "fixed", "none": "no demand"}.get(method, method)


DEMAND_COLUMNS: Columns = [
    ("name", "Activity", "text"), ("category", "Category", "text"), ("sizing", "Sized to", "text"),
    ("required_sessions_per_year", "Needed (sessions a year)", "num0"),
    ("current_sessions_per_year", "Current plans", "num0"),
    ("planned_sessions_per_year", "Proposed plan", "num0"),
    ("gap_before_sessions_per_year", "Gap before", "num0"), ("gap_sessions_per_year", "Gap after", "num0"),
    ("gap_dcc_hours_per_year", "Gap after (DCC hours)", "num0"),
]


def _demand(d: MeetingData) -> dict[str, Any]:
    frame = d.demand.assign(sizing=[_sizing_text(r) for r in d.demand.to_dict("records")])
    short = ["short" if g > 0.5 else "" for g in frame["gap_sessions_per_year"]]
    return {"columns": DEMAND_COLUMNS, "rows": rows_for(frame, DEMAND_COLUMNS, row_class=short)}


def _timetable(d: MeetingData) -> dict[str, Any]:
    cell = {(r.clinician_id, r.day, r.period): r for r in tuples(d.timetable)}
    longest = max([len(d.label(c)) for c in d.clinician_order] + [9])
    rows = []
    for cid in d.clinician_order:
        cells = []
        for day, period in d.slots:
            r = cell.get((cid, day, period))
            act = r.activity_id if r is not None else EMPTY
            week_b = r.week_b if r is not None and r.alternate else None  # None: every week; "": B free
            was: str | None = r.before if r is not None and r.changed else None  # "" = was free
            before = d.activity_label(was) if was is not None else ""
            title = (d.activity_label(act) if week_b is None else
                     f"{d.activity_label(act) or 'free'} in week A, "
                     f"{d.activity_label(week_b) or 'free'} in week B")
            if r is not None and getattr(r, "halves", False):  # 2-hour halves, every week
                title = (f"{d.activity_label(act) or 'free'} (2 h) and "
                         f"{d.activity_label(r.week_b) or 'free'} (2 h), every week")
            if r is not None and r.rota:
                title += f" ({rota_label(int(r.rota))})"
            title += f" — changed from {before}" if was is not None else ""
            colour = category_colour(d.category(act))
            if week_b is not None:  # alternate weeks: both categories' fills, split on the diagonal
                colour = f"linear-gradient(135deg,{colour} 50%,{category_colour(d.category(week_b))} 50%)"
            cells.append({"activity": r.text if r is not None else EMPTY, "changed": was is not None,
                          "title": title, "colour": colour, "was": was or "free", "before": before})
        rows.append({"label": d.label(cid), "cells": cells})
    tt = d.timetable
    shown = set(tt["category"])
    acts = sorted({a for a in tt["activity_id"] if a} | {b for b in tt.loc[tt["changed"], "before"] if b}
                  | {b for b in tt["week_b"] if b})
    return {
        "label_width": f"{min(longest, 28) * 0.62 + 1.2:.1f}",
        "day_starts": [k == 0 or d.slots[k - 1][0] != day for k, (day, _) in enumerate(d.slots)],
        "days": [(day, sum(1 for dd, _ in d.slots if dd == day))
                 for day in dict.fromkeys(day for day, _ in d.slots)],
        "periods": [(period, (day, period) in d.premium_slots) for day, period in d.slots],
        "rows": rows,
        "legend": [(CH.CATEGORY_COLOURS[c], CH.CATEGORY_NAMES.get(c, c)) for c in CH.CATEGORY_COLOURS
                   if c and c in shown],
        "free_colour": CH.CATEGORY_COLOURS[""],
        "alternate": bool(tt["alternate"].any()),
        "key": [(a, d.activity_names.get(a, a)) for a in acts if d.activity_names.get(a, a) != a],
        "premium": ", ".join(f"{day} {period}" for day, period in d.slots
                             if (day, period) in d.premium_slots),
    }


def _changes(d: MeetingData) -> dict[str, Any]:
    h = d.headline
    rows = []
    changed = set(d.changes["clinician_id"])
    for cid in [c for c in d.clinician_order if c in changed]:
        mine = d.changes[d.changes["clinician_id"] == cid]
        chips = [f"{r.day} {r.period}: {r.activity_before or 'free'} → {r.activity_after or 'free'}"
                 for r in tuples(mine)]
        count = d.clinicians.loc[d.clinicians["clinician_id"] == cid, "changed_sessions"]
        rows.append({"label": d.label(cid), "chips": chips,  # clinicians.csv: a move counts 1
                     "count": float(count.iloc[0]) if len(count) else float(len(mine))})
    lead = (f"{h.changed_sessions} sessions change for {h.clinicians_changed} clinicians (a session moved to "
            "another slot counts once).")
    return {"lead": lead, "rows": rows}


CLINICIAN_COLUMNS: Columns = [
    ("label", "Clinician", "text"), ("staff_group", "Staff group", "text"),
    ("contracted_pas", "Contracted PAs", "pas"), ("planned_pas", "Planned PAs", "pas"),
    ("dcc_pas", "DCC", "pas"),
    ("spa_pas", "SPA", "pas"), ("other_pas", "Other", "pas"), ("apa_pas", "Additional PAs", "pas"),
    ("out_of_hours_pas", "Out of hours", "pas"), ("dcc_share", "DCC share", "pct"),
    ("changed_sessions", "Sessions changed", "int"),
]


def _clinicians(d: MeetingData) -> dict[str, Any]:
    frame = d.clinicians.copy()
    planned = frame["planned_pas"]
    frame["dcc_share"] = np.where(planned > 0, frame["dcc_pas"] / planned.where(planned > 0, 1.0), np.nan)
    frame["staff_group"] = frame["staff_group"].map(lambda g: in_words(g, STAFF_GROUP_WORDS))
    columns = CLINICIAN_COLUMNS + ([("unassigned_pas", "Unassigned PAs", "pas")]
                                   if (frame["unassigned_pas"] > 0).any() else [])
    if d.floors:  # time their job plan must keep (skills.min_sessions_per_week), as plan.xlsx's sheets say
        frame["floors"] = frame["clinician_id"].map(lambda c: d.floors.get(str(c)))
        columns = [*columns, ("floors", "Time they must keep", "text")]
    short = frame[frame["unassigned_pas"] > 0]
    unassigned = [{"label": str(r.label), "pas": float(r.unassigned_pas), "reason": str(r.unassigned_reason)}
                  for r in tuples(short)]
    return {"columns": columns, "rows": rows_for(frame, columns), "unassigned": unassigned,
            "floors": bool(d.floors)}


GAP_COLUMNS: Columns = [
    ("name", "Activity", "text"), ("required_sessions_per_year", "Needed", "num0"),
    ("planned_sessions_per_year", "Proposed", "num0"),
    ("gap_sessions_per_year", "Gap (sessions a year)", "num0"),
    ("gap_dcc_hours_per_year", "Gap (DCC hours a year)", "num0"),
]


def _gaps(d: MeetingData) -> dict[str, Any]:
    short = d.demand[d.demand["gap_sessions_per_year"] > 1e-9]
    reasons = [list(d.reasons.get(str(a), [])) for a in short["activity_id"]]
    return {"columns": GAP_COLUMNS, "rows": rows_for(short, GAP_COLUMNS, reasons=reasons)}


REQUIREMENT_COLUMNS: Columns = [
    ("name", "Activity", "text"), ("sizing", "Sized to", "text"),
    ("weekly_demand_mean", "Mean weekly demand", "num1"),
    ("weekly_demand_sized", "Sized weekly demand", "num1"),
    ("dna_rate", "DNA rate", "pct"), ("dna_factor", "Slots per patient", "pas"),
    ("backlog_relief_per_week", "Backlog relief a week", "num1"),
    ("sessions_per_week", "Sessions a week", "num1"),
    ("sessions_per_year", "Sessions a year", "num0"), ("dcc_hours_per_year", "DCC hours a year", "num0"),
]


def _setting_text(value: object) -> str:
    if isinstance(value, bool):
        return format_value(value, "bool")
    return f"{value:g}" if isinstance(value, float) else str(value)


def _assumptions(d: MeetingData) -> dict[str, Any]:
    req = d.outputs.requirements
    req = req.assign(name=req["activity_id"].map(lambda a: d.activity_names.get(a, a)),
                     sizing=[_sizing_text(r) for r in req.to_dict("records")])
    settings = d.settings_table.assign(value=[_setting_text(v) for v in d.settings_table["value"]])
    return {"settings": settings.to_dict("records"),
            "requirement_columns": REQUIREMENT_COLUMNS, "requirements": rows_for(req, REQUIREMENT_COLUMNS),
            "defaults": rows_for(d.defaults_table, [("table", "", "text"), ("column", "", "text"),
                                                    ("rows", "", "int"), ("values", "", "text"),
                                                    ("reason", "", "text")])}


COVER_COLUMNS: Columns = [
    ("name", "Activity", "text"), ("rule", "Needs", "text"),
    ("share_of_weeks", "Share of weeks asked", "pct"),
    ("weeks_covered", "Weeks covered", "num1"), ("weeks_missed", "Weeks missed", "num1"),
    ("weeks_missed_mondays", "Weeks missed (Mondays)", "text"),
    ("leave_weeks_uncovered", "Leave weeks nobody covers", "num1"),
]
LINK_COLUMNS: Columns = [
    ("name", "Activity", "text"), ("performer", "Run by", "text"),
    ("needs", "Needs in the same slot", "text"),
    ("sessions_per_week", "Sessions a week", "num1"), ("sessions_with_link", "With the link", "num1"),
]
SITE_COLUMNS: Columns = [("site", "Site", "text"), ("sessions_per_week", "Sessions a week", "num1"),
                         ("activities", "Activities", "text")]


def _every_week(d: MeetingData) -> dict[str, Any]:
    """Weekly cover, linked sessions and sites (report/every_week.py)."""
    ew = d.every_week

    def named(frame: pd.DataFrame) -> pd.DataFrame:
        if "activity_id" not in frame.columns:
            return frame
        return frame.assign(name=[d.activity_label(str(a)) for a in frame["activity_id"]])

    return {"cover": rows_for(named(ew.cover), COVER_COLUMNS), "cover_columns": COVER_COLUMNS,
            "links": rows_for(named(ew.links), LINK_COLUMNS), "link_columns": LINK_COLUMNS,
            "sites": rows_for(ew.sites, SITE_COLUMNS), "site_columns": SITE_COLUMNS, "travel": ew.travel}


LEVEL_COLUMNS: Columns = [("level", "", "text"), ("status", "", "text"), ("objective", "", "pas"),
                          ("bound", "", "pas"), ("gap", "", "pct"), ("seconds", "", "pas"),
                          ("unit", "", "text")]


def _solver(d: MeetingData) -> dict[str, Any]:
    def shown(v: object) -> str:
        return format_value(v, "pas") if isinstance(v, int | float) and not isinstance(v, bool) else str(v)

    rows = [{"item": item, "value": shown(v)}
            for item, v in zip(d.solver_table["item"], d.solver_table["value"], strict=True)]
    return {"rows": rows, "levels": rows_for(d.levels_table, LEVEL_COLUMNS)}


# ---- the page ---------------------------------------------------------------------------------------------
def report_context(d: MeetingData, charts: MeetingCharts) -> dict[str, Any]:
    """The template context of report.html: plain values (numbers, words and rows) from meeting data ``d``
    and its drawn ``charts``."""
    start = d.settings_table.loc[d.settings_table["setting"] == "Planning year starts", "value"]
    subtitle = "Team job-planning meeting pack"
    subtitle += f" · planning year from {start.iloc[0]}" if len(start) else ""
    shown = {"weekly": bool(charts.weekly), "variation": bool(charts.spc),
             "every-week": not d.every_week.empty}
    return {
        "title": d.title, "subtitle": subtitle, "anonymised": d.anonymised,
        "sections": [(key, name) for key, name in SECTIONS if shown.get(key, True)],
        "version": d.outputs.summary.version, "charts": dict(charts.plan),
        "headline": _headline(d), "demand": _demand(d), "timetable": _timetable(d), "changes": _changes(d),
        "clinicians": _clinicians(d), "gaps": _gaps(d), "weekly_charts": list(charts.weekly),
        "spc_charts": list(charts.spc), "spc_lead": SPC_LEAD, "assumptions": _assumptions(d),
        "solver": _solver(d), "every_week": _every_week(d),
    }


def render_report_html(d: MeetingData, charts: MeetingCharts) -> str:
    """The report page for meeting data ``d`` with its ``charts`` (drawn, embedded as PNG)."""
    return render_page("report.html.j2", **report_context(d, charts))
