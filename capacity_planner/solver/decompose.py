"""Split a pack into independent parts, and join the parts' plans into one (issue 16).

Two clinicians, activities or room types belong to the same *part* when a chain of links joins them:

- a clinician and an activity are linked by a ``skills`` row or a current ``job_plans`` cell;
- an activity and a room type are linked by the activity's ``room_type`` (the rooms of that type are shared);
- an activity and its ``follow_up_activity`` are linked;
- an activity and the clinicians (and linked activity) its ``links`` rows name are linked.

So a clinician who works in two services links them, and two services sharing a room type are one part.
Every rule of the allocation model is local to one clinician, one activity, one room type and slot, or a
sum over the clinicians skilled in one activity, except two trust-wide rules: ``Allowances.max_extra_cost``
(one budget for all extra capacity) and ``Allowances.additional_pas_total`` (one cap on additional PAs). With
either set, the pack is not split (:func:`coupling_rules`). The ``fairness`` level compares clinicians of a
staff group within each part (the spread of DCC shares between unrelated teams is not a rule of either).

Parts are ordered by their first activity in the pack and keep the pack's row order in every table, so
the join is the same however the parts were run. See docs/method.md, "Allocation: decomposition".
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from capacity_planner.demand.requirements import Requirements
from capacity_planner.solver.links import link_edges
from capacity_planner.solver.supply import planning_start

if TYPE_CHECKING:
    from capacity_planner.pack.model import PlanningPack
    from capacity_planner.solver.options import Allowances


@dataclass(frozen=True)
class Part:
    """One independent part of a pack.

    ``name`` is the service of its first activity (or the pack's name); ``clinician_ids`` and
    ``activity_ids`` are in pack order.
    """

    name: str
    clinician_ids: tuple[str, ...]
    activity_ids: tuple[str, ...]


class _UnionFind:
    """Disjoint sets over hashable nodes (path halving, union by size): near-linear in the links."""

    def __init__(self) -> None:
        self.parent: dict[object, object] = {}
        self.size: dict[object, int] = {}

    def add(self, node: object) -> None:
        if node not in self.parent:
            self.parent[node] = node
            self.size[node] = 1

    def find(self, node: object) -> object:
        self.add(node)
        while self.parent[node] != node:
            self.parent[node] = self.parent[self.parent[node]]
            node = self.parent[node]
        return node

    def union(self, a: object, b: object) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]


def coupling_rules(allowances: Allowances | None) -> list[str]:
    """The trust-wide rules that couple every part (empty: the pack may be split)."""
    if allowances is None:
        return []
    out = []
    if allowances.max_extra_cost is not None:
        out.append("max_extra_cost (one budget for all extra capacity)")
    if allowances.additional_pas_total is not None:
        out.append("additional_pas_total (one cap on additional PAs)")
    return out


def find_parts(pack: PlanningPack) -> list[Part]:
    """The connected components of clinicians, activities and room types (module docstring).

    A component with no activity or no clinician (someone skilled in nothing, an activity nobody can do)
    is joined to the first proper part: it is cheap and needs no model of its own. One part when there is
    no proper part at all.
    """
    uf = _UnionFind()
    for c in pack.clinicians:
        uf.add(("c", c.clinician_id))
    for a in pack.activities:
        uf.add(("a", a.activity_id))
        if a.room_type:
            uf.union(("a", a.activity_id), ("r", a.room_type))
        if a.follow_up_activity:
            uf.union(("a", a.activity_id), ("a", a.follow_up_activity))
    for s in pack.skills:
        uf.union(("c", s.clinician_id), ("a", s.activity_id))
    for j in pack.job_plans:
        uf.union(("c", j.clinician_id), ("a", j.activity_id))
    for x, y in link_edges(pack):  # linked sessions: an activity and whoever may be linked to it
        uf.union(x, y)
    order: list[object] = []
    acts: dict[object, list[str]] = {}
    clins: dict[object, list[str]] = {}
    service: dict[object, str] = {}
    for a in pack.activities:
        root = uf.find(("a", a.activity_id))
        if root not in acts:
            order.append(root)
            acts[root], clins[root] = [], []
            service[root] = a.service or pack.settings.name
        acts[root].append(a.activity_id)
    for c in pack.clinicians:
        root = uf.find(("c", c.clinician_id))
        if root not in acts:
            order.append(root)
            acts[root], clins[root] = [], []
            service[root] = pack.settings.name
        clins[root].append(c.clinician_id)
    proper = [r for r in order if acts[r] and clins[r]]
    if len(proper) <= 1:
        return [Part(pack.settings.name, tuple(c.clinician_id for c in pack.clinicians),
                     tuple(a.activity_id for a in pack.activities))]
    first = proper[0]
    for r in order:
        if r not in proper:
            acts[first] += acts[r]
            clins[first] += clins[r]
    position_c = {c.clinician_id: i for i, c in enumerate(pack.clinicians)}
    position_a = {a.activity_id: i for i, a in enumerate(pack.activities)}
    return [Part(service[r], tuple(sorted(clins[r], key=position_c.__getitem__)),
                 tuple(sorted(acts[r], key=position_a.__getitem__))) for r in proper]


def part_pack(pack: PlanningPack, part: Part) -> PlanningPack:
    """The pack restricted to one part: its clinicians, activities, their rows, and the rooms of its room
    types; slots, costs and settings are shared. The demand-history tables are emptied (the allocation
    reads demand from the requirements, not from them); the planning year's start and the part's leave
    rows are kept (weekday-true supply)."""
    clin, acts = set(part.clinician_ids), set(part.activity_ids)
    rooms = {a.room_type for a in pack.activities if a.activity_id in acts and a.room_type}
    # The planning year and the part's recorded leave stay: weekday-true supply reads them (a plan start
    # inferred from the referrals would be lost with them, and each part would fall back to the even
    # spread while the checker, reading the whole pack, counts weekday-true: found on the trust pack).
    start = planning_start(pack)
    leave = pack.leave.loc[pack.leave["clinician_id"].isin(clin)] if len(pack.leave) else pack.leave.iloc[0:0]
    return pack.replace(
        settings=dataclasses.replace(pack.settings, name=part.name,
                                     start=start if start is not None else pack.settings.start),
        activities=tuple(a for a in pack.activities if a.activity_id in acts),
        clinicians=tuple(c for c in pack.clinicians if c.clinician_id in clin),
        skills=tuple(s for s in pack.skills if s.clinician_id in clin and s.activity_id in acts),
        availability=tuple(a for a in pack.availability if a.clinician_id in clin),
        job_plans=tuple(j for j in pack.job_plans if j.clinician_id in clin),
        requirements=tuple(r for r in pack.requirements if r.activity_id in acts),
        waiting_list=tuple(w for w in pack.waiting_list if w.activity_id in acts),
        links=tuple(k for k in pack.links if k.activity_id in acts),
        rooms=tuple(r for r in pack.rooms if r.room_type in rooms),
        referrals=pack.referrals.iloc[0:0], appointments=pack.appointments.iloc[0:0],
        delivered=pack.delivered.iloc[0:0], leave=leave,
    )


def part_requirements(requirements: Requirements, part: Part) -> Requirements:
    """The requirements rows of the part's activities (row order kept)."""
    table = requirements.table
    return Requirements(table[table["activity_id"].isin(set(part.activity_ids))].reset_index(drop=True))


def split(pack: PlanningPack, requirements: Requirements, allowances: Allowances | None = None,
          ) -> list[tuple[Part, PlanningPack, Requirements]]:
    """The parts to solve: one (the whole pack, untouched) when a trust-wide rule is set or the pack is one
    component; else each part's pack and requirements."""
    if coupling_rules(allowances):
        parts = [Part(pack.settings.name, tuple(c.clinician_id for c in pack.clinicians),
                      tuple(a.activity_id for a in pack.activities))]
    else:
        parts = find_parts(pack)
    if len(parts) == 1:
        return [(parts[0], pack, requirements)]
    return [(p, part_pack(pack, p), part_requirements(requirements, p)) for p in parts]
