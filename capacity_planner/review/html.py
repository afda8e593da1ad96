"""``review.html``: the quarterly review on one page (self-contained: inline CSS, charts as data URIs)."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

import matplotlib
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from capacity_planner.review.delivered import ReviewPeriod

if TYPE_CHECKING:
    from capacity_planner.report.charts import ChartFile

matplotlib.rcParams["text.parse_math"] = False  # names like "$\\alpha$" are text, never TeX

CSS = """
body{font-family:Arial,Helvetica,sans-serif;margin:2rem auto;max-width:1100px;color:#212b32;
line-height:1.4}
h1{font-size:1.9rem;margin-bottom:.2rem}
h2{font-size:1.35rem;border-bottom:3px solid #005eb8;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.6rem 0;font-size:.95rem}
th,td{border:1px solid #d8dde0;padding:.35rem .5rem;text-align:left}th{background:#f0f4f5}
td.num{text-align:right;font-variant-numeric:tabular-nums}.flag{background:#fff4d1}
.cards{display:flex;gap:1rem;flex-wrap:wrap}
.card{flex:1 1 200px;border-left:6px solid #005eb8;background:#f0f4f5;padding:.7rem 1rem}
.card b{display:block;font-size:1.7rem}.bad{border-left-color:#d5281b}.ok{border-left-color:#007f3b}
img{max-width:100%}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}table,img{break-inside:avoid}}
"""


def _fmt(v: object, pct: bool = False) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return "–"
    if isinstance(v, float | int):
        return f"{v:+.1f} %" if pct else f"{v:,.1f}"
    return html.escape(str(v))


def _table(
    frame: pd.DataFrame, caption: str, pct_cols: tuple[str, ...] = (), flag_col: str | None = None
) -> str:
    head = "".join(f'<th scope="col">{html.escape(c.replace("_", " "))}</th>' for c in frame.columns)
    body = []
    for _, r in frame.iterrows():
        cls = ' class="flag"' if flag_col and bool(r.get(flag_col)) else ""
        cells = []
        for c in frame.columns:
            v = r[c]
            num = isinstance(v, float | int) and not isinstance(v, bool)
            cells.append(
                f"<td{' class=num' if num else ''}>{_fmt(v, c in pct_cols) if num else _fmt(v)}</td>"
            )
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return (
        f"<table><caption>{html.escape(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _chart(ax: Axes) -> str:
    buf = io.BytesIO()
    ax.get_figure(root=True).savefig(buf, format="png", dpi=110, bbox_inches="tight")  # type: ignore[union-attr]
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _new_axes(figsize: tuple[float, float]) -> Axes:
    """An axes on a new figure drawn by the Agg canvas (no pyplot, no global backend switch)."""
    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig.add_subplot()


def planned_delivered_chart(review: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Bar chart of planned vs delivered sessions per clinician, on ``ax`` (default: a new figure)."""
    rows = review.loc[review["level"] == "clinician"]
    ax = _new_axes((9, 3.6)) if ax is None else ax
    x = range(len(rows))
    ax.bar([i - 0.2 for i in x], rows["planned_sessions"], width=0.4, label="planned", color="#005eb8")
    ax.bar([i + 0.2 for i in x], rows["delivered_sessions"], width=0.4, label="delivered", color="#ffb81c")
    ax.set_xticks(list(x), rows["clinician_id"], rotation=30, ha="right")
    ax.set_ylabel("sessions in the period")
    ax.legend(frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def demand_chart(demand: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Bar chart of expected vs actual referrals per activity, on ``ax`` (default: a new figure)."""
    ax = _new_axes((9, 3.2)) if ax is None else ax
    x = range(len(demand))
    ax.bar(
        [i - 0.2 for i in x],
        demand["expected_referrals"],
        width=0.4,
        label="expected (forecast)",
        color="#005eb8",
    )
    ax.bar([i + 0.2 for i in x], demand["actual_referrals"], width=0.4, label="actual", color="#d5281b")
    ax.set_xticks(list(x), demand["activity_id"], rotation=30, ha="right")
    ax.set_ylabel("referrals in the period")
    ax.legend(frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def render_review_html(
    title: str,
    period: ReviewPeriod,
    review: pd.DataFrame,
    kpis: pd.DataFrame,
    demand: pd.DataFrame,
    threshold_pct: float,
    spc_charts: Sequence[ChartFile] = (),
) -> str:
    """The review page as an HTML string; ``spc_charts`` (XmR charts of sessions delivered a week) are
    embedded with their alt text."""
    total = review.loc[review["level"] == "total"].iloc[0]
    flagged = review.loc[review["flagged"] & review["level"].isin(["clinician", "activity", "staff_group"])]
    active = kpis.loc[(kpis["kpi"] == "active_job_plan_pct") & (kpis["group"] == "all"), "value"]
    ahead = demand.loc[demand["demand_variance_pct"] > threshold_pct] if len(demand) else demand
    cards = [
        (
            "Sessions delivered vs planned",
            f"{total['delivered_sessions']:,.0f} / {total['planned_sessions']:,.0f}",
            f"{total['variance_pct']:+.1f} %",
            abs(total["variance_pct"]) <= threshold_pct,
        ),
        (
            f"Rows flagged (beyond ±{threshold_pct:g} %)",
            f"{len(flagged)}",
            "clinicians, activities, staff groups",
            len(flagged) == 0,
        ),
        (
            "Activities with demand ahead of forecast",
            f"{len(ahead)}",
            ", ".join(ahead["activity_id"]) if len(ahead) else "none",
            len(ahead) == 0,
        ),
        (
            "Active job plans (signed off ≤ 12 months)",
            f"{active.iloc[0]:.0f} %" if len(active) else "–",
            "target > 90 %",
            bool(len(active)) and active.iloc[0] > 90,
        ),
    ]
    card_html = "".join(
        f'<div class="card {"ok" if ok else "bad"}"><span>{html.escape(t)}</span><b>{html.escape(v)}</b>'
        f"<span>{html.escape(sub)}</span></div>"
        for t, v, sub, ok in cards
    )
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)} – quarterly review</title><style>{CSS}</style></head><body><main>",
        f"<h1>{html.escape(title)}: quarterly review</h1>",
        "<p>Planned against delivered sessions and expected against actual demand, "
        f"{period.start:%d %b %Y} to {period.end:%d %b %Y} ({period.weeks} weeks). "
        "Planned sessions allow for leave (see the method).</p>",
        f'<section class="cards">{card_html}</section>',
        "<h2>Where the plan is not being delivered</h2>",
        _table(
            flagged[
                [
                    "level",
                    "clinician_id",
                    "staff_group",
                    "activity_id",
                    "planned_sessions",
                    "delivered_sessions",
                    "variance_pct",
                    "likely_cause",
                ]
            ],
            "Flagged rows and likely cause",
            ("variance_pct",),
        )
        if len(flagged)
        else "<p>No variance beyond the threshold.</p>",
        f"<img alt='Planned and delivered sessions by clinician' "
        f"src='data:image/png;base64,{_chart(planned_delivered_chart(review))}'>",
        "<h2>Is demand running ahead of the forecast?</h2>",
        _table(
            demand, "Referrals in the period against the forecast made at plan time", ("demand_variance_pct",)
        )
        if len(demand)
        else "<p>No referrals recorded for the period.</p>",
    ]
    if len(demand):
        parts.append(
            f"<img alt='Expected and actual referrals by activity' "
            f"src='data:image/png;base64,{_chart(demand_chart(demand))}'>"
        )
    if spc_charts:
        parts.append("<h2>Is delivery stable? (XmR charts)</h2>")
        parts.append("<p>Sessions delivered a week in the Making Data Count style: the red line is the "
                     "plan's sessions a week; grey points are common-cause variation, blue and orange "
                     "points special causes (better or worse than usual); the icons say whether the plan "
                     "is reliably met.</p>")
        for c in spc_charts:
            b64 = base64.b64encode(c.path.read_bytes()).decode("ascii")
            alt = html.escape(c.alt, quote=True)
            parts.append(f"<figure><img alt='{alt}' src='data:image/png;base64,{b64}'>"
                         f"<figcaption>{html.escape(c.title)}</figcaption></figure>")
    parts += [
        "<h2>KPIs (E-job planning, Appendix 5)</h2>",
        _table(kpis, "Key performance indicators"),
        "<h2>All rows</h2>",
        _table(review, "Planned and delivered sessions by level", ("variance_pct",), "flagged"),
        "</main></body></html>",
    ]
    return "\n".join(parts)
