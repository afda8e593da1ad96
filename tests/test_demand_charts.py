"""Chart selection of `demand` at trust scale (issue 16 item 3): two charts per activity up to
workflow.CHARTS_PER_ACTIVITY_UP_TO activities, one overview chart above it, every chart with --all-charts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from capacity_planner import workflow
from capacity_planner.cli import cli
from capacity_planner.report.plots import demand_overview_image, demand_overview_table

if TYPE_CHECKING:
    from pathlib import Path


def _weekly() -> pd.DataFrame:
    """Activity a: 60 weeks of history, 10 a week then 20 a week for the last 52; forecast mean 22, sized 25.
    Activity b: 52 weeks at 40; forecast 36, sized 44."""
    hist_weeks = pd.date_range("2025-01-06", periods=60, freq="W-MON")
    fc_weeks = pd.date_range(hist_weeks[-1] + pd.Timedelta(weeks=1), periods=52, freq="W-MON")
    rows = []
    for aid, values, mean, sized in (("a", [10.0] * 8 + [20.0] * 52, 22.0, 25.0),
                                     ("b", [np.nan] * 8 + [40.0] * 52, 36.0, 44.0)):
        rows += [{"activity_id": aid, "week_start": w, "kind": "history", "value": v, "mean": np.nan,
                  "lower": np.nan, "upper": np.nan, "sized": np.nan}
                 for w, v in zip(hist_weeks, values, strict=True) if not np.isnan(v)]
        rows += [{"activity_id": aid, "week_start": w, "kind": "forecast", "value": np.nan, "mean": mean,
                  "lower": mean - 5, "upper": mean + 5, "sized": sized} for w in fc_weeks]
    return pd.DataFrame(rows)


def test_overview_table_by_hand() -> None:
    table = demand_overview_table(_weekly())
    assert list(table.index) == ["a", "b"]
    assert table.loc["a", "last_year"] == 20.0 and table.loc["b", "last_year"] == 40.0
    assert table.loc["a", "forecast_change"] == pytest.approx(0.10)  # 22 / 20 - 1
    assert table.loc["a", "sized_change"] == pytest.approx(0.25)  # 25 / 20 - 1
    assert table.loc["b", "forecast_change"] == pytest.approx(-0.10)  # 36 / 40 - 1
    assert table.loc["b", "sized_change"] == pytest.approx(0.10)  # 44 / 40 - 1


def test_overview_image_is_one_png_naming_every_activity() -> None:
    image = demand_overview_image(_weekly(), {"a": "Clinic A", "b": "Clinic B"})
    assert image.name == "demand_overview" and image.png.startswith(b"\x89PNG")
    assert "2 activities" in image.alt


def _chart_names(folder: Path) -> set[str]:
    return {p.name for p in (folder / "charts").iterdir()} if (folder / "charts").exists() else set()


def test_demand_draws_one_overview_above_the_limit_and_every_chart_on_request(
        tmp_path: Path, tiny_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workflow, "CHARTS_PER_ACTIVITY_UP_TO", 1)  # the tiny pack has more than one
    runner = CliRunner()
    result = runner.invoke(cli, ["demand", str(tiny_path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert _chart_names(tmp_path / "o") == {"demand_overview.png"}
    assert "drew one overview chart (charts/demand_overview.png)" in result.output
    result = runner.invoke(cli, ["demand", str(tiny_path), "--out", str(tmp_path / "all"), "--all-charts"])
    assert result.exit_code == 0, result.output
    names = _chart_names(tmp_path / "all")
    assert "demand_overview.png" not in names
    assert any(n.startswith("demand_") for n in names) and any(n.startswith("spc_demand_") for n in names)
    result = runner.invoke(cli, ["demand", str(tiny_path), "--out", str(tmp_path / "x"), "--all-charts",
                                 "--no-charts"])
    assert result.exit_code == 2 and not (tmp_path / "x").exists()


def test_demand_keeps_charts_per_activity_at_or_below_the_limit(tmp_path: Path, tiny_path: Path) -> None:
    result = CliRunner().invoke(cli, ["demand", str(tiny_path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    names = _chart_names(tmp_path / "o")
    assert "demand_overview.png" not in names and any(n.startswith("spc_demand_") for n in names)


def test_demand_xmr_charts_rebase_at_stated_and_detected_changes(
        tiny_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Issue 18 item 4: the weekly-demand XmR charts restart their limits at the dates review.spc_rebase states
    # (for the activity or for all charts) and at the week the forecast found a level shift from.
    import dataclasses
    import datetime as dt

    import capacity_planner as cp
    from capacity_planner.report import spc_chart

    pack = cp.read_pack(tiny_path)
    pack = dataclasses.replace(pack, settings=dataclasses.replace(
        pack.settings, spc_rebase=(("all", (dt.date(2025, 1, 6),)), ("fu", (dt.date(2025, 6, 2),)))))
    demand = cp.size_demand(pack)
    shifted = dataclasses.replace(demand.forecasts["2ww"], shift_at=2860.0, model="mean+shift+negbin")
    demand = dataclasses.replace(demand, forecasts={**demand.forecasts, "2ww": shifted})
    dates = workflow.demand_rebase_dates(pack, demand)
    from capacity_planner.demand.history import week_start_of

    shift_week = week_start_of(2860)[0].date()
    assert dates["2ww"] == tuple(sorted({dt.date(2025, 1, 6), shift_week}))
    assert dates["fu"] == (dt.date(2025, 1, 6), dt.date(2025, 6, 2))
    # the charts written by `demand` and the meeting pack get them
    seen: list[object] = []
    real = spc_chart.demand_spc_charts

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(kwargs.get("rebase"))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(spc_chart, "demand_spc_charts", spy)
    workflow.write_demand_spc(pack, demand, tmp_path)
    assert seen == [dates]
