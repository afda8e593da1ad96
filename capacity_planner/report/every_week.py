"""The report's "Every week" section (issue 19): how the proposed plan meets the rules that are read week
by week or slot by slot rather than as yearly totals.

* **Weekly cover** (``activities.min_weekly_sessions``, slot requirements with ``share_of_weeks``): per
  rule, the weeks of the planning year the plan covers and misses, the Mondays of the weeks missed, and
  the weeks of leave not recorded that nobody else covers. Read with the solver's own rows
  (:func:`capacity_planner.solver.cover.cover_rules`: bank holidays, recorded leave, expected leave
  patterns) over the plan's weekly cells.
* **Linked sessions** (``links``): per link, the sessions a week that need it and how many have the
  linked clinician in the slot (:func:`capacity_planner.report.links.link_notes`).
* **Sites** (``activities.site``, ``rooms.site``, ``travel``): sessions a week at each site, the travel
  times and the allowance between sessions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from capacity_planner.report.links import link_notes
from capacity_planner.solver.cover import WEEK_TENTHS, WEIGHT_SCALE, cover_rules
from capacity_planner.solver.sites import activity_sites, travel_minutes
from capacity_planner.solver.supply import leave_by_clinician, planning_start

if TYPE_CHECKING:
    from capacity_planner.pack.model import PlanningPack

__all__ = ["COVER_COLUMNS", "LINK_COLUMNS", "SITE_COLUMNS", "EveryWeek", "every_week"]

COVER_COLUMNS = ("activity_id", "rule", "share_of_weeks", "weeks_covered", "weeks_missed",
                 "weeks_missed_mondays", "leave_weeks_uncovered")
LINK_COLUMNS = ("activity_id", "performer", "needs", "sessions_per_week", "sessions_with_link")
SITE_COLUMNS = ("site", "sessions_per_week", "activities")
SHOWN_WEEKS = 8


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({c: [] for c in columns})


@dataclass(frozen=True)
class EveryWeek:
    """The three tables of the section (empty when the pack has no such rule).

    Attributes
    ----------
    cover : DataFrame
        :data:`COVER_COLUMNS`: the activity, the rule in words, the share of weeks asked (1 = every
        week), weeks of the 52 covered and missed, the Mondays of the weeks missed (text), and the weeks
        of leave not recorded that no other clinician covers.
    links : DataFrame
        :data:`LINK_COLUMNS`: sessions a week that need the link and those with the linked clinician.
    sites : DataFrame
        :data:`SITE_COLUMNS`: sessions a week at each site (alternate-week cells count a half).
    travel : str
        The travel times and the allowance in words ("" without sites).
    """

    cover: pd.DataFrame = field(default_factory=lambda: _empty(COVER_COLUMNS))
    links: pd.DataFrame = field(default_factory=lambda: _empty(LINK_COLUMNS))
    sites: pd.DataFrame = field(default_factory=lambda: _empty(SITE_COLUMNS))
    travel: str = ""

    @property
    def empty(self) -> bool:
        """True when the pack uses none of these rules."""
        return self.cover.empty and self.links.empty and self.sites.empty


def every_week(pack: PlanningPack, allocation: pd.DataFrame) -> EveryWeek:
    """The section's tables for the plan ``allocation`` (allocation.csv: ``clinician_id``, ``day``,
    ``period``, ``activity_id``, optional ``week``) of ``pack``."""
    if allocation.empty:
        return EveryWeek()
    return EveryWeek(_cover(pack, allocation), _links(pack, allocation), *_sites(pack, allocation))


def _weekly(allocation: pd.DataFrame) -> pd.DataFrame:
    """The cells held every week (not on alternate weeks)."""
    if "week" not in allocation.columns:
        return allocation
    return allocation[~allocation["week"].astype(str).isin(["A", "B"])]


def _cover(pack: PlanningPack, allocation: pd.DataFrame) -> pd.DataFrame:
    if not any(a.min_weekly_sessions for a in pack.activities) and \
            not any(r.share_of_weeks is not None for r in pack.requirements):
        return _empty(COVER_COLUMNS)
    activity_ids = tuple(a.activity_id for a in pack.activities)
    clinician_ids = tuple(c.clinician_id for c in pack.clinicians)
    slots = tuple(dict.fromkeys((s.day, s.period) for s in pack.slots))
    a_of = {a: i for i, a in enumerate(activity_ids)}
    c_of = {c: i for i, c in enumerate(clinician_ids)}
    s_of = {s: i for i, s in enumerate(slots)}
    cells_of: dict[int, list[tuple[int, int]]] = defaultdict(list)
    weekly = _weekly(allocation)
    for cid, day, period, aid in zip(*(weekly[c].astype(str) for c in ("clinician_id", "day", "period",
                                                                       "activity_id")), strict=True):
        if aid in a_of and cid in c_of and (day, period) in s_of:
            cells_of[a_of[aid]].append((c_of[cid], s_of[(day, period)]))
    skilled = frozenset((c_of[s.clinician_id], a_of[s.activity_id]) for s in pack.skills
                        if s.clinician_id in c_of and s.activity_id in a_of)
    rules = cover_rules(pack, activity_ids, clinician_ids, slots, cells_of, skilled, planning_start(pack),
                        leave_by_clinician(pack))
    rows = []
    for rule in rules:
        held = {cell: 1 for cell in cells_of.get(rule.activity, [])}
        short = [r for r in rule.rows if r.running(held) < WEIGHT_SCALE * rule.sessions]
        calendar = [r for r in rule.rows if r.away is None]
        missed = sum(r.tenths for r in short if r.away is None) / WEEK_TENTHS
        mondays = sorted(w for r in short if r.away is None for w in r.weeks)
        shown = ", ".join(f"{w:%d %b}" for w in mondays[:SHOWN_WEEKS]) + (", …" if len(mondays) > SHOWN_WEEKS
                                                                          else "")
        k = rule.sessions
        words = (f"quorum of {k} on {'-'.join(rule.slot)}" if rule.slot else
                 f"{k} session{'s' if k > 1 else ''} a week")
        share = 1.0 - rule.allowed_tenths / (WEEK_TENTHS * 52)
        rows.append({"activity_id": activity_ids[rule.activity], "rule": words, "share_of_weeks": share,
                     "weeks_covered": sum(r.tenths for r in calendar) / WEEK_TENTHS - missed,
                     "weeks_missed": missed, "weeks_missed_mondays": shown,
                     "leave_weeks_uncovered": sum(r.tenths for r in short if r.away) / WEEK_TENTHS})
    return pd.DataFrame(rows, columns=list(COVER_COLUMNS))


def _links(pack: PlanningPack, allocation: pd.DataFrame) -> pd.DataFrame:
    if not pack.links:
        return _empty(LINK_COLUMNS)
    notes = link_notes(pack, allocation)
    group = {c.clinician_id: c.staff_group for c in pack.clinicians}
    weekly = _weekly(allocation)
    rows = []
    for link in pack.links:
        cells = [(c, d, p) for c, d, p, a in zip(*(weekly[k].astype(str) for k in (
            "clinician_id", "day", "period", "activity_id")), strict=True)
            if a == link.activity_id and link.performer_group in (None, group.get(c))]
        with_link = sum(1 for key in cells if key in notes and not notes[key].startswith("no "))
        who = link.linked_group or "a clinician"
        holding = f" ({link.linked_activity_id})" if link.linked_activity_id else ""
        role = (f"{link.count:g} {who} on {link.linked_activity_id} in the slot" if link.mode == "dedicated"
                else f"{link.count:g} {who} present{holding}")
        rows.append({"activity_id": link.activity_id, "performer": link.performer_group or "anyone",
                     "needs": role, "sessions_per_week": float(len(cells)),
                     "sessions_with_link": float(with_link)})
    return pd.DataFrame(rows, columns=list(LINK_COLUMNS))


def _sites(pack: PlanningPack, allocation: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    where = activity_sites(pack)
    if not any(where.values()):
        return _empty(SITE_COLUMNS), ""
    weeks = (allocation["week"].astype(str) if "week" in allocation.columns
             else pd.Series("", index=allocation.index))
    count: dict[str, float] = defaultdict(float)
    acts: dict[str, set[str]] = defaultdict(set)
    halves = (allocation["half"].fillna("").astype(str) if "half" in allocation.columns
              else pd.Series("", index=allocation.index))
    for aid, week, half in zip(allocation["activity_id"].astype(str), weeks, halves, strict=True):
        site = where.get(aid)
        if site:  # a week A / B cell or a 2-hour half counts half a session a week
            count[site] += 0.5 if week in ("A", "B") or half not in ("", "nan") else 1.0
            acts[site].add(aid)
    for site in sorted({s for s in where.values() if s}):
        count.setdefault(site, 0.0)
    frame = pd.DataFrame([{"site": s, "sessions_per_week": count[s], "activities": ", ".join(sorted(acts[s]))}
                          for s in sorted(count)], columns=list(SITE_COLUMNS))
    travel = travel_minutes(pack)
    pairs = sorted({tuple(sorted(k)) for k in travel})
    text = "; ".join(f"{a}–{b} {travel[(a, b)]:g} minutes" for a, b in pairs)
    allowance = pack.settings.travel_minutes_between_sessions
    text = (f"Travel: {text}. " if text else "No travel times given: sites cannot be mixed in a day. ") + \
        f"A clinician changes site between two sessions of a day only within {allowance:g} minutes."
    return frame, text
