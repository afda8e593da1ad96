"""The domain model: a planning pack as typed, frozen records.

Nothing here imports the solver or reads files. Small tables (clinicians, activities, job plans…) become
tuples of frozen dataclasses; history tables that may hold millions of rows (referrals, appointments,
delivered) stay as pandas DataFrames with canonical columns and dtypes. What-if scenarios derive new packs
with :func:`dataclasses.replace`; nothing is mutated.

Values that the user left blank and that were filled from a contract-family or other default are listed
in :attr:`PlanningPack.defaults_applied`, so reports can say which values were assumed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from capacity_planner import constants as C

if TYPE_CHECKING:
    from collections.abc import Mapping

    from capacity_planner.errors import Problem


@dataclass(frozen=True, slots=True)
class Clinician:
    """A member of the team and their contract.

    PA quantities are PAs a week; ``session_hours`` is hours in a normal-time session; costs are GBP a
    year for one PA a week.
    """

    clinician_id: str
    contracted_pas: float
    staff_group: str
    contract: str
    max_pas: float
    min_spa_pas: float
    working_weeks: float
    session_hours: float
    oncall_pas: float = 0.0
    name: str | None = None
    annual_cost_per_pa: float | None = None
    apa_cost_per_pa: float | None = None
    out_of_hours_opt_in: bool = False
    signed_off: dt.date | None = None
    active: bool = True
    max_spa_pas: float | None = None  # SPA ceiling; None: the larger of min_spa_pas and current SPA

    @property
    def max_out_of_hours_share(self) -> float | None:
        """Contractual cap on the share of PAs in out-of-hours time (SAS 2021: 0.40), or None."""
        return C.ContractDefaults.MAX_OUT_OF_HOURS_SHARE[self.contract]


@dataclass(frozen=True, slots=True)
class Activity:
    """A clinic, list, meeting or other activity a session can be given to."""

    activity_id: str
    category: str
    name: str | None = None
    service: str | None = None
    patients_per_session: float | None = None
    minutes_per_patient: float | None = None
    bookable_minutes: float | None = None  # default 210 when minutes_per_patient is used
    pa_value: float = C.DEFAULT_PA_VALUE
    rapid_access: bool = False
    percentile: float | None = None
    dna_rate: float | None = None
    follow_up_ratio: float | None = None
    follow_up_activity: str | None = None
    room_type: str | None = None
    priority: int = C.PRIORITY_ROUTINE
    new_or_follow_up: str | None = None
    required_sessions_per_year: float | None = None  # set by the team: replaces the sized demand
    min_weekly_sessions: int | None = None  # weekly cover: sessions in every week (solver/cover.py)
    share_of_weeks: float | None = None  # with min_weekly_sessions: share of weeks covered (default 1)
    site: str | None = None  # the site it runs at (solver/sites.py); None: its rooms' site, else anywhere

    @property
    def is_dcc(self) -> bool:
        """Direct clinical care."""
        return self.category == "DCC"

    @property
    def patients_per_session_effective(self) -> float | None:
        r"""Patients a session can see: ``patients_per_session``, else
        :math:`\text{bookable\_minutes} / \text{minutes\_per\_patient}`; None for non-clinic activities."""
        if self.patients_per_session is not None:
            return self.patients_per_session
        if self.minutes_per_patient is not None:
            bookable = self.bookable_minutes or C.DEFAULT_BOOKABLE_MINUTES
            return bookable / self.minutes_per_patient
        return None


@dataclass(frozen=True, slots=True)
class Skill:
    """Clinician ``clinician_id`` may do ``activity_id`` (optionally at most N sessions a week, and at
    least ``min_sessions_per_week`` sessions a week of it kept in their job plan, e.g. admin time)."""

    clinician_id: str
    activity_id: str
    max_sessions_per_week: float | None = None
    min_sessions_per_week: float | None = None


@dataclass(frozen=True, slots=True)
class Slot:
    """A weekly timetable slot; a PA in premium time is 3 hours instead of 4."""

    day: str
    period: str
    premium_time: bool

    @property
    def label(self) -> str:
        """``Tue-AM`` style label."""
        return f"{self.day}-{self.period}"


@dataclass(frozen=True, slots=True)
class RoomCapacity:
    """``available`` rooms of ``room_type`` in slot (day, period)."""

    room_type: str
    day: str
    period: str
    available: int
    site: str | None = None  # the site these rooms are at (solver/sites.py)


@dataclass(frozen=True, slots=True)
class TravelTime:
    """Travel from ``from_site`` to ``to_site`` takes ``minutes`` (both ways unless the reverse is given)."""

    from_site: str
    to_site: str
    minutes: float


@dataclass(frozen=True, slots=True)
class ExpectedLeave:
    """From ``start`` to ``end`` (dates, inclusive) a share ``share_away`` of the clinicians is expected to
    be on leave that is not recorded (school holidays, Christmas): ``expected_leave`` table, issue 19."""

    start: dt.date
    end: dt.date
    share_away: float
    label: str | None = None


@dataclass(frozen=True, slots=True)
class Availability:
    """Whether a clinician works slot (day, period); ``available=False`` marks e.g. a
    less-than-full-time day off. Slots without a row are available."""

    clinician_id: str
    day: str
    period: str
    available: bool


@dataclass(frozen=True, slots=True)
class JobPlanCell:
    """One cell of a current job plan: the activity a clinician does in a weekly slot."""

    clinician_id: str
    day: str
    period: str
    activity_id: str
    weeks_per_year: float
    locked: bool = False
    week: str | None = None  # "A" / "B": alternate weeks of a two-week cycle; None: every week
    half: str | None = None  # "1" / "2": a 2-hour half of the slot, every week (SPA, admin); None: whole


@dataclass(frozen=True, slots=True)
class FixedRequirement:
    """Demand not driven by referrals (MDT, ward round, SPA block).

    If ``day``/``period`` are set, ``min_clinicians`` clinicians must do the activity in that slot;
    otherwise ``sessions_per_week`` sessions are needed somewhere in the week. With ``rota_size`` N (an
    ONCALL activity in a slot), exactly N clinicians form a 1-in-N rota, each on call
    ``min_clinicians x service_weeks / N`` weeks a year; ``unpredictable_pas`` (PAs a week, annualised over
    the member's working weeks) is added to each member's PAs for the unpredictable emergency work of the
    rota.
    """

    activity_id: str
    sessions_per_week: float | None = None
    day: str | None = None
    period: str | None = None
    min_clinicians: int = C.DEFAULT_MIN_CLINICIANS
    rota_size: int | None = None  # 1-in-N on-call rota over the slot (None: the same heads every week)
    share_of_weeks: float | None = None  # a quorum read week by week in this share of weeks (solver/cover.py)
    # PAs a week (annualised) of unpredictable emergency work each rota member is credited (consultant 2003
    # Schedule 3, paragraph 5: agreed prospectively), on top of the on-call session's PAs; None: none
    unpredictable_pas: float | None = None


@dataclass(frozen=True, slots=True)
class Link:
    """A linked-sessions rule (``links`` table): each session of ``activity_id`` (run by
    ``performer_group``, or by anyone) needs ``count`` clinicians of ``linked_group`` (or any group) in
    the same slot, each doing a session of ``linked_activity_id`` (``mode = "dedicated"``) or working any
    session there that is not external duties, holding the role ``linked_activity_id`` when given
    (``mode = "present"``). See docs/method.md, "Linked sessions"."""

    activity_id: str
    performer_group: str | None = None
    linked_group: str | None = None
    linked_activity_id: str | None = None
    mode: str = "present"
    count: float = 1.0

    @property
    def label(self) -> str:
        """How reports name the rule: ``minor_ops (nurse) needs 1 consultant present``."""
        who = " ".join(x for x in (self.linked_group, self.linked_activity_id) if x) or "clinician"
        by = f" ({self.performer_group})" if self.performer_group else ""
        return f"{self.activity_id}{by} needs {self.count:g} {who} {self.mode}"


@dataclass(frozen=True, slots=True)
class Productivity:
    """Patients a session of ``activity_id`` sees when ``staff_group`` runs it (``productivity`` table)."""

    activity_id: str
    staff_group: str
    patients_per_session: float


@dataclass(frozen=True, slots=True)
class WaitingListEntry:
    """Waiting-list snapshot for an activity at the plan start."""

    activity_id: str
    waiting: int
    over_target: int | None = None
    target_weeks: float | None = None


@dataclass(frozen=True, slots=True)
class CostItem:
    """A finance input: ``annual_cost`` (GBP a year) or ``session_cost`` (GBP a session)."""

    item: str
    staff_group: str
    annual_cost: float | None = None
    session_cost: float | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    """pack.toml, resolved with defaults (see :data:`capacity_planner.pack.schema.SETTINGS`)."""

    name: str = "Capacity plan"
    start: dt.date | None = None
    service_weeks: float = 52.0
    weekday_true_supply: bool = True  # planning.weekday_true_supply (issue 19)
    dna_convention: str = "rebook_until_seen"
    percentile: float = C.DEFAULT_PERCENTILE
    percentile_method: str = "linear"
    growth: float | None = None  # None = estimate ("auto")
    frequency: str = "weekly"  # demand.frequency: "weekly" or "monthly" referral history
    history_weeks: int = 156
    backlog_weeks: float = 26.0
    time_limit_s: float = 60.0
    work_limit: float | None = None  # CP-SAT deterministic time units; None: wall clock only
    seed: int = 0
    workers: int = 0
    objective: tuple[str, ...] = C.OBJECTIVE_LEVELS
    allow_additional_pas: bool = False
    spa_pro_rata: bool = False
    routine_floor_share: float = 0.5
    max_sessions_per_day: int = 2
    quorum_leave_aware: bool = False
    alternate_weeks: bool = True
    travel_minutes_between_sessions: float = 60.0  # solver.travel_minutes_between_sessions (sites)
    expected_leave: str = "none"  # planning.expected_leave: "none" or "england" (issue 19)
    # review.spc_*: the review's XmR charts; chart key "team", an activity ID, or "all" (every chart)
    spc_rebase: tuple[tuple[str, tuple[dt.date, ...]], ...] = ()
    spc_baseline_weeks: int | None = None
    spc_targets: tuple[tuple[str, float], ...] = ()
    explicit: frozenset[str] = frozenset()  # "section.key" names set in the pack (for lossless writing)


@dataclass(frozen=True, slots=True)
class DefaultApplied:
    """A blank cell (or a missing table) filled with a default, and why."""

    table: str
    key: str  # row ID as the user knows it, e.g. clinician "C03"; "" for whole-table defaults
    column: str
    value: Any
    reason: str


@dataclass(frozen=True, slots=True)
class PackSource:
    """Where a pack was read from, with a SHA-256 per input file (for summary.json)."""

    path: str
    format: str  # "folder" or "xlsx" (or "memory")
    file_hashes: Mapping[str, str] = field(default_factory=dict)
    rows_read: Mapping[str, int] = field(default_factory=dict)  # rows in the file of a table held as runs


def _empty(columns: Mapping[str, str]) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in columns.items()})


REFERRAL_DTYPES: Mapping[str, str] = MappingProxyType(
    {"referral_date": "datetime64[ns]", "activity_id": "str", "priority": "str", "count": "int64"}
)
APPOINTMENT_DTYPES: Mapping[str, str] = MappingProxyType(
    {
        "appointment_date": "datetime64[ns]",
        "activity_id": "str",
        "outcome": "str",
        "clinician_id": "str",
        "is_new": "boolean",
        "outcome_of_attendance": "str",
        "treatment_function": "str",
        "count": "Int64",
    }
)
DELIVERED_DTYPES: Mapping[str, str] = MappingProxyType(
    {
        "clinician_id": "str",
        "week_start": "datetime64[ns]",
        "activity_id": "str",
        "sessions": "float64",
        "session_type": "str",
    }
)
LEAVE_DTYPES: Mapping[str, str] = MappingProxyType(
    {"clinician_id": "str", "week_start": "datetime64[ns]", "weeks": "float64"}
)


@dataclass(frozen=True, eq=False)
class PlanningPack:
    """Everything known about a service for one planning year.

    Small tables are tuples of records; ``referrals``, ``appointments``, ``delivered`` and ``leave``
    are DataFrames with the canonical columns of :data:`REFERRAL_DTYPES`, :data:`APPOINTMENT_DTYPES`,
    :data:`DELIVERED_DTYPES` and :data:`LEAVE_DTYPES`. Use :meth:`replace` to derive a what-if pack
    and :meth:`equals` to compare.
    """

    settings: Settings
    activities: tuple[Activity, ...] = ()
    clinicians: tuple[Clinician, ...] = ()
    skills: tuple[Skill, ...] = ()
    slots: tuple[Slot, ...] = ()
    rooms: tuple[RoomCapacity, ...] = ()
    availability: tuple[Availability, ...] = ()
    job_plans: tuple[JobPlanCell, ...] = ()
    requirements: tuple[FixedRequirement, ...] = ()
    waiting_list: tuple[WaitingListEntry, ...] = ()
    costs: tuple[CostItem, ...] = ()
    links: tuple[Link, ...] = ()
    productivity: tuple[Productivity, ...] = ()
    travel: tuple[TravelTime, ...] = ()
    expected_leave: tuple[ExpectedLeave, ...] = ()
    referrals: pd.DataFrame = field(default_factory=lambda: _empty(REFERRAL_DTYPES))
    appointments: pd.DataFrame = field(default_factory=lambda: _empty(APPOINTMENT_DTYPES))
    delivered: pd.DataFrame = field(default_factory=lambda: _empty(DELIVERED_DTYPES))
    leave: pd.DataFrame = field(default_factory=lambda: _empty(LEAVE_DTYPES))
    tables_present: frozenset[str] = frozenset()
    defaults_applied: tuple[DefaultApplied, ...] = ()
    extra_columns: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    source: PackSource = field(default_factory=lambda: PackSource("", "memory"))
    warnings: tuple[Problem, ...] = ()

    # ---- lookups -------------------------------------------------------------------------------
    def activity(self, activity_id: str) -> Activity:
        """The activity with this ID (KeyError if unknown)."""
        for a in self.activities:
            if a.activity_id == activity_id:
                return a
        raise KeyError(activity_id)

    def clinician(self, clinician_id: str) -> Clinician:
        """The clinician with this ID (KeyError if unknown)."""
        for c in self.clinicians:
            if c.clinician_id == clinician_id:
                return c
        raise KeyError(clinician_id)

    @property
    def unavailable_slots(self) -> frozenset[tuple[str, str, str]]:
        """(clinician_id, day, period) triples the clinician does not work."""
        return frozenset((a.clinician_id, a.day, a.period) for a in self.availability if not a.available)

    @property
    def activity_ids(self) -> tuple[str, ...]:
        """Activity IDs in table order."""
        return tuple(a.activity_id for a in self.activities)

    @property
    def clinician_ids(self) -> tuple[str, ...]:
        """Clinician IDs in table order."""
        return tuple(c.clinician_id for c in self.clinicians)

    @property
    def plan_start(self) -> dt.date:
        """First Monday of the planning year (``planning.start``, else the Monday after the last
        referral)."""
        if self.settings.start is not None:
            return self.settings.start
        if len(self.referrals) == 0:
            raise ValueError("planning.start is not set and there are no referrals to infer it from")
        last = pd.Timestamp(self.referrals["referral_date"].max()).date()
        return last + dt.timedelta(days=7 - last.weekday())

    # ---- what-ifs ------------------------------------------------------------------------------
    def replace(self, **changes: Any) -> PlanningPack:
        """A new pack with ``changes`` applied (the original is unchanged)."""
        return dataclasses.replace(self, **changes)

    def equals(self, other: PlanningPack, *, check_source: bool = False) -> bool:
        """True when both packs hold the same data (DataFrames compared by value)."""
        return not self.differences(other, check_source=check_source)

    def differences(self, other: PlanningPack, *, check_source: bool = False) -> list[str]:
        """Names of the fields that differ (empty when the packs are equal)."""
        diffs = []
        for f in dataclasses.fields(self):
            if f.name == "warnings" or (f.name == "source" and not check_source):
                continue
            a, b = getattr(self, f.name), getattr(other, f.name)
            if isinstance(a, pd.DataFrame):
                if f.name == "appointments":  # rows or runs of identical rows with a count (pack/runs.py)
                    a, b = _runs(a), _runs(b)
                if not _frames_equal(a, b):
                    diffs.append(f.name)
            elif f.name == "extra_columns":
                if set(a) != set(b) or any(not _frames_equal(a[k], b[k]) for k in a):
                    diffs.append(f.name)
            elif f.name == "defaults_applied":
                if sorted(map(repr, a)) != sorted(map(repr, b)):
                    diffs.append(f.name)
            elif a != b:
                diffs.append(f.name)
        return diffs


def _runs(frame: pd.DataFrame) -> pd.DataFrame:
    """Appointments as their runs of identical consecutive rows, ``count`` (blank = 1) summed over each
    run: the same for a table of rows and for the reader's runs of it (:mod:`capacity_planner.pack.runs`)."""
    if len(frame) == 0 or "count" not in frame.columns:
        return frame
    cells = frame.drop(columns="count").reset_index(drop=True)
    change = np.zeros(len(cells), dtype=bool)
    change[0] = True
    for col in cells.columns:
        codes = pd.factorize(cells[col], use_na_sentinel=True)[0]
        change[1:] |= codes[1:] != codes[:-1]
    starts = np.flatnonzero(change)
    counts = np.add.reduceat(frame["count"].to_numpy(dtype=np.int64, na_value=1), starts)
    out = cells.iloc[starts].reset_index(drop=True)
    out["count"] = pd.Series(counts).astype(frame["count"].dtype)
    return out


def _frames_equal(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return False
    a = a.reset_index(drop=True)
    b = b.reset_index(drop=True)
    for col in a.columns:
        x, y = a[col], b[col]
        if str(x.dtype) != str(y.dtype):
            return False
        if not x.equals(y):
            return False
    return True
