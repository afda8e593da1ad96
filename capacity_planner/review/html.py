"""``review.html``: the quarterly review on one page, rendered by :mod:`capacity_planner.pages`
(``review.html.j2`` on the shared frame: one stylesheet, contents bar, print CSS; charts embedded as data
URIs in the house chart style of :mod:`capacity_planner.pages.chart_style`).

The page's words and numbers are formatted here, one small function per rule (names for IDs, percentages
to one decimal, flags as words), and handed to the template as text; every headline figure is read from
the rows of ``review.csv`` / ``kpis.csv`` (:func:`headline_cards`)."""

from __future__ import annotations

import datetime as dt
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
from markupsafe import Markup

from capacity_planner.pages import environment, render_page
from capacity_planner.pages.chart_style import SERIES, new_figure, png_bytes, style_axes
from capacity_planner.report.excel import STAFF_GROUP_WORDS, in_words
from capacity_planner.review.kpis import KPI_LABELS

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from matplotlib.axes import Axes

    from capacity_planner.report.charts import ChartFile
    from capacity_planner.review import ReviewResult
    from capacity_planner.review.delivered import ReviewPeriod


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
    """A difference in sessions to one decimal with its sign; a difference that rounds to 0 is "0" (as a
    count of 0 is shown; "0.0" reads like a flag), e.g. nothing planned and nothing delivered in a period
    whose only Monday is a bank holiday."""
    if _missing(v):
        return MISSING
    text = f"{float(v):+,.1f}"  # type: ignore[arg-type]
    return "0" if text in ("+0.0", "-0.0") else text


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
    """The KPI's name in plain words (:data:`capacity_planner.review.kpis.KPI_LABELS`); a KPI the table
    does not name keeps its ``kpis.csv`` name verbatim (never made from it mechanically)."""
    return KPI_LABELS.get(kpi, (kpi, ""))[0]


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
           numeric: Sequence[str] = (), flagged: Sequence[bool] = ()) -> Markup:
    """An HTML table of already formatted cells (the ``text_table`` component); a column empty in every
    row is left out, and a flagged row is shaded."""
    keep = [i for i in range(len(headers)) if any(r[i] not in ("", MISSING) for r in rows)]
    columns = [(headers[i], headers[i] in numeric) for i in keep]
    cells = [[r[i] for i in keep] for r in rows]
    macro = environment().get_template("components.html.j2").module.text_table  # type: ignore[attr-defined]
    return Markup(macro(columns, cells, caption, flagged=[bool(f) for f in flagged]))


def row_label(row: Mapping[Any, Any] | pd.Series, clinician_names: Mapping[str, str],
              activity_names: Mapping[str, str]) -> str:
    """Who or what a review row is about, in words: a clinician's or activity's name (the ID where there is
    none), "name: activity" for a clinician × activity row, a staff group in words, "All" for the team."""
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
    rows = [[LEVEL_WORDS.get(r["level"], str(r["level"])), row_label(r, clinician_names, activity_names),
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


def compared_over_text(demand: pd.DataFrame, period: ReviewPeriod, monthly: bool = False) -> str:
    """What the referrals are compared over, in words: for a monthly pack (``monthly``) the whole calendar
    months of the ``compared_over`` column of the demand comparison
    (:func:`capacity_planner.review.kpis.review_months`), else the weeks of the review period, up to the
    last week the referrals reach (the ``compared_over`` column, :func:`capacity_planner.review.kpis.
    reported_weeks`)."""
    if not monthly:
        if "compared_over" in demand.columns and not len(demand):
            return ("No referrals to compare: the pack has no referrals of a referral-driven activity in "
                    f"the weeks of the review period, {_period_text(period)} (referrals not yet reported are "
                    "not counted as none).")
        weeks = {str(v) for v in demand.get("compared_over", pd.Series(dtype=object)) if not _missing(v)}
        prefix = "weeks: "
        short = [v[len(prefix):] for v in weeks if v.startswith(prefix) and f"of {period.weeks} weeks" in v
                 and not v.endswith(f"({period.weeks} of {period.weeks} weeks)")]
        if short:
            return (f"Compared over the weeks of the review period the referrals reach, {short[0]}: "
                    "referrals received in those weeks against the forecast for the same weeks; the later "
                    "weeks are left out, as their referrals are not yet reported.")
        return (f"Compared over the weeks of the review period, {_period_text(period)}: referrals "
                "received in those weeks against the forecast for the same weeks.")
    over = sorted({str(v) for v in demand.get("compared_over", pd.Series(dtype=object)) if not _missing(v)})
    prefix = "calendar months: "
    months = [v[len(prefix):] for v in over if v.startswith(prefix)]
    if not months:
        return ("No whole calendar month to compare: the pack's referrals are monthly totals, and no month "
                "reported so far has at least half its days inside the review period.")
    return (f"Compared over whole calendar months: {'; '.join(months)}. The pack's referrals are monthly "
            "totals, so a month with at least half its days inside the review period is compared whole, "
            "its total against the forecast for that month; months not yet reported are left out.")


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


@dataclass(frozen=True)
class PageChart:
    """A chart as the page embeds it: PNG bytes, alt text and the visible caption."""

    png: bytes
    alt: str
    caption: str


def _new_axes(width: float, height: float) -> Axes:
    """Axes in the house style on a new figure (its own Agg canvas; no pyplot)."""
    return style_axes(new_figure(width, height).add_subplot())


def _png(ax: Axes) -> bytes:
    return png_bytes(ax.get_figure(root=True))  # type: ignore[arg-type]


def _tick_labels(names: Iterable[str], width: int = 22) -> list[str]:
    """Axis labels wrapped to lines of ``width`` characters, so long activity names stay on the chart."""
    return [textwrap.fill(n, width) for n in names]


def planned_delivered_chart(review: pd.DataFrame, ax: Axes | None = None,
                            clinician_names: Mapping[str, str] | None = None) -> Axes:
    """Bar chart of planned vs delivered sessions per clinician (by name, the ID when a clinician has
    none), on ``ax`` (default: a new figure)."""
    rows = review.loc[review["level"] == "clinician"]
    names = clinician_names or {}
    ax = _new_axes(9, 3.75) if ax is None else ax
    x = range(len(rows))
    ax.bar([i - 0.2 for i in x], rows["planned_sessions"], width=0.4, label="planned",
           color=SERIES["planned"])
    ax.bar([i + 0.2 for i in x], rows["delivered_sessions"], width=0.4, label="delivered",
           color=SERIES["attention"])
    labels = _tick_labels(_name(c, names) for c in rows["clinician_id"])
    ax.set_xticks(list(x), labels, rotation=30, ha="right")
    ax.set_ylabel("sessions in the period")
    ax.legend(frameon=False)
    return ax


def demand_chart(demand: pd.DataFrame, ax: Axes | None = None,
                 activity_names: Mapping[str, str] | None = None) -> Axes:
    """Bar chart of expected vs actual referrals per activity, on ``ax`` (default: a new figure)."""
    names = activity_names or {}
    ax = _new_axes(9, 3.5) if ax is None else ax
    x = range(len(demand))
    ax.bar(
        [i - 0.2 for i in x],
        demand["expected_referrals"],
        width=0.4,
        label="expected (forecast)",
        color=SERIES["planned"],
    )
    ax.bar([i + 0.2 for i in x], demand["actual_referrals"], width=0.4, label="actual",
           color=SERIES["increase"])
    labels = _tick_labels(_name(a, names) for a in demand["activity_id"])
    ax.set_xticks(list(x), labels, rotation=30, ha="right")
    ax.set_ylabel("referrals in the period")
    ax.legend(frameon=False)
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


def console_summary(result_period: ReviewPeriod, review: pd.DataFrame, *,
                    clinician_names: Mapping[str, str] | None = None,
                    activity_names: Mapping[str, str] | None = None, notes: Sequence[str] = ()) -> list[str]:
    """The review in plain words for the console: the period and the team's delivery, its notes
    (:func:`extract_note`, then ``notes``: :func:`review_notes`), then each flagged clinician, activity and
    staff group by name with its variance and likely cause (the page's wording)."""
    cnames, anames = clinician_names or {}, activity_names or {}
    total = review.loc[review["level"] == "total"].iloc[0]
    flagged = review.loc[review["flagged"] & review["level"].isin(["clinician", "activity", "staff_group"])]
    beyond = f"{len(flagged)} beyond the threshold" if len(flagged) else "none beyond the threshold"
    lines = [f"Review {_period_text(result_period)}: {count_text(total['delivered_sessions'])} sessions "
             f"delivered of {count_text(total['planned_sessions'])} planned "
             f"({pct_text(total['variance_pct'], signed=True)}); {beyond}."]
    if extract_note(result_period):
        lines.append(f"  Note: {extract_note(result_period)}")
    lines += [f"  Note: {note}" for note in notes]
    for row in _in_level_order(flagged).to_dict("records"):
        lines.append(f"  - {LEVEL_WORDS.get(str(row['level']), str(row['level']))} "
                     f"{row_label(row, cnames, anames)}: {pct_text(row['variance_pct'], signed=True)} "
                     f"({count_text(row['delivered_sessions'])} of {count_text(row['planned_sessions'])} "
                     f"sessions) – {row['likely_cause']}")
    return lines


def _card_items(review: pd.DataFrame, kpis: pd.DataFrame, threshold_pct: float,
                activity_names: Mapping[str, str]) -> list[dict[str, str]]:
    """The headline cards as the ``cards`` component takes them."""
    return [{"label": t, "value": v, "note": sub, "kind": "ok" if ok else "bad"}
            for t, v, sub, ok in headline_cards(review, kpis, threshold_pct, activity_names)]


def _period_text(period: ReviewPeriod) -> str:
    return (f"{period.start:%d %b %Y} to {period.end:%d %b %Y} "
            f"({period.weeks} week{'' if period.weeks == 1 else 's'})")


def extract_note(period: ReviewPeriod) -> str:
    """A warning when the period runs past the delivered extract's last week (those weeks are planned in
    full and count as nothing delivered); "" otherwise."""
    n = period.weeks_after_extract
    if not n or period.delivered_to is None:
        return ""
    weeks = f"{n} week{'' if n == 1 else 's'}"
    return (f"The delivered extract ends on {period.delivered_to:%d %b %Y}: the {weeks} "
            "of the period after it count as nothing delivered (for the weeks to date, end the period "
            f"there: --to {period.delivered_to:%Y-%m-%d}).")


def review_notes(result: ReviewResult, clinician_names: Mapping[str, str] | None = None) -> list[str]:
    """Notes on what the review compared with, for the console and the page: the weeks of the period
    with no delivered row (:func:`capacity_planner.review.delivered.weeks_without_rows`, at most three
    spans), and the active clinicians that a ``--plan`` allocation does not name, reviewed against their
    job plans in the pack (:func:`capacity_planner.review.delivered.agreed_plan`), each by
    ``clinician_names`` (ID -> name or pseudonym; the ID where there is none), at most ten by name."""
    notes = []
    empty = result.weeks_without_rows
    if empty:
        runs: list[list[dt.date]] = []
        for monday in empty:
            if runs and (monday - runs[-1][-1]).days == 7:
                runs[-1].append(monday)
            else:
                runs.append([monday])
        spans = [f"{r[0]:%d %b %Y} to {r[-1] + dt.timedelta(days=6):%d %b %Y}" for r in runs[:3]]
        n, weeks = len(empty), result.period.weeks
        notes.append(f"{n} of the period's {weeks} weeks {'has' if n == 1 else 'have'} no delivered rows "
                     f"({'; '.join(spans)}{'; …' if len(runs) > 3 else ''}): "
                     f"{'it counts' if n == 1 else 'they count'} as nothing delivered. If the extract is "
                     "incomplete there, choose the weeks it covers with --from/--to.")
    missing = result.from_job_plans
    if missing:
        names = clinician_names or {}
        shown = [names.get(c) or c for c in missing[:10]]
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        one = len(missing) == 1
        notes.append(f"{len(missing)} clinician{'' if one else 's'} not in the --plan allocation "
                     f"({', '.join(shown)}{more}) {'is' if one else 'are'} reviewed against "
                     f"{'their job plan' if one else 'their job plans'} in the pack (joined after the plan "
                     "was made, or the plan is of a smaller team).")
    return notes


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
    monthly: bool = False,
    spc_settings: Sequence[Mapping[str, str]] = (),
    notes: Sequence[str] = (),
) -> str:
    """The review page as an HTML string; ``spc_charts`` (XmR charts of sessions delivered a week) are
    embedded with their alt text. Clinicians and activities show by ``clinician_names`` /
    ``activity_names`` (ID -> name; the ID where there is none). ``monthly``: the pack's referrals are
    monthly totals, compared over whole calendar months (said in words above the demand table).
    ``spc_settings``: what each XmR chart used (:func:`capacity_planner.review.spc.spc_settings_rows`),
    shown as a table under the charts. ``notes`` (:func:`review_notes`) follow the period in the
    subtitle, after :func:`extract_note`. Every row stays in ``review.csv`` and
    ``kpis.csv``, which the page links to by file name."""
    cnames, anames = clinician_names or {}, activity_names or {}
    flagged = review.loc[review["flagged"] & review["level"].isin(["clinician", "activity", "staff_group"])]
    sections = [("delivery", "Delivery against plan"), ("demand", "Demand against forecast")]
    if spc_charts:
        sections.append(("stability", "Is delivery stable?"))
    sections += [("kpis", "Indicators"), ("files", "Every row")]
    delivery = PageChart(_png(planned_delivered_chart(review, clinician_names=cnames)),
                         "Planned and delivered sessions by clinician",
                         "Planned (blue) and delivered (yellow) sessions in the period, by clinician")
    demand_png = (PageChart(_png(demand_chart(demand, activity_names=anames)),
                            "Expected and actual referrals by activity",
                            "Referrals expected by the forecast (blue) and received (red), by activity")
                  if len(demand) else None)
    return render_page(
        "review.html.j2",
        title=f"{title}: quarterly review",
        subtitle=(f"Planned against delivered sessions and expected against actual demand, "
                  f"{_period_text(period)}. Planned sessions allow for leave (see the method)."
                  + (f" {extract_note(period)}" if extract_note(period) else "")
                  + "".join(f" {note}" for note in notes)),
        sections=sections,
        cards=_card_items(review, kpis, threshold_pct, anames),
        flagged_table=variance_table(flagged, "Rows beyond the threshold and their likely cause", cnames,
                                     anames, threshold_pct, cause=True) if len(flagged) else "",
        delivery_chart=delivery,
        level_table=variance_table(_in_level_order(review),
                                   "Planned and delivered sessions: team, staff groups, activities, "
                                   "clinicians", cnames, anames, threshold_pct),
        demand_table=demand_table(demand, anames, threshold_pct) if len(demand) else "",
        compared_over=compared_over_text(demand, period, monthly),
        demand_chart=demand_png,
        spc_charts=[PageChart(c.path.read_bytes(), c.alt, c.title) for c in spc_charts],
        spc_settings_table=_table(
            ["Chart", "Target", "Limits", "Baseline"],
            [[r["chart"], r["target"], r["limits"], r["baseline"]] for r in spc_settings],
            "What each chart is computed with (pack.toml review.spc_rebase, review.spc_baseline_weeks, "
            "review.spc_targets)") if spc_charts and spc_settings else "",
        kpi_table=kpi_html_table(kpis, anames),
    )
