"""Demand history: weekly series, complete-week rules, DNA / cancellation rates, follow-up ratios, calendar."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import capacity_planner as cp
from capacity_planner.demand.history import (
    activity_spans,
    appointment_rates,
    build_history,
    calendar_regressors,
    follow_up_ratios,
    referral_window,
    week_index,
    week_start_of,
    weekly_referrals,
    working_days_per_week,
)
from capacity_planner.pack.model import Activity, PlanningPack, Settings


def referrals(rows: list[tuple[str, str, str, int]]) -> pd.DataFrame:
    """Canonical referrals from (date, activity, priority, count) tuples."""
    frame = pd.DataFrame(rows, columns=["referral_date", "activity_id", "priority", "count"])
    return frame.astype(
        {"referral_date": "datetime64[ns]", "activity_id": "str", "priority": "str", "count": "int64"}
    )


def appointments(rows: list[tuple[str, str, str, bool | None]]) -> pd.DataFrame:
    """Canonical appointments from (date, activity, outcome, is_new) tuples."""
    frame = pd.DataFrame(rows, columns=["appointment_date", "activity_id", "outcome", "is_new"])
    frame["clinician_id"] = "X"
    frame = frame[["appointment_date", "activity_id", "outcome", "clinician_id", "is_new"]]
    return frame.astype(
        {
            "appointment_date": "datetime64[ns]",
            "activity_id": "str",
            "outcome": "str",
            "clinician_id": "str",
            "is_new": "boolean",
        }
    )


# ---- weeks ---------------------------------------------------------------------------------------


def test_week_index_is_iso_monday_weeks() -> None:
    days = pd.date_range("2026-01-04", "2026-01-19", freq="D")  # Sunday .. Monday two weeks later
    w = week_index(days)
    assert w[0] == w[1] - 1  # Sunday 4th belongs to the week before Monday 5th
    assert (w[1:8] == w[1]).all() and (w[8:15] == w[1] + 1).all() and w[15] == w[1] + 2
    assert week_start_of(w[1])[0] == pd.Timestamp("2026-01-05")
    assert week_start_of(w[0])[0] == pd.Timestamp("2025-12-29")


def test_hand_computed_weekly_counts_drop_partial_weeks_and_zero_fill() -> None:
    # Weekday-only service. First day Wednesday 2026-01-07 -> week of 5 Jan is partial (dropped).
    # Weeks of 12 Jan: A 3+4, B 2; 19 Jan: nothing at all (zero); 26 Jan: A 5;
    # last day Wednesday 4 Feb -> week of 2 Feb partial (dropped).
    ref = referrals(
        [
            ("2026-01-07", "A", "routine", 100),
            ("2026-01-12", "A", "routine", 3),
            ("2026-01-16", "A", "urgent", 4),
            ("2026-01-13", "B", "routine", 2),
            ("2026-01-30", "A", "routine", 5),
            ("2026-02-04", "B", "routine", 50),
        ]
    )
    window = referral_window(ref)
    assert window.dropped_first and window.dropped_last and not window.weekend_referrals
    assert list(window.week_starts) == list(pd.to_datetime(["2026-01-12", "2026-01-19", "2026-01-26"]))
    long = weekly_referrals(ref, window)
    assert list(long.columns) == ["activity_id", "priority", "week_start", "value"]
    got = {(r.activity_id, r.priority, r.week_start.strftime("%m-%d")): r.value for r in long.itertuples()}
    assert got == {
        ("A", "routine", "01-12"): 3.0,
        ("A", "routine", "01-19"): 0.0,
        ("A", "routine", "01-26"): 5.0,
        ("A", "urgent", "01-12"): 4.0,
        ("A", "urgent", "01-19"): 0.0,
        ("A", "urgent", "01-26"): 0.0,
        ("B", "routine", "01-12"): 2.0,
        ("B", "routine", "01-19"): 0.0,
        ("B", "routine", "01-26"): 0.0,
    }
    total = weekly_referrals(ref, window, by_priority=False)
    assert total.loc[total["activity_id"] == "A", "value"].tolist() == [7.0, 0.0, 5.0]


def test_categorical_referrals_give_the_weeks_and_spans_of_text_ones() -> None:
    """The reader's categorical columns (unused categories, a blank priority, a category equal to the
    blank's label) are counted from their codes: the same tables as the text columns."""
    ref = referrals(
        [
            ("2026-01-07", "B", "routine", 1),
            ("2026-01-12", "A", "urgent", 3),
            ("2026-01-16", "A", "blank", 4),
            ("2026-01-20", "B", "unspecified", 2),
            ("2026-01-30", "A", "routine", 5),
        ]
    )
    as_text = ref.assign(priority=ref["priority"].where(ref["priority"] != "blank"))
    as_codes = ref.assign(
        activity_id=pd.Categorical(as_text["activity_id"], categories=["A", "B", "Z"]),  # series: category order
        priority=pd.Categorical(as_text["priority"], categories=["urgent", "unspecified", "x", "routine"]),
    )
    window = referral_window(as_text)
    for by_priority in (True, False):
        pd.testing.assert_frame_equal(weekly_referrals(as_codes, window, by_priority=by_priority),
                                      weekly_referrals(as_text, window, by_priority=by_priority))
    unsorted = as_codes.assign(activity_id=pd.Categorical(as_text["activity_id"], categories=["Z", "B", "A"]))
    spans = activity_spans(unsorted, window)
    assert list(spans) == ["A", "B"] and spans == activity_spans(as_text, window)  # spans: sorted ids
    got = weekly_referrals(as_codes, window)
    assert sorted(set(got["priority"])) == ["routine", "unspecified", "urgent"]  # blank + "unspecified": one


def test_friday_end_is_complete_without_weekend_referrals_but_not_with_them() -> None:
    weekday_only = referrals([("2026-01-05", "A", "r", 1), ("2026-01-16", "A", "r", 1)])  # Mon .. Fri
    assert referral_window(weekday_only).n_weeks == 2
    with_weekend = referrals(
        [("2026-01-05", "A", "r", 1), ("2026-01-10", "A", "r", 1), ("2026-01-16", "A", "r", 1)]
    )  # a Saturday referral exists
    w = referral_window(with_weekend)
    assert w.weekend_referrals and w.dropped_last and w.n_weeks == 1


def test_window_reaches_plan_start_and_history_weeks_keeps_the_last_weeks() -> None:
    ref = referrals([("2026-01-05", "A", "r", 1), ("2026-03-25", "A", "r", 1)])  # ends Wed 25 Mar
    assert referral_window(ref).dropped_last
    # issue 12: an extract pulled mid-week ends in a partial week, dropped even when the plan starts the
    # next Monday (it used to be counted as a real low week): weeks of 5 Jan .. 16 Mar = 11
    to_start = referral_window(ref, plan_start=dt.date(2026, 3, 30))
    assert to_start.dropped_last and to_start.n_weeks == 11
    assert referral_window(ref, plan_start=dt.date(2026, 3, 30), history_weeks=4).n_weeks == 4
    assert referral_window(ref, plan_start=dt.date(2026, 4, 13)).dropped_last  # gap: extract ended early


def test_empty_referrals() -> None:
    window = referral_window(referrals([]))
    assert window.n_weeks == 0
    assert len(weekly_referrals(referrals([]), window)) == 0


# ---- appointments --------------------------------------------------------------------------------


def test_dna_and_hospital_cancellation_rates_by_hand() -> None:
    appts = appointments(
        [("2026-01-05", "A", "attended", True)] * 6
        + [("2026-01-05", "A", "dna", True)] * 2
        + [("2026-01-05", "A", "cancelled_patient", True)] * 1
        + [("2026-01-05", "A", "cancelled_hospital", True)] * 1
        + [("2026-01-05", "B", "cancelled_hospital", False)] * 2
    )
    rates = appointment_rates(appts)
    # DNA rate excludes cancellations: 2 / (6 + 2); hospital cancellations over all booked: 1 / 10.
    assert rates.at["A", "dna_rate"] == pytest.approx(0.25)
    assert rates.at["A", "hospital_cancellation_rate"] == pytest.approx(0.10)
    assert rates.at["A", "booked"] == 10
    assert np.isnan(rates.at["B", "dna_rate"]) and rates.at["B", "hospital_cancellation_rate"] == 1.0


def test_follow_up_ratio_pools_feeding_activities() -> None:
    acts = (
        Activity("new1", "DCC", follow_up_activity="fu"),
        Activity("new2", "DCC", follow_up_activity="fu"),
        Activity("fu", "DCC"),
    )
    appts = appointments(
        [("2026-01-05", "new1", "attended", True)] * 3
        + [("2026-01-05", "new2", "attended", None)] * 1
        + [("2026-01-05", "new1", "dna", True)] * 5  # DNAs are not attendances
        + [("2026-01-05", "fu", "attended", False)] * 5
        + [("2026-01-05", "fu", "attended", None)] * 1
        + [("2026-01-05", "fu", "attended", True)] * 7  # new patients seen in the follow-up clinic: excluded
    )
    table = follow_up_ratios(appts, acts).set_index("activity_id")
    # (5 + 1 blank-as-follow-up) / (3 + 1 blank-as-new) = 1.5, reported for both feeders.
    assert table.loc["new1", "follow_up_ratio"] == pytest.approx(1.5)
    assert table.loc["new2", "follow_up_ratio"] == pytest.approx(1.5)
    assert table.loc["new1", "new_attendances"] == 4


def test_tiny_pack_history() -> None:
    pack = cp.read_pack("tests/data/tiny")
    h = build_history(pack)
    # Referrals run Mon 5 Jan .. Tue 20 Jan 2026; the week of 19 Jan is partial; the fu referral is in it.
    wide = h.weekly_by_activity()
    assert wide["2ww"].tolist() == [16.0, 12.0]  # 9 + 7, 11 + 1 (blank count = 1)
    assert wide["fu"].tolist() == [0.0, 0.0]
    assert h.rates.at["2ww", "dna_rate"] == pytest.approx(1 / 3)
    assert h.rates.at["fu", "hospital_cancellation_rate"] == pytest.approx(0.5)
    assert h.follow_ups.set_index("activity_id").at["2ww", "follow_up_ratio"] == pytest.approx(0.5)
    assert any("incomplete" in n for n in h.notes)


def test_history_is_vectorised_on_a_million_rows() -> None:
    rng = np.random.default_rng(0)
    n = 1_000_000
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 1000, n), unit="D")
    appts = pd.DataFrame(
        {
            "appointment_date": days,
            "activity_id": pd.Series(rng.choice(["a", "b", "c"], n), dtype="str"),
            "outcome": pd.Series(
                rng.choice(["attended", "dna", "cancelled_hospital"], n, p=[0.85, 0.1, 0.05]), dtype="str"
            ),
            "clinician_id": pd.Series(["X"] * n, dtype="str"),
            "is_new": pd.array(rng.random(n) < 0.4, "boolean"),
        }
    )
    rates = appointment_rates(appts)
    assert rates["dna_rate"].between(0.09, 0.12).all()


# ---- calendar ------------------------------------------------------------------------------------


def test_working_days_and_festive_regressor() -> None:
    weeks = pd.DatetimeIndex(["2026-12-21", "2026-12-28", "2027-03-29", "2027-06-07"])
    assert working_days_per_week(weeks).tolist() == [4.0, 3.0, 4.0, 5.0]
    z = calendar_regressors(week_index(weeks))
    assert z[:, 0] == pytest.approx(np.log(np.array([4, 3, 4, 5]) / 5))
    assert z[:, 1].tolist() == [1.0, 3.0, 0.0, 0.0]  # Thu 24 Dec; Tue 29 - Thu 31 Dec


def test_pack_with_only_activities_and_referrals() -> None:
    pack = PlanningPack(
        settings=Settings(start=dt.date(2026, 2, 2)),
        activities=(Activity("A", "DCC"),),
        referrals=referrals([("2026-01-05", "A", "r", 2), ("2026-01-30", "A", "r", 1)]),
    )
    h = build_history(pack)
    assert h.weekly_by_activity()["A"].tolist() == [2.0, 0.0, 0.0, 1.0]
    assert len(h.rates) == 0 and len(h.follow_ups) == 0


def test_referrals_after_the_plan_start_are_not_history() -> None:
    ref = referrals([("2026-01-05", "A", "r", 2), ("2026-01-30", "A", "r", 1), ("2026-02-03", "A", "r", 50)])
    pack = PlanningPack(
        settings=Settings(start=dt.date(2026, 2, 2)), activities=(Activity("A", "DCC"),), referrals=ref
    )
    h = build_history(pack)
    assert h.weekly_by_activity()["A"].tolist() == [2.0, 0.0, 0.0, 1.0]
    assert any("on or after the plan start" in n for n in h.notes)


def test_appointment_counts_weight_the_rates_and_blank_counts_are_one() -> None:
    # Hand-computed; the reader's categoricals, and the count column absent, blank or given (issue 16: rows
    # without counts are counted without a weight array, with the same result).
    from capacity_planner.demand.history import _Encoded, _rates_table

    base = pd.DataFrame({
        "appointment_date": pd.to_datetime(["2026-01-05"] * 4),
        "activity_id": pd.Categorical(["a", "a", "b", "a"]),
        "outcome": pd.Categorical(["attended", "dna", "attended", "attended"]),
        "is_new": pd.array([True, None, False, True], dtype="boolean"),
    })
    plain = _rates_table(_Encoded.of(base))
    blank = _rates_table(_Encoded.of(base.assign(count=pd.array([None] * 4, dtype="Int64"))))
    pd.testing.assert_frame_equal(plain, blank)
    assert plain.loc["a", ["attended", "dna"]].tolist() == [2, 1]
    assert plain.loc["a", "dna_rate"] == pytest.approx(1 / 3)
    weighted = _rates_table(_Encoded.of(base.assign(count=pd.array([3, None, 1, 1], dtype="Int64"))))
    assert weighted.loc["a", ["attended", "dna"]].tolist() == [4, 1]  # 3 + 1 attended, the blank count is 1
    assert weighted.loc["a", "dna_rate"] == pytest.approx(1 / 5)
