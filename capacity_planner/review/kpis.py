r"""The quarterly review's tables: variance by level with flags and likely causes, and the KPIs.

KPIs (NHS England, *E-job planning the clinical workforce*, 2023, Appendix 5; *Medical consultant job
planning*, 2024, for DCC/SPA ratio and premium pay):

* ``active_job_plan_pct`` — share of clinicians whose job plan was signed off in the 12 months before
  the end of the review period: :math:`100 \times |\{c : 0 \le t_{end} - t^{signed}_c \le 365\}| / |C|`.
* ``planned_dcc_ratio`` — planned DCC sessions / all planned sessions, by staff group (sessions a year:
  each cell weighted by the session-weeks it supplies, its weeks a year x its sessions a week, so an
  alternate-week cell counts half the weeks and a 2-hour half half a session).
* ``dcc_spa_ratio`` — planned DCC PAs per SPA PA, by staff group (7.5 : 2.5 = 3.0), each cell's PAs a week
  averaged over the clinician's working weeks: ``pa_value`` x sessions a week x weeks a year / working
  weeks (the contract's PAs are averaged over the year).

Both read the agreed plan the review compares with (the ``--plan`` allocation, else the job plans:
:func:`~capacity_planner.review.delivered.planned_cells`).
* ``session_variance_pct`` — (delivered − planned) / planned × 100 over the period, by staff group.
* ``demand_variance_pct`` — (actual − expected referrals) / expected × 100 per activity; expected is the
  forecast mean made at plan time (history before the plan start only), both over the weeks of the period
  up to the week of the extract's last referral (:func:`reported_weeks`). For a monthly pack
  (``demand.frequency = "monthly"``) both are counted over the calendar months with at least half their
  days in the period (:func:`review_months`): actual = the referrals of those months, expected = the
  forecast's monthly means :math:`\mu_m` (monthly totals dated the 1st cannot be split into weeks).
* ``dna_rate_planned`` / ``dna_rate_actual`` — per activity; actual = dna / (attended + dna) in the period.
* ``locum_sessions``, ``wli_sessions`` and ``premium_spend`` — where the extract has session types, priced
  by the one price list (``costs`` session_cost, consultant row first, whole pounds); unknown when a kind
  delivered has no price.

Flags: a row is flagged when :math:`|\text{variance}| >` ``threshold_pct`` (default 10 %). Likely causes,
checked in this order, are rules of thumb a service lead would apply first:

1. under-delivery with hospital cancellations in the period above the rate assumed at plan time →
   "sessions lost to hospital cancellations";
2. other under-delivery → "unfilled sessions (vacancy, sickness or rota gaps)";
3. over-delivery → "extra sessions (additional lists or WLI)";
4. for activities, actual referrals above the forecast → "demand above forecast".
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from capacity_planner.demand.appointments import appointment_weights
from capacity_planner.demand.history import week_index
from capacity_planner.demand.monthly import days_in_month, month_index, month_of_weeks, month_start_of
from capacity_planner.review.delivered import ReviewPeriod, planned_cells, variance_pct

if TYPE_CHECKING:
    from capacity_planner.pack.model import PlanningPack

DEFAULT_THRESHOLD_PCT = 10.0

# kpi -> (plain words for the page, how its numerator and denominator read; "" when they are not shown).
# The one place a KPI's name is put into words (review.html); kpis.csv keeps the codes.
KPI_LABELS: dict[str, tuple[str, str]] = {
    "active_job_plan_pct": ("Job plans active (%)", "{n} of {d} clinicians signed off in the last 12 months"),
    "planned_dcc_ratio": ("Planned sessions that are direct clinical care (%)",
                          "{n} of {d} sessions a year"),
    "dcc_spa_ratio": ("DCC PAs per SPA PA", "{n} DCC PAs to {d} SPA PAs"),
    "session_variance_pct": ("Sessions delivered against planned (%)", "{n} delivered of {d} planned"),
    "demand_variance_pct": ("Referrals against the forecast (%)", "{n} referrals against {d} expected"),
    "dna_rate_planned": ("DNA rate assumed in the plan (%)", ""),
    "dna_rate_actual": ("DNA rate in the period (%)", "{n} DNAs of {d} booked"),
    "locum_sessions": ("Locum sessions", ""),
    "wli_sessions": ("Waiting-list-initiative (WLI) sessions", ""),
    "premium_spend": ("Premium spend on locum and WLI sessions (£)", ""),
}
REVIEW_COLUMNS = [
    "level",
    "clinician_id",
    "staff_group",
    "activity_id",
    "planned_sessions",
    "delivered_sessions",
    "variance_sessions",
    "variance_pct",
    "flagged",
    "likely_cause",
]


def _finish(frame: pd.DataFrame, level: str) -> pd.DataFrame:
    out = frame.copy()
    out["level"] = level
    for col in ("clinician_id", "staff_group", "activity_id"):
        if col not in out.columns:
            out[col] = ""
    out["variance_sessions"] = out["delivered_sessions"] - out["planned_sessions"]
    out["variance_pct"] = variance_pct(out["planned_sessions"], out["delivered_sessions"])
    return out


def review_table(
    detail: pd.DataFrame,
    demand: pd.DataFrame,
    hospital_cancellations: pd.DataFrame,
    threshold_pct: float = DEFAULT_THRESHOLD_PCT,
) -> pd.DataFrame:
    """``review.csv``: planned vs delivered by clinician × activity, activity, staff group and in total.

    Parameters
    ----------
    detail : DataFrame
        From :func:`~capacity_planner.review.delivered.planned_vs_delivered` (substantive rows only).
    demand : DataFrame
        activity_id, expected_referrals, actual_referrals (see :func:`demand_comparison`).
    hospital_cancellations : DataFrame
        activity_id, rate_planned, rate_actual.
    threshold_pct : float
        Absolute variance (%) above which a row is flagged.
    """
    subst = detail.loc[detail["session_type"] == "substantive"]
    keys = ["planned_sessions", "delivered_sessions"]
    parts = [
        _finish(subst[["clinician_id", "staff_group", "activity_id", *keys]], "clinician_activity"),
        _finish(subst.groupby(["clinician_id", "staff_group"], as_index=False)[keys].sum(), "clinician"),
        _finish(subst.groupby("activity_id", as_index=False)[keys].sum(), "activity"),
        _finish(subst.groupby("staff_group", as_index=False)[keys].sum(), "staff_group"),
        _finish(subst[keys].sum().to_frame().T.assign(staff_group="all"), "total"),
    ]
    out = pd.concat(parts, ignore_index=True)
    out["flagged"] = (out["variance_pct"].abs() > threshold_pct).fillna(False) | (
        (out["planned_sessions"] == 0) & (out["delivered_sessions"] > 0)
    )
    cancel = hospital_cancellations.set_index("activity_id")
    demand_idx = demand.set_index("activity_id") if len(demand) else pd.DataFrame()
    causes = []
    for row in out.itertuples(index=False):
        causes.append(_likely_cause(row, cancel, demand_idx, threshold_pct) if row.flagged else "")
    out["likely_cause"] = causes
    return out[REVIEW_COLUMNS]


def _likely_cause(row: Any, cancel: pd.DataFrame, demand: pd.DataFrame, threshold_pct: float) -> str:
    activity = getattr(row, "activity_id", "")
    variance = row.variance_pct
    reasons = []
    if np.isnan(variance) or variance > 0:
        reasons.append("extra sessions (additional lists or WLI)")
    else:
        rate_actual: dict[Any, float] = cancel["rate_actual"].to_dict()
        rate_planned: dict[Any, float] = cancel["rate_planned"].to_dict()
        lost = activity in rate_actual and rate_actual[activity] > rate_planned[activity] + 0.01
        if lost:
            r = cancel.loc[activity]
            reasons.append(
                f"sessions lost to hospital cancellations ({r['rate_actual']:.0%} of bookings "
                f"cancelled by the hospital against {r['rate_planned']:.0%} planned)"
            )
        else:
            reasons.append("unfilled sessions (vacancy, sickness or rota gaps)")
    if activity and activity in demand.index:
        d = demand.loc[activity]
        if d["demand_variance_pct"] > threshold_pct:
            reasons.append(
                f"demand above forecast ({d['actual_referrals']:.0f} referrals against "
                f"{d['expected_referrals']:.0f} expected)"
            )
    return "; ".join(reasons)


def hospital_cancellation_rates(pack: PlanningPack, period: ReviewPeriod) -> pd.DataFrame:
    """Hospital-cancellation share of booked appointments, before the plan start and in the period."""
    appts = pack.appointments
    if len(appts) == 0:
        return pd.DataFrame(columns=["activity_id", "rate_planned", "rate_actual"])
    start = pd.Timestamp(pack.plan_start)
    in_period = period.contains(
        appts["appointment_date"] - pd.to_timedelta(appts["appointment_date"].dt.day_of_week, unit="D")
    )
    weight = pd.Series(appointment_weights(appts), index=appts.index)  # the optional count column
    is_cancel = appts["outcome"].eq("cancelled_hospital") * weight

    def rate(mask: pd.Series) -> pd.Series:
        by = appts.loc[mask, "activity_id"]
        return is_cancel[mask].groupby(by).sum() / weight[mask].groupby(by).sum()

    out = pd.DataFrame(
        {"rate_planned": rate(appts["appointment_date"] < start), "rate_actual": rate(in_period)}
    )
    return out.fillna(0.0).rename_axis("activity_id").reset_index()


def demand_comparison(
    pack: PlanningPack, period: ReviewPeriod, expected_weekly: pd.DataFrame
) -> pd.DataFrame:
    """Actual referrals in the period against the forecast made at plan time, for the activities that
    receive referrals (follow-up clinics see derived demand, compared through their sessions instead).

    Parameters
    ----------
    expected_weekly : DataFrame
        activity_id, week_start, mean (forecast mean referrals a week), as produced by the demand pipeline
        on history before the plan start.
    """
    if pack.settings.frequency == "monthly":
        return _monthly_demand_comparison(pack, period, expected_weekly)
    ref = pack.referrals
    week = ref["referral_date"] - pd.to_timedelta(ref["referral_date"].dt.day_of_week, unit="D")
    compared = reported_weeks(period, week.max() if len(ref) else None)
    in_weeks = compared.contains(week) if compared is not None else pd.Series(False, index=ref.index)
    actual = ref.loc[in_weeks].groupby("activity_id")["count"].sum()
    # Only referral-driven activities: a follow-up clinic's forecast is derived demand, not referrals.
    referred = set(ref.loc[ref["referral_date"] < pd.Timestamp(pack.plan_start), "activity_id"].unique())
    exp = (expected_weekly.loc[compared.contains(expected_weekly["week_start"])] if compared is not None
           else expected_weekly.iloc[:0])
    exp = exp.loc[exp["activity_id"].isin(referred)]
    expected = exp.groupby("activity_id")["mean"].sum()
    out = pd.DataFrame({"expected_referrals": expected, "actual_referrals": actual}).fillna(0.0)
    out = out.loc[out["expected_referrals"] + out["actual_referrals"] > 0]
    out["demand_variance_pct"] = variance_pct(out["expected_referrals"], out["actual_referrals"])
    out["compared_over"] = ("" if compared is None else f"weeks: {compared.start:%d %b %Y} to "
                            f"{compared.end:%d %b %Y} ({compared.weeks} of {period.weeks} weeks)")
    return out.rename_axis("activity_id").reset_index()


def reported_weeks(period: ReviewPeriod, last_week: pd.Timestamp | None) -> ReviewPeriod | None:
    """The weeks of ``period`` a weekly referrals extract reaches: up to the week of its last referral
    (``last_week``, a Monday), any activity; None when it ends before the period. Weeks after the last
    referral are not yet reported, as months after the last month are not for a monthly pack
    (:func:`_monthly_demand_comparison`): counted, they would read as no referrals at all.

    Examples
    --------
    >>> q1 = ReviewPeriod(dt.date(2027, 4, 5), dt.date(2027, 7, 4))
    >>> reported_weeks(q1, pd.Timestamp("2027-05-24")).end, reported_weeks(q1, pd.Timestamp("2027-09-06")).end
    (datetime.date(2027, 5, 30), datetime.date(2027, 7, 4))
    >>> reported_weeks(q1, pd.Timestamp("2027-03-29")) is None
    True
    """
    if last_week is None or pd.isna(last_week) or last_week.date() < period.start:
        return None
    return ReviewPeriod(period.start, min(period.end, last_week.date() + dt.timedelta(days=6)))


def review_months(period: ReviewPeriod) -> list[int]:
    """Calendar months (indices of :func:`~capacity_planner.demand.monthly.month_index`) with at least half
    their days inside ``period``: the months a monthly pack's demand is compared over.

    Examples
    --------
    >>> from capacity_planner.demand.monthly import month_start_of
    >>> months = review_months(ReviewPeriod(dt.date(2027, 4, 5), dt.date(2027, 7, 4)))
    >>> [f"{m:%b}" for m in month_start_of(np.array(months))]  # April 26 of 30 days; July 4 of 31
    ['Apr', 'May', 'Jun']
    """
    days = pd.date_range(period.start, period.end, freq="D")
    months, inside = np.unique(month_index(days), return_counts=True)
    return [int(m) for m, k in zip(months, inside, strict=True) if 2 * k >= days_in_month(int(m))[0]]


def _monthly_demand_comparison(
    pack: PlanningPack, period: ReviewPeriod, expected_weekly: pd.DataFrame
) -> pd.DataFrame:
    r""":func:`demand_comparison` for a monthly pack, over :func:`review_months` that the referrals extract
    reaches (months after its last referral month are not yet reported). The forecast's week of month
    :math:`m` has mean :math:`7\mu_m/d_m` (docs/method.md, "Monthly histories"), so
    :math:`\mu_m` = that mean × :math:`d_m/7`."""
    ref = pack.referrals
    ref_month = month_index(ref["referral_date"])
    last_reported = int(ref_month.max()) if len(ref) else -1
    months = [m for m in review_months(period) if m <= last_reported]
    in_months = np.isin(ref_month, months)
    actual = ref.loc[in_months].groupby("activity_id")["count"].sum()
    referred = set(ref.loc[ref["referral_date"] < pd.Timestamp(pack.plan_start), "activity_id"].unique())
    exp = expected_weekly.loc[expected_weekly["activity_id"].isin(referred)].copy()
    exp["month"] = month_of_weeks(week_index(exp["week_start"])) if len(exp) else np.array([], np.int64)
    exp = exp.loc[exp["month"].isin(months)].drop_duplicates(["activity_id", "month"])
    exp["mu"] = exp["mean"] * days_in_month(exp["month"].to_numpy(np.int64)) / 7.0
    expected = exp.groupby("activity_id")["mu"].sum()
    out = pd.DataFrame({"expected_referrals": expected, "actual_referrals": actual}).fillna(0.0)
    out = out.loc[out["expected_referrals"] + out["actual_referrals"] > 0]
    out["demand_variance_pct"] = variance_pct(out["expected_referrals"], out["actual_referrals"])
    label = ", ".join(f"{d:%B %Y}" for d in month_start_of(np.array(months, dtype=np.int64)))
    out["compared_over"] = f"calendar months: {label}" if months else "no whole month in the period"
    return out.rename_axis("activity_id").reset_index()


def kpi_table(
    pack: PlanningPack,
    period: ReviewPeriod,
    detail: pd.DataFrame,
    demand: pd.DataFrame,
    requirements: pd.DataFrame | None = None,
    cells: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``kpis.csv``: kpi, group, value, unit, numerator, denominator (long format).

    ``cells`` is the agreed plan (:func:`~capacity_planner.review.delivered.planned_cells`, the one the
    planned sessions of ``detail`` come from); default: the pack's job plans."""
    rows: list[tuple[Any, ...]] = []
    end = period.end
    staff = pd.DataFrame(
        [(c.clinician_id, c.staff_group, c.signed_off, c.active) for c in pack.clinicians],
        columns=["clinician_id", "staff_group", "signed_off", "active"],
    )
    staff = staff.loc[staff["active"]]

    def active_plan(s: pd.Series) -> bool:
        return s is not None and isinstance(s, dt.date) and 0 <= (end - s).days <= 365

    staff["active_plan"] = staff["signed_off"].map(active_plan)
    for group, g in [*staff.groupby("staff_group"), ("all", staff)]:
        n, k = len(g), int(g["active_plan"].sum())
        rows.append(("active_job_plan_pct", str(group), 100.0 * k / n if n else np.nan, "%", k, n))

    cat = {a.activity_id: a.category for a in pack.activities}
    pa_value = {a.activity_id: a.pa_value for a in pack.activities}
    group_of = staff.set_index("clinician_id")["staff_group"]
    working = {c.clinician_id: c.working_weeks for c in pack.clinicians}
    cells = (planned_cells(pack) if cells is None else cells).copy()
    cells["staff_group"] = cells["clinician_id"].map(group_of)
    cells["category"] = cells["activity_id"].map(cat)
    session_weeks = cells["sessions_per_week"].astype(float) * cells["weeks_per_year"].astype(float)
    cells["session_weeks"] = session_weeks
    cells["pas"] = cells["activity_id"].map(pa_value) * session_weeks / cells["clinician_id"].map(working)
    for group, g in [*cells.groupby("staff_group"), ("all", cells)]:
        total = float(g["session_weeks"].sum())
        dcc = float(g.loc[g["category"] == "DCC", "session_weeks"].sum())
        rows.append(("planned_dcc_ratio", str(group), dcc / total if total else np.nan, "ratio", dcc, total))
        dcc_pa = float(g.loc[g["category"] == "DCC", "pas"].sum())
        spa_pa = float(g.loc[g["category"] == "SPA", "pas"].sum())
        rows.append(
            (
                "dcc_spa_ratio",
                str(group),
                dcc_pa / spa_pa if spa_pa else np.nan,
                "DCC PAs per SPA PA",
                dcc_pa,
                spa_pa,
            )
        )

    subst = detail.loc[detail["session_type"] == "substantive"]
    for group, g in [*subst.groupby("staff_group"), ("all", subst)]:
        p, d = float(g["planned_sessions"].sum()), float(g["delivered_sessions"].sum())
        rows.append(("session_variance_pct", str(group), variance_pct(p, d), "%", d, p))

    for r in demand.itertuples(index=False):
        rows.append(
            (
                "demand_variance_pct",
                r.activity_id,
                r.demand_variance_pct,
                "%",
                r.actual_referrals,
                r.expected_referrals,
            )
        )
    _dna_rows(pack, period, requirements, rows)
    _premium_rows(pack, detail, rows)
    return pd.DataFrame(rows, columns=["kpi", "group", "value", "unit", "numerator", "denominator"])


def _dna_rows(
    pack: PlanningPack,
    period: ReviewPeriod,
    requirements: pd.DataFrame | None,
    rows: list[tuple[Any, ...]],
) -> None:
    appts = pack.appointments
    if len(appts) == 0:
        return
    week = appts["appointment_date"] - pd.to_timedelta(appts["appointment_date"].dt.day_of_week, unit="D")
    seen = appts.loc[period.contains(week) & appts["outcome"].isin(["attended", "dna"])]
    weight = pd.Series(appointment_weights(seen), index=seen.index)  # the optional count column
    counts = pd.DataFrame({"dna": weight.where(seen["outcome"].eq("dna"), 0.0), "booked": weight}).groupby(
        seen["activity_id"]).sum()
    planned = (
        {}
        if requirements is None
        else dict(zip(requirements["activity_id"], requirements["dna_rate"], strict=True))
    )
    for activity, r in counts.iterrows():
        if activity in planned and pd.notna(planned[activity]):
            rows.append(
                ("dna_rate_planned", str(activity), float(planned[activity]), "share", np.nan, np.nan)
            )
        rows.append(
            (
                "dna_rate_actual",
                str(activity),
                r["dna"] / r["booked"] if r["booked"] else np.nan,
                "share",
                float(r["dna"]),
                float(r["booked"]),
            )
        )


def _premium_rows(pack: PlanningPack, detail: pd.DataFrame, rows: list[tuple[Any, ...]]) -> None:
    """Locum and WLI sessions delivered, and their spend priced by the one price list
    (:func:`capacity_planner.pack.costs.session_rate`: the consultant row, else the first, in whole pounds,
    as the scenarios and the solver price them). The spend is unknown (NaN) when sessions of a kind the
    costs table does not price were delivered: a part of it would read as the whole."""
    from capacity_planner.pack.costs import session_rate

    bought = detail.loc[detail["session_type"].isin(["locum", "wli"])]
    spend_total = 0.0
    priced = False
    for kind in ("locum", "wli"):
        n = float(bought.loc[bought["session_type"] == kind, "delivered_sessions"].sum())
        rows.append((f"{kind}_sessions", "all", n, "sessions", n, np.nan))
        rate = session_rate(pack, kind)
        if rate is not None:
            spend_total += n * rate.value
            priced = True
        elif n > 0:
            spend_total = np.nan
    if len(bought) and priced:
        rows.append(("premium_spend", "all", spend_total, "GBP", spend_total, np.nan))
