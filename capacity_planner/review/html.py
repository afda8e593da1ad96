"""``review.html``: the quarterly review on one page (self-contained: inline CSS, charts as data URIs)."""

from __future__ import annotations

import base64
import html
import io
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import matplotlib
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from capacity_planner.report.excel import STAFF_GROUP_WORDS, in_words
from capacity_planner.review.delivered import ReviewPeriod
from capacity_planner.review.kpis import KPI_LABELS

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
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}.flag{background:#fff4d1}
.cards{display:flex;gap:1rem;flex-wrap:wrap}
.card{flex:1 1 200px;border-left:6px solid #005eb8;background:#f0f4f5;padding:.7rem 1rem}
.card b{display:block;font-size:1.7rem}.bad{border-left-color:#d5281b}.ok{border-left-color:#007f3b}
img{max-width:100%}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}table,img{break-inside:avoid}}
"""


MISSING = "–"
NOT_FLAGGED = "—"
LEVEL_WORDS = {"total": "Whole team", "staff_group": "Staff group", "activity": "Activity",
               "clinician": "Clinician", "clinician_activity": "Clinician × activity"}
SUMMARY_LEVELS = ("total", "staff_group", "activity", "clinician")  # clinician × activity: review.csv
STAFF_GROUP_KPIS = frozenset({"active_job_plan_pct", "planned_dcc_ratio", "dcc_spa_ratio",
                              "session_variance_pct", "locum_sessions", "wli_sessions", "premium_spend"})


def _missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and pd.isna(v))


def count_text(v: object) -> str:
    """Sessions or referrals: whole numbers without decimals, fractions (planned sessions) to one."""
    if _missing(v):
        return MISSING
    text = f"{float(v):,.1f}"  # type: ignore[arg-type]
    return text[:-2] if text.endswith(".0") else text


def pct_text(v: object, signed: bool = False) -> str:
    """A percentage to one decimal ("6.8 %"; ``signed``: "+17.7 %")."""
    if _missing(v):
        return MISSING
    return f"{float(v):+.1f} %" if signed else f"{float(v):.1f} %"  # type: ignore[arg-type]


def _signed_sessions(v: object) -> str:
    """A difference in sessions to one decimal with its sign; a difference that rounds to 0 is "0.0"."""
    if _missing(v):
        return MISSING
    text = f"{float(v):+,.1f}"  # type: ignore[arg-type]
    return "0.0" if text in ("+0.0", "-0.0") else text


def flag_text(flagged: object) -> str:
    """A flag in words: "yes", or a dash when the row is within the threshold."""
    return "yes" if bool(flagged) else NOT_FLAGGED


def kpi_value_text(kpi: str, value: object, unit: str) -> str:
    """A KPI value as the page shows it: percentages and shares (0–1) as "6.8 %", money as £, counts
    whole; variances signed."""
    if _missing(value):
        return MISSING
    x = float(value)  # type: ignore[arg-type]
    if unit == "%":
        return pct_text(x, signed=kpi.endswith("variance_pct"))
    if unit in ("share", "ratio"):
        return pct_text(100.0 * x)
    if unit == "GBP":
        return f"£{x:,.0f}"
    if unit == "sessions":
        return count_text(x)
    return f"{x:,.1f}"


def kpi_label(kpi: str) -> str:
    """The KPI's name in plain words (:data:`capacity_planner.review.kpis.KPI_LABELS`)."""
    return KPI_LABELS.get(kpi, (kpi.replace("_", " "), ""))[0]


def _kpi_basis(kpi: str, numerator: object, denominator: object) -> str:
    template = KPI_LABELS.get(kpi, ("", ""))[1]
    if not template or _missing(numerator) or _missing(denominator):
        return ""
    return template.format(n=count_text(numerator), d=count_text(denominator))


def staff_group_text(code: object) -> str:
    """A staff group in words ("SAS doctor"; :data:`capacity_planner.report.excel.STAFF_GROUP_WORDS`)."""
    return "All" if code == "all" else str(in_words(code, STAFF_GROUP_WORDS))


def _name(value: object, names: Mapping[str, str]) -> str:
    key = "" if _missing(value) else str(value)
    return names.get(key) or key


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], caption: str,
           numeric: Sequence[str] = (), flagged: Sequence[bool] = ()) -> str:
    """An HTML table of already formatted cells; a column empty in every row is left out."""
    keep = [i for i in range(len(headers)) if any(r[i] not in ("", MISSING) for r in rows)]
    head = "".join(
        f'<th scope="col"{" class=num" if headers[i] in numeric else ""}>{html.escape(headers[i])}</th>'
        for i in keep)
    body = []
    for n, r in enumerate(rows):
        cls = ' class="flag"' if n < len(flagged) and flagged[n] else ""
        cells = "".join(f"<td{' class=num' if headers[i] in numeric else ''}>{html.escape(r[i])}</td>"
                        for i in keep)
        body.append(f"<tr{cls}>{cells}</tr>")
    return (f"<table><caption>{html.escape(caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>")


def _who(row: pd.Series, clinician_names: Mapping[str, str], activity_names: Mapping[str, str]) -> str:
    level = row["level"]
    if level == "clinician":
        return _name(row["clinician_id"], clinician_names)
    if level == "activity":
        return _name(row["activity_id"], activity_names)
    if level == "clinician_activity":
        return (f"{_name(row['clinician_id'], clinician_names)}: "
                f"{_name(row['activity_id'], activity_names)}")
    if level == "staff_group":
        return staff_group_text(row["staff_group"])
    return "All"


def variance_table(review: pd.DataFrame, caption: str, clinician_names: Mapping[str, str],
                   activity_names: Mapping[str, str], threshold_pct: float,
                   cause: bool = False) -> str:
    """Planned against delivered sessions, one row per review row, in words."""
    headers = ["Level", "Who or what", "Planned sessions", "Delivered sessions", "Difference", "Variance",
               f"Beyond ±{threshold_pct:g} %", "Likely cause"]
    rows = [[LEVEL_WORDS.get(r["level"], str(r["level"])), _who(r, clinician_names, activity_names),
             count_text(r["planned_sessions"]), count_text(r["delivered_sessions"]),
             _signed_sessions(r["variance_sessions"]), pct_text(r["variance_pct"], signed=True),
             "" if cause else flag_text(r["flagged"]), str(r["likely_cause"]) if cause else ""]
            for _, r in review.iterrows()]
    numeric = ("Planned sessions", "Delivered sessions", "Difference", "Variance")
    return _table(headers, rows, caption, numeric, [bool(f) for f in review["flagged"]])


def demand_table(demand: pd.DataFrame, activity_names: Mapping[str, str], threshold_pct: float) -> str:
    """Referrals in the period against the forecast, one row per activity."""
    headers = ["Activity", "Expected referrals (forecast)", "Actual referrals", "Variance",
               f"Ahead by more than {threshold_pct:g} %"]
    ahead = [bool(v > threshold_pct) for v in demand["demand_variance_pct"]]
    rows = [[_name(r["activity_id"], activity_names), count_text(round(float(r["expected_referrals"]))),
             count_text(r["actual_referrals"]), pct_text(r["demand_variance_pct"], signed=True),
             flag_text(a)] for (_, r), a in zip(demand.iterrows(), ahead, strict=True)]
    return _table(headers, rows, "Referrals in the period against the forecast made at plan time",
                  headers[1:4], ahead)


def _kpi_group(kpi: str, group: object, activity_names: Mapping[str, str]) -> str:
    """A KPI's group in words: a staff group, or an activity (by name) for the per-activity KPIs."""
    return staff_group_text(group) if kpi in STAFF_GROUP_KPIS else _name(group, activity_names)


def kpi_html_table(kpis: pd.DataFrame, activity_names: Mapping[str, str]) -> str:
    """The KPIs in plain words, percentages to one decimal, with what each is worked from."""
    headers = ["Indicator", "Group", "Value", "Worked from"]
    rows = [[kpi_label(r["kpi"]), _kpi_group(r["kpi"], r["group"], activity_names),
             kpi_value_text(r["kpi"], r["value"], str(r["unit"])),
             _kpi_basis(r["kpi"], r["numerator"], r["denominator"])] for _, r in kpis.iterrows()]
    return _table(headers, rows, "Key performance indicators", ("Value",))


def _chart(ax: Axes) -> str:
    buf = io.BytesIO()
    ax.get_figure(root=True).savefig(buf, format="png", dpi=110, bbox_inches="tight")  # type: ignore[union-attr]
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _new_axes(figsize: tuple[float, float]) -> Axes:
    """An axes on a new figure drawn by the Agg canvas (no pyplot, no global backend switch)."""
    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig.add_subplot()


def _tick_labels(names: Iterable[str], width: int = 22) -> list[str]:
    """Axis labels wrapped to lines of ``width`` characters, so long activity names stay on the chart."""
    return [textwrap.fill(n, width) for n in names]


def planned_delivered_chart(review: pd.DataFrame, ax: Axes | None = None,
                            clinician_names: Mapping[str, str] | None = None) -> Axes:
    """Bar chart of planned vs delivered sessions per clinician (by name, the ID when a clinician has
    none), on ``ax`` (default: a new figure)."""
    rows = review.loc[review["level"] == "clinician"]
    names = clinician_names or {}
    ax = _new_axes((9, 3.6)) if ax is None else ax
    x = range(len(rows))
    ax.bar([i - 0.2 for i in x], rows["planned_sessions"], width=0.4, label="planned", color="#005eb8")
    ax.bar([i + 0.2 for i in x], rows["delivered_sessions"], width=0.4, label="delivered", color="#ffb81c")
    labels = _tick_labels(_name(c, names) for c in rows["clinician_id"])
    ax.set_xticks(list(x), labels, rotation=30, ha="right")
    ax.set_ylabel("sessions in the period")
    ax.legend(frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def demand_chart(demand: pd.DataFrame, ax: Axes | None = None,
                 activity_names: Mapping[str, str] | None = None) -> Axes:
    """Bar chart of expected vs actual referrals per activity, on ``ax`` (default: a new figure)."""
    names = activity_names or {}
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
    labels = _tick_labels(_name(a, names) for a in demand["activity_id"])
    ax.set_xticks(list(x), labels, rotation=30, ha="right")
    ax.set_ylabel("referrals in the period")
    ax.legend(frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def _in_level_order(review: pd.DataFrame) -> pd.DataFrame:
    """The team, staff group, activity and clinician rows, in that order (stable within a level)."""
    rows = review.loc[review["level"].isin(SUMMARY_LEVELS)]
    order = rows["level"].map({lv: i for i, lv in enumerate(SUMMARY_LEVELS)})
    return rows.iloc[order.argsort(kind="stable")]


def headline_cards(review: pd.DataFrame, kpis: pd.DataFrame, threshold_pct: float,
                   activity_names: Mapping[str, str]) -> list[tuple[str, str, str, bool]]:
    """The page's headline figures as (title, figure, note, on target), each read from the rows of
    ``review.csv`` / ``kpis.csv`` (tests/test_review_html.py checks them against the files)."""
    total = review.loc[review["level"] == "total"].iloc[0]
    flagged = review.loc[review["flagged"] & review["level"].isin(["clinician", "activity", "staff_group"])]
    active = kpis.loc[(kpis["kpi"] == "active_job_plan_pct") & (kpis["group"] == "all"), "value"]
    demand = kpis.loc[kpis["kpi"] == "demand_variance_pct"]
    ahead = demand.loc[demand["value"] > threshold_pct, "group"]
    return [
        (
            "Sessions delivered / planned",
            f"{total['delivered_sessions']:,.0f} / {total['planned_sessions']:,.0f}",
            pct_text(total["variance_pct"], signed=True),
            abs(total["variance_pct"]) <= threshold_pct,
        ),
        (
            f"Rows beyond ±{threshold_pct:g} %",
            f"{len(flagged)}",
            "clinicians, activities, staff groups",
            len(flagged) == 0,
        ),
        (
            f"Activities with referrals more than {threshold_pct:g} % above forecast",
            f"{len(ahead)}",
            ", ".join(_name(a, activity_names) for a in ahead) if len(ahead) else "none",
            len(ahead) == 0,
        ),
        (
            kpi_label("active_job_plan_pct"),
            pct_text(active.iloc[0]) if len(active) else MISSING,
            "signed off in the last 12 months; target > 90 %",
            bool(len(active)) and active.iloc[0] > 90,
        ),
    ]


def render_review_html(
    title: str,
    period: ReviewPeriod,
    review: pd.DataFrame,
    kpis: pd.DataFrame,
    demand: pd.DataFrame,
    threshold_pct: float,
    spc_charts: Sequence[ChartFile] = (),
    *,
    clinician_names: Mapping[str, str] | None = None,
    activity_names: Mapping[str, str] | None = None,
) -> str:
    """The review page as an HTML string; ``spc_charts`` (XmR charts of sessions delivered a week) are
    embedded with their alt text. Clinicians and activities show by ``clinician_names`` /
    ``activity_names`` (ID -> name; the ID where there is none). Every row stays in ``review.csv`` and
    ``kpis.csv``, which the page links to by file name."""
    cnames, anames = clinician_names or {}, activity_names or {}
    flagged = review.loc[review["flagged"] & review["level"].isin(["clinician", "activity", "staff_group"])]
    card_html = "".join(
        f'<div class="card {"ok" if ok else "bad"}"><span>{html.escape(t)}</span><b>{html.escape(v)}</b>'
        f"<span>{html.escape(sub)}</span></div>"
        for t, v, sub, ok in headline_cards(review, kpis, threshold_pct, anames)
    )
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)} – quarterly review</title><style>{CSS}</style></head><body><main>",
        f"<h1>{html.escape(title)}: quarterly review</h1>",
        "<p>Planned against delivered sessions and expected against actual demand, "
        f"{period.start:%d %b %Y} to {period.end:%d %b %Y} "
        f"({period.weeks} week{'' if period.weeks == 1 else 's'}). "
        "Planned sessions allow for leave (see the method).</p>",
        f'<section class="cards">{card_html}</section>',
        "<h2>Where the plan is not being delivered</h2>",
        variance_table(flagged, "Rows beyond the threshold and their likely cause", cnames, anames,
                       threshold_pct, cause=True)
        if len(flagged)
        else "<p>No variance beyond the threshold.</p>",
        f"<img alt='Planned and delivered sessions by clinician' "
        f"src='data:image/png;base64,{_chart(planned_delivered_chart(review, clinician_names=cnames))}'>",
        variance_table(_in_level_order(review),
                       "Planned and delivered sessions: team, staff groups, activities, clinicians",
                       cnames, anames, threshold_pct),
        "<h2>Is demand running ahead of the forecast?</h2>",
        demand_table(demand, anames, threshold_pct)
        if len(demand)
        else "<p>No referrals recorded for the period.</p>",
    ]
    if len(demand):
        parts.append(
            f"<img alt='Expected and actual referrals by activity' "
            f"src='data:image/png;base64,{_chart(demand_chart(demand, activity_names=anames))}'>"
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
        "<h2>Key performance indicators (E-job planning, Appendix 5)</h2>",
        kpi_html_table(kpis, anames),
        "<h2>Every row</h2>",
        "<p>Each clinician × activity, with the variance in sessions and the flag, is in "
        "<a href='review.csv'>review.csv</a>; each indicator with its numerator, denominator and unit in "
        "<a href='kpis.csv'>kpis.csv</a> (both next to this page). The figures above are read from them.</p>",
        "</main></body></html>",
    ]
    return "\n".join(parts)
