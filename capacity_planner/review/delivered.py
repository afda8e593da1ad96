r"""Planned against delivered sessions over a review period, allowing for leave.

The agreed plan is a weekly timetable; clinicians do not work every week of the year. Over a period of
:math:`W` weeks, the sessions a clinician :math:`c` was planned to deliver in activity :math:`a` are

.. math::

    P_{c,a} = \sum_{\text{cells } k \text{ of } c \text{ in } a} \frac{w_k}{52} \, W
    \qquad \text{(no leave rows: leave assumed spread evenly over the year)}

    P_{c,a} = \sum_{k} \frac{w_k}{\omega_c} \, (W - L_c)
    \qquad \text{(the extract has leave rows for } c\text{)}

where :math:`w_k` is the cell's ``weeks_per_year`` (default: the clinician's working weeks
:math:`\omega_c`) and :math:`L_c` the weeks of leave recorded for :math:`c` in the period. Those are the
formulas of ``planning.weekday_true_supply = false`` (the even-spread convention). By default the review
expects what the plan's supply counts (weekday-true, issue 19): a cell on day :math:`d` is planned

.. math::

    P_k = \frac{w_k}{\omega_c} \Big( \sum_{\text{weeks } j} [d_j \notin \text{bank holidays}]
          (1 - f_{cj}) - \rho_c \Big)

sessions, with :math:`f_{cj}` the share of week :math:`j` on leave in the ``leave`` rows and
:math:`\rho_c` the contract's leave :math:`(52 - 8/5 - \omega_c) W / 52` spread over the period when
:math:`c` has no leave rows (0 when the rows are the period's leave)
(:func:`capacity_planner.calendar.weekday_weeks`). A Monday clinic of 42 working weeks in a 4-week
period holding Easter Monday is planned :math:`3 - 8.4 \times 4/52 \approx 2.354` sessions, a Wednesday
one 3.354. So a consultant
with 42 working weeks and one weekly clinic is planned :math:`42/52 \times 13 = 10.5` clinics in a
13-week quarter, or exactly 11 if the extract shows 2 weeks' leave. Delivered sessions :math:`D_{c,a}`
are the e-roster rows in the period. Variance :math:`= (D - P)/P \times 100\,\%` (Appendix 5 of
*E-job planning the clinical workforce*, NHS England 2023: "percentage variance between planned and
delivered sessions").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from capacity_planner._csv import read_text_csv
from capacity_planner.errors import PackValidationError, Problem

if TYPE_CHECKING:
    from capacity_planner.pack.model import PlanningPack


@dataclass(frozen=True)
class ReviewPeriod:
    """Whole weeks from the Monday ``start`` to the Sunday ``end`` (inclusive); ``delivered_to`` is the
    Sunday of the delivered extract's last week (None when not known)."""

    start: dt.date
    end: dt.date
    delivered_to: dt.date | None = None

    @property
    def weeks_after_extract(self) -> int:
        """Weeks of the period after the delivered extract's last week: planned in full but with no rows,
        so they count as nothing delivered (a week without rows is read as no delivery)."""
        if self.delivered_to is None or self.delivered_to >= self.end:
            return 0
        return min(self.weeks, ((self.end - self.delivered_to).days) // 7)

    @property
    def weeks(self) -> int:
        """Number of weeks in the period."""
        return ((self.end - self.start).days + 1) // 7

    def contains(self, week_start: pd.Series) -> pd.Series:
        """Mask of week starts inside the period."""
        return (week_start >= pd.Timestamp(self.start)) & (week_start <= pd.Timestamp(self.end))


def review_period(
    pack: PlanningPack, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> ReviewPeriod:
    """The review period: ``date_from``..``date_to`` snapped to whole Monday-Sunday weeks; by default the
    weeks covered by the delivered extract.

    Raises
    ------
    PackValidationError
        When there is no delivered extract (or its table has a header only: session 17, a review of nothing
        delivered is refused rather than shown as 0 % of the plan), the dates are reversed, or the period
        has no delivered rows.
    """
    problems = []
    if len(pack.delivered) == 0:  # a review of nothing delivered would read as 0 % of the plan delivered
        header_only = [w.source for w in pack.warnings
                       if "delivered" in w.source and w.message.startswith("the table has a header but no")]
        raise PackValidationError([
            Problem(header_only[0], "the table has a header but no rows: the review needs the delivered "
                    "(e-roster) sessions of the period, one row per clinician, week_start (a Monday), "
                    "activity_id and sessions; export them for the weeks to review") if header_only else
            Problem("delivered",
                    "the review needs a delivered (e-roster) extract: "
                    "a delivered table with clinician_id, week_start, activity_id, "
                    "sessions")])
    weeks = pack.delivered["week_start"]
    first = date_from or weeks.min().date()
    last = date_to or (weeks.max() + pd.Timedelta(days=6)).date()
    start = first - dt.timedelta(days=first.weekday())
    end = last + dt.timedelta(days=6 - last.weekday())
    if end < start:  # a date the user did not give is named as the default it is
        shown_last = f"{last}" + ("" if date_to else ", the delivered extract's last week: the default --to")
        shown_first = f"{first}" + ("" if date_from else
                                    ", the delivered extract's first week: the default --from")
        problems.append(Problem("--from/--to",
                                f"the period ends ({shown_last}) before it starts ({shown_first})"))
    plan_start = pack.plan_start
    plan_end = plan_start + dt.timedelta(weeks=52) - dt.timedelta(days=1)
    if start < plan_start or end > plan_end:
        problems.append(
            Problem(
                "--from/--to",
                f"the period {start} to {end} is not inside the planning year ({plan_start} to {plan_end})",
            )
        )
    period = ReviewPeriod(start, end, (weeks.max() + pd.Timedelta(days=6)).date())
    if not problems and not period.contains(weeks).any():
        problems.append(
            Problem(
                "delivered",
                f"no delivered rows in the period {start} to {end}; the extract "
                f"covers {weeks.min().date()} to {(weeks.max() + pd.Timedelta(days=6)).date()}",
            )
        )
    if problems:
        raise PackValidationError(problems)
    return period


@dataclass(frozen=True, eq=False)
class AgreedPlan:
    """The plan a review compares delivery with: ``cells`` (:func:`planned_cells`) and ``from_job_plans``,
    the active clinicians of the pack that a ``--plan`` allocation does not name, whose cells are their job
    plans in the pack (a new starter who joined after the plan was made; empty without ``--plan``)."""

    cells: pd.DataFrame
    from_job_plans: tuple[str, ...] = ()


def _job_plan_cells(pack: PlanningPack, clinician_ids: set[str] | None = None) -> pd.DataFrame:
    """The pack's job plans as cells (all clinicians, or only ``clinician_ids``)."""
    return pd.DataFrame(
        [(c.clinician_id, c.day, c.activity_id, 0.5 if c.half else 1.0, c.weeks_per_year)
         for c in pack.job_plans if clinician_ids is None or c.clinician_id in clinician_ids],
        columns=["clinician_id", "day", "activity_id", "sessions_per_week", "weeks_per_year"],
    )


def agreed_plan(pack: PlanningPack, plan_dir: Path | None = None) -> AgreedPlan:
    """The agreed plan as cells: clinician_id, day, activity_id, sessions_per_week, weeks_per_year.

    From the pack's job plans, or from a ``plan`` output folder's ``allocation.csv`` (each cell runs its
    ``weeks_per_year``, else every working week of its clinician). A 2-hour half of a slot (``half`` 1 or
    2: SPA or admin every week) is half a session a week: it "counts half the session's PAs"
    (docs/data-pack.md, job_plans ``half``) and supplies half the session-weeks of a whole cell, as the
    plan counts it (:mod:`capacity_planner.solver.alternate`); an alternate-week cell (``week`` A or B) is
    a whole session on ``weeks_per_year`` = half the working weeks.

    An active clinician of the pack whom the allocation does not name (a new starter who joined after the
    plan was made, or a plan of a pack with fewer clinicians) is reviewed against their job plan in the
    pack, as without ``--plan``, and listed in ``from_job_plans`` so the review can say so; the plan's
    sessions of everyone else are kept. (Before session 17 such a clinician was planned nothing, and their
    delivered sessions read as "112 of 0 sessions".) Inactive clinicians are not planned by ``plan``
    (:mod:`capacity_planner.solver.problem`), so their absence from a plan is expected and not filled.
    """
    weeks = {c.clinician_id: c.working_weeks for c in pack.clinicians}
    if plan_dir is None:
        return AgreedPlan(_job_plan_cells(pack))
    path = Path(plan_dir) / "allocation.csv"
    if not path.exists():
        raise PackValidationError(
            [Problem(str(path), "not found: --plan must be a folder written by capacity-planner plan")]
        )
    alloc = plan_of_this_pack(pack, read_text_csv(path), path)
    if "day" not in alloc.columns:
        alloc = alloc.assign(day="")
    halves = (alloc["half"].fillna("").astype(str).str.removesuffix(".0").isin(["1", "2"])
              if "half" in alloc.columns else pd.Series(False, index=alloc.index))
    cells = alloc.assign(sessions_per_week=np.where(halves, 0.5, 1.0))[
        ["clinician_id", "day", "activity_id", "sessions_per_week"]]
    cells["weeks_per_year"] = cells["clinician_id"].map(weeks).astype(float)
    if "weeks_per_year" in alloc.columns:  # kept part-year and alternate-week (week A/B) cells
        cells["weeks_per_year"] = pd.to_numeric(alloc["weeks_per_year"], errors="coerce").fillna(
            cells["weeks_per_year"]).to_numpy()
    named = set(cells["clinician_id"])
    missing = tuple(c.clinician_id for c in pack.clinicians if c.active and c.clinician_id not in named)
    added = _job_plan_cells(pack, set(missing))
    if len(added):
        cells = pd.concat([cells, added], ignore_index=True)
    return AgreedPlan(cells.reset_index(drop=True), missing)


def weeks_without_rows(pack: PlanningPack, period: ReviewPeriod) -> tuple[dt.date, ...]:
    """The Mondays of the period, up to the delivered extract's last week, on which no delivered row falls:
    the review counts them as nothing delivered, which is right for a week nobody worked and wrong for a
    gap in the extract (session 17 fuzz: one row dated in the planning year's last week stretched the
    default period to 52 weeks, 38 of them empty: "764 of 3,600.9 planned, -78.8 %"). Weeks after the
    extract are :attr:`ReviewPeriod.weeks_after_extract`."""
    last = period.end if period.delivered_to is None else min(period.end, period.delivered_to)
    mondays = pd.date_range(pd.Timestamp(period.start), pd.Timestamp(last), freq="7D")
    seen = set(pd.to_datetime(pack.delivered["week_start"]))
    return tuple(m.date() for m in mondays if m not in seen)


def planned_cells(pack: PlanningPack, plan_dir: Path | None = None) -> pd.DataFrame:
    """The cells of :func:`agreed_plan` (clinician_id, day, activity_id, sessions_per_week,
    weeks_per_year): the pack's job plans, or a ``plan`` folder's allocation with the job plans of the
    active clinicians it does not name."""
    return agreed_plan(pack, plan_dir).cells


def plan_of_this_pack(pack: PlanningPack, alloc: pd.DataFrame, path: Path) -> pd.DataFrame:
    """``allocation.csv`` of ``review --plan`` with the pack's clinician IDs, after checking that the plan
    was made from this pack: its clinicians are the pack's (or, for an anonymised plan, the pseudonyms
    this pack's clinicians get, which are mapped back) and its activities are the pack's.

    Raises
    ------
    PackValidationError
        When the plan names clinicians or activities the pack does not have, or has no sessions; a plan
        of another pack would otherwise be reviewed as "delivered of 0 planned".
    """
    from capacity_planner.report.anonymise import Pseudonyms

    source = f"{path} (--plan)"
    missing = [c for c in ("clinician_id", "activity_id") if c not in alloc.columns]
    if missing:
        raise PackValidationError([Problem(source, "not an allocation written by capacity-planner plan: no "
                                           "column " + ", ".join(missing), row=1)])
    if alloc.empty:
        raise PackValidationError([Problem(source, "the plan has no sessions: choose the folder of a "
                                           "finished plan")])
    ids = set(pack.clinician_ids)
    named = set(alloc["clinician_id"])
    pseudonyms = Pseudonyms.from_pack(pack)
    if not named <= ids and named <= pseudonyms.values:
        back = {v: k for k, v in pseudonyms.mapping.items()}
        alloc = alloc.assign(clinician_id=alloc["clinician_id"].map(back))
        named = set(alloc["clinician_id"])
    problems = allocation_cell_problems(alloc, source)
    strangers = sorted(named - ids - {""})
    if strangers:
        problems.append(Problem(source, f"the plan names {len(strangers)} clinician(s) this pack does not "
                                "have (" + ", ".join(strangers[:5]) + (", ..." if len(strangers) > 5 else "")
                                + "): it was made from another pack, or they have left the clinicians "
                                "table since; give the plan made from this pack (keep a leaver in "
                                "clinicians with active = false to review their planned sessions)",
                                column="clinician_id"))
    unknown = sorted(set(alloc["activity_id"]) - {a.activity_id for a in pack.activities} - {""})
    if unknown:
        problems.append(Problem(source, f"the plan names {len(unknown)} activit(y/ies) this pack does not "
                                "have (" + ", ".join(unknown[:5]) + (", ..." if len(unknown) > 5 else "")
                                + "): it was made from another pack", column="activity_id"))
    if problems:
        raise PackValidationError(problems, subject="the plan given with --plan")
    return alloc


_SHOWN_ROWS = 5  # rows named per kind of problem in a --plan allocation; the rest are counted


def _rows_problems(source: str, alloc: pd.DataFrame, mask: pd.Series, column: str,
                   message: str) -> list[Problem]:
    """One problem per row where ``mask`` holds (the first :data:`_SHOWN_ROWS`), then a count of the rest;
    rows as the user sees them in the file (header = row 1)."""
    hits = np.flatnonzero(mask.to_numpy(dtype=bool))
    out = [Problem(source, message, row=int(i) + 2, column=column,
                   value=None if alloc[column].iloc[i] == "" else str(alloc[column].iloc[i]))
           for i in hits[:_SHOWN_ROWS]]
    if len(hits) > _SHOWN_ROWS:
        out.append(Problem(source, f"… and {len(hits) - _SHOWN_ROWS} more rows with the same problem "
                                   f"({message})", column=column))
    return out


def allocation_cell_problems(alloc: pd.DataFrame, source: str) -> list[Problem]:
    """Cells of a ``--plan`` allocation.csv (read as text) that ``plan`` never writes and that would make the
    planned sessions wrong (session 17 fuzz of ``review``): a blank clinician_id or activity_id; a
    ``weeks_per_year`` that is not a number from 0 to 52 (a cell runs at most every week of the year; -5,
    1e9 and inf gave negative, huge and infinite planned sessions, and text was read as every working
    week); a ``week`` other than A or B and a ``half`` other than 1 or 2 (blank: every week, the whole
    slot); and a cell twice (the same clinician, day, period, week and half: counted twice)."""
    problems = []
    for col in ("clinician_id", "activity_id"):
        problems += _rows_problems(source, alloc, alloc[col].astype(str).str.strip() == "", col,
                                   "required cell is blank")
    if "weeks_per_year" in alloc.columns:
        text = alloc["weeks_per_year"].astype(str).str.strip()
        weeks = pd.to_numeric(text.where(text != ""), errors="coerce")
        bad = (text != "") & ~(weeks.between(0, 52) & np.isfinite(weeks))
        problems += _rows_problems(source, alloc, bad, "weeks_per_year",
                                   "expected a number of weeks from 0 to 52 (or blank: every working week)")
    for col, allowed, words in (("week", {"", "A", "B"}, "A, B or blank (every week)"),
                                ("half", {"", "1", "2"}, "1, 2 or blank (the whole slot)")):
        if col in alloc.columns:
            text = alloc[col].astype(str).str.strip().str.removesuffix(".0")
            problems += _rows_problems(source, alloc, ~text.isin(allowed), col, f"expected {words}")
    key = [c for c in ("clinician_id", "day", "period", "week", "half") if c in alloc.columns]
    if {"day", "period"} <= set(key):
        cells = list(alloc[key].astype(str).itertuples(index=False, name=None))
        first: dict[tuple[str, ...], int] = {}
        twice = []
        for i, cell in enumerate(cells):
            if cell in first:
                twice.append(Problem(source, f"the same cell ({' + '.join(key)}) is already on row "
                                     f"{first[cell] + 2}: a clinician has one session a slot, so it would be "
                                     "counted twice", row=i + 2, column=" + ".join(key),
                                     value=", ".join(cell)))
            else:
                first[cell] = i
        problems += twice[:_SHOWN_ROWS]
        if len(twice) > _SHOWN_ROWS:
            problems.append(Problem(source, f"… and {len(twice) - _SHOWN_ROWS} more rows with the same "
                                    "problem (a cell already on an earlier row)", column=" + ".join(key)))
    return problems


def planned_vs_delivered(pack: PlanningPack, period: ReviewPeriod, cells: pd.DataFrame) -> pd.DataFrame:
    """Planned and delivered sessions per clinician and activity over ``period``.

    Returns
    -------
    DataFrame
        clinician_id, staff_group, activity_id, category, planned_sessions, delivered_sessions,
        leave_weeks, planned_basis (``working weeks`` or ``leave rows``), session_type.
    """
    clinicians = pd.DataFrame(
        [(c.clinician_id, c.staff_group, c.working_weeks) for c in pack.clinicians],
        columns=["clinician_id", "staff_group", "working_weeks"],
    )
    leave = pack.leave.loc[period.contains(pack.leave["week_start"])] if len(pack.leave) else pack.leave
    leave_weeks = leave.groupby("clinician_id")["weeks"].sum() if len(leave) else pd.Series(dtype=float)
    has_leave_rows = set(pack.leave["clinician_id"]) if len(pack.leave) else set()

    plan = cells.merge(clinicians, on="clinician_id", how="left")
    recorded = plan["clinician_id"].isin(has_leave_rows).to_numpy()
    weeks_worked = period.weeks - plan["clinician_id"].map(leave_weeks).fillna(0.0).to_numpy()
    share = plan["weeks_per_year"].to_numpy(dtype=float)
    per_cell = np.where(
        recorded,
        share / plan["working_weeks"].to_numpy(dtype=float) * weeks_worked,
        share / 52.0 * period.weeks,
    )
    if pack.settings.weekday_true_supply and "day" in plan.columns:
        per_cell = _weekday_planned(pack, period, plan, per_cell, has_leave_rows)
    plan["planned_sessions"] = plan["sessions_per_week"].to_numpy(dtype=float) * per_cell
    planned = plan.groupby(["clinician_id", "activity_id"], as_index=False)["planned_sessions"].sum()

    rows = pack.delivered.loc[period.contains(pack.delivered["week_start"])]
    delivered = (
        rows.rename(columns={"sessions": "delivered_sessions"})
        .groupby(["clinician_id", "activity_id", "session_type"], as_index=False)[["delivered_sessions"]]
        .sum()
    )
    substantive = delivered.loc[delivered["session_type"].isin(["substantive", "additional"])]
    substantive = substantive.groupby(["clinician_id", "activity_id"], as_index=False)[
        ["delivered_sessions"]
    ].sum()

    out = planned.merge(substantive, on=["clinician_id", "activity_id"], how="outer")
    out["session_type"] = "substantive"
    bought = delivered.loc[delivered["session_type"].isin(["locum", "wli"])]
    out = pd.concat([out, bought.assign(planned_sessions=0.0)], ignore_index=True)
    out[["planned_sessions", "delivered_sessions"]] = out[["planned_sessions", "delivered_sessions"]].fillna(
        0.0
    )
    groups = clinicians.set_index("clinician_id")["staff_group"]
    out["staff_group"] = out["clinician_id"].map(groups).fillna("external")
    out["category"] = out["activity_id"].map({a.activity_id: a.category for a in pack.activities})
    out["leave_weeks"] = out["clinician_id"].map(leave_weeks).fillna(0.0)
    out["planned_basis"] = np.where(out["clinician_id"].isin(has_leave_rows), "leave rows", "working weeks")
    columns = [
        "clinician_id",
        "staff_group",
        "activity_id",
        "category",
        "session_type",
        "planned_sessions",
        "delivered_sessions",
        "leave_weeks",
        "planned_basis",
    ]
    return out[columns].sort_values(["clinician_id", "activity_id", "session_type"]).reset_index(drop=True)


def _weekday_planned(pack: PlanningPack, period: ReviewPeriod, plan: pd.DataFrame, even: np.ndarray,
                     has_leave_rows: set) -> np.ndarray:
    """Planned sessions per cell over ``period``, weekday-true (module docstring): ``weeks_per_year /
    working weeks`` x the sessions its day gives in the period (bank holidays and leave rows out). A cell
    whose day or clinician is unknown keeps the even-spread figure ``even``."""
    from capacity_planner.calendar import weekday_weeks

    leave: dict[str, dict[dt.date, float]] = {}
    for cid, week, f in zip(pack.leave["clinician_id"], pack.leave["week_start"], pack.leave["weeks"],
                            strict=True):
        mine = leave.setdefault(str(cid), {})
        monday = pd.Timestamp(week).date()
        mine[monday] = min(1.0, mine.get(monday, 0.0) + (1.0 if pd.isna(f) else float(f)))
    days: dict[tuple[str, float], dict[str, float]] = {}
    out = np.array(even, dtype=float)
    columns = (plan["clinician_id"], plan["day"], plan["weeks_per_year"], plan["working_weeks"])
    for i, (cid, day, weeks, working) in enumerate(zip(*columns, strict=True)):
        if not isinstance(day, str) or not day or pd.isna(working) or float(working) <= 0:
            continue
        key = (str(cid), float(working))
        if key not in days:
            recorded = str(cid) in has_leave_rows
            days[key] = weekday_weeks(period.start, period.weeks, float(working), leave.get(str(cid)),
                                      leave_complete=recorded)
        if day in days[key]:
            out[i] = float(weeks) / float(working) * days[key][day]
    return out


def variance_pct(planned: pd.Series | float, delivered: pd.Series | float) -> pd.Series | float:
    r"""Percentage variance :math:`(D - P)/P \times 100`; NaN when nothing was planned."""
    p = np.asarray(planned, dtype=float)
    d = np.asarray(delivered, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(p > 0, (d - p) / p * 100.0, np.nan)
    return pd.Series(v, index=planned.index) if isinstance(planned, pd.Series) else float(v)
