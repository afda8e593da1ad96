"""Issue 12 item 3: ``demand.frequency = "monthly"``: monthly referral totals sized as weekly demand."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy import stats

from capacity_planner.cli import cli
from capacity_planner.demand.forecast_models import SeriesForecast
from capacity_planner.demand.history import week_index
from capacity_planner.demand.monthly import (
    days_in_month,
    month_index,
    month_of_weeks,
    month_window,
    monthly_referrals,
    weekly_from_monthly,
)
from capacity_planner.demand.pipeline import size_demand
from capacity_planner.pack.model import Activity, PlanningPack, Settings

TINY = Path(__file__).parent / "data" / "tiny"
START = pd.Timestamp("2027-04-05")


def _referrals(
    dates: list[str] | pd.DatetimeIndex, counts: list[int] | np.ndarray, aid: str = "a"
) -> pd.DataFrame:
    return pd.DataFrame(
        {"referral_date": pd.DatetimeIndex(dates), "activity_id": aid, "priority": "routine", "count": counts}
    ).astype({"activity_id": "str", "priority": "str", "count": "int64"})


# ---- months ---------------------------------------------------------------------------------------------


def test_month_arithmetic() -> None:
    # 2024-02 is a leap February; a week belongs to the month of its Thursday: the week of Monday
    # 2025-03-31 has Thursday 2025-04-03, so it is April's.
    assert days_in_month(
        month_index(pd.DatetimeIndex(["2024-02-01", "2025-02-14", "2025-12-31"]))
    ).tolist() == [
        29.0,
        28.0,
        31.0,
    ]
    week = week_index(pd.DatetimeIndex(["2025-03-31"]))
    assert month_of_weeks(week).tolist() == month_index(pd.DatetimeIndex(["2025-04-01"])).tolist()


def test_monthly_totals_are_whole_months_and_summed_per_month() -> None:
    # Totals dated the 1st of Jan, Feb, Mar 2025 (and two rows in February, 5 + 6 = 11): three whole months.
    ref = _referrals(["2025-01-01", "2025-02-01", "2025-02-01", "2025-03-01"], [10, 5, 6, 12])
    window = month_window(ref)
    assert (window.n_months, window.dropped_first, window.dropped_last) == (3, False, False)
    assert monthly_referrals(ref, window)["a"].tolist() == [10.0, 11.0, 12.0]


def test_partial_first_and_last_months_are_dropped() -> None:
    # Daily rows from Wednesday 2025-01-15 to Wednesday 2025-04-16 (weekdays only): January starts on
    # the 15th and April's last weekday (Wed 30th) is not reached, so only Feb and Mar count.
    days = pd.bdate_range("2025-01-15", "2025-04-16")
    ref = _referrals(days, np.ones(len(days), dtype=int))
    window = month_window(ref)
    assert (window.n_months, window.dropped_first, window.dropped_last) == (2, True, True)
    # February 2025 has 20 weekdays, March 21: one referral each
    assert monthly_referrals(ref, window)["a"].tolist() == [20.0, 21.0]
    # ending on Friday 2025-02-28, the month's last weekday, February is complete
    full = ref[ref["referral_date"] <= "2025-02-28"]
    assert month_window(full).dropped_last is False


# ---- from months to weeks -------------------------------------------------------------------------------


def test_weekly_from_monthly_thins_each_month_binomially() -> None:
    """A hand-made monthly forecast: January 2027 exactly 62 referrals in every draw, February exactly 28.

    A January week is Binomial(62, 7/31): mean 62 * 7/31 = 14, variance 14 * 24/31 = 10.839; a February
    week Binomial(28, 7/28 = 1/4): mean 7, variance 7 * 3/4 = 5.25. The 80th centile of one January week is
    the binomial's, scipy.stats.binom.ppf(0.8, 62, 7/31) = 17 (not 62 / 4.43 weeks = 14, the month's value
    spread evenly).
    """
    months = month_index(pd.DatetimeIndex(["2027-01-01", "2027-02-01"]))
    draws = 20_000
    sample = np.concatenate([np.full(draws, 62.0), np.full(draws, 28.0)])
    monthly = SeriesForecast("trend+negbin", np.array([62.0, 28.0]), np.zeros(2), np.zeros(2), sample)
    # Mondays 2027-01-04 .. 2027-02-22: Thursdays 7, 14, 21, 28 Jan and 4, 11, 18, 25 Feb
    weeks = week_index(pd.DatetimeIndex(["2027-01-04"])) + np.arange(8)
    weekly = weekly_from_monthly(monthly, months, weeks, np.random.default_rng(0))
    assert weekly.model == "monthly trend+negbin"
    assert weekly.mean.tolist() == pytest.approx([14.0] * 4 + [7.0] * 4)
    per_week = weekly.sample.reshape(8, draws)
    january, february = per_week[:4].ravel(), per_week[4:].ravel()
    assert january.mean() == pytest.approx(14.0, abs=0.05)
    assert january.var() == pytest.approx(14 * 24 / 31, rel=0.03)
    assert february.var() == pytest.approx(5.25, rel=0.03)
    assert np.quantile(january, 0.8) == stats.binom.ppf(0.8, 62, 7 / 31) == 17.0
    assert january.max() <= 62 and february.max() <= 28


def test_annual_demand_is_the_sum_of_the_months() -> None:
    """A flat 3 referrals a day: each month's mean is 3 * its days, every week 21, and 52.18 weeks of it
    (about 365.25 / 7) give the year's sum of the twelve monthly means: April 2027 to March 2028 holds
    February 2028 (29 days), so 3 * 366 = 1098 = 21 * 366 / 7."""
    months = month_index(pd.DatetimeIndex(["2027-04-01"])) + np.arange(12)
    mean = 3.0 * days_in_month(months)
    monthly = SeriesForecast("mean+negbin", mean, mean, mean, np.repeat(mean, 100))
    weeks = week_index(pd.DatetimeIndex(["2027-04-05"])) + np.arange(52)
    weekly = weekly_from_monthly(monthly, months, weeks, np.random.default_rng(1))
    assert weekly.mean_per_period == pytest.approx(21.0)
    assert mean.sum() == 1098.0
    assert weekly.mean_per_period * 366 / 7 == pytest.approx(mean.sum())


# ---- end to end -----------------------------------------------------------------------------------------


def _monthly_pack(rapid: bool = True) -> PlanningPack:
    rng = np.random.default_rng(4)
    months = pd.date_range("2024-04-01", "2027-03-01", freq="MS")
    counts = rng.poisson(20 * months.days_in_month.to_numpy() / 7)  # 20 a week
    acts = (
        Activity("a", "DCC", patients_per_session=10, rapid_access=rapid, percentile=0.8 if rapid else None),
    )
    return PlanningPack(
        settings=Settings(start=START.date(), frequency="monthly"),
        activities=acts,
        referrals=_referrals(months, counts),
    )


def test_monthly_pack_is_sized_per_week() -> None:
    result = size_demand(_monthly_pack())
    row = result.requirements.table.set_index("activity_id").loc["a"]
    fc = result.forecasts["a"]
    assert fc.model.startswith("monthly") and fc.n_train == 36 and fc.mean.size == 52
    assert row["weekly_demand_mean"] == pytest.approx(20, rel=0.1)
    mean, sized = row["weekly_demand_mean"], row["weekly_demand_sized"]
    # at least the 80th centile of one week's Poisson variation around the mean (22 for a mean of 18.5),
    # plus the forecast's own uncertainty, but not wildly more
    assert stats.poisson.ppf(0.8, mean) <= sized <= stats.poisson.ppf(0.8, mean) + 3
    # above the month's 80th centile spread over its 4.35 weeks: mean * (1 + 0.84 / sqrt(4.35 mean))
    assert sized > mean * (1 + 0.8416 / np.sqrt(4.35 * mean)) + 0.5
    assert not any("complete weeks" in n for n in result.notes)


def test_partial_last_month_is_dropped_with_a_note() -> None:
    pack = _monthly_pack()
    days = pd.bdate_range("2027-03-01", "2027-03-17")  # an extract pulled mid-March, daily rows
    older = pack.referrals[pack.referrals["referral_date"] < "2027-03-01"]
    ref = pd.concat([older, _referrals(days, np.full(len(days), 4))], ignore_index=True)
    result = size_demand(pack.replace(referrals=ref))
    assert any("last referral month (March 2027) is incomplete" in n for n in result.notes)
    assert result.forecasts["a"].n_train == 35


def _cli_pack(tmp_path: Path, frequency: str) -> Path:
    pack = tmp_path / "pack"
    shutil.copytree(TINY, pack)
    months = pd.date_range("2023-04-01", "2026-03-01", freq="MS")
    days = months.days_in_month.to_numpy()
    rows = pd.concat(  # 2ww: 2 referrals a day (14 a week), fu: 1 a day, as monthly totals
        [
            pd.DataFrame(
                {"referral_date": months, "activity_id": "2ww", "priority": "2ww", "count": 2 * days}
            ),
            pd.DataFrame(
                {"referral_date": months, "activity_id": "fu", "priority": "routine", "count": days}
            ),
        ]
    )
    rows["referral_date"] = rows["referral_date"].dt.strftime("%Y-%m-%d")
    rows.to_csv(pack / "referrals.csv", index=False)
    toml = (pack / "pack.toml").read_text()
    (pack / "pack.toml").write_text(toml.replace("[demand]\n", f'[demand]\nfrequency = "{frequency}"\n'))
    return pack


def test_cli_demand_sizes_a_monthly_pack(tmp_path: Path) -> None:
    pack = _cli_pack(tmp_path, "monthly")
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["demand", str(pack), "--out", str(out)])
    assert res.exit_code == 0, res.output
    req = pd.read_csv(out / "requirements.csv").set_index("activity_id")
    # 2 a day every day = 14 a week; the 80th centile of one week, Binomial(2 d, 7 / d) for a month of d
    # days (about Poisson(14)), is 17
    assert req.loc["2ww", "weekly_demand_mean"] == pytest.approx(14.0, rel=0.01)
    assert req.loc["2ww", "weekly_demand_sized"] == pytest.approx(17.0, abs=1)
    assert str(req.loc["2ww", "forecast_model"]).startswith("monthly")
    assert req.loc["2ww", "sessions_per_year"] > 0
    assert "unknown setting" not in res.output


@pytest.mark.parametrize("value", ["fortnightly", "Months"])
def test_cli_bad_frequency_is_exit_2_naming_the_setting(tmp_path: Path, value: str) -> None:
    pack = _cli_pack(tmp_path, value)
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["demand", str(pack), "--out", str(out)])
    assert res.exit_code == 2, res.output
    for text in ("pack.toml", "demand.frequency", value, "weekly", "monthly"):
        assert text in res.output
    assert not out.exists() or not any(out.iterdir())


def test_cli_backtest_scores_a_monthly_pack_on_months(tmp_path: Path) -> None:
    pack = _cli_pack(tmp_path, "monthly")  # 36 months: April 2023 .. March 2026
    out = tmp_path / "bt"
    res = CliRunner().invoke(cli, ["backtest", str(pack), "--out", str(out)])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out / "backtest.csv")
    assert "n_test_months" in table.columns and "n_test_weeks" not in table.columns
    assert (table["n_test_months"] == 12).all() and set(table["activity_id"]) == {"2ww", "fu"}
    # 2 (or 1) referrals every day: a month's count is 2 d exactly, the model's 80th centile of a month
    # holds it (coverage near 1), and the naive last-year centile too
    assert table["coverage"].between(0.5, 1.0).all()


def test_cli_backtest_of_a_short_monthly_pack_is_exit_2(tmp_path: Path) -> None:
    pack = _cli_pack(tmp_path, "monthly")
    ref = pd.read_csv(pack / "referrals.csv")
    ref[ref["referral_date"] >= "2024-10-01"].to_csv(pack / "referrals.csv", index=False)  # 18 months
    out = tmp_path / "bt"
    res = CliRunner().invoke(cli, ["backtest", str(pack), "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert (
        "referrals.csv" in res.output
        and "24 complete months" in res.output
        and "18 complete months" in res.output
    )
    assert not out.exists() or not any(out.iterdir())


def test_a_plan_start_inside_the_last_month_is_noted() -> None:
    # totals dated 1 April 2024 .. 1 March 2027; planning.start unset: the Monday after 2027-03-01 is
    # 2027-03-08, inside March 2027, the last month of history; the first Monday on or after 1 April 2027
    # is 5 April.
    pack = _monthly_pack()
    pack = pack.replace(settings=Settings(frequency="monthly"))
    result = size_demand(pack)
    note = next(n for n in result.notes if n.startswith("planning.start"))
    assert "2027-03-08" in note and "March 2027" in note and "2027-04-01" in note
    assert not any(n.startswith("planning.start") for n in size_demand(_monthly_pack()).notes)


def test_cli_plan_runs_on_a_monthly_pack(tmp_path: Path) -> None:
    """The weekly requirements from monthly totals feed the solver like any others (end to end)."""
    pack = _cli_pack(tmp_path, "monthly")
    toml = (pack / "pack.toml").read_text()
    (pack / "pack.toml").write_text(toml + "\n[solver]\nseed = 1\nworkers = 1\n")
    out = tmp_path / "plan"
    res = CliRunner().invoke(cli, ["plan", str(pack), "--out", str(out)])
    assert res.exit_code == 0, res.output
    req = pd.read_csv(out / "requirements.csv").set_index("activity_id")
    assert str(req.loc["2ww", "forecast_model"]).startswith("monthly")
    assert req.loc["2ww", "weekly_demand_mean"] == pytest.approx(14.0, rel=0.01)


# ---- quarterly review of a monthly pack -----------------------------------------------------------------


def test_review_of_a_monthly_pack_compares_calendar_months(tiny_path: Path) -> None:
    """Monthly totals dated the 1st: the review compares April's total with April's forecast.

    History: 2 referrals a day every day, April 2023 to March 2026 (36 monthly totals). The forecast of
    April 2026 is then 2 x 30 = 60 (7 x 2 = 14 a week). Actual April total: 75, so +25 %. The review
    period is 6 April to 3 May 2026: April has 25 of its 30 days in it, May 3 of 31, so only April is
    compared. Compared by weeks (before), the April total, dated Wednesday 1 April, fell in the week of
    30 March, outside the period, and May's total (dated Friday 1 May) was set against 4 weeks of
    forecast (about 56).
    """
    from capacity_planner.pack.read import read_pack
    from capacity_planner.review import run_review

    base = read_pack(tiny_path)
    months = pd.date_range("2023-04-01", "2026-05-01", freq="MS")
    counts = 2 * months.days_in_month.to_numpy()
    counts[-2] = 75  # April 2026
    referrals = _referrals(months, counts, aid="2ww").assign(priority="2ww")
    pack = base.replace(
        settings=dataclasses.replace(base.settings, frequency="monthly"), referrals=referrals
    )
    result = run_review(pack, dt.date(2026, 4, 6), dt.date(2026, 5, 3))
    row = result.demand.set_index("activity_id").loc["2ww"]
    assert row["actual_referrals"] == 75
    assert row["expected_referrals"] == pytest.approx(60.0, rel=0.01)
    assert row["demand_variance_pct"] == pytest.approx(25.0, abs=1.5)
    assert row["compared_over"] == "calendar months: April 2026"
    kpi = result.kpis.set_index(["kpi", "group"]).loc[("demand_variance_pct", "2ww")]
    assert kpi["numerator"] == 75


def test_review_months_need_half_their_days_in_the_period() -> None:
    from capacity_planner.review.delivered import ReviewPeriod
    from capacity_planner.review.kpis import review_months

    # 16 March to 12 April 2026: March 16 of 31 days (in), April 12 of 30 (out)
    assert review_months(ReviewPeriod(dt.date(2026, 3, 16), dt.date(2026, 4, 12))) == [
        int(month_index(np.array(["2026-03-01"], dtype="datetime64[D]"))[0])
    ]
    # one week holds no half month
    assert review_months(ReviewPeriod(dt.date(2026, 4, 6), dt.date(2026, 4, 12))) == []
