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
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from capacity_planner import constants as C
from capacity_planner.errors import PackValidationError, Problem

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


def parse_scenario(table: Mapping[str, Any], source: str, problems: list[Problem],
                   name: str | None = None) -> Scenario | None:
    """One ``[[scenario]]`` table as a :class:`Scenario` (None, with problems added, when invalid)."""
    from capacity_planner.scenarios.keys import Reader, transforms_of

    name = name if name is not None else table.get("name")
    label = name if isinstance(name, str) else "?"
    r = Reader(source, label, problems)
    n0 = len(problems)
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        r.bad("name", name, "expected a scenario name of letters, digits and . _ + - (starting with a letter "
                            "or digit, at most 120 characters)")
    elif name.casefold() in RESERVED_NAMES:
        r.bad("name", name, f"{name!r} is reserved ({', '.join(sorted(RESERVED_NAMES))})")
    description = table.get("description", "")
    if not isinstance(description, str):
        r.bad("description", description, "expected text")
        description = ""
    r.unknown("", table, sorted(KEYS))
    transforms = transforms_of(r, table)
    if len(problems) > n0 or not isinstance(name, str):
        return None
    spec = {k: v for k, v in table.items() if k not in ("name", "description")}
    return Scenario(name, description, tuple(transforms), _jsonable(spec))


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


# ---- files ------------------------------------------------------------------------------------------
def parse_scenarios(document: Mapping[str, Any], source: str = "scenarios.toml") -> list[Scenario]:
    """Scenarios of a parsed TOML document (``[[scenario]]`` tables, then each ``[sweep]``).

    Raises
    ------
    PackValidationError
        Listing every problem (scenario, key, value).
    """
    problems: list[Problem] = []
    for k in document:
        if k not in ("scenario", "sweep"):
            problems.append(Problem(source, "unknown top-level key; expected [[scenario]] tables and an "
                                            "optional [sweep] table", column=k, value=str(document[k])))
    raw = document.get("scenario", [])
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        problems.append(Problem(source, "expected [[scenario]] tables", column="scenario"))
        raw = []
    scenarios: list[Scenario] = []
    for t in raw:
        s = parse_scenario(t, source, problems)
        if s is not None:
            scenarios.append(s)
    from capacity_planner.scenarios.sweep import expand_sweep

    sweeps = document.get("sweep", [])
    for sw in [sweeps] if isinstance(sweeps, dict) else sweeps:
        if not isinstance(sw, dict):
            problems.append(Problem(source, "expected a [sweep] table", column="sweep"))
            continue
        scenarios += expand_sweep(sw, source, problems)
    _check_unique(scenarios, source, problems)
    if not scenarios and not problems:
        problems.append(Problem(source, "no scenarios: add [[scenario]] tables or a [sweep] table"))
    if problems:
        raise PackValidationError(problems, "the scenarios file")
    return scenarios


def _check_unique(scenarios: Sequence[Scenario], source: str, problems: list[Problem]) -> None:
    seen: dict[str, str] = {}
    for s in scenarios:
        key = s.name.casefold()
        if key in seen:
            problems.append(Problem(f"{source}, scenario {s.name!r}", "scenario names must be unique "
                                    "(ignoring case): each scenario gets its own output folder",
                                    column="name", value=s.name))
        seen[key] = s.name


def load_scenarios(path: str | Path) -> list[Scenario]:
    """Read and validate a scenarios file.

    Raises
    ------
    PackValidationError
        When the file is missing, is not valid TOML, or any scenario key is wrong; each
        :class:`~capacity_planner.errors.Problem` names the scenario, the key and the value.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise PackValidationError([Problem(str(p), f"cannot read the scenarios file: {why}")],
                                  "the scenarios file") from exc
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise PackValidationError([Problem(p.name, f"not valid TOML: {exc}",
                                           row=int(line.group(1)) if line else None)],
                                  "the scenarios file") from exc
    return parse_scenarios(document, p.name)


ScenarioSource = str | Path | Sequence[Scenario]


def resolve_scenarios(spec: ScenarioSource) -> list[Scenario]:
    """Scenarios from a file path or a sequence of :class:`Scenario` (checked for unique names)."""
    if isinstance(spec, str | Path):
        return load_scenarios(spec)
    scenarios = list(spec)
    problems: list[Problem] = []
    for s in scenarios:
        if not isinstance(s, Scenario):
            raise TypeError(f"expected Scenario records, got {type(s).__name__}")
        if s.name.casefold() in RESERVED_NAMES or not NAME_PATTERN.match(s.name):
            problems.append(Problem(f"scenarios, scenario {s.name!r}", "invalid or reserved scenario name",
                                    column="name", value=s.name))
    _check_unique(scenarios, "scenarios", problems)
    if problems:
        raise PackValidationError(problems, "the scenarios file")
    return scenarios

