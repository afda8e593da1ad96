"""The review's XmR charts follow the pack's settings (issue 18 item 4): ``review.spc_rebase`` (new limits
from a date), ``review.spc_baseline_weeks`` (limits from the first weeks only) and ``review.spc_targets``
(a target per chart), declared, validated and documented like every pack.toml key, and shown on the page.

Limits are worked by hand with the Making Data Count formula (NHS England and NHS Improvement, *Making
Data Count: Strengthening your decisions*, 2019, XmR chart: process limits = mean ± 2.66 × mean moving
range), as NHSRplotthedots 0.2.2 computes them (``R/ptd_spc_standard.R``: ``lpl = mean - 2.66 * amr``,
moving ranges at or above 3.267 × their mean screened out; ``rebase`` starts a new mean and limits;
``fix_after_n_points`` computes them from the first n points).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import capacity_planner as cp
from capacity_planner.cli import cli
from capacity_planner.pack.settings import parse_settings, settings_to_values
from capacity_planner.review import ReviewResult, run_review, write_review
from capacity_planner.review.spc import delivered_xmr, spc_chart_settings, spc_settings_rows

TINY = Path(__file__).parent / "data" / "tiny"
WEEKS = pd.date_range("2026-04-06", periods=8, freq="7D")
VALUES = [10.0, 12.0, 11.0, 13.0, 20.0, 22.0, 21.0, 23.0]  # the team's sessions delivered a week
REBASE = dt.date(2026, 5, 4)  # the fifth week


def _pack(**settings: object) -> cp.PlanningPack:
    """The tiny pack with eight weeks of delivered sessions (all Dr Ada Ames' two-week-wait clinic)."""
    base = cp.read_pack(TINY)
    delivered = pd.DataFrame({"clinician_id": "A", "week_start": WEEKS, "activity_id": "2ww",
                              "sessions": VALUES, "session_type": "substantive"})
    delivered = delivered.astype({"clinician_id": "str", "activity_id": "str", "sessions": "float64",
                                  "session_type": "str"})
    return base.replace(delivered=delivered, settings=dataclasses.replace(base.settings, **settings))


def _review(pack: cp.PlanningPack) -> ReviewResult:
    return run_review(pack, dt.date(2026, 4, 6), dt.date(2026, 5, 31))


def test_limits_before_a_rebase_by_hand() -> None:
    """No setting: one segment. Mean 132 / 8 = 16.5; moving ranges 2, 1, 2, 7, 2, 1, 2 (mean 17/7; none
    screened, 7 < 3.267 × 17/7 = 7.93); limits 16.5 ± 2.66 × 17/7 = 10.04 and 22.96."""
    pack = _pack()
    result = _review(pack)
    chart = delivered_xmr(pack, result)
    assert chart.points["value"].tolist() == VALUES
    (seg,) = chart.segments.to_dict("records")
    assert seg["mean"] == pytest.approx(16.5)
    assert seg["mean_moving_range"] == pytest.approx(17 / 7)
    assert seg["lpl"] == pytest.approx(16.5 - 2.66 * 17 / 7) and seg["lpl"] == pytest.approx(10.04, abs=0.005)
    assert seg["upl"] == pytest.approx(16.5 + 2.66 * 17 / 7) and seg["upl"] == pytest.approx(22.96, abs=0.005)
    conf = spc_chart_settings(pack, result)
    assert conf.target_from == "plan" and chart.target == pytest.approx(conf.target)


def test_limits_after_a_rebase_and_a_target_from_the_settings_by_hand() -> None:
    """review.spc_rebase team = 2026-05-04: weeks 1–4 (10, 12, 11, 13: mean 11.5, moving ranges 2, 1, 2,
    mean 5/3) have limits 11.5 ± 2.66 × 5/3 = 7.07 and 15.93; weeks 5–8 (20, 22, 21, 23: mean 21.5) 17.07
    and 25.93. review.spc_targets team = 15: below the last segment's lower limit 17.07, so the team
    consistently passes (NHSRplotthedots ptd_calculate_assurance_type, improvement direction increase)."""
    pack = _pack(spc_rebase=(("team", (REBASE,)),), spc_targets=(("team", 15.0),))
    result = _review(pack)
    chart = delivered_xmr(pack, result)
    segs = chart.segments.to_dict("records")
    assert [s["n_points"] for s in segs] == [4, 4]
    assert pd.Timestamp(segs[1]["start"]).date() == REBASE
    half = 2.66 * 5 / 3
    assert [s["mean"] for s in segs] == pytest.approx([11.5, 21.5])
    assert [s["mean_moving_range"] for s in segs] == pytest.approx([5 / 3, 5 / 3])
    assert [s["lpl"] for s in segs] == pytest.approx([11.5 - half, 21.5 - half])
    assert [s["upl"] for s in segs] == pytest.approx([11.5 + half, 21.5 + half])
    assert segs[0]["lpl"] == pytest.approx(7.0667, abs=1e-4) and segs[1]["upl"] == pytest.approx(25.9333, abs=1e-4)
    assert chart.target == 15.0 and chart.assurance == "consistent_pass"
    # the activity's own chart is not rebased by a team setting, and keeps the plan's target
    own = spc_chart_settings(pack, result, "2ww")
    assert own.rebase == () and own.target_from == "plan"
    assert len(delivered_xmr(pack, result, "2ww").segments) == 1


def test_rebase_for_all_charts_and_a_baseline_by_hand() -> None:
    """review.spc_rebase all = 2026-05-04 rebases every chart; review.spc_baseline_weeks = 3 computes each
    segment's limits from its first three weeks: 10, 12, 11 (mean 11, moving ranges 2, 1: mean 1.5,
    limits 11 ± 3.99) and 20, 22, 21 (mean 21, limits 21 ± 3.99)."""
    pack = _pack(spc_rebase=(("all", (REBASE,)),), spc_baseline_weeks=3)
    result = _review(pack)
    for aid in (None, "2ww"):
        segs = delivered_xmr(pack, result, aid).segments
        assert segs["mean"].tolist() == pytest.approx([11.0, 21.0])
        assert segs["lpl"].tolist() == pytest.approx([11 - 2.66 * 1.5, 21 - 2.66 * 1.5])
        assert segs["upl"].tolist() == pytest.approx([11 + 3.99, 21 + 3.99])


def test_the_page_says_what_each_chart_used(tmp_path: Path) -> None:
    pack = _pack(spc_rebase=(("team", (REBASE, dt.date(2030, 1, 7))),), spc_targets=(("team", 15.0),))
    result = _review(pack)
    rows = spc_settings_rows(pack, result)
    assert rows[0] == {"chart": "Whole team", "target": "15.0 a week (review.spc_targets)",
                       "limits": "new limits from 04 May 2026; not used (outside the period or at its "
                                 "first week): 07 Jan 2030",
                       "baseline": "every week of each segment"}
    assert rows[1]["chart"] == "Two-week-wait clinic" and rows[1]["target"].endswith("(the plan's sessions a week)")
    write_review(pack, result, tmp_path / "r")
    page = (tmp_path / "r" / "review.html").read_text(encoding="utf-8")
    assert "What each chart is computed with" in page
    assert re.search(r"<td>15\.0 a week \(review\.spc_targets\)</td>", page)
    assert "new limits from 04 May 2026" in page
    assert "Assurance: consistently passes the target of 15.0 a week" in page  # the chart's alt text agrees


# ---- declared, validated, documented --------------------------------------------------------------------
def test_settings_parse_from_toml_values_and_from_the_settings_sheet() -> None:
    toml = {"review.spc_rebase": {"team": [dt.date(2026, 5, 4)], "2ww": dt.date(2026, 5, 11)},
            "review.spc_targets": {"team": 15, "2ww": 6.5}, "review.spc_baseline_weeks": 12}
    settings, problems = parse_settings(toml, "pack.toml")
    assert problems == []
    assert settings.spc_rebase == (("2ww", (dt.date(2026, 5, 11),)), ("team", (dt.date(2026, 5, 4),)))
    assert settings.spc_targets == (("2ww", 6.5), ("team", 15.0)) and settings.spc_baseline_weeks == 12
    sheet = {"review.spc_rebase": "team: 2026-05-04; 2ww: 2026-05-11",
             "review.spc_targets": "team=15; 2ww=6.5", "review.spc_baseline_weeks": 12}
    again, problems = parse_settings(sheet, "settings sheet")
    assert problems == [] and (again.spc_rebase, again.spc_targets) == (settings.spc_rebase, settings.spc_targets)
    every, problems = parse_settings({"review.spc_rebase": "2026-05-04, 2026-06-01"}, "settings sheet")
    assert problems == [] and every.spc_rebase == (("all", (dt.date(2026, 5, 4), dt.date(2026, 6, 1))),)
    # written back losslessly (pack.toml and the settings sheet read the same values)
    values = settings_to_values(settings)
    assert values["review.spc_targets"] == {"2ww": 6.5, "team": 15.0}
    assert parse_settings(values, "x")[0].spc_rebase == settings.spc_rebase


def test_bad_settings_are_errors_naming_key_and_value() -> None:
    _, problems = parse_settings({"review.spc_rebase": ["2026-13-01"], "review.spc_targets": "team=lots",
                                  "review.spc_baseline_weeks": 1}, "pack.toml")
    by_key = {p.column: p for p in problems}
    assert set(by_key) == {"review.spc_rebase", "review.spc_targets", "review.spc_baseline_weeks"}
    assert all(p.severity == "error" for p in problems)
    assert "not a real date" in by_key["review.spc_rebase"].message
    assert by_key["review.spc_targets"].value == "team=lots"
    assert "from 2 to 520" in by_key["review.spc_baseline_weeks"].message


def test_an_unknown_chart_stops_the_run_with_exit_2(tmp_path: Path) -> None:
    import shutil

    pack_dir = tmp_path / "pack"
    shutil.copytree(TINY, pack_dir)
    with (pack_dir / "pack.toml").open("a", encoding="utf-8") as f:
        f.write("\n[review.spc_targets]\ntaem = 15\n2ww = 6\n\n[review.spc_rebase]\nderm = [2026-05-04]\n")
    result = CliRunner().invoke(cli, ["review", str(pack_dir), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "review.spc_targets" in result.output and "taem" in result.output and "'team'" in result.output
    assert "review.spc_rebase" in result.output and "derm" in result.output
    assert not (tmp_path / "out").exists()


def test_the_settings_are_documented() -> None:
    text = (Path(__file__).parents[1] / "docs" / "data-pack.md").read_text(encoding="utf-8")
    for key in ("review.spc_rebase", "review.spc_baseline_weeks", "review.spc_targets"):
        assert f"`{key}`" in text


def test_settings_survive_writing_the_pack_as_a_folder_and_a_workbook(tmp_path: Path) -> None:
    from capacity_planner.pack.write import write_pack

    base = cp.read_pack(TINY)
    settings = dataclasses.replace(
        base.settings, spc_rebase=(("2ww", (dt.date(2026, 5, 11),)), ("team", (REBASE, dt.date(2026, 6, 1)))),
        spc_targets=(("2ww", 6.5), ("team", 15.0)), spc_baseline_weeks=4,
        explicit=base.settings.explicit | {"review.spc_rebase", "review.spc_targets", "review.spc_baseline_weeks"})
    pack = base.replace(settings=settings)
    every = dataclasses.replace(settings, spc_rebase=(("all", (REBASE,)),))
    for original in (pack, base.replace(settings=every)):
        for dest in (tmp_path / f"folder{len(original.settings.spc_rebase)}",
                     tmp_path / f"pack{len(original.settings.spc_rebase)}.xlsx"):
            back = cp.read_pack(write_pack(original, dest)).settings
            assert (back.spc_rebase, back.spc_targets, back.spc_baseline_weeks) == (
                original.settings.spc_rebase, original.settings.spc_targets, 4), dest


def test_settings_survive_the_intake_template(tmp_path: Path) -> None:
    """`capacity-planner template PACK` writes the settings sheet with the same text forms."""
    from capacity_planner.intake.template import write_template

    base = cp.read_pack(TINY)
    settings = dataclasses.replace(
        base.settings, spc_rebase=(("team", (REBASE,)),), spc_targets=(("2ww", 6.5), ("team", 15.0)),
        explicit=base.settings.explicit | {"review.spc_rebase", "review.spc_targets"})
    back = cp.read_pack(write_template(base.replace(settings=settings), tmp_path / "t.xlsx")).settings
    assert (back.spc_rebase, back.spc_targets) == (settings.spc_rebase, settings.spc_targets)
