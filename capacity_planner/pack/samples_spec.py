"""Parameters of the synthetic sample packs: what each generated service is asked to look like.

:class:`ServiceSpec` holds everything the generator draws a service from (team size, referral
volumes, growth, seasonality, dispersion, DNA and cancellation rates, follow-up ratio…), so tests
can compare the generated tables with what was asked. :func:`sample_spec` gives the three standard
sizes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

import numpy as np

from capacity_planner import constants as C

if TYPE_CHECKING:
    from collections.abc import Mapping

SampleSize = Literal["small", "service", "large", "trust"]
SIZES: tuple[SampleSize, ...] = ("small", "service", "large", "trust")


#: The two sites of a two-site service (issue 19 item 4): where each template activity runs (others:
#: anywhere), the travel between them in minutes, and the travel allowed between two sessions of a day.
MAIN_SITE, COMMUNITY_SITE = "Main", "Community"
SITE_OF: tuple[tuple[str, str], ...] = (
    ("2ww", MAIN_SITE), ("minor_ops", MAIN_SITE), ("mdt", MAIN_SITE), ("ward", MAIN_SITE),
    ("special", COMMUNITY_SITE))
TRAVEL_MINUTES = 45.0
TRAVEL_ALLOWANCE = 30.0


@dataclass(frozen=True)
class ServiceSpec:
    """How one synthetic service is generated.

    Referral volumes are weekly means at the plan start for one template team at ``throughput`` 1
    (see :func:`capacity_planner.pack.samples_team.weekly_referral_means` for the means of the whole
    service). Rates are shares of
    booked appointments except ``dna_rate``, which is dna / (attended + dna), the sizing definition
    (DESIGN.md section 5; NHS outpatient statistics divide by all appointments instead).

    Attributes
    ----------
    code, name : str
        Short service code (activity-ID prefix in trust packs) and display name.
    teams : int
        Copies of the eight-clinician template team.
    throughput : float
        Multiplier of patients per session (and of referrals, so capacity and demand stay in
        proportion).
    weekly_referrals : tuple of (activity, mean)
        Mean weekly referrals at the plan start per referred activity (template IDs 2ww, new,
        minor_ops), for one team at throughput 1, before seasonality.
    growth_per_year : float
        Annual referral growth (0.04 = 4 % a year), applied continuously.
    seasonality_amplitude, seasonality_peak_day : float, int
        Yearly cycle 1 + A·cos(2π(day_of_year − peak)/365.25); skin lesions peak in summer.
    dispersion : float
        Negative-binomial shape k of weekly referrals: variance = μ + μ²/k (a gamma week effect
        per activity times Poisson days). Smaller is more over-dispersed.
    weekday_weights : tuple of 7 floats
        Relative referrals Monday..Sunday, summing to 5 (a week holds five average days).
    bank_holiday_factor, christmas_factor : float
        Referral level on bank holidays and on 24 Dec - 1 Jan relative to a normal day.
    dna_rate, hospital_cancellation_rate, patient_cancellation_rate : float
        Outcome rates. Every patient is rebooked until seen (``rebook_until_seen``).
    follow_up_ratio : float
        Follow-up attendances per new attendance (2ww and routine new clinics), negative binomial
        with shape 1 per patient (many discharged at the first visit).
    follow_up_interval_weeks : float
        Mean weeks between a patient's visits.
    follow_up_backlog_weeks : float
        Extra follow-up delay reached at the plan start, growing linearly over the last year: the
        follow-up backlog in the waiting-list snapshot.
    mean_wait_weeks : tuple of (activity, weeks)
        Mean wait from referral to the first booking (urgent referrals wait a third as long).
    urgent_share : tuple of (activity, share)
        Share of referrals with priority "urgent" (the rest "routine"; 2ww referrals are "2ww").
    follow_up_target_weeks : float
        Target wait after the due date for a follow-up (waiting_list.target_weeks).
    mdt_day : str
        Weekday of the MDT (PM); 3 clinicians per team are required.
    prefix_ids, cancer_pathway, rapid_id, procedure_id : bool, bool, str, str
        Trust packs prefix activity, clinician and room IDs with ``code``; non-cancer services call
        their rapid-access clinic ``rapid`` and procedure list ``proc``.
    review_demand_factor : tuple of (activity, factor)
        Referral level in the review quarter (the delivered extract's weeks after the plan start)
        relative to the trend of the same process (growth, seasonality, calendar): 1.18 on the 2WW
        clinic is demand running 18 % ahead of forecast. Activities not listed keep factor 1.
    review_hospital_cancellation_rate : tuple of (activity, rate)
        Share of bookings cancelled by the hospital in the review quarter, for activities whose
        lists are lost more often than before the plan start (rates at least
        ``hospital_cancellation_rate``); the delivered extract loses the matching extra share of
        their sessions.
    """

    code: str = "derm"
    name: str = "Dermatology"
    teams: int = 1
    throughput: float = 1.0
    weekly_referrals: tuple[tuple[str, float], ...] = (
        ("2ww", 43.0), ("new", 35.0), ("minor_ops", 22.0))
    growth_per_year: float = 0.04
    seasonality_amplitude: float = 0.12
    seasonality_peak_day: int = 196
    dispersion: float = 30.0
    weekday_weights: tuple[float, ...] = (1.17, 1.05, 0.99, 0.97, 0.77, 0.03, 0.02)
    bank_holiday_factor: float = 0.05
    christmas_factor: float = 0.6
    dna_rate: float = 0.07
    hospital_cancellation_rate: float = 0.03
    patient_cancellation_rate: float = 0.04
    follow_up_ratio: float = 1.6
    follow_up_interval_weeks: float = 12.0
    follow_up_backlog_weeks: float = 8.0
    mean_wait_weeks: tuple[tuple[str, float], ...] = (
        ("2ww", 1.4), ("new", 12.0), ("minor_ops", 7.0))
    urgent_share: tuple[tuple[str, float], ...] = (("new", 0.15), ("minor_ops", 0.45))
    follow_up_target_weeks: float = 6.0
    mdt_day: str = "Tue"
    prefix_ids: bool = False
    cancer_pathway: bool = True
    rapid_id: str = "2ww"
    procedure_id: str = "minor_ops"
    review_demand_factor: tuple[tuple[str, float], ...] = (("2ww", 1.18),)
    review_hospital_cancellation_rate: tuple[tuple[str, float], ...] = (("minor_ops", 0.13),)
    # links (issue 19 item 3): a nurse-run minor-ops list needs a consultant on site (present) as supervisor
    supervised_nurse_lists: bool = False
    # weekly cover (issue 19 item 2): the two-week-wait clinic must run at least once in every week
    weekly_cover: bool = False
    # sites (issue 19 item 4): the clinics, lists and wards at the main hospital, the specialist clinics
    # (phototherapy, patch testing) at the community hospital (SITES)
    two_sites: bool = False

    def __post_init__(self) -> None:
        if self.teams < 1 or self.throughput <= 0:
            raise ValueError("teams must be >= 1 and throughput > 0")
        if not 0 <= self.dna_rate < 1:
            raise ValueError("dna_rate must be in [0, 1)")
        if self.hospital_cancellation_rate + self.patient_cancellation_rate >= 1:
            raise ValueError("cancellation rates must sum to less than 1")
        if len(self.weekday_weights) != 7 or abs(sum(self.weekday_weights) - 5) > 1e-6:
            raise ValueError("weekday_weights: seven weights summing to 5")
        if self.dispersion <= 0:
            raise ValueError("dispersion must be > 0")
        clinics = ("2ww", "new", "fu", "minor_ops")
        referred = clinics[:2] + clinics[3:]
        if any(a not in referred or f <= 0 for a, f in self.review_demand_factor):
            raise ValueError(f"review_demand_factor: factors > 0 for activities among {referred}")
        if any(a not in clinics or not self.hospital_cancellation_rate <= r < 1
               for a, r in self.review_hospital_cancellation_rate):
            raise ValueError(f"review_hospital_cancellation_rate: rates in [hospital_cancellation_rate, "
                             f"1) for activities among {clinics}")

    def site(self, base_id: str) -> str | None:
        """The site of template activity ``base_id`` (None: anywhere, or a service on one site)."""
        return dict(SITE_OF).get(base_id) if self.two_sites else None

    def activity_id(self, base_id: str) -> str:
        """The activity ID written for template activity ``base_id`` (e.g. ``derm.2ww``)."""
        name = {"2ww": self.rapid_id, "minor_ops": self.procedure_id}.get(base_id, base_id)
        return f"{self.code}.{name}" if self.prefix_ids else name

    def extra_hospital_cancellations(self, base_id: str) -> float:
        """Extra hospital cancellations in the review quarter per booking made: ``p`` such that
        (base rate + p) / (1 + p) equals the quarter's rate (each cancelled booking is rebooked)."""
        rate = self.lookup(self.review_hospital_cancellation_rate, base_id,
                           self.hospital_cancellation_rate)
        return (rate - self.hospital_cancellation_rate) / (1.0 - rate)

    def lookup(self, table: tuple[tuple[str, float], ...], base_id: str,
               default: float = 0.0) -> float:
        """Value for ``base_id`` in one of the (activity, value) tuples."""
        return dict(table).get(base_id, default)


@dataclass(frozen=True)
class SampleSpec:
    """A whole sample pack: its services and calendar.

    The history covers ``history_weeks`` before ``start`` (after ``burn_in_weeks`` of unwritten
    simulation); the review quarter, the first ``delivered_weeks`` of the planning year, has the
    e-roster extract (delivered sessions and leave) and the actual referrals and appointments.
    """

    name: str
    services: tuple[ServiceSpec, ...]
    start: dt.date = dt.date(2027, 4, 5)
    history_weeks: int = 156
    burn_in_weeks: int = 104
    delivered_weeks: int = 13
    service_weeks: float = 52.0

    def __post_init__(self) -> None:
        if self.start.weekday() != 0:
            raise ValueError("start must be a Monday")
        codes = [s.code for s in self.services]
        if len(set(codes)) != len(codes):
            raise ValueError("service codes must be unique")
        if len(self.services) > 1 and not all(s.prefix_ids for s in self.services):
            raise ValueError("a pack with several services needs prefix_ids=True on each")

    def settings(self) -> Mapping[str, object]:
        """pack.toml values (the travel allowance and England's expected leave where a service has two
        sites or a weekly cover: issue 19)."""
        extra: dict[str, object] = {}
        if any(s.two_sites for s in self.services):
            extra["solver.travel_minutes_between_sessions"] = TRAVEL_ALLOWANCE
        if any(s.weekly_cover for s in self.services):
            extra["planning.expected_leave"] = "england"
        return {
            "planning.name": self.name,
            "planning.start": self.start,
            "planning.service_weeks": float(self.service_weeks),
            "demand.dna_convention": "rebook_until_seen",
            "demand.percentile": 0.8,
            "demand.history_weeks": self.history_weeks,
            "demand.backlog_weeks": 26.0,
            **extra,
        }


# (code, name, has a suspected-cancer (2WW) pathway): 40 outpatient specialties of an acute trust.
SPECIALTIES: tuple[tuple[str, str, bool], ...] = (
    ("derm", "Dermatology", True), ("rheum", "Rheumatology", False), ("card", "Cardiology", False),
    ("resp", "Respiratory medicine", True), ("gastro", "Gastroenterology", True),
    ("neuro", "Neurology", False), ("endo", "Diabetes and endocrinology", False),
    ("renal", "Nephrology", False), ("haem", "Clinical haematology", True),
    ("onc", "Medical oncology", True), ("urol", "Urology", True),
    ("gsurg", "General surgery", False),
    ("colo", "Colorectal surgery", True), ("ugi", "Upper GI surgery", True),
    ("breast", "Breast surgery", True), ("vasc", "Vascular surgery", False),
    ("ortho", "Trauma and orthopaedics", False), ("ent", "Ear, nose and throat", True),
    ("ophth", "Ophthalmology", False), ("gyn", "Gynaecology", True),
    ("paed", "Paediatrics", False), ("geri", "Geriatric medicine", False),
    ("stroke", "Stroke medicine", False), ("pain", "Pain management", False),
    ("plast", "Plastic surgery", True), ("omfs", "Oral and maxillofacial surgery", True),
    ("allergy", "Clinical immunology and allergy", False), ("id", "Infectious diseases", False),
    ("hep", "Hepatology", True), ("gum", "Sexual health", False),
    ("pall", "Palliative medicine", False), ("hand", "Hand surgery", False),
    ("spine", "Spinal surgery", False), ("cts", "Cardiothoracic surgery", True),
    ("nsurg", "Neurosurgery", True), ("rehab", "Rehabilitation medicine", False),
    ("sleep", "Sleep medicine", False), ("gen_med", "General internal medicine", False),
    ("ger_psy", "Old age psychiatry", False), ("ortho_paed", "Paediatric orthopaedics", False),
)


def sample_spec(size: SampleSize, seed: int = 0) -> SampleSpec:
    """The standard sample of ``size``.

    * ``small``: one dermatology team of 8 clinicians (about 35,000 appointment rows over 3 years);
    * ``service``: one dermatology service of 5 teams (40 clinicians) at 1.6 times the throughput
      (about 300,000 rows); a nurse's minor-ops list needs a consultant working in the same slot
      (``links``, present: the supervisor may be in clinic), and the two-week-wait clinic must run in
      every week of the year (``min_weekly_sessions``), with England's expected leave
      (``planning.expected_leave``); the clinics, lists and wards are at the main hospital, the specialist
      clinics at the community hospital 45 minutes away, with 30 minutes allowed between sessions
      (``site``, ``travel``);
    * ``large``: one dermatology department of 20 teams (160 clinicians) at the service's throughput
      (about 1.2 million rows): a large single service, solved as one model (issue 16);
    * ``trust``: 40 services, 125 teams (1,000 clinicians), each service a variant (teams,
      throughput, growth, DNA rate, follow-up ratio, seasonality, MDT day drawn from ``seed``),
      about 10 million rows; every suspected-cancer clinic runs every week, every nurse's procedure
      list needs a consultant of its service on site, and each service works at the main and the
      community hospital.
    """
    if size == "small":
        return SampleSpec("Dermatology 2027/28 (synthetic sample)", (ServiceSpec(),))
    if size == "service":
        return SampleSpec("Dermatology service 2027/28 (synthetic sample)",
                          (ServiceSpec(teams=5, throughput=1.6, supervised_nurse_lists=True,
                                       weekly_cover=True, two_sites=True),))
    if size == "large":
        return SampleSpec("Dermatology department 2027/28 (synthetic sample, 160 clinicians)",
                          (ServiceSpec(teams=20, throughput=1.6),))
    if size != "trust":
        raise ValueError(f"unknown sample size {size!r}: expected one of {', '.join(SIZES)}")
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1_000_003]))
    n = len(SPECIALTIES)
    weights = rng.gamma(3.0, size=n)
    teams = np.maximum(1, np.round(weights / weights.sum() * 125)).astype(int)
    while teams.sum() != 125:  # fix rounding on the largest services
        i = int(np.argmax(teams))
        teams[i] += 1 if teams.sum() < 125 else -1
    throughput = rng.uniform(1.5, 3.0, size=n)
    services = []
    for i, (code, name, cancer) in enumerate(SPECIALTIES):
        base = ServiceSpec()
        services.append(replace(
            base, code=code, name=name, teams=int(teams[i]),
            throughput=round(float(throughput[i]), 2),
            growth_per_year=round(float(rng.uniform(0.02, 0.06)), 3),
            seasonality_amplitude=round(float(rng.uniform(0.04, 0.15)), 3),
            seasonality_peak_day=int(rng.integers(0, 365)) if code != "derm" else 196,
            dna_rate=round(float(rng.uniform(0.05, 0.10)), 3),
            follow_up_ratio=round(float(rng.uniform(1.2, 2.0)), 2),
            mdt_day=str(rng.choice(list(C.WEEKDAYS))) if code != "derm" else "Tue",
            prefix_ids=True, cancer_pathway=cancer,
            rapid_id="2ww" if cancer else "rapid",
            procedure_id="minor_ops" if code == "derm" else "proc",
            # issue 19: a suspected-cancer clinic runs every week, a nurse's procedure list needs a
            # consultant on site, and the trust has a main and a community hospital
            weekly_cover=cancer, supervised_nurse_lists=True, two_sites=True,
        ))
    return SampleSpec("Acute trust outpatients 2027/28 (synthetic sample)", tuple(services))
