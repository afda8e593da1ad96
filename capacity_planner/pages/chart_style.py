"""The one chart style of every page and chart file (issue 14 item 6, issue 18).

Every chart is drawn on a :class:`matplotlib.figure.Figure` with its own Agg canvas (never pyplot, so no
global backend is switched), by functions that take ``ax=None``. This module gives them one look:

* :func:`new_figure` – a figure of the given size in inches, snapped to quarter inches so the PNG is
  exactly ``size × DPI`` pixels, with constrained layout;
* :func:`style_axes` – the house look of one axes: no top/right spines, a light grid on the value axis,
  dark-grey text, tick labels at 10 pt;
* :func:`png_bytes` – the PNG of a figure, deterministic (the only metadata is the software name);
* the palette: NHS identity colours for series (:data:`SERIES`) and the light category fills shared
  with the timetable on the pages and the workbook (:data:`CATEGORY_COLOURS`).

Names are never parsed as TeX (``text.parse_math = False``): a clinician called ``$\\alpha$`` is text.
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING, Literal

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes

matplotlib.rcParams["text.parse_math"] = False  # names like "$\\alpha$" are text, never TeX

DPI = 120
"""Pixels per inch of every PNG chart."""

# NHS identity colours (NHS England, "NHS colours", https://www.england.nhs.uk/nhsidentity/identity-
# guidelines/colours/): blue for the plan, grey for what is there today, warm yellow for attention.
NHS_BLUE = "#005eb8"
NHS_DARK_BLUE = "#003087"
NHS_DARK_GREY = "#425563"
NHS_MID_GREY = "#768692"
NHS_PALE_GREY = "#e8edee"
NHS_WARM_YELLOW = "#ffb81c"
NHS_GREEN = "#009639"
NHS_RED = "#da291c"
TEXT = "#212b32"  # the page text colour (style.css --dark)
GRID = "#d8dde0"  # the page rule colour (style.css --line)

SERIES: dict[str, str] = {
    "current": "#bdbdbd",  # today's job plans / history
    "planned": NHS_BLUE,  # the proposed plan / forecast
    "need": "#000000",  # required sessions (a marker)
    "reduce": NHS_GREEN,  # a gap closed, demand met
    "increase": NHS_RED,  # a gap opened, demand unmet
    "total": NHS_DARK_GREY,
    "attention": NHS_WARM_YELLOW,
}
"""Series colours by meaning, so "proposed" is the same blue on every chart."""

# Light fills that keep black text readable; colour-blind-safe hues (after ColorBrewer Paired/Pastel).
# The timetable on report.html, the workbook's grids and the PA-mix chart all use these.
CATEGORY_COLOURS: dict[str, str] = {
    "DCC": "#9ecae1",
    "SPA": "#a1d99b",
    "ANR": "#fdd0a2",
    "ED": "#dadaeb",
    "ONCALL": "#fcbba1",
    "OTHER": "#fff3a3",
    "": "#f0f0f0",
}
CATEGORY_NAMES: dict[str, str] = {
    "DCC": "Direct clinical care",
    "SPA": "Supporting professional activities",
    "ANR": "Additional NHS responsibilities",
    "ED": "External duties",
    "ONCALL": "On-call",
    "OTHER": "Other",
    "": "Free",
}


def category_colour(category: str) -> str:
    """The fill of a PA category (``OTHER``'s for a category without its own)."""
    return CATEGORY_COLOURS.get(category, CATEGORY_COLOURS["OTHER"])


def new_figure(width: float, height: float) -> Figure:
    """A figure of ``width`` × ``height`` inches (rounded up to quarter inches: exact binary fractions,
    so the PNG is exactly size × :data:`DPI` pixels) on its own Agg canvas, with constrained layout."""
    width, height = math.ceil(width * 4) / 4, math.ceil(height * 4) / 4
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def style_axes(ax: Axes, *, grid: Literal["x", "y", "both", "none"] = "y") -> Axes:
    """Give ``ax`` the house look: no top or right spine, a light grid behind the data on the value
    axis (``grid``), text in the page's dark grey, 10 pt tick labels. Returns ``ax``."""
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(NHS_MID_GREY)
    ax.tick_params(colors=TEXT, labelsize=10)
    ax.xaxis.label.set_color(TEXT)
    ax.yaxis.label.set_color(TEXT)
    ax.title.set_color(TEXT)
    ax.set_axisbelow(True)
    if grid != "none":
        ax.grid(axis=grid, color=GRID, linewidth=0.8)
    return ax


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes at :data:`DPI`; the only metadata is the software name, so the same chart
    gives the same bytes on every run."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": "capacity_planner"})
    return buf.getvalue()


__all__ = [
    "CATEGORY_COLOURS", "CATEGORY_NAMES", "DPI", "GRID", "NHS_BLUE", "NHS_DARK_BLUE", "NHS_DARK_GREY",
    "NHS_GREEN", "NHS_MID_GREY", "NHS_PALE_GREY", "NHS_RED", "NHS_WARM_YELLOW", "SERIES", "TEXT",
    "category_colour", "new_figure", "png_bytes", "style_axes",
]
