"""Labels and contractual defaults shared by every part of the package.

Contract-family defaults (DESIGN.md section 3). Sources:

* Consultant contract 2003 (England), Schedule 3 and NHS Employers' *A guide to consultant job planning*
  (2011): a standard 10-PA week, a PA is 4 hours in normal time or 3 hours in premium time
  (weekday 19:00-07:00 and weekends); typically 7.5 DCC + 2.5 SPA, with a minimum of 1.5 SPA for
  revalidation and CPD (the floor used here).
* SAS (specialty doctor / specialist) contracts 2021: PAs of 4 hours (3 in premium time); at least
  1 SPA; out-of-hours work limited to 40 % of PAs (NHS Employers, *SAS contract reform 2021*).
* Specialty doctor (SAS) contract 2008, for doctors who stayed on it: PAs of 4 hours (3 in premium time);
  at least 1 SPA; no contractual cap on the share of out-of-hours PAs (the 40 % rule came with the 2021
  contracts); additional PAs by agreement (12 used as for the 2021 contracts, an assumption).
* Agenda for Change: 37.5 hours a week; a session is taken as 3.75 hours (37.5 / 10); no additional PAs.

Working weeks. Consultant: 52 - 6 weeks annual leave - 2 statutory days - 8 bank holidays - 10 study days
= 52 - 6 - 0.4 - 1.6 - 2 = 42 weeks (the worked example in NHS Employers' job-planning guidance).
SAS doctors are given the same 42 (similar leave and study-leave entitlements). Agenda for Change:
52 - 27 days annual leave (5.4 weeks) - 8 bank holidays (1.6 weeks) = 45 weeks.
"""

from __future__ import annotations

from typing import Final

DAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WEEKDAYS: Final = DAYS[:5]
PERIODS: Final = ("AM", "PM", "EVE")
CATEGORIES: Final = ("DCC", "SPA", "ANR", "ED", "ONCALL", "OTHER")
STAFF_GROUPS: Final = (
    "consultant",
    "sas",
    "specialty_doctor",
    "nurse",
    "ahp",
    "pharmacist",
    "psychologist",
    "other",
)
CONTRACTS: Final = ("consultant_2003", "sas_2021", "sas_2008", "afc")
OUTCOMES: Final = ("attended", "dna", "cancelled_patient", "cancelled_hospital")
NEW_OR_FOLLOW_UP: Final = ("new", "follow_up")
# NHS Data Dictionary OUTCOME OF ATTENDANCE (codes 1, 2, 3), as labels.
ATTENDANCE_OUTCOMES: Final = ("discharged", "another_appointment", "appointment_later")
DNA_CONVENTIONS: Final = ("discharge", "rebook_once", "rebook_until_seen")
OBJECTIVE_LEVELS: Final = ("unmet_demand", "cost", "changes", "fairness")
COST_ITEMS: Final = (
    "locum_session",
    "wli_session",
    "recruit_wte",
    "additional_pa",
    "substantive_pa",
)
# numpy.quantile method names accepted for percentile sizing.
PERCENTILE_METHODS: Final = (
    "inverted_cdf",
    "averaged_inverted_cdf",
    "closest_observation",
    "interpolated_inverted_cdf",
    "hazen",
    "weibull",
    "linear",
    "median_unbiased",
    "normal_unbiased",
    "lower",
    "higher",
    "midpoint",
    "nearest",
)

NORMAL_PA_HOURS: Final = 4.0
PREMIUM_PA_HOURS: Final = 3.0

# Staff group -> contract used when the contract column is blank.
CONTRACT_BY_STAFF_GROUP: Final = {
    "consultant": "consultant_2003",
    "sas": "sas_2021",
    "specialty_doctor": "sas_2021",
    "nurse": "afc",
    "ahp": "afc",
    "pharmacist": "afc",
    "psychologist": "afc",
    "other": "afc",
}
# Contract -> staff group used when the staff_group column is blank.
STAFF_GROUP_BY_CONTRACT: Final = {"consultant_2003": "consultant", "sas_2021": "sas",
                                  "sas_2008": "specialty_doctor", "afc": "other"}


class ContractDefaults:
    """Default values per contract family; ``None`` for max_pas means "equal to contracted PAs"."""

    MAX_PAS: Final[dict[str, float | None]] = {"consultant_2003": 12.0, "sas_2021": 12.0, "sas_2008": 12.0,
                                               "afc": None}
    MIN_SPA_PAS: Final[dict[str, float]] = {"consultant_2003": 1.5, "sas_2021": 1.0, "sas_2008": 1.0,
                                            "afc": 0.0}
    SESSION_HOURS: Final[dict[str, float]] = {"consultant_2003": 4.0, "sas_2021": 4.0, "sas_2008": 4.0,
                                              "afc": 3.75}
    WORKING_WEEKS: Final[dict[str, float]] = {"consultant_2003": 42.0, "sas_2021": 42.0, "sas_2008": 42.0,
                                              "afc": 45.0}
    # Share of PAs that may fall in out-of-hours (premium) time; None = no contractual limit modelled.
    MAX_OUT_OF_HOURS_SHARE: Final[dict[str, float | None]] = {
        "consultant_2003": None,
        "sas_2021": 0.40,
        "sas_2008": None,
        "afc": None,
    }


# Activity defaults.
DEFAULT_BOOKABLE_MINUTES: Final = 210.0  # of a 240-minute PA
DEFAULT_PA_VALUE: Final = 1.0
DEFAULT_PERCENTILE: Final = 0.80
PRIORITY_RAPID_ACCESS: Final = 10
PRIORITY_ROUTINE: Final = 1
DEFAULT_MIN_CLINICIANS: Final = 1
