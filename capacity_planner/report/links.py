"""How the timetable shows linked sessions (``links``, issue 19 item 3): a nurse's minor-ops list reads
``minor_ops (with C03 supervising)``, a theatre list ``theatre (with X01 on anaesthesia)``.

Read from the plan's allocation and the pack's links (as the checker reads them, docs/method.md "Linked
sessions"): for each weekly cell that needs a link, the clinicians in the same slot who count for it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from capacity_planner.pack.model import Link, PlanningPack

MAX_NAMES = 2


def link_notes(pack: PlanningPack, allocation: pd.DataFrame) -> dict[tuple[str, str, str], str]:
    """(clinician, day, period) -> ``"with C03 supervising"`` for every weekly cell that needs a link.

    Parameters
    ----------
    pack : PlanningPack
        The pack (links, staff groups, skills, activity categories).
    allocation : DataFrame
        allocation.csv: ``clinician_id``, ``day``, ``period``, ``activity_id``, optional ``week``.

    Returns
    -------
    dict
        Empty without a links table. Cells on alternate weeks are left out.
    """
    if not pack.links or allocation.empty:
        return {}
    group = {c.clinician_id: c.staff_group for c in pack.clinicians}
    category = {a.activity_id: a.category for a in pack.activities}
    holds = {(s.clinician_id, s.activity_id) for s in pack.skills}
    holds |= {(j.clinician_id, j.activity_id) for j in pack.job_plans}
    weeks = (allocation["week"].astype(str) if "week" in allocation.columns
             else pd.Series("", index=allocation.index))
    by_slot: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    columns = [allocation[c].astype(str) for c in ("clinician_id", "day", "period", "activity_id")]
    for cid, day, period, aid, week in zip(*columns, weeks, strict=True):
        if week not in ("A", "B"):
            by_slot[(day, period)].append((cid, aid))
    notes: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for link in pack.links:
        for (day, period), cells in by_slot.items():
            needing = [cid for cid, aid in cells if _needs(link, group.get(cid), aid)]
            if not needing:
                continue
            there = [cid for cid, aid in cells if link.linked_group in (None, group.get(cid)) and (
                aid == link.linked_activity_id if link.mode == "dedicated" else
                category.get(aid) != "ED" and not _needs(link, group.get(cid), aid)
                and (link.linked_activity_id is None or (cid, link.linked_activity_id) in holds))]
            names = ", ".join(sorted(there)[:MAX_NAMES]) + ("…" if len(there) > MAX_NAMES else "")
            role = f"on {link.linked_activity_id}" if link.mode == "dedicated" else "supervising"
            for cid in needing:
                notes[(cid, day, period)].append(f"with {names} {role}" if there else f"no {role} clinician")
    return {key: "; ".join(dict.fromkeys(v)) for key, v in notes.items()}


def _needs(link: Link, group: str | None, aid: str) -> bool:
    """Whether a session of ``aid`` run by a clinician of ``group`` needs ``link``."""
    return aid == link.activity_id and link.performer_group in (None, group)
