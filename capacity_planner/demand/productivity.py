r"""Productivity per staff group (issue 19 item 3): patients per session when a nurse or trainee runs a list.

The pack's optional ``productivity`` table gives :math:`\text{pps}_{g,a}`, the patients (slots) a session of
activity :math:`a` sees when staff group :math:`g` runs it; other groups see the activity's own
:math:`\text{pps}_a` (``patients_per_session``, else bookable_minutes / minutes_per_patient). Demand is
turned into sessions at the mix of staff groups in the current job plans: with :math:`n_g` the
session-weeks a year of :math:`a` that group :math:`g` runs today (``weeks_per_year`` summed),

.. math::

    \text{pps}^{\text{mix}}_a = \frac{\sum_g n_g\, \text{pps}_{g,a}}{\sum_g n_g},
    \qquad \text{sessions} = \frac{\text{slots}}{\text{pps}^{\text{mix}}_a},

because :math:`S` sessions in the current proportions :math:`n_g / N` offer
:math:`\sum_g S\,(n_g/N)\,\text{pps}_{g,a} = S\,\text{pps}^{\text{mix}}_a` slots. Without a row for the
activity, or without current sessions of it, :math:`\text{pps}_a` is used (sizes unchanged).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from capacity_planner.pack.model import Activity, PlanningPack


def mix_patients_per_session(pack: PlanningPack, act: Activity) -> tuple[float | None, str | None]:
    """Patients per session of ``act`` at the current job plans' staff-group mix, and a note saying so.

    Parameters
    ----------
    pack : PlanningPack
        The pack: ``productivity`` rows, clinicians' staff groups, current job plans.
    act : Activity
        The activity sized.

    Returns
    -------
    (float or None, str or None)
        Patients a session (the activity's own when no override applies; None when it has none) and a
        note for the demand step's notes (None when the mix changes nothing).
    """
    base = act.patients_per_session_effective
    override = {p.staff_group: p.patients_per_session for p in pack.productivity
                if p.activity_id == act.activity_id}
    if not override:
        return base, None
    group = {c.clinician_id: c.staff_group for c in pack.clinicians if c.active}
    weeks: dict[str, float] = {}
    for j in pack.job_plans:
        if j.activity_id == act.activity_id and j.clinician_id in group:
            g = group[j.clinician_id]
            weeks[g] = weeks.get(g, 0.0) + float(j.weeks_per_year or 0.0)
    total = sum(weeks.values())
    if total <= 0 or (base is None and set(weeks) - set(override)):
        return base, None
    mix = sum(n * override.get(g, base or 0.0) for g, n in weeks.items()) / total
    if base is not None and abs(mix - base) < 1e-12:
        return base, None
    parts = ", ".join(f"{g} {override.get(g, base):g} ({n / total:.0%})" for g, n in sorted(weeks.items()))
    return mix, (f"{act.activity_id}: sized at {mix:.3g} patients a session, the current job plans' mix of "
                 f"staff groups ({parts} of its session-weeks; productivity table)")
