"""Charts of a plan for the team meeting: demand against capacity, the timetable heat map, the PA mix by
clinician and the gap waterfall from the current to the proposed plan.

Figures have the one chart look of every page (:mod:`capacity_planner.pages.chart_style`: a Figure on its
own Agg canvas, never pyplot, so no global backend switch; the house axes; series colours by meaning; the
timetable's category fills, shared with report.html and plan.xlsx), at a fixed size: a PNG is exactly
``width_in × DPI`` by ``height_in × DPI`` pixels (no tight bounding box), so it projects and prints
predictably. SVG copies keep text as text
(``svg.fonttype = none``) so that labels can be searched, e.g. for anonymisation checks.

Clinicians appear only through :attr:`MeetingData.labels` (names, or pseudonyms when anonymised).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch, Rectangle
from matplotlib.text import Text

from capacity_planner import constants as C
from capacity_planner.pages import chart_style as S
from capacity_planner.pages.chart_style import CATEGORY_COLOURS, CATEGORY_NAMES, DPI, SERIES, category_colour
from capacity_planner.report.chart_image import ChartImage
from capacity_planner.report.tables import MeetingData, tuples

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from matplotlib.figure import Figure

# The one chart look (capacity_planner.pages.chart_style): series colours by meaning, the category fills
# of the timetable.
CURRENT_COLOUR = SERIES["current"]
PLANNED_COLOUR = SERIES["planned"]
REDUCE_COLOUR = SERIES["reduce"]
INCREASE_COLOUR = SERIES["increase"]
TOTAL_COLOUR = SERIES["total"]


@dataclass(frozen=True, eq=False)
class Chart:
    """A rendered figure with what a reader needs to understand it without seeing it."""

    name: str  # file stem
    title: str
    alt: str
    figure: Figure

    @property
    def size_px(self) -> tuple[int, int]:
        """(width, height) in pixels of the PNG written by :func:`save_chart`."""
        w, h = self.figure.get_size_inches()
        return int(w * DPI), int(h * DPI)

    def image(self, title: str | None = None) -> ChartImage:
        """The chart drawn to PNG (``title`` replaces its title as the page's caption)."""
        return ChartImage(self.name, self.title if title is None else title, self.alt, png_bytes(self))


@dataclass(frozen=True)
class ChartFile:
    """A chart written to disk."""

    name: str
    title: str
    alt: str
    path: Path  # the PNG
    width_px: int
    height_px: int


def figure_texts(fig: Figure) -> list[str]:
    """Every text string drawn on a figure (titles, tick labels, annotations, legend entries)."""
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def _fmt(x: float) -> str:
    return f"{x:,.0f}"


def _activity_tick(name: str, activity_id: str) -> str:
    """``Name\n(id)``, wrapped; the ID is left out when the name already shows it."""
    text = textwrap.fill(name, 30)
    return text if activity_id.casefold() in name.casefold() else f"{text}\n({activity_id})"


# ---- demand against capacity ------------------------------------------------------------------------
def demand_capacity_chart(data: MeetingData) -> Chart:
    """Sessions a year by activity: current and proposed supply as bars, the need as a black marker.
    Activities without demand (SPA, leadership roles…) are left out of the chart (they stay in the table)."""
    d = data.demand
    d = d[(d["required_sessions_per_year"] > 0) | (d["gap_sessions_per_year"] > 0)]
    n = max(len(d), 1)
    fig = S.new_figure(10.0, 1.6 + 0.95 * n)
    ax = fig.add_subplot()
    y = np.arange(len(d))[::-1].astype(float)
    h = 0.36
    ax.barh(y + h / 2, d["current_sessions_per_year"], height=h, color=CURRENT_COLOUR,
            label="Current job plans")
    ax.barh(y - h / 2, d["planned_sessions_per_year"], height=h, color=PLANNED_COLOUR, label="Proposed plan")
    for yi, need in zip(y, d["required_sessions_per_year"], strict=True):
        ax.plot([need, need], [yi - 0.45, yi + 0.45], color="black", linewidth=2.5)
    ax.plot([], [], color="black", linewidth=2.5, label="Needed")
    xmax = float(max(d[["current_sessions_per_year", "planned_sessions_per_year",
                        "required_sessions_per_year"]].to_numpy().max(initial=1.0), 1.0))
    for yi, planned, need, gap in zip(y, d["planned_sessions_per_year"], d["required_sessions_per_year"],
                                      d["gap_sessions_per_year"], strict=True):
        text = f"gap {_fmt(gap)}" if gap > 0.5 else "covered"
        ax.text(max(planned, need) + xmax * 0.012, yi - h / 2, f"{_fmt(planned)} of {_fmt(need)} · {text}",
                va="center", fontsize=10, color=INCREASE_COLOUR if gap > 0.5 else REDUCE_COLOUR)
    ax.set_yticks(y, [_activity_tick(str(name), str(aid)) for name, aid in zip(d["name"], d["activity_id"],
                                                                                 strict=True)], fontsize=11)
    ax.set_xlim(0, xmax * 1.45)
    ax.set_xlabel("Sessions a year (session-weeks)", fontsize=11)
    ax.set_title("Demand against capacity by activity", fontsize=14, loc="left")
    ax.legend(loc="lower right", fontsize=10, frameon=False)
    S.style_axes(ax, grid="x")
    parts = [f"{r.name}: needs {_fmt(r.required_sessions_per_year)}, "
             f"current {_fmt(r.current_sessions_per_year)}, "
             f"proposed {_fmt(r.planned_sessions_per_year)} sessions a year"
             for r in tuples(d)]
    alt = "Bar chart of sessions a year by activity. " + "; ".join(parts) + "."
    return Chart("capacity_vs_demand", "Demand against capacity by activity", alt, fig)


# ---- timetable heat map -----------------------------------------------------------------------------
def timetable_chart(data: MeetingData) -> Chart:
    """Clinicians × weekly slots coloured by category, activity IDs written in, changed cells outlined."""
    tt = data.timetable
    clin = list(data.clinician_order)
    slots = list(data.slots)
    cats = [c for c in (*C.CATEGORIES, "") if c in set(tt["category"]) or c == ""]
    index = {c: i for i, c in enumerate(cats)}
    grid = np.zeros((max(len(clin), 1), max(len(slots), 1)), dtype=int)
    fig = S.new_figure(max(7.0, 2.6 + 0.78 * len(slots)), 2.2 + 0.5 * max(len(clin), 1))
    ax = fig.add_subplot()
    cell = {(r.clinician_id, r.day, r.period): r for r in tuples(tt)}
    for i, cid in enumerate(clin):
        for j, (day, period) in enumerate(slots):
            r = cell.get((cid, day, period))
            grid[i, j] = index[r.category if r is not None else ""]
    cmap = ListedColormap([category_colour(c) for c in cats])
    ax.imshow(grid, cmap=cmap, vmin=-0.5, vmax=len(cats) - 0.5, aspect="auto", interpolation="nearest")
    for i, cid in enumerate(clin):
        for j, (day, period) in enumerate(slots):
            r = cell.get((cid, day, period))
            if r is None:
                continue
            if r.activity_id:
                ax.text(j, i, str(r.activity_id), ha="center", va="center", fontsize=9)
            if r.changed:
                ax.add_patch(Rectangle((j - 0.46, i - 0.44), 0.92, 0.88, fill=False, edgecolor="black",
                                       linewidth=2.2))
    ax.set_xticks(range(len(slots)), [f"{d}\n{p}" for d, p in slots], fontsize=9)
    ax.set_yticks(range(len(clin)), [data.label(c) for c in clin], fontsize=10)
    ax.xaxis.tick_top()
    ax.set_xticks(np.arange(-0.5, len(slots), 1), minor=True)
    ax.set_yticks(np.arange(-0.5, len(clin), 1), minor=True)
    ax.grid(which="minor", color="white", linewidth=2)
    ax.tick_params(which="minor", length=0)
    for k in range(1, len(slots)):
        if slots[k][0] != slots[k - 1][0]:
            ax.axvline(k - 0.5, color=S.NHS_DARK_GREY, linewidth=1.2)
    handles = [Patch(facecolor=category_colour(c), edgecolor=S.NHS_MID_GREY,
                     label=CATEGORY_NAMES.get(c, c)) for c in cats]
    handles.append(Patch(facecolor="white", edgecolor="black", linewidth=2.2,
                         label="Changed from current plan"))
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 4), fontsize=9,
               frameon=False)
    ax.set_title("Proposed team timetable", fontsize=14, loc="left")
    n_changed = int(tt["changed"].sum())
    alt = (f"Heat map of the proposed weekly timetable for {len(clin)} clinicians over {len(slots)} slots, "
           f"coloured by category; {n_changed} cells change from the current job plans.")
    return Chart("timetable", "Proposed team timetable", alt, fig)


# ---- PA mix -----------------------------------------------------------------------------------------
def pa_mix_chart(data: MeetingData) -> Chart:
    """PAs a week by clinician: DCC, SPA and other stacked, additional PAs and out-of-hours noted,
    contracted PAs marked."""
    cl = data.clinicians
    n = max(len(cl), 1)
    fig = S.new_figure(10.0, 1.8 + 0.48 * n)
    ax = fig.add_subplot()
    y = np.arange(len(cl))[::-1].astype(float)
    left = np.zeros(len(cl))
    stacks = (("dcc_pas", "DCC", "DCC"), ("spa_pas", "SPA", "SPA"), ("other_pas", "OTHER", "Other"))
    for col, cat, label in stacks:
        vals = cl[col].to_numpy(dtype=float)
        if cat == "OTHER" and not vals.any():
            continue
        ax.barh(y, vals, left=left, height=0.62, color=CATEGORY_COLOURS[cat], edgecolor="white", label=label)
        for yi, lft, v in zip(y, left, vals, strict=True):
            if v >= 0.75:
                ax.text(lft + v / 2, yi, f"{v:g}", ha="center", va="center", fontsize=9)
        left = left + vals
    for yi, contracted in zip(y, cl["contracted_pas"], strict=True):
        ax.plot([contracted, contracted], [yi - 0.42, yi + 0.42], color="black", linewidth=2)
    ax.plot([], [], color="black", linewidth=2, label="Contracted PAs")
    xmax = float(max(left.max(initial=1.0), cl["contracted_pas"].max() if len(cl) else 1.0))
    for yi, total, apa, ooh in zip(y, left, cl["apa_pas"], cl["out_of_hours_pas"], strict=True):
        notes = [f"{total:g} PAs"]
        if apa > 0:
            notes.append(f"+{apa:g} additional")
        if ooh > 0:
            notes.append(f"{ooh:g} out of hours")
        ax.text(total + xmax * 0.015, yi, ", ".join(notes), va="center", fontsize=9)
    ax.set_yticks(y, [data.label(c) for c in cl["clinician_id"]], fontsize=10)
    ax.set_xlim(0, xmax * 1.35)
    ax.set_xlabel("PAs a week", fontsize=11)
    ax.set_title("PA mix by clinician (proposed plan)", fontsize=14, loc="left")
    fig.legend(loc="outside lower center", ncols=4, fontsize=9, frameon=False)
    S.style_axes(ax, grid="x")
    alt = "Stacked bars of PAs a week per clinician. " + "; ".join(
        f"{data.label(r.clinician_id)}: {r.dcc_pas:g} DCC, {r.spa_pas:g} SPA, {r.other_pas:g} other "
        f"of {r.contracted_pas:g} contracted" for r in tuples(cl)) + "."
    return Chart("pa_mix", "PA mix by clinician", alt, fig)


# ---- gap waterfall ----------------------------------------------------------------------------------
def gap_waterfall_chart(data: MeetingData) -> Chart:
    """From the gap with the current job plans, each activity's change, to the gap with the proposed plan
    (sessions a year)."""
    d = data.demand
    before = data.headline.gap_before_sessions
    after = data.headline.gap_after_sessions
    steps = [(textwrap.fill(str(r.name), 16), float(r.gap_sessions_per_year - r.gap_before_sessions_per_year))
             for r in tuples(d)]
    steps = [s for s in steps if abs(s[1]) >= 0.5]  # what rounds to 0 sessions is not a step
    labels = ["Gap with\ncurrent plans", *[s[0] for s in steps], "Gap with\nproposed plan"]
    fig = S.new_figure(max(8.0, 2.5 + 1.4 * len(labels)), 5.2)
    ax = fig.add_subplot()
    ax.bar(0, before, color=TOTAL_COLOUR, width=0.6)
    level = before
    top = max(before, after, 1.0)
    for k, (_, delta) in enumerate(steps, start=1):
        bottom = level + min(delta, 0.0)
        ax.bar(k, abs(delta), bottom=bottom, width=0.6, color=REDUCE_COLOUR if delta < 0 else INCREASE_COLOUR)
        ax.text(k, bottom + abs(delta) + top * 0.015, f"{delta:+,.0f}", ha="center", va="bottom", fontsize=10)
        ax.plot([k - 1 - 0.3, k + 0.3], [level, level], color=S.NHS_MID_GREY, linewidth=0.8, linestyle=":")
        level += delta
        top = max(top, level)
    ax.bar(len(labels) - 1, after, color=PLANNED_COLOUR, width=0.6)
    for k, v in ((0, before), (len(labels) - 1, after)):
        ax.text(k, v + top * 0.015, _fmt(v), ha="center", va="bottom", fontsize=11, fontweight="bold")
    ax.set_xticks(range(len(labels)), labels, fontsize=10)
    ax.set_ylim(0, top * 1.15)
    ax.set_ylabel("Unmet sessions a year", fontsize=11)
    ax.set_title("Gap: current job plans → proposed plan", fontsize=14, loc="left")
    S.style_axes(ax, grid="y")
    alt = (f"Waterfall chart: the gap is {_fmt(before)} sessions a year with the current job plans and "
           f"{_fmt(after)} with the proposed plan. "
           + "; ".join(f"{lbl.replace(chr(10), ' ')}: {dv:+,.0f}" for lbl, dv in steps) + ".")
    return Chart("gap_waterfall", "Gap: current job plans → proposed plan", alt, fig)


CHART_BUILDERS: tuple[Callable[[MeetingData], Chart], ...] = (
    demand_capacity_chart, timetable_chart, pa_mix_chart, gap_waterfall_chart,
)


def meeting_charts(data: MeetingData) -> list[Chart]:
    """The four plan charts."""
    return [build(data) for build in CHART_BUILDERS]


def png_bytes(chart: Chart) -> bytes:
    """The chart as PNG bytes (metadata limited to the software name: the same chart, the same bytes)."""
    return S.png_bytes(chart.figure)


def save_chart(chart: Chart, folder: str | Path, formats: Sequence[str] = ("png",)) -> list[Path]:
    """Write ``folder/<name>.<fmt>`` for each format; SVG keeps text as text."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        path = out / f"{chart.name}.{fmt}"
        if fmt == "png":
            path.write_bytes(png_bytes(chart))
        else:
            with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "capacity_planner"}):
                chart.figure.savefig(path, format=fmt, dpi=DPI, metadata={"Date": None})
        paths.append(path)
    return paths


def write_charts(data: MeetingData, folder: str | Path, formats: Sequence[str] = ("png",)) -> list[ChartFile]:
    """Build and write the plan charts; returns one :class:`ChartFile` per chart (its PNG)."""
    files = []
    for chart in meeting_charts(data):
        paths = save_chart(chart, folder, formats)
        png = next((p for p in paths if p.suffix == ".png"), paths[0])
        w, h = chart.size_px
        files.append(ChartFile(chart.name, chart.title, chart.alt, png, w, h))
    return files


__all__ = [
    "CATEGORY_COLOURS", "CATEGORY_NAMES", "DPI", "Chart", "ChartFile", "ChartImage", "demand_capacity_chart",
    "figure_texts", "gap_waterfall_chart", "meeting_charts", "pa_mix_chart", "png_bytes",
    "save_chart", "timetable_chart", "write_charts",
]
