"""Plain words for the console: solver progress as a planner would say it (issue 17).

``plan`` reports each improving solution of each objective level; :func:`progress_words` turns the
level's name, best value and bound into a sentence, e.g. ``routine demand: 523 sessions a year short
(priority-weighted), best possible >= 510``.
"""

from __future__ import annotations

import math

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
        tail = "(proven the least)" if proven else f"(best possible >= {_num(bound)})"
        tail = "(proven the least)" if proven else f"(best possible >= {100 * bound:.1f} points)"
        return f"spread of DCC time within staff groups: {100 * best:.1f} points of contracted PAs {tail}"
    return f"{level}: {_num(best)} (bound {_num(bound)})"
