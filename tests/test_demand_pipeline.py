"""The demand pipeline end to end: DemandResult, output files (atomic), terminal table."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

import capacity_planner as cp
from capacity_planner.demand.pipeline import (
    WEEKLY_COLUMNS,
    format_requirements_table,
    size_demand,
)
from capacity_planner.demand.requirements import COLUMNS, Requirements
from capacity_planner.outputs import write_demand_tables
from capacity_planner.pack.model import Activity, PlanningPack, Settings
from capacity_planner.workflow import run_demand

if TYPE_CHECKING:
    from pathlib import Path


def minimal_pack(weeks: int = 120, seed: int = 0) -> PlanningPack:
    """Only activities and referrals: daily weekday referrals for ``weeks`` weeks before 2027-04-05."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2027-04-05")
    days = pd.bdate_range(start - pd.Timedelta(weeks=weeks), start - pd.Timedelta(days=1))
    frames = []
    for aid, mean in (("rapid", 8.0), ("new", 5.0)):
        frames.append(
            pd.DataFrame(
                {
                    "referral_date": days,
                    "activity_id": aid,
                    "priority": "routine",
                    "count": rng.poisson(mean, len(days)),
                }
            )
        )
    ref = pd.concat(frames, ignore_index=True).astype(
        {"activity_id": "str", "priority": "str", "count": "int64"}
    )
    acts = (
        Activity(
            "rapid",
            "DCC",
            patients_per_session=10,
            rapid_access=True,
            percentile=0.8,
            follow_up_activity="fu",
            follow_up_ratio=1.0,
        ),
        Activity("new", "DCC", minutes_per_patient=30),
        Activity("fu", "DCC", patients_per_session=12),
        Activity("spa", "SPA"),
    )
    return PlanningPack(settings=Settings(start=dt.date(2027, 4, 5)), activities=acts, referrals=ref)


def test_size_demand_with_only_activities_and_referrals(tmp_path: Path) -> None:
    result = size_demand(minimal_pack())
    t = result.requirements.table.set_index("activity_id")
    assert list(result.requirements.table.columns[: len(COLUMNS)]) == list(COLUMNS)
    assert t.loc["rapid", "sizing_method"] == "percentile"
    assert t.loc["rapid", "weekly_demand_sized"] > t.loc["rapid", "weekly_demand_mean"]
    assert t.loc["rapid", "dna_rate"] == 0.0 and t.loc["rapid", "dna_rate_source"] == "default"
    assert t.loc["new", "weekly_demand_mean"] == pytest.approx(25, rel=0.15)
    assert t.loc["new", "sessions_per_week"] == pytest.approx(t.loc["new", "slots_per_week"] / 7)  # 210/30
    assert t.loc["fu", "weekly_demand_mean"] == pytest.approx(t.loc["rapid", "weekly_demand_mean"])
    assert t.loc["spa", "sizing_method"] == "none"
    assert list(result.weekly.columns) == list(WEEKLY_COLUMNS)
    kinds = result.weekly.groupby(["activity_id", "kind"]).size()
    assert kinds[("rapid", "forecast")] == 52 and kinds[("rapid", "history")] == 120
    fc = result.weekly[(result.weekly["kind"] == "forecast") & (result.weekly["activity_id"] == "rapid")]
    assert (fc["lower"] <= fc["mean"] + 1e-9).all() and (fc["mean"] <= fc["upper"] + 1e-9).all()
    assert fc["week_start"].iloc[0] == pd.Timestamp("2027-04-05")
    assert result.waiting.empty
    assert t.loc["rapid", "forecast_model"].startswith("trend")
    short = size_demand(minimal_pack(weeks=60))
    # 60 weeks: level only, growth year on year (issue 12: estimable from 53 weeks)
    assert short.requirements.table.set_index("activity_id").at["rapid", "forecast_model"] == "yoy-growth+negbin"
    assert any("under two years" in n for n in short.notes)


def test_write_demand_tables(tmp_path: Path) -> None:
    result = size_demand(minimal_pack())
    files = write_demand_tables(result, tmp_path / "out")
    names = sorted(p.relative_to(tmp_path / "out").as_posix() for p in files)
    assert names == [
        "charts/demand_fu.png",
        "charts/demand_new.png",
        "charts/demand_rapid.png",
        "requirements.csv",
        "weekly_demand.csv",
    ]
    assert all(p.exists() for p in files)
    assert (tmp_path / "out" / "charts" / "demand_rapid.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    back = Requirements.read_csv(tmp_path / "out" / "requirements.csv")
    pd.testing.assert_series_equal(
        back.table["sessions_per_year"], result.requirements.table["sessions_per_year"]
    )
    weekly = pd.read_csv(tmp_path / "out" / "weekly_demand.csv")
    assert list(weekly.columns) == list(WEEKLY_COLUMNS) and set(weekly["kind"]) == {"history", "forecast"}
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]


def test_outputs_are_all_or_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import capacity_planner.report.plots as plots

    def broken(*args: object, **kwargs: object) -> Path:
        raise RuntimeError("disk full")

    monkeypatch.setattr(plots.DemandFigure, "draw", broken)
    with pytest.raises(RuntimeError):  # the one folder writer (_files.output_folder) stages the files
        run_demand(minimal_pack(), tmp_path / "out")
    assert list(tmp_path.iterdir()) == []  # no output folder, no staging folder left


def test_format_requirements_table() -> None:
    text = format_requirements_table(size_demand(minimal_pack()))
    assert "rapid" in text and "percentile" in text and "Total:" in text and "sessions a year" in text


def test_tiny_pack_end_to_end(tmp_path: Path) -> None:
    result = size_demand(cp.read_pack("tests/data/tiny"))
    assert result.requirements.activity_ids == ("2ww", "fu", "mdt", "spa")
    assert set(result.waiting["activity_id"]) == {"2ww", "fu"}
    w = result.waiting.set_index("activity_id")
    assert w.loc["fu", "target_queue_size"] == pytest.approx(31.5, rel=1e-6)
    assert w.loc["fu", "pressure"] == pytest.approx(2 * (120 / 7) / 18, rel=1e-6)
    assert w.loc["fu", "relief_extra_per_week"] == pytest.approx((120 - 31.5) / 26, rel=1e-6)
    assert bool(w.loc["fu", "relief_advised"])
    write_demand_tables(result, tmp_path)


def test_generated_sample_end_to_end(tmp_path: Path) -> None:
    samples = pytest.importorskip("capacity_planner.pack.samples")
    pack = cp.read_pack(samples.generate_sample("small", 1, tmp_path / "pack"))
    result = size_demand(pack)
    t = result.requirements.table.set_index("activity_id")
    assert t.loc["2ww", "sizing_method"] == "percentile"
    assert t.loc["2ww", "forecast_model"].startswith("trend")
    assert t.loc["fu", "forecast_model"].startswith("follow-up")
    assert t.loc["fu", "follow_up_ratio"] == pytest.approx(1.5, abs=0.4)
    assert t.loc["2ww", "dna_rate"] == pytest.approx(0.07, abs=0.02)
    assert set(t.loc[["mdt", "ward", "special"], "sizing_method"]) == {"fixed"}
    # admin is per-clinician time (skills.min_sessions_per_week), not a requirement: nothing sized for it
    assert t.loc["admin", "sizing_method"] == "none" and t.loc["admin", "sessions_per_year"] == 0
    assert (t["sessions_per_year"] >= 0).all()
    assert -0.10 < t.loc["2ww", "annual_growth"] < 0.20  # asked 4 % a year; 3 noisy years estimate it


def test_pack_without_referrals_sizes_fixed_requirements_only() -> None:
    from capacity_planner.pack.model import FixedRequirement

    empty = pd.DataFrame(
        {
            "referral_date": pd.Series(dtype="datetime64[ns]"),
            "activity_id": pd.Series(dtype="str"),
            "priority": pd.Series(dtype="str"),
            "count": pd.Series(dtype="int64"),
        }
    )
    pack = PlanningPack(
        settings=Settings(),
        activities=(Activity("mdt", "DCC"), Activity("clinic", "DCC")),
        referrals=empty,
        requirements=(FixedRequirement("mdt", sessions_per_week=1.5),),
    )
    result = size_demand(pack)
    t = result.requirements.table.set_index("activity_id")
    assert t.loc["mdt", "sizing_method"] == "fixed" and t.loc["mdt", "sessions_per_year"] == 1.5 * 52
    assert t.loc["clinic", "sizing_method"] == "none"
    assert len(result.weekly) == 0 and list(result.weekly.columns) == list(WEEKLY_COLUMNS)


def test_forecasts_shared_with_a_forked_process_are_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 16: the weekly series may be fitted in forked processes; each has its own seed, so the
    requirements, weekly table and every forecast's draws are identical to one process's."""
    import capacity_planner.demand.pipeline as pipeline

    pack = cp.sample_pack()
    serial = size_demand(pack)
    monkeypatch.setattr(pipeline, "PARALLEL_SERIES_FROM", 2)  # the sample's few series are worth a fork
    forked = size_demand(pack, workers=2)
    assert pipeline.fork_workers() >= 1
    assert len(serial.forecasts) >= 2 and list(forked.forecasts) == list(serial.forecasts)
    for aid, fc in serial.forecasts.items():
        other = forked.forecasts[aid]
        assert other.model == fc.model and other.notes == fc.notes
        np.testing.assert_array_equal(other.sample, fc.sample)
        np.testing.assert_array_equal(other.mean, fc.mean)
    pd.testing.assert_frame_equal(forked.requirements.table, serial.requirements.table)
    pd.testing.assert_frame_equal(forked.weekly, serial.weekly)
    assert forked.notes == serial.notes
