"""The columns of every plan output table (DESIGN.md section 4), defined once.

The solver builds its tables with these columns (:mod:`capacity_planner.solver.tables`), the demand step
its weekly table (:mod:`capacity_planner.demand.pipeline`), the writers write them
(:mod:`capacity_planner.outputs`) and the meeting pack reads a plan folder back against them
(:mod:`capacity_planner.report.tables`). Each table lists its columns in file order and which of them are
text (every other column is a number); ``required`` are the columns a plan folder must have to be read
(older plans lack the later ones).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ALLOCATION",
    "ALLOCATION_COLUMNS",
    "CHANGES",
    "CHANGES_COLUMNS",
    "CLINICIANS",
    "CLINICIANS_COLUMNS",
    "GAPS",
    "GAPS_COLUMNS",
    "GAP_REASONS",
    "GAP_REASONS_COLUMNS",
    "PLAN_TABLES",
    "WEEKLY_DEMAND",
    "WEEKLY_DEMAND_COLUMNS",
    "OutputTable",
]


@dataclass(frozen=True)
class OutputTable:
    """One output table: its file, its columns in order, its text columns and those a reader requires."""

    file: str
    columns: tuple[str, ...]
    text: tuple[str, ...]
    required: tuple[str, ...]

    @property
    def numeric(self) -> tuple[str, ...]:
        """The number columns, in file order."""
        return tuple(c for c in self.columns if c not in self.text)

    @property
    def required_text(self) -> tuple[str, ...]:
        """Text columns a reader requires."""
        return tuple(c for c in self.required if c in self.text)

    @property
    def required_numeric(self) -> tuple[str, ...]:
        """Number columns a reader requires."""
        return tuple(c for c in self.required if c not in self.text)


# week: "A" or "B" for a cell run on alternate weeks (a two-week cycle), blank for every week (issue 13);
# half: "1" or "2" for a 2-hour half of the slot (SPA, admin; issue 13 item 5), blank for a whole session
ALLOCATION_COLUMNS = ("clinician_id", "day", "period", "activity_id", "pas", "weeks_per_year", "week", "half")
GAPS_COLUMNS = (
    "activity_id",
    "required_sessions_per_year",
    "current_sessions_per_year",
    "planned_sessions_per_year",
    "gap_sessions_per_year",
    "gap_dcc_hours_per_year",
)
CLINICIANS_COLUMNS = (
    "clinician_id",
    "staff_group",
    "contracted_pas",
    "planned_pas",
    "dcc_pas",
    "spa_pas",
    "other_pas",
    "apa_pas",
    "out_of_hours_pas",
    "changed_sessions",
    "unassigned_pas",
    "unassigned_reason",
)
CHANGES_COLUMNS = ("clinician_id", "day", "period", "activity_before", "activity_after", "week", "half")
GAP_REASONS_COLUMNS = ("activity_id", "reason")
WEEKLY_DEMAND_COLUMNS = ("activity_id", "week_start", "kind", "value", "mean", "lower", "upper", "sized")

ALLOCATION = OutputTable("allocation.csv", ALLOCATION_COLUMNS, (*ALLOCATION_COLUMNS[:4], "week", "half"),
                         ALLOCATION_COLUMNS[:5])
GAPS = OutputTable("gaps.csv", GAPS_COLUMNS, GAPS_COLUMNS[:1], GAPS_COLUMNS)
# unassigned_pas and unassigned_reason are written since issue 13; a plan without them reads as none
CLINICIANS = OutputTable("clinicians.csv", CLINICIANS_COLUMNS,
                         ("clinician_id", "staff_group", "unassigned_reason"), CLINICIANS_COLUMNS[:10])
CHANGES = OutputTable("changes.csv", CHANGES_COLUMNS, CHANGES_COLUMNS, CHANGES_COLUMNS[:5])
GAP_REASONS = OutputTable("gap_reasons.csv", GAP_REASONS_COLUMNS, GAP_REASONS_COLUMNS, GAP_REASONS_COLUMNS)
WEEKLY_DEMAND = OutputTable("weekly_demand.csv", WEEKLY_DEMAND_COLUMNS, WEEKLY_DEMAND_COLUMNS[:3],
                            WEEKLY_DEMAND_COLUMNS)
# The solver's four tables, by their key in PlanResult.tables.
PLAN_TABLES: dict[str, OutputTable] = {
    "allocation": ALLOCATION, "gaps": GAPS, "clinicians": CLINICIANS, "changes": CHANGES,
}
