"""Exceptions and the `Problem` record used to report bad input.

Every problem with a user's input is reported as a :class:`Problem` naming the file or sheet, the row as
the user sees it in Excel (the header is row 1, the first data row is row 2), the column, the offending
value and what was expected. Readers and validators collect *all* problems before raising one
:class:`PackValidationError`, so a service lead can fix a workbook in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem found in a planning pack.

    Attributes
    ----------
    source : str
        File name (``clinicians.csv``), sheet (``clinicians`` sheet of ``pack.xlsx``) or ``pack.toml``.
    message : str
        What is wrong and what is expected, in words a service lead can act on.
    row : int or None
        Row number as seen in Excel (header = 1, first data row = 2); None for whole-table problems.
    column : str or None
        Column (or settings key) concerned, if any.
    value : str or None
        The offending value as text, if any.
    severity : {"error", "warning"}
        Errors stop the run (exit code 2); warnings are shown and the run continues.
    """

    source: str
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    severity: Severity = "error"

    def __str__(self) -> str:
        where = [self.source]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        text = ", ".join(where) + ": "
        if self.value is not None:
            text += f"value {self.value!r}: "
        text += self.message
        return text if self.severity == "error" else f"warning: {text}"


class CapacityPlannerError(Exception):
    """Base class of the errors the command line turns into a clear message."""

    exit_code = 1


class PackValidationError(CapacityPlannerError):
    """The input is wrong. Holds every problem found (exit code 2); ``subject`` names the input in
    messages ("the planning pack", "the scenarios file")."""

    exit_code = 2

    def __init__(self, problems: Iterable[Problem], subject: str = "the planning pack"):
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.subject = subject
        errors = [p for p in self.problems if p.severity == "error"]
        super().__init__(f"{len(errors)} problem(s) in {subject}:\n" + self.report())

    @property
    def errors(self) -> Sequence[Problem]:
        """The problems of severity ``error``."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> Sequence[Problem]:
        """The problems of severity ``warning``."""
        return [p for p in self.problems if p.severity == "warning"]

    def report(self) -> str:
        """All problems as text, errors first, each group sorted by file or sheet and row, one per line."""
        return "\n".join(str(p) for p in self.ordered())

    def ordered(self) -> list[Problem]:
        """Errors then warnings, each sorted by :func:`problem_order`."""
        return sorted(self.errors, key=problem_order) + sorted(self.warnings, key=problem_order)


def problem_order(problem: Problem) -> tuple[str, float, str]:
    """Sort key: file or sheet, then row as in Excel (whole-table problems first, a "… and N more rows"
    summary after the rows it summarises), then column."""
    if problem.row is not None:
        row = float(problem.row)
    else:
        row = float("inf") if problem.message.startswith("…") else -1.0
    return (problem.source.lower(), row, problem.column or "")


class InfeasiblePlanError(CapacityPlannerError):
    """The contract rules cannot all hold (exit code 3); ``reasons`` are plain-language sentences."""

    exit_code = 3

    def __init__(self, reasons: Sequence[str]):
        self.reasons = tuple(reasons)
        super().__init__("the job-planning rules cannot all hold:\n" + "\n".join(f"- {r}" for r in reasons))


class PlanCheckError(CapacityPlannerError):
    """The independent checker found a plan breaking a rule (exit code 1): a bug, never the user's input.
    Nothing is written; ``violations`` lists what the checker found."""

    exit_code = 1

    def __init__(self, violations: Sequence[str]):
        self.violations = tuple(violations)
        super().__init__(
            "internal error: the plan failed the independent check, so nothing was written:\n"
            + "\n".join(f"- {v}" for v in violations)
        )
