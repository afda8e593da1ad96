"""Why the rules cannot all hold, in plain words naming clinicians, rules and numbers.

Two stages:

1. :func:`presolve_reasons` — arithmetic checks that prove infeasibility without a solver (each is a
   necessary condition of the model, so a reason reported here is always a true reason): locked sessions
   plus SPA floor above contracted PAs, too few available skilled slots to reach contracted PAs, a
   fixed requirement needing more skilled available clinicians than exist, and so on.
2. :func:`explain_infeasible` — every rule instance (a rule for one clinician, slot or requirement) is
   guarded by an assumption literal; CP-SAT's ``sufficient_assumptions_for_infeasibility`` returns a set
   of rules that cannot hold together, which a deletion filter then shrinks to a minimal set (dropping
   each rule in turn and keeping it only if the rest become feasible), within a time budget.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from capacity_planner.interrupts import run_stoppable
from capacity_planner.solver.links import describe_link, locked_link_reasons
from capacity_planner.solver.model import AllocationModel
from capacity_planner.solver.problem import PA_SCALE, AllocationProblem
from capacity_planner.solver.sites import describe_site_rule

if TYPE_CHECKING:
    from capacity_planner.solver.constraints import RuleKey
    from capacity_planner.solver.records import FixedSlot

CORE_HEADER_MINIMAL = (
    "No plan can keep all of these rules at once; relaxing any one of them would allow a plan:"
)
CORE_HEADER = "No plan can keep all of these rules at once:"


def _n(units: float, scale: int = PA_SCALE) -> str:
    """A PA quantity for people: 1.5, 10, 1.33."""
    value = round(units / scale, 2)
    return f"{value:g}"


def _pa(units: float, adjective: str = "") -> str:
    """``1.5 PAs``, ``1 PA``, ``10 contracted PAs``."""
    text = _n(units)
    words = f"{adjective} PA" if adjective else "PA"
    return f"{text} {words}" if text == "1" else f"{text} {words}s"


def _sessions(n: float) -> str:
    """``1 session``, ``0.5 sessions``."""
    return f"{n:g} session" if n == 1 else f"{n:g} sessions"


def _names(ids: list[str], limit: int = 6) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


# ---- stage 1: arithmetic checks -------------------------------------------------------------------
class _Index:
    """Look-ups the pre-checks need, built in one pass over the problem's options and locked cells, so
    every check is linear in the problem's size (issue 16: scanning every clinician for every requirement
    and slot grew with requirements x clinicians^2 and took 20 minutes on a 1,000-clinician trust)."""

    def __init__(self, p: AllocationProblem):
        self.candidates: dict[tuple[int, int], list[int]] = {}  # (activity, slot) -> clinicians, in order
        self.slots_of: dict[int, list[int]] = {}  # clinician -> slots with options, in order
        for (c, s), acts in sorted(p.options.items()):
            self.slots_of.setdefault(c, []).append(s)
            for a in acts:
                self.candidates.setdefault((a, s), []).append(c)
        self.locked_of: dict[int, list[int]] = {}  # clinician -> locked slots, sorted
        self.locked_room: dict[tuple[str | None, int], list[int]] = {}  # (room type, slot) -> clinicians
        for c, s in sorted(p.locked):
            self.locked_of.setdefault(c, []).append(s)
            self.locked_room.setdefault((p.activities[p.current[(c, s)]].room_type, s), []).append(c)
        self.skilled_in: dict[int, list[int]] = {}  # activity -> skilled clinicians, sorted
        for c, a in sorted(p.skilled):
            self.skilled_in.setdefault(a, []).append(c)


def presolve_reasons(problem: AllocationProblem) -> list[str]:
    """Sound, solver-free infeasibility checks; an empty list proves nothing. Linear in the problem's size
    (options, locked cells, requirements and rooms) after one index pass."""
    index = _Index(problem)
    out: list[str] = []
    for c in range(problem.n_clinicians):
        out += _clinician_checks(problem, c, index)
        out += _floor_checks(problem, c, index)
    out += _requirement_checks(problem, index)
    out += _room_checks(problem, index)
    out += locked_link_reasons(problem)
    return out


def _clinician_checks(p: AllocationProblem, c: int, index: _Index) -> list[str]:
    ci = p.clinicians[c]
    cid = ci.clinician_id
    out: list[str] = []
    ceiling = ci.contracted + ci.apa_cap
    limit_text = _pa(ci.contracted, "contracted")
    if ci.apa_cap:
        limit_text += f" plus {_pa(ci.apa_cap, 'additional')} allowed"
    locked = index.locked_of.get(c, [])
    locked_annual = locked_spa = 0
    weeks = ci.working_weeks
    for s in locked:
        a0 = p.current[(c, s)]
        act = p.activities[a0]
        annual = p.pas(c, s, a0) * p.current_weeks[(c, s)]
        locked_annual += annual
        if act.category == "SPA":
            locked_spa += annual
        label = p.slots[s].label
        if a0 in p.options.get((c, s), ()):
            continue
        if p.slots[s].premium and not ci.out_of_hours_opt_in and act.category != "ONCALL":
            out.append(
                f"{cid}: the locked {label} session ({act.activity_id}) is out of hours, "
                f"but {cid} has not opted in to out-of-hours work (required for non-emergency work)"
            )
        else:
            out.append(f"{cid}: the locked {label} session ({act.activity_id}) falls in a slot "
                       f"{cid} does not work")
    if locked_spa > ci.spa_ceiling:
        out.append(f"{cid}: locked SPA sessions {_pa(locked_spa / weeks)} exceed the SPA ceiling of "
                   f"{_pa(ci.spa_ceiling / weeks)} (max_spa_pas)")
    spa_more = max(0, ci.spa_floor * weeks - locked_spa)
    if locked and locked_annual + spa_more + ci.oncall * weeks > ceiling * weeks:
        parts = [f"locked sessions {_pa(locked_annual / weeks)}"]
        if ci.oncall:
            parts.append(f"on-call {_pa(ci.oncall)}")
        if spa_more:
            parts.append(
                f"SPA floor {_pa(ci.spa_floor)}"
                if not locked_spa
                else f"{_pa(spa_more / weeks)} more SPA to reach the floor of {_pa(ci.spa_floor)}"
            )
        out.append(f"{cid}: {' + '.join(parts)} exceed {limit_text}")
    elif not locked and ci.spa_floor + ci.oncall > ceiling:
        out.append(f"{cid}: on-call {_pa(ci.oncall)} + SPA floor {_pa(ci.spa_floor)} exceed {limit_text}")
    usable = index.slots_of.get(c, [])
    if ci.spa_floor > 0:
        spa_most = sum(
            max((p.annual(c, s, a) for a in p.options[(c, s)] if p.activities[a].category == "SPA"),
                default=0)
            for s in usable
        )
        if spa_most == 0:
            out.append(
                f"{cid}: needs at least {_pa(ci.spa_floor)} of SPA but is not skilled in any SPA "
                f"activity (add a skills row such as '{cid},<SPA activity>')"
            )
        elif spa_most < ci.spa_floor * weeks:
            out.append(
                f"{cid}: needs at least {_pa(ci.spa_floor)} of SPA but can be given at most "
                f"{_pa(spa_most / weeks)} of SPA in the slots they work"
            )
    return out


def _floor_checks(p: AllocationProblem, c: int, index: _Index) -> list[str]:
    """Per-clinician time (skills.min_sessions_per_week) that cannot hold: more weeks of the activity than
    the slots the clinician works can give, or its PAs with the SPA floor and on-call above contracted PAs
    (both necessary conditions of the model)."""
    ci = p.clinicians[c]
    cid, weeks = ci.clinician_id, ci.working_weeks
    out: list[str] = []
    floor_pas = 0
    for (cc, a), need in sorted(p.skill_floors.items()):
        if cc != c:
            continue
        aid, k = p.activities[a].activity_id, _sessions(need / weeks)
        slots = [s for s in index.slots_of.get(c, []) if a in p.options[(c, s)]]
        most = sum(p.weeks(c, s, a) for s in slots) + sum(
            p.half_weeks(c) for (cc2, _), acts in p.halves.items() if cc2 == c and a in acts)
        if most < need:
            where = (f"can be given at most {_sessions(most / weeks)} in the slots they work" if slots else
                     f"works no slot where they can do {aid} (skills, availability, out-of-hours opt-in)")
            out.append(f"{cid}: must keep {k} a week of {aid} (skills.min_sessions_per_week) but "
                       f"{where}")
        elif slots and p.activities[a].category != "SPA":
            floor_pas += need * min(p.pas(c, s, a) for s in slots)
    spa_oncall = (ci.spa_floor + ci.oncall) * weeks
    if floor_pas and floor_pas + spa_oncall > (ci.contracted + ci.apa_cap) * weeks:
        parts = [f"the sessions they must keep (skills.min_sessions_per_week) {_pa(floor_pas / weeks)}"]
        parts += [f"SPA floor {_pa(ci.spa_floor)}"] if ci.spa_floor else []
        parts += [f"on-call {_pa(ci.oncall)}"] if ci.oncall else []
        allowed = f" plus {_pa(ci.apa_cap, 'additional')} allowed" if ci.apa_cap else ""
        out.append(f"{cid}: {' + '.join(parts)} exceed {_pa(ci.contracted, 'contracted')}{allowed}")
    return out


def _skilled_free(p: AllocationProblem, a: int, s: int, index: _Index) -> list[int]:
    """Clinicians skilled in ``a`` who work slot ``s``, whatever their out-of-hours opt-in."""
    return [c for c in index.skilled_in.get(a, []) if (c, s) not in p.unavailable]


def rota_text(p: AllocationProblem, req: FixedSlot) -> str:
    """``oncall on Mon-EVE is a 1-in-6 on-call rota (6 members, each on call 8.67 weeks a year)``."""
    weeks = p.rota_weeks[(req.s, req.a)] / p.week_scale
    heads = f"{req.min_clinicians} on call at once, " if req.min_clinicians > 1 else ""
    members = "1 member" if req.rota == 1 else f"{req.rota} members"
    return (f"{p.activities[req.a].activity_id} on {p.slots[req.s].label} is a 1-in-{req.rota} on-call "
            f"rota ({heads}{members}, each on call {weeks:.3g} weeks a year)")


def _rota_short(p: AllocationProblem, req: FixedSlot, who: list[str], index: _Index) -> str:
    """Fewer eligible clinicians than the rota's N, in plain words: who could join and why others cannot
    (not skilled, not working that slot, or fewer working weeks than a member's on-call weeks)."""
    weeks = p.rota_weeks[(req.s, req.a)] / p.week_scale
    have = f"only {len(who)} ({_names(who)})" if who else "nobody"
    short = [c for c in _skilled_free(p, req.a, req.s, index)
             if p.clinicians[c].working_weeks < p.rota_weeks[(req.s, req.a)]]
    why = "; ".join(f"{p.clinicians[c].clinician_id} works {p.clinicians[c].working_weeks / p.week_scale:g}"
                    for c in short)
    return (f"{rota_text(p, req)}: it needs {req.rota}, but {have} "
            f"{'is' if len(who) <= 1 else 'are'} skilled in {p.activities[req.a].activity_id}, available "
            f"then and working at least {weeks:.3g} weeks a year{f' ({why})' if why else ''}; add members "
            f"(skills) or shorten the rota (rota_size)")


def _requirement_checks(p: AllocationProblem, index: _Index) -> list[str]:
    out: list[str] = []
    for req in p.fixed_slots:
        act, slot = p.activities[req.a].activity_id, p.slots[req.s].label
        candidates = index.candidates.get((req.a, req.s), [])
        who = [p.clinicians[c].clinician_id for c in candidates]
        if req.rota is not None:
            if len(who) < req.rota:
                out.append(_rota_short(p, req, who, index))
            continue
        if len(who) < req.min_clinicians and p.slots[req.s].premium and \
                p.activities[req.a].category != "ONCALL":
            outside = [p.clinicians[c].clinician_id for c in _skilled_free(p, req.a, req.s, index)
                       if not p.clinicians[c].out_of_hours_opt_in]
            if outside:
                have = f"only {len(who)} ({_names(who)})" if who else "none"
                out.append(
                    f"{act} on {slot} needs at least {req.min_clinicians} clinicians out of hours, but "
                    f"{have} of those skilled in {act} {'has' if len(who) == 1 else 'have'} opted in to "
                    f"out-of-hours work ({_names(outside)} {'has' if len(outside) == 1 else 'have'} not)"
                )
                continue
        if req.attendance is not None and len(who) >= req.min_clinicians:
            most = sum(p.clinicians[c].working_weeks for c in candidates)
            if most < req.attendance:
                out.append(
                    f"{act} on {slot} needs an expected attendance of {req.min_clinicians} clinicians "
                    f"({req.attendance / p.week_scale:g} clinician-weeks a year, leave counted), but the "
                    f"{len(who)} skilled and available ({_names(who)}) work {most / p.week_scale:g} weeks "
                    f"a year between them"
                )
            continue
        if len(who) < req.min_clinicians:
            have = f"only {len(who)} ({_names(who)})" if who else "no clinician"
            out.append(
                f"{act} on {slot} needs at least {req.min_clinicians} clinicians, but {have} "
                f"{'is' if len(who) <= 1 else 'are'} skilled in {act} and available then"
            )
    for weekly in p.fixed_weekly:
        act = p.activities[weekly.a].activity_id
        slots_of: dict[int, int] = {}  # clinician -> slots they could give this activity
        for s in range(len(p.slots)):
            for c in index.candidates.get((weekly.a, s), []):
                slots_of[c] = slots_of.get(c, 0) + 1
        most = sum(min(n, p.skill_caps.get((c, weekly.a), n)) for c, n in slots_of.items())
        if most < weekly.sessions:
            out.append(
                f"{act} needs at least {weekly.sessions} sessions a week, but skilled clinicians can "
                f"give at most {most}"
            )
    return out


def _room_checks(p: AllocationProblem, index: _Index) -> list[str]:
    out: list[str] = []
    for (room, s), cap in sorted(p.rooms.items()):
        locked = [p.clinicians[c].clinician_id for c in index.locked_room.get((room, s), [])]
        if len(locked) > cap:
            out.append(
                f"{p.slots[s].label}: {len(locked)} locked sessions need a {room} "
                f"({_names(locked)}) but only {cap} {'is' if cap == 1 else 'are'} available"
            )
    return out


# ---- stage 2: assumption cores --------------------------------------------------------------------
_CLINICIAN_RULES = ("contracted_pas", "spa_floor", "spa_ceiling", "roles_kept", "out_of_hours_opt_in",
                    "out_of_hours_share", "locked", "pinned", "evening_rest", "sessions_per_day",
                    "weekly_rest", "skill_cap", "skill_floor")


def describe_rule(p: AllocationProblem, key: RuleKey) -> str:
    """One guarded rule instance in words, with its numbers."""
    subject = key.subject
    if key.rule in _CLINICIAN_RULES:
        return _describe_clinician_rule(p, key)
    if key.rule == "rooms":
        room, s = str(subject[0]), int(subject[1])  # type: ignore[call-overload]
        cap = p.rooms[(room, s)]
        return f"only {cap} {room} {'room is' if cap == 1 else 'rooms are'} available on {p.slots[s].label}"
    if key.rule == "fixed_slot":
        req = p.fixed_slots[int(subject[0])]  # type: ignore[call-overload]
        if req.rota is not None:
            return f"{rota_text(p, req)} needs exactly {req.rota} members"
        if req.attendance is not None:
            return (f"{p.activities[req.a].activity_id} on {p.slots[req.s].label} needs an expected "
                    f"attendance of at least {req.min_clinicians} clinicians, leave counted "
                    f"({req.attendance / p.week_scale:g} clinician-weeks a year)")
        return (
            f"{p.activities[req.a].activity_id} on {p.slots[req.s].label} needs at least "
            f"{req.min_clinicians} clinicians"
        )
    if key.rule == "fixed_weekly":
        req_w = p.fixed_weekly[int(subject[0])]  # type: ignore[call-overload]
        return f"{p.activities[req_w.a].activity_id} needs at least {req_w.sessions} sessions a week"
    if key.rule == "no_surplus":
        a = int(subject[0])  # type: ignore[call-overload]
        cap = p.supply_cap(a) or 0
        return (f"{p.activities[a].activity_id} may not be planned a session beyond the largest of its need, "
                f"its current supply and its fixed requirements (under {(cap + 1) / p.week_scale:g} "
                f"session-weeks a year)")
    if key.rule in ("links", "link_driven"):
        return describe_link(p, key.rule, subject)
    if key.rule == "additional_pas_total":
        return f"the team may take at most {_pa(p.apa_total_cap or 0)} additional in total"
    if key.rule == "extra_cost_cap":
        return (f"additional PAs and bought sessions may cost at most "
                f"£{(p.extra_cost_cap or 0) / PA_SCALE:,.0f} a year")
    if key.rule == "sites":  # sites and travel (solver/sites.py)
        return describe_site_rule(p, subject)
    return f"{key.rule} {list(subject)}"



def _describe_clinician_rule(p: AllocationProblem, key: RuleKey) -> str:
    """A rule of one clinician (:data:`_CLINICIAN_RULES`) in words."""
    subject = key.subject
    c = int(subject[0])  # type: ignore[call-overload]
    ci = p.clinicians[c]
    cid = ci.clinician_id
    slots = [s for s in range(len(p.slots)) if (c, s) in p.options]
    if key.rule == "contracted_pas":
        extra = f", at most {_pa(ci.apa_cap)} additional" if ci.apa_cap else ", no additional PAs allowed"
        oncall = f" ({_pa(ci.oncall)} of them on call)" if ci.oncall else ""
        return (
            f"{cid} must be given {_pa(ci.contracted)} a week{oncall}{extra}; {cid} works "
            f"{len(slots)} slots with an activity they are skilled in"
        )
    if key.rule == "spa_floor":
        return f"{cid} needs at least {_pa(ci.spa_floor)} of SPA a week"
    if key.rule == "spa_ceiling":
        most = _pa(ci.spa_ceiling / ci.working_weeks)
        return f"{cid} may have at most {most} of SPA a week (SPA ceiling)"
    if key.rule == "roles_kept":
        held = dict(ci.roles).get(str(subject[1]), 0)
        return (f"{cid} keeps the {subject[1]} time of their current job plan "
                f"({_pa(held / ci.working_weeks)} a week)")
    if key.rule == "sessions_per_day":
        return (f"{cid} may work at most {ci.max_sessions_per_day} sessions on {subject[1]} "
                f"(not opted in to out-of-hours work; solver.max_sessions_per_day)")
    if key.rule == "weekly_rest":
        return f"{cid} needs one day a week without sessions (24 hours' weekly rest)"
    if key.rule == "out_of_hours_opt_in":
        premium = [p.slots[s].label for s in slots if p.slots[s].premium]
        return f"{cid} has not opted in to out-of-hours work, so cannot work {_names(premium)}"
    if key.rule == "out_of_hours_share":
        share = ci.out_of_hours_share
        pct = f"{float(share) * 100:g} %" if share is not None else "the contractual share"
        oncall = f", on-call PAs included ({_pa(ci.oncall)})" if ci.oncall else ""
        return f"{cid} ({ci.contract}) may work at most {pct} of their PAs out of hours{oncall}"
    if key.rule == "locked":
        cells = [
            f"{p.slots[s].label} {p.activities[p.current[(cc, s)]].activity_id}"
            for (cc, s) in sorted(p.locked)
            if cc == c
        ]
        units = sum(p.pas(c, s, p.current[(c, s)]) * p.current_weeks[(c, s)]
                    for (cc, s) in p.locked if cc == c) / ci.working_weeks
        return f"{cid}'s locked sessions must stay ({', '.join(cells)}: {_pa(units)})"
    if key.rule == "pinned":
        fixed = [f"{p.slots[s].label} {p.activities[b].activity_id}"
                 for (cc, s), b in sorted(p.pinned.items()) if cc == c]
        return f"{cid}'s sessions locked or pinned for this re-plan must stay ({', '.join(fixed)})"
    if key.rule == "evening_rest":
        s = int(subject[1])  # type: ignore[call-overload]
        nxt = p.next_morning(s)
        morning = p.slots[nxt].label if nxt is not None else "the next morning"
        return (f"{cid} cannot work {morning} after a {p.slots[s].label} session "
                f"(11 hours' rest between working days)")
    a = int(subject[1])  # type: ignore[call-overload]
    if key.rule == "skill_floor":
        need = p.skill_floors[(c, a)] / ci.working_weeks
        return (f"{cid} must keep {_sessions(need)} a week of {p.activities[a].activity_id} "
                f"(skills.min_sessions_per_week)")
    return f"{cid} may do at most {p.skill_caps[(c, a)]} sessions of {p.activities[a].activity_id} a week"


def _infeasible(
    model: AllocationModel,
    literals: list[cp_model.IntVar],
    time_limit_s: float,
) -> tuple[bool | None, list[int]]:
    """Solve with ``literals`` assumed; (True, core indices) if infeasible, (False, []) if feasible,
    (None, []) if undecided within the limit."""
    model.cp.clear_assumptions()
    model.cp.add_assumptions(literals)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1  # assumptions need the sequential search (core extraction)
    solver.parameters.random_seed = 0
    solver.parameters.max_time_in_seconds = max(0.05, time_limit_s)
    solver.parameters.catch_sigint_signal = False  # Ctrl-C stops the run (capacity_planner.interrupts)
    status = run_stoppable(solver, lambda: solver.solve(model.cp))
    if status == cp_model.INFEASIBLE:
        return True, list(solver.sufficient_assumptions_for_infeasibility())
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return False, []
    return None, []


def infeasible_core(problem: AllocationProblem, *, time_limit_s: float = 10.0) -> tuple[list[RuleKey], bool]:
    """A set of rule instances that cannot hold together, and whether it is proven minimal."""
    deadline = time.perf_counter() + time_limit_s
    model = AllocationModel(problem, guarded=True)
    model.cp.clear_objective()
    assert model.guards is not None
    keys = list(model.guards.literals)
    lits = [model.guards.literals[k] for k in keys]
    index_of = {lit.index: i for i, lit in enumerate(lits)}
    verdict, core = _infeasible(model, lits, deadline - time.perf_counter())
    if not verdict:
        return [], False
    candidates = [index_of[i] for i in core if i in index_of] or list(range(len(keys)))
    confirmed: list[int] = []
    minimal = True
    while candidates:  # deletion filter: drop each rule whose removal leaves the rest infeasible
        if time.perf_counter() >= deadline:
            confirmed += candidates
            minimal = False
            break
        j = candidates.pop(0)
        verdict, sub = _infeasible(
            model, [lits[k] for k in confirmed + candidates], deadline - time.perf_counter()
        )
        if verdict:
            kept = {index_of[k] for k in sub if k in index_of}
            if kept:
                candidates = [k for k in candidates if k in kept]
        else:
            minimal = minimal and verdict is not None
            confirmed.append(j)
    chosen = sorted(confirmed)
    return [keys[j] for j in chosen], minimal


def explain_infeasible(problem: AllocationProblem, *, time_limit_s: float = 10.0) -> list[str]:
    """Plain-language reasons why no plan keeps every rule (empty if none found in time)."""
    reasons = presolve_reasons(problem)
    if reasons:
        return reasons
    core, minimal = infeasible_core(problem, time_limit_s=time_limit_s)
    if not core:
        return [
            "No plan keeps every rule, and no smaller set of conflicting rules was found in the time allowed"
        ]
    header = CORE_HEADER_MINIMAL if minimal else CORE_HEADER
    return [header, *(describe_rule(problem, k) for k in core)]
