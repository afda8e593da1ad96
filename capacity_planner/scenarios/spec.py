"""Scenario files: named what-if scenarios as typed, validated records.

A scenario file is TOML (see the commented example ``data/samples/scenarios.toml``, shipped as
``capacity_planner.samples/scenarios.toml``)::

    [[scenario]]
    name = "dna-down"
    description = "Text reminders cut DNAs by 2 points"
    dna_rate = { points = -0.02 }

    [sweep]                       # optional: lists expand to their cartesian product
    dna_rate = { points = [0.0, -0.02] }
    locum = { fu = [0, 100] }     # -> dna-0_locum-0, dna-0_locum-100, dna--0.02_locum-0, …

Every key is checked before anything runs; all problems are reported together as one
:class:`~capacity_planner.errors.PackValidationError` whose :class:`~capacity_planner.errors.Problem`
records name the file and scenario (``source``), the key (``column``) and the value (``value``).
Whether an activity or clinician ID exists is a property of the pack, so it is checked when the scenario
is applied (:mod:`capacity_planner.scenarios.transforms`): such a scenario fails alone, with its reason.

Transforms are applied in a fixed order, whatever the order of the keys in the file: :data:`ORDER`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from capacity_planner import constants as C

if TYPE_CHECKING:
    from collections.abc import Mapping

BASELINE = "baseline"
RESERVED_NAMES = frozenset({BASELINE, "charts"})
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,119}$")
MAX_SCENARIOS = 10_000
Mode = Literal["set", "points", "relative"]
SIZING_FIELDS = ("dna_rate", "percentile", "patients_per_session", "follow_up_ratio")
MODES: tuple[Mode, ...] = ("set", "points", "relative")


# ---- transform records ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SetGrowth:
    """``growth``: annual demand growth rate for the forecast (``None`` = estimate it, "auto")."""

    rate: float | None


@dataclass(frozen=True, slots=True)
class ChangeActivityField:
    """``dna_rate`` / ``percentile`` / ``patients_per_session`` / ``follow_up_ratio``: set a sizing value
    of some activities (``mode="set"``), move it by ``value`` (``"points"``) or by ``value`` times itself
    (``"relative"``). ``activities=None`` means the default set for the field (see transforms)."""

    field: str
    mode: Mode
    value: float
    activities: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class AddClinician:
    """``[[scenario.add_clinician]]`` / ``recruit``: new posts (recruitment), ``count`` alike.

    ``skills`` lists activities; ``like`` copies an existing clinician's skills; with neither the post
    gets the activities at least half of the staff group's active members are skilled in.
    ``annual_cost`` is the post's full annual cost (else the costs table ``recruit_wte`` pro rata)."""

    staff_group: str
    contracted_pas: float = 10.0
    count: int = 1
    clinician_id: str | None = None
    name: str | None = None
    contract: str | None = None
    max_pas: float | None = None
    min_spa_pas: float | None = None
    working_weeks: float | None = None
    session_hours: float | None = None
    skills: tuple[str, ...] | None = None
    like: str | None = None
    annual_cost: float | None = None
    out_of_hours_opt_in: bool = False


@dataclass(frozen=True, slots=True)
class RemoveClinicians:
    """``remove_clinicians``: posts vacated (vacancy, retirement): the clinicians become inactive."""

    clinician_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SetContractedPas:
    """``contracted_pas``: new contracted PAs per clinician (LTFT, return to work; makes them active)."""

    pas: tuple[tuple[str, float], ...]


@dataclass(frozen=True, slots=True)
class AllowAdditionalPas:
    """``additional_pas``: additional PAs allowed, per clinician and in total (PAs a week)."""

    per_clinician: float | None = None
    total: float | None = None
    clinicians: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class BuySessions:
    """``locum`` / ``wli``: up to ``max_sessions_per_year`` sessions of an activity may be bought."""

    activity_id: str
    kind: Literal["locum", "wli"]
    max_sessions_per_year: float
    cost_per_session: float | None = None


@dataclass(frozen=True, slots=True)
class CapExtraCost:
    """``extra_budget``: additional PAs and bought sessions together may cost at most ``gbp`` a year
    (:attr:`~capacity_planner.solver.options.Allowances.max_extra_cost`)."""

    gbp: float


@dataclass(frozen=True, slots=True)
class LockCells:
    """``lock`` / ``unlock``: cells of the current job plan (``cells=None``: every cell). A cell is
    (clinician_id, day, period); ``day``/``period`` None means all of that clinician's cells."""

    locked: bool
    cells: tuple[tuple[str, str | None, str | None], ...] | None


@dataclass(frozen=True, slots=True)
class CloseActivities:
    """``close_activities``: activities stopped (their demand, skills, job-plan cells and fixed
    requirements are removed; feeders no longer send follow-ups to them)."""

    activity_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AddActivity:
    """``[[scenario.add_activity]]``: a new activity, its demand as fixed sessions a week (or a fixed slot)
    and the clinicians who may do it."""

    activity_id: str
    category: str
    name: str | None = None
    patients_per_session: float | None = None
    minutes_per_patient: float | None = None
    pa_value: float = C.DEFAULT_PA_VALUE
    rapid_access: bool = False
    room_type: str | None = None
    priority: int | None = None
    sessions_per_week: float | None = None
    day: str | None = None
    period: str | None = None
    min_clinicians: int = C.DEFAULT_MIN_CLINICIANS
    clinicians: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ExtraRooms:
    """``extra_rooms``: ``rooms`` more (or fewer) rooms of ``room_type`` in the slots listed in the pack's
    rooms table (optionally only ``days``/``periods``)."""

    room_type: str
    rooms: int
    days: tuple[str, ...] | None = None
    periods: tuple[str, ...] | None = None


Transform = (SetGrowth | ChangeActivityField | AddClinician | RemoveClinicians | SetContractedPas
             | AllowAdditionalPas | BuySessions | CapExtraCost | LockCells | CloseActivities | AddActivity
             | ExtraRooms)

# Keys in the order their transforms are applied.
ORDER: tuple[str, ...] = (
    "close_activities", "add_activity", "remove_clinicians", "contracted_pas", "add_clinician", "recruit",
    "lock", "unlock", "extra_rooms", "growth", *SIZING_FIELDS, "additional_pas", "locum", "wli",
    "extra_budget",
)
KEYS: frozenset[str] = frozenset({"name", "description", *ORDER})


@dataclass(frozen=True)
class Scenario:
    """A named set of transforms of a planning pack.

    ``spec`` is the scenario's table as read (JSON-compatible), used for the inputs hash and written to
    each scenario's folder; ``transforms`` are in application order (:data:`ORDER`)."""

    name: str
    description: str = ""
    transforms: tuple[Transform, ...] = ()
    spec: Mapping[str, Any] = field(default_factory=dict)

    def canonical_json(self) -> str:
        """The scenario as canonical JSON (sorted keys): equal scenarios give equal text."""
        return json.dumps({"name": self.name, "description": self.description, "spec": self.spec},
                          sort_keys=True, default=str, separators=(",", ":"))


def baseline_scenario() -> Scenario:
    """The pack as it is: no transforms."""
    return Scenario(BASELINE, "The pack as it is (current team, current demand)")


def example_scenarios_path() -> Path:
    """Path of the commented example scenarios file shipped with the package."""
    return Path(str(resources.files("capacity_planner.samples") / "scenarios.toml"))
