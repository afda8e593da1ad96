"""The planning-pack schema: every table, its columns, their types, limits and keys.

This module is declarative: readers, the validator, the writer and the documentation all read these
specs, so the format is defined in exactly one place (DESIGN.md section 3, plus the documented
extensions marked ``extension`` below).

Column kinds
------------
``id``     text identifier, trimmed, never blank when required (``"007"`` stays ``"007"``)
``text``   free text
``float``  a finite real number (``min``/``max`` limits inclusive unless ``*_exclusive``)
``int``    a whole number
``bool``   true/false, yes/no, y/n, 1/0 (any case); blank = the default
``date``   ISO ``2026-04-01``, UK ``01/04/2026`` or an Excel date
``label``  one of ``choices`` (any case; days also accept full names such as ``Monday``)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from capacity_planner import constants as C

Kind = Literal["id", "text", "float", "int", "bool", "date", "label"]


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a pack table.

    Attributes
    ----------
    name : str
        Canonical lower-case column name.
    kind : Kind
        How cells are parsed (see module docstring).
    required : bool
        The column must exist and every cell must be filled.
    choices : tuple of str
        Allowed labels for ``kind == "label"`` (canonical spelling).
    min, max : float or None
        Inclusive numeric limits.
    max_exclusive : bool
        ``max`` is exclusive (for example DNA rate < 1).
    min_exclusive : bool
        ``min`` is exclusive (for example percentile > 0).
    description : str
        What the column holds, with units; used in messages and docs/data-pack.md.
    """

    name: str
    kind: Kind
    required: bool = False
    choices: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False
    max_exclusive: bool = False
    description: str = ""
    codes: str = ""  # other accepted spellings (NHS Data Dictionary codes), named in messages

    def expected(self) -> str:
        """A short phrase saying what a valid cell looks like, for error messages."""
        if self.kind == "label":
            return "one of " + ", ".join(self.choices) + (f", or {self.codes}" if self.codes else "")
        if self.kind == "bool":
            return "true or false (yes/no, 1/0 also accepted" + (f"; {self.codes}" if self.codes else "") \
                + ")"
        if self.kind == "date":
            return "a date such as 2026-04-01 (or 01/04/2026)"
        if self.kind in ("id", "text"):
            return "a non-blank text value"
        what = "a whole number" if self.kind == "int" else "a number"
        limits = []
        if self.min is not None:
            limits.append(("> " if self.min_exclusive else ">= ") + f"{self.min:g}")
        if self.max is not None:
            limits.append(("< " if self.max_exclusive else "<= ") + f"{self.max:g}")
        return what + (" " + " and ".join(limits) if limits else "")


@dataclass(frozen=True)
class Reference:
    """A foreign key: ``columns`` of this table must name an existing row of ``table``."""

    columns: tuple[str, ...]
    table: str
    target_columns: tuple[str, ...]


@dataclass(frozen=True)
class TableSpec:
    """One table of a planning pack."""

    name: str
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...] = ()
    references: tuple[Reference, ...] = ()
    description: str = ""
    large: bool = False  # history tables: kept as DataFrames, may hold millions of rows
    extension: bool = False  # not in DESIGN.md section 3; documented in docs/data-pack.md

    def column(self, name: str) -> ColumnSpec:
        """The spec of column ``name``."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        """Canonical column names in order."""
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Names of the columns that must exist."""
        return tuple(c.name for c in self.columns if c.required)


def _ref(cols: str, table: str, target: str | None = None) -> Reference:
    columns = tuple(cols.split(","))
    return Reference(columns, table, tuple((target or cols).split(",")))


SESSION_TYPES = ("substantive", "additional", "locum", "wli")
_DAY = ColumnSpec("day", "label", True, C.DAYS, description="weekday: Mon, Tue, Wed, Thu, Fri, Sat, Sun")
_PERIOD = ColumnSpec("period", "label", True, C.PERIODS, description="AM, PM or EVE (evening)")
_CLIN = ColumnSpec("clinician_id", "id", True, description="the clinician's ID in clinicians")
_ACT = ColumnSpec("activity_id", "id", True, description="the activity's ID in activities")

CLINICIANS = TableSpec(
    "clinicians",
    (
        ColumnSpec("clinician_id", "id", True, description="unique ID (text)"),
        ColumnSpec("name", "text", description="display name (hidden by --anonymise)"),
        ColumnSpec("staff_group", "label", False, C.STAFF_GROUPS, description="staff group"),
        ColumnSpec("contract", "label", False, C.CONTRACTS, description="contract family"),
        ColumnSpec("contracted_pas", "float", True, min=0, max=20,
                   description="contracted PAs (or sessions) a week"),
        ColumnSpec("max_pas", "float", min=0, max=20,
                   description="most PAs a week including additional PAs; default by contract"),
        ColumnSpec("min_spa_pas", "float", min=0, max=20,
                   description="SPA floor in PAs a week; default by contract"),
        ColumnSpec("working_weeks", "float", min=0, max=52, min_exclusive=True,
                   description="weeks a year worked after leave; default by contract"),
        ColumnSpec("session_hours", "float", min=0, max=12, min_exclusive=True,
                   description="hours in a normal-time session; default by contract"),
        ColumnSpec("oncall_pas", "float", min=0, max=20,
                   description="PAs a week committed outside the grid (on-call, emergency work)"),
        ColumnSpec("annual_cost_per_pa", "float", min=0,
                   description="annual cost (GBP) of one PA a week, on-costs included"),
        ColumnSpec("apa_cost_per_pa", "float", min=0,
                   description="annual cost (GBP) of one additional PA a week; default annual_cost_per_pa"),
        ColumnSpec("out_of_hours_opt_in", "bool", description="may work evening/weekend slots"),
        ColumnSpec("signed_off", "date", description="date the current job plan was signed off"),
        ColumnSpec("active", "bool", description="in post this year (default true)"),
        ColumnSpec("max_spa_pas", "float", min=0, max=20,
                   description="(extension) SPA ceiling in PAs a week; default: the larger of "
                               "min_spa_pas and the SPA in the current job plan"),
    ),
    key=("clinician_id",),
    description="one row per clinician in the team",
)

ACTIVITIES = TableSpec(
    "activities",
    (
        ColumnSpec("activity_id", "id", True, description="unique ID (text), e.g. 2ww"),
        ColumnSpec("name", "text", description="display name"),
        ColumnSpec("category", "label", True, C.CATEGORIES,
                   description="DCC, SPA, ANR (additional NHS responsibilities), ED (external duties), "
                               "ONCALL or OTHER"),
        ColumnSpec("service", "text", description="service or specialty, for trust-wide packs"),
        ColumnSpec("patients_per_session", "float", min=0, min_exclusive=True,
                   description="patients (slots) per session"),
        ColumnSpec("minutes_per_patient", "float", min=0, min_exclusive=True,
                   description="minutes per patient (with bookable_minutes) instead of patients_per_session"),
        ColumnSpec("bookable_minutes", "float", min=0, min_exclusive=True,
                   description="bookable minutes in a session; default 210 of a 240-minute PA"),
        ColumnSpec("pa_value", "float", min=0, max=3, min_exclusive=True,
                   description="PAs one session of this activity counts for; default 1.0"),
        ColumnSpec("rapid_access", "bool", description="rapid-access service sized to a percentile"),
        ColumnSpec("percentile", "float", min=0, max=1, min_exclusive=True, max_exclusive=True,
                   description="sizing percentile for rapid access; default pack.toml demand.percentile"),
        ColumnSpec("dna_rate", "float", min=0, max=1, max_exclusive=True,
                   description="share of booked patients who do not attend; measured if blank"),
        ColumnSpec("follow_up_ratio", "float", min=0,
                   description="follow-up attendances per new attendance; measured if blank"),
        ColumnSpec("follow_up_activity", "id",
                   description="(extension) the activity that sees this activity's follow-ups"),
        ColumnSpec("room_type", "text", description="room type needed; see rooms"),
        ColumnSpec("priority", "int", min=1, max=1000,
                   description="weight of unmet demand; default 10 for rapid access, 1 otherwise"),
        ColumnSpec("new_or_follow_up", "label", False, C.NEW_OR_FOLLOW_UP,
                   description="new or follow_up (clinics)"),
        ColumnSpec("required_sessions_per_year", "float", min=0, max=100_000,
                   description="(extension) session-weeks a year of demand the team sets for this "
                               "activity, replacing the demand sized from referrals and requirements (DCC "
                               "hours and sessions a week scale with it); `serve` writes it for a demand "
                               "agreed in the team meeting. Blank: sized"),
        ColumnSpec("min_weekly_sessions", "int", min=0, max=100,
                   description="(extension) weekly cover: the activity must run at least this many sessions "
                               "in every week of the planning year (a two-week-wait clinic in August and at "
                               "Christmas), bank holidays and leave counted week by week; the plan says "
                               "which weeks it cannot cover. Blank: no weekly rule"),
        ColumnSpec("share_of_weeks", "float", min=0, max=1, min_exclusive=True,
                   description="(extension) with min_weekly_sessions, the share of the weeks that must be "
                               "covered (0.9: all but about 5 weeks a year); default 1, every week"),
        ColumnSpec("site", "id",
                   description="(extension) the site (hospital, building) the activity runs at; blank: the "
                               "site of its room type when all its rooms are at one site, else anywhere"),
    ),
    key=("activity_id",),
    references=(_ref("follow_up_activity", "activities", "activity_id"),),
    description="one row per activity (clinic, list, MDT, SPA, admin…)",
)

SKILLS = TableSpec(
    "skills",
    (
        _CLIN,
        _ACT,
        ColumnSpec("max_sessions_per_week", "float", min=0,
                   description="(extension) optional cap on this clinician's sessions of the activity"),
        ColumnSpec("min_sessions_per_week", "float", min=0, max=100,
                   description="(extension) per-clinician time: sessions a week of this activity the "
                               "clinician must keep, e.g. 1 admin session (consultant contract 2003 schedule "
                               "3: the job plan includes time for administration); whole or half sessions "
                               "(0.5: an alternate-week session, where the job plan already runs one there); "
                               "counted over the clinician's working weeks, never as referral demand; at "
                               "most contracted_pas and max_sessions_per_week. Blank: no floor"),
    ),
    key=("clinician_id", "activity_id"),
    references=(_ref("clinician_id", "clinicians"), _ref("activity_id", "activities")),
    description="who may do what: one row per clinician and activity they are competent for",
)

SLOTS = TableSpec(
    "slots",
    (_DAY, _PERIOD, ColumnSpec("premium_time", "bool",
                               description="premium time (3-hour PA); default true for EVE, Sat, Sun")),
    key=("day", "period"),
    description="the weekly grid; default Mon-Fri AM and PM",
)

ROOMS = TableSpec(
    "rooms",
    (
        ColumnSpec("room_type", "id", True, description="room type, as in activities.room_type"),
        _DAY,
        _PERIOD,
        ColumnSpec("available", "int", True, min=0, description="rooms of this type free in the slot"),
        ColumnSpec("site", "id", description="(extension) the site these rooms are at; blank: no site"),
    ),
    key=("room_type", "day", "period"),
    description="room capacity per slot; a room type absent here is unlimited",
)

AVAILABILITY = TableSpec(
    "availability",
    (_CLIN, _DAY, _PERIOD, ColumnSpec("available", "bool", True,
                                      description="false when the clinician never works this slot")),
    key=("clinician_id", "day", "period"),
    references=(_ref("clinician_id", "clinicians"),),
    description="(extension) slots a clinician does not work, e.g. less-than-full-time days",
    extension=True,
)

JOB_PLANS = TableSpec(
    "job_plans",
    (
        _CLIN,
        _DAY,
        _PERIOD,
        _ACT,
        ColumnSpec("weeks_per_year", "float", min=0, max=52,
                   description="weeks a year the session runs; default the clinician's working weeks"),
        ColumnSpec("locked", "bool", description="the cell must stay as it is"),
        ColumnSpec("week", "label", False, ("A", "B"),
                   description="(extension) A or B for a session run on alternate weeks of a two-week cycle "
                               "(week A / week B, as allocation.csv writes them; weeks_per_year then "
                               "defaults to half the working weeks); blank: every week"),
        ColumnSpec("half", "label", False, ("1", "2"),
                   description="(extension) 1 or 2 for a 2-hour half of the slot (the first or second 2 "
                               "hours, every week; as allocation.csv writes them) of an activity that "
                               "needs no room and is not on-call, e.g. SPA or admin: it counts half the "
                               "session's PAs; blank: a whole session"),
    ),
    key=("clinician_id", "day", "period", "week", "half"),
    references=(_ref("clinician_id", "clinicians"), _ref("activity_id", "activities")),
    description="the current job plans: one row per clinician and weekly slot worked (two for a slot on "
                "alternate weeks, week A and week B, or of two 2-hour halves, half 1 and half 2)",
)

REQUIREMENTS = TableSpec(
    "requirements",
    (
        _ACT,
        ColumnSpec("sessions_per_week", "float", min=0, description="sessions needed a week"),
        ColumnSpec("day", "label", False, C.DAYS, description="fixed day, if any"),
        ColumnSpec("period", "label", False, C.PERIODS, description="fixed period, if any"),
        ColumnSpec("min_clinicians", "int", min=1, description="clinicians needed at once; default 1"),
        ColumnSpec("rota_size", "int", min=1,
                   description="(extension) N of a 1-in-N on-call rota on this slot (an ONCALL "
                               "activity with day and period): exactly N clinicians are members, each on "
                               "call min_clinicians x planning.service_weeks / N weeks a year (1 in 6 over "
                               "52 weeks: 8.67), its PAs (pa_value, x 4/3 in premium time) counted over "
                               "those weeks; at least min_clinicians; blank: the same clinicians every week"),
        ColumnSpec("share_of_weeks", "float", min=0, max=1, min_exclusive=True,
                   description="(extension) with day and period: the quorum is also read week by week, "
                               "bank holidays and leave counted, and must hold in this share of the weeks "
                               "(1: every week); the plan says the weeks it cannot. Blank: heads timetabled"),
        ColumnSpec("unpredictable_pas", "float", min=0,
                   description="(extension) with rota_size: PAs a week of unpredictable emergency work "
                               "each rota member is credited, annualised over their working weeks (as agreed "
                               "prospectively in the job plan, consultant contract 2003 Schedule 3), on top "
                               "of the on-call session's PAs (its pa_value over their weeks on call); "
                               "counted in the member's contracted PAs, out-of-hours share and job plan. "
                               "Blank: 0"),
    ),
    references=(_ref("activity_id", "activities"),),
    description="demand not driven by referrals: MDT, ward rounds, on-call cover, SPA blocks",
)

REFERRALS = TableSpec(
    "referrals",
    (
        ColumnSpec("referral_date", "date", True, description="date the referral was received"),
        _ACT,
        ColumnSpec("priority", "text", description="referral priority, e.g. 2ww, urgent, routine"),
        ColumnSpec("count", "int", min=0, description="referrals on the row; default 1"),
    ),
    references=(_ref("activity_id", "activities"),),
    description="referral history: one row per referral, or per day and activity with a count",
    large=True,
)

APPOINTMENTS = TableSpec(
    "appointments",
    (
        ColumnSpec("appointment_date", "date", True, description="date of the appointment"),
        _ACT,
        ColumnSpec("outcome", "label", True, C.OUTCOMES,
                   description="attended, dna, cancelled_patient or cancelled_hospital; or the NHS Data "
                               "Dictionary ATTENDED OR DID NOT ATTEND code: 5, 6 attended; 3, 7 dna; "
                               "2 cancelled_patient; 4 cancelled_hospital; 0 (not yet held) is not counted",
                   codes="an ATTENDED OR DID NOT ATTEND code (5, 6, 7, 2, 3, 4 or 0)"),
        ColumnSpec("clinician_id", "id", description="clinician seen, if known"),
        ColumnSpec("is_new", "bool",
                   description="a new (first) appointment rather than a follow-up; or the NHS Data "
                               "Dictionary FIRST ATTENDANCE code: 1, 3 new; 2, 4 follow-up; 5 (RTT "
                               "administrative event) is not an appointment and is not counted",
                   codes="FIRST ATTENDANCE codes 1-5"),
        ColumnSpec("outcome_of_attendance", "label", False, C.ATTENDANCE_OUTCOMES,
                   description="(extension) discharged, another_appointment or appointment_later; or the "
                               "NHS Data Dictionary OUTCOME OF ATTENDANCE code 1, 2 or 3. Where recorded, "
                               "follow-up ratios are measured from it",
                   codes="an OUTCOME OF ATTENDANCE code (1, 2 or 3)"),
        ColumnSpec("treatment_function", "text",
                   description="(extension) NHS TREATMENT FUNCTION CODE of the clinic, e.g. 330 "
                               "(dermatology); names the specialty"),
        ColumnSpec("count", "int", min=0,
                   description="(extension) appointments on the row (aggregated extracts); default 1"),
    ),
    references=(_ref("activity_id", "activities"), _ref("clinician_id", "clinicians")),
    description="appointment history, for DNA rates, follow-up ratios and expected-vs-actual: one row per "
                "appointment, or per group of identical appointments with a count",
    large=True,
)

WAITING_LIST = TableSpec(
    "waiting_list",
    (
        _ACT,
        ColumnSpec("waiting", "int", True, min=0, description="patients waiting at the plan start"),
        ColumnSpec("over_target", "int", min=0, description="of whom waiting longer than target"),
        ColumnSpec("target_weeks", "float", min=0, min_exclusive=True,
                   description="target wait in weeks (e.g. 18 RTT, 2 rapid access)"),
    ),
    key=("activity_id",),
    references=(_ref("activity_id", "activities"),),
    description="waiting-list snapshot at the plan start, for backlog relief",
)

COSTS = TableSpec(
    "costs",
    (
        ColumnSpec("item", "label", True, C.COST_ITEMS, description="what is priced"),
        ColumnSpec("staff_group", "label", True, C.STAFF_GROUPS, description="staff group priced"),
        ColumnSpec("annual_cost", "float", min=0, description="annual cost, GBP (posts, PAs a week)"),
        ColumnSpec("session_cost", "float", min=0, description="cost of one session, GBP (locum, WLI)"),
    ),
    key=("item", "staff_group"),
    description="finance inputs for scenarios; each row needs annual_cost or session_cost",
)

DELIVERED = TableSpec(
    "delivered",
    (
        _CLIN,
        ColumnSpec("week_start", "date", True, description="Monday of the week"),
        _ACT,
        ColumnSpec("sessions", "float", True, min=0, description="sessions delivered that week"),
        ColumnSpec("session_type", "label", False, SESSION_TYPES,
                   description="(extension) substantive (default), additional, locum or wli "
                               "(waiting-list initiative); locum/WLI rows may name a clinician not in "
                               "clinicians"),
    ),
    references=(_ref("clinician_id", "clinicians"), _ref("activity_id", "activities")),
    description="e-roster extract of sessions delivered, for the quarterly review",
    large=True,
)

LEAVE = TableSpec(
    "leave",
    (
        _CLIN,
        ColumnSpec("week_start", "date", True, description="Monday of the week"),
        ColumnSpec("weeks", "float", min=0, max=1,
                   description="share of the week on leave (annual, study, sick); default 1"),
    ),
    key=("clinician_id", "week_start"),
    references=(_ref("clinician_id", "clinicians"),),
    description="(extension) e-roster leave rows, so the quarterly review compares delivered sessions with "
                "the weeks actually worked",
    large=True,
    extension=True,
)

LINK_MODES = ("present", "dedicated")
LINKS = TableSpec(
    "links",
    (
        ColumnSpec("activity_id", "id", True, description="the activity whose sessions need the link"),
        ColumnSpec("performer_group", "label", False, C.STAFF_GROUPS,
                   description="only sessions run by this staff group need the link (e.g. a nurse-run "
                               "minor-ops list); blank: every session of the activity"),
        ColumnSpec("linked_group", "label", False, C.STAFF_GROUPS,
                   description="staff group of the clinician linked in; blank: any staff group"),
        ColumnSpec("linked_activity_id", "id",
                   description="dedicated: the activity the linked clinician does in the same slot (e.g. "
                               "anaesthesia); present: a role the linked clinician must hold (a skills row "
                               "or a current job-plan cell for it); blank (present only): none"),
        ColumnSpec("mode", "label", False, LINK_MODES,
                   description="present: the linked clinician works any session in the same slot (not "
                               "external duties), e.g. a supervising consultant running a clinic; dedicated: "
                               "a session of linked_activity_id in the same slot; default present"),
        ColumnSpec("count", "float", min=0, min_exclusive=True, max=20,
                   description="linked clinicians needed per session (0.5: one for two sessions); "
                               "default 1"),
    ),
    key=("activity_id", "performer_group", "linked_group", "linked_activity_id"),
    references=(_ref("activity_id", "activities"), _ref("linked_activity_id", "activities", "activity_id")),
    description="(extension) linked sessions: a session of an activity needs, in the same slot (day and "
                "period, each week), other clinicians of a staff group or role, present or dedicated; see "
                "docs/method.md, \"Linked sessions\"",
    extension=True,
)

PRODUCTIVITY = TableSpec(
    "productivity",
    (
        ColumnSpec("activity_id", "id", True, description="the activity's ID in activities"),
        ColumnSpec("staff_group", "label", True, C.STAFF_GROUPS,
                   description="the staff group whose sessions of the activity see a different number of "
                               "patients (e.g. a nurse or trainee list)"),
        ColumnSpec("patients_per_session", "float", True, min=0, min_exclusive=True,
                   description="patients (slots) a session of the activity run by this staff group sees, in "
                               "place of activities.patients_per_session"),
    ),
    key=("activity_id", "staff_group"),
    references=(_ref("activity_id", "activities"),),
    description="(extension) productivity per staff group: patients per session of an activity when a "
                "staff group runs it; demand is turned into sessions at the current job plans' mix of "
                "staff groups, and the plan counts each clinician's sessions at their group's patients a "
                "session over that mix (docs/method.md, \"Productivity per staff group\")",
    extension=True,
)

TRAVEL = TableSpec(
    "travel",
    (
        ColumnSpec("from_site", "id", True,
                   description="a site named in activities.site or rooms.site (another site is a warning: no "
                               "session runs there, so the row is not used)"),
        ColumnSpec("to_site", "id", True, description="another site"),
        ColumnSpec("minutes", "float", True, min=0, max=1440,
                   description="travel time from from_site to to_site, minutes; the same both ways unless "
                               "the other direction has its own row"),
    ),
    key=("from_site", "to_site"),
    description="(extension) travel times between sites: a clinician changes site between two sessions of "
                "a day only where the travel time fits in solver.travel_minutes_between_sessions; sites "
                "with no row are too far apart to change within a day",
    extension=True,
)

EXPECTED_LEAVE = TableSpec(
    "expected_leave",
    (
        ColumnSpec("start", "date", True,
                   description="first day of the period (e.g. the Monday before Christmas, the first day of "
                               "the school summer holiday)"),
        ColumnSpec("end", "date", True, description="last day of the period (inclusive)"),
        ColumnSpec("share_away", "float", True, min=0, max=1, min_exclusive=True,
                   description="share of the clinicians expected on leave in each week of the period that "
                               "the leave table does not record (0.5: half of them)"),
        ColumnSpec("label", "text", description="a name for the period, shown in gap reasons (e.g. "
                                                "Christmas)"),
    ),
    key=("start",),
    description="(extension) expected leave patterns: when the leave not recorded in the leave table falls "
                "(school holidays, Christmas). Weekly cover counts each session in these weeks at the "
                "chance its clinician is at work; the rest of the leave can fall in any week; see "
                "docs/method.md, \"Expected leave patterns\". planning.expected_leave = \"england\" adds "
                "England's defaults",
    extension=True,
)

TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        CLINICIANS, ACTIVITIES, SKILLS, SLOTS, ROOMS, AVAILABILITY, JOB_PLANS, REQUIREMENTS,
        REFERRALS, APPOINTMENTS, WAITING_LIST, COSTS, DELIVERED, LEAVE, LINKS, PRODUCTIVITY, TRAVEL,
        EXPECTED_LEAVE,
    )
}

Purpose = Literal["demand", "plan", "any"]
REQUIRED_TABLES: dict[str, tuple[str, ...]] = {
    "any": (),
    "demand": ("activities", "referrals"),
    "plan": ("activities", "referrals", "clinicians", "skills"),
}


@dataclass(frozen=True)
class SettingSpec:
    """One pack.toml key (``section.key``) with its type, default and limits."""

    key: str
    kind: Literal["text", "date", "float", "int", "bool", "label", "growth", "list", "rebase", "targets"]
    default: object
    choices: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    description: str = ""
    list_choices: tuple[str, ...] = field(default=())


SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec("planning.name", "text", "Capacity plan", description="plan title for reports"),
    SettingSpec("planning.start", "date", None,
                description="first Monday of the planning year; history is everything before it; "
                            "default: the Monday after the last referral"),
    SettingSpec("planning.service_weeks", "float", 52.0, min=1, max=52,
                description="weeks a year the service runs"),
    SettingSpec("planning.weekday_true_supply", "bool", True,
                description="(extension) each cell delivers the sessions its weekday gives in the planning "
                            "year: the working weeks less the bank holidays on that day and recorded leave "
                            "(a Monday clinic 37.6 a year, a Wednesday one 43.6 in 2026/27 with 42 working "
                            "weeks); false: every weekly cell delivers the working weeks (the even-spread "
                            "convention). PAs stay contractual either way"),
    SettingSpec("planning.expected_leave", "label", "none", ("none", "england"),
                description="(extension) expected leave patterns for the weekly cover, added to the "
                            "expected_leave table: \"england\": half the clinicians away from 24 December "
                            "to 1 January and a quarter in the school summer holiday (22 July to 31 "
                            "August) of the planning year; \"none\": only the table's rows "
                            "(docs/method.md, \"Expected leave patterns\")"),
    SettingSpec("demand.dna_convention", "label", "rebook_until_seen", C.DNA_CONVENTIONS,
                description="how DNAs turn into extra slots"),
    SettingSpec("demand.percentile", "float", C.DEFAULT_PERCENTILE, min=0.5, max=0.999,
                description="sizing percentile for rapid access"),
    SettingSpec("demand.percentile_method", "label", "linear", C.PERCENTILE_METHODS,
                description="numpy.quantile method"),
    SettingSpec("demand.growth", "growth", "auto",
                description='"auto" (estimated) or an annual growth rate such as 0.03'),
    SettingSpec("demand.frequency", "label", "weekly", ("weekly", "monthly"),
                description='period of the referral history: "weekly" (one row per referral, daily or '
                            'weekly counts) or "monthly" (monthly totals, e.g. dated the 1st; sized by '
                            'thinning each month\'s forecast to its weeks, see docs/method.md)'),
    SettingSpec("demand.history_weeks", "int", 156, min=8, max=1040,
                description="weeks of history used"),
    SettingSpec("demand.backlog_weeks", "float", 26.0, min=1, max=520,
                description="weeks to bring a waiting list to its target size"),
    SettingSpec("solver.time_limit_s", "float", 60.0, min=0.1, max=86400,
                description="wall-clock time limit for one plan (all objective levels together), seconds"),
    SettingSpec("solver.work_limit", "float", None, min=0.01, max=1e6,
                description="(extension) deterministic work limit for one plan, CP-SAT deterministic "
                            "time units (about a core-second each): a plan it cuts short is the same on "
                            "any machine; default: none for plan, solver.time_limit_s for scenarios and "
                            "frontier"),
    SettingSpec("solver.seed", "int", 0, min=0, max=2**31 - 1, description="CP-SAT random seed"),
    SettingSpec("solver.workers", "int", 0, min=0, max=256, description="CP-SAT workers; 0 = all cores"),
    SettingSpec("solver.objective", "list", list(C.OBJECTIVE_LEVELS),
                list_choices=C.OBJECTIVE_LEVELS, description="lexicographic objective order"),
    SettingSpec("solver.allow_additional_pas", "bool", False,
                description="(extension) allow additional PAs above contracted PAs, up to max_pas"),
    SettingSpec("solver.spa_pro_rata", "bool", False,
                description="(extension) scale SPA floors pro rata for contracts under 10 PAs"),
    SettingSpec("solver.routine_floor_share", "float", 0.5, min=0, max=1,
                description="(extension) no routine activity is cut below this share of the smaller of "
                            "its current supply and its need, unless the rules leave no other way"),
    SettingSpec("solver.max_sessions_per_day", "int", 2, min=1, max=3,
                description="(extension) most sessions a day for a clinician not opted in to "
                            "out-of-hours work (on-call included)"),
    SettingSpec("solver.alternate_weeks", "bool", True,
                description="(extension) the solver may propose cells run on alternate weeks (week A / "
                            "week B), e.g. half an SPA session; false: whole weekly sessions only"),
    SettingSpec("solver.quorum_leave_aware", "bool", False,
                description="(extension) a slot requirement's min_clinicians is an expected attendance "
                            "over planning.service_weeks, leave counted, not timetabled heads"),
    SettingSpec("solver.travel_minutes_between_sessions", "float", 60.0, min=0, max=1440,
                description="(extension) travel time a clinician may take between two sessions of a day "
                            "(AM to PM, PM to EVE), minutes: a change of site needs a travel row no longer "
                            "than this (default 60, the lunch break)"),
    # the quarterly review's XmR charts of sessions delivered a week (issue 18 item 4; docs/method.md,
    # "Statistical process control"): one chart for the team (key "team"), one per activity (its ID)
    SettingSpec("review.spc_rebase", "rebase", None,
                description="(extension) dates the service changed: each of the review's XmR charts starts "
                            "new limits at the first week on or after each date; a list of dates for "
                            "every chart, or a table per chart (team or an activity ID, all = every "
                            "chart), e.g. [review.spc_rebase] team = [2027-06-07]; in the settings sheet "
                            "2027-06-07, 2027-09-06 or team: 2027-06-07; 2ww: 2027-09-06"),
    SettingSpec("review.spc_baseline_weeks", "int", None, min=2, max=520,
                description="(extension) compute each XmR segment's mean and limits from its first n "
                            "weeks only (a baseline; NHSRplotthedots fix_after_n_points); default: all "
                            "weeks of the segment"),
    SettingSpec("review.spc_targets", "targets", None, min=0,
                description="(extension) target sessions a week of the review's XmR charts, per chart "
                            "(team or an activity ID), e.g. [review.spc_targets] team = 40, 2ww = 6; in "
                            "the settings sheet team=40; 2ww=6; default: the plan's sessions a week"),
)
SETTINGS_BY_KEY: dict[str, SettingSpec] = {s.key: s for s in SETTINGS}
