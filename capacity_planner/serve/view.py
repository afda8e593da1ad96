"""What the meeting page shows, built from the same :class:`~capacity_planner.report.tables.MeetingData`
as report.html (so every number on the page is the report's number) plus the meeting's own marks: locked
and pinned cells, cells moved since the previous version.

:func:`meeting_data` is the one place this package reaches into the report layer: it builds the
MeetingData of a run in memory through the plan output tables (:func:`load_meeting_data` of a temporary
folder holding exactly what ``plan`` would write).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from capacity_planner.pages.chart_style import CATEGORY_COLOURS, CATEGORY_NAMES, category_colour
from capacity_planner.report.tables import EMPTY, MeetingData, tuples

if TYPE_CHECKING:
    from capacity_planner.application import PlanRun
    from capacity_planner.serve.actions import Cell

__all__ = ["compare_context", "headline_items", "meeting_data", "timetable"]


def meeting_data(run: PlanRun, *, anonymise: bool = False) -> MeetingData:
    """The report's tables for ``run`` (names replaced by pseudonyms with ``anonymise``)."""
    return _cached(run, anonymise)


@lru_cache(maxsize=64)
def _cached(run: PlanRun, anonymise: bool) -> MeetingData:
    import dataclasses

    from capacity_planner.report.anonymise import Pseudonyms, anonymise_outputs, anonymise_pack
    from capacity_planner.report.tables import build_meeting_data, plan_outputs

    # As write_meeting_pack does: the demand step's notes travel into the summary; the tables are built
    # in memory, typed as a plan folder is read (report.tables.plan_outputs), so the page shows
    # report.html's numbers.
    notes = [*run.notes, *[n for n in run.plan.summary.notes if n not in run.notes]]
    plan = dataclasses.replace(run.plan, summary=dataclasses.replace(run.plan.summary, notes=notes))
    outputs = plan_outputs(plan, run.demand)
    if not anonymise:
        return build_meeting_data(run.pack, outputs)
    ps = Pseudonyms.from_pack(run.pack)
    return build_meeting_data(anonymise_pack(run.pack, ps), anonymise_outputs(outputs, ps), anonymised=True)


def _relabel(cells: Mapping[Cell, str] | Sequence[Cell],
             ids: Mapping[str, str]) -> dict[tuple[str, str, str], str]:
    items = cells.items() if isinstance(cells, Mapping) else ((c, "") for c in cells)
    return {(ids.get(c.clinician_id, c.clinician_id), c.day, c.period): a for c, a in items}


def timetable(d: MeetingData, *, proposed: bool, fixed: Mapping[Cell, str] = {},
              moved: Sequence[Cell] = (), ids: Mapping[str, str] = {},
              pinned: Sequence[Cell] = ()) -> dict[str, Any]:
    """The timetable grid of ``d`` for the template: the proposed plan (changes from the current job plan
    outlined, locks, pins and cells moved since the previous version marked) or the current job plans.

    ``fixed`` holds the cells locked or pinned in the meeting, ``pinned`` those of them pinned; ``ids`` maps
    clinician IDs to the IDs ``d`` uses (pseudonyms on the privacy screen).
    """
    cell = {(r.clinician_id, r.day, r.period): r for r in tuples(d.timetable)}
    fixed_at = _relabel(fixed, ids)
    moved_at = set(_relabel(moved, ids))
    pinned_at = set(_relabel(pinned, ids))
    days: list[tuple[str, int]] = []
    for day, _ in d.slots:
        if days and days[-1][0] == day:
            days[-1] = (day, days[-1][1] + 1)
        else:
            days.append((day, 1))
    rows = []
    for cid in d.clinician_order:
        cells = []
        for day, period in d.slots:
            r = cell.get((cid, day, period))
            act = (r.activity_id if proposed else r.before) if r is not None else EMPTY
            before = r.before if r is not None else EMPTY
            changed = proposed and r is not None and bool(r.changed)
            key = (cid, day, period)
            classes = [c for c, on in (("changed", changed), ("moved", proposed and key in moved_at),
                                       ("fixed", proposed and key in fixed_at)) if on]
            title = d.activity_label(act)
            if changed:
                title += f" — changed from {d.activity_label(before)}"
            if proposed and r is not None and r.alternate:  # alternate weeks: "A / B"
                title = (f"{d.activity_label(act) or 'free'} in week A, "
                         f"{d.activity_label(r.week_b) or 'free'} in week B")
                if changed:
                    title += f" — changed from {d.activity_label(before)}"
            shown = r.text if proposed and r is not None else act
            cells.append({"activity": shown or "", "colour": category_colour(d.category(act)),
                          "classes": " ".join(classes), "title": title, "slot": f"{day}-{period}",
                          "was": (before or "free") if changed else "",
                          "mark": "" if not proposed or key not in fixed_at
                          else ("pin" if key in pinned_at else "lock")})
        rows.append({"id": cid, "label": d.label(cid), "cells": cells})
    categories = sorted({d.category(r.activity_id) for r in tuples(d.timetable)} - {""})
    legend = [(CATEGORY_COLOURS.get(c, CATEGORY_COLOURS["OTHER"]), CATEGORY_NAMES.get(c, c))
              for c in categories]
    return {"days": days, "slots": list(d.slots), "rows": rows, "legend": legend,
            "premium": {f"{s[0]}-{s[1]}" for s in d.premium_slots}}


def headline_items(d: MeetingData) -> list[dict[str, Any]]:
    """The headline cards: the report's numbers (gap before → after, rapid access and routine; sessions
    changed from the current job plans; unassigned PAs; cost)."""
    h = d.headline

    def gap(before: float, after: float) -> str:
        return f"{before:,.0f} → {after:,.0f}"

    return [
        {"label": "Rapid-access gap (session-weeks a year)",
         "value": gap(h.rapid_gap_before, h.rapid_gap_after),
         "note": "current job plans → this version", "kind": "bad" if h.rapid_gap_after > 0 else "ok"},
        {"label": "Routine gap (session-weeks a year)",
         "value": gap(h.routine_gap_before, h.routine_gap_after),
         "note": "current job plans → this version", "kind": "bad" if h.routine_gap_after > 0 else "ok"},
        {"label": "Sessions changed", "value": f"{h.changed_sessions:,}",
         "note": f"from the current job plans, {h.clinicians_changed} clinicians affected"},
        {"label": "Contracted PAs unassigned", "value": f"{h.unassigned_pas:,.2f}".rstrip("0").rstrip("."),
         "note": "PAs a week across the team"},
        {"label": "Extra cost", "value": "£0" if not h.annual_cost else f"£{h.annual_cost:,.0f}",
         "note": "a year: additional PAs and bought sessions"},
    ]


def compare_context(a: MeetingData, b: MeetingData, cells_a: Mapping[Cell, str], cells_b: Mapping[Cell, str],
                    ids: Mapping[str, str], labels: Mapping[str, str]) -> dict[str, Any]:
    """Two versions side by side: headline numbers, the cells that differ and the gap by activity."""
    ha, hb = a.headline, b.headline
    numbers = [
        ("Sessions changed from the current job plans", ha.changed_sessions, hb.changed_sessions, "int"),
        ("Rapid-access gap, session-weeks a year", ha.rapid_gap_after, hb.rapid_gap_after, "num1"),
        ("Routine gap, session-weeks a year", ha.routine_gap_after, hb.routine_gap_after, "num1"),
        ("DCC hours a year short", ha.gap_after_dcc_hours, hb.gap_after_dcc_hours, "num0"),
        ("Contracted PAs unassigned a week", ha.unassigned_pas, hb.unassigned_pas, "pas"),
        ("Extra cost a year (£)", ha.annual_cost or 0.0, hb.annual_cost or 0.0, "num0"),
    ]
    differ = []
    for k in sorted(set(cells_a) | set(cells_b)):
        if cells_a.get(k) != cells_b.get(k):
            cid = ids.get(k.clinician_id, k.clinician_id)
            differ.append({"clinician": labels.get(cid, cid), "slot": f"{k.day} {k.period}",
                           "a": cells_a.get(k, "free"), "b": cells_b.get(k, "free")})
    gap_b = {r.activity_id: r for r in tuples(b.demand)}
    gaps = []
    for r in tuples(a.demand):
        other = gap_b.get(r.activity_id)
        gaps.append({"activity": f"{r.name} ({r.activity_id})", "rapid": "yes" if r.rapid_access else "no",
                     "required_a": r.required_sessions_per_year,
                     "required_b": other.required_sessions_per_year if other is not None else None,
                     "gap_a": r.gap_sessions_per_year,
                     "gap_b": other.gap_sessions_per_year if other is not None else None})
    return {"numbers": [{"item": n, "a": x, "b": y, "diff": y - x, "kind": k} for n, x, y, k in numbers],
            "differ": differ, "gaps": gaps}
