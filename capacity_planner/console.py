"""Plain words for the console: solver progress as a planner would say it (issue 17).

``plan`` reports each improving solution of each objective level, and each level's final value and bound
once more when the level ends (so a level proven after its last plan ends on "proven", not on an earlier
bound; :meth:`capacity_planner.solver.solve._Run.report`); :func:`progress_words` turns the
level's name, best value and bound into a sentence, e.g. ``routine demand: 523 sessions a year short
(priority-weighted), best possible >= 510``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pandas as pd

_TOL = 1e-6


def _num(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:,.1f}"


def progress_words(level: str, best: float, bound: float) -> str:
    """One sentence for a solver level's best value so far and the bound on the best possible.

    Examples
    --------
    >>> progress_words("unmet_rapid_access", 0.0, 0.0)
    'rapid-access demand: all met'
    >>> progress_words("unmet_routine", 1549.0, 523.0)
    'routine demand: 1,549 sessions a year short (priority-weighted), best possible >= 523'
    >>> progress_words("cost", 12000.0, 12000.0)
    'extra cost: £12,000 a year (proven the least)'
    """
    proven = math.isclose(best, bound, rel_tol=1e-9, abs_tol=_TOL)
    if level in ("unmet_rapid_access", "unmet_routine"):
        what = "rapid-access demand" if level == "unmet_rapid_access" else "routine demand"
        if best <= _TOL:
            return f"{what}: all met"
        tail = "; proven the least)" if proven else f"), best possible >= {_num(bound)}"
        return f"{what}: {_num(best)} sessions a year short (priority-weighted{tail}"
    if level == "weekly_cover":
        if best <= _TOL:
            return "weekly cover: every week covered"
        return f"weekly cover: {_num(best)} weeks a year without it" + (
            " (proven the fewest)" if proven else f", best possible >= {_num(bound)}")
    if level == "routine_floor":
        if best <= _TOL:
            return "routine floor: every routine activity kept at or above its floor"
        return f"routine floor: {_num(best)} session-weeks a year below it" + (
            " (the rules leave no other way)" if proven else f", best possible >= {_num(bound)}")
    if level in ("unassigned_pas", "unallocated_pas"):
        if best <= _TOL:
            return "contracted time: all assigned"
        tail = (" (proven the least; reasons per clinician in clinicians.csv)" if proven
                else f", best possible >= {_num(bound)}")
        return f"contracted time: {_num(best)} PA-weeks a year unassigned{tail}"
    if level == "cost":
        tail = "(proven the least)" if proven else f"(best possible >= £{_num(bound)})"
        return f"extra cost: £{_num(best)} a year {tail}"
    if level == "changes":
        tail = "(proven the fewest)" if proven else f"(best possible >= {_num(bound)})"
        return f"changes to current job plans: {_num(best)} sessions {tail}"
    if level == "fairness":
        # a spread is never negative; CP-SAT's early bounds can be (the relaxation's), which reads as nonsense
        tail = "(proven the least)" if proven else f"(best possible >= {100 * max(bound, 0.0):.1f} points)"
        return f"spread of DCC time within staff groups: {100 * best:.1f} points of contracted PAs {tail}"
    return f"{level}: {_num(best)} (bound {_num(bound)})"


def format_number(value: Any, kind: str) -> str:
    """One value as a planner reads it on the console.

    ``kind``: ``"money"`` (GBP, whole pounds: ``£12,345``; negative ``-£500``), ``"count"`` (thousands
    separators, at most one decimal: ``1,549`` or ``10.5``), ``"pas"`` (PAs, two decimals at most: ``1.25``),
    anything else as text. Missing values print as a dash.

    Examples
    --------
    >>> format_number(25000.0, "money"), format_number(-512.4, "money")
    ('£25,000', '-£512')
    >>> format_number(1549.0, "count"), format_number(10.5, "count"), format_number(None, "count")
    ('1,549', '10.5', '–')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if kind == "money":
        amount = float(value)
        return f"{'-' if amount < -0.5 else ''}£{abs(amount):,.0f}"
    if kind == "count":
        return _num(float(value))
    if kind == "pas":
        return f"{float(value):,.2f}".rstrip("0").rstrip(".")
    return str(value)


def console_table(frame: pd.DataFrame, columns: Mapping[str, tuple[str, str]]) -> str:
    """A plain-text table for the console: ``columns`` maps a column of ``frame`` to (header, kind of
    :func:`format_number`); numbers are right-aligned, text left-aligned; absent columns are skipped.

    Examples
    --------
    >>> frame = pd.DataFrame({"budget": [0.0, 25000.0], "unmet": [648.0, 61.5], "status": ["optimal"] * 2})
    >>> shown = {"budget": ("budget", "money"), "unmet": ("unmet sessions a year", "count"),
    ...          "status": ("status", "text")}
    >>> print(console_table(frame, shown))
     budget  unmet sessions a year  status
         £0                    648  optimal
    £25,000                   61.5  optimal
    """
    shown = [(c, header, kind) for c, (header, kind) in columns.items() if c in frame.columns]
    cells = [[format_number(v, kind) for v in frame[c].tolist()] for c, _, kind in shown]
    lines = []
    widths = [max([len(header), *map(len, col)]) for (_, header, _), col in zip(shown, cells, strict=True)]
    right = [kind != "text" for _, _, kind in shown]

    def row(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if r else v.ljust(w)
                         for v, w, r in zip(values, widths, right, strict=True)).rstrip()

    lines.append(row([header for _, header, _ in shown]))
    for i in range(len(frame)):
        lines.append(row([col[i] for col in cells]))
    return "\n".join(lines)


def budget_line(done: int, total: int, budget: float, status: str, unmet: float, cost: float,
                seconds: float) -> str:
    """One frontier budget solved, in words (printed on stderr as each budget finishes).

    Examples
    --------
    >>> budget_line(2, 4, 25000.0, "optimal", 612.0, 24750.0, 3.21)
    '[2/4] £25,000: 612 sessions a year unmet, £24,750 spent (optimal, 3.2 s)'
    """
    return (f"[{done}/{total}] {format_number(budget, 'money')}: {format_number(unmet, 'count')} sessions "
            f"a year unmet, {format_number(cost, 'money')} spent ({status}, {seconds:.1f} s)")
