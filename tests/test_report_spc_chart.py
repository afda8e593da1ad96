"""Drawing XmR charts in the Making Data Count style, and the demand and delivered-sessions charts."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from PIL import Image

from capacity_planner.pack.read import read_pack
from capacity_planner.report.charts import figure_texts, save_chart
from capacity_planner.report.spc import SpcOptions, xmr
from capacity_planner.report.spc_chart import MDC_STYLE, demand_spc_charts, draw_xmr, spc_alt_text, spc_chart
from capacity_planner.review import ReviewResult
from capacity_planner.review.delivered import planned_cells, planned_vs_delivered, review_period
from capacity_planner.review.spc import (
    delivered_by_week,
    delivered_spc_charts,
    delivered_xmr,
    planned_per_week,
)

if TYPE_CHECKING:
    from pathlib import Path

    from capacity_planner.pack.model import PlanningPack

# NHSRplotthedots README example (RQM A&E breaches, decrease, target 1200): see tests/test_report_spc.py.
MONTHS = pd.date_range("2016-04-01", periods=24, freq="MS")
RQM = [1199, 929, 970, 1178, 1110, 1388, 2061, 1985, 2675, 3141, 1942, 2030,
       1309, 1960, 1169, 1117, 1085, 1492, 1280, 1197, 1569, 1406, 1328, 1564]


@pytest.fixture()
def rqm():
    return xmr(RQM, MONTHS, target=1200, options=SpcOptions(improvement_direction="decrease"))


def _point_colours(ax) -> dict[str, list[str]]:
    """Hex colour of every scatter point, by its legend label."""
    out = {}
    for coll in ax.collections:
        if isinstance(coll, PathCollection) and not coll.get_label().startswith("_"):
            out[coll.get_label()] = [to_hex(c) for c in coll.get_facecolors()]
            out[coll.get_label() + ":n"] = [str(len(coll.get_offsets()))]
    return out


def _levels(ax, linestyle: str) -> list[float]:
    return sorted({round(float(line.get_ydata()[0]), 6) for line in ax.get_lines()
                   if line.get_linestyle() == linestyle and len(set(np.asarray(line.get_ydata(), float))) == 1})


def test_points_are_coloured_by_their_reading(rqm):
    ax = draw_xmr(rqm, title="A&E breaches")
    colours = _point_colours(ax)
    # README-limits-example-1.png: two blue (improvement) points, two orange (concern), twenty grey.
    assert colours["Special cause: improvement"][0] == MDC_STYLE.improvement == "#00b0f0"
    assert colours["Special cause: improvement:n"] == ["2"]
    assert colours["Special cause: concern"][0] == "#e46c0a" and colours["Special cause: concern:n"] == ["2"]
    assert colours["Common cause"][0] == "#a6a6a6" and colours["Common cause:n"] == ["20"]


def test_limits_dashed_mean_solid_target_line(rqm):
    ax = draw_xmr(rqm)
    seg = rqm.segments.iloc[0]
    assert _levels(ax, "--") == [round(seg["lpl"], 6), round(seg["upl"], 6)]
    solid = _levels(ax, "-")
    assert round(seg["mean"], 6) in solid and 1200.0 in solid  # mean and target
    target = [line for line in ax.get_lines() if line.get_label() == "Target"]
    assert to_hex(target[0].get_color()) == "#de1b1b"
    # The last segment's limits and mean are written at the right: 740, 1,545, 2,350.
    assert {"740", "1,545", "2,350"} <= set(figure_texts(ax.figure))


def test_icons_and_their_reading_in_words(rqm):
    ax = draw_xmr(rqm, title="A&E breaches")
    texts = figure_texts(ax.figure)
    assert "?" in texts  # assurance badge: hit or miss
    assert any("Variation: common cause variation · Assurance: hit or miss against the target of 1,200" in t
               for t in texts)
    no_target = draw_xmr(xmr(RQM, MONTHS, options=SpcOptions(improvement_direction="decrease")), title="x")
    assert "?" not in figure_texts(no_target.figure)


def test_rebased_chart_has_limits_per_segment_and_a_marker():
    # Two segments of 1, 3 repeated (mean 2, MR 2) and 21, 23 repeated (mean 22): limits 2 ± 5.32 and
    # 22 ± 5.32, drawn only over their own points; the last point rises above the limit -> high concern
    # when lower is better, drawn as an orange "H" badge.
    chart = xmr([1, 3] * 8 + [21, 23] * 7 + [30], rebase=[16], options=SpcOptions(improvement_direction="decrease"))
    ax = draw_xmr(chart, title="Rebased")
    assert _levels(ax, "--") == pytest.approx([2 - 5.32, 2 + 5.32, chart.segments["lpl"].iloc[1],
                                               chart.segments["upl"].iloc[1]])
    limit_spans = sorted({tuple(line.get_xdata()) for line in ax.get_lines() if line.get_linestyle() == "--"})
    assert limit_spans == [(0, 15), (16, 30)]
    texts = figure_texts(ax.figure)
    assert "Rebased" in texts and "H" in texts
    assert chart.variation == "concern_high"


def test_draws_into_a_given_axes_without_pyplot():
    fig = Figure(figsize=(8, 6))
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2)
    ax = draw_xmr(xmr([1, 3, 2, 4, 3, 5, 4]), right, icons=False, sigma_bands=True)
    assert ax is right and len(left.get_lines()) == 0
    assert len(_levels(right, ":")) == 4  # 1 and 2 sigma either side


def test_spc_chart_writes_a_fixed_size_png(tmp_path: Path, rqm):
    chart = spc_chart(rqm, "spc_rqm", "A&E breaches", y_label="Breaches a month", what="A&E breaches")
    (png,) = save_chart(chart, tmp_path)
    with Image.open(png) as im:
        assert (im.format, im.size) == ("PNG", chart.size_px) and chart.size_px == (1200, 570)
    assert chart.alt == spc_alt_text(rqm, "A&E breaches")
    assert chart.alt.startswith("XmR chart of A&E breaches: 24 points from 01 Apr 2016 to 01 Mar 2018; mean 1,545, "
                                "process limits 740 to 2,350; 4 special-cause points (2 two of three near a "
                                "limit, 2 beyond a limit).")


def test_demand_spc_charts_from_the_weekly_table():
    weeks = pd.date_range("2026-01-05", periods=20, freq="7D")
    hist = pd.DataFrame({"activity_id": "2ww", "week_start": weeks, "kind": "history",
                         "value": [10.0, 14.0] * 9 + [12.0, 40.0]})
    forecast = pd.DataFrame({"activity_id": "2ww", "week_start": weeks + pd.Timedelta(weeks=20),
                             "kind": "forecast", "value": np.nan})
    other = hist.assign(activity_id="fu", value=5.0)
    charts = demand_spc_charts(pd.concat([hist, forecast, other]), {"2ww": "Two-week wait"})
    assert [c.name for c in charts] == ["spc_demand_2ww", "spc_demand_fu"]
    assert charts[0].title == "Weekly demand: Two-week wait (2ww)"
    # 10, 14 nine times, 12, 40: mean 268/20 = 13.4 (the values alternate sides); MRs seventeen 4s, a 2
    # and a 28 (screened): mean 70/18 = 3.889, upper limit 13.4 + 10.34 = 23.74, so the 40 is beyond it.
    # Demand has no better direction: it is purple "high" and the icon neutral high; forecast rows are
    # not charted.
    assert "20 points" in charts[0].alt and "1 special-cause points (1 beyond a limit)" in charts[0].alt
    assert "Variation: special cause (high), neither good nor bad" in charts[0].alt
    assert "no special-cause points" in charts[1].alt  # a constant series: limits on the mean


def test_demand_spc_charts_stated_and_detected_changes():
    weeks = pd.date_range("2026-01-05", periods=24, freq="7D")
    hist = pd.DataFrame({"activity_id": "2ww", "week_start": weeks, "kind": "history",
                         "value": [1.0, 3.0] * 6 + [11.0, 13.0] * 6})
    plain, = demand_spc_charts(hist)
    assert "Rebased" not in figure_texts(plain.figure)
    detected, = demand_spc_charts(hist, detect_changes=True)  # the step at week 13 (see test_report_spc)
    stated, = demand_spc_charts(hist, rebase={"2ww": [weeks[12]]})
    for chart in (detected, stated):
        assert "Rebased" in figure_texts(chart.figure)
        assert "from 30 Mar 2026, mean 12.0 a week" in chart.alt


# ---- the quarterly review: delivered sessions a week -------------------------------------------------
@pytest.fixture()
def review(tiny_path: Path) -> tuple[PlanningPack, ReviewResult]:
    # tests/test_review.py's delivered extract, 2ww only: A 1 a week except week 2 (leave), B 1 in weeks 1
    # and 2, a locum 1 in weeks 1 and 2 (not the team's).
    base = read_pack(tiny_path)
    mon = pd.Timestamp("2026-04-06")
    rows = [("A", mon + pd.Timedelta(weeks=i), "2ww", 1.0, "substantive") for i in (0, 2, 3)]
    rows += [("B", mon + pd.Timedelta(weeks=i), "2ww", 1.0, "substantive") for i in (0, 1)]
    rows += [("L1", mon + pd.Timedelta(weeks=i), "2ww", 1.0, "locum") for i in (0, 1)]
    delivered = pd.DataFrame(rows, columns=["clinician_id", "week_start", "activity_id", "sessions", "session_type"])
    leave = pd.DataFrame({"clinician_id": ["A"], "week_start": [mon + pd.Timedelta(weeks=1)], "weeks": [1.0]})
    pack = base.replace(delivered=delivered, leave=leave)
    period = review_period(pack)
    detail = planned_vs_delivered(pack, period, planned_cells(pack))
    empty = pd.DataFrame()
    return pack, ReviewResult(period, empty, empty, empty, detail, 10.0)


def test_delivered_sessions_a_week_and_the_planned_target(review):
    pack, result = review
    assert result.period.start == dt.date(2026, 4, 6) and result.period.weeks == 4
    # Weeks: A + B = 2, B = 1, A = 1, A = 1 (the locum's sessions are bought, not the team's).
    weekly = delivered_by_week(pack, result.period, "2ww")
    assert weekly.tolist() == [2.0, 1.0, 1.0, 1.0]
    # Planned 2ww, weekday-true (tests/test_review.py): A's Monday clinic 4 - Easter Monday - the leave week
    # = 2, B's Wednesday one 4 - 8.4 × 4/52 = 3.3538 (leave spread); a week: (2 + 3.3538) / 4 = 1.3385.
    assert planned_per_week(result, "2ww") == pytest.approx((2 + 4 - 8.4 * 4 / 52) / 4)
    chart = delivered_xmr(pack, result, "2ww")
    # mean 5/4 = 1.25; MRs 1, 0, 0: mean 1/3 (screening keeps MR < 3.267/3 = 1.089); limits 1.25 ± 0.8867:
    # 0.3633 .. 2.1367; the plan (1.3385) is inside them: hit or miss; the 2 is common cause.
    assert chart.segments["mean"].iloc[0] == 1.25
    assert chart.segments["upl"].iloc[0] == pytest.approx(1.25 + 2.66 / 3)
    assert chart.assurance == "inconsistent"
    assert chart.segments["trial_limits"].iloc[0]  # 4 points


def test_delivered_spc_charts_one_per_activity(review):
    pack, result = review
    charts = delivered_spc_charts(pack, result)
    assert charts[0].name == "spc_delivered" and charts[0].title.startswith("Sessions delivered a week, 06 Apr 2026")
    planned = set(result.detail.loc[result.detail["planned_sessions"] > 0, "activity_id"])
    names = {c.name for c in charts[1:]}
    assert {f"spc_delivered_{a}" for a in planned} == names
    assert len(delivered_spc_charts(pack, result, by_activity=False)) == 1


def test_write_spc_charts(tmp_path: Path, rqm):
    from capacity_planner.report.spc_chart import write_spc_charts

    files = write_spc_charts([spc_chart(rqm, "spc_rqm", "A&E", y_label="", what="A&E breaches")], tmp_path,
                             formats=("png", "svg"))
    assert [f.path.name for f in files] == ["spc_rqm.png"] and (tmp_path / "spc_rqm.svg").exists()
    with Image.open(files[0].path) as im:
        assert (files[0].width_px, files[0].height_px) == im.size


@pytest.mark.slow
def test_sample_numbers_quoted_in_docs_method():
    # docs/method.md, "Statistical process control", "Where they are used".
    from capacity_planner.demand.pipeline import size_demand
    from capacity_planner.pack.read import sample_pack
    from capacity_planner.review import run_review

    pack = sample_pack()
    result = run_review(pack)
    chart = delivered_xmr(pack, result)
    seg = chart.segments.iloc[0]
    assert (round(seg["mean"], 1), round(seg["lpl"], 1), round(seg["upl"], 1)) == (58.7, 30.5, 86.8)
    assert round(chart.target, 1) == 60.0 and chart.assurance == "inconsistent"
    assert chart.variation == "common_cause" and (chart.points["point_type"] == "common_cause").all()
    total = result.review.loc[result.review["level"] == "total"].iloc[0]
    assert chart.target == pytest.approx(total["planned_sessions"] / result.period.weeks)
    weekly = size_demand(pack).weekly
    history = weekly.loc[weekly["kind"] == "history"]

    def demand_chart(activity_id: str):
        rows = history.loc[history["activity_id"] == activity_id]
        return xmr(rows["value"], rows["week_start"], options=SpcOptions(improvement_direction="neutral"))

    two = demand_chart("2ww")
    seg = two.segments.iloc[0]
    assert (seg["n_points"], round(seg["mean"], 1), round(seg["lpl"], 1), round(seg["upl"], 1)) == (
        156, 38.2, 7.2, 69.2)
    assert int(two.points["beyond_limits"].sum()) == 2
    minor = demand_chart("minor_ops")
    special = minor.points.loc[minor.points["point_type"] != "common_cause", "rule"].value_counts()
    assert (special.sum(), special["shift"], special["beyond_limits"]) == (29, 22, 7)
