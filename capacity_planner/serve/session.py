"""The meeting's state in plain Python (no web server): numbered plan versions, the actions taken, undo,
comparison of two versions and the agreed outputs.

A :class:`MeetingSession` starts from the pack's proposed plan (version 1, planned as ``capacity-planner
plan`` would). Actions (:mod:`capacity_planner.serve.actions`) wait until **Re-plan**, which solves from
the shown version keeping every lock and pin (:func:`capacity_planner.serve.replan.replan`) and adds the
next version; when the rules cannot all hold, or no plan is found in time, nothing changes and the reasons
are given. **Undo** drops the last version and the actions taken with it. **Agree** writes the agreed
version as a planning pack (its job plans, every cell locked), its meeting pack and the meeting record.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from capacity_planner.application import PlanOptions, PlanRun, plan_pack
from capacity_planner.errors import CapacityPlannerError, Problem
from capacity_planner.pack.model import JobPlanCell, PlanningPack
from capacity_planner.serve import actions as A
from capacity_planner.serve.actions import Cell
from capacity_planner.serve.replan import (
    cell_weeks,
    cells_of,
    changes_from_baseline,
    moved_cells,
    replan,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from capacity_planner.demand.pipeline import DemandResult

__all__ = ["MeetingError", "MeetingSession", "Version", "agreed_pack"]


class MeetingError(CapacityPlannerError):
    """An action or re-plan the meeting asked for cannot be done; ``problems`` say why (nothing changed)."""

    def __init__(self, problems: Sequence[Problem | str]):
        self.problems = [p if isinstance(p, Problem) else Problem(A.SOURCE, p) for p in problems]
        super().__init__("; ".join(p.message for p in self.problems))


@dataclass(frozen=True, eq=False)
class Version:
    """One numbered plan of the meeting.

    Attributes
    ----------
    number : int
        1 for the proposal, then one more per re-plan.
    run : PlanRun
        The plan measured against the current job plans (what the page and the meeting pack show).
    actions : tuple of Action
        Every action in force for this version (locks, pins, availability, demand, priorities).
    new_actions : tuple of Action
        The actions first taken in this version's re-plan.
    moved : tuple of Cell
        Cells whose activity differs from the version it was re-planned from (empty for version 1).
    seconds : float
        Wall-clock seconds the re-plan took (solve and check).
    solve_status : str
        ``optimal`` when every level was proven, ``feasible`` when the time limit cut a level short.
    solve_note : str
        The levels the time limit cut short with their relative gap (best found against the bound);
        empty when every level was proven.
    changes_from_shown : int or None
        The solver's ``changes`` level: sessions changed from the version re-planned from with the
        meeting's pins in place (the pins are the meeting's changes, these the solver's); None for
        version 1.
    """

    number: int
    run: PlanRun
    actions: tuple[A.Action, ...] = ()
    new_actions: tuple[A.Action, ...] = ()
    moved: tuple[Cell, ...] = ()
    seconds: float = 0.0
    solve_status: str = "optimal"
    solve_note: str = ""
    changes_from_shown: int | None = None

    @property
    def cells(self) -> dict[Cell, str]:
        """The version's timetable (cell -> activity)."""
        return cells_of(self.run.plan.allocation)

    @property
    def fixed(self) -> dict[Cell, str]:
        """Locks and pins in force."""
        return A.fixed_cells(self.actions)


@dataclass
class MeetingSession:
    """A team meeting planning live from one pack.

    Parameters
    ----------
    pack : PlanningPack
        The planning pack (its job plans are the current job plans every change is counted against).
    options : PlanOptions
        Solver limits for each re-plan (the wall-clock ``time_limit_s`` is the re-plan's answer time).
    first : PlanRun, optional
        The proposal (default: planned from ``pack`` with ``options``).
    """

    pack: PlanningPack
    options: PlanOptions = field(default_factory=lambda: PlanOptions(time_limit_s=8.0, seed=0, workers=1))
    first: PlanRun | None = None
    pseudonyms: bool = False
    versions: list[Version] = field(init=False)
    pending: list[A.Action] = field(init=False, default_factory=list)
    record: list[str] = field(init=False, default_factory=list)
    demand: DemandResult = field(init=False)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()  # one request changes the session at a time
        # The meeting plans whole weekly sessions: a cell on screen is one activity every week, so no
        # alternate-week cells are offered (solver.alternate_weeks = false; docs/serve.md).
        self.pack = whole_weekly_sessions(self.pack)
        first = self.first
        split = [first.plan.allocation[col].astype(str).isin(values).any() for col, values in
                 (("week", ("A", "B")), ("half", ("1", "2"))) if col in first.plan.allocation.columns
                 ] if first is not None else []
        if any(split):
            first = None  # alternate-week cells or 2-hour halves: planned again in whole sessions
        started = time.perf_counter()
        run = first if first is not None else plan_pack(self.pack, self.options)
        self.demand = run.demand
        self.versions = [Version(1, run, seconds=time.perf_counter() - started,
                                 solve_status=str(run.summary.status))]
        self._log(f"Version 1: the proposal ({run.summary.changed_sessions} sessions changed from the "
                  "current job plans)")

    # ---- state ----------------------------------------------------------------------------------
    @property
    def shown(self) -> Version:
        """The version on the screen (the latest)."""
        return self.versions[-1]

    def version(self, number: int) -> Version:
        """Version ``number`` (MeetingError when there is none)."""
        for v in self.versions:
            if v.number == number:
                return v
        raise MeetingError([Problem(A.SOURCE, f"there is no version {number}", None, "version", str(number))])

    @property
    def in_force(self) -> tuple[A.Action, ...]:
        """The shown version's actions and those waiting for the next re-plan."""
        return (*self.shown.actions, *self.pending)

    def _log(self, text: str) -> None:
        self.record.append(f"{dt.datetime.now():%H:%M:%S} {text}")

    # ---- actions --------------------------------------------------------------------------------
    def add(self, form: dict[str, str]) -> A.Action:
        """Check and queue the action the page's form asks for (MeetingError listing every problem)."""
        pack = A.meeting_pack(self.pack, self.in_force)
        action, problems = A.parse_action(pack, self.shown.cells, self.in_force,
                                          self.demand.requirements.activity_ids, form)
        if action is None:
            raise MeetingError(problems)
        self.pending.append(action)
        self._log(f"Asked: {action.describe()}")
        return action

    def drop(self, index: int) -> None:
        """Remove pending action ``index`` (0-based)."""
        if not 0 <= index < len(self.pending):
            raise MeetingError([Problem(A.SOURCE, "no such waiting action", None, "index", str(index))])
        self._log(f"Withdrawn: {self.pending.pop(index).describe()}")

    def replan(self) -> Version:
        """Re-plan from the shown version with every action in force; add and return the new version.

        Raises
        ------
        MeetingError
            When the rules cannot all hold with these actions, or no plan was found in time (the reasons;
            the actions stay waiting, nothing else changes).
        """
        started = time.perf_counter()
        actions = self.in_force
        pack = A.meeting_pack(self.pack, actions)
        requirements = A.with_demand(self.demand.requirements, A.demand_overrides(actions), pack)
        demand = dataclasses.replace(self.demand, requirements=requirements)
        options = dataclasses.replace(self.options, allowances=A.allowances(actions))
        run = replan(pack, demand, self.shown.cells, A.fixed_cells(actions), options)
        if not run.plan.has_plan:
            reasons = list(run.plan.result.reasons) or [
                "no plan was found within the time limit; try again or remove an action"]
            self._log(f"Re-plan refused: {'; '.join(reasons)}")
            raise MeetingError(reasons)
        moved = tuple(moved_cells(self.shown.cells, cells_of(run.plan.allocation)))
        version = Version(self.shown.number + 1, run, actions, tuple(self.pending), moved,
                          time.perf_counter() - started, str(run.summary.status), cut_short(run),
                          changes_from_baseline(run))
        self.versions.append(version)
        self.pending.clear()
        self._log(f"Version {version.number}: {len(moved)} cells moved from version {version.number - 1}, "
                  f"{version.changes_from_shown} sessions changed by the solver beyond the pins "
                  f"({version.seconds:.1f} s, {version.solve_status})")
        return version

    def undo(self) -> Version:
        """Drop the shown version (not the proposal); its actions are undone too. Returns the new shown."""
        if len(self.versions) == 1:
            raise MeetingError(["there is nothing to undo: version 1 is the proposal"])
        gone = self.versions.pop()
        self.pending.clear()
        self._log(f"Undo: version {gone.number} dropped, back to version {self.shown.number}")
        return self.shown

    # ---- outputs --------------------------------------------------------------------------------
    def agree(self, out_dir: str | Path, number: int | None = None) -> list[Path]:
        """Write the agreed version (default: the shown one) into ``out_dir``: ``agreed_pack/`` (the
        planning pack with the agreed timetable as its job plans, every cell locked), ``meeting_pack/``
        (report.html, plan.xlsx and every plan output, changes counted against the current job plans;
        with pseudonyms when :attr:`pseudonyms` is on, as ``plan --anonymise`` writes it),
        ``meeting_record.md`` and ``meeting_record.json``; all or nothing under the output-folder rule
        (:func:`capacity_planner._files.output_folder`). Returns the files written."""
        version = self.shown if number is None else self.version(number)
        # Logged before writing (the record written holds it) and withdrawn if the folder is refused or
        # the writing fails: a refused Agree leaves the meeting record as it was (session 17 fuzz).
        self._log(f"Agreed: version {version.number}")
        try:
            files = self._write_agreed(version, Path(out_dir))
        except BaseException:
            self.record.pop()
            raise
        return [Path(out_dir) / f for f in files]

    def _write_agreed(self, version: Version, out_dir: Path) -> list[Path]:
        """Write :meth:`agree`'s files for ``version``; their paths relative to ``out_dir``."""
        from capacity_planner._files import output_folder
        from capacity_planner.pack.write import write_pack
        from capacity_planner.workflow import pack_inputs, write_meeting_pack

        with output_folder(out_dir, "serve", inputs=pack_inputs(self.pack)) as stage:
            write_pack(agreed_pack(version), stage / "agreed_pack", command="serve")
            # The meeting pack is for the room: it follows the privacy switch (pseudonyms given in memory
            # before anything is written, as `plan --anonymise` does). The agreed pack is the service's
            # own planning data and keeps the real names (docs/serve.md).
            write_meeting_pack(version.run, stage / "meeting_pack", anonymise=self.pseudonyms)
            record = self.record_of(version)
            (stage / "meeting_record.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
            (stage / "meeting_record.md").write_text(record_markdown(record), encoding="utf-8")
            return sorted(p.relative_to(stage) for p in stage.rglob("*") if p.is_file())

    def record_of(self, version: Version) -> dict[str, object]:
        """The meeting record: the agreed version, the actions in force and the log of the meeting."""
        s = version.run.summary
        return {
            "pack": self.pack.settings.name,
            "agreed_version": version.number,
            "versions": len(self.versions),
            "actions_in_force": [a.describe() for a in version.actions],
            "demand_set_in_meeting": A.demand_overrides(version.actions),
            "priority_set_in_meeting": {a.activity: a.priority for a in version.actions
                                        if isinstance(a, A.SetPriority)},
            "additional_pas_allowed_in_meeting": A.additional_pas(version.actions),
            "additional_pas": {str(c): float(x) for c, x in zip(
                version.run.plan.clinicians["clinician_id"], version.run.plan.clinicians["apa_pas"],
                strict=True) if x > 0},
            "changed_sessions_from_current_job_plans": s.changed_sessions,
            "unmet_sessions_per_year": s.unmet_sessions_per_year,
            "annual_cost": s.annual_cost,
            "status": s.status,
            "meeting_pack_anonymised": bool(self.pseudonyms),
            "log": list(self.record),
        }


def cut_short(run: PlanRun) -> str:
    """``level (gap N %)`` for each objective level the time limit stopped before proving it optimal."""
    out = []
    for level in run.plan.result.levels:
        if level.status.value != "optimal":
            gap = "no plan" if level.gap is None else f"gap {level.gap:.1%}"
            out.append(f"{level.name} ({gap})")
    return "; ".join(out)


def agreed_pack(version: Version) -> PlanningPack:
    """The meeting's pack with the version's timetable as its job plans, every cell locked; a cell keeps
    the weeks a year the plan gives it (allocation.csv's ``weeks_per_year``: its current job plan's weeks
    when its activity is unchanged, a 1-in-N rota member's weeks on call, else the clinician's working
    weeks: the model's rule). An additional PA the agreed plan gives a clinician becomes part of
    their contracted PAs (the agreed job plan). A demand set in the meeting is written as the activity's
    ``required_sessions_per_year`` (demand sizing then reads it back instead of the sized demand) and a
    priority set in the meeting as its ``priority``, so planning the agreed pack meets the same demand."""
    pack = version.run.pack
    demand = A.demand_overrides(version.actions)
    weeks = cell_weeks(pack)
    allocation = version.run.plan.allocation
    weeks.update({(Cell(str(c), str(d), str(p)), str(a)): float(w) for c, d, p, a, w in zip(
        allocation["clinician_id"], allocation["day"], allocation["period"], allocation["activity_id"],
        allocation["weeks_per_year"], strict=True)})  # as planned: a 1-in-N rota member's weeks on call
    working = {c.clinician_id: c.working_weeks for c in pack.clinicians}
    cells = tuple(JobPlanCell(k.clinician_id, k.day, k.period, a, weeks.get((k, a), working[k.clinician_id]),
                              locked=True) for k, a in sorted(version.cells.items()))
    extra = {str(c): float(x) for c, x in zip(version.run.plan.clinicians["clinician_id"],
                                              version.run.plan.clinicians["apa_pas"], strict=True) if x > 0}
    clinicians = tuple(c if c.clinician_id not in extra else
                       dataclasses.replace(c, contracted_pas=c.contracted_pas + extra[c.clinician_id])
                       for c in pack.clinicians)
    activities = tuple(a if a.activity_id not in demand else
                       dataclasses.replace(a, required_sessions_per_year=demand[a.activity_id])
                       for a in pack.activities)
    return pack.replace(job_plans=cells, clinicians=clinicians, activities=activities)


def record_markdown(record: dict[str, object]) -> str:
    """The meeting record as Markdown."""
    lines = [f"# Meeting record: {record['pack']}", "",
             f"Agreed version {record['agreed_version']} of {record['versions']}; "
             f"{record['changed_sessions_from_current_job_plans']} sessions changed from the current job "
             "plans, "
             f"{record['unmet_sessions_per_year']} session-weeks a year of demand unmet.", "",
             "## Actions in force", ""]
    lines += [f"- {a}" for a in record["actions_in_force"]] or ["- none"]  # type: ignore[attr-defined]
    changes = [
        *(f"- Demand of {a}: {n:,.1f} session-weeks a year (agreed pack: activities."
          "required_sessions_per_year)" for a, n in record["demand_set_in_meeting"].items()),  # type: ignore[attr-defined]
        *(f"- Priority of {a}: {p} (agreed pack: activities.priority)"
          for a, p in record["priority_set_in_meeting"].items()),  # type: ignore[attr-defined]
        *(f"- {c}: {n} additional PA(s) a week allowed, {record['additional_pas'].get(c, 0.0):g} "  # type: ignore[attr-defined]
          "taken (agreed pack: contracted_pas)"
          for c, n in record["additional_pas_allowed_in_meeting"].items()),  # type: ignore[attr-defined]
    ]
    lines += ["", "## Demand, priorities and additional PAs", ""] + (changes or ["- none changed"])
    lines += ["", "## What happened", ""]
    lines += [f"- {entry}" for entry in record["log"]]  # type: ignore[attr-defined]
    return "\n".join(lines) + "\n"


def whole_weekly_sessions(pack: PlanningPack) -> PlanningPack:
    """``pack`` with ``solver.alternate_weeks`` off: the meeting page shows and moves one activity per
    cell, every week."""
    if not pack.settings.alternate_weeks:
        return pack
    return pack.replace(settings=dataclasses.replace(pack.settings, alternate_weeks=False))
