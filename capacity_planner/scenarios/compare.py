"""Scenario comparison: one row per scenario, the charts and ``comparison.html``.

Every figure of a row is computed from that scenario's own output files (``gaps.csv``, ``clinicians.csv``,
``allocation.csv``, ``summary.json`` and ``costs.csv`` in its folder), so it can be traced:

* ``unmet_*``: sums of ``gap_sessions_per_year`` / ``gap_dcc_hours_per_year`` of ``gaps.csv`` (all
  activities, and rapid-access ones as flagged in ``requirements.csv``); ``unmet_sessions_current_plan``
  is the same sum for the scenario's current job plan (``current_sessions_per_year``).
* ``added_sessions_*`` split the fall in unmet demand from the current plan to the proposed one
  (session-weeks a year) by source: ``locum``/``wli`` sessions bought; ``new_posts``: DCC sessions of
  new posts in activities with demand (each cell the session-weeks it supplies: working weeks, half for an
  alternate-week cell); ``additional_pas``: additional PAs a week x
  working weeks of existing clinicians; ``redistribution``: the remainder, i.e. sessions moved between
  activities and clinicians within contracted PAs (negative when sources above add more sessions than the
  fall in unmet demand, e.g. a new post's sessions in activities already covered).
* ``dcc_spa_ratio_<group>``: DCC PAs / SPA PAs of the staff group in ``clinicians.csv``.
* costs: :mod:`capacity_planner.scenarios.costs`; ``*_delta`` columns are differences from the
  ``baseline`` row (the pack as it is).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from capacity_planner import constants as C
from capacity_planner._csv import write_csv
from capacity_planner.pack.costs import PA_SCALE, pa_units
from capacity_planner.scenarios.costs import COMPONENTS
from capacity_planner.scenarios.spec import BASELINE
from capacity_planner.solver.supply import cell_supply, weekday_supply

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping, Sequence
    from pathlib import Path

    from matplotlib.figure import Figure

    from capacity_planner.plan_summary import PlanSummary
    from capacity_planner.report import charts as CH
    from capacity_planner.scenarios.page import ComparisonContext
    from capacity_planner.scenarios.transforms import ScenarioPack

COLUMNS: tuple[str, ...] = (
    "scenario", "description", "status", "reason", "levers_not_bought",
    "required_sessions_per_year",
    "unmet_sessions_per_year", "unmet_sessions_delta", "unmet_sessions_rapid_access_per_year",
    "unmet_dcc_hours_per_year", "unmet_dcc_hours_rapid_access_per_year",
    "unmet_sessions_current_plan_per_year",
    "added_sessions_redistribution_per_year", "added_sessions_additional_pas_per_year",
    "added_sessions_locum_per_year", "added_sessions_wli_per_year", "added_sessions_new_posts_per_year",
    "additional_pas", "locum_sessions_per_year", "wli_sessions_per_year", "new_posts", "new_post_pas",
    "changed_sessions",
    "annual_cost", "annual_cost_delta", *(f"cost_{c}" for c in COMPONENTS),
)
RATIO_PREFIX = "dcc_spa_ratio_"
DECIMALS = 4
FAILED = ("infeasible", "unknown", "model_invalid", "error")


def _r(x: float, nd: int = DECIMALS) -> float:
    return float(round(float(x), nd)) if x is not None and math.isfinite(float(x)) else float("nan")


def plan_metrics(spack: ScenarioPack, tables: Mapping[str, pd.DataFrame], summary: PlanSummary,
                 requirements: pd.DataFrame) -> dict[str, Any]:
    """The comparison figures of one solved scenario (see the module docstring)."""
    pack = spack.pack
    gaps = tables["gaps"]
    rapid_ids = set(requirements.loc[requirements["rapid_access"].astype(bool), "activity_id"])
    rapid = gaps["activity_id"].isin(rapid_ids)
    required = gaps["required_sessions_per_year"].astype(float)
    unmet = float(gaps["gap_sessions_per_year"].sum())
    unmet_current = float(np.maximum(0.0, required - gaps["current_sessions_per_year"].astype(float)).sum())
    bought = {str(k): float(v) for k, v in summary.bought_sessions.items()}
    kinds = {p.activity_id: p.kind for p in spack.allowances.purchased_sessions}
    locum = sum(n for a, n in bought.items() if kinds.get(a, "locum") == "locum")
    wli = sum(n for a, n in bought.items() if kinds.get(a) == "wli")
    weeks = {c.clinician_id: c.working_weeks for c in pack.clinicians}
    new_ids = spack.new_post_ids
    demand_acts = set(gaps.loc[required > 0, "activity_id"])
    dcc = {a.activity_id for a in pack.activities if a.is_dcc}
    alloc = tables["allocation"]
    new_cells = alloc[alloc["clinician_id"].isin(new_ids) & alloc["activity_id"].isin(demand_acts & dcc)]
    by_day = weekday_supply(pack)  # weekday-true sessions a year of a weekly cell (None: even spread)
    new_sessions = sum((_cell_sessions({str(k): v for k, v in r.items()}, weeks, by_day)
                        for r in new_cells.to_dict("records")), 0.0)
    clin = tables["clinicians"]
    old = clin[~clin["clinician_id"].isin(new_ids)]
    apa_sessions = float(sum(pa_units(p) / PA_SCALE * weeks[str(c)]
                             for c, p in zip(old["clinician_id"], old["apa_pas"], strict=True)))
    fall = unmet_current - unmet
    row: dict[str, Any] = {
        "required_sessions_per_year": _r(required.sum()),
        "unmet_sessions_per_year": _r(unmet),
        "unmet_sessions_rapid_access_per_year": _r(gaps.loc[rapid, "gap_sessions_per_year"].sum()),
        "unmet_dcc_hours_per_year": _r(gaps["gap_dcc_hours_per_year"].sum()),
        "unmet_dcc_hours_rapid_access_per_year": _r(gaps.loc[rapid, "gap_dcc_hours_per_year"].sum()),
        "unmet_sessions_current_plan_per_year": _r(unmet_current),
        "added_sessions_redistribution_per_year": _r(fall - locum - wli - new_sessions - apa_sessions),
        "added_sessions_additional_pas_per_year": _r(apa_sessions),
        "added_sessions_locum_per_year": _r(locum),
        "added_sessions_wli_per_year": _r(wli),
        "added_sessions_new_posts_per_year": _r(new_sessions),
        "additional_pas": _r(float(summary.additional_pas or 0.0)),
        "locum_sessions_per_year": _r(locum),
        "wli_sessions_per_year": _r(wli),
        "changed_sessions": int(summary.changed_sessions or 0),
    }
    for group, g in clin.groupby("staff_group", sort=False):
        spa = float(g["spa_pas"].sum())
        row[f"{RATIO_PREFIX}{group}"] = _r(float(g["dcc_pas"].sum()) / spa, 3) if spa > 0 else float("nan")
    return row


def _cell_sessions(cell: Mapping[str, Any], weeks: Mapping[str, float],
                   by_day: Mapping[str, Mapping[str, float]] | None) -> float:
    """Sessions a year one ``allocation.csv`` row supplies, as the plan counts them: a weekly cell its
    clinician's working weeks (weekday-true: the sessions its day gives, ``by_day``); a cell that runs
    ``weeks_per_year`` of them (an alternate-week cell, ``week`` A or B: half) that share of it, to the
    nearest session (:func:`capacity_planner.solver.supply.cell_supply`); a 2-hour half (``half`` 1 or 2)
    half a session (docs/method.md, "Half sessions")."""
    cid = str(cell["clinician_id"])
    working = float(weeks[cid])
    weekly = float(by_day[cid][str(cell["day"])]) if by_day is not None and cid in by_day else working
    run = pd.to_numeric(pd.Series([cell.get("weeks_per_year")]), errors="coerce").iloc[0]
    run = working if pd.isna(run) else float(run)
    half = 0.5 if str(cell.get("half", "") or "").removesuffix(".0") in ("1", "2") else 1.0
    return half * cell_supply(run, working, weekly)


def base_metrics(spack: ScenarioPack | None) -> dict[str, Any]:
    """Figures known without a plan (new posts)."""
    if spack is None:
        return {"new_posts": 0, "new_post_pas": 0.0}
    return {"new_posts": len(spack.new_posts),
            "new_post_pas": _r(sum(p.contracted_pas for p in spack.new_posts))}


def _ratio_order(columns: Sequence[str]) -> list[str]:
    ratios = [c for c in columns if c.startswith(RATIO_PREFIX)]
    order = {g: i for i, g in enumerate(C.STAFF_GROUPS)}
    return sorted(ratios, key=lambda c: (order.get(c[len(RATIO_PREFIX):], 99), c))


def comparison_table(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The comparison: rows in the order given (baseline first), :data:`COLUMNS` then the DCC:SPA ratios,
    with ``unmet_sessions_delta`` and ``annual_cost_delta`` taken from the ``baseline`` row."""
    frame = pd.DataFrame([dict(r) for r in rows])
    for col in COLUMNS:
        if col not in frame.columns:
            frame[col] = np.nan
    base = frame.loc[frame["scenario"] == BASELINE]
    deltas = (("unmet_sessions_delta", "unmet_sessions_per_year"), ("annual_cost_delta", "annual_cost"))
    for col, src in deltas:
        ref = float(base[src].iloc[0]) if len(base) and pd.notna(base[src].iloc[0]) else float("nan")
        frame[col] = (frame[src].astype(float) - ref).round(2 if col == "annual_cost_delta" else DECIMALS)
    out = frame[list(COLUMNS) + _ratio_order(list(frame.columns))].copy()
    for col in ("description", "reason", "levers_not_bought"):
        out[col] = out[col].fillna("").astype(str)
    out["changed_sessions"] = out["changed_sessions"].astype("Int64")
    out["new_posts"] = out["new_posts"].astype("Int64")
    return out.reset_index(drop=True)


# ---- charts -----------------------------------------------------------------------------------------
def _figure(width: float, height: float) -> Figure:
    from capacity_planner.pages.chart_style import new_figure

    return new_figure(width, height)


def pareto(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the points no other point beats on both x (cost) and y (unmet), sorted by x."""
    order = sorted(range(len(points)), key=lambda i: (points[i][0], points[i][1]))
    out, best = [], math.inf
    for i in order:
        if points[i][1] < best - 1e-9:
            out.append(i)
            best = points[i][1]
    return out


# Offsets (points) tried in turn for a point's label; the first whose box overlaps no label placed before
# and no other point is used.
LABEL_OFFSETS: tuple[tuple[float, float], ...] = (
    (5, 4), (5, -12), (-5, 4), (-5, -12), (5, 14), (-5, 14), (5, -22), (-5, -22), (5, 24), (-5, 24),
    (5, -32), (-5, -32), (5, 34), (-5, 34), (5, -42), (-5, -42))
LABEL_FONT = 8.0


def place_labels(points_px: Sequence[tuple[float, float]], labels: Sequence[str],
                 font_pt: float = LABEL_FONT, dpi: float = 120.0) -> list[tuple[float, float, str]]:
    """Offsets (x, y in points) and horizontal alignment for each label so that no two label boxes
    overlap and no box covers a point, trying :data:`LABEL_OFFSETS` in turn (the last one when none
    fits). Boxes are estimated: 0.6 em a character wide, 1.2 em high."""
    scale = dpi / 72.0
    w_of = [0.6 * font_pt * len(t) * scale for t in labels]
    h = 1.2 * font_pt * scale
    placed: list[tuple[float, float, float, float]] = []
    out = []
    for (px, py), w in zip(points_px, w_of, strict=True):
        choice = LABEL_OFFSETS[-1]
        for dx, dy in LABEL_OFFSETS:
            x0 = px + dx * scale if dx >= 0 else px + dx * scale - w
            y0 = py + dy * scale
            box = (x0, y0, x0 + w, y0 + h)
            hits_box = any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3]
                           for b in placed)
            hits_point = any(box[0] - 2 < qx < box[2] + 2 and box[1] - 2 < qy < box[3] + 2
                             for qx, qy in points_px)
            if not hits_box and not hits_point:
                choice = (dx, dy)
                break
        dx, dy = choice
        x0 = px + dx * scale if dx >= 0 else px + dx * scale - w
        placed.append((x0, py + dy * scale, x0 + w, py + dy * scale + h))
        out.append((dx, dy, "left" if dx >= 0 else "right"))
    return out


def cost_unmet_chart(comparison: pd.DataFrame, *, risks: Collection[str] = (),
                     max_labels: int = 40) -> CH.Chart:
    """Change in annual cost against unmet sessions a year, one labelled point per solved scenario; the
    efficient (Pareto) options joined by a line; ``risks`` (scenarios that remove capacity) drawn as
    triangles and never on that line. Labels are placed so they do not overlap (:func:`place_labels`)."""
    from capacity_planner.pages.chart_style import NHS_WARM_YELLOW, SERIES, style_axes
    from capacity_planner.report import charts as CH

    ok = comparison[comparison["annual_cost_delta"].notna() & comparison["unmet_sessions_per_year"].notna()]
    fig = _figure(9, 6)
    ax = style_axes(fig.add_subplot(), grid="both")
    xs = (ok["annual_cost_delta"].astype(float) / 1000).tolist()
    ys = ok["unmet_sessions_per_year"].astype(float).tolist()
    names = ok["scenario"].astype(str).tolist()
    is_risk = [n in risks for n in names]
    options = [i for i in range(len(names)) if not is_risk[i]]
    front = [options[k] for k in pareto([(xs[i], ys[i]) for i in options])]
    ax.scatter([xs[i] for i in options], [ys[i] for i in options], s=30, color=SERIES["planned"], zorder=3,
               label="option")
    if any(is_risk):
        risk_idx = [i for i in range(len(names)) if is_risk[i]]
        ax.scatter([xs[i] for i in risk_idx], [ys[i] for i in risk_idx], s=46, marker="^",
                   color=NHS_WARM_YELLOW, edgecolor=SERIES["total"], zorder=3, label="risk (capacity lost)")
    if front:
        ax.plot([xs[i] for i in front], [ys[i] for i in front], color=SERIES["total"], lw=1, ls="--",
                zorder=2, label="efficient options")
    ax.legend(loc="upper right", frameon=False)
    show = set(range(len(names))) if len(names) <= max_labels else set(front) | {
        i for i, n in enumerate(names) if n == BASELINE or is_risk[i]}
    at: dict[tuple[float, float], list[str]] = {}  # scenarios at the same point share one label
    for i in sorted(show):
        at.setdefault((round(xs[i], 6), round(ys[i], 6)), []).append(names[i])
    ax.margins(x=0.2, y=0.1)
    ax.axvline(0, color=SERIES["current"], lw=0.8)
    ax.set_xlabel("Change in annual cost from the baseline (£ thousand a year)")
    ax.set_ylabel("Unmet demand (sessions a year)")
    ax.set_title("Annual cost against unmet demand, by scenario")
    ax.set_ylim(bottom=0)
    fig.canvas.draw()  # fix the limits, so data map to pixels as they will be drawn
    spots = list(at)
    pixels = [tuple(ax.transData.transform(p)) for p in spots]
    texts = [", ".join(at[p]) for p in spots]
    for (x, y), text, (dx, dy, ha) in zip(spots, texts, place_labels(pixels, texts, dpi=fig.dpi),
                                          strict=True):
        ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", fontsize=LABEL_FONT, ha=ha,
                    va="bottom")
    n_failed = int((~comparison.index.isin(ok.index)).sum())
    alt = (f"Scatter chart of {len(ok)} scenarios: change in annual cost (x) against unmet sessions a "
           "year (y)" + (f"; {n_failed} scenario(s) without a plan are not shown" if n_failed else "")
           + ". Efficient options: "
           + ", ".join(f"{names[i]} ({xs[i]:+,.0f}k, {ys[i]:,.0f})" for i in front)
           + (". Risks: " + ", ".join(f"{names[i]} ({xs[i]:+,.0f}k, {ys[i]:,.0f})"
                                      for i in range(len(names)) if is_risk[i]) if any(is_risk) else ""))
    return CH.Chart("cost_vs_unmet", "Annual cost against unmet demand", alt, fig)


def gap_by_activity_chart(gaps: pd.DataFrame, scenarios: Sequence[str],
                          activity_names: Mapping[str, str] | None = None) -> CH.Chart:
    """Heat map of unmet sessions a year by activity (columns, by name) and scenario (rows)."""
    import textwrap

    from capacity_planner.report import charts as CH

    wide = gaps.pivot_table(index="scenario", columns="activity_id", values="gap_sessions_per_year",
                            aggfunc="sum") if len(gaps) else pd.DataFrame()
    rows = [s for s in scenarios if s in wide.index]
    order = list(dict.fromkeys(gaps["activity_id"])) if len(gaps) else []  # the pack's activity order
    cols = [c for c in order if c in wide.columns and float(wide[c].fillna(0).abs().sum()) > 0]
    data = wide.loc[rows, cols].to_numpy(dtype=float) if rows and cols else np.zeros((0, 0))
    fig = _figure(max(6.0, 1.1 * len(cols) + 3), min(40.0, max(3.0, 0.28 * len(rows) + 1.8)))
    ax = fig.add_subplot()
    if data.size:
        im = ax.imshow(data, aspect="auto", cmap="Reds", vmin=0)
        names = activity_names or {}
        ax.set_xticks(range(len(cols)), [textwrap.fill(names.get(str(c), str(c)), 18) for c in cols],
                      rotation=30, ha="right")
        ax.set_yticks(range(len(rows)), rows, fontsize=7 if len(rows) > 30 else 9)
        if data.size <= 600:
            top = float(np.nanmax(data)) if np.isfinite(data).any() else 0.0
            for (i, j), v in np.ndenumerate(data):
                if np.isfinite(v):
                    ax.text(j, i, f"{v:,.0f}", ha="center", va="center", fontsize=7,
                            color="white" if top and v > 0.6 * top else "black")
        fig.colorbar(im, ax=ax, label="unmet sessions a year")
    else:
        ax.text(0.5, 0.5, "No unmet demand in any scenario", ha="center", va="center")
        ax.set_axis_off()
    ax.set_title("Unmet demand by activity and scenario (sessions a year)")
    totals = {s: float(np.nansum(data[i])) for i, s in enumerate(rows)} if data.size else {}
    alt = ("Heat map of unmet sessions a year by activity for each scenario. Activities with a gap: "
           + (", ".join((activity_names or {}).get(str(c), str(c)) for c in cols) or "none") + ". Totals: "
           + ", ".join(f"{s} {t:,.0f}" for s, t in list(totals.items())[:60]))
    return CH.Chart("gap_by_activity", "Unmet demand by activity and scenario", alt, fig)


def write_comparison_outputs(out_dir: Path, comparison: pd.DataFrame, gaps: pd.DataFrame,
                             costs: pd.DataFrame, context: ComparisonContext | None = None) -> list[Path]:
    """Write comparison.csv, costs.csv, gaps.csv (long), charts/*.png and comparison.html
    (:func:`capacity_planner.scenarios.page.write_comparison_html`) into ``out_dir``, each file
    atomically. ``context`` gives the page the service name, the scenarios (which are risks) and names."""
    from capacity_planner.report import charts as CH
    from capacity_planner.scenarios.page import ComparisonContext, risk_names, write_comparison_html

    ctx = context or ComparisonContext()
    written = []
    for name, frame in (("comparison.csv", comparison), ("costs.csv", costs), ("gaps.csv", gaps)):
        written.append(_atomic_csv(frame, out_dir / name))
    charts = [cost_unmet_chart(comparison, risks=set(risk_names(ctx))),
              gap_by_activity_chart(gaps, comparison["scenario"].tolist(), ctx.activity_names)]
    files = []
    for chart in charts:
        tmp = out_dir / "charts" / f".{chart.name}.tmp"
        tmp.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(CH.png_bytes(chart))
        dest = tmp.with_name(f"{chart.name}.png")
        tmp.replace(dest)
        w, h = chart.size_px
        files.append(CH.ChartFile(chart.name, chart.title, chart.alt, dest, w, h))
        written.append(dest)
    written.append(write_comparison_html(out_dir / "comparison.html", comparison, costs, gaps, files, ctx))
    return written


def _atomic_csv(frame: pd.DataFrame, path: Path) -> Path:
    tmp = path.with_name(f".{path.name}.tmp")
    write_csv(frame, tmp)
    tmp.replace(path)
    return path
