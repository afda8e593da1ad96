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
from capacity_planner.review.delivered import planned_cells, planned_vs_delivered, review_period
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
                {
                    "referral_date": [pd.Timestamp("2026-04-07"), pd.Timestamp("2026-04-14")],
                    "activity_id": ["2ww", "2ww"],
                    "priority": ["2ww", "2ww"],
                    "count": [20, 20],
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
    cells = planned_cells(pack, tmp_path)
    assert cells.to_dict("records") == [
        {"clinician_id": "B", "day": "Mon", "activity_id": "2ww", "sessions_per_week": 1.0,
         "weeks_per_year": 42.0}
    ]
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
    # B's contract default: 42 working weeks (module docstring)
    assert cells.to_dict("records") == [
        {"clinician_id": "NA", "day": "Mon", "activity_id": "2ww", "sessions_per_week": 1.0,
         "weeks_per_year": 42.0},
        {"clinician_id": "NA", "day": "Tue", "activity_id": "fu", "sessions_per_week": 1.0,
         "weeks_per_year": 42.0},
    ]
