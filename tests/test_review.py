"""Quarterly review on a tiny pack with every number computed by hand.

Pack: tests/data/tiny. Period: the 4 weeks from Monday 2026-04-06 to Sunday 2026-05-03.
Working weeks (contract defaults): consultants A and B 42, SAS doctor S 42, nurse N 45 (Agenda for Change).

Planned sessions (module docstring of capacity_planner.review.delivered):
- A has a leave row (week of 2026-04-13), so exact: each weekly cell (42 of 42 working weeks) x (4 - 1)
  worked weeks = 3 sessions of 2ww, 3 of mdt, 3 of spa.
- B, S have no leave rows: 42/52 x 4 = 3.230769 per weekly cell; N: 45/52 x 4 = 3.461538.
Delivered: A 3/3/3 (on plan); B 2ww 2 (-38.1 %), mdt 4 (+23.8 %); S fu 3 (-7.1 %); N fu 6 (+73.3 %);
a locum (L1, not in the team) 2 sessions of 2ww.

Those are the even-spread figures (``planning.weekday_true_supply = false``, the ``pack`` fixture). The
default, weekday-true, is checked by hand in ``test_planned_sessions_are_weekday_true``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from capacity_planner.errors import PackValidationError
from capacity_planner.pack.read import read_pack
from capacity_planner.review.delivered import (
    agreed_plan,
    planned_cells,
    planned_vs_delivered,
    review_period,
)
from capacity_planner.review.kpis import (
    demand_comparison,
    hospital_cancellation_rates,
    kpi_table,
    review_table,
)

if TYPE_CHECKING:
    from pathlib import Path

    from capacity_planner.pack.model import PlanningPack

MON = pd.Timestamp("2026-04-06")


def _weeks(n: int) -> list[pd.Timestamp]:
    return [MON + pd.Timedelta(weeks=i) for i in range(n)]


@pytest.fixture()
def pack(tiny_path: Path) -> PlanningPack:
    base = read_pack(tiny_path)
    rows = []
    for i, w in enumerate(_weeks(4)):
        if i != 1:  # A on leave in week 2
            rows += [
                ("A", w, "2ww", 1.0, "substantive"),
                ("A", w, "mdt", 1.0, "substantive"),
                ("A", w, "spa", 1.0, "substantive"),
            ]
        rows += [
            ("B", w, "mdt", 1.0, "substantive"),
            ("S", w, "fu", 0.0 if i == 3 else 1.0, "substantive"),
            ("N", w, "fu", 1.5, "substantive"),
        ]
        if i < 2:
            rows.append(("B", w, "2ww", 1.0, "substantive"))
    rows += [("L1", MON, "2ww", 1.0, "locum"), ("L1", MON + pd.Timedelta(weeks=1), "2ww", 1.0, "locum")]
    delivered = pd.DataFrame(
        rows, columns=["clinician_id", "week_start", "activity_id", "sessions", "session_type"]
    )
    leave = pd.DataFrame({"clinician_id": ["A"], "week_start": [MON + pd.Timedelta(weeks=1)], "weeks": [1.0]})
    referrals = pd.concat(
        [
            base.referrals,
            pd.DataFrame(
                {  # the extract reaches the period's last week (a follow-up referral on 28 April)
                    "referral_date": [pd.Timestamp("2026-04-07"), pd.Timestamp("2026-04-14"),
                                      pd.Timestamp("2026-04-28")],
                    "activity_id": ["2ww", "2ww", "fu"],
                    "priority": ["2ww", "2ww", "routine"],
                    "count": [20, 20, 1],
                }
            ),
        ],
        ignore_index=True,
    )
    appts = pd.concat(
        [
            base.appointments,
            pd.DataFrame(
                {
                    "appointment_date": pd.to_datetime(["2026-04-08"] * 4),
                    "activity_id": ["2ww"] * 4,
                    "outcome": ["attended", "attended", "dna", "cancelled_hospital"],
                    "clinician_id": ["A"] * 4,
                    "is_new": [True] * 4,
                }
            ),
        ],
        ignore_index=True,
    )
    appts["is_new"] = appts["is_new"].astype("boolean")
    clinicians = tuple(
        replace(c, signed_off={"A": dt.date(2025, 6, 1), "B": dt.date(2024, 1, 1)}.get(c.clinician_id))
        for c in base.clinicians
    )
    return base.replace(
        delivered=delivered, leave=leave, referrals=referrals, appointments=appts, clinicians=clinicians,
        settings=replace(base.settings, weekday_true_supply=False),
    )


def test_period_defaults_to_the_delivered_weeks(pack: PlanningPack) -> None:
    period = review_period(pack)
    assert (period.start, period.end, period.weeks) == (dt.date(2026, 4, 6), dt.date(2026, 5, 3), 4)


def test_period_outside_the_planning_year_is_an_input_error(pack: PlanningPack) -> None:
    with pytest.raises(PackValidationError, match="not inside the planning year"):
        review_period(pack, dt.date(2026, 3, 2), dt.date(2026, 3, 29))


def test_from_after_the_default_to_names_the_default(pack: PlanningPack) -> None:
    """Session 16 fuzz: ``--from`` alone after the delivered extract's last week said "the period ends
    (2026-05-03) before it starts", a date the user never gave; it is named as the default --to."""
    with pytest.raises(PackValidationError) as err:
        review_period(pack, dt.date(2026, 9, 7))
    assert "ends (2026-05-03, the delivered extract's last week: the default --to) before it starts " \
           "(2026-09-07)" in str(err.value.problems[0])


def test_planned_sessions_allow_for_leave(pack: PlanningPack) -> None:
    detail = planned_vs_delivered(pack, review_period(pack), planned_cells(pack)).set_index(
        ["clinician_id", "activity_id", "session_type"]
    )
    got = detail["planned_sessions"]
    assert got[("A", "2ww", "substantive")] == pytest.approx(3.0)  # leave rows: 4 - 1 weeks
    assert got[("B", "2ww", "substantive")] == pytest.approx(42 / 52 * 4)
    assert got[("N", "fu", "substantive")] == pytest.approx(45 / 52 * 4)
    assert detail.loc[("A", "2ww", "substantive"), "planned_basis"] == "leave rows"
    assert detail.loc[("B", "2ww", "substantive"), "planned_basis"] == "working weeks"
    assert detail.loc[("N", "fu", "substantive"), "delivered_sessions"] == 6.0
    assert detail.loc[("L1", "2ww", "locum"), "delivered_sessions"] == 2.0
    assert detail.loc[("L1", "2ww", "locum"), "staff_group"] == "external"


def test_planned_sessions_are_weekday_true(pack: PlanningPack) -> None:
    # The period (6 April to 3 May 2026) holds one bank holiday, Easter Monday 6 April (GOV.UK). A has the
    # leave row (week 2: all the leave there is); B, S (42 weeks) and N (45) have none, so the contract's
    # leave is spread: 8.4 x 4/52 = 0.646154 weeks for 42 working weeks, 5.4 x 4/52 = 0.415385 for 45.
    weekday = pack.replace(settings=replace(pack.settings, weekday_true_supply=True))
    got = planned_vs_delivered(weekday, review_period(weekday), planned_cells(weekday)).set_index(
        ["clinician_id", "activity_id", "session_type"])["planned_sessions"]
    assert got[("A", "2ww", "substantive")] == pytest.approx(2.0)  # Mon: 4 - Easter Monday - leave week
    assert got[("A", "mdt", "substantive")] == pytest.approx(3.0)  # Tue: 4 - leave week
    assert got[("B", "2ww", "substantive")] == pytest.approx(4 - 8.4 * 4 / 52)  # Wed: 3.353846
    assert got[("S", "fu", "substantive")] == pytest.approx(4 - 1 - 8.4 * 4 / 52)  # Mon: 2.353846
    assert got[("N", "fu", "substantive")] == pytest.approx(4 - 5.4 * 4 / 52)  # Thu: 3.584615


def _review(pack: PlanningPack) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    period = review_period(pack)
    detail = planned_vs_delivered(pack, period, planned_cells(pack))
    expected = pd.DataFrame({"activity_id": ["2ww"] * 4, "week_start": _weeks(4), "mean": [8.0] * 4})
    demand = demand_comparison(pack, period, expected)
    review = review_table(detail, demand, hospital_cancellation_rates(pack, period), threshold_pct=10)
    return detail, demand, review


def test_demand_against_forecast(pack: PlanningPack) -> None:
    _, demand, _ = _review(pack)
    row = demand.set_index("activity_id").loc["2ww"]
    assert (row["expected_referrals"], row["actual_referrals"]) == (32.0, 40.0)
    assert row["demand_variance_pct"] == pytest.approx(25.0)


def test_variances_flags_and_likely_causes(pack: PlanningPack) -> None:
    _, _, review = _review(pack)
    cells = review.loc[review["level"] == "clinician_activity"].set_index(["clinician_id", "activity_id"])
    b = cells.loc[("B", "2ww")]
    assert b["variance_pct"] == pytest.approx((2 - 42 / 52 * 4) / (42 / 52 * 4) * 100)  # -38.1 %
    assert b["flagged"]
    assert b["likely_cause"] == (
        "sessions lost to hospital cancellations (25% of bookings cancelled by the "
        "hospital against 0% planned); demand above forecast (40 referrals against "
        "32 expected)"
    )
    n = cells.loc[("N", "fu")]
    assert n["variance_pct"] == pytest.approx((6 - 45 / 52 * 4) / (45 / 52 * 4) * 100)  # +73.3 %
    assert n["likely_cause"] == "extra sessions (additional lists or WLI)"
    s = cells.loc[("S", "fu")]
    assert s["variance_pct"] == pytest.approx((3 - 42 / 52 * 4) / (42 / 52 * 4) * 100)  # -7.1 %: within 10 %
    assert not s["flagged"] and s["likely_cause"] == ""
    assert not cells.loc[("A", "2ww"), "flagged"]
    total = review.loc[review["level"] == "total"].iloc[0]
    planned = 9 + 2 * 42 / 52 * 4 + 42 / 52 * 4 + 45 / 52 * 4
    assert total["planned_sessions"] == pytest.approx(planned)
    assert total["delivered_sessions"] == pytest.approx(9 + 2 + 4 + 3 + 6)


def test_kpis_by_hand(pack: PlanningPack) -> None:
    detail, demand, _ = _review(pack)
    kpis = kpi_table(pack, review_period(pack), detail, demand).set_index(["kpi", "group"])["value"]
    assert kpis[("active_job_plan_pct", "consultant")] == pytest.approx(50.0)  # A signed 2025-06-01, B 2024
    assert kpis[("active_job_plan_pct", "all")] == pytest.approx(25.0)
    assert kpis[("planned_dcc_ratio", "consultant")] == pytest.approx(168 / 210)
    assert kpis[("planned_dcc_ratio", "all")] == pytest.approx(255 / 297)
    assert kpis[("dcc_spa_ratio", "consultant")] == pytest.approx(4.0)
    assert np.isnan(kpis[("dcc_spa_ratio", "sas")])
    consultant_planned = 9 + 2 * 42 / 52 * 4
    assert kpis[("session_variance_pct", "consultant")] == pytest.approx(
        (15 - consultant_planned) / consultant_planned * 100
    )
    assert kpis[("dna_rate_actual", "2ww")] == pytest.approx(1 / 3)  # 1 dna of 3 attended+dna
    assert kpis[("locum_sessions", "all")] == 2.0
    assert kpis[("premium_spend", "all")] == pytest.approx(2 * 950.0)  # costs.csv locum_session 950
    assert kpis[("demand_variance_pct", "2ww")] == pytest.approx(25.0)


def test_plan_folder_as_the_agreed_plan(pack: PlanningPack, tmp_path: Path) -> None:
    pd.DataFrame(
        {"clinician_id": ["B"], "day": ["Mon"], "period": ["AM"], "activity_id": ["2ww"], "pas": [1.0]}
    ).to_csv(tmp_path / "allocation.csv", index=False)
    agreed = agreed_plan(pack, tmp_path)
    # B's cell from the plan; A, S and N, active but not in the plan, keep their job plans (session 17)
    assert agreed.cells.to_dict("records") == [
        {"clinician_id": "B", "day": "Mon", "activity_id": "2ww", "sessions_per_week": 1.0,
         "weeks_per_year": 42.0},
        *({"clinician_id": c.clinician_id, "day": c.day, "activity_id": c.activity_id,
           "sessions_per_week": 1.0, "weeks_per_year": c.weeks_per_year}
          for c in pack.job_plans if c.clinician_id != "B"),
    ]
    assert agreed.from_job_plans == ("A", "S", "N")
    assert planned_cells(pack, tmp_path).equals(agreed.cells)
    with pytest.raises(PackValidationError, match=r"allocation\.csv"):
        planned_cells(pack, tmp_path / "nope")


def test_plan_folder_keeps_an_id_spelled_na(pack: PlanningPack, tmp_path: Path) -> None:
    """"NA" is an ID, not a missing value, in every reader of a plan folder (one NA rule,
    capacity_planner._csv.read_text_csv): review --plan once turned it into a blank."""
    from capacity_planner._csv import write_csv

    clinicians = tuple(replace(c, clinician_id="NA") if c.clinician_id == "B" else c for c in pack.clinicians)
    na_pack = pack.replace(clinicians=clinicians)
    write_csv(pd.DataFrame({"clinician_id": ["NA", "NA"], "day": ["Mon", "Tue"], "period": ["AM", "AM"],
                            "activity_id": ["2ww", "fu"], "pas": [1.0, 1.0]}),
              tmp_path / "allocation.csv")
    cells = planned_cells(na_pack, tmp_path)
    # B's contract default: 42 working weeks (module docstring); A, S, N from their job plans
    assert cells.loc[cells["clinician_id"] == "NA"].to_dict("records") == [
        {"clinician_id": "NA", "day": "Mon", "activity_id": "2ww", "sessions_per_week": 1.0,
         "weeks_per_year": 42.0},
        {"clinician_id": "NA", "day": "Tue", "activity_id": "fu", "sessions_per_week": 1.0,
         "weeks_per_year": 42.0},
    ]


def test_a_two_hour_half_is_planned_as_half_a_session(pack: PlanningPack, tmp_path: Path) -> None:
    """A slot of 2-hour halves (job_plans / allocation.csv ``half`` 1 and 2) is one session a week, not two:
    each half "counts half the session's PAs" (docs/data-pack.md, job_plans ``half``) and supplies half the
    session-weeks of a whole cell (capacity_planner.solver.alternate: "both count the same PA-weeks and
    session-weeks"). A's Wed AM SPA split into two halves: 4 weeks less the leave week = 3 sessions, as the
    whole weekly cell (the review once planned 6)."""
    halves = []
    for c in pack.job_plans:
        halves += ([replace(c, half="1"), replace(c, half="2")] if (c.clinician_id, c.activity_id) == ("A", "spa")
                   else [c])
    split = pack.replace(job_plans=tuple(halves))
    for p in (split, split.replace(settings=replace(split.settings, weekday_true_supply=True))):
        got = planned_vs_delivered(p, review_period(p), planned_cells(p)).set_index(
            ["clinician_id", "activity_id", "session_type"])["planned_sessions"]
        assert got[("A", "spa", "substantive")] == pytest.approx(3.0)  # 2 x 0.5 x (4 - 1); Wed: no holiday
    pd.DataFrame({"clinician_id": ["A", "A", "A"], "day": ["Wed", "Wed", "Mon"], "period": ["AM", "AM", "AM"],
                  "activity_id": ["spa", "spa", "2ww"], "pas": [0.5, 0.5, 1.0], "weeks_per_year": [42, 42, 42],
                  "week": ["", "", ""], "half": ["1", "2", ""]}).to_csv(tmp_path / "allocation.csv", index=False)
    cells = planned_cells(pack, tmp_path)
    assert cells["sessions_per_week"].tolist()[:3] == [0.5, 0.5, 1.0]  # then B, S, N from their job plans
    got = planned_vs_delivered(pack, review_period(pack), cells).set_index(
        ["clinician_id", "activity_id", "session_type"])["planned_sessions"]
    assert got[("A", "spa", "substantive")] == pytest.approx(3.0)
    assert got[("A", "2ww", "substantive")] == pytest.approx(3.0)


def test_planned_ratios_count_an_alternate_week_cell_as_half(pack: PlanningPack, tmp_path: Path) -> None:
    """``planned_dcc_ratio`` weights each cell by the session-weeks it supplies and ``dcc_spa_ratio`` counts
    PAs a week averaged over the clinician's working weeks, so an alternate-week cell (``week`` A, 21 of 42
    weeks) is half a session and half a PA, a 2-hour half half a session (NHS England, *Medical consultant
    job planning*, 2024: "7.5 DCC : 2.5 SPA" are PAs a week averaged over the year). A keeps a weekly SPA
    and adds one on week A: SPA 1.5 PAs a week. Consultants: DCC 2ww + mdt (A) + mdt + 2ww (B) = 4 PAs,
    SPA 1.5 -> 4 / 1.5 = 2.667 (was 4 / 2); DCC session-weeks 4 x 42 = 168 of 168 + 42 + 21 = 231 (was 252).
    With ``--plan`` the ratios read the agreed plan, as the planned sessions do."""
    extra = replace(next(c for c in pack.job_plans if (c.clinician_id, c.activity_id) == ("A", "spa")),
                    day="Thu", week="A", weeks_per_year=21.0)
    alt = pack.replace(job_plans=(*pack.job_plans, extra))
    detail, demand, _ = _review(alt)
    kpis = kpi_table(alt, review_period(alt), detail, demand).set_index(["kpi", "group"])["value"]
    assert kpis[("dcc_spa_ratio", "consultant")] == pytest.approx(4 / 1.5)
    assert kpis[("planned_dcc_ratio", "consultant")] == pytest.approx(168 / 231)
    # the agreed plan given with --plan: B alone, a Mon 2ww clinic and two 2-hour halves of SPA on Wed AM;
    # A, not in the plan, is planned by the job plan (session 17: a clinician missing from --plan keeps the
    # pack's job plan; before, A counted nothing): A 2ww + mdt 2 DCC PAs and 1 SPA, B 1 DCC and 2 x 0.5 SPA
    pd.DataFrame({"clinician_id": ["B", "B", "B"], "day": ["Mon", "Wed", "Wed"], "period": ["AM"] * 3,
                  "activity_id": ["2ww", "spa", "spa"], "pas": [1.0, 0.5, 0.5], "weeks_per_year": [42] * 3,
                  "week": [""] * 3, "half": ["", "1", "2"]}).to_csv(tmp_path / "allocation.csv", index=False)
    cells = planned_cells(pack, tmp_path)
    detail = planned_vs_delivered(pack, review_period(pack), cells)
    kpis = kpi_table(pack, review_period(pack), detail, demand, cells=cells).set_index(
        ["kpi", "group"])["value"]
    assert kpis[("dcc_spa_ratio", "consultant")] == pytest.approx((2 + 1) / (1 + 1))
    # DCC session-weeks: A 2 x 42, B 42; all: A 3 x 42, B 42 + 2 x 0.5 x 42
    assert kpis[("planned_dcc_ratio", "consultant")] == pytest.approx((84 + 42) / (126 + 84))


def test_demand_is_compared_over_the_weeks_the_referrals_reach(pack: PlanningPack) -> None:
    """Weeks after the extract's last referral are not yet reported, as months after the last month are not
    for a monthly pack (docs/method.md, "Expected against actual demand"): counted, they read as no
    referrals. Without the follow-up referral of 28 April the extract ends in week 2 (13 April), so the
    forecast of weeks 1-2 (2 x 8 = 16) is set against their 40 referrals (+150 %), not 4 weeks' 32 (+25 %).
    An extract that ends before the period compares nothing (the tiny pack's referrals end in January 2026:
    the review once reported its April referrals 100 % below the forecast)."""
    short = pack.replace(referrals=pack.referrals.loc[pack.referrals["referral_date"] < "2026-04-20"])
    _, demand, _ = _review(short)
    row = demand.set_index("activity_id").loc["2ww"]
    assert (row["expected_referrals"], row["actual_referrals"]) == (16.0, 40.0)
    assert row["demand_variance_pct"] == pytest.approx(150.0)
    assert row["compared_over"] == "weeks: 06 Apr 2026 to 19 Apr 2026 (2 of 4 weeks)"
    _, whole, _ = _review(pack)
    assert set(whole["compared_over"]) == {"weeks: 06 Apr 2026 to 03 May 2026 (4 of 4 weeks)"}
    before = pack.replace(referrals=pack.referrals.loc[pack.referrals["referral_date"] < "2026-04-06"])
    _, none, _ = _review(before)
    assert none.empty and "compared_over" in none.columns


def test_a_period_past_the_delivered_extract_says_so(pack: PlanningPack) -> None:
    """The extract's weeks are 6 April to 3 May 2026; a period to 17 May has 2 weeks without rows, planned
    in full and counted as nothing delivered (a week without rows is no delivery, capacity_planner.review.spc).
    The numbers stay so; the console and the page say it, with the --to that reviews the weeks to date."""
    from capacity_planner.review.html import console_summary, extract_note

    period = review_period(pack, dt.date(2026, 4, 6), dt.date(2026, 5, 17))
    assert (period.delivered_to, period.weeks, period.weeks_after_extract) == (dt.date(2026, 5, 3), 6, 2)
    note = extract_note(period)
    assert note == ("The delivered extract ends on 03 May 2026: the 2 weeks of the period after it count as "
                    "nothing delivered (for the weeks to date, end the period there: --to 2026-05-03).")
    _, _, review = _review(pack)
    assert all("Note:" not in line for line in console_summary(review_period(pack), review))
    assert f"  Note: {note}" in console_summary(period, review)
    assert extract_note(review_period(pack)) == ""
    from capacity_planner.review.html import render_review_html

    detail = planned_vs_delivered(pack, period, planned_cells(pack))
    kpis = kpi_table(pack, period, detail, demand_comparison(pack, period, pd.DataFrame(
        columns=["activity_id", "week_start", "mean"])))
    page = render_review_html("Tiny", period, review, kpis, pd.DataFrame(), 10.0)
    assert "The delivered extract ends on 03 May 2026" in page


def test_premium_spend_uses_the_one_price_list(pack: PlanningPack) -> None:
    """Premium spend prices locum and WLI sessions as the scenarios and the solver do
    (capacity_planner.pack.costs.session_rate: the consultant row, whole pounds). Sessions of a kind the
    costs table does not price leave the spend unknown (NaN) rather than a part of it shown as the whole:
    the tiny pack prices locum sessions only (£950), so 2 locum + 3 WLI sessions were once £1,900."""
    wli = pd.DataFrame({"clinician_id": ["L2"] * 3, "week_start": _weeks(3), "activity_id": ["2ww"] * 3,
                        "sessions": [1.0] * 3, "session_type": ["wli"] * 3})
    both = pack.replace(delivered=pd.concat([pack.delivered, wli], ignore_index=True))
    detail, demand, _ = _review(both)
    kpis = kpi_table(both, review_period(both), detail, demand).set_index(["kpi", "group"])["value"]
    assert kpis[("wli_sessions", "all")] == 3.0
    assert np.isnan(kpis[("premium_spend", "all")])


# ---- session 17 (helper A): clinicians missing from, or unknown to, a --plan allocation --------------------
def _allocation(pack: PlanningPack, folder: Path, clinicians: set[str]) -> Path:
    """A plan folder whose allocation.csv holds the job-plan cells of ``clinicians`` (as ``plan`` writes
    them: clinician_id, day, period, activity_id, pas, weeks_per_year)."""
    folder.mkdir()
    pd.DataFrame([(c.clinician_id, c.day, c.period, c.activity_id, 1.0, c.weeks_per_year)
                  for c in pack.job_plans if c.clinician_id in clinicians],
                 columns=["clinician_id", "day", "period", "activity_id", "pas", "weeks_per_year"]).to_csv(
        folder / "allocation.csv", index=False)
    return folder


def test_clinicians_missing_from_the_plan_are_reviewed_against_their_job_plans(
        tiny_path: Path, tmp_path: Path) -> None:
    """A --plan made before A, S and N joined (it names B alone): they were planned nothing, so whatever
    they delivered read as "3 of 0 sessions" (session 16 fuzz: "112 of 0 sessions"). They are reviewed
    against their job plans in the pack, with a note naming them on the console and on review.html: with
    B's plan being B's job plan, review.csv is the review without --plan, row for row."""
    from click.testing import CliRunner

    from capacity_planner.cli import cli

    plan = _allocation(read_pack(tiny_path), tmp_path / "plan", {"B"})
    runner = CliRunner()
    with_plan = runner.invoke(cli, ["review", str(tiny_path), "--plan", str(plan), "--out",
                                    str(tmp_path / "r"), "--no-charts"])
    assert with_plan.exit_code == 0, with_plan.output
    note = ("3 clinicians not in the --plan allocation (Dr Ada Ames, Dr Sam Shaw, Nia Nash) are reviewed "
            "against their job plans in the pack")
    assert f"Note: {note}" in with_plan.output
    assert note in (tmp_path / "r" / "review.html").read_text(encoding="utf-8")
    without = runner.invoke(cli, ["review", str(tiny_path), "--out", str(tmp_path / "r0"), "--no-charts"])
    assert without.exit_code == 0, without.output
    assert "not in the --plan allocation" not in without.output
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "r" / "review.csv"),
                                  pd.read_csv(tmp_path / "r0" / "review.csv"))
    anonymised = runner.invoke(cli, ["review", str(tiny_path), "--plan", str(plan), "--out",
                                     str(tmp_path / "ra"), "--no-charts", "--anonymise"])
    assert "(Clinician A, Clinician D, Clinician C)" in anonymised.output  # A, S, N; pseudonyms by sorted ID
    assert "Ada Ames" not in anonymised.output


def test_clinicians_of_the_plan_not_in_the_pack(tiny_path: Path, tmp_path: Path) -> None:
    """A plan naming a clinician the pack does not have is refused (exit 2, nothing written), naming the
    clinician and the way to review a leaver: kept in clinicians with active = false, whose planned cells
    are then reviewed (and who is not filled from the job plans, as ``plan`` plans no inactive clinician)."""
    from click.testing import CliRunner

    from capacity_planner.cli import cli

    pack = read_pack(tiny_path)
    plan = _allocation(pack, tmp_path / "plan", {"A", "B", "S", "N"})
    alloc = pd.read_csv(plan / "allocation.csv")
    pd.concat([alloc, alloc.iloc[[0]].assign(clinician_id="Z")]).to_csv(plan / "allocation.csv", index=False)
    result = CliRunner().invoke(cli, ["review", str(tiny_path), "--plan", str(plan), "--out", str(tmp_path / "r")])
    assert result.exit_code == 2, result.output
    assert "1 clinician(s) this pack does not have (Z)" in result.output and "active = false" in result.output
    assert not (tmp_path / "r").exists()
    # B has left: kept with active = false, B's planned cells are reviewed; not in the plan, B is not filled
    leaver = pack.replace(clinicians=tuple(replace(c, active=c.clinician_id != "B") for c in pack.clinicians))
    alloc.to_csv(plan / "allocation.csv", index=False)
    assert agreed_plan(leaver, plan).from_job_plans == ()
    detail = planned_vs_delivered(leaver, review_period(leaver), planned_cells(leaver, plan))
    assert detail.loc[detail["clinician_id"] == "B", "planned_sessions"].sum() > 0
    _allocation(pack, tmp_path / "plan2", {"A", "S", "N"})
    assert agreed_plan(leaver, tmp_path / "plan2").from_job_plans == ()
    assert set(planned_cells(leaver, tmp_path / "plan2")["clinician_id"]) == {"A", "S", "N"}


def test_allocation_cells_plan_never_writes_are_refused(tiny_path: Path, tmp_path: Path) -> None:
    """Session 17 fuzz of review --plan: weeks_per_year -5, 1e9 or inf gave negative, huge or infinite
    planned sessions (exit 0), text was read as every working week, a duplicated cell was counted twice
    (975.9 planned of 780) and a blank clinician was "a clinician this pack does not have ()". Each such
    cell is named by row and column (exit 2, nothing written); the plan's own allocation passes."""
    from click.testing import CliRunner

    from capacity_planner.cli import cli

    pack = read_pack(tiny_path)
    plan = _allocation(pack, tmp_path / "plan", {"A", "B", "S", "N"})
    good = pd.read_csv(plan / "allocation.csv", dtype=str, keep_default_na=False)
    assert len(good) == 7
    bad = good.assign(week="", half="")
    bad.loc[0, "weeks_per_year"] = "-5"
    bad.loc[1, "weeks_per_year"] = "1e9"
    bad.loc[2, "weeks_per_year"] = "inf"
    bad.loc[3, "weeks_per_year"] = "abc"
    bad.loc[4, "clinician_id"] = ""
    bad.loc[5, "half"] = "3"
    bad.loc[6, "week"] = "Z"
    bad = pd.concat([bad, bad.iloc[[0]]], ignore_index=True)  # row 9 repeats row 2's cell
    bad.to_csv(plan / "allocation.csv", index=False)
    result = CliRunner().invoke(cli, ["review", str(tiny_path), "--plan", str(plan), "--out", str(tmp_path / "r")])
    assert result.exit_code == 2, result.output
    out = result.output
    for row, col, value in ((2, "weeks_per_year", "-5"), (3, "weeks_per_year", "1e9"), (4, "weeks_per_year", "inf"),
                            (5, "weeks_per_year", "abc"), (7, "half", "3"), (8, "week", "Z")):
        assert f"allocation.csv (--plan), row {row}, column {col}: value '{value}': expected" in out, out
    assert "row 6, column clinician_id: required cell is blank" in out
    assert "row 9, column clinician_id + day + period + week + half" in out and "already on row 2" in out
    assert "does not have ()" not in out and not (tmp_path / "r").exists()
    good.to_csv(plan / "allocation.csv", index=False)
    ok = CliRunner().invoke(cli, ["review", str(tiny_path), "--plan", str(plan), "--out", str(tmp_path / "r")])
    assert ok.exit_code == 0, ok.output


def test_weeks_without_delivered_rows_are_noted(pack: PlanningPack) -> None:
    """Session 17 fuzz: one delivered row dated in the planning year's last week stretched the default
    period to 52 weeks, 38 of them without a row, read as nothing delivered ("764 of 3,600.9 planned,
    -78.8 %") without a word. The weeks with no row, within the extract, are said in a note (console and
    page); the fixture's four weeks all have rows, so it has none."""
    from capacity_planner.review import run_review
    from capacity_planner.review.html import review_notes

    assert run_review(pack).weeks_without_rows == ()
    assert review_notes(run_review(pack)) == []
    stray = pd.DataFrame({"clinician_id": ["A"], "week_start": [MON + pd.Timedelta(weeks=9)],
                          "activity_id": ["2ww"], "sessions": [1.0], "session_type": ["substantive"]})
    stretched = pack.replace(delivered=pd.concat([pack.delivered, stray], ignore_index=True))
    result = run_review(stretched)
    assert result.period.weeks == 10
    assert result.weeks_without_rows == tuple((MON + pd.Timedelta(weeks=w)).date() for w in range(4, 9))
    assert review_notes(result) == [
        "5 of the period's 10 weeks have no delivered rows (04 May 2026 to 07 Jun 2026): they count as nothing "
        "delivered. If the extract is incomplete there, choose the weeks it covers with --from/--to."]
    assert review_notes(run_review(stretched, date_to=dt.date(2026, 5, 3))) == []
