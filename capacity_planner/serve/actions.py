"""What the meeting can do to the plan on the screen, each action checked like pack input.

Actions (all frozen records; :func:`parse_action` builds one from the page's form and lists every problem
at once, naming the field, the value and what was expected; nothing changes when there is one):

* :class:`Lock` – keep a cell as it is on the screen;
* :class:`Pin` – put an activity in a cell and keep it there;
* :class:`Unavailable` – the clinician does not work that slot (the cell is emptied);
* :class:`Away` – the clinician is unavailable for the year (``active`` false, as a pack marks a clinician
  who is not in this year's plan: their sessions leave the plan and count in no gap or change);
* :class:`AdditionalPA` – the clinician may take one more additional PA a week (paid above the contract,
  costed as the ``cost`` level prices it; several within ``max_pas``), or one fewer;
* :class:`SetDemand` – an activity's required sessions a year, replacing the sized demand;
* :class:`SetPriority` – an activity's priority weight (1-1000, as in ``activities.priority``).

Locks and pins are kept by every later re-plan; a later action on the same cell replaces an earlier one.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from capacity_planner.errors import Problem
from capacity_planner.pack.model import Availability, PlanningPack
from capacity_planner.solver.options import Allowances

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from capacity_planner.demand.requirements import Requirements

SOURCE = "meeting page"
MAX_PRIORITY = 1000
MAX_SESSIONS_PER_YEAR = 100_000.0
KINDS = ("lock", "pin", "unavailable", "away", "add_pa", "remove_pa", "demand", "priority")


class Cell(NamedTuple):
    """One timetable cell: a clinician in a weekly slot."""

    clinician_id: str
    day: str
    period: str


@dataclass(frozen=True)
class Lock:
    """Keep ``cell`` as it is on the screen (``activity``)."""

    cell: Cell
    activity: str

    def describe(self) -> str:
        """The action in words (clinician IDs are relabelled by the page)."""
        return f"Lock {self.cell.clinician_id} {self.cell.day} {self.cell.period} as {self.activity}"


@dataclass(frozen=True)
class Pin:
    """Put ``activity`` in ``cell`` and keep it there."""

    cell: Cell
    activity: str

    def describe(self) -> str:
        """The action in words."""
        return f"Pin {self.activity} to {self.cell.clinician_id} {self.cell.day} {self.cell.period}"


@dataclass(frozen=True)
class Unavailable:
    """The clinician does not work ``cell``'s slot."""

    cell: Cell

    def describe(self) -> str:
        """The action in words."""
        return f"{self.cell.clinician_id} unavailable {self.cell.day} {self.cell.period}"


@dataclass(frozen=True)
class Away:
    """``clinician_id`` does not work any slot this year."""

    clinician_id: str

    def describe(self) -> str:
        """The action in words."""
        return f"{self.clinician_id} unavailable for the year"


@dataclass(frozen=True)
class AdditionalPA:
    """``clinician_id`` may take one more additional PA a week (``allowed``), or one fewer (not
    ``allowed``); several actions allow several, within the contract (``max_pas``)."""

    clinician_id: str
    allowed: bool = True

    def describe(self) -> str:
        """The action in words."""
        if self.allowed:
            return f"{self.clinician_id} may take one more additional PA a week"
        return f"{self.clinician_id} may take one additional PA fewer"


@dataclass(frozen=True)
class SetDemand:
    """``activity`` needs ``sessions_per_year`` session-weeks a year (replacing the sized demand)."""

    activity: str
    sessions_per_year: float

    def describe(self) -> str:
        """The action in words."""
        return f"Demand of {self.activity} set to {self.sessions_per_year:,.1f} sessions a year"


@dataclass(frozen=True)
class SetPriority:
    """``activity`` gets priority weight ``priority``."""

    activity: str
    priority: int

    def describe(self) -> str:
        """The action in words."""
        return f"Priority of {self.activity} set to {self.priority}"


Action = Lock | Pin | Unavailable | Away | AdditionalPA | SetDemand | SetPriority


# ---- the meeting's pack, demand and fixed cells -------------------------------------------------------
def fixed_cells(actions: Sequence[Action]) -> dict[Cell, str]:
    """Cell -> activity of every lock and pin in force (a later action on a cell replaces an earlier)."""
    out: dict[Cell, str] = {}
    for act in actions:
        if isinstance(act, Lock | Pin):
            out[act.cell] = act.activity
        elif isinstance(act, Unavailable):
            out.pop(act.cell, None)
        elif isinstance(act, Away):
            out = {k: a for k, a in out.items() if k.clinician_id != act.clinician_id}
    return out


def additional_pas(actions: Sequence[Action]) -> dict[str, int]:
    """Clinician -> additional PAs a week the meeting allows them (each action adds or removes one;
    clinicians left with none are not listed)."""
    count: dict[str, int] = {}
    for act in actions:
        if isinstance(act, AdditionalPA):
            count[act.clinician_id] = count.get(act.clinician_id, 0) + (1 if act.allowed else -1)
    return {c: n for c, n in sorted(count.items()) if n > 0}


def additional_pa_headroom(pack: PlanningPack) -> dict[str, float]:
    """Clinician -> additional PAs a week their contract allows (``max_pas - contracted_pas``, at least
    0), read by the solver's own rule (:func:`capacity_planner.solver.problem.additional_pa_caps` with no
    other cap), so the page allows exactly what the solver and the checker would."""
    from capacity_planner.solver.problem import additional_pa_caps

    caps, _ = additional_pa_caps(pack, Allowances(additional_pas_per_clinician=math.inf))
    return caps


def allowances(actions: Sequence[Action]) -> Allowances | None:
    """The solver allowances of the meeting: for each clinician the additional PAs a week the meeting
    allowed them, no other (None, the pack's own rule, when the meeting allowed none)."""
    count = additional_pas(actions)
    if not count:
        return None
    return Allowances(additional_pas_per_clinician=float(max(count.values())),
                      additional_pas_total=float(sum(count.values())), clinicians=frozenset(count),
                      clinician_caps=tuple((c, float(n)) for c, n in count.items()))


def meeting_pack(pack: PlanningPack, actions: Sequence[Action]) -> PlanningPack:
    """``pack`` with the meeting's unavailable slots and priorities applied (job plans unchanged)."""
    off = {act.cell for act in actions if isinstance(act, Unavailable)}
    away = {act.clinician_id for act in actions if isinstance(act, Away)}
    priority = {act.activity: act.priority for act in actions if isinstance(act, SetPriority)}
    if not off and not priority and not away:
        return pack
    availability = [a for a in pack.availability if Cell(a.clinician_id, a.day, a.period) not in off]
    availability += [Availability(c.clinician_id, c.day, c.period, False) for c in sorted(off)]
    activities = tuple(a if a.activity_id not in priority
                       else dataclasses.replace(a, priority=priority[a.activity_id]) for a in pack.activities)
    clinicians = tuple(dataclasses.replace(c, active=False) if c.clinician_id in away else c
                       for c in pack.clinicians)
    return pack.replace(availability=tuple(availability), activities=activities, clinicians=clinicians)


def demand_overrides(actions: Sequence[Action]) -> dict[str, float]:
    """Activity -> required sessions a year set in the meeting (the last setting of each wins)."""
    return {act.activity: act.sessions_per_year for act in actions if isinstance(act, SetDemand)}


def with_demand(requirements: Requirements, overrides: Mapping[str, float],
                pack: PlanningPack | None = None) -> Requirements:
    """Requirements with ``sessions_per_year`` replaced for the overridden activities, exactly as demand
    sizing applies ``activities.required_sessions_per_year``
    (:func:`capacity_planner.demand.sizing.set_required_sessions`; ``pack`` gives the PA values), so the
    agreed pack, which carries the meeting's demand in that column, sizes the same requirements."""
    from capacity_planner.demand.sizing import set_required_sessions

    pa_values = None if pack is None else {a.activity_id: a.pa_value for a in pack.activities}
    return set_required_sessions(requirements, overrides, pa_values)


# ---- parsing and checking the page's input ------------------------------------------------------------
def _problem(message: str, column: str, value: object) -> Problem:
    return Problem(SOURCE, message, None, column, "" if value is None else str(value))


def _cell(pack: PlanningPack, form: Mapping[str, str], problems: list[Problem]) -> Cell | None:
    clinician = form.get("clinician", "").strip()
    slot = form.get("slot", "").strip()
    ok = True
    if clinician not in pack.clinician_ids:
        problems.append(_problem("not a clinician of the pack; choose one from the list", "clinician",
                                 clinician))
        ok = False
    slots = {f"{s.day}-{s.period}": (s.day, s.period) for s in pack.slots}
    if slot not in slots:
        problems.append(_problem(f"not a slot of the pack; expected one of {', '.join(slots)}", "slot", slot))
        ok = False
    return Cell(clinician, *slots[slot]) if ok else None


def _activity(pack: PlanningPack, form: Mapping[str, str], problems: list[Problem]) -> str | None:
    activity = form.get("activity", "").strip()
    if activity not in pack.activity_ids:
        problems.append(_problem("not an activity of the pack; choose one from the list", "activity",
                                 activity))
        return None
    return activity


def _number(form: Mapping[str, str], problems: list[Problem], low: float, high: float,
            whole: bool) -> float | None:
    text = form.get("value", "").strip().replace(",", "")
    expected = f"a {'whole ' if whole else ''}number from {low:g} to {high:g}"
    try:
        value = float(text)
    except ValueError:
        problems.append(_problem(f"not a number; expected {expected}", "value", text))
        return None
    if not math.isfinite(value) or not low <= value <= high or (whole and value != int(value)):
        problems.append(_problem(f"out of range; expected {expected}", "value", text))
        return None
    return value


def skilled(pack: PlanningPack, clinician_id: str, activity_id: str) -> bool:
    """The clinician may do the activity: a skills row, or the current job plan shows they do it."""
    return any(s.clinician_id == clinician_id and s.activity_id == activity_id for s in pack.skills) or \
        any(j.clinician_id == clinician_id and j.activity_id == activity_id for j in pack.job_plans)


def parse_action(pack: PlanningPack, shown: Mapping[Cell, str], in_force: Sequence[Action],
                 demand_ids: Sequence[str], form: Mapping[str, str]) -> tuple[Action | None, list[Problem]]:
    """Build the action the page's form asks for, or list every problem with it.

    Parameters
    ----------
    pack : PlanningPack
        The meeting's pack (its unavailable slots and the pack's own locks are checked against).
    shown : mapping of Cell to str
        The timetable on the screen.
    in_force : sequence of Action
        Actions already taken or waiting for the next re-plan.
    demand_ids : sequence of str
        Activities with a row in the requirements (their demand can be set).
    form : mapping of str to str
        ``kind`` (lock, pin, unavailable, demand, priority) and its fields: ``clinician`` and ``slot``
        (``Mon-AM``) for cells, ``activity``, ``value``.

    Returns
    -------
    (Action or None, list of Problem)
        The action when there is no problem, else None and the problems (nothing is changed).
    """
    kind = form.get("kind", "").strip()
    problems: list[Problem] = []
    if kind not in KINDS:
        return None, [_problem(f"unknown action; expected one of {', '.join(KINDS)}", "kind", kind)]
    if kind in ("away", "add_pa", "remove_pa"):
        clinician = form.get("clinician", "").strip()
        if clinician not in pack.clinician_ids:
            return None, [_problem("not a clinician of the pack; choose one from the list", "clinician",
                                   clinician)]
        return _clinician_action(pack, in_force, kind, clinician)
    if kind in ("lock", "pin", "unavailable"):
        cell = _cell(pack, form, problems)
        activity = _activity(pack, form, problems) if kind == "pin" else None
        if cell is None or problems:
            return None, problems
        return _cell_action(pack, shown, in_force, kind, cell, activity)
    activity = _activity(pack, form, problems)
    if kind == "demand":
        value = _number(form, problems, 0.0, MAX_SESSIONS_PER_YEAR, whole=False)
        if activity is not None and activity not in demand_ids:
            problems.append(_problem("this activity has no sized demand to change", "activity", activity))
        if problems or activity is None or value is None:
            return None, problems
        return SetDemand(activity, value), []
    value = _number(form, problems, 1, MAX_PRIORITY, whole=True)
    if problems or activity is None or value is None:
        return None, problems
    return SetPriority(activity, int(value)), []


def _cell_action(pack: PlanningPack, shown: Mapping[Cell, str], in_force: Sequence[Action], kind: str,
                 cell: Cell, activity: str | None) -> tuple[Action | None, list[Problem]]:
    """Lock, pin or mark unavailable a checked cell, refusing what cannot hold."""
    where = f"{cell.clinician_id} {cell.day} {cell.period}"
    off = tuple(cell) in pack.unavailable_slots or any(
        isinstance(a, Unavailable) and a.cell == cell for a in in_force)
    locked_in_pack = any((j.clinician_id, j.day, j.period) == tuple(cell) and j.locked
                         for j in pack.job_plans)
    if kind == "unavailable":
        if off:
            return None, [_problem(f"{where} is already unavailable", "slot", f"{cell.day}-{cell.period}")]
        if locked_in_pack:
            return None, [_problem(f"{where} is locked in the pack's job plans; it cannot be unavailable",
                                   "slot", f"{cell.day}-{cell.period}")]
        if cell in fixed_cells(in_force):
            return None, [_problem(f"{where} is locked or pinned in this meeting; it cannot also be "
                                   "unavailable", "slot", f"{cell.day}-{cell.period}")]
        return Unavailable(cell), []
    if not pack.clinician(cell.clinician_id).active:
        return None, [_problem(f"{cell.clinician_id} is unavailable for the year", "clinician",
                               cell.clinician_id)]
    if off:
        return None, [_problem(f"{where}: the clinician does not work this slot", "slot",
                               f"{cell.day}-{cell.period}")]
    if locked_in_pack and kind == "pin":
        return None, [_problem(f"{where} is locked in the pack's job plans ({shown.get(cell, '')})",
                               "slot", f"{cell.day}-{cell.period}")]
    if kind == "lock":
        if cell not in shown:
            return None, [_problem(f"{where} is free on the screen; pin an activity to it instead", "slot",
                                   f"{cell.day}-{cell.period}")]
        return Lock(cell, shown[cell]), []
    assert activity is not None
    if not skilled(pack, cell.clinician_id, activity):
        return None, [_problem(f"{cell.clinician_id} has no skill for {activity} (skills table)", "activity",
                               activity)]
    return Pin(cell, activity), []


def _clinician_action(pack: PlanningPack, in_force: Sequence[Action], kind: str,
                      clinician: str) -> tuple[Action | None, list[Problem]]:
    """Away for the year, or one additional PA allowed or withdrawn, refusing what cannot hold."""
    allowed = additional_pas(in_force).get(clinician, 0)
    if kind == "add_pa":
        c = pack.clinician(clinician)
        headroom = additional_pa_headroom(pack)[clinician]
        if allowed + 1 > headroom + 1e-9:
            already = f"; {allowed} already allowed in this meeting" if allowed else ""
            return None, [_problem(f"{clinician}'s contract allows no further additional PA "
                                   f"({c.contracted_pas:g} contracted, at most {c.max_pas:g}{already})",
                                   "clinician", clinician)]
        return AdditionalPA(clinician, True), []
    if kind == "remove_pa":
        if not allowed:
            return None, [_problem(f"{clinician} has no additional PA allowed in this meeting", "clinician",
                                   clinician)]
        return AdditionalPA(clinician, False), []
    if any(isinstance(a, Away) and a.clinician_id == clinician for a in in_force) or \
            not pack.clinician(clinician).active:
        return None, [_problem(f"{clinician} is already unavailable for the year", "clinician", clinician)]
    if any(j.clinician_id == clinician and j.locked for j in pack.job_plans):
        return None, [_problem(f"{clinician} has sessions locked in the pack's job plans", "clinician",
                               clinician)]
    if any(k.clinician_id == clinician for k in fixed_cells(in_force)):
        return None, [_problem(f"{clinician} has cells locked or pinned in this meeting", "clinician",
                               clinician)]
    return Away(clinician), []
