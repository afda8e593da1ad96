"""Column headers in plain words: the one label table of ``plan.xlsx`` (issue 18 item 5).

Every header the workbook writes is looked up here by a key, the CSV column name where the column comes
from a CSV (``requirements.csv``, ``gaps.csv``, ``clinicians.csv``, ``changes.csv``), so one column has one
header on every sheet and a header is written by a person, never made from the column name by
title-casing ("Dna rate"). A column the table does not know (a column added to ``requirements.csv`` by
hand) keeps its CSV name verbatim, so a reader can find it in the file; the tool's own columns all have a
label (tests/test_report_excel.py checks every header of every sheet against this table).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["COLUMN_LABELS", "column_label", "has_label"]

COLUMN_LABELS: Mapping[str, str] = MappingProxyType({
    # requirements.csv (capacity_planner.demand.requirements: core columns, then extensions)
    "activity_id": "Activity ID",
    "category": "Category",
    "rapid_access": "Rapid access",
    "weekly_demand_mean": "Mean weekly demand (patients)",
    "weekly_demand_sized": "Sized weekly demand (patients)",
    "sizing_method": "Sized to",
    "percentile": "Centile of weekly demand",
    "dna_rate": "Did-not-attend rate",
    "dna_factor": "Slots per patient (DNA allowance)",
    "follow_up_ratio": "Follow-ups per new patient",
    "backlog_relief_per_week": "Backlog relief a week (patients)",
    "slots_per_week": "Slots a week",
    "sessions_per_week": "Sessions a week",
    "sessions_per_year": "Sessions a year",
    "dcc_hours_per_year": "DCC hours a year",
    "service": "Service",
    "backlog_sessions_per_year": "Backlog sessions a year",
    "forecast_model": "Forecast model",
    "hospital_cancellation_rate": "Hospital cancellation rate",
    "dna_rate_all_appointments": "Did-not-attend rate (all appointments)",
    "dna_rate_source": "Did-not-attend rate from",
    "follow_up_ratio_source": "Follow-up ratio from",
    "fixed_sessions_per_week": "Fixed sessions a week",
    "annual_growth": "Annual growth",
    "sessions_per_service_week": "Sessions a service week",
    # gaps.csv
    "name": "Activity",
    "required_sessions_per_year": "Required sessions a year",
    "current_sessions_per_year": "Current sessions a year",
    "planned_sessions_per_year": "Planned sessions a year",
    "gap_sessions_per_year": "Gap sessions a year",
    "gap_dcc_hours_per_year": "Gap DCC hours a year",
    "reason": "Why it remains",
    # changes.csv and clinicians.csv
    "label": "Clinician",
    "clinician_id": "Clinician ID",
    "day": "Day",
    "period": "Period",
    "activity_before": "Current activity",
    "activity_after": "Proposed activity",
    "staff_group": "Staff group",
    "contract": "Contract",
    "working_weeks": "Working weeks",
    "contracted_pas": "Contracted PAs",
    "planned_pas": "Planned PAs",
    "dcc_pas": "DCC PAs",
    "spa_pas": "SPA PAs",
    "other_pas": "Other PAs",
    "apa_pas": "Additional PAs",
    "out_of_hours_pas": "Out-of-hours PAs",
    "changed_sessions": "Sessions changed",
    "unassigned_pas": "Unassigned PAs",
    "unassigned_reason": "Why unassigned",
    # Summary sheet
    "measure": "Measure",
    "value": "Value",
    "unit": "Unit",
    # Assumptions sheet: settings, then the defaults applied to blank cells
    "setting": "Setting",
    "source": "Source",
    "meaning": "Meaning",
    "table": "Table",
    "column": "Column",
    "rows": "Rows filled",
    "values": "Value used",
    "default_reason": "Why",
    # one sheet per clinician
    "activity": "Activity",
    "session": "Session",
    "pas_per_week": "PAs a week",
    "out_of_hours_sessions": "Out-of-hours sessions",
    "annualised_sessions": "Annualised sessions",
    # Timetable sheet
    "clinician": "Clinician",
})


def has_label(key: str) -> bool:
    """Whether the label table names column ``key``."""
    return key in COLUMN_LABELS


def column_label(key: str) -> str:
    """The header of column ``key`` in plain words; a column the table does not know keeps its name
    verbatim (never title-cased).

    Examples
    --------
    >>> column_label("dna_rate")
    'Did-not-attend rate'
    >>> column_label("my_own_column")
    'my_own_column'
    """
    return COLUMN_LABELS.get(key, key)
