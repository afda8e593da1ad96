"""Weekly-demand and back-test charts.

:func:`draw_weekly_demand` draws one activity's weekly demand on an axes: history, the planning-year
forecast mean, its 10th-90th centile band and the level the activity is sized to;
:func:`plot_activity_demand` saves it as a PNG. Figures are :class:`matplotlib.figure.Figure` on the Agg
canvas (no pyplot, no global backend switch) with the one chart look of
:mod:`capacity_planner.pages.chart_style`; every drawing function takes ``ax=None`` (a new figure) or an
axes of the caller's own figure.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Literal

import pandas as pd
from matplotlib.figure import Figure

from capacity_planner._files import file_stem
from capacity_planner.pages import chart_style as S
from capacity_planner.report.chart_image import ChartImage

if TYPE_CHECKING:
    from collections.abc import Mapping

    from matplotlib.axes import Axes

__all__ = ["DemandFigure", "demand_chart_images", "demand_overview_image", "demand_overview_table",
           "draw_backtest", "draw_weekly_demand", "plot_activity_demand", "plot_backtest"]

# The one chart look (pages.chart_style): what happened in grey, the forecast (the model) in NHS blue, the
# level demand is sized to (the need) as the black mark of the plan charts.
_HISTORY = S.NHS_DARK_GREY
_FORECAST = S.SERIES["planned"]
_SIZED = S.SERIES["need"]


class DemandFigure:
    """A reusable figure for weekly-demand charts (drawing many activities on one figure is about three
    times faster than creating a figure per chart). Use as a context manager, or call :meth:`close`."""

    def __init__(self, figsize: tuple[float, float] = (10, 4.25), dpi: int = S.DPI) -> None:
        self.dpi = dpi
        self.fig = S.new_figure(*figsize)
        self.ax = self.fig.add_subplot()

    def __enter__(self) -> DemandFigure:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the figure (nothing is registered with pyplot; this clears it)."""
        self.fig.clear()

    def draw(
        self, weekly: pd.DataFrame, activity_id: str, target: str | Path | BinaryIO, *,
        model: str | None = None
    ) -> None:
        """Draw one activity's rows of the long weekly-demand table and save it as PNG to ``target`` (a
        path or a binary file).

        History is a line, the forecast mean a line in a shaded 10th-90th centile band, and the sized
        level a dashed line; patients a week.
        """
        self.ax.clear()
        draw_weekly_demand(weekly, activity_id, model=model, ax=self.ax)
        self.fig.savefig(target, dpi=self.dpi, format="png")

    def png(self, weekly: pd.DataFrame, activity_id: str, *, model: str | None = None) -> bytes:
        """:meth:`draw` to PNG bytes."""
        buf = io.BytesIO()
        self.draw(weekly, activity_id, buf, model=model)
        return buf.getvalue()


def draw_weekly_demand(weekly: pd.DataFrame, activity_id: str, *, model: str | None = None,
                       ax: Axes | None = None) -> Axes:
    """Draw one activity's rows of the long weekly-demand table on ``ax`` (default: a new 10 x 4.2 in
    figure): history a line, the forecast mean a line in a shaded 10th-90th centile band, the sized level
    a dashed line; patients a week."""
    if ax is None:
        ax = DemandFigure().ax
    frame = weekly.sort_values("week_start")
    hist = frame[frame["kind"] == "history"]
    fc = frame[frame["kind"] == "forecast"]
    if len(hist):
        ax.plot(
            hist["week_start"].to_numpy(),
            hist["value"].to_numpy(),
            color=_HISTORY,
            lw=1.0,
            label="weekly demand (history)",
        )
    if len(fc):
        x = fc["week_start"].to_numpy()
        ax.fill_between(
            x,
            fc["lower"].to_numpy(),
            fc["upper"].to_numpy(),
            color=_FORECAST,
            alpha=0.25,
            lw=0,
            label="forecast 10th-90th centile",
        )
        ax.plot(x, fc["mean"].to_numpy(), color=_FORECAST, lw=1.6, label="forecast mean")
        sized = fc["sized"].dropna()
        if len(sized):
            ax.plot(
                x,
                fc["sized"].to_numpy(),
                color=_SIZED,
                lw=1.6,
                ls="--",
                label=f"sized level ({sized.iloc[0]:.1f} a week)",
            )
    title = f"{activity_id}: weekly demand (patients a week)"
    if model:
        title += f"\nmodel: {model}"
    ax.set_title(title, fontsize=11, loc="left")
    ax.set_ylabel("patients a week")
    ax.set_ylim(bottom=0)
    S.style_axes(ax)
    ax.legend(loc="upper left", fontsize=9, frameon=False)
    return ax


def plot_activity_demand(
    weekly: pd.DataFrame, activity_id: str, path: str | Path, *, model: str | None = None, dpi: int = S.DPI
) -> Path:
    """Save a chart of one activity's rows of the long weekly-demand table to ``path`` (PNG).

    Parameters
    ----------
    weekly : DataFrame
        Rows of ``DemandResult.weekly`` (columns week_start, kind, value, mean, lower, upper, sized).
    activity_id : str
        Used in the title.
    path : path
        Output file.
    model : str, optional
        Forecast model shown in the title.
    """
    with DemandFigure(dpi=dpi) as figure:
        figure.draw(weekly, activity_id, path, model=model)
    return Path(path)


def demand_chart_images(weekly: pd.DataFrame, models: Mapping[str, str] | None = None,
                        names: Mapping[str, str] | None = None) -> list[ChartImage]:
    """One weekly-demand chart per activity of the long weekly table (:func:`draw_weekly_demand`), drawn
    to PNG in the order activities appear: named ``demand_<activity>`` (a safe file stem,
    :func:`capacity_planner._files.file_stem`), titled and described with the activity's name.

    Parameters
    ----------
    weekly : DataFrame
        ``DemandResult.weekly`` or ``weekly_demand.csv`` (``week_start`` as dates or ISO text).
    models : mapping, optional
        Activity id → forecast model, shown in the chart's title.
    names : mapping, optional
        Activity id → name for the title and alt text (default: the id).
    """
    if not len(weekly):
        return []
    frame = weekly
    if not pd.api.types.is_datetime64_any_dtype(frame["week_start"]):
        frame = frame.assign(week_start=pd.to_datetime(frame["week_start"]))
    images = []
    with DemandFigure() as figure:
        for aid, rows in frame.groupby("activity_id", sort=False):
            act = str(aid)
            name = (names or {}).get(act, act)
            alt = (f"Line chart of weekly demand for {name}: past weeks, the forecast and the level it is "
                   "sized to.")
            png = figure.png(rows, act, model=(models or {}).get(act))
            images.append(ChartImage(f"demand_{file_stem(act)}", f"Weekly demand: {name}", alt, png))
    return images


def demand_overview_table(weekly: pd.DataFrame) -> pd.DataFrame:
    """Per activity: the mean weekly demand of the last 52 weeks of history, the planning year's forecast
    mean and the sized level (patients a week), and the last two as changes on the first.

    Returns
    -------
    DataFrame
        Indexed by ``activity_id`` (order of first appearance) with columns ``last_year``,
        ``forecast``, ``sized`` (patients a week), ``forecast_change`` and ``sized_change``
        (fractions: ``forecast / last_year - 1``; NaN when last year had no demand).
    """
    frame = weekly
    if not pd.api.types.is_datetime64_any_dtype(frame["week_start"]):
        frame = frame.assign(week_start=pd.to_datetime(frame["week_start"]))
    order = pd.unique(frame["activity_id"].astype(str))
    hist = frame[frame["kind"] == "history"].sort_values("week_start")
    by_activity = hist.groupby(hist["activity_id"].astype(str))["value"]
    last_year = by_activity.agg(lambda v: float(v.tail(52).mean()))
    fc = frame[frame["kind"] == "forecast"]
    key = fc["activity_id"].astype(str)
    table = pd.DataFrame(
        {
            "last_year": last_year,
            "forecast": fc.groupby(key)["mean"].mean(),
            "sized": fc.groupby(key)["sized"].max(),
        }
    ).reindex(order)
    base = table["last_year"].where(table["last_year"] > 0)
    table["forecast_change"] = table["forecast"] / base - 1
    table["sized_change"] = table["sized"] / base - 1
    table.index.name = "activity_id"
    return table


def demand_overview_image(weekly: pd.DataFrame, names: Mapping[str, str] | None = None) -> ChartImage:
    """One chart of every activity: how the planning year's forecast mean (blue dot) and the level it is
    sized to (black tick) compare with the last 52 weeks' mean demand, in per cent, sorted by the
    forecast's change. Drawn instead of two charts per activity when a pack has many activities
    (:data:`capacity_planner.workflow.CHARTS_PER_ACTIVITY_UP_TO`): one figure costs about what one
    activity's chart does."""
    table = demand_overview_table(weekly).dropna(subset=["forecast_change"])
    table = table.sort_values("forecast_change")
    labels = [(names or {}).get(str(a), str(a)) for a in table.index]
    height = max(2.5, 0.8 + 0.17 * len(table))
    fig = _fixed_layout_figure(9, height)
    ax = fig.add_subplot()
    y = list(range(len(table)))
    ax.axvline(0, color=_HISTORY, lw=1.0)
    ax.scatter(100 * table["forecast_change"], y, color=_FORECAST, s=18, zorder=3,
               label="forecast mean for the planning year")
    sized = table["sized_change"]
    ax.scatter(100 * sized, y, color=_SIZED, marker="|", s=90, zorder=3, label="sized level (its centile)")
    ax.set_ylim(-0.8, len(table) - 0.2)
    ax.set_xlabel("change on the mean of the last 52 weeks (%)")
    ax.set_title("Next year's weekly demand against last year's, by activity", fontsize=11, loc="left")
    S.style_axes(ax, grid="none")
    _activity_rows(ax, y, labels)
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    _fit_left_margin(fig, ax, labels)
    buf = io.BytesIO()
    fig.savefig(buf, dpi=S.DPI, format="png", pil_kwargs={"compress_level": 3})
    fig.clear()
    alt = (f"Dot chart of {len(table)} activities: the forecast mean and the sized level of weekly demand "
           "as a change on last year's mean, in per cent.")
    return ChartImage("demand_overview", "Weekly demand by activity: next year against last", alt,
                      buf.getvalue())


def _fixed_layout_figure(width: float, height: float) -> Figure:
    """A figure as :func:`~capacity_planner.pages.chart_style.new_figure` makes (quarter inches, Agg
    canvas, house DPI) but with margins set once, in inches (:func:`_fit_left_margin`), instead of the
    constrained layout's repeated measuring of every tick label: that was half the overview's cost for a
    160-activity trust (issue 16). Bottom 0.6 in for the axis title, top 0.45 in for the chart title,
    right 0.3 in."""
    import math

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    w, h = math.ceil(width * 4) / 4, math.ceil(height * 4) / 4
    fig = Figure(figsize=(w, h), dpi=S.DPI)
    FigureCanvasAgg(fig)
    fig.subplots_adjust(right=1 - 0.3 / w, bottom=0.6 / h, top=1 - 0.45 / h)
    return fig


def _activity_rows(ax: Axes, y: list[int], labels: list[str]) -> None:
    """The activities' rows as the y axis's ticks would draw them (``style_axes``' grid line, a 3.5 pt
    tick and a 10 pt label 3.5 pt to its left), but as three artists and one text per row rather than a
    tick of two lines and two texts per row: the ticks' set-up was a third of the overview's cost for a
    160-activity trust (issue 16)."""
    import matplotlib.lines as mlines
    import matplotlib.transforms as mtransforms
    from matplotlib.collections import LineCollection

    ax.set_yticks([])
    rows = ax.get_yaxis_transform()  # x in axes fraction, y in data
    grid = LineCollection([[(0, row), (1, row)] for row in y], colors=S.GRID, linewidths=0.8, zorder=0.5,
                          transform=rows)
    ax.add_collection(grid, autolim=False)
    tick_left: Literal[0] = 0  # matplotlib.markers.TICKLEFT, the y axis's tick mark
    ax.add_artist(mlines.Line2D([0] * len(y), y, linestyle="none", marker=tick_left, markersize=3.5,
                                markeredgewidth=0.8, color=S.TEXT, transform=rows, clip_on=False))
    shifted = rows + mtransforms.ScaledTranslation(-7 / 72, 0, ax.figure.dpi_scale_trans)
    for row, label in zip(y, labels, strict=True):
        ax.text(0, row, label, transform=shifted, ha="right", va="center_baseline", fontsize=10,
                color=S.TEXT, clip_on=False)


def _fit_left_margin(fig: Figure, ax: Axes, labels: list[str]) -> None:
    """Left margin: the widest row label (the longest, as :func:`_activity_rows` draws them), measured
    once as a text path in the labels' own font, plus 0.35 in for the ticks and padding (at most 60 % of
    the width)."""
    from matplotlib.textpath import TextToPath

    widest = max(labels, key=len, default="")
    width_pt = 0.0
    if widest and ax.texts:
        width_pt = TextToPath().get_text_width_height_descent(widest, ax.texts[0].get_fontproperties(),
                                                               ismath=False)[0]
    w = fig.get_size_inches()[0]
    fig.subplots_adjust(left=min(0.6, (width_pt / 72 + 0.35) / w))


def plot_backtest(
    table: pd.DataFrame,
    path: str | Path,
    *,
    title: str = "Back-test coverage",
    target: float | None = 0.80,
    dpi: int = 110,
) -> Path:
    """Bar chart of coverage (model vs naive) per row label of a back-test summary.

    ``table`` needs columns ``label``, ``coverage`` and ``coverage_naive``.
    """
    fig = S.new_figure(8, 3.75)
    draw_backtest(table, title=title, target=target, ax=fig.add_subplot())
    out = Path(path)
    fig.savefig(out, dpi=dpi)
    return out


def draw_backtest(table: pd.DataFrame, *, title: str = "Back-test coverage", target: float | None = 0.80,
                  ax: Axes | None = None) -> Axes:
    """Draw coverage (model vs naive) per row label of a back-test summary on ``ax`` (default: a new
    figure); ``table`` needs columns ``label``, ``coverage`` and ``coverage_naive``."""
    if ax is None:
        ax = S.new_figure(8, 3.75).add_subplot()
    x = range(len(table))
    ax.bar([i - 0.2 for i in x], table["coverage"], width=0.4, color=_FORECAST, label="model")
    ax.bar([i + 0.2 for i in x], table["coverage_naive"], width=0.4, color=_HISTORY, label="naive")
    if target is not None:
        ax.axhline(target, color=_SIZED, ls="--", lw=1.2, label=f"target {target:.0%}")
    ax.set_xticks(list(x), list(table["label"]), rotation=30, ha="right", fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of test periods covered")
    ax.set_title(title, fontsize=11, loc="left")
    S.style_axes(ax)
    ax.legend(fontsize=9, frameon=False)
    return ax
