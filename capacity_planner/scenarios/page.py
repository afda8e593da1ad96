"""``comparison.html``: the scenarios side by side for the team meeting and the finance partner, rendered by
:mod:`capacity_planner.pages` (``comparison.html.j2``).

What the page says, and where each figure comes from:

* the service (the pack's ``settings.name``) in the title;
* every scenario with its description, whether it is an *option* (something the service can choose to
  do) or a *risk* (something that removes capacity: a clinician leaving, less-than-full-time working or
  sickness absence; :func:`scenario_risk`), its status and its figures from ``comparison.csv``;
* the options' cost against unmet demand, the efficient options joined by a line; risks are drawn apart
  and never on that line (a retirement "saves" money by leaving demand unmet: it is not an option);
* each scenario's cost lines that differ from the baseline (``costs.csv``), each with its quantity, unit
  cost, the pack value or scenario key the unit cost is read from, and the scenario key that causes it
  (:func:`cost_changes`);
* where the unmet demand falls, by activity, and a note where the gap moves between activities of equal
  priority from one scenario to another (:func:`gap_moves`): the solver counts a session short in either
  alike, so the split is not something the scenario bought.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from markupsafe import Markup

from capacity_planner.pages import environment, money, render_page, signed
from capacity_planner.scenarios.spec import (
    BASELINE,
    ExtraRooms,
    RemoveClinicians,
    Scenario,
    SetContractedPas,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from capacity_planner.pack.model import PlanningPack
    from capacity_planner.report.charts import ChartFile

__all__ = ["ComparisonContext", "cost_changes", "gap_moves", "scenario_risk", "source_text",
           "write_comparison_html"]

COMPONENT_WORDS = {
    "substantive_pas": "Contracted PAs",
    "new_posts": "New post",
    "additional_pas": "Additional PAs",
    "locum_sessions": "Locum sessions",
    "wli_sessions": "Waiting-list-initiative sessions",
}
# The scenario keys that put a cost line into a plan (scenario file keys; see data/samples/scenarios.toml).
COMPONENT_KEYS = {
    "substantive_pas": ("remove_clinicians", "contracted_pas"),
    "new_posts": ("recruit", "add_clinician"),
    "additional_pas": ("additional_pas", "extra_budget"),
    "locum_sessions": ("locum", "extra_budget"),
    "wli_sessions": ("wli", "extra_budget"),
}
MOVE_THRESHOLD = 0.5  # sessions a year: smaller changes in an activity's gap are rounding


@dataclass(frozen=True)
class ComparisonContext:
    """What the comparison page needs beyond the three CSVs: the service's name, the scenarios as read
    (for their keys and kinds), clinicians' and activities' display names and the activities' priorities
    ((rapid access, priority) per activity ID)."""

    service: str = ""
    scenarios: Sequence[Scenario] = ()
    clinician_names: Mapping[str, str] = None  # type: ignore[assignment]
    activity_names: Mapping[str, str] = None  # type: ignore[assignment]
    priorities: Mapping[str, tuple[bool, int]] = None  # type: ignore[assignment]
    current_pas: Mapping[str, float] = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        for name in ("clinician_names", "activity_names", "priorities", "current_pas"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, {})

    @classmethod
    def from_pack(cls, pack: PlanningPack, scenarios: Sequence[Scenario] = (), *,
                  anonymise: bool = False) -> ComparisonContext:
        """The context of ``pack``; with ``anonymise`` clinicians show as their pseudonyms and the service
        name is scrubbed of clinicians' names."""
        service = pack.settings.name
        names = {c.clinician_id: c.name or c.clinician_id for c in pack.clinicians}
        if anonymise:
            from capacity_planner.report.anonymise import Pseudonyms

            ps = Pseudonyms.from_pack(pack)
            names = dict(ps.mapping)
            service = ps.scrub_text(service)
        return cls(service, tuple(scenarios), names,
                   {a.activity_id: a.name or a.activity_id for a in pack.activities},
                   {a.activity_id: (bool(a.rapid_access), int(a.priority)) for a in pack.activities},
                   {c.clinician_id: float(c.contracted_pas) for c in pack.clinicians if c.active})

    def clinician(self, cid: object) -> str:
        return self.clinician_names.get(str(cid), str(cid))

    def activity(self, aid: object) -> str:
        return self.activity_names.get(str(aid), str(aid))


# ---- options and risks ------------------------------------------------------------------------------
def scenario_risk(scenario: Scenario, ctx: ComparisonContext) -> str:
    """Why ``scenario`` is a risk, in words (it removes capacity: a post left empty, fewer contracted PAs,
    fewer rooms), or ``""`` when it is an option."""
    reasons = []
    for t in scenario.transforms:
        if isinstance(t, RemoveClinicians):
            who = ", ".join(ctx.clinician(c) for c in t.clinician_ids)
            reasons.append(f"{who}: post left empty (retirement, leaving or long-term sickness)")
        elif isinstance(t, SetContractedPas):
            for cid, pas in t.pas:
                now = ctx.current_pas.get(cid)
                if now is not None and pas < now:
                    reasons.append(f"{ctx.clinician(cid)} works {pas:g} PAs a week instead of {now:g} "
                                   "(less than full time or sickness)")
        elif isinstance(t, ExtraRooms) and t.rooms < 0:
            reasons.append(f"{-t.rooms} fewer {t.room_type.replace('_', ' ')}(s)")
    return "; ".join(reasons)


def risk_names(ctx: ComparisonContext) -> dict[str, str]:
    """Scenario name -> why it is a risk, for the risk scenarios only."""
    return {s.name: why for s in ctx.scenarios if (why := scenario_risk(s, ctx))}


# ---- cost lines -------------------------------------------------------------------------------------
def source_text(source: object, scenario: str = "") -> str:
    """Where a unit cost is read from, in words (``costs.csv`` ``unit_cost_source``)."""
    text = "" if source is None or (isinstance(source, float) and math.isnan(source)) else str(source)
    if text.startswith("clinicians."):
        return f"clinicians sheet, column {text.split('.', 1)[1]}"
    if text.startswith("costs "):
        item, _, group = text[len("costs "):].partition("/")
        return f"costs sheet, row {item} ({group})"
    if text.startswith("scenario "):
        key = text[len("scenario "):]
        return f"scenario file, {scenario}: {key}" if scenario else f"scenario file: {key}"
    return text or "–"


def _key_text(component: str, scenario: Scenario | None) -> str:
    """The scenario key(s) that cause a cost line, or the pack when none of the scenario's keys does."""
    keys = [k for k in COMPONENT_KEYS.get(component, ()) if scenario is not None and k in scenario.spec]
    return ", ".join(keys) if keys else "the pack (no scenario key)"


def _line_key(frame: pd.DataFrame) -> pd.Series:
    return (frame["component"].astype(str) + "|" + frame["clinician_id"].fillna("").astype(str) + "|"
            + frame["activity_id"].fillna("").astype(str))


def cost_changes(costs: pd.DataFrame, scenario: str) -> pd.DataFrame:
    """The cost lines of ``scenario`` that differ from the baseline's (added, removed or changed), with
    ``baseline_cost`` and ``change`` (GBP a year); a removed line has quantity 0 and cost 0."""
    cols = ["component", "clinician_id", "activity_id", "quantity", "unit", "unit_cost", "unit_cost_source",
            "annual_cost"]
    base = costs.loc[costs["scenario"] == BASELINE, cols].copy()
    mine = costs.loc[costs["scenario"] == scenario, cols].copy()
    base["key"], mine["key"] = _line_key(base), _line_key(mine)
    merged = mine.merge(base[["key", "annual_cost", "quantity"]], on="key", how="outer",
                        suffixes=("", "_baseline"))
    gone = merged["component"].isna()
    if gone.any():  # lines only in the baseline: the item is no longer paid for
        old = base.set_index("key").loc[merged.loc[gone, "key"]]
        for col in ("component", "clinician_id", "activity_id", "unit", "unit_cost", "unit_cost_source"):
            merged.loc[gone, col] = old[col].to_numpy()
        merged.loc[gone, ["quantity", "annual_cost"]] = 0.0
    merged["baseline_cost"] = merged["annual_cost_baseline"].fillna(0.0).astype(float)
    merged["change"] = (merged["annual_cost"].astype(float) - merged["baseline_cost"]).round(2)
    changed = merged.loc[merged["change"].abs() >= 0.5].drop(columns=["annual_cost_baseline"])
    order = {c: i for i, c in enumerate(COMPONENT_WORDS)}
    changed = changed.assign(_o=changed["component"].map(order).fillna(99))
    changed = changed.sort_values(["_o", "key"], kind="stable")
    return changed.drop(columns=["_o", "key"]).reset_index(drop=True)


def _quantity_text(quantity: float, unit: str) -> str:
    return f"{quantity:,.2f}".rstrip("0").rstrip(".") + f" {unit}"


def _cost_rows(lines: pd.DataFrame, scenario: Scenario | None, ctx: ComparisonContext) -> list[list[str]]:
    rows = []
    for r in lines.to_dict("records"):
        comp = str(r["component"])
        cid, aid = r["clinician_id"], r["activity_id"]
        who = (ctx.clinician(cid) if isinstance(cid, str) and cid
               else ctx.activity(aid) if isinstance(aid, str) else "")
        quantity = _quantity_text(float(r["quantity"]), str(r["unit"]))
        source = source_text(r["unit_cost_source"], scenario.name if scenario else "")
        rows.append([COMPONENT_WORDS.get(comp, comp), who, quantity, money(r["unit_cost"]), source,
                     _key_text(comp, scenario), money(r["baseline_cost"]), money(r["annual_cost"]),
                     signed_money(r["change"])])
    return rows


def signed_money(value: object) -> str:
    """A change in pounds with its sign: ``+£1,200``, ``−£300``, ``£0``."""
    amount = round(float(value))  # type: ignore[arg-type]
    return "£0" if amount == 0 else (f"+£{amount:,}" if amount > 0 else f"−£{-amount:,}")


# ---- the gap between activities ---------------------------------------------------------------------
def gap_moves(gaps: pd.DataFrame, scenario: str, ctx: ComparisonContext) -> list[str]:
    """Sentences for each pair of equal-priority activities between which ``scenario`` moves unmet demand
    (one's gap grows and the other's falls, by more than :data:`MOVE_THRESHOLD` sessions a year, against
    the baseline)."""
    def by_activity(name: str) -> pd.Series:
        rows = gaps.loc[gaps["scenario"] == name]
        return rows.groupby("activity_id", sort=False)["gap_sessions_per_year"].sum().astype(float)

    base, mine = by_activity(BASELINE), by_activity(scenario)
    diff = mine.sub(base, fill_value=0.0)
    out = []
    for (rapid, priority), acts in _by_priority([str(a) for a in diff.index], ctx).items():
        up = [(a, diff[a]) for a in acts if diff[a] > MOVE_THRESHOLD]
        down = [(a, diff[a]) for a in acts if diff[a] < -MOVE_THRESHOLD]
        if up and down:
            def words(pairs: list[tuple[str, float]]) -> str:
                return ", ".join(f"{ctx.activity(a)} ({signed(d)})" for a, d in pairs)
            level = "rapid-access" if rapid else f"routine priority {priority}"
            out.append(f"Unmet demand moves between activities of equal priority ({level}): "
                       f"{words(down)} fall, {words(up)} grow (sessions a year against the baseline). "
                       "The plan counts a session short in any of them the same, so this split is one of "
                       "several equally good plans, not something the scenario bought.")
    return out


def _by_priority(activities: Sequence[str], ctx: ComparisonContext) -> dict[tuple[bool, int], list[str]]:
    groups: dict[tuple[bool, int], list[str]] = {}
    for a in activities:
        if a in ctx.priorities:
            groups.setdefault(ctx.priorities[a], []).append(str(a))
    return {k: v for k, v in groups.items() if len(v) > 1}


# ---- the page ---------------------------------------------------------------------------------------
def _num(value: object, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "–"
    return f"{float(value):,.{digits}f}"  # type: ignore[arg-type]


def _text_table(columns: Sequence[tuple[str, bool]], rows: Sequence[Sequence[str]], caption: str, *,
                flagged: Sequence[bool] = (), row_header: int | None = 0, table_id: str = "") -> Markup:
    macro = environment().get_template("components.html.j2").module.text_table  # type: ignore[attr-defined]
    return Markup(macro(columns, rows, caption, flagged=list(flagged), row_header=row_header,
                        table_id=table_id))


SIDE_BY_SIDE = (("Scenario", False), ("What it is", False), ("Option or risk", False), ("Status", False),
                ("Unmet sessions a year", True), ("of which rapid access", True), ("Change in unmet", True),
                ("Annual cost", True), ("Change in cost", True))


def _side_by_side(comparison: pd.DataFrame, risks: Mapping[str, str]) -> Markup:
    rows, failed = [], []
    for r in comparison.to_dict("records"):
        name = str(r["scenario"])
        status = str(r["status"]) + (f": {r['reason']}" if r.get("reason") else "")
        kind = "baseline" if name == BASELINE else ("risk" if name in risks else "option")
        rows.append([name, str(r["description"]), kind, status, _num(r["unmet_sessions_per_year"]),
                     _num(r["unmet_sessions_rapid_access_per_year"]),
                     signed(r["unmet_sessions_delta"]) or "–", money(r["annual_cost"]) or "–",
                     (signed_money(r["annual_cost_delta"])
                      if pd.notna(r["annual_cost_delta"]) else "–")])
        failed.append(pd.isna(r["unmet_sessions_per_year"]))
    return _text_table(SIDE_BY_SIDE, rows, "Scenarios side by side (comparison.csv)", flagged=failed,
                       table_id="comparison-table")


def _risk_table(comparison: pd.DataFrame, risks: Mapping[str, str]) -> Markup | str:
    rows = [[str(r["scenario"]), risks[str(r["scenario"])], _num(r["unmet_sessions_per_year"]),
             signed(r["unmet_sessions_delta"]) or "–",
             signed_money(r["annual_cost_delta"]) if pd.notna(r["annual_cost_delta"]) else "–"]
            for r in comparison.to_dict("records") if str(r["scenario"]) in risks]
    if not rows:
        return ""
    columns = (("Risk", False), ("Capacity it removes", False), ("Unmet sessions a year", True),
               ("Change in unmet", True), ("Change in pay bill", True))
    return _text_table(columns, rows, "Risks: what happens to unmet demand if capacity is lost")


COST_COLUMNS = (("Item", False), ("Who or what", False), ("Quantity", True), ("Unit cost a year", True),
                ("Unit cost read from", False), ("Because of", False), ("Baseline", True),
                ("This scenario", True), ("Change", True))


def _cost_sections(comparison: pd.DataFrame, costs: pd.DataFrame,
                   ctx: ComparisonContext) -> list[dict[str, Any]]:
    specs = {s.name: s for s in ctx.scenarios}
    out = []
    for r in comparison.to_dict("records"):
        name = str(r["scenario"])
        if name == BASELINE or pd.isna(r["annual_cost"]):
            continue
        lines = cost_changes(costs, name)
        total = (f"Annual cost {money(r['annual_cost'])}, {signed_money(r['annual_cost_delta'])} against the "
                 "baseline")
        table = (_text_table(COST_COLUMNS, _cost_rows(lines, specs.get(name), ctx),
                             f"{name}: cost lines that differ from the baseline", row_header=None)
                 if len(lines) else "")
        not_bought = r.get("levers_not_bought")
        out.append({"name": name, "description": str(r["description"]), "total": total, "table": table,
                    "not_bought": not_bought if isinstance(not_bought, str) else ""})
    return out


def _baseline_cost_rows(costs: pd.DataFrame) -> list[list[str]]:
    """The baseline's pay bill by component and unit-cost source."""
    base = costs.loc[costs["scenario"] == BASELINE]
    rows = []
    for (comp, source), g in base.groupby(["component", "unit_cost_source"], sort=False):
        rows.append([COMPONENT_WORDS.get(str(comp), str(comp)),
                     _quantity_text(float(g["quantity"].sum()), str(g["unit"].iloc[0])),
                     source_text(source), money(g["annual_cost"].sum())])
    return rows


@dataclass(frozen=True)
class PageChart:
    """A chart as the page embeds it."""

    png: bytes
    alt: str
    caption: str


def render_comparison_html(comparison: pd.DataFrame, costs: pd.DataFrame, gaps: pd.DataFrame,
                           charts: Sequence[ChartFile], ctx: ComparisonContext) -> str:
    """The comparison page as HTML (see the module docstring for what it shows)."""
    risks = risk_names(ctx)
    moves = {str(s): gap_moves(gaps, str(s), ctx) for s in comparison["scenario"] if str(s) != BASELINE}
    baseline_rows = _baseline_cost_rows(costs)
    sections = [("scenarios", "Scenarios"), ("options", "Cost and unmet demand")]
    if risks:
        sections.append(("risks", "Risks"))
    sections += [("gaps", "Where the gap is"), ("costs", "Cost lines"), ("files", "Files")]
    title = f"{ctx.service}: scenario comparison" if ctx.service else "Scenario comparison"
    return render_page(
        "comparison.html.j2", title=title,
        subtitle=(f"{len(comparison) - 1} scenario(s) against the baseline (the pack as it is): unmet "
                  "demand, annual cost and where each cost comes from."),
        sections=sections,
        side_by_side=_side_by_side(comparison, risks),
        charts={c.name: PageChart(c.path.read_bytes(), c.alt, c.title) for c in charts},
        risk_table=_risk_table(comparison, risks),
        moves=[(s, m) for s, ms in moves.items() for m in ms],
        baseline_costs=_text_table((("Item", False), ("Quantity", True), ("Unit cost read from", False),
                                    ("Annual cost", True)), baseline_rows,
                                   "Baseline pay bill by item and price source", row_header=None)
        if baseline_rows else "",
        cost_sections=_cost_sections(comparison, costs, ctx),
    )


def write_comparison_html(out_path: Path, comparison: pd.DataFrame, costs: pd.DataFrame, gaps: pd.DataFrame,
                          charts: Sequence[ChartFile], ctx: ComparisonContext) -> Path:
    """Write ``comparison.html`` atomically (a temporary file renamed into place)."""
    out_path = Path(out_path)
    tmp = out_path.with_name(f".{out_path.name}.tmp")
    tmp.write_text(render_comparison_html(comparison, costs, gaps, charts, ctx), encoding="utf-8")
    tmp.replace(out_path)
    return out_path
