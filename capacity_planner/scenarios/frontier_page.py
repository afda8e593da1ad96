"""``frontier.html``: the budget frontier in words, for the finance partner and the team meeting, rendered
by :mod:`capacity_planner.pages` (``frontier.html.j2``).

Per budget: what it buys in words (additional PAs per clinician in contractual units, bought sessions per
clinic; :func:`capacity_planner.scenarios.frontier._bought_text`), what it costs and leaves unspent, the
unmet sessions a year it reaches, the marginal value (sessions a year closed per £10,000 of the step from
the budget before), its status, and why a lever offered was not bought to its limit. Every figure is a
cell of ``frontier.csv`` next to the page.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from capacity_planner.pages import environment, money, render_page
from capacity_planner.scenarios.levers import pa_text

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import pandas as pd

    from capacity_planner.pack.model import PlanningPack

__all__ = ["frontier_rows", "lever_rows", "render_frontier_html"]

STATUS_WORDS = {"optimal": "best possible (proven)", "feasible": "best found (not proven)"}
BUDGET_COLUMNS = (("Extra budget a year", True), ("Unmet sessions a year", True),
                  ("of which rapid access", True), ("Spent", True), ("Left", True),
                  ("Sessions closed per £10k", True), ("What it buys", False),
                  ("Offered but not bought, and why", False), ("Status", False))


def _num(value: object, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{float(value):,.{digits}f}"  # type: ignore[arg-type]


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def frontier_rows(frontier: pd.DataFrame) -> list[list[str]]:
    """One row of text per budget (:data:`BUDGET_COLUMNS`), read from ``frontier.csv``'s columns."""
    rows = []
    for r in frontier.to_dict("records"):
        status = STATUS_WORDS.get(str(r["status"]), str(r["status"]))
        if _text(r["reason"]):
            status += f": {r['reason']}"
        rows.append([money(r["budget"]), _num(r["unmet_sessions_per_year"]),
                     _num(r["unmet_sessions_rapid_access_per_year"]), money(r["cost_used"]),
                     money(r["budget_left"]), _num(r["sessions_closed_per_10k"], 1),
                     _text(r["levers_bought"]), _text(r["levers_not_bought"]) or "–", status])
    return rows


def lever_rows(levers: Sequence[Mapping[str, Any]], pack: PlanningPack) -> list[list[str]]:
    """The levers offered, in words: what, price, and the most that could be bought."""
    names = {a.activity_id: a.name or a.activity_id for a in pack.activities}
    rows = []
    for lv in levers:
        key = str(lv["key"])
        if key == "additional_pas":
            rows.append(["Additional PAs", "clinicians with headroom below max_pas",
                         f"up to {money(lv['rate'])} a year per PA a week",
                         f"{pa_text(float(lv['max_quantity']))} PAs a week (all headroom)"])
        else:
            kind, _, aid = key.partition(":")
            what = "Locum sessions" if kind == "locum" else "Waiting-list-initiative sessions"
            rows.append([what, names.get(aid, aid), f"{money(lv['rate'])} a session",
                         f"{float(lv['max_quantity']):,.0f} sessions a year (the clinic's unmet demand "
                         "in the no-spend plan)"])
    return rows


def _cards(frontier: pd.DataFrame) -> list[dict[str, str]]:
    first, last = frontier.iloc[0], frontier.iloc[-1]
    best = frontier["sessions_closed_per_10k"].astype(float).reset_index(drop=True)
    cards = [{"label": f"Unmet with {money(first['budget'])} extra",
              "value": _num(first["unmet_sessions_per_year"]),
              "unit": "sessions a year", "note": "the no-spend plan" if first["budget"] == 0 else ""},
             {"label": f"Unmet with {money(last['budget'])} extra",
              "value": _num(last["unmet_sessions_per_year"]),
              "unit": "sessions a year", "note": f"{money(last['cost_used'])} spent",
              "kind": "ok" if last["unmet_sessions_per_year"] < first["unmet_sessions_per_year"] else ""}]
    if best.notna().any():
        i = int(best.fillna(-1.0).to_numpy().argmax())
        cards.append({"label": "Best value step", "value": _num(best[i], 1), "unit": "sessions per £10k",
                      "note": f"from {money(frontier['budget'][i - 1])} to {money(frontier['budget'][i])}"})
    return cards


def render_frontier_html(frontier: pd.DataFrame, chart_png: bytes, chart_alt: str, pack: PlanningPack) -> str:
    """The frontier page as HTML (see the module docstring)."""
    macro = environment().get_template("components.html.j2").module.text_table  # type: ignore[attr-defined]
    budgets = Markup(macro(BUDGET_COLUMNS, frontier_rows(frontier), "What each budget buys (frontier.csv)",
                           row_header=0, table_id="frontier-table"))
    offered = lever_rows(frontier.attrs.get("levers", []), pack)
    levers = (Markup(macro((("Lever", False), ("For", False), ("Price", True), ("At most", False)), offered,
                           "Levers offered at every budget above £0", row_header=None)) if offered else "")
    return render_page(
        "frontier.html.j2", title=f"{pack.settings.name}: budget frontier",
        subtitle=(f"The least unmet demand each extra budget can reach, and what it buys: {len(frontier)} "
                  "budget(s), each planned in full."),
        sections=[("budgets", "Budgets"), ("chart", "Chart"), ("levers", "Levers and units"),
                  ("files", "Files")],
        cards=_cards(frontier), budget_table=budgets, chart_png=chart_png, chart_alt=chart_alt,
        lever_table=levers)
