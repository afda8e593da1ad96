"""What a plan cut short by its time limit has not proven, in plain words (issue 16).

``plan`` prints the progress of each level as it goes; when a level stops at its time (or work) budget
before proving its optimum, the last progress line scrolls away. :func:`unproven_lines` gives the lines
printed after the gap table: one per level left unproven, with the value reached, the bound on the best
possible and the gap, and for a plan solved in independent parts, the parts that are not proven.

The gap of a level is :math:`(f - \\underline{f}) / \\max(1, |f|)` for the value :math:`f` reached and
the proven bound :math:`\\underline{f}` (summary.json ``gap``, a fraction; 0 when proven).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from capacity_planner.console import progress_words

if TYPE_CHECKING:
    from capacity_planner.plan_summary import LevelRecord, PlanSummary


def unproven_lines(summary: PlanSummary) -> list[str]:
    """One line per objective level (and per part) of ``summary`` not proven optimal; empty when every
    level was proven.

    Examples
    --------
    >>> from capacity_planner.plan_summary import PlanSummary
    >>> s = PlanSummary("feasible", {}, {}, {}, 60.0, None, None, None, {}, {}, "x", levels=[
    ...     {"name": "changes", "status": "feasible", "objective": 240.0, "bound": 230.0, "gap": 0.0417}])
    >>> unproven_lines(s)[0].split(": ", 1)[1]
    'changes to current job plans: 240 sessions (best possible >= 230); gap 4.2 %'
    """
    lines = []
    for level in summary.levels:
        line = _level_line(level)
        if line:
            lines.append(f"not proven within the limit: {line}")
    for part in summary.parts or []:
        open_levels = [name for name, gap in (part.get("gap") or {}).items() if gap is None or gap > 0]
        if part.get("status") != "optimal" and open_levels:
            gaps = ", ".join(_part_gap(name, part["gap"].get(name)) for name in open_levels)
            lines.append(f"  part {part['name']} ({part['clinicians']} clinicians): {part['status']}; {gaps}")
    return lines


def _level_line(level: LevelRecord) -> str | None:
    """The words for one level of summary.json ``levels``, or None when it is proven optimal."""
    if level.get("status") == "optimal":
        return None
    best, bound, gap = level.get("objective"), level.get("bound"), level.get("gap")
    if best is None or bound is None:
        return f"{level['name']}: not reached (no value)"
    words = progress_words(level["name"], float(best), float(bound))
    return f"{words}; gap {100 * float(gap or 0.0):.1f} %"


def _part_gap(name: str, gap: float | None) -> str:
    return f"{name} not reached" if gap is None else f"{name} gap {100 * gap:.1f} %"
