"""Draw an XmR chart (:mod:`capacity_planner.report.spc`) in the *Making Data Count* style, and build the
charts the service uses: weekly demand history per activity and delivered sessions per week.

Style (after NHSRplotthedots' ``ptd_spc_colours``, which were standardised with the Making Data Count
team's Power BI visuals, NHSRplotthedots issue #196): the process line and common-cause points grey,
special-cause improvement blue, special-cause concern orange, special cause where neither direction is
better purple; the mean a solid black line; the process limits dashed grey; the target red. The line is
grey rather than NHS blue so that colour means a signal and nothing else (``SpcStyle(line=NHS_BLUE)``
gives an NHS blue line). Rebased segments have their own mean and limits, broken at the change.

Icons: the variation and assurance icons are drawn as labelled badges, not the Making Data Count SVGs
(matplotlib cannot draw SVG without another dependency): a ring in the icon's colour holding a small run
of dots (rising for high, falling for low; grey zig-zag for common cause) and the letter H or L
(variation), or the letter P, F or ? (assurance: pass, fail, hit or miss); the same reading is written out
under the title, so the chart needs no key to the icons. Figures are :class:`matplotlib.figure.Figure`
with the Agg canvas, never pyplot; pass ``ax`` to draw into an existing figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Circle
from matplotlib.ticker import FuncFormatter

from capacity_planner.pages.chart_style import NHS_BLUE, new_figure
from capacity_planner.report.charts import Chart, ChartFile, save_chart
from capacity_planner.report.spc import SpcOptions, XmrChart, detect_rebase, xmr

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from matplotlib.axes import Axes

__all__ = [
    "MDC_STYLE",
    "NHS_BLUE",
    "SpcStyle",
    "demand_spc_charts",
    "draw_xmr",
    "spc_alt_text",
    "spc_chart",
    "write_spc_charts",
]


@dataclass(frozen=True)
class SpcStyle:
    """Colours (hex) of an XmR chart; the defaults are NHSRplotthedots' ``ptd_spc_colours()``."""

    common_cause: str = "#a6a6a6"
    improvement: str = "#00b0f0"
    concern: str = "#e46c0a"
    neutral: str = "#490092"
    line: str = "#a6a6a6"
    mean: str = "#000000"
    limits: str = "#a6a6a6"
    bands: str = "#d9d9d9"
    target: str = "#de1b1b"

    def point_colour(self, point_type: str) -> str:
        """Colour of a point of a given ``point_type``."""
        if point_type == "special_cause_improvement":
            return self.improvement
        if point_type == "special_cause_concern":
            return self.concern
        if point_type.startswith("special_cause_neutral"):
            return self.neutral
        return self.common_cause


MDC_STYLE = SpcStyle()
_POINT_LABELS = {
    "common_cause": "Common cause",
    "special_cause_improvement": "Special cause: improvement",
    "special_cause_concern": "Special cause: concern",
    "special_cause_neutral_high": "Special cause: high",
    "special_cause_neutral_low": "Special cause: low",
}
_ASSURANCE_WORDS = {"consistent_pass": "consistently passes", "consistent_fail": "consistently fails",
                    "inconsistent": "hit or miss against"}


def spc_value_text(value: float) -> str:
    """A chart value as the charts print it (limits, mean, target): whole from 100, one decimal from 10, else
    two; pages quoting a chart's number use this so page and chart agree."""
    return _fmt(value)


def _fmt(value: float) -> str:
    if not np.isfinite(value):
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.2f}"


def _x_text(x: Any) -> str:
    return x.strftime("%d %b %Y") if isinstance(x, pd.Timestamp) else str(x)


def _new_axes(width: float = 10.0, height: float = 4.75) -> Axes:
    """An axes on a new figure of the one chart style's size rules (:func:`chart_style.new_figure`)."""
    return new_figure(width, height).add_subplot()


# ---- icons --------------------------------------------------------------------------------------------
def _icon_colour(chart: XmrChart, style: SpcStyle) -> str:
    kind = chart.variation.split("_")[0]
    return {"improvement": style.improvement, "concern": style.concern, "neutral": style.neutral}.get(
        kind, style.common_cause)


def _variation_badge(ax: Axes, centre: tuple[float, float], chart: XmrChart, style: SpcStyle) -> None:
    cx, cy = centre
    colour = _icon_colour(chart, style)
    ax.add_patch(Circle(centre, 0.45, facecolor="white", edgecolor=colour, linewidth=2.4))
    xs = cx + np.linspace(-0.26, 0.26, 5)
    if chart.variation == "common_cause":
        ys = cy + np.array([-0.05, 0.06, -0.04, 0.07, -0.03])
        colours = [style.common_cause] * 5
    else:
        sign = 1.0 if chart.variation.endswith("high") else -1.0
        ys = cy - 0.1 * sign + sign * np.array([0.0, 0.03, 0.0, 0.12, 0.2])
        colours = [style.common_cause] * 3 + [colour] * 2
        ax.text(cx, cy + 0.25 * sign - 0.04, "H" if sign > 0 else "L", ha="center", va="center",
                fontsize=10, fontweight="bold", color=colour)
    ax.plot(xs, ys, color=style.common_cause, linewidth=1.0, zorder=3)
    ax.scatter(xs, ys, s=9, color=colours, zorder=4)


def _assurance_badge(ax: Axes, centre: tuple[float, float], assurance: str, style: SpcStyle) -> None:
    colour = {"consistent_pass": style.improvement, "consistent_fail": style.concern}.get(
        assurance, style.common_cause)
    letter = {"consistent_pass": "P", "consistent_fail": "F"}.get(assurance, "?")
    ax.add_patch(Circle(centre, 0.45, facecolor="white", edgecolor=colour, linewidth=2.4))
    ax.text(*centre, letter, ha="center", va="center", fontsize=15, fontweight="bold", color=colour)


def _draw_icons(ax: Axes, chart: XmrChart, style: SpcStyle) -> None:
    """Badges in the top right corner of ``ax`` (the y range has head room for them)."""
    n = 2 if chart.assurance else 1
    icons = ax.inset_axes((1.0 - 0.075 * n - 0.005, 0.8, 0.075 * n, 0.19))
    icons.set_xlim(0, n)
    icons.set_ylim(0, 1)
    icons.set_aspect("equal", adjustable="box", anchor="NE")
    icons.axis("off")
    _variation_badge(icons, (0.5, 0.5), chart, style)
    if chart.assurance:
        _assurance_badge(icons, (1.5, 0.5), chart.assurance, style)


def icon_caption(chart: XmrChart, unit: str = "") -> str:
    """The icons in words: ``Variation: … · Assurance: …``."""
    text = f"Variation: {chart.variation_label.lower()}"
    if chart.assurance and chart.target is not None:
        text += f" · Assurance: {_ASSURANCE_WORDS[chart.assurance]} the target of {_fmt(chart.target)}{unit}"
    elif chart.target is not None:
        text += f" · Target {_fmt(chart.target)}{unit}"
    return text


# ---- the chart ----------------------------------------------------------------------------------------
def draw_xmr(
    chart: XmrChart,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    y_label: str = "",
    style: SpcStyle = MDC_STYLE,
    icons: bool = True,
    sigma_bands: bool = False,
) -> Axes:
    """Draw ``chart`` on ``ax`` (a new 10 × 4.75 in figure when None) and return the axes.

    Parameters
    ----------
    chart : XmrChart
    ax : Axes, optional
    title : str, optional
        Written top left; the icons' reading goes under it.
    y_label : str
        The measure and its unit.
    style : SpcStyle
    icons : bool
        Draw the variation (and, with a target, assurance) badges.
    sigma_bands : bool
        Also draw the 1- and 2-sigma lines (dotted), which Making Data Count charts leave out.
    """
    ax = ax if ax is not None else _new_axes()
    p = chart.points
    if len(p) == 0:
        ax.text(0.5, 0.5, "No data", ha="center", va="center", transform=ax.transAxes)
        return ax
    x = p["x"].to_numpy()
    ax.plot(x, p["value"].to_numpy(), color=style.line, linewidth=1.8, zorder=2)
    for ptype, label in _POINT_LABELS.items():
        sel = (p["point_type"] == ptype).to_numpy()
        if sel.any():
            ax.scatter(x[sel], p["value"].to_numpy()[sel], s=34, color=style.point_colour(ptype), zorder=3,
                       label=label, edgecolors="none")
    lines: list[tuple[str, str, str, float]] = [
        ("mean", style.mean, "-", 1.3), ("lpl", style.limits, "--", 1.6), ("upl", style.limits, "--", 1.6)]
    if sigma_bands:
        lines += [(c, style.bands, ":", 1.0)
                  for c in ("lower_1sigma", "upper_1sigma", "lower_2sigma", "upper_2sigma")]
    legend = {"mean": "Mean", "upl": "Process limits"}
    for k, seg in enumerate(chart.segments.itertuples()):
        rows = p.loc[p["segment"] == seg.segment]
        ends = [rows["x"].iloc[0], rows["x"].iloc[-1]]
        for col, colour, dash, width in lines:
            level = float(rows[col].iloc[0])
            ax.plot(ends, [level, level], color=colour, linestyle=dash, linewidth=width, zorder=1,
                    label=legend.get(col) if k == 0 else None)
        if k > 0:
            ax.axvline(ends[0], color="#666666", linestyle=":", linewidth=1.0, zorder=1)
            ax.annotate("Rebased", (ends[0], 1.0), xycoords=("data", "axes fraction"), xytext=(3, -3),
                        textcoords="offset points", fontsize=8, color="#444444", va="top")
    if chart.target is not None:
        ax.axhline(chart.target, color=style.target, linewidth=1.4, zorder=1, label="Target")
    last = chart.segments.iloc[-1]
    lows = [float(p["value"].min()), float(chart.segments["lpl"].min())]
    highs = [float(p["value"].max()), float(chart.segments["upl"].max())]
    if chart.target is not None:
        lows.append(chart.target)
        highs.append(chart.target)
    low, high = np.nanmin(lows), np.nanmax(highs)
    span = high - low if high > low else max(abs(high), 1.0)
    ax.set_ylim(low - 0.06 * span, high + (0.32 if icons else 0.08) * span)
    for col in ("mean", "lpl", "upl"):  # the last segment's values at the right-hand end
        value = float(last[col])
        if np.isfinite(value):
            ax.annotate(_fmt(value), (1.0, value), xycoords=("axes fraction", "data"), xytext=(4, 0),
                        textcoords="offset points", va="center", fontsize=8.5, color="#333333")
    ax.set_ylabel(y_label, fontsize=10)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.10g}"))
    ax.grid(axis="y", color="#eeeeee")
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper left", fontsize=8, frameon=False, ncols=3)
    if title:
        ax.set_title(f"{title}\n", fontsize=13, loc="left")
        ax.text(0.0, 1.02, icon_caption(chart), transform=ax.transAxes, fontsize=9.5, color="#333333")
    if icons:
        _draw_icons(ax, chart, style)
    return ax


def spc_alt_text(chart: XmrChart, what: str, unit: str = "") -> str:
    """A description of the chart for people who cannot see it."""
    p = chart.points
    if len(p) == 0:
        return f"XmR chart of {what}: no data."
    seg = chart.segments
    first, last = _x_text(p["x"].iloc[0]), _x_text(p["x"].iloc[-1])
    parts = [f"XmR chart of {what}: {len(p)} points from {first} to {last}"]
    for row in seg.to_dict("records"):
        lead = "mean" if len(seg) == 1 else f"from {_x_text(row['start'])}, mean"
        parts.append(f"{lead} {_fmt(row['mean'])}{unit}, process limits {_fmt(row['lpl'])} to "
                     f"{_fmt(row['upl'])}{unit}")
    special = p.loc[p["point_type"] != "common_cause"]
    if len(special):
        counts = special["rule"].value_counts()
        words = {"beyond_limits": "beyond a limit", "trend": "in a trend",
                 "two_in_three": "two of three near a limit", "shift": "in a run on one side of the mean"}
        parts.append(f"{len(special)} special-cause points ("
                     + ", ".join(f"{n} {words[str(r)]}" for r, n in counts.items()) + ")")
    else:
        parts.append("no special-cause points")
    return "; ".join(parts) + ". " + icon_caption(chart, unit) + "."


def spc_chart(chart: XmrChart, name: str, title: str, *, y_label: str, what: str, unit: str = "",
              style: SpcStyle = MDC_STYLE) -> Chart:
    """A :class:`capacity_planner.report.charts.Chart` (fixed-size figure, title and alt text)."""
    ax = draw_xmr(chart, title=title, y_label=y_label, style=style)
    figure = ax.get_figure()
    assert isinstance(figure, Figure)
    return Chart(name, title, spc_alt_text(chart, what, unit), figure)


def _safe(text: str) -> str:
    """File-name form of an ID (:func:`capacity_planner._files.file_stem`: never two IDs on one file)."""
    from capacity_planner._files import file_stem

    return file_stem(text)


DEMAND_SPC_OPTIONS = SpcOptions(improvement_direction="neutral")


def demand_history(weekly: pd.DataFrame) -> dict[str, tuple[np.ndarray, pd.Series]]:
    """Activity id → (patients a week, week starts) of the ``history`` rows of a weekly demand table."""
    history = weekly.loc[weekly["kind"] == "history"].copy()
    history["week_start"] = pd.to_datetime(history["week_start"])
    history["value"] = pd.to_numeric(history["value"])
    return {str(aid): (part["value"].to_numpy(dtype=float), part["week_start"])
            for aid, part in history.groupby("activity_id", sort=False)}


def demand_spc_alt(weekly: pd.DataFrame, activity_id: str, name: str) -> str | None:
    """The alt text of :func:`demand_spc_charts`' chart of one activity (default options), for a page
    showing the chart from its file; None when the activity has no history."""
    series = demand_history(weekly).get(activity_id)
    if series is None:
        return None
    return spc_alt_text(xmr(series[0], series[1], options=DEMAND_SPC_OPTIONS), f"weekly demand for {name}",
                        " a week")


# ---- charts the service uses --------------------------------------------------------------------------
def demand_spc_charts(
    weekly: pd.DataFrame,
    activity_names: Mapping[str, str] | None = None,
    *,
    rebase: Mapping[str, Sequence[Any]] | None = None,
    detect_changes: bool = False,
    options: SpcOptions | None = None,
) -> list[Chart]:
    """XmR charts of weekly demand history, one per activity.

    Parameters
    ----------
    weekly : DataFrame
        The long weekly table of the demand step (``DemandResult.weekly`` or ``weekly_demand.csv``):
        ``activity_id, week_start, kind, value``; only ``kind == "history"`` rows are charted (patients a
        week: referrals plus the follow-up demand they imply).
    activity_names : mapping, optional
        Activity id → name for titles.
    rebase : mapping, optional
        Activity id → stated change points where the limits restart.
    detect_changes : bool
        Also rebase at the starts of sustained shifts (:func:`capacity_planner.report.spc.detect_rebase`).
    options : SpcOptions, optional
        Default: NHSRplotthedots' defaults with ``improvement_direction="neutral"`` (more or less demand
        is neither better nor worse: special causes are purple, high or low, and there is no assurance).

    Returns
    -------
    list of Chart
        Named ``spc_demand_<activity>``, in the order activities appear in ``weekly``.
    """
    options = options or DEMAND_SPC_OPTIONS
    names = dict(activity_names or {})
    charts = []
    for aid, (values, weeks) in demand_history(weekly).items():
        name = names.get(aid, aid)
        label = f"{name} ({aid})" if name != aid else aid
        changes = tuple((rebase or {}).get(aid, ()))
        if detect_changes:
            changes += detect_rebase(values, weeks, rebase=changes, options=options)
        chart = xmr(values, weeks, rebase=changes, options=options)
        charts.append(spc_chart(chart, f"spc_demand_{_safe(aid)}", f"Weekly demand: {label}",
                                y_label="Patients a week", what=f"weekly demand for {name}",
                                unit=" a week"))
    return charts


def write_spc_charts(
    charts: Sequence[Chart], folder: str | Path, formats: Sequence[str] = ("png",)
) -> list[ChartFile]:
    """Write ``folder/<name>.<fmt>`` for each chart (e.g. ``demand_spc_charts(...)`` or
    ``review.spc.delivered_spc_charts(...)``); returns one :class:`ChartFile` per chart (its PNG)."""
    files = []
    for chart in charts:
        paths = save_chart(chart, folder, formats)
        png = next((p for p in paths if p.suffix == ".png"), paths[0])
        width, height = chart.size_px
        files.append(ChartFile(chart.name, chart.title, chart.alt, png, width, height))
    return files
