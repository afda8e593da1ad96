r"""The ``Requirements`` table: the only bridge from demand sizing to the solver.

One row per activity of the pack. Columns (DESIGN.md section 4, then documented extensions):

==========================  =============================================================================
activity_id                 activity
category                    DCC, SPA, …
rapid_access                sized at a percentile (true) or the mean (false)
weekly_demand_mean          mean weekly demand in the planning year, patients a week (new + follow-up)
weekly_demand_sized         demand the service is sized for: the mean, or for rapid access
                            max(mean, percentile of one week's demand pooled over the 52 planning weeks)
sizing_method               ``mean``, ``percentile``, ``fixed`` (requirements table) or ``none``
percentile                  percentile used (rapid access), else blank
dna_rate                    DNA rate r used, 0 <= r < 1 (dna / (attended + dna))
dna_factor                  slots per patient: 1 (discharge), 1 + r (rebook_once),
                            1/(1 - r) (rebook_until_seen)
follow_up_ratio             follow-up attendances per new attendance feeding this activity, if any
                            (demand-weighted over its feeding activities)
backlog_relief_per_week     extra slots a week during ``backlog_weeks`` to bring the waiting list to target:
                            max(0, (Q - Q_target) / backlog_weeks) x dna_factor / (1 - hospital
                            cancellation rate), with Q_target = weekly_demand_mean x target_weeks / 4
slots_per_week              recurrent slots a week: weekly_demand_sized x dna_factor / (1 - hospital
                            cancellation rate)
sessions_per_week           recurrent sessions a week: slots_per_week / patients per session, plus fixed
                            sessions a week (requirements table)
sessions_per_year           demand-driven sessions a week x 52 (demand arrives in all 52 weeks and is
                            delivered in service_weeks) + fixed sessions a week x service_weeks
                            + backlog_relief_per_week x min(backlog_weeks, service_weeks)
                            / patients per session
dcc_hours_per_year          sessions_per_year x 4 h x pa_value for DCC activities (0 for others)
--- extensions ---
service                     service name (trust packs)
backlog_sessions_per_year   the backlog part of sessions_per_year (non-recurrent)
forecast_model              which forecast model produced the demand (e.g. ``trend+season+negbin``)
hospital_cancellation_rate  cancelled_hospital / booked appointments (measured), lost capacity
dna_rate_all_appointments   dna / all appointments, cancellations included (measured): the DNA rate as
                            NHS outpatient statistics (HES) report it, for comparison; not used in sizing
dna_rate_source             ``given`` (activities table), ``measured`` (appointments) or ``default`` (0)
follow_up_ratio_source      ``given``, ``measured`` (attendances) or ``measured_outcomes`` (OUTCOME OF
                            ATTENDANCE) for the ratios feeding this activity
fixed_sessions_per_week     sessions a week from the requirements table (included in sessions_per_week)
annual_growth               annual growth rate of the forecast (estimated or given), blank if none
sessions_per_service_week   recurrent sessions in each week the service runs: demand-driven sessions a
                            week x 52 / service_weeks + fixed sessions a week
==========================  =============================================================================

Every activity of the pack has a row (``none`` rows have zero sessions). The solver reads
``sessions_per_year`` as the annual demand to cover, in session-weeks a year (one session a week for one
working week = 1). A row with ``sizing_method == "fixed"`` comes from the pack's ``requirements`` table:
``sessions_per_week`` without a fixed slot, plus ``min_clinicians`` sessions a week for each slot-fixed
requirement (MDT Tuesday PM with at least k clinicians), so that reports show them; slot-fixed
requirements are also hard constraints that the solver reads from the pack directly (the sessions they
force count towards the row's ``sessions_per_year``). Methods and sources: ``docs/method.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from capacity_planner._csv import write_csv

if TYPE_CHECKING:
    from pathlib import Path

COLUMNS: tuple[str, ...] = (
    "activity_id",
    "category",
    "rapid_access",
    "weekly_demand_mean",
    "weekly_demand_sized",
    "sizing_method",
    "percentile",
    "dna_rate",
    "dna_factor",
    "follow_up_ratio",
    "backlog_relief_per_week",
    "slots_per_week",
    "sessions_per_week",
    "sessions_per_year",
    "dcc_hours_per_year",
)
EXTENSION_COLUMNS: tuple[str, ...] = ("service", "backlog_sessions_per_year", "forecast_model")
SIZING_METHODS: tuple[str, ...] = ("mean", "percentile", "fixed", "none")
_NUMERIC = (
    "weekly_demand_mean", "weekly_demand_sized", "percentile", "dna_rate", "dna_factor",
    "follow_up_ratio", "backlog_relief_per_week", "slots_per_week", "sessions_per_week",
    "sessions_per_year", "dcc_hours_per_year", "backlog_sessions_per_year",
)


@dataclass(frozen=True, eq=False)
class Requirements:
    """Sessions each activity needs in the planning year (see module docstring for the columns).

    Build with :meth:`from_frame`, which checks the columns, fills absent extension columns, and sorts
    nothing (row order is the activities' order).
    """

    table: pd.DataFrame

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Requirements:
        """Validate and normalise a requirements frame (missing DESIGN columns raise ValueError)."""
        missing = [c for c in COLUMNS if c not in frame.columns]
        if missing:
            raise ValueError(f"requirements table lacks columns: {', '.join(missing)}")
        out = frame.copy()
        for col in EXTENSION_COLUMNS:
            if col not in out.columns:
                out[col] = np.nan if col == "backlog_sessions_per_year" else None
        for col in _NUMERIC:
            out[col] = pd.to_numeric(out[col], errors="raise").astype("float64")
        out["rapid_access"] = out["rapid_access"].astype(bool)
        bad = sorted(set(out["sizing_method"]) - set(SIZING_METHODS))
        if bad:
            raise ValueError(f"unknown sizing_method: {', '.join(map(str, bad))}")
        if out["activity_id"].duplicated().any():
            raise ValueError("requirements table repeats an activity_id")
        if (out["sessions_per_year"] < 0).any():
            raise ValueError("sessions_per_year must be >= 0")
        ordered = list(COLUMNS) + list(EXTENSION_COLUMNS)
        rest = [c for c in out.columns if c not in ordered]
        return cls(out[ordered + rest].reset_index(drop=True))

    @classmethod
    def read_csv(cls, path: str | Path) -> Requirements:
        """Read a ``requirements.csv`` written by :meth:`to_csv` (or by hand, with the same columns)."""
        return cls.from_frame(pd.read_csv(path))

    def to_csv(self, path: str | Path) -> None:
        """Write ``requirements.csv`` (DESIGN columns first)."""
        write_csv(self.table, path)

    @property
    def activity_ids(self) -> tuple[str, ...]:
        """Activities with a row, in order."""
        return tuple(self.table["activity_id"])

    def sessions_per_year(self) -> dict[str, float]:
        """Annual sessions needed per activity, session-weeks a year."""
        return dict(zip(self.table["activity_id"], self.table["sessions_per_year"], strict=True))

