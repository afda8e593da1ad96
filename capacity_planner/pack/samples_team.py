"""The team of a synthetic service: clinicians, skills, job plans, rooms and requirements.

A service is built from ``teams`` copies of one eight-person dermatology team (:data:`TEMPLATE`):
five consultants (a clinical lead, a skin-cancer lead who also operates, a less-than-full-time
consultant on Monday to Wednesday, one opted in to an evening clinic, a medical/paediatric
dermatologist), an SAS specialist, a specialty doctor and a clinical nurse specialist on Agenda for
Change. Each copy after the first works the same timetable on shuffled weekdays (the MDT day stays
put), so larger services do not have every clinic on the same morning. ``throughput`` scales
patients per session (and, in :mod:`~capacity_planner.pack.samples`, referrals with it) to give
busier variants for trust-wide packs.

The current job plans fill each clinician's contracted PAs (grid PAs + ``oncall_pas`` = contracted
PAs), meet the SPA floors of the contract (two 1-PA SPA sessions for consultants, as 1 < 1.5 PAs;
one for SAS) and lock the MDT, external-duty and management cells.

The team's rules are of two kinds (issue 13 item 6): coverage rules in ``requirements`` (the MDT
quorum, ward referrals and specialist clinics), and time each clinician's own job plan must hold:
clinical administration as a per-clinician floor (``skills.min_sessions_per_week``,
:attr:`RoleTemplate.admin_floor`), one session a week for each clinician whose current job plan has
admin (the less-than-full-time consultant's has none, so they have no floor), so every current job
plan meets its floor.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from capacity_planner import constants as C

if TYPE_CHECKING:
    from capacity_planner.pack.samples_spec import ServiceSpec

GRID = tuple((d, p) for d in C.WEEKDAYS for p in ("AM", "PM"))
EVENING_SLOTS = (("Tue", "EVE"), ("Thu", "EVE"))


@dataclass(frozen=True)
class ActivityTemplate:
    """One activity of the template service (IDs and sizes before prefixing and scaling)."""

    base_id: str
    category: str
    derm_name: str
    generic_name: str  # "{service}" is replaced by the service name
    patients_per_session: float | None = None
    minutes_per_patient: float | None = None
    bookable_minutes: float | None = None
    room_type: str | None = None
    rapid_access: bool = False
    new_or_follow_up: str | None = None
    follow_up_activity: str | None = None
    priority: int | None = None


ACTIVITIES = (
    ActivityTemplate("2ww", "DCC", "Suspected skin cancer clinic (2WW)",
                     "{service} rapid-access clinic", 8, room_type="clinic_room",
                     rapid_access=True, new_or_follow_up="new", follow_up_activity="fu",
                     priority=10),
    ActivityTemplate("new", "DCC", "General dermatology new patient clinic",
                     "{service} new patient clinic", 6, room_type="clinic_room",
                     new_or_follow_up="new", follow_up_activity="fu", priority=1),
    ActivityTemplate("fu", "DCC", "Dermatology follow-up clinic", "{service} follow-up clinic", 8,
                     room_type="clinic_room", new_or_follow_up="follow_up", priority=1),
    ActivityTemplate("minor_ops", "DCC", "Minor operations list (skin surgery)",
                     "{service} procedure list", minutes_per_patient=42, bookable_minutes=210,
                     room_type="procedure_room", new_or_follow_up="new", priority=2),
    ActivityTemplate("mdt", "DCC", "Skin cancer MDT", "{service} multidisciplinary team meeting"),
    ActivityTemplate("special", "DCC",
                     "Specialist clinics (patch testing, phototherapy, biologics)",
                     "{service} specialist clinics"),
    ActivityTemplate("ward", "DCC", "Inpatient and ward referrals",
                     "{service} inpatient and ward referrals"),
    ActivityTemplate("admin", "DCC", "Clinical administration", "Clinical administration"),
    ActivityTemplate("spa", "SPA", "Supporting professional activities",
                     "Supporting professional activities"),
    ActivityTemplate("anr", "ANR", "Clinical lead and education lead roles",
                     "Clinical lead and education roles"),
    ActivityTemplate("ext", "ED", "Regional skin cancer specialist MDT (external duty)",
                     "Regional network work (external duty)"),
)
ACTIVITY_BY_ID = {a.base_id: a for a in ACTIVITIES}
CLINIC_IDS = ("2ww", "new", "fu", "minor_ops")
REFERRED_IDS = ("2ww", "new", "minor_ops")
LOCKED_IDS = ("mdt", "ext", "anr")


@dataclass(frozen=True)
class RoleTemplate:
    """One clinician of the template team and their current weekly timetable.

    ``plan`` holds the ten daytime cells Mon AM, Mon PM, Tue AM … Fri PM ("-" = not worked);
    ``evening`` the premium-time cells.
    """

    prefix: str  # ID letter: C consultant, S SAS specialist, D specialty doctor, N nurse
    staff_group: str
    contract: str
    contracted_pas: float
    skills: tuple[str, ...]
    plan: tuple[str, ...]
    evening: tuple[tuple[str, str, str], ...] = ()
    oncall_pas: float = 0.0
    out_of_hours: bool = False
    days_off: tuple[str, ...] = ()
    role: str = ""
    # Admin sessions a week their job plan must keep (skills.min_sessions_per_week of "admin");
    # None: no floor. At most the admin sessions of ``plan``, so the current job plan meets it.
    admin_floor: float | None = None


_CONS = "consultant_2003"
TEMPLATE = (
    RoleTemplate("C", "consultant", _CONS, 10,
                 ("2ww", "new", "fu", "mdt", "ward", "admin", "spa", "anr", "special"),
                 ("2ww", "new", "fu", "mdt", "anr", "spa", "2ww", "admin", "spa", "ward"),
                 role="clinical lead", admin_floor=1.0),
    RoleTemplate("C", "consultant", _CONS, 11,
                 ("2ww", "new", "fu", "minor_ops", "mdt", "ward", "admin", "spa", "ext"),
                 ("minor_ops", "2ww", "2ww", "mdt", "minor_ops", "fu", "spa", "spa", "ext",
                  "admin"),
                 oncall_pas=1.0, role="skin cancer lead, dermatological surgeon", admin_floor=1.0),
    RoleTemplate("C", "consultant", _CONS, 6,
                 ("2ww", "new", "fu", "mdt", "special", "admin", "spa"),
                 ("2ww", "fu", "new", "mdt", "spa", "spa", "-", "-", "-", "-"),
                 days_off=("Thu", "Fri"), role="less than full time"),
    RoleTemplate("C", "consultant", _CONS, 10,
                 ("2ww", "new", "fu", "minor_ops", "mdt", "ward", "admin", "spa"),
                 ("new", "minor_ops", "fu", "mdt", "2ww", "admin", "fu", "spa", "spa", "-"),
                 evening=(("Tue", "EVE", "fu"),), out_of_hours=True, role="evening clinic",
                 admin_floor=1.0),
    RoleTemplate("C", "consultant", _CONS, 10,
                 ("new", "fu", "special", "ward", "admin", "spa", "anr"),
                 ("special", "fu", "new", "ward", "special", "admin", "anr", "special", "spa",
                  "spa"),
                 role="medical and paediatric dermatology, education lead", admin_floor=1.0),
    RoleTemplate("S", "sas", "sas_2021", 10,
                 ("2ww", "new", "fu", "minor_ops", "ward", "admin", "spa"),
                 ("fu", "2ww", "minor_ops", "new", "fu", "spa", "new", "admin", "fu", "admin"),
                 role="specialist", admin_floor=1.0),
    RoleTemplate("D", "specialty_doctor", "sas_2021", 8,
                 ("new", "fu", "minor_ops", "special", "admin", "spa"),
                 ("fu", "new", "special", "fu", "new", "admin", "minor_ops", "spa", "-", "-"),
                 days_off=("Fri",), role="specialty doctor", admin_floor=1.0),
    RoleTemplate("N", "nurse", "afc", 10,
                 ("fu", "minor_ops", "special", "admin"),
                 ("fu", "fu", "special", "fu", "special", "admin", "fu", "minor_ops", "special",
                  "admin"),
                 role="clinical nurse specialist", admin_floor=1.0),
)

# Rooms of the template team per daytime slot (Mon AM … Fri PM) and per evening slot.
CLINIC_ROOMS = (6, 7, 6, 4, 5, 4, 5, 4, 4, 2)
PROCEDURE_ROOMS = (1, 1, 1, 0, 1, 0, 1, 1, 1, 1)
EVENING_CLINIC_ROOMS = (1, 1)

FIRST_NAMES = (
    "Aisha", "Alice", "Amir", "Anna", "Ben", "Chen", "Chloe", "Daniel", "Deepa", "Eilidh",
    "Emeka", "Fatima", "Grace", "Hannah", "Imran", "James", "Kate", "Kwame", "Laura", "Li", "Maria",
    "Mohammed", "Nadia", "Oliver", "Priya", "Rachel", "Rhys", "Sarah", "Sofia", "Tom", "Yusuf",
    "Zara",
)
SURNAMES = (
    "Adeyemi", "Ahmed", "Brown", "Campbell", "Chowdhury", "Davies", "Evans", "Green", "Hall",
    "Hughes", "Iqbal", "Jones", "Kaur", "Khan", "Lewis", "Mensah", "Morgan", "Nair", "O'Brien",
    "Okafor", "Patel", "Roberts", "Shah", "Singh", "Smith", "Taylor", "Thomas", "Walker", "Wang",
    "Williams", "Wilson", "Wright",
)

# Annual cost (GBP, on-costs included) of one PA a week, by staff group: (low, high) across
# seniority. 2026/27 estimates from the 2025/26 pay scales (consultant £109,725-£145,478;
# SAS specialist £100,870-£111,441; specialty doctor £61,542-£96,117; Agenda for Change band 7
# £47,810-£54,710) plus employer pension (23.7 %) and National Insurance (15 %).
COST_PER_PA = {
    "consultant": (14_800, 18_600),
    "sas": (13_900, 15_400),
    "specialty_doctor": (9_000, 12_500),
    "nurse": (6_550, 7_500),
}
# (item, staff_group, annual_cost, session_cost): illustrative 2026/27 finance inputs. Locum
# sessions at agency rates (consultant ~£170 an hour for a 4-hour session), waiting-list-initiative
# sessions at typical trust rates (consultant ~£150 an hour), recruitment at the mid-point of the
# pay scale plus on-costs, an additional PA at a tenth of basic pay plus employer NI.
COSTS = (
    ("locum_session", "consultant", None, 680.0),
    ("locum_session", "sas", None, 520.0),
    ("locum_session", "specialty_doctor", None, 440.0),
    ("locum_session", "nurse", None, 240.0),
    ("wli_session", "consultant", None, 600.0),
    ("wli_session", "sas", None, 480.0),
    ("wli_session", "specialty_doctor", None, 420.0),
    ("wli_session", "nurse", None, 200.0),
    ("recruit_wte", "consultant", 168_000.0, None),
    ("recruit_wte", "sas", 146_000.0, None),
    ("recruit_wte", "specialty_doctor", 109_000.0, None),
    ("recruit_wte", "nurse", 70_000.0, None),
    ("additional_pa", "consultant", 14_400.0, None),
    ("additional_pa", "sas", 12_000.0, None),
    ("additional_pa", "specialty_doctor", 9_000.0, None),
)


@dataclass
class Team:
    """The small tables of one service plus the lookups the history simulation needs.

    ``patients_per_session`` and ``open_weekdays`` (Monday = 0) are keyed by the written IDs of the
    four clinics; ``choice[(activity_id, weekday)]`` gives the clinicians (row indices into
    ``clinicians``) who run that clinic on that weekday and the share of its sessions each runs.
    """

    activities: pd.DataFrame
    clinicians: pd.DataFrame
    skills: pd.DataFrame
    availability: pd.DataFrame
    job_plans: pd.DataFrame
    rooms: pd.DataFrame
    requirements: pd.DataFrame
    patients_per_session: dict[str, float]
    open_weekdays: dict[str, tuple[int, ...]]
    choice: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    extra_lists_clinician: str = ""


def scaled_size(base_id: str, throughput: float) -> tuple[float | None, float | None]:
    """(patients_per_session, minutes_per_patient) of a clinic after scaling by ``throughput``."""
    a = ACTIVITY_BY_ID[base_id]
    if a.patients_per_session is not None:
        return float(max(1, round(a.patients_per_session * throughput))), None
    if a.minutes_per_patient is not None:
        return None, round(a.minutes_per_patient / throughput, 1)
    return None, None


def effective_pps(base_id: str, throughput: float) -> float:
    """Patients a session of clinic ``base_id`` sees after scaling."""
    pps, minutes = scaled_size(base_id, throughput)
    if pps is not None:
        return pps
    a = ACTIVITY_BY_ID[base_id]
    return float(a.bookable_minutes or C.DEFAULT_BOOKABLE_MINUTES) / float(minutes or 1.0)


def weekly_referral_means(spec: ServiceSpec) -> dict[str, float]:
    """Mean weekly referrals of the whole service at the plan start, by written activity ID.

    Scaled by ``teams`` and by the realised patients per session of each clinic, so that demand keeps its
    proportion to capacity when ``throughput`` changes.
    """
    return {spec.activity_id(k): v * spec.teams * effective_pps(k, spec.throughput) / effective_pps(k, 1.0)
            for k, v in spec.weekly_referrals}


def day_permutations(n_teams: int, mdt_day: str, rng: np.random.Generator) -> list[dict[str, str]]:
    """Weekday mapping of each team copy: the first keeps the template (with the MDT day moved to
    ``mdt_day``), later ones shuffle the other weekdays."""
    base = {d: d for d in C.WEEKDAYS}
    base["Tue"], base[mdt_day] = mdt_day, "Tue"
    perms = [base]
    others = [d for d in C.WEEKDAYS if d != "Tue"]
    for _ in range(1, n_teams):
        targets = [base[d] for d in others]
        shuffled = [targets[i] for i in rng.permutation(len(targets))]
        perms.append({"Tue": base["Tue"], **dict(zip(others, shuffled, strict=True))})
    return perms


def build_team(spec: ServiceSpec, rng: np.random.Generator, start: dt.date) -> Team:
    """Every small table of one service, plus the simulation lookups."""
    aid = spec.activity_id
    perms = day_permutations(spec.teams, spec.mdt_day, rng)
    prefix = f"{spec.code}." if spec.prefix_ids else ""
    clinicians: list[dict[str, object]] = []
    skills: list[dict[str, object]] = []
    availability: list[dict[str, object]] = []
    cells: list[tuple[str, str, str, str, float, bool]] = []
    counters: dict[str, int] = {}
    # Most job plans were signed off in the last 12 months; one in five (at least one) is overdue.
    n_clinicians = len(perms) * len(TEMPLATE)
    n_overdue = max(1, round(0.2 * n_clinicians))
    overdue = set(rng.choice(n_clinicians, n_overdue, replace=False).tolist())
    for perm in perms:
        for role in TEMPLATE:
            counters[role.prefix] = counters.get(role.prefix, 0) + 1
            cid = f"{prefix}{role.prefix}{counters[role.prefix]:02d}"
            lo, hi = COST_PER_PA[role.staff_group]
            late = len(clinicians) in overdue
            months_ago = rng.uniform(13, 26) if late else rng.uniform(0.5, 11.5)
            title = "" if role.staff_group == "nurse" else "Dr "
            clinicians.append({
                "clinician_id": cid,
                "name": f"{title}{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}",
                "staff_group": role.staff_group,
                "contract": role.contract,
                "contracted_pas": float(role.contracted_pas),
                "oncall_pas": role.oncall_pas,
                "annual_cost_per_pa": float(round(rng.uniform(lo, hi), -1)),
                "out_of_hours_opt_in": role.out_of_hours,
                "signed_off": start - dt.timedelta(days=int(months_ago * 30.44)),
                "active": True,
            })
            skills += [{"clinician_id": cid, "activity_id": aid(k),
                        "min_sessions_per_week": role.admin_floor if k == "admin" else None}
                       for k in role.skills]
            weeks = C.ContractDefaults.WORKING_WEEKS[role.contract]
            for (day, period), act in zip(GRID, role.plan, strict=True):
                if act != "-":
                    cells.append((cid, perm[day], period, aid(act), weeks, act in LOCKED_IDS))
            for day, period, act in role.evening:
                cells.append((cid, day, period, aid(act), weeks, act in LOCKED_IDS))
            availability += [
                {"clinician_id": cid, "day": perm[day], "period": p, "available": False}
                for day in role.days_off for p in ("AM", "PM")
            ]
    order = {str(c["clinician_id"]): i for i, c in enumerate(clinicians)}
    job_plans = pd.DataFrame(cells, columns=["clinician_id", "day", "period", "activity_id",
                                             "weeks_per_year", "locked"])
    sort_key = pd.DataFrame({
        "c": job_plans["clinician_id"].map(order),
        "d": job_plans["day"].map({d: i for i, d in enumerate(C.DAYS)}),
        "p": job_plans["period"].map({p: i for i, p in enumerate(C.PERIODS)}),
    })
    job_plans = job_plans.loc[sort_key.sort_values(["c", "d", "p"], kind="stable").index]
    clin = pd.DataFrame(clinicians)
    clin["signed_off"] = pd.to_datetime(clin["signed_off"])
    team = Team(
        activities=_activities(spec),
        clinicians=clin,
        skills=pd.DataFrame(skills).astype({"min_sessions_per_week": "float64"}),
        availability=pd.DataFrame(availability,
                                  columns=["clinician_id", "day", "period", "available"]),
        job_plans=job_plans.reset_index(drop=True),
        rooms=_rooms(spec, perms),
        requirements=_requirements(spec),
        patients_per_session={aid(k): effective_pps(k, spec.throughput) for k in CLINIC_IDS},
        open_weekdays={},
        # The SAS specialist of the first team runs extra (waiting-list initiative) lists in the
        # review quarter.
        extra_lists_clinician=f"{prefix}S01",
    )
    _lookups(team, order)
    return team


def _activities(spec: ServiceSpec) -> pd.DataFrame:
    rows = []
    derm = spec.code == "derm"
    for a in ACTIVITIES:
        pps, minutes = scaled_size(a.base_id, spec.throughput)
        name = a.derm_name if derm else a.generic_name.format(service=spec.name)
        if a.base_id == "2ww" and not derm and spec.cancer_pathway:
            name = f"{spec.name} suspected cancer clinic (2WW)"
        room = a.room_type
        if room and spec.prefix_ids:
            room = f"{spec.code}.{room}"
        rows.append({
            "activity_id": spec.activity_id(a.base_id),
            "name": name,
            "category": a.category,
            "service": spec.name,
            "patients_per_session": pps,
            "minutes_per_patient": minutes,
            "bookable_minutes": a.bookable_minutes,
            "pa_value": 1.0,
            "rapid_access": a.rapid_access,
            "percentile": C.DEFAULT_PERCENTILE if a.rapid_access else None,
            "follow_up_activity": spec.activity_id(a.follow_up_activity) if a.follow_up_activity
            else None,
            "room_type": room,
            "priority": a.priority,
            "new_or_follow_up": a.new_or_follow_up,
            **({"min_weekly_sessions": 1} if spec.weekly_cover and a.base_id == "2ww" else {}),
            **({"site": spec.site(a.base_id)} if spec.two_sites else {}),
        })
    frame = pd.DataFrame(rows)
    frame["priority"] = frame["priority"].astype("Int64")
    if "min_weekly_sessions" in frame.columns:
        frame["min_weekly_sessions"] = frame["min_weekly_sessions"].astype("Int64")
    return frame


def _rooms(spec: ServiceSpec, perms: list[dict[str, str]]) -> pd.DataFrame:
    prefix = f"{spec.code}." if spec.prefix_ids else ""
    clinic: dict[tuple[str, str], int] = {}
    procedure: dict[tuple[str, str], int] = {}
    for perm in perms:
        for (day, period), c, p in zip(GRID, CLINIC_ROOMS, PROCEDURE_ROOMS, strict=True):
            clinic[perm[day], period] = clinic.get((perm[day], period), 0) + c
            procedure[perm[day], period] = procedure.get((perm[day], period), 0) + p
        for slot, c in zip(EVENING_SLOTS, EVENING_CLINIC_ROOMS, strict=True):
            clinic[slot] = clinic.get(slot, 0) + c
            procedure[slot] = 0
    rows = [{"room_type": prefix + room, "day": day, "period": period,
             "available": caps[day, period],
             # two sites: the procedure rooms are at the main hospital, clinic rooms at both (no one site)
             **({"site": spec.site("minor_ops") if room == "procedure_room" else None} if spec.two_sites
                else {})}
            for room, caps in (("clinic_room", clinic), ("procedure_room", procedure))
            for day, period in GRID + EVENING_SLOTS]
    return pd.DataFrame(rows)


def _requirements(spec: ServiceSpec) -> pd.DataFrame:
    """The team's coverage rules: the MDT quorum and the ward and specialist sessions of the current
    plans (admin is per-clinician time, in ``skills``)."""
    per_team: dict[str, float] = {}
    for role in TEMPLATE:
        for act in role.plan:
            if act in ("ward", "special"):
                per_team[act] = per_team.get(act, 0) + 1
    rows: list[dict[str, object]] = [{
        "activity_id": spec.activity_id("mdt"), "sessions_per_week": None, "day": spec.mdt_day,
        "period": "PM", "min_clinicians": 3 * spec.teams,
    }]
    rows += [{"activity_id": spec.activity_id(k), "sessions_per_week": float(v * spec.teams),
              "day": None, "period": None, "min_clinicians": None}
             for k, v in sorted(per_team.items())]
    frame = pd.DataFrame(rows)
    frame["min_clinicians"] = frame["min_clinicians"].astype("Int64")
    return frame


def _lookups(team: Team, order: dict[str, int]) -> None:
    """Open weekdays per clinic and who runs it on each weekday (weighted by weeks a year)."""
    jp = team.job_plans
    wd = jp["day"].map({d: i for i, d in enumerate(C.DAYS)}).to_numpy()
    for act in team.patients_per_session:
        mask = (jp["activity_id"] == act).to_numpy()
        team.open_weekdays[act] = tuple(sorted(set(wd[mask].tolist())))
        for day in team.open_weekdays[act]:
            sel = mask & (wd == day)
            grouped = jp.loc[sel].groupby("clinician_id", sort=False)["weeks_per_year"].sum()
            idx = np.array([order[c] for c in grouped.index], dtype=np.int64)
            weights = grouped.to_numpy(dtype=np.float64)
            team.choice[act, day] = (idx, weights / weights.sum())


def costs_table() -> pd.DataFrame:
    """Finance inputs (locum and WLI sessions, recruitment, additional PAs) by staff group."""
    return pd.DataFrame(COSTS, columns=["item", "staff_group", "annual_cost", "session_cost"])


def slots_table() -> pd.DataFrame:
    """Mon-Fri AM/PM in normal time plus the Tuesday and Thursday evening (premium-time) slots."""
    rows = [(d, p, False) for d, p in GRID] + [(d, p, True) for d, p in EVENING_SLOTS]
    return pd.DataFrame(rows, columns=["day", "period", "premium_time"])
