"""Sizing: contract arithmetic, DNA conventions, exact sessions on the tiny pack, properties."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import capacity_planner as cp
from capacity_planner.constants import DNA_CONVENTIONS, ContractDefaults
from capacity_planner.demand.forecast_models import EmpiricalRecent, SeriesForecast
from capacity_planner.demand.history import build_history
from capacity_planner.demand.pipeline import size_demand
from capacity_planner.demand.sizing import dna_factor, size_requirements, sized_demand, slots_for_demand
from capacity_planner.pack.model import Activity, PlanningPack, Settings


@pytest.fixture(scope="module")
def tiny() -> PlanningPack:
    return cp.read_pack("tests/data/tiny")


def test_consultant_working_weeks_is_42() -> None:
    """NHS Employers, *A guide to consultant job planning* (2011): 52 weeks - 6 weeks annual leave
    - 2 statutory days - 8 bank holidays - 10 study days (5-day weeks) = 42 working weeks."""
    weeks = 52 - 6 - 2 / 5 - 8 / 5 - 10 / 5
    assert weeks == pytest.approx(42.0)
    assert ContractDefaults.WORKING_WEEKS["consultant_2003"] == pytest.approx(weeks)


def test_dna_conventions_for_100_patients_and_10_percent() -> None:
    got = [slots_for_demand(100, 0.10, c) for c in ("discharge", "rebook_once", "rebook_until_seen")]
    assert got == pytest.approx([100.0, 110.0, 111.111111])
    assert round(got[2], 1) == 111.1
    assert slots_for_demand(100, 0.10, "rebook_until_seen", 0.2) == pytest.approx(111.111111 / 0.8)
    with pytest.raises(ValueError):
        dna_factor(1.0, "rebook_once")
    with pytest.raises(ValueError):
        dna_factor(0.1, "ignore")


def test_tiny_pack_sessions_by_hand(tiny: PlanningPack) -> None:
    result = size_demand(tiny)
    t = result.requirements.table.set_index("activity_id")
    # fu: demand = follow-up ratio 1/2 (1 follow-up attendance per 2 new 2ww attendances) x 2ww mean 14
    #     (weeks of 16 and 12 referrals) = 7 a week; DNA 0/1 = 0; hospital cancellations 1 of 2 bookings;
    #     slots 7 / (1 - 0.5) = 14; 12 patients a session -> 14/12 sessions a week x 50 service weeks.
    fu = t.loc["fu"]
    assert fu["sizing_method"] == "mean" and fu["weekly_demand_mean"] == pytest.approx(7.0, rel=1e-6)
    assert fu["follow_up_ratio"] == pytest.approx(0.5) and fu["follow_up_ratio_source"] == "measured"
    assert fu["dna_rate"] == 0.0 and fu["dna_factor"] == 1.0
    assert fu["slots_per_week"] == pytest.approx(14.0, rel=1e-6)
    assert fu["sessions_per_week"] == pytest.approx(14 / 12, rel=1e-6)
    # backlog: 120 waiting, target 18 weeks -> Q* = 7 x 18/4 = 31.5; (120 - 31.5)/26 patients a week,
    # x 1/(1 - 0.5) slots, over min(26, 50) weeks, / 12 a session
    relief = (120 - 31.5) / 26 / 0.5
    assert fu["backlog_relief_per_week"] == pytest.approx(relief, rel=1e-6)
    assert fu["backlog_sessions_per_year"] == pytest.approx(relief * 26 / 12, rel=1e-6)
    # demand arrives in all 52 weeks (issue 12): 14/12 sessions a week x 52, delivered in the 50 service
    # weeks (14/12 x 52/50 = 1.2133 a service week); was x 50 before
    assert fu["sessions_per_year"] == pytest.approx(14 / 12 * 52 + relief * 26 / 12, rel=1e-6)
    assert fu["sessions_per_service_week"] == pytest.approx(14 / 12 * 52 / 50, rel=1e-6)
    assert fu["dcc_hours_per_year"] == pytest.approx(fu["sessions_per_year"] * 4)
    # mdt: slot-fixed Tue PM with 2 clinicians -> 2 sessions a week, 100 a year, 400 DCC hours
    mdt = t.loc["mdt"]
    assert mdt["sizing_method"] == "fixed" and mdt["sessions_per_year"] == 100.0
    assert mdt["dcc_hours_per_year"] == 400.0
    # spa: nothing to size
    assert t.loc["spa", "sizing_method"] == "none" and t.loc["spa", "sessions_per_year"] == 0.0
    # 2ww: rapid access at the 80th centile; given DNA rate 0.05 overrides the measured 1/3
    r = t.loc["2ww"]
    assert r["sizing_method"] == "percentile" and r["percentile"] == 0.8
    assert r["dna_rate"] == 0.05 and r["dna_rate_source"] == "given"
    assert r["weekly_demand_mean"] == pytest.approx(14.0, rel=1e-6)
    assert r["weekly_demand_sized"] >= 14.0
    assert r["sessions_per_week"] == pytest.approx(r["weekly_demand_sized"] / 0.95 / 8)
    relief_2ww = (14 - 14 * 2 / 4) / 26 / 0.95
    assert r["backlog_relief_per_week"] == pytest.approx(relief_2ww, rel=1e-6)
    assert r["sessions_per_year"] == pytest.approx(
        r["sessions_per_week"] * 52 + relief_2ww * 26 / 8, rel=1e-6  # 52 weeks of demand (issue 12)
    )


def test_tiny_pack_routine_2ww_exact(tiny: PlanningPack) -> None:
    acts = tuple(
        dataclasses.replace(a, rapid_access=False) if a.activity_id == "2ww" else a for a in tiny.activities
    )
    t = size_demand(tiny.replace(activities=acts)).requirements.table.set_index("activity_id")
    # mean 14 a week, DNA 0.05 rebooked until seen: 14/0.95 slots, 8 a session, 52 weeks of demand + backlog
    week = 14 / 0.95 / 8
    backlog = (14 - 7) / 26 / 0.95 * 26 / 8
    assert t.loc["2ww", "sessions_per_year"] == pytest.approx(week * 52 + backlog, rel=1e-6)
    assert t.loc["2ww", "sessions_per_year"] == pytest.approx(96.711, abs=1e-3)  # 14/0.95/8 x 52 + 1.842
    assert t.loc["2ww", "dcc_hours_per_year"] == pytest.approx(386.842, abs=1e-3)  # 96.711 x 4 h


def test_percentile_method_is_passed_to_numpy(tiny: PlanningPack) -> None:
    history = build_history(tiny)
    from capacity_planner.demand.pipeline import forecast_referrals

    fc = forecast_referrals(tiny, history)["2ww"]
    for method in ("inverted_cdf", "linear", "higher"):
        pack = tiny.replace(settings=dataclasses.replace(tiny.settings, percentile_method=method))
        sized = size_demand(pack).requirements.table.set_index("activity_id").at["2ww", "weekly_demand_sized"]
        expected = max(14.0, float(np.quantile(fc.sample, 0.8, method=method)))  # type: ignore[call-overload]
        assert sized == pytest.approx(expected, rel=1e-9)


def test_given_follow_up_ratio_overrides_measured(tiny: PlanningPack) -> None:
    acts = tuple(
        dataclasses.replace(a, follow_up_ratio=2.0) if a.activity_id == "2ww" else a for a in tiny.activities
    )
    t = size_demand(tiny.replace(activities=acts)).requirements.table.set_index("activity_id")
    assert t.loc["fu", "weekly_demand_mean"] == pytest.approx(28.0, rel=1e-6)
    assert t.loc["fu", "follow_up_ratio_source"] == "given"


def test_zero_demand_gives_zero_sessions() -> None:
    ref = pd.DataFrame(
        {
            "referral_date": pd.to_datetime(["2026-01-05", "2026-01-30"]),
            "activity_id": pd.Series(["A", "B"], dtype="str"),
            "priority": pd.Series(["r", "r"], dtype="str"),
            "count": np.array([0, 3]),
        }
    )
    pack = PlanningPack(
        settings=Settings(start=dt.date(2026, 2, 2)),
        activities=(
            Activity("A", "DCC", patients_per_session=5, rapid_access=True),
            Activity("B", "DCC", patients_per_session=5),
        ),
        referrals=ref,
    )
    t = size_demand(pack).requirements.table.set_index("activity_id")
    assert t.loc["A", "sessions_per_year"] == 0.0 and t.loc["A", "weekly_demand_sized"] == 0.0
    assert t.loc["B", "sessions_per_year"] > 0


# ---- properties ----------------------------------------------------------------------------------

_RNG = np.random.default_rng(11)
_NB = SeriesForecast(
    model="test",
    mean=np.full(52, 20.0),
    lower=np.zeros(52),
    upper=np.zeros(52),
    sample=_RNG.poisson(_RNG.gamma(5.0, 4.0, 20_000)).astype(float),
)
_counts = st.lists(st.integers(0, 200), min_size=1, max_size=60)


@settings(max_examples=60, deadline=None)
@given(values=_counts, p=st.floats(0.5, 0.99), method=st.sampled_from(["linear", "inverted_cdf", "hazen"]))
def test_rapid_access_sized_at_least_mean(values: list[int], p: float, method: str) -> None:
    fc = EmpiricalRecent(52).forecast(np.array(values, dtype=float), 52)
    sized, how = sized_demand(fc, rapid_access=True, percentile=p, method=method)
    assert how == "percentile" and sized >= fc.mean_per_period - 1e-12


@settings(max_examples=60, deadline=None)
@given(p1=st.floats(0.5, 0.99), p2=st.floats(0.5, 0.99))
def test_sized_level_monotone_in_percentile(p1: float, p2: float) -> None:
    lo, hi = sorted((p1, p2))
    assert (
        sized_demand(_NB, rapid_access=True, percentile=lo)[0]
        <= sized_demand(_NB, rapid_access=True, percentile=hi)[0]
    )


@settings(max_examples=60, deadline=None)
@given(
    r1=st.floats(0.0, 0.9),
    r2=st.floats(0.0, 0.9),
    demand=st.floats(0.0, 1e4),
    convention=st.sampled_from(DNA_CONVENTIONS),
    cancel=st.floats(0.0, 0.5),
)
def test_slots_monotone_in_dna_rate(
    r1: float, r2: float, demand: float, convention: str, cancel: float
) -> None:
    lo, hi = sorted((r1, r2))
    assert slots_for_demand(demand, lo, convention, cancel) <= slots_for_demand(
        demand, hi, convention, cancel
    )
    assert slots_for_demand(0.0, hi, convention, cancel) == 0.0


def test_size_requirements_is_monotone_in_dna_rate(tiny: PlanningPack) -> None:
    history = build_history(tiny)
    demand = {"2ww": _NB}
    sessions = []
    for r in (0.0, 0.05, 0.2, 0.5):
        acts = tuple(
            dataclasses.replace(a, dna_rate=r) if a.activity_id == "2ww" else a for a in tiny.activities
        )
        req, _ = size_requirements(tiny.replace(activities=acts), demand, history)
        sessions.append(float(req.table.set_index("activity_id").at["2ww", "sessions_per_year"]))
    assert sessions == sorted(sessions) and sessions[0] < sessions[-1]


def test_required_sessions_per_year_replaces_the_sized_demand(tiny: PlanningPack) -> None:
    """activities.required_sessions_per_year (a demand the team sets, e.g. agreed in the team meeting)
    replaces the sized sessions; the columns derived from it scale by new / sized; the sizing columns keep
    the sized values; an activity sized at 0 gets sessions x 4 h x pa_value DCC hours; a note says so."""
    sized = size_demand(tiny).requirements.table.set_index("activity_id")
    acts = tuple(dataclasses.replace(a, required_sessions_per_year={"fu": 150.0, "spa": 20.0}.get(a.activity_id))
                 for a in tiny.activities)
    result = size_demand(tiny.replace(activities=acts))
    t = result.requirements.table.set_index("activity_id")
    ratio = 150.0 / sized.loc["fu", "sessions_per_year"]
    assert t.loc["fu", "sessions_per_year"] == 150.0
    for col in ("dcc_hours_per_year", "sessions_per_week", "sessions_per_service_week", "backlog_sessions_per_year"):
        assert t.loc["fu", col] == pytest.approx(sized.loc["fu", col] * ratio, rel=1e-12), col
    assert t.loc["fu", "dcc_hours_per_year"] == pytest.approx(150.0 * 4)  # 1 PA a session x 4 h
    for col in ("weekly_demand_mean", "slots_per_week", "sizing_method"):
        assert t.loc["fu", col] == sized.loc["fu", col], col
    assert t.loc["spa", "sessions_per_year"] == 20.0 and t.loc["spa", "dcc_hours_per_year"] == 0.0  # not DCC
    assert t.drop(index=["fu", "spa"]).equals(sized.drop(index=["fu", "spa"]))
    assert any(n.startswith("fu: demand set to 150.0 session-weeks a year") for n in result.notes)
