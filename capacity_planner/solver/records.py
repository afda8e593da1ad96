"""The integer records an allocation problem is made of, and the exact scaling into them.

:func:`~capacity_planner.solver.problem.build_problem` reads the pack into these records (scales and
premium time: :mod:`capacity_planner.solver.problem`); the alternate-week and current-plan helpers
(:mod:`~capacity_planner.solver.alternate`, :mod:`~capacity_planner.solver.current`) read them too, so they
live here, apart from the code that builds them (no import cycle).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from capacity_planner import constants as C
from capacity_planner.pack.costs import PA_SCALE

if TYPE_CHECKING:
    from collections.abc import Mapping

    from capacity_planner.pack.model import Clinician, PlanningPack

WEEK_SCALE = 100
FULL_TIME_PAS = 10.0
PREMIUM_FACTOR: Mapping[str, Fraction] = {
    "consultant_2003": Fraction(int(C.NORMAL_PA_HOURS), int(C.PREMIUM_PA_HOURS)),
    "sas_2021": Fraction(int(C.NORMAL_PA_HOURS), int(C.PREMIUM_PA_HOURS)),
    "sas_2008": Fraction(int(C.NORMAL_PA_HOURS), int(C.PREMIUM_PA_HOURS)),
    "afc": Fraction(1),
}
HELD_CATEGORIES = ("ANR", "ED")  # roles and external duties: kept as in the current job plan


class ScalingError(ValueError):
    """A pack value is not a whole number of solver units (it would round silently)."""


def to_units(value: float, scale: int, what: str) -> int:
    """``value x scale`` as an exact integer, else :class:`ScalingError` naming ``what``."""
    scaled = value * scale
    units = round(scaled)
    if abs(scaled - units) > 1e-3:  # as pack validation (check_granularity): 7.33333 reads as 7 1/3
        step = "120th of a PA" if scale == PA_SCALE else f"1/{scale} of a week"
        raise ScalingError(f"{what} = {value:g} cannot be counted exactly: it must be a whole number of "
                           f"steps of a {step}")
    return int(units)


@dataclass(frozen=True, slots=True)
class ClinicianInfo:
    """One clinician, in integer units (PA units unless stated)."""

    clinician_id: str
    staff_group: str
    contract: str
    contracted: int
    oncall: int
    max_pas: int
    spa_floor: int
    working_weeks: int  # week_scale units
    apa_cap: int  # additional PAs allowed a week
    apa_cost: int  # GBP a year per PA a week
    apa_cost_assumed: bool
    out_of_hours_opt_in: bool
    out_of_hours_share: Fraction | None  # SAS 2021: 2/5
    premium_factor: Fraction
    spa_ceiling: int = 0  # annual units (PA units x week_scale units): most SPA a year
    roles: tuple[tuple[str, int], ...] = ()  # (ANR or ED, annual units in the current plan): kept as they are
    max_sessions_per_day: int | None = None  # None: no cap beyond the slots of a day

    @property
    def grid_target(self) -> int:
        """Contracted PAs to be placed in the weekly grid (contracted minus on-call PAs)."""
        return self.contracted - self.oncall

    @property
    def annual_target(self) -> int:
        """Contracted grid PA-weeks a year, annual units (PA_SCALE x week_scale per PA-week):
        ``grid_target x working_weeks``."""
        return self.grid_target * self.working_weeks


@dataclass(frozen=True, slots=True)
class ActivityInfo:
    """One activity: its PA value (normal time, units) and its demand (week_scale units a year)."""

    activity_id: str
    category: str
    pa_value: int
    room_type: str | None
    priority: int
    rapid_access: bool
    demand: int
    demand_exact: float  # referral demand, session-weeks a year (fixed requirements taken out)
    floor: int = 0  # routine floor, week_scale units a year (0: none)
    current_supply: int = 0  # session-weeks a year in the current job plans, week_scale units
    service: str | None = None  # activities.service (None: the pack's one service)


@dataclass(frozen=True, slots=True)
class SlotInfo:
    """One weekly slot."""

    day: str
    period: str
    premium: bool

    @property
    def label(self) -> str:
        """``Tue-AM``."""
        return f"{self.day}-{self.period}"


@dataclass(frozen=True, slots=True)
class FixedSlot:
    """At least ``min_clinicians`` clinicians do activity ``a`` in slot ``s``; with ``attendance`` (week
    units a year), the expected attendance counts: the weeks each attendee's cell runs add up to at least
    ``min_clinicians x planning.service_weeks`` (leave-aware quorum). With ``rota`` N (a 1-in-N on-call
    rota), exactly N clinicians are members, each on call ``min_clinicians x service_weeks / N`` weeks a
    year (:attr:`AllocationProblem.rota_weeks`)."""

    a: int
    s: int
    min_clinicians: int
    attendance: int | None = None
    rota: int | None = None  # 1-in-N on-call rota: exactly ``rota`` members (None: heads every week)


@dataclass(frozen=True, slots=True)
class FixedWeekly:
    """At least ``sessions`` sessions of activity ``a`` a week across the team."""

    a: int
    sessions: int
    sessions_exact: float


@dataclass(frozen=True, slots=True)
class Purchase:
    """Sessions of an activity that may be bought a year, and their cost (GBP a session)."""

    max_sessions: int
    cost: int
    kind: str


def spa_floor_units(pack: PlanningPack, crec: Clinician) -> int:
    """A clinician's SPA floor in PA units a week: ``min_spa_pas``, pro rata ``x contracted / 10`` for
    less-than-full-time clinicians when ``settings.spa_pro_rata``; a pro-rata floor rounds up
    (conservative)."""
    floor = crec.min_spa_pas
    if pack.settings.spa_pro_rata and crec.contracted_pas < FULL_TIME_PAS:
        floor = crec.min_spa_pas * crec.contracted_pas / FULL_TIME_PAS
    return math.ceil(round(floor * PA_SCALE, 6))
