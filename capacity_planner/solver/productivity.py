r"""Productivity per cell in the solver's supply (issue 19 item 3): a nurse's session may see fewer patients.

The demand step turns slots into sessions at the current job plans' staff-group mix,
:math:`\text{pps}^{\text{mix}}_a` (:func:`capacity_planner.demand.productivity.mix_patients_per_session`),
so a session-week of need is :math:`\text{pps}^{\text{mix}}_a` patients. A session of activity :math:`a`
run by clinician :math:`c` of staff group :math:`g(c)` sees :math:`\text{pps}_{g(c),a}` (the
``productivity`` row, else the activity's own :math:`\text{pps}_a`), so it meets

.. math:: w_{c,a} = \frac{\text{pps}_{g(c),a}}{\text{pps}^{\text{mix}}_a}

session-weeks of that need. Each cell's supply to :math:`a` is weighted by :math:`w_{c,a}`: a cell that
delivers :math:`u` sessions a year (:meth:`~capacity_planner.solver.problem.AllocationProblem.supply_weeks`,
weekday-true) counts :math:`\lfloor u\, w_{c,a} + 1/2 \rfloor` in the problem's week resolution
(``week_scale`` units: whole session-weeks a year in the usual case), the same rounding as weekday-true
supply, so supply coefficients stay small integers and the unmet-demand levels keep whole steps. The error
is at most half a step a cell a year.

:math:`w_{c,a} = 1` (no entry) when the pack has no ``productivity`` row for :math:`a`, when
:math:`\text{pps}_{g(c),a} = \text{pps}^{\text{mix}}_a`, and when a session's patients are unknown (an
activity without patients per session whose mix cannot be formed), so a pack without the table gives the
model it gave before. Sessions bought from a locum or as WLI count 1 each (at the mix).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from capacity_planner.demand.productivity import mix_patients_per_session

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from capacity_planner.pack.model import PlanningPack

_EPS = 1e-12


def supply_weights(pack: PlanningPack, clinician_ids: Sequence[str],
                   activity_ids: Sequence[str]) -> dict[tuple[int, int], float]:
    r"""The weights :math:`w_{c,a} \ne 1` of the planned clinicians and activities, by index.

    Parameters
    ----------
    pack : PlanningPack
        The pack: its ``productivity`` rows, clinicians' staff groups and current job plans (the mix).
    clinician_ids, activity_ids : sequence of str
        The problem's clinicians and activities, in index order.

    Returns
    -------
    dict
        (clinician index, activity index) -> :math:`w_{c,a}` (dimensionless: session-weeks of need met
        by one session), only where it differs from 1; empty without ``productivity`` rows.
    """
    if not pack.productivity:
        return {}
    group = {c.clinician_id: c.staff_group for c in pack.clinicians}
    out: dict[tuple[int, int], float] = {}
    for a, aid in enumerate(activity_ids):
        override = {p.staff_group: p.patients_per_session for p in pack.productivity if p.activity_id == aid}
        if not override:
            continue
        act = pack.activity(aid)
        mix, _ = mix_patients_per_session(pack, act)
        if mix is None or mix <= 0:
            continue
        base = act.patients_per_session_effective
        for c, cid in enumerate(clinician_ids):
            own = override.get(group.get(cid, ""), base)
            if own is not None and abs(own / mix - 1.0) > _EPS:
                out[(c, a)] = own / mix
    return out


def weighted_supply(units: int, weight: float | None) -> int:
    """``units`` (week_scale units a year) x ``weight``, to the nearest unit, half up; ``units`` when the
    weight is None (1)."""
    if weight is None:
        return units
    return math.floor(units * weight + 0.5 + 1e-9)


def weights_note(weights: Mapping[tuple[int, int], float], clinician_ids: Sequence[str],
                 activity_ids: Sequence[str]) -> list[str]:
    """One note per weighted activity for the plan's notes: which clinicians' sessions count more or less."""
    by_a: dict[int, dict[float, list[str]]] = {}
    for (c, a), w in sorted(weights.items()):
        by_a.setdefault(a, {}).setdefault(round(w, 3), []).append(clinician_ids[c])
    notes = []
    for a, groups in sorted(by_a.items()):
        parts = "; ".join(f"{', '.join(ids)} x{w:.3g}" for w, ids in sorted(groups.items()))
        notes.append(f"{activity_ids[a]}: supply counts each session at its staff group's patients a session "
                     f"over the mix demand was sized at ({parts}; productivity table)")
    return notes
