"""Plan charts render: files exist, are not trivial, and have the pixel size the figure promises."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import capacity_planner as cp
from capacity_planner.report import charts as CH
from capacity_planner.report.meeting_pack import write_report_files
from capacity_planner.report.tables import MeetingData, build_meeting_data, read_plan_dir

DATA = Path(__file__).parent / "data"
FIXTURE = DATA / "plan_fixture"


@pytest.fixture(scope="module")
def pack() -> cp.PlanningPack:
    return cp.read_pack(DATA / "tiny")


@pytest.fixture(scope="module")
def data(pack: cp.PlanningPack) -> MeetingData:
    return build_meeting_data(pack, read_plan_dir(FIXTURE))


def test_charts_render_at_their_stated_size(tmp_path: Path, data: MeetingData) -> None:
    files = CH.write_charts(data, tmp_path)
    assert [f.name for f in files] == ["capacity_vs_demand", "timetable", "pa_mix", "gap_waterfall"]
    for f in files:
        assert f.path.exists() and f.path.stat().st_size > 10_000, f.name
        with Image.open(f.path) as im:
            assert im.size == (f.width_px, f.height_px), f.name
            pixels = np.asarray(im.convert("L"), dtype=float)
        assert pixels.std() > 10, f.name  # something is drawn
        assert f.width_px >= 900 and f.height_px >= 400, f.name  # readable on a projector
        assert len(f.alt) > 40


def test_chart_size_grows_with_the_team(data: MeetingData) -> None:
    chart = CH.timetable_chart(data)
    w, h = chart.size_px
    assert (w, h) == (
        round(chart.figure.get_size_inches()[0] * CH.DPI),
        round(chart.figure.get_size_inches()[1] * CH.DPI),
    )
    assert h == 4.25 * CH.DPI  # 2.2 + 0.5 a clinician, snapped up to a quarter inch


def test_chart_text_names_clinicians_and_activities(data: MeetingData) -> None:
    texts = CH.figure_texts(CH.timetable_chart(data).figure)
    assert {"Dr Ada Ames", "Nia Nash", "2ww", "Mon\nAM", "Tue\nEVE"} <= set(texts)
    waterfall = CH.figure_texts(CH.gap_waterfall_chart(data).figure)
    assert "1,176" in waterfall and "104" in waterfall  # gap before and after, sessions a year
    demand = CH.figure_texts(CH.demand_capacity_chart(data).figure)
    assert any("954 of 1,042" in t for t in demand)


def test_meeting_pack_writes_all_charts(tmp_path: Path, pack: cp.PlanningPack) -> None:
    folder = tmp_path / "plan"
    shutil.copytree(FIXTURE, folder)
    written = write_report_files(pack, folder)
    names = sorted(p.name for p in (folder / "charts").iterdir())
    # the four plan charts, and per activity of weekly_demand.csv its weekly demand and XmR chart, drawn
    # from the folder's tables under the names `plan` gives them
    assert names == [
        "capacity_vs_demand.png",
        "demand_2ww.png",
        "demand_fu.png",
        "gap_waterfall.png",
        "pa_mix.png",
        "spc_demand_2ww.png",
        "spc_demand_fu.png",
        "timetable.png",
    ]
    assert {p.name for p in written} >= {"report.html", "plan.xlsx", *names}
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporary left behind
    with Image.open(folder / "charts" / "demand_2ww.png") as im:
        assert im.size[0] > 500


def test_no_weekly_demand_file_no_weekly_charts(tmp_path: Path, pack: cp.PlanningPack) -> None:
    folder = tmp_path / "plan"
    shutil.copytree(FIXTURE, folder)
    (folder / "weekly_demand.csv").unlink()
    write_report_files(pack, folder)
    assert not list((folder / "charts").glob("*demand_*"))
    assert "Weekly demand and the sized level" not in (folder / "report.html").read_text(encoding="utf-8")


def test_pa_mix_uses_the_timetable_colours(data: MeetingData) -> None:
    """One chart style (issue 14 item 6, issue 18 item 5): the PA-mix bars are filled with the timetable's
    category colours (the same fills as report.html and plan.xlsx)."""
    from matplotlib.colors import to_hex

    from capacity_planner.pages.chart_style import CATEGORY_COLOURS
    from capacity_planner.report.excel import fill_for

    chart = CH.pa_mix_chart(data)
    ax = chart.figure.axes[0]
    fills = {to_hex(p.get_facecolor()) for p in ax.patches}
    assert {CATEGORY_COLOURS["DCC"], CATEGORY_COLOURS["SPA"]} <= fills
    assert fill_for("DCC").fgColor.rgb.endswith(CATEGORY_COLOURS["DCC"].lstrip("#").upper())
