r"""Linked sessions (issue 19 item 3): a session of one activity needs other clinicians in the same slot.

A row of the pack's ``links`` table (:class:`~capacity_planner.pack.model.Link`) says that each session of
activity :math:`a` run by a clinician of the *performer group* :math:`P` (every clinician when blank)
needs :math:`k = p/q` clinicians of the *linked group* :math:`G` (any when blank) in the same slot (day
and period, every week), either

* ``present``: working any session in that slot that is not external duties (ED: away from the trust),
  and holding the role ``linked_activity_id`` when given (a skills row, or a current job-plan cell, for
  it): e.g. a consultant supervising a nurse's minor-ops list from the clinic next door; or
* ``dedicated``: doing a session of ``linked_activity_id`` in that slot: e.g. an anaesthetist's
  anaesthesia session for each theatre list.

The rule, per link :math:`\ell` and slot :math:`s` (docs/method.md, "Linked sessions"):

.. math::

    p \sum_{c \in P} (x_{csa} + h_{csa}) \;\le\; q \sum_{c \in G} \sum_{b \in B_{\ell c}} x_{csb}

with :math:`B_{\ell c}` the activities that count as clinician *c* being there: the linked activity
(dedicated), or every activity but ED ones and, for a clinician who is also a performer, :math:`a` itself
(present; a list cannot supervise itself). Alternate-week cells are counted conservatively without week
labels: a needing cell on alternate weeks counts as a weekly one, a linked cell on alternate weeks is not
counted (so every week holds whatever the labels). No ``links`` table: no rule, the model is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from capacity_planner.pack.model import PlanningPack
    from capacity_planner.solver.problem import AllocationProblem

EXCLUDED_CATEGORIES = ("ED",)  # external duties are away from the trust: not "present"


@dataclass(frozen=True, slots=True)
class LinkRule:
    """One ``links`` row in model indices.

    Attributes
    ----------
    row : int
        Position of the row in ``pack.links`` (0-based).
    a : int
        The activity whose sessions need the link.
    performers : frozenset of int
        Clinicians whose sessions of ``a`` need it (the performer group, or everyone).
    linked : frozenset of int
        Clinicians who may be linked in (the linked group, holding the role in present mode).
    target : int or None
        Dedicated: the linked activity; None: present.
    count : Fraction
        Linked clinicians needed per session, :math:`p/q`.
    label : str
        The rule in words (:attr:`capacity_planner.pack.model.Link.label`).
    who : str
        Whom it needs, in words ("consultant", "anaesthetist doing anaesthesia").
    """

    row: int
    a: int
    performers: frozenset[int]
    linked: frozenset[int]
    target: int | None
    count: Fraction
    label: str
    who: str

    def counts_as_present(self, c: int, b: int, category: str) -> bool:
        """Whether clinician ``c`` doing activity ``b`` (of ``category``) in a slot is there for this link."""
        if c not in self.linked:
            return False
        if self.target is not None:
            return b == self.target
        if category in EXCLUDED_CATEGORIES:
            return False
        return not (b == self.a and c in self.performers)  # a needing session is not its own link


def service_members(pack: PlanningPack) -> dict[str, set[str]]:
    """Service -> the clinicians who work in it (a skill or a current job-plan cell in one of its activities).
    A link in a named service is met only by its own clinicians: a supervisor on site is a colleague of
    the service, not any consultant of the trust (docs/method.md, "Linked sessions")."""
    service = {a.activity_id: a.service for a in pack.activities if a.service}
    out: dict[str, set[str]] = {}
    for cid, aid in [(s.clinician_id, s.activity_id) for s in pack.skills] + \
            [(j.clinician_id, j.activity_id) for j in pack.job_plans]:
        if aid in service:
            out.setdefault(service[aid], set()).add(cid)
    return out


def _in_service(pack: PlanningPack, members: dict[str, set[str]], activity_id: str,
                clinician_id: str) -> bool:
    """Whether a clinician may meet a link of ``activity_id``: any clinician when it names no service."""
    service = next((a.service for a in pack.activities if a.activity_id == activity_id), None)
    return not service or clinician_id in members.get(service, set())


def link_rules(pack: PlanningPack, clinician_ids: tuple[str, ...], activity_ids: tuple[str, ...],
               skilled: frozenset[tuple[int, int]] | set[tuple[int, int]]) -> tuple[LinkRule, ...]:
    """The pack's links in model indices (empty without a ``links`` table).

    Parameters
    ----------
    pack : PlanningPack
        The pack (its ``links`` and clinicians' staff groups).
    clinician_ids, activity_ids : tuple of str
        The planned clinicians and activities, in model order.
    skilled : set of (int, int)
        (clinician, activity) pairs a clinician may do (skills rows and current job-plan cells).

    Returns
    -------
    tuple of LinkRule
        One per ``links`` row whose activity is planned here.
    """
    if not pack.links:
        return ()
    group = {c.clinician_id: c.staff_group for c in pack.clinicians}
    members = service_members(pack)
    act_of = {aid: i for i, aid in enumerate(activity_ids)}
    out = []
    for row, link in enumerate(pack.links):
        if link.activity_id not in act_of:
            continue  # another part's activity (a split pack)
        a = act_of[link.activity_id]
        role = act_of.get(link.linked_activity_id) if link.linked_activity_id else None
        if link.linked_activity_id and role is None:
            role = -1  # the role's activity is not planned here: nobody holds it
        performers = frozenset(c for c, cid in enumerate(clinician_ids)
                               if link.performer_group in (None, group.get(cid)))
        linked = frozenset(c for c, cid in enumerate(clinician_ids)
                           if link.linked_group in (None, group.get(cid))
                           and (role is None or (c, role) in skilled)
                           and _in_service(pack, members, link.activity_id, cid))
        dedicated = link.mode == "dedicated"
        who = " ".join(x for x in (link.linked_group, link.linked_activity_id) if x)
        if dedicated:
            who = f"{link.linked_group or 'clinician'} doing {link.linked_activity_id}"
        out.append(LinkRule(row, a, performers, linked, role if dedicated else None,
                            Fraction(round(link.count * 100), 100), link.label, who))
    return tuple(out)


def link_driven(links: tuple[LinkRule, ...], demand: dict[int, int], fixed: set[int],
                categories: tuple[str, ...]) -> frozenset[int]:
    """Activities whose sessions only the links need: the linked activity of a dedicated link with no
    referral demand and no fixed requirement of its own, and not SPA, ANR or ED (their own rules hold
    them); an anaesthesia session is there for a theatre list. Their no-surplus cap is per slot
    (``Constraints.linked_sessions``): no more of them in a slot than the dedicated links there need,
    rounded up.

    Parameters
    ----------
    links : tuple of LinkRule
        The problem's links.
    demand : dict of int to int
        Referral demand per activity (week units a year).
    fixed : set of int
        Activities with a fixed requirement.
    categories : tuple of str
        Each activity's category, in model order.
    """
    targets = {r.target for r in links if r.target is not None and r.target >= 0}
    return frozenset(b for b in targets if demand.get(b, 0) <= 0 and b not in fixed
                     and categories[b] not in ("SPA", "ANR", "ED"))


def locked_link_reasons(problem: AllocationProblem) -> list[str]:
    """Sound, solver-free reasons a link cannot hold: in a slot, locked (or pinned) sessions that need the
    link outnumber, at the link's count, the linked clinicians who could be there at all (with an option
    in that slot that counts for the link). Empty when none (which proves nothing).

    Parameters
    ----------
    problem : AllocationProblem
        The integerised problem.

    Returns
    -------
    list of str
        One sentence per (link, slot), e.g. ``"Tue-AM: N's locked minor_ops session needs 1 consultant
        present (minor_ops (nurse) needs 1 consultant present), but no consultant can be there"``.
    """
    p = problem
    out: list[str] = []
    forced = {**{key: p.current[key] for key in p.locked}, **p.pinned}
    for rule in p.links:
        for s, slot in enumerate(p.slots):
            mine = [(c, ss, b) for (c, ss), b in forced.items()] + sorted(p.locked_halves)
            who = sorted(c for c, ss, b in mine if ss == s and b == rule.a and c in rule.performers)
            if not who:
                continue
            could = [c for c in sorted(rule.linked) if any(
                rule.counts_as_present(c, b, p.activities[b].category) for b in p.options.get((c, s), ()))]
            if rule.count * len(who) > len(could):
                names = ", ".join(p.clinicians[c].clinician_id for c in who)
                many = "session needs" if len(who) == 1 else "sessions need"
                there = ("nobody" if not could else
                         ", ".join(p.clinicians[c].clinician_id for c in could) + " only")
                need = float(rule.count * len(who))
                out.append(f"{slot.label}: {names}'s locked {p.activities[rule.a].activity_id} {many} "
                           f"{need:g} {rule.who} in the slot ({rule.label}), but {there} can be there")
    return out


def describe_link(problem: AllocationProblem, rule: str, subject: tuple[object, ...]) -> str:
    """A guarded link rule instance in words (for the explanation's assumption core)."""
    p = problem
    s = int(subject[1])  # type: ignore[call-overload]
    if rule == "link_driven":
        b = int(subject[0])  # type: ignore[call-overload]
        return (f"{p.activities[b].activity_id} on {p.slots[s].label} may not be planned beyond the sessions "
                f"its links need there")
    link = p.links[int(subject[0])]  # type: ignore[call-overload]
    return (f"each {p.activities[link.a].activity_id} session on {p.slots[s].label} needs "
            f"{float(link.count):g} {link.who} in the slot ({link.label})")


def link_edges(pack: PlanningPack) -> list[tuple[tuple[str, str], tuple[str, str]]]:
    """The links between an activity and the clinicians (and linked activity) its ``links`` rows name, as
    (("a", activity_id), ("c", clinician_id) or ("a", activity_id)) pairs, so that a split pack keeps a
    needing activity in the part of everyone who may be linked to it
    (:func:`capacity_planner.solver.decompose.find_parts`). A link to a whole staff group joins the
    clinicians of that group who work in the activity's service (every one when it names no service)."""
    if not pack.links:
        return []
    holds = {(s.clinician_id, s.activity_id) for s in pack.skills}
    holds |= {(j.clinician_id, j.activity_id) for j in pack.job_plans}
    out: list[tuple[tuple[str, str], tuple[str, str]]] = []
    members = service_members(pack)
    known = set(pack.activity_ids)
    for link in pack.links:
        if link.activity_id not in known:
            continue  # a link to an activity the pack does not plan joins nothing
        if link.linked_activity_id:
            out.append((("a", link.activity_id), ("a", link.linked_activity_id)))
        for c in pack.clinicians:
            if link.linked_group not in (None, c.staff_group):
                continue
            if link.linked_activity_id and (c.clinician_id, link.linked_activity_id) not in holds:
                continue
            if not _in_service(pack, members, link.activity_id, c.clinician_id):
                continue
            out.append((("a", link.activity_id), ("c", c.clinician_id)))
    return out


def blocking_links(problem: AllocationProblem, cells: Mapping[tuple[int, int], int],
                   halves: list[tuple[int, int, str, int]], c: int, s: int, a: int) -> list[LinkRule]:
    """The links that one more session of ``a`` by clinician ``c`` in slot ``s`` would break in a plan
    (its weekly ``cells`` and alternate-week ``halves``, read as the model reads them: a needing cell on
    alternate weeks counts as weekly, a linked one not at all). For the gap reasons.

    Parameters
    ----------
    problem : AllocationProblem
        The integerised problem.
    cells : mapping
        (clinician, slot) -> activity of the plan's weekly cells.
    halves : list of (clinician, slot, week, activity)
        The plan's alternate-week cells.
    c, s, a : int
        The session that would be added.
    """
    out = []
    for rule in problem.links:
        if rule.a != a or c not in rule.performers:
            continue
        needing = 1 + sum(1 for (cc, ss), b in cells.items() if ss == s and b == a and cc in rule.performers)
        needing += len({cc for cc, ss, _, b in halves if ss == s and b == a and cc in rule.performers})
        there = sum(1 for (cc, ss), b in cells.items() if ss == s and cc != c
                    and rule.counts_as_present(cc, b, problem.activities[b].category))
        if rule.count * needing > there:
            out.append(rule)
    return out
