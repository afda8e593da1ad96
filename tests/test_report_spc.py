"""XmR charts with the Making Data Count rules (capacity_planner.report.spc).

Worked examples come from the R package NHSRplotthedots 0.2.2 (github.com/nhs-r-community/NHSRplotthedots,
commit 050b07d): its test fixtures and snapshots, its README and its vignettes. Each test names the file
and example. Small cases are computed by hand in the comments. Property tests check invariances and compare
with a literal transliteration of the R package's rule functions (an independent model: loops and padding
as the R code does them, no shared code with the module).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from capacity_planner.report.spc import (
    SpcOptions,
    assurance_type,
    detect_rebase,
    part_of_run,
    shift_ends,
    trend_ends,
    two_in_three,
    xmr,
    xmr_by_group,
)

# R: set.seed(123); rnorm(20) -- the data of tests/testthat/test-ptd_spc_standard.R and test-ptd_spc.R.
# (The values are R's; the snapshot's printed mean 0.1416238 and limits confirm them.)
RNORM_123 = [
    -0.56047565, -0.23017749, 1.55870831, 0.07050839, 0.12928774, 1.71506499, 0.46091621, -1.26506123,
    -0.68685285, -0.44566197, 1.22408180, 0.35981383, 0.40077145, 0.11068272, -0.55584113, 1.78691314,
    0.49785048, -1.96661716, 0.70135590, -0.47279141,
]
R_DATES = pd.date_range("2020-01-02", periods=20, freq="D")  # as.Date("2020-01-01") + 1:20

# NHSRdatasets::ae_attendances (the same table as /work/shared/data/real/ae_attendances.csv), type 1
# breaches, April 2016 to March 2018 (RQM, RRK) and to March 2019 (RRK).
MONTHS_24 = pd.date_range("2016-04-01", periods=24, freq="MS")
RQM_BREACHES = [1199, 929, 970, 1178, 1110, 1388, 2061, 1985, 2675, 3141, 1942, 2030,
                1309, 1960, 1169, 1117, 1085, 1492, 1280, 1197, 1569, 1406, 1328, 1564]
RRK_BREACHES = [1195, 1843, 1397, 1333, 1771, 1751, 2013, 1759, 2179, 2585, 1654, 1543,
                1632, 1558, 1190, 1357, 1279, 1683, 2190, 1804, 986, 2181, 2048, 2154,
                1759, 1637, 1488, 6499, 5983, 6599, 7089, 8120, 8981, 12502, 11376, 10670]


def _first(chart, column):
    return float(chart.points[column].iloc[0])


# ---- worked examples from NHSRplotthedots -------------------------------------------------------------
def test_rnorm_snapshot_limits_and_sides():
    # tests/testthat/_snaps/ptd_spc_standard.md, "it returns expected values", r1: mean_col 0.1416238,
    # lpl -3.01138, upl 3.294627; relative_to_mean -1, -1, 1, -1, -1, 1, 1, -1, -1, -1, 1, 1, 1, -1, -1, ...
    chart = xmr(RNORM_123, R_DATES)
    assert _first(chart, "mean") == pytest.approx(0.1416238, abs=5e-8)
    assert _first(chart, "lpl") == pytest.approx(-3.01138, abs=5e-6)
    assert _first(chart, "upl") == pytest.approx(3.294627, abs=5e-7)
    assert chart.points["side"].tolist()[:15] == [-1, -1, 1, -1, -1, 1, 1, -1, -1, -1, 1, 1, 1, -1, -1]
    # -1.9666 (R's 18th) is just beyond 2 sigma (0.1416 - 1.7733 × 1.1853 = -1.960) but alone: common.
    assert not chart.points["beyond_limits"].any()
    assert chart.points.index[chart.points["near_limits"]].tolist() == [17]
    # tests/testthat/_snaps/ptd_spc.md, summary: n 20, common_cause 20, no special cause.
    assert (chart.points["point_type"] == "common_cause").all()
    assert chart.variation == "common_cause"


def test_rnorm_snapshot_screening_outliers():
    # _snaps/ptd_spc_standard.md r2 (y[15] <- 10, screen_outliers = TRUE): mean 0.6694159,
    # lpl -2.383666, upl 3.722497; r3 (screen_outliers = FALSE): lpl -4.596625, upl 5.935457.
    y = list(RNORM_123)
    y[14] = 10.0  # R's y[15]
    screened = xmr(y, R_DATES)
    assert _first(screened, "mean") == pytest.approx(0.6694159, abs=5e-8)
    assert _first(screened, "lpl") == pytest.approx(-2.383666, abs=5e-7)
    assert _first(screened, "upl") == pytest.approx(3.722497, abs=5e-7)
    assert screened.segments["screened_moving_ranges"].iloc[0] == 2  # |10 - (-0.11)| and |1.79 - 10|
    kept = xmr(y, R_DATES, options=SpcOptions(screen_outliers=False))
    assert _first(kept, "lpl") == pytest.approx(-4.596625, abs=5e-7)
    assert _first(kept, "upl") == pytest.approx(5.935457, abs=5e-7)
    assert kept.segments["screened_moving_ranges"].iloc[0] == 0
    assert screened.points["side"].tolist()[:14] == [-1, -1, 1, -1, -1, 1, -1, -1, -1, -1, 1, -1, -1, -1]


def test_rnorm_facets_and_rebase_before_the_data():
    # _snaps/ptd_spc.md, "it outputs expected content": facet_field with rep(c(0, 1), each = 10):
    # facet 0 mean 0.0746, lpl -2.60, upl 2.75; facet 1 mean 0.209, lpl -3.28, upl 3.70.
    frame = pd.DataFrame({"x": R_DATES, "y": RNORM_123, "facet": [0] * 10 + [1] * 10})
    charts = xmr_by_group(frame, value="y", date="x", group="facet")
    got = {k: tuple(round(float(c.segments[col].iloc[0]), 2) for col in ("lpl", "upl")) for k, c in charts.items()}
    assert got == {0: (-2.60, 2.75), 1: (-3.28, 3.70)}
    assert round(float(charts[0].segments["mean"].iloc[0]), 4) == 0.0746
    assert round(float(charts[1].segments["mean"].iloc[0]), 3) == 0.209
    # Same file, s2: rebase = as.Date("2020-01-01"), before the first point: one group, mean 0.142.
    rebased = xmr(RNORM_123, R_DATES, rebase=[pd.Timestamp("2020-01-01")])
    assert len(rebased.segments) == 1 and round(float(rebased.segments["mean"].iloc[0]), 3) == 0.142
    assert rebased.rebase_ignored == (pd.Timestamp("2020-01-01"),)


def test_deviations_vignette_outlier_screening():
    # vignettes/deviations.Rmd, "1. Treatment of outlying points": data 1, 2, 1, 2, 10, 1, 2, ... (18 days).
    # Default: "UPL = 4.6, Mean = 1.94, LPL = -0.72", one blue special-cause improvement point (the 10).
    # By hand: mean = 35/18 = 1.944; MRs are fifteen 1s, an 8 and a 9: mean 32/17 = 1.882; screened at
    # 3.267 × 1.882 = 6.15 leaves fifteen 1s, mean 1; limits 1.944 ± 2.66 = -0.716, 4.604.
    data = [1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]
    dates = pd.date_range("2021-03-22", periods=18, freq="D")
    chart = xmr(data, dates)
    seg = chart.segments.iloc[0]
    assert (round(seg["upl"], 2), round(seg["mean"], 2), round(seg["lpl"], 2)) == (4.6, 1.94, -0.72)
    assert chart.points["point_type"].tolist() == ["common_cause"] * 4 + ["special_cause_improvement"] + [
        "common_cause"] * 13
    # "setting screen_outliers = FALSE produces the same output as Excel": UPL 6.95, LPL -3.06
    # (1.944 ± 2.66 × 32/17), and still one blue point.
    excel = xmr(data, dates, options=SpcOptions(screen_outliers=False))
    seg = excel.segments.iloc[0]
    assert (round(seg["upl"], 2), round(seg["mean"], 2), round(seg["lpl"], 2)) == (6.95, 1.94, -3.06)
    assert (excel.points["point_type"] != "common_cause").sum() == 1


def test_readme_rqm_breaches():
    # README.md: ae_attendances, org_code "RQM", type 1, period < 2018-04-01, improvement_direction
    # "decrease". man/figures/README-limits-example-1.png labels the limits 2 350, mean 1 545 and 740;
    # December 2016 and January 2017 are orange (above the upper limit), May and June 2016 blue (two of
    # three beyond 2 sigma below the mean). summary() with target = 1200: variation_type "common_cause",
    # assurance_type "inconsistent".
    chart = xmr(RQM_BREACHES, MONTHS_24, target=1200, options=SpcOptions(improvement_direction="decrease"))
    seg = chart.segments.iloc[0]
    assert (round(seg["upl"]), round(seg["mean"]), round(seg["lpl"])) == (2350, 1545, 740)
    special = chart.points.loc[chart.points["point_type"] != "common_cause"]
    assert dict(zip(special["x"].dt.strftime("%Y-%m"), special["point_type"], strict=True)) == {
        "2016-05": "special_cause_improvement",
        "2016-06": "special_cause_improvement",
        "2016-12": "special_cause_concern",
        "2017-01": "special_cause_concern",
    }
    assert special["rule"].tolist() == ["two_in_three", "two_in_three", "beyond_limits", "beyond_limits"]
    assert chart.variation == "common_cause"
    assert chart.assurance == "inconsistent"


def test_intro_vignette_rrk_stable_period_shift():
    # vignettes/NHSRplotthedots.Rmd, "Stable period" (RRK, type 1, before 2018-04-01, decrease): "We can
    # see 8 sequential points coloured in blue. This is triggered by a rule that looks for >=7 points on
    # one side of the mean." They are February to September 2017.
    chart = xmr(RRK_BREACHES[:24], MONTHS_24, options=SpcOptions(improvement_direction="decrease"))
    blue = chart.points.loc[chart.points["point_type"] == "special_cause_improvement"]
    assert blue["x"].dt.strftime("%Y-%m").tolist() == [f"2017-{m:02d}" for m in range(2, 10)]
    assert set(blue["rule"]) == {"shift"}
    assert (blue["side"] == -1).all()


def test_intro_vignette_rrk_change_point():
    # vignettes/NHSRplotthedots.Rmd, "Change point": rebase = ptd_rebase(as.Date("2018-07-01")); "our limit
    # calculation has now shifted at the rebase point". Each segment has its own mean and limits.
    months = pd.date_range("2016-04-01", periods=36, freq="MS")
    chart = xmr(RRK_BREACHES, months, rebase=[pd.Timestamp("2018-07-01")],
                options=SpcOptions(improvement_direction="decrease"))
    assert chart.segments["n_points"].tolist() == [27, 9]
    assert chart.segments["start"].tolist() == [pd.Timestamp("2016-04-01"), pd.Timestamp("2018-07-01")]
    assert chart.segments["mean"].tolist() == pytest.approx([np.mean(RRK_BREACHES[:27]), np.mean(RRK_BREACHES[27:])])
    assert chart.segments["trial_limits"].tolist() == [False, True]  # 9 < 13 points: trial limits


# ---- NHSRplotthedots unit tests of the rule functions ---------------------------------------------------
def test_shift_cases_from_r():
    # tests/testthat/test-ptd_calculate_point_type.R, "ptd_seven_point_one_side_mean works as expected".
    assert shift_ends(np.array([1] * 6), 7).tolist() == [False] * 6
    assert shift_ends(np.array([1] * 6 + [-1]), 7).tolist() == [False] * 7
    assert shift_ends(np.array([1] * 8 + [-1]), 7).astype(int).tolist() == [0, 0, 0, 0, 0, 0, 1, 1, 0]
    assert shift_ends(np.array([-1] * 8 + [1]), 7).astype(int).tolist() == [0, 0, 0, 0, 0, 0, 1, 1, 0]
    assert shift_ends(np.array([], dtype=np.int64), 7).tolist() == []


def test_part_of_run_cases_from_r():
    # test-ptd_calculate_point_type.R, "ptd_part_of_seven_trend works as expected".
    assert part_of_run([0] * 6, 7).tolist() == [False] * 6
    assert part_of_run([0] * 6 + [1, 0], 7).astype(int).tolist() == [1] * 7 + [0]
    assert part_of_run([0] * 7 + [1, 0], 7).astype(int).tolist() == [0] + [1] * 7 + [0]
    assert part_of_run([0] * 6 + [-1, 0], 7).astype(int).tolist() == [1] * 7 + [0]
    assert part_of_run([], 7).tolist() == []


def test_trend_cases_from_r():
    # test-ptd_calculate_point_type.R, "ptd_seven_point_trend works as expected".
    def ends(v):
        return trend_ends(np.asarray(v, dtype=float), 7).tolist()

    assert ends(range(1, 7)) == [0] * 6
    assert ends([1, 2, 3, 3, 4, 5, 6]) == [0] * 7  # a repeated value breaks the trend
    assert ends(range(1, 8)) == [0] * 6 + [1]
    assert ends([2, *range(1, 8), 3]) == [0] * 7 + [1, 0]
    assert ends(range(7, 0, -1)) == [0] * 6 + [-1]
    assert ends([2, *range(7, 0, -1), 3]) == [0] * 7 + [-1, 0]


def test_two_in_three_cases_from_r():
    # test-ptd_calculate_point_type.R, "ptd_two_in_three works as expected" and "ptd_part_of_two_in_three"
    # (the module's two_in_three is the R pair composed: only the points beyond 2 sigma are flagged).
    def hits(near, side):
        return two_in_three(np.asarray(near, dtype=bool), np.asarray(side, dtype=np.int64)).astype(int).tolist()

    assert hits([1, 0, 1], [1, 1, 1]) == [1, 0, 1]
    assert hits([0, 1, 1], [1, 1, 1]) == [0, 1, 1]
    assert hits([1, 1, 0], [1, 1, 1]) == [1, 1, 0]
    assert hits([0, 0, 1, 0, 1, 0, 0], [1] * 7) == [0, 0, 1, 0, 1, 0, 0]
    assert hits([0, 0, 1, 1, 0, 0, 0], [1] * 7) == [0, 0, 1, 1, 0, 0, 0]
    assert hits([1, 0, 0, 1], [1] * 4) == [0, 0, 0, 0]
    assert hits([1, 0, 0, 1, 1], [1] * 5) == [0, 0, 0, 1, 1]
    # "... when points are on opposite sides of the mean" (issue #143): never.
    assert hits([1, 0, 1], [1, -1, 1]) == [0, 0, 0]
    assert hits([0, 1, 1], [1, -1, 1]) == [0, 0, 0]
    assert hits([0, 0, 1, 1, 0, 0, 0], [-1, 1, -1, 1, -1, 1, -1]) == [0] * 7


def test_two_in_three_opposite_sides_end_to_end():
    # tests/testthat/test-ptd_spc_standard.R, "it only reports special cause for 2of3 points close to
    # limits when they are on the same side of the mean": 1, -1 repeated 8 times, then the last two set
    # to 5.5 and -5.5. By hand: mean 0; MRs 2 ×13, 6.5, 11 -> mean 37.5/15 = 2.5, screened at 8.17 leaves
    # 14 ranges, mean 32.5/14 = 2.321; 2 sigma = 1.7733 × 2.321 = 4.117 < 5.5 < 6.175 = 2.66 × 2.321.
    chart = xmr([1, -1] * 7 + [5.5, -5.5])
    assert chart.points["near_limits"].tolist()[-2:] == [True, True]
    assert chart.points["point_type"].tolist()[-2:] == ["common_cause", "common_cause"]
    assert _first(chart, "upl") == pytest.approx(2.66 * 32.5 / 14)


@pytest.mark.parametrize(("lpl", "upl", "expected"), [
    (1, 3, {"increase": "consistent_fail", "decrease": "consistent_pass"}),
    (5, 7, {"increase": "consistent_pass", "decrease": "consistent_fail"}),
    (1, 5, {"increase": "inconsistent", "decrease": "inconsistent"}),
])
def test_assurance_cases_from_r(lpl, upl, expected):
    # tests/testthat/test-ptd_calculate_assurance_type.R: facets a, b, c with lpl 1, 5, 1 and upl 3, 7, 5,
    # target 4; neutral gives NA.
    for direction, kind in expected.items():
        assert assurance_type(4, lpl, upl, direction) == kind
    assert assurance_type(4, lpl, upl, "neutral") is None
    assert assurance_type(None, lpl, upl, "increase") is None


# ---- hand-computed cases, one per rule ------------------------------------------------------------------
def test_point_beyond_the_limits():
    # 0, 2 ten times, then 12. Mean = (10 × 2 + 12)/21 = 1.5238. MRs: nineteen 2s and a 10, mean 48/20 =
    # 2.4; 10 >= 3.267 × 2.4 = 7.84 is screened: mean MR 2. Limits 1.5238 ± 5.32 = -3.7962, 6.8438; 2 sigma
    # 1.5238 ± 3.5467. Only the 12 breaks a rule (the 0s and 2s alternate sides: no run).
    chart = xmr([0, 2] * 10 + [12])
    seg = chart.segments.iloc[0]
    assert seg["mean"] == pytest.approx(32 / 21)
    assert seg["mean_moving_range"] == 2.0 and seg["screened_moving_ranges"] == 1
    assert (seg["lpl"], seg["upl"]) == pytest.approx((32 / 21 - 5.32, 32 / 21 + 5.32))
    assert chart.points["upper_2sigma"].iloc[0] == pytest.approx(32 / 21 + 2 * 2.66 / 3 * 2)
    assert chart.points["upper_1sigma"].iloc[0] == pytest.approx(32 / 21 + 2.66 / 3 * 2)
    assert chart.points["rule"].tolist() == [""] * 20 + ["beyond_limits"]
    assert chart.points["point_type"].iloc[-1] == "special_cause_improvement"
    assert chart.variation == "improvement_high"
    down = xmr([0, 2] * 10 + [12], options=SpcOptions(improvement_direction="decrease"))
    assert down.points["point_type"].iloc[-1] == "special_cause_concern" and down.variation == "concern_high"
    flat = xmr([0, 2] * 10 + [12], options=SpcOptions(improvement_direction="neutral"))
    assert flat.points["point_type"].iloc[-1] == "special_cause_neutral_high" and flat.variation == "neutral_high"


def test_shift_of_seven_and_the_six_point_option():
    # 2, 0 five times then 3, 3.5, 3, 3.5, 3, 3.5, 3: mean (10 + 22.5)/17 = 1.9118; MRs nine 2s, a 3, six
    # 0.5s: mean 24/16 = 1.5, none screened (< 4.9). Limits 1.9118 ± 3.99 = -2.0782, 5.9018; the 2 sigma
    # band ends at 4.5718, above 3.5. The last 7 points are above the mean (2s are too, but 0s break it).
    chart = xmr([2, 0] * 5 + [3, 3.5] * 3 + [3])
    seg = chart.segments.iloc[0]
    assert (seg["mean"], seg["mean_moving_range"]) == pytest.approx((32.5 / 17, 1.5))
    assert chart.points["rule"].tolist() == [""] * 10 + ["shift"] * 7
    assert (chart.points["direction"].iloc[10:] == 1).all()
    # Without the last point the run is 6: not a shift with 7, a shift with the 6-point option.
    six = [2, 0] * 5 + [3, 3.5] * 3
    assert (xmr(six).points["rule"] == "").all()
    assert xmr(six, options=SpcOptions(shift_length=6)).points["rule"].tolist() == [""] * 10 + ["shift"] * 6
    # A point exactly on the mean breaks a run (NHSRplotthedots: relative_to_mean 0).
    assert shift_ends(np.array([1, 1, 1, 0, 1, 1, 1]), 3).astype(int).tolist() == [0, 0, 1, 0, 0, 0, 1]


def test_trend_of_seven_crossing_the_mean():
    # 5, 3 four times then 1, 2, ..., 7: mean 60/15 = 4; MRs seven 2s, a 2 (3 -> 1), six 1s: 22/14 =
    # 1.5714. Limits 4 ± 4.18; the rise 1..7 is 7 points and 6 steps up: a trend, reported before the
    # 2-sigma points 1 (< 1.2133) and 7 (> 6.7867), and across the mean (issue #171: one colour).
    chart = xmr([5, 3] * 4 + list(range(1, 8)))
    assert chart.segments["mean"].iloc[0] == 4.0
    assert chart.segments["mean_moving_range"].iloc[0] == pytest.approx(22 / 14)
    assert chart.points["rule"].tolist() == [""] * 8 + ["trend"] * 7
    assert chart.points["point_type"].tolist()[8:] == ["special_cause_improvement"] * 7
    assert chart.points["side"].tolist()[8:] == [-1, -1, -1, 0, 1, 1, 1]
    # A trend of 6 points (5 steps) needs the 6-point option.
    y6 = [5, 3] * 4 + list(range(1, 7))
    assert not xmr(y6).points["trend"].any()
    assert xmr(y6, options=SpcOptions(trend_length=6)).points["trend"].tolist() == [False] * 8 + [True] * 6


def test_falling_trend_with_decrease_is_improvement():
    chart = xmr([5, 3] * 4 + list(range(7, 0, -1)), options=SpcOptions(improvement_direction="decrease"))
    assert chart.points["direction"].tolist()[8:] == [-1] * 7
    assert chart.points["point_type"].tolist()[8:] == ["special_cause_improvement"] * 7
    assert chart.variation == "improvement_low"


def test_two_of_three_beyond_two_sigma():
    # -1, 1 ten times, then 4.5, 1, 4.5: mean 10/23 = 0.4348; MRs nineteen 2s and three 3.5s: 48.5/22 =
    # 2.2045, none screened. 2 sigma: 0.4348 + 1.7733 × 2.2045 = 4.3442; limit 6.2989. 4.5, 1, 4.5 are
    # all above the mean and two are beyond 2 sigma: both 4.5s are flagged, not the 1.
    chart = xmr([-1, 1] * 10 + [4.5, 1, 4.5])
    assert chart.points["upper_2sigma"].iloc[0] == pytest.approx(10 / 23 + 2 * 2.66 / 3 * 48.5 / 22)
    assert chart.points["rule"].tolist()[-4:] == ["", "two_in_three", "", "two_in_three"]
    assert (chart.points["rule"].iloc[:-3] == "").all()


def test_two_in_three_counting_points_beyond_the_limits():
    # Mean 0 and mean MR 2 from -1, 1 (twenty points, limits ±5.32, 2 sigma ±3.5467) with a baseline of
    # 20, then 4 and 9: the window 1, 4, 9 is above the mean; the 4 is between 2 and 3 sigma, the 9 beyond
    # the limit. NHSRplotthedots 0.2.2 counts only the 4 (one point: no pattern); Making Data Count tools
    # since 2023 (issue #194) count both, so the 4 is flagged too.
    y = [-1, 1] * 10 + [4, 9]
    base = SpcOptions(fix_after_n_points=20)
    assert xmr(y, options=base).points["rule"].tolist()[-2:] == ["", "beyond_limits"]
    mdc = SpcOptions(fix_after_n_points=20, two_in_three_counts_beyond_limits=True)
    assert xmr(y, options=mdc).points["rule"].tolist()[-2:] == ["two_in_three", "beyond_limits"]


def test_rebase_gives_each_segment_its_own_limits():
    # 1, 3 four times then 11, 13 four times. One segment: mean 7, MRs 2 ×14 and 8 -> 2 after screening,
    # limits 1.68, 12.32: every 1 and 13 is beyond them. Rebased at position 8: means 2 and 12, mean MR 2
    # in each (the 8 is between segments, in neither), limits 2 ± 5.32 and 12 ± 5.32: common cause.
    y = [1, 3] * 4 + [11, 13] * 4
    assert xmr(y).points["beyond_limits"].sum() == 8
    chart = xmr(y, rebase=[8])
    assert chart.segments["mean"].tolist() == [2.0, 12.0]
    assert chart.segments["mean_moving_range"].tolist() == [2.0, 2.0]
    assert chart.points["segment"].tolist() == [0] * 8 + [1] * 8
    assert math.isnan(chart.points["moving_range"].iloc[8])
    assert (chart.points["point_type"] == "common_cause").all()
    # A stated change between two dates starts the segment at the next point (weekly data, mid-week date).
    weeks = pd.date_range("2026-01-05", periods=16, freq="7D")
    dated = xmr(y, weeks, rebase=["2026-02-25"])  # a Wednesday: the segment starts Monday 2 March
    assert dated.segments["start"].tolist() == [weeks[0], pd.Timestamp("2026-03-02")]


def test_detected_change_points_start_sustained_shifts():
    # 1, 3 six times then 11, 13 six times: one segment has mean 7 and a 12-point run on each side; the
    # run starting at position 12 leaves 12 points before and 12 after: rebase there. The two segments
    # then alternate about their own means (2 and 12): nothing more to find.
    assert detect_rebase([1, 3] * 6 + [11, 13] * 6) == (12,)
    # With 10 points after the step there are too few for locked limits (12): no suggestion.
    assert detect_rebase([1, 3] * 6 + [11, 13] * 5) == ()
    # A stated change point is kept and not suggested again.
    assert detect_rebase([1, 3] * 6 + [11, 13] * 6, rebase=[12]) == ()


def test_detected_change_points_on_the_vignette_rrk_series():
    # vignettes/NHSRplotthedots.Rmd states the RRK change at 2018-07-01 (a trust merger). Only 9 months
    # follow it, fewer than the 12 points of locked limits, so nothing is suggested by default; allowing
    # 9-point segments finds it, after the 2017 shift (February to September, 8 points below the mean).
    months = pd.date_range("2016-04-01", periods=36, freq="MS")
    assert detect_rebase(RRK_BREACHES, months) == ()
    assert detect_rebase(RRK_BREACHES, months, min_points=9) == (pd.Timestamp("2017-02-01"),
                                                                 pd.Timestamp("2018-07-01"))


def test_fixed_baseline():
    # 1, 3 six times, then 1, 30; limits from the first 12 points only: mean 2, mean MR 2 (eleven 2s),
    # so 30 is beyond 2 + 5.32; the MRs after point 12 are not used.
    chart = xmr([1, 3] * 6 + [1, 30], options=SpcOptions(fix_after_n_points=12))
    assert (chart.segments["mean"].iloc[0], chart.segments["mean_moving_range"].iloc[0]) == (2.0, 2.0)
    assert chart.points["moving_range_used"].tolist() == [False] + [True] * 11 + [False, False]
    assert chart.points["rule"].tolist() == [""] * 13 + ["beyond_limits"]


def test_target_and_assurance_icon():
    # 1, 3 repeated: mean 2, mean MR 2, limits -3.32 and 7.32.
    y = [1, 3] * 8
    assert xmr(y, target=8).assurance == "consistent_fail"  # higher is better, every point below 8
    assert xmr(y, target=-4).assurance == "consistent_pass"
    assert xmr(y, target=5).assurance == "inconsistent"
    assert xmr(y, target=8, options=SpcOptions(improvement_direction="decrease")).assurance == "consistent_pass"
    assert xmr(y, target=8, options=SpcOptions(improvement_direction="neutral")).assurance is None
    assert xmr(y).assurance is None
    assert xmr(y, target=5).points["target"].unique().tolist() == [5.0]
    # The assurance comes from the last segment's limits (test-ptd_calculate_assurance_type.R, "rebase").
    assert xmr([1, 3] * 8 + [21, 23] * 8, rebase=[16], target=8).assurance == "consistent_pass"


def test_constant_series_has_limits_on_the_mean():
    chart = xmr([4.0] * 10)
    assert (chart.segments["lpl"].iloc[0], chart.segments["upl"].iloc[0]) == (4.0, 4.0)
    assert (chart.points["point_type"] == "common_cause").all()


def test_bad_input_is_reported_at_once():
    with pytest.raises(ValueError, match=r"2 value\(s\) are missing.*dates repeat"):
        xmr([1, float("nan"), 3, float("inf")], ["2026-01-05", "2026-01-12", "2026-01-12", "2026-01-19"])
    with pytest.raises(ValueError, match=r"improvement_direction.*shift_length"):
        SpcOptions(improvement_direction="up", shift_length=2)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no column"):
        xmr_by_group(pd.DataFrame({"a": [1]}), value="v", date="d")


def test_empty_and_single_point_series():
    from capacity_planner.report.spc import POINT_COLUMNS, SEGMENT_COLUMNS

    empty = xmr([])
    assert tuple(empty.points.columns) == POINT_COLUMNS and tuple(empty.segments.columns) == SEGMENT_COLUMNS
    assert (empty.variation, empty.assurance) == ("common_cause", None)
    one = xmr([5.0], target=4)
    assert tuple(one.points.columns) == POINT_COLUMNS and tuple(one.segments.columns) == SEGMENT_COLUMNS
    assert math.isnan(one.segments["upl"].iloc[0]) and one.assurance is None  # no moving range: no limits
    assert one.points["point_type"].tolist() == ["common_cause"]


def test_by_group_rebase_and_target_per_group():
    frame = pd.DataFrame({"week": list(range(16)) * 2, "v": [1, 3] * 8 + [1, 3] * 4 + [21, 23] * 4,
                          "g": ["a"] * 16 + ["b"] * 16})
    charts = xmr_by_group(frame, value="v", date="week", group="g", rebase={"b": [8]}, target={"a": 8})
    assert len(charts["a"].segments) == 1 and len(charts["b"].segments) == 2
    assert charts["a"].assurance == "consistent_fail" and charts["b"].assurance is None


def test_dates_are_sorted():
    chart = xmr([3, 1, 2], ["2026-01-19", "2026-01-05", "2026-01-12"])
    assert chart.points["value"].tolist() == [1, 2, 3]
    assert chart.points["moving_range"].tolist()[1:] == [1.0, 1.0]


# ---- an independent model: NHSRplotthedots' R functions transliterated line by line ---------------------
def _r_point_types(y, improvement_direction=1):
    """ptd_spc_standard + ptd_calculate_point_type (R/ptd_spc_standard.R, R/ptd_calculate_point_type.R)
    for one group, written as the R code is: padded vectors and vapply-style loops."""
    n = len(y)
    mean_col = sum(y) / n
    mr = [None] + [abs(y[i] - y[i - 1]) for i in range(1, n)]
    known = [m for m in mr if m is not None]
    amr = sum(known) / len(known)
    mr = [m if (m is not None and m < 3.267 * amr) else None for m in mr]
    known = [m for m in mr if m is not None]
    amr = sum(known) / len(known)
    lpl, upl = mean_col - 2.66 * amr, mean_col + 2.66 * amr
    nlpl, nupl = mean_col - 2 * (2.66 / 3) * amr, mean_col + 2 * (2.66 / 3) * amr
    outside = [v > upl or v < lpl for v in y]
    rtm = [(v > mean_col) - (v < mean_col) for v in y]
    close = [(not o) and (v < nlpl or v > nupl) for v, o in zip(y, outside, strict=True)]

    def sign(v):
        return (v > 0) - (v < 0)

    def seven_point_trend(y):
        if len(y) < 7:
            return [0] * len(y)
        out = [0] * 6
        for i in range(6, len(y)):
            d = [sign(y[i - k] - y[i - k - 1]) for k in range(6)]
            out.append(1 if all(x == 1 for x in d) else -1 if all(x == -1 for x in d) else 0)
        return out

    def part_of_seven(v):
        vp = list(v) + [0] * 6
        return [int(any(abs(vp[i + k]) == 1 for k in range(7))) for i in range(len(v))]

    def one_side(v):
        vp = [0] * 6 + list(v)
        return [int(all(vp[i] == vp[i - k] for k in range(1, 7)) and vp[i] != 0) for i in range(6, len(vp))]

    def two_of_three(v, r):
        vp = [0, 0, *v, 0, 0]
        rp = [0, 0, *r, 0, 0]
        return [int(any(sum(vp[i + k: i + k + 3]) >= 2 and abs(sum(rp[i + k: i + k + 3])) == 3
                        for k in range(3))) for i in range(len(v))]

    trend = part_of_seven(seven_point_trend(y))
    pair = [int(t == 1 and abs(c) == 1) for t, c in zip(two_of_three(close, rtm), close, strict=True)]
    shift = part_of_seven(one_side(rtm))
    sdy = [sign(y[i + 1] - y[i]) for i in range(n - 1)]
    right = sdy + sdy[-1:]
    left = [0, *sdy]
    nxt = [*trend[1:], 0]
    sdy = [right[i] if (nxt[i] and trend[i]) else left[i] for i in range(n)]
    types = []
    for i in range(n):
        if outside[i]:
            v = 1 if rtm[i] == 1 else -1
        elif trend[i]:
            v = 1 if sdy[i] == 1 else -1
        elif pair[i] or shift[i]:
            v = 1 if rtm[i] > 0 else -1
        else:
            v = 0
        v *= improvement_direction
        types.append("special_cause_improvement" if v > 0 else "special_cause_concern" if v < 0 else "common_cause")
    return types, (mean_col, lpl, upl)


_noise = st.lists(st.integers(min_value=0, max_value=30), min_size=8, max_size=60)
# Mixed with patterns so that every rule fires often: a sorted stretch (trends), a step (shifts, points
# beyond the limits, two of three).
series = st.one_of(
    _noise,
    st.tuples(_noise, st.integers(3, 12)).map(lambda t: sorted(t[0][: t[1]]) + t[0][t[1]:]),
    st.tuples(_noise, st.integers(10, 40)).map(lambda t: t[0][: len(t[0]) // 2] + [v + t[1] for v in t[0][len(t[0]) // 2:]]),
)


def _clear_of_boundaries(chart):
    """No point within rounding of a limit or band (where two correct float computations may disagree)."""
    p = chart.points
    edges = p[["lpl", "upl", "lower_2sigma", "upper_2sigma", "mean"]].to_numpy()
    gap = np.abs(edges - p[["value"]].to_numpy())
    return bool((gap > 1e-9).all())


@settings(max_examples=150, deadline=None)
@given(series, st.sampled_from(["increase", "decrease"]))
def test_matches_transliterated_r(values, direction):
    chart = xmr(values, options=SpcOptions(improvement_direction=direction))
    assume(chart.segments["mean_moving_range"].iloc[0] > 0 and _clear_of_boundaries(chart))
    types, (mean, lpl, upl) = _r_point_types(values, 1 if direction == "increase" else -1)
    assert chart.points["point_type"].tolist() == types
    assert (chart.segments["mean"].iloc[0], chart.segments["lpl"].iloc[0], chart.segments["upl"].iloc[0]) == (
        pytest.approx(mean), pytest.approx(lpl), pytest.approx(upl))


@settings(max_examples=100, deadline=None)
@given(series, st.integers(min_value=-1000, max_value=1000), st.integers(min_value=0, max_value=20))
def test_shifting_the_data_shifts_the_limits_and_keeps_the_flags(values, offset, change):
    rebase = [change] if 0 < change < len(values) else []
    a = xmr(values, rebase=rebase)
    b = xmr([v + offset for v in values], rebase=rebase)
    assume(_clear_of_boundaries(a) and _clear_of_boundaries(b))
    for col in ("mean", "lpl", "upl", "lower_2sigma", "upper_1sigma"):
        assert np.allclose(b.points[col] - offset, a.points[col], atol=1e-9)
    assert np.allclose(b.points["mean_moving_range"], a.points["mean_moving_range"])
    assert b.points["rule"].tolist() == a.points["rule"].tolist()
    assert b.variation == a.variation


@settings(max_examples=100, deadline=None)
@given(series, st.sampled_from([0.5, 3.0, 7.25]))
def test_scaling_the_data_scales_the_limits(values, factor):
    a = xmr(values)
    b = xmr([v * factor for v in values])
    assume(_clear_of_boundaries(a) and _clear_of_boundaries(b))
    assert np.allclose(b.points["upl"], a.points["upl"] * factor)
    assert b.points["point_type"].tolist() == a.points["point_type"].tolist()


@settings(max_examples=100, deadline=None)
@given(series, st.sampled_from(["increase", "decrease"]), st.one_of(st.none(), st.integers(0, 30)))
def test_negating_with_the_direction_flipped_keeps_the_reading(values, direction, target):
    flipped = "decrease" if direction == "increase" else "increase"
    a = xmr(values, target=target, options=SpcOptions(improvement_direction=direction))
    b = xmr([-v for v in values], target=None if target is None else -target,
            options=SpcOptions(improvement_direction=flipped))
    assume(_clear_of_boundaries(a) and _clear_of_boundaries(b))
    assume(target is None or not np.isclose(abs(target - a.segments["mean"].iloc[-1]),
                                             2.66 * a.segments["mean_moving_range"].iloc[-1]))
    assert np.allclose(b.points["lpl"], -a.points["upl"]) and np.allclose(b.points["mean"], -a.points["mean"])
    assert b.points["point_type"].tolist() == a.points["point_type"].tolist()
    assert b.points["direction"].tolist() == [-d for d in a.points["direction"]]
    swap = {"high": "low", "low": "high"}
    head, _, tail = a.variation.rpartition("_")
    assert b.variation == (a.variation if a.variation == "common_cause" else f"{head}_{swap[tail]}")
    assert b.assurance == a.assurance
