"""A short, readable summary of a planning pack (for ``validate`` and ``make demo``)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from capacity_planner.pack.model import PlanningPack


def summarise_pack(pack: PlanningPack) -> str:
    """Plain-text summary: team, activities, history span, plan start, defaults applied."""
    lines = [f"{pack.settings.name} - planning year from {pack.plan_start.isoformat()}"]
    if pack.clinicians:
        groups = Counter(c.staff_group for c in pack.clinicians)
        pas = sum(c.contracted_pas for c in pack.clinicians)
        lines.append(
            f"  team: {len(pack.clinicians)} clinicians ("
            + ", ".join(f"{n} {g}" for g, n in sorted(groups.items()))
            + f"), {pas:g} contracted PAs a week"
        )
    rapid = [a.activity_id for a in pack.activities if a.rapid_access]
    lines.append(
        f"  activities: {len(pack.activities)} ("
        + ", ".join(a.activity_id for a in pack.activities[:12])
        + (", …" if len(pack.activities) > 12 else "")
        + ")"
        + (f"; rapid access: {', '.join(rapid[:6])}" if rapid else "")
    )
    if len(pack.referrals):
        first = pack.referrals["referral_date"].min().date()
        last = pack.referrals["referral_date"].max().date()
        total = int(pack.referrals["count"].sum())
        lines.append(f"  referrals: {total:,} from {first.isoformat()} to {last.isoformat()}")
    if len(pack.appointments):
        rows = pack.source.rows_read.get("appointments", len(pack.appointments))  # the file's, not the runs'
        lines.append(f"  appointments: {rows:,} rows")
    if pack.job_plans:
        locked = sum(1 for c in pack.job_plans if c.locked)
        lines.append(f"  current job plans: {len(pack.job_plans)} sessions a week ({locked} locked)")
    if len(pack.delivered):
        lines.append(f"  delivered (e-roster): {len(pack.delivered):,} rows")
    lines.append(f"  slots in the weekly grid: {len(pack.slots)}")
    if pack.defaults_applied:
        by_column = Counter(f"{d.table}.{d.column}" for d in pack.defaults_applied)
        top = ", ".join(f"{k} ×{n}" for k, n in by_column.most_common(6))
        lines.append(f"  defaults applied: {len(pack.defaults_applied)} ({top}"
                     + (", …" if len(by_column) > 6 else "") + ")")
    return "\n".join(lines)
